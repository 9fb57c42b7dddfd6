"""rnnlesson.grading.mistakes on synthetic notebooks and rows, and a real nbgrader autograde:
a test cell whose check fails with a tagged CheckFailure gets no points, a passing one all."""

import csv
import io
import re
import runpy
import shutil
from pathlib import Path

import nbformat
import pytest

from rnnlesson.grading.mistakes import (
    class_summary_html,
    counts_by_exercise,
    mistakes_in_notebook,
    write_mistakes_csv,
)

REPO = Path(__file__).resolve().parents[1]


def cell(source, grade, grade_id, *errors):
    c = nbformat.v4.new_code_cell(source)
    c.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "solution": False}
    c.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=tb)
                 for ename, evalue, tb in errors]
    return c


def test_mistakes_in_notebook_reads_test_cells_only():
    tag = "[mistake: ex05/tanh-derivative-not-squared]"
    nb = nbformat.v4.new_notebook(cells=[
        cell("x = 1", False, "cell-00", ("CheckFailure", "msg\n[mistake: ex05/ignored]", [])),
        cell("checks.a(f)", True, "test-shapes"),
        cell("checks.b(f)", True, "test-gradients",
             ("CheckFailure", f"dz should be ...\n{tag}", ["dz should be ...", tag])),
        cell("assert False", True, "test-hidden", ("AssertionError", "", ["\x1b[31mboom"])),
        cell("checks.c(f)", True, "test-both",
             ("CheckFailure", "[mistake: ex06/no-carry]",
              ["\x1b[0;31m[mistake: ex06/no-carry]\x1b[0m", "[mistake: ex06/da0-zero]"])),
    ])
    nb.cells.append(nbformat.v4.new_markdown_cell("[mistake: ex01/in-markdown]"))
    assert mistakes_in_notebook(nb) == [
        ("test-gradients", "ex05/tanh-derivative-not-squared"),
        ("test-both", "ex06/no-carry"), ("test-both", "ex06/da0-zero")]


ROWS = [
    ("bob", "ex05", "test-gradients", "ex05/tanh-derivative-not-squared"),
    ("ann", "ex05", "test-gradients", "ex05/tanh-derivative-not-squared"),
    ("ann", "ex05", "test-shapes", "ex05/tanh-derivative-not-squared"),  # ann counts once
    ("cem", "ex05", "test-gradients", "ex05/dba-mean"),
    ("ann", "ex03", "test-values", "ex03/not-tanh"),
    ("bob", "ex05", "test-gradients", "ex05/tanh-derivative-not-squared"),  # repeated
]


def test_write_mistakes_csv_sorted_once_each(tmp_path):
    path = tmp_path / "out" / "mistakes.csv"
    write_mistakes_csv(path, ROWS)
    text = path.read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student", "exercise", "test", "mistake"]
    assert rows[1:] == [list(r) for r in sorted(set(ROWS))] and len(rows) == 6
    assert [p.name for p in path.parent.iterdir()] == ["mistakes.csv"]  # no temporary left
    write_mistakes_csv(path, [])
    assert path.read_text() == "student,exercise,test,mistake\n"


def test_counts_are_students_not_rows():
    counts = counts_by_exercise(ROWS)
    assert counts["ex05"] == {"ex05/tanh-derivative-not-squared": 2, "ex05/dba-mean": 1}
    assert counts["ex03"] == {"ex03/not-tanh": 1}


def test_class_summary_page():
    page = class_summary_html(ROWS, {"ex05": ["ann", "bob", "cem", "dan"], "ex03": 5,
                                     "ex04": 3}).decode()
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert not re.search(r"(src|href)=|https?://|@import", page)  # nothing from another host
    ex05 = page[page.index("<h2>ex05</h2>"):]
    assert "4 students graded" in ex05
    # most common first, with the share of the students graded for the exercise
    assert ex05.index("tanh-derivative-not-squared") < ex05.index("dba-mean")
    assert "ex05/tanh-derivative-not-squared: 2 of 4 students (50%)" in ex05
    assert "<td><code>ex05/dba-mean</code></td><td>1</td><td>25%</td>" in ex05
    assert 'role="img"' in ex05 and 'aria-labelledby="chart-ex05"' in ex05
    assert "ex03/not-tanh: 1 of 5 students (20%)" in page
    ex04 = page[page.index("<h2>ex04</h2>"):page.index("<h2>ex05</h2>")]
    assert "No mistake named" in ex04 and "<svg" not in ex04
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', ex05)]
    assert widths == [130.0, 65.0]  # 50% and 25% of the 260-pixel bar
    assert class_summary_html(ROWS, {"ex05": 4, "ex03": 5}) == \
        class_summary_html(list(reversed(ROWS)), {"ex03": 5, "ex05": 4})


# --- a real nbgrader run --------------------------------------------------------------------

SIGMOID = ("    z = params[\"Waa\"] @ a_prev + params[\"Wax\"] @ xt + params[\"ba\"]\n"
           "    a_next = 1 / (1 + np.exp(-z))\n"
           "    yt_pred = softmax(params[\"Wya\"] @ a_next + params[\"by\"])\n"
           "    cache = (a_next, a_prev, xt, params)")


def autograde_one(tmp_path, stem, answer):
    """Release solutions/{stem}.ipynb alone, submit answer(released notebook) as student sam,
    autograde it with nbgrader; ({grade id: (score, max score)}, the autograded notebook)."""
    from nbgrader.api import Gradebook

    from rnnlesson.grading.course import build_course, make_api, nbgrader_env

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(REPO / "solutions" / f"{stem}.ipynb", solutions)
    root = tmp_path / "course"
    released = build_course([solutions / f"{stem}.ipynb"], root)
    submitted = root / "submitted" / "sam" / stem / f"{stem}.ipynb"
    submitted.parent.mkdir(parents=True)
    nbformat.write(answer(nbformat.read(released[stem], 4)), submitted)
    with nbgrader_env():
        result = make_api(root).autograde(stem, "sam", force=True, create=True)
    assert result["success"], result.get("log", "") + result.get("error", "")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(stem, stem, "sam")
        scores = {g.name: (g.score, g.max_score) for g in notebook.grades}
    return scores, nbformat.read(root / "autograded" / "sam" / stem / f"{stem}.ipynb", 4)


@pytest.mark.slow
def test_nbgrader_gives_a_tagged_failure_no_points_and_a_pass_full_points(tmp_path):
    from rnnlesson.grading.synthetic import fill_stubs

    scores, graded = autograde_one(tmp_path, "ex03-rnn-cell-forward",
                                   lambda released: fill_stubs(released, [SIGMOID]))
    assert scores == {"test-shapes": (1, 1), "test-values": (0, 3)}
    assert mistakes_in_notebook(graded) == [("test-values", "ex03/not-tanh")]
    error = next(o for c in graded.cells if c.cell_type == "code" for o in c.outputs
                 if o.output_type == "error")
    assert error.ename == "CheckFailure" and error.traceback == error.evalue.splitlines()


def catalogue(exercise):
    return runpy.run_path(str(REPO / "tests" / "catalogue" / f"{exercise}.py"))


EX06 = catalogue("ex06")


@pytest.mark.slow
@pytest.mark.parametrize("backward, checker, scores, named", [
    (EX06["bptt"](upstream="da[:, :, t]"), EX06["CHECKER"],
     {"test-rnn-backward": (0, 3), "test-your-gradient-check": (2, 2)},
     [("test-rnn-backward", "ex06/no-carry")]),
    (EX06["bptt"](), EX06["checker"]("errors[key] = rel_error(grads[key], numeric)",
                                     "errors[key] = float(np.max(np.abs(grads[key] - numeric)))"),
     {"test-rnn-backward": (3, 3), "test-your-gradient-check": (0, 2)},
     [("test-your-gradient-check", "ex06/absolute-difference")]),
], ids=["wrong rnn_backward, right checker", "right rnn_backward, wrong checker"])
def test_exercise_6_grades_the_checker_apart_from_rnn_backward(tmp_path, backward, checker,
                                                                scores, named):
    """One graded cell, one skill: the checker's points do not depend on rnn_backward."""

    def answer(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = (backward if "def rnn_backward(" in cell.source
                               else checker).strip()
        return nb

    graded_scores, graded = autograde_one(tmp_path, "ex06-rnn-backward", answer)
    assert graded_scores == scores
    assert mistakes_in_notebook(graded) == named
