"""The browser harness on two small notebooks of its own: one that works, one that does not.

``widgets_selftest.ipynb`` builds players, pictures and a dataset-browser-like box with plain
ipywidgets (no kit code, no data), so the numbers are known: every clip lasts 0.5 s in quick
mode (2 s otherwise), every picture is 128 x 64 px. ``broken_selftest.ipynb`` shows an
undecodable player and picture, a view of a missing widget model and a failing cell: the
checks must report each of them, or they could not catch a broken notebook 01.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import harness
from .harness import (
    audio_problems,
    audio_reports,
    copy_notebook,
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

HERE = Path(__file__).resolve().parent

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_selftest_notebook_shows_players_pictures_and_a_working_browser(
    page, lab_server, screenshot_dir
):
    notebook = copy_notebook(HERE / "widgets_selftest.ipynb", lab_server.root, {"quick": True})
    open_notebook(page, lab_server, notebook)
    run_all_cells(page, notebook.num_code_cells, timeout_s=120)
    wait_for_widgets(page)
    shot = screenshot_notebook(page, screenshot_dir / "selftest-notebook.png")
    print(f"screenshot: {shot}")

    assert widget_problems(page) == []
    assert traceback_problems(page) == []

    audio = audio_reports(page)
    assert len(audio) == 3, audio  # two players and the browser's
    assert audio_problems(audio) == []
    # quick=True reached the kernel, and Chromium decoded 0.5 s of 8 kHz audio (4000 frames).
    assert [round(a["duration"], 3) for a in audio] == [0.5, 0.5, 0.5]
    assert len({a["sha256"] for a in audio}) == 3, "the 440 Hz, 880 Hz and browser clips differ"
    assert all(a["bytes"] == 44 + 2 * 4000 for a in audio), "16-bit mono WAV of 4000 frames"

    images = image_reports(page)
    assert len(images) == 3, images
    assert image_problems(images) == []
    assert [(i["width"], i["height"]) for i in images] == [(128, 64)] * 3
    assert images[0]["sha256"] != images[1]["sha256"], "the two pictures show different rows"

    # Each control, moved as a person moves it, changes both the sound and the picture.
    steps = exercise_dataset_browser(page, screenshot_dir, "selftest")
    moves = [(s.control, s.value_before, s.value_after) for s in steps]
    assert moves == [("Digit", "0", "1"), ("Speaker", "george", "jackson"), ("Take", "0", "1")]
    for step in steps:
        assert audio_problems([step.audio_after]) == [], step.control
        assert image_problems([step.image_after]) == [], step.control
        assert step.audio_after["src"] != step.audio_before["src"], step.control
        assert step.audio_after["sha256"] != step.audio_before["sha256"], step.control
        assert step.image_after["src"] != step.image_before["src"], step.control
        assert step.image_after["sha256"] != step.image_before["sha256"], step.control
        assert step.audio_after["duration"] == pytest.approx(0.5, abs=1e-3)


def test_checks_report_a_broken_notebook(page, lab_server):
    notebook = copy_notebook(HERE / "broken_selftest.ipynb", lab_server.root)
    open_notebook(page, lab_server, notebook)
    run_all_cells(page, notebook.num_code_cells, timeout_s=120)
    wait_for_widgets(page)

    errors = traceback_problems(page)
    assert len(errors) == 1 and "ValueError" in errors[0], errors

    audio = audio_reports(page)
    assert len(audio) == 1 and audio[0]["src"].startswith("blob:")
    assert audio[0]["duration"] is None and audio[0]["error"], audio
    assert len(audio_problems(audio)) == 1

    images = image_reports(page)
    assert len(images) == 1 and images[0]["width"] == 0, images
    assert len(image_problems(images)) == 1

    problems = widget_problems(page)
    assert len(problems) == 1 and "model not found" in problems[0], problems


def test_missing_chromium_fails_and_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(harness, "CHROMIUM", tmp_path / "no-chromium-here")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium chromium-driver"):
        harness.require_chromium()
