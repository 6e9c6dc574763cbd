"""``audiogan train``: its options, the run's config from them, the data, and the run.

Order of work, so that a mistake costs nothing: every option and config value is checked
(:func:`train_config`), then ``--out`` is created and tested for writing, then the run's lock
is tried (a folder another ``audiogan train`` is using is refused), then the data is loaded
and summarised, and only then does training start. Ctrl-C ends it with a checkpoint of the
current step (exit code 130); a checkpoint that cannot be written (a full disk) stops it
with the previous checkpoint whole (exit code 1).

The config is built in layers, each checked by :func:`~audiogan_kit.config.with_values`
(so a bad value is refused with its field named): the preset, then ``--config FILE.json``
(any subset of the fields, nested as in a run's ``config.json``), then the shortcut options
(``--batch-size``, ``--lr``, ...), then ``--precision`` / ``--devices``, then every
``--set key=value``. A run folder that already holds ``config.json`` resumes with it: the same
command again resumes, and only ``--steps`` may change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import PRECISIONS, with_overrides, with_values
from .io import FolderInUse, atomic_write_text, exclusive_lock

__all__ = ["add_train_parser", "data_source", "train_config"]

#: Options of `train` that change the config, and the config fields each one sets.
_SHORTCUTS = {
    "batch_size": ("batch_size",),
    "loss": ("loss",),
    "n_critic": ("n_critic",),
    "seed": ("seed",),
    "checkpoint_every": ("checkpoint_every",),
    "sample_every": ("sample_every",),
    "lr": ("g_learning_rate", "d_learning_rate"),
    "model_dim": ("model.model_dim",),
    "ema_decay": ("ema_decay",),
    "precision": ("precision",),
    "devices": ("devices",),
}
_CONFIG_OPTIONS = (*_SHORTCUTS, "config_file", "set")

#: What the run folder records about its data, so that a resume reads the same clips.
DATA_FILE = "data.json"


def _flag(name: str) -> str:
    return {"config_file": "--config"}.get(name, "--" + name.replace("_", "-"))


def _fail(parser: argparse.ArgumentParser, message: str) -> None:
    parser.error(message)  # exits with code 2


def layered_config(
    config: Any,
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    shortcuts: dict[str, tuple[str, ...]],
    none_when_zero: tuple[str, ...] = (),
    adjust: Any = None,
) -> Any:
    """``config`` (a preset) with the command line's layers applied in order: the fields of
    ``--config FILE.json``, the shortcut options (``shortcuts``: option -> the config fields
    it sets; a 0 given to an option in ``none_when_zero`` means ``None``), ``adjust(config)``
    when given, then every ``--set key=value``. A bad value exits with code 2, naming the
    layer it came from and the field."""
    layer = "--preset"
    try:
        if args.config_file is not None:
            layer = f"--config {args.config_file}"
            try:
                values = json.loads(Path(args.config_file).read_text())
            except (OSError, json.JSONDecodeError) as error:
                _fail(parser, f"--config {args.config_file}: cannot read it as JSON ({error}).")
            if not isinstance(values, dict):
                _fail(parser, f"--config {args.config_file}: holds no JSON object of fields.")
            config = with_values(config, values)
        changes: dict[str, Any] = {}
        for option, fields in shortcuts.items():
            value = getattr(args, option)
            if value is not None:
                if option in none_when_zero and value == 0:
                    value = None
                changes.update(dict.fromkeys(fields, value))
        if changes:
            layer = "the options"
            config = with_values(config, changes)
        if adjust is not None:
            config = adjust(config)
        if args.set:
            layer = "--set"
            config = with_overrides(config, args.set)
    except ValueError as error:
        _fail(parser, f"{layer}: {error}")
    return config


def _new_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    from .training import TRAIN_PRESETS, for_classes

    def unconditional(config: Any) -> Any:  # --labels none: no classes
        return for_classes(config, 0)

    adjust = unconditional if args.labels == "none" else None
    return layered_config(
        TRAIN_PRESETS[args.preset], args, parser, _SHORTCUTS, ("ema_decay",), adjust
    )


def train_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The run's TrainConfig from the preset (or the saved run) and the options; exits with
    code 2 and a message naming the option or field for any bad value."""
    import dataclasses

    from .training import TrainConfig

    if args.pattern is not None and args.labels != "pattern":
        _fail(parser, "--pattern is used with --labels pattern only; add --labels pattern.")
    if args.labels == "pattern" and args.pattern is None:
        _fail(parser, "--labels pattern needs --pattern REGEX with a (?P<label>...) group.")
    if args.pattern is not None:
        try:
            regex = re.compile(args.pattern)
        except re.error as error:
            _fail(parser, f"--pattern {args.pattern!r} is not a valid regex ({error}).")
        if "label" not in regex.groupindex:
            _fail(parser, f"--pattern {args.pattern!r} has no (?P<label>...) group.")
    if args.folder is None and (args.labels is not None or args.hop is not None):
        _fail(parser, "--labels and --hop describe your own folder: add --folder DIR.")
    saved = args.out / "config.json"
    if saved.is_file():
        try:
            config = TrainConfig.load(saved)
        except ValueError as error:
            _fail(parser, str(error))
        given = sorted(_flag(k) for k in _CONFIG_OPTIONS if getattr(args, k) not in (None, []))
        if given and not _same_run(_new_config(args, parser), config, args.folder is not None):
            _fail(
                parser,
                f"{args.out} holds a run (config.json): it resumes with its saved settings, "
                f"so only --steps may be given (or the options it was started with); drop "
                f"{given} or choose a new --out folder",
            )
    else:
        config = _new_config(args, parser)
    if args.steps is not None:
        config = dataclasses.replace(config, num_steps=args.steps)
    return config


def _same_run(wanted: Any, saved: Any, classes_from_folder: bool) -> bool:
    """Whether the options give the saved run's config (``num_steps`` apart; the classes too
    when they come from a folder, where the saved run has them from the data)."""
    import dataclasses

    if classes_from_folder:
        wanted = with_values(
            wanted,
            {
                "model.num_classes": saved.model.num_classes,
                "model.aux_classifier": saved.model.aux_classifier,
                "aux_weight": saved.aux_weight,
            },
        )
    return dataclasses.replace(wanted, num_steps=saved.num_steps) == saved


def _check_writable(out: Path, parser: argparse.ArgumentParser) -> None:
    """Create ``out`` and write a probe file in it, or stop (exit 2) naming the problem."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        _fail(
            parser,
            f"--out {out} is not writable ({error.strerror or error}); nothing was trained. "
            "Choose a folder you can write to.",
        )


def data_source(args: argparse.Namespace) -> dict[str, Any]:
    """Where the clips come from: the options, or (on resume without them) ``data.json``."""
    saved = args.out / DATA_FILE
    if args.folder is not None:
        return {
            "source": "folder",
            "folder": str(Path(args.folder).resolve()),
            "labels": args.labels or "subfolders",
            "pattern": args.pattern,
            "hop_s": args.hop,
            "silence_db": args.silence_db,
        }
    if args.data is None and saved.is_file():
        return json.loads(saved.read_text())
    return {"source": "fsdd", "data": None if args.data is None else str(args.data)}


def _load_data(source: dict[str, Any], config: Any, args: argparse.Namespace) -> Any:
    from . import data

    if source["source"] == "folder":
        with warnings.catch_warnings():  # the summary lists the skipped files
            warnings.simplefilter("ignore", UserWarning)
            dataset = data.load_folder(
                source["folder"],
                config.audio,
                labels=source["labels"],
                pattern=source["pattern"],
                hop_s=source["hop_s"] if source["hop_s"] is not None else config.audio.duration_s,
                silence_db=source["silence_db"],
                on_error="skip",
                progress=not args.quiet,
            )
    else:
        dataset = data.load_fsdd(
            source["data"], config.audio, split=args.split, progress=not args.quiet
        )
    return dataset


def _fit_classes(config: Any, dataset: Any, resumed: bool) -> Any:
    """The config's number of classes made that of the folder (a new run), or checked."""
    classes = dataset.num_classes if dataset.num_classes > 1 else 0
    model = config.model
    if classes == model.num_classes:
        return config
    if resumed:
        raise ValueError(
            f"the data now has {classes} classes {list(dataset.class_names)} but the run "
            f"was trained with {model.num_classes}; train on the same folder, or start a new "
            "--out folder."
        )
    from .training import for_classes

    return for_classes(config, classes)


def run_train(args: argparse.Namespace) -> int:
    """Train (or resume) the run in ``args.out``; the process exit code."""
    from . import callbacks as monitors
    from . import data, training

    parser: argparse.ArgumentParser = args.parser
    resumed = (args.out / "config.json").is_file()
    _check_writable(args.out, parser)
    say = (lambda _: None) if args.quiet else print
    try:
        with exclusive_lock(args.out, "audiogan train"):
            pass  # refuse a folder in use before loading any data
        source = data_source(args)
        dataset = _load_data(source, args.config, args)
        if source["source"] == "folder":
            say(data.folder_summary(dataset))
        config = _fit_classes(args.config, dataset, resumed)
        if len(dataset) < config.batch_size:
            more = " (or a smaller --hop: more clips from long files)" * (
                source["source"] == "folder"
            )
            raise ValueError(
                f"the data gave {len(dataset)} clips, fewer than one batch of "
                f"{config.batch_size}; use --batch-size {len(dataset)} or less{more}."
            )
    except (FolderInUse, ValueError) as error:
        print(f"audiogan train: {error}", file=sys.stderr)
        return 1
    source["class_names"] = list(dataset.class_names)
    atomic_write_text(args.out / DATA_FILE, json.dumps(source, indent=1) + "\n")
    callbacks = [] if args.quiet else [monitors.ProgressBar()]
    if monitors.tensorboard_available():
        callbacks.append(monitors.TensorBoardLogger())
    else:
        say("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
    say(json.dumps(config.to_dict(), indent=1))
    hint = "--digit 7 " if source["source"] == "fsdd" else ""
    if source["source"] == "folder" and config.model.conditional:
        hint = f"--label {dataset.class_names[0]} "
    return run_to_end(
        "train",
        lambda: training.make_trainer(
            config, dataset, args.out, callbacks=callbacks, log=say, allow_slow=args.allow_slow
        ),
        args.out,
        lambda trainer, minutes: (
            f"trained {args.out} to step {trainer.step} in {minutes:.1f} min; "
            f"generate with: audiogan generate {args.out} {hint}-n 10 --out DIR"
        ),
    )


def run_to_end(
    command: str,
    make_trainer: Callable[[], Any],
    out: Path,
    done: Callable[[Any, float], str],
) -> int:
    """Make a trainer, run it and say how it ended; the command's exit code.

    Returns 0 when it trained to the end (``done(trainer, minutes)`` is printed), 130 when
    Ctrl-C stopped it (a checkpoint of that step was written), 1 on an error (printed to
    stderr as ``audiogan COMMAND: ...``).
    """
    from . import training

    start = time.perf_counter()
    try:
        trainer = make_trainer()
        trainer.run()
    except (
        FolderInUse, ValueError, training.TrainingDiverged, training.RunTooSlow, OSError
    ) as error:
        print(f"audiogan {command}: {error}", file=sys.stderr)
        return 1
    if trainer.interrupted:
        last = training.checkpoint_paths(out)[-1]
        print(
            f"interrupted at step {trainer.step}: wrote {last}; run the same command again "
            "to resume"
        )
        return 130
    print(done(trainer, (time.perf_counter() - start) / 60))
    return 0


def add_train_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``train`` sub-command to ``commands`` (an argparse sub-parsers object)."""
    from .cli_types import existing_folder, positive_float, positive_int
    from .losses import LOSSES
    from .training import TRAIN_PRESETS

    train = commands.add_parser(
        "train",
        parents=[common],
        help="train a GAN on FSDD or on your own folder (resumes when --out holds a run)",
        description="Train a GAN on the FSDD training split, or on your own folder of audio "
        "(--folder). Writes config.json, data.json, checkpoints/, history.jsonl, samples/ and "
        "tensorboard/ into --out. Run it again with the same --out to resume after an "
        "interruption (only --steps may change then). Ctrl-C stops with a checkpoint of the "
        "current step (exit code 130).",
    )
    train.add_argument("--out", required=True, type=Path, help="run folder (created if missing)")
    train.add_argument(
        "--preset",
        choices=sorted(TRAIN_PRESETS),
        default="quick",
        help="quick: small conditional mel-spectrogram GAN, about 10 min on a laptop CPU; "
        "paper: WaveGAN with the paper's hyperparameters, for a GPU (default: quick)",
    )
    source = train.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        type=existing_folder,
        default=None,
        help="FSDD folder (holding recordings/); default: $AUDIOGAN_DATA, the user cache, "
        "else download",
    )
    source.add_argument(
        "--folder",
        type=existing_folder,
        default=None,
        help="train on your own folder of wav/flac/ogg files (any rate, channels, length) "
        "instead of FSDD; bad files are skipped and listed",
    )
    train.add_argument(
        "--labels",
        choices=["subfolders", "pattern", "none"],
        help="with --folder: the class of a file is its sub-folder (default), a --pattern "
        "group, or none (one class: an unconditional GAN)",
    )
    train.add_argument(
        "--pattern",
        help="with --labels pattern: a regex that fully matches each file name (no "
        "extension) with a (?P<label>...) group, e.g. '(?P<label>[a-z]+)_\\d+'",
    )
    train.add_argument(
        "--hop",
        type=positive_float,
        help="with --folder: files longer than one clip (the config's num_samples / "
        "sample_rate seconds, the window) are cut into windows every HOP seconds (default: "
        "one window, no overlap)",
    )
    train.add_argument(
        "--silence-db",
        type=positive_float,
        default=40.0,
        help="with --folder: drop windows more than this many dB below the file's peak "
        "(default 40)",
    )
    train.add_argument(
        "--split",
        choices=["train", "all"],
        default="train",
        help="FSDD: train on the official training split (takes 5-49, default) or on all clips",
    )
    train.add_argument(
        "--config",
        dest="config_file",
        type=Path,
        metavar="FILE.json",
        help="a JSON object of TrainConfig fields over the preset (nested like a run's "
        "config.json; any subset)",
    )
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one config field, dotted for nested ones, value as JSON (repeatable): "
        "--set batch_size=16 --set audio.trim_db=30 --set ema_decay=null",
    )
    train.add_argument("--steps", type=positive_int, help="generator steps to train to (total)")
    train.add_argument("--batch-size", type=positive_int, help="examples per batch")
    train.add_argument("--loss", choices=list(LOSSES), help="adversarial loss")
    train.add_argument(
        "--n-critic", type=positive_int, help="discriminator steps per generator step"
    )
    train.add_argument("--lr", type=positive_float, help="Adam learning rate of both networks")
    train.add_argument(
        "--model-dim", type=positive_int, help="width multiplier d of both networks"
    )
    train.add_argument(
        "--ema-decay", type=float, help="EMA decay of the generator weights in (0, 1); 0 = off"
    )
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="float32, or 16-bit compute with float32 weights (for GPUs with tensor cores)",
    )
    train.add_argument(
        "--devices",
        type=positive_int,
        help="devices to split each batch over (data parallel; must divide the batch size)",
    )
    train.add_argument("--seed", type=int, help="seed of weights, noise and data order")
    train.add_argument("--checkpoint-every", type=positive_int, help="steps between checkpoints")
    train.add_argument("--sample-every", type=positive_int, help="steps between sample sets")
    train.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    train.add_argument(
        "--allow-slow",
        action="store_true",
        help="train even when the wall time projected from the first steps is over an hour",
    )
    train.set_defaults(func=run_train, prepare=train_config, parser=train)
