"""Training dashboards (notebooks/04_training.ipynb); the run comparison is in
:mod:`~audiogan_kit.widgets.comparison`.

A dashboard is a training callback (:class:`~audiogan_kit.callbacks.TrainCallback`) and a
widget. A notebook cell that runs a long loop blocks the kernel, so button clicks would wait
until the run ends (ipykernel handles a widget's click on the busy main thread):
:meth:`RunDashboard.start` therefore trains in a background thread and returns, and the
kernel stays free to deliver the Stop click. :meth:`RunDashboard.wait` blocks the cell until
the run ends (so Run All goes on with the finished run); while it waits, a kernel interrupt
stops the run instead of the Stop button.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from ..callbacks import TrainCallback
from .players import compare_spectrograms, paired_samples_view

__all__ = ["RunDashboard", "RunStillGoing", "TrainingDashboard"]


#: The most of a run's time a dashboard's loss redraws may take (between two redraws).
DRAW_SHARE = 0.03


class RunStillGoing(RuntimeError):
    """:meth:`RunDashboard.result` was asked for a run that is still training."""


class RunDashboard(TrainCallback, ipywidgets.VBox):
    """What every training dashboard shows: status, loss curves, a sample view, Stop.

    The base of :class:`TrainingDashboard` and
    :class:`~audiogan_kit.widgets.enhancement.EnhancementDashboard`: it follows the history
    rows (status line and :func:`~audiogan_kit.plots.loss_figure`), stops the run, and runs
    it in the background; a subclass fills the sample view in ``on_samples``, usually with
    :meth:`show_samples`, and says how its run is built in :meth:`make_trainer`.

    :meth:`start` builds the run in the calling cell (so a wrong config or a run folder that
    holds another run raises there), then trains in a background thread and returns: the
    kernel stays free, so a click on Stop reaches the run within a step. :meth:`result` gives
    the finished trainer (or says the run is still going), :meth:`wait` blocks the cell until
    the end (a kernel interrupt stops the run while a cell waits).

    The status line follows every history row; the loss figure is redrawn by moving the lines
    of one figure kept open (:class:`~audiogan_kit.plots.live.LiveLossFigure`), at the first
    row, at the end of the run and in between at most once per ``redraw_every_s`` seconds,
    and no sooner than the last redraw's own duration over :data:`DRAW_SHARE` (so that on a
    slow, busy machine drawing stays a few percent of the run). A figure built anew at every
    row, in the training loop, with a sample set of 20 panels in a row, cost the quick preset
    about two fifths of its speed (``benchmarks/results/dashboard_overhead_before.json``).

    Args:
        sample_rate: of the clips, in Hz.
        redraw_every_s: the least time between two redraws of the loss figure, in s (0: at
            every history row).
        clock: what the time is read from (``time.monotonic``; a test passes a fake clock).

    Attributes (for code and tests): ``status`` (Label: step, steps/s), ``message`` (Label:
    the trainer's latest message, e.g. the projected wall time), ``hint`` (Label: how to stop
    the run while :meth:`wait` blocks a cell), ``loss_image``
    (Image), ``samples_box`` (VBox of the latest comparison), ``stop_button``, ``trainer``,
    ``error`` (the exception that ended a background run, or ``None``), ``running``,
    ``redraws`` (how many times the loss figure was drawn), ``live_losses`` (its
    :class:`~audiogan_kit.plots.LiveLossFigure`, ``None`` before the first rows).
    """

    def __init__(
        self,
        sample_rate: int = 8000,
        redraw_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sample_rate = int(sample_rate)
        self.redraw_every_s = float(redraw_every_s)
        self._clock = clock
        self._drawn_at: float | None = None  # clock time of the last loss redraw
        self._drawn_rows = 0  # history rows the loss figure shows
        self._draw_s = 0.0  # how long the last redraw took
        self.redraws = 0
        self.live_losses: plots.LiveLossFigure | None = None
        self.status = ipywidgets.Label(value="not started")
        self.loss_image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="640px"))
        self.samples_box = ipywidgets.VBox([])
        self.message = ipywidgets.Label(value="")
        self.hint = ipywidgets.Label(value="")  # how to stop the run while a cell waits
        self.stop_button = ipywidgets.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True
        )
        self.stop_button.on_click(lambda _: self.stop())
        self.trainer = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # Set when the background run has ended. wait() waits on it, not on Thread.join: a
        # join interrupted by KeyboardInterrupt marks the thread as ended while it still runs
        # (CPython 3.11), so a second join would return at once.
        self._ended = threading.Event()
        self._active = False  # between start (or on_train_begin) and the run's end
        self._history: list[dict[str, float]] = []
        header = ipywidgets.HBox([self.stop_button, self.status])
        super().__init__([header, self.hint, self.message, self.loss_image, self.samples_box])

    # -- the callback ---------------------------------------------------------------------

    def on_train_begin(self, trainer: Any) -> None:
        self.trainer = trainer
        self._active = True
        self.stop_button.disabled = False
        self._history = list(trainer.history)
        self.live_losses, self._drawn_at, self._drawn_rows, self._draw_s = None, None, 0, 0.0
        self.status.value = f"step {trainer.step} / {trainer.config.num_steps}: starting"
        if self._history:
            self._draw_losses()

    def on_log(self, trainer: Any, row: dict[str, float]) -> None:
        self._history.append(row)
        stopping = " (stopping...)" if trainer.stop_requested else ""
        self.status.value = (
            f"step {row['step']} / {trainer.config.num_steps}: {row['steps_per_s']:.1f} "
            f"steps/s, d_loss {row['d_loss']:.3f}, g_loss {row['g_loss']:.3f}{stopping}"
        )
        if self._drawn_at is None:
            self._draw_losses()
            return
        wait_s = max(self.redraw_every_s, self._draw_s / DRAW_SHARE)
        if self._clock() - self._drawn_at >= wait_s:
            self._draw_losses()

    def on_train_end(self, trainer: Any) -> None:
        stopped = " (stopped)" if trainer.stop_requested else ""
        self.status.value = (
            f"finished at step {trainer.step}{stopped}; run folder {trainer.run_dir}"
        )
        if len(self._history) > self._drawn_rows:  # the rows since the last redraw
            self._draw_losses()
        self.stop_button.disabled = True
        if threading.current_thread() is not self._thread:  # a plain callback: the run ends
            self._active = False

    # -- drawing --------------------------------------------------------------------------

    def show_samples(self, clips: Sequence[np.ndarray], titles: Sequence[str]) -> None:
        """Replace the sample view by a :func:`compare_spectrograms` of ``clips``."""
        self.samples_box.children = [compare_spectrograms(clips, self.sample_rate, titles)]

    def _draw_losses(self) -> None:
        if self.live_losses is None:
            self.live_losses = plots.LiveLossFigure("Losses while training")
        start = self._clock()
        self.live_losses.update(self._history)
        self.loss_image.value = self.live_losses.png()
        self._drawn_at, self._drawn_rows = self._clock(), len(self._history)
        self._draw_s = self._drawn_at - start
        self.redraws += 1

    # -- running --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a run of this dashboard has started and not ended yet."""
        return self._active

    def stop(self) -> None:
        """End the run cleanly after the current step (a checkpoint is written).

        Does nothing once the run has ended (a late click leaves its status as it is).
        """
        if not self._active or self.trainer is None:
            return
        self.trainer.stop()
        self.status.value = self.status.value + " (stopping...)"

    def make_trainer(self, config, dataset, run_dir, callbacks, log, allow_slow, **options):
        """The :class:`~audiogan_kit.training.Trainer` that :meth:`start` runs (a GAN's)."""
        from ..training import make_trainer

        return make_trainer(config, dataset, run_dir, callbacks, log, allow_slow, **options)

    def start(
        self,
        config,
        dataset,
        run_dir,
        callbacks: Sequence[Any] = (),
        allow_slow: bool = False,
        on_end: Callable[[RunDashboard], None] | None = None,
        **options: Any,
    ) -> None:
        """Build the run of ``config`` on ``dataset`` in ``run_dir``; train it in the background.

        Returns as soon as the models are built (``None``, so that a cell ending with this
        call does not draw the dashboard a second time). A run that fails in the thread shows
        its error in the status line, keeps it in ``error`` and re-raises it from
        :meth:`result` / :meth:`wait`.

        Args:
            config, dataset, run_dir: as for :func:`audiogan_kit.training.train` (resumes a
                run folder that holds this run).
            callbacks: more :class:`~audiogan_kit.callbacks.TrainCallback` objects.
            allow_slow: train even a run projected to take over an hour (else it stops after
                its warm-up steps with ``RunTooSlow``, shown here).
            on_end: called with this dashboard in the thread when the run has ended (finished,
                stopped or failed).
            options: more arguments of :meth:`make_trainer` (``eval_dataset`` of an
                enhancer).
        """
        if self._active:
            raise RuntimeError(
                "this dashboard's run is still going: press Stop (or wait for it) first."
            )
        self.error = None
        self.status.value = "building the models..."
        try:
            trainer = self.make_trainer(
                config, dataset, run_dir, [self, *callbacks], self._log, allow_slow, **options
            )
        except Exception as error:
            self.status.value = f"could not start: {error}"
            raise
        self.trainer = trainer
        self._active = True
        self.stop_button.disabled = False

        def target() -> None:
            try:
                trainer.run()
            except BaseException as error:  # shown in the status line and kept for wait()
                self.error = error
                self.status.value = (
                    f"stopped by an error at step {trainer.step}: {type(error).__name__}: {error}"
                )
            finally:
                self.stop_button.disabled = True
                self._active = False
                try:
                    if on_end is not None:
                        on_end(self)
                finally:
                    self._ended.set()

        self._ended.clear()
        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()

    def _log(self, message: str) -> None:
        """Trainer messages (resume, projected wall time) go to the ``message`` line."""
        self.message.value = message

    def result(self):
        """The finished (or stopped) run's trainer; raises if it is still going or failed."""
        if self._active:
            step = "?" if self.trainer is None else self.trainer.step
            total = "?" if self.trainer is None else self.trainer.config.num_steps
            raise RunStillGoing(
                f"the run is still training (step {step} / {total}). Wait until the dashboard "
                "says finished (or press Stop), then run this cell and the ones below again "
                "(Run > Run Selected Cell and All Below)."
            )
        if self.error is not None:
            raise self.error
        if self.trainer is None:
            raise RuntimeError("no run was started on this dashboard: call start() first.")
        return self.trainer

    def wait(self, timeout: float | None = None):
        """Block until the :meth:`start`-ed run ends (at most ``timeout`` s); its trainer.

        While a cell waits, the kernel cannot deliver a click on Stop (the click is handled on
        the busy main thread after the cell), so the ``hint`` line says to interrupt the kernel
        instead: an interrupt (JupyterLab's stop button, or I, I) during the wait stops the run
        after its current step, with a checkpoint, and returns the stopped run, so the cells
        below (Run All) go on with it. Re-raises the run's error, if any; raises
        :class:`RunStillGoing` after a timeout.
        """
        if self._thread is not None and not self._ended.is_set():
            self.hint.value = (
                "this cell waits for the run: to stop it early, interrupt the kernel (the "
                "toolbar's stop button, or I, I); the run stops after its step with a checkpoint"
            )
            try:
                self._wait_in_slices(timeout)
            except KeyboardInterrupt:
                self.stop()
                self._ended.wait()
                self.hint.value = (
                    f"interrupted: stopped at step {self.trainer.step}, checkpoint saved"
                )
            else:
                self.hint.value = ""
        return self.result()

    def _wait_in_slices(self, timeout: float | None, slice_s: float = 0.2) -> None:
        """Wait for the run's end (at most ``timeout`` s) in short waits: Python runs a signal
        handler in the main thread only when that thread runs, and the kernel may hand the
        interrupt to the training thread, so one long wait would hear it only at the end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended.is_set():
            left = slice_s if deadline is None else min(slice_s, deadline - time.monotonic())
            if left <= 0:
                return
            self._ended.wait(left)


class TrainingDashboard(RunDashboard):
    """Live view of a GAN's training run: loss curves, samples next to real clips, steps/s, Stop.

    Use it as a callback (``train(..., callbacks=[dashboard])``), or let it run the training
    in a background thread with :meth:`start` (then the Stop button works while training)
    and :meth:`wait` for the end. Every sample set shows each evaluation sample (titled with
    the step and, for a conditional run, the digit asked for) beside a real clip: the first
    real clip of that digit when ``real_labels`` are given, else the real clips in order;
    one picture of 5 panels a row (:func:`~audiogan_kit.widgets.paired_samples_view`: 10
    digits in 2 rows), each panel the sample then its real clip, with both players under it.

    Args:
        real_audio: float [n, samples] real clips to show beside the samples; with
            ``real_labels`` the clip of the same digit is picked for each sample.
        real_labels: int [n] labels of ``real_audio`` (optional).
        sample_rate: of the clips, in Hz.
        options: ``redraw_every_s`` and ``clock`` of :class:`RunDashboard`.

    Attributes: those of :class:`RunDashboard`.
    """

    def __init__(
        self,
        real_audio: Any = None,
        real_labels: Any = None,
        sample_rate: int = 8000,
        **options: Any,
    ) -> None:
        self.real_audio = None if real_audio is None else np.asarray(real_audio, np.float32)
        self.real_labels = None if real_labels is None else np.asarray(real_labels)
        super().__init__(sample_rate, **options)

    def on_samples(
        self, trainer: Any, step: int, samples: np.ndarray, audio: np.ndarray
    ) -> None:
        sampler = trainer.sampler
        conditional = bool(sampler.conditional)
        names = [
            f"digit {sampler.labels[i]}" if conditional else f"#{i}" for i in range(len(audio))
        ]
        real = self._real_for(sampler.labels if conditional else None, len(audio))
        beside = ", each beside a real clip" if real is not None else ""
        heading = f"Samples at step {step}{beside}"
        self.samples_box.children = [
            paired_samples_view(
                list(audio), [f"step {step}: {name}" for name in names], real,
                [f"real {name}" for name in names], self.sample_rate, heading,
            )
        ]

    def _real_for(self, labels: Any, count: int) -> list[np.ndarray] | None:
        """``count`` real clips to pair with the samples (same digits when labelled)."""
        if self.real_audio is None or len(self.real_audio) == 0:
            return None
        if labels is None or self.real_labels is None:
            return list(self.real_audio[:count]) if len(self.real_audio) >= count else None
        picked = []
        for label in labels:
            matches = np.flatnonzero(self.real_labels == label)
            if matches.size == 0:
                return None
            picked.append(self.real_audio[matches[0]])
        return picked
