"""Tests of book.ch08_losses, the experiment functions of Chapter 8 (Losses and maximum
likelihood)."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch08_losses as ch  # noqa: E402
from book import live  # noqa: E402
from nnlib.core import Sequential  # noqa: E402
from nnlib.functional import sigmoid  # noqa: E402
from nnlib.layers import Softmax, mlp  # noqa: E402
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, HuberLoss  # noqa: E402


def _labelled(fig):
    """Every axes has a y label, and an x label or shares its x axis with one that has."""
    def x_labelled(ax):
        return any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax))

    return all(ax.get_ylabel() and x_labelled(ax) for ax in fig.axes
               if ax.get_visible() and ax.axison)


# --- the regression data and the three line fits ------------------------------------------
def test_line_data_is_nested_read_only_and_has_its_outliers_on_the_right():
    clean, ten, twenty = (ch.line_data(f) for f in (0.0, 0.1, 0.2))
    np.testing.assert_array_equal(clean.x, ten.x)
    assert (clean.outlier.sum(), ten.outlier.sum(), twenty.outlier.sum()) == (0, 6, 12)
    assert np.all(twenty.outlier[ten.outlier])                 # 10 % are among the 20 %
    np.testing.assert_array_equal(ten.y[~ten.outlier], clean.y[~ten.outlier])
    assert np.all(ten.x[ten.outlier] > 4) and np.all(ten.y[ten.outlier] < clean.y[ten.outlier])
    with pytest.raises(ValueError):
        ten.y[0] = 0.0
    resid = clean.y - (ch.TRUE_LINE[0] + ch.TRUE_LINE[1] * clean.x)
    assert 0.3 < resid.std() < 0.7                             # noise std 0.5


@pytest.mark.parametrize("bad", [-0.1, 0.6])
def test_line_data_rejects_impossible_fractions(bad):
    with pytest.raises(ValueError, match="fraction of outliers"):
        ch.line_data(bad)


def test_fit_line_least_squares_is_lstsq():
    d = ch.line_data(0.1)
    A = np.column_stack([np.ones_like(d.x), d.x])
    np.testing.assert_allclose(ch.fit_line(d.x, d.y), np.linalg.lstsq(A, d.y, rcond=None)[0])


def test_fit_line_absolute_is_the_exact_minimum():
    d = ch.line_data(0.2)
    theta = ch.fit_line(d.x, d.y, "absolute")

    def cost(t):
        return np.abs(d.y - t[0] - t[1] * d.x).sum()

    rng = np.random.default_rng(1)
    for step in (1e-1, 1e-3, 1e-6):
        others = theta + step * rng.normal(size=(200, 2))
        assert cost(theta) <= min(cost(t) for t in others) + 1e-12


@pytest.mark.parametrize("delta", [0.2, 1.0, 3.0])
def test_fit_line_huber_has_zero_gradient(delta):
    d = ch.line_data(0.1)
    theta = ch.fit_line(d.x, d.y, "huber", delta)
    g = ch.huber_grad(theta[0] + theta[1] * d.x - d.y, delta)
    np.testing.assert_allclose([g.sum(), (g * d.x).sum()], 0.0, atol=1e-9)


def test_fit_line_huber_moves_from_robust_to_least_squares():
    d = ch.line_data(0.1)
    small = ch.fit_line(d.x, d.y, "huber", 0.1)[1]
    large = ch.fit_line(d.x, d.y, "huber", 100.0)[1]
    np.testing.assert_allclose(large, ch.fit_line(d.x, d.y)[1], rtol=1e-12)
    assert abs(small - ch.TRUE_LINE[1]) < abs(large - ch.TRUE_LINE[1])


def test_fit_line_rejects_bad_input():
    with pytest.raises(ValueError, match="expected loss"):
        ch.fit_line([0.0, 1.0], [0.0, 1.0], "hinge")
    with pytest.raises(ValueError, match="same shape"):
        ch.fit_line([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="delta"):
        ch.fit_line([0.0, 1.0], [0.0, 1.0], "huber", delta=0.0)


# --- Huber ---------------------------------------------------------------------------------
@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_matches_nnlib_and_its_gradient_on_and_off_the_seam(delta):
    r = np.concatenate([np.linspace(-4, 4, 41), [-delta, delta]])
    loss = HuberLoss(delta=delta, reduction="sum")
    assert np.isclose(loss(r, np.zeros_like(r)), ch.huber(r, delta).sum(), rtol=1e-14)
    np.testing.assert_array_equal(loss.backward(), ch.huber_grad(r, delta))
    assert ch.huber_grad(np.array([delta]), delta)[0] == delta
    h = 1e-7
    left = (ch.huber(delta, delta) - ch.huber(delta - h, delta)) / h
    right = (ch.huber(delta + h, delta) - ch.huber(delta, delta)) / h
    assert abs(left - delta) < 1e-6 and abs(right - delta) < 1e-6


def test_huber_efficiency_is_the_classical_value_and_increases():
    assert abs(ch.huber_efficiency(1.345) - 0.95) < 1e-3
    ks = [0.001, 0.5, 1.0, 2.0, 5.0]
    eff = [ch.huber_efficiency(k) for k in ks]
    assert np.all(np.diff(eff) > 0) and abs(eff[0] - 2 / np.pi) < 1e-3 and eff[-1] > 0.999
    with pytest.raises(ValueError):
        ch.huber_efficiency(0.0)


# --- focal loss ----------------------------------------------------------------------------
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_focal_functions_match_nnlib(gamma, y):
    z = np.linspace(-6, 6, 25)
    target = np.full_like(z, y)
    loss = FocalLoss(alpha=-1, gamma=gamma, reduction="sum")
    p_t = sigmoid(z) if y == 1 else sigmoid(-z)
    assert np.isclose(loss(z, target), ch.focal_loss_pt(p_t, gamma).sum(), rtol=1e-12)
    sign = -1.0 if y == 1 else 1.0                   # the logit's gradient points away
    np.testing.assert_allclose(loss.backward(), sign * ch.focal_grad_pt(p_t, gamma),
                               rtol=1e-10, atol=1e-15)


def test_focal_at_gamma_zero_is_the_cross_entropy():
    p_t = np.linspace(0.01, 1.0, 50)
    np.testing.assert_allclose(ch.focal_loss_pt(p_t, 0.0), -np.log(p_t))
    np.testing.assert_allclose(ch.focal_grad_pt(p_t, 0.0), 1 - p_t)
    np.testing.assert_allclose(ch.focal_grad_pt(p_t, 0.0, alpha_t=0.25), 0.25 * (1 - p_t))


def test_focal_gradient_can_exceed_the_cross_entropys():
    assert ch.focal_grad_pt(np.array([0.1]), 2.0)[0] > 0.9 * 1.2


def test_focal_rejects_impossible_probabilities():
    with pytest.raises(ValueError, match="p_t in"):
        ch.focal_loss_pt(np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="p_t in"):
        ch.focal_grad_pt(np.array([1.5]))


# --- the imbalanced digits -----------------------------------------------------------------
def test_imbalanced_digits_keeps_every_negative_and_few_positives():
    X, y = ch.imbalanced_digits()
    assert X.shape == (1697, 64) and int(y.sum()) == 80
    assert set(np.unique(y)) == {0.0, 1.0} and not y.flags.writeable
    with pytest.raises(ValueError, match="digit"):
        ch.imbalanced_digits(positive=10)


def test_imbalanced_probabilities_and_their_loss_shares():
    p, y = ch.imbalanced_probabilities()
    assert p.shape == y.shape and np.all((p > 0) & (p < 1))
    ce = ch.loss_shares(p, y)
    bce = BCEWithLogitsLoss(reduction="sum")
    z = np.log(p) - np.log1p(-p)
    total = bce(z, y)
    right_neg = (y == 0) & (p <= 0.5)
    assert np.isclose(ce[0], bce(z[right_neg], y[right_neg]) / total, rtol=1e-9)
    assert np.isclose(ce.sum(), 1.0)
    focal = ch.loss_shares(p, y, gamma=2.0)
    assert focal[0] < ce[0] / 5 and focal[3] > ce[3]
    with pytest.raises(ValueError, match="unknown settings"):
        ch.imbalanced_probabilities(width=3)


def test_loss_shares_with_alpha_reweights_the_classes():
    p, y = np.array([0.2, 0.3, 0.6, 0.9]), np.array([0.0, 1.0, 0.0, 1.0])
    off, weighted = ch.loss_shares(p, y), ch.loss_shares(p, y, alpha=0.9)
    assert weighted[2] + weighted[3] > off[2] + off[3]    # positives gain


# --- output layer and loss pairs -----------------------------------------------------------
def _diverging_make(X, y):
    from nnlib.data import one_hot
    from nnlib.losses import MSELoss

    def make(setup, seed):                                 # an unbounded ReLU regression
        return mlp([4, 8, 3], "relu", rng=seed), MSELoss(), one_hot(y, 3)

    return make


def _tiny_setups():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)          # three classes

    def make(setup, seed):
        net = mlp([4, 8, 3], "tanh", rng=seed)
        if setup == "ce":
            return net, CrossEntropyLoss(), y
        from nnlib.data import one_hot
        from nnlib.losses import MSELoss
        if setup == "smse":
            return Sequential(*net, Softmax()), MSELoss(), one_hot(y, 3)
        return net, MSELoss(), one_hot(y, 3)

    return make, X, y


def test_compare_setups_records_everything():
    make, X, y = _tiny_setups()
    r = ch.compare_setups(make, ("ce", "mse"), X, X, y, X, y, lrs=(0.1, 0.3), seeds=(0, 1),
                          epochs=3, batch_size=20)
    assert r.val_acc.shape == (2, 2, 2, 3) and r.test_acc.shape == (2, 2, 2)
    assert np.isfinite(r.val_acc).all() and not r.diverged.any()
    assert r.best_lr("ce") in (0.1, 0.3) and r.curve("ce").shape == (3,)
    assert r.epochs_to("ce", 2.0) is None and r.epochs_to("ce", 0.0) == 1
    assert set(r.models) == {(s, lr, k) for s in ("ce", "mse") for lr in (0.1, 0.3)
                             for k in (0, 1)}


@pytest.mark.parametrize("lr", [3.0, 10.0, 100.0])
def test_compare_setups_records_divergence_without_a_warning(lr):
    _, X, y = _tiny_setups()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # nothing may leak
        r = ch.compare_setups(_diverging_make(X, y), ("mse",), X, X, y, X, y, lrs=(0.1, lr),
                              seeds=(0,), epochs=3, batch_size=20)
    assert r.diverged.tolist() == [[[False], [True]]]
    assert np.isnan(r.test_acc[0, 1, 0]) and np.isfinite(r.test_acc[0, 0, 0])
    assert np.isnan(r.val_acc[0, 1, 0, -1]) and r.score()[0, 1] < r.score()[0, 0]


def test_draw_setup_comparison_has_labelled_axes_and_fits_the_column():
    make, X, y = _tiny_setups()
    r = ch.compare_setups(make, ("ce", "smse"), X, X, y, X, y, lrs=(0.1, 0.3), seeds=(0,),
                          epochs=2)
    fig = ch.draw_setup_comparison(r)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)


# --- figures and live experiments ----------------------------------------------------------
def test_draw_motivation_has_labelled_axes_and_fits_the_column():
    fig = ch.draw_motivation()
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("squared: slope") for label in labels)
    plt.close(fig)


@pytest.mark.parametrize("draw", [ch.draw_huber_settings, ch.draw_focal_settings])
def test_static_small_multiples_fit_the_column(draw):
    fig = draw()
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.7
    assert len(fig.subfigs) == 2
    plt.close(fig)


def test_huber_figure_moves_with_delta_and_describes_its_fit():
    r = live.Renderer(ch.HuberFit())
    r.rgba({"delta": 1.0, "outliers": 0.1})
    x, y = r.live.grad_dots.get_data()
    np.testing.assert_array_equal(x, [-1.0, 1.0])
    np.testing.assert_array_equal(y, [-1.0, 1.0])             # the gradient is +-delta
    r.rgba({"delta": 2.0, "outliers": 0.1})
    assert r.live.note.get_text().startswith("Huber, δ = 2: slope")
    text = r.live.describe(delta=2.0, outliers=0.1)
    assert "delta = 2" in text and "least squares" in text
    with pytest.raises(ValueError):
        r.live.update(delta=-1.0, outliers=0.1)
    r.close()


def test_focal_figure_bars_are_the_loss_shares():
    r = live.Renderer(ch.FocalFocus())
    r.rgba({"gamma": 2.0, "alpha": -1.0})
    p, y = ch.imbalanced_probabilities()
    heights = [b.get_height() for b in r.live.bars]
    np.testing.assert_allclose(heights, 100 * ch.loss_shares(p, y, 2.0, -1.0))
    assert "gamma = 2" in r.live.describe(gamma=2.0, alpha=-1.0)
    with pytest.raises(ValueError, match="gamma"):
        r.live.update(gamma=-1.0, alpha=0.25)
    r.close()


@pytest.mark.parametrize("make, frames", [(ch.huber_experiment, 30),
                                          (ch.focal_experiment, 44)])
def test_experiments_have_their_frame_counts(make, frames):
    exp = make()
    assert len(exp.grid()) == frames and exp.defaults in exp.grid()
