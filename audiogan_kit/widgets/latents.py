"""Walking through a generator's noise space (notebooks/05_evaluation.ipynb).

:func:`interpolate_latents` makes the path between two noise vectors; :class:`LatentInterpolation`
drives a generator along it, so a learner hears and sees how the sound changes: a trained run
(``training.load_run``), a running ``Trainer``, or a function from noise to audio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from ..data import wav_bytes
from .players import audio_player

__all__ = ["LatentInterpolation", "interpolate_latents"]


def interpolate_latents(start: Any, end: Any, steps: int, method: str = "slerp") -> np.ndarray:
    """Points on the path between two noise vectors: float32 [steps, latent_dim].

    ``method="slerp"`` (spherical, the usual choice for Gaussian noise: the points keep about
    the norm of the ends, where a straight line passes through the low-norm middle that the
    generator rarely saw, Shoemake 1985 / White 2016):
    ``sin((1 - t) w) / sin(w) start + sin(t w) / sin(w) end`` with ``w`` the angle between
    the ends; falls back to the straight line when the ends are (anti)parallel.
    ``method="linear"``: ``(1 - t) start + t end``. ``t`` runs from 0 to 1 in ``steps``
    equal steps, so row 0 is ``start`` and the last row is ``end``.
    """
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"start and end must be noise vectors [latent_dim] of the same size, got shapes "
            f"{a.shape} and {b.shape}."
        )
    if int(steps) < 2:
        raise ValueError(f"steps must be at least 2 (both ends), got {steps}.")
    if method not in ("slerp", "linear"):
        raise ValueError(f"method must be 'slerp' or 'linear', got {method!r}.")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    cosine = a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if method == "linear" or np.sin(omega) < 1e-6:
        path = (1.0 - t) * a + t * b
    else:
        path = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return path.astype(np.float32)


Synthesize = Callable[[np.ndarray, np.ndarray], Any]


def _synthesizer(source: Any) -> tuple[Synthesize, int | None, bool | None, AudioConfig | None]:
    """(noise, labels) -> audio for a run, a trainer or a function; plus what the run knows.

    A run (``training.load_run``) has ``gan``, ``config`` and ``stats``; a ``Trainer`` has
    ``gan``, ``config`` and its ``sampler``'s ``stats``. Returns ``(synthesize, latent_dim,
    conditional, audio_config)``; the last three are ``None`` for a plain function.
    """
    is_run = hasattr(source, "gan") and hasattr(source, "config")
    if is_run and hasattr(source, "stats"):  # a trained run
        stats = source.stats
    elif is_run and hasattr(source, "sampler"):  # a Trainer
        stats = getattr(source.sampler, "stats", None)
    elif callable(source):
        return source, None, None, None
    else:
        raise ValueError(
            "generator must be a trained run (training.load_run(run_dir)), a Trainer, or a "
            "function (noise float32 [n, latent_dim], labels int32 [n]) -> audio [n, samples]; "
            f"got {type(source).__name__}."
        )
    from ..training import examples_to_audio

    def synthesize(noise: np.ndarray, labels: np.ndarray) -> np.ndarray:
        made = source.gan.generate(noise, labels)
        return examples_to_audio(made, source.config, stats)

    model = source.config.model
    return synthesize, model.latent_dim, model.conditional, source.config.audio


class LatentInterpolation(ipywidgets.VBox):
    """Walk from one noise vector to another: hear and see every point of the path.

    Args:
        generator: a trained run (``training.load_run``), a ``Trainer``, or a function
            ``(noise float32 [n, latent_dim], labels int32 [n]) -> float32 [n, samples]``.
        digit: the digit asked for (conditional generators; ignored otherwise).
        steps: points on the path, both ends included (>= 2).
        seed: seeds the two noise vectors (standard normal); "New ends" adds 1.
        method: ``"slerp"`` or ``"linear"`` (see :func:`interpolate_latents`).
        latent_dim: the noise size, needed only for a plain function.
        config: sample rate and STFT settings (default: the run's, else ``AudioConfig()``).
        columns: panels per row of the path picture (default: all in one row).

    Parts: ``.position`` (IntSlider over the path), ``.digit`` (Dropdown, conditional runs
    only, else ``None``), ``.new_ends`` (Button), ``.image`` (PNG: the spectrogram of every
    point of the path on one dB scale, the current one framed), ``.player`` (the current
    clip), ``.start_player`` / ``.end_player`` (the ends), ``.noise`` (float32
    [steps, latent_dim]) and ``.path_audio`` (float32 [steps, samples]) of the current path,
    ``.limits`` (the path's shared dB scale).
    """

    def __init__(
        self,
        generator: Any,
        digit: int = 0,
        steps: int = 7,
        seed: int = 0,
        method: str = "slerp",
        latent_dim: int | None = None,
        config: AudioConfig | None = None,
        columns: int | None = None,
    ) -> None:
        synthesize, run_latent, conditional, run_audio = _synthesizer(generator)
        self._synthesize = synthesize
        self.latent_dim = int(latent_dim if latent_dim is not None else run_latent or 0)
        if self.latent_dim <= 0:
            raise ValueError(
                "latent_dim must be given (a positive noise size) when generator is a plain "
                "function."
            )
        self.config = config if config is not None else (run_audio or DEFAULT_CONFIG)
        self.method = method
        self.seed = int(seed)
        self.columns = columns
        interpolate_latents(np.zeros(2), np.ones(2), steps, method)  # checks steps and method
        self.position = ipywidgets.IntSlider(
            value=0, min=0, max=int(steps) - 1, description="Path step", continuous_update=False
        )
        self.digit = None
        if conditional:
            classes = generator.config.model.num_classes
            if not 0 <= digit < classes:
                raise ValueError(f"digit must be in 0..{classes - 1}, got {digit}.")
            self.digit = ipywidgets.Dropdown(
                options=list(range(classes)), value=int(digit), description="Digit"
            )
        self._labels_value = int(digit)
        self.new_ends = ipywidgets.Button(description="New ends", icon="refresh")
        self.title = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        rate = self.config.sample_rate
        self.player = audio_player(np.zeros(1, np.float32), rate, "")
        self.start_player = audio_player(np.zeros(1, np.float32), rate, "")
        self.end_player = audio_player(np.zeros(1, np.float32), rate, "")
        self._pngs: dict[int, bytes] = {}
        controls = [self.position, *([self.digit] if self.digit else []), self.new_ends]
        players = ipywidgets.HBox([self.start_player, self.player, self.end_player])
        super().__init__([ipywidgets.HBox(controls), self.title, self.image, players])
        self._make_path()
        self._show()
        self.position.observe(lambda _: self._show(), names="value")
        if self.digit is not None:
            self.digit.observe(lambda _: self._refresh(), names="value")
        self.new_ends.on_click(lambda _: self._new_ends())

    @property
    def t(self) -> float:
        """Where the current clip lies on the path, 0 (start) to 1 (end)."""
        return self.position.value / self.position.max

    def _make_path(self) -> None:
        rng = np.random.default_rng(self.seed)
        ends = rng.standard_normal((2, self.latent_dim))
        steps = self.position.max + 1
        self.noise = interpolate_latents(ends[0], ends[1], steps, self.method)
        digit = self.digit.value if self.digit is not None else self._labels_value
        labels = np.full(steps, digit, dtype=np.int32)
        audio = as_batch(self._synthesize(self.noise, labels), "the generator's output")
        if audio.shape[0] != steps:
            raise ValueError(
                f"the generator returned {audio.shape[0]} clips for {steps} noise vectors."
            )
        self.path_audio = audio
        self.limits = plots.shared_db_limits(audio, self.config)
        self._pngs = {}
        rate = self.config.sample_rate
        self.start_player.audio.value = wav_bytes(audio[0], rate)
        self.start_player.label.value = "start (t = 0)"
        self.end_player.audio.value = wav_bytes(audio[-1], rate)
        self.end_player.label.value = "end (t = 1)"

    def _figure_png(self, index: int) -> bytes:
        if index not in self._pngs:
            figure = plots.latent_path_figure(
                self.path_audio, index, self.config, self.method, self.seed, self.columns
            )
            self._pngs[index] = plots.figure_to_png(figure)
        return self._pngs[index]

    def _show(self) -> None:
        index = self.position.value
        self.player.audio.value = wav_bytes(self.path_audio[index], self.config.sample_rate)
        self.player.label.value = f"now: t = {self.t:.2f}"
        self.image.value = self._figure_png(index)
        digit = f", digit {self.digit.value}" if self.digit is not None else ""
        self.title.value = (
            f"<b>Step {index} of {self.position.max}</b> (t = {self.t:.2f}{digit}); colour "
            f"scale {self.limits[0]:.0f} to {self.limits[1]:.0f} dB"
        )

    def _refresh(self) -> None:
        self._make_path()
        self._show()

    def _new_ends(self) -> None:
        self.seed += 1
        self._refresh()
