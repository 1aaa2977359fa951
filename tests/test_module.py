"""Tests for nn/module.py: Parameter, names and order, zero_grad, state files and load errors."""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

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
    ("change", "error", "match", "file_match"),
    [
        (lambda s: s.pop("blocks.1.b"), KeyError, "missing parameter 'blocks.1.b'",
         "missing parameter 'blocks.1.b'"),
        (lambda s: s.pop("alpha.0.0"), KeyError, "missing parameter 'alpha.0.0'",
         "missing parameter 'alpha.0.0'"),
        (lambda s: s.update({"beta.0.0": 1.0}), KeyError, "unexpected name 'beta.0.0'",
         "has 12 members, but the module has 11 parameters"),
        (lambda s: s.update({"blocks.1.b": np.zeros(2)}), ValueError,
         r"blocks.1.b: .*shape \(2,\)", r"'blocks.1.b.npy': .*shape \(2,\); expected one float"),
        (lambda s: s.update({"blocks.1.b": np.zeros((1, 1))}), ValueError, r"shape \(1, 1\)",
         r"shape \(1, 1\)"),
        (lambda s: s.update({"blocks.1.b": np.float64("nan")}), ValueError,
         "blocks.1.b: .*finite", "blocks.1.b: .*finite"),
        (lambda s: s.update({"inner.w": np.inf}), ValueError, "inner.w: expected a finite",
         "inner.w: expected a finite"),
        (lambda s: s.update({"inner.w": np.array("1.0")}), TypeError, "inner.w: .*dtype <U3",
         "'inner.w.npy': .*dtype <U3"),
        (lambda s: s.update({"inner.w": np.array(True)}), TypeError, "inner.w: .*real number",
         r"'inner.w.npy': .*dtype \|b1"),
        (lambda s: s.update({"inner.w": np.array(1 + 2j)}), TypeError, "dtype complex128",
         "dtype <c16"),
        (lambda s: s.update({"inner.w": np.float32(1.0)}), None, "", "dtype <f4"),
        (lambda s: s.update({"inner.w": np.array(1.0, dtype=">f8")}), None, "", "dtype >f8"),
    ],
)
def test_each_load_error_names_the_problem_and_changes_nothing(
    tmp_path: Path, change: Any, error: type[Exception] | None, match: str, file_match: str
) -> None:
    toy = Toy()
    before = toy.state_dict()
    state = _good_state()
    change(state)
    if error is not None:  # load_state_dict takes any real number; a file must hold <f8
        with pytest.raises(error, match=match):
            toy.load_state_dict(state)
        assert toy.state_dict() == before
    path = _write(tmp_path / "bad.npz", state)
    with pytest.raises(ValueError, match=file_match):  # a bad file is always a ValueError
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
    with pytest.raises(ValueError, match=r"'scale.npy': .*dtype \|O"):
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


def _npy(array: Any = 1.5, header: dict[str, Any] | None = None, tail: bytes = b"") -> bytes:
    """A .npy member: an array as numpy writes it, or a hand-made header followed by tail."""
    fh = io.BytesIO()
    if header is None:
        np.lib.format.write_array(fh, np.asarray(array))
    else:
        np.lib.format.write_array_header_1_0(fh, header)
    return fh.getvalue() + tail


def _archive(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED,
             without: str = "") -> Path:
    """Every Toy parameter but ``without`` as a good member; ``members`` replace or add."""
    good = {f"{n}.npy": _npy(0.25) for n in NAMES if n != without}
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in {**good, **members}.items():
            archive.writestr(name, data)
    return path


def _refused(path: Path, match: str) -> None:
    toy = Toy()
    before = toy.state_dict()
    with pytest.raises(ValueError, match=match):
        toy.load(path)
    assert toy.state_dict() == before


def test_crafted_archives_load_when_good(tmp_path: Path) -> None:
    toy = Toy()
    toy.load(_archive(tmp_path / "good.npz", {}))
    assert list(toy.state_dict().values()) == [0.25] * len(NAMES)


def test_a_member_declaring_a_huge_shape_is_refused_from_its_header(tmp_path: Path) -> None:
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    path = _archive(tmp_path / "huge.npz", {"scale.npy": _npy(header=header)})
    _refused(path, r"'scale.npy': holds an array of dtype <f8, shape \(1000000000000,\)")


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    zeros = bytes(8 * 10**6)  # 8 MB of zeros: deflates to about 8 KB
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6,)}
    path = _archive(tmp_path / "bomb.npz", {"scale.npy": _npy(header=header, tail=zeros)})
    assert path.stat().st_size < 50_000
    _refused(path, r"'scale.npy' declares 8000128 bytes; a saved parameter takes at most 4096")


def _patch_directory(path: Path, member: str, offset: int, value: int) -> None:
    """Overwrite a 4-byte field of ``member``'s central directory entry."""
    raw, name, at = bytearray(path.read_bytes()), member.encode(), -1
    while raw[at + 46:at + 46 + len(name)] != name or at < 0:
        at = raw.index(b"PK\x01\x02", at + 1)
    struct.pack_into("<L", raw, at + offset, value)
    path.write_bytes(bytes(raw))


def test_a_directory_that_understates_a_bomb_is_refused(tmp_path: Path) -> None:
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6,)}
    path = _archive(tmp_path / "liar.npz", {"scale.npy": _npy(header=header,
                                                               tail=bytes(8 * 10**6))})
    _patch_directory(path, "scale.npy", 24, 136)  # uncompressed size: claims one float
    _refused(path, r"'scale.npy' declares \d+ compressed bytes for 136 bytes of data")


def test_a_corrupt_deflate_stream_is_a_value_error(tmp_path: Path) -> None:
    path = _archive(tmp_path / "corrupt.npz", {})
    raw = bytearray(path.read_bytes())
    start = 30 + len("scale.npy")  # the first member's data follows its local header
    raw[start:start + 40] = b"\xff" * 40
    path.write_bytes(bytes(raw))
    _refused(path, "'scale.npy': ")


def test_another_compression_method_is_refused_before_reading(tmp_path: Path) -> None:
    path = _archive(tmp_path / "bz2.npz", {}, method=zipfile.ZIP_BZIP2)
    _refused(path, r"'scale.npy' uses compression method 12; only stored \(0\) and deflated")


def test_too_many_members_are_refused_before_the_directory_is_read(tmp_path: Path) -> None:
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(1000):
            archive.writestr(f"m{i}.npy", b"")
    _refused(path, "has 1000 members, but the module has 11 parameters")
    raw = bytearray(_archive(tmp_path / "zip64.npz", {}).read_bytes())
    struct.pack_into("<H", raw, len(raw) - 12, 0xFFFF)  # the count of a zip64 archive
    (tmp_path / "zip64.npz").write_bytes(bytes(raw))
    _refused(tmp_path / "zip64.npz", "has 65535 or more members")


@pytest.mark.parametrize(("members", "match"), [
    ({"notes.txt": b"hi"}, r"unexpected member 'notes.txt' \(expected 11 names: 'scale'"),
    ({"scale": _npy()}, "unexpected member 'scale' "),
    ({"scale.npy": _npy()}, "missing parameter 'blocks.1.b'"),
])
def test_bad_member_names_are_named(tmp_path: Path, members: dict[str, bytes],
                                    match: str) -> None:
    _refused(_archive(tmp_path / "bad.npz", members, without="blocks.1.b"), match)


@pytest.mark.parametrize(("data", "match"), [
    (_npy(header={"descr": "<f8", "fortran_order": True, "shape": ()}), "Fortran order"),
    (_npy()[:-3], "'scale.npy' holds 5 data bytes; expected 8"),
    (_npy() + b"more", "'scale.npy' holds 12 data bytes; expected 8"),
    (b"PK not numpy", "'scale.npy': .*magic"),
])
def test_bad_member_contents_are_named(tmp_path: Path, data: bytes, match: str) -> None:
    _refused(_archive(tmp_path / "bad.npz", {"scale.npy": data}), match)


def test_a_repeated_member_is_refused(tmp_path: Path) -> None:
    path = _archive(tmp_path / "twice.npz", {})
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(path, "a") as archive:
        archive.writestr("scale.npy", _npy(2.0))
    raw = bytearray(path.read_bytes())
    struct.pack_into("<H", raw, len(raw) - 12, 11)  # hide the extra member from the count
    path.write_bytes(bytes(raw))
    _refused(path, "member 'scale.npy' appears twice")


def test_special_files_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "state.npz"
    os.mkfifo(fifo)
    _refused(fifo, "is not a regular file")  # and the open did not block
    _refused(tmp_path, "is not a regular file")


def test_a_path_through_proc_self_cwd_replaces_the_saved_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: saving over /proc/self/cwd/model.npz appended, and the model was lost."""
    monkeypatch.chdir(tmp_path)
    toy = Toy()
    toy.save("/proc/self/cwd/model.npz")
    size = (tmp_path / "model.npz").stat().st_size
    toy.scale.data = 42.0
    toy.save("/proc/self/cwd/model.npz")
    assert (tmp_path / "model.npz").stat().st_size == size  # replaced, not appended to
    fresh = Toy()
    fresh.load("/proc/self/cwd/model.npz")
    assert fresh.state_dict() == toy.state_dict()


class Pair(Module):
    def __init__(self) -> None:
        self.w = Parameter(1.0)
        self.b = Parameter(2.0)


def _forged_directory(path: Path, entries: int, claimed: int) -> Path:
    """A zip directory of ``entries`` entries whose end record claims ``claimed`` members."""
    name = b"w.npy"
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 136, 136,
                        len(name), 0, 0, 0, 0, 0, 0) + name
    directory = entry * entries
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, claimed, claimed, len(directory), 0, 0)
    path.write_bytes(directory + end)
    return path


def test_a_forged_member_count_is_refused_by_the_file_size_before_parsing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: an end record claiming 2 members over 150,000 directory entries.

    zipfile reads the whole directory whatever the count says (0.7 s and +71 MB then);
    the file is now refused from its size, and zipfile never sees it.
    """
    path = _forged_directory(tmp_path / "forged.npz", 150_000, claimed=2)
    pair = Pair()

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the directory was parsed")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    with pytest.raises(ValueError, match=r"is 7650022 bytes, more than a state archive of "
                       r"this module's 2 parameters can take \(\d+ bytes\)"):
        pair.load(path)
    assert pair.state_dict() == {"w": 1.0, "b": 2.0}


def test_a_forged_count_within_the_size_bound_is_refused_by_its_entries(tmp_path: Path) -> None:
    path = _forged_directory(tmp_path / "forged.npz", 100, claimed=2)
    with pytest.raises(ValueError, match=r"member 'w\.npy' appears twice"):
        Pair().load(path)


_NAME_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")


@given(names=st.lists(st.text(_NAME_CHARS, min_size=1, max_size=300), min_size=1, max_size=6,
                      unique=True),
       values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=6,
                       max_size=6))
def test_every_saved_archive_fits_the_size_bound_of_load(names: list[str],
                                                          values: list[float]) -> None:
    """The bound never refuses a real save, from Module.save or from numpy.savez."""
    class Named(Module):
        def __init__(self) -> None:
            for name, value in zip(names, values, strict=False):
                setattr(self, name, Parameter(value))

    module = Named()
    with tempfile.TemporaryDirectory() as folder:
        for path in (Path(folder) / "saved.npz", Path(folder) / "savez.npz"):
            if path.name == "saved.npz":
                module.save(path)
            else:
                _write(path, {n: np.float64(v) for n, v in module.state_dict().items()})
            fresh = Named()
            for p in fresh.parameters():
                p.data = 0.0
            fresh.load(path)
            assert fresh.state_dict() == module.state_dict()


@pytest.mark.parametrize(("name", "match"), [
    ("a\0b", r"parameter name 'a\\x00b' contains NUL"),
    ("a\udcffb", r"parameter name 'a\\udcffb' is not UTF-8 text"),
    ("é" * 32766, "is 65532 bytes long in UTF-8, over 65531: a state file cannot hold it"),
])
def test_names_a_state_file_cannot_hold_are_refused_before_writing(
        tmp_path: Path, name: str, match: str) -> None:
    toy = Toy()
    setattr(toy, name, Parameter(1.0))
    path = tmp_path / "toy.npz"
    with pytest.raises(ValueError, match=match):
        toy.save(path)
    assert list(tmp_path.iterdir()) == []
    Toy().save(path)
    old = path.read_bytes()
    with pytest.raises(ValueError, match=match):
        toy.save(path)
    with pytest.raises(ValueError, match=match):
        toy.load(path)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["toy.npz"]


def test_the_longest_name_round_trips(tmp_path: Path) -> None:
    module, other = Module(), Module()
    for m, value in ((module, 3.0), (other, 0.0)):
        setattr(m, "é" * 32765 + "a", Parameter(value))  # 65,531 bytes in UTF-8
    module.save(tmp_path / "long.npz")
    other.load(tmp_path / "long.npz")
    assert other.state_dict() == module.state_dict()


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4))
@example(damage=[(2143, 32)])  # flag bit 5 (compressed patched data): zipfile's NotImplementedError
@example(damage=[(7334, 64)])  # "zip file version 8.4" in the directory: NotImplementedError too
@example(damage=[(2620, 1)])  # a member's offset made negative: OSError from seek
def test_a_damaged_file_loads_or_is_a_value_error(damage: list[tuple[int, int]]) -> None:
    """Any byte changed anywhere: the load succeeds, or it is a ValueError changing nothing."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "toy.npz"
        Toy().save(path)
        raw = bytearray(path.read_bytes())
        for at, bits in damage:
            raw[at % len(raw)] ^= bits
        path.write_bytes(bytes(raw))
        toy = Toy()
        before = toy.state_dict()
        try:
            toy.load(path)
        except ValueError:
            assert toy.state_dict() == before


def test_repr_counts_the_parameters_by_name() -> None:
    assert repr(Toy()) == "Toy(11 parameters: scale 1, alpha 3, pair 1, inner 2, blocks 4)"
    assert repr(Module()) == "Module(0 parameters)"

    class Stack(Module):
        def __init__(self) -> None:
            self.layers = [Inner(0.0), [Inner(1.0), Inner(2.0)]]
            self.more = [Parameter(0.0) for _ in range(7)]

    stack = Stack()
    assert repr(stack) == "Stack(13 parameters: layers 6, more 7)"
    del stack.more  # every name starts with "layers.": one level deeper
    assert repr(stack) == "Stack(6 parameters: layers.0 2, layers.1 4)"

    class Wide(Module):
        def __init__(self) -> None:
            for i in range(50):
                setattr(self, f"w{i}", Parameter(0.0))

    assert repr(Wide()) == "Wide(50 parameters: w0 1, w1 1, w2 1, w3 1, w4 1, w5 1, ...)"


def test_notebook_table_lists_parameters_and_is_bounded() -> None:
    toy = Toy()
    toy(2.0).backward(create_graph=True)  # grads that are Values show their data
    page = toy._repr_html_()
    assert "<caption>Toy(11 parameters" in page
    assert "<tr><td>alpha.0.1</td><td>2</td><td>2</td></tr>" in page
    assert page.count("<tr>") == 12  # heading + 11 rows

    class Wide(Module):
        def __init__(self) -> None:
            self.w = [Parameter(0.0) for _ in range(500)]

    page = Wide()._repr_html_()
    assert page.count("<tr>") == 22 and "<td colspan='3'>...</td>" in page
