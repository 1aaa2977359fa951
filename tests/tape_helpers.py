"""What the tape tests share: the scalar engine's answer for a batch, and the tolerance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn import Module, Parameter

Fn = Callable[..., Value]

_EXTRAS = {"torch": ("torch", "pip install 'deltagrad[torch]'"),
           "dask": ("dask.array", "pip install 'deltagrad[dask]'"),
           "array_api_strict": ("array_api_strict", "pip install array-api-strict")}


def library(name: str) -> ModuleType:
    """The array library ``name`` (torch, dask, array_api_strict), or skip saying what to
    install: each library's tests need only its own extra."""
    module, install = _EXTRAS[name]
    return pytest.importorskip(module, reason=f"the {name} path needs: {install}")


def maker(name: str) -> tuple[Callable[[np.ndarray], Any], type]:
    """How to make a batch of library ``name`` from a numpy array, and its array type."""
    if name == "numpy":
        return (lambda b: b), np.ndarray
    xp = library(name)
    if name == "torch":
        return xp.asarray, xp.Tensor
    if name == "dask":
        return (lambda b: xp.from_array(b, chunks=(4, -1))), xp.Array
    return xp.asarray, type(xp.asarray(0.0))

# Each builder keeps its op inside the op's domain for any finite inputs of moderate size.
UNARY: dict[str, Callable[[Value], Value]] = {
    "exp": lambda v: v.tanh().exp(),
    "log": lambda v: (v * v + 1.0).log(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "softplus": lambda v: v.softplus(),
    "abs": lambda v: abs(v),
    "neg": lambda v: -v,
    "powc": lambda v: (v * v + 0.5) ** 1.5,
    "powc_int": lambda v: v.tanh() ** 3,
    "sqrt": lambda v: (v * v + 0.5).sqrt(),
    "sin": lambda v: v.sin(),
    "cos": lambda v: v.cos(),
    "rpow": lambda v: 2.0 ** v.tanh(),
}
BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "rsub_const": lambda a, b: 0.5 - a * b.sigmoid(),
}


def every_op(x: Value, y: Value, w: Value) -> Value:
    """One graph using every op of the table."""
    terms = [UNARY[name](x * w + y) for name in sorted(UNARY)]
    terms += [BINARY[name](x + w, y - w) for name in sorted(BINARY)]
    root = terms[0]
    for t in terms[1:]:
        root = root + t
    return root


def scalar_batch(fn: Fn, batch: np.ndarray, params: Sequence[Value]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """By one scalar graph per example: the outputs R_i, Σ_i ∂R_i/∂θ and Σ_i |∂R_i/∂θ|."""
    outs, grads = [], []
    for row in batch.tolist():
        for p in params:
            p.grad = 0.0
        root = fn(*(Value(v) for v in row))
        root.backward()
        outs.append(root.data)
        grads.append([p.grad for p in params])
    for p in params:
        p.grad = 0.0
    per_example = np.array(grads).reshape(len(outs), len(params))
    return np.array(outs), per_example.sum(axis=0), np.abs(per_example).sum(axis=0)


def assert_same(got: np.ndarray, want: np.ndarray, scale: np.ndarray | None = None) -> None:
    """Equal within 1e-12 × ``scale``: Σ_i |∂R_i/∂θ| for gradients, 1 + |want| by default."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    size = 1.0 + np.abs(want) if scale is None else np.asarray(scale)
    assert got.shape == want.shape, (got.shape, want.shape)
    bad = np.abs(got - want) > 1e-12 * size
    assert not bad.any(), f"differ at {np.flatnonzero(bad)}: {got[bad]} vs {want[bad]}"


class Scaled(Module):
    """``w * x[0].detach()``: a stop-gradient on the input, replayed per example."""

    def __init__(self) -> None:
        self.w = Parameter(2.0)

    def forward(self, x: list[Value]) -> Value:
        return self.w * x[0].detach()
