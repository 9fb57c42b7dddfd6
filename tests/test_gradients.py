"""Every backward pass against centred differences in float64, and the two paths agreeing."""

import numpy as np
import pytest
from conftest import perturbed_params

import rnnlesson as R
from rnnlesson.losses import sequence_cross_entropy
from rnnlesson.sequence import rnn_forward
from rnnlesson.topologies import PARAM_GRADS

TOL = 1e-7
N_X, N_A, N_Y, M, T_X = 4, 5, 3, 3, 6
LENGTHS = np.array([6, 2, 4])


def data(rng, ids=False):
    x = rng.integers(0, N_X, (M, T_X)) if ids else rng.normal(size=(N_X, M, T_X))
    return x, rng.integers(0, N_Y, (M, T_X)), 0.5 * rng.normal(size=(N_A, M))


def assert_checked(errors):
    assert errors, "nothing was checked"
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("ids", [False, True], ids=["floats", "token-ids"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("topology", ["many_to_many", "many_to_one"])
def test_topology_gradients(topology, lengths, ids, rng):
    x, y, a0 = data(rng, ids)
    params = perturbed_params(N_X, N_A, N_Y)
    if topology == "many_to_many":
        loss_fn = lambda p: R.many_to_many_loss(p, x, y, a0=a0, lengths=lengths)  # noqa: E731
    else:
        loss_fn = lambda p: R.many_to_one_loss(p, x, y[:, 0], a0=a0, lengths=lengths)  # noqa: E731
    assert_checked(R.gradient_check(loss_fn, params))


def test_one_to_one_and_feedforward_gradients(rng):
    params = perturbed_params(N_X, N_A, N_Y)
    x, y = rng.normal(size=(N_X, M)), rng.integers(0, N_Y, M)
    for loss in (R.one_to_one_loss, R.feedforward_loss):
        assert_checked(R.gradient_check(lambda p, loss=loss: loss(p, x, y), params))


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
def test_encoder_decoder_gradients(lengths, rng):
    params = R.init_encoder_decoder(N_X, N_A, N_Y, seed=3)
    x = rng.normal(size=(N_X, M, T_X))
    y_in, y = rng.integers(0, N_Y, (M, 4)), rng.integers(0, N_Y, (M, 4))
    y_lengths = None if lengths is None else np.array([4, 1, 3])
    errors = R.gradient_check(
        lambda p: R.encoder_decoder_loss(p, x, y_in, y, lengths=lengths, y_lengths=y_lengths),
        params)
    assert set(errors) == {f"encoder.{k}" for k in ("Wax", "Waa", "ba")} | {
        f"decoder.{k}" for k in ("Wax", "Waa", "ba", "Wya", "by")}
    assert_checked(errors)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncated_bptt_is_the_gradient_of_chunks_with_fixed_starts(k, rng):
    """Truncation treats the state entering each window as a constant: so the truncated
    gradient is the exact gradient of the chunked loss whose chunks start from fixed states."""
    x, y, a0 = data(rng)
    params = perturbed_params(N_X, N_A, N_Y)
    a, _, _ = rnn_forward(x, a0, params)
    starts = [a0] + [a[:, :, t - 1].copy() for t in range(k, T_X, k)]

    def chunked(p):
        total = 0.0
        for c, t in enumerate(range(0, T_X, k)):
            window = slice(t, min(t + k, T_X))
            _, y_pred, _ = rnn_forward(x[:, :, window], starts[c], p)
            loss, _ = sequence_cross_entropy(y_pred, y[:, window])
            total += loss * y[:, window].size / y.size
        return total, R.many_to_many_loss(params, x, y, a0=a0, truncate=k)[1]

    assert_checked(R.gradient_check(chunked, params))


def test_rnn_backward_gradients_for_inputs_and_initial_state(rng):
    """dx and da0 checked against differences of a loss that depends on all of x and a0."""
    params = perturbed_params(N_X, N_A, N_Y)
    x, _, a0 = data(rng)
    weights = rng.normal(size=(N_A, M, T_X))

    def loss_fn(p):
        a, _, cache = rnn_forward(p["x"], p["a0"], params)
        grads = R.rnn_backward(weights, cache)
        return float(np.sum(weights * a)), {"dx": grads["dx"], "da0": grads["da0"]}

    assert_checked(R.gradient_check(loss_fn, {"x": x, "a0": a0}))


def test_cell_backward_gradients(rng):
    params = perturbed_params(N_X, N_A, N_Y)
    xt, a_prev = rng.normal(size=(N_X, M)), rng.normal(size=(N_A, M))
    weights = rng.normal(size=(N_A, M))

    def loss_fn(p):
        cell_params = {k: p[k] for k in ("Wax", "Waa", "ba")}
        a_next, _, cache = R.rnn_cell_forward(p["xt"], p["a_prev"], cell_params)
        g = R.rnn_cell_backward(weights, cache)
        return float(np.sum(weights * a_next)), g

    errors = R.gradient_check(loss_fn, {"Wax": params["Wax"], "Waa": params["Waa"],
                                        "ba": params["ba"], "xt": xt, "a_prev": a_prev})
    assert_checked(errors)


@pytest.mark.parametrize("ids", [False, True], ids=["floats", "token-ids"])
def test_fast_path_equals_cell_by_cell_path(ids, rng):
    x, _, a0 = data(rng, ids)
    params = perturbed_params(N_X, N_A, N_Y)
    a, y_pred, cache = R.rnn_forward(x, a0, params)
    a_ref, y_ref, caches = R.rnn_forward_by_cells(x, a0, params)
    np.testing.assert_allclose(a, a_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y_pred, y_ref, rtol=0, atol=1e-12)
    da = rng.normal(size=a.shape)
    fast, ref = R.rnn_backward(da, cache), R.rnn_backward_by_cells(da, caches)
    for key in ("dWax", "dWaa", "dba", "da0"):
        np.testing.assert_allclose(fast[key], ref[key], rtol=0, atol=1e-12, err_msg=key)
    if not ids:
        np.testing.assert_allclose(fast["dx"], ref["dx"], rtol=0, atol=1e-12)


def test_gradient_check_catches_a_wrong_gradient(rng):
    x, y, a0 = data(rng)
    params = perturbed_params(N_X, N_A, N_Y)

    def wrong(p):
        loss, grads = R.many_to_many_loss(p, x, y, a0=a0)
        return loss, {**grads, "dWaa": grads["dWaa"].T}

    errors = R.gradient_check(wrong, params)
    assert errors["Waa"] > 1e-3
    assert max(v for k, v in errors.items() if k != "Waa") < TOL


def test_gradient_check_leaves_params_unchanged_and_samples_entries(rng):
    x, y, a0 = data(rng)
    params = perturbed_params(N_X, N_A, N_Y)
    before = {k: v.copy() for k, v in params.items()}
    errors = R.gradient_check(lambda p: R.many_to_many_loss(p, x, y, a0=a0), params,
                              max_entries=3)
    assert_checked(errors)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    grad = R.numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


def test_rel_error():
    a = np.array([1.0, 2.0])
    assert R.rel_error(a, a) == 0.0
    assert R.rel_error(a, -a) == pytest.approx(1.0)
    assert R.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="one shape"):
        R.rel_error(a, np.ones(3))


def test_grads_have_the_lecture_names(rng):
    x, y, a0 = data(rng)
    _, grads = R.many_to_many_loss(perturbed_params(N_X, N_A, N_Y), x, y, a0=a0)
    assert set(grads) == set(PARAM_GRADS)
