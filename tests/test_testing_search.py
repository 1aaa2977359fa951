"""Tests for autograd/testing/search.py: where a check looks, and what it leaves behind.

hypothesis writes a cache (``.hypothesis/constants/``) under the working directory of its
import whenever it generates data, even with no example database; a check must leave the
working directory as it found it, without touching the user's own hypothesis settings.
Those tests run in a fresh interpreter with a temporary working directory, as a user's
script would.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from autograd import OPS, Value
from autograd.testing import GradientMismatch, assert_gradient, assert_op
from autograd.testing.search import Run, Skipped, draws, search

CHECKS = """
import math
from autograd import OPS
from autograd.testing import GradientMismatch, assert_gradient, assert_op
assert_gradient(lambda x, y: x * y.exp(), lambda x, y: (math.exp(y), x * math.exp(y)),
                domain=[(-3, 3), (-3, 3)])
assert_op(OPS["tanh"], [(-5, 5)])
try:
    assert_gradient(lambda x: x * x, lambda x: x, domain=(-3, 3))
except GradientMismatch:
    pass
"""


HYPOTHESIS_ALONE = """
import autograd.testing
from hypothesis import find, settings, strategies as st
from hypothesis.errors import NoSuchExample
try:
    find(st.floats(0, 1), lambda x: False, settings=settings({database}max_examples=200))
except NoSuchExample:
    pass
"""


def run_in(folder: Path, code: str) -> None:
    """Run ``code`` as a user's script in a fresh interpreter working in ``folder``.

    The script is a file next to ``folder`` (not in it, so listings are unchanged): a module
    hypothesis counts as the user's own wherever the package is installed (it reads no
    constants from site-packages, where a wheel puts autograd). Modules in ``folder`` are
    importable, as with ``python -c``; no __pycache__ is written.
    """
    script = folder.with_name(f"script_{folder.name}.py")  # hypothesis skips test_*.py
    script.write_text(code, encoding="utf-8")
    subprocess.run([sys.executable, str(script)], cwd=folder, check=True, timeout=120,
                   env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(folder)})


def listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"/"
            for p in sorted(folder.rglob("*"))}


def test_a_check_leaves_the_working_directory_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    before = listing(tmp_path)
    run_in(tmp_path, CHECKS)
    assert listing(tmp_path) == before


def test_hypothesis_itself_would_have_left_a_folder(tmp_path: Path) -> None:
    """The control: the same kind of search, called directly, writes .hypothesis/."""
    run_in(tmp_path, HYPOTHESIS_ALONE.format(database="database=None, "))
    assert (tmp_path / ".hypothesis" / "constants").is_dir()


def test_an_existing_hypothesis_folder_is_left_untouched(tmp_path: Path) -> None:
    """The user's own hypothesis runs made it: nothing in it changes, nothing is added."""
    run_in(tmp_path, HYPOTHESIS_ALONE.format(database=""))
    (tmp_path / "mine.py").write_text("LIMIT = 0.123456\n")  # a module hypothesis has not read
    before = listing(tmp_path)
    assert any(name.startswith(".hypothesis/constants/") for name in before)
    run_in(tmp_path, "import mine\n" + CHECKS)
    assert listing(tmp_path) == before


def test_the_users_hypothesis_settings_are_left_as_they_were() -> None:
    profile, default = settings.get_current_profile_name(), repr(settings.default)
    assert_gradient(lambda x: x.sin(), math.cos, domain=(-3, 3))
    with pytest.raises(GradientMismatch):
        assert_gradient(lambda x: x.sin(), lambda x: -math.cos(x), domain=(-3, 3))
    assert (settings.get_current_profile_name(), repr(settings.default)) == (profile, default)


def test_an_error_in_the_condition_stops_the_search_and_propagates_unchanged() -> None:
    seen: list[float] = []
    boom = RuntimeError("boom")

    def fails(point: tuple[float, ...]) -> bool:
        seen.append(point[0])
        if point[0] > 0.5:
            raise boom
        return False

    with pytest.raises(RuntimeError) as info:
        search(fails, [(-1.0, 1.0)], draws([(-1.0, 1.0)], 50, 0), 200, 0)
    assert info.value is boom and not getattr(boom, "__notes__", None)
    assert seen[-1] > 0.5 and all(x <= 0.5 for x in seen[:-1])  # nothing ran after it


def test_draws_are_inside_the_domain_favour_simple_numbers_and_repeat_per_seed() -> None:
    points = draws([(-2.0, 3.0), (0.5, 0.75)], 500, seed=7)
    assert points == draws([(-2.0, 3.0), (0.5, 0.75)], 500, seed=7)
    assert all(-2.0 <= x <= 3.0 and 0.5 <= y <= 0.75 for x, y in points)
    xs = {x for x, _ in points}
    assert {0.0, 1.0, -1.0, 2.0, -2.0, 3.0} <= xs
    assert any(0 < abs(x) < 1e-4 for x in xs)  # near 0, both signs
    assert any(-1e-4 < x < 0 for x in xs)


def test_a_run_checks_each_point_once_and_records_skips() -> None:
    calls: list[tuple[float, ...]] = []

    def evaluate(point: tuple[float, ...]) -> Skipped:
        calls.append(point)
        return Skipped("outside")

    run: Run[tuple[float, ...]] = Run(evaluate, str, "check", None)
    assert run.run((1.0,)) is None and run.run((1.0,)) is None and not run.fails((1.0,))
    assert calls == [(1.0,)] and run.skipped == {(1.0,): "outside"}
    with pytest.raises(ValueError, match=r"^check: the engine raised a domain error at all 1 "
                       r"point\(s\), so nothing was compared \(the first: outside\); hint$"):
        raise run.nothing_compared("point(s)", "hint")


def test_assert_op_searches_as_assert_gradient_does() -> None:
    assert assert_op(OPS["exp"], [(-5, 5)], seed=3) == assert_op(OPS["exp"], [(-5, 5)], seed=3)
    assert Value(1.0).exp().data == math.e  # the op still works after a search


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_error_while_shrinking_propagates_not_hypothesis_complaint(seed: int) -> None:
    """Once a point raised, the condition says False everywhere: hypothesis then calls the
    failure it was shrinking flaky; the check raises the point's own error instead."""
    def fails(point: tuple[float, ...]) -> bool:
        if point[0] == 1.0:  # where hypothesis shrinks to
            raise RuntimeError("at 1.0")
        return abs(point[0]) > 0.1

    with pytest.raises(RuntimeError, match=r"at 1\.0"):
        search(fails, [(-3.0, 3.0)], [], 100, seed)
