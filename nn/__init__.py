"""Networks built on :class:`autograd.Value`, the closed-form back-propagation to check them,
and the training loop.

* :mod:`nn.module`: :class:`Parameter` and :class:`Module` (parameters, names, state files).
* :mod:`nn.layers`: :class:`Neuron`, :class:`Layer`, :class:`MLP`.
* :mod:`nn.two_layer`: :class:`TwoLayerNet`, the lecture's net in ESL notation.
* :mod:`nn.notation`: the notes' names as node labels (α₀₁ + α₁ᵀx, Z₁, T₁, Rᵢ);
  :mod:`nn.notes`: δ_k and s_m named on the graph, with their closed forms, for the drawings.
* :mod:`nn.losses`: squared error, stable cross-entropy, hinge, penalties; the loss registry.
* :mod:`nn.backprop`: the hand-derived δ/s equations on numpy arrays (imports no autograd).
* :mod:`nn.train`: :func:`fit` and :func:`predict` for any module, and the fit loop.
* :mod:`nn.settings`: :class:`FitOptions`, everything ``fit`` can be told.
* :mod:`nn.objectives`: how a model gives ``fit`` its risk and gradients (closed form, tape).
* :mod:`nn.observers`: :class:`Epoch`, :class:`History`, early stopping.
* :mod:`nn.optim`: gradient descent, momentum, Adam and nnet's BFGS on arrays.
* :mod:`nn.progress`: the progress bar.
* :mod:`nn.args`, :mod:`nn.rng`, :mod:`nn.options`: argument checks, the seed rule
  (``rng=``) and starting weights, the option names.
"""

from typing import Any

from nn.layers import MLP, Layer, Neuron
from nn.module import Module, Parameter
from nn.observers import Epoch, History
from nn.settings import FitOptions
from nn.train import DivergenceError, fit, predict
from nn.two_layer import NetForward, TwoLayerNet

__all__ = [
    "MLP", "DivergenceError", "Epoch", "FitOptions", "History", "Layer", "Module", "NetForward",
    "Neuron", "Parameter", "TwoLayerNet", "fit", "predict",
]


def __getattr__(name: str) -> Any:
    """``__version__``: deltagrad's installed version, as :data:`autograd.__version__` reads it."""
    if name == "__version__":
        import autograd

        return autograd.__version__
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, ``__version__`` included."""
    return sorted({*globals(), "__version__"})
