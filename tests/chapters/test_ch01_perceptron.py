"""Tests of book.ch01_perceptron, the experiment functions of Chapter 1."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import book.ch01_perceptron as demo  # noqa: E402
from book import live  # noqa: E402
from nnlib.functional import sigmoid  # noqa: E402
from nnlib.gradcheck import numerical_grad  # noqa: E402


def _labelled(fig):
    """Every axes has an x label, and a y label unless it shares its y axis with one that has."""
    assert isinstance(fig, Figure)
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_xlabel(), f"unlabelled x axis in {ax.get_title()!r}"
        siblings = ax.get_shared_y_axes().get_siblings(ax)
        assert any(other.get_ylabel() for other in siblings), \
            f"unlabelled y axis in {ax.get_title()!r}"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- hand-made features --------------------------------------------------------------------
def test_circle_features_values():
    F = demo.circle_features(np.array([[3.0, 4.0], [-1.0, 2.0]]))
    np.testing.assert_allclose(F, [[3.0, 4.0, 25.0], [-1.0, 2.0, 5.0]])


def test_circle_features_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"circle_features.*shape \(4, 3\)"):
        demo.circle_features(np.zeros((4, 3)))


def test_feature_lift_separates_only_after_the_feature():
    r = demo.feature_lift()
    assert not r.raw.converged
    assert r.acc_raw < 0.75
    assert r.lifted.converged and r.acc_lifted == 1.0
    # the learned boundary is a circle: w3 (x1^2 + x2^2) + w1 x1 + w2 x2 + b = 0 with w3 != 0
    assert r.w_lifted.shape == (3,) and abs(r.w_lifted[2]) > 0


def test_draw_feature_lift_is_labelled():
    fig = demo.draw_feature_lift()
    assert len(fig.axes) == 3
    _labelled(fig)
    assert fig.axes[1].get_ylabel() == "$x_1^2 + x_2^2$"


# --- the neuron diagram ----------------------------------------------------------------------
def test_draw_neuron_names_every_part_and_is_phone_sized():
    fig = demo.draw_neuron()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for part in ("$x_1$", "$x_d$", "$w_1$", "$w_d$", "$b$", "$\\Sigma$", "$z$", "$a$",
                 "activation", "output"):
        assert part in texts, part
    assert fig.get_size_inches()[0] <= 7.6
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 10


# --- boundary history (Experiment 1) ----------------------------------------------------------
def test_history_problem_replays_the_rule():
    p = demo.history_problem()
    hist = p.history
    assert hist.converged and p.n_updates == len(hist.mistakes) == 14
    for k, m in enumerate(hist.mistakes, start=1):
        step = m.y - m.y_hat  # +1 or -1 on a mistake
        w0, b0 = hist.state(k - 1)
        w1, b1 = hist.state(k)
        np.testing.assert_allclose(w1, w0 + step * m.x)
        assert b1 == pytest.approx(b0 + step)
    assert np.all((p.X @ hist.weights[-1] + hist.biases[-1] > 0) == (p.y == 1))


@pytest.mark.parametrize("step", [0, 1, 7, 14])
def test_boundary_history_titles_and_text_alternative(step):
    r = live.Renderer(demo.BoundaryHistory())
    r.rgba({"step": step})
    title = r.live.title.get_text()
    w, b, wrong, mk = r.live.state(step)
    assert title.startswith("Start" if step == 0 else f"Update {step} of 14:")
    assert f"{int(wrong.sum())} of 40 wrong" in title
    text = r.live.describe(step)
    assert f"Update {step} of 14" in text and f"{int(wrong.sum())} of 40" in text
    # the ring marks the point that caused the update, the small circles the wrong points
    assert len(r.live.cause.get_offsets()) == (step >= 1)
    assert len(r.live.wrong.get_offsets()) == int(wrong.sum())
    r.close()


def test_boundary_history_counts_fall_to_zero_but_not_monotonically():
    live_fig = demo.BoundaryHistory()
    wrong = [int(live_fig.state(k)[2].sum()) for k in range(15)]
    assert wrong[0] == int(np.sum(live_fig.prob.y == 1)) and wrong[-1] == 0
    assert any(b > a for a, b in zip(wrong[:-1], wrong[1:], strict=True))


def test_boundary_history_bad_step():
    fig = demo.BoundaryHistory()
    with pytest.raises(ValueError, match=r"BoundaryHistory: expected step between 0 and 14.*"
                                         r"got 15"):
        fig.state(15)
    with pytest.raises(ValueError, match="BoundaryHistory"):
        fig.state(-1)
    with pytest.raises(TypeError, match="BoundaryHistory.*step"):
        fig.state(1.5)


def test_boundary_history_experiment_has_a_frame_per_update():
    exp = demo.boundary_history_experiment()
    assert exp.main == "step" and isinstance(exp.controls["step"], live.Play)
    assert len(exp.grid()) == 15 and exp.defaults == {"step": 0}


def test_draw_boundary_steps_grid_and_errors():
    fig = demo.draw_boundary_steps((0, 2, 5, None))
    assert len(fig.axes) == 4
    _labelled(fig)
    assert fig.get_size_inches()[0] <= 7.6
    assert fig.axes[-1].get_title(loc="left").startswith("Update 14 of 14: 0 of 40 wrong")
    with pytest.raises(ValueError, match="draw_boundary_steps: expected 4 steps"):
        demo.draw_boundary_steps((1, 2))
    with pytest.raises(ValueError, match="draw_boundary_steps: expected step between"):
        demo.draw_boundary_steps((1, 2, 3, 99))


# --- margins and the bound (Experiment 2) -----------------------------------------------------
def test_margin_sweep_respects_the_bound():
    sw = demo.margin_sweep(margins=(0.03, 0.1, 0.3), n=40, seeds=3)
    assert sw.mistakes.shape == sw.bound.shape == (3, 3)
    assert sw.converged.all()
    assert np.all(sw.mistakes <= sw.bound)
    # the bound is (R / gamma)^2 and shrinks as the margin grows
    np.testing.assert_allclose(sw.bound, (sw.R / sw.gamma) ** 2)
    assert np.all(np.diff(sw.bound.mean(axis=1)) < 0)
    # the augmented margin of the generating plane: gamma_0 / ||(w*, b*)|| <= gamma <= its
    # margin in the input space (w* has unit length)
    X, y, w, b = sw.data(0.1, seed_index=1)
    plain = np.min(np.where(y == 1, 1, -1) * (X @ w + b))
    assert 0.1 / np.hypot(1.0, b) - 1e-12 <= sw.gamma[1, 1] <= plain + 1e-12
    with pytest.raises(ValueError):
        sw.mistakes[0, 0] = 0  # read-only cache


def test_margin_sweep_is_cached():
    a = demo.margin_sweep(margins=(0.1,), n=20, seeds=2)
    b = demo.margin_sweep(margins=[0.1], n=20, seeds=2)
    assert a is b


def test_margin_sweep_bad_input():
    with pytest.raises(ValueError, match=r"margin_sweep: expected each margin .*-0.1"):
        demo.margin_sweep(margins=(0.1, -0.1))
    with pytest.raises(ValueError, match="margin_sweep: expected at least one margin"):
        demo.margin_sweep(margins=())
    with pytest.raises(TypeError, match="margin_sweep: expected margins to be a sequence"):
        demo.margin_sweep(margins=0.1)


def test_nearest_margin_snaps_on_a_log_scale():
    assert demo.nearest_margin(0.1) == pytest.approx(0.1)
    assert demo.nearest_margin(0.0105) == pytest.approx(0.01)
    assert demo.nearest_margin(100.0) == pytest.approx(demo.MARGINS[-1])
    assert len(demo.MARGINS) == 18
    with pytest.raises(ValueError, match="nearest_margin"):
        demo.nearest_margin(0.0)


def test_margin_table_summarises_the_sweep():
    sw = demo.margin_sweep(margins=(0.05, 0.2), n=30, seeds=3)
    t = demo.margin_table((0.05, 0.2), sw)
    np.testing.assert_allclose(t["margin"], [0.05, 0.2])
    np.testing.assert_allclose(t["mistakes_max"], sw.mistakes.max(axis=1))
    np.testing.assert_allclose(t["bound_min"], sw.bound.min(axis=1))
    assert np.all(t["worst_ratio"] <= 1.0)


def test_table_html():
    out = demo.table_html([[1, 2], [0.5, 0.25]], ["k", "a<b"], ["d", ".2f"])
    assert out.count("<tr>") == 3 and "0.25" in out and "a&lt;b" in out
    with pytest.raises(ValueError, match="table_html"):
        demo.table_html([[1]], ["k", "p"], ["d"])


def test_margin_bound_marks_the_chosen_margin():
    r = live.Renderer(demo.MarginBound(n=40, seeds=2))
    sw = demo.margin_sweep(demo.MARGINS, 40, 2)
    for margin in (0.01, 0.1, 0.3):
        r.rgba({"margin": margin})
        g = sw.index(margin)
        fig = r.live
        assert fig.mark_updates.get_ydata()[0] == sw.mistakes[g, 0]
        assert fig.mark_bound.get_ydata()[0] == pytest.approx(sw.bound[g, 0])
        assert f"{sw.mistakes[g, 0]} updates" in fig.title.get_text()
        # the points shown are the data set of seed 0 at that margin
        X, y, _, _ = sw.data(sw.margins[g], 0)
        np.testing.assert_allclose(fig.points[0].get_offsets(), X[y == 0])
        assert f"{sw.margins[g]:.3g}" in fig.describe(margin)
    with pytest.raises(ValueError, match="MarginBound.*margin"):
        r.live.index(0.0)
    r.close()


def test_margin_bound_experiment_offers_every_grid_margin():
    exp = demo.margin_bound_experiment()
    grid = [v["margin"] for v in exp.grid()]
    assert len(grid) == len(demo.MARGINS) == 18
    np.testing.assert_allclose(grid, demo.MARGINS, rtol=1e-5)
    assert exp.defaults == {"margin": 0.1}


def test_draw_margin_panels():
    fig = demo.draw_margin_panels((0.02, 0.3), n=30, seeds=2)
    assert len(fig.axes) == 4
    _labelled(fig)
    assert fig.get_size_inches()[0] <= 7.6
    assert fig.axes[1].get_xscale() == "log" and fig.axes[1].get_yscale() == "log"
    with pytest.raises(ValueError, match="draw_margin_panels: expected at least one margin"):
        demo.draw_margin_panels((), n=30, seeds=2)
    with pytest.raises(ValueError, match="draw_margin_panels.*margin"):
        demo.draw_margin_panels((0.1, 0.0), n=30, seeds=2)


# --- real data: two digits ---------------------------------------------------------------------
def test_digit_pair_separates_and_respects_the_bound():
    run = demo.digit_pair(3, 8)
    assert run.classes == (3, 8) and run.X_train.shape[1] == 64
    assert len(run.y_train) + len(run.y_test) == 357      # all 3s and 8s
    h = run.history
    assert h.converged and h.n_mistakes <= run.bound
    np.testing.assert_allclose(run.bound, (run.R / run.gamma) ** 2)
    z = run.X_train @ run.w + run.b
    assert np.all((z > 0) == (run.y_train == 1))          # every training image right
    assert run.test_accuracy > 0.95
    assert run.n_test_wrong == int(np.sum((run.X_test @ run.w + run.b > 0) != run.y_test))
    assert demo.digit_pair(3, 8) is run                   # cached


def test_digit_pair_bad_input():
    with pytest.raises(ValueError, match="digit_pair: expected two different digits"):
        demo.digit_pair(3, 3)
    with pytest.raises(ValueError, match="digit_pair: expected two different digits"):
        demo.digit_pair(3, 10)
    with pytest.raises(TypeError, match="digit_pair"):
        demo.digit_pair(3.5, 8)


def test_draw_digit_perceptron():
    fig = demo.draw_digit_perceptron()
    images = fig.axes[:3]
    assert all(ax.get_xlabel() == "pixel column" for ax in images)
    assert images[0].get_ylabel() == "pixel row"
    assert images[2].get_images()[0].get_array().shape == (8, 8)
    assert fig.get_size_inches()[0] <= 7.6


# --- the two update rules --------------------------------------------------------------------
def test_update_factors_values():
    p, s = demo.update_factors(np.array([-2.0, 0.0, 2.0]), y=1)
    np.testing.assert_allclose(p, [1.0, 1.0, 0.0])  # step(0) = 0: z = 0 is a mistake for y = 1
    assert s[1] == pytest.approx(0.125)  # (1 - 1/2) * 1/4
    p0, _ = demo.update_factors(np.array([-2.0, 0.0, 2.0]), y=0)
    np.testing.assert_allclose(p0, [0.0, 0.0, -1.0])


@pytest.mark.parametrize("y", [0, 1])
def test_update_factor_is_minus_the_gradient(y):
    z = np.array([-3.0, -0.4, 0.7, 2.5])
    _, s = demo.update_factors(z, y=y, alpha=1.0)

    def loss(v):
        return float(np.sum(0.5 * (y - sigmoid(v)) ** 2))

    np.testing.assert_allclose(s, -numerical_grad(loss, z.copy()), rtol=1e-6, atol=1e-10)


def test_update_factors_bad_target():
    with pytest.raises(ValueError, match="update_factors: expected the target y to be 0 or 1"):
        demo.update_factors([0.0], y=2)


def test_draw_update_factors():
    fig = demo.draw_update_factors()
    assert len(fig.axes) == 2
    _labelled(fig)


# --- XOR -----------------------------------------------------------------------------------
def test_xor_never_converges_and_cycles():
    h = demo.xor_run(10)
    assert not h.converged and h.epochs == 10
    assert h.epoch_mistakes[2:] == [4] * 8
    np.testing.assert_allclose(h.weights[2:-4], h.weights[6:])
    np.testing.assert_allclose(h.biases[2:-4], h.biases[6:])


def test_draw_xor_cycle():
    fig = demo.draw_xor_cycle()
    assert len(fig.axes) == 2
    _labelled(fig)


# --- every figure of the chapter is readable on a phone ----------------------------------------
def _live_figure(live_fig, values):
    r = live.Renderer(live_fig)
    r.rgba(values)
    return r.fig


@pytest.mark.parametrize("make", [
    demo.draw_feature_lift, demo.draw_neuron, demo.draw_boundary_steps,
    lambda: demo.draw_margin_panels(n=40, seeds=2), demo.draw_digit_perceptron,
    demo.draw_update_factors, demo.draw_xor_cycle,
    lambda: _live_figure(demo.BoundaryHistory(), {"step": 3}),
    lambda: _live_figure(demo.MarginBound(n=40, seeds=2), {"margin": 0.1}),
])
def test_figures_fit_the_column_with_text_of_at_least_10_points(make):
    from matplotlib.text import Text

    fig = make()
    fig.canvas.draw()
    assert fig.get_size_inches()[0] <= 7.6
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 10]
    assert not small, small
