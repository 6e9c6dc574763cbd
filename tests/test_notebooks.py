"""Every notebook: on the kit's skeleton, committed without outputs, and runs headless.

Each notebook has a cell tagged ``parameters`` that defines ``quick = False``; CI runs it
with ``quick=True`` through papermill (the quick mode CI can afford), users run the full mode.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

# The one notebook runner, shared with benchmarks/notebook_times.py.
_spec = importlib.util.spec_from_file_location("_notebooks", REPO / "benchmarks" / "_notebooks.py")
_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_notebooks)

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REQUIRED_SECTIONS = ("Setup", "Summary", "Exercises", "Next")


def _id(path: Path) -> str:
    return path.stem


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_name.ipynb notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_committed_clean(path: Path):
    raw = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(raw["cells"])
        if cell.get("outputs") or cell.get("execution_count") is not None
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_follows_the_skeleton(path: Path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        f"{path.name}: the first cell must be a markdown H1 title"
    )
    header = first.source.lower()
    assert "you will learn" in header, f"{path.name}: the header must say what you will learn"
    assert "cpu" in header and "gpu" in header, (
        f"{path.name}: the header must give time on CPU and GPU"
    )
    headings = re.findall(r"^##\s+(.+)$", _markdown(nb), flags=re.M)
    for section in REQUIRED_SECTIONS:
        assert any(h.strip().startswith(section) for h in headings), (
            f"{path.name}: no '## {section}' section (has {headings})"
        )
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert re.search(r"^quick\s*=\s*False\b", tagged[0].source, flags=re.M), (
        f"{path.name}: the parameters cell must define `quick = False` (CI sets it to True)"
    )
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "audiogan_kit" in code, f"{path.name}: a notebook teaches with the kit's package"


# A notebook with a browser test (tests/browser/test_notebookNN.py) runs there, in JupyterLab:
# Run All in quick mode, failing on any cell that raises, then its controls clicked. Running it
# here too would only repeat that run.
BROWSER_TESTED = [
    p for p in NOTEBOOKS if (REPO / "tests" / "browser" / f"test_notebook{p.name[:2]}.py").is_file()
]
HEADLESS = [p for p in NOTEBOOKS if p not in BROWSER_TESTED]


def test_every_notebook_runs_in_quick_mode_somewhere():
    """Each notebook runs in quick mode here (papermill) or in the browser suite, never neither."""
    assert sorted(BROWSER_TESTED + HEADLESS) == NOTEBOOKS
    for path in BROWSER_TESTED:
        test = (REPO / "tests" / "browser" / f"test_notebook{path.name[:2]}.py").read_text()
        runs_all = "run_notebook_and_check" in test or (
            "run_all_cells" in test and "traceback_problems" in test
        )
        assert path.name in test and runs_all, (
            f"tests/browser/test_notebook{path.name[:2]}.py must Run All {path.name} and check "
            f"its outputs for tracebacks, or {path.name} runs nowhere"
        )


if HEADLESS:  # (an empty parametrisation would show as a skipped test)

    @pytest.mark.notebook
    @pytest.mark.parametrize("path", HEADLESS, ids=_id)
    def test_notebook_runs_in_quick_mode(path: Path, tmp_path: Path):
        _executed, errors = _notebooks.execute(path, tmp_path / path.name, {"quick": True})
        assert not errors, errors
