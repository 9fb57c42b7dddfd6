"""rnnlesson.labserver: a learner's answers go to work/, never into the tracked exercises, and a
notebook is served with this Python's version so that opening it changes nothing."""
import asyncio
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnlesson.labserver import CourseContents, install, work_copy

REPO = Path(__file__).resolve().parents[1]
STEM = "ex03-rnn-cell-forward"


@pytest.fixture
def course(tmp_path):
    """A course folder (index, one exercise) inside a learner's home, as a hub clones it."""
    root = tmp_path / "home"
    course = root / "rnnlesson"
    (course / "notebooks").mkdir(parents=True)
    (course / "exercises").mkdir()
    shutil.copy(REPO / "notebooks" / "00-index.ipynb", course / "notebooks")
    shutil.copy(REPO / "exercises" / f"{STEM}.ipynb", course / "exercises")
    (course / "other").mkdir()
    (course / "other" / "exercises").mkdir()
    return root, course


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_saved_answer_goes_to_the_working_copy_and_comes_back(course):
    root, folder = course
    released = (folder / "exercises" / f"{STEM}.ipynb").read_bytes()
    manager = CourseContents(root_dir=str(root))
    path = f"rnnlesson/exercises/{STEM}.ipynb"
    model = run(manager.get(path))
    answer = next(c for c in model["content"]["cells"] if "NotImplementedError" in c["source"])
    answer["source"] = answer["source"].replace("raise NotImplementedError()", "pass  # mine")
    run(manager.save({"type": "notebook", "format": "json", "content": model["content"]}, path))
    assert (folder / "exercises" / f"{STEM}.ipynb").read_bytes() == released
    copy = folder / "work" / "exercises" / f"{STEM}.ipynb"
    assert "pass  # mine" in copy.read_text()
    again = run(manager.get(path))
    assert again["path"] == path
    assert any("pass  # mine" in c["source"] for c in again["content"]["cells"])
    checkpoints = run(manager.list_checkpoints(path))
    run(manager.create_checkpoint(path))
    assert len(run(manager.list_checkpoints(path))) >= len(checkpoints)
    assert not (folder / "exercises" / ".ipynb_checkpoints").exists()
    assert (folder / "work" / "exercises" / ".ipynb_checkpoints").is_dir()


def test_only_a_courses_exercises_are_redirected(course):
    root, folder = course
    assert work_copy(str(root), f"rnnlesson/exercises/{STEM}.ipynb") == str(
        folder / "work" / "exercises" / f"{STEM}.ipynb")
    assert work_copy(str(root), "rnnlesson/notebooks/00-index.ipynb") is None
    assert work_copy(str(root), "rnnlesson/other/exercises/x.ipynb") is None  # no course there
    assert work_copy(str(root), "rnnlesson/exercises/.hidden.ipynb") is None
    manager = CourseContents(root_dir=str(root))
    path = "rnnlesson/notebooks/00-index.ipynb"
    model = run(manager.get(path))
    run(manager.save({"type": "notebook", "format": "json", "content": model["content"]}, path))
    assert not (folder / "work").exists()


def test_a_notebook_is_served_with_this_pythons_version_and_left_on_disk(course):
    root, folder = course
    path = folder / "notebooks" / "00-index.ipynb"
    nb = nbformat.read(path, 4)
    nb.metadata["language_info"]["version"] = "3.0.1"
    nbformat.write(nb, path)
    before = path.read_bytes()
    model = run(CourseContents(root_dir=str(root)).get("rnnlesson/notebooks/00-index.ipynb"))
    assert model["content"]["metadata"]["language_info"]["version"] == platform.python_version()
    assert path.read_bytes() == before


def test_install_writes_the_server_settings_and_hides_nbgrader_from_learners(tmp_path):
    prefix = tmp_path / "env"
    folder = prefix / "etc" / "jupyter" / "jupyter_server_config.d"
    folder.mkdir(parents=True)
    (folder / "nbgrader.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": True, "other.extension": True}}}))
    main = prefix / "etc" / "jupyter" / "jupyter_server_config.json"
    main.write_text(json.dumps({"ServerApp": {"port": 9999}}))
    install(prefix, instructor=False)
    assert json.loads(main.read_text())["ServerApp"] == {
        "port": 9999, "contents_manager_class": "rnnlesson.labserver.CourseContents"}
    extensions = json.loads((folder / "rnnlesson.json").read_text())["ServerApp"]
    assert extensions["jpserver_extensions"] == {"nbgrader.server_extensions.formgrader": False}
    assert sorted(p.name for p in folder.iterdir()) == ["nbgrader.json", "rnnlesson.json"]
    install(prefix, instructor=True)
    assert json.loads((folder / "rnnlesson.json").read_text()) == {}


def test_this_venv_has_the_course_settings():
    """`make lab` and `make test` install them: a server started from this venv uses them."""
    code = ("from jupyter_server.serverapp import ServerApp\n"
            "app = ServerApp()\n"
            "app.load_config_file()\n"
            "print(app.config.ServerApp.contents_manager_class)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "rnnlesson.labserver.CourseContents", out.stdout + out.stderr


def test_git_ignores_the_working_copies():
    """A learner's answers in work/ are theirs: git never offers to commit or lose them."""
    path = "work/exercises/ex03-rnn-cell-forward.ipynb"
    out = subprocess.run(["git", "check-ignore", "-q", path],
                         cwd=REPO, capture_output=True)
    assert out.returncode == 0, "work/ is not ignored by git"
