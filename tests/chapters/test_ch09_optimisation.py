"""Tests of book.ch09_optimisation, the experiment functions of Chapter 9 (Optimisation)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch09_optimisation as op  # noqa: E402
from book import live  # noqa: E402
from nnlib.core import Parameter  # noqa: E402
from nnlib.layers import mlp  # noqa: E402
from nnlib.losses import CrossEntropyLoss  # noqa: E402
from nnlib.optim import SGD, Adam, RMSprop  # noqa: E402


def _labelled(fig):
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    return axes and all(ax.get_xlabel() for ax in axes) and any(ax.get_ylabel() for ax in axes)


# --- surfaces --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(op.SURFACES))
def test_surface_gradient_matches_central_differences(name):
    s = op.SURFACES[name]
    rng = np.random.default_rng(0)
    for theta in rng.uniform(-1.5, 1.5, size=(5, 2)):
        eps = 1e-6
        numeric = [(s.f(theta + eps * e) - s.f(theta - eps * e)) / (2 * eps) for e in np.eye(2)]
        np.testing.assert_allclose(s.grad(theta), numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s.grad(s.minimum), 0.0, atol=1e-14)
    assert s.f(s.minimum) == s.f_min


def test_both_surfaces_have_sharpest_curvature_one_at_the_minimum():
    for s in op.SURFACES.values():
        assert math.isclose(s.eigenvalues[0], 1.0, rel_tol=1e-12)
    q = op.SURFACES["quadratic"]
    np.testing.assert_allclose(q.eigenvalues, [1.0, 0.01], rtol=1e-12)
    r = op.SURFACES["rosenbrock"]
    assert 2400 < r.eigenvalues[0] / r.eigenvalues[1] < 2600


def test_quadratic_surface_rejects_bad_curvatures():
    with pytest.raises(ValueError, match="lambda_max >= lambda_min"):
        op.quadratic_surface((0.1, 1.0))
    with pytest.raises(ValueError, match="quadratic_surface"):
        op.quadratic_surface((1.0, -1.0))


# --- optimiser paths ---------------------------------------------------------------------------
def test_gradient_descent_path_is_the_closed_form_and_nnlib_sgd():
    q = op.SURFACES["quadratic"]
    for eta in (0.3, 1.5, 2.2):
        path = op.optimiser_path("quadratic", "momentum", lr=eta, steps=40)
        np.testing.assert_allclose(path.points, op.gd_closed_form(q, eta, 40), rtol=1e-10,
                                   atol=1e-13)


def test_path_diverges_exactly_above_two_over_lambda_max():
    assert op.optimiser_path("quadratic", "momentum", lr=1.99).diverged_at is None
    run = op.optimiser_path("quadratic", "momentum", lr=2.1, steps=2000)
    assert run.diverged_at is not None and len(run.points) == run.diverged_at + 1


def test_heavy_ball_converges_beyond_two_over_lambda_max():
    run = op.optimiser_path("quadratic", "momentum", lr=3.0, momentum=0.9, steps=2000)
    assert run.diverged_at is None and run.gaps[-1] < 1e-10


def test_path_uses_each_optimiser_as_nnlib_defines_it():
    run = op.optimiser_path("rosenbrock", "rmsprop", lr=0.01, momentum=0.5, steps=20)
    s = op.SURFACES["rosenbrock"]
    p = Parameter(np.array(s.start))
    opt = RMSprop([p], lr=0.01, momentum=0.5)
    for _ in range(20):
        p.grad[...] = s.grad(p.data)
        opt.step()
    np.testing.assert_allclose(run.points[-1], p.data, rtol=1e-14)


def test_nesterov_without_momentum_is_gradient_descent():
    a = op.optimiser_path("quadratic", "nesterov", lr=1.0, momentum=0.0, steps=30)
    b = op.optimiser_path("quadratic", "momentum", lr=1.0, momentum=0.0, steps=30)
    np.testing.assert_array_equal(a.points, b.points)


def test_make_optimizer_builds_the_right_classes():
    ps = [Parameter([0.0])]
    assert isinstance(op.make_optimizer("momentum", ps, 0.1, 0.9), SGD)
    nest = op.make_optimizer("nesterov", ps, 0.1, 0.9)
    assert isinstance(nest, SGD) and nest.nesterov
    adam = op.make_optimizer("adam", ps, 0.1, 0.7)
    assert isinstance(adam, Adam) and adam.betas == (0.7, 0.999)
    with pytest.raises(ValueError, match="make_optimizer"):
        op.make_optimizer("lion", ps, 0.1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(surface="bowl"), "surface"), (dict(optimiser="lbfgs"), "optimiser"),
    (dict(lr=0.0), "lr"), (dict(momentum=1.0), "momentum in \\[0, 1\\)"),
    (dict(steps=0), "steps")])
def test_optimiser_path_rejects_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        op.optimiser_path(**kwargs)


def test_path_arrays_are_read_only_because_they_are_cached():
    run = op.optimiser_path("quadratic", "adam", lr=0.1, momentum=0.9)
    with pytest.raises(ValueError):
        run.points[0, 0] = 1.0
    assert run.first_below(1e-300) is None or run.first_below(1e-300) > 0


# --- theory: spectral radius and steps to converge ----------------------------------------------
def test_spectral_radius_matches_the_two_by_two_matrices():
    rng = np.random.default_rng(0)
    for x, mu in zip(rng.uniform(0, 4, 20), rng.uniform(0, 0.99, 20), strict=True):
        heavy = np.array([[1 - x, -mu], [x, mu]])            # (e, eta v) with eta lambda = x
        assert math.isclose(op.spectral_radius(x, mu), max(abs(np.linalg.eigvals(heavy))),
                            rel_tol=1e-7, abs_tol=1e-9)
        nest = np.array([[1 - x * (1 + mu), -mu * mu], [x, mu]])    # (e, eta b)
        assert math.isclose(op.spectral_radius(x, mu, nesterov=True),
                            max(abs(np.linalg.eigvals(nest))), rel_tol=1e-7, abs_tol=1e-9)


def test_spectral_radius_limits_of_stability():
    mu = 0.9
    heavy, nest = 2 * (1 + mu), 2 * (1 + mu) / (1 + 2 * mu)
    assert op.spectral_radius(0.999 * heavy, mu) < 1 < op.spectral_radius(1.001 * heavy, mu)
    assert (op.spectral_radius(0.999 * nest, mu, nesterov=True) < 1
            < op.spectral_radius(1.001 * nest, mu, nesterov=True))
    np.testing.assert_allclose(op.spectral_radius([0.5, 1.5], 0.0), [0.5, 0.5])


def test_steps_to_converge_scale_like_kappa_and_sqrt_kappa():
    gd = [op.steps_to_converge(k, "gd") for k in (10, 1000)]
    mo = [op.steps_to_converge(k, "momentum") for k in (10, 1000)]
    assert 90 < gd[1] / gd[0] < 110                  # 100 times the condition number
    assert 8 < mo[1] / mo[0] < 16                    # sqrt(100) = 10, a little more
    theory = math.log(1e-6) / math.log(99 / 101)
    assert abs(op.steps_to_converge(100, "gd") - theory) < 1.5


def test_steps_to_converge_rejects_bad_input():
    with pytest.raises(ValueError, match="kappa >= 1"):
        op.steps_to_converge(0.5)
    with pytest.raises(ValueError, match="method"):
        op.steps_to_converge(10, "adam")


# --- the learning-rate sweep ---------------------------------------------------------------------
def test_lr_sweep_is_finite_below_and_explodes_above_the_critical_rate():
    sw = op.lr_sweep(steps=200)
    below, above = sw.gaps[sw.etas < 1.95], sw.gaps[sw.etas > 2.05]
    assert np.all(below < sw.gaps[0] * 1.0001) and np.all(above > 1e2)
    assert sw.critical == 2.0 and math.isclose(sw.best, 2 / 1.01)


def test_lr_sweep_rejects_bad_rates():
    with pytest.raises(ValueError, match="positive learning rates"):
        op.lr_sweep(etas=[0.1, -1.0])
    with pytest.raises(TypeError, match="gd_closed_form"):
        op.gd_closed_form("quadratic", 0.1, 3)


def test_draw_learning_rates_is_labelled_and_fits_the_column():
    fig = op.draw_learning_rates()
    assert fig.get_size_inches()[0] <= 7.6 and _labelled(fig)
    assert fig.axes[-1].get_yscale() == "log"
    plt.close(fig)


# --- gradient noise -------------------------------------------------------------------------------
def test_per_example_gradients_average_to_the_batch_gradient():
    net, ce = mlp([5, 4, 3], rng=0), CrossEntropyLoss()
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(7, 5)), rng.integers(0, 3, size=7)
    G = op.per_example_gradients(net, ce, X, y)
    ce(net(X), y)
    net.zero_grad()
    net.backward(ce.backward())
    flat = np.concatenate([p.grad.ravel() for p in net.parameters()])
    np.testing.assert_allclose(G.mean(axis=0), flat, rtol=1e-10, atol=1e-13)
    assert G.shape == (7, sum(p.data.size for p in net.parameters()))
    with pytest.raises(ValueError, match="per_example_gradients"):
        op.per_example_gradients(net, ce, X, y[:3])


def test_minibatch_noise_matches_the_theorem_and_vanishes_for_the_full_batch():
    G = np.random.default_rng(3).normal(size=(60, 4))
    noise = op.minibatch_noise(G, batch_sizes=(1, 6, 60), draws=4000, rng=0)
    np.testing.assert_allclose(noise.measured[:2], noise.predicted[:2], rtol=0.08)
    assert noise.predicted[2] == 0 and noise.measured[2] < 1e-12
    sigma2 = np.mean(np.sum((G - G.mean(0)) ** 2, axis=1))
    assert math.isclose(noise.sigma2, sigma2, rel_tol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_sizes=(1, 100)), "batch sizes from 1 to m"), (dict(draws=0), "draws"),
    (dict(batch_sizes=()), "batch sizes")])
def test_minibatch_noise_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        op.minibatch_noise(np.ones((10, 2)), **kwargs)


def test_noise_floor_settles_at_the_predicted_value():
    nf = op.noise_floor(etas=(0.2,), steps=300, chains=8000, rng=1)
    assert math.isclose(nf.floor[0], 0.2 / (2 * 1.8))
    assert abs(nf.mean_gap[0, -100:].mean() / nf.floor[0] - 1) < 0.05
    with pytest.raises(ValueError, match="0 < eta \\* lam < 2"):
        op.noise_floor(etas=(2.5,))


def test_draw_gradient_noise_is_labelled():
    G = np.random.default_rng(0).normal(size=(30, 3))
    fig = op.draw_gradient_noise(op.minibatch_noise(G, (1, 3, 10), draws=20),
                                 op.noise_floor(steps=20, chains=50))
    assert _labelled(fig) and fig.axes[0].get_xscale() == "log"
    plt.close(fig)


# --- non-convex surface ---------------------------------------------------------------------------
def test_two_wells_critical_points_have_zero_gradient_and_the_right_kinds():
    xs = op.wells_critical_points()
    for x in xs:
        np.testing.assert_allclose(op.two_wells_grad([x, 0.0]), 0.0, atol=1e-12)
    curv = 3 * xs ** 2 - 1
    assert curv[0] > 0 and curv[1] < 0 and curv[2] > 0          # min, saddle, min
    assert op.two_wells([xs[0], 0]) < op.two_wells([xs[2], 0])    # the global one is left


def test_descend_two_wells_from_the_saddle_stays_there():
    xs = op.wells_critical_points()
    run = op.descend_two_wells([[xs[1], 1.0]], lr=0.1, steps=200)
    np.testing.assert_allclose(run[-1, 0], [xs[1], 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        op.descend_two_wells([1.0, 2.0, 3.0])


def test_draw_nonconvex_draws_every_run():
    starts = np.array([[-0.5, 1.0], [0.5, 1.0]])
    runs = op.descend_two_wells(starts, steps=50)
    near = op.descend_two_wells([[0.2, 1.0]], steps=50)
    fig = op.draw_nonconvex(starts, runs, near, (1e-2,), 0.1)
    assert _labelled(fig) and len(fig.axes[1].lines) >= 2
    plt.close(fig)


def test_draw_momentum_rates_is_log_log_on_the_right():
    fig = op.draw_momentum_rates([10, 100], [69, 691], [27, 95])
    assert fig.axes[1].get_xscale() == fig.axes[1].get_yscale() == "log" and _labelled(fig)
    plt.close(fig)


# --- Adam --------------------------------------------------------------------------------------
def test_adam_moments_follow_one_minus_beta_to_the_t():
    mo = op.adam_moments(steps=50, runs=20000, rng=2)
    t = np.arange(1, 51)
    np.testing.assert_allclose(mo.m / mo.g_mean, 1 - 0.9 ** t, atol=0.03)
    np.testing.assert_allclose(mo.v / mo.g2_mean, 1 - 0.999 ** t, atol=0.003)
    with pytest.raises(ValueError, match="beta2 in \\[0, 1\\)"):
        op.adam_moments(beta2=1.0)


def test_adam_step_sizes_start_at_eta_and_warmup_starts_small():
    sizes = op.adam_step_sizes(steps=60, runs=2000)
    warm = op.adam_step_sizes(steps=60, runs=2000, warmup=50)
    assert math.isclose(sizes[0], 1.0, rel_tol=1e-6) and sizes[-1] < 0.4
    assert math.isclose(warm[0], 1 / 51, rel_tol=1e-6)
    with pytest.raises(ValueError, match="warmup"):
        op.adam_step_sizes(warmup=-1)


def test_first_layer_update_ratios_adam_moves_every_weight_by_eta_at_first():
    net = mlp([64, 64, 10], "relu", rng=0)
    W = net[0].weight.data
    ratios = op.first_layer_update_ratios("adam", lr=1e-3, steps=2)
    # each parameter moves by eta (or by 0 where its gradient is exactly 0: a pixel that is
    # blank in the whole batch, a ReLU that is off for it), so the ratio is at most this:
    b = net[0].bias.data
    at_most = 1e-3 * math.sqrt(W.size + b.size) / math.sqrt(np.sum(W ** 2) + np.sum(b ** 2))
    assert 0.5 * at_most < ratios[0] <= at_most * (1 + 1e-9)
    with pytest.raises(ValueError, match="optimiser"):
        op.first_layer_update_ratios("rmsprop")


def test_draw_adam_early_is_labelled():
    fig = op.draw_adam_early(op.adam_moments(steps=20, runs=100),
                             {"a": op.adam_step_sizes(steps=20, runs=100)})
    assert _labelled(fig) and fig.axes[0].get_xscale() == "log"
    plt.close(fig)


# --- weight decay ---------------------------------------------------------------------------------
def test_blank_pixels_are_blank_in_every_training_image():
    X_train = op.digits_split()[0]
    blank = op.blank_pixels()
    assert blank.tolist() == [0, 32, 39] and np.all(X_train[:, blank] == 0)


def test_decay_runs_show_l2_ignoring_lambda_and_adamw_exact_decay():
    runs = op.decay_runs(lr=1e-3, epochs=2)
    assert set(runs) == set(op.DECAY_RUNS)
    b = {k: r.blank for k, r in runs.items()}
    np.testing.assert_allclose(b["L2 1e-4"], b["L2 1e-2"], rtol=2e-3)
    t = np.arange(len(b["AdamW 1"]))
    np.testing.assert_allclose(b["AdamW 1"], b["Adam"][0] * 0.999 ** t, rtol=1e-12)
    assert np.all(b["Adam"] == b["Adam"][0])
    with pytest.raises(ValueError, match="epochs"):
        op.decay_runs(epochs=0)


def test_draw_decay_labels_every_run():
    runs = op.decay_runs(lr=1e-3, epochs=2)
    fig = op.draw_decay(runs)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert all(v[2] in labels for v in op.DECAY_RUNS.values()) and _labelled(fig)
    plt.close(fig)


# --- schedules and the digits -----------------------------------------------------------------
def test_draw_schedules_draws_a_panel_per_schedule_and_rejects_bad_curves():
    fig = op.draw_schedules({"a": (np.ones(4), np.ones(4)), "b": (np.zeros(4), np.zeros(4))})
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["a", "b"]
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        op.draw_schedules({})
    with pytest.raises(ValueError, match="equal length"):
        op.draw_schedules({"a": (np.ones(3), np.ones(4))})


def test_digits_runs_record_every_epoch_and_follow_the_schedule():
    runs = op.digits_runs(epochs=3)
    assert set(runs) == set(op.DIGITS_RUNS)
    assert all(h.epochs == 3 and len(h.val_loss) == 3 for h in runs.values())
    sched = runs["momentum 0.3 schedule"]
    assert sched.lr[0] < 0.3 / 10                     # the warmup starts small
    with pytest.raises(ValueError, match="epochs"):
        op.digits_runs(epochs=2)


def test_draw_digits_training_is_labelled():
    fig = op.draw_digits_training(op.digits_runs(epochs=3))
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    plt.close(fig)


# --- the live experiment --------------------------------------------------------------------------
def test_experiment_fits_the_website_budget_and_the_defaults_are_a_frame():
    exp = op.optimiser_paths_experiment()
    grid = exp.grid()
    assert len(grid) == 6 * 3 * 4 * 2 - 6 * 2 <= live.MAX_FRAMES
    assert exp.defaults in grid and exp.main == "lr"
    assert not exp.figure.valid(lr=1.0, momentum=0.0, optimiser="nesterov",
                                surface="quadratic")


def test_live_figure_note_states_the_result_and_the_theory_line_its_rate():
    fig = op.OptimiserPaths()
    r = live.Renderer(fig)
    values = dict(lr=1.58489, momentum=0.0, optimiser="momentum", surface="quadratic")
    r.png(values)
    assert r.live.note.get_text() == "gap 2.3e\u22126 after 300 steps"
    t, y = r.live.theory.get_data()
    rho = op.spectral_radius(1.58489 * 0.01, 0.0)                # the shallow direction
    np.testing.assert_allclose(y[1:] / y[:-1], rho ** 2, rtol=1e-9)
    assert "0.984 per step" in fig.describe(**values)
    r.png({**values, "lr": 2.51189})
    assert r.live.note.get_text().startswith("diverged at step")
    r.png({**values, "optimiser": "adam", "lr": 0.1, "momentum": 0.9})
    assert not r.live.theory.get_visible() and "Theory" not in fig.describe(
        **{**values, "optimiser": "adam", "lr": 0.1, "momentum": 0.9})
    assert len(r.live.parts) == 2
    r.close()


def test_live_figure_has_no_parts_on_rosenbrock_and_describes_the_run():
    fig = op.OptimiserPaths()
    r = live.Renderer(fig)
    values = dict(lr=1.0, momentum=0.9, optimiser="momentum", surface="rosenbrock")
    r.png(values)
    assert r.live.parts == [] and r.live.theory is None
    text = fig.describe(**values)
    assert "Rosenbrock" in text and "after 500 steps" in text
    r.close()


def test_draw_paths_is_full_width_small_multiples():
    fig = op.draw_paths([dict(momentum=0.0), dict(momentum=0.9)], titles=["a", "b"])
    assert math.isclose(fig.get_size_inches()[0], 7.6) and len(fig.axes) == 4
    assert fig.subfigs[1]._suptitle.get_text() == "b"
    plt.close(fig)
