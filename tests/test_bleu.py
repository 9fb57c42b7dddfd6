"""BLEU (rnnlesson.bleu) against sacrebleu, the reference implementation, on many random
corpora; its definition checked by hand on small cases; bad input named."""

import math

import numpy as np
import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlesson.bleu import closest_length, corpus_bleu, ngrams

WORDS = ["a", "b", "c", "d", "e"]  # a small alphabet: n-grams repeat and match often


def sacre(hypotheses, references):
    """sacrebleu's corpus BLEU (0..100) on the same tokens: no tokenisation, no smoothing.
    references: one list per hypothesis, all of the same size (sacrebleu takes streams)."""
    streams = [[" ".join(refs[k]) for refs in references] for k in range(len(references[0]))]
    return sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses], streams,
                                 tokenize="none", smooth_method="none", force=True)


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.lists(
    st.tuples(sentence, st.lists(sentence, min_size=k, max_size=k)), min_size=1, max_size=6)))
def test_corpus_bleu_agrees_with_sacrebleu(corpus):
    hypotheses, references = [h for h, _ in corpus], [r for _, r in corpus]
    ours, theirs = corpus_bleu(hypotheses, references), sacre(hypotheses, references)
    assert ours.score * 100 == pytest.approx(theirs.score, rel=1e-9, abs=1e-9)
    assert list(ours.matches) == list(theirs.counts)
    assert list(ours.totals) == list(theirs.totals)
    assert (ours.hypothesis_length, ours.reference_length) == (theirs.sys_len, theirs.ref_len)
    assert ours.brevity_penalty == pytest.approx(theirs.bp, rel=1e-12)


def test_a_perfect_translation_scores_1_and_a_disjoint_one_0():
    refs = [["the", "cat", "sat", "on", "the", "mat"]]
    assert corpus_bleu([refs[0]], [refs]).score == pytest.approx(1.0)
    assert corpus_bleu([["dog"] * 6], [refs]).score == 0.0


def test_clipping_the_papers_example():
    """Papineni et al.'s "the the the the the the the" against two references holding "the"
    at most twice: unigram precision 2/7, not 7/7."""
    hyp = ["the"] * 7
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    result = corpus_bleu([hyp], [refs], max_n=1)
    assert result.matches == (2,) and result.totals == (7,)
    assert result.precisions == (pytest.approx(2 / 7),)


def test_the_brevity_penalty_uses_the_closest_reference_and_the_shorter_on_a_tie():
    assert closest_length(5, [["x"] * 3, ["x"] * 7, ["x"] * 4]) == 4
    assert closest_length(5, [["x"] * 4, ["x"] * 6]) == 4
    hyp, ref = ["a", "b"], ["a", "b", "c", "d"]
    result = corpus_bleu([hyp], [[ref]], max_n=2)
    assert result.brevity_penalty == pytest.approx(math.exp(1 - 4 / 2))
    # a translation longer than its reference is not penalised, only its precision drops
    assert corpus_bleu([ref + ["e"]], [[ref]], max_n=2).brevity_penalty == 1.0


def test_the_score_is_the_geometric_mean_of_the_precisions_times_the_penalty():
    rng = np.random.default_rng(0)
    hypotheses = [list(rng.choice(WORDS, 8)) for _ in range(20)]
    references = [[list(rng.choice(WORDS, 9))] for _ in range(20)]
    result = corpus_bleu(hypotheses, references)
    expected = result.brevity_penalty * np.prod(result.precisions) ** (1 / 4)
    assert result.score == pytest.approx(expected, rel=1e-12)
    assert 0 < result.score < 1


def test_corpus_bleu_is_not_the_mean_of_sentence_scores():
    """Matches and counts are summed over the corpus before dividing."""
    hypotheses = [["a", "b", "c", "d"], ["a", "b", "c", "d", "e", "a", "b"]]
    references = [[["a", "b", "c", "e"]], [["a", "b", "c", "d", "e", "a", "b"]]]
    whole = corpus_bleu(hypotheses, references).score
    mean = np.mean([corpus_bleu([h], [r]).score for h, r in zip(hypotheses, references,
                                                                 strict=True)])
    assert whole > 0 and not math.isclose(whole, mean)


def test_tokens_may_be_ids_and_ngrams_count_tuples():
    assert ngrams([1, 2, 1, 2], 2) == {(1, 2): 2, (2, 1): 1}
    ids = np.array([3, 1, 4, 1, 5])
    assert corpus_bleu([ids], [[ids.tolist()]]).score == pytest.approx(1.0)


@pytest.mark.parametrize("hypotheses, references, max_n, words", [
    ("a b", [["a b".split()]], 4, "hypotheses: expected a list of token sequences"),
    ([], [], 4, "hypotheses: expected at least one sentence"),
    ([["a"]], [["a"], ["b"]], 4, "references: expected a list of 1 lists of references"),
    (["a b"], [[["a", "b"]]], 4, "hypotheses[0]: expected a sequence of tokens"),
    ([["a"]], ["a"], 4, "references[0]: expected a non-empty list of token sequences"),
    ([["a"]], [[]], 4, "references[0]: expected a non-empty list"),
    ([["a"]], [[["a"]]], 0, "max_n: expected a positive integer, got 0"),
])
def test_bad_input_names_the_argument(hypotheses, references, max_n, words):
    with pytest.raises(ValueError, match=None) as info:
        corpus_bleu(hypotheses, references, max_n)
    assert words in str(info.value)


def test_agreement_holds_where_scores_are_far_from_0():
    """Random corpora of near-copies (references made by editing the hypothesis), so that most
    scores are well above 0, where every term of the formula counts."""
    rng = np.random.default_rng(1)
    scores = []
    for _ in range(200):
        hypotheses, references = [], []
        for _ in range(int(rng.integers(1, 6))):
            hyp = list(rng.choice(WORDS, int(rng.integers(4, 12))))
            refs = []
            for _ in range(2):
                ref = [w if rng.random() > 0.2 else str(rng.choice(WORDS)) for w in hyp]
                refs.append(ref[: len(ref) - int(rng.integers(0, 3))] or hyp)
            hypotheses.append(hyp)
            references.append(refs)
        ours, theirs = corpus_bleu(hypotheses, references), sacre(hypotheses, references)
        assert ours.score * 100 == pytest.approx(theirs.score, rel=1e-9, abs=1e-9)
        scores.append(ours.score)
    assert np.mean(np.array(scores) > 0.2) > 0.8 and min(scores) < max(scores)
