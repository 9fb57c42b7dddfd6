"""Exercise 11: lstm_cell_backward, checked for its keys and shapes, then its values."""

PRELUDE = '''
import numpy as np
'''
CHECKS = ["check_lstm_cell_backward_shapes", "check_lstm_cell_backward"]

LINES = {
    "dc": "dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)",
    "dzf": "dc * c_prev * ft * (1 - ft)",
    "dzi": "dc * cct * it * (1 - it)",
    "dzc": "dc * it * (1 - cct ** 2)",
    "dzo": "da_next * np.tanh(c_next) * ot * (1 - ot)",
    "concat": "np.concatenate([a_prev, xt])",
    "dWf": "dzf @ concat.T",
    "dconcat": "sum(params['W' + g].T @ dz for g, dz in zip('fico', (dzf, dzi, dzc, dzo)))",
    "dc_prev": "dc * ft",
}


def cell(**changed):
    """The learner's backward step with the given lines changed."""
    lines = {**LINES, **changed}
    body = "".join(f"    {k} = {v}\n" for k, v in lines.items())
    return f'''
def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    n_a = a_next.shape[0]
{body}    return {{"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc_prev,
            "dWf": dWf, "dWi": dzi @ concat.T, "dWc": dzc @ concat.T, "dWo": dzo @ concat.T,
            "dbf": dzf.sum(axis=1, keepdims=True), "dbi": dzi.sum(axis=1, keepdims=True),
            "dbc": dzc.sum(axis=1, keepdims=True), "dbo": dzo.sum(axis=1, keepdims=True)}}
'''


ANSWERS = [
    {"name": "with @", "right": True, "code": cell()},
    {"name": "the gates stacked, np.dot, halves of W", "right": True, "code": '''
def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, params = cache
    n_a = a_prev.shape[0]
    t = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - t * t)
    dz = np.vstack([dc * c_prev * ft * (1 - ft), dc * cct * it * (1 - it),
                    dc * it * (1 - cct * cct), da_next * t * ot * (1 - ot)])
    W = np.vstack([params[k] for k in ("Wf", "Wi", "Wc", "Wo")])
    dW = np.dot(dz, np.vstack([a_prev, xt]).T)
    db = np.sum(dz, axis=1, keepdims=True)
    grads = {"da_prev": np.dot(W[:, :n_a].T, dz), "dxt": np.dot(W[:, n_a:].T, dz),
             "dc_prev": ft * dc}
    for k, g in enumerate("fico"):
        grads["dW" + g] = dW[k * n_a:(k + 1) * n_a]
        grads["db" + g] = db[k * n_a:(k + 1) * n_a]
    return grads
'''},
    {"name": "dc without the path through tanh(c_t)", "mistake": "ex11/dc-misses-tanh-path",
     "says": ["misses the path through a_t"], "code": cell(dc="dc_next")},
    {"name": "tanh' as 1 - tanh", "mistake": "ex11/tanh-derivative-not-squared",
     "says": ["1 - tanh², not 1 - tanh"],
     "code": cell(dc="dc_next + da_next * ot * (1 - np.tanh(c_next))")},
    {"name": "dc_prev without the forget gate", "mistake": "ex11/dc-prev-without-forget-gate",
     "says": ["dc_prev misses the forget gate"], "code": cell(dc_prev="dc")},
    {"name": "sigmoid' written as sigmoid", "mistake": "ex11/sigmoid-derivative-wrong",
     "says": ["σ(1 - σ)"], "code": cell(dzf="dc * c_prev * ft", dzi="dc * cct * it",
                                          dzo="da_next * np.tanh(c_next) * ot")},
    {"name": "the candidate's tanh' as 1 - c", "mistake": "ex11/candidate-derivative-wrong",
     "says": ["1 - c̃², not 1 - c̃"], "code": cell(dzc="dc * it * (1 - cct)")},
    {"name": "dconcat written into the stacked column", "mistake": "ex11/dw-reads-dconcat",
     "says": ["every dW is dz @ dconcat.T", "one array"],
     "code": cell().replace(
         "    dWf = dzf @ concat.T\n    dconcat = sum(",
         "    dconcat = concat\n    dconcat[:] = sum(").replace(
         "    dc_prev = dc * ft\n", "    dc_prev = dc * ft\n    dWf = dzf @ concat.T\n")},
    {"name": "dconcat cut at n_x rows", "mistake": "ex11/dconcat-split-wrong",
     "says": ["cut in the wrong place", "da_prev = dconcat[:n_a]"],
     "code": cell().replace("n_a = a_next.shape[0]", "n_a = xt.shape[0]")},
    {"name": "dxt and da_prev swapped", "mistake": "ex11/dconcat-split-wrong",
     "says": ["dxt has 5 rows and da_prev 3"],
     "code": cell().replace('"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a]',
                            '"dxt": dconcat[:n_a], "da_prev": dconcat[n_a:]')},
    {"name": "stacked as [x_t; a_prev]", "mistake": "ex11/stacked-wrong-order",
     "says": ["wrong order", "np.concatenate([a_prev, xt])"],
     "code": cell(concat="np.concatenate([xt, a_prev])")},
    {"name": "dW without the transpose", "mistake": "ex11/dw-not-transposed",
     "says": ["dW = dz @ concat.T"], "code": cell(dWf="dzf @ concat")},
    {"name": "dW written as concat @ dz.T", "mistake": "ex11/transposed",
     "says": ["It looks transposed"], "code": cell(dWf="concat @ dzf.T")},
    {"name": "one gradient wrong otherwise", "mistake": "ex11/dwf-wrong",
     "says": ["dWf is wrong"], "code": cell(dWf="2 * dzf @ concat.T")},
    {"name": "a key missing", "mistake": "ex11/wrong-return", "says": ["should return a dict"],
     "code": cell().replace('"dc_prev": dc_prev,', "")},
    {"name": "dc_next updated in place", "mistake": "ex11/changes-its-input",
     "says": ["modified its argument dc_next in place"],
     "code": cell(dc="dc_next.__iadd__(da_next * ot * (1 - np.tanh(c_next) ** 2))")},
    {"name": "the package's backward step", "mistake": "ex11/uses-reference",
     "says": ["your lstm_cell_backward calls rnnlesson.lstm_cell_backward"], "code": '''
import rnnlesson

def lstm_cell_backward(da_next, dc_next, cache):
    return rnnlesson.lstm_cell_backward(da_next, dc_next, cache)
'''},
    {"name": "the package's forward step is fair", "right": True, "code": cell().replace(
        "\ndef lstm_cell_backward", "\nimport rnnlesson\n\ndef lstm_cell_backward").replace(
        "    n_a = a_next.shape[0]\n", "    n_a = a_next.shape[0]\n"
        "    rnnlesson.lstm_cell_forward(xt, a_prev, c_prev, params)\n")},
]
MUTANTS = {
    "function": "lstm_cell_backward", "spec": "rnnlesson.checks.lstm_general:BACKWARD_SPEC",
    "checks": CHECKS, "outputs": ["dxt", "da_prev", "dc_prev", "dWf", "dWi", "dWc", "dWo", "dbf",
                                  "dbi", "dbc", "dbo"],
    "aliases": {"dz": ["dz_f", "dz_i", "dz_c", "dz_o"], "dW": ["dWf", "dWi", "dWc", "dWo"],
                "db": ["dbf", "dbi", "dbc", "dbo"], "tanh_c": ["tanh(c_t)"],
                "ft": ["Γ_f"], "it": ["Γ_i"], "cct": ["c̃_t"], "ot": ["Γ_o"],
                "concat": ["[a_prev; x_t]"], "dconcat": ["dconcat"]},
}
ANSWERS += [
    {"name": "the output gate read from tanh(c_prev)", "mistake": "ex11/dz-o-wrong",
     "says": ["dWo, dbo, dxt, da_prev are wrong", "The fault is in the output gate's path dz_o"],
     "code": cell(dzo="da_next * np.tanh(c_prev) * ot * (1 - ot)")},
    {"name": "the output gate from dc", "mistake": "ex11/dz-o-wrong",
     "says": ["The fault is in the output gate's path dz_o"],
     "code": cell(dzo="dc * np.tanh(c_next) * ot * (1 - ot)")},
    {"name": "the forget gate from c_next", "mistake": "ex11/dz-f-wrong",
     "says": ["The fault is in the forget gate's path dz_f"],
     "code": cell(dzf="dc * c_next * ft * (1 - ft)")},
    {"name": "the input gate without c̃", "mistake": "ex11/dz-i-wrong",
     "says": ["The fault is in the input gate's path dz_i"],
     "code": cell(dzi="dc * it * (1 - it)")},
    {"name": "the candidate's derivative as c̃(1 - c̃)", "mistake": "ex11/dz-c-wrong",
     "says": ["The fault is in the candidate's path dz_c"],
     "code": cell(dzc="dc * it * cct * (1 - cct)")},
    {"name": "dconcat from two of the four gates", "mistake": "ex11/dxt-wrong",
     "says": ["dxt, da_prev are wrong", "Wcᵀ dz_c", "Woᵀ dz_o"],
     "code": cell(dconcat="params['Wf'].T @ dzf + params['Wi'].T @ dzi")},
    {"name": "concat built from a_next", "mistake": "ex11/stack-wrong",
     "says": ["dWf, dWi, dWc, dWo are wrong", "The fault is in the stacked column [a_prev; x_t]"],
     "code": cell(concat="np.concatenate([a_next, xt])")},
    {"name": "dc_prev from dc_next", "mistake": "ex11/dc-prev-wrong",
     "says": ["The fault is in dc_prev = dc ⊙ Γ_f"], "code": cell(dc_prev="dc_next * ft")},
    {"name": "db as a mean", "mistake": "ex11/db-sum-wrong",
     "says": ["dbf, dbi, dbc, dbo are wrong"], "code": cell().replace(
         ".sum(axis=1, keepdims=True)", ".mean(axis=1, keepdims=True)")},
]

# dconcat's rows told apart: da_prev reads its first n_a rows, dxt the rest, so one of them
# right and the other wrong names the rows (and an output that is all zero says so).
ANSWERS += [
    {"name": "only the a_prev rows of dconcat accumulated", "mistake": "ex11/rows-x-wrong",
     "says": ["Yours is all zero (dxt)", "the x_t rows of dconcat"],
     "code": cell(dconcat="sum(np.vstack([params['W' + g][:, :n_a].T @ dz, "
                          "np.zeros((xt.shape[0], dz.shape[1]))]) for g, dz in "
                          "zip('fico', (dzf, dzi, dzc, dzo)))")},
    {"name": "dxt from the forget gate alone", "mistake": "ex11/rows-x-wrong",
     "says": ["dxt = dconcat[n_a:]"],
     "code": cell().replace('"dxt": dconcat[n_a:]', '"dxt": (params["Wf"].T @ dzf)[n_a:]')},
]
