"""Checks of the backward passes: one step of the cell (exercise 5) and backpropagation
through time (exercise 6; the learner's gradient check of it is in `gradcheck`).

A backward pass is judged against centred differences of a forward pass: with the upstream
gradient da fixed, L = sum(da * a) has exactly the gradients the backward pass should return.
Then the general check (`_differential`) runs it against rnnlesson's own backward passes on
many small cases: which gradients are wrong and which right, and probes that switch paths off
(a_next = 0, so that dz = da_next; a sequence of one step; da zero but at one step; Waa = 0,
so that nothing flows back from step t + 1), name the term at fault.
"""

import re

import numpy as np

from rnnlesson.checks._common import (
    TOL,
    assert_shape,
    call_on_copies,
    close,
    error_text,
    example_params,
    lecture_shapes,
    mistake,
    numerical_gradients,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.rnn import rnn_cell_backward as reference_cell_backward
from rnnlesson.rnn import rnn_cell_forward as reference_cell_forward
from rnnlesson.sequence import rnn_forward_by_cells

NAME_CELL = "rnn_cell_backward"
NAME_SEQ = "rnn_backward"
CELL_KEYS = ("dxt", "da_prev", "dWax", "dWaa", "dba")
SEQ_KEYS = ("dx", "da0", "dWax", "dWaa", "dba")
CELL_FORMULAS = {"dxt": "dxt = Wax.T @ dz: (n_x, n_a) @ (n_a, m).",
                 "da_prev": "da_prev = Waa.T @ dz: (n_a, n_a) @ (n_a, m).",
                 "dWax": "dWax = dz @ xt.T: (n_a, m) @ (m, n_x).",
                 "dWaa": "dWaa = dz @ a_prev.T: (n_a, m) @ (m, n_a).",
                 "dba": "dba = dz.sum(axis=1, keepdims=True): dz summed over the m examples."}
SEQ_FORMULAS = {"dx": "dx[:, :, t] holds the dxt of step t.",
                "da0": "da0 is the da_prev that step t = 0 returns."}


def assert_gradient_dict(name, grads, shapes, formulas=None):
    """grads must be a dict with the keys of shapes, each an array of that shape.

    shapes: {key: (shape, letters)}; formulas: {key: how the lecture computes it}, said when
    its shape is wrong.
    """
    if not isinstance(grads, dict):
        raise mistake(name, "not-a-dict", f"{name} should return a dict with keys "
                      f"{', '.join(shapes)}; received {type(grads).__name__}.")
    missing = [key for key in shapes if key not in grads]
    if missing:
        raise mistake(name, "missing-key", f"{name}: the returned dict is missing "
                      f"{', '.join(missing)} (it has {', '.join(map(str, grads)) or 'no keys'}).")
    for key, (shape, letters) in shapes.items():
        hint = ""
        if key in (formulas or {}) and getattr(grads[key], "shape", None) != shape:
            flipped = getattr(grads[key], "shape", None) == shape[::-1] and len(shape) > 1
            hint = (" It looks transposed." if flipped else "") + f" {formulas[key]}"
        if key == "dba" and isinstance(grads[key], np.ndarray) and grads[key].ndim == 1:
            raise mistake(name, "dba-not-a-column", f"{name}: dba should have shape {letters} = "
                          f"{shape}, received {grads[key].shape}. Keep the column: "
                          "dz.sum(axis=1, keepdims=True).")
        value = grads[key]
        if key == "dba" and isinstance(value, np.ndarray) and value.ndim == 2 \
                and value.shape[0] == shape[0] and value.shape[1] > 1 \
                and np.all(value == value[:, :1]):
            raise mistake(name, "dba-broadcast", f"{name}: dba should have shape {letters} = "
                          f"{shape}, received {value.shape}: the same column repeated "
                          f"{value.shape[1]} times. A sum that starts from an array of shape "
                          f"(n_a, m) (np.zeros((n_a, m))) takes each (n_a, 1) term added to it "
                          "across all m columns; start it from 0.0 or np.zeros((n_a, 1)).")
        if key == "dba" and getattr(grads[key], "shape", (0, 1))[1:] not in ((1,), ()):
            raise mistake(name, "dba-not-summed", f"{name}: dba should have shape {letters} = "
                          f"{shape}, received {grads[key].shape}. Sum dz over the m examples: "
                          "dz.sum(axis=1, keepdims=True).")
        assert_shape(name, key, grads[key], shape, letters, hint)


def blame(name, grads, numeric, keys, mistakes, what, general=None):
    """Raise for gradients that differ from the centred differences, naming the mistake.

    mistakes: [(gradients a known mistake gives, {key: array} for the keys it changes, slug,
    explanation)]: the first whose keys cover every wrong gradient, and that the learner's
    gradients match on all its keys (the values the slip computes, exactly), is named;
    otherwise general() (the general check, which names the term at fault) raises, or, if its
    cases all agree, the first wrong gradient is named.
    """
    wrong = [key for key in keys if not close(grads[key], numeric[key], TOL)]
    if not wrong:
        return
    for alternative, slug, explanation in mistakes:
        if set(wrong) <= set(alternative) and all(close(grads[key], alternative[key], TOL)
                                                  for key in alternative):
            raise mistake(name, slug, f"{name}: {explanation}")
    if general is not None:
        general()
    key = wrong[0]
    raise mistake(name, f"{key.lower().replace('_', '-')}-wrong",
                  f"{name}: {key} is wrong: {error_text(grads[key], numeric[key])} against "
                  f"centred differences of {what} (it should be below {TOL:.0e}).")


def cell_backward_mistakes(da_next, cache):
    """The gradients common mistakes give: [(gradients, slug, explanation)]."""
    a_next, a_prev, xt, params = cache
    right = da_next * (1 - a_next**2)

    def from_dz(dz):
        return {"dxt": params["Wax"].T @ dz, "da_prev": params["Waa"].T @ dz,
                "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}

    return [
        (from_dz(da_next * (1 - a_next)), "tanh-derivative-not-squared",
         "dz should be da_next * (1 - a_next**2): yours matches da_next * (1 - a_next); the "
         "derivative of tanh needs the square."),
        (from_dz(da_next), "tanh-derivative-missing",
         "the tanh derivative is missing: dz = da_next * (1 - a_next**2), not da_next."),
        (from_dz(da_next * (1 - a_prev**2)), "tanh-derivative-at-a-prev",
         "the tanh derivative is taken at a_prev; this step's is 1 - a_next**2."),
        (from_dz(da_next * (1 - np.tanh(a_next) ** 2)), "tanh-applied-twice",
         "1 - tanh(a_next)**2 applies tanh twice: a_next is already tanh(z), so "
         "dz = da_next * (1 - a_next**2)."),
        (from_dz(da_next * a_next**2), "tanh-derivative-flipped",
         "dz should be da_next * (1 - a_next**2); yours matches da_next * a_next**2."),
        ({"da_prev": params["Waa"] @ right}, "da-prev-not-transposed",
         "da_prev is wrong: it needs Waa.T: da_prev = Waa.T @ dz."),
        ({"dWaa": right @ a_next.T}, "dwaa-uses-a-next",
         "dWaa is wrong: Waa multiplies a_prev, so dWaa = dz @ a_prev.T (not a_next)."),
        ({"dba": right.mean(axis=1, keepdims=True)}, "dba-mean",
         "dba is wrong: sum dz over the m examples (not the mean): the loss already holds any "
         "averaging."),
        ({key: value / da_next.shape[1] for key, value in from_dz(right).items()
          if key in ("dWax", "dWaa", "dba")}, "weights-averaged",
         "the weight gradients are divided by m: each is the sum of the m examples' shares "
         "(dWax = dz @ xt.T, dba = dz.sum(axis=1, keepdims=True), no mean); the loss already "
         "holds any averaging."),
    ]


def run_cell_backward(fn, forward, seed=5, n_x=3, n_a=5, n_y=2, m=4):
    """Call fn on a fresh case; check it returns the five gradients in their shapes.

    Returns (grads, da_next, xt, a_prev, params, cache)."""
    rng = np.random.default_rng(seed)
    params = example_params(n_x, n_a, n_y, seed=seed)
    xt, a_prev = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m))
    da_next = rng.normal(size=(n_a, m))
    _, _, cache = forward(xt.copy(), a_prev.copy(), snapshot(params))
    args = {"da_next": da_next.copy(), "cache": cache}
    sizes = f"da_next (n_a, m) = {da_next.shape} and the cache of xt (n_x, m) = {xt.shape}"
    grads = call_on_copies(fn, NAME_CELL, args, sizes, "dz is (n_a, m) like da_next; each "
                           "gradient has the shape of what it is of.", diagnose=transposes,
                           shapes=lecture_shapes(n_x=n_x, n_a=n_a, n_y=n_y, m=m))
    assert_gradient_dict(NAME_CELL, grads, {
        "dxt": ((n_x, m), "(n_x, m)"), "da_prev": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")}, CELL_FORMULAS)
    return grads, da_next, xt, a_prev, params, cache


def transposes(error, line):
    """Name the usual crashes of the backward step: a product missing its transpose."""
    products = {r"\bWax\W*\s*@\s*dz\b": "dxt = Wax.T @ dz", r"dz\s*@\s*xt\b(?!\.T)":
                "dWax = dz @ xt.T", r"dz\s*@\s*a_prev\b(?!\.T)": "dWaa = dz @ a_prev.T"}
    for pattern, right in products.items():
        if re.search(pattern, line):
            return "product-not-transposed", (
                f"a product is missing its transpose (`{line}` raised {type(error).__name__}: "
                f"{error}); it should read {right}.")
    return None


@one_message(NAME_CELL)
def check_rnn_cell_backward_shapes(rnn_cell_backward, forward=reference_cell_forward):
    """Check that rnn_cell_backward returns dxt, da_prev, dWax, dWaa, dba in their shapes."""
    run_cell_backward(rnn_cell_backward, forward, seed=1)
    passed(f"{NAME_CELL} shapes")


@one_message(NAME_CELL)
def check_rnn_cell_backward(rnn_cell_backward, forward=reference_cell_forward):
    """Check a learner's rnn_cell_backward(da_next, cache) -> dict of gradients.

    The cache comes from forward (by default rnnlesson's rnn_cell_forward; pass your own to
    test the pair). Each of dxt, da_prev, dWax, dWaa, dba is compared with centred differences
    of L = sum(da_next * a_next); a known mistake is named.
    """
    grads, da_next, xt, a_prev, params, cache = run_cell_backward(rnn_cell_backward, forward)
    arrays = {"dxt": xt.copy(), "da_prev": a_prev.copy(), "dWax": params["Wax"].copy(),
              "dWaa": params["Waa"].copy(), "dba": params["ba"].copy()}

    def loss():
        p = {**params, "Wax": arrays["dWax"], "Waa": arrays["dWaa"], "ba": arrays["dba"]}
        return float(np.sum(da_next * forward(arrays["dxt"], arrays["da_prev"], p)[0]))

    numeric = numerical_gradients(loss, arrays)
    blame(NAME_CELL, grads, numeric, CELL_KEYS, cell_backward_mistakes(da_next, cache),
          "sum(da_next * a_next)", lambda: general_cell(rnn_cell_backward))
    general_cell(rnn_cell_backward)
    passed(NAME_CELL)


def bptt_variant(da, caches, cut=lambda t: False, carry=True, accumulate=True,
                 forwards=False, shift=0, reset=lambda t: False, direct=True, first=0,
                 dropped=lambda t: ()):
    """BPTT over cell caches, right by default, or with one of the usual mistakes:

    cut(t): the gradient from step t into step t - 1 is dropped (truncation);
    carry=False: da_prev is never added; direct=False: da[:, :, t] is never added;
    accumulate=False: weight gradients overwritten; forwards: the loop runs t = 0..T_x-1;
    first=1: the loop stops at t = 1 (step 0 skipped); shift=1: step t reads caches[t - 1];
    reset(t): the weight sums restart at step t (a sum kept per window); dropped(t): the
    weights whose share of step t is not added.
    """
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    da_prev = np.zeros((n_a, m))
    for t in (range(first, T_x) if forwards else reversed(range(first, T_x))):
        step = reference_cell_backward((da[:, :, t] if direct else 0)
                                       + (da_prev if carry else 0), caches[(t - shift) % T_x])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = np.zeros((n_a, m)) if cut(t) else step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            if key in dropped(t):
                continue
            keep = accumulate and not reset(t)
            grads[key] = grads[key] + step[key] if keep else step[key]
    grads["da0"] = da_prev
    return grads


BPTT_MISTAKES = [
    ({"carry": False}, "no-carry", "the gradient coming back from the step after is not "
     "added: at step t pass da[:, :, t] + da_prev (da_prev from step t+1) to the cell's "
     "backward pass."),
    ({"forwards": True}, "loop-forwards", "the loop runs forwards; backpropagation goes from "
     "the last step down to the first: for t in reversed(range(T_x))."),
    ({"shift": 1}, "wrong-cache-index", "step t reads caches[t - 1]; step t's backward pass "
     "needs step t's own cache, caches[t] (counting from 0)."),
    ({"accumulate": False}, "weights-overwritten", "the weight gradients hold only one step's "
     "share (the last one computed, t = 0). The same weights act at every step: add up (+=) "
     "the shares of all T_x steps."),
    ({"first": 1}, "first-step-skipped", "the loop stops before t = 0, so step 0's backward "
     "pass never runs: for t in reversed(range(T_x)) goes down to t = 0 (range(T_x - 1, -1, "
     "-1), not range(T_x - 1, 0, -1))."),
]


def bptt_mistakes(da, caches, cut=lambda t: False):
    """[(gradients, slug, explanation)] of the usual BPTT mistakes (with the windows of cut,
    for truncated BPTT)."""
    found = [(bptt_variant(da, caches, cut, **change), slug, text)
             for change, slug, text in BPTT_MISTAKES]
    right = bptt_variant(da, caches, cut)
    T_x = da.shape[2]
    averaged = {key: right[key] / T_x for key in ("dWax", "dWaa", "dba")}
    found.append((averaged, "weights-averaged", "the weight gradients are averaged over the "
                  "T_x steps; they are the sum of every step's share."))
    found.append(({"da0": da[:, :, 0]}, "da0-wrong", "da0 is wrong: it is the gradient "
                  "reaching a0, the da_prev that the first step's backward pass returns."))
    found.append(({"da0": np.zeros_like(right["da0"])}, "da0-zero", "da0 is wrong: it is all "
                  "zero; return the da_prev of the first step (t = 0), the last one computed."))
    found.append(({"dx": np.zeros_like(right["dx"])}, "dx-not-stored", "dx is all zero: store "
                  "each step's dxt in dx[:, :, t]."))
    # every gradient zero: after the single ones above, so that they keep their own names
    found.append((bptt_variant(da, caches, cut, direct=False), "da-not-added", "every gradient "
                  "is zero: the gradient from above is not added. Step t's backward pass gets "
                  "da[:, :, t] + da_prev, what reaches a_t from y_pred and from step t+1."))
    return found


def bptt_example(seed=6):
    """A small sequence problem: x, a0, params, da and the caches of the reference forward."""
    n_x, n_a, n_y, m, T_x = 3, 5, 2, 2, 4
    rng = np.random.default_rng(seed)
    params = example_params(n_x, n_a, n_y, seed=seed)
    x, a0 = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T_x))
    return x, a0, params, da


@one_message(NAME_SEQ)
def check_rnn_backward(rnn_backward, forward=rnn_forward_by_cells):
    """Check a learner's rnn_backward(da, caches) -> {dx, da0, dWax, dWaa, dba}.

    The caches come from forward (by default rnnlesson's loop over the cell, which returns a
    list of the T_x cell caches). Every gradient is compared with centred differences of
    L = sum(da * a); the usual mistakes (no gradient from the step after, the loop run
    forwards, caches[t - 1], weight gradients overwritten or averaged, a wrong da0) are named.
    """
    x, a0, params, da = bptt_example()
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    _, _, caches = forward(x.copy(), a0.copy(), snapshot(params))
    args = {"da": da.copy(), "caches": caches}
    sizes = f"da (n_a, m, T_x) = {da.shape} and the {T_x} caches of x (n_x, m, T_x) = {x.shape}"
    grads = call_on_copies(rnn_backward, NAME_SEQ, args, sizes,
                           "Step t reads da[:, :, t] and caches[t]; time is the last axis.",
                           shapes=lecture_shapes(n_x=n_x, n_a=n_a, m=m, T_x=T_x))
    assert_gradient_dict(NAME_SEQ, grads, {
        "dx": ((n_x, m, T_x), "(n_x, m, T_x)"), "da0": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")}, SEQ_FORMULAS)
    numeric = sequence_numeric(forward, x, a0, params, da)
    blame(NAME_SEQ, grads, numeric, SEQ_KEYS, bptt_mistakes(da, caches), "sum(da * a)",
          lambda: general_bptt(rnn_backward))
    general_bptt(rnn_backward)
    passed(NAME_SEQ)


def sequence_numeric(forward, x, a0, params, da):
    """Centred differences of L = sum(da * a) with respect to x, a0, Wax, Waa, ba."""
    arrays = {"dx": x.copy(), "da0": a0.copy(), "dWax": params["Wax"].copy(),
              "dWaa": params["Waa"].copy(), "dba": params["ba"].copy()}

    def loss():
        p = {**params, "Wax": arrays["dWax"], "Waa": arrays["dWaa"], "ba": arrays["dba"]}
        return float(np.sum(da * forward(arrays["dx"], arrays["da0"], p)[0]))

    return numerical_gradients(loss, arrays)


def general_cell(fn):
    """The general check of rnn_cell_backward (`backward_general`, which reads this module's
    gradient dict checks: imported when first needed)."""
    from rnnlesson.checks.backward_general import general_cell as check

    check(fn)


def general_bptt(fn):
    """The general check of rnn_backward (see `general_cell`)."""
    from rnnlesson.checks.backward_general import general_bptt as check

    check(fn)
