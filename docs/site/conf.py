"""The course site: Sphinx with myst-nb and the book theme, built by `make html`.

    sphinx-build -b html -c docs/site . build/html

The source folder is the repository itself, so the notebooks' links to each other, to
exercises/ and to the guides stay as they are. Only the files the table of contents
(_toc.yml) names are read. The notebooks are stored executed and are never run here. The site
needs no network: MathJax (sphinx-mathjax-offline) and the widget manager (_static/widgets)
are served from the site itself.

RNNLESSON_REPOSITORY_URL (default: the placeholder the README uses) sets the repository the
launch buttons open on Binder or a JupyterHub (RNNLESSON_JUPYTERHUB_URL, none by default).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

project = "Recurrent neural networks: a runnable course"
author = "the rnnlesson authors"
copyright = "the rnnlesson authors, MIT licence"
language = "en"

extensions = [
    "myst_nb",
    "sphinx_external_toc",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax; no CDN
    "site_figures",  # alt text for every figure; no remote image
]

external_toc_path = "docs/site/_toc.yml"  # relative to the source folder, the repository
external_toc_exclude_missing = False
include_patterns = [
    "notebooks/*.ipynb",
    "exercises/*.ipynb",
    "README.md",
    "docs/*.md",
]
exclude_patterns = ["build", ".venv", "**/.ipynb_checkpoints"]

# Stored outputs only: the notebooks were executed (and are checked by nbval) before this.
nb_execution_mode = "off"
nb_merge_streams = True
# The widget manager from the site itself (html-manager's standalone bundle), not a CDN.
nb_ipywidgets_js = {"widgets/mathjax-hub.js": {}, "widgets/embed.js": {}}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# The guides start at "##" under a title line of their own; that is as meant.
suppress_warnings = ["myst.header"]

REPOSITORY_URL = os.environ.get("RNNLESSON_REPOSITORY_URL", "https://github.com/OWNER/rnnlesson")
html_theme = "sphinx_book_theme"
html_title = "RNNs: a runnable course"
html_static_path = ["_static"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": False,
    "use_download_button": True,
    "show_navbar_depth": 1,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "jupyterhub_url": os.environ.get("RNNLESSON_JUPYTERHUB_URL", ""),
        "notebook_interface": "jupyterlab",
    },
}
