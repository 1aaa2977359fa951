"""Notes on nodes: what a node's gradient means, and its value from a closed form.

A model that knows what some of its nodes stand for (the lecture's δ_k and s_m) hands the
drawing functions a mapping from those nodes to :class:`Note` objects. The notes are kept
beside the graph, never in the nodes, so a Value costs no extra memory for them. They show
in the drawings' tooltips and, in the step frames and the step page, at the step that
completes the node's gradient, beside the value the backward pass computed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograd.value import Value
from autograd.viz.text import number

AGREE = 1e-9
"""Relative difference up to which a note's closed form and autodiff are said to agree."""


@dataclass(frozen=True)
class Note:
    """What a node's gradient is, written out, and optionally its value from elsewhere.

    Attributes:
        text: The gradient's name and closed form, e.g. ``"δ₁ = ∂Rᵢ/∂T₁ = −2(y₁ − f₁)"``.
        value: That closed form evaluated independently of the backward pass (None: none).
        source: Who evaluated ``value`` (shown beside it), e.g. ``"nn.backprop"``.

    Raises:
        TypeError: ``text`` or ``source`` is not a str, or ``value`` is not a real number.
        ValueError: ``text`` is empty or ``value`` is not finite.
    """

    text: str
    value: float | None = None
    source: str = "closed form"

    def __post_init__(self) -> None:
        for name in ("text", "source"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Note {name} must be a str, got "
                                f"{type(getattr(self, name)).__name__}")
        if not self.text:
            raise ValueError("Note text must not be empty")
        if self.value is not None:
            if isinstance(self.value, bool) or not isinstance(self.value, numbers.Real):
                raise TypeError(f"Note value must be a real number or None, got "
                                f"{type(self.value).__name__}")
            if not math.isfinite(self.value):
                raise ValueError(f"Note value must be finite, got {self.value!r}")
            object.__setattr__(self, "value", float(self.value))  # a numpy scalar, an int

    def tip(self, reveal: bool = True) -> str:
        """The tooltip: the text, and with ``reveal`` the closed form's value and source."""
        if self.value is None or not reveal:
            return self.text
        return f"{self.text} = {number(self.value)} ({self.source})"

    def line(self, autodiff: float) -> str:
        """The step's line: the text, the backward pass's value and the closed form's beside it.

        ``δ₁ = ∂Rᵢ/∂T₁ = −2(y₁ − f₁) = 0.1561  (nn.backprop: 0.1561)``; if the two differ by
        more than :data:`AGREE` (relative), the line says so.
        """
        shown = f"{self.text} = {number(autodiff)}"
        if self.value is None:
            return shown
        verdict = ("" if math.isclose(autodiff, self.value, rel_tol=AGREE, abs_tol=1e-300)
                   else f", which differs from the backward pass's {autodiff!r}")
        return f"{shown}  ({self.source}: {number(self.value)}{verdict})"


def notes_by_position(notes: Mapping[Value, Note] | None, order: Sequence[Value]
                      ) -> list[Note | None]:
    """Each node's note, by topological position; nodes outside the graph are ignored.

    Raises:
        TypeError: ``notes`` is not a mapping from Values to Notes.
    """
    if notes is None:
        return [None] * len(order)
    if not isinstance(notes, Mapping):
        raise TypeError(f"notes must be a mapping from Values to Notes, got "
                        f"{type(notes).__name__}")
    for node, note in notes.items():
        if not isinstance(node, Value) or not isinstance(note, Note):
            raise TypeError(f"notes must map Values to Notes, got {type(node).__name__} → "
                            f"{type(note).__name__}")
    return [notes.get(node) for node in order]
