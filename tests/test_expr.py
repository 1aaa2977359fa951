"""Tests for autograd/expr.py: numbers and expressions read exactly as written, or refused.

The command line's messages and hostile inputs are tested through the CLI in test_cli.py.
"""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd.expr import ExpressionError, build, parse_at, parse_expression
from autograd.value import Value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_at_reads_every_float_exactly_or_refuses_a_subnormal(x: float) -> None:
    for written in (repr(x), repr(x).replace("-", "\N{MINUS SIGN}")):
        if x == 0.0 or abs(x) >= sys.float_info.min:
            assert parse_at(f"x={written}") == {"x": x}
            assert math.copysign(1.0, parse_at(f"x={written}")["x"]) == math.copysign(1.0, x)
        else:
            with pytest.raises(ExpressionError, match="is subnormal"):
                parse_at(f"x={written}")


@pytest.mark.parametrize("written", ["1e-400", "-1e-400", "0.000001e-320", "1_0e-999"])
def test_a_number_that_underflows_is_refused(written: str) -> None:
    with pytest.raises(ExpressionError, match="too small for a float"):
        parse_at(f"x={written}")
    with pytest.raises(ExpressionError, match="this number is too small for a float"):
        build(parse_expression(f"x * {written}", {"x"}), {"x": Value(1.0)},
              f"x * {written}")


@pytest.mark.parametrize("written", ["0", "0.0", "-0e5", "0e-999", "0x0", "0_0"])
def test_zero_written_any_way_is_zero(written: str) -> None:
    text = f"x + {written}"
    assert build(parse_expression(text, {"x"}), {"x": Value(2.0)}, text).data == 2.0


_NAMES = {"a": 1.5, "b": -2.25, "c": 3.0}


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> tuple[str, float]:
    """A random expression of + - * / and unary minus, with its value computed directly."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(_NAMES)))
            return name, _NAMES[name]
        number = draw(st.integers(1, 9))
        return str(number), float(number)
    if draw(st.integers(0, 4)) == 0:
        text, value = draw(expressions(depth - 1))
        return f"-({text})", -value
    (left, lv), (right, rv) = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    symbol = draw(st.sampled_from("+-*/"))
    if symbol == "/":
        assume(rv != 0.0)
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else 0.0}[symbol]
    return f"({left}) {symbol} ({right})", value


@given(expressions())
def test_build_computes_what_the_text_says(case: tuple[str, float]) -> None:
    text, expected = case
    inputs = {name: Value(v, label=name) for name, v in _NAMES.items()}
    result = build(parse_expression(text, set(_NAMES)), inputs, text)
    assert (result.data if isinstance(result, Value) else result) == expected
