"""What notebook 16's prose says of its stored outputs: one phone sequence takes fewer frames the
faster it is said; the collapse B; the lattice of 'a a b' and the alignment drawn on it; the α
table sums the same as the package and as brute force over every alignment; a long product
underflows where its log does not; the gradient is y minus the share of the alignments; the
recogniser's phone error rates, greedy and beam, by speaking rate and against the same network
trained on frame labels; and where the network emitted the phones."""

import re
from pathlib import Path

import pytest
import stored_text

from rnnlesson.speech import SEGMENT_FRAMES

NOTEBOOK = (Path(__file__).resolve().parents[1] / "notebooks"
            / "16-speech-recognition-with-ctc.ipynb")
notebook, printed, prose, source = stored_text.fixtures(NOTEBOOK)


@pytest.fixture(scope="module")
def alts(notebook):
    return [o.get("metadata", {}).get("image/png", {}).get("alt", "")
            for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"nothing printed matches {pattern!r}"
    return float(match[1])


# ---- 1: what the recogniser is told ---------------------------------------------------------

def test_one_phone_sequence_takes_fewer_frames_the_faster_it_is_said(printed, prose):
    lines = re.findall(r"speed\s+([\d.]+): (\d+) frames, label ([a-z ]+); boundaries", printed)
    assert [float(s) for s, _, _ in lines] == [0.75, 1.0, 1.5]
    assert len({label for _, _, label in lines}) == 1, "the same label each time"
    frames = [int(n) for _, n, _ in lines]
    assert frames[0] > frames[1] > frames[2]
    assert "The label is the same five phones each time; the frames are not" in prose
    assert len(lines[0][2].split()) == 5
    assert SEGMENT_FRAMES == (4, 12) and "each segment lasting 4 to 12 frames" in prose
    assert "a third longer at 0.75 and a third shorter at 1.5" in prose


def test_the_speaking_rates_are_the_codes(source, prose):
    assert "SPEEDS = (0.75, 1.0, 1.5)" in source
    assert "the speaking rates 0.75, 1.0 and 1.5" in prose


# ---- 2: the collapse, the lattice, α, log space --------------------------------------------

def test_the_collapse_merges_repeats_then_drops_blanks(printed, prose):
    collapsed = dict(re.findall(r"^B\(([-ab ]+)\) = ([-ab ]+)$", printed, re.MULTILINE))
    assert collapsed["a a - a b b"] == "a a b"
    assert collapsed["a a a b b -"] == "a b"
    assert all("-" not in out for out in collapsed.values())
    assert '"a a - a b b" becomes "a a b"' in prose or "`a a - a b b` becomes `a a b`" in prose


def test_the_lattice_of_a_a_b_and_the_alignment_drawn(printed, source, alts):
    assert "l' = - a - a - b -: 7 positions; skip allowed into s = [5]" in printed
    reached = re.search(r"positions on some alignment: (\d+) of (\d+); alignments of 'a a b' in "
                        r"6 frames: (\d+) of 729", printed)
    assert reached and int(reached[2]) == 42
    assert f"({reached[1]} of 42)" in alts[1]
    # a a - a b b: positions 1, 1, 2, 3, 5, 5 are stay, next, next, skip, stay
    assert "shown_path = [1, 1, 2, 3, 5, 5]" in source
    moves = [b - a for a, b in zip([1, 1, 2, 3, 5], [1, 2, 3, 5, 5], strict=True)]
    assert moves == [0, 1, 1, 2, 0]
    assert int(reached[3]) == int(number(r"brute force, (\d+) of 729", printed))


def alpha_table(printed):
    text = printed.split("alpha_t(s)", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^s = (\d) \(.\)\s+(.+)$", text, re.MULTILINE)
    return {int(s): [float(v) for v in values.split()] for s, values in rows}


def test_alpha_is_zero_exactly_where_no_path_from_the_start_arrives(printed, prose):
    table = alpha_table(printed)
    assert sorted(table) == list(range(7)) and all(len(v) == 6 for v in table.values())
    # l' = - a - a - b -: stay, next, or skip into s = 5 only (a to b; a to a needs the blank)
    reached = {(0, 0), (0, 1)}
    for t in range(1, 6):
        reached |= {(t, s) for s in range(7) for back in (0, 1, 2)
                    if (t - 1, s - back) in reached and (back < 2 or s == 5)}
    for s, row in table.items():
        for t, value in enumerate(row):
            assert (value == 0) == ((t, s) not in reached), (s, t, value)
            assert value == 0 or s <= 2 * t + 1, "a frame moves at most two positions down"
    assert table[0][5] > 0, "the top right is reached, though it cannot end in time"
    assert "The pale circles at the top right have $\\alpha > 0$" in prose
    assert "touched $7 \\times 6 = 42$ numbers" in prose


def test_p_read_off_alpha_is_the_packages_and_the_brute_forces(printed, prose):
    table = alpha_table(printed)
    line = re.search(r"alpha_5\(6\) \+ alpha_5\(5\) = ([\d.]+) \+ ([\d.]+) = ([\d.]+)", printed)
    assert float(line[1]) == table[6][5] and float(line[2]) == table[5][5]
    assert abs(float(line[1]) + float(line[2]) - float(line[3])) < 2e-5
    assert number(r"ctc_log_likelihood:\s+([\d.]+)", printed) == float(line[3])
    assert number(r"collapse to 'a a b':\s+([\d.]+)", printed) == float(line[3])
    assert "the three agree to 1e-12: True and True" in printed
    assert "The three results agree" in prose


def test_a_long_product_underflows_and_its_log_does_not(printed, prose):
    assert re.search(r"one alignment of 500 frames: product of its y_t\(π_t\) = 0\.0, sum of "
                     r"their logs = -\d+\.\d", printed)
    tiny = number(r"smallest normal float64: ([\d.e+-]+)", printed)
    assert 1e-309 < tiny < 1e-307 and "about $10^{-308}$" in prose
    log_p = number(r"log p\(l \| x\) for 100 labels in 500 frames: (-[\d.]+) nats", printed)
    assert log_p < -745 and "p itself in float64: 0.0" in printed
    assert "The product is 0.0, while its logarithm is an ordinary number" in prose


# ---- 3: the gradient --------------------------------------------------------------------------

def gradient_table(printed):
    rows = re.findall(r"^t = (\d)\s+(.+)$", printed, re.MULTILINE)
    return {int(t): [float(v) for v in values.split()] for t, values in rows}


def test_the_gradient_is_y_minus_the_share(printed, prose):
    table = gradient_table(printed)
    assert sorted(table) == list(range(6))
    for y_a, y_b, y_c, s_a, s_b, s_c, g_a, g_b, g_c in table.values():
        for y, share, grad in ((y_a, s_a, g_a), (y_b, s_b, g_b), (y_c, s_c, g_c)):
            assert abs(y - share - grad) <= 0.0015
        assert abs(s_a + s_b + s_c - 1) <= 0.0015
    assert table[0][5] == 0.0 and table[0][8] == table[0][2], "no alignment starts with b"
    assert table[5][5] > 0.5, "most alignments end on b or the blank after it"
    assert "the share of `b` is 0 and the gradient of $z_0(b)$ is just $y_0(b)$" in prose
    assert "the shares sum to 1 at every frame: True" in printed
    assert number(r"largest \|ctc_loss's gradient - \(y - share\)\|: ([\d.e+-]+)", printed) < 1e-12
    assert number(r"centred differences: worst relative error ([\d.e+-]+)", printed) < 1e-6


# ---- 4: the recogniser -----------------------------------------------------------------------

def test_the_setup_the_prose_describes_is_the_codes(source, printed, prose):
    assert "ctc_dataset(300, rng, SPEEDS), ctc_dataset(150, rng, SPEEDS)" in source
    assert "We make 300 utterances to train on and 150 held-out ones" in prose
    counts = re.findall(r"for (\d) to (\d) phones", printed)
    assert set(counts) == {("3", "6")} and "utterances of 3 to 6 random phones" in prose
    assert "init_deep(x.shape[0], 16, N_Y, n_layers=1, bidirectional=True, seed=0)" in source
    assert "16 units per direction" in prose
    assert "STEPS = 400" in source and "size=32" in source
    assert "Adam for 400 steps on random minibatches of 32 of the 300 training" in prose
    assert "beam_width=8" in source and "**Prefix beam search** (width 8)" in prose
    assert "below 1e-6 True" in printed


def test_the_loss_falls(printed):
    losses = [float(v) for v in re.findall(r"steps \d+-\d+: ([\d.]+)", printed)]
    assert len(losses) == 4 and losses == sorted(losses, reverse=True) and losses[-1] < 0.5


def rates(printed):
    line = re.search(r"\((\d+) phones\): greedy ([\d.]+), prefix beam search ([\d.]+)", printed)
    return int(line[1]), float(line[2]), float(line[3])


def test_greedy_gets_about_96_percent_and_beam_changes_almost_nothing(printed, prose):
    _, greedy, beam = rates(printed)
    assert "(a phone error rate of 0.039)" in prose and greedy == 0.039
    assert "about 96% of the held-out phones right" in prose and round(100 * (1 - greedy)) == 96
    exact = re.search(r"exactly right: greedy (\d+), beam (\d+); the two decodings differ on "
                      r"(\d+)", printed)
    assert int(exact[1]) > 75, "most of the 150 utterances exactly right"
    assert abs(beam - greedy) <= 0.01 and int(exact[3]) <= 5
    assert "Prefix beam search changes almost nothing" in prose
    assert "agreed on almost every held-out utterance here" in prose


def test_the_fast_utterances_have_the_highest_error_rate(printed, prose):
    by_speed = {float(s): (float(g), float(b)) for s, g, b in re.findall(
        r"^speed\s+([\d.]+): greedy ([\d.]+), beam ([\d.]+)", printed, re.MULTILINE)}
    assert sorted(by_speed) == [0.75, 1.0, 1.5]
    for decoding in (0, 1):
        assert max(by_speed, key=lambda s: by_speed[s][decoding]) == 1.5
    assert "the fast utterances (1.5) have the highest error rate" in prose
    assert SEGMENT_FRAMES[0] / 1.5 < 3 and "shortest segments last under three frames" in prose


def test_the_frame_labelled_network_does_no_better(printed, prose):
    framed = number(r"trained on frame labels: [\d.]+% of held-out frames right, phone error rate"
                    r" ([\d.]+)", printed)
    ctc = number(r"phone sequences only: phone error rate ([\d.]+)", printed)
    assert ctc == rates(printed)[1] and ctc <= framed
    assert f"a phone error rate of {framed:.3f}, against {ctc:.3f} for CTC" in prose
    assert "the same network does no better here" in prose


# ---- 5: where the network emitted the phones -----------------------------------------------

def test_the_network_is_sure_and_mostly_on_the_true_phone(printed, prose):
    sure = number(r"likeliest symbol has a probability above 0\.9: (\d+)%", printed)
    assert sure >= 90 and f"At most held-out frames ({sure:.0f}%)" in prose
    blank = number(r"likeliest symbol is the blank: (\d+)%", printed)
    assert 20 <= blank <= 30 and f"about a quarter of them ({blank:.0f}%)" in prose
    assert blank < 50, "most frames carry a phone"
    agree = number(r"of the others, ([\d.]+)% are the frame's true phone", printed)
    assert 85 <= agree <= 95 and "about nine times in ten" in prose


def test_nearly_every_phone_is_emitted_in_or_next_to_its_segment(printed, prose):
    line = re.search(r"(\d+) phones emitted in the (\d+) utterances decoded exactly right: "
                     r"(\d+) \((\d+)%\) inside their true segment, (\d+) \((\d+)%\) inside it or "
                     r"one frame from it", printed)
    emitted, utterances, inside, near = (int(line[i]) for i in (1, 2, 3, 5))
    assert utterances == int(re.search(r"exactly right: greedy (\d+)", printed)[1])
    assert inside <= near <= emitted and near / emitted >= 0.95 and inside / emitted >= 0.85
    assert "nearly every phone is emitted inside its own segment or one frame from it" in prose


def test_the_figure_of_the_held_out_utterance_says_what_it_draws(alts, printed):
    assert len(alts) == 3
    assert "sil a u i sil said at speaking rates 0.75, 1.0 and 1.5" in alts[0]
    first = re.search(r"true (.+?)\s+greedy (.+?)\s+\(speed ([\d.]+)\)", printed)
    assert f"true phones {first[1]}, decoded {first[2]}" in alts[2]
    assert f"speed {first[3]}" in alts[2]


def test_it_links_its_exercise_and_the_next_notebook(prose, notebook):
    assert notebook.cells[0].source.startswith("# Speech recognition without alignments: CTC\n")
    assert ("[Exercise 15](../exercises/ex15-ctc-forward.ipynb): the forward recursion α of "
            "CTC.") in prose
    assert prose.endswith("**Next:** [Where next: the same cells in other codebases]"
                          "(17-where-next.ipynb).")
    questions = re.findall(r"^(\d)\. ", notebook.cells[-1].source, re.MULTILINE)
    assert 5 <= len(questions) <= 7
