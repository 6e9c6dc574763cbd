"""audiogan-kit: GANs on audio, taught in the notebooks under notebooks/.

Packages and modules, by responsibility (each file readable top to bottom):

- ``config``     :class:`AudioConfig`, the :class:`~audiogan_kit.config.Config` JSON round
                 trip of every config, the shared optimisation fields
- ``arrays``     the one array contract: a clip, a batch, a pair, spectrograms
- ``io``         atomic writes and file digests
- ``backend/``   the few lines that differ between TensorFlow and JAX: gradients, compiled
                 steps, devices and data parallelism
- ``data/``      FSDD (pinned, verified), any folder of audio, decoding, datasets, the cache,
                 noise and noisy pairs
- ``features/``  STFT and log-mel in the model graph, SpecGAN statistics, back to audio
- ``layers``     every custom Keras layer of the kit
- ``models/``    GAN architectures (a registry), SEGAN's enhancer, the judge network
- ``losses``     adversarial losses, penalties, reconstruction losses
- ``training/``  configs and presets, the two-player models (GAN, EnhancementGAN), the
                 trainer, checkpoints, runs
- ``callbacks``  the callback protocol, progress bar, TensorBoard
- ``metrics/``   the judge, Inception score, Fréchet distance, diversity, memorisation,
                 references; speech quality (PESQ, STOI, SI-SDR)
- ``enhance/``   classical baselines, enhancing any clip, scoring enhancers
- ``plots/``     every matplotlib figure (no ipywidgets)
- ``widgets/``   players, browsers, dashboards and explorers for the notebooks
- ``progress``   progress bars: tqdm on a terminal or in a notebook, periodic lines in a log
- ``cli``        the ``audiogan`` command (``python -m audiogan_kit``); ``cli_train`` its
                 ``train`` sub-command, ``cli_types`` its option types

Subpackages are imported on use, so ``import audiogan_kit`` stays light (no TensorFlow).
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) drowns notebook output;
# keep warnings and errors. A value the user set wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import AudioConfig  # noqa: E402

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)
__all__ = ["AudioConfig", "__version__"]
