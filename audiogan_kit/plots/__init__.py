"""Every matplotlib figure of the kit, without ipywidgets or Keras (the CLI draws with it too).

Introduced in notebooks/01_data.ipynb; the notebook widgets (:mod:`audiogan_kit.widgets`)
render these figures to PNG with :func:`figure_to_png`.

- :mod:`~audiogan_kit.plots.audio`: waveforms and dB spectrograms of clips, one colour scale
  for the spectrograms a figure compares (:data:`DB_RANGE`, :data:`COLORMAP`), a latent path,
  PNG rendering;
- :mod:`~audiogan_kit.plots.scores`: training losses, a judge's confusion matrix and
  probabilities, enhancement scores against the input SNR;
- :mod:`~audiogan_kit.plots.live`: what a training dashboard redraws while its run trains (a
  loss figure updated in place, a sample set beside real clips), laid out once;
- :mod:`~audiogan_kit.plots.game`: a run's game (adversarial losses, mean logits, gradient
  norms), several runs on the same axes;
- :mod:`~audiogan_kit.plots.inputs`: the checks of what figures and widgets accept (several
  clips, one title per clip, a sample rate, digit labels).

Every figure has a title, time axes in seconds, frequency axes in Hz and dB colour bars; a
function that returns a figure leaves it open (close it, or render it with
:func:`figure_to_png`, which closes it).
"""

from .audio import (
    COLORMAP,
    DB_RANGE,
    clip_figure,
    figure_to_png,
    fixed_db_limits,
    latent_path_figure,
    new_figure,
    plot_spectrogram,
    plot_waveform,
    shared_db_limits,
    spectrogram_figure,
    spectrogram_strip_figure,
)
from .game import game_figure
from .inputs import clip_list, clip_titles, digit_labels, sample_rate_hz
from .live import LiveLossFigure, render_png, sample_pairs_figure
from .scores import (
    LOSS_KEYS,
    METRIC_LABELS,
    confusion_figure,
    loss_figure,
    probability_figure,
    scores_by_snr_figure,
)

__all__ = [
    "COLORMAP",
    "DB_RANGE",
    "LOSS_KEYS",
    "LiveLossFigure",
    "METRIC_LABELS",
    "clip_figure",
    "clip_list",
    "clip_titles",
    "confusion_figure",
    "digit_labels",
    "figure_to_png",
    "game_figure",
    "fixed_db_limits",
    "latent_path_figure",
    "loss_figure",
    "new_figure",
    "plot_spectrogram",
    "plot_waveform",
    "probability_figure",
    "render_png",
    "sample_pairs_figure",
    "sample_rate_hz",
    "scores_by_snr_figure",
    "shared_db_limits",
    "spectrogram_figure",
    "spectrogram_strip_figure",
]
