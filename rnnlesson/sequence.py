"""Unrolling the cell over a sequence: the same weights at every step.

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
A batch of sequences x is either floats (n_x, m, T_x) or int token ids (m, T_x), where id i
stands for the one-hot column e_i of length n_x (never built: Wax e_i is column i of Wax).

Two paths compute the same thing:
- `rnn_forward_by_cells` / `rnn_backward_by_cells`: the plain loop over `rnn_cell_forward` and
  `rnn_cell_backward`, the reference to read next to the lecture;
- `rnn_forward` / `rnn_backward`: the fast path used everywhere else. Only the recurrence
  a_t = tanh(Waa a_{t-1} + ...) runs step by step; the input projection Wax x_t + ba, the
  output softmax(Wya a_t + by) and the weight gradients run for all steps at once.
Internally a sequence is stored as (n, T_x, m): step t's m columns side by side, the steps one
after the other, so that (n, T_x * m) is one wide matrix of every column of every step and an
all-steps operation is a single matrix product. The arrays returned are views of it in the
lecture's layout (n, m, T_x).
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_lengths,
    check_params,
    check_positive,
    check_sequence,
    check_state,
    is_int_array,
)
from rnnlesson.cell import rnn_cell_backward, rnn_cell_forward, softmax


@dataclass(frozen=True)
class SequenceCache:
    """What `rnn_backward` needs: the inputs, the states a_0..a_T and the parameters."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    a0: np.ndarray  # (n_a, m)
    a_wide: np.ndarray  # (n_a, T_x, m): a_1 .. a_T
    params: dict
    lengths: np.ndarray | None  # (m,) or None


def one_hot(ids, n):
    """Token ids (m, T_x) -> one-hot floats (n, m, T_x); ids (m,) -> (n, m)."""
    return (np.arange(n).reshape((n,) + (1,) * ids.ndim) == ids).astype(float)


def wide(x):
    """(n, m, T_x) -> (n, T_x, m), contiguous: reshape(n, -1) is then every column in order."""
    return np.ascontiguousarray(x.transpose(0, 2, 1))


def input_projection(x, params):
    """Wax x_t + ba for every step at once: (n_a, T_x, m)."""
    Wax, ba = params["Wax"], params["ba"]
    if is_int_array(x):  # Wax e_i is column i of Wax: index, don't multiply
        return np.take(Wax, x.T, axis=1) + ba[:, :, None]
    n_x, m, T_x = x.shape
    return (Wax @ wide(x).reshape(n_x, -1) + ba).reshape(-1, T_x, m)


def output_forward(a, params):
    """ŷ = softmax(Wya a + by) for states a (n_a, N): any N columns, e.g. N = T_x * m."""
    return softmax(params["Wya"] @ a + params["by"])


def sum_columns_by_id(dz, ids, n_x):
    """dz (n_a, N), ids (N,) -> (n_a, n_x): column i sums the columns of dz whose id is i.
    The same as dz @ one_hot(ids).T, without building the one-hot matrix."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    out = np.zeros((dz.shape[0], n_x))
    out[:, sorted_ids[starts]] = np.add.reduceat(dz[:, order], starts, axis=1)
    return out


def step_mask(lengths, m, T_x):
    """(m, T_x) booleans: True where step t is part of example i (t < lengths[i])."""
    if lengths is None:
        return np.ones((m, T_x), dtype=bool)
    return np.arange(T_x) < lengths[:, None]


def rnn_forward(x, a0, params, lengths=None):
    """Run the cell over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None for zeros;
    lengths (m,) for a padded batch: at a padded step (t >= lengths[i]) the state is carried
    unchanged, so a[:, i, -1] is the state after example i's own last step.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None when params has no Wya, as in an
    encoder) and the cache for `rnn_backward`.
    """
    n_x, n_a, _ = check_params(params, keys=("Wax", "Waa", "ba"))
    m, T_x = check_sequence(x, n_x)
    a0 = check_state(a0, n_a, m)
    lengths = check_lengths(lengths, m, T_x)
    if "Wya" in params:
        check_params(params)
    ax = input_projection(x, params)  # (n_a, T_x, m)
    active = step_mask(lengths, m, T_x).T  # (T_x, m)
    a_wide = np.empty((n_a, T_x, m))
    a_prev = a0
    for t in range(T_x):  # only the recurrence runs step by step
        a_t = np.tanh(params["Waa"] @ a_prev + ax[:, t])
        if lengths is not None:
            a_t = np.where(active[t], a_t, a_prev)
        a_wide[:, t] = a_prev = a_t
    y_pred = None
    if "Wya" in params:
        y_pred = output_forward(a_wide.reshape(n_a, -1), params).reshape(-1, T_x, m)
        y_pred = y_pred.transpose(0, 2, 1)
    cache = SequenceCache(x=x, a0=a0, a_wide=a_wide, params=params, lengths=lengths)
    return a_wide.transpose(0, 2, 1), y_pred, cache


def rnn_backward(da, caches, truncate=None):
    """Backpropagation through time.

    da (n_a, m, T_x) is the loss gradient reaching each hidden state from above (from ŷ_t);
    the gradient from a_{t+1} is added here, step by step from t = T_x down to 1.
    truncate = k cuts the sequence into windows of k steps (t = 1..k, k+1..2k, ...) and lets
    no gradient cross from one window into the one before: truncated BPTT. k >= T_x (or None)
    is full BPTT.
    Returns dx (n_x, m, T_x) (None for token ids), da0 (n_a, m), dWax (n_a, n_x),
    dWaa (n_a, n_a), dba (n_a, 1).
    """
    x, a0, a_wide, params = caches.x, caches.a0, caches.a_wide, caches.params
    n_a, T_x, m = a_wide.shape
    check_float_array("da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    active = step_mask(caches.lengths, m, T_x).T  # (T_x, m)
    Waa_T = params["Waa"].T
    da_wide = da.transpose(0, 2, 1)  # (n_a, T_x, m)
    dz_wide = 1.0 - a_wide**2  # tanh' for every step at once; times the gradient below
    da_next = np.zeros((n_a, m))  # gradient reaching a_t from a_{t+1}
    for t in reversed(range(T_x)):
        g = da_wide[:, t] + da_next
        dz = dz_wide[:, t]
        dz *= g
        if caches.lengths is not None:  # a padded step copied a_{t-1}: pass g straight down
            dz *= active[t]
            da_next = Waa_T @ dz + g * ~active[t]
        else:
            da_next = Waa_T @ dz
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m))
    dz_flat = dz_wide.reshape(n_a, -1)  # (n_a, T_x * m)
    a_prev = np.concatenate([a0[:, None], a_wide[:, :-1]], axis=1)  # a_0 .. a_{T-1}
    grads = {
        "dWaa": dz_flat @ a_prev.reshape(n_a, -1).T,
        "dba": dz_flat.sum(axis=1, keepdims=True),
        "da0": da_next,
    }
    n_x = params["Wax"].shape[1]
    if is_int_array(x):
        grads["dWax"], grads["dx"] = sum_columns_by_id(dz_flat, x.T.ravel(), n_x), None
    else:
        grads["dWax"] = dz_flat @ wide(x).reshape(n_x, -1).T
        grads["dx"] = (params["Wax"].T @ dz_flat).reshape(n_x, T_x, m).transpose(0, 2, 1)
    return grads


def rnn_forward_by_cells(x, a0, params):
    """The reference loop: `rnn_cell_forward` at t = 1..T_x with the same params.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) or None, caches: a list of T_x cell caches.
    """
    n_x, n_a, _ = check_params(params, keys=("Wax", "Waa", "ba"))
    m, T_x = check_sequence(x, n_x)
    if is_int_array(x):
        x = one_hot(x, n_x)
    a_prev = check_state(a0, n_a, m)
    a, y_pred, caches = np.empty((n_a, m, T_x)), None, []
    if "Wya" in params:
        y_pred = np.empty((params["Wya"].shape[0], m, T_x))
    for t in range(T_x):
        a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)
        a[:, :, t] = a_prev
        if y_pred is not None:
            y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, caches


def rnn_backward_by_cells(da, caches):
    """The reference BPTT: `rnn_cell_backward` from t = T_x down to 1, summing the weights'
    gradients over steps. da (n_a, m, T_x). Returns the same dict as `rnn_backward`.
    """
    n_a, m, T_x = da.shape
    n_x = caches[0][2].shape[0]
    grads = {"dx": np.empty((n_x, m, T_x)), "dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = da_prev
    return grads
