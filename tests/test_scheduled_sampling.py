"""Scheduled sampling: teacher forcing at ε = 1, gradients with the choice held fixed, the
decoder's own path at ε = 0, the schedules, and what it does on the dates of notebook 13."""

import re
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest

import rnnlesson as R
from rnnlesson.cells import CELLS
from rnnlesson.dates import date_words, draw_dates, minibatch
from rnnlesson.scheduled import (
    draw,
    epsilon_schedule,
    error_profile,
    forced_and_free_accuracy,
    scheduled_batches,
    scheduled_inputs,
    scheduled_sampling_loss,
)
from rnnlesson.tree import flatten

N_X, N_A, N_Y, M, T_X, T_Y = 5, 4, 4, 6, 5, 4
LENGTHS, Y_LENGTHS = np.array([5, 2, 4, 3, 5, 1]), np.array([4, 1, 3, 4, 2, 4])


def perturbed(params, seed=3, scale=0.5):
    rng = np.random.default_rng(seed)
    return {part: {k: v + scale * rng.normal(size=v.shape) for k, v in p.items()}
            for part, p in params.items()}


def task(rng, ids=True):
    """x, y_in (the start symbol 0, then y shifted right) and y, for a batch of M."""
    x = rng.integers(0, N_X, (M, T_X)) if ids else rng.normal(size=(N_X, M, T_X))
    y = rng.integers(1, N_Y, (M, T_Y))
    y_in = np.concatenate([np.zeros((M, 1), int), y[:, :-1]], axis=1)
    return x, y_in, y


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
def test_epsilon_one_is_teacher_forcing_exactly(cell, padded, rng):
    params = perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=1, cell=cell))
    x, y_in, y = task(rng)
    lengths, y_lengths = (LENGTHS, Y_LENGTHS) if padded else (None, None)
    loss, grads = scheduled_sampling_loss(params, x, y_in, y, lengths, 1.0, 7, y_lengths, cell)
    tf_loss, tf_grads = R.encoder_decoder_loss(params, x, y_in, y, lengths, y_lengths, cell)
    assert loss == tf_loss
    flat, tf_flat = flatten(grads), flatten(tf_grads)
    assert flat.keys() == tf_flat.keys()
    assert all(np.array_equal(flat[k], tf_flat[k]) for k in flat)
    inputs, _ = scheduled_inputs(params, x, y_in, lengths, 1.0, 7, cell)
    assert np.array_equal(inputs, y_in)  # and the step-by-step path chooses the truth too


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("greedy", [False, True], ids=["sampled", "greedy"])
def test_gradients_with_the_choice_of_inputs_fixed(cell, greedy, rng):
    """The chosen inputs are a constant of the loss: centred differences of the loss with the
    seed fixed match its gradients, and every nudged evaluation chose the same inputs."""
    params = perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=2, cell=cell))
    x, y_in, y = task(rng, ids=cell != "rnn")
    chosen = []

    def loss_fn(p):
        chosen.append(scheduled_inputs(p, x, y_in, LENGTHS, 0.5, 11, cell, greedy)[0])
        return scheduled_sampling_loss(p, x, y_in, y, LENGTHS, 0.5, 11, Y_LENGTHS, cell, greedy)

    errors = R.gradient_check(loss_fn, params)
    assert set(errors) == {f"encoder.{k}" for k in R.get_cell(cell).keys} | {
        f"decoder.{k}" for k in (*R.get_cell(cell).keys, "Wya", "by")}
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-7, f"{worst}: relative error {errors[worst]:.2e}"
    assert all(np.array_equal(c, chosen[0]) for c in chosen), "a nudge changed the choice"
    assert not np.array_equal(chosen[0], y_in), "nothing was sampled: a teacher-forced check"


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_loss_is_the_step_by_step_decoders_own(cell, rng):
    """Two ways: the loss from the unrolled decoder on the chosen inputs, and the mean -log ŷ_t[y_t]
    of the softmax the step-by-step decoder computed as it chose them (padded steps left out)."""
    params = perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=4, cell=cell))
    x, y_in, y = task(rng)
    inputs, y_hat = scheduled_inputs(params, x, y_in, LENGTHS, 0.3, 5, cell)
    loss, _ = scheduled_sampling_loss(params, x, y_in, y, LENGTHS, 0.3, 5, Y_LENGTHS, cell)
    real = np.arange(T_Y) < Y_LENGTHS[:, None]  # (m, T_y)
    p_true = np.take_along_axis(y_hat, y[None], axis=0)[0]  # (m, T_y)
    assert loss == pytest.approx(-np.log(p_true[real]).mean(), rel=1e-12)
    assert not np.array_equal(inputs, y_in)


@pytest.mark.parametrize("cell", list(CELLS))
def test_epsilon_zero_greedy_reads_what_translate_writes(cell, rng):
    """With ε = 0 and argmax, the decoder reads its own previous output at every step: the
    inputs after the start symbol are greedy decoding's output (`rnnlesson.translate`)."""
    params = perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=5, cell=cell), scale=1.0)
    x, y_in, _ = task(rng)
    inputs, _ = scheduled_inputs(params, x, y_in, LENGTHS, 0.0, 0, cell, greedy=True)
    guess = R.translate(params, x, T_Y, 0, lengths=LENGTHS, cell=cell)
    assert np.array_equal(inputs[:, 0], y_in[:, 0])
    assert np.array_equal(inputs[:, 1:], guess[:, :-1])


def test_the_coins_read_the_truth_at_the_rate_epsilon():
    """A decoder that never predicts the true symbol (its output layer favours symbol 0, which
    the targets never hold) reads the truth exactly where the coin said so: at rate ε."""
    params = R.init_encoder_decoder(N_X, N_A, N_Y, seed=0)
    params["decoder"]["by"] = np.array([[20.0], [0.0], [0.0], [0.0]])  # ŷ ≈ e_0 always
    rng = np.random.default_rng(1)
    m, T_y = 4000, 5
    x = rng.integers(0, N_X, (m, T_X))
    y_in = np.concatenate([np.zeros((m, 1), int), rng.integers(1, N_Y, (m, T_y - 1))], axis=1)
    for epsilon in (0.0, 0.25, 0.8):
        inputs, _ = scheduled_inputs(params, x, y_in, None, epsilon, 3)
        share = np.mean(inputs[:, 1:] == y_in[:, 1:])
        assert abs(share - epsilon) < 4 * np.sqrt(epsilon * (1 - epsilon) / inputs[:, 1:].size) \
            + 1e-12, (epsilon, share)
        assert np.all(inputs[:, 1:][inputs[:, 1:] != y_in[:, 1:]] == 0)  # its own guess


def test_the_same_seed_chooses_the_same_inputs_and_another_seed_others(rng):
    params = perturbed(R.init_encoder_decoder(N_X, N_A, N_Y, seed=6))
    x, y_in, y = task(rng)
    first = scheduled_inputs(params, x, y_in, LENGTHS, 0.5, 21)[0]
    assert np.array_equal(first, scheduled_inputs(params, x, y_in, LENGTHS, 0.5, 21)[0])
    assert not np.array_equal(first, scheduled_inputs(params, x, y_in, LENGTHS, 0.5, 22)[0])
    assert scheduled_sampling_loss(params, x, y_in, y, LENGTHS, 0.5, 21)[0] == \
        scheduled_sampling_loss(params, x, y_in, y, LENGTHS, 0.5, 21)[0]


def test_draw_inverts_the_cumulative_probabilities():
    p = np.array([0.1, 0.6, 0.0, 0.3])[:, None].repeat(3, axis=1)  # (n_y, m)
    assert list(draw(p, np.array([0.05, 0.5, 0.95]))) == [0, 1, 3]
    counts = np.bincount(draw(np.tile(p[:, :1], 40000), np.random.default_rng(0).random(40000)),
                         minlength=4) / 40000
    assert np.allclose(counts, p[:, 0], atol=0.01) and counts[2] == 0


def test_the_three_schedules_are_the_papers():
    i = np.arange(0, 1001, 50)
    assert np.allclose(epsilon_schedule(i, "linear", k=1.0, c=1e-3, floor=0.2),
                       np.maximum(0.2, 1.0 - 1e-3 * i))
    assert np.allclose(epsilon_schedule(i, "exponential", k=0.99), 0.99**i)
    assert np.allclose(epsilon_schedule(i, "inverse-sigmoid", k=50.0), 50 / (50 + np.exp(i / 50)))
    for kind, k in (("linear", 1.0), ("exponential", 0.995), ("inverse-sigmoid", 80.0)):
        eps = epsilon_schedule(i, kind, k=k, c=2e-3)
        assert np.all(np.diff(eps) <= 0) and eps[0] > eps[-1] and np.all((0 <= eps) & (eps <= 1))
    k = 80.0
    assert epsilon_schedule(k * np.log(k), k=k) == pytest.approx(0.5)
    assert epsilon_schedule(0, k=k) == pytest.approx(k / (k + 1))
    assert isinstance(epsilon_schedule(3, k=k), float)
    assert 0.0 <= epsilon_schedule(10**6, k=2.0) < 1e-300  # no overflow far along


@pytest.mark.parametrize("call, message", [
    (lambda: epsilon_schedule(1, "cosine"), r"schedule: expected one of 'linear'"),
    (lambda: epsilon_schedule(1, "exponential", k=1.5), r"k: expected 0 < k < 1"),
    (lambda: epsilon_schedule(1, "inverse-sigmoid", k=0.5), r"k: expected k >= 1"),
])
def test_bad_schedules_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("change, message", [
    ({"epsilon": 1.5}, r"epsilon: expected a probability ε in \[0, 1\]"),
    ({"epsilon": "half"}, r"epsilon: expected a probability"),
    ({"seed": -1}, r"seed: expected an int >= 0"),
    ({"seed": 0.5}, r"seed: expected an int >= 0"),
    ({"y_in": np.zeros((M, T_Y), float)}, r"y_in: expected an int array"),
    ({"y_in": np.zeros((M + 1, T_Y), int)}, r"y_in: expected shape \(m, T_y\)"),
    ({"y_in": np.full((M, T_Y), N_Y)}, r"y_in: expected labels in \[0, n_y\)"),
    ({"cell": "lsmt"}, r"cell: expected one of 'rnn', 'lstm', 'gru'"),
])
def test_bad_arguments_are_named(change, message, rng):
    x, y_in, y = task(rng)
    args = {"params": R.init_encoder_decoder(N_X, N_A, N_Y), "x": x, "y_in": y_in, "y": y,
            "epsilon": 0.5, "seed": 0} | change
    with pytest.raises(ValueError, match=message):
        scheduled_sampling_loss(**args)


def test_error_profile_finds_the_first_mistake_and_what_follows():
    y = np.zeros((4, 5), int)
    guess = y.copy()
    guess[1, 2] = guess[1, 4] = 1  # first mistake at 3, one of the two after it wrong
    guess[2, 0] = 1  # first mistake at 1, none of the four after it wrong
    guess[3, 4] = 1  # a mistake at the last position: nothing after it
    profile = error_profile(guess, y)
    assert profile["exact"] == 0.25
    assert np.allclose(profile["by_position"], [0.25, 0, 0.25, 0, 0.5])
    assert np.allclose(profile["first"], [0.25, 0, 0.25, 0, 0.25])
    assert profile["after_first"] == pytest.approx(1 / 6)  # 1 wrong of 2 + 4 + 0 later places
    assert np.isnan(error_profile(y, y)["after_first"])


def test_scheduled_batches_feed_train_and_are_deterministic(rng):
    params0 = R.init_encoder_decoder(N_X, N_A, N_Y, seed=8)
    x, y_in, y = task(rng)

    def batches(step):
        return x, y_in, y, LENGTHS

    schedule = partial(epsilon_schedule, schedule="linear", k=1.0, c=0.1)
    assert scheduled_batches(batches, schedule)(3)[4:] == (pytest.approx(0.7), 3)
    runs = [R.train(scheduled_sampling_loss, params0, scheduled_batches(batches, schedule),
                    steps=6, progress=False)[0] for _ in range(2)]
    tf = R.train(R.encoder_decoder_loss, params0, batches, steps=6, progress=False)[0]
    first, second, teacher = (flatten(p) for p in (*runs, tf))
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert not all(np.array_equal(first[k], teacher[k]) for k in first)


# What notebook 13 measures: the same start, minibatches and steps, with and without scheduled
# sampling, on held-out dates.
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "13-sequence-to-sequence.ipynb"
N_TRAIN, N_TEST, STEPS, K_TRAINED, SEEDS = 4000, 500, 400, 100, (0, 1, 2, 3, 4)
MOST_GAP, MOST_CHARACTERS = 0.005, 1.5  # "at most a few characters in a thousand", "hardly
# more than one wrong character" per wrong date


def dates_task():
    """Notebook 13's arrays: its 4000 training and 500 held-out dates, built as it builds them."""
    dates = draw_dates(np.random.default_rng(0), N_TRAIN + N_TEST)
    sources = [date_words(d).split() for d in dates]
    targets = [d.isoformat() for d in dates]
    source_vocab = R.Vocabulary.from_sequences(sources, extra=("<pad>",))
    target_vocab = R.Vocabulary.from_sequences(targets, extra=("<s>",))
    start_id = target_vocab.index()["<s>"]
    x, lengths = R.pad_batch([source_vocab.encode(words) for words in sources])
    y = np.stack([target_vocab.encode(t) for t in targets])
    y_in = np.concatenate([np.full((len(y), 1), start_id), y[:, :-1]], axis=1)
    train, test = slice(0, N_TRAIN), slice(N_TRAIN, None)
    return {"train": (x[train], y_in[train], y[train], lengths[train]),
            "test": (x[test], y_in[test], y[test], lengths[test]),
            "n_x": source_vocab.size, "n_y": target_vocab.size, "start": start_id}


def train_both(task, seed):
    """The teacher-forced and the scheduled model from seed's start and minibatches (seed 0:
    exactly notebook 13's). Returns {name: (exact, wrong characters per wrong date, forced,
    free)} on the held-out dates."""
    params0 = R.init_encoder_decoder(task["n_x"], 96, task["n_y"], seed=seed)

    def batches(step):
        return minibatch(step + 1000 * seed, *task["train"])

    schedule = partial(epsilon_schedule, schedule="inverse-sigmoid", k=K_TRAINED)
    runs = {"teacher forcing": (R.encoder_decoder_loss, batches),
            "scheduled sampling": (scheduled_sampling_loss, scheduled_batches(batches, schedule))}
    x, y_in, y, lengths = task["test"]
    found = {}
    for name, (loss, source) in runs.items():
        params, _ = R.train(loss, params0, source, STEPS, optimizer=R.adam(1e-2), clip_norm=5.0,
                            progress=False)
        guess = R.translate(params, x, y.shape[1], task["start"], lengths=lengths)
        wrong = guess != y
        forced, free = forced_and_free_accuracy(params, x, y_in, y, lengths)
        found[name] = (error_profile(guess, y)["exact"],
                       wrong.sum() / max(wrong.any(axis=1).sum(), 1), forced, free)
    return found


def notebook_lines():
    """Notebook 13's printed comparison: {name: (exact, characters per wrong date, forced,
    free)}, and its Markdown in one line."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs)
    prose = " ".join(" ".join(c.source for c in notebook.cells
                              if c.cell_type == "markdown").split())
    found = {}
    for name in ("teacher forcing", "scheduled sampling"):
        exact, per_date, forced, free = re.search(
            name + r": exact ([\d.]+) \(\d+ of \d+ dates wrong\), ([\d.]+) wrong characters per "
            r"wrong date\n\s+characters right reading the true history ([\d.]+), reading its own "
            r"([\d.]+)", text).groups()
        found[name] = tuple(map(float, (exact, per_date, forced, free)))
    return found, prose


def test_notebook_13s_comparison_reads_as_its_prose_says():
    """'On this seed, scheduled sampling ends with fewer held-out dates exactly right than teacher
    forcing ... Reading its own history instead of the true one costs either model at most a few
    characters in a thousand, and a wrong date has, on average, hardly more than one wrong
    character': the lines the notebook printed."""
    found, prose = notebook_lines()
    assert "On this seed, scheduled sampling ends with fewer held-out dates exactly right" in prose
    assert ("costs either model at most a few characters in a thousand, and a wrong date has, on "
            "average, hardly more than one wrong character") in prose
    assert found["scheduled sampling"][0] < found["teacher forcing"][0], found
    for _, per_date, forced, free in found.values():
        assert abs(forced - free) <= MOST_GAP and 1 <= per_date <= MOST_CHARACTERS, found


@pytest.mark.slow
def test_over_five_seeds_scheduled_sampling_brings_no_clear_gain():
    """'over five seeds ... scheduled sampling ended ahead on some and behind on others. At this
    size it brings no clear gain', and on every seed both models' mistakes seldom cascade.
    Seed 0 is the notebook's own run, which must come out as it printed."""
    prose = notebook_lines()[1]
    assert ("over five seeds (this one and four others, trained the same way in "
            "`tests/test_scheduled_sampling.py`) scheduled sampling ended ahead on some and "
            "behind on others") in prose and len(SEEDS) == 5
    task = dates_task()
    runs = {seed: train_both(task, seed) for seed in SEEDS}
    printed = notebook_lines()[0]
    for name in printed:
        assert runs[0][name][0] == pytest.approx(printed[name][0], abs=5e-4), (name, runs[0])
    gains = [r["scheduled sampling"][0] - r["teacher forcing"][0] for r in runs.values()]
    assert min(gains) < 0 < max(gains), gains  # ahead on some seeds, behind on others
    for found in runs.values():
        for _, per_date, forced, free in found.values():
            assert abs(forced - free) <= MOST_GAP and per_date <= MOST_CHARACTERS, runs
