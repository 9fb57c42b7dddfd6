"""Connectionist temporal classification (CTC): a sequence loss that needs no alignment.

Letters: n_y symbols (the blank among them), m examples, T_x frames, S labels at most.
Example i has T_i = input_lengths[i] frames and S_i = label_lengths[i] labels, padded to the
batch's T_x and S; whatever lies beyond the lengths is ignored. Indices t and s count from 0.

At each frame the network scores every symbol: z_t (n_y, m), y_t = softmax(z_t). An alignment
π = (π_0, ..., π_{T-1}) picks one symbol per frame, and B(π) merges repeats, then drops the
blanks (a a - a b b -> a a b). A labelling's probability sums over all its alignments:

    p(l | x) = Σ_{π: B(π) = l} Π_t y_t(π_t)

Graves et al. (2006), "Connectionist Temporal Classification: labelling unsegmented sequence
data with recurrent neural networks", sum them by dynamic programming over the extended labels
l' = (blank, l_1, blank, l_2, ..., l_S, blank), 2S+1 symbols:

    α_0(s) = y_0(l'_s) for s = 0, 1                 (start on the first blank or the first label)
    α_t(s) = y_t(l'_s) [α_{t-1}(s) + α_{t-1}(s-1) + α_{t-1}(s-2) if skip(s)]
    β_{T-1}(s) = 1 for s = 2S, 2S-1                  (end on the last blank or the last label)
    β_t(s) = Σ_{s' = s, s+1, s+2 if skip(s+2)} y_{t+1}(l'_{s'}) β_{t+1}(s')
    skip(s): l'_s is a label unlike l'_{s-2}          (a blank may be skipped between different
                                                       labels only: a a needs a - between)

α_t(s) sums the alignments of frames 0..t that end on l'_s; β_t(s) those of frames t+1..T-1
that start from l'_s (β leaves out y_t, unlike the 2006 paper, so the product α_t(s) β_t(s)
sums the alignments through l'_s at frame t). Hence p = α_{T-1}(2S) + α_{T-1}(2S-1) =
Σ_s α_t(s) β_t(s) at every t, and the gradient of the loss -log p with respect to the logits is

    ∂(-log p) / ∂z_t(k) = y_t(k) - (1/p) Σ_{s: l'_s = k} α_t(s) β_t(s).

A product of hundreds of probabilities underflows, so the lesson's recursion,
`ctc_forward_backward`, keeps log α, log β and log y. `ctc_loss` runs a faster one beside it,
`ctc_forward_backward_scaled` (Rabiner's scaling, as Graves's 2012 book describes for CTC):
the same recursions on probabilities, each frame's α and β divided by their sum over s, so
that nothing underflows either and log p is the sum of the logs of the divisors. It takes
sums and products where the lesson's takes logaddexp, and the two agree to rounding (the tests
hold them side by side). It checks its own result by an identity (Σ_s α_t(s) β_t(s) = p at
every frame) and falls back to the lesson's where a ratio left float64's range.
"""

from collections import defaultdict

import numpy as np

from rnnlesson._validate import (
    check_finite,
    check_lengths,
    check_positive,
    describe,
    fail,
    is_int_array,
)

LOG_ZERO = -np.inf  # log 0: no alignment


def log_softmax(z):
    """log y = log softmax(z) over the symbol axis: z (n_y, ...) -> (n_y, ...)."""
    shifted = z - z.max(axis=0, keepdims=True)  # max 0: no overflow
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


def logsumexp(v, axis=0):
    """log Σ exp(v) along axis, without overflow; v must hold a finite entry along axis."""
    top = v.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.exp(v - top).sum(axis=axis))


def shift(v, k):
    """v (2S+1, m) moved k places along s: v[s - k] at s, log 0 where s - k is outside.
    k = 1, 2 reads α_{t-1}(s-1), α_{t-1}(s-2); k = -1, -2 reads β_{t+1}(s+1), β_{t+1}(s+2)."""
    out = np.full_like(v, LOG_ZERO)
    if k > 0:
        out[k:] = v[:-k]
    else:
        out[:k] = v[-k:]
    return out


def extend_labels(labels, label_lengths, blank=0):
    """The extended labels l' = (blank, l_1, blank, ..., l_S, blank) and where skips are allowed.

    labels (m, S) ids; label_lengths (m,). Returns l_ext (2S+1, m) ids, blanks from 2 S_i + 1
    on, and skip (2S+1, m): True where α_t(s) may come from α_{t-1}(s-2).
    """
    m, S = labels.shape
    inside = np.arange(S) < label_lengths[:, None]  # (m, S)
    l_ext = np.full((2 * S + 1, m), blank)
    l_ext[1::2] = np.where(inside, labels, blank).T
    skip = np.zeros(l_ext.shape, dtype=bool)
    skip[2:] = (l_ext[2:] != blank) & (l_ext[2:] != l_ext[:-2])
    return l_ext, skip


def ctc_forward_backward(log_y, l_ext, skip, input_lengths, label_lengths):
    """The α and β recursions in log space, vectorised over s and the batch.

    log_y (n_y, m, T_x) log-probabilities; l_ext, skip (2S+1, m) from `extend_labels`;
    input_lengths, label_lengths (m,). Returns log α (2S+1, m, T_x), log β (2S+1, m, T_x) and
    log p (m,), p = p(l | x). log β is log 0 from frame T_i on (where log α means nothing) and
    from s = 2 S_i + 1 on.
    """
    L, m = l_ext.shape
    T_x = log_y.shape[2]
    log_y_ext = log_y[l_ext, np.arange(m)]  # (2S+1, m, T_x): log y_t(l'_s)
    s = np.arange(L)[:, None]
    last = (s == 2 * label_lengths) | (s == 2 * label_lengths - 1)  # (2S+1, m): where paths end

    log_alpha = np.full((L, m, T_x), LOG_ZERO)
    log_alpha[:2, :, 0] = log_y_ext[:2, :, 0]
    for t in range(1, T_x):
        prev = log_alpha[:, :, t - 1]
        paths = np.logaddexp(prev, shift(prev, 1))
        paths = np.logaddexp(paths, np.where(skip, shift(prev, 2), LOG_ZERO))
        log_alpha[:, :, t] = log_y_ext[:, :, t] + paths

    log_beta = np.full((L, m, T_x), LOG_ZERO)
    for t in range(T_x - 1, -1, -1):
        if t + 1 < T_x:
            after = log_beta[:, :, t + 1] + log_y_ext[:, :, t + 1]  # (2S+1, m)
            paths = np.logaddexp(after, shift(after, -1))
            log_beta[:, :, t] = np.logaddexp(paths, shift(np.where(skip, after, LOG_ZERO), -2))
        final = input_lengths - 1 == t  # (m,): examples whose last frame is t
        log_beta[:, final, t] = np.where(last[:, final], 0.0, LOG_ZERO)

    alpha_end = log_alpha[:, np.arange(m), input_lengths - 1]  # (2S+1, m): α_{T_i - 1}
    log_p = logsumexp(np.where(last, alpha_end, LOG_ZERO), axis=0)
    return log_alpha, log_beta, log_p


def ctc_forward_backward_scaled(y_ext, skip, input_lengths, label_lengths):
    """The α and β recursions on probabilities, each frame rescaled to sum 1 over s.

    y_ext (T_x, 2S+1, m): y_t(l'_s), frame-major (each frame one contiguous block); skip
    (2S+1, m); input_lengths, label_lengths (m,). Returns γ (T_x, 2S+1, m), γ_t(s) =
    α_t(s) β_t(s) / p (0 from frame T_i on), log p (m,), and whether the result holds: the
    rescaled α̂_t = α_t / (c_0 ... c_t) and β̂_t = β_t / (d_t ... d_{T_i-1}) must give
    Σ_s α_t(s) β_t(s) = p at every frame, which fails only where a ratio of two entries left
    float64's range (then use `ctc_forward_backward`).
    """
    T_x, L, m = y_ext.shape
    s = np.arange(L)[:, None]
    last = (s == 2 * label_lengths) | (s == 2 * label_lengths - 1)  # (2S+1, m): where paths end
    within = np.arange(T_x)[:, None] < input_lengths  # (T_x, m)
    skip = skip.astype(float)
    skip_next = np.zeros((L, m))
    skip_next[:-2] = skip[2:]  # row s: skip(s + 2), for β_t(s) <- β_{t+1}(s + 2)
    tiny, work = np.finfo(float).tiny, np.empty((L, m))
    # two rows of zeros above s = 0: α_{t-1}(s-1) and α_{t-1}(s-2) are slices, as are
    # β_{t+1}(s+1) and β_{t+1}(s+2) with two rows below s = 2S
    alpha, c = np.zeros((T_x, L + 2, m)), np.empty((T_x, m))
    alpha[0, 2:4] = y_ext[0, :2]
    for t in range(T_x):
        a = alpha[t, 2:]
        if t > 0:
            prev = alpha[t - 1]
            np.add(prev[2:], prev[1:-1], out=a)
            a += np.multiply(skip, prev[:-2], out=work)
            a *= y_ext[t]
        a /= np.maximum(np.sum(a, axis=0, out=c[t]), tiny)  # c_t: α̂_t sums to 1 over s
    ends = input_lengths - 1
    end_sum = np.where(last, alpha[ends, 2:, np.arange(m)].T, 0.0).sum(axis=0)
    alive = bool(np.all(c[within] > 0) and np.all(end_sum > 0))  # no frame underflowed to 0
    log_c = np.log(np.maximum(c, tiny))
    log_p = np.where(within, log_c, 0.0).sum(axis=0) + np.log(np.maximum(end_sum, tiny))
    beta, d = np.zeros((T_x, L + 2, m)), np.empty((T_x, m))
    after = np.zeros((L + 2, m))
    finals = {t: ends == t for t in set(ends.tolist())}  # (m,): examples whose last frame is t
    for t in range(T_x - 1, -1, -1):
        b = beta[t, :L]
        if t + 1 < T_x:
            np.multiply(beta[t + 1, :L], y_ext[t + 1], out=after[:L])
            np.add(after[:L], after[1:L + 1], out=b)
            b += np.multiply(skip_next, after[2:], out=work)
        if t in finals:
            np.copyto(b, last, where=finals[t])
        b /= np.maximum(np.sum(b, axis=0, out=d[t]), tiny)  # 0 from frame T_i on
    gamma = alpha[:, 2:] * beta[:, :L]
    total = gamma.sum(axis=1)  # (T_x, m): Σ_s α̂_t(s) β̂_t(s) = p / (c_0 ... c_t d_t ...)
    gamma /= np.maximum(total, tiny)[:, None]
    gamma *= within[:, None]
    log_d_after = np.cumsum(np.where(within, np.log(np.maximum(d, tiny)), 0.0)[::-1],
                            axis=0)[::-1]
    implied = np.log(np.maximum(total, tiny)) + np.cumsum(log_c, axis=0) + log_d_after
    holds = alive and bool(np.all(np.abs(np.where(within, implied - log_p, 0.0))
                                  <= 1e-9 * np.maximum(1.0, np.abs(log_p))))
    return gamma, log_p, holds


def ctc_log_likelihood(logits, labels, input_lengths, label_lengths, blank=0):
    """log p(l | x) of each example, in nats: (m,). Arguments as for `ctc_loss`."""
    labels, input_lengths, label_lengths = check_ctc(logits, labels, input_lengths,
                                                     label_lengths, blank)
    l_ext, skip = extend_labels(labels, label_lengths, blank)
    return ctc_forward_backward(log_softmax(logits), l_ext, skip, input_lengths,
                                label_lengths)[2]


def ctc_loss(logits, labels, input_lengths, label_lengths, blank=0):
    """CTC loss: the batch's mean of -log p(l | x) in nats, and its gradient.

    logits (n_y, m, T_x): scores before the softmax at each frame; labels (m, S) int ids,
    padded beyond label_lengths (m,); input_lengths (m,): frames of each example; blank: the
    blank's id. Returns loss (float) and dlogits (n_y, m, T_x), 0 from frame T_i on:
    (y_t(k) - (1/p) Σ_{s: l'_s = k} α_t(s) β_t(s)) / m. float32 logits are summed over their
    alignments in float64 (the recursion needs its range) and dlogits comes back in float32.
    """
    labels, input_lengths, label_lengths = check_ctc(logits, labels, input_lengths,
                                                     label_lengths, blank)
    n_y, m, T_x = logits.shape
    log_y = log_softmax(logits.astype(np.float64, copy=False))
    l_ext, skip = extend_labels(labels, label_lengths, blank)
    within = np.arange(T_x) < input_lengths[:, None]  # (m, T_x)
    y = np.exp(log_y)
    # γ_t(s) = α_t(s) β_t(s) / p: the share of p whose alignments are on l'_s at frame t
    y_ext = y.transpose(2, 0, 1)[:, l_ext, np.arange(m)]  # (T_x, 2S+1, m)
    y_ext *= np.arange(len(l_ext))[:, None] <= 2 * label_lengths  # no path beyond l'_{2 S_i}
    gamma, log_p, holds = ctc_forward_backward_scaled(y_ext, skip, input_lengths,
                                                      label_lengths)
    if holds:
        gamma = gamma.transpose(1, 2, 0)  # (2S+1, m, T_x)
    else:  # a ratio left float64's range: the lesson's recursion, in log space
        log_alpha, log_beta, log_p = ctc_forward_backward(log_y, l_ext, skip, input_lengths,
                                                          label_lengths)
        gamma = np.exp(log_alpha + log_beta - log_p[None, :, None])  # (2S+1, m, T_x)
    # y_t(k) - Σ_{s: l'_s = k} γ_t(s): the blanks (every even s) at once, then each label
    dlogits = y
    dlogits[blank] -= gamma[0::2].sum(axis=0)
    for s_row, ids in zip(gamma[1::2], l_ext[1::2], strict=True):  # (m, T_x) and (m,)
        dlogits[ids, np.arange(m)] -= s_row
    dlogits *= within / m
    return float(-log_p.mean()), dlogits.astype(logits.dtype, copy=False)


def ctc_greedy_decode(logits, input_lengths, blank=0):
    """Best-path decoding: the likeliest symbol of each frame, repeats merged, blanks dropped.

    logits (n_y, m, T_x) (probabilities or log-probabilities do as well: only the argmax
    counts); input_lengths (m,). Returns a list of m lists of label ids. The single best
    alignment need not belong to the likeliest labelling: see `ctc_prefix_beam_search`.
    """
    n_y, m, T_x = check_logits(logits)
    check_blank(blank, n_y)
    input_lengths = check_input_lengths(input_lengths, m, T_x)
    best = logits.argmax(axis=0)  # (m, T_x)
    decoded = []
    for i, T in enumerate(input_lengths):
        path = best[i, :T]
        new = np.r_[True, path[1:] != path[:-1]]  # the first frame of each run
        decoded.append(path[new & (path != blank)].tolist())
    return decoded


def ctc_prefix_beam_search(logits, input_lengths, beam_width, blank=0):
    """Prefix beam search: the likeliest labellings, each summed over all its alignments.

    Hannun et al. (2014), "First-pass large vocabulary continuous speech recognition using
    bi-directional recurrent DNNs"; Hannun (2017), "Sequence Modeling with CTC", Distill.
    A prefix (labels so far) keeps two log-probabilities: p_b of its alignments ending in a
    blank and p_nb of those ending in its last label, since the next frame extends the two
    differently (after a, another a merges unless a blank came between). Alignments reaching
    the same prefix are merged by adding their probabilities; the beam_width likeliest prefixes
    survive each frame. With a beam wide enough to keep every prefix the result is exact.

    logits (n_y, m, T_x); input_lengths (m,); beam_width >= 1. Returns for each example a list
    of at most beam_width (prefix tuple, log p(prefix | x)) pairs, the likeliest first.
    """
    n_y, m, T_x = check_logits(logits)
    check_blank(blank, n_y)
    input_lengths = check_input_lengths(input_lengths, m, T_x)
    beam_width = check_positive("beam_width", beam_width, int)
    log_y = log_softmax(logits)
    return [prefix_beam_search(log_y[:, i, :T], beam_width, blank)
            for i, T in enumerate(input_lengths)]


def prefix_beam_search(log_y, beam_width, blank=0):
    """One example: log_y (n_y, T) -> [(prefix tuple, log p)] the likeliest first."""
    n_y, T = log_y.shape
    beams = {(): (0.0, LOG_ZERO)}  # prefix -> (log p_b, log p_nb)
    for t in range(T):
        p_b, p_nb = defaultdict(lambda: LOG_ZERO), defaultdict(lambda: LOG_ZERO)
        for prefix, (b, nb) in beams.items():
            total = np.logaddexp(b, nb)
            p_b[prefix] = np.logaddexp(p_b[prefix], total + log_y[blank, t])
            if prefix:  # the last label again, no blank between: merged into the same prefix
                p_nb[prefix] = np.logaddexp(p_nb[prefix], nb + log_y[prefix[-1], t])
            for k in range(n_y):
                if k == blank:
                    continue
                # a new label equal to the last one must follow a blank
                before = b if prefix and k == prefix[-1] else total
                longer = prefix + (k,)
                p_nb[longer] = np.logaddexp(p_nb[longer], before + log_y[k, t])
        scores = {prefix: np.logaddexp(p_b[prefix], p_nb[prefix]) for prefix in p_b | p_nb}
        possible = [prefix for prefix in scores if scores[prefix] > LOG_ZERO]
        kept = sorted(possible, key=lambda prefix: (-scores[prefix], prefix))[:beam_width]
        beams = {prefix: (p_b[prefix], p_nb[prefix]) for prefix in kept}
    return [(prefix, float(np.logaddexp(*beams[prefix]))) for prefix in beams]


# Checks at the boundary: each names the argument, what was expected and what arrived.

def check_logits(logits):
    """Finite float scores (n_y, m, T_x) with n_y >= 2 (the blank and a label); return the shape."""
    expected = "a float array of scores (n_y, m, T_x), n_y >= 2 symbols with the blank"
    if not isinstance(logits, np.ndarray) or not np.issubdtype(logits.dtype, np.floating) \
            or logits.ndim != 3:
        fail("logits", expected, describe(logits))
    if logits.shape[0] < 2 or logits.shape[1] < 1 or logits.shape[2] < 1:
        fail("logits", f"{expected}, m >= 1, T_x >= 1", f"shape {logits.shape}")
    check_finite("logits", logits)
    return logits.shape


def check_blank(blank, n_y):
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) \
            or not 0 <= blank < n_y:
        fail("blank", f"the blank's id, an int in [0, n_y) = [0, {n_y})", describe(blank))


def check_input_lengths(input_lengths, m, T_x):
    if input_lengths is None:
        fail("input_lengths", f"{m} integer lengths, shape (m,) = ({m},)", describe(None))
    return check_lengths(input_lengths, m, T_x, name="input_lengths")


def check_ctc(logits, labels, input_lengths, label_lengths, blank):
    """Check ctc_loss's arguments; return labels, input_lengths, label_lengths as int arrays."""
    n_y, m, T_x = check_logits(logits)
    check_blank(blank, n_y)
    input_lengths = check_input_lengths(input_lengths, m, T_x)
    if not is_int_array(labels) or labels.ndim != 2 or labels.shape[0] != m:
        fail("labels", f"an int array of label ids (m, S) with m = {m}", describe(labels))
    S = labels.shape[1]
    label_lengths = np.asarray(label_lengths)
    if not np.issubdtype(label_lengths.dtype, np.integer) or label_lengths.shape != (m,):
        fail("label_lengths", f"{m} integer lengths, shape (m,) = ({m},)",
             describe(label_lengths))
    if label_lengths.min() < 0 or label_lengths.max() > S:
        fail("label_lengths", f"every length in [0, S] = [0, {S}]",
             f"lengths from {label_lengths.min()} to {label_lengths.max()}")
    inside = np.arange(S) < label_lengths[:, None]  # (m, S)
    bad = inside & ((labels < 0) | (labels >= n_y) | (labels == blank))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        fail("labels", f"ids in [0, n_y) = [0, {n_y}) other than the blank {blank}, up to "
             "each label length", f"{labels[i, j]} at labels[{i}, {j}] (example {i})")
    repeats = (inside[:, 1:] & (labels[:, 1:] == labels[:, :-1])).sum(axis=1)  # (m,)
    too_long = label_lengths + repeats > input_lengths
    if too_long.any():
        i = int(np.argmax(too_long))
        S_i, r_i, T_i = int(label_lengths[i]), int(repeats[i]), int(input_lengths[i])
        fail("labels", "every label sequence to fit its frames: S_i labels + the repeats "
             "(each needs a blank between) <= T_i frames",
             f"example {i}: label length {S_i} with {r_i} repeat{'s' * (r_i != 1)} needs "
             f"{S_i + r_i} frames, but input_lengths[{i}] = {T_i} frames")
    return labels, input_lengths, label_lengths
