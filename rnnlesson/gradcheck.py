"""Gradient checking: compare a backward pass with centred differences of the loss.

    dL/dθ_i ≈ (L(θ + ε e_i) - L(θ - ε e_i)) / (2ε)

The error of this estimate falls like ε², so in float64 with ε = 1e-5 a correct backward pass
agrees to about 1e-9 relative; a wrong one is off by far more.
"""

import numpy as np

from rnnlesson.tree import flatten, grad_path, unflatten


def numerical_gradient(f, x, eps=1e-5, indices=None):
    """Centred differences of f() with respect to the array x, which f reads.

    Each entry of x is nudged in place and restored before the next, so x is unchanged when
    this returns. indices limits the entries checked (the others stay 0).
    Returns an array shaped like x.
    """
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape) if indices is None else indices:
        saved = x[i]
        x[i] = saved + eps
        plus = f()
        x[i] = saved - eps
        minus = f()
        x[i] = saved
        grad[i] = (plus - minus) / (2.0 * eps)
    return grad


def rel_error(a, b):
    """Largest difference between a and b, relative to their largest entries:
    max|a - b| / max(max|a| + max|b|, 1e-12). 0 for equal arrays; ~1 for unrelated ones.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: expected two arrays of one shape, got {a.shape} and "
                         f"{b.shape}")
    scale = np.abs(a).max(initial=0.0) + np.abs(b).max(initial=0.0)
    return float(np.abs(a - b).max(initial=0.0) / max(scale, 1e-12))


def gradient_check(loss_fn, params, eps=1e-5, max_entries=None, seed=0):
    """Check loss_fn(params) -> (loss, grads) against centred differences.

    Works on a float64 copy of params (nested dicts allowed), so the caller's arrays are never
    touched. max_entries checks that many random entries per parameter instead of all.
    Returns {parameter path: worst relative error} (see `rel_error`).
    """
    flat = {path: np.array(value, dtype=np.float64) for path, value in flatten(params).items()}
    tree = unflatten(flat)  # the same arrays, so nudging flat[path] changes what loss_fn reads
    _, grads = loss_fn(tree)
    analytic = flatten(grads)
    rng = np.random.default_rng(seed)
    errors = {}
    for path, value in flat.items():
        indices = None
        if max_entries is not None and value.size > max_entries:
            picks = rng.choice(value.size, size=max_entries, replace=False)
            indices = [np.unravel_index(i, value.shape) for i in picks]
        numeric = numerical_gradient(lambda: loss_fn(tree)[0], value, eps, indices)
        expected = np.asarray(analytic[grad_path(path)], dtype=np.float64)
        if indices is not None:
            mask = np.zeros(value.shape, dtype=bool)
            mask[tuple(np.array(indices).T)] = True
            expected = np.where(mask, expected, 0.0)
        errors[path] = rel_error(expected, numeric)
    return errors
