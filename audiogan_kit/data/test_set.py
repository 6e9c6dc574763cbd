"""A fair held-out test set for speech enhancement: balanced over digits, voices and noise.

Introduced in notebooks/06_enhancement.ipynb.

An average over a test set is only as fair as its composition. Taking the first pairs of each
(SNR, noise type) from a list ordered by clip gives mostly the digit 0 (FSDD's files sort by
digit), and a method's mean then says how well it enhances one word. :func:`balanced_design`
gives every (digit, speaker) stratum every condition equally often, on clean clips drawn at
random with a fixed seed; :func:`composition` reports what a set of pairs holds, and
:func:`pairs_for_standard_error` sizes a set from a pilot's per-clip spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["balanced_design", "composition", "pairs_for_standard_error", "standard_error"]


def balanced_design(
    labels: np.ndarray,
    speakers: np.ndarray,
    conditions: Sequence[tuple[float, str]],
    repeats: int,
    rng: np.random.Generator,
) -> dict[int, list[tuple[float, str]]]:
    """Which clip gets which (SNR, noise type): every stratum gets every condition equally.

    For each (digit, speaker) stratum, ``repeats * len(conditions)`` clips are drawn at random
    without replacement and each condition is given to ``repeats`` of them (in a random
    order). Every digit, speaker, SNR and noise type (and every pair of them) then holds the
    same number of pairs. A stratum with fewer clips than that reuses its clips, each at most
    ``ceil(needed / available)`` times, always with different conditions.

    Args:
        labels: int [n], the digit of each clip.
        speakers: str [n], the speaker of each clip.
        conditions: the (SNR in dB, noise type) pairs to balance.
        repeats: pairs per (digit, speaker, condition) cell, at least 1.
        rng: draws the clips and the order.

    Returns:
        {clip index: [its conditions]}; the clips not chosen are absent.
    """
    if repeats < 1 or not conditions:
        raise ValueError(
            f"a balanced design needs repeats >= 1 and at least one condition, got "
            f"repeats={repeats} and {len(conditions)} conditions."
        )
    labels, speakers = np.asarray(labels), np.asarray(speakers)
    if np.any(labels < 0):
        raise ValueError(
            "a balanced test set needs a digit (label) for every clip; this dataset has "
            "unlabelled clips (-1). Use combinations='sample' or 'all' instead."
        )
    needed = repeats * len(conditions)
    design: dict[int, list[tuple[float, str]]] = {}
    for digit in sorted(set(labels.tolist())):
        for speaker in sorted(set(speakers.tolist())):
            members = np.flatnonzero((labels == digit) & (speakers == speaker))
            if members.size == 0:
                continue
            # Enough random permutations of the stratum, back to back: no clip is used a
            # second time before every clip has been used once.
            rounds = math.ceil(needed / members.size)
            clips = np.concatenate([rng.permutation(members) for _ in range(rounds)])[:needed]
            order = rng.permutation(needed) % len(conditions)
            for clip, which in zip(clips.tolist(), order.tolist(), strict=True):
                design.setdefault(int(clip), []).append(conditions[which])
    for clip, chosen in design.items():
        if len(set(chosen)) != len(chosen):
            # The same clip twice with the same condition would be a duplicate pair; with
            # the permutations above it needs a stratum smaller than `repeats`.
            raise ValueError(
                f"clip {clip} would get the same condition twice: its (digit, speaker) "
                f"stratum has fewer clips than repeats={repeats}; lower repeats."
            )
    return design


def composition(pairs: Any) -> dict[str, dict[Any, int]]:
    """Pair counts per digit, voice (speaker), noise type and SNR of a set of pairs.

    Args:
        pairs: a :class:`~audiogan_kit.data.NoisyDataset` (``labels``, ``speakers``,
            ``noise_type``, ``snr_db``).

    Returns:
        ``{"digit": {int: count}, "voice": {str: count}, "noise": {str: count},
        "snr": {float dB: count}}``, each sorted by key.
    """
    columns = {
        "digit": [int(v) for v in pairs.labels],
        "voice": [str(v) for v in pairs.speakers],
        "noise": [str(v) for v in pairs.noise_type],
        "snr": [float(v) for v in pairs.snr_db],
    }
    return {
        name: {key: values.count(key) for key in sorted(set(values))}
        for name, values in columns.items()
    }


def standard_error(values: Any) -> float:
    """Standard error of the mean of the finite ``values``: ``std(ddof=1) / sqrt(n)``.

    NaN where fewer than two values are finite.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / math.sqrt(values.size))


def pairs_for_standard_error(values: Any, target: float = 0.05) -> int:
    """Pairs needed for a mean whose standard error is below ``target``.

    From a pilot's per-clip values (e.g. PESQ gains over the noisy input), assuming the
    spread stays the same: the smallest ``n`` with ``std(values) / sqrt(n) < target``.
    """
    if not target > 0:
        raise ValueError(f"target must be a positive standard error, got {target}.")
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 2:
        raise ValueError(
            f"need at least 2 finite pilot values to estimate a spread, got {values.size}."
        )
    spread = float(np.std(values, ddof=1))
    return int(math.floor((spread / target) ** 2)) + 1
