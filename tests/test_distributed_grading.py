"""``rnnlesson grade --scheduler``: a class graded on a dask cluster on 127.0.0.1.

The slow tests start a dask scheduler and two worker processes (each under its nanny, as
``dask worker`` runs by default) and grade a small class through them: the same grades.csv,
byte for byte, as local grading; a worker SIGKILLed mid-task; a driver killed and started
again; a poison submission that kills every worker it reaches; the scheduler lost.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from dask_poison_preload import POISON_MARK
from test_grading import answer, course, put, run_cli

from rnnlesson.cli import main
from rnnlesson.grading import distributed as dist
from rnnlesson.grading.grade import GradeError
from rnnlesson.grading.progress import Progress
from rnnlesson.grading.sandbox import SandboxError

TESTS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ALLOWED_FAILURES = 1  # the test scheduler gives up on a task after it killed 2 workers


def need(condition: bool, what: str) -> None:
    """Skip without ``what`` here; on CI (CI=true) fail instead, never skip."""
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is needed and missing on CI")
        pytest.skip(f"needs {what}")


def tools() -> None:
    need((BIN / "dask").is_file(), "the dask command (make test installs it from the lock)")
    need(os.path.exists("/usr/bin/bwrap"), "bubblewrap (/usr/bin/bwrap)")


class Cluster:
    """A scheduler and ``workers`` worker processes (with nannies) on 127.0.0.1."""

    def __init__(self, folder: Path, workers: int = 2):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=str(
            ALLOWED_FAILURES))
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS.parent), env.get("PYTHONPATH", "")])
        self.env = env
        self.procs = [self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port",
                                                "0", "--no-dashboard", "--scheduler-file",
                                                str(self.file)])]
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.file.exists(), (folder / "scheduler.log").read_text()
        self.address = json.loads(self.file.read_text())["address"]
        for index in range(workers):
            self.procs.append(self._start(f"worker-{index}", [
                "worker", "--scheduler-file", str(self.file), "--host", "127.0.0.1",
                "--nthreads", "1", "--no-dashboard", "--name", f"w{index}",
                "--preload", str(TESTS / "dask_poison_preload.py")]))
        if workers:
            self.wait_for_workers(workers)

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")
        return subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=log,
                                env=self.env, start_new_session=True)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="20s")

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=timeout)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def descendants(pid: int) -> set[int]:
    """Every process below pid (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1]
                             .split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def make_class(exercises: Path, folder: Path, right: int = 5) -> None:
    """``right`` students with both exercises right, and one each of: partly wrong, a cell
    that raises, a dead kernel, an edited test, a broken file, nothing handed in."""
    for i in range(right):
        put(folder, f"k{i}-right", answer(exercises))
        put(folder, f"k{i}-right", answer(exercises, stem="ex01-again"), stem="ex01-again")
    put(folder, "b-partial", answer(exercises, "    return 2 * x if x >= 0 else 0",
                                    "    return [n]"))
    nb = answer(exercises)
    cell = next(c for c in nb.cells if "def double" in c.source)
    cell.source = "raise RuntimeError('not finished')\n" + cell.source
    put(folder, "c-raises", nb)
    put(folder, "e-exit", answer(exercises, countdown="    import os\n    os._exit(1)"))
    nb = answer(exercises, double="    return 0")
    test = next(c for c in nb.cells if c.source.startswith("# TEST: double a number"))
    test.source = "# TEST: double a number (1 point)\nassert True"
    put(folder, "f-edited", nb)
    put(folder, "h-invalid", '{"cells": [ this is not json')
    (folder / "i-missing").mkdir()


def grade_cli(setup, out: Path, *extra):
    return run_cli("grade", setup.submissions, "--out", out, "--solutions", setup.solutions,
                   "--timeout", 5, *extra)


def rows(csv_text: str) -> list[str]:
    return csv_text.splitlines()[1:]


def result_files(out: Path) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes())
            for p in (out / ".rnnlesson-grade" / "results").rglob("*.json")}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The class, its grades.csv graded locally (--jobs 2), and a running cluster."""
    tools()
    tmp = tmp_path_factory.mktemp("dask-class")
    solutions, exercises = course(tmp)
    submissions = tmp / "submissions"
    make_class(exercises, submissions)
    local = run_cli("grade", submissions, "--out", tmp / "local", "--solutions", solutions,
                    "--timeout", 5, "--jobs", 2)
    assert local.returncode == 0, local.stderr
    cluster = Cluster(tmp / "cluster")
    try:
        yield SimpleNamespace(tmp=tmp, solutions=solutions, exercises=exercises,
                              submissions=submissions, cluster=cluster,
                              local=(tmp / "local" / "grades.csv").read_bytes())
    finally:
        cluster.stop()


@pytest.mark.slow
def test_a_class_graded_on_the_cluster_matches_local_grading(setup):
    out = setup.tmp / "on-cluster"
    run = grade_cli(setup, out, "--scheduler", setup.cluster.address)
    assert run.returncode == 0, run.stderr
    assert (out / "grades.csv").read_bytes() == setup.local
    assert len(rows(setup.local.decode())) == 22
    assert "running" in run.stdout and "failed 0" in run.stdout
    for line in rows(setup.local.decode()):
        student, exercise = line.split(",")[:2]
        assert (out / "feedback" / student / f"{exercise}.html").is_file()
    again = grade_cli(setup, out, "--scheduler", setup.cluster.address)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("(kept from an earlier run)") == 22


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_no_row_and_leaves_nothing_running(setup):
    out = setup.tmp / "worker-killed"
    killed = {}

    def kill_a_busy_worker():
        with setup.cluster.client() as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = [w for w, keys in client.processing().items() if keys]
                pids = client.run(os.getpid) if busy else {}
                for worker in busy:
                    below = descendants(pids[worker])
                    if any("bwrap" in Path(f"/proc/{p}/cmdline").read_bytes().decode(
                            errors="replace") for p in below if alive(p)):
                        os.kill(pids[worker], signal.SIGKILL)  # while its sandbox runs
                        killed.update(pid=pids[worker], below=below)
                        break
                time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    run = grade_cli(setup, out, "--scheduler", setup.cluster.address)
    killer.join()
    assert killed, "no worker was caught grading"
    assert run.returncode == 0, run.stderr
    text = (out / "grades.csv").read_bytes()
    assert text == setup.local
    units = [tuple(line.split(",")[:2]) for line in rows(text.decode())]
    assert len(units) == len(set(units)) == 22
    time.sleep(1)
    assert not [p for p in killed["below"] | {killed["pid"]} if alive(p)]
    setup.cluster.wait_for_workers(2)  # the nanny started a new worker in its place


@pytest.mark.slow
def test_a_driver_killed_and_started_again_regrades_nothing_it_wrote(setup):
    out = setup.tmp / "driver-killed"
    driver = subprocess.Popen(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(setup.submissions), "--out",
         str(out), "--solutions", str(setup.solutions), "--timeout", "5", "--scheduler",
         setup.cluster.address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    # 8 rows (missing, invalid) are stored before any grading: 12 means 4 notebooks graded
    while len(result_files(out)) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.kill()
    driver.wait()
    before = result_files(out)
    assert 12 <= len(before) < 22, len(before)
    again = grade_cli(setup, out, "--scheduler", setup.cluster.address)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("(kept from an earlier run)") == len(before)
    after = result_files(out)
    assert {p: after[p] for p in before} == before  # not one rewritten
    assert (out / "grades.csv").read_bytes() == setup.local


@pytest.mark.slow
def test_a_poison_submission_ends_as_grader_error_and_the_class_goes_on(setup):
    submissions = setup.tmp / "with-poison"
    shutil.copytree(setup.submissions, submissions)
    nb = answer(setup.exercises)
    nb.cells[-1].source += f"\n# {POISON_MARK}"
    put(submissions, "p-poison", nb)
    out = setup.tmp / "poison"
    run = run_cli("grade", submissions, "--out", out, "--solutions", setup.solutions,
                  "--timeout", 5, "--scheduler", setup.cluster.address)
    assert run.returncode == 0, run.stderr
    graded = rows((out / "grades.csv").read_text())
    assert [r for r in graded if r.startswith("p-poison,")] == [
        "p-poison,ex00-toy,0,5,grader-error", "p-poison,ex01-again,0,5,missing"]
    assert [r for r in graded if not r.startswith("p-poison,")] == rows(setup.local.decode())
    detail = json.loads((out / ".rnnlesson-grade" / "results" / "p-poison" /
                         "ex00-toy.json").read_text())["detail"]
    assert f"{ALLOWED_FAILURES + 1} times" in detail
    assert "failed 1" in run.stdout
    setup.cluster.wait_for_workers(2)


@pytest.mark.slow
def test_a_lost_scheduler_stops_the_driver_and_a_rerun_resumes(setup):
    cluster = Cluster(setup.tmp / "doomed", workers=1)
    out = setup.tmp / "scheduler-lost"
    try:
        driver = subprocess.Popen(
            [sys.executable, "-m", "rnnlesson.cli", "grade", str(setup.submissions), "--out",
             str(out), "--solutions", str(setup.solutions), "--timeout", "5", "--scheduler",
             cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while len(result_files(out)) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(cluster.procs[0].pid, signal.SIGKILL)  # the scheduler
        _, stderr = driver.communicate(timeout=120)
    finally:
        cluster.stop()
    assert driver.returncode == 2, stderr
    assert "lost the dask scheduler" in stderr and "run the same command" in stderr
    kept = len(result_files(out))
    assert 10 <= kept < 22
    again = grade_cli(setup, out, "--scheduler", setup.cluster.address)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("(kept from an earlier run)") == kept
    assert (out / "grades.csv").read_bytes() == setup.local


@pytest.mark.slow
def test_a_cluster_where_no_worker_can_grade_stops_the_driver(setup, monkeypatch, capsys):
    """A scheduler whose workers were all refused (here: none at all) holds the tasks for
    ever; the driver gives up after WORKER_WAIT seconds with no worker, and says why."""
    monkeypatch.setattr(dist, "WORKER_WAIT", 3)
    monkeypatch.setattr(dist, "POLL_SECONDS", 0.2)
    empty = Cluster(setup.tmp / "no-workers", workers=0)
    out = setup.tmp / "no-workers-out"
    try:
        start = time.monotonic()
        code = main(["grade", str(setup.submissions), "--out", str(out), "--solutions",
                     str(setup.solutions), "--timeout", "5", "--scheduler", empty.address])
        took = time.monotonic() - start
    finally:
        empty.stop()
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no dask worker has been on the cluster" in err and "every worker was refused" in err
    assert took < 120
    # only what the driver decides without a worker is stored (an invalid file, a missing
    # notebook...): no notebook that needs grading has a result
    stored = {p.parent.name for p in (out / ".rnnlesson-grade" / "results").rglob("*.json")}
    assert stored and not any(name.startswith("k") for name in stored), stored


@pytest.mark.parametrize("spec", ["localhost:8786", "local:0", "local:two", "tcp://host",
                                  "http://h:1", ""])
def test_a_bad_scheduler_is_refused_by_name(spec):
    with pytest.raises(GradeError, match="--scheduler .*tcp://HOST:PORT.*local:N"):
        dist.parse_scheduler(spec)


def test_good_schedulers_are_read():
    assert dist.parse_scheduler("tcp://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", None)
    assert dist.parse_scheduler("local:3") == ("local", 3)


def test_jobs_and_scheduler_together_are_refused(tmp_path, capsys):
    code = main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "2",
                 "--scheduler", "local:2"])
    assert code == 2
    assert "--jobs and --scheduler" in capsys.readouterr().err


def test_a_cluster_never_grades_unconfined(tmp_path, capsys):
    code = main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--scheduler",
                 "local:1", "--unsafe-no-sandbox"])
    assert code == 2
    assert "never runs a notebook unconfined" in capsys.readouterr().err


def test_two_students_with_the_same_notebook_get_their_own_tasks():
    job = {"key": "k" * 64, "student": "ann", "exercise": "ex00-toy"}
    assert dist.task_key(job) == dist.task_key(dict(job))
    assert dist.task_key(job) != dist.task_key(dict(job, student="bob"))
    assert dist.task_key(job) != dist.task_key(dict(job, key="j" * 64))


class FakeWorker:
    def __init__(self, folder: Path):
        self.local_directory, self.address = str(folder), "tcp://127.0.0.1:1"
        self.state = SimpleNamespace(nthreads=1)
        self.closing = []
        self.loop = SimpleNamespace(add_callback=lambda f, **k: self.closing.append((f, k)))

    async def close(self, nanny=True, reason=""):  # what the plugin schedules
        raise AssertionError("only scheduled here, never awaited")


def plugin_for(fingerprint=None):
    settings = {"timeout": 5, "notebook_timeout": 50, "memory": 512 * 1024**2,
                "sandboxed": True}
    return dist.CoursePlugin(settings, dist.bundle(Path("/nonexistent")),
                             fingerprint or dist.package_fingerprint())


def test_a_worker_that_cannot_start_a_sandbox_is_refused_and_closed(tmp_path, monkeypatch):
    def no_namespaces(slot):
        raise SandboxError("bubblewrap could not start a sandbox (are user namespaces "
                           "allowed here?): No permissions to create new namespace")

    monkeypatch.setattr(dist, "probe_sandbox", no_namespaces)
    worker, plugin = FakeWorker(tmp_path), plugin_for()
    with pytest.raises(dist.WorkerRefused, match="refused for grading: bubblewrap could not"):
        plugin.setup(worker)
    assert not plugin.ready
    assert worker.closing == [(worker.close, {"nanny": True, "reason": "rnnlesson-refused"})]
    assert list(tmp_path.iterdir()) == []  # its folder removed again


def test_a_worker_with_another_rnnlesson_is_refused(tmp_path):
    worker, plugin = FakeWorker(tmp_path), plugin_for(fingerprint="0" * 64)
    with pytest.raises(dist.WorkerRefused, match="rnnlesson package differs"):
        plugin.setup(worker)
    assert not plugin.ready and worker.closing


def test_a_task_on_an_unprepared_worker_is_rescheduled(monkeypatch):
    import distributed
    from distributed import Reschedule

    monkeypatch.setattr(distributed, "get_worker", lambda: SimpleNamespace(plugins={}))
    with pytest.raises(Reschedule):
        dist.grade_task({}, b"", "rnnlesson-grading-x")


def test_progress_counts_and_time_left():
    now = [100.0]
    progress = Progress(clock=lambda: now[0])
    progress.begin(10)
    progress.finished("ok", reused=True, was_running=False)
    progress.finished("missing", reused=False, was_running=False)  # no worker, no time
    assert progress.text() == "running 0, failed 0, time left not known yet"
    for _ in range(3):
        progress.started()
    now[0] += 30
    progress.finished("ok", reused=False, was_running=True)
    progress.finished("grader-error", reused=False, was_running=True)
    # 2 graded by a worker in 30 s, 6 to go: 90 s
    assert progress.text() == "running 1, failed 1, about 1:30 left"
    assert progress.bar(10) == "[####......] 4/10"
