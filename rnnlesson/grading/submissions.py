"""Read a class's submissions: a folder per student, or a learning platform's zip of the same.

``SUBMISSIONS/<student>/<stem>.ipynb`` (or nbgrader's ``<student>/<stem>/<stem>.ipynb``);
a zip may hold that layout at its top or under one top folder. Each notebook is checked
before grading, on a copy (the submission is only read): a file that is not a notebook is
``invalid-notebook``; a read-only cell (a test, the given code) that was edited or deleted
makes it ``tampered``. Deleted read-only cells are put back here, in their place, from the
handed-out exercise; nbgrader itself restores the contents of edited ones from the source
(hidden tests included) before it runs the notebook.
"""
from __future__ import annotations

import copy
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat


class SubmissionsError(ValueError):
    """The submissions folder or zip cannot be used."""


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name != "__MACOSX"


def _safe_extract(archive: zipfile.ZipFile, dest: Path) -> None:
    for info in archive.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
            raise SubmissionsError(f"unsafe path in zip: {info.filename!r}")
    archive.extractall(dest)


def unpack(submissions: Path, workdir: Path) -> Path:
    """The folder holding one sub-folder per student (a zip is extracted into workdir)."""
    submissions = Path(submissions)
    if submissions.is_dir():
        return submissions
    if not submissions.exists():
        raise SubmissionsError(f"submissions not found: {submissions} (expected a folder "
                               "with one sub-folder per student, or a .zip of that)")
    if not zipfile.is_zipfile(submissions):
        raise SubmissionsError(f"not a folder or a zip file: {submissions}")
    dest = Path(workdir) / "unzipped"
    dest.mkdir(parents=True)
    with zipfile.ZipFile(submissions) as archive:
        _safe_extract(archive, dest)
    entries = [p for p in dest.iterdir() if _visible(p)]
    # one top folder that holds folders but no notebooks is a wrapper, not a student
    if len(entries) == 1 and entries[0].is_dir() and not any(entries[0].glob("*.ipynb")):
        return entries[0]
    return dest


def list_students(root: Path) -> list[str]:
    """Student ids: the visible sub-folders of the submissions folder, sorted."""
    students = sorted(p.name for p in Path(root).iterdir() if p.is_dir() and _visible(p))
    if not students:
        raise SubmissionsError(f"no student folders in {root} (expected "
                               "<submissions>/<student>/<exercise>.ipynb)")
    return students


def submission_path(root: Path, student: str, exercise: str) -> Path:
    """``<student>/<exercise>.ipynb``, or nbgrader's ``<student>/<exercise>/<exercise>.ipynb``."""
    flat = Path(root) / student / f"{exercise}.ipynb"
    nested = Path(root) / student / exercise / f"{exercise}.ipynb"
    return nested if not flat.exists() and nested.exists() else flat


@dataclass
class Checked:
    """A submission after checking: a status it already has, or a notebook ready to grade."""

    status: str | None = None          # 'missing' or 'invalid-notebook'; None: grade it
    notebook: object = None            # the (repaired) notebook to grade
    notes: list[str] = field(default_factory=list)  # why: the fault, or what was tampered

    @property
    def tampered(self) -> bool:
        return self.status is None and bool(self.notes)

    @property
    def detail(self) -> str:
        return "; ".join(self.notes)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def restore_locked(submitted, released) -> tuple[object, list[str]]:
    """A copy of ``submitted`` with deleted read-only cells put back, and what was tampered."""
    notes, wanted = [], {}
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("locked"):
            wanted[_grade_id(cell)] = cell
    nb = copy.deepcopy(submitted)
    present = {}
    for cell in nb.cells:
        present.setdefault(_grade_id(cell), cell)
    for grade_id, original in wanted.items():
        cell = present.get(grade_id)
        if cell is None:
            notes.append(f"read-only cell {grade_id} was deleted (put back)")
        elif cell.cell_type != original.cell_type or cell.source != original.source:
            notes.append(f"read-only cell {grade_id} was edited (nbgrader restores it)")
    ids = {cell.get("id") for cell in nb.cells}
    anchor = -1
    for original in released.cells:
        grade_id = _grade_id(original)
        where = [i for i, cell in enumerate(nb.cells) if _grade_id(cell) == grade_id]
        if where:
            anchor = where[0]
        elif grade_id in wanted:
            cell = copy.deepcopy(original)
            if nb.get("nbformat_minor", 0) < 5:  # cell ids came with nbformat 4.5
                cell.pop("id", None)
            elif cell.get("id") in ids:
                cell["id"] = f"{cell['id']}-restored"[-64:]
            nb.cells.insert(anchor + 1, cell)
            anchor += 1
    return nb, notes


def check_submission(path: Path, released) -> Checked:
    """Read and check one submitted notebook against the released exercise."""
    path = Path(path)
    if not path.is_file():
        return Checked(status="missing", notes=[f"no file {path.name}"])
    try:
        nb = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # any reason the file is not a notebook
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        return Checked(status="invalid-notebook", notes=[reason])
    repaired, notes = restore_locked(nb, released)
    return Checked(notebook=repaired, notes=notes)
