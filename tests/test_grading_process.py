"""The hard limit on grading one notebook, shared by the local pool and a dask worker.

`GradingProcess` drives a worker process; here a stand-in worker (the real protocol: a line
of settings, then one line per job) hangs, dies or answers, so the limit is proven without
waiting for a real notebook to outlast it. The dask plugin's use of it is checked with its
grading process made to hang the same way.
"""
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_distributed_grading import FakeWorker, plugin_for

from rnnlesson.grading import distributed as dist
from rnnlesson.grading import process
from rnnlesson.grading.process import GradingProcess, unanswered

STAND_IN = textwrap.dedent("""
    import json, subprocess, sys, time
    settings = json.loads(sys.stdin.readline())
    for line in sys.stdin:
        job = json.loads(line)
        if job["do"] == "hang":  # a child of its own too, as a sandbox would be
            child = subprocess.Popen(["sleep", "300"])
            open(job["pid_file"], "w").write(str(child.pid))
            time.sleep(300)
        elif job["do"] == "die":
            sys.exit(3)
        else:
            print(json.dumps({"echo": job, "settings": settings}), flush=True)
""")


def gone(pid: int, seconds: float = 10.0) -> bool:
    """Whether the process has exited within seconds: a SIGKILL sent to its group is
    delivered when the kernel next runs it, which on a loaded machine is not at once."""
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited
        return stat.read().split()[2] != "Z"


@pytest.fixture
def stand_in(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(STAND_IN)

    def start():
        proc = GradingProcess(tmp_path, tmp_path / "worker.log", [sys.executable, str(script)])
        proc.begin({"slot": 0})
        return proc
    return start


def test_an_answer_comes_back_as_sent(stand_in):
    proc = stand_in()
    reply = proc.exchange({"do": "answer", "n": 1}, limit=30)
    assert reply == {"echo": {"do": "answer", "n": 1}, "settings": {"slot": 0}}
    proc.close()
    assert proc.died()


def test_a_worker_past_the_limit_is_stopped_with_everything_it_started(stand_in, tmp_path):
    proc, pid_file = stand_in(), tmp_path / "child"
    start = time.monotonic()
    assert proc.exchange({"do": "hang", "pid_file": str(pid_file)}, limit=2) is None
    assert 2 <= time.monotonic() - start < 30
    child = int(pid_file.read_text())
    assert not proc.died() and alive(child)
    proc.kill()
    assert proc.died()
    assert gone(child), "the worker's child outlived the kill"


def test_a_worker_that_dies_is_told_from_one_that_hangs(stand_in):
    proc = stand_in()
    assert proc.exchange({"do": "die"}, limit=30) is None
    assert proc.died()
    job = {"student": "ann", "exercise": "ex00", "max_score": 3.0, "key": "k"}
    died, late = unanswered(job, True, 170), unanswered(job, False, 170)
    assert (died.status, died.score) == ("grader-error", 0.0)
    assert (late.status, late.score) == ("timeout", 0.0)
    assert "170 s" in late.detail and "stopped unexpectedly" in died.detail


def test_a_dask_worker_stops_a_notebook_at_the_hard_limit_and_goes_on(tmp_path, monkeypatch):
    """The plugin's slot process hangs: the task answers 'timeout' after the limit, the hung
    process is killed, and the slot's next notebook gets a fresh process."""
    monkeypatch.setattr(dist, "probe_sandbox", lambda slot: None)
    monkeypatch.setattr(dist, "GRACE_SECONDS", 1)
    script = tmp_path / "worker.py"
    script.write_text(STAND_IN)
    monkeypatch.setattr(process, "WORKER", [sys.executable, str(script)])
    worker, plugin = FakeWorker(tmp_path), plugin_for()
    plugin.settings = dict(plugin.settings, notebook_timeout=1)
    plugin.setup(worker)
    try:
        first = plugin.procs[0]
        job = {"student": "ann", "gid": "s00000", "exercise": "ex00-toy", "max_score": 2.0,
               "key": "k" * 64, "package": None, "scrub_paths": [],
               "do": "hang", "pid_file": str(tmp_path / "child")}
        reply = plugin.grade(job, b"{}")
        assert reply["result"]["status"] == "timeout"
        assert "longer than 2 s" in reply["result"]["detail"]
        assert "timeout" in reply["page"]
        assert first.died() and gone(int((tmp_path / "child").read_text()))
        again = plugin.grade(dict(job, do="answer"), b"{}")
        assert plugin.procs[0] is not first
        assert again["echo"]["student"] == "ann"  # the fresh process answered
        assert json.loads(json.dumps(again["settings"]))["course"].endswith("course-0")
    finally:
        plugin.teardown(worker)
    assert not any(Path(tmp_path).glob("rnnlesson-worker-*"))
