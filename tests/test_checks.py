"""The learner feedback in rnnlesson.checks: the package's own reference implementations pass
every check, and each typical mistake fails with a message that names it."""

import numpy as np
import pytest

import rnnlesson as R
from rnnlesson import checks
from rnnlesson.cell import softmax
from rnnlesson.checks.encoding import reference_vocabulary
from rnnlesson.checks.sentiment import reference_predict
from rnnlesson.checks.topologies import TASKS, expected_answer
from rnnlesson.checks.truncated import cut_bptt


def fails(check, fn, match, *args):
    with pytest.raises(AssertionError, match=match):
        check(fn, *args)


# --- exercise 1: encoding -------------------------------------------------------------------

def one_hot_sentence(sentence, vocab):
    return R.one_hot(np.array([vocab.index(w) for w in sentence.split()]), len(vocab))


def encode_batch(sentences, vocab):
    return R.pad_batch([[vocab.index(w) for w in s.split()] for s in sentences])


def test_encoding_references_pass(capsys):
    checks.check_build_vocabulary(reference_vocabulary)
    checks.check_one_hot_sentence(one_hot_sentence)
    checks.check_encode_batch(encode_batch)
    assert capsys.readouterr().out.count("all checks passed") == 3


@pytest.mark.parametrize("fn, match", [
    (lambda ss: sorted({w for s in ss for w in s.split()}), "padding symbol"),
    (lambda ss: ["<pad>"] + list(dict.fromkeys(w for s in ss for w in s.split())), "sorted"),
    (lambda ss: ["<pad>"] + sorted(w for s in ss for w in s.split()), "once"),
    (lambda ss: ["<pad>"] + sorted({c for s in ss for c in s}), "characters"),
    (lambda ss: ["<pad>"] + sorted({w for s in ss[:2] for w in s.split()}), "missing"),
    (lambda ss: (ss.sort(), reference_vocabulary(ss))[1], "in place"),
])
def test_build_vocabulary_mistakes(fn, match):
    fails(checks.check_build_vocabulary, fn, match)


@pytest.mark.parametrize("fn, match", [
    (lambda s, v: one_hot_sentence(s, v).T, "transposed"),
    (lambda s, v: one_hot_sentence(s, v).astype(int), "floats"),
    (lambda s, v: R.one_hot(np.array([v.index(w) + 1 for w in s.split()]) % len(v), len(v)),
     "row"),
    (lambda s, v: one_hot_sentence(s, v) * 2, "single 1"),
    (lambda s, v: (v.append("x"), one_hot_sentence(s, v[:-1]))[1], "in place"),
])
def test_one_hot_sentence_mistakes(fn, match):
    fails(checks.check_one_hot_sentence, fn, match)


@pytest.mark.parametrize("fn, match", [
    (lambda ss, v: R.pad_batch([[v.index(w) for w in s.split()] for s in ss], pad_id=-1),
     "padding should be 0"),
    (lambda ss, v: (encode_batch(ss, v)[0].T, encode_batch(ss, v)[1]), "transposed"),
    (lambda ss, v: (encode_batch(ss, v)[0], encode_batch(ss, v)[1] - 1), "count"),
    (lambda ss, v: encode_batch(ss, v)[0], "two arrays"),
])
def test_encode_batch_mistakes(fn, match):
    fails(checks.check_encode_batch, fn, match)


# --- exercise 2: topologies -----------------------------------------------------------------

def task_shapes(sizes):
    return {task: expected_answer(task, sizes) for task in TASKS}


@pytest.mark.parametrize("task", list(TASKS))
def test_task_shapes_reference_passes(task, capsys):
    checks.check_task_shapes(task_shapes, task)
    assert "all checks passed" in capsys.readouterr().out


def changed(task, **change):
    def fn(sizes):
        answers = task_shapes(sizes)
        answers[task] = {**answers[task], **{k: v(sizes) for k, v in change.items()}}
        return answers
    return fn


@pytest.mark.parametrize("task, fn, match", [
    ("translation", changed("translation", topology=lambda s: "many-to-one"), "not the right"),
    ("speech", changed("speech", topology=lambda s: "Many to many (encoder-decoder)"),
     "not the right"),
    ("chatbot", changed("chatbot", topology=lambda s: "seq2seq"), "should be one of"),
    ("translation", changed("translation", x=lambda s: (s["m"], s["english_length"],
                                                         s["english_words"])), "wrong order"),
    ("sentiment", changed("sentiment", y_pred=lambda s: (2, s["m"], s["review_length"])),
     "no time axis"),
    ("image_captions", changed("image_captions", x=lambda s: (s["image_features"], s["m"], 1)),
     "no time axis"),
    ("speech", changed("speech", x=lambda s: (13, s["m"], s["frames"])), "audio_features"),
    ("chatbot", changed("chatbot", y_pred=lambda s: (s["chat_words"], s["m"],
                                                     s["question_length"])), "reply_length"),
])
def test_task_shapes_mistakes(task, fn, match):
    fails(checks.check_task_shapes, fn, match, task)


def test_task_shapes_missing_task_is_named():
    fails(checks.check_task_shapes, lambda sizes: {}, "'speech'", "speech")


# --- exercise 3: the cell forward -----------------------------------------------------------

def cell(xt, a_prev, p, bias=True, swap=False, axis=0, tanh=True, by=True, from_prev=False):
    Wax, Waa = (p["Waa"], p["Wax"]) if swap else (p["Wax"], p["Waa"])
    z = Waa @ a_prev + Wax @ xt + (p["ba"] if bias else 0)
    a_next = np.tanh(z) if tanh else z
    logits = p["Wya"] @ (a_prev if from_prev else a_next) + (p["by"] if by else 0)
    e = np.exp(logits)
    return a_next, e / e.sum(axis=axis, keepdims=True), (a_next, a_prev, xt, p)


def in_place_cell(xt, a_prev, p):
    a_prev += p["Wax"] @ xt
    a_prev[:] = np.tanh(p["Waa"] @ (a_prev - p["Wax"] @ xt) + p["Wax"] @ xt + p["ba"])
    return a_prev.copy(), softmax(p["Wya"] @ a_prev + p["by"]), (a_prev, a_prev, xt, p)


def test_cell_forward_reference_passes(capsys):
    checks.check_rnn_cell_forward(R.rnn_cell_forward)
    assert capsys.readouterr().out == "rnn_cell_forward: all checks passed\n"


@pytest.mark.parametrize("fn, match", [
    (lambda x, a, p: cell(x, a, p, bias=False), "bias ba is missing"),
    (lambda x, a, p: cell(x, a, p, swap=True), "Wax and Waa are swapped"),
    (lambda x, a, p: cell(x, a, p, axis=1), "wrong axis"),
    (lambda x, a, p: cell(x, a, p, axis=None), "wrong axis"),
    (lambda x, a, p: cell(x, a, p, tanh=False), "tanh is not applied"),
    (lambda x, a, p: cell(x, a, p, by=False), "output bias by is missing"),
    (lambda x, a, p: cell(x, a, p, from_prev=True), "from a_prev"),
    (in_place_cell, "modified its argument a_prev in place"),
    (lambda x, a, p: (cell(x, a, p)[0].T, *cell(x, a, p)[1:]), r"shape \(n_a, m\)"),
    (lambda x, a, p: cell(x, a, p)[:2], "3 values"),
    (lambda x, a, p: (*cell(x, a, p)[:2], (x, a)), "cache"),
    (lambda x, a, p: cell(x, a, {**p, "Wax": p["Wax"].T}), "transposed"),
    (lambda x, a, p: cell(x, 0 * a, p), "a_prev is not used"),
    (lambda x, a, p: cell(x @ x.T @ x, a, p), "the xt term is wrong"),
])
def test_cell_forward_mistakes(fn, match):
    fails(checks.check_rnn_cell_forward, fn, match)


# --- exercise 4: the forward loop -----------------------------------------------------------

def loop(x, a0, p, carry=True, use_a0=True, cell_fn=R.rnn_cell_forward):
    a, y, caches = [], [], []
    a_prev = a0 if use_a0 else np.zeros_like(a0)
    for t in range(x.shape[2]):
        a_next, yt, cache = cell_fn(x[:, :, t], a_prev if carry or t == 0 else a0, p)
        a_prev = a_next
        a.append(a_next)
        y.append(yt)
        caches.append(cache)
    return np.stack(a, axis=2), np.stack(y, axis=2), caches


def test_rnn_forward_reference_passes(capsys):
    checks.check_rnn_forward(R.rnn_forward_by_cells)
    checks.check_rnn_forward(loop)
    assert capsys.readouterr().out.count("all checks passed") == 2


def in_place_loop(x, a0, p):
    x *= 1.0 + 0 * x
    x[0, 0, 0] += 1
    x[0, 0, 0] -= 1.0 - 1e-3
    return loop(x, a0, p)


@pytest.mark.parametrize("fn, match", [
    (lambda x, a0, p: loop(x, a0, p, use_a0=False), "a0 is ignored"),
    (lambda x, a0, p: loop(x, a0, p, carry=False), "not carried forward"),
    (lambda x, a0, p: (loop(x, a0, p)[0][:, :, ::-1], *loop(x, a0, p)[1:]), "another step"),
    (lambda x, a0, p: (loop(x, a0, p)[0].transpose(1, 0, 2), *loop(x, a0, p)[1:]),
     r"shape \(n_a, m, T_x\)"),
    (lambda x, a0, p: (loop(x, a0, p)[0], loop(x, a0, p)[1][:, :, ::-1], loop(x, a0, p)[2]),
     r"y_pred\[:, :, 0\] is wrong"),
    (lambda x, a0, p: (*loop(x, a0, p)[:2], loop(x, a0, p)[2][-1]), "list of the T_x"),
    (in_place_loop, "modified its argument x"),
    (lambda x, a0, p: loop(x, a0, p, cell_fn=lambda *args: cell(*args, bias=False)),
     r"a\[:, :, 0\] \(step t = 0"),
])
def test_rnn_forward_mistakes(fn, match):
    fails(checks.check_rnn_forward, fn, match)


# --- exercise 5: the cell backward ----------------------------------------------------------

def cell_backward(da_next, cache, deriv="a_next", transpose=True, dWaa_with="a_prev",
                  dba="sum", dxt_scale=1.0):
    a_next, a_prev, xt, p = cache
    d = {"a_next": 1 - a_next**2, "a_prev": 1 - a_prev**2, "none": 1.0}[deriv]
    dz = da_next * d
    dba_value = {"sum": dz.sum(axis=1, keepdims=True), "mean": dz.mean(axis=1, keepdims=True),
                 "flat": dz.sum(axis=1), "none": dz}[dba]
    return {"dxt": dxt_scale * p["Wax"].T @ dz,
            "da_prev": (p["Waa"].T if transpose else p["Waa"]) @ dz,
            "dWax": dz @ xt.T, "dWaa": dz @ (a_prev if dWaa_with == "a_prev" else a_next).T,
            "dba": dba_value}


def test_cell_backward_reference_passes(capsys):
    checks.check_rnn_cell_backward(R.rnn_cell_backward)
    checks.check_rnn_cell_backward(cell_backward, forward=R.rnn_cell_forward)
    assert capsys.readouterr().out.count("all checks passed") == 2


def in_place_backward(da_next, cache):
    da_next *= 1 - cache[0] ** 2
    return cell_backward(da_next / (1 - cache[0] ** 2), cache)


@pytest.mark.parametrize("fn, match", [
    (lambda d, c: cell_backward(d, c, deriv="none"), "tanh derivative is missing"),
    (lambda d, c: cell_backward(d, c, deriv="a_prev"), "taken at a_prev"),
    (lambda d, c: cell_backward(d, c, transpose=False), r"da_prev is wrong: .*Waa\.T"),
    (lambda d, c: cell_backward(d, c, dWaa_with="a_next"), "dWaa is wrong: .*a_prev"),
    (lambda d, c: cell_backward(d, c, dba="mean"), "dba is wrong: sum"),
    (lambda d, c: cell_backward(d, c, dba="flat"), "keepdims"),
    (lambda d, c: cell_backward(d, c, dba="none"), "Sum dz over the m examples"),
    (lambda d, c: cell_backward(d, c, dxt_scale=0.5), r"dxt is wrong: relative error"),
    (lambda d, c: {k: v for k, v in cell_backward(d, c).items() if k != "dba"}, "missing dba"),
    (in_place_backward, "modified its argument da_next in place"),
    (lambda d, c: {**cell_backward(d, c), "dWax": c[2] @ d.T}, r"dWax should have shape"),
])
def test_cell_backward_mistakes(fn, match):
    fails(checks.check_rnn_cell_backward, fn, match)


# --- exercise 6: backpropagation through time -----------------------------------------------

def bptt(da, caches, carry=True, accumulate=True, return_da0=True):
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = R.rnn_cell_backward(da[:, :, t] + (da_prev if carry else 0), caches[t])
        grads["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] = grads[key] + step[key] if accumulate else step[key]
    grads["da0"] = da_prev if return_da0 else np.zeros_like(da_prev)
    return grads


def in_place_bptt(da, caches):
    grads = bptt(da, caches)
    da[:] = 0
    return grads


def test_rnn_backward_reference_passes(capsys):
    checks.check_rnn_backward(R.rnn_backward_by_cells)
    checks.check_rnn_backward(bptt)
    assert capsys.readouterr().out.count("all checks passed") == 2


@pytest.mark.parametrize("fn, match", [
    (lambda da, c: bptt(da, c, carry=False), "not added"),
    (lambda da, c: bptt(da, c, accumulate=False), "dWax is wrong: it holds only step t = 0"),
    (lambda da, c: bptt(da, c, return_da0=False), "da0 is wrong: it is all zero"),
    (in_place_bptt, "modified its argument da in place"),
    (lambda da, c: {**bptt(da, c), "dx": bptt(da, c)["dx"][:, :, ::-1]}, "dx is wrong"),
    (lambda da, c: {**bptt(da, c), "dWaa": 1.001 * bptt(da, c)["dWaa"]}, "dWaa is wrong"),
    (lambda da, c: {**bptt(da, c), "dx": bptt(da, c)["dx"].transpose(1, 0, 2)},
     r"dx should have shape \(n_x, m, T_x\)"),
])
def test_rnn_backward_mistakes(fn, match):
    fails(checks.check_rnn_backward, fn, match)


def gradient_check(backward, x, a0, params, da, eps=1e-5, centred=True, restore=True,
                   honest=True):
    """The learner's checker of exercise 6, with switchable mistakes."""
    _, _, caches = R.rnn_forward_by_cells(x, a0, params)
    grads = backward(da, caches)
    arrays = {"dx": x, "da0": a0, "dWax": params["Wax"], "dWaa": params["Waa"],
              "dba": params["ba"]}
    errors = {}
    for key, value in arrays.items():
        numeric = np.zeros(value.shape)
        for i in np.ndindex(value.shape):
            saved = value[i]
            value[i] = saved + eps
            plus = np.sum(da * R.rnn_forward_by_cells(x, a0, params)[0])
            value[i] = saved - eps if centred else saved
            minus = np.sum(da * R.rnn_forward_by_cells(x, a0, params)[0])
            value[i] = saved if restore else saved + eps
            numeric[i] = (plus - minus) / (2 * eps if centred else eps)
        errors[key] = R.rel_error(grads[key], numeric)
    if not honest:
        errors = {key: 0.0 for key in errors}
    return errors


def test_bptt_gradient_check_reference_passes(capsys):
    checks.check_bptt_gradient_check(gradient_check)
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn, match", [
    (lambda *args: gradient_check(*args, honest=False), "did not notice a wrong dx"),
    (lambda *args: gradient_check(*args, centred=False), "you report .* relative error"),
    (lambda *args: gradient_check(*args, restore=False), "modified its argument"),
    (lambda *args: dict(zip(checks.backward.SEQ_KEYS[::-1], gradient_check(*args).values(),
                            strict=True)), "did not notice"),
    (lambda *args: list(gradient_check(*args).values()), "dict of relative errors"),
])
def test_bptt_gradient_check_mistakes(fn, match):
    fails(checks.check_bptt_gradient_check, fn, match)


# --- exercise 7: clipping and sampling ------------------------------------------------------

def global_norm(grads):
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


def in_place_clip(grads, max_norm):
    norm = global_norm(grads)
    for g in grads.values():
        g *= min(1.0, max_norm / norm) if norm else 1.0
    return grads, norm


def test_clip_reference_passes(capsys):
    checks.check_clip_by_global_norm(R.clip_by_global_norm)
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn, match", [
    (lambda g, c: ({k: np.clip(v, -c, c) for k, v in g.items()}, global_norm(g)),
     "each entry was clipped"),
    (lambda g, c: ({k: v * min(1, c / np.linalg.norm(v)) for k, v in g.items()},
                   global_norm(g)), "its own norm"),
    (in_place_clip, "modified its argument grads"),
    (lambda g, c: (R.clip_by_global_norm(g, c)[0], c), "before clipping"),
    (lambda g, c: ({k: v * c / global_norm(g) for k, v in g.items()}, global_norm(g)),
     "unchanged|NaN"),
    (lambda g, c: ({k: v * c / np.sqrt(sum(np.sum(w**2) for w in g.values()))
                    for k, v in g.items()}, global_norm(g)) if global_norm(g) > c else (g, 0.0)
     if global_norm(g) == 0 else ({k: v * c / global_norm(g) for k, v in g.items()}, 1.0),
     "unchanged"),
    (lambda g, c: ({k: v / global_norm(g) for k, v in g.items()}, global_norm(g)),
     "unchanged|NaN"),
    (lambda g, c: ({**R.clip_by_global_norm(g, c)[0], "dby": g["dby"]}, global_norm(g)),
     "direction changed"),
    (lambda g, c: R.clip_by_global_norm(g, c)[0], "two values"),
])
def test_clip_mistakes(fn, match):
    fails(checks.check_clip_by_global_norm, fn, match)


def sample(params, n, start, temperature=1.0, seed=0, greedy=False, feed_back=True,
           carry=True, direction=1, seeded=True, length=0):
    """A learner-style sampler (written separately from rnnlesson's) with switchable mistakes."""
    rng = np.random.default_rng(seed if seeded else None)
    n_y, n_a = params["Wya"].shape
    a, ids, symbol = np.zeros((n_a, 1)), [], start
    for _ in range(n + length):
        x = np.zeros((n_y, 1))
        x[symbol if feed_back else start] = 1.0
        a, p, _ = R.rnn_cell_forward(x, a if carry else np.zeros((n_a, 1)), params)
        z = np.log(p[:, 0]) / temperature ** direction
        q = np.exp(z - z.max())
        symbol = int(np.argmax(q)) if greedy else int(rng.choice(n_y, p=q / q.sum()))
        ids.append(symbol)
    return np.array(ids)


def test_sample_reference_passes(capsys):
    checks.check_sample(sample)
    checks.check_sample(lambda p, n, s, t=1.0, seed=0: R.sample(p, n, s, temperature=t,
                                                                 seed=seed))
    assert capsys.readouterr().out.count("all checks passed") == 2


@pytest.mark.parametrize("fn, match", [
    (lambda *args: sample(*args, greedy=True), "argmax"),
    (lambda *args: sample(*args, seeded=False), "same seed"),
    (lambda p, n, s, t=1.0, seed=0: sample(p, n, s, 1.0, seed), "no effect"),
    (lambda *args: sample(*args, direction=-1), "backwards"),
    (lambda *args: sample(*args, feed_back=False), "read the start symbol again"),
    (lambda *args: sample(*args, carry=False), "Carry the hidden state"),
    (lambda *args: sample(*args, length=1), r"shape \(n,\)"),
    (lambda *args: sample(*args).astype(float), "integers"),
    (lambda p, n, s, t=1.0, seed=0: (p.__setitem__("by", p["by"] + 1), sample(p, n, s, t,
                                                                                seed))[1],
     "modified its argument params"),
])
def test_sample_mistakes(fn, match):
    fails(checks.check_sample, fn, match)


# --- exercise 8: sentiment ------------------------------------------------------------------

def test_predict_reference_passes(capsys):
    checks.check_predict(reference_predict)
    assert "all checks passed" in capsys.readouterr().out


def predict_after_padding(params, ids, lengths):
    return reference_predict(params, ids, np.full(len(lengths), ids.shape[1]))


@pytest.mark.parametrize("fn, match", [
    (predict_after_padding, "after the padding"),
    (lambda p, i, n: 1 - reference_predict(p, i, n), "flipped"),
    (lambda p, i, n: reference_predict(p, i, n).astype(float), "ints"),
    (lambda p, i, n: reference_predict(p, i, n)[None, :], r"shape \(m,\)"),
    (lambda p, i, n: reference_predict({**p, "Waa": p["Waa"].T}, i, n), "labels differ"),
])
def test_predict_mistakes(fn, match):
    fails(checks.check_predict, fn, match)


def test_held_out_accuracy_threshold():
    _, _, _, vocab = R.sentiment_arrays(R.load_sentiment("train"))
    untrained = R.init_params(vocab.size, 4, 2, seed=0)
    untrained["by"] = np.array([[5.0], [0.0]])  # always "negative": about half right
    with pytest.raises(AssertionError, match="below 0.75"):
        checks.check_held_out_accuracy(reference_predict, untrained, vocab, 0.75)
    accuracy = checks.check_held_out_accuracy(reference_predict, untrained, vocab, 0.1)
    assert 0.3 < accuracy < 0.7
    with pytest.raises(AssertionError, match="n_x"):
        checks.check_held_out_accuracy(reference_predict, R.init_params(3, 4, 2), vocab, 0.1)


# --- messages that hold for every check -----------------------------------------------------

def not_written(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [
    checks.check_build_vocabulary, checks.check_one_hot_sentence, checks.check_encode_batch,
    checks.check_rnn_cell_forward, checks.check_rnn_forward, checks.check_rnn_cell_backward,
    checks.check_rnn_backward, checks.check_bptt_gradient_check,
    checks.check_clip_by_global_norm, checks.check_sample, checks.check_predict,
])
def test_an_unwritten_function_is_named(check):
    fails(check, not_written, "not written yet")


def test_an_unwritten_task_shapes_is_named():
    fails(checks.check_task_shapes, not_written, "not written yet", "speech")


def test_a_crash_shows_the_shapes_and_a_hint():
    def crash(xt, a_prev, p):  # Wax (n_a, n_x) @ xt.T (m, n_x) cannot be multiplied
        return cell(xt.T, a_prev, p)
    fails(checks.check_rnn_cell_forward, crash, r"raised ValueError(.|\n)*xt \(n_x, m\)")


# --- exercise 9: truncated BPTT -------------------------------------------------------------

def truncated(da, caches, k, cut=None):
    cut = cut or (lambda t: t % k == 0 and t > 0)
    return cut_bptt(da, caches, cut)


def test_truncated_reference_passes(capsys):
    checks.check_rnn_backward_truncated(truncated)
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn, match", [
    (lambda da, c, k: R.rnn_backward_by_cells(da, c), "nothing was cut"),
    (lambda da, c, k: truncated(da, c, k, lambda t: (da.shape[2] - t) % k == 0),
     "counted from the end"),
    (lambda da, c, k: truncated(da, c, k, lambda t: (t + 1) % k == 0 and t + 1 < da.shape[2]),
     "one step off"),
    (lambda da, c, k: truncated(da, c, k, lambda t: t % k == 0), "da0 is zero"),
    (lambda da, c, k: {**truncated(da, c, k), "dWax": 2 * truncated(da, c, k)["dWax"]},
     "dWax is wrong"),
    (lambda da, c, k: {**truncated(da, c, k), "dx": truncated(da, c, k)["dx"][:, :, ::-1]},
     "k = 3"),
])
def test_truncated_mistakes(fn, match):
    fails(checks.check_rnn_backward_truncated, fn, match)
