"""Every notebook is stored as JupyterLab reads it (scripts/store_notebooks.py), so that
opening one changes nothing (the browser test opens each and checks its tab), and its long
cells that only draw a figure are folded, so that it reads as a lesson."""
import copy
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import store_notebooks  # noqa: E402

SPEC = store_notebooks.kernelspec()


def test_the_kernel_spec_is_ipykernels():
    assert SPEC["name"] == "python3" and SPEC["language"] == "python"
    assert SPEC["display_name"] == "Python 3 (ipykernel)"


@pytest.mark.parametrize("path", store_notebooks.notebooks(),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_is_stored_as_jupyterlab_reads_it(path):
    notebook = nbformat.read(path, as_version=4)
    assert not store_notebooks.store(notebook, SPEC), (
        f"{path.name}: JupyterLab would mark it modified on open; run "
        "python scripts/store_notebooks.py")


def test_store_fixes_what_jupyterlab_rewrites_and_nothing_else():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    hidden = nbformat.v4.new_code_cell("print(1)")
    hidden.metadata["jupyter"] = {"outputs_hidden": True, "source_hidden": True}
    shown = nbformat.v4.new_code_cell("print(2)")
    notebook.cells = [hidden, shown, nbformat.v4.new_markdown_cell("# text")]
    before = copy.deepcopy(notebook)
    assert store_notebooks.store(notebook, SPEC)
    assert notebook.metadata["kernelspec"]["display_name"] == "Python 3 (ipykernel)"
    assert notebook.cells[0].metadata["collapsed"] is True
    assert notebook.cells[0].metadata["tags"] == ["hide-input", "hide-output"]  # the site's fold
    assert notebook.cells[1] == before.cells[1]
    assert notebook.cells[2] == before.cells[2]
    assert [c.source for c in notebook.cells] == [c.source for c in before.cells]
    assert not store_notebooks.store(notebook, SPEC)  # a second run changes nothing


# --------------------------------------------------------------------------- folded drawing cells

FIGURE = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                       "text/plain": "<Figure size 800x350>"})
PRINTED = nbformat.v4.new_output("stream", name="stdout", text="0.42\n")


def drawing(lines: int = 12, head: str = "", outputs=(FIGURE,)):
    """A code cell of `lines` lines that draws a figure, `head` first."""
    body = ["fig, ax = plt.subplots()"] + [f"ax.plot(x, {i} * x)" for i in range(lines - 2)]
    source = head + "\n".join(body + ['show(fig, "Lines through the origin.")'])
    return nbformat.v4.new_code_cell(source, outputs=list(outputs))


def folded(*cells) -> list[bool]:
    """For each cell, whether the rule folds it."""
    return [store_notebooks.draws_only(list(cells), i) for i in range(len(cells))]


def code(source: str):
    return nbformat.v4.new_code_cell(source)


def test_a_long_cell_that_only_draws_is_folded():
    assert folded(drawing(), code("print(x)")) == [True, False]
    notebook = nbformat.v4.new_notebook(cells=[drawing()])
    notebook.metadata["kernelspec"] = dict(SPEC)
    assert store_notebooks.store(notebook, SPEC)
    assert notebook.cells[0].metadata["jupyter"] == {"source_hidden": True}
    assert notebook.cells[0].metadata["tags"] == ["hide-input"]
    assert not store_notebooks.store(notebook, SPEC)


@pytest.mark.parametrize("why, cell", [
    ("short", drawing(lines=store_notebooks.MIN_LINES - 1)),
    ("prints a result", drawing(outputs=(FIGURE, PRINTED))),
    ("shows no figure", drawing(outputs=(PRINTED,))),
    ("was never run", drawing(outputs=())),
    ("trains a model", drawing(head="params, history = train(loss, params, batches)\n")),
])
def test_a_cell_that_does_more_than_draw_stays_open(why, cell):
    assert folded(cell) == [False], why


@pytest.mark.parametrize("why, later, folds", [
    ("a later cell calls the function it defines",
     "interact(draw_curve, k=(1, 5))", False),
    ("a later function reads its result", "def f():\n    return curve.max()\nf()", False),
    ("a comprehension reads its result", "[c for c in curve]", False),
    ("a later cell rebinds the names first",
     "fig, ax = plt.subplots()\ncurve = 2 * x\nax.plot(curve)", True),
    ("a loop binds the name it reads", "for curve in (x, 2 * x):\n    print(curve)", True),
    ("a function's own argument of that name", "def f(curve):\n    return curve\nf(x)", True),
    ("a magic, then an unrelated read", "%time y = x + 1\nprint(y)", True),
    ("x = f(x) reads before it binds", "curve = curve + 1", False),
])
def test_a_name_a_later_cell_reads_keeps_the_cell_open(why, later, folds):
    head = "def draw_curve(k):\n    return k * x\n\ncurve = draw_curve(2)\n"
    assert folded(drawing(head=head), nbformat.v4.new_markdown_cell("text"),
                  code(later)) == [folds, False, False], why


def test_folded_cells_are_the_drawing_ones_and_the_hidden_answers():
    """What is folded in the course: every cell the rule picks (checked above: storing changes
    nothing) and, besides, only the cells that print an exercise's answer (tests/test_spoilers.py
    says which must be)."""
    count = 0
    for path in store_notebooks.notebooks():
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            meta = cell.metadata
            if not meta.get("jupyter", {}).get("source_hidden"):
                assert "hide-input" not in meta.get("tags", []), f"{path.name} cell {index}"
                continue
            assert "hide-input" in meta.get("tags", []), f"{path.name} cell {index}"
            if path.parent.name == "exercises":
                continue  # released from solutions/, outputs cleared
            assert (store_notebooks.draws_only(notebook.cells, index)
                    or "inspect.getsource(" in cell.source), f"{path.name} cell {index}"
            count += store_notebooks.draws_only(notebook.cells, index)
    assert count >= 15, f"only {count} drawing cells folded"


def test_a_widget_reads_as_a_note_or_a_finished_bar_before_it_runs():
    """Before a kernel draws a widget, JupyterLab shows its text/plain: never the widget's
    repr, never a progress bar at 0%."""
    def model(name, **state):
        return {"model_name": name, "state": state}

    state = {"state": {
        "bar": model("HBoxModel", children=["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]),
        "l": model("HTMLModel", value="training:\u2007100%"),
        "p": model("FloatProgressModel", value=400.0, max=400.0),
        "r": model("HTMLModel", value="\u2007400/400\u2007[00:03&lt;00:00]"),
        "box": model("VBoxModel", children=["IPY_MODEL_p"]),
    }}
    assert store_notebooks.widget_text("bar", state) == \
        "training: 100%|██████████|400/400 [00:03<00:00]"
    assert store_notebooks.widget_text("box", state) == store_notebooks.WIDGET_NOTE
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {store_notebooks.WIDGET_STATE: state}
    out = nbformat.v4.new_output("display_data", data={
        "text/plain": "VBox(children=(IntSlider(value=6),))",
        store_notebooks.WIDGET_VIEW: {"model_id": "box", "version_major": 2,
                                      "version_minor": 0}})
    nb.cells.append(nbformat.v4.new_code_cell("w", outputs=[out]))
    assert store_notebooks.store(nb, SPEC)
    assert nb.cells[0].outputs[0].data["text/plain"] == store_notebooks.WIDGET_NOTE
    assert not store_notebooks.store(nb, SPEC)
    for path in store_notebooks.notebooks():
        for cell in nbformat.read(path, 4).cells:
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/plain", "")
                if store_notebooks.WIDGET_VIEW in output.get("data", {}):
                    assert not text.startswith(("VBox(", "HBox(")) and " 0%|" not in text, path
