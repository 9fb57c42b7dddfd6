"""The LSTM's fast path: the four gates stacked row on row (Γ_f, Γ_i, Γ_o, then c̃).

The gates' input halves run for all steps at once (a column lookup for token ids) and their
recurrent halves are one matrix product per step; σ(z) = (1 + tanh(z / 2)) / 2 lets one tanh
serve all four gates; the backward pass computes, per step, the factors that do not depend on
the gradient flowing back. Proven equal to the generic loop over `lstm_step` and
`lstm_step_backward` (`rnnlesson.loop`) by tests/test_fast_paths.py.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson.fast._common import (
    buffer,
    input_grads,
    input_projection,
    recurrent_grad,
    split_gate_grads,
    stacked_halves,
)
from rnnlesson.loop import step_mask

STACKED = ("f", "i", "o", "c")  # the row order: the three sigmoids, then tanh


@dataclass(frozen=True)
class LSTMCache:
    """What `lstm_backward` needs: inputs, states, the gates at every step, the parameters."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    c0: np.ndarray  # (n_a, m)
    a: np.ndarray  # (n_a, m, T_x), Fortran order: a_1 .. a_T
    c: np.ndarray  # (n_a, m, T_x): c_1 .. c_T
    gates: np.ndarray  # (4 n_a, m, T_x): Γ_f, Γ_i, Γ_o, c̃ row on row
    tanh_c: np.ndarray  # (n_a, m, T_x)
    params: dict
    lengths: np.ndarray | None


def unroll(x, state0, params, lengths, transient=False):
    """The recurrence on checked arguments; state0 = (a0, c0). Returns the LSTMCache.
    transient: the cache in scratch memory, for a caller whose cache dies before it returns."""
    a0, c0 = state0
    n_a, m = a0.shape
    dtype = a0.dtype
    T_x = x.shape[-1]
    W_a, W_x, b = stacked_halves(params, STACKED, n_a)
    # σ(z) = (1 + tanh(z / 2)) / 2: with the sigmoid gates' rows halved (exact in floating
    # point), one tanh over the whole (4 n_a, m) block serves all four gates
    half = np.r_[np.full(3 * n_a, 0.5), np.ones(n_a)].astype(dtype)[:, None]
    W_a, W_x, b = np.asfortranarray(W_a * half), W_x * half, b * half
    gates = input_projection(x, W_x, b, buffer("lstm: gates", (4 * n_a, m, T_x), dtype,
                                                 transient))
    shape = (n_a, m, T_x)
    a, c, tanh_c = (buffer(f"lstm: {k}", shape, dtype, transient) for k in ("a", "c", "tanh c"))
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    recurrent = np.empty((4 * n_a, m), dtype=dtype, order="F")
    written = np.empty((n_a, m), dtype=dtype, order="F")
    a_prev, c_prev = a0, c0
    for t in range(T_x):  # only the recurrence runs step by step
        g = gates[:, :, t]  # (4 n_a, m)
        g += np.matmul(W_a, a_prev, out=recurrent)
        np.tanh(g, out=g)
        sig = g[: 3 * n_a]
        sig += 1.0
        sig *= 0.5
        ft, it, ot, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a : 3 * n_a], g[3 * n_a :]
        c_t, a_t, tc = c[:, :, t], a[:, :, t], tanh_c[:, :, t]
        np.multiply(ft, c_prev, out=c_t)
        c_t += np.multiply(it, cct, out=written)
        np.tanh(c_t, out=tc)
        np.multiply(ot, tc, out=a_t)
        if active is not None:  # a padded step carries both states unchanged
            np.copyto(c_t, c_prev, where=~active[t])
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev, c_prev = a_t, c_t
    return LSTMCache(x, a0, c0, a, c, gates, tanh_c, params, lengths)


def bptt(da, cache, truncate=None, dlast=None):
    """BPTT on checked arguments; da (n_a, m, T_x) is only read; dlast = (da_T, dc_T) or None.

    The factors that do not depend on the gradient flowing back (the gates' derivatives
    times the forward values) are computed for all steps at once before the loop; per step,
    a few products then give dz_t; the weights' gradients are one product over all steps
    afterwards."""
    n_a, m, T_x = cache.a.shape
    dtype = cache.a.dtype
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T  # (T_x, m)
    W_a, W_x, _ = stacked_halves(cache.params, STACKED, n_a)
    W_a_T = np.asfortranarray(W_a.T)  # Fortran order: BLAS's fastest layout for this product
    dz = scratch("lstm bptt: dz", cache.gates.shape, "F", dtype)  # pre-activation gradients
    g, tc = cache.gates, cache.tanh_c
    ft, it, ot, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a : 3 * n_a], g[3 * n_a :]
    # every array of the loop in Fortran order, as the blocks of the caches are: an
    # operation on operands of mixed order runs several times slower
    to_c = scratch("lstm bptt: to c", tc.shape, "F", dtype)  # dc_t gets da_t times this:
    np.multiply(tc, tc, out=to_c)  # Γ_o (1 - tanh²(c_t))
    np.subtract(1.0, to_c, out=to_c)
    to_c *= ot
    to_z = scratch("lstm bptt: to z", g.shape, "F", dtype)  # dz_t = dc_t (or da_t) times this
    zf, zi, zo, zc = (to_z[k * n_a : (k + 1) * n_a] for k in range(4))
    np.subtract(1.0, ft, out=zf)  # c_{t-1} Γ_f (1 - Γ_f)
    zf *= ft
    zf[:, :, 0] *= cache.c0
    zf[:, :, 1:] *= cache.c[:, :, :-1]
    np.subtract(1.0, it, out=zi)  # c̃_t Γ_i (1 - Γ_i)
    zi *= it
    zi *= cct
    np.subtract(1.0, ot, out=zo)  # tanh(c_t) Γ_o (1 - Γ_o)
    zo *= ot
    zo *= tc
    np.multiply(cct, cct, out=zc)  # Γ_i (1 - c̃_t²)
    np.subtract(1.0, zc, out=zc)
    zc *= it
    da_t = np.empty((n_a, m), dtype=dtype, order="F")
    da_next = np.zeros((n_a, m), dtype=dtype, order="F")
    dc_next = np.zeros((n_a, m), dtype=dtype, order="F")
    if dlast is not None:  # padded steps carry the state: step T_x's is the final one
        da_next += dlast[0]
        dc_next += dlast[1]
    for t in reversed(range(T_x)):
        np.add(da[:, :, t], da_next, out=da_t)  # all the gradient reaching a_t
        dc = np.multiply(da_t, to_c[:, :, t])  # all the gradient reaching c_t
        dc += dc_next
        dz_t, z_t = dz[:, :, t], to_z[:, :, t]
        # Γ_f's and Γ_i's rows at once: (2 n_a, m) seen as (n_a, 2, m), a view in Fortran order
        np.multiply(z_t[: 2 * n_a].reshape((n_a, 2, m), order="F"), dc[:, None, :],
                    out=dz_t[: 2 * n_a].reshape((n_a, 2, m), order="F"))
        np.multiply(da_t, z_t[2 * n_a : 3 * n_a], out=dz_t[2 * n_a : 3 * n_a])
        np.multiply(dc, z_t[3 * n_a :], out=dz_t[3 * n_a :])
        ft = g[:n_a, :, t]
        if active is not None and not active[t].all():  # a padded step copied its state:
            dz_t *= active[t]  # nothing reaches its gates, its gradients pass back whole
            dc_prev = np.where(active[t], dc * ft, dc_next)
            da_next = np.matmul(W_a_T, dz_t, out=np.empty((n_a, m), dtype=dtype, order="F"))
            da_next += da_t * ~active[t]
            dc_next = np.asfortranarray(dc_prev)
        else:
            dc_next = np.multiply(dc, ft, out=dc)
            da_next = np.matmul(W_a_T, dz_t, out=np.empty((n_a, m), dtype=dtype, order="F"))
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m), dtype=dtype, order="F")
            dc_next = np.zeros((n_a, m), dtype=dtype, order="F")
    dW_x, db, dx = input_grads(dz, cache.x, W_x)
    grads = split_gate_grads(recurrent_grad(dz, cache.a0, cache.a), dW_x, db, STACKED, n_a)
    grads.update(dx=dx, da0=da_next, dc0=dc_next)
    return grads
