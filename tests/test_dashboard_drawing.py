"""What a training dashboard draws while its run trains, and how often (issue 15).

The dashboard's callbacks are driven by hand with a stand-in trainer and a fake clock, so
that the throttle of its loss figure is checked without training anything.
"""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from audiogan_kit import plots, widgets  # noqa: E402
from conftest import tone  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class FakeClock:
    """A clock that moves only when told (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _trainer(num_steps: int = 1000):
    config = types.SimpleNamespace(num_steps=num_steps)
    return types.SimpleNamespace(
        config=config, history=[], step=0, stop_requested=False, run_dir="runs/x"
    )


def _row(step: int) -> dict[str, float]:
    return {"step": step, "d_loss": 1.0 + 0.01 * step, "g_loss": 2.0, "steps_per_s": 20.0}


def test_log_rows_within_the_throttle_window_cause_one_redraw_and_the_end_draws_the_rest():
    clock = FakeClock()
    dashboard = widgets.TrainingDashboard(redraw_every_s=5.0, clock=clock)
    trainer = _trainer()
    dashboard.on_train_begin(trainer)
    assert dashboard.redraws == 0  # no rows yet: nothing to draw
    for step in range(20, 220, 20):  # 10 rows within one second
        trainer.step = step
        dashboard.on_log(trainer, _row(step))
        clock.now += 0.1
    assert dashboard.redraws == 1, "only the first row of the window redraws"
    assert dashboard.status.value.startswith("step 200 / 1000: 20.0 steps/s")  # every row
    first = bytes(dashboard.loss_image.value)
    assert first.startswith(PNG_MAGIC)
    clock.now += 5.0  # the window has passed: the next row redraws
    dashboard.on_log(trainer, _row(220))
    assert dashboard.redraws == 2 and bytes(dashboard.loss_image.value) != first
    dashboard.on_log(trainer, _row(240))
    assert dashboard.redraws == 2
    trainer.step = 240
    dashboard.on_train_end(trainer)  # a row not drawn yet: the end draws it
    assert dashboard.redraws == 3
    line = dashboard.live_losses.lines["d_loss"]
    assert list(line.get_xdata()) == list(range(20, 260, 20))
    dashboard.on_train_end(trainer)
    assert dashboard.redraws == 3, "nothing new to draw"


def test_slow_redraws_wait_longer_so_that_drawing_stays_a_small_share_of_the_run():
    from audiogan_kit.widgets.training import DRAW_SHARE

    class BusyClock(FakeClock):  # every reading is 0.6 s later: a redraw takes 0.6 s
        def __call__(self) -> float:
            self.now += 0.6
            return self.now

    dashboard = widgets.TrainingDashboard(redraw_every_s=5.0, clock=BusyClock())
    trainer = _trainer()
    dashboard.on_train_begin(trainer)
    steps = range(20, 20 * 31, 20)  # 30 rows, 0.6 s apart: 18 s, under 0.6 s / DRAW_SHARE
    assert 0.6 * len(steps) < 0.6 / DRAW_SHARE
    for step in steps:
        dashboard.on_log(trainer, _row(step))
    assert dashboard.redraws == 1, "a 5 s throttle alone would have redrawn 3 times"


def test_a_zero_throttle_redraws_at_every_row():
    dashboard = widgets.TrainingDashboard(redraw_every_s=0.0, clock=FakeClock())
    trainer = _trainer()
    dashboard.on_train_begin(trainer)
    for step in (5, 10, 15):
        dashboard.on_log(trainer, _row(step))
    assert dashboard.redraws == 3


def test_a_resumed_run_draws_its_earlier_rows_at_the_start():
    dashboard = widgets.TrainingDashboard(clock=FakeClock())
    trainer = _trainer()
    trainer.history = [_row(20), _row(40)]
    dashboard.on_train_begin(trainer)
    assert dashboard.redraws == 1
    assert list(dashboard.live_losses.lines["g_loss"].get_xdata()) == [20, 40]


def test_live_loss_figure_moves_its_lines_and_shows_a_penalty_only_once_nonzero():
    figure = plots.LiveLossFigure("Losses")
    rows = [{"step": s, "d_loss": 1.0, "g_loss": 2.0, "penalty": 0.0} for s in (1, 2, 3)]
    figure.update(rows)
    assert set(figure.lines) == {"d_loss", "g_loss"}  # a penalty of 0 throughout: no line
    assert figure.png().startswith(PNG_MAGIC)
    rows.append({"step": 4, "d_loss": 9.0, "g_loss": 2.0, "penalty": 0.5})
    figure.update(rows)
    assert figure.lines["penalty"].get_visible()
    assert list(figure.lines["d_loss"].get_ydata()) == [1.0, 1.0, 1.0, 9.0]
    assert figure.ax.get_ylim()[1] >= 9.0, "the axes follow the data"
    assert len(figure.ax.lines) == 3, "lines are moved, never added again"


def test_paired_samples_view_puts_each_sample_beside_its_real_clip():
    made = [tone(300.0 + 100 * d, 1.024, 8000, 0.5) for d in range(10)]
    real = [tone(2000.0, 1.024, 8000, 0.3) for _ in range(10)]
    titles = [f"step 7: digit {d}" for d in range(10)]
    view = widgets.paired_samples_view(made, titles, real, sample_rate=8000, title="step 7")
    assert bytes(view.image.value).startswith(PNG_MAGIC)
    labels = [p.label.value.split(" (")[0] for p in view.players]
    assert labels[:4] == ["step 7: digit 0", "real digit 0", "step 7: digit 1", "real digit 1"]
    assert len(view.players) == 20 and len(view.grid.children) == 10
    assert "repeat(5," in view.grid.layout.grid_template_columns  # 2 rows of 5, as the picture
    np.testing.assert_array_equal(view.players[1].audio.value, view.players[3].audio.value)


def test_sample_pairs_figure_has_a_labelled_panel_per_digit_in_rows_of_five():
    made = [tone(500.0, 1.024, 8000, 0.5) for _ in range(10)]
    figure = plots.sample_pairs_figure(made, [f"digit {d}" for d in range(10)], made)
    panels, colorbar = figure.axes[:10], figure.axes[10:]
    assert len(colorbar) == 1 and colorbar[0].get_ylabel() == "Magnitude (dB)"
    assert [ax.get_title() for ax in panels] == [f"digit {d}" for d in range(10)]
    assert all(len(ax.images) == 2 for ax in panels)  # the sample and its real clip
    rows = sorted({round(ax.get_position().y0, 3) for ax in panels})
    assert len(rows) == 2
    assert panels[0].get_ylabel() == "Frequency (Hz)" and panels[1].get_ylabel() == ""
    assert all(ax.get_xlabel() == "Time (s)" for ax in panels[5:])
    assert plots.render_png(figure).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="real clips to pair"):
        plots.sample_pairs_figure(made, None, made[:3])


def test_the_comparison_table_has_short_headers_that_wrap_in_a_box_that_scrolls(tmp_path):
    from audiogan_kit.widgets.comparison import TABLE_COLUMNS, RunComparison
    from conftest import tiny_train_config

    comparison = RunComparison(tiny_train_config("dense"), None, tmp_path)
    config = comparison.config()
    comparison._add_row(config, tmp_path / "run-1", {"d_loss": 1.23456, "g_loss": 2.5}, 3.21, 10)
    table = comparison.table.value
    assert table.startswith('<div style="max-width: 100%; overflow-x: auto">')
    assert table.count("<th") == len(TABLE_COLUMNS) and "white-space: normal" in table
    assert "<th" in table and ">latent size</th>" in table and "learning_rate" not in table
    assert "<td>1.23</td>" in table and "<td>run-1</td>" in table
    # No judge was given: its column shows a dash, not "nan".
    assert "nan" not in table and table.count("&ndash;</td>") == 2  # judge accuracy, steps/s
