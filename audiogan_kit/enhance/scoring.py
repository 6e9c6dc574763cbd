"""Comparing enhancers on held-out (noisy, clean) pairs: per clip, per SNR, per noise type.

Introduced in notebooks/06_enhancement.ipynb.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["mean_gain", "pick_per_condition", "score_enhancers", "scores_by"]


def pick_per_condition(test: Any, per_condition: int, seed: int = 0) -> Any:
    """``per_condition`` pairs of every (SNR, noise type), at random, spread over digits and voices.

    A smaller balanced subset for quick per-SNR and per-noise tables. Within each (SNR, noise
    type) cell the pairs are drawn one at a time, each time among those whose digit, then
    whose voice, has been drawn least often so far over the whole subset (ties broken at
    random with ``seed``), so that a subset of a balanced test set stays balanced over digits
    and voices as far as its size allows (see :meth:`~audiogan_kit.data.NoisyDataset.
    composition`). The same seed gives the same subset.

    Returns:
        at most ``per_condition * len(snrs) * len(noise_types)`` pairs, in their original
        order.
    """
    if per_condition < 1:
        raise ValueError(f"per_condition must be at least 1 pair, got {per_condition}.")
    rng = np.random.default_rng([seed, 104729])
    digit_count: dict[int, int] = {}
    voice_count: dict[str, int] = {}
    chosen: list[int] = []
    for snr in sorted(set(test.snr_db.tolist())):
        for noise in sorted(set(test.noise_type.tolist())):
            cell = np.flatnonzero(np.isclose(test.snr_db, snr) & (test.noise_type == noise))
            cell = list(rng.permutation(cell).tolist())
            for _ in range(min(per_condition, len(cell))):
                best = min(
                    cell,
                    key=lambda i: (
                        digit_count.get(int(test.labels[i]), 0),
                        voice_count.get(str(test.speakers[i]), 0),
                    ),
                )
                cell.remove(best)
                chosen.append(best)
                digit = int(test.labels[best])
                voice = str(test.speakers[best])
                digit_count[digit] = digit_count.get(digit, 0) + 1
                voice_count[voice] = voice_count.get(voice, 0) + 1
    return test.subset(np.sort(np.asarray(chosen, dtype=np.int64)))


def score_enhancers(
    test: Any,
    enhancers: dict[str, Callable[[np.ndarray], np.ndarray]],
    metrics: tuple[str, ...] = ("pesq", "stoi", "si_sdr"),
    progress: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """Per-clip speech scores of the noisy input and of every enhancer on held-out pairs.

    Args:
        test: a :class:`~audiogan_kit.data.NoisyDataset` (noisy, clean float32
            [clips, samples] at ``test.sample_rate`` Hz).
        enhancers: {name: fn(noisy [clips, samples]) -> [clips, samples]}, e.g.
            ``{"wiener": lambda x: wiener_filter(x, 8000), "gan": generator_enhancer(g)}``.
        metrics: names of :data:`audiogan_kit.metrics.SPEECH_METRICS`.
        progress: a tqdm bar over the methods (each one enhances, then scores, every clip).

    Returns:
        {"noisy" and each enhancer name: {metric: float64 [clips]}}, NaN where a metric is
        undefined for a clip (see :func:`audiogan_kit.metrics.speech_scores`).
    """
    from ..metrics import speech_scores
    from ..progress import progress_bar

    methods = {"noisy": None, **enhancers}
    bar = None
    if progress:
        bar = progress_bar(len(methods), f"scoring {len(test.noisy)} clips", unit="method")
    scores = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="speech_scores: clips left out")
        for name, fn in methods.items():
            if bar is not None:
                bar.set_postfix(method=name)
            processed = test.noisy if fn is None else np.asarray(fn(test.noisy), np.float32)
            scores[name] = speech_scores(
                test.clean, processed, test.sample_rate, metrics=metrics, reduce=False
            )
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return scores


def scores_by(
    scores: dict[str, dict[str, np.ndarray]], test: Any, by: str = "snr_db"
) -> list[dict[str, Any]]:
    """Mean scores per method and per value of ``by`` (``"snr_db"`` or ``"noise_type"``).

    Returns:
        rows ``{"method", by, "clips", <metric>: mean over the clips where it is defined}``,
        ordered by method, then by value.
    """
    if by not in ("snr_db", "noise_type"):
        raise ValueError(f"by must be 'snr_db' or 'noise_type', got {by!r}.")
    keys = np.asarray(getattr(test, by))
    rows = []
    for method, per_metric in scores.items():
        for value in sorted(set(keys.tolist())):
            mask = keys == value
            row: dict[str, Any] = {"method": method, by: value, "clips": int(mask.sum())}
            for metric, values in per_metric.items():
                chosen = values[mask]
                row[metric] = float(np.nanmean(chosen)) if np.any(~np.isnan(chosen)) else None
            rows.append(row)
    return rows


def mean_gain(
    scores: dict[str, dict[str, np.ndarray]],
    method: str,
    reference: str,
    metric: str = "pesq",
    mask: Any | None = None,
) -> float:
    """Mean of ``method - reference`` per clip, over the clips (of ``mask``) both could score."""
    difference = scores[method][metric] - scores[reference][metric]
    if mask is not None:
        difference = difference[np.asarray(mask, dtype=bool)]
    if not np.any(np.isfinite(difference)):
        raise ValueError(f"no clip has a {metric} score for both {method} and {reference}.")
    return float(np.nanmean(difference))
