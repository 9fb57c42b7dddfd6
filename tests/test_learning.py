"""The models learn: order-sensitive sentiment, and a character model on the shipped corpus."""

import numpy as np

import rnnlesson as R
from rnnlesson import charlm
from rnnlesson.baselines import bag_of_words, fit_logistic_regression, predict_logistic_regression
from rnnlesson.sequence import output_forward


def many_to_one_predict(params, ids, lengths):
    a, _, _ = R.rnn_forward(ids, None, params, lengths=lengths)
    a_last = a[:, np.arange(len(lengths)), lengths - 1]
    return output_forward(a_last, params).argmax(axis=0)


def test_the_shipped_sentences_have_order_swapped_pairs():
    sentences = R.load_sentiment()
    assert len(sentences) >= 100
    pairs = {}
    for s in sentences:
        if s.pair:
            pairs.setdefault(s.pair, []).append(s)
    assert len(pairs) >= 20
    for first, second in pairs.values():
        assert sorted(first.text.split()) == sorted(second.text.split())
        assert first.text != second.text and first.label != second.label


def test_rnn_separates_order_swapped_pairs_that_bag_of_words_cannot():
    train = R.load_sentiment("train")
    ids, lengths, labels, vocab = R.sentiment_arrays(train)
    bow = bag_of_words(ids, lengths, vocab.size)
    baseline = fit_logistic_regression(bow, labels, steps=3000)
    bow_accuracy = np.mean(predict_logistic_regression(baseline, bow) == labels)
    assert bow_accuracy < 1.0  # identical features with opposite labels: it cannot

    params = R.init_params(vocab.size, 32, 2, seed=0)
    params, history = R.train(
        lambda p: R.many_to_one_loss(p, ids, labels, lengths=lengths), params, [()],
        steps=400, optimizer=R.adam(0.02), clip_norm=5.0, progress=False)
    rnn_accuracy = np.mean(many_to_one_predict(params, ids, lengths) == labels)
    assert rnn_accuracy == 1.0, f"RNN train accuracy {rnn_accuracy:.3f}"
    assert history["loss"][-1] < 0.05


def test_character_model_held_out_loss_falls_well_below_uniform():
    text = R.load_corpus()
    assert len(text.encode()) >= 50_000
    split = int(0.9 * len(text))
    vocab = R.Vocabulary.from_sequences([text])
    model, history = charlm.train(text[:split], n_a=64, batch_size=32, steps=300, lr=0.01,
                                  vocab=vocab, progress=False)
    uniform = np.log(vocab.size)
    held_out = charlm.evaluate(model, text[split:])
    assert held_out < 0.65 * uniform, f"held-out {held_out:.2f} nats vs uniform {uniform:.2f}"
    assert history["loss"][-1] < history["loss"][0]
    sample = charlm.sample(model, "The ", 80, temperature=0.7, seed=0)
    assert sample.startswith("The ") and len(sample) == 84
    assert sample == charlm.sample(model, "The ", 80, temperature=0.7, seed=0)
