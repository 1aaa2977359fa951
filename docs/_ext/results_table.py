"""Tables and figures in the docs, read from the benchmarks' results files.

A results file is written by a benchmark script (format: ``benchmarks/results.py``); the
docs never type its numbers. In MyST Markdown::

    ```{results-table} ../../benchmarks/results/engine.json
    :table: mlp
    :fields: engine nodes ns_per_node ratio
    :where: gc=on
    ```

    The demo is {result}`../../benchmarks/results/engine.json#moons_speedup` faster.

Paths are relative to the document (or to ``docs/`` when they start with ``/``). ``:fields:``
picks columns by field name (default: all); ``:where:`` keeps rows whose fields have the
given values. Under the table a caption says where and when the numbers were measured. A
missing file, table, value or field fails the build (``make docs`` treats warnings as errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective, SphinxRole

from benchmarks.results import Table, cells, format_value, load


def _read(path: str) -> dict[str, Any]:
    """A results file's content; a missing file is an error here (not an empty file)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no results file {path}")
    return load(Path(path))


def _run_text(run: dict[str, Any]) -> str:
    parts = [run.get("machine"), run.get("cpus") and f"{run['cpus']} CPUs",
             run.get("python") and f"Python {run['python']}",
             run.get("numpy") and f"numpy {run['numpy']}", run.get("date"),
             run.get("quick") and "--quick run"]
    return "; ".join(str(p) for p in parts if p)


class ResultsTable(SphinxDirective):
    """``results-table``: one table of a results file, as a docutils table."""

    required_arguments = 1
    option_spec = {"table": directives.unchanged_required,  # noqa: RUF012 (docutils API)
                   "fields": directives.unchanged, "where": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        """Read the file and build the table (a warning, failing the build, on any error)."""
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        name = self.options["table"]
        try:
            table = Table.from_json(_read(path)["tables"][name])
            where = dict(item.split("=", 1) for item in self.options.get("where", "").split())
            header, rows = cells(table, self.options.get("fields", "").split() or None, where)
        except (KeyError, ValueError, OSError) as err:
            raise self.error(f"results-table {self.arguments[0]} :table: {name}: {err!r}"
                             ) from err
        return [self._table(table.title, header, rows, _run_text(table.run))]

    def _table(self, title: str, header: list[str], rows: list[list[str]],
               run: str) -> nodes.table:
        group = nodes.tgroup(cols=len(header))
        group += [nodes.colspec(colwidth=1) for _ in header]
        group += nodes.thead("", self._row(header))
        group += nodes.tbody("", *(self._row(r) for r in rows))
        caption = f"{title} ({run})" if run else title
        return nodes.table("", nodes.title(caption, caption), group, classes=["results"])

    @staticmethod
    def _row(texts: list[str]) -> nodes.row:
        return nodes.row("", *(nodes.entry("", nodes.paragraph(t, t)) for t in texts))


class Result(SphinxRole):
    """``result``: one named value of a results file (``path#name``), formatted as stored."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Look the value up; an unknown file or name is an error."""
        target, _, name = self.text.partition("#")
        rel, path = self.env.relfn2path(target, self.env.docname)
        self.env.note_dependency(rel)
        try:
            entry = _read(path)["values"][name]
            text = format_value(entry["value"], entry.get("format"))
        except (KeyError, ValueError, OSError) as err:
            msg = self.inliner.reporter.error(f"result {self.text}: {err!r}", line=self.lineno)
            return [], [msg]
        return [nodes.inline(text, text, classes=["result"])], []


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive and the role."""
    app.add_directive("results-table", ResultsTable)
    app.add_role("result", Result())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
