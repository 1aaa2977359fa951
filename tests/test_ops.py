"""Every op in the table against its known closed form and against finite differences.

``SPECS`` restates each op's derivatives independently of ``autograd/ops.py``: the
first and second derivatives as a mathematician would write them. The tests check
the table's rules (through ``backward``) against these, for inputs drawn by
hypothesis inside each op's domain, and against central differences.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OPS, Op, Value, gradcheck, numerical_grad


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class Spec:
    """An op's function on Values, its domain, and its closed-form derivatives."""

    f: Callable[..., Value]
    domain: list[st.SearchStrategy[float]]
    grad: Callable[..., list[float]]
    hess: Callable[..., list[list[float]]]


def real(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


MID = real(-5, 5)
POS = real(0.1, 5)
AWAY_FROM_0 = st.one_of(real(-5, -0.01), real(0.01, 5))
ZERO2 = [[0.0, 0.0], [0.0, 0.0]]

SPECS: dict[str, Spec] = {
    "add": Spec(lambda a, b: a + b, [MID, MID], lambda a, b: [1.0, 1.0], lambda a, b: ZERO2),
    "sub": Spec(lambda a, b: a - b, [MID, MID], lambda a, b: [1.0, -1.0], lambda a, b: ZERO2),
    "mul": Spec(lambda a, b: a * b, [MID, MID], lambda a, b: [b, a],
                lambda a, b: [[0.0, 1.0], [1.0, 0.0]]),
    "truediv": Spec(lambda a, b: a / b, [MID, AWAY_FROM_0.filter(lambda b: abs(b) > 0.2)],
                    lambda a, b: [1 / b, -a / b**2],
                    lambda a, b: [[0.0, -1 / b**2], [-1 / b**2, 2 * a / b**3]]),
    "neg": Spec(lambda a: -a, [MID], lambda a: [-1.0], lambda a: [[0.0]]),
    # the exponent is a number here: 2.5 is fixed, other exponents are tested below
    "powc": Spec(lambda a: a**2.5, [POS], lambda a: [2.5 * a**1.5],
                 lambda a: [[2.5 * 1.5 * a**0.5]]),
    "pow": Spec(lambda a, b: a**b, [POS, real(-3, 3)],
                lambda a, b: [b * a ** (b - 1), a**b * math.log(a)],
                lambda a, b: [[b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * math.log(a))],
                              [a ** (b - 1) * (1 + b * math.log(a)), a**b * math.log(a) ** 2]]),
    # a number base: 2 ** b (rpow); the base 0 is tested below
    "rpow": Spec(lambda b: 2.0**b, [real(-3, 3)], lambda b: [2.0**b * math.log(2.0)],
                 lambda b: [[2.0**b * math.log(2.0) ** 2]]),
    "sqrt": Spec(lambda a: a.sqrt(), [POS], lambda a: [0.5 / math.sqrt(a)],
                 lambda a: [[-0.25 * a**-1.5]]),
    "sin": Spec(lambda a: a.sin(), [MID], lambda a: [math.cos(a)], lambda a: [[-math.sin(a)]]),
    "cos": Spec(lambda a: a.cos(), [MID], lambda a: [-math.sin(a)], lambda a: [[-math.cos(a)]]),
    "exp": Spec(lambda a: a.exp(), [MID], lambda a: [math.exp(a)], lambda a: [[math.exp(a)]]),
    "log": Spec(lambda a: a.log(), [POS], lambda a: [1 / a], lambda a: [[-1 / a**2]]),
    "tanh": Spec(lambda a: a.tanh(), [MID], lambda a: [1 - math.tanh(a) ** 2],
                 lambda a: [[-2 * math.tanh(a) * (1 - math.tanh(a) ** 2)]]),
    "sigmoid": Spec(lambda a: a.sigmoid(), [MID], lambda a: [sig(a) * (1 - sig(a))],
                    lambda a: [[sig(a) * (1 - sig(a)) * (1 - 2 * sig(a))]]),
    "relu": Spec(lambda a: a.relu(), [AWAY_FROM_0], lambda a: [1.0 if a > 0 else 0.0],
                 lambda a: [[0.0]]),
    "softplus": Spec(lambda a: a.softplus(), [MID], lambda a: [sig(a)],
                     lambda a: [[sig(a) * (1 - sig(a))]]),
    "abs": Spec(lambda a: abs(a), [AWAY_FROM_0], lambda a: [math.copysign(1.0, a)],
                lambda a: [[0.0]]),
}

NAMES = sorted(SPECS)


def close(a: float, b: float, rel: float = 1e-12, tiny: float = 1e-12) -> bool:
    return abs(a - b) <= tiny + rel * max(abs(a), abs(b))


def autodiff_grad(name: str, xs: list[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    SPECS[name].f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def autodiff_hess(name: str, xs: list[float]) -> list[list[float]]:
    """Row j: the gradient of ∂f/∂x_j, from backward(create_graph=True) then backward()."""
    rows = []
    for j in range(len(xs)):
        leaves = [Value(x) for x in xs]
        SPECS[name].f(*leaves).backward(create_graph=True)
        first = leaves[j].grad
        for leaf in leaves:
            leaf.grad = 0.0
        if isinstance(first, Value):
            first.backward()
        rows.append([float(leaf.grad) for leaf in leaves])
    return rows


def inputs_for(name: str) -> st.SearchStrategy[list[float]]:
    return st.tuples(*SPECS[name].domain).map(list)


def test_every_op_in_the_table_has_a_spec() -> None:
    assert set(SPECS) == set(OPS)


@pytest.mark.parametrize("name", NAMES)
def test_each_spec_builds_its_own_op(name: str) -> None:
    """The Value method or operator of each op makes a node of that op (one row, one method)."""
    leaves = [Value(0.5) for _ in SPECS[name].domain]
    node = SPECS[name].f(*leaves)
    assert node.op is OPS[name]
    assert len(node.parents) == OPS[name].arity


@pytest.mark.parametrize("op", OPS.values(), ids=list(OPS))
def test_a_called_op_is_a_value_method_or_builtin_of_that_name(op: Op) -> None:
    """``call`` is what users write: ``x.exp()`` (or ``exp(x)`` on the command line), ``abs(x)``."""
    if op.call is not None:
        v = Value(0.5)
        method = getattr(v, op.call, None)
        node = method() if method is not None else getattr(builtins, op.call)(v)
        assert node.op is op


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_array_forward_and_partials_agree_with_floats(name: str, data: st.DataObject) -> None:
    """The tape's side of each row: the same function and partials on numpy arrays."""
    np = pytest.importorskip("numpy")
    rows = [data.draw(inputs_for(name)) for _ in range(4)]
    leaves = [Value(x) for x in rows[0]]
    op = SPECS[name].f(*leaves).op
    full = [[r[j] for r in rows] for j in range(len(rows[0]))]
    cols: list = [np.array(c) for c in full]
    if op.arity == 2 and len(full) == 1:  # a number operand (powc's c, rpow's base): a float
        c = next(p.data for p in SPECS[name].f(*leaves).parents if p not in leaves)
        full, cols = ([[c] * 4, full[0]], [c, cols[0]]) if name == "rpow" else \
            ([full[0], [c] * 4], [cols[0], c])
    out = op.array_forward(*cols)
    floats = [op.forward(*xs) for xs in zip(*full, strict=True)]
    assert np.allclose(out, floats, rtol=1e-13, atol=0.0)
    for k, d in enumerate(op.partials(cols, out)):
        want = [op.partials(xs, f)[k] for xs, f in zip(zip(*full, strict=True), floats,
                                                      strict=True)]
        if d is None:
            assert all(w is None for w in want)
        else:
            assert np.allclose(np.broadcast_to(d, (4,)), want, rtol=1e-13, atol=1e-300)


def test_every_op_states_f_and_its_derivative() -> None:
    for op in OPS.values():
        assert op.doc.startswith("f = ") and ("'" in op.doc or "∂f/∂" in op.doc), op.name


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_matches_python(name: str, data: st.DataObject) -> None:
    xs = data.draw(inputs_for(name))
    expected = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                "truediv": lambda a, b: a / b, "neg": lambda a: -a, "powc": lambda a: a**2.5,
                "pow": lambda a, b: a**b, "rpow": lambda b: 2.0**b, "sqrt": math.sqrt,
                "sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log,
                "tanh": math.tanh,
                "sigmoid": sig, "relu": lambda a: max(a, 0.0),
                "softplus": lambda a: math.log(1 + math.exp(a)), "abs": abs}[name](*xs)
    assert close(SPECS[name].f(*[Value(x) for x in xs]).data, expected, rel=1e-13)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_partials_equal_closed_form(name: str, data: st.DataObject) -> None:
    xs = data.draw(inputs_for(name))
    for got, want in zip(autodiff_grad(name, xs), SPECS[name].grad(*xs), strict=True):
        assert close(got, want), (xs, got, want)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_partials_equal_finite_differences(name: str, data: st.DataObject) -> None:
    xs = data.draw(inputs_for(name))
    gradcheck(SPECS[name].f, xs)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives_equal_closed_form(name: str, data: st.DataObject) -> None:
    xs = data.draw(inputs_for(name))
    for got_row, want_row in zip(autodiff_hess(name, xs), SPECS[name].hess(*xs), strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            assert close(got, want, rel=1e-11), (xs, got, want)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives_equal_differences_of_first(name: str, data: st.DataObject) -> None:
    xs = data.draw(inputs_for(name))
    hess = autodiff_hess(name, xs)
    for j in range(len(xs)):
        # the j-th first derivative as a function of the inputs, built by autodiff
        def first(*vals: Value, j: int = j) -> Value:
            leaves = [Value(v.data) for v in vals]
            SPECS[name].f(*leaves).backward()
            return Value(leaves[j].grad)

        numeric = numerical_grad(first, xs)
        for got, want in zip(hess[j], numeric, strict=True):
            assert close(got, want, rel=1e-6, tiny=1e-7), (xs, j, got, want)


@given(a=real(-4, 4).filter(lambda a: abs(a) > 0.05), c=st.integers(-4, 4))
def test_integer_power_of_any_sign(a: float, c: int) -> None:
    x = Value(a)
    (x**c).backward()
    assert close(x.grad, c * a ** (c - 1))


@given(c=real(-3, 3))
def test_number_exponent_gets_no_gradient_and_any_real_exponent_works(c: float) -> None:
    x = Value(1.7)
    y = x**c
    y.backward()
    assert close(x.grad, c * 1.7 ** (c - 1))
    assert y.parents[1].grad == 0.0  # the constant exponent


def test_reflected_operators() -> None:
    x = Value(3.0)
    for f, value, grad in [(lambda v: 2 - v, -1.0, -1.0), (lambda v: 3 / v, 1.0, -1 / 3),
                           (lambda v: 2**v, 8.0, 8 * math.log(2)), (lambda v: 2 + v, 5.0, 1.0),
                           (lambda v: 2 * v, 6.0, 2.0)]:
        x.grad = 0.0
        y = f(x)
        y.backward()
        assert close(y.data, value) and close(x.grad, grad)


@pytest.mark.parametrize("x, want", [(1000.0, 1.0), (-1000.0, 0.0), (0.0, 0.5)])
def test_sigmoid_is_stable_at_extremes(x: float, want: float) -> None:
    v = Value(x)
    y = v.sigmoid()
    y.backward()
    assert y.data == want and v.grad == pytest.approx(want * (1 - want), abs=0.0)


@pytest.mark.parametrize("x, want, grad", [(1000.0, 1000.0, 1.0), (-1000.0, 0.0, 0.0),
                                           (0.0, math.log(2), 0.5)])
def test_softplus_is_stable_at_extremes(x: float, want: float, grad: float) -> None:
    v = Value(x)
    y = v.softplus()
    y.backward()
    assert close(y.data, want) and close(v.grad, grad)


def test_softplus_keeps_precision_for_very_negative_inputs() -> None:
    assert close(Value(-40.0).softplus().data, math.exp(-40.0))


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_derivative_at_the_kink_is_zero(name: str) -> None:
    x = Value(0.0)
    SPECS[name].f(x).backward()
    assert x.grad == 0.0


def test_square_root_at_zero_has_an_infinite_derivative_and_says_so() -> None:
    x = Value(0.0)
    y = x**0.5
    assert y.data == 0.0
    with pytest.raises(ZeroDivisionError, match=r"pow: the derivative of x \*\* 0.5 is infinite"):
        y.backward()


@pytest.mark.parametrize("x", [-40.0, -30.0, 20.0, 30.0, 38.0, 300.0])
def test_saturated_sigmoid_and_tanh_keep_relative_precision(x: float) -> None:
    """f(1 - f) and 1 - f² cancel to 0 in floats; the table's forms stay exact."""
    v = Value(x)
    v.sigmoid().backward()
    e = math.exp(-abs(x))
    assert close(v.grad, e / (1 + e) ** 2, rel=1e-13)
    v.grad = 0.0
    v.tanh().backward()
    assert close(v.grad, 1 / math.cosh(x) ** 2 if abs(x) < 300 else 4 * math.exp(-2 * abs(x)),
                 rel=1e-13, tiny=0.0)


def test_square_root_op_at_zero_and_below() -> None:
    x = Value(0.0)
    y = x.sqrt()
    assert y.data == 0.0
    with pytest.raises(ZeroDivisionError, match=r"sqrt: the derivative of sqrt\(x\) is infinite"):
        y.backward()
    assert x.grad == 0.0
    with pytest.raises(ValueError, match=r"sqrt: sqrt\(-1\) is not real"):
        Value(-1.0).sqrt()


@pytest.mark.parametrize("create_graph", [False, True])
@given(b=real(0.01, 5))
def test_zero_to_a_value_power_is_zero_with_derivative_zero(create_graph: bool, b: float) -> None:
    y = Value(b)
    z = 0 ** y
    z.backward(create_graph=create_graph)
    assert z.data == 0.0 and float(y.grad.data if create_graph else y.grad) == 0.0


@pytest.mark.parametrize("base", [0, -2.0])
def test_a_number_base_must_be_positive_or_zero_with_a_positive_exponent(base: float) -> None:
    with pytest.raises(ValueError, match="pow: a Value exponent needs a positive base"):
        base ** Value(-1.0 if base == 0 else 0.5)


@pytest.mark.parametrize("c", [2.0**53, 2.0**53 + 2, 2.0**54, 2.0**60, -(2.0**53), -(2.0**54),
                               2.0, 3.0])
def test_huge_even_exponents_keep_the_sign_of_the_derivative(c: float) -> None:
    """c - 1 rounds to an even number beyond 2^53: d(x^c)/dx at x = -1 is still -c."""
    x = Value(-1.0)
    (x**c).backward()
    assert x.grad == c * (-1.0 if c % 2.0 == 0.0 else 1.0)
    x = Value(1.0)
    (x**c).backward()
    assert x.grad == c


@pytest.mark.parametrize("x", [1e308, -1e308, 400.0, 20.0, 0.3])
def test_tanh_derivative_is_the_same_with_and_without_create_graph(x: float) -> None:
    plain, graph = Value(x), Value(x)
    plain.tanh().backward()
    graph.tanh().backward(create_graph=True)
    assert plain.grad == graph.grad.data
