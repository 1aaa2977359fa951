"""Modules and parameters: the containers networks are built from.

A :class:`Parameter` is simply a :class:`~autograd.Value` that a :class:`Module` reports as
trainable. A Module finds its parameters by walking its own attributes, and lists and tuples
inside them, in order, so no registration is needed and nothing is hidden: an attribute that
was never set still raises ``AttributeError``. Dotted names follow the walk, so the Parameter
at ``net.alpha[2][0]`` is named ``"alpha.2.0"``.

State is saved as plain data (an ``.npz`` archive of named 0-d float arrays, read back with
``allow_pickle=False``), written atomically, and loaded all-or-nothing. The archive is written
and read member by member with :mod:`zipfile`, so any parameter name works (``np.savez``
would take names such as ``file`` or ``allow_pickle`` for its own keyword arguments).
"""

from __future__ import annotations

import html
import math
import os
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

from autograd import Value
from autograd.atomic import write_atomically

__all__ = ["Module", "Parameter"]

_SHOWN_NAMES = 3
"""How many expected names an "unexpected name" error lists."""

_SHOWN_GROUPS = 6
"""How many parameter groups a Module's repr lists."""
_HTML_ROWS = 20
"""How many parameters a Module's notebook table lists."""

_FLOAT64 = np.dtype("<f8")
_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_FLAGS_READ = 0x2 | 0x4 | 0x8 | 0x800  # deflate options, data descriptor, UTF-8 names
_MAX_MEMBER_BYTES = 4096
"""Largest member :meth:`Module.load` reads: a ``.npy`` header and one float take ~136 bytes."""
_MAX_DEFLATE_OVERHEAD = 64
"""Deflate adds at most a few bytes to data this small; more means a bogus directory entry."""
_EOCD_SIGNATURE, _EOCD_SIZE, _MAX_ZIP_COMMENT, _ZIP64_COUNT = b"PK\x05\x06", 22, 65535, 0xFFFF
_MEMBER_OVERHEAD, _END_OVERHEAD = 256, _EOCD_SIZE + _MAX_ZIP_COMMENT + 56 + 20
"""Bytes a member takes beyond its name (twice) and data (headers, descriptor, extra fields);
bytes after the members (end record, comment, the zip64 end record and locator of savez)."""
_MAX_NAME_BYTES = 0xFFFF - len(".npy")
"""Longest parameter name a state file holds, in UTF-8 bytes (zip's name length: 16 bits)."""


class Parameter(Value):
    """A trainable scalar: a leaf :class:`~autograd.Value` that modules collect.

    Being a Value, it takes part in expressions directly, and as a leaf its ``grad``
    accumulates across ``backward()`` calls until :meth:`Module.zero_grad`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("Value")


class Module:
    """Base class for anything that owns Parameters.

    Subclasses set Parameters, sub-Modules, or lists/tuples of them as ordinary attributes
    (in ``__init__``); :meth:`named_parameters` finds them in attribute order. Subclasses
    implement ``forward``; calling the module calls it.
    """

    def forward(self, *args: Any) -> Any:
        """Compute the module's output; subclasses override this.

        Raises:
            NotImplementedError: Always, on the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any) -> Any:
        """Same as :meth:`forward`."""
        return self.forward(*args)

    def __repr__(self) -> str:
        """One line: the parameter count, and the count under each top-level name.

        ``Toy(11 parameters: scale 1, alpha 3, inner 2, blocks 4)``; when every name starts
        the same (``layers.0...``, ``layers.1...``) the groups go one level deeper.
        """
        names = [name for name, _ in self.named_parameters()]
        heads = Counter(name.split(".", 1)[0] for name in names)
        if len(heads) == 1 and all("." in name for name in names):
            heads = Counter(".".join(name.split(".", 2)[:2]) for name in names)
        groups = [f"{head} {count}" for head, count in heads.items()]
        if len(groups) > _SHOWN_GROUPS:
            groups[_SHOWN_GROUPS:] = ["..."]
        listed = f": {', '.join(groups)}" if groups else ""
        return f"{type(self).__name__}({len(names)} parameters{listed})"

    def _repr_html_(self) -> str:
        """A table of the parameters (name, data, grad) for notebooks, at most 20 rows."""
        rows = []
        for i, (name, p) in enumerate(self.named_parameters()):
            if i == _HTML_ROWS:
                rows.append("<tr><td colspan='3'>...</td></tr>")
                break
            grad = p.grad.data if isinstance(p.grad, Value) else p.grad
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{p.data:.6g}</td>"
                        f"<td>{grad:.6g}</td></tr>")
        return (f"<table><caption>{html.escape(repr(self))}</caption><tr><th>parameter</th>"
                f"<th>data</th><th>grad</th></tr>{''.join(rows)}</table>")

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Every Parameter with its dotted name, in a stable order.

        Attributes are visited in the order they were first set; lists and tuples in index
        order; sub-Modules recursively. A Parameter, Module, list or tuple reachable twice is
        visited once, under its first name: a shared weight is not updated twice, and
        references back up the tree (``child.parent = self``, a list holding its owner) end
        the walk instead of looping.

        Yields:
            ``(name, parameter)`` pairs such as ``("alpha.2.0", Parameter(...))``.
        """
        seen: set[int] = {id(self)}
        stack: list[tuple[str, Any]] = list(reversed(list(vars(self).items())))
        while stack:
            name, obj = stack.pop()
            if not isinstance(obj, Parameter | Module | list | tuple) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, Parameter):
                yield name, obj
            elif isinstance(obj, Module):
                stack.extend((f"{name}.{k}", v) for k, v in reversed(list(vars(obj).items())))
            else:
                stack.extend((f"{name}.{i}", v) for i, v in reversed(list(enumerate(obj))))

    def parameters(self) -> list[Parameter]:
        """The Parameters in :meth:`named_parameters` order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every Parameter's gradient to 0.0 (leaves accumulate until this is called)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The Parameters' values by name, in :meth:`named_parameters` order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every Parameter from ``state``, or change nothing.

        Everything is checked before anything is assigned: the names must be exactly those
        of :meth:`named_parameters`, and each value a finite real scalar (a number or a 0-d
        array). Gradients are left alone.

        Args:
            state: Name → value, e.g. from :meth:`state_dict`.

        Raises:
            KeyError: A parameter is missing from ``state`` or ``state`` has an unknown name
                (the message names the first one).
            ValueError: A value is not a scalar (wrong shape) or not finite.
            TypeError: A value is not a real number.
        """
        named = list(self.named_parameters())
        expected = [name for name, _ in named]
        missing = [name for name in expected if name not in state]
        if missing:
            raise KeyError(f"state is missing parameter {missing[0]!r} ({len(missing)} missing)")
        known = set(expected)
        unexpected = [name for name in state if name not in known]
        if unexpected:
            raise KeyError(
                f"state has unexpected name {unexpected[0]!r} ({_expected_names(expected)})"
            )
        values = [_checked_scalar(name, state[name]) for name in expected]
        for (_, p), v in zip(named, values, strict=True):
            p.data = v

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`state_dict` to ``path`` as an ``.npz`` archive, atomically.

        Each parameter is one member ``<name>.npy`` holding a 0-d float64 array (no pickles),
        so ``numpy.load`` reads the file too. The archive goes to a temporary file that
        replaces ``path`` only when complete (:func:`autograd.atomic.write_atomically`), so
        a crash mid-save leaves any old file intact.

        Args:
            path: Destination file (written exactly there; no suffix is added).

        Raises:
            ValueError: A parameter name cannot be stored in the archive: it contains NUL
                or a lone surrogate, or it is longer than 65,531 bytes in UTF-8 (checked
                before anything is written).
            OSError: If the file cannot be written (any old file is left as it was).
        """
        state = self.state_dict()
        for name in state:
            _check_name(name)

        def write(fh: BinaryIO) -> None:
            with zipfile.ZipFile(fh, "w") as archive:
                for name, value in state.items():
                    with archive.open(f"{name}.npy", "w") as member:
                        array = np.asarray(value, dtype=np.float64)
                        np.lib.format.write_array(member, array, allow_pickle=False)

        write_atomically(path, write)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read an archive written by :meth:`save` and set every Parameter from it, or none.

        The file is checked before any array data is read: it must be a regular file no
        larger than an archive of this module's parameters can be (so reading its directory
        is work bounded by the module, whatever the file claims); the archive's directory
        may hold no more members than the module has parameters, named
        exactly ``<parameter>.npy``, each stored or deflated (not encrypted), small enough
        for one float; each member's ``.npy`` header must declare a little-endian float64
        (``<f8``) of the parameter's shape ``()``. Only then is each number read (with the
        archive's CRC checked) and, when all are finite, assigned. Pickles are never loaded.

        Args:
            path: The ``.npz`` file.

        Raises:
            FileNotFoundError: The file does not exist.
            ValueError: The file is not a state archive of this module: not a regular file,
                larger than such an archive can be, not a zip archive, a missing, unexpected
                or repeated member, a member that is compressed with another method,
                encrypted, too large, corrupt, or not a finite ``<f8`` scalar. The message
                names the member; nothing is changed. Also when a parameter's name is one
                no state file can hold (as :meth:`save` refuses it).
            OSError: The file cannot be read.
        """
        where = os.fspath(path)
        expected = [name for name, _ in self.named_parameters()]
        for name in expected:
            _check_name(name)
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError(f"{where} is not a regular file")
        with os.fdopen(fd, "rb") as fh:
            _check_end_record(fh, expected, where)
            try:
                archive = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
                raise ValueError(f"{where} is not a state archive (an .npz file written by "
                                 "Module.save)") from None
            with archive:
                infos = _checked_directory(archive, expected, where)
                state = {name: _read_scalar(archive, info, where) for name, info in infos}
        self.load_state_dict(state)


def _expected_names(expected: list[str]) -> str:
    """A few of the expected names, for error messages."""
    shown = ", ".join(repr(name) for name in expected[:_SHOWN_NAMES])
    more = ", ..." if len(expected) > _SHOWN_NAMES else ""
    return f"expected {len(expected)} names: {shown}{more}"


def _check_name(name: str) -> None:
    """Refuse a parameter name that a state file cannot hold and give back unchanged."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate
        size = -1
    problem = ("contains NUL (zip member names end there)" if "\0" in name
               else "is not UTF-8 text (it holds a lone surrogate)" if size < 0
               else f"is {size} bytes long in UTF-8, over {_MAX_NAME_BYTES}"
               if size > _MAX_NAME_BYTES else None)
    if problem is not None:
        raise ValueError(f"parameter name {name[:60]!r} {problem}: a state file cannot hold it")


def _largest_archive(names: list[str]) -> int:
    """The most bytes a state archive of parameters ``names`` can take (names checked)."""
    return _END_OVERHEAD + sum(2 * len(f"{name}.npy".encode()) + _MAX_MEMBER_BYTES
                               + _MAX_DEFLATE_OVERHEAD + _MEMBER_OVERHEAD for name in names)


def _check_end_record(fh: BinaryIO, names: list[str], where: str) -> None:
    """Refuse a file too large for ``names``, or listing too many members, from its end.

    Only the file's size and its last 64 KiB are read, so a forged archive (an end record
    claiming 2 members over a directory of millions) is refused at once: the directory
    :mod:`zipfile` then parses is bounded by the module's parameters, not by the file.
    The zip end-of-central-directory record (its last 22 bytes, before any comment)
    states the member count.
    """
    size = fh.seek(0, os.SEEK_END)
    largest = _largest_archive(names)
    if size > largest:
        raise ValueError(f"{where} is {size} bytes, more than a state archive of this "
                         f"module's {len(names)} parameters can take ({largest} bytes)")
    fh.seek(max(0, size - _EOCD_SIZE - _MAX_ZIP_COMMENT))
    tail = fh.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise ValueError(f"{where} is not a state archive (an .npz file written by "
                         "Module.save)")
    (count,) = struct.unpack_from("<H", tail, at + 10)  # total number of entries
    if count > len(names):
        more = " or more" if count == _ZIP64_COUNT else ""
        raise ValueError(f"{where}: the archive has {count}{more} members, but the module "
                         f"has {len(names)} parameters")


def _checked_directory(archive: zipfile.ZipFile, expected: list[str],
                       where: str) -> list[tuple[str, zipfile.ZipInfo]]:
    """The members in ``expected`` order, once every name and entry has been checked."""
    by_name: dict[str, zipfile.ZipInfo] = {}
    known = set(expected)
    for info in archive.infolist():
        member = info.filename
        name = member.removesuffix(".npy")
        if not member.endswith(".npy") or name not in known:
            raise ValueError(f"{where}: unexpected member {member!r} "
                             f"({_expected_names(expected)})")
        if name in by_name:
            raise ValueError(f"{where}: member {member!r} appears twice")
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}: member {member!r} is encrypted")
        if info.header_offset < 0:
            raise ValueError(f"{where}: member {member!r} has a negative offset (a damaged "
                             "directory)")
        if info.flag_bits & ~_FLAGS_READ:
            raise ValueError(f"{where}: member {member!r} uses zip features (flag bits "
                             f"{info.flag_bits:#x}) that are not read")
        if info.compress_type not in _METHODS:
            raise ValueError(f"{where}: member {member!r} uses compression method "
                             f"{info.compress_type}; only stored (0) and deflated (8) are read")
        if info.file_size > _MAX_MEMBER_BYTES:
            raise ValueError(f"{where}: member {member!r} declares {info.file_size} bytes; a "
                             f"saved parameter takes at most {_MAX_MEMBER_BYTES}")
        if info.compress_size > info.file_size + _MAX_DEFLATE_OVERHEAD:
            raise ValueError(f"{where}: member {member!r} declares {info.compress_size} "
                             f"compressed bytes for {info.file_size} bytes of data")
        by_name[name] = info
    missing = [name for name in expected if name not in by_name]
    if missing:
        raise ValueError(f"{where}: missing parameter {missing[0]!r} "
                         f"({len(missing)} missing)")
    return [(name, by_name[name]) for name in expected]


def _read_scalar(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> float:
    """One member's float, after its ``.npy`` header says it is a ``<f8`` scalar."""
    member = info.filename
    try:
        with archive.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version not in _NPY_HEADERS:
                raise ValueError(f"unsupported .npy format version {version}")
            shape, fortran_order, dtype = _NPY_HEADERS[version](fh)
            if dtype != _FLOAT64 or shape != () or fortran_order:
                raise ValueError(f"holds an array of dtype {dtype.str}, shape {shape}"
                                 f"{', Fortran order' if fortran_order else ''}; expected "
                                 "one float (dtype <f8, shape ())")
            data = fh.read()  # at most _MAX_MEMBER_BYTES; reading to the end checks the CRC
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as e:
        raise ValueError(f"{where}: member {member!r}: {e}") from None
    if len(data) != _FLOAT64.itemsize:
        raise ValueError(f"{where}: member {member!r} holds {len(data)} data bytes; "
                         f"expected {_FLOAT64.itemsize}")
    return float(np.frombuffer(data, dtype=_FLOAT64)[0])


def _checked_scalar(name: str, value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    if isinstance(value, np.ndarray):
        if value.shape != ():
            raise ValueError(f"{name}: expected a scalar (shape ()), got shape {value.shape}")
        if value.dtype.kind not in "fiu":
            raise TypeError(f"{name}: expected a real number, got dtype {value.dtype}")
        value = value.item()
    elif not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name}: expected a finite number, got {out}")
    return out
