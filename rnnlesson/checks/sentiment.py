"""Checks of exercise 8: a many-to-one sentiment classifier.

Letters: n_x vocabulary size, n_a hidden units, n_y = 2 classes, m sentences, T_x the
longest sentence's length (the others padded with id 0).
"""

import re

import numpy as np

from rnnlesson.checks._common import (
    call,
    call_on_copies,
    example_params,
    mistake,
    one_message,
    passed,
    shape_text,
    snapshot,
)
from rnnlesson.checks._differential import Probe, Spec, differential, numbers, probe
from rnnlesson.datasets import Vocabulary, load_sentiment, sentiment_arrays
from rnnlesson.sequence import rnn_forward
from rnnlesson.topologies import many_to_one_loss

NAME = "predict"
SHAPES = ("The label is the argmax over axis 0 (the n_y = 2 classes) of the scores Wya a_last + "
          "by, (2, m), a_last (n_a, m) the state after each sentence's last word.")


def reference_predict(params, ids, lengths):
    """The label whose ŷ is largest, read from the state after each sentence's last word."""
    recurrence = {key: params[key] for key in ("Wax", "Waa", "ba")}
    a, _, _ = rnn_forward(ids, None, recurrence, lengths)
    m = ids.shape[0]
    a_last = a[:, np.arange(m), lengths - 1]  # (n_a, m)
    return np.argmax(params["Wya"] @ a_last + params["by"], axis=0)


def run_predict(predict, params, ids, lengths):
    args = {"params": snapshot(params), "ids": ids.copy(), "lengths": lengths.copy()}
    labels = call_on_copies(predict, NAME, args,
                            f"ids (m, T_x) = {ids.shape}, lengths (m,) = {lengths.shape}, n_x = "
                            f"{params['Wax'].shape[1]}, n_a = {params['Waa'].shape[0]}",
                            diagnose=predict_crash)
    m = ids.shape[0]
    if not isinstance(labels, np.ndarray) or labels.shape != (m,):
        raise mistake(NAME, "wrong-shape", f"{NAME}: should return one label per sentence, an "
                      f"int array of shape (m,) = ({m},); received {shape_text(labels)}. "
                      f"{SHAPES}")
    if not np.issubdtype(labels.dtype, np.integer) or not np.isin(labels, (0, 1)).all():
        raise mistake(NAME, "labels-not-ints", f"{NAME}: labels should be the ints 0 (negative) "
                      f"and 1 (positive); received {labels[:8].tolist()} (dtype "
                      f"{labels.dtype}).")
    return labels


def a0_mix_up(error, line):
    """rnn_forward(x, a0, params, lengths) and many_to_one_loss(params, x, y, a0=None,
    lengths=None) take a0 before lengths: lengths passed by position lands in a0."""
    if isinstance(error, ValueError) and str(error).startswith("a0:"):
        return "lengths-as-a0", (
            f"lengths went into a0 (`{line}` raised ValueError: {error}). The argument "
            "after y (or x, for rnn_forward) is a0, the initial state: pass "
            "lengths=lengths by keyword, or None for a0 first (a batch (ids, labels, None, "
            "lengths) for train).")
    return None


def predict_crash(error, line):
    """The usual crashes of predict: lengths passed as a0, or the state read at t = lengths."""
    if isinstance(error, IndexError) and re.search(r"\blengths\b(?!\s*-\s*1)", line) \
            and "out of bounds" in str(error):
        return "off-by-one", (
            f"the state was read one step too late (`{line}` raised IndexError: {error}): the "
            "last word of sentence i is at t = lengths[i] - 1 (counting from 0), so its state "
            "is a[:, i, lengths[i] - 1].")
    return a0_mix_up(error, line)


@one_message(NAME)
def check_predict(predict):
    """Check a learner's predict(params, ids, lengths) -> labels (m,) on random weights.

    The label is the class with the largest ŷ, read from the hidden state after each
    sentence's own last word (padding steps are not part of the sentence).
    """
    rng = np.random.default_rng(8)
    n_x, n_a, m, T_x = 12, 6, 40, 7
    params = example_params(n_x, n_a, 2, seed=8, scale=1.0)
    params["by"] = np.zeros((2, 1))  # labels then vary from sentence to sentence
    params["Wax"][:, 0] *= 3  # reading the padding id 0 would change many labels
    lengths = rng.integers(1, T_x + 1, m)
    lengths[0] = T_x
    ids = rng.integers(1, n_x, (m, T_x))
    ids[np.arange(T_x) >= lengths[:, None]] = 0
    labels = run_predict(predict, params, ids, lengths)
    expected = reference_predict(params, ids, lengths)
    wrong = int(np.sum(labels != expected))
    if wrong == 0:
        check_output_bias(predict, params, ids, lengths)
        general(predict)
        passed(NAME)
        return
    full = reference_predict(params, ids, np.full(m, T_x))
    if np.array_equal(labels, full):
        raise mistake(NAME, "read-after-padding", f"{NAME}: the labels were read after the "
                      "padding: the state must be the one after each sentence's own last word "
                      "(pass lengths to rnn_forward, or read a[:, i, lengths[i] - 1]).")
    if np.array_equal(labels, 1 - expected):
        raise mistake(NAME, "labels-flipped", f"{NAME}: every label is flipped: the label is the"
                      " index of the largest entry of ŷ = softmax(Wya a_last + by) (np.argmax "
                      "over axis 0).")
    shifted = reference_predict(params, ids, np.maximum(lengths - 1, 1))
    if np.array_equal(labels, shifted):
        raise mistake(NAME, "off-by-one", f"{NAME}: the labels were read one word early: the "
                      "last word of sentence i is at t = lengths[i] - 1 (counting from 0), and "
                      "the state after it is what rnn_forward with lengths leaves in "
                      "a[:, i, -1].")
    general(predict)
    raise mistake(NAME, "labels-wrong", f"{NAME}: {wrong} of {m} labels differ from argmax "
                  "over the classes of softmax(Wya a_last + by), a_last the state after each "
                  "sentence's last word.")


def check_output_bias(predict, params, ids, lengths):
    """The same sentences with an output bias by that changes some labels: a trained model has
    one, and ŷ = softmax(Wya a_last + by) reads it."""
    no_bias = reference_predict(params, ids, lengths)
    recurrence = {key: params[key] for key in ("Wax", "Waa", "ba")}
    a, _, _ = rnn_forward(ids, None, recurrence, lengths)
    z = params["Wya"] @ a[:, np.arange(ids.shape[0]), lengths - 1]  # (2, m), no bias
    # by moves the line between the classes so that 80% of the labels are the class that
    # was the rarer one: many labels change
    margin = z[1] - z[0]
    shift = -float(np.quantile(margin, 0.2 if np.mean(no_bias) < 0.5 else 0.8))
    biased = {**params, "by": np.array([[0.0], [shift]])}
    expected = reference_predict(biased, ids, lengths)
    labels = run_predict(predict, biased, ids, lengths)
    if np.array_equal(labels, expected):
        return
    if np.array_equal(labels, no_bias):
        raise mistake(NAME, "output-bias-missing", f"{NAME}: the output bias by is missing: "
                      "with by not zero (as after training) the labels should be argmax of "
                      "Wya @ a_last + by.")
    general(predict)
    raise mistake(NAME, "labels-wrong", f"{NAME}: with an output bias by not zero, "
                  f"{int(np.sum(labels != expected))} of {len(labels)} labels differ from argmax "
                  "over the classes of softmax(Wya a_last + by), a_last the state after each "
                  "sentence's last word.")


@one_message("train_sentiment")
def check_train_sentiment(train_sentiment):
    """Train with the learner's train_sentiment(load_sentiment("train"), 16, 300, 0) and check
    what it returns: (params, vocab, history), params for n_x = vocab.size words and n_y = 2
    classes, vocab the rnnlesson.Vocabulary of sentiment_arrays, history from train with one
    loss per step, going down. A second, short run (n_a = 5, steps = 7) proves that n_a and
    steps are used, not numbers of the learner's own.

    Returns (params, vocab, history) for check_held_out_accuracy.
    """
    name = "train_sentiment"
    params, vocab, history = run_train(train_sentiment, N_A, STEPS, 0)
    check_trained(name, params, vocab, history)
    short, _, short_history = run_train(train_sentiment, 5, 7, 1)
    if len(short_history["loss"]) != 7:
        raise mistake(name, "steps-ignored", f"{name}(sentences, n_a=5, steps=7, seed=1) ran "
                      f"{len(short_history['loss'])} steps (history['loss'] holds one loss per "
                      "step): pass steps on to train, rather than a number of your own.")
    if short["Waa"].shape != (5, 5):
        raise mistake(name, "n-a-ignored", f"{name}(sentences, n_a=5, steps=7, seed=1) gave "
                      f"Waa of shape {short['Waa'].shape}, not (n_a, n_a) = (5, 5): pass n_a on "
                      "to init_params.")
    return params, vocab, history


N_A, STEPS = 16, 300  # the exercise's stated n_a and number of Adam steps


def run_train(train_sentiment, n_a, steps, seed):
    """train_sentiment(sentences, n_a, steps, seed) on the training sentences; what it returns
    checked for form, its history for one loss per step and a loss that goes down."""
    name = "train_sentiment"
    result = call(train_sentiment, name, (load_sentiment("train"), n_a, steps, seed),
                  f"the training sentences, load_sentiment('train'), n_a = {n_a}, steps = "
                  f"{steps}, seed = {seed}", "Look at the argument this line passes.",
                  diagnose=a0_mix_up)
    if not isinstance(result, tuple) or len(result) != 3:
        raise mistake(name, "wrong-return", f"{name} should return the tuple (params, vocab, "
                      f"history); received {shape_text(result)}.")
    params, vocab, history = result
    if not isinstance(vocab, Vocabulary):
        raise mistake(name, "vocab-type", f"{name}: vocab should be the rnnlesson.Vocabulary "
                      "that sentiment_arrays returns (it encodes the test sentences alike); "
                      f"received {shape_text(vocab)}. Return vocab itself, not vocab.symbols "
                      "or a list.")
    if not isinstance(params, dict) or {"Wax", "Waa", "ba", "Wya", "by"} - set(params):
        raise mistake(name, "params-wrong", f"{name}: params should be the dict of trained "
                      "weights Wax, Waa, ba, Wya, by that train returns; received "
                      f"{shape_text(params)}.")
    if params["Wax"].shape[1] != vocab.size or params["Wya"].shape[0] != 2:
        raise mistake(name, "params-wrong", f"the trained params should read n_x = {vocab.size} "
                      "word ids (the vocab's size) and predict n_y = 2 classes; their Wax is "
                      f"{params['Wax'].shape} and Wya {params['Wya'].shape}.")
    if not isinstance(history, dict) or not history.get("loss"):
        raise mistake(name, "history-wrong", f"{name}: history should be the dict train "
                      f"returns (with a 'loss' list); received {shape_text(history)}.")
    losses = history["loss"]
    if steps == STEPS and len(losses) != steps:
        raise mistake(name, "steps-ignored", f"{name}(sentences, n_a={n_a}, steps={steps}) ran "
                      f"{len(losses)} steps (history['loss'] holds one loss per step), not "
                      f"{steps}: pass steps on to train, rather than a number of your own.")
    if steps == STEPS and not float(losses[-1]) < float(losses[0]):
        raise mistake(name, "loss-not-decreasing", f"{name}: the training loss did not go "
                      f"down in {steps} steps (history['loss'] from {float(losses[0]):.4f} to "
                      f"{float(losses[-1]):.4f}). Check the loss function you give train and "
                      "the learning rate.")
    return params, vocab, history


def check_trained(name, params, vocab, history):
    """The params returned should be the trained ones: if their loss on the training set is
    the first loss of history, they are the weights training started from."""
    first, last = float(history["loss"][0]), float(history["loss"][-1])
    if not last < first:
        return
    ids, lengths, labels, _ = sentiment_arrays(load_sentiment("train"), vocab)
    try:
        losses = [many_to_one_loss(params, ids, labels, lengths=given)[0]
                  for given in (lengths, None)]
    except Exception:  # weights of another shape: check_held_out_accuracy says so
        return
    if any(np.isclose(loss, first, rtol=1e-9) for loss in losses):
        raise mistake(name, "untrained-params", f"{name}: the params returned are the ones "
                      f"training started from (their loss is history's first, {first:.4f}, "
                      f"not its last, {last:.4f}). train returns the trained params: "
                      "params, history = train(...), and return those.")


@one_message("held_out_accuracy")
def check_held_out_accuracy(predict, params, vocab, threshold):
    """Encode the test sentences with the training vocab, predict, and require an accuracy of
    at least threshold. Prints the count and returns the accuracy."""
    name = "held_out_accuracy"
    if not isinstance(vocab, Vocabulary):
        raise mistake(name, "vocab-type", "vocab should be the rnnlesson.Vocabulary that "
                      f"sentiment_arrays returns; received {shape_text(vocab)}.")
    sentences = load_sentiment("test")
    ids, lengths, labels, _ = sentiment_arrays(sentences, vocab)
    n_x = vocab.size
    if params["Wax"].shape[1] != n_x or params["Wya"].shape[0] != 2:
        raise mistake(name, "params-wrong", f"the trained params should read n_x = {n_x} word "
                      "ids (the vocab's size) and predict n_y = 2 classes; their Wax is "
                      f"{params['Wax'].shape} and Wya {params['Wya'].shape}.")
    predicted = run_predict(predict, params, ids, lengths)
    right = int(np.sum(predicted == labels))
    accuracy = right / len(labels)
    if accuracy < threshold:
        after_padding = reference_predict(params, ids, np.full(len(labels), ids.shape[1]))
        if np.mean(after_padding == labels) >= max(threshold, accuracy + 0.1):
            raise mistake(name, "trained-without-lengths", f"held-out accuracy {right}/"
                          f"{len(labels)} = {accuracy:.2f} is below {threshold}, but the same "
                          f"weights score {np.mean(after_padding == labels):.2f} read after the "
                          "padding: they were trained without lengths. Pass lengths=lengths "
                          "to many_to_one_loss, so that it reads each sentence's own last "
                          "state.")
        raise mistake(name, "accuracy-too-low", f"held-out accuracy {right}/{len(labels)} = "
                      f"{accuracy:.2f} is below {threshold}. Train longer, try another learning "
                      "rate or n_a, and check the training loss goes down.")
    print(f"held-out accuracy: {right}/{len(labels)} = {accuracy:.2f} (at least {threshold})")
    return accuracy


# --- the general check of predict (random padded batches, the smallest failing one) ---

def build_predict(sizes, rng, simple):
    """params (n_y = 2), ids (m, T_x) padded with 0 after each sentence, lengths (m,)."""
    n_x, n_a, m, T_x = sizes["n_x"], sizes["n_a"], sizes["m"], sizes["T_x"]
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((2, n_a)), "by": draw((2, 1))}
    lengths = rng.integers(1, T_x + 1, m)
    ids = rng.integers(1, n_x, (m, T_x))
    ids[np.arange(T_x) >= lengths[:, None]] = 0
    return {"params": params, "ids": ids, "lengths": lengths}


def read_predict(result, inputs):
    m = inputs["ids"].shape[0]
    if not isinstance(result, np.ndarray) or result.shape != (m,):
        raise mistake(NAME, "wrong-shape", f"{NAME}: should return one label per sentence, an "
                      f"int array of shape (m,) = ({m},); received {shape_text(result)}. "
                      f"{SHAPES}")
    return {"labels": result}


def full_length(inputs):
    """Every sentence as long as the batch: no padding to skip."""
    m, T_x = inputs["ids"].shape
    return {**inputs, "ids": np.maximum(inputs["ids"], 1), "lengths": np.full(m, T_x)}


PREDICT_SPEC = Spec(
    NAME, {"n_x": (2, 5), "n_a": (1, 4), "m": (1, 4), "T_x": (1, 4)},
    build_predict, lambda params, ids, lengths: {"labels": reference_predict(params, ids,
                                                                             lengths)},
    read_predict,
    terms={"a_last": "a_last, the state after each sentence's own last word "
                     "(t = lengths[i] - 1, not after the padding)",
           "wya": "the scores Wya a_last", "by": "the output bias by",
           "argmax": "the label, the argmax over the n_y = 2 classes (axis 0)"},
    depends={"labels": {"a_last", "wya", "by", "argmax"}},
    probes=[Probe("with every sentence full length (no padding)", full_length,
                  frozenset({"wya", "by", "argmax"})),
            probe("with by = 0", {"a_last", "wya", "argmax"}, "params.by"),
            probe("with Wya = 0", {"by", "argmax"}, "params.Wya")],
    show=("ids", "lengths"),
    hint="rnn_forward(ids, None, params, lengths) takes lengths last; a is (n_a, m, T_x).")


def general(fn):
    """The general check of predict (random cases, the smallest failing one, the term at
    fault)."""
    differential(PREDICT_SPEC, fn)
