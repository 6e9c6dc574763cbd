"""``audiogan train-vocoder``: train (or resume) a GAN vocoder on FSDD.

Order of work, as for ``audiogan train`` (:mod:`audiogan_kit.cli_train`): every option and
config value is checked first (a bad one exits with code 2, naming it, before anything is
written), then ``--out`` is created and tested for writing and its lock tried, then the clips
are loaded (the FSDD training split, or all clips, and the official test split for the
evaluation samples), and only then does training start. Ctrl-C ends it with a checkpoint of
the current step (exit code 130).

The config is built in layers, each checked by :func:`~audiogan_kit.config.with_values`: the
preset of :data:`~audiogan_kit.training.VOCODER_TRAIN_PRESETS`, then ``--config FILE.json``,
then the shortcut options (``--segment-length``, ``--batch-size``, ``--lr``, ...), then every
``--set key=value``. A folder that already holds a vocoder run resumes with its saved config
(``--resume`` insists on one); only ``--steps`` may change then.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from .cli_train import _check_writable, _fail, _flag, layered_config, run_to_end
from .io import FolderInUse, exclusive_lock

__all__ = ["add_train_vocoder_parser", "vocoder_config"]

#: Options that change the config, and the config fields each one sets.
_SHORTCUTS = {
    "segment_length": ("segment_length",),
    "batch_size": ("batch_size",),
    "lr": ("g_learning_rate", "d_learning_rate"),
    "seed": ("seed",),
    "checkpoint_every": ("checkpoint_every",),
    "sample_every": ("sample_every",),
}
_CONFIG_OPTIONS = (*_SHORTCUTS, "config_file", "set")


def _new_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    from .training import VOCODER_TRAIN_PRESETS

    preset = VOCODER_TRAIN_PRESETS[args.preset]  # --segment-length 0: whole clips
    return layered_config(preset, args, parser, _SHORTCUTS, ("segment_length",))


def vocoder_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The run's VocoderTrainConfig from the preset (or the saved run) and the options;
    exits with code 2 and a message naming the option or field for any bad value."""
    from .training import VocoderTrainConfig

    saved = args.out / "config.json"
    if saved.is_file():
        try:
            config = VocoderTrainConfig.load(saved)
        except ValueError as error:
            _fail(parser, f"--out {args.out} does not hold a vocoder run: {error}")
        given = sorted(_flag(k) for k in _CONFIG_OPTIONS if getattr(args, k) not in (None, []))
        wanted = _new_config(args, parser)
        if given and dataclasses.replace(wanted, num_steps=config.num_steps) != config:
            _fail(
                parser,
                f"{args.out} holds a vocoder run (config.json): it resumes with its saved "
                f"settings, so only --steps may be given; drop {given} or choose a new --out "
                "folder",
            )
    elif args.resume:
        _fail(
            parser,
            f"--resume: {args.out} holds no vocoder run (no config.json); drop "
            "--resume to start one there, or give the folder of the run to continue.",
        )
    else:
        config = _new_config(args, parser)
    if args.steps is not None:
        config = dataclasses.replace(config, num_steps=args.steps)
    return config


def run_train_vocoder(args: argparse.Namespace) -> int:
    """Train (or resume) the vocoder run in ``args.out``; the process exit code."""
    from . import callbacks as monitors
    from . import data, training

    config = args.config
    _check_writable(args.out, args.parser)
    say = (lambda _: None) if args.quiet else print
    try:
        with exclusive_lock(args.out, "audiogan train-vocoder"):
            pass  # refuse a folder in use before loading any data
        every = data.load_fsdd(args.data, config.audio, progress=not args.quiet)
        train, held_out = every.official_split()  # read once: the test split for samples
        dataset = train if args.split == "train" else every
        if len(dataset) < config.batch_size:
            raise ValueError(
                f"the data gave {len(dataset)} clips, fewer than one batch of "
                f"{config.batch_size}; use --batch-size {len(dataset)} or less."
            )
    except (FolderInUse, ValueError) as error:
        print(f"audiogan train-vocoder: {error}", file=sys.stderr)
        return 1
    callbacks = [] if args.quiet else [monitors.ProgressBar()]
    if monitors.tensorboard_available():
        callbacks.append(monitors.TensorBoardLogger())
    say(json.dumps(config.to_dict(), indent=1))
    return run_to_end(
        "train-vocoder",
        lambda: training.make_vocoder_trainer(
            config, dataset, args.out, callbacks, say, held_out, args.allow_slow
        ),
        args.out,
        lambda trainer, minutes: (
            f"trained the vocoder {args.out} to step {trainer.step} in {minutes:.1f} min; use "
            f"it with: audiogan generate GAN_RUN --digit 7 -n 10 --out DIR --vocoder {args.out}"
        ),
    )


def add_train_vocoder_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``train-vocoder`` sub-command to ``commands`` (argparse sub-parsers)."""
    from .cli_types import existing_folder, positive_float, positive_int
    from .training import VOCODER_TRAIN_PRESETS

    parser = commands.add_parser(
        "train-vocoder",
        parents=[common],
        help="train a GAN vocoder (log-mel frames to audio) on FSDD, for `generate --vocoder`",
        description="Train a GAN vocoder on the FSDD training split: it turns the log-mel "
        "frames of a mel SpecGAN (the quick preset's audio config by default) into audio "
        "instead of Griffin-Lim. Writes config.json, checkpoints/, history.jsonl, samples/ "
        "(held-out test clips resynthesised) and tensorboard/ into --out. Run it again with "
        "the same --out to resume (only --steps may change then). Ctrl-C stops with a "
        "checkpoint of the current step (exit code 130).",
    )
    parser.add_argument("--out", required=True, type=Path, help="run folder (created if missing)")
    parser.add_argument(
        "--preset",
        choices=sorted(VOCODER_TRAIN_PRESETS),
        default="quick",
        help="quick: small vocoder on 4,096-sample segments, about 15 min on a 2-core CPU; "
        "paper: MelGAN-size networks, for a GPU (default: quick)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out (refused when it holds none); without it a folder "
        "holding a run resumes too",
    )
    parser.add_argument(
        "--data",
        type=existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    parser.add_argument(
        "--split",
        choices=["train", "all"],
        default="train",
        help="train on the official training split (takes 5-49, default) or on all clips",
    )
    parser.add_argument(
        "--config",
        dest="config_file",
        type=Path,
        metavar="FILE.json",
        help="a JSON object of VocoderTrainConfig fields over the preset (nested like a "
        "run's config.json; any subset)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one config field, dotted for nested ones, value as JSON (repeatable): "
        "--set model.channels=32 --set feature_weight=10",
    )
    parser.add_argument("--steps", type=positive_int, help="steps to train to (total)")
    parser.add_argument(
        "--segment-length",
        type=int,
        help="samples of each training segment, a multiple of the hop (0: whole clips)",
    )
    parser.add_argument("--batch-size", type=positive_int, help="segments per batch")
    parser.add_argument("--lr", type=positive_float, help="Adam learning rate of both networks")
    parser.add_argument("--seed", type=int, help="seed of weights and data order")
    parser.add_argument("--checkpoint-every", type=positive_int, help="steps between checkpoints")
    parser.add_argument("--sample-every", type=positive_int, help="steps between sample sets")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    parser.add_argument(
        "--allow-slow",
        action="store_true",
        help="train even when the wall time projected from the first steps is over an hour",
    )
    parser.set_defaults(func=run_train_vocoder, prepare=vocoder_config, parser=parser)
