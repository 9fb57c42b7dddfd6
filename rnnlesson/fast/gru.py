"""The GRU's fast path: the gates stacked row on row (Γ_r, Γ_u, then c̃).

The gates' input halves run for all steps at once (a column lookup for token ids); Γ_r and
Γ_u read c_{t-1} through one product per step, c̃ reads Γ_r ⊙ c_{t-1} through another.
Proven equal to the generic loop over `gru_step` and `gru_step_backward` (`rnnlesson.loop`)
by tests/test_fast_paths.py.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson.fast._common import (
    buffer,
    gate_grads,
    input_grads,
    input_projection,
    recurrent_grad,
    stacked_halves,
    states_with_start,
)
from rnnlesson.gated import sigmoid
from rnnlesson.loop import step_mask

GATES = ("r", "u", "c")


@dataclass(frozen=True)
class GRUCache:
    """What `gru_backward` needs."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    a: np.ndarray  # (n_a, m, T_x), Fortran order: a_1 .. a_T
    a_prev: np.ndarray  # (n_a, m, T_x): a_0 .. a_{T-1}, the same memory as a, one step back
    gates: np.ndarray  # (3 n_a, m, T_x): Γ_r, Γ_u, c̃ row on row
    reset: np.ndarray  # (n_a, m, T_x): Γ_r ⊙ c_{t-1}
    params: dict
    lengths: np.ndarray | None


def unroll(x, state0, params, lengths, transient=False):
    """The recurrence on checked arguments; state0 = (a0,). Returns the GRUCache."""
    a0 = state0[0]
    n_a, m = a0.shape
    dtype = a0.dtype
    T_x = x.shape[-1]
    W_a, W_x, b = stacked_halves(params, GATES, n_a)
    # Γ_r, Γ_u read c_{t-1}; c̃ reads Γ_r ⊙ c_{t-1}
    W_ru, W_c = np.asfortranarray(W_a[: 2 * n_a]), np.asfortranarray(W_a[2 * n_a :])
    gates = input_projection(x, W_x, b, buffer("gru: gates", (3 * n_a, m, T_x), dtype, transient))
    states = states_with_start("gru: a", a0, T_x, False)  # a_0 .. a_T
    a = states[:, :, 1:]
    reset = np.empty((n_a, m, T_x), dtype=dtype, order="F")
    active = None if lengths is None else step_mask(lengths, m, T_x).T
    a_prev = states[:, :, 0]
    for t in range(T_x):
        g = gates[:, :, t]
        ru, cct = g[: 2 * n_a], g[2 * n_a :]
        ru += W_ru @ a_prev
        sigmoid(ru, out=ru)
        rt, ut = ru[:n_a], ru[n_a:]
        rc = reset[:, :, t]
        np.multiply(rt, a_prev, out=rc)
        cct += W_c @ rc
        np.tanh(cct, out=cct)
        a_t = a[:, :, t]
        np.subtract(cct, a_prev, out=a_t)  # c_t = c_{t-1} + Γ_u ⊙ (c̃_t - c_{t-1})
        a_t *= ut
        a_t += a_prev
        if active is not None:
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev = a_t
    return GRUCache(x, a0, a, states[:, :, :-1], gates, reset, params, lengths)


def bptt(da, cache, truncate=None, dlast=None):
    """BPTT on checked arguments; da (n_a, m, T_x) is only read; dlast = (da_T,) or None."""
    n_a, m, T_x = cache.a.shape
    dtype = cache.a.dtype
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T
    W_a, W_x, _ = stacked_halves(cache.params, GATES, n_a)
    # Fortran order throughout, as the caches' blocks are: mixed orders run several times slower
    W_ru_T, W_c_T = np.asfortranarray(W_a[: 2 * n_a].T), np.asfortranarray(W_a[2 * n_a :].T)
    dz = np.empty(cache.gates.shape, dtype=dtype, order="F")
    da_next = np.zeros((n_a, m), dtype=dtype, order="F")
    if dlast is not None:  # padded steps carry the state: step T_x's is the final one
        da_next += dlast[0]
    for t in reversed(range(T_x)):
        g = cache.gates[:, :, t]
        rt, ut, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a :]
        a_prev = cache.a_prev[:, :, t]
        da_t = da[:, :, t] + da_next
        dz_t = dz[:, :, t]
        dz_r, dz_u, dz_c = dz_t[:n_a], dz_t[n_a : 2 * n_a], dz_t[2 * n_a :]
        np.multiply(da_t * ut, 1.0 - cct * cct, out=dz_c)
        np.multiply(da_t * (cct - a_prev), ut * (1.0 - ut), out=dz_u)
        if active is not None:
            dz_c *= active[t]
            dz_u *= active[t]
        # the gradient at Γ_r ⊙ c_{t-1}
        dreset = np.matmul(W_c_T, dz_c, out=np.empty((n_a, m), dtype=dtype, order="F"))
        np.multiply(dreset * a_prev, rt * (1.0 - rt), out=dz_r)
        da_prev = np.matmul(W_ru_T, dz_t[: 2 * n_a],
                            out=np.empty((n_a, m), dtype=dtype, order="F"))
        da_prev += dreset * rt
        # 1 - Γ_u of the gradient goes straight back; all of it at a padded step
        da_prev += da_t * ((1.0 - ut) if active is None else np.where(active[t], 1.0 - ut, 1.0))
        da_next = da_prev
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m), dtype=dtype, order="F")
    dW_x, db, dx = input_grads(dz, cache.x, W_x)

    def recurrent(out):  # Γ_r, Γ_u read a_{t-1}; c̃ reads Γ_r ⊙ a_{t-1}
        recurrent_grad(dz[: 2 * n_a], cache.a_prev, out[: 2 * n_a])
        recurrent_grad(dz[2 * n_a :], cache.reset, out[2 * n_a :])

    grads = gate_grads(dW_x, db, GATES, n_a, recurrent)
    grads.update(dx=dx, da0=da_next)
    return grads
