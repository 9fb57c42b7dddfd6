"""Grading on a dask cluster: ``rnnlesson grade SUBMISSIONS --out OUT --scheduler ADDRESS``.

The grader's main process (the *driver*) does everything ``grade.py`` does on one machine
(checks each submission, builds each exercise's package without its answer key, stores
results, writes OUT), except grading the notebooks: each (student, exercise) becomes one dask
task, which a worker hands to one of its grading processes, the same worker process local
grading runs (``worker.py`` in a sandbox slot, driven through ``process.GradingProcess``),
and which returns the result, the verdicts and the feedback page.

- **No shared file system.** A task carries the staged submission's bytes and the job's
  settings; the answer-key packages and the run's settings reach each worker once, in the
  worker plugin (`CoursePlugin`), which unpacks them into the worker's local folder, proves a
  sandbox starts there, starts one grading process (with its sandbox slot) per worker thread,
  and removes it all when the worker closes. A worker where no sandbox can start (bubblewrap
  missing, user namespaces off) or whose ``rnnlesson`` differs from the driver's is refused:
  the plugin says why and closes the worker; it never grades unconfined.
- **Keys.** A task's key is made from the result's reuse key (the digest of the submission,
  the solution and the settings) and its (student, exercise): a re-run, or a driver started
  again after a crash, submits only what OUT does not hold yet, and the scheduler computes a
  key once however many clients ask for it. The driver stores a unit's first result and
  ignores any other.
- **Faults.** A worker that dies mid-task has its task run again elsewhere (dask's own
  rescheduling; the sandbox dies with the worker, ``bwrap --die-with-parent``). A task that
  has killed ``distributed.scheduler.allowed-failures`` + 1 workers comes back as
  ``KilledWorker``: its row is ``grader-error`` and the class goes on. A lost scheduler stops
  the driver with a message (`ClusterLost`); what was stored stays, and a re-run resumes.
- **Time.** A notebook whose grading outlasts the hard limit (its time limit plus
  ``GRACE_SECONDS``) has its grading process killed with everything it started, and its row
  says ``timeout``, as in local grading; the slot gets a fresh process and the worker goes on.
- **Backpressure.** At most `in_flight` tasks are submitted at once (twice the cluster's
  threads, at least 4), fed to ``distributed.as_completed`` as earlier ones finish.
"""
from __future__ import annotations

import compileall
import contextlib
import gzip
import hashlib
import io
import logging
import queue
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from distributed import WorkerPlugin

from .feedback import page
from .grade import GRACE_SECONDS, GradeError
from .process import GradingProcess
from .results import Result
from .sandbox import PACKAGE_DIR, Limits, Sandbox, SandboxError

PLUGIN_PREFIX = "rnnlesson-grading-"
CONNECT_TIMEOUT = 20  # seconds to reach a scheduler given by address
WORKER_WAIT = 300  # seconds with no worker on the cluster before the driver gives up
POLL_SECONDS = 5  # how often the driver looks at the cluster while nothing finishes
ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")
LOCAL = re.compile(r"^local:(\d+)$")
log = logging.getLogger("rnnlesson.grading")


class ClusterLost(GradeError):
    """The connection to the dask scheduler broke while grading."""


class WorkerRefused(RuntimeError):
    """This worker cannot grade (no sandbox here, or another rnnlesson than the driver's)."""


def parse_scheduler(spec: str) -> tuple[str, int | None]:
    """``("tcp://host:port", None)`` or ``("local", N)``; a clear error for anything else."""
    spec = str(spec).strip()
    local = LOCAL.match(spec)
    if local and int(local.group(1)) >= 1:
        return "local", int(local.group(1))
    if ADDRESS.match(spec):
        return spec, None
    raise GradeError(f"--scheduler {spec!r}: expected the address of a running dask scheduler "
                     "(tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786) or local:N to start a "
                     "cluster of N worker processes on this machine (e.g. local:2)")


def package_fingerprint() -> str:
    """Digest of this ``rnnlesson`` package's sources: driver and workers must agree."""
    import rnnlesson

    root = Path(rnnlesson.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def task_key(job: dict) -> str:
    """The dask key of one (student, exercise): its reuse key, tied to the unit."""
    text = "\0".join([job["key"], job["student"], job["exercise"]])
    return "rnnlesson-grade-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def probe_sandbox(slot: Sandbox) -> None:
    """Start one empty sandbox in this slot; `SandboxError` saying why if it cannot start."""
    try:
        slot.prepare()
        run = subprocess.run(slot.command(["/bin/true"]), capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        raise SandboxError(f"the sandbox could not be started: {err}") from None
    finally:
        slot.clean()
    if run.returncode != 0:
        raise SandboxError("bubblewrap could not start a sandbox (are user namespaces "
                           f"allowed here?): {run.stderr.strip()[:500]}")


class CoursePlugin(WorkerPlugin):
    """A worker's part of one grading run: its folder, its sandbox slots, the packages."""

    def __init__(self, settings: dict, packages: bytes, fingerprint: str):
        self.settings, self.packages, self.fingerprint = settings, packages, fingerprint
        digest = hashlib.sha256(repr(sorted(settings.items())).encode() + packages)
        self.name = PLUGIN_PREFIX + digest.hexdigest()[:16]
        self.ready = False

    def setup(self, worker) -> None:
        self.ready, self.root, self.slots, self.procs = False, None, queue.Queue(), {}
        try:
            self._prepare(worker.local_directory, worker.state.nthreads)
        except (WorkerRefused, SandboxError, OSError) as err:
            self.teardown(worker)
            message = (f"dask worker {worker.address} refused for grading: {err}. It is being "
                       "closed; nothing was graded on it")
            log.error(message)
            worker.loop.add_callback(worker.close, nanny=True, reason="rnnlesson-refused")
            raise WorkerRefused(message) from None
        self.ready = True

    def _prepare(self, local_directory: str, threads: int) -> None:
        if package_fingerprint() != self.fingerprint:
            raise WorkerRefused("its rnnlesson package differs from the grader's: install the "
                                "same commit of the course, from the same uv.lock, on every "
                                "worker")
        self.root = Path(tempfile.mkdtemp(prefix="rnnlesson-worker-", dir=local_directory))
        with tarfile.open(fileobj=io.BytesIO(self.packages), mode="r:gz") as archive:
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(self.root / "answer-keys", **extra)
        # compiled once here, for this worker's Python: the sandbox's package is read-only
        compileall.compile_dir(str(self.root / "answer-keys"), quiet=1)
        limits = Limits(memory=self.settings["memory"],
                        cpu_seconds=self.settings["notebook_timeout"] + 60)
        for index in range(threads):
            probe = Sandbox(self.root / f"sandbox-{index}", index, limits)
            try:
                probe_sandbox(probe)
            finally:
                probe.close()  # the slot's grading process claims its own
            self._start(index)
            self.slots.put(index)

    def _start(self, slot: int) -> GradingProcess:
        """The slot's grading process, as a local worker is started (its imports begin now)."""
        proc = GradingProcess(self.root, self.root / f"worker-{slot}.log")
        proc.begin(dict(self.settings, course=str(self.root / f"course-{slot}"), slot=slot,
                        sandbox_root=str(self.root / f"sandbox-{slot}")))
        self.procs[slot] = proc
        return proc

    def teardown(self, worker) -> None:
        self.ready = False
        for proc in list(getattr(self, "procs", {}).values()):
            proc.kill()
        self.procs = {}
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def grade(self, job: dict, notebook: bytes) -> dict:
        """One notebook, by the grading process of a free slot of this worker, stopped at the
        hard limit as a local worker is: what a local worker process sends."""
        slot = self.slots.get()
        staged = self.root / "staged" / job["gid"] / f"{job['exercise']}.ipynb"
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(notebook)
            package = job["package"] and str(self.root / "answer-keys" / job["package"])
            # this machine's paths, as the driver's are: never shown on a learner's page
            local = [str(self.root.parent), sys.prefix, sys.base_prefix, str(Path.home()),
                     str(PACKAGE_DIR.parent)]
            job = dict(job, submission=str(staged), package=package,
                       scrub_paths=job["scrub_paths"] + local)
            proc = self.procs.get(slot) or self._start(slot)
            reply = proc.reply(job, self.settings["notebook_timeout"] + GRACE_SECONDS)
            if proc.died():  # killed at the limit, or dead: the slot's next job gets a new one
                del self.procs[slot]
            return reply
        finally:
            staged.unlink(missing_ok=True)
            self.slots.put(slot)


def grade_task(job: dict, notebook: bytes, plugin_name: str) -> dict:
    """The dask task: grade one notebook with this worker's `CoursePlugin`."""
    from distributed import Reschedule, get_worker

    plugin = get_worker().plugins.get(plugin_name)
    if plugin is None or not plugin.ready:  # not (yet) prepared here: never grade unprepared
        raise Reschedule()
    return plugin.grade(job, notebook)


def bundle(folder: Path) -> bytes:
    """The answer-key packages (``folder``'s contents) as one .tar.gz, the same bytes for the
    same files (no times, no owners): the plugin's name, made from them, is the run's."""
    def plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        return info

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as packed, \
            tarfile.open(fileobj=packed, mode="w") as archive:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if "__pycache__" not in path.parts:  # compiled for the driver's Python
                    archive.add(path, arcname=str(path.relative_to(folder)), recursive=False,
                                filter=plain)
    return buf.getvalue()


@contextlib.contextmanager
def connect(spec: str, notice):
    """A dask client: to the scheduler at ``spec``, or to a local cluster started here."""
    from distributed import Client, LocalCluster

    address, workers = parse_scheduler(spec)
    if workers is not None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError) as err:
        raise GradeError(f"--scheduler {address}: no dask scheduler answered within "
                         f"{CONNECT_TIMEOUT} s ({err}); start one (dask scheduler) or check "
                         "the address") from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)


def dashboard(client) -> str | None:
    """The scheduler's dashboard link, if it serves one (it needs bokeh on the scheduler)."""
    with contextlib.suppress(Exception):
        if client.scheduler_info().get("services", {}).get("dashboard"):
            return client.dashboard_link
    return None


def in_flight(client) -> int:
    """How many tasks to keep submitted: twice the cluster's threads, at least 4."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:
        threads = 0
    return max(4, 2 * threads)


def killed_result(job: dict, error: BaseException) -> Result:
    """The row of a notebook whose grading killed every worker that tried it, alone."""
    tries = getattr(error, "allowed_failures", None)
    times = f"{tries + 1} times" if isinstance(tries, int) else "every time"
    return Result(job["student"], job["exercise"], 0.0, job["max_score"], "grader-error",
                  f"grading this notebook killed its worker {times} in a row, with nothing "
                  "else being graded (e.g. the worker ran out of memory); nothing in it was "
                  "scored", job["key"])


def lost(spec: str, err: BaseException) -> ClusterLost:
    return ClusterLost(f"lost the dask scheduler ({spec}) while grading: {err}. The results "
                       "stored so far are kept in OUT; start the scheduler again (or check the "
                       "network) and run the same command: it grades only what is missing")


class Feeder:
    """The driver's side of one run: submits tasks, at most `limit` at a time, and stores
    each unit's result once, as it arrives.

    dask blames every task a dying worker held (the one running and any waiting there), so
    ``KilledWorker`` alone does not prove a notebook guilty: a suspect is graded once more
    alone, when nothing else of this run is on the cluster, and only if it kills
    ``allowed-failures`` + 1 workers again is its row ``grader-error``.
    """

    def __init__(self, client, plugin: CoursePlugin, jobs: list[dict], keys_dir: Path,
                 done, started):
        from distributed import as_completed

        self.client, self.plugin, self.keys_dir = client, plugin, keys_dir
        self.done, self.started = done, started
        self.waiting = iter(jobs)
        self.futures: dict[str, dict] = {}  # key -> job, submitted and not yet stored
        self.suspects: list[dict] = []
        self.alone: set[str] = set()  # units graded alone after a KilledWorker
        self.recorded: set[tuple[str, str]] = set()
        self.pipeline = as_completed()
        self.limit, self.checked = in_flight(client), time.monotonic()
        self.looked, self.idle_since = 0.0, None  # see `watch`

    def submit(self, job: dict, alone: bool = False) -> None:
        notebook = Path(job["submission"]).read_bytes()
        sent = {k: v for k, v in job.items() if k != "submission"}
        sent["package"] = job["package"] and str(Path(job["package"]).relative_to(
            self.keys_dir))
        key = task_key(job) + ("-alone" if alone else "")
        future = self.client.submit(grade_task, sent, notebook, self.plugin.name, key=key,
                                    pure=False, retries=0)
        self.futures[future.key] = job
        self.pipeline.add(future)
        if not alone:
            self.started(job)

    def fill(self) -> None:
        """Top up to `limit` tasks; a suspect goes alone once the others are done."""
        if time.monotonic() - self.checked > 5:  # workers come and go
            self.limit, self.checked = in_flight(self.client), time.monotonic()
        if self.suspects:
            if not self.futures:
                job = self.suspects.pop(0)
                self.alone.add((job["student"], job["exercise"]))
                self.submit(job, alone=True)
            return
        while len(self.futures) < self.limit:
            job = next(self.waiting, None)
            if job is None:
                return
            self.submit(job)

    def run(self, spec: str) -> None:
        self.fill()
        while not self.pipeline.is_empty():
            finished = self.pipeline.next_batch(block=False)
            if not finished:
                self.watch(spec)
                time.sleep(0.05)
                continue
            self.idle_since = None
            for future in finished:
                job = self.futures.pop(future.key)
                unit = (job["student"], job["exercise"])
                if unit not in self.recorded:
                    if self.killed(future) and unit not in self.alone:
                        self.suspects.append(job)
                    else:
                        _record(future, job, self.done, spec)
                        self.recorded.add(unit)
                future.release()
            self.fill()

    def watch(self, spec: str) -> None:
        """Give up when the cluster has had no worker for WORKER_WAIT seconds: every worker
        refused (each says why in its log), or none joined; what was stored stays."""
        now = time.monotonic()
        if now - self.looked < POLL_SECONDS:
            return
        self.looked = now
        try:
            threads = sum(self.client.nthreads().values())
        except OSError as err:
            raise lost(spec, err) from None
        if threads:
            self.idle_since = None
            return
        self.idle_since = self.idle_since or now
        if now - self.idle_since >= WORKER_WAIT:
            raise GradeError(
                f"no dask worker has been on the cluster ({spec}) for {WORKER_WAIT} s, so "
                "nothing can be graded: every worker was refused (each worker's log says why: "
                "no bubblewrap, no user namespaces, or another rnnlesson than this one) or "
                "none has joined. The results stored so far are kept in OUT; start workers "
                "that can grade and run the same command again.")

    @staticmethod
    def killed(future) -> bool:
        from distributed import KilledWorker

        return future.status == "error" and isinstance(future.exception(), KilledWorker)


def grade_on_cluster(spec: str, jobs: list[dict], settings: dict, keys_dir: Path, done,
                     started, notice) -> None:
    """Grade ``jobs`` (``grade.py``'s, each with its staged submission) on the cluster;
    ``done(result, page)`` for each, as they arrive, in this process only."""
    from distributed.client import FutureCancelledError

    plugin = CoursePlugin(settings, bundle(keys_dir), package_fingerprint())
    with connect(spec, notice) as client:
        try:
            client.register_plugin(plugin, name=plugin.name)
        except WorkerRefused as err:
            if parse_scheduler(spec)[1] is not None:
                raise GradeError(str(err)) from None
            notice(str(err))
        except OSError as err:
            raise lost(spec, err) from None
        link = dashboard(client)
        if link:
            notice(f"the dask dashboard: {link}")
        try:
            Feeder(client, plugin, jobs, keys_dir, done, started).run(spec)
        except (FutureCancelledError, OSError) as err:
            raise lost(spec, err) from None
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)


def _record(future, job: dict, done, spec: str) -> None:
    from distributed import KilledWorker

    if future.status == "cancelled":
        raise lost(spec, RuntimeError(f"the scheduler cancelled task {future.key}"))
    if future.status == "error":
        error = future.exception()
        if isinstance(error, KilledWorker):
            result = killed_result(job, error)
            done(result, page(result))
            return
        raise GradeError(f"a grading task failed on the cluster for {job['gid']}/"
                         f"{job['exercise']}: {type(error).__name__}: {error} (is rnnlesson "
                         "installed the same way on every worker?)")
    reply = future.result()
    result = Result(**reply["result"])
    if (result.student, result.exercise, result.key) != (job["student"], job["exercise"],
                                                          job["key"]):
        raise RuntimeError("a dask worker answered for another notebook")
    done(result, reply["page"].encode("utf-8"))

