"""The training-step benchmark compares equal work, and its script runs.

benchmarks/bench_training_step.py times rnnlesson's step against the classic per-column loop
(and benchmarks/bench_lstm_step.py the LSTM's against PyTorch and the matrix products);
the ratio means something only if both compute the same update. Here they start from the same
parameters and batch and must land on the same new parameters.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnlesson import Vocabulary, adagrad, init_params, load_corpus
from rnnlesson.charlm import stream_batches

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_training_step.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_training_step", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rnnlesson_step_and_the_classic_loop_make_the_same_update():
    bench = load_benchmark()
    text = load_corpus()
    vocab = Vocabulary.from_sequences([text])
    batches = stream_batches(vocab.encode(text), 4, bench.T_X)
    params = init_params(vocab.size, bench.N_A, vocab.size, seed=3)
    ours, ours_state = params, adagrad(bench.LR).init(params)
    ref, ref_state = params, {}
    for step in (1, 2, 3):  # three updates, so that Adagrad's memory takes part
        ours, ours_state = bench.rnnlesson_step(ours, ours_state, batches(step))
        ref, ref_state = bench.reference_step(ref, ref_state, batches(step))
    for key in params:
        assert not np.allclose(ours[key], params[key]), f"{key} did not move"
        # Adagrad's first steps are about lr * sign(g) = 0.1 per entry, whatever the size of g,
        # so an entry whose g is near rounding level may differ in its last digits; a wrong
        # update would differ by about 0.1
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-6, atol=1e-9, err_msg=key)


@pytest.mark.parametrize("script, batches, measured, dtypes",
                         [(BENCH, ["1", "2"], 2, 2),
                          (BENCH.with_name("bench_lstm_step.py"), ["2"], 7, 2),
                          (BENCH.with_name("bench_ctc.py"), ["1", "2"], 1, 1)],
                         ids=["training-step", "lstm-step", "ctc"])
def test_benchmark_script_runs_and_prints_a_row_per_batch(script, batches, measured, dtypes):
    """measured: the figures every row has whether or not PyTorch is installed; dtypes: the
    precisions it measures by default (a row per batch for each)."""
    out = subprocess.run([sys.executable, str(script), "--batches", *batches, "--seconds",
                          "0.05", "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [row[0] for row in rows] == batches * dtypes, out.stdout
    if dtypes == 2:
        assert "float64:" in out.stdout and "float32:" in out.stdout, out.stdout
    for row in rows:
        figures = [float(v) for v in row[1:] if v != "-"]
        assert len(figures) >= measured and all(v > 0 for v in figures), row
