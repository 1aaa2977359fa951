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

Every public function checks its arguments once, then runs kernels that trust them;
:func:`nn.train.fit` checks its data once per fit and then calls the kernels for checked
arguments (:func:`evaluate`, :func:`outputs`, :func:`penalty_terms`) at every evaluation.
"""

from __future__ import annotations

from typing import NamedTuple, TypedDict, Unpack

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn.args import choice, matrix
from nn.options import DEFAULT_PENALTY, LOSSES, OUTPUTS, PENALTIES, check_pairing, check_penalty

__all__ = [
    "LOSSES", "OUTPUTS", "PENALTIES", "Forward", "Settings", "evaluate", "forward", "gradients",
    "hidden_errors", "output_errors", "outputs", "penalty", "penalty_terms", "risk",
    "risk_and_gradients", "sigmoid", "softmax",
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


class Settings(TypedDict, total=False):
    """The keywords of :func:`risk`, :func:`gradients` and :func:`risk_and_gradients`.

    Attributes:
        loss: ``"squared"`` (default) or ``"cross_entropy"`` (needs ``output="softmax"``).
        output: ``"identity"`` (default) or ``"softmax"``.
        penalty: ``"weight_decay"`` (default), ``"weight_elimination"`` or ``None`` (λ = 0).
        lam: λ ≥ 0 on the summed scale (default 0: no penalty).
    """

    loss: str
    output: str
    penalty: str | None
    lam: float


def sigmoid(v: ArrayLike) -> Array:
    """The logistic function σ(v) = 1 / (1 + e^(−v)) of any real array, elementwise.

    e^(−|v|) is the only exponential taken, so no v overflows.
    """
    v = np.asarray(v, dtype=np.float64)
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0, e) / (1.0 + e)  # 1 / (1 + e) for v ≥ 0, else e / (1 + e)


def softmax(t: ArrayLike) -> Array:
    """Row-wise softmax g_k(T) = e^(T_k) / Σ_l e^(T_l) (ESL eq. 11.6) of an N × K array.

    Shifted by the row max, so no T overflows; the rows are positive and sum to one.
    """
    t = np.asarray(t, dtype=np.float64)
    e = np.exp(t - t.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(t: Array) -> Array:
    """Row-wise log g_k(T) = T_k − log Σ_l e^(T_l), via log-sum-exp (no overflow at ±1000)."""
    shift = t.max(axis=1, keepdims=True)
    return t - shift - np.log(np.exp(t - shift).sum(axis=1, keepdims=True))


# --- checks: each public function runs these once on its arguments ----------------------


def _weights(alpha: ArrayLike, beta: ArrayLike) -> tuple[Array, Array]:
    a = matrix("alpha", alpha, height="M", width="p+1")
    if a.shape[1] < 2:
        raise ValueError(f"alpha must be M × (p+1) with p >= 1, got shape {a.shape}")
    return a, matrix("beta", beta, cols=a.shape[0] + 1, height="K")


def _settings(settings: Settings) -> tuple[str, str, str | None, float]:
    """(loss, output, penalty, λ) with their defaults, checked (unknown keys: TypeError)."""
    unknown = sorted(set(settings) - set(Settings.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}; the settings are "
                        f"{tuple(Settings.__annotations__)!r}")
    loss, output = settings.get("loss", "squared"), settings.get("output", "identity")
    check_pairing(loss, output)
    penalty = settings.get("penalty", DEFAULT_PENALTY)
    return loss, output, penalty, check_penalty(penalty, settings.get("lam", 0.0))


# --- kernels: arguments already checked -------------------------------------------------


def _forward(alpha: Array, beta: Array, x: Array, output: str) -> Forward:
    a = alpha[:, 0] + x @ alpha[:, 1:].T
    z = sigmoid(a)
    t = beta[:, 0] + z @ beta[:, 1:].T
    return Forward(a=a, z=z, t=t, f=softmax(t) if output == "softmax" else t)


def _output_errors(fwd: Forward, y: Array, loss: str, output: str, residual: Array) -> Array:
    if loss == "cross_entropy":
        return fwd.f * y.sum(axis=1, keepdims=True) - y
    e = -2.0 * residual  # residual = y − f
    if output == "identity":
        return e
    return fwd.f * (e - (e * fwd.f).sum(axis=1, keepdims=True))


def _hidden_errors(fwd: Forward, beta: Array, delta: Array) -> Array:
    return fwd.z * (1.0 - fwd.z) * (delta @ beta[:, 1:])


def outputs(alpha: Array, beta: Array, x: Array, output: str) -> Array:
    """The N × K outputs f(x_i), for arguments already checked (see :func:`forward`)."""
    return _forward(alpha, beta, x, output).f


def evaluate(alpha: Array, beta: Array, x: Array, y: Array, loss: str, output: str,
             need_grad: bool) -> tuple[float, Array | None, Array | None]:
    """Σ_i R_i and its gradient by back-propagation, for arguments already checked.

    The unpenalised kernel of :func:`risk_and_gradients`: it trusts that the weights, X and
    Y are finite float64 matrices of matching shapes and that loss and output go together.

    Returns:
        ``(Σ_i R_i, ∂/∂alpha, ∂/∂beta)``; the gradients are None unless ``need_grad``.
    """
    fwd = _forward(alpha, beta, x, output)
    residual = y - fwd.f
    if loss == "squared":
        value = float((residual**2).sum(axis=1).sum())
    else:
        value = float(-(y * _log_softmax(fwd.t)).sum(axis=1).sum())
    if not need_grad:
        return value, None, None
    delta = _output_errors(fwd, y, loss, output, residual)
    s = _hidden_errors(fwd, beta, delta)
    return value, s.T @ _with_ones(x), delta.T @ _with_ones(fwd.z)


def _with_ones(v: Array) -> Array:
    """[1, v]: v with a column of ones in front (the intercepts' z_0i = x_i0 = 1)."""
    out = np.empty((v.shape[0], v.shape[1] + 1))
    out[:, 0] = 1.0
    out[:, 1:] = v
    return out


def penalty_terms(w: Array, kind: str | None, lam: float) -> tuple[float, Array]:
    """λJ over every entry of ``w`` (any shape) and its gradient, for checked arguments.

    :func:`penalty` applies it to alpha and beta, :func:`nn.train.fit` to the flat θ of any
    model.

    Returns:
        ``(λJ, ∂λJ/∂w)``: 2λw for weight decay, 2λw / (1 + w²)² for weight elimination.
    """
    if kind is None:
        return 0.0, np.zeros_like(w)
    sq = w * w
    if kind == "weight_decay":
        return lam * float(sq.sum()), 2.0 * lam * w
    return lam * float((sq / (1.0 + sq)).sum()), 2.0 * lam * w / (1.0 + sq) ** 2


# --- the checked public functions -------------------------------------------------------


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
    a, b = _weights(alpha, beta)
    fwd = _forward(a, b, matrix("X", X, cols=a.shape[1] - 1, width="p"), output)
    return fwd._replace(f=fwd.f.copy()) if fwd.f is fwd.t else fwd  # f and t: two arrays


def output_errors(
    fwd: Forward,
    Y: ArrayLike,  # noqa: N803
    loss: str = "squared",
    output: str = "identity",
) -> Array:
    """The output-layer errors δ_ki = ∂R_i/∂T_k (ESL eqs. 11.12 and 11.14; the table above).

    Squared error with a softmax output goes through the full softmax Jacobian
    ∂f_j/∂T_k = f_j(1[j=k] − f_k); the diagonal-only form −2(y_k − f_k) f_k(1 − f_k) that
    eq. 11.12's g_k'(β_kᵀz_i) suggests is wrong.

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
    n, k = fwd.f.shape
    y = matrix("Y", Y, rows=n, cols=k)
    return _output_errors(fwd, y, loss, output, y - fwd.f)


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
    n, m = fwd.z.shape
    k = fwd.t.shape[1]
    b = matrix("beta", beta, rows=k, cols=m + 1)
    return _hidden_errors(fwd, b, matrix("delta", delta, rows=n, cols=k))


def penalty(alpha: ArrayLike, beta: ArrayLike, kind: str | None, lam: float
            ) -> tuple[float, Array, Array]:
    """The penalty λJ(θ) over all weights, intercepts included, and its gradient.

    Weight decay: J = Σ w², adding 2λw to the gradient (ESL eq. 11.16, §11.5.2); weight
    elimination: J = Σ w² / (1 + w²), adding 2λw / (1 + w²)² (eq. 11.17). λ is on the scale
    of the *summed* loss R = Σ_i R_i, as in the book.

    Args:
        alpha: M × (p+1) hidden weights.
        beta: K × (M+1) output weights.
        kind: ``None``, ``"weight_decay"`` or ``"weight_elimination"``.
        lam: λ ≥ 0 (must be 0 when ``kind`` is None).

    Returns:
        ``(λJ, d_alpha, d_beta)``, the gradients shaped like alpha and beta (0.0 and zeros
        for no penalty).

    Raises:
        ValueError: On an unknown kind, a negative or non-finite λ, or λ ≠ 0 with no penalty.
        TypeError: If ``lam`` is not a real number.
    """
    lam = check_penalty(kind, lam)
    a, b = _weights(alpha, beta)
    (pen_a, d_alpha), (pen_b, d_beta) = penalty_terms(a, kind, lam), penalty_terms(b, kind, lam)
    return pen_a + pen_b, d_alpha, d_beta


def risk_and_gradients(
    alpha: ArrayLike, beta: ArrayLike, X: ArrayLike, Y: ArrayLike,  # noqa: N803
    *, need_grad: bool = True, **settings: Unpack[Settings],
) -> tuple[float, Array, Array]:
    """The criterion R(θ) + λJ(θ) = Σ_i R_i + λJ and its gradient (ESL eqs. 11.9-11.16).

    ∂R/∂β_km = Σ_i δ_ki z_mi and ∂R/∂α_ml = Σ_i s_mi x_il (eqs. 11.14-11.15), with
    z_0i = x_i0 = 1 giving the intercept columns, plus the penalty's gradient. This is the
    Σ_i ∂R_i/∂θ of the batch update eq. 11.13; pass one row of X and Y for an online step.
    Cross-entropy is computed from T through log-sum-exp, so T = ±1000 neither overflows nor
    takes log 0. λ is on the summed scale (R is a sum over observations, not a mean).

    Args:
        alpha: M × (p+1) hidden weights, column 0 the intercepts.
        beta: K × (M+1) output weights, column 0 the intercepts.
        X: N × p inputs.
        Y: N × K targets.
        need_grad: If False, skip the backward pass and return zero gradients.
        **settings: ``loss``, ``output``, ``penalty``, ``lam``: see :class:`Settings`.

    Returns:
        ``(R + λJ, grad_alpha, grad_beta)``, the gradients M × (p+1) and K × (M+1).

    Raises:
        ValueError: On unknown options, non-finite entries or inconsistent shapes.
        TypeError: If ``lam`` is not a real number, or on an unknown setting.
    """
    loss, output, penalty, lam = _settings(settings)
    a, b = _weights(alpha, beta)
    x = matrix("X", X, cols=a.shape[1] - 1, width="p")
    y = matrix("Y", Y, rows=x.shape[0], cols=b.shape[0])
    value, g_alpha, g_beta = evaluate(a, b, x, y, loss, output, need_grad)
    pen_a, grad_pen_a = penalty_terms(a, penalty, lam)
    pen_b, grad_pen_b = penalty_terms(b, penalty, lam)
    value += pen_a + pen_b
    if g_alpha is None or g_beta is None:
        return value, np.zeros_like(a), np.zeros_like(b)
    return value, g_alpha + grad_pen_a, g_beta + grad_pen_b


def risk(
    alpha: ArrayLike, beta: ArrayLike, X: ArrayLike, Y: ArrayLike,  # noqa: N803
    **settings: Unpack[Settings],
) -> float:
    """The criterion R(θ) + λJ(θ) alone: :func:`risk_and_gradients` without the backward pass.

    Raises:
        ValueError, TypeError: As :func:`risk_and_gradients`.
    """
    return risk_and_gradients(alpha, beta, X, Y, need_grad=False, **settings)[0]


def gradients(
    alpha: ArrayLike, beta: ArrayLike, X: ArrayLike, Y: ArrayLike,  # noqa: N803
    **settings: Unpack[Settings],
) -> tuple[Array, Array]:
    """``(grad_alpha, grad_beta)`` of R + λJ: :func:`risk_and_gradients` without the value.

    Raises:
        ValueError, TypeError: As :func:`risk_and_gradients`.
    """
    _, grad_alpha, grad_beta = risk_and_gradients(alpha, beta, X, Y, **settings)
    return grad_alpha, grad_beta
