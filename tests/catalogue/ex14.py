"""Exercise 14: reverse_within_lengths, bidirectional_rnn_forward."""

PRELUDE = '''
import numpy as np
from rnnlesson import init_params, rnn_forward
'''
REVERSE = ["check_reverse_within_lengths"]
NETWORK = ["check_bidirectional_rnn_forward"]


def reverse(body):
    """The learner's reversal with the given body (out is returned)."""
    return f'''
def reverse_within_lengths(x, lengths):
    out = x.copy()
    {body}
    return out
'''


RIGHT_REVERSE = reverse("for i, L in enumerate(lengths):\n"
                        "        out[:, i, :L] = x[:, i, :L][:, ::-1]")


def network(forward="rnn_forward(x, None, params_f)",
            read="rnn_forward(reverse_within_lengths(x, lengths), None, params_b)",
            back="reverse_within_lengths(read_back, lengths)",
            stack="np.concatenate([a_forward, a_backward], axis=0)"):
    """The learner's network with one part changed (after a right reversal)."""
    return RIGHT_REVERSE + f'''
def bidirectional_rnn_forward(x, lengths, params_f, params_b):
    a_forward, _, _ = {forward}
    read_back, _, _ = {read}
    a_backward = {back}
    return {stack}
'''


ANSWERS = [
    # --- reverse_within_lengths
    {"name": "a loop, a reversed slice", "right": True, "checks": REVERSE,
     "code": RIGHT_REVERSE},
    {"name": "an index per step with take_along_axis", "right": True, "checks": REVERSE,
     "code": '''
def reverse_within_lengths(x, lengths):
    T_x = x.shape[2]
    t = np.arange(T_x)[None, :]
    L = np.asarray(lengths)[:, None]
    order = np.where(t < L, L - 1 - t, t)
    return np.take_along_axis(x, order[None, :, :], axis=2)
'''},
    {"name": "a loop over steps with a new array", "right": True, "checks": REVERSE,
     "code": '''
def reverse_within_lengths(x, lengths):
    out = np.empty_like(x)
    for i in range(x.shape[1]):
        for t in range(x.shape[2]):
            out[:, i, t] = x[:, i, lengths[i] - 1 - t] if t < lengths[i] else x[:, i, t]
    return out
'''},
    {"name": "the whole padded axis flipped", "checks": REVERSE,
     "mistake": "ex14/whole-axis-reversed", "says": ["whole padded time axis", "x[:, i, :L]"],
     "code": '''
def reverse_within_lengths(x, lengths):
    return x[:, :, ::-1].copy()
'''},
    {"name": "np.flip on the time axis", "checks": REVERSE,
     "mistake": "ex14/whole-axis-reversed", "says": ["whole padded time axis"],
     "code": '''
def reverse_within_lengths(x, lengths):
    return np.flip(x, axis=2)
'''},
    {"name": "one step too many: the slice from L", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["one too many", "x[:, i, L - 1::-1]"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        L = min(L + 1, x.shape[2])\n"
                     "        out[:, i, :L] = x[:, i, :L][:, ::-1]")},
    {"name": "the slice L - 1 down to 0 exclusive", "checks": REVERSE,
     "mistake": "ex14/real-step-zeroed", "says": ["real step", "holds 0"],
     "code": '''
def reverse_within_lengths(x, lengths):
    out = np.zeros_like(x)
    for i, L in enumerate(lengths):
        out[:, i, :L - 1] = x[:, i, L - 1:0:-1]
        out[:, i, L:] = x[:, i, L:]
    return out
'''},
    {"name": "padding zeroed", "checks": REVERSE, "mistake": "ex14/padding-zeroed",
     "says": ["padded step", "stay as they are"],
     "code": '''
def reverse_within_lengths(x, lengths):
    out = np.zeros_like(x)
    for i, L in enumerate(lengths):
        out[:, i, :L] = x[:, i, :L][:, ::-1]
    return out
'''},
    {"name": "the padding reversed too, after the real steps", "checks": REVERSE,
     "mistake": "ex14/padding-moved", "says": ["real steps are right", "stay where they are"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, :L][:, ::-1]\n"
                     "        out[:, i, L:] = x[:, i, L:][:, ::-1]")},
    {"name": "the first example's length for every example", "checks": REVERSE,
     "mistake": "ex14/another-length", "says": ["its own length, lengths[i]"],
     "code": reverse("L = lengths[0]\n"
                     "    out[:, :, :L] = x[:, :, :L][:, :, ::-1]")},
    {"name": "reversed along the examples", "checks": REVERSE,
     "mistake": "ex14/examples-mixed", "says": ["the time axis (the last, axis 2)"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, ::-1, :L][:, i]")},
    {"name": "the features reversed", "checks": REVERSE, "mistake": "ex14/features-mixed",
     "says": ["move whole steps"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[::-1, i, :L][:, ::-1]")},
    {"name": "reversed in place", "checks": REVERSE, "mistake": "ex14/changes-its-input",
     "says": ["modified its argument x"],
     "code": '''
def reverse_within_lengths(x, lengths):
    for i, L in enumerate(lengths):
        x[:, i, :L] = x[:, i, :L][:, ::-1].copy()
    return x
'''},
    {"name": "nothing reversed", "checks": REVERSE, "mistake": "ex14/not-reversed",
     "says": ["Nothing was reversed"], "code": reverse("pass")},
    {"name": "the lengths in the other order", "checks": REVERSE,
     "mistake": "ex14/lengths-misassigned", "says": ["its own is lengths[0]"],
     "code": reverse("for i, L in enumerate(lengths[::-1]):\n"
                     "        out[:, i, :L] = x[:, i, :L][:, ::-1]")},
    {"name": "a reversed slice that stops at -1", "checks": REVERSE,
     "mistake": "ex14/empty-reversed-slice", "says": ["a stop of -1 means the last element"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, L - 1:-1:-1]")},
    {"name": "steps moved by one instead", "checks": REVERSE,
     "mistake": "ex14/steps-shifted", "says": ["the reversal within its length",
                                                "(t - 1) mod L", "rotated"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = np.roll(x[:, i, :L], 1, axis=1)")},
    # --- bidirectional_rnn_forward
    {"name": "the network as the solution writes it", "right": True, "checks": NETWORK,
     "code": network()},
    {"name": "lengths passed to rnn_forward, halves in a new array", "right": True,
     "checks": NETWORK, "code": RIGHT_REVERSE + '''
def bidirectional_rnn_forward(x, lengths, params_f, params_b):
    n_a = params_f["Waa"].shape[0]
    a = np.zeros((2 * n_a,) + x.shape[1:])
    a[:n_a] = rnn_forward(x, None, params_f, lengths)[0]
    backward = rnn_forward(reverse_within_lengths(x, lengths), None, params_b, lengths)[0]
    a[n_a:] = reverse_within_lengths(backward, lengths)
    return a
'''},
    {"name": "the inputs flipped on the whole axis, the states too", "checks": NETWORK,
     "mistake": "ex14/backward-read-whole-put-back-whole",
     "says": ["whole padded axis reversed", "put back by reversing the whole"],
     "code": network(read="rnn_forward(x[:, :, ::-1], None, params_b)",
                     back="read_back[:, :, ::-1]")},
    {"name": "states left in reading order", "checks": NETWORK,
     "mistake": "ex14/backward-put-back-none", "says": ["left in the order it read them"],
     "code": network(back="read_back")},
    {"name": "the backward cell reads forwards", "checks": NETWORK,
     "mistake": "ex14/backward-read-none", "says": ["reads x forwards"],
     "code": network(read="rnn_forward(x, None, params_b)")},
    {"name": "the backward cell with the forward weights", "checks": NETWORK,
     "mistake": "ex14/backward-forward-weights", "says": ["uses params_f"],
     "code": network(read="rnn_forward(reverse_within_lengths(x, lengths), None, params_f)")},
    {"name": "the forward cell with the backward weights", "checks": NETWORK,
     "mistake": "ex14/forward-uses-params-b", "says": ["computed with params_b"],
     "code": network(forward="rnn_forward(x, None, params_b)")},
    {"name": "the halves in the other order", "checks": NETWORK,
     "mistake": "ex14/directions-swapped", "says": ["forward cell's come first"],
     "code": network(stack="np.concatenate([a_backward, a_forward], axis=0)")},
    {"name": "the forward states twice", "checks": NETWORK, "mistake": "ex14/forward-twice",
     "says": ["both halves hold the forward cell's states"],
     "code": network(stack="np.concatenate([a_forward, a_forward], axis=0)")},
    {"name": "the halves stacked on a new axis", "checks": NETWORK,
     "mistake": "ex14/stacked-on-a-new-axis", "says": ["np.stack", "np.concatenate"],
     "code": network(stack="np.stack([a_forward, a_backward])")},
    {"name": "a network on a wrong reversal", "checks": NETWORK,
     "mistake": "ex14/own-reversal-wrong", "says": ["fix it first"],
     "code": reverse("out = x[:, :, ::-1].copy()") + network().replace(RIGHT_REVERSE, "")},
    {"name": "the halves added", "checks": NETWORK, "mistake": "ex14/directions-added",
     "says": ["added", "np.concatenate"], "code": network(stack="a_forward + a_backward")},
    {"name": "the halves joined along time", "checks": NETWORK,
     "mistake": "ex14/stacked-on-wrong-axis", "says": ["along axis 2"],
     "code": network(stack="np.concatenate([a_forward, a_backward], axis=2)")},
    {"name": "the backward cell starts from the forward cell's last state", "checks": NETWORK,
     "mistake": "ex14/backward-cell-wrong", "says": ["the backward cell itself"],
     "code": network(read="rnn_forward(reverse_within_lengths(x, lengths), "
                          "a_forward[:, :, -1], params_b)")},
]

MUTANTS = [
    {"function": "reverse_within_lengths", "spec": "rnnlesson.checks.bidirectional:REVERSE_SPEC",
     "checks": REVERSE, "outputs": ["reversed"], "at_least": 3,
     "aliases": {"out": ["step", "steps"], "L": ["length", "L"], "lengths": ["length"],
                 "x": ["step", "steps"]}},
    {"function": "bidirectional_rnn_forward",
     "spec": "rnnlesson.checks.bidirectional:BIDIRECTIONAL_SPEC",
     "checks": NETWORK, "outputs": ["a_forward", "a_backward"], "at_least": 5,
     "aliases": {"a_forward": ["forward"], "read_back": ["backward", "reads"],
                 "a_backward": ["backward", "put back"], "params_f": ["params_f"],
                 "params_b": ["params_b"], "reverse_within_lengths": ["revers"],
                 "concatenate": ["stack"], "a": ["stack"]}},
]

# The backward half computed another way (read, put back, weights, the padding as given or
# zeroed first): every combination is tried, so zeroing the padding does not hide the flip.
ZEROED = "(x * (np.arange(x.shape[2]) < np.asarray(lengths)[:, None])[None])"
ANSWERS += [
    {"name": "padding zeroed, then the whole axis flipped", "checks": NETWORK,
     "mistake": "ex14/backward-read-whole-put-back-whole",
     "says": ["whole padded axis reversed", "padding zeroed first"],
     "code": network(read=f"rnn_forward({ZEROED}[:, :, ::-1], None, params_b)",
                     back="read_back[:, :, ::-1]")},
    {"name": "padding zeroed, flipped whole, put back within the lengths", "checks": NETWORK,
     "mistake": "ex14/backward-read-whole",
     "says": ["whole padded axis reversed", "padding zeroed first"],
     "code": network(read=f"rnn_forward(np.flip({ZEROED}, axis=2), None, params_b)")},
    {"name": "reversed slice L:0:-1 (review 7)", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["one too few", "x[:, i, L - 1::-1]"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, L:0:-1]")},
    {"name": "reversed slice L-2::-1", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["one too few", "x[:, i, L - 1::-1]"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, L - 2::-1]")},
    {"name": "a forward slice one too long, then reversed", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["x[:, i, L - 1::-1]"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, :L + 1][:, ::-1]")},
    {"name": "swaps over the whole length (review 7)", "checks": REVERSE,
     "mistake": "ex14/not-reversed", "says": ["swaps each pair twice", "t < L // 2"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        for t in range(L):\n"
                     "            out[:, i, t], out[:, i, L - 1 - t] = "
                     "out[:, i, L - 1 - t].copy(), out[:, i, t].copy()")},
    {"name": "swaps with a temporary over the whole length", "checks": REVERSE,
     "mistake": "ex14/not-reversed", "says": ["swaps each pair twice"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        for t in range(L):\n"
                     "            tmp = out[:, i, t].copy()\n"
                     "            out[:, i, t] = out[:, i, L - 1 - t]\n"
                     "            out[:, i, L - 1 - t] = tmp")},
]

# Review 8: the real steps read by a rule one step off (a slice from L, an index L - t that
# wraps) or moved along instead of reversed.
ANSWERS += [
    {"name": "the slice L:0:-1 into a padded result", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["Step t holds x's step 3 - t",
                                                  "x[:, i, L - 1::-1]"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        xp = np.concatenate([x[:, i], x[:, i, -1:]], axis=1)\n"
                     "        out[:, i, :L] = xp[:, L:0:-1]")},
    {"name": "the index (L - t) % L", "checks": REVERSE, "mistake": "ex14/index-wraps",
     "says": ["(3 - t) mod L", "one off"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        for t in range(L):\n"
                     "            out[:, i, t] = x[:, i, (L - t) % L]")},
    {"name": "the steps moved along by two", "checks": REVERSE, "mistake": "ex14/steps-shifted",
     "says": ["rotated"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, [(t + 2) % L for t in range(L)]]")},
]

# Review 9: a loop that stops one step short, the reversal written at the end of the axis,
# and the backward states put back within lengths - 1.
ANSWERS += [
    {"name": "the loop stops one step short", "checks": REVERSE,
     "mistake": "ex14/loop-stops-short", "says": ["still holds x's own step", "range(L - 1)"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        for t in range(L - 1):\n"
                     "            out[:, i, t] = x[:, i, L - 1 - t]")},
    {"name": "the reversal written at the end of the axis", "checks": REVERSE,
     "mistake": "ex14/reversal-misplaced", "says": ["Your reversed steps start at t = 2"],
     "code": reverse("T_x = x.shape[2]\n"
                     "    for i, L in enumerate(lengths):\n"
                     "        out[:, i, :T_x - L] = x[:, i, L:]\n"
                     "        out[:, i, T_x - L:] = x[:, i, :L][:, ::-1]")},
    {"name": "the backward states put back within lengths - 1", "checks": NETWORK,
     "mistake": "ex14/backward-put-back-short", "says": ["reversed within lengths - 1"],
     "code": network(back="reverse_within_lengths(read_back, np.maximum(lengths - 1, 0))")},
]

# A fresh case of the same kind: an index one step short, held at step 0 (np.clip).
ANSWERS += [
    {"name": "the index L - 2 - t, clipped at 0", "checks": REVERSE,
     "mistake": "ex14/reversal-one-off", "says": ["Step t holds x's step 1 - t (held within",
                                                  "short of the last real step 2"],
     "code": reverse("for i, L in enumerate(lengths):\n"
                     "        out[:, i, :L] = x[:, i, np.clip(L - 2 - np.arange(L), 0, L - 1)]")},
]
