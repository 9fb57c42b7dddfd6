"""Pictures of the shapes an RNN can take. The array shapes that go with each are computed in
`rnnlesson.shapes` (no matplotlib there) and can be imported from here too.

Colours follow the lecture's roles (inputs red, the RNN green, outputs blue) in the shades of
the Okabe-Ito palette (vermilion, bluish green, blue), which stay apart for readers with
deuteranopia or protanopia, where the lecture's red and green look alike
(tests/test_colour_vision.py measures it); every box also carries its letter. Letters: n_x input
features, n_y output classes, m examples, T_x input steps, T_y output steps.

Every green box carries the weight set it uses as its gid, "weights:<set>": "rnn" for the one
cell of four topologies, "encoder" and "decoder" for the encoder-decoder's two cells, whose
parameters `init_encoder_decoder` keeps apart. The decoder is drawn a darker green, and its
states are s_1 .. s_{T_y}, as in notebook 13.

Nothing here runs at import: no figure is made and no matplotlib setting is changed. Called
without an Axes or Figure, the drawing functions make a pyplot figure, so `plt.show()` shows it.
"""

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path

from rnnlesson.shapes import (
    DEFAULT_LENGTHS,
    ENCODER_DECODER,
    TOPOLOGIES,
    array_shapes,
    check_length,
    check_topology,
    fail,
    shapes_table,
)

__all__ = ["DECODER_COLOR", "INPUT_COLOR", "OUTPUT_COLOR", "RNN_COLOR", "ROLE_COLORS",
           "TOPOLOGIES", "array_shapes", "bidirectional_alt", "draw_bidirectional",
           "draw_gallery", "draw_stacked", "draw_topology", "gallery_alt", "shapes_table",
           "stacked_alt", "topology_alt", "weight_set"]

INPUT_COLOR = "#D55E00"  # Okabe-Ito vermilion
RNN_COLOR = "#009E73"  # Okabe-Ito bluish green
DECODER_COLOR = "#004D40"  # a second cell with weights of its own: a darker green
OUTPUT_COLOR = "#0072B2"  # Okabe-Ito blue
ROLE_COLORS = {"inputs": INPUT_COLOR, "RNN": RNN_COLOR, "second RNN": DECODER_COLOR,
               "outputs": OUTPUT_COLOR}
ARROW_COLOR = "#404040"
MAX_STEPS = 12  # the drawing stays legible up to this many steps

# Layout in data units: one column per time step.
PITCH = 1.5  # distance between columns
BOX_W, BOX_H = 1.0, 0.7
ROW_Y = {"input": 0.0, "rnn": 1.45, "output": 2.9}


def layout(topology, T_x, T_y):
    """Columns of the unrolled picture: (input step or None, output step or None) per cell."""
    if topology == "one-to-many":
        return [(1 if t == 0 else None, t + 1) for t in range(T_y)]
    if topology in ("one-to-one", "many-to-one"):
        return [(t + 1, 1 if t == T_x - 1 else None) for t in range(T_x)]
    if topology == "many-to-many (aligned)":
        return [(t + 1, t + 1) for t in range(T_x)]
    return [(t + 1, None) for t in range(T_x)] + [(None, t + 1) for t in range(T_y)]


def weight_set(topology, col, T_x):
    """(weight set, state letter, step) of the cell in column col: which weights it uses."""
    if topology == ENCODER_DECODER:
        return ("encoder", "a", col + 1) if col < T_x else ("decoder", "s", col - T_x + 1)
    return "rnn", "a", col + 1


def points_per_unit(ax, width, height):
    """How many typographic points one data unit spans once the axes keeps an equal aspect."""
    root = ax.figure.figure  # the Figure itself, also when ax sits in a SubFigure
    if root.get_layout_engine() is not None:
        root.get_layout_engine().execute(root)  # so the axes has its final size
    box = ax.get_window_extent()  # pixels
    return 72 / root.dpi * min(box.width / width, box.height / height)


def draw_box(ax, x, y, color, label, fontsize, gid=None):
    ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                boxstyle="round,pad=0,rounding_size=0.12",
                                facecolor=color, edgecolor="none", gid=gid))
    ax.text(x, y, label, ha="center", va="center", color="white", fontsize=fontsize)


def draw_arrow(ax, start, end, scale):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=scale,
                                 color=ARROW_COLOR, linewidth=min(1.5, max(0.7, scale / 9)),
                                 shrinkA=0, shrinkB=0))


def extent(topology, T_x, T_y):
    """(left, right, bottom, top) of the picture in data units."""
    left = -PITCH / 2 - (0.8 if topology != "one-to-one" else 0)  # room for the a_0 arrow
    right = (len(layout(topology, T_x, T_y)) - 0.5) * PITCH
    bottom = ROW_Y["input"] - (1.3 if topology == ENCODER_DECODER else 0.45)
    return left, right, bottom, ROW_Y["output"] + 0.45


def _steps(letter, last):
    return f"{letter}_1" if last == 1 else f"{letter}_1 to {letter}_{last}"


def _count(n, one, many):
    return f"one {one}" if n == 1 else f"{n} {many}"


def _what_is_drawn(topology, T_x, T_y):
    if topology == "one-to-one":
        return "one input box x_1 below one RNN cell a_1, with one output ŷ_1 above it"
    if topology == "one-to-many":
        return (f"one input x_1 enters the first of {_count(T_y, 'RNN cell', 'RNN cells')} "
                f"{_steps('a', T_y)}, chained left to right by the hidden state, each with an "
                f"output above it ({_steps('ŷ', T_y)})")
    if topology == "many-to-one":
        return (f"{_count(T_x, 'input', 'inputs')} {_steps('x', T_x)}, one below each "
                f"chained RNN cell {_steps('a', T_x)}; only the last cell has an output, ŷ_1")
    if topology == "many-to-many (aligned)":
        return (f"{_count(T_x, 'input', 'inputs')} {_steps('x', T_x)} below as many chained "
                f"RNN cells, each with its own output above it ({_steps('ŷ', T_x)})")
    return (f"an encoder of {_count(T_x, 'cell', 'chained cells')} {_steps('a', T_x)} reads "
            f"the inputs {_steps('x', T_x)} and has no outputs; its last state c starts a "
            f"decoder of {_count(T_y, 'cell', 'chained cells')} {_steps('s', T_y)} (a darker "
            f"green: weights of its own), each with an output above it ({_steps('ŷ', T_y)})")


def topology_alt(topology, T_x=None, T_y=None):
    """A sentence saying what `draw_topology(topology, T_x, T_y)` draws (its alt text)."""
    T_x, T_y = check_topology(topology, T_x, T_y, upper=MAX_STEPS)
    return (f"The {topology} topology unrolled in time, one column per step: "
            f"{_what_is_drawn(topology, T_x, T_y)}.")


def gallery_alt():
    """A sentence saying what `draw_gallery()` draws (its alt text)."""
    parts = [f"{name}, {_what_is_drawn(name, *DEFAULT_LENGTHS[name])}" for name in TOPOLOGIES]
    return ("Five RNN topologies unrolled in time, one column per step, inputs x in red boxes "
            "at the bottom, RNN cells in green in the middle, outputs ŷ in blue at the top. "
            + ". ".join(p[0].upper() + p[1:] for p in parts) + ".")


def figure_size(topology, T_x, T_y):
    """(width, height) in inches of a topology's picture: at most 8 wide, boxes legible."""
    left, right, bottom, top = extent(topology, T_x, T_y)
    inches = min(0.55, 7.6 / (right - left))  # per data unit
    return max(2.4, inches * (right - left) + 0.4), inches * (top - bottom) + 0.75


def topology_figure(topology, T_x=None, T_y=None):
    """A new Figure holding `draw_topology`'s picture, made without pyplot.

    For widgets: pyplot's figures are global, and a widget's callbacks may run while another
    draws; a figure of its own is never closed, replaced or shown by anyone else.
    """
    from matplotlib.figure import Figure

    T_x, T_y = check_topology(topology, T_x, T_y, upper=MAX_STEPS)
    fig = Figure(figsize=figure_size(topology, T_x, T_y), layout="constrained")
    draw_topology(topology, T_x, T_y, ax=fig.add_subplot())
    return fig


def draw_topology(topology, T_x=None, T_y=None, ax=None, title=True):
    """Draw the unrolled RNN: red inputs x_t below, green cells a_t, blue outputs ŷ_t above
    (the encoder-decoder's decoder cells s_t in a darker green, with weights of their own).

    T_x, T_y: numbers of input and output steps (ints in 1..12; None for a typical picture).
    ax: the Axes to draw on (None makes a new pyplot figure). title: True for the topology's name,
    False for none, or a string of your own. Returns the Axes.
    """
    T_x, T_y = check_topology(topology, T_x, T_y, upper=MAX_STEPS)
    if ax is not None and not isinstance(ax, Axes):
        fail("ax", "a matplotlib Axes or None", ax)
    if not isinstance(title, (bool, str)):
        fail("title", "True, False or a string", title)
    left, right, bottom, top = extent(topology, T_x, T_y)
    if ax is None:
        import matplotlib.pyplot as plt  # here, not at import: pyplot picks a backend

        _, ax = plt.subplots(figsize=figure_size(topology, T_x, T_y), layout="constrained")
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:  # before measuring: the title takes room from the drawing
        text = title if isinstance(title, str) else f"{topology}\n$T_x$ = {T_x}, $T_y$ = {T_y}"
        ax.set_title(text, fontsize=10)

    # Text and arrow heads are sized in points: scale them with the room one box gets.
    unit = points_per_unit(ax, right - left, top - bottom)
    fontsize = min(13.0, max(6.0, 0.32 * unit))
    arrow = min(14.0, max(6.0, 0.3 * unit))
    gap = BOX_H / 2 + 0.03
    rnn_y = ROW_Y["rnn"]
    for col, (x_step, y_step) in enumerate(layout(topology, T_x, T_y)):
        x = col * PITCH
        weights, letter, step = weight_set(topology, col, T_x)
        draw_box(ax, x, rnn_y, DECODER_COLOR if weights == "decoder" else RNN_COLOR,
                 f"${letter}_{{{step}}}$", fontsize, gid=f"weights:{weights}")
        if x_step is not None:
            draw_box(ax, x, ROW_Y["input"], INPUT_COLOR, f"$x_{{{x_step}}}$", fontsize)
            draw_arrow(ax, (x, ROW_Y["input"] + gap), (x, rnn_y - gap), arrow)
        if y_step is not None:
            draw_box(ax, x, ROW_Y["output"], OUTPUT_COLOR, f"$\\hat{{y}}_{{{y_step}}}$", fontsize)
            draw_arrow(ax, (x, rnn_y + gap), (x, ROW_Y["output"] - gap), arrow)
        if col > 0:  # the hidden state a_{t-1} handed on to step t
            draw_arrow(ax, (x - PITCH + BOX_W / 2 + 0.03, rnn_y), (x - BOX_W / 2 - 0.03, rnn_y),
                       arrow)
    if topology != "one-to-one":
        start, end = left + 0.1, -BOX_W / 2 - 0.03
        draw_arrow(ax, (start, rnn_y), (end, rnn_y), arrow)
        ax.text((start + end) / 2, rnn_y + 0.1, "$a_0$", ha="center", va="bottom",
                fontsize=0.9 * fontsize, color=ARROW_COLOR)
    if topology == ENCODER_DECODER:  # brackets naming the two halves and their weights
        # (the arrow between them hands the encoder's final state a_{T_x} to the decoder)
        y = ROW_Y["input"] - 0.55
        # one step a side leaves no room for two labels of two lines: say it once, below both
        shared = min(T_x, T_y) == 1
        for name, first, last in (("encoder", 0, T_x - 1), ("decoder", T_x, T_x + T_y - 1)):
            name += "" if shared else "\nits own weights"
            x0, x1 = first * PITCH - BOX_W / 2, last * PITCH + BOX_W / 2
            ax.plot([x0, x0, x1, x1], [y + 0.1, y, y, y + 0.1], color=ARROW_COLOR, lw=0.8)
            ax.text((x0 + x1) / 2, y - 0.07, name, ha="center", va="top",
                    fontsize=0.9 * fontsize, color=ARROW_COLOR, style="italic")
        if shared:
            line = 1.25 * 0.9 * fontsize / unit  # one line of that text, in data units
            ax.text((T_x + T_y - 1) * PITCH / 2, y - 0.07 - line,
                    "each with its own weights", ha="center", va="top",
                    fontsize=0.9 * fontsize, color=ARROW_COLOR, style="italic")
    return ax


def draw_gallery(fig=None):
    """Draw all five topologies with their typical lengths, and a colour legend.

    fig: an empty Figure to draw on, given a constrained layout (None makes a pyplot figure
    8 x 4.6 inches). Returns the Figure.
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(8.0, 4.6), layout="constrained")
    elif not isinstance(fig, Figure):
        fail("fig", "a matplotlib Figure or None", fig)
    else:
        fig.set_layout_engine("constrained")  # the legend sits outside the panels
    handles = [Patch(facecolor=INPUT_COLOR, label="inputs x (red)"),
               Patch(facecolor=RNN_COLOR, label="RNN a (green)"),
               Patch(facecolor=DECODER_COLOR, label="a second RNN, its own weights"),
               Patch(facecolor=OUTPUT_COLOR, label="outputs ŷ (blue)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    # All axes exist (bare) before any is drawn, so each is measured at its final size.
    panels = []
    for row, subfig in zip((TOPOLOGIES[:3], TOPOLOGIES[3:]), fig.subfigures(2, 1), strict=True):
        widths = [max(3.0, right - left) for left, right, _, _ in  # 3.0: room for a title
                  (extent(name, *DEFAULT_LENGTHS[name]) for name in row)]
        panels += zip(row, subfig.subplots(1, len(row), width_ratios=widths), strict=True)
    for _, ax in panels:
        ax.set_axis_off()
    for name, ax in panels:
        draw_topology(name, ax=ax)
    return fig


# ---- stacked and bidirectional networks (notebook 15), from the same boxes and arrows -------
# A stacked net's layer l is a row of cells a^[l]_t, one weight set per layer ("weights:layer<l>",
# the keys of `rnnlesson.deep.init_deep`). A bidirectional net has a forward row (green) and a
# backward row (darker green: weights of its own), "weights:forward" and "weights:backward".

MAX_LAYERS = 4
BI_PITCH = 2.0  # wider columns: the bent arrows run in the gaps between them


def _canvas(ax, extent, title, default_title):
    """The Axes to draw on (a new pyplot figure if None), set up for extent (left, right,
    bottom, top) and titled (True: default_title); returns (ax, fontsize, arrow size), sized as
    `draw_topology` sizes them."""
    if ax is not None and not isinstance(ax, Axes):
        fail("ax", "a matplotlib Axes or None", ax)
    if not isinstance(title, (bool, str)):
        fail("title", "True, False or a string", title)
    left, right, bottom, top = extent
    if ax is None:
        import matplotlib.pyplot as plt  # here, not at import: pyplot picks a backend

        inches = min(0.55, 7.6 / (right - left))
        _, ax = plt.subplots(figsize=(inches * (right - left) + 0.4,
                                      inches * (top - bottom) + 0.75), layout="constrained")
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title if isinstance(title, str) else default_title, fontsize=10)
    unit = points_per_unit(ax, right - left, top - bottom)
    return ax, min(13.0, max(6.0, 0.3 * unit)), min(14.0, max(6.0, 0.3 * unit))


def _bent_arrow(ax, points, scale):
    """An arrow along the polyline through points, its head at the last one."""
    ax.add_patch(FancyArrowPatch(path=Path(points), arrowstyle="-|>", mutation_scale=scale,
                                 color=ARROW_COLOR, linewidth=min(1.5, max(0.7, scale / 9)),
                                 shrinkA=0, shrinkB=0))


def stacked_alt(n_layers=2, T_x=4):
    """A sentence saying what `draw_stacked(n_layers, T_x)` draws (its alt text)."""
    n_layers, T_x = check_length("n_layers", n_layers, MAX_LAYERS), check_length("T_x", T_x, 8)
    return (f"A stacked RNN of {_count(n_layers, 'layer', 'layers')} unrolled in time, one "
            f"column per step: the inputs {_steps('x', T_x)} (red) enter layer 1's chained "
            f"cells {_steps('a^[1]', T_x)} (green); "
            + (f"the states of each layer are the inputs of the chained cells of the layer "
               f"above, up to layer {n_layers}'s {_steps(f'a^[{n_layers}]', T_x)}; "
               if n_layers > 1 else "")
            + f"the top layer's states give the outputs {_steps('ŷ', T_x)} (blue). Each layer "
            f"has its own weights and its own starting state a^[l]_0.")


def draw_stacked(n_layers=2, T_x=4, ax=None, title=True):
    """Draw a stacked RNN unrolled over T_x steps (1..8): red inputs x_t, n_layers (1..4) rows
    of green cells a^[l]_t, layer l's states the inputs of layer l + 1, blue outputs ŷ_t read
    off the top layer. ax: the Axes (None: a new pyplot figure); title as in `draw_topology`.
    Returns the Axes."""
    n_layers, T_x = check_length("n_layers", n_layers, MAX_LAYERS), check_length("T_x", T_x, 8)
    rise = ROW_Y["rnn"] - ROW_Y["input"]
    top_y = (n_layers + 1) * rise
    extent = (-PITCH / 2 - 0.9, (T_x - 0.5) * PITCH + 1.1, -0.45, top_y + 0.45)
    ax, fontsize, arrow = _canvas(ax, extent, title, f"stacked RNN, "
                                  f"{_count(n_layers, 'layer', 'layers')}, $T_x$ = {T_x}")
    gap = BOX_H / 2 + 0.03
    for t in range(T_x):
        x = t * PITCH
        draw_box(ax, x, 0.0, INPUT_COLOR, f"$x_{{{t + 1}}}$", fontsize)
        for layer in range(1, n_layers + 1):
            y = layer * rise
            draw_box(ax, x, y, RNN_COLOR, f"$a^{{[{layer}]}}_{{{t + 1}}}$", fontsize,
                     gid=f"weights:layer{layer}")
            draw_arrow(ax, (x, y - rise + gap), (x, y - gap), arrow)  # from the row below
            start = x - PITCH + BOX_W / 2 + 0.03 if t else extent[0] + 0.1
            draw_arrow(ax, (start, y), (x - BOX_W / 2 - 0.03, y), arrow)
            if t == 0:
                ax.text((start + x - BOX_W / 2) / 2, y + 0.1, f"$a^{{[{layer}]}}_0$",
                        ha="center", va="bottom", fontsize=0.8 * fontsize, color=ARROW_COLOR)
            if t == T_x - 1:
                ax.text(x + BOX_W / 2 + 0.15, y, f"layer {layer}", ha="left", va="center",
                        fontsize=0.8 * fontsize, color=ARROW_COLOR, style="italic")
        draw_box(ax, x, top_y, OUTPUT_COLOR, f"$\\hat{{y}}_{{{t + 1}}}$", fontsize)
        draw_arrow(ax, (x, top_y - rise + gap), (x, top_y - gap), arrow)
    return ax


def bidirectional_alt(T_x=4):
    """A sentence saying what `draw_bidirectional(T_x)` draws (its alt text)."""
    T_x = check_length("T_x", T_x, 8)
    return (f"A bidirectional RNN unrolled in time, one column per step: each input of "
            f"{_steps('x', T_x)} (red) feeds a forward cell of {_steps('a→', T_x)} (green), "
            f"chained left to right from a→_0, and a backward cell of {_steps('a←', T_x)} "
            f"(darker green: weights of its own), chained right to left from a←_{T_x + 1}; "
            f"each output of {_steps('ŷ', T_x)} (blue) reads both states of its step.")


def draw_bidirectional(T_x=4, ax=None, title=True):
    """Draw a bidirectional RNN unrolled over T_x steps (1..8): red inputs x_t below, a row of
    forward cells (green, chained left to right), a row of backward cells above it (darker
    green, chained right to left), blue outputs ŷ_t on top reading both cells of their step.
    ax, title: as in `draw_stacked`. Returns the Axes."""
    T_x = check_length("T_x", T_x, 8)
    rise = ROW_Y["rnn"] - ROW_Y["input"]
    f_y, b_y, out_y = rise, 2 * rise, 3 * rise
    extent = (-BI_PITCH / 2 - 0.8, (T_x - 0.5) * BI_PITCH + 0.8, -0.45, out_y + 0.45)
    ax, fontsize, arrow = _canvas(ax, extent, title, f"bidirectional RNN, $T_x$ = {T_x}")
    gap, side, lane = BOX_H / 2 + 0.03, BOX_W / 2 + 0.03, BOX_W / 2 + 0.22
    for t in range(T_x):
        x = t * BI_PITCH
        draw_box(ax, x, 0.0, INPUT_COLOR, f"$x_{{{t + 1}}}$", fontsize)
        draw_box(ax, x, f_y, RNN_COLOR, f"$\\overrightarrow{{a}}_{{{t + 1}}}$", fontsize,
                 gid="weights:forward")
        draw_box(ax, x, b_y, DECODER_COLOR, f"$\\overleftarrow{{a}}_{{{t + 1}}}$", fontsize,
                 gid="weights:backward")
        draw_box(ax, x, out_y, OUTPUT_COLOR, f"$\\hat{{y}}_{{{t + 1}}}$", fontsize)
        draw_arrow(ax, (x, gap), (x, f_y - gap), arrow)  # x_t into the forward cell
        draw_arrow(ax, (x, b_y + gap), (x, out_y - gap), arrow)  # the backward state to ŷ_t
        # x_t into the backward cell, up the gap on its right; the forward state to ŷ_t, up
        # the gap on its left (each crosses the other direction's chain)
        _bent_arrow(ax, [(x + side, 0.12), (x + lane, 0.12), (x + lane, b_y - 0.17),
                         (x + side, b_y - 0.17)], arrow)
        _bent_arrow(ax, [(x - side, f_y + 0.17), (x - lane, f_y + 0.17),
                         (x - lane, out_y - 0.12), (x - side, out_y - 0.12)], arrow)
        start = x - BI_PITCH + side if t else extent[0] + 0.1
        draw_arrow(ax, (start, f_y), (x - side, f_y), arrow)  # forward: left to right
        end = x + BI_PITCH - side if t < T_x - 1 else extent[1] - 0.1
        draw_arrow(ax, (end, b_y), (x + side, b_y), arrow)  # backward: right to left
    ax.text((extent[0] + 0.1 - side) / 2, f_y - 0.1, "$\\overrightarrow{a}_0$", ha="center",
            va="top", fontsize=0.8 * fontsize, color=ARROW_COLOR)
    last = (T_x - 1) * BI_PITCH
    ax.text((extent[1] - 0.1 + last + side) / 2, b_y + 0.1,
            f"$\\overleftarrow{{a}}_{{{T_x + 1}}}$", ha="center", va="bottom",
            fontsize=0.8 * fontsize, color=ARROW_COLOR)
    return ax
