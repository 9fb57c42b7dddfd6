"""Self-attention (rnnlesson.self_attention): gradients entry by entry, the equations written
out step by step, what a step may see (padding, causal), and its blindness to order; the
weights' entropy and the positional encoding; and what notebook 17's prose says about its
stored outputs."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from elementwise import assert_elementwise

from rnnlesson.attention import attention_forward, init_attention
from rnnlesson.self_attention import (
    attention_entropy,
    init_self_attention,
    positional_encoding,
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


# --- the weights' entropy --------------------------------------------------------------------

def test_entropy_of_even_one_hot_and_padded_rows(rng):
    alpha = np.zeros((2, 3, 5))
    alpha[0, 0, :4] = 0.25  # four equal weights
    alpha[0, 1, 2] = 1.0  # one step takes all
    # alpha[0, 2] stays 0: a padded step's row
    logits = rng.normal(size=(3, 5))
    alpha[1] = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    entropy = attention_entropy(alpha)
    assert entropy.shape == (2, 3)
    assert entropy[0, 0] == pytest.approx(np.log(4), abs=1e-15)
    assert entropy[0, 1] == 0.0 and not np.signbit(entropy[0, 1])
    assert entropy[0, 2] == 0.0
    for t in range(3):  # the sum written out, one weight at a time
        expected = -sum(a * np.log(a) for a in alpha[1, t])
        assert entropy[1, t] == pytest.approx(expected, rel=1e-12)
        assert 0.0 < entropy[1, t] < np.log(5)


def test_entropy_of_the_layers_own_weights(case):
    """A padded step looks nowhere (0), a causal first step only at itself (0), and a step that
    sees L steps at most ln L."""
    x, params, _ = case
    _, alpha, _ = self_attention_forward(x, params, LENGTHS, causal=True)
    entropy = attention_entropy(alpha)  # (m, T_x)
    for i, L in enumerate(LENGTHS):
        assert entropy[i, 0] == 0.0
        assert np.all(entropy[i, L:] == 0.0)
        for t in range(1, L):
            assert 0.0 < entropy[i, t] <= np.log(t + 1) + 1e-12


def test_entropy_bad_input_is_named():
    with pytest.raises(ValueError, match=r"alpha: expected a float array of weights \(\.\.\., T\)"):
        attention_entropy([0.5, 0.5])
    with pytest.raises(ValueError, match=r"alpha: expected weights >= 0"):
        attention_entropy(np.array([[1.5, -0.5]]))


# --- positions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n_x", [6, 5])
def test_positional_encoding_follows_its_formula(n_x):
    T_x = 7
    positions = positional_encoding(n_x, T_x)
    assert positions.shape == (n_x, 1, T_x)
    for row in range(n_x):
        i = row // 2
        for t in range(T_x):
            angle = t / 10000 ** (2 * i / n_x)
            expected = np.sin(angle) if row % 2 == 0 else np.cos(angle)
            assert positions[row, 0, t] == pytest.approx(expected, abs=1e-15)


def test_every_step_gets_its_own_position_and_their_likeness_depends_on_the_offset():
    """sin(w t) sin(w (t + k)) + cos(w t) cos(w (t + k)) = cos(w k): the dot product of two
    positions depends only on how far apart they are, not on where they stand."""
    positions = positional_encoding(16, 40)[:, 0]  # (n_x, T_x)
    distance = np.linalg.norm(positions[:, :, None] - positions[:, None, :], axis=0)
    assert distance[~np.eye(40, dtype=bool)].min() > 0.1
    likeness = positions.T @ positions  # (T_x, T_x)
    for k in range(1, 20):
        offset = np.diagonal(likeness, offset=k)
        np.testing.assert_allclose(offset, offset[0], rtol=0, atol=1e-10)
    assert np.diagonal(likeness, offset=1)[0] > np.diagonal(likeness, offset=10)[0]


def test_positions_make_the_order_visible(case):
    """Without positions a permutation of the steps only permutes the outputs; with positions
    added it changes them, and the positions are the same for every example of the batch."""
    x, params, _ = case
    order = np.array([3, 0, 4, 1, 2])
    positions = positional_encoding(N_X, T_X)
    z, _, _ = self_attention_forward(x + positions, params)
    permuted, _, _ = self_attention_forward(x[:, :, order] + positions, params)
    assert np.abs(permuted - z[:, :, order]).max() > 0.1
    same = np.repeat(x[:, :1], M, axis=1)  # three copies of example 0
    z_same, _, _ = self_attention_forward(same + positions, params)
    np.testing.assert_array_equal(z_same[:, 1:], z_same[:, :1].repeat(M - 1, axis=1))


def test_positional_encoding_bad_input_is_named():
    with pytest.raises(ValueError, match=r"n_x: expected a finite number > 0, got 0"):
        positional_encoding(0, 4)
    with pytest.raises(ValueError, match=r"T_x: expected a positive integer, got 2\.5"):
        positional_encoding(4, 2.5)


# --- the dot scores saturate, the scaled ones do not --------------------------------------------

def test_the_dot_scores_saturate_and_the_scaled_ones_do_not():
    """The package's own attention at initialisation, random unit-size states: the dot score's
    weights lose their entropy as n_e grows, the scaled dot score's keep it."""
    n_a, m, T_x = 16, 100, 10
    draw = np.random.default_rng(1)
    s_prev, h = draw.normal(size=(n_a, m)), draw.normal(size=(n_a, m, T_x))
    mask = np.ones((m, T_x), dtype=bool)
    entropy = {}
    for score in ("dot", "scaled-dot"):
        for n_e in (4, 64, 1024):
            att = init_attention(1, n_a, 1, n_e=n_e, seed=2, score=score)["attention"]
            keys = np.einsum("ea,amt->emt", att["Wk"], h)
            _, alpha, _ = attention_forward(s_prev, h, keys, (None, att["Wq"]), mask, score)
            entropy[score, n_e] = attention_entropy(alpha).mean()
    assert entropy["dot", 4] > entropy["dot", 64] > entropy["dot", 1024]
    assert entropy["dot", 1024] < 0.25
    for n_e in (4, 64, 1024):
        assert entropy["scaled-dot", n_e] > 0.75 * np.log(T_x)


# --- notebook 17: what its prose says about its stored outputs ----------------------------------

NOTEBOOK_17 = Path(__file__).resolve().parents[1] / "notebooks" / "17-where-next.ipynb"


def notebook_17():
    """(prose with its whitespace squeezed, the text of the stored outputs) of notebook 17."""
    notebook = nbformat.read(NOTEBOOK_17, as_version=4)
    prose = " ".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    texts = [output.get("text", "") or output.get("data", {}).get("text/plain", "")
             for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.get("outputs", [])]
    return " ".join(prose.split()), "\n".join(texts)


def test_notebook_17s_score_table_shows_what_its_prose_says():
    prose, text = notebook_17()
    for claim in ("The dot scores' spread grows with $n_e$ and stays close to the dashed "
                  "$\\sqrt{n_e}$, and as it grows their mean entropy falls towards 0 and the mean "
                  "largest weight climbs towards 1",
                  "The scaled scores keep a spread near 1 and most of the entropy of ten equal "
                  "weights at every size, and the additive scores stay below 1 in spread at "
                  "every size",
                  "scores that differ by tens put nearly all the weight on the largest one"):
        assert claim in prose, claim
    rows = re.findall(r"^(additive|dot|scaled-dot) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$",
                      text, re.MULTILINE)
    table = {}
    for score, n_e, _, spread, entropy, largest in rows:
        table.setdefault(score, []).append((int(n_e), float(spread), float(entropy),
                                            float(largest)))
    assert set(table) == {"additive", "dot", "scaled-dot"}
    assert all(len(r) >= 4 for r in table.values()), table
    n_e, spread, entropy, largest = map(np.array, zip(*table["dot"], strict=True))
    assert np.all(np.diff(n_e) > 0) and np.all(np.diff(spread) > 0)
    assert np.all((0.8 < spread / np.sqrt(n_e)) & (spread / np.sqrt(n_e) < 1.25)), spread
    assert spread[-1] >= 10, "scores that differ by tens"
    assert np.all(np.diff(entropy) < 0) and entropy[-1] < 0.25, entropy
    assert np.all(np.diff(largest) > 0) and largest[-1] > 0.9, largest
    _, spread, entropy, _ = map(np.array, zip(*table["scaled-dot"], strict=True))
    assert np.all((0.8 < spread) & (spread < 1.25)), spread
    assert np.all(entropy > 0.75 * np.log(10)), entropy
    _, spread, _, _ = map(np.array, zip(*table["additive"], strict=True))
    assert np.all(spread < 1), spread


def test_notebook_17s_self_attention_example_shows_what_its_prose_says():
    prose, text = notebook_17()
    for claim in ('But rows 1 and 5, the two "the", are the same, and so are columns 1 and 5',
                  'so the two "the" get the same output $z$',
                  'Every gradient gets the verdict "right", in both settings: the worst relative '
                  "error is below the course's threshold of $10^{-7}$",
                  "With positions added, reversing the words no longer just reverses the outputs",
                  "with positions, rows 1 and 5 part"):
        assert claim in prose, claim
    assert "same weights True  same column True  same output z True" in text
    checks = re.findall(r"causal=(True|False): worst relative error (\S+); (.*)", text)
    assert sorted(c[0] for c in checks) == ["False", "True"], checks
    for _, worst, verdicts in checks:
        assert float(worst) < 1e-7
        assert sorted(verdicts.split(", ")) == ["Wk right", "Wq right", "Wv right", "x right"]
    assert "no positions: the outputs of the reversed words are the outputs reversed: True" in text
    assert re.search(r"positions added: the same holds: False \(largest difference ([\d.]+)\)",
                     text)
    assert "positions added: the two 'the' get the same output z: False" in text
