"""Traced replay: record one example's graph once, then evaluate it for a whole batch.

Building a scalar graph per example costs about a microsecond per node, per example. But the
graph of a per-example loss R_i is usually the same for every example; only the numbers at
its input leaves change. :func:`trace` records that graph once; the :class:`Tape` it returns
evaluates it on arrays holding N examples and runs the backward pass through the *same*
derivative table (the ops' partials are plain arithmetic, so they work on arrays), summing
the parameters' gradients over the batch: Σ_i ∂R_i/∂θ, the lecture's batch gradient.

The arrays can be of any library of the Python array API standard (:mod:`autograd.arrays`):
numpy (the default, and what lists become), PyTorch tensors on their device, dask arrays
(lazy; a cluster does the work), ``array_api_strict``; results come back in the same
library. Weighted sums (a layer's pre-activations) are replayed as matrix products
(:mod:`autograd.fuse`), with the same numbers up to rounding.

>>> from autograd import Value, trace
>>> w = Value(0.5)
>>> tape = trace(lambda x, y: (y - w * x) ** 2, inputs=[1.0, 2.0], params=[w])
>>> out, grads = tape.gradient([[1.0, 2.0], [2.0, 0.0]])  # rows (x_i, y_i)
>>> out.tolist(), grads.tolist()  # R_i, and Σ_i -2 (y_i - w x_i) x_i = -3 + 4
([2.25, 1.0], [1.0])

What a tape can and cannot replay:

* Every op of the table replays element-wise, including the kinks and branches *inside* an
  op (relu, abs, the stable sigmoid and softplus): each example takes its own branch.
* Python control flow in ``fn`` that looks at the data (``if x > 0:``, ``max(a, b)`` on
  Values, ``float(x)``, ``math.exp(x)``) would freeze the traced example's branch into the
  tape. ``float(x)``, ``math.exp(x)`` and ``if x:`` raise TypeError on any Value, and
  while ``fn`` is traced, comparing a Value raises :class:`TraceError` too. Reading
  ``x.data`` directly cannot be detected: don't.
* Leaves that are neither ``inputs`` nor ``params`` are constants: numbers in ``fn``, Values
  made under ``no_grad``, Values ``fn`` closes over. They get no gradient and are read from
  ``.data`` at every replay, like the parameters. A leaf of a Value *subclass*
  (e.g. ``nn.Parameter``) missing from ``params`` raises :class:`TraceError`, since it is
  almost surely a forgotten parameter.
* ``x.detach()`` replays as a stop-gradient node: its value per example, no gradient
  through it. ``x.item()``, like a comparison, raises :class:`TraceError` while tracing.
* Parameters are read from ``.data`` at every replay, so a tape survives training steps.
* Domain errors are raised as in the scalar engine, by the op's own check, naming the
  first offending example (errors, not NaN). The check runs on floats, so on a batch it is
  run on the first example whose value is not finite: an op's ``array_forward`` must give
  nan or inf outside the op's domain, as every built-in does (a declared op whose array
  forward stays finite there is replayed without its check). On a lazy library (dask)
  :meth:`Tape.forward` and :meth:`Tape.gradient` compute nothing: their results raise
  ``DomainError`` when computed if a value is not finite, and :meth:`Tape.sums` and
  :meth:`Tape.backward` compute and name the op and the example.
* :meth:`Tape.backward` keeps the promises of ``Value.backward``: it computes and checks
  first and then commits all of its sums at once, under the engine's commit lock, so a
  failure (or an interrupt) changes no ``.grad`` and threads add up exactly.
* ``trace`` records the graph even inside ``no_grad()``: it is an explicit request.
* Only the gradients that reach a parameter are computed, so an infinite local slope with
  respect to an input alone (``w * x.sqrt()`` at x = 0) is not an error on the tape, where
  ``R_i.backward()``, which also computes ∂R_i/∂x, refuses it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.arrays import as_batch, guarded, is_lazy, namespace, realize, to_host
from autograd.errors import FloatOverflowError
from autograd.graph import topological_order
from autograd.mode import TraceError, enable_grad, tracing
from autograd.replay import Program, Run
from autograd.transaction import accumulate
from autograd.value import Constant, Value, apply

__all__ = ["Tape", "TraceError", "trace"]


class Tape:
    """One example's graph, recorded by :func:`trace`, replayable on a batch.

    Args:
        root: The traced output R_i.
        input_leaves: The leaves that stand for the example's inputs, in column order.
        params: The parameters, in the order gradients are returned.
        fuse: Replay weighted sums as matrix products (the default; False replays node by
            node, for comparison).

    Attributes:
        nodes: The recorded Values in topological order (the root, R_i, last).
        params: The parameters, in the order gradients are returned.
        n_inputs: How many per-example inputs ``fn`` takes.
        fused: Whether weighted sums are replayed as matrix products.
    """

    def __init__(self, root: Value, input_leaves: Sequence[Value], params: Sequence[Value],
                 *, fuse: bool = True) -> None:
        for p in params:
            if not isinstance(p, Value) or p.parents:
                raise TraceError(f"trace: params must be leaf Values (parameters), got {p!r}: "
                                 "a computed Value gets no gradient of its own")
        if len({id(p) for p in params}) != len(params):
            raise TraceError("trace: params lists the same Value more than once; its gradient "
                             "would be counted twice")
        self.nodes = topological_order(root)
        self.params = list(params)
        self.n_inputs = len(input_leaves)
        self.fused = fuse
        known = {id(v) for v in (*input_leaves, *self.params)}
        for node in self.nodes:
            if not node.parents and type(node) not in (Value, Constant) and id(node) not in known:
                name = f" {node.label!r}" if node.label else ""
                raise TraceError(f"trace: the graph uses a {type(node).__name__}{name} that is "
                                 "not in params; list every parameter (or it is a constant)")
        place = {id(node): i for i, node in enumerate(self.nodes)}
        columns = {place[id(leaf)]: k for k, leaf in enumerate(input_leaves) if id(leaf) in place}
        where = [place.get(id(p)) for p in self.params]
        self._plain = Program(self.nodes, columns, where, fuse=False)
        for i in self._plain.steps:
            op = self.nodes[i].op  # type: ignore[index]
            if op is not None and op.array_forward is None:
                raise TraceError(f"trace: the op {op.name!r} has no array_forward, so a tape "
                                 "cannot replay it on a batch (declare it with one)")
        self._program = Program(self.nodes, columns, where, fuse=True) if fuse else self._plain

    def __repr__(self) -> str:
        return (f"Tape({len(self.nodes)} nodes, {self.n_inputs} inputs, "
                f"{len(self.params)} params)")

    def forward(self, inputs: Any) -> Any:
        """R_i for every example.

        Args:
            inputs: N × n_inputs, one row per example (in ``fn``'s argument order): an array
                of any array-API library, or anything numpy reads (lists).

        Returns:
            The N outputs, an array of the inputs' library (numpy for lists).

        Raises:
            ValueError: Wrong shape or non-finite inputs; or an op's domain error.
            ZeroDivisionError, OverflowError: An op's domain error, naming the example.
        """
        batch, out, _, ok = self._replay(inputs, grads=False)
        if is_lazy(out):
            return guarded(out, ok)
        if not bool(ok):
            out, _ = _diagnose(self._plain, batch, grads=False)
        return out

    def gradient(self, inputs: Any) -> tuple[Any, Any]:
        """R_i for every example and Σ_i ∂R_i/∂θ for every parameter θ.

        Args:
            inputs: N × n_inputs, one row per example, as in :meth:`forward`.

        Returns:
            ``(outputs, grads)``: the N outputs and one summed gradient per parameter
            (zero for a parameter the graph does not use), arrays of the inputs' library.
            For dask arrays both are lazy: the sums are dask reductions, computed when you
            compute them, and checked then (a non-finite value raises ``DomainError``; call
            :meth:`sums` on the batch to learn which op and example).

        Raises:
            ValueError, ZeroDivisionError, OverflowError: As :meth:`forward`; also a
                partial's own error (e.g. the infinite slope of √x at 0), naming the example.
        """
        batch, out, grads, ok = self._replay(inputs, grads=True)
        if is_lazy(out):
            return guarded(out, ok), guarded(grads, ok)
        if not bool(ok):
            return _diagnose(self._plain, batch, grads=True)
        return out, grads

    def backward(self, inputs: Any) -> Any:
        """Add Σ_i ∂R_i/∂θ to each parameter's ``.grad`` (leaves accumulate, as in ``backward``).

        Equivalent to calling ``R_i.backward()`` for each example in turn: the sums are
        computed (lazy arrays too) and checked first, then committed all at once under the
        lock ``Value.backward`` takes, so an error changes no ``.grad`` and threads add up.

        Args:
            inputs: N × n_inputs, one row per example, as in :meth:`forward`.

        Returns:
            The N outputs (for dask, computed and kept where they were computed).

        Raises:
            As :meth:`gradient`; and OverflowError if a ``.grad`` would stop being finite.
        """
        out, grads = self._computed(inputs, grads=True)
        accumulate(self.params, grads.tolist())
        return out

    def sums(self, inputs: Any, grads: bool = True) -> tuple[float, Any]:
        """Σ_i R_i and Σ_i ∂R_i/∂θ, computed and checked, as numbers on the host.

        What :func:`nn.fit` needs from a batch in any library: the replay runs there (on the
        GPU, on the cluster) and only P + 1 numbers come back, checked as :meth:`backward`
        checks them, without touching any ``.grad``.

        Args:
            inputs: N × n_inputs, one row per example, as in :meth:`forward`.
            grads: Also compute the gradient (else it is None).

        Returns:
            ``(total, grads)``: Σ_i R_i as a float and the summed gradients as a numpy array.

        Raises:
            As :meth:`gradient`, for lazy arrays too.
        """
        out, summed = self._computed(inputs, grads)
        return float(to_host(namespace(out).sum(out))), summed

    def _computed(self, inputs: Any, grads: bool) -> tuple[Any, Any]:
        """The outputs (computed, in their library) and the summed gradients (numpy, or None),
        every value checked."""
        batch, out, summed, ok = self._replay(inputs, grads)
        out, summed, ok = realize(out, summed, ok)
        if not bool(to_host(ok)):
            out, summed = _diagnose(self._plain, batch, grads)
        return out, None if summed is None else to_host(summed)

    def _replay(self, inputs: Any, grads: bool) -> tuple[Any, Any, Any, Any]:
        """The batch, the outputs, the summed gradients (if asked) and whether all is finite."""
        batch = as_batch(inputs, self.n_inputs)
        xp = namespace(batch)
        if not is_lazy(batch) and not bool(xp.all(xp.isfinite(batch))):
            raise ValueError("inputs must be finite, got a nan or inf entry")
        with np.errstate(all="ignore"):
            run = Run(self._program, batch)
            out = run.forward()
            summed = run.backward() if grads else None
            total = run.total if summed is None else run.total + xp.sum(summed)
        return batch, out, summed, xp.isfinite(total)


def _diagnose(program: Program, batch: Any, grads: bool) -> tuple[Any, Any]:
    """Replay node by node, raising the error of the first value or partial that is not
    finite, as the scalar engine would; returns the replay if everything is finite."""
    xp = namespace(batch)
    if not bool(to_host(xp.all(xp.isfinite(batch)))):
        raise ValueError("inputs must be finite, got a nan or inf entry")
    with np.errstate(all="ignore"):
        run = Run(program, batch)
        out = run.forward()
        _first_bad(run, [(i, run.vals[i]) for i in program.steps if isinstance(i, int)],
                   partial=False)
        if not grads:
            return out, None
        partials: list[tuple[int, Any]] = []
        summed = run.backward(partials)
        _first_bad(run, partials, partial=True)
    if not bool(to_host(xp.all(xp.isfinite(summed)))):
        raise FloatOverflowError("trace: a summed gradient overflows a float")
    return out, summed


def _first_bad(run: Run, found: list[tuple[int, Any]], partial: bool) -> None:
    """Raise the op's own error for the first node whose value (or partial) is not finite."""
    xp, graph = run.xp, run.program.graph
    arrays = [v for _, v in found if not isinstance(v, float)]
    flags = iter(to_host(xp.stack([xp.any(~xp.isfinite(v)) for v in arrays])).tolist()
                 if arrays else [])  # one computation for all of them (dask)
    bad = [(i, v) for i, v in found
           if (not math.isfinite(v) if isinstance(v, float) else next(flags))]
    if not bad:
        return
    i, v = bad[0]
    k = int(np.argmax(~np.isfinite(np.broadcast_to(to_host(v), (run.n,)))))
    xs = [_at(run.value(j), k) for j in graph.parents[i]]
    op = graph.ops[i]
    assert op is not None  # a step is computed
    # Past the scalar engine's check, in float64: a narrower batch dtype overflowed.
    dtype = str(run.like["dtype"])
    narrower = "a float" if dtype.endswith("float64") else \
        f"the batch's {dtype} (a float64 batch would hold it)"
    try:
        if partial:
            op.partials(xs, _at(run.vals[i], k))
            raise FloatOverflowError(f"{op.name}: a local derivative overflows {narrower}")
        apply(op, *xs)  # the scalar engine's own error for this example
        raise FloatOverflowError(f"{op.name}: the result overflows {narrower}")
    except (ArithmeticError, ValueError) as err:
        raise type(err)(f"{err} (example {k} of the batch)") from None


def _at(x: Any, k: int) -> float:
    """Example k of a value (a column, or a float the same for every example)."""
    return x if isinstance(x, float) else float(to_host(x)[k])


def trace(fn: Callable[..., Value], inputs: Sequence[float], params: Sequence[Value], *,
          fuse: bool = True) -> Tape:
    """Record the graph of ``fn`` on one example, for replay on a batch.

    The graph is recorded even inside ``no_grad()`` (a trace is an explicit request).

    Args:
        fn: Maps one example's inputs (Values) to a scalar Value, typically R_i; it uses
            ``params`` (closed over) and may use constants.
        inputs: One example's inputs (e.g. a row of X followed by its targets); the traced
            values only need to lie inside every op's domain.
        params: The Values whose summed gradients the tape returns.
        fuse: Replay weighted sums as matrix products (see :class:`Tape`).

    Returns:
        The :class:`Tape`.

    Raises:
        TraceError: ``fn`` compares a Value, reads one (``item()``) or takes its float, or
            uses a parameter-like leaf not listed in ``params``.
        TypeError: ``fn`` does not return a Value.
    """
    leaves = [Value(x, label=f"input {k}") for k, x in enumerate(inputs)]
    with enable_grad(), tracing():
        root = fn(*leaves)
    if not isinstance(root, Value):
        raise TypeError(f"fn must return a Value, got {type(root).__name__}")
    return Tape(root, leaves, params, fuse=fuse)
