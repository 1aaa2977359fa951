"""The lecture's reading of a derivation check: what a diagnosis means for δ and s.

:mod:`autograd.testing` names the shape of a mistake in general terms (one factor per row
of a parameter matrix is wrong; only some parameters disagree): the engine knows nothing of
the lecture. In the lecture's two-layer net (:class:`~nn.two_layer.TwoLayerNet`, ESL §11.4)
those shapes have a meaning, since every gradient comes from two error terms:

    ∂R_i/∂β_km = δ_ki z_mi,    ∂R_i/∂α_ml = s_mi x_il,    s_mi = σ′(α_0m + α_mᵀx_i) Σ_k β_km δ_ki

(z_0i = x_i0 = 1): a factor shared by a row of α is s_m, one shared by a row of β is δ_k.
:func:`assert_backprop` checks a derivation of the net's gradients and adds that reading
to a failure's report, as notes under it (pytest shows them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd.testing import Checked, Diagnosis, GradientMismatch, assert_parameter_gradients
from autograd.testing.api import DEADLINE
from nn.two_layer import TwoLayerNet

__all__ = ["assert_backprop", "lecture_reading"]


def assert_backprop(
    net: TwoLayerNet,
    grads: Callable[[TwoLayerNet, Any, Any], Mapping[str, Any]],
    data: Any,
    *,
    loss: str = "squared",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    deadline: float | None = DEADLINE,
) -> Checked:
    """Check a hand derivation of the net's per-example gradients against autodiff.

    :func:`autograd.testing.assert_parameter_gradients` with the net's own loss
    R_i = ``net.loss(net(x), y, loss)``; a mismatch's report gets the lecture's reading of
    its diagnoses as notes (:func:`lecture_reading`).

    Args:
        net: The net whose gradients are derived.
        grads: ``grads(net, x, y)``: ∂R_i/∂θ for every parameter name (``alpha.m.l``,
            ``beta.k.m``).
        data: ``(X, Y)`` arrays, or a sequence of ``(x, y)`` pairs.
        loss: ``"squared"`` or ``"cross_entropy"`` (paired with the net's output).
        rtol: Relative tolerance (>= 0).
        atol: Absolute tolerance (>= 0).
        deadline: Seconds (> 0), or None.

    Returns:
        How many examples were compared and skipped.

    Raises:
        GradientMismatch: Some example disagrees; the notes say what it means for δ and s.
        ValueError: ``loss`` does not pair with the net's output (with a note naming the
            first example), or as :func:`~autograd.testing.assert_parameter_gradients`.
    """
    __tracebackhide__ = True
    try:
        return assert_parameter_gradients(lambda n, x, y: n.loss(n(x), y, loss), grads, net,
                                          data, rtol=rtol, atol=atol, deadline=deadline)
    except GradientMismatch as err:
        for note in lecture_reading(err.diagnosis):
            err.add_note(note)
        raise


def _groups(names: Sequence[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def lecture_reading(diagnosis: Sequence[Diagnosis]) -> list[str]:
    """What each diagnosis of a TwoLayerNet's report means in the lecture's terms.

    Args:
        diagnosis: ``err.diagnosis`` of a check of the net's parameters (names
            ``alpha.m.l`` and ``beta.k.m``).

    Returns:
        One note per diagnosis the lecture explains (possibly none).
    """
    notes = []
    for d in diagnosis:
        groups = _groups(d.names)
        if d.kind == "sigma_for_sigma_prime" and groups == {"alpha"}:
            notes.append("in the lecture's net: σ′ in s_m = σ′(α_0m + α_mᵀx) Σ_k β_km δ_k is "
                         "z_m (1 − z_m), with z_m = σ(α_0m + α_mᵀx), not z_m")
        elif d.kind == "row_factor" and groups == {"alpha"}:
            notes.append("in the lecture's net: the factor a row α_m shares is s_m "
                         "(∂R/∂α_ml = s_m x_l); check s_m = σ′(α_0m + α_mᵀx) Σ_k β_km δ_k: "
                         "the intercept α_0m inside σ′, and β's columns 1..M in the sum "
                         "(column 0 is the intercept β_0k)")
        elif d.kind == "row_factor":
            notes.append("in the lecture's net: the factor a row β_k shares is δ_k "
                         "(∂R/∂β_km = δ_k z_m), and s_m carries it into α; with a softmax "
                         "output and squared error, δ needs the softmax's full Jacobian "
                         "(−2(y_k − f_k) f_k (1 − f_k) is its diagonal only)")
        elif d.kind == "factor" and groups == {"alpha", "beta"}:
            notes.append("in the lecture's net: a factor every gradient shares sits in δ_k, "
                         "which ∂R/∂β_km = δ_k z_m and (through s_m) ∂R/∂α_ml both carry; "
                         "for the squared error R = Σ_k (y_k − f_k)², δ_k = −2(y_k − f_k)")
        elif d.kind == "shift" and groups == {"beta"}:
            notes.append("in the lecture's net: ∂R/∂β_km = δ_k z_m with z_0 = 1 in column 0 "
                         "(the intercept β_0k), then z_1 … z_M")
        elif d.kind == "confined" and groups == {"alpha"}:
            notes.append("in the lecture's net: every ∂R/∂β_km = δ_k z_m agrees, so δ_k is "
                         "right; the mistake is in s_m")
    return notes
