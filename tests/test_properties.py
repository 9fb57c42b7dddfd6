"""Property tests over random shapes, and a check that no function modifies its arguments."""

import copy

import numpy as np
from conftest import perturbed_params
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnlesson as R

sizes = st.integers(1, 5)


@settings(max_examples=40, deadline=None)
@given(n_x=sizes, n_a=sizes, n_y=st.integers(2, 5), m=sizes, T_x=st.integers(1, 7),
       seed=st.integers(0, 2**16), ids=st.booleans())
def test_shapes_and_paths_agree_for_any_sizes(n_x, n_a, n_y, m, T_x, seed, ids):
    rng = np.random.default_rng(seed)
    params = perturbed_params(n_x, n_a, n_y, seed=seed)
    x = rng.integers(0, n_x, (m, T_x)) if ids else rng.normal(size=(n_x, m, T_x))
    a, y_pred, cache = R.rnn_forward(x, None, params)
    assert a.shape == (n_a, m, T_x) and y_pred.shape == (n_y, m, T_x)
    assert np.all(np.abs(a) < 1)
    np.testing.assert_allclose(y_pred.sum(axis=0), 1.0, atol=1e-12)
    a_ref, y_ref, caches = R.rnn_forward_by_cells(x, None, params)
    np.testing.assert_allclose(a, a_ref, atol=1e-12)
    da = rng.normal(size=a.shape)
    fast, ref = R.rnn_backward(da, cache), R.rnn_backward_by_cells(da, caches)
    for key, shape in [("dWax", (n_a, n_x)), ("dWaa", (n_a, n_a)), ("dba", (n_a, 1)),
                       ("da0", (n_a, m))]:
        assert fast[key].shape == shape
        np.testing.assert_allclose(fast[key], ref[key], atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(m=sizes, T_x=st.integers(1, 6), seed=st.integers(0, 2**16), data=st.data())
def test_gradient_check_passes_for_any_padded_batch(m, T_x, seed, data):
    rng = np.random.default_rng(seed)
    lengths = np.array(data.draw(st.lists(st.integers(1, T_x), min_size=m, max_size=m)))
    params = perturbed_params(3, 4, 3, seed=seed)
    x, y = rng.normal(size=(3, m, T_x)), rng.integers(0, 3, (m, T_x))
    errors = R.gradient_check(lambda p: R.many_to_many_loss(p, x, y, lengths=lengths), params)
    assert max(errors.values()) < 1e-7
    errors = R.gradient_check(lambda p: R.many_to_one_loss(p, x, y[:, 0], lengths=lengths),
                              params)
    assert max(errors.values()) < 1e-7


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), max_norm=st.floats(0.01, 10))
def test_global_norm_clipping_bounds_the_norm_and_keeps_direction(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = {"dWax": rng.normal(size=(3, 2)) * 5, "dba": rng.normal(size=(3, 1))}
    clipped, norm = R.clip_by_global_norm(grads, max_norm)
    assert norm == np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    assert R.global_norm(clipped) <= max_norm * (1 + 1e-12)
    scale = clipped["dWax"].ravel() @ grads["dWax"].ravel() / (grads["dWax"] ** 2).sum()
    for key in grads:
        np.testing.assert_allclose(clipped[key], scale * grads[key], rtol=1e-12)


def snapshot(value):
    return copy.deepcopy(value)


def assert_unchanged(before, after):
    if isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            assert_unchanged(before[key], after[key])
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)


def test_no_function_modifies_its_arguments(rng):
    params = perturbed_params(4, 5, 4)
    x, ids = rng.normal(size=(4, 3, 5)), rng.integers(0, 4, (3, 5))
    y, a0, lengths = rng.integers(0, 4, (3, 5)), rng.normal(size=(5, 3)), np.array([5, 2, 3])
    da = rng.normal(size=(5, 3, 5))
    da_t_major = rng.normal(size=(5, 5, 3)).transpose(0, 2, 1)  # as rnn_backward lays it out
    enc_dec = R.init_encoder_decoder(4, 5, 4)
    args = [params, x, ids, y, a0, lengths, da, da_t_major, enc_dec]
    before = snapshot(args)
    _, _, cache = R.rnn_forward(x, a0, params, lengths)
    R.rnn_backward(da, cache, truncate=2)
    R.rnn_backward(da_t_major, cache)
    _, _, caches = R.rnn_forward_by_cells(ids, a0, params)
    R.rnn_backward_by_cells(da, caches)
    R.rnn_cell_backward(a0, R.rnn_cell_forward(x[:, :, 0], a0, params)[2])
    R.many_to_many_loss(params, ids, y, a0=a0, lengths=lengths, truncate=2)
    R.many_to_one_loss(params, x, y[:, 0], a0=a0, lengths=lengths)
    R.one_to_one_loss(params, x[:, :, 0], y[:, 0])
    R.feedforward_loss(params, x[:, :, 0], y[:, 0])
    R.encoder_decoder_loss(enc_dec, x, y, y, lengths=lengths)
    R.sample(params, 4, y[:, 0], a0=a0)
    R.translate(enc_dec, ids, 3, 0, lengths=lengths)
    R.gradient_check(lambda p: R.many_to_one_loss(p, x, y[:, 0]), params, max_entries=2)
    grads = R.many_to_many_loss(params, x, y)[1]
    grads_before = snapshot(grads)
    R.clip_by_value(grads, 0.01)
    R.clip_by_global_norm(grads, 0.01)
    for opt in (R.sgd(0.1), R.adagrad(0.1), R.adam(0.1)):
        state = opt.init(params)
        state_before = snapshot(state)
        opt.step(params, grads, state)
        assert_unchanged(state_before, state)
    R.train(lambda p, xb, yb: R.many_to_many_loss(p, xb, yb), params, [(x, y)], steps=2,
            progress=False)
    assert_unchanged(grads_before, grads)
    for b, a in zip(before, args, strict=True):
        assert_unchanged(b, a)
