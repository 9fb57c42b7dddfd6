"""Fast paths beside the generic loop, one per cell that has one, chosen automatically.

`rnnlesson.loop` unrolls any cell through its step pair; that is the reference. An engine
here computes the same thing faster for one cell (the input projection hoisted out of the
loop, a column lookup for token ids, Fortran order, scratch memory, fused gates):

    unroll(x, state0, params, lengths, transient) -> a cache whose .a is (n_a, m, T_x)
    bptt(da, cache, truncate, dlast) -> the same dict as `rnnlesson.loop.bptt`
    last(cache) -> the state after each example's last step

`rnnlesson.cells.Cell` uses the engine registered under its name, and the generic loop for
a cell without one. tests/test_fast_paths.py proves every engine equal to the loop for every
topology, dtype, padding and truncation.
"""

from collections.abc import Callable
from dataclasses import dataclass

from rnnlesson.fast import gru, lstm, rnn


@dataclass(frozen=True)
class Engine:
    unroll: Callable
    bptt: Callable
    last: Callable
    cache: type  # the type of cache its unroll returns, so that bptt finds its engine


def _last(*parts):
    return lambda cache: tuple(getattr(cache, p)[:, :, -1].copy() for p in parts)


ENGINES = {
    "rnn": Engine(rnn.unroll, rnn.bptt, _last("a"), rnn.SequenceCache),
    "lstm": Engine(lstm.unroll, lstm.bptt, _last("a", "c"), lstm.LSTMCache),
    "gru": Engine(gru.unroll, gru.bptt, _last("a"), gru.GRUCache),
}
