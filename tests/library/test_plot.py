"""Tests of nnlib.plot: every function returns its Axes or Figure, labels it, never calls
plt.show(), and rejects bad input with a sentence."""

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnlib import plot  # noqa: E402
from nnlib.core import Sequential  # noqa: E402
from nnlib.data import moons, spirals  # noqa: E402
from nnlib.layers import Linear, ReLU, mlp  # noqa: E402
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss  # noqa: E402
from nnlib.optim import Adam, SGD  # noqa: E402
from nnlib.train import History, fit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("plt.show() must never be called by nnlib.plot")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def trained():
    X, y = moons(150, noise=0.15, rng=0)
    net = mlp([2, 8, 8, 1], "relu", rng=0)
    history = fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.02), X, y, epochs=12,
                  batch_size=32, validation=moons(60, noise=0.15, rng=1), rng=0,
                  progress=False)
    return net, X, y, history


def legend_labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


# --------------------------------------------------------------------------------------------
def test_use_book_style_sets_the_house_style():
    with mpl.rc_context():
        plot.use_book_style()
        rc = mpl.rcParams
        assert rc["axes.prop_cycle"].by_key()["color"] == plot.COLORS
        assert tuple(rc["figure.figsize"]) == (6.4, 4.0)
        assert rc["figure.dpi"] == 100 and 100 <= rc["savefig.dpi"] <= 120
        assert rc["figure.constrained_layout.use"]
        assert rc["image.cmap"] == "viridis"
        assert not rc["axes.spines.top"] and not rc["axes.spines.right"]
        assert rc["axes.grid"] and rc["font.size"] >= 10
    assert len(plot.COLORS) == 8 and plot.COLORS[0] == "#0072B2"


# --------------------------------------------------------------------------------------------
# decision_boundary
# --------------------------------------------------------------------------------------------
def test_decision_boundary_binary_model_draws_the_half_probability_line():
    layer = Linear(2, 1, rng=0)
    layer.weight.data[:] = [[1.0, 0.0]]  # P(y = 1 | x) = sigma(x_1): the boundary is x_1 = 0
    layer.bias.data[:] = 0.0
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-0.5, 0.8], [0.7, -0.2]])
    ax = plot.decision_boundary(layer, X, np.array([0, 1, 0, 1]), resolution=41, title="t")
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$" and ax.get_title() == "t"
    assert legend_labels(ax) == ["class 0", "class 1"]
    lines = [c for c in ax.collections if isinstance(c, ContourSet) and list(c.levels) == [0.5]]
    assert len(lines) == 1
    xs = np.concatenate([seg[:, 0] for seg in lines[0].allsegs[0]])
    np.testing.assert_allclose(xs, 0.0, atol=1e-9)
    assert len(ax.figure.axes) == 2  # the colour bar of P(y = 1 | x)
    assert ax.figure.axes[1].get_ylabel() == r"$P(y = 1 \mid x)$"


def test_decision_boundary_multiclass_and_flat_regions():
    X, y = spirals(30, classes=3, rng=0)
    net = mlp([2, 8, 3], "tanh", rng=0)
    ax = plot.decision_boundary(net, X, y, resolution=30)
    assert len(ax.images) == 1  # probability-weighted mix of the class colours
    assert legend_labels(ax) == ["class 0", "class 1", "class 2"]
    _, ax2 = plt.subplots()
    out = plot.decision_boundary(net, X, np.eye(3)[y], ax=ax2, resolution=30, proba=False,
                                 legend=False)
    assert out is ax2 and len(ax2.images) == 0 and ax2.get_legend() is None
    assert len(ax2.figure.axes) == 1  # no colour bar for flat regions


def test_decision_boundary_accepts_label_functions_and_predict_objects():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [-1.0, 2.0]])
    y = np.array([-1, 1, 1, -1])  # perceptron labels

    def sign(G):
        return np.where(G[:, 0] > 0.5, 1, -1)

    ax = plot.decision_boundary(sign, X, y, resolution=20)
    assert legend_labels(ax) == ["class -1", "class 1"]

    class Classifier:
        def predict(self, G):
            return (G[:, 1] > 1).astype(int)

    plot.decision_boundary(Classifier(), X, (y > 0).astype(int), resolution=20)


def test_decision_boundary_leaves_the_model_mode_alone():
    net = mlp([2, 4, 1], "relu", rng=0)
    X, y = moons(20, rng=0)
    plot.decision_boundary(net, X, y, resolution=10)
    assert net.training and all(m.training for m in net)


def test_decision_boundary_rejects_bad_input():
    net = mlp([2, 4, 1], "relu", rng=0)
    with pytest.raises(ValueError, match=r"decision_boundary: expected X of shape \(m, 2\).*got "
                                         r"shape \(5, 3\)"):
        plot.decision_boundary(net, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match=r"decision_boundary: expected one label per row of X "
                                         r"\(5 rows\), got y of shape \(4,\)"):
        plot.decision_boundary(net, np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"decision_boundary: a one-column output of a function "
                                         r"must be probabilities.*apply a sigmoid"):
        plot.decision_boundary(lambda G: G[:, 0] * 10, np.eye(2), np.array([0, 1]))
    with pytest.raises(TypeError, match=r"decision_boundary: expected model to be an nnlib "
                                        r"Module.*got int"):
        plot.decision_boundary(3, np.eye(2), np.array([0, 1]))
    with pytest.raises(TypeError, match=r"decision_boundary: expected ax to be a matplotlib Axes "
                                        r"or None, got str"):
        plot.decision_boundary(net, np.eye(2), np.array([0, 1]), ax="left")
    with pytest.raises(ValueError, match=r"decision_boundary: expected resolution >= 2, got 1"):
        plot.decision_boundary(net, np.eye(2), np.array([0, 1]), resolution=1)


# --------------------------------------------------------------------------------------------
# loss_curves
# --------------------------------------------------------------------------------------------
def test_loss_curves_from_a_history(trained):
    _, _, _, history = trained
    ax = plot.loss_curves(history, log=True)
    assert isinstance(ax, Axes) and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and "loss" in ax.get_ylabel()
    assert ax.get_title() == "Training and validation loss"
    labels = legend_labels(ax)
    assert labels[:2] == ["training", "validation"]
    assert labels[2] == f"best epoch ({history.best_epoch})"
    train_line = ax.get_lines()[0]
    np.testing.assert_array_equal(train_line.get_ydata(), history.train_loss)
    np.testing.assert_array_equal(train_line.get_xdata(), history.epoch)


def test_loss_curves_from_lists_dicts_and_empty_histories():
    ax = plot.loss_curves([3.0, 2.0, 1.0], title="Falling")
    assert ax.get_title() == "Falling" and legend_labels(ax) == ["training"]
    ax = plot.loss_curves({"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.9], "best_epoch": 2})
    assert len(ax.get_lines()) == 3
    ax = plot.loss_curves(History())
    assert any("no epochs" in t.get_text() for t in ax.texts)
    h = History()
    h.train_loss[:] = [1.0, 5.0]
    h.diverged = True
    ax = plot.loss_curves(h)
    assert any("diverged" in t.get_text() for t in ax.texts)
    with pytest.raises(TypeError, match=r"loss_curves: expected a History .* got str"):
        plot.loss_curves("history")


# --------------------------------------------------------------------------------------------
# activation_histograms
# --------------------------------------------------------------------------------------------
def test_activation_histograms_one_panel_per_activation_layer(trained):
    net, X, _, _ = trained
    axes = plot.activation_histograms(net, X, title="Inside")
    assert [a.get_title() for a in axes] == ["1:ReLU", "3:ReLU"]
    assert axes[0].figure._suptitle.get_text() == "Inside"
    assert axes[0].get_xlabel() == "activation value" and axes[0].get_ylabel() == "count"
    total = sum(p.get_height() for p in axes[0].patches)
    assert total == len(X) * 8  # every (example, unit) value is counted once


def test_activation_histograms_on_given_axes_and_chosen_layers(trained):
    net, X, _, _ = trained
    _, ax = plt.subplots()
    out = plot.activation_histograms(net, X, ax=ax, layers=["0:Linear", 1])
    assert out is ax and len(legend_labels(ax)) == 2
    assert legend_labels(ax)[0].startswith("0:Linear")
    _, axs = plt.subplots(1, 3)
    out = plot.activation_histograms(net, X, ax=axs, layers=[0, 2, -1])
    assert [a.get_title() for a in out] == ["0:Linear", "2:Linear", "4:Linear"]


def test_activation_histograms_subsample_deep_networks():
    net = mlp([2] + [4] * 20 + [1], "tanh", rng=0)
    axes = plot.activation_histograms(net, np.ones((5, 2)), max_panels=5)
    titles = [a.get_title() for a in axes]
    assert len(titles) == 5 and titles[0] == "1:Tanh" and titles[-1] == "39:Tanh"


def test_activation_histograms_reject_bad_input(trained):
    net, X, _, _ = trained
    with pytest.raises(ValueError, match=r"activation_histograms: unknown layer '9:ReLU'; the "
                                         r"layers are \['0:Linear'"):
        plot.activation_histograms(net, X, layers=["9:ReLU"])
    with pytest.raises(ValueError, match=r"activation_histograms: layer position 7 is out of "
                                         r"range for 5 layers"):
        plot.activation_histograms(net, X, layers=[7])
    with pytest.raises(ValueError, match=r"activation_histograms: expected at least 2 Axes, one "
                                         r"per layer.*got 1"):
        plot.activation_histograms(net, X, ax=[plt.subplots()[1]])
    with pytest.raises(TypeError, match=r"activation_histograms: expected the model to be an "
                                        r"nnlib Module .*got function"):
        plot.activation_histograms(lambda x: x, X)


# --------------------------------------------------------------------------------------------
# gradient_norms
# --------------------------------------------------------------------------------------------
def test_gradient_norms_over_epochs_and_at_one_epoch(trained):
    _, _, _, history = trained
    ax = plot.gradient_norms(history)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert legend_labels(ax) == list(history.grad_norm)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), history.grad_norm["2:Linear"])
    ax = plot.gradient_norms(history, epoch=-1, title="Last")
    assert ax.get_title() == "Last" and ax.get_xlabel() == "layer"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(history.grad_norm)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(),
                               [v[-1] for v in history.grad_norm.values()])
    with pytest.raises(ValueError, match=r"gradient_norms: expected epoch between 1 and 12 \(or "
                                         r"-1 for the last\), got 13"):
        plot.gradient_norms(history, epoch=13)


def test_gradient_norms_of_a_model_and_of_a_dead_one():
    from nnlib.train import layer_grad_norms

    net = mlp([2, 6, 6, 1], "relu", rng=0)
    X, y = moons(30, rng=0)  # labels (m,): reshaped to the (m, 1) output
    ax = plot.gradient_norms(net, X=X, y=y, loss_fn=MSELoss())
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(),
                               list(layer_grad_norms(net, X, y, MSELoss()).values()))
    net[0].bias.data[:] = -50.0  # a dead first layer: every weight gradient is exactly zero
    ax = plot.gradient_norms(net, X=X, y=y, loss_fn=MSELoss())
    assert np.all(np.isnan(ax.get_lines()[0].get_ydata()))  # 0 cannot sit on a log axis
    assert ax.get_ylabel().startswith(r"$\|\partial L / \partial W\|$")
    with pytest.raises(ValueError, match=r"gradient_norms: to measure the gradients of a model, "
                                         r"pass X, y and loss_fn"):
        plot.gradient_norms(net, X=X)


def test_gradient_norms_without_diagnostics():
    ax = plot.gradient_norms(History())
    assert any("no gradient norms" in t.get_text() for t in ax.texts)


# --------------------------------------------------------------------------------------------
# network_diagram
# --------------------------------------------------------------------------------------------
def unit_counts(ax):
    return [len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")
            and c.get_offsets().ndim == 2 and len(c.get_offsets()) and
            type(c).__name__ == "PathCollection"]


def test_network_diagram_from_sizes_with_truncation():
    ax = plot.network_diagram([3, 25, 2], max_units=6)
    assert unit_counts(ax) == [3, 5, 2]  # units 1-4, a gap, unit 25: six slots
    assert any(r"\vdots" in t.get_text() for t in ax.texts)
    assert ax.get_title() == "Network 3-25-2"
    labels = [t.get_text() for t in ax.texts]
    assert "input\n3" in labels and "hidden 1\n25" in labels and "output\n2" in labels


def test_network_diagram_from_a_model_with_activations_and_highlight():
    net = mlp([2, 4, 3, 1], "relu", rng=0)
    ax = plot.network_diagram(net, x=np.array([0.5, -1.0]), highlight_layer=2)
    labels = [t.get_text() for t in ax.texts]
    assert "hidden 1\n4 · ReLU" in labels and "output\n1" in labels
    assert len(ax.figure.axes) == 2 and ax.figure.axes[1].get_ylabel() == "activation"
    units = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    assert units[2].get_linewidths()[0] > units[1].get_linewidths()[0]  # highlighted layer
    # the colours follow the values: the unit with the largest activation is the reddest
    a1 = np.maximum(net[0](np.array([[0.5, -1.0]])), 0)[0]
    faces = units[1].get_facecolors()
    if a1.max() > 0:
        assert np.argmax(faces[:, 0] - faces[:, 2]) == np.argmax(a1)


def test_network_diagram_partial_activations_leave_later_layers_blank():
    ax = plot.network_diagram([2, 3, 1], activations=[[1.0, -1.0], None], show_weights=False)
    units = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    assert np.allclose(units[2].get_facecolors()[0], [1, 1, 1, 1])
    assert not np.allclose(units[0].get_facecolors()[0], [1, 1, 1, 1])


def test_network_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match=r"network_diagram: expected activations\[1\] to have 3 "
                                         r"values .* got shape \(4,\)"):
        plot.network_diagram([2, 3, 1], activations=[[1.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match=r"network_diagram: expected at most 3 activation "
                                         r"vectors"):
        plot.network_diagram([2, 3, 1], activations=[None] * 4)
    with pytest.raises(ValueError, match=r"network_diagram: expected highlight_layer between 0 "
                                         r"\(input\) and 2 \(output\), got 3"):
        plot.network_diagram([2, 3, 1], highlight_layer=3)
    with pytest.raises(ValueError, match=r"network_diagram: x needs a model"):
        plot.network_diagram([2, 3, 1], x=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"network_diagram: show_weights needs a model"):
        plot.network_diagram([2, 3, 1], show_weights=True)
    with pytest.raises(TypeError, match=r"network_diagram: expected a Module or a list of layer "
                                        r"sizes.*'abc'"):
        plot.network_diagram("abc")
    with pytest.raises(ValueError, match=r"network_diagram: the model has no layer with a 2-D "
                                         r"weight"):
        plot.network_diagram(Sequential(ReLU()))


# --------------------------------------------------------------------------------------------
# diagnostics
# --------------------------------------------------------------------------------------------
def test_diagnostics_dashboard(trained):
    _, _, _, history = trained
    fig = plot.diagnostics(history, title="Moons, ReLU")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "Moons, ReLU"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Loss", "Accuracy", "Gradient norm per layer", "Activation spread",
                      "Dead ReLUs and saturated units", "Update-to-weight ratio"]
    ratio_ax = fig.axes[5]
    assert ratio_ax.get_yscale() == "log"
    assert any(np.allclose(line.get_ydata(), 1e-3) for line in ratio_ax.get_lines())
    dead_ax = fig.axes[4]
    assert legend_labels(dead_ax) == ["1:ReLU dead", "3:ReLU dead"]
    assert all(ax.get_xlabel() == "epoch" for ax in fig.axes)


def test_diagnostics_of_a_regression_run_and_of_an_empty_history():
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    net = mlp([1, 8, 1], "tanh", rng=0)
    h = fit(net, MSELoss(), SGD(net.parameters(), lr=0.1), X, X ** 2, epochs=3,
            progress=False)
    fig = plot.diagnostics(h)
    assert fig.axes[1].get_title() == "Learning rate"
    assert legend_labels(fig.axes[4]) == ["1:Tanh saturated"]
    fig = plot.diagnostics(History())
    assert len(fig.axes) == 6
    with pytest.raises(TypeError, match=r"diagnostics: expected a History .* got list"):
        plot.diagnostics([1.0, 2.0])


def test_multiclass_history_dashboard():
    X, y = spirals(40, classes=3, rng=0)
    net = mlp([2, 16, 3], "tanh", rng=0)
    h = fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=0.01), X, y, epochs=3,
            progress=False)
    fig = plot.diagnostics(h)
    assert legend_labels(fig.axes[1]) == ["training"]
