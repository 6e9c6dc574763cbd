"""The ``audiogan`` command: a thin layer over the package, one sub-command per task.

Sub-commands (a fixed list; each maps to one function below):

- ``audiogan demo --out DIR``: load FSDD, write one clip per digit as wav and a picture of
  their spectrograms: a headless check that data, features and plots work end to end.
- ``audiogan train --preset quick --data PATH --out RUN_DIR``: train a GAN (resumes when
  RUN_DIR has a checkpoint); see :mod:`audiogan_kit.training`.
- ``audiogan generate RUN_DIR --digit 7 -n 10 --out DIR``: write generated clips as wav.

Bad option values stop the command with a clear message before any work starts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .config import AudioConfig


def _existing_folder(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a folder (give the FSDD folder that holds recordings/)"
        )
    return path


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
    for digit, clip in enumerate(clips):
        data.save_wav(out / f"digit_{digit}.wav", clip, config.sample_rate)
    figure = plots.spectrogram_figure(clips, titles, config, columns=5)
    (out / "spectrograms.png").write_bytes(plots.figure_to_png(figure, dpi=80))
    print(f"wrote 10 clips (digit_0.wav ... digit_9.wav) and spectrograms.png to {out}")
    return 0


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive whole number")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive number")
    return number


def _digit(value: str) -> int:
    if value not in [str(d) for d in range(10)]:
        raise argparse.ArgumentTypeError(f"{value!r} is not a digit 0-9")
    return int(value)


def _run_folder(value: str) -> Path:
    path = Path(value).expanduser()
    if not (path / "config.json").is_file():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a training run (no config.json); give the folder that "
            "`audiogan train --out` wrote"
        )
    return path


# Options of `train` that change the config, and the TrainConfig field each one sets.
_TRAIN_OVERRIDES = {
    "batch_size": "batch_size",
    "loss": "loss",
    "n_critic": "n_critic",
    "seed": "seed",
    "checkpoint_every": "checkpoint_every",
    "sample_every": "sample_every",
}


def _train_config(args: argparse.Namespace, parser: argparse.ArgumentParser):
    """The run's TrainConfig from the preset (or the saved run) and the options."""
    import dataclasses

    from .training import TRAIN_PRESETS, TrainConfig

    saved = args.out / "config.json"
    changed = {
        name: getattr(args, name)
        for name in (*_TRAIN_OVERRIDES, "lr", "model_dim", "ema_decay")
        if getattr(args, name) is not None
    }
    if saved.is_file():
        if changed:
            flags = sorted("--" + k.replace("_", "-") for k in changed)
            parser.error(
                f"{args.out} holds a run (config.json): it resumes with its saved settings, "
                f"so only --steps may be given; drop {flags} or choose a new --out folder"
            )
        config = TrainConfig.load(saved)
    else:
        config = TRAIN_PRESETS[args.preset]
        values = {
            field: changed[name] for name, field in _TRAIN_OVERRIDES.items() if name in changed
        }
        if "lr" in changed:
            values.update(g_learning_rate=args.lr, d_learning_rate=args.lr)
        if "ema_decay" in changed:
            values["ema_decay"] = None if args.ema_decay == 0 else args.ema_decay
        if "model_dim" in changed:
            values["model"] = dataclasses.replace(config.model, model_dim=args.model_dim)
        try:
            config = dataclasses.replace(config, **values)
        except ValueError as error:
            parser.error(str(error))
    if args.steps is not None:
        config = dataclasses.replace(config, num_steps=args.steps)
    return config


def _train(args: argparse.Namespace) -> int:
    """Train (or resume) the run in ``args.out``."""
    from . import callbacks as monitors
    from . import data, training

    config = args.config
    dataset = data.load_fsdd(args.data, config.audio, split=args.split, progress=not args.quiet)
    callbacks = [] if args.quiet else [monitors.ProgressBar()]
    if monitors.tensorboard_available():
        callbacks.append(monitors.TensorBoardLogger())
    elif not args.quiet:
        print("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
    log = (lambda _: None) if args.quiet else print
    if not args.quiet:
        print(json.dumps(config.to_dict(), indent=1))
    start = time.perf_counter()
    trainer = training.train(config, dataset, args.out, callbacks, log, args.allow_slow)
    minutes = (time.perf_counter() - start) / 60
    print(
        f"trained {args.out} to step {trainer.step} in {minutes:.1f} min; "
        f"generate with: audiogan generate {args.out} --digit 7 -n 10 --out DIR"
    )
    return 0


def _generate(args: argparse.Namespace) -> int:
    """Write ``args.n`` clips of ``args.digit`` as wav files into ``args.out``."""
    from . import data, training

    run = training.load_run(args.run_dir, log=print)
    conditional = run.config.model.conditional
    if conditional and args.digit is None:
        raise SystemExit(f"audiogan generate: {args.run_dir} is conditional: give --digit 0-9")
    if not conditional and args.digit is not None:
        raise SystemExit(f"audiogan generate: {args.run_dir} is unconditional: drop --digit")
    audio = run.generate(args.n, digit=args.digit, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"digit{args.digit}" if conditional else "sample"
    for i, clip in enumerate(audio):
        data.save_wav(args.out / f"{stem}_{i:03d}.wav", clip, run.config.audio.sample_rate)
    print(f"wrote {len(audio)} clips ({stem}_000.wav ...) from step {run.step} to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``audiogan`` argument parser; choices come from the kit's registries."""
    from .losses import LOSSES
    from .training import TRAIN_PRESETS

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
    demo.add_argument(
        "--out", required=True, type=Path, help="folder to write into (created if missing)"
    )
    demo.add_argument(
        "--data",
        type=_existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo)

    train = commands.add_parser(
        "train",
        help="train a GAN on FSDD (resumes when --out holds a checkpoint)",
        description="Train a GAN on the FSDD training split. Writes config.json, checkpoints/, "
        "history.jsonl, samples/ and tensorboard/ into --out. Run it again with the same --out "
        "to resume after an interruption (only --steps may change then).",
    )
    train.add_argument("--out", required=True, type=Path, help="run folder (created if missing)")
    train.add_argument(
        "--preset",
        choices=sorted(TRAIN_PRESETS),
        default="quick",
        help="quick: small conditional mel-spectrogram GAN, about 10 min on a laptop CPU; "
        "paper: WaveGAN with the paper's hyperparameters, for a GPU (default: quick)",
    )
    train.add_argument(
        "--data",
        type=_existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    train.add_argument(
        "--split",
        choices=["train", "all"],
        default="train",
        help="train on the official training split (takes 5-49, default) or on all clips",
    )
    train.add_argument("--steps", type=_positive_int, help="generator steps to train to (total)")
    train.add_argument("--batch-size", type=_positive_int, help="examples per batch")
    train.add_argument(
        "--loss", choices=list(LOSSES), help="adversarial loss"
    )
    train.add_argument(
        "--n-critic", type=_positive_int, help="discriminator steps per generator step"
    )
    train.add_argument("--lr", type=_positive_float, help="Adam learning rate of both networks")
    train.add_argument(
        "--model-dim", type=_positive_int, help="width multiplier d of both networks"
    )
    train.add_argument(
        "--ema-decay", type=float, help="EMA decay of the generator weights in (0, 1); 0 = off"
    )
    train.add_argument("--seed", type=int, help="seed of weights, noise and data order")
    train.add_argument("--checkpoint-every", type=_positive_int, help="steps between checkpoints")
    train.add_argument("--sample-every", type=_positive_int, help="steps between sample sets")
    train.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    train.add_argument("--allow-slow", action="store_true", help="train even if over an hour")
    train.set_defaults(func=_train, prepare=_train_config)

    generate = commands.add_parser(
        "generate",
        help="write generated clips of a trained run as wav files",
        description="Load the newest good checkpoint of RUN_DIR (its EMA generator when it has "
        "one) and write -n clips as 16-bit wav files at the run's sample rate into --out.",
    )
    generate.add_argument(
        "run_dir", type=_run_folder, metavar="RUN_DIR", help="a training run folder"
    )
    generate.add_argument("--digit", type=_digit, help="the digit 0-9 to say (conditional runs)")
    generate.add_argument("-n", type=_positive_int, default=10, help="number of clips (default 10)")
    generate.add_argument("--out", required=True, type=Path, help="folder for the wav files")
    generate.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    generate.set_defaults(func=_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``audiogan`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "prepare", None) is not None:  # check every value before any work
        args.config = args.prepare(args, parser)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
