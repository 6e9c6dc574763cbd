"""Shared fixtures: the FSDD copy, a throwaway cache, small synthetic audio."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# Never let a test read or write the user's real cache: one fresh cache per test session,
# unless the caller (CI, a benchmark) chose one. Set before the kit is imported anywhere.
os.environ.setdefault("AUDIOGAN_CACHE", tempfile.mkdtemp(prefix="audiogan-test-cache-"))


@pytest.fixture(scope="session")
def fsdd_path() -> Path:
    """The team's FSDD copy (``AUDIOGAN_DATA``, set by the Makefile and .ci/run)."""
    value = os.environ.get("AUDIOGAN_DATA")
    if not value or not (Path(value) / "recordings").is_dir():
        pytest.fail(
            "AUDIOGAN_DATA must point at an FSDD copy with a recordings/ folder "
            f"(got {value!r}); run the tests through `make test`, which sets it."
        )
    return Path(value)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def tone(frequency_hz: float, duration_s: float, sample_rate: int, amplitude: float = 0.5) -> np.ndarray:
    """A float32 sine tone, shape [samples]."""
    t = np.arange(int(round(duration_s * sample_rate))) / sample_rate
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)
