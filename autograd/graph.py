"""The backward pass: topological order of the graph, then the chain rule, node by node.

The walk is written against :class:`Node`, the little a graph node must have (``data``,
``grad``, ``parents``, ``op``), so this module needs nothing from ``value.py``. Both walks
are iterative (an explicit stack, no recursion): a graph a million nodes deep works without
touching Python's recursion limit.

A backward pass is a transaction: :func:`gradients` computes every gradient into a fresh
table and checks it (every op's domain, every number finite) without touching any node;
:func:`backward` then commits the table to the ``.grad`` attributes. An error on the way
leaves every ``.grad`` exactly as it was.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from contextlib import nullcontext
from itertools import repeat
from typing import Any, Protocol, Self, TypeVar

from autograd.errors import FloatOverflowError
from autograd.mode import RECORDING, no_grad
from autograd.ops import Op


class Node(Protocol):
    """What the graph code needs of a node (``autograd.Value`` is one)."""

    grad: Any

    @property
    def data(self) -> float: ...

    @property
    def parents(self) -> tuple[Self, ...]: ...

    @property
    def op(self) -> Any: ...  # the Op that made the node; None for a leaf


N = TypeVar("N", bound=Node)

_COMMIT = threading.Lock()  # held while a backward pass writes its gradients (no state)


def write_grads(nodes: Sequence[Node], values: Sequence[Any]) -> None:
    """Set ``node.grad = value`` for every pair, all or nothing, even under an interrupt.

    The writes run in C (``setattr`` mapped over the pairs, consumed by a zero-length
    deque): no Python bytecode runs between the first write and the last, so neither a
    ``KeyboardInterrupt`` (signal handlers run only between bytecodes) nor an exception
    raised by a trace function can land in the middle. The caller holds the commit lock.
    """
    deque(map(setattr, nodes, repeat("grad"), values), maxlen=0)


def accumulate(leaves: Sequence[Node], increments: Sequence[float]) -> None:
    """Add each increment to its leaf's ``.grad``: checked, then committed all at once.

    Used by every road that commits summed gradients (the tape, ``fit``), so that they keep
    ``backward``'s promises: threads add up exactly (the sums are read and written under the
    engine's commit lock), an inf or nan is never stored, and an error or an interrupt
    changes nothing.

    Raises:
        FloatOverflowError: Some accumulated gradient would not be finite; nothing changed.
    """
    with _COMMIT:
        summed = [leaf.grad + g for leaf, g in zip(leaves, increments, strict=True)]
        if not _all_finite(summed):
            leaf, g = next((n, g) for n, g in zip(leaves, summed, strict=True)
                           if not _finite(g))
            raise FloatOverflowError(f"backward: the accumulated gradient of {leaf!r} would "
                                     f"overflow to {g} (reset it with .grad = 0.0)")
        write_grads(leaves, summed)


def topological_order(root: N) -> list[N]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` is last.

    The order is deterministic: parents are visited in the order they were given
    (a depth-first walk; ``stack`` holds the current path, so no per-node tuples).
    """
    return _walk(root)[0]


def _walk(root: N) -> tuple[list[N], dict[N, Any]]:
    """The topological order, and a table with a 0.0 for every node (the walk's seen-set).

    The backward pass accumulates its gradients in that table, so one dict serves both.
    """
    order: list[N] = []
    table: dict[N, Any] = {root: 0.0}
    stack = [root]
    push, pop, place = stack.append, stack.pop, order.append
    while stack:
        for p in stack[-1].parents:
            if p not in table:  # descend into the first parent not yet visited
                table[p] = 0.0
                push(p)
                break
        else:  # every parent is placed: the node follows them
            place(pop())
    return order, table


def chain_rule_step(op: Op, xs: Any, out: Any, g: Any) -> list[tuple[Any, Any] | None]:
    """One node's share of the chain rule, the lecture's δ_j = Σ (downstream δ) × local slope.

    Args:
        op: The node's operation.
        xs: Its inputs (floats, Values, or arrays on the tape).
        out: Its output.
        g: ∂root/∂out, the gradient that arrived at the node.

    Returns:
        For each input ``x_j``: ``(∂out/∂x_j, g · ∂out/∂x_j)``, the local partial and the
        contribution to ∂root/∂x_j; or ``None`` if no gradient flows to that input.
    """
    return [None if d is None else (d, g * d) for d in op.partials(xs, out)]


def gradients(root: N, seed: Any = 1.0) -> dict[N, Any]:
    """∂root/∂node for every node ``root`` depends on, without changing any node.

    Args:
        root: The node to differentiate.
        seed: ∂root/∂root: ``1.0`` for numbers, or a Value one (``Value(1.0)``) to get every
            gradient as a Value with its own graph (``create_graph``).

    Returns:
        A table from every node ``root`` depends on to its gradient (0 for a constant that
        gets none, such as a number exponent).

    Raises:
        ZeroDivisionError, ValueError, OverflowError: A local derivative is infinite or
            undefined (the op's own message), or a gradient overflows to inf or nan (the
            message names the op where it happened).
    """
    return _table(root, seed)[0]


def _table(root: N, seed: Any) -> tuple[dict[N, Any], list[N]]:
    """The gradient table of :func:`gradients`, and the leaves (checked finite)."""
    order, grads = _walk(root)
    grads[root] = seed
    leaves: list[N] = []
    if type(seed) is float:  # the fast path: the same rule from the same row, on floats
        for node in reversed(order):
            parents = node.parents
            if not parents:
                leaves.append(node)
                continue
            g = grads[node]
            if len(parents) == 1:  # most ops have one or two operands: unrolled
                a = parents[0]
                da = node.op.partials((a.data,), node.data)[0]
                if da is not None:
                    grads[a] += g * da
            elif len(parents) == 2:
                a, b = parents
                da, db = node.op.partials((a.data, b.data), node.data)
                if da is not None:
                    grads[a] += g * da
                if db is not None:
                    grads[b] += g * db
            else:
                ds = node.op.partials(tuple([p.data for p in parents]), node.data)
                for p, d in zip(parents, ds, strict=True):
                    if d is not None:
                        grads[p] += g * d
    else:
        if not RECORDING.get():
            raise RuntimeError("backward(create_graph=True) inside no_grad() cannot record "
                               "the gradients' graph")
        for node in reversed(order):
            if not node.parents:
                leaves.append(node)
                continue
            step = chain_rule_step(node.op, node.parents, node, grads[node])
            for parent, flow in zip(node.parents, step, strict=True):
                if flow is not None:
                    grads[parent] = grads[parent] + flow[1]
    if not _all_finite([grads[leaf] for leaf in leaves]):
        _raise_where_it_overflowed(order, grads)
    return grads, leaves


def _finite(g: Any) -> bool:
    return math.isfinite(g if type(g) is float else g.data)


def _all_finite(values: list[Any]) -> bool:
    """Whether every gradient (a float, or a Value's data) is finite."""
    try:  # one C call for floats: an inf or nan among them makes the sum inf, nan or fail
        if math.isfinite(math.fsum(values)):
            return True
    except (TypeError, ValueError, OverflowError):  # Values among them; inf - inf; overflow
        pass
    return all(map(_finite, values))


def _raise_where_it_overflowed(order: list[N], grads: dict[N, Any]) -> None:
    """Raise for a gradient that overflowed to inf or nan, naming the op where it happened.

    A non-finite gradient anywhere flows into every node below it, so it reaches a leaf:
    checking the leaves is enough to know, and this walk finds where it began.
    """
    for node in reversed(order):  # the first node with a finite grad but a bad parent grad
        if node.parents and _finite(grads[node]):
            bad = [p for p in node.parents if not _finite(grads[p])]
            if bad:
                raise FloatOverflowError(f"backward: {node.op.name} at {node!r} passed back a "
                                    f"gradient of {grads[bad[0]]} (a local derivative or a "
                                    "product overflowed)")
    raise FloatOverflowError("backward: a gradient overflowed a float")


def backward(root: N, seed: Any = 1.0) -> None:
    """Set ``.grad`` of every node to ∂root/∂node by the chain rule, or change nothing.

    Gradient semantics: leaves (nodes with no parents: inputs and parameters)
    *accumulate*, so several ``backward()`` calls add up, as in the batch gradient
    Σ_i ∂R_i/∂θ; reset them with ``zero_grad`` (or ``.grad = 0.0``). Interior nodes get
    fresh gradients on every call, so after ``R.backward()`` an output pre-activation's
    ``.grad`` is the lecture's δ_k.

    Args:
        root: The node to differentiate (usually a scalar loss).
        seed: As in :func:`gradients`.

    Raises:
        As :func:`gradients`; then no ``.grad`` has changed.
    """
    grads, leaves = _table(root, seed)
    # Numbers added to a Value grad left by an earlier create_graph pass grow no graph;
    # with create_graph the sums are part of the gradients' graph. The lock makes each
    # commit whole, so threads back-propagating into shared parameters add up exactly.
    with _COMMIT, no_grad() if type(seed) is float else nullcontext():
        summed = [leaf.grad + grads[leaf] for leaf in leaves]
        if not _all_finite(summed):
            leaf, g = next((n, g) for n, g in zip(leaves, summed, strict=True)
                           if not _finite(g))
            raise FloatOverflowError(f"backward: the accumulated gradient of {leaf!r} would "
                                f"overflow to {g} (reset it with .grad = 0.0)")
        for node, g in grads.items():  # commit: interior nodes fresh, leaves accumulated
            node.grad = g
        for leaf, g in zip(leaves, summed, strict=True):
            leaf.grad = g
