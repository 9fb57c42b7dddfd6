"""Checks of exercise 13: beam search over a step function, with an end symbol.

The learner's beam_search(step, n, beam_width, end=None, length_norm=0.0) -> (ids, log_p):
step(prefix) gives the log-probabilities (n_y,) of the next symbol after prefix, a tuple of
the ids written so far. At each step the beam keeps the beam_width best extensions over the
whole beam, scored by summed log-probabilities; an extension that writes `end` is finished and
leaves the beam, which refills at the next step (beam_width best extensions of what is left);
after n steps (or when the beam is empty) the winner among the finished and the open
sequences has the highest log P / L**length_norm (L its length, counting `end`). ids: the
winner's ids (ending with `end` if it finished), log_p its log P, not normalised.

The general check (`_differential`) runs the learner's function against `search` on random
fixed models; `beam_diagnosis` then names the rule at fault from probes (no end symbol, every
prefix kept, other length_norm, fewer steps). The models are random, so no two candidates tie.
"""

import warnings

import numpy as np

from rnnlesson.checks._common import assert_returns, mistake, one_message, passed, shape_text
from rnnlesson.checks._differential import Case, Spec, run, shrink

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
           no_refill=False, finished_first=False, pool_only=False):
    """Beam search (the flags give typical mistakes): (ids tuple, log P, the winner's
    normalised score, the score the beam was pruned by); pool_only: the final pool instead."""
    beams, finished = [((), 0.0, 0.0)], []  # (prefix, log P, the score pruned by)
    width = beam_width
    for _ in range(n):
        candidates = []
        for prefix, log_p, score in beams:
            logs = step(prefix)
            extensions = [(prefix + (y,), log_p + logs[y],
                           score + (np.exp(logs[y]) if add_probs else logs[y]))
                          for y in range(len(logs))]
            if per_beam:
                extensions = sorted(extensions, key=lambda c: -c[2])[:width]
            candidates += extensions
        kept = candidates if per_beam else sorted(candidates, key=lambda c: -c[2])[:width]
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
FULL = "every prefix kept"


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


def found_cases(spec, fn, count, seed):
    """Up to three failing (Case, outcome) pairs of one kind, the first found first."""
    fixed = [Case(sizes, s, False) for sizes, s in FIXED if spec is SPEC]
    rng = np.random.default_rng(seed)
    drawn = [Case({k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in spec.sizes.items()},
                  int(rng.integers(2**31)), False) for _ in range(count)]
    found = []
    for case in fixed + drawn:
        outcome = run(spec, fn, case.inputs(spec))
        if outcome.failure is None and not outcome.wrong:
            continue
        kind = outcome.failure.mistake if outcome.failure else None
        if found and kind != (found[0][1].failure.mistake if found[0][1].failure else None):
            continue
        found.append((case, outcome))
        if len(found) == 3:
            break
    return found


def general(fn, spec=None, count=80, seed=0):
    """The general check: raise the explained failure of the smallest failing case."""
    spec = spec or SPEC
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the learner's nan or overflow is theirs to see
        found = found_cases(spec, fn, count, seed)
        if not found:
            return
        case, outcome = shrink(spec, fn, *found[0])
        if outcome.failure is not None:
            raise mistake(NAME, outcome.failure.mistake.split("/", 1)[1],
                          f"{outcome.failure.message}\nSmallest case where it happens: "
                          f"{case_text(case.inputs(spec))}.") from None
        inputs = [case.inputs(spec)] + [c.inputs(spec) for c, _ in found]
        raise beam_diagnosis(fn, inputs) from None


# --- the diagnosis: which rule the probes show at fault ---------------------------------------

def case_text(inputs):
    return (f"n = {inputs['n']}, beam_width = {inputs['beam_width']}, end = {inputs['end']}, "
            f"length_norm = {inputs['length_norm']}, step = {inputs['step']!r}")


def learners(fn, inputs, **changes):
    """(ids, log_p) of fn on inputs with changes, or None if it fails there."""
    outcome = run(SPEC, fn, {**inputs, **changes})
    return None if outcome.failure else (outcome.got["ids"], outcome.got["log_p"])


def agrees(fn, inputs, **changes):
    changed = {**inputs, **changes}
    outcome = run(SPEC, fn, changed)
    return outcome.failure is None and not outcome.wrong


def log_prob(step, ids, add_probs=False):
    total, prefix = 0.0, ()
    for y in ids:
        logs = step(prefix)
        total += float(np.exp(logs[y]) if add_probs else logs[y])
        prefix += (y,)
    return total


def full(inputs):
    return inputs["step"].n_y ** inputs["n"]


def variant_matches(fn, cases, **flags):
    """Whether fn gives what the variant of search with flags gives on every case (where the
    variant differs from beam search on one at least)."""
    differs = False
    for inputs in cases:
        args = [inputs[k] for k in ("step", "n", "beam_width", "end", "length_norm")]
        want = search(*args, **flags)
        got = learners(fn, inputs)
        if got is None or got[0] != want[0] or not np.isclose(got[1], want[1], rtol=1e-9,
                                                               atol=1e-9):
            return False
        differs |= want[0] != search(*args)[0]
    return differs


def winner_rule(fn, cases):
    """The specific sentence for a winner chosen wrongly from the right final pool, or None."""
    rules = [
        ("length-norm-ignored", dict(length_norm=0.0), "the winner should have the highest log "
         "P / L**length_norm; yours is the winner without normalisation."),
        ("finished-ignored", dict(ignore_finished=True), "the winner was chosen among the open "
         "sequences only. The sequences that ended with the end symbol compete too."),
        ("open-excluded", dict(finished_first=True), "once a sequence has finished, the winner "
         "was taken from the finished sequences only. The prefixes still open after n steps "
         "compete with them: the winner is the best of both."),
        ("length-without-end", dict(length_without_end=True), "the length L of a finished "
         "sequence should count its end symbol: divide log P by L**length_norm with "
         "L = len(ids)."),
    ]
    for slug, flags, text in rules:
        if "length_norm" in flags:
            if all(learners(fn, c) == reference_beam_search(
                    c["step"], c["n"], c["beam_width"], c["end"], 0.0) for c in cases) \
                    and any(c["length_norm"] for c in cases):
                return slug, text
        elif variant_matches(fn, cases, **flags):
            return slug, text
    return None


def kept_width(fn, cases):
    """How many prefixes the learner's search keeps when it keeps another number than
    beam_width: 1, "beam_width + 1" or "beam_width - 1" (its results those of the lecture's
    with that width on every case), or None."""

    def as_if(width_of):
        return all(learners(fn, c) is not None and learners(fn, c)[0] == reference_beam_search(
            c["step"], c["n"], width_of(c["beam_width"]), c["end"], c["length_norm"])[0]
            for c in cases)

    if any(c["beam_width"] > 1 for c in cases) and as_if(lambda w: 1):
        return 1
    for label, offset in (("beam_width + 1", 1), ("beam_width - 1", -1)):
        if all(c["beam_width"] + offset >= 1 for c in cases) and as_if(
                lambda w, offset=offset: w + offset):
            return label
    return None


def first_length(fn, inputs):
    """The first number of steps n' <= n at which fn's result differs, or None."""
    for steps in range(1, inputs["n"] + 1):
        if not agrees(fn, inputs, n=steps):
            return steps
    return None


def beam_diagnosis(fn, cases):
    """The CheckFailure for fn, which differs on cases[0] (the smallest case) and on the
    others (witnesses): the rule at fault, from what fn's results and the probes show."""
    inputs = cases[0]
    step, n, width, end, alpha = (inputs[k] for k in ("step", "n", "beam_width", "end",
                                                      "length_norm"))
    want_ids, want_log_p = reference_beam_search(step, n, width, end, alpha)
    ids, log_p = learners(fn, inputs)
    first = first_length(fn, inputs)
    agreed = {1: "", 2: " (n = 1 agrees)"}.get(first, f" (n = 1 to {first - 1} agree)") \
        if first else ""
    where = f"; yours first differs with n = {first}{agreed}" if first and n > 1 else ""
    lines = [f"Smallest case found: {case_text(inputs)}{where}.",
             f"The lecture's winner {show(want_ids)} with log P {want_log_p:.4f}; yours "
             f"{show(ids)} with log_p {log_p:.4f}."]

    def fail(slug, text):
        return mistake(NAME, slug, "\n".join([f"{NAME}: {text}"] + lines))

    if end is not None and end in ids[:-1]:
        return fail("continues-after-end", "a sequence that wrote the end symbol was extended "
                    "further. It is finished: take it out of the beam and keep it aside.")
    if len(ids) > n or any(not 0 <= y < step.n_y for y in ids):
        return fail("not-a-sequence", f"ids should be at most n = {n} symbols, each an id "
                    f"below n_y = {step.n_y}.")
    # log_p must be the log P of the ids returned: read from the step function itself
    true_log_p = log_prob(step, ids)
    results = [(c, learners(fn, c)) for c in cases]
    results = [(c, got) for c, got in results if got is not None]

    def every(value):  # value(case, ids) matches log_p on every case
        return all(np.isclose(got[1], value(c, got[0]), rtol=1e-9, atol=1e-12)
                   for c, got in results)

    if not np.isclose(log_p, true_log_p, rtol=1e-9, atol=1e-9):
        if ids == want_ids and every(
                lambda c, i: log_prob(c["step"], i) / len(i) ** c["length_norm"]):
            return fail("score-normalised", "the sequence is right but log_p is its normalised "
                        "score; return its log P, the plain sum of its log-probabilities.")
        if every(lambda c, i: np.exp(log_prob(c["step"], i))):
            return fail("log-p-exponentiated", "log_p is the probability exp(log P); return "
                        "the log-probability itself, the sum of what step returned.")
        if every(lambda c, i: log_prob(c["step"], i, add_probs=True)):
            return fail("probabilities-added", "the scores add probabilities. A sequence's "
                        "score is the sum of its log-probabilities, log P = sum_t log p(y_t | "
                        "y_<t): add what step returns, as it is.")
        return fail("log-p-wrong", f"log_p should be the log P of the ids you return, the "
                    f"sum of step's log-probabilities along them: {true_log_p:.4f} for "
                    f"{show(ids)}.")
    if len(ids) < n and (end is None or not ids or ids[-1] != end):
        return fail("stops-early", f"ids has {len(ids)} symbol{'s' * (len(ids) != 1)} and "
                    "does not end with the end "
                    f"symbol: an open prefix is extended at each of the n = {n} steps.")
    # the search without an end symbol (all sequences of length n): scoring and pruning
    plain = [dict(c, end=None, length_norm=0.0) for c in cases]
    if not all(agrees(fn, c) for c in plain):
        if variant_matches(fn, plain, per_beam=True):
            return fail("best-per-beam", "the beam kept the beam_width best extensions of each "
                        "prefix. Keep the beam_width best over the whole beam: pool every "
                        "prefix's extensions, then take the best beam_width of them all.")
        kept = kept_width(fn, plain)
        if kept == 1:
            return fail("greedy-only", "yours writes the greedy sequence whatever beam_width: "
                        "keep beam_width prefixes at every step, not only the best one.")
        if kept is not None:
            return fail("pruning-wrong", f"yours keeps {kept} prefixes at each step, not "
                        "beam_width: the fault is in the pruning. Keep the beam_width "
                        "extensions with the highest log P, over the whole beam.")
        if all(agrees(fn, c, beam_width=full(c)) for c in plain):
            return fail("pruning-wrong", "with end = None and length_norm = 0 yours agrees when "
                        "every prefix is kept but not with beam_width prefixes: the fault is "
                        "in the pruning. Keep the beam_width extensions with the highest log P, "
                        "over the whole beam.")
        return fail("candidates-wrong", "with end = None, length_norm = 0 and every prefix "
                    "kept, beam search tries every sequence and must find the most likely; "
                    "yours misses it. The fault is in the candidates or their scores: every "
                    "prefix of the beam extended by every symbol (two prefixes that end with "
                    "the same symbol are two candidates), scored log P(prefix) + log p(y | "
                    "prefix).")
    # without an end symbol every sequence has length n: normalising must change nothing
    wrong_alphas = [a for a in (0.5, 1.0, 2.0) if not all(
        agrees(fn, c, end=None, length_norm=a) for c in cases)]
    if wrong_alphas:
        return fail("normalisation-wrong", f"with end = None every sequence has length L = n, "
                    f"so dividing by L**length_norm cannot change the winner, yet with "
                    f"length_norm = {wrong_alphas[0]} yours changes it (with length_norm = 0 it "
                    "agrees). The fault is in the normalisation: score log P / L**length_norm, "
                    "log P divided by a power of the length.")
    if variant_matches(fn, cases, no_refill=True):
        return fail("beam-not-refilled", "yours agrees until sequences finish; after that it "
                    "keeps fewer prefixes. Finished sequences leave the beam, but the next step "
                    "keeps beam_width extensions again (the beam refills): only an empty beam "
                    "stops early.")
    pool = all(learners(fn, c)[0] in search(*(c[k] for k in ("step", "n", "beam_width", "end",
                                                             "length_norm")), pool_only=True)
               for c in cases if learners(fn, c) is not None)
    if pool:
        found = winner_rule(fn, [dict(c, length_norm=a) for c in cases
                                 for a in {c["length_norm"], 0.5, 1.0, 2.0}])
        if found:
            return fail(*found)
        if not all(len(learners(fn, c, length_norm=50.0)[0]) >= len(reference_beam_search(
                c["step"], c["n"], c["beam_width"], c["end"], 50.0)[0]) for c in cases):
            return fail("finished-handling-wrong", "with length_norm = 50, where the longest "
                        "sequences win, yours returns a shorter one than the lecture's: your "
                        "search stops too soon. A finished sequence leaves the beam; the others "
                        "go on until n steps, or until the beam is empty.")
        if all(agrees(fn, c, length_norm=0.0) for c in cases):
            return fail("normalisation-wrong", "your winner is among the sequences that "
                        "compete at the end, the same as the lecture's with length_norm = 0, "
                        f"but not with length_norm = {alpha}: the fault is in the normalisation. "
                        "The winner "
                        "has the highest log P / L**length_norm, L its length counting end.")
        return fail("winner-wrong", "your winner is among the sequences that compete at "
                    "the end but is not the best: the finished sequences and those still open "
                    "after n steps all compete, by log P / L**length_norm (L counting end).")
    if all(agrees(fn, c, beam_width=full(c)) for c in cases):
        return fail("pruning-with-end-wrong", "yours agrees without an end symbol and when every "
                    "prefix is kept, not when sequences finish in a beam that is pruned: the "
                    "fault is in pruning to the width at those steps. Keep the beam_width best "
                    "extensions (finished ones included); the finished leave the beam, and the "
                    "next step keeps beam_width again.")
    return fail("finished-handling-wrong", "yours agrees without an end symbol but not with "
                "one, even when every prefix is kept: the fault is in how finished sequences "
                "are handled. An extension that writes end is finished: it leaves the beam, "
                "is not extended, and competes for the win at the end.")


@one_message(NAME)
def check_beam_search_greedy(beam_search):
    """beam_width = 1 writes what greedy decoding writes, with its log P (random cases)."""
    general(beam_search, GREEDY_SPEC, count=30)
    passed(NAME)


@one_message(NAME)
def check_beam_search(beam_search):
    """Beam search against the reference on random fixed models: widths 1, 2, 3 and every
    prefix, with and without an end symbol, length_norm from 0 to 2."""
    general(beam_search)
    passed(NAME)
