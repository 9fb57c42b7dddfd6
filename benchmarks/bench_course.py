"""How long the whole course takes to execute headless, notebook by notebook.

Runs every notebook in notebooks/ top to bottom in a fresh kernel of this environment
(nbclient, one BLAS thread, as `make test` runs them), one after the other, and prints each
notebook's seconds (kernel start included), the total and the two targets: every notebook
under 30 s, the whole course under 3 minutes. Nothing is written back.

    python benchmarks/bench_course.py
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_TARGET = 30.0  # seconds per notebook
COURSE_TARGET = 180.0  # seconds for the whole course


def run(path: Path, timeout: int) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print(f"no notebooks in {REPO / 'notebooks'}", file=sys.stderr)
        return 1
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    total, slowest = 0.0, (0.0, "")
    for path in notebooks:
        seconds = run(path, args.timeout)
        total += seconds
        slowest = max(slowest, (seconds, path.name))
        print(f"{path.name:48s} {seconds:6.1f} s", flush=True)
    print(f"whole course: {total:.1f} s for {len(notebooks)} notebooks; "
          f"slowest {slowest[1]} at {slowest[0]:.1f} s")
    each = "met" if slowest[0] < NOTEBOOK_TARGET else "NOT met"
    whole = "met" if total < COURSE_TARGET else "NOT met"
    print(f"target every notebook under {NOTEBOOK_TARGET:.0f} s: {each}")
    print(f"target whole course under {COURSE_TARGET:.0f} s: {whole}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
