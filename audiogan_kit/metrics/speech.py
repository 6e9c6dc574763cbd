"""Speech quality for enhancement: PESQ, STOI, SI-SDR and segmental SNR.

Introduced in notebooks/06_enhancement.ipynb.

Every function compares a processed (noisy or enhanced) clip with the clean reference: both
float ``[samples]`` (or ``[samples, 1]``) at the same ``sample_rate`` in Hz, time-aligned, the
same length. Higher is better for all four. :func:`speech_scores` computes them for a batch
``[clips, samples]``, per clip or as means.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import as_clip, as_pairs, to_numpy

__all__ = [
    "SPEECH_METRICS",
    "metric_labels",
    "pesq_nb",
    "segmental_snr",
    "si_sdr",
    "speech_scores",
    "stoi",
    "stoi_repeats",
]

#: The scores :func:`speech_scores` computes, in its order.
SPEECH_METRICS = ("pesq", "stoi", "si_sdr", "segmental_snr")


def _clip_pair(clean: Any, processed: Any) -> tuple[np.ndarray, np.ndarray]:
    """(clean, processed) as float64 [samples] each, of the same length.

    :func:`~audiogan_kit.arrays.as_clip` checks each shape; the samples are then read in
    float64, the precision the scores are computed in.
    """
    shapes = as_clip(clean, "clean").shape, as_clip(processed, "processed").shape
    if shapes[0] != shapes[1]:
        raise ValueError(
            "clean and processed must be waveforms [samples] of the same length, got shapes "
            f"{shapes[0]} and {shapes[1]}; crop or pad them to the same length."
        )
    return (
        to_numpy(clean, np.float64).reshape(shapes[0]),
        to_numpy(processed, np.float64).reshape(shapes[1]),
    )


def metric_labels() -> dict[str, str]:
    """What each score of :func:`speech_scores` is, exactly, for a results file or a table.

    The PESQ entry names the package version installed (read from its metadata).
    """
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "pesq": (
            "ITU-T P.862 narrow-band PESQ (the ITU reference C code, version 2.0 of October "
            "2005, without P.862 Corrigendum 2 of 2018), raw score mapped to MOS-LQO by "
            "ITU-T P.862.1: 0.999 + 4 / (1 + exp(-1.4945 raw + 4.6607)); range about 1.0 to "
            f"4.55; computed at 8 kHz by the pesq package {installed('pesq')} (mode 'nb')."
        ),
        "stoi": (
            "STOI (Taal et al. 2011) by the pystoi package "
            f"{installed('pystoi')}, standard (not extended); a clip with under 384 ms of "
            "non-silent clean speech (30 frames) has no standard STOI, and is scored on "
            "itself repeated back to back (clean and processed alike, see "
            "audiogan_kit.metrics.stoi_repeats): a kit-specific deviation, counted "
            "separately."
        ),
        "si_sdr": "scale-invariant SDR in dB (Le Roux et al. 2019), zero-mean.",
        "segmental_snr": (
            "segmental SNR in dB, 32 ms frames every 16 ms, each clamped to [-10, 35] dB, "
            "over frames within 40 dB of the loudest clean frame."
        ),
    }


def pesq_nb(clean: Any, processed: Any, sample_rate: int = 8000) -> float:
    """Narrow-band PESQ (ITU-T P.862 with the P.862.1 MOS-LQO mapping), via ``pesq``.

    Which PESQ this is: ``pesq.pesq(sample_rate, clean, processed, "nb")`` runs the ITU
    reference code of P.862 (version 2.0, October 2005; P.862 Corrigendum 2, 2018, which
    corrects the loudness model, is not included) and returns the raw P.862 score mapped to
    MOS-LQO by P.862.1: ``0.999 + 4 / (1 + exp(-1.4945 raw + 4.6607))``. It is not the
    wide-band P.862.2 score (mode ``"wb"``, 16 kHz only), and not the raw score that some
    papers report; compare only with numbers of the same variant (:func:`metric_labels`).

    Args:
        clean, processed: float [samples] at ``sample_rate`` Hz (8,000 or 16,000; the
            narrow-band model listens to the telephone band, 300-3,400 Hz).

    Returns:
        MOS-LQO, from about 1.0 (bad) to 4.55 (a clip against itself).

    Raises:
        ValueError: for another sample rate (resample to 8 kHz first), or when PESQ finds
            no speech in the reference (``NoUtterancesError``: silence or a clip far shorter
            than a word).
    """
    from pesq import NoUtterancesError, PesqError, pesq

    if sample_rate not in (8000, 16000):
        raise ValueError(
            f"PESQ is defined at 8,000 or 16,000 Hz, got sample_rate={sample_rate}; resample "
            "the clips (librosa.resample) to 8 kHz first."
        )
    clean, processed = _clip_pair(clean, processed)
    if not np.any(clean) or not np.all(np.isfinite(clean)) or not np.all(np.isfinite(processed)):
        raise ValueError(
            "PESQ found no utterance in the clean reference: it is silent (all zeros) or holds "
            "NaN/Inf; pass the clean clip first and the processed clip second."
        )
    try:
        return float(pesq(sample_rate, clean, processed, "nb", on_error=PesqError.RAISE_EXCEPTION))
    except NoUtterancesError as error:
        raise ValueError(
            f"PESQ found no utterance in the clean reference ({clean.shape[0]} samples at "
            f"{sample_rate} Hz, peak {np.max(np.abs(clean)):.3g}): it needs audible speech; "
            "check that the reference is not silent and that clean/processed are not swapped."
        ) from error


def _stoi_and_repeats(
    clean: np.ndarray, processed: np.ndarray, sample_rate: int, extended: bool, short: str
) -> tuple[float, int]:
    """(STOI, how many copies of the pair it was computed on: 1 = the standard score)."""
    from pystoi import stoi as pystoi_stoi

    if short not in ("repeat", "raise"):
        raise ValueError(f"short must be 'repeat' or 'raise', got {short!r}.")
    for repeats in (1, 2, 4, 8, 16):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            score = pystoi_stoi(
                np.tile(clean, repeats), np.tile(processed, repeats), sample_rate,
                extended=extended,
            )
        if not any("Not enough STFT frames" in str(w.message) for w in caught):
            return float(score), repeats
        if short == "raise":
            break
    raise ValueError(
        f"STOI needs about 384 ms of non-silent clean speech; the clip of {clean.shape[0]} "
        f"samples at {sample_rate} Hz has too little (use short='repeat', or longer clips)."
    )


def stoi(
    clean: Any,
    processed: Any,
    sample_rate: int = 8000,
    extended: bool = False,
    short: str = "repeat",
) -> float:
    """STOI, short-time objective intelligibility (Taal et al. 2011), via ``pystoi``.

    STOI resamples to 10 kHz, drops frames more than 40 dB below the loudest clean frame,
    and correlates 384 ms segments (30 frames of 12.8 ms) of one-third-octave envelopes.
    Where the clean clip has at least 384 ms of non-silent speech this is the standard
    score. A single spoken digit often has less, and then standard STOI is undefined
    (``pystoi`` returns 1e-5 with a warning). With ``short="repeat"`` such a pair is
    repeated back to back (clean and processed alike, 2, 4, ... times) until it is long
    enough: a per-clip score that is NOT standard STOI (segments span the repeat boundary),
    so report how many clips needed it (:func:`stoi_repeats`). ``short="raise"`` raises
    instead.

    Args:
        clean, processed: float [samples] at ``sample_rate`` Hz.
        extended: the extended STOI (Jensen & Taal 2016), for modulated noise such as babble.
        short: ``"repeat"`` or ``"raise"``, for clips with too little speech (see above).

    Returns:
        about 0 to 1 (1: the clip against itself).
    """
    clean, processed = _clip_pair(clean, processed)
    return _stoi_and_repeats(clean, processed, sample_rate, extended, short)[0]


def stoi_repeats(clean: Any, sample_rate: int = 8000) -> np.ndarray:
    """How many copies of each clip :func:`stoi` scores: 1 = standard STOI, more = repeated.

    Which frames STOI keeps depends on the clean clip alone, so this is a property of the
    reference: the same for every method scored against it.

    Args:
        clean: float [clips, samples] (or one clip [samples]) at ``sample_rate`` Hz.

    Returns:
        int64 [clips]: 1, 2, 4, 8 or 16; 0 where even 16 copies are too short (STOI NaN).
    """
    rows = np.atleast_2d(to_numpy(clean, np.float64))
    if rows.ndim == 3:
        rows = rows[..., 0]
    counts = []
    for row in rows:
        try:
            counts.append(_stoi_and_repeats(row, row, sample_rate, False, "repeat")[1])
        except ValueError:
            counts.append(0)
    return np.asarray(counts, dtype=np.int64)


def si_sdr(clean: Any, processed: Any, zero_mean: bool = True) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019).

    ``target = (<processed, clean> / ||clean||^2) clean``, ``error = processed - target``,
    ``SI-SDR = 10 log10(||target||^2 / ||error||^2)``, after removing the means when
    ``zero_mean``. Scaling ``processed`` by any positive factor leaves it unchanged.

    Args:
        clean, processed: float [samples].

    Returns:
        dB; +inf-like large values (capped at 200 dB) for a perfect copy.
    """
    clean, processed = _clip_pair(clean, processed)
    if zero_mean:
        clean = clean - clean.mean()
        processed = processed - processed.mean()
    energy = float(np.dot(clean, clean))
    if energy <= 0:
        raise ValueError("SI-SDR is undefined for a silent clean reference.")
    target = (np.dot(processed, clean) / energy) * clean
    error = processed - target
    ratio = float(np.dot(target, target)) / max(float(np.dot(error, error)), 1e-30)
    return float(min(10 * np.log10(max(ratio, 1e-30)), 200.0))


def segmental_snr(
    clean: Any,
    processed: Any,
    frame_length: int = 256,
    hop_length: int = 128,
    min_db: float = -10.0,
    max_db: float = 35.0,
    active_db: float | None = -40.0,
) -> float:
    """Segmental SNR in dB: the mean over frames of each frame's SNR, clamped.

    For each frame of ``frame_length`` samples every ``hop_length`` (32 ms / 16 ms at
    8 kHz), ``10 log10(sum clean^2 / sum (clean - processed)^2)`` clamped to
    ``[min_db, max_db]`` (-10 and 35 dB, as usual: silence would otherwise dominate the
    mean), then averaged. With ``active_db`` set, only frames whose clean energy is within
    ``active_db`` dB of the loudest clean frame count (FSDD's zero padding is left out);
    ``None`` averages every frame.

    Args:
        clean, processed: float [samples], at least ``frame_length`` samples.

    Returns:
        dB in ``[min_db, max_db]``.
    """
    clean, processed = _clip_pair(clean, processed)
    if clean.shape[0] < frame_length:
        raise ValueError(
            f"segmental SNR needs at least frame_length={frame_length} samples, got "
            f"{clean.shape[0]}."
        )
    starts = np.arange(0, clean.shape[0] - frame_length + 1, hop_length)
    index = starts[:, None] + np.arange(frame_length)[None, :]
    signal = np.sum(clean[index] ** 2, axis=1)
    noise = np.sum((clean - processed)[index] ** 2, axis=1)
    snr = 10 * np.log10(np.maximum(signal, 1e-30) / np.maximum(noise, 1e-30))
    snr = np.clip(snr, min_db, max_db)
    if active_db is not None:
        keep = signal >= signal.max() * 10.0 ** (active_db / 10.0)
        if signal.max() <= 0 or not keep.any():
            raise ValueError("segmental SNR is undefined for a silent clean reference.")
        snr = snr[keep]
    return float(np.mean(snr))


def speech_scores(
    clean: Any,
    processed: Any,
    sample_rate: int = 8000,
    metrics: tuple[str, ...] = SPEECH_METRICS,
    reduce: bool = True,
    on_error: str = "nan",
    progress: bool = False,
) -> dict[str, Any]:
    """PESQ (narrow-band), STOI, SI-SDR and segmental SNR of a batch of clips.

    PESQ is P.862 narrow-band mapped to MOS-LQO by P.862.1 (:func:`pesq_nb`); STOI is
    standard except on clips too short for it, which are repeated (:func:`stoi_repeats`
    says which); :func:`metric_labels` describes each score for a results file.

    PESQ's voice-activity detector finds no utterance in some FSDD clips (those with a very
    short voiced part), whatever the processing; :func:`pesq_nb` raises a ``ValueError`` for
    them. With ``on_error="nan"`` such a clip scores NaN, the means leave it out, and a
    warning says how many were left out; compare two methods on the clips both could score
    (``reduce=False`` and ``np.nanmean`` of the difference). ``on_error="raise"`` re-raises
    the first error.

    Args:
        clean, processed: float [clips, samples] (or [clips, samples, 1]) at
            ``sample_rate`` Hz; row ``i`` of ``processed`` is compared with row ``i`` of
            ``clean``.
        metrics: which of :data:`SPEECH_METRICS` to compute.
        reduce: return the mean of each score over the clips where it is defined (floats);
            ``False`` returns the per-clip scores (float64 arrays [clips], NaN where
            undefined).
        on_error: ``"nan"`` or ``"raise"`` (see above).
        progress: a progress bar over the clips (:func:`audiogan_kit.progress.progress_bar`);
            PESQ and STOI are the slow scores.

    Returns:
        {metric name: mean (or per-clip array)}, in the order of ``metrics``.
    """
    unknown = sorted(set(metrics) - set(SPEECH_METRICS))
    if unknown:
        raise ValueError(f"unknown speech metric(s) {unknown}; choose from {SPEECH_METRICS}.")
    clean, processed = as_pairs(clean, processed, single="error", dtype=np.float64)
    if on_error not in ("nan", "raise"):
        raise ValueError(f"on_error must be 'nan' or 'raise', got {on_error!r}.")
    functions: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
        "pesq": lambda c, p: pesq_nb(c, p, sample_rate),
        "stoi": lambda c, p: stoi(c, p, sample_rate),
        "si_sdr": si_sdr,
        "segmental_snr": segmental_snr,
    }

    def score(name: str, c: np.ndarray, p: np.ndarray) -> float:
        try:
            return functions[name](c, p)
        except ValueError:
            if on_error == "raise":
                raise
            return float("nan")

    bar = None
    if progress:
        from ..progress import progress_bar

        bar = progress_bar(clean.shape[0], f"speech scores ({', '.join(metrics)})", unit="clip")
    rows = []
    try:
        for c, p in zip(clean, processed, strict=True):
            rows.append([score(name, c, p) for name in metrics])
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    table = np.array(rows, dtype=np.float64).reshape(clean.shape[0], len(metrics))
    scores = {name: table[:, i] for i, name in enumerate(metrics)}
    failed = {name: int(np.isnan(values).sum()) for name, values in scores.items()}
    if any(failed.values()):
        warnings.warn(
            f"speech_scores: clips left out as undefined (NaN) per metric: {failed} of "
            f"{clean.shape[0]}; see pesq_nb and stoi for why.",
            stacklevel=2,
        )
    if not reduce:
        return scores
    return {
        name: float(np.nanmean(values)) if not np.all(np.isnan(values)) else float("nan")
        for name, values in scores.items()
    }
