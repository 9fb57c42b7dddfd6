"""The LSTM's training step against PyTorch, and both cells' steps against their matrix products.

Sizes as the character model's: n_a = 128, the shipped corpus's vocabulary (70 symbols),
T_x = 25, batches of 1 and 32, in float64 and float32 (PyTorch's default; the parameters'
dtype decides rnnlesson's computation's). Measured side by side in one run:
- lstm: rnnlesson's LSTM step, `charlm.stream_loss(..., cell="lstm")` (many-to-many on token
  ids: forward, BPTT) + clip by value + Adagrad;
- torch: nn.LSTM + nn.Linear + cross-entropy in the same dtype on the CPU, one-hot inputs,
  clip_grad_value_, Adagrad (only if torch is installed);
- the floor: for each cell, the matrix products of its forward and BPTT alone, on the same
  shapes and memory layouts (the recurrence's product at every step, forward and back; the
  output layer's three products; the recurrent weights' gradient), which any implementation
  pays in that dtype. Each cell's forward and BPTT time is printed as a multiple of it.
Each measurement runs in a fresh process with one thread (OpenBLAS and OpenMP) by default;
the measurements take turns, round after round, and each ratio is the median of the rounds'
ratios (see bench_training_step.py, whose sizes, timing and PyTorch step this shares).
Times are milliseconds per training step.
Usage: python benchmarks/bench_lstm_step.py [--threads N] [--seconds S] [--rounds R]
       [--dtypes float64 float32]
"""

import statistics

import numpy as np
from bench_training_step import (
    CLIP,
    LR,
    N_A,
    T_X,
    arguments,
    in_fresh_process,
    installed_torch,
    seqs_per_second,
    torch_runner,
)

from rnnlesson import Vocabulary, adagrad, clip_by_value, load_corpus
from rnnlesson.cells import get_cell
from rnnlesson.charlm import stream_batches, stream_loss

GATE_ROWS = {"rnn": 1, "lstm": 4}  # rows of the recurrent product: n_a, or 4 n_a for the LSTM


def lstm_step(params, state, batch):
    x, y, _ = batch
    _, grads, _ = stream_loss(params, x, y, True, None, cell="lstm")
    return adagrad(LR).step(params, clip_by_value(grads, CLIP), state)


def grads_only(cell):
    def step(params, state, batch):
        x, y, _ = batch
        stream_loss(params, x, y, True, None, cell=cell)
        return params, state

    return step


def matmul_floor(cell, n_y, m, dtype):
    """The matrix products of one forward and BPTT of the cell, alone, in dtype."""
    rng = np.random.default_rng(0)
    rows, N = GATE_ROWS[cell] * N_A, T_X * m

    def normal(*shape):
        return np.asfortranarray(rng.normal(size=shape).astype(dtype))

    W = normal(rows, N_A)
    W_T = np.asfortranarray(W.T)
    Wya, Wya_T = normal(n_y, N_A), normal(N_A, n_y)
    a_t, dz_t = normal(N_A, m), normal(rows, m)
    A, dZ = normal(N_A, N), normal(rows, N)
    dY = np.ascontiguousarray(normal(n_y, N))
    out_rows, out_a = (np.empty(shape, dtype, order="F") for shape in ((rows, m), (N_A, m)))

    def step(params, state, batch):
        for _ in range(T_X):
            np.matmul(W, a_t, out=out_rows)  # forward: the recurrence
            np.matmul(W_T, dz_t, out=out_a)  # BPTT: back through the recurrence
        Wya @ A  # the output layer, forward
        Wya_T @ dY  # its gradient with respect to the states
        dY @ A.T  # dWya
        A @ dZ.T  # the recurrent weights' gradient (as its transpose)
        return params, state

    return step


def measure(impl, m, seconds, dtype):
    """Milliseconds per step of one implementation at batch m in dtype, in this process."""
    text = load_corpus()
    vocab = Vocabulary.from_sequences([text])
    batches = stream_batches(vocab.encode(text), m, T_X)
    if impl == "torch":
        step, params, state = torch_runner(vocab.size, m, "lstm", dtype), None, None
    else:
        kind, cell = impl.split("-")  # "step-lstm", "grads-rnn", "floor-lstm", ...
        params = get_cell(cell).init(vocab.size, N_A, vocab.size, 0, dtype)
        state = adagrad(LR).init(params) if kind == "step" else None
        step = {"step": lstm_step, "grads": grads_only(cell)}.get(kind) or matmul_floor(
            cell, vocab.size, m, dtype)
    return 1e3 * m / seqs_per_second(step, params, state, batches, m, seconds)


def main():
    args = arguments(__doc__.splitlines()[0], [1, 32], 5)
    if args.worker:
        impl, m, seconds, dtype = args.worker
        print(measure(impl, int(m), float(seconds), dtype))
        return
    torch_version = installed_torch()
    impls = ["step-lstm", "grads-lstm", "floor-lstm", "grads-rnn", "floor-rnn"]
    impls += ["torch"] if torch_version else []
    vocab = Vocabulary.from_sequences([load_corpus()])
    print(f"LSTM training step: n_a = {N_A}, vocabulary n_x = n_y = {vocab.size}, T_x = {T_X}; "
          f"threads: {args.threads or 'default'}; "
          f"torch: {torch_version or 'not installed'}")
    print(f"medians of {args.rounds} rounds, milliseconds per step; 'x floor' is forward and "
          "BPTT over the matrix products alone")
    print(f"{'batch m':>8} {'lstm step':>10} {'torch':>8} {'torch/ours':>11} "
          f"{'lstm f+b':>9} {'floor':>7} {'x floor':>8} {'rnn f+b':>8} {'floor':>7} "
          f"{'x floor':>8}")
    for dtype, m in ((dtype, m) for dtype in args.dtypes for m in args.batches):
        if m == args.batches[0]:
            print(f"{dtype}:")
        times = {impl: [] for impl in impls}
        for _ in range(args.rounds):
            for impl in impls:
                times[impl].append(in_fresh_process(impl, m, args.seconds, args.threads, dtype,
                                                    script=__file__))
        median = {impl: statistics.median(t) for impl, t in times.items()}

        def ratio(a, b, times=times):  # the median of the rounds' ratios: each pair measured
            return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))

        line = f"{m:>8} {median['step-lstm']:>10.2f}"
        if torch_version:
            line += f" {median['torch']:>8.2f} {ratio('torch', 'step-lstm'):>11.2f}"
        else:
            line += f" {'-':>8} {'-':>11}"
        for cell in ("lstm", "rnn"):
            line += (f" {median[f'grads-{cell}']:>{9 if cell == 'lstm' else 8}.2f}"
                     f" {median[f'floor-{cell}']:>7.2f}"
                     f" {ratio(f'grads-{cell}', f'floor-{cell}'):>8.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
