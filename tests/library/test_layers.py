"""nnlib.layers: gradient checks, PyTorch semantics, dtypes and bad input."""

import numpy as np
import pytest

from nnlib import functional as F
from nnlib.core import Sequential
from nnlib.gradcheck import check_module
from nnlib.layers import (ELU, GELU, SELU, Flatten, Identity, LeakyReLU, Linear, PReLU, ReLU,
                          Residual, Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh, mlp)

ACTIVATION_FACTORIES = [Sigmoid, Tanh, ReLU, lambda: LeakyReLU(0.2), lambda: ELU(0.7), SELU,
                        GELU, lambda: GELU("tanh"), SiLU, Softplus, Identity, Softmax,
                        lambda: Softmax(axis=0), lambda: PReLU(), lambda: PReLU(3, init=0.1)]


def _input(rng, shape):
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.1  # keep away from the kinks of ReLU-like functions
    return x


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(1, 3), (4, 3), (7, 3)])
@pytest.mark.parametrize("make", ACTIVATION_FACTORIES)
def test_activation_gradients(make, shape, seed):
    rng = np.random.default_rng(seed)
    assert check_module(make(), _input(rng, shape), rng=seed) < 1e-7


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_in,n_out,m", [(1, 1, 1), (3, 4, 5), (5, 2, 8)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(n_in, n_out, m, bias, seed, mode):
    layer = Linear(n_in, n_out, bias=bias, rng=seed)
    getattr(layer, mode)()
    assert check_module(layer, np.random.default_rng(seed + 10).normal(size=(m, n_in))) < 1e-7


def test_linear_single_example_gradient():
    assert check_module(Linear(3, 2, rng=0), np.array([0.5, -1.0, 2.0])) < 1e-7


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "gelu", "selu", "silu"])
def test_network_and_residual_gradients(act):
    rng = np.random.default_rng(3)
    net = Sequential(Linear(4, 6, rng=rng), mlp([6, 6, 6], act, rng=rng)[0],
                     Residual(Sequential(Linear(6, 6, rng=rng), Tanh())), Flatten(),
                     Linear(6, 2, rng=rng))
    assert check_module(net, _input(rng, (5, 4))) < 1e-7


def test_linear_matches_the_torch_layout_and_the_chapter_4_example():
    layer = Linear(2, 2, rng=0)
    assert layer.weight.shape == (2, 2) and layer.bias.shape == (2,)
    assert Linear(3, 5, rng=0).weight.shape == (5, 3)  # (out_features, in_features)
    layer.weight.data[:] = [[0.2, 0.4], [0.3, 0.1]]
    layer.bias.data[:] = [0.1, 0.2]
    x = np.array([0.5, 0.8])
    z1 = layer(x)
    np.testing.assert_allclose(z1, [0.52, 0.43])
    a1 = F.sigmoid(z1)
    np.testing.assert_allclose(a1.round(3), [0.627, 0.606])
    np.testing.assert_allclose(layer(x[None, :]), z1[None, :])  # batch form Z = X W^T + b


def test_linear_backward_formulas():
    layer = Linear(3, 2, rng=0)
    X = np.arange(12.0).reshape(4, 3)
    delta = np.arange(8.0).reshape(4, 2) - 3
    layer(X)
    dX = layer.backward(delta)
    np.testing.assert_allclose(layer.weight.grad, delta.T @ X)
    np.testing.assert_allclose(layer.bias.grad, delta.sum(axis=0))
    np.testing.assert_allclose(dX, delta @ layer.weight.data)
    layer(X)
    layer.backward(delta)  # gradients accumulate
    np.testing.assert_allclose(layer.weight.grad, 2 * delta.T @ X)


def test_sequential_input_grad_false_skips_only_the_input_gradient():
    rng = np.random.default_rng(0)
    net = mlp([3, 5, 2], "tanh", rng=0)
    X, G = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    net(X)
    full = net.backward(G)
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net(X)
    assert net.backward(G, input_grad=False) is None
    for p, g in zip(net.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    assert full.shape == X.shape


def test_init_schemes_have_the_documented_scale():
    n_in, n_out = 400, 300
    for init, var in [("he", 2 / n_in), ("xavier", 2 / (n_in + n_out)), ("lecun", 1 / n_in),
                      ("torch", 1 / (3 * n_in))]:
        W = Linear(n_in, n_out, init=init, rng=0).weight.data
        assert W.var() == pytest.approx(var, rel=0.03), init
    W = Linear(3, 2, init=lambda shape, rng, dtype: np.ones(shape, dtype), rng=0).weight.data
    np.testing.assert_array_equal(W, np.ones((2, 3)))


def test_prelu_and_leaky_relu_values():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(PReLU()(x), [[-0.5, 0.0, 3.0]])
    np.testing.assert_allclose(LeakyReLU()(x), [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(ELU()(np.array([[-1e4]])), [[-1.0]])
    p = PReLU(3, init=0.5)
    p(x)
    p.backward(np.ones_like(x))
    np.testing.assert_allclose(p.weight.grad, [-2.0, 0.0, 0.0])


def test_swish_is_silu_and_softmax_rows():
    assert Swish is SiLU
    p = Softmax()(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(p, [[0.25, 0.75]])


def test_residual_adds_the_identity_path():
    block = Residual(Linear(3, 3, rng=0))
    x = np.ones((2, 3))
    np.testing.assert_allclose(block(x), x + block.module(x))
    g = np.ones((2, 3))
    block.zero_grad()
    block(x)
    np.testing.assert_allclose(block.backward(g), g + g @ block.module.weight.data)


@pytest.mark.parametrize("make", [lambda: Linear(4, 3, rng=0, dtype=np.float32),
                                  lambda: mlp([4, 8, 3], "gelu", rng=0, dtype=np.float32)])
def test_float32_everywhere(make):
    net = make()
    x = np.random.default_rng(0).normal(size=(5, 4))  # float64 input is cast to float32
    y = net(x)
    assert y.dtype == np.float32
    gx = net.backward(np.ones_like(y))
    assert gx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())


@pytest.mark.parametrize("make", ACTIVATION_FACTORIES[:12])
def test_activation_modules_keep_float32(make):
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3)
    layer = make()
    assert layer(x).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32


def test_same_seed_same_weights_and_global_state_untouched():
    state = np.random.get_state()[1].copy()
    a = mlp([5, 7, 2], rng=42)
    b = mlp([5, 7, 2], rng=42)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_mlp_structure_and_defaults():
    net = mlp([2, 4, 4, 1], "relu", output_activation="sigmoid", rng=0)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear",
                                               "Sigmoid"]
    assert mlp([2, 3], rng=0)[0].out_features == 3
    leaky = mlp([2, 3, 1], lambda: LeakyReLU(0.2), rng=0)
    assert leaky[1].negative_slope == 0.2


def test_repr_is_readable():
    text = repr(mlp([2, 3, 1], "relu", rng=0))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): ReLU()" in text
    assert repr(GELU("tanh")) == "GELU(approximate='tanh')"


BAD = [
    (lambda: Linear(3, 4, rng=0)(np.ones((8, 5))), ValueError,
     r"Linear\(in_features=3, out_features=4, bias=True\): expected input with 3 features, "
     r"got shape \(8, 5\)"),
    (lambda: Linear(3, 4, rng=0)(np.ones((2, 2, 3))), ValueError, r"expected a 1-D or 2-D input"),
    (lambda: Linear(3, 4, rng=0)(np.array([["a", "b", "c"]])), TypeError, "numeric"),
    (lambda: Linear(0, 4), ValueError, "Linear: expected in_features >= 1, got 0"),
    (lambda: Linear(2.5, 4), TypeError, "Linear: expected in_features to be an integer"),
    (lambda: Linear(2, 4, dtype=np.int32), TypeError,
     "Linear: expected dtype to be a floating type .*got int32"),
    (lambda: Linear(2, 4, init="orthogonal"), ValueError, "orthogonal"),
    (lambda: Linear(2, 4, rng="seed"), TypeError, "rng"),
    (lambda: Linear(3, 4, rng=0).backward(np.ones((2, 4))), ValueError,
     "backward\\(\\) was called before forward"),
    (lambda: ReLU().backward(np.ones(3)), ValueError, r"ReLU\(\): backward\(\) was called"),
    (lambda: _forward_then_backward(Linear(3, 4, rng=0), (2, 3), (2, 5)), ValueError,
     r"expected grad_out of the output's shape \(2, 4\), got \(2, 5\)"),
    (lambda: _forward_then_backward(Tanh(), (2, 3), (3, 2)), ValueError,
     r"Tanh\(\).backward: expected grad_out"),
    (lambda: Sequential(Linear(2, 2), "relu"), TypeError,
     "Sequential: expected argument 1 to be an nnlib Module .*got str"),
    (lambda: Sequential(ReLU())[3], IndexError, "index 3 is out of range for 1 layers"),
    (lambda: Residual(Linear(3, 2, rng=0))(np.ones((1, 3))), ValueError,
     r"maps \(1, 3\) to \(1, 2\)"),
    (lambda: Residual("f"), TypeError,
     "Residual: expected the wrapped module to be an nnlib Module"),
    (lambda: PReLU(3)(np.ones((2, 4))), ValueError, "expected input with 3 features"),
    (lambda: Softmax(axis=2)(np.ones((2, 3))), ValueError, "axis 2 is out of range"),
    (lambda: GELU("fast"), ValueError, "GELU: expected approximate"),
    (lambda: ELU(alpha=-1.0), ValueError, "ELU: expected alpha >= 0, got -1.0"),
    (lambda: mlp([2], rng=0), ValueError, "at least two sizes"),
    (lambda: mlp([2, 3], "swishy", rng=0), ValueError,
     r"mlp: expected activation to be one of \[.*'relu'.*\], got 'swishy'"),
    (lambda: mlp([2, 1.5], rng=0), TypeError, "positive integers such as"),
    (lambda: mlp([2, -1], rng=0), ValueError, "mlp: expected every layer size >= 1, got -1"),
    (lambda: ReLU().train("yes"), TypeError,
     r"ReLU\(\).train: expected mode to be True or False, got str 'yes'"),
]


def _forward_then_backward(layer, x_shape, g_shape):
    layer(np.ones(x_shape))
    layer.backward(np.ones(g_shape))


@pytest.mark.parametrize("call,exc,match", BAD)
def test_bad_input_raises_a_sentence(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
