"""What the judge says about generated clips: Inception score, Fréchet distance, accuracy.

- :func:`inception_score`: ``exp`` of the mean KL divergence between p(y|x) and p(y);
- :func:`frechet_distance` between embedding statistics (FID-style), from embeddings, from
  statistics (:func:`frechet_distance_from_statistics`) or from audio
  (:func:`judge_frechet_distance`);
- :func:`confusion_matrix` and :func:`conditional_accuracy` (:class:`ConditionalScores`) for
  conditional generators.

Probabilities are float ``[clips, classes]`` with rows summing to 1
(:meth:`Judge.predict_proba <audiogan_kit.metrics.Judge.predict_proba>`); embeddings are
float ``[clips, dim]`` (:meth:`Judge.embed <audiogan_kit.metrics.Judge.embed>`).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from .judge import Judge

__all__ = [
    "ConditionalScores",
    "conditional_accuracy",
    "confusion_matrix",
    "embedding_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "json_floats",
    "judge_frechet_distance",
]


def json_floats(values: np.ndarray) -> list[float | None]:
    """A float array [n] as a JSON-ready list: Python floats, ``None`` where NaN.

    Used by the ``to_dict`` of the score dataclasses, whose per-digit values are NaN for a
    digit without clips.
    """
    return [None if np.isnan(v) else float(v) for v in values]


# --- Inception score ------------------------------------------------------------------------


def _as_probabilities(probabilities: Any) -> np.ndarray:
    """float64 [clips, classes], rows renormalised to sum to 1; refuses logits and bad shapes."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(
            f"probabilities must be [clips, classes] with at least one clip and two classes, "
            f"got shape {p.shape}."
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("probabilities must be finite and >= 0 (use softmax outputs).")
    sums = p.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError(
            f"each row of probabilities must sum to 1, got sums from {sums.min():.4f} to "
            f"{sums.max():.4f}; pass softmax outputs (Judge.predict_proba), not logits."
        )
    return p / sums[:, None]


def inception_score(
    probabilities: Any, splits: int = 10, *, shuffle: bool = True, seed: int = 0
) -> tuple[float, float]:
    """Inception Score: ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over ``splits`` splits.

    As in Salimans et al. (2016) and the WaveGAN paper: the clips are cut into ``splits``
    equal parts (the last ``n % splits`` clips are left out); in each part
    ``p(y)`` is the mean of the rows and the score is ``exp(mean_x sum_y p(y|x) log(p(y|x) /
    p(y)))``; the result is the mean and the (population) standard deviation of the parts'
    scores. It ranges from 1 (every clip gets the same distribution, e.g. a uniform or a
    collapsed classifier) to ``classes`` (confident and balanced: 10 for digits). It depends
    on the number of clips per part, so compare scores computed with the same ``n`` and
    ``splits``.

    The literature assumes clips in random order. A conditional generator's clips often
    come sorted by digit (30 sevens, then 30 eights...), which would make each part one digit
    and the score about 1, so the rows are first put in a random order (``shuffle``, with a
    fixed ``seed``: the same input always gives the same score).

    Args:
        probabilities: float [clips, classes], rows summing to 1 (``Judge.predict_proba``).
        splits: number of parts, 1 <= splits <= clips.
        shuffle: permute the rows (seeded) before splitting.
        seed: the permutation's seed.

    Returns:
        (mean, std) as floats.
    """
    p = _as_probabilities(probabilities)
    if not 1 <= splits <= p.shape[0]:
        raise ValueError(
            f"splits must be between 1 and the number of clips {p.shape[0]}, got {splits}."
        )
    from scipy.special import xlogy

    if shuffle:
        p = p[np.random.default_rng(seed).permutation(p.shape[0])]
    size = p.shape[0] // splits
    scores = []
    for k in range(splits):
        part = p[k * size : (k + 1) * size]
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(xlogy(part, part) - xlogy(part, marginal), axis=1)
        scores.append(float(np.exp(np.mean(kl))))
    return float(np.mean(scores)), float(np.std(scores))


# --- Fréchet distance -----------------------------------------------------------------------


def embedding_statistics(embeddings: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean float64 [dim] and covariance float64 [dim, dim] (``np.cov``, n - 1) of [n, dim]."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < 2:
        raise ValueError(
            f"embeddings must be [clips, dim] with at least 2 clips, got shape {e.shape}."
        )
    if not np.all(np.isfinite(e)):
        raise ValueError("embeddings contain NaN or infinity.")
    return e.mean(axis=0), np.atleast_2d(np.cov(e, rowvar=False))


def _covariance_root(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    """``sqrtm(a @ b)`` and whether it is finite and squares back to ``a @ b`` (rel. 1e-6)."""
    from scipy import linalg

    with warnings.catch_warnings():  # singular products (dead ReLU units) warn; checked below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        value = linalg.sqrtm(a @ b)
    product = a @ b
    ok = bool(np.all(np.isfinite(value))) and np.abs(value @ value - product).max() <= (
        1e-6 * max(np.abs(product).max(), 1e-12)
    )
    return value, ok


def frechet_distance_from_statistics(
    mean_a: Any, cov_a: Any, mean_b: Any, cov_b: Any, eps: float = 1e-6
) -> float:
    """Fréchet distance between the Gaussians N(mean_a, cov_a) and N(mean_b, cov_b).

    ``||mean_a - mean_b||^2 + trace(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))`` (Dowson &
    Landau 1982), in squared embedding units. The matrix square root comes from
    ``scipy.linalg.sqrtm``; if it is not finite or does not square back to the product
    (singular covariances: fewer clips than dimensions, dead ReLU units), ``eps`` is added to
    both diagonals and it is recomputed; imaginary parts
    from round-off are dropped, and large ones raise ``ValueError``.
    """
    mean_a = np.atleast_1d(mean_a).astype(np.float64)
    mean_b = np.atleast_1d(mean_b).astype(np.float64)
    cov_a = np.atleast_2d(cov_a).astype(np.float64)
    cov_b = np.atleast_2d(cov_b).astype(np.float64)
    dim = mean_a.shape[0]
    if mean_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(
            f"statistics do not match: means {mean_a.shape}, {mean_b.shape}, covariances "
            f"{cov_a.shape}, {cov_b.shape}; embed both sets with the same judge."
        )
    covmean, ok = _covariance_root(cov_a, cov_b)
    if not ok:
        offset = np.eye(dim) * eps
        covmean, _ = _covariance_root(cov_a + offset, cov_b + offset)
    if np.iscomplexobj(covmean):
        scale = max(np.abs(covmean).max(), 1e-12)
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            raise ValueError(
                "the matrix square root has a large imaginary part "
                f"({np.abs(covmean.imag).max():.3g}); the covariances are badly conditioned: "
                "use more clips than embedding dimensions."
            )
        covmean = covmean.real
    diff = mean_a - mean_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def frechet_distance(embeddings_a: Any, embeddings_b: Any) -> float:
    """Fréchet distance between the embedding statistics of two sets of clips (FID-style).

    Args:
        embeddings_a, embeddings_b: float [n_a, dim] and [n_b, dim] (``Judge.embed``).

    Returns:
        The distance (>= 0; 0 for identical statistics), in squared embedding units.

    Sample-size bias: the estimate from finite sets is biased upward (Chong & Forsyth,
    "Effectively Unbiased FID", 2020); the bias shrinks roughly like ``1 / n``, so two
    distances are comparable only when computed with the same numbers of clips. Report a
    generator's distance next to the real-vs-real reference at the same sizes (300 vs 300 in
    the kit's benchmarks: :func:`~audiogan_kit.metrics.real_reference`).
    """
    mean_a, cov_a = embedding_statistics(embeddings_a)
    mean_b, cov_b = embedding_statistics(embeddings_b)
    return frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)


def judge_frechet_distance(judge: Judge, audio_a: Any, audio_b: Any) -> float:
    """:func:`frechet_distance` between two batches of clips, embedded by ``judge``."""
    return frechet_distance(judge.embed(audio_a), judge.embed(audio_b))


# --- Accuracy and confusion for conditional generators --------------------------------------


def confusion_matrix(intended: Any, predicted: Any, num_classes: int = 10) -> np.ndarray:
    """Counts int64 [num_classes, num_classes]: row = intended digit, column = judged digit."""
    intended = np.asarray(intended, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if intended.shape != predicted.shape or intended.ndim != 1:
        raise ValueError(
            f"intended and predicted must be [clips] of equal length, got {intended.shape} and "
            f"{predicted.shape}."
        )
    for name, values in (("intended", intended), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} labels must be in 0..{num_classes - 1}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (intended, predicted), 1)
    return matrix


@dataclasses.dataclass(frozen=True, eq=False)
class ConditionalScores:
    """How often the judge hears the digit a conditional generator was asked for.

    Attributes:
        accuracy: fraction of all clips judged as the intended digit, in [0, 1].
        per_class: float64 [classes], accuracy per intended digit (NaN where none was asked).
        confusion: int64 [classes, classes], row = intended digit, column = judged digit.
        mean_confidence: mean of the judge's largest probability per clip, in [1/classes, 1].
    """

    accuracy: float
    per_class: np.ndarray
    confusion: np.ndarray
    mean_confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "per_class": json_floats(self.per_class),
            "confusion": self.confusion.tolist(),
            "mean_confidence": self.mean_confidence,
        }


def conditional_accuracy(
    judge_or_probabilities: Judge | Any, audio_or_labels: Any, intended: Any = None
) -> ConditionalScores:
    """The judge's accuracy when the generator was asked for each digit, and the confusion.

    Call as ``conditional_accuracy(judge, audio, intended)`` or, with probabilities computed
    already, ``conditional_accuracy(probabilities, intended)``.

    Args:
        judge_or_probabilities: a :class:`Judge`, or float [clips, classes] probabilities.
        audio_or_labels: float [clips, num_samples] audio (with a judge), or the intended
            digits int [clips] (with probabilities).
        intended: int [clips], the digit asked for each clip (with a judge).
    """
    if isinstance(judge_or_probabilities, Judge):
        if intended is None:
            raise ValueError(
                "pass the intended digits: conditional_accuracy(judge, audio, intended)."
            )
        probabilities = judge_or_probabilities.predict_proba(audio_or_labels)
    else:
        probabilities = _as_probabilities(judge_or_probabilities)
        intended = audio_or_labels
    intended = np.asarray(intended, dtype=np.int64)
    num_classes = probabilities.shape[1]
    predicted = np.argmax(probabilities, axis=1)
    confusion = confusion_matrix(intended, predicted, num_classes)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
    return ConditionalScores(
        accuracy=float(np.mean(predicted == intended)),
        per_class=per_class.astype(np.float64),
        confusion=confusion,
        mean_confidence=float(np.mean(np.max(probabilities, axis=1))),
    )
