"""A grading worker: ``python -m rnnlesson.grading.worker``, driven by ``grade.py`` over a pipe.

Each worker owns one nbgrader course directory (its own SQLite gradebook, so two workers
never contend for one database). The first line on stdin is the settings; every later line
is one (student, exercise) to grade. For each, the worker runs nbgrader's autograde,
generate_feedback and the CSV export plugin in-process, writes the feedback page and the
result file into OUT, and answers with the result as one JSON line.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

from .course import make_api, read_notebook, write_atomic
from .execute import classify_outputs
from .results import Result, ResultStore, simple_feedback, worst

AUTOGRADE_PREPROCESSORS = [
    "rnnlesson.grading.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def nbgrader_config(timeout: int, notebook_timeout: int):
    """Autograde settings: nbgrader's per-cell ``Execute.timeout`` plus a whole-notebook limit."""
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = timeout
    config.Execute.shutdown_kernel = "immediate"  # the notebook is done; no need to wait
    config.GuardedExecute.notebook_timeout = notebook_timeout
    config.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS
    return config


def export_score(root: Path, student: str, exercise: str) -> tuple[float, float]:
    """(score, max_score) of one submission, through nbgrader's CSV export plugin."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    dest = root / "export.csv"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        CsvExportPlugin(to=str(dest), student=[student], assignment=[exercise]).export(gradebook)
    with open(dest, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["student_id"] == student and row["assignment"] == exercise:
                return float(row["score"]), float(row["max_score"])
    raise RuntimeError(f"nbgrader export has no row for {student}/{exercise}")


def _tail(result: dict, lines: int = 15) -> str:
    text = (result.get("log", "") + result.get("error", "")).strip().splitlines()
    return "\n".join(text[-lines:])


def grade_unit(api, root: Path, out: Path, job: dict) -> Result:
    student, exercise = job["student"], job["exercise"]
    submitted = root / "submitted" / student / exercise
    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    shutil.copyfile(job["submission"], submitted / f"{exercise}.ipynb")
    feedback_out = out / "feedback" / student / f"{exercise}.html"

    def fail(detail: str) -> Result:
        result = Result(student, exercise, 0.0, job["max_score"], "grader-error", detail,
                        job["key"])
        write_atomic(feedback_out, simple_feedback(result))
        return result

    start = time.perf_counter()
    run = api.autograde(exercise, student, force=True, create=True)
    graded_at = time.perf_counter()
    if not run["success"]:
        return fail("nbgrader autograde failed:\n" + _tail(run))
    graded = read_notebook(root / "autograded" / student / exercise / f"{exercise}.ipynb")
    faults = classify_outputs(graded)
    if job["tampered"]:
        faults.add("tampered")
    run = api.generate_feedback(exercise, student, force=True)
    if not run["success"]:
        return fail("nbgrader generate_feedback failed:\n" + _tail(run))
    score, max_score = export_score(root, student, exercise)
    print(f"{student}/{exercise}: autograde {graded_at - start:.2f} s, feedback and export "
          f"{time.perf_counter() - graded_at:.2f} s", file=sys.stderr, flush=True)
    feedback = root / "feedback" / student / exercise / f"{exercise}.html"
    write_atomic(feedback_out, feedback.read_bytes())
    return Result(student, exercise, score, max_score, worst(faults), job["detail"], job["key"])


def main() -> None:
    # Answers go to a private copy of stdout; fd 1 itself (which kernels inherit) goes to
    # stderr, so nothing a student's code prints can corrupt the protocol.
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import nbgrader.apps  # noqa: F401  (the slow import, done while the course is being built)

    settings = json.loads(sys.stdin.readline())
    if not settings:
        return
    root, out = Path(settings["course"]), Path(settings["out"])
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    api = make_api(root, nbgrader_config(settings["timeout"], settings["notebook_timeout"]))
    store = ResultStore(out)
    for line in sys.stdin:
        job = json.loads(line)
        try:
            result = grade_unit(api, root, out, job)
        except Exception as err:  # one bad notebook must not stop the class
            result = Result(job["student"], job["exercise"], 0.0, job["max_score"],
                            "grader-error", f"{type(err).__name__}: {err}", job["key"])
            write_atomic(out / "feedback" / job["student"] / f"{job['exercise']}.html",
                         simple_feedback(result))
        store.save(result)
        answers.write(json.dumps(result.__dict__) + "\n")


if __name__ == "__main__":
    main()
