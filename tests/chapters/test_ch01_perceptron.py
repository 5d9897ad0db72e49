"""Tests of book.ch01_perceptron, the experiment functions of Chapter 1."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import book.ch01_perceptron as demo  # noqa: E402
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


# --- boundary history ----------------------------------------------------------------------
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
def test_draw_boundary_history_returns_labelled_figure(step):
    fig = demo.draw_boundary_history(step)
    _labelled(fig)
    title = fig.axes[0].get_title()
    assert ("Start" in title) if step == 0 else title.startswith(f"Update {step} of 14")


def test_draw_boundary_history_bad_step():
    with pytest.raises(ValueError, match=r"draw_boundary_history: expected step between 0 "
                                         r"and 14.*got 15"):
        demo.draw_boundary_history(15)
    with pytest.raises(ValueError, match="draw_boundary_history"):
        demo.draw_boundary_history(-1)
    with pytest.raises(TypeError, match="draw_boundary_history.*step"):
        demo.draw_boundary_history(1.5)


def test_draw_boundary_steps_grid_and_errors():
    fig = demo.draw_boundary_steps((0, 2, 5, None))
    assert len(fig.axes) == 4
    _labelled(fig)
    assert fig.axes[-1].get_title() == "After update 14 of 14: 0 wrong"
    with pytest.raises(ValueError, match="draw_boundary_steps: expected 4 steps"):
        demo.draw_boundary_steps((1, 2))


# --- margins and the bound ------------------------------------------------------------------
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


def test_draw_mistakes_vs_bound():
    fig = demo.draw_mistakes_vs_bound(0.1, n=30, seeds=2)
    assert len(fig.axes) == 2
    _labelled(fig)
    assert fig.axes[1].get_xscale() == "log" and fig.axes[1].get_yscale() == "log"
    assert "updates" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="draw_mistakes_vs_bound.*margin"):
        demo.draw_mistakes_vs_bound(0.0, n=30, seeds=2)


def test_draw_margin_panels():
    fig = demo.draw_margin_panels((0.02, 0.05, 0.1, 0.3), n=30, seeds=2)
    assert len(fig.axes) == 4
    _labelled(fig)
    with pytest.raises(ValueError, match="draw_margin_panels: expected 4 margins"):
        demo.draw_margin_panels((0.1,), n=30, seeds=2)


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
