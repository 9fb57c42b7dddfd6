"""How fast does ``rnnlesson grade`` grade a class? One worker against two, side by side.

Makes N synthetic students from the generated exercises (most put the solution back into
every stub; every third student gets some stubs wrong), grades them with ``--jobs 1`` and
``--jobs 2``, checks both runs agree, and prints seconds per student-notebook and the ratio.

    python benchmarks/bench_grading.py --students 100
    python benchmarks/bench_grading.py --students 20 --solutions tests/fixtures/grading/solutions
"""
from __future__ import annotations

import argparse
import collections
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

TARGET_SECONDS = 3.0


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
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
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
            out = tmp / f"out-{jobs}"
            start = time.perf_counter()
            results = grade(tmp / "class", out, solutions=solutions,
                            timeout=args.timeout, jobs=jobs)
            seconds[jobs] = time.perf_counter() - start
            csvs[jobs] = (out / "grades.csv").read_bytes()
            statuses = collections.Counter(r.status for r in results)
            print(f"--jobs {jobs}: {seconds[jobs]:7.1f} s total, "
                  f"{seconds[jobs] / notebooks:5.2f} s per student-notebook  "
                  f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))})",
                  flush=True)
        if len(set(csvs.values())) != 1:
            print("ERROR: grades.csv differs between the runs", file=sys.stderr)
            return 1
        if 1 in seconds and 2 in seconds:
            print(f"speed-up, --jobs 1 time / --jobs 2 time: {seconds[1] / seconds[2]:.2f}x")
        best = min(seconds.values()) / notebooks
        verdict = "met" if best <= TARGET_SECONDS else "NOT met"
        print(f"target <= {TARGET_SECONDS:.0f} s per student-notebook: {verdict} "
              f"({best:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
