"""Tests for `python -m autograd graph`: good input, each kind of bad input, hostile input."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
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


@pytest.mark.parametrize("option", ["-o", "--html"])
def test_missing_renderer_is_exit_1_before_anything_is_printed(
        option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", option,
                           str(tmp_path / "g.svg"))
    assert (status, out) == (1, "")
    assert err.startswith("error: no Graphviz renderer found") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


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
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == ('hint: if the expression starts with "-", put -- before it, '
                                    'last: graph --at x=2 -- "-x*x"')  # on a line of its own


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


def test_an_output_through_proc_self_cwd_replaces_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: -o /proc/self/cwd/p.svg appended a second SVG to the first."""
    monkeypatch.chdir(tmp_path)
    for expression in ("x*2", "x*3"):
        status, _, _ = run(capsys, "graph", expression, "--at", "x=1",
                           "-o", "/proc/self/cwd/p.svg")
        assert status == 0
    picture = (tmp_path / "p.svg").read_text(encoding="utf-8")
    assert picture.count("<svg") == 1 and "data 3" in picture
    assert [p.name for p in tmp_path.iterdir()] == ["p.svg"]


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


def _cli(*argv: str | bytes, env: dict[str, str] | None = None,
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


@pytest.mark.parametrize(("argv", "message"), [
    (["-o", "a.pdf", "--renderer", "graphviz-pure"],
     "-o: graphviz-pure cannot write pdf pictures; it writes canon, dot, "),
    (["-o", "a", "--format", "pdf", "--renderer", "graphviz-pure"],
     "-o: graphviz-pure cannot write pdf pictures; it writes "),
    (["-o", "a.xyz", "--html", "steps.html"],
     "-o: (dot|graphviz-pure) cannot write xyz pictures; it writes "),
    (["-o", "a.svg", "--format", "png"], "the file name 'a.svg' says svg, but format='png'"),
])
def test_a_format_the_renderer_lacks_is_a_usage_error_before_anything_is_printed(
        argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: -o a.pdf printed the table, then failed with exit 1."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", *argv)
    assert (status, out) == (2, "")
    assert re.match(f"error: {message}", err) and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _fake_dot(folder: Path, listing: str) -> None:
    """A `dot` on PATH that lists ``listing`` as its formats (-T?) and fails to draw."""
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n"
                   f"case \"$1\" in -T\\?) echo '{listing}' >&2; exit 1;; esac\n"
                   "printf 'something broke\\non two lines\\n' >&2; exit 3\n")
    dot.chmod(0o755)


def test_a_renderer_failure_is_one_line_and_exit_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _fake_dot(tmp_path / "bin", 'Format: "?" not recognized. Use one of: png svg')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    svg = tmp_path / "g.svg"
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(svg),
                           "--renderer", "dot")
    assert status == 1 and not svg.exists()
    assert out.splitlines()[0] == "f = x*2 = 2"  # the drawing failed after the table
    assert err == "error: dot failed (exit 3): something broke on two lines\n"


def test_a_renderer_that_does_not_list_its_formats_is_exit_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _fake_dot(tmp_path / "bin", "no list here")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    status, out, err = run(capsys, "graph", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.svg"),
                           "--renderer", "dot")
    assert (status, out) == (1, "")
    assert err.startswith("error: dot did not list its output formats (exit 1)")


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


def _shell(command: str, *argv: str | bytes,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m autograd ARGV`` through sh, with ``command``'s redirections."""
    return subprocess.run(["sh", "-c", f'exec "$0" -m autograd "$@" {command}', sys.executable,
                           *argv], capture_output=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize(("redirect", "argv", "status", "shown"), [
    (">&-", ["graph", "x*2", "--at", "x=1"], 1, ""),  # the table cannot be shown
    (">&-", ["--version"], 1, ""),
    ("2>&-", ["graph", "x*2", "--at", "x=1"], 0, "f = x*2 = 2\n"),
    ("2>&-", ["graph", "x*", "--at", "x=1"], 2, ""),  # the refusal, unheard, still exit 2
    ("2>&-", ["graph", "x*2", "--at", "x=1", "--bogus"], 2, ""),  # argparse's refusal
    ("2>&- >&-", ["graph", "x*2", "--at", "x=1"], 1, ""),
])
def test_a_closed_stdout_or_stderr_ends_quietly_with_the_right_status(
        redirect: str, argv: list[str], status: int, shown: str) -> None:
    """The issue's case: with stdout closed (>&-) the command ended in a traceback."""
    done = _shell(redirect, *argv)
    assert done.returncode == status
    assert done.stdout.decode().startswith(shown) and b"Traceback" not in done.stderr
    if ">&-" in redirect.replace("2>&-", ""):
        assert done.stderr == b""  # quiet, as for a reader that went away (| head)


def test_the_picture_through_dev_stdout_goes_where_the_shell_sends_it(tmp_path: Path) -> None:
    out = tmp_path / "out.svg"
    done = _shell(f"-o /dev/stdout > '{out}'", "graph", "x*2", "--at", "x=1")
    assert done.returncode == 0, done.stderr
    assert ET.parse(out).getroot().tag.endswith("svg")  # the SVG alone, written in place
    assert done.stderr.decode().splitlines()[0] == "f = x*2 = 2"
    done = _shell("-o /dev/stdout 2>&-", "graph", "x*2", "--at", "x=1")
    assert done.returncode == 0 and ET.fromstring(done.stdout).tag.endswith("svg")


def _shown(argv: list[str]) -> tuple[int, str]:
    """Run main, as capsys would but usable under hypothesis: the status and all output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as done:  # argparse's refusals
            status = int(done.code or 0)
    return status, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(("expression", "shown"), [
    ("x*2 # \x1b[31mRED", "f = x*2 # \\x1b[31mRED = 2"),  # the case
    ("x*2 # \u202eevil", "f = x*2 # \\u202eevil = 2"),  # a right-to-left override
    ("x*\x1b[2J", "  x*\\x1b[2J\n    ^^^^"),  # the pointer still points at it
    ("x \x07+ 1", "  x \\x07+ 1\n    ^^^^"),
])
def test_control_characters_are_shown_escaped(expression: str, shown: str) -> None:
    status, text = _shown(["graph", "--at", "x=1", "--", expression])
    assert shown in text and "\x1b" not in text and "\u202e" not in text
    assert status == (0 if "#" in expression else 2)


_TYPED = st.text(st.one_of(st.characters(), st.characters(  # controls, format, surrogates
    categories=["Cc", "Cf", "Cs", "Zl", "Zp"])), max_size=40)


@given(_TYPED, _TYPED)
def test_nothing_typed_reaches_the_terminal_unescaped(expression: str, at: str) -> None:
    """Whatever the expression and --at hold, every character shown is printable."""
    status, text = _shown(["graph", "--at", f"x=1{at}", "--", f"x+{expression}"])
    assert status in (0, 2)
    assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)


def test_an_undecodable_expression_is_a_decoding_error() -> None:
    """The issue's case: invalid UTF-8 was reported as "nested too deeply"."""
    done = _cli("graph", b"x*2\xff", "--at", "x=1")
    assert (done.returncode, done.stdout) == (2, b"")
    assert re.fullmatch(rb"error: the expression is not valid [\w-]+ text: byte 0xff at "
                        rb"character 4 cannot be decoded\n", done.stderr)
    status, text = _shown(["graph", "x*2", "--at", "x=1\udcfe"])
    assert status == 2 and "--at is not valid" in text and "byte 0xfe at character 4" in text


@pytest.mark.parametrize(("argv", "lines"), [
    (["x", "--at", "x=1"], ["f = x = 1", "input value ∂f/∂input", "x 1 1"]),
    (["f", "--at", "f=2"], ["out = f = 2", "input value ∂out/∂input", "f 2 1"]),
    (["x*y", "--at", "x=2,y=3"], ["f = x*y = 6", "input value ∂f/∂input", "x 2 3", "y 3 2"]),
])
def test_a_bare_variable_reads_naturally(argv: list[str], lines: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: graph "x" printed `x = x = 1` and the header ∂x/∂input."""
    status, out, _ = run(capsys, "graph", *argv)
    assert status == 0
    assert [" ".join(line.split()) for line in out.splitlines()] == lines


def _bare_python(tmp_path: Path) -> Path:
    """A folder holding only a copy of the autograd package: run with `python -S`."""
    shutil.copytree(Path(autograd.__file__).parent, tmp_path / "autograd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_without_graphviz_the_table_works_and_drawing_says_what_is_missing(
        tmp_path: Path) -> None:
    """`python -S` sees no installed package: no graphviz, no numpy, only the copy."""
    folder = _bare_python(tmp_path)
    argv = [sys.executable, "-S", "-m", "autograd", "graph", "tanh(w*x)", "--at", "w=2,x=0"]
    table = subprocess.run(argv, capture_output=True, text=True, cwd=folder, timeout=120,
                           check=False)
    assert (table.returncode, table.stderr) == (0, "")
    assert table.stdout.splitlines()[0] == "f = tanh(w*x) = 0"
    for option in ("-o", "--html"):
        done = subprocess.run([*argv, option, "g.svg"], capture_output=True, text=True,
                              cwd=folder, timeout=120, check=False)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.startswith("error: drawing needs the Python package graphviz, "
                                      "which is not installed for ")
        assert done.stderr.count("\n") == 1 and not (folder / "g.svg").exists()


def _fake_distribution(folder: Path, name: str, version: str, files: list[str]) -> Path:
    """An installed distribution's metadata (as pip leaves it) that owns ``files``."""
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    return folder


def test_version_says_what_is_installed_where() -> None:
    done = _cli("--version")
    assert (done.returncode, done.stderr) == (0, b"")
    lines = done.stdout.decode().splitlines()
    dist = importlib.metadata.distribution("deltagrad")
    assert lines == [f"deltagrad {dist.version}, installed in {dist.locate_file('')}",
                     f"import autograd: {Path(autograd.__file__).parent}",
                     f"import nn: {Path(nn.__file__).parent}"]


def test_version_names_another_distribution_owning_the_same_package(tmp_path: Path) -> None:
    """PyPI's HIPS autograd installs a top-level `autograd` too; pip does not warn."""
    site = _fake_distribution(tmp_path, "autograd", "1.7.0", ["autograd/__init__.py",
                                                            "autograd/core.py"])
    _fake_distribution(site, "nn", "0.1.1", ["nn.py"])  # a module named nn counts too
    done = _cli("--version", env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0
    warnings = [line for line in done.stdout.decode().splitlines()
                if line.startswith("warning:")]
    assert warnings == [
        "warning: the distribution autograd 1.7.0 also installs the package autograd: the two "
        "overwrite each other's files, and `import autograd` may load either; give deltagrad "
        "a virtual environment of its own (python -m venv .venv)",
        "warning: the distribution nn 0.1.1 also installs the package nn: the two overwrite "
        "each other's files, and `import nn` may load either; give deltagrad a virtual "
        "environment of its own (python -m venv .venv)"]


def test_importing_autograd_does_not_scan_the_installed_distributions() -> None:
    code = ("import importlib.metadata as m, sys\n"
            "m.packages_distributions = lambda: sys.exit('scanned')\n"
            "import autograd, autograd.viz, nn\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, "")
