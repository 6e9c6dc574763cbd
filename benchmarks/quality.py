"""Quality benchmark: how good the quick preset's digits are after 1, 2, 5 and 10 minutes.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/quality.py``
(``make benchmarks`` sets AUDIOGAN_DATA). Writes benchmarks/results/quality.json.

For every seed, trains ``TRAIN_PRESETS["quick"]`` (or ``--config FILE.json``; only ``seed``
and ``num_steps`` are replaced, so that the wall clock ends the run) on the official FSDD
training split read with the preset's own ``AudioConfig``. A training callback watches the
training wall clock (the first step's tracing, checkpoints and the preset's evaluation
samples count; scoring does not) and, when it passes each time point, scores the EMA and the
raw generator:

- 30 clips per digit (300) from fixed noise, made audible the way every run is
  (``training.examples_to_audio``: log-mel -> STFT bins -> Griffin-Lim for the mel presets);
- ``metrics.score_generated`` with the kit's judge (``JUDGE_PRESETS["mfcc"]``: MFCCs and
  deltas of its own 64 ms STFT, computed from the waveform; cached in the user cache) against
  5 disjoint, random, speaker-balanced draws of 300 real training clips: judge accuracy
  (overall, per digit), Inception score and its ratio to the 300 real test clips', Fréchet
  distance (mean over the draws) and its ratio to the real test clips' distance to the same
  draws, the within-digit diversity ratio, the fraction memorised (against the clips the run
  trained on);
- second opinions: the accuracy of the raw-waveform judge (strict: it hears the phase) and
  of the log-mel judge (lenient: it hears the generator's own features); the spread of the
  clips' pitch over the six speakers' pitch ranges (``metrics.voice_table``).

Before training: the references (real test vs real training draws, mean and sd) and the
ceiling: the 300 real test clips through the preset's own features -> audio path
(``training.resynthesize``), scored like generated clips.

Goals (reported, never asserted), for both seeds, with the kit's judge: within 2 minutes
accuracy >= 95 %; within 5 minutes accuracy >= 98 %, IS >= 0.95 of the real test clips', FD
<= 2x the real reference, diversity ratio >= 0.9, nothing memorised.

    python benchmarks/quality.py [--minutes 10] [--points 1,2,5,10] [--seeds 0,1]
                                 [--preset quick | --config FILE.json] [--out PATH]
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
#: The goals of the issue, checked (never asserted): (minutes, {metric: (sign, bound)}).
GOALS = {
    2.0: {"judge_accuracy": (">=", 0.95)},
    5.0: {
        "judge_accuracy": (">=", 0.98),
        "inception_score_ratio": (">=", 0.95),
        "frechet_distance_ratio": ("<=", 2.0),
        "diversity_ratio": (">=", 0.9),
        "memorised_fraction": ("<=", 0.0),
    },
}


def parse_floats(text: str, what: str) -> list[float]:
    """``"1,2,5,10"`` as sorted numbers; ``what`` names the option in errors."""
    try:
        values = sorted(float(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"{what} must be numbers separated by commas, got {text!r}.") from error
    if not values or values[0] < 0:
        raise ValueError(f"{what} must be non-negative numbers, got {text!r}.")
    return values


def parse_points(text: str, minutes: float) -> list[float]:
    """``"1,2,5,10"`` as sorted minutes ``[1.0, 2.0, 5.0, 10.0]``, each in (0, minutes]."""
    points = parse_floats(text, "--points")
    if points[0] <= 0:
        raise ValueError(f"--points must be positive minutes, got {text!r}.")
    if points[-1] > minutes:
        raise ValueError(
            f"--points {text!r} has a point beyond --minutes {minutes}; raise --minutes or "
            "drop it."
        )
    return points


def timed_config(config: training.TrainConfig, seed: int) -> training.TrainConfig:
    """``config`` with ``seed`` and a step count so large that only the wall clock ends it."""
    return dataclasses.replace(config, seed=seed, num_steps=10**9)


def base_config(preset: str, path: Path | None) -> training.TrainConfig:
    """The preset, or the TrainConfig saved at ``path``."""
    if path is not None:
        return training.TrainConfig.load(path)
    if preset not in training.TRAIN_PRESETS:
        choices = sorted(training.TRAIN_PRESETS)
        raise ValueError(f"--preset must be one of {choices}, got {preset!r}.")
    return training.TRAIN_PRESETS[preset]


def generate_per_digit(
    run: Any, per_class: int = PER_CLASS, seed: int = 0, use_ema: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` clips of each digit from a run's generator and seeded noise.

    Args:
        run: a :class:`~audiogan_kit.training.Trainer` (its ``sampler.stats``) or a
            ``load_run`` generator (its ``stats``): its ``gan`` and ``config``.
        use_ema: the EMA generator (when the run keeps one) or the raw weights.

    Returns:
        (audio float32 [10 * per_class, num_samples] in [-1, 1], intended digits int64
        [10 * per_class], sorted by digit); the noise is ``default_rng(seed)`` standard
        normal (times ``config.sample_temperature``), so every point of a benchmark scores
        the same noise.
    """
    model = run.config.model
    classes = max(model.num_classes, 1)
    labels = np.repeat(np.arange(classes), per_class)
    noise = training.sample_noise(np.random.default_rng(seed), labels.size, run.config)
    made = run.gan.generate(noise, labels, use_ema=use_ema)
    stats = run.stats if hasattr(run, "stats") else run.sampler.stats
    return training.examples_to_audio(made, run.config, stats), labels


@dataclasses.dataclass
class Yardsticks:
    """What every point is scored with: the judges, the real data and its references.

    Attributes:
        judge: the kit's judge (MFCC); opinions: {name: judge} of the second opinions.
        train, test: FSDD's official split at the default ``AudioConfig`` (the references).
        run_train: the training clips as the run reads them.
        memorisation_train: those clips laid out as the run's generated audio is
            (``output_pad_mode``), the clips a generated one must not copy.
        reference: ``metrics.real_reference`` of ``test`` against draws of ``train``.
        pitch_ranges: ``metrics.speaker_pitch_ranges(train)``; test_pitch: of ``test``.
    """

    judge: Any
    opinions: dict[str, Any]
    train: Any
    test: Any
    run_train: Any
    memorisation_train: Any
    reference: dict[str, Any]
    pitch_ranges: dict[str, Any]
    test_pitch: np.ndarray


def score_audio(
    audio: np.ndarray,
    intended: np.ndarray,
    sticks: Yardsticks,
    per_class: int = PER_CLASS,
    splits: int = 10,
) -> dict[str, Any]:
    """Every number for 300 clips: the judge's scores, the second opinions, the voices."""
    from audiogan_kit import metrics

    scores = metrics.score_generated(
        sticks.judge,
        audio,
        intended,
        sticks.train,
        sticks.test,
        per_class=per_class,
        splits=splits,
        reference=sticks.reference,
        memorisation_train=sticks.memorisation_train,
    )
    pitch = metrics.median_pitch_hz(audio, sticks.test.config.sample_rate)
    voices = metrics.voice_table(pitch, sticks.pitch_ranges, sticks.test_pitch)
    return {
        "judge_accuracy": scores["judge_accuracy"],
        "per_digit_accuracy": scores["per_class_accuracy"],
        "confusion": scores["confusion"],
        "inception_score": scores["inception_score"][0],
        "inception_score_std": scores["inception_score"][1],
        "inception_score_real": scores["inception_score_real"],
        "inception_score_ratio": scores["inception_score_ratio"],
        "frechet_distance": scores["frechet_distance"],
        "frechet_distance_sd": scores["frechet_distance_sd"],
        "frechet_distance_real": scores["frechet_distance_real"],
        "frechet_distance_ratio": scores["frechet_distance_ratio"],
        "diversity_ratio": scores["diversity_ratio"],
        "memorised_fraction": scores["memorised_fraction"],
        **{
            f"judge_accuracy_{name}": float(np.mean(opinion.predict(audio) == intended))
            for name, opinion in sticks.opinions.items()
        },
        "voices": voices,
    }


def score_point(
    run: Any, sticks: Yardsticks, seed: int = 0, per_class: int = PER_CLASS, splits: int = 10
) -> dict[str, Any]:
    """One time point: the EMA generator's scores at the top level, the raw ones under "raw".

    An unconditional run's clips are scored against the digits the judge hears in them.
    """
    point: dict[str, Any] = {}
    for use_ema in (True, False):
        audio, intended = generate_per_digit(run, per_class, seed, use_ema=use_ema)
        if not run.config.model.conditional:
            intended = sticks.judge.predict(audio)
        scores = score_audio(audio, intended, sticks, per_class, splits)
        if use_ema:
            point.update(scores)
        else:
            point["raw"] = scores
        if run.gan.ema_generator is None:
            break
    return point


def goals_met(point: dict[str, Any]) -> dict[str, bool]:
    """Which goals of the latest goal time at or before the point's minutes it reaches."""
    due = [minutes for minutes in GOALS if minutes <= point["minutes"]]
    if not due:
        return {}
    return {
        key: bool(point[key] >= bound if sign == ">=" else point[key] <= bound)
        for key, (sign, bound) in GOALS[max(due)].items()
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
    """The points as a fixed-width text table (EMA generator; raw accuracy beside it)."""
    head = (
        f"{'seed':>4} {'min':>5} {'steps':>6} {'acc':>6} {'raw':>6} {'wave':>6} {'log-mel':>7} "
        f"{'IS/real':>7} {'FD/real':>7} {'div':>5} {'memo':>5} {'voices':>6}"
    )
    rows = [head, "-" * len(head)]
    for p in points:
        raw = p.get("raw", p)
        rows.append(
            f"{p['seed']:>4d} {p['minutes']:>5g} {p['steps']:>6d} {p['judge_accuracy']:>6.1%} "
            f"{raw['judge_accuracy']:>6.1%} {p.get('judge_accuracy_waveform', np.nan):>6.1%} "
            f"{p.get('judge_accuracy_log_mel', np.nan):>7.1%} "
            f"{p['inception_score_ratio']:>7.2f} {p['frechet_distance_ratio']:>7.2f} "
            f"{p['diversity_ratio']:>5.2f} {p['memorised_fraction']:>5.1%} "
            f"{p['voices'].get('share_gap', float('nan')):>6.2f}"
        )
    return "\n".join(rows)


def yardsticks(config: training.TrainConfig) -> tuple[Yardsticks, dict[str, Any]]:
    """The judges (trained once, then cached), the data, the references and the ceiling."""
    from audiogan_kit import data, metrics
    from audiogan_kit.models import JUDGE_PRESETS

    dataset = data.load_fsdd(progress=False)
    train, test = dataset.official_split()
    judge = metrics.load_or_train_judge(dataset, JUDGE_PRESETS["mfcc"], progress=False)
    opinions = {
        name: metrics.load_or_train_judge(dataset, JUDGE_PRESETS[name], progress=False)
        for name in ("waveform", "log_mel")
    }
    run_train, run_test = data.load_fsdd(config=config.audio, progress=False).official_split()
    reference = metrics.real_reference(judge, train, test, per_class=PER_CLASS)
    ranges = metrics.speaker_pitch_ranges(train)
    test_pitch = metrics.median_pitch_hz(test.audio, test.config.sample_rate)
    copied = run_train
    if config.output_pad_mode is not None:
        placed = data.place_sound(run_train.audio, config.audio, config.output_pad_mode)
        copied = dataclasses.replace(run_train, audio=placed)
    sticks = Yardsticks(
        judge, opinions, train, test, run_train, copied, reference, ranges, test_pitch
    )
    _, stats = training.prepare_examples(run_train.audio, config)
    start = time.perf_counter()
    resynthesised = training.resynthesize(run_test.audio, config, stats)
    ceiling = {
        "what": (
            "the 300 real test clips read with the preset's AudioConfig, through its features "
            "and back to audio (training.resynthesize), scored like generated clips"
        ),
        "resynthesis_s": round(time.perf_counter() - start, 1),
        **score_audio(resynthesised, run_test.labels, sticks),
    }
    return sticks, ceiling


def judge_record(judge: Any) -> dict[str, Any]:
    return {
        "features": judge.config.features,
        "config": judge.config.to_dict(),
        "official_test_accuracy": judge.info.get("official_test_accuracy"),
        "held_out_speaker": judge.info.get("held_out_speaker"),
        "held_out_speaker_accuracy": judge.info.get("held_out_speaker_accuracy"),
        "train_seconds": judge.info.get("train_seconds"),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training wall clock budget")
    parser.add_argument("--points", default="1,2,5,10", help="minutes at which to score")
    parser.add_argument("--seeds", default="0,1", help="training seeds, one run each")
    parser.add_argument("--preset", default="quick", help="a key of training.TRAIN_PRESETS")
    parser.add_argument("--config", type=Path, help="a TrainConfig JSON to benchmark instead")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON path")
    args = parser.parse_args(argv)
    points = parse_points(args.points, args.minutes)
    seeds = [int(seed) for seed in parse_floats(args.seeds, "--seeds")]
    config = base_config(args.preset, args.config)

    sys.path.insert(0, str(HERE))
    from _common import environment

    started = time.perf_counter()
    sticks, ceiling = yardsticks(config)
    report: dict[str, Any] = {
        "preset": args.preset if args.config is None else str(args.config),
        "config": config.to_dict(),
        "minutes": args.minutes,
        "seeds": seeds,
        "clips_per_digit": PER_CLASS,
        "judge": {
            "hears": (
                "the waveform through its own features: 20 MFCCs with deltas and delta-deltas "
                "of a 64 ms STFT at an 8 ms hop (40 mel bands), features no GAN of the kit "
                "generates; trained on the official training split with time-shift (within "
                "each clip's padding), gain and noise augmentation"
            ),
            **judge_record(sticks.judge),
        },
        "second_opinions": {
            "waveform": {
                "hears": "the raw samples (a 1-D CNN, 80-sample first filters, stride 4)",
                **judge_record(sticks.opinions["waveform"]),
            },
            "log_mel": {
                "hears": "the kit's 64-band log-mel frames, what the mel SpecGAN generates",
                **judge_record(sticks.opinions["log_mel"]),
            },
        },
        "reference": sticks.reference,
        "ceiling": ceiling,
        "goals": {
            f"{minutes:g} min": {key: f"{sign} {bound}" for key, (sign, bound) in goal.items()}
            for minutes, goal in GOALS.items()
        },
        "setup_s": round(time.perf_counter() - started, 1),
        "points": [],
        "notes": (
            "train_s: training wall clock at the point (scoring excluded; tracing, "
            "checkpoints and the preset's evaluation samples included). Top-level point "
            "scores: the EMA generator; 'raw': the raw weights. FD in squared judge embedding "
            "units, 300 generated vs 5 disjoint speaker-balanced draws of 300 real training "
            "clips (mean); frechet_distance_real: the 300 real test clips vs the same draws. "
            "IS: 10 splits of 30 clips. voices.share_gap: half the summed difference between "
            "the generated and real test clips' shares of the six speakers' pitch ranges."
        ),
        **environment(),
    }

    def save(point: dict[str, Any]) -> None:
        report["points"].append(point)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(table(report["points"][-1:]).splitlines()[-1], flush=True)

    print(f"ceiling (real test clips through the preset's path): {ceiling['judge_accuracy']:.1%}")
    print(table([]), flush=True)
    for seed in seeds:

        def score(trainer: training.Trainer, seed: int = seed) -> dict[str, Any]:
            return {"seed": seed, **score_point(trainer, sticks, seed)}

        probe = QualityProbe(points, score, save)
        run_dir = Path(tempfile.mkdtemp(prefix="audiogan-quality-run-"))
        try:
            run_config = timed_config(config, seed)
            training.train(
                run_config, sticks.run_train, run_dir, [probe], log=lambda _: None, allow_slow=True
            )
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
    report["summary"] = {
        str(seed): {
            f"{minutes:g} min": next(
                (p["goals_met"] for p in report["points"]
                 if p["seed"] == seed and p["minutes"] == minutes),
                None,
            )
            for minutes in GOALS
        }
        for seed in seeds
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report["points"]))
    print(
        f"real reference: IS {sticks.reference['inception_score_test'][0]:.2f}, FD "
        f"{sticks.reference['frechet_distance_test_vs_train']:.2f} ± "
        f"{sticks.reference['frechet_distance_test_vs_train_sd']:.2f}; wrote {args.out}"
    )
    return report


if __name__ == "__main__":
    main()
