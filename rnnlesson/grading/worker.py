"""A grading worker: ``python -m rnnlesson.grading.worker``, driven over a pipe (``process.py``)
by ``grade.py``'s pool or by a dask worker's plugin (``distributed.py``).

Each worker owns one sandbox slot. The first line on stdin is the settings; every later
line is one (student, exercise) to grade. For each, the worker starts the submission's
sandbox (``sandbox.py``), whose runner executes the learner's cells (``runner.py``), replays
the exercise's tests here in its own process against calls into it (``replay.py``,
``trusted.py``), decides the verdicts and the status (``verdict.py``), renders the feedback
page (``feedback.py``) and answers with all of it as one JSON line. It writes nothing into
OUT: the grader's main process does. It dies with its parent (``PR_SET_PDEATHSIG``), and its
sandboxes with it.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from . import sandbox
from .course import read_notebook
from .feedback import Scrubber, page
from .replay import run_tests
from .results import Result
from .trusted import SandboxStopped, Session
from .verdict import TestVerdict, cell_faults, score_of, status_of, test_faults


def cells_to_run(nb) -> list[dict]:
    """The submission's code cells up to its last test, tests left out: what the sandbox runs."""
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    tests = [k for k, (_, c) in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade")]
    cells = cells[:tests[-1]] if tests else cells
    return [{"index": i, "source": c.source} for i, c in cells
            if not c.metadata.get("nbgrader", {}).get("grade") and c.source.strip()]


def grade_unit(job: dict, slot: sandbox.Sandbox | None, settings: dict) -> dict:
    """Grade one staged submission; returns the result, its page and its verdicts."""
    exercise = job["exercise"]
    nb = read_notebook(Path(job["submission"]))
    cells = cells_to_run(nb)
    home = Path(settings["course"]) / "home"

    def prepare() -> list[str]:
        if slot is not None:
            slot.prepare()
            return slot.command([], package=Path(job["package"]))
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        return ["/usr/bin/env", "-C", str(home)]

    session = Session(prepare, cells, settings["notebook_timeout"])
    if slot is not None:
        slot.oom_seen = False
    start = time.perf_counter()
    try:
        try:
            session.start()
        except SandboxStopped as stopped:
            verdicts = [TestVerdict(s["grade_id"], s["name"], s["points"], 0.0, "not-run",
                                    str(stopped)) for s in job["steps"] if s["kind"] == "test"]
            shown = {}
        else:
            verdicts, shown = run_tests(job["steps"], session, settings["timeout"])
    finally:
        session.stop()
        if slot is not None:
            slot.clean()
    print(f"{job['gid']}/{exercise}: graded in {time.perf_counter() - start:.2f} s",
          file=sys.stderr, flush=True)
    faults = cell_faults(session.cell_reports) | test_faults(verdicts) | session.faults
    if slot is not None and slot.oom_seen:  # the whole sandbox's memory, not one process's
        faults = (faults - {"kernel-died"}) | {"memory-limit"}
    status = status_of(faults, job["tampered"])
    result = Result(job["student"], exercise, score_of(verdicts, job["max_score"]),
                    job["max_score"], status, job["detail"], job["key"],
                    [[v.grade_id, m] for v in verdicts for m in v.mistakes])
    outputs = {r["index"]: r for r in session.cell_reports if isinstance(r, dict)}
    answers = []
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade") or meta.get("locked"):
            continue
        report = outputs.get(i, {})
        answers.append((cell.source, str(report.get("output", ""))))
    scrub = Scrubber(job["hidden_lines"], job["scrub_paths"])
    return {"result": result.__dict__, "verdicts": [v.as_dict() for v in verdicts],
            "page": page(result, answers, verdicts, scrub, job["show_tests"], shown,
                         job["steps"]).decode("utf-8")}


def grade_or_report(job: dict, slot: sandbox.Sandbox | None, settings: dict) -> dict:
    """`grade_unit`, or a ``grader-error`` reply if the grader itself failed on the notebook
    (one bad notebook must not stop the class)."""
    try:
        return grade_unit(job, slot, settings)
    except Exception as err:
        print(f"{job['gid']}/{job['exercise']}: {type(err).__name__}: {err}",
              file=sys.stderr, flush=True)
        result = Result(job["student"], job["exercise"], 0.0, job["max_score"],
                        "grader-error", "the grader failed on this notebook (its log has "
                        "the details); nothing in it was scored", job["key"])
        return {"result": result.__dict__, "verdicts": [], "page": page(result).decode("utf-8")}


def die_with_parent(parent: int) -> None:
    """Be killed when the grader dies, however it dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)


def main() -> None:
    die_with_parent(int(os.environ.get("RNNLESSON_GRADER_PID", os.getppid())))
    # Answers go to a private copy of stdout; fd 1 itself (which kernels inherit) goes to
    # stderr, so nothing a student's code prints can corrupt the protocol.
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import rnnlesson.checks  # noqa: F401  (the slow imports, done while the course is built)

    settings = json.loads(sys.stdin.readline())
    if not settings:
        return
    slot = None
    if settings["sandboxed"]:
        limits = sandbox.Limits(memory=settings["memory"],
                                cpu_seconds=settings["notebook_timeout"] + 60)
        slot = sandbox.Sandbox(Path(settings["sandbox_root"]), settings["slot"], limits)
    for line in sys.stdin:
        answers.write(json.dumps(grade_or_report(json.loads(line), slot, settings)) + "\n")


if __name__ == "__main__":
    main()
