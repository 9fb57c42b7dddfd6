"""Every topology takes any of the three cells through `cell=`: gradients entry by entry,
generation, the character model and the training loop with each cell."""

import numpy as np
import pytest
from elementwise import assert_elementwise

import rnnlesson as R
from rnnlesson import charlm
from rnnlesson.cells import CELLS, get_cell, sequence_forward
from rnnlesson.topologies import many_to_many_states

N_X, N_A, N_Y, M, T_X = 4, 3, 3, 3, 5
LENGTHS = np.array([5, 2, 4])
CELL_NAMES = list(CELLS)


def perturbed(cell, n_x=N_X, n_a=N_A, n_y=N_Y, seed=0):
    rng = np.random.default_rng(seed + 100)
    return {k: v + 0.3 * rng.normal(size=v.shape)
            for k, v in get_cell(cell).init(n_x, n_a, n_y, seed).items()}


def initial_state(cell, rng):
    a0 = 0.5 * rng.normal(size=(N_A, M))
    return (a0, 0.5 * rng.normal(size=(N_A, M))) if cell == "lstm" else a0


@pytest.mark.parametrize("ids", [False, True], ids=["floats", "token-ids"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("topology", ["many_to_many", "many_to_one"])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_topology_gradients(cell, topology, lengths, ids, rng):
    x = rng.integers(0, N_X, (M, T_X)) if ids else rng.normal(size=(N_X, M, T_X))
    y, a0 = rng.integers(0, N_Y, (M, T_X)), initial_state(cell, rng)
    if topology == "many_to_many":
        def loss_fn(p):
            return R.many_to_many_loss(p, x, y, a0=a0, lengths=lengths, cell=cell)
    else:
        def loss_fn(p):
            return R.many_to_one_loss(p, x, y[:, 0], a0=a0, lengths=lengths, cell=cell)
    errors = assert_elementwise(loss_fn, perturbed(cell))
    assert set(errors) == {*get_cell(cell).keys, "Wya", "by"}


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_truncated_many_to_many_is_the_gradient_of_chunks_with_fixed_starts(cell, rng):
    x, y, k = rng.normal(size=(N_X, M, T_X)), rng.integers(0, N_Y, (M, T_X)), 2
    params, a0 = perturbed(cell), initial_state(cell, rng)
    truncated = R.many_to_many_loss(params, x, y, a0=a0, truncate=k, cell=cell)[1]
    starts, state = [], a0
    for t in range(0, T_X, k):  # the states entering each window, held fixed
        starts.append(state)
        state = sequence_forward(x[:, :, t : t + k], state, params, cell=cell)[2]

    def chunked(p):
        total = 0.0
        for start, t in zip(starts, range(0, T_X, k), strict=True):
            loss, _ = R.many_to_many_loss(p, x[:, :, t : t + k], y[:, t : t + k], a0=start,
                                          cell=cell)
            total += loss * y[:, t : t + k].size / y.size
        return total, truncated

    assert_elementwise(chunked, params)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_encoder_decoder_gradients(cell, lengths, rng):
    params = R.init_encoder_decoder(N_X, N_A, N_Y, seed=3, cell=cell)
    rng2 = np.random.default_rng(7)
    params = {part: {k: v + 0.3 * rng2.normal(size=v.shape) for k, v in p.items()}
              for part, p in params.items()}
    x = rng.normal(size=(N_X, M, T_X))
    y_in, y = rng.integers(0, N_Y, (M, 4)), rng.integers(0, N_Y, (M, 4))
    y_lengths = None if lengths is None else np.array([4, 1, 3])
    errors = assert_elementwise(
        lambda p: R.encoder_decoder_loss(p, x, y_in, y, lengths=lengths, y_lengths=y_lengths,
                                         cell=cell), params)
    keys = get_cell(cell).keys
    assert set(errors) == {f"encoder.{k}" for k in keys} | {
        f"decoder.{k}" for k in (*keys, "Wya", "by")}


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_one_to_one_gradients(cell, rng):
    x, y = rng.normal(size=(N_X, M)), rng.integers(0, N_Y, M)
    assert_elementwise(lambda p: R.one_to_one_loss(p, x, y, cell=cell), perturbed(cell))


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_the_carried_state_continues_the_sequence(cell, rng):
    """Two chunks, the second started from the state the first returned, give the states of
    the whole sequence: the LSTM's c travels in the state too."""
    params, x = perturbed(cell), rng.integers(0, N_X, (M, T_X))
    y = rng.integers(0, N_Y, (M, T_X))
    _, _, whole = many_to_many_states(params, x, y, cell=cell)
    _, _, first = many_to_many_states(params, x[:, :2], y[:, :2], cell=cell)
    _, _, second = many_to_many_states(params, x[:, 2:], y[:, 2:], a0=first, cell=cell)
    for got, expected in zip(get_cell(cell).initial_state(second, N_A, M),
                             get_cell(cell).initial_state(whole, N_A, M), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_greedy_sampling_follows_the_sequence_forward(cell):
    """Feeding the greedy samples back through the sequence forward predicts them again."""
    params = perturbed(cell, n_x=N_Y, seed=2)
    out = R.sample(params, 6, np.array([0, 1, 2]), greedy=True, cell=cell)
    inputs = np.concatenate([[[0], [1], [2]], out[:, :-1]], axis=1)
    _, y_pred, _, _ = sequence_forward(inputs, None, params, cell=cell)
    np.testing.assert_array_equal(y_pred.argmax(axis=0), out)
    drawn = R.sample(params, 6, 0, temperature=0.8, seed=4, cell=cell)
    assert drawn.shape == (6,)
    np.testing.assert_array_equal(drawn, R.sample(params, 6, 0, temperature=0.8, seed=4,
                                                  cell=cell))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_character_model_and_training_loop_take_a_gated_cell(cell):
    text = R.load_corpus()[:3000]
    model, history = charlm.train(text, n_a=16, seq_length=10, batch_size=8, steps=40,
                                  lr=0.02, progress=False, cell=cell)
    assert model.cell == cell and set(model.params) == {*get_cell(cell).keys, "Wya", "by"}
    assert np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5])
    loss = charlm.evaluate(model, text[:400])
    assert 0 < loss < np.log(model.vocab.size)
    assert charlm.hidden_states(model, "The cat").shape == (16, 7)
    sampled = charlm.sample(model, "The ", 20, seed=1)
    assert sampled.startswith("The ") and len(sampled) == 24


def test_unknown_cell_is_named():
    with pytest.raises(ValueError, match="cell: expected one of 'rnn', 'lstm', 'gru'"):
        R.many_to_many_loss(perturbed("rnn"), np.zeros((N_X, M, T_X)),
                            np.zeros((M, T_X), dtype=int), cell="transformer")


def test_a_cell_reads_only_its_own_parameters():
    with pytest.raises(ValueError, match="params: expected the LSTM key 'Wf'"):
        R.many_to_many_loss(perturbed("gru"), np.zeros((N_X, M, T_X)),
                            np.zeros((M, T_X), dtype=int), cell="lstm")
    with pytest.raises(ValueError, match=r"a0: expected the lstm state"):
        R.many_to_many_loss(perturbed("lstm"), np.zeros((N_X, M, T_X)),
                            np.zeros((M, T_X), dtype=int), a0=[np.zeros((N_A, M))], cell="lstm")


def test_the_plain_cell_is_the_default_and_unchanged(rng):
    params, x = perturbed("rnn"), rng.integers(0, N_X, (M, T_X))
    y = rng.integers(0, N_Y, (M, T_X))
    default, explicit = R.many_to_many_loss(params, x, y), R.many_to_many_loss(params, x, y,
                                                                               cell="rnn")
    assert default[0] == explicit[0]
    a, y_pred, _ = R.rnn_forward(x, None, params)
    a2, y_pred2, last, _ = sequence_forward(x, None, params)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(y_pred, y_pred2)
    np.testing.assert_array_equal(last, a[:, :, -1])


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_no_argument_is_modified(cell, rng):
    params, x = perturbed(cell), rng.normal(size=(N_X, M, T_X))
    y, a0 = rng.integers(0, N_Y, (M, T_X)), initial_state(cell, rng)
    enc_dec = R.init_encoder_decoder(N_X, N_A, N_Y, cell=cell)
    y_in = rng.integers(0, N_Y, (M, 4))
    states = a0 if isinstance(a0, tuple) else (a0,)
    arrays = [*params.values(), x, y, *states, y_in, *enc_dec["encoder"].values(),
              *enc_dec["decoder"].values()]
    saved = [a.copy() for a in arrays]
    R.many_to_many_loss(params, x, y, a0=a0, lengths=LENGTHS, truncate=2, cell=cell)
    R.many_to_one_loss(params, x, y[:, 0], a0=a0, lengths=LENGTHS, cell=cell)
    R.encoder_decoder_loss(enc_dec, x, y_in, y_in, lengths=LENGTHS, cell=cell)
    R.translate(enc_dec, x, 3, 0, lengths=LENGTHS, cell=cell, beam_width=2)
    for before, after in zip(saved, arrays, strict=True):
        np.testing.assert_array_equal(before, after)
