"""The engine's own errors: one base class, and the three ways an operation can fail.

Every error the engine raises because a number left an operation's domain derives from
:class:`EngineError`, and also from the built-in type that describes it, so existing
``except ValueError`` / ``ZeroDivisionError`` / ``OverflowError`` clauses keep working:

* :class:`DomainError` (a ``ValueError``): ``log(-1)``, ``sqrt(-2)``, ``(-8) ** 0.5``;
* :class:`DivisionByZeroError` (a ``ZeroDivisionError``): ``1 / 0``, an infinite slope;
* :class:`FloatOverflowError` (an ``OverflowError``): ``exp(1000)``, a gradient past 1.8e308.

Catching :class:`EngineError` tells an error the engine raised from one in the user's own
code (``int("oops")`` raises a plain ``ValueError``, never an ``EngineError``), which is how
the checking tools decide that a point lies outside a function's domain.
"""

from __future__ import annotations

__all__ = ["DivisionByZeroError", "DomainError", "EngineError", "FloatOverflowError"]


class EngineError(Exception):
    """Base class of the errors the engine raises when a number leaves an op's domain."""


class DomainError(EngineError, ValueError):
    """An operation's input lies outside its domain (``log(-1)``), named in the message."""


class DivisionByZeroError(EngineError, ZeroDivisionError):
    """A division by zero, or a derivative that is infinite at the point (``√x`` at 0)."""


class FloatOverflowError(EngineError, OverflowError):
    """A value or a gradient does not fit a float (``exp(1000)``)."""
