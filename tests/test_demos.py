"""Tests for the demos: the ESL §11.6 script's quick mode and the lecture's parts."""

import ast
import configparser
import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "demos" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _esl_quick(out: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "demos" / "esl_simulation.py"), "--quick", "--no-progress",
         "--jobs", str(jobs), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
    )


def test_esl_quick_run_is_the_same_with_one_and_two_jobs(tmp_path: Path) -> None:
    proc = _esl_quick(tmp_path / "two", jobs=2)
    _esl_quick(tmp_path / "one", jobs=1)
    results = json.loads((tmp_path / "two" / "esl_results.json").read_text(encoding="utf-8"))
    alone = json.loads((tmp_path / "one" / "esl_results.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in results.items() if k != "seconds"} == {
        k: v for k, v in alone.items() if k != "seconds"}
    tmp_path = tmp_path / "two"
    assert results["starts"] == 3
    assert set(results["errors"]) == {"sum_of_sigmoids", "radial"}
    for by_lam in results["errors"].values():
        assert set(by_lam) == {"0", "0.0005", "0.1"}
        for table in by_lam.values():
            assert set(table) == {"0", "1", "2", "3"}
            assert len(table["0"]) == 1 and all(len(table[m]) == 3 for m in ("1", "2", "3"))
            linear = table["0"][0]
            assert math.isfinite(linear) and linear > 1.0
            assert all(math.isfinite(v) and v > 0.5 for errs in table.values() for v in errs)
    assert set(results["sweep"]) == {"0", "0.05", "0.1"}
    # The table printed and written: a header, a rule and one row per M, then the sweep.
    table = (tmp_path / "esl_table.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == (1 + 4) + (1 + 3)
    assert all(row.count("|") == 8 for row in rows[:5])
    assert table in proc.stdout
    for fig in ("esl_fig_11_6.png", "esl_fig_11_7.png", "esl_fig_11_8.png"):
        assert (tmp_path / fig).stat().st_size > 1000


def test_esl_two_hidden_units_beat_the_linear_model() -> None:
    esl = _load("esl_simulation")
    prob = esl._problem("sum_of_sigmoids", 0, esl.DEFAULT_SEED)
    linear = esl.linear_fit_error(prob)
    net = esl.net_fit_error(prob, 2, 0.1, np.random.default_rng(0), 100)
    assert 1.0 < net < 1.3 < linear


@pytest.fixture(scope="module")
def lecture() -> ModuleType:
    return _load("lecture")


def test_lecture_part_a_closed_form_equals_autodiff(
    lecture: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    worst = lecture.part_a(tmp_path)
    assert worst < 1e-12
    out = capsys.readouterr().out
    assert "δ_k" in out and "s_m" in out and "largest relative difference" in out
    assert (tmp_path / "lecture_graph.svg").read_text(encoding="utf-8").lstrip().startswith("<")
    assert "<html" in (tmp_path / "lecture_backward.html").read_text(encoding="utf-8").lower()


def test_lecture_training_parts(
    lecture: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch, online = lecture.part_c(tmp_path, progress=False, epochs=300, online_epochs=3)
    assert batch.loss[-1] < batch.loss[0] and online.loss[-1] < online.loss[0]
    assert len(batch.loss) == 301  # one fit, its checkpoints taken by an observer
    assert (tmp_path / "lecture_training_curve.png").stat().st_size > 1000
    assert lecture.part_e(progress=False) < 0.2
    assert "Bayes" in capsys.readouterr().out


def _requirements(text: str) -> set[str]:
    """Distribution names of a setup.cfg requirement list (one per line)."""
    return {line.split(">")[0].split("=")[0].strip() for line in text.split("\n") if line.strip()}


def test_the_test_extra_installs_what_the_suite_and_demos_import() -> None:
    """`pip install -e .[test]` must be enough to run the suite, demos included."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    provided = _requirements(config["options"]["install_requires"]) | _requirements(
        config["options.extras_require"]["test"]
    )
    imported: set[str] = set()
    for path in [*ROOT.glob("tests/*.py"), *ROOT.glob("demos/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"autograd", "nn", "conftest",
                                                                   "benchmarks"}
    assert {"scipy", "matplotlib"} <= third_party
    assert third_party <= provided


def test_micrograds_demo_reaches_full_training_accuracy() -> None:
    moons = _load("moons")
    data = moons.moons(100, moons.SEED, noise=0.1)
    model = moons.micrograd_mlp(moons.SEED + 1)
    hist = moons.train(model, data, progress=False)
    assert len(hist.loss) == moons.STEPS + 1 and hist.loss[-1] < 0.1 * hist.loss[0]
    assert moons.accuracy(model, data) == 1.0


def test_demos_never_switch_the_matplotlib_backend() -> None:
    """Importing or %run-ning a demo must not change a notebook's backend: no pyplot, no use()."""
    for path in ROOT.glob("demos/*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        assert "matplotlib.pyplot" not in names, path.name
        calls = [node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute)]
        assert "use" not in calls, path.name


def _screen(text: str) -> list[str]:
    """The lines a terminal shows at the end: each line's text after its last carriage return."""
    return [line.split("\r")[-1].rstrip() for line in text.replace("\r\n", "\n").split("\n")]


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux script(1) for a pty")
def test_lecture_demo_prints_the_same_lines_in_a_terminal_as_piped(tmp_path: Path) -> None:
    command = f"{sys.executable} demos/lecture.py --out {tmp_path}"
    piped = subprocess.run(command.split(), capture_output=True, timeout=120,
                           check=True, cwd=ROOT).stdout.decode()
    tty = subprocess.run(["script", "-q", "-e", "-c", command, "/dev/null"], capture_output=True,
                         timeout=120, check=True, cwd=ROOT).stdout.decode()  # keeps every \r
    assert "4000/4000" in tty  # the bar was drawn, up to the last epoch, then blanked
    strip = re.compile(r"\(\d+\.\d s[;)]|\d+\.\d s\)|\d+\.\d ms")  # timings vary
    assert [strip.sub("", line) for line in _screen(tty)] == [
        strip.sub("", line) for line in _screen(piped)]
