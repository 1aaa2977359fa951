"""The traced replay, side by side in one run: the fused replay against the closed form, and
the same traced gradient on numpy, PyTorch (CPU) and dask (a local cluster of 2 workers).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/tape.py``; it needs the extras
``deltagrad[torch,dask]``). The workload is the lecture's net (ESL §11.3) with p = 10
inputs, M = 10 hidden sigmoid units and K = 1 output, squared error, at N = 10⁴ and 10⁶:
the full-batch gradient Σ_i ∂R_i/∂θ of :class:`nn.TwoLayerNet` three ways,

* ``closed form``: :func:`nn.backprop.risk_and_gradients`, numpy matrix products (δ, s);
* ``fused replay``: the net's tape (:func:`autograd.trace`), weighted sums as products;
* ``unfused replay``: the same tape node by node (``trace(..., fuse=False)``); at N = 10⁴
  only, since it keeps every node's column (a few GiB at 10⁶).

and the fused replay on each library: numpy, torch tensors (CPU), dask arrays chunked by
rows on a ``dask.distributed.LocalCluster`` (2 worker processes, 1 thread each), where the
time includes computing both results on the cluster. Times are medians of interleaved
repeats (range reported). Every library runs with one BLAS/OpenMP thread, so the 2 shared
cores of these machines do not make matrix products spin (the closed form uses the same).

The results go to ``benchmarks/results/tape.json`` (``--out``); ``--quick`` shrinks sizes
and repeats for a smoke test. ``benchmarks/tape_gpu.py`` times the torch path on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a fresh clone

from autograd import Tape, trace
from nn import TwoLayerNet, backprop
from nn.two_layer import observation_loss

P, M = 10, 10
RESULTS = Path(__file__).resolve().parent / "results" / "tape.json"
ONE_THREAD = dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1")


def one_thread() -> None:
    """Run this script again with one BLAS/OpenMP thread, unless it already has one (the
    thread pools are sized when numpy and torch load, so the environment must say it)."""
    if any(os.environ.get(k) != v for k, v in ONE_THREAD.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **ONE_THREAD})


def lecture_problem(n: int, seed: int = 0) -> tuple[TwoLayerNet, np.ndarray, np.ndarray]:
    """The net (weights uniform on ±0.7) and N standard normal inputs with noisy targets."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, P))
    y = np.tanh(x[:, :1] - x[:, 1:2]) + 0.1 * rng.standard_normal((n, 1))
    return TwoLayerNet(P, M, 1, rng=seed), x, y


def lecture_tape(net: TwoLayerNet, row: list[float], fuse: bool) -> Tape:
    """R_i of the net as a tape (inputs x_1..x_p, then y)."""
    return trace(lambda *v: observation_loss(net(v[:P]), v[P:]), row, net.parameters(),
                 fuse=fuse)


def timed(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, dict[str, float]]:
    """Median, min and max seconds of each function, run interleaved after one warm-up."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: {"median": statistics.median(t), "min": min(t), "max": max(t)}
            for name, t in times.items()}


def bench_fusion(n: int, repeats: int, unfused: bool) -> dict[str, Any]:
    """Closed form, fused and (if asked) unfused replay on numpy at size n."""
    net, x, y = lecture_problem(n)
    alpha, beta = net.to_arrays()
    xy = np.hstack([x, y])
    fused = lecture_tape(net, xy[0].tolist(), fuse=True)
    fns: dict[str, Callable[[], Any]] = {
        "closed form": lambda: backprop.risk_and_gradients(alpha, beta, x, y),
        "fused replay": lambda: fused.gradient(xy)}
    if unfused:
        plain = lecture_tape(net, xy[0].tolist(), fuse=False)
        fns["unfused replay"] = lambda: plain.gradient(xy)
        assert np.allclose(plain.gradient(xy)[1], fused.gradient(xy)[1], rtol=1e-10)
    _, ga, gb = backprop.risk_and_gradients(alpha, beta, x, y)
    assert np.allclose(fused.gradient(xy)[1], np.concatenate([ga.ravel(), gb.ravel()]),
                       rtol=1e-10, atol=1e-9)  # the same numbers, before they are timed
    times = timed(fns, repeats)
    closed = times["closed form"]["median"]
    for t in times.values():
        t["ratio to closed form"] = t["median"] / closed
    return {"N": n, "tape nodes": len(fused.nodes), "seconds": times}


def bench_libraries(n: int, repeats: int, client: Any) -> dict[str, Any]:
    """The fused replay's gradient on numpy, torch (CPU) and dask (the cluster) at size n."""
    import dask
    import dask.array as da
    import torch

    net, x, y = lecture_problem(n)
    xy = np.hstack([x, y])
    tape = lecture_tape(net, xy[0].tolist(), fuse=True)
    tensor = torch.asarray(xy)
    chunks = max(n // 8, 1_000)
    lazy = client.persist(da.from_array(xy, chunks=(chunks, -1)))  # on the workers already
    want = tape.gradient(xy)[1]
    for got in (tape.gradient(tensor)[1].numpy(), tape.gradient(lazy)[1].compute()):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-9)
    times = timed({"numpy": lambda: tape.gradient(xy),
                   "torch (CPU)": lambda: tape.gradient(tensor),
                   "dask (2 workers)": lambda: dask.compute(*tape.gradient(lazy))}, repeats)
    base = times["numpy"]["median"]
    for t in times.values():
        t["ratio to numpy"] = t["median"] / base
    return {"N": n, "dask chunk rows": chunks, "seconds": times}


def table(rows: list[dict[str, Any]], ratio: str) -> str:
    """A Markdown table of medians (and ranges) with their ratios."""
    names = list(dict.fromkeys(name for row in rows for name in row["seconds"]))
    lines = ["| N | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row in rows:
        times = [row["seconds"].get(name) for name in names]
        cells = ["—" if t is None else f"{t['median'] * 1e3:.2f} ms ({t[ratio]:.2f}×)"
                 for t in times]
        lines.append(f"| {row['N']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results JSON")
    args = parser.parse_args()
    one_thread()
    from dask.distributed import Client, LocalCluster

    sizes = [1_000, 10_000] if args.quick else [10_000, 1_000_000]
    repeats = {s: (3 if args.quick else 20 if s <= 10_000 else 5) for s in sizes}
    fusion = [bench_fusion(s, repeats[s], unfused=s <= 10_000) for s in sizes]
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        libraries = [bench_libraries(s, repeats[s], client) for s in sizes]
    print("The lecture's net (p = 10, M = 10, K = 1): full-batch gradient, numpy\n")
    print(table(fusion, "ratio to closed form"))
    print("\nThe fused replay's gradient on each library\n")
    print(table(libraries, "ratio to numpy"))
    import torch

    results = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "numpy": np.__version__, "torch": torch.__version__,
                           "threads per library": 1},
               "workload": {"p": P, "M": M, "K": 1, "loss": "squared error"},
               "fusion": fusion, "libraries": libraries, "quick": args.quick}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
