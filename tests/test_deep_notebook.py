"""What notebook 15's prose says of its stored outputs: the stacked and bidirectional shapes; the
cost of a layer; only the backward half at step 1 sees the last symbol; on the marker task the
one-directional nets score what always answering 0 scores and the bidirectional nets nearly
everything, a second layer changing little; the whole-axis reversal reads padding, misplaces the
states of the shorter sequences and costs more than ten points, all on the shorter sequences."""

import re
from pathlib import Path

import stored_text

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "15-deep-and-bidirectional.ipynb"
notebook, printed, prose, source = stored_text.fixtures(NOTEBOOK)


def shape(text):
    return tuple(int(n) for n in re.findall(r"\d+", text))


# ---- 1 and 2: shapes and cost ---------------------------------------------------------------

def test_only_layer_1_reads_the_inputs_and_the_top_layer_gives_the_states(printed):
    layers = dict(re.findall(r"^(layer\d)\s+\{'Wax': \((\d+, \d+)\)", printed, re.MULTILINE))
    assert shape(layers["layer1"]) == (5, 6)  # (n_a, n_x)
    assert shape(layers["layer2"]) == shape(layers["layer3"]) == (5, 5)  # (n_a, n_a)
    line = re.search(r"x \((\d+, \d+)\) \(m, T_x\) -> top layer's states a \((\d+, \d+, \d+)\)"
                     r" \(n_a, m, T_x\) -> y_pred \((\d+, \d+, \d+)\)", printed)
    assert shape(line[2]) == (5, 3, 7) and shape(line[3]) == (2, 3, 7)


def test_each_layer_adds_t_x_cells_and_one_cell_to_the_path(printed, prose):
    """'with one layer the path from x_1 to ŷ_{T_x} passes through 100 cells, and each layer adds
    one more to it (107 with eight layers)'; 'the cells per sequence grow in proportion'."""
    table = printed.split("cells from x_1 to ŷ_T_x\n", 1)[1].split("\n\n", 1)[0]
    rows = {int(r.split()[0]): [int(v) for v in r.split()[1:]] for r in table.splitlines()}
    assert set(rows) == {1, 2, 3, 4, 8}
    for layers, (_, cells, path) in rows.items():
        assert cells == 100 * layers and path == 100 + layers - 1
    weights = [rows[n][0] for n in sorted(rows)]
    assert all(a < b for a, b in zip(weights, weights[1:], strict=False)), "its own weights"
    assert "passes through 100 cells" in prose and rows[1][2] == 100
    assert "(107 with eight layers)" in prose and rows[8][2] == 107


def test_the_bidirectional_states_are_both_directions_stacked(printed):
    assert "Wya: (2, 10) (n_y, 2 n_a)" in printed
    assert "a (10, 3, 7) (2 n_a, m, T_x): rows 0..4 forward, 5..9 backward" in printed
    assert "layer 2 forward Wax: (5, 10) (n_a, 2 n_a)" in printed


def test_only_the_backward_half_at_step_1_sees_the_last_symbol(printed, prose):
    forward = float(re.search(r"forward half:\s+([\d.]+)", printed)[1])
    backward = float(re.search(r"backward half:\s+([\d.]+)", printed)[1])
    assert forward == 0.0 and backward > 0.01
    assert "(the change printed is 0.000)" in prose


# ---- 3: the comparison ------------------------------------------------------------------------

def test_the_setup_the_prose_describes_is_the_codes(source, printed, prose):
    units = dict(re.findall(r'"([a-z -]+)": \((?:1|2), (?:True|False), (\d+)\)', source))
    assert units == {"one-directional": "24", "stacked": "15", "bidirectional": "16",
                     "stacked bidirectional": "9"}
    assert ("one-directional with 24 units, stacked with two layers of 15, bidirectional with 16 "
            "per direction, and stacked bidirectional with two layers of 9 per direction") in prose
    assert "steps=150" in source and "for the same 150 steps" in prose
    assert "size=64" in source and "minibatches of 64 of 1000 training sequences" in prose
    assert "marked_sequences(data_rng, 1000), *marked_sequences(data_rng, 500)" in source
    assert "scored on 500 held-out ones, for three seeds" in prose
    assert "SEEDS, LOOKAHEADS = (0, 1, 2), (1, 3, 6)" in source
    assert "shortest=4, p_marker=0.12" in source and "with probability 0.12), between 4 and 16" \
        in prose
    counts = [int(n) for n in re.findall(r"^\s*[a-z -]+: (\d+) parameters$", printed, re.M)]
    assert len(counts) == 4 and max(counts) <= 1.05 * min(counts), "about the same size"


def comparison(printed):
    """{k: {column: (mean, lowest seed)}} from the printed table."""
    text = printed.split("(lowest seed in brackets)\n", 1)[1].split("\n\n", 1)[0]
    header, *rows = text.splitlines()
    columns = ["always 0", "one-directional", "stacked", "bidirectional", "stacked bidirectional"]
    assert [c for c in columns if c in header] == columns
    table = {}
    for row in rows:
        values = [float(v) for v in re.findall(r"\d\.\d{3}", row)]
        table[int(row.split()[0])] = {c: (values[2 * i], values[2 * i + 1])
                                      for i, c in enumerate(columns)}
    return table


def test_the_one_directional_nets_score_what_always_0_scores(printed):
    """'with one layer or two, score what always answering 0 scores, to within about a point,
    at every lookahead'; 'The bet gets worse as k grows'."""
    table = comparison(printed)
    assert sorted(table) == [1, 3, 6]
    for row in table.values():
        for model in ("one-directional", "stacked"):
            assert abs(row[model][0] - row["always 0"][0]) <= 0.012, row
    always = [table[k]["always 0"][0] for k in sorted(table)]
    assert always == sorted(always, reverse=True) and always[0] > always[-1]


def test_the_bidirectional_nets_label_nearly_every_step_in_every_seed(printed):
    for row in comparison(printed).values():
        for model in ("bidirectional", "stacked bidirectional"):
            mean, lowest = row[model]
            assert lowest >= 0.99, row
            assert lowest > max(row["one-directional"][0], row["stacked"][0]) + 0.1, row


def test_a_second_layer_changes_little(printed):
    for row in comparison(printed).values():
        assert abs(row["stacked"][0] - row["one-directional"][0]) <= 0.01, row
        assert abs(row["stacked bidirectional"][0] - row["bidirectional"][0]) <= 0.01, row


# ---- 4: the padded-reversal bug ---------------------------------------------------------------

def test_the_whole_axis_reversal_puts_the_padding_first(printed):
    rows = dict(re.findall(r"^\s*([a-z ()]+):  (.+)$", printed, re.MULTILINE))
    assert rows["the batch"] == "a b ! c d   c ! a · ·   d b · · ·"
    assert rows["reversed within lengths"] == "d c ! b a   a ! c · ·   b d · · ·"
    assert rows["whole axis reversed (bug)"] == "d c ! b a   · · a ! c   · · · b d"
    first = re.findall(r"reads first '(.)', with the bug '(.)'", printed)
    assert first == [("d", "d"), ("a", "·"), ("b", "·")]


def steps_read(printed):
    """{(example, t): (right, buggy)} as lists of (symbol, step)."""
    found, example = {}, None
    for line in printed.splitlines():
        if match := re.match(r"example (\d), length \d:$", line):
            example = int(match[1])
        elif match := re.match(r"\s+←a_(\d) has read (.+?)\s+with the bug (.+)$", line):
            found[example, int(match[1])] = tuple(
                [(s[0], int(s[1:])) for s in part.split()] for part in match.groups()[1:])
    return found


def test_reversed_within_lengths_the_backward_state_reads_steps_t_to_its_length(printed):
    found = steps_read(printed)
    lengths = {1: 5, 2: 3, 3: 2}
    assert sorted(found) == [(i, t) for i in lengths for t in range(1, lengths[i] + 1)]
    for (example, t), (right, _) in found.items():
        assert [step for _, step in right] == list(range(t, lengths[example] + 1))
        assert all(symbol != "·" for symbol, _ in right)


def test_with_the_bug_only_the_full_length_example_is_read_right(printed, prose):
    found = steps_read(printed)
    assert all(right == buggy for (example, _), (right, buggy) in found.items() if example == 1)
    # the second: ←a_3 read two padding steps before its own symbol, ←a_2 and ←a_1 the same
    assert found[2, 3][1] == [("a", 3), ("·", 4), ("·", 5)]
    assert found[2, 2][1] == found[2, 1][1] == found[2, 3][1]
    # the third: padding and nothing else
    assert all(symbol == "·" for t in (1, 2) for symbol, _ in found[3, t][1])
    gaps = [float(v) for v in re.findall(r"backward states at its real steps ([\d.]+)", printed)]
    assert gaps[0] == 0.0 and min(gaps[1:]) > 0.5, gaps
    assert "none for the first example (0.000), large ones for the other two" in prose


def test_the_bug_costs_more_than_ten_points_in_every_seed_yet_beats_one_direction(printed, prose):
    seeds = re.findall(r"seed \d: bidirectional ([\d.]+), with the bug ([\d.]+) \(([\d.]+) points "
                       r"lost\), one-directional ([\d.]+)", printed)
    assert len(seeds) == 3
    for right, buggy, lost, one in ((float(v) for v in s) for s in seeds):
        assert lost > 10 and abs(lost - 100 * (right - buggy)) < 0.06
        assert buggy > one
    assert "more than ten points in every seed, yet it still scores above the" in prose


def by_length(printed):
    text = printed.split("accuracy by sequence length, 3 seeds together\n", 1)[1]
    lines = text.split("\n\n", 1)[0].splitlines()
    lengths = [int(v) for v in lines[0].split()[1:]]
    rows = {lines[i].strip(): [float(v) for v in lines[i + 1].split()]
            for i in range(1, len(lines), 2)}
    return {name: dict(zip(lengths, values, strict=True)) for name, values in rows.items()}


def test_the_bug_costs_nothing_at_full_length_and_most_on_the_shorter_sequences(printed):
    table = by_length(printed)
    right, buggy, one = table["bidirectional"], table["with the bug"], table["one-directional"]
    assert list(right) == list(range(4, 17))
    assert buggy[16] >= right[16] - 0.01, "nearly as good as the right one at full length"
    rising = [buggy[n] for n in range(9, 17)]
    assert all(a < b for a, b in zip(rising, rising[1:], strict=False)), rising
    assert all(buggy[n] <= one[n] for n in range(4, 9)), "no better than one direction to T_x/2"
    assert all(buggy[n] < right[n] for n in range(4, 16))


# ---- 5: the widget's line ---------------------------------------------------------------------

def test_the_one_directional_net_never_answers_1(printed):
    match = re.search(r"P\(label 1\) from ([\d.]+) to ([\d.]+), answers 1 at (\d+) of them",
                      printed)
    assert float(match[2]) < 0.5 and int(match[3]) == 0
    example = re.search(r"P\(label 1\) at step \d+: one-directional ([\d.]+), bidirectional "
                        r"([\d.]+); the label is (\d)", printed)
    assert float(example[1]) < 0.5 and (float(example[2]) > 0.5) == (example[3] == "1")


def test_it_links_its_exercise_and_the_next_notebook(prose):
    assert "[Exercise 14](../exercises/ex14-bidirectional.ipynb)" in prose
    assert prose.endswith("**Next:** [Speech recognition without alignments: CTC]"
                          "(16-speech-recognition-with-ctc.ipynb).")
