"""What :func:`nn.train.fit` reports after every epoch, and the observers it ships with.

``fit`` calls each *observer* once per epoch (epoch 0 is the starting point) with an
:class:`Epoch`; an observer that returns True stops the current start. The record of the
fit, :class:`History`, and :class:`EarlyStopping` are observers too.

What an observer can rely on:

* ``Epoch.theta`` is the epoch's own array, read only: keeping it keeps that epoch's
  weights (nothing later changes it);
* while observers run, the model holds the epoch's weights (``ev.theta``), whatever the model
  type (closed form or tape), so ``predict(model, X)`` inside an observer is ``ev.predict(X)``;
* observers run in the order given, after the history (and early stopping, if asked for).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nn.settings import FitOptions

__all__ = ["EarlyStopping", "Epoch", "History", "Observer"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Epoch:
    """What observers see after each epoch (epoch 0 is the starting point).

    Attributes:
        start: Index of the start (0 is the model's own weights).
        epoch: Epochs done (BFGS: iterations).
        loss: The penalised criterion.
        train_error: Mean unpenalised loss (1/N) Σ_i R_i on the training set.
        val_error: Mean loss on the validation set, or None without one.
        theta: The parameters, in ``model.parameters()`` order: this epoch's own read-only
            array.
        predict: ``predict(X)`` → N × K outputs at these parameters.
    """

    start: int
    epoch: int
    loss: float
    train_error: float
    val_error: float | None
    theta: Array
    predict: Callable[[ArrayLike], Array]


Observer = Callable[[Epoch], bool | None]
"""Called once per epoch; returning True stops the current start."""


@dataclass(repr=False)
class History:
    """What happened during a fit (of the start that was kept).

    Index e of the per-epoch lists is the state after e epochs (e = 0 is the start).

    Attributes:
        loss: Penalised criterion per epoch.
        train_error: Mean unpenalised loss on the training set per epoch.
        val_error: Mean loss on the validation set per epoch (empty without one).
        start_losses: Final penalised criterion of every start, in order.
        best_start: Index of the start that was kept.
        best_epoch: Epoch whose weights were kept: the best validation epoch with early
            stopping, otherwise the last epoch run.
        stopped_early: Whether an observer ended the kept start before ``epochs``.
        interrupted: Whether the fit was interrupted (``KeyboardInterrupt``); the lists then
            end at the last epoch whose observers all finished.
        options: The settings of the fit.
        seconds: Wall-clock time of the whole fit.
    """

    loss: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    val_error: list[float] = field(default_factory=list)
    start_losses: list[float] = field(default_factory=list)
    best_start: int = 0
    best_epoch: int = 0
    stopped_early: bool = False
    interrupted: bool = False
    options: FitOptions | None = None
    seconds: float = 0.0

    def __call__(self, ev: Epoch) -> None:
        """Record one epoch (the history is itself an observer)."""
        self.loss.append(ev.loss)
        self.train_error.append(ev.train_error)
        if ev.val_error is not None:
            self.val_error.append(ev.val_error)
        self.best_epoch = ev.epoch

    def truncate(self, epochs: int) -> None:
        """Keep the first ``epochs`` entries of every per-epoch list (an interrupted epoch)."""
        for values in (self.loss, self.train_error, self.val_error):
            del values[epochs:]

    def __repr__(self) -> str:
        if not self.loss:
            return "History(empty)"
        how = "" if self.options is None else f"{self.options.method} {self.options.mode}, "
        stop = ", interrupted" if self.interrupted else ""
        return (f"History({how}{len(self.loss) - 1} epochs, R + λJ {self.loss[0]:.4g} → "
                f"{self.loss[-1]:.4g}, best epoch {self.best_epoch}{stop}, "
                f"{self.seconds:.2f} s)")

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot the criterion (and the validation error, if any) against the epoch.

        Args:
            ax: Axes to draw on; by default a new pyplot figure.

        Returns:
            The Axes.

        Raises:
            ImportError: matplotlib is not installed (the ``demos`` extra has it).
        """
        if ax is None:
            try:
                import matplotlib.pyplot as plt
            except ImportError as err:
                raise ImportError("History.plot needs matplotlib: pip install "
                                  "'deltagrad[plot]' (or matplotlib)") from err
            _, ax = plt.subplots()
        ax.plot(self.loss, label="R + λJ (training)")
        if self.val_error:
            ax.plot(self.val_error, label="validation error")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.legend()
        return ax


class EarlyStopping:
    """An observer that stops after ``patience`` epochs without a lower validation error.

    Attributes:
        best_theta: The parameters of the best validation epoch so far (that epoch's array).
        best_epoch: That epoch.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_error = math.inf
        self.best_theta: Array | None = None
        self.best_epoch = 0
        self.waited = 0

    def __call__(self, ev: Epoch) -> bool:
        """Track the best epoch; True once ``patience`` epochs have passed without one."""
        if ev.val_error is None:
            raise ValueError("early stopping needs a validation set (validation=(X_val, Y_val))")
        if ev.val_error < self.best_error:
            self.best_error, self.best_epoch = ev.val_error, ev.epoch
            self.best_theta, self.waited = ev.theta, 0
        else:
            self.waited += 1
        return self.waited >= self.patience
