"""The LSTM and the GRU: every backward pass entry by entry against differences, the fast
sequence paths against the cell-by-cell loops, padding and truncation, and bad input."""

import numpy as np
import pytest
from elementwise import assert_elementwise

from rnnlesson.gru import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    init_gru_params,
)
from rnnlesson.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
)
from rnnlesson.sequence import one_hot

N_X, N_A, N_Y, M, T_X = 3, 4, 3, 3, 5
LENGTHS = np.array([5, 2, 4])


def perturbed(params, seed=1, scale=0.3):
    """Non-zero biases, so that no gradient is trivially zero."""
    rng = np.random.default_rng(seed)
    return {k: v + scale * rng.normal(size=v.shape) for k, v in params.items()}


def recurrence(params):
    return {k: v for k, v in params.items() if k not in ("Wya", "by")}


@pytest.fixture
def lstm():
    return perturbed(init_lstm_params(N_X, N_A, N_Y, seed=0))


@pytest.fixture
def gru():
    return perturbed(init_gru_params(N_X, N_A, N_Y, seed=0))


def test_lstm_cell_follows_the_equations(lstm, rng):
    xt, a_prev, c_prev = (rng.normal(size=s) for s in ((N_X, M), (N_A, M), (N_A, M)))
    a, c, y, _ = lstm_cell_forward(xt, a_prev, c_prev, lstm)
    z = np.concatenate([a_prev, xt])

    def sig(v):
        return 1 / (1 + np.exp(-v))

    f, i = sig(lstm["Wf"] @ z + lstm["bf"]), sig(lstm["Wi"] @ z + lstm["bi"])
    o, cc = sig(lstm["Wo"] @ z + lstm["bo"]), np.tanh(lstm["Wc"] @ z + lstm["bc"])
    np.testing.assert_allclose(c, f * c_prev + i * cc, atol=1e-14)
    np.testing.assert_allclose(a, o * np.tanh(c), atol=1e-14)
    logits = np.exp(lstm["Wya"] @ a + lstm["by"])
    np.testing.assert_allclose(y, logits / logits.sum(axis=0), atol=1e-14)


def test_gru_cell_follows_the_equations(gru, rng):
    xt, a_prev = rng.normal(size=(N_X, M)), rng.normal(size=(N_A, M))
    a, _, _ = gru_cell_forward(xt, a_prev, gru)

    def sig(v):
        return 1 / (1 + np.exp(-v))

    z = np.concatenate([a_prev, xt])
    r, u = sig(gru["Wr"] @ z + gru["br"]), sig(gru["Wu"] @ z + gru["bu"])
    cc = np.tanh(gru["Wc"] @ np.concatenate([r * a_prev, xt]) + gru["bc"])
    np.testing.assert_allclose(a, u * cc + (1 - u) * a_prev, atol=1e-14)


def test_lstm_cell_backward(lstm, rng):
    wa, wc = rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))

    def loss_fn(p):
        a, c, _, cache = lstm_cell_forward(p["xt"], p["a_prev"], p["c_prev"], recurrence(p))
        return float(np.sum(wa * a) + np.sum(wc * c)), lstm_cell_backward(wa, wc, cache)

    inputs = {"xt": rng.normal(size=(N_X, M)), "a_prev": rng.normal(size=(N_A, M)),
              "c_prev": rng.normal(size=(N_A, M))}
    assert_elementwise(loss_fn, {**recurrence(lstm), **inputs})


def test_gru_cell_backward(gru, rng):
    wa = rng.normal(size=(N_A, M))

    def loss_fn(p):
        a, _, cache = gru_cell_forward(p["xt"], p["a_prev"], recurrence(p))
        return float(np.sum(wa * a)), gru_cell_backward(wa, cache)

    inputs = {"xt": rng.normal(size=(N_X, M)), "a_prev": rng.normal(size=(N_A, M))}
    assert_elementwise(loss_fn, {**recurrence(gru), **inputs})


def run(cell, params, x, a0, c0=None, lengths=None):
    """(a, c or None, cache) of the cell's sequence forward."""
    if cell == "lstm":
        a, _, c, cache = lstm_forward(x, a0, params, c0=c0, lengths=lengths)
        return a, c, cache
    a, _, cache = gru_forward(x, a0, params, lengths=lengths)
    return a, None, cache


def backward(cell, da, cache, truncate=None):
    return (lstm_backward if cell == "lstm" else gru_backward)(da, cache, truncate=truncate)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_sequence_backward(cell, lengths, lstm, gru, rng):
    """dx, da0 (and dc0) and every weight, through a loss reading every a_t (and the last c)."""
    params = recurrence(lstm if cell == "lstm" else gru)
    wa, wc = rng.normal(size=(N_A, M, T_X)), rng.normal(size=(N_A, M))

    def loss_fn(p):
        a, c, cache = run(cell, recurrence({k: p[k] for k in params}), p["x"], p["a0"],
                          p.get("c0"), lengths)
        loss = float(np.sum(wa * a))
        if cell == "lstm":
            grads = lstm_backward(wa, cache, dc_last=wc)
            loss += float(np.sum(wc * c[:, :, -1]))
        else:
            grads = gru_backward(wa, cache)
        return loss, grads

    inputs = {"x": rng.normal(size=(N_X, M, T_X)), "a0": rng.normal(size=(N_A, M))}
    if cell == "lstm":
        inputs["c0"] = rng.normal(size=(N_A, M))
    assert_elementwise(loss_fn, {**params, **inputs})


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_truncated_bptt_is_the_gradient_of_chunks_with_fixed_starts(cell, k, lstm, gru, rng):
    params = recurrence(lstm if cell == "lstm" else gru)
    x, a0, c0 = rng.normal(size=(N_X, M, T_X)), rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))
    wa = rng.normal(size=(N_A, M, T_X))
    a, c, cache = run(cell, params, x, a0, c0)
    truncated = backward(cell, wa, cache, truncate=k)

    def chunked(p):
        total = 0.0
        for t in range(0, T_X, k):
            window = slice(t, min(t + k, T_X))
            start_a = a0 if t == 0 else a[:, :, t - 1]
            start_c = None if c is None else (c0 if t == 0 else c[:, :, t - 1])
            a_w, _, _ = run(cell, p, x[:, :, window], start_a, start_c)
            total += float(np.sum(wa[:, :, window] * a_w))
        return total, truncated

    assert_elementwise(chunked, params)


@pytest.mark.parametrize("ids", [False, True], ids=["floats", "token-ids"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fast_path_equals_cell_by_cell_loop(cell, ids, lstm, gru, rng):
    params = lstm if cell == "lstm" else gru
    x = rng.integers(0, N_X, (M, T_X)) if ids else rng.normal(size=(N_X, M, T_X))
    x_float = one_hot(x, N_X) if ids else x
    a0, c0 = rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))
    da, dc_last = rng.normal(size=(N_A, M, T_X)), rng.normal(size=(N_A, M))
    if cell == "lstm":
        a, y, c, cache = lstm_forward(x, a0, params, c0=c0)
        fast = lstm_backward(da, cache, dc_last=dc_last)
    else:
        a, y, cache = gru_forward(x, a0, params)
        fast = gru_backward(da, cache)
    a_prev, c_prev, caches = a0, c0, []
    for t in range(T_X):
        if cell == "lstm":
            a_prev, c_prev, yt, step = lstm_cell_forward(x_float[:, :, t], a_prev, c_prev, params)
            np.testing.assert_allclose(c[:, :, t], c_prev, rtol=0, atol=1e-12)
        else:
            a_prev, yt, step = gru_cell_forward(x_float[:, :, t], a_prev, params)
        np.testing.assert_allclose(a[:, :, t], a_prev, rtol=0, atol=1e-12)
        np.testing.assert_allclose(y[:, :, t], yt, rtol=0, atol=1e-12)
        caches.append(step)
    da_next, dc_next, sums = np.zeros((N_A, M)), dc_last, {}
    for t in reversed(range(T_X)):
        if cell == "lstm":
            step = lstm_cell_backward(da[:, :, t] + da_next, dc_next, caches[t])
            dc_next = step.pop("dc_prev")
        else:
            step = gru_cell_backward(da[:, :, t] + da_next, caches[t])
        da_next = step.pop("da_prev")
        if not ids:
            np.testing.assert_allclose(fast["dx"][:, :, t], step["dxt"], rtol=0, atol=1e-12)
        del step["dxt"]
        for key, value in step.items():
            sums[key] = sums.get(key, 0.0) + value
    for key, value in sums.items():
        np.testing.assert_allclose(fast[key], value, rtol=0, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(fast["da0"], da_next, rtol=0, atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(fast["dc0"], dc_next, rtol=0, atol=1e-12)
    assert (fast["dx"] is None) == ids


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_padded_batch_equals_its_sequences_run_one_by_one(cell, lstm, gru, rng):
    params = lstm if cell == "lstm" else gru
    x, a0 = rng.normal(size=(N_X, M, T_X)), rng.normal(size=(N_A, M))
    a, c, _ = run(cell, params, x, a0, np.zeros((N_A, M)) if cell == "lstm" else None, LENGTHS)
    for i, n in enumerate(LENGTHS):
        a_i, c_i, _ = run(cell, params, x[:, i : i + 1, :n], a0[:, i : i + 1])
        np.testing.assert_allclose(a[:, i, :n], a_i[:, 0], rtol=0, atol=1e-13)
        np.testing.assert_allclose(a[:, i, -1], a_i[:, 0, -1], rtol=0, atol=1e-13)  # carried
        if c is not None:
            np.testing.assert_allclose(c[:, i, -1], c_i[:, 0, -1], rtol=0, atol=1e-13)


def test_gated_functions_leave_their_arguments_unchanged(lstm, gru, rng):
    x, a0, c0 = rng.normal(size=(N_X, M, T_X)), rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))
    da = rng.normal(size=(N_A, M, T_X))
    saved = [v.copy() for v in (*lstm.values(), *gru.values(), x, a0, c0, da)]
    lstm_backward(da, lstm_forward(x, a0, lstm, c0=c0, lengths=LENGTHS)[3], truncate=2)
    gru_backward(da, gru_forward(x, a0, gru, lengths=LENGTHS)[2], truncate=2)
    for before, after in zip(saved, (*lstm.values(), *gru.values(), x, a0, c0, da), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("call, message", [
    (lambda p, g: lstm_forward(np.zeros((N_X + 1, M, T_X)), None, p), r"x: expected .*n_x = 3"),
    (lambda p, g: lstm_forward(np.zeros((N_X, M, T_X)), None, p, c0=np.zeros((N_A, M + 1))),
     r"c0: expected shape \(n_a, m\) = \(4, 3\)"),
    (lambda p, g: lstm_forward(np.zeros((N_X, M, T_X)), None, g),
     r"params: expected the LSTM key 'Wf'"),
    (lambda p, g: lstm_forward(np.zeros((N_X, M, T_X)), None, {**p, "Wo": p["Wo"][:, 1:]}),
     r"params\['Wo'\]: expected shape \(n_a, n_a \+ n_x\) = \(4, 7\)"),
    (lambda p, g: gru_forward(np.zeros((N_X, M, T_X)), None, p),
     r"params: expected the GRU key 'Wr'"),
    (lambda p, g: gru_forward(np.zeros((M, T_X), dtype=int) + N_X, None, g),
     r"x: expected token ids in \[0, n_x\) = \[0, 3\)"),
    (lambda p, g: lstm_backward(np.zeros((N_A, M)), lstm_forward(np.zeros((N_X, M, T_X)), None,
                                                               p)[3]), r"da: expected shape"),
    (lambda p, g: gru_backward(np.zeros((N_A, M, T_X)), gru_forward(np.zeros((N_X, M, T_X)), None,
                                                                    g)[2], truncate=0),
     r"truncate: expected a finite number > 0"),
    (lambda p, g: lstm_cell_forward(np.zeros((N_X, M)), np.zeros((N_A, M)), np.zeros(N_A), p),
     r"c_prev: expected"),
])
def test_bad_input_names_the_argument(call, message, lstm, gru):
    with pytest.raises(ValueError, match=message):
        call(lstm, gru)
