"""Grade a whole class: ``rnnlesson grade SUBMISSIONS --out OUT``.

The steps, all in a temporary folder (never in the repository or the submissions):
1. build an nbgrader course from ``solutions/`` (``generate_assignment``);
2. check every ``<student>/<exercise>.ipynb`` (missing, invalid, tampered) on a copy;
3. hand the gradable ones to ``jobs`` worker processes, each with its own course copy and
   gradebook, which run nbgrader's autograde, generate_feedback and export;
4. store each result as it arrives and rebuild ``OUT/grades.csv`` from the stored results.

A result is reused on a re-run when its submission, its solution and the timeouts are
unchanged (``force`` regrades everything).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .course import build_course, notebook_bytes, read_notebook, solution_notebooks, write_atomic
from .markers import points_by_test, stamp
from .results import STATE_DIR, Result, ResultStore, simple_feedback
from .submissions import check_submission, list_students, submission_path, unpack

FORMAT_VERSION = 1
GRACE_SECONDS = 120  # beyond the notebook limit: kernel start, feedback, export
BAD_ID_CHARS = set(',"\n\r')


class GradeError(RuntimeError):
    """The class cannot be graded as asked (bad paths, no solutions, OUT in use ...)."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@contextlib.contextmanager
def claim_out(out: Path, protected: list[Path]):
    """Make OUT ready and hold its lock; refuse a folder holding someone else's files."""
    import fcntl

    out = out.resolve()
    for folder in protected:
        if _inside(out, folder.resolve()) or _inside(folder.resolve(), out):
            raise GradeError(f"--out {out} overlaps {folder}; choose a separate folder")
    if out.exists() and not out.is_dir():
        raise GradeError(f"--out {out} exists and is not a folder")
    state = out / STATE_DIR
    if out.is_dir() and any(out.iterdir()) and not state.is_dir():
        raise GradeError(f"--out {out} already holds files that rnnlesson grade did not "
                         "write; choose an empty or new folder")
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise GradeError(f"another rnnlesson grade is writing to {out}") from None
        yield out


class Pool:
    """``jobs`` worker processes, each on its own copy of the course; jobs go to whoever is free."""

    def __init__(self, jobs: int, work: Path, out: Path, settings: dict, hard_limit: float):
        self.jobs, self.work, self.out = jobs, work, out
        self.settings, self.hard_limit = settings, hard_limit
        self.procs: dict[int, subprocess.Popen] = {}
        self.ready: dict[int, tuple[subprocess.Popen, queue.Queue]] = {}
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def prestart(self, count: int) -> None:
        """Start workers now, so their imports overlap the building of the course."""
        for index in range(min(self.jobs, count)):
            self.ready[index] = self._start(index)

    def _start(self, index: int) -> tuple[subprocess.Popen, queue.Queue]:
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                   + os.environ.get("PATH", ""))
        env.pop("PYTHONSTARTUP", None)
        log = open(self.out / STATE_DIR / f"worker-{index}.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "rnnlesson.grading.worker"], cwd=self.work, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
            start_new_session=True)
        log.close()
        self.procs[index] = proc
        lines: queue.Queue = queue.Queue()

        def read():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        return proc, lines

    def _spawn(self, index: int) -> tuple[subprocess.Popen, queue.Queue]:
        """A worker (prestarted or new) told which course copy is its own."""
        course = self.work / f"course-{index}"
        if not course.exists():
            shutil.copytree(self.work / "template", course)
        proc, lines = self.ready.pop(index, None) or self._start(index)
        proc.stdin.write(json.dumps(dict(self.settings, course=str(course))) + "\n")
        proc.stdin.flush()
        return proc, lines

    def _kill(self, index: int) -> None:
        proc = self.procs.pop(index, None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait()

    def _drive(self, index: int, todo: queue.Queue, done) -> None:
        worker = None
        try:
            while not self.stop.is_set():
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    break
                if worker is None:
                    worker = self._spawn(index)
                proc, lines = worker
                try:
                    proc.stdin.write(json.dumps(job) + "\n")
                    proc.stdin.flush()
                    line = lines.get(timeout=self.hard_limit)
                except (OSError, queue.Empty):
                    line = None
                if self.stop.is_set():
                    break
                if line is None:
                    died = proc.poll() is not None
                    self._kill(index)
                    worker = None
                    status = "grader-error" if died else "timeout"
                    detail = ("the grading worker stopped unexpectedly" if died else
                              f"grading took longer than {self.hard_limit:.0f} s; stopped")
                    result = Result(job["student"], job["exercise"], 0.0, job["max_score"],
                                    status, detail, job["key"])
                    ResultStore(self.out).save(result)
                    write_atomic(self.out / "feedback" / job["student"]
                                 / f"{job['exercise']}.html", simple_feedback(result))
                else:
                    result = Result(**json.loads(line))
                done(result)
        except BaseException as err:  # surfaced in the main thread by run()
            self.errors.append(err)
            self.stop.set()
        finally:
            if worker is not None and not self.stop.is_set():
                worker[0].stdin.close()
                worker[0].wait()
                self.procs.pop(index, None)

    def run(self, jobs: list[dict], done) -> None:
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        threads = [threading.Thread(target=self._drive, args=(i, todo, done), daemon=True)
                   for i in range(min(self.jobs, len(jobs)))]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        finally:
            self.stop.set()
            for index in list(self.procs):
                self._kill(index)
            self.ready.clear()
        if self.errors:
            raise self.errors[0]


def _plan(root: Path, notebooks: list[Path], students: list[str], timeout: int,
          notebook_timeout: int) -> dict:
    """Per exercise: its max score and the fingerprint of its stamped source."""
    exercises = {}
    for path in notebooks:
        stamped = stamp(read_notebook(path), path.name)
        exercises[path.stem] = {"max_score": float(sum(points_by_test(stamped).values())),
                                "source_key": _sha(notebook_bytes(stamped))}
    keys = {}
    for student in students:
        for stem, info in exercises.items():
            path = submission_path(root, student, stem)
            data = path.read_bytes() if path.is_file() else None
            keys[student, stem] = _sha(json.dumps(
                [FORMAT_VERSION, _sha(data) if data is not None else None,
                 info["source_key"], timeout, notebook_timeout]).encode())
    return {"exercises": exercises, "keys": keys}


def grade(submissions, out, solutions="solutions", timeout: int = 30, jobs: int = 2,
          notebook_timeout: int | None = None, force: bool = False,
          on_result=None) -> list[Result]:
    """Grade every student's notebooks; returns the results sorted by student, exercise.

    ``on_result(result, done, total, reused)`` is called as each result is stored.
    """
    submissions, out, solutions = Path(submissions), Path(out), Path(solutions)
    notebooks = solution_notebooks(solutions)
    if not notebooks:
        raise GradeError(f"no solution notebooks (*.ipynb) in {solutions}")
    if not submissions.exists():
        raise GradeError(f"submissions not found: {submissions} (expected a folder with one "
                         "sub-folder per student, or a .zip of that)")
    if timeout < 1 or jobs < 1:
        raise GradeError("--timeout and --jobs must be at least 1")
    notebook_timeout = notebook_timeout or 10 * timeout
    protected = [solutions] + ([submissions] if submissions.is_dir() else [])
    with claim_out(out, protected) as out, \
            tempfile.TemporaryDirectory(prefix="rnnlesson-grade-") as tmp:
        work = Path(tmp)
        root = unpack(submissions, work)
        students = list_students(root)
        bad = [s for s in students if BAD_ID_CHARS & set(s)]
        if bad:
            raise GradeError("student folder names may not contain commas, quotes or line "
                             f"breaks: {bad}")
        plan = _plan(root, notebooks, students, timeout, notebook_timeout)
        units = sorted(plan["keys"])
        store = ResultStore(out)
        lock = threading.Lock()
        count = [0]

        def done(result: Result, reused: bool = False) -> None:
            with lock:
                count[0] += 1
                store.record(result, saved=reused)
                store.write_csv()
                if on_result is not None:
                    on_result(result, count[0], len(units), reused)

        todo = []
        for student, stem in units:
            old = store.load(student, stem)
            feedback = out / "feedback" / student / f"{stem}.html"
            if (not force and old is not None and old.key == plan["keys"][student, stem]
                    and feedback.is_file()):
                done(old, reused=True)
            else:
                todo.append((student, stem))
        store.write_csv()
        if not todo:
            return [store.current[unit] for unit in units]
        settings = {"out": str(out), "timeout": timeout, "notebook_timeout": notebook_timeout}
        pool = Pool(jobs, work, out, settings, hard_limit=notebook_timeout + GRACE_SECONDS)
        pool.prestart(len(todo))
        try:
            released = build_course(notebooks, work / "template")
        except BaseException:
            pool.run([], done)  # stops the prestarted workers
            raise
        handed_out = {stem: read_notebook(path) for stem, path in released.items()}
        pending = []
        for student, stem in todo:
            key, max_score = plan["keys"][student, stem], plan["exercises"][stem]["max_score"]
            checked = check_submission(submission_path(root, student, stem), handed_out[stem])
            if checked.status is not None:
                result = Result(student, stem, 0.0, max_score, checked.status,
                                checked.detail, key)
                write_atomic(out / "feedback" / student / f"{stem}.html",
                             simple_feedback(result))
                done(result)
                continue
            staged = work / "staged" / student / f"{stem}.ipynb"
            write_atomic(staged, notebook_bytes(checked.notebook))
            pending.append({"student": student, "exercise": stem, "submission": str(staged),
                            "tampered": checked.tampered, "detail": checked.detail,
                            "key": key, "max_score": max_score})
        pool.run(pending, done)
        store.write_csv()
        return [store.current[unit] for unit in units]
