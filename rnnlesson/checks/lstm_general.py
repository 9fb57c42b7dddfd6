"""The general check of exercises 10 and 11 (`_differential`): the learner's LSTM step
against the lecture's on random small cases, the smallest failing one shown, and the gate or
path at fault found by probes that shut a gate or zero a state.

An LSTM's probes shut a gate or zero a state, so a term is often seen at one point only (a
gate at its limit). Each probe here says which terms its agreement proves right (`terms`)
and which a difference can come from (`exercised`, default: every term); of the suspects
left, those that every wrong output depends on are named (one fault explains them all).
"""

from dataclasses import dataclass, replace

import numpy as np

from rnnlesson.checks._common import (
    CheckFailure,
    assert_returns,
    assert_shape,
    call,
    mistake,
    snapshot,
)
from rnnlesson.checks._differential import (
    Extreme,
    Probe,
    Spec,
    Stage,
    counterexamples,
    explain,
    extreme_failure,
    numbers,
    run,
    same,
    shrink,
)
from rnnlesson.checks.forward import softmax_extremes
from rnnlesson.checks.lstm import BACKWARD, FORWARD, GATES, read_grads, step, step_backward
from rnnlesson.gated import sigmoid
from rnnlesson.rnn import softmax

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


GATE_TITLES = {"ft": "the forget gate Γ_f (ft)", "it": "the input gate Γ_i (it)",
               "cct": "the candidate c̃_t (cct)", "ot": "the output gate Γ_o (ot)"}


def gate_readings(spec, witnesses):
    """The sentence for gates computed from another gate's weights or bias, or with an input
    added that is not theirs (c_prev, a_prev), when that reproduces every wrong gate on every
    witness; None otherwise (or when the cache does not hold the gates)."""
    usable = [(c, o) for c, o in witnesses if o.failure is None and "ft" in o.got]
    if not usable or len(usable) < len(witnesses):
        return None
    wrong = [k for k in GATE_NAMES if all(k in o.wrong for _, o in usable)]
    found = {}
    for name in wrong:
        g = GATES[GATE_NAMES.index(name)]
        outer = np.tanh if g == "c" else sigmoid
        forms = [(f"uses b{h}, not b{g}", ("bias", h), lambda i, c, h=h, g=g: i["params"][
                     f"W{g}"] @ c + i["params"][f"b{h}"]) for h in GATES if h != g]
        forms += [(f"uses W{h}, not W{g}", ("weights", h), lambda i, c, h=h, g=g: i["params"][
                      f"W{h}"] @ c + i["params"][f"b{g}"]) for h in GATES if h != g]
        forms += [(f"adds {v} to W{g} [a_prev; xt] + b{g}, which reads only a_prev and x_t "
                   "through its weights", ("input", v), lambda i, c, v=v, g=g: i["params"][
                       f"W{g}"] @ c + i["params"][f"b{g}"] + i[v]) for v in ("c_prev", "a_prev")]
        for case, outcome in usable:
            inputs = case.inputs(spec)
            concat = np.concatenate([inputs["a_prev"], inputs["xt"]])
            with np.errstate(all="ignore"):
                forms = [f for f in forms if same(outcome.got[name], outer(f[2](inputs, concat)))]
            if not forms:
                break
        if not forms:
            return None  # a wrong gate this reading does not explain
        found[name] = forms[0]
    if not found:
        return None
    swaps = [(a, b) for a in found for b in found if a < b and found[a][1][0] == found[b][1][0]
             and found[a][1][1] == GATES[GATE_NAMES.index(b)]
             and found[b][1][1] == GATES[GATE_NAMES.index(a)]]
    if swaps:
        a, b = swaps[0]
        what = "biases" if found[a][1][0] == "bias" else "weights"
        return (f"{', '.join(found)} {'is' if len(found) == 1 else 'are'} wrong: the {what} of "
                f"{GATE_TITLES[a]} and {GATE_TITLES[b]} are swapped ({a} {found[a][0]}; {b} "
                f"{found[b][0]}). Each gate has its own W and b: Γ_g = σ(W_g [a_prev; xt] + "
                "b_g), the candidate with tanh.")
    return (f"{', '.join(found)} {'is' if len(found) == 1 else 'are'} wrong: "
            + "; ".join(f"{GATE_TITLES[k]} {found[k][0]}" for k in found)
            + ". Each gate reads [a_prev; xt] through its own W and b only: Γ_g = σ(W_g "
            "[a_prev; xt] + b_g), c̃_t = tanh(Wc [a_prev; xt] + bc).")


def explained(spec, fn):
    """The general check (`_differential.differential`) with the LSTM's localisation: the
    core's message, its terms narrowed to the suspects `localise_paths` leaves."""
    found = counterexamples(spec, fn)
    if not found:
        extreme_failure(spec, fn)
        return
    case, outcome = shrink(spec, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    reading = gate_readings(spec, witnesses) if outcome.failure is None else None
    if reading is not None:
        raise mistake(FORWARD, "gate-operands", f"{FORWARD}: {reading}\nSmallest case "
                      f"found: {case.text()}.") from None
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


def large_pre_activations(inputs):
    """Every gate's and the candidate's pre-activation times 1000 (hundreds, either sign)."""
    params = dict(inputs["params"])
    for g in GATES:
        params[f"W{g}"], params[f"b{g}"] = 1000 * params[f"W{g}"], 1000 * params[f"b{g}"]
    return {**inputs, "params": params}


def pre_activation(g):
    """W_g [a_prev; xt] + b_g (n_a, m) of gate g, from the inputs (a Stage's inner term)."""
    def inner(inputs, expected):
        concat = np.concatenate([inputs["a_prev"], inputs["xt"]])
        return inputs["params"][f"W{g}"] @ concat + inputs["params"][f"b{g}"]
    return inner


# where an extra function (or another one) is looked for: the output layer always, the gates
# when the cache holds them
OUTPUT_STAGE = Stage("yt_pred", "Wya a_next + by",
                     lambda i, e: i["params"]["Wya"] @ e["a_next"] + i["params"]["by"],
                     "softmax", softmax)
GATE_STAGES = [Stage(name, f"W{g} [a_prev; xt] + b{g}", pre_activation(g),
                     "tanh" if g == "c" else "sigmoid", np.tanh if g == "c" else sigmoid,
                     note="the candidate c̃ gets tanh, the three gates the sigmoid")
               for name, g in zip(GATE_NAMES, GATES, strict=True)]
FORWARD_SPEC = Spec(FORWARD, STEP_SIZES, build_step, reference_step, read_step,
                    terms=STEP_TERMS, depends=STEP_DEPENDS, probes=step_probes(False),
                    show=("xt", "a_prev", "c_prev"), hint=STEP_HINT,
                    batch={"xt": 1, "a_prev": 1, "c_prev": 1}, stages=[OUTPUT_STAGE],
                    extremes=[Extreme(
                        "with large pre-activations (every gate's W and b times 1000)",
                        large_pre_activations, "overflow",
                        "np.exp overflows to inf above about 709: exp(z) / (1 + exp(z)) is "
                        "then inf / inf = NaN. Use the given sigmoid, or 1 / (1 + np.exp(-z)), "
                        "which tends to 0 and 1 as it should."),
                        *softmax_extremes(tuple(f"b{g}" for g in GATES))])
FORWARD_GATES_SPEC = replace(FORWARD_SPEC, reference=reference_gates, read=read_gates,
                             depends={**STEP_DEPENDS, **GATE_TERMS}, probes=step_probes(True),
                             stages=FORWARD_SPEC.stages + GATE_STAGES)


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
    "rows-a": "da_prev = dconcat[:n_a], the a_prev rows of dconcat = Σ W_gᵀ dz_g",
    "rows-x": "dxt = dconcat[n_a:], the x_t rows of dconcat = Σ W_gᵀ dz_g (each W_gᵀ dz_g has "
              "all n_a + n_x rows: the x_t rows, W_g[:, n_a:]ᵀ dz_g, are added too)",
    "dc-prev": "dc_prev = dc ⊙ Γ_f",
}
GATE_DC = {"f": DC_TERMS, "i": DC_TERMS, "c": DC_TERMS, "o": {"tanh-c"}}
BACKWARD_DEPENDS = {
    **{f"dW{g}": GATE_DC[g] | {f"dz-{g}", f"dw{g}", "stack"} for g in GATES},
    **{f"db{g}": GATE_DC[g] | {f"dz-{g}", f"db{g}", "db-sum"} for g in GATES},
    "dc_prev": DC_TERMS | {"dc-prev"},
    **{k: DC_TERMS | {f"{p}-{g}" for p in ("dz", "dconcat") for g in GATES} | {"split", rows}
       for k, rows in (("dxt", "rows-x"), ("da_prev", "rows-a"))},
}


def backward_probes():
    ALL = set(BACKWARD_TERMS)
    # (the rows of dconcat that dxt and da_prev read may be from fewer gates' W_gᵀ dz_g:
    # one gate alone shows nothing of that)
    only = [path_probe(f"with only W{g} nonzero", ALL,
                       {f"dconcat-{h}" for h in GATES if h != g} | {"rows-x", "rows-a"},
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
