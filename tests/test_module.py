"""Tests for nn/module.py: Parameter, names and order, zero_grad, state files and load errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn.module import Module, Parameter


class Inner(Module):
    def __init__(self, start: float) -> None:
        self.w = Parameter(start)
        self.b = Parameter(start + 1.0)


class Toy(Module):
    """Parameters in every place the walk must look, with non-parameters in between."""

    def __init__(self) -> None:
        self.scale = Parameter(0.5)
        self.note = "not a parameter"
        self.alpha = [[Parameter(1.0), Parameter(2.0)], [Parameter(3.0)], []]
        self.constant = Value(9.0)  # a plain Value is not trainable
        self.pair = (Parameter(4.0), 5.0)
        self.inner = Inner(6.0)
        self.blocks = [Inner(10.0), Inner(20.0)]
        self.lookup = {"hidden": Parameter(99.0)}  # dicts are not walked

    def forward(self, x: float) -> Value:
        out = self.scale * x
        for p in self.parameters()[1:]:
            out = out + p * x
        return out


NAMES = [
    "scale",
    "alpha.0.0",
    "alpha.0.1",
    "alpha.1.0",
    "pair.0",
    "inner.w",
    "inner.b",
    "blocks.0.w",
    "blocks.0.b",
    "blocks.1.w",
    "blocks.1.b",
]


def test_parameter_is_a_slot_only_value() -> None:
    p = Parameter(1.5, label="w")
    assert isinstance(p, Value)
    assert not hasattr(p, "__dict__")
    with pytest.raises(AttributeError):
        p.extra = 1  # type: ignore[attr-defined]
    assert (p.data, p.grad, p.parents, p.op, p.label) == (1.5, 0.0, (), None, "w")
    assert repr(p).startswith("Parameter('w', data=1.5")
    with pytest.raises(TypeError, match="str"):
        Parameter("1.0")  # type: ignore[arg-type]


def test_gradients_flow_into_parameters() -> None:
    """A Parameter is an ordinary operand: ops record it as the parent and it gets the grad."""
    w = Parameter(3.0)
    x = Value(2.0)
    assert (w * x).parents[0] is w
    y = w * x + w**2.0 + 1.0 / w + x**w
    y.backward()
    assert w.grad == pytest.approx(2.0 + 6.0 - 1.0 / 9.0 + 8.0 * np.log(2.0), rel=1e-15)
    assert x.grad == pytest.approx(3.0 + 3.0 * 4.0, rel=1e-15)
    assert (w > 2.0, w < x) == (True, False)


def test_named_parameters_walks_attributes_lists_tuples_and_modules_in_order() -> None:
    toy = Toy()
    named = list(toy.named_parameters())
    assert [name for name, _ in named] == NAMES
    assert [p.data for _, p in named] == [0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 10, 11, 20, 21]
    assert toy.parameters() == [p for _, p in named]
    assert toy.parameters()[1] is toy.alpha[0][0]
    assert [n for n, _ in toy.named_parameters()] == NAMES  # stable across calls


def test_shared_parameter_is_listed_once_under_its_first_name() -> None:
    toy = Toy()
    toy.alias = toy.alpha[1][0]
    toy.blocks.append(toy.inner)
    names = [n for n, _ in toy.named_parameters()]
    assert names == NAMES
    assert len({id(p) for p in toy.parameters()}) == len(names)


def test_unknown_attributes_still_raise() -> None:
    toy = Toy()
    with pytest.raises(AttributeError, match="beta"):
        _ = toy.beta  # type: ignore[attr-defined]


def test_base_module_forward_is_abstract() -> None:
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1.0)


def test_zero_grad_resets_accumulated_gradients() -> None:
    toy = Toy()
    toy(2.0).backward()
    first = [p.grad for p in toy.parameters()]
    assert first == [2.0] * len(NAMES)
    toy(2.0).backward()  # leaves accumulate
    assert [p.grad for p in toy.parameters()] == [4.0] * len(NAMES)
    toy.zero_grad()
    assert [p.grad for p in toy.parameters()] == [0.0] * len(NAMES)
    assert toy.lookup["hidden"].grad == 0.0


def test_state_dict_round_trip() -> None:
    toy, other = Toy(), Toy()
    for i, p in enumerate(toy.parameters()):
        p.data = -float(i)
        p.grad = 5.0
    state = toy.state_dict()
    assert list(state) == NAMES
    assert list(state.values()) == [-float(i) for i in range(len(NAMES))]
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert [p.grad for p in other.parameters()] == [0.0] * len(NAMES)


def test_save_load_round_trip(tmp_path: Path) -> None:
    toy, other = Toy(), Toy()
    for i, p in enumerate(toy.parameters()):
        p.data = 0.1 * i - 1.0 / 3.0
    path = tmp_path / "toy.state"
    toy.save(path)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["toy.state"]  # no suffix, no temp
    with np.load(path, allow_pickle=False) as archive:
        assert archive.files == NAMES
        assert all(archive[n].shape == () and archive[n].dtype == np.float64 for n in NAMES)
    other.load(path)
    assert other.state_dict() == toy.state_dict()  # exact: floats round-trip bit for bit


def test_save_overwrites_and_a_crash_mid_save_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy = Toy()
    path = tmp_path / "toy.npz"
    toy.save(path)
    toy.scale.data = 7.0
    toy.save(path)
    old_bytes = path.read_bytes()

    def crash(fh: Any, array: Any, **options: Any) -> None:
        fh.write(b"half an array")
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    toy.scale.data = 8.0
    with pytest.raises(OSError, match="disk full"):
        toy.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert sorted(x.name for x in tmp_path.iterdir()) == ["toy.npz"]
    fresh = Toy()
    fresh.load(path)
    assert fresh.scale.data == 7.0


def _write(path: Path, arrays: dict[str, Any]) -> Path:
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    return path


def _good_state() -> dict[str, Any]:
    return {name: np.float64(i + 0.5) for i, name in enumerate(NAMES)}


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda s: s.pop("blocks.1.b"), KeyError, "missing parameter 'blocks.1.b'"),
        (lambda s: s.pop("alpha.0.0"), KeyError, "missing parameter 'alpha.0.0'"),
        (lambda s: s.update({"beta.0.0": 1.0}), KeyError, "unexpected name 'beta.0.0'"),
        (
            lambda s: s.update({"blocks.1.b": np.zeros(2)}),
            ValueError,
            r"blocks.1.b: .*shape \(2,\)",
        ),
        (lambda s: s.update({"blocks.1.b": np.zeros((1, 1))}), ValueError, r"shape \(1, 1\)"),
        (lambda s: s.update({"blocks.1.b": np.float64("nan")}), ValueError, "blocks.1.b: .*finite"),
        (lambda s: s.update({"inner.w": np.inf}), ValueError, "inner.w: expected a finite"),
        (lambda s: s.update({"inner.w": np.array("1.0")}), TypeError, "inner.w: .*dtype <U3"),
        (lambda s: s.update({"inner.w": np.array(True)}), TypeError, "inner.w: .*real number"),
        (lambda s: s.update({"inner.w": np.array(1 + 2j)}), TypeError, "dtype complex128"),
    ],
)
def test_each_load_error_names_the_problem_and_changes_nothing(
    tmp_path: Path, change: Any, error: type[Exception], match: str
) -> None:
    toy = Toy()
    before = toy.state_dict()
    state = _good_state()
    change(state)
    with pytest.raises(error, match=match):
        toy.load_state_dict(state)
    assert toy.state_dict() == before
    path = _write(tmp_path / "bad.npz", state)
    with pytest.raises(error, match=match):
        toy.load(path)
    assert toy.state_dict() == before


def test_load_state_dict_rejects_non_numbers() -> None:
    toy = Toy()
    state: dict[str, Any] = dict(toy.state_dict())
    state["scale"] = "0.5"
    with pytest.raises(TypeError, match="scale: expected a real number, got str"):
        toy.load_state_dict(state)
    state["scale"] = True
    with pytest.raises(TypeError, match="got bool"):
        toy.load_state_dict(state)
    state["scale"] = 2  # ints are fine
    toy.load_state_dict(state)
    assert toy.scale.data == 2.0


def test_load_never_unpickles(tmp_path: Path) -> None:
    toy = Toy()
    before = toy.state_dict()
    state: dict[str, Any] = _good_state()
    state["scale"] = np.array([{"payload": 1}], dtype=object)
    path = _write(tmp_path / "pickled.npz", state)
    with pytest.raises(ValueError, match="allow_pickle"):
        toy.load(path)
    assert toy.state_dict() == before


def test_load_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Toy().load(tmp_path / "absent.npz")


class Awkward(Module):
    """Parameter names that are also keyword arguments of numpy's savez and load."""

    def __init__(self) -> None:
        self.file = Parameter(1.0)
        self.allow_pickle = Parameter(2.0)
        self.args = Parameter(3.0)
        self.kwds = Parameter(4.0)
        self.mmap_mode = Parameter(5.0)


def test_save_load_works_for_any_parameter_name(tmp_path: Path) -> None:
    net, other = Awkward(), Awkward()
    for p in other.parameters():
        p.data = 0.0
    path = tmp_path / "awkward.npz"
    net.save(path)
    with np.load(path, allow_pickle=False) as archive:  # still an ordinary .npz
        assert archive.files == ["file", "allow_pickle", "args", "kwds", "mmap_mode"]
    other.load(path)
    assert other.state_dict() == net.state_dict()


def test_saved_file_has_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        Toy().save(tmp_path / "toy.npz")
    finally:
        os.umask(umask)
    assert (tmp_path / "toy.npz").stat().st_mode & 0o777 == 0o644


def test_loading_a_file_that_is_not_a_state_archive_is_a_clear_error(tmp_path: Path) -> None:
    toy = Toy()
    before = toy.state_dict()
    npy = tmp_path / "scale.npy"
    np.save(npy, np.float64(1.0))
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    for path in (npy, text):
        with pytest.raises(ValueError, match="not a state archive"):
            toy.load(path)
    assert toy.state_dict() == before


def test_unexpected_name_error_shows_only_a_few_expected_names() -> None:
    class Wide(Module):
        def __init__(self) -> None:
            self.w = [Parameter(0.0) for _ in range(500)]

    state: dict[str, Any] = {f"w.{i}": 0.0 for i in range(500)}
    state["v"] = 1.0
    with pytest.raises(KeyError, match="unexpected name 'v'") as info:
        Wide().load_state_dict(state)
    message = str(info.value)
    assert "'w.0', 'w.1', 'w.2'" in message and "500" in message
    assert "w.499" not in message and len(message) < 200


def test_named_parameters_terminates_on_cycles() -> None:
    toy = Toy()
    toy.inner.parent = toy  # a back-reference to the owner
    toy.blocks.append(toy)  # a list holding the module itself
    loop: list[Any] = [Parameter(-1.0)]
    loop.append(loop)  # a list holding itself
    toy.loop = loop
    names = [name for name, _ in toy.named_parameters()]
    assert names == [*NAMES, "loop.0"]
    toy.zero_grad()
    assert list(toy.state_dict()) == names
