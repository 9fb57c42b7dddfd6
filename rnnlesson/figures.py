"""Showing a figure in a notebook together with its alt text.

``show(fig, alt)`` displays a matplotlib figure as an image output whose metadata carries
``{"image/png": {"alt": alt}}``: a screen reader in the site, nbconvert's HTML and any front
end that reads the output's metadata get the sentence instead of an unnamed picture. The
alt text says what the figure shows (its axes, what each line or box stands for, the shape
the reader should notice), not the code that drew it.

Nothing here runs at import; IPython is imported only when a figure is shown.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure

from rnnlesson._validate import describe, fail

__all__ = ["alt_metadata", "show"]

_FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|svg|gif)$", re.IGNORECASE)


def alt_metadata(alt: str) -> dict:
    """The output metadata that stores ``alt`` with a PNG figure; checks the sentence."""
    if not isinstance(alt, str):
        fail("alt", "a sentence (str) saying what the figure shows", describe(alt))
    text = " ".join(alt.split())
    if len(text) < 10 or _FILE_NAME.match(text):
        fail("alt", "a sentence of at least 10 characters saying what the figure shows "
             "(not a file name)", repr(alt))
    return {"image/png": {"alt": text}}


def show(fig: Figure, alt: str) -> None:
    """Display ``fig`` with its alt text, then close it (so pyplot does not show it twice).

    fig: a matplotlib Figure; alt: one or two sentences saying what it shows.
    """
    if not isinstance(fig, Figure):
        fail("fig", "a matplotlib Figure (e.g. from plt.subplots())", describe(fig))
    metadata = alt_metadata(alt)
    from IPython.display import display

    display(fig, metadata=metadata)
    import matplotlib.pyplot as plt

    plt.close(fig)
