"""Pictures of the shapes an RNN can take, and the array shapes that go with each.

Colours follow the lecture: inputs red, the RNN green, outputs blue. Letters: n_x input
features, n_y output classes, m examples, T_x input steps, T_y output steps.

Nothing here runs at import: no figure is made and no matplotlib setting is changed. Called
without an Axes or Figure, the drawing functions make a pyplot figure, so `plt.show()` shows it.
"""

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

__all__ = ["INPUT_COLOR", "OUTPUT_COLOR", "RNN_COLOR", "TOPOLOGIES", "array_shapes",
           "draw_gallery", "draw_topology", "shapes_table"]

TOPOLOGIES = (
    "one-to-one",
    "one-to-many",
    "many-to-one",
    "many-to-many (aligned)",
    "many-to-many (encoder-decoder)",
)
ENCODER_DECODER = TOPOLOGIES[-1]
INPUT_COLOR = "#d62728"
RNN_COLOR = "#2ca02c"
OUTPUT_COLOR = "#1f77b4"
ARROW_COLOR = "#404040"
MAX_STEPS = 12  # the drawing stays legible up to this many steps

# (T_x, T_y) when the caller gives None.
DEFAULT_LENGTHS = {
    "one-to-one": (1, 1),
    "one-to-many": (1, 4),
    "many-to-one": (4, 1),
    "many-to-many (aligned)": (4, 4),
    "many-to-many (encoder-decoder)": (3, 4),
}

# Layout in data units: one column per time step.
PITCH = 1.5  # distance between columns
BOX_W, BOX_H = 1.0, 0.7
ROW_Y = {"input": 0.0, "rnn": 1.45, "output": 2.9}


def fail(name, expected, got, why=""):
    raise ValueError(f"{name}: {why}expected {expected}, got {got!r}")


def check_length(name, value, upper=None):
    """A count (T_x, T_y, n_x, n_y or m): an int >= 1, and <= upper when one is given."""
    if (isinstance(value, bool) or not isinstance(value, int) or value < 1
            or (upper is not None and value > upper)):
        fail(name, "an int >= 1" + (f" and <= {upper}" if upper else ""), value)
    return value


def check_topology(topology, T_x, T_y, upper=None):
    """Check the topology name and its lengths; return (T_x, T_y) with defaults filled in."""
    if topology not in TOPOLOGIES:
        fail("topology", f"one of {TOPOLOGIES}", topology)
    default_x, default_y = DEFAULT_LENGTHS[topology]
    aligned = topology == "many-to-many (aligned)"
    T_x = check_length("T_x", default_x if T_x is None else T_x, upper)
    T_y = check_length("T_y", (T_x if aligned else default_y) if T_y is None else T_y, upper)
    if topology in ("one-to-one", "one-to-many") and T_x != 1:
        fail("T_x", "T_x = 1", T_x, why=f"{topology} has one input, ")
    if topology in ("one-to-one", "many-to-one") and T_y != 1:
        fail("T_y", "T_y = 1", T_y, why=f"{topology} has one output, ")
    if aligned and T_y != T_x:
        fail("T_y", f"T_y = T_x = {T_x}", T_y, why="aligned many-to-many has an output per input, ")
    return T_x, T_y


def layout(topology, T_x, T_y):
    """Columns of the unrolled picture: (input step or None, output step or None) per cell."""
    if topology == "one-to-many":
        return [(1 if t == 0 else None, t + 1) for t in range(T_y)]
    if topology in ("one-to-one", "many-to-one"):
        return [(t + 1, 1 if t == T_x - 1 else None) for t in range(T_x)]
    if topology == "many-to-many (aligned)":
        return [(t + 1, t + 1) for t in range(T_x)]
    return [(t + 1, None) for t in range(T_x)] + [(None, t + 1) for t in range(T_y)]


def points_per_unit(ax, width, height):
    """How many typographic points one data unit spans once the axes keeps an equal aspect."""
    root = ax.figure.figure  # the Figure itself, also when ax sits in a SubFigure
    if root.get_layout_engine() is not None:
        root.get_layout_engine().execute(root)  # so the axes has its final size
    box = ax.get_window_extent()  # pixels
    return 72 / root.dpi * min(box.width / width, box.height / height)


def draw_box(ax, x, y, color, label, fontsize):
    ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                boxstyle="round,pad=0,rounding_size=0.12",
                                facecolor=color, edgecolor="none"))
    ax.text(x, y, label, ha="center", va="center", color="white", fontsize=fontsize)


def draw_arrow(ax, start, end, scale):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=scale,
                                 color=ARROW_COLOR, linewidth=min(1.5, max(0.7, scale / 9)),
                                 shrinkA=0, shrinkB=0))


def extent(topology, T_x, T_y):
    """(left, right, bottom, top) of the picture in data units."""
    left = -PITCH / 2 - (0.8 if topology != "one-to-one" else 0)  # room for the a_0 arrow
    right = (len(layout(topology, T_x, T_y)) - 0.5) * PITCH
    bottom = ROW_Y["input"] - (0.95 if topology == ENCODER_DECODER else 0.45)
    return left, right, bottom, ROW_Y["output"] + 0.45


def draw_topology(topology, T_x=None, T_y=None, ax=None, title=True):
    """Draw the unrolled RNN: red inputs x_t below, green cells a_t, blue outputs ŷ_t above.

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
        inches = min(0.55, 7.6 / (right - left))  # per data unit, so the figure is <= 8 wide
        size = (max(2.4, inches * (right - left) + 0.4), inches * (top - bottom) + 0.75)
        import matplotlib.pyplot as plt  # here, not at import: pyplot picks a backend

        _, ax = plt.subplots(figsize=size, layout="constrained")
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
        draw_box(ax, x, rnn_y, RNN_COLOR, f"$a_{{{col + 1}}}$", fontsize)
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
    if topology == ENCODER_DECODER:  # brackets naming the two halves
        y = ROW_Y["input"] - 0.55
        for name, first, last in (("encoder", 0, T_x - 1), ("decoder", T_x, T_x + T_y - 1)):
            x0, x1 = first * PITCH - BOX_W / 2, last * PITCH + BOX_W / 2
            ax.plot([x0, x0, x1, x1], [y + 0.1, y, y, y + 0.1], color=ARROW_COLOR, lw=0.8)
            ax.text((x0 + x1) / 2, y - 0.07, name, ha="center", va="top",
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
    handles = [Patch(facecolor=INPUT_COLOR, label="inputs (red)"),
               Patch(facecolor=RNN_COLOR, label="RNN (green)"),
               Patch(facecolor=OUTPUT_COLOR, label="outputs (blue)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
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


def array_shapes(topology, n_x, n_y, m, T_x=None, T_y=None):
    """Shapes of the input batch x, the predictions y_pred and the integer labels y.

    - one-to-one:                     x (n_x, m),      y_pred (n_y, m),      y (m,)
    - one-to-many:                    x (n_x, m),      y_pred (n_y, m, T_y), y (m, T_y)
    - many-to-one:                    x (n_x, m, T_x), y_pred (n_y, m),      y (m,)
    - many-to-many (aligned):         x (n_x, m, T_x), y_pred (n_y, m, T_x), y (m, T_x)
    - many-to-many (encoder-decoder): x (n_x, m, T_x), y_pred (n_y, m, T_y), y (m, T_y)

    T_x, T_y: None for the defaults of `draw_topology`; any int >= 1 otherwise.
    Returns {"x": tuple, "y_pred": tuple, "y": tuple}.
    """
    T_x, T_y = check_topology(topology, T_x, T_y)
    n_x, n_y, m = (check_length(name, value) for name, value in
                   (("n_x", n_x), ("n_y", n_y), ("m", m)))
    x = (n_x, m) if topology in ("one-to-one", "one-to-many") else (n_x, m, T_x)
    if topology in ("one-to-one", "many-to-one"):
        return {"x": x, "y_pred": (n_y, m), "y": (m,)}
    return {"x": x, "y_pred": (n_y, m, T_y), "y": (m, T_y)}


def shapes_table(n_x, n_y, m, T_x, T_y):
    """A fixed-width text table of `array_shapes` for every topology.

    Each topology uses the lengths it allows: one-to-one 1 and 1, one-to-many 1 and T_y,
    many-to-one T_x and 1, aligned T_x and T_x, encoder-decoder T_x and T_y.
    """
    allowed = {
        "one-to-one": (1, 1),
        "one-to-many": (1, T_y),
        "many-to-one": (T_x, 1),
        "many-to-many (aligned)": (T_x, T_x),
        "many-to-many (encoder-decoder)": (T_x, T_y),
    }
    header = ("topology", "x", "y_pred", "y")
    rows = [header]
    for name in TOPOLOGIES:
        shapes = array_shapes(name, n_x, n_y, m, *allowed[name])
        rows.append((name, *(str(shapes[key]) for key in header[1:])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
