"""benchmarks/vocoder.py: the balanced choice of held-out clips (not the timed run)."""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np

from conftest import REPO


def _load():
    if "vocoder_benchmark" in sys.modules:
        return sys.modules["vocoder_benchmark"]
    path = REPO / "benchmarks" / "vocoder.py"
    spec = importlib.util.spec_from_file_location("vocoder_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["vocoder_benchmark"] = module
    spec.loader.exec_module(module)
    return module


def test_the_held_out_clips_are_balanced_over_digits_and_speakers():
    speakers = ["a", "b", "c", "d", "e", "f"]
    # 10 digits x 6 speakers x 5 takes, like FSDD's test split
    labels = np.repeat(np.arange(10), 30)
    who = np.tile(np.repeat(speakers, 5), 10)
    test = types.SimpleNamespace(labels=labels, speakers=who)
    index = _load().pick_balanced(test, per_digit=5, seed=0)
    assert len(index) == len(set(index.tolist())) == 50
    assert np.bincount(labels[index]).tolist() == [5] * 10
    counts = [int(np.sum(who[index] == s)) for s in speakers]
    assert sorted(counts) == [8, 8, 8, 8, 9, 9]  # digit d leaves speaker d mod 6 out
    for digit in range(10):
        assert len(set(who[index][labels[index] == digit].tolist())) == 5
    again = _load().pick_balanced(test, per_digit=5, seed=0)
    np.testing.assert_array_equal(index, again)
    assert not np.array_equal(index, _load().pick_balanced(test, per_digit=5, seed=1))
