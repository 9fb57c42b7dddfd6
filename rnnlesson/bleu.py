"""BLEU: how close a corpus of translations comes to its references (Papineni et al. 2002).

A translation ŷ is a sequence of tokens (words, or the ids of a model's vocabulary); each has
one or more right references y. BLEU counts, for n = 1 to 4, how many of the n-grams of the
translations appear in their references, each n-gram counted at most as often as it appears
in one reference (the *clipped* count, so "the the the" gains nothing from one "the"):

    p_n = sum over sentences of clipped n-gram matches / sum of the translations' n-grams.

Precision alone rewards leaving words out, so a *brevity penalty* BP = exp(1 - r / c) applies
when the translations' total length c is below r, the sum over sentences of the reference
length closest to each translation's (the shorter on a tie), and BP = 1 otherwise:

    BLEU = BP * exp(sum_n w_n log p_n),   w_n = 1 / N  (N = 4),

a number from 0 to 1, and 0 when some p_n is 0 (no smoothing: the corpus is meant to be large
enough to hold every order of n-gram). It is computed over the whole corpus at once, not as a
mean of sentence scores. sacrebleu (``tokenize="none"``, ``smooth_method="none"``) computes
the same number, times 100; the tests hold the two side by side.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnnlesson._validate import describe, fail


@dataclass(frozen=True)
class BLEU:
    """score: BLEU in [0, 1]; precisions: (p_1, ..., p_N); matches and totals: the clipped
    matches and the n-grams counted for each n; brevity_penalty; hypothesis_length c and
    reference_length r (tokens, over the corpus)."""

    score: float
    precisions: tuple
    matches: tuple
    totals: tuple
    brevity_penalty: float
    hypothesis_length: int
    reference_length: int


def ngrams(tokens, n):
    """Counter of the n-grams (tuples of n tokens) of one token sequence."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def closest_length(length, references):
    """The length of the reference closest to length (the shorter one on a tie)."""
    return min((len(ref) for ref in references), key=lambda r: (abs(r - length), r))


def check_corpus(hypotheses, references):
    """hypotheses: a list of token sequences; references: as many lists of token sequences."""
    if not isinstance(hypotheses, (list, tuple)):
        fail("hypotheses", "a list of token sequences (one per sentence)", describe(hypotheses))
    if not isinstance(references, (list, tuple)) or len(references) != len(hypotheses):
        fail("references", f"a list of {len(hypotheses)} lists of references (one list per "
             "hypothesis)", describe(references))
    if not hypotheses:
        fail("hypotheses", "at least one sentence", "an empty list")
    for i, (hyp, refs) in enumerate(zip(hypotheses, references, strict=True)):
        if isinstance(hyp, str) or not hasattr(hyp, "__len__"):
            fail(f"hypotheses[{i}]", "a sequence of tokens (split a sentence into words "
                 "first)", describe(hyp))
        if isinstance(refs, str) or not isinstance(refs, (list, tuple)) or not refs or any(
                isinstance(ref, str) or not hasattr(ref, "__len__") for ref in refs):
            fail(f"references[{i}]", "a non-empty list of token sequences (the right "
                 "translations of hypothesis i)", describe(refs))


def corpus_bleu(hypotheses, references, max_n=4):
    """BLEU of a corpus (see the module's doc).

    hypotheses: [ŷ^(1), ..., ŷ^(K)], each a sequence of tokens (words or int ids);
    references: [[y^(1,1), ...], ..., [y^(K,1), ...]], one or more right sequences for each;
    max_n: the longest n-grams counted (N, 4 as in the paper), each weighted 1 / N.
    Returns a `BLEU`.
    """
    check_corpus(hypotheses, references)
    if not isinstance(max_n, (int, np.integer)) or isinstance(max_n, bool) or max_n < 1:
        fail("max_n", "a positive integer", describe(max_n))
    matches, totals = np.zeros(max_n, dtype=np.int64), np.zeros(max_n, dtype=np.int64)
    c = r = 0
    for hyp, refs in zip(hypotheses, references, strict=True):
        hyp, refs = list(hyp), [list(ref) for ref in refs]
        c, r = c + len(hyp), r + closest_length(len(hyp), refs)
        for n in range(1, max_n + 1):
            counts = ngrams(hyp, n)
            most = Counter()  # each n-gram's largest count in one reference
            for ref in refs:
                most |= ngrams(ref, n)
            matches[n - 1] += sum(min(k, most[g]) for g, k in counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    precisions = tuple(float(m / t) if t else 0.0 for m, t in zip(matches, totals, strict=True))
    brevity = 1.0 if c > r else (float(np.exp(1 - r / c)) if c else 0.0)
    score = 0.0 if min(precisions) == 0 else brevity * float(np.exp(np.mean(np.log(precisions))))
    return BLEU(score, precisions, tuple(int(m) for m in matches), tuple(int(t) for t in totals),
                brevity, c, r)
