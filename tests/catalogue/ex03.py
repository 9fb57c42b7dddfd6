"""Exercise 3: rnn_cell_forward, checked for its shapes, then its values."""

PRELUDE = '''
import numpy as np

def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''
CHECKS = ["check_rnn_cell_forward_shapes", "check_rnn_cell_forward"]


def cell(a_next="np.tanh(params['Waa'] @ a_prev + params['Wax'] @ xt + params['ba'])",
         yt_pred="softmax(params['Wya'] @ a_next + params['by'])",
         cache="(a_next, a_prev, xt, params)", before=""):
    """The learner's cell with one line changed."""
    return f'''
def rnn_cell_forward(xt, a_prev, params):
{before}    a_next = {a_next}
    yt_pred = {yt_pred}
    cache = {cache}
    return a_next, yt_pred, cache
'''


ANSWERS = [
    {"name": "with @", "right": True, "code": cell()},
    {"name": "with np.dot and a softmax written out, shifted", "right": True, "code": cell(
        a_next="np.tanh(np.dot(params['Wax'], xt) + np.dot(params['Waa'], a_prev) "
        "+ params['ba'])",
        yt_pred="np.exp(params['Wya'] @ a_next + params['by'] - (params['Wya'] @ a_next "
        "+ params['by']).max(axis=0)) / np.exp(params['Wya'] @ a_next + params['by'] - "
        "(params['Wya'] @ a_next + params['by']).max(axis=0)).sum(axis=0)")},
    {"name": "a softmax written out without the shift", "mistake": "ex03/overflow",
     "says": ["with large logits", "contains NaN or infinite values",
              "Subtract each column's largest logit"],
     "code": cell(
        yt_pred="np.exp(params['Wya'] @ a_next + params['by']) / np.exp(params['Wya'] @ a_next "
        "+ params['by']).sum(axis=0)")},
    {"name": "sigmoid instead of tanh", "mistake": "ex03/not-tanh", "says": ["sigmoid", "tanh"],
     "code": cell(a_next="1 / (1 + np.exp(-(params['Waa'] @ a_prev + params['Wax'] @ xt "
                  "+ params['ba'])))")},
    {"name": "no tanh", "mistake": "ex03/tanh-missing", "says": ["tanh is not applied"],
     "code": cell(a_next="params['Waa'] @ a_prev + params['Wax'] @ xt + params['ba']")},
    {"name": "no bias", "mistake": "ex03/bias-missing", "says": ["bias ba is missing"],
     "code": cell(a_next="np.tanh(params['Waa'] @ a_prev + params['Wax'] @ xt)")},
    {"name": "Wax and Waa swapped", "mistake": "ex03/weights-swapped",
     "says": ["Wax and Waa are swapped"],
     "code": cell(a_next="np.tanh(params['Wax'] @ a_prev + params['Waa'] @ xt + params['ba'])")},
    {"name": "Wax.T @ xt", "mistake": "ex03/wax-transposed", "says": ["Wax.T", "transposed"],
     "code": cell(a_next="np.tanh(params['Waa'] @ a_prev + params['Wax'].T @ xt "
                  "+ params['ba'])")},
    {"name": "Waa.T @ a_prev", "mistake": "ex03/waa-transposed", "says": ["Waa.T", "transposed"],
     "code": cell(a_next="np.tanh(params['Waa'].T @ a_prev + params['Wax'] @ xt "
                  "+ params['ba'])")},
    {"name": "softmax over the examples", "mistake": "ex03/softmax-wrong-axis",
     "says": ["wrong axis", "axis=0"],
     "code": cell(yt_pred="np.exp(params['Wya'] @ a_next) / np.exp(params['Wya'] @ a_next + "
                  "params['by']).sum(axis=1, keepdims=True) * np.exp(params['by'])")},
    {"name": "no softmax", "mistake": "ex03/softmax-missing", "says": ["softmax"],
     "code": cell(yt_pred="params['Wya'] @ a_next + params['by']")},
    {"name": "no output bias", "mistake": "ex03/output-bias-missing",
     "says": ["output bias by is missing"],
     "code": cell(yt_pred="softmax(params['Wya'] @ a_next)")},
    {"name": "prediction from a_prev", "mistake": "ex03/prediction-from-a-prev",
     "says": ["from a_prev", "a_next"],
     "code": cell(yt_pred="softmax(params['Wya'] @ a_prev + params['by'])")},
    {"name": "a_prev updated in place", "mistake": "ex03/changes-its-input",
     "says": ["modified its argument a_prev in place"],
     "code": cell(before="    a_prev *= 1.0 + 0 * a_prev\n    a_prev += 0.5\n")},
    {"name": "a short cache", "mistake": "ex03/cache-wrong",
     "says": ["cache should be the tuple (a_next, a_prev, xt, params)"],
     "code": cell(cache="(a_next, xt)")},
    {"name": "a_next transposed", "mistake": "ex03/transposed", "says": ["(n_a, m)", "transposed"],
     "code": cell(yt_pred="softmax(params['Wya'] @ a_next + params['by'])",
                  cache="(a_next, a_prev, xt, params)").replace(
                      "return a_next, yt_pred", "return a_next.T, yt_pred")},
    {"name": "a list of the three values", "mistake": "ex03/wrong-return",
     "says": ["the tuple (a_next, yt_pred, cache)", "received a list"],
     "code": cell().replace("return a_next, yt_pred, cache", "return [a_next, yt_pred, cache]")},
    {"name": "the package's cell", "mistake": "ex03/uses-reference",
     "says": ["your rnn_cell_forward calls rnnlesson.rnn_cell_forward, the function this "
              "exercise asks you to write"], "code": '''
import rnnlesson

def rnn_cell_forward(xt, a_prev, params):
    return rnnlesson.rnn_cell_forward(xt, a_prev, params)
'''},
    {"name": "the package's cell behind functools.wraps", "mistake": "ex03/uses-reference",
     "says": ["rnnlesson.rnn_cell_forward"], "code": '''
import functools
import rnnlesson

@functools.wraps(rnnlesson.rnn_cell_forward)
def rnn_cell_forward(*args):
    a_next, yt_pred, cache = rnnlesson.rnn_cell_forward(*args)
    return a_next + 0.0, yt_pred, cache
'''},
    {"name": "a copy of the package's code", "mistake": "ex03/uses-reference",
     "says": ["rnnlesson.rnn_cell_forward"], "code": '''
import types
import rnnlesson.rnn

rnn_cell_forward = types.FunctionType(rnnlesson.rnn.rnn_cell_forward.__code__,
                                      vars(rnnlesson.rnn), "my_cell")
'''},
    {"name": "the package's rnn_forward on one step", "mistake": "ex03/uses-reference",
     "says": ["rnnlesson.rnn_forward"], "code": '''
from rnnlesson import rnn_forward

def rnn_cell_forward(xt, a_prev, params):
    a, y, _ = rnn_forward(xt[:, :, None], a_prev, params)
    return a[:, :, 0], y[:, :, 0], (a[:, :, 0], a_prev, xt, params)
'''},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
MUTANTS = {
    "function": "rnn_cell_forward", "spec": "rnnlesson.checks.forward:SPEC",
    "checks": CHECKS, "outputs": ["a_next", "yt_pred"],
    "aliases": {"Wax": ["Wax xt"], "xt": ["Wax xt"], "Waa": ["Waa a_prev"],
                "a_prev": ["Waa a_prev"], "ba": ["bias ba"], "by": ["output bias by"],
                "Wya": ["Wya a_next"], "softmax": ["softmax"], "tanh": ["tanh"]},
}

ANSWERS += [
    {"name": "Waa * a_prev (review 7)", "mistake": "ex03/raises-error",
     "says": ["`*` multiplies entry by entry", "`params['Waa'] @ a_prev`"],
     "code": cell(a_next="np.tanh(params['Waa'] * a_prev + params['Wax'] @ xt + params['ba'])")},
    {"name": "Wax * xt", "mistake": "ex03/raises-error",
     "says": ["`*` multiplies entry by entry", "`params['Wax'] @ xt`"],
     "code": cell(a_next="np.tanh(params['Waa'] @ a_prev + params['Wax'] * xt + params['ba'])")},
    {"name": "Wya * a_next, the weights named", "mistake": "ex03/raises-error",
     "says": ["`*` multiplies entry by entry", "`Wya @ a_next`"],
     "code": cell(before="    Wya, by = params['Wya'], params['by']\n",
                  yt_pred="softmax(Wya * a_next + by)")},
    {"name": "np.multiply for the input's product", "mistake": "ex03/raises-error",
     "says": ["`*` multiplies entry by entry", "`Wax @ xt`"],
     "code": cell(before="    Wax = params['Wax']\n",
                  a_next="np.tanh(params['Waa'] @ a_prev + np.multiply(Wax, xt) "
                  "+ params['ba'])")},
    {"name": "tanh on the logits too (review 7)", "mistake": "ex03/yt-pred-extra-function",
     "says": ["you applied tanh to Wya a_next + by", "only a_next gets tanh"],
     "code": cell(yt_pred="softmax(np.tanh(params['Wya'] @ a_next + params['by']))")},
    {"name": "sigmoid on the logits", "mistake": "ex03/yt-pred-extra-function",
     "says": ["you applied sigmoid to Wya a_next + by"],
     "code": cell(yt_pred="softmax(1 / (1 + np.exp(-(params['Wya'] @ a_next "
                  "+ params['by']))))")},
    {"name": "softmax twice", "mistake": "ex03/yt-pred-extra-function",
     "says": ["you applied softmax to Wya a_next + by"],
     "code": cell(yt_pred="softmax(softmax(params['Wya'] @ a_next + params['by']))")},
    {"name": "tanh after the softmax", "mistake": "ex03/yt-pred-extra-function",
     "says": ["you applied tanh to the softmax of Wya a_next + by"],
     "code": cell(yt_pred="np.tanh(softmax(params['Wya'] @ a_next + params['by']))")},
    {"name": "tanh twice on the state", "mistake": "ex03/a-next-extra-function",
     "says": ["yours is tanh(tanh(Waa a_prev + Wax xt + ba))"],
     "code": cell(a_next="np.tanh(np.tanh(params['Waa'] @ a_prev + params['Wax'] @ xt "
                  "+ params['ba']))")},
]

# Review 9: a softmax shifted by the largest logit of the whole array, not each column's.
ANSWERS += [
    {"name": "a softmax shifted by the whole array's maximum", "mistake": "ex03/overflow",
     "says": ["logits lie thousands apart", "each column's own largest logit"],
     "code": cell(yt_pred="np.exp(params['Wya'] @ a_next + params['by'] - (params['Wya'] @ a_next "
                  "+ params['by']).max()) / np.exp(params['Wya'] @ a_next + params['by'] - "
                  "(params['Wya'] @ a_next + params['by']).max()).sum(axis=0)")},
]
