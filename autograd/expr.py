"""The safe expression reader of the command line: typed text to Values, never run as Python.

:func:`parse_expression` reads the text with :mod:`ast` and checks every part against a
short whitelist: numbers, the input names, ``+ - * / **``, unary minus, parentheses and
calls to the engine's functions (the ``call`` names of :data:`autograd.ops.OPS`).
:func:`build` then computes the checked tree with Values, and :func:`parse_at` reads the
inputs' values (``w=-3,x=2``). Every refusal is an :class:`ExpressionError` whose message
points at the offending part, with unprintable characters shown as escapes
(:func:`autograd.text.visible`).
"""

from __future__ import annotations

import ast
import decimal
import math
import sys
import unicodedata
from collections.abc import Callable
from typing import Any, cast

from autograd.ops import OPS, Op
from autograd.text import visible
from autograd.value import Value, apply

__all__ = ["FUNCTIONS", "MAX_AT_CHARS", "MAX_EXPRESSION_CHARS", "MAX_SYNTAX_NODES",
           "ExpressionError", "build", "parse_at", "parse_expression"]

MAX_EXPRESSION_CHARS = 2000
MAX_SYNTAX_NODES = 1000
MAX_AT_CHARS = 10000

FUNCTIONS: dict[str, Op] = {op.call: op for op in OPS.values() if op.call is not None}
"""The functions an expression may call, by name (``exp``, ``sin``, ``abs``, ...)."""

# Used with at least one Value operand, so each returns a Value.
_BINARY_OPS: dict[type[ast.operator], Callable[[Any, Any], Value]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}
_MINUS_SIGNS = str.maketrans({"\N{MINUS SIGN}": "-"})
"""Typographic minus (from a PDF or a word processor) read as ``-``."""


class ExpressionError(ValueError):
    """The typed expression or its inputs are not ones the command line accepts."""


def _point(text: str, node: ast.expr, message: str) -> ExpressionError:
    """An error whose message shows ``text`` with the offending part underlined."""
    encoded = text.encode("utf-8")  # ast counts columns in UTF-8 bytes; we underline chars

    def chars(offset: int) -> int:
        return len(encoded[:offset].decode("utf-8", "replace"))

    start = chars(node.col_offset)
    end_offset = node.end_col_offset if node.end_lineno == node.lineno else None
    end = max(chars(end_offset) if end_offset is not None else len(text), start + 1)
    return ExpressionError(f"{message}\n{_underlined(text, start, end)}")


def _underlined(text: str, start: int, end: int) -> str:
    """Two lines: ``text`` as :func:`visible` shows it, and ``^`` under characters start:end.

    A long text is shown as a window of 120 characters around the marked part.
    """
    shown = visible(text)
    start, end = len(visible(text[:start])), len(visible(text[:end]))  # escapes are wider
    if len(shown) > 120:
        left = max(0, start - 40)
        shown = shown[left:left + 120]
        start, end = start - left, min(end - left, len(shown))
    return f"  {shown}\n  {' ' * start}{'^' * max(end - start, 1)}"


def _refuse(text: str, node: ast.expr, names: set[str]) -> ExpressionError | None:
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
        hint = "; for a power write **, as in x**2" if isinstance(node.op, ast.BitXor) else ""
        return _point(text, node, f"only the operators + - * / ** are allowed{hint}")
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
        text: The expression as typed (surrounding spaces are ignored; a typographic minus
            sign ``−`` reads as ``-``).
        names: The input names it may use.

    Returns:
        The checked syntax tree.

    Raises:
        ExpressionError: the expression is too long, holds bytes that could not be decoded
            (a lone surrogate), is malformed, or uses something outside the whitelist; the
            message points at the offending part.
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit "
                              f"is {MAX_EXPRESSION_CHARS}")
    _check_decoded(text, "the expression")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if "\n" in text or "\r" in text:
        raise ExpressionError("the expression must be on one line")
    text = text.strip().translate(_MINUS_SIGNS)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        column = e.offset - 1 if e.offset else len(text)  # 0: the input ended early
        raise ExpressionError(f"not a valid expression: {e.msg}\n"
                              f"{_underlined(text, column, column + 1)}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply to read") from None
    stack: list[ast.expr] = [tree.body]
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


def _check_decoded(text: str, what: str) -> None:
    """Refuse text holding a lone surrogate: a byte the command line could not decode.

    Python reads the command line's bytes in the file system's encoding and keeps each
    byte it cannot decode as a surrogate (U+DC80 to U+DCFF, "surrogateescape").
    """
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            byte = (f"byte {ord(ch) - 0xDC00:#04x}" if "\udc80" <= ch <= "\udcff"
                    else f"a lone surrogate U+{ord(ch):04X}")
            raise ExpressionError(f"{what} is not valid {sys.getfilesystemencoding()} text: "
                                  f"{byte} at character {i + 1} cannot be decoded")


def _children(node: ast.expr) -> list[ast.expr]:
    """The sub-expressions of an accepted node (operators and contexts are not visited)."""
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _number_problem(written: str, value: float) -> str | None:
    """Why the number ``written`` (read as ``value``) cannot be used, or None.

    A float is refused when it is not finite, when it underflows to 0 although the text is
    not zero (``1e-400``), and when it is subnormal (``1e-310``: below 2.2e-308, where
    floats lose precision).
    """
    if not math.isfinite(value):
        return "is not a finite number"
    if value == 0.0:
        try:
            exact = decimal.Decimal(written.replace("_", ""))
        except decimal.InvalidOperation:  # a form Decimal does not read (0x0): exactly 0
            return None
        return None if exact == 0 else "is too small for a float (it would become 0)"
    if abs(value) < sys.float_info.min:
        return (f"is subnormal (below {sys.float_info.min:.3g} in size, floats lose "
                "precision there)")
    return None


def _constant(text: str, node: ast.Constant) -> float:
    """The float of a number in the expression, refused (pointing at it) when unusable."""
    try:
        value = float(cast(float, node.value))  # an int or a float: checked by _refuse
    except OverflowError:  # an int beyond the float range
        value = math.inf
    if not math.isfinite(value):
        raise _point(text, node, "this number is too large for a float")
    problem = _number_problem(ast.get_source_segment(text, node) or "", value)
    if problem is not None:
        raise _point(text, node, f"this number {problem}")
    return value


def build(tree: ast.expr, inputs: dict[str, Value], text: str = "") -> Value | float:
    """Compute a checked expression with Values (iteratively, children first).

    Numbers stay floats, so ``x ** 2`` uses the engine's constant-power op; an
    operation on two numbers is computed (and checked) by the engine and stays a number,
    so ``x ** (1/2)`` is a constant power too.

    Args:
        tree: The tree :func:`parse_expression` returned.
        inputs: A Value for every name the tree uses.
        text: The expression as parsed (stripped), to point at a refused number.

    Raises:
        ExpressionError: a number is too large, too small or subnormal.
        ZeroDivisionError, ValueError, OverflowError: an op's domain error (the message
            names the op).
    """
    text = text.translate(_MINUS_SIGNS)
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
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            done[id(node)] = apply(FUNCTIONS[node.func.id], done[id(node.args[0])])
        elif isinstance(node, ast.UnaryOp):
            done[id(node)] = -done[id(node.operand)]  # a float stays a float: x ** -1 works
        elif isinstance(node, ast.BinOp):
            left, right = done[id(node.left)], done[id(node.right)]
            if isinstance(left, Value) or isinstance(right, Value):
                done[id(node)] = _BINARY_OPS[type(node.op)](left, right)
            else:  # numbers only: a constant (the engine still checks it), so x ** (1/2) is powc
                done[id(node)] = _BINARY_OPS[type(node.op)](Value(left), right).data
    return done[id(tree)]


def parse_at(text: str) -> dict[str, float]:
    """Read ``--at w=-3,x=2`` into ``{"w": -3.0, "x": 2.0}``.

    Names are read as Python reads them (NFKC: ``α``, ``β`` work); a typographic minus
    ``−`` reads as ``-``.

    Raises:
        ExpressionError: the text holds bytes that could not be decoded, a part is not
            ``name=number``, a name repeats or is a function, or a number is not finite,
            underflows to 0 or is subnormal.
    """
    if len(text) > MAX_AT_CHARS:
        raise ExpressionError(f"--at is {len(text)} characters long; the limit is "
                              f"{MAX_AT_CHARS}")
    _check_decoded(text, "--at")
    values: dict[str, float] = {}
    for part in text.split(","):
        name, eq, number = (s.strip() for s in part.partition("="))
        name = unicodedata.normalize("NFKC", name)
        if not eq or not name.isidentifier():
            raise ExpressionError(f"--at: expected name=number, got {part.strip()!r}")
        if name in FUNCTIONS:
            raise ExpressionError(f"--at: {name!r} is a function name; pick another name")
        if name in values:
            raise ExpressionError(f"--at: {name!r} is given twice")
        written = number.translate(_MINUS_SIGNS)
        try:
            value = float(written)
        except ValueError:
            raise ExpressionError(f"--at: {name}={number!r} is not a number") from None
        problem = _number_problem(written, value)
        if problem is not None:
            raise ExpressionError(f"--at: {name}={number!r} {problem}")
        values[name] = value
    return values
