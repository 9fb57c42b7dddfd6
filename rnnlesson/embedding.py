"""Word embeddings: a table E whose column i is the vector the cell reads for word id i.

Letters: n_vocab symbols in the vocabulary, n_e the embedding's size (the cell's n_x), n_a hidden
units, m examples, T_x steps. With one-hot inputs, W_ax x_t is column ids_t of W_ax: each word
already has a vector, of n_a numbers because W_ax has a row per hidden unit. An embedding puts
a table E (n_e, n_vocab) in front of the cell, with n_e chosen freely:

    x_t = E[:, ids_t]                 the same as E @ one_hot(ids_t), read as a lookup
    dE[:, i] = Σ dx_t[:, j] over the steps (j, t) where ids[j, t] == i

so only the columns of the words in the batch get a gradient (a sparse update). Padding gets
none: the losses give a padded step's input no gradient. `embedded_loss` makes any sequence
loss of `rnnlesson.topologies` read token ids through params["E"], for any cell.
"""

from dataclasses import dataclass, fields

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_positive,
    describe,
    dtype_of,
    fail,
    float_dtype,
    is_int_array,
)
from rnnlesson.cells import get_cell
from rnnlesson.contract import Cell
from rnnlesson.fast._common import flat, sum_columns_by_id

__all__ = ["SENTIMENT_WORDS", "cosine_similarities", "embed", "embed_backward", "mean_cosine",
           "embedded_loss", "init_embedded", "init_embedding", "nearest_words", "project_2d"]

# The sentiment data's words that a reader would call positive or negative on their own,
# chosen by hand (not learned): what notebook 11 colours its learned vectors by.
SENTIMENT_WORDS = {
    "positive": ("brilliant", "enjoy", "enjoyed", "fun", "funny", "good", "great", "like",
                 "liked", "loved", "lovely", "moving", "wonderful"),
    "negative": ("awful", "bad", "boring", "disliked", "dull", "hated", "poor", "terrible",
                 "weak"),
}


def init_embedding(n_vocab, n_e, seed=0, dtype=np.float64):
    """E (n_e, n_vocab), entries drawn from N(0, 1/n_e): each column has a length of about 1,
    as a one-hot vector has. dtype: np.float64 or np.float32."""
    n_vocab, n_e = check_positive("n_vocab", n_vocab, int), check_positive("n_e", n_e, int)
    dtype = float_dtype(dtype)
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n_e, n_vocab)) / np.sqrt(n_e)).astype(dtype)


def init_embedded(n_vocab, n_e, n_a, n_y, seed=0, cell="rnn", dtype=np.float64):
    """The cell's parameters on n_e inputs, with the output layer, plus E (n_e, n_vocab)."""
    cell = get_cell(cell)
    params = {key: value.astype(float_dtype(dtype))
              for key, value in cell.init(n_e, n_a, n_y, seed).items()}
    return {"E": init_embedding(n_vocab, n_e, seed + 1, dtype), **params}


def check_embedding(E, name="E", n_e=None, dtype=None):
    """A finite float array (n_e, n_vocab); n_e: the size the cell reads (None: any).
    Returns (n_e, n_vocab)."""
    if not isinstance(E, np.ndarray) or E.ndim != 2 or min(E.shape) < 1:
        fail(name, "a float array (n_e, n_vocab)", describe(E))
    if n_e is not None and E.shape[0] != n_e:
        fail(name, f"n_e = {n_e} rows, the cell's input size n_x", f"shape {E.shape}")
    check_float_array(name, E, E.shape, "(n_e, n_vocab)", dtype)
    return E.shape


def check_ids(ids, n_vocab, name="ids"):
    """Token ids: an int array (m, T_x) with every id in [0, n_vocab)."""
    if not is_int_array(ids) or ids.ndim != 2 or min(ids.shape) < 1:
        fail(name, f"an int array of token ids (m, T_x), each in [0, n_vocab) = [0, {n_vocab})",
             describe(ids))
    if ids.min() < 0 or ids.max() >= n_vocab:
        fail(name, f"token ids in [0, n_vocab) = [0, {n_vocab}), one per column of E",
             f"ids from {ids.min()} to {ids.max()}")
    return ids


def embed(E, ids):
    """x (n_e, m, T_x): x[:, j, t] = E[:, ids[j, t]]. E (n_e, n_vocab), ids (m, T_x) ints."""
    n_vocab = check_embedding(E)[1]
    return E[:, check_ids(ids, n_vocab)]


def embed_backward(dx, ids, n_vocab):
    """dE (n_e, n_vocab) from dx (n_e, m, T_x), the gradient reaching each x_t: column i sums
    the columns dx[:, j, t] where ids[j, t] == i (zero for ids not in the batch). The same as
    Σ_t dx_t one_hot(ids_t).T, without the one-hot matrices."""
    ids = check_ids(ids, n_vocab)
    if not isinstance(dx, np.ndarray) or dx.ndim != 3 or dx.shape[1:] != ids.shape:
        fail("dx", f"a float array (n_e, m, T_x) with (m, T_x) = {ids.shape}", describe(dx))
    return sum_columns_by_id(flat(dx), ids.T.ravel(), n_vocab)  # step-major, both of them


@dataclass(frozen=True)
class _KeepsInputGrad(Cell):
    """The same cell, whose losses also return dinputs (n_x, m, T_x), the gradient reaching the
    inputs x_t: the losses keep only the parameters' gradients, and E needs this one."""

    def bptt(self, da, cache, truncate=None, dlast=None):
        grads = super().bptt(da, cache, truncate, dlast)
        return {**grads, "dinputs": grads["dx"]}

    def param_grads(self, grads):
        return {**super().param_grads(grads), "dinputs": grads["dinputs"]}


def embedded_loss(loss_fn):
    """loss_fn(params, x, *args, cell=..., **kwargs) -> (loss, grads), a sequence loss such as
    `many_to_one_loss` or `many_to_many_loss`, made to read token ids through an embedding:

        loss(params, ids, *args, cell="rnn", **kwargs) -> (loss, grads)

    params: the cell's parameters on n_e inputs plus "E" (n_e, n_vocab), one dtype for all;
    ids (m, T_x) ints in [0, n_vocab). grads: the loss_fn's, plus "dE" (n_e, n_vocab)."""

    def loss(params, ids, *args, cell="rnn", **kwargs):
        cell = get_cell(cell)
        if not isinstance(params, dict) or "E" not in params:
            fail("params", "a dict with the embedding 'E' (n_e, n_vocab) and the cell's weights",
                 f"keys {sorted(params)}" if isinstance(params, dict) else describe(params))
        rest = {key: value for key, value in params.items() if key != "E"}
        n_x = cell.check(rest)[0]
        n_vocab = check_embedding(params["E"], "params['E']", n_x, dtype_of(rest))[1]
        x = embed(params["E"], check_ids(ids, n_vocab))  # (n_e, m, T_x)
        keeps = _KeepsInputGrad(**{f.name: getattr(cell, f.name) for f in fields(Cell)})
        value, grads = loss_fn(rest, x, *args, cell=keeps, **kwargs)
        return value, {"dE": embed_backward(grads.pop("dinputs"), ids, n_vocab), **grads}

    loss.__name__ = f"embedded_{getattr(loss_fn, '__name__', 'loss')}"
    return loss


def cosine_similarities(E):
    """(n_vocab, n_vocab): entry (i, k) is cos of the angle between columns i and k of E."""
    n_vocab = check_embedding(E)[1]
    norms = np.linalg.norm(E, axis=0)
    unit = E / np.where(norms > 0, norms, 1.0)
    return (unit.T @ unit).reshape(n_vocab, n_vocab)


def nearest_words(E, symbols, word, k=5, exclude=("<pad>",)):
    """The k symbols whose columns of E are closest in angle to word's, best first, as
    (symbol, cosine) pairs. symbols: the vocabulary's, symbols[i] naming column i; exclude:
    symbols never returned (the padding symbol was never trained)."""
    n_vocab = check_embedding(E)[1]
    if len(symbols) != n_vocab:
        fail("symbols", f"{n_vocab} symbols, one per column of E", describe(symbols))
    if word not in symbols:
        fail("word", "a symbol of the vocabulary", repr(word))
    i = list(symbols).index(word)
    cosines = cosine_similarities(E)[i]
    order = [j for j in np.argsort(-cosines, kind="stable")
             if j != i and symbols[j] not in exclude]
    return [(symbols[j], float(cosines[j])) for j in order[:k]]


def project_2d(E):
    """Principal component analysis of E's columns, by numpy's SVD: returns (coords (2, n),
    share), coords the columns' positions along the two directions in which they vary most
    (after subtracting their mean), share the fraction of the variance those two keep.
    E (n_e, n) with n_e >= 2, n >= 2."""
    check_embedding(E)
    if min(E.shape) < 2:
        fail("E", "at least 2 rows and 2 columns to project onto a plane", f"shape {E.shape}")
    centred = E - E.mean(axis=1, keepdims=True)
    U, S, _ = np.linalg.svd(centred, full_matrices=False)
    variance = S**2
    share = float(variance[:2].sum() / variance.sum()) if variance.sum() > 0 else 1.0
    return U[:, :2].T @ centred, share


def mean_cosine(E, first, second):
    """The mean cosine between the columns first (ids) and the columns second (ids) of E,
    leaving out each column's cosine with itself (1). E (n_e, n_vocab); first, second: ids."""
    cosines = cosine_similarities(E)[np.ix_(first, second)]
    same = np.equal.outer(np.asarray(first), np.asarray(second))
    return float(cosines[~same].mean())
