"""Self-attention (rnnlesson.self_attention): gradients entry by entry, the equations written
out step by step, what a step may see (padding, causal), and its blindness to order."""

import numpy as np
import pytest
from elementwise import assert_elementwise

from rnnlesson.self_attention import (
    init_self_attention,
    self_attention_backward,
    self_attention_forward,
)

N_X, N_E, N_V, M, T_X = 3, 4, 2, 3, 5
LENGTHS = np.array([5, 2, 3])


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    return rng.normal(size=(N_X, M, T_X)), init_self_attention(N_X, N_E, N_V, seed=1), rng


@pytest.mark.parametrize("lengths, causal", [(None, False), (LENGTHS, False), (LENGTHS, True)],
                         ids=["full", "padded", "padded-causal"])
def test_self_attention_gradients(case, lengths, causal):
    x, params, rng = case
    weights = rng.normal(size=(N_V, M, T_X))

    def loss_fn(p):
        z, _, cache = self_attention_forward(p["x"], {k: p[k] for k in ("Wq", "Wk", "Wv")},
                                             lengths, causal)
        return float(np.sum(weights * z)), self_attention_backward(weights, cache)

    errors = assert_elementwise(loss_fn, {"x": x, **params})
    assert set(errors) == {"x", "Wq", "Wk", "Wv"}


@pytest.mark.parametrize("causal", [False, True])
def test_the_equations_one_step_at_a_time(case, causal):
    x, params, _ = case
    z, alpha, _ = self_attention_forward(x, params, LENGTHS, causal)
    for i, L in enumerate(LENGTHS):
        for t in range(T_X):
            if t >= L:  # a padded step: nothing
                assert np.all(alpha[i, t] == 0) and np.all(z[:, i, t] == 0)
                continue
            seen = range(t + 1) if causal else range(L)
            q = params["Wq"] @ x[:, i, t]
            e = np.array([q @ (params["Wk"] @ x[:, i, j]) / np.sqrt(N_E) for j in seen])
            a = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
            np.testing.assert_allclose(alpha[i, t, list(seen)], a, rtol=1e-12)
            assert np.all(np.delete(alpha[i, t], list(seen)) == 0)
            expected = sum(a[n] * (params["Wv"] @ x[:, i, j]) for n, j in enumerate(seen))
            np.testing.assert_allclose(z[:, i, t], expected, rtol=1e-12)


def test_padding_and_the_future_change_nothing_they_should_not(case):
    x, params, rng = case
    z, _, _ = self_attention_forward(x, params, LENGTHS)
    changed = x.copy()
    changed[:, 1, 2:] = rng.normal(size=(N_X, 3))  # example 1's padding
    np.testing.assert_array_equal(self_attention_forward(changed, params, LENGTHS)[0], z)
    causal, _, _ = self_attention_forward(x, params, causal=True)
    later = x.copy()
    later[:, :, 3:] += 1.0
    moved, _, _ = self_attention_forward(later, params, causal=True)
    np.testing.assert_array_equal(moved[:, :, :3], causal[:, :, :3])
    assert not np.allclose(moved[:, :, 3:], causal[:, :, 3:])


def test_without_positions_the_order_of_the_steps_is_invisible(case):
    """Permuting the steps permutes the outputs the same way (and nothing else changes)."""
    x, params, _ = case
    order = np.array([3, 0, 4, 1, 2])
    z, _, _ = self_attention_forward(x, params)
    permuted, _, _ = self_attention_forward(x[:, :, order], params)
    np.testing.assert_allclose(permuted, z[:, :, order], rtol=1e-12)


def test_bad_input_is_named(case):
    x, params, _ = case
    with pytest.raises(ValueError, match="params: expected a dict with keys 'Wq', 'Wk', 'Wv'"):
        self_attention_forward(x, {"Wq": params["Wq"]})
    with pytest.raises(ValueError, match=r"params\['Wk'\]: expected shape \(n_e, n_x\)"):
        self_attention_forward(x, {**params, "Wk": params["Wk"].T})
    with pytest.raises(ValueError, match=r"x: expected a float array \(n_x, m, T_x\)"):
        self_attention_forward(x[:, :, 0], params)
    with pytest.raises(ValueError, match=r"lengths: expected every length in \[1, T_x\]"):
        self_attention_forward(x, params, np.array([6, 1, 1]))
    _, _, cache = self_attention_forward(x, params)
    with pytest.raises(ValueError, match=r"dz: expected shape \(n_v, m, T_x\)"):
        self_attention_backward(np.zeros((N_E, M, T_X)), cache)
