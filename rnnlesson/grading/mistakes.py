"""What the class got wrong: the mistakes the checks named, read from graded notebooks.

A failed check's message ends with a tag such as ``[mistake: ex05/tanh-derivative-not-squared]``
(see `rnnlesson.checks`). After autograding, these functions read the tags from the test
cells' error outputs, write them to ``mistakes.csv`` (one row per student, exercise, test and
mistake) and draw a summary page: per exercise, the most common mistakes and the share of the
students graded for that exercise who made each. Pure functions: no nbgrader needed.
"""
from __future__ import annotations

import csv
import html
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from rnnlesson.checks import mistake_ids

from .course import write_atomic
from .results import spreadsheet_safe

COLUMNS = ("student", "exercise", "test", "mistake")
SHOWN = 8  # bars per chart; the table beside it lists every mistake


def mistakes_in_notebook(nb) -> list[tuple[str, str]]:
    """[(test grade_id, mistake id)] for each test cell (metadata.nbgrader.grade true) of an
    executed notebook whose error output carries a mistake tag, in notebook order."""
    found = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade"):
            continue
        seen = []
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            text = "\n".join([str(output.get("evalue", "")), *output.get("traceback", [])])
            for mistake in mistake_ids(text):  # the tag is in evalue and traceback alike
                if mistake not in seen:
                    seen.append(mistake)
        found += [(meta.get("grade_id", ""), mistake) for mistake in seen]
    return found


def csv_bytes(rows: Iterable[tuple[str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(sorted({tuple(spreadsheet_safe(cell) for cell in row) for row in rows}))
    return out.getvalue().encode("utf-8")


def write_mistakes_csv(path: Path, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """mistakes.csv with the columns student, exercise, test, mistake; rows sorted, each
    once; written through a temporary file, so a reader never sees half of it."""
    write_atomic(Path(path), csv_bytes(rows))


def counts_by_exercise(rows) -> dict[str, Counter]:
    """{exercise: Counter(mistake id -> number of students who made it)}: a student who makes
    one mistake in two tests counts once."""
    students = defaultdict(set)
    for student, exercise, _test, mistake in rows:
        students[(exercise, mistake)].add(student)
    counts = defaultdict(Counter)
    for (exercise, mistake), who in students.items():
        counts[exercise][mistake] = len(who)
    return counts


def class_size(value) -> int:
    return value if isinstance(value, int) else len(set(value))


def ranked(counter: Counter) -> list[tuple[str, int]]:
    """Most students first, then by id, so the page is the same on every run."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def bar_chart(exercise: str, items: list[tuple[str, int]], graded: int) -> str:
    """An inline SVG: one bar per mistake, its length the share of the class."""
    row, label_width, bar_width = 26, 300, 260
    height = row * len(items) + 10
    title_id = f"chart-{exercise}"
    parts = [f'<svg role="img" aria-labelledby="{title_id}" width="{label_width + bar_width + 90}"'
             f' height="{height}" viewBox="0 0 {label_width + bar_width + 90} {height}">',
             f'<title id="{title_id}">{html.escape(exercise)}: the most common mistakes, as a '
             f'share of the {graded} students graded</title>']
    for i, (mistake, count) in enumerate(items):
        share = count / graded if graded else 0.0
        y = 5 + i * row
        text = f"{mistake}: {count} of {graded} students ({share:.0%})"
        parts.append(
            f'<g><title>{html.escape(text)}</title>'
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end">'
            f'{html.escape(mistake.split("/", 1)[-1])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(share * bar_width, 1):.1f}" '
            f'height="{row - 8}" fill="#d62728"/>'
            f'<text x="{label_width + share * bar_width + 6:.1f}" y="{y + 16}">{share:.0%}'
            '</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def table(items: list[tuple[str, int]], graded: int) -> str:
    body = "".join(f"<tr><td><code>{html.escape(m)}</code></td><td>{c}</td>"
                   f"<td>{f'{c / graded:.0%}' if graded else '-'}</td></tr>" for m, c in items)
    return ('<table><thead><tr><th scope="col">mistake</th><th scope="col">students</th>'
            f'<th scope="col">share of the class</th></tr></thead><tbody>{body}</tbody></table>')


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
section { margin-bottom: 2.5em; }
.pair { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
svg text { font-size: 13px; font-family: sans-serif; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2em 0.8em; text-align: left; }
"""


def class_summary_html(rows: Iterable[tuple[str, str, str, str]],
                       students_by_exercise: Mapping[str, int | Iterable[str]]) -> bytes:
    """A self-contained page (no other host): per exercise, a bar chart of the most common
    mistakes and the share of the class that made each, with the same figures in a table.

    rows: (student, exercise, test, mistake), as in mistakes.csv; students_by_exercise:
    {exercise: the students graded for it, or their number}, the denominator of each share.
    """
    counts = counts_by_exercise(rows)
    sections = []
    for exercise in sorted(set(students_by_exercise) | set(counts)):
        graded = class_size(students_by_exercise.get(exercise, 0))
        items = ranked(counts.get(exercise, Counter()))
        heading = (f"<h2>{html.escape(exercise)}</h2><p>{graded} students graded; "
                   f"{len(items)} different mistake{'' if len(items) == 1 else 's'} named by the "
                   "checks.</p>")
        if not items:
            sections.append(f"<section>{heading}<p>No mistake named.</p></section>")
            continue
        sections.append(f'<section>{heading}<div class="pair">'
                        f"{bar_chart(exercise, items[:SHOWN], graded)}"
                        f"{table(items, graded)}</div></section>")
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>What the class got wrong</title>"
            f"<style>{STYLE}</style></head><body><h1>What the class got wrong</h1>"
            "<p>Each bar is the share of the students graded for the exercise whose work shows "
            "that mistake in at least one test.</p>" + "".join(sections) + "</body></html>\n")
    return page.encode("utf-8")
