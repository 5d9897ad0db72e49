"""Tests of book.ch05_backprop, the experiment functions of Chapter 5 (Backpropagation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import book.ch05_backprop as bp  # noqa: E402
from nnlib.gradcheck import numerical_grad, rel_error  # noqa: E402
from nnlib.layers import mlp  # noqa: E402


def _small_net(sizes=(3, 4, 4, 2), m=5, seed=1):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [rng.normal(size=o) for o in sizes[1:]]
    return Ws, bs, rng.normal(size=(m, sizes[0])), rng.uniform(size=(m, sizes[-1]))


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes if ax.get_visible()
               and ax.axison)


# --- the single-neuron graph -------------------------------------------------------------------
@pytest.mark.parametrize("x, w, b, y", [(1.5, 0.4, -0.2, 1.0), (-0.3, 2.0, 0.5, 0.0)])
def test_neuron_graph_matches_the_hand_formulas(x, w, b, y):
    g = bp.neuron_graph(x, w, b, y)
    a = 1 / (1 + np.exp(-(x * w + b)))
    delta = (a - y) * a * (1 - a)
    assert np.isclose(g.a.data, a) and np.isclose(g.L.data, 0.5 * (a - y) ** 2)
    assert np.isclose(g.z.grad, delta) and np.isclose(g.u.grad, delta)
    assert np.isclose(g.w.grad, delta * x) and np.isclose(g.x.grad, delta * w)
    assert np.isclose(g.b.grad, delta) and np.isclose(g.a_in.grad, a - y)


def test_draw_neuron_graph_returns_two_drawn_axes():
    fig = bp.draw_neuron_graph()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert all(len(ax.patches) > 0 for ax in fig.axes)
    plt.close(fig)


def test_neuron_graph_rejects_a_non_number():
    with pytest.raises(TypeError, match="Value"):
        bp.neuron_graph(x="one")


# --- the from-scratch MLP and its bugs ---------------------------------------------------------
def test_mlp_backward_matches_central_differences():
    Ws, bs, X, Y = _small_net()
    Z, A = bp.mlp_forward(Ws, bs, X)
    L, g = bp.half_mse(A[-1], Y)
    gW, gb = bp.mlp_backward(Ws, Z, A, g)

    def loss(_):
        return bp.half_mse(bp.mlp_forward(Ws, bs, X)[1][-1], Y)[0]

    for analytic, param in zip(gW + gb, Ws + bs, strict=True):
        assert analytic.shape == param.shape
        assert rel_error(analytic, numerical_grad(loss, param)) < 1e-7


def test_half_mse_holds_the_one_over_m():
    L, g = bp.half_mse(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    assert L == 1.25
    np.testing.assert_array_equal(g, [[0.5], [1.0]])


def test_layer_check_passes_the_correct_pass_and_locates_each_bug():
    Ws, bs, X, Y = _small_net(sizes=(3, 4, 4, 2))      # only layer 2 is square
    ok = bp.layer_check(Ws, bs, X, Y)
    assert max(max(r["W"], r["b"]) for r in ok) < 1e-7
    tr = bp.layer_check(Ws, bs, X, Y, bug="transposed_weight_grad")
    assert [r["W"] > 1e-2 for r in tr] == [False, True, False]
    assert max(r["b"] for r in tr) < 1e-7
    ns = bp.layer_check(Ws, bs, X, Y, bug="missing_sigma_prime")
    assert [r["W"] > 1e-2 for r in ns] == [True, True, False]


def test_layer_check_does_not_modify_the_callers_arrays():
    Ws, bs, X, Y = _small_net()
    copies = [W.copy() for W in Ws]
    bp.layer_check(Ws, bs, X, Y)
    for W, c in zip(Ws, copies, strict=True):
        np.testing.assert_array_equal(W, c)


def test_mlp_backward_rejects_an_unknown_bug_and_wrong_shapes():
    Ws, bs, X, Y = _small_net()
    Z, A = bp.mlp_forward(Ws, bs, X)
    with pytest.raises(ValueError, match="mlp_backward: expected bug to be one of"):
        bp.mlp_backward(Ws, Z, A, A[-1] - Y, bug="typo")
    with pytest.raises(ValueError, match=r"mlp_backward: expected dL_dA of the output's shape"):
        bp.mlp_backward(Ws, Z, A, np.zeros((2, 2)))


def test_mlp_forward_rejects_mismatched_layers_and_inputs():
    Ws, bs, X, _ = _small_net()
    with pytest.raises(ValueError, match="mlp_forward: layer 2 expects 3 inputs but layer 1 "
                                         "has 4 units"):
        bp.mlp_forward([Ws[0], Ws[0]], [bs[0], bs[0]], X)
    with pytest.raises(ValueError, match=r"mlp_forward: expected X of shape \(m, 3\), got "
                                         r"\(5, 2\)"):
        bp.mlp_forward(Ws, bs, X[:, :2])
    with pytest.raises(ValueError, match="as many bias vectors"):
        bp.mlp_forward(Ws, bs[:-1], X)


def test_half_mse_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"half_mse: expected A_out and Y of one shape"):
        bp.half_mse(np.zeros((3, 1)), np.zeros((3, 2)))


# --- finite differences ------------------------------------------------------------------------
def test_forward_difference_has_first_order_error():
    f = lambda v: float(np.sum(np.exp(v)))  # noqa: E731
    x = np.array([0.3])
    errs = [abs(bp.forward_difference_grad(f, x, eps)[0] - np.exp(0.3)) for eps in (1e-2, 1e-3)]
    assert 8 < errs[0] / errs[1] < 12                 # ten times smaller eps, ten times smaller
    assert x[0] == 0.3                                # restored


def test_forward_difference_rejects_bad_input():
    with pytest.raises(TypeError, match="forward_difference_grad: expected x to be a float64"):
        bp.forward_difference_grad(np.sum, [1.0])
    with pytest.raises(ValueError, match="eps"):
        bp.forward_difference_grad(np.sum, np.ones(2), eps=0.0)


def test_eps_sweep_shows_truncation_and_round_off():
    s = bp.eps_sweep(10.0 ** np.arange(-12.0, -0.5, 1.0), sizes=(2, 3, 2), m=4)
    assert s.eps.shape == s.central.shape == s.forward.shape == (12,)
    best = s.eps[np.argmin(s.central)]
    assert 1e-7 <= best <= 1e-3
    assert s.central[-1] > 100 * s.central.min() and s.central[0] > 100 * s.central.min()
    assert s.forward.min() > s.central.min()


def test_eps_sweep_rejects_non_positive_steps():
    with pytest.raises(ValueError, match="eps_sweep: expected positive steps"):
        bp.eps_sweep([1e-6, 0.0])


def test_draw_eps_sweep_is_log_log_and_labelled():
    fig = bp.draw_eps_sweep(bp.eps_sweep([1e-11, 1e-8, 1e-6, 1e-4, 1e-2], sizes=(2, 2, 1), m=2))
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log") and _labelled(fig)
    plt.close(fig)
    with pytest.raises(TypeError, match="expected an EpsSweep"):
        bp.draw_eps_sweep((1, 2, 3))


# --- costs -------------------------------------------------------------------------------------
def test_gradient_cost_counts_parameters_and_is_positive():
    c = bp.gradient_cost(widths=(2, 3), m=4, repeats=1)
    assert c.n_params.tolist() == [2 * 2 + 2 + 2 * 2 + 2 + 2 + 1, 3 * 2 + 3 + 9 + 3 + 3 + 1]
    assert np.all(c.numeric > 0) and np.all(c.backprop > 0) and np.all(c.forward > 0)
    fig = bp.draw_gradient_cost(c)
    assert _labelled(fig) and fig.axes[0].get_yscale() == "log"
    plt.close(fig)


def test_gradient_cost_rejects_a_bad_width():
    with pytest.raises(ValueError, match="gradient_cost"):
        bp.gradient_cost(widths=(0,))
    with pytest.raises(TypeError, match="expected a GradientCost"):
        bp.draw_gradient_cost({"n_params": [1]})


def test_time_forward_backward_reports_consistent_numbers():
    r = bp.time_forward_backward((6, 5, 3), m=4, repeats=2)
    assert r["n_params"] == 6 * 5 + 5 + 5 * 3 + 3 and r["flop_ratio"] == 3.0
    assert r["forward"] > 0 and r["forward_backward"] > 0 and r["ratio"] > 0


# --- gradient flow -----------------------------------------------------------------------------
def test_gradient_flow_shapes_and_vanishing_sigmoid():
    f = bp.gradient_flow(8, "sigmoid")
    assert f.weight_grad.shape == f.delta.shape == (8,)
    assert np.all(np.diff(f.weight_grad) > 0)          # grows towards the output
    assert f.weight_grad[0] / f.weight_grad[-1] < 1e-3
    r = bp.gradient_flow(8, "relu")
    assert r.weight_grad.max() / r.weight_grad.min() < 20


def test_gradient_flow_is_deterministic():
    a, b = bp.gradient_flow(5, "tanh"), bp.gradient_flow(5, "tanh")
    np.testing.assert_array_equal(a.weight_grad, b.weight_grad)
    np.testing.assert_array_equal(a.delta, b.delta)


def test_gradient_flow_delta_is_dL_dZ():
    # the last Delta of a sigmoid-free net is dL/d(logit) of BCE: (sigmoid(z) - y) / m
    f = bp.gradient_flow(2, "relu")
    X, Y = bp._flow_data()
    net = mlp([2, 32, 1], "relu", rng=0)
    z = net(X)
    expected = np.linalg.norm((1 / (1 + np.exp(-z)) - Y) / len(X))
    assert np.isclose(f.delta[-1], expected)


@pytest.mark.parametrize("depth, activation, match", [
    (1, "relu", "depth"), (51, "relu", "between 2 and 50"), (4, "softmax", "one of"),
    (2.5, "relu", "depth"),
])
def test_gradient_flow_rejects_bad_input(depth, activation, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bp.gradient_flow(depth, activation)


@pytest.mark.parametrize("activation", bp.FLOW_ACTIVATIONS)
def test_draw_gradient_flow_returns_a_labelled_log_figure(activation):
    fig = bp.draw_gradient_flow(4, activation)
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_yscale() == "log" and _labelled(fig)
    assert activation in ax.get_title()
    plt.close(fig)


def test_draw_gradient_flow_panels():
    fig = bp.draw_gradient_flow_panels(3, bp.FLOW_ACTIVATIONS)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4 and all(ax.get_xlabel() for ax in visible)
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one activation"):
        bp.draw_gradient_flow_panels(3, ())
