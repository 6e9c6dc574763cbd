"""Whole clips or random segments for the quick vocoder: speed and held-out quality.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/vocoder_segments.py``.
Writes benchmarks/results/vocoder_segments.json.

In one process, for ``VOCODER_TRAIN_PRESETS["quick"]`` with ``segment_length`` replaced by
each of ``--segments``, and for ``0``: the quick preset as it was before segments (whole
8,192-sample clips, the adversarial terms from step ``--whole-adversarial-start``, 200), on
the official FSDD training split read with the preset's ``AudioConfig``:

1. speed: after ``--warmup`` steps (tracing), the wall time of ``--steps`` training steps
   (batches drawn as in a run); steps/s and the ratio to whole clips;
2. quality at equal wall clock: a run of ``--minutes`` of training (the trainer's own loop;
   evaluation samples and checkpoints off) and then the held-out multi-resolution STFT
   distance (:func:`~audiogan_kit.losses.multi_resolution_stft_loss` with the preset's
   resolutions, on whole clips) over ``--clips`` official test clips, with the kit's
   Griffin-Lim path (``training.resynthesize`` of the quick GAN preset with the training
   split's statistics, the sound left in place) for reference.

    python benchmarks/vocoder_segments.py [--segments 0,2048,4096] [--steps 30]
                                          [--minutes 3] [--clips 100] [--out PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from audiogan_kit import data, features, losses, training

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "vocoder_segments.json"


class StopAfter(training.TrainCallback):
    """Stops a run once its training wall clock (from the first step) passes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start = float(seconds), None

    def on_step_end(self, trainer: Any, step: int, logs: dict[str, float]) -> None:
        if self.start is None:
            self.start = time.perf_counter()
        elif time.perf_counter() - self.start >= self.seconds:
            trainer.stop()


def stft_distance(wave: np.ndarray, made: np.ndarray, config: training.VocoderTrainConfig) -> float:
    """Mean multi-resolution STFT distance of ``made`` to ``wave`` (float32 [n, samples])."""
    parts = [
        float(
            losses.multi_resolution_stft_loss(
                wave[i : i + 50], made[i : i + 50], config.audio, config.stft_resolutions
            )
        )
        * len(wave[i : i + 50])
        for i in range(0, len(wave), 50)
    ]
    return sum(parts) / len(wave)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from _common import environment

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", default="0,2048,4096")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--whole-adversarial-start", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    base = training.VOCODER_TRAIN_PRESETS["quick"]
    configs = {
        int(s): dataclasses.replace(base, segment_length=int(s))
        for s in args.segments.split(",")
        if int(s)
    }
    if "0" in args.segments.split(","):  # the quick preset before segments
        configs = {
            0: dataclasses.replace(
                base, segment_length=None, adversarial_start=args.whole_adversarial_start
            ),
            **configs,
        }
    train, test = data.load_fsdd(config=base.audio, progress=False).official_split()
    pick = np.sort(np.random.default_rng(0).choice(len(test.audio), args.clips, replace=False))
    held_out = test.audio[pick]
    # Griffin-Lim as a mel SpecGAN's clips become audio, the sound left in place
    gan_preset = dataclasses.replace(training.TRAIN_PRESETS["quick"], output_pad_mode=None)
    stats = features.compute_log_mel_stats(train.audio, base.audio)
    griffin_lim = training.resynthesize(held_out, gan_preset, stats, progress=False)
    result: dict[str, Any] = {
        "griffin_lim_stft_distance": stft_distance(held_out, griffin_lim, base),
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for segment, config in configs.items():  # speed first, all in this process
            trainer = training.make_vocoder_trainer(
                config, train, Path(tmp) / f"speed{segment}", log=lambda _: None
            )
            for step in range(args.warmup):
                trainer._step_fn(trainer.batches(step))
            start = time.perf_counter()
            for step in range(args.warmup, args.warmup + args.steps):
                out = trainer._step_fn(trainer.batches(step))
                float(out["g_loss"])
            rate = args.steps / (time.perf_counter() - start)
            result["runs"][str(segment)] = {"steps_per_s": rate}
            print(f"segment {segment or 'whole'}: {rate:.3f} steps/s", flush=True)
        whole = result["runs"].get("0", {}).get("steps_per_s")
        for segment, config in configs.items():
            row = result["runs"][str(segment)]
            if whole:
                row["speed_ratio_to_whole_clips"] = row["steps_per_s"] / whole
            timed = dataclasses.replace(
                config, num_steps=10**6, checkpoint_every=10**6, sample_every=0, log_every=50
            )
            stop = StopAfter(60 * args.minutes)
            trainer = training.make_vocoder_trainer(
                timed, train, Path(tmp) / f"run{segment}", [stop], lambda _: None, allow_slow=True
            )
            trainer.run()
            made = training.vocode(trainer.gan.generator, training.vocoder_pairs(held_out, base)[0])
            row.update(
                steps_in_budget=trainer.step, stft_distance=stft_distance(held_out, made, base)
            )
            print(
                f"segment {segment or 'whole'}: {trainer.step} steps in {args.minutes} min, "
                f"held-out STFT distance {row['stft_distance']:.4f} (Griffin-Lim "
                f"{result['griffin_lim_stft_distance']:.4f})",
                flush=True,
            )
    result.update(
        settings={**vars(args), "out": str(args.out)},
        load_average={"start": load_start, "end": os.getloadavg()},
        notes="segment 0 = whole clips (the quick preset before segments); speed measured in "
        "this process for every segment; the machine is a shared 2-core CPU (see "
        "load_average), the run niced.",
        **environment(),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
