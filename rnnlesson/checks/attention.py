"""Checks of exercise 12: one decoder step of additive attention with a mask.

The learner's attention_context(s_prev, h, params, mask) -> (context, alpha):

    e_{t,j} = wv^T tanh(Wq s_{t-1} + Wk h_j)                scores (m, T_x)
    alpha = softmax over the source steps j of the real steps; padded steps weight exactly 0
    context = sum_j alpha_{t,j} h_j                          (n_a, m)

A row with no real step at all gets weights 0 and context 0 (not NaN). The checks compare
with their own reference, then, when the weights are wrong, with the weights each typical
mistake gives, to name it.
"""

import functools
import warnings

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    call_on_copies,
    close,
    mistake,
    one_message,
    passed,
    shape_text,
    snapshot,
)

NAME = "attention_context"


def example(seed, n_a=4, n_e=3, lengths=(5, 3, 2), T_x=5, scale=1.0):
    """s_prev (n_a, m), h (n_a, m, T_x), params {Wq, Wk (n_e, n_a), wv (n_e, 1)}, mask (m, T_x)."""
    rng = np.random.default_rng(seed)
    m = len(lengths)
    params = {"Wq": rng.normal(size=(n_e, n_a)), "Wk": rng.normal(size=(n_e, n_a)),
              "wv": scale * rng.normal(size=(n_e, 1))}
    mask = np.arange(T_x)[None, :] < np.array(lengths)[:, None]
    return rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x)), params, mask


def scores_of(s_prev, h, params, tanh=True, swapped=False):
    """e (m, T_x): wv^T tanh(Wq s_prev + Wk h_j) (or a variant)."""
    q_weights, k_weights = (params["Wk"], params["Wq"]) if swapped else (params["Wq"],
                                                                         params["Wk"])
    pre = (q_weights @ s_prev)[:, :, None] + np.einsum("ea,amt->emt", k_weights, h)
    return np.einsum("e,emt->mt", params["wv"][:, 0], np.tanh(pre) if tanh else pre)


def masked_softmax(scores, mask, axis=1):
    """Softmax over axis of the real entries; padded entries 0; a row with none: all 0."""
    top = np.where(mask, scores, -np.inf).max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    weights = np.exp(np.where(mask, scores - top, -np.inf))  # padded: exp(-inf) = 0
    total = weights.sum(axis=axis, keepdims=True)
    return weights / np.where(total > 0, total, 1.0)


def shifted_softmax(scores, mask, shift_axis):
    """The masked softmax over axis 1, its scores shifted by their max over shift_axis
    (1 is right; 0 is a mistake that changes the weights)."""
    masked = np.where(mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):
        top = masked.max(axis=shift_axis, keepdims=True)
        weights = np.exp(masked - np.where(np.isfinite(top), top, 0.0))
    total = weights.sum(axis=1, keepdims=True)
    return weights / np.where(total > 0, total, 1.0)


def whole_batch_softmax(scores, mask):
    """The masked, row-shifted exps divided by their sum over the whole (m, T_x) array."""
    masked = np.where(mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):
        top = masked.max(axis=1, keepdims=True)
        weights = np.exp(masked - np.where(np.isfinite(top), top, 0.0))
    total = weights.sum()
    return weights / total if total > 0 else weights


def plain_softmax(scores, axis=1):
    weights = np.exp(scores - scores.max(axis=axis, keepdims=True))  # finite scores only
    return weights / weights.sum(axis=axis, keepdims=True)


def reference_attention(s_prev, h, params, mask):
    """(context (n_a, m), alpha (m, T_x)): the exercise's answer."""
    alpha = masked_softmax(scores_of(s_prev, h, params), mask)
    return np.einsum("amt,mt->am", h, alpha), alpha


def variants(s_prev, h, params, mask):
    """(slug, weights, what to say) for each typical mistake, in the order to test them."""
    e = scores_of(s_prev, h, params)
    return [
        ("mask-ignored", plain_softmax(e),
         "the padded steps were not masked: their weights should be exactly 0. Set their "
         "scores to -inf before the softmax (np.where(mask, scores, -np.inf))."),
        ("mask-multiplied", plain_softmax(e * mask),
         "the padded steps' scores were multiplied by 0, which makes them 0, not -inf: "
         "exp(0) = 1, so a padded step still gets weight. Set their scores to -inf before the "
         "softmax (np.where(mask, scores, -np.inf))."),
        ("masked-after-softmax", plain_softmax(e) * mask,
         "the mask was applied after the softmax without renormalising: the weights of the "
         "real steps no longer add up to 1. Mask the scores before the softmax (or divide by "
         "the new row sums)."),
        ("mask-inverted", masked_softmax(e, ~mask),
         "the mask was used the wrong way round: mask is True at the real steps, which keep "
         "their weight, and False at the padded ones, which get weight 0."),
        ("softmax-over-the-batch", whole_batch_softmax(e, mask),
         "the weights are normalised over the whole batch (divided by one sum over every "
         "example and step). Each example's weights are a distribution of their own: divide "
         "by each row's sum, weights.sum(axis=1, keepdims=True)."),
        ("softmax-wrong-axis", masked_softmax(e, mask, axis=0),
         "the softmax ran over the batch axis (axis 0 of the (m, T_x) scores). The weights of "
         "one example are a distribution over its source steps: normalise along axis 1."),
        ("softmax-wrong-axis", plain_softmax(e, axis=0) * mask,
         "the softmax ran over the batch axis (axis 0 of the (m, T_x) scores). The weights of "
         "one example are a distribution over its source steps: normalise along axis 1."),
        ("shift-wrong-axis", shifted_softmax(e, mask, 0),
         "the shift before np.exp is each column's largest score (max over axis 0, the "
         "examples); a softmax may only subtract one number per example: its largest real "
         "score, masked.max(axis=1, keepdims=True)."),
        ("query-key-swapped", masked_softmax(scores_of(s_prev, h, params, swapped=True), mask),
         "Wq and Wk were swapped: Wq multiplies the decoder's state s_prev, Wk the encoder's "
         "states h_j."),
        ("no-tanh", masked_softmax(scores_of(s_prev, h, params, tanh=False), mask),
         "the scores miss the tanh: e = wv^T tanh(Wq s_prev + Wk h_j)."),
    ]


def keys_averaged(n_e, shape):
    """The CheckFailure of a context of n_e rows: the keys Wk h_j averaged, not the states."""
    return mistake(NAME, "context-from-keys", f"{NAME}: context has n_e = {n_e} rows, the size "
                   f"of the keys Wk h_j, where it should be (n_a, m) = {shape}: yours averages "
                   "the keys. The context averages the encoder states themselves: "
                   "sum_j alpha[:, j] h[:, :, j]; the keys only score them.")


def run(fn, s_prev, h, params, mask):
    args = {"s_prev": snapshot(s_prev), "h": snapshot(h), "params": snapshot(params),
            "mask": snapshot(mask)}
    (n_a, m), T_x, n_e = s_prev.shape, h.shape[2], params["wv"].shape[0]
    sizes = (f"s_prev (n_a, m) = {(n_a, m)}, h (n_a, m, T_x) = {h.shape}, Wq and Wk "
             f"(n_e, n_a) = {(n_e, n_a)}, wv (n_e, 1) = {(n_e, 1)}, mask (m, T_x) = {(m, T_x)}")
    result = call_on_copies(fn, NAME, args, sizes)
    context, alpha = (plain(v) for v in assert_returns(NAME, result, 2, "context, alpha"))
    if not isinstance(alpha, np.ndarray) or alpha.shape != (m, T_x):
        hint = " It looks transposed: one row per example." \
            if isinstance(alpha, np.ndarray) and alpha.shape == (T_x, m) else ""
        if isinstance(alpha, np.ndarray) and alpha.shape == (m, 1) and T_x > 1:
            hint = (" One weight per example: the steps' axis was lost on the way to the "
                    "softmax (a row's largest score or sum, (m, 1), used where the (m, T_x) "
                    "scores belong).")
        raise mistake(NAME, "alpha-wrong-shape", f"{NAME}: alpha should be an array of shape "
                      f"(m, T_x) = {(m, T_x)}, received {shape_text(alpha)}.{hint}")
    if not isinstance(context, np.ndarray) or context.shape != (n_a, m):
        if isinstance(context, np.ndarray) and context.shape == (n_a, T_x):
            return context, alpha, "context-wrong-axis"
        if isinstance(context, np.ndarray) and n_e != n_a and context.shape == (n_e, m):
            raise keys_averaged(n_e, (n_a, m))
        raise mistake(NAME, "context-wrong-shape", f"{NAME}: context should be an array of "
                      f"shape (n_a, m) = {(n_a, m)}, received {shape_text(context)}.")
    return context, alpha, None


def context_axis_mistake():
    return mistake(NAME, "context-wrong-axis", f"{NAME}: context has shape (n_a, T_x): the "
                   "weighted sum ran over the batch axis m. Sum over the source steps j (the "
                   "last axis of h): context = sum_j alpha[:, j] h[:, :, j], shape (n_a, m).")


def quiet(check):
    """Run check with warnings recorded, never printed: a right answer that divides 0 by 0
    and cleans up with np.nan_to_num, or uses masked arrays, must pass silently (nbgrader
    scores a test cell that writes to stderr 0)."""

    @functools.wraps(check)
    def run_quietly(*args, **kwargs):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            return check(*args, **kwargs)

    return run_quietly


@quiet
@one_message(NAME)
def check_attention_context_shapes(attention_context):
    """context (n_a, m) and alpha (m, T_x) for n_a = 6, n_e = 2, m = 2, T_x = 4."""
    s_prev, h, params, mask = example(11, n_a=6, n_e=2, lengths=(4, 2), T_x=4)
    _, _, wrong_axis = run(attention_context, s_prev, h, params, mask)
    if wrong_axis:
        raise context_axis_mistake()
    passed(f"{NAME} shapes")


@quiet
@one_message(NAME)
def check_attention_context(attention_context):
    """The weights and the context against the reference, then an all-padded row and large
    scores."""
    s_prev, h, params, mask = example(12)
    context, alpha, wrong_axis = run(attention_context, s_prev, h, params, mask)
    if wrong_axis:
        raise context_axis_mistake()
    expected_context, expected = reference_attention(s_prev, h, params, mask)
    if not np.all(np.isfinite(alpha)):
        raise mistake(NAME, "not-finite", f"{NAME}: alpha contains NaN or infinite values "
                      "although every example has real steps.")
    if not close(alpha, expected):
        for slug, weights, text in variants(s_prev, h, params, mask):
            if close(alpha, weights):
                raise mistake(NAME, slug, f"{NAME}: {text}")
        general(attention_context)
        if np.any(alpha[~mask] != 0):
            raise mistake(NAME, "padded-weight-nonzero", f"{NAME}: the padded steps got "
                          "weight; it should be exactly 0 (scores of padded steps -inf).")
        if not np.allclose(alpha.sum(axis=1), 1.0):
            raise mistake(NAME, "rows-not-normalised", f"{NAME}: each example's weights over "
                          "its real steps should add up to 1 (rows of alpha sum to 1).")
        raise mistake(NAME, "weights-wrong", f"{NAME}: alpha differs from the softmax over the "
                      "real steps of e = wv^T tanh(Wq s_prev + Wk h_j). Compute the scores "
                      "(m, T_x) first and compare them with the formula.")
    if np.any(alpha[~mask] != 0):
        raise mistake(NAME, "padded-weight-nonzero", f"{NAME}: the padded steps' weights are "
                      "tiny but not exactly 0: set their scores to -inf, not to a large "
                      "negative number.")
    if not close(context, expected_context):
        if close(context, np.einsum("amt,mt->am", h, np.ones_like(alpha))):
            raise mistake(NAME, "context-unweighted", f"{NAME}: the context is the plain sum "
                          "of the h_j; weight each h_j by alpha: sum_j alpha[:, j] h[:, :, j].")
        real_mean = np.einsum("amt,mt->am", h, mask / mask.sum(axis=1, keepdims=True))
        if close(context, real_mean) or close(context, h.mean(axis=2)):
            raise mistake(NAME, "context-unweighted", f"{NAME}: the context is the plain mean "
                          "of the h_j, every step weighted alike; weight each h_j by its own "
                          "alpha: sum_j alpha[:, j] h[:, :, j].")
        general(attention_context)
        raise mistake(NAME, "context-wrong", f"{NAME}: the weights are right but the context "
                      "is not sum_j alpha[:, j] h[:, :, j] (shape (n_a, m)).")

    s_prev, h, params, mask = example(13, lengths=(4, 0, 2))
    context, alpha, _ = run(attention_context, s_prev, h, params, mask)
    if not (np.all(np.isfinite(alpha)) and np.all(np.isfinite(context))):
        raise mistake(NAME, "all-masked-nan", f"{NAME}: for an example whose steps are all "
                      "padded (length 0), every score is -inf, and exp(-inf - max) with max = "
                      "-inf is NaN. Give such a row weights 0 and context 0 (e.g. divide by the "
                      "row sum only where it is above 0).")
    if np.any(alpha[1] != 0) or np.any(context[:, 1] != 0):
        T_x = alpha.shape[1]
        if np.allclose(alpha[1], 1.0 / T_x):
            raise mistake(NAME, "all-masked-uniform", f"{NAME}: an example whose steps are all "
                          f"padded (length 0) gets weight 1/T_x = 1/{T_x} on each step from "
                          "yours: its padded scores, however negative (-1e9), are finite and "
                          "all equal, so the softmax spreads the weight evenly. Such an "
                          "example gets weights 0 and context 0: -inf for padded scores (and "
                          "no division by a zero sum), or np.where(mask, weights, 0).")
        raise mistake(NAME, "all-masked-not-zero", f"{NAME}: an example whose steps are all "
                      "padded should get weights 0 and context 0.")

    s_prev, h, params, mask = example(14, scale=2000.0)
    context, alpha, _ = run(attention_context, s_prev, h, params, mask)
    if not np.all(np.isfinite(alpha)):
        raise mistake(NAME, "softmax-overflow", f"{NAME}: with large scores (wv scaled up) "
                      "exp overflows: subtract each row's largest real score before np.exp.")
    general(attention_context)
    passed(NAME)


def plain(value):
    """A masked array as the plain array it stands for (masked entries 0: weight 0)."""
    return np.ma.filled(value, 0.0) if isinstance(value, np.ma.MaskedArray) else value


def general(fn, count=40, seed=0):
    """The general check of attention_context (`attention_general`, which reads this
    module's reference: imported when first needed)."""
    from rnnlesson.checks.attention_general import general as check

    check(fn, count, seed)
