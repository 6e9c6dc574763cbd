"""Option types of the ``audiogan`` command: each checks one value and says what is wrong."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = [
    "digit",
    "enhancer_run",
    "existing_folder",
    "generator_source",
    "positive_float",
    "positive_int",
]


def existing_folder(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a folder (give the FSDD folder that holds recordings/, or your "
            "own folder of audio files)"
        )
    return path


def _positive(value: str, cast: type, what: str) -> int | float:
    try:
        number = cast(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a {what}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive {what}")
    return number


def positive_int(value: str) -> int:
    return _positive(value, int, "whole number")


def positive_float(value: str) -> float:
    return _positive(value, float, "number")


def digit(value: str) -> int:
    if value not in [str(d) for d in range(10)]:
        raise argparse.ArgumentTypeError(f"{value!r} is not a digit 0-9")
    return int(value)


def generator_source(value: str) -> Path:
    """A training run folder (with config.json) or a ``.keras`` file from `audiogan export`."""
    path = Path(value).expanduser()
    if path.suffix == ".keras":
        if not path.is_file() or not path.with_suffix(".json").is_file():
            raise argparse.ArgumentTypeError(
                f"{value!r}: no such exported generator (it needs {path.name} and "
                f"{path.with_suffix('.json').name} side by side; write them with "
                "`audiogan export RUN --out FILE.keras`)"
            )
        return path
    if not (path / "config.json").is_file():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a training run (no config.json); give the folder that "
            "`audiogan train --out` wrote, or a .keras file from `audiogan export`"
        )
    return path


def enhancer_run(value: str) -> Path:
    """A run folder with a config.json (whether it is an enhancer's is checked on loading)."""
    path = Path(value).expanduser()
    if not (path / "config.json").is_file():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a training run (no config.json); give the folder that "
            "training.train_enhancer wrote (its run_dir)"
        )
    return path
