"""Pictures of computation graphs: drawings, and the backward pass step by step.

* :mod:`.dot`: :func:`to_dot` turns the graph behind a Value into a :class:`Graph` (DOT
  text that Jupyter shows as SVG and PNG); :func:`render` writes it to a file.
* :mod:`.renderer`: finds ``dot`` or the pip-installed ``graphviz-pure`` and runs it,
  bounded in size and time; every failure is a :class:`RenderError`.
* :mod:`.notes`: :class:`Note`, what a node's gradient means and its closed-form value,
  kept beside the graph (a mapping node → Note) and passed to the functions below.
* :mod:`.steps`: :func:`backward_frames` replays the backward pass one chain-rule product
  at a time, as :class:`Frame` drawings.
* :mod:`.page`: :func:`backward_page` makes one self-contained web page that steps through
  those frames, or asks for each gradient as an exercise (shown inline in Jupyter);
  :func:`write_backward_html` saves it.
"""

from autograd.viz.dot import DEFAULT_MAX_NODES, ROLE_COLORS, Graph, render, to_dot
from autograd.viz.notes import Note
from autograd.viz.page import BackwardPage, backward_page, write_backward_html
from autograd.viz.renderer import (
    MAX_LAYOUT_COST,
    RendererNotFoundError,
    RenderError,
    RenderFailedError,
    RenderTimeoutError,
    RenderTooLargeError,
    find_renderer,
    layout_cost,
    run_renderer,
)
from autograd.viz.steps import FRAMES_MAX_NODES, Frame, backward_frames

__all__ = [
    "DEFAULT_MAX_NODES",
    "FRAMES_MAX_NODES",
    "MAX_LAYOUT_COST",
    "ROLE_COLORS",
    "BackwardPage",
    "Frame",
    "Graph",
    "Note",
    "RenderError",
    "RenderFailedError",
    "RenderTimeoutError",
    "RenderTooLargeError",
    "RendererNotFoundError",
    "backward_frames",
    "backward_page",
    "find_renderer",
    "layout_cost",
    "render",
    "run_renderer",
    "to_dot",
    "write_backward_html",
]
