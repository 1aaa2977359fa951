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

An optimiser updates either

* a list of engine parameters (``Value``/``Parameter`` objects): :meth:`Optimizer.step` reads
  each ``.grad`` (filled by ``loss.backward()``) and writes ``.data``; or
* one flat float numpy vector, updated in place: ``step(grad)`` with a gradient of the same
  shape. :func:`nn.train.fit` uses this form with the closed-form gradients of
  ``nn/backprop.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from nn.checks import fraction, positive

__all__ = ["SCHEDULES", "Adam", "GradientDescent", "Optimizer", "learning_rate"]

SCHEDULES: tuple[str, ...] = ("constant", "inverse")

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
    """Shared machinery: the parameters, the update counter r and the schedule.

    Subclasses implement :meth:`_direction`, which turns the gradient of update r into the
    change Δθ to add to θ.

    Attributes:
        lr: γ_0.
        schedule: The learning-rate schedule.
        r: Number of updates taken so far.
    """

    def __init__(
        self,
        params: Iterable[_HasGrad] | np.ndarray,
        lr: float,
        schedule: Schedule = "constant",
    ) -> None:
        """Check the arguments and take the parameters.

        Args:
            params: Engine parameters (objects with ``data`` and ``grad``), or one 1-D float64
                numpy array that :meth:`step` updates in place.
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.

        Raises:
            ValueError: On an empty parameter list, a parameter listed twice, a non-positive
                learning rate, an unknown schedule, or an array that is not 1-D float64.
            TypeError: On a learning rate that is not a number.
        """
        self.lr = positive("lr", lr)
        if not callable(schedule) and schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {SCHEDULES!r} or a callable, got {schedule!r}"
            )
        self.schedule = schedule
        self.r = 0
        self._array: np.ndarray | None = None
        self._params: list[_HasGrad] = []
        if isinstance(params, np.ndarray):
            if params.ndim != 1 or params.dtype != np.float64 or params.size == 0:
                raise ValueError(
                    "an array of parameters must be a non-empty 1-D float64 vector, got "
                    f"shape {params.shape} and dtype {params.dtype}"
                )
            if not params.flags.writeable:
                raise ValueError("the parameter array must be writeable (it is updated in place)")
            self._array = params
            size = params.size
        else:
            self._params = list(params)
            if not self._params:
                raise ValueError("no parameters to optimise")
            if len({id(p) for p in self._params}) != len(self._params):
                raise ValueError("a parameter appears more than once; it would be updated twice")
            size = len(self._params)
        self._size = size

    def zero_grad(self) -> None:
        """Set every engine parameter's ``.grad`` to 0.0 (before the next backward passes).

        Raises:
            TypeError: If the optimiser works on a numpy array (which has no ``.grad``).
        """
        if self._array is not None:
            raise TypeError("zero_grad is for engine parameters; an array optimiser has no .grad")
        for p in self._params:
            p.grad = 0.0

    def step(self, grad: np.ndarray | None = None) -> float:
        """Take update r + 1: θ ← θ + Δθ, with Δθ from the gradient and γ_{r+1}.

        Args:
            grad: For an array optimiser, Σ_i ∂R_i/∂θ as an array of θ's shape. For engine
                parameters, leave it out: the gradient is read from each ``.grad``.

        Returns:
            The learning rate γ_r used for this update.

        Raises:
            ValueError: If the gradient is missing, of the wrong shape, or not finite.
            TypeError: If a gradient is passed for engine parameters.
        """
        if self._array is not None:
            if grad is None:
                raise ValueError("an array optimiser needs the gradient: step(grad)")
            g = np.asarray(grad, dtype=np.float64)
            if g.shape != self._array.shape:
                raise ValueError(f"gradient shape {g.shape} != parameter shape {self._array.shape}")
        else:
            if grad is not None:
                raise TypeError("engine parameters carry their gradients; call step() without one")
            g = np.array([float(p.grad) for p in self._params])
        if not np.all(np.isfinite(g)):
            raise ValueError("the gradient contains NaN or infinite entries")
        rate = learning_rate(self.lr, self.schedule, self.r + 1)
        change = self._direction(g, rate)
        self.r += 1
        if self._array is not None:
            self._array += change
        else:
            for p, d in zip(self._params, change, strict=True):
                p.data = p.data + float(d)
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
        params: Iterable[_HasGrad] | np.ndarray,
        lr: float,
        schedule: Schedule = "constant",
        momentum: float = 0.0,
    ) -> None:
        """Set up the optimiser.

        Args:
            params: Engine parameters or a 1-D float64 array (see :class:`Optimizer`).
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.
            momentum: μ in [0, 1).

        Raises:
            ValueError: As :class:`Optimizer`, or a momentum outside [0, 1).
        """
        super().__init__(params, lr, schedule)
        self.momentum = fraction("momentum", momentum)
        self._velocity = np.zeros(self._size)

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
        params: Iterable[_HasGrad] | np.ndarray,
        lr: float = 1e-3,
        schedule: Schedule = "constant",
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        """Set up the optimiser.

        Args:
            params: Engine parameters or a 1-D float64 array (see :class:`Optimizer`).
            lr: γ_0, positive.
            schedule: ``"constant"``, ``"inverse"`` or a callable ``r -> γ_r``.
            betas: Decay rates (β1, β2) of the first and second moments, each in [0, 1).
            eps: ε > 0 added to √v̂.

        Raises:
            ValueError: As :class:`Optimizer`, betas outside [0, 1), or a non-positive ε.
        """
        super().__init__(params, lr, schedule)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = fraction("beta1", betas[0])
        self.beta2 = fraction("beta2", betas[1])
        self.eps = positive("eps", eps)
        self._m = np.zeros(self._size)
        self._v = np.zeros(self._size)

    def _direction(self, grad: np.ndarray, rate: float) -> np.ndarray:
        r = self.r + 1
        self._m = self.beta1 * self._m + (1.0 - self.beta1) * grad
        self._v = self.beta2 * self._v + (1.0 - self.beta2) * grad * grad
        m_hat = self._m / (1.0 - self.beta1**r)
        v_hat = self._v / (1.0 - self.beta2**r)
        return -rate * m_hat / (np.sqrt(v_hat) + self.eps)
