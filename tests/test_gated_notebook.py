"""What notebook 10's prose says of its stored outputs: at short lags every cell remembers; at
the longest lag the plain cell is near chance while the LSTM and the GRU answer (nearly) every
example; in the trained gated cells the gradient reaches the first symbol, in the plain cell not."""

import re
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "10-gated-cells.ipynb"


def printed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


def accuracy_table():
    """{lag: {cell: accuracy}} from the printed table."""
    text = printed().split("held-out accuracy\n", 1)[1]
    header, *rows = text.split("\n\n", 1)[0].splitlines()
    cells = header.split()[1:]
    return {int(row.split()[0]): dict(zip(cells, map(float, row.split()[1:]), strict=True))
            for row in rows}


def test_the_plain_cell_fails_beyond_a_lag_where_the_gated_cells_succeed():
    table = accuracy_table()
    assert set(next(iter(table.values()))) == {"rnn", "lstm", "gru"}
    shortest, longest = min(table), max(table)
    assert all(accuracy > 0.95 for accuracy in table[shortest].values()), table[shortest]
    assert table[longest]["rnn"] < 0.4, f"the plain cell at lag {longest}: {table[longest]}"
    assert table[longest]["lstm"] > 0.95 and table[longest]["gru"] > 0.95, table[longest]


def test_the_gradient_reaches_the_first_symbol_in_the_gated_cells_only():
    line = re.search(r"gradient at the first symbol, relative to the last step: (.+)", printed())
    reach = {cell: float(value) for cell, value in re.findall(r"(\w+) ([\d.e+-]+)", line.group(1))}
    assert reach["rnn"] < 1e-4, reach
    assert reach["lstm"] > 1e-2 and reach["gru"] > 1e-2, reach
