"""What the gated cells (`rnnlesson.lstm`, `rnnlesson.gru`) share.

Letters: n_x input features, n_a hidden units, n_y output classes, m examples, T_x steps.
A gate reads the stacked column [a_{t-1}; x_t] of shape (n_a + n_x, m) through its own W
(n_a, n_a + n_x) and b (n_a, 1).
"""

import numpy as np

from rnnlesson._validate import check_float_array, describe, fail, float_dtype, params_dtype


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
    params_dtype(params, keys + (["Wya", "by"] if n_y is not None else []), name)
    return n_x, n_a, n_y


def init_gated_params(n_x, n_a, n_y, gates, seed, dtype=np.float64):
    """Weights drawn with std 1/sqrt(n_a + n_x), zero biases, and the output layer; drawn in
    float64 and then stored in dtype, so both precisions start from the same numbers."""
    rng = np.random.default_rng(seed)
    params = {}
    for g in gates:
        params[f"W{g}"] = rng.normal(0.0, 1.0 / np.sqrt(n_a + n_x), (n_a, n_a + n_x))
        params[f"b{g}"] = np.zeros((n_a, 1))
    params["Wya"] = rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_y, n_a))
    params["by"] = np.zeros((n_y, 1))
    return {key: value.astype(float_dtype(dtype)) for key, value in params.items()}
