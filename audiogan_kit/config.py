"""Frozen configuration objects, passed in explicitly and saved with every artefact.

Introduced in notebooks/01_data.ipynb.

The kit keeps no hidden global settings: every function that depends on how audio is read
or turned into features takes an :class:`AudioConfig`. Configs are frozen dataclasses, so a
value cannot change under a running experiment, and they round-trip through JSON so that a
checkpoint or a cache entry records exactly what produced it.

Every config of the kit (audio, models, judge, training runs) derives from :class:`Config`,
which gives it the one JSON round trip of this module (:func:`to_dict`, :func:`from_dict`,
:func:`save_config`, :func:`load_config`). :class:`OptimizerConfig` holds the fields that
every training run shares (batch, steps, Adam, checkpoints, precision) and checks them once.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from .io import atomic_write_text

T = TypeVar("T")

__all__ = [
    "DEFAULT_CONFIG",
    "PRECISIONS",
    "AudioConfig",
    "Config",
    "OptimizerConfig",
    "from_dict",
    "load_config",
    "save_config",
    "to_dict",
]


class Config:
    """Mixin of every frozen config dataclass: the JSON round trip as methods."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, nested configs included (see :func:`to_dict`)."""
        return to_dict(self)

    @classmethod
    def from_dict(cls: type[T], values: dict[str, Any]) -> T:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        return from_dict(cls, values)

    def save(self, path: str | Path) -> Path:
        """Write the config as indented JSON to ``path`` (atomically); returns the path."""
        return save_config(self, path)

    @classmethod
    def load(cls: type[T], path: str | Path) -> T:
        """Read a config written by :meth:`save`; a bad file raises ``ValueError``."""
        return load_config(cls, path)


@dataclasses.dataclass(frozen=True)
class AudioConfig(Config):
    """How clips are read, shaped and turned into spectrograms.

    Attributes:
        sample_rate: target rate in Hz; every clip is resampled to it. FSDD is recorded at
            8,000 Hz, which covers telephone-band speech (up to 4 kHz).
        num_samples: fixed clip length in samples after padding/cropping. 8,192 samples is
            1.024 s at 8 kHz and keeps 99.4 % of FSDD clips whole; it is also a WaveGAN
            output length (4 x 4 x 4 x 4 x 4 x 8).
        normalize: ``"peak"`` scales each clip so that max |x| = ``peak_level``; ``"rms"``
            scales it to ``rms_level``; ``"none"`` leaves the recorded level.
        peak_level: target peak amplitude for ``normalize="peak"``, in (0, 1].
        rms_level: target RMS amplitude for ``normalize="rms"``, in (0, 1).
        trim_db: if set, silence quieter than ``trim_db`` dB below the clip's peak is
            trimmed from both ends before padding (librosa.effects.trim). FSDD is already
            trimmed, so the default is ``None``.
        pad_mode: where a short clip is padded: ``"end"`` (silence after the word) or
            ``"center"`` (the word in the middle).
        n_fft: STFT window and FFT size in samples (256 = 32 ms at 8 kHz); gives
            ``n_fft // 2 + 1`` = 129 frequency bins, of which SpecGAN keeps 128.
        hop_length: STFT hop in samples (128 = 16 ms at 8 kHz); 8,192 samples give 64
            frames.
        n_mels: mel bands for log-mel features.
        fmin: lowest mel band edge in Hz.
        fmax: highest mel band edge in Hz; ``None`` means ``sample_rate / 2``.
        log_floor: amplitude floor added before taking logs (avoids log 0 on silence).
    """

    sample_rate: int = 8000
    num_samples: int = 8192
    normalize: str = "peak"
    peak_level: float = 0.95
    rms_level: float = 0.1
    trim_db: float | None = None
    pad_mode: str = "end"
    n_fft: int = 256
    hop_length: int = 128
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None
    log_floor: float = 1e-5

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(
                f"sample_rate must be a positive number of Hz, got {self.sample_rate}."
            )
        if self.num_samples <= 0:
            raise ValueError(f"num_samples must be positive, got {self.num_samples}.")
        if self.normalize not in ("peak", "rms", "none"):
            raise ValueError(
                f"normalize must be 'peak', 'rms' or 'none', got {self.normalize!r}."
            )
        if not 0 < self.peak_level <= 1:
            raise ValueError(f"peak_level must be in (0, 1], got {self.peak_level}.")
        if not 0 < self.rms_level < 1:
            raise ValueError(f"rms_level must be in (0, 1), got {self.rms_level}.")
        if self.pad_mode not in ("end", "center"):
            raise ValueError(f"pad_mode must be 'end' or 'center', got {self.pad_mode!r}.")
        if self.hop_length <= 0 or self.n_fft <= 0 or self.hop_length > self.n_fft:
            raise ValueError(
                f"need 0 < hop_length <= n_fft, got hop_length={self.hop_length}, "
                f"n_fft={self.n_fft}."
            )
        if self.fmax is not None and self.fmax > self.sample_rate / 2:
            raise ValueError(
                f"fmax={self.fmax} Hz is above the Nyquist frequency {self.sample_rate / 2} Hz."
            )

    @property
    def duration_s(self) -> float:
        """Clip duration in seconds."""
        return self.num_samples / self.sample_rate

    @property
    def num_frames(self) -> int:
        """STFT frames per clip (centred frames, the last one dropped): 64 by default."""
        return self.num_samples // self.hop_length

    @property
    def num_bins(self) -> int:
        """Frequency bins kept per frame (the Nyquist bin dropped): 128 by default."""
        return self.n_fft // 2


#: The default settings: frozen, so one shared instance is safe as a default argument.
DEFAULT_CONFIG = AudioConfig()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as a JSON-ready dict, with its class name under ``"__class__"``.

    Nested configs become dicts of the same form; tuples become lists.
    """
    values = {f.name: _plain(getattr(config, f.name)) for f in dataclasses.fields(config)}
    return {"__class__": type(config).__name__, **values}


def _field_value(hint: Any, value: Any) -> Any:
    """``value`` read from JSON, rebuilt as the field's type: nested configs and tuples."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if isinstance(value, dict) and dataclasses.is_dataclass(option):
            return from_dict(option, value)
        if isinstance(value, list) and typing.get_origin(option) is tuple:
            return tuple(value)
    return value


def from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Rebuild ``cls`` from :func:`to_dict` output; unknown keys raise ``ValueError``."""
    values = {k: v for k, v in values.items() if k != "__class__"}
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"{cls.__name__} has no field(s) {unknown}; the file was written by another "
            "version of audiogan-kit or by hand."
        )
    hints = typing.get_type_hints(cls)
    return cls(**{name: _field_value(hints[name], value) for name, value in values.items()})


def save_config(config: Any, path: str | Path) -> Path:
    """Write ``config`` as indented JSON to ``path`` (atomically) and return the path."""
    return atomic_write_text(path, json.dumps(to_dict(config), indent=2, sort_keys=True) + "\n")


def load_config(cls: type[T], path: str | Path) -> T:
    """Read a config of class ``cls`` written by :func:`save_config`."""
    path = Path(path)
    try:
        values = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read config file {path}: {error}") from error
    return from_dict(cls, values)


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class OptimizerConfig(Config):
    """The fields every training run shares; a run's config derives from it.

    Attributes:
        g_learning_rate, d_learning_rate: Adam learning rates of the generator and the
            discriminator.
        beta_1, beta_2: Adam moment decays, each in [0, 1).
        batch_size: examples per update.
        num_steps: generator updates to train for.
        seed: seeds the weights, the noise and the data order; a run is a function of it.
        checkpoint_every: steps between checkpoints.
        keep_checkpoints: how many of the newest checkpoints to keep (>= 1).
        sample_every: steps between evaluation samples (0 = only at the end).
        log_every: steps between history rows (numbers averaged over the interval).
        num_eval_samples: evaluation samples made at every ``sample_every`` steps.
        jit_compile: compile the TensorFlow step with XLA; ``None`` = on with a GPU only.
            Ignored under JAX (always compiled).
        lr_half_life: the learning rates halve every ``lr_half_life`` generator steps
            (exponential decay); 0 = constant.
        precision: ``"float32"``; ``"mixed_bfloat16"`` or ``"mixed_float16"``: the models
            compute in 16 bits and keep float32 weights (Keras dtype policies on their
            layers); logits and losses stay float32, and float16 scales the losses
            (``keras.optimizers.LossScaleOptimizer``). For GPUs with tensor cores; on a CPU
            usually slower.
    """

    g_learning_rate: float = 1e-4
    d_learning_rate: float = 1e-4
    beta_1: float = 0.5
    beta_2: float = 0.9
    batch_size: int = 64
    num_steps: int = 1000
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    sample_every: int = 500
    log_every: int = 10
    num_eval_samples: int = 10
    jit_compile: bool | None = None
    lr_half_life: int = 0
    precision: str = "float32"

    def __post_init__(self) -> None:
        positive = ("batch_size", "num_steps", "checkpoint_every", "keep_checkpoints")
        for name in (*positive, "log_every", "num_eval_samples"):
            if int(getattr(self, name)) < 1:
                raise ValueError(
                    f"{name} must be a positive integer, got {getattr(self, name)}."
                )
        if self.sample_every < 0 or self.lr_half_life < 0:
            raise ValueError(
                f"sample_every and lr_half_life must be >= 0 steps, got {self.sample_every} "
                f"and {self.lr_half_life}."
            )
        for name in ("g_learning_rate", "d_learning_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}.")
        for name in ("beta_1", "beta_2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}.")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {PRECISIONS}, got {self.precision!r}; "
                "'mixed_bfloat16' or 'mixed_float16' compute in 16 bits on a GPU."
            )
