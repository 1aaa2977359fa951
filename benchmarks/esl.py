"""The ESL §11.6 experiment (``demos/esl_simulation.py``), old code against new, side by side.

Both sides run every fit of the full experiment (two data sets, M = 1..10, three λ, ten
starts, and the λ sweep: 760 BFGS fits; the M = 0 least-squares fits are not timed) in one
benchmark run. The old side is a fixed commit (``--base``, by default the last commit before
issue 16's training split), taken out of git with ``git archive`` into a temporary folder at
run time; the new side is this working tree. Each side is one worker subprocess that imports
its own ``autograd``, ``nn`` and ``demos/esl_simulation.py``, and single-threaded BLAS
(``OPENBLAS_NUM_THREADS=1`` and friends) in both, so that CPU times compare like with like.

The fits are cut into chunks, and the chunks run interleaved (old, new; then new, old; ...),
so that a change in the machine's load during the run falls on both sides alike. Each worker
measures the CPU time of its own process (``time.process_time``) around each chunk, after an
untimed warm-up that builds the data sets; wall time is not used, since the machine may be
shared. The relative test error of every fit must be identical, bit for bit, on both sides.

Then, unless ``--no-wall``, the new code runs the whole experiment as the demo does
(``esl_simulation.run`` with ``--jobs`` worker processes, 2 by default) in a fresh
subprocess, timed on the wall clock and by its CPU time (its own and its workers'); on a
shared machine that wall time depends on the load, which is reported with it.

The numbers go into the results file ``benchmarks/results/esl.json`` (format:
``benchmarks/results.py``), from which the docs' ESL page renders them: a table of both
sides' CPU seconds and their ratio (new / old, with the range of the per-chunk ratios), and
values for the ratio and the full run's wall and CPU seconds; each says the load average
before and after. ``--quick`` runs one fit in twenty and the full run's quick configuration
(a smoke test, which writes no results file unless ``--results`` is given).

Usage: ``python benchmarks/esl.py [--base COMMIT] [--chunks N] [--jobs J] [--no-wall]
[--quick] [--results FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a fresh clone

from benchmarks.results import RESULTS_DIR, Column, Table, markdown, run_info, save  # noqa: E402

BASE = "5413219"
"""The commit before issue 16 (its nn/ re-checked the data at every evaluation)."""
THREADS = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


# ------------------------------------------------------------------------------ the worker
def worker(tree: str) -> None:
    """Serve chunks of fits from ``tree``'s own code: one JSON line in, one JSON line out.

    A request is a list of tasks (``esl_simulation.Task``); the reply holds the relative
    test errors and the CPU seconds this process spent on them.
    """
    sys.path[:0] = [tree, str(Path(tree) / "demos")]
    import esl_simulation as esl

    import nn

    if not Path(nn.__file__).resolve().is_relative_to(Path(tree).resolve()):
        raise RuntimeError(f"the worker for {tree} imported nn from {nn.__file__}")
    config = esl.full_config()
    warm = [next(t for _, t in esl._tasks(config) if t[0] == i) for i in (0, 1)]
    for task in warm:  # builds and caches both data sets, untimed
        esl._fit_task(task)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        tasks = [tuple(t) for t in json.loads(line)]
        begin = time.process_time()
        errors = [esl._fit_task(task) for task in tasks]
        print(json.dumps({"errors": errors, "cpu": time.process_time() - begin}), flush=True)


class Side:
    """One worker subprocess and its totals."""

    def __init__(self, name: str, tree: Path) -> None:
        self.name, self.cpu, self.errors = name, 0.0, []  # type: ignore[var-annotated]
        self.chunk_cpu: list[float] = []
        env = {**os.environ, **THREADS, "PYTHONPATH": ""}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(tree)], cwd=tree, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()

    def _read(self) -> dict[str, Any]:
        out: IO[str] = self.proc.stdout  # type: ignore[assignment]
        line = out.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def run(self, tasks: Sequence[Any]) -> None:
        """Fit one chunk and add its results and CPU time."""
        self.proc.stdin.write(json.dumps(list(tasks)) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        reply = self._read()
        self.errors += reply["errors"]
        self.cpu += reply["cpu"]
        self.chunk_cpu.append(reply["cpu"])

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait()


# ---------------------------------------------------------------------------- the driver
def extract(commit: str, into: Path) -> Path:
    """The commit's autograd/, nn/ and demos/ under ``into`` (git archive, no checkout)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "autograd", "nn",
                              "demos"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def all_tasks(quick: bool) -> list[Any]:
    """Every fit of the full experiment, in the demo's order (one in twenty with --quick)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "demos")]
    import esl_simulation as esl

    tasks = [task for _, task in esl._tasks(esl.full_config())]
    return tasks[::20] if quick else tasks


def compare(base: str, chunks: int, quick: bool) -> dict[str, Any]:
    """Run both sides interleaved; their CPU times, ratio and whether the results agree."""
    tasks = all_tasks(quick)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="esl-base-") as tmp:
        old = Side(f"old ({base})", extract(base, Path(tmp)))
        try:
            new = Side("new (this tree)", ROOT)
            size = -(-len(tasks) // chunks)
            for i, at in enumerate(range(0, len(tasks), size)):
                chunk = tasks[at : at + size]
                for side in ((old, new) if i % 2 == 0 else (new, old)):
                    side.run(chunk)
            new.close()
        finally:
            old.close()
    ratios = [n / o for n, o in zip(new.chunk_cpu, old.chunk_cpu, strict=True)]
    return {"fits": len(tasks), "chunks": len(ratios), "cpu_old": old.cpu, "cpu_new": new.cpu,
            "ratio": new.cpu / old.cpu, "low": min(ratios), "high": max(ratios),
            "same": sum(a == b for a, b in zip(old.errors, new.errors, strict=True)),
            "load": f"{load_before[0]:.1f} → {os.getloadavg()[0]:.1f}"}


def time_run(jobs: int, quick: bool) -> None:
    """In a fresh process: run the whole experiment as the demo does and print the seconds."""
    sys.path[:0] = [str(ROOT), str(ROOT / "demos")]
    import esl_simulation as esl

    config = esl.quick_config() if quick else esl.full_config()
    begin = time.perf_counter()
    esl.run(config, jobs=jobs)
    wall = time.perf_counter() - begin
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    print(json.dumps({"wall": wall, "cpu": sum(u.ru_utime + u.ru_stime for u in usage)}))


def full_run(jobs: int, quick: bool) -> dict[str, Any]:
    """The new code's whole experiment, timed in a fresh subprocess, and the load around it."""
    load = os.getloadavg()[0]
    command = [sys.executable, __file__, "--time-run", str(jobs), *(["--quick"] * quick)]
    out = subprocess.run(command, cwd=ROOT, check=True, text=True, capture_output=True,
                         env={**os.environ, **THREADS}).stdout
    return json.loads(out) | {"jobs": jobs, "load": f"{load:.1f} → {os.getloadavg()[0]:.1f}"}


def table(base: str, cmp: dict[str, Any]) -> Table:
    """Both sides' CPU seconds and their ratio, as the docs show them."""
    return Table(
        f"ESL §11.6, {cmp['fits']} BFGS fits: CPU time before issue 16 and now, interleaved "
        f"in {cmp['chunks']} chunks in one run (single-threaded BLAS; load average "
        f"{cmp['load']})",
        [Column("code", "code"), Column("cpu", "CPU time", "time"),
         Column("ratio", "ratio to before", "{:.2f}"), Column("chunks", "per chunk"),
         Column("identical", "identical results")],
        [{"code": f"before issue 16 ({base})", "cpu": cmp["cpu_old"], "ratio": 1.0},
         {"code": "now", "cpu": cmp["cpu_new"], "ratio": cmp["ratio"],
          "chunks": f"{cmp['low']:.2f}–{cmp['high']:.2f}",
          "identical": f"{cmp['same']} of {cmp['fits']} fits"}],
        run_info(base=base, load=cmp["load"], blas_threads=1))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: compare, print a summary, write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE, help=f"the old commit (default {BASE})")
    parser.add_argument("--chunks", type=int, default=10, help="interleaved chunks (10)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the full run")
    parser.add_argument("--no-wall", action="store_true", help="skip the timed full run")
    parser.add_argument("--quick", action="store_true", help="one fit in twenty")
    parser.add_argument("--results", type=Path, help="the JSON results file to update "
                        "(default: benchmarks/results/esl.json; none with --quick)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--time-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.time_run:
        time_run(args.time_run, args.quick)
        return 0
    cmp = compare(args.base, max(1, args.chunks), args.quick)
    tables = {"cpu": table(args.base, cmp)}
    print(markdown(tables["cpu"]))
    values = {"cpu_ratio": {"value": round(cmp["ratio"], 3), "format": "{:.2f}",
                            "run": tables["cpu"].run}}
    if not args.no_wall:
        run = full_run(max(1, args.jobs), args.quick)
        tables["full_run"] = Table(
            "The whole experiment as the demo runs it, now: wall clock and CPU time (its own "
            "and its workers')",
            [Column("jobs", "worker processes"), Column("wall", "wall time", "time"),
             Column("cpu", "CPU time", "time"), Column("load", "load average")],
            [run], run_info(blas_threads=1))
        values["full_run_wall"] = {"value": round(run["wall"], 2), "format": "{:.1f} s",
                                   "run": tables["full_run"].run}
        print(markdown(tables["full_run"]))
    path = args.results or (None if args.quick else RESULTS_DIR / "esl.json")
    if path is not None:
        save(path, tables=tables, values=values)
        print(f"wrote {path}")
    return 0 if cmp["same"] == cmp["fits"] else 1

if __name__ == "__main__":
    sys.exit(main())
