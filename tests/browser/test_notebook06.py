"""Notebook 06 in a real browser: Run All, then the enhancement explorer with the mouse.

The notebook runs in quick mode (``quick = True`` set in a copy: a tenth of FSDD, 6 updates
per enhancer, one test pair per SNR and noise type). The checks after Run All: every code
cell ran, no traceback in any output, every widget rendered, every player decodes with the
clip length (8,192 samples at 8 kHz: 1.024 s), every picture decodes. Then, as a person
would, in the explorer under "Explore the results" (``widgets.enhancement_explorer``):
choose the next "SNR", then the next "Noise"; each time every player (noisy, each enhancer,
clean) and the picture are replaced, with other sounds and pixels, and the score table names
the new pair. Its "Clip" slider is disabled in quick mode (one pair per SNR and noise type),
so it is only checked to be disabled. No traceback in the kernel's log after the clicks.
Screenshots: ``tests/browser/screenshots/06_enhancement-*.png``.
"""

from __future__ import annotations

import pytest

from audiogan_kit import AudioConfig

from .clicks import (
    log_offset,
    log_tracebacks,
    output_with_control,
    reports_in,
    run_notebook_and_check,
)
from .harness import (
    audio_problems,
    choose_other_option,
    control,
    image_problems,
    screenshot_element,
    shown_sources,
    traceback_problems,
    wait_until_shown_changes,
    widget_problems,
)

NOTEBOOK = "06_enhancement.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s
PLAYERS = 6  # noisy, spectral subtraction, Wiener, no adversarial, SEGAN, clean

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]



def test_notebook06_enhancement_explorer_follows_snr_and_noise(
    page, lab_server, quick_notebook, screenshot_dir
):
    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "06_enhancement", timeout_s=360
    )
    durations = sorted({round(a["duration"], 3) for a in shown["audio"]})
    assert durations == [pytest.approx(CLIP_S, abs=1e-3)], durations

    explorer = output_with_control(page, "SNR", "dropdown")
    assert explorer.count() == 1, "one output holds the enhancement explorer"
    assert explorer.locator("audio").count() == PLAYERS
    assert explorer.locator("img").count() == 1
    clip = control(explorer, "Clip", "slider").locator(".noUi-target")
    assert clip.get_attribute("disabled") is not None, "one pair per condition in quick mode"
    screenshot_element(explorer, screenshot_dir / "06_enhancement-explorer-before.png")
    offset = log_offset(lab_server)
    for label in ("SNR", "Noise"):
        before = shown_sources(explorer)
        audio_before, images_before = reports_in(explorer)
        title_before = explorer.locator("b").first.inner_text()
        value_before, value_after = choose_other_option(explorer, label)
        wait_until_shown_changes(explorer, before)
        audio_after, images_after = reports_in(explorer)
        shot = screenshot_element(explorer, screenshot_dir / f"06_enhancement-explorer-{label}.png")
        title = explorer.locator("b").first.inner_text()
        print(f"{label}: {value_before} -> {value_after}: {title!r}; {shot}")
        assert audio_problems(audio_after) == [] and image_problems(images_after) == []
        assert len(audio_after) == PLAYERS and len(images_after) == 1
        assert all(a["duration"] == pytest.approx(CLIP_S, abs=1e-3) for a in audio_after)
        assert all(
            a["sha256"] != b["sha256"] for a, b in zip(audio_after, audio_before, strict=True)
        ), f"{label}: every player holds another sound"
        assert images_after[0]["sha256"] != images_before[0]["sha256"], label
        assert title != title_before and value_after.split()[0] in title, title
    assert log_tracebacks(lab_server, offset) == []
    assert widget_problems(page) == [] and traceback_problems(page) == []
