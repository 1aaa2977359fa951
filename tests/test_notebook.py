"""demos/lecture.ipynb runs from top to bottom without an error and draws pictures.

The notebook is executed with nbclient in a kernel running this test's own Python (the
project's virtual environment), as a student would run it, and is saved without outputs.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "demos" / "lecture.ipynb"
PICTURES = {"image/svg+xml", "image/png"}


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # One extra cell (in memory only) names the kernel's Python, to check it is ours.
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(notebook, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    return client.execute()


def outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def test_the_kernel_is_this_python(executed: nbformat.NotebookNode) -> None:
    assert executed.cells[-1].outputs[0]["text"].strip() == sys.executable


def test_no_cell_fails_or_warns(executed: nbformat.NotebookNode) -> None:
    for out in outputs(executed):
        assert out.output_type != "error", out
        assert "Traceback" not in out.get("text", ""), out["text"]
        assert out.get("name") != "stderr", out["text"]  # e.g. a TqdmWarning on import


def test_the_hand_derivation_cell_passes_then_names_the_mistake(
        executed: nbformat.NotebookNode) -> None:
    text = "".join(out.get("text", "") for out in outputs(executed))
    assert "Checked(checked=300, skipped=0)" in text
    assert "central differences side with autodiff: the hand derivation is wrong" in text


def test_pictures_and_the_inline_stepper_are_shown(executed: nbformat.NotebookNode) -> None:
    shown = [set(out.get("data", {})) for out in outputs(executed)]
    assert sum(1 for mimes in shown if mimes & PICTURES) >= 3  # neuron, R_i graph, training
    svg = "".join(out["data"].get("image/svg+xml", "") for out in outputs(executed)
                  if "data" in out)
    assert "xlink:title=\"δ₁ = ∂Rᵢ/∂T₁ = −2(y₁ − f₁) = " in svg  # the notes' tooltips
    pages = _pages(executed)
    assert len(pages) == 2 and all('sandbox="allow-scripts"' in p for p in pages)
    stepper = html.unescape(pages[0])
    assert "(nn.backprop: " in stepper and '"exercise": false' in stepper


def _pages(notebook: nbformat.NotebookNode) -> list[str]:
    """The inline step pages (iframes) the notebook shows, in order."""
    texts = [out["data"]["text/html"] for out in outputs(notebook)
             if "text/html" in out.get("data", {})]
    return [text for text in texts if text.startswith("<iframe srcdoc=")]


def test_the_notebook_ends_with_an_exercise_on_the_lecture_net(
        executed: nbformat.NotebookNode) -> None:
    last = executed.cells[-2]  # the extra cell that names the kernel comes after it
    assert last.cell_type == "code" and "exercise=True" in last.source
    page = html.unescape(_pages(executed)[-1])
    assert last.outputs[0]["data"]["text/html"] == _pages(executed)[-1]
    assert '"exercise": true' in page and page.count('"ask": {') == 24  # one per node
    assert "Exercise: the backward pass of R_i" in page


def test_the_notebook_is_saved_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
