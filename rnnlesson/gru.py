"""The GRU cell (Cho et al. 2014), in the form notebook 10 teaches (the Coursera course's).

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
The state is the memory itself, c_t = a_t:

    Γ_r = σ(Wr [c_{t-1}; x_t] + br)              relevance (reset) gate
    Γ_u = σ(Wu [c_{t-1}; x_t] + bu)              update gate: how much to overwrite
    c̃_t = tanh(Wc [Γ_r ⊙ c_{t-1}; x_t] + bc)     candidate content
    c_t = Γ_u ⊙ c̃_t + (1 - Γ_u) ⊙ c_{t-1},   a_t = c_t,   ŷ_t = softmax(Wya a_t + by)

Each W is (n_a, n_a + n_x), each b (n_a, 1). This is not PyTorch's `nn.GRU`, which applies its
reset gate after the product (r ⊙ (W_hn h + b_hn)) and lets z multiply the old state (its z
is our 1 - Γ_u), so weights do not move across unchanged.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_lengths,
    check_positive,
    check_sequence,
    check_state,
    check_step,
)
from rnnlesson.cell import softmax
from rnnlesson.gated import (
    check_gated_params,
    init_gated_params,
    input_grads,
    project_inputs,
    recurrent_grad,
    sigmoid,
    split_gate_grads,
    stacked_halves,
)
from rnnlesson.sequence import flat, sequence_outputs, step_mask

GATES = ("r", "u", "c")


def check_gru_params(params, name="params"):
    """(n_x, n_a, n_y) of GRU parameters, n_y None without Wya and by."""
    return check_gated_params(params, GATES, "GRU", name)


def init_gru_params(n_x, n_a, n_y, seed=0):
    """Wr, Wu, Wc (n_a, n_a + n_x) with std 1/sqrt(n_a + n_x); br, bu, bc (n_a, 1) zero;
    Wya (n_y, n_a), by (n_y, 1)."""
    n_x, n_a, n_y = (check_positive(k, v, int) for k, v in (("n_x", n_x), ("n_a", n_a),
                                                             ("n_y", n_y)))
    return init_gated_params(n_x, n_a, n_y, GATES, seed)


def gru_cell_forward(xt, a_prev, params):
    """One step. xt (n_x, m), a_prev (n_a, m) (= c_{t-1}).
    Returns a_next (n_a, m), yt_pred (n_y, m) (None without Wya) and the cache."""
    n_x, n_a, n_y = check_gru_params(params)
    m = check_step("xt", xt, n_x)
    check_float_array("a_prev", a_prev, (n_a, m), "(n_a, m)")
    return gru_step(xt, a_prev, params)


def gru_step(xt, a_prev, params):
    """`gru_cell_forward` on checked arguments."""
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    rt = sigmoid(params["Wr"] @ concat + params["br"])
    ut = sigmoid(params["Wu"] @ concat + params["bu"])
    reset = np.concatenate([rt * a_prev, xt])  # [Γ_r ⊙ c_{t-1}; x_t]
    cct = np.tanh(params["Wc"] @ reset + params["bc"])
    a_next = ut * cct + (1.0 - ut) * a_prev
    yt_pred = softmax(params["Wya"] @ a_next + params["by"]) if "Wya" in params else None
    return a_next, yt_pred, (a_next, a_prev, rt, ut, cct, xt, params)


def gru_cell_backward(da_next, cache):
    """Backward through one step; da_next (n_a, m) is all the gradient reaching a_t.
        dc̃ = da ⊙ Γ_u,  dΓ_u = da ⊙ (c̃_t - c_{t-1}),  and c_{t-1} gets da ⊙ (1 - Γ_u) directly,
        Γ_r ⊙ c_{t-1} gets Wc[:, :n_a]^T dz_c, which gives dΓ_r = (...) ⊙ c_{t-1} and c_{t-1} more.
    Returns dxt (n_x, m), da_prev (n_a, m), dWr, dWu, dWc (n_a, n_a + n_x), dbr, dbu, dbc."""
    a_next, a_prev, rt, ut, cct, xt, params = cache
    check_float_array("da_next", da_next, a_next.shape, "(n_a, m)")
    return gru_step_backward(da_next, cache)


def gru_step_backward(da_next, cache):
    """`gru_cell_backward` on checked arguments."""
    a_next, a_prev, rt, ut, cct, xt, params = cache
    n_a = a_next.shape[0]
    dz_c = da_next * ut * (1.0 - cct**2)
    dz_u = da_next * (cct - a_prev) * ut * (1.0 - ut)
    dreset = params["Wc"].T @ dz_c  # (n_a + n_x, m)
    dz_r = dreset[:n_a] * a_prev * rt * (1.0 - rt)
    concat = np.concatenate([a_prev, xt])
    reset = np.concatenate([rt * a_prev, xt])
    dconcat = params["Wr"].T @ dz_r + params["Wu"].T @ dz_u
    return {
        "dxt": dconcat[n_a:] + dreset[n_a:],
        "da_prev": dconcat[:n_a] + dreset[:n_a] * rt + da_next * (1.0 - ut),
        "dWr": dz_r @ concat.T, "dbr": dz_r.sum(axis=1, keepdims=True),
        "dWu": dz_u @ concat.T, "dbu": dz_u.sum(axis=1, keepdims=True),
        "dWc": dz_c @ reset.T, "dbc": dz_c.sum(axis=1, keepdims=True),
    }


@dataclass(frozen=True)
class GRUCache:
    """What `gru_backward` needs."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    a: np.ndarray  # (n_a, m, T_x), Fortran order
    gates: np.ndarray  # (3 n_a, m, T_x): Γ_r, Γ_u, c̃ row on row
    reset: np.ndarray  # (n_a, m, T_x): Γ_r ⊙ c_{t-1}
    params: dict
    lengths: np.ndarray | None


def gru_unroll(x, a0, params, lengths, transient=False):
    """The recurrence on checked arguments (see `gru_forward`)."""
    n_a, m = a0.shape
    T_x = x.shape[-1]
    W_a, W_x, b = stacked_halves(params, GATES, n_a)
    # Γ_r, Γ_u read c_{t-1}; c̃ reads Γ_r ⊙ c_{t-1}
    W_ru, W_c = np.asfortranarray(W_a[: 2 * n_a]), np.asfortranarray(W_a[2 * n_a :])
    gates = project_inputs(x, W_x, b, m, T_x, transient, "gru: gates")
    a, reset = np.empty((n_a, m, T_x), order="F"), np.empty((n_a, m, T_x), order="F")
    active = None if lengths is None else step_mask(lengths, m, T_x).T
    a_prev = a0
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
    return GRUCache(x, a0, a, gates, reset, params, lengths)


def gru_forward(x, a0, params, lengths=None):
    """Run the GRU over all T_x steps: x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m)
    or None; lengths (m,) for a padded batch (a padded step carries the state).
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) or None, and the cache for `gru_backward`."""
    n_x, n_a, n_y = check_gru_params(params)
    m, T_x = check_sequence(x, n_x)
    cache = gru_unroll(x, check_state(a0, n_a, m), params, check_lengths(lengths, m, T_x))
    return cache.a, sequence_outputs(cache.a, params), cache


def gru_backward(da, caches, truncate=None):
    """BPTT for the GRU. da (n_a, m, T_x): the gradient reaching each a_t from above;
    truncate = k for truncated BPTT.
    Returns dx (n_x, m, T_x) (None for token ids), da0 (n_a, m), dWr, dbr, dWu, dbu, dWc, dbc."""
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return gru_bptt(da, caches, truncate)


def gru_bptt(da, cache, truncate=None):
    """`gru_backward` on checked arguments; da is only read."""
    n_a, m, T_x = cache.a.shape
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T
    W_a, W_x, _ = stacked_halves(cache.params, GATES, n_a)
    # Fortran order throughout, as the caches' blocks are: mixed orders run several times slower
    W_ru_T, W_c_T = np.asfortranarray(W_a[: 2 * n_a].T), np.asfortranarray(W_a[2 * n_a :].T)
    dz = np.empty(cache.gates.shape, order="F")
    da_next = np.zeros((n_a, m), order="F")
    for t in reversed(range(T_x)):
        g = cache.gates[:, :, t]
        rt, ut, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a :]
        a_prev = cache.a0 if t == 0 else cache.a[:, :, t - 1]
        da_t = da[:, :, t] + da_next
        dz_t = dz[:, :, t]
        dz_r, dz_u, dz_c = dz_t[:n_a], dz_t[n_a : 2 * n_a], dz_t[2 * n_a :]
        np.multiply(da_t * ut, 1.0 - cct * cct, out=dz_c)
        np.multiply(da_t * (cct - a_prev), ut * (1.0 - ut), out=dz_u)
        if active is not None:
            dz_c *= active[t]
            dz_u *= active[t]
        dreset = np.matmul(W_c_T, dz_c, out=np.empty((n_a, m), order="F"))  # at Γ_r ⊙ c_{t-1}
        np.multiply(dreset * a_prev, rt * (1.0 - rt), out=dz_r)
        da_prev = np.matmul(W_ru_T, dz_t[: 2 * n_a], out=np.empty((n_a, m), order="F"))
        da_prev += dreset * rt
        # 1 - Γ_u of the gradient goes straight back; all of it at a padded step
        da_prev += da_t * ((1.0 - ut) if active is None else np.where(active[t], 1.0 - ut, 1.0))
        da_next = da_prev
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m), order="F")
    dW_x, db, dx = input_grads(dz, cache.x, W_x)
    dW_a = np.concatenate([recurrent_grad(dz[: 2 * n_a], cache.a0, cache.a),
                           flat(dz[2 * n_a :]) @ flat(cache.reset).T])
    grads = split_gate_grads(dW_a, dW_x, db, GATES, n_a)
    grads.update(dx=dx, da0=da_next)
    return grads
