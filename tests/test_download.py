"""Tests for finding and downloading FSDD (audiogan_kit.data.registry) from a local server.

The server listens on 127.0.0.1 (ephemeral port) and serves archives built here from the
shared FSDD copy, laid out like GitHub's archive of the pinned commit.
"""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest

from audiogan_kit import data
from audiogan_kit.data import (
    FSDD_COMMIT,
    FSDD_DIGEST,
    DataError,
    dataset_digest,
    download_fsdd,
    load_fsdd,
)
from audiogan_kit.data import fsdd_path as find_fsdd  # `fsdd_path` is the conftest fixture

TOP = f"free-spoken-digit-dataset-{FSDD_COMMIT}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class's signature; keep the test quiet
        pass


def add_bytes(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def build_archive(path: Path, recordings: Path, tamper: str | None = None) -> Path:
    """A GitHub-style .tar.gz of the recordings; ``tamper``: a wav whose bytes are changed."""
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        add_bytes(tar, f"{TOP}/README.md", b"# FSDD\n")
        for wav in sorted(recordings.glob("*.wav")):
            payload = wav.read_bytes()
            if wav.name == tamper:
                payload = payload[:-2] + bytes([payload[-2] ^ 1, payload[-1]])
            add_bytes(tar, f"{TOP}/recordings/{wav.name}", payload)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory, fsdd_path):
    """Serve good, tampered and malicious archives; yields (base url, served folder)."""
    served = tmp_path_factory.mktemp("served")
    recordings = fsdd_path / "recordings"
    build_archive(served / "good.tar.gz", recordings)
    build_archive(served / "tampered.tar.gz", recordings, tamper="7_theo_12.wav")
    (served / "garbage.tar.gz").write_bytes(b"this is not a tar archive" * 100)
    for kind in ("dotdot", "absolute", "symlink", "hardlink", "device"):
        with tarfile.open(served / f"{kind}.tar.gz", "w:gz") as tar:
            add_bytes(tar, f"{TOP}/recordings/0_a_0.wav", b"RIFF")
            if kind == "dotdot":
                add_bytes(tar, f"{TOP}/../evil", b"evil")
            elif kind == "absolute":
                add_bytes(tar, str(served / "absolute-evil"), b"evil")
            else:
                info = tarfile.TarInfo(f"{TOP}/recordings/link.wav")
                info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                             "device": tarfile.CHRTYPE}[kind]
                info.linkname = "/etc/passwd"
                tar.addfile(info)
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.mark.network
def test_download_verifies_and_installs(server, tmp_path):
    url, _ = server
    dest = tmp_path / "cache" / "fsdd"
    got = download_fsdd(dest, url=f"{url}/good.tar.gz", progress=False)
    assert got == dest
    assert len(list((dest / "recordings").glob("*.wav"))) == 3000
    assert (dest / "README.md").read_text() == "# FSDD\n"
    assert dataset_digest(dest) == FSDD_DIGEST
    # the temporary download folder is gone: only the dataset is left next to dest
    assert [p.name for p in dest.parent.iterdir()] == ["fsdd"]
    # a verified copy at dest is reused, not downloaded again (the URL would 404)
    assert download_fsdd(dest, url=f"{url}/missing.tar.gz", progress=False) == dest


@pytest.mark.network
def test_fsdd_path_downloads_into_cache(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.delenv("AUDIOGAN_DATA", raising=False)
    monkeypatch.setenv("AUDIOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(data.DATA_HUB, "fsdd", (f"{url}/good.tar.gz", FSDD_DIGEST))
    with pytest.raises(DataError, match="AUDIOGAN_DATA"):
        find_fsdd(download=False)
    folder = find_fsdd(progress=False)
    assert folder == tmp_path / "cache" / "fsdd"
    # found in the cache now, even with download=False, and loadable
    assert find_fsdd(download=False) == folder
    test = load_fsdd(split="test", download=False, progress=False, cache=False)
    assert len(test) == 300


def assert_nothing_installed(dest: Path) -> None:
    assert not dest.exists()
    leftovers = list(dest.parent.iterdir()) if dest.parent.exists() else []
    assert leftovers == [], f"temporary files left behind: {leftovers}"


@pytest.mark.network
def test_tampered_archive_is_refused(server, tmp_path):
    url, _ = server
    dest = tmp_path / "cache" / "fsdd"
    with pytest.raises(DataError) as info:
        download_fsdd(dest, url=f"{url}/tampered.tar.gz", progress=False)
    message = str(info.value)
    assert "digest of the recordings" in message and "did not match" in message
    assert f"expected {FSDD_DIGEST}" in message and "got " in message
    assert "Nothing was installed" in message and str(dest) in message
    assert_nothing_installed(dest)


@pytest.mark.network
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("dotdot", "contains '..'"),
        ("absolute", "absolute path"),
        ("symlink", "is a link"),
        ("hardlink", "is a link"),
        ("device", "device or special file"),
    ],
)
def test_malicious_archive_is_refused(server, tmp_path, kind, reason):
    url, served = server
    dest = tmp_path / "cache" / "fsdd"
    with pytest.raises(DataError, match=reason) as info:
        download_fsdd(dest, url=f"{url}/{kind}.tar.gz", progress=False)
    member = "link.wav" if kind in ("symlink", "hardlink", "device") else "evil"
    assert member in str(info.value)
    assert_nothing_installed(dest)
    assert not (tmp_path / "cache" / "evil").exists() and not (tmp_path / "evil").exists()
    assert not (served / "absolute-evil").exists()


@pytest.mark.network
@pytest.mark.parametrize(("name", "reason"), [("missing.tar.gz", "could not download"),
                                              ("garbage.tar.gz", "not a readable")])
def test_failed_download_leaves_nothing(server, tmp_path, name, reason):
    url, _ = server
    dest = tmp_path / "cache" / "fsdd"
    with pytest.raises(DataError, match=reason) as info:
        download_fsdd(dest, url=f"{url}/{name}", progress=False)
    assert name in str(info.value)
    assert_nothing_installed(dest)


def test_existing_unverified_dest_is_not_overwritten(tmp_path):
    dest = tmp_path / "fsdd"
    (dest / "recordings").mkdir(parents=True)
    (dest / "recordings" / "0_a_0.wav").write_bytes(b"mine")
    with pytest.raises(DataError, match="already exists"):
        download_fsdd(dest, url="http://127.0.0.1:9/none.tar.gz", progress=False)
    assert (dest / "recordings" / "0_a_0.wav").read_bytes() == b"mine"


def test_fsdd_path_search_order(fsdd_path, tmp_path, monkeypatch):
    other = tmp_path / "other"
    (other / "recordings").mkdir(parents=True)
    (other / "recordings" / "0_a_0.wav").write_bytes(b"RIFF")
    cached = tmp_path / "cache" / "fsdd"
    (cached / "recordings").mkdir(parents=True)
    (cached / "recordings" / "1_b_1.wav").write_bytes(b"RIFF")
    monkeypatch.setenv("AUDIOGAN_CACHE", str(tmp_path / "cache"))

    # 1. an explicit path wins over the environment variable
    monkeypatch.setenv("AUDIOGAN_DATA", str(fsdd_path))
    assert fsdd_path_of(other) == other
    # 2. then the environment variable, over the cache
    assert fsdd_path_of(None) == fsdd_path
    # 3. then the cache
    monkeypatch.delenv("AUDIOGAN_DATA")
    assert fsdd_path_of(None) == cached
    # bad folders are named in the error
    with pytest.raises(DataError, match=f"{tmp_path / 'empty'}.*no recordings"):
        fsdd_path_of(tmp_path / "empty")
    monkeypatch.setenv("AUDIOGAN_DATA", str(tmp_path / "nothing-here"))
    with pytest.raises(DataError, match="AUDIOGAN_DATA=.*nothing-here"):
        fsdd_path_of(None)
    # 4. nothing anywhere and no download: say how to fix it
    monkeypatch.delenv("AUDIOGAN_DATA")
    monkeypatch.setenv("AUDIOGAN_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(DataError, match="set AUDIOGAN_DATA"):
        fsdd_path_of(None)


def fsdd_path_of(path):
    return find_fsdd(path, download=False, progress=False)
