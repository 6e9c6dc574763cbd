"""Notebook 04 in a real browser: Run All, then the sample-set slider and the run comparison.

The notebook runs in quick mode (``quick = True`` set in a copy: a sample set every 30 steps,
no judge) with ``num_steps = 5000``: the dashboard's run would take minutes, and while its
``wait()`` cell blocks, the test clicks JupyterLab's interrupt button once the run is past
step 60; the run must stop within a few steps with a checkpoint and Run All must go on (the
resume cell trains 10 more steps from it). The checks after Run All: every code cell ran, no
traceback in any output, every widget rendered, every player decodes with the clip length
(8,192 samples at 8 kHz: 1.024 s), every picture decodes. Then, as a person would:

- "Listen as it learns" (``widgets.SampleSetBrowser``): move its "step" slider one step; its
  players and pictures are all replaced, with other sounds and pixels.
- "Compare runs with sliders" (``widgets.RunComparison``): drag "steps" to its left end (10
  steps), press "Start run", wait for the row; choose another "latent size", press "Start run"
  again: two rows in the table with the two latent sizes, the table no wider than its output
  area, no error text, "Start run" enabled again, no traceback in the kernel's log.

Screenshots: ``tests/browser/screenshots/04_training-*.png``.
"""

from __future__ import annotations

import re

import pytest

from audiogan_kit import AudioConfig

from .clicks import (
    button_named,
    click_button,
    dashboard_stopped_step,
    drag_slider,
    interrupt_kernel,
    log_offset,
    log_tracebacks,
    output_with_control,
    poll,
    run_notebook_and_check,
    wait_for_dashboard_step,
)
from .harness import (
    audio_problems,
    audio_report,
    choose_other_option,
    control,
    image_problems,
    image_report,
    move_slider,
    screenshot_element,
    shown_sources,
    traceback_problems,
    wait_until_shown_changes,
    widget_problems,
)

NOTEBOOK = "04_training.ipynb"
CLIP_S = AudioConfig().num_samples / AudioConfig().sample_rate  # 1.024 s
OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output"
NUM_STEPS = 5000  # minutes of training if the interrupt does not stop it (under an hour: no guard)
STOP_WITHIN = 30  # steps between the step shown when interrupting and the run's last

PARAMETERS = {"num_steps": NUM_STEPS}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _table_rows(comparison) -> list[list[str]]:
    """The run comparison table's data rows, as cell texts."""
    return comparison.locator("table tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.querySelectorAll('td')].map(c => c.textContent))"
    )


def _columns(comparison) -> list[str]:
    return comparison.locator("table tr th").all_inner_texts()


def test_notebook04_interrupt_sample_slider_and_run_comparison(
    page, lab_server, quick_notebook, screenshot_dir
):
    interrupted = {}

    def interrupt_the_waited_for_run(page) -> None:
        interrupted["shown"] = wait_for_dashboard_step(page, 0, 65, timeout_s=300)
        interrupt_kernel(page)

    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "04_training", timeout_s=420,
        while_running=interrupt_the_waited_for_run,
    )
    stopped = dashboard_stopped_step(page, 0)
    print(f"dashboard: interrupted at step {interrupted['shown']}, stopped at step {stopped}")
    assert interrupted["shown"] <= stopped <= interrupted["shown"] + STOP_WITHIN < NUM_STEPS
    hint = page.locator(OUTPUT, has_text="interrupted: stopped at step").text_content()
    assert f"interrupted: stopped at step {stopped}, checkpoint saved" in hint
    resumed = page.locator(OUTPUT, has_text="now at step").text_content()
    assert f"now at step {stopped + 10} " in resumed, resumed
    durations = sorted({round(a["duration"], 3) for a in shown["audio"]})
    assert durations == [pytest.approx(CLIP_S, abs=1e-3)], durations

    # --- Listen as it learns: the step slider
    browser = output_with_control(page, "step", "slider")
    assert browser.count() == 1, "one output holds the sample-set browser"
    assert browser.locator("img").count() == 2, "its spectrogram strip and its curve"
    assert browser.locator("audio").count() >= 2, "a player per clip of the set"
    screenshot_element(browser, screenshot_dir / "04_training-samples-before.png")
    sources = shown_sources(browser)
    audio_before = audio_report(browser.locator("audio").first)
    image_before = image_report(browser.locator("img").first)
    offset = log_offset(lab_server)
    step_before, step_after = move_slider(browser, "step")
    assert step_after != step_before
    wait_until_shown_changes(browser, sources)
    shot = screenshot_element(browser, screenshot_dir / "04_training-samples-after.png")
    print(f"sample sets: step {step_before} -> {step_after}: {shot}")
    audio_after = audio_report(browser.locator("audio").first)
    image_after = image_report(browser.locator("img").first)
    assert audio_problems([audio_after]) == [] and image_problems([image_after]) == []
    assert audio_after["sha256"] != audio_before["sha256"], "another step, other sounds"
    assert image_after["sha256"] != image_before["sha256"], "another step, another picture"
    assert audio_after["duration"] == pytest.approx(CLIP_S, abs=1e-3)
    assert re.search(rf"step {re.escape(step_after)}\b", browser.inner_text()), "the title"

    # --- Compare runs with sliders: two runs, two rows
    comparison = page.locator(OUTPUT).filter(has=button_named(page, "Start run"))
    assert comparison.count() == 1, "one output holds the run comparison"
    start = button_named(comparison, "Start run")
    assert _table_rows(comparison) == [], "no runs yet"
    steps_before, steps_after = drag_slider(comparison, "steps", 0.0)
    assert steps_after == "10", f"steps dragged from {steps_before} to the left end: {steps_after}"
    latents = []
    for run in (1, 2):
        if run == 2:
            latents.append(choose_other_option(comparison, "latent size")[1])
        else:
            latents.append(
                control(comparison, "latent size", "dropdown")
                .locator("select")
                .evaluate("el => el.options[el.selectedIndex].text")
            )
        click_button(comparison, "Start run")
        poll(start.is_disabled, 10, f"Start run is disabled while run {run} trains")
        poll(
            lambda run=run: len(_table_rows(comparison)) == run and start.is_enabled(),
            180,
            f"run {run}'s row in the table and Start run enabled again",
        )
        message = comparison.inner_text()
        assert f"run-{run} finished at step 10" in message, message[:500]
        shot = screenshot_element(comparison, screenshot_dir / f"04_training-comparison-{run}.png")
        print(f"run comparison, run {run} (latent size {latents[-1]}): {shot}")
    rows, columns = _table_rows(comparison), _columns(comparison)
    print("table:", columns, rows)
    assert [row[columns.index("run")] for row in rows] == ["run-1", "run-2"]
    assert [row[columns.index("latent size")] for row in rows] == latents
    assert [row[columns.index("steps")] for row in rows] == ["10", "10"]
    assert latents[0] != latents[1]
    assert "failed" not in comparison.inner_text()
    table_px, area_px = comparison.locator("table").evaluate(
        "t => [t.getBoundingClientRect().width, t.closest('.jp-OutputArea-output').clientWidth]"
    )
    assert table_px <= area_px, f"the table ({table_px} px) is wider than its output ({area_px} px)"
    assert start.is_enabled()
    assert log_tracebacks(lab_server, offset) == []
    assert widget_problems(page) == [] and traceback_problems(page) == []
