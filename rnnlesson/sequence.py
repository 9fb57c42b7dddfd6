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
lecture's layout (n, m, T_x). The step-by-step loops run on step-major copies (see `unroll`),
kept in scratch memory that is reused from call to call (`rnnlesson._scratch`).
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import (
    ALL_KEYS,
    RECURRENCE_KEYS,
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


def input_projection(x, params, out=None):
    """Wax x_t + ba for every step at once: (n_a, T_x, m), written into out if given."""
    Wax, ba = params["Wax"], params["ba"]
    if is_int_array(x):  # Wax e_i is column i of Wax: index, don't multiply
        # mode="clip" (the ids are checked already) writes straight into out, unbuffered
        out = np.take(Wax, x.T, axis=1, out=out, mode="clip")
    else:
        n_x, m, T_x = x.shape
        flat = None if out is None else out.reshape(-1, T_x * m)
        out = np.matmul(Wax, wide(x).reshape(n_x, -1), out=flat).reshape(-1, T_x, m)
    out += ba[:, :, None]
    return out


def output_forward(a, params, out=None):
    """ŷ = softmax(Wya a + by) for states a (n_a, N): any N columns, e.g. N = T_x * m.
    out: an (n_y, N) array to write ŷ into; by default a new one."""
    z = np.matmul(params["Wya"], a, out=out)
    z += params["by"]
    return softmax(z, out=z)


def sum_columns_by_id(dz, ids, n_x):
    """dz (n_a, N), ids (N,) -> (n_a, n_x): column i sums the columns of dz whose id is i.
    The same as dz @ one_hot(ids).T, without building the one-hot matrix."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    grouped = np.take(dz, order, axis=1, out=scratch("grouped by id", dz.shape), mode="clip")
    out = np.zeros((dz.shape[0], n_x))
    out[:, sorted_ids[starts]] = np.add.reduceat(grouped, starts, axis=1)
    return out


def step_mask(lengths, m, T_x):
    """(m, T_x) booleans: True where step t is part of example i (t < lengths[i])."""
    if lengths is None:
        return np.ones((m, T_x), dtype=bool)
    return np.arange(T_x) < lengths[:, None]


def check_inputs(x, a0, params, lengths):
    """The checks of `rnn_forward`'s arguments. Returns n_y (None without an output layer),
    (m, T_x), a0 (zeros for None) and lengths as an array (or None)."""
    keys = ALL_KEYS if isinstance(params, dict) and "Wya" in params else RECURRENCE_KEYS
    n_x, n_a, n_y = check_params(params, keys=keys)
    m, T_x = check_sequence(x, n_x)
    a0 = check_state(a0, n_a, m)
    lengths = check_lengths(lengths, m, T_x)
    return n_y, (m, T_x), a0, lengths


def unroll(x, a0, params, lengths, out):
    """The recurrence on checked arguments (see `rnn_forward`), written into out (n_a, T_x, m).
    Returns the cache for `rnn_backward`, whose a_wide is out.

    The loop works on a scratch copy laid out step-major, (T_x, n_a, m), where each step's
    (n_a, m) block is contiguous in memory: the per-step sums and tanh run faster there than
    on strided columns. The states are copied into out at the end."""
    ax = input_projection(x, params, out=out)  # Wax x_t + ba, every step at once
    _, T_x, m = ax.shape
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    steps = scratch("unroll: states by step", (T_x,) + a0.shape)
    a_prev = a0
    for t in range(T_x):  # only the recurrence runs step by step
        a_t = np.matmul(params["Waa"], a_prev, out=steps[t])
        a_t += ax[:, t]
        np.tanh(a_t, out=a_t)
        if active is not None:  # a padded step carries the state unchanged
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev = a_t
    np.copyto(out, steps.transpose(1, 0, 2))
    return SequenceCache(x=x, a0=a0, a_wide=out, params=params, lengths=lengths)


def rnn_forward(x, a0, params, lengths=None):
    """Run the cell over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None for zeros;
    lengths (m,) for a padded batch: at a padded step (t >= lengths[i]) the state is carried
    unchanged, so a[:, i, -1] is the state after example i's own last step.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None when params has no Wya, as in an
    encoder) and the cache for `rnn_backward`.
    """
    _, (m, T_x), a0, lengths = check_inputs(x, a0, params, lengths)
    n_a = a0.shape[0]
    cache = unroll(x, a0, params, lengths, out=np.empty((n_a, T_x, m)))
    y_pred = None
    if "Wya" in params:
        y_pred = output_forward(cache.a_wide.reshape(n_a, -1), params).reshape(-1, T_x, m)
        y_pred = y_pred.transpose(0, 2, 1)
    return cache.a_wide.transpose(0, 2, 1), y_pred, cache


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
    n_a, T_x, m = caches.a_wide.shape
    check_float_array("da", da, (n_a, m, T_x), "(n_a, m, T_x)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return bptt(da.transpose(2, 0, 1), caches, truncate)


def bptt(da_steps, caches, truncate=None):
    """`rnn_backward` on checked arguments, with da laid out step-major: da_steps
    (T_x, n_a, m), any view (it is only read). Returns the dict of `rnn_backward`.

    As in `unroll`, the loop runs on step-major scratch copies; the gradients at the
    pre-activations, dz_t, are then laid side by side, (n_a, T_x * m), so that each weight's
    gradient is one matrix product over every step."""
    x, a0, a_wide, params = caches.x, caches.a0, caches.a_wide, caches.params
    n_a, T_x, m = a_wide.shape
    active = None if caches.lengths is None else step_mask(caches.lengths, m, T_x).T
    dz_steps = scratch("bptt: dz by step", da_steps.shape)
    np.copyto(dz_steps, da_steps)
    tanh_grad = scratch("bptt: tanh' by step", da_steps.shape)  # 1 - a_t**2, every step
    np.square(a_wide.transpose(1, 0, 2), out=tanh_grad)
    np.subtract(1.0, tanh_grad, out=tanh_grad)
    Waa_T = params["Waa"].T
    da_next = np.zeros((n_a, m))  # gradient reaching a_t from a_{t+1}
    for t in reversed(range(T_x)):
        dz = dz_steps[t]
        dz += da_next  # the whole gradient reaching a_t
        passed = None if active is None else dz * ~active[t]  # a padded step copied a_{t-1}
        dz *= tanh_grad[t]
        if active is not None:
            dz *= active[t]
        da_next = Waa_T @ dz
        if passed is not None:
            da_next += passed
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m))
    dz_wide = scratch("bptt: dz side by side", a_wide.shape)
    np.copyto(dz_wide, dz_steps.transpose(1, 0, 2))
    dz_flat = dz_wide.reshape(n_a, -1)  # (n_a, T_x * m)
    a_flat = a_wide.reshape(n_a, -1)
    dWaa = dz_flat[:, :m] @ a0.T  # step 1 reads a_0, step t > 1 reads a_{t-1}:
    dWaa += dz_flat[:, m:] @ a_flat[:, :-m].T
    grads = {"dWaa": dWaa, "dba": dz_flat.sum(axis=1, keepdims=True), "da0": da_next}
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
