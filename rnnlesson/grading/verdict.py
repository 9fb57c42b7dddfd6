"""Score and status of one graded notebook, decided by the grader alone.

A test's points come from the solution's ``# TEST:`` header and its verdict from running it
in the grader's process (``replay.py``); nothing the submission printed, wrote or stored
counts. The score and the status are computed from the same verdicts, so they always agree.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .results import worst

LIMIT_SIGNS = [  # (status, pattern in "type: message") for a limit of the sandbox
    ("memory-limit", re.compile(r"^(MemoryError|_ArrayMemoryError)\b|Unable to allocate")),
    ("file-size-limit", re.compile(r"\[Errno 27\]|File too large|\[Errno 28\]|"
                                   r"No space left on device")),
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
    state: str          # passed, failed, not-run, uses-reference
    message: str = ""   # what the learner is told (a check's message, never a hidden test)
    mistakes: tuple = ()

    def as_dict(self) -> dict:
        return asdict(self)


def limit_status(text: str) -> str | None:
    """The status of a sandbox limit that an error's "type: message" shows, if any."""
    for status, pattern in LIMIT_SIGNS:
        if pattern.search(text):
            return status
    return None


def cell_faults(reports: list[dict]) -> set[str]:
    """Status words for the notebook's own cells that raised (a limit, or "error")."""
    faults = set()
    for report in reports:
        error = report.get("error") if isinstance(report, dict) else None
        if isinstance(error, dict):
            text = f"{error.get('type', '')}: {error.get('message', '')}"
            faults.add(limit_status(text) or "error")
    return faults


def test_faults(verdicts: list[TestVerdict]) -> set[str]:
    faults = set()
    for v in verdicts:
        if v.state == "uses-reference":
            faults.add("uses-reference")
        elif v.state != "passed":
            faults.add("failed")
    return faults


def score_of(verdicts: list[TestVerdict], max_score: float) -> float:
    """Points of the passed tests, clamped to [0, max_score]."""
    return min(max(sum(v.earned for v in verdicts), 0.0), max_score)


def status_of(faults: set, tampered_before: bool) -> str:
    return worst(faults | ({"tampered"} if tampered_before else set()))
