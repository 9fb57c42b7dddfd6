"""How fast does ``rnnlesson grade`` grade a class, and what do the sandbox and the channel cost?

Makes N synthetic students from the generated exercises (most put the solution back into
every stub; every third student gets some stubs wrong), grades them with each ``--jobs``
value, with the sandbox and without it (the learner's process unconfined, for this
measurement only), alternating the two, checks that every run gives the same grades.csv, and
prints seconds per student-notebook, the sandbox's cost per notebook and the ratios.

Then the channel's own cost: for every exercise, the tests replayed against one right
answer twice, side by side: through the channel to a runner process (``trusted.Session``),
and with the learner's functions called directly in this process (no channel). The
difference, per notebook, is what passing every argument and result as data costs.

With ``--scheduler``, the same class is also graded on dask (``rnnlesson grade
--scheduler``): ``local`` starts a cluster of N worker processes here for each ``--jobs N``
(one thread each, as many sandboxes as local grading has), an address (tcp://HOST:PORT) uses
that cluster as it is. The rows give student-notebooks per second side by side with local
grading, and the scheduler's own cost per task: the round trip of an empty task, one at a
time, and per task when many are in flight as the grader keeps them.

    python benchmarks/bench_grading.py --students 10
    python benchmarks/bench_grading.py --students 10 --jobs 1 2 --scheduler local
    python benchmarks/bench_grading.py --students 20 --solutions tests/fixtures/grading/solutions
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

from rnnlesson.grading.course import read_notebook, solution_notebooks
from rnnlesson.grading.grade import grade
from rnnlesson.grading.release import generate_exercises
from rnnlesson.grading.synthetic import fill_stubs, solution_bodies

TARGET_SECONDS = 1.5          # per student-notebook, sandboxed, with --jobs 2
TARGET_SANDBOX_COST = 0.2     # seconds the sandbox adds per student-notebook
TARGET_CHANNEL_COST = 0.2     # seconds the data-only channel adds per student-notebook
TARGET_TASK_OVERHEAD = 0.050  # seconds the dask scheduler adds per task


class InProcess:
    """A stand-in for `trusted.Session` that runs the cells here and calls the functions
    directly: the same replay with no channel, to measure what the channel costs."""

    faults: set = set()

    def __init__(self, cells):
        import contextlib
        import io

        self.namespace = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in cells:
                exec(compile(cell["source"], "<cell>", "exec"), self.namespace)

    def call(self, op, name, args=(), kwargs=None):
        value = self.namespace[name]
        return value(*args, **(kwargs or {})) if op == "call" else value

    def take_output(self):
        return ""


def channel_cost(solutions: Path, rounds: int = 3) -> tuple[float, float]:
    """Seconds per notebook of replaying every exercise's tests through the channel and in
    this process (medians over rounds); the runner's start is not counted."""
    import os

    from rnnlesson.grading.markers import stamp
    from rnnlesson.grading.replay import plan, run_tests
    from rnnlesson.grading.trusted import Session
    from rnnlesson.grading.worker import cells_to_run

    exercises = {name: nbformat.reads(data.decode("utf-8"), as_version=4)
                 for name, data in generate_exercises(solutions).items()}
    os.environ.setdefault("MPLBACKEND", "agg")
    remote, local = [], []
    for _ in range(rounds):
        through, direct = 0.0, 0.0
        for path in solution_notebooks(solutions):
            solution = read_notebook(path)
            steps = plan(stamp(solution, path.name))
            answer = fill_stubs(exercises[path.name], solution_bodies(solution))
            cells = cells_to_run(answer)
            with tempfile.TemporaryDirectory() as home:
                session = Session(lambda home=home: ["/usr/bin/env", "-C", home], cells, 300)
                session.start()
                start = time.perf_counter()
                run_tests(steps, session, 300)
                through += time.perf_counter() - start
                session.stop()
                here = InProcess(cells)
                start = time.perf_counter()
                run_tests(steps, here, 300)
                direct += time.perf_counter() - start
        remote.append(through / len(exercises))
        local.append(direct / len(exercises))
    return float(np.median(remote)), float(np.median(local))


def empty_task(x):
    return x


def task_overhead(spec: str, tasks: int = 200) -> tuple[float, float]:
    """Seconds per empty task on the cluster: one at a time (submit, run, result back), and
    with twice the cluster's threads in flight, fed as ``grade --scheduler`` feeds them."""
    from distributed import as_completed

    from rnnlesson.grading.distributed import connect, in_flight

    with connect(spec, print) as client:
        client.submit(empty_task, -1, pure=False).result()  # the connections made
        start = time.perf_counter()
        for i in range(tasks):
            client.submit(empty_task, i, pure=False).result()
        one = (time.perf_counter() - start) / tasks
        limit, left = in_flight(client), iter(range(tasks))
        start = time.perf_counter()
        pipeline = as_completed([client.submit(empty_task, next(left), pure=False)
                                 for _ in range(limit)])
        for future in pipeline:
            future.release()
            i = next(left, None)
            if i is not None:
                pipeline.add(client.submit(empty_task, i, pure=False))
        many = (time.perf_counter() - start) / tasks
    return one, many


def make_class(solutions: Path, folder: Path, students: int, seed: int = 0) -> int:
    """Write ``students`` synthetic students into folder; returns the number of notebooks."""
    rng = np.random.default_rng(seed)
    exercises = {name: nbformat.reads(data.decode("utf-8"), as_version=4)
                 for name, data in generate_exercises(solutions).items()}
    bodies = {p.name: solution_bodies(read_notebook(p)) for p in solution_notebooks(solutions)}
    count = 0
    for i in range(students):
        for name, exercise in exercises.items():
            answers = list(bodies[name])
            if i % 3 == 2:  # a wrong body in about half of the stubs
                answers = [None if rng.random() < 0.5 else a for a in answers]
            dest = folder / f"student{i:03d}" / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill_stubs(exercise, answers), dest)
            count += 1
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scheduler", metavar="local|tcp://HOST:PORT",
                        help="also grade on dask: local starts local:N for each --jobs N; an "
                             "address grades once on that cluster")
    args = parser.parse_args(argv)
    if not solution_notebooks(args.solutions):
        parser.error(f"no solution notebooks in {args.solutions} "
                     "(try --solutions tests/fixtures/grading/solutions)")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        solutions = tmp / "solutions"  # a snapshot, so both runs grade the same exercises
        solutions.mkdir()
        for path in solution_notebooks(args.solutions):
            shutil.copy(path, solutions / path.name)
        notebooks = make_class(solutions, tmp / "class", args.students)
        print(f"{notebooks} student-notebooks ({args.students} students x "
              f"{notebooks // args.students} exercises from {args.solutions}/)")
        seconds, csvs = {}, {}
        for jobs in args.jobs:
            for sandboxed in (True, False):
                out = tmp / f"out-{jobs}-{sandboxed}"
                start = time.perf_counter()
                results = grade(tmp / "class", out, solutions=solutions,
                                timeout=args.timeout, jobs=jobs, sandboxed=sandboxed)
                seconds[jobs, sandboxed] = time.perf_counter() - start
                csvs[jobs, sandboxed] = (out / "grades.csv").read_bytes()
                statuses = collections.Counter(r.status for r in results)
                print(f"--jobs {jobs}, {'sandboxed  ' if sandboxed else 'unconfined '}: "
                      f"{seconds[jobs, sandboxed]:7.1f} s total, "
                      f"{seconds[jobs, sandboxed] / notebooks:5.2f} s per student-notebook  "
                      f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))})",
                      flush=True)
        on_dask, overhead = {}, None
        if args.scheduler:
            sizes = args.jobs if args.scheduler == "local" else ["cluster"]
            for workers in sizes:
                with cluster_for(args.scheduler, workers) as (spec, started):
                    out = tmp / f"out-dask-{workers}"
                    start = time.perf_counter()
                    grade(tmp / "class", out, solutions=solutions, timeout=args.timeout,
                          scheduler=spec)
                    on_dask[workers] = time.perf_counter() - start
                    csvs["dask", workers] = (out / "grades.csv").read_bytes()
                    print(f"--scheduler {spec} ({workers} workers, started in {started:.1f} s):"
                          f" {on_dask[workers]:7.1f} s total, "
                          f"{on_dask[workers] / notebooks:5.2f} s per student-notebook",
                          flush=True)
                    overhead = overhead or (spec, *task_overhead(spec))
        if len(set(csvs.values())) != 1:
            print("ERROR: grades.csv differs between the runs", file=sys.stderr)
            return 1
        for jobs in args.jobs:
            cost = (seconds[jobs, True] - seconds[jobs, False]) / notebooks
            print(f"--jobs {jobs}: the sandbox adds {cost:+.3f} s per student-notebook "
                  f"(sandboxed / unconfined time: "
                  f"{seconds[jobs, True] / seconds[jobs, False]:.2f}x)")
        if 1 in args.jobs and 2 in args.jobs:
            print(f"speed-up, sandboxed, --jobs 1 time / --jobs 2 time: "
                  f"{seconds[1, True] / seconds[2, True]:.2f}x")
        jobs = max(args.jobs)
        per = seconds[jobs, True] / notebooks
        cost = (seconds[jobs, True] - seconds[jobs, False]) / notebooks
        print(f"target <= {TARGET_SECONDS} s per student-notebook sandboxed (--jobs {jobs}): "
              f"{'met' if per <= TARGET_SECONDS else 'NOT met'} ({per:.2f} s)")
        print(f"target sandbox cost < {TARGET_SANDBOX_COST} s per student-notebook: "
              f"{'met' if cost < TARGET_SANDBOX_COST else 'NOT met'} ({cost:.3f} s)")
        through, direct = channel_cost(solutions)
        print(f"tests replayed through the channel: {through:.3f} s per notebook; with the "
              f"functions called in-process: {direct:.3f} s (ratio {through / direct:.2f}x)")
        print(f"target channel cost < {TARGET_CHANNEL_COST} s per student-notebook: "
              f"{'met' if through - direct < TARGET_CHANNEL_COST else 'NOT met'} "
              f"({through - direct:+.3f} s)")
        if on_dask:
            print_dask(seconds, on_dask, notebooks, overhead)
    return 0


@contextlib.contextmanager
def cluster_for(scheduler: str, workers):
    """(the address to grade on, seconds it took to start): a LocalCluster of ``workers``
    processes with one thread each for ``local``, else the running cluster given."""
    if scheduler != "local":
        yield scheduler, 0.0
        return
    import logging

    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address, time.perf_counter() - start


def print_dask(seconds: dict, on_dask: dict, notebooks: int, overhead) -> None:
    """Local grading and dask side by side, and the scheduler's cost per task."""
    print("workers | local, sandboxed              | dask, sandboxed")
    for workers, total in on_dask.items():
        local = seconds.get((workers, True))
        left = (f"{notebooks / local:5.2f} notebooks/s ({local / notebooks:.2f} s each)"
                if local else "-")
        print(f"{workers!s:>7} | {left:29} | {notebooks / total:5.2f} notebooks/s "
              f"({total / notebooks:.2f} s each)")
    spec, one, many = overhead
    print(f"the scheduler's cost per task ({spec}): {one * 1000:.1f} ms for an empty task "
          f"one at a time, {many * 1000:.1f} ms each with tasks in flight")
    print(f"target scheduler overhead < {TARGET_TASK_OVERHEAD * 1000:.0f} ms per task: "
          f"{'met' if one < TARGET_TASK_OVERHEAD else 'NOT met'} ({one * 1000:.1f} ms)")


if __name__ == "__main__":
    sys.exit(main())
