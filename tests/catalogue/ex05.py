"""Exercise 5: rnn_cell_backward, checked for its shapes, then its gradients."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rnn_cell_forward
'''
CHECKS = ["check_rnn_cell_backward_shapes", "check_rnn_cell_backward"]


def step(dz="da_next * (1.0 - a_next**2)", dxt='params["Wax"].T @ dz',
         da_prev='params["Waa"].T @ dz', dWax="dz @ xt.T", dWaa="dz @ a_prev.T",
         dba="dz.sum(axis=1, keepdims=True)", before=""):
    """The learner's backward step with one line changed."""
    return f'''
def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, params = cache
{before}    dz = {dz}
    return {{"dxt": {dxt}, "da_prev": {da_prev}, "dWax": {dWax}, "dWaa": {dWaa},
            "dba": {dba}}}
'''


ANSWERS = [
    {"name": "with @", "right": True, "code": step()},
    {"name": "with np.dot, np.sum and tanh' from z", "right": True, "code": step(
        dz='da_next * (1 - np.tanh(np.arctanh(a_next)) ** 2)', dxt='np.dot(params["Wax"].T, dz)',
        dWax="np.dot(dz, xt.T)", dba="np.sum(dz, axis=1).reshape(-1, 1)")},
    {"name": "1 - a_next, not squared", "mistake": "ex05/tanh-derivative-not-squared",
     "says": ["dz should be da_next * (1 - a_next**2)", "da_next * (1 - a_next)", "square"],
     "code": step(dz="da_next * (1 - a_next)")},
    {"name": "no tanh derivative", "mistake": "ex05/tanh-derivative-missing",
     "says": ["tanh derivative is missing"], "code": step(dz="da_next")},
    {"name": "derivative at a_prev", "mistake": "ex05/tanh-derivative-at-a-prev",
     "says": ["taken at a_prev"], "code": step(dz="da_next * (1 - a_prev**2)")},
    {"name": "tanh taken of an activated value", "mistake": "ex05/tanh-applied-twice",
     "says": ["applies tanh twice"], "code": step(dz="da_next * (1 - np.tanh(a_next) ** 2)")},
    {"name": "Waa without .T", "mistake": "ex05/da-prev-not-transposed",
     "says": ["da_prev is wrong", "Waa.T"], "code": step(da_prev='params["Waa"] @ dz')},
    {"name": "dWaa from a_next", "mistake": "ex05/dwaa-uses-a-next",
     "says": ["dWaa is wrong", "a_prev.T"], "code": step(dWaa="dz @ a_next.T")},
    {"name": "dba a mean", "mistake": "ex05/dba-mean", "says": ["dba is wrong", "not the mean"],
     "code": step(dba="dz.mean(axis=1, keepdims=True)")},
    {"name": "weight gradients averaged over the examples", "mistake": "ex05/weights-averaged",
     "says": ["divided by m", "no mean"],
     "code": step(dWax="dz @ xt.T / dz.shape[1]", dWaa="dz @ a_prev.T / dz.shape[1]",
                  dba="dz.mean(axis=1, keepdims=True)")},
    # through the general check: the term at fault found, not recognised from a list
    {"name": "tanh's derivative written as the sigmoid's", "mistake": "ex05/dz-wrong",
     "says": ["The fault is in dz = da_next * (1 - a_next**2)", "yours differs: there dz is "
              "da_next itself", "dz: the lecture's"],
     "code": step(dz="da_next * a_next * (1 - a_next)")},
    {"name": "da_next forgotten in dz", "mistake": "ex05/dz-wrong",
     "says": ["The fault is in dz = da_next * (1 - a_next**2)"], "code": step(dz="1 - a_next**2")},
    {"name": "the square outside the bracket", "mistake": "ex05/dz-wrong",
     "says": ["The fault is in dz", "tanh's derivative"],
     "code": step(dz="da_next * (1 - a_next) ** 2")},
    {"name": "dba summed from da_next", "mistake": "ex05/dba-wrong",
     "says": ["dba is wrong (dxt, da_prev, dWax, dWaa right)", "The fault is in dba = dz.sum"],
     "code": step(dba="da_next.sum(axis=1, keepdims=True)")},
    {"name": "dxt from Waa", "mistake": "ex05/wrong-shape",
     "says": ["dxt should have shape (n_x, m)", "dxt = Wax.T @ dz"],
     "code": step(dxt='params["Waa"].T @ dz')},
    {"name": "dba without keepdims", "mistake": "ex05/dba-not-a-column", "says": ["keepdims"],
     "code": step(dba="dz.sum(axis=1)")},
    {"name": "dba not summed", "mistake": "ex05/dba-not-summed", "says": ["Sum dz over the m"],
     "code": step(dba="dz")},
    {"name": "dWax = xt @ dz.T", "mistake": "ex05/transposed", "says": ["dWax", "transposed"],
     "code": step(dWax="xt @ dz.T")},
    {"name": "Wax @ dz", "mistake": "ex05/product-not-transposed",
     "says": ["dxt = Wax.T @ dz"], "code": step(dxt='params["Wax"] @ dz')},
    {"name": "a key missing", "mistake": "ex05/missing-key", "says": ["missing dba"],
     "code": step().replace('"dba": dz.sum(axis=1, keepdims=True)', '"db": dz.sum(axis=1)')},
    {"name": "da_next changed in place", "mistake": "ex05/changes-its-input",
     "says": ["modified its argument da_next in place"],
     "code": step(dz="da_next", before="    da_next *= 1.0 - a_next**2\n")},
    {"name": "the package's backward step", "mistake": "ex05/uses-reference",
     "says": ["your rnn_cell_backward calls rnnlesson.rnn_cell_backward"], "code": '''
import rnnlesson

def rnn_cell_backward(da_next, cache):
    return dict(rnnlesson.rnn_cell_backward(da_next, cache))
'''},
    {"name": "the package's BPTT on one step", "mistake": "ex05/uses-reference",
     "says": ["rnnlesson.rnn_backward_by_cells"], "code": '''
import rnnlesson

def rnn_cell_backward(da_next, cache):
    g = rnnlesson.rnn_backward_by_cells(da_next[:, :, None], [cache])
    return {"dxt": g["dx"][:, :, 0], "da_prev": g["da0"], "dWax": g["dWax"],
            "dWaa": g["dWaa"], "dba": g["dba"]}
'''},
]

MUTANTS = {
    "function": "rnn_cell_backward", "spec": "rnnlesson.checks.backward_general:CELL_SPEC",
    "checks": CHECKS, "outputs": ["dxt", "da_prev", "dWax", "dWaa", "dba"],
    "aliases": {"dz": ["tanh's derivative"], "a_next": ["1 - a_next**2"],
                "da_next": ["dz = da_next"], "Wax": ["Wax.T @ dz"], "Waa": ["Waa.T @ dz"],
                "xt": ["dz @ xt.T"], "a_prev": ["dz @ a_prev.T"], "sum": ["dz summed"]},
}
