"""deltagrad's engine: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0

The engine itself needs only the standard library. ``trace`` (replay on numpy arrays) and
the drawing functions (``to_dot``, ``render``, ...) are imported on first use, so that
``from autograd import Value`` loads neither numpy nor graphviz.
"""

from importlib import import_module
from typing import Any

from autograd.check import (
    GradcheckError,
    GradcheckReport,
    GradComparison,
    gradcheck,
    numerical_grad,
)
from autograd.errors import DivisionByZeroError, DomainError, EngineError, FloatOverflowError
from autograd.functional import grad, hessian, jvp, value_and_grad
from autograd.graph import topological_order
from autograd.mode import TraceError, enable_grad, no_grad
from autograd.ops import OPS, Op, op
from autograd.value import Value, backward

_LAZY = {"Tape": "autograd.tape", "trace": "autograd.tape",
         "backward_frames": "autograd.viz", "backward_page": "autograd.viz",
         "render": "autograd.viz",
         "to_dot": "autograd.viz", "write_backward_html": "autograd.viz"}
_LAZY_MODULES = ("testing", "viz")


def __getattr__(name: str) -> Any:
    """Import the numpy- and graphviz-based parts of the public API on first use.

    ``__version__`` is read from the installed distribution's metadata only when asked for,
    so that ``import autograd`` stays fast.
    """
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _LAZY_MODULES:
        return import_module(f"autograd.{name}")
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("deltagrad")
        except PackageNotFoundError:
            raise AttributeError("autograd.__version__: the deltagrad distribution is not "
                                 "installed (pip install -e .)") from None
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the lazily imported ones included."""
    return sorted({*globals(), *__all__, *_LAZY_MODULES, "__version__"})


__all__ = [
    "OPS",
    "DivisionByZeroError",
    "DomainError",
    "EngineError",
    "FloatOverflowError",
    "GradComparison",
    "GradcheckError",
    "GradcheckReport",
    "Op",
    "Tape",
    "TraceError",
    "Value",
    "backward",
    "backward_frames",
    "backward_page",
    "enable_grad",
    "grad",
    "gradcheck",
    "hessian",
    "jvp",
    "no_grad",
    "numerical_grad",
    "op",
    "render",
    "to_dot",
    "topological_order",
    "trace",
    "value_and_grad",
    "write_backward_html",
]
