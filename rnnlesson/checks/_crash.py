"""Where the learner's function crashed, and why: the line of their code, the shapes of the
arrays named on it, and, for an array whose shape is not the lecture's, the line of their
function that made it.

A crash is read as plain data (`facts`): at home from the traceback; in a grading sandbox the
runner reads it the same way and sends it (strings and numbers only), and `explain` words
the same lines in the grader's process. Letters: as in the lecture, e.g. y_pred is
(n_y, m, T_x); `lecture_shapes` evaluates them with a case's sizes.
"""

import ast
import functools
import io
import keyword
import linecache
import re
import site
import sys
import sysconfig
import tokenize
from pathlib import Path

import numpy as np

PACKAGE = Path(__file__).resolve().parents[1]
# IPython's cells (<ipython-input-3-1a2b>), ipykernel's (/tmp/ipykernel_123/456.py) and the
# tests' stand-ins for them (<learner cell: name>)
CELL = re.compile(r"^<(ipython-input-\d+-\w+|learner cell\b[^>]*)>$"
                  r"|[/\\]ipykernel_\d+[/\\]\w+\.py$")
MAX_ARRAYS, MAX_SOURCE, MAX_NAME = 6, 300, 60  # what crosses from a sandbox is capped

LECTURE = {  # each name of the lecture and its shape, in its letters
    "x": "(n_x, m, T_x)", "a": "(n_a, m, T_x)", "y_pred": "(n_y, m, T_x)",
    "da": "(n_a, m, T_x)", "dx": "(n_x, m, T_x)",
    "xt": "(n_x, m)", "a0": "(n_a, m)", "a_prev": "(n_a, m)", "a_next": "(n_a, m)",
    "yt_pred": "(n_y, m)", "dxt": "(n_x, m)", "da_next": "(n_a, m)", "da_prev": "(n_a, m)",
    "da0": "(n_a, m)", "dz": "(n_a, m)",
    "Wax": "(n_a, n_x)", "Waa": "(n_a, n_a)", "Wya": "(n_y, n_a)", "ba": "(n_a, 1)",
    "by": "(n_y, 1)", "dWax": "(n_a, n_x)", "dWaa": "(n_a, n_a)", "dba": "(n_a, 1)",
    "c_prev": "(n_a, m)", "c_next": "(n_a, m)", "dc_next": "(n_a, m)", "dc_prev": "(n_a, m)",
    "ft": "(n_a, m)", "it": "(n_a, m)", "cct": "(n_a, m)", "ot": "(n_a, m)", "dc": "(n_a, m)",
    "concat": "(n_a + n_x, m)", "dconcat": "(n_a + n_x, m)",
    **{f"{d}W{g}": "(n_a, n_a + n_x)" for g in "fico" for d in ("", "d")},
    **{f"{d}b{g}": "(n_a, 1)" for g in "fico" for d in ("", "d")},
    "ids": "(m, T_x)", "lengths": "(m,)",
}


def _size(node, sizes):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return sizes[node.id]  # KeyError: a letter this case does not give
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _size(node.left, sizes) + _size(node.right, sizes)
    raise KeyError(ast.dump(node))


def lecture_shapes(**sizes):
    """{name: (shape, letters)} for every name of LECTURE whose letters sizes gives, e.g.
    lecture_shapes(n_y=2, m=4, T_x=6)["y_pred"] == ((2, 4, 6), "(n_y, m, T_x)")."""
    shapes = {}
    for name, letters in LECTURE.items():
        node = ast.parse(letters, mode="eval").body
        try:
            shape = tuple(int(_size(n, sizes)) for n in getattr(node, "elts", [node]))
        except KeyError:
            continue
        shapes[name] = (shape, letters)
    return shapes


# --- whose frame is it ----------------------------------------------------------------------

@functools.cache
def _not_the_learners():
    """The folders of code that is not the learner's: rnnlesson, the standard library and
    every installed package (numpy's folder too, wherever it is installed)."""
    paths = {PACKAGE, Path(np.__file__).resolve().parent}
    paths |= {Path(sysconfig.get_paths()[key]).resolve()
              for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    for folder in [*getattr(site, "getsitepackages", list)(), site.getusersitepackages()]:
        paths.add(Path(folder).resolve())
    return tuple(paths)


def _installed(path):
    return any(Path(path).resolve().is_relative_to(p) for p in _not_the_learners())


def _module_file(namespace):
    """The file of the module whose namespace a frame runs in (None for a notebook's)."""
    name = namespace.get("__name__") if isinstance(namespace, dict) else None
    module = sys.modules.get(name) if isinstance(name, str) else None
    if module is None or getattr(module, "__dict__", None) is not namespace:
        return None
    return getattr(module, "__file__", None)


def _ipython_cell(filename):
    """Whether IPython's compiler (if IPython runs here) made filename for a cell."""
    getipython = sys.modules.get("IPython.core.getipython")
    shell = getipython.get_ipython() if getipython is not None else None
    return filename in getattr(getattr(shell, "compile", None), "_filename_map", {})


def is_learners(filename, namespace=None):
    """Whether code from filename (run in the module namespace, a frame's f_globals) is the
    learner's: a notebook cell, or a file in no installed package, not in the standard
    library, rnnlesson or numpy. A compiled module's relative name (numpy's
    "numpy/random/_generator.pyx") is found on sys.path or by its top-level package."""
    if CELL.search(filename) or _ipython_cell(filename):
        return True
    module_file = _module_file(namespace)
    if module_file and _installed(module_file):
        return False
    if filename.startswith("<"):  # <frozen ...>, <string>, numpy 1.x's <__array_function__ ...>
        return False
    path = Path(filename)
    if not path.is_absolute():
        top = sys.modules.get(re.split(r"[/\\.]", filename)[0])
        if getattr(top, "__file__", None) and _installed(top.__file__):
            return False
        found = [Path(entry or ".") / path for entry in sys.path if isinstance(entry, str)]
        path = next((p for p in found if p.exists()), path)
    return not _installed(path)


def learner_frame(tb):
    """(frame, line number) of the innermost frame of tb in the learner's code, or None."""
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if is_learners(frame.f_code.co_filename, frame.f_globals):
            found = (frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def learner_line(tb):
    """(line number, source line) of the innermost frame of tb in the learner's own code (see
    `is_learners`), or None if there is none."""
    found = learner_frame(tb)
    if found is None:
        return None
    frame, number = found
    return number, linecache.getline(frame.f_code.co_filename, number, frame.f_globals).strip()


# --- the facts of a crash -------------------------------------------------------------------

def _named(source):
    """[(label, name)] of the names on a line of code, in order: `xt` gives ("xt", "xt"),
    `params["Wya"]` ("params['Wya']", "Wya") as well as ("params", "params")."""
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            tokens.append(token)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # a line of a longer statement: the tokens read so far
    named = []
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string) \
                or (i and tokens[i - 1].string == "."):
            continue
        named.append((token.string, token.string))
        key = [t.string for t in tokens[i + 1:i + 4]]
        if len(key) == 3 and key[0] == "[" and key[2] == "]" \
                and tokens[i + 2].type == tokenize.STRING:
            try:
                item = ast.literal_eval(key[1])
            except (ValueError, SyntaxError):
                continue
            if isinstance(item, str):
                named.append((f"{token.string}[{item!r}]", item))
    return named


def _arrays_on(source, frame):
    """[[label, name, shape text]] of the arrays named on source, read from frame."""
    arrays, seen = [], set()
    for label, name in _named(source):
        if label in seen:
            continue
        seen.add(label)
        base = label.split("[", 1)[0]
        value = frame.f_locals.get(base, frame.f_globals.get(base))
        if label != base:
            value = value.get(name) if isinstance(value, dict) else None
        if isinstance(value, np.ndarray):
            arrays.append([label, name, str(tuple(int(n) for n in value.shape))])
    return arrays[:MAX_ARRAYS]


def _function_node(frame):
    """The ast of the function (or module) the frame runs, parsed from its source."""
    code = frame.f_code
    text = "".join(linecache.getlines(code.co_filename, frame.f_globals))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    if code.co_name == "<module>":
        return tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == \
                code.co_name and code.co_firstlineno in [node.lineno] + [
                    d.lineno for d in node.decorator_list]:
            return node
    return None


def _bound(target):
    """The names a target of an assignment (or a for loop) binds."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for item in target.elts for name in _bound(item)]
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return []


def _passes_through(value, name):
    """Whether an assignment's value only passes name's array on (`ft = sigmoid(ft)`,
    `a = a + b`): its shape was made before, by an earlier assignment."""
    if value is None:
        return False
    parents = {child: node for node in ast.walk(value) for child in ast.iter_child_nodes(node)}
    uses = [node for node in ast.walk(value) if isinstance(node, ast.Name) and node.id == name]
    return bool(uses) and all(
        isinstance(parents.get(use), (ast.BinOp, ast.UnaryOp))
        or (isinstance(parents.get(use), ast.Call) and use in parents[use].args)
        for use in uses)


ALLOCATORS = {"zeros", "ones", "empty", "full"}


def _could_make(value, frame, seen) -> bool:
    """False only when value is an allocation (np.zeros((n_a, m)), ...) whose shape,
    evaluated with the frame's sizes, or an array's name whose shape is not the shape seen;
    True otherwise."""
    if seen is not None and isinstance(value, ast.Name):  # a_prev = a0: a0's shape now
        other = frame.f_locals.get(value.id)
        shape = getattr(other, "shape", None)
        return not isinstance(shape, tuple) or str(shape) == seen
    if seen is None or not isinstance(value, ast.Call) or not value.args:
        return True
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ALLOCATORS:
        return True
    shape = value.args[0]
    allowed = (ast.Tuple, ast.Name, ast.Constant, ast.BinOp, ast.operator, ast.Attribute,
               ast.Subscript, ast.Slice, ast.Load)
    if not all(isinstance(node, allowed) for node in ast.walk(shape)):
        return True
    try:  # names, numbers and arithmetic only (checked above): sizes such as (n_a, m)
        made = eval(compile(ast.Expression(shape), "<shape>", "eval"),  # noqa: S307
                    {"__builtins__": {}}, dict(frame.f_locals))
    except Exception:  # noqa: BLE001 - a size not known here: no evidence
        return True
    made = (made,) if isinstance(made, int) else tuple(made) if isinstance(made, tuple) else None
    return made is None or str(made) == seen


def _made(frame, number, names, shapes=None):
    """{name: [line, source]} of the statement of frame's function that made each of names
    (bound it, other than by passing it on, see `_passes_through`) last before line number,
    or, made only later in a loop, the last one."""
    function = _function_node(frame) if names else None
    if function is None:
        return {}
    found = {name: [] for name in names}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            targets, value = [node.target], None
        else:
            continue
        end = node.iter.end_lineno if value is None else node.end_lineno  # a loop's header
        for name in {n for t in targets for n in _bound(t)} & set(names):
            found[name].append((node.lineno, end, value))
    made = {}
    for name, bindings in found.items():
        bindings.sort(key=lambda b: b[0])
        # a binding whose allocation could not have made the shape seen is not the origin
        seen = (shapes or {}).get(name)
        bindings = [b for b in bindings if _could_make(b[2], frame, seen)] or bindings
        chosen = bindings[-1][0] if bindings else None
        for line, _, value in reversed([b for b in bindings if b[1] < number]):
            chosen = line
            if not _passes_through(value, name):
                break
        if chosen is not None:
            source = linecache.getline(frame.f_code.co_filename, chosen, frame.f_globals)
            made[name] = [chosen, source.strip()[:200]]
    return made


def facts(tb):
    """What the learner's crash shows, as data: {"line": [number, source], "arrays":
    [[label, name, shape]] named on that line, "made": {name: [number, source]}}, or None."""
    found = learner_frame(tb)
    if found is None:
        return None
    frame, number = found
    source = linecache.getline(frame.f_code.co_filename, number, frame.f_globals).strip()
    arrays = _arrays_on(source, frame)
    made = _made(frame, number, [name for label, name, _ in arrays if label == name],
                 {name: shape for label, name, shape in arrays if label == name})
    return {"line": [number, source[:MAX_SOURCE]], "arrays": arrays, "made": made}


def checked(data):
    """facts sent from a sandbox, kept only as the strings and numbers they should be (None
    if they are not facts)."""
    try:
        line = data.get("line")
        line = [int(line[0]), str(line[1])[:MAX_SOURCE]] if line else None
        arrays = [[str(label)[:MAX_NAME], str(name)[:MAX_NAME], str(shape)[:40]]
                  for label, name, shape in list(data.get("arrays") or [])[:MAX_ARRAYS]]
        made = {str(name)[:MAX_NAME]: [int(where[0]), str(where[1])[:200]]
                for name, where in list(dict(data.get("made") or {}).items())[:MAX_ARRAYS]}
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    return {"line": line, "arrays": arrays, "made": made}


def explain(crash, shapes, line_shown=True):
    """At most two lines: the arrays named on the learner's line, with their shapes, and the
    first of them whose shape is not the lecture's (shapes: {name: (shape, letters)}), with
    the line that made it. line_shown: whether the message already quotes that line."""
    if not crash or not crash.get("arrays"):
        return []
    listed = ", ".join(f"{label} {shape}" for label, _, shape in crash["arrays"])
    where = crash.get("line")
    if line_shown or not where:
        lines = [f"On that line: {listed}."]
    else:
        lines = [f"On line {where[0]} of your code (`{where[1]}`): {listed}."]
    for label, name, shape in crash["arrays"]:
        expected = tuple(int(n) for n in shapes[name][0]) if name in (shapes or {}) else None
        if expected is None or str(expected) == shape:
            continue
        letters = shapes[name][1]
        text = f"{label} should be {letters} = {expected}; yours is {shape}"
        made = crash.get("made", {}).get(name) if label == name else None
        lines.append(text + (f", made at line {made[0]}: `{made[1]}`." if made else "."))
        break
    return lines


BROADCAST = re.compile(r"could not be broadcast together with (?:remapped )?shapes "
                       r"((?:\[[^\]]*\]|\([^)]*\))\s*)+")
SHAPE = re.compile(r"[\[(]([^\])]*)[\])]")


def _compatible(a, b):
    """Whether shapes a and b (same length) broadcast against each other."""
    return all(x == y or x == 1 or y == 1 for x, y in zip(a, b, strict=True))


def _matrix_product(shapes, arrays, line):
    """The line for two 2-D shapes (p, q) and (q, r) that `*` could not broadcast but `@`
    multiplies: an element-wise product written where a matrix product is meant. With the
    learner's line known it must hold a `*`; without it, shapes that are each other's
    transpose are left alone (as likely a .T forgotten in a sum)."""
    a, b = shapes
    if len(a) != 2 or len(b) != 2 or _compatible(a, b):
        return None
    if line is not None and not re.search(r"(?<![*])\*(?![*=])|multiply", line):
        return None
    if line is None and a == b[::-1]:
        return None
    if a[1] != b[0]:
        if b[1] != a[0]:
            return None
        a, b = b, a
    names = {}
    for label, _, shape in arrays or []:
        names.setdefault(shape.replace(" ", ""), label)
    left = names.get(str(a).replace(" ", ""))
    right = names.get(str(b).replace(" ", ""))
    if left and right and left != right:
        product = (f"the product of {left} {a} and {right} {b} is `{left} @ {right}`, of "
                   f"shape {(a[0], b[1])}")
    else:
        product = f"the matrix product of a {a} and a {b} array is `A @ B` (or np.dot)"
    return (f"`*` multiplies entry by entry (it needs shapes that broadcast); {product}: "
            "a matrix times a matrix or a column is written with @.")


def broadcast_hint(message, arrays=None, line=None):
    """One line on what a broadcasting error's two shapes say, or None: an axis reduced
    without keepdims (the shorter shape is the longer with one axis gone), a size-1 axis
    put in the wrong place (moved elsewhere, it would broadcast), or `*` between a (p, q) and
    a (q, r) array, where `@` was meant (arrays: the crash's [label, name, shape] on the
    learner's line, to name the two operands; line: that line's source)."""
    found = BROADCAST.search(str(message))
    if not found:
        return None
    shapes = [tuple(int(n) for n in re.findall(r"-?\d+", group))
              for group in SHAPE.findall(found.group(0))]
    if len(shapes) != 2:
        return None
    for long, short in (shapes, shapes[::-1]):
        axes = [j for j in range(len(long)) if long[:j] + long[j + 1:] == short] \
            if len(long) == len(short) + 1 else []
        if axes:
            which = f"axis {axes[0]}" if len(axes) == 1 else "one axis"
            return (f"An array of shape {short} is one of shape {long} with {which} reduced "
                    "away (a sum, max or mean): keep that axis as size 1 (keepdims=True) so "
                    "that it broadcasts against the other.")
    for a, b in (shapes, shapes[::-1]):
        if len(a) != len(b) or 1 not in a or _compatible(a, b):
            continue
        j = a.index(1)
        rest = a[:j] + a[j + 1:]
        for k in range(len(a)):
            moved = rest[:k] + (1,) + rest[k:]
            if k != j and _compatible(moved, b):
                return (f"The array of shape {a} has its size-1 axis at position {j}; against "
                        f"{b} it is needed at position {k}, giving {moved} (put the None or "
                        "the reshape's 1 there).")
    return _matrix_product(shapes, arrays, line)
