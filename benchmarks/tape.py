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

The numbers go into the results file ``benchmarks/results/tape.json`` (format:
``benchmarks/results.py``), from which the docs render their tables; ``--quick`` shrinks
sizes and repeats for a smoke test (and writes no results file unless ``--results`` is
given). ``benchmarks/tape_gpu.py`` times the torch path on a GPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a fresh clone

from autograd import Tape, trace
from benchmarks.results import RESULTS_DIR, Column, Table, markdown, run_info, save
from nn import TwoLayerNet, backprop
from nn.two_layer import observation_loss

P, M = 10, 10
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


def timed(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each function per repeat, run interleaved after one warm-up each."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def rows(n: int, what: str, times: dict[str, list[float]], base: str) -> list[dict[str, Any]]:
    """One row per timed function: its median and range, and their ratios to ``base``'s
    (the fastest runs are the least disturbed by other work on a shared machine)."""
    ref, ref_low = statistics.median(times[base]), min(times[base])
    return [{"N": n, what: name, "median": statistics.median(t), "low": min(t), "high": max(t),
             "ratio": statistics.median(t) / ref, "ratio_low": min(t) / ref_low}
            for name, t in times.items()]


def columns(what: str, ratio: str) -> list[Column]:
    return [Column("N", "N", "{:,}"), Column(what, what), Column("median", "median", "time"),
            Column("low", "fastest", "time"), Column("high", "slowest", "time"),
            Column("ratio", f"{ratio} (medians)", "{:.2f}×"),
            Column("ratio_low", f"{ratio} (fastest)", "{:.2f}×")]


def bench_fusion(n: int, repeats: int, unfused: bool) -> list[dict[str, Any]]:
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
    return rows(n, "gradient", timed(fns, repeats), "closed form")


def bench_libraries(n: int, repeats: int) -> dict[str, list[float]]:
    """Seconds of the fused replay's gradient on numpy and torch (CPU) at size n."""
    import torch

    net, x, y = lecture_problem(n)
    xy = np.hstack([x, y])
    tape = lecture_tape(net, xy[0].tolist(), fuse=True)
    tensor = torch.asarray(xy)
    assert np.allclose(tape.gradient(tensor)[1].numpy(), tape.gradient(xy)[1], rtol=1e-10,
                       atol=1e-9)
    return timed({"numpy": lambda: tape.gradient(xy),
                  "torch (CPU)": lambda: tape.gradient(tensor)}, repeats)


def bench_dask(n: int, repeats: int, client: Any) -> dict[str, list[float]]:
    """Seconds of the fused replay's gradient on dask at size n, computed on the cluster
    (timed apart from numpy and torch, so that the workers do not share their cores)."""
    import dask
    import dask.array as da

    net, x, y = lecture_problem(n)
    xy = np.hstack([x, y])
    tape = lecture_tape(net, xy[0].tolist(), fuse=True)
    chunks = max(n // 8, 1_000)
    with warnings.catch_warnings():  # the data go to the workers once, before the timing
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        lazy = client.persist(da.from_array(xy, chunks=(chunks, -1)))
    assert np.allclose(tape.gradient(lazy)[1].compute(), tape.gradient(xy)[1], rtol=1e-10,
                       atol=1e-9)
    return timed({f"dask, 2 workers, chunks of {chunks:,} rows":
                  lambda: dask.compute(*tape.gradient(lazy))}, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--results", type=Path, help="the JSON results file to update "
                        f"(default: {RESULTS_DIR / 'tape.json'}; with --quick: none)")
    args = parser.parse_args()
    one_thread()
    import torch
    from dask.distributed import Client, LocalCluster

    sizes = [1_000, 10_000] if args.quick else [10_000, 1_000_000]
    repeats = {s: (3 if args.quick else 20 if s <= 10_000 else 5) for s in sizes}
    fusion = Table("The lecture's net (p = 10, M = 10, K = 1, squared error): full-batch "
                   "gradient on numpy", columns("gradient", "ratio to the closed form"),
                   [r for s in sizes for r in bench_fusion(s, repeats[s], unfused=s <= 10_000)])
    print(markdown(fusion), flush=True)
    local = {s: bench_libraries(s, repeats[s]) for s in sizes}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        spread = {s: bench_dask(s, repeats[s], client) for s in sizes}
    libraries = Table("The fused replay's gradient on each library",
                      columns("library", "ratio to numpy"),
                      [r for s in sizes for r in rows(s, "library", local[s] | spread[s],
                                                       "numpy")])
    print(markdown(libraries), flush=True)
    run = run_info(quick=args.quick, torch=torch.__version__, threads="1 per library")
    fusion.run = libraries.run = run
    at = {(r["N"], r["gradient"]): r["ratio"] for r in fusion.rows}
    values = {f"fused_ratio_{n}": {"value": at[(n, "fused replay")], "format": "{:.2f}×",
                                   "run": run} for n in sizes}
    values |= {f"unfused_ratio_{n}": {"value": at[(n, "unfused replay")], "format": "{:.1f}×",
                                      "run": run} for n in sizes if (n, "unfused replay") in at}
    results = args.results or (None if args.quick else RESULTS_DIR / "tape.json")
    if results:
        save(results, {"fusion": fusion, "libraries": libraries}, values)
        print(f"wrote {results}")


if __name__ == "__main__":
    main()
