"""Tests for nn/objectives.py: how a model gives fit its risk and gradients.

The lecture's net supplies the closed form, any other module gets the tape, and a model of
the user's own can supply an objective of its own through the same protocol; objectives
compute the unpenalised Σ_i R_i, and the criterion adds λJ.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Value
from nn import MLP, Module, Parameter, TwoLayerNet, backprop, data, fit, predict
from nn.losses import squared_error, total
from nn.objectives import ClosedForm, Criterion, Objective, Traced, objective_for
from nn.settings import FitOptions

Array = np.ndarray


def test_each_model_gets_its_objective_without_asking_its_type() -> None:
    assert isinstance(objective_for(TwoLayerNet(2, 3, 1), None, 2), ClosedForm)
    assert isinstance(objective_for(MLP(2, [3, 1]), None, 2), Traced)
    with pytest.raises(TypeError, match="must be an nn Module, got str"):
        objective_for("net", None, 2)  # type: ignore[arg-type]


class LeastSquares:
    """A hand-written objective: the line y = w x + b, its risk and gradient in numpy."""

    n_inputs = 1

    def __init__(self, line: Line) -> None:
        self.line, self.calls = line, 0

    def read(self) -> Array:
        return np.array([self.line.w.data, self.line.b.data])

    def write(self, theta: Array) -> None:
        self.line.w.data, self.line.b.data = theta.tolist()

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        self.calls += 1
        r = y[:, 0] - (theta[0] * x[:, 0] + theta[1])
        grad = np.array([-2.0 * (r * x[:, 0]).sum(), -2.0 * r.sum()]) if need_grad else None
        return float((r * r).sum()), grad

    def predict(self, theta: Array, x: Array) -> Array:
        return theta[0] * x + theta[1]


class Line(Module):
    """y = w x + b, which supplies its own objective (closed form) through the protocol."""

    def __init__(self) -> None:
        self.w, self.b = Parameter(0.5), Parameter(0.0)
        self.objectives: list[LeastSquares] = []

    def forward(self, x: list[Value]) -> Value:
        return self.w * x[0] + self.b

    def fit_objective(self, loss: object) -> Objective:
        if loss not in (None, "squared"):
            raise ValueError(f"Line has squared error only, got {loss!r}")
        self.objectives.append(LeastSquares(self))
        return self.objectives[-1]


def test_a_model_of_ones_own_supplies_its_objective() -> None:
    x = np.linspace(-1, 1, 9)[:, None]
    y = 3 * x - 1 + 0.1 * np.cos(7 * x)
    line = Line()
    fit(line, x, y, method="bfgs", penalty=None)
    slope, intercept = np.polyfit(x[:, 0], y[:, 0], 1)
    assert (line.w.data, line.b.data) == pytest.approx((slope, intercept), rel=1e-4)
    assert line.objectives[0].calls > 1  # fit ran on the objective the model supplied
    np.testing.assert_allclose(predict(line, x), slope * x + intercept, rtol=1e-4)
    assert len(line.objectives) == 2  # predict asked the model too
    with pytest.raises(ValueError, match="squared error only"):
        fit(line, x, y, loss="hinge", lr=0.1)


def test_objectives_give_the_unpenalised_risk_and_the_criterion_adds_the_penalty() -> None:
    d = data.sum_of_sigmoids(12, 3)
    net = TwoLayerNet(2, 3, 1, rng=1)
    closed = ClosedForm(net)
    theta = closed.read()
    value, grad = closed.risk(theta, d.X, d.Y, True)
    want = backprop.risk_and_gradients(*net.to_arrays(), d.X, d.Y, penalty=None)
    assert value == want[0]
    np.testing.assert_array_equal(grad, np.concatenate([want[1].ravel(), want[2].ravel()]))
    crit = Criterion(closed, d.X, d.Y, FitOptions(lam=0.3, lr=0.1))
    total_value, data_value, total_grad = crit(theta, True)
    assert data_value == value
    assert total_value == pytest.approx(value + 0.3 * (theta**2).sum(), rel=1e-14)
    np.testing.assert_allclose(total_grad, grad + 0.6 * theta, rtol=1e-14)
    mlp = MLP(2, [3, 1], rng=0)
    traced = Traced(mlp, None, 2)
    r_i = [squared_error([mlp(xi)[0]], yi) for xi, yi in zip(d.X.tolist(), d.Y.tolist(),
                                                             strict=True)]
    assert traced.risk(traced.read(), d.X, d.Y, False)[0] == pytest.approx(total(r_i).data,
                                                                            rel=1e-14)


def test_the_closed_form_has_the_registrys_pairings_only() -> None:
    with pytest.raises(ValueError, match="closed form, which has the losses"):
        ClosedForm(TwoLayerNet(2, 2, 1), "hinge")
    with pytest.raises(ValueError, match=r"needs output in \('softmax',\)"):
        ClosedForm(TwoLayerNet(2, 2, 1), "cross_entropy")
    assert ClosedForm(TwoLayerNet(2, 2, 2, "softmax")).loss == "cross_entropy"
    assert ClosedForm(TwoLayerNet(2, 2, 2, "softmax"), "squared").loss == "squared"


def test_a_tape_prediction_at_other_weights_leaves_the_model_as_it_was() -> None:
    mlp = MLP(2, [3, 1], rng=0)
    traced = Traced(mlp, None, 2)
    held = traced.read()
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    shifted = traced.predict(held + 1.0, x)
    np.testing.assert_array_equal(traced.read(), held)
    assert not np.allclose(shifted, traced.predict(held, x))


def test_writing_theta_sets_every_parameter_in_order() -> None:
    mlp = MLP(2, [3, 1], rng=0)
    traced = Traced(mlp, None, 2)
    theta = np.arange(traced.read().size, dtype=np.float64)
    traced.write(theta)
    assert [p.data for p in mlp.parameters()] == theta.tolist()
    with pytest.raises(ValueError, match="no parameters"):
        Traced(Module(), None, 2)
