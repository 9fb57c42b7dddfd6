"""The CTC loss and its gradient against PyTorch's CTCLoss on the CPU.

Sizes as a small speech recogniser's: n_y = 40 symbols (the blank among them), T_x = 100
frames, labels of 10 to 30 symbols, float64, batches of 1 and 32. Measured side by side in
one run:
- rnnlesson: `rnnlesson.ctc.ctc_loss(logits, ...)`, the loss and dlogits;
- torch: log_softmax + `nn.CTCLoss(reduction="sum")` / m, forward and backward through autograd
  to the logits, float64 (only if torch is installed).
Each measurement runs in a fresh process with one thread (OpenBLAS and OpenMP) by default;
the implementations take turns, round after round, and the ratio is the median of the rounds'
ratios. Times are milliseconds per call (loss and gradient).
Usage: python benchmarks/bench_ctc.py [--batches 1 32] [--threads N] [--seconds S] [--rounds R]
"""

import statistics
import time

import numpy as np
from bench_training_step import arguments, in_fresh_process, installed_torch

from rnnlesson.ctc import ctc_loss

N_Y, T_X, LABELS = 40, 100, (10, 30)


def batch(m, seed=0):
    """logits (n_y, m, T_x), labels (m, S) with no blank (id 0), input and label lengths."""
    rng = np.random.default_rng(seed)
    label_lengths = rng.integers(LABELS[0], LABELS[1] + 1, size=m)
    labels = rng.integers(1, N_Y, size=(m, LABELS[1]))
    input_lengths = rng.integers(T_X - 20, T_X + 1, size=m)
    input_lengths[0] = T_X
    return rng.normal(size=(N_Y, m, T_X)), labels, input_lengths, label_lengths


def torch_call(m):
    """A function computing torch's loss and gradient on the same batch."""
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    logits, labels, input_lengths, label_lengths = batch(m)
    z = torch.tensor(np.transpose(logits, (2, 1, 0)), dtype=torch.float64, requires_grad=True)
    targets, inputs = torch.tensor(labels), torch.tensor(input_lengths)
    lengths = torch.tensor(label_lengths)
    loss_fn = torch.nn.CTCLoss(blank=0, reduction="sum")

    def run():
        z.grad = None
        loss = loss_fn(torch.log_softmax(z, dim=2), targets, inputs, lengths) / m
        loss.backward()
        return float(loss)

    return run


def ours_call(m):
    args = batch(m)
    return lambda: ctc_loss(*args)[0]


def measure(impl, m, seconds):
    """Milliseconds per call of impl on a batch of m, for about `seconds`."""
    run = ours_call(m) if impl == "rnnlesson" else torch_call(m)
    run()  # warm up
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        calls += 1
    return 1000 * (time.perf_counter() - start) / calls


def main():
    args = arguments(__doc__.splitlines()[0], [1, 32], 7)
    if args.worker:
        impl, m, seconds, _ = args.worker  # the loss runs in float64 (its recursion's range)
        print(measure(impl, int(m), float(seconds)))
        return
    torch_version = installed_torch()
    impls = ["rnnlesson"] + (["torch"] if torch_version else [])
    print(f"CTC loss and gradient, n_y = {N_Y}, T_x = {T_X}, labels of {LABELS[0]}-{LABELS[1]},"
          f" float64, {args.threads or 'default'} thread(s); torch: {torch_version or 'absent'}")
    print(f"{'m':>4} {'rnnlesson ms':>13} {'torch ms':>9} {'ours / torch':>13}")
    for m in args.batches:
        times = {impl: [] for impl in impls}
        for _ in range(args.rounds):
            for impl in impls:
                times[impl].append(in_fresh_process(impl, m, args.seconds, args.threads,
                                                    "float64", script=__file__))
        ours = statistics.median(times["rnnlesson"])
        if torch_version:
            theirs = statistics.median(times["torch"])
            ratio = statistics.median(a / b for a, b in zip(times["rnnlesson"], times["torch"],
                                                            strict=True))
            print(f"{m:>4} {ours:>13.2f} {theirs:>9.2f} {ratio:>13.2f}")
        else:
            print(f"{m:>4} {ours:>13.2f} {'-':>9} {'-':>13}")


if __name__ == "__main__":
    main()
