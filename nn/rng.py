"""The seed policy of ``nn`` and the one place starting weights are drawn.

Every function of ``nn`` that draws random numbers takes a :data:`RandomSource` and turns it
into a ``numpy.random.Generator`` with :func:`as_generator`, so an integer seed means the same
thing everywhere and the global generator is never used. Starting weights uniform on
[−0.7, 0.7] (ESL §11.5.3, for standardised inputs) come from :func:`uniform_weights`, used by
:class:`nn.two_layer.TwoLayerNet` and by the extra starts of :func:`nn.train.fit`.
"""

from __future__ import annotations

import numbers
import random

import numpy as np
from numpy.typing import NDArray

from nn.args import non_negative

__all__ = ["INIT_RANGE", "RandomSource", "as_generator", "uniform_weights"]

RandomSource = random.Random | np.random.Generator | int | np.integer
"""A generator of either kind, or an integer seed (see :func:`as_generator`)."""

INIT_RANGE = 0.7
"""Half-width of the starting weights' range (ESL §11.5.3, for standardised inputs)."""


def as_generator(rng: RandomSource) -> np.random.Generator:
    """The ``numpy.random.Generator`` to draw from: never the global one.

    * a ``numpy.random.Generator`` is used as it is (and advanced by the draws);
    * a ``random.Random`` seeds a new Generator with 128 bits drawn from it (so it is
      advanced too, and two calls with the same ``random.Random`` give different streams);
    * an integer seed (Python or numpy integer, ≥ 0) gives ``numpy.random.default_rng(seed)``.

    Args:
        rng: A generator of either kind or a seed.

    Returns:
        The generator.

    Raises:
        TypeError: For anything else (bool, float, ``numpy.random.RandomState``, None, ...),
            naming its type.
        ValueError: For a negative seed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(128))
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"a seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, a random.Random or an int seed, "
        f"got {type(rng).__name__}"
    )


def uniform_weights(
    size: int, rng: np.random.Generator, init_range: float = INIT_RANGE
) -> NDArray[np.float64]:
    """``size`` starting weights uniform on [−init_range, init_range], in drawing order.

    Drawing a flat vector and reshaping it gives the same numbers as drawing the blocks one
    after the other (alpha, then beta), so a net and :func:`nn.train.fit` agree.

    Raises:
        ValueError: On a negative or non-finite ``init_range``.
        TypeError: On a non-numeric ``init_range``.
    """
    half = non_negative("init_range", init_range)
    return rng.uniform(-half, half, size)
