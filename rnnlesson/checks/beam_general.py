"""The general check of exercise 13 (beam search): the random models, the lecture's search and
its typical wrong variants, the `Spec` of the general core, and the probes the diagnosis in
`beam.py` runs (the learner's result with inputs changed, and the prefixes it calls step with).

A probe that records step's calls sees what a result alone does not: the lecture's search calls
step(prefix) once for every prefix its beam keeps, at every step, so two searches that call
step with the same prefixes have the same candidates to choose the winner from.
"""

import functools

import numpy as np

from rnnlesson.checks._common import CheckFailure, assert_returns, call, mistake, shape_text
from rnnlesson.checks._differential import Case, Spec, run

NAME = "beam_search"


class random_model:  # noqa: N801 (called like the function it replaced)
    """step(prefix) -> log-probabilities (n_y,), the same for the same prefix every time;
    `favoured` (the end symbol, say) gets `bias` added to its logit."""

    def __init__(self, seed, n_y=4, sharpness=1.5, favoured=None, bias=0.0):
        self.seed, self.n_y, self.sharpness = seed, n_y, sharpness
        self.favoured, self.bias = favoured, bias

    def __call__(self, prefix):
        rng = np.random.default_rng([self.seed, len(prefix), *[int(i) for i in prefix]])
        logits = self.sharpness * rng.normal(size=self.n_y)
        if self.favoured is not None:
            logits[self.favoured] += self.bias
        return logits - np.log(np.sum(np.exp(logits)))

    def __repr__(self):
        extra = (f", favoured={self.favoured}, bias={self.bias:.2f}"
                 if self.favoured is not None else "")
        return (f"random_model({self.seed}, n_y={self.n_y}, sharpness={self.sharpness:.2f}"
                f"{extra})")


TOY_MODEL = random_model(0, n_y=3)


def search(step, n, beam_width, end=None, length_norm=0.0, per_beam=False, add_probs=False,
           through_end=False, ignore_finished=False, length_without_end=False,
           no_refill=False, finished_first=False, pool_only=False, one_step=False,
           kept_candidates=False, start_copies=False, skip_best=False, normalise_only=None):
    """Beam search (the flags give typical mistakes; one_step: every prefix extended with the
    first prefix's step; kept_candidates: the candidates of earlier steps compete again;
    start_copies: the beam starts as beam_width copies of the empty prefix; skip_best: the
    pruning keeps the extensions ranked 2 to beam_width + 1): (ids tuple,
    log P, the winner's normalised score, the score the beam was pruned by); pool_only: the
    final pool instead; normalise_only: "finished" or "open", the one group whose scores are
    divided by L**length_norm at the end (the other competes with its raw log P)."""
    beams, finished = [((), 0.0, 0.0)] * (beam_width if start_copies else 1), []
    width = beam_width  # beams: (prefix, log P, the score pruned by)
    candidates = []
    for _ in range(n):
        candidates = candidates if kept_candidates else []
        first = step(beams[0][0]) if one_step else None
        for prefix, log_p, score in beams:
            logs = first if one_step else step(prefix)
            extensions = [(prefix + (y,), log_p + logs[y],
                           score + (np.exp(logs[y]) if add_probs else logs[y]))
                          for y in range(len(logs))]
            if per_beam:
                extensions = sorted(extensions, key=lambda c: -c[2])[:width]
            candidates += extensions
        skip = 1 if skip_best else 0  # skip_best: the slice [1:width + 1]
        kept = candidates if per_beam else sorted(candidates,
                                                  key=lambda c: -c[2])[skip:width + skip]
        if end is not None and not through_end:
            done = [c for c in kept if c[0][-1] == end]
            finished += done
            kept = [c for c in kept if c[0][-1] != end]
            width -= len(done) if no_refill else 0
        beams = kept
        if not beams or width < 1:
            break
    if pool_only:
        return [c[0] for c in beams + finished]
    pool = (beams if ignore_finished else finished if finished_first else beams + finished) \
        or finished or beams

    def normalised(c):
        length = len(c[0]) - (1 if length_without_end and end is not None
                              and c[0][-1] == end else 0)
        if normalise_only is not None and (c in finished) != (normalise_only == "finished"):
            return c[1]
        return c[1] / max(length, 1) ** length_norm

    winner = max(pool, key=normalised)
    return winner[0], float(winner[1]), normalised(winner), float(winner[2])


def reference_beam_search(step, n, beam_width, end=None, length_norm=0.0):
    """(ids, log P) of the exercise's answer."""
    ids, log_p, _, _ = search(step, n, beam_width, end, length_norm)
    return ids, log_p


def greedy(step, n, end=None):
    prefix, log_p = (), 0.0
    for _ in range(n):
        logs = step(prefix)
        prefix, log_p = prefix + (int(np.argmax(logs)),), log_p + float(np.max(logs))
        if prefix[-1] == end:
            break
    return prefix, log_p


def show(ids):
    return "(" + ", ".join(str(i) for i in ids) + ")"


# --- the general check: random cases, shrunk --------------------------------------------------

WIDTHS = (1, 2, 3, None)  # None: every prefix kept (n_y**n)
ALPHAS = (0.0, 1.0, 0.5, 2.0, 0.7, 1.5)


def build(sizes, rng, simple):
    """step, n, beam_width, end, length_norm from sizes (width, end and alpha are indices)."""
    n, n_y = sizes["n"], sizes["n_y"]
    end = None if sizes["end"] == 0 else (sizes["end"] - 1) % n_y
    step = random_model(int(rng.integers(10_000)), n_y, round(float(rng.uniform(1.0, 2.0)), 2),
                        end, 0.0 if end is None else round(float(rng.uniform(0.0, 1.5)), 2))
    width = WIDTHS[sizes["width"]] or n_y ** n
    return {"step": step, "n": n, "beam_width": width, "end": end,
            "length_norm": ALPHAS[sizes["alpha"]]}


def reference(step, n, beam_width, end, length_norm):
    ids, log_p = reference_beam_search(step, n, beam_width, end, length_norm)
    return {"ids": ids, "log_p": log_p}


def read(result, inputs):
    ids, log_p = assert_returns(NAME, result, 2, "ids, log_p")
    try:
        ids = tuple(int(i) for i in ids)
        log_p = float(log_p)
    except (TypeError, ValueError):
        raise mistake(NAME, "wrong-return", f"{NAME} should return ids, a sequence of ints, and "
                      f"log_p, a number; received {shape_text(ids)} and {shape_text(log_p)}."
                      ) from None
    return {"ids": ids, "log_p": log_p}


SIZES = {"n": (1, 5), "n_y": (2, 4), "width": (0, 3), "end": (0, 2), "alpha": (0, 5)}
HINT = "step(prefix) takes a tuple of ids and returns an array (n_y,)."
SPEC = Spec(NAME, SIZES, build, reference, read, hint=HINT)
GREEDY_SPEC = Spec(NAME, {**SIZES, "width": (0, 0)}, build, reference, read, hint=HINT)

# Cases where the readings differ: the beam refills after sequences finish (not a beam that
# shrinks for good), open prefixes compete with finished ones, prefixes sharing a last symbol.
FIXED = [({"n": 4, "n_y": 3, "width": 2, "end": 1, "alpha": 0}, seed) for seed in (7, 21, 40)]


def found_cases(spec, fn, count, seed, values_only=False):
    """Up to three failing (Case, outcome) pairs of one kind, the first found first
    (values_only: of the cases where fn returns, those whose values differ)."""
    fixed = [Case(sizes, s, False) for sizes, s in FIXED if spec is SPEC]
    rng = np.random.default_rng(seed)
    drawn = [Case({k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in spec.sizes.items()},
                  int(rng.integers(2**31)), False) for _ in range(count)]
    found = []
    for case in fixed + drawn:
        outcome = run(spec, fn, case.inputs(spec))
        if (outcome.failure is None and not outcome.wrong) or (values_only and outcome.failure):
            continue
        kind = outcome.failure.mistake if outcome.failure else None
        if found and kind != (found[0][1].failure.mistake if found[0][1].failure else None):
            continue
        found.append((case, outcome))
        if len(found) == 3:
            break
    return found


def case_text(inputs):
    return (f"n = {inputs['n']}, beam_width = {inputs['beam_width']}, end = {inputs['end']}, "
            f"length_norm = {inputs['length_norm']}, step = {inputs['step']!r}")


# --- probes: the learner's result on changed inputs, and the prefixes it calls step with -------

ARGS = ("step", "n", "beam_width", "end", "length_norm")


def args_of(inputs, **changes):
    changed = {**inputs, **changes}
    return [changed[k] for k in ARGS]


def learners(fn, inputs, **changes):
    """(ids, log_p) of fn on inputs with changes, or None if it fails there."""
    outcome = run(SPEC, fn, {**inputs, **changes})
    return None if outcome.failure else (outcome.got["ids"], outcome.got["log_p"])


def agrees(fn, inputs, **changes):
    outcome = run(SPEC, fn, {**inputs, **changes})
    return outcome.failure is None and not outcome.wrong


class Recording:
    """step, recording each prefix it is called with (a tuple of ints, whatever was passed)."""

    def __init__(self, step):
        self.step, self.n_y, self.prefixes = step, step.n_y, []
        self.passed = []  # (the object fn passed, what it held then), to see it change later

    def __call__(self, prefix):
        try:
            self.prefixes.append(tuple(int(i) for i in prefix))
            self.passed.append((prefix, self.prefixes[-1]))
        except (TypeError, ValueError):
            pass
        return self.step(prefix)

    def changed(self):
        """(what a prefix held when fn passed it, what it holds now) for the first prefix
        object fn changed after passing it to step, or None."""
        for prefix, then in self.passed:
            try:
                now = tuple(int(i) for i in prefix)
            except (TypeError, ValueError):
                continue
            if now != then:
                return then, now
        return None

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return repr(self.step)


def recorded(fn, inputs, **changes):
    """((ids, log_p) or None if fn fails, the Recording of the step fn was given)."""
    recording = Recording(inputs["step"])
    changed = {**inputs, **changes, "step": recording}
    try:
        got = read(call(fn, NAME, tuple(args_of(changed)), case_text(changed), HINT), changed)
    except CheckFailure:
        return None, recording
    return (got["ids"], got["log_p"]), recording


def traced(fn, inputs, **changes):
    """((ids, log_p) or None if fn fails, the prefixes fn called step with, in the order of
    the calls, repeats kept)."""
    got, recording = recorded(fn, inputs, **changes)
    return got, recording.prefixes


def changed_prefix(fn, cases):
    """(case, then, now) for the first case where fn changes a prefix after passing it to
    step (a list extended in place, shared by the candidates made from it), or None."""
    for c in cases:
        change = recorded(fn, c)[1].changed()
        if change:
            return c, *change
    return None


def lecture_calls(inputs, **changes):
    """The prefixes the lecture's search calls step with: every prefix its beam keeps."""
    recording = Recording(inputs["step"])
    search(recording, *args_of(inputs, **changes)[1:])
    return set(recording.prefixes)


def log_prob(step, ids, add_probs=False):
    total, prefix = 0.0, ()
    for y in ids:
        logs = step(prefix)
        total += float(np.exp(logs[y]) if add_probs else logs[y])
        prefix += (y,)
    return total


def scored(inputs):
    """{sequence: log P} for every candidate the lecture's search scores (every extension of
    every prefix it keeps)."""
    step = inputs["step"]
    return {prefix + (y,): log_prob(step, prefix) + float(logs)
            for prefix in lecture_calls(inputs) for y, logs in enumerate(step(prefix))}


def full(inputs):
    return inputs["step"].n_y ** inputs["n"]


@functools.cache
def one_step_cases(count=3):
    """Cases with an end symbol where keeping beam_width prefixes but extending each with the
    first prefix's step gives another result than greedy decoding (and than beam search)."""
    found, seed = [], 0
    while len(found) < count and seed < 500:
        sizes = {"n": 3 + seed % 2, "n_y": 3 + seed % 2, "width": 1 + seed % 2, "end": 1,
                 "alpha": seed % 2}
        inputs = build(sizes, np.random.default_rng(seed), False)
        args = args_of(inputs)
        one = search(*args, one_step=True)[0]
        if one != search(*args)[0] and one != search(*args_of(inputs, beam_width=1))[0]:
            found.append(inputs)
        seed += 1
    return tuple(found)


@functools.cache
def length_cases(count=3):
    """Cases with an end symbol whose final pool holds sequences both shorter and longer than
    the winner without normalisation: any normalisation that favours a length shows there."""
    found, seed = [], 0
    while len(found) < count and seed < 500:
        sizes = {"n": 4, "n_y": 3, "width": 1 + seed % 2, "end": 1, "alpha": 0}
        inputs = build(sizes, np.random.default_rng(1000 + seed), False)
        winner = search(*args_of(inputs))[0]
        lengths = {len(c) for c in search(*args_of(inputs), pool_only=True)}
        if min(lengths) < len(winner) < max(lengths):
            found.append(inputs)
        seed += 1
    return tuple(found)
