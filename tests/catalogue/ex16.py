"""Exercise 16: embedding_forward (a lookup) and embedding_backward (a sum by word id)."""

PRELUDE = '''
import numpy as np
'''
FORWARD = ["check_embedding_forward"]
BACKWARD = ["check_embedding_backward"]
CHECKS = BACKWARD


def backward(body, head="n_e, m, T_x = dx.shape\n    dE = np.zeros((n_e, n_vocab))"):
    """The learner's embedding_backward: head, then body, then `return dE`."""
    return f'''
def embedding_backward(dx, ids, n_vocab):
    {head}
    {body}
    return dE
'''


LOOP = "for t in range(T_x):\n        for j in range(m):\n            {}"

ANSWERS = [
    # --- the forward pass -------------------------------------------------------------------
    {"name": "the lookup by fancy indexing", "right": True, "checks": FORWARD,
     "function": "embedding_forward", "code": '''
def embedding_forward(E, ids):
    return E[:, ids]
'''},
    {"name": "a one-hot product at each step", "right": True, "checks": FORWARD,
     "function": "embedding_forward", "code": '''
def embedding_forward(E, ids):
    n_vocab = E.shape[1]
    return np.stack([E @ np.eye(n_vocab)[:, ids[:, t]] for t in range(ids.shape[1])], axis=2)
'''},
    {"name": "rows of E (E[ids])", "mistake": "ex16/rows-instead-of-columns",
     "says": ["rows of E", "E[:, ids]"], "checks": FORWARD, "function": "embedding_forward",
     "code": '''
def embedding_forward(E, ids):
    return E[ids]
'''},
    {"name": "ids read as (T_x, m)", "mistake": "ex16/ids-transposed",
     "says": ["as if ids were (T_x, m)"], "checks": FORWARD, "function": "embedding_forward",
     "code": '''
def embedding_forward(E, ids):
    return E[:, ids.T]
'''},
    {"name": "the vectors on the last axis", "mistake": "ex16/vector-axis-last",
     "says": ["E.T[ids]", "features first"], "checks": FORWARD,
     "function": "embedding_forward", "code": '''
def embedding_forward(E, ids):
    return E.T[ids]
'''},
    # --- the backward pass ------------------------------------------------------------------
    {"name": "np.add.at", "right": True, "code": backward(
        "np.add.at(dE, (slice(None), ids), dx)")},
    {"name": "a loop over (j, t)", "right": True,
     "code": backward(LOOP.format("dE[:, ids[j, t]] += dx[:, j, t]"))},
    {"name": "a one-hot matrix product", "right": True, "code": '''
def embedding_backward(dx, ids, n_vocab):
    one_hot = np.eye(n_vocab)[ids]  # (m, T_x, n_vocab)
    return np.einsum("ejt,jtv->ev", dx, one_hot)
'''},
    {"name": "a sum over the positions of each word", "right": True, "code": backward(
        "for i in range(n_vocab):\n        dE[:, i] = dx[:, ids == i].sum(axis=1)")},
    {"name": "fancy-index accumulation, dE[:, ids] += dx", "mistake": "ex16/repeated-ids-dropped",
     "says": ["np.add.at", "only one of its dx columns"],
     "code": backward("dE[:, ids] += dx")},
    {"name": "fancy-index accumulation, step by step", "mistake": "ex16/repeated-ids-dropped",
     "says": ["np.add.at"],
     "code": backward("for t in range(T_x):\n        dE[:, ids[:, t]] += dx[:, :, t]")},
    {"name": "ids read as (T_x, m) in the loop", "mistake": "ex16/ids-transposed",
     "says": ["as if ids were (T_x, m)", "ids[j, t]"],
     "code": backward(LOOP.format("dE[:, ids[t, j]] += dx[:, j, t]"),
                      head="n_e = dx.shape[0]\n    T_x, m = ids.shape\n"
                           "    dE = np.zeros((n_e, n_vocab))")},
    {"name": "np.add.at with ids.T", "mistake": "ex16/ids-transposed",
     "says": ["as if ids were (T_x, m)"],
     "code": backward("np.add.at(dE, (slice(None), ids.T), dx)")},
    {"name": "dx flattened example by example, ids step by step", "mistake": "ex16/dx-axes-mixed",
     "says": ["flattened in different orders", "dx[:, j, t] goes with ids[j, t]"],
     "code": backward("np.add.at(dE.T, ids.T.ravel(), dx.reshape(n_e, -1).T)")},
    {"name": "the last step only", "mistake": "ex16/sum-over-time-missing",
     "says": ["one step alone", "over all the steps"],
     "code": backward("for t in range(T_x):\n        dE = np.zeros((n_e, n_vocab))\n"
                      "        np.add.at(dE, (slice(None), ids[:, t]), dx[:, :, t])")},
    {"name": "the first example only", "mistake": "ex16/sum-over-examples-missing",
     "says": ["one example alone", "over all the examples"],
     "code": backward("np.add.at(dE, (slice(None), ids[0]), dx[:, 0])")},
    {"name": "E indexed by rows: dE (n_vocab, n_e)", "mistake": "ex16/rows-instead-of-columns",
     "says": ["a row per word", "(n_e, n_vocab)"],
     "code": backward("np.add.at(dE, ids, dx.transpose(1, 2, 0))",
                      head="n_e, m, T_x = dx.shape\n    dE = np.zeros((n_vocab, n_e))")},
    {"name": "a gradient for words never read", "mistake": "ex16/unseen-ids-not-zero",
     "says": ["no step reads word 3", "np.zeros((n_e, n_vocab))"],
     "code": backward("np.add.at(dE, (slice(None), ids), dx)",
                      head="n_e, m, T_x = dx.shape\n    dE = np.ones((n_e, n_vocab))")},
    {"name": "dx reshaped in place", "mistake": "ex16/changes-its-input",
     "says": ["modified its argument dx"],
     "code": backward("dx.shape = (n_e, m * T_x)\n    "
                      "np.add.at(dE, (slice(None), ids.ravel()), dx)")},
    {"name": "ids sorted in place", "mistake": "ex16/changes-its-input",
     "says": ["modified its argument ids"],
     "code": backward("order = np.argsort(ids, axis=None)\n    flat = ids.reshape(-1)\n"
                      "    flat.sort()\n"
                      "    np.add.at(dE.T, flat, dx.reshape(n_e, -1)[:, order].T)")},
    {"name": "columns for the ids in the batch only", "mistake": "ex16/wrong-shape",
     "says": ["n_vocab of them"],
     "code": backward("np.add.at(dE, (slice(None), ids), dx)",
                      head="n_e, m, T_x = dx.shape\n    dE = np.zeros((n_e, ids.max() + 1))")},
    {"name": "dx returned as it came", "mistake": "ex16/wrong-shape",
     "says": ["the shape of dx"], "code": backward("dE = dx.copy()")},
    {"name": "the mean instead of the sum", "mistake": "ex16/sum-wrong",
     "says": ["The fault is in the sum"],
     "code": backward("np.add.at(dE, (slice(None), ids), dx / (m * T_x))")},
]

MUTANTS = [
    {"function": "embedding_forward", "spec": "rnnlesson.checks.embedding:FORWARD_SPEC",
     "checks": FORWARD, "outputs": ["x"], "at_least": 2,
     "aliases": {"ids": ["ids[j, t]"], "E": ["column"]}},
    {"function": "embedding_backward", "spec": "rnnlesson.checks.embedding:BACKWARD_SPEC",
     "checks": BACKWARD, "outputs": ["dE"], "at_least": 8,
     "aliases": {"ids": ["ids[j, t]"], "j": ["example"], "t": ["step"],
                 "dx": ["dx[:, j, t]"], "n_vocab": ["n_vocab"], "n_e": ["n_e"]}},
]
