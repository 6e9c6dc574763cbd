"""Files that are whole or absent (audiogan_kit.io.atomic_write) and their permissions."""

from __future__ import annotations

import os
import stat

import pytest

from audiogan_kit import io


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_the_permissions_open_gives_and_an_old_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    new = io.atomic_write_text(tmp_path / "config.json", "{}")
    assert _mode(new) == 0o666 & ~umask  # 0o644 under the usual umask, not mkstemp's 0o600
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert _mode(new) == _mode(plain)
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    io.atomic_write_text(private, "new")
    assert private.read_text() == "new" and _mode(private) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = io.atomic_write_text(tmp_path / "a.txt", "old")
    with pytest.raises(OSError, match="disk full"):
        with io.atomic_write(path) as handle:
            handle.write(b"half")
            raise OSError("disk full")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
