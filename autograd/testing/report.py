"""The report of a failed check: the exception, its rows of numbers, and the text it shows.

A report reads top-down: where it failed and how often, a table with one row per input
(each side's value, the central difference as a third opinion, the relative error, a ✗ on
the rows that disagree), the diagnoses, and which side the central differences support.
The exceptions carry the same facts as data (``err.rows``, ``err.point``, ``err.diagnosis``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any, NamedTuple

from autograd.check import closeness
from autograd.testing.diagnosis import Diagnosis

SHOWN_ROWS = 10
"""A report lists every row up to this many, otherwise only (this many) disagreeing ones."""


class GradientRow(NamedTuple):
    """One input's three opinions at the reported point.

    Attributes:
        name: The input (``f``'s argument name) or parameter (``named_parameters()`` name).
        hand: The hand-derived value.
        autodiff: The backward pass's value.
        numeric: The central difference (nan when f leaves its domain at a probe point).
        rel_err: ``|hand - autodiff| / max(|hand|, |autodiff|)``.
        ok: Whether hand and autodiff agree within the tolerances.
    """

    name: str
    hand: float
    autodiff: float
    numeric: float
    rel_err: float
    ok: bool


class PartialRow(NamedTuple):
    """One partial derivative of an op at the reported point: its rule against the numbers.

    Attributes:
        name: The input (``x``), or for a second derivative the pair (``∂x∂y``: the rule for
            ∂f/∂x, differentiated on Values, in y).
        rule: What the op's partials give (for a second derivative, their backward pass).
        numeric: The central difference (of the forward, or of the partial).
        rel_err: ``|rule - numeric| / max(|rule|, |numeric|)``.
        ok: Whether they agree within the tolerances.
    """

    name: str
    rule: float
    numeric: float
    rel_err: float
    ok: bool


class GradientMismatch(AssertionError):  # noqa: N818 (the name the issue asks for)
    """A hand-derived gradient disagrees with autodiff; the message is the full report.

    Attributes:
        point: The reported point (a tuple of floats), or the example ``(x, y)``.
        rows: One :class:`GradientRow` per input or parameter, in order.
        diagnosis: The recognised shapes of the mistake (possibly empty).
        wrong_side: ``"hand"`` when central differences side with autodiff, ``"autodiff"``
            when they side with the hand derivation, ``"unclear"`` otherwise.
    """

    __module__ = "autograd.testing"  # what tracebacks show: the name users import

    def __init__(self, message: str, point: Any, rows: list[GradientRow],
                 diagnosis: list[Diagnosis], wrong_side: str) -> None:
        super().__init__(message)
        self.point = point
        self.rows = rows
        self.diagnosis = diagnosis
        self.wrong_side = wrong_side


class OpMismatch(AssertionError):  # noqa: N818 (a sibling of GradientMismatch)
    """An op's partials disagree with central differences; the message is the full report.

    Attributes:
        op: The op checked.
        point: The reported point (a tuple of floats, one per operand).
        rows: One :class:`PartialRow` per partial compared, first derivatives first.
        diagnosis: The recognised shapes of the mistake (possibly empty).
    """

    __module__ = "autograd.testing"

    def __init__(self, message: str, op: Any, point: tuple[float, ...], rows: list[PartialRow],
                 diagnosis: list[Diagnosis]) -> None:
        super().__init__(message)
        self.op = op
        self.point = point
        self.rows = rows
        self.diagnosis = diagnosis


def gradient_rows(names: Sequence[str], hand: Sequence[float], auto: Sequence[float],
                  numeric: Sequence[float], ok: Sequence[bool]) -> list[GradientRow]:
    """The report's rows: each input's three opinions and the relative error."""
    return [GradientRow(name, h, a, num, closeness(h, a, 0.0, 0.0)[1], good)
            for name, h, a, num, good in zip(names, hand, auto, numeric, ok, strict=True)]


def skip_note(skipped: int, why: str) -> str:
    """`` (3 skipped: outside f's domain)``, or nothing when none was skipped."""
    return f" ({skipped} skipped: {why})" if skipped else ""


def _table(column: str, headings: Sequence[str],
           rows: Sequence[tuple[str, bool, Sequence[float], float]]) -> list[str]:
    """The aligned table: a name, a ✗ where a row disagrees, its numbers, its relative error."""
    shown = rows if len(rows) <= SHOWN_ROWS else [r for r in rows if not r[1]][:SHOWN_ROWS]
    width = max(len(column), *(len(r[0]) for r in shown))
    lines = [f"    {column:<{width}}   " + " ".join(f"{h:>17}" for h in headings)
             + f" {'rel err':>9}"]
    lines += [f"    {name:<{width}} {' ' if ok else '✗'} "
              + " ".join(f"{v:>17.10g}" for v in values) + f" {rel:>9.2g}"
              for name, ok, values, rel in shown]
    if len(shown) < len(rows):
        bad = sum(not r[1] for r in rows)
        lines.append(f"    ({len(rows)} rows, {bad} disagree; the first {len(shown)} shown, "
                     "all in err.rows)")
    return lines


def _notes(diagnosis: Sequence[Diagnosis]) -> list[str]:
    return [textwrap.fill(d.message, 96, initial_indent="  diagnosis: ",
                          subsequent_indent="    ") for d in diagnosis]


def _verdict(rows: Sequence[GradientRow]) -> tuple[str, str]:
    """Which side central differences support, and the sentence saying so."""
    bad = [r for r in rows if not r.ok]

    def near(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)

    if all(near(r.numeric, r.autodiff) and not near(r.numeric, r.hand) for r in bad):
        return "hand", "central differences side with autodiff: the hand derivation is wrong"
    if all(near(r.numeric, r.hand) and not near(r.numeric, r.autodiff) for r in bad):
        return "autodiff", ("central differences side with the hand derivation: check that f "
                            "computes what you derived (or report an engine bug)")
    return "unclear", ("central differences do not settle it here (a kink, a domain edge or "
                       "rounding)")


def gradient_mismatch(head: str, point: Any, rows: list[GradientRow],
                      diagnosis: list[Diagnosis], column: str) -> GradientMismatch:
    """The exception with its report: header, table, diagnoses, verdict."""
    table = _table(column, ("hand", "autodiff", "central diff"),
                   [(r.name, r.ok, (r.hand, r.autodiff, r.numeric), r.rel_err) for r in rows])
    wrong_side, verdict = _verdict(rows)
    lines = [head, "", *table, "", *_notes(diagnosis), f"  {verdict}"]
    return GradientMismatch("\n".join(lines), point, rows, diagnosis, wrong_side)


def op_mismatch(head: str, op: Any, point: tuple[float, ...], rows: list[PartialRow],
                diagnosis: list[Diagnosis]) -> OpMismatch:
    """The exception with its report: header, table, diagnoses."""
    table = _table("partial", ("rule", "central diff"),
                   [(r.name, r.ok, (r.rule, r.numeric), r.rel_err) for r in rows])
    notes = _notes(diagnosis) or ["  no recognised shape: compare the rule with the "
                                  "derivative of the forward by hand at this point"]
    lines = [head, "", *table, "", *notes]
    return OpMismatch("\n".join(lines), op, point, rows, diagnosis)
