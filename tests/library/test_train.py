"""Tests of nnlib.train: minibatches, accuracy, predict_proba, fit, History, diagnostics and
EarlyStopping."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib.core import Module, Parameter, Sequential  # noqa: E402
from nnlib.data import moons, spirals  # noqa: E402
from nnlib.dropout import Dropout  # noqa: E402
from nnlib.layers import Linear, ReLU, Residual, Sigmoid, Tanh, mlp  # noqa: E402
from nnlib.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss  # noqa: E402
from nnlib.normalization import BatchNorm1d  # noqa: E402
from nnlib.optim import SGD, Adam  # noqa: E402
from nnlib.schedules import StepLR  # noqa: E402
from nnlib.train import (PROBE_SIZE, Callback, EarlyStopping, History, accuracy,  # noqa: E402
                         fit, iterate_minibatches, layer_grad_norms, layer_outputs,
                         predict_proba, train_epoch)


def quiet_fit(*args, **kwargs):
    kwargs.setdefault("progress", False)
    return fit(*args, **kwargs)


@pytest.fixture
def moons_data():
    X, y = moons(200, noise=0.1, rng=0)
    Xv, yv = moons(100, noise=0.1, rng=1)
    return X, y, Xv, yv


# --------------------------------------------------------------------------------------------
# iterate_minibatches
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, batch_size", [(10, 3), (10, 5), (7, 10), (1, 1), (33, 8)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_minibatches_cover_every_example_once(m, batch_size, shuffle):
    X = np.arange(2 * m, dtype=float).reshape(m, 2)
    y = np.arange(m)
    batches = list(iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=0))
    assert len(batches) == math.ceil(m / batch_size)
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(m))
    sizes = [len(yb) for _, yb in batches]
    assert all(s == batch_size for s in sizes[:-1])
    assert sizes[-1] == m - batch_size * (len(batches) - 1)
    for Xb, yb in batches:  # rows stay aligned
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)
    if not shuffle:
        assert seen.tolist() == list(range(m))


def test_minibatches_are_reproducible_with_a_seed_and_differ_between_seeds():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50)

    def order(seed):
        return np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, rng=seed)])

    np.testing.assert_array_equal(order(3), order(3))
    assert not np.array_equal(order(3), order(4))
    rng = np.random.default_rng(0)  # a Generator advances: two epochs differ
    first = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, rng=rng)])
    second = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, rng=rng)])
    assert not np.array_equal(first, second)


def test_minibatches_keep_two_dimensional_targets():
    X = np.zeros((5, 3))
    Y = np.arange(10).reshape(5, 2)
    shapes = [yb.shape for _, yb in iterate_minibatches(X, Y, 2, shuffle=False)]
    assert shapes == [(2, 2), (2, 2), (1, 2)]


def test_minibatches_check_arguments_at_once():
    X, y = np.zeros((5, 2)), np.zeros(4)
    with pytest.raises(ValueError, match=r"iterate_minibatches: X and y must have the same "
                                         r"number of examples.*\(5, 2\).*\(4,\)"):
        iterate_minibatches(X, y, 2)  # raised before any batch is requested
    with pytest.raises(ValueError, match=r"iterate_minibatches: expected batch_size >= 1, got 0"):
        iterate_minibatches(X, np.zeros(5), 0)
    with pytest.raises(TypeError, match=r"iterate_minibatches: expected batch_size to be an "
                                        r"integer, got float 2.5"):
        iterate_minibatches(X, np.zeros(5), 2.5)
    with pytest.raises(TypeError, match=r"iterate_minibatches: expected shuffle to be True or "
                                        r"False, got str 'yes'"):
        iterate_minibatches(X, np.zeros(5), 2, shuffle="yes")
    with pytest.raises(TypeError, match=r"iterate_minibatches: expected a numeric"):
        iterate_minibatches([["a", "b"]], [0], 1)


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------
def test_accuracy_multiclass_scores_with_each_label_form():
    scores = np.array([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 2])  # two right
    assert accuracy(scores, y) == 0.5
    assert accuracy(scores, y.reshape(-1, 1)) == 0.5
    assert accuracy(scores, np.eye(3)[y]) == 0.5
    assert accuracy(scores, y.astype(float)) == 0.5
    assert isinstance(accuracy(scores, y), float)


def test_accuracy_binary_probabilities_and_logits():
    p = np.array([0.9, 0.4, 0.6, 0.1])
    y = np.array([1, 0, 0, 0])
    assert accuracy(p, y) == 0.75
    assert accuracy(p.reshape(-1, 1), y.reshape(-1, 1)) == 0.75
    assert accuracy(p, y, threshold=0.65) == 1.0
    logits = np.log(p / (1 - p))
    assert accuracy(logits, y, threshold=0) == 0.75
    assert accuracy(np.array([0.5]), np.array([0])) == 1.0  # strictly greater than threshold


def test_accuracy_rejects_bad_input():
    with pytest.raises(ValueError, match=r"accuracy: expected one label per example: output has "
                                         r"shape \(3, 2\) but y has shape \(2,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"accuracy: expected integer class labels.*0.5"):
        accuracy(np.zeros((2, 2)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"accuracy: expected labels in 0..1 .* 2 columns, got "
                                         r"labels from 0 to 3"):
        accuracy(np.zeros((2, 2)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"accuracy: a single-column output is a binary "
                                         r"prediction.*\[0, 2\]"):
        accuracy(np.zeros(2), np.array([0, 2]))
    with pytest.raises(ValueError, match=r"accuracy: the one-hot targets have 3 columns but the "
                                         r"output has 2 classes"):
        accuracy(np.zeros((2, 2)), np.eye(3)[:2])
    with pytest.raises(ValueError, match=r"accuracy: expected output of shape .* got \(0,\)"):
        accuracy(np.zeros(0), np.zeros(0))
    with pytest.raises(TypeError, match=r"accuracy: expected threshold to be a real number"):
        accuracy(np.zeros(2), np.zeros(2), threshold="0.5")


# --------------------------------------------------------------------------------------------
# predict_proba, layer_outputs, layer_grad_norms
# --------------------------------------------------------------------------------------------
def test_predict_proba_softmax_and_sigmoid():
    net = mlp([2, 5, 3], "tanh", rng=0)
    X = np.random.default_rng(0).normal(size=(7, 2))
    P = predict_proba(net, X)
    z = net(X)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(P, expected, rtol=1e-12)
    np.testing.assert_allclose(predict_proba(net, X, batch_size=3), P, rtol=1e-12)
    binary = mlp([2, 5, 1], "tanh", rng=0)
    p = predict_proba(binary, X)
    assert p.shape == (7, 1)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-binary(X))), rtol=1e-12)


def test_predict_proba_runs_in_eval_mode_and_restores_every_mode():
    net = Sequential(Linear(2, 8, rng=0), ReLU(), Dropout(0.5, rng=0), Linear(8, 3, rng=1))
    net[2].eval()  # a mixed state must come back exactly
    net[2].training = True
    net[3].eval()
    before = [m.training for m in [net, *net]]
    X = np.ones((4, 2))
    a, b = predict_proba(net, X), predict_proba(net, X)
    np.testing.assert_array_equal(a, b)  # no dropout noise in evaluation mode
    assert [m.training for m in [net, *net]] == before
    with pytest.raises(TypeError, match=r"predict_proba: expected the model to be an nnlib "
                                        r"Module.*got function"):
        predict_proba(lambda x: x, X)


def test_layer_outputs_and_grad_norms():
    net = mlp([3, 4, 4, 2], "relu", rng=0)
    X = np.random.default_rng(1).normal(size=(6, 3))
    outs = layer_outputs(net, X)
    assert list(outs) == ["0:Linear", "1:ReLU", "2:Linear", "3:ReLU", "4:Linear"]
    np.testing.assert_allclose(outs["4:Linear"], net(X))
    np.testing.assert_allclose(outs["1:ReLU"], np.maximum(outs["0:Linear"], 0))
    y = np.array([0, 1, 1, 0, 1, 0])
    for p in net.parameters():
        p.grad[...] = 7.0
    norms = layer_grad_norms(net, X, y, CrossEntropyLoss())
    assert all(np.all(p.grad == 7.0) for p in net.parameters())  # grads restored
    assert list(norms) == ["0:Linear", "2:Linear", "4:Linear"]
    loss = CrossEntropyLoss()
    net.zero_grad()
    loss(net(X), y)
    net.backward(loss.backward())
    assert norms["2:Linear"] == pytest.approx(np.linalg.norm(net[2].weight.grad), rel=1e-12)


def test_nested_sequential_layers_have_dotted_keys():
    net = Sequential(Sequential(Linear(2, 3, rng=0), Tanh()), Linear(3, 1, rng=0))
    assert list(layer_outputs(net, np.ones((2, 2)))) == ["0.0:Linear", "0.1:Tanh", "1:Linear"]


# --------------------------------------------------------------------------------------------
# fit: learning
# --------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("error")
def test_fit_learns_moons_to_high_accuracy(moons_data):
    X, y, Xv, yv = moons_data
    net = mlp([2, 16, 16, 1], "tanh", rng=0)
    history = quiet_fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.01), X, y,
                        epochs=60, batch_size=32, validation=(Xv, yv), rng=0)
    assert history.train_acc[-1] >= 0.97
    assert history.val_acc[-1] >= 0.95
    assert accuracy(predict_proba(net, Xv), yv) == pytest.approx(history.val_acc[-1])
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.classification


def test_fit_learns_three_spirals_with_cross_entropy():
    X, y = spirals(100, classes=3, noise=0.1, rng=0)
    net = mlp([2, 32, 32, 3], "relu", rng=0)
    history = quiet_fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=0.01), X, y,
                        epochs=150, batch_size=64, rng=0, diagnostics=False)
    assert history.train_acc[-1] >= 0.9
    assert accuracy(net(X), y) >= 0.9


def test_fit_regression_records_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 1))
    y = np.sin(X)
    net = mlp([1, 16, 1], "tanh", rng=0)
    history = quiet_fit(net, MSELoss(), Adam(net.parameters(), lr=0.02), X, y, epochs=80,
                        batch_size=25, rng=0)
    assert history.train_acc == [] and history.val_acc == [] and not history.classification
    assert history.train_loss[-1] < 0.02


def test_fit_with_bce_on_probabilities_uses_threshold_one_half(moons_data):
    X, y, _, _ = moons_data
    net = Sequential(*mlp([2, 16, 1], "tanh", rng=0), Sigmoid())
    history = quiet_fit(net, BCELoss(), Adam(net.parameters(), lr=0.02), X, y, epochs=40,
                        batch_size=20, rng=0, eval_train=True)
    assert history.train_acc[-1] == pytest.approx(accuracy(net(X), y))
    assert history.train_acc[-1] > 0.85


def test_fit_is_reproducible_and_diagnostics_do_not_change_training(moons_data):
    X, y, Xv, yv = moons_data
    results = []
    for diagnostics in (True, True, False):
        net = Sequential(Linear(2, 16, rng=0), ReLU(), Dropout(0.2, rng=0), Linear(16, 1, rng=1))
        h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1, momentum=0.9),
                      X, y, epochs=5, batch_size=16, validation=(Xv, yv), rng=3,
                      diagnostics=diagnostics)
        results.append((h.train_loss, h.val_loss, [p.data.copy() for p in net.parameters()],
                        [p.grad.copy() for p in net.parameters()]))
    for other in results[1:]:
        assert other[0] == results[0][0] and other[1] == results[0][1]
        for a, b in zip(other[2] + other[3], results[0][2] + results[0][3], strict=True):
            np.testing.assert_array_equal(a, b)


def test_fit_restores_the_model_modes(moons_data):
    X, y, _, _ = moons_data
    net = Sequential(Linear(2, 8, rng=0), ReLU(), Dropout(0.3, rng=0), Linear(8, 1, rng=0))
    net.eval()
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2)
    assert not any(m.training for m in [net, *net])
    net.train()
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2)
    assert all(m.training for m in [net, *net])


def test_fit_with_batch_norm_and_dropout_records_diagnostics(moons_data):
    X, y, Xv, yv = moons_data
    net = Sequential(Linear(2, 16, rng=0), BatchNorm1d(16), ReLU(), Dropout(0.1, rng=0),
                     Linear(16, 1, rng=1))
    h = quiet_fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.01), X, y, epochs=15,
                  batch_size=32, validation=(Xv, yv), rng=0)
    assert set(h.grad_norm) == {"0:Linear", "1:BatchNorm1d", "4:Linear"}
    assert list(h.dead_fraction) == ["2:ReLU"]
    assert h.val_acc[-1] > 0.85


def test_fit_sum_reduction_reports_the_loss_per_example(moons_data):
    X, y, _, _ = moons_data
    losses = []
    for reduction in ("mean", "sum"):
        net = mlp([2, 4, 1], "tanh", rng=0)
        h = quiet_fit(net, BCEWithLogitsLoss(reduction=reduction), SGD(net.parameters(), lr=0.0),
                      X, y, epochs=1, batch_size=30, rng=0)
        losses.append(h.train_loss[0])
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


def test_fit_eval_train_records_the_end_of_epoch_loss(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 8, 1], "tanh", rng=0)
    loss = BCEWithLogitsLoss()
    h = quiet_fit(net, loss, SGD(net.parameters(), lr=0.5), X, y, epochs=3, batch_size=50,
                  rng=0, eval_train=True)
    assert h.train_loss[-1] == pytest.approx(loss(net(X), y.reshape(-1, 1).astype(float)))
    assert h.train_acc[-1] == pytest.approx(accuracy(net(X), y, threshold=0))


def test_fit_accepts_a_model_that_is_not_a_sequential():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(2, 1, rng=0)

        def forward(self, x):
            return self.fc(x)

        def backward(self, grad_out):
            return self.fc.backward(grad_out)

    X, y = moons(50, rng=0)
    net = Net()
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.5), X, y, epochs=3)
    assert list(h.grad_norm) == ["model:Net"] and list(h.act_std) == ["model:Net"]


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------
def test_history_fields_and_lengths(moons_data):
    X, y, Xv, yv = moons_data
    net = mlp([2, 8, 8, 1], "relu", rng=0)
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=4,
                  batch_size=50, validation=(Xv, yv), rng=0)
    assert isinstance(h, History)
    assert h.epochs == 4 and h.epoch == [1, 2, 3, 4]
    for name in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
        assert len(getattr(h, name)) == 4, name
    assert h.lr == [0.1] * 4
    linear = ["0:Linear", "2:Linear", "4:Linear"]
    assert list(h.grad_norm) == linear and list(h.update_ratio) == linear
    assert list(h.act_mean) == ["0:Linear", "1:ReLU", "2:Linear", "3:ReLU", "4:Linear"]
    assert list(h.dead_fraction) == ["1:ReLU", "3:ReLU"] and h.saturated_fraction == {}
    for table in (h.grad_norm, h.act_mean, h.act_std, h.dead_fraction, h.update_ratio):
        assert all(len(v) == 4 for v in table.values())
    assert h.layers() == list(h.act_mean)
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1
    assert not h.stopped_early and not h.diverged and h.stop_reason == "completed 4 epochs"
    d = h.as_dict()
    assert d["epoch"] == [1, 2, 3, 4] and d["grad_norm"]["2:Linear"] == h.grad_norm["2:Linear"]
    d["train_loss"].append(0.0)  # a copy
    assert h.epochs == 4
    rows = h.rows()
    assert {"epoch": 2, "metric": "val_loss", "layer": None, "value": h.val_loss[1]} in rows
    assert {"epoch": 3, "metric": "dead_fraction", "layer": "3:ReLU",
            "value": h.dead_fraction["3:ReLU"][2]} in rows
    assert len(rows) == 4 * (5 + 3 + 5 + 5 + 2 + 3)
    lines = h.table().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr"]
    assert len(lines) == 5 and len(h.table(every=2).splitlines()) == 3
    assert repr(h).startswith("History(epochs=4, train_loss=")
    pd = pytest.importorskip("pandas")
    frame = h.to_dataframe()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(rows)


def test_history_diagnostics_values_match_a_direct_measurement():
    X, y = moons(120, rng=0)  # fewer than PROBE_SIZE examples: the probe is the whole set
    assert len(X) <= PROBE_SIZE
    net = mlp([2, 6, 1], "tanh", rng=0)
    loss = BCEWithLogitsLoss()
    W0 = net[0].weight.data.copy()
    h = quiet_fit(net, loss, SGD(net.parameters(), lr=0.3), X, y, epochs=1, batch_size=500,
                  shuffle=False)
    # grad norms and activation statistics: the probe pass after the epoch, evaluation mode
    norms = layer_grad_norms(net, X, y.reshape(-1, 1).astype(float), loss)
    for key, value in norms.items():
        assert h.grad_norm[key][0] == pytest.approx(value, rel=1e-10)
    outs = layer_outputs(net, X)
    for key, a in outs.items():
        assert h.act_mean[key][0] == pytest.approx(a.mean(), rel=1e-10, abs=1e-14)
        assert h.act_std[key][0] == pytest.approx(a.std(), rel=1e-10)
    tanh = outs["1:Tanh"]
    assert h.saturated_fraction["1:Tanh"][0] == pytest.approx(np.mean(np.abs(tanh) > 0.99))
    # update ratio of the one full-batch step: ||W1 - W0|| / ||W0||
    expected = np.linalg.norm(net[0].weight.data - W0) / np.linalg.norm(W0)
    assert h.update_ratio["0:Linear"][0] == pytest.approx(expected, rel=1e-10)


def test_dead_relu_layer_reports_one_and_zero_gradient(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 8, 8, 1], "relu", rng=0)
    net[0].bias.data[:] = -100.0  # every first-layer unit is negative for every input
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
                  batch_size=50, rng=0)
    assert h.dead_fraction["1:ReLU"] == [1.0, 1.0, 1.0]
    assert h.grad_norm["0:Linear"] == [0.0, 0.0, 0.0]
    assert h.update_ratio["0:Linear"] == [0.0, 0.0, 0.0]
    for values in h.dead_fraction.values():
        assert all(0.0 <= v <= 1.0 for v in values)
    healthy = mlp([2, 32, 1], "relu", rng=0)
    h2 = quiet_fit(healthy, BCEWithLogitsLoss(), SGD(healthy.parameters(), lr=0.1), X, y,
                   epochs=1, rng=0)
    assert h2.dead_fraction["1:ReLU"][0] < 0.5


@pytest.mark.parametrize("activation, key", [("sigmoid", "1:Sigmoid"), ("tanh", "1:Tanh")])
def test_saturated_units_are_reported(moons_data, activation, key):
    X, y, _, _ = moons_data
    net = mlp([2, 16, 1], activation, rng=0)
    net[0].weight.data *= 200.0  # huge pre-activations: almost every unit on an asymptote
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=1e-4), X, y, epochs=1,
                  rng=0)
    assert h.saturated_fraction[key][0] > 0.9
    calm = mlp([2, 16, 1], activation, rng=0)
    calm[0].weight.data *= 0.01
    h2 = quiet_fit(calm, BCEWithLogitsLoss(), SGD(calm.parameters(), lr=1e-4), X, y, epochs=1,
                   rng=0)
    assert h2.saturated_fraction[key][0] == 0.0


def test_probe_batch_is_capped():
    X = np.random.default_rng(0).normal(size=(PROBE_SIZE + 100, 2))
    y = (X[:, 0] > 0).astype(int)
    seen = []

    class Spy(Linear):
        def forward(self, x):
            seen.append(len(x))
            return super().forward(x)

    net = Sequential(Spy(2, 1, rng=0))
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1,
              batch_size=len(X))
    assert seen == [1, len(X), PROBE_SIZE]  # shape check, the training step, the probe


# --------------------------------------------------------------------------------------------
# callbacks, early stopping, divergence, schedules
# --------------------------------------------------------------------------------------------
def test_early_stopping_restores_the_best_weights(moons_data):
    X, y, _, _ = moons_data
    # validating against the flipped labels: the better the fit, the worse the "validation"
    net = mlp([2, 8, 1], "tanh", rng=0)
    snapshots = {}

    def remember(epoch, history, model):
        snapshots[epoch] = model.state_dict()

    stopper = EarlyStopping(patience=3)
    h = quiet_fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.05), X, y, epochs=200,
                  batch_size=50, validation=(X, 1 - y), callbacks=[remember, stopper], rng=0)
    best = stopper.best_epoch
    assert h.stopped_early and h.epochs == best + 4 < 200
    assert stopper.stopped_epoch == h.epochs
    assert h.best_epoch == best and h.val_loss[best - 1] == min(h.val_loss)
    assert "EarlyStopping" in h.stop_reason
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[best][name])
    assert not np.array_equal(net[0].weight.data, snapshots[h.epochs]["0.weight"])


def test_early_stopping_without_restoring_keeps_the_last_weights(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 8, 1], "tanh", rng=0)
    last = {}
    stopper = EarlyStopping(patience=1, restore_best=False)
    quiet_fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.05), X, y, epochs=100,
              batch_size=50, validation=(X, 1 - y), rng=0,
              callbacks=[lambda e, h, m: last.update(m.state_dict()), stopper])
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, last[name])


def test_early_stopping_on_accuracy_and_its_errors(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 8, 1], "tanh", rng=0)
    stopper = EarlyStopping(patience=2, monitor="train_acc", min_delta=0.5)
    h = quiet_fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.01), X, y, epochs=50,
                  batch_size=50, callbacks=stopper, rng=0)
    assert h.epochs == 4 and stopper.best_epoch == 1  # nothing beats epoch 1 by 0.5
    with pytest.raises(ValueError, match=r"EarlyStopping: monitor='val_loss' has no values; "
                                         r"pass validation="):
        quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2,
                  callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match=r"EarlyStopping: expected monitor to be one of .*got "
                                         r"'loss'"):
        EarlyStopping(monitor="loss")
    with pytest.raises(ValueError, match=r"EarlyStopping: expected patience >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"EarlyStopping: expected min_delta >= 0, got -0.1"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(TypeError, match=r"EarlyStopping: expected restore_best to be True or "
                                        r"False, got int 1"):
        EarlyStopping(restore_best=1)


def test_a_callback_can_stop_training(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    calls = []

    class StopAtThree(Callback):
        def on_train_begin(self, history, model):
            calls.append("begin")

        def on_epoch_end(self, epoch, history, model):
            calls.append(epoch)
            return epoch == 3

        def on_train_end(self, history, model):
            calls.append("end")

    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=10,
                  callbacks=[StopAtThree()])
    assert calls == ["begin", 1, 2, 3, "end"]
    assert h.epochs == 3 and h.stopped_early and "StopAtThree" in h.stop_reason


@pytest.mark.filterwarnings("error")
def test_non_finite_loss_stops_training_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    y = X @ rng.normal(size=(4, 1)) * 10
    net = mlp([4, 32, 32, 1], "relu", rng=0)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.warns(RuntimeWarning, match=r"fit: the training loss became (nan|inf) in "
                                                r"epoch \d+, minibatch \d+.*learning rate"):
            h = quiet_fit(net, MSELoss(), SGD(net.parameters(), lr=5.0), X, y, epochs=500,
                          batch_size=64)
    assert h.diverged and h.stopped_early and h.epochs < 500
    assert "non-finite loss" in h.stop_reason
    assert all(np.isfinite(h.train_loss))
    assert len(h.lr) == h.epochs and all(len(v) == h.epochs for v in h.grad_norm.values())


def test_nan_input_stops_in_the_first_epoch():
    X = np.ones((10, 2))
    X[3, 1] = np.nan
    y = np.zeros(10)
    net = mlp([2, 3, 1], "tanh", rng=0)
    with pytest.warns(RuntimeWarning, match=r"became nan in epoch 1, minibatch 1"):
        h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=5)
    assert h.epochs == 0 and h.diverged and h.best_epoch is None


def test_progress_false_prints_nothing_and_progress_true_draws_a_bar(moons_data, capsys):
    X, y, Xv, yv = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
              validation=(Xv, yv))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
        validation=(Xv, yv), progress=True)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and "val_loss=" in captured.err


def test_schedule_is_stepped_once_per_epoch(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    opt = SGD(net.parameters(), lr=0.4)
    h = quiet_fit(net, BCEWithLogitsLoss(), opt, X, y, epochs=5, batch_size=50,
                  schedule=StepLR(opt, step_size=2, gamma=0.5))
    assert h.lr == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1])
    assert opt.lr == pytest.approx(0.1)  # after the fifth step


class _RecordingSchedule:
    def __init__(self, requires_metric=False):
        self.requires_metric = requires_metric
        self.calls = []

    def step(self, *args):
        self.calls.append(args)


def test_metric_schedules_get_the_validation_or_training_loss(moons_data):
    X, y, Xv, yv = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    sched = _RecordingSchedule(requires_metric=True)
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
                  validation=(Xv, yv), schedule=sched)
    assert sched.calls == [(v,) for v in h.val_loss]
    sched = _RecordingSchedule(requires_metric=True)
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
                  schedule=sched)
    assert sched.calls == [(v,) for v in h.train_loss]


def test_reduce_on_plateau_from_nnlib_is_detected(moons_data):
    from nnlib.schedules import ReduceLROnPlateau

    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    opt = SGD(net.parameters(), lr=0.1)
    # validating on flipped labels makes the monitored loss rise, so the rate must drop
    h = quiet_fit(net, BCEWithLogitsLoss(), opt, X, y, epochs=8, batch_size=50,
                  validation=(X, 1 - y), schedule=ReduceLROnPlateau(opt, factor=0.5, patience=1))
    assert min(h.lr) < 0.1


def test_batch_interval_schedules_step_after_every_minibatch(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    sched = _RecordingSchedule()
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
              batch_size=64, schedule=sched, schedule_interval="batch")
    assert len(sched.calls) == 3 * math.ceil(len(X) / 64) and sched.calls[0] == ()
    with pytest.raises(ValueError, match=r"fit: _RecordingSchedule steps on a metric.*"
                                         r"schedule_interval='epoch'"):
        quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1,
                  schedule=_RecordingSchedule(True), schedule_interval="batch")


# --------------------------------------------------------------------------------------------
# fit: argument checks
# --------------------------------------------------------------------------------------------
def test_fit_rejects_bad_arguments(moons_data):
    X, y, Xv, yv = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    loss, opt = BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1)

    def call(**changes):
        kwargs = dict(model=net, loss_fn=loss, optimizer=opt, X=X, y=y, epochs=1,
                      progress=False)
        kwargs.update(changes)
        return fit(**kwargs)

    with pytest.raises(TypeError, match=r"fit: expected the model to be an nnlib Module .*got "
                                        r"list"):
        call(model=[net])
    with pytest.raises(TypeError, match=r"fit: expected an optimiser with step\(\) and "
                                        r"zero_grad\(\).*got list without step\(\)"):
        call(optimizer=[])
    with pytest.raises(TypeError, match=r"fit: expected loss_fn to be a loss object.*got str"):
        call(loss_fn="bce")
    with pytest.raises(ValueError, match=r"fit: expected epochs >= 1, got 0"):
        call(epochs=0)
    with pytest.raises(TypeError, match=r"fit: expected epochs to be an integer, got float 2.0"):
        call(epochs=2.0)
    with pytest.raises(ValueError, match=r"fit: expected batch_size >= 1, got 0"):
        call(batch_size=0)
    with pytest.raises(ValueError, match=r"fit: X and y must have the same number of examples "
                                         r"\(rows\), got X of shape \(200, 2\) and y of shape "
                                         r"\(199,\)"):
        call(y=y[:-1])
    with pytest.raises(TypeError, match=r"fit: expected validation to be a pair \(X_val, "
                                        r"y_val\), got ndarray"):
        call(validation=Xv)
    with pytest.raises(TypeError, match=r"fit: expected validation to be a pair.*a tuple of "
                                        r"length 3"):
        call(validation=(Xv, yv, yv))
    with pytest.raises(ValueError, match=r"fit: X_val and y_val must have the same number"):
        call(validation=(Xv, yv[:5]))
    with pytest.raises(TypeError, match=r"fit: expected schedule to have a step\(\) method, "
                                        r"got float"):
        call(schedule=0.5)
    with pytest.raises(ValueError, match=r"fit: expected schedule_interval to be one of "
                                         r"\['epoch', 'batch'\], got 'step'"):
        call(schedule_interval="step")
    with pytest.raises(TypeError, match=r"fit: expected each callback .* got int"):
        call(callbacks=[3])
    with pytest.raises(TypeError, match=r"fit: expected progress to be True or False, got int 1"):
        call(progress=1)
    with pytest.raises(ValueError, match=r"Linear\(in_features=2.*expected input with 2 "
                                         r"features, got shape \(1, 3\)"):
        call(X=np.ones((200, 3)))


def test_fit_casts_data_to_the_parameters_dtype(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0, dtype=np.float32)
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2)
    assert net[0].weight.data.dtype == np.float32
    assert all(np.isfinite(h.train_loss))


def test_function_callbacks_alone_are_accepted(moons_data):
    X, y, _, _ = moons_data
    net = mlp([2, 4, 1], "tanh", rng=0)
    epochs = []
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2,
              callbacks=lambda e, h, m: epochs.append(e))
    assert epochs == [1, 2]


def test_parameter_without_weight_layers_are_measured_by_all_parameters():
    class Shift(Module):
        def __init__(self):
            super().__init__()
            self.offset = Parameter(np.zeros(2))
            self._x = None

        def forward(self, x):
            return x + self.offset.data

        def backward(self, grad_out):
            self.offset.grad += grad_out.sum(axis=0)
            return grad_out

    net = Sequential(Shift(), Linear(2, 1, rng=0))
    X, y = moons(40, rng=0)
    h = quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=2)
    assert list(h.grad_norm) == ["0:Shift", "1:Linear"]
    first, second = h.update_ratio["0:Shift"]
    assert math.isnan(first) and second > 0  # undefined while the offset is still 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(h)


def test_fit_limits_blas_threads_for_small_networks_and_restores_them():
    from threadpoolctl import threadpool_info

    from nnlib.train import SMALL_NETWORK_FLOPS, _blas_limit

    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    small = mlp([2, 4, 1], rng=0)
    with _blas_limit("auto", small, 32, "fit"):
        inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert inside and all(n == 1 for n in inside)
    after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert after == before
    big = mlp([1000, 1000, 10], rng=0)
    assert 2 * 64 * sum(p.size for p in big.parameters()) >= SMALL_NETWORK_FLOPS
    with _blas_limit("auto", big, 64, "fit"):
        assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before
    with pytest.raises(ValueError, match="fit: expected blas_threads >= 1, got 0"):
        _blas_limit(0, small, 32, "fit")


def test_fit_leaves_the_blas_threads_alone_by_default_and_sets_them_when_asked(moons_data):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    X, y, _, _ = moons_data
    before = blas_threads()
    seen = []
    net = mlp([2, 4, 1], "tanh", rng=0)
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1,
              callbacks=lambda e, h, m: seen.append(blas_threads()))
    assert seen == [before]
    quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1,
              blas_threads=1, callbacks=lambda e, h, m: seen.append(blas_threads()))
    assert seen[1] and all(n == 1 for n in seen[1])
    assert blas_threads() == before
    with pytest.raises(ValueError, match=r"fit: expected blas_threads to be one of \['auto'\], "
                                         r"got 'many'"):
        quiet_fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1,
                  blas_threads="many")


# --------------------------------------------------------------------------------------------
# train_epoch: the loop itself
# --------------------------------------------------------------------------------------------
def test_train_epoch_is_the_loop_written_out(moons_data):
    X, y, _, _ = moons_data
    y = y.reshape(-1, 1).astype(float)
    batches = [(X[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50)]
    net, by_hand = mlp([2, 8, 1], "tanh", rng=0), mlp([2, 8, 1], "tanh", rng=0)
    loss_fn = BCEWithLogitsLoss()
    result = train_epoch(net, loss_fn, SGD(net.parameters(), lr=0.3), batches)
    optimizer, losses = SGD(by_hand.parameters(), lr=0.3), []
    for X_b, y_b in batches:
        losses.append(loss_fn(by_hand(X_b), y_b))
        optimizer.zero_grad()
        by_hand.backward(loss_fn.backward())
        optimizer.step()
    for a, b in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert result.steps == 4 and result.examples == 200 and result.diverged_at is None
    assert result.loss == pytest.approx(np.mean(losses), rel=1e-12)


def test_train_epoch_switches_to_training_mode_and_calls_after_step(moons_data):
    X, y, _, _ = moons_data
    y = y.reshape(-1, 1).astype(float)
    net = Sequential(Linear(2, 8, rng=0), ReLU(), Dropout(0.5, rng=0), Linear(8, 1, rng=1))
    net.eval()
    calls = []
    batches = list(iterate_minibatches(X, y, 64, rng=0, shuffle=False))
    train_epoch(net, MSELoss(reduction="sum"), SGD(net.parameters(), lr=1e-3), batches,
                after_step=lambda y_hat, batch: calls.append((y_hat.shape, batch[0] is not None)))
    assert all(m.training for m in [net, *net])
    assert calls == [((64, 1), True), ((64, 1), True), ((64, 1), True), ((8, 1), True)]
    net[2].eval()  # frozen on purpose inside a model in training mode: left alone
    train_epoch(net, MSELoss(), SGD(net.parameters(), lr=1e-3), batches)
    assert net.training and not net[2].training


@pytest.mark.filterwarnings("error")
def test_train_epoch_stops_before_a_non_finite_loss_reaches_the_weights():
    net = mlp([2, 3, 1], "tanh", rng=0)
    before = [p.data.copy() for p in net.parameters()]
    X = np.ones((4, 2))
    y_bad = np.full((4, 1), np.inf)
    result = train_epoch(net, MSELoss(), SGD(net.parameters(), lr=0.1),
                         [(X, np.zeros((4, 1))), (X, y_bad), (X, np.zeros((4, 1)))])
    assert result.steps == 1 and result.diverged_at[0] == 2
    assert math.isinf(result.diverged_at[1])
    changed = [not np.array_equal(p.data, b) for p, b in zip(net.parameters(), before,
                                                             strict=True)]
    assert any(changed) and all(np.all(np.isfinite(p.data)) for p in net.parameters())
    with pytest.raises(TypeError, match=r"train_epoch: expected the model to be an nnlib "
                                        r"Module"):
        train_epoch("net", MSELoss(), SGD(net.parameters(), lr=0.1), [])
    with pytest.raises(TypeError, match=r"train_epoch: expected an optimiser with step\(\)"):
        train_epoch(net, MSELoss(), None, [])


def test_fit_records_what_the_probes_measure(moons_data):
    from nnlib import probes

    X, y, _, _ = moons_data
    net = Sequential(Linear(2, 8, rng=0), Residual(Sequential(Linear(8, 8, rng=1), ReLU())),
                     Linear(8, 1, rng=2))
    loss = BCEWithLogitsLoss()
    h = quiet_fit(net, loss, SGD(net.parameters(), lr=0.1), X, y, epochs=2, batch_size=40,
                  rng=0)
    assert list(h.grad_norm) == ["0:Linear", "1.module.0:Linear", "2:Linear"]
    assert list(h.act_std) == ["0:Linear", "1.module.0:Linear", "1.module.1:ReLU",
                               "1:Residual", "2:Linear"]
    assert list(h.dead_fraction) == ["1.module.1:ReLU"]
    stats = probes.activation_stats(net, X)  # the probe batch is the whole set (m < 256)
    norms = probes.gradient_norms(net, X, y, loss)
    for key in h.act_std:
        assert h.act_std[key][-1] == pytest.approx(stats[key]["std"], rel=1e-10)
    for key in h.grad_norm:
        assert h.grad_norm[key][-1] == pytest.approx(norms[key], rel=1e-10)


def test_accuracy_follows_the_loss_class_not_its_name(moons_data):
    class SquaredErrorClassifier(MSELoss):  # regression loss used on 0/1 labels
        class_decision = 0.5

    X, y, _, _ = moons_data
    net = mlp([2, 8, 1], "tanh", rng=0)
    h = quiet_fit(net, SquaredErrorClassifier(), SGD(net.parameters(), lr=0.1), X, y,
                  epochs=3, eval_train=True)
    assert h.classification and h.train_acc[-1] == pytest.approx(accuracy(net(X), y))
    h = quiet_fit(net, MSELoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1)
    assert not h.classification and h.train_acc == []
