"""The output layer and its loss: ŷ_t = softmax(Wya a_t + by), cross-entropy in nats.

Letters: n_a hidden units, n_y classes, m examples, T steps. Arrays here are steps-first,
(T, n_y, m), the layout `rnnlesson.sequence` stores them in; a single step is (n_y, m).
The loss is averaged over every predicted token (padded steps excluded), so exp(loss) is the
perplexity.
"""

import numpy as np


def cross_entropy(y_pred, y, mask=None):
    """Mean -log ŷ[y] over the tokens where mask is True.

    y_pred (T, n_y, m) probabilities (or (n_y, m) for one step); y (m, T) int labels (or (m,));
    mask like y, booleans, None for all.
    Returns loss (float) and dz, the gradient with respect to the logits Wya a + by, shaped
    like y_pred: (ŷ - one_hot(y)) / N at the counted tokens, 0 elsewhere.
    """
    steps = y_pred.ndim == 3
    labels = y.T if steps else y  # (T, m) or (m,)
    keep = np.ones(labels.shape, dtype=bool) if mask is None else (mask.T if steps else mask)
    n_tokens = int(keep.sum())
    p_true = np.take_along_axis(y_pred, labels[..., None, :], axis=-2)[..., 0, :]
    loss = -np.log(np.maximum(p_true[keep], 1e-300)).sum() / n_tokens
    dz = y_pred.copy()
    np.put_along_axis(dz, labels[..., None, :], p_true[..., None, :] - 1.0, axis=-2)
    dz *= keep[..., None, :] / n_tokens
    return loss, dz


def output_backward(dz, a_steps, params):
    """Backward through Wya a + by: dz and a_steps are (T, n_y, m) and (T, n_a, m), or one
    step (n_y, m) and (n_a, m). Returns dWya (n_y, n_a), dby (n_y, 1) and da shaped like a_steps.
    """
    axes = ([0, 2], [0, 2]) if dz.ndim == 3 else ([1], [1])
    return {
        "dWya": np.tensordot(dz, a_steps, axes=axes),
        "dby": dz.sum(axis=tuple(i for i in range(dz.ndim) if i != dz.ndim - 2))[:, None],
    }, params["Wya"].T @ dz
