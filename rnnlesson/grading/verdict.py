"""Score and status of one graded notebook, read from its outputs by the grader alone.

Nothing the submission wrote into a gradebook counts: a test's points come from the
solution's ``# TEST:`` header (``points``), and a test passed when its cell ran to its end
(the guard's seal arrived), raised nothing and wrote nothing to stderr (nbgrader's rule).
The score and the status are computed from the same verdicts, so they always agree.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rnnlesson.checks import mistake_ids

from .execute import CELL_TIMEOUT, GUARD_FAILED, KERNEL_DIED, NOT_RUN, NOTEBOOK_TIMEOUT
from .results import worst

LIMIT_SIGNS = [  # (status, pattern in "ename: evalue") for a limit of the sandbox
    ("memory-limit", re.compile(r"^MemoryError\b")),
    ("file-size-limit", re.compile(r"\[Errno 27\]|File too large")),
    ("process-limit", re.compile(r"\[Errno 11\]|Resource temporarily unavailable|"
                                 r"can't start new thread")),
    ("cpu-limit", re.compile(r"CPU time limit")),
]


@dataclass
class TestVerdict:
    grade_id: str
    name: str
    points: float
    earned: float
    state: str          # passed, failed, not-run, tampered, uses-reference
    message: str = ""   # the error's one-line message, for the feedback page
    mistakes: tuple = ()

    def as_dict(self) -> dict:
        return asdict(self)


def _error_text(out) -> str:
    return f"{out.get('ename', '')}: {out.get('evalue', '')}"


def _limit(text: str) -> str | None:
    for status, pattern in LIMIT_SIGNS:
        if pattern.search(text):
            return status
    return None


def judge(nb, points: dict[str, float], names: dict[str, str]) -> tuple[list[TestVerdict], set]:
    """Per test cell its verdict, and the faults the notebook shows (status words)."""
    verdicts, faults = [], set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        is_test = bool(meta.get("grade")) and grade_id in points
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        stderr = [o for o in cell.get("outputs", [])
                  if o.output_type == "stream" and o.name == "stderr"]
        not_run = any(o.ename == NOT_RUN for o in errors)
        for out in errors:
            text = _error_text(out)
            if out.ename == KERNEL_DIED:
                faults.add(_limit(out.get("evalue", "")) or "kernel-died")
            elif out.ename in (CELL_TIMEOUT, NOTEBOOK_TIMEOUT):
                faults.add("timeout")
            elif out.ename == GUARD_FAILED:
                faults.add("grader-error")
            elif out.ename == "TamperedError":
                faults.add("tampered")
            elif out.ename != NOT_RUN:
                limit = _limit(text)
                if limit:
                    faults.add(limit)
                elif any(m.endswith("/uses-reference") for m in
                         mistake_ids(text + "\n".join(out.get("traceback", [])))):
                    faults.add("uses-reference")
                else:
                    faults.add("failed" if is_test else "error")
        if not is_test:
            continue
        if stderr:
            faults.add("failed")
        sealed = bool(cell.metadata.get("rnnlesson", {}).get("sealed"))
        message = _error_text(errors[-1]) if errors else ""
        found = tuple(dict.fromkeys(
            m for o in errors
            for m in mistake_ids(_error_text(o) + "\n".join(o.get("traceback", [])))))
        if not_run:
            state = "not-run"
        elif any(o.ename == "TamperedError" for o in errors) or (not errors and not sealed):
            state = "tampered"
            faults.add("tampered")
            message = message or ("the test did not run to its end: something in the "
                                  "notebook changed or silenced it")
        elif any(m.endswith("/uses-reference") for m in found):
            state = "uses-reference"
        elif errors or stderr:
            state = "failed"
            if stderr and not errors:
                message = "the test wrote to stderr (a warning counts as a failure)"
        else:
            state = "passed"
        earned = points[grade_id] if state == "passed" else 0.0
        verdicts.append(TestVerdict(grade_id, names.get(grade_id, grade_id),
                                    float(points[grade_id]), float(earned), state,
                                    message, found))
    for grade_id in points:  # a test whose cell is gone entirely scores 0
        if grade_id not in {v.grade_id for v in verdicts}:
            verdicts.append(TestVerdict(grade_id, names.get(grade_id, grade_id),
                                        float(points[grade_id]), 0.0, "not-run",
                                        "the test was not in the notebook"))
            faults.add("failed")
    return verdicts, faults


def score_of(verdicts: list[TestVerdict], max_score: float) -> float:
    """Points of the passed tests, clamped to [0, max_score]."""
    return min(max(sum(v.earned for v in verdicts), 0.0), max_score)


def status_of(faults: set, tampered_before: bool) -> str:
    return worst(faults | ({"tampered"} if tampered_before else set()))
