"""The embedding table E in front of any cell: the lookup, its sparse gradient, the losses that
read ids through it, its errors, training, and what notebook 11 says the learned vectors show."""

import re
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest

import rnnlesson as R
from rnnlesson.embedding import (
    SENTIMENT_WORDS,
    cosine_similarities,
    embed,
    embed_backward,
    embedded_loss,
    init_embedded,
    init_embedding,
    mean_cosine,
    nearest_words,
    project_2d,
)
from rnnlesson.loop import one_hot

TOL = 1e-7
N_VOCAB, N_E, N_A, N_Y, M, T_X = 7, 4, 5, 3, 3, 6
LENGTHS = np.array([6, 2, 4])
CELLS = ["rnn", "lstm", "gru"]
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "11-sentiment-many-to-one.ipynb"


def batch(rng, lengths=LENGTHS, low=1):
    """Ids (m, T_x) in [low, N_VOCAB - 1), padded with 0 beyond lengths; so the last id is
    never used. Labels for both topologies."""
    ids = rng.integers(low, N_VOCAB - 1, (M, T_X))
    if lengths is not None:
        ids[np.arange(T_X) >= lengths[:, None]] = 0
    return ids, rng.integers(0, N_Y, M), rng.integers(0, N_Y, (M, T_X))


def perturbed(cell, seed=0, dtype=np.float64):
    """init_embedded with non-zero biases, so that no gradient is trivially zero."""
    rng = np.random.default_rng(seed + 50)
    params = init_embedded(N_VOCAB, N_E, N_A, N_Y, seed=seed, cell=cell)
    return {k: (v + 0.3 * rng.normal(size=v.shape)).astype(dtype) for k, v in params.items()}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("topology", ["many_to_one", "many_to_many"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
def test_gradients_through_the_embedding(topology, lengths, cell, rng):
    ids, y_one, y_many = batch(rng, lengths)
    if topology == "many_to_one":
        loss = partial(embedded_loss(R.many_to_one_loss), ids=ids, y=y_one, lengths=lengths,
                       cell=cell)
    else:
        loss = partial(embedded_loss(R.many_to_many_loss), ids=ids, y=y_many, lengths=lengths,
                       cell=cell)
    errors = R.gradient_check(loss, perturbed(cell))
    assert "E" in errors
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}"


def test_lookup_is_the_product_with_one_hot(rng):
    E = rng.normal(size=(N_E, N_VOCAB))
    ids = rng.integers(0, N_VOCAB, (M, T_X))
    x = embed(E, ids)
    assert x.shape == (N_E, M, T_X)
    # one way: the whole batch at once, E @ o for every (example, step)
    assert np.allclose(x, np.einsum("ev,vmt->emt", E, one_hot(ids, N_VOCAB)))
    # another: step by step, E times the (n_vocab, m) one-hot matrix of step t
    for t in range(T_X):
        assert np.allclose(x[:, :, t], E @ one_hot(ids[:, t], N_VOCAB))


@pytest.mark.parametrize("cell", CELLS)
def test_sparse_gradient_equals_the_dense_one(cell, rng):
    ids, y, _ = batch(rng)
    params = perturbed(cell)
    dx = rng.normal(size=(N_E, M, T_X))
    dE = embed_backward(dx, ids, N_VOCAB)
    dense = np.einsum("emt,vmt->ev", dx, one_hot(ids, N_VOCAB))  # Σ_t dx_t o_t^T
    added = np.zeros((N_E, N_VOCAB))
    np.add.at(added.T, ids.ravel(), dx.reshape(N_E, -1).T)  # one column at a time
    assert np.allclose(dE, dense) and np.allclose(dE, added)
    # and through a loss: dE is Wax^T times the one-hot model's dWax, with Wax_eff = Wax E
    if cell == "rnn":
        _, grads = embedded_loss(R.many_to_one_loss)(params, ids, y, lengths=LENGTHS)
        one_hot_params = {k: v for k, v in params.items() if k != "E"}
        one_hot_params["Wax"] = params["Wax"] @ params["E"]
        _, one_hot_grads = R.many_to_one_loss(one_hot_params, ids, y, lengths=LENGTHS)
        assert np.allclose(grads["dE"], params["Wax"].T @ one_hot_grads["dWax"])
        assert np.allclose(grads["dWax"], one_hot_grads["dWax"] @ params["E"].T)


@pytest.mark.parametrize("cell", CELLS)
def test_the_loss_equals_one_hot_input_through_E(cell, rng):
    """The same loss two ways: ids read through E, and floats E @ o_t fed to the plain loss."""
    ids, y, _ = batch(rng)
    params = perturbed(cell)
    rest = {k: v for k, v in params.items() if k != "E"}
    x = np.einsum("ev,vmt->emt", params["E"], one_hot(ids, N_VOCAB))
    loss, grads = embedded_loss(R.many_to_one_loss)(params, ids, y, lengths=LENGTHS, cell=cell)
    plain_loss, plain_grads = R.many_to_one_loss(rest, x, y, lengths=LENGTHS, cell=cell)
    assert np.isclose(loss, plain_loss)
    assert set(grads) == set(plain_grads) | {"dE"}
    for key, value in plain_grads.items():
        assert np.allclose(grads[key], value), key


@pytest.mark.parametrize("cell", CELLS)
def test_unseen_ids_and_padding_get_no_gradient(cell, rng):
    ids, y, y_many = batch(rng, low=1)  # id 0 only as padding; the last id never used
    for loss_fn, labels in ((R.many_to_one_loss, y), (R.many_to_many_loss, y_many)):
        _, grads = embedded_loss(loss_fn)(perturbed(cell), ids, labels, lengths=LENGTHS,
                                          cell=cell)
        seen = np.unique(ids[np.arange(T_X) < LENGTHS[:, None]])
        has_gradient = np.flatnonzero(np.abs(grads["dE"]).sum(axis=0))
        assert set(has_gradient) == set(seen)  # every seen word, and nothing else
        assert not grads["dE"][:, 0].any() and not grads["dE"][:, -1].any()


@pytest.mark.parametrize("cell", CELLS)
def test_padding_changes_nothing(cell, rng):
    ids, y, _ = batch(rng)
    other = ids.copy()
    padded = np.arange(T_X) >= LENGTHS[:, None]
    other[padded] = rng.integers(1, N_VOCAB, padded.sum())  # words where the padding was
    loss_fn = embedded_loss(R.many_to_one_loss)
    params = perturbed(cell)
    loss, grads = loss_fn(params, ids, y, lengths=LENGTHS, cell=cell)
    loss_other, grads_other = loss_fn(params, other, y, lengths=LENGTHS, cell=cell)
    assert loss == loss_other
    for key in grads:
        assert np.array_equal(grads[key], grads_other[key]), key


def test_float32_follows_the_parameters(rng):
    ids, y, _ = batch(rng)
    loss_fn = embedded_loss(R.many_to_one_loss)
    loss64, grads64 = loss_fn(perturbed("lstm"), ids, y, lengths=LENGTHS, cell="lstm")
    loss32, grads32 = loss_fn(perturbed("lstm", dtype=np.float32), ids, y, lengths=LENGTHS,
                              cell="lstm")
    assert all(g.dtype == np.float32 for g in grads32.values())
    assert np.isclose(loss32, loss64, rtol=1e-5)
    assert np.allclose(grads32["dE"], grads64["dE"], atol=1e-5)
    assert init_embedding(5, 3, dtype=np.float32).dtype == np.float32


def bad_inputs():
    """(what to call, the words the error must contain)."""
    rng = np.random.default_rng(1)
    ids, y, _ = batch(rng)
    params = perturbed("rnn")
    loss = embedded_loss(R.many_to_one_loss)
    no_E = {k: v for k, v in params.items() if k != "E"}
    wrong_rows = {**params, "E": np.zeros((N_E + 1, N_VOCAB))}
    flat_E = {**params, "E": np.zeros(N_VOCAB)}
    E32 = {**params, "E": params["E"].astype(np.float32)}
    yield lambda: loss(params, ids.astype(float), y), "ids: expected an int array"
    yield (lambda: loss(params, ids + N_VOCAB, y),
           f"ids: expected token ids in [0, n_vocab) = [0, {N_VOCAB})")
    yield lambda: loss(params, -ids - 1, y), "ids: expected token ids"
    yield lambda: loss(params, ids[0], y), "ids: expected an int array of token ids (m, T_x)"
    yield lambda: loss(no_E, ids, y), "params: expected a dict with the embedding 'E'"
    yield lambda: loss(wrong_rows, ids, y), f"params['E']: expected n_e = {N_E} rows"
    yield lambda: loss(flat_E, ids, y), "params['E']: expected a float array (n_e, n_vocab)"
    yield lambda: loss(E32, ids, y), "params['E']: expected dtype float64"
    yield lambda: embed(params["E"], ids + N_VOCAB), "ids: expected token ids in [0, n_vocab)"
    yield lambda: embed_backward(np.zeros((N_E, M)), ids, N_VOCAB), "dx: expected a float array"
    yield lambda: init_embedding(5, 3, dtype=int), "dtype: expected np.float32 or np.float64"
    yield lambda: init_embedding(5, 0), "n_e: expected a finite number > 0"
    yield lambda: nearest_words(params["E"], ("a",), "a"), f"symbols: expected {N_VOCAB} symbols"
    yield lambda: nearest_words(params["E"], tuple("abcdefg"), "z"), "word: expected a symbol"
    yield lambda: project_2d(np.zeros((1, 4))), "E: expected at least 2 rows and 2 columns"


@pytest.mark.parametrize("call, message", list(bad_inputs()))
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def test_cosines_neighbours_and_projection_two_ways(rng):
    E = rng.normal(size=(N_E, N_VOCAB))
    cosines = cosine_similarities(E)
    i, k = 2, 5
    assert np.isclose(cosines[i, k], E[:, i] @ E[:, k]
                      / (np.linalg.norm(E[:, i]) * np.linalg.norm(E[:, k])))
    symbols = tuple("abcdefg")
    best = nearest_words(E, symbols, "c", k=3, exclude=())
    others = [j for j in np.argsort(-cosines[2]) if j != 2][:3]
    assert [w for w, _ in best] == [symbols[j] for j in others]
    assert mean_cosine(E, [1, 2], [1, 2]) == pytest.approx(cosines[1, 2])
    coords, share = project_2d(E)
    # the projection keeps the variance of the two largest directions, as numpy's PCA by
    # the covariance matrix's eigenvalues says
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(E)))[::-1]
    assert share == pytest.approx(eigenvalues[:2].sum() / eigenvalues.sum())
    assert coords.shape == (2, N_VOCAB)
    assert np.allclose(np.var(coords, axis=1, ddof=1), eigenvalues[:2])


@pytest.mark.parametrize("cell", CELLS)
def test_training_with_train_lowers_the_loss(cell, rng):
    ids, y, _ = batch(rng)
    params0 = init_embedded(N_VOCAB, N_E, N_A, N_Y, seed=0, cell=cell)
    params, history = R.train(partial(embedded_loss(R.many_to_one_loss), cell=cell), params0,
                              [(ids, y, None, LENGTHS)], steps=60, progress=False,
                              optimizer=R.adam(3e-2))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert not np.array_equal(params["E"], params0["E"])
    assert np.array_equal(params["E"][:, -1], params0["E"][:, -1])  # never read, never moved


# What notebook 11 says about the learned vectors, checked on the package for several seeds
# (its settings: n_e = 8, n_a = 32, 300 steps of Adam at 1e-2, clipped at 5) ...

def sentiment_embedding(seed):
    train_set = R.load_sentiment("train")
    ids, lengths, y, vocab = R.sentiment_arrays(train_set)
    params0 = init_embedded(vocab.size, 8, 32, 2, seed=seed)
    params, _ = R.train(embedded_loss(R.many_to_one_loss), params0, [(ids, y, None, lengths)],
                        steps=300, optimizer=R.adam(1e-2), clip_norm=5.0, progress=False)
    return params0["E"], params["E"], vocab.symbols


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sentiment_words_group_by_sentiment(seed):
    E0, E, symbols = sentiment_embedding(seed)
    positive = [symbols.index(w) for w in SENTIMENT_WORDS["positive"]]
    negative = [symbols.index(w) for w in SENTIMENT_WORDS["negative"]]
    for table, trained in ((E0, False), (E, True)):
        within = (mean_cosine(table, positive, positive), mean_cosine(table, negative, negative))
        between = mean_cosine(table, positive, negative)
        if trained:
            assert min(within) > 0.1 and between < -0.1
        else:
            assert max(abs(v) for v in (*within, between)) < 0.1


# ... and against the outputs the notebook stored, which its prose reads.

def stored_text():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs)


def test_notebook_claims_about_the_embedding():
    text = stored_text()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    prose = " ".join(" ".join(c.source for c in notebook.cells
                              if c.cell_type == "markdown").split())
    for claim in ("its test accuracy is in the same range as section 3's",
                  "Among the neighbours of the sentiment words are words of the same sentiment",
                  "mixed with words that carry none",
                  "Before training the two groups are unrelated, every average near 0",
                  "the two groups point in roughly opposite directions, and the columns of",
                  "the lexicon's two groups fall on opposite sides",
                  "in the training sentences they only ever occur after"):
        assert claim in prose, claim
    assert "lookup equals E @ one-hot: True" in text
    assert "<pad> among them: False" in text
    # the embedding model fits the training set, and its test accuracy is near the RNN's
    assert re.search(r"embedding model, training accuracy: 1\.0\n", text)
    rnn_test = float(re.search(r"RNN test accuracy:\s+([\d.]+)", text).group(1))
    embedded_test = float(re.search(r"embedding model, test accuracy:\s+([\d.]+)", text).group(1))
    assert abs(embedded_test - rnn_test) <= 0.05
    # neighbours: mostly of the same sentiment, mixed with words of none; good ~ brilliant,
    # terrible ~ bad
    judged, agree = map(int, re.search(r"(\d+) are sentiment words, (\d+) of them with the same",
                                       text).groups())
    assert agree > 0.75 * judged
    rows = dict(re.findall(r"^\s*(\w+)[+-]?:  (.*)$", text, flags=re.MULTILINE))
    assert "brilliant+" in rows["good"] and "bad-" in rows["terrible"]
    neighbours = [w for word in ("good", "great", "liked", "awful", "terrible", "hated")
                  for w in re.findall(r"([a-z]+[+-]?) -?[\d.]+", rows[word])]
    assert any(not w.endswith(("+", "-")) for w in neighbours)
    # the mean cosines: near 0 before training; within > 0 > between after, also for W_ax
    table = {name.strip(): floats for name, *floats in re.findall(
        r"^\s*(E before training|E trained|columns of W_ax, section 3)\s+(-?[\d.]+)\s+"
        r"(-?[\d.]+)\s+(-?[\d.]+)$", text, flags=re.MULTILINE)}
    assert len(table) == 3
    assert all(abs(float(v)) < 0.1 for v in table["E before training"])
    for name in ("E trained", "columns of W_ax, section 3"):
        pos, neg, between = map(float, table[name])
        assert pos > 0 and neg > 0 and between < 0, name
    # the projection: the groups on opposite sides, "like" and "enjoy" the exceptions, and both
    # occur in training only in negative sentences
    right, n_pos, left, n_neg = map(int, re.search(
        r"(\d+) of (\d+) positive words on the right, (\d+) of (\d+) negative", text).groups())
    assert right > n_pos / 2 and left > n_neg / 2
    exceptions = re.search(r"lexicon words on the other side: (.*)", text).group(1).split(", ")
    assert sorted(exceptions) == ["enjoy", "like"]
    for word in exceptions:
        labels = [s.label for s in R.load_sentiment("train") if word in s.text.split()]
        assert labels and all(label == 0 for label in labels)
        assert all("did not " + word in s.text for s in R.load_sentiment("train")
                   if word in s.text.split())
