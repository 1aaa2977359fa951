"""Tests for `python -m autograd graph`: good input, each kind of bad input, hostile input."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd.__main__ import main
from autograd.expr import FUNCTIONS
from autograd.ops import OPS
from autograd.value import Value, apply


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_prints_the_gradient_table_and_writes_files(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    svg, page = tmp_path / "graph.svg", tmp_path / "steps.html"
    status, out, err = run(capsys, "graph", "tanh(w*x + b)", "--at", "w=-3,x=2,b=6.88",
                           "-o", str(svg), "--html", str(page))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "f = tanh(w*x + b) = 0.706419"
    assert lines[1].split() == ["input", "value", "∂f/∂input"]
    assert lines[2].split() == ["w", "-3", "1.00194"]
    assert lines[3].split() == ["x", "2", "-1.50292"]
    assert lines[4].split() == ["b", "6.88", "0.500972"]
    assert lines[5:] == [f"wrote {svg}", f"wrote {page}"]
    ET.parse(svg)  # well-formed XML
    html = page.read_text(encoding="utf-8")
    assert "\\u003csvg" in html and html.count('"text": ') == 6  # start + one step per input edge
    assert r"\u2202f/\u2202w += \u2202f/\u2202n2 \u00b7 \u2202(w \u00d7 x)/\u2202w" in html


@pytest.mark.parametrize(("expression", "at", "first_line"), [
    ("x**2", "x=-3", "f = x**2 = 9"),  # a number exponent: negative bases are fine
    ("x**-1", "x=2", "f = x**-1 = 0.5"),
    ("2**x", "x=3", "f = 2**x = 8"),
    ("exp(2) * x", "x=1", "f = exp(2) * x = 7.38906"),
    ("sigmoid(a) + relu(a) - softplus(a) / abs(a) + log(a)", "a=1",
     "f = sigmoid(a) + relu(a) - softplus(a) / abs(a) + log(a) = 0.417797"),
    ("-(x)", "x=2", "f = -(x) = -2"),
    ("3", "", "f = 3 = 3"),
    ("f * 2", "f=1", "out = f * 2 = 2"),
    ("x ** (1/2)", "x=4", "f = x ** (1/2) = 2"),  # (1/2) is a number, not a Value exponent
    ("α*x + β", "x=2,α=3,β=1", "f = α*x + β = 7"),  # the lecture's Greek names
])
def test_good_expressions(expression: str, at: str, first_line: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "graph", "--at", at, "--", expression)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == first_line


def test_gradient_of_a_shared_input(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "graph", "x*x + 3*x", "--at", "x=2")
    assert status == 0
    assert out.splitlines()[2].split() == ["x", "2", "7"]


@pytest.mark.parametrize(("expression", "message", "pointer"), [
    ("x.real", "attribute access is not allowed", "^^^^^^"),
    ("x[0]", "indexing is not allowed", "^^^^"),
    ("(lambda: x)", "lambda is not allowed", " ^^^^^^^^^"),
    ("x < 1", "comparison is not allowed", "^^^^^"),
    ("x if x else 1", "if/else is not allowed", "^"),
    ("[x]", "construct (List) is not allowed", "^^^"),
    ("x // 2", "only the operators + - * / ** are allowed", "^^^^^^"),
    ("+x", "only unary minus is allowed", "^^"),
    ("'x'", "only numbers are allowed, not 'x'", "^^^"),
    ("True * x", "only numbers are allowed, not True", "^^^^"),
    ("1j * x", "only numbers are allowed", "^^"),
    ("x * y", "unknown name 'y': give its value with --at y=...", "    ^"),
    ("x + exp", "exp is a function: call it", "    ^^^"),
    ("erf(x)", f"only calls to the functions {', '.join(FUNCTIONS)} are allowed", "^^^"),
    ("x ^ 2", "only the operators + - * / ** are allowed; for a power write **", "^^^^^"),
    ("1e-400 * x", "this number is too small for a float (it would become 0)", "^^^^^^"),
    ("1e-310 * x", "this number is subnormal", "^^^^^^"),
    ("exp(x, x)", "exp takes exactly one argument", "^^^^^^^^^"),
    ("exp(x=x)", "exp takes exactly one argument", "^"),
    ("x +", "not a valid expression", "   ^"),
    ("1e999 * x", "too large for a float", "^^^^^"),
])
def test_refused_expressions_point_at_the_problem(expression: str, message: str, pointer: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "graph", "--at", "x=2", "--", expression)
    assert (status, out) == (2, "")
    assert err.startswith("error: ")
    assert message in err
    lines = err.splitlines()
    assert lines[-2] == "  " + expression
    assert lines[-1].startswith("  " + pointer)


@pytest.mark.parametrize(("at", "message"), [
    ("x", "--at: expected name=number, got 'x'"),
    ("x=two", "--at: x='two' is not a number"),
    ("x=nan", "not a finite number"),
    ("x=1,x=2", "'x' is given twice"),
    ("x=1,exp=2", "'exp' is a function name"),
    ("x=1,q=2", "--at gives q, which the expression does not use"),
    ("os.x=1", "expected name=number"),
    ("x=1e-400", "x='1e-400' is too small for a float (it would become 0)"),
    ("x=-1e-310", "x='-1e-310' is subnormal"),
    ("x=1e999", "not a finite number"),
])
def test_bad_at(at: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "graph", "x*2", "--at", at)
    assert (status, out) == (2, "")
    assert message in err


@pytest.mark.parametrize(("expression", "message"), [
    ("log(x - 2)", "log: log(0) is undefined"),
    ("x / (x - 2)", "truediv: division by zero"),
    ("(-x) ** 0.5", "pow: -2 ** 0.5 is not real"),
    ("exp(1000 * x)", "exp: exp(2000) overflows"),
])
def test_domain_errors_name_the_op(expression: str, message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", expression, "--at", "x=2")
    assert status == 2
    assert message in err


@pytest.mark.parametrize("expression", [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{marker}', 'w')",
    "exec('open(\"{marker}\", \"w\")')",
    "[c for c in ().__class__.__mro__]",
    "(x := 1)",
    "f'{{open(\"{marker}\", \"w\")}}'",
])
def test_hostile_expressions_are_refused_without_side_effects(
        expression: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    status, out, err = run(capsys, "graph", expression.format(marker=marker), "--at", "x=1")
    assert (status, out) == (2, "")
    assert err.startswith("error: ") and "allowed" in err
    assert not marker.exists()


@pytest.mark.parametrize("expression", [
    "x" * 1_000_000,
    "-" * 1999 + "x",
    "(" * 150 + "x" + ")" * 150,
    "+".join(["x"] * 999),
    "1" * 1999 + " * x",
])
def test_oversized_input_is_refused_by_its_size(expression: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", "--at", "x=1", "--", expression)
    if expression.startswith("(" * 150):
        assert status == 0  # deep but small: fine
        return
    assert status == 2
    assert any(m in err for m in ["characters long; the limit is 2000",
                                  "more than 1000 parts", "too large for a float"])


def test_oversized_at_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", "x", "--at", "x=1," * 5000)
    assert status == 2 and "--at is 20000 characters long" in err


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["graph", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert 'python -m autograd graph "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg' in out
    assert "nothing typed is run as Python code" in out


def test_missing_renderer_is_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    status, _, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.svg"))
    assert status == 1
    assert "no Graphviz renderer found" in err
    assert not (tmp_path / "g.svg").exists()


def test_module_runs_without_an_activated_venv(tmp_path: Path) -> None:
    """`.venv/bin/python -m autograd` with the venv's bin not on PATH still finds a renderer."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(p) != Path(sys.executable).parent)
    svg = tmp_path / "g.svg"
    done = subprocess.run([sys.executable, "-m", "autograd", "graph", "relu(x) * y",
                           "--at", "x=1.5,y=-2", "-o", str(svg)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "f = relu(x) * y = -3"
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_number_subexpression_exponent_at_zero_gives_the_power_rule_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", "x ** (1/2)", "--at", "x=0")
    assert status == 2 and "derivative of x ** 0.5 is infinite at x = 0" in err


def test_the_pointer_counts_characters_not_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", "α*β*zz", "--at", "α=1,β=2")
    assert status == 2
    assert err.splitlines()[-2:] == ["  α*β*zz", "      ^^"]


def test_the_functions_are_the_ops_users_call(capsys: pytest.CaptureFixture[str]) -> None:
    calls = [op for op in OPS.values() if op.call is not None]
    assert list(FUNCTIONS) == [op.call for op in calls]
    assert {"exp", "log", "sin", "cos", "sqrt", "tanh", "abs"} <= set(FUNCTIONS)
    for op in calls:
        status, out, err = run(capsys, "graph", f"{op.call}(x)", "--at", "x=0.5")
        assert (status, err) == (0, "")
        y = apply(op, Value(0.5))
        assert out.splitlines()[0] == f"f = {op.call}(x) = {y.data:.6g}"


def test_at_may_be_repeated_but_a_name_only_once(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "graph", "x*y", "--at", "x=2", "--at", "y=3")
    assert status == 0 and out.splitlines()[0] == "f = x*y = 6"
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=2", "--at", "x=3")
    assert (status, out) == (2, "") and "'x' is given twice" in err


def test_a_typographic_minus_is_a_minus(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "graph", "x − 1", "--at", "x=−3")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "f = x − 1 = -4"
    assert out.splitlines()[2].split() == ["x", "-3", "1"]


@pytest.mark.parametrize("argv", [["graph", "-x*x", "--at", "x=2"],
                                  ["graph", "--at", "x=2", "-x*x"]])
def test_a_leading_minus_gets_a_hint(argv: list[str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert 'put -- before it, last: graph --at x=2 -- "-x*x"' in capsys.readouterr().err


def test_the_same_file_for_both_outputs_is_refused(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "same.svg"
    link = tmp_path / "link.svg"
    link.symlink_to(target)
    for other in (target, link):
        status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(target),
                               "--html", str(other))
        assert (status, out) == (2, "")
        assert "-o and --html name the same file" in err
    assert not target.exists()


@pytest.mark.parametrize(("option", "message", "status"), [
    ("-o", "error: -o: the file name is empty", 2),
    ("--html", "error: --html: the file name is empty", 2),
])
def test_empty_output_names_are_refused(option: str, message: str, status: int,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "graph", "x*2", "--at", "x=1", option, "") == (status, "", message + "\n")


def test_an_output_folder_is_refused_before_anything_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "g.svg"
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(svg),
                           "--html", str(tmp_path))
    assert (status, out) == (1, "")
    assert "--html: cannot write" in err and "it is a folder" in err
    assert not svg.exists()


def _long_sum(terms: int) -> tuple[str, str]:
    return ("+".join(f"x{i}" for i in range(terms)),
            ",".join(f"x{i}=1" for i in range(terms)))


def test_every_output_is_checked_before_any_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expression, at = _long_sum(250)  # 499 nodes: drawable, too large for the step page
    svg, page = tmp_path / "g.svg", tmp_path / "steps.html"
    status, _, err = run(capsys, "graph", expression, "--at", at, "-o", str(svg),
                         "--html", str(page))
    assert status == 2
    assert "the graph has 499 nodes, more than max_nodes=200" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("renderer", ["graphviz-pure", "dot"])
def test_a_250_term_sum_ends_quickly_with_a_clear_message(
        renderer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: 1*x + 1*x + ... (x used 250 times) once took minutes, then a traceback."""
    expression = "+".join(["1*x"] * 250)
    svg = tmp_path / "g.svg"
    status, out, err = run(capsys, "graph", expression, "--at", "x=1", "-o", str(svg),
                           "--renderer", renderer)
    assert out.splitlines()[0].endswith("= 250")  # the gradients are printed first
    assert status == 1 and not svg.exists()
    assert err.count("\n") == 1  # one line, no traceback
    if renderer == "dot" and shutil.which("dot") is None:  # asked for, but not installed
        assert "the renderer 'dot' is not found" in err
        return
    assert err.startswith("error: the graph is too tangled to lay out")


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_stays_a_device(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    status, out, _ = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(null),
                         "--html", str(null.with_name("null2")))
    assert status == 0 and f"wrote {null}" in out
    assert stat.S_ISCHR(null.stat().st_mode) and null.stat().st_rdev == os.makedev(1, 3)


def _cli(*argv: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "autograd", *argv], capture_output=True,
                          env=env, cwd=cwd, timeout=120, check=False)


def test_dev_stdout_through_a_pipe_gets_only_the_picture() -> None:
    done = _cli("graph", "x*2", "--at", "x=1", "-o", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert ET.fromstring(done.stdout).tag.endswith("svg")  # nothing but the SVG document
    assert done.stderr.decode().splitlines()[0] == "f = x*2 = 2"


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_any_stdout_encoding_works(encoding: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    done = _cli("graph", "α*x", "--at", "x=2,α=3", "-o", "g.svg", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode(encoding).splitlines()
    assert lines[0] == r"f = \u03b1*x = 6"
    assert lines[1].split() == ["input", "value", "df/dinput"]
    assert lines[-1] == "wrote g.svg"
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")


def test_a_renderer_failure_is_one_line_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.xyz"),
                         "--renderer", "graphviz-pure")
    assert status == 1 and list(tmp_path.iterdir()) == []
    assert err.startswith('error: graphviz-pure failed (exit 1): Format: "xyz" not recognized')
    assert err.count("\n") == 1


def test_a_closed_pipe_ends_quietly() -> None:
    """`... | head -1` closes the pipe early: no 'Broken pipe' error, no traceback."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line is written
    try:
        done = subprocess.run([sys.executable, "-m", "autograd", "graph", "x*x", "--at", "x=2"],
                              stdout=write, stderr=subprocess.PIPE, text=True, check=False,
                              timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


def test_max_nodes_lifts_the_step_page_limit(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    expression, at = _long_sum(120)  # 239 nodes: over the step page's default 200
    page = tmp_path / "steps.html"
    status, _, err = run(capsys, "graph", expression, "--at", at, "--html", str(page))
    assert status == 2 and "--max-nodes on the command line" in err and not page.exists()
    status, _, _ = run(capsys, "graph", expression, "--at", at, "--html", str(page),
                       "--max-nodes", "300")
    assert status == 0 and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_format_without_an_output_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "graph", "x*x", "--at", "x=2", "--format", "svg")
    assert (status, out) == (2, "") and "--format sets the picture format of -o" in err
