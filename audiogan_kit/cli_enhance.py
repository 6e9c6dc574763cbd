"""``audiogan enhance IN --out OUT``: a trained enhancer over one audio file or a folder of them.

Order of work, so that a mistake costs nothing: the paths are checked (IN exists and holds
audio, OUT is neither IN nor inside it, no two inputs map onto one output), then the run
(``--run``, else the newest finished enhancer run under ``data.cache_dir() / "runs"``) is
checked and its generator loaded, and only then are files enhanced. Every problem found
before the work starts stops the command with one line naming the path and the fix (exit
code 2, argparse's convention); nothing is written.

Each file is decoded by :func:`audiogan_kit.data.load_audio_raw` (mono, resampled to the
enhancer's rate), enhanced by :func:`audiogan_kit.enhance.enhance` (Hann overlap-add of the
generator's windows) and written as 16-bit wav by :func:`audiogan_kit.data.save_wav`, which
writes a temporary file in the same folder and renames it: an output is whole or absent.
In a folder, a file that cannot be decoded is skipped with a warning naming it (the others
are still enhanced); the command then ends with the count of skipped files and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_enhance_parser", "run_enhance", "train_enhancer_command"]


def train_enhancer_command(runs: Path) -> str:
    """The shell command that trains the quick SEGAN preset on noisy FSDD into ``runs``."""
    return (
        'python -c "from audiogan_kit import data, training; '
        "c = training.ENHANCER_TRAIN_PRESETS['quick']; "
        "train, test = data.make_noisy_split(data.load_fsdd(None, c.audio)); "
        f"training.train_enhancer(c, train, '{runs / 'segan-quick'}', eval_dataset=test)\""
    )


def _fail(parser: argparse.ArgumentParser, message: str) -> None:
    parser.error(message)  # exits with code 2


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_outputs(
    source: Path, out: Path, parser: argparse.ArgumentParser
) -> list[tuple[Path, Path]]:
    """``(input, output)`` pairs: IN -> OUT for a file; for a folder, every audio file under
    it -> the same relative path under OUT with the suffix ``.wav``. Exits (code 2) on a
    missing IN, an empty folder, OUT == IN or inside IN, or two inputs with one output."""
    from .data import SUPPORTED_EXTENSIONS, audio_files

    kinds = ", ".join(SUPPORTED_EXTENSIONS)
    if not source.exists():
        _fail(parser, f"IN {source} does not exist; give an audio file ({kinds}) or a folder.")
    resolved_in, resolved_out = source.resolve(), out.resolve()
    if source.is_file():
        if resolved_out == resolved_in:
            _fail(parser, f"--out {out} is IN itself; give another file name (e.g. clean.wav).")
        if out.suffix.lower() != ".wav":
            _fail(parser, f"--out {out}: the output is a wav file; give a name ending in .wav.")
        if out.is_dir():
            _fail(parser, f"--out {out} is a folder; give the .wav file to write.")
        return [(source, out)]
    if _inside(resolved_out, resolved_in):
        _fail(
            parser,
            f"--out {out} is inside IN {source} (its outputs would be read as inputs); "
            "choose a folder outside it.",
        )
    if out.is_file():
        _fail(parser, f"--out {out} is a file; IN is a folder, so give a folder for the outputs.")
    files = audio_files(source)
    if not files:
        _fail(
            parser,
            f"IN {source} holds no audio files ({kinds}, searched recursively); check the "
            "path, or convert the files (e.g. with ffmpeg or sox).",
        )
    pairs, seen = [], {}
    for file in files:
        target = out / file.relative_to(source).with_suffix(".wav")
        if target in seen:
            _fail(
                parser,
                f"{seen[target]} and {file} would both be written to {target}; rename one.",
            )
        seen[target] = file
        pairs.append((file, target))
    return pairs


def _choose_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Path:
    from . import data, training

    if args.run is not None:
        return args.run
    runs = data.cache_dir() / "runs"
    found = training.newest_enhancer_run(runs)
    if found is None:
        _fail(
            parser,
            f"no --run given and no finished enhancer run in {runs}; give --run RUN_DIR, or "
            f"train one (the quick SEGAN preset, 300 steps) with: {train_enhancer_command(runs)}",
        )
    return found


def _decode(source: Path, rate: int, keep_rate: bool) -> tuple[Any, int]:
    """(mono float32 [samples], its rate in Hz): at ``rate``, or at the file's own rate
    when ``keep_rate`` (:func:`~audiogan_kit.enhance.enhance` then resamples both ways).
    Raises :class:`~audiogan_kit.data.DataError` naming the file."""
    from . import data

    file_rate = data.audio_rate(source) if keep_rate else rate
    return data.load_audio_raw(source, file_rate), file_rate


def run_enhance(args: argparse.Namespace) -> int:
    """Enhance ``args.source`` into ``args.out``; the process exit code."""
    from . import data, enhance, training
    from .progress import progress_bar

    parser: argparse.ArgumentParser = args.parser
    pairs = plan_outputs(args.source, args.out, parser)
    run = _choose_run(args, parser)
    try:
        rate = int(training.load_enhancer_config(run).audio.sample_rate)
    except ValueError as error:
        _fail(parser, f"--run: {error}")
    decoded = None
    if args.source.is_file():  # one bad file is bad input: refused before the model loads
        try:
            decoded = _decode(args.source, rate, args.keep_rate)
        except data.DataError as error:
            _fail(parser, f"IN: {error}")
    try:
        generator = training.load_enhancer_run(run, log=lambda line: print(line, file=sys.stderr))
    except ValueError as error:
        _fail(parser, f"--run: {error}")
    if not args.quiet:
        print(f"enhancing {len(pairs)} file(s) with {run} at {rate} Hz", file=sys.stderr)
    bar = None if args.quiet else progress_bar(total=len(pairs), desc="enhancing", unit="file")
    skipped = []
    for source, target in pairs:
        try:
            noisy, file_rate = decoded or _decode(source, rate, args.keep_rate)
        except data.DataError as error:
            print(f"audiogan enhance: skipping {error}", file=sys.stderr)
            skipped.append(source)
        else:
            clean = enhance.enhance(
                noisy, file_rate, generator, model_sample_rate=rate, batch_size=args.batch_size
            )
            data.save_wav(target, clean, file_rate)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    where = " at their input's rates" if args.keep_rate else f" at {rate} Hz"
    print(f"wrote {len(pairs) - len(skipped)} enhanced file(s){where} to {args.out}")
    if skipped:
        print(
            f"audiogan enhance: skipped {len(skipped)} file(s) that cannot be decoded (named "
            "above; nothing was written for them): re-export or remove them, then run again.",
            file=sys.stderr,
        )
        return 2
    return 0


def add_enhance_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``enhance`` sub-command to ``commands`` (an argparse sub-parsers object)."""
    from .cli_types import enhancer_run, positive_int

    enhance = commands.add_parser(
        "enhance",
        parents=[common],
        help="enhance noisy speech (a file or a folder) with a trained enhancer",
        description="Enhance IN (one wav/flac/ogg file, or a folder of them, searched "
        "recursively; any length, rate and channel count, mixed to mono) with a trained "
        "enhancer (SEGAN or the mask enhancer; its config.json says which). Writes 16-bit "
        "wav at the ENHANCER's sample rate (8,000 Hz for the kit's presets) unless "
        "--keep-rate: OUT is a .wav file when IN is a file, a folder mirroring IN's tree "
        "when IN is a folder. Each output is written to a temporary file and renamed, so "
        "it is whole or absent. A file in a folder that cannot be decoded is skipped with a "
        "warning naming it; the others are enhanced, and the exit code is then 2.",
    )
    enhance.add_argument(
        "source", type=Path, metavar="IN", help="an audio file, or a folder of audio files"
    )
    enhance.add_argument(
        "--out",
        required=True,
        type=Path,
        help="the .wav file (IN a file) or the folder (IN a folder) to write; not inside IN",
    )
    enhance.add_argument(
        "--run",
        type=enhancer_run,
        metavar="RUN_DIR",
        help="an enhancer run folder (training.train_enhancer's run_dir); default: the "
        "newest finished enhancer run in the kit's cache (data.cache_dir()/runs)",
    )
    enhance.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        default=16,
        help="windows per generator call (default 16; more is faster and uses more memory)",
    )
    enhance.add_argument(
        "--keep-rate",
        action="store_true",
        help="resample each output back to its input's rate (default: the enhancer's rate)",
    )
    enhance.add_argument(
        "--quiet", action="store_true", help="no progress bar (the closing summary stays)"
    )
    enhance.set_defaults(func=run_enhance, parser=enhance)
