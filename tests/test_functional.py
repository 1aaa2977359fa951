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


# --- explicit requests ignore an enclosing no_grad (issue 15, finding 1) ----------------------
def test_derivative_requests_inside_no_grad_give_the_same_answers() -> None:
    from autograd import jvp, no_grad

    outside = (grad(lambda x: x * x)(3.0), value_and_grad(f, (0, 1))(0.5, -1.0),
               hessian(f)(0.5, -1.0), jvp(f, (0.5, -1.0), (1.0, 2.0)))
    with no_grad():
        inside = (grad(lambda x: x * x)(3.0), value_and_grad(f, (0, 1))(0.5, -1.0),
                  hessian(f)(0.5, -1.0), jvp(f, (0.5, -1.0), (1.0, 2.0)))
        assert (Value(1.0) * 2).parents == ()  # the block itself still records nothing
    assert inside == outside and inside[0] == 6.0


# --- forward mode -------------------------------------------------------------------------------
UNARY = ["exp", "sin", "cos", "tanh", "sigmoid", "softplus"]


@st.composite
def random_graph(draw: st.DrawFn) -> tuple[int, list[tuple[str, int, int]]]:
    """A random program over n inputs: each step combines earlier values."""
    n = draw(st.integers(1, 4))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["add", "mul", "sub", "unary", "div"]))
        a, b = draw(st.integers(0, n + k - 1)), draw(st.integers(0, n + k - 1))
        steps.append((draw(st.sampled_from(UNARY)) if kind == "unary" else kind, a, b))
    return n, steps


def run_program(steps: list[tuple[str, int, int]], *xs: Value) -> Value:
    vals = list(xs)
    for kind, a, b in steps:
        x, y = vals[a], vals[b]
        vals.append(x + y if kind == "add" else x * y if kind == "mul" else x - y
                    if kind == "sub" else x / (1.5 + y.tanh()) if kind == "div"
                    else getattr(x, kind)())
    return vals[-1]


TANGENT = st.floats(-3, 3, allow_subnormal=False).filter(lambda t: t == 0 or abs(t) > 1e-100)


@given(random_graph(), st.lists(X, min_size=4, max_size=4),
       st.lists(TANGENT, min_size=4, max_size=4))
def test_jvp_agrees_with_grad_on_random_graphs(program: tuple[int, list], point: list[float],
                                               direction: list[float]) -> None:
    from autograd import jvp

    n, steps = program
    args, tangent = tuple(point[:n]), tuple(direction[:n])

    def fn(*xs: Value) -> Value:
        return run_program(steps, *xs)

    value, slope = jvp(fn, args, tangent)
    v, partials = value_and_grad(fn, tuple(range(n)))(*args)
    assert value == v
    want = math.fsum(p * t for p, t in zip(partials, tangent, strict=True))
    scale = math.fsum(abs(p * t) for p, t in zip(partials, tangent, strict=True))
    assert abs(slope - want) <= 1e-12 * scale + 1e-300


def test_jvp_one_pass_per_direction_gives_the_gradient() -> None:
    from autograd import jvp

    columns = [jvp(f, (0.5, -1.0), e)[1] for e in [(1.0, 0.0), (0.0, 1.0)]]
    assert columns == pytest.approx(list(closed_grad(0.5, -1.0)), rel=1e-14)


def test_jvp_errors() -> None:
    from autograd import jvp

    with pytest.raises(ValueError, match="1 tangents for 2 primals"):
        jvp(f, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="real number"):
        jvp(f, (1.0, 2.0), (1.0, "x"))
    with pytest.raises(TypeError, match="must be a real number, got str"):
        jvp(f, (1.0, "y"), (1.0, 0.0))
    with pytest.raises(ValueError, match="finite"):
        jvp(f, (1.0, 2.0), (math.nan, 0.0))
    assert jvp(lambda x: 3.0, (1.0,), (1.0,)) == (3.0, 0.0)
    with pytest.raises(ZeroDivisionError):
        jvp(lambda x: 1 / x, (0.0,), (1.0,))


def test_jvp_and_backward_name_their_own_arguments_in_errors() -> None:
    from autograd import jvp

    with pytest.raises(TypeError, match="jvp: primals and tangents must be sequences"):
        jvp(f, 3.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="jvp: each tangent must be a real number, got str"):
        jvp(f, (1.0, 2.0), (1.0, "x"))
    with pytest.raises(ValueError, match="jvp: each tangent must be finite, got nan"):
        jvp(f, (1.0, 2.0), (math.nan, 0.0))
    with pytest.raises(TypeError, match=r"backward: gradient .* must be a number, got a Value"):
        Value(2.0).backward(gradient=Value(2.0))
