"""The topology pictures' three roles (inputs, the RNN, outputs; and the encoder-decoder's
second RNN) stay apart for readers with the commonest colour-vision deficiencies.

Each deficiency is simulated with Machado, Oliveira and Fernandes (2009) at full severity
(dichromacy), as colour-science implements it, on linear sRGB; the distance is CIEDE2000 in
CIELAB (D65). Two colours at least MIN_DELTA_E apart are told apart at a glance.
"""
import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from rnnlesson.diagrams import ROLE_COLORS, draw_gallery, draw_topology  # noqa: E402

with warnings.catch_warnings():  # colour-science mentions optional packages it can use
    warnings.simplefilter("ignore")
    import colour  # noqa: E402

MIN_DELTA_E = 15.0
DEFICIENCIES = ("Deuteranomaly", "Protanomaly")  # at severity 1: deuteranopia, protanopia
LECTURE = {"inputs": "#d62728", "RNN": "#2ca02c", "outputs": "#1f77b4"}  # red, green, blue
D65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]


def seen_as(hex_color: str, deficiency: str | None) -> np.ndarray:
    """CIELAB of an sRGB colour as a reader with that deficiency (None: typical) sees it."""
    linear = colour.cctf_decoding(np.asarray(to_rgb(hex_color)), function="sRGB")
    if deficiency is not None:
        simulation = colour.blindness.matrix_cvd_Machado2009(deficiency, 1.0)
        linear = np.clip(simulation @ linear, 0.0, 1.0)
    xyz = colour.RGB_to_XYZ(linear, colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False)
    return colour.XYZ_to_Lab(xyz, D65)


def distances(colors: dict, deficiency: str | None) -> dict:
    return {(a, b): float(colour.delta_E(seen_as(colors[a], deficiency),
                                         seen_as(colors[b], deficiency), method="CIE 2000"))
            for a, b in itertools.combinations(colors, 2)}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def box_colors(fig) -> set[str]:
    """The fill colour of every box the figure draws, and of its legend's entries."""
    found = set()
    for ax in fig.get_axes():
        found |= {to_hex(p.get_facecolor()) for p in ax.patches if isinstance(p, FancyBboxPatch)}
    for legend in fig.legends:
        found |= {to_hex(h.get_facecolor()) for h in legend.get_patches()}
    return found


def test_the_pictures_fill_their_boxes_with_the_role_colours_only():
    """What is measured below is what the figures draw."""
    roles = {to_hex(c) for c in ROLE_COLORS.values()}
    gallery = draw_gallery()
    assert box_colors(gallery) == roles
    for topology in ("one-to-one", "many-to-many (aligned)", "many-to-many (encoder-decoder)"):
        fig, ax = plt.subplots()
        draw_topology(topology, ax=ax)
        assert box_colors(fig) <= roles and box_colors(fig), topology


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_role_colours_stay_apart_for_colour_blind_readers(deficiency):
    for pair, delta in distances(ROLE_COLORS, deficiency).items():
        assert delta >= MIN_DELTA_E, (
            f"{pair[0]} and {pair[1]} are only {delta:.1f} apart (CIEDE2000) for a reader with "
            f"{deficiency} at full severity; at least {MIN_DELTA_E} is needed")


def test_role_colours_stay_apart_for_typical_vision():
    assert min(distances(ROLE_COLORS, None).values()) >= MIN_DELTA_E


def test_the_measure_rejects_the_lectures_red_and_green():
    """The measure can fail: the lecture's own red and green merge under deuteranopia."""
    deutan = distances(LECTURE, "Deuteranomaly")
    assert deutan["inputs", "RNN"] < 6.0
    assert distances(LECTURE, None)["inputs", "RNN"] > 50.0
