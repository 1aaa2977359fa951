"""The traced replay on a GPU: the lecture net's fused gradient with torch on CUDA against numpy.

Run with ``.venv/bin/python benchmarks/tape_gpu.py`` (needs ``deltagrad[torch]`` and a
CUDA build of torch for a GPU). Without a GPU it says so and times nothing: its results file
(``benchmarks/results/tape_gpu.json``) then records why. The workload is that of
``benchmarks/tape.py`` (p = 10, M = 10, K = 1, squared error) at N = 10⁴, 10⁶ and 10⁷; the
GPU time includes copying the summed gradients back to the host (``.cpu()``), which waits
for the device to finish.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tape import lecture_problem, lecture_tape, timed

RESULTS = Path(__file__).resolve().parent / "results" / "tape_gpu.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results JSON")
    args = parser.parse_args()
    import torch

    results: dict[str, object] = {"torch": torch.__version__}
    if not torch.cuda.is_available():
        reason = (f"no GPU here: torch {torch.__version__} reports torch.cuda.is_available() "
                  "is False, so nothing was timed")
        print(reason)
        results["gpu"] = None
        results["reason"] = reason
    else:
        results["gpu"] = torch.cuda.get_device_name(0)
        rows = []
        for n in (10_000, 1_000_000, 10_000_000):
            net, x, y = lecture_problem(n)
            xy = np.hstack([x, y])
            tape = lecture_tape(net, xy[0].tolist(), fuse=True)
            on_gpu = torch.asarray(xy, device="cuda")
            want = tape.gradient(xy)[1]
            assert np.allclose(tape.gradient(on_gpu)[1].cpu().numpy(), want, rtol=1e-10)
            times = timed({"numpy (CPU)": lambda: tape.gradient(xy),  # noqa: B023
                           "torch (GPU)": lambda: tape.gradient(on_gpu)[1].cpu()},  # noqa: B023
                          repeats=5)
            print(f"N = {n:,}: " + ", ".join(f"{k} {v['median'] * 1e3:.2f} ms"
                                             for k, v in times.items()))
            rows.append({"N": n, "seconds": times})
        results["rows"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
