"""First-order optimisers for the lecture's training loop: gradient descent, momentum, Adam.

Gradient descent is the update of ESL eq. 11.13,

    θ ← θ − γ_r Σ_i ∂R_i/∂θ,

applied either in **batch** mode (the sum runs over the whole training set, one update per
epoch, an *epoch* being one sweep over the data) or **online** (one observation per update,
so an epoch is N updates). The optimiser itself does not care which: it receives a gradient
and takes a step; :func:`nn.train.fit` decides what the gradient sums over.

The learning rate γ_r of the r-th update (r = 1, 2, ...) comes from a *schedule*:

* ``"constant"``: γ_r = γ_0, the usual choice for batch learning;
* ``"inverse"``: γ_r = γ_0 / r, for online learning. It meets the Robbins–Monro conditions
  γ_r → 0, Σ_r γ_r = ∞ and Σ_r γ_r² < ∞, which guarantee that stochastic approximation
  converges (ESL §11.4): the steps shrink fast enough to average out the noise of single
  observations but not so fast that the iterates stop before reaching a minimum;
* any callable ``r -> γ_r``.

Momentum and Adam (first-order methods of the previous lecture) use the same schedule.
:func:`variable_metric` is the quasi-Newton BFGS of R's ``nnet``, which ESL uses for its
chapter-11 experiments.

An optimiser is an **array core**: it owns one flat float64 vector θ and updates it in place
with ``step(grad)``; :func:`nn.train.fit` drives it with the gradients of its objectives.
:class:`ParameterOptimizer` is the thin adapter for engine parameters (``Value`` /
``Parameter`` objects): it gathers their ``.data`` and ``.grad`` (filled by
``loss.backward()``) into arrays, lets any core take the step, and writes ``.data`` back.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from nn.args import fraction, positive
from nn.options import SCHEDULES, ScheduleName

__all__ = [
    "Adam",
    "GradientDescent",
    "Optimizer",
    "ParameterOptimizer",
    "Schedule",
    "learning_rate",
    "variable_metric",
]

Schedule = ScheduleName | Callable[[int], float]
"""A schedule by name or a callable r ↦ γ_r (r ≥ 1)."""


class _HasGrad(Protocol):
    """What the optimisers need of an engine parameter: a float ``data`` and a ``grad``."""

    data: float
    grad: float


def learning_rate(lr: float, schedule: Schedule, r: int) -> float:
    """The learning rate γ_r of update number ``r`` (counting from 1).

    Args:
        lr: γ_0 (positive).
        schedule: ``"constant"`` (γ_r = γ_0), ``"inverse"`` (γ_r = γ_0 / r) or a callable that
            maps r to γ_r (``lr`` is then ignored).
        r: The update number, r ≥ 1.

    Returns:
        γ_r.

    Raises:
        ValueError: For an unknown schedule name, r < 1, or a callable that returns a
            non-positive or non-finite rate.
    """
    if r < 1:
        raise ValueError(f"update numbers start at 1, got r={r}")
    if callable(schedule):
        given = schedule(r)
        if isinstance(given, bool) or not isinstance(given, numbers.Real):
            raise TypeError(f"the schedule must return a number (γ_r), got "
                            f"{type(given).__name__} {given!r} at r={r}")
        rate = float(given)
        if not math.isfinite(rate) or rate <= 0.0:
            raise ValueError(f"the schedule returned a non-positive learning rate {rate} at r={r}")
        return rate
    if schedule == "constant":
        return lr
    if schedule == "inverse":
        return lr / r
    raise ValueError(f"schedule must be one of {SCHEDULES!r} or a callable, got {schedule!r}")


class Optimizer:
    """The array core: θ, the update counter r and the schedule.

    Subclasses implement :meth:`_direction`, which turns the gradient of update r into the
    change Δθ to add to θ.

    Attributes:
        theta: The parameter vector, updated in place.
        lr: γ_0.
        schedule: The learning-rate schedule.
        r: Number of updates taken so far.
    """

    def __init__(self, theta: np.ndarray, lr: float, schedule: Schedule = "constant") -> None:
        """Check the arguments and take the parameter vector.

        Args:
            theta: A non-empty, writeable 1-D float64 array; :meth:`step` updates it in place.
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.

        Raises:
            ValueError: On a non-positive learning rate, an unknown schedule, or an array
                that is not a writeable, non-empty 1-D float64 vector.
            TypeError: On a learning rate that is not a number, or engine parameters
                (use :class:`ParameterOptimizer`).
        """
        if not isinstance(theta, np.ndarray):
            raise TypeError(
                f"{type(self).__name__} updates a numpy vector; for engine parameters use "
                f"ParameterOptimizer(params, {type(self).__name__}, lr=...)"
            )
        if theta.ndim != 1 or theta.dtype != np.float64 or theta.size == 0:
            raise ValueError(
                "the parameters must be a non-empty 1-D float64 vector, got "
                f"shape {theta.shape} and dtype {theta.dtype}"
            )
        if not theta.flags.writeable:
            raise ValueError("the parameter array must be writeable (it is updated in place)")
        self.lr = positive("lr", lr)
        if not callable(schedule) and schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {SCHEDULES!r} or a callable, got {schedule!r}"
            )
        self.schedule = schedule
        self.theta = theta
        self.r = 0

    def step(self, grad: np.ndarray) -> float:
        """Take update r + 1: θ ← θ + Δθ, with Δθ from the gradient and γ_{r+1}.

        Args:
            grad: Σ_i ∂R_i/∂θ, an array of θ's shape.

        Returns:
            The learning rate γ_r used for this update.

        Raises:
            ValueError: If the gradient is of the wrong shape or not finite (θ is unchanged).
        """
        g = np.asarray(grad, dtype=np.float64)
        if g.shape != self.theta.shape:
            raise ValueError(f"gradient shape {g.shape} != parameter shape {self.theta.shape}")
        if not np.isfinite(g).all():
            raise ValueError("the gradient contains NaN or infinite entries")
        rate = learning_rate(self.lr, self.schedule, self.r + 1)
        self.theta += self._direction(g, rate)
        self.r += 1
        return rate

    def _direction(self, grad: np.ndarray, rate: float) -> np.ndarray:
        """Return Δθ for gradient ``grad`` and learning rate ``rate`` (update r + 1)."""
        raise NotImplementedError


class GradientDescent(Optimizer):
    """Gradient descent θ ← θ − γ_r g (ESL eq. 11.13), optionally with heavy-ball momentum.

    With momentum μ > 0 the change is a running combination of past steps:
    v_r = μ v_{r−1} − γ_r g_r, θ ← θ + v_r (v_0 = 0). μ = 0 is plain gradient descent.
    """

    def __init__(
        self,
        theta: np.ndarray,
        lr: float,
        schedule: Schedule = "constant",
        momentum: float = 0.0,
    ) -> None:
        """Set up the optimiser.

        Args:
            theta: The 1-D float64 parameter vector (see :class:`Optimizer`).
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.
            momentum: μ in [0, 1).

        Raises:
            ValueError: As :class:`Optimizer`, or a momentum outside [0, 1).
        """
        super().__init__(theta, lr, schedule)
        self.momentum = fraction("momentum", momentum)
        self._velocity = np.zeros(theta.size)

    def _direction(self, grad: np.ndarray, rate: float) -> np.ndarray:
        if self.momentum == 0.0:
            return -rate * grad
        self._velocity = self.momentum * self._velocity - rate * grad
        return self._velocity.copy()


class Adam(Optimizer):
    """Adam: steps scaled per coordinate by running moments of the gradient.

    m_r = β1 m_{r−1} + (1 − β1) g_r, v_r = β2 v_{r−1} + (1 − β2) g_r², bias-corrected
    m̂ = m_r / (1 − β1^r), v̂ = v_r / (1 − β2^r), and θ ← θ − γ_r m̂ / (√v̂ + ε).
    """

    def __init__(
        self,
        theta: np.ndarray,
        lr: float = 1e-3,
        schedule: Schedule = "constant",
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        """Set up the optimiser.

        Args:
            theta: The 1-D float64 parameter vector (see :class:`Optimizer`).
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.
            betas: Decay rates (β1, β2) of the first and second moments, each in [0, 1).
            eps: ε > 0 added to √v̂.

        Raises:
            ValueError: As :class:`Optimizer`, betas outside [0, 1), or a non-positive ε.
        """
        super().__init__(theta, lr, schedule)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = fraction("beta1", betas[0])
        self.beta2 = fraction("beta2", betas[1])
        self.eps = positive("eps", eps)
        self._m = np.zeros(theta.size)
        self._v = np.zeros(theta.size)

    def _direction(self, grad: np.ndarray, rate: float) -> np.ndarray:
        r = self.r + 1
        self._m = self.beta1 * self._m + (1.0 - self.beta1) * grad
        self._v = self.beta2 * self._v + (1.0 - self.beta2) * grad * grad
        m_hat = self._m / (1.0 - self.beta1**r)
        v_hat = self._v / (1.0 - self.beta2**r)
        return -rate * m_hat / (np.sqrt(v_hat) + self.eps)


class ParameterOptimizer:
    """Engine parameters driven by an array optimiser: ``.grad`` in, ``.data`` out.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = ParameterOptimizer([w], GradientDescent, lr=0.1)
    >>> opt.zero_grad(); (w * w).backward(); opt.step()
    0.1
    >>> w.data
    0.8

    Attributes:
        params: The parameters, in order.
        core: The array optimiser (its ``theta`` mirrors the parameters' ``.data``).
    """

    def __init__(
        self, params: Iterable[_HasGrad], optimizer: type[Optimizer], **options: Any
    ) -> None:
        """Take the parameters and build the core on their values.

        Args:
            params: Engine parameters (objects with ``data`` and ``grad``), each once.
            optimizer: The core's class (:class:`GradientDescent`, :class:`Adam`, ...).
            **options: The core's own arguments (``lr=``, ``schedule=``, ``momentum=``, ...).

        Raises:
            ValueError: On no parameters, a parameter listed twice, or bad options.
        """
        self.params = list(params)
        if not self.params:
            raise ValueError("no parameters to optimise")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("a parameter appears more than once; it would be updated twice")
        self.core = optimizer(np.array([float(p.data) for p in self.params]), **options)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (before the next backward passes)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> float:
        """One update from the parameters' ``.grad``; returns the learning rate used.

        Raises:
            ValueError: If a gradient is not finite (no parameter changes).
        """
        self.core.theta[:] = [float(p.data) for p in self.params]  # they may have been set
        rate = self.core.step(np.array([float(p.grad) for p in self.params]))
        for p, v in zip(self.params, self.core.theta.tolist(), strict=True):
            p.data = v
        return rate


def variable_metric(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray | None]],
    theta: np.ndarray,
    *,
    max_iter: int = 100,
    abstol: float = 1e-4,
    reltol: float = 1e-8,
    start: tuple[float, np.ndarray] | None = None,
    callback: Callable[[np.ndarray, float, int], bool] | None = None,
) -> tuple[np.ndarray, float, int]:
    """Minimise by the BFGS variable metric method of R's ``optim`` and ``nnet``.

    This is Nash's variable metric algorithm (Compact Numerical Methods, 1990, Algorithm 21),
    the "BFGS" that ``nnet`` (and so ESL's chapter-11 experiments) uses: an approximation H
    of the inverse Hessian, reset to I when a step fails; each iteration searches along
    d = −H g by backtracking (γ = 1, 0.2, 0.04, ... until f falls by at least 10⁻⁴ γ ``|gᵀd|``,
    an Armijo test), then updates H with the BFGS formula when sᵀy > 0. It stops after
    ``max_iter`` iterations, when f ≤ ``abstol``, when an iteration lowers f by no more than
    ``reltol`` (``|f|`` + ``reltol``), or when no step changes θ even from H = I.

    Args:
        objective: θ ↦ (f(θ), ∇f(θ)); f may be +∞ (or the gradient None) where it overflows,
            which the line search treats as a failed step.
        theta: The starting point (not modified).
        max_iter: Iteration cap (``nnet``'s ``maxit``, 100).
        abstol: Stop once f ≤ abstol (``nnet``: 1e-4, a perfect fit).
        reltol: Relative decrease below which the method stops (``nnet``: 1e-8).
        start: (f, ∇f) at ``theta`` if already known (saves one evaluation).
        callback: Called after each iteration with (θ, f, iteration); True stops.

    Returns:
        (θ, f(θ), iterations).

    Raises:
        ValueError: If f or its gradient is not finite at the start.
    """
    x = np.array(theta, dtype=np.float64)
    f, g = objective(x) if start is None else start
    if not math.isfinite(f) or g is None or not np.isfinite(g).all():
        raise ValueError(f"the objective is not finite at the starting point (f = {f})")
    n = x.size
    h = np.eye(n)
    updates = 0  # BFGS updates since H was last reset to I
    iteration = 0
    while iteration < max_iter:
        direction = -(h @ g)
        slope = float(direction @ g)
        step, moved = 1.0, False
        while slope < 0.0:
            trial = x + step * direction
            if ((10.0 + trial) == (10.0 + x)).all():  # the step no longer changes θ
                break
            f_trial, g_trial = objective(trial)
            if math.isfinite(f_trial) and g_trial is not None and (
                    f_trial <= f + 1e-4 * step * slope):
                moved = True
                break
            step *= 0.2
        if not moved or g_trial is None:  # (a step that moved has a gradient)
            if updates == 0:  # even steepest descent fails: a (numerical) minimum
                break
            h, updates = np.eye(n), 0
            continue
        converged = f_trial <= abstol or abs(f_trial - f) <= reltol * (abs(f) + reltol)
        s, y = trial - x, g_trial - g
        x, f, g = trial, f_trial, g_trial
        iteration += 1
        if (callback is not None and callback(x, f, iteration)) or converged:
            break
        sy = float(s @ y)
        if sy > 0.0 and updates < 2 * n:
            # H += ((1 + yᵀHy / sᵀy) ssᵀ − (Hy)sᵀ − s(Hy)ᵀ) / sᵀy, in place; s(Hy)ᵀ is the
            # transpose of (Hy)sᵀ, product for product.
            hy = h @ y
            change = np.outer(s, s)
            change *= 1.0 + float(y @ hy) / sy
            hys = np.outer(hy, s)
            change -= hys
            change -= hys.T
            change /= sy
            h += change
            updates += 1
        else:
            h, updates = np.eye(n), 0
    return x, f, iteration
