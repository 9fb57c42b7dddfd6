"""Search errors against model errors (rnnlesson.search_errors): the score of an output is the
teacher-forced loss, summed, and the running sum beam search keeps; on tiny models, enumerating
every output confirms whom `blame_errors` blames; bad input is named; the notebook's table is
what the package computes."""

import itertools
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import rnnlesson as R
from rnnlesson.attention import attention_loss, decoder_step, encode, init_attention
from rnnlesson.beam import beam_search
from rnnlesson.cells import get_cell, sequence_forward
from rnnlesson.generate import symbol_step
from rnnlesson.search_errors import blame_errors, output_lengths, sequence_log_probability
from rnnlesson.sequence import output_forward

N_X, N_A, N_Y, M, T_X, T_Y = 4, 5, 3, 6, 5, 4
LENGTHS = np.array([5, 2, 4, 3, 1, 5])
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "14-attention-and-beam-search.ipynb"


def model(kind, cell="rnn", seed=0, scale=0.8):
    """A small random model, its weights spread out so that outputs differ in probability."""
    params = (init_attention(N_X, N_A, N_Y, seed=seed, cell=cell) if kind == "attention"
              else R.init_encoder_decoder(N_X, N_A, N_Y, seed=seed, cell=cell))
    rng = np.random.default_rng(seed + 3)
    return {part: {k: v + scale * rng.normal(size=v.shape) for k, v in p.items()}
            for part, p in params.items()}


def loss_function(kind):
    return attention_loss if kind == "attention" else R.encoder_decoder_loss


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_the_scores_add_up_to_minus_the_batch_loss_times_its_tokens(kind, cell, rng):
    """One example at a time, and the whole batch at once: the loss is the mean over tokens."""
    params = model(kind, cell)
    x, y = rng.integers(0, N_X, (M, T_X)), rng.integers(0, N_Y, (M, T_Y))
    y_in = np.concatenate([np.zeros((M, 1), int), y[:, :-1]], axis=1)
    log_p = sequence_log_probability(params, x, y, 0, LENGTHS, cell)
    loss = loss_function(kind)(params, x, y_in, y, LENGTHS, cell=cell)[0]
    assert log_p.shape == (M,) and np.all(log_p < 0)
    assert log_p.sum() == pytest.approx(-loss * M * T_Y, rel=1e-12)
    # with an end symbol (2) only the tokens up to the first end are scored
    kept = output_lengths(y, 2)
    cut = sequence_log_probability(params, x, y, 0, LENGTHS, cell, end=2)
    loss = loss_function(kind)(params, x, y_in, y, LENGTHS, kept, cell=cell)[0]
    assert cut.sum() == pytest.approx(-loss * kept.sum(), rel=1e-12)
    assert np.all(cut >= log_p - 1e-12) and np.any(kept < T_Y)


def beam_step_and_state(kind, params, x, lengths, cell, i):
    """Example i's beam-search step function and start state, built from the decoders'
    own steps (as `translate` builds them), not from the losses."""
    cell = get_cell(cell)
    if kind == "plain":
        _, _, last, _ = sequence_forward(x, None, params["encoder"], lengths, cell)
        state = cell.initial_state(last, N_A, len(x), dtype=np.float64)
        return symbol_step(cell, params["decoder"], N_Y), tuple(s[:, [i]] for s in state)
    h, keys, mask, state, _ = encode(params, x, lengths, cell)

    def step(ids, prefixes):
        columns = np.full(ids.size, i)
        decode = decoder_step(cell, params, h[:, columns], keys[:, columns], mask[columns],
                              N_Y, "additive")
        prefixes, _, _ = decode(ids, prefixes)
        return np.log(output_forward(prefixes[0], params["decoder"])), prefixes, None

    return step, tuple(s[:, [i]] for s in state)


@pytest.mark.parametrize("end", [None, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_the_score_is_the_sum_beam_search_keeps(kind, cell, end, rng):
    """The log-probability beam search adds up step by step for its winner equals the
    teacher-forced score of the winner."""
    params, x = model(kind, cell, seed=1), rng.integers(0, N_X, (M, T_X))
    for i in range(M):
        step, state = beam_step_and_state(kind, params, x, LENGTHS, cell, i)
        ids, _, kept_sum = beam_search(step, state, 0, T_Y, 2, end)
        scored = sequence_log_probability(params, x[[i]], ids[None], 0, LENGTHS[[i]], cell,
                                          end=end)
        assert scored[0] == pytest.approx(kept_sum, rel=1e-12, abs=1e-12)


def every_output(n, end):
    """Every output of n steps, cut after an end symbol and padded with it."""
    outputs = set()
    for seq in itertools.product(range(N_Y), repeat=n):
        cut = seq.index(end) + 1 if end is not None and end in seq else n
        outputs.add(seq[:cut] + (end,) * (n - cut))
    return np.array(sorted(outputs))


@pytest.mark.parametrize("end, alpha", [(None, 0.0), (2, 0.0), (2, 0.7)],
                         ids=["fixed-length", "end-symbol", "length-normalised"])
@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_brute_force_confirms_whom_blame_errors_blames(kind, end, alpha):
    """For each of m sources, score every output by enumeration: the best is what exhaustive
    beam search finds; where greedy decoding misses it, blaming greedy against the best output
    is a search error; against the least likely output, a model error; against random outputs,
    what the enumerated scores say."""
    m, n = 16, 4
    params = model(kind, seed=2)
    rng = np.random.default_rng(5)
    x = rng.integers(0, N_X, (m, T_X))
    outputs = every_output(n, end)
    lengths = output_lengths(outputs, end)
    table = np.stack([sequence_log_probability(params, np.repeat(x[[i]], len(outputs), axis=0),
                                               outputs, 0, cell="rnn", end=end)
                      for i in range(m)]) / lengths ** alpha  # (m, outputs)
    best, worst = outputs[table.argmax(axis=1)], outputs[table.argmin(axis=1)]
    greedy = R.translate(params, x, n, 0, beam_width=1, end=end, length_norm=alpha)
    exhaustive = R.translate(params, x, n, 0, beam_width=N_Y ** (n - 1), end=end,
                             length_norm=alpha)
    np.testing.assert_array_equal(exhaustive, best)

    search = blame_errors(params, x, best, greedy, 0, end=end, length_norm=alpha)
    missed = [i for i in range(m) if not np.array_equal(greedy[i], best[i])]
    assert list(search.errors) == missed and len(missed) >= 1, "greedy never missed: vacuous"
    assert np.all(search.search_to_blame) and search.share_search == 1.0

    assert len(blame_errors(params, x, best, exhaustive, 0, end=end,
                            length_norm=alpha).errors) == 0
    model_fault = blame_errors(params, x, worst, greedy, 0, end=end, length_norm=alpha)
    assert len(model_fault.errors) == m and model_fault.share_model == 1.0

    pick = rng.integers(0, len(outputs), m)
    mixed = blame_errors(params, x, outputs[pick], greedy, 0, end=end, length_norm=alpha)
    row = {tuple(o): k for k, o in enumerate(outputs)}
    expected = [table[i, pick[i]] > table[i, row[tuple(greedy[i])]] for i in mixed.errors]
    np.testing.assert_array_equal(mixed.search_to_blame, expected)
    np.testing.assert_allclose(mixed.log_p_right, table[mixed.errors, pick[mixed.errors]],
                               rtol=1e-12)
    assert mixed.share_search + mixed.share_model == pytest.approx(1.0)


def test_no_errors_no_blame(rng):
    params, x = model("attention"), rng.integers(0, N_X, (M, T_X))
    found = R.translate(params, x, T_Y, 0, lengths=LENGTHS)
    result = blame_errors(params, x, found, found, 0, LENGTHS)
    assert len(result.errors) == 0 and result.share_search == result.share_model == 0.0


@pytest.mark.parametrize("change, words", [
    (dict(y_found=np.zeros((M, T_Y + 1), int)), r"y_found: expected shape \(m, T_y\)"),
    (dict(y_right=np.full((M, T_Y), N_Y)), r"y_right: expected labels in \[0, n_y\) = \[0, 3\)"),
    (dict(y_right=np.zeros((M + 1, T_Y), int)), r"y_right: expected shape \(m, T_y\) = \(6, 4\)"),
    (dict(y_right=np.zeros((M, T_Y))), r"y_right: expected an int array of class labels"),
    (dict(start=N_Y), r"start: expected the start symbol's id"),
    (dict(end=N_Y), r"end: expected None or the end symbol's id"),
    (dict(length_norm=-1.0), r"length_norm: expected a number α >= 0"),
    (dict(x=[[0, 1]]), r"x: expected ids \(m, T_x\) or a float array"),
    (dict(params={"encoder": {}}), r"params"),
])
def test_bad_input_names_the_argument(change, words, rng):
    args = dict(params=model("attention"), x=rng.integers(0, N_X, (M, T_X)),
                y_right=np.zeros((M, T_Y), int), y_found=np.ones((M, T_Y), int), start=0)
    args.update(change)
    with pytest.raises(ValueError, match=words):
        blame_errors(**args)


def test_bad_input_to_the_score_names_the_argument(rng):
    params, x = model("plain"), rng.integers(0, N_X, (M, T_X))
    with pytest.raises(ValueError, match=r"y: expected shape \(m, T_y\) = \(6, 4\)"):
        sequence_log_probability(params, x, np.zeros((M - 1, T_Y), int), 0)
    with pytest.raises(ValueError, match=r"end: expected None or the end symbol's id"):
        sequence_log_probability(params, x, np.zeros((M, T_Y), int), 0, end=-1)


# The notebook's stored table is the package's verdicts, and the prose's reading of it holds.

def stored_text(cell_marker):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell_marker in cell.source:
            return "".join(out.get("text", "") for out in cell.outputs)
    raise AssertionError(f"no code cell holds {cell_marker!r}")


def notebook_text():
    """The notebook's printed text and its Markdown, whitespace folded."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for out in cell.outputs)
    prose = " ".join(" ".join(cell.source for cell in notebook.cells
                              if cell.cell_type == "markdown").split())
    return text, prose


def test_notebook_14s_blame_table_reads_as_the_prose_says():
    """'Most of greedy decoding's errors are the model's', 'Nearly all of greedy decoding's
    errors on the dates were the model's', the search errors 'are the ones the beam of 3 fixed
    in section 5, and the beam's own errors are the model's alone'."""
    text, prose = notebook_text()
    for claim in ("Most of greedy decoding's errors are the model's",
                  "Nearly all of greedy decoding's errors on the dates were the model's",
                  "they are the ones the beam of 3 fixed in section 5, and the beam's own errors "
                  "are the model's alone"):
        assert claim in prose, f"the prose changed: update this test ({claim!r})"
    rows = {name: (int(k), float(search), float(model)) for name, k, search, model in re.findall(
        r"^\s*(greedy|beam 3)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", text, re.MULTILINE)}
    assert set(rows) == {"greedy", "beam 3"}, rows
    errors, search, model = rows["greedy"]
    assert model >= 0.8 and search > 0 and search + model == pytest.approx(1.0, abs=1e-3), rows
    assert rows["beam 3"][1] == 0.0 and rows["beam 3"][0] < errors, rows
    blamed = set(re.findall(r"^\s*(.+?): right (\S+) \(log P [-\d.]+\), greedy \S+ "
                            r"\(log P [-\d.]+\): search to blame$", text, re.MULTILINE))
    fixed = set(re.findall(r"^\s*(.+?): greedy \S+ \(log P [-\d.]+\), beam (\S+) "
                           r"\(log P [-\d.]+\), true \2$", text, re.MULTILINE))
    n_fixed = int(re.search(r"beam fixes greedy on (\d+) dates", text).group(1))
    assert len(blamed) == round(search * errors) == n_fixed and blamed == fixed, (blamed, fixed)


def test_bad_lengths_are_named_for_the_whole_batch(rng):
    params, x = model("attention"), rng.integers(0, N_X, (M, T_X))
    with pytest.raises(ValueError, match=r"lengths: expected 6 integer lengths"):
        sequence_log_probability(params, x, np.zeros((M, T_Y), int), 0, lengths=LENGTHS[:3])
