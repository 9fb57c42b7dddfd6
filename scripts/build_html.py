"""Build the course as static HTML: one page per notebook in notebooks/, and an index.html.

The notebooks are stored executed, so nothing is run here: each page shows the saved outputs,
figures embedded. A widget is shown in its saved (initial) state; under it, the figures and text
that its Output widgets held when the notebook was saved are drawn as plain HTML, so the page
still shows them where the widget scripts cannot load. Links between notebooks (`NN-slug.ipynb`)
become links between pages (`NN-slug.html`); links to other files of the repository (an
exercise notebook, a module) are copied under files/ and pointed there.

    python scripts/build_html.py --out build/html
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import sys
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

REPO = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STATIC_KEY = "rnnlesson_static_html"
WIDGET_NOTE = (
    '<p class="rnn-widget-note">This is an interactive widget: its controls respond when '
    "the notebook runs in JupyterLab (locally, on Binder or on a JupyterHub).</p>"
)

# The lab template, with each widget view followed by its static picture. Once the widget
# scripts have drawn the live widget (a .widget-subarea), the static copy is hidden.
PAGE_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{% block extra_css %}
<style type="text/css">
.rnn-widget-static img { max-width: 100%; }
.jupyter-widgets:has(> .widget-subarea > *) > .rnn-widget-static { display: none; }
.rnn-widget-note { font-family: var(--jp-ui-font-family, sans-serif); font-size: 0.85em;
                  color: #555; font-style: italic; }
.rnn-widget-control { font-family: var(--jp-code-font-family, monospace); margin: 0.2em 0; }
.rnn-nav { font-family: var(--jp-ui-font-family, sans-serif); font-size: 0.9em; padding: 8px 16px; }
</style>
{% endblock extra_css %}
{% block body_header %}
{{ super() }}
<nav class="rnn-nav"><a href="index.html">All pages</a></nav>
{% endblock body_header %}
{%- block data_widget_view scoped %}
{% set div_id = uuid4() %}
{% set datatype_list = output.data | filter_data_type %}
{% set datatype = datatype_list[0]%}
<div id="{{ div_id }}" class="jupyter-widgets jp-OutputArea-output {{ extra_class }}">
<script type="text/javascript">
var element = document.getElementById('{{ div_id }}');
</script>
<script type="{{ datatype }}">
{{ output.data[datatype] | json_dumps | escape_html_script }}
</script>
{%- if output.metadata and output.metadata.get('rnnlesson_static_html') %}
<div class="rnn-widget-static">{{ output.metadata['rnnlesson_static_html'] }}</div>
{%- endif %}
</div>
{%- endblock data_widget_view -%}
"""

INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 3em auto; padding: 0 1em;
       line-height: 1.5; color: #222; }}
li {{ margin: 0.3em 0; }}
.file {{ color: #777; font-size: 0.85em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>The notebooks of the course as static pages, with the outputs they were saved with.
To run them and use the widgets, open the notebooks in JupyterLab.</p>
<ol>
{items}
</ol>
</body>
</html>
"""


def notebook_title(nb) -> str | None:
    """The first level-one Markdown heading (`# ...`) of a notebook."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def is_executed(nb) -> bool:
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return not code or any(c.get("execution_count") or c.get("outputs") for c in code)


# --------------------------------------------------------------------------- widgets


def _model_refs(value):
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        yield value[len("IPY_MODEL_"):]
    elif isinstance(value, list):
        for item in value:
            yield from _model_refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _model_refs(item)


def _render_static_output(output, state, seen) -> str:
    """One saved output (of an Output widget) as plain HTML."""
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        return _static_for_model(data[WIDGET_VIEW].get("model_id", ""), state, seen)
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            b64 = "".join(data[mime]).replace("\n", "")
            return f'<img src="data:{mime};base64,{b64}" alt="figure" />'
    if "image/svg+xml" in data:
        svg = "".join(data["image/svg+xml"]).encode()
        return f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}" />'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _control_line(state: dict) -> str:
    """A control's description and saved value, e.g. `T_x: 3`, as a line of text."""
    label = state.get("description", "")
    if "_options_labels" in state and isinstance(state.get("index"), int):
        labels = state["_options_labels"]
        value = labels[state["index"]] if 0 <= state["index"] < len(labels) else ""
    else:
        value = state.get("value")
        if isinstance(value, list):
            value = " to ".join(str(v) for v in value)
    if value is None or value == "" or isinstance(value, dict):
        return ""
    text = f"{label}: {value}" if label else str(value)
    return f'<p class="rnn-widget-control">{html.escape(text)}</p>'


def _static_for_model(model_id, state, seen) -> str:
    """Walk a widget and its children; draw what they were showing when saved."""
    if model_id in seen or model_id not in state:
        return ""
    seen.add(model_id)
    model = state[model_id]
    name, values = model.get("model_name", ""), model.get("state", {})
    parts = []
    if name == "OutputModel":
        for output in values.get("outputs", []):
            parts.append(_render_static_output(output, state, seen))
    elif name in ("HTMLModel", "HTMLMathModel"):
        parts.append(f"<div>{values.get('value', '')}</div>")
    elif name == "LabelModel":
        parts.append(f"<p>{html.escape(str(values.get('value', '')))}</p>")
    elif "value" in values or "_options_labels" in values:
        parts.append(_control_line(values))
    for ref in _model_refs(values):
        parts.append(_static_for_model(ref, state, seen))
    return "".join(parts)


def prepare_widgets(nb) -> None:
    """Give each widget view a static copy of what it showed, or a note if no state was saved.

    The note that the controls need a running kernel comes once per cell, before the first view.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        note = WIDGET_NOTE
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            if view.get("model_id") in state:
                static = _static_for_model(view["model_id"], state, set())
                output.setdefault("metadata", {})[STATIC_KEY] = note + static
            else:
                # No saved state: the view cannot be drawn, and its repr is noise.
                output["data"] = {"text/html": note}
            note = ""


# --------------------------------------------------------------------------- links

_LINK = re.compile(r'(?P<attr>\b(?:href|src))=(?P<q>["\'])(?P<url>[^"\']*)(?P=q)')


def rewrite_links(page: str, nb_dir: Path, pages: dict[Path, str], out: Path) -> str:
    """Point links at pages; copy other repository files they name under out/files/."""
    root = nb_dir.parent

    def fix(match):
        url = match.group("url")
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or url.startswith("#"):
            return match.group(0)
        target = (nb_dir / unquote(parts.path)).resolve()
        anchor = f"#{parts.fragment}" if parts.fragment else ""
        if target in pages:
            new = pages[target] + anchor
        elif target.is_file() and target.is_relative_to(root):
            rel = target.relative_to(root).as_posix()
            dest = out / "files" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, dest)
            new = f"files/{rel}{anchor}"
        else:
            return match.group(0)
        return f'{match.group("attr")}={match.group("q")}{html.escape(new)}{match.group("q")}'

    return _LINK.sub(fix, page)


# --------------------------------------------------------------------------- build


def make_exporter() -> HTMLExporter:
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"rnnlesson_page.html.j2": PAGE_TEMPLATE})],
        embed_images=True,
    )
    exporter.template_file = "rnnlesson_page.html.j2"
    return exporter


def build(notebooks_dir: Path, out: Path) -> list[tuple[str, str]]:
    """Write one page per notebook and index.html; return (page file, title) in order."""
    notebooks = sorted(notebooks_dir.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebooks in {notebooks_dir}")
    out.mkdir(parents=True, exist_ok=True)
    pages = {nb.resolve(): f"{nb.stem}.html" for nb in notebooks}
    exporter = make_exporter()
    built = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        if not is_executed(nb):
            raise SystemExit(f"{path} has no outputs: run it and save it before building")
        title = notebook_title(nb) or path.stem
        nb.metadata["title"] = title
        prepare_widgets(nb)
        resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not able to be represented"
            body, _ = exporter.from_notebook_node(nb, resources=resources)
        body = rewrite_links(body, path.parent.resolve(), pages, out)
        (out / pages[path.resolve()]).write_text(body, encoding="utf-8")
        built.append((pages[path.resolve()], title))
    items = "\n".join(
        f'<li><a href="{html.escape(page)}">{html.escape(title)}</a> '
        f'<span class="file">{html.escape(page)}</span></li>'
        for page, title in built
    )
    index = INDEX_TEMPLATE.format(title="Recurrent neural networks, a runnable course",
                                  items=items)
    (out / "index.html").write_text(index, encoding="utf-8")
    return built


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "html")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    args = parser.parse_args(argv)
    built = build(args.notebooks.resolve(), args.out.resolve())
    print(f"wrote {len(built)} pages and index.html to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
