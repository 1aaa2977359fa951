"""Training any module: :func:`fit` and :func:`predict`, one options object, one loop.

The criterion is the penalised risk of ESL §11.4–11.5.2,

    Σ_i R_i(θ) + λJ(θ)   (``scale="sum"``, the book's: λ is the book's λ), or
    (1/N) Σ_i R_i(θ) + λJ(θ)   (``scale="mean"``, as in micrograd's demo),

with J weight decay (Σ w²) or weight elimination (Σ w²/(1 + w²)) over *all* parameters,
intercepts included (as R's ``nnet`` does). With the mean scale the same λ weighs N times more.

How the gradient is computed (an *objective*, :class:`Objective`):

* a :class:`~nn.two_layer.TwoLayerNet` uses the vectorised closed form of ``nn/backprop.py``
  (δ and s), which the tests check against the engine to 1e-12;
* any other :class:`~nn.module.Module` whose call maps a list of inputs to a Value or a list
  of Values is traced once (:func:`autograd.trace`) with the per-example loss, and the tape
  is replayed on numpy arrays of all N examples: array speed, the engine's own derivatives.

Methods: ``"gd"`` (batch: one update per epoch with the summed gradient; online: one update
per observation, in a new random order each epoch, with the gradient of that observation's
share of the criterion, so that N online steps add up to one batch gradient), ``"adam"``, and
``"bfgs"`` (the variable metric BFGS of R's ``optim`` and ``nnet``,
:func:`nn.optim.variable_metric`; ``epochs`` is the iteration cap, and like ``nnet`` it stops
once an iteration lowers the criterion by less than a relative 1e-8).

The loop calls *observers* once per epoch with an :class:`Epoch` (epoch 0 is the start);
the history, early stopping and the progress bar are observers, and so can be yours (an
observer that returns True stops the start). A step that makes the criterion non-finite or
grow a millionfold raises :class:`DivergenceError` naming the learning rate and the epoch;
a criterion that is not finite at the starting weights is a ValueError about the data's scale.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autograd import Value, no_grad, trace
from nn import backprop
from nn.args import choice, count, fraction, matrix, non_negative, positive
from nn.losses import cross_entropy, hinge, squared_error
from nn.module import Module
from nn.optim import (
    Adam,
    GradientDescent,
    Optimizer,
    Schedule,
    learning_rate,
    variable_metric,
)
from nn.options import DEFAULT_PENALTY, METHODS, MODES, SCALES, TAPE_LOSSES, check_penalty
from nn.rng import INIT_RANGE, RandomSource, as_generator, uniform_weights
from nn.two_layer import TwoLayerNet

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DivergenceError",
    "EarlyStopping",
    "Epoch",
    "FitOptions",
    "History",
    "Objective",
    "fit",
    "objective_for",
    "predict",
    "progress_bar",
]

Array = NDArray[np.float64]
Loss = str | Callable[[list[Value], list[Value]], Value]
"""A loss name (:data:`nn.options.TAPE_LOSSES`) or R_i = loss(outputs, targets) on Values."""
Observer = Callable[["Epoch"], bool | None]
"""Called once per epoch; returning True stops the current start."""

GROWTH_LIMIT = 1e6
"""A gradient method has diverged when the criterion exceeds this many times its start."""


class DivergenceError(FloatingPointError):
    """Training made the criterion non-finite or blow up: lower the learning rate."""


@dataclass(frozen=True)
class FitOptions:
    """Every setting of :func:`fit`, checked when it is made (frozen: safe to reuse).

    Attributes:
        loss: ``"squared"``, ``"cross_entropy"``, ``"hinge"`` or a callable
            ``(outputs, targets) -> R_i`` on lists of Values. Default: cross-entropy for a
            softmax :class:`TwoLayerNet`, squared error otherwise.
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
            ±``init_range`` (the model's, 0.7 if it has none); the lowest final criterion wins.
        rng: Generator or seed (:func:`nn.rng.as_generator`), required for several starts
            and for online mode.
        progress: Show a progress bar; by default in a terminal or a notebook.

    Raises:
        ValueError: On unknown names, out-of-range numbers or options that do not go together.
        TypeError: On a non-numeric λ, lr or momentum.
    """

    loss: Loss | None = None
    lam: float = 0.0
    penalty: str | None = DEFAULT_PENALTY
    scale: str = "sum"
    method: str = "gd"
    mode: str = "batch"
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
            choice("loss", self.loss, TAPE_LOSSES)
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
        if self.progress not in (None, True, False):
            raise TypeError(f"progress must be True, False or None, got {self.progress!r}")


@dataclass(frozen=True)
class Epoch:
    """What observers see after each epoch (epoch 0 is the starting point).

    Attributes:
        start: Index of the start (0 is the model's own weights).
        epoch: Epochs done (BFGS: iterations).
        loss: The penalised criterion.
        train_error: Mean unpenalised loss (1/N) Σ_i R_i on the training set.
        val_error: Mean loss on the validation set, or None without one.
        theta: The parameters, in ``model.parameters()`` order (read only; copy to keep).
        predict: ``predict(X)`` → N × K outputs at these parameters.
    """

    start: int
    epoch: int
    loss: float
    train_error: float
    val_error: float | None
    theta: Array
    predict: Callable[[ArrayLike], Array]


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
    options: FitOptions | None = None
    seconds: float = 0.0

    def __call__(self, ev: Epoch) -> None:
        """Record one epoch (the history is itself an observer)."""
        self.loss.append(ev.loss)
        self.train_error.append(ev.train_error)
        if ev.val_error is not None:
            self.val_error.append(ev.val_error)
        self.best_epoch = ev.epoch

    def __repr__(self) -> str:
        if not self.loss:
            return "History(empty)"
        how = "" if self.options is None else f"{self.options.method} {self.options.mode}, "
        return (f"History({how}{len(self.loss) - 1} epochs, R + λJ {self.loss[0]:.4g} → "
                f"{self.loss[-1]:.4g}, best epoch {self.best_epoch}, {self.seconds:.2f} s)")

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
                                  "'deltagrad[demos]' (or matplotlib)") from err
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
        best_theta: The parameters of the best validation epoch so far.
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
            self.best_theta, self.waited = ev.theta.copy(), 0
        else:
            self.waited += 1
        return self.waited >= self.patience


def progress_bar(total: int, desc: str, enabled: bool | None, stream: TextIO | None = None) -> Any:
    """The one progress bar of ``nn`` and the demos: tqdm's, as a bar in terminals and notebooks.

    It is cleared when closed (nothing is left behind), so piped and terminal output match.

    Args:
        total: Number of steps.
        desc: Label in front of the bar.
        enabled: Show it; None means when ``stream`` is a terminal, or in a notebook with
            ipywidgets installed (tqdm's widget bar).
        stream: Where a terminal bar goes (default ``sys.stderr``).

    Returns:
        A ``tqdm`` bar (use ``update``, ``set_postfix_str``, ``close``, or ``with``).
    """
    out = sys.stderr if stream is None else stream
    # In a notebook the bar is tqdm's widget, which needs ipywidgets (tqdm.auto would warn
    # without it); there, without ipywidgets, no bar is shown unless asked for (a text bar
    # would leave a blank stderr strip in the cell).
    widget = _in_notebook() and importlib.util.find_spec("ipywidgets") is not None
    if enabled is None:
        enabled = widget or bool(getattr(out, "isatty", bool)())
    if widget:
        from tqdm.notebook import tqdm
        return tqdm(total=total, desc=desc, disable=not enabled, leave=False)
    from tqdm.std import tqdm
    # A terminal that reports a 0 × 0 size (a bare pty, as under script(1)) would hide the
    # bar: shutil falls back to 80 × 24 there.
    size = shutil.get_terminal_size()
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, file=out,
                mininterval=0.2, ncols=size.columns, nrows=size.lines)


def _in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's shell inside an IPKernelApp)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class Objective(Protocol):
    """How :func:`fit` evaluates a model on flat parameter vectors θ.

    Attributes:
        n_inputs: p, the number of inputs.
    """

    n_inputs: int

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


class _ClosedForm:
    """The lecture's net through ``nn/backprop.py`` (δ and s on arrays)."""

    def __init__(self, net: TwoLayerNet, loss: str) -> None:
        self.net, self.loss = net, loss
        p, m, k = net.shape
        self.n_inputs = p
        self.shapes = ((m, p + 1), (k, m + 1))
        self.split = m * (p + 1)

    def _unpack(self, theta: Array) -> tuple[Array, Array]:
        return (theta[: self.split].reshape(self.shapes[0]),
                theta[self.split :].reshape(self.shapes[1]))

    def read(self) -> Array:
        return np.concatenate([w.ravel() for w in self.net.to_arrays()])

    def write(self, theta: Array) -> None:
        self.net.set_arrays(*self._unpack(theta))

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        alpha, beta = self._unpack(theta)
        value, g_alpha, g_beta = backprop.risk_and_gradients(
            alpha, beta, x, y, loss=self.loss, output=self.net.output, penalty=None,
            need_grad=need_grad)
        return value, np.concatenate([g_alpha.ravel(), g_beta.ravel()]) if need_grad else None

    def predict(self, theta: Array, x: Array) -> Array:
        return backprop.forward(*self._unpack(theta), x, self.net.output).f


_NAMED_LOSSES: dict[str, Callable[[list[Value], list[Value]], Value]] = {
    "squared": squared_error, "cross_entropy": cross_entropy, "hinge": hinge,
}


class _Traced:
    """Any module, through a tape of the per-example loss replayed on the whole batch."""

    def __init__(self, model: Module, loss: Loss, n_inputs: int) -> None:
        self.model, self.n_inputs = model, n_inputs
        self.params = model.parameters()
        if not self.params:
            raise ValueError(f"{type(model).__name__} has no parameters to fit")
        self.loss = _NAMED_LOSSES[loss] if isinstance(loss, str) else loss
        self._loss_tape: Any = None
        self._output_tapes: list[Any] = []

    def _outputs(self, x: Sequence[Value]) -> list[Value]:
        out = self.model(list(x))
        outs = [out] if isinstance(out, Value) else list(out)
        if not outs or not all(isinstance(o, Value) for o in outs):
            raise ValueError(f"{type(self.model).__name__} must map a list of {self.n_inputs} "
                             f"inputs to a Value or a list of Values, got {out!r}")
        return outs

    def _example_loss(self, *v: Value) -> Value:
        outs = self._outputs(v[: self.n_inputs])
        targets = list(v[self.n_inputs :])
        if len(outs) != len(targets):
            raise ValueError(f"{type(self.model).__name__} has {len(outs)} outputs but Y has "
                             f"{len(targets)} columns")
        return self.loss(outs, targets)

    def read(self) -> Array:
        return np.array([p.data for p in self.params])

    def write(self, theta: Array) -> None:
        for p, v in zip(self.params, theta.tolist(), strict=True):
            p.data = v

    def risk(self, theta: Array, x: Array, y: Array, need_grad: bool) -> tuple[float, Array | None]:
        rows = np.hstack([x, y])
        if self._loss_tape is None:  # traced once, on the first example seen
            self._loss_tape = trace(self._example_loss, inputs=rows[0].tolist(),
                                    params=self.params)
        self.write(theta)
        if not need_grad:
            return float(self._loss_tape.forward(rows).sum()), None
        risks, grad = self._loss_tape.gradient(rows)
        return float(risks.sum()), grad

    def predict(self, theta: Array, x: Array) -> Array:
        if not self._output_tapes:  # one tape per output, traced on the first row
            with no_grad():
                k = len(self._outputs([Value(v) for v in x[0].tolist()]))
            self._output_tapes = [
                trace(lambda *v, k=k: self._outputs(v)[k], inputs=x[0].tolist(),
                      params=self.params)
                for k in range(k)
            ]
        self.write(theta)
        return np.column_stack([tape.forward(x) for tape in self._output_tapes])


def objective_for(model: Module, loss: Loss | None, n_inputs: int) -> Objective:
    """The objective :func:`fit` uses for ``model`` (closed form or tape).

    Args:
        model: A :class:`TwoLayerNet`, or any module mapping a list of inputs to a Value or
            a list of Values.
        loss: As :attr:`FitOptions.loss`.
        n_inputs: p, the columns of X (a TwoLayerNet knows its own).

    Raises:
        ValueError: On a loss the model cannot use, or a model whose outputs do not match Y.
        TypeError: On something that is not a Module.
    """
    if isinstance(model, TwoLayerNet):
        named = loss if loss is not None else (
            "cross_entropy" if model.output == "softmax" else "squared")
        if not isinstance(named, str) or named not in backprop.LOSSES:
            raise ValueError(f"a TwoLayerNet is fitted by its closed form, which has the losses "
                             f"{backprop.LOSSES!r}; got loss={named!r}")
        backprop.check_pairing(named, model.output)
        return _ClosedForm(model, named)
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn Module, got {type(model).__name__}")
    return _Traced(model, "squared" if loss is None else loss, n_inputs)


def predict(model: Module, X: ArrayLike) -> Array:  # noqa: N803
    """The model's outputs for each row of X, as an N × K array (no graph is kept).

    A :class:`TwoLayerNet` is evaluated by the closed form, any other module through a tape.

    Raises:
        ValueError: On an empty or non-finite X, or a model that does not map a row of X
            to Values.
    """
    objective, x = _objective_and_inputs(model, None, X)
    return objective.predict(objective.read(), x)


def _objective_and_inputs(model: Module, loss: Loss | None, X: ArrayLike  # noqa: N803
                          ) -> tuple[Objective, Array]:
    """The model's objective, and X checked once as N × p (a TwoLayerNet's own p)."""
    x = matrix("X", X, width="p")
    objective = objective_for(model, loss, x.shape[1])
    if x.shape[1] != objective.n_inputs:
        raise ValueError(f"X must have shape (N, {objective.n_inputs}), got {x.shape}")
    return objective, x


class _Criterion:
    """The penalised, scaled criterion of one fit on flat θ, and its gradient."""

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
            pen, pen_grad = self.penalty(theta, x.shape[0] / self.n)
            value = self.weight * data + pen
            if grad is not None:
                grad = self.weight * grad + pen_grad
        return value, data, grad


def fit(
    model: Module,
    X: ArrayLike,  # noqa: N803
    Y: ArrayLike,  # noqa: N803
    options: FitOptions | None = None,
    /,
    *,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    observers: Sequence[Observer] = (),
    stream: TextIO | None = None,
    **settings: Any,
) -> History:
    """Fit ``model`` in place; its current weights are the first start.

    >>> from nn import MLP
    >>> fit(MLP(2, [16, 16, 1], activation="relu"), X, y, loss="hinge", lam=1e-4,  # doctest: +SKIP
    ...     scale="mean", epochs=100, schedule=lambda r: 1.0 - 0.9 * (r - 1) / 100)

    Args:
        model: A :class:`TwoLayerNet` (closed-form gradients) or any module mapping a list of
            p inputs to a Value or a list of K Values (traced).
        X: N × p inputs.
        Y: N × K targets (a 1-D array is one column).
        options: A :class:`FitOptions`; or give its fields as keywords (``**settings``).
        validation: ``(X_val, Y_val)``: its mean loss is recorded every epoch.
        observers: Called with an :class:`Epoch` after every epoch; True stops the start.
        stream: Where a terminal progress bar goes (default ``sys.stderr``).
        **settings: The fields of :class:`FitOptions` (``loss``, ``lam``, ``penalty``,
            ``scale``, ``method``, ``mode``, ``epochs``, ``lr``, ``schedule``, ``momentum``,
            ``early_stopping``, ``starts``, ``rng``, ``progress``).

    Returns:
        The history of the kept start; the model holds its weights.

    Raises:
        ValueError: On bad data or options (before any work), or a criterion that is not
            finite at the starting weights (the model is unchanged).
        TypeError: On an unknown setting, or settings given twice.
        DivergenceError: When a step makes the criterion non-finite or grow a millionfold
            (the model is unchanged).
    """
    if options is not None and settings:
        raise TypeError("give either a FitOptions or its fields as keywords, not both")
    opts = options if options is not None else FitOptions(**settings)
    objective, x = _objective_and_inputs(model, opts.loss, X)
    y = matrix("Y", Y, rows=x.shape[0], column=True)
    val = None
    if validation is not None:
        if len(validation) != 2:
            raise ValueError("validation must be a pair (X_val, Y_val)")
        xv = matrix("X_val", validation[0], cols=x.shape[1])
        val = (xv, matrix("Y_val", validation[1], rows=xv.shape[0], cols=y.shape[1],
                           column=True))
    if opts.early_stopping is not None and val is None:
        raise ValueError("early_stopping needs a validation set (validation=(X_val, Y_val))")
    gen = None if opts.rng is None else as_generator(opts.rng)
    crit = _Criterion(objective, x, y, opts)
    begin = time.perf_counter()
    theta0 = objective.read()
    half = non_negative("init_range", getattr(model, "init_range", INIT_RANGE))
    runs: list[tuple[float, Array, History]] = []
    bar = progress_bar(opts.starts * opts.epochs, "fit", opts.progress, stream)
    try:
        for start in range(opts.starts):
            theta = theta0 if start == 0 else uniform_weights(theta0.size, gen, half)  # type: ignore[arg-type]
            runs.append(_one_start(crit, theta, start, val, observers, bar, gen))
        bar.refresh()  # the final epoch, before the bar is cleared
    except BaseException:
        objective.write(theta0)
        raise
    finally:
        bar.close()
    best = min(range(len(runs)), key=lambda i: runs[i][0])  # the first of equal minima
    _, theta_best, history = runs[best]
    history.best_start, history.options = best, opts
    history.start_losses = [final for final, _, _ in runs]
    history.seconds = time.perf_counter() - begin
    objective.write(theta_best)
    return history


def _one_start(
    crit: _Criterion,
    theta: Array,
    start: int,
    val: tuple[Array, Array] | None,
    observers: Sequence[Observer],
    bar: Any,
    gen: np.random.Generator | None,
) -> tuple[float, Array, History]:
    """Run one start; return its final criterion, its kept weights and its history."""
    opts = crit.opts
    history = History()
    stopper = None if opts.early_stopping is None else EarlyStopping(opts.early_stopping)
    observers = [history, *([stopper] if stopper else []), *observers]

    def notify(epoch: int, th: Array, value: float, data: float) -> bool:
        """Tell every observer about the epoch; True when one says stop."""
        val_error = None
        if val is not None:
            with np.errstate(all="ignore"):
                val_error = crit.objective.risk(th, *val, False)[0] / val[0].shape[0]
        ev = Epoch(start, epoch, value, data / crit.n, val_error, th,
                   lambda xs: crit.objective.predict(th, matrix("X", xs, width="p")))
        history.stopped_early = any([bool(observe(ev)) for observe in observers])
        bar.update(start * opts.epochs + epoch - bar.n)
        bar.set_postfix_str(f"start {start + 1}/{opts.starts}, R + λJ = {value:.6g}",
                            refresh=False)
        return history.stopped_early

    if opts.method == "bfgs":
        theta = _bfgs(crit, theta, notify)
    else:
        theta = _gradient(crit, theta, notify, gen)
    if stopper is not None and stopper.best_theta is not None:
        theta, history.best_epoch = stopper.best_theta, stopper.best_epoch
    return history.loss[history.best_epoch], theta, history


def _rate(opts: FitOptions, r: int) -> str:
    """The learning rate of update r, as the divergence error names it."""
    if not callable(opts.schedule):
        return f"lr={opts.lr:g}"
    return f"the schedule's γ_{r} = {learning_rate(1.0, opts.schedule, r):g}"


def _gradient(crit: _Criterion, theta: Array, notify: Callable[..., bool],
              gen: np.random.Generator | None) -> Array:
    """Gradient descent or Adam, batch or online: evaluate, tell the observers, step."""
    opts = crit.opts
    theta = theta.copy()
    rate = opts.lr or 1.0  # a callable schedule ignores it
    opt: Optimizer = (Adam(theta, lr=rate, schedule=opts.schedule) if opts.method == "adam" else
                      GradientDescent(theta, lr=rate, schedule=opts.schedule,
                                      momentum=opts.momentum))
    limit = math.inf
    for epoch in range(opts.epochs + 1):
        step = epoch < opts.epochs and opts.mode == "batch"
        value, data, grad = _evaluate(crit, theta, step, None, epoch, opt, limit)
        limit = min(limit, GROWTH_LIMIT * max(abs(value), 1.0))
        if notify(epoch, theta, value, data) or epoch == opts.epochs:
            break
        if step:
            opt.step(grad)  # type: ignore[arg-type]
            continue
        for i in gen.permutation(crit.n):  # type: ignore[union-attr]
            _, _, grad = _evaluate(crit, theta, True, slice(i, i + 1), epoch + 1, opt)
            opt.step(grad)  # type: ignore[arg-type]
    return theta


def _evaluate(crit: _Criterion, theta: Array, need_grad: bool, rows: slice | None, epoch: int,
              opt: Optimizer | None, limit: float = math.inf) -> tuple[float, float, Array | None]:
    """The criterion, or an error if it (or its gradient) overflows or passes ``limit``.

    At the starting weights that is a ValueError about the data's scale; after a step it is
    a :class:`DivergenceError` naming the epoch and the learning rate (``opt``'s).
    """
    cause: BaseException | None = None
    try:
        value, data, grad = crit(theta, need_grad, rows)
    except (OverflowError, FloatingPointError) as err:  # the tape's overflow checks
        value, data, grad, cause = math.inf, math.inf, None, err
    if math.isfinite(value) and value <= limit and (grad is None or np.isfinite(grad).all()):
        return value, data, grad
    if opt is None or opt.r == 0:
        raise ValueError(f"R + λJ or its gradient is not finite at the starting weights "
                         f"({value:.3g}): check the scale of X and Y (standardise them)"
                         ) from cause
    what = (f"R + λJ grew to {value:.3g}, over {GROWTH_LIMIT:g} times its start"
            if math.isfinite(value) and value > limit else
            f"the criterion or its gradient is no longer finite (R + λJ = {value:.3g})")
    raise DivergenceError(f"training diverged at epoch {epoch}: {what}, with "
                          f"{_rate(crit.opts, opt.r)}; lower the learning rate") from cause


def _bfgs(crit: _Criterion, theta: Array, notify: Callable[..., bool]) -> Array:
    """nnet's BFGS; the observers hear every iteration, from values it computed anyway."""

    def objective(th: Array) -> tuple[float, Array | None]:
        try:
            value, _, grad = crit(th, True)
        except (OverflowError, FloatingPointError):  # a tape's overflow check: a failed step
            return math.inf, None
        return value, grad

    def callback(th: Array, value: float, iteration: int) -> bool:
        return notify(iteration, th, value, (value - crit.penalty(th)[0]) / crit.weight)

    value, data, grad = _evaluate(crit, theta, True, None, 0, None)
    if notify(0, theta, value, data):
        return theta
    theta, _, _ = variable_metric(objective, theta, max_iter=crit.opts.epochs,
                                  start=(value, grad), callback=callback)  # type: ignore[arg-type]
    return theta
