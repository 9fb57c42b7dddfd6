"""The LSTM and GRU pictures of notebook 10 against the equations the notebook states: every
part receives what its equation reads, and the lines join where the wiring says they do; and
against the package: the wiring, run with a cell's parameters, computes the package's step."""

import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlesson import cell_diagrams  # noqa: E402
from rnnlesson.cell_diagrams import (  # noqa: E402
    GRU,
    LSTM,
    Cell,
    Part,
    Wire,
    junctions,
    on_segment,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "10-gated-cells.ipynb"
LEAVES = {"a_prev", "c_prev", "x"}
# What the notebook's letters stand for in each picture, and which part computes each line.
SYMBOLS = {
    "GRU": {"c_{t-1}": "a_prev", "a_{t-1}": "a_prev", "x_t": "x"},
    "LSTM": {"c_{t-1}": "c_prev", "a_{t-1}": "a_prev", "x_t": "x"},
}
COMPUTES = {
    "GRU": {r"\Gamma_r": "gamma_r", r"\Gamma_u": "gamma_u", r"\tilde{c}_t": "candidate",
            "c_t": "add"},
    "LSTM": {r"\Gamma_f": "gamma_f", r"\Gamma_i": "gamma_i", r"\Gamma_o": "gamma_o",
             r"\tilde{c}_t": "candidate", "c_t": "add", "a_t": "show"},
}
CELLS = {"GRU": GRU, "LSTM": LSTM}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def equations(name):
    """{left-hand side: right-hand side} of the aligned block that defines the cell's state."""
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "markdown" and r"\begin{aligned}" in c.source]
    block = next(s for s in cells if (r"\Gamma_r" in s) == (name == "GRU"))
    body = block.split(r"\begin{aligned}")[1].split(r"\end{aligned}")[0]
    lines = {}
    for line in body.split(r"\\"):
        for piece in re.split(r",?\s*\\qquad\s*", line.split("&&")[0]):
            if "=" in piece:
                left, right = piece.replace("&", "").split("=", 1)
                lines[left.strip()] = right.strip().rstrip(",")
    return lines


def split_top(text, sep):
    """Split text at sep outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
    return [p.strip() for p in parts + [text[start:]]]


def from_equation(name, term, lines):
    """A term of the notebook's equations as a nested (operation, frozenset of inputs)."""
    term = term.strip()
    if len(split_top(term, "+")) > 1:
        return ("+", frozenset(from_equation(name, t, lines) for t in split_top(term, "+")))
    if len(split_top(term, r"\odot")) > 1:
        return ("×", frozenset(from_equation(name, t, lines) for t in split_top(term, r"\odot")))
    if match := re.fullmatch(r"\(1 - (.+)\)", term):
        return ("1−", frozenset([from_equation(name, match.group(1), lines)]))
    if match := re.fullmatch(r"\\(sigma|tanh)\((.+)\)", term):
        kind, inside = match.groups()
        stacked = re.search(r"\[(.+)\]", inside)
        inputs = split_top(stacked.group(1).replace(";", ","), ",") if stacked else [inside]
        return ("sigma" if kind == "sigma" else "tanh",
                frozenset(from_equation(name, t, lines) for t in inputs))
    if term in SYMBOLS[name]:
        return SYMBOLS[name][term]
    if term in lines:  # a gate or layer keeps its name, so that Γ_f and Γ_i cannot swap
        value = from_equation(name, lines[term], lines)
        return ("=", symbol(term), value) if value[0] in ("sigma", "tanh") else value
    raise AssertionError(f"cannot read {term!r} in the {name} equations")


def symbol(latex):
    """A letter as written in a label or an equation: '\\tilde c_t' and '\\tilde{c}_t' agree."""
    return re.sub(r"[{}$\s]", "", latex)


def from_drawing(cell, signal):
    """What a signal is, read off the wiring: a leaf, or a part applied to what reaches it."""
    if signal in LEAVES:
        return signal
    part = cell.parts[signal]
    inputs = set().union(*(w.carries for w in cell.wires if w.to == signal))
    kind = {"gate": "sigma", "layer": "tanh"}.get(part.kind, part.label)
    value = (kind, frozenset(from_drawing(cell, s) for s in inputs))
    if part.kind == "op":
        return value
    return ("=", symbol(part.label.split(":", 1)[1]), value)  # the letter after "σ:" or "tanh:"


@pytest.mark.parametrize("name", ["GRU", "LSTM"])
def test_each_part_receives_what_the_notebooks_equation_reads(name):
    lines, cell = equations(name), CELLS[name]
    assert set(COMPUTES[name]) <= set(lines), f"the {name} equations changed: {sorted(lines)}"
    for left, part in COMPUTES[name].items():
        assert from_drawing(cell, part) == from_equation(name, left, lines), \
            f"{name}: the picture's {part} does not compute {left} = {lines[left]}"


def test_the_gru_reset_gate_scales_the_old_state_only():
    inputs = {w.to: set() for w in GRU.wires}
    for w in GRU.wires:
        inputs[w.to] |= w.carries
    assert inputs["reset"] == {"gamma_r", "a_prev"}
    assert inputs["candidate"] == {"reset", "x"}, "x_t must reach the candidate unscaled"


def boundary_distance(part, point):
    """How far point lies from the outline of a part (0 on it)."""
    dx, dy = point[0] - part.x, point[1] - part.y
    if part.kind == "op" and (part.label in ("×", "+") or part.width <= 0.45):
        return abs(np.hypot(dx, dy) - 0.22)
    if part.kind == "op":  # an ellipse of width part.width and height 0.5
        return abs(np.hypot(dx / (part.width / 2), dy / 0.25) - 1) * 0.25
    half_w, half_h = part.width / 2 + 0.04, 0.3 + 0.04  # the box and its rounded padding
    return min(abs(abs(dx) - half_w) if abs(dy) <= half_h else 1,
               abs(abs(dy) - half_h) if abs(dx) <= half_w else 1)


@pytest.mark.parametrize("name", ["GRU", "LSTM"])
def test_the_lines_join_where_the_wiring_says(name):
    cell = CELLS[name]
    joins = set(junctions(cell))
    for w in cell.wires:
        start, end = w.points[0], w.points[-1]
        if w.to is not None:
            assert boundary_distance(cell.parts[w.to], end) < 0.05, f"{w} misses {w.to}"
        else:  # it leaves the cell, or joins another wire
            assert end[0] >= 10.9 or end[1] >= 5.7 or end in joins, f"{w} ends nowhere"
        sources = [n for n, p in cell.parts.items() if boundary_distance(p, start) < 0.05]
        if start in joins:
            ending = [o.carries for o in cell.wires if o is not w and o.points[-1] == start]
            hosts = [o.carries for o in cell.wires if o is not w and any(
                on_segment(start, a, b) for a, b in zip(o.points[:-1], o.points[1:], strict=True))]
            expected = frozenset().union(*ending) if ending else hosts[0]
            assert w.carries == expected, f"{w} starts on a line carrying {set(expected)}"
        elif sources:
            assert w.carries == {sources[0]}, f"{w} leaves {sources[0]}"
        else:
            assert start[0] <= 0 or start[1] <= -0.4, f"{w} starts nowhere"
            assert w.carries <= LEAVES


@pytest.mark.parametrize("name", ["GRU", "LSTM"])
def test_the_picture_draws_every_part_wire_and_junction(name):
    cell = CELLS[name]
    ax = cell_diagrams.draw_cell(cell)
    gids = [a.get_gid() for a in [*ax.patches, *ax.lines] if a.get_gid()]
    assert {g.split(":", 1)[1] for g in gids if g.startswith("part:")} == set(cell.parts)
    assert gids.count("junction") == len(junctions(cell)) > 0
    drawn = {g.split(":", 1)[1] for g in gids if g.startswith("wire:")}
    assert drawn == {" ".join(sorted(w.carries)) for w in cell.wires}
    assert ax.get_title() == cell.title


def test_drawing_rejects_bad_input():
    with pytest.raises(ValueError, match="cell: expected a Cell"):
        cell_diagrams.draw_cell("GRU")
    with pytest.raises(ValueError, match="ax: expected a matplotlib Axes"):
        cell_diagrams.draw_cell(GRU, ax="left")


def test_the_checks_catch_the_old_gru_picture():
    """The earlier picture fed the reset gate's × from the line carrying [a_{t-1}, x_t]."""
    wires = [w for w in GRU.wires if w.to != "reset" or "gamma_r" in w.carries]
    wires.append(cell_diagrams.wire("a_prev x", (4.4, 1.3), (5.6, 1.3), (5.6, 2.28), to="reset"))
    old = Cell(GRU.title, GRU.parts, tuple(wires), GRU.texts)
    lines = equations("GRU")
    assert from_drawing(old, "candidate") != from_equation("GRU", r"\tilde{c}_t", lines)
    swapped = dict(GRU.parts, gamma_u=GRU.parts["gamma_r"], gamma_r=GRU.parts["gamma_u"])
    swapped = Cell(GRU.title, swapped, GRU.wires, GRU.texts)  # the labels on the wrong gates
    assert from_drawing(swapped, "add") != from_equation("GRU", "c_t", lines)
    assert isinstance(old.parts["reset"], Part)


# ---- what the pictures compute, against the package's cells ---------------------------------

GATE_WEIGHTS = {r"\Gamma_f": "f", r"\Gamma_i": "i", r"\Gamma_o": "o", r"\Gamma_r": "r",
                r"\Gamma_u": "u", r"\tildec_t": "c"}  # the letter in a part's label -> W•, b•


def run_drawing(tree, params, leaves):
    """The number a picture's wiring computes: each gate or layer applies its own W and b to
    the column its wires stack (the state part first, x_t last, as rnnlesson stacks
    [a_{t-1}; x_t]); each circle applies its operation to what reaches it."""
    if isinstance(tree, str):
        return leaves[tree]
    if tree[0] == "=":
        _, letter, (kind, inputs) = tree
        stacked = sorted(inputs, key=lambda t: t == "x")  # x_t goes last
        column = np.concatenate([run_drawing(t, params, leaves) for t in stacked])
        g = GATE_WEIGHTS[letter]
        z = params[f"W{g}"] @ column + params[f"b{g}"]
        return 1.0 / (1.0 + np.exp(-z)) if kind == "sigma" else np.tanh(z)
    op, inputs = tree
    values = [run_drawing(t, params, leaves) for t in inputs]
    if op == "×":
        return np.prod(values, axis=0)
    if op == "+":
        return np.sum(values, axis=0)
    (value,) = values
    return 1.0 - value if op == "1−" else np.tanh(value)


def random_step(init, seed, n_x=3):
    rng = np.random.default_rng(seed)
    n_a, m = 4, 5
    params = init(n_x, n_a, 2, seed=seed)
    params = {k: v + 0.5 * rng.normal(size=v.shape) for k, v in params.items()}  # biases too
    leaves = {"x": rng.normal(size=(n_x, m)), "a_prev": np.tanh(rng.normal(size=(n_a, m))),
              "c_prev": rng.normal(size=(n_a, m))}
    return params, leaves


@pytest.mark.parametrize("seed", [0, 1])
def test_the_gru_picture_computes_what_gru_cell_forward_computes(seed):
    from rnnlesson import gru_cell_forward, init_gru_params

    params, leaves = random_step(init_gru_params, seed)
    a_next, _, _ = gru_cell_forward(leaves["x"], leaves["a_prev"], params)
    np.testing.assert_allclose(run_drawing(from_drawing(GRU, "add"), params, leaves), a_next,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_lstm_picture_computes_what_lstm_cell_forward_computes(seed):
    from rnnlesson import init_lstm_params, lstm_cell_forward

    params, leaves = random_step(init_lstm_params, seed)
    a_next, c_next, _, _ = lstm_cell_forward(leaves["x"], leaves["a_prev"], leaves["c_prev"],
                                             params)
    for part, expected in (("add", c_next), ("show", a_next)):
        np.testing.assert_allclose(run_drawing(from_drawing(LSTM, part), params, leaves),
                                   expected, rtol=1e-12, atol=1e-12, err_msg=part)


def test_the_old_gru_picture_computes_something_else():
    """A picture whose reset gate scales x_t and lets a_{t-1} into the candidate unscaled (the
    earlier drawing's fault), and one with the two gates' labels swapped, both miss
    gru_cell_forward. (With n_x = n_a, so that Γ_r ⊙ x_t can be computed at all.)"""
    from rnnlesson import gru_cell_forward, init_gru_params

    params, leaves = random_step(init_gru_params, 0, n_x=4)
    a_next, _, _ = gru_cell_forward(leaves["x"], leaves["a_prev"], params)
    trade = {("reset", frozenset({"a_prev"})): frozenset({"x"}),
             ("candidate", frozenset({"x"})): frozenset({"a_prev"})}
    wires = tuple(Wire(w.points, trade.get((w.to, w.carries), w.carries), w.to, w.arrow, w.lw)
                  for w in GRU.wires)
    reset_on_x = Cell(GRU.title, GRU.parts, wires, GRU.texts)
    swapped = Cell(GRU.title, dict(GRU.parts, gamma_u=GRU.parts["gamma_r"],
                                   gamma_r=GRU.parts["gamma_u"]), GRU.wires, GRU.texts)
    assert np.allclose(run_drawing(from_drawing(GRU, "add"), params, leaves), a_next)
    for picture in (reset_on_x, swapped):
        assert not np.allclose(run_drawing(from_drawing(picture, "add"), params, leaves), a_next)
