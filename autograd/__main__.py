"""Command line: draw the graph of a typed expression and print its gradients.

    python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg

A thin layer over :mod:`argparse`: the expression is read by :mod:`autograd.expr` (never
run as Python), pictures are drawn by :mod:`autograd.viz` and files written by
:mod:`autograd.atomic`. Exit status: 0 done, 2 bad input, 1 drawing or writing failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from autograd.atomic import check_writable
from autograd.expr import FUNCTIONS, ExpressionError, build, parse_at, parse_expression
from autograd.value import Value
from autograd.viz import RenderError, backward_page, render
from autograd.viz.renderer import PROGRAMS

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


def _say(text: str, stream: TextIO) -> None:
    """Print ``text``; where ``stream``'s encoding lacks a character, ASCII or an escape."""
    encoding = stream.encoding or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.translate(_ASCII_SYMBOLS).encode(encoding, "backslashreplace").decode(
            encoding)
    print(text, file=stream)


def _is_stdout(path: str) -> bool:
    """Whether ``path`` names the file standard output writes to (``-o /dev/stdout``)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):  # no such file, or stdout has no file (a test's capture)
        return False


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through symlinks, or as hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _check_outputs(output: str | None, page: str | None) -> None:
    """Refuse, before anything is drawn or written, outputs that cannot all be written."""
    for option, path in (("-o", output), ("--html", page)):
        if path is not None:
            try:
                check_writable(path)
            except (ValueError, OSError) as e:
                raise type(e)(f"{option}: {e}") from None
    if output is not None and page is not None and _same_file(output, page):
        raise ValueError(f"-o and --html name the same file ({output!r}); give each its own")


def _graph_command(args: argparse.Namespace) -> int:
    if args.format is not None and args.output is None:
        raise ValueError("--format sets the picture format of -o: give -o FILE too")
    if args.exercise and args.html is None:
        raise ValueError("--exercise makes the --html page an exercise: give --html FILE too")
    _check_outputs(args.output, args.html)
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
    if not result.label:  # (a lone input name keeps its own)
        result.label = "out" if "f" in inputs else "f"
    result.backward()
    # With the picture going to stdout, the table goes to stderr: the pipe gets the picture.
    stream = sys.stderr if args.output is not None and _is_stdout(args.output) else sys.stdout
    width = max([len(result.label), 5, *map(len, inputs)])
    _say(f"{result.label} = {text} = {result.data:.6g}", stream)
    _say(f"{'input':<{width}}  {'value':>12}  {f'∂{result.label}/∂input':>12}", stream)
    for name, v in inputs.items():
        _say(f"{name:<{width}}  {v.data:>12.6g}  {v.grad:>12.6g}", stream)
    stream.flush()
    # Everything that can be refused (size limits, the renderer) happens before any write.
    drawing: dict[str, Any] = {"rankdir": args.rankdir, "program": args.renderer}
    if args.max_nodes is not None:
        drawing["max_nodes"] = args.max_nodes
    page = (backward_page(result, exercise=args.exercise, **drawing) if args.html is not None
            else None)
    if args.output is not None:
        written = render(result, args.output, format=args.format, **drawing)
        _say(f"wrote {written}", stream)
    if page is not None:
        _say(f"wrote {page.save(args.html)}", stream)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint when an expression starting with "-" was read as an option."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and the message (and the hint, when it may apply)."""
        if "required: expression" in message or "unrecognized arguments: -" in message:
            message += _LEADING_MINUS_HINT
        super().error(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m autograd", description="deltagrad: scalar automatic differentiation.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    graph = commands.add_parser(
        "graph", help="compute an expression, print its gradients, draw its graph",
        description="Compute an expression, run backward, print each input's value and "
        "gradient, and optionally draw the graph (SVG) and a step-by-step backward page.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    except (OSError, ValueError):  # stdout has no file (a test's capture)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 other failure)."""
    args = _parser().parse_args(argv)
    try:
        return _graph_command(args)
    except (ArithmeticError, ValueError) as e:  # bad input, or outside an op's domain
        _say(f"error: {e}", sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as other tools do
        _silence_stdout()
        return 1
    except (RenderError, OSError) as e:  # drawing or writing failed: one line
        _say(f"error: {' '.join(str(e).split())}", sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
