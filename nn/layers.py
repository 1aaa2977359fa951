"""Fully connected building blocks on scalar Values: Neuron, Layer and MLP.

These are the general-purpose layers (any depth, any activation); the lecture's own
single-hidden-layer net, in ESL notation, is :class:`nn.two_layer.TwoLayerNet`.
Weights start uniform on ±1/√fan-in, drawn from an explicit generator (any
:data:`nn.rng.RandomSource`: an int seed means ``numpy.random.default_rng(seed)``);
biases start at 0.

Nodes are labelled for drawings and step pages with the layer as a superscript and the
unit and input as 1-based subscripts: in an MLP, unit j of layer ℓ has weights wˡⱼᵢ and
bias bˡⱼ, computes the pre-activation zˡⱼ and outputs aˡⱼ (``w¹₂₁``, ``b¹₂``, ``z¹₂``,
``a¹₂``); a Layer's own units drop the superscript, a lone Neuron the unit (``w₁``, ``b``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd.value import Scalar, Value
from nn.args import choice, count
from nn.module import Module, Parameter
from nn.notation import sub, sup
from nn.rng import RandomSource, as_generator

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Neuron"]

ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "relu", "linear")
"""The activation names a Neuron, Layer or MLP accepts."""


class Neuron(Module):
    """One unit: ``activation(b + Σ_j w_j x_j)``.

    Args:
        nin: Number of inputs.
        activation: ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"linear"``.
        rng: Generator (``random.Random`` or ``numpy.random.Generator``) or int seed for the
            initial weights, uniform on [−1/√nin, 1/√nin] (see :func:`nn.rng.as_generator`).
            Pass one generator to every neuron of a net: two neurons built from the same int
            seed start identical.
        layer: The layer it belongs to (1-based), for its labels; None: no layer.
        unit: Its place in that layer (1-based), for its labels; None: a lone unit.

    Raises:
        ValueError: On a non-positive ``nin`` or an unknown activation.
        TypeError: On an unusable ``rng``.
    """

    def __init__(self, nin: int, activation: str = "tanh", *, rng: RandomSource = 0,
                 layer: int | None = None, unit: int | None = None) -> None:
        count("nin", nin)
        choice("activation", activation, ACTIVATIONS)
        bound = 1.0 / math.sqrt(nin)
        weights = as_generator(rng).uniform(-bound, bound, nin).tolist()
        at = () if unit is None else (unit,)
        layer_mark = "" if layer is None else sup(layer)
        self.w = [Parameter(w, label=f"w{layer_mark}{sub(*at, i)}")
                  for i, w in enumerate(weights, start=1)]
        self._place = layer_mark + sub(*at)  # ¹₂: the labels' marks for layer 1, unit 2
        self.b = Parameter(0.0, label=f"b{self._place}")
        self.activation = activation

    def forward(self, x: Sequence[Scalar]) -> Value:
        """The unit's output for one input vector.

        Args:
            x: ``nin`` Values or numbers.

        Returns:
            The activated Value.

        Raises:
            ValueError: If ``len(x) != nin``.
        """
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        pre: Value = self.b
        for wj, xj in zip(self.w, x, strict=True):
            pre = pre + wj * xj
        pre.label = f"z{self._place}"
        out: Value = pre if self.activation == "linear" else getattr(pre, self.activation)()
        out.label = f"a{self._place}"
        return out

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs.

    Args:
        nin: Number of inputs.
        nout: Number of neurons.
        activation: Activation of every neuron.
        rng: Generator or int seed, shared by the neurons in order.
        layer: Its place in a net (1-based), for the labels; None: a lone layer.
    """

    def __init__(
        self, nin: int, nout: int, activation: str = "tanh", *, rng: RandomSource = 0,
        layer: int | None = None,
    ) -> None:
        count("nout", nout)
        gen = as_generator(rng)
        self.neurons = [Neuron(nin, activation, rng=gen, layer=layer, unit=j)
                        for j in range(1, nout + 1)]

    def forward(self, x: Sequence[Scalar]) -> list[Value]:
        """All neurons' outputs, always as a list (also when ``nout == 1``).

        Raises:
            ValueError: If ``len(x)`` is not the layer's input size.
        """
        nin = len(self.neurons[0].w)
        if len(x) != nin:
            raise ValueError(f"Layer expects {nin} inputs, got {len(x)}")
        return [n(x) for n in self.neurons]

    def __repr__(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.w)}, {len(self.neurons)}, activation={first.activation!r})"


class MLP(Module):
    """A stack of Layers: ``nin → sizes[0] → … → sizes[-1]``.

    Args:
        nin: Number of inputs.
        sizes: Width of each layer, the last being the output size.
        activation: Activation of the hidden layers.
        output_activation: Activation of the last layer (``"linear"`` by default).
        rng: Generator or int seed, shared by all layers in order.

    Raises:
        ValueError: On empty ``sizes``, non-positive sizes or unknown activations.
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        *,
        rng: RandomSource = 0,
    ) -> None:
        if len(sizes) == 0:
            raise ValueError("sizes must name at least one layer, got []")
        choice("activation", activation, ACTIVATIONS)
        choice("output_activation", output_activation, ACTIVATIONS)
        gen = as_generator(rng)
        widths = [nin, *sizes]
        last = len(sizes) - 1
        self.layers = [
            Layer(widths[i], widths[i + 1], output_activation if i == last else activation,
                  rng=gen, layer=i + 1)
            for i in range(len(sizes))
        ]

    def forward(self, x: Sequence[Scalar]) -> list[Value]:
        """The last layer's outputs (a list) for one input vector.

        Raises:
            ValueError: If ``len(x)`` is not the net's input size.
        """
        out = self.layers[0](x)  # an MLP has at least one layer
        for layer in self.layers[1:]:
            out = layer(out)
        return out

    def __repr__(self) -> str:
        sizes = [len(layer.neurons) for layer in self.layers]
        return f"MLP({len(self.layers[0].neurons[0].w)}, {sizes})"
