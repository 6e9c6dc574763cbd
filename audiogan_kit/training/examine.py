"""Examine a finished run: its clips, their checks, the findings and the judge's accuracy.

Introduced in notebooks/07_troubleshooting.ipynb.

:func:`examine_run` loads a run's newest good checkpoint (:func:`~audiogan_kit.training.load_run`)
or takes a trainer's generator as it is (:meth:`~audiogan_kit.training.RunGenerator.from_trainer`),
asks it for a few clips of every digit, measures them against real clips
(:func:`audiogan_kit.metrics.check_outputs`), reads the run's history into findings
(:func:`~audiogan_kit.training.diagnose`) and, given a judge, scores how often the clips are
heard as the digit asked for. It is what every section of notebook 07 does after a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics.artefacts import OutputChecks, check_outputs
from ..metrics.reference import sample_per_class
from .diagnostics import Finding, diagnose
from .run_folder import read_history
from .runs import RunGenerator, load_run

__all__ = ["RunExamination", "examine_run"]


@dataclasses.dataclass(frozen=True, eq=False)
class RunExamination:
    """What :func:`examine_run` found.

    Attributes:
        run_dir: the run folder.
        step: the step of the checkpoint the clips come from.
        history: the run's history rows.
        audio: float32 [clips, num_samples] in [-1, 1], ``per_class`` clips of each digit
            asked for, in the order asked.
        labels: int [clips], the digit each clip was asked for.
        real: float32 [clips, num_samples], as many real test clips of the same digits.
        outputs: the checks of ``audio``.
        findings: the diagnosis, most serious first.
        judge_accuracy: the fraction of ``audio`` the judge hears as its digit (chance 0.1),
            or ``None`` without a judge.
    """

    run_dir: Path
    step: int
    history: list[dict[str, float]]
    audio: np.ndarray
    labels: np.ndarray
    real: np.ndarray
    outputs: OutputChecks
    findings: list[Finding]
    judge_accuracy: float | None

    @property
    def names(self) -> list[str]:
        """The findings' names."""
        return [finding.name for finding in self.findings]


def examine_run(
    run: str | Path | RunGenerator,
    real: Any,
    per_class: int = 4,
    judge: Any | None = None,
    tone_frequencies: Sequence[float] = (),
    sample_temperature: float | None = None,
    digits: Sequence[int] | None = None,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> RunExamination:
    """Clips of every digit from a run's newest good checkpoint, checked and diagnosed.

    Args:
        run: a conditional run's folder (``training.train`` wrote it; its newest good
            checkpoint is loaded), or a :class:`~audiogan_kit.training.RunGenerator` (e.g.
            ``RunGenerator.from_trainer(trainer)`` right after training).
        real: an :class:`~audiogan_kit.data.AudioDataset` of real clips read with the run's
            ``config.audio`` (e.g. the test split); ``per_class`` of each digit are drawn
            (:func:`~audiogan_kit.metrics.sample_per_class`, ``seed``) for the spread.
        per_class: clips asked of each digit (at least 2, for the spread).
        judge: a :class:`~audiogan_kit.metrics.Judge` (its audio config must match the
            run's clips), or ``None`` to skip its accuracy.
        tone_frequencies: Hz where to look for checkerboard tones
            (:func:`~audiogan_kit.metrics.upsampling_tones`).
        sample_temperature: sample at this noise temperature instead of the run's.
        digits: the digits to ask for (``None``: every class). Each clip of a mel SpecGAN
            costs about half a second of a CPU core on its way back to audio (the mel
            inversion), so a quick look asks for fewer.
        seed: seeds the noise of digit ``d`` with ``seed + d`` and the draw of real clips.

    Raises:
        ValueError: an unconditional run, ``per_class < 2``, a digit out of range, or a run
            without a checkpoint.
    """
    if per_class < 2:
        raise ValueError(f"per_class must be at least 2 (the spread needs pairs), got {per_class}.")
    if not isinstance(run, RunGenerator):
        run = load_run(run, log)
    model = run.config.model
    if not model.conditional:
        raise ValueError(f"{run.run_dir} is an unconditional run; examine_run asks for each digit.")
    if sample_temperature is not None:
        run.config = dataclasses.replace(run.config, sample_temperature=sample_temperature)
    digits = np.arange(model.num_classes) if digits is None else np.asarray(digits, int)
    if digits.size == 0 or digits.min() < 0 or digits.max() >= model.num_classes:
        raise ValueError(f"digits must be in 0..{model.num_classes - 1}, got {list(digits)}.")
    audio = np.concatenate([
        run.generate(per_class, digit=int(d), seed=seed + int(d), progress=False) for d in digits
    ])
    labels = np.repeat(digits, per_class)
    index = sample_per_class(real.labels, per_class, seed=seed)
    index = index[np.isin(real.labels[index], digits)]
    real_audio, real_labels = real.audio[index], real.labels[index]
    outputs = check_outputs(
        audio, run.config.audio.sample_rate, labels, real_audio, real_labels,
        run.config.audio, tone_frequencies,
    )
    history = read_history(run.run_dir)
    findings = diagnose(history, run.config.loss, outputs)
    accuracy = None if judge is None else judge.accuracy(audio, labels)
    return RunExamination(
        run_dir=run.run_dir, step=run.step, history=history, audio=audio, labels=labels,
        real=real_audio, outputs=outputs, findings=findings, judge_accuracy=accuracy,
    )
