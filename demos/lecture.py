"""The lecture's walk-through (ESL §11.3–11.6), run by ``make demo``.

(a) One observation through a small net: the back-propagation errors δ_k and s_m from the
    closed form (``nn/backprop.py``) next to the autodiff ``.grad`` of T_k and of the hidden
    pre-activations, then every ∂R_i/∂β and ∂R_i/∂α side by side with the largest relative
    difference.
(b) The computation graph of that R_i as SVG and the step-by-step backward pass as HTML.
(c) Batch gradient descent with weight decay on the "sum of sigmoids" data of §11.6, with
    training and test error relative to the Bayes error; then online learning (one observation
    per update) with a decreasing rate γ_r = γ_0 τ/(τ + r) for comparison.
(d) A plot of the training curve.
(e) Softmax + cross-entropy on a two-class problem.

No arguments; everything is written into ``out/`` (``--out DIR`` to change). The seed is
fixed (``SEED``) so that the printed numbers repeat. λ is on the book's scale: the criterion
is R + λJ with R = Σ_i R_i a sum over observations.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autograd import viz
from autograd.atomic import make_folder, write_atomically
from nn import backprop
from nn.data import (
    SIGNAL_TO_NOISE,
    population_variance,
    regression_function,
    simulate,
    two_class,
)
from nn.observers import Epoch, History
from nn.rng import INIT_RANGE
from nn.train import fit
from nn.two_layer import TwoLayerNet

SEED = 2009


def _rel(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|), and 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0.0 else abs(a - b) / scale


def _weight_rows(closed: np.ndarray, autodiff: np.ndarray) -> float:
    """Print closed form vs autodiff for each weight (column 0: the intercept); return the worst."""
    worst = 0.0
    for i, j in np.ndindex(closed.shape):
        d = _rel(closed[i, j], autodiff[i, j])
        worst = max(worst, d)
        print(f"    {i + 1:>3} {j:>3} {closed[i, j]:>22.15g} {autodiff[i, j]:>22.15g} {d:>10.1e}")
    return worst


def part_a(out_dir: Path) -> float:
    """One observation: closed-form δ, s and gradients against autodiff; writes the graph.

    Returns:
        The largest relative difference between closed form and autodiff.
    """
    print("(a) One observation through the net, p = 2 inputs, M = 3 hidden units, K = 2 outputs")
    print("    Z_m = σ(α_0m + α_mᵀx),  T_k = β_0k + β_kᵀZ,  f_k = T_k,  R_i = Σ_k (y_ik − f_k)²")
    net = TwoLayerNet(2, 3, 2, rng=np.random.default_rng(SEED))
    x = [0.8, -1.1]
    y = [1.0, 0.2]
    print(f"    x_i = ({x[0]}, {x[1]}),  y_i = ({y[0]}, {y[1]})")
    net.zero_grad()
    fwd = net.forward(x)
    r_i = net.loss(fwd, y)
    r_i.backward()
    alpha, beta = net.to_arrays()
    cf = backprop.forward(alpha, beta, np.array([x]))
    delta = backprop.output_errors(cf, np.array([y]))
    s = backprop.hidden_errors(cf, beta, delta)
    print(f"    R_i = {r_i.data:.10g}")
    worst = 0.0
    print("\n    output errors δ_k = ∂R_i/∂T_k = −2(y_ik − f_k)")
    print(f"    {'k':>3} {'closed form':>22} {'autodiff T_k.grad':>22}")
    for k, tk in enumerate(fwd.t):
        worst = max(worst, _rel(delta[0, k], tk.grad))
        print(f"    {k + 1:>3} {delta[0, k]:>22.15g} {tk.grad:>22.15g}")
    print("\n    hidden errors s_m = σ'(α_0m + α_mᵀx_i) Σ_k β_km δ_k   (back-propagation)")
    print(f"    {'m':>3} {'closed form':>22} {'autodiff a_m.grad':>22}")
    for m, am in enumerate(fwd.a):
        worst = max(worst, _rel(s[0, m], am.grad))
        print(f"    {m + 1:>3} {s[0, m]:>22.15g} {am.grad:>22.15g}")
    g_alpha, g_beta = backprop.gradients(alpha, beta, np.array([x]), np.array([y]))
    a_alpha, a_beta = net.grad_arrays()
    print("\n    ∂R_i/∂β_km = δ_k z_m   (z_0 = 1: the intercept β_0k)")
    print(f"    {'k':>3} {'m':>3} {'closed form':>22} {'autodiff':>22} {'rel. diff':>10}")
    worst = max(worst, _weight_rows(g_beta, a_beta))
    print("\n    ∂R_i/∂α_ml = s_m x_l   (x_0 = 1: the intercept α_0m)")
    print(f"    {'m':>3} {'l':>3} {'closed form':>22} {'autodiff':>22} {'rel. diff':>10}")
    worst = max(worst, _weight_rows(g_alpha, a_alpha))
    print(f"\n    largest relative difference, closed form vs autodiff: {worst:.1e}")

    print("\n(b) The computation graph of R_i")
    print("    (labelled as in the notes, 1-based: α_ml, β_km, Z_m, T_k; δ_k and s_m named where")
    print("    the backward pass completes them, beside nn.backprop's closed form)")
    params, notes = net.parameters(), net.notes(fwd, x, y)
    svg = viz.render(r_i, out_dir / "lecture_graph.svg", parameters=params, notes=notes)
    html = viz.write_backward_html(r_i, out_dir / "lecture_backward.html", parameters=params,
                                   notes=notes, title="Backward pass of R_i, step by step")
    print(f"    graph with values and gradients: {svg}")
    print(f"    backward pass, step by step:     {html}")
    return worst


def part_c(
    out_dir: Path, progress: bool | None, epochs: int = 4000, online_epochs: int = 100
) -> tuple[History, History]:
    """Batch gradient descent with weight decay on sum-of-sigmoids data, then online.

    An observer computes the test error at the checkpoints only (not on 10,000 cases every
    epoch).

    Args:
        out_dir: Where the training-curve plot goes.
        progress: Show a progress bar (None: in a terminal or a notebook).
        epochs: Batch epochs.
        online_epochs: Online epochs (sweeps of N single-observation updates).

    Returns:
        The batch history and the online history.
    """
    rng = np.random.default_rng(SEED)
    train = simulate("sum_of_sigmoids", 100, rng)
    test = simulate("sum_of_sigmoids", 10_000, rng)
    bayes = train.bayes_error
    m, lam, lr = 10, 0.1, 0.002
    print("\n(c) Training on the §11.6 'sum of sigmoids' data: Y = σ(a1ᵀX) + σ(a2ᵀX) + ε")
    print(f"    N = {len(train.X)} training and {len(test.X)} test cases, "
          f"Var(f(X))/Var(ε) = 4, Bayes error Var(ε) = {bayes:.5f}, seed {SEED}")
    print(f"    net: M = {m} hidden units, starting weights uniform on [−{INIT_RANGE}, "
          f"{INIT_RANGE}]")
    print(f"    criterion R + λJ with R = Σ_i R_i, J = Σ w² (all weights), λ = {lam}")
    print(f"    batch gradient descent θ ← θ − γ Σ_i ∂(R_i + λJ/N)/∂θ, γ = {lr}, {epochs} epochs")
    net = TwoLayerNet(2, m, 1, rng=np.random.default_rng(SEED + 1))
    start = net.to_arrays()
    shown = {e for e in (0, 10, 100, 500, 1000, 2000, 3000) if e < epochs} | {epochs}
    grid = np.unique(np.geomspace(1, epochs, 40).astype(int))
    checkpoints = shown | set(grid.tolist())
    test_error: dict[int, float] = {}

    def checkpoint(ev: Epoch) -> None:
        if ev.epoch in checkpoints:
            test_error[ev.epoch] = test.relative_error(ev.predict(test.X))

    hist = fit(net, train.X, train.Y, lam=lam, epochs=epochs, lr=lr, progress=progress,
               observers=[checkpoint])
    print(f"    {'epoch':>6} {'R + λJ':>12} {'train err / Bayes':>18} {'test err / Bayes':>17}")
    for e in sorted(shown):
        print(f"    {e:>6} {hist.loss[e]:>12.4f} {hist.train_error[e] / bayes:>18.3f}"
              f" {test_error[e]:>17.3f}")
    print(f"    ({hist.seconds:.1f} s; the test set is only watched, never used for fitting)")

    lr0, tau = 0.1, 500
    print(f"\n    online gradient descent from the same start: one observation per update, "
          f"{online_epochs} epochs,")
    print(f"    visiting the observations in a new random order each epoch, with "
          f"γ_r = γ_0 τ/(τ + r), γ_0 = {lr0}, τ = {tau}")
    print("    (γ_r → 0, Σ γ_r = ∞, Σ γ_r² < ∞: the Robbins–Monro conditions; γ_0/r itself "
          "decays too fast here)")
    online = TwoLayerNet(2, m, 1)
    online.set_arrays(*start)
    h_on = fit(online, train.X, train.Y, lam=lam, epochs=online_epochs, lr=lr0,
               mode="online", schedule=lambda r: lr0 * tau / (tau + r),
               rng=np.random.default_rng(SEED + 2), progress=progress)
    alpha, beta = online.to_arrays()
    on_test = test.relative_error(backprop.forward(alpha, beta, test.X).f)
    print(f"    after {online_epochs} epochs ({online_epochs * len(train.X)} updates, "
          f"{h_on.seconds:.1f} s): R + λJ = {h_on.loss[-1]:.4f}, "
          f"train err / Bayes = {h_on.train_error[-1] / bayes:.3f}, "
          f"test err / Bayes = {on_test:.3f}")
    part_d(out_dir, hist, test_error, h_on, bayes, lam)
    return hist, h_on


def part_d(
    out_dir: Path,
    hist: History,
    test_error: dict[int, float],
    online: History,
    bayes: float,
    lam: float,
) -> Path:
    """Plot the training curves: the criterion, and the errors relative to the Bayes error.

    A bare ``Figure`` (no pyplot), so importing or running the demo never changes the
    matplotlib backend of the session.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    left.plot(hist.loss, label="batch")
    left.plot(np.arange(len(online.loss)), online.loss, label="online")
    left.set_yscale("log")
    left.set_xscale("symlog", linthresh=10)
    left.set_xlim(left=0)
    left.set_xlabel("epoch")
    left.set_ylabel(f"R + λJ  (λ = {lam})")
    left.set_title("Penalised training criterion")
    left.legend()
    epochs = np.arange(len(hist.loss))
    right.plot(epochs, np.array(hist.train_error) / bayes, label="training error")
    marks = sorted(test_error)
    right.plot(marks, [test_error[e] for e in marks], "o-", ms=3, label="test error")
    right.axhline(1.0, color="grey", ls=":", lw=0.8, label="Bayes error")
    right.set_xscale("symlog", linthresh=10)
    right.set_xlim(left=0)
    right.set_ylim(0.0, 3.0)
    right.set_xlabel("epoch")
    right.set_ylabel("error / Bayes error")
    right.set_title("Batch gradient descent, sum of sigmoids, M = 10")
    right.legend()
    fig.tight_layout()
    path = out_dir / "lecture_training_curve.png"
    write_atomically(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    print(f"\n(d) training curve: {path}")
    return path


def part_e(progress: bool | None) -> float:
    """Softmax output and cross-entropy on a two-class problem; returns the test error rate."""
    rng = np.random.default_rng(SEED + 3)
    train = two_class(200, rng)
    test = two_class(5000, rng)
    print("\n(e) Classification: K = 2, f_k = softmax(T)_k, R_i = −Σ_k y_ik log f_k")
    print("    classes: σ(a1ᵀX) + σ(a2ᵀX) + ε > 1 or not; 200 training, 5000 test cases")
    net = TwoLayerNet(2, 4, 2, "softmax", rng=np.random.default_rng(SEED + 4))
    hist = fit(net, train.X, train.Y, lam=0.01, epochs=1500, lr=0.01, momentum=0.9,
               progress=progress)
    alpha, beta = net.to_arrays()
    labels = backprop.forward(alpha, beta, test.X, "softmax").f.argmax(axis=1)
    rate = float(np.mean(labels != test.labels))
    # The Bayes rule picks the likelier class; it errs with probability Φ(−|f(x) − 1| / σ_ε).
    f = regression_function("sum_of_sigmoids", test.X)
    sd = math.sqrt(population_variance("sum_of_sigmoids") / SIGNAL_TO_NOISE)
    bayes_rate = float(np.mean([0.5 * math.erfc(abs(v - 1.0) / (sd * math.sqrt(2.0))) for v in f]))
    print("    batch gradient descent with momentum 0.9, γ = 0.01, λ = 0.01, 1500 epochs: "
          f"R + λJ {hist.loss[0]:.1f} → {hist.loss[-1]:.1f}")
    print(f"    test misclassification rate: {rate:.3f}   (Bayes rate on these cases: "
          f"{bayes_rate:.3f})")
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    """Run parts (a)–(e)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        make_folder(args.out)
    except ValueError as err:
        parser.error(f"--out: {err}")
    progress = False if args.no_progress else None
    print("deltagrad: the lecture's net (ESL §11.3–11.6)\n")
    part_a(args.out)
    part_c(args.out, progress)
    part_e(progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
