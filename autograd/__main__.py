"""Command line: draw the graph of a typed expression and print its gradients.

    python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg

The expression is read with :mod:`ast` and checked against a short whitelist
(numbers, input names, + - * / **, unary minus, parentheses and calls to the
engine's functions); it is then computed with Values, never evaluated as Python.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
import unicodedata
from collections.abc import Callable, Sequence

from autograd.value import Value
from autograd.viz import RendererNotFoundError, render, write_backward_html

MAX_EXPRESSION_CHARS = 2000
MAX_SYNTAX_NODES = 1000
MAX_AT_CHARS = 10000

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp, "log": Value.log, "tanh": Value.tanh, "sigmoid": Value.sigmoid,
    "relu": Value.relu, "softplus": Value.softplus, "abs": Value.__abs__,
}
_BINARY_OPS: dict[type, Callable[[Value | float, Value | float], Value]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}

EXAMPLE = """\
example:
  python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg --html steps.html

The expression may use numbers, the names given to --at, + - * / **, unary minus,
parentheses and the functions exp, log, tanh, sigmoid, relu, softplus, abs.
Anything else is refused; nothing typed is run as Python code.
An expression that starts with a minus sign goes last, after --:  graph --at x=2 -- "-x*x"
"""


class ExpressionError(ValueError):
    """The typed expression is not one the command line accepts."""


def _point(text: str, node: ast.AST | None, message: str) -> ExpressionError:
    """An error whose message shows ``text`` with the offending part underlined."""
    if node is None or getattr(node, "col_offset", None) is None:
        return ExpressionError(message)
    encoded = text.encode("utf-8")  # ast counts columns in UTF-8 bytes; we underline chars

    def chars(offset: int) -> int:
        return len(encoded[:offset].decode("utf-8", "replace"))

    start = chars(node.col_offset)
    end_offset = node.end_col_offset if node.end_lineno == node.lineno else None
    end = max(chars(end_offset) if end_offset is not None else len(text), start + 1)
    if len(text) > 120:  # show a window around the problem, not the whole input
        left = max(0, start - 40)
        shown = text[left:left + 120]
        start, end = start - left, min(end - left, len(shown))
    else:
        shown = text
    return ExpressionError(f"{message}\n  {shown}\n  {' ' * start}{'^' * (end - start)}")


def _refuse(text: str, node: ast.AST, names: set[str]) -> ExpressionError | None:
    """Why ``node`` is not allowed, or None when it is."""
    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float):
            return None
        return _point(text, node, f"only numbers are allowed, not {node.value!r}")
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return _point(text, node, f"{node.id} is a function: call it, as in {node.id}(x)")
        if node.id not in names:
            given = ", ".join(sorted(names)) or "none"
            return _point(text, node, f"unknown name {node.id!r}: give its value with --at "
                          f"{node.id}=... (inputs given: {given})")
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) in _BINARY_OPS:
            return None
        return _point(text, node, "only the operators + - * / ** are allowed")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return None
        return _point(text, node, "only unary minus is allowed")
    if isinstance(node, ast.Call):
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            return _point(text, node.func, f"only calls to the functions {allowed} are allowed")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            return _point(text, node, f"{node.func.id} takes exactly one argument")
        return None
    kind = {ast.Attribute: "attribute access", ast.Subscript: "indexing",
            ast.Lambda: "lambda", ast.Compare: "comparison", ast.BoolOp: "and/or",
            ast.IfExp: "if/else", ast.NamedExpr: "assignment (:=)",
            ast.JoinedStr: "an f-string"}.get(type(node), f"this construct ({type(node).__name__})")
    return _point(text, node, f"{kind} is not allowed here")


def parse_expression(text: str, names: set[str]) -> ast.expr:
    """Parse ``text`` and check every part against the whitelist.

    Args:
        text: The expression as typed.
        names: The input names it may use.

    Returns:
        The checked syntax tree.

    Raises:
        ExpressionError: the expression is too long, malformed, or uses something
            outside the whitelist; the message points at the offending part.
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit "
                              f"is {MAX_EXPRESSION_CHARS}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if "\n" in text or "\r" in text:
        raise ExpressionError("the expression must be on one line")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        column = e.offset - 1 if e.offset else len(text)  # 0: the input ended early
        raise ExpressionError(f"not a valid expression: {e.msg}\n  {text}\n"
                              f"  {' ' * column}^") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply to read") from None
    stack: list[ast.AST] = [tree.body]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_SYNTAX_NODES:
            raise ExpressionError(f"the expression has more than {MAX_SYNTAX_NODES} parts")
        problem = _refuse(text, node, names)
        if problem is not None:
            raise problem
        stack.extend(reversed(_children(node)))
    return tree.body


def _children(node: ast.AST) -> list[ast.expr]:
    """The sub-expressions of an accepted node (operators and contexts are not visited)."""
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _constant(text: str, node: ast.Constant) -> float:
    try:
        value = float(node.value)
    except OverflowError:
        raise _point(text, node, "this number is too large for a float") from None
    if not math.isfinite(value):
        raise _point(text, node, "this number is too large for a float")
    return value


def build(tree: ast.expr, inputs: dict[str, Value], text: str = "") -> Value | float:
    """Compute a checked expression with Values (iteratively, children first).

    Numbers stay floats, so ``x ** 2`` uses the engine's constant-power op; an
    operation on two numbers is computed (and checked) by the engine and stays a number,
    so ``x ** (1/2)`` is a constant power too.
    """
    done: dict[int, Value | float] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            done[id(node)] = _constant(text, node)
        elif isinstance(node, ast.Name):
            done[id(node)] = inputs[node.id]
        elif not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
        elif isinstance(node, ast.Call):
            arg = done[id(node.args[0])]
            done[id(node)] = FUNCTIONS[node.func.id](arg if isinstance(arg, Value)
                                                     else Value(arg))
        elif isinstance(node, ast.UnaryOp):
            done[id(node)] = -done[id(node.operand)]  # a float stays a float: x ** -1 works
        else:
            left, right = done[id(node.left)], done[id(node.right)]
            if isinstance(left, Value) or isinstance(right, Value):
                done[id(node)] = _BINARY_OPS[type(node.op)](left, right)
            else:  # numbers only: a constant (the engine still checks it), so x ** (1/2) is powc
                done[id(node)] = _BINARY_OPS[type(node.op)](Value(left), right).data
    return done[id(tree)]


def parse_at(text: str) -> dict[str, float]:
    """Read ``--at w=-3,x=2`` into ``{"w": -3.0, "x": 2.0}``.

    Raises:
        ExpressionError: a part is not ``name=number``, a name repeats or is a function.
    """
    if len(text) > MAX_AT_CHARS:
        raise ExpressionError(f"--at is {len(text)} characters long; the limit is "
                              f"{MAX_AT_CHARS}")
    values: dict[str, float] = {}
    for part in text.split(","):
        name, eq, number = (s.strip() for s in part.partition("="))
        name = unicodedata.normalize("NFKC", name)  # as Python's parser reads names: α, β work
        if not eq or not name.isidentifier():
            raise ExpressionError(f"--at: expected name=number, got {part.strip()!r}")
        if name in FUNCTIONS:
            raise ExpressionError(f"--at: {name!r} is a function name; pick another name")
        if name in values:
            raise ExpressionError(f"--at: {name!r} is given twice")
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(f"--at: {name}={number!r} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"--at: {name}={number!r} is not a finite number")
        values[name] = value
    return values


def _graph_command(args: argparse.Namespace) -> int:
    values = parse_at(args.at) if args.at else {}
    tree = parse_expression(args.expression, set(values))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unused = sorted(set(values) - used)
    if unused:
        raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does "
                              "not use")
    inputs = {name: Value(v, label=name) for name, v in values.items()}
    result = build(tree, inputs, args.expression.strip())
    if not isinstance(result, Value):  # the expression was a lone number
        result = Value(result)
    if not result.label:  # (a lone input name keeps its own)
        result.label = "out" if "f" in inputs else "f"
    result.backward()
    width = max([len(result.label), 5, *map(len, inputs)])
    print(f"{result.label} = {args.expression.strip()} = {result.data:.6g}")
    print(f"{'input':<{width}}  {'value':>12}  {f'∂{result.label}/∂input':>12}")
    for name, v in inputs.items():
        print(f"{name:<{width}}  {v.data:>12.6g}  {v.grad:>12.6g}")
    if args.output:
        print(f"wrote {render(result, args.output, format=args.format, rankdir=args.rankdir)}")
    if args.html:
        print(f"wrote {write_backward_html(result, args.html, rankdir=args.rankdir)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograd", description="deltagrad: scalar automatic differentiation.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    graph = commands.add_parser(
        "graph", help="compute an expression, print its gradients, draw its graph",
        description="Compute an expression, run backward, print each input's value and "
        "gradient, and optionally draw the graph (SVG) and a step-by-step backward page.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    graph.add_argument("expression", help='the expression, e.g. "tanh(w*x + b)"')
    graph.add_argument("--at", metavar="NAME=VALUE,...", default="",
                       help="the inputs' values, e.g. w=-3,x=2,b=6.88")
    graph.add_argument("-o", "--output", metavar="FILE",
                       help="write the graph here (the format follows the suffix: .svg, .png)")
    graph.add_argument("--format", default=None,
                       help="picture format for -o (default: from the file's suffix, else svg)")
    graph.add_argument("--html", metavar="FILE", help="write the step-by-step backward page here")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"],
                       help="layout direction (default LR: left to right)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 other failure)."""
    args = _parser().parse_args(argv)
    try:
        return _graph_command(args)
    except (ArithmeticError, ValueError) as e:  # bad input, or outside an op's domain
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (RendererNotFoundError, RuntimeError, OSError) as e:  # drawing or writing failed
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
