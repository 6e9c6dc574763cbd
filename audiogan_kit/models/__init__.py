"""Every network of the kit, built from ``keras.layers`` so it runs under TensorFlow and JAX.

Introduced in notebooks/02_models.ipynb.

- :mod:`~audiogan_kit.models.config`: :class:`ModelConfig`, the frozen description of a GAN's
  generator/discriminator pair, and :data:`MODEL_PRESETS`;
- :mod:`~audiogan_kit.models.gan`: the dense baseline, WaveGAN, SpecGAN and the 1-D SpecGAN,
  each registered in :data:`ARCHITECTURES`; :func:`build_generator`,
  :func:`build_discriminator`;
- :mod:`~audiogan_kit.models.segan`: SEGAN's enhancer generator and pair discriminator
  (:class:`EnhancerConfig`, :data:`ENHANCER_PRESETS`);
- :mod:`~audiogan_kit.models.metricgan`: a MetricGAN+-style mask enhancer and its metric
  discriminator, which predicts PESQ (:class:`MetricEnhancerConfig`);
- :mod:`~audiogan_kit.models.vocoder`: a MelGAN/HiFi-GAN-style vocoder (log-mel frames to
  waveforms) and its multi-scale / multi-period discriminators (:class:`VocoderConfig`);
- :mod:`~audiogan_kit.models.judge`: the digit classifier that evaluation scores audio with;
- :mod:`~audiogan_kit.models.blocks`: the building blocks they share (stem, upsampling,
  spectral norm, conditional logit head);
- :mod:`~audiogan_kit.models.saving` and :mod:`~audiogan_kit.models.summary`: ``.keras``
  files with ``safe_mode=True``; parameter counts, layer tables, receptive fields.

Shapes are channels last, time before frequency: a generator maps noise float32
``[batch, latent_dim]`` (+ label int32 ``[batch]``) to a waveform ``[batch, samples, 1]`` or a
spectrogram ``[batch, frames, bins, 1]`` in [-1, 1]; a discriminator maps that (+ label) to one
raw logit ``[batch, 1]``.
"""

from .config import CONDITIONING, MODEL_PRESETS, ModelConfig
from .gan import ARCHITECTURES, Architecture, build_discriminator, build_generator
from .judge import (
    JUDGE_FEATURES,
    JUDGE_PRESETS,
    JudgeConfig,
    build_judge_model,
    build_judge_networks,
)
from .metricgan import (
    PESQ_RANGE,
    MetricEnhancerConfig,
    build_mask_generator,
    build_metric_discriminator,
    normalised_pesq,
)
from .saving import load_model, save_model
from .segan import (
    ENHANCER_PRESETS,
    EnhancerConfig,
    build_enhancer_generator,
    build_pair_discriminator,
)
from .summary import layer_table, parameter_count, receptive_field
from .vocoder import (
    DISCRIMINATOR_KINDS,
    VOCODER_PRESETS,
    PeriodFold,
    VocoderConfig,
    build_vocoder_discriminator,
    build_vocoder_generator,
    split_discriminator_outputs,
)

__all__ = [
    "ARCHITECTURES",
    "CONDITIONING",
    "DISCRIMINATOR_KINDS",
    "ENHANCER_PRESETS",
    "MODEL_PRESETS",
    "PESQ_RANGE",
    "VOCODER_PRESETS",
    "PeriodFold",
    "VocoderConfig",
    "Architecture",
    "EnhancerConfig",
    "JUDGE_FEATURES",
    "JUDGE_PRESETS",
    "JudgeConfig",
    "MetricEnhancerConfig",
    "ModelConfig",
    "build_discriminator",
    "build_enhancer_generator",
    "build_generator",
    "build_judge_model",
    "build_judge_networks",
    "build_mask_generator",
    "build_metric_discriminator",
    "build_pair_discriminator",
    "build_vocoder_discriminator",
    "build_vocoder_generator",
    "layer_table",
    "load_model",
    "normalised_pesq",
    "parameter_count",
    "receptive_field",
    "save_model",
    "split_discriminator_outputs",
]
