"""Tests for nn/layers.py: Neuron, Layer and MLP outputs, initialisation, names and errors."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from autograd import Value, no_grad, topological_order
from nn.layers import ACTIVATIONS, MLP, Layer, Neuron

REFERENCE = {
    "tanh": math.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "relu": lambda v: max(v, 0.0),
    "linear": lambda v: v,
}


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neuron_computes_activation_of_affine_map(activation: str) -> None:
    neuron = Neuron(3, activation, rng=random.Random(1))
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    pre = 0.25 + sum(w.data * xi for w, xi in zip(neuron.w, x, strict=True))
    out = neuron(x)
    assert out.data == pytest.approx(REFERENCE[activation](pre), rel=1e-15, abs=1e-300)
    out.backward()
    slope = {
        "tanh": 1.0 - math.tanh(pre) ** 2,
        "sigmoid": REFERENCE["sigmoid"](pre) * (1.0 - REFERENCE["sigmoid"](pre)),
        "relu": 1.0 if pre > 0 else 0.0,
        "linear": 1.0,
    }[activation]
    assert [w.grad for w in neuron.w] == pytest.approx([slope * xi for xi in x], rel=1e-14)
    assert neuron.b.grad == pytest.approx(slope, rel=1e-14)


def test_initialisation_is_scaled_by_fan_in_and_reproducible() -> None:
    for nin in (1, 4, 25):
        neuron = Neuron(nin, rng=np.random.default_rng(nin))
        bound = 1.0 / math.sqrt(nin)
        assert all(-bound <= w.data <= bound for w in neuron.w)
        assert neuron.b.data == 0.0
    wide = Layer(100, 3, rng=random.Random(0))
    spread = max(abs(w.data) for n in wide.neurons for w in n.w)
    assert 0.08 < spread <= 0.1  # the draws fill ±1/√100
    one = MLP(3, [4, 2], rng=random.Random(5)).state_dict()
    assert MLP(3, [4, 2], rng=random.Random(5)).state_dict() == one
    seeded = MLP(3, [4, 2], rng=5).state_dict()  # an int seed means default_rng(seed)
    assert MLP(3, [4, 2], rng=np.random.default_rng(5)).state_dict() == seeded
    assert MLP(3, [4, 2], rng=np.int64(5)).state_dict() == seeded
    assert MLP(3, [4, 2], rng=random.Random(6)).state_dict() != one
    layer = Layer(2, 2, rng=np.random.default_rng(0))
    assert [w.data for w in layer.neurons[0].w] != [w.data for w in layer.neurons[1].w]


def test_layer_always_returns_a_list() -> None:
    single = Layer(2, 1, rng=0)
    out = single([1.0, 2.0])
    assert isinstance(out, list)
    assert len(out) == 1
    assert isinstance(out[0], Value)
    assert len(Layer(2, 3, rng=0)([1.0, 2.0])) == 3
    assert isinstance(MLP(2, [3, 1], rng=0)([1.0, 2.0]), list)


def test_mlp_names_and_counts() -> None:
    mlp = MLP(3, [4, 2], rng=0)
    names = [n for n, _ in mlp.named_parameters()]
    assert len(names) == (3 + 1) * 4 + (4 + 1) * 2
    assert names[:5] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.w.2",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert names[-1] == "layers.1.neurons.1.b"
    assert [n.activation for n in mlp.layers[0].neurons] == ["tanh"] * 4
    assert [n.activation for n in mlp.layers[1].neurons] == ["linear"] * 2
    assert repr(mlp) == "MLP(3, [4, 2])"
    assert repr(mlp.layers[1]) == "Layer(4, 2, activation='linear')"
    assert repr(mlp.layers[0].neurons[0]) == "Neuron(3, activation='tanh')"


def test_mlp_composes_layers() -> None:
    mlp = MLP(2, [3, 2], activation="sigmoid", rng=np.random.default_rng(2))
    x = [0.3, -0.7]
    hidden = [n(x).data for n in mlp.layers[0].neurons]
    expected = [n(hidden).data for n in mlp.layers[1].neurons]
    assert [o.data for o in mlp(x)] == expected


def test_mlp_gradients_match_central_differences() -> None:
    mlp = MLP(2, [3, 1], rng=random.Random(4))
    x = [0.4, -1.1]

    def loss() -> Value:
        (out,) = mlp(x)
        return (out - 0.5) ** 2.0

    loss().backward()
    for p in mlp.parameters():
        start, step = p.data, 1e-6
        with no_grad():
            p.data = start + step
            up = loss().data
            p.data = start - step
            down = loss().data
        p.data = start
        assert p.grad == pytest.approx((up - down) / (2 * step), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    ("module", "x", "match"),
    [
        (Neuron(3, rng=0), [1.0, 2.0], "Neuron expects 3 inputs, got 2"),
        (Neuron(3, rng=0), [1.0, 2.0, 3.0, 4.0], "Neuron expects 3 inputs, got 4"),
        (Layer(2, 4, rng=0), [1.0], "Layer expects 2 inputs, got 1"),
        (MLP(3, [2, 1], rng=0), [1.0, 2.0, 3.0, 4.0], "Layer expects 3 inputs, got 4"),
    ],
)
def test_wrong_input_length_raises(
    module: Neuron | Layer | MLP, x: list[float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        module(x)


def test_bad_construction_raises() -> None:
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, "softmax")
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [2], output_activation="step")
    with pytest.raises(ValueError, match="nin must be an integer >= 1, got 0"):
        Neuron(0)
    with pytest.raises(ValueError, match="nout must be an integer >= 1, got 0"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])
    with pytest.raises(TypeError, match="rng must be"):
        Layer(2, 2, rng=1.5)  # type: ignore[arg-type]


def test_nodes_are_labelled_by_layer_unit_and_input() -> None:
    mlp = MLP(2, [2, 1], rng=0)
    assert [p.label for p in mlp.layers[0].neurons[1].parameters()] == ["w¹₂₁", "w¹₂₂", "b¹₂"]
    assert [p.label for p in mlp.layers[1].parameters()] == ["w²₁₁", "w²₁₂", "b²₁"]
    out = mlp([0.5, -1.0])[0]
    labels = [v.label for v in topological_order(out) if v.label]
    assert labels[labels.index("z¹₁"):labels.index("z¹₁") + 2] == ["z¹₁", "a¹₁"]
    assert out.label == "a²₁"  # the linear output: the unit's output is its pre-activation
    assert [p.label for p in Layer(2, 2, rng=0).parameters()] == ["w₁₁", "w₁₂", "b₁", "w₂₁",
                                                                  "w₂₂", "b₂"]
    lone = Neuron(2, rng=0)
    assert [p.label for p in lone.parameters()] == ["w₁", "w₂", "b"]
    assert lone([1.0, 2.0]).label == "a"
    assert [n for n, _ in mlp.named_parameters()][:3] == ["layers.0.neurons.0.w.0",
                                                          "layers.0.neurons.0.w.1",
                                                          "layers.0.neurons.0.b"]
