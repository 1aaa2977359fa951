"""Tests for autograd/testing.py: checking hand derivations against autodiff.

Every search test runs twice, with hypothesis and without it (``sys.modules["hypothesis"]``
set to None for the test, so the import inside the search fails as on a machine without it).
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
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
    assert kinds(err) == {"function_value"}
    assert "σ written for σ′" in str(err)


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
])
def test_bad_arguments_are_refused(kwargs: dict[str, Any], error: type[Exception],
                                   match: str) -> None:
    with pytest.raises(error, match=match):
        assert_gradient(lambda x: x * x, lambda x: 2 * x, **kwargs)


@pytest.mark.parametrize(("f", "grad_f", "error", "match"), [
    (lambda x: x, lambda: 1.0, TypeError, r"grad_f\(\) cannot take 1 argument"),
    (lambda x: x.data, lambda x: 1.0, TypeError, "f must return a Value .* got float"),
    (lambda x: x, lambda x: (1.0, 2.0), ValueError, r"grad_f returned 2 value\(s\) for 1 "),
    (lambda x: x, lambda x: Value(1.0), TypeError, "grad_f's value for x is a Value"),
    (lambda x: x, lambda x: "1", TypeError, "grad_f must return 1 number"),
    (lambda x: x, lambda x: ["1"], TypeError, "grad_f's value for x must be a real number"),
    (lambda x: x, lambda x: None, TypeError, "grad_f must return 1 number.*NoneType"),
])
def test_bad_functions_are_refused(search: str, f: Callable[..., Any],
                                   grad_f: Callable[..., Any], error: type[Exception],
                                   match: str) -> None:
    with pytest.raises(error, match=match):
        assert_gradient(f, grad_f, points=[0.5])
    with pytest.raises(error, match=match) as info:  # the same error from a search, plainly
        check(search, f, grad_f, domain=(-1, 1))
    assert not getattr(info.value, "__notes__", None)


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


# --- assert_parameter_gradients: the lecture's net --------------------------------------

PAIRINGS = [("squared", "identity"), ("cross_entropy", "softmax"), ("squared", "softmax")]


def lecture_grads(loss: str, mistake: str | None = None) -> Grads:
    """The δ/s derivation (ESL eqs. 11.14-11.15), optionally with one classic mistake."""

    def grads(net: TwoLayerNet, x: Any, y: Any) -> dict[str, float]:
        alpha, beta = net.to_arrays()
        x1 = np.r_[1.0, x]                                   # x_0 = 1
        z = 1 / (1 + np.exp(-alpha @ x1))                    # z_m = σ(α_0m + α_mᵀx)
        z1 = np.r_[1.0, z]                                   # z_0 = 1
        t = beta @ z1
        f = np.exp(t - t.max()) / np.exp(t - t.max()).sum() if net.output == "softmax" else t
        y = np.asarray(y)
        if loss == "cross_entropy":
            delta = f * y.sum() - y
        elif net.output == "softmax":
            e = -2 * (y - f)
            delta = (f * (e - e @ f) if mistake != "diagonal_softmax"
                     else -2 * (y - f) * f * (1 - f))
        else:
            delta = -(y - f) if mistake == "factor" else -2 * (y - f)
        sigma_prime = z * (1 - z)
        if mistake == "sigma_for_sigma_prime":
            sigma_prime = z
        if mistake == "intercept_dropped":
            z_no_intercept = 1 / (1 + np.exp(-alpha[:, 1:] @ np.asarray(x)))
            sigma_prime = z_no_intercept * (1 - z_no_intercept)
        b = beta[:, :-1] if mistake == "beta_off_by_one" else beta[:, 1:]
        s = sigma_prime * (b.T @ delta)
        columns = np.r_[z, 1.0] if mistake == "beta_shifted" else z1
        return {**{f"alpha.{m}.{j}": v for (m, j), v in np.ndenumerate(np.outer(s, x1))},
                **{f"beta.{k}.{m}": v for (k, m), v in np.ndenumerate(np.outer(delta, columns))}}

    return grads


def lecture_loss(loss: str) -> Callable[[TwoLayerNet, Any, Any], Value]:
    return lambda net, x, y: net.loss(net(x), y, loss)


def lecture_data(loss: str, n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    y = rng.uniform(0, 1, (n, k)) if loss == "cross_entropy" else rng.standard_normal((n, k))
    return x, y


@pytest.mark.parametrize(("loss", "output"), PAIRINGS)
def test_lecture_derivation_passes_over_hundreds_of_examples(loss: str, output: str) -> None:
    net = TwoLayerNet(3, 4, 2, output, rng=0)
    data = lecture_data(loss, 300, 3, 2, seed=1)
    assert assert_parameter_gradients(lecture_loss(loss), lecture_grads(loss), net,
                                      data) == Checked(300, 0)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2 ** 32 - 1),
       st.sampled_from(PAIRINGS))
def test_lecture_derivation_passes_on_drawn_nets(p: int, m: int, k: int, seed: int,
                                                  pairing: tuple[str, str]) -> None:
    loss, output = pairing
    net = TwoLayerNet(p, m, k, output, rng=seed, init_range=2.0)
    x, y = lecture_data(loss, 10, p, k, seed)
    pairs = list(zip(x, y, strict=True))
    assert assert_parameter_gradients(lecture_loss(loss), lecture_grads(loss), net,
                                      pairs).checked == 10


MISTAKES = [  # mistake, pairing, diagnoses, parameters named as disagreeing
    ("sigma_for_sigma_prime", "squared", "identity", {"row_factor", "confined"}, "alpha"),
    ("intercept_dropped", "squared", "identity", {"row_factor", "confined"}, "alpha"),
    ("intercept_dropped", "cross_entropy", "softmax", {"row_factor", "confined"}, "alpha"),
    ("beta_off_by_one", "squared", "identity", {"row_factor", "confined"}, "alpha"),
    ("beta_shifted", "squared", "identity", {"shift", "confined"}, "beta"),
    ("diagonal_softmax", "squared", "softmax", {"row_factor"}, "alpha beta"),
    ("factor", "squared", "identity", {"factor"}, "alpha beta"),
]


@pytest.mark.parametrize(("mistake", "loss", "output", "diagnoses", "groups"), MISTAKES)
def test_classic_mistakes_are_caught_and_diagnosed(
        mistake: str, loss: str, output: str, diagnoses: set[str], groups: str) -> None:
    net = TwoLayerNet(3, 4, 3, output, rng=0, init_range=1.5)
    with pytest.raises(GradientMismatch) as info:
        assert_parameter_gradients(lecture_loss(loss), lecture_grads(loss, mistake), net,
                                   lecture_data(loss, 50, 3, 3, seed=2))
    err = info.value
    assert kinds(err) == diagnoses
    bad = {r.name.split(".")[0] for r in err.rows if not r.ok}
    assert bad == set(groups.split())
    assert err.wrong_side == "hand"
    if mistake == "factor":
        assert err.diagnosis[0].factor == 0.5
    if mistake == "beta_shifted":
        assert "hand beta.0.0 = autodiff beta.0.1" in str(err)


def test_parameter_report_names_the_example_and_parameters() -> None:
    net = TwoLayerNet(1, 1, 1, rng=0)
    x, y = [0.5], [1.0]
    with pytest.raises(GradientMismatch) as info:
        assert_parameter_gradients(lecture_loss("squared"),
                                   lecture_grads("squared", "sigma_for_sigma_prime"), net,
                                   [(x, y)])
    text = str(info.value)
    assert text.startswith("hand-derived parameter gradients disagree with autodiff on "
                           "example 0: x = [0.5], y = [1.0]\n  1 of 1 examples disagree")
    assert [line.split()[0] for line in text.splitlines()[3:8]] == [
        "parameter", "alpha.0.0", "alpha.0.1", "beta.0.0", "beta.0.1"]
    assert info.value.point == (x, y)


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
    with pytest.raises(ValueError, match=r"\(example 0\); missing: b; unknown: c, d"):
        assert_parameter_gradients(line_loss, lambda m, x, y: {"w": 0.0, "c": 0.0, "d": 1.0},
                                   Line(1, 1), [(1.0, 0.0)])
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
    with pytest.raises(ValueError, match="domain error on all 2 examples"):
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
