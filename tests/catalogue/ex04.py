"""Exercise 4: rnn_forward, the loop over the steps (the cell given from rnnlesson)."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rnn_cell_forward
'''
CHECKS = ["check_rnn_forward_shapes", "check_rnn_forward"]


def loop(step="a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)",
         store="a[:, :, t] = a_prev", caches="caches.append(cache)", steps="range(T_x)",
         start="a_prev = a0", after="", returned="a, y_pred, caches"):
    """The learner's loop with one line changed."""
    return f'''
def rnn_forward(x, a0, params):
    n_x, m, T_x = x.shape
    n_y, n_a = params["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    {start}
    for t in {steps}:
        {step}
        {store}
        y_pred[:, :, t] = yt_pred
        {caches}
    {after}
    return {returned}
'''


ANSWERS = [
    {"name": "arrays filled step by step", "right": True, "code": loop()},
    {"name": "lists stacked at the end", "right": True, "code": '''
def rnn_forward(x, a0, params):
    states, predictions, caches = [], [], []
    a_t = a0
    for x_t in np.moveaxis(x, 2, 0):
        a_t, y_t, cache = rnn_cell_forward(x_t, a_t, params)
        states.append(a_t)
        predictions.append(y_t)
        caches.append(cache)
    return np.stack(states, axis=2), np.stack(predictions, axis=2), caches
'''},
    {"name": "x[:, t, :]", "mistake": "ex04/time-axis", "says": ["x[:, :, t]", "last axis"],
     "code": loop(step="a_prev, yt_pred, cache = rnn_cell_forward(x[:, t, :], a_prev, params)")},
    {"name": "a0 ignored", "mistake": "ex04/a0-ignored", "says": ["a0 is ignored"],
     "code": loop(start="a_prev = np.zeros_like(a0)")},
    {"name": "every step from a0", "mistake": "ex04/state-not-carried",
     "says": ["not carried forward"],
     "code": loop(step="_, yt_pred, cache = rnn_cell_forward(x[:, :, t], a0, params)",
                  store="a[:, :, t] = cache[0]")},
    {"name": "the loop run backwards", "mistake": "ex04/loop-backwards",
     "says": ["runs backwards", "t = 0"], "code": loop(steps="reversed(range(T_x))")},
    {"name": "the states in reverse order", "mistake": "ex04/states-misplaced",
     "says": ["state of another step"],
     "code": loop(returned="a[:, :, ::-1], y_pred, caches")},
    {"name": "caches reversed", "mistake": "ex04/caches-reversed",
     "says": ["reverse order", "caches[t]"], "code": loop(caches="caches.insert(0, cache)")},
    {"name": "[cache] * T_x", "mistake": "ex04/caches-one-object",
     "says": ["same object", "[cache] * T_x"],
     "code": loop(caches="pass", after="caches = [cache] * T_x")},
    {"name": "list(range(T_x)) for caches", "mistake": "ex04/caches-wrong",
     "says": ["caches[0] is not step t = 0's cache"],
     "code": loop(caches="pass", after="caches = list(range(T_x))")},
    {"name": "only the last cache", "mistake": "ex04/caches-not-a-list",
     "says": ["list of the T_x = 6 caches"], "code": loop(returned="a, y_pred, cache")},
    {"name": "the state stored before the step", "mistake": "ex04/states-shifted",
     "says": ["holds a0", "after the step"],
     "code": loop(step="a_new, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)",
                  store="a[:, :, t] = a_prev\n        a_prev = a_new")},
    {"name": "range(T_x - 1)", "mistake": "ex04/wrong-number-of-steps",
     "says": ["5 caches", "range(T_x)"], "code": loop(steps="range(T_x - 1)")},
    {"name": "range(1, T_x)", "mistake": "ex04/wrong-number-of-steps",
     "says": ["T_x = 6 steps", "t = 0..T_x - 1"], "code": loop(steps="range(1, T_x)")},
    {"name": "predictions reversed", "mistake": "ex04/prediction-misplaced",
     "says": ["y_pred[:, :, 0] is wrong"], "code": loop(returned="a, y_pred[:, :, ::-1], caches")},
    # found by the general check (the probes name the term, the first step that differs)
    {"name": "the inputs read from the end", "mistake": "ex04/xt-wrong",
     "says": ["The fault is in the input of step t, x[:, :, t]", "with x = 0 yours agrees",
              "a first differs at step t = 0"],
     "code": loop(step="a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, T_x - 1 - t], "
                       "a_prev, params)")},
    {"name": "a_prev read back from a[:, :, t - 1]", "mistake": "ex04/carry-wrong",
     "says": ["The fault is in the state carried forward", "a first differs at step t = 1"],
     "code": loop(step="a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)",
                  store="a[:, :, t] = a_next\n        a_prev = a[:, :, t - 1]")},
    {"name": "tanh applied again when storing", "mistake": "ex04/a-stored-wrong",
     "says": ["a is wrong (y_pred right)", "a[:, :, t] = the a_next that step t returns"],
     "code": loop(store="a[:, :, t] = np.tanh(a_prev)")},
    {"name": "a softmax of its own, without by", "mistake": "ex04/y-pred-stored-wrong",
     "says": ["y_pred is wrong (a right)", "y_pred first differs at step t = 0"],
     "code": loop(step="a_prev, _, cache = rnn_cell_forward(x[:, :, t], a_prev, params)\n"
                       "        z = params['Wya'] @ a_prev\n"
                       "        yt_pred = np.exp(z) / np.exp(z).sum(axis=0)")},
    {"name": "y_pred stored after the loop", "mistake": "ex04/y-pred-stored-wrong",
     "says": ["y_pred[:, :, t] = the yt_pred of step t", "y_pred first differs at step t = 0"],
     "code": '''
def rnn_forward(x, a0, params):
    n_x, m, T_x = x.shape
    n_y, n_a = params["Wya"].shape
    a, y_pred, caches = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    a_prev = a0
    for t in range(T_x):
        a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)
        a[:, :, t] = a_prev
        caches.append(cache)
    y_pred[:, :, t] = yt_pred
    return a, y_pred, caches
'''},
    {"name": "a0 added to every step's a_prev", "mistake": "ex04/a0-wrong",
     "says": ["The fault is in the initial state a0", "a first differs at step t = 1"],
     "code": loop(step="a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev + (a0 if "
                       "t > 0 else 0), params)")},
    {"name": "x changed in place", "mistake": "ex04/changes-its-input",
     "says": ["modified its argument x"], "code": loop(start="a_prev = a0\n    x *= 1.001")},
    {"name": "a transposed", "mistake": "ex04/wrong-shape", "says": ["(n_a, m, T_x)"],
     "code": loop(returned="a.transpose(1, 0, 2), y_pred, caches")},
    {"name": "the package's rnn_forward", "mistake": "ex04/uses-reference",
     "says": ["your rnn_forward calls rnnlesson.rnn_forward, the function this exercise asks "
              "you to write"], "code": '''
import rnnlesson

def rnn_forward(x, a0, params):
    a, y_pred, _ = rnnlesson.rnn_forward(x, a0, params)
    return a, y_pred, rnnlesson.rnn_forward_by_cells(x, a0, params)[2]
'''},
    {"name": "the package's private unroll", "mistake": "ex04/uses-reference",
     "says": ["rnnlesson.rnn_forward"], "code": '''
from rnnlesson import sequence
from rnnlesson.fast import rnn as fast_rnn

def rnn_forward(x, a0, params):
    cache = fast_rnn.unroll(x, (a0,), params, None)
    return sequence.rnn_forward_by_cells(x, a0, params)
'''},
]
MUTANTS = {
    "function": "rnn_forward", "spec": "rnnlesson.checks.loop:SPEC",
    "checks": CHECKS, "outputs": ["a", "y_pred"],
    "aliases": {},
}

# Found by an independent review (fresh mistakes, none of them listed before).
ANSWERS += [
    {"name": "a_prev overwritten by yt_pred", "mistake": "ex04/raises-error",
     "says": ["made at line", "a_prev = yt_pred"],
     "code": loop(step="a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)"
                       "\n        a_prev = yt_pred", store="a[:, :, t] = a_next")},
    {"name": "one buffer stored at every step (review 7)", "mistake": "ex04/same-array-stored",
     "says": ["every a[:, :, t] holds the last step's state", "the same array was stored"],
     "code": '''
def rnn_forward(x, a0, params):
    n_x, m, T_x = x.shape
    n_y, n_a = params["Wya"].shape
    buf = np.zeros((n_a, m)); states, preds, caches = [], [], []
    a_prev = a0
    for t in range(T_x):
        a_prev, yt, c = rnn_cell_forward(x[:, :, t], a_prev, params)
        buf[:] = a_prev; states.append(buf); preds.append(yt); caches.append(c)
    return np.stack(states, 2), np.stack(preds, 2), caches
'''},
    {"name": "the state updated in place and appended", "mistake": "ex04/same-array-stored",
     "says": ["every a[:, :, t] holds the last step's state", "copy"],
     "code": '''
def rnn_forward(x, a0, params):
    T_x = x.shape[2]
    state = a0.copy()
    states, preds, caches = [], [], []
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], state, params)
        state[...] = a_next
        states.append(state)
        preds.append(yt_pred)
        caches.append(cache)
    return np.dstack(states), np.dstack(preds), caches
'''},
    {"name": "one prediction buffer stored at every step", "mistake": "ex04/same-array-stored",
     "says": ["every y_pred[:, :, t] holds the last step's prediction"],
     "code": '''
def rnn_forward(x, a0, params):
    n_x, m, T_x = x.shape
    n_y, n_a = params["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    out = np.zeros((n_y, m))
    preds, caches = [], []
    a_prev = a0
    for t in range(T_x):
        a_prev, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)
        a[:, :, t] = a_prev
        out[:] = yt_pred
        preds.append(out)
        caches.append(cache)
    return a, np.stack(preds, axis=2), caches
'''},
]

# Review 8: one state buffer updated in place after each step, so every cache's a_prev is
# the same array (the states stored in a are right; rnn_backward would read wrong caches).
ANSWERS += [
    {"name": "one state buffer updated in place", "mistake": "ex04/same-array-stored",
     "says": ["the a_prev of every cache is one and the same array", "a_prev = a_next"],
     "code": loop(start="a_prev = a0.copy()",
                  step="a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_prev, params)",
                  store="a[:, :, t] = a_next", after="",
                  caches="caches.append(cache)\n        np.copyto(a_prev, a_next)")},
    {"name": "the state updated in place with [:]", "mistake": "ex04/same-array-stored",
     "says": ["updated in place"],
     "code": loop(start="state = np.array(a0)",
                  step="new, yt_pred, cache = rnn_cell_forward(x[:, :, t], state, params)",
                  store="a[:, :, t] = new",
                  caches="caches.append(cache)\n        state[:] = new")},
]

# Review 10: no cache appended at all, and the list of caches made again at every step.
ANSWERS += [
    {"name": "no cache appended", "mistake": "ex04/caches-empty",
     "says": ["caches is empty", "caches.append(cache)"], "code": loop(caches="pass")},
    {"name": "the list of caches made again at every step", "mistake": "ex04/caches-restarted",
     "says": ["the last step's cache", "made again inside the loop"],
     "code": loop(caches="caches = [cache]")},
]
