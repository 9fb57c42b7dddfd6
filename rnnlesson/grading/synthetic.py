"""Synthetic submissions: put the solution, or a wrong body, back into an exercise's stubs.

Used by the grading tests and the grading benchmark to stand in for a class of learners.
"""
from __future__ import annotations

import copy

from .markers import BEGIN_SOLUTION, END_SOLUTION

STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def solution_bodies(solution_nb) -> list[str]:
    """The code of every solution region, in notebook order (marker lines left out)."""
    bodies = []
    for cell in solution_nb.cells:
        region = None
        for line in cell.source.splitlines():
            if BEGIN_SOLUTION in line:
                region = []
            elif END_SOLUTION in line:
                bodies.append("\n".join(region))
                region = None
            elif region is not None:
                region.append(line)
    return bodies


def count_stubs(exercise_nb) -> int:
    return sum(cell.source.count(STUB[1]) for cell in exercise_nb.cells)


def fill_stubs(exercise_nb, bodies: list[str | None]):
    """A copy of the exercise with stub k replaced by ``bodies[k]``.

    ``None`` stands for a wrong answer: ``pass`` at the stub's indentation, so a function
    returns None and its tests fail.
    """
    if count_stubs(exercise_nb) != len(bodies):
        raise ValueError(f"the exercise has {count_stubs(exercise_nb)} stubs, "
                         f"{len(bodies)} bodies were given")
    nb = copy.deepcopy(exercise_nb)
    k = 0
    for cell in nb.cells:
        lines = cell.source.split("\n")
        out, i = [], 0
        while i < len(lines):
            if (lines[i].strip() == STUB[0] and i + 1 < len(lines)
                    and lines[i + 1].strip() == STUB[1]):
                body = bodies[k]
                indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                out.extend((body if body is not None else indent + "pass").split("\n"))
                k += 1
                i += 2
            else:
                out.append(lines[i])
                i += 1
        cell.source = "\n".join(out)
    return nb
