"""Tests of book.ch16_practical_recipe, the experiment code of Chapter 16 (A practical recipe
and diagnostics)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch16_practical_recipe as ch  # noqa: E402
from book import live  # noqa: E402
from nnlib.layers import Linear  # noqa: E402
from nnlib.losses import CrossEntropyLoss  # noqa: E402


def _labelled(fig):
    """Every visible axes has a y label (or named categories on y), and an x label unless
    it shares its x axis with the labelled axes below it."""
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    y_ok = all(ax.get_ylabel() or any(t.get_text() for t in ax.get_yticklabels())
               or ax.get_shared_y_axes().get_siblings(ax) != [ax] for ax in axes)
    x_ok = all(ax.get_xlabel() or any(o.get_xlabel() for o in
                                      ax.get_shared_x_axes().get_siblings(ax))
               for ax in axes)
    return y_ok and x_ok


# --- data --------------------------------------------------------------------------------------
def test_split_is_standardised_and_the_tables_hold_one_hot_labels():
    X_tr, y_tr, X_val, y_val, X_te, y_te = ch.digits_split()
    assert X_tr.shape[1] == 64 and len(X_tr) + len(X_val) + len(X_te) == 1797
    assert len(y_te) == 268 and set(np.unique(y_tr)) == set(range(10))
    np.testing.assert_allclose(X_tr.mean(axis=0), 0, atol=1e-12)
    tables = ch.digits_tables()
    assert [t.shape[1] for t in tables] == [74, 74, 74]
    for t, y in zip(tables, (y_tr, y_val, y_te), strict=True):
        np.testing.assert_array_equal(t[:, 64:].sum(axis=1), 1)
        np.testing.assert_array_equal(np.bincount(t[:, 64:].argmax(axis=1)), np.bincount(y))
    # the training rows are grouped by class (the premise of run 3)
    assert np.all(np.diff(tables[0][:, 64:].argmax(axis=1)) >= 0)
    tables[0][:] = -1                              # a copy: the cache is unharmed
    assert ch.digits_tables()[0].min() >= 0


# --- the checks before training ------------------------------------------------------------------
def test_memorising_network_fits_any_targets_exactly():
    X, y = ch.one_batch(16)
    Y = np.random.default_rng(3).normal(size=(16, 10))     # arbitrary targets
    net = ch.memorising_network(X, Y)
    np.testing.assert_allclose(net(X), Y, atol=1e-8)
    assert [type(layer).__name__ for layer in net] == ["Linear", "ReLU", "Linear"]
    assert net[0].weight.shape == (16, 64)


def test_memorising_network_rejects_repeated_inputs():
    X, _ = ch.one_batch(4)
    with pytest.raises(ValueError):
        ch.memorising_network(np.vstack([X, X[:1]]), np.zeros((5, 10)))


def test_overfit_one_batch_memorises_and_does_not_generalise():
    run = ch.overfit_one_batch()
    assert run.batch_loss[-1] < 1e-3 and run.val_loss.min() > 1.0
    assert run is ch.overfit_one_batch()                        # cached
    fig = ch.draw_one_batch(run, exact_loss=1e-5)
    assert _labelled(fig)
    plt.close(fig)


def test_initial_loss_is_near_ln_c_for_the_reference_network():
    script = ch.Pipeline()
    (X, y), _, _ = script.load_data()
    loss = CrossEntropyLoss()(script.build_model(64)(X), y)
    assert math.log(10) < loss < math.log(10) + 0.5


# --- the learning-rate sweep ------------------------------------------------------------------
def test_lr_sweep_ratio_grows_with_the_learning_rate():
    sweep = ch.lr_sweep()
    med = sweep["median_ratio"].mean(axis=1)
    small = sweep["lr"] <= 1e-3                     # beyond, the network starts to die
    assert sweep["lr"].shape == (len(ch.SWEEP_LRS),) and np.all(np.diff(med[small]) > 0)
    fig = ch.draw_lr_sweep(sweep)
    assert _labelled(fig)
    plt.close(fig)


# --- the trick ablation ---------------------------------------------------------------------------
def test_ablation_network_structure_follows_the_switches():
    plain = ch.ablation_network(False, False, False, False)
    assert [type(m).__name__ for m in plain][:2] == ["Linear", "Sequential"]
    full = ch.ablation_network(True, True, True, True)
    assert type(full[1]).__name__ == "Residual"
    assert [type(m).__name__ for m in full[1].module] == ["BatchNorm1d", "ReLU", "Dropout",
                                                         "Linear"]
    assert len([m for m in full if isinstance(m, Linear)]) == 2      # stem and head
    w_he = ch.ablation_network(he=True)[0].weight.data
    w_small = ch.ablation_network(he=False)[0].weight.data
    np.testing.assert_allclose(w_small / w_he, 0.01 / math.sqrt(2 / 64), rtol=1e-12)


def test_ablation_runs_are_cached_and_tell_the_tricks_apart():
    plain, recipe = ch.ablation_run(), ch.ablation_run(**ch.RECIPE)
    assert plain is ch.ablation_run() and recipe.test_acc > 0.95
    assert np.allclose(plain.train_loss, math.log(10), atol=1e-3) and plain.test_acc < 0.11
    assert recipe.lr.shape == (100,) and recipe.lr.max() == pytest.approx(ch.ABLATION.adamw_lr)
    assert recipe.lr[0] < recipe.lr[ch.ABLATION.warmup] and recipe.lr[-1] < 1e-4
    assert np.all(ch.ablation_run(adamw=False).lr == ch.ABLATION.sgd_lr)


@pytest.mark.parametrize("bad, match", [(dict(resnet=True), "unknown trick"),
                                        (dict(he=1), "he")])
def test_ablation_run_rejects_bad_switches(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ch.ablation_run(**bad)


def test_trick_comparison_figure():
    comp = ch.trick_comparison()
    assert set(comp["alone"]) == set(ch.TRICKS) == set(comp["without"])
    fig = ch.draw_trick_comparison(comp)
    assert _labelled(fig)
    plt.close(fig)


def test_ablation_experiment_has_six_toggles_and_64_frames():
    exp = ch.ablation_experiment()
    assert list(exp.controls) == list(ch.TRICKS)
    assert all(isinstance(c, live.Toggle) for c in exp.controls.values())
    assert len(exp.grid()) == 64 and exp.defaults == ch.RECIPE


# --- the bug zoo -------------------------------------------------------------------------------
def test_zoo_has_the_required_bugs_and_each_overrides_the_reference():
    assert len(ch.ZOO) >= 8
    for case in ch.ZOO:
        assert issubclass(case.bug, ch.Pipeline) and case.bug is not case.fixed
        src = ch.case_source(case.number)
        assert src.startswith(f"class Run{case.number}(Pipeline):")
        assert "bug" not in src.lower()           # the code does not give the answer away
    assert ch.reference_source().startswith("class Pipeline:")
    assert "def run(" not in ch.reference_source()


@pytest.mark.parametrize("bad", [0, 10, 1.5])
def test_zoo_run_rejects_a_run_that_does_not_exist(bad):
    with pytest.raises((ValueError, TypeError)):
        ch.zoo_run(bad)


def test_zoo_runs_are_measured_and_the_fix_helps():
    broken, fixed = ch.zoo_run(3), ch.zoo_run(3, fixed=True)
    assert broken is ch.zoo_run(3)
    steps = broken.epochs * broken.steps_per_epoch
    assert broken.step_loss.shape == (steps,) and broken.update_ratio.shape == (steps, 4)
    assert broken.grad_norm.shape == (broken.epochs + 1, 4)
    assert broken.dead_fraction.shape == (broken.epochs + 1, 3)
    assert fixed.test_acc > broken.test_acc and fixed.test_acc > 0.95


def test_the_learning_rate_bug_kills_the_network_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ch.Run1(epochs=2).run()
    assert r.update_ratio[0].max() > 0.3 and r.dead_fraction[-1].max() > 0.9


def test_zoo_dashboard_and_gallery_are_labelled():
    r = live.Renderer(ch.ZooDashboard())
    r.png({"run": 5, "fixed": True})
    assert _labelled(r.fig) and "Run 5 fixed" in r.live.headline.get_text()
    r.close()
    fig = ch.draw_zoo_gallery()
    assert len(fig.axes) == len(ch.ZOO)
    plt.close(fig)


def test_zoo_experiment_frames_and_description():
    exp = ch.bug_zoo_experiment()
    assert len(exp.grid()) == 2 * len(ch.ZOO)
    text = exp.figure.describe(run=2, fixed=False)
    assert text.startswith("Run 2 as written") and "test accuracy" in text


# --- the capstone's dashboard --------------------------------------------------------------------
def test_draw_dashboard_from_a_short_fit():
    from nnlib.optim import Adam
    from nnlib.train import fit

    X_tr, y_tr, X_val, y_val, *_ = ch.digits_split()
    net = ch.Pipeline().build_model(64)
    history = fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=1e-3), X_tr, y_tr, 2,
                  batch_size=64, validation=(X_val, y_val), rng=0, progress=False,
                  diagnostics=True)
    fig = ch.draw_dashboard(history, title="test")
    assert len(fig.axes) >= 4
    assert any(isinstance(layer, Linear) for layer in net)
    plt.close(fig)


def test_recipe_and_opening_figures():
    for fig in (ch.draw_recipe(), ch.draw_opening()):
        assert fig.axes
        plt.close(fig)


def test_the_code_the_chapter_shows_is_the_code_that_runs():
    """The notebook's code blocks of the reference script and of every run are the module's
    classes, character for character (the reader diagnoses the code that produced the
    dashboard)."""
    import json
    import re
    from pathlib import Path

    nb = Path(__file__).resolve().parents[2] / "chapters" / "16_practical_recipe.ipynb"
    text = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                     if c["cell_type"] == "markdown")
    blocks = re.findall(r"```python\n(.*?)\n```", text, flags=re.S)
    shown = {b.splitlines()[0]: b for b in blocks if b.startswith("class ")}
    assert shown["class Pipeline:"] == ch.reference_source()
    for case in ch.ZOO:
        assert shown[f"class Run{case.number}(Pipeline):"] == ch.case_source(case.number)
