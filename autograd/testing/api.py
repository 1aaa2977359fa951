"""The checks of a hand derivation: :func:`assert_gradient` and :func:`assert_parameter_gradients`.

Both compare your formula (on floats) with the backward pass of the same function written
with Values, point by point or example by example, through a :class:`~.search.Run`: a
point where the engine raised one of its own errors (:class:`~autograd.errors.EngineError`:
log of 0, division by zero, overflow) is outside the function's domain and skipped; any
other exception, from ``f``, ``grad_f``, the loss or ``grads``, is a bug and propagates, with
the point in a note. A mismatch raises :class:`~.report.GradientMismatch` with the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from autograd.check import closeness, numerical_grad, scalar_output
from autograd.errors import EngineError
from autograd.graph import gradients
from autograd.mode import enable_grad
from autograd.testing.arguments import (
    Point,
    arg_names,
    check_settings,
    data_pairs,
    given_points,
    hand_mapping,
    hand_values,
    intervals,
    named_parameters,
)
from autograd.testing.diagnosis import Case, activations, diagnose
from autograd.testing.report import gradient_mismatch, gradient_rows, skip_note
from autograd.testing.search import Run, Skipped, find_failing
from autograd.value import Value

DEADLINE = 60.0
"""Seconds a check may run by default (a search of the default size takes well under 1 s)."""


class Checked(NamedTuple):
    """What a passing check covered: points (or examples) compared, and skipped ones."""

    checked: int
    skipped: int


def agree(hand: Sequence[float], reference: Sequence[float], rtol: float,
          atol: float) -> tuple[bool, ...]:
    """Per entry, whether the two sides are finite and within the tolerances."""
    return tuple(closeness(h, r, rtol, atol)[2] for h, r in zip(hand, reference, strict=True))


def _autodiff(out: Value, wrt: Sequence[Value]) -> tuple[tuple[float, ...], dict[Any, Any]]:
    """∂out/∂w for each w in ``wrt`` (0 where out does not depend on w), changing no grad;
    and the gradient table, whose keys are every node of the graph."""
    table = gradients(out)
    return tuple(float(table.get(w, 0.0)) for w in wrt), table


def central(f: Callable[..., Value], point: Sequence[float], where: str) -> list[float]:
    """Central differences of f at point; nan where a probe leaves f's domain."""
    try:
        return numerical_grad(f, point)
    except Exception as err:
        if isinstance(err, ValueError) and isinstance(err.__cause__, EngineError):
            return [math.nan] * len(point)
        err.add_note(f"raised at a central-difference probe near {where}")
        raise


def _where(names: Sequence[str], point: Point) -> str:
    return ", ".join(f"{name} = {x!r}" for name, x in zip(names, point, strict=True))


def assert_gradient(
    f: Callable[..., Value],
    grad_f: Callable[..., Any],
    *,
    points: Iterable[Any] | None = None,
    domain: Sequence[Any] | None = None,
    examples: int = 200,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    seed: int = 0,
    deadline: float | None = DEADLINE,
) -> Checked:
    """Check a hand-derived gradient ``grad_f`` of ``f`` against autodiff.

    Hand and autodiff agree at a point when, for every input,
    ``|hand - autodiff| <= atol + rtol * max(|hand|, |autodiff|)``: the defaults are tight
    because both sides are exact formulas (only rounding separates them).

    With ``points``, every point is checked. With ``domain``, the points are searched: by
    hypothesis when it is installed (``examples`` tries, seeded by ``seed``; a failure is
    shrunk to a simple point; no file is left in the working directory), otherwise by
    ``examples`` seeded draws that include simple numbers, values near each interval's ends
    and near 0, of both signs where the interval allows. Either way the report is at the
    simplest failing point found. Do not call it with ``domain`` inside your own ``@given``
    test: draw with :func:`~autograd.testing.points` there and pass ``points=[point]``.

    Args:
        f: A function of n Values returning a scalar Value (written with Value operations).
        grad_f: Your derivation: a function of the same n floats returning n floats
            (for n = 1 a single float will do).
        points: Points to check: sequences of n numbers (or numbers, for n = 1).
        domain: One ``(lo, hi)`` interval per argument (or one pair, for n = 1).
        examples: How many points to try in a domain search (>= 1).
        rtol: Relative tolerance (>= 0).
        atol: Absolute tolerance (>= 0).
        seed: Seed of the search: the same seed checks the same points in the same program
            (hypothesis also draws numbers found in the loaded modules, so another program
            may try a few other points).
        deadline: Seconds (> 0), or None for no limit: checked after each point, the check
            stops with a TimeoutError naming the point once they have passed.

    Returns:
        How many points were compared and how many skipped (the engine raised a domain
        error in f there: :class:`~autograd.errors.EngineError`).

    Raises:
        GradientMismatch: At some point grad_f and autodiff disagree (the message is the
            report: hand, autodiff, central differences, relative error, diagnosis).
        ValueError: Neither or both of points and domain, bad intervals, tolerances,
            examples or deadline, grad_f returning the wrong number of values, or every
            point outside f's domain.
        TypeError: f or grad_f cannot take n arguments, f does not return a Value, or
            grad_f returns something other than real numbers.
        TimeoutError: The deadline passed.
        Exception: Whatever f or grad_f raised that is not an engine error, with a note
            naming the point.
    """
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this body
    if (points is None) == (domain is None):
        raise ValueError("assert_gradient needs exactly one of points= and domain=")
    check_settings(rtol, atol, deadline, examples)
    given = given_points(points) if points is not None else None
    spans = intervals(domain) if domain is not None else []
    n = len(given[0]) if given is not None else len(spans)
    source = (f"each point has {n} coordinate(s)" if given is not None
              else f"the domain has {n} interval(s)")
    names = arg_names((("f", f), ("grad_f", grad_f)), n, source)

    def evaluate(point: Point) -> Case | Skipped:
        leaves = [Value(x, label=name) for x, name in zip(point, names, strict=True)]
        try:
            with enable_grad():  # an explicit request: an outer no_grad() changes nothing
                out = scalar_output(f, leaves)
            auto, table = _autodiff(out, leaves)
        except EngineError as err:
            return Skipped(str(err))
        hand = hand_values(grad_f(*point), names)  # only where f is defined
        return Case(point, hand, auto, agree(hand, auto, rtol, atol), out.data,
                    *activations(table))

    run = Run(evaluate, lambda p: _where(names, p), "assert_gradient", deadline)
    found = find_failing(run, given, spans, examples, seed)
    if not run.outcomes:
        raise run.nothing_compared("point(s) tried", "give points or a domain inside f's "
                                   "domain")
    if found is None:
        return Checked(len(run.outcomes), len(run.skipped))
    case = run.outcomes[found]
    rows = gradient_rows(names, case.hand, case.reference,
                         central(f, found, _where(names, found)), case.ok)
    cases = sorted(run.outcomes.values(), key=lambda c: c is not case)  # reported first
    failing = sum(not all(c.ok) for c in cases)
    skips = skip_note(len(run.skipped), "outside f's domain")
    head = (f"hand-derived gradient disagrees with autodiff at {_where(names, found)}\n"
            f"  {failing} of {len(cases)} points checked disagree{skips}; rtol={rtol}, "
            f"atol={atol}")
    raise gradient_mismatch(head, found, rows, diagnose(names, cases), "input")


def _parameter_numeric(loss: Callable[..., Value], module: Any, x: Any, y: Any,
                       param: Value, where: str) -> float:
    """∂loss/∂param by central differences on ``param.data``, restored exactly on every path."""
    original = param.data

    def at(w: Value) -> Value:
        param.data = w.data
        return scalar_output(loss, (module, x, y), "loss")

    try:
        return central(at, [original], where)[0]
    finally:
        param.data = original


def assert_parameter_gradients(
    loss: Callable[..., Value],
    grads: Callable[..., Mapping[str, Any]],
    module: Any,
    data: Any,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    deadline: float | None = DEADLINE,
) -> Checked:
    """Check a hand derivation of one example's loss with respect to a module's parameters.

    For each example, the backward pass of ``loss(module, x, y)`` gives autodiff's ∂R_i/∂θ
    for every parameter θ, which must agree with ``grads(module, x, y)[name]`` as in
    :func:`assert_gradient`. The first disagreeing example is reported, with central
    differences of the loss in each parameter (its ``.data`` moved and restored exactly).
    No ``.grad`` is touched (the gradients are read from :func:`autograd.graph.gradients`'
    table), and parameter values are left as they were, also on errors.

    Args:
        loss: ``loss(module, x, y)`` builds one example's loss, a scalar Value.
        grads: ``grads(module, x, y)`` is your derivation: a mapping from every name of
            ``module.named_parameters()`` to a number.
        module: Anything whose ``named_parameters()`` yields ``(name, Value)`` pairs, such as
            an ``nn.Module``.
        data: A sequence of ``(x, y)`` pairs, or an ``(X, Y)`` pair of arrays (rows are
            examples; numpy rows are passed on as lists).
        rtol: Relative tolerance (>= 0).
        atol: Absolute tolerance (>= 0).
        deadline: Seconds (> 0), or None: checked after each example, as in
            :func:`assert_gradient`.

    Returns:
        How many examples were compared and how many skipped (the engine raised a domain
        error in the loss).

    Raises:
        GradientMismatch: Some example disagrees (the report names the parameters).
        ValueError: grads' names differ from the parameters' (both lists are given), no
            examples or parameters, bad tolerances, or every example outside the loss's
            domain.
        TypeError: Malformed data, a module without named_parameters(), loss not returning a
            Value, or grads not returning a mapping of real numbers.
        TimeoutError: The deadline passed.
        Exception: Whatever loss or grads raised that is not an engine error (a shape
            mismatch, a bug), with a note naming the example.
    """
    __tracebackhide__ = True  # as in assert_gradient
    check_settings(rtol, atol, deadline)
    pairs = data_pairs(data)
    params = named_parameters(module)
    names = tuple(name for name, _ in params)
    values = [p for _, p in params]

    def evaluate(i: int) -> Case | Skipped:
        x, y = pairs[i]
        try:
            with enable_grad():
                out = scalar_output(loss, (module, x, y), "loss")
            auto, table = _autodiff(out, values)
        except EngineError as err:
            return Skipped(str(err))
        # Only where the loss is defined: your formula may fail where it is not, as f's may.
        hand = hand_mapping(grads(module, x, y), names)
        return Case((), hand, auto, agree(hand, auto, rtol, atol), out.data,
                    *activations(table))

    def describe(i: int) -> str:
        return f"example {i}: x = {pairs[i][0]!r}, y = {pairs[i][1]!r}"

    run = Run(evaluate, describe, "assert_parameter_gradients", deadline)
    failing = [i for i in range(len(pairs)) if run.fails(i)]
    if not run.outcomes:
        raise run.nothing_compared("examples", "give examples inside the loss's domain")
    if not failing:
        return Checked(len(run.outcomes), len(run.skipped))
    x, y = pairs[failing[0]]
    case = run.outcomes[failing[0]]
    numeric = [_parameter_numeric(loss, module, x, y, p, describe(failing[0])) for p in values]
    rows = gradient_rows(names, case.hand, case.reference, numeric, case.ok)
    skips = skip_note(len(run.skipped), "outside the loss's domain")
    head = (f"hand-derived parameter gradients disagree with autodiff on {describe(failing[0])}"
            f"\n  {len(failing)} of {len(run.outcomes)} examples disagree{skips}; "
            f"rtol={rtol}, atol={atol}")
    cases = [run.outcomes[i] for i in failing]
    raise gradient_mismatch(head, (x, y), rows, diagnose(names, cases), "parameter")
