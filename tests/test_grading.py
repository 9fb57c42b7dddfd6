"""``rnnlesson grade`` end to end on a synthetic class with every kind of fault."""
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlesson.cli import main
from rnnlesson.grading.release import release
from rnnlesson.grading.results import STATUSES
from rnnlesson.grading.submissions import unpack
from rnnlesson.grading.synthetic import fill_stubs, solution_bodies

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "tests" / "fixtures" / "grading" / "solutions" / "ex00-toy.ipynb"
DOUBLE, COUNTDOWN = solution_bodies(nbformat.read(TOY, 4))
HEADER = "student,exercise,score,max_score,status"


def checksums(*folders):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "rnnlesson.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def course(tmp: Path, stems=("ex00-toy", "ex01-again")):
    """A solutions folder (copies of the fixture under each stem) and its exercises."""
    solutions, exercises = tmp / "solutions", tmp / "exercises"
    solutions.mkdir()
    for stem in stems:
        shutil.copy(TOY, solutions / f"{stem}.ipynb")
    release(solutions, exercises)
    return solutions, exercises


def answer(exercises, double=DOUBLE, countdown=COUNTDOWN, stem="ex00-toy"):
    return fill_stubs(nbformat.read(exercises / f"{stem}.ipynb", 4), [double, countdown])


def put(folder, student, nb, stem="ex00-toy"):
    (folder / student).mkdir(parents=True, exist_ok=True)
    path = folder / student / f"{stem}.ipynb"
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)


def make_class(exercises, folder):
    put(folder, "a-correct", answer(exercises))
    put(folder, "a-correct", answer(exercises, stem="ex01-again"), stem="ex01-again")
    # visible double tests pass, the hidden one fails; countdown wrong: 1 of 5
    put(folder, "b-partial", answer(exercises, "    return 2 * x if x >= 0 else 0",
                                    "    return [n]"))
    nb = answer(exercises)
    cell = next(c for c in nb.cells if "def double" in c.source)
    cell.source = "raise RuntimeError('not finished')\n" + cell.source
    put(folder, "c-raises", nb)
    put(folder, "d-loop", answer(exercises, countdown="    while True:\n        pass"))
    put(folder, "e-exit", answer(exercises, countdown="    import os\n    os._exit(1)"))
    nb = answer(exercises, double="    return 0")
    test = next(c for c in nb.cells if c.source.startswith("# TEST: double a number"))
    test.source = "# TEST: double a number (1 point)\nassert True"
    put(folder, "f-edited", nb)
    nb = answer(exercises)
    nb.cells = [c for c in nb.cells if not c.source.startswith("# TEST: countdown")]
    put(folder, "g-deleted", nb)
    put(folder, "h-invalid", '{"cells": [ this is not json')
    (folder / "i-missing").mkdir()
    # ignores the interrupt nbgrader sends at the timeout: the kernel is stopped instead
    put(folder, "j-stubborn", answer(exercises, countdown="    import signal\n"
                                     "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                     "    while True:\n        pass"))


EXPECTED = """\
student,exercise,score,max_score,status
a-correct,ex00-toy,5,5,ok
a-correct,ex01-again,5,5,ok
b-partial,ex00-toy,1,5,failed
b-partial,ex01-again,0,5,missing
c-raises,ex00-toy,2,5,error
c-raises,ex01-again,0,5,missing
d-loop,ex00-toy,3,5,timeout
d-loop,ex01-again,0,5,missing
e-exit,ex00-toy,3,5,kernel-died
e-exit,ex01-again,0,5,missing
f-edited,ex00-toy,2,5,tampered
f-edited,ex01-again,0,5,missing
g-deleted,ex00-toy,5,5,tampered
g-deleted,ex01-again,0,5,missing
h-invalid,ex00-toy,0,5,invalid-notebook
h-invalid,ex01-again,0,5,missing
i-missing,ex00-toy,0,5,missing
i-missing,ex01-again,0,5,missing
j-stubborn,ex00-toy,3,5,timeout
j-stubborn,ex01-again,0,5,missing
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    solutions, exercises = course(tmp)
    submissions = tmp / "submissions"
    make_class(exercises, submissions)
    watched = [solutions, exercises, submissions, TOY.parent]
    before = checksums(*watched)
    out = tmp / "out"
    first = run_cli("grade", submissions, "--out", out, "--solutions", solutions,
                    "--timeout", 3, "--jobs", 2)
    csv_first = (out / "grades.csv").read_text() if (out / "grades.csv").exists() else ""
    return {"tmp": tmp, "solutions": solutions, "submissions": submissions, "out": out,
            "run": first, "csv": csv_first, "watched": watched, "before": before}


@pytest.mark.slow
def test_every_row_and_status(graded):
    assert graded["run"].returncode == 0, graded["run"].stderr
    assert graded["csv"] == EXPECTED
    assert {line.rsplit(",", 1)[1] for line in EXPECTED.split()[1:]} <= set(STATUSES)


@pytest.mark.slow
def test_feedback_page_for_every_row(graded):
    out = graded["out"]
    for line in EXPECTED.splitlines()[1:]:
        student, exercise = line.split(",")[:2]
        page = (out / "feedback" / student / f"{exercise}.html").read_text()
        assert exercise in page
    partial = (out / "feedback" / "b-partial" / "ex00-toy.html").read_text()
    assert "Score: 1 / 5" in partial
    # every test by name with its result, the hidden one included, but no test's source
    assert "double a number</td><td>1 / 1" in partial
    assert "double zero and negatives</td><td>0 / 2" in partial
    assert "BEGIN HIDDEN" not in partial and "# TEST:" not in partial
    assert "missing" in (out / "feedback" / "i-missing" / "ex00-toy.html").read_text()


@pytest.mark.slow
def test_tampered_results_say_what_was_restored(graded):
    results = graded["out"] / ".rnnlesson-grade" / "results"
    edited = json.loads((results / "f-edited" / "ex00-toy.json").read_text())
    deleted = json.loads((results / "g-deleted" / "ex00-toy.json").read_text())
    assert "test-double-a-number was edited" in edited["detail"]
    assert "test-countdown was deleted" in deleted["detail"]


@pytest.mark.slow
def test_rerun_is_identical_and_inputs_unchanged(graded):
    out, again = graded["out"], graded["tmp"] / "out-again"
    kept = run_cli("grade", graded["submissions"], "--out", out, "--solutions",
                   graded["solutions"], "--timeout", 3)
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.count("(kept from an earlier run)") == 20
    assert (out / "grades.csv").read_text() == EXPECTED
    fresh = run_cli("grade", graded["submissions"], "--out", again, "--solutions",
                    graded["solutions"], "--timeout", 3, "--jobs", 2, "--force")
    assert fresh.returncode == 0, fresh.stderr
    assert (again / "grades.csv").read_bytes() == (out / "grades.csv").read_bytes()
    assert checksums(*graded["watched"]) == graded["before"]


@pytest.mark.slow
def test_zip_export_with_a_top_folder(tmp_path):
    solutions, exercises = course(tmp_path, stems=("ex00-toy",))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Course export/zoe/ex00-toy/ex00-toy.ipynb",  # nbgrader's layout
                    nbformat.writes(answer(exercises, countdown=None)))
        zf.writestr("Course export/yann/", "")
        zf.writestr("__MACOSX/._junk", "")
    before = checksums(tmp_path / "solutions")
    run = run_cli("grade", archive, "--out", tmp_path / "out", "--solutions", solutions)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "grades.csv").read_text() == (
        f"{HEADER}\nyann,ex00-toy,0,5,missing\nzoe,ex00-toy,3,5,failed\n")
    assert checksums(tmp_path / "solutions") == before


def test_zip_layouts(tmp_path):
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("ann/ex00-toy.ipynb", "{}")
        zf.writestr("bob/ex00-toy.ipynb", "{}")
    assert sorted(p.name for p in unpack(flat, tmp_path / "w1").iterdir()) == ["ann", "bob"]
    single = tmp_path / "single.zip"  # one student, no wrapper: that folder is the student
    with zipfile.ZipFile(single, "w") as zf:
        zf.writestr("ann/ex00-toy.ipynb", "{}")
    assert [p.name for p in unpack(single, tmp_path / "w2").iterdir()] == ["ann"]
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape/ex00-toy.ipynb", "{}")
    with pytest.raises(ValueError, match="unsafe path"):
        unpack(evil, tmp_path / "w3")


@pytest.mark.slow
def test_interrupted_run_keeps_rows_and_rerun_completes(tmp_path):
    solutions, exercises = course(tmp_path, stems=("ex00-toy",))
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    # enough students left to grade that the interrupt lands mid-run, even on a loaded machine
    students = [f"s{i:02d}" for i in range(12)]
    for student in students:
        put(submissions, student, answer(exercises))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    rows = []
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "grades.csv").is_file():
            rows = (out / "grades.csv").read_text().splitlines()[1:]
            if len(rows) >= 2:
                break
        time.sleep(0.1)
    assert proc.poll() is None and len(rows) >= 2, "grading finished before the interrupt"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "results graded so far are kept" in err
    kept = (out / "grades.csv").read_text().splitlines()[1:]
    assert kept[: len(rows)] == rows and len(kept) < len(students)
    rerun = run_cli("grade", submissions, "--out", out, "--solutions", solutions)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.count("(kept from an earlier run)") == len(kept)
    assert (out / "grades.csv").read_text() == HEADER + "\n" + "".join(
        f"{s},ex00-toy,5,5,ok\n" for s in students)


def test_cli_errors(tmp_path, capsys):
    solutions = TOY.parent
    code = main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"),
                 "--solutions", str(solutions)])
    err = capsys.readouterr().err
    assert code == 2 and "submissions not found" in err and str(tmp_path / "nope") in err
    submissions = tmp_path / "subs"
    (submissions / "ann").mkdir(parents=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["grade", str(submissions), "--out", str(foreign),
                 "--solutions", str(solutions)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "mine"
    assert main(["grade", str(submissions), "--out", str(submissions / "out"),
                 "--solutions", str(solutions)]) == 2
    assert "overlaps" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["grade", str(submissions), "--out", str(tmp_path / "o2"),
                 "--solutions", str(empty)]) == 2
    assert "no solution notebooks" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["grade", str(submissions)])
    assert info.value.code == 2 and "--out" in capsys.readouterr().err


def test_fill_stubs_round_trip(tmp_path):
    _, exercises = course(tmp_path, stems=("ex00-toy",))
    nb = answer(exercises)
    text = "\n".join(c.source for c in nb.cells)
    assert "NotImplementedError" not in text and DOUBLE in text and COUNTDOWN in text
    wrong = answer(exercises, double=None, countdown=None)
    assert "\n".join(c.source for c in wrong.cells).count("    pass") == 2
    exercise = nbformat.read(exercises / "ex00-toy.ipynb", 4)
    with pytest.raises(ValueError, match="2 stubs, 1 bodies"):
        fill_stubs(exercise, [DOUBLE])


def _session(sources, timeout, notebook_timeout, tmp_path, tests):
    """Cells run in a real sandbox, then test steps replayed against it."""
    from rnnlesson.grading import sandbox
    from rnnlesson.grading.replay import run_tests
    from rnnlesson.grading.trusted import Session

    slot = sandbox.Sandbox(tmp_path / "sandbox")

    def prepare():
        slot.prepare()
        return slot.command([])

    cells = [{"index": i, "source": s} for i, s in enumerate(sources)]
    session = Session(prepare, cells, notebook_timeout)
    steps = [{"kind": "answer", "functions": ["f"], "values": []}] + [
        {"kind": "test", "grade_id": f"t{i}", "name": f"t{i}", "points": 1.0,
         "visible": code, "hidden": ""} for i, code in enumerate(tests)]
    try:
        session.start()
        verdicts, _ = run_tests(steps, session, timeout)
    finally:
        session.stop()
        slot.clean()
    return session, [v.state for v in verdicts]


def test_a_call_past_its_time_limit_stops_the_sandbox_and_the_next_test_gets_a_new_one(
        tmp_path):
    sources = ["import time\ndef f(x):\n    if x:\n        time.sleep(60)\n    return 1"]
    start = time.monotonic()
    session, states = _session(sources, 2, 30, tmp_path, ["assert f(1) == 1",
                                                          "assert f(0) == 1"])
    assert states == ["failed", "passed"]
    assert session.faults == {"timeout"} and session.starts == 2
    assert time.monotonic() - start < 30


def test_a_notebook_past_its_time_limit_runs_no_test(tmp_path):
    sources = ["import time\ntime.sleep(60)\ndef f(x):\n    return 1"]
    from rnnlesson.grading.trusted import SandboxStopped

    with pytest.raises(SandboxStopped, match="time limit"):
        _session(sources, 30, 2, tmp_path, ["assert f(0) == 1"])


def test_a_dead_sandbox_is_reported_and_replaced(tmp_path):
    sources = ["import os\ndef f(x):\n    if x:\n        os._exit(1)\n    return 1"]
    session, states = _session(sources, 30, 60, tmp_path, ["assert f(1) == 1",
                                                           "assert f(0) == 1"])
    assert states == ["not-run", "passed"]
    assert session.faults == {"kernel-died"}


def test_deleted_read_only_cells_go_back_in_place(tmp_path):
    from rnnlesson.grading.course import notebook_bytes
    from rnnlesson.grading.submissions import check_submission

    _, exercises = course(tmp_path, stems=("ex00-toy",))
    released = nbformat.read(exercises / "ex00-toy.ipynb", 4)
    data = json.loads(nbformat.writes(answer(exercises)))
    data["nbformat_minor"] = 4  # saved by an older Jupyter: no cell ids
    for cell in data["cells"]:
        cell.pop("id")
    gone = {"cell-01", "test-countdown"}
    data["cells"] = [c for c in data["cells"]
                     if c["metadata"]["nbgrader"]["grade_id"] not in gone]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(data))
    checked = check_submission(path, released)
    assert checked.status is None and checked.tampered
    assert checked.notes == ["read-only cell cell-01 was deleted (put back)",
                             "read-only cell test-countdown was deleted (put back)"]
    ids = [c.metadata["nbgrader"]["grade_id"] for c in checked.notebook.cells]
    assert ids == [c.metadata["nbgrader"]["grade_id"] for c in released.cells]
    nbformat.validate(nbformat.reads(notebook_bytes(checked.notebook).decode(), 4))


def test_damaged_and_empty_zips_say_so(tmp_path):
    from rnnlesson.grading.submissions import SubmissionsError

    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("ann/ex00-toy.ipynb", "{}" * 5000)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SubmissionsError, match="truncated.zip: not a readable zip"):
        unpack(truncated, tmp_path / "w1")
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(SubmissionsError) as info:
        unpack(empty, tmp_path / "w2")
    assert "holds no student folders" in str(info.value)
    assert str(tmp_path / "w2") not in str(info.value)


def test_exercises_given_as_solutions_are_refused(tmp_path, capsys):
    _, exercises = course(tmp_path, stems=("ex00-toy",))
    submissions = tmp_path / "subs"
    (submissions / "ann").mkdir(parents=True)
    assert main(["grade", str(submissions), "--out", str(tmp_path / "o"),
                 "--solutions", str(exercises)]) == 2
    err = capsys.readouterr().err
    assert f"--solutions {exercises}" in err and "BEGIN SOLUTION" in err
    assert not (tmp_path / "o" / "grades.csv").exists()


def test_duplicated_and_stripped_cells_are_repaired(tmp_path):
    from rnnlesson.grading.submissions import check_submission

    _, exercises = course(tmp_path, stems=("ex00-toy",))
    released = nbformat.read(exercises / "ex00-toy.ipynb", 4)
    nb = answer(exercises)
    at = next(i for i, c in enumerate(nb.cells) if "def double" in c.source)
    draft = nbformat.from_dict(json.loads(json.dumps(nb.cells[at])))
    draft.source = draft.source.replace("SCALE * x", "0")
    nb.cells.insert(at, draft)  # a pasted copy: same id, same metadata
    nbformat.write(nb, tmp_path / "dup.ipynb")
    checked = check_submission(tmp_path / "dup.ipynb", released)
    assert checked.status is None and not checked.tampered
    grade_id = draft.metadata.nbgrader.grade_id
    answers = [c for c in checked.notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(answers) == 1 and "SCALE * x" in answers[0].source
    assert "the last copy counts" in checked.detail
    ids = [c.id for c in checked.notebook.cells]
    assert len(ids) == len(set(ids))
    stripped = answer(exercises)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(stripped, tmp_path / "stripped.ipynb")
    checked = check_submission(tmp_path / "stripped.ipynb", released)
    assert checked.status is None and not checked.tampered, checked.detail
    assert [c.metadata["nbgrader"]["grade_id"] for c in checked.notebook.cells] == \
        [c.metadata["nbgrader"]["grade_id"] for c in released.cells]
    assert "rebuilt from the exercise" in checked.detail


def test_the_sandbox_runner_imports_no_grading_tool():
    """The runner, the one program of ours in a sandbox, brings no grading tool (nbformat,
    nbgrader) into the learner's process: it starts fast and carries nothing of the grader."""
    code = ("import sys, rnnlesson.grading.runner; "
            "print(sorted(m for m in ('nbformat', 'nbgrader', 'jsonschema', "
            "'rnnlesson.grading.course', 'rnnlesson.grading.replay') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_one_exercise_graded_and_the_gradebook_for_canvas_and_moodle(tmp_path):
    """`--exercise` grades the named exercises only (two students who did ex00: two rows, no
    pages for the other exercise); `--format` writes the platforms' import files beside."""
    solutions, exercises = course(tmp_path)
    submissions = tmp_path / "submissions"
    put(submissions, "=ann", answer(exercises))
    put(submissions, "bob", answer(exercises, countdown=None))
    out = tmp_path / "out"
    run = run_cli("grade", submissions, "--out", out, "--solutions", solutions,
                  "--exercise", "ex00", "--format", "canvas", "--format", "moodle")
    assert run.returncode == 0, run.stderr
    assert (out / "grades.csv").read_text() == (
        f"{HEADER}\n'=ann,ex00-toy,5,5,ok\nbob,ex00-toy,3,5,failed\n")
    assert sorted(p.name for p in (out / "feedback" / "bob").iterdir()) == ["ex00-toy.html"]
    assert (out / "grades-canvas.csv").read_text() == (
        "Student,ID,SIS User ID,SIS Login ID,Section,ex00-toy\n"
        "Points Possible,,,,,5\n'=ann,,,'=ann,,5\nbob,,,bob,,3\n")
    assert (out / "grades-moodle.csv").read_text() == "Username,ex00-toy\n'=ann,5\nbob,3\n"
    assert "grades-canvas.csv" in run.stdout
    wrong = run_cli("grade", submissions, "--out", tmp_path / "o2", "--solutions", solutions,
                    "--exercise", "ex42")
    assert wrong.returncode == 2
    assert "--exercise ex42: no such exercise" in wrong.stderr and "ex00, ex01" in wrong.stderr
