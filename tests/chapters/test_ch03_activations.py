"""Tests of book.ch03_activations, the experiments and helpers of Chapter 3."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy.special import lambertw  # noqa: E402

import book.ch03_activations as demo  # noqa: E402
from book import live  # noqa: E402
from nnlib import functional as F  # noqa: E402
from nnlib.layers import Linear, ReLU, Sequential  # noqa: E402
from nnlib.plot import COLORS  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(fig):
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.get_axes() if ax.axison]
    assert axes
    for ax in axes:
        assert ax.get_xlabel(), "every axis needs an x label"
    assert any(ax.get_ylabel() for ax in axes)


def _comparison(**values):
    defaults = {"x_range": 4.0, "functions": ("sigmoid",), "leaky_alpha": 0.1}
    r = live.Renderer(demo.Comparison())
    r.rgba({**defaults, **values})
    return r


# --- evaluate and the numbers of the chapter ------------------------------------------------
@pytest.mark.parametrize("name", sorted(demo.ACTIVATIONS))
def test_evaluate_matches_central_differences(name):
    z = np.linspace(-3.05, 2.95, 41)              # avoids the kink at 0
    a, da = demo.evaluate(name, z, leaky_alpha=0.2, elu_alpha=1.5)
    assert a.shape == da.shape == z.shape
    eps = 1e-6
    ap, _ = demo.evaluate(name, z + eps, leaky_alpha=0.2, elu_alpha=1.5)
    am, _ = demo.evaluate(name, z - eps, leaky_alpha=0.2, elu_alpha=1.5)
    np.testing.assert_allclose(da, (ap - am) / (2 * eps), atol=1e-7)


def test_evaluate_uses_the_alphas_and_rejects_unknown_names():
    a, da = demo.evaluate("leaky_relu", np.array([-2.0]), leaky_alpha=0.3)
    assert a[0] == pytest.approx(-0.6) and da[0] == pytest.approx(0.3)
    a, _ = demo.evaluate("elu", np.array([-50.0]), elu_alpha=2.0)
    assert a[0] == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="evaluate: unknown activation 'swoosh'"):
        demo.evaluate("swoosh", 0.0)


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


def test_extremes_give_the_ranges_of_the_reference_table():
    e = demo.extremes("selu")
    assert e["f_min"] == pytest.approx(-F.SELU_SCALE * F.SELU_ALPHA)
    assert e["df_max"] == pytest.approx(F.SELU_SCALE * F.SELU_ALPHA, rel=1e-3)
    assert demo.extremes("gelu")["f_min"] == pytest.approx(demo.minimum("gelu")[1], abs=1e-7)
    assert demo.extremes("relu")["f_min"] == 0.0 and demo.extremes("relu")["df_max"] == 1.0
    assert demo.extremes("sigmoid")["df_max"] == 0.25
    with pytest.raises(ValueError, match="extremes: unknown activation 'prelu'"):
        demo.extremes("prelu")


# --- the look of every function -----------------------------------------------------------
def test_every_function_has_its_own_colour_and_its_familys_line_style():
    styles = demo.ACTIVATIONS.values()
    colours = [to_hex(s.color) for s in styles]
    assert len(set(colours)) == len(colours), "two functions share a colour"
    assert set(colours) <= {to_hex(c) for c in COLORS} | {to_hex(demo.GREY)}
    by_family = {}
    for s in styles:
        by_family.setdefault(s.family, set()).add(str(s.linestyle))
    assert all(len(v) == 1 for v in by_family.values())
    assert len({next(iter(v)) for v in by_family.values()}) == len(by_family)
    # the light yellow gets a dark edge, so that it shows on white
    assert [n for n, s in demo.ACTIVATIONS.items() if s.outline] == ["gelu"]


# --- the live comparison --------------------------------------------------------------------
def test_comparison_draws_exactly_the_picked_functions():
    r = _comparison(functions=("relu", "gelu"))
    fig = r.live
    assert [ax.get_xlabel() for ax in fig.axes] == ["pre-activation z"] * 2
    assert fig.ax_f.get_ylabel() == "activation f(z)"
    assert fig.ax_d.get_ylabel() == "derivative f\u2032(z)"
    for name, (line_f, line_d) in fig.lines.items():
        on = name in ("relu", "gelu")
        assert line_f.get_visible() == line_d.get_visible() == on
        assert all(a.get_visible() == on for a in fig.keys[name])
    x, y = fig.lines["relu"][1].get_data()            # the derivative breaks at the kink
    assert np.isnan(y[x == 0.0]).all()
    assert np.all(y[x > 0] == 1.0) and np.all(y[x < 0] == 0.0)
    x, y = fig.lines["elu"][1].get_data()              # ELU with alpha = 1 does not jump
    assert not np.isnan(y).any()
    r.close()


def test_comparison_draws_each_function_the_same_whatever_else_is_picked():
    """On the website each function is a layer, so nothing may depend on the other picks."""
    alone = _comparison(functions=("tanh",))
    crowd = _comparison(functions=tuple(demo.ACTIVATIONS))
    for r in (alone, crowd):
        assert r.live.ax_f.get_xlim() == (-4.0, 4.0)
    assert alone.live.ax_f.get_ylim() == crowd.live.ax_f.get_ylim()
    assert alone.live.ax_d.get_ylim() == crowd.live.ax_d.get_ylim()
    a_line, b_line = alone.live.lines["tanh"][0], crowd.live.lines["tanh"][0]
    np.testing.assert_array_equal(a_line.get_ydata(), b_line.get_ydata())
    a_key, b_key = alone.live.keys["tanh"], crowd.live.keys["tanh"]
    assert a_key[1].get_position() == b_key[1].get_position()
    np.testing.assert_array_equal(a_key[0].get_xydata(), b_key[0].get_xydata())
    # the layer of one function, as the website draws it, over the empty base frame
    base = alone.rgba({"x_range": 4.0, "functions": (), "leaky_alpha": 0.1}).copy()
    only = alone.rgba({"x_range": 4.0, "functions": ("tanh",), "leaky_alpha": 0.1}).copy()
    assert (base != only).any()
    alone.close()
    crowd.close()


def test_comparison_limits_follow_the_range_and_the_slope():
    r = _comparison(x_range=2.0, leaky_alpha=0.5, functions=("leaky_relu",))
    lo, hi = r.live.ax_f.get_ylim()
    assert lo < -1.0 and hi > 2.0
    r.rgba({"x_range": 8.0, "functions": ("leaky_relu",), "leaky_alpha": 0.5})
    assert r.live.ax_f.get_xlim() == (-8.0, 8.0) and r.live.ax_f.get_ylim()[0] < -4.0
    assert r.live.keys["leaky_relu"][1].get_text() == "Leaky ReLU (α=0.5)"
    r.close()


def test_comparison_hides_a_minimum_outside_the_range():
    r = _comparison(x_range=1.0, functions=("silu", "gelu"))
    marks = {n: [a for a in r.live.extras[n] if a.get_marker() == "o"][0]
             for n in ("silu", "gelu")}
    assert not marks["silu"].get_visible()           # z* = -1.28 is outside [-1, 1]
    assert marks["gelu"].get_visible()               # -0.75 is inside
    r.close()


def test_comparison_describes_the_slopes_and_rejects_bad_input():
    c = demo.Comparison()
    text = c.describe(x_range=4.0, functions=("sigmoid", "gelu"), leaky_alpha=0.1)
    assert "z from -4 to 4" in text and "sigmoid 0.018 and 0.018" in text
    assert "Minima: GELU -0.170 at z = -0.75" in text and "tanh" not in text
    assert "SiLU / Swish" in c.describe(x_range=2.0, functions=(), leaky_alpha=0.1)
    with pytest.raises(ValueError, match="Comparison: unknown activation 'swish'"):
        _comparison(functions=("swish",))
    with pytest.raises(ValueError, match="Comparison: expected x_range > 0"):
        _comparison(x_range=0.0)


def test_comparison_experiment_offers_every_function_on_the_website():
    exp = demo.comparison_experiment()
    assert exp.main == "functions"   # the check boxes are what a reader reaches for first
    pick = exp.controls["functions"]
    assert isinstance(pick, live.Pick) and pick.values() == list(demo.ACTIVATIONS)
    for name in ("x_range", "leaky_alpha"):
        assert len(exp.controls[name].grid()) >= 2
    assert len(exp.grid()) * (1 + len(pick.values())) <= live.MAX_FRAMES


def test_draw_families_is_the_live_figure_per_family():
    fig = demo.draw_families()
    assert len(fig.subfigs) == 3
    _labelled(fig)
    titles = [sf._suptitle.get_text() for sf in fig.subfigs]
    assert titles[0] == "saturating: sigmoid, tanh"
    with pytest.raises(ValueError, match="draw_families: expected x_range > 0"):
        demo.draw_families(x_range=-1.0)


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


def test_path_quantiles_are_ordered_cached_and_read_only():
    q = demo.path_quantiles("tanh", 1.0)
    assert q.shape == (3, 50) and np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    assert demo.path_quantiles("tanh", 1.0) is q and not q.flags.writeable
    p = demo.derivative_path_products("tanh", 50, 1.0, rng=0)
    np.testing.assert_allclose(q[1], np.median(p, axis=0))


def test_gradient_depth_figure_follows_the_controls():
    r = live.Renderer(demo.GradientDepth())
    r.rgba({"z_std": 1.0, "depth": 20})
    fig = r.live
    assert fig.ax.get_yscale() == "log" and fig.ax.get_xlim() == (1.0, 20.0)
    n, med = fig.medians["sigmoid"].get_data()
    np.testing.assert_array_equal(n, np.arange(1, 21))
    np.testing.assert_allclose(med, demo.path_quantiles("sigmoid", 1.0, seed=0)[1][:20])
    assert "std of $z$: 1" in fig.title.get_text()
    r.rgba({"z_std": 3.0, "depth": 40})
    assert fig.ax.get_xlim() == (1.0, 40.0) and "N = 40" in fig.title.get_text()
    text = fig.describe(z_std=3.0, depth=40)
    assert "std 3" in text and "sigmoid keeps more" in text
    r.close()
    with pytest.raises(ValueError, match="GradientDepth: expected depth <= 50, got 60"):
        live.Renderer(demo.GradientDepth()).rgba({"z_std": 1.0, "depth": 60})


def test_draw_depth_panels():
    fig = demo.draw_depth_panels((0.5, 2.0), depth=10)
    assert len(fig.subfigs) == 2
    _labelled(fig)
    with pytest.raises(ValueError, match="draw_depth_panels: expected at least one std"):
        demo.draw_depth_panels(())


# --- what the weights add -------------------------------------------------------------------
def test_a_matched_unit_amplifies_but_only_near_its_operating_point():
    w, x0 = 8.0, 0.3
    assert float(demo.unit_gain(w, -w * x0, x0)) == 2.0 == w / 4
    far = demo.unit_gain(w, -w * x0, np.array([x0 - 1.0, x0 + 1.0]))
    assert np.all(far < 0.01)


def test_mean_unit_gain_never_beats_the_bound_and_gets_close():
    bound = demo.gain_bound(std=1.0)
    assert bound == pytest.approx(1 / np.sqrt(2 * np.pi))
    for w in (0.3, 1.0, 5.0, 40.0):
        for b in (-3.0, 0.0, 2.0):
            assert demo.mean_unit_gain(w, b) <= bound
            assert demo.mean_unit_gain(w, b, activation="tanh") <= 2 * bound
    assert demo.mean_unit_gain(200.0) > 0.995 * bound
    assert demo.mean_unit_gain(-5.0) == pytest.approx(demo.mean_unit_gain(5.0))
    assert demo.gain_bound(std=0.5) == pytest.approx(2 * bound)


def test_mean_unit_gain_agrees_with_monte_carlo():
    x = np.random.default_rng(0).normal(0.5, 2.0, size=400_000)
    mc = float(np.mean(demo.unit_gain(3.0, -1.0, x)))
    assert demo.mean_unit_gain(3.0, -1.0, mean=0.5, std=2.0) == pytest.approx(mc, rel=0.01)
    with pytest.raises(ValueError, match="mean_unit_gain: unknown activation 'relu'"):
        demo.mean_unit_gain(1.0, activation="relu")
    with pytest.raises(ValueError, match="gain_bound: expected std > 0"):
        demo.gain_bound(std=0.0)


# --- the motivating problems ----------------------------------------------------------------
def test_fit_sine_trains_and_a_linear_network_stays_affine():
    X = np.linspace(-3, 3, 40)[:, None]
    y = np.sin(X)
    net, hist = demo.fit_sine(X, y, "tanh", hidden=(8, 8), steps=60, lr=0.05)
    assert hist.shape == (60,) and hist[-1] < hist[0] and len(net) == 5
    lin, _ = demo.fit_sine(X, y, "identity", hidden=8, steps=5)
    out = lin(np.linspace(-5, 5, 11)[:, None])[:, 0]
    np.testing.assert_allclose(np.diff(out, 2), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="fit_sine: expected steps >= 1"):
        demo.fit_sine(X, y, "tanh", steps=0)
    with pytest.raises(ValueError, match="fit_sine: expected at least one hidden layer"):
        demo.fit_sine(X, y, "tanh", hidden=())


def test_draw_sine_fits():
    X = np.linspace(-3, 3, 30)[:, None]
    y = np.sin(X)
    runs = {a: demo.fit_sine(X, y, a, hidden=4, steps=3) for a in ("identity", "relu", "gelu")}
    fig = demo.draw_sine_fits(X, y, runs)
    _labelled(fig)
    assert fig.axes[1].get_yscale() == "log"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == \
        ["data", "identity", "ReLU", "GELU"]
    with pytest.raises(ValueError, match="draw_sine_fits: expected at least one"):
        demo.draw_sine_fits(X, y, {})


def test_compare_on_digits_and_its_figure():
    r = demo.compare_on_digits(("sigmoid", "relu"), hidden=(8, 8), epochs=2)
    assert set(r) == {"sigmoid", "relu"}
    for res in r.values():
        assert len(res["history"].val_acc) == 2 and res["grad_norms"].shape == (3,)
        assert np.all(res["grad_norms"] > 0)
    fig = demo.draw_digits(r)
    _labelled(fig)
    assert fig.axes[1].get_yscale() == "log"
    with pytest.raises(ValueError, match="draw_digits: expected at least one"):
        demo.draw_digits({})


# --- zero-centred outputs -------------------------------------------------------------------
def test_same_sign_fraction():
    assert demo.same_sign_fraction("sigmoid", n_examples=30) == 1.0
    assert demo.same_sign_fraction("relu", n_examples=30) == 1.0
    assert demo.same_sign_fraction("tanh", n_examples=30) < 0.1
    with pytest.raises(ValueError, match="same_sign_fraction: expected n_examples >= 1"):
        demo.same_sign_fraction("tanh", n_examples=0)


def test_gd_steps_closed_form_matches_running_gradient_descent():
    rng = np.random.default_rng(1)
    Z = demo.random_features(rng.normal(size=(120, 5)), width=6, seed=2)
    Y = np.eye(3)[rng.integers(0, 3, size=120)]
    for A in (F.sigmoid(Z), np.tanh(Z / 2)):
        fit = demo.gd_steps_to_fit(A, Y, tol=0.01)
        run = demo.gd_losses(A, Y, steps=fit["steps"] + 5, tol=0.01)
        assert run["steps"] == fit["steps"]
        assert run["losses"][-1] >= fit["best_loss"] - 1e-12
    sig, tanh = (demo.gd_steps_to_fit(A, Y) for A in (F.sigmoid(Z), np.tanh(Z / 2)))
    assert sig["best_loss"] == pytest.approx(tanh["best_loss"], abs=1e-12)  # same fit
    assert sig["kappa"] > tanh["kappa"] and sig["steps"] > tanh["steps"]    # slower


# --- dead ReLUs -----------------------------------------------------------------------------
def test_dead_fraction_counts_units_that_never_fire():
    lin = Linear(1, 4, rng=0)
    lin.weight.data[:] = [[1.0], [1.0], [-1.0], [0.0]]
    lin.bias.data[:] = [0.0, -5.0, 0.0, -1.0]
    X = np.array([[-1.0], [2.0]])
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
    assert fig.axes[1].get_title() == "after 30 Adam steps"


# --- PReLU and softmax ----------------------------------------------------------------------
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


# --- figures fit a phone ---------------------------------------------------------------------
def test_figures_fit_the_column():
    X = np.linspace(-3, 3, 20)[:, None]
    figs = [demo.draw_families(), demo.draw_depth_panels(),
            demo.draw_sine_fits(X, np.sin(X), {"tanh": demo.fit_sine(X, np.sin(X), "tanh",
                                                                      hidden=2, steps=2)}),
            demo.draw_softmax_temperature(np.array([1.0, 0.0, -1.0]))]
    for fig in figs:
        assert fig.get_size_inches()[0] <= 7.6
    for exp in demo.EXPERIMENTS:
        assert exp().figure.size[0] <= 7.6
