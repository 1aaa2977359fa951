"""Ops declared with ``autograd.op`` work everywhere a built-in does, and change nothing else.

Three declared ops are used throughout: ``my_tanh`` (a decorator, one operand), ``fma`` (a
call, three operands) and ``halt`` (one operand whose partial is ``None``: a stop-gradient).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import (
    OPS,
    DomainError,
    Op,
    TraceError,
    Value,
    grad,
    gradcheck,
    hessian,
    jvp,
    op,
    value_and_grad,
)


@op(partials=lambda xs, out: (1 - out * out,), symbol="tanh₂",
    array_forward=lambda x: np.tanh(x))
def my_tanh(x: float) -> float:
    """f = tanh x;  f' = 1 - f²"""
    return math.tanh(x)


fma = op(lambda a, b, c: a * b + c, partials=lambda xs, out: (xs[1], xs[0], 1.0), name="fma",
         array_forward=lambda a, b, c: a * b + c)
halt = op(lambda x: x, partials=lambda xs, out: (None,), name="halt",
          array_forward=lambda x: x + 0.0)

REAL = st.floats(-3, 3, allow_nan=False)


def test_a_declared_op_is_an_op_with_the_fields_of_a_built_in() -> None:
    assert isinstance(my_tanh, Op) and my_tanh.name == "my_tanh" and my_tanh.arity == 1
    assert my_tanh.symbol == "tanh₂" and my_tanh.doc == "f = tanh x;  f' = 1 - f²"
    assert (fma.arity, fma.symbol, halt.arity) == (3, "fma", 1)
    assert repr(fma) == "<op fma (3 operands)>"


@given(REAL, REAL, REAL)
def test_three_operand_op_backward_against_closed_form_and_differences(a: float, b: float,
                                                                       c: float) -> None:
    x, y, z = Value(a), Value(b), Value(c)
    out = fma(x, y, z)
    assert out.data == a * b + c and out.op is fma and out.parents == (x, y, z)
    out.backward()
    assert (x.grad, y.grad, z.grad) == (b, a, 1.0)
    gradcheck(lambda p, q, r: fma(p, q, r) * p, [a, b, c])


@given(REAL)
def test_decorated_op_backward_against_closed_form(a: float) -> None:
    x = Value(a)
    my_tanh(x).backward()
    assert x.grad == pytest.approx(1 - math.tanh(a) ** 2, rel=1e-12, abs=1e-15)


def test_numbers_mix_in_as_constants_and_foreign_operands_are_refused() -> None:
    x = Value(2.0)
    out = fma(x, 3, 1.5)
    assert out.data == 7.5 and [type(p).__name__ for p in out.parents] == \
        ["Value", "Constant", "Constant"]
    with pytest.raises(TypeError, match="fma takes 3 operands, got 2"):
        fma(x, x)
    with pytest.raises(TypeError, match="fma needs Values or real numbers, got str"):
        fma(x, x, "a")


def test_a_none_partial_stops_the_gradient_on_every_path() -> None:
    x = Value(3.0)
    (halt(x) * x).backward()
    assert x.grad == 3.0  # d(c x)/dx with c = halt(x) held constant
    x.grad = 0.0
    (halt(x) * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 3.0
    assert grad(lambda v: halt(v) * v)(3.0) == 3.0
    assert jvp(lambda v: halt(v) * v, (3.0,), (1.0,)) == (9.0, 3.0)
    assert hessian(lambda v: halt(v) * v * v)(3.0) == [[6.0]]


def test_second_derivatives_of_declared_ops() -> None:
    # d²/dx² tanh x = -2 tanh x (1 - tanh² x); fma(x, y, x): ∂²/∂x∂y = 1
    t = math.tanh(0.7)
    assert hessian(my_tanh)(0.7)[0][0] == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    assert hessian(lambda a, b: fma(a, b, a))(3.0, 2.0) == [[0.0, 1.0], [1.0, 0.0]]


def test_partials_that_do_not_run_on_values_are_named_at_second_order_only() -> None:
    cosine_slope = op(math.sin, partials=lambda xs, out: (math.cos(xs[0]),), name="my_sin")
    assert grad(cosine_slope)(0.0) == 1.0  # first order: floats, fine
    with pytest.raises(TypeError, match="'my_sin': its partials do not run on Values"):
        hessian(cosine_slope)(0.0)


def test_grad_value_and_grad_and_jvp_agree_on_declared_ops() -> None:
    def f(a: Value, b: Value) -> Value:
        return my_tanh(fma(a, b, a))

    v, (da, db) = value_and_grad(f, argnums=(0, 1))(0.3, -0.4)
    assert v == pytest.approx(math.tanh(0.3 * -0.4 + 0.3))
    assert jvp(f, (0.3, -0.4), (1.0, 0.0))[1] == pytest.approx(da, rel=1e-14)
    assert jvp(f, (0.3, -0.4), (0.0, 1.0))[1] == pytest.approx(db, rel=1e-14)


def test_declaring_registers_nothing_and_cannot_replace_a_built_in() -> None:
    before = dict(OPS)
    fake_exp = op(lambda x: 0.0, partials=lambda xs, out: (0.0,), name="exp")
    assert dict(OPS) == before and OPS["exp"] is not fake_exp
    assert Value(0.0).exp().data == 1.0  # the built-in is untouched
    with pytest.raises(TypeError):
        OPS["exp"] = fake_exp  # type: ignore[index]  # OPS is read-only


def test_a_built_in_is_declared_through_op_too() -> None:
    again = op(OPS["mul"].forward, partials=OPS["mul"].partials, name="mul", symbol="×",
               doc=OPS["mul"].doc, operator=True, array_forward=OPS["mul"].array_forward)
    assert again == OPS["mul"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"forward": lambda x: x, "partials": lambda xs, out: (1.0,)}, "give the op a name"),
    ({"forward": lambda *xs: 0.0, "partials": lambda xs, out: (), "name": "v"},
     "fixed number of positional operands"),
    ({"forward": lambda: 0.0, "partials": lambda xs, out: (), "name": "z"}, "takes no operands"),
    ({"forward": 3.0, "partials": lambda xs, out: (1.0,), "name": "n"}, "forward must be"),
    ({"forward": abs, "partials": "d", "name": "n"}, "partials must be callable"),
    ({"forward": lambda x: x, "partials": lambda xs, out: (1.0,), "name": "z", "arity": 0},
     "arity must be a whole number >= 1, got 0"),
    ({"forward": lambda x: x, "partials": lambda xs, out: (1.0,), "name": "z", "arity": "2"},
     "arity must be a whole number >= 1, got '2'"),
    ({"forward": lambda x: x, "partials": lambda xs, out: (1.0,), "name": "z", "arity": 2},
     "forward cannot take 2 operands"),
    ({"forward": math.hypot, "partials": lambda xs, out: (1.0, 1.0), "name": "h"},
     "cannot be read from its signature: give arity="),
    ({"forward": abs, "partials": lambda xs, out: (1.0,), "name": "n", "symbol": 5},
     "symbol must be a printable str, got 5"),
    ({"forward": abs, "partials": lambda xs, out: (1.0,), "name": "a\x1bb"},
     "name must be a non-empty printable str"),
])
def test_bad_declarations_are_type_errors(kwargs: dict, message: str) -> None:
    forward = kwargs.pop("forward")
    with pytest.raises(TypeError, match=message):
        op(forward, **kwargs)


def test_partials_of_the_wrong_length_and_bad_forward_results_are_named() -> None:
    short = op(lambda a, b: a + b, partials=lambda xs, out: (1.0,), name="short")
    for create_graph in (False, True):
        with pytest.raises(ValueError, match=r"^op 'short': partials must return a tuple of 2"):
            short(Value(1.0), Value(2.0)).backward(create_graph=create_graph)
    text = op(lambda x: "1", partials=lambda xs, out: (0.0,), name="text")
    with pytest.raises(TypeError, match="text: forward must return a real number, got str"):
        text(Value(1.0))
    assert op(lambda x: 2, partials=lambda xs, out: (0.0,), name="two")(Value(1.0)).data == 2.0


def test_a_forward_leaving_its_domain_raises_the_engine_errors() -> None:
    my_log = op(math.log, partials=lambda xs, out: (1.0 / xs[0],), name="my_log", arity=1)
    with pytest.raises(DomainError, match=r"my_log: my_log\(-1\) is outside its domain"):
        my_log(Value(-1.0))
    inverse = op(lambda x: 1 / x, partials=lambda xs, out: (-out / xs[0],), name="inverse")
    with pytest.raises(ZeroDivisionError, match="inverse: inverse\\(0\\) divides by zero") as err:
        inverse(Value(0.0))
    assert isinstance(err.value, autograd.EngineError)
    with pytest.raises(OverflowError, match="overflows a float"):
        op(math.exp, partials=lambda xs, out: (out,), name="e")(Value(1000.0))
    with pytest.raises(ValueError, match="invalid literal") as own:  # the user's own bug
        op(lambda x: int("oops"), partials=lambda xs, out: (0.0,), name="bug")(Value(1.0))
    assert not isinstance(own.value, autograd.EngineError)


def test_a_declared_check_runs_before_forward() -> None:
    def positive(x: float) -> None:
        if x <= 0:
            raise DomainError(f"root4: needs x > 0, got {x}")

    root4 = op(lambda x: x ** 0.25, partials=lambda xs, out: (0.25 * out / xs[0],),
               check=positive, name="root4")
    with pytest.raises(DomainError, match="root4: needs x > 0"):
        root4(Value(-16.0))
    assert root4(Value(16.0)).data == 2.0


def test_declared_ops_replay_on_a_tape() -> None:
    w = Value(0.5)
    tape = autograd.trace(lambda x, y: (y - my_tanh(fma(w, x, halt(w)))) ** 2, [1.0, 0.0], [w])
    rows = np.array([[1.0, 0.2], [-2.0, 0.1], [0.5, -0.3]])
    out, g = tape.gradient(rows)
    want_out, want_g = [], 0.0
    for x, y in rows:
        wv = Value(0.5)
        loss = (y - my_tanh(fma(wv, x, halt(wv)))) ** 2
        loss.backward()
        want_out.append(loss.data)
        want_g += wv.grad
    assert out.tolist() == pytest.approx(want_out, rel=1e-13)
    assert g[0] == pytest.approx(want_g, rel=1e-12)


def test_a_declared_op_without_array_forward_cannot_be_replayed() -> None:
    plain = op(lambda x: 2 * x, partials=lambda xs, out: (2.0,), name="plain")
    w = Value(1.0)
    with pytest.raises(TraceError, match="'plain'"):
        autograd.trace(lambda x: plain(w * x), [1.0], [w]).gradient([[1.0], [2.0]])


def test_declared_ops_are_drawn_with_their_symbol_and_stepped() -> None:
    x = Value(0.3, label="x")
    out = fma(my_tanh(x), x, halt(x))
    dot = autograd.to_dot(out).source
    assert "tanh₂" in dot and "fma" in dot and "halt" in dot
    frames = autograd.backward_frames(out)
    out.backward()
    place = autograd.topological_order(out).index(x)
    assert frames[-1].grads[place] == pytest.approx(x.grad, rel=1e-14)
    assert "fma" in autograd.backward_page(out).html


@pytest.mark.parametrize(("partials", "shown"), [
    (lambda xs, out: 2 * xs[0], "got 2"),          # the tuple's comma forgotten
    (lambda xs, out: None, "got None"),
    (lambda xs, out: ("2",), "got ('2',)"),
    (lambda xs, out: (1.0, 1.0), "got (1.0, 1.0)"),
])
def test_partials_of_the_wrong_shape_are_named_on_every_path(partials: object,
                                                             shown: str) -> None:
    bad = op(lambda x: x * x, partials=partials, name="bad")  # type: ignore[arg-type]
    message = r"^op 'bad': partials must return a tuple of 1 derivative .* one per operand; got "
    for create_graph in (False, True):
        with pytest.raises(ValueError, match=message):
            bad(Value(1.0)).backward(create_graph=create_graph)
    with pytest.raises(ValueError, match=message + re.escape(shown[4:])):
        jvp(bad, (1.0,), (1.0,))
    with pytest.raises(ValueError, match=message):
        grad(bad)(1.0)


def test_a_builtin_without_a_signature_takes_the_arity_given() -> None:
    hypot = op(math.hypot, partials=lambda xs, out: (xs[0] / out, xs[1] / out), name="hypot",
               arity=2)
    x, y = Value(3.0), Value(4.0)
    hypot(x, y).backward()
    assert (x.grad, y.grad) == (0.6, 0.8)


def test_a_forward_result_too_large_for_a_float_is_the_engines_overflow() -> None:
    big = op(lambda x: 10**400, partials=lambda xs, out: (0.0,), name="big")
    with pytest.raises(autograd.FloatOverflowError, match=r"big: the result of big\(1\)"):
        big(Value(1.0))


def test_the_tape_runs_a_declared_check_where_the_array_forward_gives_nan() -> None:
    def positive(x: float) -> None:
        if x < 0:
            raise DomainError(f"root: needs x >= 0, got {x}")

    root = op(math.sqrt, partials=lambda xs, out: (0.5 / out,), check=positive, name="root",
              array_forward=lambda x: np.where(x >= 0, np.sqrt(np.abs(x)), np.nan))
    w = Value(1.0)
    tape = autograd.trace(lambda x: root(w * x), [1.0], [w])
    with pytest.raises(DomainError, match=r"root: needs x >= 0, got -2.0 \(example 1"):
        tape.gradient([[4.0], [-2.0]])
