"""The general check of exercises 5 and 6 (`_differential`): the learner's backward pass
against rnnlesson's on random small cases, the smallest failing one shown, and the term at
fault found from which gradients are wrong and which right, and from probes that switch paths
off (xt, a_prev, Wax or Waa zero; a_prev = a_next in the cache; a sequence of one step; da
zero but at one step; Waa = 0, so that nothing flows back from step t + 1). A wrong dz is
named by solving for the one dz whose products are the learner's gradients, and a loop that
reads another step's da or cache by trying every map t -> j of a short sequence.
"""

import itertools

import numpy as np

from rnnlesson.checks._common import close, mistake
from rnnlesson.checks._differential import (
    Probe,
    Spec,
    array_text,
    counterexamples,
    explain,
    numbers,
    run,
    same,
    shrink,
)
from rnnlesson.checks.backward import (
    CELL_FORMULAS,
    CELL_KEYS,
    NAME_CELL,
    NAME_SEQ,
    SEQ_FORMULAS,
    SEQ_KEYS,
    assert_gradient_dict,
)
from rnnlesson.rnn import rnn_cell_backward as reference_cell_backward
from rnnlesson.rnn import rnn_cell_forward as reference_cell_forward
from rnnlesson.sequence import rnn_backward_by_cells, rnn_forward_by_cells


class CellCache(tuple):
    """A cell's cache (a_next, a_prev, xt, params), shown by its arrays in a counterexample."""

    def __repr__(self):
        a_next, a_prev, xt, params = self
        return (f"(a_next {array_text(a_next, 30)}, a_prev {array_text(a_prev, 30)}, "
                f"xt {array_text(xt, 30)}, params)")


def build_cell_backward(sizes, rng, simple):
    """da_next (n_a, m) and the cache of one forward step of random xt, a_prev, params."""
    n_x, n_a, m = sizes["n_x"], sizes["n_a"], sizes["m"]
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((2, n_a)), "by": draw((2, 1))}
    xt, a_prev, da_next = draw((n_x, m)), draw((n_a, m)), draw((n_a, m))
    return {"da_next": da_next, "cache": cell_cache(xt, a_prev, params)}


def cell_cache(xt, a_prev, params):
    return CellCache(reference_cell_forward(xt, a_prev, params)[2])


def reference_cell_gradients(da_next, cache):
    return dict(reference_cell_backward(da_next, cache))


def read_cell_gradients(grads, inputs):
    a_next, a_prev, xt, _ = inputs["cache"]
    (n_x, m), n_a = xt.shape, a_prev.shape[0]
    assert_gradient_dict(NAME_CELL, grads, {
        "dxt": ((n_x, m), "(n_x, m)"), "da_prev": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")}, CELL_FORMULAS)
    return {key: grads[key] for key in CELL_KEYS}


def with_forward(change):
    """A probe's change of the forward step's inputs (xt, a_prev, params), the cache rebuilt:
    the cache stays one that rnn_cell_forward makes."""

    def apply(inputs):
        _, a_prev, xt, params = inputs["cache"]
        xt, a_prev, params = change(xt, a_prev, dict(params))
        return {**inputs, "cache": cell_cache(xt, a_prev, params)}

    return apply


def zero_a_next(inputs):
    """The cache with a_next = 0, where tanh' = 1 and dz = da_next: evidence for a wrong dz
    only (a product that reads da_next for dz agrees there, so it is no probe: it would clear
    that product)."""
    a_next, a_prev, xt, params = inputs["cache"]
    return {**inputs, "cache": CellCache((np.zeros_like(a_next), a_prev, xt, params))}


PRODUCTS = {"dxt": "dxt = Wax.T @ dz", "da_prev": "da_prev = Waa.T @ dz",
            "dWax": "dWax = dz @ xt.T", "dWaa": "dWaa = dz @ a_prev.T",
            "dba": "dba = dz.sum(axis=1, keepdims=True), dz summed over the m examples"}
DZ = "dz = da_next * (1 - a_next**2), tanh's derivative at a_next"


def term(key):
    """The term (and mistake id) of one product: "da_prev" -> "da-prev"."""
    return key.lower().replace("_", "-")


def but(key):
    return frozenset({"dz", "cache", *map(term, CELL_KEYS)} - {term(key)})


def a_prev_is_a_next(inputs):
    """The cache with a_prev replaced by a_next: an answer that reads the cache's entries in
    another order agrees here, and a wrong term still differs."""
    a_next, _, xt, params = inputs["cache"]
    return {**inputs, "cache": CellCache((a_next, a_next.copy(), xt, params))}


CELL_SPEC = Spec(
    NAME_CELL, {"n_x": (1, 3), "n_a": (1, 3), "m": (1, 3)},
    build_cell_backward, reference_cell_gradients, read_cell_gradients,
    terms={"dz": DZ, **{term(key): text for key, text in PRODUCTS.items()},
           "cache": "reading the cache: a_next, a_prev, xt, params = cache, in that order"},
    depends={key: frozenset({"dz", "cache", term(key)}) for key in CELL_KEYS},
    probes=[
        Probe("with a_prev = a_next in the cache", a_prev_is_a_next, but("cache")),
        Probe("with xt = 0", with_forward(lambda xt, a, p: (0 * xt, a, p)), but("dWax")),
        Probe("with a_prev = 0", with_forward(lambda xt, a, p: (xt, 0 * a, p)), but("dWaa")),
        Probe("with Wax = 0", with_forward(lambda xt, a, p: (xt, a, {**p, "Wax": 0 * p["Wax"]})),
              but("dxt")),
        Probe("with Waa = 0", with_forward(lambda xt, a, p: (xt, a, {**p, "Waa": 0 * p["Waa"]})),
              but("da_prev"))],
    show=("da_next", "cache"),
    hint="dz is (n_a, m) like da_next; each gradient has the shape of what it is of.")


def products_of(dz, cache):
    """The five gradients the lecture's products give from dz (n_a, m)."""
    _, a_prev, xt, params = cache
    return {"dxt": params["Wax"].T @ dz, "da_prev": params["Waa"].T @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


def implied_dz(got, cache):
    """The dz (n_a, m) whose products are the learner's five gradients, or None if no single
    dz gives them all (least squares over the five linear maps of dz)."""
    a_next = cache[0]
    basis = np.eye(a_next.size).reshape(a_next.size, *a_next.shape)
    maps = np.array([np.concatenate([v.ravel() for v in products_of(e, cache).values()])
                     for e in basis]).T
    target = np.concatenate([np.asarray(got[key], dtype=float).ravel() for key in CELL_KEYS])
    dz = np.linalg.lstsq(maps, target, rcond=None)[0].reshape(a_next.shape)
    again = products_of(dz, cache)
    return dz if all(same(got[key], again[key]) for key in CELL_KEYS) else None


def dz_failure(fn, case, outcome, witnesses):
    """The CheckFailure naming dz when, on every witness, the learner's gradients are the
    lecture's products of one dz that is not the lecture's; None otherwise."""
    if outcome.failure is not None or any(o.failure is not None for _, o in witnesses):
        return None
    for c, o in witnesses + [(case, outcome)]:
        if implied_dz(o.got, c.inputs(CELL_SPEC)["cache"]) is None:
            return None
    inputs = case.inputs(CELL_SPEC)
    a_next = inputs["cache"][0]
    yours = implied_dz(outcome.got, inputs["cache"])
    at_zero = all(not run(CELL_SPEC, fn, zero_a_next(c.inputs(CELL_SPEC))).wrong
                  for c, _ in witnesses)
    evidence = ("with a_next = 0, where tanh' = 1, yours agrees: the factor 1 - a_next**2 is "
                "what differs" if at_zero else "with a_next = 0, where tanh' = 1, yours "
                "differs: there dz is da_next itself")
    wrong = [key for key in CELL_KEYS if any(key in o.wrong for _, o in witnesses)]
    lines = [f"{NAME_CELL}: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong. "
             f"The fault is in {DZ}: your gradients are the lecture's products (dxt = Wax.T @ "
             f"dz, ..., dba = dz summed) of one dz, but not of this one ({evidence}).",
             f"Smallest case found ({case.text()}): da_next = "
             f"{array_text(inputs['da_next'], 60)}; a_next = {array_text(a_next, 60)}",
             f"dz: the lecture's {array_text(inputs['da_next'] * (1 - a_next**2))}, yours "
             f"{array_text(yours)}."]
    return mistake(NAME_CELL, "dz-wrong", "\n".join(lines))


def general_cell(fn):
    """The general check of rnn_cell_backward: the smallest failing case, dz named when every
    gradient is the products of a wrong dz, otherwise the term the probes find."""
    found = counterexamples(CELL_SPEC, fn)
    if not found:
        return
    case, outcome = shrink(CELL_SPEC, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    failure = dz_failure(fn, case, outcome, witnesses)
    raise (failure or explain(CELL_SPEC, fn, case, outcome, witnesses)) from None


class Caches(list):
    """The T_x cell caches of rnn_forward(x, a0, params), kept with x, a0 and params so that a
    probe can run the forward pass again on changed inputs."""

    def __init__(self, x, a0, params):
        super().__init__(rnn_forward_by_cells(x, a0, params)[2])
        self.x, self.a0, self.params = x, a0, params

    def __reduce__(self):  # copied as what it is: the caches of these inputs
        return type(self), (self.x, self.a0, self.params)

    def __repr__(self):
        return f"the caches of x {array_text(self.x, 40)}, a0 {array_text(self.a0, 30)}"


def build_bptt(sizes, rng, simple):
    """da (n_a, m, T_x) and the caches of a forward pass of random x, a0, params."""
    n_x, n_a, m, T_x = sizes["n_x"], sizes["n_a"], sizes["m"], sizes["T_x"]
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((2, n_a)), "by": draw((2, 1))}
    x, a0, da = draw((n_x, m, T_x)), draw((n_a, m)), draw((n_a, m, T_x))
    return {"da": da, "caches": Caches(x, a0, params)}


def reference_bptt(da, caches):
    grads = rnn_backward_by_cells(da, caches)
    return {key: grads[key] for key in SEQ_KEYS}


def read_bptt(grads, inputs):
    da, caches = inputs["da"], inputs["caches"]
    (n_a, m, T_x), n_x = da.shape, caches.x.shape[0]
    assert_gradient_dict(NAME_SEQ, grads, {
        "dx": ((n_x, m, T_x), "(n_x, m, T_x)"), "da0": ((n_a, m), "(n_a, m)"),
        "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
        "dba": ((n_a, 1), "(n_a, 1)")}, SEQ_FORMULAS)
    return {key: grads[key] for key in SEQ_KEYS}


def one_step(inputs):
    caches = inputs["caches"]
    return {"da": inputs["da"][:, :, :1].copy(),
            "caches": Caches(caches.x[:, :, :1].copy(), caches.a0, caches.params)}


def da_only_at(first):
    """The change that zeroes da except at t = 0 (first=True) or t = T_x - 1."""

    def apply(inputs):
        da = np.zeros_like(inputs["da"])
        t = 0 if first else -1
        da[:, :, t] = inputs["da"][:, :, t]
        return {**inputs, "da": da}

    return apply


def no_recurrence(inputs):
    caches = inputs["caches"]
    params = {**caches.params, "Waa": np.zeros_like(caches.params["Waa"])}
    return {**inputs, "caches": Caches(caches.x, caches.a0, params)}


BPTT_TERMS = {
    "da-t": "the gradient from above: step t adds da[:, :, t] to its upstream "
            "da[:, :, t] + da_prev",
    "carry": "the carry: step t adds da_prev, what the step after (t + 1) returned, to "
             "da[:, :, t]",
    "start": "the loop's start: step t = T_x - 1 first, with da_prev = 0 (nothing comes "
             "from after the last step)",
    "cache-order": "the cache order: step t reads caches[t] and da[:, :, t], the same t",
    "direction": "the loop's direction: t from T_x - 1 down to 0 (reversed(range(T_x)))",
    "reach": "the loop's end: step t = 0 runs too",
    "dx-t": "dx[:, :, t] = the dxt of step t",
    "sum-dwax": "dWax: every step's share added up (dWax = dWax + step's dWax, from 0)",
    "sum-dwaa": "dWaa: every step's share added up (dWaa = dWaa + step's dWaa, from 0)",
    "sum-dba": "dba: every step's share added up (dba = dba + step's dba, from 0)",
    "da0": "da0 = the da_prev that step t = 0 returns",
}
LOOP = frozenset({"da-t", "carry", "start", "cache-order", "direction", "reach"})
SEQ_SPEC = Spec(
    # T_x from 2: a probe that zeroes da but at one step changes nothing in one step
    NAME_SEQ, {"n_x": (1, 3), "n_a": (1, 3), "m": (1, 2), "T_x": (2, 4)},
    build_bptt, reference_bptt, read_bptt,
    terms=BPTT_TERMS,
    depends={"dx": LOOP | {"dx-t"}, "da0": LOOP | {"da0"}, "dWax": LOOP | {"sum-dwax"},
             "dWaa": LOOP | {"sum-dwaa"}, "dba": LOOP | {"sum-dba"}},
    # each probe leaves on the loop's terms whose every fault it shows; the outputs' own
    # terms (dx_t, the sums, da0) are told apart by which outputs are wrong
    probes=[Probe("with T_x = 1 (a sequence of one step)", one_step,
                  frozenset({"da-t", "start", "reach"})),
            Probe("with da zero except at t = 0", da_only_at(True),
                  frozenset({"da-t", "cache-order", "direction", "reach"})),
            Probe("with Waa = 0 (no gradient flows from step t + 1 to step t)", no_recurrence,
                  frozenset({"da-t", "start", "cache-order", "reach"})),
            Probe("with da zero except at the last step t = T_x - 1", da_only_at(False),
                  LOOP)],
    steps={"dx": (2, "backward")},
    hint="Step t reads da[:, :, t] and caches[t]; time is the last axis.")


def indexed_bptt(da, caches, read_da, read_cache, carry_da=False, upstream=True,
                 above_at=None, carry_at=None, start=None):
    """BPTT in which step t reads da[:, :, read_da[t]] and caches[read_cache[t]] (the
    lecture's: both t); carry_da: da[:, :, t] is added to the carry as well; upstream=False:
    step t's upstream is the carry alone (da[:, :, t] then reaches only the carry);
    above_at, carry_at: the steps whose upstream holds da[:, :, t], da_prev (default: all);
    start: the carry into the last step (the lecture's: 0)."""
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    da_prev = np.zeros((n_a, m)) if start is None else start
    for t in reversed(range(T_x)):
        above = da[:, :, read_da[t]] if upstream and (above_at is None or t in above_at) else 0
        carried = da_prev if carry_at is None or t in carry_at else 0
        step = reference_cell_backward(above + carried + np.zeros((n_a, m)),
                                       caches[read_cache[t]])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"] + (da[:, :, t] if carry_da else 0)
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = da_prev
    return grads


def index_slip(witnesses):
    """The message for a loop that reads another step's da or cache (every map t -> j of a
    short sequence is tried), or adds da[:, :, t] to the carry too, when that is what every
    witness computes; None otherwise."""
    def matches(variant):
        for case, outcome in witnesses:
            inputs = case.inputs(SEQ_SPEC)
            if not outcome.got or len(inputs["caches"]) > 4:
                return False
            wanted = variant(inputs["da"], inputs["caches"])
            if not all(close(outcome.got[k], wanted[k]) for k in SEQ_KEYS):
                return False
        return True

    T_x = min(len(case.inputs(SEQ_SPEC)["caches"]) for case, _ in witnesses)
    # a map t -> j is one sequence length's: the witnesses of the shortest length say it
    witnesses = [(c, o) for c, o in witnesses if len(c.inputs(SEQ_SPEC)["caches"]) == T_x]
    same = tuple(range(T_x))
    if matches(lambda da, c: indexed_bptt(da, c, range(da.shape[2]), range(da.shape[2]),
                                          carry_da=True)):
        return ("carry-adds-da", "da[:, :, t] is counted twice: in step t's upstream "
                "da[:, :, t] + da_prev and again in the carry that goes to step t - 1. The "
                "carry is only the da_prev that step t returns.")
    if matches(lambda da, c: indexed_bptt(da, c, range(da.shape[2]), range(da.shape[2]),
                                          carry_da=True, upstream=False)):
        return ("da-added-after-step", "da[:, :, t] is added to the carry after step t's "
                "backward pass, so it reaches step t - 1 and never step t. Step t's own "
                "backward pass takes da[:, :, t] + da_prev, before it runs.")
    found = missing_upstream(matches, T_x) or wrong_start(witnesses)
    if found is not None:
        return found
    for which in ("cache", "da"):
        for read in itertools.product(range(T_x), repeat=T_x):
            if read == same:
                continue

            def variant(da, c, read=read, which=which):
                same_t = range(da.shape[2])
                return indexed_bptt(da, c, read if which == "da" else same_t,
                                    read if which == "cache" else same_t)

            if matches(variant):
                name = "caches[t]" if which == "cache" else "da[:, :, t]"
                wrong = [f"step {t} reads {name.replace('t]', f'{j}]')}"
                         for t, j in reversed(list(enumerate(read))) if j != t]
                what = "the cache order" if which == "cache" else "the index of da"
                return ("cache-order-wrong", f"{what}: step t must read {name}, the same t as "
                        f"the loop; yours: {'; '.join(wrong[:3])}.")
    return None


def steps_text(steps, T_x):
    """"t = 0, 1" for a set of steps, with "(every step but the last)" and the like when the
    set is one of the rules a loop writes."""
    steps = sorted(steps)
    text = "t = " + ", ".join(map(str, steps))
    if T_x > 2 and steps == list(range(T_x - 1)):
        text += " (every step but the last, t = T_x - 1)"
    elif T_x > 2 and steps == list(range(1, T_x)):
        text += " (every step but the first, t = 0)"
    elif steps == [T_x - 1]:
        text += " (the last step, t = T_x - 1)"
    elif steps == [0]:
        text += " (the first step)"
    return text


def missing_upstream(matches, T_x):
    """The message for a loop whose step t leaves out one of the two terms that reach a_t,
    da[:, :, t] from above (through ŷ_t) or da_prev from step t + 1, at some steps: every
    subset of steps is tried for each term (the fewest left out first); None if no such
    loop computes what the learner's does. (da_prev at the last step is 0 either way.)"""
    steps = range(T_x)
    options = []
    for above in itertools.product((True, False), repeat=T_x):
        for carry in itertools.product((True, False), repeat=T_x - 1):
            no_above = {t for t in steps if not above[t]}
            no_carry = {t for t in range(T_x - 1) if not carry[t]}
            if no_above or no_carry:
                options.append((len(no_above) + len(no_carry), no_above, no_carry))
    seen = set()
    for _, no_above, no_carry in sorted(options, key=lambda o: o[0]):
        # a step whose upstream is zero sends back no carry: whether the step before adds
        # it or not is the same loop (counted once, as not left out)
        zero = T_x - 1 in no_above
        for t in reversed(range(T_x - 1)):
            if zero:
                no_carry = no_carry - {t}
            zero = t in no_above and (t in no_carry or zero)
        if (frozenset(no_above), frozenset(no_carry)) in seen or not (no_above or no_carry):
            continue
        seen.add((frozenset(no_above), frozenset(no_carry)))
        if no_above == {T_x - 1} and not no_carry:
            continue  # the last step with no upstream: what a loop that skips it computes,
            # named by the general check as the loop's start

        def variant(da, c, no_above=no_above, no_carry=no_carry):
            T = da.shape[2]
            return indexed_bptt(da, c, range(T), range(T),
                                above_at=set(range(T)) - no_above,
                                carry_at=set(range(T)) - no_carry)

        if not matches(variant):
            continue
        parts = []
        if no_above:
            kept = sorted(set(steps) - no_above)
            parts.append("da[:, :, t], the gradient from above (through ŷ_t), is left out of "
                         f"step t's upstream at {steps_text(no_above, T_x)}"
                         + (f": yours adds it only at {steps_text(kept, T_x)}"
                            if len(kept) == 1 else ""))
        if no_carry:
            parts.append("da_prev, the gradient from step t + 1, is left out of step t's "
                         f"upstream at {steps_text(no_carry, T_x)}")
        slug = "da-missing-at-steps" if no_above else "carry-missing-at-steps"
        return (slug, f"{'; '.join(parts)} (in the smallest case, T_x = {T_x}). Both terms "
                "reach a_t at every step: step t's backward pass takes da[:, :, t] + da_prev.")
    return None


def implied_start(got, da, caches):
    """The carry into the last step (n_a, m) that makes the lecture's loop give the learner's
    gradients, or None if none does: the gradients are affine in it, so it is solved for."""
    n_a, m, _ = da.shape

    def flat(grads):
        return np.concatenate([np.asarray(grads[k], dtype=float).ravel() for k in SEQ_KEYS])

    base = flat(indexed_bptt(da, caches, range(da.shape[2]), range(da.shape[2])))
    columns = []
    for i in range(n_a * m):
        start = np.zeros(n_a * m)
        start[i] = 1.0
        grads = indexed_bptt(da, caches, range(da.shape[2]), range(da.shape[2]),
                             start=start.reshape(n_a, m))
        columns.append(flat(grads) - base)
    try:
        target = flat(got) - base
    except (KeyError, ValueError):
        return None
    start = np.linalg.lstsq(np.array(columns).T, target, rcond=None)[0].reshape(n_a, m)
    again = indexed_bptt(da, caches, range(da.shape[2]), range(da.shape[2]), start=start)
    return start if all(close(got[k], again[k]) for k in SEQ_KEYS) else None


def wrong_start(witnesses):
    """The message for a loop whose carry into the last step is not 0, solved for on every
    witness (and named when it is ones, or da of a step); None otherwise."""
    starts = []
    for case, outcome in witnesses:
        inputs = case.inputs(SEQ_SPEC)
        start = implied_start(outcome.got, inputs["da"], inputs["caches"])
        if start is None or np.allclose(start, 0, atol=1e-9) \
                or close(start, -inputs["da"][:, :, -1]):
            return None  # (-da[:, :, T_x - 1]: the last step skipped, the loop's start)
        starts.append((start, inputs["da"]))
    names = [("np.ones((n_a, m))", lambda da: np.ones(da.shape[:2])),
             ("da[:, :, T_x - 1], the last step's da", lambda da: da[:, :, -1]),
             ("da[:, :, 0]", lambda da: da[:, :, 0])]
    said = next((name for name, value in names
                 if all(close(s, value(da)) for s, da in starts)), None)
    start = starts[0][0]
    return ("start-wrong", "the carry into the last step is not 0: yours starts da_prev at "
            + (said if said else array_text(start, 60)) + ". Nothing comes back from after "
            "the last step: da_prev = np.zeros((n_a, m)) before the loop, so step T_x - 1 "
            "gets da[:, :, T_x - 1] alone.")


def general_bptt(fn):
    """The general check of rnn_backward (random cases, the smallest failing one, the term
    at fault, the first step t, counting down from T_x - 1, at which dx differs); a loop
    that reads another step's da or cache is named with the steps it reads."""
    found = counterexamples(SEQ_SPEC, fn)
    if not found:
        return
    case, outcome = shrink(SEQ_SPEC, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    slip = index_slip(witnesses) if all(o.failure is None for _, o in witnesses) else None
    if slip is not None:
        failure = explain(SEQ_SPEC, fn, case, outcome, witnesses)
        lines = failure.message.splitlines()
        lines[0] = f"{NAME_SEQ}: {slip[1]}"
        raise mistake(NAME_SEQ, slip[0], "\n".join(lines)) from None
    raise explain(SEQ_SPEC, fn, case, outcome, witnesses) from None
