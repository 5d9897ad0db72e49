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
def test_forward_pass_colours_the_layers_up_to_the_step(step):
    from book.live import Renderer

    renderer = Renderer(demo.ForwardPass())
    renderer.rgba({"step": step, "depth": 3, "width": 4, "activation": "tanh"})
    fp = renderer.live
    assert fp.title.get_text().startswith(f"Step {step} of 3")
    assert renderer.fig.axes[1].get_ylabel() == "activation"  # the colour bar is labelled
    # the value labels of the current layer are the only ones shown, one per unit
    shown = [[t.get_text() for t in texts if t.get_visible()] for texts in fp.labels]
    assert [len(s) for s in shown] == [[4, 4, 4, 3][step] if k == step else 0
                                       for k in range(4)]
    _, acts = demo.forward_trace(demo.demo_network(3, 4, "tanh"), demo.demo_input())
    assert shown[step] == [f"{v:+.2f}" for v in acts[step]]
    # units of layers after the step are white (not computed yet)
    for k, col in enumerate(fp.units):
        white = np.allclose(col.get_facecolors()[:, :3], 1.0)
        assert white == (k > step)
    renderer.close()


def test_forward_pass_describes_the_finding_of_each_activation():
    fp = demo.ForwardPass()
    relu = fp.describe(step=2, depth=3, width=6, activation="relu")
    _, acts = demo.forward_trace(demo.demo_network(3, 6, "relu"), demo.demo_input())
    zeros = int(np.sum(acts[2] == 0))
    assert zeros > 0 and f"{zeros} of the 6 are exactly 0" in relu
    assert "Layer 3 is still blank" in relu
    assert "every unit is positive" in fp.describe(step=1, depth=3, width=6,
                                                   activation="sigmoid")
    assert "between -1 and 1" in fp.describe(step=1, depth=3, width=6, activation="tanh")
    first = fp.describe(step=0, depth=2, width=3, activation="tanh")
    assert "x = (+0.90, -0.60, +0.30, -1.00)" in first and "Layers 1 to 2" in first
    last = fp.describe(step=9, depth=2, width=3, activation="tanh")   # clipped to the depth
    assert last.startswith("Step 2 of 2") and "3 scores" in last


def test_forward_pass_rejects_bad_settings():
    from book.live import Renderer

    with pytest.raises(ValueError, match="ForwardPass: expected activation"):
        Renderer(demo.ForwardPass()).rgba({"step": 0, "depth": 2, "width": 3,
                                           "activation": "softmax"})
    with pytest.raises(ValueError, match="ForwardPass: expected depth <= 8"):
        Renderer(demo.ForwardPass()).rgba({"step": 0, "depth": 9, "width": 3,
                                           "activation": "tanh"})
    with pytest.raises(TypeError, match="ForwardPass: expected width to be an integer"):
        Renderer(demo.ForwardPass()).rgba({"step": 0, "depth": 2, "width": 2.5,
                                           "activation": "tanh"})
    with pytest.raises(ValueError, match="ForwardPass: expected seed >= 0"):
        demo.ForwardPass(seed=-1)


def test_experiment_grid_and_controls():
    exp = demo.forward_pass_experiment()
    assert exp.main == "step" and len(exp.grid()) == 126
    assert all(v["step"] <= v["depth"] for v in exp.grid())
    assert all(len(c.grid()) >= 2 for c in exp.controls.values())   # each does something


def test_draw_forward_steps_is_small_multiples_of_the_live_figure():
    fig = demo.draw_forward_steps(depth=3, width=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t[:6] for t in titles] == ["Step 0", "Step 1", "Step 2", "Step 3"]
    assert len(fig.axes) == 4                 # compact panels: no colour bars
    assert fig.get_size_inches()[0] <= 7.6    # fits the column
    with pytest.raises(ValueError, match="draw_forward_steps: expected steps between 0 and"):
        demo.draw_forward_steps(depth=2, steps=[0, 3])


def test_figures_fit_the_column_with_readable_text():
    figs = [demo.draw_forward_steps(depth=3, width=5),
            demo.draw_forward_scaling(demo.forward_scaling((16, 8, 2), (4, 8), repeats=1))]
    for fig in figs:
        assert fig.get_size_inches()[0] <= 7.6
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
                 if t.get_visible() and t.get_text().strip()]
        assert sizes and min(sizes) >= 10


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
