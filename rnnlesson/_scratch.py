"""Scratch arrays, reused from one call to the next.

One training step of a sequence model needs a few arrays as large as the whole batch of
sequences: the states (n_a, m, T_x), the output probabilities (n_y, T_x * m) and the gradients
that flow back through them; hundreds of kilobytes each at batch 32. Fresh arrays that large
come from the operating system as fresh pages that fault in on first touch, and when they are
freed the C allocator hands them back, so a training loop pays for them again at every step:
on the benchmark machine about 1,300 page faults, a third of the step's time.

The hot path (`rnnlesson.topologies.many_to_many_states`, through which the character model
trains) writes these arrays into scratch memory instead. The rule that keeps this safe: a
scratch array never leaves the function that asked for it. Nothing a public function returns
is, or views, scratch memory, so the functions stay pure. Each use site has its own name, and
each thread its own arrays.
"""

import math
import threading

import numpy as np

# Arrays larger than this are not kept: a notebook that once runs a huge batch should not hold
# on to gigabytes afterwards. 16 MiB covers a batch of 128 sequences of 25 steps with n_a = 512.
MAX_KEPT_BYTES = 16 * 2**20

_arrays = threading.local()


def scratch(name, shape, order="C", dtype=np.float64):
    """An uninitialised array of the given shape, memory order ("C" or "F") and dtype, kept
    for the next call with this name (unless larger than MAX_KEPT_BYTES).

    The previous call's contents are overwritten: only use it for values that die before the
    function that asked for it returns.
    """
    store = _arrays.__dict__.setdefault("store", {})
    array = store.get(name)
    if (array is not None and array.shape == shape and array.dtype == dtype
            and array.flags[f"{order}_CONTIGUOUS"]):
        return array
    store.pop(name, None)  # a kept array of another shape is let go
    array = np.empty(shape, dtype=dtype, order=order)
    if array.itemsize * math.prod(shape) <= MAX_KEPT_BYTES:
        store[name] = array
    return array
