"""Traced replay against the scalar engine: random graphs, every op, the ESL net, the limits."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tape_helpers import BINARY, UNARY, Scaled, assert_same, every_op, scalar_batch

import autograd.transaction
from autograd import OPS, TraceError, Value, no_grad, op, topological_order, trace
from nn import backprop

COMMIT_FILE = str(Path(autograd.transaction.__file__))


def random_program(seed: int, n_ops: int) -> Callable[..., Value]:
    """A random graph over (x0, x1, x2) and the parameters, the same for every call."""
    rng = random.Random(seed)
    steps = []
    for _ in range(n_ops):
        if rng.random() < 0.5:
            steps.append((rng.choice(sorted(UNARY)), rng.randrange(1 << 30), None))
        else:
            steps.append((rng.choice(sorted(BINARY)), rng.randrange(1 << 30),
                          rng.randrange(1 << 30)))

    def fn(*xs: Value, params: list[Value]) -> Value:
        pool = [*xs, *params]
        for name, i, j in steps:
            a = pool[len(pool) - 1 - i % min(len(pool), 6)]  # mostly recent nodes
            if j is None:
                pool.append(UNARY[name](a))
            else:
                pool.append(BINARY[name](a, pool[j % len(pool)]))
        return pool[-1] + pool[-2] * 0.5 + pool[-3].tanh()

    return fn


def test_the_random_programs_use_every_op() -> None:
    """A guard: an op added to the table must get a builder here, so random graphs use it."""
    used = {UNARY[name](Value(0.3)).op.name for name in UNARY}
    used |= {BINARY[name](Value(0.3), Value(0.7)).op.name for name in BINARY}
    assert used == set(OPS)


@given(seed=st.integers(0, 10**6), n_ops=st.integers(3, 25), n=st.integers(1, 12))
def test_random_graphs_match_the_scalar_engine(seed: int, n_ops: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    params = [Value(w) for w in rng.uniform(-1.0, 1.0, 3)]
    program = random_program(seed, n_ops)

    def fn(*xs: Value) -> Value:
        return program(*xs, params=params)

    batch = rng.normal(size=(n, 3))
    batch[0, 0] = 0.0  # a relu/abs kink in one example
    tape = trace(fn, inputs=batch[-1].tolist(), params=params)
    out, grads = tape.gradient(batch)
    want_out, want_grads, scale = scalar_batch(fn, batch, params)
    assert_same(out, want_out)
    assert_same(grads, want_grads, scale)
    assert_same(tape.forward(batch), want_out)


def test_one_graph_with_every_op_matches_and_covers_the_table() -> None:
    w = Value(0.3)
    batch = np.random.default_rng(1).normal(size=(50, 2))
    tape = trace(lambda x, y: every_op(x, y, w), inputs=[0.2, -0.4], params=[w])
    assert {n.op.name for n in tape.nodes if n.op} == set(OPS)
    out, grads = tape.gradient(batch)
    want_out, want_grads, scale = scalar_batch(lambda x, y: every_op(x, y, w), batch, [w])
    assert_same(out, want_out)
    assert_same(grads, want_grads, scale)


def test_relu_and_abs_take_each_examples_own_branch() -> None:
    w = Value(1.5)
    tape = trace(lambda x: (w * x).relu() + abs(x - w), inputs=[2.0], params=[w])  # x > 0
    batch = np.array([[-2.0], [0.0], [1.5], [3.0]])  # branches the traced example never took
    out, grads = tape.gradient(batch)
    assert out.tolist() == [3.5, 1.5, 2.25, 6.0]
    # d/dw: relu' x = [0, 0, 1.5, 3]; d|x - w|/dw = -sign(x - w) = [1, 1, 0, -1]
    assert grads.tolist() == [0 + 0 + 1.5 + 3.0 + 1 + 1 + 0 - 1]


def esl_problem(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, 2))
    y = np.column_stack([backprop.sigmoid(x @ [3.0, 3.0]) + backprop.sigmoid(x @ [3.0, -3.0])
                         + 0.3 * rng.standard_normal(n), rng.standard_normal(n)])
    return x, y, rng.uniform(-0.7, 0.7, (4, 3)), rng.uniform(-0.7, 0.7, (2, 5))


def esl_loss(alpha: list[list[Value]], beta: list[list[Value]], *xy: Value) -> Value:
    """R_i = Σ_k (y_k − f_k)², identity output, written from ESL eq. 11.5."""
    x, y = xy[:2], xy[2:]
    z = [(row[0] + row[1] * x[0] + row[2] * x[1]).sigmoid() for row in alpha]
    risk = 0.0
    for row, yk in zip(beta, y, strict=True):
        t = row[0]
        for b, zm in zip(row[1:], z, strict=True):
            t = t + b * zm
        risk = risk + (yk - t) ** 2
    return risk


def test_esl_net_matches_the_scalar_engine_and_the_closed_form() -> None:
    x, y, alpha0, beta0 = esl_problem(200)
    alpha = [[Value(w) for w in row] for row in alpha0]
    beta = [[Value(w) for w in row] for row in beta0]
    params = [w for row in alpha + beta for w in row]
    batch = np.column_stack([x, y])

    def fn(*xy: Value) -> Value:
        return esl_loss(alpha, beta, *xy)

    tape = trace(fn, inputs=batch[0].tolist(), params=params)
    out, grads = tape.gradient(batch)
    want_out, want_grads, scale = scalar_batch(fn, batch, params)
    assert_same(out, want_out)
    assert_same(grads, want_grads, scale)
    ga, gb = backprop.gradients(alpha0, beta0, x, y)
    np.testing.assert_allclose(grads, np.concatenate([ga.ravel(), gb.ravel()]),
                               rtol=1e-10, atol=1e-12)


def test_backward_accumulates_like_per_example_backward_and_reads_params_afresh() -> None:
    w = Value(0.5)
    tape = trace(lambda x, y: (y - w * x) ** 2, inputs=[1.0, 2.0], params=[w])
    batch = np.array([[1.0, 2.0], [2.0, 0.0]])
    tape.backward(batch)
    tape.backward(batch)
    assert w.grad == 2.0  # 2 × (-3 + 4)
    w.data = 1.0  # a training step: the tape uses the new value
    out, grads = tape.gradient(batch)
    assert out.tolist() == [1.0, 4.0] and grads.tolist() == [-2.0 + 8.0]


def test_unused_parameter_and_input_free_output() -> None:
    w, unused = Value(2.0), Value(1.0)
    tape = trace(lambda x: w * w, inputs=[0.0], params=[w, unused])
    out, grads = tape.gradient(np.zeros((3, 1)))
    assert out.tolist() == [4.0, 4.0, 4.0] and grads.tolist() == [12.0, 0.0]


def test_data_dependent_control_flow_is_refused() -> None:
    with pytest.raises(TraceError, match="used > on a Value"):
        trace(lambda x: x * 2.0 if x > 0 else -x, inputs=[1.0], params=[])
    with pytest.raises(TypeError):  # float() of a Value is refused everywhere
        trace(lambda x: Value(float(x) ** 2), inputs=[1.0], params=[])
    with pytest.raises(TypeError, match="truth value"):
        trace(lambda x: x or Value(1.0), inputs=[1.0], params=[])
    assert Value(2.0) > 1.0  # comparisons restored after tracing


def test_a_forgotten_parameter_subclass_is_refused() -> None:
    class Param(Value):
        __slots__ = ()

    w = Param(1.0, label="w")
    with pytest.raises(TraceError, match="Param 'w' that is not in params"):
        trace(lambda x: w * x, inputs=[1.0], params=[])
    assert trace(lambda x: w * x, inputs=[1.0], params=[w]).params == [w]


def test_domain_errors_name_the_op_and_the_example() -> None:
    tape = trace(lambda x: x.log(), inputs=[1.0], params=[])
    with pytest.raises(ValueError, match=r"log: log\(-1\) is undefined .*example 2"):
        tape.forward([[1.0], [2.0], [-1.0]])
    w = Value(2.0)
    tape = trace(lambda x: (w * x) ** 0.5, inputs=[1.0], params=[w])
    with pytest.raises(ZeroDivisionError, match=r"x \*\* 0.5 is infinite at x = 0 .*example 1"):
        tape.gradient([[1.0], [0.0]])
    # Only the paths to the parameters are differentiated: √x's slope at 0 in x alone is
    # never computed, so it is no error.
    assert trace(lambda x: x**0.5, inputs=[1.0], params=[]).gradient([[0.0]])[0].tolist() == [0.0]
    tape = trace(lambda x: x**w, inputs=[1.0], params=[w])
    with pytest.raises(ValueError, match=r"pow: a Value exponent needs a positive base.*example 0"):
        tape.forward([[-1.0]])
    tape = trace(lambda x: 1.0 / x, inputs=[1.0], params=[])
    with pytest.raises(ZeroDivisionError, match="truediv: division by zero"):
        tape.forward([[0.0]])
    tape = trace(lambda x: x.exp(), inputs=[1.0], params=[])
    with pytest.raises(OverflowError, match="exp: exp"):
        tape.forward([[1000.0]])


def test_bad_batches_are_refused() -> None:
    tape = trace(lambda x, y: x * y, inputs=[1.0, 2.0], params=[])
    with pytest.raises(ValueError, match=r"N × 2"):
        tape.forward([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        tape.forward([[1.0, np.nan]])
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 1.0, inputs=[1.0], params=[])


def test_tape_records_the_scalar_graph() -> None:
    w = Value(0.5)
    tape = trace(lambda x: (w * x).tanh(), inputs=[1.0], params=[w])
    assert len(tape.nodes) == len(topological_order(tape.nodes[-1])) == 4
    assert repr(tape) == "Tape(4 nodes, 1 inputs, 1 params)"


@pytest.mark.parametrize("bad", ["computed", 1.0])
def test_params_must_be_leaf_values(bad: str | float) -> None:
    a = Value(1.5)
    w = a * 2.0
    param = w if bad == "computed" else bad
    with pytest.raises(TraceError, match="params must be leaf Values"):
        trace(lambda x: w * x, inputs=[1.0], params=[param])  # type: ignore[list-item]


def test_a_parameter_listed_twice_is_refused() -> None:
    w = Value(2.0)
    with pytest.raises(TraceError, match="more than once"):
        trace(lambda x: w * x, inputs=[1.0], params=[w, w])


def test_a_failing_batch_changes_no_gradient() -> None:
    w = Value(2.0)
    w.grad = 5.0
    tape = trace(lambda x: (w * x).log(), inputs=[1.0], params=[w])
    with pytest.raises(ValueError, match="example 1"):
        tape.backward([[1.0], [-1.0]])
    assert w.grad == 5.0


def test_tracing_in_one_thread_leaves_comparisons_in_another_alone() -> None:
    """The tracing mode is per thread: no class is patched while a trace runs."""
    inside, release = threading.Event(), threading.Event()

    def slow(x: Value) -> Value:
        inside.set()
        release.wait(10)
        return x * 2.0

    worker = threading.Thread(target=trace, args=(slow,), kwargs={"inputs": [1.0], "params": []})
    worker.start()
    assert inside.wait(10)
    try:
        assert Value(1.0) < 2.0  # the other thread is tracing: comparisons still work here
    finally:
        release.set()
        worker.join(10)


# ---------------------------------------------------------------- the scalar road's promises
def test_trace_ignores_an_enclosing_no_grad() -> None:
    w = Value(0.5)
    outside = trace(lambda x, y: (y - w * x) ** 2, inputs=[1.0, 2.0], params=[w])
    with no_grad():
        tape = trace(lambda x, y: (y - w * x) ** 2, inputs=[1.0, 2.0], params=[w])
        out, grads = tape.gradient([[1.0, 2.0], [2.0, 0.0]])
    assert len(tape.nodes) == len(outside.nodes) == 7  # x, y, w, the exponent 2 and 3 ops
    assert out.tolist() == [2.25, 1.0] and grads.tolist() == [1.0]


def test_threads_add_up_exactly() -> None:
    """4 threads × 10,000 backward passes into one parameter give exactly 40,000."""
    w = Value(1.0)
    tape = trace(lambda x: w * x, inputs=[1.0], params=[w])

    def work() -> None:
        for _ in range(10_000):
            tape.backward([[1.0]])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.grad == 40_000.0


def test_a_backward_that_would_overflow_a_grad_changes_nothing() -> None:
    w, v = Value(1.0), Value(1.0)
    w.grad, v.grad = 1.7e308, 3.0
    tape = trace(lambda x: w * x + v, [1.0], [v, w])
    with pytest.raises(OverflowError, match="would overflow"):
        tape.backward([[1e308]])
    assert (w.grad, v.grad) == (1.7e308, 3.0)
    with pytest.raises(OverflowError, match="would overflow"):
        trace(lambda x: w * x, [1.0], [w]).backward([[1e308]])
    assert w.grad == 1.7e308


def test_detach_replays_each_examples_value_and_stops_the_gradient() -> None:
    m = Scaled()
    x = [[1.0], [2.0], [3.0]]
    assert trace(lambda x: m([x]), [1.0], [m.w]).forward(x).tolist() == [2.0, 4.0, 6.0]
    u = Value(1.5)
    tape = trace(lambda x: (m.w * (u * x).detach()), inputs=[1.0], params=[m.w, u])
    out, grads = tape.gradient(x)
    assert out.tolist() == [3.0, 6.0, 9.0]
    assert grads.tolist() == [1.5 * 6.0, 0.0]  # through w only: Σ u x_i; none reaches u


def test_reading_a_value_while_tracing_is_refused() -> None:
    with pytest.raises(TraceError, match="item"):
        trace(lambda x: x * 2.0 if x.item() > 0 else -x, inputs=[1.0], params=[])


def test_an_op_without_array_forward_is_refused_when_traced() -> None:
    cube = op(lambda x: x**3, partials=lambda xs, out: (3.0 * xs[0] ** 2,), name="cube")
    w = Value(2.0)
    with pytest.raises(TraceError, match="'cube' has no array_forward"):
        trace(lambda x: cube(w * x), inputs=[1.0], params=[w])
    assert trace(lambda x: w * cube(w), inputs=[1.0], params=[w]).gradient([[1.0]])[1][0] == 32.0


def test_a_declared_op_with_three_operands_and_a_none_partial_replays() -> None:
    fma = op(lambda a, b, c: a * b + c, partials=lambda xs, out: (xs[1], xs[0], None),
             array_forward=lambda a, b, c: a * b + c, name="fma")
    w, c = Value(2.0), Value(1.0)
    tape = trace(lambda x: fma(w, x, c), inputs=[1.0], params=[w, c])
    out, grads = tape.gradient([[1.0], [3.0]])
    assert out.tolist() == [3.0, 7.0] and grads.tolist() == [4.0, 0.0]


def test_an_interrupt_anywhere_in_backward_changes_all_grads_or_none() -> None:
    """A KeyboardInterrupt raised at many points of ``tape.backward`` (through a trace
    function): every parameter's ``.grad`` is then as before, or every one is updated.

    The points are the lines run outside ``autograd/transaction.py``, whose commit is tested
    with the engine's own backward pass: here, the tape's compute, check and call to commit."""
    w, b = Value(0.5), Value(-1.0)
    tape = trace(lambda x: (w * x + b).tanh(), [1.0], [w, b])
    batch = [[0.5], [1.5], [-2.0]]
    start = (1.0, 2.0)
    w.grad, b.grad = start
    tape.backward(batch)
    done = (w.grad, b.grad)
    events = 0

    def count(frame: FrameType, event: str, arg: object) -> object:
        nonlocal events
        if frame.f_code.co_filename.endswith(COMMIT_FILE):
            return None
        events += 1
        return count

    sys.settrace(count)
    try:
        tape.backward(batch)
    finally:
        sys.settrace(None)
    outcomes = set()
    for k in range(0, events, max(1, events // 300)):
        w.grad, b.grad = start
        seen = 0

        def interrupt(frame: FrameType, event: str, arg: object, k: int = k) -> object:
            nonlocal seen
            if frame.f_code.co_filename.endswith(COMMIT_FILE):
                return None
            seen += 1
            if seen == k:
                raise KeyboardInterrupt
            return interrupt

        sys.settrace(interrupt)
        try:
            tape.backward(batch)
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        assert (w.grad, b.grad) in (start, done), k
        outcomes.add((w.grad, b.grad))
    assert outcomes == {start, done}
    w.grad, b.grad = start
    tape.backward(batch)  # and the tape still works
    assert (w.grad, b.grad) == done


def test_an_overflow_only_of_a_float32_batch_names_its_dtype() -> None:
    w = Value(1.0)
    tape = trace(lambda x: (w * x).exp(), [1.0], [w])
    with pytest.raises(OverflowError, match=r"exp: the result overflows the batch's float32 "
                                            r"\(a float64 batch would hold it\) \(example 1"):
        tape.gradient(np.array([[1.0], [200.0]], dtype=np.float32))
