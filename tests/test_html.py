"""The static version: scripts/build_html.py turns the stored notebooks into linked pages."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class PageParser(HTMLParser):
    """Collects a page's <title>, headings, images and every href/src."""

    def __init__(self):
        super().__init__()
        self.title, self.h1, self.links, self.images = "", [], [], 0
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("title", "h1"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")
        if tag == "img":
            self.images += 1
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1[-1] += data


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def first_heading(nb_path: Path) -> str | None:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def has_code(nb_path: Path) -> bool:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in nb["cells"])


WITH_CODE = [p for p in NOTEBOOKS if has_code(p)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_html.py"), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_there_are_notebooks_to_build():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_notebook_has_a_titled_page(site, nb_path):
    page = site / f"{nb_path.stem}.html"
    assert page.is_file(), f"no page for {nb_path.name}"
    title = first_heading(nb_path)
    assert title, f"{nb_path.name} has no '# ' heading to title its page"
    parsed = parse(page)
    assert html.unescape(parsed.title).strip() == title
    assert parsed.h1, f"{page.name} shows no <h1> heading"


@pytest.mark.parametrize("nb_path", WITH_CODE, ids=[p.stem for p in WITH_CODE])
def test_each_page_with_code_shows_a_figure(site, nb_path):
    """A page of a notebook with code shows a picture (a widget's first figure counts).

    Text-only notebooks (a table of contents) are not asked for one.
    """
    text = (site / f"{nb_path.stem}.html").read_text(encoding="utf-8")
    assert "<img" in text, (
        f"{nb_path.stem}.html has no <img; if its figures live in widgets, save the notebook "
        "with its widget state (executing with nbclient or nbconvert --execute keeps it)"
    )


def widget_views_with_state(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return sum(
        1
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if out.get("data", {}).get(WIDGET_VIEW, {}).get("model_id") in state
    )


WITH_WIDGETS = [p for p in NOTEBOOKS if widget_views_with_state(p)]


@pytest.mark.parametrize("nb_path", WITH_WIDGETS, ids=[p.stem for p in WITH_WIDGETS])
def test_widgets_show_their_saved_state_without_scripts(site, nb_path):
    """Each saved widget view is embedded, with a static copy of what it showed."""
    text = (site / f"{nb_path.stem}.html").read_text(encoding="utf-8")
    views = text.count('<script type="application/vnd.jupyter.widget-view+json">')
    assert views == widget_views_with_state(nb_path)
    assert text.count('<div class="rnn-widget-static">') >= 1
    assert f'<script type="{WIDGET_STATE}">' in text, "the widget state is not embedded"


def _relative_targets(page: Path):
    for link in parse(page).links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path:
            continue  # web addresses, data: URIs, #anchors
        yield link, (page.parent / unquote(parts.path)).resolve()


def test_every_relative_link_resolves(site):
    broken = [
        f"{page.name}: {link}"
        for page in sorted(site.glob("*.html"))
        for link, target in _relative_targets(page)
        if not target.exists()
    ]
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def test_links_between_notebooks_point_at_pages(site):
    stems = {p.stem for p in NOTEBOOKS}
    left = [
        f"{page.name}: {link}"
        for page in sorted(site.glob("*.html"))
        for link, target in _relative_targets(page)
        if target.suffix == ".ipynb" and target.stem in stems and target.parent == site
    ]
    assert not left, "links still naming a notebook instead of its page:\n" + "\n".join(left)


def test_index_links_every_page_with_its_title(site):
    index = site / "index.html"
    assert index.is_file()
    parsed = parse(index)
    linked = {unquote(urlsplit(link).path) for link in parsed.links}
    missing = [p.stem for p in NOTEBOOKS if f"{p.stem}.html" not in linked]
    assert not missing, f"index.html does not link: {missing}"
    text = html.unescape(index.read_text(encoding="utf-8"))
    untitled = [p.stem for p in NOTEBOOKS if first_heading(p) and first_heading(p) not in text]
    assert not untitled, f"index.html lacks the titles of: {untitled}"
