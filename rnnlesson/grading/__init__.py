"""Instructor tooling: exercises generated from solutions, and grading a class with nbgrader.

- ``markers``: ``### BEGIN SOLUTION`` / ``# TEST: name (N points)`` markers -> nbgrader metadata;
- ``release``: ``solutions/`` -> ``exercises/`` (``rnnlesson release``);
- ``grade``: a class's submissions -> ``grades.csv`` and feedback pages (``rnnlesson grade``).

This file imports nothing: every graded kernel imports ``rnnlesson.grading.guard`` before the
learner's first cell, and pulling nbformat in with it (its schema validator) cost each graded
notebook about two seconds.
"""
