"""Running a traced graph on a batch, in the batch's own array library.

A :class:`Program` decides once per tape what a replay evaluates: the nodes that depend on
the example are *steps* (one array operation each, or a fused group of them, see
:mod:`autograd.fuse`); the others (parameters, constants and what is computed from them
alone) are plain floats, the same for every example. A :class:`Run` is one replay: forward
in program order, then the chain rule backward in reverse, through the engine's one step
(:func:`autograd.graph.chain_rule_step`) on arrays.

Gradients are kept where they are needed and no further: a node that does not lead to a
parameter gets none (the inputs and the targets, say); a node that does not depend on the
example only needs its gradient summed over the batch, so it carries Σ_i ∂R_i/∂node, a
number. The parameters' sums are gathered into one vector at the end (``take``), so that a
replay issues a few dozen array operations, not one per parameter.

Nothing here checks values: a run adds every step's sum into :attr:`Run.total`, which is
finite when every value is (or overflows a little early, which only costs a second look),
and the tape decides what to do when it is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.arrays import device, namespace
from autograd.fuse import Affine, Graph, Group, Map, find_groups
from autograd.graph import chain_rule_step
from autograd.value import Value, apply

__all__ = ["Program", "Run"]

Step = int | tuple[int, Group]
"""A node evaluated alone, or a fused group with its index."""


class Program:
    """What a tape's replay evaluates, and in which order; decided once per tape.

    Args:
        nodes: The tape's nodes in topological order (the root last).
        columns: The batch column of each input leaf, by node index.
        params: The node index of each parameter (None for one the graph does not use).
        fuse: Evaluate weighted sums as matrix products (:mod:`autograd.fuse`).
    """

    def __init__(self, nodes: Sequence[Value], columns: dict[int, int],
                 params: Sequence[int | None], fuse: bool) -> None:
        place = {id(node): i for i, node in enumerate(nodes)}
        parents = [tuple(place[id(p)] for p in node.parents) for node in nodes]
        batched = [i in columns for i in range(len(nodes))]
        for i, ps in enumerate(parents):
            batched[i] = batched[i] or any(batched[j] for j in ps)
        self.graph = Graph([node.op for node in nodes], parents, batched, columns)
        self.nodes, self.params = nodes, list(params)
        used = {p for p in params if p is not None}
        self.need = [i in used for i in range(len(nodes))]  # leads to a parameter
        for i, ps in enumerate(parents):
            self.need[i] = self.need[i] or any(self.need[j] for j in ps)
        self.groups: list[Group] = find_groups(self.graph) if fuse else []
        self.member = {m: (h, k) for h, grp in enumerate(self.groups)
                       for k, m in enumerate(grp.members)}
        absorbed = {n for grp in self.groups if isinstance(grp, Affine) for n in grp.absorbed}
        starts = {min(grp.members): (h, grp) for h, grp in enumerate(self.groups)}
        self.steps: list[Step] = [
            starts.get(i, i) for i, node in enumerate(nodes)
            if i in starts or (batched[i] and node.op is not None and i not in absorbed
                               and i not in self.member)]
        self.computed = [i for i, node in enumerate(nodes) if node.op is not None
                         and not batched[i]]  # the same for every example: floats
        self.used = used
        self._layout()

    def _layout(self) -> None:
        """Where each parameter's gradient sums are, in the vector a run assembles.

        The vector holds, in order, every affine group's ``U^T G`` (when a weight is a
        parameter) and ``Σ_i G`` (when an intercept is), then one entry for each parameter
        that something else uses, then a zero; each parameter's gradient is the sum of its
        entries (several for a shared weight), gathered with ``take``.
        """
        g = self.graph
        where: dict[int, list[int]] = {p: [] for p in self.used}
        self.blocks: list[tuple[int, bool]] = []  # (group, weights?) in vector order
        # the computed weights (node, row, column) of each block, which pass their sums on
        self.passed: dict[tuple[int, bool], list[tuple[int, int, int]]] = {}
        size = 0
        for h, grp in enumerate(self.groups):
            if not isinstance(grp, Affine):
                continue
            for block, codes in ((True, grp.weights), (False, (grp.intercepts,))):
                flat = [c for row in codes for c in row]
                self.passed[(h, block)] = [(c, j, k) for j, row in enumerate(codes)
                                           for k, c in enumerate(row) if self._passes(c)]
                if any(c in where for c in flat):
                    self.blocks.append((h, block))
                    for k, c in enumerate(flat):
                        if c in where:
                            where[c].append(size + k)
                    size += len(flat)
        singles = {j for i in (*self.steps, *self.computed) if isinstance(i, int)
                   for j in g.parents[i]} | {len(g.parents) - 1}  # the root may be a parameter
        self.scalar_params = [p for p in where if p in singles]
        for k, p in enumerate(self.scalar_params):
            where[p].append(size + k)
        size += len(self.scalar_params)
        self.wanted = set(self.blocks) | {b for b, found in self.passed.items() if found}
        rounds = max((len(v) for v in where.values()), default=0)
        self.gather = np.full((rounds, len(self.params)), size, dtype=np.int64)
        for k, node in enumerate(self.params):
            for r, pos in enumerate(where.get(node, []) if node is not None else []):
                self.gather[r, k] = pos


    def _passes(self, code: int) -> bool:
        """Whether a weight code is a computed node that passes a gradient on (not a leaf)."""
        return (code < len(self.nodes) and self.need[code] and code not in self.used
                and self.nodes[code].op is not None)


class Run:
    """One replay of a :class:`Program` on a batch (forward, then backward if asked).

    Attributes:
        total: The sum of every value computed (finite when they all are).
    """

    def __init__(self, program: Program, batch: Any) -> None:
        xp = self.xp = namespace(batch)
        self.program, self.batch, self.n = program, batch, batch.shape[0]
        self.like = {"dtype": batch.dtype, "device": device(batch)}
        nodes = program.nodes
        self.scalars: list[float] = [node.data for node in nodes]  # parameters: read now
        for i in program.computed:
            self.scalars[i] = apply(nodes[i].op, *(self.scalars[j]  # type: ignore[arg-type]
                                                    for j in program.graph.parents[i])).data
        self.codes = np.array([*self.scalars, 0.0, 1.0])  # a weight table's numbers by code
        self.vals: dict[int, Any] = {i: batch[:, k] for i, k in program.graph.columns.items()}
        self.mats: dict[int, Any] = {}
        self.total: Any = xp.sum(batch)

    def value(self, i: int) -> Any:
        """Node i's value: a column of N numbers, or a float if it is the same for all."""
        if i in self.vals:
            return self.vals[i]
        if i in self.program.member:
            h, k = self.program.member[i]
            self.vals[i] = self.mats[h][:, k]
            return self.vals[i]
        return self.scalars[i]

    def forward(self) -> Any:
        """Evaluate every step; returns the root's N values."""
        graph = self.program.graph
        for step in self.program.steps:
            if isinstance(step, int):
                forward = graph.ops[step].array_forward  # type: ignore[union-attr]
                out = self.vals[step] = forward(  # type: ignore[misc]  # Tape checked it
                    *(self.value(j) for j in graph.parents[step]))
                self.total = self.total + self.xp.sum(out)
                continue
            h, grp = step
            if isinstance(grp, Affine):
                out = self.xp.matmul(self._u(grp), self._table(grp.weights))
                if any(c != graph.zero for c in grp.intercepts):
                    out = out + self._table((grp.intercepts,))
            else:
                out = grp.op.array_forward(self.mats[grp.source])  # type: ignore[misc]
            self.mats[h] = out
            self.total = self.total + self.xp.sum(out)
        return self.output()

    def output(self) -> Any:
        """The root's N values (a copy, in the batch's library)."""
        root = len(self.program.nodes) - 1
        if not self.program.graph.batched[root]:
            return self.xp.full((self.n,), self.scalars[root], **self.like)
        return self.xp.asarray(self.value(root), copy=True)

    def _table(self, codes: tuple[tuple[int, ...], ...]) -> Any:
        """A matrix of floats given by node codes, as an array of the batch's library."""
        return self.xp.asarray(self.codes[np.asarray(codes)], **self.like)

    def _u(self, step: Affine) -> Any:
        """The matrix whose columns are the group's inputs."""
        if step.source is not None:
            return self.mats[step.source]
        if step.columns is not None:
            first, last = step.columns[0], step.columns[-1]
            if step.columns == tuple(range(first, last + 1)):
                return self.batch[:, first:last + 1]
            index = self.xp.asarray(step.columns, device=self.like["device"])
            return self.xp.take(self.batch, index, axis=1)
        return self.xp.stack([self.value(u) for u in step.inputs], axis=1)

    def backward(self, partials: list[tuple[int, Any]] | None = None) -> Any:
        """Σ_i ∂R_i/∂θ for every parameter θ, as one vector of the batch's library.

        Args:
            partials: If given, every array of local partials computed is appended to it
                with its node (to find a non-finite one).
        """
        graph, program = self.program.graph, self.program
        self.col: dict[int, Any] = {}  # per-example gradients of nodes and group members
        self.sum: dict[int, Any] = {}  # summed gradients of the nodes that are floats
        self.mat: dict[int, Any] = {}  # per-example gradients of whole groups
        self.blocks: dict[tuple[int, bool], Any] = {}
        root = len(program.nodes) - 1
        if graph.batched[root]:
            self.col[root] = self.xp.ones((self.n,), **self.like)
        else:
            self.sum[root] = float(self.n)
        for step in reversed(program.steps):
            if isinstance(step, int):
                self._node_back(step, partials)
            else:
                self._group_back(*step)
        for i in reversed(program.computed):
            g = self.sum.pop(i, None)
            if g is not None:
                xs = [self.scalars[j] for j in graph.parents[i]]
                for j, flow in zip(graph.parents[i], chain_rule_step(
                        graph.ops[i], xs, self.scalars[i], g), strict=True):  # type: ignore[arg-type]
                    if flow is not None and program.need[j]:
                        self.sum[j] = self.sum.get(j, 0.0) + flow[1]
        return self._gather()

    def _add(self, j: int, flow: Any) -> None:
        """Add a per-example gradient contribution to node j (summed if j is a float)."""
        if self.program.graph.batched[j]:
            self.col[j] = flow if j not in self.col else self.col[j] + flow
        else:
            self.sum[j] = self.sum.get(j, 0.0) + self.xp.sum(flow)

    def _node_back(self, i: int, partials: list[tuple[int, Any]] | None) -> None:
        g = self.col.pop(i, None)
        if g is None:
            return
        parents = self.program.graph.parents[i]
        xs = [self.value(j) for j in parents]
        step = chain_rule_step(self.program.graph.ops[i], xs,  # type: ignore[arg-type]
                               self.vals[i], g)
        for j, flow in zip(parents, step, strict=True):
            if flow is not None:
                if partials is not None:
                    partials.append((i, flow[0]))
                if self.program.need[j]:
                    self._add(j, flow[1])

    def _group_back(self, h: int, grp: Group) -> None:
        """The chain rule through a fused group, on whole matrices."""
        xp, program = self.xp, self.program
        g = self._group_grad(h, grp)
        if g is None:
            return
        if isinstance(grp, Map):
            flow = chain_rule_step(grp.op, [self.mats[grp.source]], self.mats[h], g)[0]
            if flow is not None and any(program.need[m] for m in grp.members):
                src = grp.source
                self.mat[src] = flow[1] if src not in self.mat else self.mat[src] + flow[1]
            return
        if (h, True) in program.wanted:
            weights = self.blocks[(h, True)] = xp.matmul(xp.matrix_transpose(self._u(grp)), g)
            for w, j, k in program.passed[(h, True)]:  # computed weights pass their sums on
                self.sum[w] = self.sum.get(w, 0.0) + weights[j, k]
        if (h, False) in program.wanted:
            sums = self.blocks[(h, False)] = xp.sum(g, axis=0)
            for c, _, k in program.passed[(h, False)]:
                self.sum[c] = self.sum.get(c, 0.0) + sums[k]
        if any(program.need[u] for u in grp.inputs):
            back = xp.matmul(g, xp.matrix_transpose(self._table(grp.weights)))
            if grp.source is not None:
                src = grp.source
                self.mat[src] = back if src not in self.mat else self.mat[src] + back
            else:
                for j, u in enumerate(grp.inputs):
                    if program.need[u]:
                        self._add(u, back[:, j])

    def _group_grad(self, h: int, grp: Group) -> Any:
        """The per-example gradient of group h's members as a matrix (None if none came)."""
        g = self.mat.pop(h, None)
        cols = [self.col.pop(m, None) for m in grp.members]
        if any(c is not None for c in cols):
            zero = self.xp.zeros((self.n,), **self.like)
            c = self.xp.stack([zero if c is None else c for c in cols], axis=1)
            g = c if g is None else g + c
        return g

    def _gather(self) -> Any:
        """Each parameter's summed gradient, gathered from the blocks and sums into a vector."""
        xp, program = self.xp, self.program
        parts = []
        for h, block in program.blocks:
            grp = program.groups[h]
            size = len(grp.members) * (len(grp.inputs) if block else 1)  # type: ignore[union-attr]
            got = self.blocks.get((h, block))
            parts.append(xp.zeros((size,), **self.like) if got is None else
                         xp.reshape(got, (-1,)))
        if program.scalar_params:
            parts.append(xp.stack([xp.asarray(self.sum.get(p, 0.0), **self.like)
                                   for p in program.scalar_params]))
        parts.append(xp.zeros((1,), **self.like))
        flat = xp.concat(parts)
        gather = program.gather
        out = xp.zeros((len(program.params),), **self.like)
        for r in range(gather.shape[0]):
            out = out + xp.take(flat, xp.asarray(gather[r], device=self.like["device"]))
        return out

