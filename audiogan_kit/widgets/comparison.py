"""A run comparison (notebooks/04_training.ipynb): sliders that start short runs, each
trained in the background with a :class:`~audiogan_kit.widgets.training.TrainingDashboard`,
and a table, a judge-accuracy plot and players that compare them."""

from __future__ import annotations

import dataclasses
import html
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from ..callbacks import TrainCallback
from .training import TrainingDashboard

__all__ = ["TABLE_COLUMNS", "RunComparison"]


class _LastSamples(TrainCallback):
    """Keeps a run's latest sample set (``audio`` float32 [n, samples], ``labels`` int [n])
    and, at every sample set, ``judge(trainer)`` (a number, or ``None``) in ``curve``:
    ``[(step, accuracy in [0, 1])]``."""

    def __init__(self, judge: Callable[[Any], float | None]) -> None:
        self.judge = judge
        self.audio: np.ndarray | None = None
        self.labels: np.ndarray | None = None
        self.curve: list[tuple[int, float]] = []

    def on_samples(self, trainer: Any, step: int, samples: Any, audio: np.ndarray) -> None:
        self.audio, self.labels = np.asarray(audio), np.asarray(trainer.sampler.labels)
        accuracy = self.judge(trainer)
        if accuracy is not None:
            self.curve.append((int(step), float(accuracy)))


#: The columns of :class:`RunComparison`'s table: a key of its ``results`` rows, its header.
TABLE_COLUMNS = {
    "run": "run",
    "loss": "loss",
    "learning_rate": "learning rate",
    "batch_size": "batch",
    "n_critic": "n_critic",
    "latent_dim": "latent size",
    "model_dim": "d",
    "steps": "steps",
    "judge_accuracy": "judge accuracy",
    "d_loss": "d_loss",
    "g_loss": "g_loss",
    "steps_per_s": "steps/s",
    "wall_s": "wall time (s)",
}


class RunComparison(ipywidgets.VBox):
    """Sliders and dropdowns that start short runs, and a table comparing the runs.

    Controls: learning rate (both networks), batch size, ``n_critic``, loss (the names of
    :data:`audiogan_kit.losses.LOSSES`), latent size, model size ``d``, steps. "Start run"
    trains ``base`` with those values (in the background, with a :class:`TrainingDashboard`)
    into a new folder ``runs_dir/run-<k>`` (the first ``k`` not taken there, so a click never
    resumes an older run); each finished run adds a row (its settings, final losses,
    steps/s, wall time and, given a ``judge``, the judge's accuracy on its samples) to
    ``table`` and to ``results``, and its last sample set (one clip per digit asked for) as
    players to ``samples_box``. With a judge, each run is judged at 4 points (its sample
    sets, every quarter of its steps) and ``judge_plot`` draws accuracy against step for
    every run (``judge_curves``: ``{run: [(step, accuracy)]}``). Final losses are not
    comparable across loss types; the judge's accuracy is. A run that cannot start or fails
    shows its error in ``message`` and enables "Start run" again.

    The steps default to 1,000 (or the preset's, if fewer): the quick preset's judge accuracy
    was 41-47 % after about 1,000 steps in ``benchmarks/results/quality.json`` (seeds 0 and
    1; chance is 10 %).

    Args:
        base: the :class:`~audiogan_kit.training.TrainConfig` the controls modify.
        dataset: the training clips (an ``AudioDataset``).
        runs_dir: folder for the runs.
        judge: a :class:`~audiogan_kit.metrics.Judge` (optional, for a conditional ``base``):
            at each of its sample sets the run's EMA generator makes ``judge_clips`` clips,
            the same number of each digit, and the judge's accuracy is the fraction it hears
            as the digit asked for (the row shows the last).
        judge_clips: clips per judged run.
    """

    def __init__(self, base, dataset, runs_dir, judge: Any = None, judge_clips: int = 100):
        from ..losses import LOSSES

        self.base = base
        self.dataset = dataset
        self.runs_dir = Path(runs_dir)
        self.judge = judge
        self.judge_clips = int(judge_clips)
        self.results: list[dict[str, Any]] = []
        self.end_samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        style = {"description_width": "110px"}
        model = base.model
        self.controls = {
            "learning_rate": ipywidgets.FloatLogSlider(
                value=base.g_learning_rate, base=10, min=-5, max=-2, step=0.25,
                description="learning rate", style=style,
            ),
            "batch_size": ipywidgets.Dropdown(
                options=sorted({8, 16, 32, 64, base.batch_size}), value=base.batch_size,
                description="batch size", style=style,
            ),
            "n_critic": ipywidgets.IntSlider(
                value=base.n_critic, min=1, max=5, description="n_critic", style=style
            ),
            "loss": ipywidgets.Dropdown(
                options=list(LOSSES), value=base.loss, description="loss", style=style
            ),
            "latent_dim": ipywidgets.Dropdown(
                options=sorted({16, 32, 64, 100, model.latent_dim}), value=model.latent_dim,
                description="latent size", style=style,
            ),
            "model_dim": ipywidgets.Dropdown(
                options=sorted({2, 4, 8, 16, 32, model.model_dim}), value=model.model_dim,
                description="model size d", style=style,
            ),
            "num_steps": ipywidgets.IntSlider(
                value=min(base.num_steps, 1000), min=10, max=3000, step=10,
                description="steps", style=style,
            ),
        }
        # Choosing a loss sets the discriminator steps its paper uses (wgan-gp: 5); the
        # slider stays free to move afterwards.
        self.controls["loss"].observe(self._on_loss, names="value")
        self.start_button = ipywidgets.Button(description="Start run", button_style="success")
        self.start_button.on_click(lambda _: self.start())
        self.table = ipywidgets.HTML(value=self._table_html())
        self.message = ipywidgets.HTML(value="")
        self.samples_box = ipywidgets.VBox([])
        self.judge_curves: dict[str, list[tuple[int, float]]] = {}
        self.judge_plot = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="640px"))
        self.dashboard_box = ipywidgets.VBox([])
        self.dashboard: TrainingDashboard | None = None
        # judge_plot joins the children when a judged run first draws it: shown empty, it
        # would be an <img> without a picture (issue 15: the browser suite counts every one)
        children = [
            *self.controls.values(), self.start_button, self.message, self.table,
            self.samples_box, self.dashboard_box,
        ]
        super().__init__(children)

    def _on_loss(self, change: dict[str, Any]) -> None:
        from ..losses import CRITIC_STEPS

        self.controls["n_critic"].value = CRITIC_STEPS.get(change["new"], 1)

    def config(self):
        """The TrainConfig the controls describe now."""
        values = {name: control.value for name, control in self.controls.items()}
        model = dataclasses.replace(
            self.base.model, latent_dim=values["latent_dim"], model_dim=values["model_dim"]
        )
        return dataclasses.replace(
            self.base,
            model=model,
            g_learning_rate=values["learning_rate"],
            d_learning_rate=values["learning_rate"],
            batch_size=values["batch_size"],
            n_critic=values["n_critic"],
            loss=values["loss"],
            num_steps=values["num_steps"],
            checkpoint_every=values["num_steps"],
            # with a judge, 4 sample sets: the points of the judge-accuracy curve
            sample_every=max(values["num_steps"] // 4, 1) if self.judge is not None else 0,
        )

    def new_run_dir(self) -> Path:
        """A folder ``runs_dir/run-<k>`` that did not exist, created (claimed) now."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        k = 1
        while True:
            folder = self.runs_dir / f"run-{k}"
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                k += 1

    def start(self) -> TrainingDashboard | None:
        """Start a run with the current values in a new folder; its row is added when it ends.

        Returns its dashboard, or ``None`` when it could not start (the reason is in
        ``message``).
        """
        config = self.config()
        run_dir = self.new_run_dir()
        self.dashboard = TrainingDashboard(
            getattr(self.dataset, "audio", None),
            getattr(self.dataset, "labels", None),
            config.audio.sample_rate,
        )
        self.dashboard_box.children = [self.dashboard]
        self.start_button.disabled = True
        self.message.value = f"training {run_dir.name}..."
        started = time.perf_counter()
        end = _LastSamples(self._judge_accuracy)

        def on_end(dashboard: TrainingDashboard) -> None:
            if dashboard.error is not None:
                self._show_error(run_dir, dashboard.error)
                return
            trainer = dashboard.trainer
            last = trainer.history[-1] if trainer.history else {}
            wall_s = time.perf_counter() - started
            accuracy = end.curve[-1][1] if end.curve else float("nan")
            self._add_row(config, run_dir, last, wall_s, trainer.step, accuracy)
            if end.curve:
                self.judge_curves[run_dir.name] = end.curve
                self._draw_judge_curves()
            if end.audio is not None:
                self._add_samples(run_dir.name, trainer.step, end.audio, end.labels)

        try:
            self.dashboard.start(config, self.dataset, run_dir, callbacks=[end], on_end=on_end)
        except Exception as error:  # a click handler's exception would vanish in a log
            self._show_error(run_dir, error)
            return None
        return self.dashboard

    def _judge_accuracy(self, trainer: Any) -> float | None:
        """The judge's accuracy on ``judge_clips`` clips of the run's EMA generator now.

        ``None`` without a judge or for an unconditional model.
        """
        model = trainer.config.model
        if self.judge is None or not model.conditional:
            return None
        from ..training import examples_to_audio

        self.message.value = (
            f"judging {self.judge_clips} clips of {trainer.run_dir.name} at step {trainer.step}..."
        )
        rng = np.random.default_rng(0)
        noise = rng.standard_normal((self.judge_clips, model.latent_dim)).astype(np.float32)
        labels = (np.arange(self.judge_clips) % model.num_classes).astype(np.int32)
        made = trainer.gan.generate(noise, labels, use_ema=True)
        audio = examples_to_audio(made, trainer.config, trainer.sampler.stats)
        return float(self.judge.accuracy(audio, labels))

    def _draw_judge_curves(self) -> None:
        fig = plots.new_figure(False, figsize=(6.4, 2.8))
        ax = fig.subplots()
        for name, curve in self.judge_curves.items():
            steps, accuracy = zip(*curve, strict=True)
            ax.plot(steps, np.array(accuracy) * 100, marker="o", label=name)
        ax.axhline(100 / max(self.base.model.num_classes, 1), color="grey", ls=":", label="chance")
        ax.set(title="Judge accuracy of the compared runs", xlabel="generator step",
               ylabel="judge accuracy (%)", ylim=(0, 100))
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        self.judge_plot.value = plots.figure_to_png(fig)
        if self.judge_plot not in self.children:  # under the table
            at = self.children.index(self.table) + 1
            self.children = [*self.children[:at], self.judge_plot, *self.children[at:]]

    def _add_samples(self, name: str, step: int, audio: np.ndarray, labels: np.ndarray) -> None:
        from .players import player_grid

        title = ipywidgets.HTML(value=f"<b>{name}</b>: its samples at step {step}")
        grid = player_grid(audio, self.base.audio.sample_rate, [f"digit {d}" for d in labels])
        self.end_samples[name] = (audio, labels)
        self.samples_box.children = [*self.samples_box.children, title, grid]

    def _show_error(self, run_dir: Path, error: BaseException) -> None:
        self.message.value = (
            f"<b>{run_dir.name} failed</b>: {html.escape(f'{type(error).__name__}: {error}')}"
        )
        self.start_button.disabled = False

    def _add_row(
        self,
        config,
        run_dir: Path,
        last: dict[str, float],
        wall_s: float,
        step: int,
        judge_accuracy: float = float("nan"),
    ) -> None:
        """Add one finished run to ``results`` and ``table``; enable "Start run" again.

        ``last`` is the run's last history row (``{}`` if none: its losses show as NaN).
        """
        self.results.append(
            {
                "run": run_dir.name,
                "loss": config.loss,
                "learning_rate": config.g_learning_rate,
                "batch_size": config.batch_size,
                "n_critic": config.n_critic,
                "latent_dim": config.model.latent_dim,
                "model_dim": config.model.model_dim,
                "steps": step,
                "judge_accuracy": judge_accuracy,
                "d_loss": last.get("d_loss", float("nan")),
                "g_loss": last.get("g_loss", float("nan")),
                "steps_per_s": last.get("steps_per_s", float("nan")),
                "wall_s": wall_s,
            }
        )
        self.table.value = self._table_html()
        self.message.value = f"{run_dir.name} finished at step {step}."
        self.start_button.disabled = False

    def _table_html(self) -> str:
        """``results`` as an HTML table that fits a notebook's output area.

        One column per key of :data:`TABLE_COLUMNS`, headed by its short label, which may wrap
        onto two lines; numbers to 3 significant digits. The table is in a box that scrolls
        sideways rather than spill over the output area, should a narrow window need it. A
        value not measured (NaN: no judge, an unconditional model, or no logged step) shows
        as a dash.
        """
        if not self.results:
            return "<i>No runs yet: set the values and press Start run.</i>"

        def cell(value: Any) -> str:
            if isinstance(value, float) and math.isnan(value):
                return '<td title="not measured for this run">&ndash;</td>'
            return f"<td>{value:.3g}</td>" if isinstance(value, float) else f"<td>{value}</td>"

        head = "".join(
            f'<th style="white-space: normal; max-width: 6.5em">{html.escape(label)}</th>'
            for label in TABLE_COLUMNS.values()
        )
        rows = "".join(
            "<tr>" + "".join(cell(row[key]) for key in TABLE_COLUMNS) + "</tr>"
            for row in self.results
        )
        return (
            '<div style="max-width: 100%; overflow-x: auto">'
            f'<table style="font-size: 90%"><tr>{head}</tr>{rows}</table></div>'
        )
