"""Training the lecture's two-layer net: batch or online gradient descent, or quasi-Newton.

The criterion is the penalised risk of ESL §11.4–11.5.2,

    R(θ) + λJ(θ),   R(θ) = Σ_i R_i(θ)   (a *sum* over observations, as in the book),

so λ here is the book's λ: with a mean loss the same number would weigh N times more. J is
weight decay (Σ w²) or weight elimination (Σ w²/(1 + w²)) over *all* weights, intercepts
included (as R's ``nnet`` does).

Methods:

* ``"gd"``: gradient descent θ ← θ − γ_r ∂(R + λJ)/∂θ. In **batch** mode each epoch is one
  update with the gradient summed over the whole training set. In **online** mode each epoch
  is one sweep over the observations in a random order, one update per observation with the
  gradient of R_i + (λ/N)J (so that N online steps add up to one batch gradient); use the
  ``"inverse"`` schedule γ_r = γ_0/r for the Robbins–Monro conditions. ``momentum`` > 0 gives
  heavy-ball momentum.
* ``"adam"``: Adam, batch or online, with the same gradients.
* ``"bfgs"``: scipy's BFGS quasi-Newton method (the optimiser of R's ``nnet``, which ESL uses
  for its chapter-11 comparisons) on the batch criterion; ``epochs`` is then the iteration
  cap (``nnet``'s default is 100), which acts as early stopping when λ = 0. Needs scipy
  (the ``demos`` extra).

Gradients come from the vectorised closed form of ``nn/backprop.py`` (δ and s), which the
tests check against the autodiff engine to 1e-12. Several random starts (weights uniform on
[−0.7, 0.7] by default, ESL §11.5.3; :func:`fit` uses the net's ``init_range``) can be run;
the one with the lowest final penalised training criterion is kept. With a validation set the
validation error is recorded every epoch, and ``early_stopping=k`` stops after k epochs
without improvement and returns the weights of the best validation epoch (without
``early_stopping``, the last epoch's weights are returned).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import numpy as np

from nn import backprop
from nn.checks import RandomSource, as_generator, choice, count, non_negative, positive
from nn.optim import Adam, GradientDescent, Optimizer, Schedule, learning_rate

__all__ = ["METHODS", "MODES", "FitResult", "History", "fit", "fit_arrays", "initial_weights"]

METHODS: tuple[str, ...] = ("gd", "adam", "bfgs")
MODES: tuple[str, ...] = ("batch", "online")
INIT_SCALE = 0.7
"""Starting weights are uniform on [−0.7, 0.7] (ESL §11.5.3, for standardised inputs)."""


class TwoLayer(Protocol):
    """What :func:`fit` needs of a net: output function, starting range, weights as arrays."""

    output: str
    init_range: float

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray]: ...

    def set_arrays(self, alpha: np.ndarray, beta: np.ndarray) -> None: ...


@dataclass
class History:
    """What happened during a fit (of the start that was kept).

    Index e of the per-epoch lists is the state after e epochs (e = 0 is the starting point);
    for BFGS an "epoch" is one iteration.

    Attributes:
        loss: Penalised criterion Σ_i R_i + λJ on the training set.
        train_error: Mean unpenalised loss (1/N) Σ_i R_i on the training set.
        val_error: Mean loss on the validation set (empty without one).
        start_losses: Final penalised criterion of every start, in order.
        best_start: Index of the start that was kept.
        best_epoch: Epoch whose weights were returned: the best validation epoch with early
            stopping, otherwise the last epoch run.
        stopped_early: Whether early stopping ended the kept start before ``epochs``.
        method: ``"gd"``, ``"adam"`` or ``"bfgs"``.
        mode: ``"batch"`` or ``"online"``.
        lam: λ on the summed scale.
        seconds: Wall-clock time of the whole fit.
    """

    loss: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    val_error: list[float] = field(default_factory=list)
    start_losses: list[float] = field(default_factory=list)
    best_start: int = 0
    best_epoch: int = 0
    stopped_early: bool = False
    method: str = "gd"
    mode: str = "batch"
    lam: float = 0.0
    seconds: float = 0.0


@dataclass
class FitResult:
    """Fitted weights and the history of :func:`fit_arrays`.

    Attributes:
        alpha: M × (p+1) hidden weights, column 0 the intercepts.
        beta: K × (M+1) output weights, column 0 the intercepts.
        history: The training history.
    """

    alpha: np.ndarray
    beta: np.ndarray
    history: History


def initial_weights(
    p: int, m: int, k: int, rng: RandomSource, scale: float = INIT_SCALE
) -> tuple[np.ndarray, np.ndarray]:
    """Random starting weights, uniform on [−scale, scale] (alpha drawn before beta).

    These are the weights ``TwoLayerNet(p, m, k, rng=rng, init_range=scale)`` starts from.

    Args:
        p: Number of inputs.
        m: Number of hidden units.
        k: Number of outputs.
        rng: Generator or integer seed (see :func:`nn.checks.as_generator`).
        scale: Half-width of the uniform distribution (≥ 0).

    Returns:
        ``(alpha, beta)`` of shapes M × (p+1) and K × (M+1).

    Raises:
        ValueError: On a negative or non-finite scale.
        TypeError: On a non-numeric scale or an unusable rng.
    """
    scale = non_negative("scale", scale)
    gen = as_generator(rng)
    alpha = gen.uniform(-scale, scale, size=(m, p + 1))
    beta = gen.uniform(-scale, scale, size=(k, m + 1))
    return alpha, beta


def _matrix(name: str, value: np.ndarray) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (one row per observation), got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no rows: need at least one (N >= 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


@dataclass
class _Settings:
    """Checked arguments of one fit."""

    loss: str
    output: str
    penalty: str | None
    lam: float
    epochs: int
    mode: str
    method: str
    lr: float
    schedule: Schedule
    momentum: float
    early_stopping: int | None


class _Problem:
    """The data and criterion of one fit, on flat parameter vectors θ = (vec α, vec β)."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        shapes: tuple[tuple[int, int], tuple[int, int]],
        settings: _Settings,
    ) -> None:
        self.x, self.y, self.settings = x, y, settings
        (self.m, self.p1), (self.k, self.m1) = shapes
        self.split = self.m * self.p1

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        alpha = theta[: self.split].reshape(self.m, self.p1)
        beta = theta[self.split :].reshape(self.k, self.m1)
        return alpha, beta

    def criterion(
        self, theta: np.ndarray, rows: slice | np.ndarray | None = None, lam_scale: float = 1.0
    ) -> tuple[float, np.ndarray]:
        """Penalised criterion and its gradient, on all rows or the given ones."""
        s = self.settings
        alpha, beta = self.unpack(theta)
        x, y = (self.x, self.y) if rows is None else (self.x[rows], self.y[rows])
        value, g_alpha, g_beta = backprop.risk_and_gradients(
            alpha, beta, x, y, loss=s.loss, output=s.output,
            penalty=s.penalty, lam=s.lam * lam_scale,
        )
        return value, np.concatenate([g_alpha.ravel(), g_beta.ravel()])

    def mean_loss(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """(1/N) Σ_i R_i on the given data, without the penalty."""
        s = self.settings
        alpha, beta = self.unpack(theta)
        return backprop.risk(alpha, beta, x, y, loss=s.loss, output=s.output) / x.shape[0]

    def evaluate(self, theta: np.ndarray) -> tuple[float, float]:
        """Penalised criterion Σ_i R_i + λJ and mean loss on the training set (one pass)."""
        s = self.settings
        mean = self.mean_loss(theta, self.x, self.y)
        alpha, beta = self.unpack(theta)
        pen = backprop.penalty_value(alpha, beta, s.penalty, s.lam)
        return mean * self.x.shape[0] + pen, mean


class _Progress:
    """A periodic progress line on a stream, written only when enabled."""

    def __init__(self, enabled: bool, stream: TextIO, total: int, starts: int) -> None:
        self.enabled, self.stream, self.total, self.starts = enabled, stream, total, starts
        self.last = 0.0
        self.shown = False

    def update(self, start: int, epoch: int, loss: float) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        self.shown = True
        self.stream.write(
            f"\rstart {start + 1}/{self.starts}  epoch {epoch}/{self.total}  "
            f"R + λJ = {loss:.6g}   "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def fit_arrays(
    alpha: np.ndarray,
    beta: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    output: str = "identity",
    loss: str | None = None,
    weight_decay: float = 0.0,
    penalty: str | None = "weight_decay",
    epochs: int = 100,
    mode: str = "batch",
    method: str = "gd",
    lr: float | None = None,
    schedule: Schedule = "constant",
    momentum: float = 0.0,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: int | None = None,
    starts: int = 1,
    init_range: float = INIT_SCALE,
    rng: RandomSource | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
) -> FitResult:
    """Fit the two-layer net given by weight arrays; see the module docstring for the methods.

    Every argument is checked before any work starts.

    Args:
        alpha: Starting M × (p+1) hidden weights (column 0 the intercepts); not modified.
        beta: Starting K × (M+1) output weights (column 0 the intercepts); not modified.
        x: N × p inputs.
        y: N × K responses (a 1-D array is taken as N × 1).
        output: ``"identity"`` (regression) or ``"softmax"`` (classification).
        loss: ``"squared"`` or ``"cross_entropy"``; by default squared error for the identity
            output and cross-entropy for the softmax.
        weight_decay: λ ≥ 0 on the summed scale (the book's scale).
        penalty: ``"weight_decay"`` (J = Σw²), ``"weight_elimination"`` (J = Σw²/(1+w²)), or
            ``None`` (no penalty; λ must then be 0).
        epochs: Number of epochs (sweeps over the data); for BFGS the iteration cap.
        mode: ``"batch"`` or ``"online"`` (gradient methods only).
        method: ``"gd"``, ``"adam"`` or ``"bfgs"``.
        lr: γ_0 > 0, required for ``"gd"`` and ``"adam"``; must be left out for ``"bfgs"``.
        schedule: ``"constant"``, ``"inverse"`` (γ_0/r) or a callable ``r -> γ_r``.
        momentum: Heavy-ball momentum μ in [0, 1) for ``"gd"``.
        validation: Optional ``(x_val, y_val)``; its mean loss is recorded every epoch.
        early_stopping: Patience k ≥ 1: stop after k epochs without a lower validation error
            and return the best validation epoch's weights. Needs ``validation``.
        starts: Number of starts ≥ 1. The first starts from the given weights, the others
            from weights drawn uniformly on [−init_range, init_range] with ``rng``.
        init_range: Half-width of the extra starts' range (0.7, ESL §11.5.3).
        rng: Generator or seed (see :func:`nn.checks.as_generator`); required for several
            starts and for online mode (the order of the observations in each epoch).
        progress: Show a progress line; by default only when ``stream`` is a terminal.
        stream: Where the progress line goes (default: ``sys.stderr``).

    Returns:
        The fitted weights (of the start with the lowest final penalised criterion) and the
        history.

    Raises:
        ValueError: On inconsistent shapes, no observations (N = 0), NaN or infinite data, a
            negative λ, a non-positive learning rate (also from a callable schedule at r = 1),
            unknown options or options that do not go together.
        TypeError: On non-numeric λ, learning rate or init_range, or an unusable rng.
        ImportError: For ``"bfgs"`` when scipy is not installed.
    """
    alpha0 = _matrix("alpha", alpha)
    beta0 = _matrix("beta", beta)
    m, p1 = alpha0.shape
    k = beta0.shape[0]
    if beta0.shape != (k, m + 1):
        raise ValueError(f"beta must be K × (M+1) = ({k}, {m + 1}) for M = {m}, got {beta0.shape}")
    xs = _matrix("X", x)
    ys = _matrix("Y", y)
    if xs.shape[1] != p1 - 1:
        raise ValueError(f"X has {xs.shape[1]} columns but the net has p = {p1 - 1} inputs")
    if ys.shape != (xs.shape[0], k):
        raise ValueError(f"Y must be N × K = ({xs.shape[0]}, {k}), got {ys.shape}")
    val = None
    if validation is not None:
        if len(validation) != 2:
            raise ValueError("validation must be a pair (X_val, Y_val)")
        xv, yv = _matrix("X_val", validation[0]), _matrix("Y_val", validation[1])
        if xv.shape[1] != p1 - 1 or yv.shape != (xv.shape[0], k):
            raise ValueError(
                f"validation data must be N_val × {p1 - 1} and N_val × {k}, "
                f"got {xv.shape} and {yv.shape}"
            )
        val = (xv, yv)
    settings = _check_settings(
        output, loss, weight_decay, penalty, epochs, mode, method, lr, schedule, momentum,
        early_stopping, val is not None,
    )
    n_starts = count("starts", starts)
    scale = non_negative("init_range", init_range)
    if rng is None and (n_starts > 1 or settings.mode == "online"):
        raise ValueError("rng is required for several starts and for online mode")
    gen = None if rng is None else as_generator(rng)
    minimize = None
    if settings.method == "bfgs":
        from scipy.optimize import minimize  # the optional `demos` extra; ImportError if absent

    out = stream if stream is not None else sys.stderr
    show = progress if progress is not None else bool(getattr(out, "isatty", lambda: False)())
    problem = _Problem(xs, ys, (alpha0.shape, beta0.shape), settings)
    bar = _Progress(show, out, settings.epochs, n_starts)
    begin = time.perf_counter()
    runs: list[tuple[float, np.ndarray, History]] = []
    try:
        for start in range(n_starts):
            if start == 0:
                theta = np.concatenate([alpha0.ravel(), beta0.ravel()])
            else:
                a, b = initial_weights(p1 - 1, m, k, gen, scale)  # type: ignore[arg-type]
                theta = np.concatenate([a.ravel(), b.ravel()])
            runs.append(_one_start(problem, theta, val, gen, minimize, bar, start))
    finally:
        bar.close()
    best = min(range(n_starts), key=lambda i: runs[i][0])  # the first of equal minima
    _, theta_best, history = runs[best]
    history.best_start = best
    history.start_losses = [final for final, _, _ in runs]
    history.seconds = time.perf_counter() - begin
    a_fit, b_fit = problem.unpack(theta_best)
    return FitResult(a_fit.copy(), b_fit.copy(), history)


def _check_settings(
    output: str,
    loss: str | None,
    weight_decay: float,
    penalty: str | None,
    epochs: int,
    mode: str,
    method: str,
    lr: float | None,
    schedule: Schedule,
    momentum: float,
    early_stopping: int | None,
    has_validation: bool,
) -> _Settings:
    choice("output", output, backprop.OUTPUTS)
    if loss is None:
        loss = "squared" if output == "identity" else "cross_entropy"
    choice("loss", loss, backprop.LOSSES)
    if loss == "cross_entropy" and output != "softmax":
        raise ValueError("loss='cross_entropy' needs a softmax output")
    lam = non_negative("weight_decay", weight_decay)
    choice("penalty", penalty, backprop.PENALTIES)
    if penalty is None and lam != 0.0:
        raise ValueError(f"weight_decay={lam} given with penalty=None; name the penalty")
    choice("method", method, METHODS)
    choice("mode", mode, MODES)
    n_epochs = count("epochs", epochs)
    rate = 0.0
    if method == "bfgs":
        if mode != "batch":
            raise ValueError("method='bfgs' minimises the batch criterion: use mode='batch'")
        if lr is not None:
            raise ValueError("method='bfgs' has no learning rate: leave lr out")
        if momentum != 0.0:
            raise ValueError("momentum is for method='gd'")
    else:
        if lr is None and not callable(schedule):
            raise ValueError(f"method={method!r} needs a learning rate lr > 0 (or a callable "
                             "schedule r -> γ_r)")
        rate = 1.0 if lr is None else positive("the learning rate lr", lr)  # 1.0: unused
        if method == "adam" and momentum != 0.0:
            raise ValueError("momentum is for method='gd' (Adam has its own betas)")
        # Construct once on a dummy vector so that a bad schedule or momentum fails now, and
        # ask a callable schedule for its first rate, which must be positive.
        _make_optimizer(method, np.zeros(1), rate, schedule, momentum)
        learning_rate(rate, schedule, 1)
    if early_stopping is not None:
        count("early_stopping", early_stopping)
        if not has_validation:
            raise ValueError("early_stopping needs a validation set")
    return _Settings(
        loss=loss, output=output, penalty=penalty if lam > 0.0 else None, lam=lam,
        epochs=n_epochs, mode=mode, method=method, lr=rate, schedule=schedule,
        momentum=float(momentum), early_stopping=early_stopping,
    )


def _make_optimizer(
    method: str, theta: np.ndarray, lr: float, schedule: Schedule, momentum: float
) -> Optimizer:
    if method == "adam":
        return Adam(theta, lr=lr, schedule=schedule)
    return GradientDescent(theta, lr=lr, schedule=schedule, momentum=momentum)


def _one_start(
    problem: _Problem,
    theta: np.ndarray,
    val: tuple[np.ndarray, np.ndarray] | None,
    gen: np.random.Generator | None,
    minimize: Callable[..., Any] | None,
    bar: _Progress,
    start: int,
) -> tuple[float, np.ndarray, History]:
    """Run one start; return its final penalised criterion, its weights and its history."""
    s = problem.settings
    history = History(method=s.method, mode=s.mode, lam=s.lam)
    best_val = math.inf
    best_theta = theta.copy()
    since_best = 0

    def record(th: np.ndarray, epoch: int) -> bool:
        """Log epoch ``epoch``; return True when early stopping says stop."""
        nonlocal best_val, best_theta, since_best
        value, mean = problem.evaluate(th)
        history.loss.append(value)
        history.train_error.append(mean)
        bar.update(start, epoch, value)
        if val is not None:
            history.val_error.append(problem.mean_loss(th, *val))
        if s.early_stopping is None:  # the last epoch's weights are returned
            history.best_epoch = epoch
            return False
        err = history.val_error[-1]
        if err < best_val:
            best_val, best_theta, since_best = err, th.copy(), 0
            history.best_epoch = epoch
        else:
            since_best += 1
        history.stopped_early = since_best >= s.early_stopping
        return history.stopped_early

    record(theta, 0)
    if s.method == "bfgs":
        theta = _run_bfgs(problem, theta, record, minimize)
    else:
        theta = _run_gradient(problem, theta, record, gen)
    if s.early_stopping is not None:
        theta = best_theta
    final, _ = problem.evaluate(theta)
    return final, theta, history


def _run_gradient(
    problem: _Problem,
    theta: np.ndarray,
    record: Callable[[np.ndarray, int], bool],
    gen: np.random.Generator | None,
) -> np.ndarray:
    s = problem.settings
    theta = theta.copy()
    opt = _make_optimizer(s.method, theta, s.lr, s.schedule, s.momentum)
    n = problem.x.shape[0]
    for epoch in range(1, s.epochs + 1):
        if s.mode == "batch":
            _, grad = problem.criterion(theta)
            opt.step(grad)
        else:
            for i in gen.permutation(n):  # type: ignore[union-attr]
                _, grad = problem.criterion(theta, rows=slice(i, i + 1), lam_scale=1.0 / n)
                opt.step(grad)
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(
                f"the weights became infinite at epoch {epoch}: the learning rate is too large"
            )
        if record(theta, epoch):
            break
    return theta


def _run_bfgs(
    problem: _Problem,
    theta: np.ndarray,
    record: Callable[[np.ndarray, int], bool],
    minimize: Callable[..., Any] | None,
) -> np.ndarray:
    s = problem.settings
    iteration = 0

    def objective(th: np.ndarray) -> tuple[float, np.ndarray]:
        if not np.all(np.isfinite(th)):
            return math.inf, np.zeros_like(th)
        with np.errstate(over="ignore"):
            return problem.criterion(th)

    class _StopError(Exception):
        pass

    stopped: list[np.ndarray] = []

    def callback(th: np.ndarray) -> None:
        nonlocal iteration
        iteration += 1
        if record(th, iteration):
            stopped.append(th.copy())
            raise _StopError

    try:
        result = minimize(  # type: ignore[misc]
            objective, theta, jac=True, method="BFGS", callback=callback,
            options={"maxiter": s.epochs, "gtol": 1e-10},
        )
    except _StopError:
        return stopped[0]
    return np.asarray(result.x, dtype=np.float64)


def fit(
    net: TwoLayer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: str | None = None,
    weight_decay: float = 0.0,
    penalty: str | None = "weight_decay",
    epochs: int = 100,
    mode: str = "batch",
    method: str = "gd",
    lr: float | None = None,
    schedule: Schedule = "constant",
    momentum: float = 0.0,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: int | None = None,
    starts: int = 1,
    rng: RandomSource | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
) -> History:
    """Fit a :class:`~nn.two_layer.TwoLayerNet` in place, with its own output function.

    The net's current weights are the first start; the fitted weights (of the best start)
    replace them. The arguments are those of :func:`fit_arrays`, which documents them.

    Args:
        net: The net to train.
        x: N × p inputs.
        y: N × K responses.
        loss: ``"squared"`` or ``"cross_entropy"`` (default from the net's output).
        weight_decay: λ ≥ 0 on the summed scale.
        penalty: ``"weight_decay"``, ``"weight_elimination"`` or ``None``.
        epochs: Epochs (BFGS: iteration cap).
        mode: ``"batch"`` or ``"online"``.
        method: ``"gd"``, ``"adam"`` or ``"bfgs"``.
        lr: γ_0 for the gradient methods.
        schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.
        momentum: Heavy-ball momentum for ``"gd"``.
        validation: Optional ``(x_val, y_val)``.
        early_stopping: Patience in epochs (needs ``validation``).
        starts: Number of starts; the extra ones are drawn on the net's ``init_range``.
        rng: Generator (numpy or ``random.Random``) or seed (several starts, online mode).
        progress: Progress line on/off (default: when ``stream`` is a terminal).
        stream: Where the progress line goes (default ``sys.stderr``).

    Returns:
        The training history.

    Raises:
        ValueError: As :func:`fit_arrays` (nothing is changed in the net).
        TypeError: As :func:`fit_arrays`.
    """
    alpha, beta = net.to_arrays()
    result = fit_arrays(
        alpha, beta, x, y, output=net.output, loss=loss, weight_decay=weight_decay,
        penalty=penalty, epochs=epochs, mode=mode, method=method, lr=lr, schedule=schedule,
        momentum=momentum, validation=validation, early_stopping=early_stopping,
        starts=starts, init_range=net.init_range, rng=rng, progress=progress, stream=stream,
    )
    net.set_arrays(result.alpha, result.beta)
    return result.history
