"""Every answer of the catalogue (tests/catalogue/exNN.py) through the exercise's visible
checks: right answers pass, wrong ones fail with the mistake's id and the words that name it."""

import linecache
import os
import runpy
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from rnnlesson import checks
from rnnlesson.checks import CheckFailure, mistake_ids

CATALOGUE = Path(__file__).parent / "catalogue"
FILES = sorted(CATALOGUE.glob("ex*.py"))


def entries():
    found = []
    for path in FILES:
        data = runpy.run_path(str(path))
        found += [pytest.param(path.stem, data, answer, id=f"{path.stem}-{answer['name']}")
                  for answer in data["ANSWERS"]]
    return found


def learner_namespace(answer, data):
    """Run the answer's cell after the prelude, as in a notebook; return its globals."""
    namespace = {"__name__": "__learner__"}
    exec(compile(data.get("PRELUDE", ""), f"<{answer['name']} prelude>", "exec"), namespace)
    # IPython keeps each cell's source in linecache, so that tracebacks show its lines
    path = f"<learner cell: {answer['name']}>"
    linecache.cache[path] = (len(answer["code"]), None, answer["code"].splitlines(True), path)
    exec(compile(answer["code"], path, "exec"), namespace)
    return namespace


def run_checks(answer, data):
    """Each check in turn, on the learner's function it is named after (check_rnn_forward_shapes
    runs rnn_forward), or a test cell of several steps that the file defines in CELLS."""
    namespace = learner_namespace(answer, data)
    for check in answer.get("checks", data.get("CHECKS", [])):
        if check in data.get("CELLS", {}):
            data["CELLS"][check](namespace)
            continue
        getattr(checks, check)(namespace[learner_function(check, answer, data)],
                               *answer.get("args", ()))


def learner_function(check, answer, data):
    """The name of the learner's function that check runs."""
    return (answer.get("function") or data.get("FUNCTION")
            or check.removeprefix("check_").removesuffix("_shapes"))


@pytest.mark.parametrize("exercise, data, answer", entries())
def test_catalogue(exercise, data, answer, capsys):
    if answer.get("right"):
        run_checks(answer, data)  # raises for a right answer the checks reject
        out = capsys.readouterr().out
        assert "all checks passed" in out or "held-out accuracy" in out
        return
    with pytest.raises(CheckFailure) as info:
        run_checks(answer, data)
    message = str(info.value)
    assert info.value.mistake == answer["mistake"], message
    assert mistake_ids(message) == [answer["mistake"]]
    for words in answer["says"]:
        assert words in message, message
    assert info.value.mistake.startswith(f"{exercise}/")
    assert len(message.splitlines()) <= 6, message  # finding, step, case, values, id


def test_every_exercise_has_eight_mistakes_and_two_right_answers():
    solutions = Path(__file__).parents[1] / "solutions"
    assert [p.stem for p in FILES] == sorted(p.name[:4] for p in solutions.glob("ex*.ipynb"))
    for path in FILES:
        answers = runpy.run_path(str(path))["ANSWERS"]
        # two formulations: two different codes (ex02 runs one code through five tasks)
        right = {a["code"].strip() for a in answers if a.get("right")}
        mistakes = {a["mistake"] for a in answers if not a.get("right")}
        assert len(right) >= 2 and len(mistakes) >= 8, (path.stem, len(right), len(mistakes))
        assert all(a.get("right") or a["says"] for a in answers)
        names = [a["name"] for a in answers]
        assert len(names) == len(set(names)), path.stem


@pytest.mark.slow
def test_in_a_kernel_every_answer_reads_as_its_message_alone(tmp_path, monkeypatch):
    """The whole catalogue (bar exercise 8's training) in one real kernel, cell by cell as a
    learner runs it: what JupyterLab, nbval and nbgrader show is the check's message alone,
    no traceback, no frame of rnnlesson, with the mistake's id; right answers show no error."""
    monkeypatch.setenv("PATH", f"{sys.prefix}/bin:" + os.environ["PATH"])
    cells, answers = [nbformat.v4.new_code_cell("from rnnlesson import checks")], []
    for path in FILES:
        data = runpy.run_path(str(path))
        for answer in data["ANSWERS"]:
            names = answer.get("checks", data.get("CHECKS", []))
            if any(name in data.get("CELLS", {}) for name in names):
                continue  # a test cell of several steps (training): run in-process above
            arguments = "".join(f", {value!r}" for value in answer.get("args", ()))
            calls = [f"checks.{name}({learner_function(name, answer, data)}{arguments})"
                     for name in names]
            cells += [nbformat.v4.new_code_cell(data.get("PRELUDE", "") + answer["code"]),
                      nbformat.v4.new_code_cell("\n".join(calls))]
            answers.append(answer)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert len(answers) > 200
    for i, answer in enumerate(answers):
        defined, checked = nb.cells[1 + 2 * i], nb.cells[2 + 2 * i]
        assert not [o for o in defined.outputs if o.output_type == "error"], answer["name"]
        errors = [o for o in checked.outputs if o.output_type == "error"]
        if answer.get("right"):
            assert not errors, (answer["name"], errors)
            continue
        assert len(errors) == 1, answer["name"]
        error = errors[0]
        assert error.ename == "CheckFailure", answer["name"]
        assert error.traceback == error.evalue.splitlines(), answer["name"]
        assert mistake_ids(error.evalue) == [answer["mistake"]], answer["name"]
        assert not any("rnnlesson" in line and ".py" in line for line in error.traceback)
