"""Wrong answers made from the solution, mutation-testing style: each mutant changes one
thing in the learner's part of a solution's function (an operator, an index, an axis, a sign,
a name, a dropped term, a transpose, a function), and `tests/test_mutants.py` asserts that
the exercise's visible checks catch every mutant that computes something else, with a message
that names what the mutation touched.

A mutant's location is what a precise message can name: the identifiers in the mutated
expression (names and dict keys such as ``params["Wax"]``) and the variables its statement
assigns, each with the lecture's words for it (the catalogue file's ``ALIASES``).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

SWAP_OPS = {ast.Add: [ast.Sub, ast.Mult], ast.Sub: [ast.Add], ast.Mult: [ast.Add, ast.Div],
            ast.Div: [ast.Mult], ast.MatMult: [ast.Mult], ast.Pow: [ast.Mult]}
SWAP_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SWAP_CALLS = {"tanh": "sigmoid", "sigmoid": "tanh", "sum": "mean", "mean": "sum",
              "max": "min", "min": "max", "exp": "abs", "log": "abs", "argmax": "argmin",
              "reversed": "list", "sorted": "list"}


@dataclass
class Mutant:
    description: str
    line: int           # line in the answer cell
    source: str         # the answer cell, mutated
    identifiers: set    # what a precise message may name


def answer_cell(notebook: Path, function: str) -> tuple[list[str], str]:
    """(the code cells run before the answer, the answer cell defining function): the given
    cells as the learner has them, tests left out."""
    nb = nbformat.read(notebook, as_version=4)
    before = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.lstrip().startswith("# TEST"):
            continue
        if re.search(rf"^def {function}\(", cell.source, re.M) and BEGIN in cell.source:
            return before, cell.source
        before.append(cell.source)
    raise LookupError(f"no answer cell defines {function} in {notebook}")


def solution_lines(source: str) -> set[int]:
    """Line numbers (1-based) between the BEGIN and END SOLUTION markers."""
    lines, inside, found = source.splitlines(), False, set()
    for number, line in enumerate(lines, 1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            found.add(number)
    return found


def identifiers(node: ast.AST) -> set[str]:
    """Names, attribute names and string keys inside node."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            found.add(sub.value)
    return found


def targets(statement: ast.stmt) -> set[str]:
    """What statement assigns: its targets' names and keys, and the keys of a dict it
    returns (``return {"dWax": ...}`` assigns dWax)."""
    found = set()
    if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Dict):
        found |= {k.value for k in statement.value.keys
                  if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    for node in ast.walk(statement):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                found |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
                found |= {n.value for n in ast.walk(target)
                          if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def local_names(function: ast.FunctionDef) -> set[str]:
    names = {a.arg for a in function.args.args}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def edits(node: ast.AST, names: set[str], parent: ast.AST | None = None):
    """(description, replacement node) for each one-step change of node itself."""
    if isinstance(node, ast.BinOp):
        for op in SWAP_OPS.get(type(node.op), []):
            yield f"{type(node.op).__name__} -> {op.__name__}", ast.BinOp(node.left, op(),
                                                                            node.right)
        yield "right operand dropped", node.left
        yield "left operand dropped", node.right
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "minus dropped", node.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        swapped = SWAP_COMPARE.get(type(node.ops[0]))
        if swapped:
            yield f"{type(node.ops[0]).__name__} -> {swapped.__name__}", ast.Compare(
                node.left, [swapped()], node.comparators)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        for value in sorted({node.value + 1, 0 if node.value else 1, -node.value} - {node.value}):
            yield f"{node.value!r} -> {value!r}", ast.Constant(value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield f"{node.value} -> {not node.value}", ast.Constant(not node.value)
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield ".T dropped", node.value
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
        stem = node.id.split("_")[0]
        for other in sorted(names - {node.id}):
            if other.split("_")[0] == stem or other.rstrip("0123456789") == node.id.rstrip(
                    "0123456789"):
                yield f"{node.id} -> {other}", ast.Name(other, ast.Load())
        if not isinstance(parent, (ast.Subscript, ast.Attribute, ast.Call, ast.Tuple,
                                   ast.List, ast.Dict)):  # not a container, not a callee
            yield f"{node.id} -> -{node.id}", ast.UnaryOp(ast.USub(), node)
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in SWAP_CALLS:
            other = SWAP_CALLS[name]
            if isinstance(func, ast.Attribute):
                new = ast.Attribute(func.value, other, ast.Load()) if other not in (
                    "sigmoid", "list") else ast.Name(other, ast.Load())
            else:
                new = ast.Name(other, ast.Load())
            yield f"{name}() -> {other}()", ast.Call(new, node.args, node.keywords)
        if name in ("tanh", "exp", "sigmoid", "softmax", "log") and node.args:
            yield f"{name}() dropped", node.args[0]
        for i, keyword in enumerate(node.keywords):
            if keyword.arg == "axis" and isinstance(keyword.value, ast.Constant):
                for axis in (0, 1, -1, None):
                    if axis != keyword.value.value:
                        keywords = list(node.keywords)
                        keywords[i] = ast.keyword("axis", ast.Constant(axis))
                        yield f"axis={keyword.value.value} -> {axis}", ast.Call(
                            node.func, node.args, keywords)
            if keyword.arg == "keepdims":
                keywords = [k for k in node.keywords if k.arg != "keepdims"]
                yield "keepdims dropped", ast.Call(node.func, node.args, keywords)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
        for i, part in enumerate(node.slice.elts):
            if isinstance(part, (ast.Name, ast.BinOp)):
                for delta, word in ((1, "+ 1"), (-1, "- 1")):
                    elts = list(node.slice.elts)
                    elts[i] = ast.BinOp(part, ast.Add() if delta > 0 else ast.Sub(),
                                        ast.Constant(1))
                    yield f"index {ast.unparse(part)} {word}", ast.Subscript(
                        node.value, ast.Tuple(elts, ast.Load()), node.ctx)


class Replace(ast.NodeTransformer):
    """The tree with one node (target, found by identity) replaced."""

    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutants(source: str, function: str):
    """Every one-step mutant of function's lines between the solution markers."""
    tree = ast.parse(source)
    position = {id(node): i for i, node in enumerate(ast.walk(tree))}  # the same in a copy
    lines = solution_lines(source)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    names = local_names(fn)
    found = []
    for statement in ast.walk(fn):
        if not isinstance(statement, ast.stmt) or statement is fn:
            continue
        if getattr(statement, "lineno", None) not in lines:
            continue
        # only the statement's own expressions (nested statements are visited on their own)
        roots = [v for f, v in ast.iter_fields(statement)
                 if isinstance(v, ast.expr)] + [x for f, v in ast.iter_fields(statement)
                                                 if isinstance(v, list) for x in v
                                                 if isinstance(x, ast.expr)]
        assigned = targets(statement) if not isinstance(statement, (ast.For, ast.While,
                                                                     ast.If)) else set()
        parents = {child: node for root in roots for node in ast.walk(root)
                   for child in ast.iter_child_nodes(node)}
        for root in roots:
            for node in ast.walk(root):
                for description, replacement in edits(node, names, parents.get(node)):
                    mutated = copy.deepcopy(tree)
                    twin = list(ast.walk(mutated))[position[id(node)]]
                    replacement = copy.deepcopy(replacement)
                    new_tree = Replace(twin, replacement).visit(mutated)
                    ast.fix_missing_locations(new_tree)
                    try:
                        text = ast.unparse(new_tree)
                    except Exception:  # noqa: BLE001 - an edit that makes no code
                        continue
                    # where it is: the names of the expression changed, before and after,
                    # and for a constant (an axis, an index) of the expression holding it
                    near = identifiers(node) | identifiers(replacement)
                    holder = parents.get(node) if isinstance(node, ast.Constant) else None
                    while holder is not None and not isinstance(holder, (ast.Call, ast.BinOp,
                                                                         ast.Subscript,
                                                                         ast.Compare)):
                        holder = parents.get(holder)
                    if holder is not None:
                        near |= identifiers(holder)
                    if isinstance(statement, ast.For) and node in set(ast.walk(statement.iter)):
                        # a loop's range: what it changes is the loop variable's values
                        near |= {n.id for n in ast.walk(statement.target)
                                 if isinstance(n, ast.Name)}
                    found.append(Mutant(f"line {statement.lineno}: {description}",
                                        statement.lineno, text, near | assigned))
    return found
