"""The backward pass: topological order of the graph, then the chain rule, node by node.

The walk is written against :class:`Node`, the little a graph node must have (``data``,
``grad``, ``parents``, ``op`` and a scratch slot ``_g``), so this module needs nothing from
``value.py``. It is iterative (an explicit stack, no recursion): a graph a million nodes deep
works without touching Python's recursion limit.

A backward pass is a transaction. The gradients are summed in each node's scratch slot
``_g``, never in ``.grad``; they are checked (every op's domain, every number finite), and
only then committed to ``.grad`` in one write that runs in C, so that an error or an
interrupt anywhere leaves every ``.grad`` exactly as it was. A pass holds the engine's lock
from its first step to its last: it owns the scratch slots of the nodes it visits, and
threads that back-propagate into shared parameters add up exactly. (A scalar pass holds the
GIL throughout anyway; the tape, whose array work can overlap, takes the lock only to
commit, through :func:`accumulate`.)

There is one chain-rule step, :func:`chain_rule_step`: the ``create_graph`` pass, the tape
and the step-by-step frames call it; the float pass unrolls the same rule for one, two or
more operands (the tests check the two agree for every op, ``None`` partials included).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar, copy_context
from itertools import repeat
from operator import attrgetter
from typing import Any, Protocol, Self, TypeVar

from autograd.errors import EngineError, FloatOverflowError
from autograd.mode import RECORDING, no_grad
from autograd.ops import Op


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
T = TypeVar("T")

_LOCK = threading.Lock()  # held by a pass from its walk to its commit (no other state)
_IN_PASS: ContextVar[bool] = ContextVar("deltagrad_in_pass", default=False)
_JOURNAL: ContextVar[list[tuple[Any, Any, Any]] | None] = ContextVar("deltagrad_journal",
                                                                      default=None)
_SCRATCH = attrgetter("_g")
_GRAD = attrgetter("grad")


def _in_pass(body: Callable[..., T], nodes: list[Any], *args: Any) -> T:
    """Run ``body(nodes, *args)`` as one pass: the engine's lock held, nesting refused.

    ``body`` puts every node whose scratch slot it uses into ``nodes``; their scratch is
    cleared afterwards, however the pass ends. The "in a pass" flag is set in a copy of the
    context, which is dropped when the pass ends: no line of Python has to undo it.
    """
    if _IN_PASS.get():
        raise RuntimeError("a backward pass (or topological_order) was started inside "
                           "another, e.g. from an op's partials: compute it outside")
    with _LOCK:
        try:
            return copy_context().run(_flagged, body, nodes, *args)
        finally:
            _set_all(nodes, "_g", repeat(None))


def _flagged(body: Callable[..., T], *args: Any) -> T:
    _IN_PASS.set(True)
    return body(*args)


def _set_all(nodes: Iterable[Node], name: str, values: Iterable[Any]) -> None:
    """``node.<name> = value`` for every pair, in C: no Python bytecode runs in between.

    So neither a ``KeyboardInterrupt`` (signal handlers run only between bytecodes) nor an
    exception raised by a trace function can land between the first write and the last.
    """
    deque(map(setattr, nodes, repeat(name), values), maxlen=0)


def _commit(nodes: list[N]) -> None:
    """Write every node's scratch (its new gradient) to ``.grad``, all at once (lock held)."""
    journal = _JOURNAL.get()
    if journal is not None:  # inside restoring_grads(): remember what is overwritten
        journal.extend(zip(nodes, map(_GRAD, nodes), map(_SCRATCH, nodes), strict=True))
    _set_all(nodes, "grad", map(_SCRATCH, nodes))


@contextmanager
def restoring_grads() -> Iterator[None]:
    """Within this block (in this context), what any backward pass or :func:`accumulate`
    commits to ``.grad`` is taken back when the block ends, however it ends.

    ``gradcheck`` runs the user's function inside it: a function that calls ``backward()``
    itself (to check a second derivative) leaves the Values it closes over as they were.
    Only this block's own commits are taken back: what other threads add meanwhile stays.
    """
    journal: list[tuple[Any, Any, Any]] = []
    token = _JOURNAL.set(journal)
    try:
        yield
    finally:
        _JOURNAL.reset(token)
        if _IN_PASS.get():  # called from inside a pass (an op's partials): the lock is ours
            _undo(journal)
        else:
            with _LOCK:
                _undo(journal)


def _undo(journal: list[tuple[Any, Any, Any]]) -> None:
    """Take back journaled commits, newest first (the caller holds the lock).

    A ``.grad`` still holding what a commit wrote gets back exactly what it held before; one
    that another thread has added to since keeps that addition (its float is shifted back
    by the commit's own change).
    """
    for node, old, new in reversed(journal):
        now = node.grad
        if now is new or not all(type(v) is float for v in (now, old, new)):
            node.grad = old
        else:
            node.grad = now - (new - old)


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
    return _in_pass(_walk, [], root)


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
    _set_all(order, "_g", repeat(0.0))
    order[-1]._g = seed
    (_sum_floats if type(seed) is float else _sum_values)(order)
    leaves = [node for node in order if not node.parents]
    if not _all_finite(list(map(_SCRATCH, leaves))):
        _raise_where_it_overflowed(order)
    return leaves


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


def _raise_where_it_overflowed(order: list[N]) -> None:
    """Raise for a gradient that overflowed to inf or nan, naming the op where it happened.

    A non-finite gradient anywhere flows into every node below it, so it reaches a leaf:
    checking the leaves is enough to know, and this walk finds where it began.
    """
    for node in reversed(order):  # the first node with a finite grad but a bad parent grad
        if node.parents and _finite(node._g):
            bad = [p for p in node.parents if not _finite(p._g)]
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
    return _in_pass(_gradients, [], root, seed)


def _gradients(order: list[N], root: N, seed: Any) -> dict[N, Any]:
    _sum(_walk(order, root), seed)
    return dict(zip(order, map(_SCRATCH, order), strict=True))


def tangent(root: N, seeds: dict[N, float]) -> float:
    """Forward mode: d root along the direction ``seeds`` (a tangent for some leaves).

    One sweep in topological order carries each node's tangent ṫ = Σ_j ∂node/∂x_j · ẋ_j,
    with the partials of the same op rows the backward pass uses; leaves not in ``seeds``
    have tangent 0.

    Raises:
        DivisionByZeroError, DomainError, FloatOverflowError: As :func:`gradients`.
    """
    return _in_pass(_tangent, [], root, seeds)


def _tangent(order: list[Node], root: Node, seeds: dict[Any, float]) -> float:
    _set_all(_walk(order, root), "_g", repeat(0.0))
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
    _in_pass(_backward, [], root, seed)


def _backward(order: list[N], root: N, seed: Any) -> None:
    leaves = _sum(_walk(order, root), seed)
    # Numbers added to a Value grad left by an earlier create_graph pass grow no graph;
    # with create_graph the sums are part of the gradients' graph.
    with no_grad() if type(seed) is float else nullcontext():
        for leaf in leaves:
            leaf._g = leaf.grad + leaf._g
    _check_accumulated(leaves)
    _commit(order)


def _check_accumulated(leaves: Sequence[Node]) -> None:
    """Raise FloatOverflowError if some leaf's summed gradient (in ``_g``) is not finite."""
    summed = list(map(_SCRATCH, leaves))
    if not _all_finite(summed):
        leaf = next(n for n, g in zip(leaves, summed, strict=True) if not _finite(g))
        raise FloatOverflowError(f"backward: the accumulated gradient of {leaf!r} would "
                                 f"overflow to {leaf._g} (reset it with .grad = 0.0)")


def accumulate(leaves: Sequence[Node], increments: Sequence[Any]) -> None:
    """Add each increment to its leaf's ``.grad``: checked, then committed all at once.

    Used by every road that commits summed gradients (the tape, ``fit``), so that they keep
    ``backward``'s promises: threads add up exactly (the sums are read and written under the
    engine's lock), an inf or nan is never stored, and an error or an interrupt changes
    nothing.

    Raises:
        FloatOverflowError: Some accumulated gradient would not be finite; nothing changed.
    """
    _in_pass(_accumulate, list(leaves), increments)


def _accumulate(leaves: list[N], increments: Sequence[Any]) -> None:
    _set_all(leaves, "_g", (leaf.grad + g for leaf, g in zip(leaves, increments, strict=True)))
    _check_accumulated(leaves)
    _commit(leaves)
