"""The LSTM cell (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al. 2000).

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
Every gate reads the stacked column [a_{t-1}; x_t] of shape (n_a + n_x, m):

    Γ_f = σ(Wf [a_{t-1}; x_t] + bf)          forget gate: how much of c_{t-1} to keep
    Γ_i = σ(Wi [a_{t-1}; x_t] + bi)          input gate: how much of c̃_t to write
    c̃_t = tanh(Wc [a_{t-1}; x_t] + bc)        candidate content
    Γ_o = σ(Wo [a_{t-1}; x_t] + bo)          output gate: how much of the memory to show
    c_t = Γ_f ⊙ c_{t-1} + Γ_i ⊙ c̃_t,   a_t = Γ_o ⊙ tanh(c_t),   ŷ_t = softmax(Wya a_t + by)

Each W is (n_a, n_a + n_x), each b (n_a, 1). The state is the pair (a_t, c_t).
`lstm_step` / `lstm_step_backward` are one step, the equations above; `lstm_cell_forward` /
`lstm_cell_backward` check their arguments and add the output layer; `lstm_forward` /
`lstm_backward` run the step over a sequence through the one loop every cell shares
(`rnnlesson.contract`), which takes the LSTM's fast path (`rnnlesson.fast.lstm`).
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

GATES = ("f", "i", "c", "o")


def check_lstm_params(params, name="params"):
    """(n_x, n_a, n_y) of LSTM parameters, n_y None without Wya and by."""
    return check_gated_params(params, GATES, "LSTM", name)


def init_lstm_params(n_x, n_a, n_y, seed=0, dtype=np.float64):
    """Wf, Wi, Wc, Wo (n_a, n_a + n_x) with std 1/sqrt(n_a + n_x); bf, bi, bc, bo (n_a, 1) zero;
    Wya (n_y, n_a), by (n_y, 1); all in dtype (np.float64 or np.float32)."""
    n_x, n_a, n_y = (check_positive(k, v, int) for k, v in (("n_x", n_x), ("n_a", n_a),
                                                             ("n_y", n_y)))
    return init_gated_params(n_x, n_a, n_y, GATES, seed, dtype)


def lstm_step(xt, state, params):
    """One step on checked arguments: xt (n_x, m), state = (a_{t-1}, c_{t-1}), each (n_a, m).
    Returns the state (a_t, c_t) and the cache for `lstm_step_backward`."""
    a_prev, c_prev = state
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    ft = sigmoid(params["Wf"] @ concat + params["bf"])
    it = sigmoid(params["Wi"] @ concat + params["bi"])
    cct = np.tanh(params["Wc"] @ concat + params["bc"])
    ot = sigmoid(params["Wo"] @ concat + params["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    return (a_next, c_next), (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)


def lstm_step_backward(dstate, cache):
    """Backward through one step on checked arguments. dstate = (da_next, dc_next), each
    (n_a, m): all the loss gradient reaching a_t (from ŷ_t and from step t+1), and only the
    part of the gradient at c_t that arrives along the memory line from c_{t+1}. With
    dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh²(c_t)), the whole gradient at c_t:
        dΓ_o = da_next ⊙ tanh(c_t),  dΓ_f = dc ⊙ c_{t-1},  dΓ_i = dc ⊙ c̃_t,  dc̃_t = dc ⊙ Γ_i,
        dc_prev = dc ⊙ Γ_f; each gate's pre-activation gradient dz is its d times σ' = Γ(1 - Γ)
        (or 1 - c̃² for the candidate), then dW = dz [a_{t-1}; x_t]^T, db = Σ_m dz.
    Returns dxt (n_x, m), (da_prev, dc_prev) and {dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo}."""
    da_next, dc_next = dstate
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1.0 - tanh_c**2)
    dz = {"f": dc * c_prev * ft * (1.0 - ft), "i": dc * cct * it * (1.0 - it),
          "c": dc * it * (1.0 - cct**2), "o": da_next * tanh_c * ot * (1.0 - ot)}
    concat = np.concatenate([a_prev, xt])
    grads = {}
    dconcat = 0.0
    for g in GATES:
        grads[f"dW{g}"] = dz[g] @ concat.T
        grads[f"db{g}"] = dz[g].sum(axis=1, keepdims=True)
        dconcat = dconcat + params[f"W{g}"].T @ dz[g]
    return dconcat[n_a:], (dconcat[:n_a], dc * ft), grads


LSTM = Cell(name="lstm", keys=tuple(k for g in GATES for k in (f"W{g}", f"b{g}")),
            state=("a", "c"), init=init_lstm_params, check=check_lstm_params, step=lstm_step,
            step_backward=lstm_step_backward)


def lstm_cell_forward(xt, a_prev, c_prev, params):
    """One step. xt (n_x, m), a_prev (n_a, m), c_prev (n_a, m).
    Returns a_next (n_a, m), c_next (n_a, m), yt_pred (n_y, m) (None without Wya) and the
    cache for `lstm_cell_backward`."""
    n_x, n_a, n_y = check_lstm_params(params)
    dtype = dtype_of(params)
    m = check_step("xt", xt, n_x, dtype)
    check_float_array("a_prev", a_prev, (n_a, m), "(n_a, m)", dtype)
    check_float_array("c_prev", c_prev, (n_a, m), "(n_a, m)", dtype)
    (a_next, c_next), cache = lstm_step(xt, (a_prev, c_prev), params)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"]) if "Wya" in params else None
    return a_next, c_next, yt_pred, cache


def lstm_cell_backward(da_next, dc_next, cache):
    """Backward through one step (see `lstm_step_backward`). da_next, dc_next (n_a, m).
    Returns dxt (n_x, m), da_prev, dc_prev (n_a, m), dWf, dWi, dWc, dWo (n_a, n_a + n_x),
    dbf, dbi, dbc, dbo (n_a, 1)."""
    a_next, c_next = cache[:2]
    check_float_array("da_next", da_next, a_next.shape, "(n_a, m)", a_next.dtype)
    check_float_array("dc_next", dc_next, c_next.shape, "(n_a, m)", c_next.dtype)
    dxt, (da_prev, dc_prev), grads = lstm_step_backward((da_next, dc_next), cache)
    return {**grads, "dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev}


def lstm_forward(x, a0, params, c0=None, lengths=None):
    """Run the LSTM over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0, c0 (n_a, m) or None for zeros (a state
    carried over from another sequence needs both); lengths (m,) for a padded batch: at a padded
    step both a and c are carried unchanged. The parameters' dtype (float64 or float32) is the
    computation's. Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None without Wya),
    c (n_a, m, T_x) and the cache for `lstm_backward`.
    """
    n_x, n_a, n_y = check_lstm_params(params)
    dtype = dtype_of(params)
    m, T_x = check_sequence(x, n_x, dtype=dtype)
    state0 = (check_state(a0, n_a, m, dtype=dtype), check_state(c0, n_a, m, "c0", dtype))
    cache = LSTM.unroll(x, state0, params, check_lengths(lengths, m, T_x))
    return cache.a, sequence_outputs(cache.a, params), cache.c, cache


def lstm_backward(da, caches, truncate=None, dc_last=None):
    """Backpropagation through time for the LSTM.

    da (n_a, m, T_x): the loss gradient reaching each a_t from above; dc_last (n_a, m) or None:
    a gradient reaching the final c (e.g. from a decoder started in this state).
    truncate = k: no gradient crosses from one window of k steps into the one before.
    Returns dx (n_x, m, T_x) (None for token ids), da0, dc0 (n_a, m) and dWf, dbf, dWi, dbi,
    dWc, dbc, dWo, dbo.
    """
    dtype = caches.a.dtype
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)", dtype)
    dlast = None
    if dc_last is not None:
        n_a, m = caches.a.shape[:2]
        dlast = (np.zeros((n_a, m), dtype),
                 check_float_array("dc_last", dc_last, (n_a, m), "(n_a, m)", dtype))
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return LSTM.bptt(da, caches, truncate, dlast)
