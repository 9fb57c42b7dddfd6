"""Limits on a sandbox as a whole: its control group (memory, processes, a fair CPU share).

A per-process limit (``prlimit``) lets a notebook fork children that each take the whole
allowance; a control group counts every process of the sandbox together, its in-memory
``/tmp`` and home included. Each sandbox gets its own group under ``rnnlesson/`` with
``memory`` bytes, ``processes`` tasks and an equal CPU weight, so concurrent sandboxes share
the CPU fairly. cgroup v2 (most machines) and v1 (some servers) are both handled.

Creating groups needs the right to write under ``/sys/fs/cgroup``: root, or a user to whom
systemd delegated a subtree. Where neither holds, `available` says why and grading keeps the
per-process limits alone (the run's first line says so).
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")
PARENT = "rnnlesson"


def version() -> str | None:
    if (ROOT / "cgroup.controllers").exists():
        return "v2"
    if all((ROOT / c / "cgroup.procs").exists() for c in V1_CONTROLLERS):
        return "v1"
    return None


def available() -> tuple[bool, str]:
    """(whether sandboxes get control groups here, a sentence saying which limits apply)."""
    kind = version()
    if kind is None:
        return False, ("no control groups on this machine: memory and processes are limited "
                       "per process only")
    try:
        group = Group(memory=256 * 1024**2, processes=8)
        group.create()
        group.remove()
    except OSError as err:
        return False, (f"control groups ({kind}) cannot be created by this user "
                       f"({err.strerror}): memory and processes are limited per process "
                       "only; run the grader as root for limits on each sandbox as a whole")
    return True, (f"each sandbox has its own control group ({kind}): its memory and "
                  "processes are limited as a whole, and the CPU is shared fairly")


class Group:
    """One sandbox's control group(s)."""

    def __init__(self, memory: int, processes: int, name: str | None = None):
        self.memory, self.processes = memory, processes
        self.name = name or f"sandbox-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.kind = version()
        if self.kind == "v2":
            self.paths = [ROOT / PARENT / self.name]
        else:
            self.paths = [ROOT / c / PARENT / self.name for c in V1_CONTROLLERS]

    def _write(self, path: Path, value) -> None:
        path.write_text(str(value))

    def create(self) -> None:
        if self.kind == "v2":
            parent = ROOT / PARENT
            parent.mkdir(exist_ok=True)
            wanted = {"memory", "pids", "cpu"} & set(
                (ROOT / "cgroup.controllers").read_text().split())
            for folder in (ROOT, parent):
                with contextlib.suppress(OSError):
                    self._write(folder / "cgroup.subtree_control",
                                " ".join(f"+{c}" for c in sorted(wanted)))
            group = self.paths[0]
            group.mkdir(exist_ok=True)
            self._write(group / "memory.max", self.memory)
            with contextlib.suppress(OSError):
                self._write(group / "memory.swap.max", 0)
            self._write(group / "pids.max", self.processes)
            with contextlib.suppress(OSError):
                self._write(group / "cpu.weight", 100)
            return
        memory, pids, cpu = self.paths
        for path in self.paths:
            path.parent.mkdir(exist_ok=True)
            path.mkdir(exist_ok=True)
        self._write(memory / "memory.limit_in_bytes", self.memory)
        with contextlib.suppress(OSError):
            self._write(memory / "memory.memsw.limit_in_bytes", self.memory)
        self._write(pids / "pids.max", self.processes)
        self._write(cpu / "cpu.shares", 1024)

    def wrap(self, argv: list[str]) -> list[str]:
        """argv, started inside this group (a shell joins it, then becomes argv)."""
        joins = " && ".join(f"echo $$ > {p / 'cgroup.procs'}" for p in self.paths)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *argv]

    def pids(self) -> list[int]:
        found = set()
        for path in self.paths:
            with contextlib.suppress(OSError):
                found |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
        return sorted(found)

    def ran_out_of_memory(self) -> bool:
        """Whether the group's memory reached its limit: the same outcome whether the kernel
        then killed a process or pushed pages to swap (which varies with the machine's load)."""
        with contextlib.suppress(OSError, ValueError):
            if self.kind == "v2":
                events = dict(line.split() for line in
                              (self.paths[0] / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            # the limit was reached (its pages reclaimed, swapped or a process killed): any of
            # the counters says so, and which one moves depends on swap and on the kernel
            folder = self.paths[0]
            counters = [folder / "memory.failcnt", folder / "memory.memsw.failcnt"]
            if any(int(p.read_text()) > 0 for p in counters if p.exists()):
                return True
            control = dict(line.split() for line in
                           (folder / "memory.oom_control").read_text().splitlines())
            if int(control.get("oom_kill", 0)) > 0:
                return True
            peak = int((folder / "memory.max_usage_in_bytes").read_text())
            return peak >= self.memory - 16 * 1024**2
        return False

    def kill(self) -> None:
        """Every process of the group, killed (none can escape by forking meanwhile)."""
        if self.kind == "v2" and (self.paths[0] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                self._write(self.paths[0] / "cgroup.kill", 1)
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill()
        for path in self.paths:
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
