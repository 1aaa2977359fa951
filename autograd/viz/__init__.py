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

The renderer's part needs only the standard library; the rest (which needs the
:mod:`graphviz` package) is imported on first use, so that the command line can print
gradients, and say in one line what is missing, where graphviz is not installed.
"""

from importlib import import_module
from typing import Any

from autograd.viz.renderer import (
    MAX_LAYOUT_COST,
    RendererNotFoundError,
    RenderError,
    RenderFailedError,
    RenderTimeoutError,
    RenderTooLargeError,
    TooManyNodesError,
    find_renderer,
    layout_cost,
    output_formats,
    run_renderer,
)

_LAZY = {
    **dict.fromkeys(["DEFAULT_MAX_NODES", "ROLE_COLORS", "Graph", "render", "to_dot"],
                    "autograd.viz.dot"),
    **dict.fromkeys(["BackwardPage", "backward_page", "write_backward_html"],
                    "autograd.viz.page"),
    **dict.fromkeys(["FRAMES_MAX_NODES", "Frame", "backward_frames"], "autograd.viz.steps"),
    "Note": "autograd.viz.notes",
}


def __getattr__(name: str) -> Any:
    """Import the graphviz-based parts of the drawing API on first use."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autograd.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, including those not imported yet."""
    return sorted({*globals(), *__all__})


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
    "TooManyNodesError",
    "backward_frames",
    "backward_page",
    "find_renderer",
    "layout_cost",
    "output_formats",
    "render",
    "run_renderer",
    "to_dot",
    "write_backward_html",
]
