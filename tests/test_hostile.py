"""A hostile class graded end to end: every attack gains nothing, every victim keeps its marks.

One submission per attack on exercise 3 (each with a wrong answer, so honest work is worth
0), classmates with right answers graded in the same run, and honest students whose
notebooks an editor or a copy-paste mangled, or whose folder names are odd.
"""
import copy as copy_module
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlesson.grading import cgroups
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
_spec = importlib.util.spec_from_file_location("catalogue_ex03",
                                               REPO / "tests" / "catalogue" / "ex03.py")
_catalogue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_catalogue)
CATALOGUE = _catalogue.ANSWERS
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
FORGE = "rnn_cell_forward: all checks passed\n[mistake: ex03/forged-by-the-learner]"

# code a learner adds in a new cell right after the answer: each gains nothing
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
    if path.endswith(('.ipynb', '.db', '.csv', '.json', '.html', '.py')):
        try:
            open(path, 'a').close()
            hits.append(path)
        except OSError:
            pass
print('ATTACK-REPORT: writable', [h for h in hits if not h.startswith('/home/learner')])
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
    "hidden-hunt": WALK + """
import base64
found = []
for path in everything():
    try:
        data = open(path, 'rb').read(2_000_000)
    except OSError:
        continue
    if b'hidden_rng = np.random.default_rng(2024)' in data:
        found.append(path)
        print(base64.b64encode(data).decode()[:5000])
print('ATTACK-REPORT: hidden tests found in', found)
""",
    "history": """
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
    # four children of 700 MiB each, held until every one has either allocated or died: the
    # parent waits for that rather than for a fixed time (on a loaded machine, allocating can
    # take longer than any fixed wait, and the sandbox would end before its limit is reached)
    "memory-children": """
import os, select, time
ready, done = os.pipe()
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        os.close(ready)
        block = np.ones(700 * 1024**2 // 8)
        os.write(done, b'x')
        time.sleep(120)
        os._exit(0)
    children.append(pid)
os.close(done)
allocated, dead, deadline = 0, set(), time.monotonic() + 90
while allocated + len(dead) < 4 and time.monotonic() < deadline:
    if select.select([ready], [], [], 0.2)[0]:
        allocated += len(os.read(ready, 4))
    dead |= {pid for pid in children if pid not in dead and os.waitpid(pid, os.WNOHANG)[0]}
for pid in set(children) - dead:
    os.kill(pid, 9)
""",
    "disk": """
written = 0
try:
    for folder in ('/home/learner', '/tmp'):
        for i in range(40):
            with open(f'{folder}/fill-{i}.bin', 'wb') as fh:
                for _ in range(32):
                    fh.write(b'0' * 1024**2)
                    written += 1
except OSError as err:
    print('ATTACK-REPORT: disk full after', written, 'MB:', err)
""",
    "flood": """
print('x' * 50_000_000)
""",
    "transformer": """
def disarm(lines):
    return ['pass\\n'] if lines and lines[0].startswith('# TEST') else lines
get_ipython().input_transformers_cleanup.append(disarm)
get_ipython().input_transformer_manager.line_transforms.append(disarm)
""",
    "compiler": """
import ast
shell = get_ipython()
shell.compile.ast_parse = lambda source, *a, **k: ast.parse('pass')
shell.run_cell = lambda *a, **k: None
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
    "ctypes": """
import ctypes
def quiet(*a, **k):
    return None
target = np.testing.assert_allclose
_ = ctypes.memmove(id(target) + 48, id(quiet) + 48, 8)  # func_code, CPython 3.11
""",
    "event-forge": """
import types
def clear(result):
    result.error_in_exec = None
    print('rnn_cell_forward: all checks passed')
clear.__code__ = clear.__code__.replace(co_filename='/usr/lib/python3/site-packages/ipykernel/x.py')
get_ipython().events.register('post_run_cell', clear)
""",
    "key-hunt": """
import gc
found = []
for obj in gc.get_objects():
    if isinstance(obj, dict) and any(k in obj for k in ('secret', 'key', '_secret')):
        found.append(sorted(map(str, obj))[:5])
print('ATTACK-REPORT: keys found', len(found))
print('rnn_cell_forward: all checks passed')
""",
    "channel": """
import gc
runner = next(o for o in gc.get_objects() if type(o).__name__ == 'Runner')
runner.send({'op': 'ready', 'cells': []})
runner.send({'op': 'return', 'value': {'$': 'tuple', 'v': []}, 'output': ''})
runner.replies.write(b'\\xff' * 64)
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
    "fork-bomb": """
import os, time
children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
finally:
    print('ATTACK-REPORT: children', children)
""",
    "big-file": """
with open('big.bin', 'wb') as fh:
    for _ in range(100):
        fh.write(b'0' * 1024**2)
""",
    "cgroup-escape": """
import os
for path in ('/sys/fs/cgroup/cgroup.procs', '/sys/fs/cgroup/memory/cgroup.procs'):
    try:
        open(path, 'w').write(str(os.getpid()))
        print('ATTACK-REPORT: escaped via', path)
    except OSError as err:
        print('ATTACK-REPORT: no escape', type(err).__name__)
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
    "interpreter-hooks": """
import atexit, builtins, signal, sys
def tracer(frame, event, arg):
    if frame.f_code.co_name.startswith('check'):
        frame.f_locals.clear()
    return tracer
sys.settrace(tracer)
sys.setprofile(lambda *a: None)
sys.addaudithook(lambda event, args: None)
atexit.register(lambda: print('rnn_cell_forward: all checks passed'))
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
class Finder:
    def find_spec(self, name, path=None, target=None):
        return None
sys.meta_path.insert(0, Finder())
sys.displayhook = lambda value: print('all checks passed')
sys.excepthook = lambda *a: None
builtins.isinstance = lambda obj, cls: True
""",
    "cpu-children": """
import os
for _ in range(3):
    if os.fork() == 0:
        while True:
            pass
""",
    "invented-tags": """
for i in range(41):
    print(f'[mistake: ex03/invented-{i}]')
print('[mistake: ex03/' + 'z' * 4000 + ']')
""",
}
# where the grader may not make control groups (an ordinary user), children's memory is
# limited per process only: the attack then scores 0 by failing, as the run's first line says
WHOLE_SANDBOX = cgroups.available()[0]
# the status each attack must get (its score is always 0)
ATTACK_STATUS = {name: "failed" for name in ATTACKS} | {
    "memory": "memory-limit",
    "memory-children": "memory-limit" if WHOLE_SANDBOX else {"memory-limit", "failed",
                                                            "kernel-died"},
    "threads": "process-limit",
    "fork-bomb": "process-limit", "big-file": "file-size-limit", "channel": {"tampered", "failed"},
    "ctypes": {"failed", "kernel-died"},
    # isinstance patched breaks the runner's own replies: whatever follows, it scores 0
    "interpreter-hooks": {"failed", "kernel-died", "tampered"}}
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
    "source-copy": ("    import inspect, rnnlesson.rnn as source\n"
                    "    space = dict(vars(source))\n"
                    "    exec(inspect.getsource(source), space)\n"
                    "    a_next, yt_pred, cache = space['rnn_cell_forward'](xt, a_prev, params)",
                    "uses-reference"),
    "through-the-loop": ("    import rnnlesson\n"
                         "    a, y, _ = rnnlesson.rnn_forward(xt[:, :, None], a_prev, params)\n"
                         "    a_next, yt_pred = a[:, :, 0], y[:, :, 0]\n"
                         "    cache = (a_next, a_prev, xt, params)",
                         "uses-reference"),
    "frame-walk": ("    import gc, sys\n"
                   "    frame = sys._getframe(1)\n"
                   "    while frame is not None:\n"
                   "        for value in list(frame.f_locals.values()):\n"
                   "            if isinstance(value, dict) and 'ba' in value:\n"
                   "                value['ba'][...] = 0\n"
                   "        frame = frame.f_back\n"
                   "    for obj in gc.get_objects():\n"
                   "        if isinstance(obj, dict) and hasattr(obj.get('ba'), 'fill'):\n"
                   "            obj['ba'].fill(0)\n"
                   "    a_next = np.tanh(params['Waa'] @ a_prev + params['Wax'] @ xt)\n"
                   "    yt_pred = softmax(params['Wya'] @ a_next + params['by'])\n"
                   "    cache = (a_next, a_prev, xt, params)", "failed"),
    "lying-exception": ("    class CheckFailure(AssertionError):\n"
                        "        mistake = 'ex03/passed'\n"
                        f"    raise CheckFailure({FORGE!r})", "failed"),
    "exit": ("    raise SystemExit(0)", "failed"),
    "interrupt": ("    raise KeyboardInterrupt", "failed"),
    "flood-in-call": ("    print('y' * 20_000_000)\n" + WRONG, "failed"),
    "always-equal": ("    class Anything:  # nbgrader #1379\n"
                     "        shape = property(lambda self: self)\n"
                     "        def __eq__(self, other):\n"
                     "            return True\n"
                     "        def __getattr__(self, name):\n"
                     "            return self\n"
                     "    a_next = yt_pred = Anything()\n"
                     "    cache = (a_next, a_prev, xt, params)", "failed"),
    "deep-reply": ("    deep = []\n"
                   "    for _ in range(100_000):\n"
                   "        deep = [deep]\n"
                   "    return deep, deep, deep", "failed"),
    "huge-reply": ("    big = np.ones((2, 5_000_000))\n"
                   "    return big, big, (big, a_prev, xt, params)", "failed"),
    "slow": ("    import time\n"
             "    time.sleep(600)\n" + WRONG, "timeout"),
    "cpu-burn": ("    while True:\n"
                 "        pass\n" + WRONG, "timeout"),
}
# an answer whose wrong values keep the right shapes earns the shapes test's point, honestly
EARNED = {"attack-frame-walk": 1.0}
ODD_IDS = [" spaced ", "...", ".x", "名前", 'comma,"quote"']
FORMULA_IDS = ["=1+1", "+1+1", "@SUM(1+1)", "-2+3", '=HYPERLINK("x")']
ESCAPE_ID = "\x1b[2J\x1b[31mred"
# honest answers the machinery must not punish: (body of rnn_cell_forward, extra cell)
NOISY = ("    print('tracing ' * 200_000)\n" + RIGHT,
         "for _ in range(3):\n    print('z' * 1_000_000)")
WARNS = ("    import warnings\n"
         "    with np.errstate(divide='warn'):\n"
         "        np.log(np.zeros(1))\n"
         "    warnings.warn('a learner may warn')\n" + RIGHT, None)


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


def replace_answer(nb, code):
    """The exercise with its answer cell's whole code replaced (what a learner may write)."""
    cell = next(c for c in nb.cells if "def rnn_cell_forward" in c.source)
    cell.source = code.strip()
    return nb


def honest_class(folder: Path):
    """Right answers, mangled in the ways honest work gets mangled, and honest work that
    prints, warns, is blank, or has an odd id; with the status each must get."""
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
    for student in ODD_IDS + FORMULA_IDS + [ESCAPE_ID]:
        write(folder, student, notebook(RIGHT))
        expected[student] = "ok"
    (folder / "zipped").mkdir()
    with zipfile.ZipFile(folder / "zipped" / "submission.zip", "w") as zf:
        zf.writestr(f"work/{STEM}.ipynb", nbformat.writes(notebook(RIGHT)))
    expected["zipped"] = "ok"
    (folder / "linker").mkdir()
    os.symlink("/etc/passwd", folder / "linker" / f"{STEM}.ipynb")
    expected["linker"] = "invalid-notebook"
    write(folder, "noisy", notebook(*NOISY))
    expected["noisy"] = "ok"
    write(folder, "warns", notebook(WARNS[0]))
    expected["warns"] = "ok"
    write(folder, "blank", EXERCISE)
    expected["blank"] = "failed"
    for i, answer in enumerate(a for a in CATALOGUE if a.get("right")):
        write(folder, f"alternative-{i}", replace_answer(nbformat.from_dict(
            copy_module.deepcopy(EXERCISE)), answer["code"]))
        expected[f"alternative-{i}"] = "ok"
    # hostile files: a zip bomb, a huge notebook, a notebook of too many cells
    (folder / "attack-zip-bomb").mkdir()
    with zipfile.ZipFile(folder / "attack-zip-bomb" / "work.zip", "w",
                         zipfile.ZIP_DEFLATED) as zf:
        with zf.open(f"{STEM}.ipynb", "w", force_zip64=True) as member:
            for _ in range(1024):
                member.write(b" " * 1024**2)
    expected["attack-zip-bomb"] = "invalid-notebook"
    big = notebook(WRONG)
    big.cells[-1].outputs = [nbformat.v4.new_output("stream", text="x" * 40 * 1024**2)]
    write(folder, "attack-huge-notebook", big)
    expected["attack-huge-notebook"] = "invalid-notebook"
    many = notebook(WRONG)
    many.cells += [nbformat.v4.new_code_cell("1") for _ in range(5000)]
    write(folder, "attack-many-cells", many)
    expected["attack-many-cells"] = "invalid-notebook"
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


def peak_memory(marker: Path, stop: threading.Event, seen: dict) -> None:
    """The largest resident set (VmHWM) of the grader and its workers, polled until stop."""
    while not stop.is_set():
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                if b"rnnlesson" not in cmd or (b"rnnlesson.cli" not in cmd
                                               and b"rnnlesson.grading.worker" not in cmd):
                    continue
                environ = Path(f"/proc/{entry.name}/environ").read_bytes()
                if str(marker).encode() not in environ:
                    continue
                for line in Path(f"/proc/{entry.name}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        seen[entry.name] = max(seen.get(entry.name, 0), kib)
            except (OSError, ValueError):
                continue
        stop.wait(0.3)


def grade_cli(submissions, out, solutions, temp, *extra):
    return subprocess.run(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--timeout", "20", "--jobs", "2", *extra],
        capture_output=True, text=True, timeout=1500, env=grader_env(temp))


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
    stop, memory = threading.Event(), {}
    poller = threading.Thread(target=peak_memory, args=(temp, stop, memory), daemon=True)
    poller.start()
    run = grade_cli(submissions, out, solutions, temp)
    stop.set()
    poller.join()
    finished = time.monotonic()
    listener.close()
    csv_text = (out / "grades.csv").read_bytes() if (out / "grades.csv").exists() else b""
    alive = sandbox_processes(temp)
    return {"run": run, "out": out, "expected": expected, "csv": csv_text, "alive": alive,
            "finished": finished, "submissions": submissions, "temp": temp,
            "solutions": solutions, "memory": memory}


def rows(csv_bytes: bytes) -> dict:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(csv_bytes.decode()))
    return {r["student"]: (float(r["score"]), r["status"]) for r in reader}


def page(hostile, student) -> str:
    return (hostile["out"] / "feedback" / student / f"{STEM}.html").read_text()


def sheet_id(student: str) -> str:
    """A student id as grades.csv writes it (a formula's first character made harmless)."""
    return "'" + student if student.startswith(("=", "+", "-", "@")) else student


def test_every_row_as_expected(hostile):
    assert hostile["run"].returncode == 0, hostile["run"].stderr
    got = {student: value for student, value in rows(hostile["csv"]).items()}
    want = {sheet_id(s): status for s, status in hostile["expected"].items()}
    assert set(got) == set(want)
    wrong = {}
    for student, status in want.items():
        allowed = status if isinstance(status, set) else {status}
        full = 4.0 if allowed == {"ok"} else EARNED.get(student, 0.0)
        if got[student][1] not in allowed or got[student][0] != full:
            wrong[student] = (got[student], allowed)
    assert wrong == {}


def test_no_attacker_gains_a_point_and_every_honest_learner_gets_full_marks(hostile):
    got = rows(hostile["csv"])
    attackers = {s: v for s, v in got.items() if s.startswith("attack-")}
    assert len(attackers) == len(ATTACKS) + len(ANSWER_ATTACKS) + 3
    assert {s: v for s, v in attackers.items() if v[0] != EARNED.get(s, 0.0)} == {}
    honest = [s for s in got if s.startswith(("victim-", "alternative-", "noisy", "warns"))]
    assert len(honest) >= 5 + sum(1 for a in CATALOGUE if a.get("right"))
    assert {s: got[s] for s in honest if got[s] != (4.0, "ok")} == {}


def test_odd_ids_are_quoted_not_refused(hostile):
    text = hostile["csv"].decode()
    assert '"comma,""quote""",ex03-rnn-cell-forward,4,4,ok' in text
    assert " spaced ,ex03" in text and "...,ex03" in text and ".x,ex03" in text


def test_no_live_formula_in_any_csv_cell(hostile):
    import csv
    import io

    for name in ("grades.csv", "mistakes.csv"):
        cells = [c for row in csv.reader(io.StringIO((hostile["out"] / name).read_text()))
                 for c in row]
        assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == [], name
    assert "'=1+1,ex03-rnn-cell-forward,4,4,ok" in hostile["csv"].decode()
    assert "'@SUM(1+1),ex03-rnn-cell-forward,4,4,ok" in hostile["csv"].decode()


def test_no_escape_code_reaches_the_terminal(hostile):
    for text in (hostile["run"].stdout, hostile["run"].stderr):
        assert "\x1b" not in text
    assert "?[2J?[31mred ex03-rnn-cell-forward: 4/4 ok" in hostile["run"].stdout


def test_the_runs_first_line_says_which_limits_apply(hostile):
    first = hostile["run"].stdout.splitlines()[0]
    assert first == f"note: {cgroups.available()[1]}"
    assert ("own control group" in first) == WHOLE_SANDBOX
    assert WHOLE_SANDBOX or "per process only" in first


def test_nothing_left_running_and_csv_stays(hostile):
    assert hostile["alive"] == []
    time.sleep(max(0.0, hostile["finished"] + 12 - time.monotonic()))
    assert (hostile["out"] / "grades.csv").read_bytes() == hostile["csv"]
    assert sandbox_processes(hostile["temp"]) == []
    assert list(hostile["temp"].glob("rnnlesson-grade-*")) == []  # its temporary folder went


def encodings(line: str) -> list[str]:
    """A hidden test's line as an attacker might smuggle it into a page."""
    import base64
    import html as html_module
    import urllib.parse

    data = line.encode()
    forms = [line, html_module.escape(line), urllib.parse.quote(line), data.hex(),
             line[::-1], codecs_rot13(line)]
    for shift in range(3):  # base64 of the line at each alignment, its stable middle
        encoded = base64.b64encode(b"x" * shift + data).decode()
        forms.append(encoded[4:-4])
    return [f for f in forms if len(f) >= 12]


def codecs_rot13(text: str) -> str:
    import codecs

    return codecs.encode(text, "rot13")


def test_no_page_shows_hidden_tests_or_secrets_in_any_encoding(hostile):
    from rnnlesson.grading.grade import hidden_lines
    from rnnlesson.grading.markers import stamp

    hidden = [ln.strip() for ln in hidden_lines(stamp(SOLUTION, STEM)) if len(ln.strip()) >= 20]
    assert HIDDEN in hidden
    forms = [f for line in hidden for f in encodings(line)]
    for path in (hostile["out"] / "feedback").rglob("*.html"):
        text = path.read_text()
        assert [f for f in forms if f in text] == [], path
        assert "root:x:0:0" not in text, path
        assert str(hostile["out"]) not in text, path
        assert "BEGIN HIDDEN TESTS" not in text and "### BEGIN SOLUTION" not in text, path
    hunt = page(hostile, "attack-hidden-hunt")
    assert f"{MARK} hidden tests found in []" in hunt


def test_attackers_saw_nothing_outside_their_folder(hostile):
    finder = page(hostile, "attack-find-out")
    assert f"{MARK} processes seen" in finder and "with --out 0" in finder
    assert f"{MARK} writable []" in page(hostile, "attack-overwrite")
    reader = page(hostile, "attack-reader")
    assert f"{MARK} notebooks seen [] solutions 0" in reader
    assert f"{MARK} passwd FileNotFoundError" in reader
    network = page(hostile, "attack-network")
    assert "not reached 127.0.0.1 [Errno 111] Connection refused" in network
    assert "not reached 1.1.1.1 [Errno 101] Network is unreachable" in network
    assert "ATTACK-REPORT: reached 1" not in network
    escape = page(hostile, "attack-cgroup-escape")
    assert "escaped via /" not in escape and f"{MARK} no escape" in escape
    assert f"{MARK} keys found" in page(hostile, "attack-key-hunt")


def test_limits_hold_for_the_sandbox_as_a_whole(hostile):
    import re

    threads = page(hostile, "attack-threads")
    assert f"{MARK} threads" in threads and f"{MARK} threads 500" not in threads
    children = re.search(rf"{MARK} children (\d+)", page(hostile, "attack-fork-bomb"))
    assert children and int(children.group(1)) < (64 if WHOLE_SANDBOX else 500)
    full = re.search(rf"{MARK} disk full after (\d+) MB", page(hostile, "attack-disk"))
    assert full and int(full.group(1)) <= 256, "the in-memory home is not limited"


def test_flood_pages_are_small(hostile):
    for path in (hostile["out"] / "feedback").rglob("*.html"):
        assert path.stat().st_size < 400_000, path
    assert "output cut" in page(hostile, "attack-flood")
    assert "output cut" in page(hostile, "attack-flood-in-call")


def test_the_answer_key_is_not_an_answer(hostile):
    for student in ("attack-wrap-reference", "attack-copy-reference", "attack-source-copy",
                    "attack-through-the-loop"):
        text = page(hostile, student)
        assert "calls the package&#x27;s own version of what this exercise asks you to " \
               "write" in text, student


def test_only_the_checks_mistake_ids_reach_the_class_summary(hostile):
    from rnnlesson.checks._common import TAG

    mistakes = (hostile["out"] / "mistakes.csv").read_text()
    summary = (hostile["out"] / "summary.html").read_text()
    ids = {line.split(",")[-1] for line in mistakes.splitlines()[1:]}
    assert ids
    for text in [*ids, summary.replace("attack-invented-tags", "")]:
        assert "invented" not in text and "forged" not in text and "ex03/passed" not in text
        assert "z" * 100 not in text
    assert all(TAG.fullmatch(f"[mistake: {i}]") for i in ids)
    source = (REPO / "rnnlesson" / "checks" / "forward.py").read_text() + (
        REPO / "rnnlesson" / "checks" / "_common.py").read_text()
    assert all(f'"{i.split("/", 1)[1]}"' in source for i in ids), ids


def test_grader_memory_is_bounded(hostile):
    assert hostile["memory"], "no grader process was seen"
    assert max(hostile["memory"].values()) < 600 * 1024, hostile["memory"]


def test_a_rerun_is_byte_identical(hostile, tmp_path):
    again = tmp_path / "again"
    run = grade_cli(hostile["submissions"], again, hostile["solutions"], tmp_path / "temp")
    assert run.returncode == 0, run.stderr
    assert (again / "grades.csv").read_bytes() == hostile["csv"]
    assert (again / "mistakes.csv").read_bytes() == (hostile["out"] / "mistakes.csv").read_bytes()
    pages = sorted(p.relative_to(again) for p in (again / "feedback").rglob("*.html"))
    changed = [p for p in pages if (again / p).read_bytes() != (hostile["out"] / p).read_bytes()]
    assert changed == []


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
    # a right answer whose notebook takes a while (a cell that sleeps, not the function:
    # the checks call the function on many cases)
    for i in range(2):
        write(submissions, f"s{i}", notebook(RIGHT, "import time\ntime.sleep(4)"))
    temp = tmp_path / "grader-tmp"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlesson.cli", "grade", str(submissions), "--out", str(out),
         "--solutions", str(solutions), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env=grader_env(temp))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not sandbox_processes(temp) \
            and proc.poll() is None:
        time.sleep(0.1)
    if not sandbox_processes(temp):
        proc.kill()
        out_text, err_text = proc.communicate()
        pytest.fail(f"no sandbox started: {out_text.decode()}\n{err_text.decode()[-3000:]}")
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
    """The sandbox and the answer key's withholding never cost an honest answer a point, in
    any exercise."""
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
