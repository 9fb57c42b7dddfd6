"""A learner's crash is explained at its cause: the message names the learner's line (never a
line of numpy or of rnnlesson), the shapes of the arrays on it, and for an array whose shape
is not the lecture's, the line of their function that made it; the same message when the
function runs in a grading sandbox."""

import inspect
import json
import linecache

import numpy as np
import pytest

import rnnlesson
from rnnlesson import checks
from rnnlesson.checks import CheckFailure
from rnnlesson.checks._common import call, lecture_shapes
from rnnlesson.checks._crash import is_learners, learner_line
from rnnlesson.grading.trusted import Remote, Session, rebuild_error

PRELUDE = "import numpy as np\nfrom rnnlesson import rnn_cell_forward, rnn_cell_backward\n"


def learner(code, name):
    """The function name defined by code, run as a notebook cell (its lines in linecache)
    after a cell of imports (PRELUDE)."""
    namespace = {"__name__": "__learner__"}
    exec(compile(PRELUDE, "<given cell>", "exec"), namespace)
    path = f"<learner cell: {name}>"
    linecache.cache[path] = (len(code), None, code.splitlines(True), path)
    exec(compile(code, path, "exec"), namespace)
    return namespace[name]


def line_number(code, text):
    """The number of the line of code (counted from 1) that holds text."""
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def failure(check, fn):
    with pytest.raises(CheckFailure) as info:
        check(fn)
    message = str(info.value)
    assert len(message.splitlines()) <= 6, message
    assert "Traceback" not in message and ".py" not in message, message
    return info.value


# --- whose line is it -----------------------------------------------------------------------

@pytest.mark.parametrize("filename, theirs", [
    ("<ipython-input-3-1a2b3c4d5e6f>", True), ("/tmp/ipykernel_123/456.py", True),
    ("<learner cell: rnn_forward>", True), (__file__, True),
    ("numpy/random/_generator.pyx", False), ("numpy/core/fromnumeric.py", False),
    ("<__array_function__ internals>", False), ("<frozen importlib._bootstrap>", False),
    (np.__file__, False), (rnnlesson.__file__, False), (json.__file__, False),
    (inspect.getfile(pytest), False),
])
def test_a_frame_is_the_learners_only_in_a_cell_or_a_file_of_no_package(filename, theirs):
    assert is_learners(filename) is theirs


def test_a_numpy_error_is_reported_at_the_learners_line_not_numpys():
    code = ("def sample(p):\n"
            "    rng = np.random.default_rng(0)\n"
            "    return rng.choice(len(p), p=p)\n")
    fn = learner(code, "sample")
    with pytest.raises(ValueError) as raised:  # raised in numpy's compiled _generator.pyx
        fn(np.array([0.5, 0.6]))
    number = line_number(code, "rng.choice")
    assert learner_line(raised.value.__traceback__) == (number, "return rng.choice(len(p), p=p)")
    with pytest.raises(CheckFailure) as info:
        call(fn, "sample", (np.array([0.5, 0.6]),), "p (2,)")
    assert f"ValueError at line {number} of your code (`return rng.choice" in str(info.value)


@pytest.mark.parametrize("filename", ["numpy/core/fromnumeric.py",
                                      "<__array_function__ internals>"])
def test_code_compiled_under_numpys_names_is_never_the_learners(filename):
    namespace = {}
    exec(compile("def helper(x):\n    raise ValueError('inside')\n", filename, "exec"), namespace)
    fn = learner("def f(x):\n    y = x + 1\n    return helper(y)\n", "f")
    fn.__globals__["helper"] = namespace["helper"]
    with pytest.raises(ValueError) as raised:
        fn(np.zeros(2))
    assert learner_line(raised.value.__traceback__) == (3, "return helper(y)")


# --- broadcasting crashes: where the wrong shape was made -----------------------------------

ENCODE_BATCH = '''\
def encode_batch(sentences, vocab):
    m = len(sentences)
    T_x = len(sentences[0].split())
    ids = np.zeros((m, T_x), dtype=int)
    lengths = np.array([len(s.split()) for s in sentences])
    for i, sentence in enumerate(sentences):
        row = [vocab.index(word) for word in sentence.split()]
        ids[i, :len(row)] = row
    return ids, lengths
'''
RNN_FORWARD = '''\
def rnn_forward(x, a0, params):
    n_x, m, T_x = x.shape
    n_y, n_a = params["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_x, m, T_x))
    caches = []
    a_prev = a0
    for t in range(T_x):
        a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)
        a[:, :, t] = a_prev
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, caches
'''
TRUNCATED = '''\
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    n_x = caches[0][2].shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = 0.0, 0.0, 0.0
    da_prev = np.zeros(n_a)
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        dx[:, :, t] = step["dxt"]
        dWax, dWaa, dba = dWax + step["dWax"], dWaa + step["dWaa"], dba + step["dba"]
        da_prev = np.zeros((n_a, m)) if t % k == 0 and t > 0 else step["da_prev"]
    return {"dx": dx, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
'''
LSTM_FORWARD = '''\
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def lstm_cell_forward(xt, a_prev, c_prev, params):
    concat = np.concatenate([a_prev, xt])
    W = np.concatenate([params["Wf"], params["Wi"], params["Wc"], params["Wo"]])
    b = np.concatenate([params["bf"], params["bi"], params["bc"], params["bo"]])
    z = W @ concat + b
    ft, it, cct, ot = np.split(z, 4, axis=1)
    ft, it, ot = sigmoid(ft), sigmoid(it), sigmoid(ot)
    cct = np.tanh(cct)
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = params["Wya"] @ a_next + params["by"]
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)
'''


@pytest.mark.parametrize("check, code, name, crash, shapes, origin, expected", [
    (checks.check_encode_batch, ENCODE_BATCH, "encode_batch", "ids[i, :len(row)] = row",
     "ids (3, 3)", "ids = np.zeros((m, T_x), dtype=int)", "ids should be (m, T_x) = (3, 6)"),
    (checks.check_rnn_forward_shapes, RNN_FORWARD, "rnn_forward", "y_pred[:, :, t] = yt_pred",
     "y_pred (3, 4, 6), yt_pred (2, 4)", "y_pred = np.zeros((n_x, m, T_x))",
     "y_pred should be (n_y, m, T_x) = (2, 4, 6)"),
    (checks.check_rnn_backward_truncated, TRUNCATED, "rnn_backward_truncated",
     "rnn_cell_backward(da[:, :, t] + da_prev, caches[t])", "da (5, 2, 7), da_prev (5,)",
     "da_prev = np.zeros(n_a)", "da_prev should be (n_a, m) = (5, 2)"),
    (checks.check_lstm_cell_forward_shapes, LSTM_FORWARD, "lstm_cell_forward",
     "c_next = ft * c_prev + it * cct", "ft (20, 1), c_prev (5, 4)",
     "ft, it, cct, ot = np.split(z, 4, axis=1)", "ft should be (n_a, m) = (5, 4)"),
], ids=["ex01-T_x-from-first-sentence", "ex04-y_pred-with-n_x-rows", "ex09-1d-carry",
        "ex10-gates-split-on-m"])
def test_a_broadcasting_crash_names_where_the_wrong_shape_was_made(
        check, code, name, crash, shapes, origin, expected):
    source = code
    err = failure(check, learner(source, name))
    message = str(err)
    assert err.mistake.endswith("/raises-error"), message
    assert f"at line {line_number(source, crash)} of your code" in message, message
    assert shapes in message, message
    assert f"{expected}; yours is" in message, message
    assert f"made at line {line_number(source, origin)}: `{origin}`" in message, message


def test_a_package_error_in_the_learners_code_names_their_line_and_shapes():
    code = RNN_FORWARD.replace("rnn_cell_forward(x[:, :, t], ",
                               "rnn_cell_forward(x[:, :, t].T, ")
    source = code
    message = str(failure(checks.check_rnn_forward_shapes, learner(source, "rnn_forward")))
    number = line_number(source, "rnn_cell_forward(x[:, :, t].T")
    assert f"ValueError at line {number} of your code (`a_prev, yt_pred, cache = " \
           "rnn_cell_forward(x[:, :, t].T, a_prev, params)`): xt: expected shape" in message
    assert "On that line: a_prev (5, 4), x (3, 4, 6)." in message, message
    assert "should be" not in message  # x and a_prev are right: the call transposed x's slice


def test_the_arrays_of_a_params_dict_are_shown_by_their_key():
    code = ("def rnn_cell_forward(xt, a_prev, params):\n"
            "    z = params['Wax'] @ xt.T\n"
            "    return z, z, None\n")
    message = str(failure(checks.check_rnn_cell_forward_shapes,
                          learner(code, "rnn_cell_forward")))
    assert "On that line: params['Wax'] (5, 3), xt (3, 4)." in message, message


# --- the same message from a grading sandbox ------------------------------------------------

@pytest.fixture
def sandbox(tmp_path):
    """An unconfined runner (as in test_channel.py) holding the learner's cells."""
    cells = [PRELUDE, RNN_FORWARD, TRUNCATED]
    made = Session(lambda: ["/usr/bin/env", "-C", str(tmp_path)],
                   [{"index": i, "source": s} for i, s in enumerate(cells)], 60)
    made.start()
    yield made
    made.stop()


@pytest.mark.parametrize("check, code, name", [
    (checks.check_rnn_forward_shapes, RNN_FORWARD, "rnn_forward"),
    (checks.check_rnn_backward_truncated, TRUNCATED, "rnn_backward_truncated"),
])
def test_a_crash_in_the_sandbox_reads_as_it_does_at_home(sandbox, check, code, name):
    at_home = failure(check, learner(code, name))  # a cell of its own, as in the sandbox
    graded = failure(check, Remote(sandbox, name))
    assert str(graded) == str(at_home)
    assert "made at line" in str(graded)


def test_what_a_sandbox_sends_about_a_crash_is_kept_as_capped_text():
    error = rebuild_error({"type": "ValueError", "bases": ["ValueError"], "message": "no",
                           "line": [3, "y = a + b"], "crash": {
                               "line": [3, "y = a + b"], "made": {"a": [2, "a = 1" * 500]},
                               "arrays": [["a" * 500, "a", "(2,)"]] * 50}})
    assert len(error.crash["arrays"]) == 6 and len(error.crash["arrays"][0][0]) == 60
    assert len(error.crash["made"]["a"][1]) == 200
    for forged in ["text", {"arrays": 5}, {"arrays": [[1, 2]]}, {"made": {"a": "x"}}]:
        assert rebuild_error({"type": "ValueError", "crash": forged}).crash is None


def test_lecture_shapes_evaluates_the_letters_a_case_gives():
    shapes = lecture_shapes(n_x=3, n_a=5, n_y=2, m=4, T_x=6)
    assert shapes["y_pred"] == ((2, 4, 6), "(n_y, m, T_x)")
    assert shapes["Wf"] == ((5, 8), "(n_a, n_a + n_x)")
    assert "y_pred" not in lecture_shapes(n_a=5, m=4)


@pytest.mark.parametrize("message, words", [
    ("operands could not be broadcast together with shapes (2,4) (2,) ",
     "(2,) is one of shape (2, 4) with axis 1 reduced away"),
    ("operands could not be broadcast together with shapes (3,) (3,3) ",
     "with one axis reduced away"),
    ("operands could not be broadcast together with shapes (2,1,2) (2,2,4) ",
     "size-1 axis at position 1; against (2, 2, 4) it is needed at position 2"),
    ("operands could not be broadcast together with shapes (5,3) (3,5) ", None),
    ("operands could not be broadcast together with shapes (5,5) (5,4) ",
     "`*` multiplies entry by entry"),
    ("operands could not be broadcast together with shapes (2,5) (5,4) ",
     "is `A @ B`"),
    ("could not broadcast input array from shape (2,0) into shape (2,3)", None),
])
def test_a_broadcasting_error_is_read_for_what_its_shapes_say(message, words):
    from rnnlesson.checks._crash import broadcast_hint

    hint = broadcast_hint(message)
    assert (hint is None) if words is None else (words in hint), hint


def test_a_reduction_without_keepdims_is_named_in_the_learners_crash():
    def attention_context(s_prev, h, params, mask):
        scores = np.einsum("amt,am->mt", h, s_prev)
        weights = np.exp(scores - scores.max(axis=1))  # (m, T_x) - (m,): no keepdims
        alpha = weights / weights.sum(axis=1, keepdims=True)
        return np.einsum("amt,mt->am", h, alpha), alpha

    with pytest.raises(checks.CheckFailure) as info:
        checks.check_attention_context_shapes(attention_context)
    assert "keepdims=True" in str(info.value) and len(str(info.value).splitlines()) <= 6
