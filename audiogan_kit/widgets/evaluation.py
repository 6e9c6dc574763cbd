"""Real against generated clips, and the judge's view of clips (notebooks/05_evaluation.ipynb).

These widgets take clips the notebook has already made and, for the judge's view, a judge
(anything with ``predict_proba(audio) -> float [clips, classes]``, such as
:class:`audiogan_kit.metrics.Judge`), so that importing them loads neither metrics nor
training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from .players import audio_player

__all__ = ["JUDGE_VIEW_ORDERS", "JudgeView", "RealVsGenerated"]


class RealVsGenerated(ipywidgets.VBox):
    """Real and generated clips of one digit side by side, on one dB scale; a digit selector.

    Args:
        real_audio: float [n, samples] real clips in [-1, 1] at ``config.sample_rate`` Hz.
        real_labels: int [n], their digits.
        generated_audio: float [m, samples] generated clips (same rate and length).
        generated_labels: int [m], the digit each was asked for (for an unconditional
            generator: the digit the judge heard, ``judge.predict(audio)``).
        config: sample rate and STFT settings of the pictures.
        per_digit: clips shown on each side (the first ``per_digit`` of the chosen digit; as
            many as both sides have, if fewer).
        class_names: display names of the labels (default ``"0"``..).

    Parts (for code and tests): ``.digit`` (Dropdown over the digits present on both sides),
    ``.image`` (PNG: real clips in the top row, generated ones below, one dB colour bar),
    ``.real_players`` and ``.generated_players`` (lists of players, in picture order),
    ``.limits`` (the shared ``(vmin, vmax)`` in dB of the clips shown) and ``.shown``
    (``(real rows, generated rows)``: the indices into the inputs, int64 arrays).
    """

    def __init__(
        self,
        real_audio: Any,
        real_labels: Any,
        generated_audio: Any,
        generated_labels: Any,
        config: AudioConfig = DEFAULT_CONFIG,
        per_digit: int = 3,
        class_names: Sequence[str] | None = None,
    ) -> None:
        self.real_audio = as_batch(real_audio, "real_audio")
        self.generated_audio = as_batch(generated_audio, "generated_audio")
        self.real_labels = plots.digit_labels(real_labels, len(self.real_audio), "real_labels")
        self.generated_labels = plots.digit_labels(
            generated_labels, len(self.generated_audio), "generated_labels"
        )
        if per_digit <= 0:
            raise ValueError(f"per_digit must be a positive number of clips, got {per_digit}.")
        self.config = config
        self.per_digit = int(per_digit)
        common = sorted(set(self.real_labels.tolist()) & set(self.generated_labels.tolist()))
        if not common:
            raise ValueError(
                "no digit has both real and generated clips: real digits "
                f"{sorted(set(self.real_labels.tolist()))}, generated digits "
                f"{sorted(set(self.generated_labels.tolist()))}."
            )
        self.class_names = (
            [str(name) for name in class_names] if class_names is not None else None
        )
        self.digit = ipywidgets.Dropdown(
            options=[(self._name(d), d) for d in common], value=common[0], description="Digit"
        )
        self.title = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.players_box = ipywidgets.VBox([])
        self.real_players: list[ipywidgets.VBox] = []
        self.generated_players: list[ipywidgets.VBox] = []
        self.limits = (0.0, 0.0)
        self.shown = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        super().__init__([self.digit, self.title, self.image, self.players_box])
        self._show()
        self.digit.observe(lambda _: self._show(), names="value")

    def _name(self, digit: int) -> str:
        names = self.class_names
        return names[digit] if names is not None and 0 <= digit < len(names) else str(digit)

    def _show(self) -> None:
        digit = self.digit.value
        real_rows = np.flatnonzero(self.real_labels == digit)
        made_rows = np.flatnonzero(self.generated_labels == digit)
        count = min(self.per_digit, real_rows.size, made_rows.size)
        real_rows, made_rows = real_rows[:count], made_rows[:count]
        self.shown = (real_rows, made_rows)
        clips = [*self.real_audio[real_rows], *self.generated_audio[made_rows]]
        name = self._name(digit)
        titles = [f"real {name} #{i}" for i in range(count)]
        titles += [f"generated {name} #{i}" for i in range(count)]
        rate = self.config.sample_rate
        self.limits = plots.shared_db_limits(clips, self.config)
        self.image.value = plots.figure_to_png(
            plots.spectrogram_figure(
                clips, titles, self.config,
                suptitle=f"Digit {name}: real (top) vs generated (bottom), one dB scale",
                columns=count,
            )
        )
        self.real_players = [
            audio_player(clip, rate, title)
            for clip, title in zip(clips[:count], titles[:count], strict=True)
        ]
        self.generated_players = [
            audio_player(clip, rate, title)
            for clip, title in zip(clips[count:], titles[count:], strict=True)
        ]
        self.players_box.children = [
            ipywidgets.HBox(self.real_players), ipywidgets.HBox(self.generated_players)
        ]
        self.title.value = (
            f"<b>Digit {name}</b>: {count} real and {count} generated clips, colour scale "
            f"{self.limits[0]:.0f} to {self.limits[1]:.0f} dB"
        )


#: Orders of :class:`JudgeView`: the clips as given, the judge's favourites first, or the
#: clips it finds least like the digit asked for first.
JUDGE_VIEW_ORDERS = ("given", "best", "worst")


class JudgeView(ipywidgets.VBox):
    """Listen to the judge: each clip, the digit the judge hears in it and how sure it is.

    Args:
        judge: anything with ``predict_proba(audio) -> float [clips, classes]`` (a
            :class:`audiogan_kit.metrics.Judge`); ``None`` when ``probabilities`` is given.
        audio: float [clips, samples] in [-1, 1] at ``config.sample_rate`` Hz.
        intended: int [clips], the digit each clip was asked for (optional).
        probabilities: float [clips, classes], the judge's output if already computed.
        order: ``"given"``; ``"best"``: highest probability of the digit asked for (without
            ``intended``: of the digit heard) first; ``"worst"``: lowest first.
        max_clips: how many clips are shown (the first ones in that order).
        columns: panels per row.
        config: sample rate and STFT settings.

    Parts: ``.order`` (ToggleButtons over :data:`JUDGE_VIEW_ORDERS`), ``.probabilities``
    (float [clips, classes], all clips), ``.shown`` (int64 rows of ``audio`` on screen, in
    order), ``.predicted`` / ``.confidence`` (the judged digit and its probability for the
    clips shown), ``.captions`` (one text per clip shown: "asked for 3, judge hears 3
    (p = 97%)"), ``.cards`` (one VBox per clip shown: caption and player, with ``.caption``
    and ``.player``), ``.image`` (PNG: spectrograms of the clips shown, one dB scale, the
    captions as titles) and ``.bars_image`` (PNG: :func:`~audiogan_kit.plots.probability_figure`).
    """

    def __init__(
        self,
        judge: Any,
        audio: Any,
        intended: Any = None,
        probabilities: Any = None,
        order: str = "given",
        max_clips: int = 10,
        columns: int = 5,
        config: AudioConfig = DEFAULT_CONFIG,
    ) -> None:
        self.audio = as_batch(audio, "audio")
        count = self.audio.shape[0]
        if intended is not None:
            intended = plots.digit_labels(intended, count, "intended")
        self.intended = intended
        if probabilities is None:
            if judge is None or not hasattr(judge, "predict_proba"):
                raise ValueError(
                    "pass a judge with predict_proba (metrics.load_or_train_judge()) or the "
                    "probabilities it gave."
                )
            probabilities = judge.predict_proba(self.audio)
        p = np.asarray(probabilities, dtype=np.float64)
        if p.ndim != 2 or p.shape[0] != count or p.shape[1] < 2:
            raise ValueError(
                f"probabilities must be float [clips, classes] = [{count}, classes], got shape "
                f"{p.shape}."
            )
        if order not in JUDGE_VIEW_ORDERS:
            raise ValueError(f"order must be one of {JUDGE_VIEW_ORDERS}, got {order!r}.")
        if max_clips <= 0 or columns <= 0:
            raise ValueError(f"max_clips and columns must be positive, got {max_clips}, {columns}.")
        self.probabilities = p
        self.config = config
        self.max_clips = int(max_clips)
        self.columns = int(columns)
        self.order = ipywidgets.ToggleButtons(
            options=list(JUDGE_VIEW_ORDERS), value=order, description="Order"
        )
        self.summary = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.bars_image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.cards_box = ipywidgets.GridBox(
            [],
            layout=ipywidgets.Layout(
                grid_template_columns=f"repeat({self.columns}, minmax(0, 1fr))",
                grid_gap="4px 12px",
            ),
        )
        super().__init__([self.order, self.summary, self.image, self.cards_box, self.bars_image])
        self._show()
        self.order.observe(lambda _: self._show(), names="value")

    def _ranking(self) -> np.ndarray:
        p = self.probabilities
        rows = np.arange(p.shape[0])
        if self.order.value == "given":
            return rows
        if self.intended is not None:
            inside = (self.intended >= 0) & (self.intended < p.shape[1])
            score = np.where(inside, p[rows, np.clip(self.intended, 0, p.shape[1] - 1)], 0.0)
        else:
            score = p.max(axis=1)
        ranked = np.argsort(-score if self.order.value == "best" else score, kind="stable")
        return ranked

    def _show(self) -> None:
        shown = self._ranking()[: self.max_clips]
        p = self.probabilities[shown]
        self.shown = shown.astype(np.int64)
        self.predicted = np.argmax(p, axis=1).astype(np.int64)
        self.confidence = p[np.arange(len(shown)), self.predicted]
        captions, titles = [], []
        for i, row in enumerate(shown):
            heard = f"judge hears {self.predicted[i]} (p = {self.confidence[i]:.0%})"
            if self.intended is None:
                captions.append(f"#{row}: {heard}")
                titles.append(f"#{row}: heard {self.predicted[i]}\np = {self.confidence[i]:.0%}")
            else:
                asked = int(self.intended[row])
                mark = "right" if asked == self.predicted[i] else "WRONG"
                captions.append(f"#{row} asked for {asked}: {heard}, {mark}")
                titles.append(
                    f"#{row}: asked {asked}, heard {self.predicted[i]}\n"
                    f"p = {self.confidence[i]:.0%} ({mark})"
                )
        self.captions = captions
        rate = self.config.sample_rate
        cards = []
        for clip, caption in zip(self.audio[shown], captions, strict=True):
            card = audio_player(clip, rate, caption)
            card.caption = card.label
            card.player = card.audio
            cards.append(card)
        self.cards = cards
        self.cards_box.children = cards
        self.image.value = plots.figure_to_png(
            plots.spectrogram_figure(
                self.audio[shown], titles, self.config,
                suptitle=f"The judge's view ({self.order.value} first), one dB scale",
                columns=self.columns,
            )
        )
        self.bars_image.value = plots.figure_to_png(
            plots.probability_figure(
                p, [f"#{row}" for row in shown],
                None if self.intended is None else self.intended[shown],
                columns=self.columns,
            )
        )
        text = f"{len(shown)} of {len(self.audio)} clips, {self.order.value} first"
        if self.intended is not None:
            accuracy = float(np.mean(np.argmax(self.probabilities, 1) == self.intended))
            text += f"; the judge hears the digit asked for in {accuracy:.0%} of all clips"
        self.summary.value = text
