"""Tests for nn/settings.py: fit's settings, checked once and visible to type checkers."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from mypy import api

from nn.settings import FitOptions, FitSettings


def test_the_keywords_are_the_options_fields_with_the_same_types() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(FitOptions)}
    assert get_type_hints(FitSettings) == get_type_hints(FitOptions)
    assert list(get_type_hints(FitSettings)) == list(fields)


def test_every_name_the_types_allow_runs_and_no_other() -> None:
    hints = get_type_hints(FitOptions)
    for name in ("scale", "method", "mode", "penalty", "schedule"):
        allowed = [v for arg in get_args(hints[name]) for v in get_args(arg) or [arg]
                   if isinstance(v, str) or v is None]
        assert allowed, name
        for value in allowed:
            bfgs = {"method": "bfgs"} if value == "bfgs" else {"lr": 0.1}
            online = {"rng": 0} if value == "online" else {}
            FitOptions(**{name: value, **bfgs, **online})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=f"{name} must be one of"):
            FitOptions(lr=0.1, **{name: "other"})  # type: ignore[arg-type]


def test_mypy_checks_the_names_and_types_of_fits_settings(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    snippet = tmp_path / "use_fit.py"
    snippet.write_text(textwrap.dedent("""\
        from nn import TwoLayerNet, fit

        net = TwoLayerNet(2, 2, 1)
        fit(net, [[0.0, 1.0]], [1.0], lr=0.1, epochs=3, scale="mean", penalty=None)
        fit(net, [[0.0, 1.0]], [1.0], lr="0.1")
        fit(net, [[0.0, 1.0]], [1.0], scale="median")
        fit(net, [[0.0, 1.0]], [1.0], learning_rate=0.1)
        """), encoding="utf-8")
    # mypy's cache lives in pytest's (.pytest_cache): a cold run takes ~10 s, a warm one ~1 s.
    pytest_cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    cache = pytest_cache.mkdir("mypy") if pytest_cache is not None else tmp_path
    out, err, status = api.run(["--no-error-summary", "--cache-dir", str(cache), str(snippet)])
    errors = {int(line.split(":")[1]): line.split(": error: ")[1]
              for line in out.splitlines() if ": error: " in line}
    assert status == 1, err
    assert sorted(errors) == [5, 6, 7]  # line 4, a right call, passes
    assert errors[5].startswith('Argument "lr" to "fit" has incompatible type "str"')
    assert "Literal['median']" in errors[6]
    assert errors[7].startswith('Unexpected keyword argument "learning_rate" for "fit"')
