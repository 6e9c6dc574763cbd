"""The state of a GAN's game over a run, one or several runs on the same axes.

Introduced in notebooks/07_troubleshooting.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .audio import new_figure

__all__ = ["game_figure"]


def _column(history: Sequence[dict], key: str, minus: Sequence[str] = ()) -> np.ndarray:
    return np.array([row[key] - sum(row.get(m, 0.0) for m in minus) for row in history])


def game_figure(
    runs: Mapping[str, Sequence[dict[str, float]]],
    title: str = "The game",
    chance_loss: float | None = math.log(4.0),
    pyplot: bool = True,
):
    """Three panels of history rows against the generator step, one colour per run.

    Left: the adversarial losses (``d_loss - penalty - aux_real`` solid, ``g_loss -
    aux_fake`` dashed), in nats for the probabilistic losses, with a dotted line at
    ``chance_loss`` (``log 4 = 1.39``: the discriminator loss when it says 1/2 to every
    clip; ``None``: no line). Middle: the mean discriminator logits on real (``d_real``,
    solid) and generated (``d_fake``, dashed) clips. Right: the gradient norms of the
    discriminator (solid) and the generator (dashed), on a log scale.

    Args:
        runs: ``{name: history rows}``, e.g. ``{"before": trainer.history, "after": ...}``;
            rows as :class:`~audiogan_kit.training.Trainer` logs them. Non-finite values
            are left out of the curves.
        title: the figure's title.

    Returns:
        A ``Figure`` (13 x 3.4 inches), bare with ``pyplot=False``.
    """
    if not runs:
        raise ValueError("runs is empty: give {name: history rows} with at least one run.")
    fig = new_figure(pyplot, figsize=(13, 3.4))
    axes = fig.subplots(1, 3)
    colours = [f"C{i}" for i in range(10)]
    for (name, history), colour in zip(runs.items(), colours * 10, strict=False):
        if not history:
            raise ValueError(f"run {name!r} has no history rows.")
        steps = np.array([row["step"] for row in history])
        panels = [
            (axes[0], _column(history, "d_loss", ("penalty", "aux_real")),
             _column(history, "g_loss", ("aux_fake",)), "d_loss", "g_loss"),
            (axes[1], _column(history, "d_real"), _column(history, "d_fake"),
             "d_real", "d_fake"),
            (axes[2], _column(history, "d_grad_norm"), _column(history, "g_grad_norm"),
             "D", "G"),
        ]
        for ax, solid, dashed, solid_label, dashed_label in panels:
            for values, style, label in ((solid, "-", solid_label), (dashed, "--", dashed_label)):
                finite = np.isfinite(values)
                ax.plot(steps[finite], values[finite], style, color=colour,
                        label=f"{name}: {label}")
    if chance_loss is not None:
        axes[0].axhline(chance_loss, color="grey", ls=":", lw=1, label=f"log 4 = {chance_loss:.2f}")
    axes[0].set(title="Adversarial losses", xlabel="generator step", ylabel="loss (nats)")
    axes[1].set(title="Mean discriminator logit", xlabel="generator step",
                ylabel="logit (log-odds of real)")
    axes[2].set(title="Gradient norms", xlabel="generator step", ylabel="global L2 norm")
    axes[2].set_yscale("log")
    for ax in axes:
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
