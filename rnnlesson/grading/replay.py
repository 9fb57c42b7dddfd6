"""Replay an exercise's solution notebook in the grader's process against a learner's sandbox.

`plan` reads a stamped solution notebook, up to its last test, into steps: ``given`` code
(run here as the author wrote it), ``answer`` cells (the names they define: each function
becomes a `trusted.Remote` calling the learner's), and ``test`` cells split into their
visible check and their hidden tests. `run_tests` runs the steps in one fresh namespace and
returns one verdict per test. A test passes when its code, visible and hidden, runs to its
end without an exception; what it prints and any warning are kept for the page and never
fail it. A failure's mistake id is the one the check raised (``CheckFailure.mistake``),
never text read from an output.
"""
from __future__ import annotations

import ast
import contextlib
import io
import re
import time
import warnings

from .markers import BEGIN_HIDDEN, END_HIDDEN, parse_test_header
from .trusted import CallTimeout, Remote, SandboxStopped, Session
from .verdict import TestVerdict

HIDDEN_FAILED = "a hidden test of this cell found a wrong result"
MISTAKE_ID = re.compile(r"^ex\d\d/[a-z0-9-]{1,60}$")


def _defined_names(source: str) -> tuple[list[str], list[str]]:
    """(functions, other names) an answer cell defines at its top level."""
    functions, values = [], []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values += [t.id for t in targets if isinstance(t, ast.Name)]
    return functions, values


def _split_test(source: str) -> tuple[str, str]:
    """(visible code, hidden code) of a test cell; the hidden part keeps its line numbers."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            inside = True
            visible.append("")
            hidden.append("")
        elif END_HIDDEN in line:
            inside = False
            visible.append("")
            hidden.append("")
        else:
            (hidden if inside else visible).append(line)
            (visible if inside else hidden).append("")
    return "\n".join(visible) + "\n", "\n".join(hidden) + "\n"


def plan(stamped) -> list[dict]:
    """The steps of a stamped solution notebook, up to its last test (JSON-able)."""
    steps = []
    for cell in stamped.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            header = parse_test_header(cell.source.splitlines()[0])
            visible, hidden = _split_test(cell.source)
            steps.append({"kind": "test", "grade_id": meta["grade_id"],
                          "name": header[0] if header else meta["grade_id"],
                          "points": float(meta.get("points", 0)),
                          "visible": visible, "hidden": hidden})
        elif meta.get("solution"):
            functions, values = _defined_names(cell.source)
            steps.append({"kind": "answer", "functions": functions, "values": values})
        else:
            steps.append({"kind": "given", "source": cell.source})
    last = max((i for i, s in enumerate(steps) if s["kind"] == "test"), default=-1)
    return steps[:last + 1]


def _run(code: str, namespace: dict, label: str):
    """Run code here; returns (printed text, the exception or None)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(code, label, "exec"), namespace)
        except Exception as error:  # the test's verdict, read below
            return out.getvalue(), error
    return out.getvalue(), None


def _verdict(step, state, message="", mistakes=()) -> TestVerdict:
    earned = step["points"] if state == "passed" else 0.0
    return TestVerdict(step["grade_id"], step["name"], step["points"], earned, state,
                       message, tuple(mistakes))


def _judge(step, error, hidden: bool) -> TestVerdict:
    mistake = getattr(error, "mistake", None)
    if isinstance(mistake, str) and MISTAKE_ID.match(mistake):
        # a CheckFailure the grader's own check raised: its message is the learner's feedback
        state = "uses-reference" if mistake.endswith("/uses-reference") else "failed"
        return _verdict(step, state, str(error), (mistake,))  # as JupyterLab shows it
    if hidden:  # never a hidden test's own text or values
        return _verdict(step, "failed", HIDDEN_FAILED)
    return _verdict(step, "failed", f"{type(error).__name__}: {error}"[:2000])


def run_tests(steps: list[dict], session: Session, timeout: float) -> tuple[list, dict]:
    """Run the steps against the session; returns (verdicts, {grade_id: text shown})."""
    namespace: dict = {"__name__": "__grader__"}
    verdicts, shown = [], {}
    for index, step in enumerate(steps):
        if step["kind"] == "given":
            _, error = _run(step["source"], namespace, f"<given code {index}>")
            if error is not None:
                raise RuntimeError(f"the solution's given code failed here: {error!r}")
        elif step["kind"] == "answer":
            for name in step["functions"]:
                namespace[name] = Remote(session, name)
            for name in step["values"]:
                namespace[name] = _fetch(session, name)
        else:
            session.deadline = time.monotonic() + timeout
            verdict, text = _test(step, namespace, session)
            session.deadline = None
            verdicts.append(verdict)
            shown[step["grade_id"]] = text + session.take_output()
    return verdicts, shown


def _fetch(session: Session, name: str):
    try:
        return session.call("get", name)
    except (Exception, CallTimeout, SandboxStopped):
        return None  # a test that reads it fails on its own


def _test(step, namespace, session) -> tuple[TestVerdict, str]:
    printed = ""
    try:
        for part, hidden in (("visible", False), ("hidden", True)):
            text, error = _run(step[part], namespace, f"<test {step['name']}>")
            printed += "" if hidden else text
            if error is not None:
                return _judge(step, error, hidden), printed
    except CallTimeout:
        session.faults.add("timeout")
        return _verdict(step, "failed", f"the test ran past its time limit ({step['name']}); "
                        "a call of your function did not return in time"), printed
    except SandboxStopped as stopped:
        return _verdict(step, "not-run", str(stopped)), printed
    return _verdict(step, "passed"), printed
