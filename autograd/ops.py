"""The table of differentiable operations: everything about an operation is its one row.

An :class:`Op` row holds what every part of the project needs to know about one operation:

* ``forward``: the float function, ``out = f(*xs)``, and ``array_forward``, the same function
  on numpy arrays (the tape replays graphs on batches with it);
* ``partials``: the local derivatives ``∂out/∂x_j`` from the inputs and the output, one per
  input, with ``None`` for an input that gets no gradient (a constant exponent);
* ``check``: a domain check that raises a clear error naming the op and the value;
* ``symbol`` (what graphs draw) and ``call`` (the function name users write, ``exp(x)``).

The partials are written in plain arithmetic, so they work on floats (the ordinary backward
pass), on Values (``backward(create_graph=True)``, which differentiates them again) and on
numpy arrays (the tape). Adding an op is one row here and one method line in ``value.py``;
a test checks that the two agree.

The engine needs only the standard library: numpy is imported by ``array_forward`` on first
use, and only the tape calls it.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from autograd.errors import DivisionByZeroError, DomainError, FloatOverflowError

Number = Any  # a float, a Value (create_graph) or a numpy array (the tape)


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


def _arity(forward: Callable[..., Any], name: str) -> int:
    """How many positional operands ``forward`` takes (it must take a fixed number)."""
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: math.tanh
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in kinds and p.default is p.empty for p in params) or \
            any(p.kind is p.VAR_POSITIONAL for p in params):
        raise TypeError(f"op {name!r}: forward must take a fixed number of positional "
                        "operands (no *args, no required keyword-only arguments)")
    n = sum(p.kind in kinds and p.default is p.empty for p in params)
    if n == 0:
        raise TypeError(f"op {name!r}: forward takes no operands")
    return n


def op(forward: Callable[..., float] | None = None, /, *,
       partials: Callable[[Any, Number], Sequence[Number | None]],
       array_forward: Callable[..., Any] | None = None,
       check: Callable[..., None] | None = None, symbol: str | None = None,
       name: str | None = None, doc: str | None = None, operator: bool = False,
       arity: int | None = None) -> Any:
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
        array_forward: The same function on arrays (the tape's replay); optional.
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
    if not isinstance(name, str) or not name:
        raise TypeError(f"op: name must be a non-empty str, got {name!r}")
    n = _arity(forward, name) if arity is None else arity
    text = doc if doc is not None else (inspect.getdoc(forward) or "").split("\n")[0]
    return Op(name, symbol or name, text, n, forward, array_forward, partials, check,
              None if operator else name)


def _np() -> Any:
    """numpy, imported on first use (the scalar engine runs without it)."""
    import numpy

    return numpy


def _fmt(x: float) -> str:
    """The shortest exact text of x, without a trailing ".0" (errors read like the input)."""
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _number(x: Number) -> float:
    """The float inside x: a float, or a Value's data (a constant operand, or for a message)."""
    return x if isinstance(x, float) else float(getattr(x, "data", math.nan))


def written(o: Op, xs: Any) -> str:
    """The operation on float inputs as a formula, for messages: ``exp(1000)``, ``10 ^ 400``."""
    shown = [f"{x:.6g}" for x in xs]
    if o.call is not None or len(shown) > 2:
        return f"{o.call or o.symbol}({', '.join(shown)})"
    return f"{o.symbol}{shown[0]}" if len(shown) == 1 else f"{shown[0]} {o.symbol} {shown[1]}"


def _sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x), evaluated without overflow for any finite x."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _array_sigmoid(x: Any) -> Any:
    """σ on an array, with the float version's two branches (no overflow)."""
    np = _np()
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _step(x: Number) -> Number:
    """1 for x > 0, else 0 (a constant: its own derivative is zero); elementwise on arrays."""
    return (x > 0) * 1.0


def _sign(x: Number) -> Number:
    """sign(x), with sign(0) = 0; elementwise on arrays."""
    return (x > 0) * 1.0 - (x < 0) * 1.0


def _call(name: str, x: Number) -> Number:
    """Apply the op ``name`` to a float, a Value (through its method) or an array."""
    row = _ROWS[name]
    if isinstance(x, float):
        return row.forward(x)
    method = getattr(x, name, None)  # a Value has one method per op; an array has none
    if method is not None:
        return method()
    return row.array_forward(x)  # type: ignore[misc]  # every built-in has one


def _infinite_slope(what: str, x: Number, err: ArithmeticError) -> ArithmeticError:
    """The error for a derivative that is infinite (division by zero) or overflows at x."""
    if isinstance(err, ZeroDivisionError):
        return DivisionByZeroError(f"{what} is infinite at x = {_fmt(_number(x))}")
    return FloatOverflowError(f"{what} overflows a float at x = {_fmt(_number(x))}")


def _check_div(a: float, b: float) -> None:
    if b == 0.0:
        raise DivisionByZeroError(f"truediv: division by zero ({_fmt(a)} / 0)")


def _check_powc(a: float, c: float) -> None:
    if a == 0.0 and c < 0.0:
        raise DivisionByZeroError(f"pow: 0 ** {_fmt(c)} is a division by zero")
    if a < 0.0 and not c.is_integer():
        raise DomainError(f"pow: {_fmt(a)} ** {_fmt(c)} is not real (negative base, "
                         "fractional exponent)")


def _partials_powc(xs: Any, out: Number) -> tuple[Number, None]:
    a, c = xs[0], _number(xs[1])  # c: a constant
    if c == 0.0:
        return (0.0, None)
    # Beyond 2^53, c is even and c - 1 rounds to an even number, so a ** (c - 1) would lose
    # the sign that a < 0 gives it: sign(a) puts it back (c a^(c-1) = c sign(a) |a|^(c-1)).
    fix = _sign(a) if c % 2.0 == 0.0 and (c - 1.0) % 2.0 == 0.0 else 1.0
    try:
        return (c * a ** (c - 1.0) * fix, None)
    except ArithmeticError as err:  # 0 ** (c - 1) with c < 1; or x ** -1 at x = 1e-200
        raise _infinite_slope(f"pow: the derivative of x ** {_fmt(c)}", a, err) from None


def _check_pow(a: float, b: float) -> None:
    if a < 0.0 or (a == 0.0 and b <= 0.0):
        raise DomainError(f"pow: a Value exponent needs a positive base (or 0 with a positive "
                         f"exponent), got {_fmt(a)} ** {_fmt(b)} (d(a**b)/db = a**b ln a); "
                         "use a number exponent instead")


def _log_or_zero(a: Number) -> Number:
    """ln a, or 0 where a = 0 (there a ** b = 0 for b > 0, and a^b ln a → 0)."""
    if not isinstance(a, float) and hasattr(a, "shape"):  # an array
        np = _np()
        return np.log(np.where(a > 0.0, a, 1.0))
    return 0.0 if _number(a) == 0.0 else _call("log", a)


def _array_pow(a: Any, b: Any) -> Any:
    """a ** b on arrays, nan where the base is outside the domain (a < 0, or a = 0 with b <= 0).

    Unlike the other ops, a power can be finite outside its domain ((-2) ** 2.0); the nan lets
    the tape find the example and raise the float check's error.
    """
    np = _np()
    with np.errstate(all="ignore"):
        return np.where((a > 0.0) | ((a == 0.0) & (b > 0.0)), np.power(a, b), np.nan)


def _partials_pow(xs: Any, out: Number) -> tuple[Number, Number]:
    a, b = xs
    try:
        da = b * a ** (b - 1.0)
    except ArithmeticError as err:  # 0 ** (b - 1) with 0 < b < 1
        raise _infinite_slope("pow: the derivative of a ** b in a", a, err) from None
    return (da, out * _log_or_zero(a))


def _check_log(x: float) -> None:
    if x <= 0.0:
        raise DomainError(f"log: log({_fmt(x)}) is undefined (needs x > 0)")


def _check_sqrt(x: float) -> None:
    if x < 0.0:
        raise DomainError(f"sqrt: sqrt({_fmt(x)}) is not real (needs x >= 0)")


def _partials_sqrt(xs: Any, out: Number) -> tuple[Number]:
    try:
        return (0.5 / out,)
    except ArithmeticError as err:
        raise _infinite_slope("sqrt: the derivative of sqrt(x)", xs[0], err) from None


def _check_exp(x: float) -> None:
    if x > 709.782712893384:  # log(largest float)
        raise FloatOverflowError(f"exp: exp({_fmt(x)}) overflows a float (needs x <= 709.78)")


def _partials_tanh(xs: Any, out: Number) -> tuple[Number]:
    # tanh' = 1 - tanh² cancels to 0 for |x| > 19. With u = e^-|x| (never overflows, even for
    # Values at x = 1e308) it is 4u²/(1 + u²)², to full relative precision everywhere.
    u = _call("exp", -abs(xs[0]))
    u2 = u * u
    return (4.0 * u2 / ((1.0 + u2) * (1.0 + u2)),)


def _no_gradient(xs: Any, out: Number) -> tuple[None]:
    return (None,)


DETACH = op(lambda x: x, partials=_no_gradient, array_forward=lambda x: x, name="detach",
            symbol="detach", doc="f = x, a stop-gradient: no gradient flows back through it")
"""The stop-gradient op. ``Value.detach()`` records it only while a tape is traced (so the
tape replays the example's own value); otherwise it returns a new leaf. Not in :data:`OPS`."""


def _infix(name: str, symbol: str, doc: str, forward: Callable[..., Any],
           partials: Callable[[Any, Number], Sequence[Number | None]],
           check: Callable[..., None] | None = None,
           array_forward: Callable[..., Any] | None = None) -> Op:
    """A built-in operator (``+``, ``**``): its forward works on floats and arrays alike."""
    return op(forward, partials=partials, array_forward=array_forward or forward, check=check,
              symbol=symbol, name=name, doc=doc, operator=True)


def _function(forward: Callable[..., float], array_forward: Callable[..., Any], doc: str,
              partials: Callable[[Any, Number], Sequence[Number | None]],
              check: Callable[..., None] | None = None, name: str | None = None,
              symbol: str | None = None) -> Op:
    """A built-in function (``exp``, ``tanh``): a Value method of the same name."""
    return op(forward, partials=partials, array_forward=array_forward, check=check,
              symbol=symbol, name=name, doc=doc, arity=1)


_BUILT_INS = [
    _infix("add", "+", "f = a + b;  ∂f/∂a = 1, ∂f/∂b = 1",
           lambda a, b: a + b, lambda xs, out: (1.0, 1.0)),
    _infix("sub", "−", "f = a - b;  ∂f/∂a = 1, ∂f/∂b = -1",
           lambda a, b: a - b, lambda xs, out: (1.0, -1.0)),
    _infix("mul", "×", "f = a b;  ∂f/∂a = b, ∂f/∂b = a",
           lambda a, b: a * b, lambda xs, out: (xs[1], xs[0])),
    _infix("truediv", "÷", "f = a / b;  ∂f/∂a = 1/b, ∂f/∂b = -a/b² = -f/b",
           lambda a, b: a / b, lambda xs, out: (1.0 / xs[1], -out / xs[1]), _check_div),
    _infix("neg", "−", "f = -a;  f' = -1", lambda a: -a, lambda xs, out: (-1.0,)),
    _infix("powc", "^", "f = a^c, c a constant (no gradient flows to it);  f' = c a^(c-1)",
           lambda a, c: a**c, _partials_powc, _check_powc),
    _infix("pow", "^", "f = a^b, a > 0 (or a = 0 < b);  ∂f/∂a = b a^(b-1), ∂f/∂b = a^b ln a "
           "(0 at a = 0)", lambda a, b: a**b, _partials_pow, _check_pow, _array_pow),
    _infix("rpow", "^", "f = c^b, c ≥ 0 a constant (no gradient flows to it);  f' = c^b ln c "
           "(0 at c = 0)", lambda c, b: c**b,
           lambda xs, out: (None, out * _log_or_zero(_number(xs[0]))), _check_pow, _array_pow),
    _function(math.exp, lambda x: _np().exp(x), "f = e^x;  f' = e^x = f",
              lambda xs, out: (out,), _check_exp),
    _function(math.log, lambda x: _np().log(x), "f = ln x, x > 0;  f' = 1/x",
              lambda xs, out: (1.0 / xs[0],), _check_log),
    _function(math.sqrt, lambda x: _np().sqrt(x),
              "f = √x, x ≥ 0;  f' = 1/(2√x) = 1/(2f) (infinite at x = 0)",
              _partials_sqrt, _check_sqrt, symbol="√"),
    _function(math.sin, lambda x: _np().sin(x), "f = sin x;  f' = cos x",
              lambda xs, out: (_call("cos", xs[0]),)),
    _function(math.cos, lambda x: _np().cos(x), "f = cos x;  f' = -sin x",
              lambda xs, out: (-_call("sin", xs[0]),)),
    _function(math.tanh, lambda x: _np().tanh(x),
              "f = tanh x;  f' = 1 - tanh² x = 4u²/(1 + u²)², u = e^-|x|", _partials_tanh),
    # f (1 - f) would cancel to 0 for x > 37; σ(-x) = 1 - σ(x) keeps full precision
    _function(_sigmoid, _array_sigmoid, "f = σ(x) = 1/(1 + e^-x);  f' = σ(x)(1 - σ(x)) = f σ(-x)",
              lambda xs, out: (out * _call("sigmoid", -xs[0]),), name="sigmoid", symbol="σ"),
    _function(lambda x: max(x, 0.0), lambda x: _np().maximum(x, 0.0),
              "f = max(x, 0);  f' = 1 for x > 0, else 0 (0 at the kink x = 0)",
              lambda xs, out: (_step(xs[0]),), name="relu"),
    _function(_softplus,
              lambda x: _np().maximum(x, 0.0) + _np().log1p(_np().exp(-_np().abs(x))),
              "f = log(1 + e^x);  f' = σ(x)", lambda xs, out: (_call("sigmoid", xs[0]),),
              name="softplus"),
    _function(abs, abs, "f = |x|;  f' = sign(x), with 0 at x = 0 (a subgradient)",
              lambda xs, out: (_sign(xs[0]),)),
]

_ROWS = {o.name: o for o in _BUILT_INS}
OPS: MappingProxyType[str, Op] = MappingProxyType(_ROWS)
"""The built-in operations by name: a read-only view (declared ops never enter it)."""
