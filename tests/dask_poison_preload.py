"""A dask worker preload for tests/test_distributed_grading.py: a poison submission.

A notebook holding ``POISON_MARK`` kills the grading worker's whole process (SIGKILL, as the
kernel's out-of-memory killer would) each time a worker starts grading it, the way a
submission that found a fault in the grader could. Nothing else changes: every other
notebook is graded by the real code. Loaded with ``dask worker --preload``.
"""
import os
import signal

POISON_MARK = "POISON-KILLS-ITS-GRADING-WORKER"


def dask_setup(worker):
    from rnnlesson.grading import distributed

    grade = distributed.CoursePlugin.grade

    def poisoned(self, job, notebook):
        if POISON_MARK.encode() in notebook:
            os.kill(os.getpid(), signal.SIGKILL)
        return grade(self, job, notebook)

    distributed.CoursePlugin.grade = poisoned
