"""The instructor's guide, command by command: every shell block's commands that can run here
run, on a scratch copy of the course, and the others name only what exists."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlesson.grading.synthetic import fill_stubs, solution_bodies

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "instructor.md"
# commands the guide gives that need what this machine or a test cannot have
ELSEWHERE = {
    "apt-get": "installs system packages (root, a network)",
    "git": "clones the course from its host",
    "cp": "makes the learners' list (hub/learners.txt) for a real class",
    "export": "sets the room's password for `make hub`",
    "make": "starts or stops the lab hub (root, learner accounts; tests/test_hub.py runs it)",
    "hub/venv/bin/python": "drives the lab hub (tests/test_hub.py runs these)",
    "helm": "a Kubernetes cluster",
    "repo2docker": "a Docker engine",
    "docker": "a Docker engine",
}


def shell_commands() -> list[str]:
    """Every command of the guide's ```bash blocks (continuation lines joined, comments off)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_every_command_is_run_here_or_said_why_not():
    words = {shlex.split(c)[0] for c in shell_commands()}
    assert "rnnlesson" in words
    assert words - {"rnnlesson"} <= set(ELSEWHERE), words - {"rnnlesson"} - set(ELSEWHERE)


def test_what_the_other_commands_name_exists():
    """`make` targets in the Makefile, the hub script's subcommands, the files it names."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    lab = (REPO / "hub" / "lab.py").read_text(encoding="utf-8")
    for command in shell_commands():
        parts = shlex.split(command)
        if parts[0] == "make":
            assert re.search(rf"^{re.escape(parts[1])}:", makefile, re.M), command
        if parts[0] == "hub/venv/bin/python":
            assert (REPO / parts[1]).is_file() and f'"{parts[2]}"' in lab, command
        for part in parts[1:]:
            if part.startswith("hub/") and "." in part.rsplit("/", 1)[-1] \
                    and part != "hub/learners.txt":
                assert (REPO / part).exists(), f"{command}: no {part}"


def learner(solution: Path, exercise: Path, right: bool):
    nb = nbformat.read(exercise, 4)
    return fill_stubs(nb, solution_bodies(nbformat.read(solution, 4))) if right else nb


@pytest.mark.slow
def test_the_guides_rnnlesson_commands_run_as_written(tmp_path):
    """The guide's `rnnlesson` commands, as written, in a course folder laid out as it says:
    alice answered exercises 3 and 4, bob handed in exercise 3 untouched."""
    course = tmp_path / "course"
    for folder in ("solutions", "exercises"):
        shutil.copytree(REPO / folder, course / folder)
    submissions = course / "submissions"
    for student, stem, right in (("alice", "ex03-rnn-cell-forward", True),
                                 ("alice", "ex04-rnn-forward", True),
                                 ("bob", "ex03-rnn-cell-forward", False)):
        (submissions / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(learner(course / "solutions" / f"{stem}.ipynb",
                               course / "exercises" / f"{stem}.ipynb", right),
                       submissions / student / f"{stem}.ipynb")
    with zipfile.ZipFile(course / "export.zip", "w") as archive:
        for path in submissions.rglob("*.ipynb"):
            archive.write(path, path.relative_to(submissions))
    ran = []
    for command in shell_commands():
        parts = shlex.split(command)
        if parts[0] != "rnnlesson":
            continue
        run = subprocess.run([sys.executable, "-m", "rnnlesson.cli", *parts[1:]], cwd=course,
                             capture_output=True, text=True, timeout=900,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))  # this checkout's
        assert run.returncode == 0, f"{command}:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        ran.append(command)
    assert any(" grade " in f" {c} " for c in ran) and any("release" in c for c in ran)
    out = course / "grades-week3"  # the last command graded exercise 3 alone
    assert (out / "grades.csv").read_text().splitlines() == [
        "student,exercise,score,max_score,status", "alice,ex03-rnn-cell-forward,4,4,ok",
        "bob,ex03-rnn-cell-forward,0,4,failed"]  # an untouched stub: `failed`, as it says
    assert (out / "grades-canvas.csv").read_text().splitlines()[0].endswith(
        "Section,ex03-rnn-cell-forward")
    assert (out / "feedback" / "alice" / "ex04-rnn-forward.html").is_file()  # the first run
