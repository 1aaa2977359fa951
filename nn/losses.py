"""Losses and penalties on Values, written as the lecture writes them (ESL §11.4-11.5).

For one observation with targets y_k and outputs f_k:

* squared error R_i = Σ_k (y_k − f_k)² (a sum over outputs, as in ESL eq. 11.9);
* cross-entropy R_i = −Σ_k y_k log f_k (eq. 11.10), computed from the softmax *inputs* T_k
  as −Σ_k y_k (T_k − LSE(T)) with LSE(T) = c + log Σ_j e^(T_j − c), c = max_j T_j, so that
  T = ±1000 neither overflows ``exp`` nor takes ``log 0``. The shift c is a constant: LSE's
  gradient is the softmax whatever c is;
* the max-margin hinge R_i = Σ_k max(0, 1 − y_k s_k) for scores s_k and labels y_k = ±1
  (the "SVM" loss of micrograd's demo), written with ``relu`` so that it replays on a tape.

Penalties λJ (eqs. 11.16-11.17) go over whatever weights are passed (the nets pass all of
them, intercepts included, like ``nn.backprop``); λ is on the scale of the summed loss.

:data:`REGISTRY` is the one list of losses that training knows by name (``fit(...,
loss="hinge")``): each name's per-observation form and the output functions of the lecture's
net it pairs with. ``nn.backprop`` keeps its own δ formulas for those pairings, and a test
checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from autograd.value import Scalar, Value
from nn.args import non_negative
from nn.options import PENALTIES, check_penalty

__all__ = [
    "PENALTIES",
    "REGISTRY",
    "Loss",
    "NamedLoss",
    "cross_entropy",
    "hinge",
    "log_softmax",
    "penalty",
    "softmax",
    "squared_error",
    "total",
    "weight_decay",
    "weight_elimination",
]


def total(terms: Iterable[Value]) -> Value:
    """Σ of Values, folded left without the ``0 +`` that builtin ``sum`` would add.

    Raises:
        ValueError: If ``terms`` is empty.
    """
    it = iter(terms)
    try:
        acc = next(it)
    except StopIteration:
        raise ValueError("cannot sum an empty sequence of Values") from None
    for term in it:
        acc = acc + term
    return acc


def _check_lengths(what: str, outputs: Sequence[Value], targets: Sequence[Scalar]) -> None:
    if len(outputs) != len(targets):
        raise ValueError(f"{what}: {len(outputs)} outputs but {len(targets)} targets")
    if len(outputs) == 0:
        raise ValueError(f"{what}: needs at least one output, got none")


def squared_error(f: Sequence[Value], y: Sequence[Scalar]) -> Value:
    """R_i = Σ_k (y_k − f_k)² for one observation (ESL eq. 11.9); ∂R_i/∂f_k = −2(y_k − f_k).

    Raises:
        ValueError: If ``f`` and ``y`` differ in length or are empty.
    """
    _check_lengths("squared_error", f, y)
    return total((yk - fk) ** 2.0 for fk, yk in zip(f, y, strict=True))


def _lse(t: Sequence[Value]) -> Value:
    shift = max(tk.data for tk in t)
    return shift + total((tk - shift).exp() for tk in t).log()


def log_softmax(t: Sequence[Value]) -> list[Value]:
    """log g_k(T) = T_k − LSE(T), stable for any finite T.

    Raises:
        ValueError: If ``t`` is empty.
    """
    if len(t) == 0:
        raise ValueError("log_softmax: needs at least one input, got none")
    lse = _lse(t)
    return [tk - lse for tk in t]


def softmax(t: Sequence[Value]) -> list[Value]:
    """g_k(T) = e^(T_k) / Σ_j e^(T_j) (ESL eq. 11.6), shifted by the constant max T.

    Raises:
        ValueError: If ``t`` is empty.
    """
    if len(t) == 0:
        raise ValueError("softmax: needs at least one input, got none")
    shift = max(tk.data for tk in t)
    exps = [(tk - shift).exp() for tk in t]
    norm = total(exps)
    return [e / norm for e in exps]


def cross_entropy(t: Sequence[Value], y: Sequence[Scalar]) -> Value:
    """R_i = −Σ_k y_k log g_k(T) from the softmax inputs T (ESL eq. 11.10), via log-sum-exp.

    Takes T, not f = softmax(T): that is what makes it stable. ∂R_i/∂T_k = f_k Σ_j y_j − y_k,
    i.e. f_k − y_k for a one-hot y.

    Raises:
        ValueError: If ``t`` and ``y`` differ in length or are empty.
    """
    _check_lengths("cross_entropy", t, y)
    return -total(yk * lf for lf, yk in zip(log_softmax(t), y, strict=True))


def hinge(s: Sequence[Value], y: Sequence[Scalar]) -> Value:
    """R_i = Σ_k max(0, 1 − y_k s_k): the max-margin loss of scores s_k for labels y_k = ±1.

    ∂R_i/∂s_k = −y_k where the margin y_k s_k is below 1, else 0 (also at the kink, as relu).

    Raises:
        ValueError: If ``s`` and ``y`` differ in length or are empty.
    """
    _check_lengths("hinge", s, y)
    return total((1.0 - yk * sk).relu() for sk, yk in zip(s, y, strict=True))


def _weights(weights: Iterable[Value]) -> list[Value]:
    ws = list(weights)
    if not ws:
        raise ValueError("penalty: needs at least one weight, got none")
    return ws


def weight_decay(weights: Iterable[Value], lam: float) -> Value:
    """λJ with J = Σ w² (ESL eq. 11.16); adds 2λw to each weight's gradient.

    Raises:
        ValueError: On no weights or a negative / non-finite λ.
        TypeError: If ``lam`` is not a real number.
    """
    lam = non_negative("lam", lam)
    return lam * total(w**2.0 for w in _weights(weights))


def weight_elimination(weights: Iterable[Value], lam: float) -> Value:
    """λJ with J = Σ w² / (1 + w²) (ESL eq. 11.17); adds 2λw / (1 + w²)² to the gradient.

    Raises:
        ValueError: On no weights or a negative / non-finite λ.
        TypeError: If ``lam`` is not a real number.
    """
    lam = non_negative("lam", lam)
    return lam * total(w**2.0 / (1.0 + w**2.0) for w in _weights(weights))


def penalty(weights: Iterable[Value], kind: str | None, lam: float) -> Value | None:
    """λJ by name: ``"weight_decay"``, ``"weight_elimination"``, or ``None`` (no penalty).

    Returns:
        The penalty Value, or None when ``kind`` is None (λ must then be 0).

    Raises:
        ValueError: On an unknown kind, or λ ≠ 0 with ``kind=None``.
    """
    check_penalty(kind, lam)
    if kind is None:
        return None
    if kind == "weight_decay":
        return weight_decay(weights, lam)
    return weight_elimination(weights, lam)


class NamedLoss(NamedTuple):
    """A per-observation loss that training knows by name.

    Attributes:
        fn: R_i = fn(outputs, targets) for one observation (lists of Values).
        outputs: The output functions g of the lecture's net (:class:`nn.TwoLayerNet`) it
            pairs with, each one a closed form of ``nn.backprop``; () if that net takes none.
    """

    fn: Callable[[Sequence[Value], Sequence[Scalar]], Value]
    outputs: tuple[str, ...]


REGISTRY: Mapping[str, NamedLoss] = MappingProxyType({
    "squared": NamedLoss(squared_error, ("identity", "softmax")),
    "cross_entropy": NamedLoss(cross_entropy, ("softmax",)),
    "hinge": NamedLoss(hinge, ()),
})
"""The losses by name (read only). For a module other than the lecture's net, ``fn`` gets the
module's outputs: cross-entropy takes them as the softmax inputs T."""

Loss = str | Callable[[list[Value], list[Value]], Value]
"""A loss for training: a name in :data:`REGISTRY`, or R_i = loss(outputs, targets) on Values."""
