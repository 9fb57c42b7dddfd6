"""Store the course's notebooks as JupyterLab will read them, so that opening one changes nothing.

    python scripts/store_notebooks.py          # fix notebooks/, solutions/ and exercises/
    python scripts/store_notebooks.py --check  # only report; exit 1 if one would change

Opened in JupyterLab, a notebook is marked modified (and a learner who only read it is asked
"Save changes?") when what is stored differs from what JupyterLab puts in its model:

- the kernel spec: on connecting, JupyterLab writes the running kernel's ``display_name``
  (ipykernel's is "Python 3 (ipykernel)") into ``metadata.kernelspec``;
- a cell whose outputs are hidden (``metadata.jupyter.outputs_hidden``): JupyterLab saves the
  older ``metadata.collapsed`` flag beside it.

Run it after executing a notebook (nbconvert keeps the kernel spec it found in the file).
Nothing else in a notebook changes, and a second run changes nothing.
"""

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "solutions", "exercises")


def kernelspec() -> dict:
    """The kernel spec JupyterLab finds for the course's kernel, as a notebook stores it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    return {"display_name": spec.display_name, "language": spec.language, "name": "python3"}


def store(notebook, spec: dict) -> bool:
    """Bring one notebook's metadata in line with JupyterLab's model; True if it changed."""
    changed = False
    if notebook.metadata.get("kernelspec") != spec:
        notebook.metadata["kernelspec"] = dict(spec)
        changed = True
    for cell in notebook.cells:
        hidden = cell.metadata.get("jupyter", {}).get("outputs_hidden", False)
        if cell.cell_type == "code" and hidden and cell.metadata.get("collapsed") is not True:
            cell.metadata["collapsed"] = True
            changed = True
    return changed


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.ipynb"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only, change nothing")
    args = parser.parse_args(argv)
    spec = kernelspec()
    stale = []
    for path in notebooks():
        notebook = nbformat.read(path, as_version=4)
        if store(notebook, spec):
            stale.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                nbformat.write(notebook, path)
    verb = "would change" if args.check else "changed"
    for name in stale:
        print(f"{verb}: {name}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
