"""Arrays of any library through the Python array API standard (array-api-compat).

The tape replays a graph on whatever arrays it is given: numpy (the default), PyTorch
tensors on their device, dask arrays (lazy, possibly on a cluster), ``array_api_strict``
arrays, and other libraries array-api-compat knows (CuPy, JAX). This module is the one place
that asks which library an array belongs to and moves results between it and the host:

* :func:`namespace`: the array-API namespace of some arrays (Python numbers are ignored);
* :func:`as_batch`: a batch of examples as a 2-D floating array of its own library;
* :func:`is_foreign`, :func:`floats`, :func:`like`, :func:`join`, :func:`first_row`: what
  ``nn.fit`` needs to keep a data set in its library (torch, dask...) rather than numpy's;
* :func:`realize`: start the computation of lazy arrays (dask) and keep the results there;
* :func:`guarded`: a lazy array whose computation raises unless a lazy check passed;
* :func:`to_host`: an array's values as a numpy array (computed, on the CPU);
* the array side of the built-in ops (:mod:`autograd.ops`): :func:`unary`, :func:`sigmoid`,
  :func:`softplus`, :func:`relu`, :func:`power`, and the partials' :func:`step`,
  :func:`sign`, :func:`log_or_zero`, each written against the namespace of its operands
  (never mixing Python bools with float arrays, which the standard does not allow).

array-api-compat and numpy are imported on first use: ``import autograd`` loads neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd.errors import DomainError

__all__ = ["as_batch", "device", "first_row", "floats", "guarded", "is_array", "is_foreign",
           "is_lazy", "join", "like", "log_or_zero", "namespace", "power", "realize", "relu",
           "sigmoid", "sign", "softplus", "step", "to_host", "unary"]


def namespace(*xs: Any) -> Any:
    """The array-API namespace of the arrays among ``xs`` (numbers are ignored).

    Raises:
        TypeError: No array among ``xs``, or arrays of different libraries.
    """
    import array_api_compat

    return array_api_compat.array_namespace(*(x for x in xs if not isinstance(x, int | float)))


def device(x: Any) -> Any:
    """The device an array lives on (``"cpu"``, a CUDA device, ...), as its library names it."""
    import array_api_compat

    return array_api_compat.device(x)


def is_lazy(x: Any) -> bool:
    """Whether ``x`` is a lazy array (dask): its values exist only once computed."""
    import array_api_compat

    return bool(array_api_compat.is_lazy_array(x))


def is_foreign(x: Any) -> bool:
    """Whether x is an array of an array-API library other than numpy (torch, dask...)."""
    import array_api_compat

    return bool(array_api_compat.is_array_api_obj(x)) and not array_api_compat.is_numpy_array(x)


def floats(x: Any) -> Any:
    """The array x with real floating entries: float32 stays float32; integers and bools
    become float64, in x's own library.

    Raises:
        TypeError: Complex entries.
    """
    xp = namespace(x)
    if xp.isdtype(x.dtype, "complex floating"):
        raise TypeError(f"inputs must be real numbers, got {x.dtype}")
    return x if xp.isdtype(x.dtype, "real floating") else xp.astype(x, xp.float64)


def as_batch(inputs: Any, width: int) -> Any:
    """``inputs`` as an N × ``width`` array of real floats, in the library it came in.

    An array of any array-API library stays in that library and on its device; anything
    else (lists, tuples) becomes a numpy array. Integer and bool arrays become float64;
    float32 stays float32. With ``width == 1`` a 1-D array is one column.

    Raises:
        ValueError: Not N × ``width``.
        TypeError: Complex numbers, or entries that are not numbers.
    """
    import array_api_compat

    if array_api_compat.is_array_api_obj(inputs):
        batch = floats(inputs)
    else:
        import numpy

        batch = numpy.asarray(inputs, dtype=numpy.float64)
    if batch.ndim == 1 and width == 1:
        batch = namespace(batch).reshape(batch, (-1, 1))
    if batch.ndim != 2 or batch.shape[1] != width:
        raise ValueError(f"inputs must be N × {width} (one row per example), "
                         f"got shape {tuple(batch.shape)}")
    return batch


def like(ref: Any, x: Any) -> Any:
    """x in the library and on the device of the array ``ref`` (as it is if it already is)."""
    xp = namespace(ref)
    if namespace(x) is xp:
        return x
    return xp.asarray(to_host(x), device=device(ref))


def join(a: Any, b: Any) -> Any:
    """The columns of a, then those of b (two N-row matrices of one library)."""
    return namespace(a, b).concat([a, b], axis=1)


def first_row(x: Any) -> list[float]:
    """Row 0 of a matrix as floats (for a lazy array, only its first chunk is computed)."""
    return [float(v) for v in to_host(x[:1, :])[0].tolist()]


def realize(*arrays: Any) -> tuple[Any, ...]:
    """The arrays, computed where they live: lazy dask arrays are persisted (on a cluster, if
    a ``dask.distributed`` client is active), in one pass; others are returned as they are."""
    if any(is_lazy(a) for a in arrays):
        import dask

        return tuple(dask.persist(*arrays))
    return arrays


def guarded(x: Any, ok: Any) -> Any:
    """``x``; if it is lazy, computing it raises :class:`~autograd.errors.DomainError` unless
    the lazy flag ``ok`` is true: a lazy result is checked when it is computed."""
    if not is_lazy(x):
        return x
    import dask.array

    return dask.array.map_blocks(_unless_bad, x, ok, dtype=x.dtype)


def _unless_bad(block: Any, ok: Any) -> Any:
    if not bool(ok):
        raise DomainError("the tape's replay made a value that is not finite (an op left its "
                          "domain, or a number overflowed); Tape.sums or Tape.backward on the "
                          "same batch name the op and the example")
    return block


def to_host(x: Any) -> Any:
    """The values of an array of any library as a numpy array on the CPU (computing it)."""
    import array_api_compat
    import numpy

    if array_api_compat.is_numpy_array(x):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_dask_array(x):
        return numpy.asarray(x.compute())
    if array_api_compat.is_cupy_array(x):
        return x.get()
    return numpy.from_dlpack(x)  # array_api_strict, JAX and the other DLPack libraries


def is_array(x: Any) -> bool:
    """Whether x is an array (the tape's), not a float or a Value."""
    return hasattr(x, "shape") and hasattr(x, "dtype")


def unary(name: str) -> Callable[[Any], Any]:
    """The array forward of the array-API function ``name`` (``exp``, ``log``, ``tanh``...)."""
    return lambda x: getattr(namespace(x), name)(x)


def sigmoid(x: Any) -> Any:
    """σ(x) = e^min(x, 0) / (1 + e^-|x|): the float version's two branches in one formula
    (no overflow, the same numbers, no masks).

    The in-place operators work on temporaries made here: numpy and torch reuse their
    memory (a large batch costs page faults per new array), libraries without in-place
    arithmetic (JAX, dask) bind a new array instead.
    """
    xp = namespace(x)
    den = xp.abs(x)
    den *= -1.0
    den = xp.exp(den)
    den += 1.0
    out = xp.exp(xp.minimum(x, 0.0))
    out /= den
    return out


def softplus(x: Any) -> Any:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow."""
    xp = namespace(x)
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def relu(x: Any) -> Any:
    """max(x, 0)."""
    return namespace(x).maximum(x, 0.0)


def power(a: Any, b: Any) -> Any:
    """a ** b, nan where the base is outside the domain (a < 0, or a = 0 with b <= 0).

    Unlike the other ops, a power can be finite outside its domain ((-2) ** 2.0); the nan lets
    the tape find the example and raise the float check's error. One of a, b may be a float
    (a constant base or exponent).
    """
    xp = namespace(a, b)
    out = a**b
    inside = (a > 0.0) | ((a == 0.0) & (b > 0.0))
    return xp.where(inside, out, xp.full_like(out, xp.nan))


def step(x: Any) -> Any:
    """1.0 where x > 0, else 0.0, in x's dtype."""
    return namespace(x).astype(x > 0.0, x.dtype)


def sign(x: Any) -> Any:
    """sign(x), with sign(0) = 0."""
    return namespace(x).sign(x)


def log_or_zero(a: Any) -> Any:
    """ln a where a > 0, else 0 (where a = 0, a^b ln a → 0)."""
    xp = namespace(a)
    return xp.log(xp.where(a > 0.0, a, xp.ones_like(a)))
