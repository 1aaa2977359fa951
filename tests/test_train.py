"""Tests for nn/train.py: the fit's gradients against autodiff, its modes, and its refusals."""

import io
import random

import numpy as np
import pytest

from nn import backprop, data
from nn.train import fit, fit_arrays, initial_weights
from nn.two_layer import TwoLayerNet


def _autodiff_gradient(
    alpha: np.ndarray,
    beta: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    output: str,
    loss: str,
    penalty: str | None,
    lam: float,
) -> np.ndarray:
    """∂(Σ_i R_i + λJ)/∂θ from the engine, flattened as (vec α, vec β)."""
    net = TwoLayerNet.from_arrays(alpha, beta, output)
    net.zero_grad()
    net.risk(x, y, loss=loss, penalty=penalty, lam=lam).backward()
    g_alpha, g_beta = net.grad_arrays()
    return np.concatenate([g_alpha.ravel(), g_beta.ravel()])


PAIRINGS = [("identity", "squared", 2), ("softmax", "cross_entropy", 3), ("softmax", "squared", 2)]
PENALTIES = [(None, 0.0), ("weight_decay", 0.3), ("weight_elimination", 0.2)]
CASES = [
    (output, loss, penalty, lam, k) for output, loss, k in PAIRINGS for penalty, lam in PENALTIES
]


def test_the_cases_cover_every_loss_output_penalty_pairing() -> None:
    pairings = {(o, lo) for o in backprop.OUTPUTS for lo in backprop.LOSSES}
    pairings.discard(("identity", "cross_entropy"))  # refused: log f needs probabilities
    assert {(o, lo, pen) for o, lo, pen, _, _ in CASES} == {
        (o, lo, pen) for o, lo in pairings for pen in backprop.PENALTIES
    }


@pytest.mark.parametrize(("output", "loss", "penalty", "lam", "k"), CASES)
def test_batch_step_uses_the_autodiff_gradient(
    output: str, loss: str, penalty: str | None, lam: float, k: int
) -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 3))
    y = np.eye(k)[rng.integers(0, k, size=5)] if output == "softmax" else rng.normal(size=(5, k))
    alpha, beta = initial_weights(3, 4, k, rng)
    theta0 = np.concatenate([alpha.ravel(), beta.ravel()])
    expected = _autodiff_gradient(alpha, beta, x, y, output, loss, penalty, lam)
    # One batch step with γ = 1 moves θ by exactly −gradient (up to rounding of θ − g).
    res = fit_arrays(
        alpha, beta, x, y, output=output, loss=loss, weight_decay=lam,
        penalty=penalty, epochs=1, lr=1.0,
    )
    theta1 = np.concatenate([res.alpha.ravel(), res.beta.ravel()])
    np.testing.assert_allclose(theta0 - theta1, expected, rtol=1e-12, atol=1e-12)
    # The recorded criterion at epoch 0 is the engine's R + λJ.
    net = TwoLayerNet.from_arrays(alpha, beta, output)
    assert res.history.loss[0] == pytest.approx(
        net.risk(x, y, loss=loss, penalty=penalty, lam=lam).data, rel=1e-12
    )


def test_online_epoch_is_a_sequence_of_per_observation_autodiff_steps() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 2))
    y = rng.normal(size=(4, 1))
    alpha, beta = initial_weights(2, 3, 1, rng)
    lam, lr = 0.05, 0.3
    res = fit_arrays(
        alpha, beta, x, y, weight_decay=lam, epochs=1, mode="online", lr=lr,
        schedule="inverse", rng=np.random.default_rng(99),
    )
    order = np.random.default_rng(99).permutation(4)  # the order fit draws for epoch 1
    a, b = alpha.copy(), beta.copy()
    for r, i in enumerate(order, start=1):
        g = _autodiff_gradient(a, b, x[i : i + 1], y[i : i + 1], "identity", "squared",
                               "weight_decay", lam / 4)
        theta = np.concatenate([a.ravel(), b.ravel()]) - (lr / r) * g
        a, b = theta[: a.size].reshape(a.shape), theta[a.size :].reshape(b.shape)
    np.testing.assert_allclose(res.alpha, a, rtol=0, atol=1e-13)
    np.testing.assert_allclose(res.beta, b, rtol=0, atol=1e-13)


def test_fit_updates_the_net_and_reduces_the_criterion() -> None:
    d = data.sum_of_sigmoids(100, 0)
    net = TwoLayerNet(2, 3, 1, rng=np.random.default_rng(1))
    before = net.to_arrays()
    hist = fit(net, d.X, d.Y, weight_decay=0.01, epochs=300, lr=0.002, momentum=0.5)
    assert len(hist.loss) == 301 and len(hist.train_error) == 301
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    after = net.to_arrays()
    assert not np.array_equal(before[0], after[0])
    lam_j = backprop.penalty_value(*after, "weight_decay", 0.01)
    np.testing.assert_allclose(hist.train_error[-1] * 100 + lam_j, hist.loss[-1], rtol=1e-12)


def test_bfgs_reaches_a_stationary_point() -> None:
    d = data.sum_of_sigmoids(100, 3)
    alpha, beta = initial_weights(2, 2, 1, 5)
    res = fit_arrays(alpha, beta, d.X, d.Y, weight_decay=0.01, method="bfgs", epochs=500)
    g_alpha, g_beta = backprop.gradients(
        res.alpha, res.beta, d.X, d.Y, penalty="weight_decay", lam=0.01
    )
    assert max(np.abs(g_alpha).max(), np.abs(g_beta).max()) < 1e-6
    assert res.history.loss[-1] == pytest.approx(min(res.history.loss))
    assert d.relative_error(backprop.forward(res.alpha, res.beta, d.X).f) < 1.5


def test_several_starts_keep_the_lowest_penalised_criterion() -> None:
    d = data.sum_of_sigmoids(60, 8)
    alpha, beta = initial_weights(2, 3, 1, 0)
    res = fit_arrays(alpha, beta, d.X, d.Y, weight_decay=0.001, method="bfgs", epochs=30,
                     starts=4, rng=np.random.default_rng(2))
    h = res.history
    assert len(h.start_losses) == 4
    assert h.best_start == int(np.argmin(h.start_losses))
    assert h.loss[-1] == pytest.approx(min(h.start_losses), rel=1e-12)
    again = fit_arrays(alpha, beta, d.X, d.Y, weight_decay=0.001, method="bfgs", epochs=30,
                       starts=4, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(res.alpha, again.alpha)


def test_early_stopping_returns_the_best_validation_weights() -> None:
    train = data.sum_of_sigmoids(30, 1)
    val = data.sum_of_sigmoids(200, 2)
    alpha, beta = initial_weights(2, 10, 1, 3)
    res = fit_arrays(alpha, beta, train.X, train.Y, epochs=400, method="bfgs",
                     validation=(val.X, val.Y), early_stopping=10)
    h = res.history
    assert h.stopped_early
    assert len(h.val_error) == len(h.loss) == h.best_epoch + 11
    assert h.val_error[h.best_epoch] == min(h.val_error)
    mse = np.mean((val.Y - backprop.forward(res.alpha, res.beta, val.X).f) ** 2)
    assert mse == pytest.approx(h.val_error[h.best_epoch], rel=1e-12)
    patient = fit_arrays(alpha, beta, train.X, train.Y, epochs=5, method="bfgs",
                         validation=(val.X, val.Y), early_stopping=10)
    assert not patient.history.stopped_early


def test_without_early_stopping_the_last_epoch_is_returned_and_reported() -> None:
    train = data.sum_of_sigmoids(30, 1)
    val = data.sum_of_sigmoids(200, 2)
    alpha, beta = initial_weights(2, 10, 1, 3)
    res = fit_arrays(alpha, beta, train.X, train.Y, epochs=60, method="bfgs",
                     validation=(val.X, val.Y))
    h = res.history
    assert len(h.val_error) == len(h.loss) == h.best_epoch + 1  # the last epoch run
    assert h.val_error[h.best_epoch] > min(h.val_error)  # overfits: not the best validation
    mse = np.mean((val.Y - backprop.forward(res.alpha, res.beta, val.X).f) ** 2)
    assert mse == pytest.approx(h.val_error[h.best_epoch], rel=1e-12)
    assert not h.stopped_early


def test_extra_starts_use_the_nets_init_range() -> None:
    d = data.sum_of_sigmoids(10, 0)
    for init_range in (0.01, 3.0):
        net = TwoLayerNet(2, 3, 1, rng=0, init_range=init_range)
        hist = fit(net, d.X, d.Y, epochs=1, lr=1e-12, starts=2, rng=4)
        a, b = initial_weights(2, 3, 1, 4, init_range)  # batch mode draws nothing else
        assert hist.start_losses[1] == pytest.approx(backprop.risk(a, b, d.X, d.Y), rel=1e-9)
    assert TwoLayerNet.from_arrays(*net.to_arrays(), init_range=5.0).init_range == 5.0
    assert TwoLayerNet.from_arrays(*net.to_arrays()).init_range == 0.7


def test_fit_takes_the_random_sources_the_net_takes() -> None:
    d = data.sum_of_sigmoids(10, 0)
    for rng in (random.Random(1), np.int64(1), 1, np.random.default_rng(1)):
        net = TwoLayerNet(2, 2, 1, rng=rng)
        fit(net, d.X, d.Y, epochs=2, lr=0.01, mode="online", starts=2, rng=rng)
    with pytest.raises(TypeError, match=r"rng must be .*, got float"):
        fit(TwoLayerNet(2, 2, 1), d.X, d.Y, lr=0.01, starts=2, rng=1.0)  # type: ignore[arg-type]


def test_penalty_none_means_no_penalty() -> None:
    d = data.sum_of_sigmoids(10, 0)
    alpha, beta = initial_weights(2, 2, 1, 0)
    plain = fit_arrays(alpha, beta, d.X, d.Y, epochs=3, lr=0.01, penalty=None)
    default = fit_arrays(alpha, beta, d.X, d.Y, epochs=3, lr=0.01)
    np.testing.assert_array_equal(plain.alpha, default.alpha)
    with pytest.raises(ValueError, match="penalty=None"):
        fit_arrays(alpha, beta, d.X, d.Y, epochs=3, lr=0.01, penalty=None, weight_decay=0.1)


def test_a_bad_callable_schedule_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fit started before checking the schedule")

    monkeypatch.setattr(backprop, "risk_and_gradients", no_work)
    with pytest.raises(ValueError, match="schedule returned a non-positive"):
        _bad(schedule=lambda r: 0.0)
    with pytest.raises(TypeError):
        _bad(schedule=lambda: 0.1)


def test_classification_with_adam() -> None:
    d = data.two_class(200, 4)
    net = TwoLayerNet(2, 4, 2, "softmax", rng=np.random.default_rng(0))
    hist = fit(net, d.X, d.Y, epochs=300, method="adam", lr=0.05)
    predicted = net.predict(d.X).argmax(axis=1)
    assert hist.loss[-1] < hist.loss[0]
    assert np.mean(predicted == d.labels) > 0.85


def test_progress_line_only_when_asked() -> None:
    d = data.sum_of_sigmoids(20, 0)
    alpha, beta = initial_weights(2, 2, 1, 0)
    quiet = io.StringIO()
    fit_arrays(alpha, beta, d.X, d.Y, epochs=3, lr=0.01, stream=quiet)
    assert quiet.getvalue() == ""  # a StringIO is not a terminal
    loud = io.StringIO()
    fit_arrays(alpha, beta, d.X, d.Y, epochs=3, lr=0.01, stream=loud, progress=True)
    assert "epoch" in loud.getvalue() and loud.getvalue().endswith("\n")


def _bad(**kwargs: object) -> None:
    d = data.sum_of_sigmoids(10, 0)
    alpha, beta = initial_weights(2, 2, 1, 0)
    args = {"x": d.X, "y": d.Y, "lr": 0.01, "epochs": 2}
    args.update(kwargs)
    fit_arrays(alpha, beta, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": np.zeros((10, 3))}, "columns"),
        ({"y": np.zeros((9, 1))}, "Y must be"),
        ({"x": np.full((10, 2), np.nan)}, "NaN"),
        ({"y": np.full((10, 1), np.inf)}, "NaN"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"lr": 0.0}, "learning rate"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": None}, "learning rate"),
        ({"method": "bfgs"}, "no learning rate"),
        ({"method": "bfgs", "lr": None, "mode": "online"}, "batch"),
        ({"mode": "stochastic"}, "mode"),
        ({"method": "lbfgs"}, "method"),
        ({"epochs": 0}, "epochs"),
        ({"starts": 2}, "rng"),
        ({"mode": "online"}, "rng"),
        ({"early_stopping": 5}, "validation"),
        ({"loss": "cross_entropy"}, "softmax"),
        ({"penalty": "lasso"}, "penalty"),
        ({"schedule": "cosine"}, "schedule"),
        ({"momentum": 1.5}, "momentum"),
        ({"validation": (np.zeros((5, 2)), np.zeros((4, 1)))}, "validation"),
        ({"x": np.zeros((0, 2)), "y": np.zeros((0, 1))}, r"X has no rows.*N >= 1"),
        ({"y": np.zeros(0)}, "Y has no rows"),
        ({"validation": (np.zeros((0, 2)), np.zeros((0, 1)))}, "X_val has no rows"),
        ({"weight_decay": float("nan")}, "weight_decay"),
        ({"init_range": -1.0}, "init_range"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _bad(**kwargs)


def test_fit_refuses_output_and_mismatched_net() -> None:
    net = TwoLayerNet(3, 2, 1)
    d = data.sum_of_sigmoids(10, 0)
    with pytest.raises(ValueError, match="columns"):
        fit(net, d.X, d.Y, lr=0.1)
    with pytest.raises(TypeError, match="output"):
        fit(net, d.X, d.Y, lr=0.1, output="softmax")  # type: ignore[call-arg]


def test_a_callable_schedule_needs_no_lr() -> None:
    train = data.sum_of_sigmoids(20, rng=np.random.default_rng(0))
    net = TwoLayerNet(2, 2, 1, rng=np.random.default_rng(1))
    hist = fit(net, train.X, train.Y, epochs=3, schedule=lambda r: 1e-3 / r, progress=False)
    assert hist.loss[-1] < hist.loss[0]
