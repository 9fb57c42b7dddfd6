"""The cells every topology can take, by name: the plain RNN cell, the LSTM and the GRU.

Each cell is a `rnnlesson.contract.Cell` defined next to its equations (`rnnlesson.rnn`,
`rnnlesson.lstm`, `rnnlesson.gru`); this module names them and checks a sequence's arguments
for any of them.
"""

from rnnlesson._validate import (
    ALL_KEYS,
    check_lengths,
    check_params,
    check_sequence,
    describe,
    dtype_of,
    fail,
)
from rnnlesson.contract import Cell
from rnnlesson.gru import GRU
from rnnlesson.lstm import LSTM
from rnnlesson.rnn import RNN
from rnnlesson.sequence import sequence_outputs

CELLS = {cell.name: cell for cell in (RNN, LSTM, GRU)}

__all__ = ["CELLS", "Cell", "RNN", "LSTM", "GRU", "get_cell", "check_output", "cell_inputs",
           "sequence_forward"]


def get_cell(cell):
    """A Cell from a name ("rnn", "lstm", "gru") or a Cell."""
    if isinstance(cell, Cell):
        return cell
    if isinstance(cell, str) and cell in CELLS:
        return CELLS[cell]
    return fail("cell", "one of " + ", ".join(repr(k) for k in CELLS) + " (or a Cell)",
                describe(cell))


def check_output(cell, params, name="params"):
    """cell.check with the output layer Wya, by required."""
    if cell.name == "rnn":  # the plain cell's own messages, as `check_params` words them
        return check_params(params, keys=ALL_KEYS, name=name)
    n_x, n_a, n_y = cell.check(params, name)
    if n_y is None:
        fail(name, "the output layer's key 'Wya' of shape (n_y, n_a) and 'by' of shape (n_y, 1)",
             f"keys {sorted(params)}")
    return n_x, n_a, n_y


def cell_inputs(cell, x, state0, params, lengths, output, name="params"):
    """The checks of a sequence's arguments for this cell. Returns n_y (None without an output
    layer), (m, T_x), the state tuple and lengths (an array or None); x and the state must
    have the parameters' dtype. output=True: the output layer Wya, by is required."""
    if output:
        n_x, n_a, n_y = check_output(cell, params, name)
    else:
        n_x, n_a, n_y = cell.check(params, name)
    dtype = dtype_of(params)
    m, T_x = check_sequence(x, n_x, dtype=dtype)
    state = cell.initial_state(state0, n_a, m, dtype=dtype)
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
