"""Pictures of computation graphs: DOT/SVG drawings and the backward pass step by step.

* :func:`to_dot` turns the graph behind a Value into a :class:`graphviz.Digraph`
  (it displays inline in Jupyter): one box per Value showing ``label | data | grad``,
  one small oval per operation, edges input → op → output.
* :func:`render` writes the drawing to a file (SVG by default) with the Graphviz
  ``dot`` program, or with the pip-installed ``graphviz-pure`` when ``dot`` is absent.
* :func:`backward_frames` replays the backward pass one chain-rule product at a time;
  :func:`write_backward_html` puts those frames in one self-contained web page
  with buttons (and arrow keys) to step through them.

Node ids come from each Value's position in :func:`~autograd.graph.topological_order`
(``n0``, ``n1``, …), never from ``id()``, so the same expression always gives the
same DOT text. All graph walks are iterative.

Colours tell the roles apart: inputs (leaf Values) are blue, parameters (leaves of a
Value subclass such as ``nn.Parameter``) are pink, constants (numbers in the expression,
such as the ``2`` in ``x * 2``) are small grey boxes without a gradient, and the root has
a thick purple border.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd.atomic import write_atomically
from autograd.graph import topological_order
from autograd.value import Constant, Value

DEFAULT_MAX_NODES = 1000
"""Largest graph :func:`to_dot` draws unless told otherwise (bigger ones are unreadable)."""

FRAMES_MAX_NODES = 200
"""Largest graph :func:`backward_frames` steps through unless told otherwise."""

FONT = "Helvetica"
ROLE_COLORS = {"input": "#dbeafe", "parameter": "#fbcfe8", "constant": "#f3f4f6",
               "interior": "#ffffff", "root": "#ede9fe"}
KNOWN_COLOR = "#bbf7d0"     # frames: a node whose gradient is known
CURRENT_COLOR = "#fdba74"   # frames: the node whose gradient is being passed back
TARGET_COLOR = "#fde047"    # frames: the parent receiving that gradient
EDGE_COLOR = "#dc2626"      # frames: the edges the gradient flows along
UNKNOWN_GRAD = "grad ?"


class RendererNotFoundError(RuntimeError):
    """Neither the Graphviz ``dot`` program nor ``graphviz-pure`` could be found."""


def _number(x: float | Value) -> str:
    """A compact ``%.4g`` form; ASCII only, so Graphviz sizes the boxes right.

    A grad may be a Value (after ``backward(create_graph=True)``): its data is shown.
    """
    return f"{(x.data if isinstance(x, Value) else x) + 0.0:.4g}"  # + 0.0: -0.0 shows as 0


def _escape_record(text: str) -> str:
    """Escape the characters that have a meaning inside a Graphviz record label."""
    for special in "\\{}|<>":
        text = text.replace(special, "\\" + special)
    return text


class Graph(graphviz.Digraph):
    """A :class:`graphviz.Digraph` that Jupyter displays with :func:`find_renderer`'s program.

    The plain ``graphviz.Digraph`` only knows how to call ``dot``; this one also
    works where only the pip-installed ``graphviz-pure`` is available.
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, str]:
        """The SVG drawing, for Jupyter's rich display."""
        return {"image/svg+xml": run_renderer(self.source, "svg").decode("utf-8")}


@dataclass
class _Layout:
    """The parts of a graph that do not change while the backward pass runs."""

    order: list[Value]          # topological order, root last
    names: list[str]            # what the boxes and the step texts call each node
    roles: list[str]            # "input", "parameter", "constant", "interior" or "root"
    parents: list[list[int]]    # each node's parents, as positions in ``order``


def _layout(root: Value, max_nodes: int, parameters: Iterable[Value] | None) -> _Layout:
    """Order the graph, check its size and decide each node's name and role."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(f"the graph has {len(order)} nodes, more than max_nodes={max_nodes}; "
                         "pass a larger max_nodes to draw it anyway (big pictures are hard "
                         "to read: consider drawing a smaller piece of the expression)")
    position = {id(node): i for i, node in enumerate(order)}
    marked = {id(p) for p in parameters} if parameters is not None else None
    names, roles = [], []
    for i, node in enumerate(order):
        names.append(node.label or f"n{i}")
        if node is root:
            role = "root"
        elif node.parents:
            role = "interior"
        elif isinstance(node, Constant):  # a number in the expression, like the 2 in x * 2
            role = "constant"
        elif id(node) in marked if marked is not None else type(node) is not Value:
            role = "parameter"
        else:
            role = "input"
        roles.append(role)
    parents = [[position[id(p)] for p in node.parents] for node in order]
    return _Layout(order, names, roles, parents)


def _digraph(layout: _Layout, *, rankdir: str, show_grad: bool, grads: Sequence[str],
             fills: dict[int, str], hot_edges: set[str], title: str | None) -> Graph:
    """Build the drawing; ``grads[i]`` is the text of node i's grad cell."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    horizontal = rankdir in ("LR", "RL")  # records stack their fields across the rank direction
    g = Graph(name="deltagrad")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35")
    g.attr("edge", color="#6b7280", arrowsize="0.6")
    if title:
        g.attr(label=graphviz.nohtml(title), labelloc="t", fontsize="13")
    # Node attributes are set once per group (values, constants, ops) to keep the DOT short.
    g.attr("node", fontname=FONT, fontsize="11", style="filled", height="0.3", shape="record",
           fillcolor=ROLE_COLORS["interior"])
    for i, node in enumerate(layout.order):
        role = layout.roles[i]
        if role == "constant":
            continue
        fields = [_escape_record(layout.names[i]), f"data {_number(node.data)}"]
        if show_grad:
            fields.append(grads[i])
        label = " | ".join(fields)
        if horizontal:
            label = "{ " + label + " }"
        style = {"penwidth": "2.5", "color": "#7c3aed"} if role == "root" else {}
        fill = fills.get(i, ROLE_COLORS[role])
        if fill != ROLE_COLORS["interior"]:
            style["fillcolor"] = fill
        g.node(f"n{i}", label=graphviz.nohtml(label), id=f"n{i}", **style)
    g.attr("node", shape="box", fillcolor=ROLE_COLORS["constant"], color="#9ca3af",
           fontcolor="#4b5563", fontsize="10", margin="0.05,0.02", width="0.3")
    for i, node in enumerate(layout.order):
        if layout.roles[i] == "constant":
            g.node(f"n{i}", label=_number(node.data), id=f"n{i}")
    g.attr("node", shape="ellipse", fillcolor="#f9fafb", color="black", fontcolor="black",
           fontsize="12", margin="0.04,0.02", width="0.35", height="0.25")
    for i, node in enumerate(layout.order):
        if not node.parents:
            continue
        g.node(f"n{i}op", label=node.op.symbol, id=f"n{i}op")
        for j, p in enumerate(layout.parents[i]):
            edge = f"e{i}_{j}"
            g.edge(f"n{p}", f"n{i}op", id=edge, **_edge_style(edge in hot_edges))
        edge = f"e{i}"
        g.edge(f"n{i}op", f"n{i}", id=edge, **_edge_style(edge in hot_edges))
    return g


def _edge_style(hot: bool) -> dict[str, str]:
    return {"color": EDGE_COLOR, "penwidth": "2.5"} if hot else {}


def to_dot(root: Value, *, rankdir: str = "LR", show_grad: bool = True,
           max_nodes: int = DEFAULT_MAX_NODES, parameters: Iterable[Value] | None = None,
           title: str | None = None) -> Graph:
    """The computation graph behind ``root`` as a Graphviz drawing.

    Args:
        root: The output Value (usually after ``root.backward()``, so grads are set).
        rankdir: Layout direction: ``"LR"`` (left to right), ``"TB"``, ``"RL"``, ``"BT"``.
        show_grad: Show each Value's ``grad`` next to its data.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters; by default, leaves whose class is a
            subclass of Value (``nn.Parameter``) are parameters.
        title: A caption drawn above the graph.

    Returns:
        A :class:`graphviz.Digraph` (its ``.source`` is the DOT text).

    Raises:
        TypeError: ``root`` is not a Value.
        ValueError: the graph is larger than ``max_nodes``, or ``rankdir`` is unknown.
    """
    layout = _layout(root, max_nodes, parameters)
    grads = [f"grad {_number(node.grad)}" for node in layout.order]
    return _digraph(layout, rankdir=rankdir, show_grad=show_grad, grads=grads, fills={},
                    hot_edges=set(), title=title)


def find_renderer() -> str:
    """The program that turns DOT text into pictures.

    ``dot`` from Graphviz when it is on PATH, else ``graphviz-pure`` installed next to
    the running Python (a virtual environment's ``bin``/``Scripts`` folder, found even
    when the environment is not activated), else ``graphviz-pure`` on PATH.

    Raises:
        RendererNotFoundError: neither is installed; the message says how to install one.
    """
    found = (shutil.which("dot")
             or shutil.which("graphviz-pure", path=str(Path(sys.executable).parent))
             or shutil.which("graphviz-pure"))
    if not found:
        raise RendererNotFoundError(
            "no Graphviz renderer found: install the pip one with "
            "`pip install 'deltagrad[render]'` (or `pip install graphviz-pure`) into "
            "the environment that runs Python, or the Graphviz package that provides "
            "`dot` (e.g. `apt-get install graphviz`, `brew install graphviz`)")
    return found


def run_renderer(source: str, format: str = "svg") -> bytes:  # noqa: A002 (Graphviz's name)
    """Lay out DOT text with :func:`find_renderer`'s program and return the picture's bytes.

    Raises:
        RendererNotFoundError: no renderer is installed.
        ValueError: ``format`` is not a plain format name such as ``svg`` or ``png``.
        RuntimeError: the renderer failed; the message includes what it printed.
    """
    if not format.isascii() or not format.isalnum():
        raise ValueError(f"format must be a name such as 'svg' or 'png', got {format!r}")
    program = find_renderer()
    done = subprocess.run([program, f"-T{format}", "-q"], input=source.encode("utf-8"),
                          capture_output=True, timeout=300, check=False)
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{Path(program).name} failed (exit {done.returncode}): {message}")
    return done.stdout


def render(root: Value, path: str | os.PathLike[str], format: str | None = None,  # noqa: A002
           **options: Any) -> Path:
    """Draw the graph behind ``root`` into a file.

    The file is written atomically: if drawing fails, no half-written file is left.

    Args:
        root: The output Value.
        path: Where to write the picture.
        format: ``"svg"``, ``"png"``, or any other format the renderer knows. By default
            it comes from the file's suffix (``graph.png`` → png), and is svg when there
            is none.
        **options: Passed to :func:`to_dot` (``rankdir``, ``show_grad``, ``max_nodes``, …).

    Returns:
        The path written.

    Raises:
        RendererNotFoundError: no renderer is installed.
        RuntimeError: the renderer failed (e.g. it cannot write that format).
        ValueError: ``format`` contradicts the file's suffix (``"a.png"`` with ``"svg"``).
    """
    suffix = Path(path).suffix.lstrip(".").lower()
    if format is None:
        format = suffix or "svg"  # noqa: A001
    elif suffix and suffix != format.lower():
        raise ValueError(f"render: the file name {os.fspath(path)!r} says {suffix}, "
                         f"but format={format!r}; make them agree")
    data = run_renderer(to_dot(root, **options).source, format)
    return write_atomically(path, lambda fh: fh.write(data))


@dataclass
class Frame:
    """One step of the backward pass.

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


def _steps(layout: _Layout) -> list[tuple[int, int | None, int | None, str, str, float]]:
    """The backward pass, one chain-rule product at a time.

    Each step is ``(node, parent, k, text, rule, new grad of parent)``; constants get
    no steps. Uses the same op table as :func:`autograd.graph.backward`.
    """
    order, names = layout.order, layout.names
    last = len(order) - 1
    top = names[last]
    grads: dict[int, float] = {last: 1.0}
    steps: list[tuple[int, int | None, int | None, str, str, float]] = [
        (last, None, None, f"start: ∂{top}/∂{top} = 1", "the root's gradient with respect "
         "to itself is 1", 1.0)]
    for i in range(last, -1, -1):
        node = order[i]
        if not node.parents:
            continue
        g = grads.get(i, 0.0)
        xs = [p.data for p in node.parents]
        partials = node.op.partials(xs, node.data)
        for k, (p, d) in enumerate(zip(layout.parents[i], partials, strict=False)):
            if layout.roles[p] == "constant":
                continue
            before = grads.get(p)
            grads[p] = (before or 0.0) + g * float(d)
            text = (f"∂{top}/∂{names[p]} += ∂{top}/∂{names[i]} · ∂{names[i]}/∂{names[p]} "
                    f"= {_number(g)} · {_number(d)} = {_number(g * float(d))}")
            if before is not None:
                text += f"; so far {_number(before)} + {_number(g * float(d))} = "\
                        f"{_number(grads[p])}"
            steps.append((i, p, k, text, f"{node.op.name}: {node.op.doc}", grads[p]))
    return steps


def backward_frames(root: Value, *, rankdir: str = "LR",
                    max_nodes: int = FRAMES_MAX_NODES,
                    parameters: Iterable[Value] | None = None) -> list[Frame]:
    """The backward pass from ``root`` as a sequence of drawings, one per chain-rule step.

    Nodes are visited in the order :func:`autograd.graph.backward` visits them
    (reverse topological order). Each step passes the gradient of one node to one of
    its parents: ``∂L/∂p += ∂L/∂node · ∂node/∂p``. A frame shows the gradients known
    so far (green), the node being processed (orange), the parent receiving the
    product (yellow) and the edges it flows along (red). The gradients are computed
    here from the op table; the Values' own ``.grad`` are not changed.

    Args:
        root: The output Value.
        rankdir: Layout direction, as in :func:`to_dot`.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`to_dot`.

    Returns:
        The frames, step 0 first.
    """
    layout = _layout(root, max_nodes, parameters)
    frames = []
    known: dict[int, float] = {}
    for step, (i, p, k, text, rule, value) in enumerate(_steps(layout)):
        known[i if p is None else p] = value
        edges = () if p is None else (f"e{i}", f"e{i}_{k}")
        fills = {n: KNOWN_COLOR for n in known}
        fills[i] = CURRENT_COLOR
        if p is not None:
            fills[p] = TARGET_COLOR
        grads = [f"grad {_number(known[n])}" if n in known else UNKNOWN_GRAD
                 for n in range(len(layout.order))]
        graph = _digraph(layout, rankdir=rankdir, show_grad=True, grads=grads, fills=fills,
                         hot_edges=set(edges), title=f"step {step}: {text}")
        frames.append(Frame(step, i, p, edges, text, rule, dict(known), graph))
    return frames


def write_backward_html(root: Value, path: str | os.PathLike[str], *, rankdir: str = "LR",
                        max_nodes: int = FRAMES_MAX_NODES,
                        parameters: Iterable[Value] | None = None,
                        title: str = "Backward pass, step by step") -> Path:
    """Write one self-contained web page that steps through the backward pass.

    The graph is laid out once; a small inline script recolours it and fills in the
    gradients for each step of :func:`backward_frames`. Buttons and the ←/→ keys
    step back and forward; the address fragment ``#step=5`` opens step 5. The page
    loads nothing from the network.

    Args:
        root: The output Value.
        path: Where to write the page (atomically).
        rankdir: Layout direction, as in :func:`to_dot`.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`to_dot`.
        title: The page's heading.

    Returns:
        The path written.
    """
    layout = _layout(root, max_nodes, parameters)
    steps = _steps(layout)
    # Lay the graph out with, in each grad cell, the longest text it will ever show.
    widest = {i: UNKNOWN_GRAD for i in range(len(layout.order))}
    for i, p, _k, _text, _rule, value in steps:
        n = i if p is None else p
        widest[n] = max(widest[n], f"grad {_number(value)}", key=len)
    graph = _digraph(layout, rankdir=rankdir, show_grad=True, grads=list(widest.values()),
                     fills={}, hot_edges=set(), title=None)
    svg = run_renderer(graph.source, "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype
    frames = [{"node": f"n{i}", "parent": None if p is None else f"n{p}",
               "edges": [] if p is None else [f"e{i}", f"e{i}_{k}"],
               "grad": f"grad {_number(value)}", "text": text, "rule": rule}
              for i, p, k, text, rule, value in steps]
    data = json.dumps({"frames": frames, "graded": [f"n{i}" for i, r in enumerate(layout.roles)
                                                    if r != "constant"],
                       "colors": {"known": KNOWN_COLOR, "current": CURRENT_COLOR,
                                  "target": TARGET_COLOR, "edge": EDGE_COLOR,
                                  "unknown": UNKNOWN_GRAD}})
    page = _PAGE.format(title=html.escape(title), svg=svg,
                        data=data.replace("<", "\\u003c"), last=len(frames) - 1,
                        known=KNOWN_COLOR, current=CURRENT_COLOR, target=TARGET_COLOR)
    return write_atomically(path, lambda fh: fh.write(page.encode("utf-8")))


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #111827; }}
  h1 {{ font-size: 1.3em; margin: 0 0 0.5em; }}
  #controls {{ display: flex; gap: 0.5em; align-items: center; margin-bottom: 0.6em; }}
  button {{ font-size: 1em; padding: 0.3em 0.9em; }}
  #counter {{ font-weight: bold; min-width: 8em; }}
  #text {{ font-size: 1.15em; font-family: Menlo, Consolas, monospace; margin: 0.3em 0; }}
  #rule {{ color: #4b5563; margin: 0.2em 0 1em; }}
  #graph svg {{ max-width: 100%; height: auto; }}
  .key span {{ display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #6b7280;
              vertical-align: middle; margin: 0 0.3em 0 1em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
  <button id="first" type="button">&laquo; first</button>
  <button id="prev" type="button">&#x25C0; back</button>
  <button id="next" type="button">next &#x25B6;</button>
  <button id="lastbtn" type="button">last &raquo;</button>
  <span id="counter"></span>
  <span class="key"><span style="background:{known}"></span>gradient known<span
    style="background:{current}"></span>passing its gradient back<span
    style="background:{target}"></span>receiving it</span>
</div>
<div id="text"></div>
<div id="rule"></div>
<div id="graph">
{svg}
</div>
<script>
"use strict";
const DATA = {data};
const LAST = {last};
let shown = -1;

function box(id) {{ return document.getElementById(id); }}
function outline(g) {{ return g.querySelector("polygon"); }}
function gradText(g) {{ const t = g.querySelectorAll("text"); return t[t.length - 1]; }}

const original = new Map();
for (const id of DATA.graded) {{ original.set(id, outline(box(id)).getAttribute("fill")); }}

function paintEdge(id, hot) {{
  const g = box(id);
  for (const part of g.querySelectorAll("path, polygon")) {{
    part.setAttribute("stroke", hot ? DATA.colors.edge : "#6b7280");
    if (part.tagName === "polygon") part.setAttribute("fill", hot ? DATA.colors.edge : "#6b7280");
    part.setAttribute("stroke-width", hot ? "2.5" : "1");
  }}
}}

function show(step) {{
  step = Math.max(0, Math.min(LAST, step));
  for (const [id, fill] of original) {{
    outline(box(id)).setAttribute("fill", fill);
    gradText(box(id)).textContent = DATA.colors.unknown;
  }}
  for (const g of document.querySelectorAll("g.edge")) paintEdge(g.id, false);
  for (let s = 0; s <= step; s++) {{
    const f = DATA.frames[s];
    const id = f.parent === null ? f.node : f.parent;
    gradText(box(id)).textContent = f.grad;
    outline(box(id)).setAttribute("fill", DATA.colors.known);
  }}
  const f = DATA.frames[step];
  outline(box(f.node)).setAttribute("fill", DATA.colors.current);
  if (f.parent !== null) outline(box(f.parent)).setAttribute("fill", DATA.colors.target);
  for (const e of f.edges) paintEdge(e, true);
  box("counter").textContent = "step " + step + " of " + LAST;
  box("text").textContent = f.text;
  box("rule").textContent = f.rule;
  box("prev").disabled = step === 0;
  box("first").disabled = step === 0;
  box("next").disabled = step === LAST;
  box("lastbtn").disabled = step === LAST;
  document.body.dataset.step = String(step);
  shown = step;
}}

function go(step) {{
  step = Math.max(0, Math.min(LAST, step));
  if (location.hash !== "#step=" + step) location.hash = "step=" + step;
  else show(step);
}}

function fromHash() {{
  const m = /^#step=(\\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : 0;
}}

box("first").addEventListener("click", () => go(0));
box("prev").addEventListener("click", () => go(shown - 1));
box("next").addEventListener("click", () => go(shown + 1));
box("lastbtn").addEventListener("click", () => go(LAST));
document.addEventListener("keydown", (event) => {{
  if (event.key === "ArrowRight") go(shown + 1);
  else if (event.key === "ArrowLeft") go(shown - 1);
  else if (event.key === "Home") go(0);
  else if (event.key === "End") go(LAST);
}});
window.addEventListener("hashchange", () => show(fromHash()));
show(fromHash());
</script>
</body>
</html>
"""
