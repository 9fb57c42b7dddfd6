"""A grading worker: ``python -m rnnlesson.grading.worker``, driven by ``grade.py`` over a pipe.

Each worker owns one nbgrader course directory (its own SQLite gradebook, so two workers
never contend for one database) and one sandbox slot. The first line on stdin is the
settings; every later line is one (student, exercise) to grade. For each, the worker runs
nbgrader's autograde in-process, the kernel inside the sandbox (``sandbox.py``), judges the
graded notebook's outputs (``verdict.py``), renders the feedback page (``feedback.py``) and
answers with all of it as one JSON line. It writes nothing into OUT: the grader's main
process does. It dies with its parent (``PR_SET_PDEATHSIG``), and its kernels with it.
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
from .course import make_api, read_notebook
from .feedback import Scrubber, page
from .results import Result
from .verdict import judge, score_of, status_of

# nbgrader's own list, less what scores from the gradebook: verdict.py scores instead
AUTOGRADE_PREPROCESSORS = [
    "rnnlesson.grading.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def nbgrader_config(timeout: int, notebook_timeout: int, sandboxed: bool = True):
    """Autograde settings: nbgrader's per-cell ``Execute.timeout`` plus a whole-notebook limit."""
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = timeout
    config.Execute.shutdown_kernel = "immediate"  # the notebook is done; no need to wait
    config.GuardedExecute.notebook_timeout = notebook_timeout
    config.GuardedExecute.sandboxed = sandboxed
    config.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS
    return config


def grade_unit(api, root: Path, job: dict, slot: sandbox.Sandbox | None) -> dict:
    """Autograde one staged submission; returns the result, its page and its verdicts."""
    gid, exercise = job["gid"], job["exercise"]
    submitted = root / "submitted" / gid / exercise
    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    shutil.copyfile(job["submission"], submitted / f"{exercise}.ipynb")
    scrub = Scrubber(job["hidden_lines"], job["scrub_paths"])

    def answer(status, detail, score=0.0, nb=None, verdicts=()):
        result = Result(job["student"], exercise, score, job["max_score"], status, detail,
                        job["key"], [[v.grade_id, m] for v in verdicts for m in v.mistakes])
        return {"result": result.__dict__, "verdicts": [v.as_dict() for v in verdicts],
                "page": page(result, nb, verdicts, scrub, job["show_tests"]).decode("utf-8")}

    start = time.perf_counter()
    if slot is not None:
        slot.prepare()
        sandbox.ACTIVE = slot
    try:
        run = api.autograde(exercise, gid, force=True, create=True)
    finally:
        if slot is not None:
            slot.clean()
    print(f"{gid}/{exercise}: autograde {time.perf_counter() - start:.2f} s", file=sys.stderr,
          flush=True)
    if not run["success"]:
        print(run.get("log", "") + run.get("error", ""), file=sys.stderr, flush=True)
        return answer("grader-error", "nbgrader could not run this notebook (the grader's log "
                      "has the details); nothing in it was scored")
    graded = read_notebook(root / "autograded" / gid / exercise / f"{exercise}.ipynb")
    verdicts, faults = judge(graded, job["points"], job["names"])
    status = status_of(faults, job["tampered"])
    return answer(status, job["detail"], score_of(verdicts, job["max_score"]), graded,
                  verdicts)


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
    import nbgrader.apps  # noqa: F401  (the slow import, done while the course is being built)

    settings = json.loads(sys.stdin.readline())
    if not settings:
        return
    root = Path(settings["course"])
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    api = make_api(root, nbgrader_config(settings["timeout"], settings["notebook_timeout"],
                                         settings["sandboxed"]))
    slot = None
    if settings["sandboxed"]:
        limits = sandbox.Limits(memory=settings["memory"],
                                cpu_seconds=settings["notebook_timeout"] + 60)
        slot = sandbox.Sandbox(Path(settings["sandbox_root"]), settings["slot"], limits)
    for line in sys.stdin:
        job = json.loads(line)
        try:
            reply = grade_unit(api, root, job, slot)
        except Exception as err:  # one bad notebook must not stop the class
            print(f"{job['gid']}/{job['exercise']}: {type(err).__name__}: {err}",
                  file=sys.stderr, flush=True)
            result = Result(job["student"], job["exercise"], 0.0, job["max_score"],
                            "grader-error", "the grader failed on this notebook (its log has "
                            "the details); nothing in it was scored", job["key"])
            reply = {"result": result.__dict__, "verdicts": [],
                     "page": page(result).decode("utf-8")}
        answers.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
