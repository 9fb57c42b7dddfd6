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


QUERY, KEYS = "(params['Wq'] @ s_prev)[:, :, None]", "np.einsum('ea,amt->emt', params['Wk'], h)"
RIGHT = '''
    masked = np.where(mask, scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.where(mask, np.exp(masked - top), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)'''


ANSWERS = [
    {"name": "padded scores filled with -1e9", "mistake": "ex12/all-masked-uniform",
     "says": ["weight 1/T_x", "finite and all equal"], "code": answer('''
    masked = np.where(mask, scores, -1e9)
    w = np.exp(masked - masked.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "the context as the mean of the real h_j", "mistake": "ex12/context-unweighted",
     "says": ["plain mean of the h_j", "its own alpha"],
     "code": answer(RIGHT, context="np.einsum('amt,mt->am', h, mask / np.maximum("
                                   "mask.sum(axis=1, keepdims=True), 1))")},
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
    {"name": "masked arrays", "right": True, "code": answer('''
    masked = np.ma.masked_array(scores, mask=~mask)
    top = masked.max(axis=1, keepdims=True).filled(0.0)
    w = np.ma.exp(masked - top)
    total = w.sum(axis=1, keepdims=True).filled(0.0)
    alpha = np.ma.filled(w / np.where(total > 0, total, 1.0), 0.0)''')},
    {"name": "-inf, then np.nan_to_num for the all-padded rows", "right": True,
     "code": answer('''
    masked = np.where(mask, scores, -np.inf)
    w = np.exp(masked - masked.max(axis=1, keepdims=True))
    alpha = np.nan_to_num(w / w.sum(axis=1, keepdims=True))''')},
    {"name": "wv applied before the tanh", "mistake": "ex12/tanh-misplaced",
     "says": ["after the projection wv^T", "wv^T tanh(Wq s_prev + Wk h_j)"],
     "code": answer(RIGHT, energy=(
         "(params['Wq'] @ s_prev)[:, :, None] + np.einsum('ea,amt->emt', params['Wk'], h)"),
         scores="np.tanh(np.einsum('e,emt->mt', params['wv'][:, 0], energy))")},
    {"name": "sigmoid in place of tanh", "mistake": "ex12/scores-wrong",
     "says": ["the scores"], "code": answer(RIGHT, energy=(
         "1 / (1 + np.exp(-((params['Wq'] @ s_prev)[:, :, None] + "
         "np.einsum('ea,amt->emt', params['Wk'], h))))"))},
    {"name": "an all-padded row gets uniform weights", "mistake": "ex12/all-masked-not-zero",
     "says": ["weights 0 and context 0"], "code": answer('''
    empty = ~mask.any(axis=1, keepdims=True)
    masked = np.where(mask | empty, scores, -np.inf)
    w = np.exp(masked - masked.max(axis=1, keepdims=True))
    alpha = w / w.sum(axis=1, keepdims=True)''')},
    {"name": "the maximum over all steps, padded ones too", "mistake": "ex12/stable-wrong",
     "says": ["largest real score", "same weights while exp stays above 0", "underflowed"],
     "code": answer('''
    w = np.where(mask, np.exp(scores - scores.max(axis=1, keepdims=True)), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)''')},
    {"name": "the context averaged, not weighted", "mistake": "ex12/context-wrong",
     "says": ["context"], "code": answer(RIGHT, context="np.einsum('amt,mt->am', h, alpha) / "
                                         "np.maximum(mask.sum(axis=1), 1)")},
    {"name": "the scores divided by the number of real steps", "mistake": "ex12/scores-wrong",
     "says": ["scores"], "code": answer(RIGHT, scores=(
         "np.einsum('e,emt->mt', params['wv'][:, 0], energy) / "
         "np.maximum(mask.sum(axis=1, keepdims=True), 1)"))},
    {"name": "the first step always kept", "mistake": "ex12/all-masked-not-zero",
     "says": ["all padded"],
     "code": answer(RIGHT.replace("np.where(mask, scores", "np.where(mask | (np.arange("
                                  "mask.shape[1]) == 0), scores").replace(
         "np.where(mask, np.exp", "np.where(mask | (np.arange(mask.shape[1]) == 0), np.exp"))},
    {"name": "the context from the previous state", "mistake": "ex12/context-wrong",
     "says": ["context"], "code": answer(RIGHT, context="s_prev * alpha.sum(axis=1)")},
    # the parts of the scores, each named (query, keys, sum, tanh, projection)
    {"name": "Wk applied to s_prev", "mistake": "ex12/query-wrong",
     "says": ["query term Wq s_prev"],
     "code": answer(RIGHT, energy=(
         "np.tanh((params['Wk'] @ s_prev)[:, :, None] + " + KEYS + ")"))},
    {"name": "an extra tanh", "mistake": "ex12/tanh-wrong", "says": ["the tanh of", "exactly one"],
     "code": answer(RIGHT, energy="np.tanh(np.tanh(" + QUERY + " + " + KEYS + "))")},
    {"name": "tanh of each term", "mistake": "ex12/sum-wrong",
     "says": ["one tanh of Wq s_prev + Wk h_j together", "same weights whatever s_prev"],
     "code": answer(RIGHT, energy="np.tanh(" + QUERY + ") + np.tanh(" + KEYS + ")")},
    {"name": "a tanh after the projection", "mistake": "ex12/tanh-misplaced",
     "says": ["on the sum Wq s_prev + Wk h_j and after the projection", "nothing after it"],
     "code": answer(RIGHT,
                    scores="np.tanh(np.einsum('e,emt->mt', params['wv'][:, 0], energy))")},
    {"name": "the query left out", "mistake": "ex12/sum-wrong",
     "says": ["those of the keys alone"], "code": answer(RIGHT, energy="np.tanh(" + KEYS + ")")},
    {"name": "the query added after the tanh", "mistake": "ex12/sum-wrong",
     "says": ["same weights whatever s_prev"],
     "code": answer(RIGHT, energy=QUERY + " + np.tanh(" + KEYS + ")")},
    {"name": "the query doubled", "mistake": "ex12/query-wrong", "says": ["query term Wq s_prev"],
     "code": answer(RIGHT, energy="np.tanh(2 * " + QUERY + " + " + KEYS + ")")},
    {"name": "the query from the first encoder state", "mistake": "ex12/query-wrong",
     "says": ["query term", "decoder's state s_prev"], "code": answer(RIGHT, energy=(
         "np.tanh((params['Wq'] @ h[:, :, 0])[:, :, None] + " + KEYS + ")"))},
    {"name": "Wq on the keys too", "mistake": "ex12/keys-wrong",
     "says": ["key term Wk h_j"], "code": answer(RIGHT, energy=(
         "np.tanh(" + QUERY + " + np.einsum('ea,amt->emt', params['Wq'], h))"))},
    {"name": "the keys subtracted", "mistake": "ex12/scores-wrong",
     "says": ["Within them, one of: the key term Wk h_j"],
     "code": answer(RIGHT, energy="np.tanh(" + QUERY + " - " + KEYS + ")")},
    {"name": "the shift by the largest absolute score", "mistake": "ex12/stable-wrong",
     "says": ["largest real score", "underflowed"], "code": answer('''
    masked = np.where(mask, scores, -np.inf)
    top = np.abs(scores).max(axis=1, keepdims=True)
    w = np.where(mask, np.exp(masked - top), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)''')},
]

# Mutants of the solution (tests/test_mutants.py): the lecture's words for each identifier.
MUTANTS = {
    "function": "attention_context", "spec": "rnnlesson.checks.attention_general:SPEC",
    "checks": CHECKS, "outputs": ["context", "alpha"],
    "aliases": {"energy": ["scores", "e_j"], "scores": ["e_j"],
                "masked": ["padded", "real steps", "-inf"],
                "top": ["largest real score", "shift"], "weights": ["exp", "softmax"],
                "total": ["softmax", "row sum"], "mask": ["padded", "real steps"],
                "Wq": ["scores"], "Wk": ["scores"], "wv": ["scores"],
                "s_prev": ["scores"], "h": ["context", "scores"]},
}

# Found by an independent review (fresh mistakes, none of them listed before).
ANSWERS += [
    {"name": "wv left out: energies summed", "mistake": "ex12/wv-wrong",
     "says": ["The fault is in the projection"],
     "code": answer(RIGHT, scores="energy.sum(axis=0)")},
    {"name": "every key from the last encoder state", "mistake": "ex12/keys-wrong",
     "says": ["The fault is in the key term", "do not change with j"],
     "code": answer(RIGHT, energy="np.tanh((params['Wq'] @ s_prev "
                                  "+ params['Wk'] @ h[:, :, -1])[:, :, None])")},
    {"name": "weights normalised over the whole batch", "mistake": "ex12/softmax-over-the-batch",
     "says": ["normalised over the whole batch"],
     "code": answer(RIGHT.replace(
         "total = w.sum(axis=1, keepdims=True)\n    alpha = w / np.where(total > 0, total, 1.0)",
         "alpha = w / w.sum()"))},
]

# An operand of the scores replaced by a part of itself (one entry repeated, one row, its
# transpose): the lecture's computed with each such replacement, not a listed slip.
ANSWERS += [
    {"name": "wv[0, 0] used as one number", "mistake": "ex12/wv-replaced",
     "says": ["wv replaced by its first entry", "all n_e of its entries"],
     "code": answer(RIGHT, scores="params['wv'][0, 0] * energy.sum(axis=0)")},
    {"name": "wv's last entry, broadcast", "mistake": "ex12/wv-replaced",
     "says": ["wv replaced by its last entry"],
     "code": answer(RIGHT, scores="np.einsum('e,emt->mt', np.full(energy.shape[0], "
                                  "params['wv'][-1, 0]), energy)")},
    {"name": "the query from Wq's first row", "mistake": "ex12/wq-replaced",
     "says": ["Wq replaced by its first row repeated", "the whole matrix"],
     "code": answer(RIGHT, energy="np.tanh((params['Wq'][:1] @ s_prev)[:, :, None] + "
                                  "np.einsum('ea,amt->emt', params['Wk'], h))")},
]

# Where the tanh sits in the scores: every placement (on the query, the keys, the sum, after
# wv^T, or several) tried against the learner's weights.
ANSWERS += [
    {"name": "tanh of wv.T @ the sum, step by step", "mistake": "ex12/tanh-misplaced",
     "says": ["yours applies the tanh after the projection wv^T"], "code": '''
def attention_context(s_prev, h, params, mask):
    n_a, m, T_x = h.shape
    scores = np.zeros((m, T_x))
    for j in range(T_x):
        pre = params["Wq"] @ s_prev + params["Wk"] @ h[:, :, j]
        scores[:, j] = np.tanh(params["wv"].T @ pre)[0]
    scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=1, keepdims=True)
    w = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)
    return (h * alpha[None]).sum(axis=2), alpha
'''},
    {"name": "tanh on the query, then on the sum", "mistake": "ex12/tanh-misplaced",
     "says": ["on the query Wq s_prev alone and on the sum"],
     "code": answer(RIGHT, energy="np.tanh(np.tanh(" + QUERY + ") + " + KEYS + ")")},
]

# The keys made from h rearranged (examples and steps mixed by a reshape, the steps reversed,
# one example's states for all) while the context reads h itself: each tried as a whole.
ANSWERS += [
    {"name": "keys through a flat matmul, reshaped back (T_x, m)", "mistake": "ex12/keys-wrong",
     "says": ["h's examples and steps mixed up", "keeps both axes"],
     "code": answer(RIGHT, energy="np.tanh(" + QUERY + " + (params['Wk'] @ h.reshape("
                                  "h.shape[0], -1)).reshape(-1, h.shape[2], h.shape[1])"
                                  ".transpose(0, 2, 1))")},
    {"name": "keys from h transposed then reshaped", "mistake": "ex12/keys-wrong",
     "says": ["h's examples and steps mixed up"],
     "code": answer(RIGHT, energy="np.tanh(" + QUERY + " + np.einsum('ea,amt->emt', "
                                  "params['Wk'], h.transpose(0, 2, 1).reshape(h.shape)))")},
    {"name": "keys read from the steps reversed", "mistake": "ex12/keys-wrong",
     "says": ["the source steps in reverse order"],
     "code": answer(RIGHT, energy="np.tanh(" + QUERY + " + np.einsum('ea,amt->emt', "
                                  "params['Wk'], h[:, :, ::-1]))")},
]

# Review 8: examples mixed in a batch (each alone is right), and weights that are a function
# of the lecture's (log-weights) or an unfinished softmax.
ANSWERS += [
    {"name": "the context weights read in reverse example order", "mistake": "ex12/examples-mixed",
     "says": ["right for each example run on its own", "mixes the examples"],
     "code": answer(RIGHT, context="np.einsum('amt,tm->am', h, alpha.T[:, ::-1])")},
    {"name": "one shift for the whole batch", "mistake": "ex12/examples-mixed",
     "says": ["mixes the examples"], "code": answer('''
    masked = np.where(mask, scores, -np.inf)
    top = masked[np.isfinite(masked)].max() if np.isfinite(masked).any() else 0.0
    w = np.where(mask, np.exp(masked - top), 0.0)
    total = w.sum(axis=1, keepdims=True)
    alpha = w / np.where(total > 0, total, 1.0)''')},
    {"name": "log-weights returned", "mistake": "ex12/weights-transformed",
     "says": ["alpha holds log(weights)"], "code": answer(RIGHT + '''
    context = np.einsum('amt,mt->am', h, alpha)
    alpha = np.where(mask, np.log(np.where(mask, alpha, 1.0)), 0.0)''')},
    {"name": "the exponentials not divided by their sum", "mistake": "ex12/weights-transformed",
     "says": ["not divided by their sum"], "code": answer(RIGHT.replace(
         "alpha = w / np.where(total > 0, total, 1.0)", "alpha = w"))},
]

# Review 9: the context made from the keys.
ANSWERS += [
    {"name": "the keys averaged into the context", "mistake": "ex12/context-from-keys",
     "says": ["yours averages the keys", "sum_j alpha[:, j] h[:, :, j]"],
     "code": answer(RIGHT, context="np.einsum('emt,mt->em', np.einsum('ea,amt->emt', "
                                   "params['Wk'], h), alpha)")},
]
