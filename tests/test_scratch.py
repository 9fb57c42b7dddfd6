"""The hot path's scratch memory (rnnlesson._scratch) never leaks into results.

many_to_many_states, and through it many_to_many_loss, encoder_decoder_loss and the character
model's stream_loss, reuse batch-sized arrays from call to call. What they return must still
be their own: unchanged by later calls, sharing no memory with the scratch arrays, and the
same from every thread.
"""

import copy
import threading

import numpy as np
from conftest import perturbed_params

import rnnlesson as R
from rnnlesson import _scratch
from rnnlesson.charlm import stream_loss
from rnnlesson.losses import cross_entropy
from rnnlesson.topologies import many_to_many_states


def arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from arrays_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays_in(item)


def scratch_arrays():
    return list(getattr(_scratch._arrays, "store", {}).values())


def calls(rng):
    """Each function that goes through the hot path, with arguments for it."""
    params, enc_dec = perturbed_params(6, 5, 6), R.init_encoder_decoder(4, 5, 6)
    ids, y = rng.integers(0, 6, (3, 7)), rng.integers(0, 6, (3, 7))
    a0, lengths = rng.normal(size=(5, 3)), np.array([7, 2, 5])
    x = rng.normal(size=(4, 3, 5))
    return [
        (many_to_many_states, (params, ids, y, a0, lengths, 3)),
        (R.many_to_many_loss, (params, rng.normal(size=(6, 3, 7)), y)),
        (R.encoder_decoder_loss, (enc_dec, x, ids, y, None, lengths)),
        (stream_loss, (params, ids, y, False, a0)),
    ]


def test_results_share_no_memory_with_scratch_and_survive_later_calls(rng):
    for function, args in calls(rng):
        result = function(*args)
        kept = copy.deepcopy(result)
        assert scratch_arrays(), "the hot path should have used scratch memory"
        for returned in arrays_in(result):
            for array in scratch_arrays():
                assert not np.shares_memory(returned, array), function.__name__
        # the same shapes again, then other shapes: the scratch arrays are overwritten, reused
        # and replaced, and the first result must not notice
        other = rng.integers(0, 6, (3, 7))
        many_to_many_states(perturbed_params(6, 5, 6, seed=1), other, other)
        many_to_many_states(perturbed_params(6, 5, 6, seed=2), other[:2, :4], other[:2, :4])
        for before, after in zip(arrays_in(kept), arrays_in(result), strict=True):
            np.testing.assert_array_equal(before, after, err_msg=function.__name__)
        assert function(*args)[0] == result[0]  # the same loss again, bit for bit


def test_scratch_reuses_an_array_of_the_same_shape_and_replaces_another():
    first = _scratch.scratch("test", (3, 4))
    assert _scratch.scratch("test", (3, 4)) is first
    other = _scratch.scratch("test", (4, 3))
    assert other.shape == (4, 3) and other is not first
    assert _scratch.scratch("another test", (4, 3)) is not other


def test_arrays_too_large_to_keep_are_not_kept():
    big = (_scratch.MAX_KEPT_BYTES // 8 + 1,)
    kept = _scratch.scratch("test large", (4,))
    first = _scratch.scratch("test large", big)
    assert first.shape == big and _scratch.scratch("test large", big) is not first
    assert not any(array is first or array is kept for array in scratch_arrays())


def test_threads_get_their_own_scratch_and_the_serial_results(rng):
    params = perturbed_params(6, 8, 6)
    batches = [(rng.integers(0, 6, (m, T_x)), rng.integers(0, 6, (m, T_x)))
               for m, T_x in [(3, 9), (5, 4), (2, 11), (4, 6)]]
    serial = [R.many_to_many_loss(params, x, y) for x, y in batches]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(30):
                results[i] = R.many_to_many_loss(params, *batches[i])
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for i, (loss, grads) in enumerate(serial):
        assert results[i][0] == loss
        for key in grads:
            np.testing.assert_array_equal(results[i][1][key], grads[key])


def test_in_place_options_give_the_same_values(rng):
    z = rng.normal(size=(5, 7)) * 30
    expected = R.softmax(z)
    np.testing.assert_allclose(expected.sum(axis=0), 1.0, atol=1e-12)
    assert R.softmax(z, out=z) is z
    np.testing.assert_array_equal(z, expected)
    y, mask = rng.integers(0, 5, 7), rng.random(7) < 0.6
    mask[0] = True
    y_pred = R.softmax(rng.normal(size=(5, 7)))
    loss, dz = cross_entropy(y_pred, y, mask)
    loss_in_place, dz_in_place = cross_entropy(y_pred, y, mask, overwrite=True)
    assert dz_in_place is y_pred and loss_in_place == loss
    np.testing.assert_array_equal(dz_in_place, dz)
