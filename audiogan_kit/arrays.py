"""The one array contract of the kit: what a clip, a batch and a pair of batches are.

Axis convention (channels last, time before channels or frequency):

- a **clip** is float32 ``[samples]``; ``[samples, 1]`` (one channel) is accepted;
- a **batch** is float32 ``[clips, samples]``; ``[clips, samples, 1]`` is accepted, so a
  waveform generator's output can be passed as it is;
- a **spectrogram batch** is float32 ``[batch, frames, channels]`` (bins or mel bands);
  ``[batch, frames, channels, 1]`` is accepted.

A trailing axis of size 1 is read as a channel axis only where the rank says so: rank 2 for a
clip, rank 3 for a batch, rank 4 for spectrograms. Every function here returns NumPy arrays
and raises ``ValueError`` naming ``what`` the caller passed, the shape it got and the fix;
:func:`batch_tensor` is the same check for backend tensors inside a model graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_batch", "as_clip", "as_pairs", "as_spectrograms", "batch_tensor", "to_numpy"]


def to_numpy(x: Any, dtype: Any = np.float32) -> np.ndarray:
    """A NumPy array of ``dtype`` from an array, a list or a backend tensor (TF or JAX)."""
    if hasattr(x, "audio") and hasattr(x, "labels"):  # an AudioDataset
        x = x.audio
    if not isinstance(x, np.ndarray | np.generic) and hasattr(x, "shape"):
        import keras

        x = keras.ops.convert_to_numpy(x)
    return np.asarray(x, dtype=dtype)


def as_clip(
    audio: Any, what: str = "audio", *, min_samples: int = 1, finite: bool = False
) -> np.ndarray:
    """One clip as float32 ``[samples]`` (``[samples, 1]`` accepted).

    Args:
        audio: the clip (array or tensor).
        what: how the caller names it in error messages.
        min_samples: the shortest length accepted.
        finite: also refuse NaN or infinite samples.
    """
    clip = to_numpy(audio)
    if clip.ndim == 2 and clip.shape[-1] == 1:
        clip = clip[:, 0]
    if clip.ndim != 1 or clip.shape[0] < min_samples:
        size = "non-empty" if min_samples <= 1 else f"at least {min_samples}-sample"
        raise ValueError(
            f"{what} must be one {size} clip float [samples] (or [samples, 1]), got shape "
            f"{clip.shape}; pass clips[i] for one clip of a batch."
        )
    if finite and not np.all(np.isfinite(clip)):
        raise ValueError(f"{what} contains NaN or infinite samples; check the model output.")
    return clip


def as_batch(
    audio: Any,
    what: str = "audio",
    *,
    num_samples: int | None = None,
    single: str = "error",
    allow_empty: bool = False,
    finite: bool = False,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Clips of equal length as ``[clips, samples]`` (``[clips, samples, 1]`` accepted).

    Args:
        audio: the batch (array, tensor, or an ``AudioDataset``, whose ``audio`` is used).
        what: how the caller names it in error messages.
        num_samples: the length every clip must have (``None``: any).
        single: what a 1-D input means: ``"error"`` (refused, with the ``clip[None]`` hint)
            or ``"batch"`` (a batch of one clip).
        allow_empty: accept zero clips.
        finite: also refuse NaN or infinite samples.
        dtype: the returned dtype (float32; float64 for metrics that accumulate).
    """
    if single not in ("error", "batch"):
        raise ValueError(f"single must be 'error' or 'batch', got {single!r}.")
    array = to_numpy(audio, dtype)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 1 and single == "batch":
        array = array[None]
    length = "samples" if num_samples is None else str(num_samples)
    if array.ndim == 1:
        raise ValueError(
            f"{what} must be float [clips, {length}], got a single clip of shape "
            f"{array.shape}; pass a batch, e.g. clip[None]."
        )
    if array.ndim != 2 or (array.shape[0] == 0 and not allow_empty) or array.shape[1] == 0:
        raise ValueError(
            f"{what} must be a non-empty batch float [clips, {length}] (or [clips, {length}, "
            f"1]), got shape {array.shape}."
        )
    if num_samples is not None and array.shape[1] != num_samples:
        raise ValueError(
            f"{what} has {array.shape[1]} samples per clip, expected {num_samples}; pad or "
            "crop the clips (data.fix_length) or convert spectrograms to audio first."
        )
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains NaN or infinite samples; check the model output.")
    return array


def as_pairs(
    first: Any,
    second: Any,
    names: tuple[str, str] = ("clean", "processed"),
    *,
    single: str = "batch",
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Two batches of the same shape ``[clips, samples]``: (noisy, clean), (clean, enhanced).

    Each side follows :func:`as_batch` (a single clip becomes a batch of one unless
    ``single="error"``); the shapes must then be equal.
    """
    a = as_batch(first, names[0], single=single, dtype=dtype)
    b = as_batch(second, names[1], single=single, dtype=dtype)
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape [clips, samples], got "
            f"{a.shape} and {b.shape}; crop or pad them to the same length."
        )
    return a, b


def as_spectrograms(
    x: Any, frames: int, channels: int, what: str = "a spectrogram", kind: str = "bins"
) -> np.ndarray:
    """Spectrograms as float32 ``[batch, frames, channels]``.

    Accepts ``[batch, frames, channels, 1]`` and a single ``[frames, channels]`` spectrogram
    (a batch of one). ``kind`` names the channel axis in messages (``"bins"``,
    ``"mel bands"``).
    """
    array = to_numpy(x)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (frames, channels):
        raise ValueError(
            f"expected {what} [batch, {frames}, {channels}] (frames, {kind} for this "
            f"AudioConfig), got shape {array.shape}."
        )
    return array


def batch_tensor(audio: Any, num_samples: int, what: str = "audio") -> Any:
    """:func:`as_batch` for the model graph: a float32 backend tensor ``[batch, samples]``.

    Works on NumPy arrays and on symbolic or traced tensors (the length check uses the static
    shape when it is known).
    """
    from keras import ops

    x = ops.convert_to_tensor(audio, dtype="float32")
    shape = tuple(x.shape)
    if len(shape) == 3 and shape[-1] == 1:
        x = ops.squeeze(x, axis=-1)
        shape = shape[:-1]
    if len(shape) != 2:
        raise ValueError(
            f"{what} must be float [batch, samples] or [batch, samples, 1], got shape {shape}; "
            "for a single clip pass clip[None]."
        )
    if shape[-1] is not None and shape[-1] != num_samples:
        raise ValueError(
            f"{what} has {shape[-1]} samples per clip but config.num_samples is "
            f"{num_samples}; pad/crop the clips (data.load_fsdd does) or pass a config "
            "with num_samples matching the audio."
        )
    return x
