"""Grading results: status words, one JSON file per (student, exercise), and grades.csv.

Every finished notebook's result is written at once to ``OUT/.rnnlesson-grade/results/``,
and ``OUT/grades.csv`` is rewritten (atomically) from the run's results after each one, so
an interrupted run loses nothing already graded and a re-run picks up where it stopped.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import write_atomic

# Status words, most serious first: a notebook showing several faults gets the first one.
STATUSES = {
    "missing": "no notebook was submitted for this exercise (score 0)",
    "invalid-notebook": "the file is not a readable notebook (e.g. broken JSON, or larger "
                        "than the grader reads), or its zip was refused (score 0)",
    "tampered": "a read-only cell (a test or given code) was edited or deleted (the "
                "original was put back and the real tests were run), or the notebook's code "
                "broke its connection with the grader (the tests after that score 0)",
    "uses-reference": "the answer calls the package's own version of the function the "
                      "exercise asks for (not available while grading); those tests score 0",
    "memory-limit": "the notebook used more memory than the sandbox allows; cells after "
                    "it may not have run",
    "process-limit": "the notebook started more processes or threads than the sandbox "
                     "allows",
    "file-size-limit": "the notebook wrote more than the sandbox allows (a file too large, "
                       "or its home or /tmp full)",
    "cpu-limit": "the notebook used more CPU time than the sandbox allows; it was stopped",
    "kernel-died": "the notebook's process died (e.g. os._exit, a crash); the test running "
                   "then scores 0",
    "timeout": "a call of the learner's function ran past the per-test time limit, or the "
               "notebook's cells ran past the notebook's limit; those tests score 0",
    "error": "a cell that is not a test raised an exception (e.g. a NameError); the tests "
             "still ran",
    "failed": "the notebook ran, but at least one test failed",
    "ok": "the notebook ran and every test passed",
    "grader-error": "the grader could not grade this notebook (the detail says why); "
                    "score 0",
}
PRECEDENCE = ["missing", "invalid-notebook", "grader-error", "tampered", "uses-reference",
              "memory-limit", "process-limit", "file-size-limit", "cpu-limit", "kernel-died",
              "timeout", "error", "failed", "ok"]
COLUMNS = ["student", "exercise", "score", "max_score", "status"]
STATE_DIR = ".rnnlesson-grade"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(text: str) -> str:
    """A CSV cell that no spreadsheet reads as a formula: one starting with =, +, -, @ (or
    their full-width forms, or a tab or line break) gets a leading apostrophe (OWASP's
    advice), which Excel, LibreOffice and Google Sheets show as text."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


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
    mistakes: list = field(default_factory=list)  # [test grade id, mistake id] the checks named

    def row(self) -> list[str]:
        return [self.student, self.exercise, format_points(self.score),
                format_points(self.max_score), self.status]


def grader_key() -> bytes:
    """The key this account's grader signs its results with (created on first use).

    It lives outside OUT, in the instructor's own state folder (mode 0600), which no
    sandbox can see: a result file that is not signed with it was not written by the
    grader, and is graded again.
    """
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    path = Path(base) / "rnnlesson" / "grading.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".grading.key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # the first writer wins; a racing run reads its key
        except FileExistsError:
            pass
        tmp.unlink()
    return path.read_text().strip().encode()


class ResultStore:
    """Results kept under ``OUT/.rnnlesson-grade/results/<student>/<exercise>.json``.

    Only the grader's main process writes here. Each result is signed (HMAC-SHA256 with
    ``grader_key``) together with the digest of its feedback page, so a result or a page
    that appeared from elsewhere is never reused.
    """

    def __init__(self, out: Path, key: bytes | None = None):
        self.out = Path(out)
        self.root = self.out / STATE_DIR / "results"
        self.key = key if key is not None else grader_key()
        self.current: dict[tuple[str, str], Result] = {}  # this run's results, for the CSV

    def path(self, student: str, exercise: str) -> Path:
        return self.root / student / f"{exercise}.json"

    def feedback_path(self, student: str, exercise: str) -> Path:
        return self.out / "feedback" / student / f"{exercise}.html"

    def _sign(self, fields: dict, page: bytes) -> str:
        message = json.dumps([fields, hashlib.sha256(page).hexdigest()], sort_keys=True)
        return hmac.new(self.key, message.encode(), hashlib.sha256).hexdigest()

    def load(self, student: str, exercise: str) -> tuple[Result | None, str]:
        """(the stored result, "") if the grader wrote it and its page; else (None, why)."""
        path = self.path(student, exercise)
        if not path.exists():
            return None, ""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            signature = data.pop("signature", "")
            page = self.feedback_path(student, exercise).read_bytes()
            result = Result(**data)
        except (OSError, ValueError, TypeError):
            return None, "its stored result or feedback page is unreadable"
        if not hmac.compare_digest(str(signature), self._sign(asdict(result), page)):
            return None, "its stored result or feedback page was not written by rnnlesson grade"
        return result, ""

    def save(self, result: Result, page: bytes) -> None:
        """Write the feedback page, then the signed result (the result last: it vouches)."""
        write_atomic(self.feedback_path(result.student, result.exercise), page)
        fields = asdict(result)
        data = dict(fields, signature=self._sign(fields, page))
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path(result.student, result.exercise), text.encode("utf-8"))

    def record(self, result: Result, page: bytes | None = None) -> None:
        """Count a result in this run (and store it with its page, unless it already is)."""
        if page is not None:
            self.save(result, page)
        self.current[result.student, result.exercise] = result

    def write_csv(self) -> int:
        """Rebuild grades.csv from this run's results so far; returns the rows written.

        Student ids are written as they are, except that one a spreadsheet would read as a
        formula gets a leading apostrophe (`spreadsheet_safe`); the csv module quotes one that
        holds a comma, a quote or a line break.
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for unit in sorted(self.current):
            writer.writerow([spreadsheet_safe(cell) for cell in self.current[unit].row()])
        write_atomic(self.out / "grades.csv", buf.getvalue().encode("utf-8"))
        return len(self.current)

