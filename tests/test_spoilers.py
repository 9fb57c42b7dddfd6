"""No notebook shows the source of a function an exercise asks for before it points to that
exercise, and where it shows it afterwards, the cell is collapsed by default."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("ex*.ipynb"))

# Package functions that answer an exercise under another name than the solution's.
PACKAGE_ANSWERS = {
    "Vocabulary": {"ex01"}, "one_hot": {"ex01"}, "pad_batch": {"ex01"},
    "array_shapes": {"ex02"},
    "rnn_forward_by_cells": {"ex04"},
    "rnn_backward": {"ex06", "ex09"},  # its truncate= is exercise 9's answer
    "rnn_backward_by_cells": {"ex06"},
    "lstm_forward": {"ex10"}, "lstm_backward": {"ex11"},
}
SHOWS_SOURCE = [
    re.compile(r"getsource\(\s*([\w.]+)"),
    re.compile(r"([\w.]+)\?\?"),
    re.compile(r"\?\?\s*([\w.]+)"),
    re.compile(r"%(?:psource|pinfo2)\s+([\w.]+)"),
]


def exercise_of(path):
    return Path(path).name.split("-", 1)[0]  # 'ex05-rnn-cell-backward.ipynb' -> 'ex05'


def exercise_functions(solutions=SOLUTIONS):
    """{function name: exercises asking for it}: the functions a solution defines in its
    graded blocks, and the package's own versions of them."""
    asked = {name: set(where) for name, where in PACKAGE_ANSWERS.items()}
    for path in solutions:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for name in re.findall(r"^def (\w+)", cell.source, re.MULTILINE):
                if "### BEGIN SOLUTION" in cell.source:
                    asked.setdefault(name, set()).add(exercise_of(path))
    return asked


def spoilers(notebook, asked):
    """(cell index, function, problem) for every cell that shows an exercise's answer too early
    or uncollapsed."""
    problems, pointed = [], set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            pointed |= set(re.findall(r"exercises/(ex\d\d)-", cell.source))
            continue
        if cell.cell_type != "code":
            continue
        shown = {m.split(".")[-1] for pattern in SHOWS_SOURCE for m in pattern.findall(cell.source)}
        hidden = cell.metadata.get("jupyter", {})
        for name in sorted(shown & set(asked)):
            missing = sorted(asked[name] - pointed)
            if missing:
                problems.append((index, name, f"shown before the link to {', '.join(missing)}"))
            if not hidden.get("source_hidden"):
                problems.append((index, name, "cell source not collapsed (source_hidden)"))
            if cell.get("outputs") and not hidden.get("outputs_hidden"):
                problems.append((index, name, "output showing the source not collapsed"))
    return problems


def test_the_list_of_exercise_functions_comes_from_the_solutions():
    asked = exercise_functions()
    for name, exercise in [("rnn_cell_forward", "ex03"), ("rnn_forward", "ex04"),
                           ("rnn_cell_backward", "ex05"), ("rnn_backward", "ex06"),
                           ("clip_by_global_norm", "ex07"), ("sample", "ex07"),
                           ("rnn_backward_truncated", "ex09"), ("build_vocabulary", "ex01"),
                           ("one_hot_sentence", "ex01"), ("encode_batch", "ex01")]:
        assert exercise in asked.get(name, set()), f"{name} not found as {exercise}'s function"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_notebook_shows_an_exercise_answer_early_or_uncollapsed(path):
    problems = spoilers(nbformat.read(path, as_version=4), exercise_functions())
    assert not problems, "; ".join(f"cell {i}: {name} {what}" for i, name, what in problems)


def test_the_scan_catches_what_it_must_and_accepts_the_right_way():
    new = nbformat.v4
    asked = {"rnn_cell_backward": {"ex05"}}
    link = new.new_markdown_cell("Try [ex05](../exercises/ex05-rnn-cell-backward.ipynb).")
    shown = new.new_code_cell("print(inspect.getsource(R.rnn_cell_backward))")
    shown.outputs = [new.new_output("stream", name="stdout", text="def rnn_cell_backward")]

    def notebook(*cells):
        nb = new.new_notebook()
        nb.cells = [new.new_markdown_cell("# Title"), *cells]
        return nb

    early = spoilers(notebook(shown, link), asked)
    assert any("before the link to ex05" in what for _, _, what in early)
    open_cell = spoilers(notebook(link, shown), asked)
    assert {what for _, _, what in open_cell} == {
        "cell source not collapsed (source_hidden)", "output showing the source not collapsed"}
    magic = new.new_code_cell("rnn_cell_backward??")
    assert spoilers(notebook(magic), asked)
    collapsed = new.new_code_cell(shown.source, outputs=shown.outputs)
    collapsed.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    assert spoilers(notebook(link, collapsed), asked) == []
    harmless = new.new_code_cell("a, cache = rnn_cell_forward(x, a0, params)")
    assert spoilers(notebook(harmless), {"rnn_cell_forward": {"ex03"}}) == []
