"""Is a generator varied, and does it make new clips? Diversity and memorisation.

- :func:`diversity` (:class:`DiversityScores`): the mean pairwise distance within each digit,
  generated vs real, in an embedding (:func:`mean_pairwise_distance`);
- memorisation (:class:`MemorisationScores`): each generated clip's nearest training clip
  (:func:`nearest_neighbours`) in level-independent mel images
  (:func:`memorisation_features`), flagged when it is closer than new real recordings come
  (:func:`calibrate_memorisation_threshold`), all at once in :func:`memorisation`.

Audio is float ``[clips, num_samples]`` (or ``[clips, num_samples, 1]``, or an
``AudioDataset``) in [-1, 1]; embeddings and features are float ``[clips, dim]``; labels int
``[clips]``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from ..features import compute_features, log_mel
from .generation import json_floats

__all__ = [
    "MEMORISATION_FACTOR",
    "MEMORISATION_QUANTILE",
    "DiversityScores",
    "MemorisationScores",
    "calibrate_memorisation_threshold",
    "diversity",
    "mean_pairwise_distance",
    "memorisation",
    "memorisation_features",
    "nearest_neighbours",
]


def _pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances float64 [n, m] between the rows of [n, dim] and [m, dim]."""
    sq = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(sq, 0.0)


# --- Diversity ------------------------------------------------------------------------------


def mean_pairwise_distance(embeddings: Any) -> float:
    """Mean Euclidean distance over all pairs ``i < j`` of rows of float [n, dim] (n >= 2)."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < 2:
        raise ValueError(f"need embeddings [n, dim] with n >= 2, got shape {e.shape}.")
    distances = np.sqrt(_pairwise_sq_distances(e, e))
    upper = np.triu_indices(e.shape[0], k=1)
    return float(distances[upper].mean())


@dataclasses.dataclass(frozen=True, eq=False)
class DiversityScores:
    """Within-digit spread of generated clips compared with real ones.

    Attributes:
        generated: float64 [classes], mean pairwise distance among generated clips of each
            digit (NaN where fewer than 2).
        real: float64 [classes], the same for the real clips.
        ratio: ``nanmean(generated) / nanmean(real)`` over the digits present in both: about 1
            for a generator as varied as the data, near 0 for one that repeats itself.
    """

    generated: np.ndarray
    real: np.ndarray
    ratio: float

    @property
    def per_class_ratio(self) -> np.ndarray:
        """float64 [classes], generated / real for each digit."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.generated / self.real

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated": json_floats(self.generated),
            "real": json_floats(self.real),
            "ratio": self.ratio,
        }


def _per_class_spread(embeddings: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """float64 [num_classes]: :func:`mean_pairwise_distance` per label, NaN below 2 rows."""
    spread = np.full(num_classes, np.nan)
    for k in range(num_classes):
        members = embeddings[labels == k]
        if members.shape[0] >= 2:
            spread[k] = mean_pairwise_distance(members)
    return spread


def diversity(
    generated: Any,
    generated_labels: Any,
    real: Any,
    real_labels: Any,
    num_classes: int = 10,
) -> DiversityScores:
    """Mean pairwise distance within each digit, generated vs real (in any embedding).

    Use the judge's embedding (``Judge.embed``) and the same number of clips per digit on
    both sides (the mean pairwise distance itself does not depend on ``n``, but noisy small
    sets do). A generator that produces one clip per digit scores 0.

    Args:
        generated, real: float [n, dim] embeddings.
        generated_labels, real_labels: int [n] digits (for generated clips: the intended
            digit, or the judged one for an unconditional generator).
    """
    generated = np.asarray(generated, dtype=np.float64)
    real = np.asarray(real, dtype=np.float64)
    g_labels = np.asarray(generated_labels, dtype=np.int64)
    r_labels = np.asarray(real_labels, dtype=np.int64)
    if generated.shape[0] != g_labels.shape[0] or real.shape[0] != r_labels.shape[0]:
        raise ValueError("each set of embeddings needs one label per row.")
    if generated.ndim != 2 or real.ndim != 2 or generated.shape[1] != real.shape[1]:
        raise ValueError(
            f"embeddings must be [n, dim] with the same dim, got {generated.shape} and "
            f"{real.shape}."
        )
    g_spread = _per_class_spread(generated, g_labels, num_classes)
    r_spread = _per_class_spread(real, r_labels, num_classes)
    both = ~np.isnan(g_spread) & ~np.isnan(r_spread)
    if not np.any(both):
        raise ValueError("no digit has at least 2 generated and 2 real clips; pass more clips.")
    ratio = float(np.mean(g_spread[both]) / np.mean(r_spread[both]))
    return DiversityScores(generated=g_spread, real=r_spread, ratio=ratio)


# --- Memorisation ---------------------------------------------------------------------------


def memorisation_features(audio: Any, config: AudioConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Level-independent mel-magnitude images for nearest-neighbour search.

    The mel magnitude of each clip (linear amplitude, ``exp(log_mel) - log_floor``),
    flattened, minus its own mean, scaled to unit length. The Euclidean distance ``d``
    between two such vectors is ``sqrt(2 (1 - r))`` with ``r`` the Pearson correlation of
    the two mel images: 0 for a copy at any level, about 1.4 for unrelated clips. Linear
    magnitudes (not logs) keep a faint noise floor, which every generator adds, from
    dominating the distance.

    Returns:
        float32 [clips, num_frames * n_mels], unit rows (zero rows for silent clips).
    """
    audio = as_batch(audio, num_samples=config.num_samples, allow_empty=True)
    mel = np.exp(compute_features(log_mel, audio, config).astype(np.float64)) - config.log_floor
    features = np.maximum(mel, 0.0).reshape(audio.shape[0], -1)
    features = features - features.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return (features / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def nearest_neighbours(
    queries: Any, references: Any, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Each query's nearest reference row (Euclidean).

    Args:
        queries: float [n, dim]; references: float [m, dim], m >= 1.
        chunk: queries compared at a time (bounds memory, not the result).

    Returns:
        (index int64 [n] into ``references``, distance float64 [n]).
    """
    q = np.asarray(queries, dtype=np.float64)
    r = np.asarray(references, dtype=np.float64)
    if q.ndim != 2 or r.ndim != 2 or r.shape[0] == 0 or q.shape[1] != r.shape[1]:
        raise ValueError(
            f"need queries [n, dim] and references [m >= 1, dim], got {q.shape} and {r.shape}."
        )
    index = np.zeros(q.shape[0], dtype=np.int64)
    distance = np.zeros(q.shape[0], dtype=np.float64)
    for start in range(0, q.shape[0], chunk):
        sq = _pairwise_sq_distances(q[start : start + chunk], r)
        best = np.argmin(sq, axis=1)
        index[start : start + chunk] = best
        distance[start : start + chunk] = np.sqrt(sq[np.arange(best.size), best])
    return index, distance


#: Default rule: flagged when closer to a training clip than ``MEMORISATION_FACTOR`` times the
#: ``MEMORISATION_QUANTILE`` quantile of real held-out clips' nearest-training distances.
MEMORISATION_QUANTILE = 0.01
MEMORISATION_FACTOR = 0.5


def calibrate_memorisation_threshold(
    reference_distances: Any,
    quantile: float = MEMORISATION_QUANTILE,
    factor: float = MEMORISATION_FACTOR,
) -> float:
    """The memorisation threshold: ``factor * quantile(reference_distances, quantile)``.

    ``reference_distances`` are the nearest-training-clip distances of *real clips that are
    not in the training set* (the official test takes): how close a genuinely new recording
    of the same speakers and digits comes to the training data. A generated clip closer than
    half (``factor``) of the closest 1 % (``quantile``) of those is nearer to a training clip
    than new recordings ever are: it is flagged as memorised.

    The rule catches copies: a training clip at another level (distance 0), re-synthesised
    from its magnitude with new phases, or with faint noise added. It does not catch
    paraphrases, such as a training clip shifted by a fraction of a frame.
    """
    d = np.asarray(reference_distances, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"reference_distances must be a non-empty [n] array, got {d.shape}.")
    if not 0 <= quantile <= 1 or factor <= 0:
        raise ValueError(f"need 0 <= quantile <= 1 and factor > 0, got {quantile}, {factor}.")
    return float(factor * np.quantile(d, quantile))


@dataclasses.dataclass(frozen=True, eq=False)
class MemorisationScores:
    """Each generated clip's nearest training clip, and which ones are too close.

    Attributes:
        nearest: int64 [clips], index of the nearest training clip.
        distance: float64 [clips], its distance (``sqrt(2 (1 - r))``, ``r`` the correlation
            of the mel-magnitude images, see :func:`memorisation_features`).
        threshold: the distance below which a clip is flagged.
        flagged: bool [clips], ``distance < threshold``.
    """

    nearest: np.ndarray
    distance: np.ndarray
    threshold: float
    flagged: np.ndarray

    @property
    def fraction(self) -> float:
        """Fraction of clips flagged as memorised, in [0, 1]."""
        return float(np.mean(self.flagged)) if self.flagged.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "threshold": self.threshold,
            "median_distance": float(np.median(self.distance)) if self.distance.size else None,
            "flagged": np.flatnonzero(self.flagged).tolist(),
        }


def memorisation(
    generated: Any,
    train: Any,
    reference: Any = None,
    *,
    threshold: float | None = None,
    config: AudioConfig | None = None,
) -> MemorisationScores:
    """Find each generated clip's nearest training clip and flag near-copies.

    Distances are between :func:`memorisation_features` (level-independent mel images). The
    threshold is ``threshold`` if given, else :func:`calibrate_memorisation_threshold` on
    the nearest-training distances of the ``reference`` clips (real clips *not* in
    ``train``, e.g. the official test split).

    Args:
        generated: float [clips, num_samples] audio.
        train: the training clips: float [m, num_samples] audio or an ``AudioDataset``.
        reference: held-out real audio (or dataset) for the calibration.
        threshold: a fixed threshold (a distance as in :func:`memorisation_features`)
            instead of the calibration.
        config: the audio config (default: the training dataset's, else the default).
    """
    if config is None:
        config = getattr(train, "config", DEFAULT_CONFIG)
    train_features = memorisation_features(train, config)
    if threshold is None:
        if reference is None:
            raise ValueError(
                "pass reference= (real clips not in train, e.g. the official test split) to "
                "calibrate the threshold, or a fixed threshold=."
            )
        _, reference_distances = nearest_neighbours(
            memorisation_features(reference, config), train_features
        )
        threshold = calibrate_memorisation_threshold(reference_distances)
    nearest, distance = nearest_neighbours(memorisation_features(generated, config), train_features)
    return MemorisationScores(
        nearest=nearest,
        distance=distance,
        threshold=float(threshold),
        flagged=distance < threshold,
    )
