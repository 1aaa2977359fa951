"""Command line: draw the graph of a typed expression and print its gradients.

    python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg
    python -m autograd --version

A thin layer over :mod:`argparse`: the expression is read by :mod:`autograd.expr` (never
run as Python), pictures are drawn by :mod:`autograd.viz` (imported only when a picture is
asked for, so the gradients print where the graphviz package is missing) and files written
by :mod:`autograd.atomic`. Every line printed goes through :func:`autograd.text.visible`,
so nothing typed reaches the terminal as a control code.

Exit status: 0 done; 2 bad input (the expression, ``--at``, the output files and the
picture format are all checked before anything is printed or written); 1 drawing or
writing failed, or the output was closed (``| head``, ``>&-``), which ends quietly.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import errno
import functools
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from autograd.atomic import check_writable, write_atomically
from autograd.expr import FUNCTIONS, ExpressionError, build, parse_at, parse_expression
from autograd.text import visible
from autograd.value import Value
from autograd.viz.renderer import PROGRAMS, RenderError, find_renderer, output_formats

DISTRIBUTION = "deltagrad"
"""The name deltagrad is installed under (``pip install deltagrad``)."""
IMPORT_NAMES = ("autograd", "nn")
"""The packages it installs; other distributions may install packages of the same names."""

EXAMPLE = f"""\
example:
  python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg --html steps.html

The expression may use numbers, the names given to --at, + - * / **, unary minus,
parentheses and the functions {", ".join(FUNCTIONS)}.
Anything else is refused; nothing typed is run as Python code.
An expression that starts with a minus sign goes last, after --:  graph --at x=2 -- "-x*x"
"""

_LEADING_MINUS_HINT = ('\nhint: if the expression starts with "-", put -- before it, last: '
                       'graph --at x=2 -- "-x*x"')

_ASCII_SYMBOLS = str.maketrans({"∂": "d", "−": "-"})
"""Spellings for a terminal or file whose encoding lacks the symbol (cp1252, ascii)."""


def _say(text: str, stream: TextIO | None) -> None:
    """Print ``text`` (control characters escaped) and flush; ASCII where the encoding lacks ∂.

    Raises:
        BrokenPipeError: the stream is closed: its reader went away (``| head``), or the
            shell closed it (``>&-``, for which Python sets ``sys.stdout`` to None).
    """
    if stream is None:
        raise BrokenPipeError(errno.EBADF, "the output is closed")
    text = "\n".join(visible(line) for line in text.split("\n"))
    encoding = stream.encoding or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.translate(_ASCII_SYMBOLS).encode(encoding, "backslashreplace").decode(
            encoding)
    print(text, file=stream, flush=True)


def _note(text: str) -> None:
    """Print ``text`` on stderr if it is open: a message that cannot be shown is dropped."""
    with contextlib.suppress(OSError):  # stderr closed too (2>&-): the exit status tells
        _say(text, sys.stderr)


def _is_stdout(path: str) -> bool:
    """Whether ``path`` names the file standard output writes to (``-o /dev/stdout``)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file; stdout closed or captured
        return False


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through symlinks, or as hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _check_outputs(args: argparse.Namespace) -> str | None:
    """Refuse, before anything is printed or written, outputs that cannot all be written.

    Returns:
        The format of the picture ``-o`` asks for, or None without ``-o``.
    """
    if args.format is not None and args.output is None:
        raise ValueError("--format sets the picture format of -o: give -o FILE too")
    if args.exercise and args.html is None:
        raise ValueError("--exercise makes the --html page an exercise: give --html FILE too")
    for option, path in (("-o", args.output), ("--html", args.html)):
        if path is not None:
            try:
                check_writable(path)
            except (ValueError, OSError) as e:
                raise type(e)(f"{option}: {e}") from None
    if args.output is not None and args.html is not None and _same_file(args.output,
                                                                         args.html):
        raise ValueError(f"-o and --html name the same file ({args.output!r}); give each "
                         "its own")
    if args.output is None and args.html is None:
        return None
    if importlib.util.find_spec("graphviz") is None:
        raise RenderError(f"drawing needs the Python package graphviz, which is not installed "
                          f"for {sys.executable}: pip install graphviz (a dependency of "
                          f"{DISTRIBUTION}, so reinstalling {DISTRIBUTION} installs it too)")
    if args.output is None:
        find_renderer(args.renderer)  # the page draws with it: missing, it says what to install
        return None
    from autograd.viz.dot import picture_format  # needs graphviz, which is there

    picture = picture_format(args.output, args.format)
    known = output_formats(args.renderer)  # finds the renderer, then asks it
    if picture not in known:
        renderer = Path(find_renderer(args.renderer)).name
        raise ValueError(f"-o: {renderer} cannot write {picture} pictures; it writes "
                         f"{', '.join(known)} (pick one with the file's suffix or --format)")
    return picture


def _graph_command(args: argparse.Namespace) -> int:
    """``graph``: compute, print the gradient table, then draw and write what was asked."""
    picture = _check_outputs(args)
    at = ",".join(part for part in args.at or [] if part.strip())  # --at "" means none
    values = parse_at(at) if at else {}
    text = args.expression.strip()
    tree = parse_expression(text, set(values))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unused = sorted(set(values) - used)
    if unused:
        raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does "
                              "not use")
    inputs = {name: Value(v, label=name) for name, v in values.items()}
    result = build(tree, inputs, text)
    if not isinstance(result, Value):  # the expression was a lone number
        result = Value(result)
    name = "out" if "f" in inputs else "f"  # what the table calls the result
    if not result.label:  # a lone input name (graph "x") keeps its own
        result.label = name
    result.backward()
    # Everything that can be refused (size limits) happens before anything is printed.
    drawing: dict[str, Any] = {"rankdir": args.rankdir, "program": args.renderer}
    if args.max_nodes is not None:
        drawing["max_nodes"] = args.max_nodes
    graph, page = None, None
    if args.output is not None:
        from autograd.viz.dot import to_dot
        graph = to_dot(result, **drawing)
    if args.html is not None:
        from autograd.viz.page import backward_page
        page = backward_page(result, exercise=args.exercise, **drawing)
    # With the picture going to stdout, the table goes to stderr: the pipe gets the picture.
    show: Callable[[str], None] = (_note if args.output is not None and
                                   _is_stdout(args.output) else
                                   functools.partial(_say, stream=sys.stdout))
    width = max([len(name), 5, *map(len, inputs)])
    show(f"{name} = {text} = {result.data:.6g}")
    show(f"{'input':<{width}}  {'value':>12}  {f'∂{name}/∂input':>12}")
    for label, v in inputs.items():
        show(f"{label:<{width}}  {v.data:>12.6g}  {v.grad:>12.6g}")
    if graph is not None and picture is not None:
        drawn = graph.draw(picture)
        show(f"wrote {write_atomically(args.output, lambda fh: fh.write(drawn))}")
    if page is not None:
        show(f"wrote {page.save(args.html)}")
    return 0


def _installation() -> str:
    """Which deltagrad runs and from where, and which other distributions own its packages.

    Pip lets two distributions install the same top-level package (PyPI's HIPS
    ``autograd``, for one), each overwriting the other's files, and does not warn.
    """
    metadata = importlib.metadata
    try:
        dist = metadata.distribution(DISTRIBUTION)
        lines = [f"{DISTRIBUTION} {dist.version}, installed in {dist.locate_file('')}"]
    except metadata.PackageNotFoundError:
        lines = [f"{DISTRIBUTION}: not installed, running from a source folder (pip install "
                 "-e . installs it)"]
    for package in IMPORT_NAMES:
        spec = importlib.util.find_spec(package)
        origin = spec.origin if spec is not None else None
        lines.append(f"import {package}: {Path(origin).parent if origin else 'not found'}")
    owners = metadata.packages_distributions()
    for package in IMPORT_NAMES:
        for other in sorted(set(owners.get(package, [])) - {DISTRIBUTION}):
            lines.append(
                f"warning: the distribution {other} {metadata.version(other)} also installs "
                f"the package {package}: the two overwrite each other's files, and `import "
                f"{package}` may load either; give {DISTRIBUTION} a virtual environment of "
                "its own (python -m venv .venv)")
    return "\n".join(lines)


class _Version(argparse.Action):
    """``--version``: print :func:`_installation` and exit (the scan runs only here)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> NoReturn:
        _say(_installation(), sys.stdout)
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint when an expression starting with "-" was read as an option."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and the message (and the hint, when it may apply)."""
        hint = _LEADING_MINUS_HINT if ("required: expression" in message or
                                       "unrecognized arguments: -" in message) else ""
        super().error(visible(message) + hint)  # the hint's own line break is not escaped


def _parser() -> argparse.ArgumentParser:
    """The parser; each command's ``run`` default is the function that carries it out."""
    parser = _Parser(
        prog="python -m autograd", description="deltagrad: scalar automatic differentiation.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version,
                        help=f"show {DISTRIBUTION}'s version, where it is installed, and any "
                        "other installed distribution with packages of the same names")
    commands = parser.add_subparsers(dest="command", required=True)
    graph = commands.add_parser(
        "graph", help="compute an expression, print its gradients, draw its graph",
        description="Compute an expression, run backward, print each input's value and "
        "gradient, and optionally draw the graph (SVG) and a step-by-step backward page.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    graph.set_defaults(run=_graph_command)
    graph.add_argument("expression", help='the expression, e.g. "tanh(w*x + b)"')
    graph.add_argument("--at", metavar="NAME=VALUE,...", action="append",
                       help="the inputs' values, e.g. w=-3,x=2,b=6.88 (may be repeated)")
    graph.add_argument("-o", "--output", metavar="FILE",
                       help="write the graph here (the format follows the suffix: .svg, .png)")
    graph.add_argument("--format", default=None,
                       help="picture format for -o (default: from the file's suffix, else svg)")
    graph.add_argument("--html", metavar="FILE", help="write the step-by-step backward page here")
    graph.add_argument("--exercise", action="store_true",
                       help="make the --html page an exercise: it hides the gradients and "
                       "checks the ones you type")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"],
                       help="layout direction (default LR: left to right)")
    graph.add_argument("--max-nodes", type=int, default=None, metavar="N",
                       help="draw graphs of up to N values (default: 1000 for -o, 200 for "
                       "--html; bigger pictures are hard to read)")
    graph.add_argument("--renderer", choices=PROGRAMS, default=None,
                       help="the Graphviz renderer (default: dot when installed, else the pip "
                       "one, graphviz-pure)")
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail on the pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout closed (None), or captured
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 other failure)."""
    try:
        args = _parser().parse_args(argv)
        return args.run(args)
    except (ArithmeticError, ValueError) as e:  # bad input, or outside an op's domain
        _note(f"error: {e}")
        return 2
    except BrokenPipeError:  # the reader went away (| head), or >&-: stop quietly
        _silence_stdout()
        return 1
    except (RenderError, OSError) as e:  # drawing or writing failed: one line
        _note(f"error: {' '.join(str(e).split())}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
