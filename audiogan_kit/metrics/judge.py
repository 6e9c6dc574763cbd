"""The trained judge: probabilities and embeddings of clips, and its file with a sidecar.

A :class:`Judge` wraps the network of :mod:`audiogan_kit.models.judge` with the configs it
was trained with and what is known about its training. It is written as a ``.keras`` file
plus a JSON sidecar (the configs, that record, and the file's sha256), and read back with
``safe_mode=True`` only when the file matches its sidecar. :func:`data_digest` names the
data a judge learned from, which its record keeps.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from ..io import atomic_write_bytes, atomic_write_text, sha256_file
from ..models.judge import JudgeConfig

__all__ = ["JUDGE_FORMAT_VERSION", "Judge", "data_digest"]

#: Bumped when the judge's file layout or training recipe changes, so old files retrain.
JUDGE_FORMAT_VERSION = 2

_SIDECAR_KEYS = {"format_version", "audio_config", "judge_config", "model_sha256"}


class Judge:
    """A trained digit classifier that scores audio: probabilities and embeddings.

    Args:
        model: the network from :func:`~audiogan_kit.models.build_judge_model` (raw audio in,
            logits out).
        audio_config: the :class:`AudioConfig` of the clips it was trained on; clips to score
            must have ``audio_config.num_samples`` samples at ``audio_config.sample_rate`` Hz.
        config: the :class:`JudgeConfig` it was trained with.
        info: what is known about its training: ``official_test_accuracy``,
            ``held_out_speaker_accuracy``, ``data_digest``, ``train_seconds``, ... (JSON-ready).
        path: the ``.keras`` file it was loaded from or saved to, if any.
    """

    def __init__(
        self,
        model: keras.Model,
        audio_config: AudioConfig = DEFAULT_CONFIG,
        config: JudgeConfig | None = None,
        info: dict[str, Any] | None = None,
        path: Path | None = None,
    ) -> None:
        self.model = model
        self.audio_config = audio_config
        self.config = JudgeConfig() if config is None else config
        self.info = dict(info or {})
        self.path = path
        embedding = model.get_layer("embedding").output
        self._scorer = keras.Model(
            model.inputs[0], [embedding, model.outputs[0]], name="judge_scorer"
        )

    def __repr__(self) -> str:
        accuracy = self.info.get("official_test_accuracy")
        text = f"{accuracy:.1%}" if isinstance(accuracy, float) else "not measured"
        return f"Judge(official test accuracy {text}, embedding_dim {self.embedding_dim})"

    @property
    def embedding_dim(self) -> int:
        return int(self.model.get_layer("embedding").units)

    @property
    def num_classes(self) -> int:
        return int(self.model.output_shape[-1])

    def scores(self, audio: Any, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and class probabilities of a batch of clips, in one pass.

        Args:
            audio: float [clips, num_samples] (or [clips, num_samples, 1], or an
                ``AudioDataset``) in [-1, 1] at ``audio_config.sample_rate`` Hz.
            batch_size: clips per forward pass (bounds memory, not the result).

        Returns:
            (embeddings float32 [clips, embedding_dim] >= 0, probabilities float32
            [clips, num_classes], rows summing to 1).
        """
        audio = as_batch(audio, num_samples=self.audio_config.num_samples, allow_empty=True)
        if audio.shape[0] == 0:
            return (
                np.zeros((0, self.embedding_dim), np.float32),
                np.zeros((0, self.num_classes), np.float32),
            )
        embeddings, logits = [], []
        for start in range(0, audio.shape[0], batch_size):
            e, z = self._scorer(audio[start : start + batch_size], training=False)
            embeddings.append(keras.ops.convert_to_numpy(e))
            logits.append(keras.ops.convert_to_numpy(z))
        logits = np.concatenate(logits).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return np.concatenate(embeddings).astype(np.float32), probabilities.astype(np.float32)

    def predict_proba(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """p(digit | clip): float32 [clips, num_classes], rows summing to 1."""
        return self.scores(audio, batch_size)[1]

    def embed(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """Penultimate-layer embedding: float32 [clips, embedding_dim] (ReLU units, >= 0)."""
        return self.scores(audio, batch_size)[0]

    def predict(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """The most probable digit of each clip: int64 [clips]."""
        return np.argmax(self.predict_proba(audio, batch_size), axis=1).astype(np.int64)

    def accuracy(self, audio: Any, labels: Any = None) -> float:
        """Fraction of clips classified as ``labels`` (default: the dataset's own labels)."""
        if labels is None:
            if not hasattr(audio, "labels"):
                raise ValueError("pass labels=, or an AudioDataset that carries its labels.")
            labels = audio.labels
        labels = np.asarray(labels)
        predicted = self.predict(audio)
        if labels.shape != predicted.shape:
            raise ValueError(f"labels have shape {labels.shape}, expected {predicted.shape}.")
        return float(np.mean(predicted == labels))

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (``.keras``) and a JSON sidecar next to it.

        The sidecar (``path`` with suffix ``.json``) holds the configs, :attr:`info` and the
        sha256 of the ``.keras`` file, so that :meth:`load` can check what it reads. Both
        files are written atomically (:func:`audiogan_kit.io.atomic_write`).
        """
        path = Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"judge files use the .keras format; got {path}, rename it *.keras.")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Keras writes only to a path that ends in .keras: stage the file, then move its bytes.
        with tempfile.TemporaryDirectory(prefix=f".{path.stem}.", dir=path.parent) as folder:
            staged = Path(folder) / path.name
            self.model.save(staged)
            digest = sha256_file(staged)
            atomic_write_bytes(path, staged.read_bytes())
        sidecar = {
            "format_version": JUDGE_FORMAT_VERSION,
            "audio_config": self.audio_config.to_dict(),
            "judge_config": self.config.to_dict(),
            "model_sha256": digest,
            "info": self.info,
        }
        atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | Path) -> Judge:
        """Read a judge written by :meth:`save` (``safe_mode=True``, checked against its sidecar).

        Raises:
            ValueError: the file or its sidecar is missing or unreadable, or the ``.keras``
                file does not match the sha256 recorded in the sidecar.
        """
        path = Path(path)
        sidecar = _read_sidecar(path)
        if sha256_file(path) != sidecar["model_sha256"]:
            raise ValueError(
                f"{path} does not match the sha256 in its sidecar {path.with_suffix('.json')}; "
                "the file was changed or half-written. Delete both, or retrain with "
                "load_or_train_judge(..., retrain=True)."
            )
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        return cls(
            model,
            audio_config=AudioConfig.from_dict(sidecar["audio_config"]),
            config=JudgeConfig.from_dict(sidecar["judge_config"]),
            info=sidecar.get("info", {}),
            path=path,
        )


def data_digest(dataset: Any) -> str:
    """sha256 (hex) of what a judge learns from: the clips, labels, speakers and takes.

    Any change to the recordings, to the :class:`AudioConfig` they were read with, or to the
    selection of clips changes the digest, so a saved judge is never reused for other data.
    """
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(dataset.audio, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(dataset.labels, dtype=np.int64).tobytes())
    digest.update("\n".join(map(str, dataset.speakers.tolist())).encode())
    digest.update(np.ascontiguousarray(dataset.takes, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar of the judge file ``path``, checked for the keys :meth:`Judge.load` needs."""
    sidecar_path = path.with_suffix(".json")
    if not path.is_file() or not sidecar_path.is_file():
        raise ValueError(
            f"no judge at {path} (with its sidecar {sidecar_path.name}); train one with "
            "load_or_train_judge()."
        )
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the judge sidecar {sidecar_path}: {error}") from error
    missing = _SIDECAR_KEYS - set(sidecar)
    if missing:
        raise ValueError(f"the judge sidecar {sidecar_path} lacks {sorted(missing)}; retrain.")
    return sidecar
