"""The training loop, shared by every kind of GAN of the kit.

Introduced in notebooks/04_training.ipynb.

:class:`Trainer` is given what differs between runs (composition, no subclass hooks): the
compiled two-player model, a batch source (``batches(step) -> batch``), a sampler
(``sampler(model) -> (examples, audio)``) and callbacks. It resumes from the newest good
checkpoint, runs the steps, writes history rows, checkpoints and sample sets at their
intervals, and stops at the first non-finite loss without touching the last good checkpoint.
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

__all__ = ["Trainer", "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the run stopped and its last good checkpoint is kept."""


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
        log: where messages (resume, skipped checkpoints) go.

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
    ) -> None:
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
