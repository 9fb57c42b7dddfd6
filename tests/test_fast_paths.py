"""Every fast path equals the generic loop, and both precisions compute the same thing.

`rnnlesson.loop` runs any cell through its step pair; `rnnlesson.fast` has a faster engine
per cell. Here both run every cell through every topology (aligned many-to-many with padding
and truncation, many-to-one, encoder-decoder, stacked and bidirectional, attention,
generation), on float ids and float inputs, in float64 and float32: the results agree to
1e-12 in float64 and to float32's precision in float32; and a float32 computation agrees
with the float64 one to float32's precision.
"""

import numpy as np
import pytest

import rnnlesson as R
from rnnlesson import loop
from rnnlesson.cells import CELLS
from rnnlesson.contract import generic_loop
from rnnlesson.tree import flatten

DTYPES = (np.float64, np.float32)
TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-12}, np.float32: {"rtol": 2e-4, "atol": 2e-5}}
n_x, n_a, n_y, m, T_x = 4, 5, 3, 3, 7


def assert_trees_close(fast, generic, dtype, what):
    fast, generic = flatten(fast), flatten(generic)
    assert fast.keys() == generic.keys(), what
    for key, value in fast.items():
        if value is None:
            assert generic[key] is None, f"{what}: {key}"
            continue
        value, other = np.asarray(value), np.asarray(generic[key])
        if value.dtype.kind == "f":
            assert value.dtype == dtype, f"{what}: {key} is {value.dtype}, not {dtype}"
        np.testing.assert_allclose(value, other, err_msg=f"{what}: {key}", **TOL[dtype])


def cast(tree, dtype):
    return {k: cast(v, dtype) if isinstance(v, dict) else v.astype(dtype)
            for k, v in tree.items()}


def inputs(rng, ids, dtype):
    if ids:
        return rng.integers(0, n_x, (m, T_x))
    return rng.normal(size=(n_x, m, T_x)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ids", [False, True], ids=["floats", "ids"])
@pytest.mark.parametrize("lengths", [None, (7, 2, 5)], ids=["full", "padded"])
@pytest.mark.parametrize("truncate", [None, 3], ids=["full-bptt", "truncated"])
@pytest.mark.parametrize("final", [False, True], ids=["", "dlast"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_engine_equals_generic_loop(name, final, truncate, lengths, ids, dtype):
    """The cell's engine against `rnnlesson.loop` directly: states, caches' last states and
    every gradient, with a gradient reaching the final state or not."""
    cell = CELLS[name]
    rng = np.random.default_rng(7)
    params = cast(cell.recurrence(cell.init(n_x, n_a, n_y, 1)), dtype)
    x = inputs(rng, ids, dtype)
    lengths = None if lengths is None else np.array(lengths)
    state0 = tuple(rng.normal(size=(n_a, m)).astype(dtype) for _ in cell.state)
    da = rng.normal(size=(n_a, m, T_x)).astype(dtype)
    dlast = tuple(rng.normal(size=(n_a, m)).astype(dtype) for _ in cell.state) if final else None
    fast = cell.unroll(x, state0, params, lengths)
    generic = loop.unroll(cell, x, state0, params, lengths)
    assert not isinstance(fast, loop.LoopCache), "the cell should have a fast path"
    assert_trees_close({"a": fast.a, **{str(i): s for i, s in enumerate(cell.last(fast))}},
                       {"a": generic.a, **{str(i): s for i, s in enumerate(loop.last(generic))}},
                       dtype, "states")
    assert_trees_close(cell.bptt(da, fast, truncate, dlast),
                       loop.bptt(cell, da, generic, truncate, dlast), dtype, "gradients")


def topologies(name, dtype, rng):
    """(what, a function of nothing) for every topology, the cell `name`, in dtype."""
    x = inputs(rng, False, dtype)
    ids = inputs(rng, True, dtype)
    y = rng.integers(0, n_y, (m, T_x))
    lengths = np.array([7, 3, 5])
    T_y = 4
    y_in, y_out = rng.integers(0, n_y, (m, T_y)), rng.integers(0, n_y, (m, T_y))
    cell = CELLS[name]
    p = cast(cell.init(n_x, n_a, n_y, 2), dtype)
    ed = cast(R.init_encoder_decoder(n_x, n_a, n_y, seed=3, cell=name), dtype)
    att = cast(R.init_attention(n_x, n_a, n_y, seed=4, cell=name), dtype)
    stacked = cast(R.init_deep(n_x, n_a, n_y, n_layers=2, seed=5, cell=name), dtype)
    both = cast(R.init_deep(n_x, n_a, n_y, n_layers=2, bidirectional=True, seed=6, cell=name),
                dtype)
    return {
        "many-to-many": lambda: R.many_to_many_loss(p, x, y, cell=name),
        "many-to-many padded, truncated": lambda: R.many_to_many_loss(
            p, ids, y, lengths=lengths, truncate=3, cell=name),
        "many-to-one": lambda: R.many_to_one_loss(p, x, y[:, 0], lengths=lengths, cell=name),
        "encoder-decoder": lambda: R.encoder_decoder_loss(ed, ids, y_in, y_out,
                                                          lengths=lengths, cell=name),
        "stacked": lambda: R.deep_many_to_many_loss(stacked, x, y, lengths=lengths, cell=name),
        "bidirectional": lambda: R.deep_many_to_many_loss(both, ids, y, lengths=lengths,
                                                          cell=name),
        "attention": lambda: R.attention_loss(att, x, y_in, y_out, lengths=lengths, cell=name),
        "generation": lambda: (0.0, {"ids": R.sample(ed["decoder"], 6, np.arange(m) % n_y,
                                                     greedy=True, cell=name)}),
        "translation": lambda: (0.0, {"ids": np.asarray(R.translate(
            ed, ids, 5, 0, lengths=lengths, cell=name))}),
    }


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(CELLS))
def test_every_topology_runs_the_same_on_the_fast_path_and_the_generic_loop(name, dtype):
    """Each topology's loss and gradients, fast paths on, then off (`generic_loop`)."""
    for what, run in topologies(name, dtype, np.random.default_rng(11)).items():
        loss, grads = run()
        with generic_loop():
            loss_generic, grads_generic = run()
        np.testing.assert_allclose(loss, loss_generic, err_msg=what, **TOL[dtype])
        assert_trees_close(grads, grads_generic, dtype, f"{name}, {what}")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_float32_computes_what_float64_computes(name):
    """The same weights in both precisions: losses and gradients agree to float32's precision,
    and the float32 run stays float32 throughout (no silent float64)."""
    f64 = topologies(name, np.float64, np.random.default_rng(13))
    f32 = topologies(name, np.float32, np.random.default_rng(13))
    for what in f64:
        loss64, grads64 = f64[what]()
        loss32, grads32 = f32[what]()
        assert abs(loss32 - loss64) <= 1e-5 * max(1.0, abs(loss64)), what
        for key, g64 in flatten(grads64).items():
            g32 = flatten(grads32)[key]
            if g64 is None:
                continue
            g32, g64 = np.asarray(g32), np.asarray(g64)
            if g64.dtype.kind == "f":
                assert g32.dtype == np.float32, f"{name}, {what}: {key} is {g32.dtype}"
            scale = max(1.0, float(np.abs(g64).max()))
            np.testing.assert_allclose(g32, g64, atol=1e-4 * scale, rtol=1e-3,
                                       err_msg=f"{name}, {what}: {key}")


def test_mixing_precisions_is_named():
    """float32 parameters with a float64 input, state or gradient (or parameters of two
    precisions) get one error naming the argument and both dtypes, never a silent upcast."""
    p = R.init_params(n_x, n_a, n_y, dtype=np.float32)
    x64 = np.zeros((n_x, m, T_x))
    mixed = {**p, "Waa": p["Waa"].astype(np.float64)}
    lstm = R.init_lstm_params(n_x, n_a, n_y, dtype=np.float32)
    cases = [
        ("x", lambda: R.rnn_forward(x64, None, p)),
        ("params['Waa']", lambda: R.rnn_forward(x64, None, mixed)),
        ("a0", lambda: R.rnn_forward(x64.astype(np.float32), np.zeros((n_a, m)), p)),
        ("c0", lambda: R.lstm_forward(x64.astype(np.float32), None, lstm, c0=np.zeros((n_a, m)))),
        ("da", lambda: R.rnn_backward(np.zeros((n_a, m, T_x)),
                                      R.rnn_forward(x64.astype(np.float32), None, p)[2])),
        ("x", lambda: R.many_to_many_loss(p, x64, np.zeros((m, T_x), int), cell="rnn")),
        ("xt", lambda: R.rnn_cell_forward(x64[:, :, 0], np.zeros((n_a, m), np.float32), p)),
    ]
    for name, run in cases:
        with pytest.raises(ValueError) as info:
            run()
        message = str(info.value)
        assert message.startswith(f"{name}: expected dtype float32"), message
        assert "float64" in message, message


def test_gradient_check_runs_in_float64_whatever_it_is_given():
    p = R.init_lstm_params(n_x, n_a, n_y, seed=3, dtype=np.float32)
    ids = np.random.default_rng(0).integers(0, n_x, (m, T_x))
    y = np.random.default_rng(1).integers(0, n_y, (m, T_x))
    check = R.gradient_check(lambda q: R.many_to_many_loss(q, ids, y, cell="lstm"), p)
    assert max(check.normwise.values()) < 1e-7, check.normwise
    assert all(v.dtype == np.float32 for v in p.values()), "the caller's params were changed"
    x32 = np.zeros((n_x, m, T_x), np.float32)
    with pytest.raises(ValueError, match="gradient_check runs in float64"):
        R.gradient_check(lambda q: R.many_to_many_loss(q, x32, y, cell="lstm"), p)


@pytest.mark.parametrize("optimizer", [R.sgd(0.1), R.adagrad(0.1), R.adam(0.01)],
                         ids=["sgd", "adagrad", "adam"])
def test_training_keeps_float32(optimizer):
    p = R.init_params(n_x, n_a, n_y, dtype=np.float32)
    ids = np.random.default_rng(0).integers(0, n_x, (m, T_x))
    y = np.random.default_rng(1).integers(0, n_y, (m, T_x))
    trained, history = R.train(lambda q: R.many_to_many_loss(q, ids, y), p, [()], steps=5,
                               optimizer=optimizer, clip_norm=1.0, progress=False)
    assert {v.dtype for v in trained.values()} == {np.dtype(np.float32)}
    assert history["loss"][-1] < history["loss"][0]


def test_ctc_gradient_comes_back_in_the_logits_dtype():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 2, 9))
    labels, label_lengths, input_lengths = np.array([[1, 2, 2], [3, 0, 0]]), [3, 1], [9, 6]
    loss64, d64 = R.ctc_loss(logits, labels, input_lengths, label_lengths)
    loss32, d32 = R.ctc_loss(logits.astype(np.float32), labels, input_lengths, label_lengths)
    assert d32.dtype == np.float32 and d64.dtype == np.float64
    assert abs(loss32 - loss64) < 1e-5
    np.testing.assert_allclose(d32, d64, atol=1e-6)
