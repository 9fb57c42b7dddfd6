"""Checks of exercises 10 and 11: one LSTM step, forward and backward.

    Γ_f = σ(Wf [a_{t-1}; x_t] + bf),  Γ_i = σ(Wi [...] + bi),  c̃_t = tanh(Wc [...] + bc),
    Γ_o = σ(Wo [...] + bo),  c_t = Γ_f ⊙ c_{t-1} + Γ_i ⊙ c̃_t,  a_t = Γ_o ⊙ tanh(c_t)

A wrong answer is named by recomputing the step with one usual mistake built in (the gates
swapped, tanh on a gate, no forget gate, ...) and finding the one the learner's values match;
the cases have n_x != n_a and biases far from zero, so that each mistake changes the values.
"""

import re

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    assert_shape,
    call_on_copies,
    check_cache_tuple,
    close,
    error_text,
    lecture_shapes,
    mistake,
    one_message,
    passed,
    snapshot,
)
from rnnlesson.gated import sigmoid
from rnnlesson.rnn import softmax

FORWARD, BACKWARD = "lstm_cell_forward", "lstm_cell_backward"
GATES = ("f", "i", "c", "o")


def lstm_example(n_x, n_a, n_y, m, seed):
    """xt (n_x, m), a_prev, c_prev (n_a, m) and LSTM params with biases well away from zero."""
    rng = np.random.default_rng(seed)
    params = {}
    for g in GATES:
        params[f"W{g}"] = rng.normal(0, 0.6, (n_a, n_a + n_x))
        params[f"b{g}"] = rng.normal(0, 1.0, (n_a, 1))
    params["Wya"], params["by"] = rng.normal(0, 0.6, (n_y, n_a)), rng.normal(0, 1.0, (n_y, 1))
    return rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m)), params


def step(xt, a_prev, c_prev, params, slip=None, concat=None):
    """One LSTM step, right (slip None) or with one usual mistake built in; concat: the
    column every gate reads, if not [a_prev; xt].
    Returns a_next, c_next, yt_pred and the gates ft, it, cct, ot (each (n_a, m))."""
    if concat is None:
        concat = np.concatenate([xt, a_prev] if slip == "stacked-wrong-order"
                                else [a_prev, xt])

    def z(g):
        return params[f"W{g}"] @ concat + params[f"b{g}"]

    act = {g: (np.tanh if slip == f"tanh-on-gamma-{g}" else sigmoid) for g in "fio"}
    ft, it, ot = act["f"](z("f")), act["i"](z("i")), act["o"](z("o"))
    cct = sigmoid(z("c")) if slip == "sigmoid-on-candidate" else np.tanh(z("c"))
    if slip == "gates-swapped":
        ft, it = it, ft
    c_next = ((c_prev if slip == "no-forget-gate" else ft * c_prev)
              + (cct if slip == "no-input-gate" else it * cct))
    a_next = ot * (c_next if slip == "a-without-tanh" else
                   np.tanh(c_prev if slip == "a-from-c-prev" else c_next))
    if slip == "a-without-output-gate":
        a_next = np.tanh(c_next)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"])
    return a_next, c_next, yt_pred, (ft, it, cct, ot)


FORWARD_SLIPS = {
    "gates-swapped": "the forget and input gates are swapped: c_t = Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t, "
                     "Γ_f (from Wf, bf) multiplies the old memory c_prev, Γ_i (from Wi, bi) the "
                     "candidate.",
    "tanh-on-gamma-f": "the forget gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_f = sigmoid(Wf @ concat + bf).",
    "tanh-on-gamma-i": "the input gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_i = sigmoid(Wi @ concat + bi).",
    "tanh-on-gamma-o": "the output gate uses tanh; a gate is a sigmoid, between 0 and 1: "
                       "Γ_o = sigmoid(Wo @ concat + bo).",
    "sigmoid-on-candidate": "the candidate uses the sigmoid; it is a tanh, between -1 and 1: "
                            "c̃_t = tanh(Wc @ concat + bc).",
    "no-forget-gate": "c_next adds to c_prev without the forget gate: c_t = Γ_f ⊙ c_prev + "
                      "Γ_i ⊙ c̃_t.",
    "no-input-gate": "c_next adds the candidate without the input gate: c_t = Γ_f ⊙ c_prev + "
                     "Γ_i ⊙ c̃_t.",
    "a-without-tanh": "a_next is Γ_o ⊙ c_next: tanh is missing. a_t = Γ_o ⊙ tanh(c_t).",
    "a-from-c-prev": "a_next reads the old memory: a_t = Γ_o ⊙ tanh(c_t), with the c_next this "
                     "step computed, not c_prev.",
    "a-without-output-gate": "a_next is tanh(c_next): the output gate is missing. "
                             "a_t = Γ_o ⊙ tanh(c_t).",
    "stacked-wrong-order": "the column is stacked as [xt; a_prev]; the weights read "
                           "[a_prev; xt]: np.concatenate([a_prev, xt]) (a_prev on top).",
}


def other_columns(xt, a_prev, c_prev):
    """{label: column} of the (n_a + n_x, m) columns a learner may stack from what the step
    is given, other than [a_prev; xt]: the memory for the state, an input left out (zeros),
    the parts in the other order, one array twice."""
    parts = {"a_prev": a_prev, "c_prev": c_prev, "xt": xt,
             "zeros (n_a, m)": np.zeros_like(a_prev), "zeros (n_x, m)": np.zeros_like(xt),
             "a_prev + c_prev": a_prev + c_prev}
    n_a, n_x = a_prev.shape[0], xt.shape[0]
    found = {}
    for top, top_value in parts.items():
        for bottom, bottom_value in parts.items():
            if (top, bottom) == ("a_prev", "xt") or top == bottom == "xt" \
                    or top_value.shape[0] + bottom_value.shape[0] != n_a + n_x:
                continue
            found[f"[{top}; {bottom}]"] = np.concatenate([top_value, bottom_value])
    return found


def shared_column(xt, a_prev, c_prev, params, a_next, c_next):
    """The label of the column every gate of the learner read, when the step with that
    column in place of [a_prev; xt] gives their a_next and c_next; None otherwise."""
    for label, column in other_columns(xt, a_prev, c_prev).items():
        wrong = step(xt, a_prev, c_prev, params, concat=column)
        if close(a_next, wrong[0]) and close(c_next, wrong[1]):
            return label
    return None


def bias_shape(error, line):
    """A broadcasting error: a gate's W multiplied element by element (`Wf * concat`), or a
    bias whose shape was changed (numpy names a 1-d shape such as (5,))."""
    if "broadcast" not in str(error):
        return None
    weight = re.search(r"\b(W[fico])\b\W{0,2}\s*\*(?!\*)", line)
    if weight:
        name = weight.group(1)
        return ("elementwise-product", f"`{line}`: {name} * concat multiplies element by "
                f"element; a gate needs the matrix product {name} @ concat, (n_a, n_a + n_x) "
                "times the stacked column [a_prev; xt] (n_a + n_x, m).")
    bias = re.search(r"\bb[fico]\b", line)
    if re.search(r"\(\d+,\)", str(error)) and bias:
        return ("bias-shape", "a bias was used with a shape other than (n_a, 1) (numpy could "
                f"not broadcast it against (n_a, m)): `{line}`. Add params['{bias.group(0)}'] "
                "(n_a, 1) as it is: it is added to every column.")
    return None


def run_forward(fn, xt, a_prev, c_prev, params):
    """Call the learner's lstm_cell_forward on copies; check what it returns."""
    n_x, m = xt.shape
    n_a, n_y = a_prev.shape[0], params["Wya"].shape[0]
    args = {"xt": xt.copy(), "a_prev": a_prev.copy(), "c_prev": c_prev.copy(),
            "params": snapshot(params)}
    sizes = (f"xt (n_x, m) = {xt.shape}, a_prev and c_prev (n_a, m) = {a_prev.shape}, "
             f"n_y = {n_y}")
    result = call_on_copies(fn, FORWARD, args, sizes, "Each W (n_a, n_a + n_x) multiplies the "
                            "stacked column [a_prev; xt] (n_a + n_x, m).", diagnose=bias_shape,
                            shapes=lecture_shapes(n_x=n_x, n_a=n_a, n_y=n_y, m=m))
    result = assert_returns(FORWARD, result, 4, "a_next, c_next, yt_pred, cache")
    a_next, c_next, yt_pred, cache = result
    assert_shape(FORWARD, "a_next", a_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "c_next", c_next, (n_a, m), "(n_a, m)")
    assert_shape(FORWARD, "yt_pred", yt_pred, (n_y, m), "(n_y, m)")
    return result


def check_forward_values(fn, n_x, n_a, n_y, m, seed):
    xt, a_prev, c_prev, params = lstm_example(n_x, n_a, n_y, m, seed)
    a_next, c_next, yt_pred, cache = run_forward(fn, xt, a_prev, c_prev, params)
    right = step(xt, a_prev, c_prev, params)
    if close(a_next, right[0]) and close(c_next, right[1]):
        if not close(yt_pred, right[2]):
            general_forward(fn)
            raise mistake(FORWARD, "prediction-wrong", f"{FORWARD}: a_next and c_next are "
                          "right but yt_pred is not: yt_pred = softmax(Wya @ a_next + by) "
                          f"({error_text(yt_pred, right[2])}).")
        check_forward_cache(cache, right, xt, a_prev, c_prev)
        return
    for slip, text in FORWARD_SLIPS.items():
        wrong = step(xt, a_prev, c_prev, params, slip)
        if close(a_next, wrong[0]) and close(c_next, wrong[1]):
            raise mistake(FORWARD, slip, f"{FORWARD}: {text}")
    column = shared_column(xt, a_prev, c_prev, params, a_next, c_next)
    if column is not None:
        raise mistake(FORWARD, "column-wrong", f"{FORWARD}: every gate is wrong, each "
                      f"formula shaped right: the stacked column they all read is {column} in "
                      "yours. The gates read [a_prev; xt], the previous hidden state a_prev "
                      "on top of the input xt: concat = np.concatenate([a_prev, xt]) (the "
                      "memory c_prev enters only c_t = Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t).")
    if close(a_next, right[1]) and close(c_next, right[0]):
        raise mistake(FORWARD, "a-c-swapped", f"{FORWARD}: a_next and c_next come back "
                      "swapped: your a_next is the lecture's c_t and your c_next its a_t. "
                      "Return a_next, c_next, yt_pred, cache in that order.")
    general_forward(fn)
    if close(c_next, right[1]):
        raise mistake(FORWARD, "a-wrong", f"{FORWARD}: c_next is right, a_next is not: "
                      f"a_t = Γ_o ⊙ tanh(c_t) ({error_text(a_next, right[0])}).")
    raise mistake(FORWARD, "c-wrong", f"{FORWARD}: c_next should be Γ_f ⊙ c_prev + Γ_i ⊙ c̃_t "
                  f"({error_text(c_next, right[1])}).")


def check_forward_cache(cache, right, xt, a_prev, c_prev):
    """The cache is (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)."""
    gates = zip(("ft", "it", "cct", "ot"), right[3], strict=True)
    check_cache_tuple(FORWARD, cache, [("a_next", right[0]), ("c_next", right[1]),
                                       ("a_prev", a_prev), ("c_prev", c_prev), *gates,
                                       ("xt", xt)], "Wf", "lstm_cell_backward")


@one_message(FORWARD)
def check_lstm_cell_forward_shapes(lstm_cell_forward):
    """The shapes lstm_cell_forward returns, on a case where every size differs."""
    run_forward(lstm_cell_forward, *lstm_example(n_x=3, n_a=5, n_y=2, m=4, seed=1))
    passed(f"{FORWARD} shapes")


@one_message(FORWARD)
def check_lstm_cell_forward(lstm_cell_forward):
    """Check a learner's lstm_cell_forward(xt, a_prev, c_prev, params) ->
    (a_next, c_next, yt_pred, cache): shapes, inputs left unchanged, the values (a usual
    mistake is named), the prediction and the cache; on two cases."""
    check_forward_values(lstm_cell_forward, n_x=3, n_a=5, n_y=2, m=4, seed=1)
    check_forward_values(lstm_cell_forward, n_x=4, n_a=2, n_y=3, m=1, seed=2)
    general_forward(lstm_cell_forward)
    passed(FORWARD)


def step_backward(da_next, dc_next, cache, slip=None, column=None):
    """The gradients of one LSTM step, right (slip None) or with one usual mistake; column:
    the (n_a + n_x, m) array the weights' gradients read in place of [a_prev; xt]."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    dc = dc_next if slip == "dc-misses-tanh-path" else dc_next + da_next * ot * (1 - tanh_c**2)
    if slip == "tanh-derivative-not-squared":
        dc = dc_next + da_next * ot * (1 - tanh_c)

    def prime(g):  # σ' written as σ, when that is the slip
        return g if slip == "sigmoid-derivative-wrong" else g * (1 - g)

    dz = {"f": dc * c_prev * prime(ft), "i": dc * cct * prime(it),
          "c": dc * it * (1 - cct**2), "o": da_next * tanh_c * prime(ot)}
    if slip == "candidate-derivative-wrong":
        dz["c"] = dc * it * (1 - cct)
    concat = np.concatenate([xt, a_prev] if slip == "stacked-wrong-order" else [a_prev, xt])
    concat = concat if column is None else column
    grads, dconcat = {}, 0.0
    for g in GATES:
        grads[f"dW{g}"] = dz[g] @ concat.T
        grads[f"db{g}"] = dz[g].sum(axis=1, keepdims=True)
        dconcat = dconcat + params[f"W{g}"].T @ dz[g]
    grads["dxt"], grads["da_prev"] = dconcat[n_a:], dconcat[:n_a]
    if slip == "dxt-da-prev-swapped-rows":
        n_x = xt.shape[0]
        grads["dxt"], grads["da_prev"] = dconcat[:n_x], dconcat[n_x:]
    grads["dc_prev"] = dc if slip == "dc-prev-without-forget-gate" else dc * ft
    return grads


BACKWARD_SLIPS = {
    "dc-misses-tanh-path": "the gradient reaching c_t misses the path through a_t: "
                           "dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)²), since "
                           "a_t = Γ_o ⊙ tanh(c_t) reads c_t too.",
    "tanh-derivative-not-squared": "tanh's derivative is 1 - tanh², not 1 - tanh: "
                                   "dc = dc_next + da_next ⊙ Γ_o ⊙ (1 - tanh(c_t)**2).",
    "dc-prev-without-forget-gate": "dc_prev misses the forget gate: c_t = Γ_f ⊙ c_prev + ..., "
                                   "so dc_prev = dc ⊙ Γ_f.",
    "sigmoid-derivative-wrong": "the sigmoid's derivative is written as σ; it is σ(1 - σ): "
                                "for the gate Γ_f, dz_f = dΓ_f ⊙ Γ_f ⊙ (1 - Γ_f).",
    "candidate-derivative-wrong": "the candidate's derivative is 1 - c̃², not 1 - c̃: "
                                  "dz_c = dc ⊙ Γ_i ⊙ (1 - cct**2).",
    "dxt-da-prev-swapped-rows": "dxt and da_prev are cut from the wrong rows of W.T @ dz: the "
                                "stacked column is [a_prev; xt], so da_prev is the first n_a "
                                "rows and dxt the rest.",
    "stacked-wrong-order": "the weight gradients' columns are in the wrong order: the column "
                           "the weights read is [a_prev; xt], so dW = dz @ concat.T with "
                           "concat = np.concatenate([a_prev, xt]) (a_prev on top).",
}
GRAD_SHAPES = {"dxt": ("n_x", "m"), "da_prev": ("n_a", "m"), "dc_prev": ("n_a", "m"),
               **{f"dW{g}": ("n_a", "n_a + n_x") for g in GATES},
               **{f"db{g}": ("n_a", "1") for g in GATES}}


def dw_not_transposed(error, line):
    if "matmul" in str(error) and "dW" in line:
        return ("dw-not-transposed", "dW is dz (n_a, m) times the stacked column's transpose: "
                "dW = dz @ concat.T, with concat = [a_prev; xt] of shape (n_a + n_x, m).")
    return None


def backward_example(n_x, n_a, m, seed):
    """da_next, dc_next (n_a, m) and the cache of a right forward step."""
    xt, a_prev, c_prev, params = lstm_example(n_x, n_a, 2, m, seed)
    a_next, c_next, _, gates = step(xt, a_prev, c_prev, params)
    rng = np.random.default_rng(seed + 100)
    cache = (a_next, c_next, a_prev, c_prev, *gates, xt, params)
    return rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m)), cache


def run_backward(fn, da_next, dc_next, cache):
    n_a, m = da_next.shape
    n_x = cache[8].shape[0]
    args = {"da_next": da_next.copy(), "dc_next": dc_next.copy(), "cache": snapshot(cache)}
    grads = call_on_copies(fn, BACKWARD, args, f"da_next, dc_next (n_a, m) = {da_next.shape}, "
                           f"n_x = {n_x}", "dW = dz @ concat.T; dconcat = W.T @ dz.",
                           diagnose=dw_not_transposed,
                           shapes=lecture_shapes(n_x=n_x, n_a=n_a, m=m))
    return read_grads(grads, n_x, n_a, m)


def read_grads(grads, n_x, n_a, m):
    """grads should be the dict of GRAD_SHAPES's keys, each of its shape."""
    sizes = {"n_x": n_x, "n_a": n_a, "m": m, "1": 1, "n_a + n_x": n_a + n_x}
    if not isinstance(grads, dict) or set(grads) != set(GRAD_SHAPES):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise mistake(BACKWARD, "wrong-return", f"{BACKWARD} should return a dict with the keys "
                      f"{sorted(GRAD_SHAPES)}; received {got}.")
    dxt, da_prev = grads["dxt"], grads["da_prev"]
    if isinstance(dxt, np.ndarray) and isinstance(da_prev, np.ndarray) \
            and dxt.ndim == da_prev.ndim == 2 and dxt.shape[1] == da_prev.shape[1] == m \
            and dxt.shape[0] + da_prev.shape[0] == n_a + n_x and dxt.shape[0] != n_x:
        raise mistake(BACKWARD, "dconcat-split-wrong", f"{BACKWARD}: dxt has {dxt.shape[0]} "
                      f"rows and da_prev {da_prev.shape[0]}: together the n_a + n_x = "
                      f"{n_a + n_x} rows of dconcat = W.T @ dz, cut in the wrong place. The "
                      f"stacked column is [a_prev; xt], so da_prev = dconcat[:n_a] (n_a = "
                      f"{n_a}, from a_prev or da_next) and dxt = dconcat[n_a:] (n_x = {n_x}).")
    broken = [key for key in GRAD_SHAPES if isinstance(grads[key], np.ndarray)
              and grads[key].dtype.kind == "f" and not np.all(np.isfinite(grads[key]))]
    gates = [g for g in "fico" if f"dW{g}" in broken and f"db{g}" in broken]
    if broken and len(gates) < 4:  # where the NaN starts: a gate's dz, or what comes after
        where = (f"it starts in {', '.join(f'dz_{g}' for g in gates)} (dW and db of "
                 f"{'that gate' if len(gates) == 1 else 'those gates'} hold it too): a division "
                 "by 0, or 0 * inf, in that path" if gates else "a division by 0, or 0 * inf, "
                 "on the way to them")
        raise mistake(BACKWARD, "not-finite", f"{BACKWARD}: {', '.join(broken)} "
                      f"{'holds' if len(broken) == 1 else 'hold'} NaN or inf; {where}.")
    for key, letters in GRAD_SHAPES.items():
        shape = tuple(sizes[k] for k in letters)
        hint = (" It looks transposed: dW = dz @ concat.T is (n_a, n_a + n_x)."
                if key.startswith("dW") and grads[key].shape[::-1] == shape else "")
        assert_shape(BACKWARD, key, grads[key], shape, f"({', '.join(letters)})", hint)
    return grads


def check_backward_values(fn, n_x, n_a, m, seed):
    da_next, dc_next, cache = backward_example(n_x, n_a, m, seed)
    grads = run_backward(fn, da_next, dc_next, cache)
    right = step_backward(da_next, dc_next, cache)
    wrong_keys = [k for k in GRAD_SHAPES if not close(grads[k], right[k])]
    if not wrong_keys:
        return
    for slip, text in BACKWARD_SLIPS.items():
        variant = step_backward(da_next, dc_next, cache, slip)
        # a stacked column read in the other order shows in every dW, whatever the learner
        # then cut dxt and da_prev from
        keys = [k for k in GRAD_SHAPES if k.startswith("dW")] \
            if slip == "stacked-wrong-order" else GRAD_SHAPES
        if all(close(grads[k], variant[k]) for k in keys):
            raise mistake(BACKWARD, slip, f"{BACKWARD}: {text}")
    # every dW read the learner's own dconcat: the column and dconcat were one array
    dconcat = np.concatenate([grads["da_prev"], grads["dxt"]])
    if all(close(grads[k], v) for k, v in step_backward(da_next, dc_next, cache,
                                                         column=dconcat).items()):
        raise mistake(BACKWARD, "dw-reads-dconcat", f"{BACKWARD}: every dW is dz @ dconcat.T: "
                      "the column your weight gradients read holds dconcat, not [a_prev; xt]. "
                      "Your stacked column and dconcat are one array (dconcat = concat, then "
                      "written into in place, or W.T @ dz computed into concat's memory); give "
                      "dconcat an array of its own: dconcat = W.T @ dz + ... makes a new one.")
    general_backward(fn)
    key = wrong_keys[0]
    raise mistake(BACKWARD, f"{key.lower().replace('_', '-')}-wrong", f"{BACKWARD}: {key} is "
                  f"wrong ({error_text(grads[key], right[key])}); wrong as well: "
                  f"{', '.join(wrong_keys[1:]) or 'nothing else'}.")


@one_message(BACKWARD)
def check_lstm_cell_backward_shapes(lstm_cell_backward):
    """The keys and shapes lstm_cell_backward returns, on a case where every size differs."""
    run_backward(lstm_cell_backward, *backward_example(n_x=3, n_a=5, m=4, seed=1))
    passed(f"{BACKWARD} shapes")


@one_message(BACKWARD)
def check_lstm_cell_backward(lstm_cell_backward):
    """Check a learner's lstm_cell_backward(da_next, dc_next, cache) -> dict of gradients:
    keys, shapes, inputs left unchanged and every gradient's value (a usual mistake is
    named), on two cases."""
    check_backward_values(lstm_cell_backward, n_x=3, n_a=5, m=4, seed=1)
    check_backward_values(lstm_cell_backward, n_x=4, n_a=2, m=1, seed=2)
    general_backward(lstm_cell_backward)
    passed(BACKWARD)


def general_forward(fn):
    """The general check of lstm_cell_forward (`lstm_general`, which reads this module's
    reference step: imported when first needed)."""
    from rnnlesson.checks.lstm_general import general_forward as check

    check(fn)


def general_backward(fn):
    """The general check of lstm_cell_backward (see `general_forward`)."""
    from rnnlesson.checks.lstm_general import general_backward as check

    check(fn)
