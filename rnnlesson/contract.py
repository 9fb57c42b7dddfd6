"""What a cell is: its lecture pair, and the one unroll and BPTT every topology runs it through.

Every topology (`rnnlesson.topologies`, `rnnlesson.generate`, `rnnlesson.charlm`, stacked,
bidirectional, attention) takes `cell="rnn"`, `"lstm"` or `"gru"` (or a `Cell`) and runs it
through this one contract, so no topology has a copy of its loop per cell. A cell's state is
a tuple of (n_a, m) arrays whose first entry is the hidden state a_t that the output layer and
the next layer read: (a,) for the plain cell and the GRU, (a, c) for the LSTM. At the public
boundary a one-part state is just the array a, the LSTM's the pair (a, c).

Adding a cell is adding one module that defines its parameters' init and check and its step
pair, and a `Cell` built from them (see `rnnlesson.rnn`, `rnnlesson.lstm`, `rnnlesson.gru`).
"""

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnlesson import loop
from rnnlesson._validate import check_float_array, describe, fail
from rnnlesson.fast import ENGINES

_use_fast = contextvars.ContextVar("rnnlesson: use the fast paths", default=True)


@contextlib.contextmanager
def generic_loop():
    """Within this block every cell runs through the generic loop, fast path or not: what
    tests/test_fast_paths.py compares the fast paths with, through every topology."""
    token = _use_fast.set(False)
    try:
        yield
    finally:
        _use_fast.reset(token)


@dataclass(frozen=True)
class Cell:
    """One cell, all pure functions:

    init(n_x, n_a, n_y, seed) -> params with the output layer Wya, by;
    check(params, name) -> (n_x, n_a, n_y), n_y None without an output layer;
    step(xt, state, params) -> (state, cache): one step, xt (n_x, m) floats;
    step_backward(dstate, cache) -> (dxt, dstate_prev, {d<weight>...}).
    `unroll`, `bptt` and `last` run it over a sequence: through its fast path
    (`rnnlesson.fast`) when it has one, else through the generic loop (`rnnlesson.loop`).
    """

    name: str
    keys: tuple  # the recurrence's parameters
    state: tuple  # the names of the state's parts
    init: Callable
    check: Callable
    step: Callable
    step_backward: Callable

    def unroll(self, x, state0, params, lengths=None, transient=False):
        """The cell over x (n_x, m, T_x) floats or (m, T_x) ids from the state tuple state0, on
        checked arguments. Returns a cache whose .a is (n_a, m, T_x). transient=True lets the
        fast path keep the cache in scratch memory (for a caller it never outlives)."""
        engine = ENGINES.get(self.name) if _use_fast.get() else None
        if engine is None:
            return loop.unroll(self, x, state0, params, lengths)
        return engine.unroll(x, state0, params, lengths, transient)

    def bptt(self, da, cache, truncate=None, dlast=None):
        """Backward through `unroll`: da (n_a, m, T_x) from above; dlast a gradient reaching the
        final state (a tuple like the state) or None. Returns {dx, d<part>0 for each part of
        the state, d<weight>...}."""
        if isinstance(cache, loop.LoopCache):
            return loop.bptt(self, da, cache, truncate, dlast)
        return ENGINES[self.name].bptt(da, cache, truncate, dlast)

    def last(self, cache):
        """The state after each example's last step (a new tuple of arrays)."""
        if isinstance(cache, loop.LoopCache):
            return loop.last(cache)
        return ENGINES[self.name].last(cache)

    def recurrence(self, params):
        """The cell's own weights, without the output layer."""
        return {key: params[key] for key in self.keys}

    def param_grads(self, grads):
        """The parameters' gradients (recurrence and output layer) out of a larger dict."""
        return {f"d{key}": grads[f"d{key}"] for key in (*self.keys, "Wya", "by")}

    def state_grads(self, grads):
        """Pops d<part>0 for each part of the state, as a tuple."""
        return tuple(grads.pop(f"d{part}0") for part in self.state)

    def initial_state(self, state0, n_a, m, name="a0", dtype=np.float64):
        """A checked state tuple from a public one: None for zeros, the array a for a one-part
        state; for the LSTM the pair (a0, c0), or the array a0 alone with c0 = 0. dtype: the
        parameters', which the state must have."""
        if state0 is None:
            return tuple(np.zeros((n_a, m), dtype) for _ in self.state)
        if isinstance(state0, np.ndarray):
            state0 = (state0,) + tuple(np.zeros((n_a, m), dtype) for _ in self.state[1:])
        if not isinstance(state0, tuple) or len(state0) != len(self.state):
            fail(name, f"the {self.name} state: None, an (n_a, m) array"
                 + (" or the pair (a0, c0)" if len(self.state) > 1 else ""), describe(state0))
        return tuple(check_float_array(name if i == 0 else f"{name}[{i}]", s, (n_a, m),
                                       "(n_a, m)", dtype) for i, s in enumerate(state0))

    def public(self, state):
        """The state as the public functions return it: a, or the pair (a, c)."""
        return state[0] if len(state) == 1 else tuple(state)
