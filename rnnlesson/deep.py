"""Stacked (deep) and bidirectional RNNs, composed from any cell and from each other.

Letters: n_x input features, n_a hidden units per direction and layer, n_y classes,
m examples, T_x steps. A network is a parameter tree, one of:
- a cell's own weights (as `rnnlesson.cells` names them): one layer, one direction;
- {"forward": net, "backward": net}: bidirectional. The backward net reads each sequence
  reversed *within its own length* (x_{L_i}, ..., x_1, then the padding, for example i);
  its states are put back in the original order and stacked under the forward ones, so
  step t sees [a_t forward; a_t backward], (2 n_a, m);
- {"layer1": net, "layer2": net, ...}: stacked; layer l's states are layer l+1's input.
Any of them may carry an output layer Wya (n_y, n_features), by (n_y, 1) at its top level.
All states start at zero. `deep_forward` / `deep_backward` are the pure pair, and
`deep_many_to_many_loss` the aligned many-to-many topology on top. Their `reverse=` is how the
backward direction reverses time, `reverse_within_lengths` unless another function
(x, lengths) -> x reversed, its own inverse and transpose, is given: notebook 15 passes the
classic bug, the whole padded axis reversed, to measure what it costs.
"""

import numpy as np

from rnnlesson._validate import check_labels, check_lengths, check_sequence, dtype_of, fail
from rnnlesson.cells import get_cell
from rnnlesson.losses import cross_entropy, output_backward
from rnnlesson.sequence import flat, sequence_outputs, step_mask

OUTPUT_KEYS = ("Wya", "by")


def init_deep(n_x, n_a, n_y, n_layers=2, bidirectional=False, seed=0, cell="rnn"):
    """A stack of n_layers (each bidirectional if asked) with an output layer on top:
    {"layer1": ..., "layer<n_layers>": ..., "Wya": (n_y, n_top), "by": (n_y, 1)}, n_top = n_a
    or 2 n_a. n_layers = 1 gives the one layer itself (no "layer1" level)."""
    cell = get_cell(cell)
    layers, n_in = {}, n_x
    for layer in range(1, n_layers + 1):
        seeds = seed + 10 * layer
        one = lambda s, n=n_in: cell.recurrence(cell.init(n, n_a, 1, s))  # noqa: E731
        layers[f"layer{layer}"] = ({"forward": one(seeds), "backward": one(seeds + 1)}
                                   if bidirectional else one(seeds))
        n_in = 2 * n_a if bidirectional else n_a
    net = layers["layer1"] if n_layers == 1 else layers
    rng = np.random.default_rng(seed)
    return {**net, "Wya": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_y, n_in)),
            "by": np.zeros((n_y, 1))}


def reverse_within_lengths(x, lengths):
    """Each example's steps 1..L_i in reverse order, padded steps left in place.
    x (n, m, T_x) or ids (m, T_x). Its own inverse (and its own transpose)."""
    m, T_x = x.shape[-2:]
    t = np.arange(T_x)
    ends = np.full(m, T_x) if lengths is None else lengths
    order = np.where(t < ends[:, None], ends[:, None] - 1 - t, t)  # (m, T_x)
    if x.ndim == 2:
        return np.take_along_axis(x, order, axis=1)
    return np.take_along_axis(x, order[None], axis=2)


def body(params):
    """The network without its output layer."""
    return {k: v for k, v in params.items() if k not in OUTPUT_KEYS}


def unroll_net(x, params, lengths, cell, name, first=True, reverse=reverse_within_lengths):
    """Forward through a network (see the module's doc); first: x is the network's own input
    (checked as a sequence), not the states of a layer below; reverse: the backward direction's
    reversal of time. Returns the top states (n_top, m, T_x) and the cache for `backward_net`."""
    net = body(params)
    if "forward" in net:
        if set(net) != {"forward", "backward"}:
            fail(name, "a bidirectional net with keys 'forward' and 'backward'", sorted(net))
        a_f, fwd = unroll_net(x, net["forward"], lengths, cell, f"{name}['forward']", first,
                              reverse)
        a_b, bwd = unroll_net(reverse(x, lengths), net["backward"], lengths, cell,
                              f"{name}['backward']", first, reverse)
        a = np.concatenate([a_f, reverse(a_b, lengths)])
        return a, ("bidirectional", fwd, bwd, a_f.shape[0], lengths, reverse)
    if "layer1" in net:
        caches, h = [], x
        for layer in range(1, len(net) + 1):
            key = f"layer{layer}"
            if key not in net:
                fail(name, f"layers 'layer1' to 'layer{len(net)}'", sorted(net))
            h, cache = unroll_net(h, net[key], lengths, cell, f"{name}['{key}']",
                                  first and layer == 1, reverse)
            caches.append(cache)
        return h, ("stacked", caches)
    n_x, n_a, _ = cell.check(net, name)
    dtype = dtype_of(net)
    if first:
        check_sequence(x, n_x, dtype=dtype)
    elif x.shape[0] != n_x:
        fail(name, f"n_x = {x.shape[0]} inputs, the states of the layer below", f"n_x = {n_x}")
    m = x.shape[-2]
    cache = cell.unroll(x, tuple(np.zeros((n_a, m), dtype) for _ in cell.state), net, lengths)
    return cache.a, ("cell", cache)


def backward_net(da, cache, cell):
    """Backward through a network: da (n_top, m, T_x) reaching its top states.
    Returns the weights' gradients (a tree like the params) and dx (None for token ids)."""
    kind = cache[0]
    if kind == "cell":
        grads = cell.bptt(da, cache[1])
        return {f"d{k}": grads[f"d{k}"] for k in cell.keys}, grads["dx"]
    if kind == "stacked":
        grads = {}
        for layer in reversed(range(len(cache[1]))):
            grads[f"layer{layer + 1}"], da = backward_net(da, cache[1][layer], cell)
        return grads, da
    _, fwd, bwd, n_f, lengths, reverse = cache
    g_f, dx_f = backward_net(np.ascontiguousarray(da[:n_f]), fwd, cell)
    g_b, dx_b = backward_net(reverse(da[n_f:], lengths), bwd, cell)
    dx = None if dx_f is None else dx_f + reverse(dx_b, lengths)
    return {"forward": g_f, "backward": g_b}, dx


def deep_forward(x, params, lengths=None, cell="rnn", reverse=reverse_within_lengths):
    """Run a stacked and/or bidirectional network over x (n_x, m, T_x) floats or (m, T_x)
    token ids; lengths (m,) for a padded batch; reverse: see the module's doc.
    Returns a (n_top, m, T_x), the top layer's states; y_pred (n_y, m, T_x) or None without
    Wya; and the cache for `deep_backward`."""
    cell = get_cell(cell)
    if not isinstance(params, dict):
        fail("params", "a dict: a cell's weights, 'forward'/'backward' or 'layer1', ...",
             type(params).__name__)
    m, T_x = x.shape[-2:] if isinstance(x, np.ndarray) and x.ndim >= 2 else (1, 1)
    lengths = check_lengths(lengths, m, T_x)
    a, cache = unroll_net(x, params, lengths, cell, "params", reverse=reverse)
    return a, sequence_outputs(a, params), (cache, cell)


def deep_backward(da, caches):
    """da (n_top, m, T_x): the gradient reaching the top states. Returns the gradients as a
    tree like the params (without the output layer) and "dx" (None for token ids)."""
    cache, cell = caches
    grads, dx = backward_net(da, cache, cell)
    return {**grads, "dx": dx}


def deep_many_to_many_loss(params, x, y, lengths=None, cell="rnn",
                           reverse=reverse_within_lengths):
    """A label per step read from the top states: loss and gradients (a tree like params)."""
    a, y_pred, caches = deep_forward(x, params, lengths, cell, reverse)
    if y_pred is None:
        fail("params", "the output layer's keys 'Wya' and 'by' at the top level",
             sorted(params))
    n_top, m, T_x = a.shape
    check_labels(y, (m, T_x), "(m, T_x)", y_pred.shape[0])
    mask = None if lengths is None else step_mask(np.asarray(lengths), m, T_x).T.ravel()
    loss, dz = cross_entropy(flat(y_pred), y.T.ravel(), mask)
    grads, da = output_backward(dz, flat(a), params)
    grads.update(deep_backward(da.reshape((n_top, m, T_x), order="F"), caches))
    del grads["dx"]
    return loss, grads
