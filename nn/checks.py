"""Argument checks shared by the ``nn`` modules, and the one rule that turns seeds into generators.

Each check returns the value in the form the caller computes with (a ``float``, an ``int``,
a generator) or raises: ``TypeError`` naming the type when the value is not of the right
kind, ``ValueError`` naming the argument when it is out of range. Only the standard library
and numpy are used, so that :mod:`nn.backprop` (which must not lean on ``autograd``) can
share the checks too.

Random sources: every function of ``nn`` that draws random numbers takes a
:data:`RandomSource` and turns it into a ``numpy.random.Generator`` with
:func:`as_generator`, so an integer seed means the same thing everywhere.
"""

from __future__ import annotations

import math
import numbers
import random

import numpy as np

__all__ = [
    "LOSSES",
    "OUTPUTS",
    "PENALTIES",
    "RandomSource",
    "as_generator",
    "check_pairing",
    "choice",
    "count",
    "fraction",
    "non_negative",
    "positive",
    "real",
]

OUTPUTS: tuple[str, ...] = ("identity", "softmax")
"""The output functions g_k of the lecture's net."""
LOSSES: tuple[str, ...] = ("squared", "cross_entropy")
"""The per-observation losses R_i."""
PENALTIES: tuple[str | None, ...] = (None, "weight_decay", "weight_elimination")
"""The penalties J of ESL §11.5.2 (None: no penalty)."""

RandomSource = random.Random | np.random.Generator | int | np.integer
"""A generator of either kind, or an integer seed (see :func:`as_generator`)."""


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


def as_generator(rng: RandomSource) -> np.random.Generator:
    """The ``numpy.random.Generator`` to draw from: never the global one.

    * a ``numpy.random.Generator`` is used as it is (and advanced by the draws);
    * a ``random.Random`` seeds a new Generator with 128 bits drawn from it (so it is
      advanced too, and two calls with the same ``random.Random`` give different streams);
    * an integer seed (Python or numpy integer, ≥ 0) gives ``numpy.random.default_rng(seed)``.

    Args:
        rng: A generator of either kind or a seed.

    Returns:
        The generator.

    Raises:
        TypeError: For anything else (bool, float, ``numpy.random.RandomState``, None, ...),
            naming its type.
        ValueError: For a negative seed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(128))
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"a seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, a random.Random or an int seed, "
        f"got {type(rng).__name__}"
    )


def check_pairing(loss: str, output: str) -> None:
    """Check ``loss`` and ``output`` are known and go together (cross-entropy needs softmax).

    Raises:
        ValueError: an unknown name, or cross-entropy without softmax outputs.
    """
    choice("loss", loss, LOSSES)
    choice("output", output, OUTPUTS)
    if loss == "cross_entropy" and output != "softmax":
        raise ValueError(
            "loss='cross_entropy' needs output='softmax' (log f_k needs probabilities), "
            f"got output={output!r}"
        )
