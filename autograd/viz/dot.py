"""The computation graph behind a Value as DOT text, and the Graph object that draws it.

:func:`to_dot` makes one box per Value (``label | data | grad``), one small oval per
operation, and edges input → op → output. Node ids come from each Value's position in
:func:`~autograd.graph.topological_order` (``n0``, ``n1``, …), never from ``id()``, so the
same expression always gives the same DOT text. All graph walks are iterative.

Colours tell the roles apart: inputs (leaf Values) are blue, parameters (leaves of a Value
subclass such as ``nn.Parameter``) are pink, constants (numbers in the expression, such as
the ``2`` in ``x * 2``) are small grey boxes without a gradient, and the root has a thick
purple border.

Labels are shown as typed: characters that Graphviz reads as escapes or record syntax
(``\\``, ``{ } | < >``, ``&``) are escaped, and characters that cannot be printed (control
characters, NUL) are shown as Python escapes (``\\x00``, ``\\n``), never passed through.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd.atomic import write_atomically
from autograd.graph import topological_order
from autograd.text import visible
from autograd.value import Constant, Value
from autograd.viz.notes import Note, notes_by_position
from autograd.viz.renderer import TIMEOUT, RenderError, TooManyNodesError, run_renderer
from autograd.viz.text import grad_cell, number

DEFAULT_MAX_NODES = 1000
"""Largest graph :func:`to_dot` draws unless told otherwise (bigger ones are unreadable)."""

FONT = "Helvetica"
FONT_SIZE = 11
"""Points; the boxes' text (the step page keeps it legible, see ``page.html``)."""
SMALL_FONT_SIZE = 10
"""Points; the constants' small boxes, the smallest text drawn."""
ROLE_COLORS = {"input": "#dbeafe", "parameter": "#fbcfe8", "constant": "#f3f4f6",
               "interior": "#ffffff", "root": "#ede9fe"}
"""Fill colour of a box by the node's role in the graph."""
HOT_EDGE_COLOR = "#dc2626"
"""The edges a backward step's gradient flows along (the frames' DOT and the page's script)."""
Spacing = tuple[float, float]
SPACING: Spacing = (0.25, 0.35)
"""Inches between the nodes of a rank (``nodesep``) and between ranks (``ranksep``)."""
PICTURE_TYPES = {"image/svg+xml": "svg", "image/png": "png"}
"""What a Graph offers Jupyter: SVG, and PNG, which an untrusted notebook still shows."""


def escape_label(text: str, record: bool = False) -> str:
    """Escape text for a Graphviz label, so it shows literally.

    Backslashes are doubled (``\\N`` and ``\\G`` would name the node and the graph) and
    ``&`` becomes ``&amp;`` (Graphviz reads entities such as ``&lt;``); in a record label
    ``{ } | < >`` are escaped too, and spaces become no-break spaces (``dot`` 2.43 drops a
    space that follows a non-ASCII character in a record). Quotes are left to
    :mod:`graphviz`'s quoting.
    """
    text = text.replace("\\", "\\\\").replace("&", "&amp;")
    if record:
        for special in "{}|<>":
            text = text.replace(special, "\\" + special)
        text = text.replace(" ", "\N{NO-BREAK SPACE}")
    return text


class Graph(graphviz.Digraph):
    """A :class:`graphviz.Digraph` drawn by the renderer deltagrad finds (:mod:`.renderer`).

    The plain ``graphviz.Digraph`` only knows how to call ``dot``; this one also works where
    only the pip-installed ``graphviz-pure`` is available, in Jupyter (SVG and PNG) and
    through ``pipe``, ``render`` and ``view`` (micrograd's ``g.render("gout")``).

    Args:
        program: The renderer, as in :func:`~autograd.viz.renderer.find_renderer`
            (``None``: ``dot`` if installed, else ``graphviz-pure``).
        timeout: Seconds a renderer run may take.
        **kwargs: Passed to :class:`graphviz.Digraph`; the format defaults to ``"svg"``.
    """

    def __init__(self, *, program: str | None = None, timeout: float = TIMEOUT,
                 **kwargs: Any) -> None:
        kwargs.setdefault("format", "svg")
        super().__init__(**kwargs)
        self.program = program
        self.timeout = timeout

    def __repr__(self) -> str:
        return (f"<Graph {self.name}: {sum(line.count('->') for line in self.body)} edges, "
                "display it in Jupyter or call .render()>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, str]:
        """SVG and PNG (base64) for Jupyter, limited to ``include`` and not in ``exclude``.

        If the graph cannot be drawn, the notebook shows why (one line), not a traceback.
        """
        bundle = {}
        for mime, fmt in PICTURE_TYPES.items():
            if (include is None or mime in include) and (exclude is None or mime not in exclude):
                try:
                    picture = self.draw(fmt)
                except RenderError as e:
                    return {"text/plain": f"{self!r} could not be drawn: {e}"}
                bundle[mime] = (picture.decode("utf-8") if fmt == "svg"
                                else base64.b64encode(picture).decode("ascii"))
        return bundle

    def pipe(self, format: str | None = None, renderer: str | None = None,  # noqa: A002
             formatter: str | None = None, neato_no_op: bool | int | None = None,
             quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None) -> bytes | str:
        """The picture as bytes (as text if ``encoding`` is given), in ``format``.

        ``renderer``, ``formatter``, ``neato_no_op`` and an ``engine`` other than ``dot``
        are Graphviz options the pip renderer lacks, and are refused.
        """
        _refuse_options(renderer=renderer, formatter=formatter, neato_no_op=neato_no_op,
                        engine=engine)
        picture = self.draw(format or self.format)
        return picture if encoding is None else picture.decode(encoding)

    def draw(self, format: str = "svg") -> bytes:  # noqa: A002 (Graphviz's name)
        """The picture's bytes, drawn by this graph's renderer (``pipe`` without options).

        Raises:
            RenderError: drawing failed (see :func:`~autograd.viz.renderer.run_renderer`).
        """
        return run_renderer(self.source, format, program=self.program, timeout=self.timeout)

    def render(self, filename: str | os.PathLike[str] | None = None,
               directory: str | os.PathLike[str] | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None,  # noqa: A002
               renderer: str | None = None, formatter: str | None = None,
               neato_no_op: bool | int | None = None, quiet: bool = False,
               quiet_view: bool = False, *, outfile: str | os.PathLike[str] | None = None,
               engine: str | None = None, raise_if_result_exists: bool = False,
               overwrite_source: bool = False) -> str:
        """Save the DOT source and the picture, as :meth:`graphviz.Digraph.render` does.

        ``g.render("gout")`` writes ``gout`` (the source) and ``gout.svg``; ``outfile=
        "g.png"`` picks the picture's name and format; ``cleanup=True`` keeps no source.
        The picture is drawn before anything is written, and each file is written
        atomically, so a failure leaves no file behind.

        Returns:
            The picture's path.

        Raises:
            RenderError: drawing failed (see :func:`~autograd.viz.renderer.run_renderer`).
            FileExistsError: ``raise_if_result_exists`` and the picture exists.
            ValueError: the picture would overwrite the source, or an option is refused.
        """
        folder = Path(self.directory if directory is None else directory)
        if outfile is not None:
            out = folder / outfile
            format = format or out.suffix.lstrip(".").lower() or self.format  # noqa: A001
            source_path = folder / filename if filename is not None else out.with_suffix(".gv")
        else:
            format = format or self.format  # noqa: A001
            source_path = folder / (self.filename if filename is None else filename)
            out = source_path.with_name(f"{source_path.name}.{format}")
        if raise_if_result_exists and out.exists():
            raise FileExistsError(f"render: {os.fspath(out)!r} exists already")
        if out == source_path and not cleanup and not overwrite_source:
            raise ValueError(f"render: the picture {os.fspath(out)!r} would overwrite the "
                             "DOT source; pass another outfile, or cleanup=True")
        _refuse_options(renderer=renderer, formatter=formatter, neato_no_op=neato_no_op,
                        engine=engine)
        picture = self.draw(format)
        write_atomically(out, lambda fh: fh.write(picture))
        if not cleanup:
            write_atomically(source_path, lambda fh: fh.write(self.source.encode("utf-8")))
        if view or quiet_view:
            graphviz.view(out, quiet=quiet_view)
        return os.fspath(out)


def _refuse_options(**options: object) -> None:
    """Refuse Graphviz options that only the ``dot`` program's own plugins understand."""
    given = [f"{name}={value!r}" for name, value in options.items()
             if value is not None and not (name == "engine" and value == "dot")]
    if given:
        raise ValueError(f"deltagrad's Graph does not support {', '.join(given)}: it draws "
                         "with the dot layout and the renderer's own formats")


@dataclass
class Layout:
    """The parts of a graph that do not change while the backward pass runs."""

    order: list[Value]          # topological order, root last
    names: list[str]            # what the boxes and the step texts call each node
    roles: list[str]            # "input", "parameter", "constant", "interior" or "root"
    parents: list[list[int]]    # each node's parents, as positions in ``order``
    notes: list[Note | None]    # each node's note (:mod:`.notes`), kept beside the graph


def layout(root: Value, max_nodes: int, parameters: Iterable[Value] | None,
           notes: Mapping[Value, Note] | None = None) -> Layout:
    """Order the graph, check its size and decide each node's name, role and note.

    A constant is named by its label, or else by its number (the ``2`` of ``x ** 2``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise TooManyNodesError(
            f"the graph has {len(order)} nodes, more than max_nodes={max_nodes}; pass a larger "
            "max_nodes (--max-nodes on the command line) to draw it anyway (big pictures are "
            "hard to read: consider drawing a smaller piece of the expression)")
    position = {id(node): i for i, node in enumerate(order)}
    marked = {id(p) for p in parameters} if parameters is not None else None
    names, roles = [], []
    for i, node in enumerate(order):
        unnamed = number(node.data) if isinstance(node, Constant) else f"n{i}"
        names.append(visible(node.label) if node.label else unnamed)
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
    return Layout(order, names, roles, parents, notes_by_position(notes, order))


def digraph(plan: Layout, *, rankdir: str, show_grad: bool, grads: Sequence[str],
            fills: dict[int, str], hot_edges: set[str], title: Sequence[str],
            program: str | None, reveal: bool = True, spacing: Spacing = SPACING,
            stacked: bool = False) -> Graph:
    """Build the drawing; ``grads[i]`` is the text of node i's grad cell.

    Args:
        plan: The graph's layout.
        rankdir: Layout direction.
        show_grad: Draw the grad cells.
        grads: Each node's grad cell text.
        fills: Fill colours that replace a node's role colour.
        hot_edges: Ids of edges drawn thick and red.
        title: Lines of a caption drawn above the graph (none: no caption).
        program: The renderer the Graph will use.
        reveal: The notes' tooltips show their closed-form values (an exercise hides them).
        spacing: Inches between nodes of a rank and between ranks.
        stacked: A box's cells (label, data, grad) are stacked across the rank direction
            (narrow boxes) instead of lying in one row along it.
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    g = Graph(name="deltagrad", program=program)
    g.attr(rankdir=rankdir, fontname=FONT, nodesep=str(spacing[0]), ranksep=str(spacing[1]))
    g.attr("edge", color="#6b7280", arrowsize="0.6")
    if title:
        caption = "\\n".join(escape_label(visible(line)) for line in title)
        g.attr(label=graphviz.nohtml(caption), labelloc="t", fontsize="13")
    tips = [{} if note is None else {"tooltip": escape_label(visible(note.tip(reveal)))}
            for note in plan.notes]
    # Node attributes are set once per group (values, constants, ops) to keep the DOT short.
    g.attr("node", fontname=FONT, fontsize=str(FONT_SIZE), style="filled", height="0.3",
           shape="record", fillcolor=ROLE_COLORS["interior"])
    for i, node in enumerate(plan.order):
        role = plan.roles[i]
        if role == "constant":
            continue
        fields = [escape_label(plan.names[i], record=True), f"data {number(node.data)}"]
        if show_grad:
            fields.append(grads[i])
        label = " | ".join(fields)
        if (rankdir in ("LR", "RL")) != stacked:  # records flip their fields with the rankdir
            label = "{ " + label + " }"
        style = {"penwidth": "2.5", "color": "#7c3aed"} if role == "root" else {}
        fill = fills.get(i, ROLE_COLORS[role])
        if fill != ROLE_COLORS["interior"]:
            style["fillcolor"] = fill
        g.node(f"n{i}", label=graphviz.nohtml(label), id=f"n{i}", **style, **tips[i])
    g.attr("node", shape="box", fillcolor=ROLE_COLORS["constant"], color="#9ca3af",
           fontcolor="#4b5563", fontsize=str(SMALL_FONT_SIZE), margin="0.05,0.02",
           width="0.3")
    for i, node in enumerate(plan.order):
        if plan.roles[i] == "constant":
            text = number(node.data)
            if node.label:  # a named constant, such as an input x₁ the net was given
                text = f"{escape_label(plan.names[i])} = {text}"
            g.node(f"n{i}", label=graphviz.nohtml(text), id=f"n{i}", **tips[i])
    _op_nodes(g, plan, hot_edges)
    return g


def _op_nodes(g: Graph, plan: Layout, hot_edges: set[str]) -> None:
    """One oval per operation, and the edges operands → op → result."""
    g.attr("node", shape="ellipse", fillcolor="#f9fafb", color="black", fontcolor="black",
           fontsize="12", margin="0.04,0.02", width="0.35", height="0.25")
    for i, node in enumerate(plan.order):
        if node.op is None:  # a leaf
            continue
        g.node(f"n{i}op", label=node.op.symbol, id=f"n{i}op")
        for j, p in enumerate(plan.parents[i]):
            edge = f"e{i}_{j}"
            g.edge(f"n{p}", f"n{i}op", id=edge, **_edge_style(edge in hot_edges))
        edge = f"e{i}"
        g.edge(f"n{i}op", f"n{i}", id=edge, **_edge_style(edge in hot_edges))


def _edge_style(hot: bool) -> dict[str, str]:
    return {"color": HOT_EDGE_COLOR, "penwidth": "2.5"} if hot else {}


def to_dot(root: Value, *, rankdir: str = "LR", show_grad: bool = True,
           max_nodes: int = DEFAULT_MAX_NODES, parameters: Iterable[Value] | None = None,
           title: str | None = None, program: str | None = None,
           notes: Mapping[Value, Note] | None = None) -> Graph:
    """The computation graph behind ``root`` as a Graphviz drawing.

    Args:
        root: The output Value (usually after ``root.backward()``, so grads are set).
        rankdir: Layout direction: ``"LR"`` (left to right), ``"TB"``, ``"RL"``, ``"BT"``.
        show_grad: Show each Value's ``grad`` next to its data.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters; by default, leaves whose class is a
            subclass of Value (``nn.Parameter``) are parameters.
        title: A caption drawn above the graph.
        program: The renderer that draws it: ``None`` (``dot`` when installed, else
            ``graphviz-pure``), ``"dot"`` or ``"graphviz-pure"``.
        notes: :class:`~autograd.viz.Note` objects on some nodes (such as
            :meth:`nn.TwoLayerNet.notes`' δ and s): each shows as its node's tooltip, with
            its closed-form value. Nodes outside the graph are ignored.

    Returns:
        A :class:`Graph` (its ``.source`` is the DOT text; Jupyter displays it).

    Raises:
        TypeError: ``root`` is not a Value, or ``notes`` does not map Values to Notes.
        ValueError: the graph is larger than ``max_nodes``, or ``rankdir`` is unknown.
    """
    plan = layout(root, max_nodes, parameters, notes)
    grads = [grad_cell(node.grad) for node in plan.order]
    return digraph(plan, rankdir=rankdir, show_grad=show_grad, grads=grads, fills={},
                   hot_edges=set(), title=[title] if title else [], program=program)


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
        **options: Passed to :func:`to_dot` (``rankdir``, ``show_grad``, ``max_nodes``,
            ``program``, ``notes``, …).

    Returns:
        The path written.

    Raises:
        RenderError: drawing failed (no renderer, graph too large for it, time limit,
            renderer error); the message says what to do.
        ValueError: ``format`` contradicts the file's suffix (``"a.png"`` with ``"svg"``).
    """
    data = to_dot(root, **options).draw(picture_format(path, format))
    return write_atomically(path, lambda fh: fh.write(data))


def picture_format(path: str | os.PathLike[str], format: str | None = None) -> str:  # noqa: A002
    """The format a picture written to ``path`` takes, as :func:`render` decides it.

    Args:
        path: The picture's file name.
        format: The format asked for, or None: the file's suffix (``graph.png`` → png),
            and svg when there is none.

    Raises:
        ValueError: ``format`` contradicts the file's suffix (``"a.png"`` with ``"svg"``).
    """
    suffix = Path(path).suffix.lstrip(".").lower()
    if format is None:
        return suffix or "svg"
    if suffix and suffix != format.lower():
        raise ValueError(f"the file name {os.fspath(path)!r} says {suffix}, but "
                         f"format={format!r}; make them agree")
    return format
