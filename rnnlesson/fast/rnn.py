"""The plain cell's fast path: a_t = tanh(Waa a_{t-1} + Wax x_t + ba) over a whole sequence.

Only the recurrence runs step by step; the input projection Wax x_t + ba and the weights'
gradients run for all steps at once, in Fortran order (see `rnnlesson.fast._common`).
Proven equal to the generic loop (`rnnlesson.loop`) by tests/test_fast_paths.py.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson.fast._common import flat, input_grads, input_projection, states_with_start
from rnnlesson.loop import step_mask


@dataclass(frozen=True)
class SequenceCache:
    """What `bptt` needs: the inputs, the states a_0..a_T and the parameters."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    a: np.ndarray  # (n_a, m, T_x), Fortran order: a_1 .. a_T
    a_prev: np.ndarray  # (n_a, m, T_x): a_0 .. a_{T-1}, the same memory as a, one step back
    params: dict
    lengths: np.ndarray | None  # (m,) or None


def unroll(x, state0, params, lengths, transient=False):
    """The recurrence on checked arguments; state0 = (a0,). Returns the SequenceCache."""
    a0 = state0[0]
    n_a, m = a0.shape
    T_x = x.shape[-1]
    dtype = a0.dtype
    states = states_with_start("states", a0, T_x, transient)  # a_0 .. a_T
    # Wax x_t + ba for every step, then a_t in place
    a = input_projection(x, params["Wax"], params["ba"], out=states[:, :, 1:])
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    # Waa in Fortran order too: BLAS multiplies two Fortran-ordered operands fastest here
    Waa = np.asfortranarray(params["Waa"])
    recurrent = scratch("unroll: Waa a_{t-1}", (n_a, m), order="F", dtype=dtype)
    a_prev = states[:, :, 0]
    for t in range(T_x):  # only the recurrence runs step by step
        a_t = a[:, :, t]  # (n_a, m), contiguous
        a_t += np.matmul(Waa, a_prev, out=recurrent)
        np.tanh(a_t, out=a_t)
        if active is not None:  # a padded step carries the state unchanged
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev = a_t
    return SequenceCache(x=x, a0=a0, a=a, a_prev=states[:, :, :-1], params=params,
                         lengths=lengths)


def bptt(da, cache, truncate=None, dlast=None):
    """BPTT on checked arguments; da (n_a, m, T_x) is only read, dlast = (da_T,) or None.

    The gradients at the pre-activations Waa a_{t-1} + Wax x_t + ba, dz_t, are built in a
    Fortran-ordered scratch copy of da, step by step; then each weight's gradient is one
    matrix product over every step's columns."""
    x, a, params = cache.x, cache.a, cache.params
    n_a, m, T_x = a.shape
    dtype = a.dtype
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T
    dz = scratch("bptt: dz", a.shape, order="F", dtype=dtype)
    np.copyto(dz, da)
    if dlast is not None:  # padded steps carry the state, so a[:, :, -1] is the final one
        dz[:, :, -1] += dlast[0]
    tanh_grad = scratch("bptt: tanh'", a.shape, order="F", dtype=dtype)  # 1 - a_t**2
    np.square(a, out=tanh_grad)
    np.subtract(1.0, tanh_grad, out=tanh_grad)
    Waa_T = params["Waa"].T
    da_next = np.zeros((n_a, m), dtype=dtype, order="F")  # gradient reaching a_t from a_{t+1}
    for t in reversed(range(T_x)):
        dz_t = dz[:, :, t]  # (n_a, m), contiguous
        dz_t += da_next  # the whole gradient reaching a_t
        passed = None if active is None else dz_t * ~active[t]  # a padded step copied a_{t-1}
        dz_t *= tanh_grad[:, :, t]
        if active is not None:
            dz_t *= active[t]
        # a new Fortran-ordered array, so that the next step's sum runs on compact memory
        da_next = np.matmul(Waa_T, dz_t, out=np.empty((n_a, m), dtype=dtype, order="F"))
        if passed is not None:
            da_next += passed
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m), dtype=dtype, order="F")
    grads = {"dWaa": flat(dz) @ flat(cache.a_prev).T, "da0": da_next}  # step t reads a_{t-1}
    grads["dWax"], grads["dba"], grads["dx"] = input_grads(dz, x, params["Wax"])
    return grads
