"""A trained generator as one ``.keras`` file (plus a JSON sidecar), usable without the run.

:func:`export_generator` writes the generator of a run's newest good checkpoint (its EMA
copy when the run keeps one) with Keras' own format, and next to it ``<name>.json``: the
run's :class:`~audiogan_kit.training.TrainConfig`, the spectrogram statistics (SpecGANs),
the class names, the step, and the sha256 of the ``.keras`` file. The model loads with plain
``keras.saving.load_model(path, safe_mode=True)`` once the kit's layers are registered
(``import audiogan_kit.layers``); :func:`load_exported` does that, checks the sidecar, and
returns an :class:`ExportedGenerator` that makes audio like a run
(``audiogan generate generator.keras``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from keras import ops

from ..io import atomic_write_bytes, atomic_write_text, sha256_file
from ..models import load_model, save_model
from .configs import TrainConfig
from .examples import examples_to_audio
from .runs import generator_inputs, load_run

__all__ = ["EXPORT_FORMAT", "ExportedGenerator", "export_generator", "load_exported"]

#: Version of the sidecar's layout.
EXPORT_FORMAT = 1


def export_generator(
    run_dir: str | Path,
    path: str | Path,
    class_names: Sequence[str] | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Write the run's generator to ``path`` (``*.keras``) and its sidecar ``path.json``.

    Args:
        run_dir: a training run folder (``audiogan train --out``).
        path: the model file to write; must end in ``.keras``. Both files are written
            atomically (whole or not at all).
        class_names: the names of the run's classes (index order), kept in the sidecar.
        log: where messages (skipped checkpoints) go.

    Returns:
        ``path``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: the generator is written as a .keras file; rename it *.keras.")
    run = load_run(run_dir, log)
    model = run.gan.ema_generator or run.gan.generator
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras writes only to a path that ends in .keras: stage it, then move its bytes.
    with tempfile.TemporaryDirectory(prefix=f".{path.stem}.", dir=path.parent) as folder:
        staged = save_model(model, Path(folder) / path.name)
        digest = sha256_file(staged)
        atomic_write_bytes(path, staged.read_bytes())
    sidecar = {
        "format_version": EXPORT_FORMAT,
        "train_config": run.config.to_dict(),
        "stats": None if run.stats is None else run.stats.to_dict(),
        "class_names": None if class_names is None else list(class_names),
        "step": run.step,
        "model_sha256": digest,
    }
    atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=1) + "\n")
    return path


class ExportedGenerator:
    """An exported generator, ready to make audio (the same interface as a run's).

    Attributes:
        path, config (the run's :class:`TrainConfig`), stats, class_names (or ``None``),
        step, model (the ``keras.Model``: noise float32 [n, latent_dim] (and labels int32 [n]
        for a conditional run) to examples).
    """

    def __init__(self, path: Path, model: Any, sidecar: dict[str, Any]) -> None:
        from ..features import SpectrogramStats

        self.path = path
        self.model = model
        self.config = TrainConfig.from_dict(sidecar["train_config"])
        stats = sidecar.get("stats")
        self.stats = None if stats is None else SpectrogramStats.from_dict(stats)
        self.class_names = sidecar.get("class_names")
        self.step = int(sidecar.get("step", 0))

    def generate(
        self, n: int, digit: int | None = None, seed: int = 0, vocoder: Any | None = None
    ) -> np.ndarray:
        """``n`` clips: float32 [n, num_samples] in [-1, 1] at ``config.audio.sample_rate`` Hz
        (``digit``: the class index, for a conditional run; ``vocoder``: as for
        :meth:`RunGenerator.generate`)."""
        noise, labels = generator_inputs(self.config, n, digit, seed)
        inputs = [noise, labels] if self.config.model.conditional else noise
        made = np.asarray(ops.convert_to_numpy(self.model(inputs, training=False)), np.float32)
        return examples_to_audio(made, self.config, self.stats, vocoder=vocoder)


def load_exported(path: str | Path) -> ExportedGenerator:
    """Read a generator written by :func:`export_generator` (``safe_mode=True``).

    Raises:
        ValueError: the file or its sidecar is missing or unreadable, or the file does not
            match the sha256 in the sidecar (changed or half-copied).
    """
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"cannot read {sidecar_path}, the sidecar of {path} ({error}); copy both files "
            "that `audiogan export` wrote."
        ) from error
    if not path.is_file() or sha256_file(path) != sidecar.get("model_sha256"):
        raise ValueError(
            f"{path} is missing or does not match the sha256 in {sidecar_path}; export again."
        )
    return ExportedGenerator(path, load_model(path), sidecar)
