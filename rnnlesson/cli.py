"""The ``rnnlesson`` command: ``rnnlesson release`` and ``rnnlesson grade``.

    rnnlesson release [--solutions solutions] [--exercises exercises] [--check]
                      [--discard-answers] [--nbgrader-course COURSE]
    rnnlesson grade SUBMISSIONS --out OUT [--solutions solutions] [--exercise ex03 ...]
                    [--format canvas|moodle ...] [--timeout 30] [--jobs 2] [--memory 2048]
                    [--show-tests] [--scheduler tcp://HOST:PORT | local:N]
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _release(args) -> int:
    from .grading.release import check, release, write_nbgrader_source

    if args.nbgrader_course is not None:
        for path in write_nbgrader_source(args.solutions, args.nbgrader_course):
            print(f"wrote {path}")
        return 0
    if args.check:
        report = check(args.solutions, args.exercises)
        print(report.describe(args.exercises))
        return 0 if report.in_sync else 1
    report = release(args.solutions, args.exercises, discard_answers=args.discard_answers)
    for name in report.stale + report.missing:
        print(f"wrote {args.exercises / name}")
    for name in report.extra:
        print(f"removed {args.exercises / name} (no solution for it)")
    if report.answered:
        from .grading.release import keep_answers_advice

        for name, work in report.answered.items():
            print(f"not overwritten: {args.exercises / name} holds your work "
                  f"({'; '.join(work)})", file=sys.stderr)
        print(keep_answers_advice(args.exercises, sorted(report.answered)), file=sys.stderr)
        return 1
    if report.in_sync:
        print(f"{args.exercises}/ already up to date")
    return 0


def printable(text) -> str:
    """text with every control character (escape sequences included) shown as '?': what the
    grader prints holds student ids and file names, which must not drive the terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in str(text))


def _grade(args) -> int:
    from .grading.grade import GradeError, grade
    from .grading.progress import Progress
    from .grading.results import format_points

    if args.scheduler is not None and args.jobs is not None:
        raise GradeError("--jobs and --scheduler: give one of them; on a cluster, the workers' "
                         "threads decide how many notebooks are graded at once (local:N "
                         "starts N worker processes here)")
    counts = Progress()

    def progress(result, n, total, reused):
        print(f"{counts.bar()} {printable(result.student)} {printable(result.exercise)}: "
              f"{format_points(result.score)}/{format_points(result.max_score)} "
              f"{result.status}" + (" (kept from an earlier run)" if reused else "")
              + f"  ({counts.text()})", flush=True)

    def notice(text):
        print(f"note: {printable(text)}", flush=True)

    results = grade(args.submissions, args.out, solutions=args.solutions,
                    timeout=args.timeout, jobs=args.jobs or 2, scheduler=args.scheduler,
                    progress=counts,
                    notebook_timeout=args.notebook_timeout, force=args.force,
                    on_result=progress, memory=args.memory * 1024**2,
                    sandboxed=not args.unsafe_no_sandbox, show_tests=args.show_tests,
                    on_notice=notice, exercises=args.exercise, formats=args.format)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    extra = "".join(f", {args.out / f'grades-{name}.csv'}" for name in args.format)
    print(f"wrote {args.out / 'grades.csv'} ({len(results)} rows: {summary}){extra} "
          f"and {args.out / 'feedback'}/")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlesson", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="generate exercises/ from solutions/")
    rel.add_argument("--solutions", type=Path, default=Path("solutions"))
    rel.add_argument("--exercises", type=Path, default=Path("exercises"))
    rel.add_argument("--check", action="store_true",
                     help="only report whether exercises/ is in sync (exit 1 if not)")
    rel.add_argument("--nbgrader-course", type=Path, metavar="COURSE",
                     help="instead, write the stamped solutions into an nbgrader course "
                          "folder, as COURSE/source/<stem>/<stem>.ipynb (for nbgrader's own "
                          "workflow on a hub)")
    rel.add_argument("--discard-answers", action="store_true",
                     help="also overwrite exercises that hold a learner's answers (which are "
                          "otherwise kept, and the command says where to move them)")
    rel.set_defaults(run=_release)

    gr = sub.add_parser("grade", help="grade a class's submissions: each notebook's code in "
                        "a sandbox, its tests in the grader")
    gr.add_argument("submissions", type=Path,
                    help="folder with one sub-folder per student, or a .zip of that")
    gr.add_argument("--out", type=Path, required=True,
                    help="where grades.csv and feedback/<student>/<exercise>.html go")
    gr.add_argument("--solutions", type=Path, default=Path("solutions"),
                    help="the folder of solution notebooks the tests come from, hidden tests "
                         "included (default: solutions)")
    gr.add_argument("--exercise", action="append", metavar="EXERCISE",
                    help="grade only this exercise: ex03 or ex03-rnn-cell-forward; give it "
                         "again for more (default: every exercise of --solutions)")
    gr.add_argument("--format", action="append", default=[], choices=("canvas", "moodle"),
                    help="also write the gradebook in this platform's import format: "
                         "OUT/grades-canvas.csv or OUT/grades-moodle.csv (one row per "
                         "student, one column per exercise); give it again for both")
    gr.add_argument("--timeout", type=_positive, default=30,
                    help="seconds one test may run, its calls of the learner's functions "
                         "together (default 30)")
    gr.add_argument("--notebook-timeout", type=_positive, default=None,
                    help="seconds the learner's cells may run before the tests (default 10 x "
                         "--timeout)")
    gr.add_argument("--jobs", type=_positive, default=None,
                    help="notebooks graded at once on this machine, by as many worker "
                         "processes of the grader's own (default 2); not with --scheduler")
    gr.add_argument("--scheduler", metavar="ADDRESS",
                    help="grade on a dask cluster instead: tcp://HOST:PORT of a running dask "
                         "scheduler, or local:N to start one here with N worker processes. "
                         "Each worker grades as many notebooks at once as it has threads, "
                         "each in its own sandbox, so --jobs does not apply; --jobs stays the "
                         "way to grade on one machine without dask")
    gr.add_argument("--force", action="store_true",
                    help="regrade everything, ignoring results kept in OUT from earlier runs")
    gr.add_argument("--memory", type=_positive, default=2048, metavar="MIB",
                    help="memory one notebook's sandbox may use, all its processes together "
                         "where control groups allow, in MiB (default 2048)")
    gr.add_argument("--show-tests", action="store_true",
                    help="feedback pages show each test's source, hidden tests included, "
                         "and tracebacks (off by default: pages show results only)")
    gr.add_argument("--unsafe-no-sandbox", action="store_true", help=argparse.SUPPRESS)
    gr.set_defaults(run=_grade)
    return parser


INSTRUCTOR_TOOLS = {"nbgrader", "nbconvert", "nbclient", "distributed", "dask"}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    from .grading.course import CourseError
    from .grading.grade import GradeError
    from .grading.markers import MarkerError
    from .grading.submissions import SubmissionsError

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return args.run(args)
    except (GradeError, MarkerError, CourseError, SubmissionsError, FileNotFoundError) as err:
        print(f"rnnlesson {args.command}: error: {printable(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rnnlesson {args.command}: interrupted; results graded so far are kept",
              file=sys.stderr)
        return 130
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] not in INSTRUCTOR_TOOLS:
            raise
        print(f"rnnlesson {args.command}: error: this needs {err.name.split('.')[0]}, one of "
              "the instructor's tools, which is not installed here: run `make instructor` "
              "(it installs them from the lock)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
