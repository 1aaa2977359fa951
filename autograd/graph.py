"""The backward pass: topological order of the graph, then one chain-rule loop.

Both walks are iterative (an explicit stack, no recursion), so a graph a million
nodes deep works without touching Python's recursion limit.
"""

from __future__ import annotations

import math

from autograd import value
from autograd.value import Value, no_grad


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` is last.

    The order is deterministic: parents are visited in the order they were given
    (a depth-first walk; ``stack`` holds the current path, so no per-node tuples).
    """
    order: list[Value] = []
    seen = {root}
    stack = [root]
    while stack:
        for p in stack[-1].parents:
            if p not in seen:  # descend into the first parent not yet visited
                seen.add(p)
                stack.append(p)
                break
        else:  # every parent is placed: the node follows them
            order.append(stack.pop())
    return order


def backward(root: Value, create_graph: bool = False) -> None:
    """Set ``.grad`` of every node to ∂root/∂node by the chain rule.

    Gradient semantics: leaves (Values with no parents: inputs and parameters)
    *accumulate*, so several ``backward()`` calls add up, as in the batch gradient
    Σ_i ∂R_i/∂θ; call ``zero_grad`` (or set ``.grad = 0.0``) to reset them. Interior
    nodes get fresh gradients on every call, so after ``R.backward()`` an output
    pre-activation's ``.grad`` is the lecture's δ_k.

    Args:
        root: The node to differentiate (usually a scalar loss).
        create_graph: If True, gradients are Values with their own graph, so
            they can be differentiated again (second derivatives).
    """
    if create_graph and not value._recording:
        raise RuntimeError("backward(create_graph=True) inside no_grad() cannot record the "
                           "gradients' graph")
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    if create_graph:
        root.grad = root.grad + Value(1.0) if not root.parents else Value(1.0)
        for node in reversed(order):
            if node.parents:
                partials = node.op.partials(node.parents, node)
                for parent, d in zip(node.parents, partials, strict=False):
                    parent.grad = parent.grad + node.grad * d
        return
    root.grad = root.grad + 1.0 if not root.parents else 1.0
    with no_grad():  # a Value grad left by an earlier create_graph pass must not grow a graph
        for node in reversed(order):
            parents = node.parents
            if parents:  # every op has one or two operands
                g, a = node.grad, parents[0]
                if len(parents) == 1:
                    a.grad += g * node.op.partials((a.data,), node.data)[0]
                    continue
                b = parents[1]
                partials = node.op.partials((a.data, b.data), node.data)
                a.grad += g * partials[0]
                if len(partials) == 2:  # powc: the constant exponent gets none
                    b.grad += g * partials[1]
    _check_finite(order)


def _check_finite(order: list[Value]) -> None:
    """Raise if a gradient overflowed to inf or nan, naming the op where it happened."""

    def finite(n: Value) -> bool:  # a grad may be a Value left by a create_graph pass
        return math.isfinite(n.grad.data if isinstance(n.grad, Value) else n.grad)

    if all(finite(n) for n in order if not n.parents):
        return  # an inf or nan anywhere reaches some leaf
    for node in reversed(order):  # the first node with a finite grad but a bad parent grad
        bad = [p for p in node.parents if not finite(p)]
        if bad and finite(node):
            raise OverflowError(f"backward: {node.op.name} at {node!r} passed back a gradient "
                                f"of {bad[0].grad} (a local derivative or a product overflowed)")
    raise OverflowError("backward: a gradient overflowed a float")
