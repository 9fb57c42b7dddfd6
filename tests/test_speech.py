"""rnnlesson.speech: the synthetic utterances of notebooks 04 and 16, their shapes, their
determinism by seed, their label sequences (no phone twice in a row, boundaries never in the
labels), speaking rates, the phone error rate, and the errors on bad input."""

import numpy as np
import pytest

from rnnlesson import ctc_loss
from rnnlesson.speech import (
    PHONES,
    band_energies,
    ctc_dataset,
    edit_distance,
    frame_phones,
    phone_error_rate,
    speech_dataset,
    spoken_phones,
    utterance,
)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---- notebook 04's frame-labelled utterances ------------------------------------------------

def test_an_utterance_has_a_phone_for_every_sample_and_no_phone_twice_in_a_row():
    signal, phone_of_sample = utterance(rng(), n_frames=20, frame=100)
    assert signal.shape == phone_of_sample.shape == (2000,)
    assert set(np.unique(phone_of_sample)) <= set(range(len(PHONES)))
    segments = phone_of_sample[np.r_[True, phone_of_sample[1:] != phone_of_sample[:-1]]]
    assert np.all(segments[1:] != segments[:-1])


def test_band_energies_are_one_column_per_frame():
    signal, _ = utterance(rng(), n_frames=10)
    assert band_energies(signal).shape == (8, 10)
    assert band_energies(signal, n_bands=4).shape == (4, 10)
    assert np.all(np.isfinite(band_energies(signal)))


def test_a_vowel_lights_up_the_bands_of_its_formants():
    """'a' has F1 700 Hz and F2 1200 Hz: the 500-1000 Hz band beats the 3000-3500 Hz one."""
    phones = [PHONES.index("a")]
    signal, _, _ = spoken_phones(rng(), 1, phones=phones)
    energies = band_energies(signal)  # (8, T), bands of 500 Hz
    assert np.all(energies[1] > energies[6])


def test_speech_dataset_shapes_and_frame_labels():
    signals, x, y = speech_dataset(5, rng())
    assert signals.shape == (5, 48 * 200) and x.shape == (8, 5, 48) and y.shape == (5, 48)
    assert y.dtype.kind == "i" and y.min() >= 0 and y.max() < len(PHONES)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    a, b, c = speech_dataset(3, rng(1)), speech_dataset(3, rng(1)), speech_dataset(3, rng(2))
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


# ---- notebook 16's utterances with phone sequences only -------------------------------------

def test_spoken_phones_says_the_phones_given_in_order():
    said = [0, 1, 3, 2, 0]
    signal, phone_of_sample, phones = spoken_phones(rng(), 5, phones=said)
    assert phones.tolist() == said
    assert signal.shape == phone_of_sample.shape and signal.size % 200 == 0
    runs = phone_of_sample[np.r_[True, phone_of_sample[1:] != phone_of_sample[:-1]]]
    assert runs.tolist() == said


@pytest.mark.parametrize("seed", range(5))
def test_faster_speech_takes_fewer_frames(seed):
    frames = [band_energies(spoken_phones(rng(seed), 5, speed)[0]).shape[1]
              for speed in (0.75, 1.0, 1.5)]
    assert frames[0] > frames[1] > frames[2], frames


def test_segments_last_4_to_12_frames_at_the_normal_rate():
    for seed in range(20):
        _, phone_of_sample, _ = spoken_phones(rng(seed), 4, frame=10)
        starts = np.flatnonzero(np.r_[True, phone_of_sample[1:] != phone_of_sample[:-1]])
        lengths = np.diff(np.r_[starts, phone_of_sample.size])[:-1]  # the last is rounded up
        assert np.all((lengths >= 40) & (lengths < 120)), lengths


@pytest.fixture(scope="module")
def data():
    return ctc_dataset(30, rng(3))


def test_ctc_dataset_shapes(data):
    m = 30
    T_x, S = data["x"].shape[2], data["labels"].shape[1]
    assert data["x"].shape == (8, m, T_x)
    assert data["input_lengths"].shape == data["label_lengths"].shape == (m,)
    assert data["labels"].shape == (m, S) and data["frames"].shape == (m, T_x)
    assert data["input_lengths"].max() == T_x and data["label_lengths"].max() == S
    assert data["label_lengths"].min() >= 3 and S <= 6


def test_the_padding_is_zero_and_unlabelled(data):
    beyond = np.arange(data["x"].shape[2]) >= data["input_lengths"][:, None]  # (m, T_x)
    assert np.all(data["x"][:, beyond] == 0) and np.all(data["frames"][beyond] == -1)
    assert np.all(data["frames"][~beyond] >= 0)
    past = np.arange(data["labels"].shape[1]) >= data["label_lengths"][:, None]
    assert np.all(data["labels"][past] == 0)


def test_labels_are_the_phone_sequence_shifted_past_the_blank_never_repeated(data):
    for i in range(30):
        labels = data["labels"][i, :data["label_lengths"][i]]
        assert labels.min() >= 1 and labels.max() <= len(PHONES)  # 0 is CTC's blank
        assert np.all(labels[1:] != labels[:-1])
        frames = data["frames"][i, :data["input_lengths"][i]]
        runs = frames[np.r_[True, frames[1:] != frames[:-1]]]
        assert (runs + 1).tolist() == labels.tolist(), "the frames hold the phones in order"


def test_the_speeds_cycle_and_slower_utterances_are_longer(data):
    assert data["speeds"].tolist() == [0.75, 1.0, 1.5] * 10
    mean = {s: data["input_lengths"][data["speeds"] == s].mean() for s in (0.75, 1.0, 1.5)}
    assert mean[0.75] > mean[1.0] > mean[1.5]


def test_the_same_seed_gives_the_same_ctc_data():
    a, b = ctc_dataset(4, rng(5)), ctc_dataset(4, rng(5))
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_ctc_accepts_the_dataset_as_it_is(data):
    T_x = data["x"].shape[2]
    logits = rng().normal(size=(len(PHONES) + 1, 30, T_x))
    loss, dlogits = ctc_loss(logits, data["labels"], data["input_lengths"], data["label_lengths"])
    assert np.isfinite(loss) and dlogits.shape == logits.shape


def test_frame_phones_reads_each_frames_centre():
    phone_of_sample = np.repeat([0, 1, 2], [4, 4, 4])
    assert frame_phones(phone_of_sample, frame=4).tolist() == [0, 1, 2]
    assert frame_phones(np.repeat([0, 1], [2, 6]), frame=4).tolist() == [1, 1]  # sample 2


# ---- the phone error rate -------------------------------------------------------------------

@pytest.mark.parametrize("a, b, distance", [
    ([], [], 0), ([1, 2, 3], [1, 2, 3], 0), ([1, 2, 3], [1, 3], 1), ([1, 3], [1, 2, 3], 1),
    ([1, 2, 3], [1, 4, 3], 1), ([], [1, 2], 2), ([1, 2, 3, 4], [4, 3, 2, 1], 4),
    ([2, 1, 2], [1, 2, 1], 2),
])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_phone_error_rate_sums_the_edits_over_the_true_phones():
    assert phone_error_rate([[1, 2], [3]], [[1, 2, 3], [3]]) == pytest.approx(1 / 4)
    assert phone_error_rate([[1], [2]], [[1], [2]]) == 0.0
    assert phone_error_rate([[1, 2, 1, 2]], [[1]]) == 3.0  # insertions can exceed 1


# ---- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, names", [
    (lambda: utterance(rng(), n_frames=0), "n_frames"),
    (lambda: utterance(rng(), frame=2.5), "frame"),
    (lambda: spoken_phones(rng(), 3, speed=0), "speed"),
    (lambda: spoken_phones(rng(), 3, speed="fast"), "speed"),
    (lambda: spoken_phones(rng(), 0), "n_phones"),
    (lambda: spoken_phones(rng(), 3, phones=[1, 1, 2]), "twice in a row"),
    (lambda: spoken_phones(rng(), 3, phones=[1, 2, 9]), "phones"),
    (lambda: spoken_phones(rng(), 3, phones=[1, 2]), "phones"),
    (lambda: band_energies(np.zeros(150), frame=200), "multiple of frame"),
    (lambda: band_energies([0.0] * 200), "signal"),
    (lambda: band_energies(np.zeros(200), n_bands=200), "n_bands"),
    (lambda: speech_dataset(0, rng()), "m"),
    (lambda: ctc_dataset(3, rng(), speeds=()), "speeds"),
    (lambda: ctc_dataset(3, rng(), speeds=(1.0, -1.0)), "speed"),
    (lambda: ctc_dataset(3, rng(), n_phones=(5, 2)), "fewest <= most"),
    (lambda: ctc_dataset(3, rng(), n_phones=4), "n_phones"),
    (lambda: phone_error_rate([[1]], [[1], [2]]), "decoded"),
    (lambda: phone_error_rate([[]], [[]]), "truth"),
])
def test_bad_arguments_are_named(call, names):
    with pytest.raises(ValueError, match=names):
        call()
