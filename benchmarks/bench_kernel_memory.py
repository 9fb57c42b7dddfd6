"""Peak memory of a kernel running each course notebook, and of an idle learner's server.

    python benchmarks/bench_kernel_memory.py [--out benchmarks/kernel_memory.json] [NOTEBOOK ...]

Each notebook runs top to bottom in a fresh kernel of this environment (nbclient, one BLAS
thread, as on the hub); at the end the kernel's peak resident memory (VmHWM, the high-water
mark the Linux kernel keeps) is read from /proc. Prints one line per notebook, and writes
the figures in MiB as JSON for docs/instructor.md's sizing (a test checks the two agree).
The server's figure is a JupyterLab server of this environment after it first answers, with
no kernel: a learner's pod holds one server and the kernels of the notebooks they have open.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def measure(notebook: Path, timeout: int = 300) -> tuple[float, float]:
    """(peak MiB, seconds) of one notebook run in a fresh kernel, from its own folder."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        peak = peak_rss_mib(client.km.provisioner.pid)
    return peak, time.perf_counter() - start


def server_peak_mib(timeout: float = 60.0) -> float:
    """Peak RSS in MiB of a JupyterLab server of this environment once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as root:
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--IdentityProvider.token=", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=root)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5):
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s")
            return peak_rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every notebook in notebooks/")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "kernel_memory.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebooks = args.notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    results = {}
    for notebook in notebooks:
        peak, seconds = measure(notebook.resolve())
        results[notebook.name] = round(peak, 1)
        print(f"{notebook.name:<48} peak {peak:7.1f} MiB  ({seconds:5.1f} s)", flush=True)
    largest = max(results, key=results.get)
    print(f"largest: {largest} at {results[largest]:.1f} MiB")
    server = round(server_peak_mib(), 1)
    print(f"JupyterLab server, idle: peak {server:.1f} MiB")
    args.out.write_text(json.dumps({"peak_mib": results, "server_mib": server,
                                    "python": sys.version.split()[0]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
