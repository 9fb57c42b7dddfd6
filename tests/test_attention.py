"""Additive attention: gradients entry by entry, masking, and the one-source-step case that
reduces to a decoder reading a constant context."""

import numpy as np
import pytest
from elementwise import assert_elementwise

import rnnlesson as R
from rnnlesson.attention import attention_forward, attention_loss, init_attention
from rnnlesson.cells import CELLS, get_cell
from rnnlesson.sequence import one_hot
from rnnlesson.topologies import many_to_many_states

N_X, N_A, N_Y, N_E, M, T_X, T_Y = 4, 3, 3, 2, 3, 5, 4
LENGTHS, Y_LENGTHS = np.array([5, 2, 4]), np.array([4, 1, 3])


def perturbed(params, seed=3):
    rng = np.random.default_rng(seed)
    return {part: {k: v + 0.3 * rng.normal(size=v.shape) for k, v in p.items()}
            for part, p in params.items()}


def task(rng, T_x=T_X, ids=True):
    x = rng.integers(0, N_X, (M, T_x)) if ids else rng.normal(size=(N_X, M, T_x))
    return x, rng.integers(0, N_Y, (M, T_Y)), rng.integers(0, N_Y, (M, T_Y))


@pytest.mark.parametrize("cell, padded", [("rnn", False), ("rnn", True), ("lstm", True),
                                          ("gru", True)],
                         ids=["rnn-full", "rnn-padded", "lstm-padded", "gru-padded"])
def test_attention_gradients(cell, padded, rng):
    """The gated cells only padded (the full batch is its special case, checked for one cell,
    and the gated steps' own backward passes are checked in test_gated)."""
    params = perturbed(init_attention(N_X, N_A, N_Y, n_e=N_E, seed=1, cell=cell))
    x, y_in, y = task(rng, ids=cell != "rnn")  # floats for one cell, token ids for the others
    lengths, y_lengths = (LENGTHS, Y_LENGTHS) if padded else (None, None)
    errors = assert_elementwise(
        lambda p: attention_loss(p, x, y_in, y, lengths, y_lengths, cell=cell), params)
    assert {"attention.Wq", "attention.Wk", "attention.wv"} <= set(errors)


def test_attention_step_gradients(rng):
    """attention_forward / attention_backward on their own, through a weighted context."""
    h, s_prev = rng.normal(size=(N_A, M, T_X)), rng.normal(size=(N_A, M))
    Wk, Wq, wv = (rng.normal(size=s) for s in ((N_E, N_A), (N_E, N_A), (N_E, 1)))
    mask = np.arange(T_X) < LENGTHS[:, None]
    weights = rng.normal(size=(N_A, M))

    def loss_fn(p):
        keys = np.einsum("ea,amt->emt", p["Wk"], p["h"])
        context, _, cache = attention_forward(p["s_prev"], p["h"], keys, (p["wv"], p["Wq"]), mask)
        g = R.attention_backward(weights, cache)
        dh = g["dh"] + np.einsum("ea,emt->amt", p["Wk"], g["dkeys"])
        dWk = np.einsum("emt,amt->ea", g["dkeys"], p["h"])
        return float(np.sum(weights * context)), {"dh": dh, "ds_prev": g["ds_prev"],
                                                   "dWq": g["dWq"], "dwv": g["dwv"], "dWk": dWk}

    assert_elementwise(loss_fn, {"h": h, "s_prev": s_prev, "Wk": Wk, "Wq": Wq, "wv": wv})


def test_masked_source_steps_get_weight_exactly_zero(rng):
    params = perturbed(init_attention(N_X, N_A, N_Y, seed=2))
    x, _, _ = task(rng)
    x_padded = x.copy()
    x_padded[1, 2:] = 3  # whatever stands in the padding must not matter
    ids = R.translate(params, x_padded, 6, 0, lengths=LENGTHS)
    alpha = R.attention_weights(params, x_padded, ids, 0, lengths=LENGTHS)
    assert alpha.shape == (M, 6, T_X)
    for i, n in enumerate(LENGTHS):
        assert np.all(alpha[i, :, n:] == 0.0)
        assert np.all(alpha[i, :, :n] > 0.0)
    np.testing.assert_allclose(alpha.sum(axis=2), 1.0, rtol=0, atol=1e-14)
    x_other = x.copy()
    x_other[1, 2:] = 0
    ids_other = R.translate(params, x_other, 6, 0, lengths=LENGTHS)
    alpha_other = R.attention_weights(params, x_other, ids_other, 0, lengths=LENGTHS)
    np.testing.assert_array_equal(ids, ids_other)
    np.testing.assert_array_equal(alpha, alpha_other)


@pytest.mark.parametrize("cell", list(CELLS))
def test_one_source_step_reduces_to_the_plain_encoder_decoder(cell, rng):
    """With T_x = 1 every weight is 1 and the context is the encoder's one state h_1: the
    model is the plain encoder-decoder whose decoder also reads h_1 at every step."""
    params = perturbed(init_attention(N_X, N_A, N_Y, seed=4, cell=cell))
    x, y_in, y = task(rng, T_x=1)
    loss, grads = attention_loss(params, x, y_in, y, cell=cell)
    alpha = R.attention_weights(params, x, R.translate(params, x, T_Y, 0, cell=cell), 0,
                                cell=cell)
    np.testing.assert_array_equal(alpha, 1.0)
    c = get_cell(cell)
    _, _, h_1, _ = R.sequence_forward(x, None, params["encoder"], cell=cell)
    h_1_state = c.initial_state(h_1, N_A, M)
    inputs = np.concatenate([one_hot(y_in, N_Y), np.repeat(h_1_state[0][:, :, None], T_Y, 2)])
    plain_loss, plain, _ = many_to_many_states(params["decoder"], inputs, y, a0=h_1, cell=cell)
    assert loss == pytest.approx(plain_loss, abs=1e-13)
    for key, value in grads["decoder"].items():
        np.testing.assert_allclose(value, plain[key], rtol=0, atol=1e-12, err_msg=key)
    for key, value in grads["attention"].items():  # the weights cannot move: no gradient
        np.testing.assert_array_equal(value, 0.0, err_msg=key)


def test_attention_translate_writes_what_its_own_scores_predict(rng):
    """Feeding greedy's output back as y_in under teacher forcing gives the same argmaxes."""
    params = perturbed(init_attention(N_X, N_A, N_Y, seed=5))
    x, _, _ = task(rng)
    ids = R.translate(params, x, T_Y, 0, lengths=LENGTHS)
    y_in = np.concatenate([np.zeros((M, 1), dtype=int), ids[:, :-1]], axis=1)
    loss, _ = attention_loss(params, x, y_in, ids, LENGTHS)
    for other in range(N_Y):  # any other final symbol has a lower likelihood
        changed = ids.copy()
        changed[:, -1] = other
        if not np.array_equal(changed, ids):
            assert attention_loss(params, x, y_in, changed, LENGTHS)[0] > loss


def test_attention_bad_input_is_named(rng):
    plain = R.init_encoder_decoder(N_X, N_A, N_Y)
    with pytest.raises(ValueError, match="params: expected a dict with keys 'encoder' and "
                                         "'decoder' and 'attention'"):
        attention_loss(plain, *task(rng))
    params = init_attention(N_X, N_A, N_Y)
    params["decoder"] = plain["decoder"]
    with pytest.raises(ValueError, match=r"params\['decoder'\]: expected n_y \+ n_a = 6 inputs"):
        attention_loss(params, *task(rng))
    with pytest.raises(ValueError, match=r"start: expected the start symbol's id"):
        R.translate(init_attention(N_X, N_A, N_Y), task(rng)[0], 3, N_Y)


# --- the other scores: dot product and scaled dot product -----------------------------------

@pytest.mark.parametrize("score", ["dot", "scaled-dot"])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_dot_product_scores_gradients(score, cell, rng):
    params = perturbed(init_attention(N_X, N_A, N_Y, n_e=N_E, seed=6, cell=cell, score=score))
    assert set(params["attention"]) == {"Wq", "Wk"}
    x, y_in, y = task(rng)
    errors = assert_elementwise(
        lambda p: attention_loss(p, x, y_in, y, LENGTHS, Y_LENGTHS, cell=cell, score=score),
        params)
    assert {"attention.Wq", "attention.Wk"} <= set(errors)


@pytest.mark.parametrize("score", ["additive", "dot", "scaled-dot"])
def test_attention_step_scores_two_ways(score, rng):
    """The context from attention_forward equals the equations written out one source step
    at a time, and its gradients check entry by entry."""
    h, s_prev = rng.normal(size=(N_A, M, T_X)), rng.normal(size=(N_A, M))
    Wk, Wq, wv = (rng.normal(size=s) for s in ((N_E, N_A), (N_E, N_A), (N_E, 1)))
    mask = np.arange(T_X) < LENGTHS[:, None]
    keys = np.einsum("ea,amt->emt", Wk, h)
    context, alpha, _ = attention_forward(s_prev, h, keys, (wv, Wq), mask, score)
    for i in range(M):
        q = Wq @ s_prev[:, i]
        e = []
        for j in range(LENGTHS[i]):
            k = Wk @ h[:, i, j]
            e.append(float(wv[:, 0] @ np.tanh(q + k)) if score == "additive" else
                     float(q @ k) / (np.sqrt(N_E) if score == "scaled-dot" else 1.0))
        weights = np.exp(np.array(e) - max(e))
        weights /= weights.sum()
        np.testing.assert_allclose(alpha[i, :LENGTHS[i]], weights, rtol=1e-12)
        np.testing.assert_allclose(context[:, i], h[:, i, :LENGTHS[i]] @ weights, rtol=1e-12)
    weights_out = rng.normal(size=(N_A, M))

    def loss_fn(p):
        k = np.einsum("ea,amt->emt", p["Wk"], p["h"])
        c, _, cache = attention_forward(p["s_prev"], p["h"], k, (p.get("wv"), p["Wq"]), mask,
                                        score)
        g = R.attention_backward(weights_out, cache)
        grads = {"dh": g["dh"] + np.einsum("ea,emt->amt", p["Wk"], g["dkeys"]),
                 "ds_prev": g["ds_prev"], "dWq": g["dWq"],
                 "dWk": np.einsum("emt,amt->ea", g["dkeys"], p["h"])}
        if "wv" in p:
            grads["dwv"] = g["dwv"]
        return float(np.sum(weights_out * c)), grads

    arrays = {"h": h, "s_prev": s_prev, "Wk": Wk, "Wq": Wq}
    assert_elementwise(loss_fn, {**arrays, "wv": wv} if score == "additive" else arrays)


def test_scaling_keeps_the_scores_of_unit_size_as_n_e_grows():
    """Queries and keys of independent unit-variance entries: q^T k has variance n_e, so the
    dot scores grow like sqrt(n_e) and the scaled ones stay of unit size."""
    rng = np.random.default_rng(0)
    spread = {}
    for n_e in (4, 64, 1024):
        q, keys = rng.normal(size=(n_e, 200)), rng.normal(size=(n_e, 200, 1))
        for score in ("dot", "scaled-dot"):
            e, _ = R.attention.attention_scores(q, keys, None, score)
            spread[score, n_e] = e.std()
    assert spread["dot", 1024] > 10 * spread["dot", 4]
    for n_e in (4, 64, 1024):
        assert 0.8 < spread["scaled-dot", n_e] < 1.2


def test_a_score_and_its_parameters_must_match(rng):
    x, y_in, y = task(rng)
    dot = init_attention(N_X, N_A, N_Y, score="dot")
    with pytest.raises(ValueError, match=r"params\['attention'\]: expected a dict with keys "
                                         r"'Wq', 'Wk', 'wv' \(the 'additive' score's"):
        attention_loss(dot, x, y_in, y)
    with pytest.raises(ValueError, match=r"score: expected one of 'additive', 'dot', "
                                         r"'scaled-dot', got 'cosine'"):
        attention_loss(dot, x, y_in, y, score="cosine")
    ids = R.translate(dot, x, 4, 0, lengths=LENGTHS, score="dot")
    alpha = R.attention_weights(dot, x, ids, 0, lengths=LENGTHS, score="dot")
    assert ids.shape == (M, 4) and np.allclose(alpha.sum(axis=2), 1.0)
    beam_ids = R.translate(dot, x, 4, 0, lengths=LENGTHS, score="dot", beam_width=1)
    np.testing.assert_array_equal(beam_ids, ids)  # a beam of one is greedy
