"""The ``audiogan`` command: a thin layer over the package, one sub-command per task.

Sub-commands (a fixed list; each maps to one function below):

- ``audiogan demo --out DIR``: load FSDD, write one clip per digit as wav and a picture of
  their spectrograms: a headless check that data, features and plots work end to end.

Bad option values stop the command with a clear message before any work starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import AudioConfig


def _existing_folder(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a folder (give the FSDD folder that holds recordings/)")
    return path


def _demo(args: argparse.Namespace) -> int:
    """Write ``digit_<d>.wav`` for d = 0..9 and ``spectrograms.png`` into ``args.out``."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed

    from . import data, widgets

    config = AudioConfig()
    dataset = data.load_fsdd(args.data, config, split="test", progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    first_of_each_digit = [int(list(dataset.labels).index(d)) for d in range(10)]
    clips = dataset.audio[first_of_each_digit]
    titles = [
        f"digit {dataset.class_names[dataset.labels[i]]} ({dataset.speakers[i]})"
        for i in first_of_each_digit
    ]
    for digit, clip in enumerate(clips):
        data.save_wav(out / f"digit_{digit}.wav", clip, config.sample_rate)
    figure = widgets.spectrogram_figure(clips, titles, config, columns=5)
    (out / "spectrograms.png").write_bytes(widgets.figure_to_png(figure, dpi=80))
    print(f"wrote 10 clips (digit_0.wav ... digit_9.wav) and spectrograms.png to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audiogan",
        description="audiogan-kit: GANs on spoken-digit audio. See the notebooks for the tutorial.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="load FSDD and write a wav per digit and a spectrogram picture (headless check)",
        description="Load FSDD (found or downloaded), then write digit_0.wav ... digit_9.wav "
        "(8 kHz, 16-bit) and spectrograms.png into --out.",
    )
    demo.add_argument("--out", required=True, type=Path, help="folder to write into (created if missing)")
    demo.add_argument(
        "--data",
        type=_existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``audiogan`` command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
