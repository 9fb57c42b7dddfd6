"""Optimisers and gradient clipping, as pure functions of (params, grads, state).

An optimiser is built with its settings, e.g. ``opt = adam(lr=1e-2)``; then
``state = opt.init(params)`` and ``params, state = opt.step(params, grads, state)`` return new
dicts and never change the ones passed in. params[k] is paired with grads["d" + k]; nested dicts
(an encoder-decoder's) work the same way.
"""

from dataclasses import dataclass

import numpy as np

from rnnlesson._validate import check_positive, fail
from rnnlesson.tree import flatten, grad_path, paired, unflatten


@dataclass(frozen=True)
class Optimizer:
    """An update rule: `init(params) -> state`, `step(params, grads, state) -> (params, state)`."""

    name: str
    lr: float
    rule: object  # (param, grad, slots, t) -> (new param, new slots)
    n_slots: int = 0

    def init(self, params):
        return {"t": 0, "slots": {path: [np.zeros_like(value) for _ in range(self.n_slots)]
                                  for path, value in flatten(params).items()}}

    def step(self, params, grads, state=None):
        state = self.init(params) if state is None else state
        t = state["t"] + 1
        new_params, slots = {}, {}
        for path, value, grad in paired(params, grads):
            if np.shape(grad) != value.shape:
                fail(f"grads['{grad_path(path)}']", f"shape {value.shape} like params['{path}']",
                     f"shape {np.shape(grad)}")
            new_params[path], slots[path] = self.rule(value, grad, state["slots"][path], t)
        return unflatten(new_params), {"t": t, "slots": slots}


def sgd(lr=0.1):
    """θ <- θ - lr g."""
    lr = check_positive("lr", lr)
    return Optimizer("sgd", lr, lambda p, g, s, t: (p - lr * g, s))


def adagrad(lr=0.1, eps=1e-8):
    """θ <- θ - lr g / sqrt(sum of g² so far): steps shrink where gradients have been large."""
    lr = check_positive("lr", lr)

    def rule(p, g, slots, t):
        mem = slots[0] + g * g
        return p - lr * g / (np.sqrt(mem) + eps), [mem]

    return Optimizer("adagrad", lr, rule, n_slots=1)


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam: running means of g and g², bias-corrected, θ <- θ - lr m̂ / (sqrt(v̂) + eps)."""
    lr = check_positive("lr", lr)

    def rule(p, g, slots, t):
        m = beta1 * slots[0] + (1 - beta1) * g
        v = beta2 * slots[1] + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps), [m, v]

    return Optimizer("adam", lr, rule, n_slots=2)


def global_norm(grads):
    """sqrt of the sum of every squared gradient entry, over all parameters."""
    return float(np.sqrt(sum(np.sum(g * g) for g in flatten(grads).values())))


def clip_by_value(grads, max_value):
    """Each entry clipped to [-max_value, max_value]. Returns a new dict."""
    max_value = check_positive("max_value", max_value)
    flat = flatten(grads)
    return unflatten({k: np.clip(g, -max_value, max_value) for k, g in flat.items()})


def clip_by_global_norm(grads, max_norm):
    """All gradients scaled by one factor so their global norm is at most max_norm; the
    direction is kept. Returns (new grads, the norm before clipping).
    """
    max_norm = check_positive("max_norm", max_norm)
    norm = global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return unflatten({k: g * scale for k, g in flatten(grads).items()}), norm
