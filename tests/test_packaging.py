"""pyproject.toml and environment.yml must list the same runtime dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import REPO

# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"pysoundfile": "soundfile"}
NOT_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    name = re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower()
    return CONDA_TO_PYPI.get(name, name).replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {_name(r): r for r in project["dependencies"]}


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    found: dict[str, str] = {}
    for entry in env["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            name = _name(requirement)
            if name not in NOT_PACKAGES:
                found[name] = requirement
    return found


def _bounds(requirement: str) -> str:
    return re.sub(r"\s", "", requirement[len(re.split(r"[<>=!~]", requirement, maxsplit=1)[0]):])


def test_same_packages_in_pyproject_and_environment():
    pyproject, conda = _pyproject_requirements(), _conda_requirements()
    assert sorted(pyproject) == sorted(conda), (
        f"only in pyproject.toml: {sorted(set(pyproject) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pyproject))}"
    )


def test_same_version_bounds_in_pyproject_and_environment():
    pyproject, conda = _pyproject_requirements(), _conda_requirements()
    differ = {
        name: (pyproject[name], conda[name])
        for name in pyproject
        if name in conda and _bounds(pyproject[name]) != _bounds(conda[name])
    }
    assert not differ, f"version bounds differ: {differ}"


def test_environment_python_is_supported_by_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    python = next(e for e in env["dependencies"] if isinstance(e, str) and e.startswith("python="))
    major, minor = map(int, python.split("=")[1].split(".")[:2])
    floor = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor.startswith(">=")
    assert (major, minor) >= tuple(map(int, floor[2:].split(".")))
