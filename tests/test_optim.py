"""Tests for nn/optim.py: every update checked against steps computed by hand."""

import itertools
import math

import numpy as np
import pytest

from autograd import Value
from nn.optim import Adam, GradientDescent, ParameterOptimizer, learning_rate, variable_metric


def test_schedules() -> None:
    assert [learning_rate(0.5, "constant", r) for r in (1, 2, 10)] == [0.5, 0.5, 0.5]
    assert [learning_rate(0.5, "inverse", r) for r in (1, 2, 10)] == [0.5, 0.25, 0.05]
    assert learning_rate(9.0, lambda r: 1.0 / r**0.75, 16) == pytest.approx(0.125)
    with pytest.raises(ValueError, match="start at 1"):
        learning_rate(0.5, "constant", 0)
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(0.5, "cosine", 1)
    with pytest.raises(ValueError, match="non-positive"):
        learning_rate(0.5, lambda r: 0.0, 1)


def test_gradient_descent_on_array_matches_hand_steps() -> None:
    theta = np.array([1.0, -2.0])
    opt = GradientDescent(theta, lr=0.1)
    assert opt.step(np.array([4.0, 1.0])) == 0.1
    np.testing.assert_array_equal(theta, [1.0 - 0.4, -2.0 - 0.1])
    opt.step(np.array([-1.0, 0.0]))
    np.testing.assert_allclose(theta, [0.7, -2.1], rtol=0, atol=1e-15)
    assert opt.r == 2


def test_inverse_schedule_steps() -> None:
    theta = np.array([0.0])
    opt = GradientDescent(theta, lr=1.0, schedule="inverse")
    rates = [opt.step(np.array([1.0])) for _ in range(4)]
    assert rates == [1.0, 0.5, 1.0 / 3.0, 0.25]
    assert theta[0] == pytest.approx(-(1.0 + 0.5 + 1.0 / 3.0 + 0.25), abs=1e-15)


def test_momentum_matches_hand_steps() -> None:
    theta = np.array([0.0])
    opt = GradientDescent(theta, lr=0.5, momentum=0.9)
    opt.step(np.array([2.0]))  # v1 = -0.5*2 = -1
    assert theta[0] == pytest.approx(-1.0, abs=1e-15)
    opt.step(np.array([1.0]))  # v2 = 0.9*(-1) - 0.5*1 = -1.4
    assert theta[0] == pytest.approx(-2.4, abs=1e-15)
    opt.step(np.array([-4.0]))  # v3 = 0.9*(-1.4) + 2 = 0.74
    assert theta[0] == pytest.approx(-1.66, abs=1e-15)


def test_adam_matches_hand_steps() -> None:
    theta = np.array([1.0, 1.0])
    opt = Adam(theta, lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    g1 = np.array([2.0, -0.5])
    opt.step(g1)
    # First step: m̂ = g, v̂ = g², so the step is −γ g/(|g| + ε) ≈ −γ sign(g).
    np.testing.assert_allclose(theta, 1.0 - 0.1 * g1 / (np.abs(g1) + 1e-8), rtol=0, atol=1e-15)
    before = theta.copy()
    g2 = np.array([1.0, 0.5])
    opt.step(g2)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.99 * 0.01 * g1**2 + 0.01 * g2**2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.99**2)
    np.testing.assert_allclose(theta, before - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), atol=1e-15)


def test_engine_parameters_use_grad_and_accumulate_across_backward() -> None:
    # R = Σ_i (w x_i − y_i)², summed by one backward pass per observation.
    w = Value(0.5, label="w")
    b = Value(-1.0, label="b")
    opt = ParameterOptimizer([w, b], GradientDescent, lr=0.01)
    xs, ys = [1.0, 2.0, -1.0], [2.0, 3.0, 0.5]
    opt.zero_grad()
    for x, y in zip(xs, ys, strict=True):
        r = (w * x + b - y) ** 2
        r.backward()
    grad_w = sum(2 * (0.5 * x - 1.0 - y) * x for x, y in zip(xs, ys, strict=True))
    grad_b = sum(2 * (0.5 * x - 1.0 - y) for x, y in zip(xs, ys, strict=True))
    assert w.grad == pytest.approx(grad_w, abs=1e-12)
    opt.step()
    assert w.data == pytest.approx(0.5 - 0.01 * grad_w, abs=1e-14)
    assert b.data == pytest.approx(-1.0 - 0.01 * grad_b, abs=1e-14)
    opt.zero_grad()
    assert w.grad == 0.0 and b.grad == 0.0
    w.data = 2.0  # set from outside between steps: the next step starts from it
    (w * w).backward()
    opt.step()
    assert w.data == pytest.approx(2.0 - 0.01 * 4.0, abs=1e-15)


def test_the_adapter_drives_any_core_with_its_options() -> None:
    w = Value(1.0)
    opt = ParameterOptimizer([w], Adam, lr=0.1, betas=(0.9, 0.99))
    (w * 3.0).backward()
    assert opt.step() == 0.1
    assert w.data == pytest.approx(1.0 - 0.1 * 3.0 / (3.0 + 1e-8), abs=1e-15)
    assert isinstance(opt.core, Adam) and opt.core.r == 1


def test_gradient_descent_minimises_a_quadratic() -> None:
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([1.0, -1.0])
    for opt_class, kwargs in [
        (GradientDescent, {"lr": 0.2}),
        (GradientDescent, {"lr": 0.1, "momentum": 0.5}),
        (Adam, {"lr": 0.05}),
    ]:
        theta = np.zeros(2)
        opt = opt_class(theta, **kwargs)
        for _ in range(2000):
            opt.step(a @ theta - c)
        np.testing.assert_allclose(theta, np.linalg.solve(a, c), atol=1e-6)


def test_bad_arguments_are_refused_before_any_step() -> None:
    theta = np.zeros(2)
    for lr in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="lr"):
            GradientDescent(theta, lr=lr)
    with pytest.raises(TypeError, match="lr"):
        GradientDescent(theta, lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="momentum"):
        GradientDescent(theta, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="schedule"):
        GradientDescent(theta, lr=0.1, schedule="exp")
    with pytest.raises(ValueError, match="beta2"):
        Adam(theta, betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="eps"):
        Adam(theta, eps=0.0)
    with pytest.raises(ValueError, match="no parameters"):
        ParameterOptimizer([], GradientDescent, lr=0.1)
    w = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        ParameterOptimizer([w, w], GradientDescent, lr=0.1)
    with pytest.raises(TypeError, match=r"ParameterOptimizer\(params, GradientDescent"):
        GradientDescent([w], lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-D float64"):
        GradientDescent(np.zeros((2, 2)), lr=0.1)
    with pytest.raises(ValueError, match="1-D float64"):
        GradientDescent(np.zeros(2, dtype=np.int64), lr=0.1)


def test_bad_steps() -> None:
    theta = np.zeros(2)
    opt = GradientDescent(theta, lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        opt.step(np.array([0.0, np.nan]))
    np.testing.assert_array_equal(theta, [0.0, 0.0])
    assert opt.r == 0
    w = Value(1.0)
    engine = ParameterOptimizer([w], GradientDescent, lr=0.1)
    w.grad = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        engine.step()
    assert w.data == 1.0


def _rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    a, b = x
    grad = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2, grad


def test_variable_metric_minimises_quadratics_and_rosenbrock() -> None:
    a = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    c = np.array([1.0, -1.0, 2.0])
    theta0 = np.zeros(3)
    x, f, iterations = variable_metric(lambda t: (0.5 * t @ a @ t - c @ t + 10.0, a @ t - c),
                                       theta0, reltol=1e-16)
    np.testing.assert_allclose(x, np.linalg.solve(a, c), rtol=1e-7)
    assert iterations < 20 and f == pytest.approx(10.0 - 0.5 * c @ np.linalg.solve(a, c))
    assert theta0.tolist() == [0.0, 0.0, 0.0]  # the start is not modified
    x, f, _ = variable_metric(_rosenbrock, np.array([-1.2, 1.0]), max_iter=500, abstol=0.0,
                              reltol=1e-16)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-6)


def test_variable_metric_stops_on_its_rules_and_backs_off_from_overflow() -> None:
    seen: list[tuple[float, int]] = []
    _, _, iterations = variable_metric(_rosenbrock, np.array([-1.2, 1.0]), max_iter=7,
                                       callback=lambda x, f, i: seen.append((f, i)) is not None)
    assert iterations == 7 and [i for _, i in seen] == list(range(1, 8))
    assert all(f1 < f0 for (f0, _), (f1, _) in itertools.pairwise(seen))
    _, _, stopped = variable_metric(_rosenbrock, np.array([-1.2, 1.0]),
                                    callback=lambda x, f, i: i == 3)
    assert stopped == 3
    _, f, _ = variable_metric(_rosenbrock, np.array([-1.2, 1.0]), abstol=1.0)
    assert f <= 1.0  # stops once f ≤ abstol (a perfect fit, for nnet)

    def wall(t: np.ndarray) -> tuple[float, np.ndarray | None]:  # overflows beyond |t| > 1
        return (math.inf, None) if abs(t[0]) > 1.0 else ((t[0] - 0.9) ** 2, 2 * (t - 0.9))

    x, _, _ = variable_metric(wall, np.array([-0.5]))
    assert x[0] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="not finite at the starting point"):
        variable_metric(wall, np.array([2.0]))
