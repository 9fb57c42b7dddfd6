"""The shapes an RNN can take, each a loss with its gradients, all composed from one cell.

Letters: n_x input features, n_a hidden units, n_y classes, m examples, T_x input steps,
T_y output steps. Every function returns (loss, grads): loss is the cross-entropy in nats
averaged over the predicted (non-padded) tokens; grads holds dWax (n_a, n_x), dWaa (n_a, n_a),
dba (n_a, 1), dWya (n_y, n_a), dby (n_y, 1). None of them changes its arguments.

- many-to-many, aligned (a label per step, e.g. tagging each frame): `many_to_many_loss`
- many-to-one (one label per sequence, e.g. sentiment): `many_to_one_loss`
- one-to-one (T_x = 1: a plain feed-forward net): `one_to_one_loss`, `feedforward_loss`
- many-to-many, encoder-decoder (lengths differ, e.g. translation): `encoder_decoder_loss`
- one-to-many (generation): `rnnlesson.generate.sample`
"""

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import (
    ALL_KEYS,
    RECURRENCE_KEYS,
    check_labels,
    check_params,
    check_positive,
    check_step,
    fail,
)
from rnnlesson.cell import init_params
from rnnlesson.losses import cross_entropy, output_backward
from rnnlesson.sequence import (
    bptt,
    check_inputs,
    flat,
    output_forward,
    rnn_backward,
    rnn_forward,
    step_mask,
    unroll,
)

PARAM_GRADS = ("dWax", "dWaa", "dba", "dWya", "dby")


def recurrence(params):
    """The cell's own weights (Wax, Waa, ba), without the output layer."""
    return {key: params[key] for key in RECURRENCE_KEYS}


def many_to_many_states(params, x, y, a0=None, lengths=None, truncate=None):
    """Aligned many-to-many, also returning the final state and da0.

    Returns loss, grads (with da0 (n_a, m), the gradient reaching the initial state) and
    a_last (n_a, m), the state after each example's last step (to carry over to the next chunk
    of a long stream).
    The character model trains through here, so the batch-sized arrays (states,
    probabilities, their gradients) live in scratch memory (see `rnnlesson._scratch`); the
    steps are those of rnn_forward, sequence_cross_entropy, output_backward, rnn_backward.
    """
    # the output layer is required too: a missing Wya is named, not skipped
    n_y, (m, T_x), a0, lengths = check_inputs(x, a0, params, lengths, keys=ALL_KEYS)
    check_labels(y, (m, T_x), "(m, T_x)", n_y)
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    n_a, N = a0.shape[0], T_x * m  # N columns: every step of every example, step-major
    cache = unroll(x, a0, params, lengths, out=scratch("states", (n_a, m, T_x), order="F"))
    a_flat = flat(cache.a)  # (n_a, N)
    y_pred = output_forward(a_flat, params, out=scratch("y_pred, then dz", (n_y, N)))
    mask = None if lengths is None else step_mask(lengths, m, T_x).T.ravel()
    loss, dz = cross_entropy(y_pred, y.T.ravel(), mask, overwrite=True)
    grads, da = output_backward(dz, a_flat, params, out=scratch("da", (n_a, N), order="F"))
    grads.update(bptt(da.reshape((n_a, m, T_x), order="F"), cache, truncate))
    del grads["dx"]
    return loss, grads, cache.a[:, :, -1].copy()


def many_to_many_loss(params, x, y, a0=None, lengths=None, truncate=None):
    """A label for every step: ŷ_t is scored against y_t for t = 1..T_x.

    x (n_x, m, T_x) floats or (m, T_x) token ids; y (m, T_x) int labels in [0, n_y);
    a0 (n_a, m) or None; lengths (m,) for a padded batch; truncate = k for truncated BPTT.
    """
    loss, grads, _ = many_to_many_states(params, x, y, a0, lengths, truncate)
    return loss, {key: grads[key] for key in PARAM_GRADS}


def many_to_one_loss(params, x, y, a0=None, lengths=None):
    """One label per sequence, predicted from the state at each sequence's own last step.

    x (n_x, m, T_x) floats or (m, T_x) token ids; y (m,) int labels in [0, n_y);
    a0 (n_a, m) or None; lengths (m,) for a padded batch.
    """
    _, _, n_y = check_params(params)
    a, _, cache = rnn_forward(x, a0, recurrence(params), lengths)
    n_a, m, T_x = a.shape
    check_labels(y, (m,), "(m,)", n_y)
    last = np.full(m, T_x - 1) if cache.lengths is None else cache.lengths - 1
    a_last = a[:, np.arange(m), last]  # (n_a, m)
    loss, dz = cross_entropy(output_forward(a_last, params), y)
    grads, da_last = output_backward(dz, a_last, params)
    da = np.zeros((n_a, m, T_x))
    da[:, np.arange(m), last] = da_last
    grads.update(rnn_backward(da, cache))
    return loss, {key: grads[key] for key in PARAM_GRADS}


def one_to_one_loss(params, x, y):
    """One input, one output: many-to-one with T_x = 1 (and a_0 = 0). x (n_x, m), y (m,)."""
    check_step("x", x, check_params(params)[0])
    return many_to_one_loss(params, x[:, :, None], y)


def feedforward_loss(params, x, y):
    """A plain one-hidden-layer net, h = tanh(Wax x + ba), ŷ = softmax(Wya h + by).

    Written without any recurrence, to show that one-to-one is exactly this (Waa unused:
    its gradient is zero). x (n_x, m), y (m,).
    """
    n_x, _, n_y = check_params(params)
    m = check_step("x", x, n_x)
    check_labels(y, (m,), "(m,)", n_y)
    h = np.tanh(params["Wax"] @ x + params["ba"])
    loss, dz = cross_entropy(output_forward(h, params), y)
    grads, dh = output_backward(dz, h, params)
    dpre = dh * (1.0 - h**2)
    grads.update(dWax=dpre @ x.T, dba=dpre.sum(axis=1, keepdims=True),
                 dWaa=np.zeros_like(params["Waa"]))
    return loss, {key: grads[key] for key in PARAM_GRADS}


def init_encoder_decoder(n_x, n_a, n_y, seed=0):
    """Parameters of an encoder-decoder: {"encoder": Wax (n_a, n_x), Waa, ba;
    "decoder": Wax (n_a, n_y), Waa, ba, Wya (n_y, n_a), by}. The decoder reads its own
    previous output token, so its input size is n_y.
    """
    return {"encoder": recurrence(init_params(n_x, n_a, n_y, seed)),
            "decoder": init_params(n_y, n_a, n_y, seed + 1)}


def check_encoder_decoder(params):
    if not isinstance(params, dict) or set(params) != {"encoder", "decoder"}:
        fail("params", "a dict with keys 'encoder' and 'decoder'",
             sorted(params) if isinstance(params, dict) else type(params).__name__)
    _, n_a, _ = check_params(params["encoder"], RECURRENCE_KEYS, name="params['encoder']")
    _, n_a_dec, n_y = check_params(params["decoder"], name="params['decoder']")
    if n_a_dec != n_a:
        fail("params['decoder']['Waa']", f"n_a = {n_a} hidden units, as in the encoder",
             f"{n_a_dec}")
    return n_a, n_y


def encoder_decoder_loss(params, x, y_in, y, lengths=None, y_lengths=None):
    """Many-to-many with input and output of different lengths (the shape of translation).

    The encoder reads x (n_x, m, T_x) or token ids (m, T_x) (lengths (m,) if padded); its
    final state is the decoder's a_0. The decoder reads y_in (m, T_y), the target shifted right
    behind a start token (teacher forcing), and is scored against y (m, T_y) (y_lengths (m,)
    if padded). grads = {"encoder": {dWax, dWaa, dba}, "decoder": {dWax, ..., dby}}.
    """
    check_encoder_decoder(params)
    a_enc, _, enc_cache = rnn_forward(x, None, params["encoder"], lengths)
    loss, dec, _ = many_to_many_states(params["decoder"], y_in, y, a_enc[:, :, -1], y_lengths)
    da = np.zeros(a_enc.shape)
    da[:, :, -1] = dec.pop("da0")  # the last state holds each example's final state
    enc = rnn_backward(da, enc_cache)
    return loss, {"encoder": {key: enc[key] for key in ("dWax", "dWaa", "dba")},
                  "decoder": {key: dec[key] for key in PARAM_GRADS}}
