"""The fused replay's plan: a traced graph's weighted sums, found once, run as matrix products.

A neuron's pre-activation ``b + Σ_j w_j u_j`` is, in the scalar graph, a left fold of ``add``
nodes over ``mul`` nodes: ``((b + w_0 u_0) + w_1 u_1) + …``. Replayed node by node it costs
two array operations per term. This module finds such sums in a tape and gathers them:

* :class:`Affine`: the sums that read the same per-example columns ``u_j`` (a layer's
  neurons: every one reads the layer's inputs) become one matrix product ``U W + b``,
  forward, and ``U^T G``, ``Σ_i G`` and ``G W^T`` backward;
* :class:`Map`: one unary op applied to every column of a group (the layer's activation)
  becomes that op on the whole matrix, through the op's own row (forward and partials).

Only the replay changes: the scalar graph, its drawings and the step page stay as recorded.
A sum is fused when its intermediate ``add`` and ``mul`` nodes are used by nothing else, its
weights and intercept do not depend on the example (parameters, constants), it has at least
two weighted terms ``w_j u_j``, and no column ``u_j`` twice. Anything else replays node by node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograd.ops import OPS, Op

__all__ = ["Affine", "Graph", "Group", "Map", "find_groups"]

ADD, MUL = OPS["add"], OPS["mul"]


@dataclass(frozen=True)
class Graph:
    """What the plan needs of a tape: nodes as indices in topological order.

    Attributes:
        ops: Each node's op (None for a leaf).
        parents: Each node's parents, as indices.
        batched: Whether each node depends on the example (an input, or computed from one).
        columns: The batch column of each input leaf.
        zero, one: The codes of the constant weights 0 and 1 (indices past the last node).
    """

    ops: Sequence[Op | None]
    parents: Sequence[tuple[int, ...]]
    batched: Sequence[bool]
    columns: dict[int, int]

    @property
    def zero(self) -> int:
        return len(self.ops)

    @property
    def one(self) -> int:
        return len(self.ops) + 1


@dataclass(frozen=True)
class Affine:
    """Sums ``c_k + Σ_j W[j][k] u_j`` evaluated as one matrix product.

    Attributes:
        members: The sums' top ``add`` nodes, one per column of the result.
        inputs: The per-example nodes ``u_j``, one per row of ``W`` (and column of ``U``).
        weights: ``W`` as node indices (:attr:`Graph.zero` where a sum lacks a term,
            :attr:`Graph.one` for a bare term ``u_j``).
        intercepts: Each sum's intercept node, or :attr:`Graph.zero`.
        source: The group whose result *is* ``U`` (its members are the inputs, in order).
        columns: The batch columns that are ``U`` when every input is an input leaf.
        absorbed: The intermediate nodes the product replaces (never evaluated).
    """

    members: tuple[int, ...]
    inputs: tuple[int, ...]
    weights: tuple[tuple[int, ...], ...]
    intercepts: tuple[int, ...]
    source: int | None
    columns: tuple[int, ...] | None
    absorbed: frozenset[int]


@dataclass(frozen=True)
class Map:
    """One unary op on every column of another group: ``members[k] = op(source member k)``."""

    members: tuple[int, ...]
    op: Op
    source: int


Group = Affine | Map


@dataclass
class _Sum:
    top: int
    terms: dict[int, int]  # u_j → its weight node (or Graph.one)
    intercept: int
    absorbed: list[int]


def find_groups(g: Graph) -> list[Group]:
    """The affine groups of ``g``'s weighted sums, then the maps over them (and over maps).

    Groups refer to earlier groups only (``source``), so they can run in list order.
    """
    consumers: list[list[int]] = [[] for _ in g.ops]
    for i, parents in enumerate(g.parents):
        for j in parents:
            consumers[j].append(i)
    layers: dict[frozenset[int], list[_Sum]] = {}
    for i in range(len(g.ops)):
        if _is_top(g, consumers, i) and (s := _weighted_sum(g, consumers, i)) is not None:
            layers.setdefault(frozenset(s.terms), []).append(s)
    members = [tuple(s.top for s in layer) for layer in layers.values()]
    maps: list[Map] = []
    for h, _ in enumerate(members):  # the list grows: maps are mapped over too
        for found in _maps(g, consumers, members[h], h):
            maps.append(found)
            members.append(found.members)
    return [*(_affine(g, members, layer) for layer in layers.values()), *maps]


def _is_top(g: Graph, consumers: list[list[int]], i: int) -> bool:
    """Whether node i is an ``add`` that no longer fold continues (``(i + t)``)."""
    if not (g.batched[i] and _is(g, i, ADD)):
        return False
    users = consumers[i]
    return not (len(users) == 1 and _is(g, users[0], ADD) and g.parents[users[0]][0] == i)


def _weighted_sum(g: Graph, consumers: list[list[int]], top: int) -> _Sum | None:
    """The left fold of adds ending at ``top`` as a weighted sum, or None if it is not one."""
    terms: list[int] = []
    absorbed: list[int] = []
    node = top
    while True:
        left, right = g.parents[node]
        terms.append(right)
        if (_is(g, left, ADD) and g.batched[left] and len(consumers[left]) == 1):
            absorbed.append(left)
            node = left
        else:
            terms.append(left)
            break
    weights: dict[int, int] = {}
    intercepts: list[int] = []
    for t in reversed(terms):
        u, w = _term(g, consumers, t)
        if u is None:
            intercepts.append(t)
            continue
        if u in weights:
            return None  # the same column twice: not a plain weighted sum
        weights[u] = w
        if w != g.one:
            absorbed.append(t)
    if sum(w != g.one for w in weights.values()) < 2 or len(intercepts) > 1:
        return None
    return _Sum(top, weights, intercepts[0] if intercepts else g.zero, absorbed)


def _term(g: Graph, consumers: list[list[int]], t: int) -> tuple[int | None, int]:
    """A summand as ``(u, w)``: ``w u`` with ``w`` per batch, a bare ``u`` (w = one), or
    ``(None, t)`` for a term that does not depend on the example (an intercept)."""
    if not g.batched[t]:
        return None, t
    if _is(g, t, MUL) and len(consumers[t]) == 1:
        a, b = g.parents[t]
        if g.batched[a] != g.batched[b]:
            return (a, b) if g.batched[a] else (b, a)
    return t, g.one


def _maps(g: Graph, consumers: list[list[int]], members: tuple[int, ...], h: int) -> list[Map]:
    """The unary ops applied to every member of group h (one Map per op)."""
    found: dict[int, list[int]] = {}  # by the op's identity: two ops may share a name
    for k, m in enumerate(members):
        for user in consumers[m]:
            op = g.ops[user]
            if op is not None and len(g.parents[user]) == 1:
                column = found.setdefault(id(op), [])
                if len(column) == k:  # the first such user of each member
                    column.append(user)
    return [Map(tuple(users), g.ops[users[0]], h)  # type: ignore[arg-type]
            for users in found.values() if len(users) == len(members)]


def _affine(g: Graph, members: list[tuple[int, ...]], layer: list[_Sum]) -> Affine:
    """One group for sums that read the same columns; ``U``'s column order decided here."""
    us = frozenset(layer[0].terms)
    source = next((h for h, group in enumerate(members) if frozenset(group) == us), None)
    columns = None
    if source is not None:
        inputs = members[source]
    elif all(u in g.columns for u in us):
        inputs = tuple(sorted(us, key=g.columns.__getitem__))
        columns = tuple(g.columns[u] for u in inputs)
    else:
        inputs = tuple(sorted(us))
    weights = tuple(tuple(s.terms[u] for s in layer) for u in inputs)
    absorbed = frozenset(n for s in layer for n in s.absorbed)
    return Affine(tuple(s.top for s in layer), inputs, weights,
                  tuple(s.intercept for s in layer), source, columns, absorbed)


def _is(g: Graph, i: int, row: Op) -> bool:
    """Whether node i was made by this very row (never another op that shares its name)."""
    return g.ops[i] is row

