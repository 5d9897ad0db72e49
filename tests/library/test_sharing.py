"""One module object, one place in a network; one Parameter may be shared (tied weights).

A layer caches its input in forward() for backward(), so a layer used twice gets wrong
gradients: every container refuses it. Two layers sharing a Parameter are fine: it is listed
once, and both uses add their gradients into it.
"""

import numpy as np
import pytest

from nnlib.core import Module, Sequential, count_parameters
from nnlib.gradcheck import check_module
from nnlib.layers import ACTIVATIONS, LeakyReLU, Linear, ReLU, Residual, Tanh, mlp
from nnlib.optim import SGD


def test_a_layer_used_twice_is_refused_with_its_positions():
    layer = Linear(2, 2, rng=0)
    with pytest.raises(ValueError, match=r"Sequential: the same Linear\(in_features=2, "
                                         r"out_features=2, bias=True\) object is used twice, "
                                         r"at position '0' and at position '2'.*wrong.*"
                                         r"separate layer"):
        Sequential(layer, Tanh(), layer)


def test_an_activation_used_twice_is_refused_too():
    act = Tanh()
    with pytest.raises(ValueError, match=r"the same Tanh\(\) object is used twice, at "
                                         r"position '1' and at position '3'"):
        Sequential(Linear(2, 3, rng=0), act, Linear(3, 3, rng=1), act)


class _Pair(Module):
    """A custom container: nothing checks its attributes when they are set."""

    def __init__(self, layer):
        super().__init__()
        self.a = layer
        self.b = layer


@pytest.mark.parametrize("build, first, second", [
    (lambda lin: Sequential(Sequential(lin, ReLU()), Residual(lin)), "0.0", "1.module"),
    (lambda lin: Sequential(Residual(Sequential(lin, Tanh())), lin), "0.module.0", "1"),
    (lambda lin: Residual(_Pair(lin)), "module.a", "module.b"),
    (lambda lin: (lambda s: Sequential(s, s))(Sequential(lin)), "0", "1"),
])
def test_reuse_is_found_anywhere_in_the_tree(build, first, second):
    with pytest.raises(ValueError, match=rf"at position '{first}' and at position '{second}'"):
        build(Linear(2, 2, rng=0))


def test_append_refuses_reuse_and_leaves_the_network_unchanged():
    layer = Linear(2, 2, rng=0)
    net = Sequential(layer, ReLU())
    with pytest.raises(ValueError, match=r"Sequential.append: the same Linear.*at position "
                                         r"'0' and at position '2'"):
        net.append(layer)
    assert len(net) == 2
    with pytest.raises(ValueError, match=r"the same Sequential\(\) object is used twice, at "
                                         r"the top of the network and at position '2'"):
        net.append(net)
    assert len(net) == 2
    net.append(Linear(2, 1, rng=1))
    assert len(net) == 3


def test_a_custom_container_with_a_reused_module_is_refused_when_its_parameters_are_read():
    class Twice(Module):
        def __init__(self):
            super().__init__()
            self.first = Linear(2, 2, rng=0)
            self.second = self.first

    with pytest.raises(ValueError, match=r"Twice: the same Linear.*at position 'first' and "
                                         r"at position 'second'"):
        Twice().parameters()


def test_tied_weights_are_listed_once_and_both_uses_add_their_gradients():
    first, second = Linear(3, 3, rng=0), Linear(3, 3, rng=1)
    second.weight = first.weight
    net = Sequential(first, Tanh(), second)
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    assert count_parameters(net) == 9 + 3 + 3
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # as torch
    x = np.random.default_rng(0).normal(size=(5, 3))
    assert check_module(net, x) < 1e-7
    # the shared gradient is the sum of what each use contributes alone
    untied = Sequential(Linear(3, 3, rng=0), Tanh(), Linear(3, 3, rng=1))
    untied[2].weight.data[...] = first.weight.data
    g = np.random.default_rng(1).normal(size=(5, 3))
    for model in (net, untied):
        model.zero_grad()
        model(x)
        model.backward(g)
    np.testing.assert_allclose(first.weight.grad,
                               untied[0].weight.grad + untied[2].weight.grad, rtol=1e-12)


def test_an_optimiser_updates_a_tied_weight_once_per_step():
    first, second = Linear(2, 2, rng=0), Linear(2, 2, rng=1)
    second.weight = first.weight
    net = Sequential(first, ReLU(), second)
    optimizer = SGD(net.parameters(), lr=0.1)
    before = first.weight.data.copy()
    net(np.ones((4, 2)))
    net.backward(np.ones((4, 2)))
    optimizer.step()
    np.testing.assert_allclose(first.weight.data, before - 0.1 * first.weight.grad, rtol=1e-12)
    assert second.weight.data is first.weight.data


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS) + [lambda: LeakyReLU(0.2)])
def test_mlp_makes_a_new_module_for_every_position(activation):
    net = mlp([2, 3, 3, 3, 1], activation, output_activation="sigmoid", rng=0)
    modules = [module for _, module in net.named_modules()]
    assert len({id(m) for m in modules}) == len(modules) == 1 + 8


def test_mlp_refuses_a_module_or_a_factory_that_repeats_one():
    with pytest.raises(TypeError, match=r"mlp: expected activation to be a name or a factory "
                                        r"that makes a new module per layer.*got the module "
                                        r"ReLU\(\) itself"):
        mlp([2, 3, 1], ReLU(), rng=0)
    act = Tanh()
    with pytest.raises(ValueError, match=r"Sequential: the same Tanh\(\) object is used twice"):
        mlp([2, 3, 3, 1], lambda: act, rng=0)
