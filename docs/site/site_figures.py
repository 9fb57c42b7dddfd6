"""The course site's figures: each has alt text, none comes from another host.

A notebook figure's alt text is the one stored with its output, when there is one: the
output's metadata `{"image/png": {"alt": ...}}` (or `{"alt": ...}`), or myst-nb's cell metadata
`mystnb.image.alt`. A figure without one gets a sentence from the notebook's own text: the
notebook and section it is in, and the first sentence of the Markdown cell before it.
An image from another host (a badge) is replaced by its alt text, so no page loads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
_SENTENCE = re.compile(r"(.+?[.!?:])(\s|$)", re.DOTALL)
_MARKUP = re.compile(r"[*_`#>]|\$+|<[^>]+>|\[([^\]]*)\]\([^)]*\)")


def plain(markdown: str) -> str:
    """Markdown as a plain line: links keep their words, markup and math signs go."""
    text = _MARKUP.sub(lambda m: m.group(1) or "", markdown)
    return " ".join(text.split())


def first_sentence(markdown: str) -> str:
    text = plain(markdown)
    match = _SENTENCE.match(text)
    return (match.group(1) if match else text).rstrip(":").strip()


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def stored_alt(output: dict) -> str | None:
    """The alt text stored with an output, if any."""
    metadata = output.get("metadata", {}) or {}
    for mime in IMAGE_TYPES:
        per_type = metadata.get(mime)
        if isinstance(per_type, dict) and per_type.get("alt"):
            return str(per_type["alt"])
    return str(metadata["alt"]) if metadata.get("alt") else None


def derived_alt(notebook: dict, cell_index: int) -> str:
    """A sentence saying where the figure is and what the text before it says."""
    cells = notebook["cells"]
    title, section, before = None, None, None
    for cell in cells[:cell_index]:
        if cell["cell_type"] != "markdown":
            continue
        text = _source(cell).strip()
        for line in text.splitlines():
            if line.startswith("# ") and title is None:
                title = plain(line[2:])
            elif line.startswith("## "):
                section = plain(line[3:])
        if text:
            before = text
    where = f"section “{section}” of “{title}”" if section else f"“{title}”"
    sentence = f"Figure drawn by the code in {where}"
    if before:
        lead = first_sentence("\n".join(
            line for line in before.splitlines() if not line.startswith("#")))
        if lead:
            sentence += f", after the text: {lead}"
    return sentence.rstrip(".") + "."


def figure_alts(notebook: dict, cell_index: int) -> list[str]:
    """Alt text of each image output of one code cell, in order."""
    cell = notebook["cells"][cell_index]
    alts = []
    mystnb = cell.get("metadata", {}).get("mystnb") or {}
    meta_alt = (mystnb.get("image") or {}).get("alt")
    for output in cell.get("outputs", []):
        if any(mime in output.get("data", {}) for mime in IMAGE_TYPES):
            alts.append(stored_alt(output) or meta_alt or derived_alt(notebook, cell_index))
    return alts


def add_alt_text(app, doctree) -> None:
    """doctree-read: give each notebook image without alt text its stored or derived alt."""
    path = Path(app.env.doc2path(app.env.docname))
    if path.suffix != ".ipynb":
        return
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell_node in doctree.findall(nodes.container):
        if cell_node.get("nb_element") != "cell_code" or cell_node.get("cell_index") is None:
            continue
        images = list(cell_node.findall(nodes.image))
        alts = figure_alts(notebook, cell_node["cell_index"])
        for image, alt in zip(images, alts, strict=False):
            if not image.get("alt"):
                image["alt"] = alt


def drop_remote_images(app, doctree) -> None:
    """doctree-read: an image from the web becomes its alt text (the site works offline)."""
    for image in list(doctree.findall(nodes.image)):
        if re.match(r"^[a-z][a-z0-9+.-]*://", image.get("uri", ""), re.IGNORECASE):
            image.replace_self(nodes.inline(text=image.get("alt", "")))


def setup(app):
    app.connect("doctree-read", add_alt_text)
    app.connect("doctree-read", drop_remote_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
