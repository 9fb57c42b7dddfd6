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
Internally arrays are stored steps-first, (T_x, n_a, m), so each step is contiguous; the arrays
returned are views in the lecture's layout (n_a, m, T_x).
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
    a_steps: np.ndarray  # (T_x, n_a, m): a_1 .. a_T
    params: dict
    lengths: np.ndarray | None  # (m,) or None


def one_hot(ids, n):
    """Token ids (m, T_x) -> one-hot floats (n, m, T_x); ids (m,) -> (n, m)."""
    return (np.arange(n).reshape((n,) + (1,) * ids.ndim) == ids).astype(float)


def input_projection(x, params):
    """Wax x_t + ba for every step at once: (T_x, n_a, m)."""
    Wax, ba = params["Wax"], params["ba"]
    if is_int_array(x):  # column x_t[i] of Wax, for each example i and step t
        return Wax.T[x.T].transpose(0, 2, 1) + ba
    return Wax @ x.transpose(2, 0, 1) + ba


def output_forward(a_steps, params):
    """ŷ = softmax(Wya a + by) for a (n_a, m) or steps-first (T_x, n_a, m) states."""
    return softmax(params["Wya"] @ a_steps + params["by"])


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
    ax = input_projection(x, params)  # (T_x, n_a, m)
    active = step_mask(lengths, m, T_x).T  # (T_x, m)
    a_steps = np.empty((T_x, n_a, m))
    a_prev = a0
    for t in range(T_x):
        a_t = np.tanh(params["Waa"] @ a_prev + ax[t])
        if lengths is not None:
            a_t = np.where(active[t], a_t, a_prev)
        a_steps[t] = a_prev = a_t
    y_pred = output_forward(a_steps, params).transpose(1, 2, 0) if "Wya" in params else None
    cache = SequenceCache(x=x, a0=a0, a_steps=a_steps, params=params, lengths=lengths)
    return a_steps.transpose(1, 2, 0), y_pred, cache


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
    x, a0, a_steps, params = caches.x, caches.a0, caches.a_steps, caches.params
    T_x, n_a, m = a_steps.shape
    check_float_array("da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    active = step_mask(caches.lengths, m, T_x).T  # (T_x, m)
    Waa_T = params["Waa"].T
    da_steps = da.transpose(2, 0, 1)  # (T_x, n_a, m)
    dz_steps = np.empty((T_x, n_a, m))
    da_next = np.zeros((n_a, m))  # gradient reaching a_t from a_{t+1}
    for t in reversed(range(T_x)):
        g = da_steps[t] + da_next
        dz = g * (1.0 - a_steps[t] ** 2)
        if caches.lengths is not None:  # a padded step copied a_{t-1}: pass g straight down
            dz *= active[t]
            da_next = Waa_T @ dz + g * ~active[t]
        else:
            da_next = Waa_T @ dz
        dz_steps[t] = dz
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m))
    a_prev_steps = np.concatenate([a0[None], a_steps[:-1]])  # a_0 .. a_{T-1}
    grads = {
        "dWaa": np.tensordot(dz_steps, a_prev_steps, axes=([0, 2], [0, 2])),
        "dba": dz_steps.sum(axis=(0, 2))[:, None],
        "da0": da_next,
    }
    if is_int_array(x):
        n_x = params["Wax"].shape[1]
        dWax_T = np.zeros((n_x, n_a))
        np.add.at(dWax_T, x.T.ravel(), dz_steps.transpose(0, 2, 1).reshape(-1, n_a))
        grads["dWax"], grads["dx"] = dWax_T.T, None
    else:
        x_steps = x.transpose(2, 0, 1)  # (T_x, n_x, m)
        grads["dWax"] = np.tensordot(dz_steps, x_steps, axes=([0, 2], [0, 2]))
        grads["dx"] = (params["Wax"].T @ dz_steps).transpose(1, 2, 0)
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
