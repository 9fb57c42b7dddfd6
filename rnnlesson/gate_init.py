"""Where the gated cells' gates start: the biases that decide how long a fresh cell remembers.

Letters: n_a hidden units. With the weights small at the start, a gate is about σ(b) of its
bias alone, so the biases set how much of the memory each step keeps before any training:

    LSTM   c_t = Γ_f ⊙ c_{t-1} + Γ_i ⊙ c̃_t           keeps Γ_f ≈ σ(b_f) per step
    GRU    c_t = Γ_u ⊙ c̃_t + (1 - Γ_u) ⊙ c_{t-1}     keeps 1 - Γ_u ≈ σ(-b_u) per step

A memory kept at a rate k per step has the characteristic forgetting time 1 / (1 - k) steps
(for k near 1, k^n ≈ e^{-n (1 - k)}, so it fades by e in about that many steps);
`forgetting_time` computes it from the biases. Three starts:

- `zero_gate_biases`: every gate bias 0, the package's own start (`init_lstm_params`,
  `init_gru_params`): every unit keeps half its memory per step, a forgetting time of 2.
- `forget_bias`: the LSTM's b_f set to one value, commonly 1 (Gers et al. 2000; Jozefowicz
  et al. 2015): σ(1) ≈ 0.73, a forgetting time of 1 + e ≈ 3.7 steps.
- `chrono_biases`: chrono initialisation (Tallec and Ollivier 2018, "Can recurrent neural
  networks warp time?"), which spreads the forgetting times over the range of lags the task
  needs: u ~ U[1, T_max - 1] drawn per unit, b_f = log(u) and b_i = -b_f for the LSTM,
  b_u = -log(u) for our GRU (see `chrono_biases`).

Every function takes a cell's parameters (from `get_cell(cell).init`, `init_lstm_params` or
`init_gru_params`) and returns a new dict in which only the named biases differ; the arrays
passed in are never modified.
"""

import numpy as np

from rnnlesson._validate import describe, fail
from rnnlesson.gru import GATES as GRU_GATES
from rnnlesson.gru import check_gru_params
from rnnlesson.lstm import GATES as LSTM_GATES
from rnnlesson.lstm import check_lstm_params

GATED = {"lstm": (LSTM_GATES, check_lstm_params), "gru": (GRU_GATES, check_gru_params)}


def checked(cell, params, name="params"):
    """n_a of a gated cell's params; `cell` is "lstm" or "gru"."""
    if cell == "rnn":
        fail("cell", '"lstm" or "gru" (the plain cell "rnn" has no gates to start)', "'rnn'")
    if not isinstance(cell, str) or cell not in GATED:
        fail("cell", '"lstm" or "gru"', describe(cell))
    _, n_a, _ = GATED[cell][1](params, name)
    return n_a


def real(name, value, expected="a finite real number"):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        fail(name, expected, describe(value))
    return float(value)


def zero_gate_biases(cell, params):
    """Every gate bias (n_a, 1) of the cell set to 0: b_f, b_i, b_c, b_o for the LSTM, b_r, b_u,
    b_c for the GRU. The package's init already starts there; this says so explicitly."""
    n_a = checked(cell, params)
    return {**params, **{f"b{g}": np.zeros((n_a, 1)) for g in GATED[cell][0]}}


def forget_bias(params, b_f=1.0):
    """The LSTM's forget-gate bias b_f (n_a, 1) set to b_f in every unit (1: the common start)."""
    n_a = checked("lstm", params)
    return {**params, "bf": np.full((n_a, 1), real("b_f", b_f))}


def chrono_biases(cell, params, t_max, seed=0):
    """Chrono initialisation for dependencies up to t_max steps (Tallec and Ollivier 2018).

    Draw u ~ U[1, t_max - 1] per unit (seeded by `seed`), then
      LSTM: b_f = log(u), b_i = -b_f, so Γ_f ≈ σ(log u) = u / (1 + u): a forgetting time
            1 / (1 - Γ_f) = 1 + u, spread over [2, t_max]; the input gate writes as little
            as the forget gate lets fade.
      GRU (this package's form, whose Γ_u multiplies the candidate): keeping is 1 - Γ_u, so
            the same keeping rate needs σ(-b_u) = σ(log u), that is b_u = -log(u), and the
            forgetting time 1 / Γ_u = 1 + u (b_r stays as it was). In Cho et al.'s form, whose
            z = 1 - Γ_u multiplies the old state, this is b_z = +log(u).
    t_max: the longest lag the cell should remember, a number >= 2 (e.g. T_x).
    """
    n_a = checked(cell, params)
    t_max = real("t_max", t_max, "a finite number >= 2 (the longest lag to remember)")
    if t_max < 2:
        fail("t_max", "a finite number >= 2 (the longest lag to remember)", repr(t_max))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        fail("seed", "an int >= 0", describe(seed))
    log_u = np.log(np.random.default_rng(seed).uniform(1.0, t_max - 1.0, (n_a, 1)))  # (n_a, 1)
    if cell == "lstm":
        return {**params, "bf": log_u, "bi": -log_u}
    return {**params, "bu": -log_u}


def forgetting_time(cell, params):
    """Per unit (n_a, 1): the characteristic forgetting time 1 / (1 - k) for the keeping rate k
    the biases alone give, σ(b_f) for the LSTM and 1 - σ(b_u) for the GRU: 1 + e^{b_f}, or
    1 + e^{-b_u}. It describes the start, before the weights have learned anything."""
    checked(cell, params)
    return 1.0 + (np.exp(params["bf"]) if cell == "lstm" else np.exp(-params["bu"]))
