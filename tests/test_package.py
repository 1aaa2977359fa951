"""The packages as users meet them: version, names, docstrings, and the installed wheel.

``test_the_installed_package_is_the_one_tested`` runs only where ``DELTAGRAD_INSTALLED_TEST=1``
(.ci/run sets it when it runs this suite against the wheel installed in a clean virtual
environment, from outside the source tree).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import get_origin

import pytest

import autograd
import nn

NN_MODULES = ["nn", "nn.module", "nn.layers", "nn.two_layer", "nn.notation", "nn.notes",
              "nn.losses", "nn.backprop", "nn.derivation", "nn.train", "nn.settings",
              "nn.objectives", "nn.observers", "nn.progress", "nn.optim", "nn.data", "nn.rng",
              "nn.options", "nn.args"]
PUBLIC_MODULES = ["autograd", "autograd.testing", "autograd.viz", *NN_MODULES]


def test_version_comes_from_the_installed_metadata() -> None:
    assert autograd.__version__ == nn.__version__ == version("deltagrad")
    assert "__version__" in dir(autograd) and "__version__" in dir(nn)


def test_import_autograd_reads_no_metadata_and_loads_neither_numpy_nor_graphviz() -> None:
    code = ("import sys; import autograd; "
            "print(sorted({'importlib.metadata', 'numpy', 'graphviz'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(autograd.__file__).parent.parent)
    assert done.stdout.strip() == "[]"


def test_dir_lists_the_lazily_imported_names() -> None:
    names = set(dir(autograd))
    assert set(autograd.__all__) <= names
    assert {"render", "to_dot", "trace", "backward_page", "testing", "viz"} <= names
    assert autograd.testing is importlib.import_module("autograd.testing")


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_names_exist_and_are_unique(module: str) -> None:
    mod = importlib.import_module(module)
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which is missing"


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from autograd import *", namespace)
    assert set(autograd.__all__) <= set(namespace)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'nope'"):
        autograd.nope  # noqa: B018
    with pytest.raises(AttributeError, match="module 'nn' has no attribute 'nope'"):
        nn.nope  # noqa: B018


def _attribute_docs(module: ModuleType) -> dict[str, str]:
    """Names assigned at a module's top level with a string right after them (Sphinx's rule)."""
    tree = ast.parse(inspect.getsource(module))
    docs = {}
    for node, after in zip(tree.body, tree.body[1:], strict=False):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if (isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            docs |= {t.id: after.value.value for t in targets if isinstance(t, ast.Name)}
    return docs


def _undocumented(module: str) -> list[str]:
    mod = importlib.import_module(module)
    missing = [] if inspect.getdoc(mod) else [module]
    for name in mod.__all__:
        obj = getattr(mod, name)
        # A typing alias (Literal[...], a Union with one) is callable but is data, documented
        # like any other module attribute.
        if (inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj)) and get_origin(
                obj) is None:
            home = inspect.getmodule(obj) or mod
            if not (obj.__doc__ or "").strip() and name not in _attribute_docs(home):
                missing.append(f"{module}.{name}")
            if inspect.isclass(obj):
                missing += [f"{module}.{name}.{attr}" for attr, member in vars(obj).items()
                            if not attr.startswith("_") and _is_method(member)
                            and not (inspect.getdoc(member) or "").strip()]
        elif not any(name in _attribute_docs(importlib.import_module(m))
                     for m in {mod.__name__, getattr(obj, "__module__", mod.__name__)}
                     | set(_submodules(mod))):
            missing.append(f"{module}.{name}")
    return missing


def _is_method(member: object) -> bool:
    return isinstance(member, (staticmethod, classmethod, property)) or inspect.isfunction(member)


def _submodules(mod: ModuleType) -> list[str]:
    """The modules a package's ``__init__`` imports its names from, at once or on first use."""
    tree = ast.parse(inspect.getsource(mod))
    return [node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            and node.module.split(".")[0] in ("autograd", "nn")] + [
        *getattr(mod, "_LAZY", {}).values()]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_and_method_has_a_docstring(module: str) -> None:
    assert _undocumented(module) == []


@pytest.mark.skipif(os.environ.get("DELTAGRAD_INSTALLED_TEST") != "1",
                    reason="runs in .ci/run against the wheel installed in a clean venv")
def test_the_installed_package_is_the_one_tested(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    for module in (autograd, nn):
        assert Path(module.__file__).resolve().is_relative_to(site), module.__file__
    for data in ("autograd/py.typed", "nn/py.typed", "autograd/viz/page.html"):
        assert (site / data).is_file(), f"the wheel lacks {data}"
    from autograd import Value, render, write_backward_html

    f = (Value(2.0, label="x") * 3).tanh()
    f.backward()
    assert render(f, tmp_path / "g.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert write_backward_html(f, tmp_path / "s.html").stat().st_size > 1000


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                    ast.Constant):
        body = body[1:]  # the docstring
    return 0 if not body else (node.end_lineno or 0) - body[0].lineno + 1


SOURCES = sorted([*Path(autograd.__file__).parent.rglob("*.py"),
                  *Path(nn.__file__).parent.glob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_module_is_small_and_says_what_it_is_for(path: Path) -> None:
    """Each module of autograd/ and nn/: at most 400 lines, a docstring, bodies ≤ 60 lines."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert len(text.splitlines()) <= 400
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    long = {node.name: _body_lines(node) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and _body_lines(node) > 60}
    assert not long, f"function bodies over 60 lines in {path.name}: {long}"
