"""Noisy FSDD: pairs of (noisy, clean) clips for speech enhancement, reproducible by seed.

Introduced in notebooks/06_enhancement.ipynb.

:func:`make_noisy_dataset` mixes every clip of an :class:`AudioDataset` with the noises of
:mod:`audiogan_kit.data.noise` at chosen SNRs into a :class:`NoisyDataset`;
:func:`make_noisy_split` builds a training and a test set whose test voices and test noise
were never heard in training.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import AudioConfig
from .datasets import AudioDataset, take_rows
from .errors import DataError
from .noise import NOISE_TYPES, babble_noise, make_noise, mix_at_snr
from .registry import FSDD_TEST_TAKES
from .test_set import balanced_design, composition

__all__ = [
    "COMBINATIONS",
    "NOISY_TEST_SPEAKERS",
    "NoisyDataset",
    "make_noisy_dataset",
    "make_noisy_split",
]

#: How :func:`make_noisy_dataset` pairs clips with (SNR, noise type) conditions.
COMBINATIONS = ("all", "sample", "balanced")

#: Default held-out speakers of :func:`make_noisy_split` (2 of FSDD's 6).
NOISY_TEST_SPEAKERS = ("george", "yweweler")

# ---------------------------------------------------------------------------------------------
# The pairs and their builders
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NoisyDataset:
    """Pairs of (noisy, clean) clips for speech enhancement.

    Attributes:
        noisy: float32 [n, num_samples] at ``config.sample_rate`` Hz, clean + noise.
        clean: float32 [n, num_samples], the target; the same clean clip as in the source
            dataset, times a gain <= 1 when the mixture had to be scaled down to stay within
            ``peak_level`` (noisy and clean share that gain, so the SNR is unchanged).
        snr_db: float32 [n], the SNR of each pair in dB (over the clean clip's active
            samples, see :func:`~audiogan_kit.data.mix_at_snr`).
        noise_type: str [n], one of :data:`~audiogan_kit.data.NOISE_TYPES`.
        noise_seed: int64 [n], the seed of the generator that drew each clip's noise.
        babble_sources: str [n], the file names of the clips mixed into babble, joined by
            ``","`` (``""`` for other noise types).
        labels, speakers, takes, paths: of the clean clip (as in :class:`AudioDataset`).
        config: the audio config of the clips.
    """

    noisy: np.ndarray
    clean: np.ndarray
    snr_db: np.ndarray
    noise_type: np.ndarray
    noise_seed: np.ndarray
    babble_sources: np.ndarray
    labels: np.ndarray
    speakers: np.ndarray
    takes: np.ndarray
    paths: np.ndarray
    config: AudioConfig

    def __post_init__(self) -> None:
        if self.noisy.shape != self.clean.shape or self.noisy.ndim != 2:
            raise ValueError(
                f"noisy and clean must both be [n, samples], got {self.noisy.shape} and "
                f"{self.clean.shape}."
            )
        n = self.noisy.shape[0]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name not in ("noisy", "clean", "config") and value.shape != (n,):
                raise ValueError(f"{field.name} must have shape [{n}], got {value.shape}.")

    @property
    def sample_rate(self) -> int:
        """Sample rate of ``noisy`` and ``clean`` in Hz."""
        return self.config.sample_rate

    def __len__(self) -> int:
        return int(self.noisy.shape[0])

    def __repr__(self) -> str:
        return (
            f"NoisyDataset({len(self)} pairs at {self.sample_rate} Hz, SNRs "
            f"{sorted(set(self.snr_db.tolist()))} dB, "
            f"noises {sorted(set(self.noise_type.tolist()))}, "
            f"speakers {sorted(set(self.speakers.tolist()))})"
        )

    def subset(self, index: np.ndarray | Sequence[int] | Sequence[bool]) -> NoisyDataset:
        """The pairs selected by a boolean mask [n] or integer indices (in that order)."""
        return take_rows(self, index)

    def composition(self) -> dict[str, dict[Any, int]]:
        """What the pairs hold, as pair counts per value (see :func:`composition`).

        ``{"digit": {0: n0, ...}, "voice": {"george": ...}, "noise": {"babble": ...},
        "snr": {0.0: ...}}``, keys sorted; a balanced test set has equal counts in each.
        """
        return composition(self)

    def select(self, snr_db: float | None = None, noise_type: str | None = None) -> NoisyDataset:
        """The pairs at one SNR and/or of one noise type."""
        mask = np.ones(len(self), dtype=bool)
        if snr_db is not None:
            mask &= np.isclose(self.snr_db, snr_db)
        if noise_type is not None:
            mask &= self.noise_type == noise_type
        return self.subset(mask)


def make_noisy_dataset(
    dataset: AudioDataset,
    snrs: Sequence[float] = (0.0, 5.0, 10.0, 15.0),
    noise_types: Sequence[str] = NOISE_TYPES,
    seed: int = 0,
    *,
    combinations: str = "all",
    repeats: int = 1,
    babble_pool: AudioDataset | None = None,
    babble_talkers: int = 4,
    peak_level: float = 0.99,
    over: str = "active",
) -> NoisyDataset:
    """Mix every clip of ``dataset`` with noise at chosen SNRs; reproducible by ``seed``.

    Args:
        dataset: the clean clips.
        snrs: SNRs in dB.
        noise_types: a subset of :data:`~audiogan_kit.data.NOISE_TYPES`.
        seed: the same seed gives identical pairs; every pair's noise comes from its own
            generator, seeded from ``seed`` (recorded in ``noise_seed``).
        combinations: ``"all"``: every clip with every (SNR, noise type), ``n * len(snrs) *
            len(noise_types)`` pairs; ``"sample"``: one random (SNR, noise type) per clip;
            ``"balanced"``: a fair test set (:func:`balanced_design`): every (digit, speaker)
            gets every (SNR, noise type) ``repeats`` times, on clips drawn at random.
        repeats: for ``"balanced"``: pairs per (digit, speaker, SNR, noise type) cell.
        babble_pool: clips babble is made from (default: ``dataset`` itself); clips of the
            target clip's speaker are always left out.
        babble_talkers: clips summed into one babble.
        peak_level: a pair whose noisy peak exceeds it is scaled down (noisy and clean by the
            same gain) so that nothing clips.
        over: where the SNR is measured (see :func:`~audiogan_kit.data.mix_at_snr`).

    Returns:
        A :class:`NoisyDataset`, pairs ordered by clip, then SNR, then noise type.
    """
    unknown = sorted(set(noise_types) - set(NOISE_TYPES))
    if unknown or not noise_types:
        raise ValueError(
            f"noise_types must be a non-empty subset of {NOISE_TYPES}, got {noise_types}."
        )
    if not snrs:
        raise ValueError("snrs must name at least one SNR in dB, e.g. (0, 5, 10, 15).")
    if combinations not in COMBINATIONS:
        raise ValueError(f"combinations must be one of {COMBINATIONS}, got {combinations!r}.")
    pool = dataset if babble_pool is None else babble_pool
    if "babble" in noise_types and pool.config.num_samples != dataset.config.num_samples:
        raise ValueError("babble_pool must have clips of the same length as dataset.")
    pool_names = np.array([Path(p).name for p in pool.paths], dtype=str)
    pairs = [(float(s), str(t)) for s in snrs for t in noise_types]
    master = np.random.default_rng(seed)
    design = None
    if combinations == "balanced":
        design = balanced_design(
            dataset.labels, dataset.speakers, pairs, repeats, np.random.default_rng([seed, 1])
        )
    rows: dict[str, list[Any]] = {
        k: [] for k in ("noisy", "clean", "snr", "type", "seed", "babble", "source")
    }
    for i in range(len(dataset)):
        if design is not None:
            chosen = design.get(i, [])
        elif combinations == "all":
            chosen = pairs
        else:
            chosen = [pairs[int(master.integers(len(pairs)))]]
        for snr, noise_type in chosen:
            noise_seed = int(master.integers(2**62))
            rng = np.random.default_rng(noise_seed)
            sources = ""
            clean = dataset.audio[i]
            if noise_type == "babble":
                others = np.flatnonzero(pool.speakers != dataset.speakers[i])
                noise, used = babble_noise(pool.audio, babble_talkers, rng, others)
                sources = ",".join(pool_names[used])
            else:
                noise = make_noise(noise_type, clean.shape[0], dataset.sample_rate, rng)
            noisy = mix_at_snr(clean, noise, snr, over=over)
            peak = float(np.max(np.abs(noisy)))
            gain = min(1.0, peak_level / peak) if peak > 0 else 1.0
            rows["noisy"].append(noisy * np.float32(gain))
            rows["clean"].append(clean * np.float32(gain))
            rows["snr"].append(snr)
            rows["type"].append(noise_type)
            rows["seed"].append(noise_seed)
            rows["babble"].append(sources)
            rows["source"].append(i)
    source = np.asarray(rows["source"], dtype=np.int64)
    samples = dataset.config.num_samples
    return NoisyDataset(
        noisy=np.asarray(rows["noisy"], dtype=np.float32).reshape(-1, samples),
        clean=np.asarray(rows["clean"], dtype=np.float32).reshape(-1, samples),
        snr_db=np.asarray(rows["snr"], dtype=np.float32),
        noise_type=np.asarray(rows["type"], dtype=str),
        noise_seed=np.asarray(rows["seed"], dtype=np.int64),
        babble_sources=np.asarray(rows["babble"], dtype=str),
        labels=dataset.labels[source],
        speakers=dataset.speakers[source],
        takes=dataset.takes[source],
        paths=dataset.paths[source],
        config=dataset.config,
    )


def make_noisy_split(
    dataset: AudioDataset,
    test_speakers: str | Iterable[str] = NOISY_TEST_SPEAKERS,
    snrs: Sequence[float] = (0.0, 5.0, 10.0, 15.0),
    noise_types: Sequence[str] = NOISE_TYPES,
    seed: int = 0,
    *,
    train_combinations: str = "sample",
    test_combinations: str = "balanced",
    test_repeats: int = 1,
    babble_talkers: int = 4,
) -> tuple[NoisyDataset, NoisyDataset]:
    """(train, test) noisy sets where the test voices AND the test noise were never trained on.

    - Voices: the test clean clips are every clip of ``test_speakers``; the training clean
      clips come from the other speakers.
    - Babble: the test babble is made only of clips with takes 0-4 (FSDD's official test
      takes) of speakers other than the target; those clips are kept out of the training
      part altogether (neither as clean targets nor as babble), and the training babble
      is made of the training clean clips (other speakers than the target). So no babble
      clip of the test set was heard during training, though the test babble can contain the
      voices of training speakers (different utterances) as well as the other test speaker's.
    - Synthetic noise: the training and test noise generators are seeded from different
      children of ``numpy.random.SeedSequence(seed)`` (recorded in ``noise_seed``).

    Args:
        dataset: clean FSDD clips (all 3,000, or a subset with takes).
        test_speakers: held-out speaker(s).
        train_combinations, test_combinations: see ``combinations`` of
            :func:`make_noisy_dataset`. ``"sample"`` (the training default) gives one pair
            per clean clip (each pair is ``2 * num_samples`` float32 samples, noisy and
            clean); ``"all"`` multiplies that by ``len(snrs) * len(noise_types)`` (20 by
            default), so use it on a subset. The test default ``"balanced"`` is the fair
            test set: every digit, test speaker, SNR and noise type equally often
            (``10 * 2 * 4 * 5 * test_repeats`` = 400 pairs by default; see
            :meth:`NoisyDataset.composition` and ``benchmarks/enhancement.py`` for why
            400 is enough).
        test_repeats: pairs per (digit, speaker, SNR, noise type) cell of a balanced test set.

    Returns:
        (train, test) :class:`NoisyDataset`\\ s.
    """
    if np.any(dataset.takes < 0):
        raise DataError(
            "make_noisy_split needs clips with takes (FSDD names); this dataset has unknown "
            "takes (-1). Use make_noisy_dataset on your own split instead."
        )
    rest, test_clean = dataset.speaker_split(test_speakers)
    held_out_takes = np.isin(rest.takes, np.asarray(FSDD_TEST_TAKES))
    train_clean = rest.subset(~held_out_takes)
    test_babble = dataset.subset(np.isin(dataset.takes, np.asarray(FSDD_TEST_TAKES)))
    train_seed, test_seed = (
        int(child.generate_state(1, dtype=np.uint32)[0])
        for child in np.random.SeedSequence(seed).spawn(2)
    )
    train = make_noisy_dataset(
        train_clean, snrs, noise_types, train_seed, combinations=train_combinations,
        babble_talkers=babble_talkers,
    )
    test = make_noisy_dataset(
        test_clean, snrs, noise_types, test_seed, combinations=test_combinations,
        repeats=test_repeats, babble_pool=test_babble, babble_talkers=babble_talkers,
    )
    return train, test
