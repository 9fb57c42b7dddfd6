"""The course's Jupyter server settings: learners' answers kept apart, notebooks left as they are.

Two things a plain JupyterLab gets wrong for a course kept in git:

- **A learner's answers would sit in the tracked files.** `CourseContents` keeps them in a
  working copy: the first time a learner saves ``exercises/<name>.ipynb`` of the course, the
  save goes to ``work/exercises/<name>.ipynb`` (ignored by git), and from then on opening the
  exercise opens that copy. The learner sees one exercise with their answers in it; the
  handed-out file stays as released, so ``make test``, ``git pull`` and ``rnnlesson release``
  never meet, and never overwrite, an answer. Checkpoints go to the working copy's folder.
- **Opening a notebook would mark it modified.** JupyterLab writes the kernel's
  ``language_info`` into the notebook when the kernel starts, so a notebook stored with
  Python 3.11.7 is "changed" on any other Python, a reader is asked "Save changes?", and
  autosave rewrites a tracked file. `CourseContents` serves a notebook's ``language_info``
  with this Python's version (the kernel's: the course's kernel runs on the server's
  Python), so JupyterLab finds nothing to change; the file on disk is untouched.

``python -m rnnlesson.labserver`` installs these settings into the running environment (its
``etc/jupyter``), with JupyterLab's news pop-up off and nbgrader's menus hidden from
learners (``--instructor`` keeps them): ``make lab``, ``make test`` and Binder's
``postBuild`` run it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from jupyter_server.services.contents.filecheckpoints import AsyncFileCheckpoints
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from traitlets import TraitError, Unicode, default, validate

WORK = "work"
COURSE_MARK = ("notebooks", "00-index.ipynb")


def work_copy(root_dir: str, path: str, work: str = WORK) -> str | None:
    """The working copy's OS path for the API path of a course's exercise, else None (work:
    the working copies' folder, relative to the course)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) < 2 or parts[-2] != "exercises" or not parts[-1].endswith(".ipynb") \
            or parts[-1].startswith("."):
        return None
    course = os.path.join(root_dir, *parts[:-2])
    if not os.path.isfile(os.path.join(course, *COURSE_MARK)):
        return None
    return os.path.join(course, work, "exercises", parts[-1])


def work_folder(root_dir: str, path: str, work: str = WORK) -> str | None:
    """The working copies' folder for the API path of a course's ``exercises`` folder."""
    copy = work_copy(root_dir, path.rstrip("/") + "/x.ipynb", work)
    return os.path.dirname(copy) if copy else None


class CourseCheckpoints(AsyncFileCheckpoints):
    """Checkpoints of an exercise kept beside its working copy, not in ``exercises/``."""

    def _get_os_path(self, path):
        folder = work_folder(self.root_dir, path, getattr(self.parent, "work", WORK))
        if folder is not None:
            os.makedirs(folder, exist_ok=True)
            return folder
        return super()._get_os_path(path)


class CourseContents(AsyncLargeFileManager):
    """Jupyter's file manager, with the two changes of the module's doc."""

    work = Unicode(WORK, help="The folder of the learners' working copies, relative to the "
                   "course's folder (inside it, so the server may serve it).").tag(config=True)

    @validate("work")
    def _relative_work(self, proposal):
        value = proposal["value"]
        if not value or os.path.isabs(value) or ".." in Path(value).parts:
            raise TraitError(f"CourseContents.work: expected a folder inside the course, "
                             f"relative to it (such as 'work'), got {value!r}")
        return value

    @default("checkpoints_class")
    def _checkpoints_class_default(self):
        return CourseCheckpoints

    def _get_os_path(self, path):
        copy = work_copy(self.root_dir, path, self.work)
        if copy is not None and os.path.isfile(copy):
            return copy
        return super()._get_os_path(path)

    async def save(self, model, path=""):
        copy = work_copy(self.root_dir, path, self.work)
        if copy is not None and not os.path.isfile(copy):
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            released = super()._get_os_path(path)
            if os.path.isfile(released):
                shutil.copy2(released, copy)
            else:
                Path(copy).touch()
        return await super().save(model, path)

    async def get(self, path, content=True, type=None, format=None, require_hash=False):
        model = await super().get(path, content=content, type=type, format=format,
                                  require_hash=require_hash)
        if model.get("type") == "notebook" and content and model.get("content") is not None:
            info = model["content"].get("metadata", {}).get("language_info")
            if isinstance(info, dict) and info.get("name") == "python" and "version" in info:
                info["version"] = platform.python_version()
        return model


CONTENTS = "rnnlesson.labserver.CourseContents"
NEWS = "@jupyterlab/apputils-extension:announcements"
NBGRADER_LAB = "@jupyter/nbgrader"


def server_extensions(folder: Path, prefix: str) -> list[str]:
    """The server extensions whose module starts with prefix, in the config folder's files."""
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            enabled = json.loads(path.read_text()).get("ServerApp", {}).get(
                "jpserver_extensions", {})
        except (OSError, ValueError, AttributeError):
            continue
        found += [name for name in enabled if name.startswith(prefix)]
    return sorted(set(found))


def install(prefix: Path, instructor: bool) -> list[str]:
    """Write the settings into the environment at prefix; returns what was done.

    The contents manager goes in ``etc/jupyter/jupyter_server_config.json`` (the server reads
    its own settings there; its ``.d`` folder is read for extensions only), merged with what
    that file holds; the server extensions nbgrader enables are switched off for learners in
    ``jupyter_server_config.d/rnnlesson.json``, read after nbgrader's own file.
    """
    done = []
    etc = prefix / "etc" / "jupyter"
    folder = etc / "jupyter_server_config.d"
    folder.mkdir(parents=True, exist_ok=True)
    main = etc / "jupyter_server_config.json"
    try:
        settings = json.loads(main.read_text()) if main.is_file() else {}
    except ValueError:
        settings = {}
    settings.setdefault("ServerApp", {})["contents_manager_class"] = CONTENTS
    main.write_text(json.dumps(settings, indent=1) + "\n")
    done.append(f"wrote {main}")
    extensions = {}
    nbgrader = server_extensions(folder, "nbgrader.")
    if nbgrader and not instructor:
        extensions = {"ServerApp": {"jpserver_extensions": {name: False for name in nbgrader}}}
    (folder / "rnnlesson.json").write_text(json.dumps(extensions, indent=1) + "\n")
    done.append(f"wrote {folder / 'rnnlesson.json'}")
    if Path(prefix).resolve() != Path(sys.prefix).resolve():
        return done  # JupyterLab's own settings are this environment's: written below
    jupyter = [sys.executable, "-m", "jupyter", "labextension"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([*jupyter, "disable", "--level=sys_prefix", NEWS], **quiet, check=True)
    done.append("JupyterLab's news off")
    if nbgrader:
        verb = "enable" if instructor else "disable"
        subprocess.run([*jupyter, verb, "--level=sys_prefix", NBGRADER_LAB], **quiet,
                       check=True)
        done.append(f"nbgrader's menus {'shown (the instructor lab)' if instructor else 'hidden'}")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Install the course's Jupyter settings "
                                     "into this environment.")
    parser.add_argument("--instructor", action="store_true",
                        help="keep nbgrader's menus (the instructor's lab)")
    args = parser.parse_args(argv)
    for line in install(Path(sys.prefix), args.instructor):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
