"""Checkpoints: one ``.npz`` file per checkpoint holding every variable of a run.

Introduced in notebooks/04_training.ipynb.

A checkpoint holds both networks, the EMA generator, both optimizers and the random-seed state
(:meth:`~audiogan_kit.training.two_player.TwoPlayerModel.state_groups`), the step and the
run's config. It is written atomically, so a run killed at any moment leaves only whole
checkpoints; a corrupt file is skipped with a message and the previous one is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from keras import ops

from ..config import Config
from ..io import atomic_write
from .two_player import TwoPlayerModel

__all__ = [
    "CheckpointError",
    "CheckpointWriteError",
    "checkpoint_paths",
    "load_latest_checkpoint",
    "save_checkpoint",
]


class CheckpointError(ValueError):
    """A checkpoint file is missing, partial, corrupt or from another run."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (a full disk, a read-only folder); the previous
    checkpoints are untouched. ``errno`` is the operating system's (28: ENOSPC)."""


_CHECKPOINT_NAME = re.compile(r"ckpt-(\d{8})\.npz")


def checkpoint_paths(run_dir: str | Path) -> list[Path]:
    """The run's checkpoint files, oldest first (temporary files are never listed)."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _CHECKPOINT_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: int(_CHECKPOINT_NAME.fullmatch(p.name)[1]))


def save_checkpoint(
    gan: TwoPlayerModel, config: Config, step: int, run_dir: str | Path, keep: int = 3
) -> Path:
    """Write ``checkpoints/ckpt-<step>.npz`` atomically and keep only the newest ``keep``.

    The file holds every variable of :meth:`TwoPlayerModel.state_groups`
    (``<group>/<index>``), and a JSON ``meta`` entry with the step, the config and the
    variables' paths and shapes. It is written with :func:`audiogan_kit.io.atomic_write`, so
    the checkpoint either exists whole or not at all (a full disk leaves the previous ones).

    Raises:
        CheckpointWriteError: the write failed (e.g. ENOSPC); nothing was changed.
    """
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    layout: dict[str, list[list[Any]]] = {}
    for group, variables in gan.state_groups().items():
        layout[group] = []
        for i, variable in enumerate(variables):
            value = ops.convert_to_numpy(variable.value)
            arrays[f"{group}/{i}"] = value
            layout[group].append([variable.path, list(value.shape)])
    meta = {"step": int(step), "config": config.to_dict(), "layout": layout, "format": 1}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    final = folder / f"ckpt-{int(step):08d}.npz"
    try:
        with atomic_write(final) as handle:
            np.savez(handle, **arrays)
    except OSError as error:
        previous = checkpoint_paths(run_dir)
        kept = (
            f"the previous checkpoint {previous[-1].name} (step "
            f"{int(_CHECKPOINT_NAME.fullmatch(previous[-1].name)[1])}) is whole"
            if previous
            else "no checkpoint was written before"
        )
        raise CheckpointWriteError(
            error.errno,
            f"could not write the checkpoint of step {step} to {folder} "
            f"({error.strerror or error}); {kept}. Free disk space (or make the folder "
            "writable) and run the same command again to resume.",
        ) from error
    for old in checkpoint_paths(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def _read_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as content:
            arrays = {name: content[name] for name in content.files}  # reads and CRC-checks all
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except Exception as error:  # zip, CRC, truncation, JSON: all mean "unusable"
        raise CheckpointError(f"checkpoint {path} is unreadable ({error}).") from error
    return meta, arrays


def _restore(
    gan: TwoPlayerModel, meta: dict[str, Any], arrays: dict[str, np.ndarray], path: Path
) -> None:
    groups = gan.state_groups()
    if sorted(groups) != sorted(meta.get("layout", {})):
        raise CheckpointError(
            f"checkpoint {path} holds the groups {sorted(meta.get('layout', {}))}, but this run "
            f"has {sorted(groups)}; it was written by a run with another config."
        )
    pending = []
    for group, variables in groups.items():
        for i, variable in enumerate(variables):
            value = arrays.get(f"{group}/{i}")
            if value is None or tuple(value.shape) != tuple(variable.shape):
                raise CheckpointError(
                    f"checkpoint {path}: {group}/{i} ({variable.path}) is missing or has the "
                    f"wrong shape; it was written by a run with another config."
                )
            pending.append((variable, value))
    for variable, value in pending:
        variable.assign(value)


def load_latest_checkpoint(
    gan: TwoPlayerModel, run_dir: str | Path, log: Callable[[str], None] = print
) -> int | None:
    """Restore the newest readable checkpoint of ``run_dir`` into ``gan``; return its step.

    A corrupt or partial checkpoint is reported through ``log`` and the previous one is
    tried. Returns ``None`` when the run has no usable checkpoint (nothing is changed).
    """
    for path in reversed(checkpoint_paths(run_dir)):
        try:
            meta, arrays = _read_checkpoint(path)
            _restore(gan, meta, arrays, path)
        except CheckpointError as error:
            log(f"skipping checkpoint: {error} Trying the previous one.")
            continue
        return int(meta["step"])
    return None
