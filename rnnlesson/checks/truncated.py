"""Check of exercise 9: truncated backpropagation through time.

With window length k the steps are cut into windows t = 0..k-1, k..2k-1, ... (counting from 0);
inside a window the gradient flows back as in full BPTT, but none crosses from the first step
of a window into the step before it. The first window still runs back to a0.
"""

import numpy as np

from rnnlesson.checks._common import (
    TOL,
    call_on_copies,
    close,
    error_text,
    mistake,
    one_message,
    passed,
)
from rnnlesson.checks.backward import (
    SEQ_KEYS,
    assert_gradient_dict,
    bptt_example,
    bptt_mistakes,
    bptt_variant,
)
from rnnlesson.sequence import rnn_backward, rnn_forward, rnn_forward_by_cells

NAME = "rnn_backward_truncated"


def cut_bptt(da, caches, cut):
    """BPTT over cell caches where cut(t) says whether the gradient from step t into step
    t - 1 is dropped; used to recognise misplaced windows."""
    return bptt_variant(da, caches, cut)


def window_mistakes(da, caches, k):
    """[(gradients, slug, explanation)]: cuts in the wrong place for window length k, and the
    mistakes of full BPTT (named as in exercise 6) made inside the windows."""
    T_x = da.shape[2]

    def cut(t):
        return t % k == 0 and t > 0

    def starts(t):
        return t % k == k - 1 or t == T_x - 1  # the first step each window's backward pass runs

    return [
        (cut_bptt(da, caches, lambda t: False), "nothing-cut",
         f"nothing was cut: these are the full BPTT gradients. With k = {k} no gradient may "
         f"flow from step {k} into step {k - 1} (nor from 2k into 2k - 1, ...): set da_prev to "
         "zero after the backward pass of each window's first step."),
        (cut_bptt(da, caches, lambda t: (T_x - t) % k == 0), "windows-from-the-end",
         "the windows are counted from the end of the sequence; count them from t = 0: steps "
         f"0..{k - 1}, {k}..{2 * k - 1}, ..."),
        (cut_bptt(da, caches, lambda t: (t + 1) % k == 0 and t + 1 < T_x), "cut-one-step-off",
         f"the cut is one step off: cut after the backward pass of step t = {k} (the first "
         f"step of the second window), so that step {k - 1} gets nothing from it."),
        ({"da0": cut_bptt(da, caches, lambda t: t % k == 0)["da0"]}, "da0-cut",
         "da0 is zero: the first window is not cut from a0; it runs back to the start."),
        (bptt_variant(da, caches, cut, reset=starts), "sums-reset-per-window",
         "the weight gradients keep only the last window's sum: they restart at each window. "
         "Truncation cuts da_prev only; dWax, dWaa and dba still add up every step's share."),
        *bptt_mistakes(da, caches, cut),
    ]


@one_message(NAME)
def check_rnn_backward_truncated(rnn_backward_truncated):
    """Check a learner's rnn_backward_truncated(da, caches, k) -> {dx, da0, dWax, dWaa, dba}.

    caches: the list of cell caches from the forward loop; k: the window length. Compares with
    rnnlesson.rnn_backward(..., truncate=k) for several k and names a misplaced cut, or a
    mistake of full BPTT, with the same words as exercise 6.
    """
    x, a0, params, da = bptt_example(seed=9)
    x = np.concatenate([x, x[:, :, :3]], axis=2)  # 7 steps: windows of 3 do not divide them
    da = np.concatenate([da, 0.5 * da[:, :, :3]], axis=2)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    _, _, caches = rnn_forward_by_cells(x, a0, params)
    _, _, sequence_cache = rnn_forward(x, a0, params)
    for k in (3, 2, 1, T_x):
        args = {"da": da.copy(), "caches": caches}
        grads = call_on_copies(rnn_backward_truncated, NAME, args,
                               f"da (n_a, m, T_x) = {da.shape}, {T_x} caches and k = {k}",
                               "Step t reads da[:, :, t] and caches[t]; time is the last axis.",
                               extra=(k,))
        assert_gradient_dict(NAME, grads, {
            "dx": ((n_x, m, T_x), "(n_x, m, T_x)"), "da0": ((n_a, m), "(n_a, m)"),
            "dWax": ((n_a, n_x), "(n_a, n_x)"), "dWaa": ((n_a, n_a), "(n_a, n_a)"),
            "dba": ((n_a, 1), "(n_a, 1)")})
        expected = rnn_backward(da, sequence_cache, truncate=k)
        wrong = [key for key in SEQ_KEYS if not close(grads[key], expected[key], TOL)]
        if not wrong:
            continue
        for alternative, slug, explanation in window_mistakes(da, caches, k):
            if set(wrong) <= set(alternative) and all(close(grads[key], alternative[key])
                                                      for key in wrong):
                raise mistake(NAME, slug, f"{NAME} with k = {k} (T_x = {T_x}): {explanation}")
        key = wrong[0]
        raise mistake(NAME, f"{key.lower()}-wrong", f"{NAME} with k = {k} (T_x = {T_x}): {key} "
                      f"is wrong, {error_text(grads[key], expected[key])} against rnnlesson's "
                      "truncated BPTT.")
    passed(NAME)
