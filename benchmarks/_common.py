"""What every benchmark records about where it ran: machine, library versions and date."""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any


def environment(**extra_versions: str) -> dict[str, Any]:
    """``{"machine": {...}, "versions": {...}, "date": ISO 8601 UTC}`` for a results file.

    ``machine``: platform, processor, CPU core count and the GPUs the Keras backend sees
    (an empty list on a CPU-only machine). ``versions``: Python, NumPy, SciPy, Keras, the
    Keras backend and its library (TensorFlow or JAX), plus ``extra_versions`` (e.g.
    ``librosa=librosa.__version__``). Imports Keras (and its backend).
    """
    import keras
    import numpy
    import scipy

    backend = keras.backend.backend()
    versions = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "keras": keras.__version__,
        "keras_backend": backend,
        **extra_versions,
    }
    gpus: list[str] = []
    if backend == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
        gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    elif backend == "jax":
        import jax

        versions["jax"] = jax.__version__
        gpus = [str(device) for device in jax.devices() if device.platform == "gpu"]
    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "gpus": gpus,
        },
        "versions": versions,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
