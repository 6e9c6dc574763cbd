"""Every number at once: the real-data reference and a generator's scores next to it.

:func:`real_reference` scores real clips (test vs training, training vs training) at the
sample size a generator is scored at; :func:`score_generated` scores generated clips against
the same training clips and divides by that reference. :func:`sample_per_class` draws the
equal-per-digit samples both use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .generation import conditional_accuracy, frechet_distance, inception_score
from .judge import Judge
from .novelty import (
    calibrate_memorisation_threshold,
    diversity,
    memorisation,
    memorisation_features,
    nearest_neighbours,
)

__all__ = ["real_reference", "sample_per_class", "score_generated"]


def sample_per_class(labels: Any, per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` random clips of each label, int64 [k * per_class].

    Sorted by label, and within a label by index. Raises ``ValueError`` if a label has
    fewer clips.
    """
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chosen = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        if members.size < per_class:
            raise ValueError(f"label {k} has {members.size} clips, fewer than {per_class}.")
        chosen.append(np.sort(rng.choice(members, per_class, replace=False)))
    return np.concatenate(chosen)


def _training_halves(labels: Any, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint training samples of ``per_class`` clips per digit (indices, int64).

    The first is the one both :func:`real_reference` and :func:`score_generated` compare
    with; the second gives the training-vs-training reference.
    """
    index = sample_per_class(labels, 2 * per_class, seed).reshape(-1, 2 * per_class)
    return index[:, :per_class].ravel(), index[:, per_class:].ravel()


def real_reference(
    judge: Judge, train: Any, test: Any, per_class: int = 30, splits: int = 10, seed: int = 0
) -> dict[str, Any]:
    """The scores of real clips: the reference points generated clips are compared with.

    Uses ``per_class`` clips of each digit from the test set and, separately, from the
    training set (300 and 300 for FSDD's defaults), so that every number is computed at the
    same sample size as a generator's 300 clips.

    Returns:
        A JSON-ready dict: ``judge_accuracy_test``, ``inception_score_test`` (mean, std),
        ``inception_score_train`` (mean, std), ``frechet_distance_test_vs_train``,
        ``frechet_distance_train_vs_train`` (two disjoint training samples),
        ``diversity_ratio_test_vs_train``, ``memorised_fraction_test`` (of every other test
        clip, with the threshold calibrated on the others), ``memorisation_threshold``
        (calibrated on all the test clips, for :func:`score_generated`), ``clips_per_side``,
        ``nearest_training_distance_test`` (min, 1 % quantile and median).
    """
    test_index = sample_per_class(test.labels, per_class, seed)
    first, second = _training_halves(train.labels, per_class, seed)
    test_emb, test_prob = judge.scores(test.audio[test_index])
    train_emb, train_prob = judge.scores(train.audio[first])
    other_emb, _ = judge.scores(train.audio[second])
    test_labels = test.labels[test_index]
    train_labels = train.labels[first]
    _, distances = nearest_neighbours(
        memorisation_features(test.audio[test_index], test.config),
        memorisation_features(train, test.config),
    )
    # Calibrate on half of the test clips and score the other half, so that the fraction is
    # a measurement (calibrating on the clips scored would give 0 by construction).
    half_threshold = calibrate_memorisation_threshold(distances[::2])
    return {
        "clips_per_side": int(test_index.size),
        "judge_accuracy_test": float(np.mean(np.argmax(test_prob, 1) == test_labels)),
        "inception_score_test": list(inception_score(test_prob, splits)),
        "inception_score_train": list(inception_score(train_prob, splits)),
        "frechet_distance_test_vs_train": frechet_distance(test_emb, train_emb),
        "frechet_distance_train_vs_train": frechet_distance(other_emb, train_emb),
        "diversity_ratio_test_vs_train": diversity(
            test_emb, test_labels, train_emb, train_labels
        ).ratio,
        "memorised_fraction_test": float(np.mean(distances[1::2] < half_threshold)),
        "memorisation_threshold": calibrate_memorisation_threshold(distances),
        "nearest_training_distance_test": {
            "min": float(distances.min()),
            "q01": float(np.quantile(distances, 0.01)),
            "median": float(np.median(distances)),
        },
    }


def score_generated(
    judge: Judge,
    generated: Any,
    intended: Any,
    train: Any,
    test: Any,
    *,
    per_class: int = 30,
    splits: int = 10,
    seed: int = 0,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every metric for a batch of generated clips, next to the real-data reference.

    Args:
        judge: the judge.
        generated: float [n, num_samples] audio (``per_class`` clips of each digit is the
            comparable setting: 300 for 30 per digit).
        intended: int [n], the digit asked for (for an unconditional generator, pass
            ``judge.predict(generated)``).
        train, test: the official split (``AudioDataset``\\ s).
        per_class, splits, seed: as in :func:`real_reference` (the same training clips).
        reference: :func:`real_reference` output, computed if not given.

    Returns:
        A JSON-ready dict: ``judge_accuracy``, ``per_class_accuracy``, ``confusion``,
        ``inception_score`` (mean, std), ``inception_score_real`` (test clips' mean),
        ``inception_score_ratio``, ``frechet_distance`` (to ``per_class`` training clips per
        digit), ``frechet_distance_real`` (real test vs the same training clips),
        ``frechet_distance_ratio``, ``diversity_ratio`` (vs the same training clips),
        ``memorised_fraction``, ``memorisation_threshold``.
    """
    if reference is None:
        reference = real_reference(judge, train, test, per_class, splits, seed)
    intended = np.asarray(intended, dtype=np.int64)
    embeddings, probabilities = judge.scores(generated)
    if intended.shape != (embeddings.shape[0],):
        raise ValueError(
            f"intended must be [clips] = [{embeddings.shape[0]}], got shape {intended.shape}."
        )
    first, _ = _training_halves(train.labels, per_class, seed)
    train_emb = judge.embed(train.audio[first])
    conditional = conditional_accuracy(probabilities, intended)
    is_mean, is_std = inception_score(probabilities, min(splits, len(intended)))
    fd = frechet_distance(embeddings, train_emb)
    memorised = memorisation(
        generated, train, threshold=reference["memorisation_threshold"], config=train.config
    )
    return {
        "judge_accuracy": conditional.accuracy,
        "per_class_accuracy": conditional.to_dict()["per_class"],
        "confusion": conditional.confusion.tolist(),
        "inception_score": [is_mean, is_std],
        "inception_score_real": reference["inception_score_test"][0],
        "inception_score_ratio": is_mean / reference["inception_score_test"][0],
        "frechet_distance": fd,
        "frechet_distance_real": reference["frechet_distance_test_vs_train"],
        "frechet_distance_ratio": fd / max(reference["frechet_distance_test_vs_train"], 1e-12),
        "diversity_ratio": diversity(embeddings, intended, train_emb, train.labels[first]).ratio,
        "memorised_fraction": memorised.fraction,
        "memorisation_threshold": memorised.threshold,
    }
