"""Speech enhancement: classical baselines, enhancing any clip with a trained generator,
and scoring enhancers on held-out pairs.

Introduced in notebooks/06_enhancement.ipynb.

- :mod:`~audiogan_kit.enhance.baselines`: spectral subtraction and the Wiener filter
  (NumPy and librosa only);
- :mod:`~audiogan_kit.enhance.inference`: :func:`enhance`, any length and rate through a
  generator that takes fixed windows (Hann overlap-add), and :func:`generator_enhancer`;
- :mod:`~audiogan_kit.enhance.scoring`: :func:`score_enhancers`, :func:`scores_by`,
  :func:`mean_gain`, :func:`pick_per_condition`.

The enhancer networks are in :mod:`audiogan_kit.models.segan`; training them is
:func:`audiogan_kit.training.train_enhancer` (:class:`~audiogan_kit.training.EnhancementGAN`);
noisy data is :func:`audiogan_kit.data.make_noisy_split`. Importing this package loads Keras
only when a generator is run.

Shapes: waveforms are float32 ``[samples]`` (or batches ``[clips, samples]``) in [-1, 1] at
``sample_rate`` Hz; a generator takes channels-last windows ``[batch, window, 1]``.
"""

from .baselines import BASELINES, spectral_subtraction, wiener_filter
from .inference import enhance, generator_enhancer, run_generator
from .scoring import mean_gain, pick_per_condition, score_enhancers, scores_by

__all__ = [
    "BASELINES",
    "enhance",
    "generator_enhancer",
    "mean_gain",
    "pick_per_condition",
    "run_generator",
    "score_enhancers",
    "scores_by",
    "spectral_subtraction",
    "wiener_filter",
]
