"""rnnlesson.figures.show stores alt text with the figure's output, in a real kernel."""
import nbformat
import pytest
from nbclient import NotebookClient

from rnnlesson.figures import alt_metadata, show

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
