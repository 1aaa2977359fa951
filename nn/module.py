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

import math
import os
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from autograd import Value
from autograd.atomic import write_atomically

__all__ = ["Module", "Parameter"]

_SHOWN_NAMES = 3
"""How many expected names an "unexpected name" error lists."""


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
            shown = ", ".join(repr(name) for name in expected[:_SHOWN_NAMES])
            more = ", ..." if len(expected) > _SHOWN_NAMES else ""
            raise KeyError(
                f"state has unexpected name {unexpected[0]!r} "
                f"(expected {len(expected)} names: {shown}{more})"
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
            OSError: If the file cannot be written (any old file is left as it was).
        """
        state = self.state_dict()

        def write(fh: BinaryIO) -> None:
            with zipfile.ZipFile(fh, "w") as archive:
                for name, value in state.items():
                    with archive.open(f"{name}.npy", "w") as member:
                        array = np.asarray(value, dtype=np.float64)
                        np.lib.format.write_array(member, array, allow_pickle=False)

        write_atomically(path, write)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read an archive written by :meth:`save` and :meth:`load_state_dict` it.

        Args:
            path: The ``.npz`` file.

        Raises:
            KeyError, ValueError, TypeError: As :meth:`load_state_dict`; nothing is changed.
            ValueError: Also if the file is not an ``.npz`` archive of ``.npy`` members (a
                single ``.npy`` file, for one) or holds object arrays (pickles are never
                loaded).
            OSError: If the file cannot be read.
        """
        state: dict[str, np.ndarray] = {}
        try:
            with zipfile.ZipFile(Path(path)) as archive:
                for member in archive.namelist():
                    if not member.endswith(".npy"):
                        raise ValueError(f"{path}: unexpected member {member!r} in the archive")
                    with archive.open(member) as fh:
                        state[member.removesuffix(".npy")] = np.lib.format.read_array(
                            fh, allow_pickle=False
                        )
        except zipfile.BadZipFile:
            raise ValueError(
                f"{path} is not a state archive (an .npz file written by Module.save)"
            ) from None
        self.load_state_dict(state)


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
