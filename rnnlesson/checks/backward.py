"""Checks of the backward passes: one step of the cell (exercise 5), backpropagation through
time (exercise 6) and the learner's own gradient check of it.

A backward pass is judged against centred differences of a forward pass: with the upstream
gradient da fixed, L = sum(da * a) has exactly the gradients the backward pass should return.
"""

import numpy as np

from rnnlesson.cell import rnn_cell_backward as reference_cell_backward
from rnnlesson.cell import rnn_cell_forward as reference_cell_forward
from rnnlesson.checks._common import (
    TOL,
    assert_shape,
    assert_unchanged,
    call,
    call_on_copies,
    close,
    error_text,
    example_params,
    numerical_gradients,
    passed,
    snapshot,
)
from rnnlesson.sequence import rnn_backward_by_cells, rnn_forward_by_cells

NAME_CELL = "rnn_cell_backward"
NAME_SEQ = "rnn_backward"
NAME_CHECK = "bptt_gradient_check"
CELL_KEYS = ("dxt", "da_prev", "dWax", "dWaa", "dba")
SEQ_KEYS = ("dx", "da0", "dWax", "dWaa", "dba")


def assert_gradient_dict(name, grads, shapes):
    """grads must be a dict with the keys of shapes, each an array of that shape.

    shapes: {key: (shape, letters)}.
    """
    if not isinstance(grads, dict):
        raise AssertionError(f"{name} should return a dict with keys {', '.join(shapes)}; "
                             f"received {type(grads).__name__}.")
    missing = [key for key in shapes if key not in grads]
    if missing:
        raise AssertionError(f"{name}: the returned dict is missing {', '.join(missing)} "
                             f"(it has {', '.join(map(str, grads)) or 'no keys'}).")
    for key, (shape, letters) in shapes.items():
        hint = ""
        if key == "dba" and isinstance(grads[key], np.ndarray) and grads[key].ndim == 1:
            hint = " Keep the column: dz.sum(axis=1, keepdims=True)."
        elif key == "dba" and getattr(grads[key], "shape", (0, 1))[1:] not in ((1,), ()):
            hint = " Sum dz over the m examples: dz.sum(axis=1, keepdims=True)."
        assert_shape(name, key, grads[key], shape, letters, hint)


def blame(name, grads, numeric, keys, hints, what):
    """Raise for the first key whose gradient differs from the centred differences.

    hints: {key: [(alternative gradient, explanation), ...]}: explanations for known mistakes.
    """
    for key in keys:
        if close(grads[key], numeric[key], TOL):
            continue
        for alternative, explanation in hints.get(key, []):
            if close(grads[key], alternative, TOL):
                raise AssertionError(f"{name}: {key} is wrong: {explanation}")
        raise AssertionError(f"{name}: {key} is wrong: {error_text(grads[key], numeric[key])} "
                             f"against centred differences of {what} (it should be below "
                             f"{TOL:.0e}).")


def cell_backward_mistakes(da_next, cache):
    """The gradients a few common mistakes give, to name them when they are made."""
    a_next, a_prev, xt, params = cache
    right = da_next * (1 - a_next**2)
    found = {key: [] for key in CELL_KEYS}

    def add(dz, explanation, keys=CELL_KEYS):
        grads = {"dxt": params["Wax"].T @ dz, "da_prev": params["Waa"].T @ dz,
                 "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}
        for key in keys:
            found[key].append((grads[key], explanation))

    add(da_next, "the tanh derivative is missing: dz = da_next * (1 - a_next**2).")
    add(da_next * (1 - a_prev**2), "the tanh derivative is taken at a_prev; this step's is "
        "1 - a_next**2.")
    add(da_next * (1 - np.tanh(a_next) ** 2), "1 - tanh(a_next)**2 applies tanh twice: a_next "
        "is already tanh(z), so dz = da_next * (1 - a_next**2).")
    found["da_prev"].append((params["Waa"] @ right, "it needs Waa.T: da_prev = Waa.T @ dz."))
    found["dWaa"].append((right @ a_next.T, "Waa multiplies a_prev, so dWaa = dz @ a_prev.T "
                          "(not a_next)."))
    found["dba"].append((right.mean(axis=1, keepdims=True), "sum dz over the m examples "
                         "(not the mean): the loss already holds any averaging."))
    return found


def check_rnn_cell_backward(rnn_cell_backward, forward=reference_cell_forward):
    """Check a learner's rnn_cell_backward(da_next, cache) -> dict of gradients.

    The cache comes from forward (by default rnnlesson's rnn_cell_forward; pass your own to
    test the pair). Each of dxt, da_prev, dWax, dWaa, dba is compared with centred differences
    of L = sum(da_next * a_next); a known mistake is named.
    """
    n_x, n_a, n_y, m = 3, 5, 2, 4
    rng = np.random.default_rng(5)
    params = example_params(n_x, n_a, n_y, seed=5)
    xt, a_prev = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m))
    da_next = rng.normal(size=(n_a, m))
    _, _, cache = forward(xt.copy(), a_prev.copy(), snapshot(params))
    args = {"da_next": da_next.copy(), "cache": cache}
    sizes = f"da_next (n_a, m) = {da_next.shape} and the cache of xt (n_x, m) = {xt.shape}"
    grads = call_on_copies(rnn_cell_backward, NAME_CELL, args, sizes,
                           "dz is (n_a, m) like da_next; each gradient has the shape of what it "
                           "is of.")
    assert_gradient_dict(NAME_CELL, grads, {
        "dxt": ((n_x, m), "(n_x, m)"), "da_prev": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")})

    arrays = {"dxt": xt.copy(), "da_prev": a_prev.copy(), "dWax": params["Wax"].copy(),
              "dWaa": params["Waa"].copy(), "dba": params["ba"].copy()}

    def loss():
        p = {**params, "Wax": arrays["dWax"], "Waa": arrays["dWaa"], "ba": arrays["dba"]}
        return float(np.sum(da_next * forward(arrays["dxt"], arrays["da_prev"], p)[0]))

    numeric = numerical_gradients(loss, arrays)
    blame(NAME_CELL, grads, numeric, CELL_KEYS, cell_backward_mistakes(da_next, cache),
          "sum(da_next * a_next)")
    passed(NAME_CELL)


def bptt_mistakes(da, caches):
    """Gradients from common BPTT mistakes: no gradient from the step after, or weight
    gradients overwritten instead of summed over the steps."""
    n_a, m, T_x = da.shape
    found = {key: [] for key in SEQ_KEYS}
    no_carry = {"dx": np.empty((caches[0][2].shape[0], m, T_x))}
    for key in ("dWax", "dWaa", "dba"):
        no_carry[key] = 0.0
    for t in reversed(range(T_x)):
        step = reference_cell_backward(da[:, :, t], caches[t])
        no_carry["dx"][:, :, t] = step["dxt"]
        for key in ("dWax", "dWaa", "dba"):
            no_carry[key] = no_carry[key] + step[key]
    for key in ("dx", "dWax", "dWaa", "dba"):
        found[key].append((no_carry[key], "the gradient coming back from the step after is not "
                           "added: at step t pass da[:, :, t] + da_prev (da_prev from step t+1)"
                           " to the cell's backward pass."))
    right = rnn_backward_by_cells(da, caches)
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = reference_cell_backward(da[:, :, t] + da_prev, caches[t])
        da_prev = step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            explanation = (f"it holds only step t = {t}'s share. The same weights act at every "
                           "step: add up (+=) the shares of all T_x steps.")
            found[key].append((step[key], explanation))
    found["da0"].append((da[:, :, 0], "da0 is the gradient reaching a0, the da_prev that "
                         "the first step's backward pass returns."))
    found["da0"].append((np.zeros_like(right["da0"]), "it is all zero; return the da_prev of "
                         "the first step (t = 0), the last one computed."))
    return found


def bptt_example(seed=6):
    """A small sequence problem: x, a0, params, da and the caches of the reference forward."""
    n_x, n_a, n_y, m, T_x = 3, 5, 2, 2, 4
    rng = np.random.default_rng(seed)
    params = example_params(n_x, n_a, n_y, seed=seed)
    x, a0 = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T_x))
    return x, a0, params, da


def check_rnn_backward(rnn_backward, forward=rnn_forward_by_cells):
    """Check a learner's rnn_backward(da, caches) -> {dx, da0, dWax, dWaa, dba}.

    The caches come from forward (by default rnnlesson's loop over the cell, which returns a
    list of the T_x cell caches). Every gradient is compared with centred differences of
    L = sum(da * a); missing the gradient from the step after, or overwriting the weights'
    gradients instead of summing them over the steps, is named.
    """
    x, a0, params, da = bptt_example()
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    _, _, caches = forward(x.copy(), a0.copy(), snapshot(params))
    args = {"da": da.copy(), "caches": caches}
    sizes = f"da (n_a, m, T_x) = {da.shape} and the {T_x} caches of x (n_x, m, T_x) = {x.shape}"
    grads = call_on_copies(rnn_backward, NAME_SEQ, args, sizes,
                           "Step t reads da[:, :, t] and caches[t]; time is the last axis.")
    assert_gradient_dict(NAME_SEQ, grads, {
        "dx": ((n_x, m, T_x), "(n_x, m, T_x)"), "da0": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")})
    numeric = sequence_numeric(forward, x, a0, params, da)
    blame(NAME_SEQ, grads, numeric, SEQ_KEYS, bptt_mistakes(da, caches), "sum(da * a)")
    passed(NAME_SEQ)


def sequence_numeric(forward, x, a0, params, da):
    """Centred differences of L = sum(da * a) with respect to x, a0, Wax, Waa, ba."""
    arrays = {"dx": x.copy(), "da0": a0.copy(), "dWax": params["Wax"].copy(),
              "dWaa": params["Waa"].copy(), "dba": params["ba"].copy()}

    def loss():
        p = {**params, "Wax": arrays["dWax"], "Waa": arrays["dWaa"], "ba": arrays["dba"]}
        return float(np.sum(da * forward(arrays["dx"], arrays["da0"], p)[0]))

    return numerical_gradients(loss, arrays)


def check_bptt_gradient_check(bptt_gradient_check):
    """Check a learner's gradient checker,
    bptt_gradient_check(backward, x, a0, params, da) -> {dx, da0, dWax, dWaa, dba: rel. error}.

    It must report errors below 1e-7 for a correct backward pass, a large error (above 1e-4)
    for exactly the gradient that a broken backward pass gets 1% wrong, and leave its inputs
    as they were (every nudged entry restored).
    """
    x, a0, params, da = bptt_example(seed=7)
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params), "da": da.copy()}
    originals = snapshot(args)
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, da = {da.shape}"
    errors = call(bptt_gradient_check, NAME_CHECK,
                  (rnn_backward_by_cells, args["x"], args["a0"], args["params"], args["da"]),
                  sizes)
    assert_unchanged(NAME_CHECK, originals, args)
    if not isinstance(errors, dict) or any(key not in errors for key in SEQ_KEYS):
        raise AssertionError(f"{NAME_CHECK} should return a dict of relative errors with keys "
                             f"{', '.join(SEQ_KEYS)}; received "
                             f"{list(errors) if isinstance(errors, dict) else type(errors)}.")
    for key in SEQ_KEYS:
        value = errors[key]
        if not np.isscalar(value) or not np.isfinite(value) or value < 0:
            raise AssertionError(f"{NAME_CHECK}: errors['{key}'] should be one relative error, "
                                 f"a number >= 0; received {value!r}.")
        if value >= 1e-7:
            raise AssertionError(
                f"{NAME_CHECK}: for rnnlesson's correct backward pass you report {key} "
                f"relative error {value:.1e} (it should be below 1e-7). Use centred differences "
                "(L(θ + eps) - L(θ - eps)) / (2 eps) with eps = 1e-5, in float64, of "
                "L = sum(da * a), and compare with rel_error.")
    for key in SEQ_KEYS:
        def broken(da_, caches_, key=key):
            grads = rnn_backward_by_cells(da_, caches_)
            return {**grads, key: grads[key] * 1.01 + 0.01 * np.abs(grads[key]).max()}

        errors = call(bptt_gradient_check, NAME_CHECK,
                      (broken, x.copy(), a0.copy(), snapshot(params), da.copy()), sizes)
        if not errors[key] > 1e-4:
            raise AssertionError(
                f"{NAME_CHECK} did not notice a wrong {key}: given a backward pass whose {key} "
                f"is 1% off, it reported relative error {errors[key]:.1e}. It must compare "
                f"the backward pass's {key} with the centred differences for that same array.")
        others = [other for other in SEQ_KEYS if other != key and errors[other] >= 1e-7]
        if others:
            raise AssertionError(
                f"{NAME_CHECK} blamed {', '.join(others)} when only {key} was wrong: each "
                "gradient must be compared with the centred differences of its own array.")
    passed(NAME_CHECK)
