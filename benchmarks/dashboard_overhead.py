"""What notebook 04's training dashboard costs: steps/s of the quick preset with and without it.

In ONE process (the machine is shared, so the ratio of two runs measured side by side is
what counts), on FSDD's official training split read the quick preset's way:

- ``cli``: :func:`audiogan_kit.training.make_trainer` + ``run()`` with the callbacks
  ``audiogan train`` gives it (a progress bar, TensorBoard when installed);
- ``dashboard``: a :class:`~audiogan_kit.widgets.TrainingDashboard` driven headless as
  notebook 04 drives it (``start`` with a TensorBoard logger, then ``wait``): the widgets
  exist without a frontend, so every figure is drawn and rendered to PNG as in JupyterLab.

Each run is the quick preset unchanged (log every 20 steps, a checkpoint and a sample set
every 500) for ``--warmup + --steps`` steps in a fresh run folder; steps/s is counted from
the end of step ``--warmup`` (after the compiling step) to the end of the run, so the window
holds the redraws, the checkpoint and the sample set of step 500 as the real run does. The
time each callback hook took is recorded too (``hooks``: seconds, calls and share of the
timed seconds per ``Class.hook``), and with ``--profile`` the 15 costliest functions
(cumulative) inside the dashboard's hooks. ``--repeats`` alternates the two runs (cli,
dashboard, cli, ...).

Writes benchmarks/results/dashboard_overhead.json: machine, versions, date, the load average
(1, 5, 15 min; ``os.getloadavg``) at start and end, each run's steps/s and the ratio
dashboard / cli (median over repeats), and ``dashboard_hooks_share``: the share of the
dashboard run's timed seconds spent in the dashboard's own hooks (``ratio_from_hooks_share``
= 1 - that share: the ratio on a CPU whose load does not change between the two runs).

    python benchmarks/dashboard_overhead.py [--steps 600] [--warmup 100] [--repeats 1]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import environment  # benchmarks/_common.py (scripts run from benchmarks/)

RESULTS = Path(__file__).parent / "results" / "dashboard_overhead.json"
HOOKS = ("on_train_begin", "on_step_end", "on_log", "on_samples", "on_checkpoint", "on_train_end")


class StepClock:
    """A callback that notes when step ``after`` ended and when the last step ended (s)."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.start: float | None = None
        self.end: float | None = None
        self.steps = 0

    # the TrainCallback hooks the trainer calls (the others are not needed)
    def on_train_begin(self, trainer: Any) -> None: ...
    def on_log(self, trainer: Any, row: dict) -> None: ...
    def on_samples(self, *args: Any) -> None: ...
    def on_checkpoint(self, *args: Any) -> None: ...

    def on_step_end(self, trainer: Any, step: int, logs: dict) -> None:
        if step == self.after:
            self.start = time.perf_counter()
        self.steps = step

    def on_train_end(self, trainer: Any) -> None:
        # after the last step's log row, checkpoint and sample set (the trainer's final ones)
        self.end = time.perf_counter()

    def steps_per_s(self) -> float:
        return (self.steps - self.after) / (self.end - self.start)


def time_hooks(callback: Any, seconds: dict, profile: cProfile.Profile | None = None) -> None:
    """Wrap ``callback``'s hooks (instance attributes) so their time adds up in ``seconds``."""
    name = type(callback).__name__
    for hook in HOOKS:
        inner = getattr(callback, hook)

        def timed(*args: Any, _inner=inner, _key=f"{name}.{hook}") -> Any:
            start = time.perf_counter()
            if profile is not None:
                profile.enable()
            try:
                return _inner(*args)
            finally:
                if profile is not None:
                    profile.disable()
                seconds[_key][0] += time.perf_counter() - start
                seconds[_key][1] += 1

        setattr(callback, hook, timed)


def run_once(kind: str, config: Any, train_set: Any, folder: Path, warmup: int,
             profile: cProfile.Profile | None) -> dict:
    from audiogan_kit import callbacks, training, widgets

    seconds: dict = defaultdict(lambda: [0.0, 0])
    clock = StepClock(warmup)
    loggers = [callbacks.TensorBoardLogger()] if callbacks.tensorboard_available() else []
    start = time.perf_counter()
    if kind == "cli":
        monitors = [callbacks.ProgressBar(), *loggers]
        for callback in monitors:
            time_hooks(callback, seconds)
        trainer = training.make_trainer(
            config, train_set, folder, callbacks=[*monitors, clock], log=lambda _: None
        )
        trainer.run()
    else:
        dashboard = widgets.TrainingDashboard(
            train_set.audio, train_set.labels, config.audio.sample_rate
        )
        time_hooks(dashboard, seconds, profile)
        for callback in loggers:
            time_hooks(callback, seconds)
        dashboard.start(config, train_set, folder, callbacks=[*loggers, clock])
        trainer = dashboard.wait()
    wall_s = time.perf_counter() - start
    window_s = clock.end - clock.start
    return {
        "steps_per_s": round(clock.steps_per_s(), 3),
        "timed_steps": clock.steps - warmup,
        "timed_s": round(window_s, 2),
        "wall_s_with_build": round(wall_s, 1),
        "final_step": trainer.step,
        "hooks": {
            key: {"s": round(total, 3), "calls": calls, "share": round(total / window_s, 3)}
            for key, (total, calls) in sorted(seconds.items())
            if calls
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=100, help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=1, help="cli/dashboard pairs")
    parser.add_argument("--profile", action="store_true", help="cProfile the dashboard hooks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()

    load_start = os.getloadavg()
    from audiogan_kit import data, training

    config = training.TRAIN_PRESETS["quick"]
    config = dataclasses.replace(config, num_steps=args.warmup + args.steps)
    train_set = data.load_fsdd(None, config.audio, split="train", progress=False)
    profile = cProfile.Profile() if args.profile else None
    runs: dict[str, list[dict]] = {"cli": [], "dashboard": []}
    with tempfile.TemporaryDirectory(prefix="dashboard-overhead-") as tmp:
        for repeat in range(args.repeats):
            for kind in ("cli", "dashboard"):
                folder = Path(tmp) / f"{kind}-{repeat}"
                result = run_once(kind, config, train_set, folder, args.warmup, profile)
                runs[kind].append(result)
                print(kind, repeat, json.dumps(result), flush=True)
    cli = statistics.median(r["steps_per_s"] for r in runs["cli"])
    dash = statistics.median(r["steps_per_s"] for r in runs["dashboard"])
    # the share of the dashboard run's timed seconds spent in the dashboard's own hooks: on a
    # CPU whose load changes between the two runs, 1 - share is the steadier estimate
    share = statistics.median(
        sum(v["s"] for k, v in r["hooks"].items() if k.startswith("TrainingDashboard."))
        / r["timed_s"]
        for r in runs["dashboard"]
    )
    report = {
        **environment(),
        "preset": "quick",
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "note": "steps/s from the end of the warm-up steps to the end of the run; a shared "
        "CPU: compare the two paths of one run only",
        "warmup_steps": args.warmup,
        "cli_steps_per_s": cli,
        "dashboard_steps_per_s": dash,
        "ratio_dashboard_vs_cli": round(dash / cli, 3),
        "dashboard_hooks_share": round(share, 3),
        "ratio_from_hooks_share": round(1 - share, 3),
        "runs": runs,
    }
    if profile is not None:
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(15)
        report["dashboard_hook_profile"] = text.getvalue().splitlines()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"cli {cli:.2f} steps/s, dashboard {dash:.2f} steps/s, ratio {dash / cli:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
