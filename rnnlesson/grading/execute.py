"""nbgrader's ``Execute`` preprocessor, made to survive a dead kernel and to keep a time budget.

nbgrader interrupts a cell that runs past ``Execute.timeout`` and records a
``CellTimeoutError`` in it, then goes on. Two faults it does not survive are handled here,
so a notebook still earns the points of the tests that passed before the fault:

- the kernel dies (``os._exit``, a crash): the cell gets a ``DeadKernelError`` output;
- a kernel that ignores the interrupt, or a notebook that runs past ``notebook_timeout``
  seconds in total: the cell gets a timeout error.

After either, the remaining code cells are not run; each gets a ``CellNotRun`` error output,
so a test cell that never ran scores zero rather than counting as passed.

It also keeps the tests honest (``guard.py``): before the first cell it installs the guard
in the kernel, silently; each test cell runs as ``verify`` + the test + ``seal``, and the
cell's metadata records whether the seal arrived (the line itself is taken out of the
output). Output beyond ``output_limit`` bytes per cell is dropped, with a note.
"""
from __future__ import annotations

import json
import secrets
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from .guard import expected_seal

KERNEL_DIED = "DeadKernelError"
CELL_TIMEOUT = "CellTimeoutError"
NOTEBOOK_TIMEOUT = "NotebookTimeoutError"
NOT_RUN = "CellNotRun"
GUARD_FAILED = "GuardNotInstalled"
GUARD_TIMEOUT = 120  # seconds the guard's install may take (imports on a busy machine)
CUT_NOTE = "\n[output cut here: this cell printed more than {limit} bytes]\n"


def error_output(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """``Execute`` that records a dead kernel or a spent time budget instead of failing."""

    notebook_timeout = Integer(
        300, help="Seconds the whole notebook may run; 0 for no limit.").tag(config=True)

    sandboxed = Bool(True, help="Start the kernel inside the bubblewrap sandbox.").tag(
        config=True)
    output_limit = Integer(
        64 * 1024, help="Bytes of output kept per cell; the rest is dropped.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandboxed:
            from .sandbox import SandboxedKernelManager

            self.kernel_manager_class = SandboxedKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = None  # set when the first cell starts (kernel start-up not counted)
        self._stopped = None  # why the remaining cells are not run
        self._secret = secrets.token_hex(16)
        self._guarded = False
        self._cell_bytes: dict[int, int] = {}
        return super().preprocess(nb, resources, km)

    async def _async_install_guard(self) -> bool:
        code = (f"import rnnlesson.grading.guard as __g; __g.install({self._secret!r}); "
                "del __g")
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        self._installing = True  # the guard's imports are the grader's time, not the cell's
        try:
            reply = await self.async_wait_for_reply(msg_id)
        finally:
            self._installing = False
        return bool(reply) and reply["content"]["status"] == "ok"

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most ``output_limit`` bytes of one cell's output."""
        size = len(json.dumps(msg.get("content", {})))
        used = self._cell_bytes.get(cell_index, 0)
        self._cell_bytes[cell_index] = used + size
        if used + size <= self.output_limit:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.output_limit:
            outs.append(new_output("stream", name="stdout",
                                   text=CUT_NOTE.format(limit=self.output_limit)))
        return None

    def _run_test(self, cell, resources, index):
        """Run a test cell between the guard's verify and seal; record whether it sealed."""
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        nonce = secrets.token_hex(8)
        source = cell.source
        cell.source = (f"import rnnlesson.grading.guard as __g; __g.verify({grade_id!r})\n"
                       f"{source}\n__g.seal({grade_id!r}, {nonce!r})\n")
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = source
            seal = expected_seal(self._secret, grade_id, nonce) + "\n"
            sealed = False
            for out in cell.outputs:
                if out.output_type == "stream" and seal in out.text:
                    out.text = out.text.replace(seal, "", 1)
                    sealed = True
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and not o.text)]
            cell.metadata.setdefault("rnnlesson", {})["sealed"] = sealed

    def _get_timeout(self, cell):
        if getattr(self, "_installing", False):
            return GUARD_TIMEOUT
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        left = max(1, int(self._deadline - time.monotonic() + 0.999))
        return left if timeout is None else min(timeout, left)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if not self._guarded and self._stopped is None:
            try:
                self._guarded = run_sync(self._async_install_guard)()
            except DeadKernelError:
                self._guarded = False
            if not self._guarded:
                self._stopped = "the grader's guard could not be installed"
                cell.outputs = [error_output(GUARD_FAILED, self._stopped + ".")]
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
            if cell.metadata.get("nbgrader", {}).get("grade"):
                return self._run_test(cell, resources, index)
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

