"""Saving and loading models in the ``.keras`` format, with ``safe_mode=True``."""

from __future__ import annotations

from pathlib import Path

import keras

from .. import layers as _registered_layers  # noqa: F401  (registers the kit's layers)

__all__ = ["load_model", "save_model"]


def save_model(model: keras.Model, path: str | Path) -> Path:
    """Save ``model`` (architecture + weights) to a ``.keras`` file and return its path.

    Raises:
        ValueError: if ``path`` does not end in ``.keras``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files use the .keras format; got {path}, rename it to *.keras.")
    model.save(path)
    return path


def load_model(path: str | Path) -> keras.Model:
    """Load a model written by :func:`save_model`, with ``safe_mode=True``.

    The kit's custom layers are registered by importing this module (through
    :mod:`audiogan_kit.layers`), so no
    ``custom_objects`` are needed, and no arbitrary code (``Lambda`` layers) is executed.

    Raises:
        ValueError: if the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no model file at {path}; save one with audiogan_kit.models.save_model.")
    return keras.saving.load_model(path, safe_mode=True, compile=False)
