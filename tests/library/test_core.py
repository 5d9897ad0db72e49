"""nnlib.core: parameters, module structure, modes, state_dict."""

import numpy as np
import pytest

from nnlib.core import Module, Parameter, Sequential, count_parameters
from nnlib.layers import Linear, ReLU, Sigmoid, mlp


def test_parameter_holds_a_private_copy_and_zero_grad():
    data = np.array([1.0, 2.0])
    p = Parameter(data)
    data[0] = 99.0
    assert p.data[0] == 1.0 and p.grad.shape == (2,) and not p.grad.any()
    assert Parameter([1, 2]).dtype == np.float64
    assert Parameter(np.ones(2, np.float32)).grad.dtype == np.float32
    p.grad += 3
    p.zero_grad()
    assert not p.grad.any()


def test_named_parameters_are_dotted_and_ordered():
    net = mlp([2, 3, 1], rng=0)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                      "2.bias"]
    assert net.parameters()[0] is net[0].weight
    assert count_parameters(mlp([784, 128, 64, 10], rng=0)) == 109_386


def test_train_eval_propagate_and_return_self():
    inner = Sequential(Linear(2, 2, rng=0), ReLU())
    net = Sequential(inner, Sigmoid())
    assert net.eval() is net
    assert all(not m.training for m in [net, inner, inner[0], inner[1], net[1]])
    assert net.train() is net and inner[1].training


def test_zero_grad_clears_every_parameter():
    net = mlp([2, 3, 1], rng=0)
    net(np.ones((4, 2)))
    net.backward(np.ones((4, 1)))
    assert any(p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert not any(p.grad.any() for p in net.parameters())


def test_state_dict_round_trips_exactly():
    a, b = mlp([3, 4, 2], rng=0), mlp([3, 4, 2], rng=1)
    state = a.state_dict()
    state["0.weight"][0, 0] = 123.0  # a copy: changing it does not change the model
    assert a[0].weight.data[0, 0] != 123.0
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(a(x), b(x))


def test_state_dict_errors_name_the_keys_and_shapes():
    net = mlp([3, 4, 2], rng=0)
    state = net.state_dict()
    del state["2.bias"]
    with pytest.raises(ValueError, match=r"missing \['2.bias'\]"):
        net.load_state_dict(state)
    state = net.state_dict()
    state["extra"] = np.ones(1)
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        net.load_state_dict(state)
    state = net.state_dict()
    state["0.weight"] = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"expected '0.weight' of shape \(4, 3\), got \(3, 4\)"):
        net.load_state_dict(state)
    with pytest.raises(TypeError, match="expected a dict of arrays"):
        net.load_state_dict([1, 2])


def test_base_module_requires_forward_and_backward():
    with pytest.raises(NotImplementedError, match="Module does not implement forward"):
        Module()(np.ones(2))
    with pytest.raises(NotImplementedError, match="backward"):
        Module().backward(np.ones(2))


def test_sequential_indexing_and_slicing():
    net = mlp([2, 3, 3, 1], rng=0)
    assert len(net) == 5 and isinstance(net[1:3], Sequential) and len(net[1:3]) == 2
    assert list(net)[0] is net[0]
    with pytest.raises(TypeError, match="integer index or a slice"):
        net["a"]
    with pytest.raises(TypeError, match="count_parameters: expected module to be an nnlib Module"):
        count_parameters([1])
