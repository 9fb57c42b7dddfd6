"""One set of versions: uv.lock pins what pyproject.toml allows, environment.yml pins the same."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: jupyterlab depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import pin_environment as pins  # noqa: E402

# conda-forge names that differ from the PyPI name of the same thing.
CONDA_TO_PYPI = {name: pypi for name, pypi in pins.PINNED.items() if name != pypi}
# In the conda environment only: the interpreter, pip itself, and the link-opener a hub needs.
CONDA_ONLY = {"python", "pip", "nbgitpuller"}
_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")
# Never part of the course's environments: an optional comparison only, installed by hand.
NEVER_LOCKED = {"torch", "torchvision"}


@pytest.fixture(scope="module")
def env():
    return yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project(pyproject):
    return pyproject["project"]


@pytest.fixture(scope="module")
def lock():
    return tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def locked():
    return pins.locked_versions()


def conda_specs(env) -> dict[str, SpecifierSet]:
    """{PyPI-style canonical name: version specifiers} of the conda (non-pip) dependencies."""
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _CONDA_SPEC.match(dep).groups()
            name = CONDA_TO_PYPI.get(name, name)
            specs[canonicalize_name(name)] = SpecifierSet(spec.replace(" ", ""))
    return specs


def requirements(project, extras=("instructor",)) -> dict[str, Requirement]:
    """Runtime dependencies plus the given extras' requirements, by canonical name."""
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs if r.name != project["name"]}


def pip_section(env) -> list[str]:
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    return []


# --------------------------------------------------------------------------- the lock


def test_lock_is_up_to_date_with_pyproject():
    """uv's own check: the lock resolves pyproject.toml as it is now (else: `make lock`)."""
    uv = Path(sys.executable).parent / "uv"
    assert uv.exists(), f"no uv beside {sys.executable}: `make test` installs it"
    result = subprocess.run(
        [str(uv), "lock", "--check", "--offline"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_requirement_of_every_extra_is_locked_within_its_range(project, locked):
    extras = tuple(project["optional-dependencies"])
    assert {"dev", "instructor", "docs"} <= set(extras)
    for name, req in requirements(project, extras).items():
        assert name in locked, f"{name} is required by pyproject.toml but not locked"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"{name}: locked {locked[name]}, outside pyproject.toml's {req.specifier}"
        )


def test_every_locked_package_has_hashes(lock):
    """Every file uv may download is pinned by its sha256; the project itself is editable."""
    for package in lock["package"]:
        if package["source"].get("editable") or package["source"].get("virtual"):
            assert package["name"] == "rnnlesson"
            continue
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files, f"{package['name']} {package['version']}: no file in the lock"
        for f in files:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", f.get("hash", "")), (
                f"{package['name']} {package['version']}: {f.get('url')} has no sha256"
            )


def test_the_course_package_is_locked_editable_from_the_repository(lock):
    [own] = [p for p in lock["package"] if p["name"] == "rnnlesson"]
    assert own["source"] == {"editable": "."}


def test_torch_never_enters_the_lock(lock):
    names = {canonicalize_name(p["name"]) for p in lock["package"]}
    assert not names & NEVER_LOCKED, sorted(names & NEVER_LOCKED)


def test_uv_bootstrap_pins_the_locked_uv(locked):
    """The Makefile installs uv with pip from scripts/uv-bootstrap.txt, hashed, at the lock's
    version (`make lock` writes both)."""
    text = (REPO / "scripts" / "uv-bootstrap.txt").read_text(encoding="utf-8")
    assert re.search(rf"^uv=={re.escape(locked['uv'])} \\$", text, re.MULTILINE), text[:200]
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 1
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r scripts/uv-bootstrap.txt" in makefile


def test_make_installs_from_the_lock():
    """`make lab` and `make test` sync from uv.lock, never resolve afresh."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^sync = UV_PROJECT_ENVIRONMENT=\S*\$\(1\)\S* \$\(UV\) sync --locked",
                     makefile, re.MULTILINE)
    assert "pip install -e" not in makefile
    for venv in ("$(VENV)", "$(HUB_VENV)"):  # the lab hub's learners run the same lock
        assert f"$(call sync,{venv})" in makefile, f"{venv} is not installed from the lock"
    for stamp in ("$(STAMP_RUN): uv.lock", "$(STAMP_DEV): uv.lock", "$(STAMP_HUB): uv.lock"):
        assert stamp in makefile, f"{stamp!r}: a changed lock must reinstall"


def test_the_venv_is_installed_compiled():
    """Kernels import numpy, matplotlib and ipykernel from .pyc files written at install
    (uv --compile-bytecode): where PYTHONDONTWRITEBYTECODE is set or the venv is read-only
    (the grading sandbox), each kernel would otherwise compile them from source."""
    import importlib.util

    import ipykernel.kernelapp
    import matplotlib.pyplot
    import numpy.linalg

    for module in (numpy.linalg, matplotlib.pyplot, ipykernel.kernelapp):
        cached = Path(importlib.util.cache_from_source(module.__file__))
        assert cached.is_file(), f"{module.__name__}: no {cached.name} next to its source"


# --------------------------------------------------------------------------- environment.yml


def test_channel_is_conda_forge_only(env):
    assert env["channels"] == ["conda-forge"]


def test_same_packages_as_pyproject(env, project):
    conda = set(conda_specs(env)) - {canonicalize_name(n) for n in CONDA_ONLY}
    pypi = set(requirements(project))
    pinned_deps = {canonicalize_name(p) for p in pins.PINNED.values()} - pypi
    assert pypi - conda == set(), "in pyproject.toml but not in environment.yml"
    assert conda - pypi - pinned_deps == set(), "in environment.yml but not in pyproject.toml"


def test_environment_pins_the_locked_versions(env, locked):
    """Each pinned conda package is at exactly the version uv.lock installs (make lock)."""
    conda = conda_specs(env)
    for conda_name, pypi_name in pins.PINNED.items():
        name = canonicalize_name(pypi_name)
        assert name in conda, f"environment.yml lacks {conda_name}"
        assert str(conda[name]) == f"=={locked[name]}", (
            f"{conda_name}: environment.yml says {conda[name]}, uv.lock {locked[name]}"
        )
    assert str(conda["python"]) == f"=={pins.REFERENCE_PYTHON}"


def test_environment_pins_satisfy_pyproject(env, project):
    conda = conda_specs(env)
    for name, req in requirements(project).items():
        [pin] = list(conda[name])
        assert req.specifier.contains(pin.version), f"{name}: {pin} outside {req.specifier}"
    assert SpecifierSet(project["requires-python"]).contains(pins.REFERENCE_PYTHON)


def test_pin_script_reports_no_change(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "pin_environment.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pin_script_finds_a_stale_pin():
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    stale = re.sub(r"numpy ==\S+", "numpy ==1.24.0", text)
    assert stale != text
    assert pins.pinned_text(stale, pins.locked_versions()) == text


def test_locked_versions_follow_the_python_markers():
    """The lock's forks: a Python the newest numpy does not support gets an older one."""
    old = dict(pins.REFERENCE, python_full_version="3.10.12", python_version="3.10")
    assert pins.locked_versions(env=old)["numpy"] != pins.locked_versions()["numpy"]


def test_the_stored_outputs_versions_are_installed(locked):
    """This venv runs the versions the lock gives the reference Python (nbval compares
    outputs made with them)."""
    from importlib.metadata import version

    if sys.version_info[:2] != (3, 11):
        pytest.skip(f"the reference interpreter is Python {pins.REFERENCE_PYTHON}")
    for pypi_name in pins.PINNED.values():
        assert version(pypi_name) == locked[canonicalize_name(pypi_name)], pypi_name


def test_the_course_package_is_installed_from_the_repository(env, project):
    """pip installs the repository itself ('.'), so `import rnnlesson` works in the notebooks."""
    assert project["name"] == "rnnlesson"
    local = [line for line in pip_section(env) if line.split()[-1] in (".", "./")]
    assert local, f"environment.yml's pip section does not install '.': {pip_section(env)}"
    assert "pip" in env["dependencies"], "list pip itself before its section"


def test_readme_names_the_versions_the_outputs_were_made_with(locked):
    """The README's list of versions is the lock's, for the reference Python."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"The stored outputs were made with (.+?) \(", readme, re.DOTALL)
    assert match, "the README does not say which versions the outputs were made with"
    said = " ".join(match.group(1).split())
    assert f"Python {pins.REFERENCE_PYTHON}" in said
    names = {"numpy": "numpy", "matplotlib": "matplotlib", "ipywidgets": "ipywidgets",
             "ipykernel": "ipykernel", "IPython": "ipython", "JupyterLab": "jupyterlab"}
    for shown, name in names.items():
        assert f"{shown} {locked[name]}" in said, f"README: {shown} is not {locked[name]}"
