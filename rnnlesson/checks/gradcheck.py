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
from rnnlesson.checks._differential import Probe, Spec, differential, numbers
from rnnlesson.checks.backward import SEQ_KEYS, bptt_example
from rnnlesson.gradcheck import numerical_gradient, rel_error
from rnnlesson.sequence import rnn_backward_by_cells, rnn_forward_by_cells

NAME_CHECK = "bptt_gradient_check"


def run_gradient_check(fn, backward, x, a0, params, da):
    """The learner's checker on copies of the inputs: a dict of five numbers, inputs unchanged."""
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params), "da": da.copy()}
    originals = snapshot(args)
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, da = {da.shape}"
    errors = call(fn, NAME_CHECK, (backward, *args.values()), sizes)
    not_restored(originals, args)
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


def arrays_of(args):
    """{path: array} of every array among the checker's arguments (params' entries too)."""
    found = {}
    for name, value in args.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, array in items:
            if isinstance(array, np.ndarray):
                found[name if key is None else f"{name}['{key}']"] = array
    return found


def not_restored(originals, args, eps=1e-5):
    """The checker nudges entries in place, as the exercise asks; an entry left nudged (off by
    a multiple of eps, or by a nudge of another size) is named as such, not as a copy to make."""
    after = arrays_of(args)
    for path, before in arrays_of(originals).items():
        now = after.get(path)
        if not isinstance(now, np.ndarray) or now.shape != before.shape \
                or np.array_equal(now, before):
            continue
        off = now - before
        index = tuple(int(i) for i in np.argwhere(off != 0)[0])
        steps = off[off != 0] / eps
        exact = np.allclose(steps, np.round(steps), rtol=0, atol=1e-3)
        raise mistake(NAME_CHECK, "entry-not-restored", f"{NAME_CHECK}: after your check "
                      f"{path}{list(index)} is off by {off[index]:.3g}"
                      + (f" ({steps[0]:+.0f} eps)" if exact else "")
                      + f", and {np.count_nonzero(off)} entr"
                      + ("y" if np.count_nonzero(off) == 1 else "ies") + " in all: an entry "
                      "nudged to compute L(θ + ε) and L(θ - ε) must get its saved value back "
                      "(value[i] = saved) before the next entry is nudged, or every later "
                      "loss is computed with it still nudged.")


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
    general(bptt_gradient_check)
    passed(NAME_CHECK)


# --- the general check (rnnlesson/checks/_differential.py) ----------------------------------


class GivenBackward:
    """The backward pass handed to the checker: rnnlesson's, with one gradient scaled (or
    none), shown by what it is in a counterexample."""

    def __init__(self, key=None, factor=1.0):
        self.key, self.factor = key, factor

    def __call__(self, da, caches):
        grads = rnn_backward_by_cells(da, caches)
        return {**grads, self.key: grads[self.key] * self.factor} if self.key else grads

    def __repr__(self):
        return (f"rnnlesson's rnn_backward with {self.key} x {self.factor}" if self.key
                else "rnnlesson's rnn_backward")


def build_check(sizes, rng, simple):
    """A backward pass (correct, or one gradient 1% off), x, a0, params, da (at times 10^-4)."""
    n_x, n_a, m, T_x = sizes["n_x"], sizes["n_a"], sizes["m"], sizes["T_x"]
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((2, n_a)), "by": draw((2, 1))}
    key = None if simple else [None, *SEQ_KEYS][int(rng.integers(len(SEQ_KEYS) + 1))]
    scale = 1e-4 if not simple and rng.random() < 0.3 else 1.0
    return {"backward": GivenBackward(key, 1.01), "x": draw((n_x, m, T_x)),
            "a0": draw((n_a, m)), "params": params, "da": scale * draw((n_a, m, T_x))}


def verdict(error):
    return "below 1e-7" if error < 1e-7 else "above 1e-4" if error > 1e-4 else "between"


def reference_check(backward, x, a0, params, da):
    grads = backward(da, rnn_forward_by_cells(x, a0, params)[2])
    arrays = {"dx": x, "da0": a0, "dWax": params["Wax"], "dWaa": params["Waa"],
              "dba": params["ba"]}

    def loss():
        return float(np.sum(da * rnn_forward_by_cells(x, a0, params)[0]))

    return {key: verdict(rel_error(grads[key], numerical_gradient(loss, arrays[key])))
            for key in SEQ_KEYS}


def read_check(errors, inputs):
    if not isinstance(errors, dict) or any(key not in errors for key in SEQ_KEYS):
        raise mistake(NAME_CHECK, "wrong-return", f"{NAME_CHECK} should return a dict of "
                      f"relative errors with keys {', '.join(SEQ_KEYS)}.")
    for key in SEQ_KEYS:
        if not np.isscalar(errors[key]) or not np.isfinite(errors[key]) or errors[key] < 0:
            raise mistake(NAME_CHECK, "not-a-number", f"{NAME_CHECK}: errors['{key}'] should "
                          f"be one relative error, a number >= 0; received {errors[key]!r}.")
    return {key: verdict(errors[key]) for key in SEQ_KEYS}


def correct_backward(inputs):
    return {**inputs, "backward": GivenBackward()}


CHECK_SPEC = Spec(
    NAME_CHECK, {"n_x": (1, 2), "n_a": (1, 2), "m": (1, 2), "T_x": (1, 3)},
    build_check, reference_check, read_check,
    terms={"numeric": "the centred differences (L(θ + eps) - L(θ - eps)) / (2 eps) of "
                      "L = sum(da * a), eps = 1e-5, each entry put back",
           "pairing": "each gradient compared with the centred differences of its own array",
           "relative": "the relative error rel_error(analytic, numeric), not an absolute "
                       "difference",
           "argument": "the gradients of backward(da, caches), the backward pass it is given"},
    # with a correct backward pass a wrong numerical gradient or pairing shows; an absolute
    # difference or the learner's own rnn_backward does not
    probes=[Probe("with rnnlesson's correct backward pass", correct_backward,
                  frozenset({"numeric", "pairing"}))],
    show=("backward", "da"),
    hint="The loss reads x, a0 and params: nudge them in place and put each entry back.")


def general(fn):
    """The general check of the learner's checker: its verdicts (below 1e-7, above 1e-4)
    against the lecture's on many small cases."""
    differential(CHECK_SPEC, fn, count=8)
