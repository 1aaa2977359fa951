"""Traced replay: record one example's graph once, then evaluate it for a whole batch.

Building a scalar graph per example costs about a microsecond per node, per example. But the
graph of a per-example loss R_i is usually the same for every example; only the numbers at
its input leaves change. :func:`trace` records that graph once; the :class:`Tape` it returns
evaluates it on numpy arrays holding N examples, one numpy operation per node, and runs the
backward pass through the *same* derivative table (:data:`autograd.ops.OPS` partials, which
are plain arithmetic and so work on arrays), summing the parameters' gradients over the
batch: Σ_i ∂R_i/∂θ, the lecture's batch gradient.

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
* Leaves that are neither ``inputs`` nor ``params`` are constants, frozen at their traced
  value (numbers in ``fn``, Values made under ``no_grad``). A leaf of a Value *subclass*
  (e.g. ``nn.Parameter``) missing from ``params`` raises :class:`TraceError`, since it is
  almost surely a forgotten parameter.
* Parameters are read from ``.data`` at every replay, so a tape survives training steps.
* Domain errors are raised as in the scalar engine, by the op's own check, naming the
  first offending example (errors, not NaN).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autograd.errors import FloatOverflowError
from autograd.graph import chain_rule_step, topological_order
from autograd.mode import TraceError, tracing
from autograd.ops import Op
from autograd.value import Constant, Value, apply

__all__ = ["Tape", "TraceError", "trace"]

Array = NDArray[np.float64]
Slot = Any  # a float (constant, parameter, or a node that depends on neither) or an array


def _is_column(x: Slot) -> bool:
    return isinstance(x, np.ndarray)


def _example(xs: Sequence[Slot], i: int) -> list[float]:
    """The inputs of one node for example ``i``, as floats."""
    return [float(x[i]) if _is_column(x) else x for x in xs]


def _raise_for(err: Exception, i: int) -> None:
    """Re-raise an op's error with the example it came from."""
    raise type(err)(f"{err} (example {i} of the batch)") from None


class Tape:
    """One example's graph, recorded by :func:`trace`, replayable on a batch.

    Attributes:
        nodes: The recorded Values in topological order (the root, R_i, last).
        params: The parameters, in the order gradients are returned.
        n_inputs: How many per-example inputs ``fn`` takes.
    """

    def __init__(self, root: Value, input_leaves: Sequence[Value], params: Sequence[Value]
                 ) -> None:
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
        place = {id(node): i for i, node in enumerate(self.nodes)}
        self._parents = [tuple(place[id(p)] for p in node.parents) for node in self.nodes]
        self._inputs = [place.get(id(leaf)) for leaf in input_leaves]
        self._params = [place.get(id(p)) for p in self.params]
        batched = [False] * len(self.nodes)  # depends on an input: an array at replay
        for j in self._inputs:
            if j is not None:
                batched[j] = True
        for i, parents in enumerate(self._parents):
            batched[i] = batched[i] or any(batched[j] for j in parents)
        self._batched = batched
        known = {id(v) for v in (*input_leaves, *self.params)}
        for node in self.nodes:
            if not node.parents and type(node) not in (Value, Constant) and id(node) not in known:
                name = f" {node.label!r}" if node.label else ""
                raise TraceError(f"trace: the graph uses a {type(node).__name__}{name} that is "
                                 "not in params; list every parameter (or it is a constant)")

    def __repr__(self) -> str:
        return (f"Tape({len(self.nodes)} nodes, {self.n_inputs} inputs, "
                f"{len(self.params)} params)")

    def _columns(self, inputs: ArrayLike) -> tuple[list[Slot], int]:
        """Every node's value for the batch (forward pass) and the batch size N."""
        batch = np.asarray(inputs, dtype=np.float64)
        if batch.ndim == 1 and self.n_inputs == 1:
            batch = batch[:, None]
        if batch.ndim != 2 or batch.shape[1] != self.n_inputs:
            raise ValueError(f"inputs must be N × {self.n_inputs} (one row per example), "
                             f"got shape {batch.shape}")
        if not np.isfinite(batch).all():
            raise ValueError("inputs must be finite, got a nan or inf entry")
        vals: list[Slot] = [node.data for node in self.nodes]
        for k, j in enumerate(self._inputs):
            if j is not None:
                vals[j] = np.ascontiguousarray(batch[:, k])
        for k, j in enumerate(self._params):
            if j is not None:
                vals[j] = self.params[k].data
        with np.errstate(all="ignore"):
            for i, node in enumerate(self.nodes):
                if node.op is not None:
                    xs = [vals[j] for j in self._parents[i]]
                    vals[i] = (self._forward(node.op, xs) if self._batched[i]
                               else apply(node.op, *xs).data)
        return vals, batch.shape[0]

    @staticmethod
    def _forward(op: Op, xs: list[Slot]) -> Slot:
        """One node on the batch; domain errors as the scalar engine raises them."""
        if op.array_forward is None:
            raise TraceError(f"trace: the op {op.name!r} has no array_forward, so a tape "
                             "cannot replay it on a batch")
        out = op.array_forward(*xs)
        bad = None if np.isfinite(out).all() else ~np.isfinite(out)
        if bad is not None:
            i = int(np.argmax(bad))
            try:
                if op.check is not None:
                    op.check(*_example(xs, i))
                raise FloatOverflowError(f"{op.name}: the result overflows a float")
            except (ArithmeticError, ValueError) as err:
                _raise_for(err, i)
        return out

    def forward(self, inputs: ArrayLike) -> Array:
        """R_i for every example.

        Args:
            inputs: N × n_inputs, one row per example (in ``fn``'s argument order).

        Returns:
            The N outputs.

        Raises:
            ValueError: Wrong shape or non-finite inputs; or an op's domain error.
            ZeroDivisionError, OverflowError: An op's domain error, naming the example.
        """
        vals, n = self._columns(inputs)
        return np.broadcast_to(np.asarray(vals[-1], dtype=np.float64), (n,)).copy()

    def gradient(self, inputs: ArrayLike) -> tuple[Array, Array]:
        """R_i for every example and Σ_i ∂R_i/∂θ for every parameter θ.

        Args:
            inputs: N × n_inputs, one row per example.

        Returns:
            ``(outputs, grads)``: the N outputs and one summed gradient per parameter
            (zero for a parameter the graph does not use).

        Raises:
            ValueError, ZeroDivisionError, OverflowError: As :meth:`forward`; also a
                partial's own error (e.g. the infinite slope of √x at 0), naming the example.
        """
        vals, n = self._columns(inputs)
        sums = self._backward(vals, n, checked=False)
        # A non-finite local partial anywhere reaches some leaf as inf or nan.
        if not np.isfinite(sums).all():  # find the culprit, slowly, for a clear error
            self._backward(vals, n, checked=True)
            raise FloatOverflowError("trace: a summed gradient overflows a float")
        summed = np.array([0.0 if j is None else sums[j] for j in self._params])
        out = np.broadcast_to(np.asarray(vals[-1], dtype=np.float64), (n,)).copy()
        return out, summed

    def backward(self, inputs: ArrayLike) -> Array:
        """Add Σ_i ∂R_i/∂θ to each parameter's ``.grad`` (leaves accumulate, as in ``backward``).

        Equivalent to calling ``R_i.backward()`` for each example in turn.

        Args:
            inputs: N × n_inputs, one row per example.

        Returns:
            The N outputs.
        """
        out, summed = self.gradient(inputs)
        for p, g in zip(self.params, summed, strict=True):
            p.grad = p.grad + float(g)
        return out

    def _backward(self, vals: list[Slot], n: int, checked: bool) -> Array:
        """The chain rule on the batch, one array operation per edge.

        Interior nodes get per-example gradients (arrays of N); leaves only need their
        gradients summed over the batch, so their contributions are reduced at once.

        Returns:
            Σ_i ∂R_i/∂(node) for every node (meaningful for the leaves).
        """
        grads: list[Slot | None] = [None] * len(self.nodes)
        grads[-1] = np.ones(n)
        sums = np.zeros(len(self.nodes))
        sums[-1] = n
        with np.errstate(all="ignore"):
            for i in range(len(self.nodes) - 1, -1, -1):
                g, op = grads[i], self.nodes[i].op
                if g is None or op is None:
                    continue
                parents = self._parents[i]
                xs = [vals[j] for j in parents]
                step = chain_rule_step(op, xs, vals[i], g)
                if checked:
                    self._check_partials(op, xs, vals[i], [f[0] for f in step if f])
                for j, flow in zip(parents, step, strict=True):
                    if flow is None:  # a constant exponent: no gradient
                        continue
                    if self.nodes[j].op is None:  # a leaf: only the batch sum is needed
                        sums[j] += np.sum(flow[1])
                    else:
                        grads[j] = flow[1] if grads[j] is None else grads[j] + flow[1]
        return sums

    @staticmethod
    def _check_partials(op: Op, xs: list[Slot], out: Slot, partials: Sequence[Slot]) -> None:
        """Raise the op's own error for the first example whose local partial is not finite."""
        for d in partials:
            bad = ~np.isfinite(d)
            if np.any(bad):
                i = int(np.argmax(bad)) if _is_column(bad) else 0
                try:
                    op.partials(_example(xs, i), float(out[i]) if _is_column(out) else out)
                    raise FloatOverflowError(f"{op.name}: a local derivative overflows a float")
                except (ArithmeticError, ValueError) as err:
                    _raise_for(err, i)


def trace(fn: Callable[..., Value], inputs: Sequence[float], params: Sequence[Value]) -> Tape:
    """Record the graph of ``fn`` on one example, for replay on a batch.

    Args:
        fn: Maps one example's inputs (Values) to a scalar Value, typically R_i; it uses
            ``params`` (closed over) and may use constants.
        inputs: One example's inputs (e.g. a row of X followed by its targets); the traced
            values only need to lie inside every op's domain.
        params: The Values whose summed gradients the tape returns.

    Returns:
        The :class:`Tape`.

    Raises:
        TraceError: ``fn`` compares a Value or takes its float, or uses a parameter-like
            leaf not listed in ``params``.
        TypeError: ``fn`` does not return a Value.
    """
    leaves = [Value(x, label=f"input {k}") for k, x in enumerate(inputs)]
    with tracing():
        root = fn(*leaves)
    if not isinstance(root, Value):
        raise TypeError(f"fn must return a Value, got {type(root).__name__}")
    return Tape(root, leaves, params)
