"""Tests for nn/rng.py: one seed rule for every function of nn that draws, one start draw."""

import random

import numpy as np
import pytest

from nn import MLP, data
from nn.rng import as_generator, uniform_weights
from nn.two_layer import TwoLayerNet


def test_seed_rules_are_the_same_everywhere() -> None:
    """One rule (nn.rng.as_generator) for every function of nn that draws numbers."""
    gen = np.random.default_rng(3)
    assert as_generator(gen) is gen
    for seed in (3, np.int64(3), np.uint8(3)):  # an int seed means default_rng(seed)
        assert as_generator(seed).random() == np.random.default_rng(3).random()
    rnd = random.Random(3)
    first, second = as_generator(rnd).random(), as_generator(rnd).random()
    assert first != second  # a random.Random is advanced by each use
    assert as_generator(random.Random(3)).random() == first  # and reproducible
    # The same source gives the same draws wherever it is used.
    for source in (7, np.int64(7)):
        net = TwoLayerNet(2, 3, 1, rng=source)
        start = uniform_weights(13, np.random.default_rng(7))  # alpha (3 × 3), then beta (1 × 4)
        np.testing.assert_array_equal(net.to_arrays()[0].ravel(), start[:9])
        np.testing.assert_array_equal(net.to_arrays()[1].ravel(), start[9:])
        np.testing.assert_array_equal(data.simulate("radial", 4, source).X,
                                      data.simulate("radial", 4, 7).X)
    assert MLP(2, [2], rng=random.Random(1)).state_dict() == MLP(
        2, [2], rng=random.Random(1)).state_dict()
    data.sum_of_sigmoids(3, random.Random(0))  # accepted by the data sets too
    for bad in (True, 1.5, None, "3", np.random.RandomState(0)):
        with pytest.raises(TypeError, match=f"rng must be .*, got {type(bad).__name__}$"):
            as_generator(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="rng must be"):
            TwoLayerNet(2, 2, 1, rng=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be >= 0"):
        data.simulate("radial", 4, -1)


def test_uniform_weights_are_one_flat_draw_on_the_range() -> None:
    w = uniform_weights(1000, np.random.default_rng(0), 0.7)
    assert w.shape == (1000,) and np.abs(w).max() <= 0.7 and np.abs(w).max() > 0.69
    np.testing.assert_array_equal(  # drawing in blocks gives the same numbers
        np.concatenate([uniform_weights(3, g := np.random.default_rng(5)), uniform_weights(4, g)]),
        uniform_weights(7, np.random.default_rng(5)))
    with pytest.raises(ValueError, match="init_range"):
        uniform_weights(3, np.random.default_rng(0), -1.0)
