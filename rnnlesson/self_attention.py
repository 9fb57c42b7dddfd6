"""Self-attention over one sequence: the step from this course to the Transformer
(Vaswani et al. 2017).

The encoder-decoder's attention (`rnnlesson.attention`) lets each decoder step look at every
encoder state. Self-attention lets every step of a sequence look at every step of the *same*
sequence, with the scaled dot-product score. For x (n_x, m, T_x):

    q_t = Wq x_t,   k_j = Wk x_j   (n_e,)        the query of step t, the key of step j
    v_j = Wv x_j                   (n_v,)        the value of step j
    e_{t,j} = q_t^T k_j / sqrt(n_e)
    α_{t,j} = exp(e_{t,j}) / Σ_{j'} exp(e_{t,j'})   over the steps j that t may see
    z_t = Σ_j α_{t,j} v_j          (n_v,)

The steps t may see are the real ones of its own sequence (j < L, lengths as everywhere in
the package) and, with causal=True, only those up to itself (j <= t), as a decoder that must
not read the future. A padded step t's z_t is 0.

There is no recurrence: every z_t is computed at once, and steps t and j are one product
apart, however far apart they stand, where an RNN carries the information through |t - j|
steps of its chain (and its gradient through as many factors, notebook 09). The price: the
layer does not know the order of the steps (permute them and the z_t are permuted the same
way), which a Transformer adds to x as positional encodings, and its cost grows like T_x².

Two helpers for reading and mending that: `attention_entropy` measures how spread a row of
weights is (ln L for L equal weights, 0 for one weight of 1), and `positional_encoding` gives
the sinusoidal positions of Vaswani et al. (2017) to add to x.
"""

import numpy as np

from rnnlesson._validate import (
    check_float_array,
    check_lengths,
    check_positive,
    describe,
    fail,
)
from rnnlesson.sequence import step_mask

KEYS = ("Wq", "Wk", "Wv")


def init_self_attention(n_x, n_e, n_v=None, seed=0):
    """{"Wq": (n_e, n_x), "Wk": (n_e, n_x), "Wv": (n_v, n_x)}, entries of variance 1 / n_x;
    n_v defaults to n_e."""
    n_x, n_e = check_positive("n_x", n_x, int), check_positive("n_e", n_e, int)
    n_v = n_e if n_v is None else check_positive("n_v", n_v, int)
    rng = np.random.default_rng(seed)
    return {key: rng.normal(0.0, 1.0 / np.sqrt(n_x), (n, n_x))
            for key, n in zip(KEYS, (n_e, n_e, n_v), strict=True)}


def check_self_attention(params, x):
    """(n_e, n_v, m, T_x) for params and x (n_x, m, T_x) floats."""
    if not isinstance(params, dict) or set(params) != set(KEYS):
        fail("params", "a dict with keys 'Wq', 'Wk', 'Wv'",
             sorted(params) if isinstance(params, dict) else type(params).__name__)
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        fail("x", "a float array (n_x, m, T_x)", getattr(x, "shape", type(x).__name__))
    n_x, m, T_x = x.shape
    check_float_array("x", x, x.shape, "(n_x, m, T_x)")
    n_e = params["Wq"].shape[0] if isinstance(params["Wq"], np.ndarray) else 0
    n_v = params["Wv"].shape[0] if isinstance(params["Wv"], np.ndarray) else 0
    for key, n in (("Wq", n_e), ("Wk", n_e), ("Wv", n_v)):
        letters = "(n_v, n_x)" if key == "Wv" else "(n_e, n_x)"
        check_float_array(f"params['{key}']", params[key], (n, n_x), letters)
    return n_e, n_v, m, T_x


def visible(lengths, m, T_x, causal):
    """(m, T_x, T_x) bools: [i, t, j] whether step t of example i may see step j."""
    real = np.ones((m, T_x), dtype=bool) if lengths is None else step_mask(lengths, m, T_x)
    sees = real[:, None, :] & real[:, :, None]  # a real query and a real key
    if causal:
        sees &= np.tril(np.ones((T_x, T_x), dtype=bool))[None]
    return sees


def self_attention_forward(x, params, lengths=None, causal=False):
    """x (n_x, m, T_x) floats; params from `init_self_attention`; lengths (m,) or None;
    causal: step t sees only steps j <= t.
    Returns z (n_v, m, T_x), alpha (m, T_x, T_x) (row t: the weights step t gave each j; 0 where
    it may not see, a padded step's row all 0) and the cache for `self_attention_backward`."""
    n_e, _, m, T_x = check_self_attention(params, x)
    lengths = check_lengths(lengths, m, T_x)
    q, k, v = (np.einsum("ex,xmt->emt", params[key], x) for key in KEYS)
    scores = np.einsum("emt,emj->mtj", q, k) / np.sqrt(n_e)
    sees = visible(lengths, m, T_x, causal)
    scores = np.where(sees, scores, -np.inf)
    top = scores.max(axis=2, keepdims=True)
    weights = np.exp(scores - np.where(np.isfinite(top), top, 0.0))  # a padded row: all 0
    total = weights.sum(axis=2, keepdims=True)
    alpha = weights / np.where(total > 0, total, 1.0)
    z = np.einsum("vmj,mtj->vmt", v, alpha)
    return z, alpha, (x, q, k, v, alpha, params)


def self_attention_backward(dz, cache):
    """dz (n_v, m, T_x): the loss's gradient reaching z.
    Returns dx (n_x, m, T_x), dWq, dWk (n_e, n_x), dWv (n_v, n_x)."""
    x, q, k, v, alpha, params = cache
    check_float_array("dz", dz, v.shape, "(n_v, m, T_x)")
    scale = 1.0 / np.sqrt(q.shape[0])
    dalpha = np.einsum("vmt,vmj->mtj", dz, v)
    dv = np.einsum("vmt,mtj->vmj", dz, alpha)
    dscores = alpha * (dalpha - np.sum(alpha * dalpha, axis=2, keepdims=True))  # softmax'
    dq = scale * np.einsum("mtj,emj->emt", dscores, k)
    dk = scale * np.einsum("mtj,emt->emj", dscores, q)
    grads = {f"d{key}": np.einsum("emt,xmt->ex", d, x)
             for key, d in zip(KEYS, (dq, dk, dv), strict=True)}
    grads["dx"] = sum(np.einsum("ex,emt->xmt", params[key], d)
                      for key, d in zip(KEYS, (dq, dk, dv), strict=True))
    return grads


def attention_entropy(alpha):
    """The entropy -Σ_j α_j ln α_j, in nats, of each row of attention weights.

    alpha (..., T): weights >= 0 over the last axis, e.g. (m, T_x) from
    `rnnlesson.attention.attention_forward` or (m, T_x, T_x) from `self_attention_forward`.
    Returns (...): ln L for a row of L equal weights (the most spread), 0 for a row with one
    weight of 1 (a step that looks at one step only) and for a padded step's row of 0s.
    """
    if not isinstance(alpha, np.ndarray) or alpha.ndim < 1:
        fail("alpha", "a float array of weights (..., T)", describe(alpha))
    check_float_array("alpha", alpha, alpha.shape, "(..., T)")
    if np.any(alpha < 0):
        fail("alpha", "weights >= 0 (a softmax's output)", f"a smallest entry {alpha.min()}")
    logs = np.log(np.where(alpha > 0, alpha, 1.0))  # 0 ln 0 = 0
    return 0.0 - np.sum(alpha * logs, axis=-1)  # 0.0 - : a one-hot row gives 0, not -0


def positional_encoding(n_x, T_x):
    """The sinusoidal positions of Vaswani et al. (2017), to add to x (n_x, m, T_x).

    Step t (t = 0 .. T_x - 1) gets, in rows 2i and 2i + 1 (i = 0, 1, ...),
        sin(t / 10000^(2i / n_x))   and   cos(t / 10000^(2i / n_x)),
    waves whose period grows from 2π (rows 0, 1) to about 10000·2π, so every step gets its own
    column and nearby steps get similar ones. Returns (n_x, 1, T_x), entries in [-1, 1].
    """
    n_x, T_x = check_positive("n_x", n_x, int), check_positive("T_x", T_x, int)
    rate = 10000.0 ** (-2 * (np.arange(n_x) // 2) / n_x)  # (n_x,): row 2i and 2i + 1 share it
    angle = rate[:, None] * np.arange(T_x)[None, :]  # (n_x, T_x)
    waves = np.where(np.arange(n_x)[:, None] % 2 == 0, np.sin(angle), np.cos(angle))
    return waves[:, None, :]  # (n_x, 1, T_x)
