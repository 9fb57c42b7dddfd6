"""Spelling: codespell over the package, tests, docs and every notebook's cells."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_spelling(tmp_path):
    # notebooks: check their sources only (outputs hold generated text and images)
    for folder in ("notebooks", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = json.loads(path.read_text("utf-8"))["cells"]
            text = "\n".join("".join(c["source"]) for c in cells)
            (tmp_path / f"{folder}--{path.stem}.txt").write_text(text, "utf-8")
    targets = [tmp_path] + [ROOT / p for p in ("rnnlesson", "tests", "docs", "README.md",
                                                "benchmarks", "scripts") if (ROOT / p).exists()]
    result = subprocess.run(
        [sys.executable, "-m", "codespell_lib", "--toml", str(ROOT / "pyproject.toml"),
         *map(str, targets)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, "misspellings:\n" + result.stdout + result.stderr
