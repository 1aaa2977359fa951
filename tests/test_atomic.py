"""Tests for autograd/atomic.py: the one atomic file writer that viz and nn share."""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from autograd.atomic import check_writable, make_folder, write_atomically


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


def test_the_temporary_file_has_a_short_recognisable_name(tmp_path: Path) -> None:
    seen: list[str] = []

    def spy(fh: BinaryIO) -> None:
        seen.extend(p.name for p in tmp_path.iterdir())
        fh.write(b"x")

    write_atomically(tmp_path / ("n" * 255), spy)  # the longest legal name still works
    assert len(seen) == 1
    assert re.fullmatch(r"\.dg-\w{8}\.tmp", seen[0])
    assert [p.name for p in tmp_path.iterdir()] == ["n" * 255]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_is_written_in_place_never_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a copy of /dev/null
    write_atomically(null, lambda fh: fh.write(b"gone"))
    st = null.stat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_fifo_is_written_to_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomically(fifo, lambda fh: fh.write(b"through the pipe"))
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_fifo_without_a_reader_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"no program opened this FIFO for reading within 0\.2 s"):
        write_atomically(fifo, lambda fh: fh.write(b"x"), fifo_wait=0.2)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("folder", ["/dev/fd", "/proc/self/fd", "/proc/thread-self/fd"])
def test_a_file_descriptor_link_is_written_in_place(folder: str, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with target.open("wb") as fh:
        fh.write(b"before|")
        fh.flush()
        inode = target.stat().st_ino
        write_atomically(f"{folder}/{fh.fileno()}", lambda out: out.write(b"after"))
    assert target.read_bytes() == b"before|after"  # appended, the file kept its inode
    assert target.stat().st_ino == inode
    with pytest.raises(FileNotFoundError, match="no such file descriptor"):
        write_atomically(f"{folder}/987654", lambda out: out.write(b"x"))


def test_a_link_to_a_descriptor_link_is_written_in_place(tmp_path: Path) -> None:
    target, link = tmp_path / "out.txt", tmp_path / "link"
    with target.open("wb") as fh:
        link.symlink_to(f"/dev/fd/{fh.fileno()}")
        write_atomically(link, lambda out: out.write(b"through"))
    assert target.read_bytes() == b"through" and link.is_symlink()


def _replaced(path: Path | str, real: Path) -> None:
    """Write ``path`` twice over ``real``: each write replaces the file (a new inode)."""
    real.write_bytes(b"an old, longer content")
    inode = real.stat().st_ino
    write_atomically(path, lambda fh: fh.write(b"new"))
    assert real.read_bytes() == b"new" and real.stat().st_ino != inode
    assert [p.name for p in real.parent.iterdir() if p.name.startswith(".dg-")] == []


def test_proc_self_cwd_names_the_regular_file_in_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: /proc/self/cwd/model.npz was appended to (and the model lost)."""
    monkeypatch.chdir(tmp_path)
    _replaced("/proc/self/cwd/model.npz", tmp_path / "model.npz")
    check_writable("/proc/self/cwd/model.npz")


def test_links_in_the_folder_part_are_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    _replaced(tmp_path / "alias" / "g.svg", real / "g.svg")
    assert (tmp_path / "alias").is_symlink()


def test_a_dangling_link_creates_the_file_it_names(tmp_path: Path) -> None:
    link = tmp_path / "link.svg"
    link.symlink_to("made.svg")  # relative: in the link's folder
    write_atomically(link, lambda fh: fh.write(b"x"))
    assert (tmp_path / "made.svg").read_bytes() == b"x" and link.is_symlink()


def test_a_loop_of_links_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="more than 40 symbolic links") as caught:
        write_atomically(tmp_path / "a", lambda fh: fh.write(b"x"))
    assert caught.value.errno == errno.ELOOP


def _bind_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))  # the socket file stays after close


def _block_device(path: Path) -> None:
    os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(7, 0))  # a loop device's node


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda p: p.mkdir(), IsADirectoryError, "it is a folder"),
    (_bind_socket, OSError, "it is a socket"),
    pytest.param(_block_device, OSError, "it is a block device", marks=pytest.mark.skipif(
        os.geteuid() != 0, reason="mknod of a block device needs root")),
])
def test_folders_sockets_and_block_devices_are_refused(
    tmp_path: Path, make: Callable[[Path], object], error: type[Exception], match: str
) -> None:
    path = tmp_path / "s"
    make(path)
    before = path.lstat()
    for through in (path, tmp_path / "link"):  # also through a symbolic link
        if through != path:
            through.symlink_to(path)
        with pytest.raises(error, match=match):
            check_writable(through)
        with pytest.raises(error, match=match):
            write_atomically(through, lambda fh: fh.write(b"x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "s"]
    assert path.lstat().st_ino == before.st_ino and path.lstat().st_mode == before.st_mode


def test_a_name_ending_in_a_slash_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="it names a folder"):
        write_atomically(f"{tmp_path}/new/", lambda fh: fh.write(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_an_empty_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="the file name is empty"):
        write_atomically("", lambda fh: fh.write(b"x"))
    with pytest.raises(ValueError, match="the file name is empty"):
        check_writable("")


def test_make_folder_creates_parents_and_refuses_a_file(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    assert make_folder(nested) == nested and nested.is_dir()
    assert make_folder(nested) == nested  # already there: fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="it is not a folder"):
        make_folder(tmp_path / "file")
    with pytest.raises(ValueError, match="cannot create the folder"):
        make_folder(tmp_path / "file" / "sub")
