"""Generate ``exercises/`` from ``solutions/`` (``rnnlesson release``), byte for byte repeatable.

Each ``solutions/<stem>.ipynb`` goes through nbgrader's ``generate_assignment`` in a temporary
course: solution regions become ``raise NotImplementedError()`` stubs, hidden tests go, outputs
are cleared, and the nbgrader metadata stays (grading needs it). The result is written with
fixed JSON formatting and no timestamps, so regenerating gives the same bytes.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import build_course, exercise_bytes, solution_notebooks, write_atomic

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

    @property
    def in_sync(self) -> bool:
        return not (self.stale or self.missing or self.extra)

    def describe(self, exercises: Path) -> str:
        if self.in_sync:
            return f"{exercises}/ is in sync with the solutions."
        lines = [f"{exercises}/ is out of sync with the solutions:"]
        for label, names in (("stale", self.stale), ("missing", self.missing),
                             ("extra (no solution)", self.extra)):
            lines += [f"  {label}: {exercises}/{name}" for name in names]
        lines.append(f"Fix it with: {FIX_COMMAND}")
        return "\n".join(lines)


def compare(generated: dict[str, bytes], exercises: Path) -> SyncReport:
    """Compare generated exercises with the notebooks in the ``exercises`` folder."""
    exercises = Path(exercises)
    present = ({p.name for p in exercises.glob("*.ipynb") if not p.name.startswith(".")}
               if exercises.is_dir() else set())
    report = SyncReport()
    for name in sorted(generated):
        if name not in present:
            report.missing.append(name)
        elif (exercises / name).read_bytes() != generated[name]:
            report.stale.append(name)
    report.extra = sorted(present - set(generated))
    return report


def check(solutions: Path, exercises: Path) -> SyncReport:
    """Regenerate in a temporary folder and report differences; writes nothing."""
    return compare(generate_exercises(solutions), exercises)


def release(solutions: Path, exercises: Path) -> SyncReport:
    """Make ``exercises/`` match the solutions; returns what was changed (written or removed)."""
    generated = generate_exercises(solutions)
    exercises = Path(exercises)
    report = compare(generated, exercises)
    exercises.mkdir(parents=True, exist_ok=True)
    for name in report.stale + report.missing:
        write_atomic(exercises / name, generated[name])
    for name in report.extra:
        (exercises / name).unlink()
    return report
