"""Reading what a check is given: domains, points, settings, functions' results, data, modules.

Each public check validates its arguments here, once, at its boundary, with errors that say
what was expected; the search, the diagnosis and the report then trust what they get.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Real
from typing import Any

from autograd.value import Value

Point = tuple[float, ...]
"""One point of a domain: a float per argument."""


def is_real(x: object) -> bool:
    """Whether x is a real number (bool is not)."""
    return isinstance(x, Real) and not isinstance(x, bool)


def number(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError saying what was expected of ``what``."""
    if isinstance(x, Value):
        raise TypeError(f"{what} is a Value; return plain numbers (use .data, or compute "
                        "the formula with math/numpy on floats)")
    if not is_real(x):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    return float(x)


def listing(items: Sequence[Any], most: int = 8) -> str:
    """The first ``most`` items, comma-separated, with the count when some are left out."""
    shown = ", ".join(map(str, items[:most]))
    return shown + (f", … ({len(items)} in all)" if len(items) > most else "")


def intervals(domain: Sequence[Any]) -> list[tuple[float, float]]:
    """One (lo, hi) per argument; a lone pair of numbers is one interval."""
    items = [domain] if len(domain) == 2 and all(map(is_real, domain)) else list(domain)
    if not items:
        raise ValueError("domain is empty: give one (lo, hi) interval per argument")
    out = []
    for j, item in enumerate(items):
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise TypeError(f"domain[{j}] must be a (lo, hi) pair, got {item!r}")
        lo, hi = (number(v, f"domain[{j}] bound") for v in item)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise ValueError(f"domain[{j}] must be finite with lo <= hi, got ({lo!r}, {hi!r})")
        out.append((lo, hi))
    return out


def given_points(given: Iterable[Any]) -> list[Point]:
    """The given points as tuples of finite floats (a number is a one-argument point)."""
    out: list[Point] = []
    for i, p in enumerate(given):
        coords = (p,) if is_real(p) else p
        if isinstance(coords, str) or not isinstance(coords, Iterable):
            raise TypeError(f"points[{i}] must be a number or a sequence of numbers, got {p!r}")
        point = tuple(number(x, f"points[{i}] coordinate") for x in coords)
        if not all(map(math.isfinite, point)):
            raise ValueError(f"points[{i}] must be finite, got {point!r}")
        if out and len(point) != len(out[0]):
            raise ValueError(f"points[{i}] has {len(point)} coordinates, points[0] has "
                             f"{len(out[0])}")
        out.append(point)
    if not out or not out[0]:
        raise ValueError("points must hold at least one point with at least one coordinate")
    return out


def arg_names(functions: Sequence[tuple[str, Callable[..., Any]]], n: int,
              source: str) -> tuple[str, ...]:
    """Check that every function takes n arguments; name them after the first one's.

    Args:
        functions: ``(who, function)`` pairs; the first one's parameter names are used when
            it has exactly n positional ones.
        n: How many arguments each is called with.
        source: Why n (for the error): ``"the domain has 2 interval(s)"``.

    Raises:
        TypeError: Some function cannot take n positional arguments.
    """
    names: tuple[str, ...] = ("x",) if n == 1 else tuple(f"x{j}" for j in range(n))
    for k, (who, fn) in enumerate(functions):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # no signature to read (some builtins)
            continue
        try:
            sig.bind(*range(n))
        except TypeError:
            raise TypeError(f"{who}{sig} cannot take {n} argument(s), but {source}") from None
        params = list(sig.parameters.values())
        if k == 0 and len(params) == n and all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            names = tuple(p.name for p in params)
    return names


def check_settings(rtol: float, atol: float, deadline: float | None,
                   examples: int | None = None) -> None:
    """Tolerances finite and >= 0, a positive deadline (or None), examples an int >= 1."""
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (is_real(tol) and math.isfinite(tol) and tol >= 0.0):
            raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")
    if deadline is not None and not (is_real(deadline) and deadline > 0.0):
        raise ValueError(f"deadline must be a number of seconds > 0 (or None), got {deadline!r}")
    if examples is not None and (isinstance(examples, bool) or not isinstance(examples, int)
                                 or examples < 1):
        raise ValueError(f"examples must be an int >= 1, got {examples!r}")


def hand_values(result: Any, names: Sequence[str]) -> tuple[float, ...]:
    """grad_f's result as one float per input (for one input a single number will do)."""
    n = len(names)
    if n == 1 and (is_real(result) or isinstance(result, Value)):
        result = (result,)
    if isinstance(result, str) or not isinstance(result, Iterable):
        raise TypeError(f"grad_f must return {n} number(s), got {type(result).__name__}")
    values = list(result)
    if len(values) != n:
        raise ValueError(f"grad_f returned {len(values)} value(s) for {n} input(s) "
                         f"({', '.join(names)})")
    return tuple(number(v, f"grad_f's value for {name}")
                 for v, name in zip(values, names, strict=True))


def _plain(v: Any) -> Any:
    """numpy rows and scalars as Python lists and floats (Values need plain numbers)."""
    return v.tolist() if hasattr(v, "tolist") else v


def data_pairs(data: Any) -> list[tuple[Any, Any]]:
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


def named_parameters(module: Any) -> list[tuple[str, Value]]:
    """``module.named_parameters()`` as a list of (name, Value) pairs, checked."""
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


def hand_mapping(result: Any, names: Sequence[str]) -> tuple[float, ...]:
    """grads' mapping as values in parameter order; missing or extra names are an error."""
    if not isinstance(result, Mapping):
        raise TypeError(f"grads must return a mapping from parameter names to numbers, got "
                        f"{type(result).__name__}")
    missing = [n for n in names if n not in result]
    extra = sorted(set(result) - set(names), key=str)
    if missing or extra:
        listed = [f"{what}: {listing(items)}"
                  for what, items in (("missing", missing), ("unknown", extra)) if items]
        raise ValueError("grads' names must be those of named_parameters(); "
                         + "; ".join(listed))
    return tuple(number(result[n], f"grads[{n!r}]") for n in names)
