"""The traced replay on a GPU: the lecture net's fused gradient with torch on CUDA against numpy.

Run with ``.venv/bin/python benchmarks/tape_gpu.py`` (needs ``deltagrad[torch]`` and a
CUDA build of torch for a GPU). Without a GPU it says so and times nothing; the results file
(``benchmarks/results/tape_gpu.json``, format: ``benchmarks/results.py``) then records why,
as its value ``gpu``. The workload is that of ``benchmarks/tape.py`` (p = 10, M = 10, K = 1,
squared error) at N = 10⁴, 10⁶ and 10⁷; the GPU time includes copying the summed gradients
back to the host (``.cpu()``), which waits for the device to finish.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a fresh clone

from benchmarks.results import RESULTS_DIR, Table, markdown, run_info, save
from benchmarks.tape import columns, lecture_problem, lecture_tape, one_thread, rows, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR / "tape_gpu.json",
                        help="the JSON results file to update")
    args = parser.parse_args()
    one_thread()
    import torch

    run = run_info(torch=torch.__version__)
    if not torch.cuda.is_available():
        said = (f"no GPU here: torch {torch.__version__} reports torch.cuda.is_available() "
                "is False, so nothing was timed")
        print(said)
        save(args.results, values={"gpu": {"value": said, "format": None, "run": run}})
        return
    found = []
    for n in (10_000, 1_000_000, 10_000_000):
        net, x, y = lecture_problem(n)
        xy = np.hstack([x, y])
        tape = lecture_tape(net, xy[0].tolist(), fuse=True)
        on_gpu = torch.asarray(xy, device="cuda")
        assert np.allclose(tape.gradient(on_gpu)[1].cpu().numpy(), tape.gradient(xy)[1],
                           rtol=1e-10, atol=1e-9)
        times = timed({"numpy (CPU)": lambda: tape.gradient(xy),  # noqa: B023
                       "torch (GPU)": lambda: tape.gradient(on_gpu)[1].cpu()},  # noqa: B023
                      repeats=5)
        found += rows(n, "library", times, "numpy (CPU)")
    gpu = torch.cuda.get_device_name(0)
    table = Table(f"The fused replay's gradient on a GPU ({gpu})",
                  columns("library", "ratio to numpy"), found, run | {"gpu": gpu})
    print(markdown(table))
    save(args.results, {"gpu": table}, {"gpu": {"value": gpu, "format": None, "run": run}})


if __name__ == "__main__":
    main()
