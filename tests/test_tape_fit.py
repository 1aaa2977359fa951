"""fit and predict on torch tensors and dask arrays end where numpy does (the tape runs there).

The torch and dask paths need their extras (``pip install 'deltagrad[torch]'``,
``pip install 'deltagrad[dask]'``); without them these tests are skipped saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from tape_helpers import Scaled, library, maker

from autograd import no_grad
from nn import MLP, Module, TwoLayerNet, fit, predict

LIBRARIES = ["dask", "torch"]


def problem(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 2))
    return x, np.tanh(x[:, :1] - 0.5 * x[:, 1:]) + 0.1 * rng.standard_normal((n, 1))


def weights(model: Module) -> np.ndarray:
    return np.array([p.data for p in model.parameters()])


MODELS: dict[str, Callable[[], Module]] = {
    "mlp": lambda: MLP(2, [4, 1], "tanh", rng=1),
    "lecture net": lambda: TwoLayerNet(2, 3, 1, rng=1),  # numpy: closed form; else: its tape
}


@pytest.mark.parametrize("method", ["gd", "bfgs"])
@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("library", LIBRARIES)
def test_fit_ends_where_numpy_does(library: str, model: str, method: str) -> None:
    x, y = problem()
    settings: dict[str, Any] = {"method": method, "epochs": 15, "lam": 1e-3, "progress": False}
    if method == "gd":
        settings["lr"] = 0.01
    on_numpy, elsewhere = MODELS[model](), MODELS[model]()
    want = fit(on_numpy, x, y, **settings)
    make, _ = maker(library)
    got = fit(elsewhere, make(x), make(y), **settings)
    np.testing.assert_allclose(weights(elsewhere), weights(on_numpy), rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.loss, want.loss, rtol=1e-9)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_online_fit_on_tensors_with_numpy_targets(model: str) -> None:
    x, y = problem(12)
    settings: dict[str, Any] = {"mode": "online", "lr": 0.05, "epochs": 3, "rng": 4,
                                "progress": False}
    torch = library("torch")
    on_numpy, on_torch = MODELS[model](), MODELS[model]()
    fit(on_numpy, x, y, **settings)
    fit(on_torch, torch.asarray(x), y, **settings)  # Y goes to X's library
    np.testing.assert_allclose(weights(on_torch), weights(on_numpy), rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("library", LIBRARIES)
def test_predict_answers_in_the_inputs_library(library: str, model: str) -> None:
    x, _ = problem(10)
    net = MODELS[model]()
    out = predict(net, maker(library)[0](x))
    values = out.numpy() if library == "torch" else out.compute()  # dask: lazy until here
    assert out.shape == (10, 1)
    np.testing.assert_allclose(values, predict(net, x), rtol=1e-12, atol=1e-14)


def test_a_bad_entry_is_refused_in_any_library() -> None:
    x, y = problem(5)
    x[3, 1] = np.nan
    for name in LIBRARIES:
        make, _ = maker(name)
        with pytest.raises(ValueError, match="X must be finite"):
            fit(MLP(2, [1], rng=0), make(x), make(y), lr=0.1, epochs=1, progress=False)


def test_detach_is_replayed_per_example_by_predict_and_fit() -> None:
    x = np.array([[1.0], [2.0], [3.0]])
    torch = library("torch")
    assert predict(Scaled(), x).ravel().tolist() == [2.0, 4.0, 6.0]
    with no_grad():  # an explicit request: an enclosing no_grad changes nothing
        assert predict(Scaled(), torch.asarray(x)).ravel().tolist() == [2.0, 4.0, 6.0]
    model = Scaled()
    fit(model, x, 3.0 * x, method="bfgs", epochs=20, progress=False)
    assert abs(model.w.data - 3.0) < 1e-9
