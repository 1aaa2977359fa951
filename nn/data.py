"""The lecture's simulated data sets (ESL §11.6), drawn from an explicit seed.

Two regression problems from ESL §11.6, with X ~ N(0, I_p):

* **sum of sigmoids** (p = 2): Y = σ(a1ᵀX) + σ(a2ᵀX) + ε, a1 = (3, 3), a2 = (3, −3);
* **radial** (p = 10): Y = Π_{m=1..10} φ(X_m) + ε, φ the standard normal density.

The Gaussian noise ε has the variance that makes the signal-to-noise ratio
Var(f(X)) / Var(ε) = 4, where Var(f(X)) is the *population* variance of the regression
function (not the variance of one sample). It is computed once, accurately, by
:func:`population_variance`; Var(ε) is the Bayes error of squared-error regression and comes
with every data set (``bayes_error``), so test errors can be reported relative to it.

There is also a two-class problem for the softmax + cross-entropy demo (:func:`two_class`),
the two interleaved half-moons of micrograd's demo (:func:`moons`), and :class:`Standardizer`,
which standardises inputs with training statistics only.

Randomness goes through an explicit generator or an integer seed, turned into a
``numpy.random.Generator`` by :func:`nn.rng.as_generator`: never global seeding. Within one
generator, X is drawn before ε, so the same seed always gives the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nn.args import count, matrix, non_negative
from nn.backprop import sigmoid
from nn.rng import RandomSource, as_generator

__all__ = [
    "SIGNAL_TO_NOISE",
    "ClassificationData",
    "Dataset",
    "Moons",
    "Standardizer",
    "moons",
    "population_variance",
    "radial",
    "regression_function",
    "simulate",
    "sum_of_sigmoids",
    "two_class",
]

SIGNAL_TO_NOISE = 4.0
"""ESL §11.6: Var(f(X)) / Var(ε)."""

_A1 = np.array([3.0, 3.0])
_A2 = np.array([3.0, -3.0])
_INPUT_DIMS = {"sum_of_sigmoids": 2, "radial": 10}


def regression_function(name: str, x: np.ndarray) -> np.ndarray:
    """The noiseless target f(X) of one of the §11.6 problems.

    Args:
        name: ``"sum_of_sigmoids"`` (X is N×2) or ``"radial"`` (X is N×10).
        x: Inputs X, one row per observation.

    Returns:
        f(X) as a 1-D array of length N.

    Raises:
        ValueError: For an unknown name or inputs of the wrong shape.
    """
    p = _input_dim(name)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != p:
        raise ValueError(f"{name} needs X of shape (N, {p}), got {x.shape}")
    if name == "sum_of_sigmoids":
        return sigmoid(x @ _A1) + sigmoid(x @ _A2)
    return np.prod(np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi), axis=1)


def _input_dim(name: str) -> int:
    try:
        return _INPUT_DIMS[name]
    except KeyError:
        known = ", ".join(sorted(_INPUT_DIMS))
        raise ValueError(f"unknown data set {name!r}; known: {known}") from None


def population_variance(name: str) -> float:
    """Population variance Var(f(X)) of the regression function, X ~ N(0, I).

    Sum of sigmoids: with U = (X1 + X2)/√2 and V = (X1 − X2)/√2, independent N(0, 1),
    f = σ(cU) + σ(cV) with c = 3√2, so Var f = 2 Var σ(cU). By symmetry E σ(cU) = 1/2 and
    E σ(cU)² = 1/2 − E[σ(cU) σ(−cU)], hence Var f = 1/2 − 2 E σ'(cU) with σ' = σ(1 − σ)
    (a positive integrand, so no cancellation). That one-dimensional expectation is computed
    by the trapezoidal rule with step 1/256 on [−40, 40]: the integrand is analytic in a strip
    of half-width π/c ≈ 0.74 and negligible beyond ±40, so the rule's error is far below
    rounding (Gauss–Hermite converges slowly here because of the poles near the real axis).

    Radial: the coordinates are independent, E φ(X) = ∫φ² = 1/(2√π) and
    E φ(X)² = ∫φ³ = 1/(2π√3), so Var f = (2π√3)^−10 − (2√π)^−20 exactly (≈ 3.3e-11).

    Args:
        name: ``"sum_of_sigmoids"`` or ``"radial"``.

    Returns:
        Var(f(X)).
    """
    _input_dim(name)
    if name == "radial":
        return (2.0 * math.pi * math.sqrt(3.0)) ** -10 - (2.0 * math.sqrt(math.pi)) ** -20
    step = 1.0 / 256.0
    u = np.arange(-40.0 * 256, 40.0 * 256 + 1) * step
    sig = sigmoid(3.0 * math.sqrt(2.0) * u)
    density = np.exp(-0.5 * u**2) / math.sqrt(2.0 * math.pi)
    # Trapezoid weights: the end points contribute nothing at ±40, so a plain sum is exact.
    mean_slope = float(np.sum(sig * (1.0 - sig) * density) * step)
    return 0.5 - 2.0 * mean_slope


@dataclass(frozen=True)
class Dataset:
    """One draw of a §11.6 regression problem.

    Attributes:
        name: ``"sum_of_sigmoids"`` or ``"radial"``.
        X: Inputs, N×p.
        Y: Responses, N×1 (a column, as the net has K = 1 output).
        f: The noiseless regression function at X, length N.
        bayes_error: Var(ε), the Bayes error of squared-error regression.
        signal_variance: The population Var(f(X)) (= 4 Var(ε)).
    """

    name: str
    X: np.ndarray
    Y: np.ndarray
    f: np.ndarray
    bayes_error: float
    signal_variance: float

    def relative_error(self, predictions: np.ndarray) -> float:
        """Mean squared error of ``predictions`` on this data, divided by the Bayes error.

        Args:
            predictions: Predicted responses, length N or N×1.

        Returns:
            mean_i (y_i − ŷ_i)² / Var(ε).

        Raises:
            ValueError: If the predictions do not have one value per observation.
        """
        pred = np.asarray(predictions, dtype=float).reshape(-1)
        if pred.shape[0] != self.Y.shape[0]:
            raise ValueError(f"need {self.Y.shape[0]} predictions, got {pred.shape[0]}")
        return float(np.mean((self.Y[:, 0] - pred) ** 2) / self.bayes_error)


def simulate(name: str, n: int, rng: RandomSource) -> Dataset:
    """Draw ``n`` observations of a §11.6 problem: X first, then the noise.

    Args:
        name: ``"sum_of_sigmoids"`` or ``"radial"``.
        n: Number of observations (positive).
        rng: Generator or integer seed (see :func:`nn.rng.as_generator`).

    Returns:
        The data set, with its Bayes error.

    Raises:
        ValueError: For an unknown name or a non-positive ``n``.
    """
    p = _input_dim(name)
    count("n", n)
    gen = as_generator(rng)
    signal = population_variance(name)
    noise_var = signal / SIGNAL_TO_NOISE
    x = gen.standard_normal((n, p))
    f = regression_function(name, x)
    y = (f + math.sqrt(noise_var) * gen.standard_normal(n))[:, None]
    return Dataset(name, x, y, f, noise_var, signal)


def sum_of_sigmoids(n: int, rng: RandomSource) -> Dataset:
    """ESL §11.6 "sum of sigmoids": Y = σ(a1ᵀX) + σ(a2ᵀX) + ε, p = 2 (see :func:`simulate`)."""
    return simulate("sum_of_sigmoids", n, rng)


def radial(n: int, rng: RandomSource) -> Dataset:
    """ESL §11.6 "radial": Y = Π_{m=1..10} φ(X_m) + ε, p = 10 (see :func:`simulate`)."""
    return simulate("radial", n, rng)


@dataclass(frozen=True)
class ClassificationData:
    """A two-class data set for softmax + cross-entropy.

    Attributes:
        X: Inputs, N×2.
        labels: Class of each observation, 0 or 1 (length N).
        Y: One-hot responses, N×2 (y_ik = 1 when observation i is in class k).
    """

    X: np.ndarray
    labels: np.ndarray
    Y: np.ndarray


def two_class(n: int, rng: RandomSource) -> ClassificationData:
    """The sum-of-sigmoids surface thresholded at its mean, as a two-class problem.

    X ~ N(0, I_2) and the class is 1 when σ(a1ᵀX) + σ(a2ᵀX) + ε > 1 (ε as in the regression
    problem, so labels near the boundary are noisy), else 0. The noiseless boundary is
    {σ(a1ᵀx) + σ(a2ᵀx) = 1}, which a single hidden layer with two units can represent.

    Args:
        n: Number of observations (positive).
        rng: Generator or integer seed (see :func:`nn.rng.as_generator`).

    Returns:
        Inputs, labels and one-hot responses.
    """
    reg = simulate("sum_of_sigmoids", n, rng)
    labels = (reg.Y[:, 0] > 1.0).astype(np.int64)
    return ClassificationData(reg.X, labels, np.eye(2)[labels])


@dataclass(frozen=True)
class Moons:
    """Two interleaved half-circles with labels ±1 (for a max-margin loss).

    Attributes:
        X: Inputs, N×2.
        y: Labels −1 (upper moon) or +1 (lower moon), N×1.
    """

    X: np.ndarray
    y: np.ndarray


def moons(n: int, rng: RandomSource, noise: float = 0.1) -> Moons:
    """The "two moons" of micrograd's demo (scikit-learn's ``make_moons`` draws the same shape).

    The upper moon is the half unit circle (cos t, sin t), the lower one (1 − cos t,
    ½ − sin t), for ⌊n/2⌋ and ⌈n/2⌉ angles evenly spaced on [0, π]; Gaussian noise of
    standard deviation ``noise`` is added to both coordinates and the rows are shuffled.

    Args:
        n: Number of points (at least 2).
        rng: Generator or integer seed (see :func:`nn.rng.as_generator`).
        noise: Standard deviation of the noise (≥ 0).

    Returns:
        The inputs and their ±1 labels.

    Raises:
        ValueError: On n < 2 or a negative noise.
    """
    count("n", n, minimum=2)
    sd = non_negative("noise", noise)
    gen = as_generator(rng)
    upper = np.linspace(0.0, math.pi, n // 2)
    lower = np.linspace(0.0, math.pi, n - n // 2)
    x = np.concatenate([
        np.column_stack([np.cos(upper), np.sin(upper)]),
        np.column_stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)]),
    ])
    y = np.concatenate([-np.ones(n // 2), np.ones(n - n // 2)])[:, None]
    order = gen.permutation(n)
    return Moons(x[order] + sd * gen.standard_normal((n, 2)), y[order])


class Standardizer:
    """Centre and scale columns with the *training* mean and standard deviation.

    Fit on the training set only, then apply the same affine map to validation and test data
    (and :meth:`inverse` to map predictions of a standardised response back).

    Attributes:
        mean: Column means of the training data.
        scale: Column standard deviations of the training data (ddof = 0).
    """

    def __init__(self, train: np.ndarray) -> None:
        """Record the training statistics.

        Args:
            train: Training data, N×d (N ≥ 2).

        Raises:
            ValueError: If the data are not a finite 2-D array with at least two rows, or a
                column is constant (it cannot be scaled).
        """
        arr = matrix("training data", train)
        if arr.shape[0] < 2:
            raise ValueError(f"need at least two rows to standardise, got shape {arr.shape}")
        self.mean = arr.mean(axis=0)
        self.scale = arr.std(axis=0)
        if np.any(self.scale == 0.0):
            cols = np.flatnonzero(self.scale == 0.0).tolist()
            raise ValueError(f"constant column(s) {cols} cannot be standardised")

    def transform(self, data: np.ndarray) -> np.ndarray:
        """Return (data − mean) / scale, with the training statistics.

        Args:
            data: N×d array with the training data's number of columns.

        Returns:
            The standardised copy.
        """
        return (self._check(data) - self.mean) / self.scale

    def inverse(self, data: np.ndarray) -> np.ndarray:
        """Return data × scale + mean: undo :meth:`transform`.

        Args:
            data: N×d array on the standardised scale.

        Returns:
            The array on the original scale.
        """
        return self._check(data) * self.scale + self.mean

    def _check(self, data: np.ndarray) -> np.ndarray:
        return matrix("data", data, cols=self.mean.shape[0])
