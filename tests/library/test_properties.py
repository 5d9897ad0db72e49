"""Property-based gradient checks: hypothesis picks shapes, seeds, modes and dtypes."""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import nnlib
from nnlib.gradcheck import check_module
from nnlib.probes import pre_activations

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu",
               "softplus", "identity"]


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       m=st.integers(1, 6), act=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2 ** 16),
       training=st.booleans())
def test_random_mlps_pass_the_gradient_check(sizes, m, act, seed, training):
    net = nnlib.mlp(sizes, act, rng=seed).train(training)
    x = np.random.default_rng(seed).normal(size=(m, sizes[0]))
    x[np.abs(x) < 1e-3] = 0.5
    # ReLU-like kinks: a pre-activation within eps of 0 makes the central difference
    # straddle the kink. With continuous inputs that is rare, except where a dead unit feeds
    # the next layer an exact 0 (its bias starts at 0): skip those draws.
    if act in ("relu", "leaky_relu"):
        z = pre_activations(net, x)
        assume(all(np.min(np.abs(v)) > 1e-4 for v in z.values()))
    assert check_module(net, x, rng=seed + 1) < 1e-6


@given(m=st.integers(3, 8), c=st.integers(3, 6), seed=st.integers(0, 2 ** 16),
       training=st.booleans(), layer=st.sampled_from(["batch", "layer", "rms", "group"]))
def test_normalisation_layers_pass_the_gradient_check(m, c, seed, training, layer):
    make = {"batch": lambda: nnlib.BatchNorm1d(c), "layer": lambda: nnlib.LayerNorm(c),
            "rms": lambda: nnlib.RMSNorm(c), "group": lambda: nnlib.GroupNorm(1, c)}[layer]
    module = make()
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(size=p.shape)
    if layer == "batch":  # give the running statistics something other than 0 and 1
        module.running_mean[...] = rng.normal(size=c)
        module.running_var[...] = rng.uniform(0.5, 2.0, size=c)
    module.train(training)
    x = rng.normal(size=(m, c)) * 3 + 1
    # m >= 3 and c >= 3: over one or two values a norm maps (almost) every x to the same
    # points (+-1, or sign(x)), so dL/dx is zero up to round-off and a relative error between
    # two round-off-sized vectors means nothing.
    assert check_module(module, x, rng=seed + 1) < 1e-7


@given(sizes=st.lists(st.integers(1, 8), min_size=2, max_size=4), m=st.integers(1, 5),
       seed=st.integers(0, 2 ** 16))
def test_float32_networks_keep_float32(sizes, m, seed):
    net = nnlib.mlp(sizes, "gelu", rng=seed, dtype=np.float32)
    y = net(np.random.default_rng(seed).normal(size=(m, sizes[0])))
    assert y.dtype == np.float32
    assert net.backward(np.ones_like(y)).dtype == np.float32
