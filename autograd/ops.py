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

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from autograd.errors import DivisionByZeroError, DomainError, FloatOverflowError

Number = Any  # a float, a Value (create_graph) or a numpy array (the tape)


class Op(NamedTuple):
    """One differentiable operation.

    Attributes:
        name: Short name used in errors and graphs (``"mul"``).
        symbol: What graphs show for it (``"×"``).
        doc: The function and its derivatives, as the user would write them.
        arity: How many operands it takes (1 or 2).
        forward: The float function.
        array_forward: The same function on numpy arrays (element-wise, same branches).
        partials: ``partials(xs, out)`` returns ``∂out/∂x_j`` for each input ``x_j``, or
            ``None`` for an input that gets no gradient.
        check: ``check(*xs)`` raises if the float inputs are outside the op's domain.
        call: The name of the function users call (``"exp"`` for ``x.exp()``), or ``None``
            for an operator (``+``, ``**``).
    """

    name: str
    symbol: str
    doc: str
    arity: int
    forward: Callable[..., float]
    array_forward: Callable[..., Any]
    partials: Callable[[Any, Number], tuple[Number | None, ...]]
    check: Callable[..., None] | None = None
    call: str | None = None


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


def written(op: Op, xs: Any) -> str:
    """The operation on float inputs as a formula, for messages: ``exp(1000)``, ``10 ^ 400``."""
    shown = [f"{x:.6g}" for x in xs]
    if op.call is not None:
        return f"{op.call}({shown[0]})"
    return f"{op.symbol}{shown[0]}" if op.arity == 1 else f"{shown[0]} {op.symbol} {shown[1]}"


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
    op = OPS[name]
    if isinstance(x, float):
        return op.forward(x)
    method = getattr(x, name, None)  # a Value has one method per op; an array has none
    return method() if method is not None else op.array_forward(x)


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


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("add", "+", "f = a + b;  ∂f/∂a = 1, ∂f/∂b = 1", 2,
           lambda a, b: a + b, lambda a, b: a + b, lambda xs, out: (1.0, 1.0)),
        Op("sub", "−", "f = a - b;  ∂f/∂a = 1, ∂f/∂b = -1", 2,
           lambda a, b: a - b, lambda a, b: a - b, lambda xs, out: (1.0, -1.0)),
        Op("mul", "×", "f = a b;  ∂f/∂a = b, ∂f/∂b = a", 2,
           lambda a, b: a * b, lambda a, b: a * b, lambda xs, out: (xs[1], xs[0])),
        Op("truediv", "÷", "f = a / b;  ∂f/∂a = 1/b, ∂f/∂b = -a/b² = -f/b", 2,
           lambda a, b: a / b, lambda a, b: a / b,
           lambda xs, out: (1.0 / xs[1], -out / xs[1]), _check_div),
        Op("neg", "−", "f = -a;  f' = -1", 1,
           lambda a: -a, lambda a: -a, lambda xs, out: (-1.0,)),
        Op("powc", "^", "f = a^c, c a constant (no gradient flows to it);  f' = c a^(c-1)", 2,
           lambda a, c: a**c, lambda a, c: a**c, _partials_powc, _check_powc),
        Op("pow", "^", "f = a^b, a > 0 (or a = 0 < b);  ∂f/∂a = b a^(b-1), ∂f/∂b = a^b ln a "
           "(0 at a = 0)", 2,
           lambda a, b: a**b, _array_pow, _partials_pow, _check_pow),
        Op("rpow", "^", "f = c^b, c ≥ 0 a constant (no gradient flows to it);  f' = c^b ln c "
           "(0 at c = 0)", 2,
           lambda c, b: c**b, _array_pow,
           lambda xs, out: (None, out * _log_or_zero(_number(xs[0]))), _check_pow),
        Op("exp", "exp", "f = e^x;  f' = e^x = f", 1,
           math.exp, lambda x: _np().exp(x), lambda xs, out: (out,), _check_exp, "exp"),
        Op("log", "log", "f = ln x, x > 0;  f' = 1/x", 1,
           math.log, lambda x: _np().log(x), lambda xs, out: (1.0 / xs[0],), _check_log, "log"),
        Op("sqrt", "√", "f = √x, x ≥ 0;  f' = 1/(2√x) = 1/(2f) (infinite at x = 0)", 1,
           math.sqrt, lambda x: _np().sqrt(x), _partials_sqrt, _check_sqrt, "sqrt"),
        Op("sin", "sin", "f = sin x;  f' = cos x", 1,
           math.sin, lambda x: _np().sin(x), lambda xs, out: (_call("cos", xs[0]),),
           None, "sin"),
        Op("cos", "cos", "f = cos x;  f' = -sin x", 1,
           math.cos, lambda x: _np().cos(x), lambda xs, out: (-_call("sin", xs[0]),),
           None, "cos"),
        Op("tanh", "tanh", "f = tanh x;  f' = 1 - tanh² x = 4u²/(1 + u²)², u = e^-|x|", 1,
           math.tanh, lambda x: _np().tanh(x), _partials_tanh, None, "tanh"),
        # f (1 - f) would cancel to 0 for x > 37; σ(-x) = 1 - σ(x) keeps full precision
        Op("sigmoid", "σ", "f = σ(x) = 1/(1 + e^-x);  f' = σ(x)(1 - σ(x)) = f σ(-x)", 1,
           _sigmoid, _array_sigmoid, lambda xs, out: (out * _call("sigmoid", -xs[0]),),
           None, "sigmoid"),
        Op("relu", "relu", "f = max(x, 0);  f' = 1 for x > 0, else 0 (0 at the kink x = 0)", 1,
           lambda x: max(x, 0.0), lambda x: _np().maximum(x, 0.0),
           lambda xs, out: (_step(xs[0]),), None, "relu"),
        Op("softplus", "softplus", "f = log(1 + e^x);  f' = σ(x)", 1,
           _softplus,
           lambda x: _np().maximum(x, 0.0) + _np().log1p(_np().exp(-_np().abs(x))),
           lambda xs, out: (_call("sigmoid", xs[0]),), None, "softplus"),
        Op("abs", "abs", "f = |x|;  f' = sign(x), with 0 at x = 0 (a subgradient)", 1,
           abs, abs, lambda xs, out: (_sign(xs[0]),), None, "abs"),
    ]
}
