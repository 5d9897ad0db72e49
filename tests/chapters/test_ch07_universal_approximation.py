"""Tests of book.ch07_universal_approximation, the experiments of Chapter 7."""

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnlib.core import Sequential, count_parameters  # noqa: E402
import book.ch07_universal_approximation as demo  # noqa: E402
from nnlib.layers import Linear, ReLU, Sigmoid, mlp  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_sweep():
    return demo.width_sweep("sine", widths=(1, 4, 16), steps=150, seeds=(0, 1, 2))


# --- bumps and staircases -------------------------------------------------------------------
@pytest.mark.parametrize("k", [5.0, 40.0, 300.0])
def test_bump_height_at_the_midpoint_is_tanh_of_k_width_over_four(k):
    a, b = 0.3, 0.5
    mid = demo.bump(np.array([(a + b) / 2]), a, b, k)[0]
    assert mid == pytest.approx(np.tanh(k * (b - a) / 4), rel=1e-12)


def test_bump_tends_to_the_indicator_and_stays_finite_for_huge_k():
    x = np.array([0.1, 0.3, 0.45, 0.7])
    np.testing.assert_allclose(demo.bump(x, 0.25, 0.5, 1e6), [0, 1, 1, 0], atol=1e-12)
    assert np.all(np.isfinite(demo.bump(np.array([-1e4, 1e4]), 0.0, 1.0, 1e4)))


@pytest.mark.parametrize("a, b, k, match", [(0.5, 0.5, 1.0, "a < b"), (0.6, 0.2, 1.0, "a < b"),
                                            (0.0, 1.0, 0.0, "k > 0"),
                                            (0.0, 1.0, -2.0, "k > 0")])
def test_bump_rejects_bad_arguments(a, b, k, match):
    with pytest.raises(ValueError, match=f"bump: expected {match}"):
        demo.bump(np.zeros(3), a, b, k)


def test_staircase_parameters_cells_cover_the_interval_with_the_ends_at_centres():
    p = demo.staircase_parameters("wiggly", 11)
    assert p.h == pytest.approx(0.1)
    assert p.k == pytest.approx(demo.RELATIVE_STEEPNESS / 0.1)
    np.testing.assert_allclose(p.centres, np.linspace(0, 1, 11))
    np.testing.assert_allclose(p.upper[:-1], p.lower[1:])      # cells touch
    assert p.lower[0] == pytest.approx(-0.05) and p.upper[-1] == pytest.approx(1.05)
    np.testing.assert_allclose(p.heights, demo.TARGETS["wiggly"](p.centres))


@pytest.mark.parametrize("n, err", [(1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_staircase_parameters_rejects_a_bad_number_of_bumps(n, err):
    with pytest.raises(err, match="staircase_parameters: expected n_bumps"):
        demo.staircase_parameters("sine", n)


def test_unknown_target_is_rejected_with_the_known_names():
    with pytest.raises(ValueError, match=r"target_function: expected one of \['kink', 'sine'"):
        demo.staircase_parameters("cosine", 5)


def test_staircase_rejects_a_target_that_returns_the_wrong_shape():
    with pytest.raises(ValueError, match="one finite number per point"):
        demo.staircase_parameters(lambda x: np.ones(3), 5)


@pytest.mark.parametrize("n", [2, 7, 30])
@pytest.mark.parametrize("k", [None, 25.0])
def test_staircase_network_matches_the_numpy_formula(n, k):
    x = np.linspace(-0.2, 1.2, 301)
    net = demo.staircase_network("wiggly", n, k)
    assert isinstance(net[0], Linear) and isinstance(net[1], Sigmoid)
    assert net[0].weight.shape == (2 * n, 1) and net[2].weight.shape == (1, 2 * n)
    assert count_parameters(net) == 2 * n * 3 + 1
    np.testing.assert_allclose(net(x[:, None])[:, 0], demo.staircase_output(x, "wiggly", n, k),
                               rtol=1e-12, atol=1e-12)


def test_staircase_network_keeps_float32():
    net = demo.staircase_network("sine", 5, dtype=np.float32)
    assert net(np.zeros((3, 1))).dtype == np.float32


def test_very_steep_staircase_hits_f_at_the_centres():
    p = demo.staircase_parameters("wiggly", 9)
    y = demo.staircase_output(p.centres, "wiggly", 9, 1e7)
    np.testing.assert_allclose(y, p.heights, atol=1e-12)
    y_steps = demo.staircase_output(p.centres, "wiggly", 9, np.inf)
    np.testing.assert_allclose(y_steps, p.heights, atol=1e-15)


def test_staircase_error_halves_when_n_doubles_with_k_tied_to_n():
    errors = demo.staircase_error_table("wiggly", [25, 50, 100, 200], [None])[0]
    assert np.all(np.diff(errors) < 0)
    ratios = errors[1:] / errors[:-1]
    assert np.all((ratios > 0.4) & (ratios < 0.6))


def test_staircase_error_with_fixed_k_stops_falling():
    errors = demo.staircase_error_table("wiggly", [50, 100, 200], [30.0])[0]
    assert errors.max() / errors.min() < 1.05
    assert errors.min() > 0.2


def test_step_staircase_error_is_below_the_lipschitz_bound():
    lipschitz = 5 * np.pi   # max |f'| of sin(2 pi x) + 0.5 sin(6 pi x), at x = 0
    for n in (10, 40, 160):
        err = demo.staircase_error_table("wiggly", [n], [np.inf])[0, 0]
        assert err <= lipschitz / (2 * (n - 1)) + 1e-12


def test_staircase_output_rejects_a_2d_grid():
    with pytest.raises(ValueError, match="staircase_output: expected a 1-D array"):
        demo.staircase_output(np.zeros((3, 1)), "sine", 4)


def test_sup_error_accepts_modules_functions_and_values():
    x = np.linspace(0, 1, 9)
    net = Sequential(Linear(1, 1, init="zeros"))
    assert demo.sup_error(net, "sine", x) == pytest.approx(1.0)
    assert demo.sup_error(lambda u: np.sin(2 * np.pi * u), "sine", x) == 0.0
    assert demo.sup_error(np.zeros(9), lambda u: u, x) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="sup_error: expected one value per grid point"):
        demo.sup_error(np.zeros(5), "sine", x)


# --- the sawtooth -------------------------------------------------------------------------------
def test_tent_map_values():
    x = np.array([0.0, 0.125, 0.5, 0.625, 1.0])
    np.testing.assert_allclose(demo.tent_map(x), [0.0, 0.25, 1.0, 0.75, 0.0])


@pytest.mark.parametrize("depth", range(1, 9))
def test_sawtooth_network_is_exact_and_has_two_to_the_depth_pieces(depth):
    x = np.linspace(0.0, 1.0, 2 ** 12 + 1)
    net = demo.sawtooth_network(depth)
    y = net(x[:, None])[:, 0]
    np.testing.assert_array_equal(y, demo.sawtooth(x, depth))
    assert demo.count_linear_pieces(x, y) == 2 ** depth
    widths = [layer.out_features for layer in net if isinstance(layer, Linear)][:-1]
    assert widths == [2] * depth
    assert count_parameters(net) == 4 + 6 * (depth - 1) + 3


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [1, 3, 10])
def test_a_shallow_relu_net_has_at_most_n_plus_one_pieces(seed, n):
    net = mlp([1, n, 1], "relu", rng=seed)
    net[0].bias.data[:] = np.random.default_rng(seed).normal(size=n)
    x = np.linspace(-4.0, 4.0, 2 ** 14 + 1)
    pieces = demo.count_linear_pieces(x, net(x[:, None])[:, 0])
    assert 1 <= pieces <= n + 1


def test_count_linear_pieces_merges_a_kink_between_grid_points():
    x = np.linspace(0.0, 1.0, 11)
    assert demo.count_linear_pieces(x, np.abs(x - 0.33)) == 2


@pytest.mark.parametrize("x, y, match", [
    (np.zeros(2), np.zeros(2), "m >= 3"),
    (np.linspace(0, 1, 5), np.zeros(4), "same shape"),
    (np.array([0.0, 0.1, 0.5]), np.zeros(3), "equally spaced"),
])
def test_count_linear_pieces_rejects_bad_grids(x, y, match):
    with pytest.raises(ValueError, match=f"count_linear_pieces: expected .*{match}"):
        demo.count_linear_pieces(x, y)


def test_sawtooth_network_rejects_depth_zero():
    with pytest.raises(ValueError, match="sawtooth_network: expected depth >= 1, got 0"):
        demo.sawtooth_network(0)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_shallow_fit_is_exact_with_two_to_the_depth_units(depth):
    net, err = demo.shallow_sawtooth_fit(depth, 2 ** depth)
    assert err < 1e-9
    assert isinstance(net[1], ReLU) and net[0].out_features == 2 ** depth


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_shallow_fit_with_fewer_than_half_the_pieces_is_at_least_one_half_off(depth):
    for n in range(1, 2 ** (depth - 1)):
        assert demo.shallow_sawtooth_fit(depth, n)[1] >= 0.5


def test_shallow_fit_errors_has_one_entry_per_width():
    errors = demo.shallow_fit_errors((3,))
    assert errors[3].shape == (16,)
    assert errors[3][7] < 1e-9 and errors[3][15] < 1e-9


# --- training ------------------------------------------------------------------------------
def test_spread_init_puts_centres_in_the_interval_and_is_seeded():
    a = demo.spread_init(mlp([1, 50, 1], "tanh", rng=0), rng=3)
    b = demo.spread_init(mlp([1, 50, 1], "tanh", rng=0), rng=3)
    centres = -a[0].bias.data / a[0].weight.data[:, 0]
    assert np.all((centres > 0) & (centres < 1))
    np.testing.assert_array_equal(a[0].weight.data, b[0].weight.data)


def test_spread_init_rejects_a_network_with_more_inputs():
    with pytest.raises(ValueError, match=r"spread_init: expected a Sequential whose first layer "
                                         r"is Linear\(1, n\)"):
        demo.spread_init(mlp([2, 4, 1], rng=0))


def test_train_one_hidden_reduces_the_loss_and_is_reproducible():
    net1, losses1 = demo.train_one_hidden(8, "kink", steps=200)
    net2, losses2 = demo.train_one_hidden(8, "kink", steps=200)
    assert losses1[-1] < 0.2 * losses1[0]
    np.testing.assert_array_equal(losses1, losses2)
    np.testing.assert_array_equal(net1[0].weight.data, net2[0].weight.data)


def test_train_one_hidden_rejects_mismatched_data():
    with pytest.raises(ValueError, match="train_one_hidden: expected X and y of shape"):
        demo.train_one_hidden(4, X=np.zeros((5, 1)), y=np.zeros((4, 1)))


def test_train_shallow_sawtooth_returns_an_error_per_width():
    errors = demo.train_shallow_sawtooth(2, [2, 8], steps=100)
    assert sorted(errors) == [2, 8]
    assert all(0.0 <= e < 2.0 for e in errors.values())


def test_width_sweep_is_cached_and_wider_is_better(small_sweep):
    assert demo.width_sweep("sine", widths=(1, 4, 16), steps=150,
                            seeds=(0, 1, 2)) is small_sweep
    assert small_sweep.sup_errors[16] < small_sweep.sup_errors[1]
    assert small_sweep.rms_errors[16] <= small_sweep.sup_errors[16]
    assert small_sweep.staircase_units.tolist() == [4, 8, 16, 32, 64, 128, 256, 512]
    assert np.all(np.diff(small_sweep.staircase_errors) < 0)


def test_width_sweep_reports_the_median_run_of_its_seeds(small_sweep):
    sw = small_sweep
    assert sw.sup_all.shape == sw.rms_all.shape == (3, 3)
    assert sw.curves.shape == (3, 3, 601)
    for i, n in enumerate(sw.widths):
        assert sw.sup_errors[n] == pytest.approx(np.median(sw.sup_all[i]))
        assert sw.rms_errors[n] == pytest.approx(np.median(sw.rms_all[i]))
        j = sw.seeds.index(sw.median_seed[n])
        assert sw.sup_all[i, j] == sw.sup_errors[n]
        # the median network is the run whose error is the median
        assert demo.sup_error(sw.nets[n], "sine") == pytest.approx(sw.sup_errors[n])
    # every seed is its own run: the seeds do not all end in the same place
    assert len(set(sw.sup_all[1].round(12))) == 3
    with pytest.raises(ValueError, match="expected width to be one of the trained widths"):
        sw.index(5)


def test_width_sweep_of_one_seed_is_that_run():
    one = demo.width_sweep("kink", widths=(2,), steps=50, seeds=(4,))
    net, _ = demo.train_one_hidden(2, "kink", steps=50, rng=4)
    assert one.sup_errors[2] == pytest.approx(demo.sup_error(net, "kink"))
    with pytest.raises(ValueError, match="width_sweep: expected at least one width and one "
                                         "seed"):
        demo.width_sweep("kink", widths=(2,), seeds=())


def test_width_sweep_rejects_unknown_targets():
    with pytest.raises(ValueError, match="width_sweep: expected target to be one of"):
        demo.width_sweep("cosine")


def test_width_slider_offers_the_trained_widths():
    s = demo.width_slider(16)
    assert s.options == demo.WIDTHS and s.value == 16 and s.continuous_update is False
    with pytest.raises(ValueError, match="width_slider: expected value to be one of"):
        demo.width_slider(17)


def test_width_control_steps_through_the_trained_widths_everywhere():
    c = demo.WidthSlider(1, 128, value=16, label="hidden units")
    assert c.values() == c.grid() == list(demo.WIDTHS)
    c.check("width")
    w = c.widget()
    assert w.options == demo.WIDTHS and w.value == 16


# --- figures -------------------------------------------------------------------------------
def _labelled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if ax.get_visible() and (spec is None or spec.is_last_row()):
            assert ax.get_xlabel(), "every axis of the bottom row needs an x label"
    assert any(ax.get_ylabel() for ax in fig.axes)
    assert fig.get_suptitle() or all(ax.get_title() or ax.get_title(loc="left")
                                     for ax in fig.axes if ax.get_visible())


def _readable(fig):
    """At most 7.6 inches wide, and no text smaller than 10 points (a phone's screen)."""
    assert fig.get_size_inches()[0] <= 7.6
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    assert min(sizes) >= 10, min(sizes)


def test_static_figures_have_labelled_axes_and_are_readable_on_a_phone():
    for fig in (demo.draw_bump(), demo.draw_sawtooth((1, 2, 3, 4)),
                demo.draw_shallow_vs_deep((2, 3), trained={4: 0.5, 8: 0.4}, trained_depth=3),
                demo.draw_staircases(({"n_bumps": 4, "steepness": 10.0, "target": "sine"},
                                      {"n_bumps": 6, "steepness": 1.0, "target": "kink"}))):
        _labelled(fig)
        _readable(fig)
        plt.close(fig)
    fig = demo.draw_towers(n_cells=3, grid=11)
    assert len(fig.axes) == 4 and all(ax.get_xlabel() == "$x_1$" for ax in fig.axes)
    _readable(fig)


def test_sweep_figures_have_labelled_axes(small_sweep):
    for fig in (demo.draw_motivation((1, 16), "sine", small_sweep),
                demo.draw_error_vs_width("sine", small_sweep)):
        _labelled(fig)
        _readable(fig)


def test_draw_staircases_needs_a_setting():
    with pytest.raises(ValueError, match="draw_staircases: expected at least one setting"):
        demo.draw_staircases(())


# --- the error bound of the staircase ---------------------------------------------------------
def test_bound_has_a_term_that_does_not_shrink_with_h():
    s = 10.0
    floor = demo.staircase_floor("kink", s)
    assert floor == pytest.approx(0.5 * 1 / (1 + np.exp(s / 2)), rel=1e-12)   # |f(1)| sigma(-5)
    assert demo.staircase_floor("wiggly", s) < 1e-15                         # 0 at both ends
    n = np.array([10, 100, 1000, 10 ** 6])
    bound = demo.staircase_bound("kink", n, s)
    assert np.all(np.diff(bound) < 0) and bound[-1] == pytest.approx(floor, rel=1e-3)
    # the bound is A h + B: its differences are proportional to differences of h
    h = 1 / (n - 1)
    slope = np.diff(bound) / np.diff(h)
    np.testing.assert_allclose(slope, slope[0], rtol=1e-9)


@pytest.mark.parametrize("target", ["wiggly", "sine", "kink"])
@pytest.mark.parametrize("s", [1.0, 10.0, 1000.0])
def test_measured_staircase_error_is_below_the_bound(target, s):
    for n in (2, 5, 40, 300):
        err = demo.sup_error(demo.staircase_output(np.linspace(0, 1, 4001), target, n,
                                                   s * (n - 1)), target)
        assert err <= demo.staircase_bound(target, n, s)


def test_kink_staircase_error_stops_at_the_floor_and_falls_when_s_grows():
    x = np.linspace(0, 1, 4001)
    floor = demo.staircase_floor("kink", 10.0)
    stuck = [demo.sup_error(demo.staircase_output(x, "kink", n, 10.0 * (n - 1)), "kink", x)
             for n in (200, 400)]
    assert all(0.98 < e / floor < 1.05 for e in stuck)
    grow = demo.sup_error(demo.staircase_output(x, "kink", 400, 2 * np.log(399) * 399),
                          "kink", x)
    assert grow < 0.5 * floor


def test_staircase_bound_needs_a_lipschitz_constant_for_an_unnamed_function():
    with pytest.raises(ValueError, match="staircase_bound: expected a target of"):
        demo.staircase_bound(np.cos, 10)
    assert demo.staircase_bound(np.cos, 10, lipschitz=1.0) > 0
    with pytest.raises(ValueError, match="expected whole numbers of bumps >= 2"):
        demo.staircase_bound("sine", 1)


def test_staircase_curve_is_cached_read_only_and_below_its_bound():
    n, err, bound = demo.staircase_curve("kink", 10.0)
    assert demo.staircase_curve("kink", 10.0)[1] is err
    assert n.tolist() == list(demo.CURVE_BUMPS) and n[0] == 2 and n[-1] == 512
    assert np.all(err <= bound) and not err.flags.writeable
    with pytest.raises(ValueError, match="staircase_curve: expected target to be one of"):
        demo.staircase_curve("cosine", 10.0)


def test_table_html_formats_columns_and_rejects_ragged_input():
    page = demo.table_html([["a", "b"], [0.5, 0.25]], ["k", "error"], ["s", ".2f"])
    assert "<th>error</th>" in page and "<td>0.25</td>" in page and "<td>b</td>" in page
    with pytest.raises(ValueError, match="table_html: expected columns of one length"):
        demo.table_html([[1], [1, 2]], ["a", "b"], ["d", "d"])
    with pytest.raises(ValueError, match="table_html: expected as many headers"):
        demo.table_html([[1]], ["a", "b"], ["d"])


# --- the live staircase -------------------------------------------------------------------------
def test_staircase_figure_state_matches_the_formula():
    fig = demo.Staircase()
    p, y, err, x_worst, y_worst, bound, floor = fig.state(8, 10.0, "wiggly")
    assert p.k == pytest.approx(70.0) and y.shape == (601,)
    x = np.linspace(0, 1, 4001)
    assert err == pytest.approx(demo.sup_error(demo.staircase_output(x, "wiggly", 8, 70.0),
                                               "wiggly"))
    assert abs(demo.TARGETS["wiggly"](np.array([x_worst]))[0] - y_worst) == pytest.approx(err)
    assert bound == demo.staircase_bound("wiggly", 8, 10.0) and floor < 1e-15
    text = fig.describe(8, 10.0, "kink")
    assert text.startswith("8 bumps (16 hidden units)") and "does not shrink" in text


def test_staircase_experiment_grid_and_controls():
    exp = demo.staircase_experiment()
    assert len(exp.grid()) == 8 * 5 * 3 and exp.main == "n_bumps"
    assert exp.defaults == {"n_bumps": 8, "steepness": 10.0, "target": "wiggly"}
    with pytest.raises(ValueError, match="Staircase: expected n_bumps"):
        demo.Staircase().state(1, 10.0, "sine")


# --- two inputs ---------------------------------------------------------------------------------
def test_tower_network_has_the_layers_and_heights_of_the_construction():
    net = demo.tower_network(n_cells=4)
    sizes = [layer.out_features for layer in net if isinstance(layer, Linear)]
    assert sizes == [10, 16, 1] and isinstance(net[1], Sigmoid) and isinstance(net[3], Sigmoid)
    c = np.linspace(0, 1, 4)
    centres = np.array([[a, b] for a in c for b in c])
    np.testing.assert_allclose(net(centres)[:, 0], demo.target_2d(centres[:, 0], centres[:, 1]),
                               atol=1e-4)
    # inside a cell exactly one tower is up
    towers = net[3](net[2](net[1](net[0](np.array([[c[1], c[2]]])))))[0]
    assert np.sum(towers > 0.99) == 1 and np.sum(towers > 0.01) == 1


def test_tower_network_has_cracks_where_four_cells_meet():
    net = demo.tower_network(n_cells=4)
    corner = np.array([[0.5, 0.5]])      # h = 1/3: 0.5 is an edge in both inputs
    assert net(corner)[0, 0] < 0.01 < demo.target_2d(0.5, 0.5)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"n_cells": 1}, ValueError, "tower_network: expected n_cells"),
    ({"f2": 3.0}, TypeError, "tower_network: expected f2 to be a function"),
    ({"f2": lambda a, b: np.ones(3)}, ValueError, "one finite number per grid point"),
])
def test_tower_network_rejects_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        demo.tower_network(**kwargs)


# --- the live width experiment -----------------------------------------------------------------
def test_width_fit_draws_the_median_run(small_sweep):
    from book.live import Renderer

    fig = demo.WidthFit(sweeps={"sine": small_sweep})
    r = Renderer(fig)
    r.rgba({"width": 4, "target": "sine"})
    j = small_sweep.seeds.index(small_sweep.median_seed[4])
    np.testing.assert_array_equal(fig.fit.get_ydata(), small_sweep.curves[1, j])
    assert len(fig.others) == 2
    assert fig.title.get_text() == f"4 hidden units: error {small_sweep.sup_errors[4]:.3f}"
    text = fig.describe(4, "sine")
    assert text.startswith("4 hidden units") and "median of 3 training runs" in text
    with pytest.raises(ValueError, match="expected width to be one of the trained widths"):
        fig.update(8, "sine")
    r.close()


def test_width_fit_experiment_offers_every_trained_width_and_target():
    exp = demo.width_fit_experiment()
    assert len(exp.grid()) == len(demo.WIDTHS) * len(demo.TARGETS)
    assert exp.main == "width" and exp.defaults == {"width": 16, "target": "wiggly"}


# --- real data ----------------------------------------------------------------------------------
def test_digits_width_sweep_is_cached_and_wider_is_better():
    sweep = demo.digits_width_sweep((1, 16), (0, 1), epochs=4)
    assert demo.digits_width_sweep((1, 16), (0, 1), epochs=4) is sweep
    assert sweep.test_acc.shape == sweep.train_acc.shape == (2, 2)
    assert sweep.n_train + sweep.n_test == 1797 and sweep.n_test == 539
    med = sweep.median("test")
    assert med[16] > med[1] + 0.3
    assert np.all((sweep.test_acc >= 0) & (sweep.test_acc <= 1))
    fig = demo.draw_digits_width(sweep)
    _labelled(fig)
    _readable(fig)


def test_digits_width_sweep_rejects_bad_widths():
    with pytest.raises(ValueError, match="digits_width_sweep: expected every width"):
        demo.digits_width_sweep((0, 4))
