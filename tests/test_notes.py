"""Tests for nn/notes.py: δ_k, s_m and the weights' gradients named on the lecture's graph.

The notes' numbers come from nn.backprop's closed form; here they are checked against that
closed form and against what the backward pass computes at the step that completes each
node, for every loss/output pairing and over drawn nets and observations.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.backprop as bp
from autograd import Value, topological_order
from autograd.viz import Note, backward_frames, backward_page, to_dot
from nn import TwoLayerNet
from nn.notes import delta_formula

PAIRINGS = [("squared", "identity"), ("squared", "softmax"), ("cross_entropy", "softmax")]


def observation(loss: str, output: str, seed: int = 0, p: int = 2, m: int = 2, k: int = 1
                ) -> tuple[TwoLayerNet, Value, dict[Value, Note], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(p, m, k, output, rng=rng)
    x = rng.standard_normal(p).round(3).tolist()
    y = (np.eye(k)[rng.integers(k)] if loss == "cross_entropy"
         else rng.standard_normal(k).round(3)).tolist()
    fwd = net.forward(x)
    r_i = net.loss(fwd, y, loss)
    return net, r_i, net.notes(fwd, x, y, loss), x, y


def test_the_lecture_example_reads_like_the_notes() -> None:
    """Issue 19's example: TwoLayerNet(2, 2, 1, rng=0), x = (0.5, −1), y = 0.3."""
    net = TwoLayerNet(2, 2, 1, rng=0)
    x, y = [0.5, -1.0], [0.3]
    fwd = net.forward(x)
    r_i = net.loss(fwd, y)
    frames = backward_frames(r_i, parameters=net.parameters(), notes=net.notes(fwd, x, y))
    assert len(frames) == 25
    assert frames[2].text == "∂Rᵢ/∂T₁ += ∂Rᵢ/∂n26 · ∂(y₁ − T₁)/∂T₁ = -0.1561 · -1 = 0.1561"
    assert frames[2].note == "δ₁ = ∂Rᵢ/∂T₁ = −2(y₁ − f₁) = 0.1561  (nn.backprop: 0.1561)"
    notes = {f.step: f.note for f in frames if f.note}
    assert notes[18] == ("s₁ = ∂Rᵢ/∂(α₀₁ + α₁ᵀx) = σ′(α₀₁ + α₁ᵀx) Σₖ βₖ₁ δₖ = 0.01122  "
                         "(nn.backprop: 0.01122)")
    assert notes[16] == "∂Rᵢ/∂β₁₁ = δ₁ z₁ = 0.1034  (nn.backprop: 0.1034)"
    assert notes[14] == "∂Rᵢ/∂β₀₁ = δ₁ z₀ = δ₁ (z₀ = 1) = 0.1561  (nn.backprop: 0.1561)"
    assert notes[24] == "∂Rᵢ/∂α₁₁ = s₁ x₁ = 0.00561  (nn.backprop: 0.00561)"
    assert notes[22] == "∂Rᵢ/∂α₀₁ = s₁ x₀ = s₁ (x₀ = 1) = 0.01122  (nn.backprop: 0.01122)"
    assert len(notes) == 2 + 9 + 1  # s₁, s₂, nine weights, δ₁
    assert frames[18].text == ("∂Rᵢ/∂(α₀₁ + α₁ᵀx) += ∂Rᵢ/∂Z₁ · σ′(α₀₁ + α₁ᵀx) = 0.05016 · "
                               "0.2237 = 0.01122")


@pytest.mark.parametrize(("loss", "output"), PAIRINGS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 3), m=st.integers(1, 3),
       k=st.integers(1, 3))
def test_notes_agree_with_the_closed_form_and_the_backward_pass(
        loss: str, output: str, seed: int, p: int, m: int, k: int) -> None:
    if output == "softmax" and k == 1:
        k = 2
    net, r_i, notes, x, y = observation(loss, output, seed, p, m, k)
    alpha, beta = net.to_arrays()
    closed = bp.forward(alpha, beta, [x], output)
    delta = bp.output_errors(closed, [y], loss, output)[0]
    s = bp.hidden_errors(closed, beta, [delta])[0]
    g_alpha, g_beta = bp.gradients(alpha, beta, [x], [y], loss=loss, output=output,
                                   penalty=None)
    by_text = {note.text.split(" = ")[0]: note for note in notes.values()}
    for j in range(k):
        assert by_text[f"δ{'₁₂₃'[j]}"].value == delta[j]
    for j in range(m):
        assert by_text[f"s{'₁₂₃'[j]}"].value == s[j]
    weights = [n for n in notes.values() if n.text.startswith("∂")]
    assert sorted(n.value for n in weights) == sorted([*g_alpha.ravel(), *g_beta.ravel()])
    # At the step completing each noted node, the backward pass's value is the closed form's.
    frames = backward_frames(r_i, notes=notes)
    completed = {}
    for f in frames:
        completed[f.parent if f.parent is not None else f.node] = f
    order = topological_order(r_i)
    for node, note in notes.items():
        frame = completed[order.index(node)]
        assert frame.note.startswith(note.text)
        assert frame.grads[order.index(node)] == pytest.approx(note.value, rel=1e-12, abs=1e-15)
        assert "differs" not in frame.note
    r_i.backward()
    for node, note in notes.items():
        assert node.grad == pytest.approx(note.value, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("loss", "output", "text"), [
    ("squared", "identity", "−2(y₁ − f₁)"),
    ("squared", "softmax", "f₁(e₁ − Σⱼ eⱼfⱼ), eⱼ = −2(yⱼ − fⱼ)"),
    ("cross_entropy", "softmax", "f₁ − y₁"),
])
def test_delta_is_written_per_loss_and_output(loss: str, output: str, text: str) -> None:
    _, _, notes, _, _ = observation(loss, output, k=2)
    deltas = [n.text for n in notes.values() if n.text.startswith("δ₁")]
    assert deltas == [f"δ₁ = ∂Rᵢ/∂T₁ = {text}"]
    assert delta_formula(2, "cross_entropy", "softmax", [0.5, 0.7]) == "f₂ Σⱼ yⱼ − y₂"


def test_notes_show_in_the_svg_tooltips_and_the_page() -> None:
    net, r_i, notes, _, _ = observation("squared", "identity")
    r_i.backward()
    tooltips = to_dot(r_i, notes=notes).source
    assert tooltips.count("tooltip=") == len(notes) == 2 + 1 + 6 + 3
    assert 'tooltip="δ₁ = ∂Rᵢ/∂T₁ = −2(y₁ − f₁) = ' in tooltips
    page = backward_page(r_i, notes=notes, parameters=net.parameters()).html
    assert page.count("(nn.backprop: ") == len(notes)  # each at the step completing its node


def test_notes_need_a_forward_pass_of_the_same_net() -> None:
    net = TwoLayerNet(2, 2, 1, rng=0)
    other = TwoLayerNet(2, 3, 1, rng=0)
    with pytest.raises(ValueError, match="fwd has 3 hidden units and 1 outputs; the net has "
                                         "M = 2, K = 1"):
        net.notes(other.forward([0.5, -1.0]), [0.5, -1.0], [0.3])
    with pytest.raises(ValueError, match="cross_entropy"):
        net.notes(net.forward([0.5, -1.0]), [0.5, -1.0], [0.3], "cross_entropy")
