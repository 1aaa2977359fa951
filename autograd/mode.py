"""The engine's modes, context-local: whether operations record a graph, and whether a trace runs.

Each mode is a :class:`contextvars.ContextVar`, so it belongs to one thread (and to one
asyncio task): a ``no_grad()`` block in one thread never stops another thread from
recording, and blocks that overlap across threads cannot leave a mode switched for good.
This module is the only owner of the modes; the rest of the engine asks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

RECORDING: ContextVar[bool] = ContextVar("deltagrad_recording", default=True)
"""True while new nodes record their parents (the default); False inside :func:`no_grad`."""

TRACING: ContextVar[bool] = ContextVar("deltagrad_tracing", default=False)
"""True while :func:`autograd.trace` runs the traced function."""


class TraceError(ValueError):
    """A traced function cannot be replayed faithfully: it compared a Value or read its
    number with ``item()``, left a parameter out of ``params``, or used an op without an
    ``array_forward``."""


@contextmanager
def _switched(mode: ContextVar[bool], value: bool) -> Iterator[None]:
    """Within this block (in this thread), ``mode`` is ``value``; then it is as it was."""
    token = mode.set(value)
    try:
        yield
    finally:
        mode.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Within this block (in this thread), operations compute values but record no graph."""
    return _switched(RECORDING, False)


def enable_grad() -> AbstractContextManager[None]:
    """Within this block (in this thread), operations record a graph, even inside ``no_grad()``.

    The explicit derivative requests (``grad``, ``value_and_grad``, ``hessian``, ``jvp``,
    ``trace``, ``fit``, ``predict``) run their function inside it, so an enclosing
    ``no_grad()`` cannot silently change their results.
    """
    return _switched(RECORDING, True)


def tracing() -> AbstractContextManager[None]:
    """Within this block (in this thread), a trace runs: comparing a Value or calling
    ``item()`` raises :class:`TraceError`, and ``detach()`` records a stop-gradient node."""
    return _switched(TRACING, True)
