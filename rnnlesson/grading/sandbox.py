"""Each submission's code runs inside bubblewrap (``bwrap``), with limits.

What the sandbox sees (everything else does not exist for it):
- the system (``/usr``, ``/bin``, ``/lib*``, a few files of ``/etc``), Python, the course's
  virtual environment and the ``rnnlesson`` package, all read-only; while exercise N is
  graded, the package is a copy without N's answer key (``answer_key.py``);
- an empty home (``/home/learner``, its working folder) and ``/tmp``, both in memory and of
  a fixed size (``Limits.scratch``): nothing it writes reaches the host's disk.

It runs in its own mount, PID, network, IPC and UTS namespaces, as a user of its own (a uid
claimed for this worker alone when the grader runs as root, ``nobody`` in a user namespace
otherwise), with no capabilities and ``no_new_privs``; every process it starts dies with it.
Limits: its control group (``cgroups.py``: memory and processes of the whole sandbox, a fair
CPU share) where the machine allows, and per process always: address space, processes, file
size, open files and CPU time (``prlimit``).
"""
from __future__ import annotations

import fcntl
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from . import cgroups

HOME = "/home/learner"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
UID_BASE, UID_COUNT = 61000, 4000  # uids no login user has; one per worker while it runs
UID_LOCKS = Path("/run/rnnlesson-uids")
ETC_FILES = ["ld.so.cache", "localtime", "fonts", "mime.types"]


class SandboxError(RuntimeError):
    """The sandbox cannot be set up (bubblewrap missing, namespaces not allowed ...)."""


def find_bwrap() -> str:
    path = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap")
                                     else None)
    if path is None:
        raise SandboxError("grading runs each notebook in a bubblewrap sandbox, and bwrap was "
                           "not found: install it (Debian/Ubuntu: apt-get install bubblewrap)")
    return path


@dataclass
class Limits:
    memory: int = 2 * 1024**3       # bytes: the whole sandbox (control group), each process
    processes: int = 64             # processes and threads of the sandbox
    file_size: int = 64 * 1024**2   # bytes one file may grow to
    open_files: int = 256
    cpu_seconds: int = 600          # CPU time of each process
    scratch: int = 256 * 1024**2    # bytes of the in-memory home, and again of /tmp

    def prlimit(self, nproc: int) -> list[str]:
        return ["/usr/bin/prlimit", f"--as={self.memory}", f"--nproc={nproc}",
                f"--fsize={self.file_size}", f"--nofile={self.open_files}",
                f"--cpu={self.cpu_seconds}", "--core=0", "--"]


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status", "rb") as fh:
                    for line in fh:
                        if line.startswith(b"Uid:"):
                            count += int(line.split()[1]) == uid
                            break
            except OSError:
                continue
    return count


def readonly_paths() -> list[str]:
    """Python, the virtual environment and the rnnlesson package (not the repository)."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), str(PACKAGE_DIR)}
    ordered = sorted(paths, key=len)  # nested paths: bind the outermost only
    return [p for i, p in enumerate(ordered)
            if not any(p.startswith(q.rstrip("/") + "/") for q in ordered[:i])]


def claim_uid() -> tuple[int, object]:
    """A uid no other worker of any grader run uses while this one lives (root only): the
    held lock of ``/run/rnnlesson-uids/<uid>`` says whose it is. Returns (uid, the lock)."""
    UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        handle = open(UID_LOCKS / str(uid), "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return uid, handle
    raise SandboxError(f"all {UID_COUNT} sandbox uids are in use")


@dataclass
class Sandbox:
    """A worker's sandbox: started afresh for each notebook (see ``command``)."""

    root: Path
    slot: int = 0
    limits: Limits = None  # type: ignore[assignment]
    use_cgroups: bool | None = None  # None: where the machine allows

    def __post_init__(self):
        self.root = Path(self.root)
        self.limits = self.limits or Limits()
        self.bwrap = find_bwrap()
        self.as_root = os.geteuid() == 0
        self._uid_lock = None
        if self.as_root:
            self.uid, self._uid_lock = claim_uid()
        else:
            self.uid = 65534
        if self.use_cgroups is None:
            self.use_cgroups = cgroups.available()[0]
        self.group = None
        self.oom_seen = False  # a group of this sandbox ran out of memory (reset by the caller)

    def prepare(self) -> None:
        """Ready for a fresh sandbox: the previous one's processes and group are gone."""
        self.clean()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.use_cgroups:
            self.group = cgroups.Group(self.limits.memory, self.limits.processes)
            self.group.create()

    def clean(self) -> None:
        if self.group is not None:
            self.oom_seen |= self.group.ran_out_of_memory()
            self.group.remove()
            self.group = None

    def close(self) -> None:
        """Done with this slot: its group removed, its uid (if one was claimed) given back."""
        self.clean()
        if self._uid_lock is not None:
            self._uid_lock.close()
            self._uid_lock = None

    def command(self, argv: list[str], package: Path | None = None) -> list[str]:
        """argv run inside the sandbox; ``package``, if given, is bound read-only over the
        rnnlesson package (the copy without the exercise's answer key, see answer_key.py)."""
        cmd = [self.bwrap, "--die-with-parent", "--new-session", "--unshare-pid",
               "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--hostname", "sandbox", "--clearenv"]
        if not self.as_root:
            cmd += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.uid)]
        cmd += ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
            if os.path.islink(top):
                cmd += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                cmd += ["--ro-bind", top, top]
        for name in ETC_FILES:
            cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        scratch = str(self.limits.scratch)
        # /tmp first: a clone under /tmp must not be hidden by the sandbox's own /tmp
        cmd += ["--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", scratch, "--tmpfs", "/tmp"]
        binds = readonly_paths()
        for path in binds:
            cmd += ["--ro-bind", path, path]
        if package is not None:
            cmd += ["--ro-bind", str(package), str(PACKAGE_DIR)]
        cmd += ["--perms", "1777", "--size", scratch, "--tmpfs", HOME, "--chdir", HOME]
        # bwrap makes the folders above a mount point private (0700): open them to the uid
        above = {str(p) for path in binds + [HOME, "/etc/x"] for p in Path(path).parents}
        for folder in sorted(above - {"/", "/tmp"}, key=len):
            cmd += ["--chmod", "0755", folder]
        if not self.as_root:
            cmd += ["--cap-drop", "ALL"]  # as root, setpriv below drops them with the uid
        bin_dir = os.path.dirname(sys.executable)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": HOME, "USER": "learner",
               "LOGNAME": "learner", "LANG": "C.UTF-8", "MPLBACKEND": "agg",
               "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
               # the package bound in here, whatever path the venv's own install records
               "PYTHONPATH": str(PACKAGE_DIR.parent),
               "RNNLESSON_SANDBOX": str(self.root)}
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        if self.as_root:
            # a process count of its own: the uid is this worker's alone
            inner = self.limits.prlimit(self.limits.processes) + [
                "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                "--no-new-privs", "--"]
        else:
            # RLIMIT_NPROC counts every process of the grader's user: leave room for theirs
            inner = self.limits.prlimit(_processes_of(os.getuid()) + self.limits.processes)
        full = cmd + ["--"] + inner + list(argv)
        return self.group.wrap(full) if self.group is not None else full
