"""Benchmark speech enhancement: PESQ, STOI and SI-SDR per SNR and noise type on held-out voices.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/enhancement.py``
(``make benchmarks`` sets AUDIOGAN_DATA). Writes benchmarks/results/enhancement.json.

Data: noisy FSDD from :func:`audiogan_kit.data.make_noisy_split` (training pairs from four
speakers, one random SNR in {0, 5, 10, 15} dB and noise type per clip; test pairs from the
two held-out speakers, with babble made of clips never trained on). Methods, all scored on
the same ``--clips`` test pairs per (SNR, noise type) cell: the noisy input, spectral
subtraction, the Wiener filter, the SEGAN generator trained without the adversarial term
(``adversarial_weight=0``: 100 x L1 + 10 x multi-resolution log-spectral L1) and the SEGAN GAN
enhancer (the same plus the LSGAN pair loss), both from ``ENHANCER_TRAIN_PRESETS["quick"]`` for
``--steps`` updates (default: the preset's 300, about 6 minutes for the GAN on a 2-core CPU,
the whole run about 12 minutes) or ``--minutes`` each.

Headline numbers (``summary``): the GAN enhancer's mean PESQ gain over the noisy input and over
the Wiener filter on the 0-10 dB test pairs (per clip, over clips every method could score).
The issue's goal: >= +0.5 over noisy and >= +0.2 over Wiener.

Verify quickly: ``--steps 5 --clips 1 --out /tmp/enhancement.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "enhancement.json"
SNRS = (0.0, 5.0, 10.0, 15.0)


def _time_budget(minutes: float | None):
    from audiogan_kit.training import TrainCallback

    class TimeBudget(TrainCallback):
        def on_train_begin(self, trainer) -> None:
            self.start = time.perf_counter()

        def on_step_end(self, trainer, step, logs) -> None:
            if minutes is not None and time.perf_counter() - self.start > 60 * minutes:
                trainer.stop()

    return TimeBudget()


def main(
    steps: int | None = None, minutes: float | None = None, clips: int = 4, out: Path = RESULTS,
    seed: int = 0,
) -> dict:
    cache = tempfile.mkdtemp(prefix="audiogan-bench-cache-")
    runs = tempfile.mkdtemp(prefix="audiogan-bench-enhance-")
    os.environ["AUDIOGAN_CACHE"] = cache
    from _common import environment

    from audiogan_kit import enhance
    from audiogan_kit import training as enhance_training

    steps = enhance_training.ENHANCER_TRAIN_PRESETS["quick"].num_steps if steps is None else steps
    from audiogan_kit.data import fsdd_path, load_fsdd, make_noisy_split

    try:
        dataset = load_fsdd(fsdd_path(download=True, progress=False), progress=False)
        train, test = make_noisy_split(dataset, snrs=SNRS, seed=seed)
        test = enhance.pick_per_condition(test, clips)
        base = dataclasses.replace(
            enhance_training.ENHANCER_TRAIN_PRESETS["quick"], num_steps=steps, seed=seed,
            checkpoint_every=max(steps, 1), sample_every=0,
        )
        configs = {"l1_only": dataclasses.replace(base, adversarial_weight=0.0), "segan": base}
        enhancers = {
            "spectral_subtraction": lambda x: enhance.spectral_subtraction(x, test.sample_rate),
            "wiener": lambda x: enhance.wiener_filter(x, test.sample_rate),
        }
        training = {}
        for name, config in configs.items():
            start = time.perf_counter()
            trainer = enhance_training.train_enhancer(
                config, train, Path(runs) / name, callbacks=[_time_budget(minutes)],
                log=lambda _: None, eval_dataset=test,
            )
            wall = time.perf_counter() - start
            last = trainer.history[-1]
            training[name] = {
                "steps": trainer.step,
                "wall_s": round(wall, 1),
                "steps_per_s": round(trainer.step / wall, 3),
                "final": {k: round(v, 4) for k, v in last.items() if k != "step"},
            }
            print(f"{name}: {trainer.step} steps in {wall:.0f} s")
            enhancers[name] = enhance.generator_enhancer(trainer.gan.generator, test.sample_rate)

        start = time.perf_counter()
        scores = enhance.score_enhancers(test, enhancers)
        scoring_s = time.perf_counter() - start
        low = test.snr_db <= 10.0
        summary = {
            f"{method}_pesq_gain_over_{reference}": round(
                enhance.mean_gain(scores, method, reference, "pesq", low), 3
            )
            for method in ("segan", "l1_only", "wiener", "spectral_subtraction")
            for reference in ("noisy", "wiener")
            if method != reference
        }
        summary["pesq_gain_over_noisy"] = summary["segan_pesq_gain_over_noisy"]
        summary["pesq_gain_over_wiener"] = summary["segan_pesq_gain_over_wiener"]
        summary["goal_met"] = bool(
            summary["pesq_gain_over_noisy"] >= 0.5 and summary["pesq_gain_over_wiener"] >= 0.2
        )

        def rounded(rows):
            return [
                {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
                for row in rows
            ]

        results = {
            "summary": summary,
            "by_snr": rounded(enhance.scores_by(scores, test, "snr_db")),
            "by_noise_type": rounded(enhance.scores_by(scores, test, "noise_type")),
            "by_snr_0_to_10_db_mean": {
                method: {
                    metric: round(float(np.nanmean(values[low])), 3)
                    for metric, values in per_metric.items()
                }
                for method, per_metric in scores.items()
            },
            "training": training,
            "config": configs["segan"].to_dict(),
            "test_set": {
                "pairs": len(test),
                "clips_per_cell": clips,
                "snrs_db": sorted(set(test.snr_db.tolist())),
                "noise_types": sorted(set(test.noise_type.tolist())),
                "speakers": sorted(set(test.speakers.tolist())),
                "pesq_undefined_clips": int(np.isnan(scores["noisy"]["pesq"]).sum()),
            },
            "train_set": {"pairs": len(train), "speakers": sorted(set(train.speakers.tolist()))},
            "scoring_s": round(scoring_s, 1),
            "notes": (
                "Gains are per-clip means over the 0-10 dB test pairs (PESQ narrow-band "
                "MOS-LQO); clips PESQ cannot score (no utterance found) are left out. "
                "Test voices, babble clips and noise seeds were never seen in training. "
                "l1_only is the same generator and loss without the adversarial term "
                "(waveform L1 + log-spectral term)."
            ),
            **environment(),
        }
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(runs, ignore_errors=True)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=None, help="updates per enhancer (default: the preset's)"
    )
    parser.add_argument(
        "--minutes", type=float, default=None, help="stop each enhancer after this many minutes"
    )
    parser.add_argument("--clips", type=int, default=4, help="test pairs per (SNR, noise) cell")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    result = main(
        arguments.steps, arguments.minutes, arguments.clips, arguments.out, arguments.seed
    )
    print(json.dumps(result["summary"], indent=2))
