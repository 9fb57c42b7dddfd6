"""Mutants of each solution (tests/mutants.py) through the exercise's visible checks: every
mutant that computes something else on some input is caught, and the message names what the
mutation touched (an identifier of the mutated expression or of what its statement assigns,
in the lecture's words: the catalogue file's MUTANTS["aliases"]).

A mutant computes something else when the general check's random cases (the exercise's
`Spec`, `rnnlesson/checks/_differential.py`, with many more cases than a check runs) find an
input where it differs from the unmutated solution, or when it raises. The measured shares are
the table of tests/catalogue/README.md, which this test keeps true.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import itertools
import linecache
import re
import runpy
import signal

import pytest
from mutants import REPO, answer_cell, mutants

from rnnlesson import checks
from rnnlesson.checks import CheckFailure
from rnnlesson.checks import _differential as differential

CATALOGUE = REPO / "tests" / "catalogue"
IGNORED = {"np", "params", "cache", "caches", "range", "len", "shape", "zeros", "zeros_like",
           "copy", "append", "T", "keepdims", "axis", "reversed", "float", "int", "list"}


def configs():
    """(exercise, config) for each learner function mutated: a catalogue file's MUTANTS is
    one config or a list of them, one per function."""
    found = []
    for path in sorted(CATALOGUE.glob("ex*.py")):
        data = runpy.run_path(str(path))
        listed = data.get("MUTANTS", [])
        for config in [listed] if isinstance(listed, dict) else listed:
            found.append(pytest.param(path.stem, config,
                                      id=f"{path.stem}-{config['function']}"))
    return found


CELLS = itertools.count()


class TookTooLong(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float):
    def stop(signum, frame):
        raise TookTooLong()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def spec_of(config):
    module, _, name = config["spec"].partition(":")
    return getattr(importlib.import_module(module), name)


def define(before, source, function):
    """function as a learner's cell defines it, after the given cells; its source is in
    linecache, as IPython keeps a cell's, so that messages can quote the learner's line."""
    namespace = {"__name__": "__learner__"}
    name = f"<learner cell {next(CELLS)}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in before:
            exec(compile(cell, "<given cell>", "exec"), namespace)
        exec(compile(source, name, "exec"), namespace)
    return namespace[function]


def differs(spec, original, mutant) -> bool:
    """Whether mutant computes something other than original on one of many random cases."""
    def reference(**inputs):
        return spec.read(original(*inputs.values()), inputs)

    against = dataclasses.replace(spec, reference=reference, probes=[])
    with contextlib.redirect_stdout(io.StringIO()):
        return bool(differential.counterexamples(against, mutant, count=120, seed=7, most=1))


def named(message: str, identifiers: set, config) -> bool:
    aliases = config.get("aliases", {})
    outputs = set(config.get("outputs", ()))
    words = set()
    for identifier in identifiers - IGNORED:
        words |= {identifier, *aliases.get(identifier, ())}
    text = message.split("Smallest case found")[0]
    # "a_next is wrong (yt_pred right)." says which output differs, not which term: an output's
    # name counts only where it is the whole finding (its shape, its form)
    text = re.sub(r"^\w+: [\w, ]+ (is|are) wrong( \([\w, ]+ right\))?\.", "", text)
    # the probes' evidence ("with wv = 0 yours agrees") names inputs, not the fault
    text = re.sub(r"\((with|With) [^()]*\)", "", text)
    if outputs and not (identifiers - IGNORED - set(outputs)):
        text = message
    return any(re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", text) for w in words)


def measure(stem, config):
    notebook = next((REPO / "solutions").glob(f"{stem}-*.ipynb"))
    extra = tuple(config.get("args", ()))
    before, source = answer_cell(notebook, config["function"])
    spec = spec_of(config)
    original = define(before, source, config["function"])
    report = {"mutants": 0, "equivalent": 0, "caught": 0, "named": 0, "passing": [],
              "unnamed": [], "raw": []}
    for mutant in mutants(source, config["function"]):
        try:
            with deadline(20):
                fn = define(before, mutant.source, config["function"])
                if not differs(spec, original, fn):
                    report["equivalent"] += 1
                    continue
        except TookTooLong:
            pass
        except Exception:  # noqa: BLE001 - a mutant that does not even define: no answer
            continue
        report["mutants"] += 1
        try:
            with deadline(60), contextlib.redirect_stdout(io.StringIO()):
                for check in config["checks"]:
                    getattr(checks, check)(fn, *extra)
        except CheckFailure as failure:
            report["caught"] += 1
            if named(str(failure), mutant.identifiers, config):
                report["named"] += 1
            else:
                report["unnamed"].append((mutant.description, str(failure)[:300]))
        except TookTooLong:
            report["raw"].append((mutant.description, "the checks took over 60 s"))
        except Exception as err:  # noqa: BLE001 - what a learner must never see
            report["raw"].append((mutant.description, f"{type(err).__name__}: {err}"))
        else:
            report["passing"].append(mutant.description)
    return report


def readme_row(stem, report, function) -> str:
    share = report["named"] / report["mutants"] if report["mutants"] else 1.0
    return (f"| {stem} | `{function}` | {report['mutants']} | {report['equivalent']} | "
            f"{report['caught']} | {report['named']} ({share:.0%}) |")


@pytest.mark.parametrize("stem, config", configs())
def test_every_mutant_is_caught_and_named(stem, config):
    report = measure(stem, config)
    assert report["mutants"] >= config.get("at_least", 10), report
    assert not report["passing"], f"mutants that pass every check: {report['passing']}"
    assert not report["raw"], f"mutants that crash the checks: {report['raw']}"
    share = report["named"] / report["mutants"]
    assert share >= config.get("named_share", 0.95), "\n".join(
        f"{d}: {m}" for d, m in report["unnamed"])
    table = (CATALOGUE / "README.md").read_text()
    row = readme_row(stem, report, config["function"])
    assert row in table, f"tests/catalogue/README.md should hold the measured row:\n{row}"


def test_the_mutants_table_lists_every_function_measured():
    table = (CATALOGUE / "README.md").read_text()
    listed = set(re.findall(r"^\| (ex\d\d) \| `(\w+)` \|", table, re.M))
    assert listed == {(p.values[0], p.values[1]["function"]) for p in configs()}


def main():  # python tests/test_mutants.py [exNN...]: print each report (for the README)
    import sys

    wanted = set(sys.argv[1:])
    for param in configs():
        stem, config = param.values
        if wanted and not wanted & {stem, config["function"]}:
            continue
        report = measure(stem, config)
        print(readme_row(stem, report, config["function"]))
        for description in report["passing"]:
            print("  PASSES:", description)
        for description, message in report["raw"]:
            print("  RAW:", description, message)
        for description, message in report["unnamed"]:
            print("  UNNAMED:", description, "::", message.replace("\n", " | ")[:250])


if __name__ == "__main__":
    main()
