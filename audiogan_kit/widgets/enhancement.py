"""Speech enhancement: before / after / clean, an explorer, a dashboard, score tables
(notebooks/06_enhancement.ipynb).

An enhancer is ``fn(noisy float32 [clips, samples]) -> float32 [clips, samples]`` in [-1, 1]
(a classical baseline of :mod:`audiogan_kit.enhance`, or ``enhance.generator_enhancer`` of a
trained SEGAN generator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets
import numpy as np

from ..arrays import as_clip
from ..config import DEFAULT_CONFIG, AudioConfig
from .players import compare_spectrograms
from .training import RunDashboard

__all__ = [
    "EnhancementDashboard",
    "EnhancementExplorer",
    "compare_enhanced",
    "enhancement_explorer",
    "score_table",
]


def compare_enhanced(
    noisy: Any,
    enhancers: dict[str, Any],
    sample_rate: int = 8000,
    clean: Any | None = None,
    config: AudioConfig | None = None,
) -> ipywidgets.VBox:
    """Before / after (each enhancer) / clean: spectrograms on one dB scale, a player under each.

    Args:
        noisy: float [samples] in [-1, 1] at ``sample_rate`` Hz.
        enhancers: {name: fn(noisy float [clips, samples]) -> [clips, samples]}, e.g.
            ``{"Wiener": lambda x: enhance.wiener_filter(x, 8000),
            "SEGAN": enhance.generator_enhancer(generator)}``.
        clean: the clean reference float [samples], shown last when given.
        config: STFT settings (default ``AudioConfig()`` at ``sample_rate``).

    Returns:
        The :func:`compare_spectrograms` VBox (``.image``, ``.players``, ``.limits``) with
        ``.outputs`` = {"noisy", each enhancer name, "clean"?: float32 [samples]}.
    """
    noisy = as_clip(noisy, "noisy", finite=True)
    outputs = {"noisy": noisy}
    for name, fn in enhancers.items():
        enhanced = np.asarray(fn(noisy[None, :]), np.float32)[0]
        outputs[name] = as_clip(enhanced, f"{name}'s output", finite=True)
    if clean is not None:
        outputs["clean"] = as_clip(clean, "clean", finite=True)
    config = DEFAULT_CONFIG if config is None else config
    titles = [
        "noisy (before)" if name == "noisy" else "clean (target)" if name == "clean" else name
        for name in outputs
    ]
    widget = compare_spectrograms(list(outputs.values()), sample_rate, titles, config)
    widget.outputs = outputs
    return widget


class EnhancementExplorer(ipywidgets.VBox):
    """Pick a held-out noisy clip by SNR and noise type; hear and see it before and after.

    Parts: ``.snr`` (Dropdown of the test set's SNRs in dB), ``.noise_type`` (Dropdown),
    ``.clip`` (IntSlider over the pairs of that SNR and noise type), ``.scores`` (HTML table:
    PESQ and SI-SDR of the noisy input and of each enhancer against the clean clip), and
    ``.view``, the current :func:`compare_enhanced` VBox (``.view.image``: PNG of noisy /
    each enhancer / clean on one dB scale; ``.view.players``). ``.index`` is the chosen row
    of ``test``. Enhanced clips are cached, so moving back to a clip is instant.

    Args:
        test: a :class:`~audiogan_kit.data.NoisyDataset` (held-out pairs).
        enhancers: as for :func:`compare_enhanced`.
    """

    def __init__(self, test: Any, enhancers: dict[str, Any]) -> None:
        if len(test) == 0:
            raise ValueError("EnhancementExplorer needs a NoisyDataset with at least one pair.")
        self.test = test
        self.enhancers = dict(enhancers)
        self.config: AudioConfig = test.config
        self._cache: dict[int, Any] = {}
        snrs = sorted({float(s) for s in test.snr_db})
        noises = sorted({str(n) for n in test.noise_type})
        self.snr = ipywidgets.Dropdown(
            options=[(f"{s:g} dB", s) for s in snrs], value=snrs[0], description="SNR"
        )
        self.noise_type = ipywidgets.Dropdown(options=noises, value=noises[0], description="Noise")
        self.clip = ipywidgets.IntSlider(value=0, min=0, max=0, description="Clip")
        self.scores = ipywidgets.HTML()
        self.view_box = ipywidgets.VBox([])
        self.view: ipywidgets.VBox | None = None
        self.index = -1
        for control in (self.snr, self.noise_type):
            control.observe(self._on_selection, names="value")
        self.clip.observe(lambda change: self._show(), names="value")
        super().__init__(
            [ipywidgets.HBox([self.snr, self.noise_type, self.clip]), self.scores, self.view_box]
        )
        self._on_selection(None)

    def _rows(self) -> np.ndarray:
        test = self.test
        return np.flatnonzero(
            np.isclose(test.snr_db, self.snr.value) & (test.noise_type == self.noise_type.value)
        )

    def _on_selection(self, change: dict | None) -> None:
        count = len(self._rows())
        self.clip.max = max(count - 1, 0)
        self.clip.disabled = count <= 1
        if self.clip.value > self.clip.max:
            self.clip.value = 0  # triggers _show
        else:
            self._show()

    def _show(self) -> None:
        from ..metrics import pesq_nb, si_sdr

        rows = self._rows()
        if rows.size == 0:
            self.index = -1
            self.scores.value = "<i>No test pair has this SNR and noise type.</i>"
            self.view_box.children = []
            return
        self.index = int(rows[min(self.clip.value, rows.size - 1)])
        if self.index not in self._cache:
            self._cache[self.index] = compare_enhanced(
                self.test.noisy[self.index], self.enhancers, self.config.sample_rate,
                clean=self.test.clean[self.index], config=self.config,
            )
        self.view = self._cache[self.index]
        self.view_box.children = [self.view]
        clean = self.test.clean[self.index]
        cells = []
        for name, audio in self.view.outputs.items():
            if name == "clean":
                continue
            try:
                pesq = f"{pesq_nb(clean, audio, self.config.sample_rate):.2f}"
            except ValueError:
                pesq = "n/a"
            sdr = si_sdr(clean, audio)
            cells.append(f"<tr><td>{name}</td><td>{pesq}</td><td>{sdr:.1f}</td></tr>")
        speaker = self.test.speakers[self.index]
        digit = self.test.labels[self.index]
        self.scores.value = (
            f"<b>Digit {digit}, speaker {speaker}, {self.snr.value:g} dB "
            f"{self.noise_type.value} noise</b> (pair {self.index})"
            "<table><tr><th>method</th><th>PESQ (MOS)</th><th>SI-SDR (dB)</th></tr>"
            + "".join(cells) + "</table>"
        )


def enhancement_explorer(test: Any, enhancers: dict[str, Any]) -> EnhancementExplorer:
    """An :class:`EnhancementExplorer` over held-out pairs: SNR and noise-type selectors,
    noisy / enhanced / clean players and spectrograms, per-clip PESQ and SI-SDR."""
    return EnhancementExplorer(test, enhancers)


class EnhancementDashboard(RunDashboard):
    """A :class:`~audiogan_kit.widgets.training.RunDashboard` for an enhancer run: a callback
    of ``training.train_enhancer``, or ``start(config, pairs, run_dir, eval_dataset=test)``
    to train in the background (the Stop button then works while it trains).

    Same loss curves (``d_loss``; ``g_loss`` = adversarial + L1 term), status and Stop
    button; the sample view shows the first fixed evaluation clip noisy / enhanced / clean on
    one dB scale, with players, every ``sample_every`` steps.

    Args:
        sample_rate: of the clips, in Hz.
    """

    def make_trainer(self, config, dataset, run_dir, callbacks, log, allow_slow, **options):
        """An enhancer's trainer (``training.make_enhancer_trainer``; ``eval_dataset``)."""
        from ..training import make_enhancer_trainer

        return make_enhancer_trainer(
            config, dataset, run_dir, callbacks, log, allow_slow=allow_slow, **options
        )

    def on_samples(
        self, trainer: Any, step: int, samples: np.ndarray, audio: np.ndarray
    ) -> None:
        sampler = trainer.sampler
        clips = [sampler.noisy[0], audio[0], sampler.clean[0]]
        self.show_samples(clips, ["noisy", f"enhanced at step {step}", "clean"])


def score_table(rows: Sequence[dict[str, Any]], digits: int = 2) -> ipywidgets.HTML:
    """An HTML table of score rows (e.g. :func:`audiogan_kit.enhance.scores_by`): one column
    per key of the first row, floats rounded to ``digits`` decimals, missing values as n/a."""
    rows = list(rows)
    if not rows:
        return ipywidgets.HTML(value="<i>No scores.</i>")
    keys = list(rows[0])

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return "<td>n/a</td>"
        return f"<td>{value:.{digits}f}</td>" if isinstance(value, float) else f"<td>{value}</td>"

    head = "".join(f"<th>{key}</th>" for key in keys)
    body = "".join("<tr>" + "".join(cell(row.get(k)) for k in keys) + "</tr>" for row in rows)
    return ipywidgets.HTML(value=f"<table><tr>{head}</tr>{body}</table>")
