"""The lecture's single-hidden-layer net in ESL notation (§11.3, eq. 11.5), on Values.

    A_m = α_0m + α_mᵀx,  Z_m = σ(A_m),  T_k = β_0k + β_kᵀZ,  f_k = g_k(T),

with g the identity (regression) or the softmax (classification). ``alpha`` is M × (p+1) and
``beta`` is K × (M+1), both as lists of rows of :class:`~nn.module.Parameter`, column 0 the
intercepts α_0m and β_0k. Indices are 0-based: row m of ``alpha`` is the book's hidden unit
m+1, and column l ≥ 1 multiplies input x_l (the book's x_l, 1-based, with x_0 = 1).

Because the forward pass keeps its intermediate Values, one observation's
``R_i.backward()`` leaves δ_ki = ∂R_i/∂T_k in ``t[k].grad`` and s_mi in ``a[m].grad``
(interior nodes get fresh gradients each backward), which the tests compare with the
closed form in :mod:`nn.backprop`. The parameters' gradients accumulate over observations,
giving the batch gradient Σ_i ∂R_i/∂θ of the lecture's update (eq. 11.13).

The nodes are labelled in the notes' notation (:mod:`nn.notation`: 1-based, intercepts
index 0), so drawings and step pages read like the lecture: the weights α₀ₘ, αₘₗ, β₀ₖ, βₖₘ,
the inputs x_l and targets y_k (numbers become labelled constants), the products αₘₗxₗ and
running sums, the pre-activations α₀ₘ + αₘᵀx, the hidden units Z_m, the output
pre-activations T_k, the softmax outputs f_k and the loss Rᵢ. The labels are not the
parameters' *names* (``alpha.0.1``), which state files and their errors use.
:meth:`TwoLayerNet.notes` names δ_k and s_m for the drawings, with their closed forms.

Penalties cover all weights, intercepts included, as in :mod:`nn.backprop`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autograd import Value, no_grad
from autograd.value import Constant, Scalar
from nn.args import choice, count, matrix, non_negative
from nn.losses import Loss, cross_entropy, penalty, softmax, squared_error, total
from nn.module import Module, Parameter
from nn.notation import LOSS_LABEL, numbered, two_layer_names
from nn.objectives import ClosedForm
from nn.options import DEFAULT_PENALTY, LOSSES, OUTPUTS, check_pairing
from nn.rng import INIT_RANGE, RandomSource, as_generator, uniform_weights

if TYPE_CHECKING:
    from autograd.viz import Note

__all__ = ["LOSSES", "OUTPUTS", "NetForward", "TwoLayerNet", "net_forward", "observation_loss"]


class NetForward(NamedTuple):
    """The intermediate Values of one forward pass (one observation).

    Attributes:
        a: M hidden pre-activations α_0m + α_mᵀx; after ``R_i.backward()`` their grads are s_mi.
        z: M hidden units σ(a).
        t: K output pre-activations T_k; after ``R_i.backward()`` their grads are δ_ki.
        f: K outputs g_k(T) (the very same nodes as ``t`` for the identity output).
    """

    a: list[Value]
    z: list[Value]
    t: list[Value]
    f: list[Value]


def net_forward(
    alpha: Sequence[Sequence[Scalar]],
    beta: Sequence[Sequence[Scalar]],
    x: Sequence[Scalar],
    output: str = "identity",
) -> NetForward:
    """Eq. 11.5 for one observation, on any Values (or numbers) as weights.

    This functional form is what :class:`TwoLayerNet` calls with its Parameters; it also
    lets ``gradcheck`` differentiate the net with respect to fresh leaves.

    Args:
        alpha: M rows of p+1 weights, column 0 the intercepts.
        beta: K rows of M+1 weights, column 0 the intercepts.
        x: p inputs.
        output: ``"identity"`` or ``"softmax"``.

    Returns:
        The intermediate Values.

    Raises:
        ValueError: On an unknown output or inconsistent sizes (naming expected and actual).
    """
    choice("output", output, OUTPUTS)
    p = len(x)
    if p == 0:
        raise ValueError("x must hold p >= 1 inputs, got none")
    for m, row in enumerate(alpha):
        if len(row) != p + 1:
            raise ValueError(f"alpha row {m} has {len(row)} weights, expected p+1 = {p + 1}")
    n_hidden = len(alpha)
    for k, row in enumerate(beta):
        if len(row) != n_hidden + 1:
            raise ValueError(f"beta row {k} has {len(row)} weights, expected M+1 = {n_hidden + 1}")
    if n_hidden == 0 or len(beta) == 0:
        raise ValueError(f"need M >= 1 and K >= 1, got M = {n_hidden}, K = {len(beta)}")
    names = two_layer_names(p, n_hidden, len(beta))
    inputs = _named(x, names.x)
    a = [_affine(*layer, inputs) for layer in zip(alpha, names.alpha_terms, names.alpha_sums,
                                                  strict=True)]
    z = [am.sigmoid() for am in a]
    for zm, name in zip(z, names.z, strict=True):
        zm.label = name
    t = [_affine(*layer, z) for layer in zip(beta, names.beta_terms, names.beta_sums,
                                             strict=True)]
    f = softmax(t) if output == "softmax" else t
    if output == "softmax":
        for fk, name in zip(f, names.f, strict=True):
            fk.label = name
    return NetForward(a=a, z=z, t=t, f=f)


def _named(values: Sequence[Scalar], names: Sequence[str]) -> list[Value]:
    """The numbers among ``values`` as constants labelled ``names`` (x₁, y₁); Values as given."""
    return [v if isinstance(v, Value) else Constant(v, label=name)
            for v, name in zip(values, names, strict=True)]


def _affine(row: Sequence[Scalar], terms: Sequence[str], sums: Sequence[str],
            inputs: Sequence[Value]) -> Value:
    """row[0] + Σ_l row[l+1] inputs[l], a new Value; products and running sums labelled."""
    out = row[0] if isinstance(row[0], Value) else Value(row[0])
    for w, v, term, running in zip(row[1:], inputs, terms, sums, strict=True):
        product = w * v  # folded left, as losses.total does
        product.label = term
        out = out + product
        out.label = running
    return out


def observation_loss(
    fwd: NetForward, y: Sequence[Scalar], loss: str = "squared", output: str = "identity"
) -> Value:
    """R_i for one observation: squared error Σ_k (y_k − f_k)² or cross-entropy.

    Cross-entropy is taken from ``fwd.t`` through log-sum-exp (stable at T = ±1000), so it
    never evaluates log f_k directly.

    Args:
        fwd: The forward pass of the observation.
        y: K targets.
        loss: ``"squared"`` or ``"cross_entropy"`` (the latter needs ``output="softmax"``).
        output: The output function used in ``fwd``.

    Raises:
        ValueError: On an unsupported pairing or a wrong number of targets.
    """
    check_pairing(loss, output)
    targets = _named(y, numbered("y", len(y)))
    r = cross_entropy(fwd.t, targets) if loss == "cross_entropy" else squared_error(fwd.f, targets)
    r.label = LOSS_LABEL
    return r


class TwoLayerNet(Module):
    """The lecture's net with p inputs, M hidden sigmoid units and K outputs.

    Args:
        p: Number of inputs.
        M: Number of hidden units.
        K: Number of outputs.
        output: ``"identity"`` (regression) or ``"softmax"`` (classification).
        rng: Generator (``random.Random`` / ``numpy.random.Generator``) or int seed (see
            :func:`nn.rng.as_generator`); alpha is drawn before beta, row by row.
        init_range: Starting weights, intercepts included, are uniform on
            [−init_range, init_range]; 0.7 as ESL §11.5.3 suggests for standardized inputs.
            :func:`nn.train.fit` draws its extra starts on the same range.

    Attributes:
        alpha: M rows of p+1 Parameters (``alpha[m][0]`` is α_0m); names ``alpha.m.l``,
            labels α₀₁, α₁₁, … (1-based, as in the notes).
        beta: K rows of M+1 Parameters (``beta[k][0]`` is β_0k); names ``beta.k.m``,
            labels β₀₁, β₁₁, ….
        output: The output function's name.
        init_range: Half-width of the starting weights' range.

    Raises:
        ValueError: On sizes below 1, an unknown output or a negative/non-finite init_range.
        TypeError: On a non-numeric init_range or an unusable rng.
    """

    def __init__(
        self,
        p: int,
        M: int,  # noqa: N803
        K: int,  # noqa: N803
        output: str = "identity",
        *,
        rng: RandomSource = 0,
        init_range: float = INIT_RANGE,
    ) -> None:
        for name, n in (("p", p), ("M", M), ("K", K)):
            count(name, n)
        choice("output", output, OUTPUTS)
        self.init_range = non_negative("init_range", init_range)
        weights = uniform_weights(M * (p + 1) + K * (M + 1), as_generator(rng), init_range)
        names = two_layer_names(p, M, K)
        self.alpha = _parameters(weights[: M * (p + 1)].reshape(M, p + 1), names.alpha)
        self.beta = _parameters(weights[M * (p + 1) :].reshape(K, M + 1), names.beta)
        self.output = output

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(p, M, K)``."""
        return len(self.alpha[0]) - 1, len(self.alpha), len(self.beta)

    def __repr__(self) -> str:
        p, m, k = self.shape
        return f"TwoLayerNet(p={p}, M={m}, K={k}, output={self.output!r})"

    def forward(self, x: Sequence[Scalar]) -> NetForward:
        """The forward pass for one observation, keeping every intermediate Value.

        Raises:
            ValueError: If ``len(x) != p``.
        """
        p = self.shape[0]
        if len(x) != p:
            raise ValueError(f"TwoLayerNet expects {p} inputs, got {len(x)}")
        return net_forward(self.alpha, self.beta, x, self.output)

    def loss(self, fwd: NetForward, y: Sequence[Scalar], loss: str = "squared") -> Value:
        """R_i of one forward pass: see :func:`observation_loss`."""
        return observation_loss(fwd, y, loss, self.output)

    def notes(self, fwd: NetForward, x: Sequence[Scalar], y: Sequence[Scalar],
              loss: str = "squared") -> dict[Value, Note]:
        """The lecture's names for one observation's gradients, to pass to the drawings.

        δ_k on the output pre-activations, s_m on the hidden ones and ∂R_i/∂β_km = δ_k z_m,
        ∂R_i/∂α_ml = s_m x_l on the weights, each with its value from :mod:`nn.backprop`;
        see :func:`nn.notes.backprop_notes`. ``backward_page(R_i, notes=net.notes(fwd, x,
        y))`` then writes each at the step that completes it, beside autodiff's value.
        """
        from nn.notes import backprop_notes  # the drawing layer, imported when first asked for

        return backprop_notes(self, fwd, x, y, loss)

    def penalty(self, kind: str | None, lam: float) -> Value | None:
        """λJ over all parameters, intercepts included (None for ``kind=None``)."""
        return penalty(self.parameters(), kind, lam)

    def risk(
        self,
        X: ArrayLike,  # noqa: N803
        Y: ArrayLike,  # noqa: N803
        *,
        loss: str = "squared",
        penalty: str | None = DEFAULT_PENALTY,
        lam: float = 0.0,
    ) -> Value:
        """The penalised criterion Σ_i R_i + λJ as one graph (λ on the summed scale).

        Args:
            X: N × p inputs.
            Y: N × K targets.
            loss: ``"squared"`` or ``"cross_entropy"``.
            penalty: ``"weight_decay"`` (the default), ``"weight_elimination"`` or ``None``.
            lam: λ ≥ 0 (0 by default: no penalty).

        Raises:
            ValueError: On inconsistent shapes or options.
        """
        check_pairing(loss, self.output)
        p, _, k = self.shape
        xs = matrix("X", X, cols=p)
        ys = matrix("Y", Y, rows=xs.shape[0], cols=k, column=True)
        rows = zip(xs.tolist(), ys.tolist(), strict=True)
        terms = [self.loss(self.forward(xi), yi, loss) for xi, yi in rows]
        pen = self.penalty(penalty, lam)
        return total(terms if pen is None else [*terms, pen])

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:  # noqa: N803
        """f(x_i) for each row of X, as an N × K array, without recording a graph."""
        p, _, k = self.shape
        xs = matrix("X", X, cols=p)
        out = np.empty((xs.shape[0], k))
        with no_grad():
            for i, xi in enumerate(xs.tolist()):
                out[i] = [fk.data for fk in self.forward(xi).f]
        return out

    def fit_objective(self, loss: Loss | None = None) -> ClosedForm:
        """This net's objective for ``fit`` and ``predict``: the closed form of nn.backprop."""
        return ClosedForm(self, loss)

    def to_arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The weights as numpy arrays ``(alpha M × (p+1), beta K × (M+1))``, for nn.backprop."""
        return _values(self.alpha, "data"), _values(self.beta, "data")

    def grad_arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The parameters' current ``.grad`` as arrays shaped like :meth:`to_arrays`."""
        return _values(self.alpha, "grad"), _values(self.beta, "grad")

    def set_arrays(self, alpha: ArrayLike, beta: ArrayLike) -> None:
        """Set all weights from arrays shaped like :meth:`to_arrays`; all or nothing.

        Raises:
            ValueError: On a shape mismatch or a non-finite entry (nothing is changed).
        """
        p, m, k = self.shape
        a = matrix("alpha", alpha, rows=m, cols=p + 1)
        b = matrix("beta", beta, rows=k, cols=m + 1)
        for rows, arr in ((self.alpha, a), (self.beta, b)):
            for row, values in zip(rows, arr, strict=True):
                for param, v in zip(row, values, strict=True):
                    param.data = float(v)

    @classmethod
    def from_arrays(
        cls,
        alpha: ArrayLike,
        beta: ArrayLike,
        output: str = "identity",
        *,
        init_range: float = INIT_RANGE,
    ) -> TwoLayerNet:
        """A net with the given weights (alpha M × (p+1), beta K × (M+1)).

        ``init_range`` is not used for these weights; it is recorded for :func:`nn.train.fit`'s
        extra starts.

        Raises:
            ValueError: If the arrays are not 2-D with consistent shapes, or not finite.
        """
        a = np.asarray(alpha, dtype=np.float64)
        b = np.asarray(beta, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 2:
            raise ValueError(f"alpha must be M × (p+1) with M, p >= 1, got shape {a.shape}")
        if b.ndim != 2 or b.shape[0] < 1:
            raise ValueError(f"beta must be K × (M+1) with K >= 1, got shape {b.shape}")
        net = cls(a.shape[1] - 1, a.shape[0], b.shape[0], output, init_range=0.0)
        net.init_range = non_negative("init_range", init_range)
        net.set_arrays(a, b)
        return net


def _parameters(values: NDArray[np.float64], labels: Sequence[Sequence[str]]
                ) -> list[list[Parameter]]:
    """Rows of Parameters labelled in the lecture's notation (α₀₁, α₁₁, …)."""
    return [[Parameter(v, label=label) for v, label in zip(row, names, strict=True)]
            for row, names in zip(values.tolist(), labels, strict=True)]


def _values(rows: list[list[Parameter]], attr: str) -> NDArray[np.float64]:
    return np.array([[float(getattr(w, attr)) for w in row] for row in rows], dtype=np.float64)
