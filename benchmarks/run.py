"""Side-by-side benchmarks of deltagrad and micrograd (the peer engine, from PyPI).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). Every workload is built
node for node in both engines, in the same run: the same Python expressions create the same
number of nodes, which the script counts by walking each engine's graph. Times are medians
over several runs after a warm-up; ratios are deltagrad / micrograd, so below 1 means
deltagrad is faster or smaller. Peak memory comes from the operating system: each memory
workload runs in a fresh subprocess that reports its peak resident set size (``VmHWM``)
before and after building the graph, and after the backward pass.

Workloads:

* ``mlp``: one training step of an MLP 2-16-16-1 on 100 two-dimensional points (squared
  error, relu; also tanh for deltagrad, which micrograd 0.1.0 lacks);
* ``chain``: x ← x·1.0001 + 0.001 at depths 10³ … 10⁶ (four nodes per step);
* ``sum``: Σ x_i w_i over 10⁶ products, written ``sum(...)`` as users do (a chain of adds
  10⁶ deep) and as a balanced pairwise tree (20 deep, so micrograd's recursion survives);
* ``esl``: the full-batch gradient of the lecture's net (p = 2, M = 10, K = 1, squared
  error) at N = 10², 10³, 10⁴: a scalar graph per example, the traced replay, and the
  closed-form numpy back-propagation of :mod:`nn.backprop`;
* ``moons``: micrograd's own demo (moons, MLP 2-16-16-1, mean hinge + 1e-4 Σp², γ_k =
  1 − 0.9k/100): micrograd's training loop against :func:`nn.train.fit` from the same
  starting weights, the losses compared at every step, and the time per step.

The numbers go into the results file ``benchmarks/results/engine.json`` (format:
``benchmarks/results.py``), from which the docs' performance page renders its tables; a run
with ``--only`` replaces only its parts' entries. ``--quick`` shrinks every size and repeat
count for a smoke test (and writes no results file unless ``--results`` is given); ``--out
FILE`` also writes the tables as Markdown.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a fresh clone

import micrograd.engine
import micrograd.nn

import autograd
from benchmarks.results import RESULTS_DIR, Column, Table, markdown, run_info, save
from demos.moons import SEED, STEPS, accuracy, schedule, train
from nn import backprop
from nn.data import moons
from nn.layers import MLP

ENGINES: dict[str, type] = {"deltagrad": autograd.Value, "micrograd": micrograd.engine.Value}
Row = list[str]


# --------------------------------------------------------------------------- graph helpers
def parents_of(node: Any) -> Sequence[Any]:
    """The inputs of a node in either engine (deltagrad: ``parents``; micrograd: ``_prev``)."""
    return node.parents if isinstance(node, autograd.Value) else tuple(node._prev)


def count_nodes(root: Any) -> int:
    """Number of distinct nodes ``root`` depends on, itself included (an iterative walk)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in parents_of(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs.

    Garbage from one run (micrograd's graphs are reference cycles) is collected between runs,
    outside the timed region.
    """
    times = []
    for i in range(warmup + repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    gc.collect()
    return statistics.median(times)


# --------------------------------------------------------------------------- workloads
def make_mlp(value: type, sizes: Sequence[int], seed: int) -> list[list[tuple[list, Any]]]:
    """Layers of neurons ``(weights, bias)`` with uniform(-1, 1) weights, the same for both."""
    rng = random.Random(seed)
    return [[([value(rng.uniform(-1.0, 1.0)) for _ in range(n_in)], value(0.0))
             for _ in range(n_out)] for n_in, n_out in itertools.pairwise(sizes)]


def mlp_loss(layers: list, points: list[tuple[float, float]], targets: list[float],
             activation: str) -> Any:
    """Mean squared error of the MLP over the points; the last layer is linear."""
    loss = 0.0
    for x, y in zip(points, targets, strict=True):
        h: list[Any] = list(x)
        for depth, layer in enumerate(layers):
            out = []
            for weights, bias in layer:
                act = bias
                for w, xi in zip(weights, h, strict=True):
                    act = act + w * xi
                out.append(act if depth == len(layers) - 1 else getattr(act, activation)())
            h = out
        d = h[0] - y
        loss = loss + d * d
    return loss * (1.0 / len(points))


def mlp_data(n: int, seed: int) -> tuple[list[tuple[float, float]], list[float]]:
    """Two-dimensional points and a smooth target."""
    rng = random.Random(seed)
    points = [(rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)) for _ in range(n)]
    return points, [float(np.sin(a) + 0.5 * b) for a, b in points]


def mlp_step(value: type, activation: str, n_points: int) -> Callable[[], tuple[float, ...]]:
    """A timed training step: forward, zero_grad, backward, update; returns the phase times."""
    layers = make_mlp(value, [2, 16, 16, 1], seed=1)
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    points, targets = mlp_data(n_points, seed=2)

    def run() -> tuple[float, float, float]:
        t0 = time.perf_counter()
        loss = mlp_loss(layers, points, targets, activation)
        t1 = time.perf_counter()
        for p in params:
            p.grad = 0.0
        loss.backward()
        t2 = time.perf_counter()
        for p in params:
            p.data -= 0.01 * p.grad
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t0

    return run


def chain(value: type, depth: int) -> Any:
    """x ← x·1.0001 + 0.001, ``depth`` times: four nodes per step (two are constants)."""
    x = value(1.0)
    for _ in range(depth):
        x = x * 1.0001 + 0.001
    return x


def sum_terms(value: type, n: int) -> tuple[list, list]:
    """``n`` leaf pairs (x_i, w_i)."""
    rng = random.Random(3)
    return ([value(rng.uniform(-1.0, 1.0)) for _ in range(n)],
            [value(rng.uniform(-1.0, 1.0)) for _ in range(n)])


def deep_sum(xs: list, ws: list) -> Any:
    """Σ x_i w_i with Python's ``sum``: a chain of adds as deep as there are terms."""
    return sum(x * w for x, w in zip(xs, ws, strict=True))


def tree_sum(xs: list, ws: list) -> Any:
    """Σ x_i w_i added pairwise: a balanced tree, log2(n) deep."""
    level = [x * w for x, w in zip(xs, ws, strict=True)]
    while len(level) > 1:
        paired = [a + b for a, b in zip(level[::2], level[1::2], strict=False)]
        level = [*paired, level[-1]] if len(level) % 2 else paired
    return level[0]


def build(value: type, workload: str, size: int) -> Any:
    """The root of one workload's graph."""
    if workload == "chain":
        return chain(value, size)
    xs, ws = sum_terms(value, size)
    return deep_sum(xs, ws) if workload == "deep_sum" else tree_sum(xs, ws)


def fails_backward(value: type, workload: str, size: int) -> bool:
    """True if the backward pass raises RecursionError at this size."""
    root = build(value, workload, size)
    try:
        root.backward()
    except RecursionError:
        return True
    return False


def failure_size(value: type, workload: str, sizes: Sequence[int]) -> str:
    """The smallest size (to within 1%) at which backward raises RecursionError."""
    ok, bad = 1, None
    for size in sizes:
        if fails_backward(value, workload, size):
            bad = size
            break
        ok = size
    if bad is None:
        return f"none up to {sizes[-1]:,}"
    while bad - ok > max(1, ok // 100):
        mid = (ok + bad) // 2
        ok, bad = (ok, mid) if fails_backward(value, workload, mid) else (mid, bad)
    gc.collect()
    return f"{bad:,}"


# --------------------------------------------------------------------------- memory (child)
def peak_rss() -> int:
    """Peak resident set size of this process in bytes, as the OS reports it."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource  # not on every platform

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(engine: str, workload: str, size: int, raise_limit: bool) -> dict[str, Any]:
    """Build, differentiate and free one graph; report the OS's peak RSS at each stage."""
    value = ENGINES[engine]
    if raise_limit:
        sys.setrecursionlimit(50 * size + 10_000)
    gc.collect()
    gc.disable()  # as in the timings; freeing is then by reference counting alone
    base = peak_rss()
    root = build(value, workload, size)
    graph = peak_rss()
    nodes = count_nodes(root) if workload != "chain" else 4 * size + 1
    error = ""
    try:
        root.backward()
    except RecursionError:
        error = "RecursionError"
    full = peak_rss()
    del root
    gc.collect()
    return {"nodes": nodes, "graph": (graph - base) / nodes, "peak": (full - base) / nodes,
            "error": error}


def measure_memory(engine: str, workload: str, size: int, raise_limit: bool = False
                   ) -> dict[str, Any]:
    """Run :func:`memory_child` in a fresh interpreter and return its report."""
    cmd = [sys.executable, __file__, "--child", engine, workload, str(size)]
    if raise_limit:
        cmd.append("--raise-limit")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"nodes": 0, "graph": None, "peak": None,
                "error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- ESL net
def esl_problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum-of-sigmoids data (ESL §11.6) and starting weights for p = 2, M = 10, K = 1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = (backprop.sigmoid(x @ [3.0, 3.0]) + backprop.sigmoid(x @ [3.0, -3.0])
         + 0.3 * rng.standard_normal(n))[:, None]
    return x, y, rng.uniform(-0.7, 0.7, (10, 3)), rng.uniform(-0.7, 0.7, (1, 11))


def esl_loss(alpha: list[list[Any]], beta: list[list[Any]], *xy: Any) -> Any:
    """R_i = Σ_k (y_k − f_k)² of the lecture's net (identity output) for one observation."""
    p = len(alpha[0]) - 1
    x, y = xy[:p], xy[p:]
    z = [_affine(row, x).sigmoid() for row in alpha]
    risk = 0.0
    for row, yk in zip(beta, y, strict=True):
        risk = risk + (yk - _affine(row, z)) ** 2
    return risk


def _affine(row: list[Any], inputs: Sequence[Any]) -> Any:
    act = row[0]
    for w, v in zip(row[1:], inputs, strict=True):
        act = act + w * v
    return act


def esl_rows(n: int) -> tuple[list[float], float, float, float, int]:
    """Seconds for the full-batch gradient three ways, and the traced graph's size."""
    x, y, alpha0, beta0 = esl_problem(n)
    alpha = [[autograd.Value(w) for w in row] for row in alpha0]
    beta = [[autograd.Value(w) for w in row] for row in beta0]
    params = [w for row in alpha + beta for w in row]
    xy = np.column_stack([x, y])
    rows = xy.tolist()

    def scalar() -> None:
        for p in params:
            p.grad = 0.0
        for row in rows:
            esl_loss(alpha, beta, *row).backward()

    tape = autograd.trace(lambda *v: esl_loss(alpha, beta, *v), inputs=rows[0], params=params)
    repeats = 3 if n >= 10_000 else 5
    t_scalar = median_time(scalar, repeats)
    t_trace = median_time(lambda: tape.gradient(xy), 3 * repeats)
    t_closed = median_time(lambda: backprop.gradients(alpha0, beta0, x, y), 3 * repeats)
    return [n], t_scalar, t_trace, t_closed, len(tape.nodes)


# --------------------------------------------------------------------------- report
def bench_mlp(repeats: int, n_points: int) -> tuple[Table, dict[str, Any]]:
    """MLP 2-16-16-1 step in both engines; ratios of ns/node against micrograd's relu step.

    Run twice: with Python's cyclic garbage collector on (the default users get) and off
    (the engines' own per-node cost). micrograd's per-node closures form reference cycles,
    so the collector keeps rescanning its growing graph while it is built. The three
    configurations run interleaved (one step of each in turn, ``repeats`` rounds after a
    warm-up), so a change of load on the machine hits them alike; the table gives medians,
    and the ratio's range over the rounds (deltagrad's round k against micrograd's).
    """
    configs = [("deltagrad", "relu"), ("micrograd", "relu"), ("deltagrad", "tanh")]
    nodes = []
    for engine, activation in configs:
        layers = make_mlp(ENGINES[engine], [2, 16, 16, 1], seed=1)
        points, targets = mlp_data(n_points, seed=2)
        nodes.append(count_nodes(mlp_loss(layers, points, targets, activation)))
    rows = []
    for collect in (True, False):
        steps = [mlp_step(ENGINES[engine], activation, n_points) for engine, activation in configs]
        rounds: list[list[tuple[float, ...]]] = [[] for _ in configs]
        for i in range(1 + repeats):
            for k, run in enumerate(steps):
                gc.collect()
                if not collect:
                    gc.disable()
                try:
                    phases = run()
                finally:
                    gc.enable()
                if i:  # the first round warms up
                    rounds[k].append(phases)
        gc.collect()
        per_node = [[(f + b) / n for f, b, _ in runs] for runs, n in zip(rounds, nodes,
                                                                          strict=True)]
        peer = statistics.median(per_node[1])
        for (engine, activation), runs, n, costs in zip(configs, rounds, nodes, per_node,
                                                        strict=True):
            fwd, bwd, step = (statistics.median(col) for col in zip(*runs, strict=True))
            ratios = [c / p for c, p in zip(costs, per_node[1], strict=True)]
            rows.append({"gc": "on" if collect else "off", "engine": f"{engine} ({activation})",
                         "nodes": n, "forward": fwd, "backward": bwd, "step": step,
                         "ns_per_node": statistics.median(costs) * 1e9,
                         "ratio": statistics.median(costs) / peer,
                         "ratio_range": f"{min(ratios):.2f}–{max(ratios):.2f}"})
    table = Table(f"MLP 2-16-16-1 training step, {n_points} points (median of {repeats} "
                  "interleaved rounds)", [
        Column("gc", "cyclic GC"), Column("engine", "engine"), Column("nodes", "nodes", "{:,}"),
        Column("forward", "forward", "time"), Column("backward", "backward", "time"),
        Column("step", "step", "time"), Column("ns_per_node", "ns/node (fwd+bwd)", "{:.0f}"),
        Column("ratio", "ratio vs micrograd (relu)", "{:.2f}"),
        Column("ratio_range", "ratio range")], rows)
    ratio = {r["gc"]: r["ratio"] for r in rows if r["engine"] == "deltagrad (relu)"}
    return table, {"mlp_ratio_gc_on": _value(ratio["on"], "{:.2f}"),
                   "mlp_ratio_gc_off": _value(ratio["off"], "{:.2f}")}


def bench_depth(depths: Sequence[int], quick: bool) -> tuple[Table, Table]:
    """Chain and sums: time, peak memory per node; the smallest sizes whose backward fails.

    The cyclic garbage collector is off here (``gc.collect()`` still runs between runs):
    with it on, micrograd's cyclic graphs of millions of nodes take minutes to build.
    """
    gc.disable()
    try:
        table = _bench_depth(depths, quick)
    finally:
        gc.enable()
    failures = [{"workload": w, "engine": e, "fails_at": failure_size(
        ENGINES[e], w, [10, 100, 1_000, 10_000, 100_000, depths[-1]])}
        for w in ("chain", "deep_sum") for e in ENGINES]
    return table, Table("Smallest size whose backward raises RecursionError", [
        Column("workload", "workload"), Column("engine", "engine"),
        Column("fails_at", "fails at")], failures)


def _bench_depth(depths: Sequence[int], quick: bool) -> Table:
    rows = []
    workloads = [("chain", d) for d in depths] + [("deep_sum", depths[-1]),
                                                  ("tree_sum", depths[-1])]
    for workload, size in workloads:
        repeats = 1 if size >= 1_000_000 else (3 if size >= 100_000 else 5)
        figures = {}
        for engine, value in ENGINES.items():
            root_box: list[Any] = []

            def fwd(value: type = value, box: list = root_box, w: str = workload,
                    s: int = size) -> None:
                box[:] = [build(value, w, s)]

            t_fwd = median_time(fwd, repeats)
            root = root_box.pop()
            try:
                t_bwd: float | None = median_time(root.backward, repeats)
            except RecursionError:
                t_bwd = None
            del root
            gc.collect()
            mem = measure_memory(engine, workload, size)
            figures[engine] = (t_fwd, t_bwd, mem)
        if not quick and size == depths[-1] and workload == "chain":
            figures["micrograd, recursion limit raised"] = (
                None, None, measure_memory("micrograd", workload, size, True))
        d_fwd, d_bwd, d_mem = figures["deltagrad"]
        for engine, (t_fwd, t_bwd, mem) in figures.items():
            peer = engine != "deltagrad"
            rows.append({
                "workload": workload, "size": size, "engine": engine, "nodes": mem["nodes"],
                "forward": t_fwd,
                "backward": "fails" if t_bwd is None and engine == "micrograd" else t_bwd,
                "graph_bytes": mem["graph"], "peak_bytes": mem["peak"], "error": mem["error"],
                "ratio_forward": _ratio(d_fwd, t_fwd) if peer else None,
                "ratio_backward": _ratio(d_bwd, t_bwd) if peer else None,
                "ratio_peak": _ratio(d_mem["peak"], mem["peak"]) if peer else None})
    return Table("Deep chain and sums of products (cyclic GC off; time: median; memory: OS "
                 "peak RSS per node)", [
                     Column("workload", "workload"), Column("size", "size", "{:,}"),
                     Column("engine", "engine"), Column("nodes", "nodes", "{:,}"),
                     Column("forward", "forward", "time"),
                     Column("backward", "backward", "time"),
                     Column("graph_bytes", "graph B/node", "{:.0f}"),
                     Column("peak_bytes", "peak B/node", "{:.0f}"),
                     Column("error", "backward error"),
                     Column("ratio_forward", "ratio fwd", "{:.2f}"),
                     Column("ratio_backward", "ratio bwd", "{:.2f}"),
                     Column("ratio_peak", "ratio peak mem", "{:.2f}")], rows)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, or None where either is missing (a failed or skipped measurement)."""
    if ours is None or theirs is None or math.isnan(ours) or math.isnan(theirs):
        return None
    return ours / theirs


def _value(value: float, fmt: str) -> dict[str, Any]:
    """A named figure for a results file: the number and how the docs write it."""
    return {"value": value, "format": fmt}


def bench_esl(sizes: Sequence[int]) -> tuple[Table, dict[str, Any]]:
    """The lecture's net: scalar graphs, traced replay, closed form."""
    rows = []
    for n in sizes:
        (size,), t_scalar, t_trace, t_closed, nodes = esl_rows(n)
        rows.append({"n": size, "scalar": t_scalar, "replay": t_trace, "closed_form": t_closed,
                     "scalar_over_replay": t_scalar / t_trace,
                     "replay_over_closed_form": t_trace / t_closed, "tape_nodes": nodes})
    table = Table("ESL net (p=2, M=10, K=1) full-batch gradient", [
        Column("n", "N", "{:,}"), Column("scalar", "scalar graphs", "time"),
        Column("replay", "traced replay", "time"),
        Column("closed_form", "closed-form numpy", "time"),
        Column("scalar_over_replay", "scalar / replay", "{:.0f}×"),
        Column("replay_over_closed_form", "replay / closed form", "{:.1f}×"),
        Column("tape_nodes", "tape nodes")], rows)
    return table, {"esl_replay_speedup": _value(rows[-1]["scalar_over_replay"], "{:.0f}×"),
                   "esl_replay_over_closed_form": _value(rows[-1]["replay_over_closed_form"],
                                                         "{:.1f}×")}


def micrograd_moons(steps: int, seed: int) -> tuple[list[float], list[float], float]:
    """micrograd's demo loop, as written in its ``demo.ipynb`` (full batch, no batch_size).

    Returns:
        The starting weights, the loss before each step, and the median seconds per step.
    """
    random.seed(seed)
    model = micrograd.nn.MLP(2, [16, 16, 1])
    start = [p.data for p in model.parameters()]
    data = moons(100, seed, noise=0.1)
    xs, ys = data.X.tolist(), data.y[:, 0].tolist()
    losses, times = [], []
    for k in range(steps):
        begin = time.perf_counter()
        inputs = [list(map(micrograd.engine.Value, row)) for row in xs]
        scores = list(map(model, inputs))
        margins = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
        data_loss = sum(margins) * (1.0 / len(margins))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        times.append(time.perf_counter() - begin)
        losses.append(total.data)
    return start, losses, statistics.median(times)


def bench_moons(steps: int, repeats: int) -> tuple[Table, dict[str, Any]]:
    """micrograd's demo: its own loop against fit, from the same weights (GC on, the default)."""
    start, theirs, t_theirs = micrograd_moons(steps, SEED)
    data = moons(100, SEED, noise=0.1)
    model = MLP(2, [16, 16, 1], activation="relu")
    params = model.parameters()
    runs = []
    for _ in range(repeats):
        for p, v in zip(params, start, strict=True):
            p.data = v
        runs.append(train(model, data, progress=False))
    hist = runs[-1]
    ours = hist.loss[:steps]
    worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(ours, theirs, strict=True))
    t_ours = statistics.median(h.seconds for h in runs) / STEPS
    rows = [{"loop": "micrograd 0.1.0 (its own loop)", "steps": steps, "per_step": t_theirs,
             "speedup": 1.0},
            {"loop": "deltagrad fit (traced tape)", "steps": STEPS, "per_step": t_ours,
             "speedup": t_theirs / t_ours}]
    table = Table(
        f"micrograd's demo: moons (100 points), MLP 2-16-16-1, γ_k = {schedule(1):g} − 0.9k/100",
        [Column("loop", "loop"), Column("steps", "steps timed"),
         Column("per_step", "per step (median)", "time"),
         Column("speedup", "speed-up", "{:.0f}×")], rows)
    return table, {"moons_speedup": _value(t_theirs / t_ours, "{:.0f}×"),
                   "moons_step_deltagrad": _value(t_ours, "time"),
                   "moons_step_micrograd": _value(t_theirs, "time"),
                   "moons_worst_loss_difference": _value(worst, "{:.1e}"),
                   "moons_final_loss": _value(hist.loss[-1], "{:.6f}"),
                   "moons_accuracy": _value(accuracy(model, data), "{:.0%}")}


def main() -> None:
    """Parse arguments, run the benchmarks, print the tables and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--out", type=Path, help="also write the tables to this Markdown file")
    parser.add_argument("--results", type=Path, help="the JSON results file to update "
                        f"(default: {RESULTS_DIR / 'engine.json'}; with --quick: none)")
    parser.add_argument("--only", choices=["mlp", "depth", "esl", "moons"], action="append")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "WORKLOAD", "SIZE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--raise-limit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, workload, size = args.child
        print(json.dumps(memory_child(engine, workload, int(size), args.raise_limit)))
        return
    quick = args.quick
    parts = args.only or ["mlp", "depth", "esl", "moons"]
    run = run_info(quick=quick, micrograd="0.1.0")
    print(f"{run}\n", flush=True)
    tables: dict[str, Table] = {}
    values: dict[str, Any] = {}
    started = time.perf_counter()
    if "mlp" in parts:
        tables["mlp"], found = bench_mlp(repeats=3 if quick else 7, n_points=20 if quick else 100)
        values |= found
        print(markdown(tables["mlp"]), flush=True)
    if "depth" in parts:
        depths = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
        tables["depth"], tables["recursion"] = bench_depth(depths, quick)
        print(markdown(tables["depth"]), markdown(tables["recursion"]), sep="\n", flush=True)
    if "esl" in parts:
        tables["esl"], found = bench_esl([100, 1_000] if quick else [100, 1_000, 10_000])
        values |= found
        print(markdown(tables["esl"]), flush=True)
    if "moons" in parts:
        tables["moons"], found = bench_moons(steps=2 if quick else 10, repeats=1 if quick else 3)
        values |= found
        print(markdown(tables["moons"]), flush=True)
    print(f"total {time.perf_counter() - started:.0f} s")
    for table in tables.values():
        table.run = run
    if args.out:
        args.out.write_text("\n".join(markdown(t) for t in tables.values()), encoding="utf-8")
    results = args.results or (None if quick else RESULTS_DIR / "engine.json")
    if results:
        save(results, tables, {name: v | {"run": run} for name, v in values.items()})
        print(f"wrote {results}")


if __name__ == "__main__":
    main()
