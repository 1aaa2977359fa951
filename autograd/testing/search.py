"""Where a check looks: the points it tries, the search and shrinking, and one run's record.

* :func:`points`: a hypothesis strategy for points of a domain, for your own ``@given`` tests;
* :func:`draws`: seeded draws that favour simple numbers, the interval's ends and 0 (the
  search without hypothesis, and the counts of a report);
* :func:`search`: the simplest point where a check fails: hypothesis's search and shrinking
  when it is installed (no example database, no files left behind), else the draws;
* :class:`Run`: one check's record of the points it tried: each point runs once, a point
  where the engine raised (:class:`~autograd.errors.EngineError`) is outside the domain and
  skipped, any other exception propagates with the point in a note, and a deadline bounds
  the time between calls.

hypothesis is optional: it is imported only when a search runs or :func:`points` is called.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from autograd.testing.arguments import Point, intervals
from autograd.testing.diagnosis import Case

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

K = TypeVar("K", bound=Hashable)


def points(domain: Sequence[object]) -> SearchStrategy[Point]:
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
                       for lo, hi in intervals(domain)))


def _draw(rng: random.Random, lo: float, hi: float) -> float:
    """One coordinate: a simple number, a value near an end or near 0, or uniform."""
    kind = rng.random()
    if kind < 0.2:
        return rng.choice([v for v in (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, lo, hi)
                           if lo <= v <= hi])
    if kind < 0.4:
        gap: float = (hi - lo) * 10.0 ** -rng.uniform(1.0, 8.0)
        return lo + gap if rng.random() < 0.5 else hi - gap
    near_zero: list[float] = [s * 10.0 ** -rng.uniform(0.0, 8.0) for s in (1.0, -1.0)]
    inside = [v for v in near_zero if lo <= v <= hi]
    if kind < 0.6 and inside:
        return rng.choice(inside)
    return rng.uniform(lo, hi)


def draws(domain: Sequence[tuple[float, float]], count: int, seed: int) -> list[Point]:
    """``count`` points of ``domain``, the same for the same seed."""
    rng = random.Random(seed)
    return [tuple(_draw(rng, lo, hi) for lo, hi in domain) for _ in range(count)]


def _simplicity(point: Point) -> tuple[int, float]:
    """Sort key: the shortest point to write (1.0 before 0.731...), then the smallest."""
    return sum(len(repr(x)) for x in point), max(abs(x) for x in point)


def simplest_failing(candidates: Iterable[Point], fails: Callable[[Point], bool]) -> Point | None:
    """The simplest of the candidates at which the check fails (each one is checked)."""
    return min((p for p in candidates if fails(p)), key=_simplicity, default=None)


def search(fails: Callable[[Point], bool], domain: Sequence[tuple[float, float]],
           candidates: list[Point], examples: int, seed: int) -> Point | None:
    """The simplest failing point: hypothesis's search and shrinking, or else the candidates.

    An exception raised by ``fails`` stops the search and propagates as it was raised
    (hypothesis would otherwise shrink it as a failure of its own and wrap it in its notes).
    """
    try:
        from hypothesis import Phase, find, settings
        from hypothesis.errors import NoSuchExample
    except ImportError:
        return simplest_failing(candidates, fails)

    raised: list[Exception] = []

    def condition(point: Point) -> bool:
        if raised:  # stopped: let hypothesis finish without calling anything
            return False
        try:
            return fails(point)
        except Exception as err:  # re-raised below, unchanged
            raised.append(err)
            return False

    once = settings(database=None, max_examples=examples, derandomize=False, deadline=None,
                    phases=(Phase.generate, Phase.shrink))
    found = None
    with _no_files_left():
        try:
            found = find(points(domain), condition, settings=once, random=random.Random(seed))
        except NoSuchExample:
            pass
        except Exception:
            if not raised:  # hypothesis's own error; else it only says the condition changed
                raise
    if raised:
        raise raised[0]
    return found


@contextmanager
def _no_files_left() -> Iterator[None]:
    """Leave hypothesis's storage folder (``.hypothesis/``) as it was before the search.

    With ``database=None`` hypothesis keeps no examples, but while it generates data it
    caches the numbers it finds in the program's own modules in ``.hypothesis/constants/``
    (under the working directory of its import), and no setting turns that off. The files
    added there during the search are removed, and the folders if the search created them;
    anything that was there before is left untouched, and no hypothesis setting changes.
    """
    from hypothesis.configuration import storage_directory

    where: Any = storage_directory("constants", intent_to_write=False)
    cache = Path(getattr(where, "path", where))  # a Path before hypothesis 6.152
    home = cache.parent
    had_home, before = home.exists(), set(cache.iterdir()) if cache.is_dir() else None
    try:
        yield
    finally:
        with suppress(OSError):  # another program may be using the folder too: then keep it
            for path in set(cache.iterdir() if cache.is_dir() else ()) - (before or set()):
                path.unlink()
            if before is None and cache.is_dir():
                cache.rmdir()
            if not had_home and {p.name for p in home.iterdir()} <= {".gitignore"}:
                (home / ".gitignore").unlink(missing_ok=True)
                home.rmdir()


class Skipped(NamedTuple):
    """A point left out: outside the function's domain (the engine's error says why)."""

    reason: str


class Run(Generic[K]):
    """One check's record of the points (or examples) it tried.

    Args:
        evaluate: Compares the two sides at a point: a :class:`Case`, or :class:`Skipped`
            where the engine raised.
        describe: The point in words, for notes and errors (``"x = 0.5, y = 1.0"``).
        who: The check's name, for messages.
        deadline: Seconds; once they have passed, the next point raises TimeoutError.
    """

    def __init__(self, evaluate: Callable[[K], Case | Skipped], describe: Callable[[K], str],
                 who: str, deadline: float | None) -> None:
        self.evaluate, self.describe, self.who = evaluate, describe, who
        self.deadline = deadline
        self.start = time.monotonic()
        self.outcomes: dict[K, Case] = {}
        self.skipped: dict[K, str] = {}

    def run(self, key: K) -> Case | None:
        """The comparison at ``key``, or None where it is outside the domain (run once)."""
        if key in self.outcomes or key in self.skipped:
            return self.outcomes.get(key)
        try:
            result = self.evaluate(key)
        except Exception as err:
            err.add_note(f"{self.who}: raised while checking {self.describe(key)}")
            raise
        if isinstance(result, Skipped):
            self.skipped[key] = result.reason
        else:
            self.outcomes[key] = result
        elapsed = time.monotonic() - self.start
        if self.deadline is not None and elapsed > self.deadline:
            raise TimeoutError(
                f"{self.who}: stopped by its deadline of {self.deadline:g} s, on "
                f"{self.describe(key)} ({len(self.outcomes)} compared and "
                f"{len(self.skipped)} skipped in {elapsed:.3g} s); pass a larger "
                "deadline= (or None), or fewer examples")
        return self.outcomes.get(key)

    def fails(self, key: K) -> bool:
        """Whether the two sides disagree at ``key`` (False where it is outside the domain)."""
        case = self.run(key)
        return case is not None and not all(case.ok)

    def nothing_compared(self, what: str, hint: str) -> ValueError:
        """The error for a check that skipped every point (``what``: "point(s) tried")."""
        first = next(iter(self.skipped.values()))
        return ValueError(f"{self.who}: the engine raised a domain error at all "
                          f"{len(self.skipped)} {what}, so nothing was compared (the first: "
                          f"{first}); {hint}")


def find_failing(run: Run[Point], given: list[Point] | None,
                 domain: Sequence[tuple[float, float]], examples: int,
                 seed: int) -> Point | None:
    """Check the given points, or search the domain: the simplest failing point, if any.

    A search first runs the seeded draws up to the first point inside the domain (so that a
    mistake in calling the functions shows at once), then hypothesis's search; when that
    finds a failure, every draw is run as well, for the report's counts and sign pattern.
    """
    if given is not None:
        return simplest_failing(given, run.fails)
    candidates = draws(domain, examples, seed)
    for p in candidates:
        if run.run(p) is not None:
            break
    found = search(run.fails, domain, candidates, examples, seed)
    if found is not None:
        for p in candidates:
            run.run(p)
    return found
