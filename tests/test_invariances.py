"""The same thing computed two ways: padding, token ids, truncation, T_x = 1."""

import numpy as np
import pytest
from conftest import perturbed_params

import rnnlesson as R

N_X, N_A, N_Y = 5, 4, 3


def assert_same(g1, g2, atol=1e-12):
    assert set(g1) == set(g2)
    for key in g1:
        np.testing.assert_allclose(g1[key], g2[key], rtol=0, atol=atol, err_msg=key)


@pytest.mark.parametrize("topology", ["many_to_many", "many_to_one"])
def test_padded_batch_equals_sequences_one_by_one(topology, rng):
    params = perturbed_params(N_X, N_A, N_Y)
    lengths = np.array([5, 1, 3, 4])
    seqs = [rng.integers(0, N_X, n) for n in lengths]
    labels = [rng.integers(0, N_Y, n) for n in lengths]
    ids, got_lengths = R.pad_batch(seqs)
    np.testing.assert_array_equal(got_lengths, lengths)
    if topology == "many_to_many":
        y, _ = R.pad_batch(labels)
        loss, grads = R.many_to_many_loss(params, ids, y, lengths=lengths)
        # the batch loss averages over all tokens: weight each sequence by its token count
        singles = [R.many_to_many_loss(params, s[None], t[None])
                   for s, t in zip(seqs, labels, strict=True)]
        weights = lengths / lengths.sum()
    else:
        y = np.array([t[0] for t in labels])
        loss, grads = R.many_to_one_loss(params, ids, y, lengths=lengths)
        singles = [R.many_to_one_loss(params, s[None], y[i : i + 1]) for i, s in enumerate(seqs)]
        weights = np.full(len(seqs), 1 / len(seqs))
    pairs = list(zip(weights, singles, strict=True))
    assert loss == pytest.approx(sum(w * s[0] for w, s in pairs), abs=1e-12)
    expected = {k: sum(w * s[1][k] for w, s in pairs) for k in grads}
    assert_same(grads, expected)


def test_padded_states_carry_and_match_unpadded(rng):
    params = perturbed_params(N_X, N_A, N_Y)
    ids, lengths = R.pad_batch([rng.integers(0, N_X, 6), rng.integers(0, N_X, 2)])
    a, _, _ = R.rnn_forward(ids, None, params, lengths=lengths)
    a_short, _, _ = R.rnn_forward(ids[1:, :2], None, params)
    np.testing.assert_allclose(a[:, 1, :2], a_short[:, 0], atol=1e-12)
    for t in range(2, 6):  # padded steps keep the last real state
        np.testing.assert_array_equal(a[:, 1, t], a[:, 1, 1])


@pytest.mark.parametrize("topology", ["many_to_many", "many_to_one"])
def test_token_ids_equal_explicit_one_hot(topology, rng):
    params = perturbed_params(N_X, N_A, N_Y)
    ids = rng.integers(0, N_X, (3, 6))
    x = R.one_hot(ids, N_X)
    assert x.shape == (N_X, 3, 6)
    np.testing.assert_array_equal(x.sum(axis=0), 1.0)
    y = rng.integers(0, N_Y, (3, 6))
    loss_fn = R.many_to_many_loss if topology == "many_to_many" else R.many_to_one_loss
    y = y if topology == "many_to_many" else y[:, 0]
    l_ids, g_ids = loss_fn(params, ids, y)
    l_hot, g_hot = loss_fn(params, x, y)
    assert l_ids == pytest.approx(l_hot, abs=1e-12)
    assert_same(g_ids, g_hot)


@pytest.mark.parametrize("k", [6, 7, 100])
def test_truncation_at_or_beyond_T_x_is_full_bptt(k, rng):
    params = perturbed_params(N_X, N_A, N_Y)
    x, y = rng.normal(size=(N_X, 2, 6)), rng.integers(0, N_Y, (2, 6))
    _, full = R.many_to_many_loss(params, x, y)
    _, truncated = R.many_to_many_loss(params, x, y, truncate=k)
    for key in full:
        np.testing.assert_array_equal(full[key], truncated[key])


def test_truncation_changes_the_gradient_when_shorter(rng):
    params = perturbed_params(N_X, N_A, N_Y)
    x, y = rng.normal(size=(N_X, 2, 6)), rng.integers(0, N_Y, (2, 6))
    _, full = R.many_to_many_loss(params, x, y)
    _, truncated = R.many_to_many_loss(params, x, y, truncate=2)
    assert R.rel_error(full["dWaa"], truncated["dWaa"]) > 1e-3
    np.testing.assert_array_equal(full["dWya"], truncated["dWya"])  # output layer unaffected


def test_one_to_one_equals_feedforward_net(rng):
    params = perturbed_params(N_X, N_A, N_Y)
    x, y = rng.normal(size=(N_X, 7)), rng.integers(0, N_Y, 7)
    l_rnn, g_rnn = R.one_to_one_loss(params, x, y)
    l_ff, g_ff = R.feedforward_loss(params, x, y)
    assert l_rnn == pytest.approx(l_ff, abs=1e-12)
    assert_same(g_rnn, g_ff)
    np.testing.assert_array_equal(g_rnn["dWaa"], 0.0)


def test_loss_is_mean_cross_entropy_in_nats(rng):
    """Computed the slow way: -log of the probability of each label, averaged."""
    params = perturbed_params(N_X, N_A, N_Y)
    x, y = rng.normal(size=(N_X, 2, 4)), rng.integers(0, N_Y, (2, 4))
    _, y_pred, _ = R.rnn_forward(x, None, params)
    by_hand = -np.mean([np.log(y_pred[y[i, t], i, t]) for i in range(2) for t in range(4)])
    assert R.many_to_many_loss(params, x, y)[0] == pytest.approx(by_hand, abs=1e-12)


def test_uniform_prediction_gives_loss_ln_n_y(rng):
    params = {k: np.zeros_like(v) for k, v in perturbed_params(N_X, N_A, N_Y).items()}
    x, y = rng.normal(size=(N_X, 2, 4)), rng.integers(0, N_Y, (2, 4))
    assert R.many_to_many_loss(params, x, y)[0] == pytest.approx(np.log(N_Y), abs=1e-12)
