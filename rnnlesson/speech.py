"""Synthetic speech: vowels made of formant sine waves in noise, cut into frames of band energies.

Letters: n_x frequency bands (the features of a frame), m utterances, T_x frames (padded to the
longest utterance of a batch), S phones at most in a label sequence. A recording is `rate`
samples per second; a frame is `frame` samples (200 at 8000 Hz: 25 ms).

A vowel is mostly two resonances of the vocal tract, its formants F1 and F2; each vowel phone
here is two sine waves at roughly a speaker's F1 and F2 for *a*, *i* and *u*, and "sil" is noise
alone. An utterance strings segments of phones together, never the same phone twice in a row
(two equal segments side by side would sound as one), and adds noise as loud as the vowels.
Each utterance has its own speaker, whose formants are shifted by up to 10%.

Notebook 04 labels every frame (`speech_dataset`); notebook 16 keeps only the phone sequence
and lets CTC find the alignment (`ctc_dataset`), at several speaking rates. `edit_distance` and
`phone_error_rate` score a decoded phone sequence against the true one.
"""

import numpy as np

from rnnlesson._validate import describe, fail

PHONES = ("sil", "a", "i", "u")
FORMANTS = {"a": (700, 1200), "i": (300, 2300), "u": (300, 800)}  # Hz, roughly a speaker's F1, F2
PHONE_COLORS = ("lightgrey", "tab:orange", "tab:purple", "tab:brown")  # for drawing PHONES
SEGMENT_FRAMES = (4, 12)  # a segment lasts from 4 to 12 frames at the normal speaking rate


def next_phone(rng, previous):
    """A phone id drawn uniformly from PHONES, other than previous (-1 for none)."""
    return int(rng.choice([p for p in range(len(PHONES)) if p != previous]))


def synthesise(rng, phone_of_sample, rate=8000):
    """The recording of phone_of_sample (n,) phone ids, one per sample: signal (n,).
    Draws the speaker's formant shift, then the noise."""
    n = len(phone_of_sample)
    t = np.arange(n) / rate
    speaker = rng.uniform(0.9, 1.1)  # shifts every formant of this speaker
    signal = rng.normal(size=n)  # noise as loud as the vowels
    for phone, (f1, f2) in FORMANTS.items():
        on = phone_of_sample == PHONES.index(phone)
        signal[on] += (np.sin(2 * np.pi * speaker * f1 * t[on])
                       + 0.5 * np.sin(2 * np.pi * speaker * f2 * t[on]))
    return signal


def utterance(rng, n_frames=48, frame=200, rate=8000):
    """A recording of n_frames frames filled with random segments of 4 to 12 frames:
    signal (n_frames * frame,) and the phone id of every sample (n_frames * frame,)."""
    n_frames = check_count("n_frames", n_frames)
    frame = check_count("frame", frame)
    n = n_frames * frame
    phone_of_sample = np.zeros(n, dtype=int)
    start, previous = 0, -1
    low, high = SEGMENT_FRAMES
    while start < n:  # the last segment is cut where the recording ends
        phone = next_phone(rng, previous)
        length = int(rng.integers(low * frame, high * frame))
        phone_of_sample[start:start + length] = previous = phone
        start += length
    return synthesise(rng, phone_of_sample, rate), phone_of_sample


def spoken_phones(rng, n_phones, speed=1.0, frame=200, rate=8000, phones=None):
    """A recording of n_phones random phones said at a speaking rate: speed 2 says each
    segment in half the time of speed 1 (4 to 12 frames). The recording is rounded up to
    whole frames, the last segment lengthened. phones: the PHONES ids to say instead of random
    ones (n_phones of them, none twice in a row). Returns signal (T * frame,), the phone id of
    every sample (T * frame,) and the phone sequence (n_phones,): the label, no boundaries."""
    n_phones = check_count("n_phones", n_phones)
    speed = check_speed(speed)
    frame = check_count("frame", frame)
    if phones is None:
        phones, previous = [], -1
        for _ in range(n_phones):
            previous = next_phone(rng, previous)
            phones.append(previous)
    else:
        phones = check_phones(phones, n_phones)
    low, high = SEGMENT_FRAMES
    samples = np.maximum(rng.integers(low * frame, high * frame, size=n_phones) / speed,
                         frame).astype(int)  # at least one frame each
    n = -(-samples.sum() // frame) * frame  # whole frames
    samples[-1] += n - samples.sum()
    phone_of_sample = np.repeat(phones, samples)
    return synthesise(rng, phone_of_sample, rate), phone_of_sample, np.array(phones)


def band_energies(signal, frame=200, n_bands=8):
    """Log energy in n_bands equal frequency bands (0 to rate / 2) for every frame of
    signal (T * frame,): (n_bands, T)."""
    frame = check_count("frame", frame)
    n_bands = check_count("n_bands", n_bands)
    if not isinstance(signal, np.ndarray) or signal.ndim != 1 or signal.size % frame \
            or signal.size == 0:
        fail("signal", f"a 1-d array of whole frames, a multiple of frame = {frame} samples",
             describe(signal) if not isinstance(signal, np.ndarray) or signal.ndim != 1
             else f"{signal.size} samples")
    if n_bands > frame // 2:
        fail("n_bands", f"at most frame / 2 = {frame // 2} bands (a frame's frequencies)",
             n_bands)
    frames = signal.reshape(-1, frame) * np.hanning(frame)
    power = np.abs(np.fft.rfft(frames, axis=1)[:, 1:]) ** 2  # drop the constant term
    bands = np.array_split(power, n_bands, axis=1)
    return np.log(np.stack([band.sum(axis=1) for band in bands]) + 1e-3)


def frame_phones(phone_of_sample, frame=200):
    """The phone at the centre of each frame: (T,) from (T * frame,)."""
    return phone_of_sample[frame // 2::frame]


def speech_dataset(m, rng, frame=200):
    """m utterances of 48 frames, every frame labelled: signals (m, 48 * frame),
    features x (n_x, m, T_x) with n_x = 8 bands and T_x = 48, frame labels y (m, T_x)."""
    m = check_count("m", m)
    signals, phones = zip(*(utterance(rng, frame=frame) for _ in range(m)), strict=True)
    x = np.stack([band_energies(s, frame) for s in signals], axis=1)
    y = np.stack([frame_phones(p, frame) for p in phones])
    return np.array(signals), x, y


def ctc_dataset(m, rng, speeds=(0.75, 1.0, 1.5), n_phones=(3, 6), frame=200):
    """m utterances for a recogniser that is told the phones but not where they are.

    Utterance i is said at speed speeds[i % len(speeds)] and holds n_phones[0] to n_phones[1]
    phones. Returns a dict of
      x (n_x, m, T_x): band energies, 0 beyond each utterance's own length;
      input_lengths (m,): T_i, the frames of utterance i;
      labels (m, S) int: the phone sequences, ids 1 + PHONES index (0 is CTC's blank),
        padded with 0 beyond label_lengths (m,);
      frames (m, T_x) int: the true phone at each frame (PHONES index, -1 beyond T_i), for
        drawing and checking only: a recogniser trained with CTC never sees it;
      speeds (m,): each utterance's speaking rate.
    """
    m = check_count("m", m)
    if not isinstance(speeds, (tuple, list)) or not speeds:
        fail("speeds", "a non-empty tuple of speaking rates, e.g. (0.75, 1.0, 1.5)",
             describe(speeds))
    speeds = [check_speed(s) for s in speeds]
    if not isinstance(n_phones, (tuple, list)) or len(n_phones) != 2:
        fail("n_phones", "a pair (fewest, most) of phones per utterance", describe(n_phones))
    fewest, most = (check_count("n_phones", n) for n in n_phones)
    if fewest > most:
        fail("n_phones", "a pair (fewest, most) with fewest <= most", n_phones)
    features, frames, sequences = [], [], []
    for i in range(m):
        count = int(rng.integers(fewest, most + 1))
        signal, phone_of_sample, phones = spoken_phones(rng, count, speeds[i % len(speeds)],
                                                        frame)
        features.append(band_energies(signal, frame))
        frames.append(frame_phones(phone_of_sample, frame))
        sequences.append(phones)
    input_lengths = np.array([f.shape[1] for f in features])
    label_lengths = np.array([len(s) for s in sequences])
    T_x, S = input_lengths.max(), label_lengths.max()
    x = np.zeros((features[0].shape[0], m, T_x))
    frame_labels = np.full((m, T_x), -1)
    labels = np.zeros((m, S), dtype=int)
    for i, (f, p, s) in enumerate(zip(features, frames, sequences, strict=True)):
        x[:, i, :f.shape[1]] = f
        frame_labels[i, :len(p)] = p
        labels[i, :len(s)] = s + 1  # 0 is the blank
    return {"x": x, "input_lengths": input_lengths, "labels": labels,
            "label_lengths": label_lengths, "frames": frame_labels,
            "speeds": np.array([speeds[i % len(speeds)] for i in range(m)])}


def edit_distance(a, b):
    """The fewest insertions, deletions and substitutions that turn sequence a into b."""
    previous = list(range(len(b) + 1))  # distances from a[:0] to each b[:j]
    for i, item in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (item != other)))
        previous = current
    return previous[-1]


def phone_error_rate(decoded, truth):
    """Σ edit distances / Σ true lengths over lists of phone sequences (each a list of ids)."""
    if len(decoded) != len(truth):
        fail("decoded", f"one phone sequence per true one, {len(truth)}",
             f"{len(decoded)} sequences")
    total = sum(len(t) for t in truth)
    if total == 0:
        fail("truth", "at least one phone in the true sequences", "no phones at all")
    return sum(edit_distance(d, t) for d, t in zip(decoded, truth, strict=True)) / total


def check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        fail(name, "a positive int", describe(value))
    return int(value)


def check_phones(phones, n_phones):
    ids = np.asarray(phones)
    if ids.shape != (n_phones,) or not np.issubdtype(ids.dtype, np.integer) \
            or ids.min() < 0 or ids.max() >= len(PHONES):
        fail("phones", f"n_phones = {n_phones} ids of PHONES, each in [0, {len(PHONES)})",
             describe(phones))
    if np.any(ids[1:] == ids[:-1]):
        fail("phones", "no phone twice in a row (two equal segments sound as one)",
             f"{[PHONES[i] for i in ids]}")
    return [int(i) for i in ids]


def check_speed(speed):
    if isinstance(speed, bool) or not isinstance(speed, (int, float, np.number)) \
            or not np.isfinite(speed) or speed <= 0:
        fail("speed", "a positive speaking rate (1.0 is normal, 2.0 twice as fast)",
             describe(speed))
    return float(speed)
