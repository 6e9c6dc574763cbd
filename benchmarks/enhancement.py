"""Benchmark speech enhancement on the fair held-out test set: every method, PESQ, STOI, SI-SDR.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/enhancement.py``
(``make benchmarks`` sets AUDIOGAN_DATA). Writes benchmarks/results/enhancement.json. On a
quiet 2-core CPU the whole run takes about 25 minutes (four enhancers to train, about 7, 6,
1 and 6 minutes; 400 test pairs x 7 methods to score).

Data: :func:`audiogan_kit.data.make_noisy_split`: training pairs from four speakers (one
random SNR in {0, 5, 10, 15} dB and noise type per clip); the test set is balanced: every
digit x held-out voice x SNR x noise type once (400 pairs, clips drawn at random with the
seed), its babble made of clips never trained on, its noise from other generators.
``test_set.composition`` records what it holds.

Methods, all scored on the same pairs: the noisy input, spectral subtraction, the Wiener
filter, SEGAN (``ENHANCER_TRAIN_PRESETS["quick"]``) and the same generator without the
adversarial term, the MetricGAN+-style mask enhancer (``METRIC_ENHANCER_TRAIN_PRESETS
["quick"]``: a learned-PESQ discriminator) and the same mask without it
(``"quick-no-adversarial"``); ``--steps`` or ``--minutes`` cap every training run.

Numbers: per method, per SNR and per noise type, the mean and its standard error of PESQ
(P.862 narrow-band, P.862.1 MOS-LQO; ``metric_labels`` says exactly which), STOI (clips
too short for standard STOI are repeated; ``test_set.stoi_repeated_clips`` counts them)
and SI-SDR. Headline (``summary``): the mask enhancer's mean per-clip PESQ gain over the
noisy input and over the Wiener filter on the 0-10 dB pairs, with standard errors. The
issue's goal: >= +0.5 over noisy and >= +0.2 over Wiener.

Verify quickly (a smoke run, not a measurement): ``--steps 3 --per-condition 1 --out
/tmp/enhancement.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "enhancement.json"
SNRS = (0.0, 5.0, 10.0, 15.0)
HEADLINE = "metric"


def _time_budget(minutes: float | None):
    from audiogan_kit.training import TrainCallback

    class TimeBudget(TrainCallback):
        def on_train_begin(self, trainer) -> None:
            self.start = time.perf_counter()

        def on_step_end(self, trainer, step, logs) -> None:
            if minutes is not None and time.perf_counter() - self.start > 60 * minutes:
                trainer.stop()

    return TimeBudget()


def _configs(steps: int | None, seed: int) -> dict:
    """The four trained methods' configs, each capped at ``steps`` when given."""
    from audiogan_kit import training

    def capped(config):
        changes = {"seed": seed, "sample_every": 0}
        if steps is not None:
            changes.update(num_steps=steps, checkpoint_every=max(steps, 1))
            if getattr(config, "discriminator_warmup", 0) >= steps:
                changes["discriminator_warmup"] = steps // 3
        return dataclasses.replace(config, **changes)

    segan = training.ENHANCER_TRAIN_PRESETS["quick"]
    metric = training.METRIC_ENHANCER_TRAIN_PRESETS
    return {
        "segan": capped(segan),
        "segan_no_adversarial": capped(dataclasses.replace(segan, adversarial_weight=0.0)),
        "metric": capped(metric["quick"]),
        "metric_no_adversarial": capped(metric["quick-no-adversarial"]),
    }


DESCRIPTIONS = {
    "noisy": "the noisy input itself",
    "spectral_subtraction": "power spectral subtraction (Berouti 1979), NumPy",
    "wiener": "Wiener filter, decision-directed a priori SNR (Ephraim & Malah 1984), NumPy",
    "segan": "SEGAN generator: LSGAN pair loss + 100 x L1 + 10 x multi-resolution log-STFT L1",
    "segan_no_adversarial": "the same SEGAN generator and loss without the adversarial term",
    "metric": "MetricGAN+-style STFT mask: learned-PESQ discriminator + magnitude L1",
    "metric_no_adversarial": "the same mask network on the magnitude L1 alone",
}


def _summary_rows(values: np.ndarray, keys: np.ndarray) -> list[dict]:
    from audiogan_kit import data

    rows = []
    for key in sorted(set(keys.tolist())):
        chosen = values[keys == key]
        finite = chosen[np.isfinite(chosen)]
        rows.append(
            {
                "value": key,
                "clips": int(finite.size),
                "mean": round(float(finite.mean()), 3) if finite.size else None,
                "se": round(data.standard_error(finite), 3) if finite.size > 1 else None,
            }
        )
    return rows


def main(
    steps: int | None = None, minutes: float | None = None, per_condition: int | None = None,
    out: Path = RESULTS, seed: int = 0,
) -> dict:
    cache = tempfile.mkdtemp(prefix="audiogan-bench-cache-")
    runs = tempfile.mkdtemp(prefix="audiogan-bench-enhance-")
    os.environ["AUDIOGAN_CACHE"] = cache
    from _common import environment

    from audiogan_kit import data, enhance, metrics, training
    from audiogan_kit.data import fsdd_path, load_fsdd, make_noisy_split

    try:
        dataset = load_fsdd(fsdd_path(download=True, progress=False), progress=False)
        train, test = make_noisy_split(dataset, snrs=SNRS, seed=seed)
        if per_condition is not None:  # a smoke run: fewer pairs, still balanced
            test = enhance.pick_per_condition(test, per_condition, seed=seed)
        configs = _configs(steps, seed)
        enhancers = {
            "spectral_subtraction": lambda x: enhance.spectral_subtraction(x, test.sample_rate),
            "wiener": lambda x: enhance.wiener_filter(x, test.sample_rate),
        }
        methods = {name: {"description": DESCRIPTIONS[name]} for name in DESCRIPTIONS}
        for name, config in configs.items():
            start = time.perf_counter()
            trainer = training.train_enhancer(
                config, train, Path(runs) / name, callbacks=[_time_budget(minutes)],
                log=lambda _: None, eval_dataset=test,
            )
            wall = time.perf_counter() - start
            last = trainer.history[-1]
            methods[name].update(
                steps=trainer.step,
                training_wall_s=round(wall, 1),
                steps_per_s=round(trainer.step / wall, 3),
                final={k: round(v, 4) for k, v in last.items() if k != "step"},
                config=config.to_dict(),
            )
            print(f"{name}: {trainer.step} steps in {wall:.0f} s")
            enhancers[name] = enhance.generator_enhancer(trainer.gan.generator, test.sample_rate)

        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = enhance.score_enhancers(test, enhancers)
        scoring_s = time.perf_counter() - start
        low = test.snr_db <= 10.0

        def gain(method: str, reference: str) -> dict:
            difference = scores[method]["pesq"] - scores[reference]["pesq"]
            return {
                "mean": round(enhance.mean_gain(scores, method, reference, "pesq", low), 3),
                "se": round(data.standard_error(difference[low]), 3),
            }

        gains = {
            f"{method}_over_{reference}": gain(method, reference)
            for method in scores
            for reference in ("noisy", "wiener")
            if method not in (reference, "noisy")
        }
        summary = {
            "headline_method": HEADLINE,
            "pesq_gain_over_noisy": gains[f"{HEADLINE}_over_noisy"]["mean"],
            "pesq_gain_over_noisy_se": gains[f"{HEADLINE}_over_noisy"]["se"],
            "pesq_gain_over_wiener": gains[f"{HEADLINE}_over_wiener"]["mean"],
            "pesq_gain_over_wiener_se": gains[f"{HEADLINE}_over_wiener"]["se"],
            "pesq_gains_0_to_10_db": gains,
        }
        summary["goal_met"] = bool(
            summary["pesq_gain_over_noisy"] >= 0.5 and summary["pesq_gain_over_wiener"] >= 0.2
        )
        for name, per_metric in scores.items():
            methods[name]["scores"] = {
                metric: {
                    "all": _summary_rows(values, np.zeros(len(values), dtype=np.int64))[0],
                    "by_snr_db": _summary_rows(values, test.snr_db),
                    "by_noise_type": _summary_rows(values, test.noise_type),
                }
                for metric, values in per_metric.items()
            }
        repeats = metrics.stoi_repeats(test.clean, test.sample_rate)
        results = {
            "summary": summary,
            "methods": methods,
            "test_set": {
                "pairs": len(test),
                "design": "balanced: every digit x held-out voice x SNR x noise type"
                + (" once" if per_condition is None else f", then {per_condition} per "
                   "(SNR, noise type) (smoke run)"),
                "seed": seed,
                "composition": test.composition(),
                "speakers": sorted(set(test.speakers.tolist())),
                "pesq_undefined_clips": int(np.isnan(scores["noisy"]["pesq"]).sum()),
                "stoi_repeated_clips": int(np.sum(repeats > 1)),
                "stoi_undefined_clips": int(np.sum(repeats == 0)),
            },
            "train_set": {"pairs": len(train), "speakers": sorted(set(train.speakers.tolist()))},
            "metric_labels": metrics.metric_labels(),
            "scoring_s": round(scoring_s, 1),
            "notes": (
                "Gains are per-clip means over the 0-10 dB test pairs with their standard "
                "errors (std / sqrt(n)); clips PESQ cannot score (no utterance found) are "
                "left out. Test voices, clips, babble clips and noise generators were never "
                "seen in training. Each *_no_adversarial method is its twin's generator "
                "and reconstruction loss without the adversarial term."
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
        "--steps", type=int, default=None, help="updates per enhancer (default: the presets')"
    )
    parser.add_argument(
        "--minutes", type=float, default=None, help="stop each enhancer after this many minutes"
    )
    parser.add_argument(
        "--per-condition", type=int, default=None,
        help="smoke runs only: score this many test pairs per (SNR, noise type)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    result = main(
        arguments.steps, arguments.minutes, arguments.per_condition, arguments.out,
        arguments.seed,
    )
    print(json.dumps({k: v for k, v in result["summary"].items() if k != "pesq_gains_0_to_10_db"},
                     indent=2))
