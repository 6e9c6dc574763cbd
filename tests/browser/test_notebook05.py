"""Notebook 05 in a real browser: Run All, then its three interactive widgets with the mouse.

The notebook runs in quick mode (``quick = True`` set in a copy: a tiny judge, a 20-step
generator, 5 clips per digit). The checks after Run All: every code cell ran, no traceback
in any output, every widget rendered, every player decodes with the clip length (8,192
samples at 8 kHz: 1.024 s), every picture decodes. Then, as a person would:

- ``RealVsGenerated``: choose the next digit in its "Digit" dropdown; all six players and
  the picture are replaced, with other sounds and pixels, and the title names the digit.
- ``JudgeView`` (the "best" one): press its "given" toggle; the cards and both pictures are
  replaced and the summary says "given first".
- ``LatentInterpolation``: move "Path step" one step (only the middle player and the picture
  change, the ends stay), choose another "Digit", press "New ends" (all three players and
  the picture change each time).

No traceback in the kernel's log after the clicks. Screenshots:
``tests/browser/screenshots/05_evaluation-*.png``.
"""

from __future__ import annotations

import pytest

from audiogan_kit import AudioConfig

from .clicks import (
    button_named,
    click_button,
    log_offset,
    log_tracebacks,
    output_with,
    poll,
    reports_in,
    run_notebook_and_check,
)
from .harness import (
    audio_problems,
    choose_other_option,
    image_problems,
    move_slider,
    screenshot_element,
    shown_sources,
    traceback_problems,
    wait_until_shown_changes,
    widget_problems,
)

NOTEBOOK = "05_evaluation.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s
OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]



def _digests(scope) -> tuple[list[str], list[str]]:
    """SHA-256 of every player's sound and every picture's pixels in ``scope``."""
    audio, images = reports_in(scope)
    return [a["sha256"] for a in audio], [i["sha256"] for i in images]


def _check_decoded(scope) -> None:
    audio, images = reports_in(scope)
    assert audio_problems(audio) == [] and image_problems(images) == []
    assert all(a["duration"] == pytest.approx(CLIP_S, abs=1e-3) for a in audio), [
        a["duration"] for a in audio
    ]


def test_notebook05_comparison_judge_view_and_latent_walk(
    page, lab_server, quick_notebook, screenshot_dir
):
    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "05_evaluation", timeout_s=360
    )
    durations = sorted({round(a["duration"], 3) for a in shown["audio"]})
    assert durations == [pytest.approx(CLIP_S, abs=1e-3)], durations
    offset = log_offset(lab_server)

    # --- RealVsGenerated: another digit
    real_vs = output_with(page, text="generated clips, colour scale")
    assert real_vs.locator("audio").count() == 6 and real_vs.locator("img").count() == 1
    before, digests = shown_sources(real_vs), _digests(real_vs)
    digit_before, digit_after = choose_other_option(real_vs, "Digit")
    wait_until_shown_changes(real_vs, before)
    after = _digests(real_vs)
    shot = screenshot_element(real_vs, screenshot_dir / "05_evaluation-real-vs-generated.png")
    print(f"RealVsGenerated: digit {digit_before} -> {digit_after}: {shot}")
    _check_decoded(real_vs)
    assert all(a != b for a, b in zip(after[0], digests[0], strict=True)), "six new sounds"
    assert after[1] != digests[1], "a new picture"
    assert f"Digit {digit_after}" in real_vs.inner_text()

    # --- JudgeView: "best" first -> "given" order
    views = page.locator(OUTPUT).filter(has=button_named(page, "given"))
    assert views.count() == 2, "the best and the worst judge views"
    judge = views.first
    assert "best first" in judge.inner_text()
    before, digests = shown_sources(judge), _digests(judge)
    click_button(judge, "given")
    wait_until_shown_changes(judge, before)
    after = _digests(judge)
    shot = screenshot_element(judge, screenshot_dir / "05_evaluation-judge-view-given.png")
    print(f"JudgeView: best -> given: {shot}")
    _check_decoded(judge)
    assert "given first" in judge.inner_text()
    assert after[1][0] != digests[1][0], "the spectrogram picture is redrawn"

    # --- LatentInterpolation: path step, digit, new ends
    walk = output_with(page, button="New ends")
    assert walk.locator("audio").count() == 3 and walk.locator("img").count() == 1
    screenshot_element(walk, screenshot_dir / "05_evaluation-latent-before.png")
    audio_src, image_src = shown_sources(walk)
    digests = _digests(walk)
    step_before, step_after = move_slider(walk, "Path step")
    poll(
        lambda: shown_sources(walk)[0][1] != audio_src[1] and shown_sources(walk)[1] != image_src,
        30,
        "Path step replaces the current clip's player and the picture",
    )
    after = _digests(walk)
    print(f"LatentInterpolation: path step {step_before} -> {step_after}")
    assert after[0][1] != digests[0][1] and after[1] != digests[1]
    assert after[0][0] == digests[0][0] and after[0][2] == digests[0][2], "the ends stay"
    assert shown_sources(walk)[0][0] == audio_src[0]
    for name, action in (
        ("Digit", lambda: choose_other_option(walk, "Digit")),
        ("New ends", lambda: click_button(walk, "New ends")),
    ):
        before, digests = shown_sources(walk), _digests(walk)
        action()
        # the current player and the picture, and both ends: a new path
        wait_until_shown_changes(walk, before)
        after = _digests(walk)
        slug = name.lower().replace(" ", "-")
        shot = screenshot_element(walk, screenshot_dir / f"05_evaluation-latent-{slug}.png")
        print(f"LatentInterpolation: {name}: {shot}")
        _check_decoded(walk)
        assert all(a != b for a, b in zip(after[0], digests[0], strict=True)), name
        assert after[1] != digests[1], name
    assert log_tracebacks(lab_server, offset) == []
    assert widget_problems(page) == [] and traceback_problems(page) == []
