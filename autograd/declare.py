"""Declaring an operation: the :class:`Op` row and :func:`op`, which makes one.

An op is everything the engine needs to know about one operation: its float function, its
local partial derivatives (one per operand, ``None`` where no gradient flows), optionally its
array function (for the tape) and a domain check, and how graphs and messages write it.
Declaring an op registers nothing anywhere: the op is the object :func:`op` returns, callable
on Values like a function. The built-ins of :data:`autograd.ops.OPS` are declared with the
same :func:`op` (``autograd.op`` is this function).
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, overload

__all__ = ["Number", "Op", "Partials", "op"]

Number = Any  # a float, a Value (create_graph) or an array of any array-API library (the tape)


class Op(NamedTuple):
    """One differentiable operation: a row of the table, made by :func:`op`.

    Calling it on Values (or numbers) computes it and records the node: ``fma(a, b, c)``.

    Attributes:
        name: Short name used in errors and graphs (``"mul"``).
        symbol: What graphs show for it (``"×"``).
        doc: The function and its derivatives, as the user would write them.
        arity: How many operands it takes.
        forward: The float function, ``forward(*xs) -> float``.
        array_forward: The same function on arrays, for the tape (element-wise, same
            branches); ``None`` if the op cannot be replayed on a batch.
        partials: ``partials(xs, out)`` returns ``∂out/∂x_j`` for each input ``x_j``, or
            ``None`` for an input that gets no gradient.
        check: ``check(*xs)`` raises if the float inputs are outside the op's domain.
        call: The name messages write it with (``exp(1000)``); ``None`` for an operator,
            written with its symbol (``10 ^ 400``).
    """

    name: str
    symbol: str
    doc: str
    arity: int
    forward: Callable[..., float]
    array_forward: Callable[..., Any] | None
    partials: Callable[[Any, Number], Sequence[Number | None]]
    check: Callable[..., None] | None = None
    call: str | None = None

    def __repr__(self) -> str:
        return f"<op {self.name} ({self.arity} operand{'s' if self.arity != 1 else ''})>"

    def __call__(self, *args: Any) -> Any:
        """Apply the op to Values or real numbers: the new Value, recorded in the graph."""
        from autograd.value import Value, apply  # value.py builds on this module

        if len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} operand"
                            f"{'s' if self.arity != 1 else ''}, got {len(args)}")
        out = apply(self, *args)
        if out is NotImplemented:
            bad = next(a for a in args if not isinstance(a, Value | numbers.Real)
                       or isinstance(a, bool))
            raise TypeError(f"{self.name} needs Values or real numbers, got "
                            f"{type(bad).__name__}: {bad!r}")
        return out


def _arity(forward: Callable[..., Any], name: str, arity: int | None) -> int:
    """How many operands ``forward`` takes: ``arity`` if given (checked), else its signature."""
    if arity is not None and (isinstance(arity, bool) or not isinstance(arity, int)
                              or arity < 1):
        raise TypeError(f"op {name!r}: arity must be a whole number >= 1, got {arity!r}")
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # a builtin without a signature (math.hypot, max)
        if arity is None:
            raise TypeError(f"op {name!r}: the number of operands of {forward!r} cannot be "
                            "read from its signature: give arity=") from None
        return arity
    if arity is not None:
        try:
            signature.bind(*range(arity))
        except TypeError:
            raise TypeError(f"op {name!r}: forward cannot take {arity} operands "
                            f"(its signature is {signature})") from None
        return arity
    params = signature.parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in kinds and p.default is p.empty for p in params) or \
            any(p.kind is p.VAR_POSITIONAL for p in params):
        raise TypeError(f"op {name!r}: forward must take a fixed number of positional "
                        "operands (no *args, no required keyword-only arguments)")
    n = sum(p.kind in kinds and p.default is p.empty for p in params)
    if n == 0:
        raise TypeError(f"op {name!r}: forward takes no operands")
    return n


Partials = Callable[[Any, Number], Sequence[Number | None]]


@overload
def op(forward: Callable[..., float], /, *, partials: Partials,
       array_forward: Callable[..., Any] | None = ..., check: Callable[..., None] | None = ...,
       symbol: str | None = ..., name: str | None = ..., doc: str | None = ...,
       operator: bool = ..., arity: int | None = ...) -> Op: ...


@overload
def op(forward: None = ..., /, *, partials: Partials,
       array_forward: Callable[..., Any] | None = ..., check: Callable[..., None] | None = ...,
       symbol: str | None = ..., name: str | None = ..., doc: str | None = ...,
       operator: bool = ..., arity: int | None = ...) -> Callable[[Callable[..., float]], Op]:
    ...


def op(forward: Callable[..., float] | None = None, /, *, partials: Partials,
       array_forward: Callable[..., Any] | None = None,
       check: Callable[..., None] | None = None, symbol: str | None = None,
       name: str | None = None, doc: str | None = None, operator: bool = False,
       arity: int | None = None) -> Op | Callable[[Callable[..., float]], Op]:
    """Declare a differentiable operation: as a decorator, or called on its forward function.

    >>> import math
    >>> from autograd import Value, op
    >>> @op(partials=lambda xs, out: (1 - out * out,), symbol="tanh₂")
    ... def my_tanh(x):
    ...     return math.tanh(x)
    >>> x = Value(0.5)
    >>> y = my_tanh(x)
    >>> y.backward()
    >>> round(x.grad, 12) == round(1 - math.tanh(0.5) ** 2, 12)
    True

    Declaring registers nothing: the op is the object returned, usable wherever a built-in
    is (``backward``, ``create_graph`` when its partials are written in arithmetic that
    also works on Values, ``grad``, ``jvp``, drawings, the tape when it has an
    ``array_forward``). The built-ins of :data:`OPS` are declared with this same function.

    Args:
        forward: The float function, ``forward(x_1, ..., x_n) -> float``.
        partials: ``partials(xs, out)``: the tuple of local derivatives ``∂out/∂x_j``, one
            per operand, ``None`` where no gradient flows (a constant operand).
        array_forward: The same function on arrays (the tape's replay), written against the
            arrays' namespace; optional. Outside the op's domain it must give nan or inf:
            the tape then runs ``check`` on that example's floats to raise its error.
        check: ``check(*xs)`` raises :class:`~autograd.errors.DomainError` (or another
            engine error) for float inputs outside the domain; optional.
        symbol: What graphs draw (default: the name).
        name: The name in errors and graphs (default: ``forward.__name__``).
        doc: The function and its derivatives in words (default: forward's docstring).
        operator: Written with its symbol between operands (``a + b``), as the built-in
            operators are, rather than as a call (``fma(a, b, c)``).
        arity: The number of operands, for a forward whose signature cannot be read.

    Returns:
        The :class:`Op`; with no ``forward``, a decorator that makes it.

    Raises:
        TypeError: ``forward``, ``partials``, ``array_forward`` or ``check`` is not
            callable, forward takes a variable number of operands, or a lambda has no name.
    """
    if forward is None:
        return lambda f: op(f, partials=partials, array_forward=array_forward, check=check,
                            symbol=symbol, name=name, doc=doc, operator=operator,
                            arity=arity)
    for what, fn in (("forward", forward), ("partials", partials),
                     ("array_forward", array_forward), ("check", check)):
        if fn is not None and not callable(fn):
            raise TypeError(f"op: {what} must be callable, got {type(fn).__name__}")
    if name is None:
        name = getattr(forward, "__name__", "")
        if not name.isidentifier():
            raise TypeError("op: give the op a name (name=...): its forward function has none")
    if not isinstance(name, str) or not name or not name.isprintable():
        raise TypeError(f"op: name must be a non-empty printable str, got {name!r}")
    if symbol is not None and (not isinstance(symbol, str) or not symbol.isprintable()):
        raise TypeError(f"op {name!r}: symbol must be a printable str, got {symbol!r}")
    n = _arity(forward, name, arity)
    text = doc if doc is not None else (inspect.getdoc(forward) or "").split("\n")[0]
    return Op(name, symbol or name, text, n, forward, array_forward, partials, check,
              None if operator else name)
