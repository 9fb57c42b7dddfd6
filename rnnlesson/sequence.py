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
The fast path keeps the lecture's shapes, (n, m, T_x), but stores them in Fortran order (the
first index runs fastest in memory). Two things follow. Step t's (n, m) block a[:, :, t] is
contiguous, so the step-by-step loop works on compact memory. And `flat(a)`, the (n, T_x * m)
matrix of every column of every step (step 1's m columns, then step 2's, ...), is a view, so
an all-steps operation is a single matrix product. The batch-sized working arrays of a
training step live in scratch memory reused from call to call (`rnnlesson._scratch`).
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
    a: np.ndarray  # (n_a, m, T_x), Fortran order: a_1 .. a_T
    params: dict
    lengths: np.ndarray | None  # (m,) or None


def one_hot(ids, n):
    """Token ids (m, T_x) -> one-hot floats (n, m, T_x); ids (m,) -> (n, m)."""
    return (np.arange(n).reshape((n,) + (1,) * ids.ndim) == ids).astype(float)


def flat(a):
    """(n, m, T_x) -> (n, T_x * m): the m columns of step 1, then those of step 2, ...
    A view when a is in Fortran order (as the fast path keeps it), else a copy."""
    return a.reshape((a.shape[0], -1), order="F")


def input_projection(x, params, out):
    """Wax x_t + ba for every step at once, written into out (n_a, m, T_x), Fortran order."""
    Wax, ba = params["Wax"], params["ba"]
    if is_int_array(x):  # Wax e_i is column i of Wax: index, don't multiply
        # out.T (T_x, m, n_a) gets row x[i, t] of Wax.T at [t, i]; mode="clip" (the ids are
        # checked already) writes straight into out, unbuffered
        np.take(np.ascontiguousarray(Wax.T), x.T, axis=0, out=out.T, mode="clip")
    else:
        np.matmul(Wax, flat(x), out=flat(out))
    out += ba[:, :, None]
    return out


def output_forward(a, params, out=None):
    """ŷ = softmax(Wya a + by) for states a (n_a, N): any N columns, e.g. N = T_x * m.
    out: an (n_y, N) array to write ŷ into; by default a new one."""
    z = np.matmul(params["Wya"], a, out=out)
    z += params["by"]
    return softmax(z, out=z)


def sequence_outputs(a, params):
    """ŷ_t for every state of a (n_a, m, T_x): (n_y, m, T_x) in Fortran order, or None when
    params has no output layer (no Wya)."""
    if "Wya" not in params:
        return None
    y_pred = np.empty((params["Wya"].shape[0],) + a.shape[1:], order="F")
    output_forward(flat(a), params, out=flat(y_pred))
    return y_pred


def sum_columns_by_id(dz, ids, n_x):
    """dz (n_a, N), ids (N,) -> (n_a, n_x): column i sums the columns of dz whose id is i.
    The same as dz @ one_hot(ids).T, without building the one-hot matrix."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    # the columns of dz grouped by id, as rows: dz.T's rows are contiguous in Fortran order
    grouped = np.take(dz.T, order, axis=0, out=scratch("grouped by id", dz.T.shape), mode="clip")
    out = np.zeros((dz.shape[0], n_x))
    out[:, sorted_ids[starts]] = np.add.reduceat(grouped, starts, axis=0).T
    return out


def step_mask(lengths, m, T_x):
    """(m, T_x) booleans: True where step t is part of example i (t < lengths[i])."""
    if lengths is None:
        return np.ones((m, T_x), dtype=bool)
    return np.arange(T_x) < lengths[:, None]


def check_inputs(x, a0, params, lengths, keys=None):
    """The checks of `rnn_forward`'s arguments. Returns n_y (None without an output layer),
    (m, T_x), a0 (zeros for None) and lengths as an array (or None).
    keys: the parameters required; None for the cell's own, plus the output layer's if there."""
    if keys is None:
        keys = ALL_KEYS if isinstance(params, dict) and "Wya" in params else RECURRENCE_KEYS
    n_x, n_a, n_y = check_params(params, keys=keys)
    m, T_x = check_sequence(x, n_x)
    a0 = check_state(a0, n_a, m)
    lengths = check_lengths(lengths, m, T_x)
    return n_y, (m, T_x), a0, lengths


def unroll(x, a0, params, lengths, out):
    """The recurrence on checked arguments (see `rnn_forward`), written into out
    (n_a, m, T_x), Fortran order. Returns the cache for `rnn_backward`, whose a is out."""
    a = input_projection(x, params, out=out)  # Wax x_t + ba for every step, then a_t in place
    n_a, m, T_x = a.shape
    active = None if lengths is None else step_mask(lengths, m, T_x).T  # (T_x, m)
    # Waa in Fortran order too: BLAS multiplies two Fortran-ordered operands fastest here
    Waa = np.asfortranarray(params["Waa"])
    recurrent = scratch("unroll: Waa a_{t-1}", (n_a, m), order="F")
    a_prev = a0
    for t in range(T_x):  # only the recurrence runs step by step
        a_t = a[:, :, t]  # (n_a, m), contiguous
        a_t += np.matmul(Waa, a_prev, out=recurrent)
        np.tanh(a_t, out=a_t)
        if active is not None:  # a padded step carries the state unchanged
            np.copyto(a_t, a_prev, where=~active[t])
        a_prev = a_t
    return SequenceCache(x=x, a0=a0, a=a, params=params, lengths=lengths)


def rnn_forward(x, a0, params, lengths=None):
    """Run the cell over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None for zeros;
    lengths (m,) for a padded batch: at a padded step (t >= lengths[i]) the state is carried
    unchanged, so a[:, i, -1] is the state after example i's own last step.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None when params has no Wya, as in an
    encoder) and the cache for `rnn_backward`.
    """
    n_y, (m, T_x), a0, lengths = check_inputs(x, a0, params, lengths)
    cache = unroll(x, a0, params, lengths, out=np.empty((a0.shape[0], m, T_x), order="F"))
    return cache.a, sequence_outputs(cache.a, params), cache


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
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)")
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return bptt(da, caches, truncate)


def bptt(da, caches, truncate=None):
    """`rnn_backward` on checked arguments; da (n_a, m, T_x) is only read.

    The gradients at the pre-activations Waa a_{t-1} + Wax x_t + ba, dz_t, are built in a
    Fortran-ordered scratch copy of da, step by step; then each weight's gradient is one
    matrix product over every step's columns."""
    x, a0, a, params = caches.x, caches.a0, caches.a, caches.params
    n_a, m, T_x = a.shape
    active = None if caches.lengths is None else step_mask(caches.lengths, m, T_x).T
    dz = scratch("bptt: dz", a.shape, order="F")
    np.copyto(dz, da)
    tanh_grad = scratch("bptt: tanh'", a.shape, order="F")  # 1 - a_t**2, every step at once
    np.square(a, out=tanh_grad)
    np.subtract(1.0, tanh_grad, out=tanh_grad)
    Waa_T = params["Waa"].T
    da_next = np.zeros((n_a, m), order="F")  # gradient reaching a_t from a_{t+1}
    for t in reversed(range(T_x)):
        dz_t = dz[:, :, t]  # (n_a, m), contiguous
        dz_t += da_next  # the whole gradient reaching a_t
        passed = None if active is None else dz_t * ~active[t]  # a padded step copied a_{t-1}
        dz_t *= tanh_grad[:, :, t]
        if active is not None:
            dz_t *= active[t]
        # a new Fortran-ordered array, so that the next step's sum runs on compact memory
        da_next = np.matmul(Waa_T, dz_t, out=np.empty((n_a, m), order="F"))
        if passed is not None:
            da_next += passed
        if truncate is not None and t % truncate == 0 and t > 0:
            da_next = np.zeros((n_a, m), order="F")
    dz_flat, a_flat = flat(dz), flat(a)  # (n_a, T_x * m)
    dWaa = dz_flat[:, :m] @ a0.T  # step 1 reads a_0, step t > 1 reads a_{t-1}:
    dWaa += dz_flat[:, m:] @ a_flat[:, :-m].T
    grads = {"dWaa": dWaa, "dba": dz_flat.sum(axis=1, keepdims=True), "da0": da_next}
    n_x = params["Wax"].shape[1]
    if is_int_array(x):
        grads["dWax"], grads["dx"] = sum_columns_by_id(dz_flat, x.T.ravel(), n_x), None
    else:
        grads["dWax"] = dz_flat @ flat(x).T
        grads["dx"] = (params["Wax"].T @ dz_flat).reshape((n_x, m, T_x), order="F")
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
