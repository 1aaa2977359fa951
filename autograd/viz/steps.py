"""The backward pass replayed one chain-rule product at a time, as a list of :class:`Frame`.

Each step passes the gradient of one node to one of its parents,
``∂L/∂p += ∂L/∂node · ∂node/∂p``, in the order :func:`autograd.graph.backward` visits the
nodes (reverse topological order). The gradients are computed here from the op table; the
Values' own ``.grad`` are not changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from autograd.graph import chain_rule_step
from autograd.value import Value
from autograd.viz.dot import Graph, Layout, digraph, grad_cell, layout, number

FRAMES_MAX_NODES = 200
"""Largest graph :func:`backward_frames` steps through unless told otherwise."""

KNOWN_COLOR = "#bbf7d0"     # a node whose gradient is known
CURRENT_COLOR = "#fdba74"   # the node whose gradient is being passed back
TARGET_COLOR = "#fde047"    # the parent receiving that gradient
UNKNOWN_GRAD = "grad ?"


class Step(NamedTuple):
    """One chain-rule product: ``node`` passes a share of its gradient to ``parent``.

    ``parent`` and ``k`` (the parent's place among the node's inputs) are None at the
    start; ``value`` is the gradient the receiving node (the root at the start) now has.
    """

    node: int
    parent: int | None
    k: int | None
    text: str
    rule: str
    value: float

    @property
    def receiver(self) -> int:
        """The node whose gradient this step sets."""
        return self.node if self.parent is None else self.parent

    @property
    def edges(self) -> tuple[str, ...]:
        """Ids of the edges the gradient flows along (op → node, k-th parent → op)."""
        return () if self.parent is None else (f"e{self.node}", f"e{self.node}_{self.k}")


def steps(plan: Layout) -> list[Step]:
    """The backward pass over ``plan``, one chain-rule product at a time; constants get none.

    Each product comes from :func:`autograd.graph.chain_rule_step`, the step the engine's
    own backward pass takes.
    """
    order, names = plan.order, plan.names
    last = len(order) - 1
    top = names[last]
    grads: dict[int, float] = {last: 1.0}
    result = [Step(last, None, None, f"start: ∂{top}/∂{top} = 1",
                   "the root's gradient with respect to itself is 1", 1.0)]
    for i in range(last, -1, -1):
        node, op = order[i], order[i].op
        if op is None:  # a leaf
            continue
        g = grads.get(i, 0.0)
        flows = chain_rule_step(op, [p.data for p in node.parents], node.data, g)
        for k, (p, flow) in enumerate(zip(plan.parents[i], flows, strict=True)):
            if flow is None or plan.roles[p] == "constant":
                continue
            d, share = flow
            before = grads.get(p)
            grads[p] = (before or 0.0) + share
            text = (f"∂{top}/∂{names[p]} += ∂{top}/∂{names[i]} · ∂{names[i]}/∂{names[p]} "
                    f"= {number(g)} · {number(d)} = {number(share)}")
            if before is not None:
                text += f"; so far {number(before)} + {number(share)} = {number(grads[p])}"
            result.append(Step(i, p, k, text, f"{op.name}: {op.doc}", grads[p]))
    return result


@dataclass(repr=False)
class Frame:
    """One step of the backward pass; Jupyter shows its drawing, captioned with its text.

    Attributes:
        step: Position in the sequence (0 is the start: ∂root/∂root = 1).
        node: Position (in topological order) of the node whose gradient is passed back.
        parent: Position of the parent receiving a share of it (None at step 0).
        edges: Ids of the highlighted edges (``e{node}_{k}``: k-th parent → op;
            ``e{node}``: op → node).
        text: The chain-rule product of this step, with its numbers.
        rule: The op's derivative rule, from the op table.
        grads: The gradients known after this step, by topological position.
        graph: The drawing of this step.
    """

    step: int
    node: int
    parent: int | None
    edges: tuple[str, ...]
    text: str
    rule: str
    grads: dict[int, float]
    graph: Graph

    def __repr__(self) -> str:
        return f"<Frame step {self.step}: {self.text}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, str]:
        """The step's drawing, captioned with its text and rule (Jupyter's rich display)."""
        return self.graph._repr_mimebundle_(include, exclude)


def backward_frames(root: Value, *, rankdir: str = "LR", max_nodes: int = FRAMES_MAX_NODES,
                    parameters: Iterable[Value] | None = None,
                    program: str | None = None) -> list[Frame]:
    """The backward pass from ``root`` as a sequence of drawings, one per chain-rule step.

    A frame shows the gradients known so far (green), the node being processed (orange),
    the parent receiving the product (yellow) and the edges it flows along (red), under a
    caption with the step's product and the op's derivative rule.

    Args:
        root: The output Value.
        rankdir: Layout direction, as in :func:`~autograd.viz.to_dot`.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`~autograd.viz.to_dot`.
        program: The renderer that draws the frames, as in :func:`~autograd.viz.to_dot`.

    Returns:
        The frames, step 0 first.
    """
    plan = layout(root, max_nodes, parameters)
    frames = []
    known: dict[int, float] = {}
    for n, s in enumerate(steps(plan)):
        known[s.receiver] = s.value
        fills = dict.fromkeys(known, KNOWN_COLOR)
        fills[s.node] = CURRENT_COLOR
        if s.parent is not None:
            fills[s.parent] = TARGET_COLOR
        grads = [grad_cell(known[i]) if i in known else UNKNOWN_GRAD
                 for i in range(len(plan.order))]
        graph = digraph(plan, rankdir=rankdir, show_grad=True, grads=grads, fills=fills,
                        hot_edges=set(s.edges), title=[f"step {n}: {s.text}", s.rule],
                        program=program)
        frames.append(Frame(n, s.node, s.parent, s.edges, s.text, s.rule, dict(known), graph))
    return frames
