"""Rewrite the course map in notebooks/00-index.ipynb from the notebooks' own titles.

    python scripts/update_index.py          # rewrite the map cell if it is out of date
    python scripts/update_index.py --check  # only report; exit 1 if it is out of date

Only the source of the one Markdown cell that starts with the course-map marker changes; every
other cell, output and metadata stays as it was. The result depends only on the notebooks'
file names and titles, so running it twice changes nothing the second time.
"""

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository's own rnnlesson, installed or not

from rnnlesson import course  # noqa: E402


def update_index(directory):
    """Bring the map cell up to date; return True if the index file changed."""
    path = Path(directory) / course.INDEX_NAME
    notebook = nbformat.read(path, as_version=4)
    cell = notebook.cells[course.find_map_cell(notebook)]
    wanted = course.course_map_markdown(directory)
    if cell.source == wanted:
        return False
    cell.source = wanted
    nbformat.write(notebook, path)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only, change nothing")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="the folder of notebooks (default: notebooks/)")
    args = parser.parse_args(argv)
    index = args.notebooks / course.INDEX_NAME
    try:
        return check_or_update(args, index)
    except (OSError, ValueError) as err:  # a missing index, a misnamed or untitled notebook
        print(f"error: {err}", file=sys.stderr)
        return 2


def check_or_update(args, index):
    if args.check:
        notebook = nbformat.read(index, as_version=4)
        current = notebook.cells[course.find_map_cell(notebook)].source
        stale = current != course.course_map_markdown(args.notebooks)
        print(f"{index}: course map {'out of date' if stale else 'up to date'}")
        return 1 if stale else 0
    changed = update_index(args.notebooks)
    print(f"{index}: course map {'rewritten' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
