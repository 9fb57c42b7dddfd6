"""Every notebook is stored as JupyterLab reads it (scripts/store_notebooks.py), so that
opening one changes nothing; the browser test opens each and checks its tab."""
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
    assert "collapsed" not in notebook.cells[1].metadata
    assert notebook.cells[2] == before.cells[2]
    assert [c.source for c in notebook.cells] == [c.source for c in before.cells]
    assert not store_notebooks.store(notebook, SPEC)  # a second run changes nothing
