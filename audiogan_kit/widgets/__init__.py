"""Players, comparisons, browsers and dashboards for the notebooks (ipywidgets 8).

Introduced in notebooks/01_data.ipynb. One module per notebook topic:

- :mod:`~audiogan_kit.widgets.players`: a player per clip, player grids, spectrograms side by
  side with their players, the dataset browser (notebook 01);
- :mod:`~audiogan_kit.widgets.training`: the training dashboard (a training callback);
  :mod:`~audiogan_kit.widgets.comparison`: the run comparison;
  :mod:`~audiogan_kit.widgets.sample_sets`: a slider over a run's saved sample sets, with the
  judge's accuracy by step (notebook 04);
- :mod:`~audiogan_kit.widgets.evaluation`: real against generated clips, the judge's view;
  :mod:`~audiogan_kit.widgets.latents`: latent interpolation (notebook 05);
- :mod:`~audiogan_kit.widgets.enhancement`: before / after / clean, the enhancement explorer
  and dashboard, score tables (notebook 06).

Every clip a learner should hear gets an ``ipywidgets.Audio`` player (16-bit PCM wav, never
autoplaying). Pictures are the figures of :mod:`audiogan_kit.plots` (re-exported here)
rendered to PNG bytes inside an ``ipywidgets.Image``, so a widget's picture is a value that
changes when its controls change (and that a browser test can see change). Clips are float
``[samples]`` in [-1, 1] at ``sample_rate`` Hz; several clips are a 2-D array
``[clips, samples]`` or a list of 1-D arrays (lengths may differ).
"""

from ..features import spectrogram_db
from ..plots import (
    COLORMAP,
    DB_RANGE,
    METRIC_LABELS,
    clip_figure,
    confusion_figure,
    figure_to_png,
    fixed_db_limits,
    loss_figure,
    plot_spectrogram,
    plot_waveform,
    probability_figure,
    scores_by_snr_figure,
    shared_db_limits,
    spectrogram_figure,
)
from .comparison import RunComparison
from .enhancement import (
    EnhancementDashboard,
    EnhancementExplorer,
    compare_enhanced,
    enhancement_explorer,
    score_table,
)
from .evaluation import JUDGE_VIEW_ORDERS, JudgeView, RealVsGenerated
from .latents import LatentInterpolation, interpolate_latents
from .players import (
    DatasetBrowser,
    audio_player,
    compare_spectrograms,
    dataset_browser,
    paired_samples_view,
    player_grid,
)
from .sample_sets import SampleSetBrowser
from .training import RunDashboard, RunStillGoing, TrainingDashboard

__all__ = [
    "COLORMAP",
    "DB_RANGE",
    "JUDGE_VIEW_ORDERS",
    "METRIC_LABELS",
    "DatasetBrowser",
    "EnhancementDashboard",
    "EnhancementExplorer",
    "JudgeView",
    "LatentInterpolation",
    "RealVsGenerated",
    "RunComparison",
    "RunDashboard",
    "RunStillGoing",
    "SampleSetBrowser",
    "TrainingDashboard",
    "audio_player",
    "clip_figure",
    "compare_enhanced",
    "compare_spectrograms",
    "paired_samples_view",
    "confusion_figure",
    "dataset_browser",
    "enhancement_explorer",
    "figure_to_png",
    "fixed_db_limits",
    "interpolate_latents",
    "loss_figure",
    "player_grid",
    "plot_spectrogram",
    "plot_waveform",
    "probability_figure",
    "score_table",
    "scores_by_snr_figure",
    "shared_db_limits",
    "spectrogram_db",
    "spectrogram_figure",
]
