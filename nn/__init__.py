"""Networks built on :class:`autograd.Value`, and the closed-form back-propagation to check them.

* :mod:`nn.module`: :class:`Parameter` and :class:`Module` (parameters, names, state files).
* :mod:`nn.layers`: :class:`Neuron`, :class:`Layer`, :class:`MLP`.
* :mod:`nn.two_layer`: :class:`TwoLayerNet`, the lecture's net in ESL notation.
* :mod:`nn.losses`: squared error, stable cross-entropy, weight decay and elimination.
* :mod:`nn.backprop`: the hand-derived δ/s equations on numpy arrays (imports no autograd).
* :mod:`nn.train`: :func:`~nn.train.fit` and :func:`~nn.train.predict` for any module.
* :mod:`nn.args`, :mod:`nn.rng`, :mod:`nn.options`: argument checks, the seed rule
  (``rng=``) and starting weights, the option names.
"""

from typing import Any

from nn.layers import MLP, Layer, Neuron
from nn.module import Module, Parameter
from nn.two_layer import NetForward, TwoLayerNet

__all__ = ["MLP", "Layer", "Module", "NetForward", "Neuron", "Parameter", "TwoLayerNet"]


def __getattr__(name: str) -> Any:
    """``__version__``: deltagrad's installed version, as :data:`autograd.__version__` reads it."""
    if name == "__version__":
        import autograd

        return autograd.__version__
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, ``__version__`` included."""
    return sorted({*globals(), "__version__"})
