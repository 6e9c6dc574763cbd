"""Notebook 02 in a real browser: what a learner sees after Run > Run All Cells.

The notebook runs in quick mode (``quick = True`` set in a copy) in JupyterLab. It has no
interactive widget (only players and figures), so the test checks what Run All shows: every
code cell ran (an execution count each), no traceback in any output, every widget rendered,
every player decodes with the clip length (``num_samples`` = 8,192 samples at 8 kHz: 1.024 s)
and the untrained generators' players hold different sounds, every picture decodes.
Screenshot: ``tests/browser/screenshots/02_models-notebook.png``.
"""

from __future__ import annotations

import pytest

from audiogan_kit import AudioConfig

from .clicks import run_notebook_and_check

NOTEBOOK = "02_models.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_notebook02_runs_and_shows_players_and_pictures(
    page, lab_server, quick_notebook, screenshot_dir
):
    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "02_models", timeout_s=240
    )
    audio, images = shown["audio"], shown["images"]
    # three untrained WaveGAN clips, the dense one, two through Griffin-Lim
    assert len(audio) == 6, f"expected 6 players, found {len(audio)}"
    assert [round(a["duration"], 3) for a in audio] == [pytest.approx(CLIP_S, abs=1e-3)] * 6
    assert len({a["sha256"] for a in audio}) == 6, "every player holds a sound of its own"
    # inline figures: spectrograms, the 1-D SpecGAN's output, the gradient, phase shuffle,
    # the spectra
    assert len(images) >= 6, f"expected the notebook's figures, found {len(images)}"
