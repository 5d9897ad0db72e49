"""Tests of book.ch12_residual_connections, the experiments of Chapter 12 (Residual connections).

Only small networks on the toy moons are trained here (a fraction of a second each); the
digits runs are covered by the chapter itself and by tests/chapters/test_live.py.
"""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch12_residual_connections as rc  # noqa: E402
from book import live  # noqa: E402
from nnlib import probes  # noqa: E402
from nnlib.core import count_parameters  # noqa: E402
from nnlib.gradcheck import check_module  # noqa: E402
from nnlib.layers import Linear, Residual, ReLU, Sigmoid, Tanh  # noqa: E402
from nnlib.losses import CrossEntropyLoss  # noqa: E402


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison)


# --- the two networks -------------------------------------------------------------------------
@pytest.mark.parametrize("activation, cls", [("relu", ReLU), ("tanh", Tanh),
                                             ("sigmoid", Sigmoid)])
def test_make_network_builds_the_same_network_with_and_without_skips(activation, cls):
    plain = rc.make_network(6, activation, n_in=3, n_out=2, width=5)
    res = rc.make_network(6, activation, residual=True, n_in=3, n_out=2, width=5)
    assert [type(m) for m in plain] == [Linear] + [cls, Linear] * 5
    assert [type(m) for m in res] == [Linear] + [Residual] * 4 + [cls, Linear]
    assert count_parameters(plain) == count_parameters(res)
    assert sum(isinstance(m, Linear) for m in plain) == 6          # depth = Linear layers
    np.testing.assert_array_equal(res[0].weight.data, plain[0].weight.data)
    np.testing.assert_array_equal(res[-1].weight.data, plain[-1].weight.data)
    for k in range(4):                                              # branches scaled by 1/2
        np.testing.assert_allclose(res[1 + k].module[1].weight.data,
                                   plain[2 + 2 * k].weight.data / 2, rtol=1e-15)
        assert isinstance(res[1 + k].module[0], cls)


def test_depth_two_networks_are_identical_and_branch_scale_follows_the_blocks():
    a, b = rc.make_network(2, "relu"), rc.make_network(2, "relu", residual=True)
    assert len(a) == len(b) == 3
    x = np.random.default_rng(0).normal(size=(4, 64))
    np.testing.assert_array_equal(a(x), b(x))
    assert rc.branch_scale(2) == 1.0 and rc.branch_scale(3) == 1.0
    assert rc.branch_scale(11) == pytest.approx(1 / 3)


def test_a_residual_network_with_zero_branches_passes_its_signal_through_every_block():
    net = rc.make_network(7, "tanh", residual=True, n_in=3, n_out=2, width=4, scale=0.0)
    x = np.random.default_rng(1).normal(size=(6, 3))
    outs = probes.layer_outputs(net, x)
    first = outs["0:Linear"]
    for k in range(1, 6):
        np.testing.assert_array_equal(outs[f"{k}:Residual"], first)   # F = 0: identity
    np.testing.assert_array_equal(rc.branch_ratios(net, x), np.zeros(5))


def test_a_residual_network_passes_the_gradient_check():
    net = rc.make_network(4, "tanh", residual=True, n_in=3, n_out=2, width=4)
    assert check_module(net, np.random.default_rng(2).normal(size=(5, 3))) < 1e-7


def test_make_network_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"make_network: expected activation to be one of "
                                         r"\('relu', 'tanh', 'sigmoid'\), got 'gelu'"):
        rc.make_network(4, "gelu")
    with pytest.raises(ValueError, match="make_network"):
        rc.make_network(1, "relu")
    with pytest.raises(ValueError, match=r"branch_scale: expected depth between 2 and 60, "
                                         r"got 61"):
        rc.branch_scale(61)


# --- the sum over paths -----------------------------------------------------------------------
def test_path_gradients_is_the_sum_over_subsets_split_by_length():
    rng = np.random.default_rng(3)
    n, w = 4, 3
    Js = [rng.normal(size=(w, w)) / 3 for _ in range(n)]
    g = rng.normal(size=w)
    by_length = rc.path_gradients(Js, g)
    want = np.zeros((n + 1, w))
    for S in itertools.product([0, 1], repeat=n):
        v = g
        for J, through in zip(reversed(Js), reversed(S), strict=True):   # last block first
            v = J.T @ v if through else v
        want[sum(S)] += v
    np.testing.assert_allclose(by_length, want, rtol=1e-12, atol=1e-14)
    whole = g
    for J in reversed(Js):
        whole = (np.eye(w) + J).T @ whole
    np.testing.assert_allclose(by_length.sum(axis=0), whole, rtol=1e-12)


def test_gradient_by_path_length_starts_with_the_identity_path():
    net = rc.make_network(5, "relu", residual=True, n_in=3, n_out=3, width=4)
    X = np.random.default_rng(4).normal(size=(6, 3))
    y = np.array([0, 1, 2, 0, 1, 2])
    by_length = rc.gradient_by_path_length(net, X, y)
    records = probes.trace(net, X, y, CrossEntropyLoss())
    arriving = records["3:Residual"].delta                  # dL/d(last block's output)
    assert by_length.shape == (4,)
    assert by_length[0] == pytest.approx(np.linalg.norm(arriving, axis=1).mean())
    with pytest.raises(ValueError, match="no Residual block"):
        rc.gradient_by_path_length(rc.make_network(4, "relu", n_in=3, n_out=3), X, y)


# --- what trained blocks do -------------------------------------------------------------------
def test_lesion_of_zero_branches_changes_nothing_and_plain_layers_are_removable():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    res = rc.make_network(6, "relu", residual=True, n_in=3, n_out=2, width=4, scale=0.0)
    res.eval()
    intact = np.mean(res(X).argmax(axis=1) == y)
    np.testing.assert_array_equal(rc.lesion(res, X, y), np.full(4, intact))
    plain = rc.make_network(6, "relu", n_in=3, n_out=2, width=4)
    assert rc.lesion(plain, X, y).shape == (4,)
    with pytest.raises(ValueError, match="no hidden layer"):
        rc.lesion(rc.make_network(2, "relu", n_in=3, n_out=2), X, y)


# --- the runs ---------------------------------------------------------------------------------
def test_task_data_shapes_and_read_only():
    d = rc.task_data("digits")
    assert d.X.shape[1] == 64 and d.n_out == 10 and len(d.X) + len(d.X_test) < 1797
    assert not d.X.flags.writeable
    m = rc.task_data("moons")
    assert m.X.shape == (200, 2) and m.y.shape == (200, 1) and m.X_test is None
    with pytest.raises(ValueError, match="expected task to be one of"):
        rc.task_data("mnist")


def test_train_run_records_gradients_and_a_falling_loss_and_is_cached():
    run = rc.train_run("moons", 4, "sigmoid", residual=True)
    assert run.grad_norms.shape == (4,) and run.loss.shape == (401,)
    assert run.loss[-1] < run.loss[0] and not run.diverged
    assert rc.train_run("moons", 4, "sigmoid", residual=True) is run
    assert rc.trained_network("moons", 4, "sigmoid", True)[1].__class__ is Residual
    plain = rc.train_run("moons", 4, "sigmoid", residual=False)
    assert plain.grad_norms[0] < run.grad_norms[0]           # the plain gradient shrinks
    runs = rc.sweep("sigmoid", "moons", depths=(4,))
    assert runs[("residual", 4)] is run and runs[("plain", 4)] is plain


# --- figures ----------------------------------------------------------------------------------
def test_draw_block_diagram_shows_both_jacobians():
    fig = rc.draw_block_diagram()
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert r"= I + W" in texts and "skip" in texts and "branch" in texts
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)


def test_draw_degradation_has_labelled_axes_and_both_networks():
    fig = rc.draw_degradation("sigmoid", depths=(2, 4), sweep_depths=(2, 4), task="moons")
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    labels = [line.get_label() for line in fig.axes[1].lines]
    assert "plain" in labels and "residual" in labels
    plt.close(fig)
    with pytest.raises(ValueError, match="one to five depths"):
        rc.draw_degradation("relu", depths=())


def test_draw_experiment_panels_stacks_the_live_figure():
    fig = rc.draw_experiment_panels([("sigmoid", 4), ("sigmoid", 3)], task="moons")
    assert len(fig.subfigs) == 2 and _labelled(fig)
    grad_ax = fig.subfigs[0].axes[0]
    assert grad_ax.get_yscale() == "log" and len(grad_ax.lines[0].get_xdata()) == 4
    plt.close(fig)


def test_live_figure_notes_and_description_state_the_numbers():
    r = live.Renderer(rc.PlainVsResidual(task="moons", depths=(4,)))
    r.png({"depth": 4, "activation": "sigmoid", "networks": ("residual",)})
    fig = r.live
    run = rc.train_run("moons", 4, "sigmoid", True)
    assert fig.loss_notes["residual"].get_visible()
    assert not fig.loss_notes["plain"].get_visible()
    assert rc._loss_text(run.loss[-1]) in fig.loss_notes["residual"].get_text()
    text = fig.describe(4, "sigmoid", ("residual",))
    assert "depth 4" in text and "plain" in text and "residual" in text
    r.close()


def test_experiment_controls_and_grid():
    exp = rc.residual_experiment()
    assert exp.main == "depth"
    assert exp.controls["depth"].values() == list(rc.DEPTHS)
    assert exp.defaults == {"depth": 16, "activation": "relu",
                            "networks": ("plain", "residual")}
    assert len(exp.grid()) == len(rc.DEPTHS) * 3 <= live.MAX_FRAMES // 3
    assert rc.depth_slider(8).options == rc.DEPTHS
    with pytest.raises(ValueError, match="expected value to be one of"):
        rc.depth_slider(5)
