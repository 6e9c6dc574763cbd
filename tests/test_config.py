"""AudioConfig: defaults, validation and the JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from audiogan_kit.config import AudioConfig, from_dict, load_config, save_config, to_dict


def test_defaults_give_the_specgan_grid():
    config = AudioConfig()
    assert config.duration_s == pytest.approx(1.024)
    assert (config.num_frames, config.num_bins) == (64, 128)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        AudioConfig().sample_rate = 16000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sample_rate": 0}, "sample_rate"),
        ({"normalize": "loud"}, "normalize"),
        ({"pad_mode": "left"}, "pad_mode"),
        ({"hop_length": 512}, "hop_length"),
        ({"fmax": 5000.0}, "Nyquist"),
        ({"peak_level": 1.5}, "peak_level"),
        ({"n_mels": 0}, "n_mels must be a positive whole number, got 0"),
        ({"sample_rate": float("nan")}, "sample_rate must be a positive whole number, got nan"),
        ({"sample_rate": 8000.0}, "sample_rate must be a positive whole number, got 8000.0"),
        ({"fmin": float("nan")}, "fmin must be a finite number, got nan"),
        ({"fmin": 4000.0}, r"fmin must be in \[0, 4000.0\) Hz"),
        ({"log_floor": 0.0}, "log_floor must be > 0"),
        ({"trim_db": 0.0}, "trim_db must be > 0 dB"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(changes, message):
    with pytest.raises(ValueError, match=message):
        AudioConfig(**changes)


def test_json_round_trip(tmp_path):
    config = AudioConfig(sample_rate=16000, num_samples=16384, trim_db=40.0, fmax=7000.0)
    path = save_config(config, tmp_path / "config.json")
    assert json.loads(path.read_text())["__class__"] == "AudioConfig"
    assert load_config(AudioConfig, path) == config


def test_unknown_fields_are_refused():
    values = to_dict(AudioConfig()) | {"window": "hann"}
    with pytest.raises(ValueError, match="window"):
        from_dict(AudioConfig, values)


def test_unreadable_config_file_is_named(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        load_config(AudioConfig, path)


def test_with_overrides_checks_types_and_names_the_closest_field():
    from audiogan_kit.config import with_overrides

    config = with_overrides(AudioConfig(), ["sample_rate=16000", "trim_db=null", "pad_mode=center"])
    assert (config.sample_rate, config.trim_db, config.pad_mode) == (16000, None, "center")
    with pytest.raises(ValueError, match="did you mean 'n_mels'"):
        with_overrides(AudioConfig(), ["n_mel=32"])
    with pytest.raises(ValueError, match="n_mels must be a whole number, got '64'"):
        from_dict(AudioConfig, to_dict(AudioConfig()) | {"n_mels": "64"})
