"""Write uv.lock's versions into environment.yml, so conda installs what pip and uv install.

    python scripts/pin_environment.py          # rewrite the pins (`make lock` runs this)
    python scripts/pin_environment.py --check  # only report; exit 1 if a pin differs

uv.lock is universal: a package can have one version for older Pythons and another for newer.
The stored outputs were made on REFERENCE (Python 3.11, Linux), so environment.yml pins that
Python and the versions the lock chooses there. Only the lines of PINNED change.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: jupyterlab depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "uv.lock"
ENVIRONMENT = REPO / "environment.yml"

# The interpreter the stored notebooks were executed with (the outputs nbval compares).
REFERENCE_PYTHON = "3.11.7"
REFERENCE = {
    "python_full_version": REFERENCE_PYTHON,
    "python_version": "3.11",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "extra": "",
}

# environment.yml's name -> the PyPI name of the same package. These are the packages the
# notebooks' outputs and widgets depend on: what a learner's conda environment must match.
PINNED = {
    "numpy": "numpy",
    "matplotlib-base": "matplotlib",
    "ipywidgets": "ipywidgets",
    "jupyterlab_widgets": "jupyterlab-widgets",
    "widgetsnbextension": "widgetsnbextension",
    "ipykernel": "ipykernel",
    "ipython": "ipython",
    "tqdm": "tqdm",
    "jupyterlab": "jupyterlab",
    "nbformat": "nbformat",
    "nbgrader": "nbgrader",
}
_LINE = re.compile(r"^(\s*-\s+)([A-Za-z0-9_.\-]+)(\s.*)?$")


def applies(package: dict, env: dict = REFERENCE) -> bool:
    """True if this locked version of a package is the one chosen on `env`."""
    markers = package.get("resolution-markers")
    return not markers or any(Marker(m).evaluate(env) for m in markers)


def locked_versions(lock_path: Path = LOCK, env: dict = REFERENCE) -> dict[str, str]:
    """{canonical PyPI name: version} that uv.lock installs on `env` (REFERENCE by default)."""
    lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    versions: dict[str, str] = {}
    for package in lock["package"]:
        if "version" in package and applies(package, env):
            name = canonicalize_name(package["name"])
            if name in versions and versions[name] != package["version"]:
                raise ValueError(
                    f"uv.lock: {name} has two versions for Python {env['python_full_version']}: "
                    f"{versions[name]} and {package['version']}"
                )
            versions[name] = package["version"]
    return versions


def pinned_text(text: str, versions: dict[str, str]) -> str:
    """environment.yml's text with each PINNED package (and python) at its locked version."""
    lines = []
    for line in text.splitlines(keepends=True):
        match = _LINE.match(line.rstrip("\n"))
        if match and match.group(2) in PINNED:
            pypi = canonicalize_name(PINNED[match.group(2)])
            if pypi not in versions:
                raise ValueError(f"environment.yml pins {match.group(2)}, which uv.lock lacks")
            line = f"{match.group(1)}{match.group(2)} =={versions[pypi]}\n"
        elif match and match.group(2) == "python":
            line = f"{match.group(1)}python =={REFERENCE_PYTHON}\n"
        lines.append(line)
    return "".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if stale")
    args = parser.parse_args(argv)
    text = ENVIRONMENT.read_text(encoding="utf-8")
    wanted = pinned_text(text, locked_versions())
    if wanted == text:
        print("environment.yml has uv.lock's versions")
        return 0
    if args.check:
        print("environment.yml differs from uv.lock: run `make lock` (or this script)")
        return 1
    ENVIRONMENT.write_text(wanted, encoding="utf-8")
    print("environment.yml: pins rewritten from uv.lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
