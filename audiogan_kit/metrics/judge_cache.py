"""The judge cache: one saved judge per data digest and configs, reloaded rather than retrained.

:func:`judge_path` names the file; :func:`load_or_train_judge` reloads it when its sidecar
matches the data and the configs, else trains (:func:`~audiogan_kit.metrics.train_judge`)
and saves a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import DEFAULT_CONFIG, AudioConfig
from ..models.judge import JudgeConfig
from .judge import JUDGE_FORMAT_VERSION, Judge, data_digest
from .judge_training import train_judge

__all__ = ["judge_path", "load_or_train_judge"]


def judge_path(
    digest: str, audio_config: AudioConfig = DEFAULT_CONFIG, config: JudgeConfig | None = None
) -> Path:
    """Where :func:`load_or_train_judge` keeps the judge for this data and these configs.

    ``cache_dir()/judge/judge-<hash>.keras`` (plus a ``.json`` sidecar); the hash covers the
    data digest, both configs (their :meth:`~audiogan_kit.config.Config.to_dict`) and
    :data:`~audiogan_kit.metrics.JUDGE_FORMAT_VERSION`, so equal configs give the same path
    and any changed field another one.
    """
    from ..data import cache_dir

    config = JudgeConfig() if config is None else config
    key = json.dumps(
        {
            "digest": digest,
            "audio_config": audio_config.to_dict(),
            "judge_config": config.to_dict(),
            "format_version": JUDGE_FORMAT_VERSION,
        },
        sort_keys=True,
    )
    return cache_dir() / "judge" / f"judge-{hashlib.sha256(key.encode()).hexdigest()[:16]}.keras"


def load_or_train_judge(
    dataset_or_path: Any = None,
    config: JudgeConfig | None = None,
    *,
    audio_config: AudioConfig = DEFAULT_CONFIG,
    retrain: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> Judge:
    """The judge for this data and these configs: reloaded from the cache, else trained.

    A saved judge is reused only when its sidecar records the same data digest
    (:func:`~audiogan_kit.metrics.data_digest`), :class:`AudioConfig`, :class:`JudgeConfig`
    and format version, and the ``.keras`` file matches the sha256 recorded next to it;
    otherwise it is retrained and saved, and ``log`` says why.

    Args:
        dataset_or_path: an FSDD ``AudioDataset``, or a folder / ``None`` to load FSDD with
            :func:`audiogan_kit.data.load_fsdd` (``None`` searches ``AUDIOGAN_DATA``, the
            cache, else downloads).
        config: the judge recipe; default :class:`JudgeConfig`.
        audio_config: how FSDD is read when a path is given (ignored for a dataset, whose own
            config is used).
        retrain: train even if a matching judge is saved.
        progress: progress bars while FSDD loads and while the judge trains (one per network).
        log: where the one-line messages (reused / training because ...) go.
    """
    from ..data import load_fsdd

    config = JudgeConfig() if config is None else config
    if hasattr(dataset_or_path, "audio") and hasattr(dataset_or_path, "official_split"):
        dataset = dataset_or_path
    else:
        dataset = load_fsdd(dataset_or_path, audio_config, progress=progress)
    digest = data_digest(dataset)
    path = judge_path(digest, dataset.config, config)
    reason = "retrain=True was asked for"
    if not retrain:
        try:
            judge = Judge.load(path)
            if (
                judge.info.get("data_digest") == digest
                and judge.audio_config == dataset.config
                and judge.config == config
            ):
                log(f"Reusing the judge saved at {path} ({judge}).")
                return judge
            reason = f"the judge saved at {path} was trained on other data or settings"
        except (ValueError, OSError, KeyError, TypeError) as error:
            reason = (
                f"no judge is saved for this data digest ({digest[:12]}...) and these settings"
                if not path.exists()
                else f"the saved judge could not be used ({error})"
            )
    log(f"Training the judge: {reason}.")
    judge = train_judge(dataset, config, progress=progress)
    judge.save(path)
    accuracy = judge.info["official_test_accuracy"]
    held_out = judge.info["held_out_speaker_accuracy"]
    extra = "" if held_out is None else f", held-out speaker {held_out:.1%}"
    log(
        f"Saved the judge to {path}: official test accuracy {accuracy:.1%}{extra}, "
        f"{judge.info['train_seconds']:.0f} s of training."
    )
    return judge
