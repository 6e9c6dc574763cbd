"""Every number at once: the real-data reference and a generator's scores next to it.

Introduced in notebooks/05_evaluation.ipynb.

A generator's 300 clips are compared with real clips at the same number of clips, drawn at
random and balanced: the same number of every digit, and within a digit of every speaker
(:func:`balanced_sample`). :func:`real_reference` draws several disjoint balanced samples of
the training set (:func:`reference_draws`) and scores the real test clips against each, so
every real-vs-real number comes as a mean and a standard deviation over the draws;
:func:`score_generated` scores generated clips against the same draws and divides by the
real test clips' figures.
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

__all__ = [
    "balanced_sample",
    "real_reference",
    "reference_draws",
    "sample_per_class",
    "score_generated",
]


def _cells(labels: np.ndarray, speakers: np.ndarray | None, per_class: int, rng) -> list:
    """For each label: [(indices of one speaker's clips, how many to take)], speakers even."""
    cells = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if speakers is None:
            groups = [members]
        else:
            groups = [members[speakers[members] == s] for s in np.unique(speakers[members])]
        counts = np.full(len(groups), per_class // len(groups))
        counts[rng.permutation(len(groups))[: per_class % len(groups)]] += 1
        for group, count in zip(groups, counts, strict=True):
            if group.size < count:
                raise ValueError(
                    f"label {label} has {group.size} clips of one speaker, fewer than the "
                    f"{count} a balanced sample of {per_class} per label needs."
                )
        cells.append(list(zip(groups, counts, strict=True)))
    return cells


def balanced_sample(
    labels: Any, per_class: int, speakers: Any | None = None, seed: int = 0
) -> np.ndarray:
    """Indices of ``per_class`` random clips of every label, spread evenly over speakers.

    Within a label each speaker gives ``per_class // speakers`` clips (the remainder goes to
    speakers chosen at random); without ``speakers`` the clips of a label are drawn at random.

    Returns:
        int64 [labels * per_class], sorted by label and then by index. Raises ``ValueError``
        when a label (or a speaker within it) has too few clips.
    """
    labels = np.asarray(labels, dtype=np.int64)
    speakers = None if speakers is None else np.asarray(speakers)
    rng = np.random.default_rng(seed)
    chosen = []
    for cell in _cells(labels, speakers, per_class, rng):
        picked = [rng.choice(group, count, replace=False) for group, count in cell]
        chosen.append(np.sort(np.concatenate(picked)))
    return np.concatenate(chosen).astype(np.int64)


def sample_per_class(labels: Any, per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` random clips of each label, int64 [k * per_class].

    :func:`balanced_sample` without speakers: sorted by label, and within a label by index.
    Raises ``ValueError`` if a label has fewer clips.
    """
    return balanced_sample(labels, per_class, seed=seed)


def reference_draws(dataset: Any, per_class: int, draws: int, seed: int = 0) -> list[np.ndarray]:
    """``draws`` disjoint balanced samples of ``dataset`` (indices, each as
    :func:`balanced_sample` with its speakers): every (label, speaker) cell is shuffled once
    and dealt out, so no clip is in two draws."""
    labels = np.asarray(dataset.labels, dtype=np.int64)
    speakers = np.asarray(dataset.speakers)
    rng = np.random.default_rng(seed)
    out = [[] for _ in range(draws)]
    for cell in _cells(labels, speakers, per_class, rng):
        for group, count in cell:
            if group.size < count * draws:
                raise ValueError(
                    f"{draws} disjoint draws need {count * draws} clips of a (label, speaker) "
                    f"cell, which has {group.size}; ask for fewer draws or clips."
                )
            shuffled = rng.permutation(group)
            for k in range(draws):
                out[k].append(shuffled[k * count : (k + 1) * count])
    return [np.sort(np.concatenate(parts)).astype(np.int64) for parts in out]


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def real_reference(
    judge: Judge,
    train: Any,
    test: Any,
    per_class: int = 30,
    splits: int = 10,
    seed: int = 0,
    draws: int = 5,
) -> dict[str, Any]:
    """The scores of real clips: the reference points generated clips are compared with.

    ``per_class`` test clips of each digit (balanced over speakers; all 300 of FSDD's official
    test split at the defaults) are scored against ``draws`` disjoint balanced samples of the
    training set of the same size, so every number is at a generator's sample size.

    Returns:
        A JSON-ready dict: ``clips_per_side``, ``draws``, ``seed``, ``judge_accuracy_test``,
        ``inception_score_test`` (mean, std over ``splits``), ``inception_score_train`` (mean,
        sd over the draws), ``frechet_distance_test_vs_train`` (mean over the draws) and its
        ``..._sd``, ``frechet_distance_train_vs_train`` (mean, sd over pairs of draws),
        ``diversity_ratio_test_vs_train`` and its ``..._sd``, ``memorised_fraction_test``
        (of every other test clip, with the threshold calibrated on the others),
        ``memorisation_threshold`` (calibrated on all the test clips, for
        :func:`score_generated`), ``nearest_training_distance_test`` (min, 1 % quantile,
        median).
    """
    test_index = balanced_sample(test.labels, per_class, test.speakers, seed)
    samples = reference_draws(train, per_class, draws, seed)
    test_emb, test_prob = judge.scores(test.audio[test_index])
    test_labels = test.labels[test_index]
    scored = [judge.scores(train.audio[index]) for index in samples]
    fd_test = [frechet_distance(test_emb, emb) for emb, _ in scored]
    fd_train = [
        frechet_distance(scored[i][0], scored[j][0])
        for i in range(draws)
        for j in range(i + 1, draws)
    ]
    ratios = [
        diversity(test_emb, test_labels, emb, train.labels[index]).ratio
        for (emb, _), index in zip(scored, samples, strict=True)
    ]
    is_train = [inception_score(prob, splits)[0] for _, prob in scored]
    _, distances = nearest_neighbours(
        memorisation_features(test.audio[test_index], test.config),
        memorisation_features(train, test.config),
    )
    # Calibrate on half of the test clips and score the other half, so that the fraction is
    # a measurement (calibrating on the clips scored would give 0 by construction).
    half_threshold = calibrate_memorisation_threshold(distances[::2])
    fd_mean, fd_sd = _mean_sd(fd_test)
    ratio_mean, ratio_sd = _mean_sd(ratios)
    return {
        "clips_per_side": int(test_index.size),
        "draws": int(draws),
        "seed": int(seed),
        "judge_accuracy_test": float(np.mean(np.argmax(test_prob, 1) == test_labels)),
        "inception_score_test": list(inception_score(test_prob, splits)),
        "inception_score_train": list(_mean_sd(is_train)),
        "frechet_distance_test_vs_train": fd_mean,
        "frechet_distance_test_vs_train_sd": fd_sd,
        "frechet_distance_train_vs_train": list(_mean_sd(fd_train)) if fd_train else None,
        "diversity_ratio_test_vs_train": ratio_mean,
        "diversity_ratio_test_vs_train_sd": ratio_sd,
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
    draws: int = 5,
    reference: dict[str, Any] | None = None,
    memorisation_train: Any | None = None,
) -> dict[str, Any]:
    """Every metric for a batch of generated clips, next to the real-data reference.

    Args:
        judge: the judge.
        generated: float [n, num_samples] audio (``per_class`` clips of each digit is the
            comparable setting: 300 for 30 per digit).
        intended: int [n], the digit asked for (for an unconditional generator, pass
            ``judge.predict(generated)``).
        train, test: the official split (``AudioDataset``\\ s).
        per_class, splits, seed, draws: as in :func:`real_reference` (the same draws of
            training clips; taken from ``reference`` when it is given).
        reference: :func:`real_reference` output, computed if not given.
        memorisation_train: the clips the generator was trained on, if they were read
            differently from ``train`` (e.g. trimmed and centred); default ``train``.

    Returns:
        A JSON-ready dict: ``judge_accuracy``, ``per_class_accuracy``, ``confusion``,
        ``inception_score`` (mean, std), ``inception_score_real`` (the test clips' mean),
        ``inception_score_ratio``, ``frechet_distance`` (mean over the training draws) and
        ``frechet_distance_sd``, ``frechet_distance_real`` (real test vs the same draws),
        ``frechet_distance_ratio``, ``diversity_ratio`` (vs the same draws, mean),
        ``memorised_fraction``, ``memorisation_threshold``.
    """
    if reference is None:
        reference = real_reference(judge, train, test, per_class, splits, seed, draws)
    intended = np.asarray(intended, dtype=np.int64)
    embeddings, probabilities = judge.scores(generated)
    if intended.shape != (embeddings.shape[0],):
        raise ValueError(
            f"intended must be [clips] = [{embeddings.shape[0]}], got shape {intended.shape}."
        )
    samples = reference_draws(train, per_class, reference["draws"], reference["seed"])
    train_embs = [judge.embed(train.audio[index]) for index in samples]
    conditional = conditional_accuracy(probabilities, intended)
    is_mean, is_std = inception_score(probabilities, min(splits, len(intended)))
    fd, fd_sd = _mean_sd([frechet_distance(embeddings, emb) for emb in train_embs])
    ratio = np.mean(
        [
            diversity(embeddings, intended, emb, train.labels[index]).ratio
            for emb, index in zip(train_embs, samples, strict=True)
        ]
    )
    seen = train if memorisation_train is None else memorisation_train
    memorised = memorisation(
        generated, seen, threshold=reference["memorisation_threshold"], config=seen.config
    )
    fd_real = reference["frechet_distance_test_vs_train"]
    return {
        "judge_accuracy": conditional.accuracy,
        "per_class_accuracy": conditional.to_dict()["per_class"],
        "confusion": conditional.confusion.tolist(),
        "inception_score": [is_mean, is_std],
        "inception_score_real": reference["inception_score_test"][0],
        "inception_score_ratio": is_mean / reference["inception_score_test"][0],
        "frechet_distance": fd,
        "frechet_distance_sd": fd_sd,
        "frechet_distance_real": fd_real,
        "frechet_distance_ratio": fd / max(fd_real, 1e-12),
        "diversity_ratio": float(ratio),
        "memorised_fraction": memorised.fraction,
        "memorisation_threshold": memorised.threshold,
    }
