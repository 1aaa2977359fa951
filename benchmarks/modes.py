"""Forward mode against reverse mode on the lecture's net: why back-propagation exists.

For one observation's loss R_i of ``TwoLayerNet(p, M, K)`` with n = M(p+1) + K(M+1)
parameters, reverse mode (``value_and_grad``) builds the graph once and walks it back once,
giving all n partial derivatives ∂R_i/∂θ. Forward mode (``jvp``) gives one directional
derivative per pass, so the same n numbers take n passes, each building and sweeping the
whole graph. The script counts passes and node visits, times both (interleaved, median of
``--repeats`` runs, range reported), checks that the two give the same gradient, and writes
``benchmarks/results/modes.json``, from which the docs render the table.

Run: ``python benchmarks/modes.py`` (a few seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a fresh clone

from autograd import Value, jvp, topological_order, value_and_grad
from benchmarks.results import RESULTS_DIR, Column, Table, markdown, run_info, save
from nn.two_layer import net_forward, observation_loss

NETS = [(2, 2, 1), (2, 10, 1), (10, 10, 1)]  # the lecture's small net; ESL §11.6's two nets


def loss_of(p: int, m: int, k: int, x: list[float], y: list[float]) -> Any:
    """R_i as a function of the n parameters (α row by row, then β), for the functional API."""
    def loss(*theta: Value) -> Value:
        alpha = [list(theta[r * (p + 1):(r + 1) * (p + 1)]) for r in range(m)]
        rest = theta[m * (p + 1):]
        beta = [list(rest[r * (m + 1):(r + 1) * (m + 1)]) for r in range(k)]
        return observation_loss(net_forward(alpha, beta, x), y)

    return loss


def compare(p: int, m: int, k: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """One row: passes, node visits and times of both modes for TwoLayerNet(p, M, K)."""
    rng = np.random.default_rng(seed)
    n = m * (p + 1) + k * (m + 1)
    theta = rng.uniform(-0.7, 0.7, n).tolist()
    x, y = rng.standard_normal(p).tolist(), rng.standard_normal(k).tolist()
    loss = loss_of(p, m, k, x, y)
    nodes = len(topological_order(loss(*[Value(t) for t in theta])))
    every = tuple(range(n))
    basis = [tuple(1.0 if i == j else 0.0 for i in range(n)) for j in range(n)]

    def reverse() -> list[float]:
        return list(value_and_grad(loss, every)(*theta)[1])

    def forward() -> list[float]:
        return [jvp(loss, theta, e)[1] for e in basis]

    gap = max(abs(a - b) for a, b in zip(reverse(), forward(), strict=True))
    times: dict[str, list[float]] = {"reverse": [], "forward": []}
    for _ in range(repeats):  # interleaved, so load on the machine hits both alike
        for name, fn in (("reverse", reverse), ("forward", forward)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    return {"net": f"{p}-{m}-{k}", "params": n, "nodes": nodes,
            "reverse_passes": 1, "forward_passes": n,
            "reverse_visits": 2 * nodes, "forward_visits": 2 * nodes * n,
            "reverse_time": med["reverse"], "forward_time": med["forward"],
            "ratio": med["forward"] / med["reverse"],
            "ratio_range": f"{min(times['forward']) / max(times['reverse']):.1f}–"
                           f"{max(times['forward']) / min(times['reverse']):.1f}",
            "largest_difference": gap}


def main() -> None:
    """Run the comparison on the nets of :data:`NETS`, print it and write its results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per mode (>= 1)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    table = Table(
        f"Forward against reverse mode: all ∂R_i/∂θ of one observation (median of "
        f"{args.repeats} interleaved runs)",
        [Column("net", "net p-M-K"), Column("params", "parameters n", "{:,}"),
         Column("nodes", "graph nodes", "{:,}"),
         Column("reverse_passes", "reverse: passes"), Column("forward_passes", "forward: passes"),
         Column("reverse_visits", "reverse: node visits", "{:,}"),
         Column("forward_visits", "forward: node visits", "{:,}"),
         Column("reverse_time", "reverse: time", "time"),
         Column("forward_time", "forward: time", "time"),
         Column("ratio", "forward / reverse", "{:.1f}×"),
         Column("ratio_range", "ratio range"),
         Column("largest_difference", "largest |difference|", "{:.1e}")],
        [compare(p, m, k, args.repeats) for p, m, k in NETS],
        run_info(repeats=args.repeats))
    print(markdown(table))
    save(RESULTS_DIR / "modes.json", tables={"modes": table})


if __name__ == "__main__":
    main()
