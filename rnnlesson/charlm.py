"""A character-level language model: predict the next character from those before it.

The text is one long stream of character ids. Training cuts it into `batch_size` parallel
streams read `seq_length` characters at a time; the hidden state carries from one chunk to the
next and gradients stop at chunk boundaries (truncated BPTT). Losses are in nats per character.
Letters: n_x = n_y = vocabulary size, n_a hidden units, m streams, T_x = seq_length.
"""

from dataclasses import dataclass
from functools import partial

import numpy as np

from rnnlesson._validate import check_positive, fail
from rnnlesson.cells import get_cell, sequence_forward
from rnnlesson.datasets import Vocabulary
from rnnlesson.generate import sample as generate
from rnnlesson.losses import sequence_cross_entropy
from rnnlesson.optim import adam
from rnnlesson.topologies import many_to_many_states
from rnnlesson.training import train as train_loop


@dataclass(frozen=True)
class CharModel:
    """Trained parameters and the vocabulary they were trained with."""

    params: dict
    vocab: Vocabulary
    cell: str = "rnn"  # "rnn", "lstm" or "gru", see `rnnlesson.cells`


def stream_batches(ids, batch_size, seq_length):
    """A function step -> (x, y, first): x, y (m, T_x) ids with y one character ahead of x;
    first is True at the start of each pass through the text (the state is reset there)."""
    per_stream = (len(ids) - 1) // batch_size
    n_chunks = per_stream // seq_length
    if n_chunks < 1:
        fail("text", f"at least batch_size * seq_length + 1 = {batch_size * seq_length + 1} "
             "characters", f"{len(ids)}")
    usable = batch_size * per_stream
    x_all = ids[:usable].reshape(batch_size, per_stream)
    y_all = ids[1 : usable + 1].reshape(batch_size, per_stream)

    def batch(step):
        k = (step - 1) % n_chunks
        window = slice(k * seq_length, (k + 1) * seq_length)
        return x_all[:, window], y_all[:, window], k == 0

    return batch


def stream_loss(params, x, y, first, a_prev, cell="rnn"):
    """Loss and gradients of one chunk, starting from the state the last chunk left."""
    cell = get_cell(cell)
    loss, grads, a_last = many_to_many_states(params, x, y, None if first else a_prev,
                                              cell=cell)
    return loss, cell.param_grads(grads), a_last


def train(text, n_a=128, seq_length=25, batch_size=32, steps=1000, lr=1e-2, clip_norm=5.0,
          seed=0, vocab=None, progress=True, cell="rnn"):
    """Train on text; returns (CharModel, history) with history as from `rnnlesson.train`.
    cell: "rnn", "lstm" or "gru"."""
    cell = get_cell(cell)
    vocab = vocab or Vocabulary.from_sequences([text])
    ids = vocab.encode(text)
    seq_length = check_positive("seq_length", seq_length, int)
    batch_size = check_positive("batch_size", batch_size, int)
    params = cell.init(vocab.size, n_a, vocab.size, seed=seed)
    batches = stream_batches(ids, batch_size, seq_length)
    params, history = train_loop(partial(stream_loss, cell=cell), params, batches, steps,
                                 optimizer=adam(lr), clip_norm=clip_norm, progress=progress,
                                 stateful=True, desc="char model")
    return CharModel(params, vocab, cell.name), history


def hidden_states(model, text):
    """The hidden state after each character of text: (n_a, len(text))."""
    a, _, _, _ = sequence_forward(model.vocab.encode(text)[None, :], None, model.params,
                                  cell=model.cell)
    return a[:, 0, :]


def evaluate(model, text, chunk=2000):
    """Mean loss in nats per character of predicting text[1:] from text[:-1]
    (exp of it is the perplexity). The state carries across chunks of `chunk` characters."""
    ids = model.vocab.encode(text)
    if len(ids) < 2:
        fail("text", "at least 2 characters", len(ids))
    total, a = 0.0, None
    for start in range(0, len(ids) - 1, chunk):
        x = ids[start : start + chunk][None, :]
        y = ids[start + 1 : start + chunk + 1][None, :]
        x = x[:, : y.shape[1]]
        _, y_pred, a, _ = sequence_forward(x, a, model.params, cell=model.cell)
        loss, _ = sequence_cross_entropy(y_pred, y)
        total += loss * y.shape[1]
    return total / (len(ids) - 1)


def sample(model, prefix, n, temperature=1.0, seed=0):
    """prefix followed by n characters drawn one at a time, each fed back in."""
    if not isinstance(prefix, str) or not prefix:
        fail("prefix", "a non-empty string of characters in the vocabulary", repr(prefix))
    ids = model.vocab.encode(prefix)
    a0 = None
    if len(ids) > 1:  # read the prefix, all but its last character, to set the state
        _, _, a0, _ = sequence_forward(ids[None, :-1], None, model.params, cell=model.cell)
    out = generate(model.params, n, np.array([ids[-1]]), a0=a0, temperature=temperature,
                   seed=seed, cell=model.cell)
    return prefix + model.vocab.decode(out[0])
