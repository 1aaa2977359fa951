"""The tape on other array libraries: PyTorch, dask and array_api_strict give numpy's numbers.

These paths need the optional extras: ``pip install 'deltagrad[torch]'`` (PyTorch) and
``pip install 'deltagrad[dask]'`` (dask); array_api_strict comes with ``deltagrad[test]``.
Without them, those tests are skipped saying what to install.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from tape_helpers import assert_same, every_op, library, maker, scalar_batch

from autograd import DomainError, Value, trace
from autograd.arrays import to_host
from nn import MLP

LIBRARIES = ["array_api_strict", "dask", "numpy", "torch"]


def mlp_loss(seed: int) -> tuple[Callable[..., Value], list[Value]]:
    model = MLP(3, [4, 2], "tanh", "sigmoid", rng=seed)

    def fn(*v: Value) -> Value:
        o = model(list(v[:3]))
        return (v[3] - o[0]) ** 2 + (v[4] - o[1]) ** 2

    return fn, model.parameters()


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("library", LIBRARIES)
def test_every_library_gives_numpys_numbers_in_its_own_arrays(library: str, fuse: bool) -> None:
    make, kind = maker(library)
    fn, params = mlp_loss(0)
    batch = np.random.default_rng(1).normal(size=(10, 5))
    want_out, want_grads, scale = scalar_batch(fn, batch, params)
    tape = trace(fn, batch[0].tolist(), params, fuse=fuse)
    out, grads = tape.gradient(make(batch))
    assert isinstance(out, kind) and isinstance(grads, kind)
    assert_same(to_host(out), want_out)
    assert_same(to_host(grads), want_grads, scale)
    assert_same(to_host(tape.forward(make(batch))), want_out)
    assert isinstance(tape.backward(make(batch)), kind)
    assert_same(np.array([p.grad for p in params]), want_grads, scale)
    total, summed = tape.sums(make(batch))  # computed and checked: host numbers
    assert isinstance(total, float) and isinstance(summed, np.ndarray)
    assert_same(np.array([total]), np.array([want_out.sum()]), np.abs(want_out).sum())
    assert_same(summed, want_grads, scale)


@pytest.mark.parametrize("library", LIBRARIES)
def test_every_op_of_the_table_replays_on_every_library(library: str) -> None:
    make, kind = maker(library)
    w = Value(0.3)
    batch = np.random.default_rng(2).normal(size=(12, 2))
    want_out, want_grads, scale = scalar_batch(lambda x, y: every_op(x, y, w), batch, [w])
    out, grads = trace(lambda x, y: every_op(x, y, w), [0.2, -0.4], [w]).gradient(make(batch))
    assert isinstance(out, kind)
    assert_same(to_host(out), want_out)
    assert_same(to_host(grads), want_grads, scale)


def test_dask_results_are_lazy_reductions_over_chunks() -> None:
    da = library("dask")
    fn, params = mlp_loss(3)
    batch = np.random.default_rng(4).normal(size=(40, 5))
    tape = trace(fn, batch[0].tolist(), params)
    out, grads = tape.gradient(da.from_array(batch, chunks=(10, -1)))
    assert out.chunks == ((10, 10, 10, 10),)  # one block per chunk of rows, not yet computed
    assert grads.shape == (len(params),) and grads.numblocks == (1,)
    want_out, want_grads, scale = scalar_batch(fn, batch, params)
    assert_same(out.compute(), want_out)
    assert_same(grads.compute(), want_grads, scale)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
@pytest.mark.parametrize("library", LIBRARIES)
def test_a_domain_error_names_the_example_and_changes_nothing(library: str) -> None:
    make, _ = maker(library)
    w = Value(2.0)
    w.grad = 5.0
    tape = trace(lambda x: (w * x).log(), [1.0], [w])
    bad = make(np.array([[1.0], [2.0], [1.5], [1.0], [-1.0], [3.0]]))
    with pytest.raises(ValueError, match=r"log: log\(-2\) is undefined .*example 4"):
        tape.backward(bad)
    assert w.grad == 5.0
    for grads in (True, False):
        with pytest.raises(ValueError, match="example 4"):
            tape.sums(bad, grads)
    if library == "dask":  # lazy: checked when computed, without naming the example
        out, grads = tape.gradient(bad)
        for lazy in (out, grads, tape.forward(bad)):
            with pytest.raises(DomainError, match="not finite"):
                lazy.compute()
    else:
        with pytest.raises(ValueError, match="example 4"):
            tape.gradient(bad)


def test_float32_tensors_stay_float32() -> None:
    torch = library("torch")
    fn, params = mlp_loss(5)
    batch = np.random.default_rng(6).normal(size=(8, 5))
    out, grads = trace(fn, batch[0].tolist(), params).gradient(torch.asarray(batch,
                                                                             dtype=torch.float32))
    assert out.dtype == grads.dtype == torch.float32
    want_out, want_grads, scale = scalar_batch(fn, batch, params)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-5)
    assert np.all(np.abs(grads.numpy() - want_grads) <= 1e-5 * (1.0 + scale))


def test_integer_batches_become_float64() -> None:
    torch = library("torch")
    w = Value(0.5)
    tape = trace(lambda x: w * x, [1.0], [w])
    out, grads = tape.gradient(torch.asarray([[1], [2], [3]]))
    assert out.dtype == torch.float64 and out.tolist() == [0.5, 1.0, 1.5]
    assert grads.tolist() == [6.0]
