"""A run folder: the one place a training run keeps everything it writes.

Introduced in notebooks/04_training.ipynb.

Layout of ``RUN_DIR``:

- ``config.json``: the run's config (:class:`~audiogan_kit.training.TrainConfig` or
  :class:`~audiogan_kit.training.EnhancerTrainConfig`);
- ``stats.json``: the spectrogram statistics (spectrogram models only);
- ``data.json``: where ``audiogan train`` read the clips (FSDD or a folder, its labels and
  slicing) and the class names, so that a resume and ``audiogan generate --label`` know them;
- ``checkpoints/ckpt-<step>.npz``: see :mod:`audiogan_kit.training.checkpoints`;
- ``history.jsonl``: one JSON row per ``log_every`` steps (step, the mean of each number the
  step returned over the interval, steps_per_s);
- ``samples/step-<step>.npz``: the evaluation samples (``examples``, ``audio``, ``labels``);
- ``tensorboard/``: event files, when the TensorBoard callback is used;
- ``.lock``: held by the process training the run (:meth:`RunFolder.lock`), so that a second
  one is refused; the operating system releases it when that process ends or is killed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..io import atomic_write, atomic_write_text, exclusive_lock

__all__ = ["RunFolder", "load_sample_set", "load_stats", "read_history", "sample_set_paths"]


def read_history(run_dir: str | Path) -> list[dict[str, float]]:
    """The run's ``history.jsonl`` rows (one dict per logged step), oldest first."""
    path = Path(run_dir) / "history.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut by a kill: everything before it is good
    return rows


def sample_set_paths(run_dir: str | Path) -> dict[int, Path]:
    """The run's saved sample sets, ``{step: samples/step-<step>.npz}`` by increasing step."""
    paths = {}
    for path in (Path(run_dir) / "samples").glob("step-*.npz"):
        try:
            paths[int(path.stem.removeprefix("step-"))] = path
        except ValueError:
            continue  # not a name save_samples writes
    return dict(sorted(paths.items()))


def load_sample_set(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One saved sample set: ``(audio float32 [n, samples] in [-1, 1], labels int [n])``."""
    with np.load(path) as content:
        return content["audio"].astype(np.float32), content["labels"]


def load_stats(run_dir: str | Path) -> Any | None:
    """The run's saved :class:`~audiogan_kit.features.SpectrogramStats`, or ``None``."""
    from ..features import SpectrogramStats

    path = Path(run_dir) / "stats.json"
    return SpectrogramStats.load(path) if path.is_file() else None


class RunFolder:
    """The folder of one run, checked against the run's config when opened.

    Opening a folder that already holds a run with another config raises ``ValueError``
    (only ``num_steps`` may change, to train a run further), and one that another process is
    training raises :class:`~audiogan_kit.io.FolderInUse`; otherwise the config is saved as
    ``config.json``.

    Args:
        path: the run folder (created if missing).
        config: the run's config.
    """

    def __init__(self, path: str | Path, config: Config) -> None:
        self.path = Path(path)
        self.config = config
        self.path.mkdir(parents=True, exist_ok=True)
        with self.lock():  # refuse a folder in use before touching its config
            pass
        saved = self.path / "config.json"
        if saved.is_file():
            previous = type(config).load(saved)
            if dataclasses.replace(previous, num_steps=config.num_steps) != config:
                raise ValueError(
                    f"{self.path} holds a run with another config (only num_steps may change "
                    "on resume); choose a new run folder or pass the saved config "
                    f"({type(config).__name__}.load('{saved}'))."
                )
        config.save(saved)

    def lock(self) -> Any:
        """A context manager that holds the run's lock (:func:`audiogan_kit.io.exclusive_lock`);
        the trainer holds it while it runs."""
        return exclusive_lock(self.path, "a training run")

    def load_stats(self) -> Any | None:
        """The saved :class:`~audiogan_kit.features.SpectrogramStats`, or ``None``."""
        return load_stats(self.path)

    def save_stats(self, stats: Any | None) -> None:
        """Save the spectrogram statistics once (``None``: nothing to save)."""
        if stats is not None and not (self.path / "stats.json").is_file():
            stats.save(self.path / "stats.json")

    def history(self) -> list[dict[str, float]]:
        return read_history(self.path)

    def append_history(self, row: dict[str, float]) -> None:
        with open(self.path / "history.jsonl", "a") as handle:
            handle.write(json.dumps(row) + "\n")

    def truncate_history(self, step: int | None) -> None:
        """Keep the rows up to ``step`` (a resumed run drops what came after its checkpoint);
        ``None`` starts the history afresh."""
        rows = [] if step is None else [row for row in self.history() if row["step"] <= step]
        atomic_write_text(self.path / "history.jsonl", "".join(json.dumps(r) + "\n" for r in rows))

    def save_samples(
        self, step: int, examples: np.ndarray, audio: np.ndarray, labels: np.ndarray
    ) -> Path:
        """Write ``samples/step-<step>.npz`` (atomically) and return its path."""
        folder = self.path / "samples"
        folder.mkdir(exist_ok=True)
        path = folder / f"step-{int(step):08d}.npz"
        with atomic_write(path) as handle:
            np.savez(handle, examples=examples, audio=audio, labels=labels)
        return path
