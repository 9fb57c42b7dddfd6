"""Grading results: status words, one JSON file per (student, exercise), and grades.csv.

Every finished notebook's result is written at once to ``OUT/.rnnlesson-grade/results/``,
and ``OUT/grades.csv`` is rewritten (atomically) from the run's results after each one, so
an interrupted run loses nothing already graded and a re-run picks up where it stopped.
"""
from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .course import write_atomic

# Status words, most serious first: a notebook showing several faults gets the first one.
STATUSES = {
    "missing": "no notebook was submitted for this exercise (score 0)",
    "invalid-notebook": "the file is not a readable notebook, e.g. broken JSON (score 0)",
    "tampered": "a read-only cell (a test or given code) was edited or deleted; nbgrader "
                "put the original back before grading, so the real tests were run",
    "kernel-died": "the kernel died (e.g. os._exit, a crash); tests after it score 0",
    "timeout": "a cell ran past the per-cell timeout and was interrupted, or the whole "
               "notebook ran past its time limit; cells not run score 0",
    "error": "a cell that is not a test raised an exception (e.g. a NotImplementedError "
             "left in, a NameError)",
    "failed": "the notebook ran, but at least one test failed",
    "ok": "the notebook ran and every test passed",
    "grader-error": "nbgrader itself failed on this notebook (see the detail in the "
                    "result file); score 0",
}
PRECEDENCE = ["missing", "invalid-notebook", "grader-error", "tampered", "kernel-died",
              "timeout", "error", "failed", "ok"]
COLUMNS = ["student", "exercise", "score", "max_score", "status"]
STATE_DIR = ".rnnlesson-grade"


def worst(statuses) -> str:
    """The most serious of some status words ('ok' if there are none)."""
    return min(set(statuses) | {"ok"}, key=PRECEDENCE.index)


def format_points(x: float) -> str:
    """Points as a short fixed string: 3, 2.5, 0.33."""
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@dataclass
class Result:
    student: str
    exercise: str
    score: float
    max_score: float
    status: str
    detail: str = ""
    key: str = ""  # fingerprint of the inputs; a result is reused only if they are unchanged

    def row(self) -> list[str]:
        return [self.student, self.exercise, format_points(self.score),
                format_points(self.max_score), self.status]


class ResultStore:
    """Results kept under ``OUT/.rnnlesson-grade/results/<student>/<exercise>.json``."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.root = self.out / STATE_DIR / "results"
        self.current: dict[tuple[str, str], Result] = {}  # this run's results, for the CSV

    def path(self, student: str, exercise: str) -> Path:
        return self.root / student / f"{exercise}.json"

    def load(self, student: str, exercise: str) -> Result | None:
        try:
            data = json.loads(self.path(student, exercise).read_text(encoding="utf-8"))
            return Result(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save(self, result: Result) -> None:
        data = json.dumps(asdict(result), indent=1, sort_keys=True) + "\n"
        write_atomic(self.path(result.student, result.exercise), data.encode("utf-8"))

    def record(self, result: Result, saved: bool = False) -> None:
        """Count a result in this run (and store it, unless it already is)."""
        if not saved:
            self.save(result)
        self.current[result.student, result.exercise] = result

    def write_csv(self) -> int:
        """Rebuild grades.csv from this run's results so far; returns the rows written."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for unit in sorted(self.current):
            writer.writerow(self.current[unit].row())
        write_atomic(self.out / "grades.csv", buf.getvalue().encode("utf-8"))
        return len(self.current)


def simple_feedback(result: Result) -> bytes:
    """A small feedback page for a notebook nbgrader could not grade (missing, unreadable)."""
    title = f"{result.exercise}: {result.status}"
    body = (f"<h1>{html.escape(title)}</h1>\n<p>Score: {format_points(result.score)} / "
            f"{format_points(result.max_score)}</p>\n"
            f"<p>{html.escape(STATUSES.get(result.status, ''))}</p>\n"
            f"<pre>{html.escape(result.detail)}</pre>\n")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title></head>\n<body>\n{body}</body></html>\n").encode()
