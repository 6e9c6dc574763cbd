"""Training throughput: samples per second and peak memory of the quick and paper presets.

For each preset, on the same model and in the same run, under the TensorFlow backend:

- ``tensorflow``: the kit's compiled step (``tf.function``, XLA off on CPU);
- ``tensorflow-xla``: the same step with ``jit_compile=True`` (quick preset only);
- ``tensorflow-eager``: the same step run eagerly;
- ``tensorflow-mixed_bfloat16``: the compiled step with ``precision="mixed_bfloat16"``
  (quick preset only; its ``ratio_vs_float32`` is its samples/s over ``tensorflow``'s, measured
  in the same run: on a CPU without bfloat16 units it is below 1);
- ``jax``: the kit's step compiled by ``jax.jit`` under ``KERAS_BACKEND=jax`` (quick preset
  only; this script runs that variant in a child process with that backend);
- ``seed-loop``: the seed prototype's loop: ``train_on_batch`` on the discriminator (real, then
  fake) and on a stacked generator + frozen discriminator, binary cross-entropy.

``samples_per_s`` counts real examples seen by the discriminator per second
(``steps/s x batch_size x n_critic``); ``peak_mb`` is the peak resident memory of the process
that measured it (each variant runs in its own process); ``speedup_vs_seed_loop`` is
``samples_per_s / seed-loop samples_per_s`` of the same preset. Random data of the right shape
is used (the data pipeline has its own benchmark). Writes benchmarks/results/train_throughput.json.

    python benchmarks/train_throughput.py [--steps N] [--presets quick paper] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import environment  # benchmarks/_common.py (scripts run from benchmarks/)

RESULTS = Path(__file__).parent / "results" / "train_throughput.json"


def measure(preset: str, variant: str, steps: int) -> dict:
    """Runs in a child process: one preset, one variant; returns the numbers."""
    import dataclasses

    import keras
    import numpy as np

    from audiogan_kit import backend, training

    config = training.TRAIN_PRESETS[preset]
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(0)
    shape = config.model.sample_shape
    batch, n_critic = config.batch_size, config.n_critic
    real = rng.uniform(-1, 1, (n_critic, batch, *shape)).astype("float32")
    labels = rng.integers(0, 10, (n_critic, batch)).astype("int32")

    if variant == "seed-loop":
        gan = training.build_gan(config)
        generator, discriminator = gan.generator, gan.discriminator
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        discriminator.compile(optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9), loss=bce)
        discriminator.trainable = False
        cond = config.model.conditional
        noise_in = keras.Input((config.model.latent_dim,))
        label_in = keras.Input((), dtype="int32")
        fake = generator([noise_in, label_in] if cond else noise_in)
        score = discriminator([fake, label_in] if cond else fake)
        stacked = keras.Model([noise_in, label_in] if cond else noise_in, score)
        stacked.compile(optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9), loss=bce)
        ones, zeros = np.ones((batch, 1), "float32"), np.zeros((batch, 1), "float32")

        def step():
            for k in range(n_critic):
                z = rng.standard_normal((batch, config.model.latent_dim)).astype("float32")
                g_in = [z, labels[k]] if cond else z
                made = generator.predict_on_batch(g_in)
                discriminator.trainable = True
                discriminator.train_on_batch([real[k], labels[k]] if cond else real[k], ones)
                discriminator.train_on_batch([made, labels[k]] if cond else made, zeros)
                discriminator.trainable = False
            z = rng.standard_normal((batch, config.model.latent_dim)).astype("float32")
            return stacked.train_on_batch([z, labels[-1]] if cond else z, ones)
    else:
        jit = True if variant == "tensorflow-xla" else None
        config = dataclasses.replace(config, jit_compile=jit)
        if variant.startswith("tensorflow-mixed_"):
            config = dataclasses.replace(config, precision=variant.removeprefix("tensorflow-"))
        gan = training.build_gan(config)
        if variant == "tensorflow-eager":
            fn = gan.train_step
        else:
            fn = backend.compile_step(
                gan.train_step, gan.all_state(), jit_compile=config.jit_compile
            )

        def step():
            out = fn((real, labels))
            return float(keras.ops.convert_to_numpy(out["d_loss"]))

    start = time.perf_counter()
    step()  # compile / warm up
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    steps_per_s = steps / elapsed
    return {
        "steps_per_s": round(steps_per_s, 3),
        "samples_per_s": round(steps_per_s * batch * n_critic, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "warmup_s": round(warmup_s, 1),
        "steps_timed": steps,
        "batch_size": batch,
        "n_critic": n_critic,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: per preset)")
    parser.add_argument("--presets", nargs="+", default=["quick", "paper"])
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        preset, variant, steps = args.child
        print(json.dumps(measure(preset, variant, int(steps))))
        return

    default_steps = {"quick": 20, "paper": 1}
    variants = {
        "quick": [
            "tensorflow", "tensorflow-xla", "tensorflow-eager", "tensorflow-mixed_bfloat16",
            "seed-loop", "jax",
        ],
        "paper": ["tensorflow", "tensorflow-eager", "seed-loop"],
    }
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results: dict = previous.get("results", {})
    for preset in args.presets:
        results[preset] = {}
        for variant in variants[preset]:
            steps = args.steps or default_steps[preset]
            env = {**os.environ, "KERAS_BACKEND": "jax" if variant == "jax" else "tensorflow"}
            done = subprocess.run(
                [sys.executable, __file__, "--child", preset, variant, str(steps)],
                capture_output=True, text=True, env=env, check=False,
            )
            if done.returncode != 0:
                results[preset][variant] = {"error": done.stderr.strip().splitlines()[-1]}
            else:
                results[preset][variant] = json.loads(done.stdout.strip().splitlines()[-1])
            print(preset, variant, results[preset][variant], flush=True)
            _write(results, args.out)  # after every variant: an interrupted run keeps its figures
        seed = results[preset].get("seed-loop", {}).get("samples_per_s")
        float32 = results[preset].get("tensorflow", {}).get("samples_per_s")
        for variant, numbers in results[preset].items():
            if seed and "samples_per_s" in numbers:
                numbers["speedup_vs_seed_loop"] = round(numbers["samples_per_s"] / seed, 2)
            if float32 and "mixed_" in variant and "samples_per_s" in numbers:
                numbers["ratio_vs_float32"] = round(numbers["samples_per_s"] / float32, 2)
        _write(results, args.out)
    print(f"wrote {args.out}")


def _write(results: dict, out: Path = RESULTS) -> None:
    report = {
        **environment(),
        "gpu": "no GPU machine was lent to this session: JAX-on-GPU figures (paper preset, "
        "float32 and mixed precision) are still to be measured",
        "note": "CPU shared with other jobs while measured; compare variants of one preset only",
        "results": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
