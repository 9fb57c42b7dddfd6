"""Our LSTM against PyTorch's nn.LSTM with the weights mapped across, forward and gradients.

PyTorch is an optional comparison, never a dependency: this file runs only where torch is
importable. The mapping: nn.LSTM stacks its gates in the order i, f, g (our c̃), o;
weight_ih_l0 (4 n_a, n_x) holds the halves of our W that read x_t, weight_hh_l0 (4 n_a, n_a)
the halves that read a_{t-1}, and its two biases add up to our b.
"""

import numpy as np
import pytest

from rnnlesson.lstm import init_lstm_params, lstm_backward, lstm_forward
from rnnlesson.topologies import many_to_many_loss

torch = pytest.importorskip("torch")

N_X, N_A, N_Y, M, T_X = 5, 4, 3, 3, 6
TORCH_ORDER = ("i", "f", "c", "o")


def to_torch(params, rng):
    """nn.LSTM + nn.Linear holding our parameters (the bias split at random in two)."""
    lstm = torch.nn.LSTM(N_X, N_A, dtype=torch.float64)
    head = torch.nn.Linear(N_A, N_Y, dtype=torch.float64)
    W = [params[f"W{g}"] for g in TORCH_ORDER]
    b = np.concatenate([params[f"b{g}"][:, 0] for g in TORCH_ORDER])
    share = rng.normal(size=b.shape)
    with torch.no_grad():
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([w[:, :N_A] for w in W])))
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([w[:, N_A:] for w in W])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b - share))
        lstm.bias_hh_l0.copy_(torch.from_numpy(share))
        head.weight.copy_(torch.from_numpy(params["Wya"]))
        head.bias.copy_(torch.from_numpy(params["by"][:, 0]))
    return lstm, head


def from_torch_grads(lstm, head):
    """Torch's gradients in our names: dW<g> = [d weight_hh | d weight_ih] rows of gate g."""
    hh, ih = lstm.weight_hh_l0.grad.numpy(), lstm.weight_ih_l0.grad.numpy()
    bias = lstm.bias_ih_l0.grad.numpy()
    grads = {"dWya": head.weight.grad.numpy(), "dby": head.bias.grad.numpy()[:, None]}
    for k, g in enumerate(TORCH_ORDER):
        rows = slice(k * N_A, (k + 1) * N_A)
        grads[f"dW{g}"] = np.concatenate([hh[rows], ih[rows]], axis=1)
        grads[f"db{g}"] = bias[rows, None]
    return grads


@pytest.fixture
def params():
    rng = np.random.default_rng(4)
    return {k: v + 0.3 * rng.normal(size=v.shape)
            for k, v in init_lstm_params(N_X, N_A, N_Y, seed=0).items()}


def test_lstm_forward_matches_torch(params, rng):
    x, a0, c0 = rng.normal(size=(N_X, M, T_X)), rng.normal(size=(N_A, M)), rng.normal(size=(N_A, M))
    a, _, c, _ = lstm_forward(x, a0, params, c0=c0)
    lstm, _ = to_torch(params, rng)
    state = (torch.from_numpy(a0.T.copy())[None], torch.from_numpy(c0.T.copy())[None])
    out, (_, c_n) = lstm(torch.from_numpy(x.transpose(2, 1, 0).copy()), state)  # (T_x, m, n_x)
    np.testing.assert_allclose(a, out.detach().numpy().transpose(2, 1, 0), rtol=0, atol=1e-13)
    np.testing.assert_allclose(c[:, :, -1], c_n[0].detach().numpy().T, rtol=0, atol=1e-13)


def test_lstm_gradients_match_torch(params, rng):
    x, y = rng.normal(size=(N_X, M, T_X)), rng.integers(0, N_Y, (M, T_X))
    loss, grads = many_to_many_loss(params, x, y, cell="lstm")
    lstm, head = to_torch(params, rng)
    inputs = torch.from_numpy(x.transpose(2, 1, 0).copy()).requires_grad_()
    out, _ = lstm(inputs)
    torch_loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, N_Y),
                                                   torch.from_numpy(y.T.copy()).reshape(-1))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), abs=1e-13)
    expected = from_torch_grads(lstm, head)
    assert set(grads) == set(expected)
    for key, value in grads.items():
        np.testing.assert_allclose(value, expected[key], rtol=0, atol=1e-13, err_msg=key)

    weights = rng.normal(size=(N_A, M, T_X))  # and dx, through lstm_backward itself
    _, _, _, cache = lstm_forward(x, None, params)
    inputs.grad = None
    out, _ = lstm(inputs)
    (out * torch.from_numpy(weights.transpose(2, 1, 0).copy())).sum().backward()
    np.testing.assert_allclose(lstm_backward(weights, cache)["dx"],
                               inputs.grad.numpy().transpose(2, 1, 0), rtol=0, atol=1e-13)
