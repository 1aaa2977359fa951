"""How the pictures write numbers, gradients and names (one place for every viz module).

Typed text (labels) is shown through :func:`autograd.text.visible`, shared with the command line.
"""

from __future__ import annotations

from autograd.value import Value


def number(x: float | Value) -> str:
    """A compact ``%.4g`` form; ASCII only, so Graphviz sizes the boxes right.

    A grad may be a Value (after ``backward(create_graph=True)``): its data is shown.
    """
    return f"{(x.data if isinstance(x, Value) else x) + 0.0:.4g}"  # + 0.0: -0.0 shows as 0


def grad_cell(grad: float | Value) -> str:
    """The text of a box's grad cell (the drawings, the frames and the page all use it)."""
    return f"grad {number(grad)}"


def grouped(name: str) -> str:
    """A node's name as an operand or after ∂: in parentheses if it has spaces (``(a + b)``)."""
    return f"({name})" if " " in name else name
