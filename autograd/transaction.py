"""A pass's transaction: the engine's lock, the scratch slots, and the all-or-nothing commit.

Every road to a gradient (``backward``, ``gradients``, forward mode, the tape's commit) runs
as one *pass* through :func:`in_pass`: it holds the engine's lock from its first step to its
last, owns the scratch slot ``_g`` of the nodes it visits (cleared when it ends, however it
ends), and refuses to start inside another pass of the same thread. Gradients are summed in
the scratch slots, never in ``.grad``; :func:`commit` then writes them all to ``.grad`` in
one loop that runs in C (``setattr`` mapped over the nodes), so that an error or an interrupt
leaves every ``.grad`` either as it was or as it is after the whole pass, never a mixture.

:func:`accumulate` is the commit of the roads that sum their gradients elsewhere (the tape,
on arrays, outside the lock), and :func:`restoring_grads` takes back what the passes inside a
block committed (``gradcheck`` runs the user's function in it).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from itertools import repeat
from operator import attrgetter
from typing import Any, TypeVar

from autograd.errors import FloatOverflowError

__all__ = ["SCRATCH", "accumulate", "all_finite", "check_accumulated", "commit", "finite",
           "in_pass", "restoring_grads", "set_all"]

T = TypeVar("T")

_LOCK = threading.Lock()  # held by a pass from its walk to its commit (no other state)
_IN_PASS: ContextVar[bool] = ContextVar("deltagrad_in_pass", default=False)
_JOURNAL: ContextVar[list[tuple[Any, Any, Any]] | None] = ContextVar("deltagrad_journal",
                                                                      default=None)
SCRATCH = attrgetter("_g")
_GRAD = attrgetter("grad")


def in_pass(body: Callable[..., T], nodes: list[Any], *args: Any) -> T:
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
            set_all(nodes, "_g", repeat(None))


def _flagged(body: Callable[..., T], *args: Any) -> T:
    _IN_PASS.set(True)
    return body(*args)


def set_all(nodes: Iterable[Any], name: str, values: Iterable[Any]) -> None:
    """``node.<name> = value`` for every pair, in C: no Python bytecode runs in between.

    So neither a ``KeyboardInterrupt`` (signal handlers run only between bytecodes) nor an
    exception raised by a trace function can land between the first write and the last.
    """
    deque(map(setattr, nodes, repeat(name), values), maxlen=0)


def commit(nodes: list[Any]) -> None:
    """Write every node's scratch (its new gradient) to ``.grad``, all at once (lock held)."""
    journal = _JOURNAL.get()
    if journal is not None:  # inside restoring_grads(): remember what is overwritten
        journal.extend(zip(nodes, map(_GRAD, nodes), map(SCRATCH, nodes), strict=True))
    set_all(nodes, "grad", map(SCRATCH, nodes))


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


def finite(g: Any) -> bool:
    return math.isfinite(g if type(g) is float else g.data)


def all_finite(values: list[Any]) -> bool:
    """Whether every gradient (a float, or a Value's data) is finite."""
    try:  # one C call for floats: an inf or nan among them makes the sum inf, nan or fail
        if math.isfinite(math.fsum(values)):
            return True
    except (TypeError, ValueError, OverflowError):  # Values among them; inf - inf; overflow
        pass
    return all(map(finite, values))


def check_accumulated(leaves: Sequence[Any]) -> None:
    """Raise FloatOverflowError if some leaf's summed gradient (in ``_g``) is not finite."""
    summed = list(map(SCRATCH, leaves))
    if not all_finite(summed):
        leaf = next(n for n, g in zip(leaves, summed, strict=True) if not finite(g))
        raise FloatOverflowError(f"backward: the accumulated gradient of {leaf!r} would "
                                 f"overflow to {leaf._g} (reset it with .grad = 0.0)")


def accumulate(leaves: Sequence[Any], increments: Sequence[Any]) -> None:
    """Add each increment to its leaf's ``.grad``: checked, then committed all at once.

    Used by every road that commits summed gradients (the tape, ``fit``), so that they keep
    ``backward``'s promises: threads add up exactly (the sums are read and written under the
    engine's lock), an inf or nan is never stored, and an error or an interrupt changes
    nothing.

    Raises:
        FloatOverflowError: Some accumulated gradient would not be finite; nothing changed.
    """
    in_pass(_accumulate, list(leaves), increments)


def _accumulate(leaves: list[Any], increments: Sequence[Any]) -> None:
    set_all(leaves, "_g", (leaf.grad + g for leaf, g in zip(leaves, increments, strict=True)))
    check_accumulated(leaves)
    commit(leaves)
