"""Exercises are generated from solutions: markers -> nbgrader metadata -> generate_assignment."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from rnnlesson.checks import mistake_ids
from rnnlesson.cli import main
from rnnlesson.grading.course import build_course, exercise_bytes
from rnnlesson.grading.markers import MarkerError, stamp
from rnnlesson.grading.release import check, generate_exercises, release

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "grading" / "solutions"
TOY = FIXTURES / "ex00-toy.ipynb"
NOTEBOOKS = sorted((REPO / "solutions").glob("*.ipynb")) + sorted(FIXTURES.glob("*.ipynb"))
BIN = os.path.dirname(sys.executable)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def checksums(*folders):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_exercises_in_sync_with_solutions():
    report = check(REPO / "solutions", REPO / "exercises")
    assert report.in_sync, report.describe(Path("exercises"))


def test_release_is_byte_for_byte_repeatable(tmp_path):
    first = generate_exercises(FIXTURES)
    second = generate_exercises(FIXTURES)
    assert first == second and list(first) == ["ex00-toy.ipynb"]
    assert b"raise NotImplementedError()" in first["ex00-toy.ipynb"]


def test_release_writes_reports_and_never_touches_solutions(tmp_path):
    before = checksums(REPO / "solutions", FIXTURES)
    out = tmp_path / "exercises"
    out.mkdir()
    (out / "ex99-gone.ipynb").write_text("{}")
    report = release(FIXTURES, out)
    assert (report.missing, report.extra) == (["ex00-toy.ipynb"], ["ex99-gone.ipynb"])
    assert sorted(p.name for p in out.iterdir()) == ["ex00-toy.ipynb"]
    assert check(FIXTURES, out).in_sync
    (out / "ex00-toy.ipynb").write_bytes((out / "ex00-toy.ipynb").read_bytes() + b" ")
    (out / "ex98-extra.ipynb").write_text("{}")
    stale = check(FIXTURES, out)
    assert (stale.stale, stale.missing, stale.extra) == (["ex00-toy.ipynb"], [],
                                                          ["ex98-extra.ipynb"])
    message = stale.describe(Path("exercises"))
    assert "exercises/ex00-toy.ipynb" in message and "rnnlesson release" in message
    assert checksums(REPO / "solutions", FIXTURES) == before


def test_release_cli_check_exit_codes(tmp_path, capsys):
    out = tmp_path / "ex"
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out),
                 "--check"]) == 1
    assert "rnnlesson release" in capsys.readouterr().out
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out)]) == 0
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out),
                 "--check"]) == 0


def test_exercise_content_stubs_hidden_tests_outputs(tmp_path):
    nb = nbformat.reads(generate_exercises(FIXTURES)["ex00-toy.ipynb"].decode(), 4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN" not in text and "HIDDEN" not in text
    assert "double(-4)" not in text and "return SCALE * x" not in text
    assert text.count("raise NotImplementedError()") == 2
    assert all(c.outputs == [] and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")
    assert all("nbgrader" in c.metadata for c in nb.cells)


# ---- markers -> metadata -------------------------------------------------------------

def test_markers_become_nbgrader_metadata():
    nb = nbformat.read(TOY, 4)
    original = nbformat.writes(nb)
    meta = [c.metadata["nbgrader"] for c in stamp(nb, "ex00-toy.ipynb").cells]
    base = {"grade": False, "solution": False, "locked": True, "schema_version": 3,
            "task": False}
    expected = [
        dict(base, grade_id="cell-00"),
        dict(base, grade_id="cell-01"),
        dict(base, grade_id="cell-02"),
        dict(base, grade_id="answer-03", solution=True, locked=False),
        dict(base, grade_id="test-double-a-number", grade=True, points=1),
        dict(base, grade_id="test-double-zero-and-negatives", grade=True, points=2),
        dict(base, grade_id="cell-06"),
        dict(base, grade_id="answer-07", solution=True, locked=False),
        dict(base, grade_id="test-countdown", grade=True, points=2),
        dict(base, grade_id="cell-09"),
    ]
    assert meta == expected
    assert nbformat.writes(nb) == original  # the source is never changed


def _nb(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.mark.parametrize("sources, problem, got", [
    (["x = 1\n### BEGIN SOLUTION\ny = 2"], "without a matching", "### BEGIN SOLUTION"),
    (["y = 2\n### END SOLUTION"], "without a '### BEGIN SOLUTION'", "### END SOLUTION"),
    (["### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"], "a second",
     "line 2"),
    (["# TEST: shapes\nassert True"], "gives no points", "# TEST: shapes"),
    (["# TEST: shapes (one point)\nassert True"], "not a number", "(one point)"),
    (["# TEST: shapes (0 points)\nassert True"], "not a positive number", "(0 points)"),
    (["# TEST: shapes (-2 points)\nassert True"], "not a positive number", "(-2 points)"),
    (["# TEST: shapes (2)\nassert True"], "not written as '<N> points'", "(2)"),
    (["# TEST: shapes (1 point)\nassert 1", "# TEST: Shapes (2 points)\nassert 2"],
     "duplicate test name", "Shapes"),
    (["# TEST: t (1 point)\n### BEGIN HIDDEN TESTS\nassert 1"], "without a matching",
     "### BEGIN HIDDEN TESTS"),
    (["x = 1\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS"], "hidden tests outside",
     "x = 1"),
    (["# TEST: t (1 point)\n### BEGIN SOLUTION\n### END SOLUTION"], "holds a solution",
     "# TEST: t (1 point)"),
])
def test_malformed_markers_raise_clear_errors(sources, problem, got):
    with pytest.raises(MarkerError) as info:
        stamp(_nb(*sources), "ex42-broken.ipynb")
    message = str(info.value)
    cell = 2 if "duplicate" in problem else 1
    assert message.startswith(f"ex42-broken.ipynb, cell {cell} ")
    assert problem in message and "expected" in message and got in message


def test_release_cli_reports_marker_error(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(_nb("# TEST: shapes\nassert True"), solutions / "ex01-bad.ipynb")
    code = main(["release", "--solutions", str(solutions), "--exercises",
                 str(tmp_path / "ex")])
    err = capsys.readouterr().err
    assert code == 2 and "ex01-bad.ipynb, cell 1" in err and "gives no points" in err
    assert not (tmp_path / "ex").exists()


# ---- nbgrader validate, and running the handed-out exercise ----------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    released = build_course(NOTEBOOKS, root)
    return root, released


def _validate(path, *flags):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"])
    run = subprocess.run(["nbgrader", "validate", *flags, str(path)], env=env,
                         cwd=path.parent, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbgrader_validate_passes_on_stamped_solution(course, notebook):
    root, _ = course
    out = _validate(root / "source" / notebook.stem / notebook.name)
    assert "Success! Your notebook passes all the tests." in out, out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbgrader_validate_invert_passes_on_exercise(course, notebook, tmp_path):
    _, released = course
    exercise = tmp_path / notebook.name
    exercise.write_bytes(exercise_bytes(released[notebook.stem]))
    out = _validate(exercise, "--invert")
    assert "Success! The notebook does not pass any tests." in out, out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercise_runs_up_to_its_first_stub(course, notebook, tmp_path, monkeypatch):
    _, released = course
    shutil.copy(released[notebook.stem], tmp_path / notebook.name)
    nb = nbformat.read(tmp_path / notebook.name, 4)
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ["PATH"])
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    failing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and any(o.output_type == "error" for o in c.outputs)]
    assert len(failing) == 1, "execution should stop at the first error"
    error = [o for o in nb.cells[failing[0]].outputs if o.output_type == "error"][0]
    ran = [c for c in nb.cells[:failing[0]] if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in ran), "a cell before it did not run"
    assert not any(o.output_type == "error" for c in ran for o in c.outputs)
    if error.ename == "CheckFailure":
        # A check called the stub: its one message (no traceback) names the stub's line.
        assert error.traceback == error.evalue.splitlines()
        assert mistake_ids(error.evalue) == [f"{notebook.stem[:4]}/not-written"], error.evalue
        line = int(re.search(r"NotImplementedError at line (\d+) of your code", error.evalue)[1])
        stubs = [c for c in ran if c.metadata["nbgrader"]["solution"]
                 and c.source.splitlines()[line - 1:line] == ["    raise NotImplementedError()"]]
        assert stubs, error.evalue
        return
    # The first exception raised is the root of the chain (a test helper may re-raise it
    # as a friendlier AssertionError "from" it); it must be the NotImplementedError of a
    # stub: the innermost frame ("Cell In[N], line L") of the root is a stub cell.
    text = ANSI.sub("", "\n".join(error.traceback))
    root = re.split(r"The above exception was the direct cause|During handling of the above",
                    text)[0]
    assert re.search(r"^NotImplementedError\b", root, re.M), text[-2000:]
    frames = re.findall(r"Cell In\[(\d+)\]", root)
    raised_in = [c for c in nb.cells if c.cell_type == "code"
                 and c.execution_count == int(frames[-1])]
    assert len(raised_in) == 1 and raised_in[0].metadata["nbgrader"]["solution"], text[-2000:]
    assert "raise NotImplementedError()" in raised_in[0].source


def _answered(path: Path, code="    return 2 * x", added=None):
    """The exercise at path with the learner's answer typed into its first stub (and a cell
    of their own added), saved as JupyterLab saves it (outputs, another Python's version)."""
    nb = nbformat.read(path, 4)
    cell = next(c for c in nb.cells if "raise NotImplementedError()" in c.source)
    cell.source = cell.source.replace("    # YOUR CODE HERE\n    raise NotImplementedError()",
                                      code)
    cell.outputs = []
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.2"}
    if added:
        nb.cells.append(nbformat.v4.new_code_cell(added))
    nbformat.write(nb, path)
    return path.read_bytes()


def test_release_never_overwrites_a_learners_answers(tmp_path, capsys):
    """An exercise answered in exercises/ (outside the course's lab) is left as it is, with the
    commands that move it to work/; --discard-answers is the explicit choice to overwrite."""
    out = tmp_path / "exercises"
    release(FIXTURES, out)
    path = out / "ex00-toy.ipynb"
    mine = _answered(path, added="print('my own note')")
    report = check(FIXTURES, out)
    assert not report.in_sync and report.stale == []
    assert report.answered == {"ex00-toy.ipynb": ["cell 4, your answer", "cell 11, added"]}
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out)]) == 1
    err = capsys.readouterr().err
    assert path.read_bytes() == mine
    assert f"mkdir -p {tmp_path / 'work' / 'exercises'}" in err
    assert f"mv {path} {tmp_path / 'work' / 'exercises' / 'ex00-toy.ipynb'}" in err
    assert "--discard-answers" in err
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out),
                 "--discard-answers"]) == 0
    assert path.read_bytes() == generate_exercises(FIXTURES)["ex00-toy.ipynb"]


def test_outputs_and_metadata_alone_are_no_learners_work(tmp_path):
    out = tmp_path / "exercises"
    release(FIXTURES, out)
    path = out / "ex00-toy.ipynb"
    nb = nbformat.read(path, 4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.0"}
    nb.cells[0].metadata["collapsed"] = True
    nbformat.write(nb, path)
    report = release(FIXTURES, out)
    assert report.stale == ["ex00-toy.ipynb"] and report.answered == {}
    assert path.read_bytes() == generate_exercises(FIXTURES)["ex00-toy.ipynb"]


def test_answers_kept_in_work_leave_the_exercises_in_sync(tmp_path):
    """What the course's lab does with an answer (rnnlesson.labserver): the copy in work/ holds
    it, exercises/ stays as released, `rnnlesson release --check` is green and release leaves
    work/ alone."""
    out = tmp_path / "exercises"
    release(FIXTURES, out)
    work = tmp_path / "work" / "exercises"
    work.mkdir(parents=True)
    shutil.copy(out / "ex00-toy.ipynb", work)
    mine = _answered(work / "ex00-toy.ipynb")
    assert check(FIXTURES, out).in_sync
    assert main(["release", "--solutions", str(FIXTURES), "--exercises", str(out)]) == 0
    assert (work / "ex00-toy.ipynb").read_bytes() == mine


def test_release_writes_an_nbgrader_course_source(tmp_path):
    """The guide's nbgrader route: `rnnlesson release --nbgrader-course DIR` writes the
    stamped solutions where nbgrader looks for them."""
    assert main(["release", "--solutions", str(FIXTURES), "--nbgrader-course",
                 str(tmp_path / "course")]) == 0
    source = tmp_path / "course" / "source" / "ex00-toy" / "ex00-toy.ipynb"
    nb = nbformat.read(source, 4)
    assert all("nbgrader" in c.metadata for c in nb.cells)
    assert any(c.metadata["nbgrader"]["grade"] for c in nb.cells)
