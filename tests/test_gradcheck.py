"""The two relative errors, the verdict bands, and what gradient_check reports."""

import math
import re

import numpy as np
import pytest

import rnnlesson as R
from rnnlesson import gradcheck
from rnnlesson.gradcheck import FLOOR, VERDICTS, elementwise_rel_error, verdict


def test_a_sign_error_on_a_small_entry_hides_norm_wise_but_not_element_wise():
    a, b = np.array([1e3, 1e-6]), np.array([1e3, -1e-6])
    assert R.rel_error(a, b) == pytest.approx(1e-9)
    assert verdict(R.rel_error(a, b)) == "right"  # the norm-wise figure misses it
    assert elementwise_rel_error(a, b) == pytest.approx(2e-6 / FLOOR)
    assert verdict(elementwise_rel_error(a, b)) != "right"


def test_elementwise_rel_error_basics():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4)) + 2.0  # every entry far above the floor
    assert elementwise_rel_error(a, a) == 0.0
    assert elementwise_rel_error(a, -a) == pytest.approx(1.0)
    b = a * (1 + 1e-6 * rng.normal(size=a.shape))
    assert elementwise_rel_error(1e4 * a, 1e4 * b) == pytest.approx(elementwise_rel_error(a, b))
    assert elementwise_rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # the worst entry counts, computed entry by entry
    by_hand = max(abs(p - q) / max(abs(p) + abs(q), FLOOR)
                  for p, q in zip(a.ravel(), b.ravel(), strict=True))
    assert elementwise_rel_error(a, b) == pytest.approx(by_hand)
    # below the floor an entry is judged by its absolute error against the floor
    assert elementwise_rel_error([1e-12], [0.0], floor=1e-3) == pytest.approx(1e-9)


def test_elementwise_rel_error_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        elementwise_rel_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="floor > 0"):
        elementwise_rel_error(np.ones(2), np.ones(2), floor=0.0)


def test_verdict_bands_meet_and_cover_every_value():
    uppers = [upper for upper, _ in VERDICTS]
    assert uppers == sorted(uppers) and uppers[-1] == math.inf
    assert [name for _, name in VERDICTS] == ["right", "suspicious", "wrong"]
    for (upper, name), (_, following) in zip(VERDICTS, VERDICTS[1:], strict=False):
        assert verdict(np.nextafter(upper, 0)) == name
        assert verdict(upper) == following  # no gap and no overlap at the boundary
    assert verdict(0.0) == "right" and verdict(1e300) == "wrong"
    with pytest.raises(ValueError, match="relative error >= 0"):
        verdict(-1.0)
    with pytest.raises(ValueError, match="relative error >= 0"):
        verdict(float("nan"))


def test_the_docstring_states_the_bands_of_VERDICTS():
    doc = gradcheck.__doc__
    lines = [line for line in doc.splitlines() if re.match(r"\s+(below|1e-\d+ up to|1e-\d+ and)",
                                                           line)]
    stated = []
    for line in lines:
        numbers = [float(n) for n in re.findall(r"1e-\d+", line)]
        stated.append((numbers[-1] if "and above" not in line else math.inf,
                       re.search(r"(right|suspicious|wrong)", line).group(1)))
    assert tuple(stated) == VERDICTS


def test_gradient_check_reports_element_wise_and_keeps_norm_wise():
    def loss_fn(p):  # L = 1e3 θ_0 + 1e-5 θ_1, its gradient with a sign error on the small entry
        theta = p["theta"]
        return 1e3 * theta[0] + 1e-5 * theta[1], {"dtheta": np.array([1e3, -1e-5])}

    result = R.gradient_check(loss_fn, {"theta": np.zeros(2)})
    assert isinstance(result, dict) and set(result) == {"theta"}
    assert result["theta"] == pytest.approx(2e-5 / FLOOR, rel=1e-3)
    assert result.normwise["theta"] == pytest.approx(1e-8, rel=1e-3)
    assert result.verdicts() == {"theta": "wrong"}
    assert verdict(result.normwise["theta"]) == "right"  # what the norm-wise figure alone says


def test_gradient_check_figures_match_the_two_functions(rng):
    params = R.init_params(3, 4, 2, seed=0)
    x, y = rng.normal(size=(3, 2, 5)), rng.integers(0, 2, (2, 5))
    loss_fn = lambda p: R.many_to_many_loss(p, x, y)  # noqa: E731
    result = R.gradient_check(loss_fn, params)
    _, grads = loss_fn(params)
    work = {k: v.copy() for k, v in params.items()}
    for name in params:
        numeric = R.numerical_gradient(lambda: loss_fn(work)[0], work[name])
        assert result[name] == pytest.approx(elementwise_rel_error(grads["d" + name], numeric))
        assert result.normwise[name] == pytest.approx(R.rel_error(grads["d" + name], numeric))
        assert result[name] < 1e-7
