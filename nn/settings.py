"""What :func:`nn.train.fit` can be told: :class:`FitOptions`, checked once, and its keywords.

:class:`FitOptions` is one frozen, checked object, reusable across fits (an int ``rng`` gives
every fit the same draws; a ``numpy.random.Generator`` or ``random.Random`` given as ``rng``
is shared, and each fit advances it);
:class:`FitSettings` lists the same fields as a ``TypedDict``, so that
``fit(model, X, Y, lr=0.1, epochs=50)`` is typed through ``**settings: Unpack[FitSettings]``
(PEP 692): editors complete the names and mypy checks their types, including the allowed
strings (``scale="median"`` is a type error as well as a ``ValueError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from nn.args import choice, count, fraction, positive
from nn.losses import REGISTRY, Loss
from nn.optim import Schedule, learning_rate
from nn.options import (
    DEFAULT_PENALTY,
    METHODS,
    MODES,
    SCALES,
    Method,
    Mode,
    PenaltyName,
    Scale,
    check_penalty,
)
from nn.rng import RandomSource

__all__ = ["FitOptions", "FitSettings"]


class FitSettings(TypedDict, total=False):
    """The fields of :class:`FitOptions` as keywords of :func:`nn.train.fit` (all optional)."""

    loss: Loss | None
    lam: float
    penalty: PenaltyName | None
    scale: Scale
    method: Method
    mode: Mode
    epochs: int
    lr: float | None
    schedule: Schedule
    momentum: float
    early_stopping: int | None
    starts: int
    rng: RandomSource | None
    progress: bool | None


@dataclass(frozen=True)
class FitOptions:
    """Every setting of :func:`nn.train.fit`, checked when it is made (frozen, reusable).

    Attributes:
        loss: A name in :data:`nn.losses.REGISTRY` (``"squared"``, ``"cross_entropy"``,
            ``"hinge"``) or a callable ``(outputs, targets) -> R_i`` on lists of Values.
            Default: the model's (cross-entropy for a softmax :class:`~nn.TwoLayerNet`,
            squared error otherwise).
        lam: λ ≥ 0 (see ``scale``).
        penalty: ``"weight_decay"`` (J = Σw², the default), ``"weight_elimination"``
            (J = Σw²/(1+w²)) or ``None`` (λ must then be 0).
        scale: ``"sum"`` (Σ_i R_i + λJ, the book's, default) or ``"mean"`` ((1/N) Σ_i R_i + λJ).
        method: ``"gd"``, ``"adam"`` or ``"bfgs"`` (nnet's, :func:`nn.optim.variable_metric`).
        mode: ``"batch"`` or ``"online"`` (gradient methods only).
        epochs: Number of epochs (sweeps over the data); for BFGS the iteration cap.
        lr: γ_0 > 0 for ``"gd"`` and ``"adam"`` (not needed with a callable schedule);
            must be left out for ``"bfgs"``.
        schedule: ``"constant"``, ``"inverse"`` (γ_0/r) or a callable ``r -> γ_r`` (r ≥ 1).
        momentum: Heavy-ball momentum μ in [0, 1) for ``"gd"``.
        early_stopping: Patience k ≥ 1: stop after k epochs without a lower validation error
            and keep the best validation epoch's weights (needs ``validation=`` in fit).
        starts: Number of starts ≥ 1: the model's weights, then weights uniform on
            ± ``init_range`` (the model's, 0.7 if it has none); the lowest final criterion wins.
        rng: Generator or seed (:func:`nn.rng.as_generator`), required for several starts
            and for online mode.
        progress: Show a progress bar; by default in a terminal or a notebook.

    Raises:
        ValueError: On unknown names, out-of-range numbers or options that do not go together.
        TypeError: On a non-numeric λ, lr or momentum, or an unknown field.
    """

    loss: Loss | None = None
    lam: float = 0.0
    penalty: PenaltyName | None = DEFAULT_PENALTY
    scale: Scale = "sum"
    method: Method = "gd"
    mode: Mode = "batch"
    epochs: int = 100
    lr: float | None = None
    schedule: Schedule = "constant"
    momentum: float = 0.0
    early_stopping: int | None = None
    starts: int = 1
    rng: RandomSource | None = None
    progress: bool | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        if self.loss is not None and not callable(self.loss):
            choice("loss", self.loss, tuple(REGISTRY))
        put("lam", check_penalty(self.penalty, self.lam))
        choice("scale", self.scale, SCALES)
        choice("method", self.method, METHODS)
        choice("mode", self.mode, MODES)
        put("epochs", count("epochs", self.epochs))
        put("momentum", fraction("momentum", self.momentum))
        if self.method == "bfgs":
            if self.mode != "batch":
                raise ValueError("method='bfgs' minimises the batch criterion: use mode='batch'")
            if self.lr is not None or self.schedule != "constant":
                raise ValueError("method='bfgs' has no learning rate: leave lr and schedule out")
        else:
            if self.lr is None and not callable(self.schedule):
                raise ValueError(f"method={self.method!r} needs a learning rate lr > 0 (or a "
                                 "callable schedule r -> γ_r)")
            if self.lr is not None:
                put("lr", positive("the learning rate lr", self.lr))
            learning_rate(self.lr or 1.0, self.schedule, 1)  # a bad schedule fails now
        if self.momentum != 0.0 and self.method != "gd":
            raise ValueError("momentum is for method='gd' (Adam has its own betas)")
        if self.early_stopping is not None:
            put("early_stopping", count("early_stopping", self.early_stopping))
        put("starts", count("starts", self.starts))
        if self.rng is None and (self.starts > 1 or self.mode == "online"):
            raise ValueError("rng is required for several starts and for online mode")
        if self.progress is not None and not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True, False or None, got {self.progress!r}")
