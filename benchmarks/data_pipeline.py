"""Benchmark the data layer: FSDD cold and cached loads, the naive loop, tf.data throughput.

Run: ``AUDIOGAN_DATA=../shared/data/fsdd .venv/bin/python benchmarks/data_pipeline.py``
(``make benchmarks`` sets AUDIOGAN_DATA). Writes benchmarks/results/data_pipeline.json.

The cache goes to a fresh temporary folder (removed at the end), so ``cold_s`` always decodes
all 3,000 files. Timings are wall-clock seconds of one run (``cached_s``: best of 3).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import environment  # benchmarks/_common.py (scripts run from benchmarks/)

RESULTS = Path(__file__).resolve().parent / "results" / "data_pipeline.json"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def naive_load(files: list[Path], num_samples: int) -> np.ndarray:
    """The 'seed' way: librosa.load per file, then pad/crop in NumPy."""
    import librosa

    clips = []
    for file in files:
        audio, _ = librosa.load(file, sr=8000)
        audio = audio[:num_samples]
        clips.append(np.pad(audio, (0, num_samples - audio.size)))
    return np.stack(clips)


def main() -> dict:
    cache = tempfile.mkdtemp(prefix="audiogan-bench-cache-")
    os.environ["AUDIOGAN_CACHE"] = cache
    from audiogan_kit.data import AudioConfig, fsdd_path, load_fsdd

    try:
        folder = fsdd_path(download=True, progress=False)
        rss_before = peak_rss_mb()

        start = time.perf_counter()
        dataset = load_fsdd(folder, progress=False)
        cold_s = time.perf_counter() - start
        if dataset.from_cache:
            raise RuntimeError("the first load hit a cache; the benchmark needs a fresh cache")
        rss_after_cold = peak_rss_mb()

        cached_runs = []
        for _ in range(3):
            start = time.perf_counter()
            cached = load_fsdd(folder, progress=False)
            cached_runs.append(time.perf_counter() - start)
            if not cached.from_cache:
                raise RuntimeError("the second load missed the cache")
            del cached
        cached_s = min(cached_runs)
        rss_after_loads = peak_rss_mb()

        files = sorted((folder / "recordings").glob("*.wav"), key=lambda p: p.name)
        start = time.perf_counter()
        naive = naive_load(files, AudioConfig().num_samples)
        naive_s = time.perf_counter() - start
        if naive.shape != dataset.audio.shape:
            raise RuntimeError(f"naive loop gave {naive.shape}, kit gave {dataset.audio.shape}")

        start = time.perf_counter()
        count = sum(audio.shape[0] for audio, _ in dataset.batches(64, seed=0))
        numpy_epoch_s = time.perf_counter() - start

        import librosa

        pipeline = dataset.to_tf_dataset(64, seed=0, drop_remainder=True)
        epochs = []
        for _ in range(2):  # the first epoch also fills the cache
            start = time.perf_counter()
            batches = sum(1 for _ in pipeline)
            epochs.append(time.perf_counter() - start)

        results = {
            "clips": len(dataset),
            "clip_samples": int(dataset.audio.shape[1]),
            "cold_s": round(cold_s, 3),
            "cached_s": round(cached_s, 3),
            "cached_runs_s": [round(t, 3) for t in cached_runs],
            "naive_s": round(naive_s, 3),
            "speedup_vs_naive": round(naive_s / cold_s, 2),
            "speedup_vs_naive_cached": round(naive_s / cached_s, 2),
            "peak_mb": round(rss_after_cold, 1),
            "peak_mb_kind": (
                "peak RSS (ru_maxrss) of the benchmark process right after the cold load "
                "(imports: numpy, soundfile, tqdm; no TensorFlow yet)"
            ),
            "peak_mb_after_cached_loads": round(rss_after_loads, 1),
            "rss_before_load_mb": round(rss_before, 1),
            "dataset_array_mb": round(dataset.audio.nbytes / 2**20, 1),
            "cache_file_mb": round(
                sum(p.stat().st_size for p in Path(cache).rglob("*.npz")) / 2**20, 1
            ),
            "numpy_batches_clips_per_s": round(count / numpy_epoch_s, 1),
            "tf_data_batch_size": 64,
            "tf_data_batches_per_epoch": batches,
            "tf_data_first_epoch_s": round(epochs[0], 3),
            "tf_data_epoch_s": round(epochs[1], 3),
            "tf_data_batches_per_s": round(batches / epochs[1], 1),
            "tf_data_clips_per_s": round(batches * 64 / epochs[1], 1),
            **environment(librosa=librosa.__version__),
        }
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
