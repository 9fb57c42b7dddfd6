"""Throughput of one training step of the character model: forward, BPTT, update.

Sizes as a char-RNN on the shipped corpus: n_a = 128, the corpus's vocabulary (about 65
symbols), T_x = 25, batches of 1, 32 and 128 sequences. Measured side by side in one run:
- rnnlesson: `charlm.stream_loss` (many-to-many on token ids) + clip by value + Adagrad;
- reference: the classic minimal numpy char-RNN loop, one example and one step at a time with
  one-hot columns, the same loss, clipping and Adagrad;
- PyTorch (only if installed): nn.RNN + nn.Linear + cross-entropy on the CPU, one-hot
  inputs, clip_grad_value_, Adagrad.
Each in float64 and in float32 (PyTorch's default): rnnlesson's parameters' dtype decides its
computation's, the classic loop and PyTorch are given the same dtype.
Prints sequences per second and the ratios. Each measurement runs in a fresh process, so one
library's idle worker threads (PyTorch's OpenMP pool spins after each call) cannot slow the
next. By default each gets one thread (OpenBLAS and OpenMP): a like-for-like comparison that
does not swing with whatever else the machine runs; `--threads 0` leaves the libraries' own
defaults. The implementations take turns, round after round, and each ratio is the median of
the rounds' ratios, so that a slow spell of a shared machine weighs on both sides alike.
Usage: python benchmarks/bench_training_step.py [--threads N] [--seconds S] [--rounds R]
       [--dtypes float64 float32]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from rnnlesson import Vocabulary, adagrad, clip_by_value, init_params, load_corpus
from rnnlesson.charlm import stream_batches, stream_loss

N_A, T_X, CLIP, LR = 128, 25, 5.0, 0.1


def rnnlesson_step(params, state, batch):
    opt = adagrad(LR)
    x, y, _ = batch
    _, grads, _ = stream_loss(params, x, y, True, None)
    return opt.step(params, clip_by_value(grads, CLIP), state)


def reference_step(params, state, batch):
    """Per example, per step, one one-hot column at a time."""
    x, y, _ = batch
    Wax, Waa, Wya, ba, by = (params[k] for k in ("Wax", "Waa", "Wya", "ba", "by"))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    m, n_x, dtype = x.shape[0], Wax.shape[1], Wax.dtype
    loss = 0.0
    for i in range(m):
        xs, hs, ps = {}, {-1: np.zeros((N_A, 1), dtype)}, {}
        for t in range(T_X):
            xs[t] = np.zeros((n_x, 1), dtype)
            xs[t][x[i, t]] = 1
            hs[t] = np.tanh(Wax @ xs[t] + Waa @ hs[t - 1] + ba)
            z = Wya @ hs[t] + by
            ps[t] = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
            loss += -np.log(ps[t][y[i, t], 0]) / (m * T_X)
        dh_next = np.zeros((N_A, 1))
        for t in reversed(range(T_X)):
            dy = ps[t].copy()
            dy[y[i, t]] -= 1
            dy /= m * T_X
            grads["Wya"] += dy @ hs[t].T
            grads["by"] += dy
            dz = (1 - hs[t] ** 2) * (Wya.T @ dy + dh_next)
            grads["ba"] += dz
            grads["Wax"] += dz @ xs[t].T
            grads["Waa"] += dz @ hs[t - 1].T
            dh_next = Waa.T @ dz
    new = {}
    for k in params:
        g = np.clip(grads[k], -CLIP, CLIP)
        state[k] = state.get(k, 0) + g * g
        new[k] = params[k] - LR * g / (np.sqrt(state[k]) + 1e-8)
    return new, state


def torch_runner(n_x, m, cell="rnn", dtype="float64"):
    """PyTorch's step: nn.RNN (or nn.LSTM for cell="lstm") + Linear + cross-entropy."""
    import torch

    torch.manual_seed(0)
    dtype = getattr(torch, dtype)
    if cell == "lstm":
        rnn = torch.nn.LSTM(n_x, N_A, dtype=dtype)
    else:
        rnn = torch.nn.RNN(n_x, N_A, nonlinearity="tanh", dtype=dtype)
    head = torch.nn.Linear(N_A, n_x, dtype=dtype)
    parameters = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adagrad(parameters, lr=LR)
    eye = torch.eye(n_x, dtype=dtype)

    def step(_params, _state, batch):
        x, y, _ = batch
        inputs = eye[torch.from_numpy(x.T.copy())]  # (T_x, m, n_x) one-hot
        target = torch.from_numpy(y.T.copy()).reshape(-1)
        opt.zero_grad()
        out, _ = rnn(inputs)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, n_x), target)
        loss.backward()
        torch.nn.utils.clip_grad_value_(parameters, CLIP)
        opt.step()
        return None, None

    return step


def seqs_per_second(step, params, state, batches, m, seconds):
    params, state = step(params, state, batches(1))  # warm-up
    rates, n = [], 1
    for _ in range(5):  # five timed rounds; report the median
        start, count = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 5:
            n += 1
            params, state = step(params, state, batches(n))
            count += 1
        rates.append(m * count / (time.perf_counter() - start))
    return statistics.median(rates)


def measure(impl, m, seconds, dtype):
    """Sequences per second of one implementation at batch m in dtype, in this process."""
    text = load_corpus()
    vocab = Vocabulary.from_sequences([text])
    batches = stream_batches(vocab.encode(text), m, T_X)
    params = init_params(vocab.size, N_A, vocab.size, seed=0, dtype=dtype)
    if impl == "rnnlesson":
        return seqs_per_second(rnnlesson_step, params, adagrad(LR).init(params), batches, m,
                               seconds)
    if impl == "reference":
        return seqs_per_second(reference_step, params, {}, batches, m, seconds)
    return seqs_per_second(torch_runner(vocab.size, m, dtype=dtype), None, None, batches, m,
                           seconds)


def in_fresh_process(impl, m, seconds, threads, dtype, script=__file__):
    """`script --worker impl m seconds dtype` in a new process; returns the number it prints."""
    env = dict(os.environ)
    if threads:
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, script, "--worker", impl, str(m), str(seconds), dtype],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def arguments(description, batches, rounds):
    """The command line both benchmarks share; --worker runs one measurement (internal)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batches", type=int, nargs="+", default=batches)
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="time per measurement (each implementation, each round)")
    parser.add_argument("--rounds", type=int, default=rounds,
                        help="rounds per batch size; each measures every implementation once")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads per measurement (0: the libraries' defaults)")
    parser.add_argument("--dtypes", nargs="+", choices=("float64", "float32"),
                        default=["float64", "float32"], help="the precisions to measure")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    return parser.parse_args()


def installed_torch():
    """PyTorch's version, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def main():
    args = arguments(__doc__.splitlines()[0], [1, 32, 128], 7)
    if args.worker:
        impl, m, seconds, dtype = args.worker
        print(measure(impl, int(m), float(seconds), dtype))
        return
    torch_version = installed_torch()
    impls = ["rnnlesson", "reference"] + (["torch"] if torch_version else [])
    vocab = Vocabulary.from_sequences([load_corpus()])
    print(f"char model step: n_a = {N_A}, vocabulary n_x = n_y = {vocab.size}, T_x = {T_X}; "
          f"threads: {args.threads or 'default'}; "
          f"torch: {torch_version or 'not installed'}")
    print(f"medians of {args.rounds} rounds; in each round every implementation runs once, "
          "so a ratio compares measurements taken side by side")
    print(f"{'batch m':>8} {'rnnlesson':>11} {'reference':>11} {'torch':>11} "
          f"{'x reference':>12} {'x torch':>8}   (sequences per second)")
    for dtype, m in ((dtype, m) for dtype in args.dtypes for m in args.batches):
        if m == args.batches[0]:
            print(f"{dtype}:")
        rates = {impl: [] for impl in impls}
        for _ in range(args.rounds):
            for impl in impls:
                rates[impl].append(in_fresh_process(impl, m, args.seconds, args.threads, dtype))

        median = {impl: statistics.median(r) for impl, r in rates.items()}
        # each ratio is the median of the rounds' ratios: each pair measured back to back
        ratio = {impl: statistics.median(a / b for a, b in zip(rates["rnnlesson"], r,
                                                                strict=True))
                 for impl, r in rates.items()}
        line = f"{m:>8} {median['rnnlesson']:>11.0f} {median['reference']:>11.0f}"
        line += f" {median['torch']:>11.0f}" if torch_version else f" {'-':>11}"
        line += f" {ratio['reference']:>12.1f}"
        line += f" {ratio['torch']:>8.2f}" if torch_version else f" {'-':>8}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
