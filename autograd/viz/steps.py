"""The backward pass replayed one chain-rule product at a time, as a list of :class:`Frame`.

Each step passes the gradient of one node to one of its parents,
``∂L/∂p += ∂L/∂node · ∂node/∂p``, in the order :func:`autograd.graph.backward` visits the
nodes (reverse topological order). The local derivative ∂node/∂p is written as the op's
own (``tanh′(n)``, ``∂(w × x)/∂w``), never like a gradient of L, so the two cannot be
confused. The gradients are computed here from the op table; the Values' own ``.grad`` are
not changed. Where ``backward()`` would refuse (a local derivative infinite or undefined, a
product overflowing), the replay ends with that refusal instead of infinities.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from autograd.graph import chain_rule_step
from autograd.ops import Op
from autograd.value import Value
from autograd.viz.dot import Graph, Layout, digraph, layout
from autograd.viz.notes import Note
from autograd.viz.text import grad_cell, grouped, number

FRAMES_MAX_NODES = 200
"""Largest graph :func:`backward_frames` steps through unless told otherwise."""

KNOWN_COLOR = "#bbf7d0"     # a node whose gradient is known
CURRENT_COLOR = "#fdba74"   # the node whose gradient is being passed back
TARGET_COLOR = "#fde047"    # the parent receiving that gradient
UNKNOWN_GRAD = "grad ?"
START_RULE = "the root's gradient with respect to itself is 1"


class Step(NamedTuple):
    """One chain-rule product: ``node`` passes ``g · d`` of its gradient to ``parent``.

    At the start ``parent`` and ``k`` (the parent's place among the node's operands) are
    None and the root's gradient is 1.
    """

    node: int
    parent: int | None
    k: int | None
    local: str             # ∂node/∂parent as the op's own: "tanh′(n)"
    g: float               # ∂root/∂node
    d: float               # ∂node/∂parent
    before: float | None   # the parent's gradient before this step (None: first share)
    value: float           # the receiving node's gradient after this step
    done: bool             # the step completes that gradient (its last share)
    rule: str              # the op's derivative rule

    @property
    def receiver(self) -> int:
        """The node whose gradient this step sets."""
        return self.node if self.parent is None else self.parent

    @property
    def share(self) -> float:
        """The product ∂root/∂node · ∂node/∂parent this step adds."""
        return self.g * self.d

    @property
    def edges(self) -> tuple[str, ...]:
        """Ids of the edges the gradient flows along (op → node, k-th parent → op)."""
        return _edges(self.node, self.k)


class Refusal(NamedTuple):
    """Where the backward pass refuses: the node (and the operand) and why."""

    node: int
    parent: int | None
    k: int | None
    text: str
    rule: str

    @property
    def edges(self) -> tuple[str, ...]:
        """Ids of the edges of the refused product (none if the op itself refused)."""
        return _edges(self.node, self.k)


def _edges(node: int, k: int | None) -> tuple[str, ...]:
    return () if k is None else (f"e{node}", f"e{node}_{k}")


class Replay(NamedTuple):
    """The steps of a backward pass; ``refusal`` says where it stopped (None: it did not)."""

    steps: list[Step]
    refusal: Refusal | None


def local_derivative(op: Op, operands: Sequence[str], k: int) -> str:
    """∂out/∂(operand k) written as the op's own: ``tanh′(n)``, ``∂(w × x)/∂w``.

    Built from the op's row, so any declared op reads the same way: one operand gives
    ``symbol′(x)`` (the symbol if it is a word, such as ``σ`` or ``my_tanh``, else the
    op's name: ``sqrt′(x)``); an operator (``+``, ``×``) gives ``∂(a + b)/∂a``; any other
    op ``∂fma(a, b, c)/∂b``.
    """
    symbol = op.symbol
    word = symbol if all(c.isalnum() or c == "_" for c in symbol) else (op.call or op.name)
    if len(operands) == 1:
        return f"{word}′({operands[0]})"
    shown = [grouped(name) for name in operands]
    if len(shown) > 4:
        shown = [shown[0], shown[1], "…", shown[-1]]
    written = ("(" + f" {symbol} ".join(shown) + ")" if op.call is None
               else f"{word}({', '.join(shown)})")
    return f"∂{written}/∂{grouped(operands[k])}"


def replay(plan: Layout) -> Replay:
    """The backward pass over ``plan``, one chain-rule product at a time; constants get none.

    Each product comes from :func:`autograd.graph.chain_rule_step`, the step the engine's
    own backward pass takes.
    """
    order, names = plan.order, plan.names
    last = len(order) - 1
    grads: dict[int, float] = {last: 1.0}
    result = [Step(last, None, None, "", 1.0, 1.0, None, 1.0, True, START_RULE)]
    refusal = None
    for i in range(last, -1, -1):
        node, op = order[i], order[i].op
        if op is None:  # a leaf
            continue
        g, rule = grads.get(i, 0.0), f"{op.name}: {op.doc}"
        operands = [names[p] for p in plan.parents[i]]
        try:
            flows = chain_rule_step(op, [p.data for p in node.parents], node.data, g)
        except (ArithmeticError, ValueError) as err:  # the op's own message
            refusal = Refusal(i, None, None, f"backward() refuses at {grouped(names[i])}: {err}",
                              rule)
            break
        for k, (p, flow) in enumerate(zip(plan.parents[i], flows, strict=True)):
            if flow is None or plan.roles[p] == "constant":
                continue
            d, share = flow
            local, before = local_derivative(op, operands, k), grads.get(p)
            value = (before or 0.0) + share
            if not (math.isfinite(d) and math.isfinite(share) and math.isfinite(value)):
                at = f"{grouped(names[p])} = {number(order[p].data)}"
                text = _overflow(f"{grouped(names[i])}: {op.name}", local, at, g, d, before)
                refusal = Refusal(i, p, k, text, rule)
                break
            grads[p] = value
            result.append(Step(i, p, k, local, g, d, before, value, False, rule))
        if refusal is not None:
            break
    return Replay(_mark_done(plan, result, refusal), refusal)


def _overflow(where: str, local: str, at: str, g: float, d: float, before: float | None) -> str:
    """Why a product is refused: the local derivative, the product or the sum is not finite."""
    if not math.isfinite(d):
        why = f"the local derivative {local} at {at} is {number(d)}"
    elif before is None or not math.isfinite(g * d):
        why = f"the product {number(g)} · {local} = {number(g)} · {number(d)} overflows a float"
    else:
        why = f"the sum so far {number(before)} + {number(g * d)} overflows a float"
    return f"backward() refuses at {where}: {why}"


def _mark_done(plan: Layout, result: list[Step], refusal: Refusal | None) -> list[Step]:
    """Mark each gradient's last share, if every node using it was processed before."""
    first_use = dict.fromkeys(range(len(plan.order)), len(plan.order))
    for i, parents in enumerate(plan.parents):
        for p in parents:
            first_use[p] = min(first_use[p], i)
    stopped = -1 if refusal is None else refusal.node
    last_step = {s.receiver: n for n, s in enumerate(result)}
    return [s._replace(done=last_step[s.receiver] == n and (s.parent is None
                                                            or first_use[s.receiver] > stopped))
            for n, s in enumerate(result)]


def formula(s: Step, names: Sequence[str]) -> str:
    """The step without its numbers: ``∂o/∂n += ∂o/∂o · tanh′(n)``."""
    top = grouped(names[-1])
    if s.parent is None:
        return f"start: ∂{top}/∂{top} = 1"
    return f"∂{top}/∂{grouped(names[s.parent])} += ∂{top}/∂{grouped(names[s.node])} · {s.local}"


def step_text(s: Step, names: Sequence[str]) -> str:
    """The step with its numbers: ``∂o/∂n += ∂o/∂o · tanh′(n) = 1 · 0.501 = 0.501``."""
    if s.parent is None:
        return formula(s, names)
    text = f"{formula(s, names)} = {number(s.g)} · {number(s.d)} = {number(s.share)}"
    if s.before is not None:
        text += f"; so far {number(s.before)} + {number(s.share)} = {number(s.value)}"
    return text


def note_line(s: Step, plan: Layout) -> str:
    """The note on the node this step completes, with both values ("" if none)."""
    note = plan.notes[s.receiver]
    return note.line(s.value) if s.done and note is not None else ""


class Question(NamedTuple):
    """What an exercise asks at a step that completes a gradient.

    Attributes:
        target: The gradient asked for: ``∂Rᵢ/∂x``.
        prompt: The gradient as the sum of its chain-rule products, without numbers.
        exact: The gradient.
        shown: The same sum from the numbers the page shows (4 significant digits), or
            None where it cannot be evaluated.
        products: The products with their numbers (and their sum), for a wrong answer.
    """

    target: str
    prompt: str
    exact: float
    shown: float | None
    products: list[str]


def question(plan: Layout, sequence: Sequence[Step], n: int) -> Question:
    """The question for step ``n``, which completes the gradient of a node that is not the root."""
    p = sequence[n].receiver
    shares = [s for s in sequence[: n + 1] if s.parent == p]
    top, names = grouped(plan.names[-1]), plan.names
    terms = [f"∂{top}/∂{grouped(names[s.node])} · {s.local}" for s in shares]
    products = [f"{term} = {number(s.g)} · {number(s.d)} = {number(s.share)}"
                for term, s in zip(terms, shares, strict=True)]
    if len(shares) > 1:
        products.append(f"sum: {' + '.join(number(s.share) for s in shares)} = "
                        f"{number(sequence[n].value)}")
    target = f"∂{top}/∂{grouped(names[p])}"
    return Question(target, f"{target} = {' + '.join(terms)}", sequence[n].value,
                    _from_shown_numbers(plan, shares), products)


def _from_shown_numbers(plan: Layout, shares: Sequence[Step]) -> float | None:
    """Σ g · d computed from the 4-digit numbers a page shows, as a student would."""
    def shown(x: float) -> float:
        return float(number(x))

    total = 0.0
    for s in shares:
        node, k = plan.order[s.node], s.k or 0
        op, xs = cast(Op, node.op), [shown(p.data) for p in node.parents]  # a step's node has one
        try:
            flow = chain_rule_step(op, xs, shown(node.data), shown(s.g))[k]
        except (ArithmeticError, ValueError):  # the rounded inputs left the op's domain
            return None
        if flow is None:
            return None
        total += flow[1]
    return total if math.isfinite(total) else None


@dataclass(repr=False)
class Frame:
    """One step of the backward pass; Jupyter shows its drawing, captioned with its text.

    Attributes:
        step: Position in the sequence (0 is the start: ∂root/∂root = 1).
        node: Position (in topological order) of the node whose gradient is passed back.
        parent: Position of the parent receiving a share of it (None at step 0).
        edges: Ids of the highlighted edges (``e{node}_{k}``: k-th parent → op;
            ``e{node}``: op → node).
        text: The chain-rule product of this step, with its numbers; or, on a last
            frame where the backward pass refuses, the refusal (the op and the value).
        rule: The op's derivative rule, from the op table.
        grads: The gradients known after this step, by topological position.
        graph: The drawing of this step.
        note: The note on the node whose gradient this step completes, with the backward
            pass's value and the note's closed form ("" if none).
        refused: The backward pass refuses at this step (the last frame).
    """

    step: int
    node: int
    parent: int | None
    edges: tuple[str, ...]
    text: str
    rule: str
    grads: dict[int, float]
    graph: Graph
    note: str = ""
    refused: bool = False

    def __repr__(self) -> str:
        return f"<Frame step {self.step}: {self.text}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, str]:
        """The step's drawing, captioned with its text and rule (Jupyter's rich display)."""
        return self.graph._repr_mimebundle_(include, exclude)


def backward_frames(root: Value, *, rankdir: str = "LR", max_nodes: int = FRAMES_MAX_NODES,
                    parameters: Iterable[Value] | None = None,
                    program: str | None = None,
                    notes: Mapping[Value, Note] | None = None) -> list[Frame]:
    """The backward pass from ``root`` as a sequence of drawings, one per chain-rule step.

    A frame shows the gradients known so far (green), the node being processed (orange),
    the parent receiving the product (yellow) and the edges it flows along (red), under a
    caption with the step's product, the note on a node it completes, and the op's
    derivative rule. If ``backward()`` would refuse, the last frame shows the refusal.

    Args:
        root: The output Value.
        rankdir: Layout direction, as in :func:`~autograd.viz.to_dot`.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`~autograd.viz.to_dot`.
        program: The renderer that draws the frames, as in :func:`~autograd.viz.to_dot`.
        notes: Notes on nodes, as in :func:`~autograd.viz.to_dot`; each is also written
            at the step that completes its node's gradient.

    Returns:
        The frames, step 0 first.
    """
    plan = layout(root, max_nodes, parameters, notes)
    walk = replay(plan)
    frames: list[Frame] = []
    known: dict[int, float] = {}
    for n, s in enumerate(walk.steps):
        known[s.receiver] = s.value
        text, note = step_text(s, plan.names), note_line(s, plan)
        graph = _frame_graph(plan, known, s.node, s.parent, s.edges,
                             [f"step {n}: {text}", *filter(None, [note]), s.rule],
                             rankdir, program)
        frames.append(Frame(n, s.node, s.parent, s.edges, text, s.rule, dict(known), graph,
                            note))
    if walk.refusal is not None:
        r, n = walk.refusal, len(frames)
        graph = _frame_graph(plan, known, r.node, r.parent, r.edges,
                             [f"step {n}: {r.text}", r.rule], rankdir, program)
        frames.append(Frame(n, r.node, r.parent, r.edges, r.text, r.rule, dict(known), graph,
                            refused=True))
    return frames


def _frame_graph(plan: Layout, known: dict[int, float], node: int, parent: int | None,
                 edges: tuple[str, ...], title: list[str], rankdir: str,
                 program: str | None) -> Graph:
    """One frame's drawing: known gradients green, the node orange, the parent yellow."""
    fills = dict.fromkeys(known, KNOWN_COLOR)
    fills[node] = CURRENT_COLOR
    if parent is not None:
        fills[parent] = TARGET_COLOR
    grads = [grad_cell(known[i]) if i in known else UNKNOWN_GRAD
             for i in range(len(plan.order))]
    return digraph(plan, rankdir=rankdir, show_grad=True, grads=grads, fills=fills,
                   hot_edges=set(edges), title=title, program=program)
