"""Diagnosis: the shape of a mistake, read from the pattern of disagreements, input by input.

A hand derivation that is wrong is usually wrong in a recognisable way. Each hypothesis is
tested per input j on the pairs (hand_j, reference_j) at *every* point where input j
disagrees (the reference is autodiff, or central differences for an op's rule), never at one
point, since at one point almost anything fits (0.75 against 0.375 looks like a missing
factor 2, and is σ written for σ′ at σ = 1/2). The hypotheses, in order; the first one that
holds names the input's mistake:

* a constant factor: hand = c × reference with c = −1 or ±n, ±1/n (2 ≤ n ≤ 10);
* another input's value: hand_j = reference_k (two inputs swapped, or indices shifted);
* σ written for σ′: hand_j / reference_j = 1/(1 − s) where s is the value of a sigmoid in
  the graph, wherever it sits in the chain (the chain's other factors cancel in the ratio);
  tanh written for tanh′ likewise, with the ratio t/(1 − t²);
* the function's own value for its derivative (exp's rule used for another function);
* a product rule with a term missing, (x·g)′ = g + x·g′ with one of the two terms
  (when the slope of the hand derivation is known, as for an op's rule).

Across inputs: one wrong factor per row of a matrix of parameters (``alpha.2.*``),
disagreement confined to some groups of parameters, and disagreement for one sign of an
input only (a case missing, as in abs or relu).

A hypothesis holds when it holds at every disagreeing point where the numbers can tell, and
at least one can: where both sides vanish, nothing is decided.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from autograd.ops import OPS
from autograd.testing.arguments import Point, listing

SAME = 1e-6
"""Relative closeness at which two exact numbers count as equal when diagnosing."""

CASES = 50
"""A hypothesis is tested on this many disagreeing points of an input at most."""

FACTORS = [Fraction(-1)] + [c for n in range(2, 11)
                            for c in (Fraction(n), Fraction(1, n), Fraction(-n), Fraction(-1, n))]
"""Candidate wrong factors hand / reference: −1, and ±n and ±1/n for 2 ≤ n ≤ 10."""

_SIGMOID, _TANH = OPS["sigmoid"], OPS["tanh"]


class Diagnosis(NamedTuple):
    """A recognised shape of the mistake.

    Attributes:
        kind: ``"factor"``, ``"swap"``, ``"shift"``, ``"sigma_for_sigma_prime"``,
            ``"tanh_for_tanh_prime"``, ``"function_value"``, ``"product_rule"``,
            ``"row_factor"``, ``"confined"`` or ``"one_sign"``.
        message: One sentence for the report.
        names: The inputs or parameters it concerns.
        factor: hand / reference for kind ``"factor"`` (e.g. 0.5 for a missing factor 2).
    """

    kind: str
    message: str
    names: tuple[str, ...]
    factor: float | None = None


class Case(NamedTuple):
    """What one checked point tells the diagnosis.

    Attributes:
        point: The coordinates of the entries' inputs (``point[j]`` is the input entry j
            differentiates in; empty for an example of a data set).
        hand: The hand-derived value per input.
        reference: What it is checked against, per input (autodiff, or central differences).
        ok: Per input, whether the two agree.
        value: The function's value at the point.
        sigmoids: The values of the graph's sigmoid nodes, in the walk's order.
        tanhs: The values of the graph's tanh nodes, likewise.
        slopes: ∂hand_j/∂x_j per input, when known (empty otherwise).
    """

    point: Point
    hand: tuple[float, ...]
    reference: tuple[float, ...]
    ok: tuple[bool, ...]
    value: float
    sigmoids: tuple[float, ...] = ()
    tanhs: tuple[float, ...] = ()
    slopes: tuple[float, ...] = ()


class Words(NamedTuple):
    """How a report names its two sides and its function, and how close is the same.

    Attributes:
        hand: The side checked (``"hand"``).
        reference: What it is checked against (``"autodiff"``).
        function: The function's name in messages (``"f"``).
        same: Relative closeness of two numbers that are the same.
        tiny: Numbers this small (in absolute value) are the same as 0 and decide nothing
            (for numbers from central differences, whose rounding error is absolute).
    """

    hand: str = "hand"
    reference: str = "autodiff"
    function: str = "f"
    same: float = SAME
    tiny: float = 0.0


def activations(nodes: Iterable[Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The values of the sigmoid nodes and of the tanh nodes among ``nodes``, in order."""
    sigmoids, tanhs = [], []
    for node in nodes:
        if node.op is _SIGMOID:
            sigmoids.append(node.data)
        elif node.op is _TANH:
            tanhs.append(node.data)
    return tuple(sigmoids), tuple(tanhs)


def _match(a: float, b: float, w: Words) -> bool | None:
    """Whether a equals b; None (undecided) when both are 0 (or tiny)."""
    if abs(a) <= w.tiny and abs(b) <= w.tiny:
        return None
    return math.isclose(a, b, rel_tol=w.same, abs_tol=w.tiny)


def _holds(results: Iterable[bool | None]) -> bool:
    """No result False, and at least one True (None decides nothing)."""
    seen = set(results)
    return False not in seen and True in seen


def _factor(k: Case, j: int, c: Fraction, w: Words) -> bool | None:
    return _match(k.hand[j], float(c) * k.reference[j], w)


def _partner(k: Case, j: int, m: int, w: Words) -> bool | None:
    return _match(k.hand[j], k.reference[m], w)


def _sigmoid(k: Case, j: int, s: int, w: Words) -> bool | None:
    return _match(k.hand[j] * (1.0 - k.sigmoids[s]), k.reference[j], w)


def _tanh(k: Case, j: int, t: int, w: Words) -> bool | None:
    return _match(k.hand[j] * (1.0 - k.tanhs[t] ** 2), k.reference[j] * k.tanhs[t], w)


def _value(k: Case, j: int, _: None, w: Words) -> bool | None:
    return _match(k.hand[j], k.value, w)


def _kept_g(k: Case, j: int, _: None, w: Words) -> bool | None:
    """hand = g for f = x g(x): the missing term is x g′ = x × (slope of hand)."""
    return _match(k.reference[j] - k.hand[j], k.point[j] * k.slopes[j], w)


def _kept_x_dg(k: Case, j: int, _: None, w: Words) -> bool | None:
    """hand = x g′ for f = x g(x): the missing term is g = f / x."""
    return None if k.point[j] == 0.0 else _match(k.reference[j] - k.hand[j],
                                                  k.value / k.point[j], w)


Test = Callable[[Case, int, Any, Words], bool | None]
"""One hypothesis about input j, judged at one point, with its parameter."""


def _hypotheses(j: int, n: int, cases: Sequence[Case]) -> Iterator[tuple[tuple[str, Any],
                                                                           Test, Any]]:
    """(key, test, parameter) for each hypothesis about input j, in order of precedence."""
    yield from ((("factor", c), _factor, c) for c in FACTORS)
    yield from ((("partner", m), _partner, m) for m in range(n) if m != j)
    yield from ((("sigmoid", s), _sigmoid, s) for s in range(min(len(k.sigmoids) for k in cases)))
    yield from ((("tanh", t), _tanh, t) for t in range(min(len(k.tanhs) for k in cases)))
    yield ("value", None), _value, None
    if all(j < len(k.slopes) for k in cases):  # slopes[j] is ∂hand_j/∂point[j]
        yield ("product", "g"), _kept_g, None
        yield ("product", "x g′"), _kept_x_dg, None


def _explain(j: int, n: int, cases: Sequence[Case], w: Words) -> tuple[str, Any] | None:
    """The first hypothesis that holds for input j at every point where it disagrees."""
    failing = [k for k in cases if not k.ok[j]][:CASES]
    if not failing:
        return None
    return next((key for key, test, arg in _hypotheses(j, n, failing)
                 if _holds(test(k, j, arg, w) for k in failing)), None)


def _factor_text(c: Fraction) -> str:
    n = abs(c.numerator) if c.denominator == 1 else c.denominator
    if c == -1:
        return "the sign is wrong"
    sign = "the sign is wrong and " if c < 0 else ""
    return sign + (f"a factor {n} too many" if c.denominator == 1 else f"a factor {n} missing")


def _per_input(names: Sequence[str], found: Mapping[int, tuple[str, Any]], bad: Sequence[int],
               w: Words) -> list[Diagnosis]:
    """The per-input explanations, inputs with the same one reported together."""
    groups: dict[tuple[str, Any], list[int]] = {}
    for j, key in found.items():
        kind, detail = key  # which input or which sigmoid does not split a group
        groups.setdefault((kind, detail if kind in ("factor", "product") else None),
                          []).append(j)
    out = []
    for (kind, detail), js in groups.items():
        who = tuple(names[j] for j in js)
        entries = ("every disagreeing entry" if len(js) == len(bad)
                   else f"∂/∂{listing(who, 4)}")
        if kind == "factor":
            out.append(Diagnosis("factor", f"{w.hand} = {detail} × {w.reference} for {entries}: "
                                 f"{_factor_text(detail)}?", who, float(detail)))
        elif kind == "partner":
            out += _partners(names, {j: found[j][1] for j in js}, w)
        else:
            out.append(_shape(kind, detail, who, entries, w))
    return out


def _shape(kind: str, detail: Any, who: tuple[str, ...], entries: str, w: Words) -> Diagnosis:
    """The diagnosis of a σ, tanh, function-value or product-rule explanation."""
    if kind == "sigmoid":
        return Diagnosis("sigma_for_sigma_prime", f"{w.hand} / {w.reference} = 1/(1 − σ) for "
                         f"{entries} at every disagreeing point, σ being the value of a sigmoid "
                         "in the graph: σ written for σ′ = σ(1 − σ)?", who)
    if kind == "tanh":
        return Diagnosis("tanh_for_tanh_prime", f"{w.hand} / {w.reference} = t/(1 − t²) for "
                         f"{entries} at every disagreeing point, t being the value of a tanh in "
                         "the graph: tanh written for tanh′ = 1 − tanh²?", who)
    if kind == "value":
        return Diagnosis("function_value", f"{w.hand} ∂/∂{listing(who, 3)} equals {w.function}'s "
                         "own value at every disagreeing point: the rule of exp (f′ = f) used "
                         "for another function?", who)
    missing = "x·g′(x)" if detail == "g" else "g(x)"
    return Diagnosis("product_rule", f"{w.reference} − {w.hand} = {missing} for {entries}, "
                     f"taking {w.function} = x·g(x): the product rule (x·g)′ = g + x·g′ without "
                     f"the term {missing}?", who)


def _partners(names: Sequence[str], partner: Mapping[int, int], w: Words) -> list[Diagnosis]:
    """Swapped pairs (each the other's partner), and the rest as one shift."""
    out, shifted = [], []
    for j, k in partner.items():
        if partner.get(k) == j:
            if j < k:
                out.append(Diagnosis("swap", f"{w.hand} ∂/∂{names[j]} and ∂/∂{names[k]} are "
                                     "swapped", (names[j], names[k])))
        else:
            shifted.append(j)
    if shifted:
        pairs = [f"{w.hand} {names[j]} = {w.reference} {names[partner[j]]}" for j in shifted]
        out.append(Diagnosis("shift", f"{w.hand} values belong to other entries "
                             f"({listing(pairs, 4)}): an index off by one or a mix-up?",
                             tuple(names[j] for j in shifted)))
    return out


GRADIENT = Words()
"""The words of a gradient check: hand against autodiff, of f."""


def diagnose(names: Sequence[str], cases: Sequence[Case], w: Words = GRADIENT) -> list[Diagnosis]:
    """The recognisable shapes of the disagreement (possibly none).

    Args:
        names: The inputs' (or parameters') names.
        cases: Every checked point, passing ones included (the one-sign test needs them),
            the reported point first.
        w: The report's words and closeness.
    """
    failing = [k for k in cases if not all(k.ok)]
    bad = [j for j in range(len(names)) if any(not k.ok[j] for k in failing)]
    found = {j: key for j in bad
             if (key := _explain(j, len(names), failing, w)) is not None}
    out = _per_input(names, found, bad, w)
    out += _row_factor(names, [j for j in bad if j not in found], failing, w)
    out += _confined(names, bad)
    out += _one_sign(names, cases)
    return out


def _row_factor(names: Sequence[str], unexplained: Sequence[int], failing: Sequence[Case],
                w: Words) -> list[Diagnosis]:
    """Rows of dotted names (``alpha.2``) in which hand / reference is one number per row."""
    rows: dict[str, list[int]] = {}
    for j in unexplained:
        if "." in names[j]:
            rows.setdefault(names[j].rsplit(".", 1)[0], []).append(j)
    if len(rows) < 2 or not _holds(_holds(_same_ratio(k, js, w) for js in rows.values())
                                   for k in failing[:CASES]):
        return []
    return [Diagnosis("row_factor", f"within each row ({listing([r + '.*' for r in rows], 4)}) "
                      f"{w.hand} / {w.reference} is one number, a different one per row: the "
                      "factor a row shares is wrong, not the one per column",
                      tuple(names[j] for j in unexplained))]


def _same_ratio(case: Case, js: list[int], w: Words) -> bool | None:
    """Whether hand / reference is one number over ``js`` (None if fewer than 2 can tell)."""
    ratios = [case.hand[j] / case.reference[j] for j in js if abs(case.reference[j]) > w.tiny]
    return None if len(ratios) < 2 else all(_match(r, ratios[0], w) for r in ratios)


def _confined(names: Sequence[str], bad: Sequence[int]) -> list[Diagnosis]:
    """Disagreement in some groups of dotted names (``alpha.*``) while others all agree."""
    groups = {n.split(".")[0] for n in names if "." in n}
    bad_groups = sorted({names[j].split(".")[0] for j in bad})
    if not set(bad_groups) < groups:
        return []
    agree = sorted(groups - set(bad_groups))
    star = {g: ".*" if any(n != g for n in names if n.split(".")[0] == g) else "" for g in groups}
    return [Diagnosis("confined", f"only {listing([g + star[g] for g in bad_groups], 6)} "
                      f"disagree; every {listing([g + star[g] for g in agree], 6)} agrees",
                      tuple(names[j] for j in bad))]


def _one_sign(names: Sequence[str], cases: Sequence[Case]) -> list[Diagnosis]:
    """Inputs for which every disagreement has one sign while the other sign always agrees."""
    found = []
    for j, name in enumerate(names):
        counts = {(s, fails): 0 for s in ("<", ">") for fails in (True, False)}
        for k in cases:
            if j < len(k.point) and k.point[j] != 0.0:  # entry j is point[j]'s derivative
                counts["<" if k.point[j] < 0.0 else ">", not all(k.ok)] += 1
        for bad, good in (("<", ">"), (">", "<")):
            if counts[bad, True] >= 2 and counts[good, False] >= 2 and not counts[good, True]:
                found.append(Diagnosis(
                    "one_sign", f"disagreement only where {name} {bad} 0 ({counts[bad, True]} "
                    f"points), never where {name} {good} 0 ({counts[good, False]} points): a "
                    f"case missing for {name} {bad} 0, as in abs or relu?", (name,)))
    return found
