"""Argument checks shared by the ``nn`` modules: numbers, counts, names and arrays.

Each check returns the value in the form the caller computes with (a ``float``, an ``int``,
a float64 array) or raises: ``TypeError`` naming the type when the value is not of the right
kind, ``ValueError`` naming the argument when it is out of range. Only the standard library
and numpy are used, so that :mod:`nn.backprop` (which must not lean on ``autograd``) can
share the checks too.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["choice", "count", "fraction", "matrix", "non_negative", "positive", "real"]


def real(name: str, value: object) -> float:
    """``value`` as a float, if it is a real number (not a bool).

    Raises:
        TypeError: Naming the type of anything else.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def non_negative(name: str, value: object) -> float:
    """A finite real number ≥ 0, as a float.

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is negative, infinite or NaN.
    """
    out = real(name, value)
    if not 0.0 <= out < math.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {out}")
    return out


def positive(name: str, value: object) -> float:
    """A finite real number > 0, as a float.

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is not positive, or infinite or NaN.
    """
    out = real(name, value)
    if not 0.0 < out < math.inf:
        raise ValueError(f"{name} must be positive and finite, got {out}")
    return out


def fraction(name: str, value: object) -> float:
    """A real number in [0, 1), as a float (momentum, Adam's betas).

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is outside [0, 1).
    """
    out = real(name, value)
    if not 0.0 <= out < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {out}")
    return out


def count(name: str, value: object, minimum: int = 1) -> int:
    """An integer ≥ ``minimum`` (a Python or numpy integer, not a bool), as an int.

    Raises:
        ValueError: For anything else, naming the argument and the value.
    """
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    """Check that ``value`` is one of ``allowed``.

    Raises:
        ValueError: Listing the allowed values.
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed!r}, got {value!r}")


def matrix(
    name: str,
    value: ArrayLike,
    *,
    rows: int | None = None,
    cols: int | None = None,
    column: bool = False,
    height: str = "N",
    width: str = "K",
) -> NDArray[np.float64]:
    """A finite 2-D float64 array with at least one row, of the given size where one is given.

    Args:
        name: The argument's name, for the error.
        value: Anything numpy turns into a float array.
        rows: Required number of rows (N), or None.
        cols: Required number of columns, or None.
        column: Take a 1-D array as one column (N responses of a single-output model).
        height: The letter for the number of rows in the error (N observations).
        width: The letter for the number of columns in the error (p inputs, K outputs).

    Returns:
        The array (a new one only if a conversion was needed).

    Raises:
        ValueError: On another shape, no rows, or a NaN or infinite entry.
    """
    arr = np.asarray(value, dtype=np.float64)
    if column and arr.ndim == 1:
        arr = arr[:, None]
    if (arr.ndim != 2 or arr.shape[0] == 0 or (rows is not None and arr.shape[0] != rows)
            or (cols is not None and arr.shape[1] != cols)):
        want = f"({height if rows is None else rows}, {width if cols is None else cols})"
        some = " (at least one row)" if rows is None else ""
        raise ValueError(f"{name} must have shape {want}{some}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got a nan or inf entry")
    return arr
