"""Gradient checks entry by entry: every entry's relative error, not only the largest overall.

The numerical derivative is the five-point centred difference
    f'(θ) ≈ (f(θ - 2ε) - 8 f(θ - ε) + 8 f(θ + ε) - f(θ + 2ε)) / (12 ε),
whose error falls like ε⁴, so with ε = 1e-3 it is good to about 1e-12 absolute in float64:
small gradient entries can then be judged by their own relative error.
"""

import numpy as np

from rnnlesson.tree import flatten, grad_path, unflatten

TOL = 1e-7
FLOOR = 1e-5  # an entry smaller than this is judged by its error relative to FLOOR:
# the loss's own rounding (about 1e-16 |L| / ε) leaves ~1e-13 of noise in every entry


def five_point_gradient(f, x, eps=1e-3):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        saved = x[i]
        values = []
        for step in (-2, -1, 1, 2):
            x[i] = saved + step * eps
            values.append(f())
        x[i] = saved
        grad[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)
    return grad


def elementwise_errors(loss_fn, params):
    """{path: worst |analytic - numeric| / max(|analytic| + |numeric|, FLOOR) over entries}
    for loss_fn(tree) -> (loss, grads), on a float64 copy of params."""
    flat = {path: np.array(value, dtype=np.float64) for path, value in flatten(params).items()}
    tree = unflatten(flat)
    analytic = flatten(loss_fn(tree)[1])
    errors = {}
    for path, value in flat.items():
        numeric = five_point_gradient(lambda: loss_fn(tree)[0], value)
        expected = np.asarray(analytic[grad_path(path)], dtype=np.float64)
        assert expected.shape == numeric.shape, path
        scale = np.maximum(np.abs(expected) + np.abs(numeric), FLOOR)
        errors[path] = float((np.abs(expected - numeric) / scale).max())
    return errors


def assert_elementwise(loss_fn, params, tol=TOL):
    errors = elementwise_errors(loss_fn, params)
    assert errors, "nothing was checked"
    worst = max(errors, key=errors.get)
    assert errors[worst] < tol, f"{worst}: element-wise relative error {errors[worst]:.2e}"
    return errors
