"""Tests for autograd/atomic.py: the one atomic file writer that viz and nn share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from autograd.atomic import write_atomically


def _with_umask(mask: int, path: Path) -> int:
    old = os.umask(mask)
    try:
        write_atomically(path, lambda fh: fh.write(b"data"))
    finally:
        os.umask(old)
    return path.stat().st_mode & 0o777


def test_writes_the_bytes_and_returns_the_path(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    assert write_atomically(str(target), lambda fh: fh.write(b"hello")) == target
    assert target.read_bytes() == b"hello"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_permissions_follow_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    assert _with_umask(mask, tmp_path / "f") == mode


def test_overwrites_and_syncs_before_renaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(target, lambda fh: fh.write(b"new"))
    assert events == ["fsync", "replace"]
    assert target.read_bytes() == b"new"


def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def half(fh: BinaryIO) -> None:
        fh.write(b"half")
        raise KeyboardInterrupt  # any exception, not only Exception

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_failed_rename_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(tmp_path / "f", lambda fh: fh.write(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "absent" / "f", lambda fh: fh.write(b"x"))


def test_overwriting_keeps_the_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.bin"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_atomically(path, lambda fh: fh.write(b"new"))
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o600


def test_writing_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_atomically(link, lambda fh: fh.write(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"the folder .*nope.* does not exist"):
        write_atomically(tmp_path / "nope" / "g.svg", lambda fh: fh.write(b"x"))
