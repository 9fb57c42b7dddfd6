"""Scheduled sampling (Bengio, Vinyals, Jaitly and Shazeer 2015): training the encoder-decoder
on its own guesses as well as on the truth, against exposure bias.

Letters: n_y target symbols, n_a hidden units, m examples, T_y output steps, i the training
step. Teacher forcing (`rnnlesson.encoder_decoder_loss`) feeds the decoder the true previous
symbol y_{t-1} at every step; at test time it reads its own previous output instead, a history
it never met in training. Scheduled sampling flips a coin for every example at every step
t >= 2 (step 1 always reads the start symbol):

    with probability ε_i   the decoder reads the true y_{t-1}
    otherwise              it reads a symbol drawn from its own ŷ_{t-1} (greedy=True: argmax)

and ε_i decays over training (`epsilon_schedule`), from mostly teacher-forced to mostly
free-running. The decoder runs step by step, since each input may depend on the output before
it. The choice is a constant for the gradient, as in the paper: no gradient flows through the
draw. So the loss and gradients are those of teacher forcing on the chosen inputs, and
`scheduled_sampling_loss` computes them with `encoder_decoder_loss` itself; with ε = 1 every
input is the truth and the two are the same function.
"""

import numpy as np

from rnnlesson._validate import check_labels, describe, dtype_of, fail
from rnnlesson.cells import get_cell, sequence_forward
from rnnlesson.generate import translate
from rnnlesson.sequence import one_hot, output_forward
from rnnlesson.topologies import check_encoder_decoder, encoder_decoder_loss

SCHEDULES = ("linear", "exponential", "inverse-sigmoid")


def epsilon_schedule(i, schedule="inverse-sigmoid", k=50.0, c=0.0, floor=0.0):
    """ε_i, the probability of reading the true previous symbol at training step i (an int or
    an array of them), for the paper's three decays:

        "linear"            max(floor, k - c i)    (k <= 1 the start, c the slope)
        "exponential"       max(floor, k^i)         (k < 1)
        "inverse-sigmoid"   max(floor, k / (k + exp(i / k)))   (k >= 1: ε ≈ 1/2 at i = k ln k)
    """
    if schedule not in SCHEDULES:
        fail("schedule", f"one of {', '.join(map(repr, SCHEDULES))}", repr(schedule))
    i = np.asarray(i, dtype=float)
    if schedule == "linear":
        eps = k - c * i
    elif schedule == "exponential":
        if not 0 < k < 1:
            fail("k", "0 < k < 1 for the exponential schedule, ε_i = k^i", repr(k))
        eps = k**i
    else:
        if not k >= 1:
            fail("k", "k >= 1 for the inverse-sigmoid schedule, ε_i = k / (k + exp(i / k))",
                 repr(k))
        eps = k / (k + np.exp(np.minimum(i / k, 700.0)))  # exp(700) is near float64's largest
    eps = np.clip(np.maximum(eps, floor), 0.0, 1.0)
    return float(eps) if eps.ndim == 0 else eps


def scheduled_batches(batches, schedule):
    """A batch function for `rnnlesson.train`: step -> batches(step) + (ε_step, step), so that
    `scheduled_sampling_loss` gets the schedule's ε at this step and the step as its seed.
    batches: step -> (x, y_in, y, lengths); schedule: step -> ε (e.g. a partial of
    `epsilon_schedule`)."""
    return lambda step: (*batches(step), schedule(step), step)


def check_epsilon(epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.integer, np.floating)) \
            or not 0.0 <= epsilon <= 1.0:
        fail("epsilon", "a probability ε in [0, 1] (1: teacher forcing)", describe(epsilon))
    return float(epsilon)


def check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        fail("seed", "an int >= 0 (the same seed draws the same coins and symbols)",
             describe(seed))
    return int(seed)


def scheduled_inputs(params, x, y_in, lengths=None, epsilon=1.0, seed=0, cell="rnn",
                     greedy=False):
    """Run the decoder step by step and choose what it reads at each step.

    x (n_x, m, T_x) floats or (m, T_x) ids, lengths (m,) or None: the source; y_in (m, T_y):
    the teacher-forced inputs (the start symbol, then the target shifted right). At step t >= 2
    each example reads y_in[:, t] with probability epsilon, else its own previous output,
    drawn from ŷ_{t-1} (greedy=True: its argmax); the coins and draws come from
    np.random.default_rng(seed), drawn before the decoder runs.
    Returns inputs (m, T_y) ids (inputs[:, 0] = y_in[:, 0]; equal to y_in when epsilon = 1)
    and y_hat (n_y, m, T_y), the decoder's softmax at each step as it read them.
    """
    cell = get_cell(cell)
    n_a, n_y = check_encoder_decoder(params, cell)
    epsilon, seed = check_epsilon(epsilon), check_seed(seed)
    _, _, last, _ = sequence_forward(x, None, params["encoder"], lengths, cell)
    dtype = dtype_of(params)
    state = cell.initial_state(last, n_a, x.shape[-2], dtype=dtype)
    m = state[0].shape[1]
    T_y = y_in.shape[1] if isinstance(y_in, np.ndarray) and y_in.ndim == 2 else 1
    check_labels(y_in, (m, T_y), "(m, T_y)", n_y, "y_in")
    rng = np.random.default_rng(seed)
    truth = rng.random((m, T_y)) < epsilon  # (m, T_y): read y_in here
    draws = rng.random((m, T_y))  # the uniform numbers own symbols are drawn with
    truth[:, 0] = True  # step 1 reads the start symbol
    decoder, recurrence = params["decoder"], cell.recurrence(params["decoder"])
    inputs, y_hat = y_in.copy(), np.empty((n_y, m, T_y), dtype)
    for t in range(T_y):
        state, _ = cell.step(one_hot(inputs[:, t], n_y, dtype), state, recurrence)
        y_hat[:, :, t] = output_forward(state[0], decoder)
        if t + 1 < T_y:
            own = y_hat[:, :, t].argmax(axis=0) if greedy else draw(y_hat[:, :, t], draws[:, t + 1])
            inputs[:, t + 1] = np.where(truth[:, t + 1], y_in[:, t + 1], own)
    return inputs, y_hat


def draw(p, u):
    """One symbol per column of p (n_y, m) probabilities, by inverting the cumulative sum at
    the uniform numbers u (m,)."""
    return np.minimum((np.cumsum(p, axis=0) < u).sum(axis=0), p.shape[0] - 1)


def scheduled_sampling_loss(params, x, y_in, y, lengths=None, epsilon=1.0, seed=0,
                            y_lengths=None, cell="rnn", greedy=False):
    """The encoder-decoder's loss and gradients with scheduled sampling.

    As `encoder_decoder_loss` (x, lengths the source; y_in, y (m, T_y), y_lengths (m,) the
    target), except that the decoder reads the inputs `scheduled_inputs` chooses with
    epsilon, seed and greedy. The choice is a constant for the gradient. epsilon = 1 is
    teacher forcing: the same loss and gradients as `encoder_decoder_loss`.
    Returns loss and grads {"encoder": ..., "decoder": ...}.
    """
    if check_epsilon(epsilon) < 1.0:  # at ε = 1 every coin says "the truth": nothing to run
        y_in, _ = scheduled_inputs(params, x, y_in, lengths, epsilon, seed, cell, greedy)
    else:
        check_seed(seed)
    return encoder_decoder_loss(params, x, y_in, y, lengths, y_lengths, cell)


def forced_and_free_accuracy(params, x, y_in, y, lengths=None, cell="rnn"):
    """Per-character accuracy of the decoder's most likely symbol when it reads the true
    history y_in (teacher-forced) and when it reads its own (free-running, greedy decoding
    as `rnnlesson.translate`): x, lengths the source; y_in, y (m, T_y). Their gap is what
    exposure bias costs on these examples. Returns (forced, free), two floats."""
    _, y_hat = scheduled_inputs(params, x, y_in, lengths, 1.0, 0, cell)
    guess = translate(params, x, y.shape[1], int(y_in[0, 0]), lengths=lengths, cell=cell)
    return float(np.mean(y_hat.argmax(axis=0) == y)), float(np.mean(guess == y))


def error_profile(guess, y):
    """Where a decoder's mistakes fall: guess, y (m, T_y) ids. Returns a dict of
    "exact": share of rows all right; "by_position" (T_y,): share wrong at each position;
    "first" (T_y,): share of rows whose first mistake is at each position;
    "after_first": share of the positions after a row's first mistake that are wrong too
    (over the rows with a mistake before their last position; nan if there are none)."""
    wrong = guess != y  # (m, T_y)
    m, T_y = wrong.shape
    any_wrong = wrong.any(axis=1)
    first = np.where(any_wrong, wrong.argmax(axis=1), T_y)  # T_y: no mistake
    after = np.arange(T_y) > first[:, None]  # (m, T_y): after the row's first mistake
    return {"exact": float(np.mean(~any_wrong)),
            "by_position": wrong.mean(axis=0),
            "first": np.bincount(first, minlength=T_y + 1)[:T_y] / m,
            "after_first": float(wrong[after].mean()) if after.any() else float("nan")}
