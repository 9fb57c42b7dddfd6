"""Check of exercise 15: the forward recursion α of CTC, for one utterance, in log space.

    l' = (blank, l_1, blank, ..., l_S, blank)                      the extended labels, 2S+1
    log α_0(s) = log y_0(l'_s) for s = 0, 1; log 0 for s >= 2
    log α_t(s) = log y_t(l'_s) + log(α_{t-1}(s) + α_{t-1}(s-1) + [skip(s)] α_{t-1}(s-2))
    skip(s): l'_s is a label that differs from l'_{s-2} (no skip into a blank, none between
             two equal labels)
    log p = log(α_{T-1}(2S) + α_{T-1}(2S-1))                       (only α_{T-1}(0) if S = 0)

The learner returns log α (2S+1, T) and log p. A slip is a change of the recursion (a
predecessor left out, read from another row or without its guard, a skip where none is
allowed, the emission, logs multiplied, a max for a sum): the check recomputes the whole α
with each change and names the one that gives the learner's numbers exactly; failing that, the
first entry that differs, frame by frame, is explained by a change at that entry alone. A log
p wrong with α right names the end; an utterance of 400 frames shows a recursion run in
probabilities (it underflows). Anything else gets the general check's message.
"""

import itertools

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    call_on_copies,
    mistake,
    one_message,
    passed,
)
from rnnlesson.checks._differential import Probe, Spec, differential
from rnnlesson.ctc import extend_labels, log_softmax

NAME = "ctc_forward"
HINT = ("log_y[k, t] is log y_t(k): symbols on the first axis, frames on the second; "
        "l' has 2S + 1 entries.")
NEG = -np.inf


def extended(labels, blank=0):
    """l' (2S+1,) and skip (2S+1,) bools for one label sequence."""
    labels = np.asarray(labels, dtype=int).reshape(1, -1)
    l_ext, skip = extend_labels(labels, np.array([labels.shape[1]]), blank)
    return l_ext[:, 0], skip[:, 0]


def reference_alpha(log_y, labels, blank=0):
    """The lecture's log α (2S+1, T) and log p for one utterance."""
    l_ext, skip = extended(labels, blank)
    L, T = len(l_ext), log_y.shape[1]
    log_alpha = np.full((L, T), NEG)
    log_alpha[:2, 0] = log_y[l_ext[:2], 0]
    for t in range(1, T):
        for s in range(L):
            paths = [log_alpha[s, t - 1]]
            if s >= 1:
                paths.append(log_alpha[s - 1, t - 1])
            if s >= 2 and skip[s]:
                paths.append(log_alpha[s - 2, t - 1])
            log_alpha[s, t] = log_y[l_ext[s], t] + np.logaddexp.reduce(paths)
    ends = log_alpha[max(L - 2, 0):, T - 1]
    return log_alpha, float(np.logaddexp.reduce(ends))


# What one entry α_t(s) of a slip reads, against the lecture's: each a change of the recursion
# at that entry alone (everything before it the lecture's).
ENTRY_SLIPS = {
    "stay-missing": ("α_{t-1}(s) is missing: a path may stay on l'_s from frame t - 1 to t "
                     "(a sound lasts several frames)"),
    "next-missing": "α_{t-1}(s-1) is missing: a path may move on from l'_{s-1} to l'_s",
    "skip-missing": ("α_{t-1}(s-2) is missing at a label that differs from l'_{s-2}: a path may "
                     "skip the blank between two different labels"),
    "skip-into-blank": ("α_{t-1}(s-2) is added at a blank: no path skips into a blank (l'_s is "
                        "a blank, so skip(s) is False)"),
    "skip-between-equal-labels": ("α_{t-1}(s-2) is added between two equal labels: a a needs a "
                                  "blank between, or the collapse would merge them into one a; "
                                  "skip only where l'_s != l'_{s-2}"),
    "emission-missing": "log y_t(l'_s) is not added: each frame emits l'_s with probability y_t",
    "emission-of-previous-frame": ("the emission is read at frame t - 1: log_y[l'_s, t - 1]; it "
                                   "is frame t's, log_y[l'_s, t]"),
    "emission-of-s": ("the emission is read at symbol s instead of l'_s: log_y[s, t]; the symbol "
                      "at position s of l' is l'_s"),
    "probabilities-added-as-logs": ("the predecessors' log α are added (a product of "
                                    "probabilities); the paths' probabilities add: combine them "
                                    "with np.logaddexp"),
    "max-instead-of-sum": ("the largest predecessor is kept (np.maximum): that is the single "
                           "best path (Viterbi); p sums over all paths, np.logaddexp"),
    "logs-multiplied": ("log y_t(l'_s) is multiplied with the predecessors' log α: in log space "
                        "a product of probabilities is a sum, log y_t(l'_s) + log(...)"),
}


def entry(log_alpha, log_y, l_ext, skip, s, t, slip=None):
    """log α_t(s) from the lecture's α_{t-1}, or as the slip computes it."""
    prev = log_alpha[:, t - 1]
    paths = {"stay": prev[s], "next": prev[s - 1] if s >= 1 else NEG,
             "skip": prev[s - 2] if s >= 2 else NEG}
    use = {"stay": True, "next": True, "skip": bool(skip[s])}
    if slip == "stay-missing":
        use["stay"] = False
    elif slip == "next-missing":
        use["next"] = False
    elif slip == "skip-missing":
        use["skip"] = False
    elif slip in ("skip-into-blank", "skip-between-equal-labels"):
        use["skip"] = True
    chosen = [paths[k] for k in paths if use[k]]
    if slip == "probabilities-added-as-logs":
        combined = float(np.sum([p for p in chosen if p > NEG])) if any(
            p > NEG for p in chosen) else NEG
    elif slip == "max-instead-of-sum":
        combined = max(chosen) if chosen else NEG
    else:
        combined = float(np.logaddexp.reduce(chosen)) if chosen else NEG
    if slip == "logs-multiplied":
        with np.errstate(invalid="ignore"):
            return log_y[l_ext[s], t] * combined
    emission = {"emission-missing": 0.0,
                "emission-of-previous-frame": log_y[l_ext[s], t - 1],
                "emission-of-s": log_y[s, t] if s < log_y.shape[0] else np.nan}.get(
        slip, log_y[l_ext[s], t])
    return emission + combined


def alpha_reading(rows, log_y, l_ext, skip, start):
    """log α when the predecessors are read from other rows: rows(s, L) -> (stay, next, skip)
    row indices (None: not read; negative: numpy's rows from the end, as a missing guard reads
    them), the skip still only where skip(s) holds (or, for a negative row, where the wrapped
    l' differs)."""
    L, T = len(l_ext), log_y.shape[1]
    log_alpha = np.full((L, T), NEG)
    log_alpha[:, 0] = start
    for t in range(1, T):
        prev = log_alpha[:, t - 1]
        for s in range(L):
            stay, nxt, skp = rows(s, L)
            paths = [prev[r] for r in (stay, nxt) if r is not None and -L <= r < L]
            if skp is not None and -L <= skp < L and l_ext[s] != l_ext[0] \
                    and l_ext[s] != l_ext[skp]:
                paths.append(prev[skp])
            log_alpha[s, t] = log_y[l_ext[s], t] + (float(np.logaddexp.reduce(paths))
                                                     if paths else NEG)
    return log_alpha


# Predecessors read from the wrong rows: each a rule for every entry, tried on the whole α.
READ_SLIPS = [
    ("next-guard-missing", "at s = 0 the step from s - 1 reads log_alpha[-1, t - 1], numpy's last "
     "row, for there is no s - 1: read α_{t-1}(s-1) only where s >= 1",
     lambda s, L: (s, s - 1, s - 2 if s >= 2 else None)),
    ("skip-guard-missing", "for s < 2 the skip reads log_alpha[s - 2, t - 1], numpy's rows from "
     "the end, for there is no s - 2: read α_{t-1}(s-2) only where s >= 2",
     lambda s, L: (s, s - 1 if s >= 1 else None, s - 2)),
    ("next-reads-s", "the step from s - 1 reads α_{t-1}(s), the same row as staying: a path "
     "that moves on to l'_s comes from row s - 1",
     lambda s, L: (s, s if s >= 1 else None, s - 2 if s >= 2 else None)),
    ("next-reads-a-fixed-row", "the step from s - 1 reads row 1 at every s: it is row s - 1",
     lambda s, L: (s, 1 if s >= 1 else None, s - 2 if s >= 2 else None)),
    ("skip-reads-s-1", "the skip reads α_{t-1}(s-1) instead of α_{t-1}(s-2)",
     lambda s, L: (s, s - 1 if s >= 1 else None, s - 1 if s >= 2 else None)),
    ("skip-reads-a-fixed-row", "the skip reads row 2 at every s: it is row s - 2",
     lambda s, L: (s, s - 1 if s >= 1 else None, 2 if s >= 2 else None)),
]


def fill_alpha(start, T, rows, value_at):
    """log α (rows, T) from frame 0's start, each later entry value_at(log_alpha, s, t) in
    order of t, then s (None leaves it log 0)."""
    log_alpha = np.full((rows, T), NEG)
    log_alpha[:, 0] = start
    with np.errstate(all="ignore"):
        for t in range(1, T):
            for s in range(rows):
                value = value_at(log_alpha, s, t)
                if value is not None:
                    log_alpha[s, t] = value
    return log_alpha


def alpha_with(slip, log_y, l_ext, skip, start):
    """log α computed with the slip at every entry from frame 1 on (from the lecture's start)."""
    return fill_alpha(start, log_y.shape[1], len(l_ext), lambda log_alpha, s, t: entry(
        log_alpha, log_y, l_ext, skip, s, t, slip))


PATH_AT = {  # (path, the kind of row it is missing at): what the message says
    ("next", "blank"): "at the blank rows (l'_s the blank) yours leaves out α_{t-1}(s-1): a path "
    "reaches a blank by moving on from the label before it as well as by staying on it, and "
    "without that step every blank after the first stays log 0",
    ("next", "label"): "at the label rows yours leaves out α_{t-1}(s-1): a path moves on into a "
    "label from the blank (or label) before it, as well as staying on it",
    ("stay", "blank"): "at the blank rows (l'_s the blank) yours leaves out α_{t-1}(s): a path "
    "may stay on a blank for several frames",
    ("stay", "label"): "at the label rows yours leaves out α_{t-1}(s): a path may stay on a "
    "label for several frames (one label read over several frames)",
}


def alpha_without(path, kind, log_y, l_ext, skip, start, blank):
    """log α with one path ("next" or "stay") left out at the rows of one kind ("blank":
    where l'_s is the blank; "label": the others) and kept at the rest."""
    def value_at(log_alpha, s, t):
        slip = f"{path}-missing" if (l_ext[s] == blank) == (kind == "blank") else None
        return entry(log_alpha, log_y, l_ext, skip, s, t, slip)

    return fill_alpha(start, log_y.shape[1], len(l_ext), value_at)


def same_alpha(got, other):
    return got.shape == other.shape and first_difference(got, other) is None


def first_difference(got, expected):
    """(s, t) of the first entry (frame by frame) where got differs, or None."""
    for t in range(expected.shape[1]):
        for s in range(expected.shape[0]):
            if not close_log(got[s, t], expected[s, t]):
                return s, t
    return None


def close_log(a, b):
    if np.isneginf(b) or np.isneginf(a):
        return bool(a == b)
    return bool(np.isfinite(a)) and abs(a - b) <= 1e-8 * max(1.0, abs(b))


def sentinel_for_log_zero(got, expected):
    """The huge negative finite number the learner's α holds where log α is log 0 (-inf), or
    None: a sentinel such as -1e30 used for log 0."""
    if got.shape != expected.shape:
        return None
    zero = np.isneginf(expected)
    held = got[zero]
    held = held[~np.isneginf(held)]
    if not held.size or not np.all(np.isfinite(held)):
        return None
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1e6, 1e3 * (finite.max() if finite.size else 1.0))
    if not np.all(held < -scale):
        return None
    return float(held.max())


def explain_entry(got, log_y, labels, blank):
    """(slug, text) for the first entry of got that differs, or None when got is right."""
    expected, _ = reference_alpha(log_y, labels, blank)
    l_ext, skip = extended(labels, blank)
    where = first_difference(got, expected)
    if where is None:
        return None
    s, t = where
    at = (f"log α first differs at frame t = {t}, s = {s} (l'_s = "
          f"{'the blank' if l_ext[s] == blank else f'label {l_ext[s]}'})")
    sentinel = sentinel_for_log_zero(got, expected)
    if sentinel is not None:
        return "log-zero-not-inf", (
            f"{at}: entries that are log 0 (unreachable) hold {sentinel:.3g} in yours, a big "
            "finite number standing in for log 0. log 0 is -np.inf exactly: start from "
            "np.full(..., -np.inf), and let log-sum-exp of -inf terms give -inf.")
    if t > 0 and np.all(np.isneginf(got[:, t])):
        return "frame-not-computed", (f"{at}: frame {t} is still log 0 everywhere, never "
                                      "computed: the loop over frames runs t = 1, ..., T - 1.")
    if t == 0 and np.all(np.isneginf(got[:, 0])) and got.shape[1] > 1:
        return "start-wrong", (f"{at}: frame 0 is log 0 everywhere: the start was never set, "
                               "or a loop from t = 0 overwrote it reading log_alpha[:, -1] (the "
                               "last frame) as t - 1. Set log α_0(0), log α_0(1), then loop from "
                               "t = 1.")
    # a path left out at one kind of row only, the blanks or the labels: its rows may then
    # stay log 0, which would otherwise read as rows never computed
    for path, kind in itertools.product(("next", "stay"), ("blank", "label")):
        if t > 0 and same_alpha(got, alpha_without(path, kind, log_y, l_ext, skip,
                                                   expected[:, 0], blank)):
            return f"{path}-missing", f"{at}: {PATH_AT[path, kind]}."
    never = [r for r in range(expected.shape[0]) if got.shape[1] > 1
             and np.all(np.isneginf(got[r, 1:])) and not np.all(np.isneginf(expected[r, 1:]))]
    if never and same_alpha(got, alpha_paths(log_y, l_ext, skip, expected[:, 0],
                                             never=never)):
        rows = ", ".join(str(r) for r in never)
        return "row-not-computed", (f"{at}: row{'s' if len(never) > 1 else ''} s = {rows} "
                                    f"(of 0, ..., 2S = {expected.shape[0] - 1}) "
                                    f"stay{'' if len(never) > 1 else 's'} log 0 "
                                    "after frame 0, never computed: the loop over s runs "
                                    "every position of l', s = 0, ..., 2S (range(2S + 1)).")
    other = inferred_extension(got, log_y, blank)
    if other is not None and list(other) != list(l_ext):
        return "extended-labels-wrong", (
            f"{at}: yours is the recursion over l' = {[int(k) for k in other]}, but with labels "
            f"{list(labels)} l' = (blank, l_1, blank, ..., l_S, blank) = "
            f"{[int(k) for k in l_ext]}: a "
            "blank before each label and one after the last.")
    # a slip that gives the learner's whole α, run from the start, is the one to name
    for slip, text in ENTRY_SLIPS.items():
        if t > 0 and same_alpha(got, alpha_with(slip, log_y, l_ext, skip, expected[:, 0])):
            return slip, f"{at}: {text}."
    for slug, text, rows in READ_SLIPS:
        if t > 0 and same_alpha(got, alpha_reading(rows, log_y, l_ext, skip, expected[:, 0])):
            return slug, f"{at}: {text}."
    found = path_variant(got, log_y, l_ext, skip, expected[:, 0]) if t > 0 else None
    if found is not None:
        return found[0], f"{at}: {found[1]}."
    if t == 0:
        if s < 2:
            return "start-wrong", (f"{at}: a path starts on l'_0 (the blank) or l'_1 (the first "
                                   "label), so log α_0(s) = log y_0(l'_s) for s = 0, 1.")
        return "start-wrong", (f"{at}: at frame 0 only s = 0 and s = 1 can be reached; log "
                               "α_0(s) is log 0 = -inf for every s >= 2.")
    for slip, text in ENTRY_SLIPS.items():
        if slip == "skip-into-blank" and l_ext[s] != blank:
            continue
        if slip == "skip-between-equal-labels" and not (s >= 2 and l_ext[s] != blank
                                                        and l_ext[s] == l_ext[s - 2]):
            continue
        if slip == "skip-missing" and not skip[s]:
            continue
        if close_log(got[s, t], entry(expected, log_y, l_ext, skip, s, t, slip)):
            return slip, f"{at}: {text}."
    return None


def same_row(a, b):
    return all(close_log(x, y) for x, y in zip(a, b, strict=True))


PATHS = ("stay", "next", "skip")
PATH_TEXT = {"stay": "α(s)", "next": "α(s-1)", "skip": "α(s-2)"}


def alpha_paths(log_y, l_ext, skip, start, same_frame=(), emit_on=None, never=()):
    """log α with predecessors read from frame t for the paths in same_frame (the lecture's:
    t - 1 for all), the emission added to each path in emit_on alone (None: to their sum, the
    lecture's), and the rows in never left log 0 after frame 0 (never computed)."""
    def value_at(log_alpha, s, t):
        if s in never:
            return None
        frame = {p: t if p in same_frame else t - 1 for p in PATHS}
        paths = {"stay": log_alpha[s, frame["stay"]]}
        if s >= 1:
            paths["next"] = log_alpha[s - 1, frame["next"]]
        if s >= 2 and skip[s]:
            paths["skip"] = log_alpha[s - 2, frame["skip"]]
        emission = log_y[l_ext[s], t]
        if emit_on is None:
            return emission + float(np.logaddexp.reduce(list(paths.values())))
        return float(np.logaddexp.reduce(
            [v + (emission if k in emit_on else 0.0) for k, v in paths.items()]))

    return fill_alpha(start, log_y.shape[1], len(l_ext), value_at)


def path_variant(got, log_y, l_ext, skip, start):
    """(slug, text) when the learner's α is the recursion with its predecessors read from
    frame t instead of t - 1, or its emission added to some of the paths instead of to their
    sum (every combination tried); None otherwise."""
    options = []
    for frames in ((), ("next",), ("skip",), ("next", "skip")):
        for size in range(0, 3):
            for emit in [None] if size == 0 else itertools.combinations(PATHS, size):
                if frames or emit is not None:
                    options.append((frames, emit))
    for frames, emit in options:
        if not same_alpha(got, alpha_paths(log_y, l_ext, skip, start, frames, emit)):
            continue
        said = []
        if frames:
            said.append(" and ".join(PATH_TEXT[p].replace("α", "α_t") for p in frames)
                        + " of the same frame t are read: every predecessor is frame t - 1's, "
                        "log_alpha[s - 1, t - 1]")
        if emit is not None:
            said.append(f"log y_t(l'_s) is added to {' and '.join(PATH_TEXT[p] for p in emit)} "
                        "alone: every path into l'_s emits it, so it multiplies their sum, "
                        "log α_t(s) = log y_t(l'_s) + logaddexp(...)")
        slug = "predecessor-same-frame" if frames else "emission-on-some-paths"
        return slug, "; ".join(said)
    return None


def inferred_extension(got, log_y, blank):
    """The l' (one symbol per row) whose recursion, the lecture's in every other way, gives
    the learner's α exactly, read row by row (each row's symbol the one whose log y explains
    it, given the rows above); None if no l' does."""
    L, T = got.shape
    n_y = log_y.shape[0]
    symbols = []
    with np.errstate(all="ignore"):
        for s in range(L):
            found = None
            for k in range(n_y):
                row = np.full(T, NEG)
                if s < 2:
                    row[0] = log_y[k, 0]
                can_skip = s >= 2 and k != blank and k != symbols[s - 2]
                for t in range(1, T):
                    paths = [got[s, t - 1]] + ([got[s - 1, t - 1]] if s >= 1 else []) \
                        + ([got[s - 2, t - 1]] if can_skip else [])
                    row[t] = log_y[k, t] + float(np.logaddexp.reduce(paths))
                if same_row(got[s], row):
                    found = k
                    break
            if found is None:
                return None
            symbols.append(found)
    return symbols


def run(fn, log_y, labels):
    """fn on copies; its log α and log p, checked for form and shape."""
    def no_labels(error, line):
        if isinstance(error, IndexError) and not labels:
            return "no-labels", (f"with no labels (S = 0) your line `{line.strip()}` reads an "
                                 "entry that is not there: l' is then (blank) alone, one row, "
                                 "and log p = log α_{T-1}(0), the all-blank path.")
        return None

    result = call_on_copies(fn, NAME, {"log_y": log_y.copy(), "labels": list(labels)},
                            f"log_y (n_y, T) = {log_y.shape}, labels of S = {len(labels)}",
                            HINT, diagnose=no_labels)
    return read_result(result, len(labels), log_y.shape[1], log_y.shape[0])


def read_result(result, S, T, n_y=None):
    """(log α, log p) from what the learner returned: log α a float array (2S + 1, T) with
    -inf where nothing is reachable (so not `assert_shape`, which wants finite numbers), log p
    one number."""
    log_alpha, log_p = assert_returns(NAME, result, 2, "log_alpha, log_p")
    shape = (2 * S + 1, T)
    if not isinstance(log_alpha, np.ndarray):
        raise mistake(NAME, "not-an-array", f"{NAME}: log_alpha should be a numpy array of "
                      f"shape (2S + 1, T) = {shape}; received {type(log_alpha).__name__}.")
    if log_alpha.shape == shape[::-1] and shape[0] != shape[1]:
        raise mistake(NAME, "transposed", f"{NAME}: log_alpha should have shape (2S + 1, T) = "
                      f"{shape}, one row per position s of l', one column per frame; received "
                      f"{log_alpha.shape}.")
    if log_alpha.ndim == 2 and log_alpha.shape[1] == T and log_alpha.shape[0] != shape[0] \
            and log_alpha.shape[0] in (S, S + 1, 2 * S):
        raise mistake(NAME, "extended-labels-wrong", f"{NAME}: log_alpha has "
                      f"{log_alpha.shape[0]} rows for S = {S} labels; l' = (blank, l_1, blank, "
                      f"..., l_S, blank) has 2S + 1 = {2 * S + 1}: a blank before each label "
                      "and one after the last.")
    rows = log_alpha.shape[0] if log_alpha.ndim == 2 else 0
    if log_alpha.ndim == 2 and log_alpha.shape[1] == T and rows % 2 == 1 and rows < shape[0]:
        raise mistake(NAME, "extended-labels-wrong", f"{NAME}: log_alpha has {rows} rows, the "
                      f"l' of {(rows - 1) // 2} labels, but labels holds S = {S}: every label "
                      "counts, repeats included (a a stays two labels, with a blank between "
                      "them in l').")
    if log_alpha.shape != shape and n_y is not None and n_y != T \
            and log_alpha.shape == (shape[0], n_y):
        raise mistake(NAME, "wrong-shape", f"{NAME}: log_alpha should have shape (2S + 1, T) "
                      f"= {shape}; received {log_alpha.shape}: its {n_y} columns are n_y, the "
                      "size of the symbols axis. log_y is (n_y, T): T came from the symbols "
                      "axis; the frames are on the second axis, T = log_y.shape[1], and frame "
                      "t of symbol k is log_y[k, t].")
    if log_alpha.shape != shape:
        raise mistake(NAME, "wrong-shape", f"{NAME}: log_alpha should have shape (2S + 1, T) "
                      f"= {shape}; received {log_alpha.shape}.")
    if log_alpha.dtype.kind != "f":
        raise mistake(NAME, "not-float", f"{NAME}: log_alpha should hold floats; yours has "
                      f"dtype {log_alpha.dtype} (np.full(..., -np.inf) makes floats).")
    if not isinstance(log_p, (int, float, np.floating)) and not (
            isinstance(log_p, np.ndarray) and log_p.size == 1):
        raise mistake(NAME, "log-p-not-a-number", f"{NAME}: log_p should be one number, log "
                      f"p(labels | x); received {type(log_p).__name__}.")
    return log_alpha, float(np.asarray(log_p).ravel()[0])


def example(n_y, T, labels, seed):
    rng = np.random.default_rng(seed)
    return log_softmax(rng.normal(size=(n_y, T)) * 1.5), list(labels)


def check_case(fn, n_y, T, labels, seed, log_y=None):
    if log_y is None:
        log_y, labels = example(n_y, T, labels, seed)
    log_alpha, log_p = run(fn, log_y, labels)
    found = explain_entry(log_alpha, log_y, labels, 0)
    case = f"{NAME} with labels {labels} over T = {T} frames"
    if found:
        raise mistake(NAME, found[0], f"{case}: {found[1]}")
    if np.any(np.isnan(log_alpha)) or np.any(np.isposinf(log_alpha)) or np.isnan(log_p):
        raise mistake(NAME, "not-finite", f"{case}: log_alpha or log_p holds NaN or +inf. "
                      "Unreachable entries are log 0 = -np.inf, and np.logaddexp(-inf, -inf) "
                      "= -inf.")
    expected_alpha, expected_p = reference_alpha(log_y, labels)
    if first_difference(log_alpha, expected_alpha) is None and not close_log(log_p,
                                                                             expected_p):
        L = 2 * len(labels) + 1
        last = expected_alpha[:, T - 1]
        ends = {"sums the last blank only": last[L - 1],
                "sums the last label only": last[L - 2] if L > 1 else NEG,
                "sums every position": float(np.logaddexp.reduce(last)),
                "keeps the larger of the two (a max, not a sum)": max(last[max(L - 2, 0):]),
                "adds their logs (a product, not a sum)": float(np.sum(last[max(L - 2, 0):])),
                "is p itself, not its log": float(np.exp(expected_p)),
                "reads log α_{T-1}(-1) as well, numpy's last row, which for S = 0 is row 0 "
                "again": float(np.logaddexp(last[0], last[-1])) if L == 1 else np.nan}
        said = " or ".join(k for k, v in ends.items() if np.isfinite(v) and close_log(log_p, v))
        rule = ("with no label (S = 0) l' is (blank) alone and log p = log α_{T-1}(0)"
                if L == 1 else "a path ends on the last label or the blank after it, log p = "
                "np.logaddexp(log α_{T-1}(2S), log α_{T-1}(2S - 1))")
        raise mistake(NAME, "end-wrong", f"{case}: log_alpha is right but log_p is not"
                      + (f" (yours {said})" if said else "") + f": {rule}.")


def check_long(fn):
    """An utterance of 400 confident frames: p is far below the smallest float64, log p is an
    ordinary number. Computed with probabilities, it comes out as -inf."""
    rng = np.random.default_rng(19)
    labels = [int(k) for k in 1 + rng.integers(0, 4, size=80)]
    log_y = log_softmax(6.0 * rng.normal(size=(5, 400)))
    log_alpha, log_p = run(fn, log_y, labels)
    expected_alpha, expected_p = reference_alpha(log_y, labels)
    if not np.isfinite(log_p) or (log_p < expected_p - 1e-6 * abs(expected_p)
                                  and np.isneginf(log_alpha).sum()
                                  > np.isneginf(expected_alpha).sum()):
        raise mistake(NAME, "underflow", f"{NAME} on 400 frames with 80 labels: the lecture's "
                      f"log p is {expected_p:.1f}, yours {log_p}: p is below the smallest "
                      "float64, so α computed in probabilities underflows to 0 (log 0 = -inf). "
                      "Keep log α throughout: add logs where the recursion multiplies, and "
                      "combine paths with np.logaddexp where it adds.")
    if not close_log(log_p, expected_p):
        check_case(fn, 5, 400, labels, seed=None, log_y=log_y)


@one_message(NAME)
def check_ctc_forward(ctc_forward):
    """Check a learner's ctc_forward(log_y, labels) -> (log_alpha (2S+1, T), log_p).

    Cases with a repeated label, a label sequence that fills its frames exactly and one with
    no label at all; the first entry of α that differs is explained (a predecessor, the
    emission, the start, the skip rule), a log p wrong with α right names the end; then the
    general check on random cases of every size.
    """
    check_case(ctc_forward, 4, 7, [1, 2, 2, 3], seed=15)  # a a needs a blank between
    check_case(ctc_forward, 3, 5, [2, 1], seed=16)
    check_case(ctc_forward, 3, 3, [1, 2, 1], seed=17)  # exactly as many frames as labels
    check_case(ctc_forward, 3, 4, [], seed=18)  # no label: the all-blank path
    check_long(ctc_forward)
    differential(SPEC, ctc_forward)
    passed(NAME)


def build(sizes, rng, simple):
    n_y, T, S = sizes["n_y"], sizes["T"], sizes["S"]
    labels = [int(k) for k in rng.integers(1, n_y, size=S)]
    scale = 1.0 if simple else 1.5
    return {"log_y": log_softmax(scale * rng.normal(size=(n_y, T))), "labels": labels}


def reference(log_y, labels):
    log_alpha, log_p = reference_alpha(log_y, labels)
    return {"log_alpha": log_alpha, "log_p": log_p}


def read(result, inputs):
    log_alpha, log_p = read_result(result, len(inputs["labels"]), inputs["log_y"].shape[1])
    return {"log_alpha": log_alpha, "log_p": log_p}


def no_repeats(inputs):
    """Labels with no two equal neighbours: the skip rule between equal labels never applies."""
    labels = inputs["labels"]
    n_y = inputs["log_y"].shape[0]
    fixed = []
    for k in labels:
        if fixed and k == fixed[-1]:
            k = 1 + (k % (n_y - 1)) if n_y > 2 else k
        fixed.append(k)
    return {**inputs, "labels": fixed}


def one_label(inputs):
    return {**inputs, "labels": inputs["labels"][:1]}


TERMS = {
    "start": "the start: log α_0(s) = log y_0(l'_s) for s = 0, 1, -inf beyond",
    "paths": "the predecessors α_{t-1}(s) and α_{t-1}(s-1), combined with np.logaddexp",
    "skip": "the skip α_{t-1}(s-2), allowed only into a label that differs from l'_{s-2}",
    "emission": "the emission log y_t(l'_s), added at every frame",
    "end": "the end: log p = np.logaddexp(log α_{T-1}(2S), log α_{T-1}(2S - 1))",
}
SPEC = Spec(
    NAME, {"n_y": (2, 4), "T": (1, 6), "S": (0, 3)},
    build, reference, read, terms=TERMS,
    depends={"log_alpha": {"start", "paths", "skip", "emission"},
             "log_p": {"start", "paths", "skip", "emission", "end"}},
    probes=[Probe("with labels that never repeat", no_repeats,
                  frozenset({"start", "paths", "emission", "end"}), causes=frozenset(TERMS)),
            Probe("with one label (no skip possible)", one_label,
                  frozenset({"start", "paths", "emission", "end"}), causes=frozenset(TERMS))],
    steps={"log_alpha": (1, "forward")}, show=("labels",), equal=lambda g, e: (
        isinstance(g, np.ndarray) and g.shape == e.shape
        and all(close_log(a, b) for a, b in zip(g.ravel(), e.ravel(), strict=True))
    ) if isinstance(e, np.ndarray) else close_log(g, e), hint=HINT)
