"""Tests for autograd/testing/op.py: assert_op checks an op's rule against the numbers.

Every built-in passes over its domain, first and second order; declared ops pass when
right (three operands, a None partial) and are caught when wrong, with the partial and the
shape of the mistake named: σ written for swish′ is a product rule with a term missing.
"""

from __future__ import annotations

import math
import sys
from typing import Any
from unittest.mock import patch

import pytest

from autograd import OPS, DomainError, Op, Value, no_grad, op
from autograd.testing import OpChecked, OpMismatch, assert_op


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


DOMAINS: dict[str, list[tuple[float, float]]] = {
    "truediv": [(-5, 5), (0.1, 5)], "powc": [(-3, 3), (-3, 3)], "pow": [(0.01, 5), (-3, 3)],
    "rpow": [(0, 5), (-3, 3)], "exp": [(-700, 700)], "log": [(1e-3, 1e3)], "sqrt": [(0, 100)],
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_built_in_rule_passes_first_and_second_order(name: str) -> None:
    row = OPS[name]
    checked = assert_op(row, DOMAINS.get(name, [(-20.0, 20.0)] * row.arity))
    assert checked.second_order
    assert checked.checked >= 60  # powc skips a negative base with a fractional exponent


def test_kinks_and_points_outside_the_domain_are_skipped_and_counted() -> None:
    relu = assert_op(OPS["relu"], [(-1, 1)])
    assert relu.skipped > 0 and relu.checked > 100  # 0, and points within a step of 0
    log = assert_op(OPS["log"], [(-1, 1)])
    assert log.skipped > 0 and log.checked > 50


def passes(o: Op, domain: list[tuple[float, float]], second_order: bool) -> bool:
    """Whether the op passes with no point skipped, second order checked or not.

    About 200 distinct points are tried (hypothesis also draws numbers it finds in the
    loaded modules, so the exact count depends on the program).
    """
    checked = assert_op(o, domain)
    return checked.checked > 150 and checked == OpChecked(checked.checked, 0, second_order)


def swish_rule(xs: Any, out: Any) -> tuple[float]:
    s = sigmoid(xs[0])
    return (s + xs[0] * s * (1 - s),)


def test_swish_passes_with_its_rule_and_fails_with_sigma_for_its_derivative() -> None:
    swish = op(lambda x: x * sigmoid(x), partials=swish_rule, name="swish")
    assert passes(swish, [(-10, 10)], second_order=False)
    wrong = op(lambda x: x * sigmoid(x), partials=lambda xs, out: (sigmoid(xs[0]),),
               name="swish")
    with pytest.raises(OpMismatch) as info:
        assert_op(wrong, [(-10, 10)])
    err = info.value
    [row] = err.rows
    assert (row.name, row.ok, err.point) == ("x", False, (1.0,))
    assert row.rule == pytest.approx(sigmoid(1.0), rel=1e-15)
    assert row.numeric == pytest.approx(sigmoid(1.0) * (2 - sigmoid(1.0)), rel=1e-9)
    [diagnosis] = err.diagnosis
    assert (diagnosis.kind, diagnosis.names) == ("product_rule", ("x",))
    assert "(x·g)′ = g + x·g′ without the term x·g′(x)?" in diagnosis.message
    assert str(err).startswith("swish: the partials disagree with central differences at "
                               "x = 1.0\n")


def test_a_product_rule_that_kept_the_other_term_is_named() -> None:
    xlogx = op(lambda x: x * math.log(x), partials=lambda xs, out: (1.0,), name="xlogx",
               check=lambda x: None)
    with pytest.raises(OpMismatch) as info:
        assert_op(xlogx, [(0.1, 10)])
    [diagnosis] = info.value.diagnosis
    assert diagnosis.kind == "product_rule"
    assert diagnosis.message.endswith("without the term g(x)?")


def fma_partials(xs: Any, out: Any) -> tuple[Any, Any, Any]:
    return (xs[1], xs[0], 1.0)


def test_a_three_operand_op_is_checked_and_its_swapped_partials_named() -> None:
    fma = op(lambda a, b, c: a * b + c, partials=fma_partials, name="fma")
    assert passes(fma, [(-3, 3)] * 3, second_order=True)
    wrong = op(lambda a, b, c: a * b + c, partials=lambda xs, out: (xs[0], xs[1], 1.0),
               name="fma")
    with pytest.raises(OpMismatch) as info:
        assert_op(wrong, [(-3, 3)] * 3)
    kinds = {d.kind: d.names for d in info.value.diagnosis}
    assert kinds["swap"] == ("a", "b")
    assert [r.name for r in info.value.rows][:3] == ["a", "b", "c"]


def test_an_operand_with_a_none_partial_is_not_compared() -> None:
    scale = op(lambda x, c: c * x, partials=lambda xs, out: (xs[1], None), name="scale")
    assert passes(scale, [(-3, 3), (-3, 3)], second_order=True)
    wrong = op(lambda x, c: c * x, partials=lambda xs, out: (2 * xs[1], None), name="scale")
    with pytest.raises(OpMismatch) as info:
        assert_op(wrong, [(-3, 3), (-3, 3)])
    assert [r.name for r in info.value.rows] == ["x", "∂x∂x"]
    assert info.value.diagnosis[0].factor == 2.0


def test_a_rule_that_reads_data_on_values_fails_at_second_order() -> None:
    """Right on floats, but constant on Values: create_graph would get 0 for f''."""
    cube = op(lambda x: x ** 3, partials=lambda xs, out: (3 * getattr(xs[0], "data", xs[0]) ** 2,),
              name="cube")
    with pytest.raises(OpMismatch) as info:
        assert_op(cube, [(-3, 3)])
    err = info.value
    assert [(r.name, r.ok) for r in err.rows] == [("x", True), ("∂x∂x", False)]
    assert err.rows[1].rule == 0.0
    assert err.rows[1].numeric == pytest.approx(6 * err.point[0], rel=1e-6)
    assert "(second derivatives included)" in str(err).splitlines()[0]


def test_second_order_is_skipped_when_the_rule_cannot_take_values() -> None:
    tanh2 = op(lambda x: math.tanh(x), partials=lambda xs, out: (1 - math.tanh(xs[0]) ** 2,),
               name="tanh2")
    assert assert_op(tanh2, [(-5, 5)]).second_order is False
    assert assert_op(op(math.tanh, partials=lambda xs, out: (1 - out * out,), name="t"),
                     [(-5, 5)]).second_order is True


def test_a_wrong_built_in_style_rule_is_diagnosed_as_a_factor() -> None:
    exp2 = OPS["exp"]._replace(partials=lambda xs, out: (2 * out,))
    with pytest.raises(OpMismatch) as info:
        assert_op(exp2, [(-5, 5)])
    [factor] = info.value.diagnosis  # f″ too: the rule's backward pass runs through the rule
    assert (factor.kind, factor.names, factor.factor) == ("factor", ("x", "∂x∂x"), 2.0)


def test_the_op_leaves_an_outer_no_grad_as_it_was() -> None:
    with no_grad():
        assert assert_op(OPS["sigmoid"], [(-10, 10)]).second_order
        assert Value(1.0).sigmoid().parents == ()


@pytest.mark.parametrize(("args", "error", "match"), [
    ((lambda x: x, [(0, 1)]), TypeError, "assert_op needs an op .* got function"),
    ((OPS["add"], [(0, 1)]), TypeError, r"add takes 2 operand\(s\), but the domain has 1"),
    ((OPS["exp"], [(1, 0)]), ValueError, r"domain\[0\] must be finite with lo <= hi"),
    ((OPS["exp"], [(0, 1)], {"eps": 0}), ValueError, "eps must be > 0"),
    ((OPS["exp"], [(0, 1)], {"rtol": -1}), ValueError, "rtol must be"),
    ((OPS["log"], [(-2, -1)]), ValueError, r"domain error at all \d+ point\(s\) tried.*log"),
    ((op(lambda x: x, partials=lambda xs, out: (1.0, 1.0), name="two"), [(0, 1)]), ValueError,
     r"two: partials returned 2 value\(s\) for 1 operand"),
])
def test_bad_arguments_are_refused(args: tuple[Any, ...], error: type[Exception],
                                   match: str) -> None:
    kwargs = args[2] if len(args) > 2 else {}
    with pytest.raises(error, match=match):
        assert_op(args[0], args[1], **kwargs)


def test_an_error_of_the_ops_own_code_propagates_with_the_point() -> None:
    def forward(x: float) -> float:
        if x > 0.5:
            raise RuntimeError("a bug in forward")
        return x

    buggy: Op = op(forward, partials=lambda xs, out: (1.0,))
    with pytest.raises(RuntimeError, match="a bug in forward") as info:
        assert_op(buggy, [(-1, 1)])
    [note] = info.value.__notes__
    assert note.startswith("assert_op: raised while checking x = ")
    checked = op(lambda x: math.sqrt(x), partials=lambda xs, out: (0.5 / out,), name="root",
                 check=lambda x: None if x > 0 else (_ for _ in ()).throw(DomainError("x <= 0")))
    assert assert_op(checked, [(-1, 1)]).skipped > 0


def test_without_hypothesis_the_seeded_draws_do_the_search() -> None:
    with patch.dict(sys.modules, {"hypothesis": None}):
        assert assert_op(OPS["tanh"], [(-5, 5)]).checked > 100
        with pytest.raises(OpMismatch) as info:
            assert_op(OPS["sin"]._replace(partials=lambda xs, out: (-OPS["cos"].forward(
                xs[0]),)), [(-3, 3)])
    assert [(d.kind, d.factor) for d in info.value.diagnosis][:1] == [("factor", -1.0)]


def test_a_domain_reaching_the_largest_floats_skips_points_past_them() -> None:
    checked = assert_op(OPS["exp"], domain=[(-1e308, 1e308)])
    assert checked.checked > 0 and checked.skipped > 0  # exp overflows for most of it
