"""Tests of book.ch15_normalisation, the experiment functions of Chapter 15 (Normalisation)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import book.ch15_normalisation as ch  # noqa: E402
from book import live  # noqa: E402
from nnlib.core import Sequential  # noqa: E402
from nnlib.normalization import BatchNorm1d, LayerNorm  # noqa: E402
from nnlib.plot import COLORS  # noqa: E402


def _labelled(fig):
    """Every visible axes with a frame has an x and a y label."""
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison)


# --- the network and the training runs -----------------------------------------------------
def test_make_mlp_layers_and_shared_initial_weights():
    nets = {n: ch.make_mlp(n, width=8, depth=3, seed=4) for n in ch.NORMS}
    kinds = {n: [type(layer).__name__ for layer in net] for n, net in nets.items()}
    assert kinds["none"] == ["Linear", "ReLU"] * 3 + ["Linear"]
    assert kinds["batch"].count("BatchNorm1d") == 3 and kinds["layer"].count("LayerNorm") == 3
    assert nets["batch"][0].bias is None and nets["none"][0].bias is not None
    for net in nets.values():       # the same weights for the three networks of a seed
        np.testing.assert_array_equal(net[0].weight.data, nets["none"][0].weight.data)
        np.testing.assert_array_equal(net[-1].weight.data, nets["none"][-1].weight.data)
    assert not np.array_equal(ch.make_mlp("none", 8, 3, seed=5)[0].weight.data,
                              nets["none"][0].weight.data)


@pytest.mark.parametrize("bad", ["group", None, "Batch"])
def test_make_mlp_rejects_an_unknown_normalisation(bad):
    with pytest.raises(ValueError, match=r"make_mlp: expected norm to be one of"):
        ch.make_mlp(bad)


def test_train_run_is_cached_read_only_and_learns():
    run = ch.train_run("batch", 0.1, epochs=3)
    assert run is ch.train_run("batch", 0.1, epochs=3)
    assert run.train_loss.shape == (3,) and run.weight_norm.shape == (4,)
    assert run.train_loss[-1] < run.train_loss[0] and run.final_acc > 0.8
    with pytest.raises(ValueError):
        run.val_acc[0] = 0.0
    net = ch.trained_network("batch", 0.1, epochs=3)
    assert not net.training
    np.testing.assert_array_equal(net[0].weight.data, run.state["0.weight"])
    net[0].weight.data[:] = 0.0                           # a copy: the cache is unharmed
    assert np.abs(ch.train_run("batch", 0.1, epochs=3).state["0.weight"]).max() > 0


def test_train_run_records_a_divergence_without_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = ch.train_run("none", 1e8, epochs=2)
    assert run.diverged and run.final_acc == 0.0
    assert np.all(np.isnan(run.train_loss))      # it diverged in the first epoch


@pytest.mark.parametrize("kwargs, match", [
    (dict(norm="none", lr=0.0), "lr"),
    (dict(norm="none", lr=0.1, batch_size=1), "batch_size"),
    (dict(norm="nope", lr=0.1), "norm"),
])
def test_train_run_checks_its_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ch.train_run(**kwargs)


def test_learning_rate_grid_is_the_sliders():
    assert ch.LR_GRID[0] == 0.01 and ch.LR_GRID[-1] == 10.0 and len(ch.LR_GRID) == 7
    assert 1.0 in ch.LR_GRID and ch.LR_SLIDER.value == 1.0
    assert ch._fmt_lr(ch.LR_GRID[1]) == "0.032" and ch._fmt_lr(1.0) == "1"


# --- the learning-rate figure, on synthetic curves (no training) -----------------------------
def _synthetic_curves(diverged_at=None):
    curves = {}
    for k, norm in enumerate(ch.NORMS):
        for lr in ch.LR_GRID:
            loss = np.linspace(2.0, 0.1 + k, ch.EPOCHS)
            acc = np.linspace(0.5, 0.9 - 0.1 * k, ch.EPOCHS)
            diverged = norm == "none" and diverged_at is not None and lr >= 3
            if diverged:
                loss[diverged_at:] = np.nan
                acc[diverged_at:] = np.nan
            curves[norm, float(lr)] = (loss, acc, 0.0 if diverged else float(acc[-1]),
                                       diverged)
    return curves


def test_learning_rate_figure_shows_the_picked_networks_and_marks_divergence():
    fig = ch.LearningRate(_synthetic_curves(diverged_at=2))
    r = live.Renderer(fig)
    r.rgba({"lr": ch.LR_GRID[5], "norms": ("none", "batch")})
    assert fig.loss_lines["none"].get_visible() and not fig.loss_lines["layer"].get_visible()
    x, y = fig.crosses["none"].get_data()
    assert list(x) == [3] and y[0] < ch._LOSS_YLIM[1]     # after 2 completed epochs
    r.rgba({"lr": 1.0, "norms": ch.NORMS})
    assert len(fig.crosses["none"].get_xdata()) == 0
    text = fig.describe(lr=ch.LR_GRID[5], norms=ch.NORMS)
    assert "no normalisation diverged" in text and "η = 3.2" in text
    assert all(ax.get_xlabel() == "epoch" and ax.get_ylabel() for ax in r.fig.axes)
    r.close()


# --- batch statistics ------------------------------------------------------------------------
def test_population_and_followed_digit():
    pop = ch.unit_population()
    assert pop.z.shape == (1797,) and not pop.z.flags.writeable
    assert math.isclose(pop.mean, pop.z.mean()) and math.isclose(pop.var, pop.z.var())
    assert abs((pop.z[pop.example] - pop.mean) / math.sqrt(pop.var) - 1.5) < 0.01


@pytest.mark.parametrize("m", [3, 8, 50])
def test_batch_statistics_follow_the_theory(m):
    s = ch.batch_statistics(m, n=4000, seed=1)
    assert abs(s.means.std() * math.sqrt(m) - 1) < 0.06            # sigma / sqrt(m)
    assert abs(s.variances.mean() / ((m - 1) / m) - 1) < 0.05       # biased by (m - 1)/m
    assert np.all(np.abs(s.x_hat) <= math.sqrt(m - 1) + 1e-9)      # the bound of exercise 1
    assert s.means.shape == s.variances.shape == s.x_hat.shape == (4000,)


def test_batch_statistics_noise_shrinks_and_is_cached():
    small, large = ch.batch_statistics(4), ch.batch_statistics(256)
    assert small.x_hat.std() > 3 * large.x_hat.std()
    assert abs(large.x_hat.mean() - large.eval_x_hat) < 0.05
    assert ch.batch_statistics(4) is small
    with pytest.raises(ValueError):
        small.means[0] = 1.0


@pytest.mark.parametrize("bad", [1, 0, 2.5])
def test_batch_statistics_needs_two_examples(bad):
    with pytest.raises((ValueError, TypeError), match="batch_statistics"):
        ch.batch_statistics(bad)


def test_batch_noise_figure_moves_the_average_with_the_divisor():
    fig = ch.BatchNoise()
    r = live.Renderer(fig)
    r.rgba({"m": 4, "divisor": "m"})
    biased = fig.average.get_ydata()[0]
    assert abs(fig.expect.get_ydata()[0] - 0.75) < 1e-12
    r.rgba({"m": 4, "divisor": "m-1"})
    unbiased = fig.average.get_ydata()[0]
    assert math.isclose(unbiased, biased * 4 / 3) and fig.expect.get_ydata()[0] == 1.0
    assert np.allclose(fig.spread[1].get_xdata(), 0.5)
    assert "m = 4" in fig.describe(m=4, divisor="m-1") and "m - 1" in fig.describe(
        m=4, divisor="m-1")
    assert _labelled(r.fig)
    r.close()


# --- static figures --------------------------------------------------------------------------
def _shaded_cells(ax, color):
    return sum(1 for p in ax.patches if to_hex(p.get_facecolor()) == color.lower())


def test_norm_axes_shades_the_right_sets():
    fig = ch.draw_norm_axes()
    axes = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    m, C, L = ch._BLOCK["m"], ch._BLOCK["C"], ch._BLOCK["L"]
    group = C // ch._BLOCK["groups"]
    blue, light = COLORS[0], COLORS[5]
    assert _shaded_cells(axes["Batch norm"], blue) == L + m           # front column, top column
    assert _shaded_cells(axes["Layer norm"], blue) == C * L + C + L   # front face, first slices
    assert _shaded_cells(axes["RMSNorm"], light) == C * L + C + L
    assert _shaded_cells(axes["Group norm (G = 2)"], blue) == group * L + group
    assert _shaded_cells(axes["Instance norm"], blue) == L + 1
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)


def test_static_figures_have_labelled_axes():
    for fig in (ch.draw_motivation(lr=0.1), ch.draw_batch_noise((4, 16))):
        assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
        plt.close(fig)


# --- recalibration ---------------------------------------------------------------------------
def test_recalibrate_averages_the_statistics_of_the_new_data():
    rng = np.random.default_rng(0)
    net = Sequential(BatchNorm1d(3, momentum=0.3), LayerNorm(3))
    X = rng.normal(5.0, 2.0, size=(60, 3))
    out = ch.recalibrate(net, X, batch_size=20)
    assert out is net and not net.training and net[0].momentum == 0.3
    np.testing.assert_allclose(net[0].running_mean, X.mean(axis=0))
    unbiased = np.mean([X[i:i + 20].var(axis=0, ddof=1) for i in (0, 20, 40)], axis=0)
    np.testing.assert_allclose(net[0].running_var, unbiased)
    assert net[0].num_batches_tracked == 3


def test_recalibrate_skips_a_last_batch_of_one():
    net = Sequential(BatchNorm1d(2))
    X = np.arange(10.0).reshape(5, 2)
    ch.recalibrate(net, X, batch_size=4)                  # 4 + 1: the single row is skipped
    np.testing.assert_allclose(net[0].running_mean, X[:4].mean(axis=0))
    with pytest.raises(ValueError, match="batch_size"):
        ch.recalibrate(net, X, batch_size=1)


def test_learning_rate_figure_accepts_the_widgets_float_values():
    """The notebook's FloatLogSlider gives 10 ** 0.5 = 3.1622776..., not the grid's 3.16228."""
    fig = ch.LearningRate(_synthetic_curves(diverged_at=2))
    r = live.Renderer(fig)
    a = r.rgba({"lr": 10 ** 0.5, "norms": ch.NORMS}).copy()
    b = r.rgba({"lr": ch.LR_GRID[5], "norms": ch.NORMS})
    np.testing.assert_array_equal(a, b)
    assert fig.describe(lr=10 ** -0.5, norms=()) == fig.describe(lr=ch.LR_GRID[3], norms=())
    assert ch._grid_lr(0.0999) == 0.1
    r.close()
