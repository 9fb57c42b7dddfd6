"""Beam search: keep the k most likely prefixes instead of only the most likely symbol.

Letters: n_y symbols, k = beam_width, n steps at most. Greedy decoding keeps one prefix and
extends it by its most likely symbol; beam search keeps k prefixes, extends each by every
symbol, and keeps the k extensions with the highest log-probability
log P(y_1..y_t) = Σ_t log ŷ_t[y_t]. k = 1 is greedy decoding; a k large enough to keep every
prefix (n_y^(n-1)) is exhaustive search.

With an end symbol, a prefix that writes it is finished and leaves the beam. Among the
finished sequences (and those still open after n steps) the winner has the highest
log P / L^α, L its length counting the end symbol: α = length_norm, 0 for none (then short
sequences win easily, as every symbol adds a negative log-probability), 0.6 to 1 common.
"""

import numpy as np

from rnnlesson._validate import check_positive, fail


def check_beam(beam_width, length_norm, end, n_y):
    beam_width = check_positive("beam_width", beam_width, int)
    if isinstance(length_norm, bool) or not isinstance(length_norm, (int, float)) \
            or not 0 <= length_norm < np.inf:
        fail("length_norm", "a number α >= 0 (0: no length normalisation)", repr(length_norm))
    if end is not None and (isinstance(end, bool) or not isinstance(end, (int, np.integer))
                            or not 0 <= end < n_y):
        fail("end", f"None or the end symbol's id in [0, n_y) = [0, {n_y})", repr(end))
    return beam_width


def beam_search(step, state, start, n, beam_width, end=None, length_norm=0.0):
    """Beam search for one sequence.

    step(ids (B,), state) -> (log_probs (n_y, B), state, extra): one step for B prefixes
    side by side (state a tuple of (n_a, B) arrays; extra (B, ...) something to keep with each
    prefix, e.g. attention weights, or None). state: the start state, (n_a, 1) arrays;
    start: the first input symbol.
    Returns ids (n,) (after an end symbol, end again), the extras (n, ...) (zeros after the
    end; None without extras) and the winner's log-probability.
    """
    tokens, scores, extras = np.zeros((1, 0), dtype=int), np.zeros(1), []
    finished = []  # (tokens, log-probability, extras)
    ids = np.array([start])
    for _ in range(n):
        log_probs, state, extra = step(ids, state)
        n_y = log_probs.shape[0]
        candidates = (scores[:, None] + log_probs.T).ravel()  # (B * n_y): prefix b, symbol y
        best = np.argsort(-candidates, kind="stable")[:beam_width]  # ties: the first wins
        prefix, symbol = np.divmod(best, n_y)
        tokens = np.concatenate([tokens[prefix], symbol[:, None]], axis=1)
        scores = candidates[best]
        extras = [e[prefix] for e in extras] + ([] if extra is None else [extra[prefix]])
        state = tuple(s[:, prefix] for s in state)
        if end is not None:
            done = symbol == end
            finished += [(tokens[j], scores[j], [e[j] for e in extras])
                         for j in np.flatnonzero(done)]
            tokens, scores, symbol = tokens[~done], scores[~done], symbol[~done]
            extras = [e[~done] for e in extras]
            state = tuple(s[:, ~done] for s in state)
            if not len(scores):
                break
        ids = symbol
    finished += [(tokens[j], scores[j], [e[j] for e in extras]) for j in range(len(scores))]
    normalised = [score / len(toks) ** length_norm for toks, score, _ in finished]
    toks, score, kept = finished[int(np.argmax(normalised))]
    out = np.full(n, end if end is not None else 0, dtype=int)
    out[: len(toks)] = toks
    if not kept:
        return out, None, float(score)
    extra_out = np.zeros((n,) + kept[0].shape)
    extra_out[: len(kept)] = kept
    return out, extra_out, float(score)
