"""The table of differentiable operations: everything about an operation is its one row.

An :class:`Op` row holds what every part of the project needs to know about one operation:

* ``forward``: the float function, ``out = f(*xs)``, and ``array_forward``, the same function
  on arrays of any array-API library, numpy, PyTorch, dask... (the tape replays graphs on
  batches with it; :mod:`autograd.arrays` holds the array side of the built-ins);
* ``partials``: the local derivatives ``∂out/∂x_j`` from the inputs and the output, one per
  input, with ``None`` for an input that gets no gradient (a constant exponent);
* ``check``: a domain check that raises a clear error naming the op and the value;
* ``symbol`` (what graphs draw) and ``call`` (the function name users write, ``exp(x)``).

The partials are written in plain arithmetic, so they work on floats (the ordinary backward
pass), on Values (``backward(create_graph=True)``, which differentiates them again) and on
arrays (the tape). Each row is declared with :func:`autograd.declare.op`, the function users
declare their own ops with; adding a built-in is one declaration here and one method line in
``value.py``, and a test checks that the two agree.

The engine needs only the standard library: array-api-compat is imported by
``array_forward`` on first use, and only the tape calls it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from autograd import arrays
from autograd.declare import Number, Op, op
from autograd.errors import DivisionByZeroError, DomainError, FloatOverflowError

__all__ = ["DETACH", "OPS", "Op", "op", "written"]


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


def _softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _step(x: Number) -> Number:
    """1 for x > 0, else 0 (a constant: its own derivative is zero); elementwise on arrays."""
    return arrays.step(x) if arrays.is_array(x) else (x > 0) * 1.0


def _sign(x: Number) -> Number:
    """sign(x), with sign(0) = 0; elementwise on arrays."""
    return arrays.sign(x) if arrays.is_array(x) else (x > 0) * 1.0 - (x < 0) * 1.0


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
    if arrays.is_array(a):
        return arrays.log_or_zero(a)
    return 0.0 if _number(a) == 0.0 else _call("log", a)


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
           "(0 at a = 0)", lambda a, b: a**b, _partials_pow, _check_pow, arrays.power),
    _infix("rpow", "^", "f = c^b, c ≥ 0 a constant (no gradient flows to it);  f' = c^b ln c "
           "(0 at c = 0)", lambda c, b: c**b,
           lambda xs, out: (None, out * _log_or_zero(_number(xs[0]))), _check_pow, arrays.power),
    _function(math.exp, arrays.unary("exp"), "f = e^x;  f' = e^x = f",
              lambda xs, out: (out,), _check_exp),
    _function(math.log, arrays.unary("log"), "f = ln x, x > 0;  f' = 1/x",
              lambda xs, out: (1.0 / xs[0],), _check_log),
    _function(math.sqrt, arrays.unary("sqrt"),
              "f = √x, x ≥ 0;  f' = 1/(2√x) = 1/(2f) (infinite at x = 0)",
              _partials_sqrt, _check_sqrt, symbol="√"),
    _function(math.sin, arrays.unary("sin"), "f = sin x;  f' = cos x",
              lambda xs, out: (_call("cos", xs[0]),)),
    _function(math.cos, arrays.unary("cos"), "f = cos x;  f' = -sin x",
              lambda xs, out: (-_call("sin", xs[0]),)),
    _function(math.tanh, arrays.unary("tanh"),
              "f = tanh x;  f' = 1 - tanh² x = 4u²/(1 + u²)², u = e^-|x|", _partials_tanh),
    # f (1 - f) would cancel to 0 for x > 37; σ(-x) = 1 - σ(x) keeps full precision
    _function(_sigmoid, arrays.sigmoid, "f = σ(x) = 1/(1 + e^-x);  f' = σ(x)(1 - σ(x)) = f σ(-x)",
              lambda xs, out: (out * _call("sigmoid", -xs[0]),), name="sigmoid", symbol="σ"),
    _function(lambda x: max(x, 0.0), arrays.relu,
              "f = max(x, 0);  f' = 1 for x > 0, else 0 (0 at the kink x = 0)",
              lambda xs, out: (_step(xs[0]),), name="relu"),
    _function(_softplus,
              arrays.softplus,
              "f = log(1 + e^x);  f' = σ(x)", lambda xs, out: (_call("sigmoid", xs[0]),),
              name="softplus"),
    _function(abs, abs, "f = |x|;  f' = sign(x), with 0 at x = 0 (a subgradient)",
              lambda xs, out: (_sign(xs[0]),)),
]

_ROWS = {o.name: o for o in _BUILT_INS}
OPS: MappingProxyType[str, Op] = MappingProxyType(_ROWS)
"""The built-in operations by name: a read-only view (declared ops never enter it)."""
