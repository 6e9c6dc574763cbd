"""Enhancing clips of any length and rate with a generator trained on fixed windows.

Introduced in notebooks/06_enhancement.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import as_batch, as_clip, to_numpy

if TYPE_CHECKING:
    import keras

__all__ = ["enhance", "generator_enhancer", "run_generator"]


def run_generator(generator: Any, frames: np.ndarray, batch_size: int) -> np.ndarray:
    """``generator`` over windows float32 ``[n, window, 1]``, ``batch_size`` at a time.

    A Keras model is called with ``training=False``; any other callable as it is. Every
    output must have the shape of its input.
    """
    import keras

    outputs = []
    for start in range(0, frames.shape[0], batch_size):
        batch = frames[start : start + batch_size]
        if isinstance(generator, keras.Model):
            result = generator(batch, training=False)
        else:
            result = generator(batch)
        result = to_numpy(result)
        if result.shape != batch.shape:
            raise ValueError(
                f"the generator must map [batch, window, 1] to the same shape; it returned "
                f"{result.shape} for {batch.shape}."
            )
        outputs.append(result)
    return np.concatenate(outputs, axis=0)


def enhance(
    audio: Any,
    sample_rate: int,
    generator: keras.Model | Callable[[np.ndarray], Any] | str | Path,
    *,
    window: int | None = None,
    hop: int | None = None,
    model_sample_rate: int = 8000,
    batch_size: int = 16,
) -> np.ndarray:
    """Enhance a clip of any length and rate with a generator that takes fixed windows.

    Steps: resample to ``model_sample_rate`` if ``sample_rate`` differs (soxr) -> pad
    ``window - hop`` zeros in front and at least as many at the end -> cut windows of ``window``
    samples every ``hop`` -> run the generator on batches of ``[batch, window, 1]`` ->
    overlap-add the outputs, each weighted by a periodic Hann window, divided by the summed
    weights (so a generator that returns its input gives the input back up to rounding;
    at the default 50 % overlap the Hann weights already sum to 1) -> crop -> resample back.

    Args:
        audio: float [samples] (or [samples, 1]) in [-1, 1] at ``sample_rate`` Hz.
        sample_rate: rate of ``audio`` in Hz.
        generator: a Keras model (called with ``training=False``), any callable mapping
            float32 ``[batch, window, 1]`` to the same shape, or the path of a ``.keras``
            file (:func:`audiogan_kit.models.load_model`).
        window: window length in samples at ``model_sample_rate``; ``None`` takes the
            model's input length (8,192 for the CPU preset).
        hop: samples between windows; ``None`` means ``window // 2``.
        model_sample_rate: the rate in Hz the generator was trained at.
        batch_size: windows per generator call.

    Returns:
        float32 [samples] at ``sample_rate``, the length of ``audio``.
    """
    if isinstance(generator, str | Path):
        from ..models import load_model

        generator = load_model(generator)
    clip = as_clip(audio, "audio")
    if window is None:
        shape = getattr(generator, "input_shape", None)
        if not shape or shape[1] is None:
            raise ValueError(
                "window=None needs a Keras generator with a fixed input length; pass window= "
                "(samples at model_sample_rate)."
            )
        window = int(shape[1])
    hop = window // 2 if hop is None else int(hop)
    if not 0 < hop <= window:
        raise ValueError(f"need 0 < hop <= window, got hop={hop}, window={window}.")
    length = clip.shape[0]
    if sample_rate != model_sample_rate:
        import librosa

        clip = librosa.resample(
            clip, orig_sr=sample_rate, target_sr=model_sample_rate, res_type="soxr_hq"
        ).astype(np.float32)
    samples = clip.shape[0]
    lead = window - hop
    # ``lead`` zeros at both ends: every sample of the clip lies where the windows overlap.
    count = max(1, math.ceil((samples + 2 * lead - window) / hop) + 1)
    total = (count - 1) * hop + window
    padded = np.zeros(total, dtype=np.float32)
    padded[lead : lead + samples] = clip
    index = np.arange(count)[:, None] * hop + np.arange(window)[None, :]
    frames = padded[index][..., None]
    outputs = run_generator(generator, frames, batch_size)[..., 0]
    weights = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)).astype(np.float32)
    if hop == window:
        weights = np.ones(window, dtype=np.float32)
    summed = np.zeros(total, dtype=np.float64)
    norm = np.zeros(total, dtype=np.float64)
    for k, output in enumerate(outputs):
        summed[k * hop : k * hop + window] += output * weights
        norm[k * hop : k * hop + window] += weights
    result = (summed / np.maximum(norm, 1e-8))[lead : lead + samples].astype(np.float32)
    if sample_rate != model_sample_rate:
        import librosa

        result = librosa.resample(
            result, orig_sr=model_sample_rate, target_sr=sample_rate, res_type="soxr_hq"
        )
        result = np.asarray(result, dtype=np.float32)[:length]
        if result.shape[0] < length:
            result = np.pad(result, (0, length - result.shape[0]))
    return result


def generator_enhancer(
    generator: keras.Model | str | Path, sample_rate: int = 8000, batch_size: int = 32
) -> Callable:
    """An enhancer function for :func:`score_enhancers` from a trained generator.

    Returns ``fn(noisy float [clips, samples] at sample_rate Hz) -> float32 [clips,
    samples]``: clips of exactly the generator's window length go through it in batches
    (z = 0); others through :func:`enhance` (overlap-add of windows at ``sample_rate``).
    """
    if isinstance(generator, str | Path):
        from ..models import load_model

        generator = load_model(generator)
    window = int(generator.input_shape[1])

    def run(noisy: Any) -> np.ndarray:
        rows = as_batch(noisy, "noisy", single="batch")
        if rows.shape[1] == window:
            return run_generator(generator, rows[..., None], batch_size)[..., 0]
        return np.stack(
            [enhance(row, sample_rate, generator, model_sample_rate=sample_rate) for row in rows]
        )

    return run
