"""What the gated cells (`rnnlesson.lstm`, `rnnlesson.gru`) share.

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
A gate reads the stacked column [a_{t-1}; x_t] of shape (n_a + n_x, m) through its own W
(n_a, n_a + n_x) and b (n_a, 1). Writing W [a_{t-1}; x_t] = W[:, :n_a] a_{t-1} + W[:, n_a:] x_t
splits each W into a recurrent half and an input half; the sequence-level fast paths stack the
gates' halves row on row, so that the input halves of every gate run for all steps at once
(a column lookup for token ids) and the recurrent halves are one matrix product per step.
"""

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import check_float_array, describe, fail, is_int_array
from rnnlesson.sequence import flat, input_projection, sum_columns_by_id


def sigmoid(z, out=None):
    """σ(z) = 1 / (1 + e^-z), written as (1 + tanh(z / 2)) / 2, which never overflows."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def check_gated_params(params, gates, cell, name="params"):
    """Check the W<g> (n_a, n_a + n_x) and b<g> (n_a, 1) of every gate g (and Wya (n_y, n_a),
    by (n_y, 1) when present). Returns (n_x, n_a, n_y), n_y None without an output layer."""
    keys = [key for g in gates for key in (f"W{g}", f"b{g}")]
    if not isinstance(params, dict):
        fail(name, f"a dict of {cell} parameters with keys " + ", ".join(keys), describe(params))
    for key in keys:
        if key not in params:
            fail(name, f"the {cell} key '{key}'", f"keys {sorted(params)}")
    for key in params:
        if not isinstance(params[key], np.ndarray):
            fail(f"{name}['{key}']", "a numpy array", describe(params[key]))
    b = params[f"b{gates[0]}"]
    if b.ndim != 2 or b.shape[1] != 1 or b.shape[0] < 1:
        fail(f"{name}['b{gates[0]}']", "shape (n_a, 1)", f"shape {b.shape}")
    n_a = b.shape[0]
    W = params[f"W{gates[0]}"]
    if W.ndim != 2 or W.shape[0] != n_a or W.shape[1] <= n_a:
        fail(f"{name}['W{gates[0]}']", f"shape (n_a, n_a + n_x) with n_a = {n_a}, n_x >= 1",
             f"shape {W.shape}")
    n_x = W.shape[1] - n_a
    for g in gates:
        check_float_array(f"{name}['W{g}']", params[f"W{g}"], (n_a, n_a + n_x),
                          "(n_a, n_a + n_x)")
        check_float_array(f"{name}['b{g}']", params[f"b{g}"], (n_a, 1), "(n_a, 1)")
    n_y = None
    if "Wya" in params or "by" in params:
        Wya = params.get("Wya")
        if Wya is None or Wya.ndim != 2:
            fail(f"{name}['Wya']", "shape (n_y, n_a) next to by", describe(Wya))
        n_y = Wya.shape[0]
        check_float_array(f"{name}['Wya']", Wya, (n_y, n_a), "(n_y, n_a)")
        check_float_array(f"{name}['by']", params.get("by"), (n_y, 1), "(n_y, 1)")
    return n_x, n_a, n_y


def init_gated_params(n_x, n_a, n_y, gates, seed):
    """Weights drawn with std 1/sqrt(n_a + n_x), zero biases, and the output layer."""
    rng = np.random.default_rng(seed)
    params = {}
    for g in gates:
        params[f"W{g}"] = rng.normal(0.0, 1.0 / np.sqrt(n_a + n_x), (n_a, n_a + n_x))
        params[f"b{g}"] = np.zeros((n_a, 1))
    params["Wya"] = rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_y, n_a))
    params["by"] = np.zeros((n_y, 1))
    return params


def stacked_halves(params, gates, n_a):
    """The gates' weights row on row: recurrent halves (k n_a, n_a) in Fortran order, input
    halves (k n_a, n_x), biases (k n_a, 1), for k = len(gates)."""
    Ws = [params[f"W{g}"] for g in gates]
    W_a = np.asfortranarray(np.concatenate([W[:, :n_a] for W in Ws]))
    W_x = np.concatenate([W[:, n_a:] for W in Ws])
    b = np.concatenate([params[f"b{g}"] for g in gates])
    return W_a, W_x, b


def project_inputs(x, W_x, b, m, T_x, transient=False, name="gates"):
    """W_x x_t + b for every step at once: (k n_a, m, T_x), Fortran order. transient: in
    scratch memory (only for values that die before the caller returns)."""
    shape = (W_x.shape[0], m, T_x)
    out = scratch(name, shape, order="F") if transient else np.empty(shape, order="F")
    return input_projection(x, {"Wax": W_x, "ba": b}, out=out)


def input_grads(dz, x, W_x):
    """From dz (k n_a, m, T_x), the gradient at every step's W_x x_t + b: returns dW_x
    (k n_a, n_x), db (k n_a, 1) and dx (n_x, m, T_x), None for token ids."""
    dz_flat = flat(dz)
    n_x = W_x.shape[1]
    db = dz_flat.sum(axis=1, keepdims=True)
    if is_int_array(x):
        return sum_columns_by_id(dz_flat, x.T.ravel(), n_x), db, None
    dx = (W_x.T @ dz_flat).reshape((n_x,) + dz.shape[1:], order="F")
    return dz_flat @ flat(x).T, db, dx


def recurrent_grad(dz, h0, h):
    """Σ_t dz_t h_{t-1}^T for dz (k n_a, m, T_x), h0 (n_a, m) and h (n_a, m, T_x) = h_1..h_T
    (step 1 reads h_0, step t > 1 reads h_{t-1}): (k n_a, n_a)."""
    m = h0.shape[1]
    dz_flat, h_flat = flat(dz), flat(h)
    # computed as its transpose, Σ_t h_{t-1} dz_t^T: BLAS runs this layout faster here
    out = h0 @ dz_flat[:, :m].T
    out += h_flat[:, :-m] @ dz_flat[:, m:].T
    return out.T


def split_gate_grads(dW_a, dW_x, db, gates, n_a):
    """Stacked gradients back into dW<g> (n_a, n_a + n_x) and db<g> (n_a, 1) per gate."""
    grads = {}
    for k, g in enumerate(gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        grads[f"dW{g}"] = np.concatenate([dW_a[rows], dW_x[rows]], axis=1)
        grads[f"db{g}"] = db[rows].copy()
    return grads
