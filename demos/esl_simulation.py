"""The simulation experiment of ESL §11.6 (Figures 11.6–11.8), reproduced with deltagrad.

Set-up, as in the book: X ~ N(0, I); "sum of sigmoids" Y = σ(a1ᵀX) + σ(a2ᵀX) + ε (p = 2)
and "radial" Y = Π_{m=1..10} φ(X_m) + ε (p = 10), Gaussian noise with Var(f(X))/Var(ε) = 4.
One training set of 100 cases and one test set of 10,000 per problem (fixed seed, printed).
For M = 1..10 hidden units, ten random starts each (weights uniform on [−0.7, 0.7]), the net
is fitted with weight decay λ ∈ {0, 0.0005, 0.1}; M = 0 is the linear model fitted by least
squares (no penalty, one fit). For sum of sigmoids with M = 10, λ is also swept from 0 to
0.15. The score is the test error E(Y − f̂(X))² relative to the Bayes error Var(ε).

How it is fitted (state this next to any result):

* **Optimiser and budget**: ``nnet``'s own BFGS (the variable metric method of R's ``optim``,
  :func:`nn.optim.variable_metric`) on the penalised criterion, at most 100 iterations and
  stopping when an iteration lowers it by less than a relative 1e-8 (R's ``nnet`` defaults;
  ESL names ``nnet`` for its chapter-11 comparisons), analytic gradients from
  ``nn/backprop.py``. With λ = 0 the criterion has no finite minimiser on 100
  points, so the iteration cap acts as early stopping; a longer budget gives other numbers.
* **λ scale**: the book's. The criterion is R(θ) + λJ(θ) with R = Σ_i (y_i − f(x_i))² a *sum*
  over the 100 observations and J = Σ w² over all weights, intercepts included (as ``nnet``).
  With a mean loss the same λ would be 100 times stronger.
* **Standardisation**: inputs are standardised with the training mean and sd. The radial
  targets are tiny (Var f(X) ≈ 3.3e-11), so for that problem Y is standardised too (training
  mean and sd) and predictions are mapped back before scoring; λ then acts on the
  standardised scale. Sum-of-sigmoids targets are used as they are.
* **Seeds**: one ``numpy.random.Generator`` per data set (seed, data-set index); starting
  weights from (seed, data-set index, M, start), so every λ sees the same ten starts.
* **Parallel**: every fit is an independent task, run in ``--jobs`` worker processes (default:
  all cores). Each task draws from its own seed, so the results are identical for any number
  of jobs.

Usage: ``python demos/esl_simulation.py [--quick] [--out DIR] [--seed N] [--jobs J]
[--no-progress]``.
Writes ``esl_table.md``, ``esl_results.json`` and the figures ``esl_fig_11_6.png``,
``esl_fig_11_7.png``, ``esl_fig_11_8.png`` into DIR (default ``out/esl``). ``--quick`` uses
M ∈ {0, 1, 2, 3}, three starts and a short λ sweep (a smoke test, not the experiment).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd.atomic import make_folder, write_atomically
from nn.data import Dataset, Standardizer, simulate
from nn.progress import progress_bar
from nn.train import fit, predict
from nn.two_layer import TwoLayerNet

DEFAULT_SEED = 2009
DATASETS: tuple[str, ...] = ("sum_of_sigmoids", "radial")
DECAYS: tuple[float, ...] = (0.0, 0.0005, 0.1)
SWEEP: tuple[float, ...] = tuple(round(0.01 * i, 2) for i in range(16))
N_TRAIN, N_TEST = 100, 10_000
MAX_ITER = 100


@dataclass(frozen=True)
class Config:
    """What to run.

    Attributes:
        hidden: Numbers of hidden units M (0 = linear least squares).
        starts: Random starts per (data set, λ, M).
        decays: λ values for the hidden-units experiment.
        sweep: λ values for the sum-of-sigmoids M = 10 sweep.
        sweep_hidden: M of the sweep.
        seed: Master seed.
        max_iter: BFGS iteration cap.
    """

    hidden: tuple[int, ...]
    starts: int
    decays: tuple[float, ...]
    sweep: tuple[float, ...]
    sweep_hidden: int
    seed: int
    max_iter: int = MAX_ITER


def full_config(seed: int = DEFAULT_SEED) -> Config:
    """The book's experiment: M = 0..10, ten starts, λ ∈ {0, 0.0005, 0.1}, sweep 0..0.15."""
    return Config(tuple(range(11)), 10, DECAYS, SWEEP, 10, seed)


def quick_config(seed: int = DEFAULT_SEED) -> Config:
    """A smoke test: M ∈ {0..3}, three starts, sweep λ ∈ {0, 0.05, 0.1} with M = 3."""
    return Config((0, 1, 2, 3), 3, DECAYS, (0.0, 0.05, 0.1), 3, seed)


@dataclass
class Results:
    """Relative test errors, one list (over starts) per setting.

    Attributes:
        config: What was run.
        errors: ``errors[name][λ][M]`` = relative test errors of the starts.
        sweep: ``sweep[λ]`` = relative test errors of the M = ``config.sweep_hidden`` nets.
        bayes_error: Var(ε) of each data set.
        seconds: Wall-clock time of the run.
    """

    config: Config
    errors: dict[str, dict[float, dict[int, list[float]]]] = field(default_factory=dict)
    sweep: dict[float, list[float]] = field(default_factory=dict)
    bayes_error: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Problem:
    """One data set, standardised for fitting."""

    train: Dataset
    test: Dataset
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    y_scale: Standardizer | None


@functools.cache
def _problem(name: str, index: int, seed: int) -> _Problem:
    rng = np.random.default_rng([seed, index])
    train = simulate(name, N_TRAIN, rng)
    test = simulate(name, N_TEST, rng)
    xs = Standardizer(train.X)
    y_scale = Standardizer(train.Y) if name == "radial" else None
    y = y_scale.transform(train.Y) if y_scale is not None else train.Y
    return _Problem(train, test, xs.transform(train.X), y, xs.transform(test.X), y_scale)


def linear_fit_error(prob: _Problem) -> float:
    """Relative test error of least squares on (1, X): the M = 0 model."""
    design = np.column_stack([np.ones(len(prob.x)), prob.x])
    coef, *_ = np.linalg.lstsq(design, prob.train.Y, rcond=None)
    pred = np.column_stack([np.ones(len(prob.x_test)), prob.x_test]) @ coef
    return prob.test.relative_error(pred)


def net_fit_error(
    prob: _Problem, m: int, lam: float, rng: np.random.Generator, iters: int
) -> float:
    """Relative test error of one BFGS fit of an M-unit net from a random start."""
    net = TwoLayerNet(prob.x.shape[1], m, 1, rng=rng)
    fit(net, prob.x, prob.y, lam=lam, method="bfgs", epochs=iters, progress=False)
    pred = predict(net, prob.x_test)
    if prob.y_scale is not None:
        pred = prob.y_scale.inverse(pred)
    return prob.test.relative_error(pred)


Task = tuple[int, int, float, int, int, int]
"""(data-set index, M, λ, start, seed, BFGS iteration cap): one fit."""


def _fit_task(task: Task) -> float:
    """One fit, in a worker process (or in this one): the relative test error."""
    index, m, lam, start, seed, iters = task
    prob = _problem(DATASETS[index], index, seed)
    return net_fit_error(prob, m, lam, np.random.default_rng([seed, index, m, start]), iters)


def _tasks(config: Config) -> Iterator[tuple[str, Task]]:
    """Every fit of the experiment, with where its result goes (the same order every run)."""
    for index, name in enumerate(DATASETS):
        settings = [(lam, m, f"{lam}:{m}") for lam in config.decays for m in config.hidden if m]
        if name == "sum_of_sigmoids":
            settings += [(lam, config.sweep_hidden, f"sweep:{lam}") for lam in config.sweep]
        for lam, m, key in settings:
            for start in range(config.starts):
                yield f"{name}:{key}", (index, m, lam, start, config.seed, config.max_iter)


def run(config: Config, jobs: int = 1, progress: bool | None = False) -> Results:
    """Run the experiment.

    Args:
        config: What to run.
        jobs: Worker processes (1: run here). The results do not depend on it.
        progress: Show a progress bar (None: in a terminal or a notebook).

    Returns:
        The relative test errors.
    """
    begin = time.perf_counter()
    keys, tasks = zip(*_tasks(config), strict=True)
    with progress_bar(len(tasks), "ESL §11.6 fits", progress) as bar:
        if jobs == 1:
            errors = [_done(bar, _fit_task(task)) for task in tasks]
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                chunk = max(1, len(tasks) // (8 * jobs))
                errors = [_done(bar, e) for e in pool.map(_fit_task, tasks, chunksize=chunk)]
    by_key: dict[str, list[float]] = {}
    for key, err in zip(keys, errors, strict=True):
        by_key.setdefault(key, []).append(err)
    results = Results(config)
    for index, name in enumerate(DATASETS):
        prob = _problem(name, index, config.seed)
        results.bayes_error[name] = prob.train.bayes_error
        linear = [linear_fit_error(prob)]
        results.errors[name] = {
            lam: {m: by_key[f"{name}:{lam}:{m}"] if m else linear for m in config.hidden}
            for lam in config.decays
        }
    results.sweep = {lam: by_key[f"sum_of_sigmoids:sweep:{lam}"] for lam in config.sweep}
    results.seconds = time.perf_counter() - begin
    return results


def _done(bar: Any, value: float) -> float:
    bar.update()
    return value


def _summary(values: Sequence[float]) -> str:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    if len(values) == 1:
        return f"{med:.2f}"
    return f"{med:.2f} [{q1:.2f}, {q3:.2f}]"


def format_table(results: Results) -> str:
    """Markdown tables: median [quartiles] of the relative test error per setting."""
    cfg = results.config
    names = {"sum_of_sigmoids": "sum of sigmoids", "radial": "radial"}
    head = [f"{names[n]}, λ={lam:g}" for n in DATASETS for lam in cfg.decays]
    lines = [
        f"Test error / Bayes error: median [quartiles] over {cfg.starts} starts; M = 0 is "
        f"least squares. nnet's BFGS, ≤ {cfg.max_iter} iterations, λ on the summed scale, "
        f"seed {cfg.seed}.",
        "",
        "| M | " + " | ".join(head) + " |",
        "|---:|" + "---:|" * len(head),
    ]
    for m in cfg.hidden:
        cells = [_summary(results.errors[n][lam][m]) for n in DATASETS for lam in cfg.decays]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Sum of sigmoids, M = {cfg.sweep_hidden}, weight-decay sweep:",
        "",
        "| λ | test error / Bayes error |",
        "|---:|---:|",
    ]
    lines += [f"| {lam:g} | {_summary(errs)} |" for lam, errs in results.sweep.items()]
    return "\n".join(lines) + "\n"


def _boxplot(ax: object, groups: list[list[float]], labels: list[str], title: str) -> None:
    positions = list(range(1, len(groups) + 1))
    ax.boxplot(groups, positions=positions, widths=0.6)  # type: ignore[attr-defined]
    ax.set_xticks(positions)  # type: ignore[attr-defined]
    ax.set_xticklabels(labels)  # type: ignore[attr-defined]
    ax.set_title(title)  # type: ignore[attr-defined]
    ax.set_ylabel("Test error / Bayes error")  # type: ignore[attr-defined]
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")  # type: ignore[attr-defined]


def save_figures(results: Results, out_dir: Path) -> list[Path]:
    """Boxplots like ESL Figures 11.6–11.8; returns the files written (no pyplot)."""
    from matplotlib.figure import Figure

    cfg = results.config
    hidden = [str(m) for m in cfg.hidden]
    sos, rad = results.errors["sum_of_sigmoids"], results.errors["radial"]
    written = []
    specs = [
        ("esl_fig_11_6.png", [(sos, 0.0005, "Sum of Sigmoids, λ = 0.0005"),
                              (rad, 0.0005, "Radial, λ = 0.0005")]),
        ("esl_fig_11_7.png", [(sos, 0.0, "Sum of Sigmoids, no weight decay"),
                              (sos, 0.1, "Sum of Sigmoids, λ = 0.1")]),
    ]
    for filename, panels in specs:
        fig = Figure(figsize=(10, 4))
        axes = fig.subplots(1, 2)
        for ax, (table, lam, title) in zip(axes, panels, strict=True):
            _boxplot(ax, [table[lam][m] for m in cfg.hidden], hidden, title)
            ax.set_xlabel("Number of Hidden Units")
            if table is rad:
                # A constant fit has relative error 1 + Var f / Var ε = 5 (ESL §11.6).
                ax.axhline(5.0, color="tab:red", lw=0.8, ls="--", label="constant fit")
                ax.legend(loc="upper left")
        fig.tight_layout()
        path = out_dir / filename
        write_atomically(path, lambda fh, fig=fig: fig.savefig(fh, format="png", dpi=100))
        written.append(path)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    lams = list(results.sweep)
    _boxplot(ax, [results.sweep[lam] for lam in lams], [f"{lam:g}" for lam in lams],
             f"Sum of Sigmoids, {cfg.sweep_hidden} Hidden Unit Model")
    ax.set_xlabel("Weight Decay Parameter")
    ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    path = out_dir / "esl_fig_11_8.png"
    write_atomically(path, lambda fh, fig=fig: fig.savefig(fh, format="png", dpi=100))
    written.append(path)
    return written


def to_json(results: Results) -> dict:
    """The raw relative errors and settings, for ``esl_results.json``."""
    cfg = results.config
    return {
        "seed": cfg.seed,
        "optimiser": f"nnet's BFGS (variable metric, reltol 1e-8), at most {cfg.max_iter} "
                     "iterations",
        "lambda_scale": "summed squared error over the training set (the book's)",
        "starts": cfg.starts,
        "bayes_error": results.bayes_error,
        "errors": {
            name: {f"{lam:g}": {str(m): errs for m, errs in table.items()}
                   for lam, table in by_lam.items()}
            for name, by_lam in results.errors.items()
        },
        "sweep_hidden": cfg.sweep_hidden,
        "sweep": {f"{lam:g}": errs for lam, errs in results.sweep.items()},
        "seconds": round(results.seconds, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run, print the table, write table, JSON and figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    parser.add_argument("--out", type=Path, default=Path("out/esl"), help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed")
    parser.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores; results do not depend on it)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    config = quick_config(args.seed) if args.quick else full_config(args.seed)
    try:
        make_folder(args.out)
    except ValueError as err:
        parser.error(f"--out: {err}")
    results = run(config, jobs=args.jobs, progress=False if args.no_progress else None)
    table = format_table(results)
    print(table)
    print(f"{results.seconds:.1f} s with {args.jobs} job(s)")
    write_atomically(args.out / "esl_table.md", lambda fh: fh.write(table.encode("utf-8")))
    text = json.dumps(to_json(results), indent=1)
    write_atomically(args.out / "esl_results.json", lambda fh: fh.write(text.encode("utf-8")))
    for path in save_figures(results, args.out):
        print(f"wrote {path}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
