"""Gradient checking: compare a backward pass with centred differences of the loss.

    dL/dθ_i ≈ (L(θ + ε e_i) - L(θ - ε e_i)) / (2ε)

The error of this estimate falls like ε², so in float64 with ε = 1e-5 a correct backward pass
agrees to far better than 1e-7 relative; a wrong one is off by far more.

Two measures of disagreement, both 0 for equal arrays and scale-free:
    rel_error               max|a - b| / (max|a| + max|b|), over the whole array (norm-wise);
    elementwise_rel_error   max_i |a_i - b_i| / max(|a_i| + |b_i|, FLOOR), entry by entry.
The norm-wise figure lets a wrong small entry hide behind large ones: rel_error of [1e3, 1e-6]
and [1e3, -1e-6] is 1e-9 despite the sign error, while the element-wise figure is 2e-3.

How to read either figure (VERDICTS; the bands meet, so every value has a verdict):
    below 1e-7           right (the course's threshold)
    1e-7 up to 1e-2      suspicious: check ε, the dtype (float64?) and kinks (clipping, max, ReLU)
    1e-2 and above       wrong
"""

import math

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


# In float64 with ε = 1e-5 the centred difference is itself off by up to about 1e-10 in absolute
# terms (round-off u |L| / ε plus truncation ε² L^(3) / 6). Entries with |a_i| + |b_i| below FLOOR
# are measured against FLOOR instead, so that noise of 1e-10 on a tiny entry reads at most 1e-7
# (not ~1), while a sign error on an entry of 1e-6 still reads 2e-3. (CS231n's 1e-8 would call
# that noise wrong.) On random small models correct gradients stay below about 6e-8.
FLOOR = 1e-3

# (upper end, verdict): an error e gets the first verdict whose upper end exceeds e.
VERDICTS = ((1e-7, "right"), (1e-2, "suspicious"), (math.inf, "wrong"))


def verdict(error):
    """The verdict of VERDICTS for a relative error: "right", "suspicious" or "wrong"."""
    error = float(error)
    if not error >= 0.0:
        raise ValueError(f"verdict: expected a relative error >= 0, got {error}")
    return next(name for upper, name in VERDICTS if error < upper)


def elementwise_rel_error(a, b, floor=FLOOR):
    """Worst relative difference entry by entry: max_i |a_i - b_i| / max(|a_i| + |b_i|, floor).

    0 for equal arrays, 1 where b_i = -a_i (for entries above the floor); a wrong small entry
    cannot hide behind large ones, as it can in `rel_error`. floor: see FLOOR.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"elementwise_rel_error: expected two arrays of one shape, got "
                         f"{a.shape} and {b.shape}")
    if not floor > 0:
        raise ValueError(f"elementwise_rel_error: expected floor > 0, got {floor}")
    scale = np.maximum(np.abs(a) + np.abs(b), floor)
    return float(np.max(np.abs(a - b) / scale, initial=0.0))


class GradientCheck(dict):
    """{parameter path: worst element-wise relative error}, as `gradient_check` returns it.

    .normwise holds {parameter path: rel_error} for the same comparisons, and .verdicts() the
    verdict of each element-wise figure.
    """

    def __init__(self, elementwise, normwise):
        super().__init__(elementwise)
        self.normwise = dict(normwise)

    def verdicts(self):
        return {path: verdict(error) for path, error in self.items()}


def gradient_check(loss_fn, params, eps=1e-5, max_entries=None, seed=0):
    """Check loss_fn(params) -> (loss, grads) against centred differences.

    Works on a float64 copy of params (nested dicts allowed), whatever their dtype, so the
    caller's arrays are never touched; loss_fn's own inputs must be float64 too.
    max_entries checks that many random entries per parameter instead of all.
    Returns a GradientCheck: {parameter path: worst element-wise relative error} (see
    `elementwise_rel_error`), with the norm-wise `rel_error` of each path in .normwise.
    """
    flat = {path: np.array(value, dtype=np.float64) for path, value in flatten(params).items()}
    tree = unflatten(flat)  # the same arrays, so nudging flat[path] changes what loss_fn reads
    try:
        _, grads = loss_fn(tree)
    except ValueError as exc:
        if "the parameters' dtype" not in str(exc):
            raise
        raise ValueError(f"{exc}. gradient_check runs in float64 whatever the parameters' "
                         "dtype (float32's rounding would swamp the differences): give loss_fn "
                         "float64 inputs too") from exc
    analytic = flatten(grads)
    rng = np.random.default_rng(seed)
    elementwise, normwise = {}, {}
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
        elementwise[path] = elementwise_rel_error(expected, numeric)
        normwise[path] = rel_error(expected, numeric)
    return GradientCheck(elementwise, normwise)
