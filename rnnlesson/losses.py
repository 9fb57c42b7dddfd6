"""The output layer and its loss: ŷ_t = softmax(Wya a_t + by), cross-entropy in nats.

Letters: n_a hidden units, n_y classes, N predicted tokens. A sequence batch enters as its
N = T_x * m columns side by side (see `rnnlesson.sequence`); one step is N = m columns.
The loss is averaged over every predicted token (padded steps excluded), so exp(loss) is the
perplexity.
"""

import numpy as np


def cross_entropy(y_pred, y, mask=None, overwrite=False):
    """Mean -log ŷ[y] over the tokens where mask is True.

    y_pred (n_y, N) probabilities; y (N,) int labels; mask (N,) booleans, None for all.
    Returns loss (float) and dz (n_y, N), the gradient with respect to the logits Wya a + by:
    (ŷ - one_hot(y)) / (number of tokens counted) at the counted tokens, 0 elsewhere.
    overwrite=True writes dz into y_pred's own memory instead of a copy (y_pred is then lost).
    """
    columns = np.arange(y.size)
    n_tokens = y.size if mask is None else int(mask.sum())
    p_true = y_pred[y, columns] if mask is None else y_pred[y[mask], columns[mask]]
    # the smallest positive number of y_pred's dtype: log 0 would be -inf
    loss = -np.log(np.maximum(p_true, np.finfo(y_pred.dtype).tiny)).sum() / n_tokens
    dz = y_pred if overwrite else y_pred.copy()
    dz[y, columns] -= 1.0
    dz *= 1.0 / n_tokens if mask is None else mask / n_tokens
    return float(loss), dz


def sequence_cross_entropy(y_pred, y, lengths=None):
    """Cross-entropy of a sequence batch: y_pred (n_y, m, T_x), y (m, T_x), lengths (m,) or None.
    Returns loss and dz (n_y, T_x * m), the columns step-major (step 1's m, then step 2's, ...)
    as `rnnlesson.sequence.flat` lays them out."""
    n_y, m, T_x = y_pred.shape
    mask = None if lengths is None else (np.arange(T_x)[:, None] < lengths).ravel()
    return cross_entropy(y_pred.reshape((n_y, -1), order="F"), y.T.ravel(), mask)


def output_backward(dz, a, params, out=None):
    """Backward through Wya a + by for dz (n_y, N) and a (n_a, N).
    Returns {dWya (n_y, n_a), dby (n_y, 1)} and da (n_a, N), written into out if given."""
    grads = {"dWya": dz @ a.T, "dby": dz.sum(axis=1, keepdims=True)}
    return grads, np.matmul(params["Wya"].T, dz, out=out)
