"""Tests for nn/observers.py and what fit promises its observers.

Every epoch's ``theta`` is that epoch's own read-only array, and while observers run the model
holds those weights, for the closed form and the tape alike, batch, online and BFGS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest

from nn import MLP, Epoch, History, Module, TwoLayerNet, data, fit, predict
from nn.observers import EarlyStopping

MODELS = {"closed_form": lambda: TwoLayerNet(2, 3, 1, rng=0),
          "tape": lambda: MLP(2, [3, 1], rng=0)}
METHODS = {"gd": {"lr": 0.01}, "online": {"lr": 0.01, "mode": "online", "rng": 0},
           "bfgs": {"method": "bfgs"}}


def _theta(model: Module) -> np.ndarray:
    return np.array([p.data for p in model.parameters()])


@pytest.mark.parametrize("how", METHODS.values(), ids=METHODS.keys())
@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_each_epoch_gets_its_own_weights_and_the_model_holds_them(
    make: Callable[[], Module], how: dict
) -> None:
    d = data.sum_of_sigmoids(20, 0)
    model = make()
    start = _theta(model)
    seen: list[Epoch] = []

    def observe(ev: Epoch) -> None:
        np.testing.assert_array_equal(_theta(model), ev.theta)  # the model holds ev.theta
        np.testing.assert_array_equal(predict(model, d.X), ev.predict(d.X))
        seen.append(ev)

    fit(model, d.X, d.Y, epochs=6, lam=0.01, observers=[observe], **how)
    thetas = [ev.theta for ev in seen]
    assert len({id(t) for t in thetas}) == len(thetas) == 7
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(thetas))  # they moved
    np.testing.assert_array_equal(thetas[0], start)
    np.testing.assert_array_equal(thetas[-1], _theta(model))
    with pytest.raises(ValueError, match="read-only"):
        thetas[0][0] = 1.0


def test_a_kept_predict_does_not_move_the_fitted_model() -> None:
    d = data.sum_of_sigmoids(20, 0)
    model = MLP(2, [3, 1], rng=0)
    seen: list[Epoch] = []
    fit(model, d.X, d.Y, epochs=4, lr=0.01, observers=[seen.append])
    after = _theta(model)
    seen[0].predict(d.X)  # at the starting weights
    np.testing.assert_array_equal(_theta(model), after)


def test_observers_see_every_epoch_and_can_stop() -> None:
    d = data.sum_of_sigmoids(20, 0)
    events: list[Epoch] = []
    h = fit(TwoLayerNet(2, 2, 1), d.X, d.Y, epochs=10, lr=1e-3,
            observers=[events.append, lambda ev: ev.epoch == 4])
    assert [ev.epoch for ev in events] == [0, 1, 2, 3, 4]
    assert [ev.loss for ev in events] == h.loss and h.stopped_early and h.best_epoch == 4
    assert events[-1].predict(d.X).shape == (20, 1)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        events[-1].predict(np.zeros((3, 5)))


def test_early_stopping_keeps_the_best_epochs_own_array() -> None:
    stop = EarlyStopping(2)
    theta = np.array([1.0, 2.0])
    theta.flags.writeable = False
    best = Epoch(0, 1, 1.0, 1.0, 0.5, theta, lambda x: np.zeros((1, 1)))
    worse = Epoch(0, 2, 1.0, 1.0, 0.7, np.array([3.0, 4.0]), lambda x: np.zeros((1, 1)))
    assert stop(best) is False and stop(worse) is False and stop(worse) is True
    assert stop.best_theta is theta and stop.best_epoch == 1
    with pytest.raises(ValueError, match="validation set"):
        stop(Epoch(0, 3, 1.0, 1.0, None, theta, lambda x: np.zeros((1, 1))))


def test_history_truncates_every_list_and_says_when_interrupted() -> None:
    h = History(loss=[3.0, 2.0, 1.0], train_error=[3.0, 2.0, 1.0], val_error=[4.0, 3.0, 2.0])
    h.truncate(2)
    assert h.loss == h.train_error == [3.0, 2.0] and h.val_error == [4.0, 3.0]
    h.interrupted = True
    assert repr(h) == "History(1 epochs, R + λJ 3 → 2, best epoch 0, interrupted, 0.00 s)"
