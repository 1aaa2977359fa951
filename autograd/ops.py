"""The table of differentiable operations: each derivative rule is one entry.

An :class:`Op` bundles what the engine needs to know about one operation:

* ``forward``: the float function, ``out = f(*xs)``;
* ``partials``: the local derivatives ``∂out/∂x_j`` from the inputs and the output;
* ``check``: a domain check that raises a clear error naming the op and the value.

The partials are written in plain arithmetic, so they work on floats (the
ordinary backward pass) and on Values alike (``backward(create_graph=True)``,
which differentiates the derivatives again). Adding an op touches only this file
and one line in ``value.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

Number = Any  # a float, or a Value when the backward pass builds a graph


class Op(NamedTuple):
    """One differentiable operation.

    Attributes:
        name: Short name used in errors and graphs (``"mul"``).
        symbol: What graphs show for it (``"×"``).
        doc: The function and its derivatives, as the user would write them.
        forward: The float function.
        partials: ``partials(xs, out)`` returns ``∂out/∂x_j`` for each input ``x_j``
            that gets a gradient (a constant exponent gets none).
        check: ``check(*xs)`` raises if the inputs are outside the op's domain.
    """

    name: str
    symbol: str
    doc: str
    forward: Callable[..., float]
    partials: Callable[[tuple, Number], tuple]
    check: Callable[..., None] | None = None


def _fmt(x: float) -> str:
    """The shortest exact text of x, without a trailing ".0" (errors read like the input)."""
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


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
    return (x > 0) * 1.0


def _sign(x: Number) -> Number:
    """sign(x), with sign(0) = 0; elementwise on arrays."""
    return (x > 0) * 1.0 - (x < 0) * 1.0


def _call(name: str, x: Number) -> Number:
    """Apply the op ``name`` to a float, or to a Value through its method of that name."""
    return OPS[name].forward(x) if isinstance(x, float) else getattr(x, name)()


def _check_div(a: float, b: float) -> None:
    if b == 0.0:
        raise ZeroDivisionError(f"truediv: division by zero ({_fmt(a)} / 0)")


def _check_powc(a: float, c: float) -> None:
    if a == 0.0 and c < 0.0:
        raise ZeroDivisionError(f"pow: 0 ** {_fmt(c)} is a division by zero")
    if a < 0.0 and not c.is_integer():
        raise ValueError(f"pow: {_fmt(a)} ** {_fmt(c)} is not real (negative base, "
                         "fractional exponent)")


def _partials_powc(xs: tuple, out: Number) -> tuple:
    a, c = xs[0], xs[1] if isinstance(xs[1], float) else xs[1].data  # c: a constant
    if c == 0.0:
        return (0.0,)
    try:
        return (c * a ** (c - 1.0),)
    except ZeroDivisionError:  # 0 ** (c - 1) with c < 1, from a float or a Value
        raise ZeroDivisionError(
            f"pow: the derivative of x ** {_fmt(c)} is infinite at x = 0") from None
    except OverflowError:  # e.g. x ** -1 at x = 1e-200: the derivative exceeds a float
        raise OverflowError(f"pow: the derivative of x ** {_fmt(c)} overflows a float "
                            f"at x = {_fmt(a if isinstance(a, float) else a.data)}") from None


def _check_pow(a: float, b: float) -> None:
    if a <= 0.0:
        raise ValueError(f"pow: a Value exponent needs a positive base, got {_fmt(a)} ** "
                         f"{_fmt(b)} (d(a**b)/db = a**b ln a); use a number exponent instead")


def _check_log(x: float) -> None:
    if x <= 0.0:
        raise ValueError(f"log: log({_fmt(x)}) is undefined (needs x > 0)")


def _check_exp(x: float) -> None:
    if x > 709.782712893384:  # log(largest float)
        raise OverflowError(f"exp: exp({_fmt(x)}) overflows a float (needs x <= 709.78)")


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("add", "+", "f = a + b;  ∂f/∂a = 1, ∂f/∂b = 1",
           lambda a, b: a + b, lambda xs, out: (1.0, 1.0)),
        Op("sub", "−", "f = a - b;  ∂f/∂a = 1, ∂f/∂b = -1",
           lambda a, b: a - b, lambda xs, out: (1.0, -1.0)),
        Op("mul", "×", "f = a b;  ∂f/∂a = b, ∂f/∂b = a",
           lambda a, b: a * b, lambda xs, out: (xs[1], xs[0])),
        Op("truediv", "÷", "f = a / b;  ∂f/∂a = 1/b, ∂f/∂b = -a/b² = -f/b",
           lambda a, b: a / b,
           lambda xs, out: (1.0 / xs[1], -out / xs[1]), _check_div),
        Op("neg", "−", "f = -a;  f' = -1",
           lambda a: -a, lambda xs, out: (-1.0,)),
        Op("powc", "^", "f = a^c, c a constant (no gradient flows to it);  f' = c a^(c-1)",
           lambda a, c: a**c, _partials_powc, _check_powc),
        Op("pow", "^", "f = a^b, a > 0;  ∂f/∂a = b a^(b-1), ∂f/∂b = a^b ln a",
           lambda a, b: a**b,
           lambda xs, out: (xs[1] * xs[0] ** (xs[1] - 1.0), out * _call("log", xs[0])),
           _check_pow),
        Op("exp", "exp", "f = e^x;  f' = e^x = f",
           math.exp, lambda xs, out: (out,), _check_exp),
        Op("log", "log", "f = ln x, x > 0;  f' = 1/x",
           math.log, lambda xs, out: (1.0 / xs[0],), _check_log),
        # 1 - f² would cancel to 0 for |x| > 19; 4σ(2x)σ(-2x) is the same, to full precision
        Op("tanh", "tanh", "f = tanh x;  f' = 1 - tanh² x = 4σ(2x)σ(-2x)",
           math.tanh, lambda xs, out: (4.0 * _call("sigmoid", 2.0 * xs[0])
                                       * _call("sigmoid", -2.0 * xs[0]),)),
        # f (1 - f) would cancel to 0 for x > 37; σ(-x) = 1 - σ(x) keeps full precision
        Op("sigmoid", "σ", "f = σ(x) = 1/(1 + e^-x);  f' = σ(x)(1 - σ(x)) = f σ(-x)",
           _sigmoid, lambda xs, out: (out * _call("sigmoid", -xs[0]),)),
        Op("relu", "relu", "f = max(x, 0);  f' = 1 for x > 0, else 0 (0 at the kink x = 0)",
           lambda x: max(x, 0.0), lambda xs, out: (_step(xs[0]),)),
        Op("softplus", "softplus", "f = log(1 + e^x);  f' = σ(x)",
           _softplus, lambda xs, out: (_call("sigmoid", xs[0]),)),
        Op("abs", "abs", "f = |x|;  f' = sign(x), with 0 at x = 0 (a subgradient)",
           abs, lambda xs, out: (_sign(xs[0]),)),
    ]
}
