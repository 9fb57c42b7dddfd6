"""The course as a whole: notebook names, titles, the generated index, required sections,
figures, seeds and links."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from rnnlesson import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCRIPT = ROOT / "scripts" / "update_index.py"
FILES = course.notebook_files(NOTEBOOKS)
FIGURE_TYPES = ("image/png", "application/vnd.jupyter.widget-view+json")
SEED = re.compile(r"np\.random\.(default_rng|seed)\(\s*\d+")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HTML_LINK = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']")
NOT_PROSE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def load(path):
    return nbformat.read(path, as_version=4)


def markdown_text(notebook):
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def relative_links(markdown):
    """Targets of Markdown and HTML links and images that point at local files (code and
    math are skipped)."""
    text = NOT_PROSE.sub("", markdown)
    targets = (INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
               + HTML_LINK.findall(text))
    local = []
    for target in targets:
        if SCHEME.match(target) or target.startswith(("#", "//")):
            continue
        path = unquote(re.split(r"[#?]", target, maxsplit=1)[0])
        if path:
            local.append(path)
    return local


def ids(paths):
    return [p.name for p in paths]


# ---- the folder as a whole -------------------------------------------------------------------

def test_every_notebook_is_named_nn_slug():
    bad = [p.name for p in FILES if not course.NAME_PATTERN.match(p.name)]
    assert FILES, "notebooks/ holds no notebooks"
    assert not bad, f"not NN-slug.ipynb (two digits, lowercase hyphenated slug): {bad}"


def test_notebook_numbers_run_from_00_without_gaps_or_repeats():
    numbers = [course.parse_name(p)[0] for p in FILES]
    assert numbers == list(range(len(FILES))), f"numbers found: {numbers}"
    assert FILES[0].name == course.INDEX_NAME


def test_index_course_map_matches_the_generator():
    index = load(NOTEBOOKS / course.INDEX_NAME)
    current = index.cells[course.find_map_cell(index)].source
    assert current == course.course_map_markdown(NOTEBOOKS), \
        "the course map in 00-index is out of date: run python scripts/update_index.py"


# ---- each notebook ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_first_cell_is_a_markdown_title(path):
    first = load(path).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), f"first cell starts {first.source[:40]!r}"
    assert course.notebook_title(path) == first.source.splitlines()[0][2:].strip()


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
@pytest.mark.parametrize("heading", ["## Summary", "## Check yourself"])
def test_has_heading(path, heading):
    lines = markdown_text(load(path)).splitlines()
    assert any(line.strip() == heading for line in lines), f"no {heading!r} heading"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_has_a_stored_figure_or_widget(path):
    kinds = {kind for cell in load(path).cells if cell.cell_type == "code"
             for output in cell.get("outputs", []) for kind in output.get("data", {})}
    assert kinds & set(FIGURE_TYPES), f"no stored output of type {FIGURE_TYPES}"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_first_code_cell_seeds_numpy(path):
    code = [c.source for c in load(path).cells if c.cell_type == "code"]
    assert code, "no code cell"
    assert SEED.search(code[0]), "first code cell has no np.random.default_rng(<seed>)"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_relative_links_point_at_files(path):
    """Links into exercises/ count when solutions/ holds the file the exercise is made from."""
    missing = []
    for target in relative_links(markdown_text(load(path))):
        resolved = (path.parent / target).resolve()
        if resolved.parent == (ROOT / "exercises").resolve():
            resolved = ROOT / "solutions" / resolved.name
        if not resolved.exists():
            missing.append(target)
    assert not missing, f"links to missing files: {missing}"


NUMBERED_LINK = re.compile(r"\[(?:[Nn]otebook\s+)?(\d\d)\b[^\]]*\]\(\s*<?([^)\s>]+)>?\s*\)")
NOTEBOOK_TARGET = re.compile(r"(?:^|/)(\d\d)-[a-z][\w-]*\.ipynb$")
WITH_LINKS = FILES + sorted((ROOT / "solutions").glob("*.ipynb"))


def numbered_links(markdown):
    """(number in the link's text, number of the notebook it opens) of every link whose text
    starts with a notebook's number ('[11 · Sentiment ...](...)', '[Notebook 10](...)')."""
    return [(text_number, target.group(1))
            for text_number, link in NUMBERED_LINK.findall(markdown)
            if (target := NOTEBOOK_TARGET.search(unquote(link.split("#")[0])))]


@pytest.mark.parametrize("path", WITH_LINKS, ids=ids(WITH_LINKS))
def test_a_link_named_by_a_notebooks_number_opens_that_notebook(path):
    """Renumbering the notebooks must carry the numbers written in the links along."""
    wrong = [(said, opens) for said, opens in numbered_links(markdown_text(load(path)))
             if said != opens]
    assert not wrong, f"links whose text says one notebook and opens another: {wrong}"


NEXT_LINK = re.compile(r"\*\*Next:\*\*\s*\[[^\]]*\]\(\s*<?([^)\s>]+)>?\s*\)")


@pytest.mark.parametrize("path", FILES[:-1], ids=ids(FILES[:-1]))
def test_next_opens_the_following_notebook(path):
    """Every notebook but the last ends by pointing at the one after it (a notebook put in
    between must be pointed at by the one before)."""
    targets = NEXT_LINK.findall(markdown_text(load(path)))
    following = FILES[FILES.index(path) + 1].name
    assert targets and unquote(targets[-1]) == following, (targets, following)


def test_numbered_links_reads_the_number_in_the_text_and_in_the_target():
    text = ("[11 · Sentiment](../notebooks/11-sentiment.ipynb), [Notebook 10](10-gated.ipynb), "
            "[12 · A model](../notebooks/13-other.ipynb), "
            "[ex05-backward](../exercises/ex05-b.ipynb), [Exercise 5](../exercises/ex05-b.ipynb)")
    assert numbered_links(text) == [("11", "11"), ("10", "10"), ("12", "13")]


# ---- the helpers themselves, on a small made-up course ---------------------------------------

def write_notebook(path, first_cell, *more):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(first_cell), *more]
    nbformat.write(notebook, path)


@pytest.fixture
def tiny_course(tmp_path):
    stale = nbformat.v4.new_markdown_cell(course.MAP_MARKER + "\n## Course map\n\nold")
    code = nbformat.v4.new_code_cell("import numpy as np\nrng = np.random.default_rng(0)")
    write_notebook(tmp_path / "00-index.ipynb", "# Index\n\nWelcome.", stale, code)
    write_notebook(tmp_path / "01-first-steps.ipynb", "# First steps\n\nText.")
    write_notebook(tmp_path / "05-the-cell.ipynb", "# The cell: one step")
    write_notebook(tmp_path / "18-extra.ipynb", "# Extra")
    return tmp_path


def test_course_map_lists_each_part_in_order(tiny_course):
    assert course.course_map_markdown(tiny_course) == "\n".join([
        course.MAP_MARKER, "## Course map",
        "", "**Foundations**", "", "1. [First steps](01-first-steps.ipynb)",
        "", "**The RNN**", "", "5. [The cell: one step](05-the-cell.ipynb)",
        "", f"**{course.OTHER_PART}**", "", "18. [Extra](18-extra.ipynb)",
    ])


@pytest.mark.parametrize("name", ["1-x.ipynb", "01_x.ipynb", "01-X.ipynb", "01-x-.ipynb",
                                  "01-.ipynb", "001-x.ipynb", "01-x.py"])
def test_parse_name_rejects_names_off_the_pattern(name):
    with pytest.raises(ValueError, match="NN-slug"):
        course.parse_name(name)


def test_notebook_title_needs_a_markdown_heading_first(tmp_path):
    write_notebook(tmp_path / "01-a.ipynb", "Some text, no heading")
    with pytest.raises(ValueError, match="# <Title>"):
        course.notebook_title(tmp_path / "01-a.ipynb")


def load_script():
    spec = importlib.util.spec_from_file_location("update_index", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


update_index = load_script()


def test_update_index_rewrites_only_the_map_cell_and_is_idempotent(tiny_course):
    before = load(tiny_course / course.INDEX_NAME)
    assert update_index.main(["--notebooks", str(tiny_course), "--check"]) == 1
    assert update_index.main(["--notebooks", str(tiny_course)]) == 0
    after = load(tiny_course / course.INDEX_NAME)
    assert after.cells[1].source == course.course_map_markdown(tiny_course)
    assert [c.source for i, c in enumerate(after.cells) if i != 1] == \
        [c.source for i, c in enumerate(before.cells) if i != 1]
    first_bytes = (tiny_course / course.INDEX_NAME).read_bytes()
    assert update_index.main(["--notebooks", str(tiny_course), "--check"]) == 0
    assert update_index.main(["--notebooks", str(tiny_course)]) == 0
    assert (tiny_course / course.INDEX_NAME).read_bytes() == first_bytes


def test_update_index_follows_a_new_notebook(tiny_course):
    update_index.main(["--notebooks", str(tiny_course)])
    shutil.copy(tiny_course / "01-first-steps.ipynb", tiny_course / "02-second-steps.ipynb")
    assert update_index.main(["--notebooks", str(tiny_course), "--check"]) == 1
    update_index.main(["--notebooks", str(tiny_course)])
    source = load(tiny_course / course.INDEX_NAME).cells[1].source
    assert "2. [First steps](02-second-steps.ipynb)" in source


def test_update_index_script_refuses_an_untitled_notebook(tiny_course):
    """Run as a command, the way it is meant to be used."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import numpy as np")]
    nbformat.write(notebook, tiny_course / "02-untitled.ipynb")
    before = (tiny_course / course.INDEX_NAME).read_bytes()
    result = subprocess.run([sys.executable, str(SCRIPT), "--notebooks", str(tiny_course)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "02-untitled.ipynb" in result.stderr and "# <Title>" in result.stderr
    assert (tiny_course / course.INDEX_NAME).read_bytes() == before


def test_relative_links_finds_local_targets_only():
    text = ("[a](01-x.ipynb) ![b](img/p.png) [c](https://x.org) [d](#top) "
            "[e](../exercises/ex01-y.ipynb#part) `[f](not-a-link.md)` <a href=\"g.md\">g</a>\n"
            "[r]: ../README.md\n```\n[h](in-code.md)\n```\n$[0, n_x](m)$ $$[a](b)$$")
    assert relative_links(text) == ["01-x.ipynb", "img/p.png", "../exercises/ex01-y.ipynb",
                                    "../README.md", "g.md"]
