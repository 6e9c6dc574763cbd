"""Listen as it learns: a slider over a run's saved sample sets (notebooks/04_training.ipynb).

Every ``sample_every`` steps a run saves its evaluation samples (the same fixed noise and
labels each time) as ``samples/step-<step>.npz``
(:func:`~audiogan_kit.training.sample_set_paths`). :class:`SampleSetBrowser` puts a slider
over those steps; at each it shows the set's spectrograms on one fixed dB scale (the same for
every step, so louder or cleaner is visible as such) end to end in one picture, a player per
clip, and a plot of the
judge's accuracy on each saved set against step with the current step marked.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from .players import player_grid

__all__ = ["SampleSetBrowser"]


class SampleSetBrowser(ipywidgets.VBox):
    """A slider over a run's saved sample sets: spectrograms, players, judge accuracy by step.

    The judge (optional) scores each saved set once, when the browser is built (a progress
    bar counts the sets; :meth:`refresh` scores only the sets saved since): its accuracy on a
    set is the fraction of the set's clips it hears as the digit they were asked for (10 clips
    per set in the presets: steps of 10 %). Without a judge (or for an unconditional run, whose
    labels say nothing) the plot shows the run's losses from ``history.jsonl`` instead.

    Moving the slider (``slider.value = step``, or a drag in JupyterLab, drawn when the mouse
    is released) redraws the picture, the players and the marker on the plot. An error while
    drawing (a sample file removed meanwhile) is shown in ``message``, not lost in a log.

    Args:
        run_dir: a run folder written by :func:`audiogan_kit.training.train` (its
            ``config.json`` gives the sample rate and the STFT settings of the pictures).
        judge: a :class:`~audiogan_kit.metrics.Judge` or anything with
            ``accuracy(audio float32 [n, samples], labels int [n]) -> float in [0, 1]``.
        columns: players per row.
        progress: show a progress bar (:func:`audiogan_kit.progress.progress_bar`) while the
            judge scores the sets.

    Attributes (for code and tests): ``slider`` (``SelectionSlider``, value: the step),
    ``steps`` (the saved steps, increasing), ``accuracy`` (``{step: accuracy in [0, 1]}``,
    empty without a judge), ``title`` (HTML), ``image`` (PNG of the set's spectrograms end to
    end, :func:`~audiogan_kit.plots.spectrogram_strip_figure`, titled with the step),
    ``players_box`` (holds the ``player_grid``; its ``.players[i].audio.value`` are the wav
    bytes of clip ``i``), ``plot`` (PNG of accuracy or losses against step), ``shown_step``
    (the step drawn last), ``message`` (HTML).

    Raises:
        ValueError: ``run_dir`` is not a run folder, or has no saved sample sets yet.
    """

    def __init__(
        self, run_dir: str | Path, judge: Any = None, columns: int = 5, progress: bool = True
    ) -> None:
        from ..training import TrainConfig

        self.run_dir = Path(run_dir)
        path = self.run_dir / "config.json"
        if not path.is_file():
            raise ValueError(
                f"{self.run_dir} is not a training run (no config.json); give the folder that "
                "training.train or `audiogan train --out` wrote."
            )
        self.config = TrainConfig.load(path)
        self.judge = judge if self.config.model.conditional else None
        self.columns = int(columns)
        self.progress = progress
        self.accuracy: dict[int, float] = {}
        self.shown_step: int | None = None
        self._sets: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._paths: dict[int, Path] = {}
        self.title = ipywidgets.HTML()
        self.message = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.players_box = ipywidgets.Box([])
        self.plot = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="640px"))
        self.slider = ipywidgets.SelectionSlider(
            options=[("none", -1)], description="step", continuous_update=False,
            layout=ipywidgets.Layout(width="640px"),
        )
        self._find_sets()
        if not self._paths:
            raise ValueError(
                f"{self.run_dir} has no saved sample sets (samples/step-*.npz) yet: train with "
                "sample_every > 0 and come back after the first sample set."
            )
        self._score_new_sets()
        self.slider.options = [(str(step), step) for step in self.steps]
        self.slider.value = self.steps[-1]
        self.slider.observe(self._on_step, names="value")
        super().__init__(
            [self.slider, self.title, self.message, self.image, self.players_box, self.plot]
        )
        self.show(self.steps[-1])

    @property
    def steps(self) -> list[int]:
        return list(self._paths)

    def refresh(self) -> None:
        """Pick up the sample sets saved since (a run still training); score the new ones."""
        self._find_sets()
        self._score_new_sets()
        current = self.slider.value
        self.slider.unobserve(self._on_step, names="value")  # new options reset the value
        try:
            self.slider.options = [(str(step), step) for step in self.steps]
            self.slider.value = current if current in self._paths else self.steps[-1]
        finally:
            self.slider.observe(self._on_step, names="value")
        self.show(self.slider.value)

    def show(self, step: int) -> None:
        """Draw the sample set of ``step`` (one of ``steps``) and mark it on the plot."""
        audio, labels = self._sample_set(step)
        conditional = self.config.model.conditional
        names = [f"digit {d}" if conditional else f"#{i}" for i, d in enumerate(labels)]
        audio_config = self.config.audio
        figure = plots.spectrogram_strip_figure(
            audio, names, audio_config, pyplot=False, limits=plots.fixed_db_limits(audio_config),
            title=f"Samples at step {step} (one dB scale for every step)",
        )
        self.image.value = plots.figure_to_png(figure)
        self.players_box.children = [
            player_grid(audio, audio_config.sample_rate, names, self.columns)
        ]
        score = ""
        if step in self.accuracy:
            score = f": the judge hears {self.accuracy[step]:.0%} as the digit asked for"
        self.title.value = f"<b>step {step}</b> ({len(audio)} samples{score})"
        self.plot.value = plots.figure_to_png(self._curve_figure(step))
        self.message.value = ""
        self.shown_step = step

    # -- internals ------------------------------------------------------------------------

    def _on_step(self, change: dict[str, Any]) -> None:
        try:
            self.show(change["new"])
        except Exception as error:  # an observer's exception would only reach the log
            self.message.value = (
                f"<b>could not show step {change['new']}</b>: "
                f"{html.escape(f'{type(error).__name__}: {error}')}"
            )

    def _find_sets(self) -> None:
        from ..training import sample_set_paths

        self._paths = sample_set_paths(self.run_dir)

    def _sample_set(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        from ..training import load_sample_set

        if step not in self._sets:
            if step not in self._paths:
                raise ValueError(f"no sample set at step {step}; saved steps: {self.steps}.")
            self._sets[step] = load_sample_set(self._paths[step])
        return self._sets[step]

    def _score_new_sets(self) -> None:
        """The judge's accuracy on every saved set not scored yet, once each."""
        new = [step for step in self.steps if step not in self.accuracy]
        if self.judge is None or not new:
            return
        bar = None
        if self.progress:
            from ..progress import progress_bar

            bar = progress_bar(len(new), "judging the saved sample sets", unit="set")
        try:
            for step in new:
                audio, labels = self._sample_set(step)
                self.accuracy[step] = float(self.judge.accuracy(audio, labels))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    def _curve_figure(self, step: int):
        fig = plots.new_figure(False, figsize=(6.4, 2.8), layout="constrained")
        ax = fig.subplots()
        if self.accuracy:
            steps = sorted(self.accuracy)
            ax.plot(steps, [100 * self.accuracy[s] for s in steps], marker="o", label="judge")
            classes = max(self.config.model.num_classes, 1)
            ax.axhline(100 / classes, color="grey", ls=":", label="chance")
            ax.set(title=f"Judge accuracy on each saved sample set (step {step} marked)",
                   ylabel="judge accuracy (%)", ylim=(0, 100))
        else:
            from ..training import read_history

            history = read_history(self.run_dir)
            for key in ("d_loss", "g_loss"):
                ax.plot([r["step"] for r in history], [r[key] for r in history], label=key)
            ax.set(title=f"Losses (no judge given; step {step} marked)",
                   ylabel="loss (nats or critic units)")
        ax.axvline(step, color="tab:red", lw=1.5, label=f"step {step}")
        ax.set_xlabel("generator step")
        ax.legend(loc="upper left", fontsize=8)
        return fig
