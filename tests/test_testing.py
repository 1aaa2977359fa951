"""Tests for autograd/testing/api.py: assert_gradient and assert_parameter_gradients.

Every search test runs twice, with hypothesis and without it (``sys.modules["hypothesis"]``
set to None for the test, so the import inside the search fails as on a machine without it).
The search itself is tested in test_testing_search.py, the diagnoses in
test_testing_diagnosis.py, assert_op in test_testing_op.py, and the lecture's net (its
classic mistakes and their reading) in test_derivation.py.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given

from autograd import DivisionByZeroError, Value, no_grad
from autograd.testing import (
    Checked,
    GradientMismatch,
    assert_gradient,
    assert_parameter_gradients,
    points,
)
from nn import TwoLayerNet

Grads = Callable[[TwoLayerNet, Any, Any], dict[str, float]]


@pytest.fixture(params=["hypothesis", "plain"])
def search(request: pytest.FixtureRequest) -> str:
    """Run the test with hypothesis's search, then with the plain seeded draws."""
    return str(request.param)


def check(search: str, f: Callable[..., Value], grad_f: Callable[..., Any],
          **kwargs: Any) -> Checked:
    """assert_gradient, for ``search="plain"`` as if hypothesis were not installed."""
    hidden = {"hypothesis": None} if search == "plain" else {}
    with patch.dict(sys.modules, hidden):
        return assert_gradient(f, grad_f, **kwargs)


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mismatch(f: Callable[..., Value], grad_f: Callable[..., Any], search: str = "hypothesis",
             **kwargs: Any) -> GradientMismatch:
    with pytest.raises(GradientMismatch) as info:
        check(search, f, grad_f, **kwargs)
    return info.value


def kinds(err: GradientMismatch) -> set[str]:
    return {d.kind for d in err.diagnosis}


# --- assert_gradient: correct derivations pass ------------------------------------------

CORRECT = [
    (lambda x: x.sigmoid(), lambda x: sigma(x) * (1 - sigma(x)), [(-30.0, 30.0)]),
    (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2, [(-20.0, 20.0)]),
    (lambda x, y: x * y.exp(), lambda x, y: (math.exp(y), x * math.exp(y)),
     [(-3.0, 3.0), (-3.0, 3.0)]),
    (lambda x, y: (x * x + y).log(), lambda x, y: (2 * x / (x * x + y), 1 / (x * x + y)),
     [(-3.0, 3.0), (0.5, 4.0)]),
    (lambda x, w, b: (w * x + b).tanh(),
     lambda x, w, b: (w * (1 - math.tanh(w * x + b) ** 2), x * (1 - math.tanh(w * x + b) ** 2),
                      1 - math.tanh(w * x + b) ** 2), [(-2.0, 2.0)] * 3),
    (lambda x: x ** 3 / 3, lambda x: x * x, [(-100.0, 100.0)]),
]


@pytest.mark.parametrize(("f", "grad_f", "domain"), CORRECT)
def test_correct_derivation_passes_over_hundreds_of_points(
        search: str, f: Callable[..., Value], grad_f: Callable[..., Any],
        domain: list[tuple[float, float]]) -> None:
    checked = check(search, f, grad_f, domain=domain, examples=300)
    assert checked.checked >= 200
    assert checked.skipped == 0


def test_explicit_points_are_all_checked() -> None:
    assert assert_gradient(lambda x: x * x, lambda x: 2 * x, points=[0.5, 1, -3]) == Checked(3, 0)
    assert assert_gradient(lambda x, y: x * y, lambda x, y: [y, x],
                           points=[(1, 2), (3.5, -1)]) == Checked(2, 0)


@given(points([(-3.0, 3.0), (0.1, 3.0)]))
def test_points_strategy_drives_your_own_given_test(point: tuple[float, float]) -> None:
    x, y = point
    assert -3.0 <= x <= 3.0 and 0.1 <= y <= 3.0
    assert_gradient(lambda x, y: x / y, lambda x, y: (1 / y, -x / y ** 2), points=[point])


# --- assert_gradient: mistakes are caught and diagnosed ---------------------------------


def test_missing_factor_two_is_diagnosed(search: str) -> None:
    err = mismatch(lambda x: x ** 2, lambda x: x, search=search, domain=(-5, 5))
    assert [d.factor for d in err.diagnosis if d.kind == "factor"] == [0.5]
    assert "a factor 2 missing" in str(err)
    assert err.wrong_side == "hand"


@pytest.mark.parametrize(("grad_f", "factor", "words"), [
    (lambda x: -math.cos(x), -1.0, "the sign is wrong"),
    (lambda x: 3 * math.cos(x), 3.0, "a factor 3 too many"),
    (lambda x: -math.cos(x) / 4, -0.25, "the sign is wrong and a factor 4 missing"),
])
def test_constant_factors_are_diagnosed(search: str, grad_f: Callable[[float], float],
                                        factor: float, words: str) -> None:
    err = mismatch(lambda x: x.sin(), grad_f, search=search, domain=(-3, 3))
    [diag] = [d for d in err.diagnosis if d.kind == "factor"]
    assert diag.factor == factor
    assert words in diag.message


def test_swapped_inputs_are_diagnosed(search: str) -> None:
    err = mismatch(lambda x, y: x * y.exp(), lambda x, y: (x * math.exp(y), math.exp(y)),
                   search=search, domain=[(-3, 3), (-3, 3)])
    assert kinds(err) == {"swap"}
    assert "hand ∂/∂x and ∂/∂y are swapped" in str(err)


def test_shifted_inputs_are_diagnosed(search: str) -> None:
    f = lambda a, b, c: a * b.exp() + c * c  # noqa: E731
    err = mismatch(f, lambda a, b, c: (2 * c, math.exp(b), a * math.exp(b)),
                   search=search, domain=[(-2, 2)] * 3)
    assert "shift" in kinds(err)
    assert "hand a = autodiff c" in str(err)


def test_missing_case_for_one_sign_is_diagnosed(search: str) -> None:
    err = mismatch(lambda x: 3 * abs(x), lambda x: 3.0, search=search, domain=(-5, 5))
    [diag] = [d for d in err.diagnosis if d.kind == "one_sign"]
    assert diag.names == ("x",)
    assert "only where x < 0" in diag.message


def test_sigma_for_sigma_prime_is_diagnosed(search: str) -> None:
    err = mismatch(lambda x: x.sigmoid(), sigma, search=search, domain=(-10, 10))
    assert kinds(err) == {"sigma_for_sigma_prime"}
    assert "σ written for σ′" in str(err)


def test_the_functions_own_value_is_diagnosed(search: str) -> None:
    err = mismatch(lambda x: (x * x).exp(), lambda x: math.exp(x * x), search=search,
                   domain=(-2, 2))
    assert kinds(err) == {"function_value"}
    assert "equals f's own value at every disagreeing point" in str(err)


def test_the_shrunk_point_is_simple(search: str) -> None:
    # Wrong for every x > 0 (the relu's slope 1 is forgotten), right for x <= 0.
    err = mismatch(lambda x: x.relu() * 3, lambda x: 0.0, search=search, domain=(-7.5, 7.5))
    [x] = err.point
    assert x in (0.5, 1.0) if search == "plain" else x == 1.0
    assert "at x = " + repr(x) in str(err)


def test_search_is_deterministic_per_seed(search: str) -> None:
    def report(seed: int) -> str:
        return str(mismatch(lambda x, y: x * y, lambda x, y: (y, x + 1e-3 * y * y),
                            search=search, domain=[(-3, 3), (-3, 3)], seed=seed))

    assert report(3) == report(3)
    ok = [check(search, lambda x: x.exp(), math.exp, domain=(-5, 5), seed=s) for s in (1, 1)]
    assert ok[0] == ok[1]


def test_report_lists_three_opinions_and_reads_as_a_table() -> None:
    err = mismatch(lambda x, y: x * y, lambda x, y: (y, 2 * x), points=[(2.0, 3.0)])
    lines = str(err).splitlines()
    assert lines[0] == "hand-derived gradient disagrees with autodiff at x = 2.0, y = 3.0"
    assert lines[1].startswith("  1 of 1 points checked disagree; rtol=1e-10")
    assert lines[3].split() == ["input", "hand", "autodiff", "central", "diff", "rel", "err"]
    assert lines[4].split() == ["x", "3", "3", "3", "0"]
    assert lines[5].split()[:5] == ["y", "✗", "4", "2", "2"]
    assert lines[-1] == "  central differences side with autodiff: the hand derivation is wrong"
    [row_x, row_y] = err.rows
    assert (row_y.hand, row_y.autodiff, row_y.rel_err, row_y.ok) == (4.0, 2.0, 0.5, False)
    assert row_y.numeric == pytest.approx(2.0, rel=1e-8)
    assert row_x.ok and err.point == (2.0, 3.0)


def test_central_differences_can_side_with_the_hand_derivation() -> None:
    # f reads .data, so autodiff sees a constant: the hand formula is right, f is not.
    err = mismatch(lambda x: x * 0 + x.data ** 2, lambda x: 2 * x, points=[1.5])
    assert err.wrong_side == "autodiff"
    assert "side with the hand derivation" in str(err)


# --- assert_gradient: f's domain --------------------------------------------------------


def test_points_outside_fs_domain_are_skipped_and_counted(search: str) -> None:
    checked = check(search, lambda x: x.log(), lambda x: 1 / x, domain=(-5, 5))
    assert checked.skipped > 0 and checked.checked > 0
    err = mismatch(lambda x: x.log(), lambda x: 2 / x, search=search, domain=(-5, 5))
    assert err.point[0] > 0
    assert "skipped: outside f's domain" in str(err)


def test_f_runs_once_per_point_also_outside_its_domain(search: str) -> None:
    seen: list[float] = []

    def f(x: Value) -> Value:
        seen.append(x.data)
        return x.log()

    check(search, f, lambda x: 1 / x, domain=(-5, 5))
    assert len(seen) == len(set(seen))


def test_every_point_outside_the_domain_is_an_error(search: str) -> None:
    with pytest.raises(ValueError, match=r"domain error at all \d+ point\(s\) tried.*log"):
        check(search, lambda x: x.log(), lambda x: 1 / x, domain=(-5, -1))
    with pytest.raises(ValueError, match=r"at all 1 point\(s\) tried.*division by zero"):
        check(search, lambda x: 1 / x, lambda x: -1 / x ** 2, points=[0])


def test_a_bug_in_f_is_raised_with_the_point_not_skipped(search: str) -> None:
    """Only the engine's own errors mean "outside the domain": int("oops") is a bug."""
    def f(x: Value) -> Value:
        if x.data > 0.5:
            int("oops")
        return x * x

    with pytest.raises(ValueError, match="invalid literal for int") as info:
        check(search, f, lambda x: 2 * x if x <= 0.5 else 0.0, domain=(-1, 1))
    [note] = info.value.__notes__
    assert note.startswith("assert_gradient: raised while checking x = ")
    assert float(note.rsplit("= ", 1)[1]) > 0.5


def test_only_engine_errors_skip_a_point() -> None:
    def by_hand(x: Value) -> Value:  # a Python division, not the engine's
        return x * (1 / x.data)

    assert assert_gradient(lambda x: 1 / x, lambda x: -1 / x ** 2, points=[0.0, 2.0]
                           ) == Checked(1, 1)  # the engine's DivisionByZeroError: skipped
    assert issubclass(DivisionByZeroError, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError) as info:
        assert_gradient(by_hand, lambda x: 1.0, points=[2.0, 0.0])
    assert info.value.__notes__ == ["assert_gradient: raised while checking x = 0.0"]
    with pytest.raises(RuntimeError, match="grad_f fails") as info:
        assert_gradient(lambda x: x * x, lambda x: (_ for _ in ()).throw(
            RuntimeError("grad_f fails")), points=[1.5])
    assert info.value.__notes__ == ["assert_gradient: raised while checking x = 1.5"]


def test_a_check_stops_at_its_deadline_naming_the_point(search: str) -> None:
    seen: list[float] = []

    def slow(x: Value) -> Value:
        seen.append(x.data)
        time.sleep(0.02)
        return x * x

    with pytest.raises(TimeoutError, match=r"assert_gradient: stopped by its deadline of "
                       r"0\.05 s, on x = (\S+) \(\d compared and 0 skipped") as info:
        check(search, slow, lambda x: 2 * x, domain=(-1, 1), deadline=0.05)
    assert 1 <= len(seen) <= 3  # every call takes 0.02 s: the third is past 0.05 s
    assert f"on x = {seen[-1]!r} (" in str(info.value)
    assert check(search, lambda x: x * x, lambda x: 2 * x, domain=(-1, 1), deadline=None
                 ).checked > 100


def test_an_outer_no_grad_changes_nothing(search: str) -> None:
    with no_grad():
        assert check(search, lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2,
                     domain=(-3, 3)).checked > 100
        err = mismatch(lambda x: x * x, lambda x: x, search=search, domain=(-3, 3))
    assert err.diagnosis[0].factor == 0.5


# --- assert_gradient: bad arguments -----------------------------------------------------


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({}, ValueError, "exactly one of points= and domain="),
    ({"points": [1.0], "domain": (0, 1)}, ValueError, "exactly one of"),
    ({"domain": [(0, 1), (0, 1)]}, TypeError, r"f\(x\) cannot take 2 argument\(s\), but the "
     r"domain has 2 interval\(s\)"),
    ({"points": [(1, 2, 3)]}, TypeError, "each point has 3 coordinate"),
    ({"domain": [(1, 0)]}, ValueError, r"domain\[0\] must be finite with lo <= hi"),
    ({"domain": [(0, math.inf)]}, ValueError, r"domain\[0\] must be finite"),
    ({"domain": [(0, "1")]}, TypeError, r"domain\[0\] bound must be a real number, got str"),
    ({"domain": [0, 1, 2]}, TypeError, r"domain\[0\] must be a \(lo, hi\) pair"),
    ({"domain": []}, ValueError, "domain is empty"),
    ({"points": []}, ValueError, "at least one point"),
    ({"points": [(1.0,), (1.0, 2.0)]}, ValueError, r"points\[1\] has 2 coordinates"),
    ({"points": [math.nan]}, ValueError, r"points\[0\] must be finite"),
    ({"points": [True]}, TypeError, r"points\[0\] must be a number or a sequence"),
    ({"domain": (0, 1), "rtol": -1}, ValueError, "rtol must be a finite number >= 0"),
    ({"domain": (0, 1), "atol": math.nan}, ValueError, "atol must be"),
    ({"domain": (0, 1), "examples": 0}, ValueError, "examples must be an int >= 1"),
    ({"domain": (0, 1), "deadline": 0}, ValueError, r"deadline must be a number of seconds > 0"),
])
def test_bad_arguments_are_refused(kwargs: dict[str, Any], error: type[Exception],
                                   match: str) -> None:
    with pytest.raises(error, match=match):
        assert_gradient(lambda x: x * x, lambda x: 2 * x, **kwargs)


def test_functions_that_cannot_take_the_points_are_refused_before_any_call() -> None:
    with pytest.raises(TypeError, match=r"grad_f\(\) cannot take 1 argument") as info:
        assert_gradient(lambda x: x, lambda: 1.0, domain=(-1, 1))
    assert not getattr(info.value, "__notes__", None)


@pytest.mark.parametrize(("f", "grad_f", "error", "match"), [
    (lambda x: x.data, lambda x: 1.0, TypeError, "f must return a Value, got float"),
    (lambda x: x, lambda x: (1.0, 2.0), ValueError, r"grad_f returned 2 value\(s\) for 1 "),
    (lambda x: x, lambda x: Value(1.0), TypeError, "grad_f's value for x is a Value"),
    (lambda x: x, lambda x: "1", TypeError, "grad_f must return 1 number"),
    (lambda x: x, lambda x: ["1"], TypeError, "grad_f's value for x must be a real number"),
    (lambda x: x, lambda x: None, TypeError, "grad_f must return 1 number.*NoneType"),
])
def test_bad_functions_are_refused(search: str, f: Callable[..., Any],
                                   grad_f: Callable[..., Any], error: type[Exception],
                                   match: str) -> None:
    with pytest.raises(error, match=match) as info:
        assert_gradient(f, grad_f, points=[0.5])
    assert info.value.__notes__ == ["assert_gradient: raised while checking x = 0.5"]
    with pytest.raises(error, match=match) as info:  # the same error from a search, plainly
        check(search, f, grad_f, domain=(-1, 1))
    [note] = info.value.__notes__  # only ours: hypothesis neither shrank it nor wrapped it
    assert note.startswith("assert_gradient: raised while checking x = ")


def test_imports_and_searches_without_hypothesis() -> None:
    code = ("import sys, math; sys.modules['hypothesis'] = None\n"
            "from autograd.testing import assert_gradient, points\n"
            "print(assert_gradient(lambda x: x.exp(), math.exp, domain=(-3, 3)))\n"
            "try:\n    points((0, 1))\nexcept ImportError as err:\n    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    checked, message = out.splitlines()
    assert checked == "Checked(checked=169, skipped=0)"  # 200 draws, repeats counted once
    assert message == "autograd.testing.points needs hypothesis (pip install hypothesis)"


# --- assert_parameter_gradients: state, names, data -------------------------------------


class Line:
    """A duck-typed module: f(x) = w x + b, with named_parameters() and nothing else."""

    def __init__(self, w: float, b: float) -> None:
        self.w, self.b = Value(w, label="w"), Value(b, label="b")

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        yield from (("w", self.w), ("b", self.b))


def line_loss(model: Line, x: float, y: float) -> Value:
    return (model.w * x + model.b - y) ** 2


def line_grads(model: Line, x: float, y: float) -> dict[str, float]:
    r = model.w.data * x + model.b.data - y
    return {"w": 2 * r * x, "b": 2 * r}


def test_duck_typed_module_and_both_data_forms() -> None:
    model = Line(0.5, -1.0)
    x = np.linspace(-2, 2, 7)
    assert assert_parameter_gradients(line_loss, line_grads, model, (x, 3 * x)) == Checked(7, 0)
    assert assert_parameter_gradients(line_loss, line_grads, model,
                                      [(1.0, 2.0), (np.float64(2.0), 1)]) == Checked(2, 0)


@pytest.mark.parametrize("grads", [
    lambda m, x, y: {"w": 1.0, "b": 2.0},                       # wrong: a mismatch
    lambda m, x, y: {"w": 1.0},                                 # missing name
    lambda m, x, y: {**line_grads(m, x, y), "c": 0.0} if x > 0 else line_grads(m, x, y),
])
def test_module_state_is_left_exactly_as_it_was(grads: Callable[..., Any]) -> None:
    model = Line(0.5, -1.0)
    model.w.grad, model.b.grad = 0.25, Value(3.0)
    with pytest.raises((GradientMismatch, ValueError)):
        assert_parameter_gradients(line_loss, grads, model, [(-1.0, 0.0), (2.0, 1.0)])
    assert (model.w.data, model.b.data, model.w.grad) == (0.5, -1.0, 0.25)
    assert model.b.grad.data == 3.0


def test_a_failing_loss_leaves_the_parameters_unchanged() -> None:
    model = Line(0.5, -1.0)
    calls = []

    def loss(m: Line, x: float, y: float) -> Value:
        calls.append(m.w.data)
        if len(calls) > 2:  # fails in the middle of the central differences
            raise RuntimeError("boom")
        return line_loss(m, x, y)

    with pytest.raises(RuntimeError, match="boom"):
        assert_parameter_gradients(loss, lambda m, x, y: {"w": 0.0, "b": 0.0}, model,
                                   [(1.0, 0.0)])
    assert calls[2] != 0.5 and model.w.data == 0.5 and model.w.grad == 0.0


def test_names_must_match_the_parameters() -> None:
    with pytest.raises(ValueError, match=r"named_parameters\(\); missing: b; unknown: c, d"
                       ) as info:
        assert_parameter_gradients(line_loss, lambda m, x, y: {"w": 0.0, "c": 0.0, "d": 1.0},
                                   Line(1, 1), [(1.0, 0.0)])
    assert info.value.__notes__ == ["assert_parameter_gradients: raised while checking "
                                    "example 0: x = 1.0, y = 0.0"]
    with pytest.raises(TypeError, match=r"grads\['w'\] is a Value"):
        assert_parameter_gradients(line_loss, lambda m, x, y: {"w": m.w, "b": 0.0},
                                   Line(1, 1), [(1.0, 0.0)])
    with pytest.raises(TypeError, match="grads must return a mapping"):
        assert_parameter_gradients(line_loss, lambda m, x, y: [0.0, 0.0], Line(1, 1),
                                   [(1.0, 0.0)])


@pytest.mark.parametrize(("module", "data", "error", "match"), [
    (Line(1, 1), [], ValueError, "data holds no examples"),
    (Line(1, 1), [(1.0, 2.0, 3.0)], TypeError, r"\(x, y\) pairs .* item 0 is \(1.0, 2.0, 3.0\)"),
    (Line(1, 1), (np.zeros(3), np.zeros(2)), ValueError, "X has 3 rows but Y has 2"),
    (object(), [(1.0, 2.0)], TypeError, "module must have named_parameters"),
])
def test_bad_modules_and_data_are_refused(module: Any, data: Any, error: type[Exception],
                                          match: str) -> None:
    with pytest.raises(error, match=match):
        assert_parameter_gradients(line_loss, line_grads, module, data)


def test_examples_outside_the_loss_domain_are_skipped() -> None:
    def loss(m: Line, x: float, y: float) -> Value:
        return (m.w * x).log()

    def grads(m: Line, x: float, y: float) -> dict[str, float]:
        return {"w": 1 / m.w.data, "b": 0.0}

    data = [(x, 0.0) for x in (-1.0, 1.0, 2.0, 0.0)]
    assert assert_parameter_gradients(loss, grads, Line(0.5, 0), data) == Checked(2, 2)
    with pytest.raises(ValueError, match=r"domain error at all 2 examples.*log"):
        assert_parameter_gradients(loss, grads, Line(0.5, 0), data[::3])


def test_parameter_gradients_are_asked_for_only_where_the_loss_is_defined() -> None:
    """As in assert_gradient: an example outside the loss's domain is skipped, and the hand
    derivation is not called there (it may fail there too, e.g. a division by zero)."""

    class One:
        def __init__(self) -> None:
            self.w = Value(2.0)

        def named_parameters(self) -> list[tuple[str, Value]]:
            return [("w", self.w)]

    def loss(m: One, x: float, y: float) -> Value:
        return (m.w * x).log()

    def grads(m: One, x: float, y: float) -> dict[str, float]:
        return {"w": x / (m.w.data * x)}  # d log(w x)/dw = x/(w x): fails at x = 0 too

    assert assert_parameter_gradients(loss, grads, One(), [(1.0, 0.0), (0.0, 0.0), (3.0, 0.0)]
                                      ) == Checked(2, 1)


def test_the_real_error_of_the_loss_is_raised_not_a_domain_error() -> None:
    """A shape mismatch in the loss is a plain ValueError: it propagates, naming the example."""
    net = TwoLayerNet(2, 3, 1, rng=0)
    with pytest.raises(ValueError, match="1 outputs but 2 targets") as info:
        assert_parameter_gradients(lambda n, x, y: n.loss(n(x), y, "squared"),
                                   lambda n, x, y: {}, net, (np.zeros((3, 2)), np.zeros((3, 2))))
    assert info.value.__notes__ == ["assert_parameter_gradients: raised while checking "
                                    "example 0: x = [0.0, 0.0], y = [0.0, 0.0]"]


def test_parameter_check_stops_at_its_deadline_naming_the_example() -> None:
    def slow(m: Line, x: float, y: float) -> Value:
        time.sleep(0.02)
        return line_loss(m, x, y)

    with pytest.raises(TimeoutError, match=r"stopped by its deadline of 0\.03 s, on example 1: "
                       r"x = 1\.0, y = 3\.0 \(2 compared"):
        assert_parameter_gradients(slow, line_grads, Line(0.5, -1.0),
                                   [(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)], deadline=0.03)


def test_parameter_report_names_the_example_and_the_parameters() -> None:
    with pytest.raises(GradientMismatch) as info:
        assert_parameter_gradients(line_loss, lambda m, x, y: {"w": 0.0, "b": 2 * (
            m.w.data * x + m.b.data - y)}, Line(0.5, -1.0), [(0.0, 1.0), (2.0, 1.0)])
    text = str(info.value)
    assert text.splitlines()[:2] == [
        "hand-derived parameter gradients disagree with autodiff on example 1: x = 2.0, y = 1.0",
        "  1 of 2 examples disagree; rtol=1e-10, atol=1e-12"]
    assert [line.split()[:2] for line in text.splitlines()[3:6]] == [
        ["parameter", "hand"], ["w", "✗"], ["b", "-2"]]
    assert info.value.point == (2.0, 1.0)
