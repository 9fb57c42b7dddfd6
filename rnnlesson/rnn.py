"""The RNN cell: one step of the recurrence, forward and backward side by side.

Letters: n_x input features, n_a hidden units, n_y output classes, m examples in a batch.
A step works on column vectors stacked side by side: x_t is (n_x, m), a_t is (n_a, m).

    a_t = tanh(Waa a_{t-1} + Wax x_t + ba)       the hidden state update
    ŷ_t = softmax(Wya a_t + by)                   the prediction read from the state
"""

import numpy as np

from rnnlesson._validate import (
    ALL_KEYS,
    RECURRENCE_KEYS,
    check_float_array,
    check_params,
    check_positive,
    check_step,
    dtype_of,
    float_dtype,
)
from rnnlesson.contract import Cell


def softmax(z, out=None):
    """Softmax over the class axis (the second last): z (n_y, m) or (T_x, n_y, m).

    out: an array of z's shape to write the result into (z itself to overwrite it);
    by default a new array.
    """
    dtype = np.result_type(z, np.float32)  # float32 stays float32, ints become float64
    out = np.subtract(z, z.max(axis=-2, keepdims=True), out=out, dtype=dtype)  # max 0: no overflow
    np.exp(out, out=out)
    out /= out.sum(axis=-2, keepdims=True)
    return out


def init_params(n_x, n_a, n_y, seed=0, dtype=np.float64):
    """Random weights scaled by 1/sqrt(fan-in), zero biases, in dtype (np.float64 or
    np.float32; drawn in float64, so both precisions start from the same numbers).

    Returns a dict: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1).
    """
    n_x = check_positive("n_x", n_x, int)
    n_a = check_positive("n_a", n_a, int)
    n_y = check_positive("n_y", n_y, int)
    dtype = float_dtype(dtype)
    rng = np.random.default_rng(seed)
    params = {
        "Wax": rng.normal(0.0, 1.0 / np.sqrt(n_x), (n_a, n_x)),
        "Waa": rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_a, n_a)),
        "Wya": rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_y, n_a)),
        "ba": np.zeros((n_a, 1)),
        "by": np.zeros((n_y, 1)),
    }
    return {key: value.astype(dtype) for key, value in params.items()}


def rnn_cell_forward(xt, a_prev, params):
    """One step: two inputs (x_t, a_{t-1}), two outputs (a_t, ŷ_t).

    xt (n_x, m), a_prev (n_a, m); params as from `init_params` (without Wya and by the cell
    has no output layer and ŷ_t is None).
    Returns a_next (n_a, m), yt_pred (n_y, m) or None, and the cache for the backward pass.
    """
    n_x, n_a, _ = check_params(params, keys=("Wax", "Waa", "ba"))
    m = check_step("xt", xt, n_x, dtype_of(params))
    check_float_array("a_prev", a_prev, (n_a, m), "(n_a, m)", dtype_of(params))
    a_next = np.tanh(params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"])
    yt_pred = softmax(params["Wya"] @ a_next + params["by"]) if "Wya" in params else None
    cache = (a_next, a_prev, xt, params)
    return a_next, yt_pred, cache


def rnn_cell_backward(da_next, cache):
    """Backward through one step.

    da_next (n_a, m) is dL/da_t, all the loss gradient reaching a_t (from ŷ_t and from a_{t+1}).
    With z = Waa a_{t-1} + Wax x_t + ba and a_t = tanh(z), dz = da_next * (1 - a_t**2), then
        dxt = Wax^T dz,  da_prev = Waa^T dz,  dWax = dz x_t^T,  dWaa = dz a_{t-1}^T,
        dba = dz summed over the m examples.
    Returns a dict: dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    a_next, a_prev, xt, params = cache
    check_float_array("da_next", da_next, a_next.shape, "(n_a, m)")
    dz = da_next * (1.0 - a_next**2)
    return {
        "dxt": params["Wax"].T @ dz,
        "da_prev": params["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def check_rnn_params(params, name="params"):
    """(n_x, n_a, n_y) of the plain cell's parameters, n_y None without Wya and by."""
    keys = ALL_KEYS if isinstance(params, dict) and "Wya" in params else RECURRENCE_KEYS
    return check_params(params, keys=keys, name=name)


# the cell in the generic loop's form (states are tuples, see `rnnlesson.contract`)
def rnn_step(xt, state, params):
    """`rnn_cell_forward` without the output layer: state = (a_{t-1},) -> (a_t,), cache."""
    a_next, _, cache = rnn_cell_forward(xt, state[0], {k: params[k] for k in RECURRENCE_KEYS})
    return (a_next,), cache


def rnn_step_backward(dstate, cache):
    """`rnn_cell_backward` with dstate = (da_next,): returns dxt, (da_prev,), {dWax, dWaa, dba}."""
    grads = rnn_cell_backward(dstate[0], cache)
    return grads.pop("dxt"), (grads.pop("da_prev"),), grads


RNN = Cell(name="rnn", keys=RECURRENCE_KEYS, state=("a",), init=init_params,
           check=check_rnn_params, step=rnn_step, step_backward=rnn_step_backward)
