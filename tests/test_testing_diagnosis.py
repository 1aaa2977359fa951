"""Tests for autograd/testing/diagnosis.py: naming a mistake from its pattern, input by input.

σ written for σ′ must be named wherever the sigmoid sits in the chain and whatever the
number of inputs; a hypothesis must hold at every failing point, not at one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value
from autograd.testing import GradientMismatch, assert_gradient
from autograd.testing.diagnosis import Case, Words, diagnose


def sigma(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u))


def diagnosed(f: Callable[..., Value], grad_f: Callable[..., Any], n: int,
              lo: float = -3.0, hi: float = 3.0) -> GradientMismatch:
    with pytest.raises(GradientMismatch) as info:
        assert_gradient(f, grad_f, domain=[(lo, hi)] * n)
    return info.value


SIGMA_FOR_SIGMA_PRIME = [  # f, grad_f with σ where σ′ belongs, inputs
    (lambda w, b: (w * 1.5 + b).sigmoid(),
     lambda w, b: (1.5 * sigma(1.5 * w + b), sigma(1.5 * w + b)), ("w", "b")),
    (lambda w: (w * 1.5).sigmoid(), lambda w: 1.5 * sigma(1.5 * w), ("w",)),
    (lambda x, w: ((w * x).sigmoid() * 3 + 1).log(),  # the sigmoid inside the chain
     lambda x, w: (3 * w * sigma(w * x) / (3 * sigma(w * x) + 1),
                   3 * x * sigma(w * x) / (3 * sigma(w * x) + 1)), ("x", "w")),
    (lambda a, b, c: (a * b - c).sigmoid() ** 2,  # three inputs, a square after it
     lambda a, b, c: tuple(2 * sigma(a * b - c) * sigma(a * b - c) * d
                           for d in (b, a, -1.0)), ("a", "b", "c")),
]


@pytest.mark.parametrize(("f", "grad_f", "names"), SIGMA_FOR_SIGMA_PRIME)
def test_sigma_for_sigma_prime_is_named_anywhere_in_the_chain(
        f: Callable[..., Value], grad_f: Callable[..., Any], names: tuple[str, ...]) -> None:
    err = diagnosed(f, grad_f, len(names))
    assert [(d.kind, d.names) for d in err.diagnosis] == [("sigma_for_sigma_prime", names)]
    assert "σ written for σ′ = σ(1 − σ)?" in err.diagnosis[0].message


def test_the_shrunk_point_that_looks_like_a_factor_two_is_not_called_one() -> None:
    """At (0, 0), hand = 0.75 and autodiff = 0.375: one point says "factor 2"; all say σ."""
    err = diagnosed(*SIGMA_FOR_SIGMA_PRIME[0][:2], 2)
    assert err.point == (0.0, 0.0)
    assert (err.rows[0].hand, err.rows[0].autodiff) == (0.75, 0.375)
    assert "factor" not in {d.kind for d in err.diagnosis}


def test_only_the_input_whose_sigmoid_is_wrong_is_named() -> None:
    err = diagnosed(lambda a, b: a.sigmoid() + (2 * b).sigmoid(),
                    lambda a, b: (sigma(a) * (1 - sigma(a)), 2 * sigma(2 * b)), 2)
    assert [(d.kind, d.names) for d in err.diagnosis] == [("sigma_for_sigma_prime", ("b",))]
    assert not err.rows[0].ok or err.rows[0].hand == err.rows[0].autodiff


def test_tanh_for_tanh_prime_is_named() -> None:
    err = diagnosed(lambda x, w: (w * x).tanh() * 2,
                    lambda x, w: (2 * w * math.tanh(w * x), 2 * x * math.tanh(w * x)), 2)
    assert [(d.kind, d.names) for d in err.diagnosis] == [("tanh_for_tanh_prime", ("x", "w"))]


def test_each_input_gets_its_own_diagnosis() -> None:
    err = diagnosed(lambda x, y: x * y.exp(), lambda x, y: (2 * math.exp(y), -x * math.exp(y)),
                    2)
    assert [(d.kind, d.names, d.factor) for d in err.diagnosis] == [
        ("factor", ("x",), 2.0), ("factor", ("y",), -1.0)]
    assert "hand = 2 × autodiff for ∂/∂x: a factor 2 too many?" in str(err)


def case(hand: tuple[float, ...], reference: tuple[float, ...], value: float = 1.0,
         sigmoids: tuple[float, ...] = ()) -> Case:
    ok = tuple(h == r for h, r in zip(hand, reference, strict=True))
    return Case((1.0,) * len(hand), hand, reference, ok, value, sigmoids)


def test_a_hypothesis_must_hold_at_every_failing_point() -> None:
    assert [d.kind for d in diagnose(["x"], [case((2.0,), (1.0,))])] == ["factor"]
    assert diagnose(["x"], [case((2.0,), (1.0,)), case((3.0,), (1.0,))]) == []
    two_sigmoids = [case((2.0,), (1.0,), sigmoids=(0.5,)), case((4.0,), (1.0,), sigmoids=(0.75,))]
    assert [d.kind for d in diagnose(["x"], two_sigmoids)] == ["sigma_for_sigma_prime"]


def test_points_where_both_sides_vanish_decide_nothing() -> None:
    zero = case((0.0,), (0.0,))._replace(ok=(False,))  # failing elsewhere in the row: no say
    assert [d.factor for d in diagnose(["x"], [zero, case((-3.0,), (3.0,))])] == [-1.0]
    assert diagnose(["x"], [zero]) == []


def test_tiny_numbers_decide_nothing_when_they_come_from_central_differences() -> None:
    cases = [case((1e-12, 3.0), (3.0, 2e-13)), case((2.0, 5.0), (5.0, 2.0))]
    words = Words("rule", "central differences", "the op", same=1e-5, tiny=1e-8)
    assert [(d.kind, d.names) for d in diagnose(["a", "b"], cases, words)] == [
        ("swap", ("a", "b"))]
    exact = diagnose(["a", "b"], cases)  # exact numbers: 1e-12 is not 2e-13
    assert [(d.kind, d.names) for d in exact] == [("shift", ("b",))]


def test_a_shift_lists_who_took_whose_value() -> None:
    cases = [case((3.0, 1.0, 2.0), (1.0, 2.0, 3.0)), case((6.0, 4.0, 5.0), (4.0, 5.0, 6.0))]
    [shift] = diagnose(["a", "b", "c"], cases)
    assert shift.kind == "shift"
    assert "hand a = autodiff c, hand b = autodiff a, hand c = autodiff b" in shift.message
