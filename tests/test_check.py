"""numerical_grad and gradcheck, including a broken rule that gradcheck must catch."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd.value
from autograd import OPS, GradcheckError, Value, gradcheck, numerical_grad


def test_numerical_grad_of_a_known_function() -> None:
    got = numerical_grad(lambda x, y: x * y.exp(), [1.5, -0.5])
    assert got[0] == pytest.approx(math.exp(-0.5), rel=1e-9)
    assert got[1] == pytest.approx(1.5 * math.exp(-0.5), rel=1e-9)


def test_numerical_grad_step_scales_with_the_input() -> None:
    # at x = 1e8 a fixed step of 1e-6 would be lost in rounding
    assert numerical_grad(lambda x: x * x, [1e8])[0] == pytest.approx(2e8, rel=1e-6)


def test_gradcheck_returns_one_row_per_input_named_by_label() -> None:
    rows = gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3, label="a"), 0.7])
    assert [r.name for r in rows] == ["a", "input 1"]
    assert all(r.ok and r.rel_err < 1e-8 for r in rows)
    assert rows[0].analytic == pytest.approx(0.7 * (1 - math.tanh(0.21) ** 2), rel=1e-14)


def test_gradcheck_leaves_the_callers_values_alone() -> None:
    a = Value(0.3)
    gradcheck(lambda x: x * x, [a])
    assert a.grad == 0.0


def test_gradcheck_requires_a_value_result() -> None:
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type, return-value]


def broken_mul(factor: float) -> object:
    """The mul rule with each partial scaled by ``factor`` (−1: wrong sign, 2: extra factor)."""
    right = OPS["mul"].partials
    return OPS["mul"]._replace(
        partials=lambda xs, out: tuple(factor * d for d in right(xs, out)))


@pytest.mark.parametrize("factor", [-1.0, 2.0, 0.5, 1.001])
def test_gradcheck_catches_a_broken_rule(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    monkeypatch.setattr(autograd.value, "MUL", broken_mul(factor))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: (w * x).tanh(), [Value(2.0, label="x"), Value(-0.3, label="w")])
    message = str(caught.value)
    assert "2 of 2 gradients disagree" in message and "x: analytic" in message
    assert "w: analytic" in message


@given(x=st.floats(-3, 3), y=st.floats(0.5, 3))
def test_gradcheck_passes_on_correct_rules(x: float, y: float) -> None:
    gradcheck(lambda a, b: (a * b).sigmoid() + (a / b).exp() - b.log() * a.tanh() + a**2, [x, y])


@given(g=st.floats(1e-6, 1e3) | st.floats(-1e3, -1e-6))
def test_default_tolerances_catch_wrong_sign_or_factor_two(g: float) -> None:
    """A linear function with slope g: a rule off by −1 or 2 is caught at any |g| ≥ 1e-6."""
    def f(x: Value) -> Value:
        return x * g

    gradcheck(f, [0.7])
    for factor in (-1.0, 2.0):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(autograd.value, "MUL", broken_mul(factor))
            with pytest.raises(GradcheckError):
                gradcheck(f, [0.7])


def test_a_probe_outside_the_domain_is_named() -> None:
    with pytest.raises(ValueError, match=r"fails at the probe x_0 = -9.*log\(-9"):
        numerical_grad(lambda a: a.log(), [Value(1e-7)])


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan")])
def test_step_must_be_positive(eps: float) -> None:
    with pytest.raises(ValueError, match="eps must be positive"):
        numerical_grad(lambda a: a * a, [1.0], eps=eps)


@pytest.mark.parametrize("tol", [{"rtol": -1e-6}, {"atol": -1.0}])
def test_tolerances_must_not_be_negative(tol: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="rtol and atol must be >= 0"):
        gradcheck(lambda a: a * a, [1.0], **tol)


def test_an_infinite_gradient_never_passes() -> None:
    # 1/x at 1e-200: the derivative overflows; backward says so rather than passing inf on
    with pytest.raises(OverflowError, match="truediv"):
        gradcheck(lambda x: 1 / x, [1e-200])


def test_gradcheck_restores_the_grads_of_closed_over_values() -> None:
    w, a = Value(3.0), Value(2.0)
    w.grad = 0.5
    rows = gradcheck(lambda x: x * (w * a), [1.0])
    assert rows[0].analytic == 6.0
    assert (w.grad, a.grad) == (0.5, 0.0)


def test_gradcheck_of_a_function_that_calls_backward_itself() -> None:
    def slope(x: Value) -> Value:  # d(x³)/dx = 3x², as a Value built by autodiff
        (x**3).backward(create_graph=True)
        return x.grad

    rows = gradcheck(slope, [Value(2.0, label="x")])  # checks d(3x²)/dx = 6x = 12
    assert rows[0].analytic == pytest.approx(12.0, rel=1e-14) and rows[0].ok


def test_gradcheck_restores_grads_when_f_fails_at_a_probe() -> None:
    w = Value(2.0)
    w.grad = 0.25

    def f(x: Value) -> Value:
        (w * w).backward()  # f changes w.grad as a side effect
        return (x * w).log()

    with pytest.raises(ValueError, match="probe"):
        gradcheck(f, [1e-9], eps=1.0)  # the probe x - h is below 0: log's domain error
    assert w.grad == 0.25  # as before gradcheck: f's own passes, first call included, undone


def test_gradcheck_report_prints_as_a_table_and_shows_in_notebooks() -> None:
    rows = gradcheck(lambda a, b: a * b, [Value(2.0, label="a"), 3.0])
    assert repr(rows).startswith("<GradcheckReport: 2 inputs, all ok")
    lines = str(rows).splitlines()
    assert lines[0].split()[:3] == ["input", "analytic", "numeric"] and len(lines) == 3
    assert lines[1].split()[0] == "a" and "<table>" in rows._repr_html_()
