"""Training any module: :func:`fit` and :func:`predict`, and the one loop behind them.

The criterion is the penalised risk of ESL §11.4–11.5.2,

    Σ_i R_i(θ) + λJ(θ)   (``scale="sum"``, the book's: λ is the book's λ), or
    (1/N) Σ_i R_i(θ) + λJ(θ)   (``scale="mean"``, as in micrograd's demo),

with J weight decay (Σ w²) or weight elimination (Σ w²/(1 + w²)) over *all* parameters,
intercepts included (as R's ``nnet`` does). With the mean scale the same λ weighs N times more.
The model supplies Σ_i R_i and its gradient through its :class:`~nn.objectives.Objective`
(the closed form for the lecture's net, a traced tape for any other module).

Methods: ``"gd"`` (batch: one update per epoch with the summed gradient; online: one update
per observation, in a new random order each epoch, with the gradient of that observation's
share of the criterion, so that N online steps add up to one batch gradient), ``"adam"``, and
``"bfgs"`` (the variable metric BFGS of R's ``optim`` and ``nnet``,
:func:`nn.optim.variable_metric`; ``epochs`` is the iteration cap, and like ``nnet`` it stops
once an iteration lowers the criterion by less than a relative 1e-8).

The loop tells the observers (:mod:`nn.observers`) about every epoch. The data are checked
once, before any work; a failure leaves the model as it was: a step that makes the criterion
non-finite or grow a millionfold raises :class:`DivergenceError` naming the learning rate and
the epoch, and a criterion that is not finite at the starting weights is a ValueError about
the data's scale. The one exception is an interrupt (Ctrl-C), since stopping is the user's
choice: the model keeps the weights of the last finished epoch of the best start so far,
and the ``KeyboardInterrupt`` is re-raised with that start's history as ``err.history``.

``fit`` and ``predict`` ask for derivatives and replays explicitly, so an enclosing
``autograd.no_grad()`` does not change what they do.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO, Unpack

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autograd import arrays
from autograd.mode import enable_grad
from nn.args import check_shape, matrix, non_negative
from nn.losses import Loss
from nn.module import Module
from nn.objectives import Criterion, Objective, objective_for
from nn.observers import EarlyStopping, Epoch, History, Observer
from nn.optim import Adam, GradientDescent, Optimizer, learning_rate, variable_metric
from nn.progress import progress_bar
from nn.rng import INIT_RANGE, as_generator, uniform_weights
from nn.settings import FitOptions, FitSettings

__all__ = ["GROWTH_LIMIT", "DivergenceError", "fit", "predict"]

Array = NDArray[np.float64]

GROWTH_LIMIT = 1e6
"""A gradient method has diverged when the criterion exceeds this many times its start."""


class DivergenceError(FloatingPointError):
    """Training made the criterion non-finite or blow up: lower the learning rate."""


def predict(model: Module, X: ArrayLike) -> Array:  # noqa: N803
    """The model's outputs for each row of X, as an N × K array (no graph is kept).

    The lecture's net is evaluated by its closed form, any other module through a tape.

    Raises:
        ValueError: On an empty or non-finite X, or a model that does not map a row of X
            to Values.
    """
    x = _data("X", X, width="p")
    with enable_grad():
        objective = _objective(model, None, x)
        return objective.predict(objective.read(), x)


def _objective(model: Module, loss: Loss | None, x: Array) -> Objective:
    """The model's objective, for an X already checked as N × p (a TwoLayerNet's own p)."""
    objective = objective_for(model, loss, x.shape[1])
    if x.shape[1] != objective.n_inputs:
        raise ValueError(f"X must have shape (N, {objective.n_inputs}), got {x.shape}")
    return objective


def _predictor(objective: Objective, theta: Array) -> Callable[[ArrayLike], Array]:
    """``predict(X)`` at θ, for :attr:`Epoch.predict` (X checked as :func:`predict` does)."""

    def at_theta(xs: ArrayLike) -> Array:
        x = _data("X", xs, cols=objective.n_inputs, width="p")
        with enable_grad():
            return objective.predict(theta, x)

    return at_theta


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
    **settings: Unpack[FitSettings],
) -> History:
    """Fit ``model`` in place; its current weights are the first start.

    >>> from nn import MLP
    >>> fit(MLP(2, [16, 16, 1], activation="relu"), X, y, loss="hinge", lam=1e-4,  # doctest: +SKIP
    ...     scale="mean", epochs=100, schedule=lambda r: 1.0 - 0.9 * (r - 1) / 100)

    Args:
        model: The lecture's :class:`~nn.TwoLayerNet` (closed-form gradients), any module
            mapping a list of p inputs to a Value or a list of K Values (traced), or any
            model with a ``fit_objective`` method (:mod:`nn.objectives`).
        X: N × p inputs.
        Y: N × K targets (a 1-D array is one column).
        options: A :class:`~nn.settings.FitOptions`; or give its fields as keywords.
        validation: ``(X_val, Y_val)``: its mean loss is recorded every epoch.
        observers: Called with an :class:`~nn.observers.Epoch` after every epoch; True stops
            the start. While they run, the model holds that epoch's weights.
        stream: Where a terminal progress bar goes (default ``sys.stderr``).
        **settings: The fields of :class:`~nn.settings.FitOptions` (``loss``, ``lam``,
            ``penalty``, ``scale``, ``method``, ``mode``, ``epochs``, ``lr``, ``schedule``,
            ``momentum``, ``early_stopping``, ``starts``, ``rng``, ``progress``), typed by
            :class:`~nn.settings.FitSettings`.

    Returns:
        The history of the kept start; the model holds its weights.

    Raises:
        ValueError: On bad data or options (before any work), or a criterion that is not
            finite at the starting weights (the model is unchanged).
        TypeError: On an unknown setting, or settings given twice.
        DivergenceError: When a step makes the criterion non-finite or grow a millionfold
            (the model is unchanged).
        KeyboardInterrupt: Re-raised with ``.history``; the model keeps the weights of the
            last finished epoch of the best start so far.
    """
    if options is not None and settings:
        raise TypeError("give either a FitOptions or its fields as keywords, not both")
    opts = options if options is not None else FitOptions(**settings)
    begin = time.perf_counter()
    x = _data("X", X, width="p")
    with enable_grad():
        objective = _objective(model, opts.loss, x)
        k = getattr(objective, "n_outputs", None)  # a model's own objective may not know K
        y = _data("Y", Y, rows=x.shape[0], column=True, like=x,
                  **({} if k is None else {"cols": k}))
        val = _validation(validation, x.shape[1], y.shape[1])
        if opts.early_stopping is not None and val is None:
            raise ValueError("early_stopping needs a validation set (validation=(X_val, Y_val))")
        half = non_negative("init_range", getattr(model, "init_range", INIT_RANGE))
        return _run_starts(Criterion(objective, x, y, opts), val, observers, stream, half, begin)


def _validation(validation: tuple[ArrayLike, ArrayLike] | None, p: int, k: int
                ) -> tuple[Array, Array] | None:
    """``(X_val, Y_val)`` checked once, or None."""
    if validation is None:
        return None
    if len(validation) != 2:
        raise ValueError("validation must be a pair (X_val, Y_val)")
    xv = _data("X_val", validation[0], cols=p)
    return xv, _data("Y_val", validation[1], rows=xv.shape[0], cols=k, column=True, like=xv)


def _data(name: str, value: ArrayLike, *, like: Any = None, column: bool = False,
          **shape: Any) -> Array:
    """:func:`~nn.args.matrix`, except that an array of another array-API library (a torch
    tensor, a dask array) stays in its library and on its device, so that training runs
    there; ``like`` puts the result in the library of another array (Y in that of X)."""
    if not arrays.is_foreign(value) and (like is None or not arrays.is_foreign(like)):
        return matrix(name, value, column=column, **shape)
    arr = arrays.floats(value) if arrays.is_foreign(value) else np.asarray(value, np.float64)
    arr = arr if like is None else arrays.like(like, arr)
    if column and arr.ndim == 1:
        arr = arr[:, None]
    check_shape(name, tuple(arr.shape), **shape)
    xp = arrays.namespace(arr)
    if not bool(arrays.to_host(xp.all(xp.isfinite(arr)))):
        raise ValueError(f"{name} must be finite, got a nan or inf entry")
    return arr


class _Start:
    """One start: tells the observers about each epoch and remembers what the start keeps."""

    def __init__(self, index: int, crit: Criterion, val: tuple[Array, Array] | None,
                 observers: Sequence[Observer], bar: Any) -> None:
        self.index, self.crit, self.val, self.bar = index, crit, val, bar
        self.history = History()
        patience = crit.opts.early_stopping
        self.stopper = None if patience is None else EarlyStopping(patience)
        self.observers: list[Observer] = [self.history, *([self.stopper] if self.stopper else []),
                                          *observers]
        self.writes = bool(observers)  # the user's observers see the model at ev.theta
        self.finished: tuple[int, int, Array] | None = None  # (last epoch, kept epoch, kept θ)

    def notify(self, epoch: int, theta: Array, value: float, data: float) -> bool:
        """Tell every observer about the epoch; True when one says stop."""
        crit, opts = self.crit, self.crit.opts
        th = theta.copy()
        th.flags.writeable = False
        val_error = None
        if self.val is not None:
            with np.errstate(all="ignore"):
                val_error = crit.objective.risk(th, *self.val, False)[0] / self.val[0].shape[0]
        ev = Epoch(self.index, epoch, value, data / crit.n, val_error, th,
                   _predictor(crit.objective, th))
        if self.writes:
            crit.objective.write(th)
        stop = any([bool(observe(ev)) for observe in self.observers])
        kept = (epoch, th)
        if self.stopper is not None and self.stopper.best_theta is not None:
            kept = (self.stopper.best_epoch, self.stopper.best_theta)
        self.finished = (epoch, *kept)  # one assignment: the epoch counts once all returned
        self.history.stopped_early = stop
        if not self.bar.disable:
            self.bar.update(self.index * opts.epochs + epoch - self.bar.n)
            self.bar.set_postfix_str(f"start {self.index + 1}/{opts.starts}, "
                                     f"R + λJ = {value:.6g}", refresh=False)
        return stop

    def kept(self) -> tuple[float, Array] | None:
        """(criterion, θ) of the epoch this start keeps, None before its first epoch ended.

        The history is cut after the last finished epoch (an interrupt may have come
        during the next one).
        """
        if self.finished is None:
            self.history.truncate(0)
            return None
        last, epoch, theta = self.finished
        self.history.truncate(last + 1)
        self.history.best_epoch = epoch
        return self.history.loss[epoch], theta


def _run_starts(crit: Criterion, val: tuple[Array, Array] | None,
                observers: Sequence[Observer], stream: TextIO | None, half: float,
                begin: float) -> History:
    """Every start in turn; the model ends with the kept start's weights (see :func:`fit`)."""
    opts, objective = crit.opts, crit.objective
    gen = None if opts.rng is None else as_generator(opts.rng)
    theta0 = objective.read()
    starts: list[_Start] = []
    bar = progress_bar(opts.starts * opts.epochs, "fit", opts.progress, stream)
    try:
        for index in range(opts.starts):
            theta = theta0 if index == 0 else uniform_weights(theta0.size, gen, half)  # type: ignore[arg-type]
            starts.append(_Start(index, crit, val, observers, bar))
            if opts.method == "bfgs":
                _bfgs(crit, theta, starts[-1].notify)
            else:
                _gradient(crit, theta, starts[-1].notify, gen)
        bar.refresh()  # the final epoch, before the bar is cleared
    except KeyboardInterrupt as err:
        err.history = _keep(crit, starts, theta0, begin, interrupted=True)  # type: ignore[attr-defined]
        raise
    except BaseException:
        objective.write(theta0)
        raise
    finally:
        bar.close()
    return _keep(crit, starts, theta0, begin, interrupted=False)


def _keep(crit: Criterion, starts: list[_Start], theta0: Array, begin: float,
          interrupted: bool) -> History:
    """Write the weights of the start with the lowest kept criterion; return its history."""
    kept = [(run, k) for run in starts if (k := run.kept()) is not None]
    if not kept:  # interrupted before the first epoch ended
        crit.objective.write(theta0)
        history = starts[0].history if starts else History()
    else:
        run, (_, theta) = min(kept, key=lambda pair: pair[1][0])  # the first of equal minima
        crit.objective.write(theta)
        history = run.history
        history.best_start = run.index
    history.start_losses = [loss for _, (loss, _) in kept]
    history.interrupted, history.options = interrupted, crit.opts
    history.seconds = time.perf_counter() - begin
    return history


def _rate(opts: FitOptions, r: int) -> str:
    """The learning rate of update r, as the divergence error names it."""
    if not callable(opts.schedule):
        return f"lr={opts.lr:g}"
    return f"the schedule's γ_{r} = {learning_rate(1.0, opts.schedule, r):g}"


def _gradient(crit: Criterion, theta: Array, notify: Callable[..., bool],
              gen: np.random.Generator | None) -> None:
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
            return
        if step:
            opt.step(grad)  # type: ignore[arg-type]
            continue
        for i in gen.permutation(crit.n):  # type: ignore[union-attr]
            _, _, grad = _evaluate(crit, theta, True, slice(i, i + 1), epoch + 1, opt)
            opt.step(grad)  # type: ignore[arg-type]


def _evaluate(crit: Criterion, theta: Array, need_grad: bool, rows: slice | None, epoch: int,
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
                          f"{_rate(crit.opts, opt.r)}; lower the learning rate (with the "
                          "default scale='sum' the gradient grows with N: scale='mean' "
                          "makes lr per example)") from cause


def _bfgs(crit: Criterion, theta: Array, notify: Callable[..., bool]) -> None:
    """nnet's BFGS; the observers hear every iteration, from values it computed anyway."""

    last = [math.inf]  # Σ_i R_i at the last point evaluated: the iterate the callback gets

    def objective(th: Array) -> tuple[float, Array | None]:
        try:
            value, last[0], grad = crit(th, True)
        except (OverflowError, FloatingPointError):  # a tape's overflow check: a failed step
            return math.inf, None
        return value, grad

    def callback(th: Array, value: float, iteration: int) -> bool:
        return notify(iteration, th, value, last[0])

    value, data, grad = _evaluate(crit, theta, True, None, 0, None)
    if notify(0, theta, value, data):
        return
    variable_metric(objective, theta, max_iter=crit.opts.epochs, start=(value, grad),  # type: ignore[arg-type]
                    callback=callback)
