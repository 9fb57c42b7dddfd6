"""Data the course ships and how to turn it into arrays.

- `Vocabulary`: the symbols of a text (characters or words) and their ids.
- `pad_batch`: token-id lists of different lengths -> ids (m, T_x) and lengths (m,).
- `load_sentiment`: short labelled sentences, with pairs that hold the same words in another
  order and the opposite label.
- `load_corpus` / `load_text`: prose for the character language model, or any text file.
- `lag_task`: the long-lag memory task of notebook 10 (a symbol, noise, then say the symbol).
"""

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rnnlesson._validate import check_positive, describe, fail

LAG_SYMBOLS, LAG_NOISE = 4, 4  # the lag task's ids: 0..3 to remember, 4..7 the noise after them


@dataclass(frozen=True)
class Vocabulary:
    """Symbols in a fixed order; id i stands for the one-hot vector e_i of length n_x = size."""

    symbols: tuple

    @classmethod
    def from_sequences(cls, sequences, extra=()):
        """Every distinct symbol of the sequences (strings are sequences of characters),
        sorted, after the `extra` symbols (e.g. a padding or start symbol)."""
        seen = sorted({s for seq in sequences for s in seq} - set(extra))
        return cls(tuple(extra) + tuple(seen))

    @property
    def size(self):
        return len(self.symbols)

    def index(self):
        return {s: i for i, s in enumerate(self.symbols)}

    def encode(self, sequence):
        """Symbols -> int ids (T,). Unknown symbols are an error that lists them."""
        index = self.index()
        unknown = sorted({s for s in sequence if s not in index})
        if unknown:
            fail("sequence", f"symbols of this vocabulary ({self.size} symbols)",
                 f"unknown symbols {unknown[:10]}")
        return np.array([index[s] for s in sequence], dtype=np.int64)

    def decode(self, ids, sep=""):
        """Int ids -> the symbols joined by sep."""
        return sep.join(str(self.symbols[i]) for i in np.asarray(ids).ravel())


def pad_batch(sequences, pad_id=0):
    """A list of m id sequences -> ids (m, T_x) padded with pad_id, lengths (m,)."""
    if not sequences or any(len(s) == 0 for s in sequences):
        fail("sequences", "a non-empty list of non-empty id sequences", describe(sequences))
    lengths = np.array([len(s) for s in sequences])
    ids = np.full((len(sequences), lengths.max()), pad_id, dtype=np.int64)
    for i, seq in enumerate(sequences):
        ids[i, : len(seq)] = seq
    return ids, lengths


@dataclass(frozen=True)
class Sentence:
    text: str
    label: int  # 1 positive, 0 negative
    split: str  # "train" or "test"
    pair: str  # id shared with the same words in another order, or ""


def load_sentiment(split=None):
    """The shipped sentiment sentences, all or one split ("train" or "test")."""
    if split not in (None, "train", "test"):
        fail("split", "None, 'train' or 'test'", repr(split))
    text = resources.files("rnnlesson").joinpath("data/sentiment.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    sentences = [Sentence(r["text"], int(r["label"]), r["split"], r["pair"]) for r in rows]
    return [s for s in sentences if split is None or s.split == split]


def sentiment_arrays(sentences, vocab=None):
    """Sentences -> (ids (m, T_x), lengths (m,), labels (m,), vocab). Word id 0 is the padding
    symbol "<pad>"; pass the training vocab to encode other splits alike."""
    words = [s.text.split() for s in sentences]
    vocab = vocab or Vocabulary.from_sequences(words, extra=("<pad>",))
    ids, lengths = pad_batch([vocab.encode(w) for w in words])
    return ids, lengths, np.array([s.label for s in sentences]), vocab


def load_corpus():
    """The course's own prose (about 60 KB), for the character language model."""
    return resources.files("rnnlesson").joinpath("data/corpus.txt").read_text("utf-8")


def load_text(path):
    """Any UTF-8 text file a user points at, with clear errors."""
    path = Path(path)
    if not path.is_file():
        fail("path", "an existing text file", f"{str(path)!r}, which does not exist"
             if not path.exists() else f"{str(path)!r}, which is not a file")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as err:
        fail("path", "a UTF-8 text file", f"{str(path)!r}, undecodable at byte {err.start}")
    if len(text) < 2:
        fail("path", "a text of at least 2 characters", f"{len(text)} characters")
    return text


def lag_task(rng, m, lag):
    """The long-lag memory task: read a symbol, then `lag` steps of random noise symbols; at the
    end, say the first symbol. rng: a numpy Generator; m examples.
    Returns ids (m, lag + 1) with values in 0 .. LAG_SYMBOLS + LAG_NOISE - 1 (so n_x = 8) and
    the labels (m,) in 0 .. LAG_SYMBOLS - 1 (chance is 1 / LAG_SYMBOLS)."""
    if not isinstance(rng, np.random.Generator):
        fail("rng", "a numpy Generator, e.g. np.random.default_rng(0)", describe(rng))
    m = check_positive("m", m, int)
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 0:
        fail("lag", "an int >= 0 (the number of noise steps)", describe(lag))
    first = rng.integers(0, LAG_SYMBOLS, m)
    noise = rng.integers(LAG_SYMBOLS, LAG_SYMBOLS + LAG_NOISE, (m, lag))
    return np.concatenate([first[:, None], noise], axis=1), first
