"""Exercise 10: lstm_cell_forward, checked for its shapes, then its values."""

PRELUDE = '''
import numpy as np

def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))

def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''
CHECKS = ["check_lstm_cell_forward_shapes", "check_lstm_cell_forward"]

LINES = {
    "concat": "np.concatenate([a_prev, xt])",
    "ft": "sigmoid(params['Wf'] @ concat + params['bf'])",
    "it": "sigmoid(params['Wi'] @ concat + params['bi'])",
    "cct": "np.tanh(params['Wc'] @ concat + params['bc'])",
    "ot": "sigmoid(params['Wo'] @ concat + params['bo'])",
    "c_next": "ft * c_prev + it * cct",
    "a_next": "ot * np.tanh(c_next)",
    "yt_pred": "softmax(params['Wya'] @ a_next + params['by'])",
    "cache": "(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)",
}


def cell(**changed):
    """The learner's step with the given lines changed."""
    lines = {**LINES, **changed}
    body = "".join(f"    {k} = {v}\n" for k, v in lines.items())
    return f'''
def lstm_cell_forward(xt, a_prev, c_prev, params):
{body}    return a_next, c_next, yt_pred, cache
'''


ANSWERS = [
    {"name": "with @", "right": True, "code": cell()},
    {"name": "each W split in its two halves", "right": True, "code": '''
def lstm_cell_forward(xt, a_prev, c_prev, params):
    n_a = a_prev.shape[0]
    def z(g):
        W = params["W" + g]
        return np.dot(W[:, :n_a], a_prev) + np.dot(W[:, n_a:], xt) + params["b" + g]
    ft, it, ot = (1 / (1 + np.exp(-z(g))) for g in "fio")
    cct = np.tanh(z("c"))
    c_next = it * cct + ft * c_prev
    a_next = np.tanh(c_next) * ot
    yt_pred = softmax(params["Wya"] @ a_next + params["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)
'''},
    {"name": "the gates stacked in one product", "right": True, "code": '''
def lstm_cell_forward(xt, a_prev, c_prev, params):
    W = np.vstack([params[k] for k in ("Wf", "Wi", "Wc", "Wo")])
    b = np.vstack([params[k] for k in ("bf", "bi", "bc", "bo")])
    z = W @ np.vstack([a_prev, xt]) + b
    zf, zi, zc, zo = np.split(z, 4)
    ft, it, cct, ot = sigmoid(zf), sigmoid(zi), np.tanh(zc), sigmoid(zo)
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(params["Wya"] @ a_next + params["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params)
'''},
    {"name": "forget and input gates swapped", "mistake": "ex10/gates-swapped",
     "says": ["forget and input gates are swapped"], "code": cell(c_next="it * c_prev + ft * cct")},
    {"name": "tanh on the forget gate", "mistake": "ex10/tanh-on-gamma-f",
     "says": ["forget gate uses tanh", "sigmoid"],
     "code": cell(ft="np.tanh(params['Wf'] @ concat + params['bf'])")},
    {"name": "tanh on the output gate", "mistake": "ex10/tanh-on-gamma-o",
     "says": ["output gate uses tanh"],
     "code": cell(ot="np.tanh(params['Wo'] @ concat + params['bo'])")},
    {"name": "sigmoid on the candidate", "mistake": "ex10/sigmoid-on-candidate",
     "says": ["candidate uses the sigmoid"],
     "code": cell(cct="sigmoid(params['Wc'] @ concat + params['bc'])")},
    {"name": "c_t without the forget gate", "mistake": "ex10/no-forget-gate",
     "says": ["without the forget gate"], "code": cell(c_next="c_prev + it * cct")},
    {"name": "c_t without the input gate", "mistake": "ex10/no-input-gate",
     "says": ["without the input gate", "Γ_i ⊙ c̃_t"], "code": cell(c_next="ft * c_prev + cct")},
    {"name": "a_t from c_prev", "mistake": "ex10/a-from-c-prev",
     "says": ["reads the old memory", "not c_prev"],
     "code": cell(a_next="ot * np.tanh(c_prev)")},
    {"name": "a_t without tanh", "mistake": "ex10/a-without-tanh",
     "says": ["a_next is Γ_o ⊙ c_next: tanh is missing"], "code": cell(a_next="ot * c_next")},
    {"name": "a_t without the output gate", "mistake": "ex10/a-without-output-gate",
     "says": ["output gate is missing"], "code": cell(a_next="np.tanh(c_next)")},
    {"name": "stacked as [x_t; a_prev]", "mistake": "ex10/stacked-wrong-order",
     "says": ["[xt; a_prev]", "a_prev on top"],
     "code": cell(concat="np.concatenate([xt, a_prev])")},
    {"name": "a bias flattened", "mistake": "ex10/bias-shape",
     "says": ["shape other than (n_a, 1)"],
     "code": cell(ft="sigmoid(params['Wf'] @ concat + params['bf'].ravel())")},
    {"name": "no output bias", "mistake": "ex10/output-bias-wrong",
     "says": ["yt_pred is wrong", "The fault is in the output bias by"],
     "code": cell(yt_pred="softmax(params['Wya'] @ a_next)")},
    {"name": "a short cache", "mistake": "ex10/cache-wrong",
     "says": ["cache should be the tuple (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, "
              "params)"], "code": cell(cache="(a_next, c_next, xt, params)")},
    {"name": "c_prev updated in place", "mistake": "ex10/changes-its-input",
     "says": ["modified its argument c_prev in place"],
     "code": cell(c_next="ft * c_prev + it * cct", cache="(a_next, c_next, a_prev, c_prev, ft, "
                  "it, cct, ot, xt, params)").replace("    concat =", "    c_prev *= 1.0\n"
                                                      "    c_prev += 0.5\n    concat =")},
    {"name": "not written", "mistake": "ex10/not-written", "says": ["not written yet"],
     "code": '''
def lstm_cell_forward(xt, a_prev, c_prev, params):
    raise NotImplementedError()
'''},
    {"name": "the package's cell", "mistake": "ex10/uses-reference",
     "says": ["your lstm_cell_forward calls rnnlesson.lstm_cell_forward"], "code": '''
import rnnlesson

def lstm_cell_forward(xt, a_prev, c_prev, params):
    return rnnlesson.lstm_cell_forward(xt, a_prev, c_prev, params)
'''},
    {"name": "the package's lstm_forward on one step", "mistake": "ex10/uses-reference",
     "says": ["rnnlesson.lstm_forward"], "code": '''
from rnnlesson import lstm_forward

def lstm_cell_forward(xt, a_prev, c_prev, params):
    a, y, c, cache = lstm_forward(xt[:, :, None], a_prev, params, c0=c_prev)
    return a[:, :, 0], c[:, :, 0], y[:, :, 0], cache
'''},
    {"name": "the package's sigmoid is fair", "right": True, "code": cell(
        ft="rnnlesson_sigmoid(params['Wf'] @ concat + params['bf'])").replace(
            "\ndef lstm_cell_forward", "\nfrom rnnlesson.gated import sigmoid as rnnlesson_sigmoid"
            "\n\ndef lstm_cell_forward")},
]
MUTANTS = {
    "function": "lstm_cell_forward", "spec": "rnnlesson.checks.lstm_general:FORWARD_SPEC",
    "checks": CHECKS, "outputs": ["a_next", "c_next", "yt_pred"],
    "aliases": {"ft": ["Γ_f", "forget gate"], "it": ["Γ_i", "input gate"],
                "cct": ["c̃_t", "candidate"], "ot": ["Γ_o", "output gate"],
                "c_next": ["c_t", "cell update"], "a_next": ["a_t"],
                "concat": ["[a_prev; x_t]", "stacked column"], "sigmoid": ["σ"],
                "yt_pred": ["ŷ_t", "prediction"]},
}
ANSWERS += [
    {"name": "the forget gate with the input gate's bias", "mistake": "ex10/gate-operands",
     "says": ["ft is wrong", "the forget gate Γ_f (ft) uses bi, not bf"],
     "code": cell(ft="sigmoid(params['Wf'] @ concat + params['bi'])")},
    {"name": "c_t from a_prev", "mistake": "ex10/cell-update-wrong",
     "says": ["(ft, it, cct, ot right)", "The fault is in the cell update c_t"],
     "code": cell(c_next="ft * a_prev + it * cct")},
    {"name": "the input gate as 1 - Γ_f", "mistake": "ex10/input-gate-wrong",
     "says": ["The fault is in the input gate Γ_i"], "code": cell(it="1 - ft")},
    {"name": "a sigmoid written with exp(+z)", "mistake": "ex10/sigmoid-extra-function",
     "says": ["ft, it, ot are wrong", "the negation to z before the sigmoid",
              "sigmoid(-(z))"],
     "code": cell(**{g: f"1 / (1 + np.exp(params['W{g[0]}'] @ concat + params['b{g[0]}']))"
                     for g in ("ft", "it", "ot")})},
    {"name": "tanh on c_t", "mistake": "ex10/cell-update-wrong",
     "says": ["The fault is in the cell update c_t"],
     "code": cell(c_next="np.tanh(ft * c_prev + it * cct)")},
    {"name": "c_next and a_next returned swapped", "mistake": "ex10/a-c-swapped",
     "says": ["a_next and c_next come back swapped"],
     "code": cell().replace("return a_next, c_next,", "return c_next, a_next,")},
    {"name": "W * concat", "mistake": "ex10/elementwise-product",
     "says": ["Wf * concat multiplies element by element", "Wf @ concat"],
     "code": cell(ft="sigmoid(params['Wf'] * concat + params['bf'])")},
    {"name": "no softmax on the prediction", "mistake": "ex10/softmax-wrong",
     "says": ["The fault is in the softmax"],
     "code": cell(yt_pred="params['Wya'] @ a_next + params['by']")},
    {"name": "gates read [c_prev; xt] (review 7)", "mistake": "ex10/column-wrong",
     "says": ["the stacked column they all read is [c_prev; xt]", "[a_prev; xt]"],
     "code": cell(concat="np.concatenate([c_prev, xt])")},
    {"name": "gates read [xt; c_prev]", "mistake": "ex10/column-wrong",
     "says": ["is [xt; c_prev]", "np.concatenate([a_prev, xt])"],
     "code": cell(concat="np.vstack([xt, c_prev])")},
    {"name": "the input left out of the column", "mistake": "ex10/column-wrong",
     "says": ["is [a_prev; zeros (n_x, m)]"],
     "code": cell(concat="np.concatenate([a_prev, np.zeros_like(xt)])")},
    {"name": "state and memory added in the column", "mistake": "ex10/column-wrong",
     "says": ["is [a_prev + c_prev; xt]"],
     "code": cell(concat="np.concatenate([a_prev + c_prev, xt])")},
    {"name": "a sigmoid of its own as exp(z) / (1 + exp(z))", "mistake": "ex10/overflow",
     "says": ["with large pre-activations", "contains NaN or infinite values", "inf / inf = NaN"],
     "code": cell(**{g: f"np.exp(params['W{g[0]}'] @ concat + params['b{g[0]}']) / (1 + np.exp("
                     f"params['W{g[0]}'] @ concat + params['b{g[0]}']))" for g in ("ft", "it")})},
    {"name": "a sigmoid of its own as 1 / (1 + exp(-z))", "right": True,
     "code": cell(**{g: f"1 / (1 + np.exp(-(params['W{g[0]}'] @ concat + params['b{g[0]}'])))"
                     for g in ("ft", "it", "ot")})},
]

# Review 9: a softmax of one's own without the shift (the output layer's logits overflow).
ANSWERS += [
    {"name": "a softmax without the shift", "mistake": "ex10/overflow",
     "says": ["with large logits", "Subtract each column's largest logit"],
     "code": cell(yt_pred="np.exp(params['Wya'] @ a_next + params['by']) / np.exp(params['Wya'] "
                  "@ a_next + params['by']).sum(axis=0)")},
]

# Review 9: two gates' biases swapped, and the candidate reading c_prev.
ANSWERS += [
    {"name": "the forget and input gates' biases swapped", "mistake": "ex10/gate-operands",
     "says": ["the biases of the forget gate Γ_f (ft) and the input gate Γ_i (it) are swapped"],
     "code": cell(ft="sigmoid(params['Wf'] @ concat + params['bi'])",
                  it="sigmoid(params['Wi'] @ concat + params['bf'])")},
    {"name": "the output gate with the candidate's weights", "mistake": "ex10/gate-operands",
     "says": ["the output gate Γ_o (ot) uses Wc, not Wo"],
     "code": cell(ot="sigmoid(params['Wc'] @ concat + params['bo'])")},
    {"name": "the candidate adds c_prev", "mistake": "ex10/gate-operands",
     "says": ["the candidate c̃_t (cct) adds c_prev"],
     "code": cell(cct="np.tanh(params['Wc'] @ concat + params['bc'] + c_prev)")},
]
