"""Tests of book.ch11_initialisation, the experiment functions of Chapter 11 (Initialisation)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch11_initialisation as ini  # noqa: E402
from book import live  # noqa: E402
from nnlib.layers import mlp  # noqa: E402


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison and ax.get_label() != "<colorbar>")


# --- data ------------------------------------------------------------------------------------
def test_digits_split_is_standardised_and_read_only():
    s = ini.digits_split()
    assert s.X_train.shape[1] == 64 and len(s.X_train) + len(s.X_val) + len(s.X_test) == 1797
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0.0, atol=1e-12)
    stds = s.X_train.std(axis=0)
    assert np.all((np.abs(stds - 1) < 1e-12) | (stds == 0))     # constant pixels stay 0
    with pytest.raises(ValueError):
        s.X_train[0, 0] = 1.0


def test_probe_batch_is_the_first_training_digits():
    X, y = ini.probe_batch(8)
    np.testing.assert_array_equal(X, ini.digits_split().X_train[:8])
    assert y.dtype.kind == "i"
    with pytest.raises(ValueError, match="probe_batch"):
        ini.probe_batch(0)


# --- the schemes -----------------------------------------------------------------------------
@pytest.mark.parametrize("scheme, var_times_n", [("he", 2.0), ("lecun", 1.0), ("torch", 1 / 3)])
def test_scheme_std_is_the_square_root_of_the_variance(scheme, var_times_n):
    assert math.isclose(ini.scheme_std(scheme, 100) ** 2, var_times_n / 100)


def test_scheme_std_rejects_an_unknown_scheme():
    with pytest.raises(ValueError, match="scheme"):
        ini.scheme_std("glorot")


def test_compare_choices_name_known_schemes():
    for _, shown in ini.COMPARE.values():
        assert set(shown) <= set(ini.SCHEMES)


def test_std_stops_are_the_log_slider_of_the_experiment():
    assert ini.STD_STOPS[0] == 0.01 and ini.STD_STOPS[-1] == 1.0 and len(ini.STD_STOPS) == 17
    assert ini._stop(10 ** -1.875) in ini.STD_STOPS     # a widget's value maps onto a stop


# --- the 50-layer measurements ---------------------------------------------------------------
def test_signal_profile_shapes_and_cache():
    p = ini.signal_profile("relu", scheme="he")
    assert p.act_std.shape == (ini.DEPTH - 1,) and p.grad_norm.shape == (ini.DEPTH,)
    assert p.z_std.shape == p.delta_std.shape == (ini.DEPTH,)
    assert ini.signal_profile("relu", scheme="he") is p
    with pytest.raises(ValueError):
        p.act_std[0] = 0.0


@pytest.mark.parametrize("std", [0.01, 1.0])
def test_relu_activation_std_changes_by_the_predicted_factor_per_layer(std):
    p = ini.signal_profile("relu", std=std)
    predicted = math.sqrt(ini.WIDTH * std ** 2 / 2)
    assert abs(ini.per_layer_factor(p.act_std) / predicted - 1) < 0.05
    # every layer's gradient collects D - 1 factors: the same order of magnitude everywhere
    assert p.grad_norm.max() / p.grad_norm.min() < 10


def test_he_is_steady_and_the_small_and_large_stds_are_not():
    he = ini.signal_profile("relu", scheme="he")
    assert he.act_std.max() / he.act_std.min() < 10
    assert he.grad_norm.max() / he.grad_norm.min() < 10
    assert ini.signal_profile("relu", std=0.01).act_std[-1] < 1e-50
    assert ini.signal_profile("relu", std=1.0).act_std[-1] > 1e30


def test_lecun_keeps_selu_near_its_fixed_point():
    p = ini.signal_profile("selu", scheme="lecun")
    assert np.all((p.act_std > 0.8) & (p.act_std < 1.2))


def test_saturated_tanh_has_steady_activations_and_exploding_gradients():
    p = ini.signal_profile("tanh", std=1.0)
    assert p.act_std.max() < 1 and p.act_std.min() > 0.9
    assert p.grad_norm[0] / p.grad_norm[-1] > 1e10


def test_signal_profile_rejects_bad_arguments():
    with pytest.raises(ValueError, match="either std or scheme"):
        ini.signal_profile("relu")
    with pytest.raises(ValueError, match="either std or scheme"):
        ini.signal_profile("relu", std=0.1, scheme="he")
    with pytest.raises(ValueError, match="activation"):
        ini.signal_profile("softsign", std=0.1)
    with pytest.raises(ValueError, match="std"):
        ini.signal_profile("relu", std=-1.0)
    with pytest.raises(ValueError, match="depth"):
        ini.signal_profile("relu", std=0.1, depth=1)


def test_per_layer_factor():
    assert ini.per_layer_factor([2.0, 4.0, 8.0]) == 2.0
    with pytest.raises(ValueError, match="per_layer_factor"):
        ini.per_layer_factor([1.0])
    with pytest.raises(ValueError, match="per_layer_factor"):
        ini.per_layer_factor([1.0, 0.0])


# --- the digits network from three starts ----------------------------------------------------
def test_zero_start_never_moves_a_weight_and_he_learns():
    net0, h0 = ini.train_deep_digits("zeros", depth=4, epochs=3)
    for name, p in net0.named_parameters():
        if "weight" in name:
            assert np.all(p.data == 0), name
    assert np.allclose(h0.train_loss, math.log(10), atol=0.02)
    _, h_he = ini.train_deep_digits("he", depth=4, epochs=3)
    assert h_he.val_acc[-1] > 0.8


def test_train_deep_digits_accepts_an_initializer_and_rejects_bad_starts():
    net, h = ini.train_deep_digits(ini._normal_std(0.05), depth=2, epochs=1)
    assert h.epochs == 1 and net[0].weight.data.shape == (64, 64)
    with pytest.raises(ValueError, match="start"):
        ini.train_deep_digits("glorot")
    with pytest.raises(TypeError, match="start"):
        ini.train_deep_digits(3)


def test_draw_init_training_labels_both_panels():
    hs = {k: ini.train_deep_digits(k, depth=2, epochs=2)[1] for k in ini.DIGITS_INITS}
    fig = ini.draw_init_training(hs)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    assert len(fig.axes[1].get_legend().get_texts()) == 3
    plt.close(fig)
    with pytest.raises(ValueError, match="draw_init_training"):
        ini.draw_init_training({"glorot": hs["he"]})


# --- symmetry --------------------------------------------------------------------------------
@pytest.mark.parametrize("start", ["zeros", "bias"])
def test_symmetric_starts_keep_identical_units(start):
    # 32 units: every unit falls into a full block of the BLAS kernels, so that the units are
    # computed alike to the last bit (with some other sizes round-off breaks the tie)
    net, h = ini.train_symmetry(start, hidden=32, epochs=2)
    assert ini.weight_spread(net) == {"W1": 0.0, "b1": 0.0, "W2": 0.0}
    assert np.abs(net[0].weight.data).max() > 0           # yet the weights did change


def test_a_round_off_sized_asymmetry_grows():
    _, _, W1s = ini.train_symmetry("tiny", epochs=8, snapshots=True)
    spread = np.abs(W1s - W1s[:, :1]).max(axis=(1, 2))
    assert spread[0] < 1e-13 and spread[-1] > 1e3 * spread[1]


@pytest.mark.parametrize("start", ["xavier", "random_bias"])
def test_random_starts_give_different_units(start):
    net, _ = ini.train_symmetry(start, hidden=6, epochs=3)
    spread = ini.weight_spread(net)
    assert spread["W1"] > 0.1 and spread["W2"] > 0.1


def test_train_symmetry_snapshots_and_bad_start():
    net, h, W1s = ini.train_symmetry("zeros", hidden=4, epochs=2, snapshots=True)
    assert W1s.shape == (3, 4, 64) and np.all(W1s[0] == 0)
    np.testing.assert_array_equal(W1s[-1], net[0].weight.data)
    with pytest.raises(ValueError, match="start"):
        ini.train_symmetry("ones")


def test_symmetry_snapshots_are_cached_and_read_only():
    W1s, acc = ini.symmetry_snapshots("zeros")
    assert W1s.shape == (ini.SYMMETRY_EPOCHS + 1, 32, 64) and np.isnan(acc[0])
    assert np.all(W1s[-1] == W1s[-1][0]) and ini.symmetry_snapshots("zeros")[0] is W1s
    with pytest.raises(ValueError):
        W1s[0, 0, 0] = 1.0


def test_mosaic_places_each_tile():
    W = np.arange(3 * 64, dtype=float).reshape(3, 64)
    m = ini._mosaic(W, ncols=2, pixel=2, gap=1)
    assert m.shape == (2 * 16 + 1, 2 * 16 + 1)
    np.testing.assert_array_equal(m[:16:2, 17::2], W[1].reshape(8, 8))
    np.testing.assert_array_equal(m[17::2, :16:2], W[2].reshape(8, 8))
    assert np.all(np.isnan(m[16])) and np.all(np.isnan(m[17:, 17:]))


def test_draw_hidden_units_and_bad_network():
    net, h = ini.train_symmetry("xavier", hidden=8, epochs=1)
    fig = ini.draw_hidden_units({"a": net, "b": net}, n_units=8, accuracies={"a": 0.5, "b": 0.5})
    assert len(fig.axes) == 16 and fig.get_size_inches()[0] <= 7.6
    assert "50%" in fig.subfigs[0]._suptitle.get_text()
    plt.close(fig)
    with pytest.raises(ValueError, match="64 inputs"):
        ini.draw_hidden_units({"x": mlp([10, 4, 2], rng=0)}, n_units=4)


# --- the slip ---------------------------------------------------------------------------------
def test_slip_profiles_are_off_by_a_square_root():
    p = ini.slip_profiles(width=64, depth=6, m=300)
    v = 2 / 128
    np.testing.assert_allclose(p["std_as_var"].z_std[0] / p["correct"].z_std[0], v ** -0.25,
                               rtol=1e-9)
    assert abs(ini.per_layer_factor(p["var_as_std"].z_std) / math.sqrt(64 * v ** 2) - 1) < 0.1
    assert p["std_as_var"].saturated.mean() > 0.2 > p["correct"].saturated.max()
    with pytest.raises(ValueError, match="width"):
        ini.slip_profiles(width=1)


def test_draw_slip_labels_and_rejects_missing_settings():
    p = ini.slip_profiles(width=32, depth=3, m=100)
    fig = ini.draw_slip(p)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    with pytest.raises(ValueError, match="draw_slip"):
        ini.draw_slip({"correct": p["correct"]})


# --- the live figures -------------------------------------------------------------------------
def test_deep_signal_notes_and_compare_menu():
    r = live.Renderer(ini.DeepSignal())
    r.rgba({"std": 0.01, "activation": "relu", "compare": "none"})
    fig = r.live
    assert fig.notes[0].get_text() == "activation std: ×0.057 per layer"
    assert not any(line.get_visible() for pair in fig.refs.values() for line in pair)
    r.rgba({"std": 0.01, "activation": "relu", "compare": "all"})
    assert all(line.get_visible() for pair in fig.refs.values() for line in pair)
    assert all(ax.get_xlabel() for ax in fig.axes)
    r.close()


def test_deep_signal_description_names_the_values():
    text = ini.DeepSignal().describe(std=0.0133352, activation="tanh", compare="he")
    assert "0.0133352" in text and "tanh" in text and "He" in text


def test_draw_deep_signal_default_panels_and_bad_settings():
    fig = ini.draw_deep_signal()
    assert len(fig.axes) == 6 and fig.get_size_inches()[0] <= 7.6
    assert all(ax.get_xlabel() == "layer $l$" for ax in fig.axes)
    plt.close(fig)
    with pytest.raises(ValueError, match="compare"):
        ini.draw_deep_signal([{"std": 0.1, "activation": "relu", "compare": ("he",)}])
    with pytest.raises(ValueError, match="activation"):
        ini.draw_deep_signal([{"std": 0.1, "activation": "gelu", "compare": "he"}])


def test_symmetry_figure_colours_and_description():
    r = live.Renderer(ini.SymmetryTraining())
    r.rgba({"epoch": 20, "start": "zeros"})
    rgba = r.live.image.get_array()
    assert rgba.shape == (65, 263, 4) and rgba.dtype == np.uint8
    tiles = [rgba[:32, c * 33:c * 33 + 32] for c in range(8)]
    assert all(np.array_equal(t, tiles[0]) for t in tiles)     # identical units
    assert len(np.unique(tiles[0].reshape(-1, 4), axis=0)) > 10  # but not blank
    r.close()
    text = ini.SymmetryTraining().describe(epoch=20, start="bias")
    assert "epoch 20" in text and "exactly the same weights" in text
    text = ini.SymmetryTraining().describe(epoch=0, start="xavier")
    assert "before training" in text and "differ by up to" in text


def test_experiments_fit_the_website_budget():
    sizes = {make().name: len(make().grid()) for make in ini.EXPERIMENTS}
    assert sizes == {"deep-signal": 9 * 3 * 5, "symmetry": 21 * 4}
