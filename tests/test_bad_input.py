"""Bad input raises ValueError naming the argument, what was expected and what arrived."""

import numpy as np
import pytest
from conftest import perturbed_params

import rnnlesson as R

N_X, N_A, N_Y, M, T_X = 4, 5, 3, 2, 6


@pytest.fixture
def params():
    return perturbed_params(N_X, N_A, N_Y)


@pytest.fixture
def x(rng):
    return rng.normal(size=(N_X, M, T_X))


def test_wrong_shape_of_x(params):
    with pytest.raises(ValueError, match=r"^x: expected .*\(n_x, m, T_x\) with n_x = 4.*"
                                         r"got an array of shape \(3, 2, 6\)"):
        R.rnn_forward(np.zeros((3, M, T_X)), None, params)


def test_wrong_shape_of_a0(params, x):
    with pytest.raises(ValueError, match=r"^a0: expected shape \(n_a, m\) = \(5, 2\), "
                                         r"got shape \(5, 3\)"):
        R.rnn_forward(x, np.zeros((N_A, 3)), params)


def test_wrong_shape_of_a_parameter(params, x):
    params["Waa"] = np.zeros((N_A, N_A + 1))
    with pytest.raises(ValueError, match=r"params\['Waa'\]: expected a square array of shape "
                                         r"\(n_a, n_a\), got shape \(5, 6\)"):
        R.rnn_forward(x, None, params)


def test_wrong_shape_of_bias(params, x):
    params["ba"] = np.zeros(N_A)
    with pytest.raises(ValueError, match=r"params\['ba'\]: expected shape \(n_a, 1\) = \(5, 1\)"
                                         r", got shape \(5,\)"):
        R.rnn_forward(x, None, params)


@pytest.mark.parametrize("key", ["Wax", "Waa", "ba", "Wya", "by"])
def test_missing_parameter_key(params, x, key):
    del params[key]
    with pytest.raises(ValueError, match=rf"^params: expected key '{key}' of shape .*, got keys"):
        R.many_to_many_loss(params, x, np.zeros((M, T_X), dtype=int))


def test_params_not_a_dict(x):
    with pytest.raises(ValueError,
                       match=r"^params: expected a dict of arrays.*got a list of length 2"):
        R.rnn_forward(x, None, [1, 2])


def test_float_labels(params, x):
    with pytest.raises(ValueError, match=r"^y: expected an int array of class labels of shape "
                                         r"\(m, T_x\) = \(2, 6\), got .*float64"):
        R.many_to_many_loss(params, x, np.zeros((M, T_X)))


def test_out_of_range_labels(params, x):
    y = np.full((M,), N_Y)
    with pytest.raises(ValueError, match=r"^y: expected labels in \[0, n_y\) = \[0, 3\), "
                                         r"got labels from 3 to 3"):
        R.many_to_one_loss(params, x, y)


def test_negative_labels(params, x):
    with pytest.raises(ValueError, match=r"^y: expected labels in \[0, n_y\).*from -1"):
        R.many_to_one_loss(params, x, np.array([-1, 0]))


def test_out_of_range_token_ids(params):
    with pytest.raises(ValueError, match=r"^x: expected token ids in \[0, n_x\) = \[0, 4\), "
                                         r"got ids from 0 to 4"):
        R.rnn_forward(np.array([[0, 4]]), None, params)


@pytest.mark.parametrize("bad, what", [([7, 2], "from 2 to 7"), ([0, 3], "from 0 to 3")])
def test_length_above_T_x_or_below_1(params, x, bad, what):
    with pytest.raises(ValueError, match=rf"^lengths: expected every length in \[1, T_x\] = "
                                         rf"\[1, 6\], got lengths {what}"):
        R.many_to_many_loss(params, x, np.zeros((M, T_X), dtype=int), lengths=np.array(bad))


def test_float_lengths(params, x):
    with pytest.raises(ValueError, match=r"^lengths: expected 2 integer lengths"):
        R.rnn_forward(x, None, params, lengths=np.array([1.0, 2.0]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinity_in_x(params, x, bad):
    x[1, 0, 2] = bad
    with pytest.raises(ValueError, match=r"^x: expected finite numbers, got 1 NaN or infinite"):
        R.rnn_forward(x, None, params)


def test_nan_in_a_parameter(params, x):
    params["Wya"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^params\['Wya'\]: expected finite numbers"):
        R.rnn_forward(x, None, params)


def test_nan_in_a0(params, x):
    a0 = np.zeros((N_A, M))
    a0[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"^a0: expected finite numbers"):
        R.rnn_forward(x, a0, params)


@pytest.mark.parametrize("temperature", [0, -1.0, np.nan])
def test_temperature_not_positive(temperature):
    params = perturbed_params(N_Y, N_A, N_Y)
    with pytest.raises(ValueError, match=r"^temperature: expected a finite number > 0, got"):
        R.sample(params, 5, 0, temperature=temperature)


def test_sample_start_out_of_range():
    params = perturbed_params(N_Y, N_A, N_Y)
    with pytest.raises(ValueError, match=r"^start: expected an int symbol id in \[0, n_y\)"):
        R.sample(params, 5, N_Y)


def test_cell_wrong_shape_of_xt(params):
    with pytest.raises(ValueError, match=r"^xt: expected shape \(n_x, m\) = \(4, 2\), got"):
        R.rnn_cell_forward(np.zeros((N_X + 1, M)), np.zeros((N_A, M)), params)


def test_backward_wrong_shape_of_da(params, x):
    _, _, cache = R.rnn_forward(x, None, params)
    with pytest.raises(ValueError, match=r"^da: expected shape \(n_a, m, T_x\) = \(5, 2, 6\)"):
        R.rnn_backward(np.zeros((N_A, M, T_X - 1)), cache)


@pytest.mark.parametrize("k", [0, -2, 1.5])
def test_truncate_not_a_positive_integer(params, x, k):
    with pytest.raises(ValueError, match=r"^truncate: expected"):
        R.many_to_many_loss(params, x, np.zeros((M, T_X), dtype=int), truncate=k)


def test_init_params_bad_size():
    with pytest.raises(ValueError, match=r"^n_a: expected a finite number > 0, got 0"):
        R.init_params(3, 0, 2)


def test_optimizer_missing_gradient(params):
    opt = R.sgd(0.1)
    with pytest.raises(ValueError, match=r"^grads: expected key 'dWax' for parameter 'Wax'"):
        opt.step(params, {}, opt.init(params))


def test_encoder_decoder_wrong_params(x):
    with pytest.raises(ValueError, match=r"^params: expected a dict with keys 'encoder' and "):
        R.encoder_decoder_loss({"encoder": {}}, x, np.zeros((M, 2), int), np.zeros((M, 2), int))


def test_vocabulary_unknown_symbol():
    vocab = R.Vocabulary.from_sequences(["abc"])
    with pytest.raises(ValueError, match=r"^sequence: expected symbols of this vocabulary .*"
                                         r"got unknown symbols \['z'\]"):
        vocab.encode("abz")


def test_load_text_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"^path: expected an existing text file, got .*nope"):
        R.load_text(tmp_path / "nope.txt")


def test_load_text_not_utf8(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok \xff\xfe")
    with pytest.raises(ValueError, match=r"^path: expected a UTF-8 text file, got .*byte 3"):
        R.load_text(path)


def test_load_sentiment_bad_split():
    with pytest.raises(ValueError, match=r"^split: expected None, 'train' or 'test', got 'dev'"):
        R.load_sentiment("dev")


@pytest.mark.parametrize("loss", [R.one_to_one_loss, R.feedforward_loss])
def test_one_step_losses_check_x(params, loss):
    with pytest.raises(ValueError, match=r"^x: expected a numpy array of shape \(n_x, m\)"):
        loss(params, [1.0, 2.0], np.zeros(M, dtype=int))
    with pytest.raises(ValueError, match=r"^x: expected shape \(n_x, m\) = \(4, 1\), got shape "
                                         r"\(4,\)"):
        loss(params, np.zeros(N_X), np.zeros(M, dtype=int))


def test_one_to_one_missing_parameter_key(params):
    del params["Wax"]
    with pytest.raises(ValueError, match=r"^params: expected key 'Wax'"):
        R.one_to_one_loss(params, np.zeros((N_X, M)), np.zeros(M, dtype=int))


def test_lag_task_bad_input():
    from rnnlesson.datasets import lag_task

    with pytest.raises(ValueError, match=r"^rng: expected a numpy Generator"):
        lag_task(0, 4, 3)
    with pytest.raises(ValueError, match=r"^m: expected a finite number > 0"):
        lag_task(np.random.default_rng(0), 0, 3)
    with pytest.raises(ValueError, match=r"^lag: expected an int >= 0 .*got -1"):
        lag_task(np.random.default_rng(0), 4, -1)
