"""The benchmark compares like with like: every implementation it times takes the same
training step (same network, loss and SGD update). No timing here; that is the script's job."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss
from nnlib.optim import SGD

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"
_spec = importlib.util.spec_from_file_location("nnlib_benchmark", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

CONFIGS = {  # (sizes, activation, binary): the networks of (c) and of (a)/(b), scaled down
    "c": ([2, 16, 16, 1], "tanh", True),
    "a": ([64, 32, 16, 10], "relu", False),
}


def _batch(sizes, binary, m, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0])).astype(np.float32)
    y = ((rng.random((m, 1)) > 0.5).astype(np.float32) if binary
         else rng.integers(0, sizes[-1], size=m))
    return X, y


def _same_updates(before, after_a, after_b):
    """The two trainings moved every array the same way: relative difference of the updates
    at most 1e-4 (float32 rounding), so that even a 1% slip in a gradient is caught."""
    for w0, a, b in zip(before, after_a, after_b, strict=True):
        change = np.linalg.norm(a - w0)
        assert change > 0
        assert np.linalg.norm((a - w0) - (b - w0)) <= 1e-4 * change


def _nnlib_copy(params, sizes, act):
    """An nnlib model with the given weights and biases (W1, ..., WL, b1, ..., bL)."""
    model = nnlib.mlp(sizes, act, rng=0, dtype=np.float32)
    L = len(sizes) - 1
    for layer, W, b in zip(model[::2], params[:L], params[L:], strict=True):
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    return model


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_lean_and_plain_numpy_train_the_same_weights(config):
    sizes, act, binary = CONFIGS[config]
    plain = bench.numpy_mlp(sizes, np.float32, np.random.default_rng(1), act)
    lean = bench.numpy_lean(sizes, np.float32, np.random.default_rng(1), act)
    for a, b in zip(plain.params, lean.params, strict=True):
        assert np.array_equal(a, b)
    before = [p.copy() for p in lean.params]
    for step in range(12):  # two batch sizes, as in (b), whose last batch is smaller
        X, y = _batch(sizes, binary, 48 if step % 3 else 32, seed=step)
        plain(X, y)
        lean(X, y)
    _same_updates(before, plain.params, lean.params)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_nnlib_step_matches_the_numpy_step(config):
    sizes, act, binary = CONFIGS[config]
    lean = bench.numpy_lean(sizes, np.float32, np.random.default_rng(2), act)
    model = _nnlib_copy(lean.params, sizes, act)
    before = [p.data.copy() for p in model.parameters()]
    loss_fn = BCEWithLogitsLoss() if binary else CrossEntropyLoss()
    step = bench.nnlib_step(model, loss_fn, SGD(model.parameters(), 0.1))
    for i in range(10):
        X, y = _batch(sizes, binary, 40, seed=100 + i)
        expected_loss = loss_fn(model(X), y)
        assert lean(X, y) == pytest.approx(expected_loss, rel=1e-5)
        step(X, y)
    lean_model = _nnlib_copy(lean.params, sizes, act)
    _same_updates(before, [p.data for p in model.parameters()],
                  [p.data for p in lean_model.parameters()])


def test_lean_training_lowers_the_loss():
    sizes, act, binary = CONFIGS["a"]
    lean = bench.numpy_lean(sizes, np.float32, np.random.default_rng(3), act)
    X, y = _batch(sizes, binary, 64, seed=0)
    losses = [lean(X, y) for _ in range(50)]
    assert losses[-1] < 0.5 * losses[0]


def test_median_times_takes_turns_and_reports_each():
    calls = []
    times = bench.median_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                               repeats=3)
    assert calls == ["a", "b"] * 3
    assert set(times) == {"a", "b"} and all(t >= 0 for t in times.values())


@pytest.mark.parametrize("seconds, unit, text", [(0.12, "ms", "120 ms"),
                                                 (2.52e-4, "µs", "252 µs"),
                                                 (0.458, "s", "0.458 s")])
def test_table_cells(seconds, unit, text):
    assert bench.fmt(seconds, unit).strip() == text
