import matplotlib

matplotlib.use("Agg")

import subprocess  # noqa: E402
import sys  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from rnnlesson import init_encoder_decoder, init_params  # noqa: E402
from rnnlesson.diagrams import (  # noqa: E402
    DECODER_COLOR,
    INPUT_COLOR,
    OUTPUT_COLOR,
    RNN_COLOR,
    TOPOLOGIES,
    array_shapes,
    draw_gallery,
    draw_topology,
    shapes_table,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def count_boxes(ax):
    """Number of patches filled with each of the three colours, as (inputs, rnn, outputs)."""
    faces = [p.get_facecolor() for p in ax.patches]
    return tuple(sum(face in [to_rgba(c) for c in colors] for face in faces)
                 for colors in ([INPUT_COLOR], [RNN_COLOR, DECODER_COLOR], [OUTPUT_COLOR]))


# (topology, T_x, T_y, expected (inputs, RNN cells, outputs))
CASES = [
    ("one-to-one", None, None, (1, 1, 1)),
    ("one-to-many", None, None, (1, 4, 4)),
    ("one-to-many", 1, 7, (1, 7, 7)),
    ("many-to-one", None, None, (4, 4, 1)),
    ("many-to-one", 12, 1, (12, 12, 1)),
    ("many-to-many (aligned)", None, None, (4, 4, 4)),
    ("many-to-many (aligned)", 6, None, (6, 6, 6)),
    ("many-to-many (encoder-decoder)", None, None, (3, 7, 4)),
    ("many-to-many (encoder-decoder)", 5, 2, (5, 7, 2)),
    ("many-to-many (encoder-decoder)", 12, 12, (12, 24, 12)),
]


@pytest.mark.parametrize("topology, T_x, T_y, expected", CASES)
def test_draw_topology_draws_one_box_per_input_cell_and_output(topology, T_x, T_y, expected):
    ax = draw_topology(topology, T_x, T_y)
    assert count_boxes(ax) == expected
    assert topology in ax.get_title()
    assert ax.get_aspect() == 1.0 and not ax.axison
    labels = {t.get_text() for t in ax.texts}
    assert {"$x_{1}$", "$a_{1}$", r"$\hat{y}_{1}$"} <= labels


def test_draw_topology_uses_the_given_axes_and_title():
    fig, ax = plt.subplots()
    assert draw_topology("many-to-one", ax=ax, title="sentiment") is ax
    assert ax.get_title() == "sentiment"
    assert draw_topology("one-to-one", ax=plt.subplots()[1], title=False).get_title() == ""


def assert_labels_fit(ax):
    """Every coloured box holds exactly one label, drawn wholly inside it (ax already drawn)."""
    boxes = [p.get_window_extent() for p in ax.patches
             if p.get_facecolor() != to_rgba("#404040")]  # not the arrows
    inside = 0
    for text in ax.texts:
        bbox = text.get_window_extent()
        for box in [b for b in boxes if b.contains(*bbox.p0) or b.contains(*bbox.p1)]:
            assert box.x0 <= bbox.x0 and bbox.x1 <= box.x1, f"{text.get_text()} is too wide"
            assert box.y0 <= bbox.y0 and bbox.y1 <= box.y1, f"{text.get_text()} is too tall"
            inside += 1
    assert inside == len(boxes)


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_labels_fit_inside_their_boxes_at_twelve_steps(topology):
    T = {"one-to-one": (1, 1), "one-to-many": (1, 12), "many-to-one": (12, 1)}
    ax = draw_topology(topology, *T.get(topology, (12, 12)))
    ax.figure.canvas.draw()
    assert_labels_fit(ax)


def test_gallery_has_five_panels_and_a_colour_legend(tmp_path):
    fig = draw_gallery()
    axes = fig.get_axes()
    assert len(axes) == 5
    assert [ax.get_title().split("\n")[0] for ax in axes] == list(TOPOLOGIES)
    assert len(fig.legends) == 1
    words = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    for word in ("inputs", "red", "RNN", "green", "outputs", "blue"):
        assert word in words
    fig.canvas.draw()
    for ax in axes:
        assert_labels_fit(ax)
    fig.savefig(tmp_path / "gallery.png")
    assert (tmp_path / "gallery.png").stat().st_size > 10_000


def test_gallery_draws_on_a_given_figure():
    fig = plt.figure()
    assert draw_gallery(fig) is fig and len(fig.get_axes()) == 5


@pytest.mark.parametrize("topology, T_x, T_y, expected", [
    ("one-to-one", None, None, {"x": (3, 8), "y_pred": (5, 8), "y": (8,)}),
    ("one-to-many", 1, 6, {"x": (3, 8), "y_pred": (5, 8, 6), "y": (8, 6)}),
    ("many-to-one", 10, None, {"x": (3, 8, 10), "y_pred": (5, 8), "y": (8,)}),
    ("many-to-many (aligned)", 10, 10, {"x": (3, 8, 10), "y_pred": (5, 8, 10), "y": (8, 10)}),
    ("many-to-many (aligned)", 10, None,
     {"x": (3, 8, 10), "y_pred": (5, 8, 10), "y": (8, 10)}),
    ("many-to-many (encoder-decoder)", 10, 7,
     {"x": (3, 8, 10), "y_pred": (5, 8, 7), "y": (8, 7)}),
    ("many-to-many (encoder-decoder)", 40, 30,
     {"x": (3, 8, 40), "y_pred": (5, 8, 30), "y": (8, 30)}),
])
def test_array_shapes(topology, T_x, T_y, expected):
    assert array_shapes(topology, n_x=3, n_y=5, m=8, T_x=T_x, T_y=T_y) == expected


def test_array_shapes_defaults_follow_the_drawing():
    assert array_shapes("one-to-many", 3, 5, 8)["y"] == (8, 4)
    assert array_shapes("many-to-one", 3, 5, 8)["x"] == (3, 8, 4)
    assert array_shapes("many-to-many (encoder-decoder)", 3, 5, 8)["y_pred"] == (5, 8, 4)


def test_shapes_table_has_a_row_per_topology():
    table = shapes_table(n_x=3, n_y=5, m=8, T_x=10, T_y=7)
    lines = table.splitlines()
    assert len(lines) == 2 + len(TOPOLOGIES)
    assert lines[0].split() == ["topology", "x", "y_pred", "y"]
    for name, line in zip(TOPOLOGIES, lines[2:], strict=True):
        assert line.startswith(name)
    assert "(3, 8, 10)  (5, 8, 7)   (8, 7)" in lines[-1]
    assert lines[1].startswith("-") and lines[2].index("(3, 8)") == lines[0].index("x")


BAD_DRAW = [
    (dict(topology="x"), r"topology: expected one of \('one-to-one', .*\), got 'x'"),
    (dict(topology="many-to-one", T_y=3),
     r"T_y: many-to-one has one output, expected T_y = 1, got 3"),
    (dict(topology="one-to-many", T_x=2), r"T_x: one-to-many has one input, expected T_x = 1"),
    (dict(topology="one-to-one", T_x=2), r"T_x: one-to-one has one input"),
    (dict(topology="one-to-one", T_y=2), r"T_y: one-to-one has one output"),
    (dict(topology="many-to-many (aligned)", T_x=4, T_y=3),
     r"T_y: aligned many-to-many .* expected T_y = T_x = 4, got 3"),
    (dict(topology="many-to-one", T_x=0), r"T_x: expected an int >= 1 and <= 12, got 0"),
    (dict(topology="many-to-one", T_x=13), r"T_x: expected an int >= 1 and <= 12, got 13"),
    (dict(topology="many-to-one", T_x=2.0), r"T_x: expected an int .*, got 2.0"),
    (dict(topology="many-to-one", T_x=True), r"T_x: expected an int .*, got True"),
    (dict(topology="many-to-many (encoder-decoder)", T_y=13), r"T_y: .*<= 12, got 13"),
    (dict(topology="one-to-one", ax="axes"), r"ax: expected a matplotlib Axes or None"),
    (dict(topology="one-to-one", title=1), r"title: expected True, False or a string"),
]


@pytest.mark.parametrize("kwargs, message", BAD_DRAW)
def test_draw_topology_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_topology(**kwargs)


def test_draw_gallery_rejects_a_non_figure():
    with pytest.raises(ValueError, match=r"fig: expected a matplotlib Figure or None"):
        draw_gallery(fig=plt.subplots()[1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(topology="two-to-two"), r"topology: expected one of"),
    (dict(n_x=0), r"n_x: expected an int >= 1, got 0"),
    (dict(n_y=2.5), r"n_y: expected an int >= 1, got 2.5"),
    (dict(m=-1), r"m: expected an int >= 1, got -1"),
    (dict(T_x=3, T_y=2), r"T_y: aligned many-to-many"),
    (dict(topology="many-to-one", T_y=2), r"T_y: many-to-one has one output"),
    (dict(T_x=0), r"T_x: expected an int >= 1, got 0"),
])
def test_array_shapes_rejects_bad_input(kwargs, message):
    args = dict(topology="many-to-many (aligned)", n_x=3, n_y=5, m=8) | kwargs
    with pytest.raises(ValueError, match=message):
        array_shapes(**args)


def test_shapes_table_rejects_bad_lengths():
    with pytest.raises(ValueError, match=r"T_y: expected an int >= 1, got 0"):
        shapes_table(3, 5, 8, T_x=4, T_y=0)


def test_import_changes_no_settings_and_makes_no_figure():
    code = (
        "import matplotlib, matplotlib.pyplot as plt\n"
        "before = dict(matplotlib.rcParams)\n"
        "import rnnlesson.diagrams\n"
        "assert dict(matplotlib.rcParams) == before, 'rcParams changed'\n"
        "assert plt.get_fignums() == [], plt.get_fignums()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_exercise_checks_do_not_load_matplotlib():
    # every graded notebook imports rnnlesson.checks: matplotlib would add about 0.3 s to each
    code = "import sys, rnnlesson.checks\nassert 'matplotlib' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---- what the pictures say about the weights, against the package's parameters ------------

def package_params(topology):
    """The parameters the package trains for a topology (see rnnlesson.topologies)."""
    if topology == "many-to-many (encoder-decoder)":
        return init_encoder_decoder(4, 6, 3, seed=0)
    return init_params(4, 6, 3, seed=0)


def weight_sets_of(params):
    """One weight set for a flat dict of arrays, one per key for a nested dict."""
    nested = {key for key, value in params.items() if isinstance(value, dict)}
    return nested or {"rnn"}


def drawn_cells(ax):
    """[(weight set, facecolor)] of the green boxes, left to right, and the label in each."""
    cells = sorted((p for p in ax.patches if (p.get_gid() or "").startswith("weights:")),
                   key=lambda p: p.get_x())
    labels = []
    for p in cells:
        centre = np.array([p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2])
        labels += [t.get_text() for t in ax.texts
                   if np.allclose(t.get_position(), centre, atol=1e-9)]
    assert len(labels) == len(cells), "one label in every green box"
    return [(p.get_gid().split(":", 1)[1], p.get_facecolor()) for p in cells], labels


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_each_green_box_names_the_weights_the_package_uses(topology):
    params = package_params(topology)
    expected = weight_sets_of(params)
    T_x, T_y = (3, 2) if topology == "many-to-many (encoder-decoder)" else (None, None)
    ax = draw_topology(topology, T_x, T_y)
    cells, labels = drawn_cells(ax)
    assert {name for name, _ in cells} == expected
    colours = {name: {face for n, face in cells if n == name} for name in expected}
    assert all(len(faces) == 1 for faces in colours.values()), "one colour per weight set"
    if expected == {"rnn"}:
        assert all(label.startswith("$a_") for label in labels)
        return
    # encoder and decoder: separate arrays in the package, two colours and two letters drawn
    assert not any(np.shares_memory(params["encoder"][k], params["decoder"][k])
                   for k in params["encoder"])
    assert colours["encoder"] != colours["decoder"]
    assert [name for name, _ in cells] == ["encoder"] * 3 + ["decoder"] * 2
    assert labels == ["$a_{1}$", "$a_{2}$", "$a_{3}$", "$s_{1}$", "$s_{2}$"]  # notebook 13's s_t
    texts = [t.get_text() for t in ax.texts]
    assert "encoder\nits own weights" in texts and "decoder\nits own weights" in texts


def test_the_gallery_panels_name_the_weights_the_package_uses():
    fig = draw_gallery()
    panels = {ax.get_title().split("\n")[0]: ax for ax in fig.axes}
    assert set(panels) == set(TOPOLOGIES)
    for topology, ax in panels.items():
        cells, _ = drawn_cells(ax)
        assert {name for name, _ in cells} == weight_sets_of(package_params(topology)), topology
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "a second RNN, its own weights" in legend


@pytest.mark.parametrize("topology, T_x, T_y, expected", CASES)
def test_alt_text_names_the_steps_the_picture_draws(topology, T_x, T_y, expected):
    from rnnlesson.diagrams import topology_alt

    alt = topology_alt(topology, T_x, T_y)
    n_inputs, n_cells, n_outputs = expected
    assert topology in alt
    assert f"x_{n_inputs}" in alt and f"ŷ_{n_outputs}" in alt
    assert f"x_{n_inputs + 1}" not in alt and f"ŷ_{n_outputs + 1}" not in alt


# ---- notebook 08's picture of truncated BPTT, against rnn_backward(truncate=k) -------------

def notebook_function(notebook, name):
    """A function defined in a notebook's code cell, compiled on its own (the cell's other
    lines, which draw and show a figure, are not run)."""
    import ast
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / notebook
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or f"def {name}(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        namespace = {"np": np, "plt": plt}
        exec(compile(ast.Module([node], []), str(path), "exec"), namespace)  # noqa: S102
        return namespace[name]
    raise AssertionError(f"{notebook} defines no {name}")


def gradient_arrows(ax, color="#d62728"):
    """The steps t whose drawn gradient arrow runs back to step t - 1."""
    steps = set()
    for text in ax.texts:
        patch = getattr(text, "arrow_patch", None)
        if patch is not None and np.allclose(patch.get_edgecolor(), to_rgba(color)):
            steps.add(round(text.xyann[0] + 0.15))  # the arrow starts just left of state t
    return steps


def crossings(T_x, k):
    """The steps t (1..T_x) from which rnn_backward(truncate=k) passes gradient to a_{t-1}."""
    from rnnlesson import rnn_backward, rnn_forward

    n_x, n_a = 2, 3
    params = init_params(n_x, n_a, 2, seed=0)
    x = np.random.default_rng(0).normal(size=(n_x, 1, T_x))
    _, _, cache = rnn_forward(x, None, params)
    steps = set()
    for t in range(2, T_x + 1):
        da = np.zeros((n_a, 1, T_x))
        da[:, :, t - 1] = 1.0  # a gradient reaching a_t only
        if np.any(rnn_backward(da, cache, truncate=k)["dx"][:, :, t - 2]):
            steps.add(t)
    return steps


@pytest.mark.parametrize("steps, k", [(12, 4), (10, 3), (6, 1), (8, 8)])
def test_notebook_08s_windows_picture_cuts_where_rnn_backward_cuts(steps, k):
    draw_windows = notebook_function("08-backpropagation-through-time.ipynb", "draw_windows")
    _, ax = plt.subplots()
    draw_windows(ax, steps=steps, k=k)
    drawn, computed = gradient_arrows(ax), crossings(steps, k)
    assert drawn == computed, f"arrows drawn from steps {sorted(drawn)}, gradient from {computed}"
    assert len(drawn) == steps - -(-steps // k), "one cut at every window boundary"


def test_no_two_labels_overlap_at_any_length():
    """Every topology at every pair of lengths the widgets offer (1 to 8) and at twelve: no
    text of the picture overlaps another (at one step a side, the encoder-decoder's labels
    once ran into each other)."""
    import itertools

    import matplotlib.pyplot as plt

    from rnnlesson.shapes import check_topology

    clashes = []
    for topology in TOPOLOGIES:
        for T_x, T_y in itertools.product((*range(1, 9), 12), repeat=2):
            try:
                check_topology(topology, T_x, T_y, upper=12)
            except ValueError:
                continue
            ax = draw_topology(topology, T_x, T_y)
            ax.figure.canvas.draw()
            renderer = ax.figure.canvas.get_renderer()
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
                     if t.get_text().strip()]
            clashes += [(topology, T_x, T_y, a, b) for (a, box_a), (b, box_b)
                        in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
            plt.close(ax.figure)
    assert clashes == []


# ---- notebook 15's stacked and bidirectional pictures, against rnnlesson.deep ---------------

def arrows(ax):
    from matplotlib.patches import FancyArrowPatch

    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def texts_overlap(ax):
    import itertools

    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text()]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.overlaps(box_b)]


@pytest.mark.parametrize("n_layers, T_x", [(1, 1), (2, 4), (3, 8), (4, 5)])
def test_draw_stacked_draws_a_row_of_cells_per_layer_with_the_packages_weight_sets(n_layers,
                                                                                    T_x):
    from rnnlesson.deep import body, init_deep
    from rnnlesson.diagrams import draw_stacked

    ax = draw_stacked(n_layers, T_x)
    assert count_boxes(ax) == (T_x, n_layers * T_x, T_x)
    cells, labels = drawn_cells(ax)
    params = body(init_deep(4, 3, 2, n_layers=n_layers, seed=0))
    expected = set(params) if n_layers > 1 else {"layer1"}  # one layer: the cell's own weights
    assert {name for name, _ in cells} == expected
    for layer in range(1, n_layers + 1):
        assert sum(name == f"layer{layer}" for name, _ in cells) == T_x
        assert f"$a^{{[{layer}]}}_{{{T_x}}}$" in labels
    # per column: x -> layer 1 -> ... -> ŷ, and one chain arrow per layer (a_0 included)
    assert len(arrows(ax)) == T_x * (2 * n_layers + 1)
    assert_labels_fit(ax)
    assert texts_overlap(ax) == []


@pytest.mark.parametrize("T_x", [1, 2, 4, 8])
def test_draw_bidirectional_draws_two_rows_with_the_packages_two_weight_sets(T_x):
    from rnnlesson.deep import body, init_deep
    from rnnlesson.diagrams import draw_bidirectional

    ax = draw_bidirectional(T_x)
    assert count_boxes(ax) == (T_x, 2 * T_x, T_x)
    cells, labels = drawn_cells(ax)
    assert {name for name, _ in cells} == set(body(init_deep(4, 3, 2, 1, bidirectional=True)))
    colours = {name: {face for n, face in cells if n == name} for name in ("forward", "backward")}
    assert colours["forward"] == {to_rgba(RNN_COLOR)}
    assert colours["backward"] == {to_rgba(DECODER_COLOR)}  # weights of its own
    assert r"$\overrightarrow{a}_{1}$" in labels and rf"$\overleftarrow{{a}}_{{{T_x}}}$" in labels
    # per column: x into both cells, both states to ŷ, and one chain arrow each way
    assert len(arrows(ax)) == 6 * T_x
    assert_labels_fit(ax)
    assert texts_overlap(ax) == []


@pytest.mark.parametrize("T_x", [1, 4, 8])
def test_the_new_alt_texts_name_the_steps_drawn(T_x):
    from rnnlesson.diagrams import bidirectional_alt, stacked_alt

    for alt in (stacked_alt(2, T_x), bidirectional_alt(T_x)):
        assert f"x_{T_x}" in alt and f"ŷ_{T_x}" in alt
        assert f"x_{T_x + 1}" not in alt and f"ŷ_{T_x + 1}" not in alt
    assert "2 layers" in stacked_alt(2, T_x) and "one layer" in stacked_alt(1, T_x)
    assert f"a←_{T_x + 1}" in bidirectional_alt(T_x)


@pytest.mark.parametrize("call, message", [
    (lambda d: d.draw_stacked(n_layers=5), r"n_layers: expected an int >= 1 and <= 4, got 5"),
    (lambda d: d.draw_stacked(T_x=0), r"T_x: expected an int >= 1 and <= 8, got 0"),
    (lambda d: d.draw_bidirectional(T_x=9), r"T_x: expected an int >= 1 and <= 8, got 9"),
    (lambda d: d.draw_bidirectional(ax="axes"), r"ax: expected a matplotlib Axes or None"),
    (lambda d: d.draw_stacked(title=1), r"title: expected True, False or a string"),
])
def test_the_new_pictures_reject_bad_input(call, message):
    import rnnlesson.diagrams as diagrams

    with pytest.raises(ValueError, match=message):
        call(diagrams)
