"""Check of exercise 4: the forward pass over a sequence, the cell run at every step.

    a_t = tanh(Waa a_{t-1} + Wax x_t + ba), t = 0..T_x-1 (counting from 0), a_{-1} = a0

The learner's states are compared with rnnlesson's loop step by step; the first step that
differs is named, with the usual reasons (a0 ignored, no state carried, the loop run
backwards, states or caches stored in the wrong place); any other wrong answer gets the general
check's message (`SPEC`): the term at fault, found by probes, and the first step that differs.
"""

import re

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    assert_shape,
    call_on_copies,
    close,
    error_text,
    example_params,
    lecture_shapes,
    mistake,
    one_message,
    passed,
    shape_text,
    snapshot,
)
from rnnlesson.checks._differential import Spec, differential, numbers, probe
from rnnlesson.rnn import rnn_cell_forward as reference_cell
from rnnlesson.sequence import rnn_forward_by_cells

NAME_SEQ = "rnn_forward"


def time_axis(error, line):
    """Name the usual crash of the loop: x indexed with t on the wrong axis."""
    if re.search(r"x\[\s*:\s*,\s*t\b|x\[\s*t\b", line):
        return "time-axis", ("x is (n_x, m, T_x): step t's input is x[:, :, t], an (n_x, m) "
                             "slice (time is the last axis); your code indexes another axis "
                             f"with t (`{line}`), and crashed: {type(error).__name__}: {error}")
    return None


def run_forward(fn, x, a0, params):
    """Call fn on copies of x, a0, params; check the three values and their shapes."""
    n_x, m, T_x = x.shape
    n_a, n_y = a0.shape[0], params["Wya"].shape[0]
    args = {"x": x.copy(), "a0": a0.copy(), "params": snapshot(params)}
    sizes = f"x (n_x, m, T_x) = {x.shape}, a0 (n_a, m) = {a0.shape}, n_y = {n_y}"
    result = call_on_copies(fn, NAME_SEQ, args, sizes,
                            "Step t reads x[:, :, t], an (n_x, m) slice; time is the last axis.",
                            diagnose=time_axis,
                            shapes=lecture_shapes(n_x=n_x, n_a=n_a, n_y=n_y, m=m, T_x=T_x))
    a, y_pred, caches = assert_returns(NAME_SEQ, result, 3, "a, y_pred, caches")
    assert_shape(NAME_SEQ, "a", a, (n_a, m, T_x), "(n_a, m, T_x)")
    assert_shape(NAME_SEQ, "y_pred", y_pred, (n_y, m, T_x), "(n_y, m, T_x)")
    if not isinstance(caches, list):
        raise mistake(NAME_SEQ, "caches-not-a-list", f"{NAME_SEQ}: caches should be a list of "
                      f"the T_x = {T_x} caches of rnn_cell_forward, one per step; received "
                      f"{type(caches).__name__} of length "
                      f"{len(caches) if hasattr(caches, '__len__') else '?'}.")
    if not caches:
        raise mistake(NAME_SEQ, "caches-empty", f"{NAME_SEQ}: caches is empty: no step's cache "
                      f"was put in it. Append each step's cache, caches.append(cache), inside "
                      f"the loop, so that it holds the T_x = {T_x} caches rnn_backward reads.")
    restarted = restarted_caches(caches, x, a0, params, a)
    if restarted is not None:
        raise restarted
    if len(caches) != T_x and not any(isinstance(c, tuple) for c in caches) \
            and len(caches) % T_x == 0:
        raise mistake(NAME_SEQ, "caches-flattened", f"{NAME_SEQ}: caches should hold "
                      f"T_x = {T_x} caches, one tuple per step; yours holds {len(caches)} "
                      f"items, none a tuple: each step's cache went in item by item, as "
                      "caches.extend(cache) or caches += cache do. Use caches.append(cache).")
    if len(caches) != T_x:
        raise mistake(NAME_SEQ, "wrong-number-of-steps", f"{NAME_SEQ}: caches holds "
                      f"{len(caches)} caches, one per step run, but x has T_x = {T_x} steps: "
                      "run every step, t = 0..T_x - 1 (for t in range(T_x)), and append each "
                      "step's cache.")
    return a, y_pred, caches


def restarted_caches(caches, x, a0, params, a):
    """The CheckFailure for a list of caches made again inside the loop: fewer than T_x, each a
    cache of one of the last steps, while every state in a is right (every step ran); or None."""
    T_x = x.shape[2]
    if not 0 < len(caches) < T_x or not all(isinstance(c, tuple) and len(c) == 4
                                            and isinstance(c[2], np.ndarray)
                                            and c[2].shape == x[:, :, 0].shape for c in caches):
        return None
    steps = [next((t for t in range(T_x) if close(c[2], x[:, :, t])), None) for c in caches]
    expected_a = rnn_forward_by_cells(x, a0, params)[0]
    if steps != list(range(T_x - len(caches), T_x)) or not close(a, expected_a):
        return None
    held = f"the last step's cache (t = {T_x - 1})" if len(steps) == 1 else \
        f"the caches of the last {len(steps)} steps only (t = {steps[0]}..{steps[-1]})"
    return mistake(NAME_SEQ, "caches-restarted", f"{NAME_SEQ}: caches holds {held}, though "
                   "every step ran (the states in a are right at every step): the list is made "
                   "again inside the loop (caches = [cache], or caches = [] in the loop). Make "
                   "it once, before the loop, and append each step's cache to it.")


def sequence_example(seed=3, n_x=3, n_a=5, n_y=2, m=4, T_x=6):
    rng = np.random.default_rng(seed)
    params = example_params(n_x, n_a, n_y, seed=seed)
    return rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), params


@one_message(NAME_SEQ)
def check_rnn_forward_shapes(rnn_forward):
    """Check the shapes rnn_forward returns, with n_x, n_a, n_y, m and T_x all different."""
    run_forward(rnn_forward, *sequence_example(seed=1))
    passed(f"{NAME_SEQ} shapes")


def check_caches(caches, x, a, a0):
    """caches[t] must be step t's own cell cache (a_next, a_prev, xt, params), in order."""
    T_x = x.shape[2]

    def is_cache_of(cache, t):
        return (isinstance(cache, tuple) and len(cache) == 4
                and isinstance(cache[2], np.ndarray) and close(cache[2], x[:, :, t])
                and isinstance(cache[0], np.ndarray) and close(cache[0], a[:, :, t]))

    def starts_from(cache, t):
        return isinstance(cache[1], np.ndarray) and close(cache[1], a0 if t == 0
                                                          else a[:, :, t - 1])

    if all(is_cache_of(cache, t) for t, cache in enumerate(caches)):
        late = [t for t, cache in enumerate(caches) if not starts_from(cache, t)]
        if not late:
            return
        prevs = [cache[1] for cache in caches if isinstance(cache[1], np.ndarray)]
        shared = len(prevs) == T_x and T_x > 1 and all(
            np.shares_memory(prevs[0], other) for other in prevs[1:])
        if shared:
            raise mistake(NAME_SEQ, "same-array-stored", f"{NAME_SEQ}: the a_prev of every "
                          "cache is one and the same array, updated in place after the cache "
                          f"was stored, so caches[{late[0]}] no longer holds the state step "
                          f"t = {late[0]} started from (every one holds the last state). "
                          "rnn_backward reads a_prev from the caches: give each step a new "
                          "array (a_prev = a_next), not buffer[...] = a_next or an in-place "
                          "update.")
        t = late[0]
        raise mistake(NAME_SEQ, "caches-wrong", f"{NAME_SEQ}: caches[{t}]'s a_prev is not the "
                      f"state step t = {t} started from ({'a0' if t == 0 else f'a[:, :, {t - 1}]'}"
                      "): store the tuple rnn_cell_forward returned, unchanged, and do not "
                      "change the arrays in it afterwards.")
    if all(is_cache_of(cache, T_x - 1 - t) for t, cache in enumerate(caches)):
        raise mistake(NAME_SEQ, "caches-reversed", f"{NAME_SEQ}: the caches are in reverse "
                      "order: caches[t] must be step t's cache (append each step's cache as "
                      "you go; rnn_backward reads caches[t] for step t).")
    if len({id(cache) for cache in caches}) == 1:
        raise mistake(NAME_SEQ, "caches-one-object", f"{NAME_SEQ}: all {T_x} entries of caches "
                      "are the same object; each step's own cache goes in the list "
                      "(caches.append(cache) inside the loop, not [cache] * T_x).")
    t = next(t for t, cache in enumerate(caches) if not is_cache_of(cache, t))
    raise mistake(NAME_SEQ, "caches-wrong", f"{NAME_SEQ}: caches[{t}] is not step t = {t}'s "
                  "cache: it should be the tuple (a_next, a_prev, xt, params) that "
                  f"rnn_cell_forward returned for x[:, :, {t}]; received "
                  f"{shape_text(caches[t])}.")


@one_message(NAME_SEQ)
def check_rnn_forward(rnn_forward):
    """Check a learner's rnn_forward(x, a0, params) -> (a, y_pred, caches).

    x (n_x, m, T_x) floats, a0 (n_a, m); a (n_a, m, T_x), y_pred (n_y, m, T_x), caches the
    list of the T_x cell caches in order. Compares with the reference loop step by step and
    names the first step that differs, and whether a0 is ignored or the state is not carried
    forward.
    """
    x, a0, params = sequence_example()
    T_x = x.shape[2]
    a, y_pred, caches = run_forward(rnn_forward, x, a0, params)
    expected_a, expected_y, _ = rnn_forward_by_cells(x, a0, params)
    for t in range(T_x):
        if close(a[:, :, t], expected_a[:, :, t]):
            continue
        if t == 0 and close(a[:, :, 0], reference_cell(x[:, :, 0], 0 * a0, params)[0]):
            raise mistake(NAME_SEQ, "a0-ignored", f"{NAME_SEQ}: a0 is ignored: the first step "
                          "must start from a_prev = a0.")
        if t > 0 and close(a[:, :, t], reference_cell(x[:, :, t], a0, params)[0]):
            raise mistake(NAME_SEQ, "state-not-carried", f"{NAME_SEQ}: the state is not "
                          f"carried forward: step t = {t} starts again from a0. Each step's "
                          "a_next must be the next step's a_prev.")
        last_everywhere(a, expected_a, "a", "state", "a_next")
        if close(a[:, :, t], expected_a[:, :, T_x - 1 - t]):
            raise mistake(NAME_SEQ, "states-misplaced", f"{NAME_SEQ}: a[:, :, {t}] holds the "
                          "state of another step: store step t's a_next in a[:, :, t].")
        if close(a[:, :, t], a0 if t == 0 else expected_a[:, :, t - 1]):
            raise mistake(NAME_SEQ, "states-shifted", f"{NAME_SEQ}: a[:, :, {t}] holds "
                          f"{'a0' if t == 0 else f'the state after step {t - 1}'}, the state "
                          f"step t = {t} starts from; store the a_next that step t returns, "
                          "after the step.")
        if t + 1 < T_x and close(a[:, :, t], reference_cell(x[:, :, t], a[:, :, t + 1],
                                                            params)[0]):
            raise mistake(NAME_SEQ, "loop-backwards", f"{NAME_SEQ}: step t = {t} started from "
                          f"a[:, :, {t + 1}], the state after it: the loop runs backwards. The "
                          "forward pass starts at t = 0 from a0 and goes up to T_x - 1.")
        general(rnn_forward)
        raise mistake(
            NAME_SEQ, "step-wrong",
            f"{NAME_SEQ}: a[:, :, {t}] (step t = {t}, counting from 0) is wrong, "
            f"{error_text(a[:, :, t], expected_a[:, :, t])}; it should be "
            f"rnn_cell_forward(x[:, :, {t}], a_prev, params)'s a_next, with a_prev = "
            f"{'a0' if t == 0 else f'a[:, :, {t - 1}]'}.")
    check_predictions(rnn_forward, y_pred, expected_y)
    check_caches(caches, x, a, a0)
    general(rnn_forward)
    passed(NAME_SEQ)


def last_everywhere(stored, expected, name, what, value):
    """Name every step's slot holding the last step's value: one array object stored (or
    appended) at every step and overwritten in place, so that each entry is the last one."""
    T_x = expected.shape[2]
    if T_x < 2 or close(expected[:, :, 0], expected[:, :, T_x - 1]):
        return
    if all(close(stored[:, :, t], expected[:, :, T_x - 1]) for t in range(T_x)):
        raise mistake(NAME_SEQ, "same-array-stored", f"{NAME_SEQ}: every {name}[:, :, t] "
                      f"holds the last step's {what} (step t = {T_x - 1}): the same array was "
                      f"stored at every step and overwritten in place, so all of them hold "
                      f"its last value. Store a new array each step (the {value} the step "
                      f"returns, or a copy: buffer.copy()), or write into {name}[:, :, t].")


def check_predictions(fn, y_pred, expected_y):
    """y_pred[:, :, t] should be step t's yt_pred: name one stored at another step's place."""
    T_x = expected_y.shape[2]
    for t in range(T_x):
        if close(y_pred[:, :, t], expected_y[:, :, t]):
            continue
        last_everywhere(y_pred, expected_y, "y_pred", "prediction", "yt_pred")
        other = [s for s in range(T_x) if s != t and close(y_pred[:, :, t], expected_y[:, :, s])]
        if other:
            raise mistake(NAME_SEQ, "prediction-misplaced", f"{NAME_SEQ}: y_pred[:, :, {t}] is "
                          f"wrong: it holds the yt_pred of step t = {other[0]}. Store step t's "
                          "yt_pred in y_pred[:, :, t], in the same step as its a_next.")
        general(fn)
        raise mistake(NAME_SEQ, "prediction-wrong", f"{NAME_SEQ}: y_pred[:, :, {t}] is wrong "
                      f"({error_text(y_pred[:, :, t], expected_y[:, :, t])}): it should be the "
                      f"yt_pred of step t = {t}.")


def build_sequence(sizes, rng, simple):
    """x (n_x, m, T_x), a0 (n_a, m) and params, for the general check."""
    n_x, n_a, n_y, m, T_x = (sizes[k] for k in ("n_x", "n_a", "n_y", "m", "T_x"))
    draw = numbers(rng, simple)
    params = {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1)),
              "Wya": draw((n_y, n_a)), "by": draw((n_y, 1))}
    return {"x": draw((n_x, m, T_x)), "a0": draw((n_a, m)), "params": params}


def reference_sequence(x, a0, params):
    a, y_pred, _ = rnn_forward_by_cells(x, a0, params)
    return {"a": a, "y_pred": y_pred}


def read_sequence(result, inputs):
    n_x, m, T_x = inputs["x"].shape
    n_a, n_y = inputs["a0"].shape[0], inputs["params"]["Wya"].shape[0]
    a, y_pred, _ = assert_returns(NAME_SEQ, result, 3, "a, y_pred, caches")
    assert_shape(NAME_SEQ, "a", a, (n_a, m, T_x), "(n_a, m, T_x)")
    assert_shape(NAME_SEQ, "y_pred", y_pred, (n_y, m, T_x), "(n_y, m, T_x)")
    return {"a": a, "y_pred": y_pred}


STORES = frozenset({"a-stored", "y-pred-stored"})
SPEC = Spec(
    NAME_SEQ, {"n_x": (1, 3), "n_a": (1, 3), "n_y": (1, 3), "m": (1, 2), "T_x": (1, 4)},
    build_sequence, reference_sequence, read_sequence,
    terms={"a0": "the initial state a0: step t = 0, and no other, starts from a_prev = a0",
           "carry": "the state carried forward: step t starts from a_prev, the a_next of step "
                    "t - 1, with t running 0, 1, ..., T_x - 1 in order",
           "xt": "the input of step t, x[:, :, t] (time is the last axis)",
           "a-stored": "the state stored: a[:, :, t] = the a_next that step t returns",
           "y-pred-stored": "the prediction stored: y_pred[:, :, t] = the yt_pred of step t"},
    depends={"a": {"a0", "carry", "xt", "a-stored"},
             "y_pred": {"a0", "carry", "xt", "y-pred-stored"}},
    probes=[probe("with a0 = 0", {"carry", "xt"} | STORES, "a0"),
            probe("with Waa = 0 (no state carried)", {"xt"} | STORES, "params.Waa"),
            probe("with x = 0", {"a0", "carry"} | STORES, "x")],
    steps={"a": (2, "forward"), "y_pred": (2, "forward")},
    hint="Step t reads x[:, :, t], an (n_x, m) slice; time is the last axis.",
    batch={"x": 1, "a0": 1})


def general(fn):
    """The general check (random cases, the smallest failing one, the term and step at fault)."""
    differential(SPEC, fn)
