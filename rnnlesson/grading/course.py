"""A throwaway nbgrader course directory built from ``solutions/``.

nbgrader wants ``<root>/source/<assignment>/<notebook>.ipynb`` with its metadata on every cell;
each solution notebook becomes one assignment named by its stem. ``build_course`` stamps the
markers into metadata (on copies), then runs nbgrader's ``generate_assignment``, which writes
the learner's version to ``<root>/release/<stem>/<stem>.ipynb`` and the tests to the gradebook.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import nbformat

from .markers import stamp


class CourseError(RuntimeError):
    """nbgrader could not build the course from the solution notebooks."""


def solution_notebooks(solutions: Path) -> list[Path]:
    """The solution notebooks in a flat folder, sorted by name (checkpoints skipped)."""
    solutions = Path(solutions)
    if not solutions.is_dir():
        raise FileNotFoundError(f"solutions folder not found: {solutions}")
    return sorted(p for p in solutions.glob("*.ipynb") if not p.name.startswith("."))


@contextlib.contextmanager
def nbgrader_env():
    """Put this interpreter's bin folder first on PATH while nbgrader runs.

    nbgrader calls the ``alembic`` command when it creates a gradebook, and the kernel spec
    starts ``python`` from PATH; both must come from the environment nbgrader lives in.
    """
    old = os.environ.get("PATH", "")
    bin_dir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bin_dir + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


def read_notebook(path: Path):
    return nbformat.read(str(path), as_version=4)


def notebook_bytes(nb) -> bytes:
    """Fixed JSON formatting (nbformat's: indent 1, sorted keys) ending in one newline."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes through a temporary file and a rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def make_api(root: Path, config=None):
    """An in-process ``NbGraderAPI`` on the course at ``root`` (gradebook: root/gradebook.db)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = config or Config()
    config.CourseDirectory.root = str(Path(root).resolve())
    config.Exchange.root = str(Path(root).resolve() / "exchange")  # unused; keeps it local
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.ERROR)
    return api


def create_gradebook(root: Path) -> None:
    """An empty gradebook at root/gradebook.db, labelled with nbgrader's schema revision.

    nbgrader starts the ``alembic`` command to find that label whenever it creates a
    gradebook (seconds on a busy machine); asking alembic in-process does the same, faster.
    """
    import nbgrader
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    head = ScriptDirectory.from_config(alembic).get_current_head()
    engine = create_engine(f"sqlite:///{Path(root).resolve() / 'gradebook.db'}")
    Base.metadata.create_all(bind=engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    engine.dispose()


def build_course(notebooks: list[Path], root: Path) -> dict[str, Path]:
    """Stamp each solution into ``root/source`` and run ``generate_assignment`` on it.

    Returns stem -> the released (learner's) notebook. Raises MarkerError for bad markers,
    CourseError when nbgrader rejects a notebook.
    """
    root = Path(root)
    for path in notebooks:
        stamped = stamp(read_notebook(path), path.name)
        dest = root / "source" / path.stem / f"{path.stem}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(notebook_bytes(stamped))
    released = {}
    with nbgrader_env():
        create_gradebook(root)
        api = make_api(root)
        for path in notebooks:
            result = api.generate_assignment(path.stem, force=True, create=True)
            if not result["success"]:
                raise CourseError(f"nbgrader generate_assignment failed on {path}:\n"
                                  f"{result.get('log', '')}{result.get('error', '')}")
            released[path.stem] = root / "release" / path.stem / f"{path.stem}.ipynb"
    return released


def exercise_bytes(released: Path) -> bytes:
    """The learner's notebook as stored in ``exercises/``: no outputs, no run-specific metadata."""
    nb = read_notebook(released)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return notebook_bytes(nb)
