"""Tests of book.ch03_activations, the experiment functions of Chapter 3."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy.special import lambertw  # noqa: E402

from nnlib import functional as F  # noqa: E402
import book.ch03_activations as demo  # noqa: E402
from nnlib.layers import Linear, ReLU, Sequential  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel(), "every axis needs an x label"
    assert any(ax.get_ylabel() for ax in fig.axes)


# --- evaluate -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(demo.ACTIVATIONS))
def test_evaluate_matches_functional_and_central_differences(name):
    z = np.linspace(-3.05, 2.95, 41)              # avoids the kink at 0
    a, da = demo.evaluate(name, z, leaky_alpha=0.2, elu_alpha=1.5)
    assert a.shape == da.shape == z.shape
    eps = 1e-6
    ap, _ = demo.evaluate(name, z + eps, leaky_alpha=0.2, elu_alpha=1.5)
    am, _ = demo.evaluate(name, z - eps, leaky_alpha=0.2, elu_alpha=1.5)
    np.testing.assert_allclose(da, (ap - am) / (2 * eps), atol=1e-7)


def test_evaluate_uses_the_alphas():
    a, da = demo.evaluate("leaky_relu", np.array([-2.0]), leaky_alpha=0.3)
    assert a[0] == pytest.approx(-0.6) and da[0] == pytest.approx(0.3)
    a, _ = demo.evaluate("elu", np.array([-50.0]), elu_alpha=2.0)
    assert a[0] == pytest.approx(-2.0)


def test_evaluate_rejects_unknown_names():
    with pytest.raises(ValueError, match="evaluate: unknown activation 'swoosh'"):
        demo.evaluate("swoosh", 0.0)


# --- the comparison figure ------------------------------------------------------------------
@pytest.mark.parametrize("group", list(demo.GROUPS))
def test_draw_activations_draws_every_member_of_the_group(group):
    fig = demo.draw_activations(group, x_range=3.0, leaky_alpha=0.05, elu_alpha=2.0)
    _labelled(fig)
    ax_f, ax_d = fig.axes
    assert ax_f.get_ylabel() == "activation $f(z)$"
    assert ax_d.get_ylabel() == "derivative $f'(z)$"
    labels = [t.get_text() for t in ax_f.get_legend().get_texts()]
    assert len(labels) == len(demo.GROUPS[group])
    assert ax_f.get_xlim() == pytest.approx((-3.0, 3.0))
    assert fig._suptitle.get_text() == demo.GROUP_FINDINGS[group]


def test_draw_activations_shows_the_alphas_in_the_legend():
    fig = demo.draw_activations("ReLU family", leaky_alpha=0.25, elu_alpha=2.0)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Leaky ReLU ($\\alpha$ = 0.25)" in labels and "ELU ($\\alpha$ = 2)" in labels


def test_draw_activations_breaks_the_derivative_at_the_kink():
    fig = demo.draw_activations("ReLU family")
    relu_line = fig.axes[1].get_lines()[0]
    x, y = relu_line.get_data()
    assert np.isnan(y[x == 0.0]).all()
    assert np.all(y[x > 0] == 1.0) and np.all(y[x < 0] == 0.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"group": "everything"}, "unknown group 'everything'"),
    ({"x_range": 0.0}, "x_range > 0"),
    ({"leaky_alpha": 1.5}, "leaky_alpha in \\[0, 1\\], got 1.5"),
    ({"elu_alpha": -1.0}, "elu_alpha > 0"),
])
def test_draw_activations_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match="draw_activations: .*" + match):
        demo.draw_activations(**kwargs)


def test_draw_activation_groups_makes_one_row_per_group():
    fig = demo.draw_activation_groups(("sigmoid family", "ReLU family", "smooth ReLUs"))
    _labelled(fig)
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title() == "sigmoid family: functions"
    with pytest.raises(ValueError, match="draw_activation_groups: expected a non-empty"):
        demo.draw_activation_groups(())
    with pytest.raises(ValueError, match="unknown group 'relu'"):
        demo.draw_activation_groups(("relu",))


# --- numbers quoted in the chapter ----------------------------------------------------------
def test_minima_of_gelu_and_silu():
    z, f = demo.minimum("gelu")
    assert z == pytest.approx(-0.7518, abs=1e-4) and f == pytest.approx(-0.16997, abs=1e-5)
    assert F.gelu_grad(z) == pytest.approx(0.0, abs=1e-6)
    z, f = demo.minimum("silu")
    w = lambertw(np.exp(-1.0)).real
    assert z == pytest.approx(-1.0 - w, abs=1e-6) and f == pytest.approx(-w, abs=1e-12)
    with pytest.raises(ValueError, match="minimum: expected 'gelu' or 'silu'.*'relu'"):
        demo.minimum("relu")


def test_gelu_tanh_max_difference():
    d, z = demo.gelu_tanh_max_difference()
    assert 4.7e-4 < d < 4.8e-4 and abs(z) == pytest.approx(2.70, abs=0.01)
    grid = np.linspace(-10, 10, 2001)
    assert np.max(np.abs(F.gelu(grid) - F.gelu(grid, "tanh"))) <= d
    with pytest.raises(ValueError, match="gelu_tanh_max_difference: expected x_range > 0"):
        demo.gelu_tanh_max_difference(x_range=-1.0)


# --- gradients through depth ----------------------------------------------------------------
def test_derivative_path_products_respect_the_sigmoid_bound():
    p = demo.derivative_path_products("sigmoid", 12, z_std=2.0, n_paths=500, rng=3)
    assert p.shape == (500, 12)
    assert np.all(p <= 0.25 ** np.arange(1, 13)) and np.all(p > 0)
    assert np.all(np.diff(p, axis=1) <= 0)        # each factor is below 1
    np.testing.assert_array_equal(
        p, demo.derivative_path_products("sigmoid", 12, z_std=2.0, n_paths=500, rng=3))


def test_derivative_path_products_of_relu_are_zero_or_one():
    p = demo.derivative_path_products("relu", 6, n_paths=300, rng=0)
    assert set(np.unique(p)) <= {0.0, 1.0}
    # a path survives N layers with probability 2^-N
    assert np.mean(p[:, 0]) == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"name": "leaky_relu", "depth": 3}, ValueError, "needs a parameter"),
    ({"name": "sigmoid", "depth": 0}, ValueError, "depth >= 1"),
    ({"name": "sigmoid", "depth": 2.5}, TypeError, "depth to be an integer"),
    ({"name": "sigmoid", "depth": 3, "z_std": 0.0}, ValueError, "z_std > 0"),
])
def test_derivative_path_products_rejects_bad_input(kwargs, err, match):
    with pytest.raises(err, match="derivative_path_products: .*" + match):
        demo.derivative_path_products(**kwargs)


def test_depth_figures():
    fig = demo.draw_gradient_through_depth(depth=8, z_std=1.5, n_paths=200)
    _labelled(fig)
    assert fig.axes[0].get_yscale() == "log"
    fig = demo.draw_depth_panels((0.5, 2.0), depth=5, n_paths=100)
    _labelled(fig)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="draw_gradient_through_depth: expected depth >= 2"):
        demo.draw_gradient_through_depth(depth=1)
    with pytest.raises(ValueError, match="draw_depth_panels: expected at least one std"):
        demo.draw_depth_panels(())


# --- motivation -----------------------------------------------------------------------------
def test_fit_sine_trains_and_a_linear_network_stays_affine():
    X = np.linspace(-3, 3, 40)[:, None]
    y = np.sin(X)
    net, hist = demo.fit_sine(X, y, "tanh", hidden=8, epochs=60, lr=0.05)
    assert hist.shape == (60,) and hist[-1] < hist[0]
    lin, _ = demo.fit_sine(X, y, "identity", hidden=8, epochs=5)
    out = lin(np.linspace(-5, 5, 11)[:, None])[:, 0]
    np.testing.assert_allclose(np.diff(out, 2), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="fit_sine: expected epochs >= 1"):
        demo.fit_sine(X, y, "tanh", epochs=0)


def test_draw_sine_fits():
    X = np.linspace(-3, 3, 30)[:, None]
    y = np.sin(X)
    runs = {a: demo.fit_sine(X, y, a, hidden=4, epochs=3) for a in ("identity", "relu")}
    fig = demo.draw_sine_fits(X, y, runs)
    _labelled(fig)
    assert fig.axes[1].get_yscale() == "log"
    with pytest.raises(ValueError, match="draw_sine_fits: expected at least one"):
        demo.draw_sine_fits(X, y, {})


# --- dead ReLUs -----------------------------------------------------------------------------
def test_dead_fraction_counts_units_that_never_fire():
    lin = Linear(1, 4, rng=0)
    lin.weight.data[:] = [[1.0], [1.0], [-1.0], [0.0]]
    lin.bias.data[:] = [0.0, -5.0, 0.0, -1.0]
    X = np.array([[-1.0], [2.0]])
    # unit 0 fires at x = 2, unit 2 at x = -1; units 1 and 3 never fire
    assert demo.dead_fraction(Sequential(lin, ReLU()), X) == {"1:ReLU": 0.5}


def test_dead_fraction_vs_bias_matches_the_formula():
    X = np.linspace(-3, 3, 50)[:, None]
    biases = np.array([0.0, -1.0, -3.0, -6.0])
    measured = demo.dead_fraction_vs_bias(X, biases, width=4096, seed=1)
    theory = demo.dead_fraction_theory(-3.0, 3.0, biases)
    assert measured[0] == 0.0 and theory[0] == 0.0
    assert np.all(np.diff(theory) > 0)
    np.testing.assert_allclose(measured, theory, atol=0.03)
    with pytest.raises(ValueError, match="dead_fraction_theory: expected x_min < 0 < x_max"):
        demo.dead_fraction_theory(1.0, 3.0, biases)


def test_dead_fraction_vs_lr_and_train_relu_net():
    X = np.linspace(-2, 2, 30)[:, None]
    y = np.sin(X)
    dead, loss = demo.dead_fraction_vs_lr(X, y, [1e-3, 0.5], seeds=(0, 1), steps=30, hidden=16)
    assert dead.shape == loss.shape == (2, 2)
    assert np.all((0 <= dead) & (dead <= 1)) and np.all(np.isfinite(loss))
    net, final = demo.train_relu_net(X, y, lr=1e-2, steps=5, hidden=16, seed=0)
    assert isinstance(final, float) and len(net) == 3
    fig = demo.draw_dead_relus(np.array([0.0, -1.0]), np.array([0.0, 0.3]),
                               np.array([0.0, 0.28]), [1e-3, 0.5], dead, steps=30)
    _labelled(fig)
    assert fig.axes[1].get_title() == "after 30 full-batch Adam steps"


# --- zero-centred outputs and PReLU ---------------------------------------------------------
def test_same_sign_fraction():
    assert demo.same_sign_fraction("sigmoid", n_examples=30) == 1.0
    assert demo.same_sign_fraction("relu", n_examples=30) == 1.0
    assert demo.same_sign_fraction("tanh", n_examples=30) < 0.1
    with pytest.raises(ValueError, match="same_sign_fraction: expected n_examples >= 1"):
        demo.same_sign_fraction("tanh", n_examples=0)


def test_train_prelu_slope_follows_the_closed_form():
    z = np.random.default_rng(0).normal(size=(50, 1))
    slopes = demo.train_prelu_slope(z, np.abs(z), init=0.25, lr=0.2, steps=20)
    c = 2 / len(z) * np.sum(z[z < 0] ** 2)
    predicted = -1 + (1 - 0.2 * c) ** np.arange(21) * 1.25
    np.testing.assert_allclose(slopes, predicted, atol=1e-12)
    fig = demo.draw_prelu_slope(z, np.abs(z), slopes, predicted)
    _labelled(fig)
    with pytest.raises(ValueError, match="train_prelu_slope: expected steps >= 1"):
        demo.train_prelu_slope(z, np.abs(z), steps=0)


# --- softmax --------------------------------------------------------------------------------
def test_draw_softmax_temperature():
    fig = demo.draw_softmax_temperature(np.array([2.0, 1.0, 0.0]), (0.5, 2.0))
    _labelled(fig)
    assert len(fig.axes) == 2
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, F.softmax(np.array([4.0, 2.0, 0.0])))
    with pytest.raises(ValueError, match="draw_softmax_temperature: expected a vector"):
        demo.draw_softmax_temperature(np.array([1.0]))
    with pytest.raises(ValueError, match="expected temperature > 0"):
        demo.draw_softmax_temperature(np.array([1.0, 2.0]), (0.0,))
