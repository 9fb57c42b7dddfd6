"""The package as a sandbox sees it while one exercise is graded: without its answer key.

For exercise N, every function of ``rnnlesson`` that would compute what the exercise asks the
learner to write (the package's own ``rnn_cell_forward`` for exercise 3, and what runs
inside it, ``rnn_forward`` on one step, ...) is replaced in a copy of the package by a stub
with the same signature and docstring that raises `AnswerWithheld`. The copy is bound
read-only over the package inside that exercise's sandboxes, so the answer's code is not in
any file the learner's code can import, read or copy. Everything else the exercise may use
(what its text gives, the functions of the exercises before it) stays.

Which functions: those whose code the references of the exercise's functions run
(``rnnlesson.checks._guard.fingerprint``, found by running each reference once on a tiny
example), less any code that the exercise's own notebook runs when its solution is run
(`used_by_solution`: what the text gives, and what the given cells before the last test
use, must keep working; grading runs a notebook only up to its last test).
"""
from __future__ import annotations

import ast
import compileall
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import rnnlesson
from rnnlesson.checks._common import EXERCISE
from rnnlesson.checks._guard import GUARDS, fingerprint

PACKAGE = Path(rnnlesson.__file__).resolve().parent
MESSAGE = ("{name} does what this exercise asks you to write (or part of it), so the "
           "package's own is not available while this exercise is graded. Write it yourself, "
           "from numpy operations.")


def exercise_of(stem: str) -> str:
    return stem.split("-", 1)[0]


def _profile_notebook(path: str) -> None:
    """Run a solution notebook's code cells up to its last test, tests aside (what grading
    runs of a submission); print the package code they ran."""
    import contextlib
    import io

    with open(path, encoding="utf-8") as fh:
        cells = [c for c in json.load(fh)["cells"] if c["cell_type"] == "code"]
    tests = [i for i, c in enumerate(cells) if "".join(c["source"]).startswith("# TEST")]
    cells = cells[:tests[-1] if tests else len(cells)]
    seen = set()

    def hook(frame, event, arg):
        if event == "call":
            seen.add(frame.f_code)

    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells:
            source = "".join(cell["source"])
            if source.startswith("# TEST"):
                continue
            sys.setprofile(hook)
            try:
                exec(compile(source, "<cell>", "exec"), namespace)
            finally:
                sys.setprofile(None)
    print(json.dumps(sorted({(str(Path(c.co_filename).resolve()), c.co_name, c.co_firstlineno)
                             for c in seen if c.co_filename.startswith(str(PACKAGE))})))


def used_by_solution(solution: Path) -> set[tuple[str, str, int]]:
    """{(file, function, first line)} of the package that the solution notebook runs, tests
    aside (in a separate process, figures drawn off screen)."""
    env = dict(os.environ, MPLBACKEND="agg")
    run = subprocess.run([sys.executable, "-c", "import sys; from rnnlesson.grading.answer_key "
                          "import _profile_notebook as p; p(sys.argv[1])", str(solution)],
                         capture_output=True, text=True, env=env, cwd=solution.parent,
                         timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"running {solution.name} to find what it uses failed:\n"
                           f"{run.stderr[-2000:]}")
    return {(f, n, int(line)) for f, n, line in json.loads(run.stdout.splitlines()[-1])}


def withheld_code(stem: str, used=frozenset()) -> dict[Path, set[tuple[str, int]]]:
    """{module file: {(function name, first line)}} to withhold while grading ``stem``;
    used: what the exercise's solution runs (`used_by_solution`), never withheld."""
    found: dict[Path, set[tuple[str, int]]] = {}
    for function, exercise in EXERCISE.items():
        if exercise != exercise_of(stem) or function not in GUARDS:
            continue
        for code in fingerprint(function):
            place = (str(Path(code.co_filename).resolve()), code.co_name, code.co_firstlineno)
            if code.co_name.startswith("<") or place in used:  # lambdas: inside a function
                continue
            found.setdefault(Path(place[0]), set()).add(place[1:])
    for path, functions in check_code(used).items():
        found.setdefault(path, set()).update(functions)
    return found


def check_code(used=frozenset()) -> dict[Path, set[tuple[str, int]]]:
    """{module file: {(function name, first line)}} of every function of the exercises'
    check modules (``rnnlesson/checks/<name>.py``; the shared ``_`` modules aside), less
    what the solution runs (used): the checks run in the grader, never in a sandbox, and
    their references and recomputed slips (an LSTM step, a BPTT loop) are answers too."""
    found: dict[Path, set[tuple[str, int]]] = {}
    for path in sorted((PACKAGE / "checks").glob("[!_]*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        resolved = str(path.resolve())
        at_import = called_at_import(tree)
        for node in tree.body:  # nested functions go with theirs; classes (models) stay
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if (resolved, node.name, first) in used or (resolved, node.name,
                                                        node.lineno) in used:
                continue
            if node.name in at_import:
                continue
            found.setdefault(path.resolve(), set()).add((node.name, node.lineno))
    return found


def called_at_import(tree: ast.Module) -> set[str]:
    """Names a module calls while it is imported: decorators, and calls outside functions
    (they must keep working for the module to import at all)."""
    called = set()

    def visit(node):  # a function's body runs later: only its decorators and defaults now
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                for decorator in node.decorator_list:
                    called.update(n.id for n in ast.walk(decorator) if isinstance(n, ast.Name))
                for default in node.args.defaults + node.args.kw_defaults:
                    if default is not None:
                        visit(default)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(node.func.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    # and what those call in turn, for the module's own functions and classes
    bodies = {node.name: {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
                          and isinstance(n.func, ast.Name)}
              for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    todo = list(called)
    while todo:
        for name in bodies.get(todo.pop(), ()):
            if name not in called:
                called.add(name)
                todo.append(name)
    return called


class _Stub(ast.NodeTransformer):
    def __init__(self, targets: set[tuple[str, int]], module: str):
        self.targets, self.done, self.module = targets, set(), module

    def visit_FunctionDef(self, node):
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        key = next((k for k in ((node.name, node.lineno), (node.name, first))
                    if k in self.targets), None)
        if key is None:
            self.generic_visit(node)
            return node
        self.done.add(key)
        for inner in ast.walk(node):  # nested functions go with the one stubbed
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([inner.lineno] + [d.lineno for d in inner.decorator_list])
                self.done |= {(inner.name, inner.lineno), (inner.name, first)}
        body = []
        if ast.get_docstring(node) is not None:
            body.append(node.body[0])
        text = MESSAGE.format(name=f"{self.module}.{node.name}")
        body += ast.parse("from rnnlesson.grading.withheld import AnswerWithheld\n"
                          f"raise AnswerWithheld({text!r})").body
        node.body = body
        return node


def build(solution: Path, dest: Path, used=None) -> Path:
    """A copy of the package at ``dest/rnnlesson`` without the answer key of the exercise
    whose solution notebook is ``solution`` (used: its `used_by_solution`, if known)."""
    target = dest / "rnnlesson"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    used = used_by_solution(solution) if used is None else used
    for path, functions in withheld_code(solution.stem, used).items():
        if not path.is_relative_to(PACKAGE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(("rnnlesson", *path.relative_to(PACKAGE).with_suffix("").parts))
        stub = _Stub(functions, module.removesuffix(".__init__"))
        tree = ast.fix_missing_locations(stub.visit(tree))
        missing = functions - stub.done
        if missing:
            raise RuntimeError(f"could not withhold {sorted(missing)} in {path}")
        (target / path.relative_to(PACKAGE)).write_text(ast.unparse(tree) + "\n",
                                                        encoding="utf-8")
    compileall.compile_dir(str(target), quiet=1)
    for folder in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        folder.chmod(0o755)
    for path in target.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    return target
