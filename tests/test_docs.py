"""The README and the docs: the landing page's size and picture, and the results files.

The examples themselves run through Sybil (``conftest.py`` at the root); these tests check
what Sybil cannot: that the README's picture is what its code draws, and that the docs'
benchmark tables are rendered from results files by ``docs/_ext/results_table.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.results, as the docs' conf.py imports it

from benchmarks.results import Column, Table, cells, format_value, load, markdown, save  # noqa: E402


def test_the_readme_is_a_landing_page() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for must in ("make demo", "make test", "`autograd`", "`nn`", "virtual environment",
                 "docs/example_graph.svg"):
        assert must in text
    for link in re.findall(r"\]\(((?:docs|demos)/[^)#]+)\)", text):
        assert (ROOT / link).is_file(), link


def test_the_readme_picture_is_what_its_code_draws(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first example's ``f``, drawn by graphviz-pure, is docs/example_graph.svg exactly."""
    from autograd import render

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    code = "\n".join(line[4:] for line in block[1].splitlines()
                     if line.startswith((">>> ", "... ")))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(code, namespace)
    drawn = render(namespace["f"], tmp_path / "again.svg", program="graphviz-pure")
    assert drawn.read_bytes() == (ROOT / "docs" / "example_graph.svg").read_bytes()


TABLE = Table("Speed", [Column("engine", "engine"), Column("n", "N", "{:,}"),
                        Column("t", "time", "time"), Column("ratio", "ratio", "{:.2f}")],
              [{"engine": "a", "n": 1000, "t": 0.0021, "ratio": 0.5},
               {"engine": "b", "n": 1000, "t": 2.5, "ratio": None}])


def test_cells_format_pick_and_filter() -> None:
    assert cells(TABLE) == (["engine", "N", "time", "ratio"],
                            [["a", "1,000", "2.1 ms", "0.50"], ["b", "1,000", "2.50 s", ""]])
    assert cells(TABLE, ["ratio", "engine"], {"engine": "a"}) == (
        ["ratio", "engine"], [["0.50", "a"]])
    with pytest.raises(KeyError, match="'Speed' has no column 'nope'; it has engine, n, t, ratio"):
        cells(TABLE, ["nope"])
    assert [format_value(v, "time") for v in (4e-6, 0.25, 12.0)] == ["4 µs", "250.0 ms",
                                                                     "12.00 s"]
    assert format_value(float("nan"), "{:.2f}") == "" and format_value("fails", "time") == "fails"
    assert markdown(TABLE).splitlines()[:3] == ["### Speed", "", "| engine | N | time | ratio |"]


def test_save_replaces_only_the_entries_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "results" / "x.json"
    save(path, {"one": TABLE, "two": TABLE}, {"v": {"value": 1.5, "format": "{:.1f}"}})
    save(path, {"two": Table("Other", [Column("k", "k")], [{"k": 1}])})
    data = load(path)
    assert data["tables"]["one"]["title"] == "Speed"
    assert data["tables"]["two"]["title"] == "Other"
    assert data["values"] == {"v": {"value": 1.5, "format": "{:.1f}"}}
    assert Table.from_json(data["tables"]["one"]) == TABLE
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        save(path, {"bad": Table("Bad", [Column("x", "x")], [{"x": float("nan")}])})
    assert load(path) == data  # a refused save leaves the file as it was


def _build(tmp_path: Path, page: str) -> tuple[int, str, str]:
    """Build a one-page site with the results extension; return status, HTML and warnings."""
    from io import StringIO

    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'docs' / '_ext')!r}]\n"
        "extensions = ['myst_parser', 'results_table']\n", encoding="utf-8")
    (src / "index.md").write_text(page, encoding="utf-8")
    save(src / "r.json", {"speed": TABLE},
         {"ratio": {"value": 0.25, "format": "{:.2f}", "run": {}}})
    warnings = StringIO()
    app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "html",
                 status=None, warning=warnings, freshenv=True, warningiserror=False)
    app.build()
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    # Sphinx warns when a second app in one process registers its node classes again.
    own = [w for w in warnings.getvalue().splitlines() if "is already registered" not in w]
    return app.statuscode, html, "\n".join(own)


def test_the_docs_render_tables_and_values_from_results_files(tmp_path: Path) -> None:
    page = ("# Results\n\n```{results-table} r.json\n:table: speed\n:fields: engine t\n"
            ":where: engine=b\n```\n\nThe ratio is {result}`r.json#ratio`.\n")
    status, html, warnings = _build(tmp_path, page)
    assert status == 0 and warnings == ""
    assert "2.50 s" in html and "2.1 ms" not in html  # row b only
    assert "ratio" not in html.split("<table")[1].split("</table>")[0]  # fields picked
    assert 'The ratio is <span class="result">0.25</span>.' in html


@pytest.mark.parametrize(("page", "message"), [
    ("```{results-table} missing.json\n:table: speed\n```\n", "no results file"),
    ("```{results-table} r.json\n:table: nope\n```\n", "KeyError('nope')"),
    ("```{results-table} r.json\n:table: speed\n:fields: nope\n```\n", "has no column 'nope'"),
    ("{result}`r.json#nope`\n", "KeyError('nope')"),
    ("{result}`missing.json#ratio`\n", "no results file"),
])
def test_a_missing_result_is_a_build_error(tmp_path: Path, page: str, message: str) -> None:
    _, _, warnings = _build(tmp_path, "# Results\n\n" + page)
    assert "ERROR" in warnings and message in warnings


def test_the_committed_results_file_has_the_tables_the_docs_show() -> None:
    data = json.loads((ROOT / "benchmarks" / "results" / "engine.json").read_text("utf-8"))
    shown = re.findall(r":table: (\w+)", (ROOT / "docs" / "explanation" / "performance.md")
                       .read_text(encoding="utf-8"))
    assert shown and set(shown) <= set(data["tables"])


PAGE = """# A page

```python
>>> 1 + 1
{two}
```

```python
print("hello")
raise ValueError("bad")
```
% output
```text
{hello}
ValueError: bad
```

```console
$ python -m autograd graph "x*x" --at x={x}
f = x*x = 9
...
```

% skip: next if(lacks("no_such_module_xyz"), reason="needs no_such_module_xyz")

```python
import no_such_module_xyz
```
"""


def _run_page(tmp_path: Path, ci: bool, **fill: str) -> str:
    """Run the root conftest's Sybil on one page in a subprocess; return pytest's summary."""
    (tmp_path / "conftest.py").write_bytes((ROOT / "conftest.py").read_bytes())
    (tmp_path / "page.md").write_text(PAGE.format(**fill), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "true"} if ci else {})
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "page.md"], capture_output=True, text=True, cwd=tmp_path, env=env,
                          check=False, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_examples_that_drift_fail_and_a_missing_extra_skips_except_on_ci(tmp_path: Path) -> None:
    good = {"two": "2", "hello": "hello", "x": "3"}
    assert re.match(r"5 passed, 1 skipped in", _run_page(tmp_path, ci=False, **good))
    assert re.match(r"1 failed, 5 passed in", _run_page(tmp_path, ci=True, **good))
    for key, wrong in (("two", "3"), ("hello", "bye"), ("x", "4")):
        summary = _run_page(tmp_path, ci=False, **(good | {key: wrong}))
        assert re.match(r"1 failed, 4 passed, 1 skipped in", summary), (key, summary)
