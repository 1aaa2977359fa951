"""Atomic file writing: a crash or an error mid-write never leaves a half-written file.

Used for the drawings of :mod:`autograd.viz` and the state files of :mod:`nn.module`, so that
both get the same guarantees: the new content goes to a temporary file in the destination's
folder, is flushed to disk, gets the permissions an ordinary new file would get (from the
umask), and only then replaces the destination in one rename.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically"]


def _umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Write a file through ``write(fh)`` so that ``path`` is either the old or the new file.

    ``write`` receives a binary file open on a temporary file in the same folder as ``path``.
    When it returns, the file is flushed and synced to disk, given the mode of the file it
    replaces, or ``0o666 & ~umask`` for a new file (like a file made by ``open``, not the
    private mode of ``tempfile.mkstemp``), and renamed over ``path`` (over the file a
    symlink ``path`` points to, keeping the link). On any exception, the temporary file is
    removed, ``path`` is untouched and the exception propagates.

    Args:
        path: The destination file; its folder must exist.
        write: Writes the content to the file handle it is given.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError: ``path``'s folder does not exist.
        OSError: If the temporary file cannot be created, written or renamed.
    """
    target = Path(os.path.realpath(path))  # through a symlink, to the file it names
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {os.fspath(path)!r}: the folder "
                                f"{os.fspath(target.parent)!r} does not exist")
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(path)
