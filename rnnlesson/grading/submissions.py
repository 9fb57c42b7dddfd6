"""Read a class's submissions: a folder per student, or a learning platform's zip of the same.

``SUBMISSIONS/<student>/<stem>.ipynb`` (or nbgrader's ``<student>/<stem>/<stem>.ipynb``);
a zip may hold that layout at its top or under one top folder. Each notebook is checked
before grading, on a copy (the submission is only read): a file that is not a notebook is
``invalid-notebook``; a read-only cell (a test, the given code) that was edited or deleted
makes it ``tampered``. Deleted read-only cells are put back here, in their place, from the
handed-out exercise; nbgrader itself restores the contents of edited ones from the source
(hidden tests included) before it runs the notebook.

Honest accidents are repaired, not punished: cells whose nbgrader metadata an editor
stripped get it back from the exercise (matched by content, in the learner's order); a
copy-pasted answer counts once (the last copy), a copy-pasted test runs once. Student ids
are the folder names as they are. Symbolic links are never followed out of the submissions.
"""
from __future__ import annotations

import copy
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat


class SubmissionsError(ValueError):
    """The submissions folder or zip cannot be used."""


# what file managers, archivers and Jupyter leave behind: never a student
NOT_STUDENTS = {"__MACOSX", ".ipynb_checkpoints", ".git", ".DS_Store", ".Trash", ".Trashes",
                "__pycache__", ".virtual_documents"}


REFUSED = ".rnnlesson-refused"  # in a student's folder whose zip was refused: why
# what the grader reads, whatever it is given: checked before anything is unpacked or parsed
MAX_NOTEBOOK = 16 * 1024**2        # bytes of one submitted notebook (the course's are < 1 MB)
MAX_CELLS = 2000                   # cells of one notebook
MAX_MEMBERS = 200_000              # entries of one zip
MAX_UNPACKED = 4 * 1024**3         # bytes one zip may unpack to, all its members together
MAX_INNER_ZIP = 256 * 1024**2      # bytes of a student's own zip inside the class's zip


def _visible(path: Path) -> bool:
    return path.name not in NOT_STUDENTS


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f} MB"


def _safe_extract(archive: zipfile.ZipFile, dest: Path, name: str,
                  kinds=(".ipynb", ".zip")) -> None:
    """Extract the members of these kinds (notebooks, and a student's own zip), after
    checking every member's path and the sizes its header declares (which zipfile holds
    each member to while reading): a zip bomb is refused before a byte is written."""
    try:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SubmissionsError(f"{name}: the zip holds {len(infos)} entries, more than "
                                   f"the {MAX_MEMBERS} the grader reads")
        wanted, total = [], 0
        for info in infos:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
                raise SubmissionsError(f"{name}: unsafe path in the zip: {info.filename!r}")
            if info.is_dir():  # a student's folder, even an empty one
                wanted.append(info)
                continue
            if not info.filename.lower().endswith(kinds):
                continue
            cap = MAX_INNER_ZIP if info.filename.lower().endswith(".zip") else MAX_NOTEBOOK
            if info.file_size > cap:
                raise SubmissionsError(f"{name}: {info.filename!r} unpacks to "
                                       f"{_mb(info.file_size)}, more than the {_mb(cap)} the "
                                       "grader reads of one file")
            total += info.file_size
            wanted.append(info)
        if total > MAX_UNPACKED:
            raise SubmissionsError(f"{name}: the zip unpacks to {_mb(total)}, more than the "
                                   f"{_mb(MAX_UNPACKED)} the grader unpacks")
        for info in wanted:
            archive.extract(info, dest)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as err:
        raise SubmissionsError(f"{name}: the zip cannot be read ({err}); is it complete? "
                               "Download or export it again") from None


def _open_zip(path: Path, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionsError(f"{name}: not a readable zip file ({err}); is it complete? "
                               "Download or export it again") from None


def unpack(submissions: Path, workdir: Path) -> Path:
    """The folder holding one sub-folder per student (a zip is extracted into workdir)."""
    submissions = Path(submissions)
    if submissions.is_dir():
        return submissions
    if not submissions.exists():
        raise SubmissionsError(f"submissions not found: {submissions} (expected a folder "
                               "with one sub-folder per student, or a .zip of that)")
    if not zipfile.is_zipfile(submissions) and submissions.suffix.lower() != ".zip":
        raise SubmissionsError(f"not a folder or a zip file: {submissions}")
    dest = Path(workdir) / "unzipped"
    dest.mkdir(parents=True)
    with _open_zip(submissions, str(submissions)) as archive:
        _safe_extract(archive, dest, str(submissions))
    entries = [p for p in dest.iterdir() if _visible(p)]
    if not any(p.is_dir() for p in entries):
        raise SubmissionsError(f"{submissions}: the zip holds no student folders (expected "
                               "<student>/<exercise>.ipynb inside it)")
    # one top folder that holds folders but no notebooks is a wrapper, not a student
    if len(entries) == 1 and entries[0].is_dir() and not any(entries[0].glob("*.ipynb")):
        return entries[0]
    return dest


def inside(path: Path, root: Path) -> bool:
    """Whether path, with every link followed, stays inside root."""
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real == top or top in real.parents


def collect_students(root: Path, workdir: Path) -> tuple[dict[str, Path], list[str]]:
    """Student id (the folder name, as it is) -> the folder holding that student's work.

    A student folder that holds no notebook but a zip is unpacked (into workdir). Returns
    the folders and notes on what was skipped or unpacked.
    """
    root = Path(root)
    folders, notes = {}, []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if not _visible(path):
            notes.append(f"skipped {path.name!r}: not a student folder")
            continue
        if path.is_symlink() and not inside(path, root):
            notes.append(f"skipped {path.name!r}: a link to outside the submissions")
            continue
        if not path.is_dir():
            notes.append(f"skipped {path.name!r}: a file, not a student folder")
            continue
        folder = path
        zips = sorted(path.glob("*.zip"))
        if zips and not any(path.rglob("*.ipynb")):
            folder = Path(workdir) / "student-zips" / str(len(folders))
            folder.mkdir(parents=True)
            try:
                for number, archive in enumerate(zips):
                    with _open_zip(archive, f"{path.name}/{archive.name}") as handle:
                        _safe_extract(handle, folder / str(number),
                                      f"{path.name}/{archive.name}", kinds=(".ipynb",))
            except SubmissionsError as err:  # this student's zip only: the class goes on
                shutil.rmtree(folder)
                folder.mkdir()
                (folder / REFUSED).write_text(str(err))
                notes.append(f"{path.name!r}: not unpacked: {err}")
                folders[path.name] = folder
                continue
            found = sorted(folder.rglob("*.ipynb"))
            if found:
                flat = folder / "notebooks"
                flat.mkdir()
                for nb in found:
                    if not (flat / nb.name).exists() and ".ipynb_checkpoints" not in nb.parts:
                        os.replace(nb, flat / nb.name)
                folder = flat
            notes.append(f"{path.name!r}: unpacked {', '.join(z.name for z in zips)} "
                         f"({len(found)} notebooks in it)")
        folders[path.name] = folder
    if not folders:
        raise SubmissionsError(f"no student folders in {root} (expected "
                               "<submissions>/<student>/<exercise>.ipynb)")
    return folders, notes


def submission_path(folder: Path, exercise: str) -> Path:
    """``<folder>/<exercise>.ipynb``, or nbgrader's ``<folder>/<exercise>/<exercise>.ipynb``."""
    flat = Path(folder) / f"{exercise}.ipynb"
    nested = Path(folder) / exercise / f"{exercise}.ipynb"
    return nested if not flat.exists() and nested.exists() else flat


@dataclass
class Checked:
    """A submission after checking: a status it already has, or a notebook ready to grade."""

    status: str | None = None          # 'missing' or 'invalid-notebook'; None: grade it
    notebook: object = None            # the (repaired) notebook to grade
    notes: list[str] = field(default_factory=list)  # why: the fault, or what was tampered
    repairs: list[str] = field(default_factory=list)  # honest accidents that were repaired

    @property
    def tampered(self) -> bool:
        return self.status is None and bool(self.notes)

    @property
    def detail(self) -> str:
        return "; ".join(self.notes + self.repairs)


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


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return ""


def rebuild_metadata(nb, released) -> list[str]:
    """Give cells that lost their nbgrader metadata that of the exercise cell they came from.

    Read-only and test cells are matched by their source; an answer cell is the learner's
    code cell between the cells that surround it in the exercise (the one that starts like
    the stub, or else the last). Changes nb in place; returns notes.
    """
    present = {_meta(c).get("grade_id") for c in nb.cells} - {None}
    missing = [c for c in released.cells if _meta(c).get("grade_id") not in present]
    bare = [i for i, c in enumerate(nb.cells) if not _meta(c)]
    if not missing or not bare:
        return []
    matched: dict[int, int] = {}  # learner index -> released index
    for r, cell in enumerate(released.cells):
        meta = _meta(cell)
        if meta.get("grade_id") in present or meta.get("solution"):
            continue
        for i in bare:
            if i not in matched and nb.cells[i].cell_type == cell.cell_type and \
                    nb.cells[i].source.strip() == cell.source.strip():
                matched[i] = r
                break
    anchors = sorted([(i, r) for i, r in matched.items()] + [
        (i, next(r for r, c in enumerate(released.cells)
                 if _meta(c).get("grade_id") == _meta(cell).get("grade_id")))
        for i, cell in enumerate(nb.cells) if _meta(cell).get("grade_id") in present])
    for r, cell in enumerate(released.cells):
        meta = _meta(cell)
        if not meta.get("solution") or meta.get("grade_id") in present:
            continue
        before = max((i for i, rr in anchors if rr < r), default=-1)
        after = min((i for i, rr in anchors if rr > r), default=len(nb.cells))
        candidates = [i for i in bare if before < i < after and i not in matched
                      and nb.cells[i].cell_type == "code"]
        if not candidates:
            continue
        stub = _first_code_line(cell.source)
        alike = [i for i in candidates if stub and _first_code_line(nb.cells[i].source) == stub]
        matched[(alike or candidates)[-1]] = r
    for i, r in matched.items():
        nb.cells[i].metadata["nbgrader"] = copy.deepcopy(_meta(released.cells[r]))
    return [f"the nbgrader metadata of {len(matched)} cells was missing (an editor may have "
            "stripped it) and was rebuilt from the exercise"] if matched else []


def resolve_duplicates(nb) -> list[str]:
    """Copy-pasted cells: the last copy of an answer counts, a test runs once.

    Earlier copies of an answer and later copies of given code lose their nbgrader
    metadata (they run as ordinary cells); later copies of a test are removed. Also gives
    cells with a duplicated cell id a new one.
    """
    by_id: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        grade_id = _meta(cell).get("grade_id")
        if grade_id:
            by_id.setdefault(grade_id, []).append(i)
    notes, drop = [], set()
    for grade_id, where in by_id.items():
        if len(where) < 2:
            continue
        meta = _meta(nb.cells[where[0]])
        if meta.get("solution") and not meta.get("grade"):
            others = where[:-1]
            notes.append(f"answer {grade_id} appears {len(where)} times; the last copy counts")
        else:
            others = where[1:]
            notes.append(f"cell {grade_id} appears {len(where)} times; the first copy is used")
        for i in others:
            if meta.get("grade"):
                drop.add(i)
            else:
                nb.cells[i].metadata.pop("nbgrader", None)
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    seen = set()
    for cell in nb.cells:
        if "id" in cell:
            if cell["id"] in seen:
                cell["id"] = uuid.uuid4().hex[:12]
            seen.add(cell["id"])
    return notes


def check_submission(path: Path, released, folder: Path | None = None) -> Checked:
    """Read and check one submitted notebook against the released exercise."""
    path = Path(path)
    if folder is not None and (Path(folder) / REFUSED).is_file():
        return Checked(status="invalid-notebook",
                       notes=[(Path(folder) / REFUSED).read_text()[:500]])
    if path.is_symlink() or (folder is not None and path.exists()
                             and not inside(path, Path(folder))):
        return Checked(status="invalid-notebook",
                       notes=[f"{path.name} is a symbolic link; links are not followed"])
    if not path.is_file():
        return Checked(status="missing", notes=[f"no file {path.name}"])
    size = path.stat().st_size
    if size > MAX_NOTEBOOK:
        return Checked(status="invalid-notebook", notes=[
            f"{path.name} is {_mb(size)}, more than the {_mb(MAX_NOTEBOOK)} the grader reads "
            "(a notebook of the course is under 1 MB; clear its outputs and hand it in again)"])
    try:
        nb = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        if len(nb.cells) > MAX_CELLS:
            raise ValueError(f"{len(nb.cells)} cells, more than the {MAX_CELLS} the grader "
                             "reads")
        for cell in nb.cells:  # the grader runs the code; what it printed before is not read
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        repairs = resolve_duplicates(nb)
        repairs += rebuild_metadata(nb, released)
        nbformat.validate(nb)
    except Exception as err:  # any reason the file is not a notebook
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        return Checked(status="invalid-notebook", notes=[reason])
    repaired, notes = restore_locked(nb, released)
    return Checked(notebook=repaired, notes=notes, repairs=repairs)
