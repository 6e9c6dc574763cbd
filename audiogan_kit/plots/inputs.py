"""The inputs shared by the figures and the notebook widgets, checked in one place.

Shapes of clips follow :mod:`audiogan_kit.arrays`; what arrays has no word for lives here:
several clips whose lengths may differ (a player grid, a comparison), one title per clip, a
sample rate in Hz, and one digit label per clip. Every function raises ``ValueError`` naming
what the caller passed and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arrays import as_batch, as_clip, to_numpy
from ..config import AudioConfig

__all__ = ["clip_list", "clip_titles", "digit_labels", "sample_rate_hz"]


def clip_list(clips: Any, what: str = "clips") -> list[np.ndarray]:
    """Several clips as a non-empty list of float32 ``[samples]`` arrays (lengths may differ).

    Args:
        clips: a batch float ``[clips, samples]`` (``[clips, samples, 1]`` accepted, see
            :func:`~audiogan_kit.arrays.as_batch`) or a sequence of single clips, each
            ``[samples]`` or ``[samples, 1]`` (see :func:`~audiogan_kit.arrays.as_clip`).
        what: how the caller names them in error messages; clip ``i`` is ``what[i]``.

    Raises:
        ValueError: for one clip passed alone (wrap it in a list), no clips, an empty clip,
            or NaN / infinite samples.
    """
    if isinstance(clips, np.ndarray) or hasattr(clips, "shape"):
        array = to_numpy(clips)
        if array.ndim == 1:
            raise ValueError(
                f"{what} must be several clips [clips, samples], got one clip of shape "
                f"{array.shape}; wrap it as [clip]."
            )
        clips = list(as_batch(array, what, allow_empty=True))
    clips = list(clips)
    if not clips:
        raise ValueError(f"{what} is empty: pass at least one clip.")
    return [as_clip(clip, f"{what}[{i}]", finite=True) for i, clip in enumerate(clips)]


def clip_titles(titles: Sequence[str] | None, count: int, default: str = "clip") -> list[str]:
    """One title per clip: ``titles`` as strings, or ``"<default> i"`` for ``i < count``."""
    if titles is None:
        return [f"{default} {i}" for i in range(count)]
    if isinstance(titles, str):
        raise ValueError(f"titles must be a list of {count} strings, got the string {titles!r}.")
    titles = [str(title) for title in titles]
    if len(titles) != count:
        raise ValueError(
            f"got {len(titles)} titles for {count} clips; pass one title per clip (or none)."
        )
    return titles


def sample_rate_hz(sample_rate: Any) -> int:
    """A sample rate in Hz as a positive ``int``; an ``AudioConfig`` gives its own rate."""
    if isinstance(sample_rate, AudioConfig):
        return sample_rate.sample_rate
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise ValueError(
            f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}."
        )
    return int(sample_rate)


def digit_labels(labels: Any, count: int, what: str) -> np.ndarray:
    """One digit per clip as int64 ``[count]``; integer dtypes only (an empty array passes)."""
    values = np.asarray(labels)
    integer = values.size == 0 or np.issubdtype(values.dtype, np.integer)
    if values.shape != (count,) or not integer:
        raise ValueError(
            f"{what} must be int [clips] with one digit per clip ({count} clips), got shape "
            f"{values.shape} of {values.dtype}."
        )
    return values.astype(np.int64)
