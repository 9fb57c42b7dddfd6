"""Checks of exercise 17: BLEU, from its parts (rnnlesson.bleu is the reference).

    clipped_matches(candidate, references, n) -> (matches, total): each n-gram of the candidate
        counted at most as often as it appears in the one reference holding it most; total the
        candidate's n-grams, max(len - n + 1, 0);
    brevity_penalty(c, r) = 1 if c > r, exp(1 - r / c) if 0 < c <= r, 0 if c = 0;
    corpus_bleu(candidates, references, max_n) = BP(c, r) * exp(mean over n of log p_n), with
        p_n = sum of matches / sum of totals over the sentences, c the candidates' total length,
        r the sum of each candidate's closest reference length (the shorter on a tie); 0 when
        some p_n is 0.

Each check first runs small cases built so that the classic slips (no clipping, clipping by
the sum over references, n-grams of the wrong length, the brevity penalty on the wrong side or
inverted, r from the wrong reference, an arithmetic mean, a mean of sentence scores, n-grams
counted across sentences, log 0) each give their own numbers: a slip whose numbers are the
learner's on every case is named. Anything else gets the general check's message.
"""

import math
from collections import Counter

import numpy as np

from rnnlesson.bleu import closest_length, ngrams
from rnnlesson.bleu import corpus_bleu as package_bleu
from rnnlesson.checks._common import call, mistake, one_message, passed
from rnnlesson.checks._differential import Probe, Spec, differential

TOL = 1e-9


# --- clipped_matches ---------------------------------------------------------------------------

def grams(tokens, n):
    """Counter of the n-grams of tokens (none when n < 1)."""
    if n < 1:
        return Counter()
    return ngrams(list(tokens), n)


def clipped(candidate, references, n, clip="max", size=None, total="right", count="min"):
    """(matches, total) for one sentence, the lecture's or a slip's: clip how the reference
    counts combine ("max", "sum", "first", "none"), size the n-gram length actually used,
    total how the n-grams are counted, count "min" (clipped) or "reference" (the reference's
    count taken whole)."""
    size = n if size is None else size
    counts = grams(candidate, size)
    per_ref = [grams(ref, size) for ref in references]
    if clip == "max":
        most = Counter()
        for ref in per_ref:
            most |= ref
    elif clip == "sum":
        most = sum(per_ref, Counter())
    else:
        most = per_ref[0] if per_ref else Counter()
    if clip == "none":
        matches = sum(k for g, k in counts.items() if any(g in ref for ref in per_ref))
    elif count == "reference":
        matches = sum(most[g] for g in counts)
    else:
        matches = sum(min(k, most[g]) for g, k in counts.items())
    length = len(candidate)
    totals = {"right": max(length - size + 1, 0), "length": length,
              "one-less": max(length - size, 0), "one-more": max(length - size + 2, 0)}
    return matches, totals[total]


CLIP_SLIPS = [  # (slug, text, the slip's (matches, total))
    ("no-clipping", "an n-gram of the candidate is counted every time it occurs, however few "
     "times the references hold it: clip each n-gram's count at its count in the reference "
     "holding it most, min(count in the candidate, max over references), so that repeating a "
     "right word gains nothing", lambda c, refs, n: clipped(c, refs, n, clip="none")),
    ("clipped-by-sum-over-references", "the clip is the n-gram's count summed over the "
     "references: it is its largest count in any one reference (max, not sum), or two "
     "references each holding \"the\" once would let two \"the\"s count",
     lambda c, refs, n: clipped(c, refs, n, clip="sum")),
    ("clipped-by-first-reference", "the clip reads the first reference alone: an n-gram counts "
     "up to its largest count over all the references",
     lambda c, refs, n: clipped(c, refs, n, clip="first")),
    ("reference-count-not-clipped", "the matches add the reference's count of each n-gram of "
     "the candidate; the clipped count is min(count in the candidate, count in the reference)",
     lambda c, refs, n: clipped(c, refs, n, count="reference")),
    ("ngram-length-off-by-one", "these are the counts of (n - 1)-grams: an n-gram is n tokens, "
     "candidate[i:i + n]", lambda c, refs, n: clipped(c, refs, n, size=n - 1)),
    ("ngram-length-off-by-one", "these are the counts of (n + 1)-grams: an n-gram is n tokens, "
     "candidate[i:i + n]", lambda c, refs, n: clipped(c, refs, n, size=n + 1)),
    ("total-wrong", "total is the candidate's length: a candidate of length L has L - n + 1 "
     "n-grams", lambda c, refs, n: clipped(c, refs, n, total="length")),
    ("total-off-by-one", "total is one short: a candidate of length L has L - n + 1 n-grams "
     "(the start positions i = 0, ..., L - n)", lambda c, refs, n: clipped(c, refs, n,
                                                                          total="one-less")),
    ("total-off-by-one", "total is one too many: a candidate of length L has L - n + 1 "
     "n-grams (the start positions i = 0, ..., L - n)",
     lambda c, refs, n: clipped(c, refs, n, total="one-more")),
]

S = str.split
CLIP_CASES = [  # (candidate, references, n): each slip gives its own numbers on these
    (["the"] * 7, [S("there is a cat on the mat"), S("the cat is on the mat")], 1),
    (S("the cat the cat on the mat"), [S("the cat is on the mat"), S("there is a cat on the "
                                                                       "mat the cat")], 2),
    (S("a b a b a b"), [S("a b c a b"), S("b a b a")], 2),
    (S("a b c a b c d"), [S("a b c d"), S("c a b c a")], 3),
    (S("a cat on a mat"), [S("a cat and a cat on a mat")], 1),
    (S("x"), [S("x y z")], 3),  # a candidate shorter than n: no n-gram at all
]


def clip_sizes(candidate, references, n):
    return (f"candidate of length {len(candidate)}, {len(references)} reference(s) of lengths "
            f"{[len(r) for r in references]}, n = {n}")


def read_counts(name, result):
    """(matches, total) as two ints, or the form's CheckFailure."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise mistake(name, "wrong-return", f"{name} should return the tuple (matches, total), "
                      "as `return matches, total` makes it; received "
                      f"{type(result).__name__}"
                      + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
                      + ".")
    values = []
    for what, value in zip(("matches", "total"), result, strict=True):
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)) or value != int(value):
            raise mistake(name, "not-a-count", f"{name}: {what} should be a whole number (a "
                          f"count of n-grams); received {value!r}.")
        values.append(int(value))
    return tuple(values)


def run_clipped(fn, candidate, references, n):
    def shorter(error, line):
        if isinstance(error, (IndexError, ValueError, ZeroDivisionError)) and len(candidate) < n:
            return "candidate-shorter-than-n", (
                f"with a candidate of {len(candidate)} tokens and n = {n} your line "
                f"`{line.strip()}` fails: a candidate shorter than n has no n-gram at all, so "
                "(matches, total) = (0, 0); range(len(candidate) - n + 1) is then empty.")
        return None

    args = (list(candidate), [list(r) for r in references], n)
    kept = [list(candidate), [list(r) for r in references]]
    result = call(fn, "clipped_matches", args, clip_sizes(candidate, references, n),
                  "candidate and each reference are lists of tokens (strings).", shorter)
    if [list(args[0]), [list(r) for r in args[1]]] != kept:
        raise mistake("clipped_matches", "changes-its-input", "clipped_matches modified its "
                      "argument candidate or references in place. Leave the inputs as they are.")
    return read_counts("clipped_matches", result)


def case_text(candidate, references, n):
    return (f"candidate {' '.join(candidate) or '(empty)'!r}, references "
            f"{[' '.join(r) for r in references]}, n = {n}")


def explain_clipped(fn):
    """Raise the named slip of clipped_matches on CLIP_CASES, if the learner's counts differ."""
    got = [run_clipped(fn, *case) for case in CLIP_CASES]
    want = [clipped(*case) for case in CLIP_CASES]
    if got == want:
        return
    first = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
    case = CLIP_CASES[first]
    said = (f"clipped_matches on {case_text(*case)}: the lecture's (matches, total) is "
            f"{want[first]}, yours {got[first]}")
    short = [i for i, g in enumerate(got) if g[1] < 0]
    if short:
        case = CLIP_CASES[short[0]]
        said = (f"clipped_matches on {case_text(*case)}: the lecture's (matches, total) is "
                f"{want[short[0]]}, yours {got[short[0]]}")
        raise mistake("clipped_matches", "candidate-shorter-than-n", f"{said}: total is "
                      "negative. A candidate shorter than n has no n-gram: total = max(len - n "
                      "+ 1, 0).")
    for slug, text, slip in CLIP_SLIPS:
        if all(g == slip(*c) for g, c in zip(got, CLIP_CASES, strict=True)):
            raise mistake("clipped_matches", slug, f"{said}: {text}.")
    matches_right = all(g[0] == w[0] for g, w in zip(got, want, strict=True))
    totals_right = all(g[1] == w[1] for g, w in zip(got, want, strict=True))
    if matches_right and not totals_right:
        raise mistake("clipped_matches", "total-wrong", f"{said}: the matches are right but "
                      "total is not; total counts the candidate's n-grams, max(len(candidate) "
                      "- n + 1, 0).")


@one_message("clipped_matches")
def check_clipped_matches(clipped_matches):
    """Check a learner's clipped_matches(candidate, references, n) -> (matches, total)."""
    explain_clipped(clipped_matches)
    differential(CLIP_SPEC, clipped_matches)
    passed("clipped_matches")


WORDS = ("a", "b", "c", "d")


def perturbed(rng, tokens, length, words=WORDS):
    """tokens changed a little (substituted, dropped, added), cut or padded to length: a
    sentence that shares most of its n-grams with tokens."""
    out = [w for w in tokens if rng.random() > 0.2]
    out = [str(rng.choice(words)) if rng.random() < 0.25 else w for w in out]
    while len(out) < length:
        out.insert(int(rng.integers(0, len(out) + 1)), str(rng.choice(words)))
    return out[:length]


def build_clip(sizes, rng, simple):
    words = WORDS[:2] if simple else WORDS
    candidate = [str(w) for w in rng.choice(words, size=sizes["L"])]
    references = [perturbed(rng, candidate, int(rng.integers(0, 9)), words)
                  for _ in range(sizes["R"])]
    return {"candidate": candidate, "references": references, "n": sizes["n"]}


def reference_clip(candidate, references, n):
    matches, total = clipped(candidate, references, n)
    return {"matches": matches, "total": total}


def read_clip(result, inputs):
    matches, total = read_counts("clipped_matches", result)
    return {"matches": matches, "total": total}


CLIP_SPEC = Spec(
    "clipped_matches", {"L": (0, 8), "R": (1, 3), "n": (1, 4)}, build_clip, reference_clip,
    read_clip,
    terms={"clip": "the clip: each n-gram of the candidate counted at most as often as the "
                   "reference holding it most holds it (matches)",
           "ngrams": "the candidate's n-grams, candidate[i:i + n] for i = 0, ..., len - n "
                     "(matches and total)"},
    depends={"matches": {"clip", "ngrams"}, "total": {"ngrams"}},
    probes=[Probe("with one reference", lambda inputs: {**inputs, "references":
                                                        inputs["references"][:1]},
                  frozenset({"ngrams"}), causes=frozenset({"clip", "ngrams"}))],
    cover=True,
    hint="candidate and each reference are lists of tokens (strings); n is an int.")


# --- brevity_penalty ---------------------------------------------------------------------------

def penalty(c, r, slip=None):
    """BP(c, r), the lecture's or a slip's."""
    if c == 0:
        return 0.0
    if slip == "always":
        return math.exp(1 - r / c)
    if c > r:
        return 1.0
    return {None: math.exp(1 - r / c), "inverted": math.exp(1 - c / r),
            "no-exp": 1 - r / c, "sign": math.exp(r / c - 1)}[slip]


BP_SLIPS = [
    ("penalty-when-longer", "the penalty is applied when c > r as well, where it exceeds 1: a "
     "corpus longer than its references is not penalised (BP = 1); longer outputs already pay "
     "in precision", "always"),
    ("penalty-ratio-inverted", "yours is exp(1 - c/r), above 1 when c < r; the penalty is "
     "exp(1 - r/c), below 1 there, falling to 0 as c shrinks", "inverted"),
    ("penalty-without-exp", "yours is 1 - r/c, without the exp: BP = exp(1 - r/c)", "no-exp"),
    ("penalty-sign", "yours is exp(r/c - 1), above 1: BP = exp(1 - r/c)", "sign"),
]
BP_CASES = [(3, 5), (6, 4), (5, 5), (7, 9), (1, 4), (12, 10)]


def run_bp(fn, c, r):
    result = call(fn, "brevity_penalty", (c, r), f"c = {c}, r = {r}",
                  "c and r are whole numbers of tokens.")
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.item()
    if isinstance(result, (bool, np.bool_)) or not isinstance(
            result, (int, float, np.integer, np.floating)):
        raise mistake("brevity_penalty", "wrong-return", "brevity_penalty should return one "
                      f"number, BP; received {type(result).__name__}.")
    return float(result)


def close(a, b):
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= TOL * max(1.0, abs(b))


@one_message("brevity_penalty")
def check_brevity_penalty(brevity_penalty):
    """Check a learner's brevity_penalty(c, r) -> BP."""
    got = [run_bp(brevity_penalty, c, r) for c, r in BP_CASES]
    want = [penalty(c, r) for c, r in BP_CASES]
    wrong = [i for i in range(len(got)) if not close(got[i], want[i])]
    if wrong:
        c, r = BP_CASES[wrong[0]]
        said = (f"brevity_penalty({c}, {r}): the lecture's {want[wrong[0]]:.6g}, yours "
                f"{got[wrong[0]]:.6g}")
        for slug, text, slip in BP_SLIPS:
            if all(close(g, penalty(c, r, slip)) for g, (c, r) in zip(got, BP_CASES,
                                                                     strict=True)):
                raise mistake("brevity_penalty", slug, f"{said}: {text}.")
        if all(close(g, w) for g, w, (c, r) in zip(got, want, BP_CASES, strict=True) if c > r):
            raise mistake("brevity_penalty", "penalty-wrong", f"{said}: with c <= r, BP = "
                          "exp(1 - r/c).")
        raise mistake("brevity_penalty", "no-penalty-when-shorter" if c <= r else
                      "penalty-when-longer", f"{said}: BP = 1 when c > r, exp(1 - r/c) when "
                      "c <= r.")
    try:
        empty = run_bp(brevity_penalty, 0, 4)
    except Exception as err:  # noqa: BLE001 - the message is about c = 0, not the error
        if getattr(err, "mistake", "").endswith("uses-reference"):
            raise
        raise mistake("brevity_penalty", "no-output", "brevity_penalty(0, 4) failed: with no "
                      "output at all (c = 0) r / c cannot be computed. exp(1 - r/c) falls to 0 "
                      "as c shrinks, so BP = 0 when c = 0: test for it first.") from None
    if not close(empty, 0.0):
        raise mistake("brevity_penalty", "no-output", f"brevity_penalty(0, 4) gave {empty}: "
                      "with no output at all (c = 0) BP = 0, the limit of exp(1 - r/c).")
    differential(BP_SPEC, brevity_penalty)
    passed("brevity_penalty")


def build_bp(sizes, rng, simple):
    return {"c": sizes["c"], "r": sizes["r"]}


BP_SPEC = Spec(
    "brevity_penalty", {"c": (0, 12), "r": (1, 12)}, build_bp,
    lambda c, r: {"BP": penalty(c, r)},
    lambda result, inputs: {"BP": float(np.asarray(result).ravel()[0])
                            if np.size(result) == 1 else result},
    terms={"penalty": "the penalty: BP = 1 when c > r, exp(1 - r/c) when c <= r, 0 when c = 0"},
    depends={"BP": {"penalty"}})


# --- corpus_bleu -------------------------------------------------------------------------------

def choose_r(length, refs, rule):
    lengths = [len(ref) for ref in refs]
    return {"closest": closest_length(length, refs), "first": lengths[0],
            "longest": max(lengths), "shortest": min(lengths),
            "longer-on-tie": min(lengths, key=lambda r: (abs(r - length), -r))}[rule]


def bleu(candidates, references, max_n=4, clip="max", r_rule="closest", bp=None,
         mean="geometric", orders=None, across=False, per_sentence=False):
    """Corpus BLEU, the lecture's or a slip's (see the module's doc)."""
    if per_sentence:
        return float(np.mean([bleu([c], [refs], max_n, clip, r_rule, bp, mean, orders)
                              for c, refs in zip(candidates, references, strict=True)]))
    orders = list(range(1, max_n + 1)) if orders is None else orders
    if across:
        k = max(len(refs) for refs in references)
        candidates = [[w for cand in candidates for w in cand]]
        references = [[[w for refs in references for w in refs[min(j, len(refs) - 1)]]
                       for j in range(k)]]
    matches, totals = Counter(), Counter()
    c = r = 0
    for cand, refs in zip(candidates, references, strict=True):
        c += len(cand)
        r += choose_r(len(cand), refs, r_rule)
        for n in orders:
            m, t = clipped(cand, refs, n, clip=clip)
            matches[n] += m
            totals[n] += t
    precisions = [matches[n] / totals[n] if totals[n] else 0.0 for n in orders]
    if min(precisions) == 0:
        return 0.0
    if mean == "arithmetic":
        score = float(np.mean(precisions))
    else:
        score = float(np.exp(np.mean(np.log(precisions))))
    return penalty(c, r, bp) * score


def corpus(*pairs):
    """(candidates, references) from ("candidate", ["reference", ...]) pairs."""
    return [S(c) for c, _ in pairs], [[S(r) for r in refs] for _, refs in pairs]


BLEU_CASES = [  # (candidates, references, max_n)
    (*corpus(("the cat sat on the mat", ["the cat sat on the mat today", "the cat sat on a mat",
                                          "there was a cat on the mat"]),
             ("my dog ate the homework", ["my dog ate my homework again", "the dog ate all my "
                                          "homework again", "my dog ate it"]),
             ("it rains on the plain in", ["it rains in spain on the plain",
                                           "rain on the plain"])), 4),
    (*corpus(("the the the the cat", ["the cat", "the cat sat"]),
             ("a b c d e f", ["a b c d e f g h", "a b c d"]),
             ("on the mat sat the cat", ["the cat sat on the mat"])), 2),
    (*corpus(("a b c d e", ["a b c d e f g", "a b c"]),
             ("x y z w", ["x y z w v u", "x y"])), 3),
    (*corpus(("one two three four five six seven", ["one two three four five six",
                                                    "one two three four five six seven eight "
                                                    "nine"])), 4),
    (*corpus(("the cat sat on mat", ["the cat sat on the mat", "the cat sat"]),
             ("a dog ran", ["a dog ran off", "the dog ran"])), 2),
]
ZERO_CASES = [  # a p_n of 0, and an order with no n-gram at all: BLEU is 0
    (*corpus(("a b c d", ["a b x d"]), ("e f", ["e f"])), 4),
    (*corpus(("a b", ["a b c"]), ("c", ["c d"])), 3),
]

BLEU_SLIPS = [  # (slug, text, the slip's options)
    ("no-clipping", "the n-grams are not clipped: an n-gram counts at most as often as the "
     "reference holding it most holds it (look at your clipped_matches)", {"clip": "none"}),
    ("clipped-by-sum-over-references", "the clip is the sum over the references; it is the "
     "largest count in any one reference (look at your clipped_matches)", {"clip": "sum"}),
    ("clipped-by-first-reference", "the clip reads the first reference alone (look at your "
     "clipped_matches)", {"clip": "first"}),
    ("mean-of-sentence-bleu", "yours is the mean of the sentences' own BLEU scores. Corpus BLEU "
     "sums the matches and the n-gram totals over all the sentences, then divides once "
     "(p_n = sum of matches / sum of totals), and c and r are sums too: one BP, one geometric "
     "mean, for the whole corpus", {"per_sentence": True}),
    ("ngrams-across-sentences", "yours counts n-grams across sentence boundaries, as if the "
     "candidates were one long sentence: an n-gram that runs from the end of one sentence into "
     "the next is no n-gram of either. Count each sentence's n-grams on its own, against its "
     "own references, then add the counts", {"across": True}),
    ("r-from-first-reference", "r adds the first reference's length of each sentence; it adds "
     "the length of the reference closest to the candidate's length (the shorter on a tie)",
     {"r_rule": "first"}),
    ("r-from-longest-reference", "r adds the longest reference's length of each sentence; it "
     "adds the length of the reference closest to the candidate's length (the shorter on a "
     "tie)", {"r_rule": "longest"}),
    ("r-from-shortest-reference", "r adds the shortest reference's length of each sentence; it "
     "adds the length of the reference closest to the candidate's length",
     {"r_rule": "shortest"}),
    ("r-tie-to-longer", "r takes the longer of two references equally close to the candidate's "
     "length; on a tie it takes the shorter (min over (|length - len(candidate)|, length))",
     {"r_rule": "longer-on-tie"}),
    ("penalty-when-longer", "the brevity penalty is applied when c > r too; BP = 1 there (look "
     "at your brevity_penalty)", {"bp": "always"}),
    ("penalty-ratio-inverted", "the brevity penalty is exp(1 - c/r); it is exp(1 - r/c) (look "
     "at your brevity_penalty)", {"bp": "inverted"}),
    ("arithmetic-mean", "yours is the arithmetic mean of the p_n; BLEU takes their geometric "
     "mean, exp(sum over n of log(p_n) / max_n), so that one poor order pulls the score down",
     {"mean": "arithmetic"}),
    ("orders-off-by-one", "yours leaves out the longest n-grams: n runs from 1 to max_n "
     "included, range(1, max_n + 1)", {"orders": "short"}),
    ("orders-off-by-one", "yours counts (max_n + 1)-grams too: n runs from 1 to max_n, "
     "range(1, max_n + 1)", {"orders": "long"}),
    ("orders-off-by-one", "yours runs n from 2 to max_n + 1: n-grams of 1 to max_n tokens, "
     "range(1, max_n + 1)", {"orders": "shifted"}),
]


def slip_bleu(candidates, references, max_n, options):
    options = dict(options)
    orders = options.pop("orders", None)
    if orders is not None:
        orders = {"short": list(range(1, max_n)), "long": list(range(1, max_n + 2)),
                  "shifted": list(range(2, max_n + 2))}[orders]
        if not orders:
            return math.nan
    return bleu(candidates, references, max_n, orders=orders, **options)


def run_bleu(fn, candidates, references, max_n):
    zero = min(package_bleu(candidates, references, max_n).precisions) == 0

    def log_zero(error, line):
        if zero and (isinstance(error, ZeroDivisionError) or "domain" in str(error)):
            return "log-of-zero", (
                f"your line `{line.strip()}` raised {type(error).__name__} ({error}) on a corpus "
                "where some p_n is 0 (no n-gram of that order matches, or the candidates hold "
                "none): BLEU is then 0. Return 0.0 when some p_n is 0 (or when an order has no "
                "n-gram at all) before taking logs.")
        return None

    args = ([list(c) for c in candidates], [[list(r) for r in refs] for refs in references],
            max_n)
    result = call(fn, "corpus_bleu", args, f"{len(candidates)} candidates of lengths "
                  f"{[len(c) for c in candidates]}, max_n = {max_n}",
                  "candidates is a list of token lists; references a list (one per candidate) "
                  "of lists of token lists.", log_zero)
    return read_score(result)


def read_score(result):
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.item()
    if isinstance(result, (bool, np.bool_)) or not isinstance(
            result, (int, float, np.integer, np.floating)):
        raise mistake("corpus_bleu", "wrong-return", "corpus_bleu should return one number, "
                      f"BLEU from 0 to 1; received {type(result).__name__}.")
    return float(result)


def corpus_text(candidates, references, max_n):
    pairs = "; ".join(f"{' '.join(c)!r} against {[' '.join(r) for r in refs]}"
                      for c, refs in zip(candidates, references, strict=True))
    return f"max_n = {max_n}, candidates and references: {pairs}"


@one_message("corpus_bleu")
def check_corpus_bleu(corpus_bleu):
    """Check a learner's corpus_bleu(candidates, references, max_n=4) -> BLEU."""
    got = [run_bleu(corpus_bleu, *case) for case in BLEU_CASES]
    want = [bleu(*case) for case in BLEU_CASES]
    wrong = [i for i in range(len(got)) if not close(got[i], want[i])]
    if wrong:
        case = BLEU_CASES[wrong[0]]
        said = (f"corpus_bleu on {corpus_text(*case)}: the lecture's BLEU is "
                f"{want[wrong[0]]:.6f}, yours {got[wrong[0]]:.6f}")
        if np.isnan(got[wrong[0]]):
            raise mistake("corpus_bleu", "not-finite", f"{said}. NaN comes from 0 * log 0 or "
                          "0 / 0: return 0.0 when some p_n is 0 before taking logs.")
        for slug, text, options in BLEU_SLIPS:
            if all(close(g, slip_bleu(*c, options)) for g, c in zip(got, BLEU_CASES,
                                                                     strict=True)):
                raise mistake("corpus_bleu", slug, f"{said}: {text}.")
    for case in ZERO_CASES:
        with np.errstate(all="ignore"):
            score = run_bleu(corpus_bleu, *case)
        if not close(score, 0.0):
            raise mistake("corpus_bleu", "log-of-zero" if not np.isnan(score) else "not-finite",
                          f"corpus_bleu on {corpus_text(*case)}: yours is {score}, but some p_n "
                          "is 0 here (no n-gram of that order matches, or none exists), so "
                          "BLEU is 0: return 0.0 when some p_n is 0, before taking logs.")
    differential(BLEU_SPEC, corpus_bleu)
    passed("corpus_bleu")


def build_bleu(sizes, rng, simple):
    words = WORDS[:2] if simple else WORDS
    candidates, references = [], []
    for _ in range(sizes["K"]):
        truth = [str(w) for w in rng.choice(words, size=int(rng.integers(3, 9)))]
        references.append([perturbed(rng, truth, int(rng.integers(2, 10)), words)
                           for _ in range(sizes["R"])])
        candidates.append(perturbed(rng, truth, int(rng.integers(1, 9)), words))
    return {"candidates": candidates, "references": references, "max_n": sizes["max_n"]}


def reference_bleu(candidates, references, max_n):
    return {"BLEU": package_bleu(candidates, references, max_n).score}


def as_long_as_closest(inputs):
    """Each candidate cut or padded to its closest reference's length: c = r, BP = 1."""
    candidates = []
    for cand, refs in zip(inputs["candidates"], inputs["references"], strict=True):
        length = closest_length(len(cand), refs)
        candidates.append((cand + refs[0] * length)[:length])
    return {**inputs, "candidates": candidates}


BLEU_SPEC = Spec(
    "corpus_bleu", {"K": (1, 4), "R": (1, 3), "max_n": (1, 4)}, build_bleu, reference_bleu,
    lambda result, inputs: {"BLEU": read_score(result)},
    terms={"precisions": "the precisions p_n: matches and totals summed over the sentences, "
                         "for n = 1, ..., max_n",
           "penalty": "the brevity penalty BP(c, r), with c the candidates' length and r the "
                      "sum of the closest references' lengths",
           "mean": "the geometric mean of the p_n, exp(sum of log p_n / max_n)"},
    depends={"BLEU": {"precisions", "penalty", "mean"}},
    probes=[Probe("with each candidate as long as its closest reference (BP = 1)",
                  as_long_as_closest, frozenset({"precisions", "mean"})),
            Probe("with max_n = 1 (one precision)", lambda inputs: {**inputs, "max_n": 1},
                  frozenset({"penalty"}), causes=frozenset({"precisions", "mean", "penalty"}))],
    hint="candidates is a list of token lists; references a list (one per candidate) of lists "
         "of token lists.")
