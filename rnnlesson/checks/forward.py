"""Checks of the forward passes: one step of the cell (exercise 3) and the loop over a
sequence (exercise 4).

    a_t = tanh(Waa a_{t-1} + Wax x_t + ba),   ŷ_t = softmax(Wya a_t + by)

Wrong terms are found by zeroing all inputs but one: with a_{t-1} = 0 and ba = 0 only the
Wax x_t term is left, with x_t = 0 and ba = 0 only Waa a_{t-1}, with both zero only ba.
"""

import numpy as np

from rnnlesson.cell import rnn_cell_forward as reference_cell
from rnnlesson.cell import softmax
from rnnlesson.checks._common import (
    assert_returns,
    assert_shape,
    call_on_copies,
    close,
    error_text,
    example_params,
    passed,
    snapshot,
)
from rnnlesson.sequence import rnn_forward_by_cells

NAME_CELL = "rnn_cell_forward"
NAME_SEQ = "rnn_forward"


def run_cell(fn, xt, a_prev, params):
    """Call fn on copies of its inputs; check what it returns and that nothing changed."""
    n_x, m = xt.shape
    n_a, n_y = params["Waa"].shape[0], params["Wya"].shape[0]
    args = {"xt": xt.copy(), "a_prev": a_prev.copy(), "params": snapshot(params)}
    sizes = f"xt (n_x, m) = {xt.shape}, a_prev (n_a, m) = {a_prev.shape}, n_y = {n_y}"
    result = call_on_copies(fn, NAME_CELL, args, sizes, "Wax (n_a, n_x) multiplies xt (n_x, m); "
                            "Waa (n_a, n_a) multiplies a_prev.")
    a_next, yt_pred, cache = assert_returns(NAME_CELL, result, 3, "a_next, yt_pred, cache")
    assert_shape(NAME_CELL, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(NAME_CELL, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return a_next, yt_pred, cache


def check_term(context, got, params, term, other, letter, value):
    """got should be tanh(params[term] @ value), the only term left; name the usual mix-ups.

    context: which inputs were zeroed; other: the other weight's name; letter: value's name.
    """
    W, expected = params[term], np.tanh(params[term] @ value)
    if close(got, expected):
        return
    if np.allclose(got, 0.0):
        raise AssertionError(f"{NAME_CELL}: {context}, a_next came out zero, so {letter} is "
                             f"not used. Add the term {term} @ {letter}.")
    if params[other].shape == W.shape and close(got, np.tanh(params[other] @ value)):
        raise AssertionError(f"{NAME_CELL}: Wax and Waa are swapped: Wax multiplies xt (the "
                             "input), Waa multiplies a_prev (the previous state).")
    if W.shape[0] == W.shape[1] and close(got, np.tanh(W.T @ value)):
        raise AssertionError(f"{NAME_CELL}: {context}, a_next equals tanh({term}.T @ {letter})"
                             f": {term} is used transposed; write {term} @ {letter}.")
    raise AssertionError(f"{NAME_CELL}: the {letter} term is wrong. {context}, a_next should "
                         f"be tanh({term} @ {letter}), but it differs "
                         f"({error_text(got, expected)}).")


def check_cell_values(fn, n_x, n_a, n_y, m, seed):
    """Isolate each term of the cell, then check the whole step and its prediction."""
    rng = np.random.default_rng(seed)
    params = example_params(n_x, n_a, n_y, seed=seed)
    xt, a_prev = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m))
    a_next, yt_pred, cache = run_cell(fn, xt, a_prev, params)

    z = params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"]
    if close(a_next, z):
        raise AssertionError(f"{NAME_CELL}: a_next equals Waa a_prev + Wax xt + ba: tanh is not "
                             "applied. a_next = np.tanh(...).")

    zeros_x, zeros_a = np.zeros((n_x, m)), np.zeros((n_a, m))
    got, _, _ = run_cell(fn, zeros_x, zeros_a, params)
    expected = np.tanh(params["ba"]) * np.ones((1, m))
    if not close(got, expected):
        if np.allclose(got, 0.0):
            raise AssertionError(f"{NAME_CELL}: the bias ba is missing: with xt = 0 and "
                                 "a_prev = 0, a_next should be tanh(ba) in every column, "
                                 "but it came out zero.")
        if close(got, params["ba"] * np.ones((1, m))):
            raise AssertionError(f"{NAME_CELL}: with xt = 0 and a_prev = 0 a_next equals ba: "
                                 "tanh is not applied to the whole sum.")
        raise AssertionError(f"{NAME_CELL}: with xt = 0 and a_prev = 0, a_next should be "
                             f"tanh(ba) in every column; it differs ({error_text(got, expected)})."
                             " Check how the bias ba (n_a, 1) is added.")

    no_bias = {**params, "ba": np.zeros((n_a, 1))}
    got, _, _ = run_cell(fn, xt, zeros_a, no_bias)
    check_term("With a_prev = 0 and ba = 0", got, params, "Wax", "Waa", "xt", xt)
    got, _, _ = run_cell(fn, zeros_x, a_prev, no_bias)
    check_term("With xt = 0 and ba = 0", got, params, "Waa", "Wax", "a_prev", a_prev)

    if not close(a_next, np.tanh(z)):
        raise AssertionError(f"{NAME_CELL}: each term is right on its own but the whole step "
                             "is not: a_next = tanh(Waa @ a_prev + Wax @ xt + ba) "
                             f"({error_text(a_next, np.tanh(z))}).")
    check_prediction(NAME_CELL, yt_pred, a_next, a_prev, params)
    check_cache(cache, a_next, a_prev, xt, params)


def check_prediction(name, y_pred, a, a_before, params):
    """y_pred (n_y, m) should be softmax(Wya a + by), the columns summing to 1."""
    if np.any(y_pred < 0):
        raise AssertionError(f"{name}: yt_pred has negative entries: apply softmax to "
                             "Wya @ a_next + by so that each column is a probability "
                             "distribution.")
    sums = y_pred.sum(axis=0)
    if not np.allclose(sums, 1.0):
        if np.allclose(y_pred.sum(axis=1), 1.0):
            raise AssertionError(f"{name}: softmax is taken over the wrong axis: each row sums "
                                 "to 1, over the m examples. Normalise each column (one example)"
                                 " over the n_y classes: axis=0.")
        if np.isclose(y_pred.sum(), 1.0):
            raise AssertionError(f"{name}: softmax is taken over the wrong axis: the whole "
                                 "array sums to 1. Normalise each column over the n_y classes "
                                 "(axis=0).")
        raise AssertionError(f"{name}: the columns of yt_pred should each sum to 1 (one "
                             "distribution over the n_y classes per example); apply softmax.")
    expected = softmax(params["Wya"] @ a + params["by"])
    if close(y_pred, expected):
        return
    if close(y_pred, softmax(params["Wya"] @ a)):
        raise AssertionError(f"{name}: the output bias by is missing: "
                             "yt_pred = softmax(Wya @ a_next + by).")
    if close(y_pred, softmax(params["Wya"] @ a_before + params["by"])):
        raise AssertionError(f"{name}: yt_pred is computed from a_prev; the prediction reads "
                             "the new state: softmax(Wya @ a_next + by).")
    raise AssertionError(f"{name}: yt_pred should be softmax(Wya @ a_next + by) "
                         f"({error_text(y_pred, expected)}).")


def check_cache(cache, a_next, a_prev, xt, params):
    """The cache is (a_next, a_prev, xt, params), the tuple rnn_cell_backward reads."""
    message = (f"{NAME_CELL}: cache should be the tuple (a_next, a_prev, xt, params), what "
               "rnn_cell_backward reads")
    if not isinstance(cache, tuple) or len(cache) != 4:
        raise AssertionError(f"{message}; received {type(cache).__name__} "
                             f"of length {len(cache) if hasattr(cache, '__len__') else '?'}.")
    for i, (part, what) in enumerate(zip(cache[:3], (a_next, a_prev, xt), strict=True)):
        if not isinstance(part, np.ndarray) or not close(part, what):
            names = ("a_next", "a_prev", "xt")
            raise AssertionError(f"{message}; item {i} is not {names[i]}.")
    if not isinstance(cache[3], dict) or "Wax" not in cache[3]:
        raise AssertionError(f"{message}; item 3 is not the params dict.")


def check_rnn_cell_forward(rnn_cell_forward):
    """Check a learner's rnn_cell_forward(xt, a_prev, params) -> (a_next, yt_pred, cache).

    Runs it on a square case (n_x = n_a, where swapped weights do not crash) and a rectangular
    one; checks shapes, inputs left unchanged, each term of the update found by zeroing the
    other inputs, tanh, softmax over the classes, and the cache.
    """
    check_cell_values(rnn_cell_forward, n_x=4, n_a=4, n_y=2, m=3, seed=1)
    check_cell_values(rnn_cell_forward, n_x=3, n_a=5, n_y=2, m=4, seed=2)
    passed(NAME_CELL)


def check_rnn_forward(rnn_forward):
    """Check a learner's rnn_forward(x, a0, params) -> (a, y_pred, caches).

    x (n_x, m, T_x) floats, a0 (n_a, m); a (n_a, m, T_x), y_pred (n_y, m, T_x), caches a list
    of the T_x cell caches. Compares with the reference loop step by step and names the first
    step that differs, and whether a0 is ignored or the state is not carried forward.
    """
    n_x, n_a, n_y, m, T_x = 3, 5, 2, 4, 6
    rng = np.random.default_rng(3)
    params = example_params(n_x, n_a, n_y, seed=3)
    x, a0 = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m))
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params)}
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, n_y = {n_y}"
    result = call_on_copies(rnn_forward, NAME_SEQ, args, sizes,
                            "Step t reads x[:, :, t], an (n_x, m) slice; time is the last axis.")
    a, y_pred, caches = assert_returns(NAME_SEQ, result, 3, "a, y_pred, caches")
    assert_shape(NAME_SEQ, "a", a, (n_a, m, T_x), "(n_a, m, T_x)")
    assert_shape(NAME_SEQ, "y_pred", y_pred, (n_y, m, T_x), "(n_y, m, T_x)")
    if not isinstance(caches, (list, tuple)) or len(caches) != T_x:
        raise AssertionError(f"{NAME_SEQ}: caches should be a list of the T_x = {T_x} caches "
                             f"of rnn_cell_forward, one per step; received "
                             f"{type(caches).__name__} of length "
                             f"{len(caches) if hasattr(caches, '__len__') else '?'}.")

    expected_a, expected_y, _ = rnn_forward_by_cells(x, a0, params)
    for t in range(T_x):
        if close(a[:, :, t], expected_a[:, :, t]):
            continue
        if t == 0 and close(a[:, :, 0], reference_cell(x[:, :, 0], 0 * a0, params)[0]):
            raise AssertionError(f"{NAME_SEQ}: a0 is ignored: the first step must start from "
                                 "a_prev = a0.")
        if t > 0 and close(a[:, :, t], reference_cell(x[:, :, t], a0, params)[0]):
            raise AssertionError(f"{NAME_SEQ}: the state is not carried forward: step t = {t} "
                                 "starts again from a0. Each step's a_next must be the next "
                                 "step's a_prev.")
        if close(a[:, :, t], expected_a[:, :, T_x - 1 - t]):
            raise AssertionError(f"{NAME_SEQ}: a[:, :, {t}] holds the state of another step: "
                                 "store step t's a_next in a[:, :, t].")
        raise AssertionError(
            f"{NAME_SEQ}: a[:, :, {t}] (step t = {t}, counting from 0) is wrong, "
            f"{error_text(a[:, :, t], expected_a[:, :, t])}; it should be "
            f"rnn_cell_forward(x[:, :, {t}], a_prev, params)'s a_next, with a_prev = "
            f"{'a0' if t == 0 else f'a[:, :, {t - 1}]'}.")
    for t in range(T_x):
        if not close(y_pred[:, :, t], expected_y[:, :, t]):
            raise AssertionError(f"{NAME_SEQ}: y_pred[:, :, {t}] is wrong "
                                 f"({error_text(y_pred[:, :, t], expected_y[:, :, t])}): it "
                                 f"should be the yt_pred of step t = {t}.")
    passed(NAME_SEQ)
