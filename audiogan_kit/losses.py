"""Adversarial losses, gradient penalties and reconstruction losses, each a small function.

Introduced in notebooks/03_losses.ipynb (adversarial losses and penalties) and
notebooks/06_enhancement.ipynb (the reconstruction terms of an enhancer).

Conventions (all functions):

- ``real_logits`` and ``fake_logits`` are the discriminator's raw, unbounded outputs
  ``D_logit(x)`` for a batch of real clips and of generated clips G(z): float tensors of shape
  ``[batch, 1]`` or ``[batch]``. For the probabilistic losses the discriminator's probability
  is ``D(x) = sigmoid(D_logit(x))``; the losses are written with ``softplus`` so that they
  never take ``log(0)``: ``-log sigmoid(a) = softplus(-a)`` and
  ``-log(1 - sigmoid(a)) = softplus(a)``.
- Every loss is a value to **minimise** (by the discriminator for ``*_discriminator_loss``,
  by the generator for ``*_generator_loss``), averaged over the batch, and multiplied by
  ``weight`` so it can be a term in a sum. Results are float32 scalars (backend tensors).
- ``E[.]`` is the batch mean.

The seed prototype wrote the generator's side of the minimax game as "G maximises
E[log(1 - D(G(z)))]"; that is the wrong sign. In the game
``min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]`` the generator *minimises*
``E[log(1 - D(G(z)))]`` (:func:`minimax_generator_loss`), and in practice one uses the
non-saturating form, minimising ``-E[log D(G(z))]`` (:func:`nonsaturating_generator_loss`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import keras
from keras import ops

from .backend import input_gradient
from .config import DEFAULT_CONFIG, AudioConfig

__all__ = [
    "CRITIC_STEPS",
    "LOSSES",
    "PENALTIES",
    "STFT_RESOLUTIONS",
    "LossPair",
    "discriminator_feature_loss",
    "feature_matching_loss",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "l1_loss",
    "magnitude_loss",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "minimax_value",
    "multi_resolution_stft_loss",
    "multiscale_lsgan_discriminator_loss",
    "multiscale_lsgan_generator_loss",
    "nonsaturating_generator_loss",
    "r1_penalty",
    "spectral_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]


def _as_float(logits: Any) -> Any:
    return ops.convert_to_tensor(logits, dtype="float32")


# --- the original minimax game (Goodfellow et al., 2014) ----------------------------------


def minimax_value(real_logits: Any, fake_logits: Any) -> Any:
    """The value of the minimax game, ``V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))]``.

    D maximises it, G minimises it. At the optimal discriminator of a perfect generator,
    ``D = 1/2`` everywhere (logits 0) and ``V = 2 log(1/2) = -log 4 ~ -1.386``.
    Not a loss to minimise: a quantity to monitor.

    Returns:
        float32 scalar in ``(-inf, 0]``, in nats.
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return -ops.mean(ops.softplus(-real_logits)) - ops.mean(ops.softplus(fake_logits))


def minimax_discriminator_loss(real_logits: Any, fake_logits: Any, weight: float = 1.0) -> Any:
    """Discriminator loss of the minimax game (binary cross-entropy), ``-V(D, G)``.

    ``L_D = -E[log D(x)] - E[log(1 - D(G(z)))]
          = E[softplus(-D_logit(x))] + E[softplus(D_logit(G(z)))]``, times ``weight``.

    Also the discriminator loss of the non-saturating GAN. Equals ``log 4`` when
    ``D = 1/2`` everywhere.
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))
    return weight * loss


def minimax_generator_loss(fake_logits: Any, weight: float = 1.0) -> Any:
    """Saturating generator loss of the minimax game: minimise ``E[log(1 - D(G(z)))]``.

    ``L_G = E[log(1 - D(G(z)))] = -E[softplus(D_logit(G(z)))]``, times ``weight``; always
    ``<= 0``. Its gradient with respect to the logit is ``-sigmoid(logit)``, which vanishes
    when the discriminator confidently rejects the fakes (logit -> -inf), exactly when the
    generator most needs a signal: see notebook 03.
    """
    return -weight * ops.mean(ops.softplus(_as_float(fake_logits)))


def nonsaturating_generator_loss(fake_logits: Any, weight: float = 1.0) -> Any:
    """Non-saturating generator loss: minimise ``-E[log D(G(z))]``.

    ``L_G = -E[log D(G(z))] = E[softplus(-D_logit(G(z)))]``, times ``weight``. Same fixed
    point as the minimax loss, but the gradient with respect to the logit is
    ``sigmoid(logit) - 1``, close to -1 where the discriminator rejects the fakes.
    """
    return weight * ops.mean(ops.softplus(-_as_float(fake_logits)))


# --- least squares GAN (Mao et al., 2017), a = 0, b = c = 1 -------------------------------


def lsgan_discriminator_loss(real_logits: Any, fake_logits: Any, weight: float = 1.0) -> Any:
    """Least-squares discriminator loss on the raw outputs, targets 1 (real) and 0 (fake).

    ``L_D = 1/2 E[(D_logit(x) - 1)^2] + 1/2 E[D_logit(G(z))^2]``, times ``weight``.
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    loss = 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))
    return weight * loss


def lsgan_generator_loss(fake_logits: Any, weight: float = 1.0) -> Any:
    """Least-squares generator loss: ``L_G = 1/2 E[(D_logit(G(z)) - 1)^2]``, times ``weight``."""
    return weight * 0.5 * ops.mean(ops.square(_as_float(fake_logits) - 1.0))


# --- hinge loss (Lim & Ye 2017; Miyato et al. 2018) ---------------------------------------


def hinge_discriminator_loss(real_logits: Any, fake_logits: Any, weight: float = 1.0) -> Any:
    """Hinge discriminator loss: ``L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``.

    ``D`` is the raw logit; a real clip scored above +1 and a fake below -1 cost nothing.
    Times ``weight``.
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    loss = ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))
    return weight * loss


def hinge_generator_loss(fake_logits: Any, weight: float = 1.0) -> Any:
    """Hinge generator loss: ``L_G = -E[D(G(z))]`` (raw logits), times ``weight``."""
    return -weight * ops.mean(_as_float(fake_logits))


# --- Wasserstein GAN (Arjovsky et al. 2017) with gradient penalty (Gulrajani et al. 2017) --


def wasserstein_discriminator_loss(real_logits: Any, fake_logits: Any, weight: float = 1.0) -> Any:
    """Wasserstein critic loss: ``L_D = E[D(G(z))] - E[D(x)]`` (raw critic scores).

    Minimising it maximises ``E[D(x)] - E[D(G(z))]``, an estimate of the Wasserstein-1
    distance when the critic is 1-Lipschitz; pair it with :func:`gradient_penalty`.
    Times ``weight``.
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return weight * (ops.mean(fake_logits) - ops.mean(real_logits))


def wasserstein_generator_loss(fake_logits: Any, weight: float = 1.0) -> Any:
    """Wasserstein generator loss: ``L_G = -E[D(G(z))]`` (raw critic scores), times ``weight``."""
    return -weight * ops.mean(_as_float(fake_logits))


def _per_example_norm_squared(gradients: Any) -> Any:
    """Squared L2 norm of each example's gradient, over every non-batch axis: ``[batch]``."""
    squared = ops.square(gradients)
    return ops.sum(ops.reshape(squared, (ops.shape(squared)[0], -1)), axis=1)


def gradient_penalty(
    critic_fn: Callable[[Any], Any],
    real: Any,
    fake: Any,
    weight: float = 10.0,
    seed: keras.random.SeedGenerator | int | None = None,
) -> Any:
    """WGAN-GP two-sided gradient penalty, ``lambda E[(||grad_x D(x_hat)||_2 - 1)^2]``.

    ``x_hat = eps * x + (1 - eps) * G(z)`` with one ``eps ~ U[0, 1]`` per example, on the
    straight line between a real and a generated example; ``lambda = weight`` (10 in
    Gulrajani et al. 2017). The norm runs over every non-batch axis. It is 0 for a
    1-Lipschitz linear critic of unit slope, ``D(x) = <w, x>`` with ``||w|| = 1``.

    Args:
        critic_fn: maps ``[batch, ...]`` float32 to scores ``[batch, 1]``; e.g.
            ``lambda x: critic(x, training=True)`` or, conditional,
            ``lambda x: critic([x, labels], training=True)``. The critic must treat examples
            independently (no batch norm).
        real: float32 ``[batch, ...]`` real examples (waveforms ``[batch, samples, 1]`` in
            [-1, 1], spectrograms ``[batch, frames, bins, 1]``...).
        fake: float32, same shape as ``real``.
        weight: ``lambda``.
        seed: a ``keras.random.SeedGenerator`` (needed inside a traced JAX step), an int, or
            ``None`` (eager use only).

    Returns:
        float32 scalar, differentiable with respect to the critic's weights under both
        backends.
    """
    real, fake = _as_float(real), _as_float(fake)
    batch = ops.shape(real)[0]
    eps_shape = (batch,) + (1,) * (len(real.shape) - 1)
    eps = keras.random.uniform(eps_shape, 0.0, 1.0, seed=seed)
    interpolated = eps * real + (1.0 - eps) * fake
    gradients = input_gradient(critic_fn, interpolated)
    norms = ops.sqrt(_per_example_norm_squared(gradients) + 1e-12)
    return weight * ops.mean(ops.square(norms - 1.0))


def r1_penalty(critic_fn: Callable[[Any], Any], real: Any, weight: float = 10.0) -> Any:
    """R1 penalty (Mescheder et al. 2018): ``gamma / 2 * E[||grad_x D_logit(x)||^2]`` on real data.

    Pushes the discriminator's gradient to zero on the data manifold; added to any
    discriminator loss (usually the non-saturating one). ``gamma = weight``. For a linear
    discriminator ``D(x) = <w, x>`` it equals ``gamma / 2 * ||w||^2``.

    Args:
        critic_fn: maps ``[batch, ...]`` float32 to logits ``[batch, 1]``.
        real: float32 ``[batch, ...]`` real examples.
        weight: ``gamma``.

    Returns:
        float32 scalar, differentiable with respect to the discriminator's weights.
    """
    gradients = input_gradient(critic_fn, _as_float(real))
    return weight * 0.5 * ops.mean(_per_example_norm_squared(gradients))


class LossPair(NamedTuple):
    """A discriminator loss and its generator loss; unpacks as ``d_loss, g_loss = pair``."""

    discriminator: Callable[..., Any]
    generator: Callable[..., Any]


LOSSES: dict[str, LossPair] = {
    "minimax": LossPair(minimax_discriminator_loss, minimax_generator_loss),
    "nonsaturating": LossPair(minimax_discriminator_loss, nonsaturating_generator_loss),
    "lsgan": LossPair(lsgan_discriminator_loss, lsgan_generator_loss),
    "hinge": LossPair(hinge_discriminator_loss, hinge_generator_loss),
    "wgan-gp": LossPair(wasserstein_discriminator_loss, wasserstein_generator_loss),
}
"""Loss name -> (discriminator loss, generator loss); a trainer adds ``PENALTIES[name]``."""

CRITIC_STEPS: dict[str, int] = {"wgan-gp": 5}
"""Loss name -> discriminator (critic) updates per generator update that the loss's paper
uses: 5 for WGAN-GP (Gulrajani et al. 2017, Algorithm 1, ``n_critic = 5``, with Adam at
1e-4, ``beta_1 = 0``, ``beta_2 = 0.9``); a loss not listed uses 1 (``CRITIC_STEPS.get(name, 1)``).
"""

PENALTIES: dict[str, tuple[Callable[..., Any], float]] = {
    "wgan-gp": (gradient_penalty, 10.0),
}
"""Loss name -> (penalty function, default weight) that belongs to that loss by definition.

An R1 penalty (:func:`r1_penalty`) can be added to any loss as an option.
"""



def feature_matching_loss(
    real_features: Any, fake_features: Any, labels: Any = None, num_classes: int = 0
) -> Any:
    """Feature matching (Salimans et al. 2016), per class and scaled to the real features.

    The squared distance between the mean discriminator features of a real batch and of a
    generated one, divided by the real features' mean variance (so the term does not grow
    as the discriminator's features do). With ``labels`` and ``num_classes`` the means are
    taken per class, over the classes present in the batch: the generator is pulled towards
    each digit's own features, not only the batch's.

    Args:
        real_features, fake_features: float ``[batch, features]`` (the discriminator's
            penultimate layer on real and on generated examples of the same labels).
        labels: int ``[batch]``, the class of row ``i`` of both batches, or ``None``.
        num_classes: the number of classes (with ``labels``).

    Returns:
        A float32 scalar tensor: 0 when the (class) means agree.
    """
    real = ops.cast(real_features, "float32")
    fake = ops.cast(fake_features, "float32")
    scale = ops.mean(ops.var(real, axis=0)) + 1e-6
    if labels is None or num_classes < 2:
        gap = ops.mean(real, axis=0) - ops.mean(fake, axis=0)
        return ops.mean(ops.square(gap)) / scale
    onehot = ops.one_hot(ops.cast(labels, "int32"), num_classes)  # [batch, classes]
    counts = ops.sum(onehot, axis=0)[:, None]  # [classes, 1]
    present = ops.cast(counts > 0, "float32")
    gap = ops.matmul(ops.transpose(onehot), real - fake) / ops.maximum(counts, 1.0)
    per_class = ops.mean(ops.square(gap), axis=1, keepdims=True)  # [classes, 1]
    return ops.sum(present * per_class) / ops.maximum(ops.sum(present), 1.0) / scale


# --- reconstruction losses (an enhancer's generator) --------------------------------------


def l1_loss(clean: Any, enhanced: Any, weight: float = 100.0) -> Any:
    """SEGAN's reconstruction term: ``weight * mean(|enhanced - clean|)``.

    Args:
        clean, enhanced: float32 ``[batch, samples, 1]`` in [-1, 1].
        weight: lambda (100 in SEGAN), so that the term outweighs the adversarial one.

    Returns:
        A float32 scalar tensor.
    """
    clean = ops.cast(clean, "float32")
    enhanced = ops.cast(enhanced, "float32")
    return weight * ops.mean(ops.abs(enhanced - clean))


def spectral_loss(
    clean: Any,
    enhanced: Any,
    audio: AudioConfig = DEFAULT_CONFIG,
    fft_sizes: tuple[int, ...] = (128, 256, 512),
    weight: float = 1.0,
    floor: float = 1e-3,
) -> Any:
    """Multi-resolution log-magnitude STFT distance: a perceptual term for the generator.

    ``weight * mean_n mean |log(|STFT_n(enhanced)| + floor) - log(|STFT_n(clean)| + floor)|``
    over the STFT sizes ``n`` in ``fft_sizes`` (Hann window of ``n`` samples, hop ``n // 4``,
    :func:`audiogan_kit.features.stft_magnitude`): 128, 256 and 512 samples are 16, 32 and
    64 ms at 8 kHz, so the term sees both clicks and harmonics. A waveform L1 alone lets
    the generator lose quiet high-frequency speech and leave buzzing artefacts that cost
    little in sample error but much in PESQ; the log scale weighs quiet bins like loud ones.

    Args:
        clean, enhanced: float32 ``[batch, samples, 1]`` (or ``[batch, samples]``) in
            [-1, 1], ``samples == audio.num_samples``.
        audio: the clips' :class:`~audiogan_kit.config.AudioConfig` (its ``n_fft`` and
            ``hop_length`` are replaced by each size).
        fft_sizes: STFT sizes in samples, each at most ``audio.num_samples``.
        weight: the term's weight in the generator loss.
        floor: amplitude added before the log; with the Hann window a full-scale sine peaks
            at about ``n / 4``, so 1e-3 is about 90 dB below full scale and near-silent bins
            do not dominate.

    Returns:
        A float32 scalar tensor (0 when ``enhanced == clean``).
    """
    from .features import stft_magnitude

    if not fft_sizes or max(fft_sizes) > audio.num_samples:
        raise ValueError(
            f"spectral_loss: STFT sizes {tuple(fft_sizes)} must be non-empty and at most the "
            f"clip length ({audio.num_samples} samples); drop the larger sizes."
        )
    clean = ops.cast(clean, "float32")
    enhanced = ops.cast(enhanced, "float32")
    total = ops.zeros((), "float32")
    for size in fft_sizes:
        config = dataclasses.replace(audio, n_fft=int(size), hop_length=int(size) // 4)
        target = ops.log(stft_magnitude(clean, config) + floor)
        estimate = ops.log(stft_magnitude(enhanced, config) + floor)
        total = total + ops.mean(ops.abs(estimate - target))
    return weight * total / len(fft_sizes)


#: (n_fft, hop) pairs of :func:`multi_resolution_stft_loss`: 16, 32 and 64 ms windows at
#: 8 kHz (Parallel WaveGAN's 21-85 ms at 24 kHz, scaled to FSDD's short words), hop n / 4.
STFT_RESOLUTIONS = ((128, 32), (256, 64), (512, 128))


def multi_resolution_stft_loss(
    target: Any,
    estimate: Any,
    audio: AudioConfig = DEFAULT_CONFIG,
    resolutions: tuple[tuple[int, int], ...] = STFT_RESOLUTIONS,
    weight: float = 1.0,
    floor: float = 1e-3,
) -> Any:
    """Parallel WaveGAN's multi-resolution STFT loss (Yamamoto et al. 2020), times ``weight``.

    For each ``(n_fft, hop)`` in ``resolutions`` (Hann window of ``n_fft`` samples,
    :func:`audiogan_kit.features.stft_magnitude`), with ``S`` the target's magnitudes and
    ``S^`` the estimate's: spectral convergence ``||S - S^||_F / ||S||_F`` (per clip, then the
    batch mean) plus the log-magnitude distance ``mean |log(S^ + floor) - log(S + floor)|``
    (the term of :func:`spectral_loss`); the sum of the two, averaged over the resolutions.
    The first term follows the loud bins (formants, harmonics), the second the quiet ones.

    Args:
        target, estimate: float32 ``[batch, samples, 1]`` (or ``[batch, samples]``) in
            [-1, 1], ``samples == audio.num_samples``.
        audio: the clips' :class:`~audiogan_kit.config.AudioConfig` (its STFT settings are
            replaced by each resolution).
        resolutions: ``(n_fft, hop)`` pairs in samples, ``n_fft`` at most the clip length.
        floor: amplitude added before the log (see :func:`spectral_loss`).

    Returns:
        A float32 scalar tensor, 0 when ``estimate == target``; about 2 per resolution
        (convergence 1 + the log distance) for a silent estimate of a loud target.
    """
    from .features import stft_magnitude

    if not resolutions or max(n for n, _ in resolutions) > audio.num_samples:
        raise ValueError(
            f"multi_resolution_stft_loss: resolutions {tuple(resolutions)} must be non-empty "
            f"with n_fft at most the clip length ({audio.num_samples} samples)."
        )
    target = ops.cast(target, "float32")
    estimate = ops.cast(estimate, "float32")
    total = ops.zeros((), "float32")
    for n_fft, hop in resolutions:
        config = dataclasses.replace(audio, n_fft=int(n_fft), hop_length=int(hop))
        wanted = stft_magnitude(target, config)
        made = stft_magnitude(estimate, config)
        error = ops.sqrt(ops.sum(ops.square(wanted - made), axis=(1, 2)))
        norm = ops.sqrt(ops.sum(ops.square(wanted), axis=(1, 2)))
        convergence = ops.mean(error / (norm + 1e-7))
        log_distance = ops.mean(ops.abs(ops.log(made + floor) - ops.log(wanted + floor)))
        total = total + convergence + log_distance
    return weight * total / len(resolutions)


# --- a vocoder's discriminators (MelGAN, HiFi-GAN) ------------------------------------------


def discriminator_feature_loss(
    real_features: Any, fake_features: Any, weight: float = 1.0
) -> Any:
    """MelGAN's feature matching: the L1 distance between the discriminators' feature maps.

    ``weight * mean_l mean |D_l(x) - D_l(G(s))|`` over every feature map ``l`` of every
    sub-discriminator, for the real clip ``x`` and the clip generated from its spectrogram
    ``s`` (pairs, unlike :func:`feature_matching_loss`, which compares batch means of
    unpaired examples). The real maps are held constant (no gradient).

    Args:
        real_features, fake_features: lists of float tensors, map ``l`` of the same shape in
            both (``[batch, ...]``).

    Returns:
        A float32 scalar tensor: 0 when every map agrees.
    """
    if len(real_features) != len(fake_features) or not real_features:
        raise ValueError(
            f"discriminator_feature_loss: {len(real_features)} real and {len(fake_features)} "
            "generated feature maps; give the same non-zero number."
        )
    total = ops.zeros((), "float32")
    for real, fake in zip(real_features, fake_features, strict=True):
        real = ops.stop_gradient(ops.cast(real, "float32"))
        total = total + ops.mean(ops.abs(ops.cast(fake, "float32") - real))
    return weight * total / len(real_features)


def multiscale_lsgan_discriminator_loss(
    real_logits: list, fake_logits: list, weight: float = 1.0
) -> Any:
    """:func:`lsgan_discriminator_loss` summed over sub-discriminators (HiFi-GAN, MelGAN).

    Each entry is one sub-discriminator's logit map (any shape); the least-squares loss
    averages over its positions.
    """
    total = ops.zeros((), "float32")
    for real, fake in zip(real_logits, fake_logits, strict=True):
        total = total + lsgan_discriminator_loss(real, fake)
    return weight * total


def multiscale_lsgan_generator_loss(fake_logits: list, weight: float = 1.0) -> Any:
    """:func:`lsgan_generator_loss` summed over sub-discriminators' logit maps."""
    total = ops.zeros((), "float32")
    for fake in fake_logits:
        total = total + lsgan_generator_loss(fake)
    return weight * total


def magnitude_loss(
    clean: Any,
    enhanced: Any,
    n_fft: int = 256,
    hop_length: int = 128,
    weight: float = 1.0,
    power: float = 1.0,
) -> Any:
    """A mask enhancer's reconstruction term: L1 between (compressed) STFT magnitudes.

    ``weight * mean |M(enhanced)^power - M(clean)^power|`` with ``M`` the STFT magnitude
    (Hann window of ``n_fft`` samples, hop ``hop_length``, every frame and bin,
    :func:`audiogan_kit.layers.stft_magnitudes`). ``power`` 1 (plain magnitudes) lets the
    loud speech bins count most; a smaller power (0.3, about the loudness exponent of
    hearing) or a log weighs quiet bins more, and in the kit's short CPU runs both led the
    mask to silence whole clips (FSDD's clips are mostly padding, where the clean
    magnitude is 0).

    Args:
        clean, enhanced: float32 ``[batch, samples, 1]`` (or ``[batch, samples]``) in [-1, 1].

    Returns:
        A float32 scalar tensor (0 when ``enhanced == clean``).
    """
    from .layers import stft_magnitudes

    target = stft_magnitudes(clean, n_fft, hop_length) ** power
    estimate = stft_magnitudes(enhanced, n_fft, hop_length) ** power
    return weight * ops.mean(ops.abs(estimate - target))
