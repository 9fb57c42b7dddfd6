"""Check of exercise 9: truncated backpropagation through time.

With window length k the steps are cut into windows t = 0..k-1, k..2k-1, ... (counting from 0);
inside a window the gradient flows back as in full BPTT, but none crosses from the first step
of a window into the step before it. The first window still runs back to a0.
"""

import numpy as np

from rnnlesson.cell import rnn_cell_backward
from rnnlesson.checks._common import (
    TOL,
    call_on_copies,
    close,
    error_text,
    passed,
)
from rnnlesson.checks.backward import SEQ_KEYS, assert_gradient_dict, bptt_example
from rnnlesson.sequence import rnn_backward, rnn_forward, rnn_forward_by_cells

NAME = "rnn_backward_truncated"


def cut_bptt(da, caches, cut):
    """BPTT over cell caches where cut(t) says whether the gradient from step t into step
    t - 1 is dropped; used to recognise misplaced windows."""
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = np.zeros((n_a, m)) if cut(t) else step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key]
    grads["da0"] = da_prev
    return grads


def diagnose(grads, da, caches, k):
    """Name the mistake when grads are not the truncated gradients for window length k."""
    T_x = da.shape[2]
    full = cut_bptt(da, caches, lambda t: False)
    if all(close(grads[key], full[key]) for key in SEQ_KEYS):
        return (f"nothing was cut: these are the full BPTT gradients. With k = {k} no gradient "
                f"may flow from step {k} into step {k - 1} (nor from 2k into 2k - 1, ...): set "
                "da_prev to zero after the backward pass of each window's first step.")
    from_end = cut_bptt(da, caches, lambda t: (T_x - t) % k == 0)
    if all(close(grads[key], from_end[key]) for key in SEQ_KEYS):
        return ("the windows are counted from the end of the sequence; count them from t = 0: "
                f"steps 0..{k - 1}, {k}..{2 * k - 1}, ...")
    shifted = cut_bptt(da, caches, lambda t: (t + 1) % k == 0 and t + 1 < T_x)
    if all(close(grads[key], shifted[key]) for key in SEQ_KEYS):
        return (f"the cut is one step off: cut after the backward pass of step t = {k} (the "
                f"first step of the second window), so that step {k - 1} gets nothing from it.")
    cut_all = cut_bptt(da, caches, lambda t: t % k == 0)
    if close(grads["da0"], cut_all["da0"]) and not close(grads["da0"], full["da0"]):
        return "da0 is zero: the first window is not cut from a0; it runs back to the start."
    return None


def check_rnn_backward_truncated(rnn_backward_truncated):
    """Check a learner's rnn_backward_truncated(da, caches, k) -> {dx, da0, dWax, dWaa, dba}.

    caches: the list of cell caches from the forward loop; k: the window length. Compares with
    rnnlesson.rnn_backward(..., truncate=k) for several k and names a misplaced cut.
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
        explanation = diagnose(grads, da, caches, k)
        key = wrong[0]
        raise AssertionError(f"{NAME} with k = {k} (T_x = {T_x}): "
                             + (explanation or f"{key} is wrong, "
                                f"{error_text(grads[key], expected[key])} against rnnlesson's "
                                "truncated BPTT."))
    passed(NAME)
