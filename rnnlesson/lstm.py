"""The LSTM cell (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al. 2000).

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
Every gate reads the stacked column [a_{t-1}; x_t] of shape (n_a + n_x, m):

    Γ_f = σ(Wf [a_{t-1}; x_t] + bf)          forget gate: how much of c_{t-1} to keep
    Γ_i = σ(Wi [a_{t-1}; x_t] + bi)          input gate: how much of c̃_t to write
    c̃_t = tanh(Wc [a_{t-1}; x_t] + bc)        candidate content
    Γ_o = σ(Wo [a_{t-1}; x_t] + bo)          output gate: how much of the memory to show
    c_t = Γ_f ⊙ c_{t-1} + Γ_i ⊙ c̃_t,   a_t = Γ_o ⊙ tanh(c_t),   ŷ_t = softmax(Wya a_t + by)

Each W is (n_a, n_a + n_x), each b (n_a, 1). The state is the pair (a_t, c_t).
`lstm_cell_forward` / `lstm_cell_backward` are one step, the reference to read;
`lstm_forward` / `lstm_backward` are the sequence's fast path: the four gates' input halves run
for all steps at once and their recurrent halves are one product per step (`rnnlesson.gated`).
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._scratch import scratch
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
from rnnlesson.sequence import sequence_outputs, step_mask

GATES = ("f", "i", "c", "o")
STACKED = ("f", "i", "o", "c")  # the fast path's row order: the three sigmoids, then tanh


def check_lstm_params(params, name="params"):
    """(n_x, n_a, n_y) of LSTM parameters, n_y None without Wya and by."""
    return check_gated_params(params, GATES, "LSTM", name)


def init_lstm_params(n_x, n_a, n_y, seed=0):
    """Wf, Wi, Wc, Wo (n_a, n_a + n_x) with std 1/sqrt(n_a + n_x); bf, bi, bc, bo (n_a, 1) zero;
    Wya (n_y, n_a), by (n_y, 1)."""
    n_x, n_a, n_y = (check_positive(k, v, int) for k, v in (("n_x", n_x), ("n_a", n_a),
                                                             ("n_y", n_y)))
    return init_gated_params(n_x, n_a, n_y, GATES, seed)


def lstm_cell_forward(xt, a_prev, c_prev, params):
    """One step. xt (n_x, m), a_prev (n_a, m), c_prev (n_a, m).
    Returns a_next (n_a, m), c_next (n_a, m), yt_pred (n_y, m) (None without Wya) and the
    cache for `lstm_cell_backward`."""
    n_x, n_a, n_y = check_lstm_params(params)
    m = check_step("xt", xt, n_x)
    check_float_array("a_prev", a_prev, (n_a, m), "(n_a, m)")
    check_float_array("c_prev", c_prev, (n_a, m), "(n_a, m)")
    return lstm_step(xt, a_prev, c_prev, params)


def lstm_step(xt, a_prev, c_prev, params):
    """`lstm_cell_forward` on checked arguments."""
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    ft = sigmoid(params["Wf"] @ concat + params["bf"])
    it = sigmoid(params["Wi"] @ concat + params["bi"])
    cct = np.tanh(params["Wc"] @ concat + params["bc"])
    ot = sigmoid(params["Wo"] @ concat + params["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"]) if "Wya" in params else None
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)
    return a_next, c_next, yt_pred, cache


def lstm_cell_backward(da_next, dc_next, cache):
    """Backward through one step. da_next (n_a, m): all the loss gradient reaching a_t (from
    ŷ_t and from step t+1); dc_next (n_a, m): only the part of the gradient at c_t that arrives
    along the memory line from c_{t+1}. With dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh²(c_t)),
    the whole gradient at c_t (that part plus the part through a_t):
        dΓ_o = da_next ⊙ tanh(c_t),  dΓ_f = dc ⊙ c_{t-1},  dΓ_i = dc ⊙ c̃_t,  dc̃_t = dc ⊙ Γ_i,
        dc_prev = dc ⊙ Γ_f; each gate's pre-activation gradient dz is its d times σ' = Γ(1 - Γ)
        (or 1 - c̃² for the candidate), then dW = dz [a_{t-1}; x_t]^T, db = Σ_m dz.
    Returns dxt (n_x, m), da_prev, dc_prev (n_a, m), dWf, dWi, dWc, dWo (n_a, n_a + n_x),
    dbf, dbi, dbc, dbo (n_a, 1)."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    check_float_array("da_next", da_next, a_next.shape, "(n_a, m)")
    check_float_array("dc_next", dc_next, c_next.shape, "(n_a, m)")
    return lstm_step_backward(da_next, dc_next, cache)


def lstm_step_backward(da_next, dc_next, cache):
    """`lstm_cell_backward` on checked arguments."""
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
    grads.update(dxt=dconcat[n_a:], da_prev=dconcat[:n_a], dc_prev=dc * ft)
    return grads


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


def lstm_unroll(x, a0, c0, params, lengths, transient=False):
    """The recurrence on checked arguments (see `lstm_forward`); returns the LSTMCache.
    transient: the cache in scratch memory, for a caller whose cache dies before it returns."""
    n_a, m = a0.shape
    T_x = x.shape[-1]
    W_a, W_x, b = stacked_halves(params, STACKED, n_a)
    # σ(z) = (1 + tanh(z / 2)) / 2: with the sigmoid gates' rows halved (exact in floating
    # point), one tanh over the whole (4 n_a, m) block serves all four gates
    half = np.r_[np.full(3 * n_a, 0.5), np.ones(n_a)][:, None]
    W_a, W_x, b = np.asfortranarray(W_a * half), W_x * half, b * half
    gates = project_inputs(x, W_x, b, m, T_x, transient, "lstm: gates")
    shape = (n_a, m, T_x)
    a, c, tanh_c = (scratch(f"lstm: {k}", shape, "F") if transient else np.empty(shape, order="F")
                    for k in ("a", "c", "tanh c"))
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    recurrent = np.empty((4 * n_a, m), order="F")
    written = np.empty((n_a, m), order="F")
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


def lstm_forward(x, a0, params, c0=None, lengths=None):
    """Run the LSTM over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0, c0 (n_a, m) or None for zeros (a state
    carried over from another sequence needs both); lengths (m,) for a padded batch: at a padded
    step both a and c are carried unchanged.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None without Wya), c (n_a, m, T_x) and the
    cache for `lstm_backward`.
    """
    n_x, n_a, n_y = check_lstm_params(params)
    m, T_x = check_sequence(x, n_x)
    a0, c0 = check_state(a0, n_a, m), check_state(c0, n_a, m, name="c0")
    cache = lstm_unroll(x, a0, c0, params, check_lengths(lengths, m, T_x))
    return cache.a, sequence_outputs(cache.a, params), cache.c, cache


def lstm_backward(da, caches, truncate=None, dc_last=None):
    """Backpropagation through time for the LSTM.

    da (n_a, m, T_x): the loss gradient reaching each a_t from above; dc_last (n_a, m) or None:
    a gradient reaching the final c (e.g. from a decoder started in this state).
    truncate = k: no gradient crosses from one window of k steps into the one before.
    Returns dx (n_x, m, T_x) (None for token ids), da0, dc0 (n_a, m) and dWf, dbf, dWi, dbi,
    dWc, dbc, dWo, dbo.
    """
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)")
    if dc_last is not None:
        check_float_array("dc_last", dc_last, caches.a0.shape, "(n_a, m)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return lstm_bptt(da, caches, truncate, dc_last)


def lstm_bptt(da, cache, truncate=None, dc_last=None):
    """`lstm_backward` on checked arguments; da is only read.

    Per step, the factors that do not depend on the gradient flowing back (the gates'
    derivatives times the forward values) are computed into small buffers that stay in
    cache, then a few products give dz_t; the weights' gradients are one product over all
    steps afterwards."""
    n_a, m, T_x = cache.a.shape
    active = None if cache.lengths is None else step_mask(cache.lengths, m, T_x).T  # (T_x, m)
    W_a, W_x, _ = stacked_halves(cache.params, STACKED, n_a)
    W_a_T = np.asfortranarray(W_a.T)  # Fortran order: BLAS's fastest layout for this product
    dz = scratch("lstm bptt: dz", cache.gates.shape, "F")  # pre-activation gradients
    # every (n, m) array of the loop in Fortran order, as the blocks of the caches are:
    # an operation on operands of mixed order runs several times slower
    to_c = np.empty((n_a, m), order="F")  # dc_t gets da_t times this
    to_z = np.empty((4 * n_a, m), order="F")  # dz_t = dc_t (or da_t) times this, by row block
    zf, zi, zo, zc = to_z[:n_a], to_z[n_a : 2 * n_a], to_z[2 * n_a : 3 * n_a], to_z[3 * n_a :]
    da_next = np.zeros((n_a, m), order="F")
    dc_next = np.zeros((n_a, m), order="F") if dc_last is None else np.array(dc_last, order="F")
    for t in reversed(range(T_x)):
        g, tc = cache.gates[:, :, t], cache.tanh_c[:, :, t]
        ft, it, ot, cct = g[:n_a], g[n_a : 2 * n_a], g[2 * n_a : 3 * n_a], g[3 * n_a :]
        np.multiply(tc, tc, out=to_c)  # Γ_o (1 - tanh²(c_t))
        np.subtract(1.0, to_c, out=to_c)
        to_c *= ot
        np.subtract(1.0, ft, out=zf)  # c_{t-1} Γ_f (1 - Γ_f)
        zf *= ft
        zf *= cache.c0 if t == 0 else cache.c[:, :, t - 1]
        np.subtract(1.0, it, out=zi)  # c̃_t Γ_i (1 - Γ_i)
        zi *= it
        zi *= cct
        np.subtract(1.0, ot, out=zo)  # tanh(c_t) Γ_o (1 - Γ_o)
        zo *= ot
        zo *= tc
        np.multiply(cct, cct, out=zc)  # Γ_i (1 - c̃_t²)
        np.subtract(1.0, zc, out=zc)
        zc *= it
        da_t = da[:, :, t] + da_next  # all the gradient reaching a_t
        dc = np.multiply(da_t, to_c)  # all the gradient reaching c_t
        dc += dc_next
        dz_t = dz[:, :, t]
        np.multiply(dc, zf, out=dz_t[:n_a])
        np.multiply(dc, zi, out=dz_t[n_a : 2 * n_a])
        np.multiply(da_t, zo, out=dz_t[2 * n_a : 3 * n_a])
        np.multiply(dc, zc, out=dz_t[3 * n_a :])
        if active is not None and not active[t].all():  # a padded step copied its state:
            dz_t *= active[t]  # nothing reaches its gates, its gradients pass back whole
            dc_prev = np.where(active[t], dc * ft, dc_next)
            da_next = np.matmul(W_a_T, dz_t, out=np.empty((n_a, m), order="F"))
            da_next += da_t * ~active[t]
            dc_next = np.asfortranarray(dc_prev)
        else:
            dc_next = np.multiply(dc, ft, out=dc)
            da_next = np.matmul(W_a_T, dz_t, out=np.empty((n_a, m), order="F"))
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next, dc_next = np.zeros((n_a, m), order="F"), np.zeros((n_a, m), order="F")
    dW_x, db, dx = input_grads(dz, cache.x, W_x)
    grads = split_gate_grads(recurrent_grad(dz, cache.a0, cache.a), dW_x, db, STACKED, n_a)
    grads.update(dx=dx, da0=da_next, dc0=dc_next)
    return grads
