"""Tests for nn/two_layer.py: the lecture's net in ESL notation, its arrays, losses and errors.

The gradient comparisons with the closed form live in tests/test_backprop.py; here the net
itself is checked: names, shapes, initialisation, forward values, conversions, stability.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import nn.backprop as bp
from autograd import Value
from nn.two_layer import TwoLayerNet, net_forward, observation_loss


def test_parameters_are_named_in_the_lecture_notation() -> None:
    net = TwoLayerNet(2, 3, 2, rng=0)
    names = [n for n, _ in net.named_parameters()]
    assert len(names) == 3 * (2 + 1) + 2 * (3 + 1)
    assert names[:4] == ["alpha.0.0", "alpha.0.1", "alpha.0.2", "alpha.1.0"]
    assert names[9:] == [f"beta.{k}.{m}" for k in range(2) for m in range(4)]
    labels = [p.label for p in net.parameters()]  # the notes' 1-based subscripts
    assert labels[:4] == ["α₀₁", "α₁₁", "α₁₂", "α₀₂"]
    assert labels[9:] == ["β₀₁", "β₁₁", "β₁₂", "β₁₃", "β₀₂", "β₂₁", "β₂₂", "β₂₃"]
    assert net.parameters()[0] is net.alpha[0][0]
    assert net.shape == (2, 3, 2)
    assert repr(net) == "TwoLayerNet(p=2, M=3, K=2, output='identity')"


def test_starting_weights_are_uniform_on_init_range_and_seeded() -> None:
    net = TwoLayerNet(4, 10, 3, rng=np.random.default_rng(0))
    values = np.array([p.data for p in net.parameters()])
    assert np.all(np.abs(values) <= 0.7)
    assert np.abs(values).max() > 0.6  # the draws fill the interval, intercepts included
    assert len(set(values.tolist())) == values.size
    same = TwoLayerNet(4, 10, 3, rng=np.random.default_rng(0)).state_dict()
    assert same == net.state_dict()
    assert TwoLayerNet(4, 10, 3, rng=random.Random(0)).state_dict() != same
    small = TwoLayerNet(2, 2, 1, rng=1, init_range=0.01)
    assert all(abs(p.data) <= 0.01 for p in small.parameters())


@pytest.mark.parametrize("output", ["identity", "softmax"])
def test_forward_matches_the_numpy_forward(output: str) -> None:
    rng = np.random.default_rng(3)
    net = TwoLayerNet(3, 4, 3, output, rng=rng)
    alpha, beta = net.to_arrays()
    x = rng.standard_normal((5, 3))
    expected = bp.forward(alpha, beta, x, output)
    for i, xi in enumerate(x.tolist()):
        fwd = net(xi)
        for got, want in zip(fwd, expected, strict=True):
            np.testing.assert_allclose([v.data for v in got], want[i], rtol=1e-13, atol=1e-15)
        assert [v.label for v in fwd.a] == [f"α₀{s} + α{s}ᵀx" for s in "₁₂₃₄"]
        assert [v.label for v in fwd.z] == ["Z₁", "Z₂", "Z₃", "Z₄"]
        assert [v.label for v in fwd.t] == ["T₁", "T₂", "T₃"]
        assert [v.label for v in fwd.f] == (["f₁", "f₂", "f₃"] if output == "softmax"
                                            else ["T₁", "T₂", "T₃"])
        assert (fwd.f is fwd.t) == (output == "identity")
    np.testing.assert_allclose(net.predict(x), expected.f, rtol=1e-13, atol=1e-15)


def test_predict_records_no_graph_and_leaves_grads_alone() -> None:
    net = TwoLayerNet(2, 2, 2, "softmax", rng=0)
    net.predict(np.zeros((3, 2)))
    assert all(p.grad == 0.0 for p in net.parameters())
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\) \(at least one row"):
        net.predict(np.zeros(4))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        net.predict(np.zeros((0, 2)))


def test_array_conversions_round_trip() -> None:
    alpha = np.arange(6.0).reshape(2, 3) / 10
    beta = -np.arange(3.0).reshape(1, 3)
    net = TwoLayerNet.from_arrays(alpha, beta)
    got_alpha, got_beta = net.to_arrays()
    assert np.array_equal(got_alpha, alpha)
    assert np.array_equal(got_beta, beta)
    assert net.alpha[1][2].data == 0.5  # row m, column l: α_ml, column 0 the intercept
    assert net.shape == (2, 2, 1)
    zeros_alpha, zeros_beta = net.grad_arrays()
    assert not zeros_alpha.any()
    assert not zeros_beta.any()
    net.set_arrays(alpha * 2, beta * 2)
    assert np.array_equal(net.to_arrays()[0], alpha * 2)


@pytest.mark.parametrize(
    ("alpha", "beta", "match"),
    [
        (np.zeros((2, 4)), np.zeros((1, 3)), r"alpha must have shape \(2, 3\), got \(2, 4\)"),
        (np.zeros((2, 3)), np.zeros((2, 3)), r"beta must have shape \(1, 3\), got \(2, 3\)"),
        (np.full((2, 3), np.nan), np.zeros((1, 3)), "alpha must be finite"),
        (np.zeros((2, 3)), np.full((1, 3), np.inf), "beta must be finite"),
    ],
)
def test_set_arrays_checks_everything_first(
    alpha: np.ndarray, beta: np.ndarray, match: str
) -> None:
    net = TwoLayerNet(2, 2, 1, rng=0)
    before = net.state_dict()
    with pytest.raises(ValueError, match=match):
        net.set_arrays(alpha, beta)
    assert net.state_dict() == before


def test_from_arrays_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="alpha must be M × \\(p\\+1\\)"):
        TwoLayerNet.from_arrays(np.zeros((2, 1)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="beta must be K × \\(M\\+1\\)"):
        TwoLayerNet.from_arrays(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"beta must have shape \(1, 3\), got \(1, 4\)"):
        TwoLayerNet.from_arrays(np.zeros((2, 3)), np.zeros((1, 4)))


def test_losses_for_one_observation() -> None:
    net = TwoLayerNet.from_arrays([[0.1, 0.2]], [[0.3, -0.4], [0.5, 0.6]])
    fwd = net([1.5])
    f = [v.data for v in fwd.f]
    assert net.loss(fwd, [1.0, -1.0]).data == pytest.approx(
        (1.0 - f[0]) ** 2 + (-1.0 - f[1]) ** 2, rel=1e-15
    )
    soft = TwoLayerNet.from_arrays([[0.1, 0.2]], [[0.3, -0.4], [0.5, 0.6]], "softmax")
    fwd = soft([1.5])
    probs = [v.data for v in fwd.f]
    assert soft.loss(fwd, [0.0, 1.0], "cross_entropy").data == pytest.approx(
        -np.log(probs[1]), rel=1e-14
    )
    with pytest.raises(ValueError, match="needs output='softmax'"):
        net.loss(net([1.5]), [1.0, 0.0], "cross_entropy")
    with pytest.raises(ValueError, match="loss must be one of"):
        net.loss(net([1.5]), [1.0, 0.0], "hinge")
    with pytest.raises(ValueError, match="2 outputs but 3 targets"):
        net.loss(net([1.5]), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("loss", ["cross_entropy", "squared"])
def test_softmax_losses_are_stable_at_t_pm_1000(loss: str) -> None:
    """T = (1000, −1000) through the intercepts: exact values, no overflow, finite grads."""
    net = TwoLayerNet.from_arrays([[0.2, -0.1]], [[1000.0, 0.0], [-1000.0, 0.0]], "softmax")
    fwd = net([0.7])
    assert [v.data for v in fwd.t] == [1000.0, -1000.0]
    assert [v.data for v in fwd.f] == [1.0, 0.0]
    risk = net.loss(fwd, [0.0, 1.0], loss)
    assert risk.data == (2000.0 if loss == "cross_entropy" else 2.0)
    risk.backward()
    if loss == "cross_entropy":
        assert [v.grad for v in fwd.t] == [1.0, -1.0]  # δ = f − y
    grads = np.concatenate([g.ravel() for g in net.grad_arrays()])
    assert np.all(np.isfinite(grads))


def test_risk_matches_the_closed_form_and_checks_inputs() -> None:
    rng = np.random.default_rng(8)
    net = TwoLayerNet(2, 3, 2, "softmax", rng=rng)
    x = rng.standard_normal((4, 2))
    y = np.eye(2)[[0, 1, 1, 0]]
    alpha, beta = net.to_arrays()
    for kwargs in (
        {"loss": "cross_entropy"},
        {"loss": "squared", "penalty": "weight_decay", "lam": 0.2},
        {"loss": "cross_entropy", "penalty": "weight_elimination", "lam": 1.5},
    ):
        got = net.risk(x, y, **kwargs).data  # type: ignore[arg-type]
        want = bp.risk(alpha, beta, x, y, output="softmax", **kwargs)  # type: ignore[arg-type]
        assert got == pytest.approx(want, rel=1e-13)
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 2\), got \(4, 3\)"):
        net.risk(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\) \(.*\), got \(4,\)"):
        net.risk(x[:, 0], y)
    with pytest.raises(ValueError, match="at least one row"):
        net.risk(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="penalty=None"):
        net.risk(x, y, penalty=None, lam=0.5)
    assert net.risk(x, y, lam=0.5).data == pytest.approx(  # λ alone means weight decay
        net.risk(x, y, penalty="weight_decay", lam=0.5).data, rel=1e-15)


def test_gradient_semantics_leaves_accumulate_interior_nodes_are_fresh() -> None:
    net = TwoLayerNet(2, 2, 1, rng=3)
    x, y = [0.5, -0.25], [1.0]
    fwd = net(x)
    loss = net.loss(fwd, y)
    loss.backward()
    once_params = [p.grad for p in net.parameters()]
    once_delta = fwd.t[0].grad
    loss.backward()
    assert [p.grad for p in net.parameters()] == [2 * g for g in once_params]
    assert fwd.t[0].grad == once_delta  # δ itself, not 2δ
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_save_load_round_trip(tmp_path: Path) -> None:
    net = TwoLayerNet(3, 2, 2, "softmax", rng=1)
    path = tmp_path / "net.npz"
    net.save(path)
    other = TwoLayerNet(3, 2, 2, "softmax", rng=2)
    other.load(path)
    assert np.array_equal(other.to_arrays()[0], net.to_arrays()[0])
    assert np.array_equal(other.to_arrays()[1], net.to_arrays()[1])
    wrong_size = TwoLayerNet(3, 3, 2, rng=2)
    before = wrong_size.state_dict()
    with pytest.raises(ValueError, match=r"missing parameter 'alpha\.2\.0'"):  # a bad file
        wrong_size.load(path)
    assert wrong_size.state_dict() == before


def test_functional_forward_works_on_plain_values_and_numbers() -> None:
    alpha = [[Value(0.1), Value(0.2)]]
    beta = [[0.3, 0.4]]  # numbers are constants
    fwd = net_forward(alpha, beta, [2.0])
    observation_loss(fwd, [1.0]).backward()
    assert alpha[0][0].grad != 0.0
    with pytest.raises(ValueError, match="alpha row 0 has 2 weights, expected p\\+1 = 3"):
        net_forward(alpha, beta, [1.0, 2.0])
    with pytest.raises(ValueError, match="beta row 0 has 2 weights, expected M\\+1 = 3"):
        net_forward([[0.1, 0.2], [0.3, 0.4]], beta, [1.0])
    with pytest.raises(ValueError, match="need M >= 1 and K >= 1"):
        net_forward([], [[0.1]], [1.0])
    with pytest.raises(ValueError, match="p >= 1"):
        net_forward([[0.1]], [[0.1, 0.2]], [])
    with pytest.raises(ValueError, match="output must be one of"):
        net_forward(alpha, beta, [1.0], "tanh")


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 2, 1), {}, "p must be an integer >= 1, got 0"),
        ((2, 0, 1), {}, "M must be an integer >= 1, got 0"),
        ((2, 2, True), {}, "K must be an integer >= 1, got True"),
        ((2, 2.0, 1), {}, "M must be an integer >= 1, got 2.0"),
        ((2, 2, 1, "sigmoid"), {}, "output must be one of"),
        ((2, 2, 1), {"init_range": -0.1}, "init_range must be finite and >= 0"),
    ],
)
def test_bad_construction_raises(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TwoLayerNet(*args, **kwargs)


def test_wrong_input_length_raises() -> None:
    net = TwoLayerNet(3, 2, 1, rng=0)
    with pytest.raises(ValueError, match="TwoLayerNet expects 3 inputs, got 2"):
        net([1.0, 2.0])
