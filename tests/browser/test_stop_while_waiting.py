"""Stopping a dashboard's background run with the mouse, with and without a cell waiting for it.

``stop_selftest.ipynb`` trains a tiny GAN (about 20 ms a step, 100,000 steps: over half an
hour if nothing stops it) in a :class:`~audiogan_kit.widgets.TrainingDashboard`'s background
thread. Its next cell blocks in ``dashboard.wait()``, as notebooks 04 and 06 do so that Run All
goes on with the finished run; while a cell is busy the kernel handles widget clicks only after
it, so there JupyterLab's interrupt button must stop the run, and Run All must go on to the end.
The last cell starts a second run with no cell waiting: its dashboard's Stop button must stop it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .clicks import (
    dashboard_stopped_step,
    interrupt_kernel,
    wait_for_dashboard_step,
)
from .harness import (
    click_run_all,
    code_cell_prompts,
    copy_notebook,
    open_notebook,
    screenshot_notebook,
    traceback_problems,
    wait_for_all_cells,
    widget_problems,
)

HERE = Path(__file__).resolve().parent
NUM_STEPS = 100_000
# The status line lags the run by up to one log interval (5 steps) and a click takes a moment
# to arrive: a working stop ends the run well within 100 steps (2 s); a dead one never does.
STOP_WITHIN = 100

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def test_an_interrupt_stops_a_waited_for_run_and_stop_stops_a_background_one(
    page, lab_server, screenshot_dir
):
    notebook = copy_notebook(HERE / "stop_selftest.ipynb", lab_server.root,
                             {"num_steps": NUM_STEPS})
    open_notebook(page, lab_server, notebook)
    start = click_run_all(page)

    at_interrupt = wait_for_dashboard_step(page, 0, 20)
    prompts = code_cell_prompts(page)
    # JupyterLab shows [*] on the running cell and on the queued ones alike.
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts[:3]), prompts
    assert prompts[3:] == ["[*]:"] * 3, f"the wait cell should be running: {prompts}"
    message = page.locator(".jp-NotebookPanel .widget-label", has_text="this cell waits")
    try:
        message.wait_for(timeout=10_000)
    except PlaywrightTimeoutError:
        labels = page.locator(".jp-NotebookPanel .widget-label").all_inner_texts()
        pytest.fail(f"the dashboard should say how to stop a run a cell waits for: {labels}")
    interrupt_kernel(page)
    seconds = wait_for_all_cells(page, notebook.num_code_cells, start, timeout_s=90)
    print(f"interrupted at step {at_interrupt}; Run All ended {seconds:.1f} s after it began")

    assert traceback_problems(page) == [] and widget_problems(page) == []
    interrupted = dashboard_stopped_step(page, 0)
    assert at_interrupt <= interrupted <= at_interrupt + STOP_WITHIN, (at_interrupt, interrupted)
    printed = page.locator(".jp-NotebookPanel .jp-OutputArea-output", has_text="after the wait")
    found = re.search(r"after the wait: step (\d+) of (\d+), stopped=(\w+)", printed.inner_text())
    assert found and int(found.group(1)) == interrupted, printed.inner_text()
    assert int(found.group(2)) == NUM_STEPS and found.group(3) == "True"
    assert page.locator(".jp-NotebookPanel .widget-label", has_text="interrupted: stopped").count()

    # The second run trains while the kernel is idle: its own Stop button reaches it.
    at_click = wait_for_dashboard_step(page, 1, 20)
    page.locator(".jp-NotebookPanel .widget-hbox > button.jupyter-button", has_text="Stop").nth(
        1
    ).click()
    clicked = dashboard_stopped_step(page, 1)
    shot = screenshot_notebook(page, screenshot_dir / "stop-selftest-notebook.png")
    print(f"second run: Stop clicked at step {at_click}, stopped at {clicked}; {shot}")
    assert at_click <= clicked <= at_click + STOP_WITHIN, (at_click, clicked)
    assert traceback_problems(page) == [] and widget_problems(page) == []
