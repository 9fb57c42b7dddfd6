"""The array shapes that go with each shape of RNN (the pictures are in `rnnlesson.diagrams`).

Letters: n_x input features, n_y output classes, m examples, T_x input steps, T_y output
steps. Pure Python, no matplotlib: the exercise checks use it in every graded notebook.
"""

from rnnlesson._validate import fail

__all__ = ["DEFAULT_LENGTHS", "ENCODER_DECODER", "TOPOLOGIES", "array_shapes", "check_topology",
           "shapes_table"]

TOPOLOGIES = (
    "one-to-one",
    "one-to-many",
    "many-to-one",
    "many-to-many (aligned)",
    "many-to-many (encoder-decoder)",
)
ENCODER_DECODER = TOPOLOGIES[-1]

# (T_x, T_y) when the caller gives None.
DEFAULT_LENGTHS = {
    "one-to-one": (1, 1),
    "one-to-many": (1, 4),
    "many-to-one": (4, 1),
    "many-to-many (aligned)": (4, 4),
    "many-to-many (encoder-decoder)": (3, 4),
}


def check_length(name, value, upper=None):
    """A count (T_x, T_y, n_x, n_y or m): an int >= 1, and <= upper when one is given."""
    if (isinstance(value, bool) or not isinstance(value, int) or value < 1
            or (upper is not None and value > upper)):
        fail(name, "an int >= 1" + (f" and <= {upper}" if upper else ""), repr(value))
    return value


def check_topology(topology, T_x, T_y, upper=None):
    """Check the topology name and its lengths; return (T_x, T_y) with defaults filled in."""
    if topology not in TOPOLOGIES:
        fail("topology", f"one of {TOPOLOGIES}", repr(topology))
    default_x, default_y = DEFAULT_LENGTHS[topology]
    aligned = topology == "many-to-many (aligned)"
    T_x = check_length("T_x", default_x if T_x is None else T_x, upper)
    T_y = check_length("T_y", (T_x if aligned else default_y) if T_y is None else T_y, upper)
    if topology in ("one-to-one", "one-to-many") and T_x != 1:
        fail("T_x", "T_x = 1", repr(T_x), why=f"{topology} has one input, ")
    if topology in ("one-to-one", "many-to-one") and T_y != 1:
        fail("T_y", "T_y = 1", repr(T_y), why=f"{topology} has one output, ")
    if aligned and T_y != T_x:
        fail("T_y", f"T_y = T_x = {T_x}", repr(T_y),
             why="aligned many-to-many has an output per input, ")
    return T_x, T_y


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
