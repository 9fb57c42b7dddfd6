"""The LSTM's fast path: the four gates stacked row on row (Γ_o, Γ_f, Γ_i, then c̃).

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
    gate_grads,
    input_grads,
    input_projection,
    recurrent_grad,
    stacked_halves,
    states_with_start,
)
from rnnlesson.loop import step_mask

# the row order: the three sigmoids, then tanh; Γ_f, Γ_i and c̃, whose gradients are dc_t
# times a factor, are adjacent, so that one operation gives their three blocks
STACKED = ("o", "f", "i", "c")


@dataclass(frozen=True)
class LSTMCache:
    """What `lstm_backward` needs: inputs, states, the gates at every step, the parameters."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    c0: np.ndarray  # (n_a, m)
    a: np.ndarray  # (n_a, m, T_x), Fortran order: a_1 .. a_T
    c: np.ndarray  # (n_a, m, T_x): c_1 .. c_T
    a_prev: np.ndarray  # (n_a, m, T_x): a_0 .. a_{T-1}, the same memory as a, one step back
    c_prev: np.ndarray  # (n_a, m, T_x): c_0 .. c_{T-1}
    gates: np.ndarray  # (4 n_a, m, T_x): Γ_o, Γ_f, Γ_i, c̃ row on row
    tanh_c: np.ndarray  # (n_a, m, T_x)
    W_a: np.ndarray  # (4 n_a, n_a): the gates' recurrent halves row on row, C order
    W_x: np.ndarray  # (4 n_a, n_x): their input halves
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
    # the recurrent product's weights in Fortran order: BLAS's fastest layout for it here
    W_a_half = np.multiply(W_a, half, out=np.empty(W_a.shape, dtype=dtype, order="F"))
    gates = input_projection(x, W_x * half, b * half,
                             buffer("lstm: gates", (4 * n_a, m, T_x), dtype, transient))
    a_all, c_all = (states_with_start(f"lstm: {k}", s0, T_x, transient)
                    for k, s0 in (("a", a0), ("c", c0)))
    a, c = a_all[:, :, 1:], c_all[:, :, 1:]
    tanh_c = buffer("lstm: tanh c", (n_a, m, T_x), dtype, transient)
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    recurrent = np.empty((4 * n_a, m), dtype=dtype, order="F")
    written = np.empty((n_a, m), dtype=dtype, order="F")
    a_prev, c_prev = a_all[:, :, 0], c_all[:, :, 0]
    for t in range(T_x):  # only the recurrence runs step by step
        g = gates[:, :, t]  # (4 n_a, m)
        g += np.matmul(W_a_half, a_prev, out=recurrent)
        np.tanh(g, out=g)
        sig = g[: 3 * n_a]
        sig += 1.0
        sig *= 0.5
        ot, ft, it, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a : 3 * n_a], g[3 * n_a :]
        c_t, a_t, tc = c[:, :, t], a[:, :, t], tanh_c[:, :, t]
        np.multiply(ft, c_prev, out=c_t)
        c_t += np.multiply(it, cct, out=written)
        np.tanh(c_t, out=tc)
        np.multiply(ot, tc, out=a_t)
        if active is not None:  # a padded step carries both states unchanged
            np.copyto(c_t, c_prev, where=~active[t])
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev, c_prev = a_t, c_t
    return LSTMCache(x, a0, c0, a, c, a_all[:, :, :-1], c_all[:, :, :-1], gates, tanh_c, W_a,
                     W_x, params, lengths)


def bptt(da, cache, truncate=None, dlast=None):
    """BPTT on checked arguments; da (n_a, m, T_x) is only read; dlast = (da_T, dc_T) or None.

    The factors that do not depend on the gradient flowing back (the gates' derivatives
    times the forward values) are computed for all steps at once before the loop; per step,
    a few products then give dz_t; the weights' gradients are one product over all steps
    afterwards."""
    n_a, m, T_x = cache.a.shape
    dtype = cache.a.dtype
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T  # (T_x, m)
    W_a_T = cache.W_a.T  # Fortran order, as W_a is in C order: BLAS's fastest layout here
    dz = scratch("lstm bptt: dz", cache.gates.shape, "F", dtype)  # pre-activation gradients
    g, tc = cache.gates, cache.tanh_c
    ot, ft, it, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a : 3 * n_a], g[3 * n_a :]
    # every array of the loop in Fortran order, as the blocks of the caches are: an
    # operation on operands of mixed order runs several times slower
    to_c = scratch("lstm bptt: to c", tc.shape, "F", dtype)  # dc_t gets da_t times this:
    np.multiply(tc, tc, out=to_c)  # Γ_o (1 - tanh²(c_t))
    np.subtract(1.0, to_c, out=to_c)
    to_c *= ot
    to_z = scratch("lstm bptt: to z", g.shape, "F", dtype)  # dz_t = dc_t (or da_t) times this
    zo, zf, zi, zc = (to_z[k * n_a : (k + 1) * n_a] for k in range(4))
    # the three sigmoid gates' Γ (1 - Γ) at once: a gate's rows alone are short strided runs,
    # on which element-wise operations run two to three times slower than on long ones
    np.subtract(1.0, g[: 3 * n_a], out=to_z[: 3 * n_a])
    to_z[: 3 * n_a] *= g[: 3 * n_a]
    zf *= cache.c_prev  # c_{t-1} Γ_f (1 - Γ_f)
    zi *= cct  # c̃_t Γ_i (1 - Γ_i)
    zo *= tc  # tanh(c_t) Γ_o (1 - Γ_o)
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
        np.multiply(da_t, z_t[:n_a], out=dz_t[:n_a])  # Γ_o's rows
        # Γ_f's, Γ_i's and c̃'s rows at once: (3 n_a, m) seen as (n_a, 3, m), a view in
        # Fortran order
        np.multiply(z_t[n_a:].reshape((n_a, 3, m), order="F"), dc[:, None, :],
                    out=dz_t[n_a:].reshape((n_a, 3, m), order="F"))
        ft = g[n_a : 2 * n_a, :, t]
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
    dW_x, db, dx = input_grads(dz, cache.x, cache.W_x)
    grads = gate_grads(dW_x, db, STACKED, n_a, lambda out: recurrent_grad(dz, cache.a_prev, out))
    grads.update(dx=dx, da0=da_next, dc0=dc_next)
    return grads
