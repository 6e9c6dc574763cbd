"""The training loop, shared by every kind of GAN of the kit.

Introduced in notebooks/04_training.ipynb.

:class:`Trainer` is given what differs between runs (composition, no subclass hooks): the
compiled two-player model, a batch source (``batches(step) -> batch``), a sampler
(``sampler(model) -> (examples, audio)``) and callbacks. It resumes from the newest good
checkpoint, runs the steps, writes history rows, checkpoints and sample sets at their
intervals, and stops at the first non-finite loss without touching the last good checkpoint.
A few steps into every run it projects the wall time left from their measured speed and
refuses a run projected over :data:`SLOW_RUN_S` unless it was given ``allow_slow=True``
(:class:`RunTooSlow`).
:func:`~audiogan_kit.training.train` and :func:`~audiogan_kit.training.train_enhancer` put the
pieces together for a GAN and for an enhancer.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from keras import ops

from .. import backend
from ..callbacks import TrainCallback
from .checkpoints import checkpoint_paths, load_latest_checkpoint, save_checkpoint
from .run_folder import RunFolder
from .two_player import TwoPlayerModel

__all__ = ["SLOW_RUN_S", "RunTooSlow", "Trainer", "TrainingDiverged", "format_duration"]

#: A run projected to take longer than this (seconds) needs ``allow_slow=True``.
SLOW_RUN_S = 3600.0
#: The projection times this many steps after the first one (which traces and compiles) ...
WARMUP_STEPS = 3
#: ... or the steps of this many seconds, whichever ends first (a paper step on a CPU: minutes).
WARMUP_S = 10.0


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the run stopped and its last good checkpoint is kept."""


class RunTooSlow(RuntimeError):
    """The run's projected wall time is over :data:`SLOW_RUN_S` and ``allow_slow`` was not set."""


def format_duration(seconds: float) -> str:
    """``seconds`` as a person reads it: "45 s", "12 min", "5.3 h" or "230 days"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


class Trainer:
    """Runs (or resumes) one training run in a :class:`RunFolder`.

    Args:
        run: the run folder, opened with the run's config (``run.config``: ``num_steps``,
            ``log_every``, ``checkpoint_every``, ``keep_checkpoints``, ``sample_every``,
            ``jit_compile``).
        gan: the compiled :class:`~audiogan_kit.training.two_player.TwoPlayerModel`.
        batches: ``batches(step) -> batch``, the data of step ``step`` (0-based) as
            ``gan.train_step`` takes it; a pure function of the step, so a resumed run sees
            the same data.
        sampler: ``sampler(gan) -> (examples, audio float32 [n, samples])``, the evaluation
            samples; ``sampler.labels`` (int [n]) are saved with them and
            ``sampler.conditional`` says whether they mean anything.
        callbacks: :class:`~audiogan_kit.callbacks.TrainCallback` objects.
        log: where messages (resume, skipped checkpoints, the projected wall time) go.
        allow_slow: train on even when the projected wall time is over :data:`SLOW_RUN_S`
            (else :meth:`run` raises :class:`RunTooSlow` after the warm-up steps).

    Attributes:
        config, run_dir, gan, sampler, step (the steps done), history (the rows so far),
        interrupted (whether Ctrl-C ended the run).
    """

    def __init__(
        self,
        run: RunFolder,
        gan: TwoPlayerModel,
        batches: Callable[[int], Any],
        sampler: Callable[[TwoPlayerModel], tuple[np.ndarray, np.ndarray]],
        callbacks: Iterable[TrainCallback] = (),
        log: Callable[[str], None] = print,
        allow_slow: bool = False,
    ) -> None:
        self.allow_slow = bool(allow_slow)
        self.run_folder = run
        self.config = run.config
        self.run_dir = run.path
        self.gan = gan
        self.batches = batches
        self.sampler = sampler
        self.callbacks = list(callbacks)
        self.log = log
        self.step = 0
        self.history: list[dict[str, float]] = []
        self._stop = False
        self.interrupted = False
        self._step_fn = backend.compile_step(
            gan.train_step,
            gan.all_state(),
            jit_compile=self.config.jit_compile,
            parallel=gan.parallel,
            batch_axis=gan.batch_axis,
        )

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop

    def stop(self) -> None:
        """Ask the run to end cleanly after the current step (a checkpoint is written)."""
        self._stop = True

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation samples now: ``sampler(gan)``."""
        return self.sampler(self.gan)

    def _checkpoint(self) -> None:
        for variable in self.gan.generator.weights + self.gan.discriminator.weights:
            if not np.all(np.isfinite(ops.convert_to_numpy(variable.value))):
                raise TrainingDiverged(
                    f"step {self.step}: the weight {variable.path} holds NaN or inf; the run "
                    f"stopped without overwriting the last good checkpoint in "
                    f"{self.run_dir / 'checkpoints'}. Lower the learning rates and resume."
                )
        keep = self.config.keep_checkpoints
        path = save_checkpoint(self.gan, self.config, self.step, self.run_dir, keep=keep)
        for callback in self.callbacks:
            callback.on_checkpoint(self, self.step, path)

    def _write_samples(self) -> None:
        made, audio = self.samples()
        self.run_folder.save_samples(self.step, made, audio, self.sampler.labels)
        for callback in self.callbacks:
            callback.on_samples(self, self.step, made, audio)

    def _check_finite(self, logs: dict[str, float]) -> None:
        bad = [k for k in ("d_loss", "g_loss") if not math.isfinite(logs[k])]
        if bad:
            last = checkpoint_paths(self.run_dir)
            raise TrainingDiverged(
                f"step {self.step + 1}: {', '.join(bad)} is {logs[bad[0]]}; the run stopped. "
                "The last good checkpoint is "
                f"{last[-1] if last else 'none (none was written yet)'}; lower the learning "
                "rates (or use wgan-gp / hinge) and resume."
            )

    def _resume(self) -> None:
        resumed = load_latest_checkpoint(self.gan, self.run_dir, self.log)
        self.run_folder.truncate_history(resumed)
        if resumed is not None:
            self.step = resumed
            self.log(f"resuming {self.run_dir} from step {resumed}")
        self.history = self.run_folder.history()

    def _project_wall_time(self, steps: int, seconds: float) -> None:
        """Log the wall time left at ``steps / seconds`` steps/s; refuse a slow run."""
        from ..backend import device_summary

        rate = steps / max(seconds, 1e-9)
        left_s = (self.config.num_steps - self.step) / rate
        message = (
            f"projected wall time of the {self.config.num_steps - self.step:,} steps left: "
            f"{format_duration(left_s)} ({rate:.3g} steps/s over {steps} warm-up steps on "
            f"{device_summary()['accelerator']})"
        )
        if left_s > SLOW_RUN_S and not self.allow_slow:
            raise RunTooSlow(
                f"{message}. That is over {format_duration(SLOW_RUN_S)}: pass allow_slow=True "
                "(audiogan train --allow-slow) to train anyway, or train fewer steps, a "
                "smaller preset or on a GPU."
            )
        self.log(message)

    def _append_history(self, row: dict[str, float]) -> None:
        self.history.append(row)
        self.run_folder.append_history(row)
        for callback in self.callbacks:
            callback.on_log(self, row)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        """The first Ctrl-C (SIGINT) ends the run after the current step, with a checkpoint;
        a second one stops at once."""
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self._stop = True
        self.log(
            f"interrupted: stopping after step {self.step + 1} and writing a checkpoint "
            "(press Ctrl-C again to quit without one)"
        )

    @contextlib.contextmanager
    def _interrupts_stop_cleanly(self) -> Iterator[None]:
        """While training (in the main thread), Ctrl-C calls :meth:`_on_interrupt`."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def run(self) -> list[dict[str, float]]:
        """Train until ``config.num_steps`` (or :meth:`stop`, or Ctrl-C); the history rows.

        The run folder's lock is held throughout (a second process is refused with
        :class:`~audiogan_kit.io.FolderInUse`). Ctrl-C (SIGINT) ends the run after the current
        step with a checkpoint of that step and sets :attr:`interrupted`; a second Ctrl-C
        raises ``KeyboardInterrupt`` at once.

        Raises:
            TrainingDiverged: a non-finite loss or weight (the last good checkpoint is kept).
            CheckpointWriteError: a checkpoint could not be written (e.g. a full disk); the
                previous checkpoints are whole.
        """
        with self.run_folder.lock(), self._interrupts_stop_cleanly():
            return self._run()

    def _run(self) -> list[dict[str, float]]:
        config = self.config
        self._resume()
        for callback in self.callbacks:
            callback.on_train_begin(self)
        sums: dict[str, float] = {}
        count = 0
        interval_start = time.perf_counter()
        warmup: tuple[int, float] | None = None  # (step, time) after the compiling step
        try:
            while self.step < config.num_steps and not self._stop:
                outputs = self._step_fn(self.batches(self.step))
                logs = {k: float(ops.convert_to_numpy(v)) for k, v in outputs.items()}
                self._check_finite(logs)
                self.step += 1
                for key, value in logs.items():
                    sums[key] = sums.get(key, 0.0) + value
                count += 1
                for callback in self.callbacks:
                    callback.on_step_end(self, self.step, logs)
                if warmup is None:
                    warmup = (self.step, time.perf_counter())
                elif warmup[0] >= 0:
                    steps, seconds = self.step - warmup[0], time.perf_counter() - warmup[1]
                    if steps >= WARMUP_STEPS or seconds >= WARMUP_S:
                        self._project_wall_time(steps, seconds)
                        warmup = (-1, 0.0)  # projected once
                if self.step % config.log_every == 0 or self.step == config.num_steps:
                    elapsed = time.perf_counter() - interval_start
                    row = {"step": self.step, **{k: v / count for k, v in sums.items()}}
                    row["steps_per_s"] = count / max(elapsed, 1e-9)
                    self._append_history(row)
                    sums, count, interval_start = {}, 0, time.perf_counter()
                if self.step % config.checkpoint_every == 0:
                    self._checkpoint()
                if config.sample_every and self.step % config.sample_every == 0:
                    self._write_samples()
            if self.step % config.checkpoint_every != 0 and (
                not checkpoint_paths(self.run_dir) or self._stop or self.step == config.num_steps
            ):
                self._checkpoint()
            if not self.interrupted and (
                not config.sample_every or self.step % config.sample_every != 0
            ):
                self._write_samples()
        finally:
            for callback in self.callbacks:
                callback.on_train_end(self)
        return self.history
