"""The ``rnnlesson`` command: ``rnnlesson release`` and ``rnnlesson grade``.

    rnnlesson release [--solutions solutions] [--exercises exercises] [--check]
    rnnlesson grade SUBMISSIONS --out OUT [--solutions solutions] [--timeout 30] [--jobs 2]
                    [--memory 2048] [--show-tests]
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _release(args) -> int:
    from .grading.release import check, release

    if args.check:
        report = check(args.solutions, args.exercises)
        print(report.describe(args.exercises))
        return 0 if report.in_sync else 1
    report = release(args.solutions, args.exercises)
    for name in report.stale + report.missing:
        print(f"wrote {args.exercises / name}")
    for name in report.extra:
        print(f"removed {args.exercises / name} (no solution for it)")
    if report.in_sync:
        print(f"{args.exercises}/ already up to date")
    return 0


def printable(text) -> str:
    """text with every control character (escape sequences included) shown as '?': what the
    grader prints holds student ids and file names, which must not drive the terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in str(text))


def _grade(args) -> int:
    from .grading.grade import grade
    from .grading.results import format_points

    def progress(result, n, total, reused):
        print(f"[{n}/{total}] {printable(result.student)} {printable(result.exercise)}: "
              f"{format_points(result.score)}/{format_points(result.max_score)} "
              f"{result.status}" + (" (kept from an earlier run)" if reused else ""),
              flush=True)

    def notice(text):
        print(f"note: {printable(text)}", flush=True)

    results = grade(args.submissions, args.out, solutions=args.solutions,
                    timeout=args.timeout, jobs=args.jobs,
                    notebook_timeout=args.notebook_timeout, force=args.force,
                    on_result=progress, memory=args.memory * 1024**2,
                    sandboxed=not args.unsafe_no_sandbox, show_tests=args.show_tests,
                    on_notice=notice)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"wrote {args.out / 'grades.csv'} ({len(results)} rows: {summary}) "
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
    rel.set_defaults(run=_release)

    gr = sub.add_parser("grade", help="grade a class's submissions with nbgrader")
    gr.add_argument("submissions", type=Path,
                    help="folder with one sub-folder per student, or a .zip of that")
    gr.add_argument("--out", type=Path, required=True,
                    help="where grades.csv and feedback/<student>/<exercise>.html go")
    gr.add_argument("--solutions", type=Path, default=Path("solutions"))
    gr.add_argument("--timeout", type=_positive, default=30,
                    help="seconds a cell may run before it is interrupted (default 30)")
    gr.add_argument("--notebook-timeout", type=_positive, default=None,
                    help="seconds a whole notebook may run (default 10 x --timeout)")
    gr.add_argument("--jobs", type=_positive, default=2,
                    help="notebooks graded at once (default 2)")
    gr.add_argument("--force", action="store_true",
                    help="regrade everything, ignoring results kept in OUT from earlier runs")
    gr.add_argument("--memory", type=_positive, default=2048, metavar="MIB",
                    help="memory one notebook's processes may use, in MiB (default 2048)")
    gr.add_argument("--show-tests", action="store_true",
                    help="feedback pages show each test's source, hidden tests included, "
                         "and tracebacks (off by default: pages show results only)")
    gr.add_argument("--unsafe-no-sandbox", action="store_true", help=argparse.SUPPRESS)
    gr.set_defaults(run=_grade)
    return parser


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


if __name__ == "__main__":
    sys.exit(main())
