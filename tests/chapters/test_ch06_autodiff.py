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
@pytest.mark.parametrize("step", [0, 3, 5])
def test_draw_sweep_returns_a_figure_with_coloured_boxes(step):
    fig = demo.draw_sweep(step)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    states = demo.sweep_states(demo.running_graph())
    assert ax.get_title() == demo.describe_step(states[step])
    assert f"step {step} of 5" in fig.get_suptitle()
    # the node passing its adjoint back is outlined thickly
    widths = sorted(p.get_linewidth() for p in ax.patches if type(p).__name__ == "FancyBboxPatch")
    assert len(widths) == 7
    assert (widths[-1] == 3.0) == (step > 0)


def test_draw_sweep_rejects_bad_steps():
    with pytest.raises(ValueError, match=r"draw_sweep: expected step between 0 and 5 .*, got 6"):
        demo.draw_sweep(6)
    with pytest.raises(ValueError, match="draw_sweep: expected step >= 0, got -1"):
        demo.draw_sweep(-1)
    with pytest.raises(TypeError, match="draw_sweep: expected step to be an integer"):
        demo.draw_sweep(1.5)
    with pytest.raises(TypeError, match="draw_sweep: expected show_local to be a bool"):
        demo.draw_sweep(1, show_local="yes")


@pytest.mark.filterwarnings("error")
def test_draw_sweep_steps():
    fig = demo.draw_sweep_steps()
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["step 2", "step 4", "step 5"]
    with pytest.raises(ValueError, match="draw_sweep_steps: expected a sequence of 1 to 4"):
        demo.draw_sweep_steps((0, 1, 2, 3, 4))
    with pytest.raises(ValueError, match="draw_sweep_steps: expected step between 0 and 5"):
        demo.draw_sweep_steps((0, 9))


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


def test_time_jacobians_fields():
    t = demo.time_jacobians(3, 2, hidden=4, repeats=2)
    assert (t.n, t.q, t.forward_passes, t.reverse_passes) == (3, 2, 3, 2)
    assert t.forward_seconds > 0 and t.reverse_seconds > 0
    assert t.max_difference < 1e-13
    with pytest.raises(ValueError, match="time_jacobians: expected repeats >= 1, got 0"):
        demo.time_jacobians(1, 1, repeats=0)


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


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("n,q", [(8, 2), (1, 5), (5, 1), (20, 20)])
def test_draw_cost(n, q):
    fig = demo.draw_cost(n, q)
    ax_j, ax_w = fig.axes[0], fig.axes[1]
    assert _labelled(ax_j) and _labelled(ax_w)
    c = demo.operation_counts(n, q)
    winner = "reverse" if c.reverse_total < c.forward_total else "forward"
    assert winner in ax_w.get_title()
    # the heat map is the true Jacobian
    mesh = ax_j.collections[0]
    f = demo.mlp_function(n, q, rng=0)
    J = jacobian_reverse(f, np.linspace(-1.0, 1.0, n)).jacobian
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(q, n), J, atol=1e-13)


def test_draw_cost_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"draw_cost: expected n <= 64 .*, got 65"):
        demo.draw_cost(65, 1)
    with pytest.raises(ValueError, match="draw_cost: expected q >= 1, got 0"):
        demo.draw_cost(2, 0)


def test_no_warnings_from_the_module_import():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import importlib

        importlib.reload(demo)
