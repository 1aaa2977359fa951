"""Topological order and the backward pass: reuse, diamonds, accumulation, depth, higher orders."""

from __future__ import annotations

import math
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    OPS,
    Op,
    Value,
    graph,
    no_grad,
    numerical_grad,
    op,
    topological_order,
    transaction,
)
from autograd.graph import chain_rule_step, gradients
from autograd.transaction import accumulate, restoring_grads


def test_issue_example_tanh_neuron() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    y = (w * x + b).tanh()
    y.backward()
    d = 1 - math.tanh(-3.0 * 2.0 + 6.88) ** 2
    assert x.grad == pytest.approx(d * -3.0, rel=1e-15)
    assert w.grad == pytest.approx(d * 2.0, rel=1e-15)
    assert b.grad == pytest.approx(d, rel=1e-15)


def test_reused_nodes_add_up() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a.grad = 0.0
    (a * a).backward()
    assert a.grad == 6.0
    a.grad = 0.0
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_diamond() -> None:
    x = Value(0.5)
    u, v = x.exp(), x * x
    (u * v).backward()  # d/dx e^x x² = e^x (x² + 2x)
    assert x.grad == pytest.approx(math.exp(0.5) * (0.25 + 1.0), rel=1e-14)


def test_topological_order_puts_parents_first_and_root_last() -> None:
    x, y = Value(1.0, "x"), Value(2.0, "y")
    z = (x * y + x).tanh()
    order = topological_order(z)
    assert order[-1] is z and len(order) == len({id(n) for n in order}) == 5
    place = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(place[id(p)] < place[id(node)] for p in node.parents)


def test_topological_order_is_deterministic() -> None:
    def build() -> Value:
        a, b = Value(1.0, "a"), Value(2.0, "b")
        return ((a * b).exp() + a / b - b.tanh()) * a

    labels = [[(n.label, n.op.name if n.op else None, n.data) for n in topological_order(build())]
              for _ in range(3)]
    assert labels[0] == labels[1] == labels[2]


def test_backward_twice_leaves_accumulate_interior_fresh() -> None:
    x, w = Value(2.0), Value(-3.0)
    t = w * x
    y = t.tanh()
    y.backward()
    first = (x.grad, w.grad, t.grad)
    y.backward()
    assert x.grad == 2 * first[0] and w.grad == 2 * first[1]
    assert t.grad == first[2] and y.grad == 1.0


def test_summed_per_example_backward_is_the_batch_gradient() -> None:
    w = Value(0.3)
    data = [(1.0, 2.0), (-0.5, 0.1), (2.0, 1.0)]
    for x, y in data:
        ((y - w * x) ** 2).backward()
    assert w.grad == pytest.approx(sum(-2 * (y - 0.3 * x) * x for x, y in data), rel=1e-14)


def test_backward_on_a_leaf() -> None:
    x = Value(1.0)
    x.backward()
    assert x.grad == 1.0


def test_million_node_chain_forward_backward_and_free() -> None:
    x = Value(1.0)
    y = x
    for _ in range(10**6):
        y = y * 1.0000001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0000001**10**6, rel=1e-9)
    del y  # freeing a deep graph must not overflow the C stack


def test_million_term_sum() -> None:
    xs = [Value(float(i % 7)) for i in range(10**6)]
    total = Value(0.0)
    for x in xs:
        total = total + x * x
    total.backward()
    assert xs[5].grad == 10.0 and xs[6].grad == 12.0


def test_third_derivative_of_cube_is_six() -> None:
    x = Value(1.7)
    (x**3).backward(create_graph=True)
    g1, x.grad = x.grad, 0.0
    g1.backward(create_graph=True)
    g2, x.grad = x.grad, 0.0
    g2.backward()
    assert g1.data == pytest.approx(3 * 1.7**2, rel=1e-14)
    assert g2.data == pytest.approx(6 * 1.7, rel=1e-14)
    assert x.grad == pytest.approx(6.0, rel=1e-14)


@given(a=st.floats(-2, 2), b=st.floats(0.2, 3))
def test_hessian_vector_product_of_a_composite(a: float, b: float) -> None:
    """H v by differentiating v·∇f, checked against differences of the autodiff gradient."""

    def f(x: Value, y: Value) -> Value:
        return (x * y).tanh() * y.log() + x.sigmoid() / y

    x, y = Value(a), Value(b)
    f(x, y).backward(create_graph=True)
    gx, gy = x.grad, y.grad
    x.grad = y.grad = 0.0
    (gx * 1.0 + gy * -0.5).backward()
    hv = [x.grad, y.grad]

    def directional(xv: Value, yv: Value) -> Value:
        xl, yl = Value(xv.data), Value(yv.data)
        f(xl, yl).backward()
        return Value(xl.grad * 1.0 + yl.grad * -0.5)

    numeric = numerical_grad(directional, [a, b])
    for got, want in zip(hv, numeric, strict=True):
        assert got == pytest.approx(want, rel=1e-6, abs=1e-7)


def test_plain_backward_after_create_graph_makes_no_new_graph() -> None:
    x = Value(2.0)
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value)
    (x * x).backward()
    assert isinstance(x.grad, Value) and x.grad.data == 8.0 and x.grad.parents == ()


@pytest.mark.parametrize("f, op", [(lambda x: 1 / x, "truediv"),  # -1/x² = -inf
                                   (lambda x: 1 / x - 1 / x, "truediv"),  # inf - inf = nan
                                   (lambda x: (1 / x) * 0.0, "truediv")])  # 0 · inf = nan
def test_an_overflowing_gradient_is_an_error_naming_the_op(f: object, op: str) -> None:
    x = Value(1e-200, label="x")
    y = f(x)  # type: ignore[operator]
    with pytest.raises(OverflowError, match=f"backward: {op} at .* passed back a gradient of"):
        y.backward()


def test_derivative_overflow_of_a_power_names_the_op() -> None:
    with pytest.raises(OverflowError, match=r"pow: the derivative of x \*\* -1 overflows"):
        (Value(1e-200) ** -1).backward()


def test_create_graph_inside_no_grad_is_refused() -> None:
    x = Value(2.0)
    y = x * x
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        y.backward(create_graph=True)


def _grads(nodes: list[Value]) -> list[object]:
    return [n.grad for n in nodes]


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_failing_backward_changes_no_grad_anywhere(create_graph: bool) -> None:
    """The issue's example: the error used to come after a.grad had become 13."""
    a, b = Value(10.0, label="a"), Value(0.0, label="b")
    a.grad = b.grad = 10.0
    loss = b**0.5 + a * 3.0
    nodes = topological_order(loss)
    for n in nodes:
        if n.parents:
            n.grad = 7.0  # stale interior grads from an earlier pass must survive too
    before = _grads(nodes)
    with pytest.raises(ZeroDivisionError, match="infinite at x = 0"):
        loss.backward(create_graph=create_graph)
    assert _grads(nodes) == before


def test_an_overflowing_backward_stores_no_inf() -> None:
    x = Value(1e-200, label="x")
    y = 1 / x
    with pytest.raises(OverflowError):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


def test_an_accumulated_leaf_grad_that_would_overflow_is_refused() -> None:
    x = Value(1.0)
    x.grad = 1.7e308
    with pytest.raises(OverflowError, match="accumulated gradient"):
        (x * 1e308).backward()
    assert x.grad == 1.7e308


def test_gradients_compute_without_touching_any_node() -> None:
    x = Value(3.0)
    x.grad = 1.0
    y = x * x
    table = gradients(y)
    assert table[x] == 6.0 and table[y] == 1.0
    assert x.grad == 1.0 and y.grad == 0.0


def test_chain_rule_step_gives_partial_and_contribution_or_none() -> None:
    mul, powc = OPS["mul"], OPS["powc"]
    assert chain_rule_step(mul, (2.0, 5.0), 10.0, 3.0) == [(5.0, 15.0), (2.0, 6.0)]
    assert chain_rule_step(powc, (2.0, 3.0), 8.0, 0.5) == [(12.0, 6.0), None]


def test_threads_back_propagating_into_shared_parameters_add_up_exactly() -> None:
    w = Value(0.5)
    errors: list[BaseException] = []

    def work(x: float) -> None:
        try:
            for _ in range(2000):
                (w * x).backward()
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(x,)) for x in (1.0, 2.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and w.grad == 2000 * (1.0 + 2.0 + 3.0)


# --- one walk: the float pass is the chain_rule_step, unrolled --------------------------------
_stop = op(lambda x: x, partials=lambda xs, out: (None,), name="stop")
_fma = op(lambda a, b, c: a * b + c, partials=lambda xs, out: (xs[1], xs[0], None),
          name="fma_no_c")
_ALL_OPS = [*OPS.values(), _stop, _fma]


def _by_step(root: Value) -> dict[Value, float]:
    """∂root/∂node by applying chain_rule_step node by node (the reference walk)."""
    order = topological_order(root)
    grads = dict.fromkeys(order, 0.0)
    grads[root] = 1.0
    for node in reversed(order):
        if node.parents:
            flows = chain_rule_step(node.op, [p.data for p in node.parents], node.data,
                                    grads[node])
            for p, flow in zip(node.parents, flows, strict=True):
                if flow is not None:
                    grads[p] += flow[1]
    return grads


@pytest.mark.parametrize("row", _ALL_OPS, ids=[o.name for o in _ALL_OPS])
def test_the_float_pass_and_the_create_graph_pass_are_the_one_step(row: Op) -> None:
    """For every op (None partials included), the unrolled float pass, the create_graph pass
    and a walk of chain_rule_step give the very same numbers."""
    leaves = [Value(0.7 + 0.6 * k) for k in range(row.arity)]
    root = row(*leaves) * 1.7 + leaves[0]
    want = _by_step(root)
    root.backward()
    assert [n.grad for n in want] == list(want.values())
    for n in want:
        n.grad = 0.0
    root.backward(create_graph=True)
    assert [n.grad.data if isinstance(n.grad, Value) else n.grad for n in want] == \
        list(want.values())


def test_backward_seeded_with_a_gradient() -> None:
    x = Value(3.0)
    y = x * x
    y.backward(gradient=0.5)
    assert (x.grad, y.grad) == (3.0, 0.5)
    x.grad = 0.0
    y.backward(-2.0, create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == -12.0
    with pytest.raises(TypeError, match="real number, got str"):
        y.backward(gradient="1")
    with pytest.raises(ValueError, match="finite"):
        y.backward(gradient=math.inf)


def test_a_pass_started_inside_another_is_refused() -> None:
    inner = Value(1.0)
    nested = op(lambda x: x, partials=lambda xs, out: (inner.backward() or 1.0,), name="nested")
    x = Value(2.0)
    x.grad = 0.5
    with pytest.raises(RuntimeError, match="inside another"):
        nested(x).backward()
    assert x.grad == 0.5 and inner.grad == 0.0
    x.backward()  # the lock was released
    assert x.grad == 1.5


def test_restoring_grads_puts_back_what_any_pass_committed() -> None:
    w = Value(1.0)
    w.grad = 0.25
    with restoring_grads():
        (w * 3).backward()
        (w * 4).backward()
        assert w.grad == 7.25
    assert w.grad == 0.25


# --- interrupts: a commit is all or nothing --------------------------------------------------
def _interrupt_at_line(k: int, action: Callable[[], None]) -> bool:
    """Run action, raising KeyboardInterrupt at the k-th line executed in autograd/graph.py.

    Every line of the pass (autograd/graph.py and autograd/transaction.py) is a candidate
    except those of ``in_pass``, which takes the lock
    with a ``with`` statement: a tracer can raise at the line event of a ``with`` statement's
    own exit, before ``__exit__`` runs, where no signal handler can run.

    Returns whether the interrupt was raised (False once k is past the pass's last line).
    """
    seen = [0]

    def tracer(frame: FrameType, event: str, arg: object) -> Callable[..., object] | None:
        if frame.f_code.co_filename not in (graph.__file__, transaction.__file__) or \
                frame.f_code.co_name == "in_pass":
            return None
        if event == "line":
            seen[0] += 1
            if seen[0] == k:
                raise KeyboardInterrupt
        return tracer

    sys.settrace(tracer)
    try:
        action()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def _grads_of(nodes: list[Value]) -> list[float]:
    return [float(getattr(n.grad, "data", n.grad)) for n in nodes]


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_interrupt_at_any_line_of_a_pass_changes_all_or_nothing(create_graph: bool) -> None:
    """A KeyboardInterrupt raised at every line the pass runs, one run each: afterwards the
    grads are either all as before or all as after a whole pass, never a mixture."""
    xs = [Value(float(k)) for k in range(1, 7)]
    root = sum((x * x for x in xs), Value(0.0))
    nodes = topological_order(root)

    def reset() -> None:
        for n in nodes:
            n.grad = 0.5 if n in xs else 7.0

    reset()
    before = _grads_of(nodes)
    root.backward(create_graph=create_graph)
    after = _grads_of(nodes)
    assert after != before
    outcomes = []
    for k in range(1, 10_000):
        reset()
        if not _interrupt_at_line(k, lambda: root.backward(create_graph=create_graph)):
            break
        now = _grads_of(nodes)
        assert now in (before, after), f"interrupted at line {k}: a mixture"
        outcomes.append(now == after)
    assert len(outcomes) > 50 and not all(outcomes) and outcomes[0] is False
    assert _grads_of(nodes) == after  # the last run, uninterrupted, committed


def test_an_interrupt_at_any_line_of_accumulate_changes_all_or_nothing() -> None:
    leaves = [Value(1.0) for _ in range(5)]
    tried = 0
    for k in range(1, 1_000):
        for leaf in leaves:
            leaf.grad = 0.0
        if not _interrupt_at_line(k, lambda: accumulate(leaves, [1.0] * 5)):
            break
        tried += 1
        assert [leaf.grad for leaf in leaves] in ([0.0] * 5, [1.0] * 5)
    assert tried > 5 and [leaf.grad for leaf in leaves] == [1.0] * 5


def test_signals_landing_anywhere_in_a_large_pass_change_all_or_nothing() -> None:
    """SIGALRM raises KeyboardInterrupt at varied moments of a 200,000-leaf backward."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        pytest.skip("needs POSIX interval timers in the main thread")
    leaves = [Value(1.0) for _ in range(200_000)]
    root = leaves[0]
    for leaf in leaves[1:]:
        root = root + leaf

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    outcomes = set()
    try:
        for delay in [0.001 * 1.7 ** k for k in range(12)]:
            signal.setitimer(signal.ITIMER_REAL, delay)
            try:
                root.backward()
            except KeyboardInterrupt:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            first, last = leaves[0].grad, leaves[-1].grad
            assert {leaf.grad for leaf in leaves} == {first} and first == last
            outcomes.add(first)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert all(float(g).is_integer() for g in outcomes)


def test_gradcheck_inside_an_ops_partials_is_refused_not_a_deadlock() -> None:
    from autograd import gradcheck

    def partials(xs: tuple, out: float) -> tuple:
        gradcheck(lambda t: t * t, [xs[0]])
        return (2 * xs[0],)

    x = Value(1.0)
    with pytest.raises(RuntimeError, match="inside another"):
        op(lambda v: v * v, partials=partials, name="sq")(x).backward()
    assert x.grad == 0.0
    (x * x).backward()  # the lock was released
    assert x.grad == 2.0


def test_restoring_grads_keeps_what_other_threads_add_meanwhile() -> None:
    w = Value(1.0)
    inside, outside = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(10)
        (w * 2.0).backward()  # adds 2 while the block below is open
        outside.set()

    t = threading.Thread(target=other)
    t.start()
    with restoring_grads():
        (w * 5.0).backward()
        inside.set()
        outside.wait(10)
        assert w.grad == 7.0
    t.join(10)
    assert w.grad == 2.0  # the block's own 5 taken back, the other thread's 2 kept
