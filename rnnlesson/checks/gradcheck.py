"""Check of exercise 6's second part: the learner's own gradient check of BPTT.

The checker is graded on its own: the backward passes it is given come from here, rnnlesson's
correct one and copies with a single gradient 1% off, at the example's scale and 10^4 times
smaller (where an absolute difference no longer sees the 1%).
"""

import inspect
import re
from fractions import Fraction

import numpy as np

from rnnlesson.checks._common import (
    assert_unchanged,
    call,
    mistake,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.checks._differential import Probe, Spec, cases, differential, numbers
from rnnlesson.checks.backward import SEQ_KEYS, bptt_example
from rnnlesson.gradcheck import numerical_gradient, rel_error
from rnnlesson.sequence import rnn_backward_by_cells, rnn_forward_by_cells

NAME_CHECK = "bptt_gradient_check"


class Written(np.ndarray):
    """An array that notes each assignment into it (value[i] = ...), by the array's id: the
    checker's arrays are handed in as these to see which ones it nudged in place."""

    written: set = set()

    def __setitem__(self, index, value):
        Written.written.add(id(self))
        super().__setitem__(index, value)


def run_gradient_check(fn, backward, x, a0, params, da, watch=None):
    """The learner's checker on copies of the inputs: a dict of five numbers, inputs unchanged.
    watch: a dict that gets {argument path: whether the checker assigned into it}."""
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params), "da": da.copy()}
    if watch is not None:
        args["x"], args["a0"] = args["x"].view(Written), args["a0"].view(Written)
        args["params"] = {k: v.view(Written) if isinstance(v, np.ndarray) else v
                          for k, v in args["params"].items()}
        Written.written = set()
        ids = {path: id(array) for path, array in arrays_of(args).items()}
    originals = snapshot(args)
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, da = {da.shape}"
    errors = call(fn, NAME_CHECK, (backward, *args.values()), sizes,
                  diagnose=mispaired(x, a0, params))
    if watch is not None:
        watch.update({path: ident in Written.written for path, ident in ids.items()})
    not_restored(originals, args)
    assert_unchanged(NAME_CHECK, originals, args)
    if not isinstance(errors, dict) or any(key not in errors for key in SEQ_KEYS):
        raise mistake(NAME_CHECK, "wrong-return", f"{NAME_CHECK} should return a dict of "
                      f"relative errors with keys {', '.join(SEQ_KEYS)}; received "
                      f"{list(errors) if isinstance(errors, dict) else type(errors).__name__}.")
    for key in SEQ_KEYS:
        value = errors[key]
        if not np.isscalar(value) or not np.isfinite(value) or value < 0:
            nan = np.isscalar(value) and not np.isfinite(value)
            raise mistake(NAME_CHECK, "not-a-number", f"{NAME_CHECK}: errors['{key}'] should be "
                          f"one relative error, a number >= 0; received {value!r}."
                          + (" A nan or inf comes from a division by 0 or from inf - inf: in "
                             "the centred differences (L(θ + eps) - L(θ - eps)) / (2 eps), "
                             "2 eps must not be 0, and the loss must be finite." if nan else ""))
    return errors


MISMATCH = re.compile(r"rel_error: expected two arrays of one shape, got (\([^)]*\)) and "
                      r"(\([^)]*\))")


def mispaired(x, a0, params):
    """diagnose(error, line): a rel_error between a gradient and the differences of another
    array (their shapes tell which), named as a pairing of the wrong arrays."""
    arrays = {"x": x, "a0": a0, **{f"params['{k}']": params[k] for k in ("Wax", "Waa", "ba")}}

    def owners(shape):
        return [name for name, value in arrays.items() if str(value.shape) == shape]

    def diagnose(error, line):
        found = MISMATCH.search(str(error))
        if not found:
            return None
        first, second = (owners(shape) for shape in found.groups())
        if not first or not second or set(first) & set(second):
            return None
        return "gradient-paired-wrongly", (
            f"your checker compared arrays of shapes {found.group(1)} ({' or '.join(first)}'s "
            f"shape) and {found.group(2)} ({' or '.join(second)}'s) in rel_error: a gradient "
            "was paired with the differences of another array. Each goes with its own: dx "
            "with x, da0 with a0, dWax with params['Wax'], dWaa with params['Waa'], dba with "
            "params['ba'].")

    return diagnose


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


ARRAY_OF = {"dx": "x", "da0": "a0", "dWax": "params['Wax']", "dWaa": "params['Waa']",
            "dba": "params['ba']"}


def lecture_numeric(x, a0, params, da, key, eps=1e-5, side=0, total=None, relative=False):
    """Differences of L = sum(da * a) with respect to key's array: centred (side=0), forward
    (side=1: (L(θ + eps) - L(θ)) / eps) or backward (side=-1); total(da * a) -> L (default:
    np.sum in float64); relative: centred, each entry nudged to θ(1 ± eps), divided by 2 eps
    (a learner's slip)."""
    x, a0, params = x.copy(), a0.copy(), snapshot(params)
    array = {"dx": x, "da0": a0, "dWax": params["Wax"], "dWaa": params["Waa"],
             "dba": params["ba"]}[key]
    total = total or np.sum

    def loss():
        return float(total(da * rnn_forward_by_cells(x, a0, params)[0]))

    if relative:
        grad = np.zeros(array.shape)
        for i in np.ndindex(array.shape):
            saved = array[i]
            array[i] = saved * (1 + eps)
            plus = loss()
            array[i] = saved * (1 - eps)
            grad[i] = (plus - loss()) / (2 * eps)
            array[i] = saved
        return grad
    if side == 0:
        return numerical_gradient(loss, array, eps)
    grad, base = np.zeros(array.shape), loss()
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + side * eps
        grad[i] = side * (loss() - base) / eps
        array[i] = saved
    return grad


def returning(key, value):
    """rnnlesson's backward pass with grads[key] replaced by the array value (computed before
    the learner's checker runs: what runs inside it must not be the package's own checker)."""

    def backward(da, caches):
        return {**rnn_backward_by_cells(da, caches), key: value}

    return backward


def simple_fraction(k, rtol=1e-3):
    """p / q with q <= 8 within rtol of k (a factor a slip in a formula makes), else None."""
    near = Fraction(k).limit_denominator(8)
    return float(near) if near and abs(float(near) - k) <= rtol * abs(k) else None


def what_numeric_is(fn, key, error, x, a0, params, da):
    """The CheckFailure that says what the learner's numerical gradient of key is, found by
    handing the checker backward passes whose key is a candidate (zero, a multiple of the
    lecture's, the gradient of another loss, a one-sided difference, another eps): the one it
    reports below 1e-7 is what it computed. None if no candidate is."""
    caches = rnn_forward_by_cells(x, a0, params)[2]
    grads = rnn_backward_by_cells(da, caches)

    def reports(value, watch=None):
        value = value(grads, da, caches)
        return run_gradient_check(fn, returning(key, value), x, a0, params, da, watch)[key]

    ones = lambda g, d, c: rnn_backward_by_cells(np.ones_like(d), c)[key]  # noqa: E731

    def last_only(g, d, c):
        last = np.zeros_like(d)
        last[:, :, -1] = d[:, :, -1]
        return rnn_backward_by_cells(last, c)[key]

    head = (f"{NAME_CHECK}: for rnnlesson's correct backward pass you report {key} relative "
            f"error {error:.2g}; given one whose {key} is ")
    if reports(lambda g, d, c: 0 * g[key]) < 1e-7:
        watch = {}
        reports(lambda g, d, c: 0 * g[key], watch)
        path = ARRAY_OF[key]
        if watch.get(path):
            return mistake(NAME_CHECK, "loss-not-recomputed", head + "zero you report below "
                           f"1e-7: your numerical {key} is zero. You do nudge {path} in place, "
                           "so the loss did not see the nudge: it was computed from a forward "
                           "pass run once, before the nudges. Run the forward pass inside the "
                           "loss, after each nudge: L = sum(da * rnn_forward(x, a0, params)[0]).")
        return mistake(NAME_CHECK, "nudges-a-copy", head + "zero you report below 1e-7: "
                       f"your numerical {key} is zero, the loss did not change when you nudged "
                       f"(and {path} itself was never assigned into). Nudge the arrays the "
                       "loss reads, in place (x[i], a0[i], params['Wax'][i], ...), not copies "
                       "of them, and put each entry back.")
    # rel_error(g, k g) = |1 - k| / (1 + k): a checker off by a factor k is off by one of two
    ratio = (1 - error) / (1 + error)
    factors = (ratio, 1 / ratio) if 0 < ratio < 0.999 else ()  # (near 1: not a multiple)
    candidates = [
        (lambda g, d, c: -g[key], "minus the lecture's", "negated",
         "a sign is flipped, in the loss L = sum(da * a) or in the difference "
         "(L(θ + eps) - L(θ - eps)) / (2 eps), plus before minus."),
        (ones, "the gradient of L = sum(a)", "loss-ignores-da",
         "your loss leaves out da. The loss whose gradient the backward pass computes is "
         "L = sum(da * a): da weights each entry of a."),
        (last_only, "the gradient of sum(da * a) over the last step only", "loss-last-step",
         "your loss reads only the last step. L = sum(da * a) sums over all T_x steps."),
        (lambda g, d, c: lecture_numeric(x, a0, params, d, key, side=1),
         "(L(θ + eps) - L(θ)) / eps, a one-sided difference", "one-sided",
         "use centred differences (L(θ + eps) - L(θ - eps)) / (2 eps), whose error falls like "
         "eps² rather than eps."),
        (lambda g, d, c: lecture_numeric(x, a0, params, d, key, side=-1),
         "(L(θ) - L(θ - eps)) / eps, a one-sided difference", "one-sided",
         "use centred differences (L(θ + eps) - L(θ - eps)) / (2 eps), whose error falls like "
         "eps² rather than eps.")]
    # a one-sided difference off by a factor too (divided by 2 eps, as the centred one is):
    # its own error is of order eps, so the factor read from the error is made exact first
    for factor in {simple_fraction(k) for k in factors} - {None}:
        for side, slope in ((1, "(L(θ + eps) - L(θ)) / eps"), (-1, "(L(θ) - L(θ - eps)) / eps")):
            half, times = factor == 0.5, Fraction(factor).limit_denominator(8)
            candidates.append((
                lambda g, d, c, side=side, factor=factor:
                    factor * lecture_numeric(x, a0, params, d, key, side=side),
                (slope.replace("/ eps", "/ (2 eps)") + ", a one-sided difference divided by "
                 "2 eps") if half else f"{times} times the one-sided difference {slope}",
                "one-sided",
                ("its two points are eps apart, not 2 eps, so the division halves the slope. "
                 if half else "") + "use centred differences (L(θ + eps) - L(θ - eps)) / "
                "(2 eps): nudge both ways, and the error falls like eps² rather than eps."))
    candidates.append((
        lambda g, d, c: lecture_numeric(x, a0, params, d, key, relative=True),
        "the centred difference with relative nudges θ(1 ± eps), divided by 2 eps",
        "relative-nudge",
        "your nudges are relative, value[i] = saved * (1 + eps): the step is then eps·|θ| "
        "(none at all at a zero entry) while you divide by 2 eps. Add and subtract eps itself: "
        "value[i] = saved + eps, then saved - eps."))
    default = eps_default(fn)
    if default is not None and default != 1e-5:
        candidates.append((lambda g, d, c: lecture_numeric(x, a0, params, d, key, default),
                           f"the centred difference with eps = {default:g}", "eps-wrong",
                           f"your eps is {default:g}: with eps = 1e-5 in float64 the centred "
                           "difference agrees with a right gradient to below 1e-7."))
    # a step of another size than the eps argument (a constant of the learner's own)
    for other in (0.3, 0.1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4, 1e-6, 1e-7, 1e-8):
        if other != default:
            candidates.append((
                lambda g, d, c, other=other: lecture_numeric(x, a0, params, d, key, other),
                f"the centred difference with a step of {other:g}", "eps-wrong",
                f"the entries are nudged by {other:g}, not by the eps argument ({default:g}): "
                "nudge by eps, value[i] = saved + eps and saved - eps."))
    # the loss rounded to float32 (about 7 digits): a difference of two nearby losses then
    # keeps few of them
    for text, total in (("np.float32", lambda v: np.float32(np.sum(v.astype(np.float32)))),
                        ("float32", lambda v: np.sum(v.astype(np.float32))),
                        ("float32", lambda v: np.float32(np.sum(v)))):
        candidates.append((
            lambda g, d, c, total=total: lecture_numeric(x, a0, params, d, key, total=total),
            "the centred difference of the loss rounded to float32", "float32",
            f"the loss is computed in {text}, which keeps about 7 digits: L(θ + eps) - "
            "L(θ - eps) differs from L by about 1e-5 of it, so most of the difference's digits "
            "are rounding. Compute the loss in float64 (numpy's default)."))
    for k in factors:  # the lecture's times k
        if reports(lambda g, d, c, k=k: k * g[key]) < 1e-7:
            k_text = "twice" if np.isclose(k, 2, rtol=1e-4) else (
                "half" if np.isclose(k, 0.5, rtol=1e-4) else f"{k:.4g} times")
            if np.isclose(k, 2, rtol=1e-4):
                return mistake(NAME_CHECK, "half-the-step", head + f"{k_text} the lecture's "
                               "you report below 1e-7: your numerical gradient is twice too "
                               "large. Divide L(θ + eps) - L(θ - eps) by 2 eps, the distance "
                               "between the two points.")
            mean = np.isclose(k * da.size, 1, rtol=1e-4)
            return mistake(NAME_CHECK, "scaled", head + f"{k_text} the lecture's you report "
                           f"below 1e-7: your numerical {key} is {k_text} the lecture's. "
                           + ("Your loss is a mean over da's entries; L = sum(da * a) is a sum."
                              if mean else "Take (L(θ + eps) - L(θ - eps)) / (2 eps) of "
                              "L = sum(da * a), nothing more."))
    for value, what, slug, advice in candidates:
        if reports(value) < 1e-7:
            return mistake(NAME_CHECK, slug, head + f"{what} you report below 1e-7: your "
                           f"numerical {key} is {what}: {advice}")
    return None


class Recorder:
    """rnnlesson's backward pass, noting the caches each call is given."""

    def __init__(self):
        self.seen = []

    def __call__(self, da, caches):
        self.seen.append(caches)
        return rnn_backward_by_cells(da, caches)


def caches_nudged(fn, x, a0, params, da):
    """The CheckFailure for a checker that calls backward on the caches of a forward pass run
    while an entry was nudged (inside its loop over the entries), or None."""
    recorder = Recorder()
    run_gradient_check(fn, recorder, x, a0, params, da)
    true = rnn_forward_by_cells(x, a0, params)[2]

    def same_caches(caches):
        return len(caches) == len(true) and all(
            np.array_equal(got[k], want[k]) for got, want in zip(caches, true, strict=True)
            for k in range(3))

    if not recorder.seen or all(same_caches(c) for c in recorder.seen):
        return None
    calls = len(recorder.seen)
    return mistake(NAME_CHECK, "caches-nudged", f"{NAME_CHECK}: your checker hands backward "
                   "the caches of a forward pass run while an entry was nudged"
                   + (f" (it called backward {calls} times, inside the loop over the entries)"
                      if calls > 1 else "") + ", so the analytic gradients it compares are "
                   "those of nudged inputs. Run the forward pass once with every entry as "
                   "given, take grads = backward(da, caches) from it, and only then nudge.")


MEASURES = {  # ways of comparing the analytic and the numerical gradient, and what they miss
    "the mean of the entries' relative errors |g - n| / (|g| + |n|)":
        lambda g, n: float(np.mean(np.abs(g - n) / (np.abs(g) + np.abs(n) + 1e-300))),
    "the largest of the entries' relative errors |g - n| / (|g| + |n|)":
        lambda g, n: float(np.max(np.abs(g - n) / (np.abs(g) + np.abs(n) + 1e-300))),
    "the norm of the difference, ||g - n||, not divided":
        lambda g, n: float(np.linalg.norm(g - n)),
    "the difference divided by the numerical gradient's norm only, ||g - n|| / ||n||":
        lambda g, n: float(np.linalg.norm(g - n) / (np.linalg.norm(n) + 1e-300)),
}


def what_error_is(fn):
    """The CheckFailure for a checker whose reported numbers are another measure than
    rel_error over the whole array (entry by entry, not divided, ...), found on the general
    check's small cases, among which that measure and rel_error give other verdicts; None
    otherwise."""
    fits, differs = dict.fromkeys(MEASURES, True), False
    for case in cases(CHECK_SPEC, 8, 0):
        inputs = case.inputs(CHECK_SPEC)
        backward = inputs.pop("backward")
        x, a0, params, da = inputs["x"], inputs["a0"], inputs["params"], inputs["da"]
        errors = run_gradient_check(fn, backward, x, a0, params, da)
        grads = backward(da, rnn_forward_by_cells(x, a0, params)[2])
        for key in SEQ_KEYS:
            numeric = lecture_numeric(x, a0, params, da, key)
            right = rel_error(grads[key], numeric)
            differs |= verdict(right) != verdict(errors[key])
            for name in MEASURES:
                value = MEASURES[name](grads[key], numeric)
                fits[name] &= bool(np.isclose(errors[key], value, rtol=1e-3, atol=1e-13))
    found = [name for name, ok in fits.items() if ok]
    if not differs or not found:
        return None
    return mistake(NAME_CHECK, "another-measure", f"{NAME_CHECK}: the numbers you report are "
                   f"{found[0]}: on small cases that gives other verdicts than the relative "
                   "error of the whole array (an entry near 0 makes its own ratio noise, and an "
                   "error that is not divided depends on the gradients' size). Report "
                   "rel_error(analytic, numeric) = ||g - n|| / (||g|| + ||n||) for each array.")


def eps_default(fn):
    """The default of the learner's eps argument, if it has one."""
    try:
        parameter = inspect.signature(fn).parameters.get("eps")
    except (TypeError, ValueError):
        return None
    default = getattr(parameter, "default", None)
    return float(default) if isinstance(default, (int, float)) else None


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
        found = caches_nudged(bptt_gradient_check, x, a0, params, da) or what_numeric_is(
            bptt_gradient_check, key, errors[key], x, a0, params, da)
        if found is not None:
            raise found
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
    found = what_error_is(bptt_gradient_check)
    if found is not None:
        raise found
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
