"""rnnlesson.figures.show stores alt text with the figure's output, in a real kernel; every
figure stored in notebooks/ and solutions/ carries one."""
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from rnnlesson.figures import alt_metadata, show

ROOT = Path(__file__).resolve().parents[1]
ALT = "A line rising from the lower left to the upper right."


def test_show_stores_the_alt_text_with_the_png_and_shows_the_figure_once():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from rnnlesson.figures import show\n"
        "fig, ax = plt.subplots()\n"
        "ax.plot([0, 1], [0, 1])\n"
        f"show(fig, {ALT!r})\n"
        "plt.show()")]
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    images = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the figure must be shown exactly once"
    assert images[0]["metadata"]["image/png"]["alt"] == ALT


@pytest.mark.parametrize("alt", ["", "   ", "figure", "plot.png", None, 3])
def test_alt_must_be_a_sentence(alt):
    with pytest.raises(ValueError, match="alt: expected a sentence"):
        alt_metadata(alt)


def test_show_names_a_wrong_figure():
    with pytest.raises(ValueError, match="fig: expected a matplotlib Figure"):
        show([1, 2], ALT)


def test_alt_text_is_kept_on_one_line():
    assert alt_metadata("Two  lines\nof text here.") == {
        "image/png": {"alt": "Two lines of text here."}}


def _image_outputs(notebook: dict):
    """(where, output) for every PNG output of a stored notebook, widget states included."""
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                yield f"cell {index}", output
    widgets = notebook["metadata"].get("widgets", {})
    state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for model_id, model in state.items():
        for output in model.get("state", {}).get("outputs", []):
            if "image/png" in output.get("data", {}):
                yield f"widget {model_id[:8]}", output


STORED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", STORED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_stored_figure_has_alt_text(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for where, output in _image_outputs(notebook):
        alt = (output.get("metadata", {}).get("image/png") or {}).get("alt")
        assert alt, f"{path.name}, {where}: a figure without alt text (use rnnlesson.figures.show)"
        alt_metadata(alt)  # a sentence, not a file name
