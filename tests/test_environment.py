"""environment.yml (conda: Binder, JupyterHub images, Windows) says what pyproject.toml says."""

from __future__ import annotations

import re
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

# conda-forge names that differ from the PyPI name of the same thing.
CONDA_TO_PYPI = {
    "matplotlib-base": "matplotlib",  # matplotlib without the Qt GUI stack
}
# In the conda environment only: the interpreter, pip itself, and the link-opener a hub needs.
CONDA_ONLY = {"python", "pip", "nbgitpuller"}
_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


@pytest.fixture(scope="module")
def env():
    return yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def conda_specs(env) -> dict[str, SpecifierSet]:
    """{PyPI-style canonical name: version specifiers} of the conda (non-pip) dependencies."""
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _CONDA_SPEC.match(dep).groups()
            name = CONDA_TO_PYPI.get(name, name)
            specs[canonicalize_name(name)] = SpecifierSet(spec.replace(" ", ""))
    return specs


def project_requirements(project) -> dict[str, Requirement]:
    """Runtime dependencies plus the instructor extra, by canonical name."""
    lines = project["dependencies"] + project["optional-dependencies"]["instructor"]
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs}


def pip_section(env) -> list[str]:
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    return []


def test_channel_is_conda_forge_only(env):
    assert env["channels"] == ["conda-forge"]


def test_same_packages_as_pyproject(env, project):
    conda = set(conda_specs(env)) - {canonicalize_name(n) for n in CONDA_ONLY}
    pypi = set(project_requirements(project))
    assert conda - pypi == set(), "in environment.yml but not in pyproject.toml"
    assert pypi - conda == set(), "in pyproject.toml but not in environment.yml"


def test_version_bounds_agree(env, project):
    """Every bound pyproject.toml sets is also set in environment.yml (which may add more)."""
    conda = conda_specs(env)
    for name, req in project_requirements(project).items():
        missing = {str(s) for s in req.specifier} - {str(s) for s in conda[name]}
        assert not missing, f"{name}: environment.yml lacks {sorted(missing)}"
    python = {str(s) for s in SpecifierSet(project["requires-python"])}
    assert python <= {str(s) for s in conda["python"]}


def test_widgets_and_lab_major_versions(env):
    conda = conda_specs(env)
    assert "8.1.0" in conda["ipywidgets"] and "9.0" not in conda["ipywidgets"]
    assert "4.2.0" in conda["jupyterlab"] and "5.0" not in conda["jupyterlab"]


def test_the_course_package_is_installed_from_the_repository(env, project):
    """pip installs the repository itself ('.'), so `import rnnlesson` works in the notebooks."""
    assert project["name"] == "rnnlesson"
    local = [line for line in pip_section(env) if line.split()[-1] in (".", "./")]
    assert local, f"environment.yml's pip section does not install '.': {pip_section(env)}"
    assert "pip" in env["dependencies"], "list pip itself before its section"
