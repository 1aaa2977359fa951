"""Checking an op's rule: :func:`assert_op` compares its partials with central differences.

An op, a built-in of :data:`autograd.OPS` or one declared with :func:`autograd.op`, states
its derivatives as a rule, ``partials(xs, out)``. The check searches a domain (hypothesis's
search and shrinking, as :func:`~autograd.testing.assert_gradient`) for a point where the
rule disagrees with central differences of the op's forward; and, when the rule also works
on Values (so that ``backward(create_graph=True)`` can differentiate it again), for a point
where the rule's own backward pass disagrees with central differences of the rule: the
second order. Points outside the op's domain (its check, or the forward, raised an engine
error), too near its edge for central differences, or on a kink (relu at 0, where the two
one-sided slopes differ and the rule gives one of them) are skipped and counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, NoReturn

from autograd.check import closeness, numerical_grad, step
from autograd.errors import EngineError
from autograd.graph import gradients
from autograd.mode import enable_grad
from autograd.ops import Op
from autograd.testing.api import DEADLINE, central
from autograd.testing.arguments import Point, arg_names, check_settings, intervals
from autograd.testing.diagnosis import Case, Words, diagnose
from autograd.testing.report import PartialRow, op_mismatch, skip_note
from autograd.testing.search import Run, Skipped, find_failing
from autograd.value import Value

KINK = 1e-4
"""At a kink, the rule must match one one-sided slope to this relative closeness."""

SETTLED = 1e-5
"""Central differences with steps h and h/2 this close (relatively) settle the slope."""

_WORDS = Words("rule", "central differences", "the op", same=1e-5)


class OpChecked(NamedTuple):
    """What a passing :func:`assert_op` covered.

    Attributes:
        checked: Points compared.
        skipped: Points outside the domain, too near its edge, or on a kink.
        second_order: Whether the rule's own derivatives were checked too (its partials
            work on Values).
    """

    checked: int
    skipped: int
    second_order: bool


def _moved(xs: Point, k: int, x: float) -> Point:
    """The point with its coordinate k replaced by x."""
    return (*xs[:k], x, *xs[k + 1:])


class _Numbers:
    """The float functions of one op a check needs, and the comparison of one slope."""

    def __init__(self, op: Op, names: tuple[str, ...], rtol: float, atol: float,
                 eps: float) -> None:
        self.op, self.names, self.rtol, self.atol, self.eps = op, names, rtol, atol, eps

    def forward(self, xs: Point) -> float:
        """The op's value (its check and forward: engine errors outside the domain)."""
        return float(self.op(*xs).data)

    def rule(self, xs: Point) -> Sequence[Any]:
        """The partials on floats, at xs."""
        return self.op.partials(xs, self.forward(xs))

    def partial(self, j: int) -> Callable[[Point], float]:
        """The rule's ∂f/∂x_j as a float function of the point."""
        return lambda xs: float(self.rule(xs)[j])

    def slope(self, fn: Callable[[Point], float], xs: Point, k: int, claimed: float,
              value: float) -> tuple[float, bool] | Skipped:
        """∂fn/∂x_k by central differences, and whether ``claimed`` agrees with it.

        Two steps, h and h/2, combined so that their h² errors cancel (Richardson's
        extrapolation, (4 D(h/2) - D(h)) / 3): accurate even near a singularity, as √x at
        x = 1e-4. Where ``claimed`` disagrees, the point is skipped if central differences
        cannot tell there: at a kink (the one-sided slopes differ and ``claimed`` is one of
        them), where the two steps do not settle (a kink or a jump within the step), or
        where a probe leaves the domain.
        """
        def along(v: Value) -> Value:
            return Value(fn(_moved(xs, k, v.data)))

        try:
            coarse, fine = (numerical_grad(along, [xs[k]], e)[0] for e in (self.eps, self.eps / 2))
        except ValueError as err:
            if not isinstance(err.__cause__, EngineError):
                raise
            return Skipped(f"too near the domain's edge for central differences "
                           f"({err.__cause__})")
        numeric = (4.0 * fine - coarse) / 3.0
        if closeness(claimed, numeric, self.rtol, self.atol)[2]:
            return numeric, True
        if self._kink(fn, xs, k, claimed, value):
            return Skipped(f"a kink at {self.names[k]} = {xs[k]!r} (the one-sided slopes "
                           "differ and the rule gives one of them)")
        if not closeness(coarse, fine, SETTLED, self.atol)[2]:
            return Skipped(f"central differences do not settle at {self.names[k]} = "
                           f"{xs[k]!r} ({coarse!r} with the step h, {fine!r} with h/2)")
        return numeric, False

    def _kink(self, fn: Callable[[Point], float], xs: Point, k: int, claimed: float,
              value: float) -> bool:
        h = step(xs[k], self.eps)
        try:
            up, down = (fn(_moved(xs, k, xs[k] + s)) for s in (h, -h))
        except EngineError:
            return False
        right, left = (up - value) / h, (value - down) / h
        return (not closeness(right, left, self.rtol, self.atol)[2]
                and any(closeness(claimed, side, KINK, self.atol)[2] for side in (right, left)))


class _OpCheck:
    """Evaluates one point: the rule against the numbers, first and second order."""

    def __init__(self, numbers: _Numbers) -> None:
        self.n = numbers
        self.active: tuple[int, ...] | None = None  # the operands that get a gradient
        self.second: bool | None = None  # whether the partials work on Values

    def __call__(self, xs: Point) -> Case | Skipped:
        if not all(map(math.isfinite, xs)):  # a probe past the largest float
            return Skipped(f"the point {xs} is not finite")
        try:
            return self._compare(xs)
        except EngineError as err:  # outside the domain of the op or of its partials
            return Skipped(str(err))

    def _compare(self, xs: Point) -> Case | Skipped:
        leaves = [Value(x) for x in xs]
        with enable_grad():  # the second order needs the graph, even inside no_grad()
            out = self.n.op(*leaves)
        rule: Sequence[Any] = self.n.op.partials(xs, out.data)
        active = self._active(rule)
        on_values = self._on_values(leaves, out)
        claimed, numeric, ok = [], [], []
        for j in active:
            got = self.n.slope(self.n.forward, xs, j, float(rule[j]), out.data)
            if isinstance(got, Skipped):
                return got
            claimed.append(float(rule[j]))
            numeric.append(got[0])
            ok.append(got[1])
        second = self._second(xs, leaves, on_values, active)
        if isinstance(second, Skipped):
            return second
        slopes = second[3] or self._slopes(xs, active, all(ok))
        return Case(tuple(xs[j] for j in active), (*claimed, *second[0]),
                    (*numeric, *second[1]), (*ok, *second[2]), out.data, slopes=slopes)

    def _active(self, rule: Sequence[Any]) -> tuple[int, ...]:
        """The operands whose partial is not None: the same at every point."""
        active = tuple(j for j, d in enumerate(rule) if d is not None)
        if self.active is None:
            if len(rule) != self.n.op.arity:
                raise ValueError(f"{self.n.op.name}: partials returned {len(rule)} value(s) "
                                 f"for {self.n.op.arity} operand(s)")
            self.active = active
        elif active != self.active:
            raise ValueError(f"{self.n.op.name}: partials gave None (no gradient) for "
                             "different operands at different points")
        return active

    def _on_values(self, leaves: list[Value], out: Value) -> Sequence[Any] | None:
        """The partials on Values (their graph), or None if they cannot take Values."""
        if self.second is False:
            return None
        try:
            with enable_grad():
                ds = self.n.op.partials(leaves, out)
        except (TypeError, AttributeError):
            if self.second:  # worked at an earlier point: a real error here
                raise
            self.second = False
            return None
        self.second = True
        return ds

    def _second(self, xs: Point, leaves: list[Value], ds: Sequence[Any] | None,
                active: tuple[int, ...]) -> tuple[list[float], list[float], list[bool],
                                                  tuple[float, ...]] | Skipped:
        """Each rule's backward pass against central differences of the rule, per operand."""
        claimed: list[float] = []
        numeric: list[float] = []
        ok: list[bool] = []
        if ds is None:
            return claimed, numeric, ok, ()
        diagonal = []
        for j in active:
            table = gradients(ds[j]) if isinstance(ds[j], Value) else {}
            partial = self.n.partial(j)
            value = partial(xs)
            for k in active:
                d = float(table.get(leaves[k], 0.0))
                got = self.n.slope(partial, xs, k, d, value)
                if isinstance(got, Skipped):
                    return got
                claimed.append(d)
                numeric.append(got[0])
                ok.append(got[1])
                if j == k:
                    diagonal.append(got[0])
        return claimed, numeric, ok, tuple(diagonal)

    def _slopes(self, xs: Point, active: tuple[int, ...], passed: bool) -> tuple[float, ...]:
        """∂rule_j/∂x_j by central differences (nan at the domain's edge), for the diagnosis
        of a failing point."""
        if passed:
            return ()

        def along(j: int) -> Callable[[Value], Value]:
            partial = self.n.partial(j)
            return lambda v: Value(partial(_moved(xs, j, v.data)))

        where = _describe(self.n.names)(xs)
        return tuple(central(along(j), [xs[j]], where)[0] for j in active)


def assert_op(
    op: Op,
    domain: Sequence[Any],
    *,
    examples: int = 200,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    eps: float = 1e-6,
    seed: int = 0,
    deadline: float | None = DEADLINE,
) -> OpChecked:
    """Check an op's partials against central differences of its forward, over a domain.

    At each point, every partial that is not None must agree with the central difference
    of the forward in that operand: ``|rule - numeric| <= atol + rtol * max(|rule|,
    |numeric|)``. When the partials also work on Values, their backward pass (what
    ``backward(create_graph=True)`` and :func:`~autograd.hessian` use) must agree likewise
    with central differences of the partials: the second order. The points are searched as
    :func:`~autograd.testing.assert_gradient` searches a domain (hypothesis's search and
    shrinking when it is installed, seeded draws otherwise).

    Args:
        op: The op: ``autograd.OPS["tanh"]``, or one declared with :func:`autograd.op`.
        domain: One ``(lo, hi)`` interval per operand (or one pair, for one operand).
        examples: How many points to try (>= 1).
        rtol: Relative tolerance (>= 0); central differences are good to about 1e-8.
        atol: Absolute tolerance (>= 0).
        eps: Relative step of the central differences (> 0).
        seed: Seed of the search, as in assert_gradient.
        deadline: Seconds (> 0), or None: checked after each point, as in assert_gradient.

    Returns:
        Points compared and skipped, and whether the second order was checked.

    Raises:
        OpMismatch: At some point the rule disagrees (the report names the partial, and the
            shape of the mistake when it is recognised).
        TypeError: ``op`` is not an :class:`~autograd.Op`, or the domain's size differs
            from its arity.
        ValueError: Bad domain, tolerances, eps, examples or deadline; partials of the
            wrong length; or every point skipped.
        TimeoutError: The deadline passed.
        Exception: Whatever the op's functions raised that is not an engine error, with a
            note naming the point.
    """
    __tracebackhide__ = True  # as in assert_gradient
    if not isinstance(op, Op):
        raise TypeError(f"assert_op needs an op (autograd.op, autograd.OPS), got "
                        f"{type(op).__name__}")
    check_settings(rtol, atol, deadline, examples)
    if not eps > 0.0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    spans = intervals(domain)
    if len(spans) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} operand(s), but the domain has "
                        f"{len(spans)} interval(s)")
    names = arg_names((("forward", op.forward),), op.arity, "")
    check = _OpCheck(_Numbers(op, names, rtol, atol, eps))
    where = _describe(names)
    run = Run(check, where, "assert_op", deadline)
    found = find_failing(run, None, spans, examples, seed)
    if not run.outcomes:
        raise run.nothing_compared("point(s) tried", "give a domain inside the op's")
    if found is None:
        return OpChecked(len(run.outcomes), len(run.skipped), bool(check.second))
    return _report(op, run, found, names, check, rtol, atol)


def _describe(names: tuple[str, ...]) -> Callable[[Point], str]:
    return lambda p: ", ".join(f"{n} = {x!r}" for n, x in zip(names, p, strict=True))


def _report(op: Op, run: Run[Point], found: Point, names: tuple[str, ...], check: _OpCheck,
            rtol: float, atol: float) -> NoReturn:
    """Raise the report of the failure at ``found``."""
    active = check.active or ()
    entries = [names[j] for j in active]
    if check.second:
        entries += [f"∂{names[j]}∂{names[k]}" for j in active for k in active]
    case = run.outcomes[found]
    rows = [PartialRow(name, c, r, closeness(c, r, 0.0, 0.0)[1], good) for name, c, r, good
            in zip(entries, case.hand, case.reference, case.ok, strict=True)]
    cases = sorted(run.outcomes.values(), key=lambda c: c is not case)
    failing = sum(not all(c.ok) for c in cases)
    skips = skip_note(len(run.skipped), "outside the domain, at its edge or on a kink")
    second = " (second derivatives included)" if check.second else ""
    head = (f"{op.name}: the partials disagree with central differences{second} at "
            f"{_describe(names)(found)}\n  {failing} of {len(cases)} points checked "
            f"disagree{skips}; rtol={rtol}, atol={atol}")
    raise op_mismatch(head, op, found, rows, diagnose(entries, cases, _WORDS._replace(tiny=atol)))
