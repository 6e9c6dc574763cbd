"""What defines a training run: :class:`TrainConfig` (a GAN), :class:`EnhancerTrainConfig`
(the SEGAN speech enhancer) and :class:`MetricEnhancerTrainConfig` (the MetricGAN+-style
mask enhancer), and their named presets.

Introduced in notebooks/04_training.ipynb and notebooks/06_enhancement.ipynb.

Both derive from :class:`~audiogan_kit.config.OptimizerConfig` (batch, steps, Adam,
checkpoints, precision) and are frozen; a run saves its config as ``config.json`` and inside
every checkpoint. Change one option of a preset with ``dataclasses.replace``. Why each preset
is what it is, with the measurements, is in ``benchmarks/presets.md``.
"""

from __future__ import annotations

import dataclasses

from .. import losses
from ..config import AudioConfig, OptimizerConfig
from ..models import (
    ENHANCER_PRESETS,
    VOCODER_PRESETS,
    EnhancerConfig,
    MetricEnhancerConfig,
    ModelConfig,
    VocoderConfig,
)

__all__ = [
    "ENHANCER_TRAIN_PRESETS",
    "METRIC_ENHANCER_TRAIN_PRESETS",
    "SPECTROGRAMS",
    "TRAIN_PRESETS",
    "VOCODER_TRAIN_PRESETS",
    "EnhancerTrainConfig",
    "MetricEnhancerTrainConfig",
    "TrainConfig",
    "VocoderTrainConfig",
    "for_classes",
]

#: What a SpecGAN generates: log-magnitude STFT bins, or log-mel bands.
SPECTROGRAMS = ("linear", "mel")


@dataclasses.dataclass(frozen=True)
class TrainConfig(OptimizerConfig):
    """Everything that defines a GAN training run; frozen, saved with every checkpoint.

    The optimisation fields (learning rates, Adam betas, batch size, steps, seed,
    checkpoints, logging, XLA, precision) are those of
    :class:`~audiogan_kit.config.OptimizerConfig`; the WaveGAN paper uses Adam 1e-4 (0.5,
    0.9) and batch 64, the defaults. One "step" is ``n_critic`` discriminator updates and one
    generator update.

    Attributes:
        model: the generator/discriminator pair (:class:`~audiogan_kit.models.ModelConfig`).
        audio: how clips are read and turned into spectrograms.
        spectrogram: for the SpecGANs (``"specgan"``, ``"specgan1d"``, ``"specgan-lite"``):
            ``"linear"`` (log-magnitude STFT, ``model.num_bins == audio.num_bins``, 128 bins) or
            ``"mel"`` (log-mel, ``model.num_bins == audio.n_mels``, 64 bands). Ignored by
            waveform models.
        loss: a key of :data:`audiogan_kit.losses.LOSSES` (``"minimax"``,
            ``"nonsaturating"``, ``"lsgan"``, ``"hinge"``, ``"wgan-gp"``).
        gp_weight: weight of the loss's own penalty (``wgan-gp``: lambda, 10 by default);
            ``None`` means the default of :data:`audiogan_kit.losses.PENALTIES`.
        r1_weight: gamma of an optional R1 penalty on real data (0 = off).
        n_critic: discriminator updates per generator update (5 in the WaveGAN paper).
        ema_decay: decay of the exponential moving average of the generator's weights used
            for sampling (e.g. 0.999); ``None`` samples from the raw weights.
        griffin_lim_iters: Griffin-Lim iterations when SpecGAN samples are made audible.
        devices: how many devices to split each batch over (data parallelism: every device
            holds a copy of the models; ``tf.distribute.MirroredStrategy`` under TensorFlow,
            ``keras.distribution.DataParallel`` under JAX). 1 = one device (the first GPU
            when there is one); ``batch_size`` is the global batch and must be a multiple.
        aux_weight: weight of the auxiliary-classifier term (needs
            ``model.aux_classifier``): class information in the discriminator buys
            recognisable digits at the cost of variety within a digit; 0 = off.
        augment_shift: random shift in time of every discriminator input, in steps of the
            model's time axis (frames of a spectrogram, samples of a waveform); 0 = off.
        ema_warmup: EMA warm-up in generator steps (see :class:`~audiogan_kit.training.GAN`);
            0 = a constant decay.
        output_pad_mode: where the sound sits in the clips the generator's output becomes:
            ``None`` keeps the layout the training clips were read with (``audio.pad_mode``);
            ``"end"`` or ``"center"`` trims the silence around it (``audio.trim_db``, else
            40 dB) and pads at the end or both ends (:func:`audiogan_kit.data.place_sound`).
            A preset that trains on centred words gives ``"end"``: FSDD's recordings start
            with the word.
        output_normalize: scale every generated clip as the training clips were scaled when
            read (``audio.normalize``: by default each clip's peak at ``audio.peak_level``;
            :func:`audiogan_kit.data.normalize_level`), after ``output_pad_mode``. The
            generator learns the level of the log spectrogram only roughly and the way back to
            audio loses some of it, while every FSDD clip it learned from peaks at 0.95. It
            also lifts a nearly silent clip to full level, which hides a failed run's silence.
        feature_matching: weight of the feature-matching term in the generator's loss
            (:func:`audiogan_kit.losses.feature_matching_loss`: the discriminator's mean
            features on real and generated clips, per digit when conditional, pulled
            together); 0 = off.
        sample_temperature: the standard deviation of the noise the generator is given when
            it is sampled (evaluation sets, ``load_run(...).generate``, the benchmarks;
            training always draws standard normal noise): below 1 trades variety within a
            digit for clips nearer the typical one (Kingma & Dhariwal 2018's temperature, a
            simple form of Brock et al. 2019's truncation trick).

    ``num_eval_samples`` evaluation samples are made from fixed noise, with labels
    ``0, 1, ..., num_classes - 1, 0, ...`` when the model is conditional.
    """

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    spectrogram: str = "linear"
    loss: str = "wgan-gp"
    gp_weight: float | None = None
    r1_weight: float = 0.0
    n_critic: int = 5
    ema_decay: float | None = 0.999
    griffin_lim_iters: int = 32
    devices: int = 1
    aux_weight: float = 0.0
    augment_shift: int = 0
    ema_warmup: int = 0
    output_pad_mode: str | None = None
    output_normalize: bool = False
    sample_temperature: float = 1.0
    feature_matching: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in losses.LOSSES:
            raise ValueError(f"loss must be one of {sorted(losses.LOSSES)}, got {self.loss!r}.")
        if self.spectrogram not in SPECTROGRAMS:
            raise ValueError(
                f"spectrogram must be one of {SPECTROGRAMS}, got {self.spectrogram!r}."
            )
        for name in ("n_critic", "griffin_lim_iters"):
            if int(getattr(self, name)) < 1:
                raise ValueError(
                    f"{name} must be a positive integer, got {getattr(self, name)}."
                )
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {self.ema_decay}.")
        if self.r1_weight < 0 or (self.gp_weight is not None and self.gp_weight < 0):
            raise ValueError("gp_weight and r1_weight must be >= 0.")
        if self.aux_weight < 0 or (self.aux_weight > 0 and not self.model.aux_classifier):
            raise ValueError(
                f"aux_weight must be >= 0, and > 0 only with ModelConfig(aux_classifier=True); "
                f"got {self.aux_weight} with aux_classifier={self.model.aux_classifier}."
            )
        length = self.model.num_frames if self.model.is_spectrogram else self.model.num_samples
        if not 0 <= self.augment_shift < length or self.ema_warmup < 0:
            raise ValueError(
                f"augment_shift must be in 0..{length - 1} steps and ema_warmup >= 0, got "
                f"{self.augment_shift} and {self.ema_warmup}."
            )
        if self.output_pad_mode not in (None, "end", "center"):
            raise ValueError(
                f"output_pad_mode must be None, 'end' or 'center', got {self.output_pad_mode!r}."
            )
        if self.feature_matching < 0:
            raise ValueError(
                f"feature_matching must be >= 0 (0 = off), got {self.feature_matching}."
            )
        if not 0 < self.sample_temperature <= 10:
            raise ValueError(
                f"sample_temperature must be in (0, 10], got {self.sample_temperature}."
            )
        if int(self.devices) < 1 or self.batch_size % int(self.devices):
            raise ValueError(
                f"devices must be a positive integer that divides batch_size={self.batch_size} "
                f"(each device gets batch_size / devices examples), got devices={self.devices}."
            )
        self._check_shapes()

    def _check_shapes(self) -> None:
        model, audio = self.model, self.audio
        if model.is_spectrogram:
            bins = audio.n_mels if self.spectrogram == "mel" else audio.num_bins
            if (model.num_frames, model.num_bins) != (audio.num_frames, bins):
                kind = "mel bands" if self.spectrogram == "mel" else "bins"
                raise ValueError(
                    f"the SpecGAN model expects {model.num_frames} x {model.num_bins} "
                    f"spectrograms but the audio config gives {audio.num_frames} frames x "
                    f"{bins} {kind}; set ModelConfig(num_frames={audio.num_frames}, "
                    f"num_bins={bins})."
                )
        elif model.num_samples != audio.num_samples:
            raise ValueError(
                f"the {model.architecture} model makes {model.num_samples} samples but the "
                f"audio config has num_samples={audio.num_samples}; make them equal."
            )

    @property
    def penalty_weight(self) -> float:
        """The weight of the loss's own penalty (0 when the loss has none)."""
        if self.loss not in losses.PENALTIES:
            return 0.0
        if self.gp_weight is None:
            return losses.PENALTIES[self.loss][1]
        return float(self.gp_weight)

    @property
    def is_spectrogram(self) -> bool:
        return self.model.is_spectrogram


def for_classes(config: TrainConfig, num_classes: int) -> TrainConfig:
    """``config`` for data of ``num_classes`` classes (your own folder, say): conditional on
    them for 2 or more, unconditional for 0 or 1 (no label input, no classifier head, no
    classifier term)."""
    classes = int(num_classes) if num_classes > 1 else 0
    if classes == config.model.num_classes:
        return config
    head = config.model.aux_classifier and classes > 0
    model = dataclasses.replace(config.model, num_classes=classes, aux_classifier=head)
    return dataclasses.replace(config, model=model, aux_weight=config.aux_weight if head else 0.0)


# Words trimmed at 40 dB and centred, 32 frames of a 64 ms STFT at a 32 ms hop.
_QUICK_AUDIO = AudioConfig(trim_db=40.0, pad_mode="center", n_fft=512, hop_length=256)
TRAIN_PRESETS: dict[str, TrainConfig] = {
    # A small conditional 2-D SpecGAN on 32 frames x 64 log-mel bands with an EMA generator
    # and a discriminator that also names the digit, for a laptop CPU
    # (how it was chosen: benchmarks/presets.md).
    "quick": TrainConfig(
        model=ModelConfig(
            architecture="specgan-lite",
            num_frames=_QUICK_AUDIO.num_frames,
            num_bins=_QUICK_AUDIO.n_mels,
            latent_dim=64,
            model_dim=8,
            kernel_size=3,
            num_classes=10,
            label_dim=16,
            conditioning="projection",
            upsample="nearest",
            batch_norm=True,
            spectral_norm=False,
            aux_classifier=True,
            minibatch_std=True,
        ),
        audio=_QUICK_AUDIO,
        spectrogram="mel",
        loss="nonsaturating",
        n_critic=1,
        g_learning_rate=1e-3,
        d_learning_rate=1e-3,
        beta_2=0.99,
        batch_size=32,
        num_steps=3000,
        ema_decay=0.995,
        aux_weight=0.25,
        augment_shift=2,
        output_pad_mode="end",
        checkpoint_every=500,
        sample_every=500,
        log_every=20,
    ),
    # The WaveGAN paper (Donahue et al. 2019): d = 64, batch 64, WGAN-GP (lambda 10),
    # 5 critic updates per generator update, Adam 1e-4 (0.5, 0.9), phase shuffle 2, no EMA.
    # The kit's clips are 8,192 samples at 8 kHz (the paper: 16,384 at 16 kHz). For a GPU.
    "paper": TrainConfig(
        model=ModelConfig(architecture="wavegan", num_samples=8192, model_dim=64, num_classes=0),
        audio=AudioConfig(),
        loss="wgan-gp",
        n_critic=5,
        batch_size=64,
        num_steps=100_000,
        ema_decay=None,
        checkpoint_every=1000,
        sample_every=1000,
        log_every=50,
    ),
}
"""Named GAN runs; ``dataclasses.replace(TRAIN_PRESETS["quick"], num_steps=...)``."""


@dataclasses.dataclass(frozen=True)
class EnhancerTrainConfig(OptimizerConfig):
    """Everything that defines an enhancer training run; frozen, saved with every checkpoint.

    The optimisation fields are those of :class:`~audiogan_kit.config.OptimizerConfig`
    (SEGAN: learning rate 2e-4); one step is one discriminator and one generator update.

    Attributes:
        model: the generator/discriminator sizes (:class:`~audiogan_kit.models.EnhancerConfig`);
            ``model.num_samples`` must equal ``audio.num_samples`` (whole clips are windows).
        audio: the audio config of the (noisy, clean) pairs.
        l1_weight: weight of :func:`~audiogan_kit.losses.l1_loss` in the generator's loss
            (100 in SEGAN).
        adversarial_weight: weight of the least-squares adversarial term; 0 trains the
            generator with the reconstruction terms alone and never updates the
            discriminator (the ablation that shows what the adversarial term adds).
        spectral_weight: weight of :func:`~audiogan_kit.losses.spectral_loss`
            (multi-resolution log-magnitude STFT L1) in the generator's loss; 0 = SEGAN's loss.
        spectral_fft_sizes: the STFT sizes in samples of the spectral term, each from 16 to
            ``audio.num_samples``.

    ``num_eval_samples`` fixed noisy clips are enhanced at every ``sample_every`` steps.
    """

    model: EnhancerConfig = dataclasses.field(
        default_factory=lambda: ENHANCER_PRESETS["segan-cpu"]
    )
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    l1_weight: float = 100.0
    adversarial_weight: float = 1.0
    spectral_weight: float = 0.0
    spectral_fft_sizes: tuple[int, ...] = (128, 256, 512)
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_2: float = 0.999
    batch_size: int = 16
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    sample_every: int = 250
    num_eval_samples: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "spectral_fft_sizes", tuple(int(n) for n in self.spectral_fft_sizes)
        )
        weights = (self.l1_weight, self.adversarial_weight, self.spectral_weight)
        if min(weights) < 0:
            raise ValueError(
                "l1_weight, adversarial_weight and spectral_weight must be >= 0, got "
                f"{self.l1_weight}, {self.adversarial_weight} and {self.spectral_weight}."
            )
        if max(weights) == 0:
            raise ValueError(
                "l1_weight, adversarial_weight and spectral_weight are all 0: nothing to train."
            )
        sizes = self.spectral_fft_sizes
        if self.spectral_weight > 0 and (
            not sizes or min(sizes) < 16 or max(sizes) > self.audio.num_samples
        ):
            raise ValueError(
                f"spectral_fft_sizes={sizes}: give one or more STFT sizes between 16 samples "
                f"and the clip length ({self.audio.num_samples}), e.g. (128, 256, 512)."
            )
        if self.model.num_samples != self.audio.num_samples:
            raise ValueError(
                f"the enhancer takes windows of {self.model.num_samples} samples but the audio "
                f"config has num_samples={self.audio.num_samples}; make them equal."
            )
        if self.model.sample_rate != self.audio.sample_rate:
            raise ValueError(
                f"the enhancer runs at {self.model.sample_rate} Hz but the audio is at "
                f"{self.audio.sample_rate} Hz; make them equal."
            )

    @property
    def l1_only(self) -> bool:
        """True when the adversarial term is off (no discriminator update)."""
        return self.adversarial_weight == 0


ENHANCER_TRAIN_PRESETS: dict[str, EnhancerTrainConfig] = {
    # SEGAN for a laptop CPU: the CPU-sized generator, residual (its zeroed last layer makes
    # it start as the identity), kernel 16 (a multiple of the stride: evenly overlapping
    # transposed convolutions), Adam 5e-4, plus the multi-resolution log-spectral term.
    "quick": EnhancerTrainConfig(
        model=dataclasses.replace(ENHANCER_PRESETS["segan-cpu"], residual=True, kernel_size=16),
        spectral_weight=10.0,
        batch_size=16,
        num_steps=300,
        g_learning_rate=5e-4,
        d_learning_rate=5e-4,
        checkpoint_every=150,
        sample_every=150,
    ),
    # The paper's sizes and settings (batch 400 in SEGAN; 100 on one GPU here), for a GPU.
    "paper": EnhancerTrainConfig(
        model=ENHANCER_PRESETS["segan"],
        batch_size=100,
        num_steps=20_000,
        g_learning_rate=2e-4,
        d_learning_rate=2e-4,
        checkpoint_every=1000,
        sample_every=1000,
        log_every=50,
    ),
}
"""Named enhancer runs; ``dataclasses.replace(ENHANCER_TRAIN_PRESETS["quick"],
adversarial_weight=0)`` is the same generator without the adversarial term."""


@dataclasses.dataclass(frozen=True)
class MetricEnhancerTrainConfig(OptimizerConfig):
    """Everything that defines a mask-enhancer (MetricGAN+-style) run; frozen, saved with
    every checkpoint.

    One step is one update of the metric discriminator (on the current enhancer's outputs,
    the noisy inputs and the clean clips, each against the clean clip, with their true
    normalised PESQ as targets) and one of the mask generator (towards a predicted score of
    1); see :class:`~audiogan_kit.training.MetricEnhancementGAN`.

    Attributes:
        model: the networks' sizes (:class:`~audiogan_kit.models.MetricEnhancerConfig`);
            ``model.num_samples`` must equal ``audio.num_samples``.
        audio: the audio config of the (noisy, clean) pairs.
        adversarial_weight: weight of the metric term ``(D(enhanced, clean) - 1)^2``; 0
            trains the mask on the magnitude term alone and never updates the
            discriminator nor computes a PESQ (the ablation: what the learned metric adds).
        magnitude_weight: weight of the STFT-magnitude L1 term
            (:func:`~audiogan_kit.losses.magnitude_loss`, power-compressed STFT magnitudes);
            0 = MetricGAN+'s loss (the metric term alone).
        discriminator_warmup: steps at the start during which only the discriminator
            learns (the generator waits for a critic that knows something about PESQ).
        num_eval_samples: fixed noisy clips enhanced every ``sample_every`` steps.
    """

    model: MetricEnhancerConfig = dataclasses.field(default_factory=MetricEnhancerConfig)
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    adversarial_weight: float = 1.0
    magnitude_weight: float = 0.0
    discriminator_warmup: int = 0
    g_learning_rate: float = 5e-4
    d_learning_rate: float = 5e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    batch_size: int = 16
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    sample_every: int = 250
    num_eval_samples: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        weights = (self.adversarial_weight, self.magnitude_weight)
        if min(weights) < 0 or max(weights) == 0:
            raise ValueError(
                "adversarial_weight and magnitude_weight must be >= 0 and not both 0, got "
                f"{self.adversarial_weight} and {self.magnitude_weight}; e.g. 1 and 0 "
                "(MetricGAN+), or 0 and 1 (the mask on the magnitude loss alone)."
            )
        if not 0 <= self.discriminator_warmup < self.num_steps:
            raise ValueError(
                f"discriminator_warmup must be in 0..num_steps - 1 = {self.num_steps - 1} "
                f"steps, got {self.discriminator_warmup}."
            )
        if self.model.num_samples != self.audio.num_samples:
            raise ValueError(
                f"the mask enhancer takes windows of {self.model.num_samples} samples but the "
                f"audio config has num_samples={self.audio.num_samples}; make them equal."
            )
        if self.model.sample_rate != self.audio.sample_rate or self.audio.sample_rate not in (
            8000,
            16000,
        ):
            raise ValueError(
                f"the mask enhancer runs at {self.model.sample_rate} Hz and the audio is at "
                f"{self.audio.sample_rate} Hz; make them equal, 8,000 or 16,000 Hz (the rates "
                "narrow-band PESQ is defined at)."
            )

    @property
    def l1_only(self) -> bool:
        """True when the adversarial (metric) term is off: no discriminator, no PESQ."""
        return self.adversarial_weight == 0


METRIC_ENHANCER_TRAIN_PRESETS: dict[str, MetricEnhancerTrainConfig] = {
    # The learned-PESQ term plus the magnitude term on a CPU-sized mask network, the
    # discriminator alone for the first 100 steps. 0.8-1.7 steps/s measured on a shared
    # 2-core CPU (the PESQ of each batch's 16 enhanced clips is much of a step): 300 steps
    # in 3-7 minutes. MetricGAN+'s own loss is ``magnitude_weight=0``; alone, the metric term led
    # the mask astray in runs this short (benchmarks/presets.md, session 5).
    "quick": MetricEnhancerTrainConfig(
        adversarial_weight=1.0,
        magnitude_weight=1.0,
        discriminator_warmup=100,
        num_steps=300,
        checkpoint_every=150,
        sample_every=150,
        log_every=10,
    ),
    # The same mask network and magnitude term without the metric term: no
    # discriminator, no PESQ (about 10 steps/s). What the adversarial term adds is the
    # difference between the two.
    "quick-no-adversarial": MetricEnhancerTrainConfig(
        adversarial_weight=0.0,
        magnitude_weight=1.0,
        num_steps=300,
        checkpoint_every=150,
        sample_every=150,
        log_every=10,
    ),
}
"""Named mask-enhancer runs (``train_enhancer`` takes them as it takes the SEGAN ones)."""


@dataclasses.dataclass(frozen=True)
class VocoderTrainConfig(OptimizerConfig):
    """Everything that defines a vocoder training run; frozen, saved with every checkpoint.

    One step is one discriminator and one generator update of a
    :class:`~audiogan_kit.training.VocoderGAN` on (log-mel, clip) pairs. HiFi-GAN trains
    with AdamW 2e-4, betas (0.8, 0.99); the defaults here are Adam with those numbers.

    Attributes:
        model: the generator/discriminator sizes (:class:`~audiogan_kit.models.VocoderConfig`);
            ``model.hop_length`` and ``model.n_mels`` must be ``audio``'s.
        audio: how clips are read and turned into log-mel frames (default: the quick
            SpecGAN preset's, so the vocoder takes that GAN's features); ``num_samples``
            must be a multiple of ``hop_length``.
        stft_weight: weight of :func:`~audiogan_kit.losses.multi_resolution_stft_loss`.
        feature_weight: weight of :func:`~audiogan_kit.losses.discriminator_feature_loss`
            (MelGAN: 10; HiFi-GAN: 2).
        adversarial_weight: weight of the least-squares generator term. With it and
            ``feature_weight`` both 0 the discriminator never trains (STFT loss alone).
        stft_resolutions: ``(n_fft, hop)`` pairs of the STFT term, ``n_fft`` from 16 to
            the training length (``segment_length``, else ``audio.num_samples``).
        adversarial_start: generator updates on the STFT term alone before the adversarial
            and feature terms join (Parallel WaveGAN: 100k).
        segment_length: samples of each training example: a random segment of every clip
            (a whole number of hops, at most ``audio.num_samples``) with the log-mel frames
            it came from, as MelGAN and HiFi-GAN train; ``None`` trains on whole clips.
            Evaluation samples always use whole clips.
    """

    model: VocoderConfig = dataclasses.field(default_factory=lambda: VOCODER_PRESETS["quick"])
    audio: AudioConfig = dataclasses.field(default_factory=lambda: _QUICK_AUDIO)
    stft_weight: float = 1.0
    feature_weight: float = 2.0
    adversarial_weight: float = 1.0
    stft_resolutions: tuple[tuple[int, int], ...] = losses.STFT_RESOLUTIONS
    adversarial_start: int = 0
    segment_length: int | None = None
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_1: float = 0.8
    beta_2: float = 0.99
    batch_size: int = 8
    num_eval_samples: int = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self,
            "stft_resolutions",
            tuple((int(n), int(h)) for n, h in self.stft_resolutions),
        )
        weights = (self.stft_weight, self.feature_weight, self.adversarial_weight)
        if min(weights) < 0 or max(weights) == 0:
            raise ValueError(
                "stft_weight, feature_weight and adversarial_weight must be >= 0 and not all "
                f"0, got {self.stft_weight}, {self.feature_weight} and {self.adversarial_weight}."
            )
        if self.adversarial_start < 0:
            raise ValueError(f"adversarial_start must be >= 0, got {self.adversarial_start}.")
        segment, hop = self.segment_length, self.audio.hop_length
        if segment is not None and (
            segment < hop or segment % hop or segment > self.audio.num_samples
        ):
            raise ValueError(
                f"segment_length={segment} must be a whole number of hops (a multiple of "
                f"hop_length={hop}) from {hop} to the clip length ({self.audio.num_samples}), "
                f"e.g. {min(8 * hop, self.audio.num_samples)}; or None for whole clips."
            )
        sizes, length = self.stft_resolutions, self.train_audio.num_samples
        if self.stft_weight > 0 and (
            not sizes
            or min(n for n, _ in sizes) < 16
            or max(n for n, _ in sizes) > length
            or min(h for _, h in sizes) < 1
        ):
            raise ValueError(
                f"stft_resolutions={sizes}: give (n_fft, hop) pairs with n_fft from 16 samples "
                f"to the training length ({length}: segment_length, else the clip length) and "
                f"hop >= 1, e.g. {losses.STFT_RESOLUTIONS}."
            )
        if (self.model.hop_length, self.model.n_mels) != (
            self.audio.hop_length,
            self.audio.n_mels,
        ):
            raise ValueError(
                f"the vocoder takes frames of {self.model.n_mels} mel bands every "
                f"{self.model.hop_length} samples but the audio config makes "
                f"{self.audio.n_mels} bands every {self.audio.hop_length}; make them equal."
            )
        if self.audio.num_samples % self.audio.hop_length:
            raise ValueError(
                f"num_samples={self.audio.num_samples} must be a multiple of hop_length="
                f"{self.audio.hop_length} (each frame becomes hop_length samples)."
            )

    @property
    def train_audio(self) -> AudioConfig:
        """``audio`` with ``num_samples`` the length of a training example (the segment)."""
        if self.segment_length is None:
            return self.audio
        return dataclasses.replace(self.audio, num_samples=self.segment_length)


VOCODER_TRAIN_PRESETS: dict[str, VocoderTrainConfig] = {
    # The small vocoder on a laptop CPU: random 4,096-sample segments (16 frames) train 2.4x
    # as fast as whole clips (2.5 vs 1.05 steps/s in one run on a loaded 2-core CPU; 2,000
    # steps: 13-15 min there) and reached a lower held-out STFT distance in the same wall
    # clock (2,048 samples: 3.3x as fast, but a higher distance); the STFT term alone for the
    # first 500 updates (the adversarial terms only help once the output is speech-like; 500
    # segment steps take the wall time of the 200 whole-clip ones before). See
    # benchmarks/presets.md.
    "quick": VocoderTrainConfig(
        segment_length=4096,
        num_steps=2000,
        adversarial_start=500,
        checkpoint_every=500,
        sample_every=500,
    ),
    # MelGAN-size networks and HiFi-GAN's optimiser, for a GPU.
    "paper": VocoderTrainConfig(
        model=VOCODER_PRESETS["paper"],
        batch_size=32,
        num_steps=100_000,
        adversarial_start=10_000,
        checkpoint_every=5000,
        sample_every=5000,
        log_every=100,
    ),
}
"""Named vocoder runs; change one option with ``dataclasses.replace``."""
