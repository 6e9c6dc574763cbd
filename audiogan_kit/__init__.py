"""audiogan-kit: GANs on audio, taught in the notebooks under notebooks/.

Modules, by responsibility (each readable top to bottom):

- ``config``   frozen configuration dataclasses, saved with every artefact
- ``data``     FSDD (found or downloaded, verified), any folder of audio, splits, pipelines
- ``features`` STFT, log-magnitude and log-mel features (in the model graph too), Griffin-Lim
- ``layers``   custom Keras layers: phase shuffle, label channels
- ``models``   dense baseline, WaveGAN and SpecGAN generators and discriminators
- ``losses``   the adversarial losses and gradient penalties
- ``backend``  the few lines that differ between the TensorFlow and JAX backends
- ``metrics``  a digit judge, Inception score, Fréchet distance, diversity, memorisation;
               PESQ, STOI, SI-SDR and segmental SNR for enhancement
- ``enhance``  classical baselines (spectral subtraction, Wiener), SEGAN models, ``enhance()``
- ``widgets``  players, spectrogram comparisons and browsers for notebooks
- ``cli``      the ``audiogan`` command

Submodules are imported on use, so ``import audiogan_kit`` stays light (no TensorFlow).
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) drowns notebook output;
# keep warnings and errors. A value the user set wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import AudioConfig  # noqa: E402

__version__ = "0.1.0"
__all__ = ["AudioConfig", "__version__"]
