"""Tests for nn/losses.py: values and gradients in closed form, stability at ±1000, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn.backprop as bp
from autograd import Value, gradcheck
from nn.losses import (
    REGISTRY,
    cross_entropy,
    hinge,
    log_softmax,
    penalty,
    softmax,
    squared_error,
    total,
    weight_decay,
    weight_elimination,
)

finite = st.floats(-5.0, 5.0, allow_nan=False)


def leaves(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def test_total_folds_without_a_zero_node() -> None:
    a, b, c = leaves([1.0, 2.0, 4.0])
    out = total([a, b, c])
    assert out.data == 7.0
    assert out.parents[1] is c
    assert out.parents[0].parents == (a, b)
    assert total([a]) is a
    with pytest.raises(ValueError, match="empty"):
        total([])


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=5))
def test_squared_error_value_and_gradient(pairs: list[tuple[float, float]]) -> None:
    f = leaves([p for p, _ in pairs])
    y = [t for _, t in pairs]
    loss = squared_error(f, y)
    assert loss.data == pytest.approx(sum((t - p) ** 2 for p, t in pairs), rel=1e-12, abs=1e-12)
    loss.backward()
    for fk, yk in zip(f, y, strict=True):
        assert fk.grad == pytest.approx(-2.0 * (yk - fk.data), rel=1e-12, abs=1e-12)


@given(st.lists(finite, min_size=1, max_size=5), st.data())
def test_cross_entropy_value_and_gradient(t_data: list[float], data: st.DataObject) -> None:
    y = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(t_data), max_size=len(t_data)))
    t = leaves(t_data)
    loss = cross_entropy(t, y)
    arr = np.array(t_data)
    f = np.exp(arr - arr.max()) / np.exp(arr - arr.max()).sum()
    assert loss.data == pytest.approx(-(np.array(y) * np.log(f)).sum(), rel=1e-12, abs=1e-12)
    loss.backward()
    expected = f * sum(y) - np.array(y)  # f − y when y sums to one
    np.testing.assert_allclose([tk.grad for tk in t], expected, rtol=1e-12, atol=1e-12)


@given(st.lists(finite, min_size=1, max_size=5))
def test_softmax_and_log_softmax_agree_with_numpy(t_data: list[float]) -> None:
    arr = np.array(t_data)
    shifted = np.exp(arr - arr.max())
    f = [v.data for v in softmax(leaves(t_data))]
    np.testing.assert_allclose(f, shifted / shifted.sum(), rtol=1e-13)
    assert math.fsum(f) == pytest.approx(1.0, abs=1e-15)
    log_f = [v.data for v in log_softmax(leaves(t_data))]
    np.testing.assert_allclose(log_f, np.log(shifted / shifted.sum()), rtol=1e-12, atol=1e-14)


def test_softmax_gradient_is_the_full_jacobian() -> None:
    t = leaves([0.3, -1.2, 2.0])
    f = softmax(t)
    f[1].backward()
    fd = [v.data for v in f]
    expected = [fd[1] * ((1.0 if k == 1 else 0.0) - fd[k]) for k in range(3)]
    np.testing.assert_allclose([tk.grad for tk in t], expected, rtol=1e-13)
    assert t[0].grad != 0.0  # off-diagonal terms are real


def test_cross_entropy_is_stable_at_pm_1000() -> None:
    t = leaves([1000.0, -1000.0])
    loss = cross_entropy(t, [0.0, 1.0])
    assert loss.data == 2000.0
    loss.backward()
    assert [tk.grad for tk in t] == [1.0, -1.0]
    assert [v.data for v in log_softmax(leaves([1000.0, -1000.0]))] == [0.0, -2000.0]
    assert [v.data for v in softmax(leaves([1000.0, -1000.0]))] == [1.0, 0.0]
    assert cross_entropy(leaves([1000.0, -1000.0]), [1.0, 0.0]).data == 0.0


def test_losses_pass_gradcheck() -> None:
    y = [0.2, 0.7, 0.1]
    gradcheck(lambda *t: cross_entropy(list(t), y), [0.5, -0.3, 1.4])
    gradcheck(lambda *f: squared_error(list(f), y), [0.5, -0.3, 1.4])
    gradcheck(lambda *t: squared_error(softmax(list(t)), y), [0.5, -0.3, 1.4])


@given(st.lists(finite, min_size=1, max_size=6), st.floats(0.0, 3.0))
def test_penalties_value_and_gradient(ws: list[float], lam: float) -> None:
    w = leaves(ws)
    decay = weight_decay(w, lam)
    assert decay.data == pytest.approx(lam * sum(x * x for x in ws), rel=1e-12, abs=1e-300)
    decay.backward()
    np.testing.assert_allclose([v.grad for v in w], [2 * lam * x for x in ws], rtol=1e-12)
    w = leaves(ws)
    elim = weight_elimination(w, lam)
    expected = lam * sum(x * x / (1 + x * x) for x in ws)
    assert elim.data == pytest.approx(expected, rel=1e-12, abs=1e-300)
    elim.backward()
    np.testing.assert_allclose(
        [v.grad for v in w], [2 * lam * x / (1 + x * x) ** 2 for x in ws], rtol=1e-12, atol=1e-300
    )


def test_penalty_dispatch() -> None:
    w = leaves([0.5, -2.0])
    assert penalty(w, None, 0.0) is None
    assert penalty(w, "weight_decay", 0.5).data == 0.5 * 4.25
    assert penalty(w, "weight_elimination", 1.0).data == pytest.approx(0.2 + 0.8, rel=1e-15)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: squared_error(leaves([1.0, 2.0]), [1.0]), ValueError, "2 outputs but 1 targets"),
        (lambda: squared_error([], []), ValueError, "at least one output"),
        (lambda: cross_entropy(leaves([1.0]), [1.0, 0.0]), ValueError, "1 outputs but 2"),
        (lambda: softmax([]), ValueError, "at least one input"),
        (lambda: log_softmax([]), ValueError, "at least one input"),
        (lambda: weight_decay([], 1.0), ValueError, "at least one weight"),
        (lambda: weight_decay(leaves([1.0]), -0.1), ValueError, "lam must be finite and >= 0"),
        (lambda: weight_decay(leaves([1.0]), math.inf), ValueError, "lam must be finite"),
        (lambda: weight_decay(leaves([1.0]), math.nan), ValueError, "lam must be finite"),
        (lambda: weight_elimination(leaves([1.0]), "1"), TypeError, "lam must be a real number"),
        (lambda: penalty(leaves([1.0]), "l1", 1.0), ValueError, "penalty must be one of"),
        (lambda: penalty(leaves([1.0]), None, 0.1), ValueError, "penalty=None"),
        (lambda: penalty(leaves([1.0]), None, True), TypeError, "real number, got bool"),
    ],
)
def test_errors(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]


def test_the_registry_and_the_closed_form_know_the_same_losses_and_pairings() -> None:
    """Training's losses by name and nn.backprop's own δ formulas: the same names and pairs."""
    alpha, beta = np.array([[0.1, 0.2]]), np.array([[0.3, -0.4], [0.5, 0.6]])
    x, y = np.array([[1.0]]), np.array([[0.0, 1.0]])
    closed = set()
    for loss in ("squared", "cross_entropy", "hinge", "absolute"):
        for output in ("identity", "softmax", "tanh"):
            try:
                bp.risk(alpha, beta, x, y, loss=loss, output=output)
            except ValueError:
                continue
            closed.add((loss, output))
    assert closed == {(name, g) for name, named in REGISTRY.items() for g in named.outputs}
    assert set(bp.LOSSES) == {name for name, named in REGISTRY.items() if named.outputs}
    assert {name: named.fn for name, named in REGISTRY.items()} == {
        "squared": squared_error, "cross_entropy": cross_entropy, "hinge": hinge}
    with pytest.raises(TypeError):
        REGISTRY["l1"] = REGISTRY["squared"]  # type: ignore[index]
