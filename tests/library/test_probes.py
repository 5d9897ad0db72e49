"""nnlib.probes: per-layer outputs, pre-activations, deltas, gradient norms, activation
statistics and update ratios, each checked against a measurement written out by hand."""

import math

import numpy as np
import pytest

from nnlib import probes
from nnlib.core import Module, Sequential
from nnlib.dropout import Dropout
from nnlib.layers import (Identity, LeakyReLU, Linear, ReLU, Residual, Sigmoid, Tanh, mlp)
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnlib.normalization import BatchNorm1d
from nnlib.optim import SGD


def _data(m=6, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), rng.normal(size=(m, 1))


def _manual_backward(net, X, y):
    """The deltas of a Linear-Tanh-Linear network and its weight gradients, by hand."""
    W1, b1 = net[0].weight.data, net[0].bias.data
    W2, b2 = net[2].weight.data, net[2].bias.data
    z1 = X @ W1.T + b1
    a1 = np.tanh(z1)
    z2 = a1 @ W2.T + b2
    delta2 = 2 * (z2 - y) / z2.size                 # dL/dz2 of the MSE
    da1 = delta2 @ W2                               # dL/da1
    delta1 = da1 * (1 - a1 ** 2)                    # dL/dz1
    return {"0:Linear": delta1, "1:Tanh": da1, "2:Linear": delta2}, \
        {"0:Linear": delta1.T @ X, "2:Linear": delta2.T @ a1}, z1, a1, z2


def test_outputs_pre_activations_and_deltas_match_the_hand_computation():
    net = mlp([3, 4, 1], "tanh", rng=0)
    X, y = _data()
    deltas, grads, z1, a1, z2 = _manual_backward(net, X, y)
    outs = probes.layer_outputs(net, X)
    assert list(outs) == ["0:Linear", "1:Tanh", "2:Linear"]
    np.testing.assert_allclose(outs["0:Linear"], z1, rtol=1e-12)
    np.testing.assert_allclose(outs["1:Tanh"], a1, rtol=1e-12)
    np.testing.assert_allclose(outs["2:Linear"], z2, rtol=1e-12)
    z = probes.pre_activations(net, X)
    assert list(z) == ["1:Tanh"]
    np.testing.assert_allclose(z["1:Tanh"], z1, rtol=1e-12)
    got = probes.error_signals(net, X, y, MSELoss())
    assert list(got) == ["0:Linear", "1:Tanh", "2:Linear"]
    for key, delta in deltas.items():
        np.testing.assert_allclose(got[key], delta, rtol=1e-10, atol=1e-15)
    norms = probes.gradient_norms(net, X, y, MSELoss())
    assert list(norms) == ["0:Linear", "2:Linear"]
    for key, g in grads.items():
        assert norms[key] == pytest.approx(np.linalg.norm(g), rel=1e-10)


def test_trace_records_every_pass_and_leaves_grads_modes_and_state_alone():
    net = Sequential(Linear(3, 8, rng=0), BatchNorm1d(8), ReLU(), Dropout(0.5, rng=0),
                     Linear(8, 1, rng=1))
    X, y = _data(m=10)
    net[1].running_mean[:] = 0.25
    for p in net.parameters():
        p.grad[...] = 3.0
    net[3].eval()  # a mixed state must come back exactly
    before = [m.training for m in [net, *net]]
    state = net.state_dict()
    records = probes.trace(net, X, y, MSELoss())
    assert [r.key for r in records.values()] == list(records)
    assert all(r.delta is not None and r.delta.shape == r.output.shape for r in records.values())
    assert records["2:ReLU"].grad_norm is None and records["1:BatchNorm1d"].grad_norm > 0
    np.testing.assert_array_equal(records["3:Dropout"].output, records["3:Dropout"].input)
    assert all(np.all(p.grad == 3.0) for p in net.parameters())
    assert [m.training for m in [net, *net]] == before
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, state[name])  # eval mode: running stats kept
    forward_only = probes.trace(net, X)
    assert all(r.delta is None and r.grad_norm is None for r in forward_only.values())


def test_training_mode_probes_use_dropout_and_batch_statistics():
    net = Sequential(Linear(3, 50, rng=0), Dropout(0.5, rng=0))
    X, _ = _data(m=4)
    assert np.count_nonzero(probes.layer_outputs(net, X, training=True)["1:Dropout"] == 0) > 20
    assert np.count_nonzero(probes.layer_outputs(net, X)["1:Dropout"] == 0) == 0
    assert net.training and net[1].training  # the mode it had before


def test_nested_sequentials_and_residual_blocks_are_walked_into():
    block = Residual(Sequential(Linear(4, 4, rng=1), Tanh(), Linear(4, 4, rng=2)))
    net = Sequential(Sequential(Linear(3, 4, rng=0), ReLU()), block, Linear(4, 1, rng=3))
    X, y = _data()
    keys = ["0.0:Linear", "0.1:ReLU", "1.module.0:Linear", "1.module.1:Tanh",
            "1.module.2:Linear", "1:Residual", "2:Linear"]
    assert [k for k, _ in probes.named_layers(net)] == keys
    outs = probes.layer_outputs(net, X)
    assert list(outs) == keys
    np.testing.assert_allclose(outs["2:Linear"], net(X), rtol=1e-12)
    np.testing.assert_allclose(outs["1:Residual"], outs["0.1:ReLU"] + outs["1.module.2:Linear"],
                               rtol=1e-12)
    # the block's parameters are measured at its inner layers, and they are the true gradients
    norms = probes.gradient_norms(net, X, y, MSELoss())
    assert list(norms) == ["0.0:Linear", "1.module.0:Linear", "1.module.2:Linear", "2:Linear"]
    loss = MSELoss()
    net.zero_grad()
    loss(net(X), y)
    net.backward(loss.backward())
    assert norms["1.module.0:Linear"] == pytest.approx(
        np.linalg.norm(block.module[0].weight.grad), rel=1e-10)
    deltas = probes.error_signals(net, X, y, MSELoss())
    # through the block: dL/dx = delta + F's backward (the identity path plus the branch)
    W = net[2].weight.data
    np.testing.assert_allclose(deltas["1:Residual"], deltas["2:Linear"] @ W, rtol=1e-12)


def test_a_model_that_is_not_a_sequential_is_one_layer():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(3, 1, rng=0)

        def forward(self, x):
            return self.fc(x)

        def backward(self, grad_out):
            return self.fc.backward(grad_out)

    X, y = _data()
    net = Net()
    assert list(probes.layer_outputs(net, X)) == ["model:Net"]
    assert probes.gradient_norms(net, X, y, MSELoss())["model:Net"] > 0


def test_activation_stats_follow_the_class_attributes():
    net = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 4, rng=1), LeakyReLU(0.1),
                     Linear(4, 4, rng=2), Sigmoid(), Linear(4, 2, rng=3), Tanh())
    net[0].bias.data[:] = [-100.0, -100.0, -100.0, 0.0]  # three units never fire
    net[4].bias.data[:] = [10.0, -10.0, 10.0, 0.0]        # three sigmoids on an asymptote
    X = np.random.default_rng(0).normal(size=(200, 2))
    stats = probes.activation_stats(net, X)
    outs = probes.layer_outputs(net, X)
    assert stats["1:ReLU"]["dead_fraction"] == 0.75
    assert "dead_fraction" not in stats["3:LeakyReLU"]  # its units cannot die
    assert "saturated_fraction" not in stats["1:ReLU"]
    a = outs["5:Sigmoid"]
    assert stats["5:Sigmoid"]["saturated_fraction"] == pytest.approx(np.mean((a < 0.01) |
                                                                             (a > 0.99)))
    assert stats["5:Sigmoid"]["saturated_fraction"] >= 0.75
    t = outs["7:Tanh"]
    assert stats["7:Tanh"]["saturated_fraction"] == pytest.approx(np.mean(np.abs(t) > 0.99))
    for key, a in outs.items():
        assert stats[key]["mean"] == pytest.approx(a.mean(), rel=1e-12, abs=1e-15)
        assert stats[key]["std"] == pytest.approx(a.std(), rel=1e-10)
    assert sorted(stats["0:Linear"]) == ["mean", "std"]
    assert all(type(v) is float for record in stats.values() for v in record.values())


def test_a_layer_class_states_its_own_kind():
    class Clipped(Module):  # a ReLU-like unit, named nothing like ReLU
        is_activation = True
        units_can_die = True
        saturated_outside = (0.0, 1.0)

        def forward(self, x):
            return np.clip(x, 0.0, 1.0)

        def backward(self, grad_out):
            return grad_out

    class MyReLU(ReLU):  # a subclass inherits its parent's kind
        pass

    net = Sequential(Linear(2, 3, rng=0), Clipped(), Linear(3, 3, rng=1), MyReLU())
    X = np.random.default_rng(1).normal(size=(30, 2))
    stats = probes.activation_stats(net, X)
    assert {"dead_fraction", "saturated_fraction"} <= set(stats["1:Clipped"])
    assert "dead_fraction" in stats["3:MyReLU"]
    assert list(probes.pre_activations(net, X)) == ["1:Clipped", "3:MyReLU"]
    assert ReLU.units_can_die and not LeakyReLU.units_can_die and not Linear.units_can_die
    assert Sigmoid.saturated_outside == (0.01, 0.99) and Tanh.saturated_outside == (-0.99, 0.99)
    assert Identity.saturated_outside is None and not Identity.is_activation


def test_update_ratios_of_one_sgd_step():
    net = mlp([3, 5, 1], "tanh", rng=0)
    X, y = _data()
    loss = MSELoss()
    loss(net(X), y)
    net.backward(loss.backward())
    W0 = [net[0].weight.data.copy(), net[2].weight.data.copy()]
    optimizer = SGD(net.parameters(), lr=0.01)
    ratios = probes.update_ratios(net, optimizer.step)
    assert list(ratios) == ["0:Linear", "2:Linear"]
    for key, layer, w0 in zip(ratios, (net[0], net[2]), W0, strict=True):
        expected = np.linalg.norm(layer.weight.data - w0) / np.linalg.norm(w0)
        assert ratios[key] == pytest.approx(expected, rel=1e-12)
        assert ratios[key] == pytest.approx(0.01 * np.linalg.norm(layer.weight.grad)
                                            / np.linalg.norm(w0), rel=1e-12)
    snapshot = probes.WeightSnapshot(net)
    assert all(r == 0.0 for r in snapshot.update_ratios().values())  # nothing moved yet
    net[2].weight.data[:] = 0.0
    snapshot.take()
    net[2].weight.data += 1.0
    assert math.isnan(snapshot.update_ratios()["2:Linear"])  # undefined from W = 0
    with pytest.raises(TypeError, match=r"update_ratios: expected step to be a function"):
        probes.update_ratios(net, 0.1)


def test_targets_are_matched_to_the_output_as_fit_does():
    net = mlp([3, 4, 1], "tanh", rng=0)
    X, _ = _data()
    labels = np.array([0, 1, 1, 0, 1, 0])
    norms = probes.gradient_norms(net, X, labels, BCEWithLogitsLoss())
    same = probes.gradient_norms(net, X, labels.reshape(-1, 1).astype(float),
                                 BCEWithLogitsLoss())
    assert norms == same
    three = mlp([3, 4, 3], "relu", rng=0)
    assert set(probes.gradient_norms(three, X, labels, CrossEntropyLoss())) == {"0:Linear",
                                                                                "2:Linear"}


def test_old_names_in_nnlib_train_are_the_probes():
    from nnlib import train

    assert train.layer_outputs is probes.layer_outputs
    assert train.layer_grad_norms is probes.gradient_norms


def test_probes_reject_bad_arguments():
    X, y = _data()
    net = mlp([3, 2, 1], rng=0)
    with pytest.raises(TypeError, match=r"trace: expected the model to be an nnlib Module"):
        probes.trace(lambda x: x, X)
    with pytest.raises(ValueError, match=r"trace: expected both y and loss_fn .*got only y"):
        probes.trace(net, X, y)
    with pytest.raises(TypeError, match=r"trace: expected loss_fn to be a loss object"):
        probes.trace(net, X, y, "mse")
    with pytest.raises(TypeError, match=r"trace: expected training to be True or False"):
        probes.trace(net, X, training=1)
    with pytest.raises(ValueError, match=r"gradient_norms: expected targets y and a loss_fn"):
        probes.gradient_norms(net, X, None, None)
    with pytest.raises(ValueError, match=r"expected input with 3 features"):
        probes.layer_outputs(net, np.ones((2, 5)))
