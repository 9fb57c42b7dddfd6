"""The general check of exercise 12 (`_differential`): the learner's attention step against
the lecture's on random small cases (lengths, rows with no real step, large scores), the
smallest failing one shown, and the part at fault found by probes (every step real, s_prev = 0,
Wq = 0, Wk = Wq, tanh's linear range, small scores) and by the score differences the
learner's weights imply (log alpha_j - log alpha_k = e_j - e_k between one example's real
steps).
"""

import dataclasses
import itertools
import warnings

import numpy as np

from rnnlesson.checks._common import assert_returns, mistake, shape_text
from rnnlesson.checks._differential import (
    ELEMENTWISE,
    Probe,
    Spec,
    counterexamples,
    explain,
    localise,
    numbers,
    replaced_operand,
    same,
    shrink,
    slug_of,
    zeroed,
)
from rnnlesson.checks._differential import run as outcome_of
from rnnlesson.checks.attention import (
    NAME,
    keys_averaged,
    masked_softmax,
    plain,
    reference_attention,
)


def build(sizes, rng, simple):
    """s_prev, h, params, mask for the sizes; scale 1 makes the scores large (wv * 1000)."""
    n_a, n_e, m, T_x = sizes["n_a"], sizes["n_e"], sizes["m"], sizes["T_x"]
    draw = numbers(rng, simple)
    params = {"Wq": draw((n_e, n_a)), "Wk": draw((n_e, n_a)),
              "wv": draw((n_e, 1)) * (1000.0 if sizes["scale"] else 1.0)}
    lengths = rng.integers(0 if m > 1 else 1, T_x + 1, size=m)
    mask = np.arange(T_x)[None, :] < lengths[:, None]
    return {"s_prev": draw((n_a, m)), "h": draw((n_a, m, T_x)), "params": params, "mask": mask}


def reference(s_prev, h, params, mask):
    context, alpha = reference_attention(s_prev, h, params, mask)
    return {"alpha": alpha, "context": context}


def read(result, inputs):
    (n_a, m), T_x = inputs["s_prev"].shape, inputs["h"].shape[2]
    context, alpha = (plain(v) for v in assert_returns(NAME, result, 2, "context, alpha"))
    for what, value, shape, letters in (("alpha", alpha, (m, T_x), "(m, T_x)"),
                                        ("context", context, (n_a, m), "(n_a, m)")):
        if not isinstance(value, np.ndarray) or value.shape != shape:
            n_e = inputs["params"]["Wk"].shape[0]
            if what == "context" and isinstance(value, np.ndarray) and n_e != n_a \
                    and value.shape == (n_e, m):
                raise keys_averaged(n_e, shape)
            lost = (what == "alpha" and isinstance(value, np.ndarray) and T_x > 1
                    and value.shape == (m, 1))
            raise mistake(NAME, f"{what}-wrong-shape", f"{NAME}: {what} should be an array of "
                          f"shape {letters} = {shape}, received {shape_text(value)}."
                          + (" One weight per example: the steps' axis was lost on the way "
                             "to the softmax (a row's largest score or sum, (m, 1), used "
                             "where the (m, T_x) scores belong)." if lost else ""))
    return {"alpha": np.asarray(alpha, dtype=float), "context": np.asarray(context, dtype=float)}


def every_step_real(inputs):
    inputs["mask"] = np.ones_like(inputs["mask"])
    return inputs


def no_empty_row(inputs):
    inputs["mask"] = inputs["mask"].copy()
    inputs["mask"][:, 0] = True
    return inputs


def with_params(inputs, **changed):
    inputs["params"] = {**inputs["params"], **changed}
    return inputs


def unit_wv(params, size):
    """wv scaled so that its largest entry is size (scores of size about size)."""
    return params["wv"] * (size / max(float(np.abs(params["wv"]).max()), 1e-12))


def moderate_scores(inputs):
    wv = inputs["params"]["wv"]
    return with_params(inputs, wv=wv * min(1.0, 3.0 / max(float(np.abs(wv).max()), 1e-12)))


def near_zero_tanh(inputs):
    """Wq s_prev + Wk h_j about 1e-5, where tanh(x) = x to 1e-10; wv scaled up to match."""
    p = inputs["params"]
    return with_params(inputs, Wq=p["Wq"] * 1e-5, Wk=p["Wk"] * 1e-5,
                       wv=unit_wv(p, 1.0) * 1e5)


def small_scores(inputs):
    """Scores about 1e-3: a function applied to them after wv^T that is x near 0 agrees."""
    return with_params(inputs, wv=unit_wv(inputs["params"], 1e-3))


def same_states(inputs):
    """Every source step's h_j equal to the first: whatever the scores are made of, they are
    equal along j, so the weights are uniform over the real steps and context = h_0."""
    h = inputs["h"]
    return {**inputs, "h": np.repeat(h[:, :, :1], h.shape[2], axis=2)}


def keys_equal_query(inputs):
    return with_params(inputs, Wk=inputs["params"]["Wq"].copy())


PARTS = {"query": "the query term Wq s_prev",
         "keys": "the key term Wk h_j",
         "sum": "the sum inside the tanh: one tanh of Wq s_prev + Wk h_j together",
         "tanh": "the tanh of Wq s_prev + Wk h_j (exactly one, before wv^T)",
         "wv": "the projection e_j = wv^T tanh(...), used as it is (nothing applied after it)"}
SCORES = frozenset(PARTS)
ALPHA_TERMS = SCORES | {"mask", "softmax", "empty", "stable"}
REST = ALPHA_TERMS - SCORES | {"context"}  # what a probe of the scores leaves as it was
SPEC = Spec(
    NAME, {"n_a": (1, 3), "n_e": (1, 3), "m": (1, 3), "T_x": (1, 4), "scale": (0, 1)},
    build, reference, read,
    terms={**PARTS,
           "mask": "the mask (padded steps weight exactly 0, real steps keep theirs)",
           "softmax": "the softmax over each example's source steps (axis 1 of the (m, T_x) "
                      "scores)",
           "empty": "the rows with no real step (weights 0 and context 0, not NaN)",
           "stable": "the shift before np.exp: each row's largest real score (padded steps' "
                     "scores must not count)",
           "context": "the context sum_j alpha[:, j] h[:, :, j]"},
    depends={"alpha": ALPHA_TERMS, "context": ALPHA_TERMS | {"context"}},
    # with every step real the shift cannot meet a padded score: it is not cleared
    probes=[Probe("with every step real", every_step_real, SCORES | {"softmax", "context"}),
            # equal states, equal scores, whatever makes them: the rest is tested alone
            Probe("with every h_j the same", same_states,
                  frozenset({"mask", "softmax", "empty", "context"})),
            Probe("with wv = 0 (all scores 0)", lambda i: zeroed(i, "params.wv"),
                  frozenset({"mask", "softmax", "empty", "context"}),
                  # scores that differ here do not come from wv^T tanh(...)
                  frozenset({"mask", "softmax", "empty", "context", "wv"})),
            Probe("with no example all padded", no_empty_row,
                  SCORES | {"mask", "softmax", "stable", "context"}),
            Probe("with moderate scores", moderate_scores,
                  SCORES | {"mask", "softmax", "empty", "context"}),
            # the query is 0 for any matrix times s_prev, so a difference is not the query's
            Probe("with s_prev = 0", lambda i: zeroed(i, "s_prev"),
                  frozenset({"keys", "tanh", "wv"}), SCORES - {"query"} | REST),
            Probe("with Wq = 0", lambda i: zeroed(i, "params.Wq"),
                  frozenset({"keys", "tanh", "wv"}), SCORES | REST),
            Probe("with Wk = Wq", keys_equal_query, frozenset({"sum", "tanh", "wv"}),
                  SCORES | REST),
            # tanh(x) = x: a per-example query cancels in the softmax, the tanh shows nothing
            Probe("with Wq s_prev + Wk h_j near 0 (tanh(x) = x there)", near_zero_tanh,
                  frozenset({"keys", "wv"}), SCORES - {"query"} | REST),
            Probe("with scores near 0", small_scores, SCORES - {"wv"}, SCORES | REST)],
    show=("mask",),
    batch={"s_prev": 1, "h": 1, "mask": 0},
    hint="Wq (n_e, n_a) multiplies s_prev (n_a, m); Wk (n_e, n_a) each h_j (n_a, m).")


OPERANDS = {"params.wv": "wv", "params.Wq": "Wq", "params.Wk": "Wk", "s_prev": "s_prev"}
OPERANDS_TEXT = {
    "wv": "wv (n_e, 1) is a vector, one weight per row of tanh(Wq s_prev + Wk h_j): "
          "e_j = wv^T tanh(...) uses all n_e of its entries (wv[:, 0], or wv.T @).",
    "Wq": "the query is Wq (n_e, n_a) times s_prev (n_a, m), the whole matrix.",
    "Wk": "each key is Wk (n_e, n_a) times h_j (n_a, m), the whole matrix.",
    "s_prev": "the query reads the whole s_prev (n_a, m), every example's own state."}


def rearrangements(h):
    """[(how a message says it, an array shaped like h (n_a, m, T_x))]: h's entries moved
    between examples and steps, as a reshape in place of a transpose (or a slice) moves them."""
    n_a, m, T_x = h.shape
    found = []
    if m > 1 and T_x > 1:
        found.append(("h's examples and steps mixed up: its (m, T_x) entries read in (T_x, m) "
                      "order (a reshape where the axes should be kept, or transposed)",
                      h.reshape(n_a, T_x, m).transpose(0, 2, 1)))
        found.append(("h's examples and steps mixed up: its (m, T_x) entries read in (T_x, m) "
                      "order (a reshape where the axes should be kept, or transposed)",
                      h.transpose(0, 2, 1).reshape(n_a, m, T_x)))
    if T_x > 1:
        found.append(("the source steps in reverse order (h[:, :, ::-1])", h[:, :, ::-1]))
    if m > 1:
        found.append(("the first example's states for every example",
                      np.repeat(h[:, :1], m, axis=1)))
    return found


def keys_reading(witnesses):
    """The sentence for keys Wk h'_j made from h rearranged (see `rearrangements`) while the
    context reads h itself, when every witness's weights and context are those; else None."""
    usable = [(c, o) for c, o in witnesses if o.failure is None and o.got]
    if not usable or len(usable) < len(witnesses):
        return None
    texts = None
    for case, outcome in usable:
        inputs = case.inputs(SPEC)
        options = rearrangements(inputs["h"])
        matching = set()
        for text, moved in options:
            p = inputs["params"]
            pre = (p["Wq"] @ inputs["s_prev"])[:, :, None] + np.einsum("ea,amt->emt", p["Wk"],
                                                                        moved)
            with np.errstate(all="ignore"):
                alpha = masked_softmax(np.einsum("e,emt->mt", p["wv"][:, 0], np.tanh(pre)),
                                       inputs["mask"])
            context = np.einsum("amt,mt->am", inputs["h"], alpha)
            if same(outcome.got["alpha"], alpha) and same(outcome.got["context"], context):
                matching.add(text)
        texts = matching if texts is None else texts & matching
        if not texts:
            return None
    text = next(t for t, _ in rearrangements(usable[0][0].inputs(SPEC)["h"]) if t in texts)
    return (f"your keys Wk h_j are made from {text}. Each key is Wk times that example's own "
            "state at step j, h[:, :, j]: np.einsum('ea,amt->emt', Wk, h) keeps both axes.")


TANH_PLACES = {"query": "on the query Wq s_prev alone", "keys": "on the keys Wk h_j alone",
               "sum": "on the sum Wq s_prev + Wk h_j", "after": "after the projection wv^T"}


def scores_with_tanh(s_prev, h, params, places):
    """e (m, T_x) with tanh applied at each of places (see TANH_PLACES)."""
    def maybe(value, place):
        return np.tanh(value) if place in places else value

    query = maybe((params["Wq"] @ s_prev)[:, :, None], "query")
    keys = maybe(np.einsum("ea,amt->emt", params["Wk"], h), "keys")
    return maybe(np.einsum("e,emt->mt", params["wv"][:, 0], maybe(query + keys, "sum")),
                 "after")


def weights_reading(witnesses):
    """The sentence for weights that are a known elementwise function of the lecture's weights
    (log alpha, ...) or of the scores in place of the softmax (exp e, e itself, ...) on every
    real step of every witness; None otherwise. Padded steps are left out: a learner who
    writes 0 there, or -inf, reads the same."""
    usable = [(c, o) for c, o in witnesses if o.failure is None and o.got and "alpha" in o.wrong]
    if not usable or len(usable) < len(witnesses):
        return None
    def unnormalised(a, e):  # exp(e_j - each row's largest real score), not divided
        real = np.where(np.isfinite(a) & (a > 0), e, -np.inf)
        top = real.max(axis=1, keepdims=True)
        return np.exp(e - np.where(np.isfinite(top), top, 0.0))

    forms = [("after", "the identity", lambda a, e: e), ("after", "unnormalised", unnormalised)]
    for name, f in ELEMENTWISE.items():
        forms.append(("after", name, lambda a, e, f=f: f(a)))
        if name != "softmax":
            forms.append(("instead", name, lambda a, e, f=f: f(e)))
    for case, outcome in usable:
        inputs = case.inputs(SPEC)
        real = inputs["mask"]
        if not real.any():
            return None
        scores = scores_with_tanh(inputs["s_prev"], inputs["h"], inputs["params"], {"sum"})
        got = outcome.got["alpha"][real]
        with np.errstate(all="ignore"):
            forms = [form for form in forms
                     if same(got, form[2](outcome.expected["alpha"], scores)[real])]
        if not forms:
            return None
    where, name, _ = forms[0]
    if name == "the identity":
        return ("alpha holds the scores e themselves on the real steps: the softmax was left "
                "out. alpha = softmax(e) over each example's real steps, weights from 0 to 1 "
                "that add up to 1.")
    if name == "unnormalised":
        return ("alpha holds exp(e_j - max e) on the real steps, not divided by their sum: "
                "the softmax was not finished. alpha = exp(e_j - max e) / sum over the "
                "example's real steps of exp(e_k - max e), weights that add up to 1.")
    if where == "after":
        return (f"alpha holds {name}(weights) on the real steps, not the weights: yours is "
                f"{name}(softmax(e)). alpha = softmax(e) itself, weights from 0 to 1 that add "
                "up to 1 over each example's real steps.")
    return (f"alpha holds {name}(e) on the real steps, {name} where the softmax is meant: "
            "alpha = softmax(e) over each example's real steps, exp(e_j - max e) divided by "
            "their sum.")


def tanh_placement(witnesses):
    """The sentence for scores whose tanh is elsewhere than on the sum (after wv^T, on each
    term, twice, nowhere), when every witness's weights and context are those of one such
    placement (every subset of places tried); None otherwise."""
    usable = [(c, o) for c, o in witnesses if o.failure is None and o.got]
    if not usable or len(usable) < len(witnesses):
        return None
    for size in range(len(TANH_PLACES) + 1):
        for places in itertools.combinations(TANH_PLACES, size):
            if set(places) == {"sum"} or (places and not {"sum", "after"} & set(places)):
                continue  # the lecture's; or a query outside every tanh, which the softmax
                # cancels (named by `focus`: the weights do not change with s_prev)
            agree = True
            for case, outcome in usable:
                inputs = case.inputs(SPEC)
                with np.errstate(all="ignore"):
                    alpha = masked_softmax(scores_with_tanh(inputs["s_prev"], inputs["h"],
                                                            inputs["params"], places),
                                           inputs["mask"])
                context = np.einsum("amt,mt->am", inputs["h"], alpha)
                if not (same(outcome.got["alpha"], alpha) and same(outcome.got["context"],
                                                                    context)):
                    agree = False
                    break
            if agree:
                where = ("nowhere" if not places else
                         " and ".join(TANH_PLACES[p] for p in places))
                return (f"yours applies the tanh {where}: the scores are "
                        "e_j = wv^T tanh(Wq s_prev + Wk h_j), one tanh of the sum of the query "
                        "and the key, and wv^T projects its result (nothing after it).")
    return None


# --- reading the learner's scores from alpha -------------------------------------------------

def implied(alpha, mask):
    """e_j - e_first of each row, as alpha's log-ratios imply them, at the real steps whose
    weights are positive and finite (NaN elsewhere): the softmax keeps score differences."""
    with np.errstate(all="ignore"):
        logs = np.log(np.where(mask, np.asarray(alpha, dtype=float), np.nan))
        logs[~np.isfinite(logs)] = np.nan
        return logs - logs[np.arange(len(mask)), mask.argmax(axis=1)][:, None]


def differences_agree(a, b):
    both = np.isfinite(a) & np.isfinite(b)
    return bool(np.allclose(a[both], b[both], rtol=1e-6, atol=1e-8))


def query_reaches(fn, witnesses):
    """Whether the learner's score differences change with s_prev as the lecture's do (True),
    stay as they are (False: the query is added outside the comparison), or neither shows."""
    seen = None
    for case, _ in witnesses:
        inputs = case.inputs(SPEC)
        other = {**inputs, "s_prev": np.random.default_rng(case.seed).normal(
            size=inputs["s_prev"].shape) * 2}
        mine, theirs = outcome_of(SPEC, fn, inputs), outcome_of(SPEC, fn, other)
        if mine.failure is not None or theirs.failure is not None:
            return None
        mask = inputs["mask"]
        moved = not differences_agree(implied(mine.expected["alpha"], mask),
                                      implied(theirs.expected["alpha"], mask))
        if moved:
            if not differences_agree(implied(mine.got["alpha"], mask),
                                     implied(theirs.got["alpha"], mask)):
                return True
            seen = False
    return seen


def merged(spec, parts, term, text):
    """spec with the terms parts seen as one term (named text): a probe clears it when it
    clears all of them, and a difference may come from it when it may come from one."""
    def fold(terms, whole):
        if terms is None:
            return None
        keep = frozenset(terms) - parts
        return keep | {term} if (parts <= terms if whole else parts & terms) else keep

    return dataclasses.replace(
        spec, terms={term: text, **{k: v for k, v in spec.terms.items() if k not in parts}},
        depends={k: fold(v, False) for k, v in spec.depends.items()},
        probes=[dataclasses.replace(p, terms=fold(p.terms, True), causes=fold(p.causes, False))
                for p in spec.probes])


def only(spec, *terms):
    return dataclasses.replace(spec, terms={k: spec.terms[k] for k in terms})


def focus(fn, outcome, witnesses):
    """(the spec to explain with, a line to add): the part of the scores at fault, where the
    probes leave more than one, read from the learner's score differences."""
    if outcome.failure is not None:
        return SPEC, ""
    suspects = localise(SPEC, fn, witnesses)[0]
    parts = [s for s in suspects if s in SCORES]
    if not parts:
        if suspects == ["stable"] and rows_underflow(outcome):
            return SPEC, ("Shifting by any number gives the same weights while exp stays "
                          "above 0; here every real step's exp(e_j - shift) underflowed to 0, "
                          "so your shift is far above that row's largest real score.")
        return SPEC, ""
    if "keys" in parts and uniform_weights(outcome, witnesses):
        return only(SPEC, "keys"), ("Yours gives every real step of an example the same "
                                    "weight: your scores do not change with j. The key term "
                                    "Wk h_j, one per source step, is what makes them differ.")
    reaches = query_reaches(fn, witnesses) if {"query", "sum"} & set(parts) else None
    if reaches is False:  # the query does not reach the weights: left out, or from elsewhere
        if keys_alone(outcome, witnesses):
            return only(SPEC, "sum"), ("Yours gives the same weights whatever s_prev, those of "
                                       "the keys alone (s_prev = 0): add Wq s_prev to Wk h_j "
                                       "inside the tanh, where it changes how steps compare.")
        return only(SPEC, "query"), ("Yours gives the same weights whatever s_prev: the query "
                                     "is Wq times the decoder's state s_prev.")
    if reaches and len(suspects) > 1:
        suspects = [s for s in suspects if s != "sum"]
        parts = [s for s in parts if s != "sum"]
    if len(parts) > 1 or len(suspects) > 3:
        whole = merged(SPEC, SCORES, "scores", "the scores e_j = wv^T tanh(Wq s_prev + Wk h_j)")
        if len(parts) == len(suspects):
            return whole, "Within them, one of: " + "; ".join(PARTS[p] for p in parts) + "."
        return whole, ""
    return only(SPEC, *suspects), ""


def uniform_weights(outcome, witnesses):
    """Whether the learner's weights are equal over the real steps of every example (on
    every witness) where the lecture's are not."""
    found = False
    for _, result in witnesses:
        if result.failure is not None or "alpha" not in result.got:
            return False
        got, expected = result.got["alpha"], result.expected["alpha"]
        for row_got, row_expected in zip(got, expected, strict=True):
            real = row_expected > 0
            if real.sum() < 2:
                continue
            if np.ptp(row_got[real]) > 1e-9:
                return False
            found |= np.ptp(row_expected[real]) > 1e-6
    return found


def keys_alone(outcome, witnesses):
    """Whether the learner's score differences are those of wv^T tanh(Wk h_j) (s_prev = 0)."""
    for case, result in witnesses:
        inputs = {**case.inputs(SPEC)}
        inputs["s_prev"] = np.zeros_like(inputs["s_prev"])
        mask = inputs["mask"]
        if not differences_agree(implied(result.got["alpha"], mask),
                                 implied(reference(**inputs)["alpha"], mask)):
            return False
    return True


def rows_underflow(outcome):
    """Whether a row with real steps has weight 0 at all of them in the learner's alpha."""
    got, expected = outcome.got.get("alpha"), outcome.expected["alpha"]
    real = expected.sum(axis=1) > 0
    return bool(np.any(real & np.all(np.nan_to_num(got) == 0, axis=1)))


def general(fn, count=40, seed=0):
    """The general check (random cases, the smallest failing one, the term at fault; among
    the scores' parts, the one the learner's weights point to)."""
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        found = counterexamples(SPEC, fn, count, seed)
        if not found:
            return
        case, outcome = shrink(SPEC, fn, *found[0])
        witnesses = [(c, o) for c, o in found if not c.simple] or found
        replaced = replaced_operand(SPEC, witnesses, OPERANDS)
        if replaced is not None:
            failure = explain(SPEC, fn, case, outcome, witnesses)
            name, part = replaced
            head, _, rest = failure.message.partition("\n")
            raise mistake(NAME, f"{slug_of(name)}-replaced", f"{NAME}: yours computes the "
                          f"lecture's weights and context with {name} replaced by {part}: "
                          f"{OPERANDS_TEXT[name]}\n{rest}") from None
        keys = keys_reading(witnesses)
        if keys is not None:
            failure = explain(SPEC, fn, case, outcome, witnesses)
            head, _, rest = failure.message.partition("\n")
            raise mistake(NAME, "keys-wrong", f"{NAME}: {keys}\n{rest}") from None
        reading = weights_reading(witnesses)
        if reading is not None:
            failure = explain(SPEC, fn, case, outcome, witnesses)
            head, _, rest = failure.message.partition("\n")
            raise mistake(NAME, "weights-transformed", f"{NAME}: {reading}\n{rest}") from None
        placed = tanh_placement(witnesses)
        if placed is not None:
            failure = explain(SPEC, fn, case, outcome, witnesses)
            head, _, rest = failure.message.partition("\n")
            raise mistake(NAME, "tanh-misplaced", f"{NAME}: {placed}\n{rest}") from None
        spec, line = focus(fn, outcome, witnesses)
        failure = explain(spec, fn, case, outcome, witnesses)
    if line:
        head, _, rest = failure.message.partition("\n")
        failure = mistake(NAME, failure.mistake.partition("/")[2], f"{head}\n{line}\n{rest}")
    raise failure from None
