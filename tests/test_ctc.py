"""CTC: the recursions against every alignment listed, the gradient against centred differences,
invariances, long sequences, clear errors, the two decoders, and (optionally) torch's CTCLoss."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlesson import ctc
from rnnlesson.ctc import (
    ctc_forward_backward,
    ctc_greedy_decode,
    ctc_log_likelihood,
    ctc_loss,
    ctc_prefix_beam_search,
    extend_labels,
    log_softmax,
)
from rnnlesson.gradcheck import gradient_check

TOL = 1e-7

# A padded batch: n_y = 4 symbols (blank 0), m = 3, T_x = 6; example 0 repeats a label.
LOGITS_SHAPE = (4, 3, 6)
LABELS = np.array([[1, 2, 2], [3, 1, -7], [2, 9, 9]])  # beyond label_lengths: anything
LABEL_LENGTHS = np.array([3, 2, 1])
INPUT_LENGTHS = np.array([6, 4, 5])


def collapse(path, blank):
    """B(π): merge repeats, then drop blanks."""
    return tuple(k for j, k in enumerate(path) if k != blank and (j == 0 or k != path[j - 1]))


def brute_force(log_y, blank):
    """{labelling: p(labelling | x)} summed over all n_y^T alignments; log_y (n_y, T)."""
    n_y, T = log_y.shape
    y = np.exp(log_y)
    probabilities = {}
    for path in itertools.product(range(n_y), repeat=T):
        labelling = collapse(path, blank)
        p = np.prod(y[list(path), np.arange(T)])
        probabilities[labelling] = probabilities.get(labelling, 0.0) + p
    return probabilities


def loss_fn(labels, input_lengths, label_lengths, blank):
    """params {"logits": (n_y, m, T_x)} -> (loss, {"dlogits": ...}), as gradient_check calls it."""
    def loss_and_grads(params):
        loss, dlogits = ctc_loss(params["logits"], labels, input_lengths, label_lengths, blank)
        return loss, {"dlogits": dlogits}
    return loss_and_grads


def batch_args(rng, scale=1.0):
    return scale * rng.normal(size=LOGITS_SHAPE), LABELS, INPUT_LENGTHS, LABEL_LENGTHS


# The recursions against the definition: every alignment listed.

@settings(max_examples=60, deadline=None)
@given(n_y=st.integers(2, 3), m=st.integers(1, 3), T_x=st.integers(1, 5),
       seed=st.integers(0, 2**16), data=st.data())
def test_likelihood_is_the_sum_over_all_alignments(n_y, m, T_x, seed, data):
    """p(l | x) equals the brute-force sum for every example; where no alignment collapses to
    the labels, the call says which example cannot fit instead of returning log 0."""
    rng = np.random.default_rng(seed)
    blank = data.draw(st.integers(0, n_y - 1))
    input_lengths = np.array(data.draw(st.lists(st.integers(1, T_x), min_size=m, max_size=m)))
    label_lengths = np.array(data.draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)))
    labels = rng.choice([k for k in range(n_y) if k != blank], size=(m, 3))
    beyond = np.arange(3) >= label_lengths[:, None]
    labels[beyond] = rng.integers(-5, 10, size=beyond.sum())
    logits = 2.0 * rng.normal(size=(n_y, m, T_x))
    log_y = log_softmax(logits)
    exact = np.array([brute_force(log_y[:, i, :T], blank).get(tuple(labels[i, :S]), 0.0)
                      for i, (T, S) in enumerate(zip(input_lengths, label_lengths, strict=True))])
    args = (logits, labels, input_lengths, label_lengths, blank)
    if np.any(exact == 0.0):
        with pytest.raises(ValueError, match=rf"example {np.argmax(exact == 0.0)}: label length"):
            ctc_log_likelihood(*args)
    else:
        np.testing.assert_allclose(np.exp(ctc_log_likelihood(*args)), exact, rtol=1e-12)
        loss, _ = ctc_loss(*args)
        assert loss == pytest.approx(-np.log(exact).mean(), rel=1e-12)


def test_alpha_beta_give_p_at_every_frame(rng):
    """Σ_s α_t(s) β_t(s) = p at every frame t < T_i: β agrees with α."""
    logits, labels, input_lengths, label_lengths = batch_args(rng)
    l_ext, skip = extend_labels(labels, label_lengths)
    log_alpha, log_beta, log_p = ctc_forward_backward(log_softmax(logits), l_ext, skip,
                                                      input_lengths, label_lengths)
    through = np.logaddexp.reduce(log_alpha + log_beta, axis=0)  # (m, T_x)
    for i, T in enumerate(input_lengths):
        np.testing.assert_allclose(through[i, :T], log_p[i], rtol=1e-12)
        assert np.all(through[i, T:] == -np.inf)


def test_extended_labels_and_skips():
    l_ext, skip = extend_labels(np.array([[1, 2, 2], [3, 5, 5]]), np.array([3, 1]))
    assert l_ext[:, 0].tolist() == [0, 1, 0, 2, 0, 2, 0]
    assert l_ext[:, 1].tolist() == [0, 3, 0, 0, 0, 0, 0]
    assert skip[:, 0].tolist() == [False, False, False, True, False, False, False]
    assert not skip[:, 1].any()


def test_no_labels_at_all_is_the_all_blank_path(rng):
    """labels (m, 0): the only alignment is blank at every frame."""
    logits = rng.normal(size=(3, 2, 4))
    log_p = ctc_log_likelihood(logits, np.zeros((2, 0), dtype=int), [4, 2], [0, 0], blank=1)
    log_y = log_softmax(logits)
    np.testing.assert_allclose(log_p, [log_y[1, 0].sum(), log_y[1, 1, :2].sum()], rtol=1e-14)


# The gradient against centred differences.

GRADIENT_CASES = {
    "padded batch with a repeat": (LABELS, INPUT_LENGTHS, LABEL_LENGTHS, 0),
    "empty label and a tight fit": (np.array([[1, 1, 0], [2, 3, 1], [1, 2, 1]]),
                                    np.array([3, 2, 6]), np.array([0, 2, 3]), 0),
    "blank last": (np.array([[0, 0, 2], [1, 2, 0], [2, 2, 2]]), np.array([6, 5, 6]),
                   np.array([3, 2, 3]), 3),
}


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradient_matches_centred_differences(case, rng):
    labels, input_lengths, label_lengths, blank = GRADIENT_CASES[case]
    logits = 1.5 * rng.normal(size=LOGITS_SHAPE)
    errors = gradient_check(loss_fn(labels, input_lengths, label_lengths, blank),
                            {"logits": logits})
    assert errors["logits"] < TOL, f"relative error {errors['logits']:.2e}"
    _, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths, blank)
    for i, T in enumerate(input_lengths):
        assert np.all(dlogits[:, i, T:] == 0.0)


@settings(max_examples=15, deadline=None)
@given(n_y=st.integers(2, 4), m=st.integers(1, 3), T_x=st.integers(1, 5),
       seed=st.integers(0, 2**16), data=st.data())
def test_gradient_matches_centred_differences_for_any_batch(n_y, m, T_x, seed, data):
    rng = np.random.default_rng(seed)
    blank = data.draw(st.integers(0, n_y - 1))
    input_lengths = np.array(data.draw(st.lists(st.integers(1, T_x), min_size=m, max_size=m)))
    label_lengths = rng.integers(0, input_lengths // 2 + 1)  # S_i + repeats <= 2 S_i <= T_i
    labels = rng.choice([k for k in range(n_y) if k != blank], size=(m, T_x // 2))
    logits = 2.0 * rng.normal(size=(n_y, m, T_x))
    errors = gradient_check(loss_fn(labels, input_lengths, label_lengths, blank),
                            {"logits": logits})
    assert errors["logits"] < TOL, f"relative error {errors['logits']:.2e}"


# Invariances.

def test_padding_beyond_the_lengths_changes_nothing(rng):
    logits, labels, input_lengths, label_lengths = batch_args(rng)
    loss, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths)
    log_p = ctc_log_likelihood(logits, labels, input_lengths, label_lengths)
    garbage = logits.copy()
    for i, T in enumerate(input_lengths):
        garbage[:, i, T:] = 50.0 * rng.normal(size=garbage[:, i, T:].shape)
    longer = np.concatenate([garbage, 50.0 * rng.normal(size=(4, 3, 3))], axis=2)
    wider = np.concatenate([labels, rng.integers(-100, 100, size=(3, 4))], axis=1)
    for i, S in enumerate(label_lengths):
        wider[i, S:] = rng.integers(-100, 100, size=wider.shape[1] - S)
    loss2, dlogits2 = ctc_loss(longer, wider, input_lengths, label_lengths)
    assert loss2 == loss
    np.testing.assert_array_equal(dlogits2[:, :, :6], dlogits)
    assert np.all(dlogits2[:, :, 6:] == 0.0)
    np.testing.assert_array_equal(ctc_log_likelihood(longer, wider, input_lengths,
                                                     label_lengths), log_p)


def test_adding_a_constant_to_a_frame_changes_nothing(rng):
    logits, labels, input_lengths, label_lengths = batch_args(rng)
    loss, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths)
    shifted = logits + 100.0 * rng.normal(size=(1,) + logits.shape[1:])
    loss2, dlogits2 = ctc_loss(shifted, labels, input_lengths, label_lengths)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(dlogits2, dlogits, rtol=0, atol=1e-12)


def test_permuting_the_batch_permutes_the_values(rng):
    logits, labels, input_lengths, label_lengths = batch_args(rng)
    log_p = ctc_log_likelihood(logits, labels, input_lengths, label_lengths)
    _, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths)
    order = np.array([2, 0, 1])
    permuted = (logits[:, order], labels[order], input_lengths[order], label_lengths[order])
    np.testing.assert_allclose(ctc_log_likelihood(*permuted), log_p[order], rtol=1e-14)
    np.testing.assert_allclose(ctc_loss(*permuted)[1], dlogits[:, order], rtol=0, atol=1e-15)


# Long sequences: no underflow in log space.

def test_hundreds_of_frames_and_large_logits_stay_finite(rng):
    n_y, m, T_x = 5, 3, 500
    logits = 30.0 * rng.normal(size=(n_y, m, T_x))
    labels = rng.integers(1, n_y, size=(m, 80))
    input_lengths, label_lengths = np.array([500, 400, 317]), np.array([80, 0, 60])
    loss, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths)
    assert np.isfinite(loss) and loss > 1000  # p far below the smallest float64
    assert np.all(np.isfinite(dlogits))
    # Σ_k (y_t(k) - γ_t(k)) = 1 - Σ_s α_t(s) β_t(s) / p = 0 at every frame, up to the rounding
    # of log α + log β - log p, sums of magnitude |log p| ~ 1e4 (1e4 * 2e-16 = 2e-12)
    np.testing.assert_allclose(dlogits.sum(axis=0), 0.0, atol=1e-10)
    # the empty label has one alignment, all blanks: log p = Σ_t log y_t(blank)
    log_y = log_softmax(logits)
    log_p = ctc_log_likelihood(logits, labels, input_lengths, label_lengths)
    assert log_p[1] == pytest.approx(log_y[0, 1, :400].sum(), rel=1e-12)


def test_a_label_as_long_as_its_frames_has_one_alignment(rng):
    n_y, T_x = 6, 500
    labels = np.arange(T_x)[None, :] % (n_y - 1) + 1  # 1 2 3 4 5 1 2 ...: no repeats
    logits = 20.0 * rng.normal(size=(n_y, 1, T_x))
    log_p = ctc_log_likelihood(logits, labels, [T_x], [T_x])
    expected = log_softmax(logits)[labels[0], 0, np.arange(T_x)].sum()
    assert log_p[0] == pytest.approx(expected, rel=1e-12)


# Clear errors.

def bad_case(**changes):
    args = {"logits": np.zeros((3, 2, 4)), "labels": np.array([[1, 2], [2, 2]]),
            "input_lengths": np.array([4, 4]), "label_lengths": np.array([2, 2]), "blank": 0}
    args.update(changes)
    return args


BAD_INPUTS = [
    (bad_case(input_lengths=np.array([4, 2])),
     r"^labels: expected every label sequence to fit its frames.*got example 1: label length 2 "
     r"with 1 repeat needs 3 frames, but input_lengths\[1\] = 2 frames"),
    (bad_case(labels=np.array([[1, 1], [1, 1]]), input_lengths=np.array([2, 4])),
     r"example 0: label length 2 with 1 repeat needs 3 frames, but input_lengths\[0\] = 2"),
    (bad_case(labels=np.array([[1, 2], [0, 2]])),
     r"^labels: expected ids in \[0, n_y\) = \[0, 3\) other than the blank 0.*"
     r"got 0 at labels\[1, 0\] \(example 1\)"),
    (bad_case(labels=np.array([[1, 3], [1, 2]])),
     r"^labels: expected ids in \[0, n_y\) = \[0, 3\).*got 3 at labels\[0, 1\]"),
    (bad_case(labels=np.array([[1.0, 2.0], [2.0, 1.0]])),
     r"^labels: expected an int array of label ids \(m, S\) with m = 2, got .*float64"),
    (bad_case(labels=np.array([[1, 2]])),
     r"^labels: expected an int array of label ids \(m, S\) with m = 2, got .*shape \(1, 2\)"),
    (bad_case(input_lengths=np.array([4, 5])),
     r"^input_lengths: expected every length in \[1, T_x\] = \[1, 4\], got lengths from 4 to 5"),
    (bad_case(input_lengths=np.array([4, 0])),
     r"^input_lengths: expected every length in \[1, T_x\].*from 0 to 4"),
    (bad_case(input_lengths=np.array([4.0, 4.0])),
     r"^input_lengths: expected 2 integer lengths, shape \(m,\) = \(2,\)"),
    (bad_case(input_lengths=None), r"^input_lengths: expected 2 integer lengths"),
    (bad_case(label_lengths=np.array([2, 3])),
     r"^label_lengths: expected every length in \[0, S\] = \[0, 2\], got lengths from 2 to 3"),
    (bad_case(label_lengths=np.array([2.0, 1.0])), r"^label_lengths: expected 2 integer lengths"),
    (bad_case(logits=np.zeros((3, 2, 4), dtype=int)),
     r"^logits: expected a float array of scores \(n_y, m, T_x\).*got .*int"),
    (bad_case(logits=np.zeros((3, 8))), r"^logits: expected a float array .*shape \(3, 8\)"),
    (bad_case(logits=np.zeros((1, 2, 4))), r"^logits: expected .*n_y >= 2.*shape \(1, 2, 4\)"),
    (bad_case(logits=np.full((3, 2, 4), np.nan)),
     r"^logits: expected finite numbers, got 24 NaN or infinite"),
    (bad_case(blank=3), r"^blank: expected the blank's id, an int in \[0, n_y\) = \[0, 3\)"),
    (bad_case(blank=0.0), r"^blank: expected the blank's id.*got 0.0 \(float\)"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_says_what_is_wrong(args, message):
    for function in (ctc_loss, ctc_log_likelihood):
        with pytest.raises(ValueError, match=message):
            function(**args)


@pytest.mark.parametrize("decode", [
    lambda logits, lengths: ctc_greedy_decode(logits, lengths),
    lambda logits, lengths: ctc_prefix_beam_search(logits, lengths, beam_width=2),
], ids=["greedy", "beam"])
def test_decoders_check_their_input(decode):
    with pytest.raises(ValueError, match=r"^input_lengths: expected every length in \[1, T_x\]"):
        decode(np.zeros((3, 1, 4)), [5])
    with pytest.raises(ValueError, match=r"^logits: expected a float array"):
        decode(np.zeros((3, 4)), [4])


def test_beam_width_must_be_a_positive_integer():
    with pytest.raises(ValueError, match=r"^beam_width: expected a finite number > 0, got 0"):
        ctc_prefix_beam_search(np.zeros((3, 1, 4)), [4], beam_width=0)


# Decoding.

def frames(*symbols, n_y=3):
    """Logits (n_y, 1, T) whose argmax at frame t is symbols[t]."""
    logits = np.zeros((n_y, 1, len(symbols)))
    logits[list(symbols), 0, np.arange(len(symbols))] = 5.0
    return logits


def test_greedy_decode_merges_repeats_then_drops_blanks():
    a, b, blank = 1, 2, 0
    logits = np.concatenate([frames(a, a, blank, a, b, b, a),
                             frames(blank, blank, blank, blank, blank, blank, blank)], axis=1)
    assert ctc_greedy_decode(logits, [6, 7]) == [[a, a, b], []]
    assert ctc_greedy_decode(logits, [7, 7]) == [[a, a, b, a], []]
    assert ctc_greedy_decode(frames(a, a, b, b, 0, 0), [6], blank=b) == [[a, 0]]


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 5), blank=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_wide_prefix_beam_search_is_exact(T, blank, seed):
    """A beam that keeps every prefix returns every labelling with its exact probability."""
    logits = 2.0 * np.random.default_rng(seed).normal(size=(3, 1, T))
    exact = brute_force(log_softmax(logits)[:, 0], blank)
    found = ctc_prefix_beam_search(logits, [T], beam_width=10**4, blank=blank)[0]
    assert found[0][0] == max(exact, key=exact.get)
    assert {prefix for prefix, _ in found} == set(exact)
    for prefix, log_p in found:
        assert np.exp(log_p) == pytest.approx(exact[prefix], rel=1e-12)


def test_narrow_prefix_beam_search_keeps_the_likeliest_and_underestimates(rng):
    logits = rng.normal(size=(3, 2, 5))
    beams = ctc_prefix_beam_search(logits, [5, 3], beam_width=2)
    for i, T in enumerate([5, 3]):
        exact = brute_force(log_softmax(logits)[:, i, :T], blank=0)
        scores = [log_p for _, log_p in beams[i]]
        assert len(scores) == 2 and scores == sorted(scores, reverse=True)
        for prefix, log_p in beams[i]:  # pruning only drops alignments
            assert np.exp(log_p) <= exact[prefix] * (1 + 1e-12)


def test_the_likeliest_labelling_need_not_be_the_best_path():
    """y_t = (blank 0.6, a 0.4) on two frames: the best path is blank blank (0.36), but the
    labelling a sums three alignments, a a + a - + - a = 0.16 + 0.24 + 0.24 = 0.64."""
    logits = np.log(np.array([[0.6, 0.6], [0.4, 0.4]]))[:, None, :]  # (n_y, m, T_x)
    assert ctc_greedy_decode(logits, [2]) == [[]]
    beams = ctc_prefix_beam_search(logits, [2], beam_width=4)[0]
    assert [prefix for prefix, _ in beams] == [(1,), ()]
    assert np.exp([log_p for _, log_p in beams]) == pytest.approx([0.64, 0.36], rel=1e-12)


def test_no_function_modifies_its_arguments(rng):
    args = batch_args(rng)
    saved = [np.copy(a) for a in args]
    ctc_loss(*args)
    ctc_log_likelihood(*args)
    ctc_greedy_decode(args[0], args[2])
    ctc_prefix_beam_search(args[0], args[2], beam_width=3)
    for before, after in zip(saved, args, strict=True):
        np.testing.assert_array_equal(before, after)


# PyTorch, optional: never a dependency.

@pytest.mark.parametrize("blank", [0, 3])
@pytest.mark.parametrize("T_x", [6, 500])
def test_against_torch_ctc_loss(T_x, blank, rng):
    torch = pytest.importorskip("torch")
    n_y, m = 4, 3
    logits = 3.0 * rng.normal(size=(n_y, m, T_x))
    S = max(3, T_x // 10)
    labels = rng.choice([k for k in range(n_y) if k != blank], size=(m, S))
    input_lengths = np.array([T_x, T_x - 2, T_x // 2])
    label_lengths = np.array([S, 0, min(S, T_x // 4)])
    z = torch.tensor(logits, requires_grad=True)
    log_probs = torch.log_softmax(z, dim=0).permute(2, 1, 0)  # torch wants (T, N, C)
    per_example = torch.nn.CTCLoss(blank=blank, reduction="none", zero_infinity=False)(
        log_probs, torch.from_numpy(labels), torch.from_numpy(input_lengths),
        torch.from_numpy(label_lengths))
    per_example.mean().backward()
    log_p = ctc_log_likelihood(logits, labels, input_lengths, label_lengths, blank)
    np.testing.assert_allclose(-log_p, per_example.detach().numpy(), rtol=1e-10)
    loss, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths, blank)
    assert loss == pytest.approx(per_example.mean().item(), rel=1e-10)
    np.testing.assert_allclose(dlogits, z.grad.numpy(), rtol=0, atol=1e-12)


# The fast recursion beside the lesson's.

@pytest.mark.parametrize("scale", [1.0, 10.0, 30.0])
def test_the_scaled_recursion_equals_the_log_space_one(scale, rng):
    """ctc_loss's rescaled recursion on probabilities gives the lesson's γ and log p."""
    for _ in range(20):
        n_y, m, T_x = int(rng.integers(2, 7)), int(rng.integers(1, 5)), int(rng.integers(1, 40))
        logits = scale * rng.normal(size=(n_y, m, T_x))
        input_lengths = rng.integers(1, T_x + 1, size=m)
        S = int(rng.integers(0, 8))
        labels = rng.integers(1, n_y, size=(m, S))
        label_lengths = np.minimum(rng.integers(0, S + 1, size=m), input_lengths // 2)
        log_y = log_softmax(logits)
        l_ext, skip = ctc.extend_labels(labels, label_lengths)
        log_alpha, log_beta, log_p = ctc.ctc_forward_backward(log_y, l_ext, skip,
                                                              input_lengths, label_lengths)
        y_ext = np.exp(log_y.transpose(2, 0, 1)[:, l_ext, np.arange(m)])
        y_ext *= np.arange(len(l_ext))[:, None] <= 2 * label_lengths
        gamma, fast_log_p, holds = ctc.ctc_forward_backward_scaled(y_ext, skip, input_lengths,
                                                                   label_lengths)
        assert holds
        np.testing.assert_allclose(fast_log_p, log_p, rtol=1e-11, atol=1e-11)
        expected = np.exp(log_alpha + log_beta - log_p[None, :, None]).transpose(2, 0, 1)
        np.testing.assert_allclose(gamma, expected, rtol=0, atol=1e-10)


def test_where_ratios_leave_float64_the_loss_falls_back_to_log_space(rng):
    """Logits so large that whole frames of rescaled products underflow: the fast
    recursion says it does not hold, and the loss is the lesson's."""
    n_y, m, T_x = 4, 2, 60
    logits = 400.0 * rng.normal(size=(n_y, m, T_x))
    labels, label_lengths = rng.integers(1, n_y, size=(m, 20)), np.array([20, 12])
    input_lengths = np.array([60, 45])
    log_y = log_softmax(logits)
    l_ext, skip = ctc.extend_labels(labels, label_lengths)
    y_ext = np.exp(log_y.transpose(2, 0, 1)[:, l_ext, np.arange(m)])
    y_ext *= np.arange(len(l_ext))[:, None] <= 2 * label_lengths
    assert not ctc.ctc_forward_backward_scaled(y_ext, skip, input_lengths, label_lengths)[2]
    loss, dlogits = ctc_loss(logits, labels, input_lengths, label_lengths)
    log_p = ctc_log_likelihood(logits, labels, input_lengths, label_lengths)
    assert loss == pytest.approx(-log_p.mean(), rel=1e-12)
    assert np.all(np.isfinite(dlogits))
    np.testing.assert_allclose(dlogits.sum(axis=0), 0.0, atol=1e-9)
