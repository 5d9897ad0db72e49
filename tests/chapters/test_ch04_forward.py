"""Tests of book.ch04_forward, the experiments of Chapter 4 (Forward propagation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnlib.core import Sequential, count_parameters  # noqa: E402
import book.ch04_forward as demo  # noqa: E402
from book import shared  # noqa: E402
from nnlib.functional import sigmoid  # noqa: E402
from nnlib.layers import Linear, ReLU, mlp  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- bookkeeping --------------------------------------------------------------------------------
def test_parameter_terms_and_count_match_nnlib():
    sizes = [784, 128, 64, 10]
    assert demo.parameter_terms(sizes) == [(100352, 128), (8192, 64), (640, 10)]
    assert demo.parameter_count(sizes) == 109386
    assert demo.parameter_count(sizes) == count_parameters(mlp(sizes, rng=0))
    assert demo.parameter_count([5, 3]) == 18


def test_forward_flops_is_twice_the_weights_times_the_batch():
    assert demo.forward_flops([784, 128, 64, 10]) == 2 * 109184
    assert demo.forward_flops([2, 2, 1], batch_size=10) == 2 * 10 * 6


def test_activation_memory_of_the_mnist_network():
    mem = demo.activation_memory([784, 128, 64, 10], 128, np.float32)
    assert mem["a_bytes"] == 4 * 128 * (784 + 128 + 64 + 10)
    assert mem["z_bytes"] == 4 * 128 * (128 + 64 + 10)
    assert mem["total_bytes"] == 608256
    assert mem["parameter_bytes"] == 4 * 109386
    assert demo.activation_memory([3, 2], 1, np.float64)["total_bytes"] == 8 * (3 + 2 + 2)


def test_retained_forward_bytes_counts_the_cached_arrays():
    net = mlp([50, 40, 30, 5], "relu", rng=0, dtype=np.float32)
    X = np.ones((64, 50), np.float32)
    expected = 4 * 64 * (40 + 40 + 30 + 30 + 5)  # z1, a1, z2, a2, z3; X existed before
    got = demo.retained_forward_bytes(net, X)
    assert expected <= got <= expected + 4096


def test_time_forward_and_forward_scaling_shapes():
    net = mlp([4, 8, 2], rng=0)
    assert demo.time_forward(net, np.ones((3, 4)), repeats=2) >= 0
    assert demo.time_forward(net, np.ones((3, 4)), repeats=2, clock="wall") > 0
    r = demo.forward_scaling((64, 128, 8), (16, 32, 64), repeats=2)
    assert r["batch_sizes"].tolist() == [16, 32, 64]
    assert r["flops"].tolist() == [2 * m * (64 * 128 + 128 * 8) for m in (16, 32, 64)]
    assert np.all(r["seconds"] > 0) and np.all(np.isfinite(r["flops_per_second"]))
    assert r["n_weights"] == 64 * 128 + 128 * 8 and r["matmul_seconds"] > 0



def test_draw_forward_scaling_labels_its_axes():
    fig = demo.draw_forward_scaling(demo.forward_scaling((64, 32, 3), (8, 16), repeats=1))
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


# --- the animated forward pass -------------------------------------------------------------------
def test_demo_network_is_seeded_and_shaped():
    a = demo.demo_network(4, 7, "relu", seed=3)
    b = demo.demo_network(4, 7, "relu", seed=3)
    c = demo.demo_network(4, 7, "relu", seed=4)
    wa = [p.data for p in a.parameters()]
    wb = [p.data for p in b.parameters()]
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
    assert not np.array_equal(wa[0], c.parameters()[0].data)
    shapes = [layer.weight.data.shape for layer in a if isinstance(layer, Linear)]
    assert shapes == [(7, 4), (7, 7), (7, 7), (3, 7)]
    assert not isinstance(a[len(a) - 1], ReLU)  # linear output layer


@pytest.mark.parametrize("activation", demo.DEMO_ACTIVATIONS)
def test_forward_trace_matches_the_formula(activation):
    net = demo.demo_network(3, 5, activation, seed=1)
    zs, acts = demo.forward_trace(net, demo.demo_input())
    f = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0)}[activation]
    linears = [layer for layer in net if isinstance(layer, Linear)]
    a = demo.demo_input()
    np.testing.assert_array_equal(acts[0], a)
    for k, layer in enumerate(linears, start=1):
        z = layer.weight.data @ a + layer.bias.data
        np.testing.assert_allclose(zs[k - 1], z, rtol=1e-12)
        a = f(z) if k < len(linears) else z
        np.testing.assert_allclose(acts[k], a, rtol=1e-12)
    np.testing.assert_allclose(acts[-1], net(demo.demo_input()[None, :])[0], rtol=1e-12)


def test_forward_trace_rejects_bad_input():
    with pytest.raises(TypeError, match="forward_trace: expected a Sequential"):
        demo.forward_trace(Linear(2, 2, rng=0), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"forward_trace: expected one example.*\(1, 2\)"):
        demo.forward_trace(shared.worked_network(), [[0.5, 0.8]])
    with pytest.raises(ValueError, match="start with a Linear layer, got ReLU"):
        demo.forward_trace(Sequential(ReLU(), Linear(2, 1, rng=0)), [1.0, 2.0])


@pytest.mark.parametrize("step", [0, 1, 3])
def test_draw_forward_pass_colours_layers_up_to_the_step(step):
    fig = demo.draw_forward_pass(step=step, depth=3, width=4)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title().startswith(f"Step {step} of 3")
    assert fig.axes[1].get_ylabel() == "activation"  # the colour bar is labelled
    # one value label per unit of the highlighted layer
    n_units = [4, 4, 4, 3][step]
    assert len(ax.texts) - 4 == n_units  # 4 layer captions + the values
    # units of layers after the step are white (not computed yet)
    columns = [c for c in ax.collections if c.__class__.__name__ == "PathCollection"]
    for k, col in enumerate(columns):
        faces = col.get_facecolors()
        white = np.allclose(faces[:, :3], 1.0)
        assert white == (k > step)


def test_draw_forward_pass_clips_the_step_and_rejects_bad_input():
    fig = demo.draw_forward_pass(step=6, depth=2, width=3)
    assert fig.axes[0].get_title().startswith("Step 2 of 2")
    with pytest.raises(ValueError, match="draw_forward_pass: expected activation"):
        demo.draw_forward_pass(activation="softmax")
    with pytest.raises(ValueError, match="draw_forward_pass: expected depth <= 8"):
        demo.draw_forward_pass(depth=9)
    with pytest.raises(ValueError, match="draw_forward_pass: expected step >= 0, got -1"):
        demo.draw_forward_pass(step=-1)
    with pytest.raises(TypeError, match="draw_forward_pass: expected width to be an integer"):
        demo.draw_forward_pass(width=2.5)


def test_draw_forward_steps_small_multiples_share_one_colour_bar():
    fig = demo.draw_forward_steps(depth=3, width=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t[:6] for t in titles[:4]] == ["Step 0", "Step 1", "Step 2", "Step 3"]
    assert len(fig.axes) == 5 and fig.axes[4].get_ylabel() == "activation"
    assert fig.get_suptitle()
    with pytest.raises(ValueError, match="draw_forward_steps: expected steps between 0 and"):
        demo.draw_forward_steps(depth=2, steps=[0, 3])


def test_bookkeeping_rejects_bad_sizes():
    with pytest.raises(ValueError, match="parameter_terms: expected at least two layer sizes"):
        demo.parameter_terms([5])
    with pytest.raises(TypeError, match="parameter_terms: expected sizes to be a sequence"):
        demo.parameter_terms([5, "a"])
    with pytest.raises(ValueError, match="forward_flops: expected batch_size >= 1, got 0"):
        demo.forward_flops([2, 1], batch_size=0)
    with pytest.raises(ValueError, match="forward_scaling: expected a non-empty increasing"):
        demo.forward_scaling((2, 1), (8, 4), repeats=1)
    with pytest.raises(TypeError, match="retained_forward_bytes: expected an nnlib Module"):
        demo.retained_forward_bytes(lambda x: x, np.ones((2, 2)))
    with pytest.raises(TypeError, match="draw_forward_scaling: expected the dict"):
        demo.draw_forward_scaling([1, 2])
