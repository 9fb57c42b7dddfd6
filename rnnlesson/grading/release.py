"""Generate ``exercises/`` from ``solutions/`` (``rnnlesson release``), byte for byte repeatable.

Each ``solutions/<stem>.ipynb`` goes through nbgrader's ``generate_assignment`` in a temporary
course: solution regions become ``raise NotImplementedError()`` stubs, hidden tests go, outputs
are cleared, and the nbgrader metadata stays (grading needs it). The result is written with
fixed JSON formatting and no timestamps, so regenerating gives the same bytes.

A learner's answers are never overwritten. The course's lab keeps them in ``work/``
(``rnnlesson.labserver``); an exercise in ``exercises/`` that holds a learner's work anyway (an
answer cell changed, a cell added: edited outside the lab) is left as it is, and the report
says where to move it, unless ``discard_answers`` is asked for.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import (
    build_course,
    exercise_bytes,
    notebook_bytes,
    read_notebook,
    solution_notebooks,
    write_atomic,
)
from .markers import stamp

FIX_COMMAND = "rnnlesson release"


def generate_exercises(solutions: Path) -> dict[str, bytes]:
    """File name -> bytes of every exercise the solutions generate (solutions are only read)."""
    notebooks = solution_notebooks(solutions)
    if not notebooks:
        return {}
    with tempfile.TemporaryDirectory(prefix="rnnlesson-release-") as tmp:
        released = build_course(notebooks, Path(tmp))
        return {f"{stem}.ipynb": exercise_bytes(path) for stem, path in released.items()}


@dataclass
class SyncReport:
    """How ``exercises/`` differs from what ``solutions/`` generates."""

    stale: list[str] = field(default_factory=list)    # present, different bytes
    missing: list[str] = field(default_factory=list)  # generated, not in exercises/
    extra: list[str] = field(default_factory=list)    # in exercises/, no solution for it
    answered: dict = field(default_factory=dict)      # name -> the learner's work found in it

    @property
    def in_sync(self) -> bool:
        return not (self.stale or self.missing or self.extra or self.answered)

    def describe(self, exercises: Path) -> str:
        if self.in_sync:
            return f"{exercises}/ is in sync with the solutions."
        lines = [f"{exercises}/ is out of sync with the solutions:"]
        for label, names in (("stale", self.stale), ("missing", self.missing),
                             ("extra (no solution)", self.extra)):
            lines += [f"  {label}: {exercises}/{name}" for name in names]
        for name, work in self.answered.items():
            lines.append(f"  holds a learner's work ({'; '.join(work)}): {exercises}/{name}")
        if self.stale or self.missing or self.extra:
            lines.append(f"Fix it with: {FIX_COMMAND}")
        if self.answered:
            lines.append(keep_answers_advice(exercises, sorted(self.answered)))
        return "\n".join(lines)


def keep_answers_advice(exercises: Path, names: list[str]) -> str:
    work = exercises.parent / "work" / "exercises"
    moves = " && ".join(f"mv {exercises / n} {work / n}" for n in names)
    return (f"Your answers are kept where they are. Move them to {work}/, where the course's "
            f"lab (make lab) keeps and opens your answers: mkdir -p {work} && {moves}; then "
            f"run `{FIX_COMMAND}` again. Or, to throw them away: "
            f"`{FIX_COMMAND} --discard-answers`.")


def _cells(data: bytes) -> list[dict]:
    return json.loads(data.decode("utf-8")).get("cells", [])


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def learner_work(present: bytes, generated: bytes) -> list[str]:
    """What of a learner's work an exercise file holds against the generated one: answer
    cells whose code is not the stub, cells the learner added (outputs are not work)."""
    try:
        cells = _cells(present)
    except (ValueError, AttributeError):
        return []
    given = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c
             for c in _cells(generated)}
    found = []
    for number, cell in enumerate(cells, 1):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        original = given.get(grade_id)
        if original is None:
            if _source(cell).strip():
                found.append(f"cell {number}, added")
        elif original.get("metadata", {}).get("nbgrader", {}).get("solution") \
                and _source(cell) != _source(original):
            found.append(f"cell {number}, your answer")
    return found


def compare(generated: dict[str, bytes], exercises: Path) -> SyncReport:
    """Compare generated exercises with the notebooks in the ``exercises`` folder."""
    exercises = Path(exercises)
    present = ({p.name for p in exercises.glob("*.ipynb") if not p.name.startswith(".")}
               if exercises.is_dir() else set())
    report = SyncReport()
    for name in sorted(generated):
        if name not in present:
            report.missing.append(name)
            continue
        data = (exercises / name).read_bytes()
        if data == generated[name]:
            continue
        work = learner_work(data, generated[name])
        if work:
            report.answered[name] = work
        else:
            report.stale.append(name)
    report.extra = sorted(present - set(generated))
    return report


def check(solutions: Path, exercises: Path) -> SyncReport:
    """Regenerate in a temporary folder and report differences; writes nothing."""
    return compare(generate_exercises(solutions), exercises)


def release(solutions: Path, exercises: Path, discard_answers: bool = False) -> SyncReport:
    """Make ``exercises/`` match the solutions; returns what was changed (written or removed)
    and, in ``answered``, the exercises left as they are because they hold a learner's work
    (overwritten too with ``discard_answers``)."""
    generated = generate_exercises(solutions)
    exercises = Path(exercises)
    report = compare(generated, exercises)
    exercises.mkdir(parents=True, exist_ok=True)
    if discard_answers:
        report.stale += sorted(report.answered)
        report.answered = {}
    for name in report.stale + report.missing:
        write_atomic(exercises / name, generated[name])
    for name in report.extra:
        (exercises / name).unlink()
    return report


def write_nbgrader_source(solutions: Path, course: Path) -> list[Path]:
    """The stamped solutions as an nbgrader course's ``source/<stem>/<stem>.ipynb`` under
    ``course`` (for running nbgrader's own workflow); returns the files written."""
    written = []
    for path in solution_notebooks(solutions):
        dest = Path(course) / "source" / path.stem / f"{path.stem}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(dest, notebook_bytes(stamp(read_notebook(path), path.name)))
        written.append(dest)
    return written
