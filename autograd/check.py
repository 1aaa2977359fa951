"""Gradient checking: autodiff against central finite differences.

Use it to trust a new op, a new model, or a gradient derived by hand.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autograd.errors import EngineError
from autograd.graph import gradients
from autograd.transaction import restoring_grads
from autograd.value import Value


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when some gradient disagrees; lists every mismatch."""


class GradComparison(NamedTuple):
    """One input's analytic (autodiff) and numeric gradient, and how far apart they are."""

    name: str
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    ok: bool


class GradcheckReport(list[GradComparison]):
    """The rows :func:`gradcheck` returns: a list of :class:`GradComparison`, one per input.

    It prints as an aligned table and shows as an HTML table in a notebook; ``repr`` is one
    line.
    """

    def __repr__(self) -> str:
        worst = max((r.rel_err for r in self), default=0.0)
        verdict = "all ok" if all(r.ok for r in self) else "MISMATCH"
        return f"<GradcheckReport: {len(self)} inputs, {verdict}, largest rel err {worst:.2g}>"

    def __str__(self) -> str:
        width = max([5, *(len(r.name) for r in self)])
        lines = [f"{'input':<{width}}  {'analytic':>22}  {'numeric':>22}  {'rel err':>8}  ok"]
        lines += [f"{r.name:<{width}}  {r.analytic:>22.15g}  {r.numeric:>22.15g}  "
                  f"{r.rel_err:>8.1e}  {'yes' if r.ok else 'NO'}" for r in self]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{r.analytic:.15g}</td>"
            f"<td>{r.numeric:.15g}</td><td>{r.rel_err:.1e}</td>"
            f"<td>{'✓' if r.ok else '✗'}</td></tr>" for r in self)
        return ("<table><thead><tr><th>input</th><th>analytic (autodiff)</th>"
                "<th>numeric (central differences)</th><th>rel err</th><th>ok</th></tr>"
                f"</thead><tbody>{cells}</tbody></table>")


def _leaves(inputs: Sequence[Any]) -> list[Value]:
    return [Value(x.data if isinstance(x, Value) else x,
                  label=x.label if isinstance(x, Value) else "") for x in inputs]


def scalar_output(f: Callable[..., Any], args: Sequence[Any], who: str = "f") -> Value:
    """``f(*args)``, which must be a Value (else a TypeError naming ``who``)."""
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"{who} must return a Value, got {type(out).__name__} (build it "
                        "with Value operations)")
    return out


def step(x: float, eps: float) -> float:
    """The central-difference step at x: ``eps * max(1, |x|)``, scaled to the input, so
    that it is neither lost in rounding for large x nor too coarse for small x."""
    return eps * max(1.0, abs(x))


def closeness(a: float, b: float, rtol: float, atol: float) -> tuple[float, float, bool]:
    """``|a - b|``, that over ``max(|a|, |b|)`` (0 if both are 0), and whether a and b agree:
    both finite and ``|a - b| <= atol + rtol * max(|a|, |b|)``."""
    err = abs(a - b)
    scale = max(abs(a), abs(b))
    ok = math.isfinite(a) and math.isfinite(b) and err <= atol + rtol * scale
    return err, err / scale if scale else 0.0, ok


def numerical_grad(f: Callable[..., Value], inputs: Sequence[Any],
                   eps: float = 1e-6) -> list[float]:
    """∂f/∂x_j for each input by central differences, (f(x + h) - f(x - h)) / 2h.

    The step is scaled to the input, ``h = eps * max(1, |x_j|)``, so that it is
    neither lost in rounding for large x nor too coarse for small x. ``f`` runs
    with the graph recorded, so it may itself call ``backward()`` (e.g. to check
    second derivatives through differences of first ones).

    Args:
        f: Maps Values to a scalar Value.
        inputs: The point (floats or Values; only their data is used).
        eps: Relative step (> 0).

    Raises:
        ValueError: ``eps`` is not positive, or f leaves its domain at a probe point (an
            :class:`~autograd.errors.EngineError`; the message names the input, the probe
            and the engine's error, which is its ``__cause__``). Any other exception from f
            propagates as it is.
    """
    if not eps > 0.0:
        raise ValueError(f"numerical_grad: eps must be positive, got {eps!r}")
    point = [leaf.data for leaf in _leaves(inputs)]
    grads = []
    for j, x in enumerate(point):
        h = step(x, eps)
        ends = []
        for probe in (x + h, x - h):
            try:
                ends.append(scalar_output(f, _leaves([*point[:j], probe, *point[j + 1:]])).data)
            except EngineError as err:
                raise ValueError(f"numerical_grad: f fails at the probe x_{j} = {probe!r} "
                                 f"(x_{j} = {x!r} ± step {h:.3g}): {err}. Move the point away "
                                 "from the edge of f's domain or use a smaller eps") from err
        grads.append((ends[0] - ends[1]) / (2.0 * h))
    return grads


def gradcheck(f: Callable[..., Value], inputs: Sequence[Any], *, eps: float = 1e-6,
              rtol: float = 1e-6, atol: float = 1e-8) -> GradcheckReport:
    """Compare ``backward()`` with :func:`numerical_grad` for every input.

    An input passes when ``|analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)``.
    The defaults catch any wrong sign or missing factor (of a gradient larger than ~1e-8);
    they assume f is smooth near the point (not at a relu/abs kink) and of moderate size
    (a large constant term, as in ``x + 1e10``, drowns the differences in rounding).
    A non-finite gradient never passes.

    Args:
        f: Maps Values to a scalar Value; called on fresh leaves, and the grads of any
            Values it closes over are restored afterwards.
        inputs: The point: floats or Values (Value labels name the rows).
        eps: Relative finite-difference step.
        rtol: Relative tolerance (>= 0).
        atol: Absolute tolerance (>= 0).

    Returns:
        One :class:`GradComparison` per input, in order, as a :class:`GradcheckReport`.

    Raises:
        GradcheckError: Some input's gradients disagree; the message lists each.
    """
    if not (rtol >= 0.0 and atol >= 0.0):
        raise ValueError(f"gradcheck: rtol and atol must be >= 0, got rtol={rtol!r}, "
                         f"atol={atol!r}")
    leaves = _leaves(inputs)
    # f may call backward() itself (to check a second derivative), changing the grads of the
    # Values it closes over (a model's parameters): whatever any pass commits while f runs
    # is put back, from before f's first call. The analytic gradients come from a pass that
    # touches no grad.
    with restoring_grads():
        out = scalar_output(f, leaves)
        table = gradients(out)
        analytic = [float(table.get(leaf, 0.0)) for leaf in leaves]
        numeric = numerical_grad(f, inputs, eps)
    rows = []
    for j, (leaf, ana, num) in enumerate(zip(leaves, analytic, numeric, strict=True)):
        err, rel, ok = closeness(ana, num, rtol, atol)
        rows.append(GradComparison(leaf.label or f"input {j}", ana, num, err, rel, ok))
    bad = [r for r in rows if not r.ok]
    if bad:
        lines = "\n".join(f"  {r.name}: analytic {r.analytic:.12g}, numeric {r.numeric:.12g}, "
                          f"abs err {r.abs_err:.3g}, rel err {r.rel_err:.3g}" for r in bad)
        raise GradcheckError(f"gradcheck: {len(bad)} of {len(rows)} gradients disagree "
                             f"(rtol={rtol}, atol={atol}):\n{lines}")
    return GradcheckReport(rows)
