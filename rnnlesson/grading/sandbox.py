"""Each submission's kernel runs inside bubblewrap (``bwrap``), with limits.

What the kernel sees (everything else does not exist for it):
- the system (``/usr``, ``/bin``, ``/lib*``, a few files of ``/etc``), Python, the course's
  virtual environment and the ``rnnlesson`` package, all read-only;
- an empty, private home (``/home/learner``), its working folder;
- the folder of its own connection sockets (the kernel talks to the grader over Unix
  sockets, since it has no network).

It runs in its own mount, PID, network, IPC and UTS namespaces, as a user of its own (a
separate uid when the grader runs as root, ``nobody`` in a user namespace otherwise), with no
capabilities and ``no_new_privs``; every process it starts dies with it (the sandbox is
killed when its parent, the grading worker, dies). Limits: address space (``memory``),
processes, file size, open files and CPU time (``prlimit``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

HOME = "/home/learner"
UID_BASE = 61000  # a uid per worker slot when the grader is root: no login user has these
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
    memory: int = 2 * 1024**3       # bytes of address space per process
    processes: int = 64             # processes and threads of the sandbox's user
    file_size: int = 64 * 1024**2   # bytes one file may grow to
    open_files: int = 256
    cpu_seconds: int = 600          # CPU time of each process

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
    import rnnlesson

    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             os.path.dirname(os.path.realpath(rnnlesson.__file__))}
    # nested paths: bind the outermost only
    ordered = sorted(paths, key=len)
    return [p for i, p in enumerate(ordered)
            if not any(p.startswith(q.rstrip("/") + "/") for q in ordered[:i])]


@dataclass
class Sandbox:
    """One kernel's sandbox: a private home and a socket folder under ``root``."""

    root: Path
    slot: int = 0
    limits: Limits = None  # type: ignore[assignment]

    def __post_init__(self):
        self.root = Path(self.root)
        self.limits = self.limits or Limits()
        self.bwrap = find_bwrap()
        self.as_root = os.geteuid() == 0
        self.uid = UID_BASE + self.slot if self.as_root else 65534
        self.home = self.root / "home"
        self.sockets = None  # made by prepare()

    def prepare(self) -> None:
        """Fresh, empty home and socket folders that only the sandbox's user may use.

        The sockets go in a short folder of their own under /tmp: a Unix socket's path may
        not be longer than 107 bytes, and TMPDIR can be deep.
        """
        self.clean()
        self.home.mkdir(parents=True)
        os.chmod(self.home, 0o711 if self.as_root else 0o700)  # bwrap, capless, must chdir
        self.sockets = Path(tempfile.mkdtemp(prefix="rnnlesson-kernel-",
                                             dir="/tmp" if os.path.isdir("/tmp") else None))
        for folder in (self.home, self.sockets):
            if self.as_root:
                os.chown(folder, self.uid, self.uid)
        os.chmod(self.root, 0o711 if self.as_root else 0o700)

    def give(self, path: Path) -> None:
        """Let the sandbox's user read, not write, a file the grader wrote (the connection
        file: it holds only this kernel's socket names and message key)."""
        os.chmod(path, 0o644 if self.as_root else 0o400)

    def clean(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if self.sockets is not None:
            shutil.rmtree(self.sockets, ignore_errors=True)
            self.sockets = None

    def command(self, argv: list[str]) -> list[str]:
        """argv run inside the sandbox."""
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
        # /tmp first: a clone under /tmp must not be hidden by the sandbox's own /tmp
        cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        binds = readonly_paths()
        for path in binds:
            cmd += ["--ro-bind", path, path]
        cmd += ["--bind", str(self.home), HOME, "--bind", str(self.sockets), str(self.sockets),
                "--chdir", HOME]
        # bwrap makes the folders above a mount point private (0700): open them to the uid
        above = {str(p) for path in binds + [str(self.sockets), HOME, "/etc/x"]
                 for p in Path(path).parents}
        for folder in sorted(above - {"/"}, key=len):
            cmd += ["--chmod", "1777" if folder == "/tmp" else "0755", folder]
        if not self.as_root:
            cmd += ["--cap-drop", "ALL"]  # as root, setpriv below drops them with the uid
        bin_dir = os.path.dirname(sys.executable)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": HOME, "USER": "learner",
               "LOGNAME": "learner", "LANG": "C.UTF-8", "MPLBACKEND": "agg",
               "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONNOUSERSITE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        if self.as_root:
            # a process count of its own: the uid is this slot's alone
            nproc = self.limits.processes
            inner = self.limits.prlimit(nproc) + [
                "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                "--no-new-privs", "--"]
        else:
            # RLIMIT_NPROC counts every process of the grader's user: leave room for theirs
            inner = self.limits.prlimit(_processes_of(os.getuid()) + self.limits.processes)
        return cmd + ["--"] + inner + list(argv)


# The sandbox of the kernel about to start; set by the worker before each notebook.
ACTIVE: Sandbox | None = None


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside ``ACTIVE``, over Unix sockets."""

    async def _async_pre_start_kernel(self, **kw):
        if ACTIVE is None:
            raise SandboxError("no sandbox was prepared for this kernel")
        self.transport = "ipc"
        self.ip = str(ACTIVE.sockets / "kernel")
        self.connection_file = str(ACTIVE.sockets / "kernel.json")
        # what the kernel prints to its own fds goes nowhere (the grader's logs stay its own)
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        ACTIVE.give(Path(self.connection_file))
        return ACTIVE.command(argv)
