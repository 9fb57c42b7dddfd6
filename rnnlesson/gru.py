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

`gru_step` / `gru_step_backward` are one step, the equations above; `gru_cell_forward` /
`gru_cell_backward` check their arguments and add the output layer; `gru_forward` /
`gru_backward` run the step over a sequence through the one loop every cell shares
(`rnnlesson.contract`), which takes the GRU's fast path (`rnnlesson.fast.gru`).
"""

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_lengths,
    check_positive,
    check_sequence,
    check_state,
    check_step,
    dtype_of,
)
from rnnlesson.contract import Cell
from rnnlesson.gated import check_gated_params, init_gated_params, sigmoid
from rnnlesson.rnn import softmax
from rnnlesson.sequence import sequence_outputs

GATES = ("r", "u", "c")


def check_gru_params(params, name="params"):
    """(n_x, n_a, n_y) of GRU parameters, n_y None without Wya and by."""
    return check_gated_params(params, GATES, "GRU", name)


def init_gru_params(n_x, n_a, n_y, seed=0, dtype=np.float64):
    """Wr, Wu, Wc (n_a, n_a + n_x) with std 1/sqrt(n_a + n_x); br, bu, bc (n_a, 1) zero;
    Wya (n_y, n_a), by (n_y, 1); all in dtype (np.float64 or np.float32)."""
    n_x, n_a, n_y = (check_positive(k, v, int) for k, v in (("n_x", n_x), ("n_a", n_a),
                                                             ("n_y", n_y)))
    return init_gated_params(n_x, n_a, n_y, GATES, seed, dtype)


def gru_step(xt, state, params):
    """One step on checked arguments: xt (n_x, m), state = (a_{t-1},) (= c_{t-1}) (n_a, m).
    Returns the state (a_t,) and the cache for `gru_step_backward`."""
    (a_prev,) = state
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    rt = sigmoid(params["Wr"] @ concat + params["br"])
    ut = sigmoid(params["Wu"] @ concat + params["bu"])
    reset = np.concatenate([rt * a_prev, xt])  # [Γ_r ⊙ c_{t-1}; x_t]
    cct = np.tanh(params["Wc"] @ reset + params["bc"])
    a_next = ut * cct + (1.0 - ut) * a_prev
    return (a_next,), (a_next, a_prev, rt, ut, cct, xt, params)


def gru_step_backward(dstate, cache):
    """Backward through one step on checked arguments; dstate = (da_next,), all the gradient
    reaching a_t, (n_a, m):
        dc̃ = da ⊙ Γ_u,  dΓ_u = da ⊙ (c̃_t - c_{t-1}),  and c_{t-1} gets da ⊙ (1 - Γ_u) directly,
        Γ_r ⊙ c_{t-1} gets Wc[:, :n_a]^T dz_c, which gives dΓ_r = (...) ⊙ c_{t-1} and c_{t-1} more.
    Returns dxt (n_x, m), (da_prev,) and {dWr, dbr, dWu, dbu, dWc, dbc}."""
    (da_next,) = dstate
    a_next, a_prev, rt, ut, cct, xt, params = cache
    n_a = a_next.shape[0]
    dz_c = da_next * ut * (1.0 - cct**2)
    dz_u = da_next * (cct - a_prev) * ut * (1.0 - ut)
    dreset = params["Wc"].T @ dz_c  # (n_a + n_x, m)
    dz_r = dreset[:n_a] * a_prev * rt * (1.0 - rt)
    concat = np.concatenate([a_prev, xt])
    reset = np.concatenate([rt * a_prev, xt])
    dconcat = params["Wr"].T @ dz_r + params["Wu"].T @ dz_u
    da_prev = dconcat[:n_a] + dreset[:n_a] * rt + da_next * (1.0 - ut)
    return dconcat[n_a:] + dreset[n_a:], (da_prev,), {
        "dWr": dz_r @ concat.T, "dbr": dz_r.sum(axis=1, keepdims=True),
        "dWu": dz_u @ concat.T, "dbu": dz_u.sum(axis=1, keepdims=True),
        "dWc": dz_c @ reset.T, "dbc": dz_c.sum(axis=1, keepdims=True),
    }


GRU = Cell(name="gru", keys=tuple(k for g in GATES for k in (f"W{g}", f"b{g}")), state=("a",),
           init=init_gru_params, check=check_gru_params, step=gru_step,
           step_backward=gru_step_backward)


def gru_cell_forward(xt, a_prev, params):
    """One step. xt (n_x, m), a_prev (n_a, m) (= c_{t-1}).
    Returns a_next (n_a, m), yt_pred (n_y, m) (None without Wya) and the cache."""
    n_x, n_a, n_y = check_gru_params(params)
    dtype = dtype_of(params)
    m = check_step("xt", xt, n_x, dtype)
    check_float_array("a_prev", a_prev, (n_a, m), "(n_a, m)", dtype)
    (a_next,), cache = gru_step(xt, (a_prev,), params)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"]) if "Wya" in params else None
    return a_next, yt_pred, cache


def gru_cell_backward(da_next, cache):
    """Backward through one step (see `gru_step_backward`); da_next (n_a, m) is all the
    gradient reaching a_t. Returns dxt (n_x, m), da_prev (n_a, m), dWr, dWu, dWc
    (n_a, n_a + n_x), dbr, dbu, dbc (n_a, 1)."""
    a_next = cache[0]
    check_float_array("da_next", da_next, a_next.shape, "(n_a, m)", a_next.dtype)
    dxt, (da_prev,), grads = gru_step_backward((da_next,), cache)
    return {"dxt": dxt, "da_prev": da_prev, **grads}


def gru_forward(x, a0, params, lengths=None):
    """Run the GRU over all T_x steps: x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m)
    or None; lengths (m,) for a padded batch (a padded step carries the state). The
    parameters' dtype (float64 or float32) is the computation's.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) or None, and the cache for `gru_backward`."""
    n_x, n_a, n_y = check_gru_params(params)
    dtype = dtype_of(params)
    m, T_x = check_sequence(x, n_x, dtype=dtype)
    state0 = (check_state(a0, n_a, m, dtype=dtype),)
    cache = GRU.unroll(x, state0, params, check_lengths(lengths, m, T_x))
    return cache.a, sequence_outputs(cache.a, params), cache


def gru_backward(da, caches, truncate=None):
    """BPTT for the GRU. da (n_a, m, T_x): the gradient reaching each a_t from above;
    truncate = k for truncated BPTT.
    Returns dx (n_x, m, T_x) (None for token ids), da0 (n_a, m), dWr, dbr, dWu, dbu, dWc, dbc."""
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)", caches.a.dtype)
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return GRU.bptt(da, caches, truncate)
