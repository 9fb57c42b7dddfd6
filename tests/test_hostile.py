"""A hostile class graded end to end: every attack gains nothing, every victim keeps its marks.

One submission per attack on exercise 3 (each with a wrong answer, so honest work is worth
0), classmates with right answers graded in the same run, and honest students whose
notebooks an editor or a copy-paste mangled, or whose folder names are odd.
"""
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlesson.grading.synthetic import fill_stubs, solution_bodies

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
STEM = "ex03-rnn-cell-forward"
SOLUTION = nbformat.read(REPO / "solutions" / f"{STEM}.ipynb", 4)
EXERCISE = nbformat.read(REPO / "exercises" / f"{STEM}.ipynb", 4)
(RIGHT,) = solution_bodies(SOLUTION)
WRONG = ("    a_next, yt_pred = np.zeros((1, 1)), np.zeros((1, 1))\n"
         "    cache = (a_next, a_prev, xt, params)")
HIDDEN = "hidden_rng = np.random.default_rng(2024)"  # a line of the hidden tests
MARK = "ATTACK-REPORT:"
WALK = """
import os
def everything():
    for top, dirs, files in os.walk('/'):
        dirs[:] = [d for d in dirs if d not in ('proc', 'sys', 'usr', 'dev', 'site-packages')
                   and not d.startswith('python3')]
        for name in files:
            yield os.path.join(top, name)
"""

# code a learner adds in a new cell right after the answer
ATTACKS = {
    "find-out": """
import glob, os, subprocess, sys
found = []
for cmd in glob.glob('/proc/*/cmdline'):
    try:
        found.append(open(cmd, 'rb').read().replace(b'\\0', b' ').decode())
    except OSError:
        pass
outs = [c for c in found if '--out' in c]
print('ATTACK-REPORT: processes seen', len(found), 'with --out', len(outs))
script = ("import time, glob\\nfor _ in range(20):\\n    time.sleep(0.5)\\n"
          "    for p in glob.glob('/**/grades.csv', recursive=True):\\n"
          "        open(p, 'w').write('forged')\\n")
subprocess.Popen([sys.executable, '-c', script], start_new_session=True)
""",
    "overwrite": WALK + """
hits = []
for path in everything():
    if path.endswith(('.ipynb', '.db', '.csv', '.json', '.html')):
        try:
            open(path, 'a').close()
            hits.append(path)
        except OSError:
            pass
print('ATTACK-REPORT: writable', [h for h in hits if not h.startswith('/home/learner')])
""",
    "gradebook": WALK + """
import sqlite3
dbs = [p for p in everything() if p.endswith('gradebook.db')]
for db in dbs:
    con = sqlite3.connect(db)
    con.execute('update grade set manual_score = 193, extra_credit = 100')
    con.commit()
print('ATTACK-REPORT: gradebooks', dbs)
""",
    "reader": WALK + """
seen = [p for p in everything() if 'rnn-cell-forward' in p]
secrets = []
for path in everything():
    if '/solutions/' in path and path.endswith('.ipynb'):
        secrets.append(open(path).read())
print('ATTACK-REPORT: notebooks seen', seen, 'solutions', len(secrets))
try:
    print(open('/etc/passwd').read())
except OSError as err:
    print('ATTACK-REPORT: passwd', type(err).__name__)
""",
    "history": """
import atexit
def leak():
    print(In)
get_ipython().events.register('post_run_cell', lambda result: print(In))
""",
    "orphan": """
import subprocess, sys
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],
                 start_new_session=True)
print('ATTACK-REPORT: orphan started')
""",
    "memory": """
hog = np.ones(3 * 1024**3 // 8)
""",
    "flood": """
print('x' * 50_000_000)
""",
    "transformer": """
def disarm(lines):
    return ['pass\\n'] if lines and lines[0].startswith('# TEST') else lines
get_ipython().input_transformers_cleanup.append(disarm)
""",
    "monkeypatch": """
import rnnlesson.checks
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
rnnlesson.checks.check_rnn_cell_forward = lambda fn: print('rnn_cell_forward: all checks passed')
""",
    "code-swap": """
import types
import rnnlesson.checks
def noop(*args, **kwargs):
    print('rnn_cell_forward: all checks passed')
for name in dir(rnnlesson.checks):
    target = getattr(rnnlesson.checks, name)
    if isinstance(target, types.FunctionType) and not target.__code__.co_freevars:
        target.__code__ = noop.__code__
""",
    "pre-run-hook": """
def hook(info):
    raise RuntimeError('no tests today')
get_ipython().events.register('pre_run_cell', hook)
""",
    "showtraceback": """
get_ipython().showtraceback = lambda *a, **k: None
""",
    "custom-exc": """
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
""",
    "assertion": """
import builtins
class Quiet(Exception):
    pass
builtins.AssertionError = Quiet
""",
    "reference-swap": """
import rnnlesson
rnnlesson.rnn_cell_forward = rnn_cell_forward
""",
    "threads": """
import threading, time
started = 0
try:
    for _ in range(500):
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        started += 1
finally:
    print('ATTACK-REPORT: threads', started)
""",
    "big-file": """
with open('big.bin', 'wb') as fh:
    for _ in range(100):
        fh.write(b'0' * 1024**2)
""",
    "network": """
import socket
for host, port in (('127.0.0.1', HOST_PORT), ('1.1.1.1', 80)):
    try:
        socket.create_connection((host, port), timeout=2)
        print('ATTACK-REPORT: reached', host)
    except OSError as err:
        print('ATTACK-REPORT: not reached', host, err)
""",
}
# the status each attack must get (its score is always 0)
ATTACK_STATUS = {
    "find-out": "failed", "overwrite": "failed", "gradebook": "failed", "reader": "failed",
    "history": "tampered", "orphan": "failed", "memory": "memory-limit", "flood": "failed",
    "transformer": "tampered", "monkeypatch": "tampered", "code-swap": "tampered",
    "pre-run-hook": "tampered", "showtraceback": "tampered", "custom-exc": "tampered",
    "assertion": "tampered", "reference-swap": "tampered", "threads": "process-limit",
    "big-file": "file-size-limit", "network": "failed",
}
# answers that try to pass without doing the work: (body of rnn_cell_forward, status)
ANSWER_ATTACKS = {
    "wrap-reference": ("    import rnnlesson\n"
                       "    a_next, yt_pred, cache = rnnlesson.rnn_cell_forward(\n"
                       "        xt, a_prev, params)",
                       "uses-reference"),
    "copy-reference": ("    import types, rnnlesson\n"
                       "    ref = rnnlesson.rnn_cell_forward\n"
                       "    twin = types.FunctionType(ref.__code__, ref.__globals__)\n"
                       "    a_next, yt_pred, cache = twin(xt, a_prev, params)",
                       "uses-reference"),
    "always-equal": ("    class Anything:  # nbgrader #1379\n"
                     "        shape = property(lambda self: self)\n"
                     "        def __eq__(self, other):\n"
                     "            return True\n"
                     "        def __getattr__(self, name):\n"
                     "            return self\n"
                     "    a_next = yt_pred = Anything()\n"
                     "    cache = (a_next, a_prev, xt, params)",
                     "error"),  # its tests fail; the given code after it cannot use it
}
ODD_IDS = [" spaced ", "...", ".x", "名前", 'comma,"quote"']


def notebook(body, extra=None):
    nb = fill_stubs(EXERCISE, [body])
    if extra is not None:
        at = next(i for i, c in enumerate(nb.cells) if "def rnn_cell_forward" in c.source)
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(extra.strip()))
    return nb


def write(folder: Path, student: str, nb) -> Path:
    (folder / student).mkdir(parents=True, exist_ok=True)
    path = folder / student / f"{STEM}.ipynb"
    nbformat.write(nb, path)
    return path


def honest_class(folder: Path):
    """Right answers, mangled in the ways honest work gets mangled."""
    expected = {}
    for i in range(3):
        write(folder, f"victim-{i}", notebook(RIGHT))
        expected[f"victim-{i}"] = "ok"
    nb = notebook(RIGHT)  # a wrong draft, then the answer pasted again below it
    at = next(i for i, c in enumerate(nb.cells) if "def rnn_cell_forward" in c.source)
    draft = nbformat.from_dict(dict(nb.cells[at]))
    draft.source = draft.source.replace("np.tanh", "np.sin")
    draft["id"] = "draft-copy"
    nb.cells.insert(at, draft)
    test = next(c for c in nb.cells if c.source.startswith("# TEST: values"))
    copy = nbformat.from_dict(dict(test))
    copy["id"] = "test-copy"
    nb.cells.append(copy)
    write(folder, "duplicated", nb)
    expected["duplicated"] = "ok"
    nb = notebook(RIGHT)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    write(folder, "stripped", nb)
    expected["stripped"] = "ok"
    for student in ODD_IDS:
        write(folder, student, notebook(RIGHT))
        expected[student] = "ok"
    (folder / "zipped").mkdir()
    with zipfile.ZipFile(folder / "zipped" / "submission.zip", "w") as zf:
        zf.writestr(f"work/{STEM}.ipynb", nbformat.writes(notebook(RIGHT)))
    expected["zipped"] = "ok"
    (folder / "linker").mkdir()
    os.symlink("/etc/passwd", folder / "linker" / f"{STEM}.ipynb")
    expected["linker"] = "invalid-notebook"
    return expected


def sandbox_processes(marker: Path) -> list[int]:
    """Processes still alive of the sandboxes of a run whose temporary folders are in marker.

    Each sandbox's first process (bubblewrap, the init of its PID namespace) names its
    folders on its command line, and no process of a sandbox outlives that init: so none of
    these means that nothing any submission started is alive.
    """
    alive = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            except OSError:
                continue
            if str(marker).encode() in cmd:
                alive.append(int(entry.name))
    return alive


def grader_env(tmp: Path) -> dict:
    """The grader's environment, its temporary folders under tmp (to find them afterwards)."""
    tmp.mkdir(parents=True, exist_ok=True)
    return dict(os.environ, TMPDIR=str(tmp))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    solutions = tmp / "solutions"
    solutions.mkdir()
    shutil.copy(REPO / "solutions" / f"{STEM}.ipynb", solutions)
    submissions, out = tmp / "submissions", tmp / "out"
    expected = honest_class(submissions)
    import socket

    listener = socket.socket()  # the grader's machine listens; the sandbox must not reach it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    for name, code in ATTACKS.items():
        code = code.replace("HOST_PORT", str(listener.getsockname()[1]))
        write(submissions, f"attack-{name}", notebook(WRONG, code))
        expected[f"attack-{name}"] = ATTACK_STATUS[name]
    for name, (body, status) in ANSWER_ATTACKS.items():
        write(submissions, f"attack-{name}", notebook(body))
        expected[f"attack-{name}"] = status
    temp = tmp / "grader-tmp"
    run = subprocess.run(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--timeout", "20", "--jobs", "2"],
        capture_output=True, text=True, timeout=900, env=grader_env(temp))
    finished = time.monotonic()
    listener.close()
    csv_text = (out / "grades.csv").read_bytes() if (out / "grades.csv").exists() else b""
    alive = sandbox_processes(temp)
    return {"run": run, "out": out, "expected": expected, "csv": csv_text, "alive": alive,
            "finished": finished, "submissions": submissions, "temp": temp}


def rows(csv_bytes: bytes) -> dict:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(csv_bytes.decode()))
    return {r["student"]: (float(r["score"]), r["status"]) for r in reader}


def page(hostile, student) -> str:
    return (hostile["out"] / "feedback" / student / f"{STEM}.html").read_text()


def test_every_row_as_expected(hostile):
    assert hostile["run"].returncode == 0, hostile["run"].stderr
    got = rows(hostile["csv"])
    assert set(got) == set(hostile["expected"])
    want = {student: (0.0 if student.startswith("attack-") or status != "ok" else 4.0,
                      status) for student, status in hostile["expected"].items()}
    assert {s: got[s] for s in want if got[s] != want[s]} == {}


def test_odd_ids_are_quoted_not_refused(hostile):
    text = hostile["csv"].decode()
    assert '"comma,""quote""",ex03-rnn-cell-forward,4,4,ok' in text
    assert " spaced ,ex03" in text and "...,ex03" in text and ".x,ex03" in text


def test_nothing_left_running_and_csv_stays(hostile):
    assert hostile["alive"] == []
    time.sleep(max(0.0, hostile["finished"] + 12 - time.monotonic()))
    assert (hostile["out"] / "grades.csv").read_bytes() == hostile["csv"]
    assert sandbox_processes(hostile["temp"]) == []
    assert list(hostile["temp"].glob("rnnlesson-grade-*")) == []  # its temporary folder went


def test_no_page_shows_hidden_tests_or_secrets(hostile):
    for path in (hostile["out"] / "feedback").rglob("*.html"):
        text = path.read_text()
        assert HIDDEN not in text, path
        assert "root:x:0:0" not in text, path
        assert str(hostile["out"]) not in text, path
        assert "BEGIN HIDDEN TESTS" not in text and "### BEGIN SOLUTION" not in text, path


def test_attackers_saw_nothing_outside_their_folder(hostile):
    finder = page(hostile, "attack-find-out")
    assert f"{MARK} processes seen" in finder and "with --out 0" in finder
    assert f"{MARK} writable []" in page(hostile, "attack-overwrite")
    assert f"{MARK} gradebooks []" in page(hostile, "attack-gradebook")
    reader = page(hostile, "attack-reader")
    assert f"{MARK} notebooks seen [] solutions 0" in reader
    assert f"{MARK} passwd FileNotFoundError" in reader
    network = page(hostile, "attack-network")
    assert "not reached 127.0.0.1 [Errno 111] Connection refused" in network
    assert "not reached 1.1.1.1 [Errno 101] Network is unreachable" in network
    assert "ATTACK-REPORT: reached 1" not in network
    threads = page(hostile, "attack-threads")
    assert f"{MARK} threads" in threads and f"{MARK} threads 500" not in threads


def test_flood_page_is_small(hostile):
    path = hostile["out"] / "feedback" / "attack-flood" / f"{STEM}.html"
    assert path.stat().st_size < 400_000
    assert "output cut" in path.read_text()


def test_the_answer_key_is_not_an_answer(hostile):
    text = page(hostile, "attack-wrap-reference")
    assert "calls rnnlesson.rnn_cell_forward, the function this exercise asks you to write" \
        in text


def test_tamper_pages_say_what_changed(hostile):
    assert "input_transformers_cleanup" in page(hostile, "attack-transformer")
    assert "numpy.allclose" in page(hostile, "attack-monkeypatch")
    assert "rnnlesson.checks" in page(hostile, "attack-code-swap")
    assert "AssertionError" in page(hostile, "attack-assertion")


def test_rerun_keeps_every_row(hostile):
    again = subprocess.run(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(hostile["submissions"]),
         "--out", str(hostile["out"]), "--solutions",
         str(hostile["out"].parent / "solutions"), "--timeout", "20"],
        capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("(kept from an earlier run)") == len(hostile["expected"])
    assert (hostile["out"] / "grades.csv").read_bytes() == hostile["csv"]


def grading_processes(marker: Path) -> list[int]:
    """The grading workers of a run whose temporary folders are in marker."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
            except OSError:
                continue
            if b"rnnlesson.grading.worker" in cmd and cwd.startswith(str(marker)):
                found.append(int(entry.name))
    return found


def test_killed_grader_leaves_nothing_behind(tmp_path):
    import signal

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(REPO / "solutions" / f"{STEM}.ipynb", solutions)
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    slow = RIGHT + "\n    import time\n    time.sleep(1)"
    for i in range(2):
        write(submissions, f"s{i}", notebook(slow))
    temp = tmp_path / "grader-tmp"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env=grader_env(temp))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not sandbox_processes(temp):
        time.sleep(0.2)
    assert sandbox_processes(temp), "no kernel started"
    workers = grading_processes(temp)
    assert workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (sandbox_processes(temp) or grading_processes(temp)):
        time.sleep(0.2)
    assert sandbox_processes(temp) == [] and grading_processes(temp) == []
    state = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    time.sleep(3)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == state
    rerun = subprocess.run(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--jobs", "2"], capture_output=True, text=True,
        timeout=600, env=grader_env(temp))
    assert rerun.returncode == 0, rerun.stderr
    assert "removed the temporary folder of an earlier run" in rerun.stdout
    assert rows((out / "grades.csv").read_bytes()) == {f"s{i}": (4.0, "ok") for i in range(2)}


def test_every_solution_scores_full_marks_in_the_sandbox(tmp_path):
    """The guard and the sandbox never cost an honest answer a point, in any exercise."""
    from rnnlesson.grading.grade import grade

    submissions = tmp_path / "submissions"
    (submissions / "ann").mkdir(parents=True)
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        exercise = nbformat.read(REPO / "exercises" / path.name, 4)
        answer = fill_stubs(exercise, solution_bodies(nbformat.read(path, 4)))
        nbformat.write(answer, submissions / "ann" / path.name)
    results = grade(submissions, tmp_path / "out", solutions=REPO / "solutions", timeout=60)
    assert len(results) == len(list((REPO / "solutions").glob("*.ipynb")))
    assert [(r.exercise, r.status, r.score) for r in results if r.status != "ok"
            or r.score != r.max_score] == []
