"""Exercise 9: rnn_backward_truncated."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rel_error, rnn_cell_backward
from rnnlesson import rnn_forward_by_cells as rnn_forward
'''
CHECKS = ["check_rnn_backward_truncated"]


def truncated(cut="t % k == 0 and t > 0", steps="reversed(range(T_x))",
              upstream="da[:, :, t] + da_prev", cache="caches[t]", before_add="",
              add="dWax = dWax + step['dWax']\n        dWaa = dWaa + step['dWaa']\n"
                  "        dba = dba + step['dba']"):
    """The learner's truncated BPTT with one line changed."""
    return f'''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    n_x = caches[0][2].shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = 0.0, 0.0, 0.0
    da_prev = np.zeros((n_a, m))
    for t in {steps}:
        step = rnn_cell_backward({upstream}, {cache})
        dx[:, :, t] = step["dxt"]
        {before_add}
        {add}
        da_prev = np.zeros((n_a, m)) if {cut} else step["da_prev"]
    return {{"dx": dx, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}}
'''


ANSWERS = [
    {"name": "the loop stops after the last window", "mistake": "ex09/every-step-wrong",
     "says": ["backward pass got no gradient or did not run"],
     "code": truncated(steps="reversed(range(max(T_x - k, 0), T_x))")},
    {"name": "every dxt added into dx[:, :, 0]", "mistake": "ex09/dx-stored-wrong",
     "says": ["holds the sum of the dxt of every step", "dx[:, :, t] = dxt"],
     "code": truncated().replace('dx[:, :, t] = step["dxt"]', 'dx[:, :, 0] += step["dxt"]')},
    {"name": "the cut drops the step's dWaa share too", "mistake": "ex09/dwaa-share-dropped-at-cut",
     "says": ["dWaa misses the share of the steps where a cut is made"],
     "code": truncated(add="dWax = dWax + step['dWax']\n        dba = dba + step['dba']\n"
                           "        dWaa = dWaa if (t % k == 0 and t > 0) else "
                           "dWaa + step['dWaa']")},
    {"name": "one loop, a cut at t = k, 2k, ...", "right": True, "code": truncated()},
    {"name": "a loop over windows", "right": True, "code": '''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    starts = list(range(0, T_x, k))
    for start in reversed(starts):
        carried = np.zeros((n_a, m))
        for t in reversed(range(start, min(start + k, T_x))):
            g = rnn_cell_backward(da[:, :, t] + carried, caches[t])
            grads["dx"][:, :, t] = g["dxt"]
            carried = g["da_prev"]
            for key in ("dWax", "dWaa", "dba"):
                grads[key] = grads[key] + g[key]
        if start == 0:
            grads["da0"] = carried
    return grads
'''},
    {"name": "nothing cut", "mistake": "ex09/nothing-cut", "says": ["nothing was cut"],
     "code": truncated(cut="False")},
    {"name": "windows from the end", "mistake": "ex09/windows-from-the-end",
     "says": ["counted from the end"], "code": truncated(cut="(T_x - t) % k == 0")},
    {"name": "the cut one step off", "mistake": "ex09/cut-one-step-off",
     "says": ["one step off"], "code": truncated(cut="(t + 1) % k == 0 and t + 1 < T_x")},
    {"name": "a0 cut too", "mistake": "ex09/da0-cut", "says": ["da0 is zero"],
     "code": truncated(cut="t % k == 0")},
    {"name": "sums reset per window", "mistake": "ex09/sums-reset-per-window",
     "says": ["restart at each window", "add up every step's share"],
     "code": truncated(before_add="if t % k == k - 1 or t == T_x - 1:\n"
                                  "            dWax, dWaa, dba = 0.0, 0.0, 0.0")},
    {"name": "the gradient from the next step forgotten", "mistake": "ex09/no-carry",
     "says": ["not added", "da[:, :, t] + da_prev"], "code": truncated(upstream="da[:, :, t]")},
    {"name": "the loop run forwards", "mistake": "ex09/loop-forwards",
     "says": ["runs forwards", "reversed(range(T_x))"], "code": truncated(steps="range(T_x)")},
    {"name": "caches[t - 1]", "mistake": "ex09/wrong-cache-index",
     "says": ["caches[t - 1]", "caches[t]"], "code": truncated(cache="caches[t - 1]")},
    {"name": "range(T_x - 1, 0, -1)", "mistake": "ex09/first-step-skipped",
     "says": ["stops before t = 0", "range(T_x - 1, -1, -1)"],
     "code": truncated(steps="range(T_x - 1, 0, -1)")},
    {"name": "weight gradients overwritten", "mistake": "ex09/weights-overwritten",
     "says": ["only one step's share", "+="],
     "code": truncated(add="dWax, dWaa, dba = step['dWax'], step['dWaa'], step['dba']")},
    {"name": "da_prev zeroed before the step after a window's first step", "right": True,
     "code": '''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    dx = np.zeros((caches[0][2].shape[0], m, T_x))
    dWax = dWaa = dba = 0
    da_prev = np.zeros((n_a, m))
    for t in range(T_x - 1, -1, -1):
        if (t + 1) % k == 0:  # step t + 1 starts a window: nothing comes back across
            da_prev = np.zeros((n_a, m))
        grads = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
        dx[:, :, t] = grads["dxt"]
        da_prev = grads["da_prev"]
        dWax += grads["dWax"]
        dWaa += grads["dWaa"]
        dba += grads["dba"]
    return {"dx": dx, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
'''},
    # windows in the wrong place: the general check says where dx first differs and why
    {"name": "a cut after step 1, k + 1, ...", "mistake": "ex09/not-cut-at-boundary",
     "says": ["The fault is in the cut at the window boundaries", "dx first differs at step",
              "across a window boundary"], "code": truncated(cut="t % k == 1")},
    {"name": "windows of k + 1 steps", "mistake": "ex09/not-cut-at-boundary",
     "says": ["yours passes the gradient from step 1 into step 0"],
     "code": truncated(cut="t % (k + 1) == 0 and t > 0")},
    {"name": "da_prev zeroed before the step at t = k, 2k, ...",
     "mistake": "ex09/cut-inside-window",
     "says": ["dx first differs at step t = 0 (k = 2, window 0..1)",
              "yours drops the gradient from step 1 into step 0, but both are in that window"],
     "code": truncated(upstream="da[:, :, t] + (da_prev if t % k else 0 * da_prev)")},
    {"name": "only the first window boundary cut", "mistake": "ex09/not-cut-at-boundary",
     "says": ["(da0 right)", "dx first differs at step t = 1",
              "step 2 is the first step of window 2..2"], "code": truncated(cut="t == k")},
    {"name": "k read as the number of windows", "mistake": "ex09/not-cut-at-boundary",
     "says": ["The fault is in the cut at the window boundaries"],
     "code": truncated(cut="t % max(T_x // k, 1) == 0 and t > 0")},
    {"name": "a loop over windows, the carry reset at every step", "mistake": "ex09/no-carry",
     "says": ["not added", "da[:, :, t] + da_prev"], "code": '''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    for start in reversed(range(0, T_x, k)):
        for t in reversed(range(start, min(start + k, T_x))):
            carried = np.zeros((n_a, m))
            g = rnn_cell_backward(da[:, :, t] + carried, caches[t])
            grads["dx"][:, :, t] = g["dxt"]
            carried = g["da_prev"]
            for key in ("dWax", "dWaa", "dba"):
                grads[key] = grads[key] + g[key]
    grads["da0"] = carried
    return grads
'''},
    {"name": "da_prev subtracted", "mistake": "ex09/carry-wrong",
     "says": ["gets da[:, :, 0] - da_prev", "dx first differs at step t = 0"],
     "code": truncated(upstream="da[:, :, t] - da_prev")},
    {"name": "da returned as da0", "mistake": "ex09/da0-is-da",
     "says": ["da0 has the shape of da"],
     "code": truncated().replace('"da0": da_prev', '"da0": da')},
    {"name": "the package's truncated BPTT", "mistake": "ex09/uses-reference",
     "says": ["your rnn_backward_truncated calls rnnlesson.rnn_backward"], "code": '''
import rnnlesson

def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    x = np.stack([c[2] for c in caches], axis=2)
    _, _, cache = rnnlesson.rnn_forward(x, caches[0][1], caches[0][3])
    return rnnlesson.rnn_backward(da, cache, truncate=k)
'''},
    {"name": "the check's own cut_bptt", "mistake": "ex09/uses-reference",
     "says": ["cut_bptt"], "code": '''
from rnnlesson.checks.truncated import cut_bptt

def rnn_backward_truncated(da, caches, k):
    return cut_bptt(da, caches, lambda t: t % k == 0 and t > 0)
'''},
]
MUTANTS = {
    "function": "rnn_backward_truncated", "spec": "rnnlesson.checks.truncated:SPEC",
    "checks": CHECKS, "outputs": ["dx", "da0", "dWax", "dWaa", "dba"],
    "aliases": {},
}

# Variants tried as families: any subset of the three weights' shares dropped at the cuts;
# the windows walked in either order with the steps inside each run in either direction.
ANSWERS += [
    {"name": "a cut step's weight shares all skipped", "mistake":
     "ex09/dwax-dwaa-dba-share-dropped-at-cut",
     "says": ["dWax, dWaa, dba miss the share of the steps where a cut is made"],
     "code": truncated(before_add="if t % k == 0 and t > 0:\n"
                                  "            da_prev = np.zeros((n_a, m))\n"
                                  "            continue")},
    {"name": "a cut step's dWax and dba skipped", "mistake": "ex09/dwax-dba-share-dropped-at-cut",
     "says": ["dWax, dba miss the share"],
     "code": truncated(add="dWaa = dWaa + step['dWaa']\n        if not (t % k == 0 and t > 0):\n"
                           "            dWax = dWax + step['dWax']\n"
                           "            dba = dba + step['dba']")},
    {"name": "each window's steps run forwards", "mistake": "ex09/window-steps-forwards",
     "says": ["inside each window the steps run forwards"], "code": '''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    dx = np.zeros((caches[0][2].shape[0], m, T_x))
    total = {"dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    for start in range(T_x - (T_x - 1) % k - 1, -1, -k):
        da_prev = np.zeros((n_a, m))
        for t in range(start, min(start + k, T_x)):
            g = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
            dx[:, :, t] = g["dxt"]
            da_prev = g["da_prev"]
            for key in total:
                total[key] = total[key] + g[key]
    return {"dx": dx, "da0": da_prev, **total}
'''},
    {"name": "windows from the start, steps forwards", "mistake": "ex09/window-steps-forwards",
     "says": ["inside each window the steps run forwards"], "code": '''
def rnn_backward_truncated(da, caches, k):
    n_a, m, T_x = da.shape
    dx = np.zeros((caches[0][2].shape[0], m, T_x))
    dWax = dWaa = dba = 0.0
    for start in range(0, T_x, k):
        da_prev = np.zeros((n_a, m))
        for t in range(start, min(start + k, T_x)):
            g = rnn_cell_backward(da[:, :, t] + da_prev, caches[t])
            dx[:, :, t] = g["dxt"]
            da_prev = g["da_prev"]
            dWax, dWaa, dba = dWax + g["dWax"], dWaa + g["dWaa"], dba + g["dba"]
    return {"dx": dx, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
'''},
]

# Review 8: a cut at every step (the same numbers as no carry at all, so the message says
# both), and one weight gradient that adds up some steps' shares only.
ANSWERS += [
    {"name": "cut at every step", "mistake": "ex09/no-carry",
     "says": ["dropped at every step, as if k were 1", "t = 3, 6"],
     "code": truncated(cut="t > 0")},
    {"name": "dWaa from the last window only", "mistake": "ex09/dwaa-sums-some-steps",
     "says": ["dWaa adds up the share of step t = 6 only, of the 7 steps"],
     "code": truncated(add="dWax = dWax + step['dWax']\n        dWaa = dWaa + (step['dWaa'] "
                           "if t >= (T_x - 1) // k * k else 0)\n        dba = dba + step['dba']")},
    {"name": "dba from the steps before the first cut only", "mistake": "ex09/dba-sums-some-steps",
     "says": ["dba adds up the share of steps t = 0, 1, 2 only"],
     "code": truncated(add="dWax = dWax + step['dWax']\n        dWaa = dWaa + step['dWaa']\n"
                           "        dba = dba + (step['dba'] if t < k else 0)")},
]
