"""Turn the plain markers an author writes in a solution notebook into nbgrader 0.9 metadata.

An author writes no metadata by hand. Three kinds of cell, told apart by markers:

- a *solution* cell holds the learner's code between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` lines;
- a *test* cell is a code cell whose first line is ``# TEST: <short name> (<N> points)``;
  it may hide part of itself between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
- every other cell is locked (read-only).

``stamp(nb, name)`` returns a stamped deep copy; the notebook passed in is never changed.
A malformed marker raises ``MarkerError`` naming the notebook, the cell, what was expected
and what arrived.
"""
from __future__ import annotations

import copy
import math
import re

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
HEADER_FORM = "# TEST: <short name> (<N> points)"
SCHEMA_VERSION = 3

_HEADER_START = re.compile(r"#\s*TEST\b")
_HEADER = re.compile(r"#\s*TEST:\s*(?P<name>[^()]*?)\s*(?:\((?P<points>[^()]*)\))?\s*$")
_POINTS = re.compile(r"(?P<value>\S+)\s+points?$")
_ID_OK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class MarkerError(ValueError):
    """A solution notebook's markers cannot be turned into nbgrader metadata."""


def _fail(notebook, index, cell, problem, expected, got):
    first = cell.source.splitlines()[0] if cell.source.strip() else "<empty>"
    raise MarkerError(
        f"{notebook}, cell {index + 1} ({cell.cell_type}, first line {first!r}): {problem}; "
        f"expected {expected}, got {got!r}")


def slug(text: str) -> str:
    """Lower-case words joined by '-', the form used in grade ids."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def parse_test_header(line: str) -> tuple[str, float] | None:
    """Return (name, points) for a ``# TEST:`` header line, None for any other line.

    Raises ValueError (with the reason) for a header that is not well formed.
    """
    if not _HEADER_START.match(line.strip()):
        return None
    match = _HEADER.match(line.strip())
    if match is None or not match["name"]:
        raise ValueError("the test header is not of the form " + HEADER_FORM)
    if match["points"] is None:
        raise ValueError("the test header gives no points")
    points_text = match["points"].strip()
    value = _POINTS.match(points_text)
    if value is None:
        raise ValueError("the points are not written as '<N> points'")
    try:
        points = float(value["value"])
    except ValueError:
        raise ValueError("the points are not a number") from None
    if not math.isfinite(points) or points <= 0:
        raise ValueError("the points are not a positive number")
    return match["name"], int(points) if points.is_integer() else points


def _regions(lines, begin, end):
    """Yield (problem, got) for each unmatched begin/end marker among the lines."""
    inside = None
    for number, line in enumerate(lines, start=1):
        if begin in line:
            if inside is not None:
                yield f"a second {begin!r} before {end!r}", f"line {number}: {line}"
            inside = number
        elif end in line:
            if inside is None:
                yield f"{end!r} without a {begin!r} before it", f"line {number}: {line}"
            inside = None
    if inside is not None:
        yield f"{begin!r} without a matching {end!r}", f"line {inside}: {lines[inside - 1]}"


def classify(nb, notebook: str) -> list[dict]:
    """Describe each cell: kind ('solution', 'test' or 'locked'), and a test's name and points."""
    kinds = []
    for index, cell in enumerate(nb.cells):
        lines = cell.source.splitlines()
        has_solution = any(BEGIN_SOLUTION in ln or END_SOLUTION in ln for ln in lines)
        has_hidden = any(BEGIN_HIDDEN in ln or END_HIDDEN in ln for ln in lines)
        header = None
        if cell.cell_type == "code" and lines:
            try:
                header = parse_test_header(lines[0])
            except ValueError as err:
                _fail(notebook, index, cell, str(err), HEADER_FORM, lines[0])
        if has_solution and cell.cell_type != "code":
            _fail(notebook, index, cell, "solution markers outside a code cell",
                  "solution regions only in code cells", cell.cell_type)
        if has_solution and header is not None:
            _fail(notebook, index, cell, "a test cell holds a solution region",
                  "tests and solutions in separate cells", lines[0])
        if has_hidden and header is None:
            _fail(notebook, index, cell, "hidden tests outside a test cell",
                  "hidden tests only in a cell that starts with " + HEADER_FORM,
                  lines[0] if lines else "")
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            for problem, got in _regions(lines, begin, end):
                _fail(notebook, index, cell, "unmatched marker: " + problem,
                      f"{begin!r} ... {end!r} in pairs", got)
        if header is not None:
            kinds.append({"kind": "test", "name": header[0], "points": header[1]})
        elif has_solution:
            kinds.append({"kind": "solution"})
        else:
            kinds.append({"kind": "locked"})
    return kinds


def grade_ids(nb, notebook: str, kinds: list[dict]) -> list[str]:
    """Stable, unique grade ids: ``test-<name>``; ``answer-NN``, ``cell-NN`` by position."""
    width = max(2, len(str(len(nb.cells))))
    ids, seen = [], {}
    for index, (cell, kind) in enumerate(zip(nb.cells, kinds, strict=True)):
        if kind["kind"] == "test":
            grade_id = "test-" + (slug(kind["name"]) or f"{index:0{width}d}")
            if grade_id in seen:
                _fail(notebook, index, cell, "duplicate test name",
                      f"a name not already used by cell {seen[grade_id] + 1}", kind["name"])
        elif kind["kind"] == "solution":
            grade_id = f"answer-{index:0{width}d}"
        else:
            grade_id = f"cell-{index:0{width}d}"
        seen[grade_id] = index
        ids.append(grade_id)
    return ids


def stamp(nb, notebook: str = "notebook"):
    """Return a deep copy of ``nb`` with nbgrader metadata on every cell (nb is not changed)."""
    kinds = classify(nb, notebook)
    ids = grade_ids(nb, notebook, kinds)
    out = copy.deepcopy(nb)
    for cell, kind, grade_id in zip(out.cells, kinds, ids, strict=True):
        meta = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id,
                "schema_version": SCHEMA_VERSION, "task": False}
        if kind["kind"] == "solution":
            meta.update(solution=True, locked=False)
        elif kind["kind"] == "test":
            meta.update(grade=True, points=kind["points"])
        cell.metadata.pop("nbgrader", None)
        cell.metadata["nbgrader"] = meta
        if not _ID_OK.match(str(cell.get("id", ""))):
            cell["id"] = grade_id
    out.nbformat, out.nbformat_minor = 4, max(5, out.get("nbformat_minor", 5))
    return out


def points_by_test(stamped) -> dict[str, float]:
    """grade_id -> points of every test cell in a stamped notebook."""
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
            for c in stamped.cells if c.metadata.get("nbgrader", {}).get("grade")}
