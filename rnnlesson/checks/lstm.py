"""Checks of exercises 10 and 11: one LSTM step, forward and backward.

    Γ_f = σ(Wf [a_{t-1}; x_t] + bf),  Γ_i = σ(Wi [...] + bi),  c̃_t = tanh(Wc [...] + bc),
    Γ_o = σ(Wo [...] + bo),  c_t = Γ_f ⊙ c_{t-1} + Γ_i ⊙ c̃_t,  a_t = Γ_o ⊙ tanh(c_t)

A wrong answer is named by recomputing the step with one usual mistake built in (the gates
swapped, tanh on a gate, no forget gate, ...) and finding the one the learner's values match;
the cases have n_x != n_a and biases far from zero, so that each mistake changes the values.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

from rnnlesson.cell import softmax
from rnnlesson.checks._common import (
    CheckFailure,
    assert_returns,
    assert_shape,
    call,
    call_on_copies,
    check_cache_tuple,
    close,
    error_text,
    lecture_shapes,
    mistake,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.checks._differential import (
    Probe,
    Spec,
    counterexamples,
    explain,
    numbers,
    run,
    shrink,
)
from rnnlesson.gated import sigmoid

FORWARD, BACKWARD = "lstm_cell_forward", "lstm_cell_backward"
GATES = ("f", "i", "c", "o")


def lstm_example(n_x, n_a, n_y, m, seed):
    """xt (n_x, m), a_prev, c_prev (n_a, m) and LSTM params with biases well away from zero."""
    rng = np.random.default_rng(seed)
    params = {}
    for g in GATES:
        params[f"W{g}"] = rng.normal(0, 0.6, (n_a, n_a + n_x))
        params[f"b{g}"] = rng.normal(0, 1.0, (n_a, 1))
    params["Wya"], params["by"] = rng.normal(0, 0.6, (n_y, n_a)), rng.normal(0, 1.0, (n_y, 1))
    return rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m)), params


def step(xt, a_prev, c_prev, params, slip=None):
    """One LSTM step, right (slip None) or with one usual mistake built in.
    Returns a_next, c_next, yt_pred and the gates ft, it, cct, ot (each (n_a, m))."""
    concat = np.concatenate([xt, a_prev] if slip == "stacked-wrong-order" else [a_prev, xt])

    def z(g):
        return params[f"W{g}"] @ concat + params[f"b{g}"]

    act = {g: (np.tanh if slip == f"tanh-on-gamma-{g}" else sigmoid) for g in "fio"}
    ft, it, ot = act["f"](z("f")), act["i"](z("i")), act["o"](z("o"))
    cct = sigmoid(z("c")) if slip == "sigmoid-on-candidate" else np.tanh(z("c"))
    if slip == "gates-swapped":
        ft, it = it, ft
    c_next = ((c_prev if slip == "no-forget-gate" else ft * c_prev)
              + (cct if slip == "no-input-gate" else it * cct))
    a_next = ot * (c_next if slip == "a-without-tanh" else
                   np.tanh(c_prev if slip == "a-from-c-prev" else c_next))
    if slip == "a-without-output-gate":
        a_next = np.tanh(c_next)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"])
    return a_next, c_next, yt_pred, (ft, it, cct, ot)


FORWARD_SLIPS = {
    "gates-swapped": "the forget and input gates are swapped: c_t = Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t, "
                     "Γ_f (from Wf, bf) multiplies the old memory c_prev, Γ_i (from Wi, bi) the "
                     "candidate.",
    "tanh-on-gamma-f": "the forget gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_f = sigmoid(Wf @ concat + bf).",
    "tanh-on-gamma-i": "the input gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_i = sigmoid(Wi @ concat + bi).",
    "tanh-on-gamma-o": "the output gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_o = sigmoid(Wo @ concat + bo).",
    "sigmoid-on-candidate": "the candidate uses the sigmoid; it is a tanh, between -1 and 1: "
                            "c̃_t = tanh(Wc @ concat + bc).",
    "no-forget-gate": "c_next adds to c_prev without the forget gate: c_t = Γ_f ⊙ c_prev + "
                      "Γ_i ⊙ c̃_t.",
    "no-input-gate": "c_next adds the candidate without the input gate: c_t = Γ_f ⊙ c_prev + "
                     "Γ_i ⊙ c̃_t.",
    "a-without-tanh": "a_next is Γ_o ⊙ c_next: tanh is missing. a_t = Γ_o ⊙ tanh(c_t).",
    "a-from-c-prev": "a_next reads the old memory: a_t = Γ_o ⊙ tanh(c_t), with the c_next this "
                     "step computed, not c_prev.",
    "a-without-output-gate": "a_next is tanh(c_next): the output gate is missing. "
                             "a_t = Γ_o ⊙ tanh(c_t).",
    "stacked-wrong-order": "the column is stacked as [xt; a_prev]; the weights read "
                           "[a_prev; xt]: np.concatenate([a_prev, xt]) (a_prev on top).",
}


def bias_shape(error, line):
    """A broadcasting error: a gate's W multiplied element by element (`Wf * concat`), or a
    bias whose shape was changed (numpy names a 1-d shape such as (5,))."""
    if "broadcast" not in str(error):
        return None
    weight = re.search(r"\b(W[fico])\b\W{0,2}\s*\*(?!\*)", line)
    if weight:
        name = weight.group(1)
        return ("elementwise-product", f"`{line}`: {name} * concat multiplies element by "
                f"element; a gate needs the matrix product {name} @ concat, (n_a, n_a + n_x) "
                "times the stacked column [a_prev; xt] (n_a + n_x, m).")
    bias = re.search(r"\bb[fico]\b", line)
    if re.search(r"\(\d+,\)", str(error)) and bias:
        return ("bias-shape", "a bias was used with a shape other than (n_a, 1) (numpy could "
                f"not broadcast it against (n_a, m)): `{line}`. Add params['{bias.group(0)}'] "
                "(n_a, 1) as it is: it is added to every column.")
    return None


def run_forward(fn, xt, a_prev, c_prev, params):
    """Call the learner's lstm_cell_forward on copies; check what it returns."""
    n_x, m = xt.shape
    n_a, n_y = a_prev.shape[0], params["Wya"].shape[0]
    args = {"xt": xt.copy(), "a_prev": a_prev.copy(), "c_prev": c_prev.copy(),
            "params": snapshot(params)}
    sizes = (f"xt (n_x, m) = {xt.shape}, a_prev and c_prev (n_a, m) = {a_prev.shape}, "
             f"n_y = {n_y}")
    result = call_on_copies(fn, FORWARD, args, sizes, "Each W (n_a, n_a + n_x) multiplies the "
                            "stacked column [a_prev; xt] (n_a + n_x, m).", diagnose=bias_shape,
                            shapes=lecture_shapes(n_x=n_x, n_a=n_a, n_y=n_y, m=m))
    result = assert_returns(FORWARD, result, 4, "a_next, c_next, yt_pred, cache")
    a_next, c_next, yt_pred, cache = result
    assert_shape(FORWARD, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "c_next", c_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return result


def check_forward_values(fn, n_x, n_a, n_y, m, seed):
    xt, a_prev, c_prev, params = lstm_example(n_x, n_a, n_y, m, seed)
    a_next, c_next, yt_pred, cache = run_forward(fn, xt, a_prev, c_prev, params)
    right = step(xt, a_prev, c_prev, params)
    if close(a_next, right[0]) and close(c_next, right[1]):
        if not close(yt_pred, right[2]):
            general_forward(fn)
            raise mistake(FORWARD, "prediction-wrong", f"{FORWARD}: a_next and c_next are "
                          "right but yt_pred is not: yt_pred = softmax(Wya @ a_next + by) "
                          f"({error_text(yt_pred, right[2])}).")
        check_forward_cache(cache, right, xt, a_prev, c_prev)
        return
    for slip, text in FORWARD_SLIPS.items():
        wrong = step(xt, a_prev, c_prev, params, slip)
        if close(a_next, wrong[0]) and close(c_next, wrong[1]):
            raise mistake(FORWARD, slip, f"{FORWARD}: {text}")
    if close(a_next, right[1]) and close(c_next, right[0]):
        raise mistake(FORWARD, "a-c-swapped", f"{FORWARD}: a_next and c_next come back "
                      "swapped: your a_next is the lecture's c_t and your c_next its a_t. "
                      "Return a_next, c_next, yt_pred, cache in that order.")
    general_forward(fn)
    if close(c_next, right[1]):
        raise mistake(FORWARD, "a-wrong", f"{FORWARD}: c_next is right, a_next is not: "
                      f"a_t = Γ_o ⊙ tanh(c_t) ({error_text(a_next, right[0])}).")
    raise mistake(FORWARD, "c-wrong", f"{FORWARD}: c_next should be Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t "
                  f"({error_text(c_next, right[1])}).")


def check_forward_cache(cache, right, xt, a_prev, c_prev):
    """The cache is (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)."""
    gates = zip(("ft", "it", "cct", "ot"), right[3], strict=True)
    check_cache_tuple(FORWARD, cache, [("a_next", right[0]), ("c_next", right[1]),
                                       ("a_prev", a_prev), ("c_prev", c_prev), *gates,
                                       ("xt", xt)], "Wf", "lstm_cell_backward")


@one_message(FORWARD)
def check_lstm_cell_forward_shapes(lstm_cell_forward):
    """The shapes lstm_cell_forward returns, on a case where every size differs."""
    run_forward(lstm_cell_forward, *lstm_example(n_x=3, n_a=5, n_y=2, m=4, seed=1))
    passed(f"{FORWARD} shapes")


@one_message(FORWARD)
def check_lstm_cell_forward(lstm_cell_forward):
    """Check a learner's lstm_cell_forward(xt, a_prev, c_prev, params) ->
    (a_next, c_next, yt_pred, cache): shapes, inputs left unchanged, the values (a usual
    mistake is named), the prediction and the cache; on two cases."""
    check_forward_values(lstm_cell_forward, n_x=3, n_a=5, n_y=2, m=4, seed=1)
    check_forward_values(lstm_cell_forward, n_x=4, n_a=2, n_y=3, m=1, seed=2)
    general_forward(lstm_cell_forward)
    passed(FORWARD)


def step_backward(da_next, dc_next, cache, slip=None):
    """The gradients of one LSTM step, right (slip None) or with one usual mistake."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    dc = dc_next if slip == "dc-misses-tanh-path" else dc_next + da_next * ot * (1 - tanh_c**2)
    if slip == "tanh-derivative-not-squared":
        dc = dc_next + da_next * ot * (1 - tanh_c)

    def prime(g):  # σ' written as σ, when that is the slip
        return g if slip == "sigmoid-derivative-wrong" else g * (1 - g)

    dz = {"f": dc * c_prev * prime(ft), "i": dc * cct * prime(it),
          "c": dc * it * (1 - cct**2), "o": da_next * tanh_c * prime(ot)}
    if slip == "candidate-derivative-wrong":
        dz["c"] = dc * it * (1 - cct)
    concat = np.concatenate([xt, a_prev] if slip == "stacked-wrong-order" else [a_prev, xt])
    grads, dconcat = {}, 0.0
    for g in GATES:
        grads[f"dW{g}"] = dz[g] @ concat.T
        grads[f"db{g}"] = dz[g].sum(axis=1, keepdims=True)
        dconcat = dconcat + params[f"W{g}"].T @ dz[g]
    grads["dxt"], grads["da_prev"] = dconcat[n_a:], dconcat[:n_a]
    if slip == "dxt-da-prev-swapped-rows":
        n_x = xt.shape[0]
        grads["dxt"], grads["da_prev"] = dconcat[:n_x], dconcat[n_x:]
    grads["dc_prev"] = dc if slip == "dc-prev-without-forget-gate" else dc * ft
    return grads


BACKWARD_SLIPS = {
    "dc-misses-tanh-path": "the gradient reaching c_t misses the path through a_t: "
                           "dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)²), since "
                           "a_t = Γ_o ⊙ tanh(c_t) reads c_t too.",
    "tanh-derivative-not-squared": "tanh's derivative is 1 - tanh², not 1 - tanh: "
                                   "dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)**2).",
    "dc-prev-without-forget-gate": "dc_prev misses the forget gate: c_t = Γ_f ⊙ c_prev + ..., "
                                   "so dc_prev = dc ⊙ Γ_f.",
    "sigmoid-derivative-wrong": "the sigmoid's derivative is written as σ; it is σ(1 - σ): "
                                "for the gate Γ_f, dz_f = dΓ_f ⊙ Γ_f ⊙ (1 - Γ_f).",
    "candidate-derivative-wrong": "the candidate's derivative is 1 - c̃², not 1 - c̃: "
                                  "dz_c = dc ⊙ Γ_i ⊙ (1 - cct**2).",
    "dxt-da-prev-swapped-rows": "dxt and da_prev are cut from the wrong rows of W.T @ dz: the "
                                "stacked column is [a_prev; xt], so da_prev is the first n_a "
                                "rows and dxt the rest.",
    "stacked-wrong-order": "the weight gradients' columns are in the wrong order: the column "
                           "the weights read is [a_prev; xt], so dW = dz @ concat.T with "
                           "concat = np.concatenate([a_prev, xt]) (a_prev on top).",
}
GRAD_SHAPES = {"dxt": ("n_x", "m"), "da_prev": ("n_a", "m"), "dc_prev": ("n_a", "m"),
               **{f"dW{g}": ("n_a", "n_a + n_x") for g in GATES},
               **{f"db{g}": ("n_a", "1") for g in GATES}}


def dw_not_transposed(error, line):
    if "matmul" in str(error) and "dW" in line:
        return ("dw-not-transposed", "dW is dz (n_a, m) times the stacked column's transpose: "
                "dW = dz @ concat.T, with concat = [a_prev; xt] of shape (n_a + n_x, m).")
    return None


def backward_example(n_x, n_a, m, seed):
    """da_next, dc_next (n_a, m) and the cache of a right forward step."""
    xt, a_prev, c_prev, params = lstm_example(n_x, n_a, 2, m, seed)
    a_next, c_next, _, gates = step(xt, a_prev, c_prev, params)
    rng = np.random.default_rng(seed + 100)
    cache = (a_next, c_next, a_prev, c_prev, *gates, xt, params)
    return rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m)), cache


def run_backward(fn, da_next, dc_next, cache):
    n_a, m = da_next.shape
    n_x = cache[8].shape[0]
    args = {"da_next": da_next.copy(), "dc_next": dc_next.copy(), "cache": snapshot(cache)}
    grads = call_on_copies(fn, BACKWARD, args, f"da_next, dc_next (n_a, m) = {da_next.shape}, "
                           f"n_x = {n_x}", "dW = dz @ concat.T; dconcat = W.T @ dz.",
                           diagnose=dw_not_transposed,
                           shapes=lecture_shapes(n_x=n_x, n_a=n_a, m=m))
    return read_grads(grads, n_x, n_a, m)


def read_grads(grads, n_x, n_a, m):
    """grads should be the dict of GRAD_SHAPES's keys, each of its shape."""
    sizes = {"n_x": n_x, "n_a": n_a, "m": m, "1": 1, "n_a + n_x": n_a + n_x}
    if not isinstance(grads, dict) or set(grads) != set(GRAD_SHAPES):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise mistake(BACKWARD, "wrong-return", f"{BACKWARD} should return a dict with the keys "
                      f"{sorted(GRAD_SHAPES)}; received {got}.")
    for key, letters in GRAD_SHAPES.items():
        shape = tuple(sizes[k] for k in letters)
        hint = (" It looks transposed: dW = dz @ concat.T is (n_a, n_a + n_x)."
                if key.startswith("dW") and grads[key].shape[::-1] == shape else "")
        assert_shape(BACKWARD, key, grads[key], shape, f"({', '.join(letters)})", hint)
    return grads


def check_backward_values(fn, n_x, n_a, m, seed):
    da_next, dc_next, cache = backward_example(n_x, n_a, m, seed)
    grads = run_backward(fn, da_next, dc_next, cache)
    right = step_backward(da_next, dc_next, cache)
    wrong_keys = [k for k in GRAD_SHAPES if not close(grads[k], right[k])]
    if not wrong_keys:
        return
    for slip, text in BACKWARD_SLIPS.items():
        variant = step_backward(da_next, dc_next, cache, slip)
        if all(close(grads[k], variant[k]) for k in GRAD_SHAPES):
            raise mistake(BACKWARD, slip, f"{BACKWARD}: {text}")
    general_backward(fn)
    key = wrong_keys[0]
    raise mistake(BACKWARD, f"{key.lower().replace('_', '-')}-wrong", f"{BACKWARD}: {key} is "
                  f"wrong ({error_text(grads[key], right[key])}); wrong as well: "
                  f"{', '.join(wrong_keys[1:]) or 'nothing else'}.")


@one_message(BACKWARD)
def check_lstm_cell_backward_shapes(lstm_cell_backward):
    """The keys and shapes lstm_cell_backward returns, on a case where every size differs."""
    run_backward(lstm_cell_backward, *backward_example(n_x=3, n_a=5, m=4, seed=1))
    passed(f"{BACKWARD} shapes")


@one_message(BACKWARD)
def check_lstm_cell_backward(lstm_cell_backward):
    """Check a learner's lstm_cell_backward(da_next, dc_next, cache) -> dict of gradients:
    keys, shapes, inputs left unchanged and every gradient's value (a usual mistake is
    named), on two cases."""
    check_backward_values(lstm_cell_backward, n_x=3, n_a=5, m=4, seed=1)
    check_backward_values(lstm_cell_backward, n_x=4, n_a=2, m=1, seed=2)
    general_backward(lstm_cell_backward)
    passed(BACKWARD)


# --- the general check: random cases, the smallest failing one, the path at fault ----------
#
# An LSTM's probes shut a gate or zero a state, so a term is often seen at one point only (a
# gate at its limit). Each probe here says which terms its agreement proves right (`terms`)
# and which a difference can come from (`exercised`, default: every term); of the suspects
# left, those that every wrong output depends on are named (one fault explains them all).
# The core's `localise` reads one set per probe and keeps every suspect: see `explained`.

CACHE = ("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct", "ot", "xt", "params")
GATE_NAMES = ("ft", "it", "cct", "ot")


@dataclass
class PathProbe(Probe):
    """A probe (`_differential.Probe`) that also names the terms it exercises at all."""

    exercised: frozenset = frozenset()


def setting(**values):
    """change(inputs): each named input, cache entry or params entry set to a constant."""

    def change(inputs):
        cache = list(inputs["cache"]) if "cache" in inputs else None
        params = dict(cache[-1] if cache else inputs["params"])
        for key, value in values.items():
            if key in inputs:
                inputs[key] = np.full_like(inputs[key], value)
            elif cache and key in CACHE:
                cache[CACHE.index(key)] = np.full_like(cache[CACHE.index(key)], value)
            else:
                params[key] = np.full_like(params[key], value)
        if cache:
            inputs["cache"] = tuple(cache[:-1]) + (params,)
        else:
            inputs["params"] = params
        return inputs

    return change


def path_probe(label, every, off, unseen=(), **values):
    """The probe setting values: it proves right every term but off; unseen: the terms a
    difference cannot come from (switched off entirely)."""
    return PathProbe(label, setting(**values), frozenset(every) - set(off),
                     exercised=frozenset(every) - set(unseen))


def localise_paths(spec, fn, witnesses):
    """(suspects, probes that agree, probes that differ), as `_differential.localise` with
    two sets per probe and the suspects every wrong output depends on preferred."""
    every = set(spec.terms)
    outputs = list(witnesses[0][1].expected)
    right = [k for k in outputs if all(k not in o.wrong and o.failure is None
                                       for _, o in witnesses)]
    wrong = [k for k in outputs if k not in right]
    suspects = set().union(*(spec.depends[k] for k in wrong)) - set().union(
        set(), *(spec.depends[k] for k in right))
    agree, differ = [], []
    for item in spec.probes:
        results = [run(spec, fn, item.change(case.inputs(spec))) for case, _ in witnesses]
        if any(r.failure is not None for r in results):
            continue
        (differ if any(r.wrong for r in results) else agree).append(item)
    for item in agree:
        suspects -= item.terms
    narrowed = set(suspects)
    for item in differ:
        narrowed &= item.exercised or every
    suspects = narrowed or suspects
    cover = {s for s in suspects if all(s in spec.depends[k] for k in wrong)}
    return cover or suspects, agree, differ


def explained(spec, fn):
    """The general check (`_differential.differential`) with the LSTM's localisation: the
    core's message, its terms narrowed to the suspects `localise_paths` leaves."""
    found = counterexamples(spec, fn)
    if not found:
        return
    case, outcome = shrink(spec, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    if outcome.failure is None:
        suspects, agree, differ = localise_paths(spec, fn, witnesses)
        # the core then names these suspects; the agreeing probes are its evidence
        spec = replace(spec, terms={k: v for k, v in spec.terms.items() if k in suspects},
                       probes=agree)
    raise explain(spec, fn, case, outcome, witnesses) from None


def build_step(sizes, rng, simple):
    """xt (n_x, m), a_prev, c_prev (n_a, m) and params, for the general check."""
    n_x, n_a, n_y, m = (sizes[k] for k in ("n_x", "n_a", "n_y", "m"))
    draw = numbers(rng, simple)
    params = {}
    for g in GATES:
        params[f"W{g}"], params[f"b{g}"] = draw((n_a, n_a + n_x)), draw((n_a, 1))
    params["Wya"], params["by"] = draw((n_y, n_a)), draw((n_y, 1))
    return {"xt": draw((n_x, m)), "a_prev": draw((n_a, m)), "c_prev": draw((n_a, m)),
            "params": params}


def reference_gates(xt, a_prev, c_prev, params):
    a_next, c_next, yt_pred, gates = step(xt, a_prev, c_prev, params)
    return {**dict(zip(GATE_NAMES, gates, strict=True)), "c_next": c_next, "a_next": a_next,
            "yt_pred": yt_pred}


def reference_step(xt, a_prev, c_prev, params):
    return {k: v for k, v in reference_gates(xt, a_prev, c_prev, params).items()
            if k not in GATE_NAMES}


def read_step(result, inputs):
    n_x, m = inputs["xt"].shape
    n_a, n_y = inputs["a_prev"].shape[0], inputs["params"]["Wya"].shape[0]
    a_next, c_next, yt_pred, _ = assert_returns(FORWARD, result, 4,
                                                "a_next, c_next, yt_pred, cache")
    assert_shape(FORWARD, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "c_next", c_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return {"c_next": c_next, "a_next": a_next, "yt_pred": yt_pred}


def read_gates(result, inputs):
    """The step's outputs and the gates its cache holds (ft, it, cct, ot)."""
    got, cache = read_step(result, inputs), result[3]
    if isinstance(cache, (tuple, list)) and len(cache) == len(CACHE):
        got.update((k, v) for k, v in zip(GATE_NAMES, cache[4:8], strict=True)
                   if isinstance(v, np.ndarray))
    return got


STEP_TERMS = {
    "forget-gate": "the forget gate Γ_f = σ(Wf [a_prev; x_t] + bf) (ft)",
    "input-gate": "the input gate Γ_i = σ(Wi [a_prev; x_t] + bi) (it)",
    "candidate": "the candidate c̃_t = tanh(Wc [a_prev; x_t] + bc) (cct)",
    "output-gate": "the output gate Γ_o = σ(Wo [a_prev; x_t] + bo) (ot)",
    "sigmoid": "the sigmoid σ(z) = 1 / (1 + e^(-z)) that Γ_f, Γ_i and Γ_o share",
    "stack": "the stacked column [a_prev; x_t] every gate reads (concat, a_prev on top)",
    "cell-update": "the cell update c_t = Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t (c_next)",
    "a": "the new state a_t = Γ_o ⊙ tanh(c_t) (a_next)",
    "prediction": "the prediction's term Wya a_t of ŷ_t = softmax(Wya a_t + by) (yt_pred)",
    "output-bias": "the output bias by of ŷ_t = softmax(Wya a_t + by) (yt_pred)",
    "softmax": "the softmax of ŷ_t over the n_y classes of each column (yt_pred)",
}
GATE_TERMS = {"ft": {"forget-gate", "sigmoid", "stack"}, "it": {"input-gate", "sigmoid", "stack"},
              "cct": {"candidate", "stack"}, "ot": {"output-gate", "sigmoid", "stack"}}
C_TERMS = GATE_TERMS["ft"] | GATE_TERMS["it"] | GATE_TERMS["cct"] | {"cell-update"}
A_TERMS = C_TERMS | {"output-gate", "a"}
Y_TERMS = A_TERMS | {"prediction", "output-bias", "softmax"}
STEP_DEPENDS = {"c_next": C_TERMS, "a_next": A_TERMS, "yt_pred": Y_TERMS}


def step_probes(with_gates):
    """The forward probes; with_gates: the gates are outputs too (read from the cache), so a
    probe that leaves a gate's weights alone proves that gate right."""
    ALL = set(STEP_TERMS)

    def gates_off(*gates):  # without the cache's gates, a gate a probe hides is unseen
        return () if with_gates else gates

    return [
        path_probe("with c_prev = 0", ALL, {"cell-update", *gates_off("forget-gate")},
                   gates_off("forget-gate"), c_prev=0.0),
        path_probe("with Γ_i shut (Wi = 0, bi = -40)", ALL,
                   {"input-gate", "cell-update", *gates_off("candidate")},
                   gates_off("candidate"), Wi=0.0, bi=-40.0),
        path_probe("with c̃_t = 0 (Wc = 0, bc = 0)", ALL,
                   {"candidate", "cell-update", *gates_off("input-gate")},
                   gates_off("input-gate"), Wc=0.0, bc=0.0),
        path_probe("with Γ_o shut (Wo = 0, bo = -40)", ALL, {"output-gate", "a", "prediction"},
                   Wo=0.0, bo=-40.0),
        path_probe("with Wya = 0", ALL, {"prediction"}, Wya=0.0),
        path_probe("with by = 0", ALL, {"output-bias"}, by=0.0),
        path_probe("with Wya = 0 and by = 0", ALL, {"prediction", "output-bias", "softmax"},
                   {"prediction", "output-bias"}, Wya=0.0, by=0.0),
        path_probe("with a_prev = 0 and xt = 0", ALL, GATE_TERMS["ft"] | GATE_TERMS["it"]
                   | GATE_TERMS["cct"] | GATE_TERMS["ot"], {"stack"}, a_prev=0.0, xt=0.0),
    ]


STEP_SIZES = {"n_x": (1, 3), "n_a": (1, 3), "n_y": (2, 3), "m": (1, 3)}
STEP_HINT = "Each W (n_a, n_a + n_x) multiplies the stacked column [a_prev; xt] (n_a + n_x, m)."
FORWARD_SPEC = Spec(FORWARD, STEP_SIZES, build_step, reference_step, read_step,
                    terms=STEP_TERMS, depends=STEP_DEPENDS, probes=step_probes(False),
                    show=("xt", "a_prev", "c_prev"), hint=STEP_HINT)
FORWARD_GATES_SPEC = replace(FORWARD_SPEC, reference=reference_gates, read=read_gates,
                             depends={**STEP_DEPENDS, **GATE_TERMS}, probes=step_probes(True))


def cache_holds_gates(fn):
    """Whether fn's cache holds four (n_a, m) gates where lstm_cell_backward reads them."""
    inputs = build_step({"n_x": 2, "n_a": 3, "n_y": 2, "m": 2}, np.random.default_rng(0), False)
    try:
        result = call(fn, FORWARD, tuple(snapshot(inputs).values()), "", STEP_HINT)
    except CheckFailure:
        return False
    cache = result[3] if isinstance(result, tuple) and len(result) == 4 else None
    return isinstance(cache, (tuple, list)) and len(cache) == len(CACHE) and all(
        isinstance(g, np.ndarray) and g.shape == (3, 2) for g in cache[4:8])


def general_forward(fn):
    """The general check of lstm_cell_forward: with the cache's gates when it holds them."""
    explained(FORWARD_GATES_SPEC if cache_holds_gates(fn) else FORWARD_SPEC, fn)


def build_backward(sizes, rng, simple):
    """da_next, dc_next (n_a, m) and the cache of a right forward step."""
    inputs = build_step({**sizes, "n_y": 2}, rng, simple)
    a_next, c_next, _, gates = step(**inputs)
    draw = numbers(rng, simple)
    cache = (a_next, c_next, inputs["a_prev"], inputs["c_prev"], *gates, inputs["xt"],
             inputs["params"])
    shape = inputs["a_prev"].shape
    return {"da_next": draw(shape), "dc_next": draw(shape), "cache": cache}


def read_backward(grads, inputs):
    n_x, (n_a, m) = inputs["cache"][8].shape[0], inputs["da_next"].shape
    return read_grads(grads, n_x, n_a, m)


DC_TERMS = {"dc-next", "dc-through-a", "tanh-c"}
BACKWARD_TERMS = {
    "dc-next": "the term dc_next of dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)²)",
    "dc-through-a": "the path through a_t, da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)²), of "
                    "dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)²)",
    "tanh-c": "tanh(c_t) (np.tanh(c_next)), read by dc's path through a_t and by dz_o",
    "dz-f": "the forget gate's path dz_f = dc ⊙ c_prev ⊙ Γ_f ⊙ (1 - Γ_f)",
    "dz-i": "the input gate's path dz_i = dc ⊙ c̃_t ⊙ Γ_i ⊙ (1 - Γ_i)",
    "dz-c": "the candidate's path dz_c = dc ⊙ Γ_i ⊙ (1 - c̃_t²)",
    "dz-o": "the output gate's path dz_o = da_next ⊙ tanh(c_t) ⊙ Γ_o ⊙ (1 - Γ_o)",
    **{f"dw{g}": f"dW{g} = dz_{g} [a_prev; x_t]ᵀ" for g in GATES},
    **{f"db{g}": f"db{g} = dz_{g} summed over the m examples (axis=1, keepdims=True)"
       for g in GATES},
    "stack": "the stacked column [a_prev; x_t] (a_prev on top) that every dW multiplies: "
             "dW = dz @ concat.T",
    "db-sum": "the sum over the m examples that every db takes: db = dz.sum(axis=1, "
              "keepdims=True)",
    **{f"dconcat-{g}": f"the term W{g}ᵀ dz_{g} of dconcat = Σ W_gᵀ dz_g over the four gates"
       for g in GATES},
    "split": "the split of dconcat (n_a + n_x, m): da_prev is its first n_a rows, dxt the rest",
    "dc-prev": "dc_prev = dc ⊙ Γ_f",
}
GATE_DC = {"f": DC_TERMS, "i": DC_TERMS, "c": DC_TERMS, "o": {"tanh-c"}}
BACKWARD_DEPENDS = {
    **{f"dW{g}": GATE_DC[g] | {f"dz-{g}", f"dw{g}", "stack"} for g in GATES},
    **{f"db{g}": GATE_DC[g] | {f"dz-{g}", f"db{g}", "db-sum"} for g in GATES},
    "dc_prev": DC_TERMS | {"dc-prev"},
    **{k: DC_TERMS | {f"{p}-{g}" for p in ("dz", "dconcat") for g in GATES} | {"split"}
       for k in ("dxt", "da_prev")},
}


def backward_probes():
    ALL = set(BACKWARD_TERMS)
    only = [path_probe(f"with only W{g} nonzero", ALL, {f"dconcat-{h}" for h in GATES if h != g},
                       **{f"W{h}": 0.0 for h in GATES if h != g}) for g in GATES]
    return [
        # with da_next = 0, dc is dc_next: a term reading one for the other agrees
        path_probe("with da_next = 0", ALL, {"dc-through-a", "tanh-c", "dz-o", "dwo", "dbo",
                                             "dconcat-o", "dz-f", "dz-i", "dz-c", "dc-prev"},
                   da_next=0.0),
        path_probe("with dc_next = 0", ALL, {"dc-next"}, dc_next=0.0),
        path_probe("with c_prev = 0", ALL, {"dz-f", "dwf", "dbf", "dconcat-f"}, c_prev=0.0),
        *only,
        path_probe("with a_prev = 0 and xt = 0", ALL, {"stack", *(f"dw{g}" for g in GATES)},
                   a_prev=0.0, xt=0.0),
    ]


BACKWARD_SPEC = Spec(BACKWARD, {"n_x": (1, 3), "n_a": (1, 3), "m": (1, 3)}, build_backward,
                     step_backward, read_backward, terms=BACKWARD_TERMS,
                     depends=BACKWARD_DEPENDS, probes=backward_probes(),
                     show=("da_next", "dc_next"), hint="dW = dz @ concat.T; dconcat = W.T @ dz.")


def general_backward(fn):
    """The general check of lstm_cell_backward."""
    explained(BACKWARD_SPEC, fn)
