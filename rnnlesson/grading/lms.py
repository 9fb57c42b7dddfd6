"""The gradebook in the import formats of learning platforms: Canvas and Moodle.

Both are CSV files with one row per student and one column per exercise, in points, written
beside ``grades.csv`` from the same results (a missing or unreadable notebook counts 0):

- ``grades-canvas.csv``: Canvas's gradebook import (Grades > Import): the columns ``Student,
  ID, SIS User ID, SIS Login ID, Section``, then one column per exercise, and a second row
  ``Points Possible`` with each exercise's maximum. The student id goes in ``Student`` and
  ``SIS Login ID``, which Canvas matches against its users (name the submission folders by
  login, as Canvas's own submission download does).
- ``grades-moodle.csv``: Moodle's grade import (Grades > Import > CSV file): ``Username``,
  then one column per exercise; on import, map ``Username`` to the users' username and each
  exercise's column to its grade item.

Every cell is spreadsheet-safe (`results.spreadsheet_safe`).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .course import write_atomic
from .results import Result, format_points, spreadsheet_safe

FORMATS = ("canvas", "moodle")


def _table(results: list[Result]) -> tuple[list[str], list[str], dict, dict]:
    exercises = sorted({r.exercise for r in results})
    students = sorted({r.student for r in results})
    points = {(r.student, r.exercise): r.score for r in results}
    maximum = {r.exercise: r.max_score for r in results}
    return exercises, students, points, maximum


def canvas_rows(results: list[Result]) -> list[list[str]]:
    exercises, students, points, maximum = _table(results)
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *exercises],
            ["Points Possible", "", "", "", "", *(format_points(maximum[e]) for e in exercises)]]
    for student in students:
        rows.append([student, "", "", student, "",
                     *(format_points(points.get((student, e), 0.0)) for e in exercises)])
    return rows


def moodle_rows(results: list[Result]) -> list[list[str]]:
    exercises, students, points, _ = _table(results)
    rows = [["Username", *exercises]]
    for student in students:
        rows.append([student, *(format_points(points.get((student, e), 0.0))
                                for e in exercises)])
    return rows


def write(out: Path, results: list[Result], formats) -> list[Path]:
    """Write ``OUT/grades-<format>.csv`` for each format asked for; returns the paths."""
    written = []
    for name in formats:
        rows = {"canvas": canvas_rows, "moodle": moodle_rows}[name](results)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in rows:
            writer.writerow([spreadsheet_safe(cell) for cell in row])
        path = Path(out) / f"grades-{name}.csv"
        write_atomic(path, buffer.getvalue().encode("utf-8"))
        written.append(path)
    return written
