"""Tests for nn/args.py: the shared argument checks, and the one shape checker."""

import numpy as np
import pytest

from nn.args import count, matrix, non_negative


def test_matrix_checks_dimensions_sizes_rows_and_finiteness() -> None:
    np.testing.assert_array_equal(matrix("X", [[1, 2], [3, 4]], cols=2), [[1.0, 2.0], [3.0, 4.0]])
    assert matrix("Y", [1.0, 2.0, 3.0], rows=3, column=True).shape == (3, 1)
    for bad, message in [
        (np.zeros(3), r"X must have shape \(N, 2\) \(at least one row\), got \(3,\)"),
        (np.zeros((0, 2)), r"got \(0, 2\)"),
        (np.zeros((3, 3)), r"got \(3, 3\)"),
        (np.zeros((2, 2, 2)), r"got \(2, 2, 2\)"),
        ([[1.0, np.nan]], "X must be finite"),
    ]:
        with pytest.raises(ValueError, match=message):
            matrix("X", bad, cols=2)
    with pytest.raises(ValueError, match=r"Y must have shape \(4, K\), got \(3, 1\)"):
        matrix("Y", [1.0, 2.0, 3.0], rows=4, column=True)
    with pytest.raises(ValueError, match=r"beta must have shape \(K, 4\) \(at least one row\)"):
        matrix("beta", np.zeros((2, 3)), cols=4, height="K")


def test_numbers_and_counts() -> None:
    assert non_negative("lam", np.float32(0.5)) == 0.5
    for bad in (True, "1"):
        with pytest.raises(TypeError, match="lam must be a real number"):
            non_negative("lam", bad)
    with pytest.raises(ValueError, match="lam must be finite and >= 0"):
        non_negative("lam", -1)
    assert count("epochs", np.int64(3)) == 3
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        count("epochs", 1.0)
