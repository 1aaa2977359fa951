"""Tests for nn/notation.py: the lecture's names as Unicode labels."""

from __future__ import annotations

from nn.notation import numbered, sub, sup, two_layer_names


def test_subscripts_and_superscripts() -> None:
    assert sub(0, 1) == "₀₁" and sub(12) == "₁₂" and sub() == ""
    assert sub(1, 12) == "₁,₁₂"  # not α₁₁₂, which could be α₁₁,₂
    assert sup(2) == "²" and sup(10) == "¹⁰"
    assert numbered("y", 3) == ("y₁", "y₂", "y₃")


def test_the_lecture_net_names() -> None:
    names = two_layer_names(2, 2, 1)
    assert names.alpha == (("α₀₁", "α₁₁", "α₁₂"), ("α₀₂", "α₂₁", "α₂₂"))
    assert names.beta == (("β₀₁", "β₁₁", "β₁₂"),)
    assert names.alpha_terms[1] == ("α₂₁x₁", "α₂₂x₂")
    assert names.alpha_sums[0] == ("α₀₁ + α₁₁x₁", "α₀₁ + α₁ᵀx")
    assert names.beta_sums == (("β₀₁ + β₁₁Z₁", "T₁"),)
    assert (names.x, names.y, names.z, names.f, names.loss) == (
        ("x₁", "x₂"), ("y₁",), ("Z₁", "Z₂"), ("f₁",), "Rᵢ")
    assert two_layer_names(2, 2, 1) is names  # built once


def test_long_sums_are_shortened_and_big_indices_separated() -> None:
    names = two_layer_names(12, 1, 1)
    assert names.alpha_sums[0][:3] == ("α₀₁ + α₁₁x₁", "α₀₁ + α₁₁x₁ + α₁₂x₂",
                                       "α₀₁ + α₁₁x₁ + … + α₁₃x₃")
    assert names.alpha_sums[0][-1] == "α₀₁ + α₁ᵀx"
    assert names.alpha[0][10:] == ("α₁,₁₀", "α₁,₁₁", "α₁,₁₂")
    assert names.alpha_terms[0][-1] == "α₁,₁₂x₁₂"
