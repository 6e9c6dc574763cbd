"""What a loaded folder holds, in a few lines to read before training on it."""

from __future__ import annotations

import collections

from .datasets import AudioDataset

__all__ = ["folder_summary"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def folder_summary(dataset: AudioDataset, max_skipped: int = 10) -> str:
    """A few lines on ``dataset``: clips, files, classes, the rates, channels and formats
    found (read from the files' headers), long files sliced, silent windows dropped, and
    every skipped file with its reason (the first ``max_skipped``).

    Example::

        412 clips of 1.024 s at 8000 Hz from 9 files (2 long files sliced into 390 clips;
        12 silent windows dropped)
        classes: none (one class: an unconditional GAN)
        found:
          FLAC PCM_24 44100 Hz x2 ch: 1 file
          WAV PCM_16 11025 Hz x1 ch: 6 files
        skipped 2 files:
          - broken.wav: ... cannot be decoded as audio ...
    """
    import soundfile

    config = dataset.config
    per_file = collections.Counter(dataset.paths.tolist())
    sliced = {path: count for path, count in per_file.items() if count > 1}
    head = (
        f"{len(dataset)} clips of {config.duration_s:.3f} s at {config.sample_rate} Hz from "
        f"{len(per_file)} files"
    )
    if sliced:
        head += f" ({_count(len(sliced), 'long file')} sliced into {sum(sliced.values())} clips"
        head += f"; {_count(dataset.silent_windows, 'silent window')} dropped)"
    lines = [head]
    counts = collections.Counter(dataset.labels.tolist())
    if dataset.num_classes < 2:
        lines.append("classes: none (one class: an unconditional GAN)")
    else:
        each = ", ".join(f"{name} {counts[i]}" for i, name in enumerate(dataset.class_names))
        lines.append(f"classes: {dataset.num_classes} ({each} clips)")
    formats: collections.Counter[str] = collections.Counter()
    for path in per_file:
        try:
            info = soundfile.info(path)
            formats[f"{info.format} {info.subtype} {info.samplerate} Hz x{info.channels} ch"] += 1
        except (soundfile.LibsndfileError, RuntimeError):  # pragma: no cover - decoded before
            formats["unreadable header"] += 1
    lines.append("found:")
    lines.extend(f"  {kind}: {_count(n, 'file')}" for kind, n in sorted(formats.items()))
    if dataset.skipped:
        lines.append(f"skipped {_count(len(dataset.skipped), 'file')}:")
        for path, reason in dataset.skipped[:max_skipped]:
            lines.append(f"  - {reason}" if path in reason else f"  - {path}: {reason}")
        if len(dataset.skipped) > max_skipped:
            lines.append(f"  ... and {len(dataset.skipped) - max_skipped} more")
    else:
        lines.append("skipped: none")
    return "\n".join(lines)
