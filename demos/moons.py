"""micrograd's own demo (``demo.ipynb``), run on deltagrad's library at array speed.

The set-up is micrograd's: two interleaved half-moons, 100 points with noise 0.1, labels ±1;
an MLP 2 → 16 → 16 → 1 with relu hidden layers and a linear output, weights uniform on
[−1, 1] and biases 0 (micrograd's ``Neuron``); the loss is the mean max-margin hinge plus
1e-4 Σ p²,

    L(θ) = (1/N) Σ_i max(0, 1 − y_i s(x_i)) + 1e-4 Σ_p p²,

minimised by 100 steps of gradient descent with γ_k = 1 − 0.9 k/100 (k = 0 … 99). Here that
is one call, ``fit(model, X, y, loss="hinge", lam=1e-4, scale="mean", ...)``: the per-example
loss is traced once and replayed on all 100 points (``benchmarks/run.py`` checks that the
losses equal micrograd's own loop, from the same weights, to 1e-9 at every step).

Usage: ``python demos/moons.py [--seed N] [--out DIR] [--no-progress]``; ``--out`` also writes
``moons.png``, the decision regions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autograd.atomic import make_folder, write_atomically
from nn.data import Moons, moons
from nn.layers import MLP
from nn.observers import History
from nn.rng import RandomSource, as_generator
from nn.train import fit, predict

SEED = 1337
STEPS = 100


def micrograd_mlp(rng: RandomSource) -> MLP:
    """MLP(2, [16, 16, 1]) as micrograd builds it: relu, linear output, w ~ U[−1, 1], b = 0."""
    model = MLP(2, [16, 16, 1], activation="relu")
    gen = as_generator(rng)
    for layer in model.layers:
        for neuron in layer.neurons:
            for w in neuron.w:
                w.data = float(gen.uniform(-1.0, 1.0))
            neuron.b.data = 0.0
    return model


def schedule(r: int) -> float:
    """micrograd's learning rate γ_k = 1 − 0.9 k/STEPS for update r = k + 1."""
    return 1.0 - 0.9 * (r - 1) / STEPS


def train(model: MLP, data: Moons, steps: int = STEPS, progress: bool | None = None) -> History:
    """micrograd's training loop as one :func:`nn.train.fit` call."""
    return fit(model, data.X, data.y, loss="hinge", lam=1e-4, scale="mean", epochs=steps,
               schedule=schedule, progress=progress)


def accuracy(model: MLP, data: Moons) -> float:
    """Fraction of points on the right side of the decision boundary (score sign = label)."""
    return float(np.mean((predict(model, data.X) > 0) == (data.y > 0)))


def save_regions(model: MLP, data: Moons, path: Path) -> Path:
    """The decision regions and the points, as micrograd's demo draws them (no pyplot)."""
    from matplotlib.figure import Figure

    lo, hi = data.X.min(axis=0) - 1.0, data.X.max(axis=0) + 1.0
    xx, yy = np.meshgrid(np.arange(lo[0], hi[0], 0.05), np.arange(lo[1], hi[1], 0.05))
    scores = predict(model, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    ax.contourf(xx, yy, scores > 0, cmap="Spectral", alpha=0.8)
    ax.scatter(data.X[:, 0], data.X[:, 1], c=data.y[:, 0], s=20, cmap="jet")
    ax.set_title("MLP(2, [16, 16, 1]) on the moons")
    return write_atomically(path, lambda fh: fig.savefig(fh, format="png", dpi=100))


def main(argv: Sequence[str] | None = None) -> int:
    """Train, print the loss every ten steps and the accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the data and weights")
    parser.add_argument("--out", type=Path, help="also write moons.png into this folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.out:
        try:
            make_folder(args.out)
        except ValueError as err:
            parser.error(f"--out: {err}")
    data = moons(100, args.seed, noise=0.1)
    model = micrograd_mlp(args.seed + 1)
    hist = train(model, data, progress=False if args.no_progress else None)
    print(f"micrograd's demo on deltagrad: MLP(2, [16, 16, 1]), {len(data.X)} moons points, "
          f"seed {args.seed}")
    for k in range(0, STEPS, 10):
        print(f"    step {k:>3}  loss {hist.loss[k]:.6f}  γ = {schedule(k + 1):.3f}")
    print(f"    after {STEPS} steps: loss {hist.loss[-1]:.6f}, training accuracy "
          f"{accuracy(model, data):.0%}, {hist.seconds / STEPS * 1e3:.1f} ms per step")
    if args.out:
        print(f"wrote {save_regions(model, data, args.out / 'moons.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
