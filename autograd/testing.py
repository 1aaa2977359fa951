"""Checking a gradient derived by hand: compare *your* formula with autodiff, and name the mistake.

:func:`~autograd.check.gradcheck` compares autodiff with finite differences; this module
compares a hand derivation with autodiff, the way a test would:

* :func:`assert_gradient` checks ``grad_f`` (your ∂f/∂x_j, on floats) against the backward
  pass of ``f`` (the same function written with Values) at given points, or searches a domain
  for a point where they disagree (with hypothesis when it is installed, so the failure
  shrinks to a simple point; otherwise with seeded draws, reporting the simplest failure);
* :func:`assert_parameter_gradients` checks a hand derivation of one example's loss with
  respect to every parameter of a module (anything with ``named_parameters()``) over a
  data set, e.g. the lecture's δ/s equations for ``nn.TwoLayerNet``.

A mismatch raises :class:`GradientMismatch`, an ``AssertionError`` whose report lists, at the
failing point, each input's hand-derived, autodiff and central-difference values (the third
opinion shows which side is wrong) and a diagnosis when the error has a recognisable shape:
a constant factor, values belonging to other inputs (swapped or shifted indices), a mismatch
on one sign of an input only (a missing abs/relu case), or a derivative equal to the
function's own value (σ written for σ′). Points where ``f`` raises a domain error (log of 0,
division by zero, overflow) are skipped and counted.

hypothesis is optional: it is imported only when a search runs or :func:`points` is called.
"""

from __future__ import annotations

import inspect
import math
import random
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from numbers import Real
from typing import TYPE_CHECKING, Any, NamedTuple

from autograd.check import numerical_grad
from autograd.graph import gradients
from autograd.value import Value

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "Checked",
    "Diagnosis",
    "GradientMismatch",
    "GradientRow",
    "assert_gradient",
    "assert_parameter_gradients",
    "points",
]

Point = tuple[float, ...]
_DOMAIN_ERRORS = (ArithmeticError, ValueError)
"""What an op raises outside its domain (ZeroDivisionError, OverflowError, ValueError)."""

_SHOWN_ROWS = 10
"""A report lists every row up to this many, otherwise only (this many) disagreeing ones."""

_SAME = 1e-6
"""Relative closeness at which two numbers count as equal when diagnosing."""

_CASES = 50
"""A diagnosis looks at this many disagreeing points at most."""

_FACTORS = [Fraction(-1)] + [c for n in range(2, 11)
                             for c in (Fraction(n), Fraction(1, n), Fraction(-n), Fraction(-1, n))]
"""Candidate wrong factors hand / autodiff: −1, and ±n and ±1/n for 2 ≤ n ≤ 10."""


class GradientRow(NamedTuple):
    """One input's three opinions at the reported point.

    Attributes:
        name: The input (``f``'s argument name) or parameter (``named_parameters()`` name).
        hand: The hand-derived value.
        autodiff: The backward pass's value.
        numeric: The central difference (nan when f fails at a probe point).
        rel_err: ``|hand - autodiff| / max(|hand|, |autodiff|)``.
        ok: Whether hand and autodiff agree within the tolerances.
    """

    name: str
    hand: float
    autodiff: float
    numeric: float
    rel_err: float
    ok: bool


class Diagnosis(NamedTuple):
    """A recognised shape of the mistake.

    Attributes:
        kind: ``"factor"``, ``"swap"``, ``"shift"``, ``"one_sign"``, ``"function_value"``
            or ``"confined"``.
        message: One sentence for the report.
        names: The inputs or parameters it concerns.
        factor: hand / autodiff for kind ``"factor"`` (e.g. 0.5 for a missing factor 2).
    """

    kind: str
    message: str
    names: tuple[str, ...]
    factor: float | None = None


class Checked(NamedTuple):
    """What a passing check covered: points (or examples) compared, and skipped ones."""

    checked: int
    skipped: int


class GradientMismatch(AssertionError):  # noqa: N818 (the name the issue asks for)
    """A hand-derived gradient disagrees with autodiff; the message is the full report.

    Attributes:
        point: The reported point (a tuple of floats), or the example ``(x, y)``.
        rows: One :class:`GradientRow` per input or parameter, in order.
        diagnosis: The recognised shapes of the mistake (possibly empty).
        wrong_side: ``"hand"`` when central differences side with autodiff, ``"autodiff"``
            when they side with the hand derivation, ``"unclear"`` otherwise.
    """

    def __init__(self, message: str, point: Any, rows: list[GradientRow],
                 diagnosis: list[Diagnosis], wrong_side: str) -> None:
        super().__init__(message)
        self.point = point
        self.rows = rows
        self.diagnosis = diagnosis
        self.wrong_side = wrong_side


_Case = tuple[Sequence[float], Sequence[float], float]
"""One disagreeing point for diagnosis: hand values, autodiff values, f's value there."""


class _Outcome(NamedTuple):
    """One point's comparison (before central differences, which only the report needs)."""

    point: Point
    hand: tuple[float, ...]
    autodiff: tuple[float, ...]
    value: float
    ok: tuple[bool, ...]


def _is_real(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _agree(hand: Sequence[float], auto: Sequence[float], rtol: float,
           atol: float) -> tuple[bool, ...]:
    """Per entry, whether hand and autodiff are finite and within the tolerances."""
    return tuple(math.isfinite(h) and math.isfinite(a)
                 and abs(h - a) <= atol + rtol * max(abs(h), abs(a))
                 for h, a in zip(hand, auto, strict=True))


def _autodiff(out: Value, wrt: Sequence[Value]) -> list[float]:
    """∂out/∂w for each w in ``wrt`` (0 where out does not depend on w), changing no grad."""
    table = gradients(out)
    return [float(table.get(w, 0.0)) for w in wrt]


def _number(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError saying what was expected of ``what``."""
    if isinstance(x, Value):
        raise TypeError(f"{what} is a Value; return plain numbers (use .data, or compute "
                        "the formula with math/numpy on floats)")
    if not _is_real(x):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    return float(x)


def _call_f(f: Callable[..., Any], args: Sequence[Any], who: str) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"{who} must return a Value (build it with Value operations), "
                        f"got {type(out).__name__}")
    return out


# --- arguments --------------------------------------------------------------------------


def _intervals(domain: Sequence[Any]) -> list[tuple[float, float]]:
    """One (lo, hi) per argument; a lone pair of numbers is one interval."""
    items = [domain] if len(domain) == 2 and all(map(_is_real, domain)) else list(domain)
    if not items:
        raise ValueError("domain is empty: give one (lo, hi) interval per argument")
    out = []
    for j, item in enumerate(items):
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise TypeError(f"domain[{j}] must be a (lo, hi) pair, got {item!r}")
        lo, hi = (_number(v, f"domain[{j}] bound") for v in item)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise ValueError(f"domain[{j}] must be finite with lo <= hi, got ({lo!r}, {hi!r})")
        out.append((lo, hi))
    return out


def _points(given: Iterable[Any]) -> list[Point]:
    """The given points as tuples of finite floats (a number is a one-argument point)."""
    out: list[Point] = []
    for i, p in enumerate(given):
        coords = (p,) if _is_real(p) else p
        if isinstance(coords, str) or not isinstance(coords, Iterable):
            raise TypeError(f"points[{i}] must be a number or a sequence of numbers, got {p!r}")
        point = tuple(_number(x, f"points[{i}] coordinate") for x in coords)
        if not all(map(math.isfinite, point)):
            raise ValueError(f"points[{i}] must be finite, got {point!r}")
        if out and len(point) != len(out[0]):
            raise ValueError(f"points[{i}] has {len(point)} coordinates, points[0] has "
                             f"{len(out[0])}")
        out.append(point)
    if not out or not out[0]:
        raise ValueError("points must hold at least one point with at least one coordinate")
    return out


def _arg_names(f: Callable[..., Any], grad_f: Callable[..., Any], n: int,
               source: str) -> tuple[str, ...]:
    """Check that f and grad_f take n arguments; name them after f's parameters if it can."""
    names: tuple[str, ...] = ("x",) if n == 1 else tuple(f"x{j}" for j in range(n))
    for fn, who in ((f, "f"), (grad_f, "grad_f")):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # no signature to read (some builtins)
            continue
        try:
            sig.bind(*range(n))
        except TypeError:
            raise TypeError(f"{who}{sig} cannot take {n} argument(s), but {source}") from None
        params = list(sig.parameters.values())
        if who == "f" and len(params) == n and all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            names = tuple(p.name for p in params)
    return names


def _check_tolerances(rtol: float, atol: float) -> None:
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (_is_real(tol) and math.isfinite(tol) and tol >= 0.0):
            raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")


# --- drawing and searching --------------------------------------------------------------


def points(domain: Sequence[Any]) -> SearchStrategy[Point]:
    """A hypothesis strategy for points of ``domain``, for your own ``@given`` tests.

    Each coordinate is a finite float of its closed interval (hypothesis favours the ends,
    0 and simple numbers, and shrinks towards them). Pass the drawn point on as
    ``assert_gradient(f, grad_f, points=[point])``.

    Args:
        domain: One ``(lo, hi)`` per argument, or a single pair for one argument.

    Raises:
        ImportError: hypothesis is not installed.
    """
    try:
        from hypothesis import strategies as st
    except ImportError as err:
        raise ImportError("autograd.testing.points needs hypothesis (pip install hypothesis)"
                          ) from err
    return st.tuples(*(st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                       for lo, hi in _intervals(domain)))


def _draw(rng: random.Random, lo: float, hi: float) -> float:
    """One coordinate: a simple number, a value near an end or near 0, or uniform."""
    kind = rng.random()
    if kind < 0.2:
        return rng.choice([v for v in (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, lo, hi)
                           if lo <= v <= hi])
    if kind < 0.4:
        step: float = (hi - lo) * 10.0 ** -rng.uniform(1.0, 8.0)
        return lo + step if rng.random() < 0.5 else hi - step
    near_zero: list[float] = [s * 10.0 ** -rng.uniform(0.0, 8.0) for s in (1.0, -1.0)]
    inside = [v for v in near_zero if lo <= v <= hi]
    if kind < 0.6 and inside:
        return rng.choice(inside)
    return rng.uniform(lo, hi)


def _draws(domain: Sequence[tuple[float, float]], count: int, seed: int) -> list[Point]:
    """``count`` points of ``domain``, the same for the same seed."""
    rng = random.Random(seed)
    return [tuple(_draw(rng, lo, hi) for lo, hi in domain) for _ in range(count)]


def _simplicity(point: Point) -> tuple[int, float]:
    """Sort key: the shortest point to write (1.0 before 0.731...), then the smallest."""
    return sum(len(repr(x)) for x in point), max(abs(x) for x in point)


def _simplest_failing(candidates: Iterable[Point], fails: Callable[[Point], bool]) -> Point | None:
    """The simplest of the candidates at which hand and autodiff disagree (each is checked)."""
    return min((p for p in candidates if fails(p)), key=_simplicity, default=None)


def _search(fails: Callable[[Point], bool], domain: Sequence[tuple[float, float]],
            draws: list[Point], examples: int, seed: int) -> Point | None:
    """The simplest failing point: hypothesis's search and shrinking, or else the draws."""
    try:
        from hypothesis import Phase, find, settings
        from hypothesis.errors import NoSuchExample
    except ImportError:
        return _simplest_failing(draws, fails)

    search = settings(database=None, max_examples=examples, derandomize=False, deadline=None,
                      phases=(Phase.generate, Phase.shrink))
    try:
        return find(points(domain), fails, settings=search, random=random.Random(seed))
    except NoSuchExample:
        return None


class _Checker:
    """Compares grad_f with autodiff point by point, remembering every outcome of one call."""

    def __init__(self, f: Callable[..., Any], grad_f: Callable[..., Any],
                 names: tuple[str, ...], rtol: float, atol: float) -> None:
        self.f, self.grad_f, self.names = f, grad_f, names
        self.rtol, self.atol = rtol, atol
        self.outcomes: dict[Point, _Outcome] = {}
        self.skipped: dict[Point, BaseException] = {}

    def run(self, point: Point) -> _Outcome | None:
        """The comparison at ``point``, or None when ``f`` raises a domain error there."""
        if point in self.outcomes or point in self.skipped:  # each point is run once
            return self.outcomes.get(point)
        leaves = [Value(x, label=name) for x, name in zip(point, self.names, strict=True)]
        try:
            out = _call_f(self.f, leaves, "f")
            auto = tuple(_autodiff(out, leaves))
        except _DOMAIN_ERRORS as err:
            self.skipped[point] = err
            return None
        hand = self._hand(self.grad_f(*point))
        ok = _agree(hand, auto, self.rtol, self.atol)
        self.outcomes[point] = _Outcome(point, hand, auto, out.data, ok)
        return self.outcomes[point]

    def fails(self, point: Point) -> bool:
        """Whether hand and autodiff disagree at ``point`` (False where f is undefined)."""
        outcome = self.run(point)
        return outcome is not None and not all(outcome.ok)

    def _hand(self, result: Any) -> tuple[float, ...]:
        n = len(self.names)
        if n == 1 and (_is_real(result) or isinstance(result, Value)):
            result = (result,)
        if isinstance(result, str) or not isinstance(result, Iterable):
            raise TypeError(f"grad_f must return {n} number(s), got {type(result).__name__}")
        values = list(result)
        if len(values) != n:
            raise ValueError(f"grad_f returned {len(values)} value(s) for {n} input(s) "
                             f"({', '.join(self.names)})")
        return tuple(_number(v, f"grad_f's value for {name}")
                     for v, name in zip(values, self.names, strict=True))


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
) -> Checked:
    """Check a hand-derived gradient ``grad_f`` of ``f`` against autodiff.

    Hand and autodiff agree at a point when, for every input,
    ``|hand - autodiff| <= atol + rtol * max(|hand|, |autodiff|)``: the defaults are tight
    because both sides are exact formulas (only rounding separates them).

    With ``points``, every point is checked. With ``domain``, the points are searched: by
    hypothesis when it is installed (``examples`` tries, seeded by ``seed``; a failure is
    shrunk to a simple point), otherwise by ``examples`` seeded draws that include simple
    numbers, values near each interval's ends and near 0, of both signs where the interval
    allows. Either way the report is at the simplest failing point found. Do not call it
    with ``domain`` inside your own ``@given`` test: draw with :func:`points` there and pass
    ``points=[point]``.

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

    Returns:
        How many points were compared and how many skipped (f raised a domain error there).

    Raises:
        GradientMismatch: At some point grad_f and autodiff disagree (the message is the
            report: hand, autodiff, central differences, relative error, diagnosis).
        ValueError: Neither or both of points and domain, bad intervals, tolerances or
            examples, grad_f returning the wrong number of values, or every point outside
            f's domain.
        TypeError: f or grad_f cannot take n arguments, f does not return a Value, or
            grad_f returns something other than real numbers.
    """
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this body
    if (points is None) == (domain is None):
        raise ValueError("assert_gradient needs exactly one of points= and domain=")
    _check_tolerances(rtol, atol)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"examples must be an int >= 1, got {examples!r}")
    given = _points(points) if points is not None else None
    intervals = _intervals(domain) if domain is not None else []
    n = len(given[0]) if given is not None else len(intervals)
    source = (f"each point has {n} coordinate(s)" if given is not None
              else f"the domain has {n} interval(s)")
    checker = _Checker(f, grad_f, _arg_names(f, grad_f, n, source), rtol, atol)
    if given is not None:
        found = _simplest_failing(given, checker.fails)
    else:
        draws = _draws(intervals, examples, seed)
        for p in draws:  # a mistake in calling f or grad_f shows here plainly, not inside
            if checker.run(p) is not None:  # hypothesis's report of a failing example
                break
        found = _search(checker.fails, intervals, draws, examples, seed)
        if found is not None:  # the draws give the report its counts and sign pattern
            for p in draws:
                checker.run(p)
    if not checker.outcomes:
        first = next(iter(checker.skipped.values()))
        raise ValueError(f"f raised a domain error at all {len(checker.skipped)} point(s) "
                         f"tried, so nothing was compared (the first: {first}); "
                         "give points or a domain inside f's domain")
    if found is None:
        return Checked(len(checker.outcomes), len(checker.skipped))
    outcome = checker.outcomes[found]
    try:
        numeric = numerical_grad(f, found)
    except ValueError:  # a probe left f's domain: no third opinion here
        numeric = [math.nan] * n
    rows = _rows(checker.names, outcome.hand, outcome.autodiff, numeric, outcome.ok)
    failing = sorted((o for o in checker.outcomes.values() if not all(o.ok)),
                     key=lambda o: o is not outcome)  # the reported point first
    diagnosis = (_diagnose(rows, [(o.hand, o.autodiff, o.value) for o in failing])
                 + _one_sign(checker.names, list(checker.outcomes.values())))
    where = ", ".join(f"{name} = {x!r}" for name, x in zip(checker.names, found, strict=True))
    head = (f"hand-derived gradient disagrees with autodiff at {where}\n"
            f"  {len(failing)} of {len(checker.outcomes)} points checked disagree"
            f"{_skip_note(len(checker.skipped))}; rtol={rtol}, atol={atol}")
    raise _mismatch(head, found, rows, diagnosis, "input")


# --- module parameters ------------------------------------------------------------------


def _plain(v: Any) -> Any:
    """numpy rows and scalars as Python lists and floats (Values need plain numbers)."""
    return v.tolist() if hasattr(v, "tolist") else v


def _data_pairs(data: Any) -> list[tuple[Any, Any]]:
    """(x, y) examples from a sequence of pairs or from an (X, Y) pair of arrays."""
    if (isinstance(data, tuple | list) and len(data) == 2
            and all(hasattr(d, "shape") and len(d.shape) >= 1 for d in data)):
        xs, ys = data
        if len(xs) != len(ys):
            raise ValueError(f"X has {len(xs)} rows but Y has {len(ys)}")
        data = zip(xs, ys, strict=True)
    pairs = []
    for i, item in enumerate(data):
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise TypeError("data must be a sequence of (x, y) pairs or an (X, Y) pair of "
                            f"arrays; item {i} is {item!r}")
        pairs.append((_plain(item[0]), _plain(item[1])))
    if not pairs:
        raise ValueError("data holds no examples")
    return pairs


def _named_parameters(module: Any) -> list[tuple[str, Value]]:
    if not callable(getattr(module, "named_parameters", None)):
        raise TypeError(f"module must have named_parameters(), got {type(module).__name__}")
    params = list(module.named_parameters())
    for name, p in params:
        if not (isinstance(name, str) and isinstance(p, Value)):
            raise TypeError(f"named_parameters() must yield (str, Value) pairs, got "
                            f"({name!r}, {type(p).__name__})")
    if not params:
        raise ValueError(f"{type(module).__name__} has no parameters to check")
    return params


def _hand_mapping(result: Any, names: Sequence[str], example: int) -> tuple[float, ...]:
    """grads' mapping as values in parameter order; missing or extra names are an error."""
    if not isinstance(result, Mapping):
        raise TypeError(f"grads must return a mapping from parameter names to numbers, got "
                        f"{type(result).__name__}")
    missing = [n for n in names if n not in result]
    extra = sorted(set(result) - set(names), key=str)
    if missing or extra:
        listed = [f"{what}: {_listing(items)}"
                  for what, items in (("missing", missing), ("unknown", extra)) if items]
        raise ValueError(f"grads' names must be those of named_parameters() (example {example}); "
                         + "; ".join(listed))
    return tuple(_number(result[n], f"grads[{n!r}]") for n in names)


def _listing(items: Sequence[Any], most: int = 8) -> str:
    shown = ", ".join(map(str, items[:most]))
    return shown + (f", … ({len(items)} in all)" if len(items) > most else "")


def _parameter_numeric(loss: Callable[..., Value], module: Any, x: Any, y: Any,
                       param: Value) -> float:
    """∂loss/∂param by central differences on ``param.data``, restored exactly on every path."""
    original = param.data

    def at(w: Value) -> Value:
        param.data = w.data
        return _call_f(loss, (module, x, y), "loss")

    try:
        return numerical_grad(at, [original])[0]
    except ValueError:
        return math.nan
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

    Returns:
        How many examples were compared and how many skipped (a domain error in the loss).

    Raises:
        GradientMismatch: Some example disagrees (the report names the parameters).
        ValueError: grads' names differ from the parameters' (both lists are given), no
            examples or parameters, bad tolerances, or every example outside the loss's domain.
        TypeError: Malformed data, a module without named_parameters(), loss not returning a
            Value, or grads not returning a mapping of real numbers.
    """
    __tracebackhide__ = True  # as in assert_gradient
    _check_tolerances(rtol, atol)
    pairs = _data_pairs(data)
    params = _named_parameters(module)
    names = tuple(name for name, _ in params)
    values = [p for _, p in params]
    failing: list[tuple[int, tuple[float, ...], list[float], float, tuple[bool, ...]]] = []
    skipped = 0
    for i, (x, y) in enumerate(pairs):
        try:
            out = _call_f(loss, (module, x, y), "loss")
            auto = _autodiff(out, values)
        except _DOMAIN_ERRORS:
            skipped += 1
            continue
        # Only where the loss is defined: your formula may fail where it is not, as f's may.
        hand = _hand_mapping(grads(module, x, y), names, i)
        ok = _agree(hand, auto, rtol, atol)
        if not all(ok):
            failing.append((i, hand, auto, out.data, ok))
    checked = len(pairs) - skipped
    if checked == 0:
        raise ValueError(f"the loss raised a domain error on all {skipped} examples, so "
                         "nothing was compared")
    if not failing:
        return Checked(checked, skipped)
    i, hand, auto, _, ok = failing[0]
    x, y = pairs[i]
    numeric = [_parameter_numeric(loss, module, x, y, p) for p in values]
    rows = _rows(names, hand, auto, numeric, ok)
    head = (f"hand-derived parameter gradients disagree with autodiff on example {i}: "
            f"x = {x!r}, y = {y!r}\n"
            f"  {len(failing)} of {checked} examples disagree{_skip_note(skipped)}; "
            f"rtol={rtol}, atol={atol}")
    cases = [(h, a, v) for _, h, a, v, _ in failing]
    raise _mismatch(head, (x, y), rows, _diagnose(rows, cases), "parameter")


# --- the report -------------------------------------------------------------------------


def _rows(names: Sequence[str], hand: Sequence[float], auto: Sequence[float],
          numeric: Sequence[float], ok: Sequence[bool]) -> list[GradientRow]:
    rows = []
    for name, h, a, num, good in zip(names, hand, auto, numeric, ok, strict=True):
        scale = max(abs(h), abs(a))
        rel = abs(h - a) / scale if scale else 0.0
        rows.append(GradientRow(name, h, a, num, rel, good))
    return rows


def _skip_note(skipped: int) -> str:
    return f" ({skipped} skipped: outside f's domain)" if skipped else ""


def _factor_text(c: Fraction) -> str:
    n = abs(c.numerator) if c.denominator == 1 else c.denominator
    if c == -1:
        return "the sign is wrong"
    sign = "the sign is wrong and " if c < 0 else ""
    return sign + (f"a factor {n} too many" if c.denominator == 1 else f"a factor {n} missing")


def _match(a: float, b: float) -> bool | None:
    """Whether a equals b up to :data:`_SAME` relatively; None (undecided) when both are 0."""
    if a == 0.0 and b == 0.0:
        return None
    return math.isclose(a, b, rel_tol=_SAME)


def _holds(results: Iterable[bool | None]) -> bool | None:
    """All of several undecided-or-not results: False if any is, None if none decides."""
    seen = set(results)
    return False if False in seen else (True if True in seen else None)


def _diagnose(rows: list[GradientRow], cases: Sequence[_Case]) -> list[Diagnosis]:
    """The recognisable shapes of the disagreement (possibly none).

    A shape is reported when it holds at every disagreeing point in ``cases`` (the
    reported one first, at most :data:`_CASES` of them) where the numbers can tell, and at
    least one can: at a simple point such as x = 0 many entries vanish and decide nothing.
    """
    bad = [j for j, r in enumerate(rows) if not r.ok]
    bad_names = tuple(rows[j].name for j in bad)
    cases = cases[:_CASES]
    found = []
    for c in _FACTORS:
        if _holds(_holds(_match(h[j], float(c) * a[j]) for j in bad) for h, a, _ in cases):
            found.append(Diagnosis(
                "factor", f"hand = {c} × autodiff for every disagreeing entry: "
                f"{_factor_text(c)}?", bad_names, float(c)))
            break
    partner = {j: next((k for k in range(len(rows)) if k != j
                        and _holds(_match(h[j], a[k]) for h, a, _ in cases)), None) for j in bad}
    if all(k is not None for k in partner.values()):
        names = {rows[j].name: rows[k].name for j, k in partner.items() if k is not None}
        pairs = [f"hand {a} = autodiff {b}" for a, b in names.items()]
        swap = len(bad) == 2 and partner == {bad[0]: bad[1], bad[1]: bad[0]}
        found.append(Diagnosis(
            "swap" if swap else "shift",
            (f"hand ∂/∂{bad_names[0]} and ∂/∂{bad_names[1]} are swapped" if swap else
             f"hand values belong to other entries ({_listing(pairs, 4)}): an index off by "
             "one or a mix-up?"), bad_names))
    rows_of = _by_row({j: rows[j].name for j in bad})
    if len(rows_of) > 1 and not any(d.kind == "factor" for d in found) and _holds(
            _holds(_same_ratio(h, a, js) for js in rows_of.values()) for h, a, _ in cases):
        found.append(Diagnosis(
            "row_factor", f"within each row ({_listing([r + '.*' for r in rows_of], 4)}) "
            "hand / autodiff is one number, a different one per row: the factor a row "
            "shares is wrong, not the one per column (in the lecture's net: s_m in "
            "∂R/∂α_ml = s_m x_l, δ_k in ∂R/∂β_km = δ_k z_m)", bad_names))
    if _holds(_holds(_match(h[j], value) for j in bad) for h, _, value in cases):
        found.append(Diagnosis(
            "function_value", f"hand ∂/∂{_listing(bad_names, 3)} equals f's own value: "
            "σ written for σ′ = σ(1 − σ), or exp's rule used for another function?",
            bad_names))
    groups = {r.name.split(".")[0] for r in rows if "." in r.name}
    bad_groups = sorted({name.split(".")[0] for name in bad_names})
    if set(bad_groups) < groups:
        agree = sorted(groups - set(bad_groups))
        found.append(Diagnosis(
            "confined", f"only {_listing([g + _star(g, rows) for g in bad_groups], 6)} "
            f"disagree; every {_listing([g + _star(g, rows) for g in agree], 6)} agrees",
            bad_names))
    return found


def _by_row(names: Mapping[int, str]) -> dict[str, list[int]]:
    """Positions of dotted names by their row, the name without its last part (alpha.2)."""
    rows: dict[str, list[int]] = {}
    for j, name in names.items():
        if "." in name:
            rows.setdefault(name.rsplit(".", 1)[0], []).append(j)
    return rows


def _same_ratio(hand: Sequence[float], auto: Sequence[float], js: list[int]) -> bool | None:
    """Whether hand / autodiff is one number over ``js`` (None if fewer than 2 can tell)."""
    ratios = [hand[j] / auto[j] for j in js if auto[j] != 0.0]
    return None if len(ratios) < 2 else all(_match(r, ratios[0]) for r in ratios)


def _star(group: str, rows: list[GradientRow]) -> str:
    """``.*`` after a group of dotted parameter names (``alpha.*``), nothing after a plain name."""
    return ".*" if any(r.name != group for r in rows if r.name.split(".")[0] == group) else ""


def _one_sign(names: Sequence[str], outcomes: list[_Outcome]) -> list[Diagnosis]:
    """Inputs for which every disagreement has one sign while the other sign always agrees."""
    found = []
    for j, name in enumerate(names):
        counts = {(s, fails): 0 for s in ("<", ">") for fails in (True, False)}
        for o in outcomes:
            if o.point[j] != 0.0:
                counts["<" if o.point[j] < 0.0 else ">", not all(o.ok)] += 1
        for bad, good in (("<", ">"), (">", "<")):
            if counts[bad, True] >= 2 and counts[good, False] >= 2 and not counts[good, True]:
                found.append(Diagnosis(
                    "one_sign", f"disagreement only where {name} {bad} 0 ({counts[bad, True]} "
                    f"points), never where {name} {good} 0 ({counts[good, False]} points): a "
                    f"case missing for {name} {bad} 0, as in abs or relu?", (name,)))
    return found


def _verdict(rows: list[GradientRow]) -> tuple[str, str]:
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


def _mismatch(head: str, point: Any, rows: list[GradientRow], diagnosis: list[Diagnosis],
              column: str) -> GradientMismatch:
    """The exception with its report: header, table, diagnoses, verdict."""
    shown = rows if len(rows) <= _SHOWN_ROWS else [r for r in rows if not r.ok][:_SHOWN_ROWS]
    width = max(len(column), *(len(r.name) for r in shown))
    table = [f"    {column:<{width}}   {'hand':>17} {'autodiff':>17} {'central diff':>17}"
             f" {'rel err':>9}"]
    table += [f"    {r.name:<{width}} {' ' if r.ok else '✗'} {r.hand:>17.10g} "
              f"{r.autodiff:>17.10g} {r.numeric:>17.10g} {r.rel_err:>9.2g}" for r in shown]
    if len(shown) < len(rows):
        bad = sum(not r.ok for r in rows)
        table.append(f"    ({len(rows)} rows, {bad} disagree; the first {len(shown)} shown, "
                     "all in err.rows)")
    wrong_side, verdict = _verdict(rows)
    notes = [textwrap.fill(d.message, 96, initial_indent="  diagnosis: ",
                           subsequent_indent="    ") for d in diagnosis]
    lines = [head, "", *table, "", *notes, f"  {verdict}"]
    return GradientMismatch("\n".join(lines), point, rows, diagnosis, wrong_side)
