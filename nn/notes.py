"""The lecture's δ and s named on the graph of one observation, checked by the closed form.

:func:`backprop_notes` (what :meth:`nn.two_layer.TwoLayerNet.notes` returns) maps the nodes
whose gradients the lecture names to :class:`autograd.viz.Note` objects for the drawing
functions: δ_k = ∂R_i/∂T_k on each output pre-activation, s_m on each hidden
pre-activation, and ∂R_i/∂β_km = δ_k z_m, ∂R_i/∂α_ml = s_m x_l on the weights. Each note
carries the value of its closed form from :mod:`nn.backprop`, which imports nothing from
``autograd``, so a step page shows the back-propagation equations' number beside the one the
backward pass computed, at the step that completes that gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from autograd.value import Scalar, Value
from autograd.viz import Note
from nn import backprop
from nn.notation import LOSS_LABEL, sub, two_layer_names
from nn.options import check_pairing

if TYPE_CHECKING:
    from nn.two_layer import NetForward, TwoLayerNet

__all__ = ["SOURCE", "backprop_notes", "delta_formula"]

SOURCE = "nn.backprop"
"""Where the notes' closed-form values come from (shown beside them)."""


def delta_formula(k: int, loss: str, output: str, y: Sequence[float]) -> str:
    """δ_k's closed form for a loss and output (1-based ``k``), as ESL eqs. 11.12-11.14 give it.

    (With the identity output f_k is T_k itself.) Cross-entropy reads ``f₁ − y₁`` when the
    targets sum to one (one-hot), else in the general form ``f₁ Σⱼ yⱼ − y₁`` that
    :func:`nn.backprop.output_errors` evaluates.
    """
    i = sub(k)
    if loss == "cross_entropy":
        return f"f{i} − y{i}" if sum(y) == 1.0 else f"f{i} Σⱼ yⱼ − y{i}"
    if output == "softmax":  # through the whole softmax Jacobian (the diagonal alone is wrong)
        return f"f{i}(e{i} − Σⱼ eⱼfⱼ), eⱼ = −2(yⱼ − fⱼ)"
    return f"−2(y{i} − f{i})"


def backprop_notes(net: TwoLayerNet, fwd: NetForward, x: Sequence[Scalar],
                   y: Sequence[Scalar], loss: str = "squared") -> dict[Value, Note]:
    """Notes naming δ_k, s_m and the weights' gradients on one observation's graph.

    Args:
        net: The net.
        fwd: Its forward pass on ``x`` (``net.forward(x)``).
        x: The observation's p inputs.
        y: Its K targets.
        loss: The loss ``R_i`` was built with (``net.loss(fwd, y, loss)``).

    Returns:
        A mapping from nodes of the graph (``fwd.t``, ``fwd.a`` and the net's parameters)
        to their notes, each with its value from :mod:`nn.backprop`; pass it as ``notes=``
        to :func:`~autograd.viz.to_dot`, :func:`~autograd.viz.backward_frames` or
        :func:`~autograd.viz.backward_page`.

    Raises:
        ValueError: On an unsupported loss/output pairing or sizes that do not match the net.
    """
    check_pairing(loss, net.output)
    p, n_hidden, k_out = net.shape
    if len(fwd.a) != n_hidden or len(fwd.t) != k_out:
        raise ValueError(f"fwd has {len(fwd.a)} hidden units and {len(fwd.t)} outputs; the "
                         f"net has M = {n_hidden}, K = {k_out}")
    alpha, beta = net.to_arrays()
    xs = np.array([[_number(v) for v in x]])
    ys = np.array([[_number(v) for v in y]])
    forward = backprop.forward(alpha, beta, xs, net.output)
    delta = backprop.output_errors(forward, ys, loss, net.output)
    s = backprop.hidden_errors(forward, beta, delta)
    g_alpha, g_beta = backprop.gradients(alpha, beta, xs, ys, loss=loss, output=net.output,
                                         penalty=None)
    names = two_layer_names(p, n_hidden, k_out)
    top = LOSS_LABEL
    notes: dict[Value, Note] = {}
    for k, tk in enumerate(fwd.t):
        closed = delta_formula(k + 1, loss, net.output, ys[0].tolist())
        notes[tk] = Note(f"δ{sub(k + 1)} = ∂{top}/∂{names.beta_sums[k][-1]} = {closed}",
                         delta[0, k], SOURCE)
    for m, am in enumerate(fwd.a):
        pre, i = names.alpha_sums[m][-1], sub(m + 1)
        notes[am] = Note(f"s{i} = ∂{top}/∂({pre}) = σ′({pre}) Σₖ βₖ{i} δₖ", s[0, m], SOURCE)
    for k, row in enumerate(net.beta):
        for m, w in enumerate(row):
            z = f"δ{sub(k + 1)} z{sub(m)}" + (f" = δ{sub(k + 1)} (z₀ = 1)" if m == 0 else "")
            notes[w] = Note(f"∂{top}/∂{names.beta[k][m]} = {z}", g_beta[k, m], SOURCE)
    for m, row in enumerate(net.alpha):
        for j, w in enumerate(row):
            term = f"s{sub(m + 1)} x{sub(j)}" + (f" = s{sub(m + 1)} (x₀ = 1)" if j == 0 else "")
            notes[w] = Note(f"∂{top}/∂{names.alpha[m][j]} = {term}", g_alpha[m, j], SOURCE)
    return notes


def _number(v: Scalar) -> float:
    return v.data if isinstance(v, Value) else float(v)
