"""The frozen description of a generator/discriminator pair, and named sizes.

Introduced in notebooks/02_models.ipynb.
"""

from __future__ import annotations

import dataclasses

from ..config import Config
from .blocks import UPSAMPLING

__all__ = ["CONDITIONING", "MODEL_PRESETS", "ModelConfig"]

#: How a conditional discriminator sees the label (see :class:`ModelConfig`).
CONDITIONING = ("projection", "concat")


@dataclasses.dataclass(frozen=True)
class ModelConfig(Config):
    """One generator/discriminator pair, frozen and saved with every checkpoint.

    Attributes:
        architecture: ``"dense"``, ``"wavegan"``, ``"specgan"``, ``"specgan1d"`` or
            ``"specgan-lite"`` (see :mod:`audiogan_kit.models.gan`).
        num_samples: waveform length in samples (``dense``, ``wavegan``); for WaveGAN a
            multiple of 1,024: 4,096, 8,192 (1.024 s at 8 kHz, the kit's default clip) or
            16,384 (the paper's).
        num_frames: spectrogram frames (``specgan``: a multiple of 32; ``specgan1d`` and
            ``specgan-lite``: of 16);
            64 = 8,192 samples at hop 128.
        num_bins: spectrogram frequency bins (``specgan``: a multiple of 32; ``specgan-lite``:
            of 16; ``specgan1d``: any); 128 = ``n_fft // 2`` at n_fft 256, or 64 mel bands.
        latent_dim: size of the noise vector z.
        model_dim: ``d``, the width multiplier (64 in the WaveGAN paper; 16 or 32 train on a
            CPU). Parameter counts grow as ``d^2``. For ``dense`` the hidden layers have
            ``4 d`` units.
        num_classes: number of labels to condition on (10 for digits), or 0 for an
            unconditional pair.
        label_dim: size of the generator's label embedding.
        conditioning: how the discriminator sees the label: ``"projection"`` or ``"concat"``.
        upsample: generator upsampling: ``"transpose"`` (transposed convolution, the
            papers'), ``"nearest"`` or ``"linear"`` (resize, then a stride-1 convolution:
            no checkerboard artefacts).
        batch_norm: batch normalisation after every hidden generator layer (the WaveGAN
            paper uses none). The discriminator never uses it: a gradient penalty needs
            examples scored independently.
        spectral_norm: spectral normalisation (Miyato et al. 2018) on every discriminator
            layer with a kernel (``keras.layers.SpectralNormalization``).
        phase_shuffle: WaveGAN discriminator phase-shuffle width ``n`` in samples (2 in the
            paper); 0 disables it. Ignored by the other architectures.
        kernel_size: convolution kernel; ``None`` means 25 (WaveGAN) or 5 (SpecGAN).
        discriminator_dim: the discriminator's width multiplier; ``None`` means
            ``model_dim`` (a generator wider than its discriminator: a smaller value).
        conditional_batch_norm: with ``batch_norm`` and labels, the generator's batch norms
            take their scale and shift from a per-class embedding (de Vries et al. 2017),
            so the label acts at every layer, not only at the input.
        aux_classifier: the discriminator also predicts the digit of its input (AC-GAN,
            Odena et al. 2017): a second output ``class_logits`` ``[batch, num_classes]``,
            trained with ``TrainConfig.aux_weight``.
        minibatch_std: the discriminator sees the standard deviation of its features over
            the batch (Karras et al. 2018), so a generator that makes the same clip every
            time is told apart.
    """

    architecture: str = "wavegan"
    num_samples: int = 8192
    num_frames: int = 64
    num_bins: int = 128
    latent_dim: int = 100
    model_dim: int = 64
    num_classes: int = 0
    label_dim: int = 50
    conditioning: str = "projection"
    upsample: str = "transpose"
    batch_norm: bool = False
    spectral_norm: bool = False
    phase_shuffle: int = 2
    kernel_size: int | None = None
    discriminator_dim: int | None = None
    conditional_batch_norm: bool = False
    aux_classifier: bool = False
    minibatch_std: bool = False

    def __post_init__(self) -> None:
        from .gan import ARCHITECTURES

        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {tuple(ARCHITECTURES)}, got {self.architecture!r}."
            )
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {self.upsample!r}.")
        if self.conditioning not in CONDITIONING:
            raise ValueError(
                f"conditioning must be one of {CONDITIONING}, got {self.conditioning!r}."
            )
        for name in ("latent_dim", "model_dim", "label_dim", "num_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}.")
        if self.num_classes < 0 or self.num_classes == 1:
            raise ValueError(
                f"num_classes must be 0 (unconditional) or >= 2, got {self.num_classes}."
            )
        if self.phase_shuffle < 0:
            raise ValueError(f"phase_shuffle must be >= 0 samples, got {self.phase_shuffle}.")
        if self.kernel_size is not None and self.kernel_size < 1:
            raise ValueError(f"kernel_size must be positive or None, got {self.kernel_size}.")
        if self.discriminator_dim is not None and self.discriminator_dim < 1:
            raise ValueError(
                f"discriminator_dim must be positive or None, got {self.discriminator_dim}."
            )
        if self.aux_classifier and not self.conditional:
            raise ValueError("aux_classifier needs labels: set num_classes (e.g. 10).")
        ARCHITECTURES[self.architecture].check(self)

    @property
    def conditional(self) -> bool:
        """Whether the models take a label input."""
        return self.num_classes > 0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one generated example, without the batch axis."""
        if self.is_spectrogram:
            return (self.num_frames, self.num_bins, 1)
        return (self.num_samples, 1)

    @property
    def is_spectrogram(self) -> bool:
        """Whether the models make and judge spectrograms (the SpecGANs)."""
        from .gan import ARCHITECTURES

        return ARCHITECTURES[self.architecture].domain == "spectrogram"

    @property
    def d_dim(self) -> int:
        """The discriminator's width multiplier in use."""
        return self.model_dim if self.discriminator_dim is None else self.discriminator_dim

    @property
    def kernel(self) -> int:
        """The convolution kernel size in use (25 for WaveGAN, 5 for SpecGAN by default)."""
        if self.kernel_size is not None:
            return self.kernel_size
        return 5 if self.is_spectrogram else 25


MODEL_PRESETS: dict[str, ModelConfig] = {
    "dense": ModelConfig(architecture="dense", model_dim=64),
    "wavegan-paper": ModelConfig(architecture="wavegan", num_samples=16384, model_dim=64),
    "wavegan": ModelConfig(architecture="wavegan", num_samples=8192, model_dim=64),
    "wavegan-cpu": ModelConfig(architecture="wavegan", num_samples=8192, model_dim=16),
    "specgan": ModelConfig(architecture="specgan", model_dim=64),
    "specgan-cpu": ModelConfig(architecture="specgan", model_dim=16),
}
"""Named starting points; change one option with
``dataclasses.replace(MODEL_PRESETS[name], ...)``."""
