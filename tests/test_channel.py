"""The data-only channel, the runner and the replay, piece by piece (the whole grader is
tested end to end in test_grading.py and test_hostile.py)."""
import ast
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rnnlesson.datasets import Sentence, Vocabulary
from rnnlesson.grading.channel import (
    ChannelError,
    Decoder,
    Encoder,
    TooBig,
    pack,
    read_frame,
)
from rnnlesson.grading.trusted import CallTimeout, Remote, Session, rebuild_error

REPO = Path(__file__).resolve().parents[1]


def round_trip(value, function=None):
    encoder = Encoder(allow_functions=function is not None)
    tree = encoder.encode(value)
    message, buffers = read_frame(io.BytesIO(pack({"v": tree}, encoder.buffers)), 10**9)
    return Decoder(buffers, function).decode(message["v"])


def same(a, b):
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape \
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, np.generic):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


VALUES = [
    None, True, 0, -7, 2**70, 1.5, float("inf"), float("nan"), "text é", b"\x00\xff",
    np.float64(0.25), np.int64(3), np.bool_(True), np.float32(1.5),
    np.arange(12.0).reshape(3, 4), np.asfortranarray(np.ones((2, 3))),
    np.arange(6).reshape(2, 3)[:, ::2], np.array(5.0), np.zeros((0, 3)),
    np.array([True, False]), np.array(["<pad>", "a"]), np.array([1 + 2j]),
    [1, (2.0, "x")], (), {"Wax": np.eye(2), 3: [None]}, {(1, 2): "pair"},
    (np.ones((2, 1)), np.zeros((2, 1)), np.ones((3, 1)), {"ba": np.ones((2, 1))}),
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}"
                                                for i, v in enumerate(VALUES)])
def test_every_kind_of_data_crosses_unchanged(value):
    assert same(value, round_trip(value))


def test_records_cross_as_their_own_type():
    assert round_trip(Vocabulary(("a",))) == Vocabulary(("a",))
    assert round_trip([Sentence("x", 0, "test", "p1")]) == [Sentence("x", 0, "test", "p1")]


@pytest.mark.parametrize("value", [
    np.array([object()], dtype=object), object(), {1, 2}, lambda x: x, Path("/etc"),
    np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])],
    ids=["object-array", "object", "set", "function", "path", "structured-array"])
def test_what_is_not_data_is_refused_with_its_type(value):
    with pytest.raises(ChannelError, match="(type|dtype)"):
        Encoder().encode(value)


def test_functions_cross_as_numbers_and_come_back_as_callbacks():
    calls = []
    decoded = round_trip([abs, max], function=lambda number: calls.append(number) or number)
    assert decoded == [0, 1] and calls == [0, 1]


@pytest.mark.parametrize("tree", ids=["object-dtype", "short-bytes", "unknown-record",
                                      "unknown-tag", "bare-list"], argvalues=[
    {"$": "nd", "dtype": "|O", "shape": [1], "b": 0},
    {"$": "nd", "dtype": "<f8", "shape": [3], "b": 0},
    {"$": "record", "type": "Path", "v": {"$": "dict", "k": [], "v": []}},
    {"$": "pickle", "v": "gASV"},
    [1, 2],
])
def test_a_receiver_builds_only_what_it_knows(tree):
    with pytest.raises(ChannelError):
        Decoder([b"\x00" * 8]).decode(tree)


def test_a_frame_over_the_limit_is_refused_before_its_body_is_read():
    frame = pack({"op": "return"}, [b"x" * 1000])
    stream = io.BytesIO(frame)
    with pytest.raises(TooBig):
        read_frame(stream, 500)
    assert stream.tell() < 100  # the header only: the thousand bytes were never read
    with pytest.raises(ChannelError):
        read_frame(io.BytesIO(b"\x00\x00\x00\x05hello"), 10**6)


def test_a_learners_exception_is_rebuilt_with_its_name_base_and_line():
    error = rebuild_error({"type": "MyError", "bases": ["KeyError", "LookupError",
                                                        "Exception"],
                           "message": "'Wax'", "line": [6, "x = params['Wax']"]})
    assert isinstance(error, KeyError) and type(error).__name__ == "MyError"
    assert str(error) == "'Wax'" and error.learner_line == (6, "x = params['Wax']")
    assert not hasattr(error, "mistake")
    forged = rebuild_error({"type": "CheckFailure", "bases": ["AssertionError"],
                            "message": "x" * 100_000})
    assert len(str(forged)) == 4096 and not hasattr(forged, "mistake")


@pytest.fixture
def session(tmp_path):
    """An unconfined runner (the sandbox is tested in test_grading.py) on a few cells."""
    cells = [
        "import numpy as np\nimport time",
        "def double(x):\n    print('doubling')\n    return 2 * x",
        "def broken(params):\n    return params['Wax']",
        "def ask(step, n):\n    return [step(i) for i in range(n)]",
        "def chatty():\n    print('y' * 100_000)\n    return 1",
        "def sleepy():\n    time.sleep(30)",
        "undefined_name",
    ]
    made = Session(lambda: ["/usr/bin/env", "-C", str(tmp_path)],
                   [{"index": i, "source": s} for i, s in enumerate(cells)], 60)
    made.start()
    yield made
    made.stop()


def test_the_runner_reports_each_cell_and_answers_calls(session):
    assert [r["error"] is None for r in session.cell_reports] == [True] * 6 + [False]
    assert session.cell_reports[-1]["error"]["type"] == "NameError"
    result = Remote(session, "double")(np.arange(3.0))
    assert same(result, np.array([0.0, 2.0, 4.0]))
    assert session.take_output() == "doubling\n"


def test_errors_come_back_as_the_learners_with_their_line(session):
    with pytest.raises(KeyError) as caught:
        Remote(session, "broken")({"Waa": np.eye(2)})
    assert caught.value.learner_line == (2, "return params['Wax']")
    with pytest.raises(NameError, match="not defined"):
        Remote(session, "nowhere")()


def test_callbacks_run_in_the_grader(session):
    seen = []

    def step(i):
        seen.append(i)
        return np.full(2, i)

    got = Remote(session, "ask")(step, 3)
    assert seen == [0, 1, 2] and same(got, [np.full(2, i) for i in range(3)])


def test_output_is_capped_with_a_note(session):
    assert Remote(session, "chatty")() == 1
    text = session.take_output()
    assert len(text) < 50_000 and "output cut here" in text


def test_a_call_past_its_deadline_stops_the_runner(session):
    import time

    session.deadline = time.monotonic() + 1
    with pytest.raises(CallTimeout):
        Remote(session, "sleepy")()
    assert session.proc is None


def test_check_messages_name_the_learners_line_and_a_withheld_answer():
    from rnnlesson.checks import CheckFailure
    from rnnlesson.checks._common import call

    class Remote:
        in_sandbox = True

        def __init__(self, error):
            self.error = error

        def __call__(self, *args):
            raise self.error

    failure = rebuild_error({"type": "ValueError", "bases": ["ValueError"],
                             "message": "shapes (2,3) and (4,1) not aligned",
                             "line": [4, "z = Wax @ xt"]})
    with pytest.raises(CheckFailure, match="at line 4 of your code") as caught:
        call(Remote(failure), "rnn_cell_forward", (), "xt (n_x, m)")
    assert caught.value.mistake == "ex03/raises-error"
    withheld = rebuild_error({"type": "AnswerWithheld", "bases": ["RuntimeError"],
                              "message": "withheld", "line": [3, "rnnlesson.rnn_forward()"]})
    with pytest.raises(CheckFailure) as caught:
        call(Remote(withheld), "rnn_cell_forward", (), "xt (n_x, m)")
    assert caught.value.mistake == "ex03/uses-reference"


@pytest.mark.parametrize("stem", sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb")))
def test_the_answer_key_is_withheld_and_the_rest_works(stem):
    """In each exercise's copy of the package the functions it asks for raise
    AnswerWithheld, and the solution notebook's own code up to its last test still runs."""
    from rnnlesson.checks._common import EXERCISE
    from rnnlesson.grading import answer_key

    solution = REPO / "solutions" / f"{stem}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        package = answer_key.build(solution, Path(tmp))
        asked = [name for name, ex in EXERCISE.items() if ex == stem[:4]]
        code = (
            "import sys, json, rnnlesson, rnnlesson.checks\n"
            f"assert rnnlesson.__file__.startswith({str(package)!r}), rnnlesson.__file__\n"
            "from rnnlesson.grading.answer_key import _profile_notebook\n"
            f"_profile_notebook({str(solution)!r})\n"
            "import rnnlesson as R\n"
            "withheld = []\n"
            f"for name in {asked!r}:\n"
            "    fn = getattr(R, name, None)\n"
            "    if fn is None:\n"
            "        continue\n"
            "    try:\n"
            "        fn(*[None] * fn.__code__.co_argcount)\n"
            "    except Exception as error:\n"
            "        withheld.append(type(error).__name__ == 'AnswerWithheld')\n"
            "print('WITHHELD', withheld)\n"
            # every function of the exercises' check modules is withheld too (the checks run
            # in the grader; their references and recomputed slips are answers), except what
            # the solution's own cells run
            "import importlib, inspect, pkgutil\n"
            "open_ones = []\n"
            "for info in pkgutil.iter_modules(rnnlesson.checks.__path__):\n"
            "    if info.name.startswith('_'):\n"
            "        continue\n"
            "    module = importlib.import_module('rnnlesson.checks.' + info.name)\n"
            "    found = [(name, fn) for name, fn in vars(module).items()\n"
            "             if inspect.isfunction(fn) and fn.__module__ == module.__name__]\n"
            "    found += [(name + '.reference', spec.reference) for name, spec in\n"
            "              vars(module).items() if type(spec).__name__ == 'Spec']\n"
            "    for name, fn in found:\n"
            "        count = len([p for p in inspect.signature(fn).parameters.values()\n"
            "                     if p.default is p.empty and p.kind <= p.POSITIONAL_OR_KEYWORD])\n"
            "        try:\n"
            "            fn(*[None] * count)\n"
            "        except Exception as error:\n"
            "            if 'AnswerWithheld' in type(error).__name__ + str(error):\n"
            "                continue\n"
            "        open_ones.append(info.name + '.' + name)\n"
            "print('OPEN', json.dumps(sorted(open_ones)))\n")
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=tmp, env={"PYTHONPATH": str(Path(tmp)), "MPLBACKEND": "agg",
                                           "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    line = run.stdout.splitlines()[-2]
    assert line.startswith("WITHHELD") and "False" not in line, line
    # open: what the solution's cells run, and what a check module runs as it is imported
    # (a decorator, a toy model); never a Spec's reference
    used = {name for _, name, _ in answer_key.used_by_solution(solution)}
    for path in (REPO / "rnnlesson" / "checks").glob("[!_]*.py"):
        used |= answer_key.called_at_import(ast.parse(path.read_text(encoding="utf-8")))
    open_ones = json.loads(run.stdout.splitlines()[-1].removeprefix("OPEN "))
    assert not [n for n in open_ones if n.split(".")[-1] not in used], open_ones


def test_without_control_groups_grading_says_which_limits_are_per_process(monkeypatch):
    from rnnlesson.grading import cgroups

    monkeypatch.setattr(cgroups, "version", lambda: None)
    usable, sentence = cgroups.available()
    assert not usable and "per process only" in sentence

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cgroups, "version", lambda: "v2")
    monkeypatch.setattr(cgroups.Group, "create", refuse)
    usable, sentence = cgroups.available()
    assert not usable and "per process only" in sentence and "root" in sentence


def test_concurrent_sandboxes_never_share_a_uid(tmp_path):
    """Two workers (of one run or of two runs at once) hold different uids while they live,
    so no process limit or file of one sandbox is another's."""
    import os

    from rnnlesson.grading import sandbox

    first = sandbox.Sandbox(tmp_path / "a", use_cgroups=False)
    second = sandbox.Sandbox(tmp_path / "b", use_cgroups=False)
    if os.geteuid() != 0:  # an ordinary user's sandboxes are `nobody` in user namespaces
        assert first.uid == second.uid == 65534
        return
    assert first.uid != second.uid and min(first.uid, second.uid) >= sandbox.UID_BASE
    first._uid_lock.close()  # a worker gone: its uid may be claimed again (grading tests
    third = sandbox.Sandbox(tmp_path / "c", use_cgroups=False)  # elsewhere may take it first)
    assert third.uid != second.uid
