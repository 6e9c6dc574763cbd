"""Which Keras backend is running, checked once for the whole kit."""

from __future__ import annotations

import keras

__all__ = ["backend_name"]

_SUPPORTED = ("tensorflow", "jax")


def backend_name() -> str:
    """The active Keras backend, ``"tensorflow"`` or ``"jax"``.

    Raises:
        ValueError: under any other backend (e.g. torch), which the kit does not support;
            set ``KERAS_BACKEND=tensorflow`` or ``KERAS_BACKEND=jax`` before importing Keras.
    """
    name = keras.backend.backend()
    if name not in _SUPPORTED:
        raise ValueError(
            f"audiogan_kit supports the Keras backends {_SUPPORTED}, but KERAS_BACKEND is "
            f"{name!r}; set KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax before importing keras."
        )
    return name
