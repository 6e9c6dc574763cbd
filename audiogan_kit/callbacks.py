"""Callbacks of a training run: the protocol, a progress bar and TensorBoard.

Introduced in notebooks/04_training.ipynb.

A :class:`~audiogan_kit.training.Trainer` calls every callback it was given at fixed points
of a run (:class:`TrainCallback`). Each callback reads what the trainer hands it (the history
rows, the evaluation samples made from the run's fixed noise) and writes it somewhere a person
can look: a tqdm bar in a terminal, TensorBoard event files in ``RUN_DIR/tensorboard`` (open
with ``tensorboard --logdir RUN_DIR``). The notebook dashboards in
:mod:`audiogan_kit.widgets` are callbacks too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ProgressBar",
    "TensorBoardLogger",
    "TrainCallback",
    "spectrogram_images",
    "tensorboard_available",
]


class TrainCallback:
    """Hooks into a training run; subclass and override what you need (all do nothing).

    ``trainer`` is the running :class:`~audiogan_kit.training.Trainer`: its ``gan``,
    ``config``, ``run_dir``, ``step``, ``history``, ``sampler`` (its ``labels``), ``stop()``
    and ``stop_requested``. ``logs`` holds one step's numbers as floats; ``row`` a history
    row (means over ``log_every`` steps); ``samples`` the generated examples and ``audio``
    float32 [n, samples] of the evaluation samples.
    """

    def on_train_begin(self, trainer: Any) -> None: ...

    def on_step_end(self, trainer: Any, step: int, logs: dict[str, float]) -> None: ...

    def on_log(self, trainer: Any, row: dict[str, float]) -> None: ...

    def on_samples(
        self, trainer: Any, step: int, samples: np.ndarray, audio: np.ndarray
    ) -> None: ...

    def on_checkpoint(self, trainer: Any, step: int, path: Path) -> None: ...

    def on_train_end(self, trainer: Any) -> None: ...


def tensorboard_available() -> bool:
    """Whether the ``tensorboard`` package (needed by ``tf.summary``) is installed."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


class ProgressBar(TrainCallback):
    """A progress bar with the latest losses and steps per second: tqdm on a terminal or in a
    notebook, a plain line every 30 s in a log (:func:`audiogan_kit.progress.progress_bar`)."""

    def on_train_begin(self, trainer: Any) -> None:
        from .progress import progress_bar

        self.bar = progress_bar(
            total=trainer.config.num_steps, desc="training", unit="step", initial=trainer.step
        )

    def on_step_end(self, trainer: Any, step: int, logs: dict[str, float]) -> None:
        self.bar.update(1)

    def on_log(self, trainer: Any, row: dict[str, float]) -> None:
        self.bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}")

    def on_train_end(self, trainer: Any) -> None:
        self.bar.close()


def spectrogram_images(audio: np.ndarray, config: Any, db_range: float = 80.0) -> np.ndarray:
    """Mel spectrograms of clips as greyscale images for TensorBoard.

    Args:
        audio: float32 [n, samples] in [-1, 1].
        config: the :class:`~audiogan_kit.config.AudioConfig` of the clips.
        db_range: dB below 0 dBFS-ish (``ref=1``) shown as black.

    Returns:
        float32 [n, n_mels, frames, 1] in [0, 1], low frequencies at the bottom row.
    """
    from .features import mel_spectrogram_db

    images = []
    for clip in np.asarray(audio, dtype=np.float32):
        db = mel_spectrogram_db(clip, config, top_db=None)  # [frames, mels]
        image = np.clip((db + db_range) / db_range, 0.0, 1.0).T[::-1]
        images.append(image[..., None])
    return np.stack(images).astype(np.float32)


class TensorBoardLogger(TrainCallback):
    """TensorBoard scalars (every history row), audio and spectrogram images (every sample set).

    Scalars: every number of the history rows, e.g. ``d_loss``, ``g_loss``, ``penalty`` (a
    GAN), ``l1`` (an enhancer), ``d_real`` / ``d_fake`` (mean D(x) and
    D(G(z)) logits), ``d_grad_norm``, ``g_grad_norm``, ``steps_per_s``. Audio: the fixed-noise
    samples (``tf.summary.audio``, at the run's sample rate). Images: their mel spectrograms.
    Uses ``tf.summary`` under either Keras backend (TensorFlow is a dependency of the kit).

    Args:
        log_dir: where event files go; default ``RUN_DIR/tensorboard``.
    """

    def __init__(self, log_dir: str | Path | None = None) -> None:
        if not tensorboard_available():
            raise ValueError(
                "TensorBoardLogger needs the tensorboard package: pip install tensorboard "
                "(or leave the logger out; history.jsonl is written anyway)."
            )
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.writer = None

    def on_train_begin(self, trainer: Any) -> None:
        import tensorflow as tf

        folder = self.log_dir or trainer.run_dir / "tensorboard"
        self.writer = tf.summary.create_file_writer(str(folder))

    def on_log(self, trainer: Any, row: dict[str, float]) -> None:
        import tensorflow as tf

        with self.writer.as_default(step=int(row["step"])):
            for key, value in row.items():
                if key != "step":
                    tf.summary.scalar(key, value)

    def on_samples(
        self, trainer: Any, step: int, samples: np.ndarray, audio: np.ndarray
    ) -> None:
        import tensorflow as tf

        config = trainer.config.audio
        with self.writer.as_default(step=int(step)):
            tf.summary.audio(
                "samples", audio[..., None], sample_rate=config.sample_rate, max_outputs=len(audio)
            )
            tf.summary.image(
                "mel_spectrograms", spectrogram_images(audio, config), max_outputs=len(audio)
            )

    def on_train_end(self, trainer: Any) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
