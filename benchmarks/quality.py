"""Quality benchmark: how good the quick preset's digits are after 1, 2, 5 and 10 minutes.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/quality.py``
(``make benchmarks`` sets AUDIOGAN_DATA). Writes benchmarks/results/quality.json.

Trains ``TRAIN_PRESETS["quick"]`` (whatever it is when the script runs; only ``seed`` and
``num_steps`` are replaced, so that the wall clock, not the step count, ends the run) on the
official FSDD training split, in a temporary run folder. A training callback watches the
training wall clock (from the start of the loop: the first step's tracing, checkpoints and the
preset's own evaluation samples count; the time spent scoring does not) and, when it passes
each time point, scores the EMA generator:

- 30 clips per digit (300) from fixed noise (``--seed``), made audible the way every run is
  (``training.examples_to_audio``: Griffin-Lim for the spectrogram presets);
- ``metrics.score_generated`` against the default judge (``load_or_train_judge()``, reused
  from the user cache when it was trained before) and the real-data reference computed once
  before training (``metrics.real_reference``: 300 real test clips, 300 real training clips);
  so judge accuracy (overall and per digit), Inception score and its ratio to the real test
  clips', Fréchet distance to 300 real training clips and its ratio to the real test clips'
  distance to the same training clips (300 against 300 on both sides, since the estimate is
  biased by the sample size), the within-digit diversity ratio and the fraction of clips
  flagged as memorised.

Goals (reported, never asserted): within 5 minutes judge accuracy >= 98 %, IS >= 0.95 of the
real test clips', FD <= 2x the real reference, diversity ratio >= 0.9, nothing memorised.

    python benchmarks/quality.py [--minutes 10] [--points 1,2,5,10] [--preset quick]
                                 [--out PATH] [--seed 0]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from audiogan_kit import training

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "quality.json"
#: Generated clips per digit at every point, and real clips per digit on each side.
PER_CLASS = 30
#: The goals of the issue, checked (never asserted) at every point.
GOALS = {
    "judge_accuracy": (">=", 0.98),
    "inception_score_ratio": (">=", 0.95),
    "frechet_distance_ratio": ("<=", 2.0),
    "diversity_ratio": (">=", 0.9),
    "memorised_fraction": ("<=", 0.0),
}
GOAL_MINUTES = 5.0


def parse_points(text: str, minutes: float) -> list[float]:
    """``"1,2,5,10"`` as sorted minutes ``[1.0, 2.0, 5.0, 10.0]``, each in (0, minutes]."""
    try:
        points = sorted(float(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"--points must be minutes separated by commas, got {text!r}.") from error
    if not points or points[0] <= 0:
        raise ValueError(f"--points must be positive minutes, got {text!r}.")
    if points[-1] > minutes:
        raise ValueError(
            f"--points {text!r} has a point beyond --minutes {minutes}; raise --minutes or drop it."
        )
    return points


def timed_config(preset: str, seed: int) -> training.TrainConfig:
    """The preset with ``seed`` and a step count so large that only the wall clock ends it."""
    if preset not in training.TRAIN_PRESETS:
        choices = sorted(training.TRAIN_PRESETS)
        raise ValueError(f"--preset must be one of {choices}, got {preset!r}.")
    return dataclasses.replace(training.TRAIN_PRESETS[preset], seed=seed, num_steps=10**9)


def generate_per_digit(
    run: Any, per_class: int = PER_CLASS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` clips of each digit from a run's EMA generator and seeded noise.

    Args:
        run: a :class:`~audiogan_kit.training.Trainer` (its ``sampler.stats``) or a
            ``load_run`` generator (its ``stats``): its ``gan`` and ``config``.

    Returns:
        (audio float32 [10 * per_class, num_samples] in [-1, 1], intended digits int64
        [10 * per_class], sorted by digit); the noise is ``default_rng(seed)`` standard
        normal, so every point of a benchmark scores the same noise.
    """
    model = run.config.model
    classes = max(model.num_classes, 1)
    labels = np.repeat(np.arange(classes), per_class)
    noise = np.random.default_rng(seed).standard_normal((labels.size, model.latent_dim))
    made = run.gan.generate(noise.astype(np.float32), labels, use_ema=True)
    stats = run.stats if hasattr(run, "stats") else run.sampler.stats
    return training.examples_to_audio(made, run.config, stats), labels


def score_point(
    run: Any,
    judge: Any,
    train: Any,
    test: Any,
    reference: dict[str, Any],
    per_class: int = PER_CLASS,
    seed: int = 0,
    splits: int = 10,
) -> dict[str, Any]:
    """Every number of one time point: :func:`generate_per_digit`, then ``score_generated``.

    An unconditional run's clips are scored against the digits the judge hears in them.
    """
    from audiogan_kit import metrics

    audio, intended = generate_per_digit(run, per_class, seed)
    if not run.config.model.conditional:
        intended = judge.predict(audio)
    scores = metrics.score_generated(
        judge, audio, intended, train, test, per_class=per_class, splits=splits, seed=seed,
        reference=reference,
    )
    return {
        "judge_accuracy": scores["judge_accuracy"],
        "per_digit_accuracy": scores["per_class_accuracy"],
        "confusion": scores["confusion"],
        "inception_score": scores["inception_score"][0],
        "inception_score_std": scores["inception_score"][1],
        "inception_score_real": scores["inception_score_real"],
        "inception_score_ratio": scores["inception_score_ratio"],
        "frechet_distance": scores["frechet_distance"],
        "frechet_distance_real": scores["frechet_distance_real"],
        "frechet_distance_ratio": scores["frechet_distance_ratio"],
        "diversity_ratio": scores["diversity_ratio"],
        "memorised_fraction": scores["memorised_fraction"],
    }


def goals_met(point: dict[str, Any]) -> dict[str, bool]:
    """Which of :data:`GOALS` the point reaches."""
    return {
        key: bool(point[key] >= bound if sign == ">=" else point[key] <= bound)
        for key, (sign, bound) in GOALS.items()
    }


class QualityProbe(training.TrainCallback):
    """Scores the run whenever the training wall clock passes a time point; stops at the last.

    Args:
        minutes: the time points, sorted.
        score: ``score(trainer) -> dict`` (see :func:`score_point`).
        on_point: called with each finished point (to print and save it).
    """

    def __init__(
        self,
        minutes: list[float],
        score: Callable[[Any], dict[str, Any]],
        on_point: Callable[[dict[str, Any]], None] = lambda point: None,
    ) -> None:
        self.minutes = list(minutes)
        self.score = score
        self.on_point = on_point
        self.points: list[dict[str, Any]] = []
        self.start = 0.0
        self.scoring_s = 0.0
        self.first_step = 0

    def on_train_begin(self, trainer: training.Trainer) -> None:
        self.start = time.perf_counter()
        self.first_step = trainer.step

    def training_seconds(self) -> float:
        return time.perf_counter() - self.start - self.scoring_s

    def on_step_end(self, trainer: training.Trainer, step: int, logs: dict[str, float]) -> None:
        while len(self.points) < len(self.minutes):
            elapsed = self.training_seconds()
            if elapsed < 60.0 * self.minutes[len(self.points)]:
                break
            begin = time.perf_counter()
            point = self.score(trainer)
            spent = time.perf_counter() - begin
            self.scoring_s += spent
            steps = step - self.first_step
            point = {
                "minutes": self.minutes[len(self.points)],
                "steps": step,
                "train_s": round(elapsed, 1),
                "steps_per_s": round(steps / max(elapsed, 1e-9), 2),
                "scoring_s": round(spent, 1),
                **point,
            }
            point["goals_met"] = goals_met(point)
            self.points.append(point)
            self.on_point(point)
        if len(self.points) == len(self.minutes):
            trainer.stop()


def table(points: list[dict[str, Any]]) -> str:
    """The points as a fixed-width text table."""
    head = (
        f"{'min':>5} {'steps':>6} {'steps/s':>7} {'acc':>6} {'IS':>5} {'IS/real':>7} "
        f"{'FD':>7} {'FD/real':>7} {'div':>5} {'memo':>5} {'score s':>7}"
    )
    rows = [head, "-" * len(head)]
    for p in points:
        rows.append(
            f"{p['minutes']:>5g} {p['steps']:>6d} {p['steps_per_s']:>7.2f} "
            f"{p['judge_accuracy']:>6.1%} {p['inception_score']:>5.2f} "
            f"{p['inception_score_ratio']:>7.2f} {p['frechet_distance']:>7.1f} "
            f"{p['frechet_distance_ratio']:>7.2f} {p['diversity_ratio']:>5.2f} "
            f"{p['memorised_fraction']:>5.1%} {p['scoring_s']:>7.1f}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training wall clock budget")
    parser.add_argument("--points", default="1,2,5,10", help="minutes at which to score")
    parser.add_argument("--preset", default="quick", help="a key of training.TRAIN_PRESETS")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON path")
    parser.add_argument("--seed", type=int, default=0, help="training seed and scoring noise")
    args = parser.parse_args(argv)
    points = parse_points(args.points, args.minutes)
    config = timed_config(args.preset, args.seed)

    sys.path.insert(0, str(HERE))
    from _common import environment

    from audiogan_kit import data, metrics

    started = time.perf_counter()
    dataset = data.load_fsdd(progress=False)
    train, test = dataset.official_split()
    judge = metrics.load_or_train_judge(dataset, progress=False)
    reference = metrics.real_reference(judge, train, test, per_class=PER_CLASS, seed=args.seed)
    report: dict[str, Any] = {
        "preset": args.preset,
        "config": config.to_dict(),
        "minutes": args.minutes,
        "clips_per_digit": PER_CLASS,
        "judge": {
            "path": str(judge.path),
            "official_test_accuracy": judge.info.get("official_test_accuracy"),
        },
        "reference": reference,
        "goals": {key: f"{sign} {bound}" for key, (sign, bound) in GOALS.items()},
        "goal_minutes": GOAL_MINUTES,
        "setup_s": round(time.perf_counter() - started, 1),
        "points": [],
        "notes": (
            "train_s: training wall clock at the point (scoring excluded; tracing, "
            "checkpoints and the preset's evaluation samples included). FD in squared judge "
            "embedding units, 300 generated vs 300 real training clips; frechet_distance_real: "
            "300 real test clips vs the same training clips. IS: 10 splits of 30 clips."
        ),
        **environment(),
    }

    def save(point: dict[str, Any]) -> None:
        report["points"].append(point)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(table(report["points"][-1:]).splitlines()[-1], flush=True)

    def score(trainer: training.Trainer) -> dict[str, Any]:
        return score_point(trainer, judge, train, test, reference, PER_CLASS, args.seed)

    probe = QualityProbe(points, score, save)
    run_dir = Path(tempfile.mkdtemp(prefix="audiogan-quality-run-"))
    print(f"training {args.preset} for {args.minutes:g} min, scoring at {points} min", flush=True)
    print(table([]), flush=True)
    try:
        training.train(config, train, run_dir, callbacks=[probe], log=lambda _: None)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    within = [p for p in report["points"] if p["minutes"] <= GOAL_MINUTES]
    if within:
        report["goals_met_within_goal_minutes"] = within[-1]["goals_met"]
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report["points"]))
    print(f"real reference: IS {reference['inception_score_test'][0]:.2f}, FD "
          f"{reference['frechet_distance_test_vs_train']:.2f}; wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
