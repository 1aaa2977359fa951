"""Tests for nn/train.py: fit's gradients against autodiff, for the lecture's net and any module;
its options, divergence errors, interruption, progress bar; predict; checks made once; the
size of the nn modules."""

import dataclasses
import io
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, no_grad
from nn import MLP, Module, Parameter, backprop, data
from nn.losses import hinge, squared_error, total
from nn.rng import uniform_weights
from nn.train import DivergenceError, Epoch, FitOptions, History, fit, predict
from nn.two_layer import TwoLayerNet


def _theta(model: Module) -> np.ndarray:
    return np.array([p.data for p in model.parameters()])


def _autodiff_gradient(
    alpha: np.ndarray, beta: np.ndarray, x: np.ndarray, y: np.ndarray,
    output: str, loss: str, penalty: str | None, lam: float,
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
    net = TwoLayerNet(3, 4, k, output, rng=rng)
    alpha, beta = net.to_arrays()
    expected = _autodiff_gradient(alpha, beta, x, y, output, loss, penalty, lam)
    # One batch step with γ = 1 moves θ by exactly −gradient (up to rounding of θ − g).
    hist = fit(net, x, y, loss=loss, lam=lam, penalty=penalty, epochs=1, lr=1.0)
    theta1 = np.concatenate([w.ravel() for w in net.to_arrays()])
    theta0 = np.concatenate([alpha.ravel(), beta.ravel()])
    np.testing.assert_allclose(theta0 - theta1, expected, rtol=1e-12, atol=1e-12)
    start = TwoLayerNet.from_arrays(alpha, beta, output)
    assert hist.loss[0] == pytest.approx(
        start.risk(x, y, loss=loss, penalty=penalty, lam=lam).data, rel=1e-12
    )


def test_online_epoch_is_a_sequence_of_per_observation_autodiff_steps() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 2))
    y = rng.normal(size=(4, 1))
    net = TwoLayerNet(2, 3, 1, rng=rng)
    a, b = net.to_arrays()
    lam, lr = 0.05, 0.3
    fit(net, x, y, lam=lam, epochs=1, mode="online", lr=lr, schedule="inverse",
        rng=np.random.default_rng(99))
    order = np.random.default_rng(99).permutation(4)  # the order fit draws for epoch 1
    for r, i in enumerate(order, start=1):
        g = _autodiff_gradient(a, b, x[i : i + 1], y[i : i + 1], "identity", "squared",
                               "weight_decay", lam / 4)
        theta = np.concatenate([a.ravel(), b.ravel()]) - (lr / r) * g
        a, b = theta[: a.size].reshape(a.shape), theta[a.size :].reshape(b.shape)
    np.testing.assert_allclose(net.to_arrays()[0], a, rtol=0, atol=1e-13)
    np.testing.assert_allclose(net.to_arrays()[1], b, rtol=0, atol=1e-13)


def _engine_gradient(model: Module, x: np.ndarray, y: np.ndarray, loss, lam: float,
                     scale: float) -> np.ndarray:
    """∂(scale·Σ_i R_i + λΣθ²)/∂θ by the scalar engine's backward(), one graph per example."""
    model.zero_grad()
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        out = model(xi)
        (scale * loss(out if isinstance(out, list) else [out], yi)).backward()
    (lam * total(p * p for p in model.parameters())).backward()
    return np.array([p.grad for p in model.parameters()])


@pytest.mark.parametrize(("loss", "scale", "k"), [(hinge, "mean", 1), (squared_error, "sum", 2)])
def test_an_mlp_step_uses_the_engines_backward_gradient(loss, scale: str, k: int) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 2))
    y = np.sign(rng.standard_normal((7, k)))
    model = MLP(2, [5, 4, k], activation="relu", rng=1)
    theta0 = _theta(model)
    expected = _engine_gradient(model, x, y, loss, 1e-3, 1 / 7 if scale == "mean" else 1.0)
    fit(model, x, y, loss=loss.__name__.replace("squared_error", "squared"), lam=1e-3,
        scale=scale, epochs=1, lr=1.0)
    np.testing.assert_allclose(theta0 - _theta(model), expected, rtol=1e-12, atol=1e-12)


def test_a_callable_loss_and_a_module_returning_one_value() -> None:
    class Line(Module):
        def __init__(self) -> None:
            self.w, self.b = Parameter(0.5), Parameter(0.0)

        def forward(self, x: list[Value]) -> Value:
            return self.w * x[0] + self.b

    x = np.linspace(-1, 1, 9)[:, None]
    y = 3 * x - 1 + 0.1 * np.cos(7 * x)  # not a perfect fit: nnet's BFGS stops at f ≤ 1e-4
    line = Line()
    hist = fit(line, x, y, loss=lambda f, t: (f[0] - t[0]) ** 2, method="bfgs", penalty=None)
    slope, intercept = np.polyfit(x[:, 0], y[:, 0], 1)  # least squares
    assert line.w.data == pytest.approx(slope, rel=1e-4)
    assert line.b.data == pytest.approx(intercept, rel=1e-4)
    assert hist.loss[-1] == pytest.approx(np.sum((slope * x + intercept - y) ** 2), rel=1e-7)
    np.testing.assert_allclose(predict(line, x)[:, 0], line.w.data * x[:, 0] + line.b.data,
                               rtol=1e-14)


def test_predict_matches_the_scalar_forward_for_any_module() -> None:
    x = np.random.default_rng(0).standard_normal((6, 3))
    mlp = MLP(3, [4, 2], rng=2)
    expected = [[v.data for v in mlp(row)] for row in x.tolist()]
    np.testing.assert_allclose(predict(mlp, x), expected, rtol=1e-14)
    net = TwoLayerNet(3, 2, 2, "softmax", rng=1)
    np.testing.assert_allclose(predict(net, x), net.predict(x), rtol=1e-14)
    assert predict(mlp, x).shape == (6, 2)


def test_fit_updates_the_net_and_reduces_the_criterion() -> None:
    d = data.sum_of_sigmoids(100, 0)
    net = TwoLayerNet(2, 3, 1, rng=np.random.default_rng(1))
    before = net.to_arrays()
    hist = fit(net, d.X, d.Y, lam=0.01, epochs=300, lr=0.002, momentum=0.5)
    assert len(hist.loss) == 301 and len(hist.train_error) == 301
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    after = net.to_arrays()
    assert not np.array_equal(before[0], after[0])
    lam_j = backprop.penalty(*after, "weight_decay", 0.01)[0]
    np.testing.assert_allclose(hist.train_error[-1] * 100 + lam_j, hist.loss[-1], rtol=1e-12)
    assert repr(hist).startswith("History(gd batch, 300 epochs") and "\n" not in repr(hist)


def test_bfgs_stops_as_nnet_does_near_a_stationary_point() -> None:
    d = data.sum_of_sigmoids(100, 3)
    net = TwoLayerNet(2, 2, 1, rng=5)
    hist = fit(net, d.X, d.Y, lam=0.01, method="bfgs", epochs=500)
    assert len(hist.loss) - 1 < 500  # stopped by nnet's rule: a relative decrease ≤ 1e-8
    assert hist.loss[-2] - hist.loss[-1] <= 1e-8 * (hist.loss[-2] + 1e-8)
    assert all(np.diff(hist.loss) < 0)  # every iteration lowers the criterion
    g_alpha, g_beta = backprop.gradients(*net.to_arrays(), d.X, d.Y, lam=0.01)
    assert max(np.abs(g_alpha).max(), np.abs(g_beta).max()) < 1e-3
    assert hist.loss[-1] == pytest.approx(backprop.risk(*net.to_arrays(), d.X, d.Y, lam=0.01),
                                          rel=1e-14)


def test_several_starts_keep_the_lowest_criterion_and_draw_on_init_range() -> None:
    d = data.sum_of_sigmoids(60, 8)
    net = TwoLayerNet(2, 3, 1, rng=0, init_range=0.01)
    first = net.to_arrays()
    h = fit(net, d.X, d.Y, lam=0.001, method="bfgs", epochs=30, starts=4, rng=2)
    assert len(h.start_losses) == 4
    assert h.best_start == int(np.argmin(h.start_losses))
    assert h.loss[-1] == pytest.approx(min(h.start_losses), rel=1e-12)
    again = TwoLayerNet.from_arrays(*first, init_range=0.01)
    fit(again, d.X, d.Y, lam=0.001, method="bfgs", epochs=30, starts=4, rng=2)
    np.testing.assert_array_equal(net.to_arrays()[0], again.to_arrays()[0])
    seen: list[np.ndarray] = []
    fit(TwoLayerNet(2, 3, 1, init_range=3.0), d.X, d.Y, epochs=1, lr=1e-3, starts=2, rng=4,
        observers=[lambda ev: seen.append(ev.theta.copy()) if ev.epoch == 0 else None])
    np.testing.assert_array_equal(seen[1], uniform_weights(13, np.random.default_rng(4), 3.0))


def test_early_stopping_returns_the_best_validation_weights() -> None:
    train = data.sum_of_sigmoids(30, 1)
    val = data.sum_of_sigmoids(200, 2)
    net = TwoLayerNet(2, 10, 1, rng=3)
    h = fit(net, train.X, train.Y, epochs=400, method="bfgs", penalty=None,
            validation=(val.X, val.Y), early_stopping=10)
    assert h.stopped_early
    assert len(h.val_error) == len(h.loss) == h.best_epoch + 11
    assert h.val_error[h.best_epoch] == min(h.val_error)
    mse = np.mean((val.Y - net.predict(val.X)) ** 2)
    assert mse == pytest.approx(h.val_error[h.best_epoch], rel=1e-12)


def test_without_early_stopping_the_last_epoch_is_returned() -> None:
    train = data.sum_of_sigmoids(30, 1)
    val = data.sum_of_sigmoids(200, 2)
    net = TwoLayerNet(2, 10, 1, rng=3)
    h = fit(net, train.X, train.Y, epochs=60, method="bfgs", validation=(val.X, val.Y))
    assert len(h.val_error) == len(h.loss) == h.best_epoch + 1 == 61
    assert h.val_error[-1] > min(h.val_error)  # overfits: not the best validation epoch
    assert np.mean((val.Y - net.predict(val.X)) ** 2) == pytest.approx(h.val_error[-1])
    assert not h.stopped_early


def test_fit_takes_the_random_sources_the_net_takes() -> None:
    d = data.sum_of_sigmoids(10, 0)
    for rng in (random.Random(1), np.int64(1), 1, np.random.default_rng(1)):
        net = TwoLayerNet(2, 2, 1, rng=rng)
        fit(net, d.X, d.Y, epochs=2, lr=0.01, mode="online", starts=2, rng=rng)
    with pytest.raises(TypeError, match=r"rng must be .*, got float"):
        fit(TwoLayerNet(2, 2, 1), d.X, d.Y, lr=0.01, starts=2, rng=1.0)


def test_penalty_none_means_no_penalty_and_lam_has_one_default_penalty() -> None:
    d = data.sum_of_sigmoids(10, 0)
    nets = [TwoLayerNet(2, 2, 1, rng=0) for _ in range(3)]
    fit(nets[0], d.X, d.Y, epochs=3, lr=0.01, penalty=None)
    fit(nets[1], d.X, d.Y, epochs=3, lr=0.01)
    np.testing.assert_array_equal(nets[0].to_arrays()[0], nets[1].to_arrays()[0])
    h = fit(nets[2], d.X, d.Y, epochs=0 + 1, lr=1e-9, lam=0.5)
    alpha, beta = TwoLayerNet(2, 2, 1, rng=0).to_arrays()
    assert h.loss[0] == pytest.approx(backprop.risk(alpha, beta, d.X, d.Y, lam=0.5), rel=1e-12)
    assert h.loss[0] == pytest.approx(
        TwoLayerNet(2, 2, 1, rng=0).risk(d.X, d.Y, lam=0.5).data, rel=1e-12)
    with pytest.raises(ValueError, match="penalty=None"):
        fit(nets[0], d.X, d.Y, epochs=3, lr=0.01, penalty=None, lam=0.1)


def test_a_bad_callable_schedule_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fit started before checking the schedule")

    monkeypatch.setattr(backprop, "evaluate", no_work)  # the kernel fit's closed form runs
    with pytest.raises(AssertionError, match="before checking"):  # (it is the one fit calls)
        _bad()
    with pytest.raises(ValueError, match="schedule returned a non-positive"):
        _bad(schedule=lambda r: 0.0)
    with pytest.raises(TypeError):
        _bad(schedule=lambda: 0.1)


def test_classification_with_adam() -> None:
    d = data.two_class(200, 4)
    net = TwoLayerNet(2, 4, 2, "softmax", rng=np.random.default_rng(0))
    hist = fit(net, d.X, d.Y, epochs=300, method="adam", lr=0.05)
    assert hist.loss[-1] < hist.loss[0]
    assert np.mean(net.predict(d.X).argmax(axis=1) == d.labels) > 0.85


@pytest.mark.parametrize("lr", [10.0, 1e3])
def test_divergence_is_an_error_naming_the_rate_and_the_epoch(lr: float) -> None:
    d = data.sum_of_sigmoids(100, np.random.default_rng(2009))  # the lecture's data
    net = TwoLayerNet(2, 10, 1, rng=np.random.default_rng(2010))
    before = net.to_arrays()
    with pytest.raises(DivergenceError, match=rf"epoch \d+.*lr={lr:g}.*lower the learning rate"):
        fit(net, d.X, d.Y, lam=0.1, epochs=4000, lr=lr)
    np.testing.assert_array_equal(net.to_arrays()[0], before[0])  # left unchanged


def test_an_overflowing_mlp_diverges_and_overflowing_data_is_refused_at_the_start() -> None:
    d = data.sum_of_sigmoids(20, 0)
    with pytest.raises(DivergenceError, match="lr=1e\\+06"):
        fit(MLP(2, [8, 1], rng=0), d.X, d.Y, epochs=50, lr=1e6)
    for model in (TwoLayerNet(2, 2, 1), MLP(2, [3, 1], rng=0)):
        before = _theta(model)
        for method in ("bfgs", "gd"):  # so BFGS never ends on an infinite criterion
            with pytest.raises(ValueError, match=r"not finite at the starting weights.*scale"):
                fit(model, d.X, d.Y * 1e200, method=method, lr=None if method == "bfgs" else 0.1)
        np.testing.assert_array_equal(_theta(model), before)


def test_progress_bar_leaves_nothing_behind_and_ends_on_the_last_epoch() -> None:
    d = data.sum_of_sigmoids(20, 0)
    quiet = io.StringIO()
    fit(TwoLayerNet(2, 2, 1), d.X, d.Y, epochs=3, lr=0.01, stream=quiet)
    assert quiet.getvalue() == ""  # a StringIO is not a terminal
    loud = io.StringIO()
    fit(TwoLayerNet(2, 2, 1), d.X, d.Y, epochs=50, lr=0.01, stream=loud, progress=True)
    text = loud.getvalue()
    assert "\n" not in text  # one line, rewritten in place
    frames = [f for f in text.split("\r") if f.strip()]
    assert "50/50" in frames[-1]  # the last frame drawn shows the final epoch
    assert text.rstrip(" ").endswith("\r")  # then it is blanked: nothing is left on screen


def _bad(**kwargs: object) -> None:
    d = data.sum_of_sigmoids(10, 0)
    args = {"X": d.X, "Y": d.Y, "lr": 0.01, "epochs": 2}
    args.update(kwargs)
    fit(TwoLayerNet(2, 2, 1), args.pop("X"), args.pop("Y"), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((10, 3))}, r"X must have shape \(N, 2\)"),
        ({"Y": np.zeros((9, 1))}, "Y must have shape"),
        ({"X": np.full((10, 2), np.nan)}, "X must be finite"),
        ({"Y": np.full((10, 1), np.inf)}, "Y must be finite"),
        ({"lam": -0.1}, "lam"),
        ({"lam": float("nan")}, "lam"),
        ({"lr": 0.0}, "learning rate"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": None}, "learning rate"),
        ({"method": "bfgs"}, "no learning rate"),
        ({"method": "bfgs", "lr": None, "mode": "online", "rng": 0}, "batch"),
        ({"mode": "stochastic"}, "mode"),
        ({"method": "lbfgs"}, "method"),
        ({"scale": "median"}, "scale"),
        ({"epochs": 0}, "epochs"),
        ({"starts": 2}, "rng"),
        ({"mode": "online"}, "rng"),
        ({"early_stopping": 5}, "validation"),
        ({"loss": "cross_entropy"}, "softmax"),
        ({"loss": "hinge"}, "closed form"),
        ({"loss": "l1"}, "loss"),
        ({"penalty": "lasso"}, "penalty"),
        ({"schedule": "cosine"}, "schedule"),
        ({"momentum": 1.5}, "momentum"),
        ({"method": "adam", "momentum": 0.5}, "momentum"),
        ({"validation": (np.zeros((5, 2)), np.zeros((4, 1)))}, "Y_val"),
        ({"X": np.zeros((0, 2)), "Y": np.zeros((0, 1))}, r"X must .* \(at least one row"),
        ({"Y": np.zeros(0)}, "Y must have shape"),
        ({"validation": (np.zeros((0, 2)), np.zeros((0, 1)))}, "X_val must have shape"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _bad(**kwargs)


def test_options_are_one_frozen_checked_object() -> None:
    opts = FitOptions(lam=1e-4, scale="mean", epochs=3, lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.lam = 1.0  # type: ignore[misc]
    d = data.sum_of_sigmoids(10, 0)
    a, b = TwoLayerNet(2, 2, 1), TwoLayerNet(2, 2, 1)
    assert fit(a, d.X, d.Y, opts).loss == fit(b, d.X, d.Y, lam=1e-4, scale="mean", epochs=3,
                                              lr=0.1).loss
    with pytest.raises(TypeError, match="not both"):
        fit(a, d.X, d.Y, opts, lr=0.2)
    with pytest.raises(TypeError, match="weight_decay"):
        fit(a, d.X, d.Y, lr=0.1, weight_decay=0.1)
    with pytest.raises(TypeError, match="lam must be a real number"):
        FitOptions(lam="0.1", lr=0.1)  # type: ignore[arg-type]


@settings(max_examples=20, deadline=None)
@given(lam=st.floats(0, 10), scale=st.sampled_from(["sum", "mean"]),
       n=st.integers(1, 6), seed=st.integers(0, 99))
def test_scale_and_lambda_define_the_recorded_criterion(
    lam: float, scale: str, n: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, 2)), rng.standard_normal((n, 1))
    net = TwoLayerNet(2, 3, 1, rng=rng)
    alpha, beta = net.to_arrays()
    h = fit(net, x, y, lam=lam, scale=scale, epochs=1, lr=1e-9)
    data_risk = backprop.risk(alpha, beta, x, y, penalty=None)
    want = (data_risk if scale == "sum" else data_risk / n) + backprop.penalty(
        alpha, beta, "weight_decay", lam)[0]
    assert h.loss[0] == pytest.approx(want, rel=1e-12, abs=1e-300)
    assert h.train_error[0] == pytest.approx(data_risk / n, rel=1e-12)


def test_history_plot_returns_the_axes() -> None:
    from matplotlib.figure import Figure

    d = data.sum_of_sigmoids(10, 0)
    val = data.sum_of_sigmoids(10, 1)
    h = fit(TwoLayerNet(2, 2, 1), d.X, d.Y, epochs=5, lr=0.01, validation=(val.X, val.Y))
    ax = Figure().add_subplot()
    assert h.plot(ax) is ax
    assert len(ax.get_lines()) == 2
    assert repr(History()) == "History(empty)"


def test_history_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    d = data.sum_of_sigmoids(10, 0)
    h = fit(TwoLayerNet(2, 2, 1), d.X, d.Y, epochs=2, lr=0.01)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"deltagrad\[plot\]"):
        h.plot()


# --- interruption: Ctrl-C keeps the last finished epoch of the best start -------------------


def _interrupt_at(start: int, epoch: int, seen: list[Epoch]) -> Callable[[Epoch], None]:
    """An observer that records every epoch and presses Ctrl-C at (start, epoch)."""

    def observe(ev: Epoch) -> None:
        if (ev.start, ev.epoch) == (start, epoch):
            raise KeyboardInterrupt
        seen.append(ev)

    return observe


MODELS = {"closed_form": lambda: TwoLayerNet(2, 3, 1, rng=0), "tape": lambda: MLP(2, [3, 1],
                                                                                  rng=0)}


@pytest.mark.parametrize("method", ["gd", "bfgs"])
@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_an_interrupt_keeps_the_last_finished_epoch_and_attaches_the_history(
    make: Callable[[], Module], method: str
) -> None:
    d = data.sum_of_sigmoids(30, 0)
    seen: list[Epoch] = []
    lr = None if method == "bfgs" else 0.01
    model = make()
    with pytest.raises(KeyboardInterrupt) as caught:
        fit(model, d.X, d.Y, epochs=20, method=method, lr=lr, lam=0.01,
            observers=[_interrupt_at(0, 5, seen)])
    history = caught.value.history  # type: ignore[attr-defined]
    assert history.interrupted and "interrupted" in repr(history)
    assert len(history.loss) == len(history.train_error) == 5  # epochs 0..4 finished
    assert history.loss == [ev.loss for ev in seen] and history.best_epoch == 4
    np.testing.assert_array_equal(_theta(model), seen[-1].theta)
    assert not np.array_equal(_theta(model), seen[0].theta)  # not rolled back to the start
    quiet = fit(make(), d.X, d.Y, epochs=4, method=method, lr=lr, lam=0.01)
    assert quiet.loss == history.loss  # the same epochs as an uninterrupted fit of 4


def test_an_interrupt_in_a_later_start_keeps_the_best_start_so_far() -> None:
    d = data.sum_of_sigmoids(30, 0)
    finished: list[Epoch] = []
    with pytest.raises(KeyboardInterrupt) as caught:
        fit(TwoLayerNet(2, 3, 1, rng=0), d.X, d.Y, epochs=30, method="bfgs", starts=3, rng=1,
            observers=[_interrupt_at(1, 1, finished)])
    history = caught.value.history  # type: ignore[attr-defined]
    start0 = [ev for ev in finished if ev.start == 0]
    start1 = [ev for ev in finished if ev.start == 1]
    assert len(start1) == 1  # start 1 finished its epoch 0 only
    assert history.start_losses == [start0[-1].loss, start1[0].loss]
    best = int(np.argmin(history.start_losses))
    assert history.best_start == best and history.interrupted
    kept = (start0[-1] if best == 0 else start1[0])
    assert history.loss[-1] == kept.loss


def test_an_interrupt_before_the_first_epoch_ends_changes_nothing() -> None:
    d = data.sum_of_sigmoids(20, 0)
    net = TwoLayerNet(2, 3, 1, rng=0)
    before = _theta(net)
    with pytest.raises(KeyboardInterrupt) as caught:
        fit(net, d.X, d.Y, epochs=5, lr=0.01, observers=[_interrupt_at(0, 0, [])])
    history = caught.value.history  # type: ignore[attr-defined]
    assert history.interrupted and history.loss == [] and history.start_losses == []
    np.testing.assert_array_equal(_theta(net), before)


def test_an_interrupt_during_an_online_epoch_keeps_the_epoch_before() -> None:
    d = data.sum_of_sigmoids(20, 0)
    net = TwoLayerNet(2, 3, 1, rng=0)
    seen: list[Epoch] = []
    steps = iter(range(10_000))

    def schedule(r: int) -> float:  # called once per update: Ctrl-C in update 30 (epoch 2)
        if next(steps) == 30:
            raise KeyboardInterrupt
        return 0.05

    with pytest.raises(KeyboardInterrupt) as caught:
        fit(net, d.X, d.Y, epochs=5, mode="online", schedule=schedule, rng=0,
            observers=[seen.append])
    assert [ev.epoch for ev in seen] == [0, 1]
    np.testing.assert_array_equal(_theta(net), seen[-1].theta)
    assert len(caught.value.history.loss) == 2  # type: ignore[attr-defined]


# --- explicit derivative requests ignore an enclosing no_grad (issue 15) ----------------------


def test_predict_inside_no_grad_is_predict_outside() -> None:
    x = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    outside = predict(MLP(2, [4, 1], rng=0), x)
    with no_grad():
        inside = predict(MLP(2, [4, 1], rng=0), x)
    np.testing.assert_array_equal(inside, outside)
    assert len(set(outside[:, 0].tolist())) == 3  # not row 0 for every row


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_fit_inside_no_grad_trains_as_outside(make: Callable[[], Module]) -> None:
    d = data.sum_of_sigmoids(20, 0)
    outside, inside = make(), make()
    start = _theta(inside)
    h_out = fit(outside, d.X, d.Y, epochs=5, lr=0.01)
    with no_grad():
        h_in = fit(inside, d.X, d.Y, epochs=5, lr=0.01)
    assert h_in.loss[-1] < h_in.loss[0] and h_in.loss == h_out.loss
    assert not np.array_equal(_theta(inside), start)
    np.testing.assert_array_equal(_theta(inside), _theta(outside))


# --- inputs are checked once, at the public boundary ----------------------------------------


def _check_calls(run: Callable[[], object]) -> Counter[str]:
    """The calls ``run`` makes into the argument checks (nn/args.py, nn/options.py), by name."""
    checks = {str(Path(nn.args.__file__)), str(Path(nn.options.__file__))}
    calls: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename in checks:
            calls[frame.f_code.co_name] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("method", ["gd", "bfgs"])
@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_fit_checks_its_inputs_once_not_at_every_evaluation(
    make: Callable[[], Module], method: str
) -> None:
    d = data.sum_of_sigmoids(20, 0)
    lr = None if method == "bfgs" else 1e-3
    short = _check_calls(lambda: fit(make(), d.X, d.Y, epochs=1, lr=lr, method=method, lam=0.1))
    long = _check_calls(lambda: fit(make(), d.X, d.Y, epochs=30, lr=lr, method=method,
                                    lam=0.1))
    assert short == long and short["matrix"] == 2  # X and Y, once per fit


def test_the_closed_form_checks_each_argument_once() -> None:
    d = data.sum_of_sigmoids(20, 0)
    alpha, beta = TwoLayerNet(2, 3, 1).to_arrays()
    calls = _check_calls(lambda: backprop.risk_and_gradients(alpha, beta, d.X, d.Y))
    assert calls["matrix"] == 4  # alpha, beta, X and Y, once each
    assert calls["check_pairing"] == calls["check_penalty"] == 1





def test_bad_callables_and_settings_are_named() -> None:
    from nn.layers import MLP

    model, x, y = MLP(1, [2, 1], rng=0), [[1.0], [2.0]], [[1.0], [0.0]]
    with pytest.raises(TypeError, match=r"the schedule must return a number .* got str 'x'"):
        fit(model, x, y, epochs=1, schedule=lambda r: "x")
    with pytest.raises(TypeError, match="the loss must return one example's loss as a Value"):
        fit(model, x, y, epochs=1, lr=0.1, loss=lambda outs, targets: 5.0)
    with pytest.raises(TypeError, match="progress must be True, False or None, got 1"):
        fit(model, x, y, epochs=1, lr=0.1, progress=1)  # type: ignore[arg-type]


def test_y_must_have_one_column_per_output_of_a_lecture_net() -> None:
    """A 1-D Y of class labels for a K = 2 net is refused before any work, not broadcast."""
    x = np.random.default_rng(0).normal(size=(20, 3))
    labels = (x[:, 0] > 0).astype(float)
    with pytest.raises(ValueError, match=r"Y must have shape \(20, 2\), got \(20, 1\)"):
        fit(TwoLayerNet(3, 4, 2, output="softmax", rng=0), x, labels, lr=1e-3, epochs=1,
            progress=False)
    with pytest.raises(ValueError, match=r"Y must have shape \(20, 1\), got \(20, 2\)"):
        fit(TwoLayerNet(3, 4, 1, rng=0), x, np.c_[labels, labels], lr=1e-3, epochs=1,
            progress=False)
