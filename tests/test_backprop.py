"""Tests for nn/backprop.py: the hand-derived δ/s equations against autodiff and differences.

Three witnesses must agree on every drawn net (p, M, K in 1..5, N in 1..10), for each
loss/output pairing, with and without penalties:

1. the closed form (``nn.backprop``, numpy);
2. the engine's ``backward()`` on :class:`nn.two_layer.TwoLayerNet` (to 1e-12);
3. central finite differences (``autograd.gradcheck``, and numpy differences of ``risk``).

Deliberately wrong closed forms (σ instead of σ', σ' without the intercept, the diagonal-only
softmax derivative, a dropped intercept gradient, ...) must be caught by the comparison.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.backprop as bp
from autograd import GradcheckError, Value, gradcheck
from nn import args, options
from nn.losses import penalty as value_penalty
from nn.two_layer import TwoLayerNet, net_forward, observation_loss

PAIRINGS = [("squared", "identity"), ("cross_entropy", "softmax"), ("squared", "softmax")]
PAIR_IDS = [f"{loss}+{output}" for loss, output in PAIRINGS]
PENALTY_CHOICES = [(None, 0.0), ("weight_decay", 0.3), ("weight_elimination", 0.7)]

Array = np.ndarray


class Case(NamedTuple):
    """A drawn net and data set."""

    alpha: Array
    beta: Array
    X: Array
    Y: Array
    loss: str
    output: str
    penalty: str | None
    lam: float


def make_case(
    seed: int,
    sizes: tuple[int, int, int, int],
    loss: str,
    output: str,
    penalty: str | None = None,
    lam: float = 0.0,
    scale: float = 1.5,
    one_hot: bool = False,
) -> Case:
    """Weights uniform on ±scale, X standard normal, targets suited to the loss."""
    p, m, k, n = sizes
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(-scale, scale, (m, p + 1))
    beta = rng.uniform(-scale, scale, (k, m + 1))
    x = rng.standard_normal((n, p))
    if one_hot:
        y = np.eye(k)[rng.integers(0, k, n)]
    elif loss == "cross_entropy":
        y = rng.uniform(0.0, 1.0, (n, k))
    else:
        y = rng.standard_normal((n, k))
    return Case(alpha, beta, x, y, loss, output, penalty, lam)


@st.composite
def cases(draw: st.DrawFn, loss: str, output: str) -> Case:
    """Hypothesis: sizes p, M, K in 1..5 and N in 1..10, a penalty, a seed for the numbers."""
    sizes = (
        draw(st.integers(1, 5)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 10)),
    )
    pen, lam = draw(st.sampled_from(PENALTY_CHOICES))
    scale = draw(st.sampled_from([0.7, 1.5, 3.0]))
    one_hot = loss == "cross_entropy" and draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    return make_case(seed, sizes, loss, output, pen, lam, scale, one_hot)


def closed_form(case: Case) -> tuple[Array, Array]:
    return bp.gradients(
        case.alpha,
        case.beta,
        case.X,
        case.Y,
        loss=case.loss,
        output=case.output,
        penalty=case.penalty,
        lam=case.lam,
    )


def closed_risk(case: Case, alpha: Array, beta: Array) -> float:
    return bp.risk(
        alpha,
        beta,
        case.X,
        case.Y,
        loss=case.loss,
        output=case.output,
        penalty=case.penalty,
        lam=case.lam,
    )


def autodiff(case: Case) -> tuple[float, Array, Array]:
    """The engine's risk and gradients for the same net, by one backward() on Σ_i R_i + λJ."""
    net = TwoLayerNet.from_arrays(case.alpha, case.beta, case.output)
    total_risk = net.risk(case.X, case.Y, loss=case.loss, penalty=case.penalty, lam=case.lam)
    total_risk.backward()
    grad_alpha, grad_beta = net.grad_arrays()
    return total_risk.data, grad_alpha, grad_beta


def assert_tight(actual: Array, expected: Array, what: str) -> None:
    """Relative 1e-12, absolute 1e-12 near zero."""
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12, err_msg=what)


def numeric_gradient(func: Callable[[Array], float], w: Array, h: float = 1e-6) -> Array:
    """Central differences of a scalar function of an array, step h·max(1, |w|)."""
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        step = h * max(1.0, abs(w[idx]))
        up, down = w.copy(), w.copy()
        up[idx] += step
        down[idx] -= step
        grad[idx] = (func(up) - func(down)) / (2.0 * step)
    return grad


# --- autodiff against the closed form ----------------------------------------------------


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
@given(data=st.data())
def test_backprop_equals_autodiff_on_drawn_nets(
    loss: str, output: str, data: st.DataObject
) -> None:
    case = data.draw(cases(loss, output))
    value, auto_alpha, auto_beta = autodiff(case)
    grad_alpha, grad_beta = closed_form(case)
    assert value == pytest.approx(closed_risk(case, case.alpha, case.beta), rel=1e-12, abs=1e-12)
    assert_tight(auto_alpha, grad_alpha, "∂R/∂alpha")
    assert_tight(auto_beta, grad_beta, "∂R/∂beta")


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
@given(data=st.data())
def test_backprop_node_grads_are_delta_and_s(loss: str, output: str, data: st.DataObject) -> None:
    """After R_i.backward(), T_k.grad is δ_ki and a_m.grad is s_mi; leaves sum over i."""
    case = data.draw(cases(loss, output))
    net = TwoLayerNet.from_arrays(case.alpha, case.beta, case.output)
    fwd = bp.forward(case.alpha, case.beta, case.X, output)
    delta = bp.output_errors(fwd, case.Y, loss, output)
    s = bp.hidden_errors(fwd, case.beta, delta)
    for i, (xi, yi) in enumerate(zip(case.X.tolist(), case.Y.tolist(), strict=True)):
        nodes = net(xi)
        net.loss(nodes, yi, loss).backward()
        assert_tight(np.array([tk.grad for tk in nodes.t]), delta[i], f"δ of observation {i}")
        assert_tight(np.array([am.grad for am in nodes.a]), s[i], f"s of observation {i}")
        assert_tight(np.array([zm.data for zm in nodes.z]), fwd.z[i], f"z of observation {i}")
        assert_tight(np.array([fk.data for fk in nodes.f]), fwd.f[i], f"f of observation {i}")
    # The parameters accumulated Σ_i ∂R_i/∂θ over the per-observation backward passes.
    grad_alpha, grad_beta = bp.gradients(
        case.alpha, case.beta, case.X, case.Y, loss=loss, output=output
    )
    auto_alpha, auto_beta = net.grad_arrays()
    assert_tight(auto_alpha, grad_alpha, "accumulated ∂R/∂alpha")
    assert_tight(auto_beta, grad_beta, "accumulated ∂R/∂beta")


def _flat_risk(case: Case) -> Callable[..., Value]:
    """The penalised risk as a function of the flattened weights (alpha then beta, row-major)."""
    m, cols = case.alpha.shape

    def risk(*weights: Value) -> Value:
        alpha = [list(weights[r * cols : (r + 1) * cols]) for r in range(m)]
        rest = weights[m * cols :]
        width = m + 1
        beta = [list(rest[r * width : (r + 1) * width]) for r in range(case.beta.shape[0])]
        terms = [
            observation_loss(net_forward(alpha, beta, xi, case.output), yi, case.loss, case.output)
            for xi, yi in zip(case.X.tolist(), case.Y.tolist(), strict=True)
        ]
        pen = value_penalty(weights, case.penalty, case.lam)
        out = terms[0]
        for term in [*terms[1:], *([] if pen is None else [pen])]:
            out = out + term
        return out

    return risk


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
@settings(max_examples=5)
@given(data=st.data())
def test_backprop_gradcheck_agrees_on_drawn_nets(
    loss: str, output: str, data: st.DataObject
) -> None:
    case = data.draw(cases(loss, output))
    weights = [*case.alpha.ravel().tolist(), *case.beta.ravel().tolist()]
    rows = gradcheck(_flat_risk(case), weights, rtol=1e-6, atol=1e-7)
    grad_alpha, grad_beta = closed_form(case)
    np.testing.assert_allclose(
        [r.numeric for r in rows],
        [*grad_alpha.ravel(), *grad_beta.ravel()],
        rtol=1e-6,
        atol=1e-7,
    )


# --- deliberately wrong closed forms ----------------------------------------------------


def _assemble(case: Case, fwd: bp.Forward, delta: Array, s: Array) -> tuple[Array, Array]:
    ones = np.ones((case.X.shape[0], 1))
    return s.T @ np.hstack([ones, case.X]), delta.T @ np.hstack([ones, fwd.z])


def wrong_sigma_for_sigma_prime(case: Case) -> tuple[Array, Array]:
    """s = σ(a) Σ β δ instead of σ'(a) Σ β δ."""
    fwd = bp.forward(case.alpha, case.beta, case.X, case.output)
    delta = bp.output_errors(fwd, case.Y, case.loss, case.output)
    return _assemble(case, fwd, delta, fwd.z * (delta @ case.beta[:, 1:]))


def wrong_sigma_prime_without_intercept(case: Case) -> tuple[Array, Array]:
    """σ'(α_mᵀx_i) as ESL eq. 11.15 prints it, dropping α_0m."""
    fwd = bp.forward(case.alpha, case.beta, case.X, case.output)
    delta = bp.output_errors(fwd, case.Y, case.loss, case.output)
    z_no_intercept = bp.sigmoid(case.X @ case.alpha[:, 1:].T)
    s = z_no_intercept * (1.0 - z_no_intercept) * (delta @ case.beta[:, 1:])
    return _assemble(case, fwd, delta, s)


def wrong_diagonal_softmax(case: Case) -> tuple[Array, Array]:
    """δ_k = −2(y_k − f_k) f_k(1 − f_k): ESL eq. 11.12's g_k' read as a scalar derivative."""
    fwd = bp.forward(case.alpha, case.beta, case.X, case.output)
    delta = -2.0 * (case.Y - fwd.f) * fwd.f * (1.0 - fwd.f)
    return _assemble(case, fwd, delta, bp.hidden_errors(fwd, case.beta, delta))


def wrong_missing_intercept_gradient(case: Case) -> tuple[Array, Array]:
    """Forgetting z_0i = x_i0 = 1: the intercept columns get no gradient."""
    grad_alpha, grad_beta = bp.gradients(
        case.alpha, case.beta, case.X, case.Y, loss=case.loss, output=case.output
    )
    grad_alpha[:, 0] = 0.0
    grad_beta[:, 0] = 0.0
    return grad_alpha, grad_beta


def wrong_beta_off_by_one(case: Case) -> tuple[Array, Array]:
    """Back-propagating through β's first M columns (β_0k included, β_kM left out)."""
    fwd = bp.forward(case.alpha, case.beta, case.X, case.output)
    delta = bp.output_errors(fwd, case.Y, case.loss, case.output)
    s = fwd.z * (1.0 - fwd.z) * (delta @ case.beta[:, :-1])
    return _assemble(case, fwd, delta, s)


def wrong_f_minus_y_for_soft_targets(case: Case) -> tuple[Array, Array]:
    """δ = f − y for cross-entropy, which needs rows of Y summing to one."""
    fwd = bp.forward(case.alpha, case.beta, case.X, case.output)
    delta = fwd.f - case.Y
    return _assemble(case, fwd, delta, bp.hidden_errors(fwd, case.beta, delta))


MUTANTS = [
    (wrong_sigma_for_sigma_prime, ("squared", "identity")),
    (wrong_sigma_prime_without_intercept, ("squared", "identity")),
    (wrong_sigma_prime_without_intercept, ("cross_entropy", "softmax")),
    (wrong_diagonal_softmax, ("squared", "softmax")),
    (wrong_missing_intercept_gradient, ("squared", "identity")),
    (wrong_beta_off_by_one, ("squared", "identity")),
    (wrong_f_minus_y_for_soft_targets, ("cross_entropy", "softmax")),
]


@pytest.mark.parametrize(
    ("mutant", "pairing"), MUTANTS, ids=[f"{m.__name__}-{p[0]}+{p[1]}" for m, p in MUTANTS]
)
def test_backprop_comparison_catches_wrong_closed_form(
    mutant: Callable[[Case], tuple[Array, Array]], pairing: tuple[str, str]
) -> None:
    loss, output = pairing
    case = make_case(7, (3, 4, 3, 6), loss, output)
    _, auto_alpha, auto_beta = autodiff(case)
    # The right closed form passes on this very net ...
    right_alpha, right_beta = closed_form(case)
    assert_tight(auto_alpha, right_alpha, "alpha")
    assert_tight(auto_beta, right_beta, "beta")
    # ... and the wrong one fails, by far more than any rounding.
    bad_alpha, bad_beta = mutant(case)
    with pytest.raises(AssertionError):
        assert_tight(auto_alpha, bad_alpha, "alpha")
        assert_tight(auto_beta, bad_beta, "beta")
    worst = max(np.abs(auto_alpha - bad_alpha).max(), np.abs(auto_beta - bad_beta).max())
    assert worst > 1e-3


def test_backprop_gradcheck_also_catches_the_diagonal_softmax() -> None:
    """Finite differences alone, without autodiff, reject the diagonal-only derivative."""
    case = make_case(3, (2, 3, 3, 4), "squared", "softmax")
    numeric = numeric_gradient(lambda b: closed_risk(case, case.alpha, b), case.beta)
    np.testing.assert_allclose(closed_form(case)[1], numeric, rtol=1e-6, atol=1e-8)
    assert np.abs(wrong_diagonal_softmax(case)[1] - numeric).max() > 1e-3


def test_backprop_gradcheck_catches_wrong_engine_rule() -> None:
    """gradcheck on the net's risk fails when the risk's gradient is corrupted on purpose."""
    case = make_case(5, (2, 2, 2, 3), "cross_entropy", "softmax")
    risk = _flat_risk(case)
    weights = [*case.alpha.ravel().tolist(), *case.beta.ravel().tolist()]

    def sabotaged(*ws: Value) -> Value:
        # ws[0] enters twice as often in the gradient as in the value: a wrong rule.
        return risk(*ws) + (ws[0] - Value(ws[0].data)) * 0.5

    gradcheck(risk, weights)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(sabotaged, weights)


# --- the closed form against numpy finite differences ------------------------------------


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
@settings(max_examples=25)
@given(data=st.data())
def test_backprop_matches_finite_differences(loss: str, output: str, data: st.DataObject) -> None:
    case = data.draw(cases(loss, output))
    grad_alpha, grad_beta = closed_form(case)
    scale = max(1.0, abs(closed_risk(case, case.alpha, case.beta)))
    num_alpha = numeric_gradient(lambda a: closed_risk(case, a, case.beta), case.alpha)
    num_beta = numeric_gradient(lambda b: closed_risk(case, case.alpha, b), case.beta)
    np.testing.assert_allclose(grad_alpha, num_alpha, rtol=1e-6, atol=1e-8 * scale)
    np.testing.assert_allclose(grad_beta, num_beta, rtol=1e-6, atol=1e-8 * scale)


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
def test_output_errors_are_derivatives_in_t(loss: str, output: str) -> None:
    """δ_ki = ∂R_i/∂T_k, checked by differencing the loss as a function of T alone."""
    case = make_case(11, (2, 3, 4, 5), loss, output)
    fwd = bp.forward(case.alpha, case.beta, case.X, output)
    delta = bp.output_errors(fwd, case.Y, loss, output)

    def loss_of_t(t: Array, y: Array) -> float:
        # A net whose T is t itself: z = σ(1000) = 1 exactly, β_0 = 0 and β_1 = t.
        beta = np.zeros((t.size, 2))
        beta[:, 1] = t
        alpha = np.array([[1000.0, 0.0]])
        return bp.risk(alpha, beta, [[0.0]], [y], loss=loss, output=output)

    for i, y in enumerate(case.Y):
        numeric = numeric_gradient(lambda t, y=y: loss_of_t(t, y), fwd.t[i])
        np.testing.assert_allclose(delta[i], numeric, rtol=1e-6, atol=1e-8)


def test_cross_entropy_delta_is_f_minus_y_for_one_hot_targets() -> None:
    case = make_case(2, (3, 2, 4, 7), "cross_entropy", "softmax", one_hot=True)
    fwd = bp.forward(case.alpha, case.beta, case.X, "softmax")
    delta = bp.output_errors(fwd, case.Y, "cross_entropy", "softmax")
    np.testing.assert_allclose(delta, fwd.f - case.Y, rtol=0, atol=1e-15)


def test_squared_identity_delta_is_minus_two_residual() -> None:
    case = make_case(4, (2, 2, 3, 4), "squared", "identity")
    fwd = bp.forward(case.alpha, case.beta, case.X)
    assert np.array_equal(bp.output_errors(fwd, case.Y), -2.0 * (case.Y - fwd.f))


@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=PAIR_IDS)
def test_batch_gradient_is_sum_of_observation_gradients(loss: str, output: str) -> None:
    case = make_case(9, (3, 3, 2, 8), loss, output)
    grad_alpha, grad_beta = closed_form(case)
    parts = [
        bp.gradients(
            case.alpha, case.beta, case.X[i : i + 1], case.Y[i : i + 1], loss=loss, output=output
        )
        for i in range(case.X.shape[0])
    ]
    np.testing.assert_allclose(sum(pa for pa, _ in parts), grad_alpha, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(sum(pb for _, pb in parts), grad_beta, rtol=1e-13, atol=1e-14)


# --- forward pass, stability, penalties ---------------------------------------------------


def test_forward_matches_the_formulas_entry_by_entry() -> None:
    case = make_case(1, (3, 2, 2, 4), "squared", "softmax")
    fwd = bp.forward(case.alpha, case.beta, case.X, "softmax")
    for i, x in enumerate(case.X):
        for m in range(2):
            a = case.alpha[m, 0] + sum(case.alpha[m, j + 1] * x[j] for j in range(3))
            assert fwd.a[i, m] == pytest.approx(a, rel=1e-14)
            assert fwd.z[i, m] == pytest.approx(1.0 / (1.0 + np.exp(-a)), rel=1e-14)
        t = [case.beta[k, 0] + case.beta[k, 1:] @ fwd.z[i] for k in range(2)]
        np.testing.assert_allclose(fwd.t[i], t, rtol=1e-14)
        np.testing.assert_allclose(fwd.f[i], np.exp(t) / np.exp(t).sum(), rtol=1e-14)
    identity = bp.forward(case.alpha, case.beta, case.X)
    assert np.array_equal(identity.f, identity.t)
    assert identity.f is not identity.t


def test_sigmoid_is_stable_and_accurate_in_both_tails() -> None:
    v = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    sig = bp.sigmoid(v)
    assert sig[0] == 0.0
    assert sig[-1] == 1.0
    assert sig[3] == 0.5
    assert sig[1] == pytest.approx(np.exp(-40.0), rel=1e-14)  # no cancellation in the tail
    np.testing.assert_allclose(sig[2] + sig[4], 1.0, rtol=1e-15)


def test_cross_entropy_is_stable_at_t_pm_1000() -> None:
    """T = (1000, −1000): no overflow or warning (warnings are errors here), exact values."""
    alpha = np.array([[0.0, 0.0]])
    beta = np.array([[1000.0, 0.0], [-1000.0, 0.0]])  # T = (1000, −1000) whatever z is
    x = np.array([[0.3]])
    wrong_class = np.array([[0.0, 1.0]])
    assert bp.risk(alpha, beta, x, wrong_class, loss="cross_entropy", output="softmax") == 2000.0
    grad_alpha, grad_beta = bp.gradients(
        alpha, beta, x, wrong_class, loss="cross_entropy", output="softmax"
    )
    np.testing.assert_array_equal(grad_beta[:, 0], [1.0, -1.0])  # δ = f − y = (1, −1)
    assert np.all(np.isfinite(grad_alpha))
    right_class = np.array([[1.0, 0.0]])
    assert bp.risk(alpha, beta, x, right_class, loss="cross_entropy", output="softmax") == 0.0
    fwd = bp.forward(alpha, beta, x, "softmax")
    np.testing.assert_array_equal(fwd.f, [[1.0, 0.0]])
    sq = bp.gradients(alpha, beta, x, wrong_class, loss="squared", output="softmax")
    assert all(np.all(np.isfinite(g)) for g in sq)


def test_penalties_cover_every_weight_including_intercepts() -> None:
    alpha = np.array([[1.0, -2.0]])
    beta = np.array([[3.0, 0.5]])
    assert bp.penalty(alpha, beta, "weight_decay", 0.1)[0] == pytest.approx(
        0.1 * (1 + 4 + 9 + 0.25), rel=1e-15
    )
    elim = 1 / 2 + 4 / 5 + 9 / 10 + 0.25 / 1.25
    assert bp.penalty(alpha, beta, "weight_elimination", 2.0)[0] == pytest.approx(
        2.0 * elim, rel=1e-15
    )
    assert bp.penalty(alpha, beta, None, 0.0)[0] == 0.0
    d_alpha, d_beta = bp.penalty(alpha, beta, "weight_decay", 0.1)[1:]
    np.testing.assert_allclose(d_alpha, [[0.2, -0.4]], rtol=1e-15)
    np.testing.assert_allclose(d_beta, [[0.6, 0.1]], rtol=1e-15)
    d_alpha, d_beta = bp.penalty(alpha, beta, "weight_elimination", 2.0)[1:]
    np.testing.assert_allclose(d_alpha, [[4.0 * 1 / 4, 4.0 * -2 / 25]], rtol=1e-15)
    np.testing.assert_allclose(d_beta, [[4.0 * 3 / 100, 4.0 * 0.5 / 1.5625]], rtol=1e-15)
    zero_alpha, zero_beta = bp.penalty(alpha, beta, None, 0.0)[1:]
    assert not zero_alpha.any()
    assert not zero_beta.any()


@pytest.mark.parametrize("kind", ["weight_decay", "weight_elimination"])
def test_penalised_risk_adds_lambda_j_on_the_summed_scale(kind: str) -> None:
    case = make_case(6, (2, 3, 1, 5), "squared", "identity")
    plain = bp.risk(case.alpha, case.beta, case.X, case.Y)
    fwd = bp.forward(case.alpha, case.beta, case.X)
    assert plain == pytest.approx(((case.Y - fwd.f) ** 2).sum(), rel=1e-14)  # a sum, not a mean
    pen = bp.penalty(case.alpha, case.beta, kind, 0.5)[0]
    assert bp.risk(case.alpha, case.beta, case.X, case.Y, penalty=kind, lam=0.5) == pytest.approx(
        plain + pen, rel=1e-14
    )
    value, grad_alpha, grad_beta = bp.risk_and_gradients(
        case.alpha, case.beta, case.X, case.Y, penalty=kind, lam=0.5
    )
    assert value == pytest.approx(plain + pen, rel=1e-14)
    base_alpha, base_beta = bp.gradients(case.alpha, case.beta, case.X, case.Y)
    pen_alpha, pen_beta = bp.penalty(case.alpha, case.beta, kind, 0.5)[1:]
    np.testing.assert_allclose(grad_alpha, base_alpha + pen_alpha, rtol=1e-15)
    np.testing.assert_allclose(grad_beta, base_beta + pen_beta, rtol=1e-15)


# --- errors -------------------------------------------------------------------------------


def _valid() -> tuple[Array, Array, Array, Array]:
    case = make_case(0, (2, 3, 2, 4), "squared", "identity")
    return case.alpha, case.beta, case.X, case.Y


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": "hinge"}, ValueError, "loss must be one of"),
        ({"output": "tanh"}, ValueError, "output must be one of"),
        ({"loss": "cross_entropy", "output": "identity"}, ValueError, "needs output='softmax'"),
        ({"penalty": "l1", "lam": 1.0}, ValueError, "penalty must be one of"),
        ({"penalty": None, "lam": 1.0}, ValueError, "penalty=None"),
        ({"penalty": "weight_decay", "lam": -1.0}, ValueError, "lam must be finite and >= 0"),
        ({"penalty": "weight_decay", "lam": float("nan")}, ValueError, "lam must be finite"),
        ({"penalty": "weight_decay", "lam": "1"}, TypeError, "lam must be a real number"),
        ({"penalty": "weight_decay", "lam": True}, TypeError, "lam must be a real number"),
    ],
)
def test_bad_options_raise(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    alpha, beta, x, y = _valid()
    with pytest.raises(error, match=match):
        bp.gradients(alpha, beta, x, y, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        bp.risk(alpha, beta, x, y, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("which", "bad", "match"),
    [
        ("alpha", np.zeros((3, 4)), r"X must have shape \(N, 3\) \(at least one row\), got"),
        ("alpha", np.zeros((3, 1)), r"alpha must be M × \(p\+1\) with p >= 1"),
        ("beta", np.zeros((2, 3)), r"beta must have shape \(K, 4\) \(at least one row\)"),
        ("X", np.zeros((4, 3)), r"X must have shape \(N, 2\) .*got \(4, 3\)"),
        ("X", np.zeros(4), r"X must have shape \(N, 2\) .*got \(4,\)"),
        ("Y", np.zeros((4, 3)), r"Y must have shape \(4, 2\)"),
        ("Y", np.zeros((5, 2)), r"Y must have shape \(4, 2\)"),
        ("X", np.full((4, 2), np.nan), "X must be finite"),
        ("alpha", np.full((3, 3), np.inf), "alpha must be finite"),
    ],
)
def test_bad_shapes_and_values_raise(which: str, bad: Array, match: str) -> None:
    args = dict(zip(("alpha", "beta", "X", "Y"), _valid(), strict=True))
    args[which] = bad
    with pytest.raises(ValueError, match=match):
        bp.gradients(args["alpha"], args["beta"], args["X"], args["Y"])


def test_error_function_shape_checks() -> None:
    alpha, beta, x, y = _valid()
    fwd = bp.forward(alpha, beta, x)
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 2\)"):
        bp.output_errors(fwd, y[:, :1])
    with pytest.raises(ValueError, match=r"delta must have shape \(4, 2\)"):
        bp.hidden_errors(fwd, beta, y[:3])
    with pytest.raises(ValueError, match=r"beta must have shape \(2, 4\)"):
        bp.hidden_errors(fwd, beta[:, :3], y)


def _imports(path: str) -> set[str]:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    return imported


def test_backprop_module_imports_no_autograd() -> None:
    """nn/backprop.py is a second opinion only if it cannot lean on the engine.

    Its helpers from ``nn``, the argument checks and option names, are pure standard library
    and numpy.
    """
    assert _imports(bp.__file__) == {
        "__future__", "typing", "numpy", "numpy.typing", "nn.args", "nn.options"
    }
    assert _imports(args.__file__) == {"__future__", "math", "numbers", "numpy", "numpy.typing"}
    assert _imports(options.__file__) == {"__future__", "typing", "nn.args"}


def test_both_sides_accept_the_same_lambdas() -> None:
    """The closed form and the engine's penalties share one check of λ (any real number)."""
    alpha, beta = np.array([[0.5, -1.0]]), np.array([[2.0, 0.25]])
    net = TwoLayerNet.from_arrays(alpha, beta)
    for lam in (Fraction(1, 2), np.float32(0.5), np.int64(2), 2):
        want = value_penalty(net.parameters(), "weight_decay", lam)
        assert want is not None
        assert bp.penalty(alpha, beta, "weight_decay", lam)[0] == pytest.approx(want.data)
    for bad, error in ((True, TypeError), ("1", TypeError), (-1, ValueError), (np.inf, ValueError)):
        with pytest.raises(error, match="lam must"):
            bp.penalty(alpha, beta, "weight_decay", bad)[0]  # type: ignore[arg-type]
        with pytest.raises(error, match="lam must"):
            value_penalty(net.parameters(), "weight_decay", bad)  # type: ignore[arg-type]
