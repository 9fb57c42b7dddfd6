"""A bag-of-words baseline: counts of each word, order thrown away, then logistic regression.

Letters: n_x vocabulary size, m sentences, n_y classes.
"""

import numpy as np

from rnnlesson.losses import cross_entropy
from rnnlesson.rnn import softmax
from rnnlesson.sequence import step_mask


def bag_of_words(ids, lengths, n_x):
    """Token ids (m, T_x) with lengths (m,) -> word counts (n_x, m); padding not counted."""
    m, T_x = ids.shape
    counts = np.zeros((n_x, m))
    keep = step_mask(lengths, m, T_x)
    np.add.at(counts, (ids[keep], np.nonzero(keep)[0]), 1.0)
    return counts


def fit_logistic_regression(X, y, n_y=2, steps=2000, lr=0.5, l2=0.0):
    """Softmax regression by full-batch gradient descent. X (n_x, m), y (m,) ints.
    Returns {"W": (n_y, n_x), "b": (n_y, 1)}."""
    W, b = np.zeros((n_y, X.shape[0])), np.zeros((n_y, 1))
    for _ in range(steps):
        _, dz = cross_entropy(softmax(W @ X + b), y)
        W = W - lr * (dz @ X.T + l2 * W)
        b = b - lr * dz.sum(axis=1, keepdims=True)
    return {"W": W, "b": b}


def predict_logistic_regression(model, X):
    """Class ids (m,) for features X (n_x, m)."""
    return np.argmax(model["W"] @ X + model["b"], axis=0)
