"""Value: one node of the computation graph.

A Value holds a float (``data``), the gradient of the last ``backward()`` root
with respect to it (``grad``), the Values it was computed from (``parents``) and
the :class:`~autograd.ops.Op` that computed it. Every operator method is one line
that hands its op and operands to :func:`apply`, the single place where nodes are
made, inputs are checked and the graph is recorded.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from autograd import graph
from autograd.errors import DivisionByZeroError, DomainError, EngineError, FloatOverflowError
from autograd.mode import RECORDING, TRACING, TraceError, no_grad
from autograd.ops import DETACH, OPS, Op, written

__all__ = ["Constant", "Scalar", "Value", "apply", "backward", "no_grad"]


def _as_float(x: Any) -> float:
    """``x`` as a finite float: TypeError for non-numbers (and bool), ValueError for nan/inf."""
    if type(x) is not float:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"Value needs a real number, got {type(x).__name__}: {x!r}")
        try:
            x = float(x)
        except OverflowError:
            raise OverflowError(f"Value: this {type(x).__name__} is too large for a float "
                                "(|x| > 1.8e308)") from None
    if not math.isfinite(x):
        raise ValueError(f"Value needs a finite number, got {x!r}")
    return x


class Value:
    """A scalar in a computation graph.

    Args:
        data: A finite real number (int, float, numpy scalar; not bool).
        label: Optional name shown in errors and graphs.

    Raises:
        TypeError: ``data`` is not a real number (strings, None, lists, bools).
        ValueError: ``data`` is nan or infinite.
    """

    __slots__ = {
        "_g": "The backward pass's scratch (see autograd.graph); None outside a pass.",
        "data": "The number this node holds (a finite float).",
        "grad": "∂root/∂node after the last backward() (a float, or a Value with "
                "create_graph); leaves accumulate, interior nodes are fresh each pass.",
        "label": "A name shown in errors and graphs ('' for none).",
        "op": "The Op that computed this node, or None for a leaf.",
        "parents": "The Values this node was computed from, in operand order (() for a leaf).",
    }

    def __init__(self, data: Any, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad: Any = 0.0  # a float, or a Value after backward(create_graph=True)
        self.parents: tuple[Value, ...] = ()
        self.op: Op | None = None
        self.label = label
        self._g: Any = None  # the backward pass's scratch (see autograd.graph)

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        made = f", op={self.op.name}" if self.op else ""
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        return f"Value({name}data={self.data:.6g}, grad={grad:.6g}{made})"

    # No __float__: math.exp(v) must fail loudly, not leave the graph with a wrong gradient.
    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Value is ambiguous: compare it (v > 0) or test "
                        "v.data")

    def __format__(self, spec: str) -> str:
        """``format(v, ".3f")`` formats ``v.data``; an empty spec gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    def backward(self, gradient: Any = 1.0, create_graph: bool = False) -> None:
        """Back-propagate from this node, seeded with ``gradient``; see :func:`backward`."""
        backward(self, gradient, create_graph=create_graph)

    def item(self) -> float:
        """The number this Value holds (its ``data``), as a float.

        Raises:
            TraceError: While a tape is traced: the number would be frozen into the tape.
        """
        if TRACING.get():
            raise TraceError(f"trace: fn called item() on {self!r}; the traced example's "
                             "number would be frozen into the tape for every example")
        return self.data

    def detach(self) -> Value:
        """The same number with no gradient flowing back through it (a stop-gradient).

        Outside tracing it is a new leaf with the same data and label (nothing keeps this
        node's graph alive); while a tape is traced it records the stop-gradient op, so the
        tape replays each example's own value.
        """
        return apply(DETACH, self) if TRACING.get() else Value(self.data, label=self.label)

    # Binary operators: the other operand may be a Value or a real number.
    def __add__(self, o: Any) -> Value: return apply(ADD, self, o)
    def __radd__(self, o: Any) -> Value: return apply(ADD, o, self)
    def __sub__(self, o: Any) -> Value: return apply(SUB, self, o)
    def __rsub__(self, o: Any) -> Value: return apply(SUB, o, self)
    def __mul__(self, o: Any) -> Value: return apply(MUL, self, o)
    def __rmul__(self, o: Any) -> Value: return apply(MUL, o, self)
    def __truediv__(self, o: Any) -> Value: return apply(DIV, self, o)
    def __rtruediv__(self, o: Any) -> Value: return apply(DIV, o, self)
    def __pow__(self, o: Any) -> Value: return apply(POW if isinstance(o, Value) else POWC, self, o)
    def __rpow__(self, o: Any) -> Value: return apply(RPOW, o, self)

    # Unary operations: each one line, its docstring the op's rule.
    def __neg__(self) -> Value: return apply(NEG, self)
    def __abs__(self) -> Value: return apply(ABS, self)

    def exp(self) -> Value:
        """e^x; derivative e^x."""
        return apply(EXP, self)

    def log(self) -> Value:
        """ln x, for x > 0; derivative 1/x."""
        return apply(LOG, self)

    def sqrt(self) -> Value:
        """√x, for x ≥ 0; derivative 1/(2√x)."""
        return apply(SQRT, self)

    def sin(self) -> Value:
        """sin x; derivative cos x."""
        return apply(SIN, self)

    def cos(self) -> Value:
        """cos x; derivative −sin x."""
        return apply(COS, self)

    def tanh(self) -> Value:
        """tanh x; derivative 1 − tanh² x."""
        return apply(TANH, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^−x); derivative σ(x)(1 − σ(x))."""
        return apply(SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0); derivative 1 for x > 0, else 0."""
        return apply(RELU, self)

    def softplus(self) -> Value:
        """log(1 + e^x); derivative σ(x)."""
        return apply(SOFTPLUS, self)

    # Comparisons look at the data and return bool; == stays identity (nodes hash by id).
    def __lt__(self, o: Any) -> bool: return _data(self, "<") < _data(o)
    def __le__(self, o: Any) -> bool: return _data(self, "<=") <= _data(o)
    def __gt__(self, o: Any) -> bool: return _data(self, ">") > _data(o)
    def __ge__(self, o: Any) -> bool: return _data(self, ">=") >= _data(o)


class Constant(Value):
    """A number mixed into an expression (the ``2`` in ``x * 2``): a leaf, drawn as such."""

    __slots__ = ()


Scalar = Value | float
"""What a Value operation accepts as an operand: a Value or a plain number."""


_isfinite, _recording = math.isfinite, RECORDING.get  # bound once: apply runs per node
ADD, SUB, MUL, DIV, NEG = OPS["add"], OPS["sub"], OPS["mul"], OPS["truediv"], OPS["neg"]
POW, POWC, RPOW, EXP, LOG = OPS["pow"], OPS["powc"], OPS["rpow"], OPS["exp"], OPS["log"]
SQRT, SIN, COS, TANH, SIGMOID = OPS["sqrt"], OPS["sin"], OPS["cos"], OPS["tanh"], OPS["sigmoid"]
RELU, SOFTPLUS, ABS = OPS["relu"], OPS["softplus"], OPS["abs"]


def _data(x: Any, comparison: str = "") -> float:
    """The number in x (a Value or a real number), for a comparison.

    While :func:`autograd.trace` runs (in this thread), comparing a Value raises
    :class:`~autograd.mode.TraceError`: the branch taken would be frozen into the tape.
    """
    if not isinstance(x, Value):
        return _as_float(x)
    if comparison and TRACING.get():
        raise TraceError(f"trace: fn used {comparison} on a Value ({x!r}); the branch taken "
                         "would be frozen into the tape. Use an op that replays element-wise "
                         "(relu, abs, ...) instead")
    return x.data


def backward(root: Value, gradient: Any = 1.0, create_graph: bool = False) -> None:
    """Set ``.grad`` of every node to ``gradient`` · ∂root/∂node (see :mod:`autograd.graph`).

    Leaves accumulate, interior nodes get fresh gradients. With ``create_graph=True`` every
    gradient is a Value with its own graph, which can be differentiated again. A backward
    pass that raises changes no ``.grad`` anywhere.

    Args:
        root: The node to differentiate.
        gradient: ∂L/∂root, the seed of the pass (PyTorch's convention; 1 by default): the
            pass then gives ∂L/∂node for an L that depends on the graph through ``root``.
        create_graph: Record the gradients' own graph (for second derivatives).

    Raises:
        TypeError, ValueError: ``gradient`` is not a finite real number.
        DivisionByZeroError, DomainError, FloatOverflowError: A local derivative is infinite
            or undefined, or a gradient overflows (the message names the op).
        RuntimeError: ``create_graph=True`` inside ``no_grad()``.
    """
    if isinstance(gradient, Value):
        raise TypeError("backward: gradient (the seed ∂L/∂root) must be a number, got a Value "
                        "(pass v.data)")
    seed = _as_float(gradient)
    graph.backward(root, Value(seed) if create_graph else seed)


def _operands(args: tuple[Any, ...]) -> tuple[Value, ...] | None:
    """The operands as Values (a number becomes a :class:`Constant`), or None for a foreign one."""
    try:
        return tuple(a if isinstance(a, Value) else Constant(a) for a in args)
    except TypeError:
        return None


def _result(op: Op, xs: tuple[float, ...], data: Any) -> float:
    """What a forward that did not give a finite float gave, as one, or the error naming it."""
    if isinstance(data, BaseException):
        if isinstance(data, EngineError):
            raise data
        if isinstance(data, OverflowError):
            data = math.inf
        elif isinstance(data, ZeroDivisionError):  # a declared op without a check
            raise DivisionByZeroError(f"{op.name}: {written(op, xs)} divides by zero "
                                      f"({data})") from None
        elif isinstance(data, ValueError) and str(data) == "math domain error":
            raise DomainError(f"{op.name}: {written(op, xs)} is outside its domain") from None
        else:
            raise data  # an error of the forward function's own, not the engine's
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{op.name}: forward must return a real number, got "
                        f"{type(data).__name__}")
    try:
        data = float(data)  # a declared op may return an int or a numpy float
    except OverflowError:
        data = math.inf
    if data != data:
        raise DomainError(f"{op.name}: {written(op, xs)} is not a number")
    if not _isfinite(data):
        raise FloatOverflowError(f"{op.name}: the result of {written(op, xs)} overflows a float")
    return data


def apply(op: Op, *args: Any) -> Value:
    """Compute ``op`` on ``args`` (Values or real numbers) and record the new node.

    Returns ``NotImplemented`` when an operand is neither a Value nor a real number,
    so that Python raises its usual TypeError (``Value(1) + "a"``).

    Raises:
        DivisionByZeroError, DomainError, FloatOverflowError: from the op's domain check, or
            when the result is not a finite float; the message names the op.
    """
    n = len(args)
    if not (isinstance(args[0], Value) and (n == 1 or (n == 2 and isinstance(args[1], Value)))):
        operands = _operands(args)
        if operands is None:
            return NotImplemented
        args = operands
    parents = args
    # Most ops have one or two operands; a tuple display is cheaper than a comprehension.
    xs = (parents[0].data,) if n == 1 else (parents[0].data, parents[1].data) if n == 2 \
        else tuple([p.data for p in parents])
    if op.check is not None:
        op.check(*xs)
    try:
        data = op.forward(*xs)
    except Exception as err:  # sorted out by _result: the engine's errors, or re-raised
        data = _result(op, xs, err)
    if type(data) is not float or not _isfinite(data):
        data = _result(op, xs, data)
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._g = None
    out.parents, out.op = (parents, op) if _recording() else ((), None)
    return out
