"""Derivatives of functions of floats: ``grad``, ``value_and_grad`` and ``hessian``.

The names and the ``argnums`` convention follow HIPS autograd and JAX. ``f`` takes floats
and is written with Value operations (``x * x + x.sin()``); the functions returned here call
it with every positional number argument made a fresh Value leaf (other arguments, and all
keyword arguments, are passed as given) and return plain floats. They never touch any
``.grad``: the gradients come from :func:`autograd.graph.gradients`, which computes without
committing, so a model's parameters that ``f`` closes over are left exactly as they were.

>>> from autograd import grad, hessian
>>> grad(lambda x, y: x * y + x.sin())(0.0, 2.0)
3.0
>>> hessian(lambda x, y: x * x * y)(1.0, 3.0)
[[6.0, 2.0], [2.0, 0.0]]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd.graph import gradients, tangent
from autograd.mode import enable_grad
from autograd.value import Value

__all__ = ["grad", "hessian", "jvp", "value_and_grad"]

Argnums = int | tuple[int, ...]


def _positions(argnums: Argnums, n: int) -> tuple[int, ...]:
    """The argument positions to differentiate, checked against the call's n arguments."""
    if n == 0:
        raise TypeError("the function needs at least one argument to differentiate")
    many = argnums if isinstance(argnums, tuple) else (argnums,)
    for k in many:
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -n <= k < n:
            raise ValueError(f"argnums {k} is out of range for a call with {n} arguments")
    positions = tuple(k % n for k in many)
    if len(set(positions)) != len(positions):
        raise ValueError(f"argnums repeats an argument: {argnums!r}")
    return positions


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _evaluate(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              positions: tuple[int, ...]) -> tuple[Value | float, list[Value]]:
    """Call f with every positional number as a Value leaf; return the leaves at ``positions``.

    Numbers not differentiated are Values too (so f may call ``y.exp()`` on any of them);
    other arguments (data, options) and keyword arguments are passed as given. ``f`` may
    return a Value or a plain number (a constant: every derivative is 0).
    """
    for k in positions:
        if not _is_number(args[k]):
            raise TypeError(f"argument {k} is differentiated, so it must be a real number, got "
                            f"{type(args[k]).__name__} (pass v.data for a Value v)")
    call = [Value(a, label=f"x{k}") if _is_number(a) else a for k, a in enumerate(args)]
    with enable_grad():  # an explicit request: an enclosing no_grad() must not change it
        out = f(*call, **kwargs)
    if not isinstance(out, Value) and not _is_number(out):
        raise TypeError(f"the function must return a Value (or a number), got "
                        f"{type(out).__name__}")
    return out, [call[k] for k in positions]


def _table(out: Value | float, seed: Any = 1.0) -> dict[Value, Any]:
    """∂out/∂node for every node of out's graph; empty for a constant (a plain number)."""
    return gradients(out, seed) if isinstance(out, Value) else {}


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0
                   ) -> Callable[..., tuple[float, Any]]:
    """A function returning ``(f(*args), ∂f/∂args[argnums])``.

    Args:
        f: A function of floats, written with Value operations, returning a scalar Value.
        argnums: Which argument to differentiate (an int), or several (a tuple).

    Returns:
        A function of the same arguments returning the value and the gradient: a float for
        an int ``argnums``, a tuple of floats for a tuple.

    Raises:
        TypeError: When the returned function is called: ``f`` returns neither a Value nor a
            number; ``argnums`` is not an int or tuple; a differentiated argument is not a
            real number.
        ValueError: ``argnums`` is out of range or repeats an argument.
        ZeroDivisionError, ValueError, OverflowError: From the engine (domain, overflow).
    """
    def value_and_derivative(*args: Any, **kwargs: Any) -> tuple[float, Any]:
        out, leaves = _evaluate(f, args, kwargs, _positions(argnums, len(args)))
        table = _table(out)
        found = tuple(float(table.get(leaf, 0.0)) for leaf in leaves)
        value = out.data if isinstance(out, Value) else float(out)
        return value, found if isinstance(argnums, tuple) else found[0]

    return value_and_derivative


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning ∂f/∂args[argnums]; see :func:`value_and_grad`."""
    value_and_derivative = value_and_grad(f, argnums)

    def derivative(*args: Any, **kwargs: Any) -> Any:
        return value_and_derivative(*args, **kwargs)[1]

    return derivative


def hessian(f: Callable[..., Any], argnums: Argnums | None = None
            ) -> Callable[..., list[list[float]]]:
    """A function returning the matrix of second derivatives ∂²f/∂x_i∂x_j, as nested lists.

    The first derivatives are computed as Values with their own graph (``create_graph``),
    then each is differentiated again with the same table.

    Args:
        f: A function of floats, written with Value operations, returning a scalar Value.
        argnums: The arguments to differentiate (an int or a tuple); all of them by default.

    Returns:
        A function of the same arguments returning an n × n nested list of floats, n the
        number of differentiated arguments.
    """
    def second_derivatives(*args: Any, **kwargs: Any) -> list[list[float]]:
        chosen = tuple(range(len(args))) if argnums is None else argnums
        out, leaves = _evaluate(f, args, kwargs, _positions(chosen, len(args)))
        with enable_grad():
            first = _table(out, Value(1.0))
        rows = []
        for leaf in leaves:
            g = first.get(leaf)
            table = _table(g) if isinstance(g, Value) else {}
            rows.append([float(table.get(other, 0.0)) for other in leaves])
        return rows

    return second_derivatives


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]
        ) -> tuple[float, float]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``.

    JAX's name and convention: the result is ``(f(x), Σ_j ∂f/∂x_j · t_j)``. One forward sweep
    carries the tangents through the same op rows that ``backward`` uses, so one call gives
    one directional derivative (one column of the Jacobian); reverse mode (:func:`grad`) gives
    every partial derivative in one backward pass.

    >>> from autograd import jvp
    >>> jvp(lambda x, y: x * y + x.sin(), (0.0, 2.0), (1.0, 0.0))  # ∂/∂x at (0, 2)
    (0.0, 3.0)

    Args:
        f: A function of floats, written with Value operations, returning a scalar Value.
        primals: The point: one real number per positional argument of ``f``.
        tangents: The direction: one real number per primal.

    Returns:
        ``(value, tangent)`` as floats.

    Raises:
        TypeError: ``primals`` or ``tangents`` hold something other than real numbers, or
            ``f`` returns neither a Value nor a number.
        ValueError: ``tangents`` is not as long as ``primals``, or holds nan or inf.
        DivisionByZeroError, DomainError, FloatOverflowError: From the engine.
    """
    if not (isinstance(primals, Sequence) and isinstance(tangents, Sequence)):
        raise TypeError("jvp: primals and tangents must be sequences of numbers (a tuple, "
                        f"one per argument), got {type(primals).__name__} and "
                        f"{type(tangents).__name__}")
    args, direction = tuple(primals), tuple(tangents)
    if len(direction) != len(args):
        raise ValueError(f"jvp: {len(direction)} tangents for {len(args)} primals")
    for t in direction:
        if not _is_number(t):
            raise TypeError(f"jvp: each tangent must be a real number, got "
                            f"{type(t).__name__}: {t!r}")
        if not math.isfinite(t):
            raise ValueError(f"jvp: each tangent must be finite, got {t!r}")
    seeds = [float(t) for t in direction]
    out, leaves = _evaluate(f, args, {}, _positions(tuple(range(len(args))), len(args)))
    if not isinstance(out, Value):
        return float(out), 0.0
    return out.data, tangent(out, dict(zip(leaves, seeds, strict=True)))
