"""Exercise 12: attention_context, one decoder step of additive attention with a mask."""

PRELUDE = '''
import numpy as np
'''
CHECKS = ["check_attention_context_shapes", "check_attention_context"]
FUNCTION = "attention_context"


def answer(weights, context="np.einsum('amt,mt->am', h, alpha)",
           scores="np.einsum('e,emt->mt', params['wv'][:, 0], energy)",
           energy="np.tanh((params['Wq'] @ s_prev)[:, :, None] + "
                  "np.einsum('ea,amt->emt', params['Wk'], h))"):
    """The learner's function with its weights (from scores and mask) written as given."""
    return f'''
def attention_context(s_prev, h, params, mask):
    energy = {energy}
    scores = {scores}
{weights}
    context = {context}
    return context, alpha
'''


RIGHT = '''
    masked = np.where(mask, scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.where(mask, np.exp(masked - top), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)'''


ANSWERS = [
    {"name": "where -inf, max subtracted, empty rows guarded", "right": True,
     "code": answer(RIGHT)},
    {"name": "exp, then mask and renormalise", "right": True, "code": answer('''
    top = np.max(np.where(mask, scores, scores.min()), axis=1, keepdims=True)
    w = np.exp(np.minimum(scores - top, 0.0)) * mask
    total = w.sum(axis=1, keepdims=True)
    alpha = np.divide(w, total, out=np.zeros_like(w), where=total > 0)''')},
    {"name": "a loop over the examples, broadcasting for the context", "right": True,
     "code": '''
def attention_context(s_prev, h, params, mask):
    n_a, m, T_x = h.shape
    alpha = np.zeros((m, T_x))
    for i in range(m):
        real = np.flatnonzero(mask[i])
        if real.size == 0:
            continue
        q = params["Wq"] @ s_prev[:, i:i + 1]
        e = (params["wv"].T @ np.tanh(q + params["Wk"] @ h[:, i, real]))[0]
        e = np.exp(e - e.max())
        alpha[i, real] = e / e.sum()
    context = (h * alpha[None, :, :]).sum(axis=2)
    return context, alpha
'''},
    {"name": "no mask", "mistake": "ex12/mask-ignored", "says": ["not masked", "-inf"],
     "code": answer('''
    w = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "scores multiplied by the mask", "mistake": "ex12/mask-multiplied",
     "says": ["multiplied by 0", "exp(0) = 1"], "code": answer('''
    scores = scores * mask
    w = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "mask after the softmax, not renormalised", "mistake": "ex12/masked-after-softmax",
     "says": ["after the softmax", "add up to 1"], "code": answer('''
    w = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True) * mask''')},
    {"name": "softmax over the batch axis", "mistake": "ex12/softmax-wrong-axis",
     "says": ["batch axis", "axis 1"], "code": answer(RIGHT.replace("axis=1", "axis=0"))},
    {"name": "mask the wrong way round", "mistake": "ex12/mask-inverted",
     "says": ["wrong way round"], "code": answer(RIGHT.replace("(mask,", "(~mask,"))},
    {"name": "Wq on the encoder states", "mistake": "ex12/query-key-swapped",
     "says": ["Wq and Wk were swapped"], "code": answer(RIGHT, energy=(
         "np.tanh((params['Wk'] @ s_prev)[:, :, None] + "
         "np.einsum('ea,amt->emt', params['Wq'], h))"))},
    {"name": "no tanh", "mistake": "ex12/no-tanh", "says": ["miss the tanh"],
     "code": answer(RIGHT, energy=("(params['Wq'] @ s_prev)[:, :, None] + "
                                   "np.einsum('ea,amt->emt', params['Wk'], h)"))},
    {"name": "-inf and no guard: NaN for an all-padded row", "mistake": "ex12/all-masked-nan",
     "says": ["all padded", "NaN"], "code": answer('''
    masked = np.where(mask, scores, -np.inf)
    w = np.exp(masked - masked.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "no maximum subtracted", "mistake": "ex12/softmax-overflow",
     "says": ["overflows", "largest real score"], "code": answer('''
    w = np.where(mask, np.exp(np.where(mask, scores, 0.0)), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)''')},
    {"name": "context summed over the batch axis", "mistake": "ex12/context-wrong-axis",
     "says": ["(n_a, T_x)", "batch axis"], "code": answer(
         RIGHT, context="np.einsum('amt,mt->at', h, alpha)")},
    {"name": "context without the weights", "mistake": "ex12/context-unweighted",
     "says": ["plain sum", "weight each h_j"], "code": answer(RIGHT, context="h.sum(axis=2)")},
    {"name": "alpha transposed", "mistake": "ex12/alpha-wrong-shape", "says": ["transposed"],
     "code": answer(RIGHT + "\n    alpha = alpha.T", context="np.einsum('amt,tm->am', h, alpha)")},
    {"name": "a large negative number instead of -inf", "mistake": "ex12/padded-weight-nonzero",
     "says": ["not exactly 0"], "code": answer('''
    masked = np.where(mask, scores, -30.0)
    w = np.exp(masked - masked.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "the mask changed in place", "mistake": "ex12/changes-its-input",
     "says": ["modified its argument mask"], "code": answer(RIGHT + "\n    mask[:] = True")},
    {"name": "calls the package's attention", "mistake": "ex12/uses-reference",
     "says": ["rnnlesson.attention_forward"], "code": '''
import rnnlesson


def attention_context(s_prev, h, params, mask):
    keys = np.einsum("ea,amt->emt", params["Wk"], h)
    context, alpha, _ = rnnlesson.attention_forward(s_prev, h, keys,
                                                    (params["wv"], params["Wq"]), mask)
    return context, alpha
'''},
]
