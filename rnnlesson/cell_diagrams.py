"""Pictures of the gated cells of notebook 10 (LSTM and GRU), drawn from a wiring list.

A cell picture is a set of parts (sigmoid gates and tanh layers as boxes, element-wise
operations as circles) and wires. Every wire states the signals it carries, e.g.
{"a_prev", "x"} on the line that stacks [a_{t-1}; x_t], and the part it leads into. A dot marks
where a wire starts or ends on another wire; lines that cross without a dot do not meet. The
tests read these lists: what each part receives must be what the cell's equations say, and the
lines must join where the lists say they do.

Signals: "a_prev" is a_{t-1} (= c_{t-1} in the GRU), "c_prev" the LSTM's c_{t-1}, "x" is x_t;
a wire leaving a part carries that part's name.

Nothing here runs at import; called without an Axes, the functions make a pyplot figure.
"""

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

from rnnlesson._validate import fail

__all__ = ["GRU", "LSTM", "Cell", "Part", "Wire", "draw_cell", "draw_gru", "draw_lstm"]

GATE_COLOR, LAYER_COLOR, CELL_COLOR = "#f2c14e", "#8fd694", "#eef3f8"


@dataclass(frozen=True)
class Part:
    """A gate ("gate", a sigmoid), a layer ("layer", a tanh) or an element-wise op ("op")."""

    kind: str
    x: float
    y: float
    label: str
    width: float = 0.9


@dataclass(frozen=True)
class Wire:
    """A line through points, carrying signals; `to` names the part it leads into (None when it
    ends on another wire, or leaves the cell)."""

    points: tuple
    carries: frozenset
    to: str | None = None
    arrow: bool = True
    lw: float = 1.0


@dataclass(frozen=True)
class Cell:
    title: str
    parts: dict
    wires: tuple
    texts: tuple  # (x, y, text) labels of the lines


def wire(carries, *points, to=None, arrow=True, lw=1.0):
    return Wire(tuple(points), frozenset(carries.split()), to, arrow, lw)


TOP = 4.8  # the memory line
BUS = 1.3  # the line carrying [a_{t-1}; x_t] to the gates

LSTM = Cell(
    title="LSTM cell: the memory line c (top) and three gates",
    parts={
        "gamma_f": Part("gate", 3.0, 2.5, r"$\sigma$: $\Gamma_f$"),
        "gamma_i": Part("gate", 4.3, 2.5, r"$\sigma$: $\Gamma_i$"),
        "candidate": Part("layer", 5.6, 2.5, r"tanh: $\tilde c_t$", width=1.1),
        "gamma_o": Part("gate", 7.2, 2.5, r"$\sigma$: $\Gamma_o$"),
        "forget": Part("op", 3.0, TOP, "×"),
        "write": Part("op", 5.6, 3.75, "×"),
        "add": Part("op", 5.6, TOP, "+"),
        "squash": Part("op", 8.6, 3.8, "tanh", width=0.9),
        "show": Part("op", 8.6, 2.5, "×"),
    },
    wires=(
        wire("c_prev", (0, TOP), (2.78, TOP), to="forget", lw=1.8),
        wire("forget", (3.22, TOP), (5.38, TOP), to="add", lw=1.8),
        wire("add", (5.82, TOP), (11.0, TOP), lw=1.8),
        wire("a_prev", (0, BUS), (1.7, BUS), arrow=False),
        wire("x", (1.7, -0.4), (1.7, BUS), arrow=False),
        wire("a_prev x", (1.7, BUS), (7.2, BUS), arrow=False),
        *(wire("a_prev x", (x, BUS), (x, 2.2), to=name)
          for x, name in ((3.0, "gamma_f"), (4.3, "gamma_i"), (5.6, "candidate"),
                          (7.2, "gamma_o"))),
        wire("gamma_f", (3.0, 2.8), (3.0, TOP - 0.22), to="forget"),
        wire("gamma_i", (4.3, 2.8), (4.3, 3.75), (5.38, 3.75), to="write"),
        wire("candidate", (5.6, 2.8), (5.6, 3.53), to="write"),
        wire("write", (5.6, 3.97), (5.6, TOP - 0.22), to="add"),
        wire("add", (8.6, TOP), (8.6, 4.05), to="squash"),
        wire("squash", (8.6, 3.55), (8.6, 2.72), to="show"),
        wire("gamma_o", (7.65, 2.5), (8.38, 2.5), to="show"),
        wire("show", (8.6, 2.28), (8.6, 0.9), (11.0, 0.9)),
    ),
    texts=((0, TOP + 0.2, "$c_{t-1}$"), (10.5, TOP + 0.2, "$c_t$"), (0, BUS + 0.15, "$a_{t-1}$"),
           (1.85, -0.35, "$x_t$"), (10.5, 1.05, "$a_t$")),
)

# The GRU's candidate sees Γ_r ⊙ a_{t-1} and x_t, so a_{t-1} reaches the reset gate's × on a line
# of its own (down at x = 1.3, along y = 0.95) and x_t reaches the candidate on another (y = 0.75);
# the bus at y = 1.3 carries [a_{t-1}; x_t] to the two gates only.
GRU = Cell(
    title="GRU cell: the state is the memory, two gates",
    parts={
        "gamma_u": Part("gate", 2.6, 2.5, r"$\sigma$: $\Gamma_u$"),
        "gamma_r": Part("gate", 4.4, 2.5, r"$\sigma$: $\Gamma_r$"),
        "candidate": Part("layer", 7.0, 2.5, r"tanh: $\tilde c_t$", width=1.1),
        "reset": Part("op", 5.6, 2.5, "×"),
        "one_minus": Part("op", 2.6, 3.7, "1−", width=0.6),
        "keep": Part("op", 2.6, TOP, "×"),
        "write": Part("op", 7.0, 3.7, "×"),
        "add": Part("op", 7.0, TOP, "+"),
    },
    wires=(
        wire("a_prev", (0, TOP), (2.38, TOP), to="keep", lw=1.8),
        wire("keep", (2.82, TOP), (6.78, TOP), to="add", lw=1.8),
        wire("add", (7.22, TOP), (11.0, TOP), lw=1.8),
        wire("a_prev", (1.3, TOP), (1.3, 0.95), (5.6, 0.95), (5.6, 2.28), to="reset"),
        wire("a_prev", (1.3, BUS), (1.8, BUS), arrow=False),
        wire("x", (1.8, -0.4), (1.8, BUS), arrow=False),
        wire("a_prev x", (1.8, BUS), (4.4, BUS), arrow=False),
        wire("a_prev x", (2.6, BUS), (2.6, 2.2), to="gamma_u"),
        wire("a_prev x", (4.4, BUS), (4.4, 2.2), to="gamma_r"),
        wire("gamma_r", (4.85, 2.5), (5.38, 2.5), to="reset"),
        wire("reset", (5.82, 2.5), (6.45, 2.5), to="candidate"),
        wire("x", (1.8, 0.75), (7.0, 0.75), (7.0, 2.2), to="candidate"),
        wire("gamma_u", (2.6, 2.8), (2.6, 3.45), to="one_minus"),
        wire("one_minus", (2.6, 3.95), (2.6, TOP - 0.22), to="keep"),
        wire("gamma_u", (2.6, 3.1), (3.4, 3.1), (3.4, 3.7), (6.78, 3.7), to="write"),
        wire("candidate", (7.0, 2.8), (7.0, 3.48), to="write"),
        wire("write", (7.0, 3.92), (7.0, TOP - 0.22), to="add"),
        wire("add", (8.6, TOP), (8.6, 5.75)),
    ),
    texts=((0, TOP + 0.2, "$a_{t-1} = c_{t-1}$"), (9.6, TOP + 0.2, "$a_t = c_t$"),
           (1.95, -0.35, "$x_t$"), (8.75, 5.5, r"to $\hat y_t$")),
)


def on_segment(point, start, end, tol=1e-9):
    """Whether point lies on the straight segment start-end."""
    (px, py), (ax_, ay), (bx, by) = point, start, end
    cross = (bx - ax_) * (py - ay) - (by - ay) * (px - ax_)
    inside = (min(ax_, bx) - tol <= px <= max(ax_, bx) + tol
              and min(ay, by) - tol <= py <= max(ay, by) + tol)
    return abs(cross) <= tol and inside


def junctions(cell):
    """Points where a wire starts or ends on another wire: where the picture draws a dot."""
    points = set()
    for w in cell.wires:
        for end in (w.points[0], w.points[-1]):
            for other in cell.wires:
                if other is not w and any(on_segment(end, a, b) for a, b in
                                          zip(other.points[:-1], other.points[1:], strict=True)):
                    points.add(end)
    return sorted(points)


def draw_part(ax, name, part):
    if part.kind == "op":
        round_op = part.width <= 0.45 or part.label in ("×", "+")
        shape = (Circle((part.x, part.y), 0.22) if round_op
                 else Ellipse((part.x, part.y), part.width, 0.5))
        shape.set(facecolor="white", edgecolor="black", lw=0.8, gid=f"part:{name}")
        ax.add_patch(shape)
        ax.text(part.x, part.y, part.label, ha="center", va="center",
                fontsize=11 if round_op else 8)
        return
    color = GATE_COLOR if part.kind == "gate" else LAYER_COLOR
    ax.add_patch(FancyBboxPatch((part.x - part.width / 2, part.y - 0.3), part.width, 0.6,
                                facecolor=color, edgecolor="black", lw=0.8,
                                boxstyle="round,pad=0.04", gid=f"part:{name}"))
    ax.text(part.x, part.y, part.label, ha="center", va="center", fontsize=9)


def draw_wire(ax, w):
    gid = "wire:" + " ".join(sorted(w.carries))
    for start, end in zip(w.points[:-2], w.points[1:-1], strict=True):
        ax.plot([start[0], end[0]], [start[1], end[1]], color="black", lw=w.lw, gid=gid)
    ax.add_patch(FancyArrowPatch(w.points[-2], w.points[-1], arrowstyle="-|>" if w.arrow else "-",
                                 mutation_scale=10, color="black", lw=w.lw, shrinkA=0,
                                 shrinkB=0, gid=gid))


def draw_cell(cell, ax=None):
    """Draw a Cell (LSTM or GRU) on ax (None makes a pyplot figure 8 x 3.6). Returns the Axes."""
    if not isinstance(cell, Cell):
        fail("cell", "a Cell such as cell_diagrams.LSTM or cell_diagrams.GRU", cell)
    if ax is None:
        import matplotlib.pyplot as plt  # here, not at import: pyplot picks a backend

        _, ax = plt.subplots(figsize=(8, 3.6))
    elif not isinstance(ax, Axes):
        fail("ax", "a matplotlib Axes or None", ax)
    ax.add_patch(FancyBboxPatch((1.0, 0.6), 9.0, 4.8, boxstyle="round,pad=0.1",
                                facecolor=CELL_COLOR, edgecolor="grey"))
    ax.set_xlim(-0.3, 11.3)
    ax.set_ylim(-0.5, 5.9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(cell.title)
    for w in cell.wires:
        draw_wire(ax, w)
    for x, y in junctions(cell):
        ax.add_patch(Circle((x, y), 0.07, facecolor="black", edgecolor="none", gid="junction"))
    for name, part in cell.parts.items():
        draw_part(ax, name, part)
    for x, y, text in cell.texts:
        ax.text(x, y, text, fontsize=10 if text.startswith("$") else 9)
    return ax


def draw_lstm(ax=None):
    """The LSTM cell of notebook 10 (see LSTM). Returns the Axes."""
    return draw_cell(LSTM, ax)


def draw_gru(ax=None):
    """The GRU cell of notebook 10 (see GRU). Returns the Axes."""
    return draw_cell(GRU, ax)
