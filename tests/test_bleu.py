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


# Several right references: the dates task read aloud (rnnlesson.judging), and notebook 14's
# reading of its BLEU table.

def test_every_date_has_its_readings_and_the_first_is_date_words():
    import datetime

    from rnnlesson.dates import MONTHS, date_words, day_words, draw_dates
    from rnnlesson.judging import date_readings

    for date in draw_dates(np.random.default_rng(0), 300) + [datetime.date(2000, 1, 1)]:
        readings = date_readings(date)
        assert readings[0] == date_words(date) and len(set(readings)) == len(readings)
        assert len(readings) == (3 if date.year < 2001 else 6), (date, readings)
        month, day = MONTHS[date.month - 1], day_words(date.day)
        assert all(month in r and day in r for r in readings)
        assert sum(r.startswith(f"the {day} of {month} ") for r in readings) == len(readings) // 3


@pytest.mark.parametrize("date, words", [
    ("2024-05-05", "date: expected a datetime.date"),
    (__import__("datetime").date(1949, 12, 31), "date: expected a datetime.date from 1950"),
])
def test_date_readings_names_bad_input(date, words):
    from rnnlesson.judging import date_readings

    with pytest.raises(ValueError, match=words):
        date_readings(date)


def test_exact_match_accepts_any_reference_and_checks_its_input():
    from rnnlesson.judging import exact_match

    hyps = [["may", "the", "fifth"], ["june", "first"]]
    refs = [[["may", "fifth"], ["may", "the", "fifth"]], [["june", "second"]]]
    assert exact_match(hyps, refs) == 0.5
    assert exact_match(hyps, [r[:1] for r in refs]) == 0.0
    with pytest.raises(ValueError, match="references: expected a list of 2 lists"):
        exact_match(hyps, refs[:1])


def notebook_14():
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "14-attention-and-beam-search.ipynb"
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for out in cell.outputs)
    prose = " ".join(" ".join(cell.source for cell in notebook.cells
                              if cell.cell_type == "markdown").split())
    return text, prose


def test_notebook_14s_bleu_table_reads_as_the_prose_says():
    """'it calls most of the attention model's right readings wrong; against any reading, the
    same outputs score far higher', and 'the plain model, which almost never writes a whole date
    right, ... its BLEU is far from 0'."""
    import re

    text, prose = notebook_14()
    assert "it calls most of the attention model's right readings wrong" in prose
    assert "the plain model, which almost never writes a whole date right" in prose
    rows = {name: [float(v) for v in values.split()] for name, values in re.findall(
        r"^\s*(plain|attention)\s+([\d. ]+)$", text, re.MULTILINE)}
    (one, anyone, bleu_one, bleu_all) = rows["attention"]
    assert one < anyone / 2 and bleu_one < bleu_all, rows
    (one, anyone, bleu_one, bleu_all) = rows["plain"]
    assert anyone < 0.05 and bleu_all > 0.2 and bleu_all > 10 * anyone, rows


def test_notebook_14s_small_bleu_examples_are_as_the_prose_says():
    """'of the five `may`s one is counted ($p_1 = 1/5$)', the cut reading's 'every $p_n$ is 1'
    and its penalty 'with the closest reading five words long', 'A right reading, whichever,
    scores 1'."""
    import re

    text, prose = notebook_14()
    assert "of the five `may`s one is counted ($p_1 = 1/5$)" in prose
    assert "with the closest reading five words long" in prose
    assert "A right reading, whichever, scores 1." in prose
    line = (r"'{}': clipped matches \(([\d, ]+)\) of \(([\d, ]+)\) n-grams, c = (\d+), "
            r"r = (\d+), BP = ([\d.]+), BLEU = ([\d.]+)")
    repeat = re.search(line.format("may may may may may"), text).groups()
    assert (repeat[0].split(", ")[0], repeat[1].split(", ")[0]) == ("1", "5")
    cut = re.search(line.format("may fifth twenty twenty"), text).groups()
    assert cut[0] == cut[1] and int(cut[3]) == 5
    assert float(cut[4]) == pytest.approx(math.exp(1 - int(cut[3]) / int(cut[2])), abs=5e-4)
    right = re.search(line.format("the fifth of may twenty twenty four"), text).groups()
    assert float(right[5]) == 1.0


def test_trained_on_every_reading_a_model_is_undercounted_by_one_reference():
    """Notebook 14's reverse task, run again: an attention model trained briefly from ISO dates
    to readings drawn at random writes right readings in other orders than date_words', so exact
    match against that one reading counts far fewer right than against any reading, and BLEU
    against all the readings gives partial credit beyond either."""
    from functools import partial

    import rnnlesson as R
    from rnnlesson.dates import draw_dates, minibatch
    from rnnlesson.judging import date_readings, exact_match

    rng = np.random.default_rng(0)
    dates = draw_dates(rng, 3200)
    readings = [[r.split() for r in date_readings(d)] for d in dates]
    spoken = [r[rng.integers(len(r))] + ["<end>"] for r in readings]
    chars = R.Vocabulary.from_sequences([d.isoformat() for d in dates])
    words = R.Vocabulary.from_sequences(spoken, extra=("<end>", "<s>"))
    x = np.stack([chars.encode(d.isoformat()) for d in dates])
    y, y_lengths = R.pad_batch([words.encode(w) for w in spoken], pad_id=0)
    y_in = np.concatenate([np.ones((len(y), 1), int), y[:, :-1]], axis=1)
    batches = partial(minibatch, x=x[:3000], y_in=y_in[:3000], y=y[:3000],
                      lengths=y_lengths[:3000], size=64)
    params, _ = R.train(lambda p, *b: R.attention_loss(p, *b[:3], None, b[3]),
                        R.init_attention(chars.size, 32, words.size, seed=0), batches, steps=200,
                        optimizer=R.adam(1e-2), clip_norm=5.0, progress=False)
    hyps = []
    for ids in R.translate(params, x[3000:], y.shape[1], 1):
        out = [words.symbols[i] for i in ids]
        hyps.append(out[: out.index("<end>")] if "<end>" in out else out)
    held_out = readings[3000:]
    one, anyone = exact_match(hyps, [r[:1] for r in held_out]), exact_match(hyps, held_out)
    assert anyone > 0.3 and one < anyone / 2, (one, anyone)
    assert corpus_bleu(hyps, held_out).score > max(anyone, corpus_bleu(
        hyps, [r[:1] for r in held_out]).score)
