"""One audio file in, one clip out; one clip in, one wav file out.

Decoding (:func:`load_audio_raw`) turns a wav, flac or ogg file of any rate and channel count
into mono float32 at the kit's rate, with a :class:`DataError` naming the file for every bad
input (missing, empty, truncated, corrupt, not audio, NaN/Inf samples). :func:`load_audio`
then trims, crops, normalises and pads it to ``config.num_samples``. :func:`wav_bytes` and
:func:`save_wav` write a clip as 16-bit PCM wav for players.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..arrays import as_clip
from ..config import DEFAULT_CONFIG, AudioConfig
from ..io import atomic_write_bytes
from .errors import DataError

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "audio_files",
    "audio_rate",
    "fix_length",
    "load_audio",
    "load_audio_raw",
    "normalize_level",
    "place_sound",
    "prepare_clip",
    "save_wav",
    "wav_bytes",
]

#: File types :func:`load_audio` decodes (through libsndfile).
SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg")

# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def audio_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (recursively) with a :data:`SUPPORTED_EXTENSIONS` suffix
    (any case), hidden files left out, sorted by path."""
    return sorted(
        p for p in Path(folder).rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS and not p.name.startswith(".")
    )


def _check_wav_complete(path: Path, size: int) -> None:
    """Raise if a RIFF/WAVE file's data chunk is longer than the file (a truncated copy).

    libsndfile silently reads what is there, so truncation is checked from the header.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return  # not plain RIFF (e.g. RF64): leave it to the decoder
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                if chunk_size not in (0, 0xFFFFFFFF) and offset + 8 + chunk_size > size:
                    raise DataError(
                        f"{path} is truncated: its header announces {chunk_size} bytes of "
                        f"audio but only {size - offset - 8} are there. Re-copy or "
                        "re-export the file."
                    )
                return
            offset += 8 + chunk_size + (chunk_size & 1)


def _checked_file(path: str | Path) -> Path:
    """``path`` as a Path once it is known to be a non-empty file of a supported type whose
    wav header (if any) fits the file; else a :class:`DataError` naming it and the fix."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise DataError(
            f"{path}: unsupported file type {path.suffix!r}; supported are "
            f"{', '.join(SUPPORTED_EXTENSIONS)}. Convert it (e.g. with ffmpeg or sox)."
        )
    if not path.is_file():
        raise DataError(f"{path} does not exist (or is not a file); check the path.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes); re-copy or remove it.")
    if path.suffix.lower() == ".wav":
        try:
            _check_wav_complete(path, size)
        except (OSError, struct.error) as error:
            raise DataError(f"{path} cannot be read ({error}); check its permissions.") from error
    return path


def load_audio_raw(path: str | Path, sample_rate: int) -> np.ndarray:
    """Decode an audio file to mono float32 at ``sample_rate`` Hz, nothing else changed.

    Stereo/multichannel files are mixed down by averaging channels; other rates are
    resampled with ``librosa.resample`` (soxr, high quality).

    Returns:
        float32 [samples] at ``sample_rate`` Hz, in [-1, 1] for integer PCM files.

    Raises:
        DataError: missing file, empty file, unsupported extension, truncated or corrupt
            file, a file that is not audio, NaN/Inf samples. The message names the file.
    """
    import soundfile

    path = _checked_file(path)
    try:
        audio, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise DataError(
            f"{path} cannot be decoded as audio ({error}); it is corrupt, truncated or not a "
            f"{path.suffix} file. Re-copy or re-export it, or remove it."
        ) from error
    if audio.shape[0] == 0:
        raise DataError(f"{path} contains no samples; re-export or remove it.")
    if not np.all(np.isfinite(audio)):
        raise DataError(f"{path} contains NaN or Inf samples; re-export or remove it.")
    audio = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    if file_rate != sample_rate:
        import librosa

        audio = librosa.resample(
            audio, orig_sr=file_rate, target_sr=sample_rate, res_type="soxr_hq"
        )
    return np.ascontiguousarray(audio, dtype=np.float32)


def audio_rate(path: str | Path) -> int:
    """The sample rate in Hz an audio file is stored at (from its header).

    Raises:
        DataError: as :func:`load_audio_raw` for a missing, empty, truncated or unsupported
            file, or a header that cannot be read; the message names the file.
    """
    import soundfile

    path = _checked_file(path)
    try:
        return int(soundfile.info(str(path)).samplerate)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError) as error:
        raise DataError(
            f"{path} cannot be decoded as audio ({error}); it is corrupt or not a "
            f"{path.suffix} file. Re-copy or re-export it, or remove it."
        ) from error


# ---------------------------------------------------------------------------------------------
# Shaping: fixed length, trimming, normalisation
# ---------------------------------------------------------------------------------------------


def fix_length(audio: Any, num_samples: int, pad_mode: str = "end") -> np.ndarray:
    """Pad with zeros or crop a waveform to exactly ``num_samples``.

    Args:
        audio: one clip, float [samples] (or [samples, 1]); any length, including 0.
        num_samples: the length of the result in samples.
        pad_mode: ``"end"`` keeps the start (pads/crops at the end); ``"center"`` keeps the
            middle (pads/crops equally at both ends, the odd sample at the end).

    Returns:
        float32 [num_samples].
    """
    if pad_mode not in ("end", "center"):
        raise ValueError(f"pad_mode must be 'end' or 'center', got {pad_mode!r}.")
    audio = as_clip(audio, "audio", min_samples=0)
    length = audio.shape[0]
    if length >= num_samples:
        start = 0 if pad_mode == "end" else (length - num_samples) // 2
        return audio[start : start + num_samples]
    before = 0 if pad_mode == "end" else (num_samples - length) // 2
    out = np.zeros(num_samples, dtype=audio.dtype)
    out[before : before + length] = audio
    return out


def _trim(audio: np.ndarray, top_db: float, config: AudioConfig) -> np.ndarray:
    """``audio`` float [samples] without the silence (``top_db`` below its peak) at both ends."""
    if not float(np.max(np.abs(audio), initial=0.0)) > 0:
        return audio
    import librosa

    # frames of n_fft samples every hop_length (32 ms / 16 ms at 8 kHz): librosa's own
    # defaults (2,048 / 512) would be 256 ms / 64 ms at 8 kHz, too coarse for digits.
    trimmed, _ = librosa.effects.trim(
        audio, top_db=top_db, frame_length=config.n_fft, hop_length=config.hop_length
    )
    return trimmed


def place_sound(audio: Any, config: AudioConfig, pad_mode: str, top_db: float = 40.0) -> np.ndarray:
    """Clips with their sound moved to the start (``"end"``) or the middle (``"center"``).

    Each clip loses the silence at both ends (quieter than ``config.trim_db``, or ``top_db``
    when that is ``None``, dB below its own peak; frames of ``config.n_fft`` samples every
    ``config.hop_length``) and is padded back to its length with zeros: the layout
    :func:`load_audio` gives a recording with ``pad_mode``. FSDD's recordings start with the
    word, so ``"end"`` lays a centred clip out as they are.

    Args:
        audio: float [clips, samples] (or one clip [samples]) in [-1, 1].

    Returns:
        float32 of the same shape.
    """
    clips = np.asarray(audio, dtype=np.float32)
    flat = clips.reshape(-1, clips.shape[-1])
    top_db = config.trim_db if config.trim_db is not None else top_db
    placed = [fix_length(_trim(clip, top_db, config), flat.shape[1], pad_mode) for clip in flat]
    return np.stack(placed).reshape(clips.shape) if placed else clips


def _level(clip: np.ndarray, normalize: str) -> float:
    """The peak (``"peak"``) or RMS (``"rms"``) amplitude of one clip."""
    if normalize == "peak":
        return float(np.max(np.abs(clip)))
    return float(np.sqrt(np.mean(np.square(clip, dtype=np.float64))))


def normalize_level(audio: Any, config: AudioConfig) -> np.ndarray:
    """Clips scaled as :func:`load_audio` scales a recording: each to a peak of
    ``config.peak_level`` (``normalize="peak"``) or an RMS of ``config.rms_level``
    (``"rms"``); unchanged with ``"none"``. A silent clip (level below 1e-8) stays as it is.

    Args:
        audio: float [clips, samples] (or one clip [samples]).

    Returns:
        float32 of the same shape, clipped to [-1, 1].
    """
    clips = np.asarray(audio, dtype=np.float32)
    if config.normalize == "none":
        return clips
    target = config.peak_level if config.normalize == "peak" else config.rms_level
    flat = clips.reshape(-1, clips.shape[-1]) if clips.size else clips.reshape(0, 1)
    levels = np.array([_level(clip, config.normalize) for clip in flat], dtype=np.float64)
    gains = np.where(levels < 1e-8, 1.0, target / np.maximum(levels, 1e-8))
    scaled = np.clip(flat * gains[:, None].astype(np.float32), -1.0, 1.0)
    return scaled.reshape(clips.shape).astype(np.float32)


def prepare_clip(path: Path, audio: np.ndarray, config: AudioConfig) -> tuple[np.ndarray, int]:
    """Trim, crop, normalise and pad a decoded mono clip (float32 [samples] at
    ``config.sample_rate``), the shaping steps of :func:`load_audio`.

    Returns:
        (float32 [config.num_samples] in [-1, 1], length in samples after trimming).

    Raises:
        DataError: the kept part is silent and ``config.normalize`` is not ``"none"``
            (``path`` names the file in the message).
    """
    if config.trim_db is not None:
        audio = _trim(audio, config.trim_db, config)
    length = int(audio.shape[0])
    # Crop first (the normaliser then sees what is kept), pad after (so that padding
    # does not count in the RMS).
    if length > config.num_samples:
        audio = fix_length(audio, config.num_samples, config.pad_mode)
    if config.normalize != "none" and _level(audio, config.normalize) < 1e-8:
        raise DataError(
            f"{path} is silent (all samples are 0 in the kept part), so it cannot be "
            f"normalised ({config.normalize!r}); remove it, or load with "
            "AudioConfig(normalize='none')."
        )
    audio = normalize_level(audio, config)
    audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    return fix_length(audio, config.num_samples, config.pad_mode), length


def load_audio(
    path: str | Path, config: AudioConfig = DEFAULT_CONFIG, *, return_length: bool = False
) -> np.ndarray | tuple[np.ndarray, int]:
    """Read one clip the way the kit uses it: mono, resampled, trimmed, normalised, fixed length.

    Steps: decode (wav/flac/ogg, any rate, any channel count) -> mix to mono -> resample to
    ``config.sample_rate`` -> trim silence quieter than ``config.trim_db`` dB below the peak
    (frames of ``n_fft`` samples every ``hop_length``) if set -> crop to
    ``config.num_samples`` -> normalise (``config.normalize``: peak or RMS measured on the
    kept samples, before padding, or none; then clipped to [-1, 1]) -> pad with zeros
    (``config.pad_mode``).

    Returns:
        float32 [config.num_samples] in [-1, 1] at ``config.sample_rate`` Hz; with
        ``return_length=True`` also the clip's length in samples at ``config.sample_rate``
        after trimming and before padding/cropping.

    Raises:
        DataError: see :func:`load_audio_raw`; also a silent clip when normalising.
    """
    path = Path(path)
    audio, length = prepare_clip(path, load_audio_raw(path, config.sample_rate), config)
    return (audio, length) if return_length else audio


# ---------------------------------------------------------------------------------------------
# Writing wav
# ---------------------------------------------------------------------------------------------


def _to_pcm16(audio: Any) -> np.ndarray:
    """A clip as little-endian int16 [samples]: clipped to [-1, 1], NaN 0, +-Inf +-1."""
    audio = as_clip(audio, "audio", min_samples=0)
    audio = np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(audio: Any, sample_rate: int) -> bytes:
    """A mono waveform as the bytes of a 16-bit PCM wav file (for audio players).

    Args:
        audio: float [samples] (or [samples, 1]) in [-1, 1]; values outside are clipped,
            NaN becomes 0.
        sample_rate: in Hz.
    """
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, _to_pcm16(audio), int(sample_rate), subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def save_wav(path: str | Path, audio: Any, sample_rate: int) -> Path:
    """Write a mono waveform (float [samples] in [-1, 1], clipped) to ``path`` as 16-bit PCM wav.

    Parent folders are created and the file is written atomically (whole or not at all);
    returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, wav_bytes(audio, sample_rate))
