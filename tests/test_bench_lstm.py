"""The LSTM benchmark's script runs and prints a row per batch size."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_lstm_step.py"


def test_lstm_benchmark_runs_and_prints_a_row_per_batch():
    out = subprocess.run([sys.executable, str(BENCH), "--batches", "1", "2", "--seconds", "0.05",
                          "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [row[0] for row in rows] == ["1", "2"], out.stdout
    for row in rows:
        figures = [float(v) for v in row[1:] if v != "-"]
        assert len(figures) in (7, 9) and all(v > 0 for v in figures), row
