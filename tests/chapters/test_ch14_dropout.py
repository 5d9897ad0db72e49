"""Tests of book.ch14_dropout, the experiment functions of Chapter 14 (Dropout)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import book.ch14_dropout as ch  # noqa: E402
from book import live  # noqa: E402
from nnlib.core import Sequential  # noqa: E402
from nnlib.data import digits  # noqa: E402
from nnlib.dropout import Dropout  # noqa: E402
from nnlib.functional import softmax  # noqa: E402
from nnlib.gradcheck import numerical_grad, rel_error  # noqa: E402
from nnlib.layers import Linear  # noqa: E402


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison)


@pytest.fixture(scope="module")
def small_sweep():
    return ch.train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=30, every=10)


# --- the two forms of dropout -----------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_dropout_keeps_the_mean_and_has_the_derived_variance(p):
    h = np.array([0.5, -1.0, 2.0])
    samples = np.stack([ch.inverted_dropout(h, p, rng=s)[0] for s in range(4000)])
    np.testing.assert_allclose(samples.mean(axis=0), h, atol=0.1)
    np.testing.assert_allclose(samples.var(axis=0), p / (1 - p) * h ** 2, rtol=0.15)


def test_inverted_dropout_draws_the_mask_nnlib_draws():
    h = np.random.default_rng(1).normal(size=(5, 7))
    out, r = ch.inverted_dropout(h, 0.3, rng=4)
    layer = Dropout(0.3, rng=4)
    np.testing.assert_allclose(layer(h), out, rtol=1e-15)
    np.testing.assert_array_equal(layer.mask, r.astype(bool))
    assert set(np.unique(r)) <= {0.0, 1.0}


def test_inverted_dropout_backward_passes_a_gradient_check_with_a_fixed_mask():
    rng = np.random.default_rng(2)
    h, G = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, r = ch.inverted_dropout(h, 0.5, rng=0)
    numeric = numerical_grad(lambda v: float(np.sum(G * r * v / 0.5)), h.copy())
    assert rel_error(ch.inverted_dropout_backward(G, r, 0.5), numeric) < 1e-9


def test_original_form_with_W_equals_inverted_form_with_qW():
    rng = np.random.default_rng(3)
    h, W = rng.normal(size=(6, 5)), rng.normal(size=(2, 5))
    q = 0.7
    original = ch.original_dropout(h, q, rng=9) @ W.T
    inverted = ch.inverted_dropout(h, 1 - q, rng=9)[0] @ (q * W).T
    np.testing.assert_allclose(original, inverted, rtol=1e-12)
    np.testing.assert_array_equal(ch.original_dropout(h, q, rng=0, train=False), h)


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_a_drop_probability_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError, match="inverted_dropout.*drop probability"):
        ch.inverted_dropout(np.ones(3), bad, rng=0)


def test_a_keep_probability_of_zero_is_refused():
    with pytest.raises(ValueError, match="original_dropout.*keep probability"):
        ch.original_dropout(np.ones(3), 0.0, rng=0)


# --- the ensemble of thinned networks ---------------------------------------------------------
@pytest.mark.parametrize("p", [0.2, 0.5, 0.7])
def test_weight_scaling_is_the_normalised_geometric_mean_of_one_softmax_layer(p):
    rng = np.random.default_rng(4)
    h, W, b = rng.uniform(0, 2, size=8), rng.normal(size=(3, 8)), rng.normal(size=3)
    masks, prob, Z = ch.thinned_outputs(h, W, b, p)
    assert masks.shape == (256, 8) and np.isclose(prob.sum(), 1.0)
    np.testing.assert_allclose(prob @ Z, W @ h + b, rtol=1e-12)       # the mean logits
    np.testing.assert_allclose(ch.geometric_mean_softmax(Z, prob), softmax(W @ h + b),
                               rtol=1e-12)


def test_thinned_outputs_rejects_too_many_units_and_wrong_shapes():
    with pytest.raises(ValueError, match="n <= 16"):
        ch.thinned_outputs(np.ones(17), np.ones((2, 17)), np.ones(2), 0.5)
    with pytest.raises(ValueError, match="thinned_outputs: expected h of shape"):
        ch.thinned_outputs(np.ones(3), np.ones((2, 4)), np.ones(2), 0.5)


# --- the digits and the lockstep training -----------------------------------------------------
def test_digits_subset_is_stratified_and_the_rest_validates():
    d = ch.digits_subset(200)
    assert d.X_train.shape == (200, 64) and len(d.y_val) == 1597
    assert np.bincount(d.y_train).tolist() == [20] * 10
    both = np.vstack([d.X_train, d.X_val])
    assert len(np.unique(both, axis=0)) == len(np.unique(digits()[0], axis=0))


@pytest.mark.parametrize("bad", [15, 2000])
def test_digits_subset_rejects_sizes_that_are_not_whole_classes(bad):
    with pytest.raises(ValueError, match="digits_subset: expected n_train"):
        ch.digits_subset(bad)


@pytest.mark.parametrize("p, hidden", [(0.5, (32,)), (0.0, (32,)), (0.3, (16, 8))])
def test_one_lockstep_network_equals_nnlib_fit(p, hidden):
    assert ch.lockstep_matches_fit(p=p, hidden=hidden, epochs=2) < 1e-10


def test_lockstep_networks_do_not_interfere():
    """Network 0 (p = 0) of a pair trains exactly as it does alone."""
    d = ch.digits_subset()
    X, y = d.X_train[:64], d.y_train[:64]
    pair = ch.LockstepMLP((64, 16, 10), (0.0, 0.6), seed=1, dtype=np.float64)
    alone = ch.LockstepMLP((64, 16, 10), (0.0,), seed=1, dtype=np.float64)
    for net in (pair, alone):
        ch.train_lockstep(net, X, y, 3, 16, ch.order_rng(1))
    for a, b in zip(pair.W + pair.b, alone.W + alone.b, strict=True):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-14)
    assert not np.allclose(pair.W[0][0], pair.W[0][1])


def test_lockstep_rejects_bad_rates_and_sizes():
    with pytest.raises(ValueError, match="LockstepMLP.*drop probability"):
        ch.LockstepMLP((4, 3, 2), (0.5, 1.0))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        ch.LockstepMLP((4, 2), (0.5,))


def test_train_sweep_records_every_curve_and_checks_its_arguments(small_sweep):
    s = small_sweep
    assert s.train_loss.shape == s.val_loss.shape == s.val_acc.shape == (2, 3)
    assert s.epochs.tolist() == [10, 20, 30] and s.index(0.5) == 1
    assert s.W[0].shape == (2, 32, 64)
    np.testing.assert_allclose(s.gap, s.val_loss - s.train_loss)
    with pytest.raises(ValueError, match="no network was trained with p = 0.3"):
        s.index(0.3)
    with pytest.raises(ValueError, match="every to divide epochs"):
        ch.train_sweep(epochs=5, every=2)
    with pytest.raises(ValueError, match="dtype"):
        ch.train_sweep(dtype="float16")


def test_to_nnlib_computes_what_the_sweep_evaluated(small_sweep):
    d = ch.digits_subset()
    net = ch.to_nnlib(small_sweep, 0.5)
    assert net.training is False
    logits = net(d.X_val)
    acc = np.mean(logits.argmax(axis=1) == d.y_val)
    assert abs(acc - small_sweep.val_acc[1, -1]) < 1e-3          # float32 vs float64


def test_thinned_networks_lose_accuracy_and_their_ensemble_recovers_it(small_sweep):
    d = ch.digits_subset()
    acc = ch.thinned_accuracy(small_sweep, 0.0, [0.0, 0.7], d.X_val, d.y_val)
    assert acc[1] < acc[0]
    r = ch.mc_accuracy(small_sweep, 0.5, d.X_val, d.y_val, T_values=(1, 30))
    assert r["geo_acc"][1] > r["geo_acc"][0] and r["agree"] > 0.9
    assert ch.train_mode_loss(small_sweep, 0.5, d.X_train, d.y_train) \
        > small_sweep.train_loss[1, -1]


def test_the_gap_findings_hold_for_another_seed():
    """The chapter's claims about the sweep, for a seed the chapter does not show."""
    s = ch.train_sweep(seed=1)
    k0, k5, k8 = s.index(0.0), s.index(0.5), s.index(0.8)
    gap, val = s.gap[:, -1], s.val_loss[:, -1]
    best = int(np.argmin(val))
    assert gap[k5] < 0.9 * gap[k0]
    assert 0.3 <= s.rates[best] <= 0.6 and val[best] < 0.9 * val[k0]
    assert val[k8] > val[k0] and s.train_loss[k8, -1] > 100 * s.train_loss[k0, -1]
    assert abs(s.val_acc[k5, -1] - s.val_acc[k0, -1]) < 0.015


# --- Monte Carlo dropout ----------------------------------------------------------------------
def test_regression_data_lie_in_the_two_intervals():
    d = ch.regression_data()
    assert d.X.shape == d.y.shape == (60, 1)
    assert ch.in_regions(d.X[:, 0]).all() and not ch.in_regions(np.array([0.0, 5.0])).any()


def test_mc_spread_grows_away_from_the_data_for_every_offered_rate():
    for q in ch.MC_RATES:
        r = ch.mc_result(q)
        x = r.data.grid
        _, std = r.mean_std(200)
        inside = std[ch.in_regions(x)].mean()
        assert std[np.abs(x) > 6].mean() > 2 * inside
        assert np.corrcoef(x[x > 3], std[x > 3])[0, 1] > 0.9


def test_thinned_passes_and_nnlib_passes_agree_in_distribution():
    net = ch.train_regression(0.1)
    x = np.linspace(-8, 8, 41)
    ours = ch.thinned_passes(net, x, T=400, seed=1)
    lib = ch.mc_passes(net, x, T=400, seed=2)
    np.testing.assert_allclose(ours.mean(axis=0), lib.mean(axis=0), atol=0.08)
    np.testing.assert_allclose(ours.std(axis=0), lib.std(axis=0), rtol=0.25, atol=0.02)
    assert net.training is False and all(not m.training for m in net)


def test_mc_passes_needs_dropout_and_restores_the_modes():
    net = ch.train_regression(0.1)
    net[2].eval()
    ch.mc_passes(net, np.zeros(3), T=2)
    assert net[2].training is False
    with pytest.raises(ValueError, match="no Dropout layer"):
        ch.mc_passes(Sequential(Linear(1, 1, rng=0)), np.zeros(3))


# --- figures ----------------------------------------------------------------------------------
def test_opening_figures_are_labelled_and_fit_the_column():
    fig = ch.draw_thinned_networks()
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    fig = ch.draw_robustness([0.0, 0.5], {0.0: [0.95, 0.7], 0.5: [0.95, 0.9]})
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    assert len(fig.axes[0].get_lines()) == 3          # two networks and the chance line
    plt.close(fig)


def test_thinned_masks_keep_inputs_outputs_and_a_unit_per_layer():
    for masks in ch.thinned_masks((3, 5, 5, 2), p=0.9, n=5, seed=0):
        assert masks[0].all() and masks[-1].all() and all(m.any() for m in masks)


def test_gap_figure_draws_both_measures(small_sweep):
    curves = ch.GapCurves.from_sweep(small_sweep)
    for measure in ("loss", "error"):
        fig = ch.draw_gap_panels(curves, rates=(0.0, 0.5), measure=measure)
        assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
        plt.close(fig)
    with pytest.raises(ValueError, match="no network was trained with p = 0.3"):
        ch.draw_gap_panels(curves, rates=(0.3,))
    text = ch.GapFigure(curves).describe(0.5, "loss")
    assert "p = 0.5" in text and "gap" in text


def test_mc_figure_draws_and_describes():
    fig = ch.draw_mc_dropout({0.1: ch.mc_result(0.1)}, [{"T": 5, "p": 0.1}])
    top, bottom = fig.axes
    assert top.get_ylabel() and bottom.get_ylabel() and bottom.get_xlabel()
    plt.close(fig)
    text = ch.McFigure({0.1: ch.mc_result(0.1)}).describe(200, 0.1)
    assert "T = 200" in text and "p = 0.1" in text
    with pytest.raises(ValueError, match="no network was trained with p = 0.3"):
        ch.McFigure({0.1: ch.mc_result(0.1)}).describe(5, 0.3)


def test_experiments_have_their_controls():
    gap = ch.gap_experiment()
    assert gap.main == "p" and len(gap.grid()) == 18
    mc = ch.mc_experiment()
    assert mc.main == "T" and len(mc.grid()) == 27
    assert all(isinstance(e(), live.Experiment) for e in ch.EXPERIMENTS)
