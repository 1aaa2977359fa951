"""The backward pass as one self-contained web page, to save or to show inside a notebook.

The page's HTML, CSS and script live in ``page.html`` next to this file; the only thing
filled in is one JSON slot (the drawing, the steps, the colours). The graph is laid out
once; the script recolours it and fills in the gradients for each step of
:func:`~autograd.viz.steps.steps`. The script declares nothing global and its CSS is scoped
to the page's own classes, so several pages can be shown in one notebook; embedded, it never
touches the parent's address and takes keys only while it has the focus.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from autograd.atomic import write_atomically
from autograd.value import Value
from autograd.viz.dot import FONT_SIZE, HOT_EDGE_COLOR, digraph, grad_cell, layout, visible
from autograd.viz.steps import (
    CURRENT_COLOR,
    FRAMES_MAX_NODES,
    KNOWN_COLOR,
    TARGET_COLOR,
    UNKNOWN_GRAD,
    steps,
)

SLOT = '"DELTAGRAD_DATA"'
"""The one place in ``page.html`` that is filled in, with the page's JSON."""

MIN_LABEL_PX = 10
"""The page opens at a scale that keeps the graph's labels at least this tall (CSS px)."""


class BackwardPage:
    """The step-by-step backward page: ``.save(path)`` writes it, Jupyter shows it inline.

    Attributes:
        html: The whole page, one self-contained HTML document (no network).
        title: The page's heading.
        steps: The number of chain-rule steps after the start.
    """

    def __init__(self, page: str, title: str, steps: int, height: int) -> None:
        self.html = page
        self.title = title
        self.steps = steps
        self._height = height

    def __repr__(self) -> str:
        return f"<BackwardPage {self.title!r}: {self.steps} steps; .save(path) writes it>"

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe (scripts only: no access to the notebook)."""
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'sandbox="allow-scripts" title="{html.escape(self.title, quote=True)}" '
                f'style="width: 100%; height: {self._height}px; border: 1px solid #e5e7eb">'
                "</iframe>")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` atomically (a failure leaves no half-written file)."""
        return write_atomically(path, lambda fh: fh.write(self.html.encode("utf-8")))


def backward_page(root: Value, *, rankdir: str = "LR", max_nodes: int = FRAMES_MAX_NODES,
                  parameters: Iterable[Value] | None = None,
                  title: str = "Backward pass, step by step",
                  program: str | None = None) -> BackwardPage:
    """The backward pass from ``root`` as a page that steps through it.

    Buttons and the ←/→ (Home/End) keys step back and forward; the graph scrolls, pans
    by dragging, and zooms with − / + / fit. Saved as a file, the address fragment
    ``#step=5`` opens step 5. In Jupyter the page shows inline (``display(page)`` or as
    a cell's last value).

    Args:
        root: The output Value.
        rankdir: Layout direction, as in :func:`~autograd.viz.to_dot`.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`~autograd.viz.to_dot`.
        title: The page's heading.
        program: The renderer, as in :func:`~autograd.viz.to_dot`.

    Raises:
        TypeError: ``root`` is not a Value.
        ValueError: the graph is larger than ``max_nodes``.
        RenderError: the graph could not be drawn; the message says what to do.
    """
    plan = layout(root, max_nodes, parameters)
    sequence = steps(plan)
    # Lay the graph out with, in each grad cell, the longest text it will ever show.
    widest = dict.fromkeys(range(len(plan.order)), UNKNOWN_GRAD)
    for s in sequence:
        widest[s.receiver] = max(widest[s.receiver], grad_cell(s.value), key=len)
    graph = digraph(plan, rankdir=rankdir, show_grad=True, grads=list(widest.values()),
                    fills={}, hot_edges=set(), title=[], program=program)
    svg = graph.draw("svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype
    frames = [{"node": f"n{s.node}", "parent": None if s.parent is None else f"n{s.parent}",
               "edges": list(s.edges), "grad": grad_cell(s.value), "text": s.text,
               "rule": s.rule} for s in sequence]
    title = visible(title)
    data = {"title": title, "svg": svg, "frames": frames,
            "graded": [f"n{i}" for i, r in enumerate(plan.roles) if r != "constant"],
            "font_pt": FONT_SIZE, "min_label_px": MIN_LABEL_PX,
            "colors": {"known": KNOWN_COLOR, "current": CURRENT_COLOR, "target": TARGET_COLOR,
                       "edge": HOT_EDGE_COLOR, "unknown": UNKNOWN_GRAD}}
    # Inside <script>, "<" must never start a tag: JSON may write it as \u003c.
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e")
    template = resources.files("autograd.viz").joinpath("page.html").read_text(encoding="utf-8")
    page = template.replace(SLOT, text.replace("&", "\\u0026"))
    height = re.search(r'height="([\d.]+)pt"', svg)
    svg_px = float(height.group(1)) * 4 / 3 if height else 400.0
    return BackwardPage(page, title, len(sequence) - 1, int(min(760.0, 230.0 + svg_px)))


def write_backward_html(root: Value, path: str | os.PathLike[str], *, rankdir: str = "LR",
                        max_nodes: int = FRAMES_MAX_NODES,
                        parameters: Iterable[Value] | None = None,
                        title: str = "Backward pass, step by step",
                        program: str | None = None) -> Path:
    """Write the page of :func:`backward_page` to ``path`` (atomically); return the path."""
    return backward_page(root, rankdir=rankdir, max_nodes=max_nodes, parameters=parameters,
                         title=title, program=program).save(path)
