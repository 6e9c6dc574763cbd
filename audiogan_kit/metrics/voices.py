"""Whose voice a clip could be: pitch, and the pitch range of every speaker.

Introduced in notebooks/05_evaluation.ipynb.

A generator that says every digit right can still speak in one voice only. Generated clips
have no speaker label, but they have a pitch: :func:`median_pitch_hz` measures each clip's
fundamental frequency, :func:`speaker_pitch_ranges` the range of every real speaker, and
:func:`voice_table` says how generated (or real) clips spread over those ranges, next to the
real test clips' spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import as_batch

__all__ = ["median_pitch_hz", "speaker_pitch_ranges", "voice_table"]


def median_pitch_hz(
    audio: Any,
    sample_rate: int,
    fmin: float = 60.0,
    fmax: float = 400.0,
    voiced_db: float = -25.0,
) -> np.ndarray:
    """Median fundamental frequency of each clip's voiced part, in Hz: float64 [clips].

    YIN (``librosa.yin``, 64 ms frames, hop 16 ms at 8 kHz) over the frames within
    ``voiced_db`` dB of the clip's loudest frame (RMS); ``NaN`` for a silent clip.

    Args:
        audio: float [clips, samples] in [-1, 1] at ``sample_rate`` Hz.
        sample_rate: in Hz.
        fmin, fmax: the pitch search range in Hz (adult speech).
        voiced_db: the frames counted, relative to the loudest.
    """
    import librosa

    clips = as_batch(audio, "audio", single="batch")
    frame = int(2 ** round(np.log2(0.064 * sample_rate)))
    hop = frame // 4
    out = np.full(clips.shape[0], np.nan)
    for i, clip in enumerate(clips):
        f0 = librosa.yin(
            clip, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame, hop_length=hop
        )
        rms = librosa.feature.rms(y=clip, frame_length=frame, hop_length=hop)[0]
        if rms.max() <= 0:
            continue
        voiced = 20 * np.log10(np.maximum(rms, 1e-12) / rms.max()) >= voiced_db
        count = min(len(f0), len(voiced))
        out[i] = float(np.median(f0[:count][voiced[:count]]))
    return out


def speaker_pitch_ranges(dataset: Any) -> dict[str, dict[str, float]]:
    """Each speaker's median pitch: ``{speaker: {"q10", "q50", "q90"}}`` in Hz.

    From :func:`median_pitch_hz` of every clip of ``dataset`` (an ``AudioDataset``).
    """
    pitch = median_pitch_hz(dataset.audio, dataset.config.sample_rate)
    speakers = np.asarray(dataset.speakers)
    ranges = {}
    for speaker in sorted(set(speakers.tolist())):
        values = pitch[(speakers == speaker) & np.isfinite(pitch)]
        q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
        ranges[speaker] = {"q10": float(q10), "q50": float(q50), "q90": float(q90)}
    return ranges


def voice_table(
    pitch_hz: Any, ranges: dict[str, dict[str, float]], reference_hz: Any | None = None
) -> dict[str, Any]:
    """How clips spread over the speakers' pitch ranges.

    Each clip is assigned to the speaker whose median pitch (``q50``) is nearest its own.

    Args:
        pitch_hz: float [clips] from :func:`median_pitch_hz` (NaN clips are left out).
        ranges: :func:`speaker_pitch_ranges`.
        reference_hz: the same for real clips (e.g. the test set), to compare with.

    Returns:
        JSON-ready: ``speakers`` ``{speaker: {"q50", "share", "reference_share"}}`` (shares
        of the clips nearest each speaker), ``pitch_q10_q50_q90`` of the clips (and
        ``reference_pitch_q10_q50_q90``), ``clips`` counted, and ``share_gap``: half the sum
        of absolute share differences to the reference (0 = the same spread, 1 = disjoint).
    """
    names = list(ranges)
    centres = np.array([ranges[name]["q50"] for name in names])

    def shares(values: Any) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        nearest = np.argmin(np.abs(values[:, None] - centres[None]), axis=1)
        return np.bincount(nearest, minlength=len(names)) / max(len(values), 1), values

    share, values = shares(pitch_hz)
    table: dict[str, Any] = {"clips": int(values.size)}
    table["pitch_q10_q50_q90"] = [float(q) for q in np.quantile(values, [0.1, 0.5, 0.9])]
    reference = None
    if reference_hz is not None:
        reference, reference_values = shares(reference_hz)
        quantiles = np.quantile(reference_values, [0.1, 0.5, 0.9])
        table["reference_pitch_q10_q50_q90"] = [float(q) for q in quantiles]
        table["share_gap"] = float(0.5 * np.abs(share - reference).sum())
    table["speakers"] = {
        name: {
            "q50": float(centres[k]),
            "share": float(share[k]),
            "reference_share": None if reference is None else float(reference[k]),
        }
        for k, name in enumerate(names)
    }
    return table
