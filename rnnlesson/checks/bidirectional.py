"""Check of exercise 14: the backward direction of a bidirectional RNN, within each sequence's
own length.

    reverse_within_lengths(x, lengths)[:, i, t] = x[:, i, L_i - 1 - t] for t < L_i (L_i =
        lengths[i]), and x[:, i, t] for the padded steps t >= L_i, which stay where they are;
    bidirectional_rnn_forward(x, lengths, params_f, params_b) = a (2 n_a, m, T_x): at each real
        step t, [a_t of the forward cell; a_t of the backward cell], the backward cell having
        read x_{L_i}, ..., x_t (the check compares the real steps only).

The reversal is checked on inputs whose every entry says where it came from (feature, example,
step), so whatever the learner's function does with the steps, the check reads back the map it
made and says which step went where, and, when the map is a reversal within another length
(the whole padded axis, one step too many or too few, another example's length), which. The
backward half of the network is compared with every way of reading the steps (reversed within
the lengths, the whole padded axis reversed, not reversed), of putting its states back (the
same three) and of choosing its weights, so that a slip is named by what it does; any other
wrong answer gets the general check's message (`_differential`).
"""

import itertools
import re
import warnings

import numpy as np

from rnnlesson.checks._common import (
    assert_shape,
    call_on_copies,
    lecture_shapes,
    mistake,
    one_message,
    passed,
)
from rnnlesson.checks._differential import (
    Probe,
    Spec,
    counterexamples,
    differential,
    explain,
    numbers,
    same,
    shrink,
)
from rnnlesson.sequence import rnn_forward_by_cells

NAME_REVERSE = "reverse_within_lengths"
NAME_BIDIRECTIONAL = "bidirectional_rnn_forward"
HINT_REVERSE = "Time is the last axis: x[:, i, :L] holds example i's L real steps."
HINT_BIDIRECTIONAL = ("Wax (n_a, n_x) multiplies x_t (n_x, m); each direction's states are "
                      "(n_a, m, T_x), stacked into (2 n_a, m, T_x).")


def within(x, lengths, ends=None):
    """x (n, m, T_x) with each example's steps 0..L_i - 1 reversed (ends: other lengths to
    reverse within, e.g. T_x for the whole axis), the steps after them left in place."""
    T_x = x.shape[2]
    ends = np.asarray(lengths if ends is None else ends)
    t = np.arange(T_x)
    order = np.where(t < ends[:, None], ends[:, None] - 1 - t, t)  # (m, T_x)
    return np.take_along_axis(x, order[None], axis=2)


def coded(n_x, m, T_x):
    """x (n_x, m, T_x) whose entry [k, i, t] is 1000 k + 100 i + t + 1: each says its origin."""
    k, i, t = np.meshgrid(np.arange(n_x), np.arange(m), np.arange(T_x), indexing="ij")
    return (1000.0 * k + 100.0 * i + t + 1).astype(float)


def origins(out, n_x, m, T_x):
    """[(k, i, t) or None] for every entry of out: which entry of `coded` it holds."""
    places = {value: place for place, value in np.ndenumerate(coded(n_x, m, T_x))}
    return np.vectorize(lambda v: places.get(float(v)), otypes=[object])(out)


def map_text(steps):
    return "[" + ", ".join("?" if s is None else str(s) for s in steps) + "]"


def describe_map(out, lengths, n_x):
    """(slug, text) saying how the learner's reversal out of `coded` differs, or None."""
    m, T_x = out.shape[1:]
    source = origins(out, n_x, m, T_x)
    for (k, i, t), origin in np.ndenumerate(source):
        if origin is None:
            value = out[k, i, t]
            if value == 0 and t >= lengths[i]:
                return "padding-zeroed", (f"example {i}'s padded step {t} holds 0: the padded "
                                          "steps t >= L_i stay as they are, x's own.")
            if value == 0:
                return "real-step-zeroed", (f"example {i}'s real step {t} holds 0: every real "
                                            "step of the result is one of x's real steps, "
                                            "moved.")
            return "new-values", (f"example {i}, step {t} holds {value:g}, which is no entry of "
                                  "x: the result only moves x's steps, it computes nothing.")
        if origin[0] != k:
            return "features-mixed", (f"feature {k} of example {i} at step {t} holds feature "
                                      f"{origin[0]}'s value: move whole steps x[:, i, t], not "
                                      "single numbers.")
        if origin[1] != i:
            return "examples-mixed", (f"example {i} at step {t} holds example {origin[1]}'s "
                                      f"step {origin[2]}: reverse along the time axis (the last, "
                                      "axis 2), each example within its own length.")
    eff = [within_length(source, i, T_x) for i in range(m)]  # the length each was reversed in
    if None not in eff and eff != list(lengths) and sorted(eff) == sorted(lengths):
        i = next(i for i in range(m) if eff[i] != lengths[i])
        j = list(lengths).index(eff[i])
        return "lengths-misassigned", (
            f"example {i} was reversed within {eff[i]} steps, the length of example {j} "
            f"(lengths[{j}]), but its own is lengths[{i}] = {lengths[i]}: each example is "
            "reversed within its own length, lengths[i] for x[:, i, :].")
    for i, L in enumerate(lengths):
        got = [source[0, i, t][2] for t in range(T_x)]
        want = [L - 1 - t if t < L else t for t in range(T_x)]
        if got == want:
            continue
        head = (f"example {i} (length L = {L} of T_x = {T_x}): yours holds x's steps "
                f"{map_text(got)}, the reversal within its length {map_text(want)}.")
        if got == list(range(T_x)):
            return "not-reversed", (
                f"{head} Nothing was reversed: no step moved, or every step moved twice. "
                "Swapping t with L - 1 - t for every t < L swaps each pair twice (at t and "
                "again at L - 1 - t), which puts it back: swap only for t < L // 2, or read "
                "the steps backwards with a slice, x[:, i, L - 1::-1].")
        for other in range(2, T_x + 1):
            if other != L and got == [other - 1 - t if t < other else t for t in range(T_x)]:
                if other == T_x:
                    return "whole-axis-reversed", (
                        f"{head} You reversed the whole padded time axis (np.flip, [..., ::-1]"
                        "): a shorter sequence then starts with its padding, and its real "
                        "steps land at the wrong places. Reverse only x[:, i, :L] for each "
                        "example, with L = lengths[i].")
                off = other - L
                if abs(off) == 1:
                    return "reversal-one-off", (
                        f"{head} That is a reversal within {other} steps, one "
                        f"{'too many' if off > 0 else 'too few'}: the first L real steps are "
                        "steps 0..L - 1, and x[:, i, L - 1::-1] reads them backwards (note "
                        "x[:, i, L - 1:-1:-1] is empty).")
                return "another-length", (
                    f"{head} That is a reversal within {other} steps: each example has its "
                    "own length, lengths[i].")
        real_right = got[:L] == want[:L]
        if real_right:
            return "padding-moved", (f"{head} The real steps are right; the padded steps "
                                     "t >= L stay where they are.")
        rule = index_rule(got[:L], L) or block_rule(got, want, L, T_x)
        return ("steps-misplaced", head) if rule is None else (rule[0], f"{head} {rule[1]}")
    return None


def block_rule(got, want, L, T_x):
    """(slug, sentence) for real steps left where they were by a loop that stops short, or a
    reversal written at another place of the axis; None otherwise."""
    own = [t for t in range(L) if got[t] == t and want[t] != t]
    if own and all(got[t] == want[t] for t in range(L) if t not in own):
        steps = ", ".join(map(str, own))
        return "loop-stops-short", (
            f"Step{'s' * (len(own) > 1)} t = {steps} still hold{'s' * (len(own) == 1)} x's own "
            f"step: the rest is reversed, so your loop stops before reaching "
            f"{'them' if len(own) > 1 else 'it'} (range(L - 1), or a stop one short). Every t "
            "from 0 to L - 1 takes x's step L - 1 - t.")
    for start in range(1, T_x - L + 1):
        if got[start:start + L] == want[:L]:
            return "reversal-misplaced", (
                f"Your reversed steps start at t = {start}, not at t = 0: the L real steps "
                "backwards go at t = 0..L - 1 (they are still the sequence's first L steps), "
                "and the padded steps t >= L stay where they are.")
    return None


def index_rule(real, L):
    """(slug, sentence) naming the rule by which the L real steps of the result were read,
    when it is one: step t holds x's step c - t or c + t for some c, taken as it is, modulo
    L (an index that wraps around) or held within 0..L - 1 (clipped); None otherwise."""
    if L < 2 or None in real:
        return None
    real, L = [int(r) for r in real], int(L)
    orders = {-1: [*range(L, -1, -1), *range(L + 1, 3 * L), *range(-1, -2 * L, -1)],
              1: [c for d in range(2 * L) for c in ((d, -d) if d else (0,))]}
    for sign in (-1, 1):
        for c in orders[sign]:
            for mode in ("as is", "wraps", "clipped"):
                wraps = mode == "wraps"
                read = [(c + sign * t) % L if wraps else min(max(c + sign * t, 0), L - 1)
                        if mode == "clipped" else c + sign * t for t in range(L)]
                if read != list(real) or (mode == "clipped" and sign > 0):
                    continue
                term = f"{c} - t" if sign < 0 else (f"t {'+-'[c < 0]} {abs(c)}" if c else "t")
                if wraps and sign > 0:
                    return "steps-shifted", (
                        f"Step t holds x's step ({term}) mod L: the steps are rotated (moved "
                        "along, wrapping around, as np.roll does), not reversed. Reversed, step "
                        f"t holds x's step L - 1 - t = {L - 1} - t.")
                if wraps:
                    t0 = next(t for t in range(L) if c + sign * t != read[t])
                    return "index-wraps", (
                        f"Step t holds x's step ({term}) mod L: your index wraps around (step "
                        f"{t0} holds step {read[t0]}, not {c + sign * t0}), so it is not the "
                        f"reversal, L - 1 - t = {L - 1} - t, which stays within 0..L - 1 and "
                        "needs no %" + (f": {term} is one off." if sign < 0 and c == L
                                        else "."))
                if sign > 0:
                    return "steps-shifted", (
                        f"Step t holds x's step {term}: the steps are moved along, not "
                        f"reversed. Reversed, step t holds x's step L - 1 - t = {L - 1} - t.")
                off = c - (L - 1)
                where = (f"t = 0 reads step {c}, {'past' if off > 0 else 'short of'} the last "
                         f"real step {L - 1}" + (", and the steps beyond 0..L - 1 were held "
                                                 "at its ends" if mode == "clipped" else ""))
                return "reversal-one-off", (
                    f"Step t holds x's step {term}"
                    + (" (held within 0..L - 1)" if mode == "clipped" else "")
                    + f", where the reversal is L - 1 - t = {L - 1} - t: yours is {abs(off)} "
                    f"step{'s' * (abs(off) > 1)} off ({where}). In a slice start:stop:-1 the "
                    "start is included and the stop left out: the L real steps backwards are "
                    "x[:, i, L - 1::-1] (or x[:, i, :L][:, ::-1]).")
    return None


def within_length(source, i, T_x):
    """The length L' within which example i's steps were reversed (1: not reversed), or None
    when its map is no such reversal."""
    got = [source[0, i, t][2] if source[0, i, t] is not None else None for t in range(T_x)]
    for other in range(1, T_x + 1):
        if got == [other - 1 - t if t < other else t for t in range(T_x)]:
            return other
    return None


def empty_slice(error, line):
    """A reversed slice whose stop is -1 (x[:, i, L - 1:-1:-1]) is empty: named, not a crash."""
    if isinstance(error, ValueError) and re.search(r":\s*-1\s*:\s*-1\s*\]", line or ""):
        return "empty-reversed-slice", (
            f"the slice on your line `{line.strip()}` is empty: in a slice a stop of -1 means "
            "the last element, not 'before step 0', so L - 1:-1:-1 selects nothing. Leave the "
            "stop out, x[:, i, L - 1::-1], or reverse the first L steps: x[:, i, :L][:, ::-1].")
    return None


MISFIT = re.compile(r"could not broadcast input array from shape \(([^)]*)\) into shape "
                    r"\(([^)]*)\)")


def slice_one_off(error, line):
    """A reversed slice one step too long or too short for the L steps it is assigned to
    (x[:, i, L:0:-1] has L - 1 steps when L = T_x): the endpoints of start:stop:-1 explained."""
    found = MISFIT.search(str(error)) if isinstance(error, ValueError) else None
    if not found or (line and not re.search(r":\s*-\s*1\s*\]", line)):
        return None  # the line, when it is known, holds a reversed slice
    try:
        have, need = ([int(n) for n in re.findall(r"\d+", g)] for g in found.groups())
    except ValueError:
        return None
    if not have or not need or len(have) != len(need) or have[:-1] != need[:-1] \
            or abs(have[-1] - need[-1]) != 1:
        return None
    off = "one too few" if have[-1] < need[-1] else "one too many"
    return "reversal-one-off", (
        (f"the reversed slice on your line `{line.strip()}`" if line else "your reversed slice")
        + f" has {have[-1]} steps where "
        f"{need[-1]} are assigned, {off}: in start:stop:-1 the start is included and the stop "
        "left out, so L:0:-1 reads steps L, ..., 1 (step L is padding or past the end, step 0 "
        "is missed). The L real steps backwards are L - 1, ..., 0: x[:, i, L - 1::-1] (or "
        "x[:, i, :L][:, ::-1]).")


def reversal_crash(error, line):
    return empty_slice(error, line) or slice_one_off(error, line)


def run_reverse(fn, x, lengths):
    n_x, m, T_x = x.shape
    out = call_on_copies(fn, NAME_REVERSE, {"x": x.copy(), "lengths": lengths.copy()},
                         f"x (n_x, m, T_x) = {x.shape}, lengths (m,) = {lengths.tolist()}",
                         HINT_REVERSE, diagnose=reversal_crash,
                         shapes=lecture_shapes(n_x=n_x, m=m, T_x=T_x))
    assert_shape(NAME_REVERSE, "the result", out, x.shape, "(n_x, m, T_x)")
    return out


def check_map(fn, n_x, lengths, T_x):
    """fn on the coded input of these sizes: the map it made, named if wrong."""
    lengths = np.asarray(lengths)
    x = coded(n_x, len(lengths), T_x)
    out = run_reverse(fn, x, lengths)
    found = describe_map(out, lengths, n_x)
    if found:
        raise mistake(NAME_REVERSE, found[0], f"{NAME_REVERSE} with lengths = "
                      f"{lengths.tolist()}, T_x = {T_x}: {found[1]}")


@one_message(NAME_REVERSE)
def check_reverse_within_lengths(reverse_within_lengths):
    """Check a learner's reverse_within_lengths(x, lengths) -> (n_x, m, T_x).

    Runs it on inputs whose entries say where they came from (so that the map it made is read
    back and named), on lengths with padding, without padding and of one step; then the
    general check on random inputs of every size.
    """
    for n_x, lengths, T_x in (((2, (3, 5, 1), 5)), (1, (4, 4), 4), (3, (2, 6, 4, 1), 6)):
        check_map(reverse_within_lengths, n_x, lengths, T_x)
    general_reverse(reverse_within_lengths)
    passed(NAME_REVERSE)


def draw_lengths(rng, m, T_x):
    """lengths (m,) from 1 to T_x, the longest always T_x (a batch is padded to its longest)."""
    lengths = rng.integers(1, T_x + 1, size=m)
    lengths[rng.integers(m)] = T_x
    return lengths


def build_reverse(sizes, rng, simple):
    n_x, m, T_x = sizes["n_x"], sizes["m"], sizes["T_x"]
    return {"x": numbers(rng, simple)((n_x, m, T_x)) if not simple else coded(n_x, m, T_x),
            "lengths": draw_lengths(rng, m, T_x)}


def reference_reverse(x, lengths):
    return {"reversed": within(x, lengths)}


def read_reverse(result, inputs):
    assert_shape(NAME_REVERSE, "the result", result, inputs["x"].shape, "(n_x, m, T_x)")
    return {"reversed": result}


REVERSE_SPEC = Spec(
    NAME_REVERSE, {"n_x": (1, 3), "m": (1, 4), "T_x": (1, 6)},
    build_reverse, reference_reverse, read_reverse,
    hint=HINT_REVERSE)


def general_reverse(fn):
    """The general check of the reversal, whose smallest failing case's map is then named."""
    found = counterexamples(REVERSE_SPEC, fn)
    if not found:
        return
    case, outcome = shrink(REVERSE_SPEC, fn, *found[0])
    if outcome.failure is None:  # read the map on the same sizes and lengths, coded
        inputs = case.inputs(REVERSE_SPEC)
        check_map(fn, inputs["x"].shape[0], inputs["lengths"], inputs["x"].shape[2])
    witnesses = [(c, o) for c, o in found if not c.simple] or found
    raise explain(REVERSE_SPEC, fn, case, outcome, witnesses) from None


# The bidirectional network.

def forward_states(x, params):
    """The plain cell's states (n_a, m, T_x) from a zero state, by the lecture's loop."""
    a, _, _ = rnn_forward_by_cells(x, None, params)
    return a


def real_steps(a, lengths):
    """a (n, m, T_x) with the padded steps set to 0: only the real steps are compared."""
    mask = np.arange(a.shape[2])[None, :] < np.asarray(lengths)[:, None]  # (m, T_x)
    return np.where(mask[None], a, 0.0)


ORDERS = {"within": "reversed within each length", "whole": "the whole padded axis reversed",
          "none": "not reversed", "short": "reversed within each length less one",
          "long": "reversed within each length plus one"}


def backward_variant(x, lengths, params, read, put_back):
    """The backward half when the cell reads x in order `read` and its states are put back in
    order `put_back` (each a key of ORDERS)."""
    T_x = x.shape[2]

    def order(a, how):
        if how == "none":
            return a
        ends = {"within": None, "whole": np.full(len(lengths), T_x),
                "short": np.maximum(np.asarray(lengths) - 1, 0),
                "long": np.minimum(np.asarray(lengths) + 1, T_x)}[how]
        return within(a, lengths, ends)

    return order(forward_states(order(x, read), params), put_back)


def variant_text(read, put_back, weights, padding="as given"):
    """What a backward half computed this way did wrong, in words."""
    said = []
    if read == "whole" and padding == "zeroed":
        said.append("the backward cell reads the whole padded axis reversed (np.flip, "
                    "[..., ::-1]), its padding zeroed first: a shorter sequence still starts "
                    "with its padded steps, and the cell's state moves through them even on "
                    "zero inputs (tanh(Waa a_{t-1} + ba) is not 0), so its first real step "
                    "is read from a state it should never have; reverse each sequence within "
                    "its own length, reverse_within_lengths(x, lengths)")
    elif read == "whole":
        said.append("the backward cell reads the whole padded axis reversed (np.flip, "
                    "[..., ::-1]): a shorter sequence then starts with its padding, so its "
                    "first real step is read after zeros it should never see; reverse each "
                    "sequence within its own length, reverse_within_lengths(x, lengths)")
    elif read == "none":
        said.append("the backward cell reads x forwards: it must read each sequence from its "
                    "last real step back to its first, reverse_within_lengths(x, lengths)")
    if put_back == "none":
        said.append("its states are left in the order it read them: put them back with "
                    "reverse_within_lengths(states, lengths), so that step t holds the state "
                    "after reading x_{L-1}, ..., x_t")
    elif put_back == "whole":
        said.append("its states are put back by reversing the whole padded axis: reverse them "
                    "within each length, as the inputs")
    if "short" in (read, put_back) or "long" in (read, put_back):
        which = "its inputs are" if read in ("short", "long") else "its states are put back"
        off = "lengths - 1" if "short" in (read, put_back) else "lengths + 1"
        said.append(f"{which} reversed within {off}, one step off: each sequence is reversed "
                    "within its own length, reverse_within_lengths(..., lengths), for the "
                    "inputs and for the states alike")
    if weights == "params_f":
        said.append("it uses params_f: the backward cell has its own weights, params_b")
    return "; ".join(said)


def backward_slip(x, lengths, params_f, params_b, got):
    """(slug, text) for a backward half equal (at the real steps) to another way of computing
    it, or None."""
    # the padding as given, or zeroed first (what a learner may do to "hide" it): a
    # whole-axis flip is named either way
    zeroed = real_steps(x, lengths)
    for padding, read, put_back, weights in itertools.product(
            ("as given", "zeroed"), ORDERS, ORDERS, ("params_b", "params_f")):
        if (read, put_back, weights) == ("within", "within", "params_b"):
            continue
        params = params_b if weights == "params_b" else params_f
        inputs = x if padding == "as given" else zeroed
        other = real_steps(backward_variant(inputs, lengths, params, read, put_back), lengths)
        if same(got, other):
            parts = [p for p, on in (("read-" + read, read != "within"),
                                     ("put-back-" + put_back, put_back != "within"),
                                     ("forward-weights", weights == "params_f")) if on]
            return "backward-" + "-".join(parts), variant_text(read, put_back, weights, padding)
    return None


def run_bidirectional(fn, x, lengths, params_f, params_b):
    n_x, m, T_x = x.shape
    n_a = params_f["Waa"].shape[0]
    args = {"x": x.copy(), "lengths": lengths.copy(), "params_f": dict(params_f),
            "params_b": dict(params_b)}
    a = call_on_copies(fn, NAME_BIDIRECTIONAL, args,
                       f"x (n_x, m, T_x) = {x.shape}, lengths (m,) = {lengths.tolist()}, "
                       f"n_a = {n_a}", HINT_BIDIRECTIONAL,
                       shapes=lecture_shapes(n_x=n_x, n_a=n_a, m=m, T_x=T_x))
    return check_a(a, args)


def check_a(a, inputs):
    """a must be one float array (2 n_a, m, T_x); a wrong shape that two right halves make
    (added, one of them alone, joined on another axis) is named."""
    x, lengths = inputs["x"], inputs["lengths"]
    n_x, m, T_x = x.shape
    n_a = inputs["params_f"]["Waa"].shape[0]
    if isinstance(a, tuple):
        raise mistake(NAME_BIDIRECTIONAL, "wrong-return", f"{NAME_BIDIRECTIONAL} should return "
                      f"one array a (2 n_a, m, T_x); received a tuple of {len(a)} values.")
    expected = (2 * n_a, m, T_x)
    if isinstance(a, np.ndarray) and a.shape == (n_a, m, T_x) and a.dtype.kind == "f":
        forward = real_steps(forward_states(x, inputs["params_f"]), lengths)
        backward = real_steps(backward_variant(x, lengths, inputs["params_b"], "within",
                                               "within"), lengths)
        for value, slug, said in (
                (forward + backward, "directions-added",
                 "the two directions' states are added; stack them, the forward cell's rows "
                 "first: np.concatenate([a_forward, a_backward], axis=0)"),
                (forward, "backward-missing", "a holds the forward cell's states only; stack "
                 "the backward cell's under them")):
            if same(real_steps(a, lengths), value):
                raise mistake(NAME_BIDIRECTIONAL, slug, f"{NAME_BIDIRECTIONAL}: a has shape "
                              f"(n_a, m, T_x) = {a.shape}: {said}, (2 n_a, m, T_x) = "
                              f"{expected}.")
    if isinstance(a, np.ndarray) and a.shape in ((2, n_a, m, T_x), (n_a, m, T_x, 2)):
        raise mistake(NAME_BIDIRECTIONAL, "stacked-on-a-new-axis", f"{NAME_BIDIRECTIONAL}: a "
                      f"has shape {a.shape}: the two directions are stacked on a new axis "
                      "(np.stack). Join them along the existing first axis, the units: "
                      f"np.concatenate([a_forward, a_backward], axis=0), (2 n_a, m, T_x) = "
                      f"{expected}.")
    if isinstance(a, np.ndarray) and a.shape in ((n_a, m, 2 * T_x), (n_a, 2 * m, T_x)) \
            and a.shape != expected:
        axis = 2 if a.shape[2] == 2 * T_x else 1
        raise mistake(NAME_BIDIRECTIONAL, "stacked-on-wrong-axis",
                      f"{NAME_BIDIRECTIONAL}: a has shape {a.shape}: the two directions are "
                      f"joined along axis {axis}. Stack them along the first axis, the units: "
                      f"(2 n_a, m, T_x) = {expected}.")
    assert_shape(NAME_BIDIRECTIONAL, "a", a, expected, "(2 n_a, m, T_x)")
    return a


def check_network(fn, n_x, n_a, lengths, T_x, seed):
    lengths = np.asarray(lengths)
    inputs = build_bidirectional({"n_x": n_x, "n_a": n_a, "m": len(lengths), "T_x": T_x},
                                 np.random.default_rng(seed), False, lengths)
    x, params_f, params_b = inputs["x"], inputs["params_f"], inputs["params_b"]
    a = real_steps(run_bidirectional(fn, **inputs), lengths)
    forward = real_steps(forward_states(x, params_f), lengths)
    backward = real_steps(backward_variant(x, lengths, params_b, "within", "within"), lengths)
    where = f"{NAME_BIDIRECTIONAL} with lengths = {lengths.tolist()}, T_x = {T_x}"
    if same(a[:n_a], backward) and same(a[n_a:], forward):
        raise mistake(NAME_BIDIRECTIONAL, "directions-swapped", f"{where}: the backward "
                      "cell's states are in the first n_a rows and the forward cell's under "
                      "them; the forward cell's come first.")
    for value, name in ((forward, "forward"), (backward, "backward")):
        if same(a[:n_a], value) and same(a[n_a:], value):
            raise mistake(NAME_BIDIRECTIONAL, f"{name}-twice", f"{where}: both halves hold "
                          f"the {name} cell's states; stack the forward cell's states and, "
                          "under them, the backward cell's.")
    if not same(a[:n_a], forward):
        if same(a[:n_a], real_steps(forward_states(x, params_b), lengths)):
            raise mistake(NAME_BIDIRECTIONAL, "forward-uses-params-b", f"{where}: the forward "
                          "cell's states are computed with params_b; the forward cell's "
                          "weights are params_f.")
        return  # the general check below says what is wrong
    if not same(a[n_a:], backward):
        found = backward_slip(x, lengths, params_f, params_b, a[n_a:])
        if found:
            raise mistake(NAME_BIDIRECTIONAL, found[0], f"{where}: the forward half is right; "
                          f"in the backward half {found[1]}.")


@one_message(NAME_BIDIRECTIONAL)
def check_bidirectional_rnn_forward(bidirectional_rnn_forward):
    """Check a learner's bidirectional_rnn_forward(x, lengths, params_f, params_b) ->
    a (2 n_a, m, T_x), at the real steps of each example.

    Names the listed slips of each half (the reversal of the whole padded axis, states not put
    back, the forward weights used backwards, the halves swapped, added or joined on another
    axis) on padded batches; then the general check on random inputs of every size.
    """
    own_reversal(bidirectional_rnn_forward)
    check_network(bidirectional_rnn_forward, 3, 4, (5, 2, 3), 5, seed=14)
    check_network(bidirectional_rnn_forward, 2, 3, (6, 6, 1, 4), 6, seed=15)
    differential(BIDIRECTIONAL_SPEC, bidirectional_rnn_forward)
    passed(NAME_BIDIRECTIONAL)


def own_reversal(fn):
    """If the network's code can see a reverse_within_lengths of the learner's that is wrong,
    say so first: the network reads through it, and its own messages would blame the cell."""
    mine = getattr(fn, "__globals__", {}).get(NAME_REVERSE)
    if not callable(mine) or getattr(mine, "__module__", "").startswith("rnnlesson"):
        return
    x, lengths = coded(2, 3, 5), np.array([5, 2, 3])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            right = np.array_equal(mine(x.copy(), lengths.copy()), within(x, lengths))
    except Exception:  # noqa: BLE001 - any failure of the learner's reversal counts as wrong
        right = False
    if not right:
        raise mistake(NAME_BIDIRECTIONAL, "own-reversal-wrong", f"{NAME_BIDIRECTIONAL} reads "
                      f"through your {NAME_REVERSE}, which does not yet reverse each example "
                      f"within its length (its check above says how): fix it first.")


def build_bidirectional(sizes, rng, simple, lengths=None):
    n_x, n_a, m, T_x = (sizes[key] for key in ("n_x", "n_a", "m", "T_x"))
    draw = numbers(rng, simple)

    def cell():
        return {"Wax": draw((n_a, n_x)), "Waa": draw((n_a, n_a)), "ba": draw((n_a, 1))}

    lengths = draw_lengths(rng, m, T_x) if lengths is None else np.asarray(lengths)
    return {"x": draw((n_x, m, T_x)), "lengths": lengths, "params_f": cell(),
            "params_b": cell()}


def reference_bidirectional(x, lengths, params_f, params_b):
    return {"a_forward": real_steps(forward_states(x, params_f), lengths),
            "a_backward": real_steps(backward_variant(x, lengths, params_b, "within", "within"),
                                     lengths)}


def read_bidirectional(result, inputs):
    n_a = inputs["params_f"]["Waa"].shape[0]
    a = real_steps(check_a(result, inputs), inputs["lengths"])
    return {"a_forward": a[:n_a], "a_backward": a[n_a:]}


def no_padding(inputs):
    """Every example as long as the batch: reversing within the lengths is reversing it all."""
    return {**inputs, "lengths": np.full(len(inputs["lengths"]), inputs["x"].shape[2])}


def same_weights(inputs):
    """params_b = params_f: a backward half computed with either weights agrees."""
    return {**inputs, "params_b": dict(inputs["params_f"])}


def backward_without_recurrence(inputs):
    """The backward cell's Waa = 0: its state at a step depends on that step's input alone, so
    a right reading order and putting back agree whatever the cell starts from."""
    params_b = {**inputs["params_b"], "Waa": np.zeros_like(inputs["params_b"]["Waa"])}
    return {**inputs, "params_b": params_b}


TERMS = {
    "forward": "the forward cell: rnn_forward over x with params_f, from a zero state",
    "read": "what the backward cell reads: each sequence reversed within its own length, "
            "reverse_within_lengths(x, lengths)",
    "backward-cell": "the backward cell itself: rnn_forward with params_b, from a zero state",
    "put-back": "how the backward states are put back: reverse_within_lengths(states, "
                "lengths), so that step t holds the state after reading x_{L-1}, ..., x_t",
}
BIDIRECTIONAL_SPEC = Spec(
    NAME_BIDIRECTIONAL, {"n_x": (1, 3), "n_a": (1, 3), "m": (1, 3), "T_x": (1, 5)},
    build_bidirectional, reference_bidirectional, read_bidirectional, terms=TERMS,
    depends={"a_forward": {"forward"}, "a_backward": {"read", "backward-cell", "put-back"}},
    probes=[Probe("with no padding (every length = T_x)", no_padding,
                  frozenset({"forward", "backward-cell"}), causes=frozenset(TERMS)),
            # agreeing with the same weights in both directions clears all but the choice
            # of the backward weights; a difference may come from anything
            Probe("with params_b = params_f", same_weights,
                  frozenset({"forward", "read", "put-back"}), causes=frozenset(TERMS)),
            # (the slips that read and put back in mismatched orders are named before the
            # general check runs, by `backward_slip`)
            Probe("with the backward cell's Waa = 0", backward_without_recurrence,
                  frozenset({"forward", "read", "put-back"}), causes=frozenset(TERMS))],
    steps={"a_backward": (2, "backward")}, show=("x", "lengths"), hint=HINT_BIDIRECTIONAL)
