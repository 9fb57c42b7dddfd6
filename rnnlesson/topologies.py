"""The shapes an RNN can take, each a loss with its gradients, all composed from one cell.

Letters: n_x input features, n_a hidden units, n_y classes, m examples, T_x input steps,
T_y output steps. Every function returns (loss, grads): loss is the cross-entropy in nats
averaged over the predicted (non-padded) tokens; grads holds dWax (n_a, n_x), dWaa (n_a, n_a),
dba (n_a, 1), dWya (n_y, n_a), dby (n_y, 1) (for cell="lstm" or "gru" the cell's own weights'
gradients instead of the first three, see `rnnlesson.cells`). None of them changes its
arguments.

- many-to-many, aligned (a label per step, e.g. tagging each frame): `many_to_many_loss`
- many-to-one (one label per sequence, e.g. sentiment): `many_to_one_loss`
- one-to-one (T_x = 1: a plain feed-forward net): `one_to_one_loss`, `feedforward_loss`
- many-to-many, encoder-decoder (lengths differ, e.g. translation): `encoder_decoder_loss`
- one-to-many (generation): `rnnlesson.generate.sample`
"""

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import (
    check_labels,
    check_params,
    check_positive,
    check_step,
    fail,
)
from rnnlesson.cells import cell_inputs, check_output, get_cell
from rnnlesson.losses import cross_entropy, output_backward
from rnnlesson.sequence import flat, output_forward, step_mask

PARAM_GRADS = ("dWax", "dWaa", "dba", "dWya", "dby")


def many_to_many_states(params, x, y, a0=None, lengths=None, truncate=None, cell="rnn"):
    """Aligned many-to-many, also returning the final state and the initial state's gradient.

    Returns loss, grads (with da0 (n_a, m), and dc0 for the LSTM: the gradient reaching the
    initial state) and the state after each example's last step, a (n_a, m) or the LSTM's
    (a, c), to carry over to the next chunk of a long stream.
    The character model trains through here, so the batch-sized arrays (states,
    probabilities, their gradients) live in scratch memory (see `rnnlesson._scratch`); the
    steps are those of rnn_forward, sequence_cross_entropy, output_backward, rnn_backward.
    """
    cell = get_cell(cell)
    # the output layer is required too: a missing Wya is named, not skipped
    n_y, (m, T_x), state0, lengths = cell_inputs(cell, x, a0, params, lengths, output=True)
    check_labels(y, (m, T_x), "(m, T_x)", n_y)
    if truncate is not None:
        truncate = check_positive("truncate", truncate, int)
    n_a, N = state0[0].shape[0], T_x * m  # N columns: every step of every example, step-major
    cache = cell.unroll(x, state0, params, lengths, transient=True)
    a_flat = flat(cache.a)  # (n_a, N)
    dtype = a_flat.dtype
    y_pred = output_forward(a_flat, params, out=scratch("y_pred, then dz", (n_y, N), dtype=dtype))
    mask = None if lengths is None else step_mask(lengths, m, T_x).T.ravel()
    loss, dz = cross_entropy(y_pred, y.T.ravel(), mask, overwrite=True)
    grads, da = output_backward(dz, a_flat, params,
                                out=scratch("da", (n_a, N), order="F", dtype=dtype))
    grads.update(cell.bptt(da.reshape((n_a, m, T_x), order="F"), cache, truncate))
    del grads["dx"]
    return loss, grads, cell.public(cell.last(cache))


def many_to_many_loss(params, x, y, a0=None, lengths=None, truncate=None, cell="rnn"):
    """A label for every step: ŷ_t is scored against y_t for t = 1..T_x.

    x (n_x, m, T_x) floats or (m, T_x) token ids; y (m, T_x) int labels in [0, n_y);
    a0 (n_a, m) or None (the LSTM's: (a0, c0)); lengths (m,) for a padded batch;
    truncate = k for truncated BPTT; cell "rnn", "lstm" or "gru" (see `rnnlesson.cells`).
    """
    cell = get_cell(cell)
    loss, grads, _ = many_to_many_states(params, x, y, a0, lengths, truncate, cell)
    return loss, cell.param_grads(grads)


def many_to_one_loss(params, x, y, a0=None, lengths=None, cell="rnn"):
    """One label per sequence, predicted from the state at each sequence's own last step.

    x (n_x, m, T_x) floats or (m, T_x) token ids; y (m,) int labels in [0, n_y);
    a0 (n_a, m) or None (the LSTM's: (a0, c0)); lengths (m,) for a padded batch.
    """
    cell = get_cell(cell)
    n_y, (m, T_x), state0, lengths = cell_inputs(cell, x, a0, params, lengths, output=True)
    cache = cell.unroll(x, state0, cell.recurrence(params), lengths)
    a = cache.a
    n_a = a.shape[0]
    check_labels(y, (m,), "(m,)", n_y)
    last = np.full(m, T_x - 1) if lengths is None else lengths - 1
    a_last = a[:, np.arange(m), last]  # (n_a, m)
    loss, dz = cross_entropy(output_forward(a_last, params), y)
    grads, da_last = output_backward(dz, a_last, params)
    da = np.zeros((n_a, m, T_x), a.dtype)
    da[:, np.arange(m), last] = da_last
    grads.update(cell.bptt(da, cache))
    return loss, cell.param_grads(grads)


def one_to_one_loss(params, x, y, cell="rnn"):
    """One input, one output: many-to-one with T_x = 1 (and a_0 = 0). x (n_x, m), y (m,)."""
    cell = get_cell(cell)
    check_step("x", x, check_output(cell, params)[0])
    return many_to_one_loss(params, x[:, :, None], y, cell=cell)


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


def init_encoder_decoder(n_x, n_a, n_y, seed=0, cell="rnn"):
    """Parameters of an encoder-decoder: {"encoder": the cell's recurrence on n_x inputs
    (for the plain cell Wax (n_a, n_x), Waa, ba); "decoder": the cell on n_y inputs with its
    output layer Wya (n_y, n_a), by}. The decoder reads its own previous output token, so its
    input size is n_y.
    """
    cell = get_cell(cell)
    return {"encoder": cell.recurrence(cell.init(n_x, n_a, n_y, seed)),
            "decoder": cell.init(n_y, n_a, n_y, seed + 1)}


def check_encoder_decoder(params, cell="rnn", parts=("encoder", "decoder")):
    """(n_a, n_y) of encoder-decoder parameters, checked for the cell."""
    cell = get_cell(cell)
    if not isinstance(params, dict) or set(params) != set(parts):
        fail("params", "a dict with keys " + " and ".join(f"'{p}'" for p in parts),
             sorted(params) if isinstance(params, dict) else type(params).__name__)
    _, n_a, _ = cell.check(params["encoder"], "params['encoder']")
    _, n_a_dec, n_y = check_output(cell, params["decoder"], "params['decoder']")
    if n_a_dec != n_a:
        key = "Waa" if cell.name == "rnn" else cell.keys[0]
        fail(f"params['decoder']['{key}']", f"n_a = {n_a} hidden units, as in the encoder",
             f"{n_a_dec}")
    return n_a, n_y


def encoder_decoder_loss(params, x, y_in, y, lengths=None, y_lengths=None, cell="rnn"):
    """Many-to-many with input and output of different lengths (the shape of translation).

    The encoder reads x (n_x, m, T_x) or token ids (m, T_x) (lengths (m,) if padded); its
    final state is the decoder's initial state. The decoder reads y_in (m, T_y), the target
    shifted right behind a start token (teacher forcing), and is scored against y (m, T_y)
    (y_lengths (m,) if padded). grads = {"encoder": {dWax, dWaa, dba}, "decoder": {dWax, ...,
    dby}} for the plain cell, the cell's own weights for the others.
    """
    cell = get_cell(cell)
    check_encoder_decoder(params, cell)
    _, _, state0, lengths = cell_inputs(cell, x, None, params["encoder"], lengths, False,
                                        name="params['encoder']")
    enc_cache = cell.unroll(x, state0, params["encoder"], lengths)
    loss, dec, _ = many_to_many_states(params["decoder"], y_in, y,
                                       cell.public(cell.last(enc_cache)), y_lengths, cell=cell)
    dlast = cell.state_grads(dec)  # the decoder's initial state is the encoder's final one
    enc = cell.bptt(np.zeros_like(enc_cache.a), enc_cache, None, dlast)
    return loss, {"encoder": {f"d{key}": enc[f"d{key}"] for key in cell.keys},
                  "decoder": cell.param_grads(dec)}
