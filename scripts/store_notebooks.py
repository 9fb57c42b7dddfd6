"""Store the course's notebooks as JupyterLab will read them, so that opening one changes nothing.

    python scripts/store_notebooks.py          # fix notebooks/, solutions/ and exercises/
    python scripts/store_notebooks.py --check  # only report; exit 1 if one would change

Opened in JupyterLab, a notebook is marked modified (and a learner who only read it is asked
"Save changes?") when what is stored differs from what JupyterLab puts in its model:

- the kernel spec: on connecting, JupyterLab writes the running kernel's ``display_name``
  (ipykernel's is "Python 3 (ipykernel)") into ``metadata.kernelspec``;
- a cell whose outputs are hidden (``metadata.jupyter.outputs_hidden``): JupyterLab saves the
  older ``metadata.collapsed`` flag beside it.

It also folds the code of the cells that only draw a figure, so that a notebook reads as a
lesson with its code one click away (``metadata.jupyter.source_hidden``, which JupyterLab
honours and keeps when it saves). A cell only draws (`draws_only`) when

- every output it stored is a figure (no printed text, no value, no widget),
- its source has at least ``MIN_LINES`` lines,
- it trains nothing (no call of ``train``: an experiment is part of the lesson), and
- no later code cell reads a name it binds (a function a widget calls, a result the text
  uses) before binding that name again itself.

Before a kernel runs, JupyterLab cannot draw a widget and shows its ``text/plain`` instead: a
widget's repr (``VBox(children=(Dropdown(...``) or a progress bar as tqdm made it, at 0%. Each
widget output's text is stored as what a reader should see then (`widget_text`): a progress
bar as it finished (read from the stored widget state), any other widget as a one-line note
that it comes alive when the notebook runs.

Cells folded by hand (notebook 08 folds the cell that prints an exercise's answer) stay folded.
Every folded cell carries the tag ``hide-input`` (and ``hide-output`` where its outputs are
folded too), which the course site (myst-nb) renders as the same fold.

Run it after executing a notebook (nbconvert keeps the kernel spec it found in the file).
Nothing else in a notebook changes, and a second run changes nothing.
"""

import argparse
import ast
import symtable
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


MIN_LINES = 10
FOLD_TAGS = {"source_hidden": "hide-input", "outputs_hidden": "hide-output"}


def python_source(source: str) -> str:
    """A cell's source as Python (IPython's magics and shell escapes translated)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _reads(table: symtable.SymbolTable) -> set[str]:
    """The names a block and the functions, classes and comprehensions in it read from the
    notebook's namespace."""
    module = table.get_type() == "module"
    names = {s.get_name() for s in table.get_symbols()
             if s.is_referenced() and (module or s.is_global() or s.is_free())}
    for child in table.get_children():
        names |= _reads(child)
    return names


def effects(statement: ast.stmt) -> tuple[set[str], set[str]]:
    """(names bound, names read before being bound) by one top-level statement.

    A ``for``, ``with``, ``def`` or ``class`` binds its names before its body reads them; any
    other statement that both reads and binds a name (``x = f(x)``, an ``if``) counts as reading
    it first, which errs towards keeping a cell's code in view.
    """
    table = symtable.symtable(ast.unparse(statement), "<cell>", "exec")
    bound = {s.get_name() for s in table.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read = _reads(table)
    binds_first = (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.FunctionDef,
                   ast.AsyncFunctionDef, ast.ClassDef)
    if isinstance(statement, binds_first):
        read -= bound
    return bound, read


def _statements(cell) -> list[ast.stmt]:
    return ast.parse(python_source(cell.source)).body


def _only_figures(cell) -> bool:
    outputs = cell.get("outputs", [])
    return bool(outputs) and all(
        output.output_type == "display_data" and "image/png" in output.data
        and "application/vnd.jupyter.widget-view+json" not in output.data
        for output in outputs)


def _calls(statements: list[ast.stmt], name: str) -> bool:
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
               and node.func.id == name
               for statement in statements for node in ast.walk(statement))


def draws_only(cells: list, index: int) -> bool:
    """Whether code cell ``cells[index]`` only draws a figure (the rules in this module's
    docstring); ``cells`` are the notebook's cells in order."""
    cell = cells[index]
    if cell.cell_type != "code" or len(cell.source.splitlines()) < MIN_LINES:
        return False
    if not _only_figures(cell):
        return False
    statements = _statements(cell)
    if _calls(statements, "train"):
        return False
    names = set().union(*(effects(s)[0] for s in statements))
    for later in cells[index + 1:]:
        if not names:
            break
        if later.cell_type != "code":
            continue
        for statement in _statements(later):
            bound, read = effects(statement)
            if names & read:
                return False
            names -= bound
    return True


def _fold(cell, key: str) -> bool:
    """Fold a cell's source or outputs (``key`` in ``FOLD_TAGS``) in JupyterLab and on the
    site; True if that changed anything."""
    jupyter = cell.metadata.setdefault("jupyter", {})
    tags = cell.metadata.setdefault("tags", [])
    changed = jupyter.get(key) is not True or FOLD_TAGS[key] not in tags
    jupyter[key] = True
    if FOLD_TAGS[key] not in tags:
        tags.append(FOLD_TAGS[key])
    return changed


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = ("[An interactive figure with its controls: run the notebook (Run > Run All Cells) "
               "to use them.]")


def _plain(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).replace("\u2007", " ").strip()


def widget_text(model_id: str, state: dict) -> str:
    """What a widget output shows before a kernel draws it: a progress bar (tqdm's row of
    label, bar and counts) as it finished, or the note for any other widget."""
    models = state.get("state", {})
    model = models.get(model_id, {})
    children = [models.get(str(c).replace("IPY_MODEL_", ""), {})
                for c in model.get("state", {}).get("children", [])]
    kinds = [c.get("model_name") for c in children]
    if model.get("model_name") == "HBoxModel" and kinds == ["HTMLModel", "FloatProgressModel",
                                                           "HTMLModel"]:
        label, bar, counts = (c.get("state", {}) for c in children)
        done = (bar.get("value") or 0) / (bar.get("max") or 1)
        cells = "█" * round(10 * done) + " " * (10 - round(10 * done))
        return f"{_plain(label.get('value', ''))}|{cells}|{_plain(counts.get('value', ''))}"
    return WIDGET_NOTE


def store_widget_texts(notebook) -> bool:
    """Set every widget output's ``text/plain`` to `widget_text`; True if one changed."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    changed = False
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            text = widget_text(view.get("model_id", ""), state)
            if output.data.get("text/plain") != text:
                output.data["text/plain"] = text
                changed = True
    return changed


def store(notebook, spec: dict) -> bool:
    """Bring one notebook's metadata in line with JupyterLab's model and fold its drawing
    cells; True if it changed."""
    changed = store_widget_texts(notebook)
    if notebook.metadata.get("kernelspec") != spec:
        notebook.metadata["kernelspec"] = dict(spec)
        changed = True
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        jupyter = cell.metadata.get("jupyter", {})
        if jupyter.get("source_hidden") or draws_only(notebook.cells, index):
            changed |= _fold(cell, "source_hidden")
        if jupyter.get("outputs_hidden"):
            changed |= _fold(cell, "outputs_hidden")
            if cell.metadata.get("collapsed") is not True:
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
