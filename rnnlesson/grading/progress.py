"""What the instructor sees while a class is graded: done, running, failed, time left.

The same counts whether the notebooks are graded by the local pool of worker processes or on
a dask cluster (``distributed.py``): ``grade`` calls `Progress.started` when a notebook is
handed to a worker (or a task to the cluster) and `Progress.finished` when its result is
stored. *Failed* counts the notebooks the grader could not grade (``grader-error``), not
the learners' failed tests. The time left is the time so far per notebook that a worker
graded in this run (kept, missing and unreadable ones take no time and are not counted),
times the notebooks still to grade.
"""
from __future__ import annotations

import threading
import time


def clock_text(seconds: float) -> str:
    """Seconds as h:mm:ss or m:ss."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts of one run, safe to update from several threads."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.start = clock()
        self.total = self.done = self.kept = self.running = self.failed = self.ran = 0
        self.lock = threading.Lock()

    def begin(self, total: int) -> None:
        with self.lock:
            self.total, self.start = total, self.clock()

    def started(self) -> None:
        with self.lock:
            self.running += 1

    def finished(self, status: str, reused: bool, was_running: bool) -> None:
        with self.lock:
            self.done += 1
            self.kept += reused
            self.failed += status == "grader-error"
            if was_running:
                self.running = max(self.running - 1, 0)
                self.ran += 1

    def seconds_left(self) -> float | None:
        """None until a worker has graded a notebook in this run."""
        if self.ran == 0:
            return None
        return (self.clock() - self.start) / self.ran * (self.total - self.done)

    def text(self) -> str:
        """``running 2, failed 0, about 1:05 left``."""
        left = self.seconds_left()
        eta = "time left not known yet" if left is None else f"about {clock_text(left)} left"
        return f"running {self.running}, failed {self.failed}, {eta}"

    def bar(self, width: int = 20) -> str:
        """``[#######.............] 12/40``: the share done, and the counts."""
        filled = width * self.done // self.total if self.total else width
        return f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
