"""Finding and running the program that lays out DOT text, bounded in size and in time.

Two renderers are known: Graphviz's ``dot`` (from the system's package manager) and
``graphviz-pure`` (from PyPI, installed by deltagrad's ``render`` extra); ``dot`` is used
when it is on PATH. Both slow down steeply on tangled graphs, where an input is used in
many places far apart (``1*x + 1*x + …``: 60 terms take seconds, 100 terms minutes), so
the layout work is estimated first (:func:`layout_cost`) and graphs above
:data:`MAX_LAYOUT_COST` are refused at once. Every run also has a time limit. Every
failure is a :class:`RenderError` whose message says what to do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PROGRAMS = ("dot", "graphviz-pure")
"""The renderers :func:`find_renderer` knows, in order of preference."""

TIMEOUT = 30.0
"""Seconds a renderer may run before it is stopped (:class:`RenderTimeoutError`)."""

MAX_LAYOUT_COST = 3000
"""Largest :func:`layout_cost` either renderer is given. Measured on 2 shared cores (seconds,
``dot`` 2.43 / ``graphviz-pure`` 0.2.2): ``1*x + 1*x + …`` of 50 terms (cost 2898) 1.9 / 0.75,
of 60 terms (4078) 9.6 / 2.1, of 70 terms (5458) 16 / 7.3, of 100 terms (10,798) over 100 /
39; the lecture's R_i graph (cost 202) 0.05 / 0.34; a chain of 200 sums (1195) 0.14 / 0.16."""

class RenderError(RuntimeError):
    """A picture could not be drawn; the message says why and what to do about it."""


class RendererNotFoundError(RenderError):
    """Neither the Graphviz ``dot`` program nor ``graphviz-pure`` could be found."""


class RenderTooLargeError(RenderError):
    """The graph is too tangled to lay out in reasonable time (see :func:`layout_cost`)."""


class TooManyNodesError(RenderTooLargeError, ValueError):
    """The graph has more Values than ``max_nodes`` (also a ``ValueError``: that argument
    decides it; pass a larger one to draw the graph anyway)."""


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


def output_formats(program: str | None = None, timeout: float = TIMEOUT) -> list[str]:
    """The picture formats the renderer writes (``svg``, ``png``, …), as it lists them.

    The renderer itself is asked (``-T?``), so the answer fits the installed version and
    its plugins: ``dot`` often writes pdf, ``graphviz-pure`` does not.

    Args:
        program: Which renderer, as in :func:`find_renderer`.
        timeout: Seconds the renderer may take to answer.

    Raises:
        RendererNotFoundError: no renderer is installed.
        RenderFailedError: the renderer could not be run or did not list its formats.
    """
    path = find_renderer(program)
    try:
        done = subprocess.run([path, "-T?"], input=b"", capture_output=True, timeout=timeout,
                              check=False)
    except (subprocess.TimeoutExpired, OSError) as e:
        raise RenderFailedError(f"could not ask {path} for its formats: {e}") from None
    listed = re.search(r"Use one of:(.*)", done.stderr.decode("utf-8", "replace"))
    if listed is None:
        raise RenderFailedError(f"{Path(path).name} did not list its output formats (exit "
                                f"{done.returncode}): {done.stderr[:200]!r}")
    return listed.group(1).split()


_EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*->\s*("(?:[^"\\]|\\.)*"|[^\s"\[]+)',
                   re.MULTILINE)


def layout_cost(source: str) -> int:
    """An estimate of the work of a ``dot``-style layout: nodes plus the edges' rank spans.

    The layout ranks the nodes and threads a chain of virtual nodes along every edge that
    spans several ranks; their number, not the edge count, is what makes layouts slow
    (``1*x + 1*x + …`` draws an edge from ``x`` to every term, most of them long). Ranks
    are estimated as the layout would set them: each node one rank after its latest
    input, and each source one rank before its earliest consumer.

    Args:
        source: DOT text with one ``a -> b`` edge per line (as :mod:`graphviz` writes it).
    """
    edges = _EDGE.findall(source)
    inputs: dict[str, list[str]] = {}
    for a, b in edges:
        inputs.setdefault(a, [])
        inputs.setdefault(b, []).append(a)
    rank: dict[str, int] = {}
    for node in inputs:  # iterative longest path from the sources, sources at rank 0
        stack, path = [node], {node}
        while stack:
            top = stack[-1]
            todo = next((a for a in inputs[top] if a not in rank and a not in path), None)
            if todo is not None:  # descend into the first input not ranked (nor a cycle)
                stack.append(todo)
                path.add(todo)
                continue
            path.discard(stack.pop())
            rank[top] = max((rank.get(a, 0) + 1 for a in inputs[top]), default=0)
    first_use: dict[str, int] = {}
    for a, b in edges:
        first_use[a] = min(first_use.get(a, rank[b]), rank[b])
    for node, used in first_use.items():
        if not inputs[node]:
            rank[node] = used - 1
    return len(inputs) + sum(abs(rank[b] - rank[a]) for a, b in edges)


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
        RenderTooLargeError: the graph's :func:`layout_cost` is over :data:`MAX_LAYOUT_COST`.
        RenderTimeoutError: the renderer ran longer than ``timeout``.
        RenderFailedError: the renderer failed; the message includes what it printed.
    """
    if not format.isascii() or not format.isalnum():
        raise ValueError(f"format must be a name such as 'svg' or 'png', got {format!r}")
    path = find_renderer(program)
    name = Path(path).name
    cost = layout_cost(source)
    if cost > MAX_LAYOUT_COST:
        raise RenderTooLargeError(
            f"the graph is too tangled to lay out in reasonable time (estimated layout cost "
            f"{cost}, above {MAX_LAYOUT_COST}; values used in many places far apart make "
            "long edges, and both dot and graphviz-pure take minutes on such graphs): draw "
            "a smaller piece of the expression")
    try:
        done = subprocess.run([path, f"-T{format}", "-q"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderTimeoutError(f"{name} did not finish laying out the graph (layout cost "
                                 f"{cost}) within {timeout:g} s and was stopped; draw a "
                                 "smaller piece of the expression") from None
    except OSError as e:
        raise RenderFailedError(f"could not run {path}: {e.strerror or e}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()[:2000] or "no message"
        how = (f"was killed by signal {-done.returncode}" if done.returncode < 0
               else f"failed (exit {done.returncode})")
        raise RenderFailedError(f"{name} {how}: {message}")
    return done.stdout
