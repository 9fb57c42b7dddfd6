"""Checks of exercise 8: a many-to-one sentiment classifier.

Letters: n_x vocabulary size, n_a hidden units, n_y = 2 classes, m sentences, T_x the
longest sentence's length (the others padded with id 0).
"""

import numpy as np

from rnnlesson.checks._common import call_on_copies, example_params, passed, snapshot
from rnnlesson.datasets import load_sentiment, sentiment_arrays
from rnnlesson.sequence import rnn_forward

NAME = "predict"


def reference_predict(params, ids, lengths):
    """The label whose ŷ is largest, read from the state after each sentence's last word."""
    recurrence = {key: params[key] for key in ("Wax", "Waa", "ba")}
    a, _, _ = rnn_forward(ids, None, recurrence, lengths)
    m = ids.shape[0]
    a_last = a[:, np.arange(m), lengths - 1]  # (n_a, m)
    return np.argmax(params["Wya"] @ a_last + params["by"], axis=0)


def run_predict(predict, params, ids, lengths):
    args = {"params": snapshot(params), "ids": ids.copy(), "lengths": lengths.copy()}
    labels = call_on_copies(predict, NAME, args,
                            f"ids (m, T_x) = {ids.shape}, lengths (m,) = {lengths.shape}, n_x = "
                            f"{params['Wax'].shape[1]}, n_a = {params['Waa'].shape[0]}")
    m = ids.shape[0]
    if not isinstance(labels, np.ndarray) or labels.shape != (m,):
        raise AssertionError(f"{NAME}: should return one label per sentence, an array of shape "
                             f"(m,) = ({m},); received "
                             f"{getattr(labels, 'shape', type(labels).__name__)}.")
    if not np.issubdtype(labels.dtype, np.integer) or not np.isin(labels, (0, 1)).all():
        raise AssertionError(f"{NAME}: labels should be the ints 0 (negative) and 1 (positive); "
                             f"received {labels[:8].tolist()} (dtype {labels.dtype}).")
    return labels


def check_predict(predict):
    """Check a learner's predict(params, ids, lengths) -> labels (m,) on random weights.

    The label is the class with the largest ŷ, read from the hidden state after each
    sentence's own last word (padding steps are not part of the sentence).
    """
    rng = np.random.default_rng(8)
    n_x, n_a, m, T_x = 12, 6, 40, 7
    params = example_params(n_x, n_a, 2, seed=8, scale=1.0)
    params["by"] = np.zeros((2, 1))  # labels then vary from sentence to sentence
    params["Wax"][:, 0] *= 3  # reading the padding id 0 would change many labels
    lengths = rng.integers(1, T_x + 1, m)
    lengths[0] = T_x
    ids = rng.integers(1, n_x, (m, T_x))
    ids[np.arange(T_x) >= lengths[:, None]] = 0
    labels = run_predict(predict, params, ids, lengths)
    expected = reference_predict(params, ids, lengths)
    wrong = int(np.sum(labels != expected))
    if wrong == 0:
        passed(NAME)
        return
    full = reference_predict(params, ids, np.full(m, T_x))
    if np.array_equal(labels, full):
        raise AssertionError(f"{NAME}: the labels were read after the padding: the state must "
                             "be the one after each sentence's own last word (pass lengths to "
                             "rnn_forward, or read a[:, i, lengths[i] - 1]).")
    if np.array_equal(labels, 1 - expected):
        raise AssertionError(f"{NAME}: every label is flipped: the label is the index of the "
                             "largest entry of ŷ (np.argmax over axis 0).")
    raise AssertionError(f"{NAME}: {wrong} of {m} labels differ from argmax over the classes of "
                         "softmax(Wya a_last + by), a_last the state after each sentence's last "
                         "word.")


def check_held_out_accuracy(predict, params, vocab, threshold):
    """Encode the test sentences with the training vocab, predict, and require an accuracy of
    at least threshold. Prints the count and returns the accuracy."""
    sentences = load_sentiment("test")
    ids, lengths, labels, _ = sentiment_arrays(sentences, vocab)
    n_x = vocab.size
    if params["Wax"].shape[1] != n_x or params["Wya"].shape[0] != 2:
        raise AssertionError(f"the trained params should read n_x = {n_x} word ids (the vocab's "
                             "size) and predict n_y = 2 classes; their Wax is "
                             f"{params['Wax'].shape} and Wya {params['Wya'].shape}.")
    predicted = run_predict(predict, params, ids, lengths)
    right = int(np.sum(predicted == labels))
    accuracy = right / len(labels)
    if accuracy < threshold:
        raise AssertionError(f"held-out accuracy {right}/{len(labels)} = {accuracy:.2f} is below "
                             f"{threshold}. Train longer, try another learning rate or n_a, and "
                             "check the training loss goes down.")
    print(f"held-out accuracy: {right}/{len(labels)} = {accuracy:.2f} (at least {threshold})")
    return accuracy
