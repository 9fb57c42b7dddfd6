"""One unroll and one BPTT for every cell, written once over the cell's step pair.

Letters: n_x input features, n_a hidden units, m examples, T_x steps. A cell gives two pure
functions (see `rnnlesson.cells.Cell`):

    step(x_t, state, params) -> (state_t, cache_t)                 forward through one step
    step_backward(dstate_t, cache_t) -> (dx_t, dstate_{t-1}, dW)    backward through it

where a state is a tuple of (n_a, m) arrays, a_t first. Everything that is about the
sequence rather than the cell lives here, once:
- token ids (m, T_x) become the one-hot columns x_t (n_x, m) the step reads;
- padding by lengths: at a padded step (t >= lengths[i]) example i's state is carried
  unchanged, so no gradient reaches that step's weights and all of it passes straight back;
- truncated BPTT: with truncate = k no gradient crosses from one window of k steps
  (t = 1..k, k+1..2k, ...) into the one before;
- the initial state's gradient d<part>0, and dlast, a gradient reaching the final state
  (from a decoder that started in it).

This is the reference the fast paths (`rnnlesson.fast`) are proven equal to, and the path a
cell without a fast path runs.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._validate import is_int_array


def one_hot(ids, n, dtype=np.float64):
    """Token ids (m, T_x) -> one-hot (n, m, T_x); ids (m,) -> (n, m). dtype: the result's."""
    return (np.arange(n).reshape((n,) + (1,) * ids.ndim) == ids).astype(dtype)


def step_mask(lengths, m, T_x):
    """(m, T_x) booleans: True where step t is part of example i (t < lengths[i])."""
    if lengths is None:
        return np.ones((m, T_x), dtype=bool)
    return np.arange(T_x) < lengths[:, None]


@dataclass(frozen=True)
class LoopCache:
    """What `bptt` needs: the inputs, every step's cache and the states."""

    x: np.ndarray  # (n_x, m, T_x) floats or (m, T_x) token ids
    n_x: int
    state0: tuple  # the initial state, each part (n_a, m)
    states: tuple  # each part (n_a, m, T_x): the state after step t at [:, :, t]
    steps: list  # T_x step caches
    lengths: np.ndarray | None  # (m,) or None

    @property
    def a(self):
        """The hidden states a_1..a_T, (n_a, m, T_x)."""
        return self.states[0]


def input_at(x, t, n_x, dtype):
    """x_t (n_x, m): step t's columns, one-hot for token ids."""
    return one_hot(x[:, t], n_x, dtype) if is_int_array(x) else x[:, :, t]


def unroll(cell, x, state0, params, lengths=None):
    """The cell's step at t = 1..T_x, each reading the state the previous one wrote.

    x (n_x, m, T_x) floats or (m, T_x) ids, n_x read from params by `cell.check`; state0 a
    tuple of (n_a, m); lengths (m,) or None. Returns the LoopCache (its .a is (n_a, m, T_x))."""
    n_x = cell.check(params)[0]
    m, T_x = x.shape[-2:]
    dtype = state0[0].dtype
    active = step_mask(lengths, m, T_x)
    states = tuple(np.empty(part.shape + (T_x,), dtype) for part in state0)
    state, steps = state0, []
    for t in range(T_x):
        new, cache = cell.step(input_at(x, t, n_x, dtype), state, params)
        if lengths is not None:  # a padded step carries the state unchanged
            new = tuple(np.where(active[:, t], n, s) for n, s in zip(new, state, strict=True))
        for states_part, part in zip(states, new, strict=True):
            states_part[:, :, t] = part
        steps.append(cache)
        state = new
    return LoopCache(x, n_x, state0, states, steps, lengths)


def last(cache):
    """The state after each example's last step (padded steps carried it to the end)."""
    return tuple(part[:, :, -1].copy() for part in cache.states)


def bptt(cell, da, cache, truncate=None, dlast=None):
    """Backpropagation through time over the cell's step_backward, from t = T_x down to 1.

    da (n_a, m, T_x): the loss gradient reaching each a_t from above; dlast: a tuple like the
    state, the gradient reaching the final state, or None. Returns {dx (n_x, m, T_x) (None
    for token ids), d<part>0 (n_a, m) for each part of the state, d<weight> for each of the
    cell's weights}."""
    n_a, m, T_x = da.shape
    dtype = cache.a.dtype
    active = step_mask(cache.lengths, m, T_x)
    dstate = (tuple(np.zeros((n_a, m), dtype) for _ in cache.states) if dlast is None
              else tuple(np.array(part, dtype) for part in dlast))
    ids = is_int_array(cache.x)
    dx = None if ids else np.empty((cache.n_x, m, T_x), dtype)
    grads = {}
    for t in reversed(range(T_x)):
        reaching = (dstate[0] + da[:, :, t],) + dstate[1:]  # from above and from step t+1
        into_step = reaching
        if cache.lengths is not None:  # a padded step copied its state: nothing enters it
            into_step = tuple(part * active[:, t] for part in reaching)
        dxt, dstate, dweights = cell.step_backward(into_step, cache.steps[t])
        if cache.lengths is not None:  # ... and all of the gradient passes straight back
            dstate = tuple(d + r * ~active[:, t] for d, r in zip(dstate, reaching, strict=True))
        for key, value in dweights.items():
            grads[key] = value if key not in grads else grads[key] + value
        if dx is not None:
            dx[:, :, t] = dxt
        if truncate is not None and t % truncate == 0 and t > 0:  # a window's first step
            dstate = tuple(np.zeros_like(part) for part in dstate)
    grads["dx"] = dx
    grads.update({f"d{part}0": d for part, d in zip(cell.state, dstate, strict=True)})
    return grads
