"""Tests for autograd.viz: DOT text, SVG output, renderer discovery, backward frames, HTML."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, viz
from autograd.text import visible
from autograd.value import Constant
from autograd.viz import (
    ROLE_COLORS,
    RendererNotFoundError,
    RenderError,
    RenderFailedError,
    RenderTimeoutError,
    RenderTooLargeError,
    backward_frames,
    backward_page,
    find_renderer,
    render,
    to_dot,
    write_backward_html,
)

SVG = "{http://www.w3.org/2000/svg}"


def neuron() -> tuple[Value, dict[str, Value]]:
    """o = tanh(w*x + b), the lecture's one-unit example, after backward."""
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.88, label="b")
    n = w * x + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"w": w, "x": x, "b": b, "n": n, "o": o}


def svg_groups(path: Path) -> tuple[list[ET.Element], list[ET.Element]]:
    root = ET.parse(path).getroot()
    groups = root.iter(f"{SVG}g")
    nodes, edges = [], []
    for g in groups:
        if g.get("class") == "node":
            nodes.append(g)
        elif g.get("class") == "edge":
            edges.append(g)
    return nodes, edges


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def test_dot_is_deterministic_and_shows_every_label() -> None:
    first = to_dot(neuron()[0]).source
    second = to_dot(neuron()[0]).source
    assert first == second
    for label in ["w", "x", "b", "n", "o", "data -3", "grad 1.002", "tanh", "×", "+"]:
        assert label in first
    assert "0x" not in first  # no id()-based names


def test_node_ids_follow_topological_order() -> None:
    o, _ = neuron()
    ids = re.findall(r"^\s*(n\d+)\s*\[", to_dot(o).source, flags=re.M)
    assert ids == ["n0", "n1", "n2", "n3", "n4", "n5"]


def test_roles_are_drawn_differently() -> None:
    x = Value(2.0, label="x")
    p = Value(0.5, label="p")
    y = (x * p + 1.5) * 3
    source = to_dot(y).source
    assert re.search(r'label="\{ x \|[^\]]*fillcolor="#dbeafe"', source)  # input
    assert re.search(r'label=3 id=n\d+\]', source)  # a constant: just its value
    assert re.search(r'label="\{ n\d+ \| data 7\.5[^\]]*penwidth=2.5', source)  # the root
    marked = to_dot(y, parameters=[p]).source
    assert re.search(r'label="\{ p \|[^\]]*fillcolor="#fbcfe8"', marked)  # a parameter
    assert re.search(r'label="\{ x \|[^\]]*fillcolor="#dbeafe"', marked)


def test_value_subclass_leaves_are_parameters() -> None:
    class Param(Value):
        __slots__ = ()

    y = Value(2.0, label="x") * Param(0.5, label="p")
    source = to_dot(y).source
    assert re.search(r'label="\{ p \|[^\]]*fillcolor="#fbcfe8"', source)
    assert re.search(r'label="\{ x \|[^\]]*fillcolor="#dbeafe"', source)


def test_record_special_characters_are_escaped(tmp_path: Path) -> None:
    x = Value(1.0, label='a{b}|c<d>"e\\f')
    y = x * x
    source = to_dot(y).source
    assert r'a\{b\}\|c\<d\>\"e\\f' in source
    path = render(y, tmp_path / "y.svg")
    nodes, _ = svg_groups(path)
    assert 'a{b}|c<d>"e\\f' in [t for g in nodes for t in texts(g)]


def test_svg_has_the_right_nodes_edges_and_labels(tmp_path: Path) -> None:
    o, _ = neuron()
    path = render(o, tmp_path / "g.svg")
    assert path == tmp_path / "g.svg"
    nodes, edges = svg_groups(path)
    assert len(nodes) == 6 + 3  # six Values, three ops
    assert len(edges) == 2 + 2 + 1 + 3  # parents → op, and op → result
    shown = [texts(g) for g in nodes]
    assert ["w", "data -3", "grad 1.002"] in shown
    assert ["o", "data 0.7064", "grad 1"] in shown
    assert ["tanh"] in shown


def test_svg_text_uses_the_font_the_boxes_were_sized_for(tmp_path: Path) -> None:
    """The layout sizes each cell for this font and size; the SVG must draw with them too.

    (That the text then sits inside its boxes was checked by eye in a browser screenshot,
    docs/example_steps.png.)
    """
    path = render(neuron()[0], tmp_path / "g.svg")
    svg = path.read_text(encoding="utf-8")
    assert 'font-family="Helvetica,sans-Serif"' in svg
    assert 'font-size="11.00"' in svg


def test_top_to_bottom_and_no_grad() -> None:
    source = to_dot(neuron()[0], rankdir="TB", show_grad=False).source
    assert "rankdir=TB" in source
    assert 'label="w | data -3"' in source
    assert "| grad" not in source
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(neuron()[0], rankdir="sideways")


def test_not_a_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a Value, got float"):
        to_dot(1.0)  # type: ignore[arg-type]


def chain(length: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(length):
        y = y.tanh()
    return y


def test_big_graph_is_refused_with_the_option_named() -> None:
    with pytest.raises(ValueError, match=r"100001 nodes, more than max_nodes=1000"):
        to_dot(chain(100_000))
    with pytest.raises(ValueError, match="max_nodes=10"):
        backward_frames(chain(20), max_nodes=10)


def test_deep_graph_needs_no_recursion() -> None:
    source = to_dot(chain(100_000), max_nodes=200_000).source
    assert "n100000 [" in source
    assert source.count("->") == 200_000


def test_same_parent_twice_gives_two_edges(tmp_path: Path) -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    assert to_dot(y).source.count("n0 -> n1op") == 2
    _, edges = svg_groups(render(y, tmp_path / "sq.svg"))
    assert len(edges) == 3


# Renderer discovery: `dot` on PATH, else graphviz-pure next to sys.executable, else an error.

def fake_program(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\necho fake\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_dot_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dot = fake_program(tmp_path / "graphviz", "dot")
    monkeypatch.setenv("PATH", str(dot.parent))
    assert find_renderer() == str(dot)


def test_pip_renderer_found_next_to_python(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """No `dot`, venv not activated: graphviz-pure beside sys.executable is used."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither program on PATH
    found = Path(find_renderer())
    assert found.name.startswith("graphviz-pure")
    assert found.parent == Path(sys.executable).parent
    nodes, _ = svg_groups(render(neuron()[0], tmp_path / "g.svg"))
    assert len(nodes) == 9


def test_pip_renderer_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pure = fake_program(tmp_path / "bin", "graphviz-pure")
    monkeypatch.setenv("PATH", str(pure.parent))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    assert find_renderer() == str(pure)


def test_no_renderer_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    with pytest.raises(RendererNotFoundError, match=r"pip install 'deltagrad\[render\]'"):
        find_renderer()
    with pytest.raises(RendererNotFoundError, match="apt-get install graphviz"):
        render(neuron()[0], tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        mode = render(neuron()[0], tmp_path / "g.svg").stat().st_mode & 0o777
    finally:
        os.umask(umask)
    assert mode == 0o644


def test_failed_render_leaves_old_file_and_no_temp(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "g.svg"
    target.write_text("old", encoding="utf-8")
    broken = tmp_path / "bin" / "dot"
    fake_program(broken.parent, "dot").write_text("#!/bin/sh\necho broken >&2\nexit 3\n",
                                                  encoding="utf-8")
    monkeypatch.setenv("PATH", str(broken.parent))
    with pytest.raises(RuntimeError, match=r"dot failed \(exit 3\): broken"):
        render(neuron()[0], target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "g.svg"]


def test_interrupted_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        render(neuron()[0], tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


def test_bad_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        viz.run_renderer("digraph {}", "svg -o /tmp/x")
    with pytest.raises(RuntimeError, match="not recognized"):
        viz.run_renderer("digraph {}", "nosuchformat")


def test_png_output(tmp_path: Path) -> None:
    path = render(neuron()[0], tmp_path / "g.png", format="png")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(("name", "magic"), [("g.png", b"\x89PNG"), ("g.PNG", b"\x89PNG"),
                                             ("g.svg", b"<?xml"), ("g", b"<?xml")])
def test_format_comes_from_the_file_name(tmp_path: Path, name: str, magic: bytes) -> None:
    assert render(neuron()[0], tmp_path / name).read_bytes().startswith(magic)


def test_format_contradicting_the_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="says png, but format='svg'"):
        render(neuron()[0], tmp_path / "g.png", format="svg")
    assert list(tmp_path.iterdir()) == []


def need_dot() -> None:
    """Skip a test of the ``dot`` renderer where Graphviz is not installed, except on CI."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is needed: .ci/run installs it (apt-get install graphviz)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


def renderer_param(program: str) -> str:
    if program == "dot":
        need_dot()
    return program


RENDERERS = ["dot", "graphviz-pure"]


@pytest.mark.parametrize("program", RENDERERS)
def test_each_renderer_can_be_chosen(tmp_path: Path, program: str) -> None:
    """program= picks the renderer even when the other is installed (no global switch)."""
    assert Path(find_renderer(renderer_param(program))).name == program
    nodes, _ = svg_groups(render(neuron()[0], tmp_path / "g.svg", program=program))
    assert len(nodes) == 9


def test_unknown_or_missing_renderer_is_named(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="program must be None, 'dot' or 'graphviz-pure'"):
        find_renderer("neato")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RendererNotFoundError, match="the renderer 'dot' is not found"):
        find_renderer("dot")
    assert issubclass(RendererNotFoundError, RenderError)
    assert issubclass(RenderError, RuntimeError)


def sum_of_ones(terms: int) -> Value:
    """1*x + 1*x + ... : the shape whose layout time explodes in graphviz-pure."""
    x = Value(2.0, label="x")
    y = 1 * x
    for _ in range(terms - 1):
        y = y + 1 * x
    return y


def test_layout_cost_counts_long_edges_not_edges() -> None:
    """A chain of sums lays out fast whatever its length; shared inputs far apart do not."""
    assert viz.layout_cost(to_dot(chain_of_sums(200)).source) == 1195
    assert viz.layout_cost(to_dot(sum_of_ones(50)).source) == 2898
    assert viz.layout_cost(to_dot(sum_of_ones(100)).source) == 10798
    assert viz.layout_cost("digraph {\n a -> b\n b -> a\n}") == 4  # a cycle ends too


def chain_of_sums(terms: int) -> Value:
    y = Value(0.0, label="x0")
    for i in range(1, terms):
        y = y + Value(float(i), label=f"x{i}")
    return y


@pytest.mark.parametrize("program", RENDERERS)
def test_tangled_graph_is_refused_at_once(tmp_path: Path, program: str) -> None:
    # Both renderers take minutes on this one: the estimate refuses it before either runs.
    with pytest.raises(RenderTooLargeError, match=r"too tangled to lay out in reasonable time "
                                                  r"\(estimated layout cost \d+, above 3000"):
        render(sum_of_ones(100), tmp_path / "g.svg", program=renderer_param(program))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("program", RENDERERS)
def test_long_but_simple_graph_is_drawn(tmp_path: Path, program: str) -> None:
    y = chain_of_sums(200)
    nodes, _ = svg_groups(render(y, tmp_path / "g.svg", program=renderer_param(program)))
    assert len(nodes) == 200 + 199 + 199


def test_the_time_limit_stops_a_slow_renderer(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    slow = fake_program(tmp_path / "bin", "dot")
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 20\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(slow.parent))
    # Only the limit can raise RenderTimeoutError: the fake dot, left alone, would end after
    # 20 s with no output, a different error.
    with pytest.raises(RenderTimeoutError, match=r"dot did not finish laying out the graph "
                                                 r"\(layout cost 17\) within 0.5 s and was "
                                                 "stopped; draw a smaller piece"):
        viz.run_renderer(to_dot(neuron()[0]).source, timeout=0.5)


@pytest.mark.parametrize(("script", "message"), [
    ("kill -SEGV $$", "dot was killed by signal 11: no message"),
    ("echo broken >&2; exit 3", r"dot failed \(exit 3\): broken"),
])
def test_renderer_crash_is_a_render_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          script: str, message: str) -> None:
    fake_program(tmp_path / "bin", "dot").write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RenderFailedError, match=message):
        to_dot(neuron()[0]).pipe()


def test_renderer_that_cannot_start_is_a_render_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake_program(tmp_path / "bin", "dot").write_text("#!/no/such/shell\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RenderFailedError, match=r"could not run .*dot"):
        to_dot(neuron()[0]).pipe()


# Jupyter and micrograd-style use of the Graph object.

@pytest.mark.parametrize("program", RENDERERS)
def test_jupyter_gets_svg_and_png(program: str) -> None:
    graph = to_dot(neuron()[0], program=renderer_param(program))
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png"}
    ET.fromstring(bundle["image/svg+xml"])
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert set(graph._repr_mimebundle_(include={"image/png"})) == {"image/png"}
    assert set(graph._repr_mimebundle_(exclude={"image/png"})) == {"image/svg+xml"}
    assert graph._repr_mimebundle_(include={"text/html"}) == {}


def test_jupyter_shows_why_a_graph_is_not_drawn() -> None:
    graph = to_dot(sum_of_ones(100))
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("<Graph deltagrad: 597 edges")
    assert "could not be drawn: the graph is too tangled" in bundle["text/plain"]


def test_graph_repr_is_one_short_line() -> None:
    assert repr(to_dot(neuron()[0])) == ("<Graph deltagrad: 8 edges, display it in Jupyter or "
                                         "call .render()>")


@pytest.mark.parametrize("program", RENDERERS)
def test_pipe_and_render_like_micrograd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        program: str) -> None:
    graph = to_dot(neuron()[0], program=renderer_param(program))
    png, svg = graph.pipe(format="png"), graph.pipe(encoding="utf-8")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    assert isinstance(svg, str) and svg.startswith("<?xml")
    monkeypatch.chdir(tmp_path)
    assert graph.render("gout") == "gout.svg"
    assert Path("gout").read_text(encoding="utf-8") == graph.source
    assert svg_groups(Path("gout.svg"))[0]
    assert graph.render(outfile="pic.png", cleanup=True) == "pic.png"
    assert Path("pic.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gout", "gout.svg", "pic.png"]
    with pytest.raises(FileExistsError, match=r"gout\.svg"):
        graph.render("gout", raise_if_result_exists=True)
    with pytest.raises(ValueError, match="overwrite the DOT source"):
        graph.render("g.gv", outfile="g.gv")


def test_failed_graph_render_leaves_no_file(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    graph = to_dot(neuron()[0])
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    with pytest.raises(RendererNotFoundError):
        graph.render("gout", directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_graphviz_options_the_pip_renderer_lacks_are_refused() -> None:
    graph = to_dot(neuron()[0])
    with pytest.raises(ValueError, match="does not support engine='neato'"):
        graph.pipe(engine="neato")
    with pytest.raises(ValueError, match="renderer='cairo'"):
        graph.pipe("png", renderer="cairo")


# Labels are shown as typed, whatever they contain.

NASTY = {"\\G": "\\G", "\\N": "\\N", "back\\n": "back\\n", "line\nbreak": "line\\nbreak",
         "bell\x07": "bell\\x07", "nul\x00": "nul\\x00", "<&>": "<&>", "&lt;": "&lt;",
         'q"{|}\\': 'q"{|}\\', "rtl\u202e": "rtl\\u202e"}


def nasty_graph() -> Value:
    leaves = [Value(float(i), label=label) for i, label in enumerate(NASTY)]
    y = leaves[0]
    for leaf in leaves[1:]:
        y = y + leaf
    y.label = "r\\N\x00<&>"
    y.backward()
    return y


def svg_texts(svg: bytes | str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.mark.parametrize("program", RENDERERS)
def test_labels_are_escaped_for_graphviz_and_xml(program: str) -> None:
    graph = to_dot(nasty_graph(), program=renderer_param(program), title="t\\G\x01")
    shown = svg_texts(graph.pipe())  # valid XML, or ET raises
    for literal in [*NASTY.values(), "r\\N\\x00<&>", "t\\G\\x01"]:
        assert literal in shown
    assert not any("\x00" in t or "\x07" in t for t in shown)


@pytest.mark.parametrize("program", RENDERERS)
def test_frame_titles_are_escaped(program: str) -> None:
    frames = backward_frames(nasty_graph(), program=renderer_param(program))
    shown = svg_texts(frames[1].graph.pipe())
    assert "step 0: start: ∂r\\N\\x00<&>/∂r\\N\\x00<&> = 1" in svg_texts(frames[0].graph.pipe())
    assert any(t.startswith("step 1: ∂r\\N\\x00<&>/∂") for t in shown)
    rule = "add: f = a + b; ∂f/∂a = 1, ∂f/∂b = 1"  # on its own line (dot keeps double spaces
    assert rule in [" ".join(t.split()) for t in shown]  # as space + no-break space)


def test_page_text_shows_labels_as_typed() -> None:
    page = backward_page(nasty_graph(), title="my\x00page")
    data = page_data(page.html)
    assert data["title"] == "my\\x00page"
    assert data["frames"][1]["text"].startswith("∂r\\N\\x00<&>/∂")
    assert "\x00" not in page.html and "<&>" not in page.html
    ET.fromstring(data["svg"])
    assert "r\\N\\x00<&>" in svg_texts(data["svg"])


@settings(max_examples=40)
@given(st.text(min_size=1, max_size=12))
def test_any_label_is_shown_literally(label: str) -> None:
    need_dot()
    x = Value(1.0, label=label)
    shown = [t.replace("\xa0", " ") for t in svg_texts(to_dot(x * x, program="dot").pipe())]
    assert visible(label) in shown  # spaces are drawn as no-break spaces


# The backward pass, step by step.

def test_frames_follow_the_backward_pass() -> None:
    o, v = neuron()
    frames = backward_frames(o)
    assert [f.step for f in frames] == list(range(6))
    assert frames[0].text == "start: ∂o/∂o = 1"
    assert frames[0].parent is None and frames[0].edges == ()
    # The local derivative is written as the op's own, never like a gradient of o.
    assert frames[1].text == "∂o/∂n += ∂o/∂o · tanh′(n) = 1 · 0.501 = 0.501"
    assert frames[1].rule.startswith("tanh: f = tanh x")
    assert frames[4].text == "∂o/∂w += ∂o/∂n2 · ∂(w × x)/∂w = 0.501 · 2 = 1.002"
    assert frames[4].edges == ("e2", "e2_0")
    # The last frame knows every gradient, equal to the engine's.
    names = {0: "w", 1: "x", 3: "b", 4: "n", 5: "o"}
    for position, name in names.items():
        assert frames[-1].grads[position] == pytest.approx(v[name].grad, rel=1e-12)
    assert set(frames[2].grads) == {5, 4, 2}


def test_frame_graph_highlights_the_step() -> None:
    frame = backward_frames(neuron()[0])[4]
    source = frame.graph.source
    assert re.search(r"n0 -> n2op \[[^\]]*color=\"#dc2626\"", source)
    assert re.search(r"n2op -> n2 \[[^\]]*color=\"#dc2626\"", source)
    assert not re.search(r"n1 -> n2op \[[^\]]*color", source)
    assert 'label="{ x | data 2 | grad ? }"' in source  # not reached yet
    assert "step 4: ∂o/∂w" in source


def test_frames_accumulate_a_shared_parent() -> None:
    x = Value(3.0, label="x")
    y = x * x + x
    frames = backward_frames(y)
    assert frames[-2].text.endswith("so far 1 + 3 = 4")
    assert frames[-1].text.endswith("so far 4 + 3 = 7")
    assert frames[-1].grads[0] == 7.0
    assert x.grad == 0.0  # the Values themselves are left alone


def test_unlabelled_leaves_are_inputs_with_gradients_and_steps() -> None:
    a, b = Value(2.0), Value(3.0)
    y = a * b
    y.backward()
    source = to_dot(y).source
    assert source.count("grad 3") == 1 and source.count("grad 2") == 1
    assert source.count(ROLE_COLORS["input"]) >= 1
    frames = backward_frames(y)
    assert [f.grads[p] for f in frames[1:] if (p := f.parent) is not None] == [3.0, 2.0]


def test_drawing_after_create_graph_shows_the_grads_data() -> None:
    x = Value(1.5, label="x")
    y = x**3
    y.backward(create_graph=True)
    assert "grad 6.75" in to_dot(y).source  # x.grad is the Value 3x²
    assert "data 6.75" in to_dot(x.grad).source  # and the gradient's own graph draws


def test_constants_get_no_steps() -> None:
    x = Value(3.0, label="x")
    y = x ** 2.0 * 5
    frames = backward_frames(y)
    assert len(frames) == 3  # start, y → x**2, x**2 → x
    assert frames[-1].grads[0] == pytest.approx(30.0)


def page_data(page: str) -> dict:
    """The JSON the page's one slot was filled with."""
    found = re.search(r'<script type="application/json" class="dg-data">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def test_html_page_is_self_contained(tmp_path: Path) -> None:
    path = write_backward_html(neuron()[0], tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    data = page_data(page)
    assert data["svg"].startswith("<svg")  # no XML prolog inside HTML
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert '"text": "\\u2202o/\\u2202w += ' in page
    for i in range(6):
        assert f'id="n{i}"' in data["svg"]


def test_html_escapes_labels(tmp_path: Path) -> None:
    x = Value(2.0, label="</script><b>")
    path = write_backward_html(x * x, tmp_path / "steps.html", title="<i>t</i>")
    page = path.read_text(encoding="utf-8")
    assert "</script><b>" not in page
    assert "<i>t</i>" not in page


def test_frame_shows_its_text_and_drawing() -> None:
    frame = backward_frames(neuron()[0])[4]
    assert repr(frame) == "<Frame step 4: ∂o/∂w += ∂o/∂n2 · ∂(w × x)/∂w = 0.501 · 2 = 1.002>"
    bundle = frame._repr_mimebundle_(include={"image/svg+xml"})
    assert list(bundle) == ["image/svg+xml"]
    shown = svg_texts(bundle["image/svg+xml"])
    assert "step 4: ∂o/∂w += ∂o/∂n2 · ∂(w × x)/∂w = 0.501 · 2 = 1.002" in shown


def test_page_object_saves_and_shows_inline(tmp_path: Path) -> None:
    page = backward_page(neuron()[0], title="my <page>")
    assert repr(page) == "<BackwardPage 'my <page>': 5 steps; .save(path) writes it>"
    saved = write_backward_html(neuron()[0], tmp_path / "steps.html", title="my <page>")
    assert saved.read_text(encoding="utf-8") == page.html
    inline = page._repr_html_()
    frame = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" '
                         r'title="my &lt;page&gt;" style="[^"]*"></iframe>', inline)
    assert frame, inline
    assert html.unescape(frame.group(1)) == page.html


def test_page_is_safe_to_embed() -> None:
    """One JSON slot filled; CSS only on the page's classes; script declares nothing global."""
    page = backward_page(neuron()[0]).html
    assert "DELTAGRAD_DATA" not in page and page.count('class="dg-data"') == 1
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style
    selectors = [rule.split("{")[0].strip() for rule in style.group(1).split("}") if "{" in rule]
    assert selectors and all(sel.startswith(".dg-steps") for sel in selectors)
    script = page[page.rindex("<script>"):]
    assert script.startswith("<script>\n(() => {") and "})();\n</script>" in script
    assert "parent." not in script and "top.location" not in script


def test_lazy_names_reach_the_package() -> None:
    import autograd

    assert autograd.backward_page is backward_page
    assert autograd.to_dot is to_dot and autograd.render is render


# Local derivatives are written as the op's own, for any op (issue 17).

def test_local_derivatives_are_the_ops_own() -> None:
    from autograd import OPS
    from autograd.viz.steps import local_derivative

    assert local_derivative(OPS["tanh"], ["n4"], 0) == "tanh′(n4)"
    assert local_derivative(OPS["sigmoid"], ["α₀₁ + α₁ᵀx"], 0) == "σ′(α₀₁ + α₁ᵀx)"
    assert local_derivative(OPS["neg"], ["x"], 0) == "neg′(x)"  # a symbol that is no word
    assert local_derivative(OPS["sqrt"], ["x"], 0) == "sqrt′(x)"
    assert local_derivative(OPS["mul"], ["w", "x"], 1) == "∂(w × x)/∂x"
    assert local_derivative(OPS["sub"], ["y₁", "a + b"], 1) == "∂(y₁ − (a + b))/∂(a + b)"


def test_a_users_ops_are_written_from_their_own_row() -> None:
    """Ops declared with autograd.op, of any number of operands, read like the built-ins."""
    from autograd import op

    @op(partials=lambda xs, out: (1 - out * out,))
    def my_tanh(x: float) -> float:
        return math.tanh(x)

    @op(partials=lambda xs, out: (xs[1], xs[0], 1.0), symbol="fma")
    def fma(a: float, b: float, c: float) -> float:
        return a * b + c

    @op(partials=lambda xs, out: (1.0,) * len(xs), symbol="⊕", operator=True, arity=5)
    def add5(*xs: float) -> float:
        return math.fsum(xs)

    a, b, c = Value(0.5, label="a"), Value(2.0, label="b"), Value(1.0, label="c")
    y = my_tanh(fma(a, b, c))
    y.label = "y"
    texts = [f.text for f in backward_frames(y)]
    assert texts[1] == "∂y/∂n3 += ∂y/∂y · my_tanh′(n3) = 1 · 0.07065 = 0.07065"
    assert texts[2].startswith("∂y/∂a += ∂y/∂n3 · ∂fma(a, b, c)/∂a = 0.07065 · 2 = ")
    xs = [Value(float(i), label=f"x{i}") for i in range(5)]
    z = add5(*xs)
    assert backward_frames(z)[3].text.startswith("∂n5/∂x2 += ∂n5/∂n5 · ∂(x0 ⊕ x1 ⊕ … ⊕ x4)/∂x2")


def test_constants_are_named_by_their_number_or_label() -> None:
    x = Value(3.0, label="x")
    frames = backward_frames(x ** 2.0)
    assert frames[1].text == "∂n2/∂x += ∂n2/∂n2 · ∂(x ^ 2)/∂x = 1 · 6 = 6"
    named = Constant(0.5, label="x₁")
    source = to_dot(x * named).source
    assert 'label="x₁ = 0.5"' in source
    assert backward_frames(x * named)[1].text.startswith("∂n2/∂x += ∂n2/∂n2 · ∂(x × x₁)/∂x")


# A graph whose backward() refuses ends with the refusal, never with infinities.

REFUSED = {
    "infinite slope": (lambda x: x.sqrt() * 3, 0.0,
                       "backward() refuses at n1: sqrt: the derivative of sqrt(x) is infinite "
                       "at x = 0"),
    "slope overflows": (lambda x: 1 / x, 1e-200,
                        "backward() refuses at n2: truediv: the local derivative ∂(1 ÷ x)/∂x at "
                        "x = 1e-200 is -inf"),
    "product overflows": (lambda x: ((x * 1e-300) * 1e200) * 1e200, 1.0,
                          "backward() refuses at n4: mul: the product 1e+200 · ∂(n2 × 1e+200)/"
                          "∂n2 = 1e+200 · 1e+200 overflows a float"),
    "sum overflows": (lambda x: x * 1.7e308 + x * 1.7e308, 1e-10,
                      "backward() refuses at n2: mul: the sum so far 1.7e+308 + 1.7e+308 "
                      "overflows a float"),
}


ASKED_BEFORE = {"infinite slope": ["n1"], "slope overflows": [], "product overflows": ["n4"],
                "sum overflows": ["n2", "n4"]}


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_backward_pass_shows_the_refusal(case: str) -> None:
    build, at, text = REFUSED[case]
    y = build(Value(at, label="x"))
    with pytest.raises((ArithmeticError, ValueError)):
        y.backward()  # the engine refuses too
    frames = backward_frames(y)
    assert frames[-1].refused and frames[-1].text == text
    assert not any(f.refused for f in frames[:-1])
    assert "inf" not in " ".join(f.text for f in frames[:-1])
    assert f"step {len(frames) - 1}: {text}" in frames[-1].graph.source.replace("\\", "")
    data = page_data(backward_page(y, exercise=True).html)
    assert data["frames"][-1]["refused"] and data["frames"][-1]["text"] == text
    # x (n0) never gets its whole gradient, so the exercise never asks for it
    assert [f["parent"] for f in data["frames"] if f["ask"]] == ASKED_BEFORE[case]


# Notes on nodes (issue 19): kept beside the graph, shown as tooltips and at their step.

def test_notes_show_as_tooltips_and_at_the_step_completing_their_node() -> None:
    o, v = neuron()
    notes = {v["n"]: viz.Note("s = ∂o/∂n = 1 − o²", 1 - 0.7064193203972352 ** 2, "by hand"),
             v["w"]: viz.Note("∂o/∂w = s x")}
    source = to_dot(o, notes=notes).source
    assert 'tooltip="s = ∂o/∂n = 1 − o² = 0.501 (by hand)"' in source
    assert 'tooltip="∂o/∂w = s x"' in source
    frames = backward_frames(o, notes=notes)
    assert [f.step for f in frames if f.note] == [1, 4]
    assert frames[1].note == "s = ∂o/∂n = 1 − o² = 0.501  (by hand: 0.501)"
    assert frames[4].note == "∂o/∂w = s x = 1.002"
    assert "s = ∂o/∂n = 1 − o² = 0.501  (by hand: 0.501)" in frames[1].graph.source
    data = page_data(backward_page(o, notes=notes).html)
    assert data["frames"][1]["note"] == frames[1].note and data["frames"][2]["note"] == ""
    assert 'xlink:title="s = ∂o/∂n = 1 − o² = 0.501 (by hand)"' in data["svg"]
    exercise = page_data(backward_page(o, notes=notes, exercise=True).html)
    assert 'xlink:title="s = ∂o/∂n = 1 − o²"' in exercise["svg"]  # no answer in the tooltip
    assert exercise["frames"][1]["hint"] == "s = ∂o/∂n = 1 − o²"


def test_a_note_that_disagrees_says_so() -> None:
    o, v = neuron()
    frames = backward_frames(o, notes={v["n"]: viz.Note("s", 0.25)})
    assert frames[1].note == ("s = 0.501  (closed form: 0.25, which differs from the backward "
                              "pass's 0.5009717437695085)")


def test_notes_are_checked() -> None:
    o, _ = neuron()
    with pytest.raises(TypeError, match="notes must map Values to Notes, got str → Note"):
        to_dot(o, notes={"n": viz.Note("s")})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="notes must be a mapping"):
        to_dot(o, notes=[viz.Note("s")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Note value must be finite, got inf"):
        viz.Note("s", float("inf"))
    with pytest.raises(TypeError, match="Note value must be a real number or None, got str"):
        viz.Note("s", "1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        viz.Note("")
    assert viz.Note("s", np.float32(0.5)).value == 0.5
    elsewhere = Value(1.0)  # a note on a node outside the graph is ignored
    assert to_dot(o, notes={elsewhere: viz.Note("s")}).source == to_dot(o).source


# The exercise page's questions (issue 19).

def test_the_exercise_asks_once_per_node_at_its_last_share() -> None:
    x = Value(3.0, label="x")
    y = x * x + x  # x gets three shares
    y.label = "y"
    data = page_data(backward_page(y, exercise=True).html)
    asks = [(n, f["ask"]) for n, f in enumerate(data["frames"]) if f["ask"]]
    assert [n for n, _ in asks] == [1, 4]  # n1 = x·x at step 1; x at its last share, step 4
    assert asks[1][1]["target"] == "∂y/∂x"
    assert asks[1][1]["prompt"] == ("∂y/∂x = ∂y/∂y · ∂(n1 + x)/∂x + ∂y/∂n1 · ∂(x × x)/∂x + "
                                    "∂y/∂n1 · ∂(x × x)/∂x")
    assert asks[1][1]["exact"] == 7.0 and asks[1][1]["shown"] == 7.0
    assert asks[1][1]["products"] == ["∂y/∂y · ∂(n1 + x)/∂x = 1 · 1 = 1",
                                      "∂y/∂n1 · ∂(x × x)/∂x = 1 · 3 = 3",
                                      "∂y/∂n1 · ∂(x × x)/∂x = 1 · 3 = 3", "sum: 1 + 3 + 3 = 7"]
    assert data["exercise"] and data["tolerance"] == 1e-3
    assert data["frames"][2]["formula"] == "∂y/∂x += ∂y/∂y · ∂(n1 + x)/∂x"
    plain = page_data(backward_page(y).html)
    assert not plain["exercise"] and all(f["ask"] is None for f in plain["frames"])


def test_the_exercise_also_accepts_the_value_from_the_numbers_shown() -> None:
    """The page shows 4 digits; a student who computes with those may land off the exact value.

    Here x gets 1.23456 and −1.23400: exactly 0.00056, from the numbers shown 1.235 − 1.234.
    """
    x = Value(2.0, label="x")
    y = x * 1.23456 - x * 1.234
    y.label = "y"
    data = page_data(backward_page(y, exercise=True).html)
    ask = data["frames"][-1]["ask"]
    assert ask["target"] == "∂y/∂x"
    assert ask["exact"] == pytest.approx(0.00056, rel=1e-9)
    assert ask["shown"] == pytest.approx(0.001, rel=1e-9)
    assert ask["products"][-1] == "sum: -1.234 + 1.235 = 0.00056"
    z = Value(0.00123456, label="z")
    w = (z * 3.0).exp()
    w.label = "w"
    asked = [f["ask"] for f in page_data(backward_page(w, exercise=True).html)["frames"]
             if f["ask"]]
    # ∂w/∂n1 = exp′(n1) = exp(n1) = w, from the shown w = 1.004 (the op's rule is f' = f)
    assert asked[0]["shown"] == 1.004 and asked[0]["exact"] == pytest.approx(w.data)


def test_the_command_line_writes_an_exercise(tmp_path: Path) -> None:
    from autograd.__main__ import main

    page = tmp_path / "ex.html"
    assert main(["graph", "tanh(w*x + b)", "--at", "w=-3,x=2,b=6.88", "--exercise",
                 "--html", str(page)]) == 0
    data = page_data(page.read_text(encoding="utf-8"))
    assert data["exercise"] and sum(1 for f in data["frames"] if f["ask"]) == 5


# The page's layout is chosen per graph.

def test_small_graphs_keep_the_left_to_right_layout_and_big_ones_get_a_narrow_one() -> None:
    small = page_data(backward_page(neuron()[0]).html)["svg"]
    assert "rotate(0)" in small and 'class="node"' in small
    width = float(re.search(r'width="([\d.]+)pt"', small).group(1))
    assert width > 2 * float(re.search(r'height="([\d.]+)pt"', small).group(1))  # left to right
    from nn import TwoLayerNet

    net = TwoLayerNet(2, 2, 1, rng=0)
    lecture = page_data(backward_page(net.loss(net.forward([0.5, -1.0]), [0.3])).html)["svg"]
    width = float(re.search(r'width="([\d.]+)pt"', lecture).group(1))
    assert width * 4 / 3 * 0.75 <= viz.page.GRAPH_BOX[0]  # fits at labels of 11 pt · 0.75 (≥ 10 px)
    forced = page_data(backward_page(neuron()[0], rankdir="TB").html)["svg"]
    assert float(re.search(r'height="([\d.]+)pt"', forced).group(1)) > \
        float(re.search(r'height="([\d.]+)pt"', small).group(1))


def test_a_graph_over_max_nodes_is_a_render_error_too() -> None:
    from autograd.viz import RenderError, RenderTooLargeError

    with pytest.raises(RenderTooLargeError, match="max_nodes=10") as err:
        to_dot(chain(20), max_nodes=10)
    assert isinstance(err.value, RenderError) and isinstance(err.value, ValueError)
