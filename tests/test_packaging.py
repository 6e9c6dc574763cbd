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


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _all_requirements() -> list[str]:
    project = _project()["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return project["dependencies"] + [r for r in extras if not r.startswith("audiogan-kit")]


def test_every_dependency_has_an_upper_bound():
    unbounded = [r for r in _all_requirements() if "<" not in r]
    assert not unbounded, f"give these an upper bound (below the next major): {unbounded}"


def test_installed_versions_are_inside_the_bounds():
    """What the suite runs on (the newest versions that install here, e.g. librosa 0.11:
    librosa 1.0 is not on this machine's index) lies inside the declared bounds."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    outside = {}
    for text in _all_requirements():
        requirement = Requirement(text)
        if requirement.marker is not None or requirement.name == "tensorflow" and "and-cuda" in (
            requirement.extras
        ):
            continue  # the GPU build is not installed on a CPU machine
        try:
            found = version(requirement.name)
        except PackageNotFoundError:
            outside[requirement.name] = "not installed"
            continue
        if not requirement.specifier.contains(found, prereleases=True):
            outside[requirement.name] = f"{found} not in {requirement.specifier}"
    assert not outside, outside


def test_extras_keep_the_c_compiler_out_of_the_base_install():
    project = _project()["project"]
    base = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert {"pesq", "pystoi", "jax"}.isdisjoint(base)
    assert {_name(r) for r in extras["enhance"]} == {"pesq", "pystoi"}
    assert _name(extras["jax"][0]) == "jax" and "tensorflow" in extras["gpu"][0]
    assert "audiogan-kit[jax,enhance]" in extras["dev"]  # what `make test` installs


def test_one_version_one_licence_one_install():
    import audiogan_kit

    project = _project()
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "audiogan_kit.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+", audiogan_kit.__version__)
    assert project["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert "CC BY-SA 4.0" in (REPO / "LICENSE").read_text()
    # environment.yml's header and the README give the same install command.
    header = (REPO / "environment.yml").read_text().splitlines()[1]
    assert header.endswith("conda activate audiogan-kit && pip install -e .")
    assert "conda activate audiogan-kit && pip install -e .  # conda" in (
        REPO / "README.md"
    ).read_text()
    assert '-e ".[dev]"' in (REPO / "Makefile").read_text()
