"""Whose fault is a wrong translation, the search's or the model's?

Letters: m examples, T_y output steps, K errors. A decoder's output ŷ for a source x is wrong
when it differs from the right output y*. Score both with the same model, by teacher forcing:

    log P(y | x) = Σ_t log ŷ_t[y_t]      (the decoder reads start, y_1, ..., y_{t-1})

If log P(y* | x) > log P(ŷ | x), the model rates the right output higher and the search failed
to find it: a wider beam could have. Otherwise the model rates its wrong answer at least as
high, and no search would have saved it: the model is to blame (more data, a bigger model,
longer training). With length normalisation the comparison is of log P / L^α, the number the
search maximises (see `rnnlesson.beam`).

The score reuses the training losses: `encoder_decoder_loss` and `attention_loss` return the
mean of -log ŷ_t[y_t] over the tokens they count, so for one example log P = -loss × tokens.
"""

from dataclasses import dataclass
from functools import partial

import numpy as np

from rnnlesson._validate import check_labels, check_lengths, describe, fail, is_int_array
from rnnlesson.attention import attention_loss, check_attention, check_start
from rnnlesson.beam import check_beam
from rnnlesson.cells import get_cell
from rnnlesson.topologies import check_encoder_decoder, encoder_decoder_loss


def check_outputs(params, x, y, start, cell, score, name="y"):
    """(m, n_y) after checking the model, start and y (m, T_y), one output per source."""
    if isinstance(params, dict) and "attention" in params:
        n_y = check_attention(params, cell, score)[1]
    else:
        n_y = check_encoder_decoder(params, cell)[1]
    if not isinstance(x, np.ndarray) or x.ndim not in (2, 3) or \
            (x.ndim == 2 and not is_int_array(x)):
        fail("x", "ids (m, T_x) or a float array (n_x, m, T_x)", describe(x))
    m = x.shape[0] if x.ndim == 2 else x.shape[1]
    check_start(start, n_y)
    T_y = y.shape[1] if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] else 1
    check_labels(y, (m, T_y), "(m, T_y)", n_y, name)
    return m, n_y


def output_lengths(y, end):
    """Tokens scored per output (m,): up to and including the first end symbol, all T_y
    without one (or with end None)."""
    m, T_y = y.shape
    if end is None:
        return np.full(m, T_y)
    ended = y == end
    return np.where(ended.any(axis=1), ended.argmax(axis=1) + 1, T_y)


def sequence_log_probability(params, x, y, start, lengths=None, cell="rnn", end=None,
                             score="additive"):
    """log P(y | x) of each output under an encoder-decoder, with or without attention.

    params: from `init_encoder_decoder` or `init_attention`; x (n_x, m, T_x) or ids (m, T_x),
    lengths (m,) or None; y (m, T_y) int ids, one output per source; start: the start
    symbol's id; end: the end symbol's id, after which y is not scored (beam search pads with
    it), or None to score all T_y; score: the attention's (see `rnnlesson.attention`).
    Returns (m,) floats, each Σ_t log ŷ_t[y_t] over the scored tokens, by teacher forcing:
    -loss × tokens of the model's own training loss, one example at a time.
    """
    cell = get_cell(cell)
    m, n_y = check_outputs(params, x, y, start, cell, score)
    check_beam(1, 0.0, end, n_y)  # end: None or a symbol id
    lengths = check_lengths(lengths, m, x.shape[-1])
    if "attention" in params:
        loss_fn = partial(attention_loss, cell=cell, score=score)
    else:
        loss_fn = partial(encoder_decoder_loss, cell=cell)
    kept = output_lengths(y, end)  # (m,) tokens scored
    y_in = np.concatenate([np.full((m, 1), start), y[:, :-1]], axis=1)  # teacher forcing
    log_p = np.empty(m)
    for i in range(m):
        one = [i]
        x_one = x[one] if x.ndim == 2 else x[:, one]
        loss, _ = loss_fn(params, x_one, y_in[one], y[one],
                          None if lengths is None else lengths[one], kept[one])
        log_p[i] = -loss * kept[i]
    return log_p


@dataclass(frozen=True)
class SearchErrors:
    """The errors of a search and whom to blame. errors (K,): the indices of the examples whose
    output differs from the right one; log_p_right, log_p_found (K,): log P(y* | x) and
    log P(ŷ | x) (divided by L^α with length normalisation); search_to_blame (K,) booleans:
    the model rates the right output strictly higher."""

    errors: np.ndarray
    log_p_right: np.ndarray
    log_p_found: np.ndarray
    search_to_blame: np.ndarray

    @property
    def share_search(self):
        """The share of the errors the search is to blame for (0 without errors)."""
        return float(self.search_to_blame.mean()) if len(self.errors) else 0.0

    @property
    def share_model(self):
        """The share of the errors the model is to blame for (0 without errors)."""
        return 1.0 - self.share_search if len(self.errors) else 0.0


def blame_errors(params, x, y_right, y_found, start, lengths=None, cell="rnn", end=None,
                 length_norm=0.0, score="additive"):
    """Search error or model error, for each example the search got wrong.

    y_right (m, T_y): the right outputs y*; y_found (m, T_y): what the search wrote (greedy or
    beam, e.g. from `rnnlesson.translate`); the other arguments as `sequence_log_probability`
    takes them; length_norm α: compare log P / L^α, L the tokens scored, as the search did.
    Returns a `SearchErrors`.
    """
    cell = get_cell(cell)
    m, n_y = check_outputs(params, x, y_right, start, cell, score, "y_right")
    check_labels(y_found, y_right.shape, "(m, T_y)", n_y, "y_found")
    check_beam(1, length_norm, end, n_y)
    wrong = [i for i in range(m) if not np.array_equal(
        y_right[i, : output_lengths(y_right[[i]], end)[0]],
        y_found[i, : output_lengths(y_found[[i]], end)[0]])]
    errors = np.array(wrong, dtype=int)
    sub_x = x[errors] if x.ndim == 2 else x[:, errors]
    sub_lengths = None if lengths is None else np.asarray(lengths)[errors]
    scores = {}
    for name, y in (("right", y_right), ("found", y_found)):
        if not len(errors):
            scores[name] = np.zeros(0)
            continue
        log_p = sequence_log_probability(params, sub_x, y[errors], start, sub_lengths, cell,
                                         end, score)
        scores[name] = log_p / output_lengths(y[errors], end) ** length_norm
    return SearchErrors(errors, scores["right"], scores["found"],
                        scores["right"] > scores["found"])
