"""The backward pass: topological order of the graph, then the chain rule, node by node.

The walk is written against :class:`Node`, the little a graph node must have (``data``,
``grad``, ``parents``, ``op`` and a scratch slot ``_g``), so this module needs nothing from
``value.py``. It is iterative (an explicit stack, no recursion): a graph a million nodes deep
works without touching Python's recursion limit.

A backward pass is a transaction (:mod:`autograd.transaction`): the gradients are summed in
each node's scratch slot ``_g``, never in ``.grad``; they are checked (every op's domain,
every number finite), and only then committed to ``.grad`` in one write, so that an error or
an interrupt anywhere leaves every ``.grad`` as it was.

There is one chain-rule step, :func:`chain_rule_step`: the ``create_graph`` pass, the tape
and the step-by-step frames call it; the float pass unrolls the same rule for one, two or
more operands (the tests check the two agree for every op, ``None`` partials included).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import nullcontext
from itertools import repeat
from typing import Any, Protocol, Self, TypeVar

from autograd.errors import EngineError, FloatOverflowError
from autograd.mode import RECORDING, no_grad
from autograd.ops import Op
from autograd.transaction import (
    SCRATCH,
    all_finite,
    check_accumulated,
    commit,
    finite,
    in_pass,
    set_all,
)


class Node(Protocol):
    """What the graph code needs of a node (``autograd.Value`` is one)."""

    grad: Any
    _g: Any  # the pass's scratch: a walk's mark, then the gradient being summed

    @property
    def data(self) -> float: ...

    @property
    def parents(self) -> tuple[Self, ...]: ...

    @property
    def op(self) -> Any: ...  # the Op that made the node; None for a leaf


N = TypeVar("N", bound=Node)

def _walk(order: list[N], root: N) -> list[N]:
    """Every node ``root`` depends on, each after all of its parents, appended to ``order``.

    A depth-first walk: ``stack`` holds the current path, and a node is marked seen by a
    mark of this walk's own in its scratch slot (so no per-node set entries or tuples).
    """
    mark = object()
    root._g = mark
    stack = [root]
    push, pop, place = stack.append, stack.pop, order.append
    while stack:
        for p in stack[-1].parents:
            if p._g is not mark:  # descend into the first parent not yet visited
                p._g = mark
                push(p)
                break
        else:  # every parent is placed: the node follows them
            place(pop())
    return order


def topological_order(root: N) -> list[N]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` is last.

    The order is deterministic: parents are visited in the order they were given.
    """
    return in_pass(_walk, [], root)


def local_partials(op: Op, xs: Any, out: Any) -> Sequence[Any]:
    """The op's local partials ∂out/∂x_j at ``xs``, checked to be one per operand.

    Raises:
        ValueError: The op's partials did not return a tuple (or list) of derivatives and
            ``None``s, one per operand (the message names the op).
    """
    ds = op.partials(xs, out)
    if not isinstance(ds, tuple | list) or len(ds) != len(xs) or \
            any(isinstance(d, str | bytes) for d in ds):
        raise ValueError(f"op {op.name!r}: partials must return a tuple of {len(xs)} "
                        f"derivative{'s' if len(xs) != 1 else ''} (numbers, or None where no "
                        f"gradient flows), one per operand; got {ds!r}")
    return ds


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

    Raises:
        ValueError: The op's partials are not one derivative (or ``None``) per operand.
    """
    return [None if d is None else (d, g * d) for d in local_partials(op, xs, out)]


def _sum_floats(order: list[N]) -> None:
    """The chain rule on floats, into the scratch slots (unrolled: runs once per node)."""
    node = order[-1]
    try:
        for node in reversed(order):
            parents = node.parents
            if not parents:
                continue
            g, n = node._g, len(parents)
            if n == 1:
                a = parents[0]
                (da,) = node.op.partials((a.data,), node.data)
                if da is not None:
                    a._g += g * da
            elif n == 2:
                a, b = parents
                da, db = node.op.partials((a.data, b.data), node.data)
                if da is not None:
                    a._g += g * da
                if db is not None:
                    b._g += g * db
            else:
                for p, flow in zip(parents, chain_rule_step(
                        node.op, tuple([p.data for p in parents]), node.data, g), strict=True):
                    if flow is not None:
                        p._g += flow[1]
    except (ValueError, TypeError) as err:  # partials of the wrong shape: name the op
        if isinstance(err, EngineError):
            raise
        local_partials(node.op, tuple([p.data for p in node.parents]), node.data)
        raise


def _sum_values(order: list[N]) -> None:
    """The chain rule on Values (``create_graph``): the gradients get graphs of their own."""
    if not RECORDING.get():
        raise RuntimeError("backward(create_graph=True) inside no_grad() cannot record "
                           "the gradients' graph")
    for node in reversed(order):
        if not node.parents:
            continue
        try:
            step = chain_rule_step(node.op, node.parents, node, node._g)
        except TypeError as err:
            raise TypeError(f"op {node.op.name!r}: its partials do not run on Values, so it "
                            "cannot be differentiated twice (create_graph, hessian): write "
                            f"them in arithmetic and Value methods ({err})") from err
        for parent, flow in zip(node.parents, step, strict=True):
            if flow is not None:
                parent._g = parent._g + flow[1]


def _sum(order: list[N], seed: Any) -> list[N]:
    """Every node's ∂root/∂node into its scratch slot, checked; returns the leaves.

    Raises:
        DivisionByZeroError, DomainError, FloatOverflowError: A local derivative is
            infinite or undefined (the op's own message), or a gradient overflows.
    """
    set_all(order, "_g", repeat(0.0))
    order[-1]._g = seed
    (_sum_floats if type(seed) is float else _sum_values)(order)
    leaves = [node for node in order if not node.parents]
    if not all_finite(list(map(SCRATCH, leaves))):
        _raise_where_it_overflowed(order)
    return leaves


def _raise_where_it_overflowed(order: list[N]) -> None:
    """Raise for a gradient that overflowed to inf or nan, naming the op where it happened.

    A non-finite gradient anywhere flows into every node below it, so it reaches a leaf:
    checking the leaves is enough to know, and this walk finds where it began.
    """
    for node in reversed(order):  # the first node with a finite grad but a bad parent grad
        if node.parents and finite(node._g):
            bad = [p for p in node.parents if not finite(p._g)]
            if bad:
                raise FloatOverflowError(f"backward: {node.op.name} at {node!r} passed back "
                                         f"a gradient of {bad[0]._g} (a local derivative is "
                                         "infinite or not a number, or a product overflowed)")
    raise FloatOverflowError("backward: a gradient overflowed a float")


def gradients(root: N, seed: Any = 1.0) -> dict[N, Any]:
    """∂root/∂node for every node ``root`` depends on, without changing any ``.grad``.

    Args:
        root: The node to differentiate.
        seed: ∂L/∂root: ``1.0`` for ∂root/∂node itself, or a Value (``Value(1.0)``) to get
            every gradient as a Value with its own graph (``create_graph``).

    Returns:
        A table from every node ``root`` depends on to its gradient (0 for a constant that
        gets none, such as a number exponent).

    Raises:
        DivisionByZeroError, DomainError, FloatOverflowError: A local derivative is
            infinite or undefined (the op's own message), or a gradient overflows to inf or
            nan (the message names the op where it happened).
    """
    return in_pass(_gradients, [], root, seed)


def _gradients(order: list[N], root: N, seed: Any) -> dict[N, Any]:
    _sum(_walk(order, root), seed)
    return dict(zip(order, map(SCRATCH, order), strict=True))


def tangent(root: N, seeds: dict[N, float]) -> float:
    """Forward mode: d root along the direction ``seeds`` (a tangent for some leaves).

    One sweep in topological order carries each node's tangent ṫ = Σ_j ∂node/∂x_j · ẋ_j,
    with the partials of the same op rows the backward pass uses; leaves not in ``seeds``
    have tangent 0.

    Raises:
        DivisionByZeroError, DomainError, FloatOverflowError: As :func:`gradients`.
    """
    return in_pass(_tangent, [], root, seeds)


def _tangent(order: list[Node], root: Node, seeds: dict[Any, float]) -> float:
    set_all(_walk(order, root), "_g", repeat(0.0))
    for leaf, t in seeds.items():
        leaf._g = t
    for node in order:
        parents = node.parents
        if parents:
            t = 0.0
            ds = local_partials(node.op, tuple([p.data for p in parents]), node.data)
            for p, d in zip(parents, ds, strict=True):
                if d is not None:
                    t += d * p._g
            node._g = t
    if not math.isfinite(root._g):
        raise FloatOverflowError(f"jvp: the tangent is {root._g} (a local derivative is not "
                                 "a number, or a product overflowed)")
    return float(root._g)


def backward(root: N, seed: Any = 1.0) -> None:
    """Set ``.grad`` of every node to seed · ∂root/∂node by the chain rule, or change nothing.

    Gradient semantics: leaves (nodes with no parents: inputs and parameters)
    *accumulate*, so several ``backward()`` calls add up, as in the batch gradient
    Σ_i ∂R_i/∂θ; reset them with ``zero_grad`` (or ``.grad = 0.0``). Interior nodes get
    fresh gradients on every call, so after ``R.backward()`` an output pre-activation's
    ``.grad`` is the lecture's δ_k.

    Args:
        root: The node to differentiate (usually a scalar loss).
        seed: As in :func:`gradients`.

    Raises:
        As :func:`gradients`; and FloatOverflowError when an accumulated leaf gradient
        would overflow. Then no ``.grad`` has changed, even after an interrupt.
    """
    in_pass(_backward, [], root, seed)


def _backward(order: list[N], root: N, seed: Any) -> None:
    leaves = _sum(_walk(order, root), seed)
    # Numbers added to a Value grad left by an earlier create_graph pass grow no graph;
    # with create_graph the sums are part of the gradients' graph.
    with no_grad() if type(seed) is float else nullcontext():
        for leaf in leaves:
            leaf._g = leaf.grad + leaf._g
    check_accumulated(leaves)
    commit(order)


