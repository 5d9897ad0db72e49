"""Tests of book.ch06_autodiff, the experiments of Chapter 6 (Automatic differentiation)."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnlib.autodiff import (Dual, Value, jacobian_forward, jacobian_reverse,  # noqa: E402
                            topological_order)
import book.ch06_autodiff as demo  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax):
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


# --- the running example ----------------------------------------------------------------------

@pytest.mark.parametrize("point", [(2.0, 1.0), (0.5, -1.3), (3.0, 0.0)])
def test_running_gradient_matches_both_modes(point):
    exact = demo.running_gradient(*point)
    duals = [demo.running_function([Dual(point[0], 1.0), Dual(point[1], 0.0)]).tangent,
             demo.running_function([Dual(point[0], 0.0), Dual(point[1], 1.0)]).tangent]
    np.testing.assert_allclose(duals, exact, rtol=0, atol=1e-14)
    f = demo.running_graph(*point)
    f.backward()
    leaves = {v.label: v for v in topological_order(f) if not v.parents}
    np.testing.assert_allclose([leaves["x1"].grad, leaves["x2"].grad], exact, rtol=0, atol=1e-14)
    assert f.data == pytest.approx(math.log(point[0]) + point[0] * point[1] - math.tanh(point[1]))


def test_running_gradient_at_the_chapter_point():
    g = demo.running_gradient()
    assert g[0] == 1.5
    assert g[1] == pytest.approx(2.0 - 1.0 / math.cosh(1.0) ** 2, abs=1e-15)


def test_running_graph_has_the_wengert_names_and_shape():
    f = demo.running_graph()
    order = topological_order(f)
    assert sorted(v.label for v in order) == ["f", "v1", "v2", "v3", "v4", "x1", "x2"]
    ops = {v.label: v.op for v in order}
    assert ops == {"x1": "", "x2": "", "v1": "log", "v2": "*", "v3": "tanh", "v4": "+", "f": "-"}


def test_running_function_and_gradient_reject_bad_input():
    with pytest.raises(ValueError, match="running_function: expected two inputs"):
        demo.running_function([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"running_gradient: expected x1 > 0.*-1.0"):
        demo.running_gradient(-1.0, 0.0)
    with pytest.raises(TypeError, match="running_graph: expected x2"):
        demo.running_graph(1.0, "a")


# --- expression swell ------------------------------------------------------------------------

def test_expr_arithmetic_simplifies_and_differentiates():
    x = demo.Expr.variable()
    assert (0 * x).op == "const" and (0 * x).value == 0.0
    assert (1 * x) is x and (x + 0) is x and (x - 0) is x
    assert (demo.Expr.constant(2) * 3).value == 6.0
    e = x * x * x - 2 * x + 1                       # 3 x^2 - 2
    assert e.evaluate(1.5) == pytest.approx(1.5 ** 3 - 3 + 1)
    assert e.diff().evaluate(1.5) == pytest.approx(3 * 1.5 ** 2 - 2)
    with pytest.raises(TypeError, match="Expr: expected an Expr or a number as operand, got str"):
        x * "a"
    with pytest.raises(ValueError, match="Expr: expected op"):
        demo.Expr("/")


@pytest.mark.parametrize("n", [1, 4, 9])
def test_logistic_map_runs_on_every_kind_of_scalar(n):
    x0 = 0.3
    expr = demo.logistic_map(demo.Expr.variable(), n)
    xv = Value(x0)
    lv = demo.logistic_map(xv, n)
    lv.backward()
    dual = demo.logistic_map(Dual(x0, 1.0), n)
    assert expr.evaluate(x0) == pytest.approx(demo.logistic_map(x0, n), rel=1e-12)
    assert lv.data == pytest.approx(demo.logistic_map(x0, n), rel=1e-15)
    assert expr.diff().evaluate(x0) == pytest.approx(xv.grad, rel=1e-10)
    assert dual.tangent == pytest.approx(xv.grad, rel=1e-12)


def test_expression_swell_growth_laws():
    r = demo.expression_swell(range(1, 13))
    n = r.steps
    np.testing.assert_array_equal(r.formula_size, 6 * 2 ** n - 5)    # doubles every step
    np.testing.assert_array_equal(r.ad_operations, 3 * n)            # 3 operations per step
    np.testing.assert_array_equal(r.derivative_dag_size, 11 * n - 1)  # linear with sharing
    assert np.all(r.derivative_size[1:] > 2 * r.derivative_size[:-1])  # more than doubles


def test_expression_swell_and_its_figure_reject_bad_input():
    with pytest.raises(ValueError, match="expression_swell: expected every number of steps >= 1"):
        demo.expression_swell([0, 1])
    with pytest.raises(ValueError, match="expression_swell: expected at least one"):
        demo.expression_swell([])
    with pytest.raises(ValueError, match="logistic_map: expected n >= 0, got -1"):
        demo.logistic_map(0.5, -1)
    with pytest.raises(TypeError, match="draw_expression_swell: expected the SwellResult"):
        demo.draw_expression_swell({"steps": [1]})


@pytest.mark.filterwarnings("error")
def test_draw_expression_swell():
    fig = demo.draw_expression_swell(demo.expression_swell([1, 2, 3, 4]))
    assert isinstance(fig, Figure)
    assert _labelled(fig.axes[0])
    assert len(fig.axes[0].get_lines()) == 4


# --- the reverse sweep ------------------------------------------------------------------------

def test_sweep_states_end_with_the_gradients_of_backward():
    f = demo.running_graph()
    states = demo.sweep_states(f)
    ops = [v for v in topological_order(f) if v.parents]
    assert len(states) == len(ops) + 1
    assert states[0].node is None and states[0].adjoints[f] == 1.0
    f.backward()
    for v in topological_order(f):
        assert states[-1].adjoints[v] == pytest.approx(v.grad, abs=1e-15)
    assert states[-1].final == frozenset(topological_order(f))
    # every operation node passes its adjoint back exactly once, in reverse topological order
    assert [s.node for s in states[1:]] == list(reversed(ops))


def test_sweep_states_sum_over_children():
    x = Value(3.0, "x")
    y = Value(4.0, "y")
    g = x * y + x  # x has two children
    states = demo.sweep_states(g)
    assert states[-1].adjoints[x] == 5.0
    assert states[-1].adjoints[y] == 3.0
    # x's adjoint is final only after both of its children have passed theirs back
    first = next(k for k, s in enumerate(states) if x in s.final)
    assert first == len(states) - 1


def test_sweep_states_x_times_x_counts_both_edges():
    x = Value(1.5, "x")
    states = demo.sweep_states(x * x)
    assert states[-1].adjoints[x] == 3.0


def test_sweep_states_reject_non_values():
    with pytest.raises(TypeError, match="sweep_states: expected a Value, got float"):
        demo.sweep_states(1.0)


def test_describe_step():
    states = demo.sweep_states(demo.running_graph())
    assert demo.describe_step(states[0]) == "seed: f_bar = 1"
    assert demo.describe_step(states[2]) == "v3 passes \u22121 back: x2 += 0.42\u00b7(\u22121)"
    with pytest.raises(TypeError, match="describe_step: expected a SweepState"):
        demo.describe_step("step")


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("step,labels", [(0, "local"), (3, "contribution"), (5, "contribution")])
def test_sweep_figure_shows_the_state_of_each_step(step, labels):
    from book.live import Renderer

    r = Renderer(demo.SweepFigure())
    r.rgba({"step": step, "labels": labels})
    fig = r.live
    states = demo.sweep_states(demo.running_graph())
    assert fig.detail.get_text() == f"Step {step} of 5: {demo.describe_step(states[step])}"
    by_label = {v.label: v for v in fig.pic.nodes}
    # each box shows the adjoint so far; the node passing its adjoint back is outlined thickly
    for v in fig.pic.nodes:
        want = states[step].adjoints[next(u for u in states[step].adjoints if u.label == v.label)]
        assert fig.pic.texts[v][2].get_text() == demo._num(want)
    widths = sorted(b.get_linewidth() for b in fig.frames.values())
    assert len(widths) == 7 and (widths[-1] == 3.0) == (step > 0)
    edge_texts = {(p.label, c.label): t.get_text() for (p, c), t in fig.pic.edge_labels.items()}
    if labels == "local":
        assert edge_texts[("x2", "v3")] == "0.42"
    elif step == 5:      # every edge has passed its contribution: x1 gets 0.5 and 1
        assert edge_texts[("x1", "v1")] == "+0.5" and edge_texts[("x1", "v2")] == "+1"
        assert edge_texts[("x2", "v3")] == "\u22120.42"
    else:
        assert edge_texts[("x1", "v1")] == ""     # v1 has not passed anything yet
    assert by_label["f"] is fig.root
    r.close()


def test_sweep_figure_text_alternative_and_bad_values():
    fig = demo.SweepFigure()
    text = fig.describe(step=5, labels="contribution")
    assert "step 5 of 5" in text and "x1 = 1.5" in text and "x2 = 1.58" in text
    from book.live import Renderer

    r = Renderer(demo.SweepFigure())
    with pytest.raises(ValueError, match=r"SweepFigure: expected step between 0 and 5 .*, got 6"):
        r.rgba({"step": 6, "labels": "local"})
    r.close()
    r = Renderer(demo.SweepFigure())
    with pytest.raises(ValueError, match="SweepFigure: expected labels 'local'.*got 'x'"):
        r.rgba({"step": 1, "labels": "x"})
    r.close()


@pytest.mark.filterwarnings("error")
def test_draw_sweep_step_is_the_live_figure():
    fig = demo.draw_sweep_step(4, "local")
    assert fig.texts[1].get_text().startswith("Step 4 of 5: v2 passes 1 back")
    assert tuple(fig.get_size_inches()) == pytest.approx(demo.SweepFigure.size)
    with pytest.raises(ValueError, match="draw_sweep_step: expected step between 0 and 5"):
        demo.draw_sweep_step(9)
    with pytest.raises(TypeError, match="draw_sweep_step: expected step to be an integer"):
        demo.draw_sweep_step(1.5)
    with pytest.raises(ValueError, match="draw_sweep_step: expected labels"):
        demo.draw_sweep_step(2, "both")


def test_sweep_experiment_controls():
    exp = demo.sweep_experiment()
    assert exp.main == "step" and exp.defaults == {"step": 1, "labels": "contribution"}
    assert len(exp.grid()) == 12


# --- the picture of the graph and the step Jacobians ------------------------------------------

@pytest.mark.filterwarnings("error")
def test_draw_running_graph_labels_every_edge_with_its_local_derivative():
    fig = demo.draw_running_graph()
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "value 0.693" in texts and "value 1.93" in texts
    for local in ("0.5", "1", "2", "0.42", "\u22121"):
        assert local in texts
    # 7 boxes and 8 arrows, every text at least 10 points (legible on a phone)
    assert len(ax.patches) == 15
    assert min(t.get_fontsize() for t in ax.texts + fig.texts) >= 10
    assert fig.get_figwidth() <= 7.6
    with pytest.raises(TypeError, match="draw_running_graph: expected the Value"):
        demo.draw_running_graph("f")


def test_graph_picture_edges_never_share_an_end():
    """No two edges leave or enter a box at the same point (they would merge on a phone)."""
    fig = demo.draw_running_graph()
    ends = [(round(x, 6), round(y, 6)) for p in fig.axes[0].patches
            if type(p).__name__ == "FancyArrowPatch" for x, y in (p._posA_posB or [])]
    assert len(ends) == 16 and len(set(ends)) == 16


@pytest.mark.parametrize("point", [(2.0, 1.0), (0.7, -0.4)])
def test_step_jacobians_multiply_to_the_gradient(point):
    f = demo.running_graph(*point)
    names, Js = demo.step_jacobians(f)
    assert names[:2] == ["x1", "x2"] and len(Js) == 5
    for J in Js:       # the identity but for one row
        assert np.count_nonzero((J - np.eye(7)).any(axis=1)) == 1
    P = np.linalg.multi_dot(Js[::-1])
    np.testing.assert_allclose(P[names.index("f"), :2], demo.running_gradient(*point),
                               rtol=0, atol=1e-14)
    a = np.eye(7)[names.index("f")]        # from the left: the reverse sweep
    for J in Js[::-1]:
        a = a @ J
    np.testing.assert_allclose(a[:2], demo.running_gradient(*point), rtol=0, atol=1e-14)


def test_step_jacobians_sum_the_two_edges_of_x_times_x():
    x = Value(1.5, "x")
    names, Js = demo.step_jacobians(x * x)
    assert Js[0][1, 0] == 3.0
    with pytest.raises(TypeError, match="step_jacobians: expected a Value, got float"):
        demo.step_jacobians(1.0)


# --- the cost of a Jacobian -------------------------------------------------------------------

def _graph_counts(n, q, hidden):
    """Operations in one pass and in each output's sweep, counted on the recorded graph."""
    f = demo.mlp_function(n, q, hidden, rng=1)
    outs = f([Value(0.1 * (j + 1)) for j in range(n)])
    union = set()
    sweeps = []
    for out in outs:
        nodes = topological_order(out)
        union.update(nodes)
        sweeps.append(sum(1 for v in nodes if v.parents))
    return sum(1 for v in union if v.parents), sweeps


@pytest.mark.parametrize("n,q,hidden", [(1, 1, 1), (3, 2, 4), (5, 7, 3), (8, 1, 8)])
def test_operation_counts_match_the_recorded_graph(n, q, hidden):
    counts = demo.operation_counts(n, q, hidden)
    per_pass, sweeps = _graph_counts(n, q, hidden)
    assert counts.ops_per_pass == per_pass
    assert sweeps == [counts.ops_per_sweep] * q
    assert counts.forward_total == n * per_pass
    assert counts.reverse_total == per_pass + sum(sweeps)
    assert (counts.forward_passes, counts.reverse_passes) == (n, q)


@pytest.mark.parametrize("n,q", [(1, 3), (4, 1), (3, 3)])
def test_mlp_function_modes_agree_and_report_their_passes(n, q):
    f = demo.mlp_function(n, q, hidden=5, rng=3)
    x = np.linspace(-0.7, 0.9, n)
    fwd, rev = jacobian_forward(f, x), jacobian_reverse(f, x)
    assert fwd.jacobian.shape == (q, n)
    np.testing.assert_allclose(fwd.jacobian, rev.jacobian, rtol=0, atol=1e-13)
    assert (fwd.forward_passes, fwd.reverse_passes) == (n, 0)
    assert (rev.forward_passes, rev.reverse_passes) == (1, q)
    # and a central difference agrees to its own accuracy
    eps = 1e-6
    col0 = (np.array(f(list(x + eps * np.eye(n)[0]))) - np.array(f(list(x - eps * np.eye(n)[0]))))
    np.testing.assert_allclose(col0 / (2 * eps), fwd.jacobian[:, 0], atol=1e-8)


def test_mlp_function_is_reproducible_and_checks_its_input():
    f, g = demo.mlp_function(2, 2, rng=7), demo.mlp_function(2, 2, rng=7)
    assert f([0.3, -0.2]) == g([0.3, -0.2])
    with pytest.raises(ValueError, match="mlp_function: this f takes 2 inputs, got 3"):
        f([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="mlp_function: expected n >= 1, got 0"):
        demo.mlp_function(0, 1)
    with pytest.raises(TypeError, match="operation_counts: expected q to be an integer"):
        demo.operation_counts(2, 1.0)


@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_time_jacobians_fields(clock):
    t = demo.time_jacobians(3, 2, hidden=4, repeats=2, clock=clock)
    assert (t.n, t.q, t.forward_passes, t.reverse_passes) == (3, 2, 3, 2)
    assert t.forward_seconds > 0 and t.reverse_seconds > 0
    assert t.max_difference < 1e-13
    with pytest.raises(ValueError, match="time_jacobians: expected repeats >= 1, got 0"):
        demo.time_jacobians(1, 1, repeats=0)
    with pytest.raises(ValueError, match="time_jacobians: expected clock to be 'cpu' or 'wall'"):
        demo.time_jacobians(1, 1, clock="gpu")


def test_jacobian_timings_series_and_bad_sizes():
    t = demo.jacobian_timings((1, 2, 4), hidden=2, repeats=1)
    assert [(r.n, r.q) for r in t["inputs"]] == [(1, 1), (2, 1), (4, 1)]
    assert [(r.n, r.q) for r in t["outputs"]] == [(1, 1), (1, 2), (1, 4)]
    assert [(r.n, r.q) for r in t["crossover"]] == [(1, 4), (2, 2), (4, 1)]
    assert t["inputs"][-1] is t["crossover"][-1]  # measured once
    with pytest.raises(ValueError, match="jacobian_timings: expected at least two increasing"):
        demo.jacobian_timings((4, 2))
    with pytest.raises(ValueError, match="jacobian_timings: expected every size to divide"):
        demo.jacobian_timings((1, 3, 4))
    with pytest.raises(TypeError, match="jacobian_timings: expected a sequence"):
        demo.jacobian_timings(4)


@pytest.mark.filterwarnings("error")
def test_draw_timings():
    fig = demo.draw_timings(demo.jacobian_timings((1, 2), hidden=2, repeats=1))
    assert len(fig.axes) == 3
    assert _labelled(fig.axes[0])
    assert all(ax.get_xlabel() for ax in fig.axes)
    with pytest.raises(TypeError, match="draw_timings: expected the dict"):
        demo.draw_timings([1, 2])


@pytest.mark.parametrize("n,q,hidden", [(1, 1, 8), (3, 2, 4), (16, 3, 8)])
def test_mlp_jacobian_is_the_product_of_the_layer_jacobians(n, q, hidden):
    x = np.linspace(-0.8, 0.6, n)
    J = jacobian_reverse(demo.mlp_function(n, q, hidden, rng=5), x).jacobian
    np.testing.assert_allclose(demo.mlp_jacobian(n, q, hidden, rng=5, x=x), J, rtol=0,
                               atol=1e-13)
    with pytest.raises(ValueError, match=r"mlp_jacobian: expected x of shape \(3,\), got"):
        demo.mlp_jacobian(3, 1, x=[1.0, 2.0])


@pytest.mark.parametrize("n,q,hidden", [(1, 1, 1), (3, 2, 4), (8, 1, 8)])
def test_tape_counts_walk_the_recorded_graph(n, q, hidden):
    counts = demo.operation_counts(n, q, hidden)
    tape = demo.tape_counts(demo.mlp_function(n, q, hidden, rng=1), np.full(n, 0.3))
    assert tape.per_pass == counts.ops_per_pass
    assert tape.per_sweep == (counts.ops_per_sweep,) * q


def test_tape_counts_would_notice_a_wrong_formula():
    # a program with a shared node and a constant: 3 operations, sweeps of 2 and 1
    tape = demo.tape_counts(lambda xs: [2.0 * xs[0] * xs[1], xs[1].tanh()], [1.0, 2.0])
    assert tape == demo.TapeCounts(3, (2, 1))
    assert demo.tape_counts(lambda xs: xs[0] * xs[0], [3.0]) == demo.TapeCounts(1, (1,))
    with pytest.raises(TypeError, match="tape_counts: expected f to return Values"):
        demo.tape_counts(lambda xs: [1.0], [0.0])
    with pytest.raises(TypeError, match="tape_counts: expected f to be a callable"):
        demo.tape_counts(3, [0.0])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("n,q", [(8, 2), (1, 5), (5, 1), (32, 32)])
def test_jacobian_cost_figure(n, q):
    from book.live import Renderer

    r = Renderer(demo.JacobianCost())
    r.rgba({"n": n, "q": q})
    live = r.live
    ax_j, ax_w = r.fig.axes
    assert _labelled(ax_j) and _labelled(ax_w)
    c = demo.operation_counts(n, q)
    if c.forward_total != c.reverse_total:
        winner = "reverse" if c.reverse_total < c.forward_total else "forward"
        assert winner in live.verdict.get_text()
    # the heat map is the Jacobian (scaled), in the top-left q x n corner of the frame
    grid = live.mesh.get_array().reshape(32, 32)
    J = jacobian_reverse(demo.mlp_function(n, q, rng=0), np.linspace(-1.0, 1.0, n)).jacobian
    np.testing.assert_allclose(grid[:q, :n], J / np.abs(J).max(), atol=1e-12)
    mask = np.ma.getmaskarray(grid)
    assert not mask[:q, :n].any() and mask[q:, :].all() and mask[:, n:].all()
    np.testing.assert_allclose(live.rev_line.get_ydata()[n - 1], c.reverse_total)
    assert f"{q} \u00d7 {n}" in live.shape.get_text()
    assert f"n = {n}" in live.describe(n=n, q=q)
    r.close()


def test_jacobian_cost_rejects_sizes_beyond_the_frame():
    from book.live import Renderer

    r = Renderer(demo.JacobianCost())
    with pytest.raises(ValueError, match=r"JacobianCost: expected n and q <= 32, got n = 33"):
        r.rgba({"n": 33, "q": 1})
    r.close()
    with pytest.raises(ValueError, match="JacobianCost: expected q >= 1, got 0"):
        demo.JacobianCost().describe(n=2, q=0)


def test_jacobian_cost_experiment_grid():
    exp = demo.jacobian_cost_experiment()
    assert exp.main == "n" and len(exp.grid()) == 36
    assert {"n": 8, "q": 2} in exp.grid()


# --- the payoff: scalars against arrays ------------------------------------------------------

def test_two_digits_splits_two_classes():
    X_train, y_train, X_test, y_test = demo.two_digits(3, 8, n_train=200, rng=1)
    assert X_train.shape == (200, 64) and len(X_test) == len(y_test) == 357 - 200
    assert set(np.unique(np.concatenate([y_train, y_test]))) == {0.0, 1.0}
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    again = demo.two_digits(3, 8, n_train=200, rng=1)
    np.testing.assert_array_equal(again[0], X_train)
    with pytest.raises(ValueError, match="two_digits: expected two different digits"):
        demo.two_digits(3, 3)
    with pytest.raises(ValueError, match="two_digits: expected n_train < 357"):
        demo.two_digits(3, 8, n_train=400)


def test_train_layers_matches_a_scalar_engine_step_by_step():
    """One SGD step of the layers equals one computed with Value, weight by weight."""
    from nnlib.layers import mlp

    X, y, _, _ = demo.two_digits(n_train=60, rng=0)
    batches = [(X[i:i + 20, :6], y[i:i + 20]) for i in range(0, 60, 20)]
    net = mlp([6, 3, 1], "tanh", rng=2)
    W1, b1, W2, b2 = (p.data.copy() for p in net.parameters())
    losses = demo.train_layers(net, batches, lr=0.4)
    P = [Value(w) for w in W1.ravel()] + [Value(b) for b in b1] + \
        [Value(w) for w in W2.ravel()] + [Value(b2[0])]
    scalar_losses = []
    for X_b, y_b in batches:
        total = Value(0.0)
        for x, t in zip(X_b.tolist(), y_b.tolist(), strict=True):
            h = [sum((P[j * 6 + k] * x[k] for k in range(6)), P[18 + j]).tanh() for j in range(3)]
            z = sum((P[21 + j] * h[j] for j in range(3)), P[24])
            total = total + ((1 + z.exp()).log() - t * z)
        L = total / len(y_b)
        L.backward()
        for p in P:
            p.data -= 0.4 * p.grad
        scalar_losses.append(L.data)
    np.testing.assert_allclose(scalar_losses, losses, rtol=1e-12)
    np.testing.assert_allclose([p.data for p in P[:18]], net[0].weight.data.ravel(), atol=1e-12)


@pytest.mark.filterwarnings("error")
def test_draw_payoff():
    fig = demo.draw_payoff([0.7, 0.6, 0.5], [0.7, 0.6, 0.5], 3.0, 0.003)
    ax_l, ax_t = fig.axes
    assert _labelled(ax_l) and ax_t.get_xlabel()
    assert "1,000" in ax_t.get_title()
    assert fig.get_figwidth() <= 7.6
    with pytest.raises(ValueError, match="draw_payoff: expected two equally long"):
        demo.draw_payoff([0.7], [0.7, 0.6], 1.0, 1.0)
    with pytest.raises(ValueError, match="draw_payoff: expected positive times"):
        demo.draw_payoff([0.7], [0.7], 0.0, 1.0)


def test_no_warnings_from_the_module_import():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import importlib

        importlib.reload(demo)
