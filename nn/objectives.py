"""How a model gives training its risk and gradients: the :class:`Objective` protocol.

:func:`nn.train.fit` and :func:`nn.train.predict` see a model only through an objective on
flat parameter vectors θ (in ``model.parameters()`` order). Which objective a model gets is
the model's business:

* a model with a method ``fit_objective(loss) -> Objective`` supplies its own: the lecture's
  :class:`~nn.two_layer.TwoLayerNet` returns :class:`ClosedForm`, the vectorised δ and s of
  :mod:`nn.backprop` (which the tests check against the engine to 1e-12);
* any other :class:`~nn.module.Module` gets :class:`Traced` by default: its per-example loss
  is traced once (:func:`autograd.trace`) and the tape replayed on arrays of all N examples,
  so it trains at array speed with the engine's own derivatives.

The data may be numpy arrays or arrays of another array-API library (torch tensors, on
their device; dask arrays, on a cluster): the tape replays in the data's library, and only
Σ_i R_i and the gradient come back to the host, where the optimiser's state stays. The
closed form is numpy code, so on other libraries :class:`ClosedForm` runs the net's tape.

Objectives compute Σ_i R_i only; :class:`Criterion` scales it and adds λJ, the one place
where the penalty is applied. Both trust their inputs: ``fit`` checks the data once, before
the first evaluation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from autograd import Value, arrays, no_grad, trace
from nn import backprop
from nn.losses import REGISTRY, Loss
from nn.module import Module

if TYPE_CHECKING:
    from nn.settings import FitOptions
    from nn.two_layer import TwoLayerNet

__all__ = ["ClosedForm", "Criterion", "Objective", "Traced", "objective_for"]

Array = NDArray[np.float64]


class Objective(Protocol):
    """How :func:`~nn.train.fit` evaluates a model on flat parameter vectors θ.

    Attributes:
        n_inputs: p, the number of inputs.
        n_outputs: K, the number of outputs (Y's columns), or None when it is known only
            once the model has run on an example (a traced module checks it then).
    """

    n_inputs: int
    n_outputs: int | None

    def read(self) -> Array:
        """The model's parameters as θ."""
        ...

    def write(self, theta: Array) -> None:
        """Set the model's parameters from θ."""
        ...

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        """Σ_i R_i over the rows of x, y at θ, and its gradient when asked."""
        ...

    def predict(self, theta: Array, x: Array) -> Array:
        """The N × K outputs at θ."""
        ...


class _Parameters:
    """θ ↔ the model's parameters, shared by both objectives."""

    def __init__(self, model: Module) -> None:
        self.params = model.parameters()
        if not self.params:
            raise ValueError(f"{type(model).__name__} has no parameters to fit")

    def read(self) -> Array:
        return np.array([p.data for p in self.params])

    def write(self, theta: Array) -> None:
        # One C-level loop (setattr mapped over the pairs): no bytecode runs between the first
        # write and the last, so an interrupt cannot leave the model half written.
        deque(map(setattr, self.params, repeat("data"), theta.tolist()), maxlen=0)


class ClosedForm(_Parameters):
    """The lecture's net through :mod:`nn.backprop` (δ and s on arrays).

    Args:
        net: The net; θ is (vec alpha, vec beta), row by row, as its parameters are ordered.
        loss: ``"squared"`` or ``"cross_entropy"``, paired with the net's output as
            :data:`nn.losses.REGISTRY` says; None for its default (cross-entropy for a
            softmax output, squared error otherwise).

    Raises:
        ValueError: On a loss that has no closed form for this net's output.
    """

    def __init__(self, net: TwoLayerNet, loss: Loss | None = None) -> None:
        super().__init__(net)
        name = loss if loss is not None else (
            "cross_entropy" if net.output == "softmax" else "squared")
        closed = [n for n, named in REGISTRY.items() if named.outputs]
        if not isinstance(name, str) or name not in closed:
            raise ValueError(f"a TwoLayerNet is fitted by its closed form, which has the losses "
                             f"{tuple(closed)!r}; got loss={name!r}")
        if net.output not in REGISTRY[name].outputs:
            raise ValueError(f"loss={name!r} needs output in {REGISTRY[name].outputs!r}, got "
                             f"output={net.output!r}")
        self.loss, self.output, self.net = name, net.output, net
        self._traced: Traced | None = None
        p, m, k = net.shape
        self.n_inputs, self.n_outputs = p, k
        self.shapes = ((m, p + 1), (k, m + 1))
        self.split = m * (p + 1)

    def _unpack(self, theta: Array) -> tuple[Array, Array]:
        return (theta[: self.split].reshape(self.shapes[0]),
                theta[self.split :].reshape(self.shapes[1]))

    def _tape(self) -> Traced:
        """The net's own loss and outputs through a tape, for data of other libraries."""
        if self._traced is None:
            net, loss = self.net, self.loss
            self._traced = Traced(net, None, self.n_inputs, outputs=lambda x: net(x).f,
                                  example_loss=lambda x, y: net.loss(net(x), y, loss))
        return self._traced

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        """Σ_i R_i and its gradient by back-propagation (:func:`nn.backprop.evaluate`)."""
        if arrays.is_foreign(x):
            return self._tape().risk(theta, x, y, need_grad)
        alpha, beta = self._unpack(theta)
        value, g_alpha, g_beta = backprop.evaluate(alpha, beta, x, y, self.loss, self.output,
                                                   need_grad)
        if g_alpha is None or g_beta is None:
            return value, None
        return value, np.concatenate([g_alpha.ravel(), g_beta.ravel()])

    def predict(self, theta: Array, x: Array) -> Array:
        """f(x_i) at θ, by the closed form's forward pass."""
        if arrays.is_foreign(x):
            return self._tape().predict(theta, x)
        return backprop.outputs(*self._unpack(theta), x, self.output)


class Traced(_Parameters):
    """Any module, through a tape of the per-example loss replayed on the whole batch.

    Args:
        model: A module whose call maps a list of ``n_inputs`` Values to a Value or a list
            of Values.
        loss: A name in :data:`nn.losses.REGISTRY` or a callable ``(outputs, targets) -> R_i``;
            None for squared error.
        n_inputs: p.
        outputs: The outputs of one example's inputs, if not the model's call.
        example_loss: R_i from one example's inputs and targets, if not ``loss`` of the
            outputs.

    Raises:
        ValueError: On a module without parameters.
    """

    def __init__(self, model: Module, loss: Loss | None, n_inputs: int, *,
                 outputs: Callable[[list[Value]], Any] | None = None,
                 example_loss: Callable[[list[Value], list[Value]], Value] | None = None
                 ) -> None:
        super().__init__(model)
        self.model, self.n_inputs = model, n_inputs
        self.n_outputs: int | None = None  # checked against Y when the loss is traced
        self.call = model if outputs is None else outputs
        named = "squared" if loss is None else loss
        self.loss = REGISTRY[named].fn if isinstance(named, str) else named
        self.example_loss = example_loss
        self._loss_tape: Any = None
        self._output_tapes: list[Any] = []

    def _outputs(self, x: Sequence[Value]) -> list[Value]:
        out = self.call(list(x))
        outs = [out] if isinstance(out, Value) else list(out)
        if not outs or not all(isinstance(o, Value) for o in outs):
            raise ValueError(f"{type(self.model).__name__} must map a list of {self.n_inputs} "
                             f"inputs to a Value or a list of Values, got {out!r}")
        return outs

    def _example_loss(self, *v: Value) -> Value:
        if self.example_loss is not None:
            return self.example_loss(list(v[: self.n_inputs]), list(v[self.n_inputs :]))
        outs = self._outputs(v[: self.n_inputs])
        targets = list(v[self.n_inputs :])
        if len(outs) != len(targets):
            raise ValueError(f"{type(self.model).__name__} has {len(outs)} outputs but Y has "
                             f"{len(targets)} columns")
        risk = self.loss(outs, targets)
        if not isinstance(risk, Value):
            raise TypeError(f"the loss must return one example's loss as a Value (computed from "
                            f"the outputs it is given), got {type(risk).__name__} {risk!r}")
        return risk

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        """Σ_i R_i and its gradient from the loss tape (traced on the first call); sets θ.

        The replay runs in the data's library; only the sums come back, checked.
        """
        rows = arrays.join(x, y)
        if self._loss_tape is None:  # traced once, on the first example seen
            self._loss_tape = trace(self._example_loss, inputs=arrays.first_row(rows),
                                    params=self.params)
        self.write(theta)
        return self._loss_tape.sums(rows, need_grad)

    def predict(self, theta: Array, x: Array) -> Array:
        """f(x_i) at θ from one tape per output; the model's own weights are kept."""
        if not self._output_tapes:  # one tape per output, traced on the first row
            first = arrays.first_row(x)
            with no_grad():
                k = len(self._outputs([Value(v) for v in first]))
            self._output_tapes = [
                trace(lambda *v, k=k: self._outputs(v)[k], inputs=first, params=self.params)
                for k in range(k)
            ]
        held = self.read()  # the tapes read θ from the parameters: lend them θ, then restore
        self.write(theta)
        try:  # in the data's library (for dask: lazy, checked when computed)
            return arrays.namespace(x).stack([tape.forward(x) for tape in self._output_tapes],
                                             axis=1)
        finally:
            self.write(held)


def objective_for(model: Module, loss: Loss | None, n_inputs: int) -> Objective:
    """The objective of ``model``: its own ``fit_objective(loss)``, else :class:`Traced`.

    Args:
        model: Any module mapping a list of inputs to a Value or a list of Values, or a model
            with a ``fit_objective`` method (the lecture's net).
        loss: As :attr:`nn.settings.FitOptions.loss`.
        n_inputs: p, the columns of X (a model that supplies its objective knows its own).

    Raises:
        ValueError: On a loss the model cannot use, or a module without parameters.
        TypeError: On something that is not a Module and supplies no objective.
    """
    supply: Callable[[Loss | None], Objective] | None = getattr(model, "fit_objective", None)
    if supply is not None:
        return supply(loss)
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn Module, got {type(model).__name__}")
    return Traced(model, loss, n_inputs)


class Criterion:
    """The penalised, scaled criterion of one fit on flat θ, and its gradient.

    ``scale="sum"``: Σ_i R_i + λJ; ``scale="mean"``: (1/N) Σ_i R_i + λJ. Over a subset of
    the rows (an online step), the penalty is weighted by that subset's share of N, so that
    N online steps add up to one batch gradient.
    """

    def __init__(self, objective: Objective, x: Array, y: Array, opts: FitOptions) -> None:
        self.objective, self.x, self.y, self.opts = objective, x, y, opts
        self.n = x.shape[0]
        self.weight = 1.0 if opts.scale == "sum" else 1.0 / self.n

    def penalty(self, theta: Array, share: float = 1.0) -> tuple[float, Array]:
        """λJ(θ) times ``share`` and its gradient."""
        return backprop.penalty_terms(theta, self.opts.penalty, self.opts.lam * share)

    def __call__(self, theta: Array, need_grad: bool, rows: slice | None = None
                 ) -> tuple[float, float, Array | None]:
        """(criterion, Σ_i R_i, gradient or None) over all rows, or one row's share."""
        x, y = (self.x, self.y) if rows is None else (self.x[rows], self.y[rows])
        with np.errstate(all="ignore"):
            data, grad = self.objective.risk(theta, x, y, need_grad)
            pen, pen_grad = self.penalty(theta, 1.0 if rows is None else x.shape[0] / self.n)
            value = self.weight * data + pen
            if grad is not None:  # (the sum scale's weight 1 multiplies exactly: skipped)
                grad = (grad if self.weight == 1.0 else self.weight * grad) + pen_grad
        return value, data, grad
