"""Value: construction, errors on bad input, operators, comparisons, no_grad."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from autograd import TraceError, Value, no_grad
from autograd.value import Constant


@pytest.mark.parametrize("bad, kind", [("a", "str"), (None, "NoneType"), ([1], "list"),
                                       (True, "bool"), (1 + 2j, "complex")])
def test_non_numbers_are_a_type_error_naming_the_type(bad: object, kind: str) -> None:
    with pytest.raises(TypeError, match=f"got {kind}"):
        Value(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_data_is_a_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


@pytest.mark.parametrize("good", [3, 2.5, np.float64(1.5), np.float32(0.25), np.int64(4)])
def test_real_numbers_become_floats(good: object) -> None:
    v = Value(good)
    assert type(v.data) is float and v.data == float(good)  # type: ignore[arg-type]


@pytest.mark.parametrize("op", [lambda x: x + "a", lambda x: "a" * x, lambda x: x / None,
                                lambda x: x ** [2], lambda x: [1] - x])
def test_foreign_operands_are_a_type_error(op: object) -> None:
    with pytest.raises(TypeError):
        op(Value(1.0))  # type: ignore[operator]


def test_foreign_operand_returns_not_implemented() -> None:
    assert Value(1.0).__add__("a") is NotImplemented


def test_non_finite_operand_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(1.0) + float("nan")


@pytest.mark.parametrize("make, error, message", [
    (lambda: Value(0) / 0, ZeroDivisionError, r"truediv: division by zero \(0 / 0\)"),
    (lambda: Value(1) / Value(0), ZeroDivisionError, "truediv: division by zero"),
    (lambda: Value(0) ** -1, ZeroDivisionError, r"pow: 0 \*\* -1 is a division by zero"),
    (lambda: Value(-1).log(), ValueError, r"log: log\(-1\) is undefined"),
    (lambda: Value(0).log(), ValueError, r"log: log\(0\) is undefined"),
    (lambda: Value(-8) ** (1 / 3), ValueError, r"pow: -8 \*\* 0.333.* is not real"),
    (lambda: Value(-2) ** Value(0.5), ValueError, "pow: a Value exponent needs a positive base"),
    (lambda: (-2) ** Value(2.0), ValueError, "pow: a Value exponent needs a positive base"),
    (lambda: Value(1000).exp(), OverflowError, r"exp: exp\(1000\) overflows"),
    (lambda: Value(1e200) * 1e200, OverflowError, "mul: the result of 1e[+]200 × 1e[+]200"),
    (lambda: Value(10.0) ** 400, OverflowError, "powc: the result of 10 \\^ 400 overflows"),
    (lambda: 2 ** Value(2000.0), OverflowError, "rpow: the result of 2 \\^ 2000 overflows"),
])
def test_domain_errors_name_the_op_and_value(make: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


def test_exp_just_below_overflow_is_fine() -> None:
    assert math.isfinite(Value(709.78).exp().data)


def test_comparisons_use_data_and_return_bool() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= 1.0) is True and (b > a) is True and (b >= 3) is False
    assert (2.0 > a) is True  # noqa: SIM300 (the reflected comparison is the point)


def test_equality_and_hashing_are_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2


def test_repr_shows_label_data_grad_and_op() -> None:
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    assert repr(x) == "Value('x', data=2, grad=3)"
    assert repr(y) == "Value(data=6, grad=1, op=mul)"


def test_value_has_no_instance_dict() -> None:
    with pytest.raises(AttributeError):
        Value(1.0).something = 1  # type: ignore[attr-defined]


def test_math_functions_refuse_values_instead_of_dropping_the_graph() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError):
        x * math.exp(x)  # type: ignore[arg-type]  # would silently lose d/dx of exp(x)
    with pytest.raises(TypeError):
        float(x)  # type: ignore[arg-type]


def test_truth_value_is_ambiguous() -> None:
    with pytest.raises(TypeError, match="truth value of a Value is ambiguous"):
        bool(Value(0.0))


def test_huge_int_is_an_overflow_error_naming_value() -> None:
    with pytest.raises(OverflowError, match=r"Value: this int is too large for a float"):
        Value(2**2000)


def test_no_grad_records_no_parents_and_restores_recording() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
    assert y.data == 5.0 and y.parents == () and y.op is None
    z = x * x
    assert z.parents == (x, x)


def test_no_grad_restores_recording_after_an_error() -> None:
    x = Value(2.0)
    with pytest.raises(ZeroDivisionError), no_grad():
        x / 0
    assert (x * x).parents == (x, x)


class Sub(Value):
    __slots__ = ()


def test_subclasses_of_value_are_values_everywhere() -> None:
    p, x = Sub(2.0), Value(3.0)
    y = p * 2.0 + x**p + (x < p) * 1.0
    y.backward()
    assert p.grad == pytest.approx(2.0 + 9.0 * math.log(3.0), rel=1e-14)  # d(3^p)/dp = 3^p ln 3
    assert x.grad == pytest.approx(2.0 * 3.0, rel=1e-14)


def test_the_engine_loads_without_numpy_or_graphviz() -> None:
    import subprocess
    import sys

    code = ("import sys; from autograd import Value, gradcheck; "
            "print(sorted({'numpy', 'graphviz'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_package_attribute_is_an_attribute_error() -> None:
    import autograd

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        autograd.nope  # noqa: B018


def test_numbers_in_expressions_become_constant_leaves() -> None:
    x = Value(2.0, label="x")
    y = x * 3
    assert isinstance(y.parents[1], Constant) and y.parents[1].data == 3.0
    assert not isinstance(y.parents[0], Constant)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_item_and_detach() -> None:
    x = Value(2.5, label="x")
    y = x * x
    assert y.item() == 6.25 and isinstance(y.item(), float)
    d = y.detach()
    assert d.data == 6.25 and d.parents == () and d.op is None and d is not y
    (d * x).backward()
    assert x.grad == 6.25  # the detached copy is a constant for x


def test_no_grad_in_one_thread_never_stops_another_from_recording() -> None:
    """The issue's race: recording is per thread, so the main thread never loses its graph."""
    stop = threading.Event()

    def other() -> None:
        while not stop.is_set():
            with no_grad():
                Value(1.0) * 2.0

    worker = threading.Thread(target=other)
    worker.start()
    try:
        for _ in range(20_000):
            x = Value(3.0)
            y = x * x + x
            y.backward()
            assert x.grad == 7.0
    finally:
        stop.set()
        worker.join(10)


def test_overlapping_no_grad_blocks_in_two_threads_restore_recording() -> None:
    """A enters, B enters, A exits, B exits: recording is on again in both and here."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def a() -> None:
        with no_grad():
            a_in.set()
            b_in.wait(10)
        a_out.set()
        seen["a"] = bool((Value(1.0) * 2.0).parents)

    def b() -> None:
        a_in.wait(10)
        with no_grad():
            b_in.set()
            a_out.wait(10)
        seen["b"] = bool((Value(1.0) * 2.0).parents)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"a": True, "b": True}
    assert (Value(1.0) * 2.0).parents  # and in the main thread


def test_detach_and_item_while_tracing() -> None:
    """Outside tracing detach() is a new leaf; while tracing it records the stop-gradient op
    (the tape replays each example's own value), and item() is refused like a comparison."""
    from autograd import trace
    from autograd.ops import DETACH

    x = Value(2.0)
    assert x.detach().op is None
    seen = []

    def fn(v: Value) -> Value:
        d = v.detach()
        seen.append(d)
        return d * v

    tape = trace(fn, [2.0], [])
    assert seen[0].op is DETACH and len(seen[0].parents) == 1
    assert tape.forward([[1.0], [3.0]]).tolist() == [1.0, 9.0]
    with pytest.raises(TraceError, match="item"):
        trace(lambda v: v * v.item(), [2.0], [])


def test_format_formats_the_number() -> None:
    y = Value(2.0 / 3.0, label="y")
    assert f"{y:.3f}" == "0.667" and format(y, "e") == "6.666667e-01"
    assert f"{y}" == repr(y)
