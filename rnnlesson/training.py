"""A training loop that knows nothing about the model: it calls a loss function for its
gradients, optionally clips them, and lets an optimiser update the parameters.
"""

import itertools

from tqdm.auto import tqdm

from rnnlesson._validate import check_positive, fail
from rnnlesson.optim import adam, clip_by_global_norm, clip_by_value, global_norm


def train(loss_fn, params, batches, steps, optimizer=None, clip_norm=None, clip_value=None,
          progress=True, eval_fn=None, eval_every=None, stateful=False, desc="training"):
    """Run `steps` updates and return (params, history).

    loss_fn(params, *batch) -> (loss, grads); with stateful=True it is
    loss_fn(params, *batch, state) -> (loss, grads, state) and the state it returns (e.g. the
    hidden state at the end of a chunk of a long stream) is passed to the next call (None at
    first). batches: an iterable of tuples (cycled if it runs out) or a function step -> tuple.
    optimizer: from `rnnlesson.optim` (default adam(1e-2)). clip_norm / clip_value: clipping.
    eval_fn(params) -> float is recorded every eval_every steps and at the end.
    progress shows a tqdm bar (a widget in a notebook, text in a terminal).
    history: {"step", "loss", "grad_norm"} lists, one entry per step, and "eval" a list of
    (step, value) pairs. The params passed in are never modified.
    """
    steps = check_positive("steps", steps, int)
    optimizer = adam(1e-2) if optimizer is None else optimizer
    if not callable(batches):
        if not hasattr(batches, "__iter__"):
            fail("batches", "an iterable of tuples or a function step -> tuple",
                 type(batches).__name__)
        source = itertools.cycle(batches)
        batches = lambda step: next(source)  # noqa: E731
    opt_state = optimizer.init(params)
    history = {"step": [], "loss": [], "grad_norm": [], "eval": []}
    carry = None
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=True)
    for step in bar:
        batch = batches(step)
        if stateful:
            loss, grads, carry = loss_fn(params, *batch, carry)
        else:
            loss, grads = loss_fn(params, *batch)
        if clip_value is not None:
            grads = clip_by_value(grads, clip_value)
        if clip_norm is not None:
            grads, norm = clip_by_global_norm(grads, clip_norm)
        else:
            norm = global_norm(grads)
        params, opt_state = optimizer.step(params, grads, opt_state)
        history["step"].append(step)
        history["loss"].append(float(loss))
        history["grad_norm"].append(norm)
        if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == steps):
            history["eval"].append((step, float(eval_fn(params))))
        if step % 10 == 0 or step == steps:
            bar.set_postfix(loss=f"{loss:.3f}")
    bar.close()
    return params, history
