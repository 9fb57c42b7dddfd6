"""Check of exercise 6's second part: the learner's own gradient check of BPTT.

The checker is graded on its own: the backward passes it is given come from here, rnnlesson's
correct one and copies with a single gradient 1% off, at the example's scale and 10^4 times
smaller (where an absolute difference no longer sees the 1%).
"""

import numpy as np

from rnnlesson.checks._common import (
    assert_unchanged,
    call,
    mistake,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.checks.backward import SEQ_KEYS, bptt_example
from rnnlesson.sequence import rnn_backward_by_cells

NAME_CHECK = "bptt_gradient_check"


def run_gradient_check(fn, backward, x, a0, params, da):
    """The learner's checker on copies of the inputs: a dict of five numbers, inputs unchanged."""
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params), "da": da.copy()}
    originals = snapshot(args)
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, da = {da.shape}"
    errors = call(fn, NAME_CHECK, (backward, *args.values()), sizes)
    assert_unchanged(NAME_CHECK, originals, args)
    if not isinstance(errors, dict) or any(key not in errors for key in SEQ_KEYS):
        raise mistake(NAME_CHECK, "wrong-return", f"{NAME_CHECK} should return a dict of "
                      f"relative errors with keys {', '.join(SEQ_KEYS)}; received "
                      f"{list(errors) if isinstance(errors, dict) else type(errors).__name__}.")
    for key in SEQ_KEYS:
        value = errors[key]
        if not np.isscalar(value) or not np.isfinite(value) or value < 0:
            raise mistake(NAME_CHECK, "not-a-number", f"{NAME_CHECK}: errors['{key}'] should be "
                          f"one relative error, a number >= 0; received {value!r}.")
    return errors


def zero_backward(da, caches):
    """A backward pass whose every gradient is zero."""
    return {key: np.zeros_like(value) for key, value in rnn_backward_by_cells(da, caches).items()}


def broken_backward(key, factor=1.01):
    """rnnlesson's backward pass with only grads[key] scaled by factor (1% off by default)."""

    def backward(da, caches):
        grads = rnn_backward_by_cells(da, caches)
        return {**grads, key: grads[key] * factor}

    return backward


@one_message(NAME_CHECK)
def check_bptt_gradient_check(bptt_gradient_check):
    """Check a learner's gradient checker,
    bptt_gradient_check(backward, x, a0, params, da) -> {dx, da0, dWax, dWaa, dba: rel. error}.

    The backward passes come from the check, so this grades the checker alone: rnnlesson's
    correct one must get errors below 1e-7; one whose gradient for a single key is 1% off must
    get a large error (above 1e-4) for exactly that key, also when every gradient is tiny
    (an absolute difference max|a - b| would miss it); the inputs must be left as they were.
    """
    x, a0, params, da = bptt_example(seed=7)
    errors = run_gradient_check(bptt_gradient_check, rnn_backward_by_cells, x, a0, params, da)
    for key in SEQ_KEYS:
        if errors[key] < 1e-7:
            continue
        if np.isclose(errors[key], 1.0, rtol=1e-9) and run_gradient_check(
                bptt_gradient_check, zero_backward, x, a0, params, da)[key] < 1e-7:
            # 1.0 against the right gradients and 0 against zeros: the numerical one is zero
            raise mistake(NAME_CHECK, "nudges-a-copy", f"{NAME_CHECK}: your numerical {key} is "
                          "zero (you report relative error 1.0 for rnnlesson's correct backward "
                          "pass and 0 for one that returns zeros): the loss did not change when "
                          "you nudged. Nudge the arrays the loss reads, in place (x[i], a0[i], "
                          "params['Wax'][i], ...), not copies of them, and put each entry back.")
        if np.isclose(errors[key], 1 / 3, rtol=1e-3):
            raise mistake(NAME_CHECK, "half-the-step", f"{NAME_CHECK}: for rnnlesson's correct "
                          f"backward pass you report {key} relative error {errors[key]:.2f}, "
                          "what a numerical gradient twice too large gives: divide "
                          "L(θ + eps) - L(θ - eps) by 2 eps, the distance between the two "
                          "points.")
        raise mistake(
            NAME_CHECK, "error-for-a-correct-pass",
            f"{NAME_CHECK}: for rnnlesson's correct backward pass you report {key} relative "
            f"error {errors[key]:.1e} (it should be below 1e-7). Use centred differences "
            "(L(θ + eps) - L(θ - eps)) / (2 eps) with eps = 1e-5, in float64, of "
            "L = sum(da * a), and compare with rel_error.")
    tiny = 1e-4 * da  # gradients 10^4 times smaller: a relative error does not change
    for key in SEQ_KEYS:
        for upstream in (da, tiny):
            errors = run_gradient_check(bptt_gradient_check, broken_backward(key), x, a0,
                                        params, upstream)
            if errors[key] > 1e-4:
                continue
            if all(0 < error < 1e-7 for error in errors.values()):
                raise mistake(NAME_CHECK, "ignores-backward", f"{NAME_CHECK}: given a backward "
                              f"pass whose {key} is 1% off, it reported every gradient right: "
                              "it does not check the backward pass it is given. Take the "
                              "gradients from backward(da, caches), the argument, not from "
                              "your own rnn_backward.")
            if upstream is tiny:
                raise mistake(NAME_CHECK, "absolute-difference", f"{NAME_CHECK}: when every "
                              f"gradient is tiny, a {key} 1% off gets {errors[key]:.1e} from "
                              "you: that is an absolute difference such as max|a - b|. Report "
                              "the relative error, rel_error(analytic, numeric), which does "
                              "not depend on the gradients' size.")
            raise mistake(NAME_CHECK, "misses-a-wrong-gradient", f"{NAME_CHECK} did not notice "
                          f"a wrong {key}: given a backward pass whose {key} is 1% off, it "
                          f"reported relative error {errors[key]:.1e}. It must compare the "
                          f"backward pass's {key} with the centred differences for that same "
                          "array.")
        others = [other for other in SEQ_KEYS if other != key and errors[other] >= 1e-7]
        if others:
            raise mistake(NAME_CHECK, "blames-another-gradient", f"{NAME_CHECK} blamed "
                          f"{', '.join(others)} when only {key} was wrong: each gradient must "
                          "be compared with the centred differences of its own array.")
    passed(NAME_CHECK)
