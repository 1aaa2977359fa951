"""Results files: the benchmarks' numbers as JSON, written by the scripts, read by the docs.

A results file (``benchmarks/results/<name>.json``) holds named tables and named values::

    {"tables": {"mlp": {"title": "...", "run": {...}, "columns": [...], "rows": [...]}},
     "values": {"moons_speedup": {"value": 357.2, "format": "{:.0f}×", "run": {...}}}}

A table's ``columns`` list ``{"field", "label", "format"}`` in order, and each row is a dict
from field to a raw number (seconds, bytes, a ratio) or a string; ``None`` is an empty cell.
``format`` is ``"time"`` (seconds shown in µs, ms or s) or a :meth:`str.format` template
such as ``"{:.2f}"`` or ``"{:,}"``; without one a cell is shown as ``str(value)``. ``run``
says where and when the numbers were measured. Writing a table or a value replaces that
entry only, so a script run on one part (``--only esl``) keeps the others' entries.

The docs render these files with the ``results-table`` directive and the ``result`` role
(``docs/_ext/results_table.py``); the scripts print the same tables as Markdown with
:func:`markdown`, so the numbers are formatted in one place.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Column:
    """One column of a table: the row field it shows, its heading, and how numbers read."""

    field: str
    label: str
    format: str | None = None


@dataclass
class Table:
    """A table of results: a title, its columns, and rows of raw values by field."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The table as it is stored in a results file."""
        return {"title": self.title, "run": self.run,
                "columns": [vars(c) for c in self.columns], "rows": self.rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        """A table read back from a results file."""
        return cls(data["title"], [Column(**c) for c in data["columns"]], data["rows"],
                   data.get("run", {}))


def run_info(**extra: Any) -> dict[str, Any]:
    """Where and when: machine, CPU count, Python and numpy versions, date, plus ``extra``."""
    info = {"machine": f"{platform.machine()}, {_cpu_name()}", "cpus": os.cpu_count(),
            "python": f"{platform.python_version()} ({platform.python_implementation()})",
            "date": datetime.date.today().isoformat()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        info["numpy"] = numpy.__version__
    return info | extra


def format_value(value: Any, fmt: str | None) -> str:
    """One cell's text: ``None`` and NaN are empty, numbers follow ``fmt``, strings as given."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) or fmt is None:
        return str(value)
    if fmt == "time":
        return format_time(value)
    return fmt.format(value)


def format_time(seconds: float) -> str:
    """Seconds with a readable unit (µs, ms or s)."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def cells(table: Table, fields: list[str] | None = None,
          where: dict[str, str] | None = None) -> tuple[list[str], list[list[str]]]:
    """The headings and the cell texts of ``table``.

    Args:
        table: The table.
        fields: The fields to show, in this order (default: every column).
        where: Keep only the rows whose fields have these values (compared as text).

    Raises:
        KeyError: A field that is not one of the table's columns.
    """
    by_field = {c.field: c for c in table.columns}
    unknown = [f for f in [*(fields or []), *(where or {})] if f not in by_field]
    if unknown:
        raise KeyError(f"{table.title!r} has no column {unknown[0]!r}; it has "
                       f"{', '.join(by_field)}")
    shown = [by_field[f] for f in fields] if fields else table.columns
    rows = [row for row in table.rows
            if all(str(row.get(f)) == v for f, v in (where or {}).items())]
    return ([c.label for c in shown],
            [[format_value(row.get(c.field), c.format) for c in shown] for row in rows])


def markdown(table: Table) -> str:
    """The table as Markdown under a ``###`` heading (as the scripts print it)."""
    header, rows = cells(table)
    lines = [f"### {table.title}", "", "| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def load(path: Path) -> dict[str, Any]:
    """A results file's content (empty tables and values if it does not exist yet)."""
    if not path.exists():
        return {"tables": {}, "values": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"tables": data.get("tables", {}), "values": data.get("values", {})}


def save(path: Path, tables: dict[str, Table] | None = None,
         values: dict[str, dict[str, Any]] | None = None) -> None:
    """Write ``tables`` and ``values`` into the results file at ``path``, keeping its others.

    Args:
        path: The results file (created with its folder if missing).
        tables: Tables by name.
        values: Named values, each ``{"value": number, "format": template, "run": {...}}``.
    """
    data = load(path)
    data["tables"].update({name: t.to_json() for name, t in (tables or {}).items()})
    data["values"].update(values or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
