"""Instructor tooling: exercises generated from solutions, and grading a class.

- ``markers``: ``### BEGIN SOLUTION`` / ``# TEST: name (N points)`` markers -> nbgrader metadata;
- ``release``: ``solutions/`` -> ``exercises/`` (``rnnlesson release``);
- ``grade``: a class's submissions -> ``grades.csv`` and feedback pages (``rnnlesson grade``):
  each notebook's code runs in a sandbox (``sandbox``, ``runner``, ``answer_key``) and its
  tests in the grader's process (``replay``, ``trusted``), data passing between (``channel``);
  on this machine's worker processes (``worker``) or a dask cluster's (``distributed``), with
  the same progress counts either way (``progress``).

This file imports nothing: the runner in every sandbox imports ``rnnlesson.grading.runner``,
and pulling the grading tools in with it (nbformat's validator, nbgrader) would cost each
graded notebook seconds and put grading code in the learner's process for no reason.
"""
