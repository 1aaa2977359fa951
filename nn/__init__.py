"""Networks built on :class:`autograd.Value`, and the closed-form back-propagation to check them.

* :mod:`nn.module`: :class:`Parameter` and :class:`Module` (parameters, names, state files).
* :mod:`nn.layers`: :class:`Neuron`, :class:`Layer`, :class:`MLP`.
* :mod:`nn.two_layer`: :class:`TwoLayerNet`, the lecture's net in ESL notation.
* :mod:`nn.losses`: squared error, stable cross-entropy, weight decay and elimination.
* :mod:`nn.backprop`: the hand-derived δ/s equations on numpy arrays (imports no autograd).
* :mod:`nn.checks`: the shared argument checks and the one rule for seeds (``rng=``).
"""

from nn.layers import MLP, Layer, Neuron
from nn.module import Module, Parameter
from nn.two_layer import NetForward, TwoLayerNet

__all__ = ["MLP", "Layer", "Module", "NetForward", "Neuron", "Parameter", "TwoLayerNet"]
