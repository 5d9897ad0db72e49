"""Tests of nnlib.autodiff: the scalar reverse-mode engine (Value) and dual numbers (Dual)."""

import math
import sys
import warnings

import numpy as np
import pytest

from nnlib import autodiff as ad
from nnlib.autodiff import Dual, Value
from nnlib.gradcheck import numerical_grad, rel_error

pytestmark = pytest.mark.filterwarnings("error")

# Each case: name -> (f(a, b) written once for floats / Values / Duals, domain of a, domain of b,
# analytic partials (df/da, df/db) as functions of the floats a, b)
CASES = {
    "add": (lambda a, b: a + b, "any", "any", lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, "any", "any", lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, "any", "any", lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, "any", "any", lambda a, b: (1 / b, -a / b ** 2)),
    "pow_int": (lambda a, b: a ** 3, "any", "any", lambda a, b: (3 * a ** 2, 0.0)),
    "pow_neg_int": (lambda a, b: a ** -2, "any", "any", lambda a, b: (-2 * a ** -3, 0.0)),
    "pow_frac": (lambda a, b: a ** 2.5, "pos", "any", lambda a, b: (2.5 * a ** 1.5, 0.0)),
    "pow_node": (lambda a, b: a ** b, "pos", "any",
                 lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    "rpow": (lambda a, b: 2.0 ** b, "any", "any", lambda a, b: (0.0, 2.0 ** b * math.log(2))),
    "neg": (lambda a, b: -a, "any", "any", lambda a, b: (-1.0, 0.0)),
    "radd": (lambda a, b: 3.0 + a, "any", "any", lambda a, b: (1.0, 0.0)),
    "rsub": (lambda a, b: 3.0 - a, "any", "any", lambda a, b: (-1.0, 0.0)),
    "rmul": (lambda a, b: 3.0 * a, "any", "any", lambda a, b: (3.0, 0.0)),
    "rtruediv": (lambda a, b: 3.0 / a, "any", "any", lambda a, b: (-3.0 / a ** 2, 0.0)),
    "exp": (lambda a, b: ad.exp(a), "any", "any", lambda a, b: (math.exp(a), 0.0)),
    "log": (lambda a, b: ad.log(a), "pos", "any", lambda a, b: (1 / a, 0.0)),
    "tanh": (lambda a, b: ad.tanh(a), "any", "any", lambda a, b: (1 - math.tanh(a) ** 2, 0.0)),
    "sigmoid": (lambda a, b: ad.sigmoid(a), "any", "any",
                lambda a, b: (math.exp(-a) / (1 + math.exp(-a)) ** 2, 0.0)),
    "relu": (lambda a, b: ad.relu(a), "any", "any", lambda a, b: (float(a > 0), 0.0)),
    "composite": (lambda a, b: ad.tanh(a * b + a) / (1.0 + b * b) - ad.log(1.0 + a * a),
                  "any", "any", None),
}


def _point(rng, domain):
    """A random input away from 0 (kinks and poles), with a random sign when allowed."""
    x = rng.uniform(0.3, 2.0)
    return x if domain == "pos" else x * rng.choice([-1.0, 1.0])


def _inputs(name, seed):
    rng = np.random.default_rng(seed)
    _, da, db, _ = CASES[name]
    return _point(rng, da), _point(rng, db)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(CASES))
def test_value_gradient_matches_central_difference(name, seed):
    f = CASES[name][0]
    a0, b0 = _inputs(name, seed)
    a, b = Value(a0, "a"), Value(b0, "b")
    out = f(a, b)
    out.backward()
    x = np.array([a0, b0])
    numeric = numerical_grad(lambda v: f(float(v[0]), float(v[1])), x)
    assert out.data == pytest.approx(f(a0, b0), rel=1e-15, abs=1e-15)
    assert rel_error(np.array([a.grad, b.grad]), numeric) <= 1e-7


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][3] is not None))
def test_dual_and_value_derivatives_match_the_analytic_ones(name, seed):
    f, _, _, partials = CASES[name]
    a0, b0 = _inputs(name, seed)
    da, db = partials(a0, b0)
    out_a = f(Dual(a0, 1.0), Dual(b0, 0.0))
    out_b = f(Dual(a0, 0.0), Dual(b0, 1.0))
    assert out_a.primal == pytest.approx(f(a0, b0), rel=1e-14)
    assert out_a.tangent == pytest.approx(da, rel=1e-12, abs=1e-15)
    assert out_b.tangent == pytest.approx(db, rel=1e-12, abs=1e-15)
    a, b = Value(a0), Value(b0)
    out = f(a, b)
    out.backward()
    assert (a.grad, b.grad) == (pytest.approx(da, rel=1e-12, abs=1e-15),
                                pytest.approx(db, rel=1e-12, abs=1e-15))


def test_single_neuron_graph_matches_the_chapter_5_formula():
    # L = 1/2 (y - sigmoid(x w + b))^2: dL/dz = (a - y) a (1 - a), dL/dw = dL/dz x, dL/db = dL/dz
    x, w, b, y = Value(1.5, "x"), Value(-0.7, "w"), Value(0.2, "b"), Value(1.0, "y")
    a = (x * w + b).sigmoid()
    L = 0.5 * (y - a) ** 2
    L.backward()
    z = 1.5 * -0.7 + 0.2
    s = 1 / (1 + math.exp(-z))
    delta = (s - 1.0) * s * (1 - s)
    assert a.data == pytest.approx(s, rel=1e-15)
    assert L.data == pytest.approx(0.5 * (1 - s) ** 2, rel=1e-14)
    assert w.grad == pytest.approx(delta * 1.5, rel=1e-14)
    assert b.grad == pytest.approx(delta, rel=1e-14)
    assert x.grad == pytest.approx(delta * -0.7, rel=1e-14)
    assert y.grad == pytest.approx(1.0 - s, rel=1e-14)


def test_chapter_4_network_forward_and_backward():
    # The hand-worked 2-2-1 sigmoid network of Chapters 4 and 5, target y = 1, L = 1/2 (y - a2)^2
    x = [Value(0.5), Value(0.8)]
    W1 = [[Value(0.2), Value(0.4)], [Value(0.3), Value(0.1)]]
    b1 = [Value(0.1), Value(0.2)]
    W2 = [Value(0.6), Value(0.5)]
    b2 = Value(0.3)
    z1 = [W1[i][0] * x[0] + W1[i][1] * x[1] + b1[i] for i in range(2)]
    a1 = [z.sigmoid() for z in z1]
    z2 = W2[0] * a1[0] + W2[1] * a1[1] + b2
    a2 = z2.sigmoid()
    L = 0.5 * (1.0 - a2) ** 2
    L.backward()
    assert [round(z.data, 2) for z in z1] == [0.52, 0.43]
    assert [round(a.data, 3) for a in a1] == [0.627, 0.606]
    assert (round(z2.data, 3), round(a2.data, 3)) == (0.979, 0.727)
    # the same gradients by the delta recursion in numpy
    A1 = np.array([a.data for a in a1])
    d2 = (a2.data - 1.0) * a2.data * (1 - a2.data)
    d1 = np.array([0.6, 0.5]) * d2 * A1 * (1 - A1)
    np.testing.assert_allclose([w.grad for w in W2], d2 * A1, rtol=1e-13)
    np.testing.assert_allclose(b2.grad, d2, rtol=1e-13)
    np.testing.assert_allclose([[w.grad for w in row] for row in W1],
                               np.outer(d1, [0.5, 0.8]), rtol=1e-13)
    np.testing.assert_allclose([b.grad for b in b1], d1, rtol=1e-13)


def test_a_node_used_twice_accumulates_both_contributions():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    a = Value(-2.0)
    s = a + a
    s.backward()
    assert a.grad == 2.0
    # x reaches the output along three paths: d/dx (x^2 + x) * x = 3x^2 + 2x
    x = Value(1.5)
    out = (x * x + x) * x
    out.backward()
    assert x.grad == pytest.approx(3 * 1.5 ** 2 + 2 * 1.5, rel=1e-15)


def test_backward_resets_gradients_instead_of_accumulating_across_calls():
    x = Value(2.0)
    y = x * x * x
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first == 12.0
    y.backward(grad=0.5)  # a seed scales every gradient
    assert x.grad == 6.0 and y.grad == 0.5


@pytest.mark.parametrize("depth", [5000, 20_000])
def test_a_deep_chain_does_not_hit_the_recursion_limit(depth):
    # Python's default limit, whatever earlier code in this process set it to
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        _deep_chain(depth)
    finally:
        sys.setrecursionlimit(limit)


def _deep_chain(depth):
    assert depth > sys.getrecursionlimit()
    x = Value(0.5)
    v = x
    for _ in range(depth):
        v = v + x
    v.backward()
    assert v.data == pytest.approx(0.5 * (depth + 1))
    assert x.grad == depth + 1
    assert len(ad.topological_order(v)) == depth + 1
    del v  # freeing a long chain must not recurse either


def _random_graph(seed, leaf_values):
    """A random DAG over the given leaves; the same seed gives the same structure."""
    rng = np.random.default_rng(seed)
    leaves = [Value(float(v), f"x{i}") for i, v in enumerate(leaf_values)]
    nodes = list(leaves)
    for _ in range(30):
        a, b = (nodes[int(i)] for i in rng.integers(0, len(nodes), size=2))
        op = int(rng.integers(0, 5))
        if op == 0:
            new = a + b
        elif op == 1:
            new = a * b
        elif op == 2:
            new = a - b
        elif op == 3:
            new = (a * 0.1).tanh()
        else:
            new = (a * 0.1 + b * 0.1).sigmoid()
        nodes.append(new)
    root = sum(nodes[-5:], Value(0.0))
    return leaves, root


@pytest.mark.parametrize("seed", range(5))
def test_topological_order_puts_every_node_after_its_parents(seed):
    x0 = np.random.default_rng(100 + seed).uniform(0.5, 1.5, size=4)
    leaves, root = _random_graph(seed, x0)
    order = ad.topological_order(root)
    position = {v: i for i, v in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is root
    for v in order:
        for p in v.parents:
            assert position[p] < position[v]
    # exactly the ancestors of root (found by a plain search)
    ancestors, stack = {root}, [root]
    while stack:
        for p in stack.pop().parents:
            if p not in ancestors:
                ancestors.add(p)
                stack.append(p)
    assert set(order) == ancestors
    # reverse mode over this order agrees with the central difference
    root.backward()
    analytic = np.array([v.grad for v in leaves])
    numeric = numerical_grad(lambda v: _random_graph(seed, v)[1].data, x0.copy())
    assert rel_error(analytic, numeric) <= 1e-7


def test_graph_lists_nodes_and_edges_with_local_derivatives():
    x, w = Value(3.0, "x"), Value(2.0, "w")
    z = x * w
    sq = z * z
    nodes, edges = ad.graph(sq)
    assert nodes == [x, w, z, sq] or nodes == [w, x, z, sq]
    assert [(p, c, g) for p, c, g in edges if c is z] == [(x, z, 2.0), (w, z, 3.0)]
    assert [(p, g) for p, c, g in edges if c is sq] == [(z, 6.0), (z, 6.0)]
    assert z.parents == (x, w) and z.op == "*" and sq.op == "*"
    assert (x ** 2).op == "**2" and x.exp().op == "exp" and (-x).op == "neg"


def test_constants_become_labelled_leaves():
    x = Value(1.0, "x")
    y = 2 * x - 0.5
    assert y.op == "-"
    const = y.parents[1]
    assert const.parents == () and const.label == "0.5" and const.data == 0.5


def test_draw_graph_draws_one_box_per_node_and_one_arrow_per_edge():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    x, w, b, y = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b"), Value(1.0, "y")
    a = (x * w + b).sigmoid()
    L = 0.5 * (y - a) ** 2
    L.backward()
    ax = ad.draw_graph(L, show_local=True)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    nodes, edges = ad.graph(L)
    # x, w, x*w, b, +, sigmoid, y, -, **2, 0.5, *
    assert len(boxes) == len(nodes) == 11
    assert len(arrows) == len(edges) == 10
    texts = [t.get_text() for t in ax.texts]
    assert any("grad 1" in t and "[*]" in t for t in texts)  # the root
    plt.close(ax.figure)
    # a node used twice gets one arrow; a caller's axes are used as given
    fig, ax2 = plt.subplots(figsize=(4, 2))
    u = Value(1.5, "u")
    out = ad.draw_graph(u * u + u, ax=ax2, show_grad=False)
    assert out is ax2
    assert sum(isinstance(p, FancyArrowPatch) for p in ax2.patches) == 3
    assert not any("grad" in t.get_text() for t in ax2.texts)
    plt.close(fig)


def test_jvp_vjp_grad_and_both_jacobians_agree_and_count_passes():
    def f(xs):  # R^3 -> R^2, written once for floats, Duals and Values
        x, y, z = xs
        return [x * y + ad.tanh(z), ad.exp(x) / (1.0 + y * y)]

    x0 = [0.3, -1.2, 0.7]
    fwd = ad.jacobian_forward(f, x0)
    rev = ad.jacobian_reverse(f, x0)
    x, y, z = x0
    J = np.array([[y, x, 1 - math.tanh(z) ** 2],
                  [math.exp(x) / (1 + y * y), -2 * y * math.exp(x) / (1 + y * y) ** 2, 0.0]])
    np.testing.assert_allclose(fwd.jacobian, J, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(rev.jacobian, J, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fwd.value, f(x0), rtol=1e-15)
    np.testing.assert_allclose(rev.value, f(x0), rtol=1e-15)
    assert (fwd.forward_passes, fwd.reverse_passes) == (3, 0)  # n forward passes
    assert (rev.forward_passes, rev.reverse_passes) == (1, 2)  # m reverse sweeps
    v = np.array([1.0, -2.0, 0.5])
    value, jv = ad.jvp(f, x0, v)
    np.testing.assert_allclose(jv, J @ v, rtol=1e-13)
    u = np.array([0.7, -3.0])
    value, uj = ad.vjp(f, x0, u)
    np.testing.assert_allclose(uj, u @ J, rtol=1e-13)
    np.testing.assert_allclose(ad.grad(lambda xs: f(xs)[1], x0), J[1], rtol=1e-13)


def test_jacobians_of_a_scalar_function_and_of_constant_outputs():
    def f(xs):
        return [xs[0] * xs[1], 2.0]  # the second output does not depend on the inputs

    for res in (ad.jacobian_forward(f, [2.0, 5.0]), ad.jacobian_reverse(f, [2.0, 5.0])):
        np.testing.assert_array_equal(res.jacobian, [[5.0, 2.0], [0.0, 0.0]])
    res = ad.jacobian_reverse(lambda xs: xs[0] ** 2, [3.0, 1.0])  # x1 unused
    assert res.jacobian.shape == (1, 2) and res.jacobian.tolist() == [[6.0, 0.0]]
    assert ad.jvp(lambda xs: xs[0] ** 2, 3.0, 1.0) == (9.0, 6.0)
    assert ad.grad(lambda xs: xs[0], [4.0]).tolist() == [1.0]


def test_module_functions_work_on_floats_values_and_duals():
    for fn, name in ((ad.exp, "exp"), (ad.log, "log"), (ad.tanh, "tanh"),
                     (ad.sigmoid, "sigmoid"), (ad.relu, "relu")):
        f_float = fn(0.8)
        assert isinstance(f_float, float)
        assert fn(Value(0.8)).data == f_float and fn(Value(0.8)).op == name
        assert fn(Dual(0.8, 1.0)).primal == f_float


def test_extreme_inputs_stay_finite_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for big in (1e4, -1e4):
            for make in (Value, lambda v: Dual(v, 1.0)):
                s = make(big).sigmoid()
                t = make(big).tanh()
                r = make(big).relu()
                for node in (s, t, r):
                    data = node.data if isinstance(node, Value) else node.primal
                    assert math.isfinite(data)
        s = Value(-1e4).sigmoid()
        s.backward()
        assert s.data == 0.0 or s.data < 1e-300
        assert s.parents[0].grad == 0.0
        assert Value(1e4).sigmoid().data == 1.0
        # sqrt at 0: infinite local derivative, but a constant's zero tangent stays zero
        assert (Dual(0.0, 0.0) ** 0.5).tangent == 0.0


def test_repr_is_short_and_informative():
    x = Value(2.0, "x")
    assert repr(x) == "Value(data=2, grad=0, label='x')"
    assert repr(x * 3) == "Value(data=6, grad=0, op='*')"
    assert repr(Dual(1.5, -2.0)) == "Dual(1.5, -2)"


# -- bad input ------------------------------------------------------------------------------

def test_log_of_a_non_positive_value_names_value_log_and_the_value():
    with pytest.raises(ValueError, match=r"Value\.log: .*positive argument, got -2\.0"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match=r"Dual\.log: .*got 0\.0"):
        Dual(0.0, 1.0).log()
    with pytest.raises(ValueError, match=r"autodiff\.log: .*got 0\.0"):
        ad.log(0.0)


def test_value_exponent_needs_a_positive_base():
    with pytest.raises(ValueError, match=r"Value\.__pow__: .*positive base.*got base -2\.0"):
        Value(-2.0) ** Value(0.5)
    with pytest.raises(ValueError, match=r"Value\.__rpow__: .*got base -3\.0"):
        (-3.0) ** Value(2.0)
    with pytest.raises(ValueError, match=r"Value\.__pow__: a negative base needs an integer "
                                         r"exponent.*base -8\.0 and exponent 0\.5"):
        Value(-8.0) ** 0.5


def test_non_numeric_operands_are_type_errors_naming_the_operation():
    with pytest.raises(TypeError, match=r"Value\.__add__: .*operand of '\+', got str 'a'"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match=r"Value\.__rmul__: .*operand of '\*', got list"):
        [1.0] * Value(2.0)
    with pytest.raises(TypeError, match=r"Value\.__mul__: .*got ndarray"):
        Value(1.0) * np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Dual\.__truediv__: .*operand of '/', got Value"):
        Dual(1.0, 1.0) / Value(2.0)
    with pytest.raises(TypeError, match=r"Value\.__sub__: .*got Dual"):
        Value(1.0) - Dual(1.0)
    with pytest.raises(TypeError, match=r"Value: expected data to be a real number, got str"):
        Value("3")
    with pytest.raises(TypeError, match=r"autodiff\.exp: expected a float, a Value or a Dual, "
                                        r"got str"):
        ad.exp("1")


def test_division_by_zero_and_overflow():
    with pytest.raises(ZeroDivisionError, match=r"Value\.__truediv__: division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"Dual\.__rtruediv__: division by zero"):
        1.0 / Dual(0.0, 1.0)
    with pytest.raises(ZeroDivisionError, match=r"Value\.__pow__: 0\.0 cannot be raised"):
        Value(0.0) ** -1
    with pytest.raises(OverflowError, match=r"Value\.exp: exp\(1000\.0\) overflows"):
        Value(1000.0).exp()


def test_non_finite_numbers_are_rejected():
    with pytest.raises(ValueError, match=r"Value: expected a finite data, got nan"):
        Value(float("nan"))
    with pytest.raises(ValueError, match=r"Value\.__mul__: expected a finite number .*got inf"):
        Value(1.0) * math.inf
    with pytest.raises(ValueError, match=r"Value\.backward: expected a finite grad, got inf"):
        Value(1.0).backward(math.inf)


def test_helper_functions_check_their_arguments():
    with pytest.raises(ValueError, match=r"grad: expected f to return one scalar, got 2 outputs"):
        ad.grad(lambda xs: [xs[0], xs[1]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"jvp: expected v of the same length as x \(2\), got 3"):
        ad.jvp(lambda xs: xs[0], [1.0, 2.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"vjp: expected u with one entry per output of f "
                                         r"\(2\), got 1"):
        ad.vjp(lambda xs: [xs[0], xs[1]], [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match=r"jacobian_forward: expected f to be a callable"):
        ad.jacobian_forward("f", [1.0])
    with pytest.raises(TypeError, match=r"jacobian_reverse: expected f to return Values or "
                                        r"real numbers, got a Dual"):
        ad.jacobian_reverse(lambda xs: Dual(1.0), [1.0])
    with pytest.raises(ValueError, match=r"jacobian_forward: expected x to be a non-empty list "
                                         r"or 1-D array of scalars, got shape \(2, 2\)"):
        ad.jacobian_forward(lambda xs: xs[0], [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match=r"topological_order: expected a Value, got float"):
        ad.topological_order(1.0)
