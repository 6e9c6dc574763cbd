"""Helpers for the browser tests of notebooks 02-07: find a widget's output, press its buttons
and drag its sliders with the mouse, run the checks every notebook shares, poll for a change.

The widgets of these notebooks carry no CSS class of their own, so a widget is found as the
output area that holds something a learner sees in it (a button's name, a text); see
:func:`output_with`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from .harness import (
    audio_problems,
    audio_report,
    audio_reports,
    click_run_all,
    code_cell_prompts,
    image_problems,
    image_report,
    image_reports,
    open_notebook,
    run_all_cells,
    screenshot_notebook,
    traceback_problems,
    wait_for_all_cells,
    wait_for_widgets,
    widget_problems,
)

_OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output"


def output_with(page, *, button: str | None = None, text: str | None = None):
    """The one output area that shows a button named ``button`` and/or the text ``text``.

    ValueError if there is not exactly one (the notebook changed: name the widget again)."""
    outputs = page.locator(_OUTPUT)
    if button is not None:
        outputs = outputs.filter(has=button_named(page, button))
    if text is not None:
        outputs = outputs.filter(has_text=text)
    if outputs.count() != 1:
        raise ValueError(
            f"expected one output area with button={button!r}, text={text!r}; found "
            f"{outputs.count()}"
        )
    return outputs


def button_named(scope, name: str):
    """The ipywidgets button (or toggle button) whose label is exactly ``name``."""
    return scope.locator("button", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))


def click_button(scope, name: str) -> None:
    """Press the button ``name`` in ``scope`` with the mouse (it must be enabled)."""
    button = button_named(scope, name)
    button.scroll_into_view_if_needed()
    button.click()


def drag_slider(scope, label: str, fraction: float, timeout_s: float = 10.0) -> tuple[str, str]:
    """Drag the handle of the slider ``label`` with the mouse to ``fraction`` (0: left end,
    1: right end) of its track; returns its readout before and after."""
    slider = scope.locator(
        ".widget-slider",
        has=scope.page.locator(
            ".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        ),
    )
    handle = slider.locator(".noUi-handle")
    track = slider.locator(".noUi-base")
    readout = slider.locator(".widget-readout")
    before = readout.inner_text().strip()
    handle.scroll_into_view_if_needed()
    hbox, tbox = handle.bounding_box(), track.bounding_box()
    page = scope.page
    y = hbox["y"] + hbox["height"] / 2
    page.mouse.move(hbox["x"] + hbox["width"] / 2, y)
    page.mouse.down()
    target = tbox["x"] + fraction * tbox["width"]
    page.mouse.move(target, y, steps=8)
    # past the end, so that 0 and 1 reach the ends whatever the handle's offset
    if fraction <= 0.0 or fraction >= 1.0:
        page.mouse.move(target + (-20 if fraction <= 0.0 else 20), y, steps=2)
    page.mouse.up()
    deadline = time.monotonic() + timeout_s
    while readout.inner_text().strip() == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return before, readout.inner_text().strip()


def poll(condition: Callable[[], object], timeout_s: float, what: str, interval_ms: int = 250):
    """Call ``condition`` until it returns something true; that value. TimeoutError naming
    ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"within {timeout_s:.0f} s: {what}")
        time.sleep(interval_ms / 1000)


def log_offset(server) -> int:
    """How long the server's log is now (the kernels write their stderr there)."""
    try:
        return server.log_path.stat().st_size
    except OSError:
        return 0


def log_tracebacks(server, offset: int) -> list[str]:
    """Tracebacks written to the server log since ``offset``: an exception in a widget's
    click or observe handler goes to the kernel's log, not to any cell output."""
    try:
        with server.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return []
    return [
        f"traceback in the kernel log: {text[i : i + 600]!r}"
        for i in [m.start() for m in re.finditer("Traceback", text)]
    ]


def run_notebook_and_check(
    page, server, notebook, screenshot_dir: Path, prefix: str, timeout_s: float,
    while_running: Callable[[object], None] | None = None,
) -> dict:
    """Open the notebook, Run All, and check what every notebook must show.

    ``while_running(page)``, if given, is called once Run All has been clicked (to act on the
    notebook while its cells run, e.g. interrupt a training run); Run All must still end.

    Every code cell numbered (``run_all_cells`` raises otherwise), no traceback in an output,
    every widget rendered, every player and picture decodes. Returns ``{"seconds", "audio",
    "images"}`` (the reports); writes ``<prefix>-notebook.png``.
    """
    open_notebook(page, server, notebook)
    if while_running is None:
        seconds = run_all_cells(page, notebook.num_code_cells, timeout_s=timeout_s)
    else:
        start = click_run_all(page)
        while_running(page)
        seconds = wait_for_all_cells(page, notebook.num_code_cells, start, timeout_s)
    print(f"{prefix}: ran all {notebook.num_code_cells} code cells in {seconds:.1f} s")
    wait_for_widgets(page)
    shot = screenshot_notebook(page, screenshot_dir / f"{prefix}-notebook.png")
    print(f"screenshot: {shot}")
    # (this module is not assertion-rewritten by pytest: each assert carries its message)
    problems = traceback_problems(page)
    assert problems == [], problems
    problems = widget_problems(page)
    assert problems == [], problems
    audio = audio_reports(page)
    problems = audio_problems(audio)
    assert problems == [], problems
    images = image_reports(page)
    problems = image_problems(images)
    assert problems == [], (problems, [i["src"][:80] for i in images])
    assert all(i["width"] >= 100 and i["height"] >= 50 for i in images), [
        (i["width"], i["height"]) for i in images
    ]
    return {"seconds": seconds, "audio": audio, "images": images}


def output_with_control(page, label: str, kind: str):
    """The output areas holding the ipywidgets control of ``kind`` (``dropdown``, ``slider``)
    described ``label`` (the inner locator of a filter must start at the page)."""
    inner = page.locator(
        f".widget-{kind}",
        has=page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")),
    )
    return page.locator(_OUTPUT).filter(has=inner)


# --------------------------------------------------------------------------- dashboards


def dashboard_status(page, index: int = 0):
    """The status line of the notebook's ``index``-th training dashboard (next to its Stop).

    Read it with ``text_content()``: JupyterLab does not render cells scrolled out of view, and
    ``inner_text()`` of those is empty."""
    header = page.locator(".jp-NotebookPanel .widget-hbox:has(> button.jupyter-button)")
    return header.filter(has=button_named(page, "Stop")).nth(index).locator(".widget-label")


def wait_for_dashboard_step(page, index: int, at_least: int, timeout_s: float = 120.0) -> int:
    """Wait until dashboard ``index`` shows step >= ``at_least``; the step it shows."""
    deadline = time.monotonic() + timeout_s
    while True:
        label = dashboard_status(page, index)
        found = re.match(r"step (\d+) /", label.text_content()) if label.count() else None
        if found and int(found.group(1)) >= at_least:
            return int(found.group(1))
        if time.monotonic() > deadline:
            headers = page.locator(".jp-NotebookPanel .widget-hbox:has(> button)")
            raise TimeoutError(
                f"dashboard {index} never showed step {at_least} within {timeout_s:.0f} s; "
                f"prompts: {code_cell_prompts(page)}; rows with a button: "
                f"{[t[:80] for t in headers.all_text_contents()]}"
            )
        page.wait_for_timeout(200)


def dashboard_stopped_step(page, index: int, timeout_s: float = 30.0) -> int:
    """Wait until dashboard ``index`` says its run finished after a stop; that step."""
    deadline = time.monotonic() + timeout_s
    while "finished at step" not in (text := dashboard_status(page, index).text_content()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"dashboard {index} did not stop within {timeout_s:.0f} s: {text!r}")
        page.wait_for_timeout(200)
    assert "(stopped)" in text, f"dashboard {index} finished without a stop: {text!r}"
    return int(re.search(r"finished at step (\d+)", text).group(1))


def interrupt_kernel(page) -> None:
    """Click JupyterLab's interrupt button (the notebook toolbar's square)."""
    page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]').click()


def reports_in(scope) -> tuple[list[dict], list[dict]]:
    """Reports of every ``<audio>`` and every ``<img>`` in ``scope`` (a locator), in page order."""
    audio, images = scope.locator("audio"), scope.locator("img")
    return (
        [audio_report(audio.nth(i)) for i in range(audio.count())],
        [image_report(images.nth(i)) for i in range(images.count())],
    )
