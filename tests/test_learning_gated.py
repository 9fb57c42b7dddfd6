"""What the gated cells and attention are for, shown by training: a symbol remembered across
a long lag of noise, and long sequences translated with and without attention.

The lag task's claims hold for the starts they name (rnnlesson.gate_init) and for the budget of
notebook 10: 16 units, 200 steps of 32 examples, seed 0. With chrono initialisation the gated
cells remember across a lag of 60; with their gate biases at zero (the package's default) they
stay near chance there, so a gate's advantage comes with the start of its biases."""

import numpy as np
import pytest

import rnnlesson as R
from rnnlesson.cells import get_cell, sequence_forward
from rnnlesson.datasets import LAG_NOISE as NOISE
from rnnlesson.datasets import LAG_SYMBOLS as SYMBOLS
from rnnlesson.datasets import lag_task
from rnnlesson.gate_init import chrono_biases, zero_gate_biases
from rnnlesson.sequence import output_forward

LONG_LAG, UNITS, STEPS, BATCH = 60, 16, 200, 32  # notebook 10's budget, at a longer lag


def lag_accuracy(cell, lag, gates=None, seed=0):
    """Held-out accuracy on the lag task after training (chance: 1 / SYMBOLS). gates: how the
    gated cells' biases start, "zero" or "chrono" (T_max = T_x = lag + 1, as in notebook 10);
    None for the plain cell, which has no gates."""
    params = get_cell(cell).init(SYMBOLS + NOISE, UNITS, SYMBOLS, seed)
    if gates == "zero":
        params = zero_gate_biases(cell, params)
    elif gates == "chrono":
        params = chrono_biases(cell, params, t_max=lag + 1, seed=100 + seed)
    rng = np.random.default_rng(seed)
    params, _ = R.train(lambda p, x, y: R.many_to_one_loss(p, x, y, cell=cell), params,
                        lambda step: lag_task(rng, BATCH, lag), steps=STEPS,
                        optimizer=R.adam(0.01), clip_norm=5.0, progress=False)
    x, y = lag_task(np.random.default_rng(99), 500, lag)
    a, _, _, _ = sequence_forward(x, None, params, cell=cell)
    return np.mean(output_forward(a[:, :, -1], params).argmax(axis=0) == y)


def test_the_plain_cell_remembers_across_a_short_lag():
    assert lag_accuracy("rnn", lag=10) > 0.95


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_with_chrono_initialisation_the_gated_cells_remember_across_a_long_lag(cell):
    accuracy = lag_accuracy(cell, LONG_LAG, gates="chrono")
    assert accuracy > 0.95, f"{cell} from chrono: held-out accuracy {accuracy:.3f} at lag 60"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_with_zero_gate_biases_the_gated_cells_stay_near_chance_across_a_long_lag(cell):
    accuracy = lag_accuracy(cell, LONG_LAG, gates="zero")
    assert accuracy < 0.4, f"{cell} from zero biases remembered across 60 steps: {accuracy:.3f}"


REVERSE_SYMBOLS = 8  # the task's symbols; the decoder's start symbol is one more


def reverse_task(rng, m, T):
    """A translation whose alignment is plain to see: write the source backwards."""
    x = rng.integers(0, REVERSE_SYMBOLS, (m, T))
    y = x[:, ::-1].copy()
    return x, np.concatenate([np.full((m, 1), REVERSE_SYMBOLS), y[:, :-1]], axis=1), y


def reverse_accuracy(attention, T, steps=300, seed=0):
    """Held-out share of symbols written correctly by greedy decoding after training."""
    n_y = REVERSE_SYMBOLS + 1
    if attention:
        params, loss_fn = R.init_attention(REVERSE_SYMBOLS, 32, n_y, seed=seed), R.attention_loss
    else:
        params = R.init_encoder_decoder(REVERSE_SYMBOLS, 32, n_y, seed=seed)
        loss_fn = R.encoder_decoder_loss
    rng = np.random.default_rng(seed)
    params, _ = R.train(loss_fn, params, lambda step: reverse_task(rng, 32, T), steps=steps,
                        optimizer=R.adam(0.01), clip_norm=5.0, progress=False)
    x, _, y = reverse_task(np.random.default_rng(99), 300, T)
    out = R.translate(params, x, T, REVERSE_SYMBOLS)
    return np.mean(out == y)


def test_the_plain_encoder_decoder_translates_short_inputs():
    assert reverse_accuracy(attention=False, T=4) > 0.9


def test_attention_beats_the_plain_encoder_decoder_on_long_inputs():
    plain, attention = reverse_accuracy(False, T=12), reverse_accuracy(True, T=12)
    assert plain < 0.6, f"the plain encoder-decoder wrote {plain:.3f} of 12-symbol inputs right"
    assert attention > 0.8, f"with attention: {attention:.3f}"


def test_the_lag_task_puts_the_symbol_first_and_only_noise_after():
    ids, labels = lag_task(np.random.default_rng(3), 200, 7)
    assert ids.shape == (200, 8) and labels.shape == (200,)
    assert np.array_equal(ids[:, 0], labels) and set(labels) == set(range(SYMBOLS))
    assert ids[:, 1:].min() >= SYMBOLS and ids[:, 1:].max() < SYMBOLS + NOISE
