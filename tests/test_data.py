"""Tests for nn/data.py: the §11.6 generators, their population variances, standardisation."""

import math

import numpy as np
import pytest
from scipy import integrate

from nn import data


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def test_sum_of_sigmoids_population_variance_matches_adaptive_quadrature() -> None:
    # Independent check: Var f = 2 Var σ(3√2 U) with E σ = 1/2, by adaptive quadrature of σ².
    c = 3.0 * math.sqrt(2.0)

    def integrand(u: float) -> float:
        return _sigmoid(c * u) ** 2 * math.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)

    pieces = [(-40.0, -4.0), (-4.0, 0.0), (0.0, 4.0), (4.0, 40.0)]
    second = sum(integrate.quad(integrand, a, b, epsabs=1e-15, epsrel=1e-13)[0] for a, b in pieces)
    assert data.population_variance("sum_of_sigmoids") == pytest.approx(
        2.0 * (second - 0.25), rel=1e-12
    )


def test_sum_of_sigmoids_population_variance_by_two_dimensional_quadrature() -> None:
    # Without the rotation trick: E f² − (E f)² over the 2-D Gaussian, on a tensor grid.
    u = np.arange(-12.0 * 64, 12.0 * 64 + 1) / 64.0
    w = np.exp(-0.5 * u**2) / math.sqrt(2.0 * math.pi) / 64.0
    x1, x2 = np.meshgrid(u, u, indexing="ij")
    f = data.regression_function("sum_of_sigmoids", np.column_stack([x1.ravel(), x2.ravel()]))
    weights = np.outer(w, w).ravel()
    mean = np.dot(weights, f)
    var = np.dot(weights, (f - mean) ** 2)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert data.population_variance("sum_of_sigmoids") == pytest.approx(var, rel=1e-9)


def test_radial_population_variance_matches_numerical_moments() -> None:
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)  # noqa: E731
    m1 = integrate.quad(lambda x: phi(x) ** 2, -np.inf, np.inf, epsabs=0, epsrel=1e-13)[0]
    m2 = integrate.quad(lambda x: phi(x) ** 3, -np.inf, np.inf, epsabs=0, epsrel=1e-13)[0]
    expected = m2**10 - m1**20
    got = data.population_variance("radial")
    assert got == pytest.approx(expected, rel=1e-10)
    assert 3.2e-11 < got < 3.3e-11


@pytest.mark.parametrize("name", ["sum_of_sigmoids", "radial"])
def test_sample_moments_agree_with_population(name: str) -> None:
    d = data.simulate(name, 200_000, np.random.default_rng(7))
    # f(X) variance: sampling error of a variance estimate is a few percent at most here.
    assert np.var(d.f) == pytest.approx(d.signal_variance, rel=0.05)
    noise = d.Y[:, 0] - d.f
    assert np.var(noise) == pytest.approx(d.bayes_error, rel=0.02)
    assert d.signal_variance / d.bayes_error == pytest.approx(4.0, rel=1e-15)


@pytest.mark.parametrize(("name", "p"), [("sum_of_sigmoids", 2), ("radial", 10)])
def test_shapes_and_reproducible_by_seed(name: str, p: int) -> None:
    a = data.simulate(name, 50, 123)
    b = data.simulate(name, 50, np.random.default_rng(123))
    c = data.simulate(name, 50, 124)
    assert a.X.shape == (50, p) and a.Y.shape == (50, 1) and a.f.shape == (50,)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)
    np.testing.assert_array_equal(a.f, data.regression_function(name, a.X))


def test_generator_is_advanced_so_train_and_test_differ() -> None:
    rng = np.random.default_rng(0)
    train = data.sum_of_sigmoids(10, rng)
    test = data.sum_of_sigmoids(10, rng)
    assert not np.array_equal(train.X, test.X)


def test_regression_functions_at_known_points() -> None:
    x = np.array([[0.0, 0.0], [1.0, 0.5]])
    expected = [1.0, _sigmoid(4.5) + _sigmoid(1.5)]
    np.testing.assert_allclose(data.regression_function("sum_of_sigmoids", x), expected, 1e-15)
    z = np.zeros((1, 10))
    assert data.regression_function("radial", z)[0] == pytest.approx((2 * math.pi) ** -5, 1e-14)


def test_relative_error() -> None:
    d = data.sum_of_sigmoids(1000, 3)
    assert d.relative_error(d.f) == pytest.approx(np.mean((d.Y[:, 0] - d.f) ** 2) / d.bayes_error)
    with pytest.raises(ValueError, match="predictions"):
        d.relative_error(np.zeros(3))


def test_two_class() -> None:
    c = data.two_class(500, 5)
    assert c.X.shape == (500, 2) and c.Y.shape == (500, 2)
    np.testing.assert_array_equal(c.Y.sum(axis=1), np.ones(500))
    np.testing.assert_array_equal(c.Y[:, 1], c.labels)
    assert 0.3 < c.labels.mean() < 0.7
    np.testing.assert_array_equal(c.X, data.two_class(500, 5).X)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown data set"):
        data.simulate("spiral", 10, 0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        data.simulate("radial", 0, 0)
    with pytest.raises(TypeError, match="Generator"):
        data.simulate("radial", 5, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        data.regression_function("radial", np.zeros((3, 2)))


def test_standardizer_uses_training_statistics_only() -> None:
    rng = np.random.default_rng(1)
    train = rng.normal(3.0, 2.0, size=(40, 3))
    test = rng.normal(-1.0, 5.0, size=(10, 3))
    s = data.Standardizer(train)
    z = s.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(s.transform(test), (test - train.mean(0)) / train.std(0))
    np.testing.assert_allclose(s.inverse(s.transform(test)), test, rtol=1e-14)


def test_standardizer_errors() -> None:
    with pytest.raises(ValueError, match="constant"):
        data.Standardizer(np.ones((5, 2)))
    with pytest.raises(ValueError, match="training data must be finite"):
        data.Standardizer(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="two rows"):
        data.Standardizer(np.ones((1, 2)))
    s = data.Standardizer(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match="shape"):
        s.transform(np.ones((2, 3)))


def test_moons_are_two_seeded_half_circles_with_plus_minus_one_labels() -> None:
    d = data.moons(101, 0, noise=0.0)
    assert d.X.shape == (101, 2) and d.y.shape == (101, 1)
    upper, lower = d.X[d.y[:, 0] < 0], d.X[d.y[:, 0] > 0]
    assert len(upper) == 50 and len(lower) == 51
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-14)
    assert upper[:, 1].min() >= 0.0 and lower[:, 1].max() <= 0.5
    np.testing.assert_array_equal(data.moons(100, 3).X, data.moons(100, 3).X)
    noisy = data.moons(100, 3, noise=0.1)
    assert 0.05 < np.std(noisy.X - data.moons(100, 3, noise=0.0).X) < 0.15
    with pytest.raises(ValueError, match="noise"):
        data.moons(10, 0, noise=-1.0)
    with pytest.raises(ValueError, match="n must be"):
        data.moons(1, 0)
