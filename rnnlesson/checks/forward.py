"""Check of exercise 3: one step of the cell, forward (the loop over a sequence, exercise 4,
is in `loop`).

    a_t = tanh(Waa a_{t-1} + Wax x_t + ba),   ŷ_t = softmax(Wya a_t + by)

Wrong terms are found by zeroing all inputs but one: with a_{t-1} = 0 and ba = 0 only the
Wax x_t term is left, with x_t = 0 and ba = 0 only Waa a_{t-1}, with both zero only ba.
"""

import numpy as np

from rnnlesson.checks._common import (
    CheckFailure,
    assert_returns,
    assert_shape,
    call_on_copies,
    check_cache_tuple,
    close,
    error_text,
    example_params,
    mistake,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.checks._differential import Extreme, Spec, Stage, differential, numbers, probe
from rnnlesson.rnn import softmax

NAME_CELL = "rnn_cell_forward"


def run_cell(fn, xt, a_prev, params):
    """Call fn on copies of its inputs; check what it returns and that nothing changed."""
    n_x, m = xt.shape
    n_a, n_y = params["Waa"].shape[0], params["Wya"].shape[0]
    args = {"xt": xt.copy(), "a_prev": a_prev.copy(), "params": snapshot(params)}
    sizes = f"xt (n_x, m) = {xt.shape}, a_prev (n_a, m) = {a_prev.shape}, n_y = {n_y}"
    result = call_on_copies(fn, NAME_CELL, args, sizes, "Wax (n_a, n_x) multiplies xt (n_x, m); "
                            "Waa (n_a, n_a) multiplies a_prev.")
    a_next, yt_pred, cache = assert_returns(NAME_CELL, result, 3, "a_next, yt_pred, cache")
    assert_shape(NAME_CELL, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(NAME_CELL, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return a_next, yt_pred, cache


def check_term(fn, context, got, params, term, other, letter, value):
    """got should be tanh(params[term] @ value), the only term left; name the usual mix-ups.

    context: which inputs were zeroed; other: the other weight's name; letter: value's name.
    """
    W, expected = params[term], np.tanh(params[term] @ value)
    if close(got, expected):
        return
    if np.allclose(got, 0.0):
        raise mistake(NAME_CELL, f"{letter.replace('_', '-')}-not-used",
                      f"{NAME_CELL}: {context}, a_next came out zero, so {letter} is not used. "
                      f"Add the term {term} @ {letter}.")
    if params[other].shape == W.shape and close(got, np.tanh(params[other] @ value)):
        raise mistake(NAME_CELL, "weights-swapped", f"{NAME_CELL}: Wax and Waa are swapped: "
                      "Wax multiplies xt (the input), Waa multiplies a_prev (the previous "
                      "state).")
    if W.shape[0] == W.shape[1] and close(got, np.tanh(W.T @ value)):
        raise mistake(NAME_CELL, f"{term.lower()}-transposed",
                      f"{NAME_CELL}: {context}, a_next equals tanh({term}.T @ {letter}): {term} "
                      f"is used transposed; write {term} @ {letter}.")
    general(fn)
    raise mistake(NAME_CELL, f"{letter.replace('_', '-')}-term-wrong",
                  f"{NAME_CELL}: the {letter} term is wrong. {context}, a_next should be "
                  f"tanh({term} @ {letter}), but it differs ({error_text(got, expected)}).")


def check_cell_values(fn, n_x, n_a, n_y, m, seed):
    """Isolate each term of the cell, then check the whole step and its prediction."""
    xt, a_prev, params = cell_example(n_x, n_a, n_y, m, seed)
    a_next, yt_pred, cache = run_cell(fn, xt, a_prev, params)

    z = params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"]
    if close(a_next, z):
        raise mistake(NAME_CELL, "tanh-missing", f"{NAME_CELL}: a_next equals Waa a_prev + Wax "
                      "xt + ba: tanh is not applied. a_next = np.tanh(...).")
    for other, activation in (("the sigmoid 1 / (1 + exp(-z))", 1 / (1 + np.exp(-z))),
                              ("ReLU max(z, 0)", np.maximum(z, 0))):
        if close(a_next, activation):
            raise mistake(NAME_CELL, "not-tanh", f"{NAME_CELL}: a_next is {other} of "
                          "z = Waa a_prev + Wax xt + ba; the RNN cell uses tanh: "
                          "a_next = np.tanh(z).")

    zeros_x, zeros_a = np.zeros((n_x, m)), np.zeros((n_a, m))
    got, _, _ = run_cell(fn, zeros_x, zeros_a, params)
    expected = np.tanh(params["ba"]) * np.ones((1, m))
    if not close(got, expected):
        if np.allclose(got, 0.0):
            raise mistake(NAME_CELL, "bias-missing", f"{NAME_CELL}: the bias ba is missing: "
                          "with xt = 0 and a_prev = 0, a_next should be tanh(ba) in every "
                          "column, but it came out zero.")
        if close(got, params["ba"] * np.ones((1, m))):
            raise mistake(NAME_CELL, "tanh-not-on-bias", f"{NAME_CELL}: with xt = 0 and "
                          "a_prev = 0 a_next equals ba: tanh is not applied to the whole sum.")
        general(fn)
        raise mistake(NAME_CELL, "bias-wrong", f"{NAME_CELL}: with xt = 0 and a_prev = 0, "
                      "a_next should be tanh(ba) in every column; it differs "
                      f"({error_text(got, expected)}). Check how the bias ba (n_a, 1) is "
                      "added.")

    no_bias = {**params, "ba": np.zeros((n_a, 1))}
    got, _, _ = run_cell(fn, xt, zeros_a, no_bias)
    check_term(fn, "With a_prev = 0 and ba = 0", got, params, "Wax", "Waa", "xt", xt)
    got, _, _ = run_cell(fn, zeros_x, a_prev, no_bias)
    check_term(fn, "With xt = 0 and ba = 0", got, params, "Waa", "Wax", "a_prev", a_prev)

    if not close(a_next, np.tanh(z)):
        general(fn)
        raise mistake(NAME_CELL, "terms-not-summed", f"{NAME_CELL}: each term is right on its "
                      "own but the whole step is not: a_next = tanh(Waa @ a_prev + Wax @ xt + "
                      f"ba) ({error_text(a_next, np.tanh(z))}).")
    check_prediction(fn, NAME_CELL, yt_pred, a_next, a_prev, params)
    check_cache(cache, a_next, a_prev, xt, params)


def check_prediction(fn, name, y_pred, a, a_before, params):
    """y_pred (n_y, m) should be softmax(Wya a + by), the columns summing to 1."""
    logits = params["Wya"] @ a + params["by"]
    if close(y_pred, logits) or close(y_pred, np.exp(logits)):
        raise mistake(name, "softmax-missing", f"{name}: yt_pred equals Wya @ a_next + by"
                      f"{'' if close(y_pred, logits) else ' exponentiated'}: apply softmax, "
                      "so that each column is a probability distribution over the n_y "
                      "classes.")
    for axis, over in ((1, "each row sums to 1, over the m examples"),
                       (None, "the whole array sums to 1")):
        e = np.exp(logits - logits.max(axis=axis, keepdims=True))
        if y_pred.shape[0] > 1 and close(y_pred, e / e.sum(axis=axis, keepdims=True)):
            raise mistake(name, "softmax-wrong-axis", f"{name}: softmax is taken over the "
                          f"wrong axis: {over}. Normalise each column (one example) over the "
                          "n_y classes: axis=0.")
    expected = softmax(params["Wya"] @ a + params["by"])
    if close(y_pred, expected):
        return
    if close(y_pred, softmax(params["Wya"] @ a)):
        raise mistake(name, "output-bias-missing", f"{name}: the output bias by is missing: "
                      "yt_pred = softmax(Wya @ a_next + by).")
    if close(y_pred, softmax(params["Wya"] @ a_before + params["by"])):
        raise mistake(name, "prediction-from-a-prev", f"{name}: yt_pred is computed from "
                      "a_prev; the prediction reads the new state: softmax(Wya @ a_next + by).")
    general(fn)
    raise mistake(name, "prediction-wrong", f"{name}: yt_pred should be softmax(Wya @ a_next "
                  f"+ by) ({error_text(y_pred, expected)}).")


def check_cache(cache, a_next, a_prev, xt, params):
    """The cache is (a_next, a_prev, xt, params), the tuple rnn_cell_backward reads."""
    check_cache_tuple(NAME_CELL, cache, [("a_next", a_next), ("a_prev", a_prev), ("xt", xt)],
                      "Wax", "rnn_cell_backward")


@one_message(NAME_CELL)
def check_rnn_cell_forward_shapes(rnn_cell_forward):
    """Check the shapes rnn_cell_forward returns on a case where every size differs.

    A crash there (a transposed weight cannot be multiplied) is explained by running the cell
    on a square case (n_x = n_a), where the same mistake computes something and is named.
    """
    try:
        run_cell(rnn_cell_forward, *cell_example(n_x=3, n_a=5, n_y=2, m=4, seed=1))
    except CheckFailure as failure:
        if not failure.mistake.endswith("/raises-error"):
            raise
        try:
            check_cell_values(rnn_cell_forward, n_x=4, n_a=4, n_y=2, m=3, seed=1)
        except CheckFailure as named:
            if not named.mistake.endswith("/raises-error"):
                raise named from None
        raise
    passed(f"{NAME_CELL} shapes")


def cell_example(n_x, n_a, n_y, m, seed):
    """xt (n_x, m), a_prev (n_a, m) and params, all drawn from seed."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), example_params(n_x, n_a, n_y,
                                                                                  seed=seed)


@one_message(NAME_CELL)
def check_rnn_cell_forward(rnn_cell_forward):
    """Check a learner's rnn_cell_forward(xt, a_prev, params) -> (a_next, yt_pred, cache).

    Runs it on a square case (n_x = n_a, where swapped weights do not crash) and a rectangular
    one; checks shapes, inputs left unchanged, each term of the update found by zeroing the
    other inputs, tanh, softmax over the classes, and the cache.
    """
    check_cell_values(rnn_cell_forward, n_x=4, n_a=4, n_y=2, m=3, seed=1)
    check_cell_values(rnn_cell_forward, n_x=3, n_a=5, n_y=2, m=4, seed=2)
    general(rnn_cell_forward)
    passed(NAME_CELL)


def build_cell(sizes, rng, simple):
    """The inputs of one step: xt (n_x, m), a_prev (n_a, m), params (for the general check)."""
    n_x, n_a, n_y, m = sizes["n_x"], sizes["n_a"], sizes["n_y"], sizes["m"]
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((n_y, n_a)), "by": draw((n_y, 1))}
    return {"xt": draw((n_x, m)), "a_prev": draw((n_a, m)), "params": params}


def reference_cell(xt, a_prev, params):
    a_next = np.tanh(params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"])
    return {"a_next": a_next, "yt_pred": softmax(params["Wya"] @ a_next + params["by"])}


def read_cell(result, inputs):
    n_x, m = inputs["xt"].shape
    n_a, n_y = inputs["params"]["Waa"].shape[0], inputs["params"]["Wya"].shape[0]
    a_next, yt_pred, _ = assert_returns(NAME_CELL, result, 3, "a_next, yt_pred, cache")
    assert_shape(NAME_CELL, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(NAME_CELL, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return {"a_next": a_next, "yt_pred": yt_pred}


def large_logits(inputs):
    """Logits Wya a_next + by of about 1000 (a_next is within [-1, 1])."""
    params = inputs["params"]
    inputs["params"] = {**params, "Wya": 1000 * params["Wya"], "by": 1000 * params["by"]}
    return inputs


def logits_apart(inputs, zeroed):
    """Two examples whose logits lie thousands apart: the first example's with Wya times
    10,000, and a second whose state is 0 (its inputs 0, zeroed biases 0), so that all its
    logits are 0 (by = 0). A softmax shifted by one maximum for the whole array, not each
    column's, then has a column of exp(...) = 0 and divides 0 by 0."""
    params = {**inputs["params"], "Wya": 10_000 * inputs["params"]["Wya"]}
    params["by"] = np.zeros_like(params["by"])
    for key in zeroed:
        params[key] = np.zeros_like(params[key])
    def two(v):
        return np.concatenate([v[:, :1], np.zeros_like(v[:, :1])], axis=1)
    return {**inputs, **{k: two(v) for k, v in inputs.items() if k != "params"},
            "params": params}


def softmax_extremes(biases):
    """The output layer's softmax at the edge of float64: large logits, and two examples
    whose logits lie thousands apart (biases: the state's biases zeroed for the second)."""
    return [Extreme("with large logits (Wya and by times 1000)", large_logits, "overflow",
                    "np.exp overflows to inf above about 709, and inf / inf is NaN. Subtract "
                    "each column's largest logit before np.exp (softmax(z) = softmax(z - max "
                    "z)), or use the given softmax."),
            Extreme("with two examples whose logits lie thousands apart",
                    lambda inputs: logits_apart(inputs, biases), "overflow",
                    "Subtract each column's own largest logit (z.max(axis=0, keepdims=True)): "
                    "with one shift for the whole array, a column whose logits lie far below "
                    "it gets exp(...) = 0 everywhere, and 0 / 0 is NaN. Or use the given "
                    "softmax.")]


STATE = frozenset({"wax", "waa", "ba", "tanh"})
PREDICTION = frozenset({"wya", "by", "softmax"})
SPEC = Spec(
    NAME_CELL, {"n_x": (1, 4), "n_a": (1, 4), "n_y": (1, 4), "m": (1, 3)},
    build_cell, reference_cell, read_cell,
    terms={"wax": "the term Wax xt", "waa": "the term Waa a_prev", "ba": "the bias ba",
           "tanh": "the activation tanh(Waa a_prev + Wax xt + ba)",
           "wya": "the prediction's Wya a_next", "by": "the output bias by",
           "softmax": "the softmax over the n_y classes of each column"},
    depends={"a_next": STATE, "yt_pred": STATE | PREDICTION},
    probes=[probe("with a_prev = 0 and ba = 0", {"wax", "tanh"} | PREDICTION,
                  "a_prev", "params.ba"),
            probe("with xt = 0 and ba = 0", {"waa", "tanh"} | PREDICTION, "xt", "params.ba"),
            probe("with xt = 0 and a_prev = 0", {"ba", "tanh"} | PREDICTION, "xt", "a_prev"),
            probe("with ba = 0", {"wax", "waa", "tanh"} | PREDICTION, "params.ba"),
            probe("with Wya = 0", STATE | {"by", "softmax"}, "params.Wya"),
            probe("with by = 0", STATE | {"wya", "softmax"}, "params.by"),
            # both off: softmax(0) is uniform whatever combines them, so a wrong sum of
            # Wya a_next and by agrees here and a wrong softmax does not
            probe("with Wya = 0 and by = 0", STATE | {"softmax"}, "params.Wya", "params.by")],
    hint="Wax (n_a, n_x) multiplies xt (n_x, m); Waa (n_a, n_a) multiplies a_prev.",
    batch={"xt": 1, "a_prev": 1},
    stages=[Stage("a_next", "Waa a_prev + Wax xt + ba",
                  lambda i, e: i["params"]["Waa"] @ i["a_prev"] + i["params"]["Wax"] @ i["xt"]
                  + i["params"]["ba"], "tanh", np.tanh),
            Stage("yt_pred", "Wya a_next + by",
                  lambda i, e: i["params"]["Wya"] @ e["a_next"] + i["params"]["by"],
                  "softmax", softmax, note="only a_next gets tanh")],
    extremes=softmax_extremes(("ba",)))


def general(fn):
    """The general check (random cases, the smallest failing one, the term at fault)."""
    differential(SPEC, fn)
