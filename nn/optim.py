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

An optimiser is an **array core**: it owns one flat float64 vector θ and updates it in place
with ``step(grad)``; :func:`nn.train.fit` drives it with the gradients of its objectives.
:class:`ParameterOptimizer` is the thin adapter for engine parameters (``Value`` /
``Parameter`` objects): it gathers their ``.data`` and ``.grad`` (filled by
``loss.backward()``) into arrays, lets any core take the step, and writes ``.data`` back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from nn.args import fraction, positive
from nn.options import SCHEDULES

__all__ = ["Adam", "GradientDescent", "Optimizer", "ParameterOptimizer", "learning_rate"]

Schedule = str | Callable[[int], float]


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
        rate = float(schedule(r))
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
