"""Exercise 6: rnn_backward (BPTT) and bptt_gradient_check, graded apart."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rel_error, rnn_cell_backward
from rnnlesson import rnn_forward_by_cells as rnn_forward
'''


def bptt(steps="reversed(range(T_x))", upstream="da[:, :, t] + da_prev", cache="caches[t]",
         add="dWax = dWax + step['dWax']\n        dWaa = dWaa + step['dWaa']\n"
             "        dba = dba + step['dba']", da0="da_prev", before="",
         carry='step["da_prev"]'):
    """The learner's BPTT with one line changed."""
    return f'''
def rnn_backward(da, caches):
    n_a, m, T_x = da.shape
    n_x = caches[0][2].shape[0]
{before}    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = 0.0, 0.0, 0.0
    da_prev = np.zeros((n_a, m))
    for t in {steps}:
        step = rnn_cell_backward({upstream}, {cache})
        dx[:, :, t] = step["dxt"]
        da_prev = {carry}
        {add}
    return {{"dx": dx, "da0": {da0}, "dWax": dWax, "dWaa": dWaa, "dba": dba}}
'''


CHECKER = '''
def bptt_gradient_check(backward, x, a0, params, da, eps=1e-5):
    _, _, caches = rnn_forward(x, a0, params)
    grads = backward(da, caches)

    def loss():
        return np.sum(da * rnn_forward(x, a0, params)[0])

    arrays = {"dx": x, "da0": a0, "dWax": params["Wax"], "dWaa": params["Waa"],
              "dba": params["ba"]}
    errors = {}
    for key, value in arrays.items():
        numeric = np.zeros(value.shape)
        for i in np.ndindex(value.shape):
            saved = value[i]
            value[i] = saved + eps
            plus = loss()
            value[i] = saved - eps
            minus = loss()
            value[i] = saved
            numeric[i] = (plus - minus) / (2 * eps)
        errors[key] = rel_error(grads[key], numeric)
    return errors
'''


def checker(old, new):
    assert old in CHECKER, old
    return CHECKER.replace(old, new)


RNN = ["check_rnn_backward"]
CHECK = ["check_bptt_gradient_check"]

ANSWERS = [
    {"name": "the dba sum started as an (n_a, m) array", "checks": ["check_rnn_backward"],
     "mistake": "ex06/dba-broadcast", "says": ["the same column repeated", "np.zeros((n_a, 1))"],
     "code": bptt(add="dWax = dWax + step['dWax']\n        dWaa = dWaa + step['dWaa']\n"
                      "        dba = (np.zeros((n_a, m)) if t == T_x - 1 else dba) + step['dba']")},
    {"name": "BPTT, a loop with sums", "right": True, "checks": RNN, "code": bptt()},
    {"name": "BPTT, dicts summed with +=", "right": True, "checks": RNN, "code": '''
def rnn_backward(da, caches):
    T_x = da.shape[2]
    grads = {"dx": np.zeros((caches[0][2].shape[0],) + da.shape[1:])}
    total = {"dWax": 0, "dWaa": 0, "dba": 0}
    carried = np.zeros(da.shape[:2])
    for t in range(T_x - 1, -1, -1):
        g = rnn_cell_backward(np.add(da[:, :, t], carried), caches[t])
        grads["dx"][:, :, t], carried = g["dxt"], g["da_prev"]
        for key in total:
            total[key] += g[key]
    return {**grads, **total, "da0": carried}
'''},
    {"name": "the gradient from the next step forgotten", "checks": RNN,
     "mistake": "ex06/no-carry", "says": ["not added", "da[:, :, t] + da_prev"],
     "code": bptt(upstream="da[:, :, t]")},
    {"name": "the loop run forwards", "checks": RNN, "mistake": "ex06/loop-forwards",
     "says": ["runs forwards", "reversed(range(T_x))"], "code": bptt(steps="range(T_x)")},
    {"name": "caches[t - 1]", "checks": RNN, "mistake": "ex06/wrong-cache-index",
     "says": ["caches[t - 1]", "caches[t]"], "code": bptt(cache="caches[t - 1]")},
    {"name": "da[:, :, t] forgotten", "checks": RNN, "mistake": "ex06/da-not-added",
     "says": ["every gradient is zero", "da[:, :, t] + da_prev"],
     "code": bptt(upstream="da_prev")},
    {"name": "range(T_x - 1, 0, -1)", "checks": RNN, "mistake": "ex06/first-step-skipped",
     "says": ["stops before t = 0", "range(T_x - 1, -1, -1)"],
     "code": bptt(steps="range(T_x - 1, 0, -1)")},
    {"name": "dx never filled", "checks": RNN, "mistake": "ex06/dx-not-stored",
     "says": ["dx is all zero", "dx[:, :, t]"],
     "code": bptt().replace('dx[:, :, t] = step["dxt"]', 'dxt = step["dxt"]')},
    {"name": "weight gradients overwritten", "checks": RNN,
     "mistake": "ex06/weights-overwritten", "says": ["only one step's share", "+="],
     "code": bptt(add="dWax, dWaa, dba = step['dWax'], step['dWaa'], step['dba']")},
    {"name": "weight gradients averaged", "checks": RNN, "mistake": "ex06/weights-averaged",
     "says": ["averaged", "sum"],
     "code": bptt(add="dWax = dWax + step['dWax'] / T_x\n        dWaa = dWaa + step['dWaa'] / T_x"
                  "\n        dba = dba + step['dba'] / T_x")},
    {"name": "da0 all zero", "checks": RNN, "mistake": "ex06/da0-zero", "says": ["all zero"],
     "code": bptt(da0="np.zeros((n_a, m))")},
    {"name": "da0 from above", "checks": RNN, "mistake": "ex06/da0-wrong",
     "says": ["da0 is wrong", "first step's backward pass"], "code": bptt(da0="da[:, :, 0]")},
    # through the general check: the term at fault found, not recognised from a list
    {"name": "the carry started from the last step's da", "checks": RNN,
     "mistake": "ex06/start-wrong",
     "says": ["yours starts da_prev at da[:, :, T_x - 1]", "da_prev = np.zeros((n_a, m))",
              "dx first differs at step t = "],
     "code": bptt().replace("da_prev = np.zeros((n_a, m))", "da_prev = da[:, :, -1]")},
    {"name": "caches walked from the end", "checks": RNN, "mistake": "ex06/cache-order-wrong",
     "says": ["the cache order: step t must read caches[t]", "yours: step"],
     "code": bptt(cache="caches[T_x - 1 - t]")},
    {"name": "the carry subtracted", "checks": RNN, "mistake": "ex06/carry-wrong",
     "says": ["The fault is in the carry", "da_prev"],
     "code": bptt(upstream="da[:, :, t] - da_prev")},
    {"name": "the last step skipped", "checks": RNN, "mistake": "ex06/start-wrong",
     "says": ["step t = T_x - 1 first"], "code": bptt(steps="range(T_x - 2, -1, -1)")},
    {"name": "dba overwritten, the other two summed", "checks": RNN,
     "mistake": "ex06/sum-dba-wrong",
     "says": ["dba is wrong (dx, da0, dWax, dWaa right)", "every step's share added up"],
     "code": bptt(add="dWax = dWax + step['dWax']\n        dWaa = dWaa + step['dWaa']\n"
                  "        dba = step['dba']")},
    {"name": "da read one step early", "checks": RNN, "mistake": "ex06/cache-order-wrong",
     "says": ["the index of da: step t must read da[:, :, t], the same t", "yours: step"],
     "code": bptt(upstream="da[:, :, t - 1] + da_prev")},
    {"name": "da changed in place", "checks": RNN, "mistake": "ex06/changes-its-input",
     "says": ["modified its argument da in place"],
     "code": bptt(upstream="da[:, :, t]", before="    da[:, :, 0] += 1e-3\n")},
    {"name": "dx transposed", "checks": RNN, "mistake": "ex06/wrong-shape",
     "says": ["dx should have shape (n_x, m, T_x)"],
     "code": bptt().replace('{"dx": dx,', '{"dx": dx.transpose(1, 0, 2),')},
    {"name": "the package's BPTT", "checks": RNN, "mistake": "ex06/uses-reference",
     "says": ["your rnn_backward calls rnnlesson.rnn_backward_by_cells"], "code": '''
import rnnlesson

def rnn_backward(da, caches):
    return rnnlesson.rnn_backward_by_cells(da, caches)
'''},
    # --- the gradient check
    {"name": "checker, loops over entries", "right": True, "checks": CHECK, "code": CHECKER},
    {"name": "checker, np.nditer and a helper", "right": True, "checks": CHECK, "code": '''
def centred(loss, value, eps):
    grad = np.zeros_like(value)
    it = np.nditer(value, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = value[i]
        value[i] = old + eps
        up = loss()
        value[i] = old - eps
        down = loss()
        value[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def bptt_gradient_check(backward, x, a0, params, da, eps=1e-5):
    grads = backward(da, rnn_forward(x, a0, params)[2])
    def loss():
        return float((da * rnn_forward(x, a0, params)[0]).sum())
    return {key: rel_error(grads[key], centred(loss, value, eps)) for key, value in
            [("dx", x), ("da0", a0), ("dWax", params["Wax"]), ("dWaa", params["Waa"]),
             ("dba", params["ba"])]}
'''},
    {"name": "max|diff| instead of the relative error", "checks": CHECK,
     "mistake": "ex06/absolute-difference", "says": ["absolute difference", "rel_error"],
     "code": checker("errors[key] = rel_error(grads[key], numeric)",
                     "errors[key] = float(np.max(np.abs(grads[key] - numeric)))")},
    {"name": "a one-sided difference", "checks": CHECK,
     "mistake": "ex06/one-sided", "says": ["(L(θ + eps) - L(θ)) / eps", "centred"],
     "code": checker("value[i] = saved - eps\n            minus = loss()",
                     "value[i] = saved\n            minus = loss()").replace(
                         "(plus - minus) / (2 * eps)", "(plus - minus) / eps")},
    {"name": "a one-sided difference divided by 2 eps", "checks": CHECK,
     "mistake": "ex06/one-sided",
     "says": ["(L(θ + eps) - L(θ)) / (2 eps)", "eps apart", "centred"],
     "code": checker("value[i] = saved - eps\n            minus = loss()",
                     "value[i] = saved\n            minus = loss()")},
    {"name": "a backward one-sided difference divided by 4 eps", "checks": CHECK,
     "mistake": "ex06/one-sided",
     "says": ["1/4 times the one-sided difference (L(θ) - L(θ - eps)) / eps", "centred"],
     "code": checker("value[i] = saved + eps\n            plus = loss()",
                     "value[i] = saved\n            plus = loss()").replace(
                         "(plus - minus) / (2 * eps)", "(plus - minus) / (4 * eps)")},
    {"name": "divided by eps", "checks": CHECK, "mistake": "ex06/half-the-step",
     "says": ["2 eps"], "code": checker("(plus - minus) / (2 * eps)", "(plus - minus) / eps")},
    {"name": "a step too large", "checks": CHECK, "mistake": "ex06/eps-wrong",
     "says": ["eps = 0.3", "eps = 1e-5"],
     "code": checker("def bptt_gradient_check(backward, x, a0, params, da, eps=1e-5):",
                     "def bptt_gradient_check(backward, x, a0, params, da, eps=0.3):")},
    {"name": "nudged entries not put back", "checks": CHECK,
     "mistake": "ex06/entry-not-restored", "says": ["(+1 eps)", "must get its saved value back"],
     "code": checker("            value[i] = saved\n            numeric",
                     "            value[i] = saved + eps\n            numeric")},
    {"name": "gradients compared with the wrong arrays", "checks": CHECK,
     "mistake": "ex06/misses-a-wrong-gradient", "says": ["did not notice a wrong dx"],
     "code": checker("errors[key] = rel_error(grads[key], numeric)",
                     "errors[{'dx': 'dba', 'dba': 'dx'}.get(key, key)] = rel_error(grads[key], "
                     "numeric)")},
    {"name": "the learner's own rnn_backward checked", "checks": CHECK,
     "mistake": "ex06/ignores-backward", "says": ["backward(da, caches), the argument"],
     "code": bptt() + checker("grads = backward(da, caches)", "grads = rnn_backward(da, caches)")},
    {"name": "copies nudged", "checks": CHECK, "mistake": "ex06/nudges-a-copy",
     "says": ["numerical dWax is zero", "not copies"],
     "code": checker('"dWax": params["Wax"], "dWaa": params["Waa"]',
                     '"dWax": params["Wax"].copy(), "dWaa": params["Waa"]')},
    {"name": "L = sum(a), da left out", "checks": CHECK,
     "mistake": "ex06/loss-ignores-da", "says": ["gradient of L = sum(a)", "L = sum(da * a)"],
     "code": checker("return np.sum(da * rnn_forward(x, a0, params)[0])",
                     "return np.sum(rnn_forward(x, a0, params)[0])")},
    {"name": "always zero", "checks": CHECK, "mistake": "ex06/misses-a-wrong-gradient",
     "says": ["did not notice"], "code": checker("    return errors",
                                                 "    return {k: 0.0 for k in errors}")},
    {"name": "a list of errors", "checks": CHECK, "mistake": "ex06/wrong-return",
     "says": ["dict of relative errors"], "code": checker("    return errors",
                                                          "    return list(errors.values())")},
    {"name": "the package's gradient_check", "checks": CHECK, "mistake": "ex06/uses-reference",
     "says": ["rnnlesson.numerical_gradient"], "code": '''
from rnnlesson import numerical_gradient

def bptt_gradient_check(backward, x, a0, params, da, eps=1e-5):
    grads = backward(da, rnn_forward(x, a0, params)[2])
    def loss():
        return np.sum(da * rnn_forward(x, a0, params)[0])
    return {key: rel_error(grads[key], numerical_gradient(loss, value, eps)) for key, value in
            [("dx", x), ("da0", a0), ("dWax", params["Wax"]), ("dWaa", params["Waa"]),
             ("dba", params["ba"])]}
'''},
]

MUTANTS = [
    {
        "function": "rnn_backward", "spec": "rnnlesson.checks.backward_general:SEQ_SPEC",
        "checks": RNN, "outputs": ["dx", "da0", "dWax", "dWaa", "dba"],
        "aliases": {"da_prev": ["the carry"], "da": ["gradient from above"],
                    "t": ["step t"], "step": ["step t"], "reversed": ["loop's direction"],
                    "T_x": ["T_x - 1"]},
    },
    {"function": "bptt_gradient_check", "spec": "rnnlesson.checks.gradcheck:CHECK_SPEC",
     "checks": CHECK, "outputs": ["errors"],
     "aliases": {"eps": ["eps", "centred differences", "nudge"],
                 "plus": ["centred differences"], "minus": ["centred differences"],
                 "numeric": ["centred differences", "numerical"],
                 "saved": ["restored", "nudged", "θ", "in place"],
                 "loss": ["L = sum(da * a)", "loss"],
                 "errors": ["relative error"], "grads": ["backward"]}},
]

# Found by an independent review (fresh mistakes, none of them listed before).
ANSWERS += [
    {"name": "da of the step added to the carry after the step",
     "mistake": "ex06/da-added-after-step", "says": ["added to the carry after step t"],
     "checks": RNN, "code": bptt(upstream="da_prev", carry='step["da_prev"] + da[:, :, t]')},
]

# The terms that reach a_t (da[:, :, t] from above, da_prev from step t + 1), one of them left
# out at some steps: found by trying every subset of steps for each term, not from a list.
ANSWERS += [
    {"name": "da from above added at the last step only", "checks": RNN,
     "mistake": "ex06/da-missing-at-steps",
     "says": ["da[:, :, t], the gradient from above", "only at t = ", "the last step"],
     "code": bptt(upstream="(da[:, :, t] if t == T_x - 1 else 0) + da_prev")},
    {"name": "da from above skipped at the first step", "checks": RNN,
     "mistake": "ex06/da-missing-at-steps",
     "says": ["da[:, :, t], the gradient from above", "t = 0 (the first step)"],
     "code": bptt(upstream="(da[:, :, t] if t > 0 else np.zeros((n_a, m))) + da_prev")},
    {"name": "the carry dropped into the first step", "checks": RNN,
     "mistake": "ex06/carry-missing-at-steps",
     "says": ["da_prev, the gradient from step t + 1, is left out", "t = 0"],
     "code": bptt(upstream="da[:, :, t] + (da_prev if t > 0 else 0)")},
]

# The learner's checker judged by what its numerical gradient is: the check hands it backward
# passes whose gradient is a candidate (zero, a multiple, another loss's gradient, a one-sided
# difference) and reads which one it accepts.
ANSWERS += [
    {"name": "the loss from a forward pass run once", "checks": CHECK,
     "mistake": "ex06/loss-not-recomputed",
     "says": ["numerical dx is zero", "in place", "forward pass run once"],
     "code": checker("    def loss():\n        return np.sum(da * rnn_forward(x, a0, params)[0])",
                     "    a_once = rnn_forward(x, a0, params)[0]\n\n    def loss():\n"
                     "        return np.sum(da * a_once)")},
    {"name": "the loss of the last step only", "checks": CHECK,
     "mistake": "ex06/loss-last-step", "says": ["last step only", "sum(da * a)"],
     "code": checker("return np.sum(da * rnn_forward(x, a0, params)[0])",
                     "return np.sum(da[:, :, -1] * rnn_forward(x, a0, params)[0][:, :, -1])")},
    {"name": "the difference taken the wrong way round", "checks": CHECK,
     "mistake": "ex06/negated", "says": ["minus the lecture's"],
     "code": checker("(plus - minus) / (2 * eps)", "(minus - plus) / (2 * eps)")},
    {"name": "the loss a mean", "checks": CHECK, "mistake": "ex06/scaled",
     "says": ["times the lecture's", "a mean"],
     "code": checker("return np.sum(da * rnn_forward(x, a0, params)[0])",
                     "return np.mean(da * rnn_forward(x, a0, params)[0])")},
    {"name": "divided by 4 eps", "checks": CHECK, "mistake": "ex06/scaled",
     "says": ["half the lecture's"],
     "code": checker("(plus - minus) / (2 * eps)", "(plus - minus) / (4 * eps)")},
]

# The carry into the last step solved for (the gradients are affine in it): any start but 0.
ANSWERS += [
    {"name": "the carry started at ones", "checks": RNN, "mistake": "ex06/start-wrong",
     "says": ["yours starts da_prev at np.ones((n_a, m))", "da_prev = np.zeros((n_a, m))"],
     "code": bptt().replace("da_prev = np.zeros((n_a, m))", "da_prev = np.ones((n_a, m))")},
    {"name": "the carry started at da's first step", "checks": RNN, "mistake": "ex06/start-wrong",
     "says": ["yours starts da_prev at da[:, :, 0]"],
     "code": bptt().replace("da_prev = np.zeros((n_a, m))", "da_prev = da[:, :, 0].copy()")},
    {"name": "the carry started at a half", "checks": RNN, "mistake": "ex06/start-wrong",
     "says": ["the carry into the last step is not 0", "[[0.5"],
     "code": bptt().replace("da_prev = np.zeros((n_a, m))", "da_prev = np.full((n_a, m), 0.5)")},
]
ANSWERS += [
    {"name": "the loss summed in float32", "checks": CHECK, "mistake": "ex06/float32",
     "says": ["rounded to float32", "float64"],
     "code": checker("return np.sum(da * rnn_forward(x, a0, params)[0])",
                     "return (da * rnn_forward(x, a0, params)[0]).astype(np.float32).sum()")},
    {"name": "a step of its own, 1e-3", "checks": CHECK, "mistake": "ex06/eps-wrong",
     "says": ["a step of 0.001", "not by the eps argument"],
     "code": checker("value[i] = saved + eps\n            plus = loss()\n"
                     "            value[i] = saved - eps",
                     "value[i] = saved + 1e-3\n            plus = loss()\n"
                     "            value[i] = saved - 1e-3").replace(
                         "(plus - minus) / (2 * eps)", "(plus - minus) / 2e-3")},
]

# Review 9: the checker's analytic side from a nudged forward pass, relative nudges, an
# entry-by-entry error, and gradients paired with another array's differences.
ANSWERS += [
    {"name": "backward run inside the loop on nudged caches", "checks": CHECK,
     "mistake": "ex06/caches-nudged", "says": ["caches of a forward pass run while an entry "
                                               "was nudged"],
     "code": checker("            value[i] = saved\n            numeric[i] = (plus - minus) / "
                     "(2 * eps)\n",
                     "            grads = backward(da, rnn_forward(x, a0, params)[2])\n"
                     "            value[i] = saved\n            numeric[i] = (plus - minus) / "
                     "(2 * eps)\n")},
    {"name": "relative nudges", "checks": CHECK, "mistake": "ex06/relative-nudge",
     "says": ["your nudges are relative"],
     "code": checker("value[i] = saved + eps", "value[i] = saved * (1 + eps)").replace(
         "value[i] = saved - eps", "value[i] = saved * (1 - eps)")},
    {"name": "the mean of the entries' relative errors", "checks": CHECK,
     "mistake": "ex06/another-measure", "says": ["the mean of the entries' relative errors"],
     "code": checker("errors[key] = rel_error(grads[key], numeric)",
                     "errors[key] = float(np.mean(np.abs(grads[key] - numeric) / "
                     "(np.abs(grads[key]) + np.abs(numeric) + 1e-300)))")},
    {"name": "dWax paired with Waa's differences", "checks": CHECK,
     "mistake": "ex06/gradient-paired-wrongly", "says": ["paired with the differences of "
                                                         "another array"],
     "code": checker('"dWax": params["Wax"], "dWaa": params["Waa"]',
                     '"dWax": params["Waa"], "dWaa": params["Wax"]')},
]
