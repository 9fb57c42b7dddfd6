"""The course's own table of contents: its notebooks, their titles, the map in the index.

A notebook is `notebooks/NN-slug.ipynb`; its title is the first `# ` heading of its first
cell. The course map in `00-index.ipynb` is a Markdown cell that starts with `MAP_MARKER`;
`scripts/update_index.py` rewrites it from `course_map_markdown()` and a test keeps it in sync.
"""

import json
import re
from pathlib import Path

NAME_PATTERN = re.compile(r"^(?P<number>\d\d)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.ipynb$")
INDEX_NAME = "00-index.ipynb"
MAP_MARKER = "<!-- course map: written by scripts/update_index.py from the notebooks' titles -->"

# The parts of the course: (name, first notebook number, last notebook number).
PARTS = (
    ("Foundations", 1, 4),
    ("The RNN", 5, 7),
    ("Learning", 8, 10),
    ("Models", 11, 16),
    ("Beyond", 17, 17),
)
OTHER_PART = "More"  # for a notebook numbered past the parts above


def notebooks_dir():
    """The repository's notebooks/ folder (the package is installed from the repository)."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def notebook_files(directory=None):
    """Every `*.ipynb` file in the folder (not its subfolders), sorted by name."""
    directory = Path(directory) if directory is not None else notebooks_dir()
    if not directory.is_dir():
        raise ValueError(f"directory: expected a folder of notebooks, got {str(directory)!r}")
    return sorted(p for p in directory.glob("*.ipynb") if p.is_file())


def parse_name(path):
    """'05-the-rnn-cell.ipynb' -> (5, 'the-rnn-cell'); a name off the pattern is an error."""
    match = NAME_PATTERN.match(Path(path).name)
    if match is None:
        raise ValueError(f"notebook name: expected NN-slug.ipynb (two digits, a lowercase "
                         f"hyphenated slug), got {Path(path).name!r}")
    return int(match["number"]), match["slug"]


def cell_source(cell):
    """A cell's text (stored either as one string or as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def read_notebook(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def notebook_title(path):
    """The title: the first line of the first cell, which must be a Markdown `# ` heading."""
    cells = read_notebook(path).get("cells", [])
    first = cell_source(cells[0]).lstrip().splitlines() if cells else []
    if not cells or cells[0]["cell_type"] != "markdown" or not first \
            or not first[0].startswith("# "):
        raise ValueError(f"{Path(path).name}: expected a first Markdown cell that starts with "
                         "'# <Title>'")
    return first[0][2:].strip()


def part_of(number):
    """The name of the part a notebook number belongs to."""
    for name, first, last in PARTS:
        if first <= number <= last:
            return name
    return OTHER_PART


def course_entries(directory=None):
    """[(number, file name, title, part)] for every notebook except the index, in order."""
    entries = []
    for path in notebook_files(directory):
        number, _ = parse_name(path)
        if path.name != INDEX_NAME:
            entries.append((number, path.name, notebook_title(path), part_of(number)))
    return entries


def course_map_markdown(directory=None):
    """The course map: the marker, then each part's notebooks as a numbered list of links."""
    lines = [MAP_MARKER, "## Course map"]
    part = None
    for number, name, title, this_part in course_entries(directory):
        if this_part != part:
            lines += ["", f"**{this_part}**", ""]
            part = this_part
        lines.append(f"{number}. [{title}]({name})")
    return "\n".join(lines)


def find_map_cell(notebook):
    """The position of the course-map cell in a notebook dict (the Markdown cell that starts
    with MAP_MARKER); an error if there is none or more than one."""
    found = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "markdown"
             and cell_source(cell).startswith(MAP_MARKER)]
    if len(found) != 1:
        raise ValueError(f"notebook: expected one Markdown cell starting with {MAP_MARKER!r}, "
                         f"got {len(found)}")
    return found[0]
