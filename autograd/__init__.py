"""deltagrad's engine: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from autograd.check import GradcheckError, GradComparison, gradcheck, numerical_grad
from autograd.graph import backward, topological_order
from autograd.ops import OPS, Op
from autograd.trace import Tape, TraceError, trace
from autograd.value import Value, no_grad
from autograd.viz import backward_frames, render, to_dot, write_backward_html

__all__ = [
    "OPS",
    "GradComparison",
    "GradcheckError",
    "Op",
    "Tape",
    "TraceError",
    "Value",
    "backward",
    "backward_frames",
    "gradcheck",
    "no_grad",
    "numerical_grad",
    "render",
    "to_dot",
    "topological_order",
    "trace",
    "write_backward_html",
]
