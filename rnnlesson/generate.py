"""One-to-many: generating a sequence by feeding each output back in as the next input.

Letters: n_a hidden units, n_y output symbols (also the input size: the network reads its own
previous symbol, so n_x = n_y), m sequences generated side by side, n steps.
"""

import numpy as np

from rnnlesson._validate import check_positive, dtype_of, fail, is_int_array
from rnnlesson.attention import attention_beam_translate, attention_translate
from rnnlesson.beam import beam_search, check_beam
from rnnlesson.cells import check_output, get_cell, sequence_forward
from rnnlesson.sequence import one_hot, output_forward
from rnnlesson.topologies import check_encoder_decoder


def sample(params, n, start, a0=None, temperature=1.0, seed=0, greedy=False, cell="rnn",
           beam_width=None, end=None, length_norm=0.0):
    """Generate n symbols, one step at a time, each one the next step's input.

    start: the first input symbol, an int, or (m,) ints for m sequences at once; a0 (n_a, m) or
    None for zeros (e.g. a state computed from a feature vector or by an encoder; the LSTM's
    state is the pair (a0, c0)); cell "rnn", "lstm" or "gru" (see `rnnlesson.cells`).
    temperature > 0 divides the logits: below 1 sharper, above 1 flatter; greedy takes the
    most likely symbol instead of drawing one. seed makes the draws reproducible.
    beam_width = k: instead of either, the most likely sequence beam search finds with k prefixes
    (see `rnnlesson.beam`: end, the end symbol's id or None, and length_norm α).
    Returns the generated ids, (n,) for an int start or (m, n).
    """
    cell = get_cell(cell)
    n_x, n_a, n_y = check_output(cell, params)
    if n_x != n_y:
        fail("params['Wax']", f"n_x = n_y = {n_y} (the output is fed back as input)", n_x)
    n = check_positive("n", n, int)
    temperature = check_positive("temperature", temperature)
    ids = np.atleast_1d(np.asarray(start))
    if not is_int_array(ids) or ids.ndim != 1 or ids.min() < 0 or ids.max() >= n_y:
        fail("start", f"an int symbol id in [0, n_y) = [0, {n_y}), or (m,) of them", start)
    dtype = dtype_of(params)
    state = cell.initial_state(a0, n_a, ids.size, dtype=dtype)
    recurrence = cell.recurrence(params)
    if beam_width is not None:
        beam_width = check_beam(beam_width, length_norm, end, n_y)
        step = symbol_step(cell, params, n_x)
        out = np.stack([beam_search(step, tuple(s[:, [i]] for s in state), ids[i], n, beam_width,
                                    end, length_norm)[0] for i in range(ids.size)])
        return out[0] if np.ndim(start) == 0 else out
    rng = np.random.default_rng(seed)
    out = np.empty((ids.size, n), dtype=int)
    for t in range(n):
        state, _ = cell.step(one_hot(ids, n_x, dtype), state, recurrence)
        p = output_forward(state[0], params)  # (n_y, m)
        if greedy:
            ids = p.argmax(axis=0)
        else:  # softmax(z / T) is p**(1/T) renormalised
            q = p ** (1.0 / temperature)
            cdf = np.cumsum(q / q.sum(axis=0), axis=0)
            ids = np.minimum((cdf < rng.random(ids.size)).sum(axis=0), n_y - 1)
        out[:, t] = ids
    return out[0] if np.ndim(start) == 0 else out


def symbol_step(cell, params, n_x):
    """A beam-search step (see `rnnlesson.beam.beam_search`) that reads the previous symbol."""
    recurrence = cell.recurrence(params)

    def step(ids, state):
        state, _ = cell.step(one_hot(ids, n_x, dtype_of(params)), state, recurrence)
        return np.log(output_forward(state[0], params)), state, None

    return step


def translate(params, x, n, start, lengths=None, cell="rnn", beam_width=None, end=None,
              length_norm=0.0, score="additive"):
    """Decoding with an encoder-decoder (see `encoder_decoder_loss`), greedy by default.

    x (n_x, m, T_x) or token ids (m, T_x); n output steps; start: the start-symbol id.
    beam_width = k: beam search with k prefixes per example (`rnnlesson.beam`); end (the end
    symbol's id, after which the output repeats it) and length_norm α then pick the winner by
    log P / L^α. For params from `init_attention`, score is the attention's score, as
    `init_attention` made it; `rnnlesson.attention_weights` then says where the decoder looked.
    Returns (m, n) output ids.
    """
    cell = get_cell(cell)
    if isinstance(params, dict) and "attention" in params:
        if beam_width is None:
            return attention_translate(params, x, n, start, lengths, cell, score)
        return attention_beam_translate(params, x, n, start, lengths, cell, beam_width, end,
                                        length_norm, score)
    check_encoder_decoder(params, cell)
    a_enc, _, last, _ = sequence_forward(x, None, params["encoder"], lengths, cell)
    m = a_enc.shape[1]
    return sample(params["decoder"], n, np.full(m, start), a0=last, greedy=True, cell=cell,
                  beam_width=beam_width, end=end, length_norm=length_norm)
