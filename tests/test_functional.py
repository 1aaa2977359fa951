"""grad, value_and_grad and hessian on functions of floats, against closed forms and differences."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, hessian, numerical_grad, value_and_grad

X = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def f(x: Value, y: Value) -> Value:
    return x * x * y + x.sin() * y.exp()


def closed_grad(x: float, y: float) -> tuple[float, float]:
    return 2 * x * y + math.cos(x) * math.exp(y), x * x + math.sin(x) * math.exp(y)


def closed_hessian(x: float, y: float) -> list[list[float]]:
    xy = 2 * x + math.cos(x) * math.exp(y)
    return [[2 * y - math.sin(x) * math.exp(y), xy], [xy, math.sin(x) * math.exp(y)]]


@given(x=X, y=X)
def test_grad_matches_the_closed_form_for_each_argnums(x: float, y: float) -> None:
    gx, gy = closed_grad(x, y)
    assert grad(f)(x, y) == pytest.approx(gx, rel=1e-12, abs=1e-12)
    assert grad(f, argnums=1)(x, y) == pytest.approx(gy, rel=1e-12, abs=1e-12)
    assert grad(f, argnums=(1, 0))(x, y) == pytest.approx((gy, gx), rel=1e-12, abs=1e-12)
    assert grad(f, argnums=-1)(x, y) == pytest.approx(gy, rel=1e-12, abs=1e-12)


@given(x=X, y=X)
def test_value_and_grad_returns_floats(x: float, y: float) -> None:
    value, (gx, gy) = value_and_grad(f, argnums=(0, 1))(x, y)
    assert isinstance(value, float) and isinstance(gx, float) and isinstance(gy, float)
    assert value == pytest.approx(x * x * y + math.sin(x) * math.exp(y), rel=1e-13, abs=1e-13)
    assert numerical_grad(f, [x, y]) == pytest.approx([gx, gy], rel=1e-6, abs=1e-7)


@given(x=X, y=X)
def test_hessian_matches_the_closed_form(x: float, y: float) -> None:
    got = hessian(f)(x, y)
    for got_row, want_row in zip(got, closed_hessian(x, y), strict=True):
        assert got_row == pytest.approx(want_row, rel=1e-11, abs=1e-11)


def test_hessian_of_a_function_linear_in_one_argument_has_zeros() -> None:
    assert hessian(lambda x, y: 3.0 * x + y * y)(1.0, 2.0) == [[0.0, 0.0], [0.0, 2.0]]


def test_other_arguments_are_passed_unchanged_and_closed_over_grads_are_untouched() -> None:
    w = Value(2.0)
    w.grad = 0.5
    assert grad(lambda x, k: w * x * k)(3.0, 4) == 8.0
    assert w.grad == 0.5


@pytest.mark.parametrize("argnums, error, match", [
    (2, ValueError, "out of range"), ((0, 0), ValueError, "repeats"),
    (1.0, TypeError, "int or a tuple"), (True, TypeError, "int or a tuple")])
def test_bad_argnums_are_refused(argnums: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        grad(f, argnums=argnums)(1.0, 2.0)  # type: ignore[arg-type]


def test_a_constant_function_has_derivative_zero_and_other_results_are_refused() -> None:
    assert value_and_grad(lambda x: 3.0)(1.0) == (3.0, 0.0)
    assert hessian(lambda x: 3)(1.0) == [[0.0]]
    with pytest.raises(TypeError, match="must return a Value"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match="at least one argument"):
        grad(lambda: Value(1.0))()
    with pytest.raises(TypeError, match=r"argument 0 .* must be a real number, got Value"):
        grad(lambda x: x * x)(Value(2.0))


def test_keyword_arguments_are_passed_as_given() -> None:
    assert grad(lambda x, y=1.0: x * y)(2.0, y=3.0) == 3.0
    assert hessian(lambda x, k=1.0: x * x * k)(2.0, k=3.0) == [[6.0]]


def test_hessian_of_chosen_arguments() -> None:
    def g(x: Value, y: Value, z: Value) -> Value:
        return x * x * y + z * z * z

    assert hessian(g, argnums=(0, 2))(1.0, 3.0, 2.0) == [[6.0, 0.0], [0.0, 12.0]]
    assert hessian(g, argnums=1)(1.0, 3.0, 2.0) == [[0.0]]


def test_domain_errors_come_from_the_engine() -> None:
    with pytest.raises(ValueError, match=r"log: log\(-1\)"):
        grad(lambda x: x.log())(-1.0)
