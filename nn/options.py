"""The names of the options ``nn`` accepts, and the rules for which go together.

One home for each list, so that the nets, the closed form and the training loop refuse
the same things with the same words. The choices of :func:`nn.train.fit` are also ``Literal``
types (:data:`Scale`, :data:`Method`, :data:`Mode`, :data:`PenaltyName`, :data:`ScheduleName`)
from which the tuples are made, so that type checkers and the run-time checks know the same
names. The losses training knows by name are :data:`nn.losses.REGISTRY`.
"""

from __future__ import annotations

from typing import Literal, get_args

from nn.args import choice, non_negative

__all__ = [
    "DEFAULT_PENALTY",
    "LOSSES",
    "METHODS",
    "MODES",
    "OUTPUTS",
    "PENALTIES",
    "SCALES",
    "SCHEDULES",
    "Method",
    "Mode",
    "PenaltyName",
    "Scale",
    "ScheduleName",
    "check_pairing",
    "check_penalty",
]

Scale = Literal["sum", "mean"]
"""How the per-observation losses are combined: Σ_i R_i (the book's) or (1/N) Σ_i R_i."""
Method = Literal["gd", "adam", "bfgs"]
"""Optimisers of :func:`nn.train.fit`."""
Mode = Literal["batch", "online"]
"""Batch (one update per epoch) or online (one update per observation)."""
PenaltyName = Literal["weight_decay", "weight_elimination"]
"""The penalties J of ESL §11.5.2 (``None`` is no penalty)."""
ScheduleName = Literal["constant", "inverse"]
"""Learning-rate schedules by name (a callable r ↦ γ_r is accepted too)."""

OUTPUTS: tuple[str, ...] = ("identity", "softmax")
"""The output functions g_k of the lecture's net."""
LOSSES: tuple[str, ...] = ("squared", "cross_entropy")
"""The per-observation losses R_i of the lecture's net (closed form in :mod:`nn.backprop`)."""
PENALTIES: tuple[str | None, ...] = (None, *get_args(PenaltyName))
"""The penalties J of ESL §11.5.2 (None: no penalty)."""
DEFAULT_PENALTY: PenaltyName = "weight_decay"
"""The penalty λ applies to when none is named (everywhere a ``lam=`` is taken)."""
SCALES: tuple[str, ...] = get_args(Scale)
"""The values of :data:`Scale`."""
METHODS: tuple[str, ...] = get_args(Method)
"""The values of :data:`Method`."""
MODES: tuple[str, ...] = get_args(Mode)
"""The values of :data:`Mode`."""
SCHEDULES: tuple[str, ...] = get_args(ScheduleName)
"""The values of :data:`ScheduleName`."""


def check_pairing(loss: str, output: str) -> None:
    """Check ``loss`` and ``output`` are known and go together (cross-entropy needs softmax).

    Raises:
        ValueError: an unknown name, or cross-entropy without softmax outputs.
    """
    choice("loss", loss, LOSSES)
    choice("output", output, OUTPUTS)
    if loss == "cross_entropy" and output != "softmax":
        raise ValueError(
            "loss='cross_entropy' needs output='softmax' (log f_k needs probabilities), "
            f"got output={output!r}"
        )


def check_penalty(kind: str | None, lam: object) -> float:
    """Check the penalty's name and λ ≥ 0, and that λ is 0 when there is no penalty.

    Returns:
        λ as a float.

    Raises:
        ValueError: An unknown name, a negative or non-finite λ, or λ ≠ 0 with ``kind=None``.
        TypeError: If ``lam`` is not a real number.
    """
    choice("penalty", kind, PENALTIES)
    out = non_negative("lam", lam)
    if kind is None and out != 0.0:
        raise ValueError(f"lam={out} given with penalty=None; name the penalty or set lam=0")
    return out
