"""The examples in README.md and docs/ run as tests (Sybil), so they cannot drift from the code.

* A ```python block runs; one that starts with ``>>>`` is a doctest, its shown output checked
  (``...`` matches anything, doctest's ELLIPSIS).
* A ```text block right after a MyST comment line ``% output`` is the output of the
  ```python block just before it: what it printed, then the error it raised if any (as
  ``Type: message``), checked with the same ELLIPSIS rule.
* A ```console block holds ``$ python -m autograd ...`` commands and what they print; each is
  run with this Python in an empty folder, its stdout and stderr checked. Other commands
  belong in ```sh blocks, which are not run.
* ``% skip: next if(lacks("torch"), reason="needs the torch extra: ...")`` skips the next
  example when a module is missing, except on CI (``CI`` set), where every extra is
  installed and a missing one must fail.

Examples of one page share one namespace and run in order, in an empty working folder.
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from sybil import Document, Example, Region, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.myst import CodeBlockParser, PythonCodeBlockParser, SkipParser

FLAGS = doctest.ELLIPSIS
OUTPUT_MARK = re.compile(r"\s*% output\n```text\n")
OUTPUT_BLOCK = re.compile(r"^% output\n```text\n(?P<text>.*?)^```", re.MULTILINE | re.DOTALL)
CAPTURED = "_example_output"
COMMAND = "python -m autograd "


def _matches(want: str, got: str) -> str | None:
    """None if ``got`` matches ``want`` (ELLIPSIS, trailing blanks ignored), else a report."""
    want, got = want.rstrip() + "\n", "\n".join(s.rstrip() for s in got.splitlines()) + "\n"
    if doctest.OutputChecker().check_output(want, got, FLAGS):
        return None
    return f"Expected:\n{want}Got:\n{got}"


class _CapturingPython(PythonCodeBlockParser):
    """Python blocks; a block followed by ``% output`` has its stdout and error captured."""

    def __init__(self) -> None:
        super().__init__(doctest_optionflags=FLAGS)
        self.codeblock_parser = CodeBlockParser("python", self.run)
        self.python = PythonEvaluator()

    def run(self, example: Example) -> None:
        """Run the block; keep what it printed (and raised) if an output block follows."""
        if not OUTPUT_MARK.match(example.document.text, example.end):
            self.python(example)
            return
        buffer = io.StringIO()
        try:
            with redirect_stdout(buffer):
                self.python(example)
        except Exception as err:  # shown in the output block, which the next example checks
            buffer.write("".join(traceback.format_exception_only(err)))
        example.namespace[CAPTURED] = buffer.getvalue()


def _check_output(example: Example) -> str | None:
    if CAPTURED not in example.namespace:
        return "a '% output' block must follow a ```python block"
    return _matches(example.parsed, example.namespace.pop(CAPTURED))


def _outputs(document: Document) -> Iterable[Region]:
    for match in OUTPUT_BLOCK.finditer(document.text):
        yield Region(match.start(), match.end(), match["text"], _check_output)


def _commands(text: str) -> Iterator[tuple[str, str]]:
    """The ``$ command`` lines of a console block, each with the lines shown after it."""
    parts = re.split(r"^\$ (.*)\n", text, flags=re.MULTILINE)
    if parts[0].strip():
        raise ValueError(f"a console block starts with '$ ', not {parts[0]!r}")
    yield from zip(parts[1::2], parts[2::2], strict=True)


def _run_console(example: Example) -> str | None:
    for command, want in _commands(example.parsed):
        if not command.startswith(COMMAND):
            return f"console blocks run only {COMMAND!r}...; use ```sh for {command!r}"
        argv = [sys.executable, "-m", "autograd", *shlex.split(command[len(COMMAND):])]
        done = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8",
                              timeout=120, check=False, env=os.environ | {"COLUMNS": "100"})
        report = _matches(want, done.stdout + done.stderr)
        if report:
            return f"$ {command}\n{report}"
    return None


def lacks(*modules: str) -> bool:
    """True if a module is missing here and this is not CI (where the extras are installed)."""
    return not os.environ.get("CI") and any(
        importlib.util.find_spec(m) is None for m in modules)


@pytest.fixture(scope="module")
def example_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty working folder for one page's examples (they may write files)."""
    folder = tmp_path_factory.mktemp("examples")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        yield folder


pytest_collect_file = Sybil(
    parsers=[_CapturingPython(), _outputs, CodeBlockParser("console", _run_console),
             SkipParser()],
    patterns=["*.md"],
    excludes=["RESULTS.md"],
    setup=lambda namespace: namespace.update(lacks=lacks),
    fixtures=["example_folder"],
).pytest()
