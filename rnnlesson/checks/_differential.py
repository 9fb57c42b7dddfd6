"""The general check behind every exercise: the learner's function against the lecture's on
many small random cases, the smallest failing case shown, and the term at fault found by
probes rather than recognised from a list.

A `Spec` describes one function: the sizes it takes (each a range), how to build its inputs
from sizes and a seed, the lecture's answer, how to read the learner's result into named
outputs, which terms each output depends on, and probes (inputs that switch paths off).

`differential(spec, fn)`:

1. runs fn and the reference on the smallest case (simple numbers), then on random cases
   with sizes drawn across their ranges; the first case where an output differs (or fn
   raises) is the counterexample;
2. shrinks it: each size down to the smallest that still fails, then the simplest numbers
   that still fail;
3. localises the fault: which outputs are wrong and which right (a term every right output
   depends on is not at fault), which probes agree (the terms they leave on are right) and
   which do not (the fault is among the terms they leave on), and for outputs over time the
   first step that differs;
4. raises one `CheckFailure` that names the term (or, failing that, the outputs), the step,
   and the case in a few lines: the inputs, the lecture's values, the learner's.

The specific messages of a check's catalogue come first where they match exactly; this is
what every other wrong answer gets, and it never blames a term that a probe shows right.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rnnlesson.checks._common import TOL, CheckFailure, call, mistake, shape_text
from rnnlesson.gradcheck import rel_error


@dataclass
class Probe:
    """Inputs changed so that only some terms stay on.

    label: how the message says it ("with a_prev = 0 and ba = 0");
    change: inputs (a deep copy) -> the changed inputs;
    terms: the terms the change leaves on (a learner who agrees under it has them right);
    causes: the terms a difference under it may come from, if not terms.
    """

    label: str
    change: Callable[[dict], dict]
    terms: frozenset
    causes: frozenset | None = None  # what a difference under it can come from (default:
    # terms); wider than terms when a probe shows some faults of a term but not all


@dataclass
class Spec:
    """One learner's function, as the general check sees it (see the module's docstring).

    name: the function's name (as in `_common.EXERCISE`);
    sizes: {size: (smallest, largest)}, e.g. {"n_x": (1, 4), "m": (1, 3)};
    build(sizes, rng, simple) -> {argument: value}: the inputs, in call order; simple=True
        asks for the simplest numbers the function accepts (small integers, halves);
    reference(**inputs) -> {output: value}: the lecture's answer;
    read(result, inputs) -> {output: value}: the learner's outputs, named as reference's;
        it raises CheckFailure for a result of the wrong form (the check's own messages);
    terms: {term: how the message names it}, e.g. {"waa": "the term Waa a_prev"};
    depends: {output: terms it depends on};
    probes: [Probe];
    steps: {output: (axis, "forward" | "backward")}: the output's time axis, and which way
        the loop that fills it runs (so that "first" means first computed);
    cover: depends is complete (every term an output reads is listed), so that one fault
        explains every wrong output: only the suspects all wrong outputs depend on remain;
    show: the inputs printed in a counterexample (default: all);
    equal: (got, expected) -> bool for one output (default: same shape, relative error
        below tol; exact equality for what is not an array of floats).
    """

    name: str
    sizes: dict
    build: Callable
    reference: Callable
    read: Callable
    terms: dict = field(default_factory=dict)
    depends: dict = field(default_factory=dict)
    probes: list = field(default_factory=list)
    steps: dict = field(default_factory=dict)
    cover: bool = False
    show: tuple | None = None
    equal: Callable | None = None
    tol: float = TOL
    hint: str = "Check the shapes of the arrays you combine."
    extremes: list = field(default_factory=list)  # [Extreme]: run once every case agrees
    stages: list = field(default_factory=list)  # [Stage]: where an extra function is looked for
    batch: dict = field(default_factory=dict)  # {input: its axis of m}, to run examples alone


@dataclass
class Stage:
    """One output made as outer(inner): e.g. yt_pred = softmax(Wya a_next + by). inner(inputs,
    expected) computes the inner array from the inputs and the lecture's outputs; the general
    check tries every function of `ELEMENTWISE` on it (before outer, after it, or instead of
    it) to name an extra function applied to a term written right."""

    output: str
    inner_text: str  # "Wya a_next + by"
    inner: Callable
    outer_name: str  # "softmax"
    outer: Callable
    note: str = ""  # e.g. "only a_next gets tanh"


def _softmax0(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


ELEMENTWISE = {  # the functions a learner may apply once too often (or in the wrong place)
    "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "exp": np.exp,
    "ReLU": lambda z: np.maximum(z, 0), "abs": np.abs, "the square": np.square,
    "softmax": _softmax0, "log": np.log, "the negation": np.negative,
}


@dataclass
class Extreme:
    """Inputs at the edge of float64's range (logits of 1000, a probability below 1e-308),
    where a formula that is right on paper overflows or underflows: label says the change,
    slug and advice name the fault when the learner's outputs differ there only."""

    label: str
    change: Callable[[dict], dict]
    slug: str
    advice: str


def same(got, expected, tol=TOL) -> bool:
    """Whether got agrees with expected: arrays of floats to tol, anything else exactly."""
    if isinstance(expected, np.ndarray) and expected.dtype.kind == "f":
        if not isinstance(got, np.ndarray) or got.shape != expected.shape:
            return False
        if not np.all(np.isfinite(got)):
            return bool(np.array_equal(got, expected, equal_nan=True))
        return bool(rel_error(got, expected) < tol) or bool(np.allclose(got, expected,
                                                                           rtol=0, atol=1e-12))
    if isinstance(expected, np.ndarray):
        return isinstance(got, np.ndarray) and got.shape == expected.shape \
            and bool(np.array_equal(got, expected))
    if isinstance(expected, float):
        return isinstance(got, (int, float, np.floating)) and abs(got - expected) <= tol * max(
            1.0, abs(expected))
    if isinstance(expected, dict):
        return isinstance(got, dict) and set(got) == set(expected) and all(
            same(got[k], expected[k], tol) for k in expected)
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(got) == len(expected) and all(
            same(g, e, tol) for g, e in zip(got, expected, strict=True))
    return got == expected


@dataclass
class Case:
    sizes: dict
    seed: int
    simple: bool

    def inputs(self, spec: Spec) -> dict:
        return spec.build(dict(self.sizes), np.random.default_rng(self.seed), self.simple)

    def text(self) -> str:
        return ", ".join(f"{k} = {v}" for k, v in self.sizes.items())


@dataclass
class Outcome:
    """What one case gave: the outputs that differ (empty: it agrees), both sides' values,
    or the CheckFailure the learner's function (or its result's form) raised."""

    wrong: list
    got: dict
    expected: dict
    failure: CheckFailure | None = None


def sizes_text(inputs: dict) -> str:
    return ", ".join(f"{k} {shape_text(v)}" for k, v in inputs.items())


def run(spec: Spec, fn, inputs: dict) -> Outcome:
    """fn and the reference on copies of inputs; which outputs differ. What fn prints is not
    shown: the general check calls it dozens of times (the check's own cases, before it,
    show a learner's prints once)."""
    expected = spec.reference(**copy.deepcopy(inputs))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = call(fn, spec.name, tuple(copy.deepcopy(inputs).values()),
                          sizes_text(inputs), spec.hint)
        got = spec.read(result, copy.deepcopy(inputs))
    except CheckFailure as failure:
        return Outcome(list(expected), {}, expected, failure)
    equal = spec.equal or (lambda g, e: same(g, e, spec.tol))
    wrong = [k for k in expected if k not in got or not equal(got[k], expected[k])]
    return Outcome(wrong, got, expected)


def fails(spec: Spec, fn, case: Case, kind: str | None) -> Outcome | None:
    """The case's outcome if it fails in the same way as the counterexample (kind: the
    mistake id of the CheckFailure it raised, or None for values that differ)."""
    outcome = run(spec, fn, case.inputs(spec))
    if outcome.failure is not None:
        return outcome if outcome.failure.mistake == kind else None
    return outcome if outcome.wrong and kind is None else None


def cases(spec: Spec, count: int, seed: int):
    """The smallest case in simple numbers, the smallest in random ones, then count cases
    with every size drawn across its range."""
    smallest = {k: lo for k, (lo, _) in spec.sizes.items()}
    yield Case(smallest, seed, True)
    yield Case(smallest, seed + 1, False)
    rng = np.random.default_rng(seed)
    for _ in range(count):
        sizes = {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in spec.sizes.items()}
        yield Case(sizes, int(rng.integers(2**31)), False)


def counterexamples(spec: Spec, fn, count: int = 24, seed: int = 0, most: int = 3) -> list:
    """Up to `most` failing (case, outcome) pairs, the first found first; [] if all agree.
    After the first, only failures of the same kind (values, or the same mistake id) in
    random numbers are kept: they are the witnesses of `localise`."""
    found = []
    for case in cases(spec, count, seed):
        outcome = run(spec, fn, case.inputs(spec))
        if outcome.failure is None and not outcome.wrong:
            continue
        if found:
            kind = found[0][1].failure.mistake if found[0][1].failure is not None else None
            same_kind = (outcome.failure.mistake if outcome.failure is not None else None)
            if case.simple or same_kind != kind:
                continue
        found.append((case, outcome))
        if len(found) == most:
            break
    return found


def shrink(spec: Spec, fn, case: Case, outcome: Outcome) -> tuple[Case, Outcome]:
    """The smallest case that fails as case does: each size lowered while it still fails,
    then the simplest numbers, then other seeds at the smallest sizes if those are simpler."""
    kind = outcome.failure.mistake if outcome.failure is not None else None
    improved = True
    while improved:
        improved = False
        for key, (lo, _) in spec.sizes.items():
            for smaller in range(lo, case.sizes[key]):
                trial = Case({**case.sizes, key: smaller}, case.seed, case.simple)
                found = fails(spec, fn, trial, kind)
                if found is not None:
                    case, outcome, improved = trial, found, True
                    break
    if not case.simple:
        for seed in (case.seed, case.seed + 1, case.seed + 2):
            trial = Case(case.sizes, seed, True)
            found = fails(spec, fn, trial, kind)
            if found is not None:
                return trial, found
    return case, outcome


def array_text(value, limit: int = 110, precision: int = 3) -> str:
    if isinstance(value, np.ndarray):
        # sign and legacy given: the text must not depend on print options a library set
        text = np.array2string(value, precision=precision, separator=", ",
                               suppress_small=precision <= 3, max_line_width=10_000,
                               threshold=60, sign="-", legacy=False).replace("\n", "")
        text = " ".join(text.split())
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {array_text(v, 40)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_step(spec: Spec, key: str, got, expected) -> int | None:
    """The first step computed (forwards or backwards) at which output key differs."""
    if key not in spec.steps or not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return None
    axis, direction = spec.steps[key]
    order = range(expected.shape[axis])
    for t in (reversed(order) if direction == "backward" else order):
        g, e = np.take(got, t, axis=axis), np.take(expected, t, axis=axis)
        if not same(g, e, spec.tol):
            return t
    return None


def slug_of(text: str) -> str:
    """A mistake id's part from any name: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "value"


def localise(spec: Spec, fn, witnesses: list) -> tuple[list, list, list, list]:
    """(terms that may be at fault, outputs right on every witness, probes that agree on
    every witness, probes that differ on one).

    witnesses: failing (Case, Outcome) pairs in random numbers: evidence that held on one case
    only (an output that is right because n_y = 1, a probe that agrees because a weight drawn
    was zero) does not count.
    """
    every = set(spec.terms)
    outputs = list(witnesses[0][1].expected)
    right = [k for k in outputs if all(k not in o.wrong and o.failure is None
                                       for _, o in witnesses)]
    wrong = [k for k in outputs if k not in right]
    suspects = set(every)
    if spec.depends:
        bad = set().union(*(spec.depends.get(k, every) for k in wrong))
        good = set().union(*(spec.depends.get(k, set()) for k in right)) if right else set()
        suspects &= bad - good
    agree, differ = [], []
    for item in spec.probes:
        results = [run(spec, fn, item.change(case.inputs(spec))) for case, _ in witnesses]
        if any(r.failure is not None for r in results):
            continue
        (differ if any(r.wrong for r in results) else agree).append(item)
    cleared = set().union(*(p.terms for p in agree)) if agree else set()
    suspects -= cleared
    narrowed = set(suspects)
    for item in differ:
        narrowed &= item.causes if item.causes is not None else item.terms
    if narrowed:
        suspects = narrowed
    if spec.cover:  # one fault explains every wrong output: the suspects they all depend on
        cover = {s for s in suspects if all(s in spec.depends.get(k, every) for k in wrong)}
        suspects = cover or suspects
    return sorted(suspects, key=list(spec.terms).index), right, agree, differ


FORMULA = {"the negation": "-({})", "the square": "({})**2"}  # how a function is written


def written(f_name: str, term: str) -> str:
    return FORMULA.get(f_name, f_name + "({})").format(term)


def extra_function(spec: Spec, witnesses: list, wrong: list):
    """(slug, text) when, on every witness, wrong outputs are spec.stages with one known
    elementwise function applied to their inner term (outer(f(inner))), to the result
    (f(outer(inner))), or in place of outer (f(inner)); the stages that share the finding
    (three gates with one sigmoid written wrongly) are named together. None otherwise."""
    usable = [(c, o) for c, o in witnesses if o.failure is None and o.got]
    if not usable or not spec.stages:
        return None
    equal = spec.equal or (lambda g, e: same(g, e, spec.tol))
    found = []
    for stage in spec.stages:
        if stage.output not in wrong:
            continue
        forms = []
        for f_name, f in ELEMENTWISE.items():
            if f_name != stage.outer_name:
                forms.append(("instead", f_name, lambda z, f=f: f(z)))
            forms.append(("before", f_name, lambda z, f=f, g=stage.outer: g(f(z))))
            forms.append(("after", f_name, lambda z, f=f, g=stage.outer: f(g(z))))
        for case, outcome in usable:
            inner = stage.inner(case.inputs(spec), outcome.expected)
            with np.errstate(all="ignore"):
                forms = [form for form in forms
                         if equal(outcome.got.get(stage.output), form[2](inner))]
            if not forms:
                break
        if forms:
            found.append((stage, forms[0][0], forms[0][1]))
    if not found:
        return None
    where, f_name, outer = found[0][1], found[0][2], found[0][0].outer_name
    group = [stage for stage, w, f in found
             if (w, f, stage.outer_name) == (where, f_name, outer)]
    outputs = ", ".join(stage.output for stage in group)
    note = f"; {group[0].note}" if group[0].note else ""
    rules = "; ".join(f"{stage.output} = {stage.outer_name}({stage.inner_text})"
                      for stage in group)
    term = group[0].inner_text if len(group) == 1 else "z"
    each = "" if len(group) == 1 else (f" in each of them, z its own term (z = "
                                       f"{group[0].inner_text} for {group[0].output})")
    text = {"before": f"you applied {f_name} to {term} before the {outer}{each}: yours is "
                      f"{outer}({written(f_name, term)}). {rules}{note}.",
            "after": f"you applied {f_name} to the {outer} of {term}{each}: yours is "
                     f"{written(f_name, f'{outer}({term})')}. {rules}{note}.",
            "instead": f"yours is {written(f_name, term)}{each}, {f_name} where the {outer} is "
                       f"meant: {rules}{note}."}[where]
    slug = slug_of(group[0].output) if len(group) == 1 else slug_of(outer)
    verb = "is" if len(group) == 1 else "are"
    return f"{slug}-extra-function", f"{spec.name}: {outputs} {verb} wrong: {text}"


def example_alone(spec: Spec, inputs: dict, i: int) -> dict:
    """inputs with example i alone (m = 1), sliced along each of spec.batch's axes."""
    return {k: np.take(v, [i], axis=spec.batch[k]) if k in spec.batch else v
            for k, v in inputs.items()}


def mixed_examples(spec: Spec, fn, witnesses: list) -> int | None:
    """m of a failing batch whose examples, each run alone, all agree with the lecture's, when
    every witness with m > 1 is such a batch (the learner's code mixes the examples: an
    output of one made from another's inputs); None otherwise."""
    if not spec.batch:
        return None
    batches = []
    for case, outcome in witnesses:
        if outcome.failure is not None:
            return None
        inputs = case.inputs(spec)
        first = next(iter(spec.batch))
        m = inputs[first].shape[spec.batch[first]]
        if m > 1:
            batches.append((inputs, m))
    if not batches:
        return None
    for inputs, m in batches:
        for i in range(m):
            alone = run(spec, fn, example_alone(spec, inputs, i))
            if alone.failure is not None or alone.wrong:
                return None
    return batches[0][1]


def explain(spec: Spec, fn, case: Case, outcome: Outcome, witnesses: list) -> CheckFailure:
    """The one CheckFailure for a failing case (the smallest found): the term at fault (from
    witnesses, see `localise`), the step, the case."""
    if outcome.failure is not None:
        failure = outcome.failure
        return CheckFailure(failure.mistake, f"{failure.message}\nSmallest case where it "
                            f"happens: {case.text()}.")
    suspects, right, agree, differ = localise(spec, fn, witnesses)
    wrong = [k for k in outcome.expected if k not in right]
    extra = extra_function(spec, witnesses, wrong)
    if extra is not None:
        return mistake(spec.name, extra[0], f"{extra[1]}\nSmallest case found: {case.text()}.")
    m = mixed_examples(spec, fn, witnesses + [(case, outcome)])
    if m is not None:
        shown = [k for k in outcome.wrong] or wrong
        return mistake(spec.name, "examples-mixed", f"{spec.name}: {', '.join(shown)} "
                       f"{'is' if len(shown) == 1 else 'are'} wrong for a batch of m = {m} "
                       "examples, yet right for each example run on its own: your code mixes "
                       "the examples, so that one example's result is made from another's "
                       "numbers. Each example keeps its own axis position from input to "
                       "output: look for a transpose, a reversal, or a sum, an index or a "
                       "broadcast over the examples' axis m."
                       + (f" The fault is in {spec.terms[suspects[0]]}." if len(suspects) == 1
                          else "") + f"\nSmallest case found: {case.text()}.")
    shown_wrong = [k for k in wrong if k in outcome.wrong] or wrong
    head = (f"{spec.name}: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong"
            + (f" ({', '.join(right)} right)" if right else "") + ".")
    slug = f"{slug_of(wrong[0])}-wrong"
    fault = ""
    if len(suspects) == 1:
        slug = f"{slug_of(suspects[0])}-wrong"
        fault = f"The fault is in {spec.terms[suspects[0]]}"
    elif 1 < len(suspects) <= 3:
        fault = "The fault is in one of: " + "; ".join(spec.terms[s] for s in suspects)
    evidence = "; ".join([f"{p.label} yours agrees" for p in agree[:2]]
                         + [f"{p.label} yours differs" for p in differ[:2]])
    def all_zero(result, k):
        return (isinstance(result.got.get(k), np.ndarray) and result.got[k].size
                and not np.any(result.got[k]) and np.any(result.expected[k]))

    # zero on the smallest case and on every witness (random numbers), not by chance
    zero = [k for k in shown_wrong if all_zero(outcome, k)
            and all(o.failure is None and all_zero(o, k) for _, o in witnesses)]
    if zero:  # nothing reached it: an output never filled in, or its term left out entirely
        head += (f" Yours {'is' if len(zero) == 1 else 'are'} all zero ({', '.join(zero)}): "
                 "nothing was added into " + ("it." if len(zero) == 1 else "them."))
    if fault:
        head += f" {fault}" + (f" ({evidence})" if evidence else "") + "."
    elif evidence:
        head += f" {evidence[0].upper()}{evidence[1:]}."
    lines = [head]
    key = shown_wrong[0]
    step = first_step(spec, key, outcome.got.get(key), outcome.expected[key])
    if step is not None:
        axis, direction = spec.steps[key]
        last = outcome.expected[key].shape[axis] - 1
        first = step == (last if direction == "backward" else 0)
        lines.append(f"{key} first differs at step t = {step}: " + (
            ("the first step the loop computes (it runs from t = "
             + ("T_x - 1 down)." if direction == "backward" else "0 up).")) if first
            else "the steps computed before it agree."))
    inputs = case.inputs(spec)
    shown = spec.show if spec.show is not None else tuple(inputs)
    lines.append(f"Smallest case found ({case.text()}): "
                 + "; ".join(f"{k} = {array_text(inputs[k], 80)}" for k in shown))
    expected, got = outcome.expected[key], outcome.got.get(key)
    for digits in (3, 5, 8):  # enough digits that the two values read differently
        shown = array_text(expected, precision=digits), array_text(got, precision=digits)
        if shown[0] != shown[1]:
            break
    lines.append(f"{key}: the lecture's {shown[0]}, yours {shown[1]}.")
    return mistake(spec.name, slug, "\n".join(lines))


def differential(spec: Spec, fn, count: int = 24, seed: int = 0) -> None:
    """Raise the explained CheckFailure of the smallest failing case, if any case fails."""
    found = counterexamples(spec, fn, count, seed)
    if not found:
        extreme_failure(spec, fn, seed)
        return
    case, outcome = shrink(spec, fn, *found[0])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    raise explain(spec, fn, case, outcome, witnesses) from None


def extreme_failure(spec: Spec, fn, seed: int = 0) -> None:
    """Raise the CheckFailure of the first of spec.extremes under which fn, right on every
    ordinary case, differs (on the smallest random case or one of two more)."""
    for extreme in spec.extremes:
        for case in list(cases(spec, 2, seed))[1:]:
            inputs = extreme.change(case.inputs(spec))
            with np.errstate(all="ignore"):
                outcome = run(spec, fn, inputs)
            if outcome.failure is None and not outcome.wrong:
                continue
            if outcome.failure is not None and outcome.failure.mistake.endswith("not-finite"):
                said = outcome.failure.message.splitlines()[0].partition(": ")[2]
                raise mistake(spec.name, extreme.slug, f"{spec.name}: {extreme.label} "
                              f"{said.rstrip('.')}, though yours agrees on every ordinary "
                              f"case: {extreme.advice}\nThe case: {case.text()}.")
            if outcome.failure is not None:
                raise CheckFailure(outcome.failure.mistake, f"{outcome.failure.message}\n"
                                   f"It happens {extreme.label}.")
            key = outcome.wrong[0]
            got = outcome.got.get(key)
            broken = isinstance(got, np.ndarray) and not np.all(np.isfinite(got))
            raise mistake(spec.name, extreme.slug, f"{spec.name}: {extreme.label} your {key} "
                          + ("holds NaN or inf" if broken else "differs from the lecture's")
                          + f", though it agrees on every ordinary case: {extreme.advice}\n"
                          f"The case ({case.text()}): {key}: the lecture's "
                          f"{array_text(outcome.expected[key])}, yours {array_text(got)}.")


def numbers(rng, simple: bool):
    """draw(shape) -> an array: normal numbers, or the simplest (halves from -1 to 1)."""
    if simple:
        return lambda shape: rng.integers(-2, 3, size=shape).astype(float) / 2
    return lambda shape: rng.normal(size=shape)


def zeroed(inputs: dict, *paths: str) -> dict:
    """inputs with each named input (or "params.Wax" for an entry of a dict input) zeroed."""
    for path in paths:
        top, _, key = path.partition(".")
        if key:
            inputs[top] = {**inputs[top], key: np.zeros_like(inputs[top][key])}
        else:
            inputs[top] = np.zeros_like(inputs[top])
    return inputs


def probe(label: str, terms, *paths: str) -> Probe:
    """The probe that zeroes paths (see `zeroed`), leaving terms on."""
    return Probe(label, lambda inputs: zeroed(inputs, *paths), frozenset(terms))


# --- an operand replaced by a part of itself --------------------------------------------------

def parts_of(value: np.ndarray) -> list:
    """[(how a message says it, the array of value's shape made from that part of value)]:
    what a learner who indexes, broadcasts or transposes the wrong way computes with."""
    found = []
    if value.size > 1:
        found.append(("its first entry, one number repeated",
                      np.full(value.shape, value.flat[0])))
        found.append(("its last entry, one number repeated",
                      np.full(value.shape, value.flat[-1])))
        found.append(("its mean, one number repeated", np.full(value.shape, value.mean())))
    if value.ndim == 2 and value.shape[0] > 1:
        found.append(("its first row repeated", np.repeat(value[:1], value.shape[0], axis=0)))
    if value.ndim == 2 and value.shape[1] > 1:
        found.append(("its first column repeated",
                      np.repeat(value[:, :1], value.shape[1], axis=1)))
    if value.ndim == 2 and value.shape[0] > 1 and value.shape[1] > 1:
        if value.shape[0] == value.shape[1]:
            found.append(("its transpose", value.T.copy()))
            found.append(("its diagonal alone", np.diag(np.diag(value))))
    return found


def replaced_operand(spec: Spec, witnesses: list, operands: dict):
    """(operand's name, what replaced it) when, on every witness, the learner's outputs are
    the lecture's computed with one operand replaced by a part of itself (see `parts_of`);
    None otherwise. operands: {path in the inputs ("params.wv", "s_prev"): name}. (A part
    that is the whole, as the first row of a one-row matrix, is not tried.)"""
    usable = [(c, o) for c, o in witnesses if o.failure is None and o.got]
    if not usable:
        return None
    equal = spec.equal or (lambda g, e: same(g, e, spec.tol))
    for path, name in operands.items():
        top, _, key = path.partition(".")
        labels = None
        for case, outcome in usable:
            inputs = case.inputs(spec)
            value = inputs[top][key] if key else inputs[top]
            options = {label: part for label, part in parts_of(np.asarray(value, dtype=float))}
            labels = [label for label in (options if labels is None else labels)
                      if label in options]
            still = []
            for label in labels:
                changed = copy.deepcopy(inputs)
                if key:
                    changed[top] = {**changed[top], key: options[label]}
                else:
                    changed[top] = options[label]
                wanted = spec.reference(**changed)
                if all(k in outcome.got and equal(outcome.got[k], wanted[k]) for k in wanted):
                    still.append(label)
            labels = still
            if not labels:
                break
        if labels:
            return name, labels[0]
    return None
