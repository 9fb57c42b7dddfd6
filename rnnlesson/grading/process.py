"""One grading worker process, and the hard limit on the time it may take for a notebook.

``python -m rnnlesson.grading.worker`` runs in a session of its own, dies with the process
that started it (``RNNLESSON_GRADER_PID``), and answers each job with one JSON line. The
local pool (``grade.Pool``) and a dask worker's plugin (``distributed.CoursePlugin``) both
drive their workers through `GradingProcess.reply`, so both stop a notebook the same way when
its grading outlasts the hard limit (the notebook's own time limit plus a grace for starting
the kernel and writing the feedback): the worker's whole process group is killed, the
notebook's row says so (`unanswered`), and the next notebook gets a fresh worker.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from .feedback import page
from .results import Result

WORKER = [sys.executable, "-m", "rnnlesson.grading.worker"]


class GradingProcess:
    """A worker process; ``argv`` replaces the worker's command (a stand-in, in tests)."""

    def __init__(self, cwd: Path, log_path: Path, argv: list[str] | None = None):
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                   + os.environ.get("PATH", ""))
        env.pop("PYTHONSTARTUP", None)
        env["RNNLESSON_GRADER_PID"] = str(os.getpid())
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(argv or WORKER, cwd=cwd, env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, text=True, start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        self.closed = False  # its answers' pipe ended: it cannot answer again
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def begin(self, settings: dict) -> None:
        """The first line a worker reads: the settings of its slot."""
        self._send(settings)

    def _send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def exchange(self, job: dict, limit: float) -> dict | None:
        """The worker's reply to ``job``, or None if it died or took longer than ``limit``
        seconds (the caller then `kill`s it)."""
        try:
            self._send(job)
            line = self.lines.get(timeout=limit)
        except (OSError, queue.Empty):
            return None
        if line is None:
            self.closed = True
            return None
        return json.loads(line)

    def reply(self, job: dict, limit: float) -> dict:
        """The worker's reply to ``job`` ({result, verdicts, page}); if it died or outlasted
        ``limit`` seconds, it is killed and the reply is the notebook's `unanswered` row."""
        answer = self.exchange(job, limit)
        if answer is not None:
            return answer
        died = self.died()
        self.kill()
        result = unanswered(job, died, limit)
        return {"result": result.__dict__, "verdicts": [], "page": page(result).decode("utf-8")}

    def died(self) -> bool:
        """It ended, or ended its answers (its exit may not be reaped yet)."""
        return self.closed or self.proc.poll() is not None

    def kill(self) -> None:
        """The worker and everything it started (its session: the sandbox, the kernel)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
        self.proc.wait()

    def close(self) -> None:
        """Let the worker finish: no more jobs."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        self.proc.wait()


def unanswered(job: dict, died: bool, limit: float) -> Result:
    """The row of a notebook whose worker died, or was stopped at the hard limit."""
    status = "grader-error" if died else "timeout"
    detail = ("the grading worker stopped unexpectedly" if died else
              f"grading took longer than {limit:.0f} s; stopped")
    return Result(job["student"], job["exercise"], 0.0, job["max_score"], status, detail,
                  job["key"])
