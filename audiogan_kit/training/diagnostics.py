"""Reading a run: from its history rows (and its clips) to named findings with their numbers.

Introduced in notebooks/07_troubleshooting.ipynb.

:func:`diagnose` reads the rows a :class:`~audiogan_kit.training.Trainer` logs (``d_loss``,
``g_loss``, ``penalty``, ``aux_real`` / ``aux_fake``, ``d_real`` / ``d_fake`` mean logits,
``d_grad_norm`` / ``g_grad_norm``; means over ``log_every`` steps) over the last part of the
run, and optionally what :func:`audiogan_kit.metrics.check_outputs` measured on its clips,
and returns :class:`Finding`\\ s:

=====================  ========================================================================
``diverging``          a non-finite number, logits in the thousands, or a gradient norm grown
                       far above its median
``discriminator wins`` the adversarial part of ``d_loss`` near 0: D tells every clip apart
``saturation``         the minimax generator loss near 0 (D(G(z)) near 0, so its gradient
                       too), or the generator's gradient norm fallen to a sliver of its peak
``stalled``            nothing moves: the losses flat, D unable to tell real from fake
``collapse``           the clips of a digit all alike (spread far below real clips')
``silent output``      most clips below :data:`~audiogan_kit.metrics.SILENCE_DB` dBFS
``clipped output``     many samples at full scale
``checkerboard tones`` a line at an upsampling frequency far above the spectrum around it
``healthy``            none of the above, with the numbers of a healthy game
=====================  ========================================================================

The "adversarial" parts are ``d_loss - penalty - aux_real`` and ``g_loss - aux_fake``: the
penalty and the classifier terms are logged inside the losses. For the non-saturating and
minimax losses a discriminator that cannot tell real from fake (D = 1/2) has
``d_loss = log 4 = 1.39`` nats; a healthy game hovers a little below it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from ..metrics.artefacts import SILENCE_DB, OutputChecks

__all__ = [
    "CHANCE_D_LOSS",
    "THRESHOLDS",
    "Finding",
    "diagnose",
    "format_findings",
    "last_rows",
]

#: The non-saturating/minimax discriminator loss of a discriminator that says 1/2 to every
#: clip: ``-log(1/2) - log(1/2) = log 4`` nats.
CHANCE_D_LOSS = math.log(4.0)

#: The lines :func:`diagnose` draws (change a copy and pass it as ``thresholds=``).
THRESHOLDS: dict[str, float] = {
    # discriminator wins: adversarial d_loss below this (nats; hinge and LSGAN: their units)
    "d_wins_loss": 0.1,
    # saturation: minimax adversarial g_loss = E[log(1 - D(G(z)))] above this (nats, <= 0):
    # D(G(z)) below about 5 %, so the generator's gradient is under 5 % of the
    # non-saturating loss's
    "saturated_g_loss": -0.05,
    # saturation: the generator's gradient norm in the window below this fraction of its peak
    "vanished_grad_fraction": 0.01,
    # stalled: the adversarial losses move less than this over the window (max - min, nats)
    # while the logits of real and fake clips stay within this of each other
    "stalled_range": 0.02,
    "stalled_gap": 0.5,
    # diverging: a gradient norm in the window above this multiple of the run's median ...
    "diverging_factor": 100.0,
    # ... or a mean logit beyond this (a healthy discriminator's are a few units)
    "diverging_logit": 1e4,
    # collapse: within-digit spread of the clips below this fraction of real clips'
    "collapse_spread": 0.5,
    # silent: at least this fraction of the clips below SILENCE_DB dBFS RMS
    "silent_fraction": 0.5,
    # clipped: at least this fraction of the samples at full scale
    "clipped_fraction": 0.01,
    # checkerboard: an upsampling tone at least this many dB above its neighbourhood
    "tone_db": 15.0,
}

#: Losses whose discriminator loss falls to 0 when it separates real from fake (WGAN's
#: critic loss has no floor, so "wins" means nothing there).
_BOUNDED_LOSSES = ("minimax", "nonsaturating", "hinge", "lsgan")
_PROBABILISTIC = ("minimax", "nonsaturating")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing :func:`diagnose` found.

    Attributes:
        name: ``"diverging"``, ``"discriminator wins"``, ``"saturation"``, ``"stalled"``,
            ``"collapse"``, ``"silent output"``, ``"clipped output"``,
            ``"checkerboard tones"`` or ``"healthy"``.
        message: one sentence with the numbers behind it and what to change.
        values: those numbers, by name (floats).
    """

    name: str
    message: str
    values: dict[str, float]

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


def last_rows(history: Sequence[dict[str, float]], window: int | None = None) -> list[dict]:
    """The rows of the last ``window`` steps (``None``: the last quarter of the run), at
    least the last row.

    Raises:
        ValueError: no rows, or a row without ``step``.
    """
    if not history:
        raise ValueError("the history has no rows: train a run (log_every steps) first.")
    if any("step" not in row for row in history):
        raise ValueError("every history row needs a 'step' (read it with read_history).")
    last = history[-1]["step"]
    if window is None:
        window = max(1, last // 4)
    rows = [row for row in history if row["step"] > last - window]
    return rows or [history[-1]]


def _window_steps(history: Sequence[dict], rows: Sequence[dict]) -> float:
    """How many steps the rows cover (each row is the mean of the steps since the row before)."""
    before = [row["step"] for row in history if row["step"] < rows[0]["step"]]
    return float(rows[-1]["step"] - (before[-1] if before else 0))


def _mean(rows: Sequence[dict], key: str) -> float:
    return sum(row[key] for row in rows) / len(rows)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def _adversarial(row: dict, player: str) -> float:
    if player == "d":
        return row["d_loss"] - row.get("penalty", 0.0) - row.get("aux_real", 0.0)
    return row["g_loss"] - row.get("aux_fake", 0.0)


def _diverging(history, rows, t) -> Finding | None:
    for row in history:
        bad = [k for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            return Finding(
                "diverging",
                f"{', '.join(bad)} is {row[bad[0]]} at step {row['step']}; lower the learning "
                "rates (the trainer stops at the first non-finite loss).",
                {"step": float(row["step"])},
            )
    for key in ("d_real", "d_fake"):
        largest = max((abs(row[key]) for row in rows if key in row), default=0.0)
        if largest > t["diverging_logit"]:
            return Finding(
                "diverging",
                f"the mean logit {key} reached {largest:.3g} (a healthy discriminator's are a "
                "few units): the weights have blown up; lower the learning rates.",
                {"logit": largest},
            )
    if len(history) < 5:
        return None
    for key in ("d_grad_norm", "g_grad_norm"):
        if key not in history[0]:
            continue
        values = sorted(row[key] for row in history)
        median = values[len(values) // 2]
        peak = max(row[key] for row in rows)
        if median > 0 and peak > t["diverging_factor"] * median:
            return Finding(
                "diverging",
                f"{key} reached {peak:.3g}, {peak / median:.0f}x its median of {median:.3g} "
                "over the run: the updates are blowing up; lower the learning rates.",
                {"peak": peak, "median": median, "factor": peak / median},
            )
    return None


def _discriminator_wins(history, rows, loss, t) -> Finding | None:
    if loss not in _BOUNDED_LOSSES:
        return None
    d_adv = sum(_adversarial(row, "d") for row in rows) / len(rows)
    if d_adv >= t["d_wins_loss"]:
        return None
    values = {"d_loss": d_adv, "steps": _window_steps(history, rows)}
    detail = ""
    if loss in _PROBABILISTIC and "d_real" in rows[0]:
        values["D_real"] = _sigmoid(_mean(rows, "d_real"))
        values["D_fake"] = _sigmoid(_mean(rows, "d_fake"))
        detail = f" (D(x) {values['D_real']:.3f}, D(G(z)) {values['D_fake']:.3g})"
    return Finding(
        "discriminator wins",
        f"adversarial d_loss {d_adv:.3f} over the last {values['steps']:.0f} steps"
        f"{detail}, against {CHANCE_D_LOSS:.2f} for a discriminator that cannot tell: it "
        "separates every clip, and the generator learns from a signal that says only "
        "'fake'. Slow the discriminator down (equal learning rates, augment_shift, R1).",
        values,
    )


def _saturation(history, rows, loss, t) -> Finding | None:
    if loss == "minimax":
        g_adv = sum(_adversarial(row, "g") for row in rows) / len(rows)
        if g_adv > t["saturated_g_loss"]:
            d_fake = 1.0 - math.exp(g_adv)  # E[log(1 - D)] = g: D(G(z)) about 1 - e^g
            return Finding(
                "saturation",
                f"the minimax generator loss E[log(1 - D(G(z)))] is {g_adv:.4f} nats: "
                f"D(G(z)) is about {d_fake:.2g}, so its gradient is about {d_fake:.2g} times "
                "the non-saturating loss's. Use loss='nonsaturating'.",
                {"g_loss": g_adv, "D_fake": d_fake},
            )
    if "g_grad_norm" in history[0] and len(history) >= 5:
        peak = max(row["g_grad_norm"] for row in history)
        now = _mean(rows, "g_grad_norm")
        if peak > 0 and now < t["vanished_grad_fraction"] * peak:
            return Finding(
                "saturation",
                f"the generator's gradient norm fell to {now:.3g}, {now / peak:.2%} of its "
                f"peak of {peak:.3g}: it no longer learns anything from the discriminator.",
                {"g_grad_norm": now, "peak": peak},
            )
    return None


def _stalled(history, rows, t) -> Finding | None:
    if len(rows) < 3 or "d_real" not in rows[0]:
        return None
    d_adv = [_adversarial(row, "d") for row in rows]
    g_adv = [_adversarial(row, "g") for row in rows]
    moved = max(max(d_adv) - min(d_adv), max(g_adv) - min(g_adv))
    gap = abs(_mean(rows, "d_real") - _mean(rows, "d_fake"))
    if moved >= t["stalled_range"] or gap >= t["stalled_gap"]:
        return None
    return Finding(
        "stalled",
        f"over the last {_window_steps(history, rows):.0f} steps the adversarial "
        f"losses moved by {moved:.4f} at most and the mean logits of real and generated "
        f"clips are {gap:.3f} apart: neither player is learning (a learning rate far too "
        "small, or dead units). Raise the learning rates.",
        {"moved": moved, "logit_gap": gap},
    )


def _output_findings(outputs: OutputChecks, t) -> list[Finding]:
    found = []
    if outputs.spread_ratio is not None and outputs.spread_ratio < t["collapse_spread"]:
        found.append(Finding(
            "collapse",
            f"the clips of a digit spread {outputs.spread_ratio:.2f} as far apart as real "
            "clips of that digit: the generator says each digit (nearly) one way. Let the "
            "discriminator see the batch (minibatch_std) or change the loss.",
            {"spread_ratio": outputs.spread_ratio},
        ))
    if outputs.silent_fraction >= t["silent_fraction"]:
        found.append(Finding(
            "silent output",
            f"{outputs.silent_fraction:.0%} of the {outputs.clips} clips are below "
            f"{SILENCE_DB:.0f} dBFS RMS: check the generator's output range and the way back "
            "to audio (the spectrogram statistics).",
            {"silent_fraction": outputs.silent_fraction},
        ))
    if outputs.clipped_fraction >= t["clipped_fraction"]:
        found.append(Finding(
            "clipped output",
            f"{outputs.clipped_fraction:.1%} of the samples are at full scale (the real clips "
            "peak at 0.95): the output saturates.",
            {"clipped_fraction": outputs.clipped_fraction},
        ))
    tone = outputs.strongest_tone
    if tone is not None and tone[1] >= t["tone_db"]:
        found.append(Finding(
            "checkerboard tones",
            f"the line at {tone[0]:.0f} Hz stands {tone[1]:.1f} dB above the spectrum around "
            "it: a transposed convolution's pattern. Use upsample='nearest' or 'linear'.",
            {"frequency_hz": tone[0], "prominence_db": tone[1]},
        ))
    return found


def _healthy(rows, loss) -> Finding:
    d_adv = sum(_adversarial(row, "d") for row in rows) / len(rows)
    values = {"d_loss": d_adv}
    text = f"adversarial d_loss {d_adv:.2f}"
    if loss in _PROBABILISTIC:
        text += f" nats (chance: log 4 = {CHANCE_D_LOSS:.2f})"
    if "d_real" in rows[0] and loss in _PROBABILISTIC:
        values["D_real"] = _sigmoid(_mean(rows, "d_real"))
        values["D_fake"] = _sigmoid(_mean(rows, "d_fake"))
        text += f", D(x) {values['D_real']:.2f}, D(G(z)) {values['D_fake']:.2f}"
    if "d_grad_norm" in rows[0]:
        values["d_grad_norm"] = _mean(rows, "d_grad_norm")
        values["g_grad_norm"] = _mean(rows, "g_grad_norm")
        text += (
            f", gradient norms D {values['d_grad_norm']:.3g} and G {values['g_grad_norm']:.3g}"
        )
    return Finding("healthy", text + ": both players are learning.", values)


def diagnose(
    history: Sequence[dict[str, float]],
    loss: str = "nonsaturating",
    outputs: OutputChecks | None = None,
    window: int | None = None,
    thresholds: dict[str, float] | None = None,
) -> list[Finding]:
    """Named findings about a run, each with the numbers behind it.

    Args:
        history: the run's rows (``trainer.history`` or
            :func:`~audiogan_kit.training.read_history`), oldest first.
        loss: the run's ``TrainConfig.loss`` (what "winning" and "saturating" mean depends
            on it).
        outputs: :func:`audiogan_kit.metrics.check_outputs` of the run's clips, for the
            findings that only show in the sound.
        window: look at the rows of the last ``window`` steps (``None``: the last quarter of
            the run); the divergence check also reads the whole run.
        thresholds: replaces :data:`THRESHOLDS` (all keys).

    Returns:
        The findings, most serious first; ``[Finding("healthy", ...)]`` when nothing is
        wrong.

    Raises:
        ValueError: an empty history, or ``thresholds`` without every key.
    """
    t = dict(THRESHOLDS if thresholds is None else thresholds)
    missing = set(THRESHOLDS) - set(t)
    if missing:
        raise ValueError(f"thresholds needs every key of THRESHOLDS; missing {sorted(missing)}.")
    rows = last_rows(history, window)
    diverging = _diverging(history, rows, t)
    if diverging is not None and "step" in diverging.values:
        return [diverging]  # non-finite numbers: nothing else can be read from them
    found = [diverging] if diverging is not None else []
    wins = _discriminator_wins(history, rows, loss, t)
    found += [f for f in (wins, _saturation(history, rows, loss, t)) if f is not None]
    if wins is None:
        found += [f for f in [_stalled(history, rows, t)] if f is not None]
    if outputs is not None:
        found += _output_findings(outputs, t)
    return found or [_healthy(rows, loss)]


def format_findings(findings: Sequence[Finding]) -> str:
    """The findings, one ``- name: message`` line each (for ``print``)."""
    return "\n".join(f"- {finding}" for finding in findings)

