"""The backward pass as one self-contained web page, to save or to show inside a notebook.

The page's HTML, CSS and script live in ``page.html`` next to this file; the only thing
filled in is one JSON slot (the drawing, the steps, the colours). The graph is laid out
once; the script recolours it and fills in the gradients for each step of
:func:`~autograd.viz.steps.replay` (or, in an exercise, asks for them). The script declares
nothing global and its CSS is scoped to the page's own classes, so several pages can be
shown in one notebook. It takes the window's keys and keeps the step in the address only
when it is the top-level document it was written as (a saved file opened in a browser);
embedded in any other page (an iframe, or its HTML put into a notebook's output), it never
touches the address and takes keys only while it has the focus.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.atomic import write_atomically
from autograd.text import visible
from autograd.value import Value
from autograd.viz.dot import (
    HOT_EDGE_COLOR,
    SMALL_FONT_SIZE,
    SPACING,
    Layout,
    Spacing,
    digraph,
    layout,
)
from autograd.viz.notes import Note
from autograd.viz.steps import (
    CURRENT_COLOR,
    FRAMES_MAX_NODES,
    KNOWN_COLOR,
    TARGET_COLOR,
    UNKNOWN_GRAD,
    Step,
    formula,
    note_line,
    question,
    replay,
    step_text,
)
from autograd.viz.text import grad_cell, number

SLOT = '"DELTAGRAD_DATA"'
"""The one place in ``page.html`` that is filled in, with the page's JSON."""

MIN_LABEL_PX = 10
"""The page opens at a scale that keeps the graph's labels at least this tall (CSS px)."""

GRAPH_BOX = (1240.0, 600.0)
"""The page's graph box (CSS px) in a 1280 × 800 window (75 % of its height): the page's
layout is chosen to fit it."""

LEGIBLE = MIN_LABEL_PX / (SMALL_FONT_SIZE * 4 / 3)
"""The smallest scale that keeps all text (the smallest is the constants') this tall."""

TIGHT_SPACING: Spacing = (0.1, 0.25)
"""Node and rank separation (inches) of the page's narrow top-to-bottom layout."""

TOLERANCE = 1e-3
"""An exercise's answer is right within this relative difference (see :func:`backward_page`)."""


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


def backward_page(root: Value, *, rankdir: str | None = None,
                  max_nodes: int = FRAMES_MAX_NODES,
                  parameters: Iterable[Value] | None = None,
                  title: str = "Backward pass, step by step",
                  program: str | None = None, notes: Mapping[Value, Note] | None = None,
                  exercise: bool = False) -> BackwardPage:
    """The backward pass from ``root`` as a page that steps through it.

    Buttons and the ←/→ (Home/End) keys step back and forward; the graph scrolls, pans
    by dragging, and zooms with − / + / fit. Saved as a file, the address fragment
    ``#step=5`` opens step 5. In Jupyter the page shows inline (``display(page)`` or as
    a cell's last value); embedded anywhere, it takes keys only while it has the focus and
    never touches the address. If ``backward()`` would refuse, the last step says where
    and why.

    As an exercise (``exercise=True``) the gradients are hidden: at the step that completes
    a node's gradient the student types it (Enter checks it). An answer counts as right
    within :data:`TOLERANCE` (relative) of the exact value or of the value computed from
    the 4-digit numbers the page shows; a wrong one is answered with the chain-rule
    products that give the gradient, with their numbers. The page then goes on, and its
    last step shows the score. Malformed answers (``abc``, nothing) are not counted.

    Args:
        root: The output Value.
        rankdir: Layout direction, as in :func:`~autograd.viz.to_dot`; None chooses the
            direction and spacing per graph, for a 1280 × 800 window: the drawings' left to
            right layout when the whole graph fits at full size, else the one that shows
            the most of it without sideways scrolling, labels at least 10 px tall.
        max_nodes: Refuse graphs with more Values than this.
        parameters: Leaves to draw as parameters, as in :func:`~autograd.viz.to_dot`.
        title: The page's heading.
        program: The renderer, as in :func:`~autograd.viz.to_dot`.
        notes: Notes on nodes, as in :func:`~autograd.viz.to_dot` (tooltips); each is also
            written at the step that completes its node's gradient, its closed form beside
            the backward pass's value (in an exercise, once the gradient is answered).
        exercise: Hide the gradients and ask for them.

    Raises:
        TypeError: ``root`` is not a Value, or ``notes`` does not map Values to Notes.
        ValueError: the graph is larger than ``max_nodes``.
        RenderError: the graph could not be drawn; the message says what to do.
    """
    plan = layout(root, max_nodes, parameters, notes)
    walk = replay(plan)
    sequence = walk.steps
    # Lay the graph out with, in each grad cell, the longest text it will ever show.
    widest = dict.fromkeys(range(len(plan.order)), UNKNOWN_GRAD)
    for s in sequence:
        widest[s.receiver] = max(widest[s.receiver], grad_cell(s.value), key=len)
    svg, height = _drawing(plan, list(widest.values()), rankdir, program, not exercise)
    frames = [_frame(plan, sequence, n, exercise) for n in range(len(sequence))]
    if walk.refusal is not None:  # the last frame: where and why backward() refuses
        r = walk.refusal
        frames.append({"node": f"n{r.node}", "parent": None if r.parent is None else f"n{r.parent}",
                       "edges": list(r.edges), "grad": "", "text": r.text, "formula": r.text,
                       "rule": r.rule, "note": "", "hint": "", "ask": None, "refused": True})
    title = visible(title)
    data = {"title": title, "svg": svg, "frames": frames, "exercise": exercise,
            "tolerance": TOLERANCE,
            "graded": [f"n{i}" for i, r in enumerate(plan.roles) if r != "constant"],
            "font_pt": SMALL_FONT_SIZE, "min_label_px": MIN_LABEL_PX,
            "colors": {"known": KNOWN_COLOR, "current": CURRENT_COLOR, "target": TARGET_COLOR,
                       "edge": HOT_EDGE_COLOR, "unknown": UNKNOWN_GRAD}}
    # Inside <script>, "<" must never start a tag: JSON may write it as \u003c.
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e")
    template = resources.files("autograd.viz").joinpath("page.html").read_text(encoding="utf-8")
    page = template.replace(SLOT, text.replace("&", "\\u0026"))
    box = int(min(760.0, 230.0 + height + (140.0 if exercise else 0.0)))
    return BackwardPage(page, title, len(frames) - 1, box)


def _drawing(plan: Layout, grads: list[str], rankdir: str | None, program: str | None,
             reveal: bool) -> tuple[str, float]:
    """The page's SVG (without its prolog) and its height in px.

    Without a ``rankdir`` the layout is chosen for the graph box of a 1280 × 800 window
    (:data:`GRAPH_BOX`): left to right with each box's cells in a row, as the drawings
    are, when that shows the whole graph at full size; otherwise the one of that and a
    tighter top-to-bottom layout with narrow boxes that keeps the labels legible
    (:data:`MIN_LABEL_PX`) without scrolling sideways and shows the most of the graph.
    """
    options = [(rankdir or "LR", SPACING, False)]
    candidates: list[tuple[bool, float, int, str, float]] = []
    while options:
        direction, spacing, stacked = options.pop(0)
        graph = digraph(plan, rankdir=direction, show_grad=True, grads=grads, fills={},
                        hot_edges=set(), title=[], program=program, reveal=reveal,
                        spacing=spacing, stacked=stacked)
        svg = graph.draw("svg").decode("utf-8")
        svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype
        size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        width, height = (float(size[1]) * 4 / 3, float(size[2]) * 4 / 3) if size else (1, 1)
        across = min(1.0, GRAPH_BOX[0] / width)  # the scale that shows the whole width
        shown = min(across, GRAPH_BOX[1] / height)  # ... and the whole height
        candidates.append((across >= LEGIBLE, shown, -len(candidates), svg, height))
        if rankdir is None and len(candidates) == 1 and shown < 1.0:
            options.append(("TB", TIGHT_SPACING, True))
    *_, svg, height = max(candidates)
    return svg, height


def _frame(plan: Layout, sequence: list[Step], n: int, exercise: bool) -> dict[str, Any]:
    """What the page's script needs to show step ``n`` (and, in an exercise, to ask it)."""
    s = sequence[n]
    note = plan.notes[s.receiver] if s.done else None
    ask = None
    if exercise and s.done and s.parent is not None:
        q = question(plan, sequence, n)
        ask = {"target": q.target, "prompt": q.prompt, "exact": q.exact,
               "answer": number(q.exact), "shown": q.shown, "products": q.products}
    return {"node": f"n{s.node}", "parent": None if s.parent is None else f"n{s.parent}",
            "edges": list(s.edges), "grad": grad_cell(s.value),
            "text": step_text(s, plan.names), "formula": formula(s, plan.names),
            "rule": s.rule, "note": note_line(s, plan), "hint": note.text if note else "",
            "ask": ask, "refused": False}


def write_backward_html(root: Value, path: str | os.PathLike[str], *,
                        rankdir: str | None = None, max_nodes: int = FRAMES_MAX_NODES,
                        parameters: Iterable[Value] | None = None,
                        title: str = "Backward pass, step by step",
                        program: str | None = None,
                        notes: Mapping[Value, Note] | None = None,
                        exercise: bool = False) -> Path:
    """Write the page of :func:`backward_page` to ``path`` (atomically); return the path."""
    return backward_page(root, rankdir=rankdir, max_nodes=max_nodes, parameters=parameters,
                         title=title, program=program, notes=notes,
                         exercise=exercise).save(path)
