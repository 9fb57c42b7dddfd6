"""Beam search: width 1 is greedy, a width that keeps every prefix is exhaustive search, and on
held-out data it never finds a less likely sequence than greedy decoding does."""

import itertools

import numpy as np
import pytest

import rnnlesson as R
from rnnlesson.attention import attention_loss, init_attention

N_X, N_A, N_Y, M, T_X = 4, 5, 3, 4, 5
LENGTHS = np.array([5, 2, 4, 3])


def perturbed(params, seed=3, scale=0.8):
    rng = np.random.default_rng(seed)
    return {part: {k: v + scale * rng.normal(size=v.shape) for k, v in p.items()}
            for part, p in params.items()}


def model(kind, cell="rnn", seed=0):
    if kind == "attention":
        return perturbed(init_attention(N_X, N_A, N_Y, seed=seed, cell=cell), seed)
    return perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=seed, cell=cell), seed)


def decode(params, x, n, lengths=None, cell="rnn", **beam):
    """The ids translate writes, and with attention the weights that wrote them."""
    ids = R.translate(params, x, n, 0, lengths=lengths, cell=cell, **beam)
    if "attention" not in params:
        return ids, None
    return ids, R.attention_weights(params, x, ids, 0, lengths=lengths, cell=cell)


def log_prob(params, x, seq, lengths=None, cell="rnn"):
    """log P(seq | x) by teacher forcing, one example at a time: -loss times the tokens."""
    y = np.asarray(seq)[None, :]
    y_in = np.concatenate([[[0]], y[:, :-1]], axis=1)
    loss_fn = attention_loss if "attention" in params else R.encoder_decoder_loss
    return -loss_fn(params, x, y_in, y, lengths, None, cell=cell)[0] * y.shape[1]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_beam_width_one_is_greedy(kind, cell, rng):
    params, x = model(kind, cell), rng.integers(0, N_X, (M, T_X))
    greedy, greedy_alpha = decode(params, x, 6, LENGTHS, cell)
    beam, beam_alpha = decode(params, x, 6, LENGTHS, cell, beam_width=1)
    np.testing.assert_array_equal(beam, greedy)
    if kind == "attention":
        np.testing.assert_allclose(beam_alpha, greedy_alpha, rtol=0, atol=1e-15)
    else:  # one-to-many sampling from the decoder alone
        sampled = R.sample(params["decoder"], 6, np.arange(N_Y), greedy=True, cell=cell)
        np.testing.assert_array_equal(
            R.sample(params["decoder"], 6, np.arange(N_Y), beam_width=1, cell=cell), sampled)


@pytest.mark.parametrize("end, alpha", [(None, 0.0), (2, 0.0), (2, 0.7)],
                         ids=["fixed-length", "end-symbol", "length-normalised"])
@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_a_beam_keeping_every_prefix_is_exhaustive_search(kind, end, alpha, rng):
    n = 4
    params, x = model(kind, seed=1), rng.integers(0, N_X, (1, T_X))
    found, _ = decode(params, x, n, beam_width=N_Y ** (n - 1), end=end, length_norm=alpha)
    candidates = set()
    for seq in itertools.product(range(N_Y), repeat=n):  # every sequence, cut after an end
        cut = seq.index(end) + 1 if end in seq else n
        candidates.add(seq[:cut])
    scores = {seq: log_prob(params, x, seq) / len(seq) ** alpha for seq in candidates}
    best = max(scores, key=scores.get)
    assert tuple(found[0, : len(best)]) == best
    assert np.all(found[0, len(best):] == end)
    runner_up = sorted(scores.values())[-2]
    assert scores[best] > runner_up  # a unique answer, so the comparison means something


def test_beam_never_less_likely_than_greedy_on_held_out_data():
    """A small encoder-decoder trained to reverse sequences; on held-out sources the beam's
    output has at least greedy's log-probability, and often more."""
    rng = np.random.default_rng(0)
    n_sym, T = 5, 6

    def data(m):
        x = rng.integers(0, n_sym, (m, T))
        y = x[:, ::-1].copy()
        return x, np.concatenate([np.full((m, 1), n_sym), y[:, :-1]], axis=1), y

    params = R.init_encoder_decoder(n_sym, 16, n_sym + 1, seed=0)
    params, _ = R.train(R.encoder_decoder_loss, params, lambda step: data(64), steps=120,
                        optimizer=R.adam(0.02), clip_norm=5.0, progress=False)
    x, _, _ = data(40)
    greedy = R.translate(params, x, T, n_sym)
    beam = R.translate(params, x, T, n_sym, beam_width=4)
    better = 0
    for i in range(len(x)):
        def lp(seq, i=i):
            y = seq[None, :]
            y_in = np.concatenate([[[n_sym]], y[:, :-1]], axis=1)
            return -R.encoder_decoder_loss(params, x[i : i + 1], y_in, y)[0] * T

        assert lp(beam[i]) >= lp(greedy[i]) - 1e-9, f"example {i}"
        better += lp(beam[i]) > lp(greedy[i]) + 1e-9
    assert better >= 1, "beam search never found anything greedy missed: a vacuous test"


def test_beam_arguments_are_checked(rng):
    params, x = model("plain"), rng.integers(0, N_X, (M, T_X))
    with pytest.raises(ValueError, match="beam_width: expected a positive int"):
        R.translate(params, x, 3, 0, beam_width=1.5)
    with pytest.raises(ValueError, match="length_norm: expected a number"):
        R.translate(params, x, 3, 0, beam_width=2, length_norm=-1)
    with pytest.raises(ValueError, match=r"end: expected None or the end symbol's id"):
        R.translate(params, x, 3, 0, beam_width=2, end=N_Y)
