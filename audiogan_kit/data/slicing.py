"""Long recordings cut into training clips: fixed windows at a hop, silent windows dropped.

Used by :func:`~audiogan_kit.data.load_folder` with ``hop_s=``: a file longer than one clip
gives ``1 + (length - window) // hop`` windows of ``config.num_samples`` samples (the last
part shorter than a window is left out); a window whose RMS is more than ``silence_db`` dB
below the file's peak is silence and is dropped. Each kept window is then shaped like any
clip (trimmed, normalised, padded: :func:`~audiogan_kit.data.load_audio`'s steps).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["window_starts"]


def window_starts(
    audio: np.ndarray, window: int, hop: int, silence_db: float
) -> tuple[list[int], int]:
    """Where the non-silent windows of a mono recording start.

    Args:
        audio: float32 [samples], one decoded recording.
        window: window length in samples (the clip length, ``config.num_samples``).
        hop: samples between window starts (>= 1).
        silence_db: a window whose RMS is more than this many dB below the recording's peak
            is dropped (e.g. 40).

    Returns:
        (start sample of every kept window, number of silent windows dropped). A recording of
        at most one window gives ``([0], 0)`` (it is one clip, padded as usual).
    """
    length = int(audio.shape[0])
    if length <= window:
        return [0], 0
    peak = float(np.max(np.abs(audio)))
    floor = peak * 10 ** (-silence_db / 20)
    count = 1 + (length - window) // hop
    # The RMS of every window at once from a running sum of squares (float64: no drift).
    power = np.concatenate([[0.0], np.cumsum(np.square(audio, dtype=np.float64))])
    starts = np.arange(count) * hop
    rms = np.sqrt(np.maximum(power[starts + window] - power[starts], 0.0) / window)
    loud = rms > floor if peak > 0 and math.isfinite(floor) else np.zeros(count, dtype=bool)
    return starts[loud].tolist(), int(count - loud.sum())
