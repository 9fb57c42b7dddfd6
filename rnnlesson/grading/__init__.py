"""Instructor tooling: exercises generated from solutions, and grading a class with nbgrader.

- ``markers``: ``### BEGIN SOLUTION`` / ``# TEST: name (N points)`` markers -> nbgrader metadata;
- ``release``: ``solutions/`` -> ``exercises/`` (``rnnlesson release``);
- ``grade``: a class's submissions -> ``grades.csv`` and feedback pages (``rnnlesson grade``).
"""
from .markers import MarkerError, stamp
from .results import STATUSES

__all__ = ["MarkerError", "STATUSES", "stamp"]
