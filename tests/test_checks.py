"""What holds for every check in rnnlesson.checks: a failure is one `CheckFailure` message
tagged with a mistake id and shown without a traceback; the learner's own errors point at
their line; the package's own answer is refused however it is called. The typical mistakes
of each exercise are in the catalogue (tests/catalogue, run by test_catalogue.py)."""

import functools
import inspect
import os
import pickle
import re
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import rnnlesson as R
from rnnlesson import checks
from rnnlesson.checks import CheckFailure, _guard, mistake_ids
from rnnlesson.checks.encoding import reference_vocabulary
from rnnlesson.checks.sentiment import reference_predict
from rnnlesson.checks.topologies import expected_answer
from rnnlesson.checks.truncated import cut_bptt
from rnnlesson.ctc import ctc_forward_backward, ctc_log_likelihood, extend_labels
from rnnlesson.deep import deep_forward, reverse_within_lengths
from rnnlesson.embedding import embed, embed_backward

ALL_CHECKS = [
    checks.check_build_vocabulary, checks.check_one_hot_sentence, checks.check_encode_batch,
    checks.check_rnn_cell_forward_shapes, checks.check_rnn_cell_forward,
    checks.check_rnn_forward_shapes, checks.check_rnn_forward,
    checks.check_rnn_cell_backward_shapes, checks.check_rnn_cell_backward,
    checks.check_rnn_backward, checks.check_bptt_gradient_check,
    checks.check_clip_by_global_norm, checks.check_sample, checks.check_predict,
    checks.check_rnn_backward_truncated, checks.check_train_sentiment,
    checks.check_lstm_cell_forward_shapes, checks.check_lstm_cell_forward,
    checks.check_lstm_cell_backward_shapes, checks.check_lstm_cell_backward,
    checks.check_attention_context_shapes, checks.check_attention_context,
    checks.check_beam_search_greedy, checks.check_beam_search,
    checks.check_reverse_within_lengths, checks.check_bidirectional_rnn_forward,
    checks.check_ctc_forward,
    checks.check_clipped_matches, checks.check_brevity_penalty, checks.check_corpus_bleu,
    checks.check_embedding_forward, checks.check_embedding_backward,
]


def test_all_checks_lists_every_check_of_a_learners_function():
    # check_task_shapes also takes a task (tested with one below); check_held_out_accuracy
    # takes trained params (tested in test_held_out_accuracy_threshold)
    public = {name for name in checks.__all__ if name.startswith("check_")}
    assert public - {c.__name__ for c in ALL_CHECKS} == {"check_task_shapes",
                                                          "check_held_out_accuracy"}


def failure(check, fn, *args):
    with pytest.raises(CheckFailure) as info:
        check(fn, *args)
    return info.value


# --- the failure itself ---------------------------------------------------------------------

def test_a_failure_is_an_assertion_error_shown_as_its_message_alone():
    err = failure(checks.check_rnn_cell_forward, lambda x, a, p: (a, a, None))
    assert isinstance(err, AssertionError)
    lines = str(err).splitlines()
    assert err._render_traceback_() == lines
    assert lines[-1] == f"[mistake: {err.mistake}]" and err.mistake.startswith("ex03/")
    assert not any("Traceback" in line or "checks/" in line for line in lines)


def test_a_failure_survives_pickling():
    err = failure(checks.check_rnn_cell_forward, lambda x, a, p: (a, a, None))
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.mistake) == (CheckFailure, str(err), err.mistake)


def test_mistake_ids_read_tags_from_any_text():
    text = ("\x1b[0;31mCheckFailure\x1b[0m: rnn_forward: a0 is ignored\n"
            "[mistake: ex04/a0-ignored]\nother text [mistake: ex05/tanh-derivative-not-squared]"
            "\n[mistake: not an id] [mistake: ex5/short]")
    assert mistake_ids(text) == ["ex04/a0-ignored", "ex05/tanh-derivative-not-squared"]
    assert mistake_ids("no tag here") == []


def test_in_a_kernel_the_failure_is_one_message_and_no_frame_of_ours(tmp_path, monkeypatch):
    """What JupyterLab, nbval and nbgrader's feedback show: the error output of the cell."""
    monkeypatch.setenv("PATH", f"{sys.prefix}/bin:" + os.environ["PATH"])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in [
        "from rnnlesson import checks",
        "def rnn_cell_backward(da_next, cache):\n    a_next, a_prev, xt, params = cache\n"
        "    dz = da_next * (1 - a_next)\n"
        "    return {'dxt': params['Wax'].T @ dz, 'da_prev': params['Waa'].T @ dz,\n"
        "            'dWax': dz @ xt.T, 'dWaa': dz @ a_prev.T,\n"
        "            'dba': dz.sum(axis=1, keepdims=True)}",
        "checks.check_rnn_cell_backward(rnn_cell_backward)",
        "def rnn_forward(x, a0, params):\n    n_x, m, T_x = x.shape\n"
        "    return 1 / 0",
        "checks.check_rnn_forward(rnn_forward)",
    ]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["CheckFailure", "CheckFailure"]
    gradient, crash = errors
    assert gradient.traceback == str(gradient.evalue).splitlines()
    assert gradient.traceback[0].startswith("rnn_cell_backward: dz should be da_next * "
                                            "(1 - a_next**2)")
    assert mistake_ids(gradient.evalue) == ["ex05/tanh-derivative-not-squared"]
    assert mistake_ids("\n".join(crash.traceback)) == ["ex04/raises-error"]
    assert "ZeroDivisionError at line 3 of your code (`return 1 / 0`)" in crash.traceback[0]
    assert len(crash.traceback) <= 3
    assert not any("rnnlesson" in line and ".py" in line for e in errors for line in e.traceback)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_unwritten_function_is_named(check):
    def not_written(*args):
        raise NotImplementedError()

    err = failure(check, not_written)
    assert err.mistake.endswith("/not-written") and "not written yet" in str(err)
    assert "raise NotImplementedError()" in str(err)


def test_an_unwritten_task_shapes_is_named():
    def task_shapes(sizes):
        raise NotImplementedError()

    assert failure(checks.check_task_shapes, task_shapes, "speech").mistake == "ex02/not-written"


def test_the_learners_error_names_their_line_and_the_inputs():
    def rnn_cell_forward(xt, a_prev, params):
        z = params["Wax"] @ xt.T  # (n_a, n_x) @ (m, n_x) cannot be multiplied
        return np.tanh(z), z, None

    err = failure(checks.check_rnn_cell_forward_shapes, rnn_cell_forward)
    message = str(err)
    assert err.mistake == "ex03/raises-error"
    assert "your rnn_cell_forward raised ValueError at line" in message
    assert 'z = params["Wax"] @ xt.T' in message and "xt (n_x, m) = (3, 4)" in message


# --- the reference may not be called --------------------------------------------------------

def one_hot_of(vocab):
    return lambda sentence, v: R.one_hot(np.array([v.index(w) for w in sentence.split()]),
                                         len(v))


REFERENCES = [
    (checks.check_build_vocabulary, reference_vocabulary, (), "reference_vocabulary"),
    (checks.check_one_hot_sentence, one_hot_of(None), (), "rnnlesson.one_hot"),
    (checks.check_encode_batch, lambda ss, v: R.pad_batch([[v.index(w) for w in s.split()]
                                                           for s in ss]), (), "pad_batch"),
    (checks.check_task_shapes, lambda sizes: {"speech": expected_answer("speech", sizes)},
     ("speech",), "expected_answer"),
    (checks.check_rnn_cell_forward, R.rnn_cell_forward, (), "rnnlesson.rnn_cell_forward"),
    (checks.check_rnn_forward, R.rnn_forward_by_cells, (), "rnnlesson.rnn_forward_by_cells"),
    (checks.check_rnn_cell_backward, R.rnn_cell_backward, (), "rnnlesson.rnn_cell_backward"),
    (checks.check_rnn_backward, R.rnn_backward_by_cells, (), "rnn_backward_by_cells"),
    (checks.check_clip_by_global_norm, R.clip_by_global_norm, (),
     "rnnlesson.clip_by_global_norm"),
    (checks.check_sample, lambda p, n, s, t=1.0, seed=0: R.sample(p, n, s, temperature=t,
                                                                  seed=seed), (),
     "rnnlesson.sample"),
    (checks.check_predict, reference_predict, (), "reference_predict"),
    (checks.check_rnn_backward_truncated,
     lambda da, c, k: cut_bptt(da, c, lambda t: t % k == 0 and t > 0), (), "cut_bptt"),
    (checks.check_reverse_within_lengths, reverse_within_lengths, (),
     "rnnlesson.deep.reverse_within_lengths"),
    (checks.check_bidirectional_rnn_forward,
     lambda x, lengths, pf, pb: deep_forward(x, {"forward": pf, "backward": pb}, lengths)[0],
     (), "rnnlesson.deep.deep_forward"),
    (checks.check_ctc_forward, lambda log_y, labels: (
        ctc_forward_backward(log_y[:, None], *extend_labels(np.array([labels], dtype=int),
                                                            np.array([len(labels)])),
                             np.array([log_y.shape[1]]), np.array([len(labels)]))[0][:, 0],
        float(ctc_log_likelihood(log_y[:, None], np.array([labels], dtype=int),
                                 np.array([log_y.shape[1]]), np.array([len(labels)]))[0])),
     (), "rnnlesson.ctc.extend_labels"),
    (checks.check_clipped_matches, lambda cand, refs, n: (
        sum(min(k, max(R.bleu.ngrams(ref, n)[g] for ref in refs))
            for g, k in R.bleu.ngrams(cand, n).items()), max(len(cand) - n + 1, 0)), (),
     "rnnlesson.bleu.ngrams"),
    (checks.check_brevity_penalty, lambda c, r: R.bleu.corpus_bleu(
        [["a"] * c], [[["a"] * r]], 1).brevity_penalty if c else 0.0, (),
     "rnnlesson.bleu.corpus_bleu"),
    (checks.check_corpus_bleu, lambda cands, refs, max_n=4: R.bleu.corpus_bleu(
        cands, refs, max_n).score, (), "rnnlesson.bleu.corpus_bleu"),
    (checks.check_embedding_forward, embed, (), "rnnlesson.embedding.embed"),
    (checks.check_embedding_backward, embed_backward, (), "rnnlesson.embedding.embed_backward"),
]


@pytest.mark.parametrize("check, reference, args, shown", REFERENCES,
                         ids=[r[0].__name__ for r in REFERENCES])
def test_every_check_refuses_the_package_answer(check, reference, args, shown):
    err = failure(check, reference, *args)
    assert err.mistake.endswith("/uses-reference") and shown in str(err)


def copied(fn):
    return types.FunctionType(fn.__code__, fn.__globals__, "mine", fn.__defaults__,
                              fn.__closure__)


@pytest.mark.parametrize("disguise", [
    lambda f: (lambda *args: f(*args)),
    lambda f: functools.wraps(f)(lambda *args: f(*args)),
    copied,
    lambda f: functools.partial(copied(f)),
], ids=["wrapper", "functools.wraps", "FunctionType copy", "partial of a copy"])
def test_the_reference_is_found_however_it_is_called(disguise):
    err = failure(checks.check_rnn_backward, disguise(R.rnn_backward_by_cells))
    assert err.mistake == "ex06/uses-reference"
    assert "your rnn_backward calls rnnlesson.rnn_backward_by_cells, the function this " \
           "exercise asks you to write" in str(err)


def test_a_private_core_function_counts_as_the_reference():
    from rnnlesson.fast import rnn as fast_rnn

    def rnn_backward(da, caches):
        x = np.stack([c[2] for c in caches], axis=2)
        _, _, cache = R.rnn_forward(x, caches[0][1], caches[0][3])  # exercise 4's: allowed
        return fast_rnn.bptt(da, cache)

    err = failure(checks.check_rnn_backward, rnn_backward)
    assert err.mistake == "ex06/uses-reference" and "rnnlesson.rnn_backward" in str(err)


def test_the_package_version_of_an_earlier_exercise_is_allowed(capsys):
    def rnn_forward(x, a0, params):  # rnnlesson.rnn_cell_forward answers exercise 3
        steps = []
        a = a0
        for t in range(x.shape[2]):
            a, y, cache = R.rnn_cell_forward(x[:, :, t], a, params)
            steps.append((a, y, cache))
        return (np.stack([s[0] for s in steps], 2), np.stack([s[1] for s in steps], 2),
                [s[2] for s in steps])

    checks.check_rnn_forward(rnn_forward)
    assert "rnn_forward: all checks passed" in capsys.readouterr().out


def test_the_profile_hook_is_on_only_during_the_learners_call():
    seen = []

    def rnn_cell_forward(xt, a_prev, params):
        seen.append(sys.getprofile())
        return R.rnn_cell_forward(xt, a_prev, params)

    before = sys.getprofile()
    failure(checks.check_rnn_cell_forward, rnn_cell_forward)
    assert seen and seen[0] is not None and sys.getprofile() is before


def test_no_fingerprint_holds_input_validation():
    for function in _guard.GUARDS:
        files = {code.co_filename for code in _guard.fingerprint(function)}
        assert not any(f.endswith("_validate.py") for f in files), function


def test_guarded_calls_for_hidden_tests():
    cell = checks.guarded("rnn_cell_forward", lambda x, a, p: R.rnn_cell_forward(x, a, p))
    params = R.init_params(3, 4, 2)
    with pytest.raises(CheckFailure, match="uses-reference"):
        cell(np.ones((3, 2)), np.zeros((4, 2)), params)
    mine = checks.guarded("rnn_cell_forward", lambda x, a, p: np.tanh(p["Wax"] @ x))
    assert mine(np.ones((3, 2)), np.zeros((4, 2)), params).shape == (4, 2)


# --- exercise 8's text and accuracy ---------------------------------------------------------

EX08 = Path(__file__).resolve().parents[1] / "solutions" / "ex08-sentiment-classifier.ipynb"
GIVEN_IN_EX08 = ["sentiment_arrays", "init_params", "many_to_one_loss", "train", "rnn_forward"]


def test_exercise_8_gives_the_api_as_the_package_takes_it():
    text = " ".join(c.source for c in nbformat.read(EX08, 4).cells if c.cell_type == "markdown")
    text = re.sub(r"\s+", " ", text)
    for name in GIVEN_IN_EX08:
        (stated,) = re.findall(rf"`{name}\(([^`]*)\)`", text)
        parameters = list(inspect.signature(getattr(R, name)).parameters.values())
        for i, argument in enumerate(a.strip() for a in stated.split(", ")):
            key, is_keyword, _ = argument.partition("=")
            # a positional argument has the package's name at its place; a keyword is one
            assert (key in [p.name for p in parameters] if is_keyword
                    else parameters[i].name == key), (name, stated)
    for name in ("sentiment_arrays", "many_to_one_loss"):  # stated with their defaults
        (stated,) = re.findall(rf"`{name}\(([^`]*)\)`", text)
        parameters = list(inspect.signature(getattr(R, name)).parameters.values())
        assert stated == ", ".join(map(str, parameters[:stated.count(",") + 1])), name
    # the batch the text gives for many_to_one_loss, through train as train calls loss_fn
    assert "`train` calls `loss_fn(params, *batch)`" in text
    assert "`(ids, labels, None, lengths)` (`None` for `a0`)" in text
    assert "pass `lengths=lengths` by keyword" in text
    ids, lengths, labels, vocab = R.sentiment_arrays(R.load_sentiment("train")[:20])
    params = R.init_params(vocab.size, 3, 2, seed=0)
    seen = []

    def loss_fn(params, *batch):
        seen.append(batch)
        return R.many_to_one_loss(params, *batch)

    R.train(loss_fn, params, [(ids, labels, None, lengths)], 1, progress=False)
    assert len(seen) == 1 and seen[0][2] is None and seen[0][3] is lengths
    by_keyword = R.many_to_one_loss(params, ids, labels, lengths=lengths)[0]
    assert R.many_to_one_loss(params, *seen[0])[0] == by_keyword
    assert R.many_to_one_loss(params, ids, labels)[0] != by_keyword  # lengths do count


def test_held_out_accuracy_threshold():
    def predict(params, ids, lengths):  # the learner's, written out
        a, _, _ = R.rnn_forward(ids, None, params, lengths)
        a_last = a[:, np.arange(ids.shape[0]), lengths - 1]
        return np.argmax(params["Wya"] @ a_last + params["by"], axis=0)

    _, _, _, vocab = R.sentiment_arrays(R.load_sentiment("train"))
    untrained = R.init_params(vocab.size, 4, 2, seed=0)
    untrained["by"] = np.array([[5.0], [0.0]])  # always "negative": about half right
    with pytest.raises(CheckFailure, match="below 0.75"):
        checks.check_held_out_accuracy(predict, untrained, vocab, 0.75)
    accuracy = checks.check_held_out_accuracy(predict, untrained, vocab, 0.1)
    assert 0.3 < accuracy < 0.7
    with pytest.raises(CheckFailure, match="n_x"):
        checks.check_held_out_accuracy(predict, R.init_params(3, 4, 2), vocab, 0.1)
    with pytest.raises(CheckFailure, match="Vocabulary"):
        checks.check_held_out_accuracy(predict, untrained, vocab.symbols, 0.1)


STRANGE = [None, "text", 42, object(), (1, 2, 3), {"a0": "x"}, [[1, 2], [3]],
           np.array(["a", "b"]), np.zeros((0,)), (np.zeros(3), "x"), ({}, None),
           ({"dWax": None}, 1.0)]


@pytest.mark.parametrize("check", ALL_CHECKS + [checks.check_task_shapes],
                         ids=lambda c: c.__name__)
def test_whatever_a_function_returns_the_learner_gets_one_message(check):
    args = ("speech",) if check is checks.check_task_shapes else ()
    for value in STRANGE:
        err = failure(check, lambda *a, value=value, **k: value, *args)
        assert mistake_ids(str(err)) == [err.mistake], (value, str(err))
        assert len(str(err).splitlines()) <= 4, str(err)


def test_a_right_answer_that_warns_passes_with_nothing_on_stderr(capfd):
    """nbgrader scores a test cell 0 when it writes to stderr, and JupyterLab paints it red:
    a warning from a right answer (numpy's RuntimeWarning of a masked softmax, say) is caught
    inside the check and never reaches stderr."""
    import warnings

    import numpy as np

    from rnnlesson import checks

    def rnn_cell_forward(xt, a_prev, params):
        with np.errstate(divide="warn", invalid="warn"):
            np.log(np.zeros(1))
        warnings.warn("a learner's own warning", RuntimeWarning, stacklevel=1)
        a_next = np.tanh(params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"])
        z = params["Wya"] @ a_next + params["by"]
        e = np.exp(z - z.max(axis=0))
        return a_next, e / e.sum(axis=0), (a_next, a_prev, xt, params)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        checks.check_rnn_cell_forward_shapes(rnn_cell_forward)
        checks.check_rnn_cell_forward(rnn_cell_forward)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert "rnn_cell_forward: all checks passed" in captured.out


def test_the_general_check_does_not_repeat_a_learners_prints(capsys):
    """A learner's print shows for the check's own cases, not once per random case."""
    def rnn_cell_forward(xt, a_prev, params):
        print("hello from the learner")
        a_next = np.tanh(params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"])
        z = params["Wya"] @ a_next + params["by"]
        y = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
        return a_next, y, (a_next, a_prev, xt, params)

    checks.check_rnn_cell_forward(rnn_cell_forward)
    out = capsys.readouterr().out
    assert "rnn_cell_forward: all checks passed" in out
    assert 0 < out.count("hello from the learner") <= 12  # the named cases, not 24 more
