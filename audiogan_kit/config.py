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
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

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
    "flatten",
    "to_dict",
    "with_overrides",
    "with_values",
]


def _is_int(value: Any) -> bool:
    """A whole number (a Python or NumPy integer), not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    """A real number (an integer or a float), not a bool."""
    return _is_int(value) or isinstance(value, float | np.floating)


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
        for name in ("sample_rate", "num_samples", "n_fft", "hop_length", "n_mels"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
        for name in ("peak_level", "rms_level", "fmin", "log_floor", "trim_db", "fmax"):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number, got {value!r}.")
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
        if self.hop_length > self.n_fft:
            raise ValueError(
                f"need 0 < hop_length <= n_fft, got hop_length={self.hop_length}, "
                f"n_fft={self.n_fft}."
            )
        if self.trim_db is not None and self.trim_db <= 0:
            raise ValueError(f"trim_db must be > 0 dB (e.g. 40) or None, got {self.trim_db}.")
        if self.log_floor <= 0:
            raise ValueError(f"log_floor must be > 0 (e.g. 1e-5), got {self.log_floor}.")
        if self.fmax is not None and self.fmax > self.sample_rate / 2:
            raise ValueError(
                f"fmax={self.fmax} Hz is above the Nyquist frequency {self.sample_rate / 2} Hz."
            )
        top = self.sample_rate / 2 if self.fmax is None else self.fmax
        if not 0 <= self.fmin < top:
            raise ValueError(
                f"fmin must be in [0, {top}) Hz (below fmax, or below the Nyquist frequency), "
                f"got {self.fmin}."
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


def _type_name(option: Any) -> str:
    if option is type(None):
        return "null"
    if typing.get_origin(option) is tuple:
        return f"a list of {_type_name(typing.get_args(option)[0])}s"
    if dataclasses.is_dataclass(option):
        return f"a {option.__name__} object"
    names = {int: "a whole number", float: "a number", bool: "true/false", str: "a string"}
    return names.get(option, getattr(option, "__name__", str(option)))


def _matches(option: Any, value: Any) -> bool:
    """Whether a JSON ``value`` fits one option of a field's type hint."""
    if option is type(None):
        return value is None
    if option is bool:
        return isinstance(value, bool)
    if option is int:
        return _is_int(value)
    if option is float:
        return _is_number(value)
    if option is str:
        return isinstance(value, str)
    if dataclasses.is_dataclass(option):
        return isinstance(value, dict)
    if typing.get_origin(option) is tuple:
        item = typing.get_args(option)[0]
        return isinstance(value, list | tuple) and all(_matches(item, v) for v in value)
    return True


def _field_value(cls: type, name: str, hint: Any, value: Any) -> Any:
    """``value`` read from JSON, checked against the field's type hint and rebuilt as it
    (nested configs, tuples); a value of another type raises ``ValueError`` naming the field."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if not _matches(option, value):
            continue
        if dataclasses.is_dataclass(option):
            try:
                return from_dict(option, value)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
        if typing.get_origin(option) is tuple:
            return tuple(value)
        return value
    wanted = " or ".join(_type_name(option) for option in options)
    raise ValueError(f"{name} must be {wanted}, got {value!r}.")


def from_dict(cls: type[T], values: dict[str, Any]) -> T:
    """Rebuild ``cls`` from :func:`to_dict` output, checking every value.

    Raises:
        ValueError: an unknown key (naming the closest field), a value of the wrong type
            (``"batch_size must be a whole number, got 'abc'."``) or one the class refuses;
            an error inside a nested config starts with its field (``"audio: n_mels ..."``).
    """
    import difflib

    values = {k: v for k, v in values.items() if k != "__class__"}
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"{cls.__name__} has no field(s) {unknown}{hint}; the file was written by another "
            "version of audiogan-kit or by hand."
        )
    hints = typing.get_type_hints(cls)
    checked = {name: _field_value(cls, name, hints[name], value) for name, value in values.items()}
    return cls(**checked)


def _parse_value(text: str) -> Any:
    """A ``key=value`` value: JSON (``32``, ``1e-3``, ``null``, ``true``, ``[128, 256]``),
    else the plain string (``hinge``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict as dotted keys: ``{"audio": {"n_mels": 64}}`` ->
    ``{"audio.n_mels": 64}`` (``"__class__"`` entries dropped; lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if key == "__class__":
            continue
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def with_values(config: T, changes: dict[str, Any]) -> T:
    """``config`` with fields replaced, each value checked as in a config file.

    Args:
        config: a config dataclass.
        changes: ``{dotted key: value}``; keys are field names, dotted for nested configs
            (``"batch_size"``, ``"audio.sample_rate"``, ``"model.model_dim"``); values as in
            JSON (numbers, strings, ``None``, lists). A nested dict (a config file) is
            flattened first (:func:`flatten`).

    Raises:
        ValueError: an unknown key (naming the closest field), or a bad value (naming the
            field); see :func:`from_dict`.
    """
    import difflib

    values = to_dict(config)
    for key, value in flatten(changes).items():
        parts = key.split(".")
        target = values
        for depth, part in enumerate(parts):
            fields = [k for k in target if k != "__class__"]
            if part not in fields:
                close = difflib.get_close_matches(part, fields, n=1)
                where = ".".join(parts[:depth]) or type(config).__name__
                hint = f"; did you mean {close[0]!r}?" if close else "."
                raise ValueError(f"{key!r}: {where} has no field {part!r}{hint}")
            if depth == len(parts) - 1:
                target[part] = value
            elif isinstance(target[part], dict):
                target = target[part]
            else:
                raise ValueError(f"{key!r}: {'.'.join(parts[: depth + 1])} has no fields.")
    return from_dict(type(config), values)


def with_overrides(config: T, assignments: Iterable[str]) -> T:
    """``config`` with ``key=value`` assignments (``audiogan train --set``) applied.

    Keys as for :func:`with_values` (``batch_size=16``, ``audio.sample_rate=16000``,
    ``ema_decay=null``); a value is JSON, or else a plain string (``loss=hinge``).

    Raises:
        ValueError: an assignment without ``=``, an unknown key, or a bad value (naming the
            field).
    """
    changes = {}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        key = key.strip()
        if not sep or not all(key.split(".")):
            raise ValueError(f"{assignment!r} is not key=value (e.g. batch_size=16).")
        changes[key] = _parse_value(text.strip())
    return with_values(config, changes)


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
    if not isinstance(values, dict):
        raise ValueError(f"config file {path} holds {type(values).__name__}, not a JSON object.")
    try:
        return from_dict(cls, values)
    except (ValueError, TypeError) as error:
        raise ValueError(f"config file {path}: {error} Fix the value in the file.") from None


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
        lr_decay_start: generator steps at the full learning rates before the halving
            begins (0 = from the first step); needs ``lr_half_life``.
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
    lr_decay_start: int = 0
    precision: str = "float32"

    def __post_init__(self) -> None:
        positive = ("batch_size", "num_steps", "checkpoint_every", "keep_checkpoints")
        for name in (*positive, "log_every", "num_eval_samples"):
            if int(getattr(self, name)) < 1:
                raise ValueError(
                    f"{name} must be a positive integer, got {getattr(self, name)}."
                )
        if min(self.sample_every, self.lr_half_life, self.lr_decay_start) < 0:
            raise ValueError(
                "sample_every, lr_half_life and lr_decay_start must be >= 0 steps, got "
                f"{self.sample_every}, {self.lr_half_life} and {self.lr_decay_start}."
            )
        if self.lr_decay_start and not self.lr_half_life:
            raise ValueError(
                f"lr_decay_start={self.lr_decay_start} needs lr_half_life > 0 (the steps over "
                "which the learning rates halve once the decay starts)."
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
        for field in dataclasses.fields(self):  # NaN/inf in any float field, a subclass's too
            value = getattr(self, field.name)
            if isinstance(value, float | np.floating) and not math.isfinite(value):
                raise ValueError(f"{field.name} must be a finite number, got {value}.")

