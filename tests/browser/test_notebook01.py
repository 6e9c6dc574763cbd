"""Notebook 01 in a real browser: what a learner sees after Run > Run All Cells.

The notebook runs in quick mode (``quick = True`` set in a copy) in JupyterLab, against the
FSDD copy named by ``AUDIOGAN_DATA``. Then, as a person would: every widget rendered, every
player decodes (each clip is ``AudioConfig().num_samples`` = 8,192 samples at 8 kHz, so its
duration is 1.024 s), every picture decodes, and moving the dataset browser's Digit, Speaker
and Take controls changes both the sound and the picture. Screenshots:
``tests/browser/screenshots/01_data-*.png``.
"""

from __future__ import annotations

import pytest

from audiogan_kit import AudioConfig

from .harness import (
    audio_problems,
    audio_reports,
    exercise_dataset_browser,
    image_problems,
    image_reports,
    open_notebook,
    run_all_cells,
    screenshot_notebook,
    traceback_problems,
    wait_for_widgets,
    widget_problems,
)

NOTEBOOK = "01_data.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]


def test_notebook01_shows_players_pictures_and_a_working_dataset_browser(
    page, lab_server, quick_notebook, screenshot_dir
):
    open_notebook(page, lab_server, quick_notebook)
    seconds = run_all_cells(page, quick_notebook.num_code_cells, timeout_s=300)
    print(f"notebook 01 ran all {quick_notebook.num_code_cells} code cells in {seconds:.1f} s")
    wait_for_widgets(page)
    shot = screenshot_notebook(page, screenshot_dir / "01_data-notebook.png")
    print(f"screenshot: {shot}")

    assert widget_problems(page) == []
    assert traceback_problems(page) == []

    # Players: ten digits in the grid, then the comparisons and the browser; all decode.
    audio = audio_reports(page)
    assert len(audio) >= 11, f"expected the ten-digit player grid and more, found {len(audio)}"
    assert audio_problems(audio) == []
    durations = sorted({round(a["duration"], 3) for a in audio})
    assert durations == [pytest.approx(CLIP_S, abs=1e-3)], durations
    assert len({a["sha256"] for a in audio[:10]}) == 10, "the ten digits' players differ"

    # Pictures: widget images (spectrogram comparisons, the browser) and inline figures.
    images = image_reports(page)
    assert image_problems(images) == []
    widget_images = page.locator(".jp-OutputArea-output img.widget-image").count()
    assert widget_images >= 2, f"spectrogram pictures and the browser's: {widget_images}"
    assert len(images) > widget_images, "the inline matplotlib figures are shown too"
    assert all(i["width"] >= 200 and i["height"] >= 100 for i in images), [
        (i["width"], i["height"]) for i in images
    ]

    # The dataset browser: each control changes what is heard and what is seen.
    steps = exercise_dataset_browser(page, screenshot_dir, "01_data")
    for step in steps:
        print(f"{step.control}: {step.value_before} -> {step.value_after}: {step.screenshot}")
        assert step.value_after != step.value_before, step.control
        assert audio_problems([step.audio_after]) == [], step.control
        assert image_problems([step.image_after]) == [], step.control
        assert step.audio_after["src"] != step.audio_before["src"], step.control
        assert step.audio_after["sha256"] != step.audio_before["sha256"], (
            f"{step.control}: the player holds the same sound as before"
        )
        assert step.image_after["src"] != step.image_before["src"], step.control
        assert step.image_after["sha256"] != step.image_before["sha256"], (
            f"{step.control}: the picture shows the same pixels as before"
        )
        assert step.audio_after["duration"] == pytest.approx(CLIP_S, abs=1e-3)
    assert widget_problems(page) == [] and traceback_problems(page) == []
