"""Parameter counts and CPU forward-pass time of every generator at batch 64.

Run: ``.venv/bin/python benchmarks/models_forward.py`` (about 2-4 minutes on 2 CPU cores).
Writes ``benchmarks/results/models_forward.json`` with the machine, library versions and date.

For each generator (dense; WaveGAN at 4,096 / 8,192 / 16,384 samples with the paper's width
d = 64 and the CPU widths d = 16 / 32; SpecGAN d = 64 and 16) it builds the model, counts its
trainable parameters and times ``model.predict_on_batch`` on a batch of 64 noise vectors (a
compiled call: ``tf.function`` under TensorFlow, ``jax.jit`` under JAX): one warm-up call, then
the median of ``--repeats`` timed calls, in seconds. The GPU is hidden so the numbers are CPU
numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _common import environment  # benchmarks/_common.py (scripts run from benchmarks/)

from audiogan_kit.models import ModelConfig, build_generator, parameter_count  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "models_forward.json"

CASES: list[tuple[str, ModelConfig]] = [
    ("dense d=64", ModelConfig(architecture="dense", model_dim=64)),
    *[
        (f"wavegan {n} d={d}", ModelConfig(architecture="wavegan", num_samples=n, model_dim=d))
        for d in (64, 16)
        for n in (4096, 8192, 16384)
    ],
    ("wavegan 8192 d=32", ModelConfig(architecture="wavegan", num_samples=8192, model_dim=32)),
    ("specgan 64x128 d=64", ModelConfig(architecture="specgan", model_dim=64)),
    ("specgan 64x128 d=16", ModelConfig(architecture="specgan", model_dim=16)),
]



def time_forward(config: ModelConfig, batch_size: int, repeats: int) -> dict[str, object]:
    """Build the generator, return its parameter count and forward times in seconds."""
    keras.utils.set_random_seed(0)
    generator = build_generator(config)
    noise = np.random.default_rng(0).normal(size=(batch_size, config.latent_dim)).astype(np.float32)
    start = time.perf_counter()
    output = generator.predict_on_batch(noise)  # compiles
    warmup = time.perf_counter() - start
    if tuple(output.shape) != (batch_size, *config.sample_shape):
        raise ValueError(f"unexpected output shape {output.shape} for {config}")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        generator.predict_on_batch(noise)
        times.append(time.perf_counter() - start)
    result = {
        "config": dataclasses.asdict(config),
        "output_shape": [batch_size, *config.sample_shape],
        "parameters": parameter_count(generator),
        "warmup_s": round(warmup, 4),
        "times_s": [round(t, 4) for t in times],
        "median_s": round(statistics.median(times), 4),
    }
    keras.backend.clear_session()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.batch_size < 1 or args.repeats < 1:
        parser.error("--batch-size and --repeats must be positive")

    results = {}
    for name, config in CASES:
        results[name] = time_forward(config, args.batch_size, args.repeats)
        row = results[name]
        print(
            f"{name:24s} {row['parameters']:>12,d} parameters  {row['median_s']:8.3f} s / batch",
            flush=True,
        )

    report = {
        "benchmark": "generator forward pass on CPU",
        **environment(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "method": "median of --repeats predict_on_batch calls after one warm-up (compile) call",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
