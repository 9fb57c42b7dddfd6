"""Checks of exercise 13: beam search over a step function, with an end symbol.

The learner's beam_search(step, n, beam_width, end=None, length_norm=0.0) -> (ids, log_p):
step(prefix) gives the log-probabilities (n_y,) of the next symbol after prefix, a tuple of
the ids written so far. At each step the beam keeps the beam_width best extensions over the
whole beam, scored by summed log-probabilities; an extension that writes `end` is finished and
leaves the beam, which refills at the next step (beam_width best extensions of what is left);
after n steps (or when the beam is empty) the winner among the finished and the open
sequences has the highest log P / L**length_norm (L its length, counting `end`). ids: the
winner's ids (ending with `end` if it finished), log_p its log P, not normalised.

The general check (`beam_general`) runs the learner's function against the lecture's search on
random fixed models; `beam_diagnosis` then names the rule at fault from probes: the learner's
result with no end symbol, every prefix kept, other length_norm, fewer steps, and the prefixes
it calls step with (the lecture's search calls step once for each prefix its beam keeps). The
models are random, so no two candidates tie.
"""

import warnings

import numpy as np

from rnnlesson.checks._common import mistake, one_message, passed
from rnnlesson.checks._differential import run, shrink
from rnnlesson.checks.beam_general import (
    GREEDY_SPEC,
    NAME,
    SPEC,
    TOY_MODEL,
    agrees,
    args_of,
    case_text,
    changed_prefix,
    found_cases,
    full,
    greedy,
    learners,
    lecture_calls,
    length_cases,
    log_prob,
    one_step_cases,
    random_model,
    reference_beam_search,
    scored,
    search,
    show,
    traced,
)

__all__ = ["TOY_MODEL", "check_beam_search", "check_beam_search_greedy", "greedy",
           "random_model", "reference_beam_search"]


def general(fn, spec=None, count=80, seed=0):
    """The general check: raise the explained failure of the smallest failing case."""
    spec = spec or SPEC
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the learner's nan or overflow is theirs to see
        found = found_cases(spec, fn, count, seed)
        if not found:
            return
        case, outcome = shrink(spec, fn, *found[0])
        if outcome.failure is not None and outcome.failure.mistake.endswith("/raises-error"):
            # a crash on some cases may be the symptom of a rule that the cases where fn
            # returns show: name that rule, and the crash as one more of its effects
            named = crash_cause(fn, spec, count, seed)
            if named is not None:
                crash = outcome.failure.message.splitlines()[0].replace(f"your {NAME} ", "")
                text = named.message.splitlines()
                text.insert(1, f"With {case_text(case.inputs(spec))}, yours {crash}")
                raise mistake(NAME, named.mistake.split("/", 1)[1], "\n".join(text)) from None
        if outcome.failure is not None:
            raise mistake(NAME, outcome.failure.mistake.split("/", 1)[1],
                          f"{outcome.failure.message}\nSmallest case where it happens: "
                          f"{case_text(case.inputs(spec))}.") from None
        inputs = [case.inputs(spec)] + [c.inputs(spec) for c, _ in found]
        raise beam_diagnosis(fn, inputs) from None


def crash_cause(fn, spec, count, seed):
    """The diagnosis of the cases where fn returns but differs (those of spec, then of the
    whole check's), or None if fn is right wherever it returns."""
    for where in (spec, SPEC):
        found = found_cases(where, fn, count, seed, values_only=True)
        if found:
            case, _ = shrink(where, fn, *found[0])
            return beam_diagnosis(fn, [case.inputs(where)] + [c.inputs(where) for c, _ in found])
    return None


# --- the diagnosis: which rule the probes show at fault ---------------------------------------

def shows(prefixes):
    return ", ".join(show(p) for p in sorted(prefixes))


def probe_text(case, inputs):
    """How a message names a probe's case: by what differs from the smallest case."""
    if case["step"] is not inputs["step"]:
        return f" (with {case_text(case)})"
    changed = [f"{k} = {case[k]}" for k in ("n", "beam_width", "end", "length_norm")
               if case[k] != inputs[k]]
    return f" (with {', '.join(changed)})" if changed else ""


def variant_matches(fn, cases, **flags):
    """Whether fn gives what the variant of search with flags gives on every case (where the
    variant differs from beam search on one at least)."""
    differs = False
    for inputs in cases:
        want = search(*args_of(inputs), **flags)
        got = learners(fn, inputs)
        if got is None or got[0] != want[0] or not np.isclose(got[1], want[1], rtol=1e-9,
                                                               atol=1e-9):
            return False
        differs |= want[0] != search(*args_of(inputs))[0]
    return differs


def winner_rule(fn, cases):
    """The specific sentence for a winner chosen wrongly from the right final pool, or None."""
    rules = [
        ("finished-ignored", dict(ignore_finished=True), "the winner was chosen among the open "
         "sequences only. The sequences that ended with the end symbol compete too."),
        *[(f"only-{group}-normalised", dict(normalise_only=group), f"only the {group} "
           f"sequences' scores were divided by L**length_norm; the {other} ones competed with "
           "their raw log P. Every candidate, finished or still open, competes by the same "
           "score: log P / L**length_norm, L = len(ids).")
          for group, other in (("finished", "open"), ("open", "finished"))],
        ("open-excluded", dict(finished_first=True), "once a sequence has finished, the winner "
         "was taken from the finished sequences only. The prefixes still open after n steps "
         "compete with them: the winner is the best of both."),
        ("length-without-end", dict(length_without_end=True), "the length L of a finished "
         "sequence should count its end symbol: divide log P by L**length_norm with "
         "L = len(ids)."),
    ]
    ignored = [dict(c, length_norm=a) for c in length_cases() for a in (1.0, 50.0)]
    if any(c["length_norm"] for c in cases) and all(learners(fn, c) == reference_beam_search(
            *args_of(c, length_norm=0.0)) for c in [*cases, *ignored]):
        return ("length-norm-ignored", "the winner should have the highest log P / "
                "L**length_norm; yours is the winner without normalisation.")
    matched = separated(fn, [r for r in rules if variant_matches(fn, cases, **r[1])])
    return (matched[0][0], matched[0][2]) if matched else None


def separated(fn, rules, tries=400):
    """The rules (slug, flags, text) among several that each fit the cases so far that still
    fit fn on random cases where their variants pick different winners: readings that agree
    on the cases seen are told apart; none if fn fits none of them there."""
    rng = np.random.default_rng(11)
    for _ in range(tries):
        if len(rules) < 2:
            break
        sizes = {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in SPEC.sizes.items()}
        inputs = SPEC.build(sizes, rng, False)
        winners = {slug: search(*args_of(inputs), **flags)[0] for slug, flags, _ in rules}
        if len(set(winners.values())) < 2:
            continue
        got = learners(fn, inputs)
        fitting = [r for r in rules if got is not None and winners[r[0]] == got[0]]
        if not fitting:  # none of them is what fn does
            return []
        rules = fitting
    return rules


def kept_width(fn, cases):
    """How many prefixes the learner's search keeps when it keeps another number than
    beam_width: 1, "beam_width + 1" or "beam_width - 1" (its results those of the lecture's
    with that width on every case), or None. One prefix only if it writes greedy's sequence
    also where a beam that extends every prefix with one prefix's step does not."""

    def as_if(width_of, cases=cases):
        return all(learners(fn, c) is not None and learners(fn, c)[0] == reference_beam_search(
            *args_of(c, beam_width=width_of(c["beam_width"])))[0] for c in cases)

    if any(c["beam_width"] > 1 for c in cases) and as_if(lambda w: 1) and as_if(
            lambda w: 1, one_step_cases()):
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


def ids_fault(fn, cases, want_ids):
    """The sentence for ids that are not the sequence whose log P the learner returns: log_p
    is the log P of a candidate the search scores (the winner, say), ids another. None if
    log_p is no candidate's."""
    if learners(fn, cases[0])[0] == want_ids:
        return None
    matched = []
    for c in cases:
        got = learners(fn, c)
        if got is None or got[0] == reference_beam_search(*args_of(c))[0]:
            continue
        same = [s for s, lp in scored(c).items() if np.isclose(lp, got[1], rtol=1e-9,
                                                                  atol=1e-12)]
        if not same or got[0] in same:
            if not matched:
                return None
            continue
        matched.append((c, got[0], same[0]))
    _, ids, seq = matched[0]

    def every(relation):
        return all(relation(c, i, s) for c, i, s in matched)

    text = (f"your log_p is the log P of {show(seq)}, a sequence the search scores, but ids is "
            f"{show(ids)}: the fault is in ids.")
    if every(lambda c, i, s: s[-1] == c["end"] and i == s[:-1]):
        return text + " ids should end with end when the winner finished; yours drops it."
    if every(lambda c, i, s: i == s[::-1]):
        return text + " Yours is reversed: ids lists the winner's symbols in the order written."
    if every(lambda c, i, s: len(i) < len(s) and s[len(s) - len(i):] == i):
        return text + (" Yours holds only its last symbols: a candidate is the whole prefix "
                       "extended, prefix + (y,).")
    return text + " Return the winner's ids with its log P."


def unasked_prefix(fn, cases):
    """(case, ids, a prefix of ids step was never called with) on the first case where fn
    returns a sequence extending a prefix it did not ask step about, or None."""
    for c in cases:
        got, calls = traced(fn, c)
        if got is None:
            continue
        missing = [got[0][:k] for k in range(len(got[0])) if got[0][:k] not in calls]
        if missing:
            return c, got[0], missing[0]
    return None


def one_call_per_step(fn, cases):
    """(case, t, the lecture's prefixes of length t, fn's) on the first case where fn calls
    step with one prefix at each step, while the lecture's beam extends several at step t + 1
    (so fn, unless it keeps one prefix, extends them all with one prefix's step). None
    otherwise."""
    for c in cases:
        got, calls = traced(fn, c)
        if got is None:
            continue
        want = lecture_calls(c)
        lengths = [{p for p in calls if len(p) == t} for t in range(c["n"])]
        if all(len(mine) <= 1 for mine in lengths):
            for t, mine in enumerate(lengths):
                theirs = {p for p in want if len(p) == t}
                if len(theirs) > 1:
                    return c, t, theirs, mine
    return None


def stops_at(fn, cases):
    """(case, t, the open prefixes of length t the lecture's beam extends) on the first case
    where fn calls step with no prefix of length t or longer, or None."""
    for c in cases:
        got, calls = traced(fn, c)
        if got is None:
            continue
        reached = longest(calls)
        later = {p for p in lecture_calls(c) if len(p) == reached + 1}
        if later:
            return c, reached + 1, later
    return None


def came_back(calls):
    """Whether step was called on a prefix shorter than one before it: prefixes of an
    earlier step extended again (calls: in the order made)."""
    return any(len(b) < len(a) for a, b in zip(calls, calls[1:], strict=False))


def longest(calls):
    """The length of the longest prefix step was called with (-1: never called)."""
    return max((len(p) for p in calls), default=-1)


def ran_every_step(calls, inputs):
    """Whether step was called on prefixes of length n - 1: the search ran all n steps."""
    return longest(calls) >= inputs["n"] - 1


def beam_diagnosis(fn, cases):
    """The CheckFailure for fn, which differs on cases[0] (the smallest case) and on the
    others (witnesses): the rule at fault, from what fn's results and the probes show."""
    inputs = cases[0]
    step, n, width, end, alpha = args_of(inputs)
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

    shared = changed_prefix(fn, cases)
    if shared:
        c, then, now = shared
        return fail("prefix-shared", f"yours called step({list(then)!r}){probe_text(c, inputs)}"
                    f" and afterwards that same list held {list(now)!r}: extending a prefix in "
                    "place (.append, +=) changes the one list that every candidate made from "
                    "it holds, and the prefix step was given. Make a new sequence for each "
                    "extension: prefix + [y] (or a tuple, prefix + (y,)).")
    if end is not None and end in ids[:-1]:
        zero = (" Here end = 0: a test written `if end and ...` takes the id 0 for no end "
                "symbol at all; test `end is not None`.") if end == 0 else ""
        return fail("continues-after-end", "a sequence that wrote the end symbol was extended "
                    "further. It is finished: take it out of the beam and keep it aside."
                    + zero)
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
        text = ids_fault(fn, cases, want_ids)
        if text:
            return fail("ids-wrong", text)
    unasked = unasked_prefix(fn, cases)
    if unasked:
        c, seq, prefix = unasked
        return fail("step-not-per-prefix", f"each prefix is extended with its own "
                    f"step(prefix), the log-probabilities of what follows it; yours returns "
                    f"{show(seq)}{probe_text(c, inputs)} yet never called "
                    f"step({prefix!r}).")
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
        offset = log_p - true_log_p
        if every(lambda c, i: log_prob(c["step"], i) + offset):
            return fail("log-p-offset", f"log_p is the log P of ids plus {offset:.4g} on "
                        "every case: the beam starts from the empty prefix () with log P = 0, "
                        "and each extension adds log p(y | prefix).")
        for name, fold in FOLDS:
            if every(lambda c, i, fold=fold: fold(symbol_logs(c["step"], i))):
                return fail("log-p-combined-wrong", f"log_p is the {name} along the ids you "
                            f"return ({log_p:.4f} for {show(ids)}); a sequence's log P is their "
                            f"sum, log P = sum_t log p(y_t | y_<t) ({true_log_p:.4f} here): "
                            "each extension adds the symbol's log-probability to its prefix's "
                            "score.")
        return fail("log-p-wrong", f"log_p should be the log P of the ids you return, the "
                    f"sum of step's log-probabilities along them: {true_log_p:.4f} for "
                    f"{show(ids)}.")
    orders = [traced(fn, c)[1] for c in cases]
    if variant_matches(fn, cases, kept_candidates=True) and any(
            came_back(calls) or ran_every_step(calls, c)
            for calls, c in zip(orders, cases, strict=True)):
        return fail("candidates-not-reset", "the candidates of earlier steps compete again: "
                    "each step's candidates are the extensions of the beam it starts from, "
                    "a list started afresh at every step (candidates = [] inside the loop "
                    "over steps).")
    if variant_matches(fn, cases, start_copies=True) and any(calls.count(()) > 1
                                                             for calls in orders):
        return fail("beam-start-wrong", "the beam starts as beam_width copies of the empty "
                    "prefix, so its copies fill the beam with the same sequences. It starts as "
                    "one prefix, [((), 0.0)]: the empty sequence with log P = 0.")
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
        if variant_matches(fn, plain, skip_best=True):
            return fail("pruning-wrong", "the pruning drops the best extension: it keeps "
                        "those ranked 2 to beam_width + 1. Keep the beam_width best, "
                        "sorted(candidates, ...)[:beam_width], the first of them included.")
        kept = kept_width(fn, plain)
        if kept == 1:
            return fail("greedy-only", "yours writes the greedy sequence whatever beam_width: "
                        "keep beam_width prefixes at every step, not only the best one.")
        if kept is not None:
            return fail("pruning-wrong", f"yours keeps {kept} prefixes at each step, not "
                        "beam_width: the fault is in the pruning. Keep the beam_width "
                        "extensions with the highest log P, over the whole beam.")
        skipped = one_call_per_step(fn, plain + cases)
        if skipped:
            c, t, theirs, mine = skipped
            _, longer = traced(fn, dict(c, n=c["n"] + 1))  # one step more: does it branch?
            if any(len({p for p in longer or [] if len(p) == u}) > 1
                   for u in range(c["n"] + 1)):
                return fail("pruning-wrong", f"after step {t}{probe_text(c, inputs)} yours "
                            f"keeps one prefix, {shows(mine)}, where the beam holds "
                            f"{shows(theirs)}; run one step longer, it extends several. Keep "
                            "the beam_width best at every step, the first one included.")
            return fail("step-not-per-prefix", "each prefix is extended with its own "
                        f"step(prefix). At step {t + 1}{probe_text(c, inputs)} the beam holds "
                        f"{shows(theirs)}, and the lecture's search calls step on each; yours "
                        f"calls step once per step (here with {shows(mine) or 'none'}), yet its "
                        "results are not always greedy's, so it keeps more than one prefix and "
                        "extends them all with one prefix's log-probabilities.")
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
    pool = all(learners(fn, c)[0] in search(*args_of(c), pool_only=True)
               for c in cases if learners(fn, c) is not None)
    if pool:
        found = winner_rule(fn, [dict(c, length_norm=a) for c in cases
                                 for a in {c["length_norm"], 0.5, 1.0, 2.0, 50.0}])
        if found:
            return fail(*found)
        stopped = stops_at(fn, cases)
        if stopped:
            c, t, later = stopped
            return fail("finished-handling-wrong", f"your search stops too soon: after step {t}"
                        f"{probe_text(c, inputs)} the lecture's beam still holds "
                        f"{'open prefixes' if len(later) > 1 else 'an open prefix'}, "
                        f"{shows(later)}, and extends it, but yours never calls step there. "
                        "A finished sequence leaves the beam; the others go on until n steps, "
                        "or until the beam is empty.")
        same = all(lecture_calls(c) <= set(traced(fn, c)[1]) for c in cases)
        evidence = ("yours calls step with every prefix the lecture's beam keeps, so the same "
                    "sequences compete at the end, and " if same else "")

        def normalised(seq):
            return log_prob(step, seq) / len(seq) ** alpha

        scores = (f" With length_norm = {alpha}, log P / L**length_norm is "
                  f"{normalised(want_ids):.4f} for the lecture's {show(want_ids)}, "
                  f"{normalised(ids):.4f} for yours {show(ids)}." if ids else "")
        if alpha and all(agrees(fn, c, length_norm=0.0) for c in cases):
            return fail("normalisation-wrong", f"{evidence}with length_norm = 0 your winner is "
                        f"the lecture's, but not with length_norm = {alpha}: the fault is in "
                        f"the normalisation.{scores} The winner has the highest log P / "
                        "L**length_norm, L its length counting end.")
        return fail("winner-wrong", f"{evidence}your winner is one of the sequences that "
                    "compete at the end but not the best: the finished sequences and those "
                    "still open after n steps all compete, by log P / L**length_norm (L "
                    f"counting end).{scores}")
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


def symbol_logs(step, ids):
    """[log p(y_t | y_<t)] along ids."""
    found, prefix = [], ()
    for y in ids:
        found.append(float(step(prefix)[y]))
        prefix += (y,)
    return found


# ways to combine a sequence's log-probabilities other than adding them (what log_p may be)
FOLDS = [("product of the log-probabilities", lambda v: float(np.prod(v)) if v else 0.0),
         ("last symbol's log-probability alone", lambda v: v[-1] if v else 0.0),
         ("first symbol's log-probability alone", lambda v: v[0] if v else 0.0),
         ("largest of the log-probabilities", lambda v: max(v) if v else 0.0),
         ("smallest of the log-probabilities", lambda v: min(v) if v else 0.0),
         ("mean of the log-probabilities", lambda v: float(np.mean(v)) if v else 0.0),
         ("product of the probabilities", lambda v: float(np.prod(np.exp(v)))),
         ("sum of minus the log-probabilities", lambda v: -float(np.sum(v)))]


@one_message(NAME)
def check_beam_search_greedy(beam_search):
    """beam_width = 1 writes what greedy decoding writes, with its log P (random cases)."""
    general(beam_search, GREEDY_SPEC, count=30)
    passed(f"{NAME} with beam_width = 1")


@one_message(NAME)
def check_beam_search(beam_search):
    """Beam search against the reference on random fixed models: widths 1, 2, 3 and every
    prefix, with and without an end symbol, length_norm from 0 to 2."""
    general(beam_search)
    long_sequence(beam_search)
    passed(NAME)


def long_sequence(fn, n=320, n_y=50):
    """A sequence long enough that its probability, a product of n numbers about 1/n_y,
    underflows to 0 in float64 (log P about -900, below log(5e-324) = -744): a search that
    multiplies probabilities instead of adding log-probabilities fails here and nowhere else."""
    step = random_model(1234, n_y=n_y, sharpness=0.5)
    inputs = {"step": step, "n": n, "beam_width": 2, "end": None, "length_norm": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run(SPEC, fn, inputs)
    if outcome.failure is None and not outcome.wrong:
        return
    if outcome.failure is not None:
        raise mistake(NAME, outcome.failure.mistake.split("/", 1)[1],
                      f"{outcome.failure.message}\nThe case: {case_text(inputs)}.")
    want, got = outcome.expected["log_p"], outcome.got["log_p"]
    where = (f"{NAME}: on a long sequence ({case_text(inputs)}: n = {n} symbols, each of "
             f"probability about 1/{n_y}) the lecture's winner has log P = {want:.1f}")
    if not np.isfinite(got):
        raise mistake(NAME, "underflow", f"{where}, and yours returns log_p = {got}. Its "
                      f"probability P = exp({want:.0f}) is below the smallest float64 (about "
                      "1e-308): a product of probabilities underflows to 0. Keep every score a "
                      "sum of log-probabilities, never a product of probabilities; yours "
                      "agrees on the short cases.")
    raise mistake(NAME, "long-sequence-wrong", f"{where}; yours returns log_p = {got:.1f} and "
                  f"ids that first differ at position {first_difference(outcome)}, though it "
                  "agrees on every short case: look for what grows with n (a product, a "
                  "limit on the length, a recursion).")


def first_difference(outcome):
    want, got = outcome.expected["ids"], outcome.got["ids"]
    pairs = enumerate(zip(want, got, strict=False))
    return next((i for i, (a, b) in pairs if a != b), min(len(want), len(got)))
