"""The course site `make html` builds (Sphinx, myst-nb, the book theme): whole and offline.

Every page of the table of contents is there with its title and previous/next links, every
internal link and anchor resolves, the search index knows every page, no page loads anything
from another host, every figure has alt text, widgets carry their stored state, each notebook
has a launch button, cells folded in JupyterLab are folded on the page, and nothing is
executed to build it.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import site_support
import yaml

REPO = site_support.REPO
TOC = yaml.safe_load((site_support.SITE_CONF / "_toc.yml").read_text(encoding="utf-8"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Elements whose attribute makes the browser fetch something (a plain <a href> does not).
LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
         ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"),
         ("input", "src"), ("track", "src")}
LINK_LOADS = {"stylesheet", "preload", "prefetch", "icon", "modulepreload", "manifest",
              "apple-touch-icon", "dns-prefetch", "preconnect"}


def toc_docnames() -> list[str]:
    names = [TOC["root"]]
    for part in TOC["parts"]:
        names += [chapter["file"] for chapter in part["chapters"]]
    return names


DOCNAMES = toc_docnames()
NOTEBOOK_DOCS = [d for d in DOCNAMES if (REPO / f"{d}.ipynb").is_file()]


class Page(HTMLParser):
    """A page's title, ids, links, loaded resources, images, <link rel> and script types."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.ids, self.links, self.loads, self.images = "", set(), [], [], []
        self.rel, self.script_types, self.main_text = {}, [], []
        self._in_title = False
        self._main_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "title":
            self._in_title = True
        if tag == "main" or self._main_depth:
            self._main_depth += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "link" and attrs.get("href"):
            rels = set((attrs.get("rel") or "").lower().split())
            for rel in rels:
                self.rel[rel] = attrs["href"]
            (self.loads if rels & LINK_LOADS else self.links).append(attrs["href"])
        for element, attribute in LOADS:
            if tag == element and attrs.get(attribute):
                self.loads.append(attrs[attribute])
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self.script_types.append(attrs.get("type", "text/javascript"))
        if attrs.get("style") and "url(" in attrs["style"]:
            self.loads += re.findall(r"url\(\s*['\"]?([^'\")]+)", attrs["style"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self._main_depth:
            self._main_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._main_depth:
            self.main_text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def is_remote(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data", "blob")


def first_heading(source: Path) -> str:
    if source.suffix == ".ipynb":
        nb = json.loads(source.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    for line in text.splitlines():
        match = re.match(r"^#{1,2} (.+)", line)
        if match:
            return re.sub(r"[`*]", "", match.group(1)).strip()
    raise AssertionError(f"{source} has no heading")


def source_of(docname: str) -> Path:
    for suffix in (".ipynb", ".md"):
        if (REPO / f"{docname}{suffix}").is_file():
            return REPO / f"{docname}{suffix}"
    raise AssertionError(f"{docname}: no source file")


@pytest.fixture(scope="module")
def site() -> Path:
    return site_support.built_site()


@pytest.fixture(scope="module")
def pages(site) -> dict[Path, Page]:
    return {path: parse(path) for path in sorted(site.rglob("*.html"))
            if "_static" not in path.relative_to(site).parts}


# --------------------------------------------------------------------------- what is built


def test_make_html_builds_with_sphinx_from_the_stored_outputs():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nhtml:", 1)[1].split("\n\n", 1)[0]
    assert "-m sphinx -b html" in recipe and "-c docs/site" in recipe
    assert not (REPO / "scripts" / "build_html.py").exists(), "the home-made builder is gone"
    conf = (site_support.SITE_CONF / "conf.py").read_text(encoding="utf-8")
    assert re.search(r'^nb_execution_mode = "off"', conf, re.MULTILINE)


def test_toc_lists_every_notebook_in_its_part_and_every_exercise():
    from rnnlesson import course

    expected = [(part, f"notebooks/{name[:-len('.ipynb')]}")
                for _, name, _, part in course.course_entries(REPO / "notebooks")]
    listed = [(part["caption"], chapter["file"]) for part in TOC["parts"]
              for chapter in part["chapters"] if chapter["file"].startswith("notebooks/")]
    assert listed == expected
    assert TOC["root"] == "notebooks/" + course.INDEX_NAME[:-len(".ipynb")]
    exercises = sorted(f"exercises/{p.stem}" for p in (REPO / "exercises").glob("*.ipynb"))
    assert exercises and [d for d in DOCNAMES if d.startswith("exercises/")] == exercises
    assert "docs/instructor" in DOCNAMES


def test_the_front_page_opens_the_course(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'url=notebooks/00-index\.html"', text), text[:300]


@pytest.mark.parametrize("docname", DOCNAMES)
def test_each_page_has_its_title_and_neighbours(site, docname):
    page_path = site / f"{docname}.html"
    assert page_path.is_file(), f"no page for {docname}"
    page = parse(page_path)
    title = page.title.replace("\u2019", "'")  # Sphinx's typographic apostrophes
    assert first_heading(source_of(docname)) in title
    index = DOCNAMES.index(docname)
    for rel, neighbour in (("prev", index - 1), ("next", index + 1)):
        if 0 <= neighbour < len(DOCNAMES):
            assert rel in page.rel, f"{docname}: no {rel} link"
            target = (page_path.parent / page.rel[rel]).resolve()
            assert target == (site / f"{DOCNAMES[neighbour]}.html").resolve()
    nav = {(page_path.parent / unquote(urlsplit(link).path)).resolve() for link in page.links}
    missing = [d for d in DOCNAMES
               if d != docname and (site / f"{d}.html").resolve() not in nav]
    assert not missing, f"{docname}: the table of contents lacks {missing}"


# --------------------------------------------------------------------------- links, offline


def test_every_internal_link_and_anchor_resolves(site, pages):
    broken = []
    for path, page in pages.items():
        for link in page.links + page.loads:
            parts = urlsplit(link)
            if is_remote(link) or link.startswith(("data:", "mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {link} (no file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_no_page_loads_anything_from_another_host(site, pages):
    remote = [f"{path.relative_to(site)}: {url}" for path, page in pages.items()
              for url in page.loads if is_remote(url)]
    assert not remote, "loaded from another host:\n" + "\n".join(remote)
    assert any(page.loads for page in pages.values()), "the parser found no resource at all"


def test_no_stylesheet_loads_from_another_host(site):
    remote = []
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", text):
            if is_remote(url):
                remote.append(f"{css.relative_to(site)}: {url}")
    assert not remote, "\n".join(remote)


def test_math_and_widgets_are_served_from_the_site(site):
    page = parse(site / "notebooks" / "08-backpropagation-through-time.html")
    mathjax = [u for u in page.loads if "mathjax" in u.lower()]
    assert mathjax and all(not is_remote(u) for u in mathjax), mathjax
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (site / "_static" / "widgets" / "embed.js").stat().st_size > 100_000


# --------------------------------------------------------------------------- content


def test_search_index_knows_every_page_and_the_words_of_the_course(site):
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1: text.rindex(")")])
    assert set(DOCNAMES) <= set(index["docnames"])
    for word in ("backpropag", "recurr", "gradient", "vanish"):  # Sphinx stores stems
        assert word in index["terms"], f"the search index lacks {word!r}"
    assert (site / "search.html").is_file()


def _stored_images(nb: dict) -> int:
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", [])
               if any(k.startswith("image/") for k in out.get("data", {})))


@pytest.mark.parametrize("docname", NOTEBOOK_DOCS)
def test_every_stored_figure_is_on_its_page_with_alt_text(site, docname):
    nb = json.loads((REPO / f"{docname}.ipynb").read_text(encoding="utf-8"))
    page = parse(site / f"{docname}.html")
    figures = [img for img in page.images if "_images/" in img.get("src", "")]
    assert len(figures) == _stored_images(nb)
    for img in page.images:
        alt = (img.get("alt") or "").strip()
        assert alt, f"{docname}: <img src={img.get('src')!r}> has no alt text"
        assert not re.search(r"\.(png|jpe?g|svg|gif)$", alt), f"{docname}: alt is a file name"
        assert Path(img.get("src", "")).name not in alt


@pytest.mark.parametrize("docname", NOTEBOOK_DOCS)
def test_cells_folded_in_jupyterlab_are_folded_on_the_page(site, docname):
    """A cell whose code (or output) JupyterLab folds is behind a "Show code cell source" (or
    output) fold on the site, its figure still shown."""
    nb = json.loads((REPO / f"{docname}.ipynb").read_text(encoding="utf-8"))
    text = (site / f"{docname}.html").read_text(encoding="utf-8")
    for key, where in (("source_hidden", "above-input"), ("outputs_hidden", "below-input")):
        wanted = sum(1 for cell in nb["cells"]
                     if cell.get("metadata", {}).get("jupyter", {}).get(key))
        assert text.count(f'<details class="admonition hide {where}"') == wanted, (docname, key)


def _widget_views(nb: dict) -> int:
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", [])
               if out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id") in state)


WIDGET_DOCS = [d for d in NOTEBOOK_DOCS
               if _widget_views(json.loads((REPO / f"{d}.ipynb").read_text(encoding="utf-8")))]


def test_there_are_widget_pages():
    assert WIDGET_DOCS, "no notebook stores a widget with its state"


@pytest.mark.parametrize("docname", WIDGET_DOCS)
def test_widgets_carry_their_stored_state(site, docname):
    nb = json.loads((REPO / f"{docname}.ipynb").read_text(encoding="utf-8"))
    page = parse(site / f"{docname}.html")
    assert page.script_types.count(WIDGET_VIEW) == _widget_views(nb)
    assert page.script_types.count(WIDGET_STATE) == 1
    assert any(urlsplit(u).path.endswith("widgets/embed.js") for u in page.loads)


@pytest.mark.parametrize("docname", NOTEBOOK_DOCS)
def test_each_notebook_page_has_a_launch_button(site, docname):
    page = parse(site / f"{docname}.html")
    launch = [u for u in page.links if "mybinder.org/v2/" in u]
    assert launch and all(u.endswith(f"urlpath=lab/tree/{docname}.ipynb") for u in launch)


def test_the_equations_are_math_for_mathjax(site):
    """The page keeps the TeX inside MathJax's math markup (the browser test typesets it)."""
    text = (site / "notebooks" / "08-backpropagation-through-time.html").read_text("utf-8")
    assert text.count('class="math') >= 3
    assert "$$" not in re.sub(r"<(script|pre)\b.*?</\1>", "", text, flags=re.DOTALL)


def test_alt_text_derived_from_the_notebook_text(monkeypatch):
    monkeypatch.syspath_prepend(str(site_support.SITE_CONF))
    import site_figures

    nb = {"cells": [
        {"cell_type": "markdown", "source": "# Title\n\n## Part one\n\nA *plot* of $x$. More."},
        {"cell_type": "code", "source": "plot()", "metadata": {},
         "outputs": [{"data": {"image/png": "..."}, "metadata": {}},
                     {"data": {"image/png": "..."}, "metadata": {"image/png": {"alt": "Mine"}}}]},
    ]}
    derived, stored = site_figures.figure_alts(nb, 1)
    assert derived == ("Figure drawn by the code in section “Part one” of “Title”, "
                       "after the text: A plot of x.")
    assert stored == "Mine"
