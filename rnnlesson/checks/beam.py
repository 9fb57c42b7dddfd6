"""Checks of exercise 13: beam search over a step function, with an end symbol.

The learner's beam_search(step, n, beam_width, end=None, length_norm=0.0) -> (ids, log_p):
step(prefix) gives the log-probabilities (n_y,) of the next symbol after prefix, a tuple of
the ids written so far. The beam keeps the beam_width best extensions over the whole beam,
scored by summed log-probabilities; an extension that writes `end` is finished and leaves the
beam; after n steps (or when the beam is empty) the winner among the finished and the open
sequences has the highest log P / L**length_norm (L its length, counting `end`). ids: the
winner's ids (ending with `end` if it finished), log_p its log P, not normalised.

The test models are random but fixed functions of the prefix, so that no two candidates tie.
"""

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    call,
    mistake,
    one_message,
    passed,
    shape_text,
)

NAME = "beam_search"


def random_model(seed, n_y=4, sharpness=1.5):
    """step(prefix) -> log-probabilities (n_y,), the same for the same prefix every time."""

    def step(prefix):
        rng = np.random.default_rng([seed, len(prefix), *[int(i) for i in prefix]])
        logits = sharpness * rng.normal(size=n_y)
        return logits - np.log(np.sum(np.exp(logits)))

    return step


TOY_MODEL = random_model(0, n_y=3)


def search(step, n, beam_width, end=None, length_norm=0.0, per_beam=False, add_probs=False,
           through_end=False, ignore_finished=False, length_without_end=False):
    """Beam search (the flags give the typical mistakes): (ids tuple, log P, the winner's
    normalised score, the score the beam was pruned by)."""
    beams, finished = [((), 0.0, 0.0)], []  # (prefix, log P, the score pruned by)
    for _ in range(n):
        candidates = []
        for prefix, log_p, score in beams:
            logs = step(prefix)
            extensions = [(prefix + (y,), log_p + logs[y],
                           score + (np.exp(logs[y]) if add_probs else logs[y]))
                          for y in range(len(logs))]
            if per_beam:
                extensions = sorted(extensions, key=lambda c: -c[2])[:beam_width]
            candidates += extensions
        kept = candidates if per_beam else sorted(candidates, key=lambda c: -c[2])[:beam_width]
        if end is not None and not through_end:
            finished += [c for c in kept if c[0][-1] == end]
            kept = [c for c in kept if c[0][-1] != end]
        beams = kept
        if not beams:
            break
    pool = beams + ([] if ignore_finished else finished) or finished

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


def run(fn, step, n, beam_width, end, length_norm):
    sizes = f"n = {n}, beam_width = {beam_width}, end = {end}, length_norm = {length_norm}"
    result = call(fn, NAME, (step, n, beam_width, end, length_norm), sizes,
                  hint="step(prefix) takes a tuple of ids and returns an array (n_y,).")
    ids, log_p = assert_returns(NAME, result, 2, "ids, log_p")
    try:
        ids = tuple(int(i) for i in ids)
        log_p = float(log_p)
    except (TypeError, ValueError):
        raise mistake(NAME, "wrong-return", f"{NAME} should return ids, a sequence of ints, and "
                      f"log_p, a number; received {shape_text(ids)} and {shape_text(log_p)}."
                      ) from None
    return ids, log_p


def show(ids):
    return "(" + ", ".join(str(i) for i in ids) + ")"


VARIANTS = [
    ("best-per-beam", {"per_beam": True}, "the beam kept the beam_width best extensions of each "
     "prefix. Keep the beam_width best over the whole beam: pool every prefix's extensions, "
     "then take the best beam_width of them all."),
    ("probabilities-added", {"add_probs": True}, "the scores add probabilities. A sequence's "
     "score is the sum of its log-probabilities, log P = sum_t log p(y_t | y_<t): add what "
     "step returns, as it is."),
    ("continues-after-end", {"through_end": True}, "a sequence that wrote the end symbol was "
     "extended further. It is finished: take it out of the beam and keep it aside."),
    ("length-without-end", {"length_without_end": True}, "the length L of a finished "
     "sequence should count its end symbol: divide log P by L**length_norm with L = len(ids)."),
    ("finished-ignored", {"ignore_finished": True}, "the winner was chosen among the open "
     "sequences only. The sequences that ended with the end symbol compete too."),
]


def compare(fn, step, n, beam_width, end, length_norm, otherwise=None):
    """Run fn and name its mistake if it differs from beam search; otherwise(ids, log_p) is
    the failure to raise when no typical mistake explains the difference."""
    ids, log_p = run(fn, step, n, beam_width, end, length_norm)
    want_ids, want_log_p, want_score, _ = search(step, n, beam_width, end, length_norm)
    if ids != want_ids:
        if end is not None and end in ids[:-1]:
            raise mistake(NAME, VARIANTS[2][0], f"{NAME}: {VARIANTS[2][2]}")
        for slug, flags, text in VARIANTS if otherwise is None else ():
            if search(step, n, beam_width, end, length_norm, **flags)[0] == ids:
                raise mistake(NAME, slug, f"{NAME}: {text}")
        if length_norm and ids == search(step, n, beam_width, end, 0.0)[0]:
            raise mistake(NAME, "length-norm-ignored", f"{NAME}: with length_norm = "
                          f"{length_norm} the winner should have the highest log P / "
                          "L**length_norm; yours is the winner without normalisation.")
        if beam_width > 1 and ids == greedy(step, n, end)[0]:
            raise mistake(NAME, "greedy-only", f"{NAME} with beam_width = {beam_width} returned "
                          "the greedy sequence: keep beam_width prefixes at every step, not "
                          "only the best one.")
        if otherwise:
            raise otherwise(ids, log_p)
        raise mistake(NAME, "wrong-sequence", f"{NAME} returned {show(ids)} for {n} steps, "
                      f"beam_width = {beam_width}, end = {end}, length_norm = {length_norm}; "
                      f"beam search finds {show(want_ids)}.")
    if not np.isclose(log_p, want_log_p, rtol=1e-9, atol=1e-9):
        if np.isclose(log_p, want_score, rtol=1e-9, atol=1e-9):
            raise mistake(NAME, "score-normalised", f"{NAME}: the sequence is right but log_p "
                          "is its normalised score; return its log P, the plain sum of its "
                          f"log-probabilities ({want_log_p:.4f}).")
        if np.isclose(log_p, np.exp(want_log_p), rtol=1e-9, atol=1e-12):
            raise mistake(NAME, "log-p-exponentiated", f"{NAME}: the sequence is right but "
                          "log_p is its probability exp(log P); return the log-probability "
                          f"itself, the sum of what step returned ({want_log_p:.4f}).")
        added = search(step, n, beam_width, end, length_norm, add_probs=True)
        if added[0] == ids and np.isclose(log_p, added[3], rtol=1e-9, atol=1e-9):
            raise mistake(NAME, "probabilities-added", f"{NAME}: {VARIANTS[1][2]}")
        if otherwise:
            raise otherwise(ids, log_p)
        raise mistake(NAME, "wrong-log-p", f"{NAME}: the sequence is right but log_p should be "
                      f"the sum of its log-probabilities, {want_log_p:.4f}; received {log_p!r}.")


@one_message(NAME)
def check_beam_search_greedy(beam_search):
    """beam_width = 1 writes what greedy decoding writes, with its log P."""
    for seed, end in ((4, None), (1, 0)):  # where a beam of 2 is not greedy
        step = random_model(seed)
        want_ids, want_log_p = greedy(step, 5, end)

        def not_greedy(ids, log_p, end=end, want_ids=want_ids, want_log_p=want_log_p):
            return mistake(NAME, "width-one-not-greedy", f"{NAME} with beam_width = 1 should "
                           f"write the greedy sequence {show(want_ids)} with log P "
                           f"{want_log_p:.4f} (end = {end}); received {show(ids)} with log_p "
                           f"{log_p:.4f}. One prefix, extended by its most likely symbol.")

        compare(beam_search, step, 5, 1, end, 0.0, otherwise=not_greedy)
    passed(NAME)


# (seed, n_y, sharpness, n, beam_width, end, length_norm): chosen so that greedy decoding and
# each mistake give another sequence than beam search on at least one of them
CASES = [
    (34, 4, 1.0, 4, 2, None, 0.0),
    (57, 4, 1.5, 5, 2, 0, 0.0),
    (32, 4, 1.5, 5, 2, 0, 1.0),
]


@one_message(NAME)
def check_beam_search(beam_search):
    """Beam search against the reference on fixed random models, with and without an end
    symbol and length normalisation."""
    for seed, n_y, sharpness, n, beam_width, end, length_norm in CASES:
        compare(beam_search, random_model(seed, n_y, sharpness), n, beam_width, end,
                length_norm)
    passed(NAME)
