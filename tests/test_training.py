"""Optimisers, clipping, the training loop and generation."""

import numpy as np
import pytest
from conftest import perturbed_params

import rnnlesson as R


def quadratic(params):
    """L = ½‖W - 3‖², whose gradient is W - 3."""
    return 0.5 * float(np.sum((params["W"] - 3.0) ** 2)), {"dW": params["W"] - 3.0}


def test_sgd_step_by_hand():
    params = {"W": np.array([[1.0, -1.0]])}
    new, _ = R.sgd(0.5).step(params, {"dW": np.array([[2.0, 4.0]])}, None)
    np.testing.assert_allclose(new["W"], [[0.0, -3.0]])


def test_adagrad_step_by_hand():
    opt = R.adagrad(0.1, eps=0.0)
    params = {"W": np.array([1.0])}
    state = opt.init(params)
    params, state = opt.step(params, {"dW": np.array([2.0])}, state)
    np.testing.assert_allclose(params["W"], [1.0 - 0.1 * 2 / 2])
    params, state = opt.step(params, {"dW": np.array([1.0])}, state)
    np.testing.assert_allclose(params["W"], [0.9 - 0.1 * 1 / np.sqrt(5)])


def test_adam_first_step_moves_by_lr_in_the_sign_direction():
    opt = R.adam(0.01)
    params = {"W": np.array([1.0, 1.0])}
    new, state = opt.step(params, {"dW": np.array([5.0, -0.001])}, opt.init(params))
    np.testing.assert_allclose(new["W"], [0.99, 1.01], rtol=1e-5)
    assert state["t"] == 1


@pytest.mark.parametrize("opt", [R.sgd(0.5), R.adagrad(1.0), R.adam(0.2)],
                         ids=["sgd", "adagrad", "adam"])
def test_every_optimizer_minimises_a_quadratic(opt):
    params = {"W": np.zeros((2, 2))}
    params, history = R.train(lambda p: quadratic(p), params, [()], steps=200, optimizer=opt,
                              progress=False)
    np.testing.assert_allclose(params["W"], 3.0, atol=1e-2)
    assert history["loss"][-1] < history["loss"][0]


def test_optimizers_handle_nested_params():
    params = R.init_encoder_decoder(3, 4, 3)
    grads = {"encoder": {"dWax": np.ones((4, 3)), "dWaa": np.ones((4, 4)), "dba": np.ones((4, 1))},
             "decoder": {"d" + k: np.ones_like(v) for k, v in params["decoder"].items()}}
    new, _ = R.sgd(0.1).step(params, grads, None)
    np.testing.assert_allclose(new["encoder"]["Wax"], params["encoder"]["Wax"] - 0.1)
    np.testing.assert_allclose(new["decoder"]["by"], params["decoder"]["by"] - 0.1)


def test_clip_by_value():
    clipped = R.clip_by_value({"dW": np.array([-5.0, 0.5, 9.0])}, 1.0)
    np.testing.assert_array_equal(clipped["dW"], [-1.0, 0.5, 1.0])


def test_clip_by_global_norm_leaves_small_gradients_alone():
    grads = {"dW": np.array([0.3, 0.4])}
    clipped, norm = R.clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped["dW"], grads["dW"])


def test_train_history_clipping_and_evaluation():
    params = {"W": np.zeros(3)}
    _, history = R.train(quadratic, params, [()], steps=10, optimizer=R.sgd(0.1), clip_norm=0.5,
                         eval_fn=lambda p: float(p["W"].sum()), eval_every=5, progress=False)
    assert history["step"] == list(range(1, 11))
    assert len(history["loss"]) == len(history["grad_norm"]) == 10
    assert history["grad_norm"][0] == pytest.approx(np.sqrt(27))  # the norm before clipping
    assert [s for s, _ in history["eval"]] == [5, 10]
    assert history["eval"][0][1] == pytest.approx(5 * 0.1 * 0.5 * np.sqrt(3))  # 0.05 per step


def test_train_is_reproducible_and_stateful_passes_the_carry():
    seen = []

    def loss_fn(params, carry):
        seen.append(carry)
        loss, grads = quadratic(params)
        return loss, grads, len(seen)

    R.train(loss_fn, {"W": np.zeros(2)}, [()], steps=3, stateful=True, progress=False)
    assert seen == [None, 1, 2]


def test_train_rejects_bad_batches():
    with pytest.raises(ValueError, match=r"^batches: expected an iterable of tuples"):
        R.train(quadratic, {"W": np.zeros(2)}, 5, steps=1, progress=False)


def test_train_progress_bar_can_be_turned_off(capsys):
    R.train(quadratic, {"W": np.zeros(2)}, [()], steps=3, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    R.train(quadratic, {"W": np.zeros(2)}, [()], steps=3, progress=True, desc="demo")
    assert "demo" in capsys.readouterr().err


def peaked_generator(n_y=4, n_a=6, seed=0):
    """A generator whose next symbol after i is (i + 1) mod n_y with high probability."""
    params = perturbed_params(n_y, n_a, n_y, seed=seed)
    params["Waa"][:] = 0.0
    params["ba"][:] = 0.0
    params["Wax"] = 3.0 * np.eye(n_a, n_y)
    params["Wya"] = 3.0 * np.roll(np.eye(n_y, n_a), 1, axis=0)
    params["by"][:] = 0.0
    return params


def test_sample_is_reproducible_and_in_range():
    params = perturbed_params(5, 6, 5)
    ids = R.sample(params, 30, 2, seed=7)
    assert ids.shape == (30,) and ids.min() >= 0 and ids.max() < 5
    np.testing.assert_array_equal(ids, R.sample(params, 30, 2, seed=7))
    assert not np.array_equal(ids, R.sample(params, 30, 2, seed=8))
    batch = R.sample(params, 10, np.array([0, 1, 2]), seed=0)
    assert batch.shape == (3, 10)


def test_sample_feeds_each_output_back_in():
    ids = R.sample(peaked_generator(), 8, 0, greedy=True)
    np.testing.assert_array_equal(ids, [1, 2, 3, 0, 1, 2, 3, 0])


def test_low_temperature_is_sharper_than_high():
    params = peaked_generator()
    def follows_rule(temperature):
        ids = R.sample(params, 400, 0, temperature=temperature, seed=1)
        prev = np.concatenate([[0], ids[:-1]])
        return np.mean(ids == (prev + 1) % 4)
    assert follows_rule(0.3) > 0.95
    assert follows_rule(3.0) < follows_rule(1.0) < follows_rule(0.3)
