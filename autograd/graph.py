"""The backward pass: topological order of the graph, then one chain-rule loop.

Both walks are iterative (an explicit stack, no recursion), so a graph a million
nodes deep works without touching Python's recursion limit.
"""

from __future__ import annotations

from autograd.value import Value, no_grad


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` is last.

    The order is deterministic: parents are visited in the order they were given.
    """
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
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
            if parents:
                g = node.grad
                partials = node.op.partials([p.data for p in parents], node.data)
                for parent, d in zip(parents, partials, strict=False):
                    parent.grad += g * d
