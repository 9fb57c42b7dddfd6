"""A synthetic class with known catalogue mistakes, graded: mistakes.csv and the summary page
count exactly those mistakes, as the visible checks name them in-process."""
import csv
import importlib.util
import io
import shutil
from pathlib import Path

import nbformat
import pytest

from rnnlesson import checks
from rnnlesson.grading.grade import grade

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
STEM = "ex03-rnn-cell-forward"
TESTS = {"test-shapes": "check_rnn_cell_forward_shapes", "test-values": "check_rnn_cell_forward"}
# + 2 right; a_next transposed fails both tests (two rows of mistakes.csv), one mistake
CLASS = {"ex03/not-tanh": 3, "ex03/bias-missing": 2, "ex03/softmax-missing": 1,
         "ex03/transposed": 1}


def catalogue():
    spec = importlib.util.spec_from_file_location("ex03", REPO / "tests" / "catalogue" / "ex03.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def named_in_process(module, code):
    """What each test's visible check says of this answer, run here, without the grader."""
    namespace = {}
    exec(module.PRELUDE + code, namespace)
    found = {}
    for test, check in TESTS.items():
        try:
            getattr(checks, check)(namespace["rnn_cell_forward"])
        except checks.CheckFailure as failure:
            found[test] = failure.mistake
    return found


def test_mistakes_csv_and_summary_count_the_class(tmp_path):
    module = catalogue()
    entries = {e.get("mistake"): e for e in module.ANSWERS}
    right = next(e for e in module.ANSWERS if e.get("right"))
    exercise = nbformat.read(REPO / "exercises" / f"{STEM}.ipynb", 4)
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(REPO / "solutions" / f"{STEM}.ipynb", solutions)
    students = [(f"{mistake.split('/')[1]}-{i}", entries[mistake])
                for mistake, n in CLASS.items() for i in range(n)]
    students += [("right-0", right), ("right-1", right)]
    expected = set()
    for student, entry in students:
        nb = nbformat.from_dict(exercise)
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
        answer.source = entry["code"].strip()
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "class" / student / f"{STEM}.ipynb")
        for test, mistake in named_in_process(module, entry["code"]).items():
            expected.add((student, STEM, test, mistake))
    assert {m for *_, m in expected} == set(CLASS)  # the class makes exactly these mistakes
    assert {t for s, _, t, m in expected if m == "ex03/transposed"} == set(TESTS)

    out = tmp_path / "out"
    results = grade(tmp_path / "class", out, solutions=solutions, timeout=60)
    assert {r.student: r.status for r in results} == {
        s: ("ok" if s.startswith("right") else "failed") for s, _ in students}
    rows = list(csv.reader(io.StringIO((out / "mistakes.csv").read_text())))
    assert rows[0] == ["student", "exercise", "test", "mistake"]
    assert {tuple(r) for r in rows[1:]} == expected and len(rows) - 1 == len(expected)

    page = (out / "summary.html").read_text()
    assert f"{len(students)} students graded" in page
    for mistake, n in CLASS.items():
        share = round(100 * n / len(students))
        assert f"{mistake}: {n} of {len(students)} students ({share}%)" in page

    # the learner's feedback page: the check's message, no traceback and no frame of ours
    feedback = (out / "feedback" / "not-tanh-0" / f"{STEM}.html").read_text()
    assert "the RNN cell uses tanh" in feedback and "[mistake: ex03/not-tanh]" in feedback
    assert "Traceback" not in feedback and "rnnlesson/checks" not in feedback
