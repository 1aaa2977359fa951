"""Finding and running the program that lays out DOT text, bounded in size and in time.

Two renderers are known: Graphviz's ``dot`` (fast, from the system's package manager) and
``graphviz-pure`` (from PyPI, installed by deltagrad's ``render`` extra). ``dot`` is used when
it is on PATH. ``graphviz-pure``'s layout time grows steeply on some graphs (a sum of 100
terms ``1*x`` with a shared ``x`` takes minutes), so graphs above :data:`PURE_MAX_EDGES`
edges are refused before it runs, with a message that says to install ``dot``. Every run has
a time limit. Every failure is a :class:`RenderError` whose message says what to do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PROGRAMS = ("dot", "graphviz-pure")
"""The renderers :func:`find_renderer` knows, in order of preference."""

TIMEOUT = 30.0
"""Seconds a renderer may run before it is stopped (:class:`RenderTimeoutError`)."""

PURE_MAX_EDGES = 400
"""Largest graph (in edges) given to ``graphviz-pure``. Measured on 2 shared cores: a sum
``1*x + 1*x + …`` of 60 terms (357 edges) takes 1.3 s, of 80 terms (477 edges) 6.8 s, of 100
terms over a minute; ``dot`` lays each out in well under a second."""

INSTALL_DOT = ("install Graphviz's `dot` program (e.g. `apt-get install graphviz`, "
               "`brew install graphviz`, or the installer from graphviz.org)")


class RenderError(RuntimeError):
    """A picture could not be drawn; the message says why and what to do about it."""


class RendererNotFoundError(RenderError):
    """Neither the Graphviz ``dot`` program nor ``graphviz-pure`` could be found."""


class RenderTooLargeError(RenderError):
    """The graph is too large for ``graphviz-pure`` to lay out in reasonable time."""


class RenderTimeoutError(RenderError):
    """The renderer did not finish within its time limit and was stopped."""


class RenderFailedError(RenderError):
    """The renderer could not be started, crashed, or reported an error."""


def find_renderer(program: str | None = None) -> str:
    """The path of the program that turns DOT text into pictures.

    Args:
        program: ``None`` picks ``dot`` when it is on PATH, else ``graphviz-pure``;
            ``"dot"`` or ``"graphviz-pure"`` asks for that one (to compare them, or to
            test the pip one where ``dot`` is installed). ``graphviz-pure`` is looked for
            next to the running Python first (a virtual environment's ``bin``/``Scripts``
            folder, found even when the environment is not activated), then on PATH.

    Raises:
        ValueError: ``program`` is not one of :data:`PROGRAMS`.
        RendererNotFoundError: the renderer is not installed; the message says how to
            install one.
    """
    if program is not None and program not in PROGRAMS:
        raise ValueError(f"program must be None, 'dot' or 'graphviz-pure', got {program!r}")
    found = None
    if program in (None, "dot"):
        found = shutil.which("dot")
    if not found and program in (None, "graphviz-pure"):
        found = (shutil.which("graphviz-pure", path=str(Path(sys.executable).parent))
                 or shutil.which("graphviz-pure"))
    if not found:
        wanted = "no Graphviz renderer" if program is None else f"the renderer {program!r} is not"
        raise RendererNotFoundError(
            f"{wanted} found: install the pip one with `pip install 'deltagrad[render]'` "
            "(or `pip install graphviz-pure`) into the environment that runs Python, or "
            "the Graphviz package that provides `dot` (e.g. `apt-get install graphviz`, "
            "`brew install graphviz`)")
    return found


def _edge_count(source: str) -> int:
    """The number of edges in DOT text (each ``->`` outside quoted labels)."""
    return sum(part.count("->") for part in source.split('"')[::2])


def run_renderer(source: str, format: str = "svg", *,  # noqa: A002 (Graphviz's name)
                 program: str | None = None, timeout: float = TIMEOUT) -> bytes:
    """Lay out DOT text and return the picture's bytes.

    Args:
        source: The DOT text.
        format: An output format the renderer knows (``"svg"``, ``"png"``, …).
        program: Which renderer, as in :func:`find_renderer`.
        timeout: Seconds the renderer may run.

    Raises:
        ValueError: ``format`` is not a plain name such as ``svg`` or ``png``.
        RendererNotFoundError: no renderer is installed.
        RenderTooLargeError: the graph is over :data:`PURE_MAX_EDGES` and only
            ``graphviz-pure`` would draw it.
        RenderTimeoutError: the renderer ran longer than ``timeout``.
        RenderFailedError: the renderer failed; the message includes what it printed.
    """
    if not format.isascii() or not format.isalnum():
        raise ValueError(f"format must be a name such as 'svg' or 'png', got {format!r}")
    path = find_renderer(program)
    name = Path(path).name
    edges = _edge_count(source)
    if name.startswith("graphviz-pure") and edges > PURE_MAX_EDGES:
        raise RenderTooLargeError(
            f"the graph has {edges} edges, too many for graphviz-pure (it takes minutes on "
            f"some graphs over {PURE_MAX_EDGES}); {INSTALL_DOT}, which lays out such "
            "graphs in well under a second, or draw a smaller piece of the expression")
    try:
        done = subprocess.run([path, f"-T{format}", "-q"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        hint = INSTALL_DOT if name != "dot" else "draw a smaller piece of the expression"
        raise RenderTimeoutError(f"{name} did not finish laying out the graph ({edges} edges) "
                                 f"within {timeout:g} s and was stopped; {hint}") from None
    except OSError as e:
        raise RenderFailedError(f"could not run {path}: {e.strerror or e}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()[:2000] or "no message"
        how = (f"was killed by signal {-done.returncode}" if done.returncode < 0
               else f"failed (exit {done.returncode})")
        raise RenderFailedError(f"{name} {how}: {message}")
    return done.stdout
