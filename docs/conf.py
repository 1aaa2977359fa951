"""Sphinx configuration of deltagrad's documentation (MyST Markdown, myst-nb, furo).

``make docs`` builds it with warnings as errors. The reference is generated from the
docstrings of the checkout (not of an installed copy); the tutorial is ``demos/lecture.ipynb``,
executed at build time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

# The tutorial notebook lives with the demos; Sphinx reads documents only inside docs/, so the
# build works on a copy (git-ignored), refreshed whenever the notebook changes.
_NOTEBOOK = ROOT / "demos" / "lecture.ipynb"
_COPY = DOCS / "tutorial" / "lecture.ipynb"
if not _COPY.exists() or _COPY.read_bytes() != _NOTEBOOK.read_bytes():
    shutil.copyfile(_NOTEBOOK, _COPY)

# The example step page the graphs how-to offers for download is made at every build from the
# README's neuron, so it always shows what the current page template does (git-ignored).
def _example_step_page() -> None:
    from autograd import Value, backward_page

    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.88, label="b")
    f = (w * x + b).tanh()
    f.label = "f"
    backward_page(f).save(DOCS / "_generated" / "example_steps.html")


(DOCS / "_generated").mkdir(exist_ok=True)
_example_step_page()

project = "deltagrad"
author = "the deltagrad authors"
copyright = "the deltagrad authors, MIT licence"  # noqa: A001 (Sphinx's name)

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "results_table",
]

exclude_patterns = ["_build", "esl_table.md", "Thumbs.db", ".DS_Store"]
html_theme = "furo"
html_title = "deltagrad"
html_static_path: list[str] = []

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks are run at every build (they are stored without outputs); an error fails it.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True

# Google-style docstrings; type hints from the signatures, written into the descriptions.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # Attributes sections as fields: NamedTuple fields are not listed twice
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
