"""Tests for nn/derivation.py: the lecture's net checked against its δ/s derivation.

The derivation of ESL eqs. 11.14-11.15 passes for every pairing of loss and output; each
classic mistake is caught, diagnosed by autograd.testing in general terms, and read in the
lecture's terms (δ_k, s_m) in the notes under the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.testing import Checked, Diagnosis, GradientMismatch
from nn import TwoLayerNet
from nn.derivation import assert_backprop, lecture_reading

Grads = Callable[[TwoLayerNet, Any, Any], dict[str, float]]

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


def lecture_data(loss: str, n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    y = rng.uniform(0, 1, (n, k)) if loss == "cross_entropy" else rng.standard_normal((n, k))
    return x, y


@pytest.mark.parametrize(("loss", "output"), PAIRINGS)
def test_lecture_derivation_passes_over_hundreds_of_examples(loss: str, output: str) -> None:
    net = TwoLayerNet(3, 4, 2, output, rng=0)
    data = lecture_data(loss, 300, 3, 2, seed=1)
    assert assert_backprop(net, lecture_grads(loss), data, loss=loss) == Checked(300, 0)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2 ** 32 - 1),
       st.sampled_from(PAIRINGS))
def test_lecture_derivation_passes_on_drawn_nets(p: int, m: int, k: int, seed: int,
                                                  pairing: tuple[str, str]) -> None:
    loss, output = pairing
    net = TwoLayerNet(p, m, k, output, rng=seed, init_range=2.0)
    x, y = lecture_data(loss, 10, p, k, seed)
    assert assert_backprop(net, lecture_grads(loss), list(zip(x, y, strict=True)),
                           loss=loss).checked == 10


MISTAKES = [  # mistake, pairing, diagnoses, parameters named as disagreeing, the reading
    ("sigma_for_sigma_prime", "squared", "identity", {"sigma_for_sigma_prime", "confined"},
     "alpha", "σ′ in s_m = σ′(α_0m + α_mᵀx) Σ_k β_km δ_k is z_m (1 − z_m)"),
    ("intercept_dropped", "squared", "identity", {"row_factor", "confined"}, "alpha",
     "the intercept α_0m inside σ′"),
    ("intercept_dropped", "cross_entropy", "softmax", {"row_factor", "confined"}, "alpha",
     "the intercept α_0m inside σ′"),
    ("beta_off_by_one", "squared", "identity", {"row_factor", "confined"}, "alpha",
     "β's columns 1..M in the sum"),
    ("beta_shifted", "squared", "identity", {"shift", "confined"}, "beta",
     "z_0 = 1 in column 0"),
    ("diagonal_softmax", "squared", "softmax", {"row_factor"}, "alpha beta",
     "δ needs the softmax's full Jacobian"),
    ("factor", "squared", "identity", {"factor"}, "alpha beta",
     "δ_k = −2(y_k − f_k)"),
]


@pytest.mark.parametrize(("mistake", "loss", "output", "diagnoses", "groups", "reading"),
                         MISTAKES)
def test_classic_mistakes_are_caught_diagnosed_and_read(
        mistake: str, loss: str, output: str, diagnoses: set[str], groups: str,
        reading: str) -> None:
    net = TwoLayerNet(3, 4, 3, output, rng=0, init_range=1.5)
    with pytest.raises(GradientMismatch) as info:
        assert_backprop(net, lecture_grads(loss, mistake), lecture_data(loss, 50, 3, 3, seed=2),
                        loss=loss)
    err = info.value
    assert {d.kind for d in err.diagnosis} == diagnoses
    assert {r.name.split(".")[0] for r in err.rows if not r.ok} == set(groups.split())
    assert err.wrong_side == "hand"
    assert any(reading in note for note in err.__notes__)
    assert all(note.startswith("in the lecture's net: ") for note in err.__notes__)
    if mistake == "factor":
        assert err.diagnosis[0].factor == 0.5
    if mistake == "beta_shifted":
        assert "hand beta.0.0 = autodiff beta.0.1" in str(err)


def test_sigma_for_sigma_prime_is_named_for_every_alpha_whatever_the_sigmoid() -> None:
    """Each α_m's ratio is 1/(1 − z_m) with its own hidden unit's z_m: one diagnosis."""
    net = TwoLayerNet(2, 3, 1, rng=0, init_range=1.5)
    with pytest.raises(GradientMismatch) as info:
        assert_backprop(net, lecture_grads("squared", "sigma_for_sigma_prime"),
                        lecture_data("squared", 20, 2, 1, seed=3))
    [sigma] = [d for d in info.value.diagnosis if d.kind == "sigma_for_sigma_prime"]
    assert sigma.names == tuple(f"alpha.{m}.{j}" for m in range(3) for j in range(3))


def test_report_names_the_example_and_parameters() -> None:
    net = TwoLayerNet(1, 1, 1, rng=0)
    x, y = [0.5], [1.0]
    with pytest.raises(GradientMismatch) as info:
        assert_backprop(net, lecture_grads("squared", "sigma_for_sigma_prime"), [(x, y)])
    text = str(info.value)
    assert text.startswith("hand-derived parameter gradients disagree with autodiff on "
                           "example 0: x = [0.5], y = [1.0]\n  1 of 1 examples disagree")
    assert [line.split()[0] for line in text.splitlines()[3:8]] == [
        "parameter", "alpha.0.0", "alpha.0.1", "beta.0.0", "beta.0.1"]
    assert info.value.point == (x, y)


def test_a_loss_that_does_not_pair_with_the_output_is_refused() -> None:
    with pytest.raises(ValueError, match="loss='cross_entropy' needs output='softmax'"):
        assert_backprop(TwoLayerNet(1, 1, 1, rng=0), lecture_grads("cross_entropy"),
                        [([0.5], [1.0])], loss="cross_entropy")


def test_the_reading_leaves_out_what_the_lecture_does_not_explain() -> None:
    assert lecture_reading([Diagnosis("one_sign", "…", ("alpha.0.0",)),
                            Diagnosis("factor", "…", ("beta.0.0",), 2.0),
                            Diagnosis("confined", "…", ("beta.0.0",))]) == []
