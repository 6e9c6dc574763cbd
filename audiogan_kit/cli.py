"""The ``audiogan`` command: a thin layer over the package, one sub-command per task.

Sub-commands (a fixed list; each maps to one function):

- ``audiogan demo --out DIR``: load FSDD, write one clip per digit as wav and a picture of
  their spectrograms: a headless check that data, features and plots work end to end.
- ``audiogan train --out RUN_DIR [--folder DIR --labels subfolders|pattern|none]``: train a
  GAN on FSDD or on your own sounds (resumes when RUN_DIR holds a run); see
  :mod:`audiogan_kit.cli_train`.
- ``audiogan train-vocoder --out VOCODER_RUN``: train a GAN vocoder (log-mel frames to audio)
  for ``generate --vocoder``; see :mod:`audiogan_kit.cli_vocoder`.
- ``audiogan generate RUN_DIR|GENERATOR.keras -n 10 --out DIR``: write generated clips as wav.
- ``audiogan export RUN_DIR --out generator.keras``: the run's generator as one Keras file.
- ``audiogan enhance IN --out OUT [--run RUN_DIR]``: a trained enhancer over a file or a
  folder of audio; see :mod:`audiogan_kit.cli_enhance`.

Options of every sub-command: ``--backend tensorflow|jax`` (the Keras backend, chosen before
Keras is imported) and ``--verbose`` (TensorFlow's C++ log lines, hidden otherwise);
``audiogan --version``. ``python -m audiogan_kit`` is the same command. Bad option values
stop the command with a clear message (exit code 2) before any work starts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .cli_types import digit, existing_folder, generator_source, positive_int
from .config import AudioConfig

BACKENDS = ("tensorflow", "jax")


def _demo(args: argparse.Namespace) -> int:
    """Write ``digit_<d>.wav`` for d = 0..9 and ``spectrograms.png`` into ``args.out``."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed

    from . import data, plots

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
    for number, clip in enumerate(clips):
        data.save_wav(out / f"digit_{number}.wav", clip, config.sample_rate)
    figure = plots.spectrogram_figure(clips, titles, config, columns=5)
    (out / "spectrograms.png").write_bytes(plots.figure_to_png(figure, dpi=80))
    print(f"wrote 10 clips (digit_0.wav ... digit_9.wav) and spectrograms.png to {out}")
    return 0


def _class_names(source: Path, generator) -> list[str] | None:
    """The class names of a run (its data.json) or of an exported generator (its sidecar)."""
    import json

    from .cli_train import DATA_FILE

    if source.suffix == ".keras":
        return generator.class_names
    saved = source / DATA_FILE
    return json.loads(saved.read_text()).get("class_names") if saved.is_file() else None


def _generate(args: argparse.Namespace) -> int:
    """Write ``args.n`` clips (of one class for a conditional run) as wav files."""
    from . import data, training

    source = args.run_dir
    try:
        if source.suffix == ".keras":
            generator = training.load_exported(source)
        else:
            generator = training.load_run(source, log=print)
    except ValueError as error:
        raise SystemExit(f"audiogan generate: {error}") from None
    conditional = generator.config.model.conditional
    index, stem = args.digit, f"digit{args.digit}"
    if args.label is not None:
        names = _class_names(source, generator) or [str(d) for d in range(10)]
        if args.label not in names:
            raise SystemExit(f"audiogan generate: --label {args.label!r} is not one of {names}")
        index, stem = names.index(args.label), args.label
    if conditional and index is None:
        raise SystemExit(f"audiogan generate: {source} is conditional: give --label or --digit")
    if not conditional and index is not None:
        raise SystemExit(f"audiogan generate: {source} is unconditional: drop --label/--digit")
    vocoder = None
    if args.vocoder is not None:
        try:
            vocoder = training.load_vocoder_run(args.vocoder, log=print)
        except ValueError as error:
            raise SystemExit(f"audiogan generate: --vocoder: {error}") from None
    try:
        audio = generator.generate(args.n, digit=index, seed=args.seed, vocoder=vocoder)
    except ValueError as error:  # a vocoder that does not fit the run
        raise SystemExit(f"audiogan generate: --vocoder: {error}") from None
    stem = stem if conditional else "sample"
    args.out.mkdir(parents=True, exist_ok=True)
    for i, clip in enumerate(audio):
        data.save_wav(args.out / f"{stem}_{i:03d}.wav", clip, generator.config.audio.sample_rate)
    print(f"wrote {len(audio)} clips ({stem}_000.wav ...) from step {generator.step} to {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Write the run's generator as ``args.out`` (``.keras``) and its JSON sidecar."""
    from . import training

    try:
        path = training.export_generator(
            args.run_dir, args.out, _class_names(args.run_dir, None), log=print
        )
    except ValueError as error:
        raise SystemExit(f"audiogan export: {error}") from None
    print(
        f"wrote {path} and {path.with_suffix('.json').name}; load it with "
        "keras.saving.load_model(path, safe_mode=True) after `import audiogan_kit.layers`, "
        f"or run: audiogan generate {path} -n 10 --out DIR"
    )
    return 0


def _common_options() -> argparse.ArgumentParser:
    """The options every sub-command takes (also read before Keras is imported)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--backend",
        choices=BACKENDS,
        help="the Keras backend (default: $KERAS_BACKEND, else tensorflow)",
    )
    common.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's C++ log lines (hidden otherwise)"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The ``audiogan`` argument parser; choices come from the kit's registries."""
    from .cli_enhance import add_enhance_parser
    from .cli_train import add_train_parser
    from .cli_vocoder import add_train_vocoder_parser

    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="audiogan",
        parents=[common],  # `audiogan --backend jax generate ...` as well as after the command
        description="audiogan-kit: GANs on audio (spoken digits, or your own sounds). See the "
        "notebooks for the tutorial.",
    )
    parser.add_argument("--version", action="version", version=f"audiogan-kit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="load FSDD and write a wav per digit and a spectrogram picture (headless check)",
        description="Load FSDD (found or downloaded), then write digit_0.wav ... digit_9.wav "
        "(8 kHz, 16-bit) and spectrograms.png into --out.",
    )
    demo.add_argument(
        "--out", required=True, type=Path, help="folder to write into (created if missing)"
    )
    demo.add_argument(
        "--data",
        type=existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo)

    add_train_parser(commands, common)
    add_train_vocoder_parser(commands, common)

    generate = commands.add_parser(
        "generate",
        parents=[common],
        help="write generated clips of a trained run (or an exported generator) as wav files",
        description="Load the newest good checkpoint of RUN_DIR (its EMA generator when it has "
        "one), or a generator written by `audiogan export`, and write -n clips as 16-bit wav "
        "files at the run's sample rate into --out.",
    )
    generate.add_argument(
        "run_dir",
        type=generator_source,
        metavar="RUN_DIR|GENERATOR.keras",
        help="a training run folder, or a .keras file from `audiogan export`",
    )
    which = generate.add_mutually_exclusive_group()
    which.add_argument("--digit", type=digit, help="the digit 0-9 to say (FSDD runs)")
    which.add_argument(
        "--label", help="the class to make, by name (conditional runs on your own folder)"
    )
    generate.add_argument("-n", type=positive_int, default=10, help="number of clips (default 10)")
    generate.add_argument("--out", required=True, type=Path, help="folder for the wav files")
    generate.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    generate.add_argument(
        "--vocoder",
        type=Path,
        metavar="VOCODER_RUN",
        help="a vocoder run folder (training.train_vocoder) to turn a mel SpecGAN's frames "
        "into audio instead of Griffin-Lim; it must be trained on the run's audio config",
    )
    generate.set_defaults(func=_generate)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="write a run's generator as one .keras file (plus a .json sidecar)",
        description="Write the generator of RUN_DIR's newest good checkpoint (its EMA copy "
        "when the run keeps one) as a Keras file that loads with "
        "keras.saving.load_model(path, safe_mode=True) once audiogan_kit.layers is imported, "
        "and a .json sidecar (config, spectrogram statistics, class names, sha256) that "
        "`audiogan generate` reads.",
    )
    export.add_argument(
        "run_dir",
        type=generator_source,
        metavar="RUN_DIR",
        help="a training run folder (`audiogan train --out`)",
    )
    export.add_argument(
        "--out", required=True, type=Path, help="the .keras file to write (and FILE.json)"
    )
    export.set_defaults(func=_export)

    add_enhance_parser(commands, common)
    return parser


@contextlib.contextmanager
def native_stderr_silenced(active: bool = True) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block (C++ libraries' log lines, such as
    TensorFlow's CUDA probing, bypass Python's ``sys.stderr``); restored on leaving."""
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _select_backend(name: str | None) -> None:
    """Make ``name`` the Keras backend of this process (before Keras is imported)."""
    if name is None:
        return
    if "keras" in sys.modules:
        active = sys.modules["keras"].backend.backend()
        if active != name:
            raise SystemExit(
                f"audiogan: --backend {name}: Keras is already imported with the {active} "
                "backend in this process; run the command in a new process."
            )
        return
    os.environ["KERAS_BACKEND"] = name


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``audiogan`` command; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--version"]:  # answered without importing Keras
        print(f"audiogan-kit {__version__}")
        return 0
    early, _ = _common_options().parse_known_args(argv)
    _select_backend(early.backend)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0" if early.verbose else "3"
    try:
        with native_stderr_silenced(not early.verbose):
            parser = build_parser()  # imports Keras and its backend
            if "--help" not in argv and "-h" not in argv:
                # TensorFlow is used under either backend (tf.summary, tf.data): import it
                # and let it probe for CUDA here, where its log lines are silenced.
                import tensorflow as tf

                tf.config.list_physical_devices()
        args = parser.parse_args(argv)
        if getattr(args, "prepare", None) is not None:  # check every value before any work
            args.config = args.prepare(args, parser)
        return args.func(args)
    except KeyboardInterrupt:
        print("audiogan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
