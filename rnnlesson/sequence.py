"""Unrolling the cell over a sequence: the same weights at every step.

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
A batch of sequences x is either floats (n_x, m, T_x) or int token ids (m, T_x), where id i
stands for the one-hot column e_i of length n_x (never built by the fast path: Wax e_i is
column i of Wax).

Two paths compute the same thing:
- `rnn_forward_by_cells` / `rnn_backward_by_cells`: the plain loop over `rnn_cell_forward` and
  `rnn_cell_backward`, the reference to read next to the lecture;
- `rnn_forward` / `rnn_backward`: the loop every cell shares (`rnnlesson.contract`), which
  takes the plain cell's fast path (`rnnlesson.fast.rnn`): only the recurrence
  a_t = tanh(Waa a_{t-1} + ...) runs step by step, the input projection Wax x_t + ba, the
  output softmax(Wya a_t + by) and the weight gradients run for all steps at once.
The parameters' dtype (float64 or float32) is the computation's.
"""

import numpy as np

from rnnlesson._validate import (
    ALL_KEYS,
    RECURRENCE_KEYS,
    check_float_array,
    check_lengths,
    check_params,
    check_positive,
    check_sequence,
    check_state,
    dtype_of,
    is_int_array,
)
from rnnlesson.fast._common import flat
from rnnlesson.loop import one_hot, step_mask
from rnnlesson.rnn import RNN, rnn_cell_backward, rnn_cell_forward, softmax

__all__ = ["flat", "one_hot", "step_mask", "output_forward", "sequence_outputs", "check_inputs",
           "rnn_forward", "rnn_backward", "rnn_forward_by_cells", "rnn_backward_by_cells"]


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
    y_pred = np.empty((params["Wya"].shape[0],) + a.shape[1:], dtype=a.dtype, order="F")
    output_forward(flat(a), params, out=flat(y_pred))
    return y_pred


def check_inputs(x, a0, params, lengths, keys=None):
    """The checks of `rnn_forward`'s arguments. Returns n_y (None without an output layer),
    (m, T_x), a0 (zeros for None) and lengths as an array (or None).
    keys: the parameters required; None for the cell's own, plus the output layer's if there."""
    if keys is None:
        keys = ALL_KEYS if isinstance(params, dict) and "Wya" in params else RECURRENCE_KEYS
    n_x, n_a, n_y = check_params(params, keys=keys)
    dtype = dtype_of(params)
    m, T_x = check_sequence(x, n_x, dtype=dtype)
    a0 = check_state(a0, n_a, m, dtype=dtype)
    lengths = check_lengths(lengths, m, T_x)
    return n_y, (m, T_x), a0, lengths


def rnn_forward(x, a0, params, lengths=None):
    """Run the cell over all T_x steps.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None for zeros;
    lengths (m,) for a padded batch: at a padded step (t >= lengths[i]) the state is carried
    unchanged, so a[:, i, -1] is the state after example i's own last step.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None when params has no Wya, as in an
    encoder) and the cache for `rnn_backward`.
    """
    n_y, (m, T_x), a0, lengths = check_inputs(x, a0, params, lengths)
    cache = RNN.unroll(x, (a0,), params, lengths)
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
    check_float_array("da", da, caches.a.shape, "(n_a, m, T_x)", caches.a.dtype)
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    return RNN.bptt(da, caches, truncate)


def rnn_forward_by_cells(x, a0, params):
    """The reference loop: `rnn_cell_forward` at t = 1..T_x with the same params.

    x (n_x, m, T_x) floats or (m, T_x) token ids; a0 (n_a, m) or None.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) or None, caches: a list of T_x cell caches.
    """
    n_x, n_a, _ = check_params(params, keys=("Wax", "Waa", "ba"))
    dtype = dtype_of(params)
    m, T_x = check_sequence(x, n_x, dtype=dtype)
    if is_int_array(x):
        x = one_hot(x, n_x, dtype)
    a_prev = check_state(a0, n_a, m, dtype=dtype)
    a, y_pred, caches = np.empty((n_a, m, T_x), dtype), None, []
    if "Wya" in params:
        y_pred = np.empty((params["Wya"].shape[0], m, T_x), dtype)
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
    grads = {"dx": np.empty((n_x, m, T_x), da.dtype), "dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    da_prev = np.zeros((n_a, m), da.dtype)
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = da_prev
    return grads
