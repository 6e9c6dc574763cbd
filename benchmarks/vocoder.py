"""Vocoder benchmark: the quick GAN vocoder against Griffin-Lim, on real and generated digits.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/vocoder.py``.
Writes benchmarks/results/vocoder.json (``--smoke``: a few clips and steps, written to a
temporary file unless ``--out`` is given; never a results file to keep).

1. The vocoder: ``VOCODER_TRAIN_PRESETS["quick"]`` trained on the official FSDD training
   split (the preset's ``AudioConfig``, the quick GAN preset's), timed; or ``--vocoder-run``.
2. Real clips: ``--per-digit`` official test clips of every digit (5: 50 clips), spread over
   the speakers (digit ``d`` leaves speaker ``d mod 6`` out; the takes drawn with
   ``--seed``), resynthesised from their log-mel frames (a) by Griffin-Lim, the kit's path
   of a mel SpecGAN (``training.resynthesize`` of the quick GAN preset, normalised with the
   training split's statistics, ``features.mel_to_audio``; the sound left in place) and (b)
   by the vocoder. Against the original clip: PESQ (P.862 narrow-band, MOS-LQO;
   ``metric_labels``) and STOI (``enhance.score_enhancers``), the multi-resolution STFT
   distance (``losses.multi_resolution_stft_loss``, the vocoder's resolutions); the kit's
   judge (``JUDGE_PRESETS["mfcc"]``: MFCCs of the waveform) accuracy, the sound moved to the
   start as a GAN's clips are; wall time per clip.
3. Generated clips: the quick GAN preset trained ``--gan-steps`` steps (or ``--gan-run``),
   ``--generated-per-digit`` clips of every digit from the same noise through Griffin-Lim
   and through the vocoder (``RunGenerator.generate(vocoder=...)``); the judge's accuracy.

Goals (reported, never asserted): vocoder PESQ >= Griffin-Lim + 0.3, STOI >= Griffin-Lim's,
judge accuracy >= Griffin-Lim's, on real clips; on generated clips judge accuracy through the
vocoder >= through Griffin-Lim.

    python benchmarks/vocoder.py [--vocoder-run DIR | --vocoder-steps N] [--gan-run DIR |
        --gan-steps N] [--per-digit 5] [--generated-per-digit 20] [--smoke] [--out PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from audiogan_kit import data, enhance, features, losses, metrics, training

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "vocoder.json"


def pick_balanced(test: Any, per_digit: int, seed: int) -> np.ndarray:
    """Indices of ``per_digit`` clips of every digit, one per speaker, speaker ``d mod 6``
    left out first for digit ``d`` (so the speakers come up about equally); sorted."""
    rng = np.random.default_rng([seed, 15485863])
    speakers = sorted(set(test.speakers.tolist()))
    chosen: list[int] = []
    for digit in range(10):
        order = speakers[digit % len(speakers) + 1 :] + speakers[: digit % len(speakers) + 1]
        for k in range(per_digit):
            speaker = order[k % len(order)]
            cell = np.flatnonzero((test.labels == digit) & (test.speakers == speaker))
            cell = np.setdiff1d(cell, chosen)
            chosen.append(int(rng.choice(cell)))
    return np.sort(np.asarray(chosen))


def stft_distance(clean: np.ndarray, made: np.ndarray, config: Any) -> float:
    """Mean multi-resolution STFT distance over clips (float32 [n, samples] each)."""
    total = 0.0
    for start in range(0, len(clean), 50):
        part = slice(start, start + 50)
        value = losses.multi_resolution_stft_loss(
            clean[part], made[part], config.audio, config.stft_resolutions
        )
        total += float(value) * len(clean[part])
    return total / len(clean)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def get_vocoder(args: argparse.Namespace, train: Any, test: Any, work: Path) -> tuple[Any, dict]:
    """The vocoder (a RunVocoder) and what its training took."""
    if args.vocoder_run is not None:
        run = training.load_vocoder_run(args.vocoder_run)
        return run, {"run": str(args.vocoder_run), "steps": run.step}
    config = training.VOCODER_TRAIN_PRESETS["quick"]
    if args.vocoder_steps is not None:
        config = dataclasses.replace(config, num_steps=args.vocoder_steps)
    trainer, seconds = timed(
        training.train_vocoder,
        config,
        train,
        work / "vocoder",
        eval_dataset=test,
        allow_slow=True,
    )
    info = {
        "preset": "quick",
        "config": config.to_dict(),
        "steps": trainer.step,
        "train_wall_s": round(seconds, 1),
        "steps_per_s": round(trainer.step / seconds, 3),
    }
    return training.load_vocoder_run(work / "vocoder"), info


def get_gan(args: argparse.Namespace, train: Any, work: Path) -> tuple[Any, dict]:
    """The GAN run (a RunGenerator) and what its training took."""
    if args.gan_run is not None:
        run = training.load_run(args.gan_run)
        return run, {"run": str(args.gan_run), "steps": run.step}
    config = dataclasses.replace(training.TRAIN_PRESETS["quick"], num_steps=args.gan_steps)
    _, seconds = timed(training.train, config, train, work / "gan", allow_slow=True)
    run = training.load_run(work / "gan")
    return run, {"preset": "quick", "steps": run.step, "train_wall_s": round(seconds, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from _common import environment

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocoder-run", type=Path)
    parser.add_argument("--vocoder-steps", type=int, help="default: the quick preset's")
    parser.add_argument("--gan-run", type=Path)
    parser.add_argument("--gan-steps", type=int, default=2000)
    parser.add_argument("--per-digit", type=int, default=5)
    parser.add_argument("--generated-per-digit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="FSDD folder (default: $AUDIOGAN_DATA)")
    parser.add_argument("--smoke", action="store_true", help="a few clips and steps")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.smoke:
        args.per_digit, args.generated_per_digit = 1, 2
        args.vocoder_steps = args.vocoder_steps or 3
        args.gan_steps = 3
    out = args.out or (Path(tempfile.mkdtemp()) / "vocoder.json" if args.smoke else RESULTS)
    load_start = os.getloadavg()
    started = time.perf_counter()
    gan_config = training.TRAIN_PRESETS["quick"]
    audio = training.VOCODER_TRAIN_PRESETS["quick"].audio
    train, test = data.load_fsdd(args.data, audio, progress=False).official_split()
    index = pick_balanced(test, args.per_digit, args.seed)
    clips, labels = test.audio[index], test.labels[index].astype(np.int64)
    judge = metrics.load_or_train_judge(
        data.load_fsdd(args.data, progress=False), metrics_judge_config(), progress=False
    )
    with tempfile.TemporaryDirectory() as tmp:
        vocoder, vocoder_info = get_vocoder(args, train, test, Path(tmp))
        if vocoder.config.audio != gan_config.audio:
            raise SystemExit("the vocoder was not trained on the quick GAN preset's audio config")
        stats = features.compute_log_mel_stats(train.audio, audio)
        in_place = dataclasses.replace(gan_config, output_pad_mode=None)
        made = {}
        made["griffin_lim"], gl_s = timed(
            training.resynthesize, clips, in_place, stats, progress=False
        )
        vocoder.resynthesize(clips[:1])  # traced once before timing
        voc, voc_s = timed(vocoder.resynthesize, clips)
        made["vocoder"] = np.clip(voc, -1.0, 1.0)
        pairs = types.SimpleNamespace(noisy=clips, clean=clips, sample_rate=audio.sample_rate)
        scores = enhance.score_enhancers(
            pairs,
            {name: (lambda _, x=x: x) for name, x in made.items()},
            ("pesq", "stoi"),
            progress=False,
        )

        def judged(x: np.ndarray, wanted: np.ndarray) -> float:
            placed = data.place_sound(x, audio, gan_config.output_pad_mode)
            return float(np.mean(judge.predict(placed) == wanted))

        real = {
            name: {
                "pesq": float(np.nanmean(scores[name]["pesq"])),
                "stoi": float(np.nanmean(scores[name]["stoi"])),
                "stft_distance": stft_distance(clips, x, vocoder.config),
                "judge_accuracy": judged(x, labels),
            }
            for name, x in made.items()
        }
        real["griffin_lim"]["wall_s_per_clip"] = gl_s / len(clips)
        real["vocoder"]["wall_s_per_clip"] = voc_s / len(clips)
        real["original_judge_accuracy"] = judged(clips, labels)
        gan, gan_info = get_gan(args, train, Path(tmp))
        per = args.generated_per_digit
        wanted = np.repeat(np.arange(10), per)
        generated = {
            name: np.concatenate(
                [
                    gan.generate(per, digit=d, seed=args.seed, progress=False, vocoder=v)
                    for d in range(10)
                ]
            )
            for name, v in (("griffin_lim", None), ("vocoder", vocoder))
        }
    gen_acc = {name: judged(x, wanted) for name, x in generated.items()}
    gains = {
        metric: enhance.mean_gain(scores, "vocoder", "griffin_lim", metric)
        for metric in ("pesq", "stoi")
    }
    result = {
        "pesq_gain_over_griffin_lim": gains["pesq"],
        "stoi_gain_over_griffin_lim": gains["stoi"],
        "judge_accuracy_vocoder": real["vocoder"]["judge_accuracy"],
        "judge_accuracy_griffin_lim": real["griffin_lim"]["judge_accuracy"],
        "generated_judge_accuracy_vocoder": gen_acc["vocoder"],
        "generated_judge_accuracy_griffin_lim": gen_acc["griffin_lim"],
        "goals": {
            "pesq_gain_at_least_0.3": "met" if gains["pesq"] >= 0.3 else "missed",
            "stoi_at_least_griffin_lim": "met" if gains["stoi"] >= 0 else "missed",
            "judge_accuracy_at_least_griffin_lim": "met"
            if real["vocoder"]["judge_accuracy"] >= real["griffin_lim"]["judge_accuracy"]
            else "missed",
            "generated_judge_accuracy_at_least_griffin_lim": "met"
            if gen_acc["vocoder"] >= gen_acc["griffin_lim"]
            else "missed",
        },
        "real_clips": {
            "count": len(clips),
            "per_digit": args.per_digit,
            "speakers": sorted(set(test.speakers[index].tolist())),
            **real,
        },
        "generated_clips": {"count": len(wanted), "gan": gan_info},
        "vocoder": vocoder_info,
        "metric_labels": metrics.metric_labels(),
        "judge": {
            "preset": "mfcc",
            "official_test_accuracy": judge.info.get("official_test_accuracy"),
        },
        "settings": {**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}},
        "total_wall_s": round(time.perf_counter() - started, 1),
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "notes": "a shared 2-core CPU, loaded by other jobs while this ran (see load_average), "
        "the benchmark niced; wall times are of that machine. PESQ/STOI means over the clips "
        "each could score; gains are per-clip means over the clips both could.",
        **environment(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, indent=1))
    print(f"goals: {result['goals']}\nwrote {out}")
    return result


def metrics_judge_config() -> Any:
    from audiogan_kit.models import JUDGE_PRESETS

    return JUDGE_PRESETS["mfcc"]


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
