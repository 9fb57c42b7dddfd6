"""Grade a whole class: ``rnnlesson grade SUBMISSIONS --out OUT``.

The steps, all in a private temporary folder (never in the repository or the submissions):
1. release the exercises from ``solutions/`` (nbgrader's ``generate_assignment``), read each
   solution into the steps its tests replay (``replay.plan``), and build, per exercise, the
   package without its answer key (``answer_key.py``);
2. check every ``<student>/<exercise>.ipynb`` (missing, invalid, too big, tampered,
   duplicated cells, stripped metadata) on a copy;
3. hand the gradable ones to ``jobs`` worker processes, each with its own sandbox slot; a
   worker runs the notebook's cells in the sandbox and its tests in its own process
   (``worker.py``), and sends back the result and the feedback page; with ``scheduler``,
   the same work is done by the workers of a dask cluster instead (``distributed.py``);
4. store each result (signed) and its page as it arrives, and rebuild ``OUT/grades.csv``.
Only this process writes OUT.

A result is reused on a re-run when its submission, its solution and the settings are
unchanged and its signature shows the grader wrote it (``force`` regrades everything).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import answer_key, cgroups, feedback, lms, mistakes, replay
from .course import build_course, notebook_bytes, read_notebook, solution_notebooks, write_atomic
from .markers import BEGIN_HIDDEN, END_HIDDEN, classify, points_by_test, stamp
from .process import GradingProcess
from .progress import Progress
from .results import STATE_DIR, Result, ResultStore
from .sandbox import SandboxError, find_bwrap
from .submissions import check_submission, collect_students, submission_path, unpack

FORMAT_VERSION = 3
GRACE_SECONDS = 120  # beyond the notebook limit: kernel start, feedback
TEMP_PREFIX = "rnnlesson-grade-"
MIN_MEMORY = 256 * 1024**2


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

    def __init__(self, jobs: int, work: Path, out: Path, settings: dict, hard_limit: float,
                 on_start=None):
        self.jobs, self.work, self.out = jobs, work, out
        self.on_start = on_start or (lambda job: None)  # a job handed to a worker
        self.settings, self.hard_limit = settings, hard_limit
        self.procs: dict[int, GradingProcess] = {}  # running, settings sent or not
        self.ready: dict[int, GradingProcess] = {}  # prestarted, no settings yet
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def prestart(self, count: int) -> None:
        """Start workers now, so their imports overlap the building of the course."""
        for index in range(min(self.jobs, count)):
            self.ready[index] = self._start(index)

    def _start(self, index: int) -> GradingProcess:
        proc = GradingProcess(self.work, self.out / STATE_DIR / f"worker-{index}.log")
        self.procs[index] = proc
        return proc

    def _spawn(self, index: int) -> GradingProcess:
        """A worker (prestarted or new) told which folder is its own."""
        course = self.work / f"worker-{index}"
        course.mkdir(exist_ok=True)
        proc = self.ready.pop(index, None) or self._start(index)
        proc.begin(dict(self.settings, course=str(course), slot=index,
                        sandbox_root=str(self.work / f"sandbox-{index}")))
        return proc

    def _kill(self, index: int) -> None:
        proc = self.procs.pop(index, None)
        if proc is not None:
            proc.kill()

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
                self.on_start(job)
                reply = worker.reply(job, self.hard_limit)
                if self.stop.is_set():
                    break
                if worker.died():  # killed at the limit, or dead: the next job gets a new one
                    self.procs.pop(index, None)
                    worker = None
                result = Result(**reply["result"])
                if (result.student, result.exercise) != (job["student"], job["exercise"]):
                    raise RuntimeError("a grading worker answered for another notebook")
                done(result, reply["page"].encode("utf-8"))
        except BaseException as err:  # surfaced in the main thread by run()
            self.errors.append(err)
            self.stop.set()
        finally:
            if worker is not None and not self.stop.is_set():
                worker.close()
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


def hidden_lines(stamped) -> list[str]:
    """The lines of every hidden test region (what no feedback page may show)."""
    lines, inside = [], False
    for cell in stamped.cells:
        for line in cell.source.splitlines():
            if BEGIN_HIDDEN in line:
                inside = True
            elif END_HIDDEN in line:
                inside = False
            elif inside:
                lines.append(line)
    return lines


def choose_exercises(notebooks: list[Path], wanted, solutions: Path) -> list[Path]:
    """The solution notebooks named by ``wanted`` (a stem, or its ``exNN`` prefix)."""
    chosen = []
    for name in wanted:
        found = [p for p in notebooks if p.stem == name or p.stem.split("-", 1)[0] == name]
        if not found:
            known = ", ".join(p.stem.split("-", 1)[0] for p in notebooks)
            raise GradeError(f"--exercise {name}: no such exercise in {solutions} (expected "
                             f"one of {known}, or a full name such as {notebooks[0].stem})")
        chosen += [p for p in found if p not in chosen]
    return sorted(chosen)


def check_solutions(notebooks: list[Path], solutions: Path) -> None:
    """Refuse a folder of handed-out exercises given as ``--solutions``."""
    for path in notebooks:
        kinds = classify(read_notebook(path), path.name)
        if not any(k["kind"] == "solution" for k in kinds):
            raise GradeError(
                f"--solutions {solutions}: {path.name} has no '### BEGIN SOLUTION' region, so "
                "it is not a solution notebook (is this the exercises/ folder the learners "
                "got?); give the folder of solution notebooks, e.g. --solutions solutions")


def clean_stale_temp() -> list[str]:
    """Remove temporary folders of earlier runs whose grader is no longer alive."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(TEMP_PREFIX + "*"):
        try:
            pid = int((folder / "owner").read_text())
            os.kill(pid, 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            if time.time() - folder.stat().st_mtime < 3600:
                continue  # no owner file yet: maybe a run that is starting
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(str(folder))
    for folder in Path("/tmp").glob("rnnlesson-kernel-*"):  # sockets of a killed run's kernel
        try:
            if time.time() - folder.stat().st_mtime > 24 * 3600:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass
    return removed


def _plan(folders: dict[str, Path], notebooks: list[Path], settings: list) -> dict:
    """Per exercise: its stamped source's facts; per unit: the fingerprint of its inputs."""
    exercises = {}
    for path in notebooks:
        stamped = stamp(read_notebook(path), path.name)
        points = points_by_test(stamped)
        exercises[path.stem] = {"max_score": float(sum(points.values())),
                                "steps": replay.plan(stamped),
                                "hidden": hidden_lines(stamped),
                                "source_key": _sha(notebook_bytes(stamped))}
    keys = {}
    for student, folder in folders.items():
        for stem, info in exercises.items():
            path = submission_path(folder, stem)
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
            keys[student, stem] = _sha(json.dumps(
                [FORMAT_VERSION, _sha(data) if data is not None else None,
                 info["source_key"], *settings]).encode())
    return {"exercises": exercises, "keys": keys}


def answer_keys(notebooks: list[Path], stems: set[str], dest: Path,
                sandboxed: bool) -> dict[str, str]:
    """{exercise: the package copy without its answer key} for the exercises to grade (built
    side by side; none when grading unconfined, which is for measuring only)."""
    from concurrent.futures import ThreadPoolExecutor

    if not sandboxed:
        return {}
    chosen = [path.resolve() for path in notebooks if path.stem in stems]
    with ThreadPoolExecutor(max_workers=4) as pool:  # each runs its solution in a process
        used = list(pool.map(answer_key.used_by_solution, chosen))
    return {path.stem: str(answer_key.build(path, dest / path.stem, found))
            for path, found in zip(chosen, used, strict=True)}


def write_class_summary(out: Path, results: list[Result]) -> None:
    """OUT/mistakes.csv and OUT/summary.html: the mistakes the checks named, class-wide."""
    rows = [(r.student, r.exercise, test, mistake) for r in results
            for test, mistake in r.mistakes]
    graded = {}
    for r in results:
        graded.setdefault(r.exercise, [])
        if r.status not in ("missing", "invalid-notebook", "grader-error"):
            graded[r.exercise].append(r.student)
    mistakes.write_mistakes_csv(out / "mistakes.csv", rows)
    write_atomic(out / "summary.html", mistakes.class_summary_html(rows, graded))


def grade(submissions, out, solutions="solutions", timeout: int = 30, jobs: int = 2,
          notebook_timeout: int | None = None, force: bool = False,
          on_result=None, memory: int = 2 * 1024**3, sandboxed: bool = True,
          show_tests: bool = False, on_notice=None, exercises=None,
          formats=(), scheduler: str | None = None, progress=None) -> list[Result]:
    """Grade every student's notebooks; returns the results sorted by student, exercise.

    ``exercises``: grade only these (stems, or their ``exNN`` prefix); ``formats``: also write
    the gradebook for these learning platforms (``lms.FORMATS``).
    ``on_result(result, done, total, reused)`` is called as each result is stored;
    ``on_notice(text)`` for what the instructor should know (folders skipped, a stored
    result not written by the grader, a zip unpacked). ``sandboxed=False`` runs kernels
    unconfined, for measuring the sandbox's cost only.
    ``scheduler``: grade on a dask cluster instead of ``jobs`` local worker processes
    (``tcp://HOST:PORT``, or ``local:N`` for a cluster of N processes started here; see
    ``distributed.py``); ``progress``: a `progress.Progress` kept up to date.
    """
    submissions, out, solutions = Path(submissions), Path(out), Path(solutions)
    notice = on_notice or (lambda text: None)
    if timeout < 1 or jobs < 1:
        raise GradeError(f"--timeout and --jobs must be at least 1, got --timeout {timeout} "
                         f"and --jobs {jobs}")
    if scheduler is not None:
        from .distributed import parse_scheduler

        parse_scheduler(scheduler)  # a clear error before anything is built
        if not sandboxed:
            raise GradeError("--scheduler grades in the workers' sandboxes only: a cluster "
                             "never runs a notebook unconfined")
    if memory < MIN_MEMORY:
        raise GradeError(f"--memory must be at least {MIN_MEMORY // 1024**2} MiB (numpy and "
                         f"the kernel need it), got {memory // 1024**2} MiB")
    try:
        notebooks = solution_notebooks(solutions)
    except FileNotFoundError:
        raise GradeError(f"--solutions {solutions}: folder not found") from None
    if not notebooks:
        raise GradeError(f"--solutions {solutions}: no solution notebooks (*.ipynb) in it")
    if exercises:
        notebooks = choose_exercises(notebooks, exercises, solutions)
    unknown = sorted(set(formats) - set(lms.FORMATS))
    if unknown:
        raise GradeError(f"--format {', '.join(unknown)}: expected one of "
                         f"{', '.join(lms.FORMATS)}")
    check_solutions(notebooks, solutions)
    if not submissions.exists():
        raise GradeError(f"submissions not found: {submissions} (expected a folder with one "
                         "sub-folder per student, or a .zip of that)")
    if sandboxed and scheduler is None:  # a cluster's workers check their own machines
        try:
            find_bwrap()
        except SandboxError as err:
            raise GradeError(str(err)) from None
        notice(cgroups.available()[1])
    notebook_timeout = notebook_timeout or 10 * timeout
    protected = [solutions] + ([submissions] if submissions.is_dir() else [])
    with claim_out(out, protected) as out, \
            tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
        work = Path(tmp)
        (work / "owner").write_text(str(os.getpid()))
        for folder in clean_stale_temp():
            notice(f"removed the temporary folder of an earlier run that was stopped: {folder}")
        root = unpack(submissions, work)
        folders, notes = collect_students(root, work)
        for text in notes:
            notice(text)
        settings = [timeout, notebook_timeout, memory, sandboxed, show_tests]
        plan = _plan(folders, notebooks, settings)
        units = sorted(plan["keys"])
        store = ResultStore(out)
        lock = threading.Lock()
        count = [0]
        progress = progress if progress is not None else Progress()
        progress.begin(len(units))
        running = set()  # units handed to a worker and not yet stored

        def started(job: dict) -> None:
            with lock:
                running.add((job["student"], job["exercise"]))
            progress.started()

        def done(result: Result, page: bytes | None = None, reused: bool = False) -> None:
            with lock:
                count[0] += 1
                store.record(result, page)
                store.write_csv()
                unit = (result.student, result.exercise)
                progress.finished(result.status, reused, unit in running)
                running.discard(unit)
                if on_result is not None:
                    on_result(result, count[0], len(units), reused)

        todo = []
        for student, stem in units:
            old, why = store.load(student, stem)
            if why:
                notice(f"{student}/{stem}: {why}; graded again")
            if not force and old is not None and old.key == plan["keys"][student, stem]:
                done(old, reused=True)
            else:
                todo.append((student, stem))
        store.write_csv()
        if not todo:
            results = [store.current[unit] for unit in units]
            write_class_summary(out, results)
            lms.write(out, results, formats)
            return results
        settings = {"timeout": timeout, "notebook_timeout": notebook_timeout,
                    "memory": memory, "sandboxed": sandboxed}
        pool = Pool(jobs, work, out, settings, hard_limit=notebook_timeout + GRACE_SECONDS,
                    on_start=started)
        if scheduler is None:
            pool.prestart(len(todo))
        try:
            released = build_course(notebooks, work / "template")
            keys = answer_keys(notebooks, {stem for _, stem in todo}, work / "answer-keys",
                               sandboxed)
        except BaseException:
            pool.run([], done)  # stops the prestarted workers
            raise
        handed_out = {stem: read_notebook(path) for stem, path in released.items()}
        scrub_paths = [str(work), str(out), str(solutions.resolve()),
                       str(submissions.resolve()), str(Path(__file__).resolve().parents[2]),
                       sys.prefix, sys.base_prefix, str(Path.home())]
        gids = {student: f"s{i:05d}" for i, student in enumerate(sorted(folders))}
        pending = []
        for student, stem in todo:
            key, info = plan["keys"][student, stem], plan["exercises"][stem]
            checked = check_submission(submission_path(folders[student], stem),
                                       handed_out[stem], folders[student])
            if checked.status is not None:
                result = Result(student, stem, 0.0, info["max_score"], checked.status,
                                checked.detail, key)
                done(result, feedback.page(result))
                continue
            staged = work / "staged" / gids[student] / f"{stem}.ipynb"
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(notebook_bytes(checked.notebook))
            pending.append({"student": student, "gid": gids[student], "exercise": stem,
                            "submission": str(staged), "tampered": checked.tampered,
                            "detail": checked.detail, "key": key,
                            "max_score": info["max_score"], "steps": info["steps"],
                            "package": keys.get(stem), "hidden_lines": info["hidden"],
                            "scrub_paths": scrub_paths, "show_tests": show_tests})
        if scheduler is None:
            pool.run(pending, done)
        else:
            from .distributed import grade_on_cluster

            grade_on_cluster(scheduler, pending, settings, work / "answer-keys", done,
                             started, notice)
        store.write_csv()
        results = [store.current[unit] for unit in units]
        write_class_summary(out, results)
        lms.write(out, results, formats)
        return results
