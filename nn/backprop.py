"""Closed-form back-propagation for the lecture's single-hidden-layer net, on numpy arrays.

This module is the hand-derived side of the project's main check: it evaluates the
back-propagation equations of ESL §11.4 directly, vectorised over N observations, so that
tests can compare them with the gradients the autodiff engine computes. It deliberately
imports nothing from ``autograd``; if it did, the comparison would not be a second opinion.

Notation (ESL eq. 11.5), with N observations, p inputs, M hidden units and K outputs:

* ``alpha`` is M × (p+1); column 0 holds the intercepts α_0m, columns 1..p hold α_m.
* ``beta`` is K × (M+1); column 0 holds the intercepts β_0k, columns 1..M hold β_k.
* A_mi = α_0m + α_mᵀx_i (hidden pre-activation), Z_mi = σ(A_mi),
  T_ki = β_0k + β_kᵀz_i, f_k(x_i) = g_k(T_i) with g the identity or the softmax (eq. 11.6).

Arrays are laid out one observation per row: ``X`` is N × p, ``Y`` is N × K, and the
forward quantities ``a``, ``z`` are N × M and ``t``, ``f`` are N × K.

Losses (eqs. 11.9-11.11) are *sums*: R_i = Σ_k (y_ik − f_k(x_i))² for squared error and
R_i = −Σ_k y_ik log f_k(x_i) for cross-entropy, and R = Σ_i R_i. Penalties (eqs. 11.16-11.17)
are added as λJ on that summed scale, so a given λ means the same as in the book; with a mean
loss the same λ would weigh N times more. J covers *all* weights, intercepts included (as R's
``nnet`` does and as J = Σβ² + Σα² reads when the sums run over every entry).

The back-propagation equations (eqs. 11.14-11.15) with δ_ki = ∂R_i/∂T_ki:

=====================  ====================  ===================================================
loss                   output g              δ_ki
=====================  ====================  ===================================================
squared error          identity              −2 (y_ik − f_ki)
cross-entropy          softmax               f_ki Σ_j y_ij − y_ik   (= f_ki − y_ik, one-hot y)
squared error          softmax               f_ki (e_ki − Σ_j e_ij f_ij),  e_ij = −2 (y_ij − f_ij)
=====================  ====================  ===================================================

s_mi = σ'(A_mi) Σ_k β_km δ_ki with σ' = σ(1 − σ) = z(1 − z), then
∂R_i/∂β_km = δ_ki z_mi and ∂R_i/∂α_ml = s_mi x_il, with z_0i = x_i0 = 1 for the intercepts.

Where the printed book is wrong or incomplete:

* Eq. 11.12 writes g_k'(β_kᵀz_i) as if g_k acted on T_k alone. That holds for the identity but
  not for the softmax, whose f_k depends on every T_j: squared error with a softmax output needs
  the full Jacobian ∂f_j/∂T_k = f_j(1[j=k] − f_k). The "diagonal-only" scalar form
  −2(y_k − f_k) f_k(1 − f_k) is wrong.
* Eqs. 11.12 and 11.15 write σ'(α_mᵀx_i) and g_k'(β_kᵀz_i) without the intercepts; the
  derivative must be taken at the full pre-activation α_0m + α_mᵀx_i (and β_0k + β_kᵀz_i).
* The intercept gradients are not spelled out: they are eq. 11.14 with z_0i = 1 and x_i0 = 1.
* δ = f − y for cross-entropy with softmax (the usual textbook form) assumes Σ_k y_ik = 1;
  the general form above holds for any targets.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn.args import choice
from nn.options import (
    DEFAULT_PENALTY,
    LOSSES,
    OUTPUTS,
    PENALTIES,
    check_pairing,
    check_penalty,
)

__all__ = [
    "LOSSES",
    "OUTPUTS",
    "PENALTIES",
    "Forward",
    "forward",
    "gradients",
    "hidden_errors",
    "output_errors",
    "penalty_gradient",
    "penalty_terms",
    "penalty_value",
    "risk",
    "risk_and_gradients",
    "sigmoid",
    "softmax",
]

Array = NDArray[np.float64]


class Forward(NamedTuple):
    """The forward pass of the net for N observations (ESL eq. 11.5).

    Attributes:
        a: N × M hidden pre-activations α_0m + α_mᵀx_i.
        z: N × M hidden units σ(a).
        t: N × K output pre-activations T_k = β_0k + β_kᵀz_i.
        f: N × K outputs g_k(T).
    """

    a: Array
    z: Array
    t: Array
    f: Array


def sigmoid(v: ArrayLike) -> Array:
    """The logistic function σ(v) = 1 / (1 + e^(−v)), elementwise and without overflow.

    Args:
        v: Any real array.

    Returns:
        σ(v) as a float array of the same shape; e^(−|v|) is the only exponential taken.
    """
    v = np.asarray(v, dtype=np.float64)
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(t: ArrayLike) -> Array:
    """Row-wise softmax g_k(T) = e^(T_k) / Σ_l e^(T_l) (ESL eq. 11.6), shifted by the row max.

    Args:
        t: N × K array of output pre-activations.

    Returns:
        N × K array whose rows are positive and sum to one.
    """
    t = np.asarray(t, dtype=np.float64)
    e = np.exp(t - t.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(t: Array) -> Array:
    """Row-wise log g_k(T) = T_k − log Σ_l e^(T_l), via log-sum-exp (no overflow at ±1000)."""
    shift = t.max(axis=1, keepdims=True)
    return t - shift - np.log(np.exp(t - shift).sum(axis=1, keepdims=True))


def _as_matrix(name: str, value: ArrayLike) -> Array:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got a nan or inf entry")
    return arr


def _check_shape(name: str, arr: Array, expected: tuple[int, int], meaning: str) -> None:
    if arr.shape != expected:
        raise ValueError(f"{name} must have shape {expected} ({meaning}), got {arr.shape}")


def _weights(alpha: ArrayLike, beta: ArrayLike) -> tuple[Array, Array]:
    alpha = _as_matrix("alpha", alpha)
    beta = _as_matrix("beta", beta)
    if alpha.shape[1] < 1:
        raise ValueError(f"alpha must have at least the intercept column, got shape {alpha.shape}")
    m = alpha.shape[0]
    _check_shape("beta", beta, (beta.shape[0], m + 1), "K × (M+1) with M = alpha.shape[0]")
    return alpha, beta


def _inputs(alpha: Array, x: ArrayLike) -> Array:
    x = _as_matrix("X", x)
    p = alpha.shape[1] - 1
    _check_shape("X", x, (x.shape[0], p), "N × p with p = alpha.shape[1] - 1")
    return x


def _targets(beta: Array, x: Array, y: ArrayLike) -> Array:
    y = _as_matrix("Y", y)
    _check_shape("Y", y, (x.shape[0], beta.shape[0]), "N × K with N = len(X), K = len(beta)")
    return y


def forward(alpha: ArrayLike, beta: ArrayLike, X: ArrayLike, output: str = "identity") -> Forward:  # noqa: N803
    """Run the net forward on N observations (ESL eq. 11.5, softmax eq. 11.6).

    Args:
        alpha: M × (p+1) hidden weights, column 0 the intercepts α_0m.
        beta: K × (M+1) output weights, column 0 the intercepts β_0k.
        X: N × p inputs, one observation per row.
        output: ``"identity"`` (regression) or ``"softmax"`` (classification).

    Returns:
        The pre-activations and activations of both layers.

    Raises:
        ValueError: On an unknown output, non-finite entries or inconsistent shapes.
    """
    choice("output", output, OUTPUTS)
    alpha, beta = _weights(alpha, beta)
    x = _inputs(alpha, X)
    a = alpha[:, 0] + x @ alpha[:, 1:].T
    z = sigmoid(a)
    t = beta[:, 0] + z @ beta[:, 1:].T
    f = softmax(t) if output == "softmax" else t.copy()
    return Forward(a=a, z=z, t=t, f=f)


def _observation_risks(fwd: Forward, y: Array, loss: str) -> Array:
    if loss == "squared":
        return ((y - fwd.f) ** 2).sum(axis=1)
    return -(y * _log_softmax(fwd.t)).sum(axis=1)


def output_errors(
    fwd: Forward,
    Y: ArrayLike,  # noqa: N803
    loss: str = "squared",
    output: str = "identity",
) -> Array:
    """The output-layer errors δ_ki = ∂R_i/∂T_k (ESL eqs. 11.12 and 11.14).

    Squared error with identity output: δ = −2(y − f). Cross-entropy with softmax:
    δ_k = f_k Σ_j y_j − y_k, which is the familiar f − y when each row of Y sums to one.
    Squared error with softmax goes through the full softmax Jacobian
    ∂f_j/∂T_k = f_j(1[j=k] − f_k): δ_k = f_k(e_k − Σ_j e_j f_j) with e = −2(y − f).
    ESL eq. 11.12's g_k'(β_kᵀz_i) suggests a scalar derivative; for the softmax that
    diagonal-only form, −2(y_k − f_k) f_k(1 − f_k), is wrong.

    Args:
        fwd: The forward pass, as returned by :func:`forward` with the same ``output``.
        Y: N × K targets (one-hot rows for classification).
        loss: ``"squared"`` or ``"cross_entropy"``.
        output: The output function used in ``fwd``.

    Returns:
        N × K array of δ_ki, one observation per row.

    Raises:
        ValueError: On an unknown or unsupported loss/output pairing (cross-entropy needs a
            softmax output) or a Y whose shape is not that of ``fwd.f``.
    """
    check_pairing(loss, output)
    y = _as_matrix("Y", Y)
    _check_shape("Y", y, fwd.f.shape, "N × K, the shape of fwd.f")
    if loss == "cross_entropy":
        return fwd.f * y.sum(axis=1, keepdims=True) - y
    e = -2.0 * (y - fwd.f)
    if output == "identity":
        return e
    return fwd.f * (e - (e * fwd.f).sum(axis=1, keepdims=True))


def hidden_errors(fwd: Forward, beta: ArrayLike, delta: ArrayLike) -> Array:
    """The back-propagation equations s_mi = σ'(α_0m + α_mᵀx_i) Σ_k β_km δ_ki (ESL eq. 11.15).

    σ' = σ(1 − σ) is evaluated at the full pre-activation, intercept included (the printed
    eq. 11.15 writes σ'(α_mᵀx_i)); it is computed as z(1 − z) from the stored forward pass.
    The intercepts β_0k do not appear: they feed no hidden unit.

    Args:
        fwd: The forward pass.
        beta: K × (M+1) output weights, column 0 the intercepts.
        delta: N × K output errors from :func:`output_errors`.

    Returns:
        N × M array of s_mi, one observation per row.

    Raises:
        ValueError: If the shapes of ``beta`` or ``delta`` do not match ``fwd``.
    """
    beta = _as_matrix("beta", beta)
    n, m = fwd.z.shape
    k = fwd.t.shape[1]
    _check_shape("beta", beta, (k, m + 1), "K × (M+1), from fwd")
    delta = _as_matrix("delta", delta)
    _check_shape("delta", delta, (n, k), "N × K, from fwd")
    return fwd.z * (1.0 - fwd.z) * (delta @ beta[:, 1:])


def penalty_value(alpha: ArrayLike, beta: ArrayLike, kind: str | None, lam: float) -> float:
    """The penalty λJ(θ) over all weights, intercepts included (ESL eqs. 11.16-11.17).

    Weight decay: J = Σ w². Weight elimination: J = Σ w² / (1 + w²). λ is on the scale of the
    *summed* loss R = Σ_i R_i, as in the book.

    Args:
        alpha: M × (p+1) hidden weights.
        beta: K × (M+1) output weights.
        kind: ``None``, ``"weight_decay"`` or ``"weight_elimination"``.
        lam: λ ≥ 0 (must be 0 when ``kind`` is None).

    Returns:
        λJ as a float (0.0 for no penalty).

    Raises:
        ValueError: On an unknown kind, a negative or non-finite λ, or λ ≠ 0 with no penalty.
        TypeError: If ``lam`` is not a real number.
    """
    lam = check_penalty(kind, lam)
    alpha, beta = _weights(alpha, beta)
    return penalty_terms(alpha, kind, lam)[0] + penalty_terms(beta, kind, lam)[0]


def penalty_gradient(
    alpha: ArrayLike, beta: ArrayLike, kind: str | None, lam: float
) -> tuple[Array, Array]:
    """The gradient of λJ(θ) with respect to alpha and beta, intercepts included.

    Weight decay adds 2λw (ESL §11.5.2); weight elimination adds 2λw / (1 + w²)².

    Args:
        alpha: M × (p+1) hidden weights.
        beta: K × (M+1) output weights.
        kind: ``None``, ``"weight_decay"`` or ``"weight_elimination"``.
        lam: λ ≥ 0 (must be 0 when ``kind`` is None).

    Returns:
        ``(d_alpha, d_beta)`` with the shapes of alpha and beta (zeros for no penalty).

    Raises:
        ValueError: As :func:`penalty_value`.
        TypeError: As :func:`penalty_value`.
    """
    lam = check_penalty(kind, lam)
    alpha, beta = _weights(alpha, beta)
    return penalty_terms(alpha, kind, lam)[1], penalty_terms(beta, kind, lam)[1]


def penalty_terms(w: Array, kind: str | None, lam: float) -> tuple[float, Array]:
    """λJ over every entry of ``w`` and its gradient, for arguments already checked.

    :func:`penalty_value` and :func:`penalty_gradient` apply it to alpha and beta,
    :func:`nn.train.fit` to the flat θ of any model.

    Args:
        w: A float array of weights (any shape).
        kind: ``None``, ``"weight_decay"`` or ``"weight_elimination"``.
        lam: λ ≥ 0.

    Returns:
        ``(λJ, ∂λJ/∂w)``: 2λw for weight decay, 2λw / (1 + w²)² for weight elimination.
    """
    if kind is None:
        return 0.0, np.zeros_like(w)
    sq = w * w
    if kind == "weight_decay":
        return lam * float(sq.sum()), 2.0 * lam * w
    return lam * float((sq / (1.0 + sq)).sum()), 2.0 * lam * w / (1.0 + sq) ** 2


def risk(
    alpha: ArrayLike,
    beta: ArrayLike,
    X: ArrayLike,  # noqa: N803
    Y: ArrayLike,  # noqa: N803
    *,
    loss: str = "squared",
    output: str = "identity",
    penalty: str | None = DEFAULT_PENALTY,
    lam: float = 0.0,
) -> float:
    """The penalised criterion R(θ) + λJ(θ) = Σ_i R_i + λJ (ESL eqs. 11.9-11.11, 11.16).

    Cross-entropy is computed from T through log-sum-exp, so T = ±1000 neither overflows nor
    takes log 0. λ is on the summed scale (R is a sum over observations, not a mean).

    Args:
        alpha: M × (p+1) hidden weights, column 0 the intercepts.
        beta: K × (M+1) output weights, column 0 the intercepts.
        X: N × p inputs.
        Y: N × K targets.
        loss: ``"squared"`` or ``"cross_entropy"`` (the latter needs ``output="softmax"``).
        output: ``"identity"`` or ``"softmax"``.
        penalty: ``"weight_decay"`` (the default), ``"weight_elimination"`` or ``None``.
        lam: λ ≥ 0 on the summed scale (0 by default: no penalty).

    Returns:
        The criterion as a float.

    Raises:
        ValueError: On unknown options, non-finite entries or inconsistent shapes.
        TypeError: If ``lam`` is not a real number.
    """
    value, _, _ = risk_and_gradients(
        alpha, beta, X, Y, loss=loss, output=output, penalty=penalty, lam=lam, need_grad=False
    )
    return value


def gradients(
    alpha: ArrayLike,
    beta: ArrayLike,
    X: ArrayLike,  # noqa: N803
    Y: ArrayLike,  # noqa: N803
    *,
    loss: str = "squared",
    output: str = "identity",
    penalty: str | None = DEFAULT_PENALTY,
    lam: float = 0.0,
) -> tuple[Array, Array]:
    """The gradient of R + λJ by back-propagation (ESL eqs. 11.14-11.15), summed over i.

    ∂R/∂β_km = Σ_i δ_ki z_mi and ∂R/∂α_ml = Σ_i s_mi x_il, with z_0i = x_i0 = 1 giving the
    intercept columns; the penalty gradient (on the summed scale) is then added. This is the
    Σ_i ∂R_i/∂θ of the batch update eq. 11.13; pass one row of X and Y for an online step.

    Args:
        alpha: M × (p+1) hidden weights, column 0 the intercepts.
        beta: K × (M+1) output weights, column 0 the intercepts.
        X: N × p inputs.
        Y: N × K targets.
        loss: ``"squared"`` or ``"cross_entropy"`` (the latter needs ``output="softmax"``).
        output: ``"identity"`` or ``"softmax"``.
        penalty: ``"weight_decay"`` (the default), ``"weight_elimination"`` or ``None``.
        lam: λ ≥ 0 on the summed scale (0 by default: no penalty).

    Returns:
        ``(grad_alpha, grad_beta)``, M × (p+1) and K × (M+1).

    Raises:
        ValueError: On unknown options, non-finite entries or inconsistent shapes.
        TypeError: If ``lam`` is not a real number.
    """
    _, grad_alpha, grad_beta = risk_and_gradients(
        alpha, beta, X, Y, loss=loss, output=output, penalty=penalty, lam=lam
    )
    return grad_alpha, grad_beta


def risk_and_gradients(
    alpha: ArrayLike,
    beta: ArrayLike,
    X: ArrayLike,  # noqa: N803
    Y: ArrayLike,  # noqa: N803
    *,
    loss: str = "squared",
    output: str = "identity",
    penalty: str | None = DEFAULT_PENALTY,
    lam: float = 0.0,
    need_grad: bool = True,
) -> tuple[float, Array, Array]:
    """The criterion and its gradient from one shared forward pass (for optimisers).

    Args:
        alpha: M × (p+1) hidden weights, column 0 the intercepts.
        beta: K × (M+1) output weights, column 0 the intercepts.
        X: N × p inputs.
        Y: N × K targets.
        loss: ``"squared"`` or ``"cross_entropy"`` (the latter needs ``output="softmax"``).
        output: ``"identity"`` or ``"softmax"``.
        penalty: ``"weight_decay"`` (the default), ``"weight_elimination"`` or ``None``.
        lam: λ ≥ 0 on the summed scale (0 by default: no penalty).
        need_grad: If False, skip the backward pass and return zero gradients.

    Returns:
        ``(risk, grad_alpha, grad_beta)`` as :func:`risk` and :func:`gradients` give them.

    Raises:
        ValueError: On unknown options, non-finite entries or inconsistent shapes.
        TypeError: If ``lam`` is not a real number.
    """
    check_pairing(loss, output)
    lam = check_penalty(penalty, lam)
    alpha, beta = _weights(alpha, beta)
    x = _inputs(alpha, X)
    y = _targets(beta, x, Y)
    fwd = forward(alpha, beta, x, output)
    value = float(_observation_risks(fwd, y, loss).sum())
    value += penalty_value(alpha, beta, penalty, lam)
    if not need_grad:
        return value, np.zeros_like(alpha), np.zeros_like(beta)
    delta = output_errors(fwd, y, loss, output)
    s = hidden_errors(fwd, beta, delta)
    ones = np.ones((x.shape[0], 1))
    grad_beta = delta.T @ np.hstack([ones, fwd.z])
    grad_alpha = s.T @ np.hstack([ones, x])
    pen_alpha, pen_beta = penalty_gradient(alpha, beta, penalty, lam)
    return value, grad_alpha + pen_alpha, grad_beta + pen_beta
