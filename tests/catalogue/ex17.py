"""Exercise 17: BLEU from its parts: clipped_matches, brevity_penalty and corpus_bleu."""

PRELUDE = '''
from collections import Counter
import math

import numpy as np


def clipped_matches(candidate, references, n):
    counts = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
    most = Counter()
    for reference in references:
        most |= Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
    return sum(min(k, most[g]) for g, k in counts.items()), max(len(candidate) - n + 1, 0)


def brevity_penalty(c, r):
    return 1.0 if c > r else (float(np.exp(1 - r / c)) if c else 0.0)
'''
CHECKS = ["check_clipped_matches", "check_brevity_penalty", "check_corpus_bleu"]
CLIP = ["check_clipped_matches"]
BP = ["check_brevity_penalty"]
BLEU = ["check_corpus_bleu"]

CLIPS = {
    "grams": "Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))",
    "combine": "most[g] = max(most[g], k)",
    "matches": "sum(min(k, most[g]) for g, k in counts.items())",
    "total": "max(len(candidate) - n + 1, 0)",
}


def clipper(**changed):
    """The learner's clipped_matches with the given parts changed."""
    parts = {**CLIPS, **changed}
    return f'''
def clipped_matches(candidate, references, n):
    def grams(seq):
        return {parts["grams"]}

    counts = grams(candidate)
    most = Counter()
    for reference in references:
        for g, k in grams(reference).items():
            {parts["combine"]}
    matches = {parts["matches"]}
    total = {parts["total"]}
    return matches, total
'''


BLEUS = {
    "r": "min((len(ref) for ref in refs), key=lambda L: (abs(L - len(cand)), L))",
    "orders": "range(1, max_n + 1)",
    "score": "brevity_penalty(c, r) * math.exp(sum(math.log(p) for p in precisions) / max_n)",
    "zero": "if min(precisions) == 0:\n        return 0.0",
}


def scorer(**changed):
    """The learner's corpus_bleu with the given parts changed."""
    parts = {**BLEUS, **changed}
    return f'''
def corpus_bleu(candidates, references, max_n=4):
    matches, totals = Counter(), Counter()
    c = r = 0
    for cand, refs in zip(candidates, references):
        c += len(cand)
        r += {parts["r"]}
        for n in {parts["orders"]}:
            m, t = clipped_matches(cand, refs, n)
            matches[n] += m
            totals[n] += t
    precisions = [matches[n] / totals[n] if totals[n] else 0.0 for n in {parts["orders"]}]
    {parts["zero"]}
    return {parts["score"]}
'''


ANSWERS = [
    # --- right answers ---
    {"name": "Counters, clip by max, corpus sums", "right": True, "code": clipper() + scorer()
     + '''
def brevity_penalty(c, r):
    if c > r:
        return 1.0
    if c == 0:
        return 0.0
    return math.exp(1 - r / c)
'''},
    {"name": "dicts and loops, numpy for the mean", "right": True, "code": '''
def clipped_matches(candidate, references, n):
    counts = {}
    for i in range(len(candidate) - n + 1):
        g = tuple(candidate[i:i + n])
        counts[g] = counts.get(g, 0) + 1
    matches = 0
    for g, k in counts.items():
        best = 0
        for ref in references:
            here = sum(1 for j in range(len(ref) - n + 1) if tuple(ref[j:j + n]) == g)
            best = max(best, here)
        matches += min(k, best)
    return matches, sum(counts.values())


def brevity_penalty(c, r):
    return float(np.where(c > r, 1.0, np.exp(1 - r / max(c, 1e-300)))) if c else 0.0


def corpus_bleu(candidates, references, max_n=4):
    m = np.zeros(max_n)
    t = np.zeros(max_n)
    for cand, refs in zip(candidates, references):
        for n in range(1, max_n + 1):
            got = clipped_matches(cand, refs, n)
            m[n - 1] += got[0]
            t[n - 1] += got[1]
    if np.any(m == 0):
        return 0.0
    c = sum(len(cand) for cand in candidates)
    r = 0
    for cand, refs in zip(candidates, references):
        lengths = sorted(len(ref) for ref in refs)
        r += min(lengths, key=lambda L: abs(L - len(cand)))  # sorted: the shorter wins a tie
    return brevity_penalty(c, r) * float(np.exp(np.mean(np.log(m / t))))
'''},
    # --- clipped_matches ---
    {"name": "no clipping", "checks": CLIP, "mistake": "ex17/no-clipping",
     "says": ["counted every time it occurs", "min(count in the candidate, max over "
              "references)"],
     "code": clipper(matches="sum(k for g, k in counts.items() if most[g] > 0)")},
    {"name": "clipped by the sum over references", "checks": CLIP,
     "mistake": "ex17/clipped-by-sum-over-references", "says": ["summed over the references",
                                                              "max, not sum"],
     "code": clipper(combine="most[g] += k")},
    {"name": "clipped by the first reference", "checks": CLIP,
     "mistake": "ex17/clipped-by-first-reference", "says": ["first reference alone"],
     "code": clipper(matches="sum(min(k, grams(references[0])[g]) for g, k in "
                             "counts.items())")},
    {"name": "(n + 1)-grams", "checks": CLIP, "mistake": "ex17/ngram-length-off-by-one",
     "says": ["(n + 1)-grams", "candidate[i:i + n]"],
     "code": clipper(grams="Counter(tuple(seq[i:i + n + 1]) for i in range(len(seq) - n))",
                     total="max(len(candidate) - n, 0)")},
    {"name": "total one short", "checks": CLIP, "mistake": "ex17/total-off-by-one",
     "says": ["one short", "L - n + 1 n-grams"],
     "code": clipper(total="max(len(candidate) - n, 0)")},
    {"name": "a negative total for a short candidate", "checks": CLIP,
     "mistake": "ex17/candidate-shorter-than-n", "says": ["total is negative",
                                                          "max(len - n + 1, 0)"],
     "code": clipper(total="len(candidate) - n + 1")},
    {"name": "a crash on a short candidate", "checks": CLIP,
     "mistake": "ex17/candidate-shorter-than-n", "says": ["no n-gram at all", "(0, 0)"],
     "code": clipper(total="len(candidate) - n + 1 if len(candidate) >= n else "
                           "[][len(candidate)]")},
    {"name": "the references' counts added whole", "checks": CLIP,
     "mistake": "ex17/reference-count-not-clipped", "says": ["reference's count"],
     "code": clipper(matches="sum(most[g] for g in counts)")},
    # --- brevity_penalty ---
    {"name": "the penalty whatever the lengths", "checks": BP,
     "mistake": "ex17/penalty-when-longer", "says": ["when c > r as well", "BP = 1"],
     "code": "def brevity_penalty(c, r):\n    return math.exp(1 - r / c) if c else 0.0\n"},
    {"name": "exp(1 - c/r)", "checks": BP, "mistake": "ex17/penalty-ratio-inverted",
     "says": ["exp(1 - c/r)", "the penalty is exp(1 - r/c)"],
     "code": "def brevity_penalty(c, r):\n    return 1.0 if c > r else math.exp(1 - c / r)\n"},
    {"name": "a crash with no output", "checks": BP, "mistake": "ex17/no-output",
     "says": ["c = 0", "BP = 0"],
     "code": "def brevity_penalty(c, r):\n    return 1.0 if c > r else math.exp(1 - r / c)\n"},
    # --- corpus_bleu ---
    {"name": "the mean of sentence BLEUs", "checks": BLEU,
     "mistake": "ex17/mean-of-sentence-bleu", "says": ["mean of the sentences' own BLEU",
                                                       "sums the matches"], "code": scorer()
     .replace("def corpus_bleu(", "def corpus_bleu_one(") + '''

def corpus_bleu(candidates, references, max_n=4):
    return float(np.mean([corpus_bleu_one([c], [refs], max_n)
                          for c, refs in zip(candidates, references)]))
'''},
    {"name": "n-grams across sentences", "checks": BLEU,
     "mistake": "ex17/ngrams-across-sentences", "says": ["across sentence boundaries"],
     "code": scorer().replace("def corpus_bleu(", "def corpus_bleu_one(") + '''

def corpus_bleu(candidates, references, max_n=4):
    k = max(len(refs) for refs in references)
    joined = [w for cand in candidates for w in cand]
    streams = [[w for refs in references for w in refs[min(j, len(refs) - 1)]]
               for j in range(k)]
    return corpus_bleu_one([joined], [streams], max_n)
'''},
    {"name": "r from the first reference", "checks": BLEU,
     "mistake": "ex17/r-from-first-reference", "says": ["first reference's length",
                                                        "closest to the candidate's length"],
     "code": scorer(r="len(refs[0])")},
    {"name": "r from the longest reference", "checks": BLEU,
     "mistake": "ex17/r-from-longest-reference", "says": ["longest reference's length"],
     "code": scorer(r="max(len(ref) for ref in refs)")},
    {"name": "the longer reference on a tie", "checks": BLEU, "mistake": "ex17/r-tie-to-longer",
     "says": ["on a tie it takes the shorter"],
     "code": scorer(r="min((len(ref) for ref in refs), key=lambda L: (abs(L - len(cand)), "
                      "-L))")},
    {"name": "the arithmetic mean", "checks": BLEU, "mistake": "ex17/arithmetic-mean",
     "says": ["arithmetic mean", "geometric"],
     "code": scorer(score="brevity_penalty(c, r) * sum(precisions) / max_n")},
    {"name": "orders 1 to max_n - 1", "checks": BLEU, "mistake": "ex17/orders-off-by-one",
     "says": ["leaves out the longest n-grams", "range(1, max_n + 1)"],
     "code": scorer(orders="range(1, max_n)",
                    score="brevity_penalty(c, r) * math.exp(sum(math.log(p) for p in "
                          "precisions) / (max_n - 1))")},
    {"name": "math.log of 0", "checks": BLEU, "mistake": "ex17/log-of-zero",
     "says": ["some p_n is 0", "Return 0.0"], "code": scorer(zero="")},
    {"name": "0 / 0 when no candidate has an n-gram", "checks": BLEU,
     "mistake": "ex17/log-of-zero", "says": ["ZeroDivisionError", "p_n is 0"],
     "code": scorer().replace("matches[n] / totals[n] if totals[n] else 0.0",
                              "matches[n] / totals[n]")},
    {"name": "the learner's penalty applied when longer", "checks": BLEU,
     "mistake": "ex17/penalty-when-longer", "says": ["when c > r too"],
     "code": scorer(score="math.exp(1 - r / c) * math.exp(sum(math.log(p) for p in "
                          "precisions) / max_n)")},
]

MUTANTS = [
    {"function": "clipped_matches", "spec": "rnnlesson.checks.bleu:CLIP_SPEC", "checks": CLIP,
     "outputs": ["matches", "total"], "at_least": 8,
     "aliases": {"counts": ["n-gram", "n-grams", "candidate"], "most": ["clip", "reference"],
                 "grams": ["reference", "n-grams"], "matches": ["matches", "clip"],
                 "total": ["total"], "k": ["count"], "gram": ["n-gram"],
                 "reference": ["reference", "references"], "candidate": ["candidate"],
                 "i": ["candidate[i:i + n]"], "n": ["n-gram", "n-grams"]}},
    {"function": "brevity_penalty", "spec": "rnnlesson.checks.bleu:BP_SPEC", "checks": BP,
     "outputs": ["BP"], "at_least": 4,
     "aliases": {"c": ["c"], "r": ["r"], "bp": ["BP"]}},
    {"function": "corpus_bleu", "spec": "rnnlesson.checks.bleu:BLEU_SPEC", "checks": BLEU,
     "outputs": ["BLEU"], "at_least": 8,
     "aliases": {"matches": ["matches", "p_n"], "totals": ["totals", "p_n", "n-gram"],
                 "c": ["c"], "r": ["r"], "m": ["matches", "p_n"], "t": ["totals", "p_n"],
                 "n": ["n", "n-grams"], "max_n": ["max_n"], "log_mean": ["geometric mean", "p_n"],
                 "refs": ["reference", "references"], "candidate": ["candidate"],
                 "length": ["reference", "closest"]}},
]
