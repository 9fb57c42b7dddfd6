"""Check of exercise 9: truncated backpropagation through time.

With window length k the steps are cut into windows t = 0..k-1, k..2k-1, ... (counting from 0);
inside a window the gradient flows back as in full BPTT, but none crosses from the first step
of a window into the step before it. The first window still runs back to a0.

A listed slip (the windows counted from the end, the cut one step off, ...) is named when two
sequences show it; any other wrong answer gets the general check's message, which says at which
step and window dx first differs and whether the gradient crosses into it there.
"""

import itertools
import re

import numpy as np

from rnnlesson.checks._common import (
    TOL,
    CheckFailure,
    call_on_copies,
    close,
    error_text,
    lecture_shapes,
    mistake,
    one_message,
    passed,
)
from rnnlesson.checks._differential import (
    Probe,
    Spec,
    counterexamples,
    explain,
    numbers,
    same,
    shrink,
)
from rnnlesson.checks.backward import (
    SEQ_KEYS,
    assert_gradient_dict,
    bptt_example,
    bptt_mistakes,
    bptt_variant,
)
from rnnlesson.rnn import rnn_cell_backward as reference_cell_backward
from rnnlesson.sequence import rnn_forward_by_cells

NAME = "rnn_backward_truncated"


def cut_bptt(da, caches, cut):
    """BPTT over cell caches where cut(t) says whether the gradient from step t into step
    t - 1 is dropped; used to recognise misplaced windows."""
    return bptt_variant(da, caches, cut)


def window_mistakes(da, caches, k):
    """[(gradients, slug, explanation)]: cuts in the wrong place for window length k, and the
    mistakes of full BPTT (named as in exercise 6) made inside the windows."""
    T_x = da.shape[2]

    def cut(t):
        return t % k == 0 and t > 0

    def starts(t):
        return t % k == k - 1 or t == T_x - 1  # the first step each window's backward pass runs

    every = ", ".join(str(t) for t in range(k, T_x, k)) or "no step here"
    return [
        # before ex06's no-carry, which gives the same numbers: say both ways of making them
        (cut_bptt(da, caches, lambda t: t > 0), "no-carry",
         "no gradient crosses from any step into the step before: da_prev is dropped at every "
         "step, as if k were 1 (da_prev not added to da[:, :, t], or set to zero at every "
         f"t > 0). With k = {k} it is dropped only where a window starts (t = {every}); inside "
         "a window step t gets da[:, :, t] + da_prev, da_prev from step t + 1."),
        (cut_bptt(da, caches, lambda t: False), "nothing-cut",
         f"nothing was cut: these are the full BPTT gradients. With k = {k} no gradient may "
         f"flow from step {k} into step {k - 1} (nor from 2k into 2k - 1, ...): set da_prev to "
         "zero after the backward pass of each window's first step."),
        (cut_bptt(da, caches, lambda t: (T_x - t) % k == 0), "windows-from-the-end",
         "the windows are counted from the end of the sequence; count them from t = 0: steps "
         f"0..{k - 1}, {k}..{2 * k - 1}, ..."),
        (cut_bptt(da, caches, lambda t: (t + 1) % k == 0 and t + 1 < T_x), "cut-one-step-off",
         f"the cut is one step off: cut after the backward pass of step t = {k} (the first "
         f"step of the second window), so that step {k - 1} gets nothing from it."),
        ({"da0": cut_bptt(da, caches, lambda t: t % k == 0)["da0"]}, "da0-cut",
         "da0 is zero: the da_prev of step t = 0 is dropped too, but the first window is not "
         "cut from a0; it runs back to the start (cut only where t > 0)."),
        # any of the three weights' shares left out at the cuts (every subset of them)
        *[({key: bptt_variant(da, caches, cut, dropped=lambda t, keys=keys: keys if cut(t)
                              else ())[key] for key in keys},
           "-".join(key.lower() for key in keys) + "-share-dropped-at-cut",
           f"{', '.join(keys)} {'misses' if len(keys) == 1 else 'miss'} the share of the steps "
           f"where a cut is made (t = {k}, {2 * k}, ...): a cut drops da_prev only, and every "
           f"step's share of {'it' if len(keys) == 1 else 'each weight'} is still added.")
          for size in (1, 2, 3)
          for keys in itertools.combinations(("dWax", "dWaa", "dba"), size)],
        # one weight's sum short of some steps (after the cuts' shares
        # above, before the reset below, which names all three)
        *some_steps_summed(da, caches, cut),
        (bptt_variant(da, caches, cut, reset=starts), "sums-reset-per-window",
         "the weight gradients keep only the last window's sum: they restart at each window. "
         "Truncation cuts da_prev only; dWax, dWaa and dba still add up every step's share."),
        # the windows walked in either order, the steps inside each in either direction
        *[(windowed_bptt(da, caches, k, inner, order), f"window-steps-{inner}",
           f"inside each window the steps run {inner} (t = start, ..., start + k - 1), so "
           "step t takes the da_prev of step t - 1: backpropagation runs from a window's last "
           "step down to its first, as in full BPTT, with da_prev = 0 entering each window.")
          for inner, order in (("forwards", "from-the-end"), ("forwards", "from-the-start"))],
        *bptt_mistakes(da, caches, cut),
    ]


def some_steps_summed(da, caches, cut):
    """[(gradients, slug, explanation)]: one weight gradient adding up the shares of some
    steps only (any subset of them: the last window's, the steps after a cut, ...)."""
    T_x, keys = da.shape[2], ("dWax", "dWaa", "dba")
    # each step's own share of the weights (with the cut gradient), computed once
    shares = [bptt_variant(da, caches, cut, dropped=lambda t, s=s: () if t == s else keys)
              for s in range(T_x)]
    found = []
    for key in keys:
        for size in range(1, T_x):
            for kept in itertools.combinations(range(T_x), size):
                grads = {key: sum(shares[t][key] for t in kept)}
                steps = ", ".join(map(str, kept))
                found.append(({key: grads[key]}, f"{key.lower()}-sums-some-steps",
                              f"{key} adds up the share of step{'s' * (size > 1)} t = {steps} "
                              f"only, of the {T_x} steps. Truncation cuts da_prev only: {key} "
                              f"is the sum of every step's share (t = 0, ..., {T_x - 1}), in "
                              "every window, each computed with the cut gradient."))
    return found


def windowed_bptt(da, caches, k, inner="backwards", order="from-the-end"):
    """BPTT window by window (t = 0..k-1, k..2k-1, ...), da_prev = 0 entering each, the windows
    walked from the end or the start, the steps inside each run backwards (the lecture's) or
    forwards; da0 is the last da_prev computed."""
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    starts = list(range(0, T_x, k))
    da_prev = np.zeros((n_a, m))
    for start in reversed(starts) if order == "from-the-end" else starts:
        da_prev = np.zeros((n_a, m))
        steps = range(start, min(start + k, T_x))
        for t in reversed(steps) if inner == "backwards" else steps:
            step = reference_cell_backward(da[:, :, t] + da_prev, caches[t])
            grads["dx"][:, :, t] = step["dxt"]
            da_prev = step["da_prev"]
            for key in ("dWax", "dWaa", "dba"):
                grads[key] = grads[key] + step[key]
    grads["da0"] = da_prev
    return grads


def truncated_example(seed, extra):
    """da (n_a, m, T_x) and the cell caches of a sequence of 4 + extra steps."""
    x, a0, params, da = bptt_example(seed=seed)
    x = np.concatenate([x, x[:, :, :extra]], axis=2)
    da = np.concatenate([da, 0.5 * da[:, :, :extra]], axis=2)
    _, _, caches = rnn_forward_by_cells(x, a0, params)
    return da, caches


def check_gradients(grads, da, n_x):
    """grads must be the dict of five gradients, each of its lecture's shape."""
    n_a, m, T_x = da.shape
    if isinstance(grads, dict) and getattr(grads.get("da0"), "shape", None) == da.shape:
        raise mistake(NAME, "da0-is-da", f"{NAME}: da0 has the shape of da, (n_a, m, T_x) = "
                      f"{da.shape}: da0 is the gradient reaching a0, the da_prev (n_a, m) that "
                      "the backward pass of step t = 0 returns.")
    assert_gradient_dict(NAME, grads, {
        "dx": ((n_x, m, T_x), "(n_x, m, T_x)"), "da0": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")})


def run_truncated(fn, da, caches, k):
    """fn(da, caches, k) on copies, its gradients checked for form and shape."""
    n_a, m, T_x = da.shape
    n_x = caches[0][2].shape[0]
    args = {"da": da.copy(), "caches": caches}
    grads = call_on_copies(fn, NAME, args, f"da (n_a, m, T_x) = {da.shape}, {T_x} caches and "
                           f"k = {k}", "Step t reads da[:, :, t] and caches[t]; time is the last "
                           "axis.", extra=(k,),
                           shapes=lecture_shapes(n_x=n_x, n_a=n_a, m=m, T_x=T_x))
    check_gradients(grads, da, n_x)
    return grads


def listed_mistakes(grads, da, caches, k):
    """{slug: explanation} of the listed mistakes whose gradients the learner's equal, where
    they differ from the lecture's."""
    expected = reference_truncated(da, caches, k)
    wrong = [key for key in SEQ_KEYS if not close(grads[key], expected[key], TOL)]
    found = {}
    for alternative, slug, explanation in window_mistakes(da, caches, k):
        if wrong and set(wrong) <= set(alternative) \
                and all(close(grads[key], alternative[key]) for key in wrong):
            found.setdefault(slug, explanation)  # the first, most specific, of a slug
    return found


@one_message(NAME)
def check_rnn_backward_truncated(rnn_backward_truncated):
    """Check a learner's rnn_backward_truncated(da, caches, k) -> {dx, da0, dWax, dWaa, dba}.

    caches: the list of cell caches from the forward loop; k: the window length. Compares with
    the lecture's truncated BPTT for several k and names a misplaced cut, or a mistake of full
    BPTT, with the same words as exercise 6, when a second sequence (of 8 steps) shows the same
    slip; every other mistake through the general check, which says at which step and window
    dx first differs.
    """
    da, caches = truncated_example(seed=9, extra=3)  # 7 steps: windows of 3 do not divide them
    T_x = da.shape[2]
    for k in (3, 2, 1, T_x):
        grads = run_truncated(rnn_backward_truncated, da, caches, k)
        expected = reference_truncated(da, caches, k)
        wrong = [key for key in SEQ_KEYS if not close(grads[key], expected[key], TOL)]
        if not wrong:
            continue
        found = listed_mistakes(grads, da, caches, k)
        if found:  # the same slip on a sequence of 8 steps too (7 and 8 mix some windows up)
            other_da, other_caches = truncated_example(seed=10, extra=4)
            other = run_truncated(rnn_backward_truncated, other_da, other_caches, k)
            again = listed_mistakes(other, other_da, other_caches, k)
            for slug, explanation in found.items():
                if slug in again:
                    raise mistake(NAME, slug, f"{NAME} with k = {k} (T_x = {T_x}): {explanation}")
        general(rnn_backward_truncated)
        key = wrong[0]
        raise mistake(NAME, f"{key.lower()}-wrong", f"{NAME} with k = {k} (T_x = {T_x}): {key} "
                      f"is wrong, {error_text(grads[key], expected[key])} against the lecture's "
                      "truncated BPTT.")
    general(rnn_backward_truncated)
    passed(NAME)


def build_truncated(sizes, rng, simple):
    """da (n_a, m, T_x), the caches of a forward pass and k, for the general check."""
    n_x, n_a, m, T_x = (sizes[key] for key in ("n_x", "n_a", "m", "T_x"))
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1))}
    x, a0 = draw((n_x, m, T_x)), draw((n_a, m))
    _, _, caches = rnn_forward_by_cells(x, a0, params)
    return {"da": draw((n_a, m, T_x)), "caches": caches, "k": sizes["k"]}


def reference_truncated(da, caches, k):
    return cut_bptt(da, caches, lambda t: t % k == 0 and t > 0)


def read_truncated(result, inputs):
    check_gradients(result, inputs["da"], inputs["caches"][0][2].shape[0])
    return {key: result[key] for key in SEQ_KEYS}


def one_window(inputs):
    """k far beyond T_x: one window, full BPTT."""
    return {**inputs, "k": 100}


def no_recurrence(inputs):
    """Waa = 0 in every cache: no gradient goes from step t + 1 into step t."""
    params = inputs["caches"][0][3]
    params = {**params, "Waa": np.zeros_like(params["Waa"])}
    return {**inputs, "caches": [(*cache[:3], params) for cache in inputs["caches"]]}


TERMS = {
    "da-from-above": "the gradient from above, da[:, :, t], added at step t",
    "carry": "the gradient carried back: step t gets da[:, :, t] + da_prev, da_prev from "
             "step t + 1 (the loop runs from t = T_x - 1 down to 0)",
    "cut": "the cut at the window boundaries: the da_prev of a window's first step "
           "(t = k, 2k, ...) is dropped, and only that one",
    "cache": "step t's own cache, caches[t]",
    "dx-stored": "dx[:, :, t], where step t's dxt is stored",
    "every-step": "every step's backward pass, from t = T_x - 1 down to 0, in every window",
    **{f"{key.lower()}-sum": f"{key}, the sum of every step's share of {key}, in every window"
       for key in ("dWax", "dWaa", "dba")},
    "da0": "da0, the da_prev of step t = 0 (the first window is not cut from a0)",
}
SPEC = Spec(
    NAME, {"n_x": (1, 3), "n_a": (1, 3), "m": (1, 2), "T_x": (1, 6), "k": (1, 4)},
    build_truncated, reference_truncated, read_truncated, terms=TERMS,
    depends={"dx": {"da-from-above", "carry", "cut", "cache", "dx-stored", "every-step"},
             "da0": {"da-from-above", "carry", "cache", "da0", "every-step"},
             **{key: {"da-from-above", "carry", "cut", "cache", f"{key.lower()}-sum",
                      "every-step"}
                for key in ("dWax", "dWaa", "dba")}},
    # one window shows no fault that only a window's end makes (a loop that stops there)
    probes=[Probe("with k = 100 > T_x (one window: full BPTT)", one_window,
                  frozenset(TERMS) - {"cut", "every-step"}),
            Probe("with Waa = 0 (no gradient from step t + 1 into step t)", no_recurrence,
                  frozenset(TERMS) - {"carry", "cut", "da0"})],
    steps={"dx": (2, "backward")}, show=("da", "k"),
    hint="Step t reads da[:, :, t] and caches[t]; time is the last axis.")


def window_of(t, k, T_x):
    start = t - t % k
    return f"window {start}..{min(start + k, T_x) - 1}"


def cell_dxt(da_t, cache):
    """dxt of one step's backward pass (rnn_cell_backward's), da_t the whole gradient."""
    a_next, _, _, params = cache
    return params["Wax"].T @ (da_t * (1 - a_next**2))


def carried_into(t, da, caches, k, crossing):
    """What reaches a_t from step t + 1 (zero if not crossing), with the lecture's cuts after
    it: every step after t as the lecture computes it."""
    if t + 1 == da.shape[2] or not crossing:
        return np.zeros(da.shape[:2])
    return cut_bptt(da[:, :, t + 1:], caches[t + 1:],
                    lambda s: s > 0 and (t + 1 + s) % k == 0)["da0"]


def step_slip(t, got_t, da, caches, k):
    """(term, why) dx[:, :, t] differs when every later step agrees, if it is exactly one of:
    another step's da, another step's cache, another step's dxt stored in its place."""
    T_x = da.shape[2]
    carry = carried_into(t, da, caches, k, (t + 1) % k != 0)
    # its own da[:, :, t] alone gives a dxt: a zero dx is no carry dropped, the step got nothing
    if np.allclose(got_t, 0) and not np.allclose(cell_dxt(da[:, :, t], caches[t]), 0):
        return "every-step", (f"dx[:, :, {t}] is 0: step {t}'s backward pass got no gradient "
                              "or did not run. Every step runs it, in every window, with its "
                              f"own da[:, :, {t}] from above, plus what comes back from step "
                              f"{t + 1} unless a cut lies between")
    if not np.allclose(da[:, :, t], 0) and same(got_t, cell_dxt(carry, caches[t])):
        return "da-from-above", (f"step {t} gets only what comes back from step {t + 1}: its "
                                 f"own da[:, :, {t}] from above is missing (a cut drops da_prev "
                                 "only, never da[:, :, t])")
    others = [s for s in (t - 1, t + 1, T_x - 1 - t) if 0 <= s < T_x and s != t]
    stored = cut_bptt(da, caches, lambda u: u % k == 0 and u > 0)["dx"]
    for s in others:
        if same(got_t, cell_dxt(da[:, :, s] + carry, caches[t])):
            return "da-from-above", (f"step {t} reads da[:, :, {s}]: step t's gradient from "
                                     "above is da[:, :, t]")
        if same(got_t, cell_dxt(da[:, :, t] + carry, caches[s])):
            return "cache", f"step {t} reads caches[{s}]: step t's backward pass needs caches[t]"
        if same(got_t, stored[:, :, s]):
            return "dx-stored", (f"dx[:, :, {t}] holds step {s}'s dxt: store step t's dxt in "
                                 "dx[:, :, t]")
    return None


def dxt_gathered(got_dx, expected_dx):
    """The line when the dxt of several steps all went into one slice dx[:, :, s] (an index
    that stays put: dx[:, :, 0] += dxt) and their own slices are 0; None otherwise."""
    T_x = expected_dx.shape[2]
    empty = [t for t in range(T_x)
             if np.allclose(got_dx[:, :, t], 0) and not np.allclose(expected_dx[:, :, t], 0)]
    for s in (s for s in range(T_x) if empty and s not in empty):
        if same(got_dx[:, :, s], expected_dx[:, :, sorted([*empty, s])].sum(axis=2)):
            steps = ("every step" if len(empty) == T_x - 1 else
                     "steps " + ", ".join(map(str, sorted([*empty, s]))))
            return (f"dx[:, :, {s}] holds the sum of the dxt of {steps}, and their own slices "
                    f"are 0: each step's dxt goes into its own slice, dx[:, :, t] = dxt, where "
                    f"yours adds them all into dx[:, :, {s}].")
    return None


def where_windows_differ(inputs, got, expected):
    """(term, slug, line): the line says at which step and window the learner's dx first
    differs, and whether the gradient from the step after crosses into it there, rightly or
    not; term is the term at fault when that step shows it exactly (else None), slug its
    mistake's name (None: the term's). None when dx agrees and da0 gives nothing to say."""
    da, caches, k = inputs["da"], inputs["caches"], inputs["k"]
    T_x = da.shape[2]
    if not same(got.get("dx"), expected["dx"]):
        gathered = dxt_gathered(got["dx"], expected["dx"])
        if gathered:
            return "dx-stored", None, gathered
        t = next(t for t in reversed(range(T_x))
                 if not same(got["dx"][:, :, t], expected["dx"][:, :, t]))
        where = f"dx first differs at step t = {t} (k = {k}, {window_of(t, k, T_x)})"
        local = step_slip(t, got["dx"][:, :, t], da, caches, k)
        if local:
            return local[0], None, f"{where}: {local[1]}; the steps after it agree."
        if t == T_x - 1:
            return None, None, (f"{where}, the last step: nothing comes back into it from a "
                                "later step, only da[:, :, t] from above.")
        boundary = (t + 1) % k == 0

        def dxt(crossing):
            return cell_dxt(da[:, :, t] + carried_into(t, da, caches, k, crossing), caches[t])

        if not boundary and same(got["dx"][:, :, t], cell_dxt(
                da[:, :, t] - carried_into(t, da, caches, k, True), caches[t])):
            return "carry", None, (f"{where}: step {t} gets da[:, :, {t}] - da_prev; the "
                                   f"gradient from step {t + 1} is added: da[:, :, t] + "
                                   "da_prev.")
        if boundary and same(got["dx"][:, :, t], dxt(True)):
            return "cut", "not-cut-at-boundary", (
                f"{where}: yours passes the gradient from step {t + 1} into step {t}, across a "
                f"window boundary: step {t + 1} is the first step of {window_of(t + 1, k, T_x)}"
                ", so its da_prev is dropped.")
        if not boundary and same(got["dx"][:, :, t], dxt(False)):
            return "cut", "cut-inside-window", (
                f"{where}: yours drops the gradient from step {t + 1} into step {t}, but both "
                "are in that window: inside a window it flows as in full BPTT; cut only after "
                "the backward pass of a window's first step, t = k, 2k, ....")
        crossing = ("a window boundary: nothing should come in" if boundary else
                    "no window boundary: da_prev from it should come in")
        return None, None, (f"{where}, where the gradient from step {t + 1} comes in or not "
                            f"(between them is {crossing}); the steps after it agree.")
    if not same(got.get("da0"), expected["da0"]) and np.allclose(got["da0"], 0):
        return "da0", "da0-cut", ("dx agrees at every step, but da0 is zero: the da_prev of "
                                  "step t = 0 is dropped, and the first window is not cut "
                                  "from a0.")
    return None


def general(fn, count=24, seed=0):
    """The general check (random cases, the smallest failing one, the term at fault), which
    says at which step and window dx first differs, and whether the gradient crosses there."""
    found = counterexamples(SPEC, fn, count, seed)
    if not found:
        return
    case, outcome = shrink(SPEC, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    failure = explain(SPEC, fn, case, outcome, witnesses)
    windows = None if outcome.failure else where_windows_differ(case.inputs(SPEC), outcome.got,
                                                                 outcome.expected)
    if windows is None:
        raise failure from None
    term, slug, line = windows
    lines = [text for text in failure.message.splitlines() if " first differs at step " not in text]
    if term is None:
        lines.insert(1, line)
        raise CheckFailure(failure.mistake, "\n".join(lines)) from None
    # the step shows the term at fault exactly: the head names it
    head = re.match(r".*? (is|are) wrong( \([^)]*\))?\.", lines[0])
    lines[0] = (head.group(0) if head else lines[0]) + f" The fault is in {TERMS[term]}."
    lines.insert(1, line)
    raise mistake(NAME, slug or f"{term}-wrong", "\n".join(lines)) from None
