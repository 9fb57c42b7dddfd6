"""Exercise 15: ctc_forward, the forward recursion α of CTC in log space."""

PRELUDE = '''
import numpy as np
from rnnlesson.ctc import log_softmax
BLANK = 0
'''
CHECKS = ["check_ctc_forward"]

LINES = {
    "extended": "[BLANK] + [k for label in labels for k in (label, BLANK)]",
    "start": "log_alpha[:2, 0] = log_y[extended[:2], 0]",
    "stay": "paths = log_alpha[s, t - 1]",
    "next": "paths = np.logaddexp(paths, log_alpha[s - 1, t - 1]) if s >= 1 else paths",
    "skip_if": "s >= 2 and extended[s] != BLANK and extended[s] != extended[s - 2]",
    "skip": "paths = np.logaddexp(paths, log_alpha[s - 2, t - 1])",
    "emit": "log_alpha[s, t] = log_y[extended[s], t] + paths",
    "end": "log_p = np.logaddexp.reduce(log_alpha[max(L - 2, 0):, T - 1])",
}


def forward(**changed):
    """The learner's recursion with the given lines changed."""
    lines = {**LINES, **changed}
    return f'''
def ctc_forward(log_y, labels):
    extended = {lines["extended"]}
    L, T = len(extended), log_y.shape[1]
    log_alpha = np.full((L, T), -np.inf)
    {lines["start"]}
    for t in range(1, T):
        for s in range(L):
            {lines["stay"]}
            {lines["next"]}
            if {lines["skip_if"]}:
                {lines["skip"]}
            {lines["emit"]}
    {lines["end"]}
    return log_alpha, float(log_p)
'''


ANSWERS = [
    {"name": "the recursion entry by entry", "right": True, "code": forward()},
    {"name": "vectorised over s with shifted copies", "right": True, "code": '''
def ctc_forward(log_y, labels):
    ext = np.array([BLANK] + [k for label in labels for k in (label, BLANK)])
    L, T = len(ext), log_y.shape[1]
    skip = np.zeros(L, dtype=bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    log_alpha = np.full((L, T), -np.inf)
    log_alpha[:2, 0] = log_y[ext[:2], 0]
    for t in range(1, T):
        prev = log_alpha[:, t - 1]
        one, two = np.full(L, -np.inf), np.full(L, -np.inf)
        one[1:], two[2:] = prev[:-1], prev[:-2]
        two = np.where(skip, two, -np.inf)
        log_alpha[:, t] = log_y[ext, t] + np.logaddexp(np.logaddexp(prev, one), two)
    ends = log_alpha[-2:, -1] if L > 1 else log_alpha[-1:, -1]
    return log_alpha, float(np.logaddexp.reduce(ends))
'''},
    {"name": "only the blank at the start", "mistake": "ex15/start-wrong",
     "says": ["frame t = 0, s = 1", "for s = 0, 1"],
     "code": forward(start="log_alpha[0, 0] = log_y[BLANK, 0]")},
    {"name": "no staying on a symbol", "mistake": "ex15/stay-missing",
     "says": ["α_{t-1}(s) is missing"], "code": forward(stay="paths = -np.inf")},
    {"name": "no moving on", "mistake": "ex15/next-missing",
     "says": ["α_{t-1}(s-1) is missing"],
     "code": forward(next="paths = paths")},
    {"name": "no moving on into a blank", "mistake": "ex15/next-missing",
     "says": ["at the blank rows", "leaves out α_{t-1}(s-1)"],
     "code": forward(next="paths = np.logaddexp(paths, log_alpha[s - 1, t - 1]) if s >= 1 "
                          "and extended[s] != BLANK else paths")},
    {"name": "no staying on a blank", "mistake": "ex15/stay-missing",
     "says": ["at the blank rows", "leaves out α_{t-1}(s)", "stay on a blank"],
     "code": forward(stay="paths = log_alpha[s, t - 1] if extended[s] != BLANK else -np.inf")},
    {"name": "no skip at all", "mistake": "ex15/skip-missing",
     "says": ["skip the blank between two different labels"],
     "code": forward(skip_if="False")},
    {"name": "a skip wherever s >= 2", "mistake": "ex15/skip-into-blank",
     "says": ["no path skips into a blank"], "code": forward(skip_if="s >= 2")},
    {"name": "a skip between equal labels", "mistake": "ex15/skip-between-equal-labels",
     "says": ["a a needs a blank between"],
     "code": forward(skip_if="s >= 2 and extended[s] != BLANK")},
    {"name": "no emission", "mistake": "ex15/emission-missing",
     "says": ["log y_t(l'_s) is not added"],
     "code": forward(emit="log_alpha[s, t] = paths")},
    {"name": "the previous frame's emission", "mistake": "ex15/emission-of-previous-frame",
     "says": ["read at frame t - 1"],
     "code": forward(emit="log_alpha[s, t] = log_y[extended[s], t - 1] + paths")},
    {"name": "the emission of symbol s", "mistake": "ex15/emission-of-s",
     "says": ["read at symbol s instead of l'_s"],
     "code": forward(emit="log_alpha[s, t] = log_y[s % log_y.shape[0], t] + paths")},
    {"name": "log-probabilities added", "mistake": "ex15/probabilities-added-as-logs",
     "says": ["combine them with np.logaddexp"],
     "code": forward(next="paths = paths + log_alpha[s - 1, t - 1] if s >= 1 and "
                          "np.isfinite(paths) and np.isfinite(log_alpha[s - 1, t - 1]) else "
                          "np.logaddexp(paths, log_alpha[s - 1, t - 1]) if s >= 1 else paths",
                     skip="paths = paths + log_alpha[s - 2, t - 1] if np.isfinite(paths) and "
                          "np.isfinite(log_alpha[s - 2, t - 1]) else np.logaddexp(paths, "
                          "log_alpha[s - 2, t - 1])")},
    {"name": "the best path (max) instead of the sum", "mistake": "ex15/max-instead-of-sum",
     "says": ["single best path (Viterbi)"],
     "code": forward(next="paths = np.maximum(paths, log_alpha[s - 1, t - 1]) if s >= 1 "
                          "else paths",
                     skip="paths = np.maximum(paths, log_alpha[s - 2, t - 1])")},
    {"name": "the end on the last blank only", "mistake": "ex15/end-wrong",
     "says": ["the last blank only", "np.logaddexp(log α_{T-1}(2S), log α_{T-1}(2S - 1))"],
     "code": forward(end="log_p = log_alpha[L - 1, T - 1]")},
    {"name": "no blank after the last label", "mistake": "ex15/extended-labels-wrong",
     "says": ["2S + 1", "one after the last"],
     "code": forward(extended="[BLANK] + [k for label in labels for k in (label, BLANK)][:-1]",
                     end="log_p = np.logaddexp.reduce(log_alpha[max(L - 1, 0):, T - 1])")},
    {"name": "the recursion on probabilities, the log at the end", "mistake": "ex15/underflow",
     "says": ["below the smallest float64", "Keep log α throughout"], "code": '''
def ctc_forward(log_y, labels):
    ext = [BLANK] + [k for label in labels for k in (label, BLANK)]
    L, T = len(ext), log_y.shape[1]
    y = np.exp(log_y)
    alpha = np.zeros((L, T))
    alpha[:2, 0] = y[ext[:2], 0]
    for t in range(1, T):
        for s in range(L):
            paths = alpha[s, t - 1] + (alpha[s - 1, t - 1] if s >= 1 else 0.0)
            if s >= 2 and ext[s] != BLANK and ext[s] != ext[s - 2]:
                paths += alpha[s - 2, t - 1]
            alpha[s, t] = y[ext[s], t] * paths
    with np.errstate(divide="ignore"):
        return np.log(alpha), float(np.log(alpha[max(L - 2, 0):, T - 1].sum()))
'''},
    {"name": "blanks inserted into the labels list", "mistake": "ex15/changes-its-input",
     "says": ["modified its argument labels"], "code": '''
def ctc_forward(log_y, labels):
    for i in range(len(labels), 0, -1):
        labels.insert(i, BLANK)
    labels.insert(0, BLANK)
    extended = labels
    L, T = len(extended), log_y.shape[1]
    log_alpha = np.full((L, T), -np.inf)
    log_alpha[:2, 0] = log_y[extended[:2], 0]
    for t in range(1, T):
        for s in range(L):
            paths = log_alpha[s, t - 1]
            if s >= 1:
                paths = np.logaddexp(paths, log_alpha[s - 1, t - 1])
            if s >= 2 and extended[s] != BLANK and extended[s] != extended[s - 2]:
                paths = np.logaddexp(paths, log_alpha[s - 2, t - 1])
            log_alpha[s, t] = log_y[extended[s], t] + paths
    return log_alpha, float(np.logaddexp.reduce(log_alpha[max(L - 2, 0):, T - 1]))
'''},
    {"name": "log y times the paths", "mistake": "ex15/logs-multiplied",
     "says": ["a product of probabilities is a sum"],
     "code": forward(emit="log_alpha[s, t] = log_y[extended[s], t] * paths")},
    {"name": "repeats merged before extending", "mistake": "ex15/extended-labels-wrong",
     "says": ["every label counts, repeats included"],
     "code": forward(extended="[BLANK] + [k for i, label in enumerate(labels) if i == 0 or "
                              "label != labels[i - 1] for k in (label, BLANK)]")},
    {"name": "the end read at L - 2 whatever S", "mistake": "ex15/end-wrong",
     "says": ["with no label (S = 0)"],
     "code": forward(end="log_p = np.logaddexp(log_alpha[L - 1, T - 1], "
                         "log_alpha[L - 2, T - 1])")},
    {"name": "log_alpha as (T, 2S + 1)", "mistake": "ex15/transposed",
     "says": ["one row per position s of l'"],
     "code": forward().replace("return log_alpha, float(log_p)",
                               "return log_alpha.T, float(log_p)")},
]

MUTANTS = {
    "function": "ctc_forward", "spec": "rnnlesson.checks.ctc:SPEC", "checks": CHECKS,
    "outputs": ["log_alpha", "log_p"], "at_least": 8,
    "aliases": {"extended": ["l'", "l'_s", "blank"], "labels": ["l'", "label"],
                "log_alpha": ["α", "α_{t-1}(s)"], "paths": ["α_{t-1}", "predecessor",
                                                             "logaddexp"],
                "log_y": ["emission", "log y_t", "y_0"], "log_p": ["log p", "end"],
                "BLANK": ["blank"], "L": ["2S + 1", "last"], "T": ["frame"],
                "s": ["s-1", "s-2", "α_{t-1}(s)"], "t": ["frame"]},
}

# Each found by trying a family, not one example: the predecessors read from frame t or t - 1
# and the emission added to the sum or to some paths (every combination); l' read back row by
# row from the learner's α; rows of α never computed.
ANSWERS += [
    {"name": "the step from s - 1 read from the same frame", "mistake":
     "ex15/predecessor-same-frame", "says": ["α_t(s-1) of the same frame t", "t - 1"],
     "code": forward(next="paths = np.logaddexp(paths, log_alpha[s - 1, t]) if s >= 1 "
                          "else paths")},
    {"name": "the skip read from the same frame", "mistake": "ex15/predecessor-same-frame",
     "says": ["α_t(s-2) of the same frame t"],
     "code": forward(skip="paths = np.logaddexp(paths, log_alpha[s - 2, t])")},
    {"name": "the emission on the stay path only", "mistake": "ex15/emission-on-some-paths",
     "says": ["added to α(s) alone", "multiplies their sum"],
     "code": forward(stay="paths = log_alpha[s, t - 1] + log_y[extended[s], t]",
                     emit="log_alpha[s, t] = paths")},
    {"name": "the emission on the moves only", "mistake": "ex15/emission-on-some-paths",
     "says": ["added to α(s-1) and α(s-2) alone"],
     "code": forward(next="paths = np.logaddexp(paths, log_alpha[s - 1, t - 1] "
                          "+ log_y[extended[s], t]) if s >= 1 else paths",
                     skip="paths = np.logaddexp(paths, log_alpha[s - 2, t - 1] "
                          "+ log_y[extended[s], t])",
                     emit="log_alpha[s, t] = paths")},
    {"name": "l' without its leading blank", "mistake": "ex15/extended-labels-wrong",
     "says": ["yours is the recursion over l' = [1, 0, 2", "a blank before each label"],
     "code": forward(extended="[k for label in labels for k in (label, BLANK)] + [BLANK]")},
    {"name": "l' with the blanks after the labels", "mistake": "ex15/extended-labels-wrong",
     "says": ["yours is the recursion over l' = [0, 1, 2, 2, 3, 0"],
     "code": forward(extended="[BLANK] + list(labels) + [BLANK] * len(labels)")},
    {"name": "the last row never computed", "mistake": "ex15/row-not-computed",
     "says": ["never computed", "range(2S + 1)"],
     "code": forward().replace("for s in range(L):", "for s in range(L - 1):")},
    {"name": "rows from 1 only", "mistake": "ex15/row-not-computed",
     "says": ["row s = 0", "never computed"],
     "code": forward().replace("for s in range(L):", "for s in range(1, L):")},
    {"name": "-1e30 for log 0 (review 7)", "mistake": "ex15/log-zero-not-inf",
     "says": ["hold -1e+30", "log 0 is -np.inf"],
     "code": forward().replace("np.full((L, T), -np.inf)", "np.full((L, T), -1e30)")},
    {"name": "-1e9 for log 0", "mistake": "ex15/log-zero-not-inf",
     "says": ["hold -1e+09", "log 0 is -np.inf"],
     "code": forward().replace("np.full((L, T), -np.inf)", "np.full((L, T), -1e9)")},
    {"name": "the most negative float for log 0", "mistake": "ex15/log-zero-not-inf",
     "says": ["a big finite number standing in for log 0", "-np.inf"],
     "code": forward().replace("np.full((L, T), -np.inf)",
                               "np.full((L, T), np.finfo(float).min)")},
    {"name": "frames read from the first axis (review 7)", "mistake": "ex15/wrong-shape",
     "says": ["T came from the symbols axis", "log_y[k, t]"],
     "code": forward(start="log_alpha[:2, 0] = log_y[0, extended[:2]]",
                     emit="log_alpha[s, t] = log_y[t, extended[s]] + paths")
     .replace("len(extended), log_y.shape[1]", "len(extended), log_y.shape[0]")},
    {"name": "T = len(log_y)", "mistake": "ex15/wrong-shape",
     "says": ["T came from the symbols axis"],
     "code": forward().replace("len(extended), log_y.shape[1]", "len(extended), len(log_y)")},
]
