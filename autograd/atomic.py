"""File writing that never hurts the user: whole files or nothing, and special files left alone.

Used for the drawings of :mod:`autograd.viz`, the pages of the command line and the state
files of :mod:`nn.module`, so that all of them get the same guarantees:

* A regular file (or a new one) is replaced atomically: the new content goes to a
  temporary file in the destination's folder, is synced to disk, gets the mode of the file
  it replaces (or that of an ordinary new file, from the umask), and only then replaces the
  destination in one rename. A crash or an error mid-write leaves the old file intact.
* A device or a FIFO (``/dev/null``, a named pipe), and a file reached through a file
  descriptor link (``/dev/stdout``, ``/dev/fd/3``, ``/proc/...``) is written directly, in
  place, and never replaced or created.
* A folder, a socket or an empty path is refused with a clear error.

Temporary files are named ``.dg-<8 random characters>.tmp``, short enough for any legal
file name, and removed on every error path; one left behind (the process was killed with
``kill -9`` or the machine lost power mid-write) is recognisable by that name and safe to
delete.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["FIFO_WAIT_SECONDS", "TEMP_PREFIX", "TEMP_SUFFIX", "check_writable",
           "make_folder", "write_atomically"]

TEMP_PREFIX, TEMP_SUFFIX = ".dg-", ".tmp"
"""Temporary files are ``.dg-XXXXXXXX.tmp`` in the destination's folder."""

FIFO_WAIT_SECONDS = 10.0
"""How long writing to a FIFO waits, by default, for a program to open it for reading."""

_FD_LINKS = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/")


def _new_temp(folder: Path) -> tuple[int, str]:
    """Create an empty ``.dg-XXXXXXXX.tmp`` in ``folder``, as ``open`` would make a new file.

    The mode is ``0o666`` less the umask, applied by the system: unlike ``tempfile.mkstemp``
    (mode 0o600), nothing has to read the umask, which only setting it can do (a change of
    process-wide state that other threads would see).
    """
    for _ in range(100):
        name = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name in {os.fspath(folder)!r}")


def _existing(path: str) -> os.stat_result | None:
    """``os.stat(path)`` following symlinks, or None when nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _is_direct(path: str, st: os.stat_result | None) -> bool:
    """Whether ``path`` is written in place: a special file, or a file descriptor link."""
    if st is not None and not stat.S_ISREG(st.st_mode):
        return True
    return os.path.abspath(path).startswith(_FD_LINKS)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before anything is written, a path :func:`write_atomically` cannot write.

    Args:
        path: The destination.

    Raises:
        ValueError: ``path`` is empty.
        IsADirectoryError: ``path`` is a folder.
        OSError: ``path`` is a socket (nothing can be written to it as a file).
        FileNotFoundError: ``path``'s folder does not exist, or a file descriptor link
            (``/dev/fd/3``) names nothing (such files are never created).
    """
    text = os.fspath(path)
    if not text:
        raise ValueError("the file name is empty")
    st = _existing(text)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"cannot write {text!r}: it is a folder")
    if st is not None and stat.S_ISSOCK(st.st_mode):
        raise OSError(errno.ENXIO, f"cannot write {text!r}: it is a socket")
    if _is_direct(text, st):
        if st is None:
            raise FileNotFoundError(f"cannot write {text!r}: no such file descriptor")
        return
    folder = Path(os.path.realpath(text)).parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {text!r}: the folder {os.fspath(folder)!r} "
                                "does not exist")


def _open_fifo(path: str, wait: float) -> int:
    """Open a FIFO for writing, waiting at most ``wait`` seconds for a reader."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if time.monotonic() > deadline:
                raise OSError(errno.ENXIO, f"cannot write {path!r}: no program opened this "
                              f"FIFO for reading within {wait:g} s") from None
            time.sleep(0.05)
        else:
            os.set_blocking(fd, True)
            return fd


def _write_directly(path: str, st: os.stat_result | None,
                    write: Callable[[BinaryIO], object], fifo_wait: float) -> None:
    """Write into ``path`` in place: no temporary file, no rename, no O_CREAT, no O_TRUNC.

    O_APPEND keeps what the shell already wrote when ``/dev/stdout`` is redirected to a file.
    """
    if st is not None and stat.S_ISFIFO(st.st_mode):
        fd = _open_fifo(path, fifo_wait)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "wb") as fh:
        write(fh)


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object], *,
                     fifo_wait: float = FIFO_WAIT_SECONDS) -> Path:
    """Write a file through ``write(fh)`` so that ``path`` is either the old or the new file.

    For a regular file (or a new one), ``write`` receives a binary file open on a temporary
    file in the same folder as ``path``. When it returns, the file is flushed and synced to
    disk, given the mode of the file it replaces, or ``0o666 & ~umask`` for a new file (like
    a file made by ``open``, not the private mode of ``tempfile.mkstemp``), and renamed over
    ``path`` (over the file a symlink ``path`` points to, keeping the link). On any
    exception, including KeyboardInterrupt, the temporary file is removed, ``path`` is
    untouched and the exception propagates.

    A device or FIFO (``/dev/null``, a pipe), or a file descriptor link (``/dev/stdout``),
    is instead written directly and never replaced.

    Args:
        path: The destination file; its folder must exist.
        write: Writes the content to the file handle it is given.
        fifo_wait: How many seconds a FIFO waits for a program to open it for reading.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError, IsADirectoryError, FileNotFoundError: as :func:`check_writable`.
        OSError: If the file cannot be created, written or renamed, or a FIFO gets no reader.
    """
    check_writable(path)
    text = os.fspath(path)
    st = _existing(text)
    if _is_direct(text, st):
        _write_directly(text, st, write, fifo_wait)
        return Path(path)
    target = Path(os.path.realpath(text))  # through a symlink, to the file it names
    fd, tmp = _new_temp(target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:  # replacing a file: keep its mode
            os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(path)


def make_folder(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` (and its parents) if it is missing, for files written into it.

    Raises:
        ValueError: ``path`` names something that is not a folder (a file, a device), or the
            folder cannot be created (the message says why).
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ValueError(f"cannot write into {str(folder)!r}: it is not a folder") from None
    except OSError as err:
        raise ValueError(f"cannot create the folder {str(folder)!r}: "
                         f"{err.strerror or err}") from None
    return folder
