"""Notebook 03 in a real browser: Run All, then the loss explorer driven with the mouse.

The notebook runs in quick mode (``quick = True`` set in a copy; its last cell presses Train
once from Python, a 50-step hinge run). The checks after Run All: every code cell ran, no
traceback in any output, every widget rendered, every picture decodes (the notebook has no
players). Then, as a person would, in the explorer under "Explore with sliders": choose the
next loss in the "loss" dropdown (after hinge: wgan-gp, which sets "D steps" to 5), move the
"learning rate" slider one step, press Train, and see the run's line of text and its figure
replaced, with no error in the kernel's log. Screenshots:
``tests/browser/screenshots/03_losses-*.png``.
"""

from __future__ import annotations

import pytest

from .clicks import (
    click_button,
    log_offset,
    log_tracebacks,
    output_with,
    poll,
    run_notebook_and_check,
)
from .harness import (
    choose_other_option,
    control,
    image_problems,
    image_report,
    move_slider,
    screenshot_element,
    traceback_problems,
    widget_problems,
)

NOTEBOOK = "03_losses.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _run_text(explorer) -> str:
    """The explorer output's text line ``<s> s: quality ..., modes covered ...``."""
    text = explorer.locator(".widget-output").inner_text()
    lines = [line for line in text.splitlines() if "quality" in line]
    return lines[-1].strip() if lines else ""


def test_notebook03_loss_explorer_trains_on_a_click(
    page, lab_server, quick_notebook, screenshot_dir
):
    shown = run_notebook_and_check(
        page, lab_server, quick_notebook, screenshot_dir, "03_losses", timeout_s=240
    )
    assert len(shown["images"]) >= 4, f"the notebook's figures: {len(shown['images'])}"
    assert shown["audio"] == [], "notebook 03 has no players"

    explorer = output_with(page, button="Train")
    figure = explorer.locator(".widget-output img")
    assert figure.count() == 1, "the quick run's figure is shown under the button"
    figure_before = image_report(figure)
    text_before = _run_text(explorer)
    assert "quality" in text_before, text_before
    screenshot_element(explorer, screenshot_dir / "03_losses-explorer-before.png")

    offset = log_offset(lab_server)
    loss_before, loss_after = choose_other_option(explorer, "loss")
    assert (loss_before, loss_after) == ("hinge", "wgan-gp")
    d_steps = control(explorer, "D steps", "slider").locator(".widget-readout")
    poll(lambda: d_steps.inner_text().strip() == "5", 10, "D steps becomes 5 for wgan-gp")
    rate_before, rate_after = move_slider(explorer, "learning rate")
    assert rate_after != rate_before, rate_before
    print(f"loss {loss_before} -> {loss_after}, learning rate {rate_before} -> {rate_after}")

    click_button(explorer, "Train")

    def new_figure():
        if figure.count() != 1 or _run_text(explorer) in ("", text_before):
            return None
        report = image_report(figure)
        return report if report["sha256"] and report["sha256"] != figure_before["sha256"] else None

    figure_after = poll(new_figure, 120, "Train shows a new run's text and figure")
    shot = screenshot_element(explorer, screenshot_dir / "03_losses-explorer-after-train.png")
    print(
        f"after Train: {_run_text(explorer)!r}; figure {figure_after['width']}x"
        f"{figure_after['height']} px, mean {figure_after['mean']:.0f} (before "
        f"{figure_before['mean']:.0f}); screenshot {shot}"
    )
    assert image_problems([figure_after]) == []
    assert figure_after["src"] != figure_before["src"]
    # A real picture, not a blank one: pyplot figures drawn in a click's handler (which runs
    # in a kernel subshell thread) came out blank (every pixel transparent, mean 0); the
    # notebook now builds the figure outside pyplot and displays it.
    assert figure_before["mean"] > 100 and figure_after["mean"] > 100, (
        figure_before["mean"],
        figure_after["mean"],
    )
    assert log_tracebacks(lab_server, offset) == []
    assert widget_problems(page) == [] and traceback_problems(page) == []
