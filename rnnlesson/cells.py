"""A cell is a value the topologies take: the plain RNN cell, the LSTM or the GRU.

Every topology (`rnnlesson.topologies`, `rnnlesson.generate`, `rnnlesson.charlm`, stacked,
bidirectional, attention) takes `cell="rnn"`, `"lstm"` or `"gru"` (or a `Cell`) and runs it
through the one contract below, so no topology has a copy of its loop per cell.

A cell's state is a tuple of (n_a, m) arrays whose first entry is the hidden state a_t that
the output layer and the next layer read: (a,) for the plain cell and the GRU, (a, c) for the
LSTM. At the public boundary a one-part state is just the array a, the LSTM's the pair (a, c).
What differs between cells (the LSTM's c) travels in the state and in the caches, never in
special cases in the topologies.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import (
    ALL_KEYS,
    RECURRENCE_KEYS,
    check_float_array,
    check_lengths,
    check_params,
    check_sequence,
    describe,
    fail,
)
from rnnlesson.cell import init_params, rnn_cell_backward, rnn_cell_forward
from rnnlesson.gru import GATES as GRU_GATES
from rnnlesson.gru import (
    check_gru_params,
    gru_bptt,
    gru_step,
    gru_step_backward,
    gru_unroll,
    init_gru_params,
)
from rnnlesson.lstm import GATES as LSTM_GATES
from rnnlesson.lstm import (
    check_lstm_params,
    init_lstm_params,
    lstm_bptt,
    lstm_step,
    lstm_step_backward,
    lstm_unroll,
)
from rnnlesson.sequence import bptt, sequence_outputs, unroll


@dataclass(frozen=True)
class Cell:
    """One cell's contract, all pure functions (states are tuples, see the module's doc):

    init(n_x, n_a, n_y, seed) -> params with the output layer Wya, by;
    check(params, name) -> (n_x, n_a, n_y), n_y None without an output layer;
    unroll(x, state0, params, lengths, transient) -> a cache whose .a is (n_a, m, T_x);
        transient=True may keep it in scratch memory (for a caller it never outlives);
    bptt(da, cache, truncate, dlast) -> {dx, d<state>0 for each part, d<weight>...};
        dlast: a gradient reaching the final state (a tuple like the state) or None;
    last(cache) -> the state after each example's last step (a new tuple of arrays);
    step(xt, state, params) -> (state, cache): one step, xt (n_x, m) floats;
    step_backward(dstate, cache) -> (dxt, dstate_prev, {d<weight>...}).
    """

    name: str
    keys: tuple  # the recurrence's parameters
    state: tuple  # the names of the state's parts
    init: Callable
    check: Callable
    unroll: Callable
    bptt: Callable
    last: Callable
    step: Callable
    step_backward: Callable

    def recurrence(self, params):
        """The cell's own weights, without the output layer."""
        return {key: params[key] for key in self.keys}

    def param_grads(self, grads):
        """The parameters' gradients (recurrence and output layer) out of a larger dict."""
        return {f"d{key}": grads[f"d{key}"] for key in (*self.keys, "Wya", "by")}

    def state_grads(self, grads):
        """Pops d<part>0 for each part of the state, as a tuple."""
        return tuple(grads.pop(f"d{part}0") for part in self.state)

    def initial_state(self, state0, n_a, m, name="a0"):
        """A checked state tuple from a public one: None for zeros, the array a for a one-part
        state; for the LSTM the pair (a0, c0), or the array a0 alone with c0 = 0."""
        if state0 is None:
            return tuple(np.zeros((n_a, m)) for _ in self.state)
        if isinstance(state0, np.ndarray):
            state0 = (state0,) + tuple(np.zeros((n_a, m)) for _ in self.state[1:])
        if not isinstance(state0, tuple) or len(state0) != len(self.state):
            fail(name, f"the {self.name} state: None, an (n_a, m) array"
                 + (" or the pair (a0, c0)" if len(self.state) > 1 else ""), describe(state0))
        return tuple(check_float_array(name if i == 0 else f"{name}[{i}]", s, (n_a, m),
                                       "(n_a, m)") for i, s in enumerate(state0))

    def public(self, state):
        """The state as the public functions return it: a, or the pair (a, c)."""
        return state[0] if len(state) == 1 else tuple(state)


def check_output(cell, params, name="params"):
    """cell.check with the output layer Wya, by required."""
    if cell.name == "rnn":  # the plain cell's own messages, as `check_params` words them
        return check_params(params, keys=ALL_KEYS, name=name)
    n_x, n_a, n_y = cell.check(params, name)
    if n_y is None:
        fail(name, "the output layer's key 'Wya' of shape (n_y, n_a) and 'by' of shape (n_y, 1)",
             f"keys {sorted(params)}")
    return n_x, n_a, n_y


def rnn_check(params, name="params"):
    keys = ALL_KEYS if isinstance(params, dict) and "Wya" in params else RECURRENCE_KEYS
    return check_params(params, keys=keys, name=name)


def rnn_unroll(x, state0, params, lengths, transient=False):
    shape = (state0[0].shape[0],) + tuple(x.shape[-2:])
    out = scratch("states", shape, order="F") if transient else np.empty(shape, order="F")
    return unroll(x, state0[0], params, lengths, out=out)


def rnn_bptt(da, cache, truncate=None, dlast=None):
    if dlast is not None:  # padded steps carry the state, so a[:, :, -1] is the final one
        da = da.copy()
        da[:, :, -1] += dlast[0]
    return bptt(da, cache, truncate)


# the gated cells' steps below skip the checks their callers made before the loop (the plain
# cell's reference functions are used as they are: notebook 08 shows their source)
def rnn_state_step(xt, state, params):
    a_next, _, cache = rnn_cell_forward(xt, state[0], {k: params[k] for k in RECURRENCE_KEYS})
    return (a_next,), cache


def rnn_state_step_backward(dstate, cache):
    grads = rnn_cell_backward(dstate[0], cache)
    return grads.pop("dxt"), (grads.pop("da_prev"),), grads


def lstm_state_step(xt, state, params):
    a, c, _, cache = lstm_step(xt, state[0], state[1], {k: params[k] for k in LSTM.keys})
    return (a, c), cache


def lstm_state_step_backward(dstate, cache):
    grads = lstm_step_backward(dstate[0], dstate[1], cache)
    return grads.pop("dxt"), (grads.pop("da_prev"), grads.pop("dc_prev")), grads


def lstm_bptt_last(da, cache, truncate=None, dlast=None):
    if dlast is not None:
        da = da.copy()
        da[:, :, -1] += dlast[0]
    return lstm_bptt(da, cache, truncate, None if dlast is None else dlast[1])


def gru_state_step(xt, state, params):
    a, _, cache = gru_step(xt, state[0], {k: params[k] for k in GRU.keys})
    return (a,), cache


def gru_state_step_backward(dstate, cache):
    grads = gru_step_backward(dstate[0], cache)
    return grads.pop("dxt"), (grads.pop("da_prev"),), grads


def gru_bptt_last(da, cache, truncate=None, dlast=None):
    if dlast is not None:
        da = da.copy()
        da[:, :, -1] += dlast[0]
    return gru_bptt(da, cache, truncate)


def gated_keys(gates):
    return tuple(key for g in gates for key in (f"W{g}", f"b{g}"))


RNN = Cell("rnn", RECURRENCE_KEYS, ("a",), init_params, rnn_check, rnn_unroll, rnn_bptt,
           lambda cache: (cache.a[:, :, -1].copy(),), rnn_state_step,
           rnn_state_step_backward)
LSTM = Cell("lstm", gated_keys(LSTM_GATES), ("a", "c"), init_lstm_params, check_lstm_params,
            lambda x, s, p, lengths, transient=False: lstm_unroll(x, s[0], s[1], p, lengths,
                                                                  transient),
            lstm_bptt_last, lambda cache: (cache.a[:, :, -1].copy(), cache.c[:, :, -1].copy()),
            lstm_state_step, lstm_state_step_backward)
GRU = Cell("gru", gated_keys(GRU_GATES), ("a",), init_gru_params, check_gru_params,
           lambda x, s, p, lengths, transient=False: gru_unroll(x, s[0], p, lengths, transient),
           gru_bptt_last, lambda cache: (cache.a[:, :, -1].copy(),), gru_state_step,
           gru_state_step_backward)
CELLS = {cell.name: cell for cell in (RNN, LSTM, GRU)}


def get_cell(cell):
    """A Cell from a name ("rnn", "lstm", "gru") or a Cell."""
    if isinstance(cell, Cell):
        return cell
    if isinstance(cell, str) and cell in CELLS:
        return CELLS[cell]
    return fail("cell", "one of " + ", ".join(repr(k) for k in CELLS) + " (or a Cell)",
                describe(cell))


def cell_inputs(cell, x, state0, params, lengths, output, name="params"):
    """The checks of a sequence's arguments for this cell. Returns n_y (None without an output
    layer), (m, T_x), the state tuple and lengths (an array or None).
    output=True: the output layer Wya, by is required."""
    if output:
        n_x, n_a, n_y = check_output(cell, params, name)
    else:
        n_x, n_a, n_y = cell.check(params, name)
    m, T_x = check_sequence(x, n_x)
    state = cell.initial_state(state0, n_a, m)
    return n_y, (m, T_x), state, check_lengths(lengths, m, T_x)


def sequence_forward(x, a0, params, lengths=None, cell="rnn"):
    """Any cell over a sequence: x (n_x, m, T_x) floats or (m, T_x) ids; a0 the public state
    (see `Cell.initial_state`); lengths (m,) or None.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) (None without Wya), the final state (public
    form) and the cache for the cell's `bptt`."""
    cell = get_cell(cell)
    n_y, (m, T_x), state, lengths = cell_inputs(cell, x, a0, params, lengths, output=False)
    cache = cell.unroll(x, state, params, lengths)
    return cache.a, sequence_outputs(cache.a, params), cell.public(cell.last(cache)), cache
