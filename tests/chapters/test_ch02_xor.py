"""Tests of book.ch02_xor, the experiment functions of Chapter 2 (XOR and hidden layers)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import nnlib  # noqa: E402
import book.ch02_xor as demo  # noqa: E402
from book import live, shared  # noqa: E402

X, Y = nnlib.data.xor()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(fig):
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert axes
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax
    return axes


# --- step units and the hand-built network ---------------------------------------------------
def test_step_is_one_only_above_zero():
    np.testing.assert_array_equal(demo.step([-2.0, 0.0, 1e-12, 3.0]), [0.0, 0.0, 1.0, 1.0])


def test_step_layer_forward_backward_and_error():
    layer = demo.Step()
    with pytest.raises(ValueError, match=r"Step\(\).*backward\(\) was called before forward"):
        layer.backward(np.ones((1, 2)))
    out = layer(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(out, [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(layer.backward(np.full((1, 3), 5.0)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"Step\(\)\.backward: expected grad_out .* \(1, 3\)"):
        layer.backward(np.ones((2, 3)))


def test_hand_built_step_network_computes_xor_through_or_and_nand():
    net = demo.hand_built_network("step")
    np.testing.assert_array_equal(net(X)[:, 0], Y)
    hidden = nnlib.Sequential(net[0], net[1])(X)
    x1, x2 = X[:, 0] > 0, X[:, 1] > 0
    np.testing.assert_array_equal(hidden[:, 0], x1 | x2)          # OR
    np.testing.assert_array_equal(hidden[:, 1], ~(x1 & x2))       # NAND


@pytest.mark.parametrize("k", [5.0, 10.0, 50.0])
def test_steep_sigmoid_network_classifies_xor_and_approaches_the_step(k):
    p = demo.hand_built_network("sigmoid", steepness=k)(X)[:, 0]
    np.testing.assert_array_equal(p > 0.5, Y == 1)
    if k > 5:
        err = np.abs(p - Y).max()
        err_flatter = np.abs(demo.hand_built_network("sigmoid", steepness=k / 2)(X)[:, 0] - Y).max()
        assert err < err_flatter


def test_hand_built_network_rejects_bad_arguments():
    with pytest.raises(ValueError, match="hand_built_network: expected activation .* 'relu'"):
        demo.hand_built_network("relu")
    with pytest.raises(ValueError, match=r"hand_built_network: expected steepness > 0, got -1"):
        demo.hand_built_network("sigmoid", steepness=-1.0)


def test_hidden_points_of_the_hand_built_weights():
    H = demo.hidden_points(shared.XOR_W1, shared.XOR_B1)
    np.testing.assert_array_equal(H, [[0, 1], [1, 1], [1, 1], [1, 0]])
    S = demo.hidden_points(shared.XOR_W1, shared.XOR_B1, "sigmoid")
    np.testing.assert_allclose(S[0], nnlib.functional.sigmoid(np.array([-0.5, 1.5])))
    assert demo.hidden_points(np.ones((3, 2)), np.zeros(3), X=np.ones((5, 2))).shape == (5, 3)


def test_hidden_points_rejects_mismatched_shapes_and_activation():
    with pytest.raises(ValueError, match=r"hidden_points: expected W1 .* got W1 \(2, 3\)"):
        demo.hidden_points(np.ones((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="hidden_points: expected activation"):
        demo.hidden_points(shared.XOR_W1, shared.XOR_B1, "tanh")


# --- separability ----------------------------------------------------------------------------
def test_best_separating_line_known_margins():
    w, b, margin = demo.best_separating_line([[0.0, 0.0], [2.0, 0.0]], [0, 1])
    np.testing.assert_allclose(w, [1.0, 0.0], atol=1e-12)
    assert b == pytest.approx(-1.0) and margin == pytest.approx(1.0)
    # the hidden points of the hand-built network: margin sqrt(2) / 4, class 1 on the w side
    H = demo.hidden_points(shared.XOR_W1, shared.XOR_B1)
    w, b, margin = demo.best_separating_line(H, Y)
    assert margin == pytest.approx(np.sqrt(2) / 4, abs=1e-9)
    assert np.all((H @ w + b > 0) == (Y == 1))


def test_xor_is_not_separable_and_coinciding_points_are_not_either():
    assert demo.best_separating_line(X, Y)[2] < 0
    assert demo.best_separating_line([[1.0, 1.0], [1.0, 1.0]], [0, 1])[2] == pytest.approx(0.0)


def test_best_separating_line_rejects_bad_input():
    with pytest.raises(ValueError, match=r"best_separating_line: expected labels 0 and 1, both"):
        demo.best_separating_line(X, np.zeros(4))
    with pytest.raises(ValueError, match=r"best_separating_line: expected points of shape"):
        demo.best_separating_line(np.ones((4, 3)), Y)


# --- training many networks ------------------------------------------------------------------
def _nnlib_loop(width, activation, seed, epochs, lr=1.0):
    net = nnlib.mlp([2, width, 1], activation, rng=seed)
    opt = nnlib.SGD(net.parameters(), lr=lr)
    loss_fn = nnlib.BCEWithLogitsLoss()
    target = Y.astype(float)[:, None]
    losses = []
    for _ in range(epochs):
        losses.append(loss_fn(net(X), target))
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
    return net, losses


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_train_many_equals_nnlib_gradient_descent(activation):
    runs = demo.train_many(widths=(1, 3), activation=activation, seeds=(4, 7), epochs=150,
                           lr=0.7, record_every=50)
    assert runs.widths.tolist() == [1, 1, 3, 3] and runs.seeds.tolist() == [4, 7, 4, 7]
    for k in range(4):
        net, losses = _nnlib_loop(int(runs.widths[k]), activation, int(runs.seeds[k]), 150, 0.7)
        np.testing.assert_allclose(runs.W1[k], net[0].weight.data, atol=1e-10)
        np.testing.assert_allclose(runs.b1[k], net[0].bias.data, atol=1e-10)
        np.testing.assert_allclose(runs.W2[k], net[2].weight.data, atol=1e-10)
        np.testing.assert_allclose(runs.b2[k], net[2].bias.data, atol=1e-10)
        np.testing.assert_allclose(runs.loss_history[:3, k], [losses[0], losses[50], losses[100]],
                                   rtol=1e-10)
        p = nnlib.predict_proba(net, X)[:, 0]
        np.testing.assert_allclose(runs.p[k], p, atol=1e-10)
        assert runs.correct[k] == np.sum((p > 0.5) == (Y == 1))
    assert runs.record_epochs.tolist() == [0, 50, 100, 150]


def test_one_hidden_unit_never_solves_xor_but_two_sometimes_do():
    runs = demo.train_many(widths=(1, 2), seeds=range(12), epochs=1500)
    assert runs.success_rate(1) == 0.0
    assert runs.success_rate(2) > 0.0
    assert len(runs.indices(2)) == 12
    assert len(runs.indices(2, True)) + len(runs.indices(2, False)) == 12
    with pytest.raises(ValueError, match=r"XorRuns: no networks of width 5; .* \[1, 2\]"):
        runs.success_rate(5)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"activation": "gelu"}, ValueError, "train_many: expected activation"),
    ({"widths": (0,)}, ValueError, r"train_many: expected every width >= 1, got 0"),
    ({"widths": ()}, ValueError, "train_many: expected at least one width"),
    ({"seeds": ()}, ValueError, "train_many: expected at least one width and one seed"),
    ({"lr": 0.0}, ValueError, r"train_many: expected lr > 0, got 0.0"),
    ({"epochs": 1.5}, TypeError, "train_many: expected epochs to be an integer"),
])
def test_train_many_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        demo.train_many(**kwargs)


def test_closest_opposite_pair_and_dead_units():
    assert demo.closest_opposite_pair(X) == (0, 1, 1.0)
    merged = np.array([[0.0, 0.0], [0.3, 0.3], [1.0, 0.0], [0.3, 0.3]])
    assert demo.closest_opposite_pair(merged) == (3, 1, 0.0)
    z = np.array([[-1.0, 0.5, 0.0], [-2.0, -1.0, 0.0], [0.0, -1.0, -3.0], [-0.1, -1.0, -1.0]])
    assert demo.dead_units(z) == 2
    with pytest.raises(ValueError, match=r"closest_opposite_pair: expected .* got \(3, 2\)"):
        demo.closest_opposite_pair(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"dead_units: expected pre-activations .* got \(4,\)"):
        demo.dead_units(np.ones(4))


# --- figures ---------------------------------------------------------------------------------
def test_draw_xor_problem_and_hand_built():
    assert len(_labelled(demo.draw_xor_problem())) == 3
    axes = _labelled(demo.draw_hand_built())
    assert axes[1].get_xlabel() == "$h_1$ (OR unit)"


def _live_values(**changes):
    return {**demo.hidden_space_experiment().defaults, **changes}


def test_hidden_space_defaults_verdicts_and_gates():
    r = live.Renderer(demo.HiddenSpace())
    r.rgba(_live_values())
    fig = r.live
    assert fig.verdict.get_text() == "The output unit can separate XOR: margin 0.354"
    assert [t.get_text() for t in fig.gates] == ["h\N{SUBSCRIPT ONE}: OR",
                                                 "h\N{SUBSCRIPT TWO}: NAND"]
    assert fig.out_line.get_visible() and fig.shade.get_visible()
    names = sorted(t.get_text() for t in fig.names if t.get_visible())
    assert names == ["(0,0)", "(0,1) (1,0)", "(1,1)"]          # the class-1 points merge
    r.rgba(_live_values(**dict(zip(("w11", "w12", "b1", "w21", "w22", "b2"),
                                   demo.SETTINGS["both lines coincide"], strict=True))))
    assert fig.verdict.get_text() == "No output unit can separate XOR"
    assert not fig.out_line.get_visible() and not fig.shade.get_visible()
    r.rgba(_live_values(w21=0.0, w22=0.0, b2=1.0, activation="sigmoid"))
    assert fig.gates[1].get_text() == "h\N{SUBSCRIPT TWO}: always fires"
    assert not fig.unit_lines[1].get_visible() and not fig.shafts[1].get_visible()
    r.close()


def test_hidden_space_describes_units_points_and_verdict():
    text = demo.HiddenSpace().describe(**_live_values())
    assert "z1 = 1 x1 + 1 x2 - 0.5, computing OR" in text
    assert "z2 = -1 x1 - 1 x2 + 1.5, computing NAND" in text
    assert "computing NAND" in text and "(1,1) to (1.00, 0.00)" in text
    assert "margin 0.354" in text
    text = demo.HiddenSpace().describe(**_live_values(w21=1.0, w22=1.0, b2=-0.5))
    assert "no line separates" in text


def test_hidden_space_rejects_bad_input():
    fig = demo.HiddenSpace()
    with pytest.raises(ValueError, match=r"HiddenSpace: expected a finite w12, got nan"):
        fig.describe(**_live_values(w12=float("nan")))
    with pytest.raises(TypeError, match="HiddenSpace: expected b2 to be a real number"):
        fig.describe(**_live_values(b2="1"))
    with pytest.raises(ValueError, match="HiddenSpace: expected activation 'step' or"):
        fig.describe(**_live_values(activation="relu"))


def test_the_website_grid_offers_every_control_and_the_four_solutions():
    exp = demo.hidden_space_experiment()
    assert len(exp.grid()) == 128 <= live.MAX_FRAMES
    assert all(len(c.grid()) >= 2 for c in exp.controls.values())
    layers = demo.web_hidden_layers()
    solved = {values for values, margin in layers if margin > 0}
    assert solved == {(1.0, 1.0, -0.5, -1.0, -1.0, 1.5), (-1.0, -1.0, 1.5, 1.0, 1.0, -0.5),
                      (1.0, -1.0, -0.5, -1.0, 1.0, -0.5), (-1.0, 1.0, -0.5, 1.0, -1.0, -0.5)}
    with pytest.raises(ValueError, match="web_hidden_layers: expected activation"):
        demo.web_hidden_layers("tanh")


@pytest.mark.parametrize("w1, w2, b, gate", [
    (1, 1, -0.5, "OR"), (-1, -1, 1.5, "NAND"), (1, 1, -1.5, "AND"), (-1, -1, 0.5, "NOR"),
    (1, -1, -0.5, "only (1,0)"), (-1, 1, -0.5, "only (0,1)"), (0, 0, 0.0, "never fires"),
    (0, 0, 1.0, "always fires"), (1, -1, 0.5, "not (0,1)"), (1, 0, -0.5, "copies x1"),
    (0, -1, 0.5, "NOT x2"),
])
def test_unit_gate_names_what_a_unit_computes(w1, w2, b, gate):
    assert demo.unit_gate(w1, w2, b) == gate


def test_no_single_unit_computes_xor():
    rng = np.random.default_rng(0)
    gates = {demo.unit_gate(*rng.normal(size=3)) for _ in range(2000)}
    assert "XOR" not in gates and "XNOR" not in gates and len(gates) > 8
    with pytest.raises(ValueError, match=r"unit_gate: expected a finite b, got inf"):
        demo.unit_gate(1.0, 1.0, float("inf"))


def test_linearly_separable_decides_exactly():
    assert not demo.is_linearly_separable(X, Y)
    assert demo.is_linearly_separable(X, [0, 1, 1, 1])                       # OR
    assert demo.is_linearly_separable(demo.hidden_points(shared.XOR_W1, shared.XOR_B1), Y)
    parity = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], float)
    assert not demo.is_linearly_separable(parity, parity.sum(axis=1) % 2)
    with pytest.raises(ValueError, match=r"is_linearly_separable: expected labels 0 and 1"):
        demo.is_linearly_separable(X, np.ones(4))
    with pytest.raises(ValueError, match=r"is_linearly_separable: expected X of shape"):
        demo.is_linearly_separable(X, np.ones(3))


def test_draw_xor_network_shows_every_weight_and_bias():
    fig = demo.draw_xor_network()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("+1") == 4 and texts.count("\N{MINUS SIGN}1") == 2
    for gate, bias in (("OR", "\N{MINUS SIGN}0.5"), ("NAND", "1.5"), ("AND", "\N{MINUS SIGN}1.5")):
        assert any(gate in t and f"bias {bias}" in t for t in texts), (gate, texts)


def test_draw_digits_training_panels_and_bad_input():
    from nnlib.train import History

    h = History()
    h.train_acc, h.val_acc = [0.8, 0.9, 0.95], [0.7, 0.8, 0.85]
    images = np.tile(np.linspace(0, 1, 64), (20, 1))
    fig = demo.draw_digits_training({"a": h, "b": h}, images, np.arange(20) % 10)
    axes = [ax for ax in fig.axes if ax.get_xlabel()]
    assert [ax.get_ylabel() for ax in axes] == ["training accuracy (%)",
                                                "validation accuracy (%)"]
    assert len(fig.axes) == 12                                   # ten digits, two panels
    with pytest.raises(ValueError, match="draw_digits_training: expected at least one"):
        demo.draw_digits_training({})
    with pytest.raises(ValueError, match=r"the history of 'empty' has no training"):
        demo.draw_digits_training({"empty": History()})


def test_draw_settings_one_row_per_setting():
    fig = demo.draw_settings()
    assert len(_labelled(fig)) == 2 * len(demo.SETTINGS)
    titles = [sub.get_suptitle() for sub in fig.subfigs]
    assert titles[0] == "OR and NAND: separable, margin 0.354"
    assert titles[2] == "both lines coincide: not separable"
    with pytest.raises(ValueError, match=r"draw_settings: expected six numbers .* 'bad'"):
        demo.draw_settings({"bad": (1.0, 2.0)})
    with pytest.raises(ValueError, match="draw_settings: expected at least one setting"):
        demo.draw_settings({})


def test_draw_success_rates_and_failure_anatomy():
    fig = demo.draw_success_rates({"sigmoid": [0.0, 0.7], "relu": [0.0, 0.2]}, [1, 2])
    (ax,) = _labelled(fig)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2-1-1", "2-2-1"]
    with pytest.raises(ValueError, match=r"draw_success_rates: expected one rate per width \(2\)"):
        demo.draw_success_rates({"sigmoid": [0.5]}, [1, 2])
    runs = demo.train_many(widths=(2,), seeds=range(8), epochs=800)
    assert 0 < runs.success.sum() < 8  # this small sample has both outcomes
    assert len(_labelled(demo.draw_failure_anatomy(runs))) == 3
    solved = demo.train_many(widths=(4,), seeds=range(2), epochs=800)
    with pytest.raises(ValueError, match=r"draw_failure_anatomy: expected both solved and stuck"):
        demo.draw_failure_anatomy(solved, width=4)
