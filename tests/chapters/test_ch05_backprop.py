"""Tests of book.ch05_backprop, the experiment functions of Chapter 5 (Backpropagation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import book.ch05_backprop as bp  # noqa: E402
from book import live, shared  # noqa: E402
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


# --- the worked example, backwards -------------------------------------------------------------
def test_worked_backward_reproduces_the_hand_worked_numbers():
    w = bp.worked_backward()
    assert np.round(w.a1, 3).tolist() == [0.627, 0.606] and round(float(w.y_hat[0]), 3) == 0.727
    assert round(float(w.delta2[0]), 4) == -0.0542
    np.testing.assert_allclose(w.delta1, [-0.007604, -0.006471], rtol=1e-3)
    np.testing.assert_allclose(w.dW1, np.outer(w.delta1, shared.WORKED.x), rtol=1e-15)
    np.testing.assert_allclose(w.dW2, np.outer(w.delta2, w.a1), rtol=1e-15)


def test_worked_backward_matches_nnlib():
    w = bp.worked_backward()
    net = shared.worked_network()
    c = shared.WORKED
    net.zero_grad()
    net.backward(net(c.x[None, :]) - c.y)
    grads = [p.grad for p in net.parameters()]
    for got, want in zip(grads, [w.dW1, w.db1, w.dW2, w.db2], strict=True):
        np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-12)


def test_draw_worked_backward_colours_units_by_delta_and_shows_the_numbers():
    fig = bp.draw_worked_backward()
    ax = fig.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    w = bp.worked_backward()
    assert f"{w.delta2[0]:#.3g}" in texts and f"{w.dW1[0, 0]:#.3g}" in texts
    assert fig.get_size_inches()[0] <= 7.6
    units = ax.collections[0]
    assert len(units.get_offsets()) == 5          # 2 inputs, 2 hidden, 1 output
    faces = units.get_facecolors()
    assert np.allclose(faces[:2], 1.0)            # the inputs have no delta: white
    assert not np.allclose(faces[4], faces[2])    # output and hidden deltas differ in colour
    assert fig.axes[1].get_ylabel().startswith("error signal")
    plt.close(fig)


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
    assert fig.get_size_inches()[0] <= 7.6
    assert min(t.get_fontsize() for ax in fig.axes for t in ax.texts) >= 10
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


def test_linear_output_gives_the_softmax_cross_entropy_gradient_of_nnlib():
    from nnlib.functional import softmax
    from nnlib.losses import CrossEntropyLoss

    rng = np.random.default_rng(3)
    net = mlp([5, 4, 3], "sigmoid", rng=2)              # Linear, Sigmoid, Linear
    Ws = [net[0].weight.data.copy(), net[2].weight.data.copy()]
    bs = [net[0].bias.data.copy(), net[2].bias.data.copy()]
    X, labels = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    Z, A = bp.mlp_forward(Ws, bs, X, output="linear")
    np.testing.assert_allclose(A[-1], net(X), rtol=1e-13)
    np.testing.assert_array_equal(A[-1], Z[-1])          # no output activation
    delta = (softmax(A[-1]) - np.eye(3)[labels]) / 6
    gW, gb = bp.mlp_backward(Ws, Z, A, delta, output="linear")
    loss = CrossEntropyLoss()
    loss(net(X), labels)
    net.zero_grad()
    net.backward(loss.backward())
    for got, p in zip(gW + gb, [net[0].weight, net[2].weight, net[0].bias, net[2].bias],
                      strict=True):
        np.testing.assert_allclose(got, p.grad, rtol=1e-12, atol=1e-15)


def test_mlp_forward_and_backward_reject_an_unknown_output():
    Ws, bs, X, _ = _small_net()
    with pytest.raises(ValueError, match=r"mlp_forward: expected output to be one of "
                                         r"\('sigmoid', 'linear'\), got 'softmax'"):
        bp.mlp_forward(Ws, bs, X, output="softmax")
    Z, A = bp.mlp_forward(Ws, bs, X)
    with pytest.raises(ValueError, match="mlp_backward: expected output to be one of"):
        bp.mlp_backward(Ws, Z, A, A[-1], output="tanh")


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


# --- the digits figure -------------------------------------------------------------------------
def test_draw_digit_predictions_shows_every_mistake_it_can_and_titles_them():
    from nnlib.data import digits

    X, y = digits()
    pred = y[:64].copy()
    pred[[3, 10]] = (pred[[3, 10]] + 1) % 10             # two mistakes
    fig = bp.draw_digit_predictions(X[:64], y[:64], pred, n=16)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 16 and sum("(is " in t for t in titles) == 2
    assert fig.get_size_inches()[0] <= 7.6
    assert "96.9%" in fig._suptitle.get_text()           # 62 of 64 right
    plt.close(fig)


def test_draw_digit_predictions_rejects_bad_input():
    from nnlib.data import digits

    X, y = digits()
    with pytest.raises(ValueError, match="draw_digit_predictions: expected n a multiple of 8"):
        bp.draw_digit_predictions(X[:20], y[:20], y[:20], n=12)
    with pytest.raises(ValueError, match="one label and one prediction each"):
        bp.draw_digit_predictions(X[:20], y[:20], y[:19], n=8)


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
    assert f.shape == (8,)
    assert np.all(np.diff(f) > 0)                      # grows towards the output
    assert f[0] / f[-1] < 1e-3
    r = bp.gradient_flow(8, "relu")
    assert r.max() / r.min() < 20


def test_gradient_flow_is_nnlibs_layer_grad_norms_and_deterministic():
    from nnlib.losses import BCEWithLogitsLoss
    from nnlib.train import layer_grad_norms

    X, Y = bp._flow_data()
    net = mlp([2, 32, 32, 1], "tanh", rng=0)
    want = list(layer_grad_norms(net, X, Y, BCEWithLogitsLoss()).values())
    np.testing.assert_allclose(bp.gradient_flow(3, "tanh"), want, rtol=1e-14)
    a = bp.gradient_flow(5, "tanh")
    a[0] = -1.0                                        # a copy: the cache stays intact
    np.testing.assert_array_equal(bp.gradient_flow(5, "tanh")[1:], a[1:])
    assert bp.gradient_flow(5, "tanh")[0] > 0


def test_gradient_flow_last_layer_gradient_is_delta_times_activations():
    # the last layer's weight gradient is Delta^T A with Delta = (sigmoid(z) - y) / m (BCE)

    f = bp.gradient_flow(2, "relu")
    X, Y = bp._flow_data()
    net = mlp([2, 32, 1], "relu", rng=0)
    z = net(X)
    hidden = np.maximum(X @ net[0].weight.data.T + net[0].bias.data, 0.0)
    delta = (1 / (1 + np.exp(-z)) - Y) / len(X)
    assert np.isclose(f[-1], np.linalg.norm(delta.T @ hidden))


def test_flow_ylim_holds_every_value_the_experiment_can_show():
    lo, hi = bp.FLOW_YLIM
    for act in bp.FLOW_ACTIVATIONS:
        for depth in (2, 3, 10, 29, 30):
            g = bp.gradient_flow(depth, act)
            assert lo < g.min() and g.max() < hi, (act, depth)


@pytest.mark.parametrize("depth, activation, match", [
    (1, "relu", "depth"), (51, "relu", "between 2 and 50"), (4, "softmax", "one of"),
    (2.5, "relu", "depth"),
])
def test_gradient_flow_rejects_bad_input(depth, activation, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bp.gradient_flow(depth, activation)


def test_gradient_flow_figure_shows_picked_activations_with_their_ratios():
    r = live.Renderer(bp.GradientFlow())
    r.rgba({"depth": 12, "activations": ("sigmoid", "relu")})
    fig = r.live
    assert fig.lines["sigmoid"].get_visible() and not fig.lines["tanh"].get_visible()
    assert not fig.notes["gelu"].get_visible()
    g = bp.gradient_flow(12, "sigmoid")
    np.testing.assert_array_equal(fig.lines["sigmoid"].get_ydata(), g)
    assert f"{g[0] / g[-1]:.1e}" in fig.notes["sigmoid"].get_text()
    ax = fig.ax
    assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx(bp.FLOW_YLIM)
    assert ax.get_xlim() == (0.5, bp.FLOW_MAX_DEPTH + 0.5)      # the same for every depth
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    text = fig.describe(12, ("sigmoid", "relu"))
    assert "depth 12" in text and f"sigmoid {g[0] / g[-1]:.1e}" in text
    assert text == fig.describe(12, ())               # the website's base frame says the same
    r.close()


def test_gradient_flow_experiment_fits_the_website_budget():
    exp = bp.gradient_flow_experiment()
    assert exp.main == "depth" and len(exp.controls["depth"].grid()) >= 2
    assert len(exp.grid()) * (1 + len(bp.FLOW_ACTIVATIONS)) <= live.MAX_FRAMES
    assert exp.defaults == {"depth": 12, "activations": bp.FLOW_ACTIVATIONS}


def test_draw_gradient_flow_depths_is_small_multiples_of_the_live_figure():
    fig = bp.draw_gradient_flow_depths((4, 9), ("sigmoid", "gelu"))
    axes = fig.axes
    assert len(axes) == 2 and [len(ax.lines[0].get_xdata()) for ax in axes] == [4, 9]
    assert [sub._suptitle.get_text()[-1] for sub in fig.subfigs] == ["4", "9"]
    assert all(ax.get_yscale() == "log" and ax.get_xlabel() for ax in axes)
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    with pytest.raises(ValueError, match="expected one or more depths from 2 to 30"):
        bp.draw_gradient_flow_depths((40,))
    with pytest.raises(ValueError, match="expected activations among"):
        bp.draw_gradient_flow_depths((4,), ("swish",))
