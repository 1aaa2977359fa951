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
from autograd.errors import FloatOverflowError
from autograd.mode import RECORDING, TRACING, TraceError, no_grad
from autograd.ops import OPS, Op, written

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

    __slots__ = ("data", "grad", "label", "op", "parents")

    def __init__(self, data: Any, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad: Any = 0.0  # a float, or a Value after backward(create_graph=True)
        self.parents: tuple[Value, ...] = ()
        self.op: Op | None = None
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        made = f", op={self.op.name}" if self.op else ""
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        return f"Value({name}data={self.data:.6g}, grad={grad:.6g}{made})"

    # No __float__: math.exp(v) must fail loudly, not leave the graph with a wrong gradient.
    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Value is ambiguous: compare it (v > 0) or test "
                        "v.data")

    def backward(self, create_graph: bool = False) -> None:
        """Back-propagate from this node; see :func:`backward`."""
        backward(self, create_graph=create_graph)

    def item(self) -> float:
        """The number this Value holds (its ``data``), as a float."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph."""
        return Value(self.data, label=self.label)

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

    # Unary operations.
    def __neg__(self) -> Value: return apply(NEG, self)
    def __abs__(self) -> Value: return apply(ABS, self)
    def exp(self) -> Value: return apply(EXP, self)
    def log(self) -> Value: return apply(LOG, self)
    def sqrt(self) -> Value: return apply(SQRT, self)
    def sin(self) -> Value: return apply(SIN, self)
    def cos(self) -> Value: return apply(COS, self)
    def tanh(self) -> Value: return apply(TANH, self)
    def sigmoid(self) -> Value: return apply(SIGMOID, self)
    def relu(self) -> Value: return apply(RELU, self)
    def softplus(self) -> Value: return apply(SOFTPLUS, self)

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


def backward(root: Value, create_graph: bool = False) -> None:
    """Set ``.grad`` of every node to ∂root/∂node; see :func:`autograd.graph.backward`.

    Leaves accumulate, interior nodes get fresh gradients. With ``create_graph=True`` every
    gradient is a Value with its own graph, which can be differentiated again. A backward
    pass that raises changes no ``.grad`` anywhere.

    Raises:
        ZeroDivisionError, ValueError, OverflowError: A local derivative is infinite or
            undefined, or a gradient overflows (the message names the op).
        RuntimeError: ``create_graph=True`` inside ``no_grad()``.
    """
    graph.backward(root, Value(1.0) if create_graph else 1.0)


def apply(op: Op, *args: Any) -> Value:
    """Compute ``op`` on ``args`` (Values or real numbers) and record the new node.

    Returns ``NotImplemented`` when an operand is neither a Value nor a real number,
    so that Python raises its usual TypeError (``Value(1) + "a"``).

    Raises:
        ZeroDivisionError, ValueError, OverflowError: from the op's domain check, or
            when the result does not fit a float; the message names the op.
    """
    parents = args
    if not (isinstance(args[0], Value) and (len(args) == 1 or isinstance(args[1], Value))):
        try:
            parents = tuple(a if isinstance(a, Value) else Constant(a) for a in args)
        except TypeError:
            return NotImplemented
    # Every op has one or two operands; a tuple display is cheaper than a comprehension.
    xs = (parents[0].data,) if len(parents) == 1 else (parents[0].data, parents[1].data)
    if op.check is not None:
        op.check(*xs)
    try:
        data = op.forward(*xs)
    except OverflowError:
        data = math.inf
    if not _isfinite(data):
        raise FloatOverflowError(f"{op.name}: the result of {written(op, xs)} overflows a float")
    out = Value.__new__(Value)
    out.data, out.grad, out.label = data, 0.0, ""
    out.parents, out.op = (parents, op) if _recording() else ((), None)
    return out
