"""Stacked and bidirectional networks: gradients entry by entry, each computed a second way
(by composing the one-layer forward by hand), and padded batches against one-by-one runs."""

import numpy as np
import pytest
from elementwise import assert_elementwise

from rnnlesson.cells import CELLS, sequence_forward
from rnnlesson.deep import (
    deep_backward,
    deep_forward,
    deep_many_to_many_loss,
    init_deep,
    reverse_within_lengths,
)

N_X, N_A, N_Y, M, T_X = 3, 3, 3, 3, 5
LENGTHS = np.array([5, 2, 4])


def perturbed(tree, seed=5):
    rng = np.random.default_rng(seed)

    def walk(node):
        return {k: walk(v) if isinstance(v, dict) else v + 0.3 * rng.normal(size=v.shape)
                for k, v in node.items()}

    return walk(tree)


SHAPES = [(2, False), (1, True), (2, True)]
SHAPE_IDS = ["stacked", "bidirectional", "stacked-bidirectional"]


@pytest.mark.parametrize("ids", [False, True], ids=["floats", "token-ids"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_deep_many_to_many_gradients(shape, lengths, ids, rng):
    n_layers, bidirectional = shape
    params = perturbed(init_deep(N_X, N_A, N_Y, n_layers, bidirectional, seed=1))
    x = rng.integers(0, N_X, (M, T_X)) if ids else rng.normal(size=(N_X, M, T_X))
    y = rng.integers(0, N_Y, (M, T_X))
    assert_elementwise(lambda p: deep_many_to_many_loss(p, x, y, lengths=lengths), params)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_deep_gradients_with_gated_cells(cell, rng):
    params = perturbed(init_deep(N_X, N_A, N_Y, 1, True, seed=1, cell=cell))
    x, y = rng.normal(size=(N_X, M, T_X)), rng.integers(0, N_Y, (M, T_X))
    assert_elementwise(lambda p: deep_many_to_many_loss(p, x, y, lengths=LENGTHS, cell=cell),
                       params)


def test_deep_backward_input_gradient(rng):
    params = perturbed(init_deep(N_X, N_A, N_Y, 2, True, seed=1))
    weights = rng.normal(size=(2 * N_A, M, T_X))

    def loss_fn(p):
        a, _, caches = deep_forward(p["x"], params, lengths=LENGTHS)
        return float(np.sum(weights * a)), {"dx": deep_backward(weights, caches)["dx"]}

    assert_elementwise(loss_fn, {"x": rng.normal(size=(N_X, M, T_X))})


@pytest.mark.parametrize("cell", list(CELLS))
def test_stacked_is_each_layer_reading_the_states_below(cell, rng):
    params = init_deep(N_X, N_A, N_Y, 3, seed=2, cell=cell)
    x = rng.integers(0, N_X, (M, T_X))
    a, y_pred, _ = deep_forward(x, params, cell=cell)
    h = x
    for layer in (1, 2, 3):
        h, _, _, _ = sequence_forward(h, None, params[f"layer{layer}"], cell=cell)
    np.testing.assert_allclose(a, h, rtol=0, atol=1e-13)
    logits = np.einsum("ya,amt->ymt", params["Wya"], h) + params["by"][:, :, None]
    np.testing.assert_allclose(y_pred, np.exp(logits) / np.exp(logits).sum(axis=0),
                               rtol=0, atol=1e-13)


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_padded_bidirectional_batch_equals_its_sequences_run_one_by_one(cell, rng):
    """Reversing the padded array would start the backward direction on padding; each
    sequence must be reversed within its own length."""
    params = init_deep(N_X, N_A, N_Y, 1, bidirectional=True, seed=3, cell=cell)
    x = rng.normal(size=(N_X, M, T_X))
    a, _, _ = deep_forward(x, params, lengths=LENGTHS, cell=cell)
    for i, n in enumerate(LENGTHS):
        alone, _, _ = deep_forward(x[:, i : i + 1, :n], params, cell=cell)
        np.testing.assert_allclose(a[:, i, :n], alone[:, 0], rtol=0, atol=1e-13)
        backward, _, _, _ = sequence_forward(x[:, i : i + 1, :n][:, :, ::-1].copy(), None,
                                             params["backward"], cell=cell)
        np.testing.assert_allclose(a[N_A:, i, :n], backward[:, 0, ::-1], rtol=0, atol=1e-13)


def test_reverse_within_lengths():
    ids = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])
    np.testing.assert_array_equal(reverse_within_lengths(ids, np.array([3, 2])),
                                  [[3, 2, 1, 0], [5, 4, 0, 0]])
    np.testing.assert_array_equal(reverse_within_lengths(ids, None), ids[:, ::-1])
    x = np.arange(16.0).reshape(2, 2, 4)
    back = reverse_within_lengths(reverse_within_lengths(x, np.array([3, 2])), np.array([3, 2]))
    np.testing.assert_array_equal(back, x)


def test_bad_layers_are_named(rng):
    params = init_deep(N_X, N_A, N_Y, 2, seed=1)
    params["layer2"] = init_deep(N_X + 1, N_A, N_Y, 1, seed=1)
    del params["layer2"]["Wya"], params["layer2"]["by"]
    with pytest.raises(ValueError, match=r"params\['layer2'\]: expected n_x = 3 inputs"):
        deep_forward(rng.normal(size=(N_X, M, T_X)), params)
    with pytest.raises(ValueError, match=r"x: expected .*n_x = 3"):
        deep_forward(rng.normal(size=(N_X + 1, M, T_X)), init_deep(N_X, N_A, N_Y, 2, True))


def reverse_whole_axis(x, lengths):
    """Notebook 15's bug: the whole padded axis reversed, lengths ignored."""
    return x[..., ::-1]


@pytest.mark.parametrize("shape", SHAPES[1:], ids=SHAPE_IDS[1:])
def test_another_reversal_is_used_in_both_passes(shape, rng):
    """reverse= replaces the reversal forward and backward: the whole-axis flip (notebook 15's
    bug) gets exact gradients, and on a padded batch it gives other backward states than the
    reversal within lengths, except for the example of full length."""
    params = perturbed(init_deep(N_X, N_A, N_Y, *shape, seed=1))
    x, y = rng.integers(0, N_X, (M, T_X)), rng.integers(0, N_Y, (M, T_X))
    assert_elementwise(lambda p: deep_many_to_many_loss(p, x, y, lengths=LENGTHS,
                                                        reverse=reverse_whole_axis), params)
    one = init_deep(N_X, N_A, N_Y, 1, bidirectional=True, seed=1)
    right, _, _ = deep_forward(x, one, LENGTHS)
    wrong, _, _ = deep_forward(x, one, LENGTHS, reverse=reverse_whole_axis)
    np.testing.assert_array_equal(wrong[:N_A], right[:N_A])  # the forward half is untouched
    for i, n in enumerate(LENGTHS):
        same = np.allclose(wrong[N_A:, i, :n], right[N_A:, i, :n], rtol=0, atol=1e-12)
        assert same == (n == T_X), f"example {i} of length {n}"
    full, _, _ = deep_forward(x, one, None, reverse=reverse_whole_axis)
    np.testing.assert_allclose(full, deep_forward(x, one, None)[0], rtol=0, atol=0)
