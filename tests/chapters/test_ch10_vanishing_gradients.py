"""Tests of book.ch10_vanishing_gradients, the experiment code of Chapter 10 (Vanishing and
exploding gradients)."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch10_vanishing_gradients as vg  # noqa: E402
from book import live  # noqa: E402
from nnlib import probes  # noqa: E402
from nnlib.functional import sigmoid_grad  # noqa: E402
from nnlib.layers import Linear  # noqa: E402
from nnlib.losses import CrossEntropyLoss, MSELoss  # noqa: E402


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison)


# --- data and networks ------------------------------------------------------------------------
def test_probe_batch_is_the_first_training_images_and_read_only():
    X_tr, y_tr, *_ = vg.digits_split()
    X, y = vg.probe_batch()
    np.testing.assert_array_equal(X, X_tr[:vg.PROBE_SIZE])
    np.testing.assert_array_equal(y, y_tr[:vg.PROBE_SIZE])
    with pytest.raises(ValueError):
        X[0, 0] = 1.0


def test_digits_split_returns_copies():
    first = vg.digits_split()
    first[0][0, 0] = 99.0
    assert vg.digits_split()[0][0, 0] != 99.0


@pytest.mark.parametrize("activation", vg.ACTIVATIONS)
def test_scaled_mlp_multiplies_every_weight_and_keeps_biases_zero(activation):
    base = vg.scaled_mlp(5, activation, seed=3)
    scaled = vg.scaled_mlp(5, activation, scale=2.5, seed=3)
    linears = [(a, b) for a, b in zip(base, scaled, strict=True) if isinstance(a, Linear)]
    assert len(linears) == 5
    for a, b in linears:
        np.testing.assert_allclose(b.weight.data, 2.5 * a.weight.data, rtol=1e-15)
        assert not b.bias.data.any()
    assert scaled[0].weight.shape == (vg.WIDTH, 64) and scaled[-1].weight.shape == (10, vg.WIDTH)


def test_deeper_networks_extend_shallower_ones():
    short, deep = vg.scaled_mlp(4, "tanh"), vg.scaled_mlp(9, "tanh")
    for i in (0, 2, 4):                       # the three hidden Linear layers of depth 4
        np.testing.assert_array_equal(short[i].weight.data, deep[i].weight.data)


@pytest.mark.parametrize("kwargs, match", [
    (dict(depth=1), "depth"), (dict(depth=51), "depth"), (dict(depth=4, activation="gelu"),
                                                           "activation"),
    (dict(depth=4, scale=0.0), "scale"), (dict(depth=4, scale=-1.0), "scale")])
def test_scaled_mlp_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vg.scaled_mlp(**kwargs)


# --- per-layer measurements ------------------------------------------------------------------
def test_layer_profile_matches_nnlib_probes_directly():
    p = vg.layer_profile(7, "relu", 1.0)
    net = vg.scaled_mlp(7, "relu")
    X, y = vg.probe_batch()
    norms = probes.gradient_norms(net, X, y, CrossEntropyLoss())
    np.testing.assert_allclose(p.grad_norm, list(norms.values()), rtol=1e-12)
    stats = probes.activation_stats(net, X)
    stds = [s["std"] for k, s in stats.items() if k.endswith(":ReLU")]
    np.testing.assert_allclose(p.act_std, stds, rtol=1e-10)
    deltas = probes.error_signals(net, X, y, CrossEntropyLoss())
    np.testing.assert_allclose(p.delta_norm[0], np.linalg.norm(deltas["0:Linear"]), rtol=1e-12)
    assert p.grad_norm.shape == (7,) and p.act_std.shape == (6,) and p.loss > 0
    assert not p.grad_norm.flags.writeable


def test_layer_profile_shows_the_chapter_s_three_regimes():
    sig, relu, big = (vg.layer_profile(20, "sigmoid", 1.0), vg.layer_profile(20, "relu", 1.0),
                      vg.layer_profile(20, "relu", 2.0))
    step = (sig.grad_norm[0] / sig.grad_norm[-1]) ** (1 / 19)
    assert 0.2 < step < 0.3                                   # about sigma'(0) = 1/4 per layer
    assert relu.grad_norm.max() / relu.grad_norm.min() < 10
    assert (big.grad_norm / relu.grad_norm).min() > 1e4       # every layer explodes
    assert [vg.verdict(p) for p in (sig, relu, big)] == ["vanishing", "stable", "exploding"]


def test_layer_profile_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        vg.layer_profile(5, "softmax")
    with pytest.raises(ValueError, match="scale"):
        vg.layer_profile(5, "relu", 0.0)
    with pytest.raises(TypeError, match="depth"):
        vg.layer_profile(5.5, "relu")


def test_extreme_settings_stay_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for activation in vg.ACTIVATIONS:
            for scale in (0.25, 16.0):
                p = vg.layer_profile(vg.MAX_DEPTH, activation, scale)
                assert np.all(np.isfinite(p.grad_norm)) and np.all(p.grad_norm > 0)


def test_verdict_thresholds():
    def profile(norms):
        return vg.LayerProfile(np.array(norms), np.array(norms), np.ones(len(norms) - 1), 1.0)

    assert vg.verdict(profile([1e-4, 0.5])) == "vanishing"
    assert vg.verdict(profile([1e-5, 1e-5])) == "vanishing"          # tiny everywhere
    assert vg.verdict(profile([2e3, 1.0])) == "exploding"
    assert vg.verdict(profile([5e3, 5e3])) == "exploding"            # huge everywhere
    assert vg.verdict(profile([0.2, 0.5])) == "stable"


# --- the Jacobian chain and its bound -------------------------------------------------------
def test_product_of_jacobians_is_the_backward_pass():
    net = vg.scaled_mlp(5, "sigmoid", seed=2)
    X, y = vg.probe_batch()
    x, label = X[3:4], y[3:4]
    Z = list(probes.pre_activations(net, x).values())
    Ws = [m.weight.data for m in net if isinstance(m, Linear)]
    deltas = list(v for k, v in probes.error_signals(net, x, label, CrossEntropyLoss()).items()
                  if k.endswith(":Linear"))
    delta = deltas[-1][0]
    for k in range(3, -1, -1):
        delta = np.diag(sigmoid_grad(Z[k][0])) @ Ws[k + 1].T @ delta
        np.testing.assert_allclose(delta, deltas[k][0], rtol=1e-11)


@pytest.mark.parametrize("weight, layers", [(1.0, 10), (8.0, 10), (4.0, 6), (2.0, 3)])
def test_sigmoid_chain_attains_the_bound(weight, layers):
    net = vg.sigmoid_chain(weight, layers)
    assert len(net) == 2 * layers + 1
    d = list(probes.error_signals(net, np.array([[0.5]]), np.array([[1.0]]), MSELoss()).values())
    np.testing.assert_allclose(d[0][0, 0] / d[-1][0, 0], (weight / 4) ** layers, rtol=1e-12)


def test_measured_factor_never_exceeds_the_bound():
    net = vg.scaled_mlp(8, "tanh", scale=3.0, seed=1)
    X, y = vg.probe_batch()
    records = probes.trace(net, X, y, CrossEntropyLoss())
    lin = [r for r in records.values() if isinstance(r.layer, Linear)]
    hid = [r for r in records.values() if r.layer.is_activation]
    for k in range(7):
        ratio = np.linalg.norm(lin[k].delta) / np.linalg.norm(lin[k + 1].delta)
        bound = np.linalg.norm(lin[k + 1].layer.weight.data, 2) * \
            (1 - np.tanh(hid[k].input) ** 2).max()
        assert ratio <= bound * (1 + 1e-12)


# --- eigenvalues and singular values ---------------------------------------------------------
def test_power_norms_of_the_nonnormal_example():
    A = np.array([[0.9, 5.0], [0.0, 0.9]])
    norms = vg.power_norms(A, 60)
    for k in (0, 1, 7, 30):
        np.testing.assert_allclose(norms[k], np.linalg.norm(np.linalg.matrix_power(A, k), 2),
                                   rtol=1e-12)
    assert np.argmax(norms) == 9 and norms.max() > 19
    assert np.all(norms <= np.linalg.norm(A, 2) ** np.arange(61) * (1 + 1e-12))


def test_power_norms_rejects_a_rectangular_matrix():
    with pytest.raises(ValueError, match="square"):
        vg.power_norms(np.ones((2, 3)), 3)


def test_draw_nonnormal_is_labelled_and_fits_the_column():
    fig = vg.draw_nonnormal(k_max=30)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    assert fig.axes[0].get_title()
    plt.close(fig)


# --- clipping and training ------------------------------------------------------------------
def test_angle():
    assert vg.angle([np.array([1.0, 0.0])], [np.array([0.0, 2.0])]) == pytest.approx(90.0)
    assert vg.angle(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == pytest.approx(0.0, abs=1e-12)
    assert vg.angle(np.array([1.0, 0.0]), np.array([-3.0, 0.0])) == pytest.approx(180.0)
    with pytest.raises(ValueError, match="zero"):
        vg.angle(np.zeros(2), np.ones(2))


def test_value_clipping_angles_tend_to_the_sign_direction():
    g = [np.array([5.0, -0.2, 1.0]), np.array([[0.05, 3.0]])]
    flat = np.concatenate([a.ravel() for a in g])
    angles, clipped = vg.value_clipping_angles(g, [1e-6, 0.5, 10.0])
    assert angles[2] == pytest.approx(0.0, abs=1e-12) and clipped[2] == 0.0
    assert angles[0] == pytest.approx(vg.angle(flat, np.sign(flat)), rel=1e-4)
    assert clipped.tolist() == [1.0, 0.6, 0.0]


def test_draw_value_clipping_is_labelled():
    fig = vg.draw_value_clipping([np.array([3.0, 1.0, -0.1])], [0.01, 0.1, 1.0, 10.0])
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)


def test_digits_run_records_every_step_and_learns_with_relu():
    run = vg.digits_run("relu", depth=3, lr=0.1, epochs=3)
    assert run.val_acc.shape == (3,) and run.moved.shape == (3,) and run.grad_norm_init.shape \
        == (3,)
    assert len(run.step_norm) == 3 * 40 and run.diverged_step is None
    assert run.val_acc[-1] > 0.6 and 0 <= run.test_acc <= 1


def test_digits_run_clips_to_the_threshold():
    run = vg.digits_run("relu", depth=4, scale=2.0, lr=0.05, epochs=1, max_norm=1.0)
    assert run.step_norm.max() > 1.0 and run.diverged_step is None      # norms before clipping


def test_digits_run_records_a_divergence_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = vg.digits_run("relu", depth=10, scale=2.0, lr=0.05, epochs=2)
    assert run.diverged_step is not None and np.isnan(run.test_acc)
    assert np.isnan(run.val_acc).all()


def test_digits_run_rejects_bad_arguments():
    with pytest.raises(ValueError, match="lr"):
        vg.digits_run("relu", depth=3, lr=-0.1, epochs=1)
    with pytest.raises(ValueError, match="max_norm"):
        vg.digits_run("relu", depth=3, epochs=1, max_norm=0.0)


def test_training_figures_are_labelled_and_fit_the_column():
    runs = [vg.digits_run("relu", depth=3, epochs=2),
            vg.digits_run("sigmoid", depth=3, epochs=2)]
    fig = vg.draw_digits_runs(runs)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    clipping = [vg.digits_run("relu", depth=10, scale=2.0, lr=0.05, epochs=2),
                vg.digits_run("relu", depth=3, epochs=2, max_norm=1.0)]
    fig = vg.draw_clipping_runs(clipping)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    legend = " ".join(t.get_text() for t in fig.axes[1].get_legend().get_texts())
    assert "diverged at step" in legend
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        vg.draw_digits_runs([])


# --- the live experiment ---------------------------------------------------------------------
def test_log2_slider_offers_powers_of_two_and_a_base_2_widget():
    s = vg.Log2Slider(lo=0.25, hi=16.0, per_octave=2, value=1.0, web=vg.WEB_SCALES)
    values = s.values()
    assert len(values) == 13 and values[0] == 0.25 and values[-1] == 16.0
    assert all(v in values for v in vg.WEB_SCALES)
    w = s.widget()
    assert w.base == 2.0 and w.value == 1.0 and w.min == -2.0 and w.max == 4.0


def test_experiment_grid_and_defaults():
    exp = vg.gradient_scale_experiment()
    assert len(exp.grid()) == 147 <= live.MAX_FRAMES
    assert exp.defaults == {"depth": 20, "activation": "sigmoid", "scale": 1.0}


def test_live_figure_axes_fit_every_depth_and_follow_the_controls():
    r = live.Renderer(vg.GradientScale())
    r.rgba({"depth": 30, "activation": "relu", "scale": 16.0})
    ax_g, ax_a = r.live.ax_g, r.live.ax_a
    lo, hi = ax_g.get_ylim()
    for depth in (2, 13, 30):
        p = vg.layer_profile(depth, "relu", 16.0)
        assert lo <= p.grad_norm.min() and p.grad_norm.max() <= hi
        assert ax_a.get_ylim()[0] <= p.act_std.min() and p.act_std.max() <= ax_a.get_ylim()[1]
    assert r.live.headline.get_text().startswith("Exploding")
    assert ax_g.get_xlabel() and ax_g.get_ylabel() and ax_a.get_ylabel()
    r.close()


@pytest.mark.parametrize("activation, scale", [("sigmoid", 0.25), ("tanh", 4.0),
                                               ("relu", 0.5)])
def test_live_figure_limits_contain_every_depth(activation, scale):
    (g_lo, g_hi), (a_lo, a_hi) = vg._limits(activation, scale)
    for depth in range(2, vg.MAX_DEPTH + 1):
        p = vg.layer_profile(depth, activation, scale)
        assert g_lo <= p.grad_norm.min() and p.grad_norm.max() <= g_hi
        assert a_lo <= p.act_std.min() and p.act_std.max() <= a_hi


def test_describe_names_the_values_and_the_verdict():
    text = vg.GradientScale().describe(depth=20, activation="tanh", scale=4.0)
    assert "depth 20" in text and "tanh" in text and "4 times" in text and "exploding" in text


def test_static_figure_has_two_panels_per_setting_and_fits_the_column():
    fig = vg.draw_gradient_scales([(6, "sigmoid", 1.0), (6, "relu", 2.0)])
    assert len(fig.axes) == 4 and fig.get_size_inches()[0] <= 7.6
    assert _labelled(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="depth"):
        vg.draw_gradient_scales([(31, "relu", 1.0)])
