import numpy as np
import pytest

from rnnlesson import init_params


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def perturbed_params(n_x, n_a, n_y, seed=0, scale=0.3):
    """Parameters with non-zero biases, so no gradient is trivially zero."""
    rng = np.random.default_rng(seed + 100)
    return {k: v + scale * rng.normal(size=v.shape)
            for k, v in init_params(n_x, n_a, n_y, seed=seed).items()}
