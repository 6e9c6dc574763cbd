"""Notebook 07 in a real browser: what a learner sees after Run > Run All Cells.

The notebook runs in quick mode (``quick = True`` set in a copy: every failure run trains a
few steps). It has no interactive widget (spectrogram comparisons with players, figures and
tables only), so the test checks what Run All shows: every code cell ran (an execution count
each), no traceback in any output, every widget rendered, every player decodes with the clip
length (8,192 samples at 8 kHz: 1.024 s), every picture decodes. Screenshot:
``tests/browser/screenshots/07_troubleshooting-notebook.png``.
"""

from __future__ import annotations

import pytest

from audiogan_kit import AudioConfig

from .clicks import run_notebook_and_check

NOTEBOOK = "07_troubleshooting.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s

pytestmark = [pytest.mark.browser, pytest.mark.timeout(480)]


def test_notebook07_runs_and_shows_players_and_pictures(
    page, lab_server, quick_notebook, screenshot_dir
):
    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "07_troubleshooting", timeout_s=420
    )
    audio, images = shown["audio"], shown["images"]
    assert len(audio) >= 4, f"the failures' players: {len(audio)}"
    durations = sorted({round(a["duration"], 3) for a in audio})
    assert durations == [pytest.approx(CLIP_S, abs=1e-3)], durations
    assert len(images) >= 4, f"the game figures and spectrograms: {len(images)}"
