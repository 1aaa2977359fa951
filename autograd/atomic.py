"""File writing that never hurts the user: whole files or nothing, and special files left alone.

Used for the drawings of :mod:`autograd.viz`, the pages of the command line and the state
files of :mod:`nn.module`, so that all of them get the same guarantees:

* Links in the folder part of a path are resolved first, so ``/proc/self/cwd/model.npz``
  names the file ``model.npz`` in the working folder; a symbolic link as the last part is
  followed to the file it names (the link is kept).
* A regular file (or a new one) is replaced atomically: the new content goes to a
  temporary file in the destination's folder, is synced to disk, gets the mode of the file
  it replaces (or that of an ordinary new file, from the umask), and only then replaces the
  destination in one rename. A crash or an error mid-write leaves the old file intact.
* A character device or a FIFO (``/dev/null``, a named pipe), and a file descriptor link
  (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/3``: an entry of a process's ``fd``
  folder) is written directly, in place, and never replaced or created.
* A folder, a block device, a socket or an empty path is refused with a clear error.

Temporary files are named ``.dg-<8 random characters>.tmp``, short enough for any legal
file name, and removed on every error path; one left behind (the process was killed with
``kill -9`` or the machine lost power mid-write) is recognisable by that name and safe to
delete.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple

__all__ = ["FIFO_WAIT_SECONDS", "TEMP_PREFIX", "TEMP_SUFFIX", "check_writable",
           "make_folder", "write_atomically"]

TEMP_PREFIX, TEMP_SUFFIX = ".dg-", ".tmp"
"""Temporary files are ``.dg-XXXXXXXX.tmp`` in the destination's folder."""

FIFO_WAIT_SECONDS = 10.0
"""How long writing to a FIFO waits, by default, for a program to open it for reading."""

_MAX_LINKS = 40
"""Symbolic links followed in the last part of a path before giving up (Linux's limit)."""

_FD_FOLDER = re.compile(r"/proc/(?:\d+|self|thread-self)(?:/task/\d+)?/fd")
"""A process's folder of file descriptor links, once ``/proc/self`` and the like resolved."""


def _new_temp(folder: str) -> tuple[int, str]:
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
    raise FileExistsError(errno.EEXIST, f"no free temporary name in {folder!r}")


class _Destination(NamedTuple):
    """Where :func:`write_atomically` writes, decided by :func:`_destination`."""

    path: str                     # the file to replace or to write in place
    st: os.stat_result | None     # what is there now (None: nothing, a new file)
    in_place: bool                # write into it directly (a device, a FIFO, a descriptor)


def _refuse_kind(text: str, st: os.stat_result) -> None:
    """Refuse a folder, a block device or a socket: nothing can be written there as a file."""
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"cannot write {text!r}: it is a folder")
    kind = ("a block device" if stat.S_ISBLK(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode) else None)
    if kind is not None:
        raise OSError(errno.ENXIO, f"cannot write {text!r}: it is {kind}")


def _destination(text: str) -> _Destination:
    """Resolve ``text`` to the file to write, following links as the module docstring says.

    The folder part goes through :func:`os.path.realpath`; the last part, when it is a
    symbolic link, is followed one step at a time (so that a descriptor link such as
    ``/proc/self/fd/1``, whose target may be ``pipe:[1234]``, is recognised, never read as
    a path).
    """
    if not text:
        raise ValueError("the file name is empty")
    current = text
    for _ in range(_MAX_LINKS):
        folder, name = os.path.split(current)
        if not name:  # "out/"
            raise IsADirectoryError(f"cannot write {text!r}: it names a folder")
        folder = os.path.realpath(folder or os.curdir)
        path = os.path.join(folder, name)
        if _FD_FOLDER.fullmatch(folder):  # a descriptor link: write to what it is open on
            try:
                st = os.stat(path)
            except FileNotFoundError:
                raise FileNotFoundError(f"cannot write {text!r}: no such file "
                                        "descriptor") from None
            _refuse_kind(text, st)
            return _Destination(path, st, True)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"cannot write {text!r}: the folder {folder!r} does "
                                    "not exist")
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return _Destination(path, None, False)
        if not stat.S_ISLNK(st.st_mode):
            _refuse_kind(text, st)
            return _Destination(path, st, not stat.S_ISREG(st.st_mode))
        current = os.path.join(folder, os.readlink(path))
    raise OSError(errno.ELOOP, f"cannot write {text!r}: more than {_MAX_LINKS} symbolic "
                  "links in a row")


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse, before anything is written, a path :func:`write_atomically` cannot write.

    Args:
        path: The destination.

    Raises:
        ValueError: ``path`` is empty.
        IsADirectoryError: ``path`` is a folder.
        OSError: ``path`` is a block device or a socket (nothing can be written to it as a
            file), or a loop of symbolic links.
        FileNotFoundError: ``path``'s folder does not exist, or a file descriptor link
            (``/dev/fd/3``) names nothing (such files are never created).
    """
    _destination(os.fspath(path))


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


def _write_directly(path: str, st: os.stat_result,
                    write: Callable[[BinaryIO], object], fifo_wait: float) -> None:
    """Write into ``path`` in place: no temporary file, no rename, no O_CREAT, no O_TRUNC.

    O_APPEND keeps what the shell already wrote when ``/dev/stdout`` is redirected to a file.
    """
    if stat.S_ISFIFO(st.st_mode):
        fd = _open_fifo(path, fifo_wait)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "wb") as fh:
        write(fh)


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object], *,
                     fifo_wait: float = FIFO_WAIT_SECONDS) -> Path:
    """Write a file through ``write(fh)`` so that ``path`` is either the old or the new file.

    Links in the folder part of ``path`` are resolved first (``/proc/self/cwd/f.svg`` is
    ``f.svg`` in the working folder). For a regular file (or a new one), ``write`` receives
    a binary file open on a temporary file in the destination's folder. When it returns,
    the file is flushed and synced to disk, given the mode of the file it replaces, or
    ``0o666 & ~umask`` for a new file (like a file made by ``open``, not the private mode of
    ``tempfile.mkstemp``), and renamed over the destination (over the file a symlink
    ``path`` points to, keeping the link). On any exception, including KeyboardInterrupt,
    the temporary file is removed, the destination is untouched and the exception
    propagates.

    A character device or FIFO (``/dev/null``, a pipe), or a file descriptor link
    (``/dev/stdout``, ``/proc/self/fd/3``), is instead written directly, appending, and
    never replaced.

    Args:
        path: The destination file; its folder must exist.
        write: Writes the content to the file handle it is given.
        fifo_wait: How many seconds a FIFO waits for a program to open it for reading.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError, IsADirectoryError, FileNotFoundError: as :func:`check_writable`.
        OSError: ``path`` is a block device or a socket (as :func:`check_writable`), or the
            file cannot be created, written or renamed, or a FIFO gets no reader.
    """
    target, st, in_place = _destination(os.fspath(path))
    if st is not None and in_place:
        _write_directly(target, st, write, fifo_wait)
        return Path(path)
    fd, tmp = _new_temp(os.path.dirname(target))
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
