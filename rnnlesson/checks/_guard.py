"""Does the learner's function call the package's own answer? Found by execution, not by name.

Each function an exercise asks for has references: the package's functions that compute the
same thing (rnnlesson.rnn_cell_forward for the learner's rnn_cell_forward). Their
fingerprint is every code object they run inside rnnlesson (found once, by running them on a
tiny example under a profiler), less the code that the functions the exercise hands to the
learner run too. While the learner's function runs inside a check, a profile hook watches for
any of those code objects; it sees them whether the reference is called directly, through a
wrapper or functools.wraps, as a copy made with types.FunctionType(ref.__code__, ...), or
through one of its private helpers.

What is fair: the function being written is what counts. A learner may call the package's
version of a function an earlier exercise asked for (rnn_forward may call
rnnlesson.rnn_cell_forward, rnn_backward may call rnnlesson.rnn_cell_backward), and whatever
an exercise's text gives (softmax, init_params, rel_error, one_hot for sampling, rnn_forward
in exercise 8). A later exercise's function that contains the answer is a reference too:
rnnlesson.rnn_forward run on one step answers exercise 3, and rnnlesson.rnn_backward with
truncate= answers exercise 9 even though exercise 6 asked for rnn_backward.
"""

import functools
import sys
from pathlib import Path

import numpy as np

PACKAGE = Path(__file__).resolve().parents[1]
# Input validation is shared by nearly everything and answers nothing.
NEVER_A_FINGERPRINT = {PACKAGE / "_validate.py", Path(__file__).resolve()}


def _examples():
    """{name: (what to show in a message, a function running it on a tiny example)}."""
    import rnnlesson as R
    from rnnlesson import charlm, shapes
    from rnnlesson.checks import _common, encoding, sentiment, topologies, truncated
    from rnnlesson.checks import attention as attention_checks
    from rnnlesson.checks import beam as beam_checks
    from rnnlesson.gated import sigmoid

    rng = np.random.default_rng(0)
    p = R.init_params(3, 4, 3, seed=0)
    x, a0 = rng.normal(size=(3, 2, 3)), rng.normal(size=(4, 2))
    da = rng.normal(size=(4, 2, 3))
    ids, lengths = np.array([[1, 2, 0], [2, 1, 1]]), np.array([2, 3])
    _, _, caches = R.rnn_forward_by_cells(x, a0, p)
    _, _, sequence_cache = R.rnn_forward(x, a0, p)
    _, _, id_cache = R.rnn_forward(ids, None, p, lengths)
    grads = {"dWax": rng.normal(size=(4, 3)), "dby": rng.normal(size=(3, 1))}
    words = ["the cat sat", "a dog"]
    vocab = R.Vocabulary.from_sequences([w.split() for w in words], extra=("<pad>",))
    toy = {"w": rng.normal(size=(2, 2))}
    reviews = R.load_sentiment("test")[:3]

    attention = {"Wq": rng.normal(size=(2, 4)), "Wk": rng.normal(size=(2, 4)),
                 "wv": rng.normal(size=(2, 1))}
    attention_h = rng.normal(size=(4, 2, 3))
    attention_keys = np.einsum("ea,amt->emt", attention["Wk"], attention_h)
    attention_mask = np.array([[True, True, False], [True, True, True]])

    def toy_beam_step(ids, state):  # state (1, B): the step number
        logits = np.array([[0.1], [0.7], [0.2]]) + 0.3 * state[0]  # (3, B)
        return logits - np.log(np.sum(np.exp(logits), axis=0)), (state[0] + 1,), None

    def toy_loss(q):
        return float(np.sum(q["w"] ** 2)), {"dw": 2 * q["w"]}

    from rnnlesson import ctc, deep, embedding
    from rnnlesson.checks import bidirectional as bidirectional_checks
    from rnnlesson.checks import ctc as ctc_checks
    from rnnlesson.checks import embedding as embedding_checks

    ctc_logits = rng.normal(size=(3, 1, 6))
    from rnnlesson import bleu
    from rnnlesson.checks import bleu as bleu_checks

    bleu_candidates = [["a", "b", "a", "c"], ["b"]]
    bleu_references = [[["a", "b", "c"], ["a", "a", "b", "c", "d"]], [["b", "c"]]]

    both = {"forward": {k: p[k] for k in ("Wax", "Waa", "ba")},
            "backward": {k: -p[k] for k in ("Wax", "Waa", "ba")}}
    lstm_p = R.init_lstm_params(3, 4, 3, seed=0)
    lstm_step = R.lstm_cell_forward(x[:, :, 0], a0, a0, lstm_p)

    return {
        "sigmoid": ("rnnlesson.gated.sigmoid", lambda: sigmoid(x[:, :, 0])),
        "init_lstm_params": ("rnnlesson.init_lstm_params",
                             lambda: R.init_lstm_params(3, 4, 3, seed=1)),
        "lstm_cell_forward": ("rnnlesson.lstm_cell_forward",
                              lambda: R.lstm_cell_forward(x[:, :, 0], a0, a0, lstm_p)),
        "lstm_forward": ("rnnlesson.lstm_forward", lambda: R.lstm_forward(x, a0, lstm_p)),
        "lstm_cell_backward": ("rnnlesson.lstm_cell_backward",
                               lambda: R.lstm_cell_backward(da[:, :, 0], a0, lstm_step[3])),
        "lstm_backward": ("rnnlesson.lstm_backward", lambda: R.lstm_backward(
            da, R.lstm_forward(x, a0, lstm_p)[3])),
        "Vocabulary.from_sequences": ("rnnlesson.Vocabulary.from_sequences", lambda: (
            R.Vocabulary.from_sequences([w.split() for w in words], extra=("<pad>",)))),
        "reference_vocabulary": ("rnnlesson.checks.encoding.reference_vocabulary",
                                 lambda: encoding.reference_vocabulary(words)),
        "Vocabulary.encode": ("rnnlesson.Vocabulary.encode",
                              lambda: vocab.encode("the cat".split())),
        "one_hot": ("rnnlesson.one_hot", lambda: R.one_hot(np.array([1, 2]), 4)),
        "pad_batch": ("rnnlesson.pad_batch", lambda: R.pad_batch([[1, 2], [3]])),
        "sentiment_arrays": ("rnnlesson.sentiment_arrays", lambda: R.sentiment_arrays(reviews)),
        "array_shapes": ("rnnlesson.shapes.array_shapes", lambda: [
            shapes.array_shapes(topology, 3, 2, 4, T_x, T_y) for topology, T_x, T_y in zip(
                shapes.TOPOLOGIES, (1, 1, 5, 5, 5), (1, 5, 1, 5, 6), strict=True)]),
        "expected_answer": ("rnnlesson.checks.topologies.expected_answer", lambda: [
            topologies.expected_answer(t, topologies.SIZES) for t in topologies.TASKS]),
        "softmax": ("rnnlesson.softmax", lambda: R.softmax(x[:, :, 0])),
        "init_params": ("rnnlesson.init_params", lambda: R.init_params(3, 4, 3, seed=1)),
        "rnn_cell_forward": ("rnnlesson.rnn_cell_forward",
                             lambda: R.rnn_cell_forward(x[:, :, 0], a0, p)),
        "rnn_forward": ("rnnlesson.rnn_forward", lambda: (
            R.rnn_forward(x, a0, p), R.rnn_forward(ids, None, p, lengths),
            R.rnn_forward(x, None, {k: p[k] for k in ("Wax", "Waa", "ba")}))),
        "rnn_forward_by_cells": ("rnnlesson.rnn_forward_by_cells",
                                 lambda: (R.rnn_forward_by_cells(x, a0, p),
                                          R.rnn_forward_by_cells(ids, None, p))),
        "rnn_cell_backward": ("rnnlesson.rnn_cell_backward",
                              lambda: R.rnn_cell_backward(da[:, :, 0], caches[0])),
        "rnn_backward": ("rnnlesson.rnn_backward", lambda: (
            R.rnn_backward(da, sequence_cache), R.rnn_backward(da, sequence_cache, truncate=2),
            R.rnn_backward(da, id_cache))),
        "rnn_backward_by_cells": ("rnnlesson.rnn_backward_by_cells",
                                  lambda: R.rnn_backward_by_cells(da, caches)),
        "cut_bptt": ("rnnlesson.checks.truncated.cut_bptt",
                     lambda: truncated.cut_bptt(da, caches, lambda t: t == 1)),
        "rel_error": ("rnnlesson.rel_error", lambda: R.rel_error(x, x + 1e-9)),
        "gradient_check": ("rnnlesson.gradient_check",
                           lambda: R.gradient_check(toy_loss, toy)),
        "numerical_gradient": ("rnnlesson.numerical_gradient", lambda: R.numerical_gradient(
            lambda: float(np.sum(toy["w"] ** 2)), toy["w"])),
        "numerical_gradients": ("rnnlesson.checks._common.numerical_gradients",
                                lambda: _common.numerical_gradients(
                                    lambda: float(np.sum(toy["w"] ** 2)), toy)),
        "clip_by_global_norm": ("rnnlesson.clip_by_global_norm",
                                lambda: (R.clip_by_global_norm(grads, 1.0),
                                         R.clip_by_global_norm(grads, 1e9))),
        "sample": ("rnnlesson.sample", lambda: (R.sample(p, 4, 1, seed=0),
                                                R.sample(p, 3, 0, temperature=0.5, seed=1),
                                                R.sample(p, 3, 0, greedy=True))),
        "charlm.sample": ("rnnlesson.charlm.sample", lambda: charlm.sample(
            charlm.CharModel(p, R.Vocabulary(("a", "b", "c"))), "ab", 3)),
        "attention_forward": ("rnnlesson.attention_forward", lambda: R.attention_forward(
            a0, attention_h, attention_keys, (attention["wv"], attention["Wq"]), attention_mask)),
        "reference_attention": ("rnnlesson.checks.attention.reference_attention",
                                lambda: attention_checks.reference_attention(
                                    a0, attention_h, attention, attention_mask)),
        "beam_search": ("rnnlesson.beam_search", lambda: [R.beam_search(
            toy_beam_step, (np.zeros((1, 1)),), 0, 3, k, end, alpha)
            for k, end, alpha in ((1, None, 0.0), (2, 0, 0.0), (2, 0, 1.0))]),
        "reference_beam_search": ("rnnlesson.checks.beam.reference_beam_search",
                                  lambda: beam_checks.reference_beam_search(
                                      beam_checks.TOY_MODEL, 3, 2, 0, 1.0)),
        "beam_model": ("rnnlesson.checks.beam.random_model", lambda: (
            beam_checks.random_model(0)(()), beam_checks.TOY_MODEL((1, 2)))),
        "deep.reverse_within_lengths": ("rnnlesson.deep.reverse_within_lengths", lambda: (
            deep.reverse_within_lengths(x, lengths), deep.reverse_within_lengths(ids, lengths))),
        "reference_reverse": ("rnnlesson.checks.bidirectional.within",
                              lambda: bidirectional_checks.within(x, lengths)),
        "deep_forward": ("rnnlesson.deep.deep_forward", lambda: (
            deep.deep_forward(x, both, lengths), deep.deep_forward(x, both))),
        "reference_bidirectional": ("rnnlesson.checks.bidirectional.reference_bidirectional",
                                    lambda: bidirectional_checks.reference_bidirectional(
                                        x, lengths, both["forward"], both["backward"])),
        "ctc_log_likelihood": ("rnnlesson.ctc.ctc_log_likelihood", lambda: (
            ctc.ctc_log_likelihood(ctc_logits, np.array([[1, 2]]), np.array([4]), np.array([2])),
            ctc.ctc_loss(ctc_logits, np.array([[1, 1]]), np.array([4]), np.array([2])))),
        "reference_alpha": ("rnnlesson.checks.ctc.reference_alpha",
                            lambda: ctc_checks.reference_alpha(ctc.log_softmax(ctc_logits[:, 0]),
                                                               [1, 2, 2])),
        "extend_labels": ("rnnlesson.ctc.extend_labels", lambda: ctc.extend_labels(
            np.array([[1, 2, 2]]), np.array([3]))),
        "log_softmax": ("rnnlesson.ctc.log_softmax",
                        lambda: ctc.log_softmax(ctc_logits[:, 0])),
        "embed": ("rnnlesson.embedding.embed", lambda: embedding.embed(np.ones((2, 3)), ids)),
        "embed_backward": ("rnnlesson.embedding.embed_backward",
                           lambda: embedding.embed_backward(np.ones((2, 2, 3)), ids, 3)),
        "reference_embedding_forward": ("rnnlesson.checks.embedding.reference_forward",
                                        lambda: embedding_checks.reference_forward(
                                            np.ones((2, 3)), ids)),
        "reference_embedding_backward": ("rnnlesson.checks.embedding.reference_backward",
                                         lambda: embedding_checks.reference_backward(
                                             np.ones((2, 2, 3)), ids, 3)),
        "bleu.corpus_bleu": ("rnnlesson.bleu.corpus_bleu", lambda: (
            bleu.corpus_bleu(bleu_candidates, bleu_references),
            bleu.corpus_bleu(bleu_candidates, bleu_references, 1))),
        "bleu.ngrams": ("rnnlesson.bleu.ngrams", lambda: bleu.ngrams(["a", "b", "a"], 2)),
        "bleu.closest_length": ("rnnlesson.bleu.closest_length",
                                lambda: bleu.closest_length(3, [[1], [1, 2, 3, 4]])),
        "reference_clipped": ("rnnlesson.checks.bleu.clipped", lambda: bleu_checks.clipped(
            ["a", "b", "a"], [["a", "b"], ["a", "a"]], 1)),
        "reference_penalty": ("rnnlesson.checks.bleu.penalty", lambda: (
            bleu_checks.penalty(2, 3), bleu_checks.penalty(3, 2), bleu_checks.penalty(0, 2))),
        "reference_bleu": ("rnnlesson.checks.bleu.bleu", lambda: bleu_checks.bleu(
            bleu_candidates, bleu_references, 2)),
        "reference_predict": ("rnnlesson.checks.sentiment.reference_predict",
                              lambda: sentiment.reference_predict(p, ids, lengths)),
    }


# For each function a learner writes: the references it must not run, and what it may run
# (whose code is taken out of the fingerprint): what the exercise's text gives and the
# functions of the exercises before it.
GIVEN = ("softmax", "init_params", "rel_error")
AFTER_EX01 = (*GIVEN, "Vocabulary.from_sequences", "Vocabulary.encode", "one_hot", "pad_batch")
AFTER_EX03 = (*AFTER_EX01, "rnn_cell_forward")
AFTER_EX04 = (*AFTER_EX03, "rnn_forward", "rnn_forward_by_cells")
AFTER_EX05 = (*AFTER_EX04, "rnn_cell_backward")
AFTER_EX06 = (*AFTER_EX05, "rnn_backward", "rnn_backward_by_cells")
GUARDS = {
    "build_vocabulary": (("Vocabulary.from_sequences", "reference_vocabulary",
                          "sentiment_arrays"), GIVEN),
    "one_hot_sentence": (("one_hot",), (*GIVEN, "Vocabulary.from_sequences",
                                        "Vocabulary.encode")),
    "encode_batch": (("pad_batch", "sentiment_arrays"), (*GIVEN, "Vocabulary.from_sequences",
                                                         "Vocabulary.encode", "one_hot")),
    "task_shapes": (("array_shapes", "expected_answer"), AFTER_EX01),
    "rnn_cell_forward": (("rnn_cell_forward", "rnn_forward", "rnn_forward_by_cells"),
                         AFTER_EX01),
    "rnn_forward": (("rnn_forward", "rnn_forward_by_cells"), AFTER_EX03),
    "rnn_cell_backward": (("rnn_cell_backward", "rnn_backward", "rnn_backward_by_cells"),
                          AFTER_EX04),
    "rnn_backward": (("rnn_backward", "rnn_backward_by_cells", "cut_bptt"), AFTER_EX05),
    "bptt_gradient_check": (("gradient_check", "numerical_gradient", "numerical_gradients"),
                            AFTER_EX06),
    "clip_by_global_norm": (("clip_by_global_norm",), AFTER_EX06),
    "sample": (("sample", "charlm.sample"), AFTER_EX06),
    "predict": (("reference_predict",), (*AFTER_EX06, "sentiment_arrays")),
    "train_sentiment": ((), ()),
    # rnn_backward answers exercise 9 with truncate=; the loop over cells stays allowed
    "rnn_backward_truncated": (("rnn_backward", "cut_bptt"),
                               (*AFTER_EX05, "rnn_backward_by_cells")),
    "attention_context": (("attention_forward", "reference_attention"), AFTER_EX06),
    "beam_search": (("beam_search", "reference_beam_search"), (*AFTER_EX06, "beam_model")),
    # the bidirectional network may run the package's reversal, which the exercise's first
    # function asked for, and the forward loop
    "reverse_within_lengths": (("deep.reverse_within_lengths", "reference_reverse",
                                "deep_forward"), AFTER_EX06),
    # the exercise gives log_softmax; the package's likelihood and loss run the recursion
    "ctc_forward": (("ctc_log_likelihood", "reference_alpha", "extend_labels"),
                    (*GIVEN, "log_softmax")),
    # the lookup and the sum by word id: the package's embedding and the checks' references
    "embedding_forward": (("embed", "reference_embedding_forward"), GIVEN),
    "embedding_backward": (("embed_backward", "reference_embedding_backward"),
                           (*GIVEN, "embed")),
    # exercise 17: BLEU's parts; corpus_bleu runs the learner's own clipped_matches and
    # brevity_penalty, never the package's
    "clipped_matches": (("bleu.corpus_bleu", "bleu.ngrams", "reference_clipped",
                         "reference_bleu"), GIVEN),
    "brevity_penalty": (("bleu.corpus_bleu", "reference_penalty", "reference_bleu"), GIVEN),
    "corpus_bleu": (("bleu.corpus_bleu", "bleu.ngrams", "bleu.closest_length",
                     "reference_clipped", "reference_penalty", "reference_bleu"), GIVEN),
    "bidirectional_rnn_forward": (("deep_forward", "reference_bidirectional"),
                                  (*AFTER_EX06, "deep.reverse_within_lengths",
                                   "reference_reverse")),
    # the LSTM step: the sigmoid and the parameters are given; exercise 11 may run the forward
    "lstm_cell_forward": (("lstm_cell_forward", "lstm_forward"),
                          (*GIVEN, "sigmoid", "init_lstm_params")),
    "lstm_cell_backward": (("lstm_cell_backward", "lstm_backward"),
                           (*GIVEN, "sigmoid", "init_lstm_params", "lstm_cell_forward",
                            "lstm_forward")),
}


def _codes_run(run):
    """The code objects inside rnnlesson that run() runs (profiled)."""
    seen = set()

    def hook(frame, event, arg):
        if event == "call":
            seen.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        run()
    finally:
        sys.setprofile(previous)
    return {code for code in seen if _inside_package(code.co_filename)}


@functools.cache
def _inside_package(filename):
    path = Path(filename).resolve()
    return path.is_relative_to(PACKAGE) and path not in NEVER_A_FINGERPRINT


@functools.cache
def _all_codes():
    return {name: (shown, frozenset(_codes_run(run))) for name, (shown, run)
            in _examples().items()}


@functools.cache
def fingerprint(function):
    """{code object: how the reference it belongs to is called} for the learner's function."""
    forbidden, allowed = GUARDS[function]
    codes = _all_codes()
    shared = set().union(*(codes[name][1] for name in allowed)) if allowed else set()
    found = {}
    # a code object is named after the smallest reference that runs it: its own function
    for name in sorted(forbidden, key=lambda name: len(codes[name][1])):
        shown, own = codes[name]
        for code in own - shared:
            found.setdefault(code, shown)
    return found


class Watch:
    """A profile hook, active only inside `with`, that records the first reference run."""

    def __init__(self, function):
        self.codes = fingerprint(function) if function in GUARDS else {}
        self.seen = None

    def hook(self, frame, event, arg):
        if event == "call" and self.seen is None and frame.f_code in self.codes:
            self.seen = self.codes[frame.f_code]

    def __enter__(self):
        self.previous = sys.getprofile()
        if self.codes:
            sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self.previous)
        return False
