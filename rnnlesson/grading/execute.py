"""nbgrader's ``Execute`` preprocessor, made to survive a dead kernel and to keep a time budget.

nbgrader interrupts a cell that runs past ``Execute.timeout`` and records a
``CellTimeoutError`` in it, then goes on. Two faults it does not survive are handled here,
so a notebook still earns the points of the tests that passed before the fault:

- the kernel dies (``os._exit``, a crash): the cell gets a ``DeadKernelError`` output;
- a kernel that ignores the interrupt, or a notebook that runs past ``notebook_timeout``
  seconds in total: the cell gets a timeout error.

After either, the remaining code cells are not run; each gets a ``CellNotRun`` error output,
so a test cell that never ran scores zero rather than counting as passed.
"""
from __future__ import annotations

import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

KERNEL_DIED = "DeadKernelError"
CELL_TIMEOUT = "CellTimeoutError"
NOTEBOOK_TIMEOUT = "NotebookTimeoutError"
NOT_RUN = "CellNotRun"


def error_output(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """``Execute`` that records a dead kernel or a spent time budget instead of failing."""

    notebook_timeout = Integer(
        300, help="Seconds the whole notebook may run; 0 for no limit.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = None  # set when the first cell starts (kernel start-up not counted)
        self._stopped = None  # why the remaining cells are not run
        return super().preprocess(nb, resources, km)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        left = max(1, int(self._deadline - time.monotonic() + 0.999))
        return left if timeout is None else min(timeout, left)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._deadline is None and self.notebook_timeout:
            self._deadline = time.monotonic() + self.notebook_timeout
        if self._stopped is None and self._deadline and time.monotonic() >= self._deadline:
            self._stopped = (f"the notebook's time limit ({self.notebook_timeout} s) "
                             "was reached")
            cell.outputs = [error_output(NOTEBOOK_TIMEOUT, "Not run: " + self._stopped + ".")]
            return cell, resources
        if self._stopped is not None:
            cell.outputs = [error_output(NOT_RUN, "Not run: " + self._stopped + " earlier.")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = "the kernel died"
            cell.outputs.append(error_output(
                KERNEL_DIED, "The kernel died while running this cell "
                "(for example os._exit, a crash or running out of memory)."))
        except CellTimeoutError as err:
            self._stopped = "a cell did not stop when interrupted"
            cell.outputs.append(error_output(CELL_TIMEOUT, str(err).splitlines()[0]))
        return cell, resources


def classify_outputs(nb) -> set[str]:
    """Which faults the executed notebook shows: 'kernel-died', 'timeout', 'error', 'failed'.

    A test cell that raised (or wrote to stderr, which nbgrader scores as a failure) is
    'failed'; any other cell that raised is 'error'.
    """
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        is_test = bool(cell.metadata.get("nbgrader", {}).get("grade"))
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                if out.ename == KERNEL_DIED:
                    found.add("kernel-died")
                elif out.ename in (CELL_TIMEOUT, NOTEBOOK_TIMEOUT):
                    found.add("timeout")
                elif out.ename != NOT_RUN:
                    found.add("failed" if is_test else "error")
            elif is_test and out.output_type == "stream" and out.name == "stderr":
                found.add("failed")
    return found
