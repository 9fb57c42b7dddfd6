"""Attention for the encoder-decoder: additive (Bahdanau, Cho and Bengio 2015), dot-product
(Luong, Pham and Manning 2015) and scaled dot-product (Vaswani et al. 2017) scores.

Letters: n_x source features, n_a hidden units, n_y target symbols, n_e the attention's own
size, m examples, T_x source steps, T_y target steps. The encoder's states h_1..h_{T_x}
(n_a, m, T_x) stay available to the decoder. Before each decoder step t, from the decoder's
state s_{t-1} (its hidden part a):

    e_{t,j} = wv^T tanh(Wq s_{t-1} + Wk h_j)       a score for each source step j
    α_{t,j} = exp(e_{t,j}) / Σ_{j' < L} exp(e_{t,j'})  over the L real steps (padded j: 0)
    context_t = Σ_j α_{t,j} h_j                      (n_a, m)

and the decoder reads [y_{t-1}; context_t] (n_y + n_a features) instead of y_{t-1} alone.
Wq, Wk are (n_e, n_a) and wv (n_e, 1): Bahdanau's W_a, U_a, v_a, d2l's W_q, W_k, w_v.
The decoder starts from the encoder's final state, as the plain encoder-decoder does.

The score is one argument, `score`, of every function here (as the cell is):

    "additive"    e_{t,j} = wv^T tanh(Wq s_{t-1} + Wk h_j)
    "dot"         e_{t,j} = (Wq s_{t-1})^T (Wk h_j)
    "scaled-dot"  e_{t,j} = (Wq s_{t-1})^T (Wk h_j) / sqrt(n_e)

Read q = Wq s_{t-1} as the *query* (what the decoder looks for), k_j = Wk h_j as the *keys*
(what each source step offers to be found by) and h_j as the *values* (what is averaged): a
dot product is large where query and key point the same way. With n_e entries of unit
variance each, q^T k has variance n_e, so unscaled scores grow with n_e and the softmax
saturates; dividing by sqrt(n_e) keeps them of unit size. The dot scores have no wv.
"""

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_labels,
    check_lengths,
    check_positive,
    describe,
    fail,
)
from rnnlesson.beam import beam_search, check_beam
from rnnlesson.cells import cell_inputs, get_cell
from rnnlesson.losses import cross_entropy, output_backward
from rnnlesson.sequence import flat, one_hot, output_forward, step_mask
from rnnlesson.topologies import check_encoder_decoder

PARTS = ("encoder", "decoder", "attention")
SCORES = ("additive", "dot", "scaled-dot")


def check_score(score):
    if score not in SCORES:
        fail("score", f"one of {', '.join(map(repr, SCORES))}", repr(score))
    return score


def score_keys(score):
    """The attention's parameters for a score: Wq, Wk, and wv for the additive one."""
    return ("Wq", "Wk", "wv") if score == "additive" else ("Wq", "Wk")


def init_attention(n_x, n_a, n_y, n_e=None, seed=0, cell="rnn", score="additive"):
    """{"encoder": the cell on n_x inputs; "decoder": the cell on n_y + n_a inputs (the
    previous symbol and the context) with its output layer; "attention": Wq, Wk (n_e, n_a),
    and for the additive score wv (n_e, 1)}. n_e defaults to n_a."""
    cell = get_cell(cell)
    check_score(score)
    n_e = n_a if n_e is None else check_positive("n_e", n_e, int)
    rng = np.random.default_rng(seed + 2)
    attention = {"Wq": rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_e, n_a)),
                 "Wk": rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_e, n_a)),
                 "wv": rng.normal(0.0, 1.0 / np.sqrt(n_e), (n_e, 1))}
    return {"encoder": cell.recurrence(cell.init(n_x, n_a, n_y, seed)),
            "decoder": cell.init(n_y + n_a, n_a, n_y, seed + 1),
            "attention": {key: attention[key] for key in score_keys(score)}}


def check_attention(params, cell, score="additive"):
    """(n_a, n_y, n_e) of attention encoder-decoder parameters for the score."""
    n_a, n_y = check_encoder_decoder(params, cell, PARTS)
    n_in = cell.check(params["decoder"], "params['decoder']")[0]
    if n_in != n_y + n_a:
        fail("params['decoder']", f"n_y + n_a = {n_y + n_a} inputs (the previous symbol and "
             "the context)", f"{n_in}")
    att, keys = params["attention"], score_keys(check_score(score))
    if not isinstance(att, dict) or set(att) != set(keys):
        fail("params['attention']", f"a dict with keys {', '.join(map(repr, keys))} (the "
             f"{score!r} score's: init_attention(..., score={score!r}) makes them)",
             describe(att))
    n_e = att["Wq"].shape[0] if isinstance(att["Wq"], np.ndarray) else 0
    for key in ("Wq", "Wk"):
        check_float_array(f"params['attention']['{key}']", att[key], (n_e, n_a), "(n_e, n_a)")
    if "wv" in keys:
        check_float_array("params['attention']['wv']", att["wv"], (n_e, 1), "(n_e, 1)")
    return n_a, n_y, n_e


def check_start(start, n_y):
    if not isinstance(start, (int, np.integer)) or isinstance(start, bool) or not 0 <= start < n_y:
        fail("start", f"the start symbol's id, an int in [0, n_y) = [0, {n_y})", repr(start))


def attention_scores(q, keys, wv, score):
    """The scores e (m, T_x) of a query q = Wq s_{t-1} (n_e, m) against keys (n_e, m, T_x),
    and what their backward pass needs (the additive score's tanh, or nothing)."""
    if score == "additive":
        energy = np.tanh(keys + q[:, :, None])  # (n_e, m, T_x)
        return np.einsum("e,emt->mt", wv[:, 0], energy), energy
    scale = 1.0 / np.sqrt(q.shape[0]) if score == "scaled-dot" else 1.0
    return scale * np.einsum("em,emt->mt", q, keys), None


def attention_scores_backward(dscores, q, keys, wv, energy, score):
    """dq (n_e, m), dkeys (n_e, m, T_x) and, for the additive score, dwv (n_e, 1)."""
    if score == "additive":
        dpre = np.multiply(energy, energy)  # (n_e, m, T_x): wv dscores (1 - energy²)
        np.subtract(1.0, dpre, out=dpre)
        dpre *= dscores[None]
        dpre *= wv[:, :, None]
        return dpre.sum(axis=2), dpre, np.einsum("emt,mt->e", energy, dscores)[:, None]
    scale = 1.0 / np.sqrt(q.shape[0]) if score == "scaled-dot" else 1.0
    return (scale * np.einsum("mt,emt->em", dscores, keys),
            scale * q[:, :, None] * dscores[None], None)


def attention_forward(s_prev, h, keys, wv_Wq, mask, score="additive"):
    """One decoder step's attention. s_prev (n_a, m): the decoder's hidden state a_{t-1};
    h (n_a, m, T_x) the encoder's states; keys (n_e, m, T_x) = Wk h_j for every j (computed
    once per sequence); wv_Wq = (wv (n_e, 1), Wq (n_e, n_a)) (wv None for the dot scores);
    mask (m, T_x), True at real steps; score: see the module's doc.
    Returns context (n_a, m), alpha (m, T_x) (exactly 0 at padded steps, rows summing to 1)
    and the cache for `attention_backward`."""
    wv, Wq = wv_Wq
    q = Wq @ s_prev  # (n_e, m)
    scores, energy = attention_scores(q, keys, wv, score)
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))  # exp(-inf) = 0 when padded
    alpha = weights / weights.sum(axis=1, keepdims=True)
    context = np.einsum("amt,mt->am", h, alpha)
    return context, alpha, (s_prev, h, keys, q, energy, alpha, wv, Wq, score)


def attention_backward(dcontext, cache):
    """Backward through `attention_forward` for dcontext (n_a, m).
    Returns ds_prev (n_a, m), dh (n_a, m, T_x) (through the context only), dkeys
    (n_e, m, T_x), dWq (n_e, n_a) and, for the additive score, dwv (n_e, 1)."""
    s_prev, h, keys, q, energy, alpha, wv, Wq, score = cache
    dalpha = np.einsum("am,amt->mt", dcontext, h)
    dscores = alpha * (dalpha - np.sum(alpha * dalpha, axis=1, keepdims=True))  # softmax'
    dq, dkeys, dwv = attention_scores_backward(dscores, q, keys, wv, energy, score)
    grads = {"ds_prev": Wq.T @ dq, "dh": dcontext[:, :, None] * alpha[None], "dkeys": dkeys,
             "dWq": dq @ s_prev.T}
    if dwv is not None:
        grads["dwv"] = dwv
    return grads


def decoder_step(cell, params, h, keys, mask, n_y, score):
    """The decoder's step with attention: (ids (m,), state) -> (state, alpha, caches)."""
    att, recurrence = params["attention"], cell.recurrence(params["decoder"])

    def step(ids, state):
        context, alpha, att_cache = attention_forward(state[0], h, keys,
                                                      (att.get("wv"), att["Wq"]), mask, score)
        xt = np.concatenate([one_hot(ids, n_y, h.dtype), context])  # [y_{t-1}; context_t]
        state, cell_cache = cell.step(xt, state, recurrence)
        return state, alpha, (att_cache, cell_cache)

    return step


def encode(params, x, lengths, cell):
    """The encoder's states h (n_a, m, T_x), the keys Wk h (n_e, m, T_x), the mask (m, T_x),
    the decoder's initial state and the encoder's cache."""
    _, (m, T_x), state0, lengths = cell_inputs(cell, x, None, params["encoder"], lengths, False,
                                               name="params['encoder']")
    cache = cell.unroll(x, state0, params["encoder"], lengths)
    keys = np.einsum("ea,amt->emt", params["attention"]["Wk"], cache.a)
    return cache.a, keys, step_mask(lengths, m, T_x), cell.last(cache), cache


def attention_loss(params, x, y_in, y, lengths=None, y_lengths=None, cell="rnn",
                   score="additive"):
    """The encoder-decoder with attention, trained with teacher forcing as
    `encoder_decoder_loss` is: x (n_x, m, T_x) or ids (m, T_x), lengths (m,); y_in, y (m, T_y),
    y_lengths (m,); score: see the module's doc. Returns loss and grads {"encoder": ...,
    "decoder": ..., "attention": {dWq, dWk, and dwv for the additive score}}."""
    cell = get_cell(cell)
    n_a, n_y, _ = check_attention(params, cell, score)
    h, keys, mask, state, enc_cache = encode(params, x, lengths, cell)
    m = h.shape[1]
    T_y = y_in.shape[1] if isinstance(y_in, np.ndarray) and y_in.ndim == 2 else 1
    check_labels(y_in, (m, T_y), "(m, T_y)", n_y, "y_in")
    check_labels(y, (m, T_y), "(m, T_y)", n_y)
    step = decoder_step(cell, params, h, keys, mask, n_y, score)
    s = np.empty((n_a, m, T_y), h.dtype, order="F")
    caches = []
    for t in range(T_y):
        state, _, cache = step(y_in[:, t], state)
        s[:, :, t] = state[0]
        caches.append(cache)
    out_mask = None
    if y_lengths is not None:
        out_mask = step_mask(check_lengths(y_lengths, m, T_y, "y_lengths"), m, T_y).T.ravel()
    loss, dz = cross_entropy(output_forward(flat(s), params["decoder"]), y.T.ravel(), out_mask)
    dec, ds = output_backward(dz, flat(s), params["decoder"])
    ds = ds.reshape((n_a, m, T_y), order="F")
    att = {f"d{key}": 0.0 for key in params["attention"] if key != "Wk"}
    dkeys, dh = np.zeros_like(keys), np.zeros_like(h)
    dstate = tuple(np.zeros((n_a, m), h.dtype) for _ in cell.state)
    for t in reversed(range(T_y)):
        att_cache, cell_cache = caches[t]
        dstate = (dstate[0] + ds[:, :, t],) + dstate[1:]
        dxt, dstate, weights = cell.step_backward(dstate, cell_cache)
        for key, value in weights.items():
            dec[key] = dec.get(key, 0.0) + value
        a_grads = attention_backward(dxt[n_y:], att_cache)  # the context's share of dx_t
        dstate = (dstate[0] + a_grads["ds_prev"],) + dstate[1:]
        dkeys += a_grads["dkeys"]
        dh += a_grads["dh"]
        for key in att:
            att[key] = att[key] + a_grads[key]
    att["dWk"] = flat(dkeys) @ flat(h).T
    dh += np.einsum("ea,emt->amt", params["attention"]["Wk"], dkeys)
    enc = cell.bptt(np.asfortranarray(dh), enc_cache, None, dstate)
    return loss, {"encoder": {f"d{k}": enc[f"d{k}"] for k in cell.keys},
                  "decoder": cell.param_grads(dec), "attention": att}


def attention_translate(params, x, n, start, lengths=None, cell="rnn", score="additive"):
    """Greedy decoding with attention: (m, n) ids."""
    cell = get_cell(cell)
    _, n_y, _ = check_attention(params, cell, score)
    h, keys, mask, state, _ = encode(params, x, lengths, cell)
    step = decoder_step(cell, params, h, keys, mask, n_y, score)
    m = mask.shape[0]
    check_start(start, n_y)
    ids, out = np.full(m, start), np.empty((m, n), dtype=int)
    for t in range(n):
        state, _, _ = step(ids, state)
        ids = output_forward(state[0], params["decoder"]).argmax(axis=0)
        out[:, t] = ids
    return out


def attention_weights(params, x, ids, start, lengths=None, cell="rnn", score="additive"):
    """Where the decoder looked while it wrote ids (m, n) (from `rnnlesson.translate`, or any
    output): alpha (m, n, T_x), row t the weights it gave the source steps when it wrote
    symbol t, reading start and then ids[:, t - 1] as a decoder does. Padded source steps get
    weight exactly 0."""
    cell = get_cell(cell)
    _, n_y, _ = check_attention(params, cell, score)
    check_start(start, n_y)
    h, keys, mask, state, _ = encode(params, x, lengths, cell)
    m, T_x = mask.shape
    if not isinstance(ids, np.ndarray) or ids.ndim != 2:
        fail("ids", "an int array (m, n) of output ids", describe(ids))
    n = ids.shape[1]
    check_labels(ids, (m, n), "(m, n)", n_y, "ids")
    step = decoder_step(cell, params, h, keys, mask, n_y, score)
    previous = np.concatenate([np.full((m, 1), start), ids[:, :-1]], axis=1)
    weights = np.empty((m, n, T_x), h.dtype)
    for t in range(n):
        state, weights[:, t], _ = step(previous[:, t], state)
    return weights


def attention_beam_translate(params, x, n, start, lengths, cell, beam_width, end=None,
                             length_norm=0.0, score="additive"):
    """Beam search with attention, one example at a time (see `rnnlesson.beam`): (m, n) ids."""
    cell = get_cell(cell)
    _, n_y, _ = check_attention(params, cell, score)
    check_start(start, n_y)
    beam_width = check_beam(beam_width, length_norm, end, n_y)
    h, keys, mask, state, _ = encode(params, x, lengths, cell)
    m = mask.shape[0]
    out = np.empty((m, n), dtype=int)
    for i in range(m):
        def step(ids, prefixes, i=i):
            columns = np.full(ids.size, i)  # example i's source, once per prefix
            decode = decoder_step(cell, params, h[:, columns], keys[:, columns], mask[columns],
                                  n_y, score)
            prefixes, _, _ = decode(ids, prefixes)
            return np.log(output_forward(prefixes[0], params["decoder"])), prefixes, None

        out[i] = beam_search(step, tuple(s[:, [i]] for s in state), start, n, beam_width, end,
                             length_norm)[0]
    return out
