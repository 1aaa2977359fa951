"""The one progress bar of ``nn`` and the demos: tqdm's, in terminals and notebooks.

:func:`nn.train.fit` shows it per epoch and ``demos/esl_simulation.py`` per fit. It is
cleared when closed, so nothing is left behind and piped and terminal output match.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from typing import Any, TextIO

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str, enabled: bool | None, stream: TextIO | None = None) -> Any:
    """A tqdm bar: a widget in a notebook, text on ``stream`` elsewhere; cleared when closed.

    Args:
        total: Number of steps.
        desc: Label in front of the bar.
        enabled: Show it; None means when ``stream`` is a terminal, or in a notebook with
            ipywidgets installed (tqdm's widget bar).
        stream: Where a terminal bar goes (default ``sys.stderr``).

    Returns:
        A ``tqdm`` bar (use ``update``, ``set_postfix_str``, ``close``, or ``with``).
    """
    out = sys.stderr if stream is None else stream
    # In a notebook the bar is tqdm's widget, which needs ipywidgets (tqdm.auto would warn
    # without it); there, without ipywidgets, no bar is shown unless asked for (a text bar
    # would leave a blank stderr strip in the cell).
    widget = _in_notebook() and importlib.util.find_spec("ipywidgets") is not None
    if enabled is None:
        enabled = widget or bool(getattr(out, "isatty", bool)())
    if widget:
        from tqdm.notebook import tqdm
        return tqdm(total=total, desc=desc, disable=not enabled, leave=False)
    from tqdm.std import tqdm
    # A terminal that reports a 0 × 0 size (a bare pty, as under script(1)) would hide the
    # bar: shutil falls back to 80 × 24 there.
    size = shutil.get_terminal_size()
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, file=out,
                mininterval=0.2, ncols=size.columns, nrows=size.lines)


def _in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's shell inside an IPKernelApp)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
