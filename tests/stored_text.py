"""A stored notebook read as text, for the tests that hold its prose to its printed outputs:
`notebook, printed, prose, source = fixtures(PATH)` at a test module's top gives it the four
module-scoped fixtures."""

import nbformat
import pytest


def printed_text(notebook):
    """Everything the code cells printed (their stream and text outputs), one string."""
    return "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


def prose_text(notebook):
    """The Markdown cells, every run of white space one space."""
    return " ".join(" ".join(c.source for c in notebook.cells if c.cell_type == "markdown")
                    .split())


def source_text(notebook):
    """The code cells' source."""
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def fixtures(path):
    """The fixtures notebook (the stored notebook at path), printed, prose and source."""

    @pytest.fixture(scope="module")
    def notebook():
        return nbformat.read(path, as_version=4)

    @pytest.fixture(scope="module")
    def printed(notebook):
        return printed_text(notebook)

    @pytest.fixture(scope="module")
    def prose(notebook):
        return prose_text(notebook)

    @pytest.fixture(scope="module")
    def source(notebook):
        return source_text(notebook)

    return notebook, printed, prose, source
