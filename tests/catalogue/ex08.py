"""Exercise 8: predict, and train_sentiment judged by the held-out accuracy."""

from rnnlesson import checks

PRELUDE = '''
import numpy as np
from rnnlesson import (adam, init_params, load_sentiment, many_to_one_loss, rnn_forward,
                       sentiment_arrays, train)
'''


def held_out_accuracy(namespace):
    """The exercise's test cell: train with the learner's function, then measure."""
    params, vocab, _ = checks.check_train_sentiment(namespace["train_sentiment"])
    checks.check_held_out_accuracy(namespace["predict"], params, vocab, threshold=0.8)


CELLS = {"held_out_accuracy": held_out_accuracy}
PREDICT, ACCURACY = ["check_predict"], ["held_out_accuracy"]

RIGHT_PREDICT = '''
def predict(params, ids, lengths):
    m = ids.shape[0]
    a, _, _ = rnn_forward(ids, None, params, lengths)
    a_last = a[:, np.arange(m), lengths - 1]
    return np.argmax(params["Wya"] @ a_last + params["by"], axis=0)
'''


def trainer(loss="many_to_one_loss(params, ids, labels, lengths=lengths)", batches="[()]",
            loss_args="params", returned="params, vocab, history"):
    """RIGHT_PREDICT and a train_sentiment with one line changed."""
    return RIGHT_PREDICT + f'''

def train_sentiment(sentences, n_a=16, steps=300, seed=0):
    ids, lengths, labels, vocab = sentiment_arrays(sentences)
    params = init_params(vocab.size, n_a, 2, seed=seed)

    def loss_fn({loss_args}):
        return {loss}

    params, history = train(loss_fn, params, {batches}, steps, optimizer=adam(1e-2),
                            clip_norm=5.0, progress=False)
    return {returned}
'''


ANSWERS = [
    {"name": "predict through rnn_forward with lengths", "right": True, "checks": PREDICT,
     "code": RIGHT_PREDICT},
    {"name": "predict with the cell, step by step", "right": True, "checks": PREDICT,
     "code": '''
from rnnlesson import rnn_cell_forward

def predict(params, ids, lengths):
    m, T_x = ids.shape
    n_x = params["Wax"].shape[1]
    labels = np.zeros(m, dtype=int)
    for i in range(m):
        a = np.zeros((params["Waa"].shape[0], 1))
        for t in range(lengths[i]):
            x = np.zeros((n_x, 1))
            x[ids[i, t]] = 1.0
            a, y, _ = rnn_cell_forward(x, a, params)
        labels[i] = int(np.argmax(y[:, 0]))
    return labels
'''},
    {"name": "read after the padding", "checks": PREDICT, "mistake": "ex08/read-after-padding",
     "says": ["after the padding", "lengths"], "code": RIGHT_PREDICT.replace(
         "a[:, np.arange(m), lengths - 1]", "a[:, :, -1]").replace(
         "rnn_forward(ids, None, params, lengths)", "rnn_forward(ids, None, params)")},
    {"name": "one word early", "checks": PREDICT, "mistake": "ex08/off-by-one",
     "says": ["one word early", "lengths[i] - 1"], "code": RIGHT_PREDICT.replace(
         "lengths - 1]", "np.maximum(lengths - 2, 0)]")},
    {"name": "no output bias", "checks": PREDICT, "mistake": "ex08/output-bias-missing",
     "says": ["output bias by is missing"],
     "code": RIGHT_PREDICT.replace(' + params["by"]', "")},
    {"name": "the state at t = lengths", "checks": PREDICT, "mistake": "ex08/off-by-one",
     "says": ["one step too late", "lengths[i] - 1"],
     "code": RIGHT_PREDICT.replace("lengths - 1]", "lengths]")},
    {"name": "argmin", "checks": PREDICT, "mistake": "ex08/labels-flipped",
     "says": ["flipped", "argmax"], "code": RIGHT_PREDICT.replace("argmax", "argmin")},
    {"name": "probabilities instead of labels", "checks": PREDICT,
     "mistake": "ex08/labels-not-ints", "says": ["ints 0 (negative) and 1 (positive)"],
     "code": RIGHT_PREDICT.replace("return np.argmax(params[\"Wya\"] @ a_last + params[\"by\"], "
                                   "axis=0)", "return np.max(params[\"Wya\"] @ a_last, axis=0)")},
    {"name": "a row of labels", "checks": PREDICT, "mistake": "ex08/wrong-shape",
     "says": ["(m,)"], "code": RIGHT_PREDICT.replace("axis=0)", "axis=0)[None, :]")},
    {"name": "lengths passed as a0", "checks": PREDICT, "mistake": "ex08/lengths-as-a0",
     "says": ["lengths went into a0", "by keyword"], "code": RIGHT_PREDICT.replace(
         "rnn_forward(ids, None, params, lengths)", "rnn_forward(ids, lengths, params)")},
    {"name": "the check's own predict", "checks": PREDICT, "mistake": "ex08/uses-reference",
     "says": ["reference_predict"], "code": '''
from rnnlesson.checks.sentiment import reference_predict

def predict(params, ids, lengths):
    return reference_predict(params, ids, lengths)
'''},
    # --- training, judged by the held-out accuracy
    {"name": "a closure and one empty batch", "right": True, "checks": ACCURACY,
     "code": trainer()},
    {"name": "the batch (ids, labels, None, lengths)", "right": True, "checks": ACCURACY,
     "code": trainer(loss_args="params, *batch", loss="many_to_one_loss(params, *batch)",
                     batches="[(ids, labels, None, lengths)]")},
    {"name": "the batch (ids, labels, lengths)", "checks": ACCURACY,
     "mistake": "ex08/lengths-as-a0", "says": ["lengths went into a0", "(ids, labels, None, "
                                               "lengths)"],
     "code": trainer(loss_args="params, *batch", loss="many_to_one_loss(params, *batch)",
                     batches="[(ids, labels, lengths)]")},
    {"name": "trained without lengths", "checks": ACCURACY,
     "mistake": "ex08/trained-without-lengths", "says": ["trained without lengths",
                                                         "lengths=lengths"],
     "code": trainer(loss="many_to_one_loss(params, ids, labels)")},
    {"name": "vocab.symbols returned", "checks": ACCURACY, "mistake": "ex08/vocab-type",
     "says": ["rnnlesson.Vocabulary", "vocab.symbols"],
     "code": trainer(returned="params, vocab.symbols, history")},
    {"name": "the initial params returned", "checks": ACCURACY,
     "mistake": "ex08/untrained-params", "says": ["training started from",
                                                  "params, history = train(...)"],
     "code": trainer().replace("params, history = train(", "trained, history = train(")},
    {"name": "steps ignored, 20 steps written in", "checks": ACCURACY,
     "mistake": "ex08/steps-ignored", "says": ["ran 20 steps", "pass steps on to train"],
     "code": trainer().replace("[()], steps,", "[()], 20,")},
    {"name": "steps ignored, 300 written in", "checks": ACCURACY,
     "mistake": "ex08/steps-ignored", "says": ["steps=7, seed=1) ran 300 steps",
                                               "one loss per step"],
     "code": trainer().replace("[()], steps,", "[()], 300,")},
    {"name": "n_a ignored", "checks": ACCURACY, "mistake": "ex08/n-a-ignored",
     "says": ["(n_a, n_a) = (5, 5)", "init_params"],
     "code": trainer().replace("init_params(vocab.size, n_a, 2", "init_params(vocab.size, 16, 2")},
    {"name": "the loss of the initial params every step", "checks": ACCURACY,
     "mistake": "ex08/loss-not-decreasing", "says": ["did not go down", "loss function"],
     "code": trainer(loss="many_to_one_loss(initial, ids, labels, lengths=lengths)").replace(
         "    def loss_fn", "    initial = params\n\n    def loss_fn")},
    {"name": "history left out", "checks": ACCURACY, "mistake": "ex08/wrong-return",
     "says": ["(params, vocab, history)"], "code": trainer(returned="params, vocab")},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
# train_sentiment is not mutated (each run trains for seconds): its checks of the number of
# steps and of the loss history are proven by the catalogue's entries above.
MUTANTS = {
    "function": "predict", "spec": "rnnlesson.checks.sentiment:PREDICT_SPEC",
    "checks": PREDICT, "outputs": ["labels"],
    "aliases": {"lengths": ["lengths", "last word"], "a_last": ["a_last", "last word"],
                "a": ["a_last"], "by": ["output bias by"], "Wya": ["Wya a_last"],
                "argmax": ["argmax"], "axis": ["axis 0"]},
}
