"""Where the gated cells' gates start (rnnlesson.gate_init): the biases each start sets, the
forgetting times they give computed two ways (from the formula and by running one step of the
cell itself), chrono initialisation's spread, and bad input."""

import numpy as np
import pytest

from rnnlesson.gate_init import chrono_biases, forget_bias, forgetting_time, zero_gate_biases
from rnnlesson.gru import gru_cell_forward, init_gru_params
from rnnlesson.lstm import init_lstm_params, lstm_cell_forward

N_X, N_A, N_Y = 3, 5, 2
INIT = {"lstm": init_lstm_params, "gru": init_gru_params}
BIASES = {"lstm": ("bf", "bi", "bc", "bo"), "gru": ("br", "bu", "bc")}


def noisy(cell, n_a=N_A, seed=0):
    """Parameters with non-zero biases, so that a start that leaves a bias alone shows it."""
    rng = np.random.default_rng(seed + 1)
    return {k: v + rng.normal(size=v.shape) for k, v in INIT[cell](N_X, n_a, N_Y, seed).items()}


def copies(params):
    return {k: v.copy() for k, v in params.items()}


def assert_only_changed(before, after, changed):
    """`after` holds the keys of `before`, equal except for `changed`."""
    assert set(after) == set(before)
    for key in set(before) - set(changed):
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def keeping_after_one_step(cell, params):
    """The share of its state the cell itself keeps over one step (n_a, 1), with every weight
    set to 0 so that the gates are the sigmoids of their biases alone and the candidate is 0."""
    params = {k: (np.zeros_like(v) if k.startswith("W") else v) for k, v in params.items()}
    params["bc"] = np.zeros_like(params["bc"])
    n_a = params["bc"].shape[0]
    xt, ones = np.zeros((N_X, 1)), np.ones((n_a, 1))
    if cell == "lstm":
        return lstm_cell_forward(xt, ones, ones, params)[1]  # c_t = Γ_f c_{t-1}
    return gru_cell_forward(xt, ones, params)[0]  # c_t = (1 - Γ_u) c_{t-1}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_zero_gate_biases_zeroes_every_gate_bias_and_nothing_else(cell):
    params = noisy(cell)
    before = copies(params)
    started = zero_gate_biases(cell, params)
    for key in BIASES[cell]:
        np.testing.assert_array_equal(started[key], np.zeros((N_A, 1)))
    assert_only_changed(before, started, BIASES[cell])
    assert_only_changed(before, params, ())  # the dict passed in is untouched


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_packages_own_init_already_starts_at_zero_biases(cell):
    params = INIT[cell](N_X, N_A, N_Y, seed=3)
    started = zero_gate_biases(cell, params)
    for key in params:
        np.testing.assert_array_equal(started[key], params[key])
    np.testing.assert_allclose(forgetting_time(cell, params), 2.0)


def test_forget_bias_sets_b_f_alone():
    params = noisy("lstm")
    before = copies(params)
    started = forget_bias(params, 1.0)
    np.testing.assert_array_equal(started["bf"], np.ones((N_A, 1)))
    assert_only_changed(before, started, ("bf",))
    assert_only_changed(before, params, ())
    np.testing.assert_allclose(forgetting_time("lstm", started), 1 + np.e)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_sets_its_biases_alone_and_is_seeded(cell):
    params = noisy(cell)
    before = copies(params)
    started = chrono_biases(cell, params, t_max=20, seed=4)
    changed = ("bf", "bi") if cell == "lstm" else ("bu",)
    assert_only_changed(before, started, changed)
    assert_only_changed(before, params, ())
    again = chrono_biases(cell, params, t_max=20, seed=4)
    other = chrono_biases(cell, params, t_max=20, seed=5)
    for key in changed:
        np.testing.assert_array_equal(again[key], started[key])
        assert not np.array_equal(other[key], started[key])
    if cell == "lstm":
        np.testing.assert_array_equal(started["bi"], -started["bf"])


def chrono_draws(cell, t_max, seeds=range(80), n_a=50):
    """u (seeds * n_a,) from chrono_biases over many seeds: b_f = log u for the LSTM, b_u =
    -log u for our GRU (whose Γ_u writes), and the forgetting times (seeds * n_a,)."""
    params = INIT[cell](N_X, n_a, N_Y, seed=0)
    started = [chrono_biases(cell, params, t_max=t_max, seed=seed) for seed in seeds]
    u = np.concatenate([np.exp(p["bf"] if cell == "lstm" else -p["bu"]).ravel() for p in started])
    times = np.concatenate([forgetting_time(cell, p).ravel() for p in started])
    return u, times


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_draws_u_uniformly_in_1_to_t_max_minus_1(cell):
    t_max = 50
    u, _ = chrono_draws(cell, t_max)
    assert u.min() >= 1 and u.max() <= t_max - 1
    deciles = np.quantile(u, np.linspace(0.1, 0.9, 9))
    expected = 1 + (t_max - 2) * np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(deciles, expected, atol=0.03 * (t_max - 2))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("t_max", [2, 5, 31, 200])
def test_chrono_forgetting_times_span_2_to_t_max(cell, t_max):
    """Γ_f = σ(log u) = u / (1 + u): the forgetting time 1 / (1 - Γ_f) = 1 + u covers
    [2, T_max], the range of lags the cell should remember, evenly (Tallec and Ollivier)."""
    _, times = chrono_draws(cell, t_max)
    assert times.min() >= 2 - 1e-9 and times.max() <= t_max + 1e-9
    assert times.min() < 2 + 0.01 * (t_max - 2) + 1e-9
    assert times.max() > t_max - 0.01 * (t_max - 2) - 1e-9
    np.testing.assert_allclose(np.median(times), (2 + t_max) / 2, atol=0.03 * (t_max - 2) + 1e-9)


@pytest.mark.parametrize(("cell", "start"), [
    ("lstm", "zero"), ("lstm", "b_f = 1"), ("lstm", "chrono"), ("lstm", "noisy"),
    ("gru", "zero"), ("gru", "chrono"), ("gru", "noisy")])
def test_forgetting_time_is_what_the_cell_itself_keeps(cell, start):
    """1 / (1 - k) with k the share of the state one step of the cell keeps (the update of
    rnnlesson.lstm or rnnlesson.gru with the weights at 0), against the formula."""
    params = noisy(cell)
    params = {"zero": lambda: zero_gate_biases(cell, params),
              "b_f = 1": lambda: forget_bias(params, 1.0),
              "chrono": lambda: chrono_biases(cell, params, t_max=31, seed=2),
              "noisy": lambda: params}[start]()
    kept = keeping_after_one_step(cell, params)
    np.testing.assert_allclose(forgetting_time(cell, params), 1 / (1 - kept), rtol=1e-10)


@pytest.mark.parametrize(("call", "names"), [
    (lambda: zero_gate_biases("rnn", noisy("lstm")), ["cell", "plain", "no gates"]),
    (lambda: chrono_biases("LSTM", noisy("lstm"), 10), ["cell", '"lstm" or "gru"', "'LSTM'"]),
    (lambda: forgetting_time(None, noisy("gru")), ["cell", "None"]),
    (lambda: chrono_biases("lstm", noisy("gru"), 10), ["params", "LSTM", "'Wf'"]),
    (lambda: zero_gate_biases("gru", {k: v for k, v in noisy("gru").items() if k != "bu"}),
     ["params", "GRU", "'bu'"]),
    (lambda: zero_gate_biases("lstm", [1, 2]), ["params", "list"]),
    (lambda: forget_bias(noisy("lstm"), np.inf), ["b_f", "finite", "inf"]),
    (lambda: forget_bias(noisy("lstm"), "1"), ["b_f", "real number", "'1'"]),
    (lambda: forget_bias(noisy("gru")), ["params", "LSTM", "'Wf'"]),
    (lambda: chrono_biases("lstm", noisy("lstm"), 1.5), ["t_max", ">= 2", "1.5"]),
    (lambda: chrono_biases("gru", noisy("gru"), np.nan), ["t_max", ">= 2", "nan"]),
    (lambda: chrono_biases("gru", noisy("gru"), True), ["t_max", "True"]),
    (lambda: chrono_biases("lstm", noisy("lstm"), 10, seed=-1), ["seed", "int >= 0", "-1"]),
    (lambda: chrono_biases("lstm", noisy("lstm"), 10, seed=0.5), ["seed", "int >= 0", "0.5"]),
], ids=["plain cell", "cell spelled LSTM", "cell None", "GRU params for the LSTM",
        "GRU without bu", "params a list", "b_f inf", "b_f a string", "forget_bias of a GRU",
        "t_max below 2", "t_max nan", "t_max a bool", "seed negative", "seed a float"])
def test_bad_input_names_the_argument_what_was_expected_and_what_arrived(call, names):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"
