"""Experiments of Chapter 6 (Automatic differentiation).

The chapter's figures and its timing measurements live here as plain functions, so that the
notebook stays short, each slider experiment can be timed and tested without a widget, and
the static figures and the widgets draw with the same code:

- :func:`running_function` is the chapter's running example
  f(x1, x2) = ln x1 + x1 x2 - tanh x2, written once so that it runs on floats, on
  :class:`~nnlib.autodiff.Dual` numbers and on :class:`~nnlib.autodiff.Value` nodes;
  :func:`running_gradient` is its gradient derived by hand and :func:`running_graph` builds
  its computational graph with the node names of the chapter's Wengert list;
- :func:`logistic_map`, :class:`Expr` (a tiny computer-algebra system), :func:`expression_swell`
  and :func:`draw_expression_swell` show why symbolic differentiation is no substitute: the
  derivative's formula swells exponentially while AD's work grows linearly;
- :func:`sweep_states` replays a reverse sweep one node at a time, and :func:`draw_sweep`
  (the slider experiment) and :func:`draw_sweep_steps` (its static version) draw the graph
  with the adjoints known after each step;
- :func:`mlp_function`, :func:`operation_counts`, :func:`time_jacobians`,
  :func:`jacobian_timings`, :func:`draw_timings` and :func:`draw_cost` compare the cost of a
  full Jacobian in forward and in reverse mode.
"""

from __future__ import annotations

import functools
import gc
import math
import time
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from nnlib._checks import check_finite_scalar, check_int, make_rng
from nnlib.autodiff import (Value, draw_graph, jacobian_forward, jacobian_reverse, log, tanh,
                        topological_order)
from nnlib.plot import COLORS

__all__ = [
    "RUNNING_POINT",
    "running_function",
    "running_gradient",
    "running_graph",
    "logistic_map",
    "Expr",
    "SwellResult",
    "expression_swell",
    "draw_expression_swell",
    "SweepState",
    "sweep_states",
    "describe_step",
    "draw_sweep",
    "draw_sweep_steps",
    "mlp_function",
    "OperationCounts",
    "operation_counts",
    "JacobianTiming",
    "time_jacobians",
    "jacobian_timings",
    "draw_timings",
    "draw_cost",
]

#: The point (x1, x2) at which the chapter evaluates its running example.
RUNNING_POINT = (2.0, 1.0)


# ---------------------------------------------------------------------------------------------
# The running example
# ---------------------------------------------------------------------------------------------

def running_function(xs):
    """The running example f(x1, x2) = ln x1 + x1 x2 - tanh x2.

    Parameters
    ----------
    xs : sequence of two scalars
        Floats, :class:`~nnlib.autodiff.Dual` numbers or :class:`~nnlib.autodiff.Value`
        nodes; the result has the same type.

    Returns
    -------
    float, Dual or Value

    See Also
    --------
    running_gradient : the gradient derived by hand.
    Chapter 6 (Automatic differentiation) differentiates it in both modes.

    Examples
    --------
    >>> round(running_function([2.0, 1.0]), 6)
    1.931553
    >>> from nnlib.autodiff import Dual
    >>> round(running_function([Dual(2.0, 1.0), Dual(1.0, 0.0)]).tangent, 12)  # df/dx1
    1.5
    """
    if len(xs) != 2:
        raise ValueError(f"running_function: expected two inputs (x1, x2), got {len(xs)}.")
    x1, x2 = xs
    return log(x1) + x1 * x2 - tanh(x2)


def running_gradient(x1=RUNNING_POINT[0], x2=RUNNING_POINT[1]) -> np.ndarray:
    """Gradient of :func:`running_function`, derived by hand.

    Parameters
    ----------
    x1 : float > 0
    x2 : float

    Returns
    -------
    ndarray of shape (2,)
        (df/dx1, df/dx2) = (1 / x1 + x2, x1 - (1 - tanh(x2)^2)).

    Examples
    --------
    >>> running_gradient(2.0, 1.0).round(6).tolist()
    [1.5, 1.580026]
    """
    x1 = check_finite_scalar(x1, "running_gradient", "x1")
    x2 = check_finite_scalar(x2, "running_gradient", "x2")
    if x1 <= 0.0:
        raise ValueError(f"running_gradient: expected x1 > 0 (f contains ln x1), got {x1}.")
    return np.array([1.0 / x1 + x2, x1 - (1.0 - math.tanh(x2) ** 2)])


def running_graph(x1=RUNNING_POINT[0], x2=RUNNING_POINT[1]) -> Value:
    """The computational graph of the running example, with the names of its Wengert list.

    Parameters
    ----------
    x1 : float > 0
    x2 : float

    Returns
    -------
    Value
        The output node ``f``. Its graph holds the inputs ``x1``, ``x2`` and the
        intermediate nodes v1 = ln x1, v2 = x1 x2, v3 = tanh x2, v4 = v1 + v2 and
        f = v5 = v4 - v3, each labelled with its name. ``backward`` has not been called.

    Examples
    --------
    >>> from nnlib.autodiff import topological_order
    >>> f = running_graph()
    >>> [v.label for v in topological_order(f)]
    ['x1', 'v1', 'x2', 'v2', 'v4', 'v3', 'f']
    """
    x1 = Value(check_finite_scalar(x1, "running_graph", "x1"), "x1")
    x2 = Value(check_finite_scalar(x2, "running_graph", "x2"), "x2")
    v1 = x1.log()
    v2 = x1 * x2
    v3 = x2.tanh()
    v4 = v1 + v2
    f = v4 - v3
    for node, name in ((v1, "v1"), (v2, "v2"), (v3, "v3"), (v4, "v4"), (f, "f")):
        node.label = name
    return f


# ---------------------------------------------------------------------------------------------
# Why not symbolic differentiation: expression swell
# ---------------------------------------------------------------------------------------------

def logistic_map(x, n):
    """n steps of the logistic map l <- 4 l (1 - l), starting from l = x.

    Parameters
    ----------
    x : float, Dual, Value or Expr
        The starting point; the same code runs on numbers, on dual numbers, on graph nodes and
        on symbolic expressions.
    n : int >= 0
        Number of steps.

    Returns
    -------
    Same type as ``x``

    Examples
    --------
    >>> logistic_map(0.25, 2)
    0.75
    """
    n = check_int(n, "logistic_map", "n", minimum=0)
    lv = x
    for _ in range(n):
        lv = 4 * lv * (1 - lv)
    return lv


class Expr:
    """A symbolic expression in one variable x: a tiny computer-algebra system.

    Made from :meth:`variable` and numbers with ``+``, ``-`` and ``*``; the obvious
    simplifications (``0 * a = 0``, ``1 * a = a``, ``a + 0 = a``, constant folding) are
    applied as the expression is built. :meth:`diff` applies the sum and product rules,
    :meth:`size` counts the nodes of the expression written out as a formula, where a shared
    subexpression is written once per use, and :meth:`dag_size` counts the distinct nodes,
    where it is stored once.

    Attributes
    ----------
    op : {"x", "const", "+", "-", "*"}
    args : tuple of Expr
    value : float or None
        The number of a constant.

    Examples
    --------
    >>> x = Expr.variable()
    >>> e = x * x + 3 * x
    >>> e.evaluate(2.0), e.diff().evaluate(2.0), e.size()
    (10.0, 7.0, 7)
    """

    __slots__ = ("op", "args", "value")

    def __init__(self, op, args=(), value=None):
        if op not in ("x", "const", "+", "-", "*"):
            raise ValueError(f"Expr: expected op 'x', 'const', '+', '-' or '*', got {op!r}.")
        self.op, self.args, self.value = op, tuple(args), value

    @staticmethod
    def variable():
        """The variable x."""
        return Expr("x")

    @staticmethod
    def constant(c):
        """A number, as an expression."""
        return Expr("const", value=check_finite_scalar(c, "Expr.constant", "c"))

    @staticmethod
    def _lift(other):
        if isinstance(other, Expr):
            return other
        if isinstance(other, (bool, np.bool_)) or not isinstance(other, (int, float)):
            raise TypeError(f"Expr: expected an Expr or a number as operand, got "
                            f"{type(other).__name__} {other!r}.")
        return Expr.constant(other)

    def _is(self, c):
        return self.op == "const" and self.value == c

    @staticmethod
    def _add(a, b):
        if a.op == b.op == "const":
            return Expr.constant(a.value + b.value)
        if a._is(0.0):
            return b
        return a if b._is(0.0) else Expr("+", (a, b))

    @staticmethod
    def _sub(a, b):
        if a.op == b.op == "const":
            return Expr.constant(a.value - b.value)
        return a if b._is(0.0) else Expr("-", (a, b))

    @staticmethod
    def _mul(a, b):
        if a.op == b.op == "const":
            return Expr.constant(a.value * b.value)
        if a._is(0.0) or b._is(0.0):
            return Expr.constant(0.0)
        if a._is(1.0):
            return b
        return a if b._is(1.0) else Expr("*", (a, b))

    def __add__(self, other):
        return Expr._add(self, Expr._lift(other))

    def __radd__(self, other):
        return Expr._add(Expr._lift(other), self)

    def __sub__(self, other):
        return Expr._sub(self, Expr._lift(other))

    def __rsub__(self, other):
        return Expr._sub(Expr._lift(other), self)

    def __mul__(self, other):
        return Expr._mul(self, Expr._lift(other))

    def __rmul__(self, other):
        return Expr._mul(Expr._lift(other), self)

    def _nodes(self):
        """Distinct nodes, each after its arguments (iterative, for deep expressions)."""
        order, seen, stack = [], {id(self)}, [(self, iter(self.args))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.args)))
                    break
            else:
                stack.pop()
                order.append(node)
        return order

    def diff(self):
        """d(self)/dx by the sum, difference and product rules (each rule applied once per
        distinct subexpression, so building the result is fast; writing it out is not)."""
        d = {}
        for node in self._nodes():
            if node.op == "x":
                d[id(node)] = Expr.constant(1.0)
            elif node.op == "const":
                d[id(node)] = Expr.constant(0.0)
            else:
                a, b = node.args
                da, db = d[id(a)], d[id(b)]
                if node.op == "+":
                    d[id(node)] = da + db
                elif node.op == "-":
                    d[id(node)] = da - db
                else:
                    d[id(node)] = da * b + a * db
        return d[id(self)]

    def size(self):
        """Nodes of the formula written out in full: a subexpression counts once per use."""
        sizes = {}
        for node in self._nodes():
            sizes[id(node)] = 1 + sum(sizes[id(a)] for a in node.args)
        return sizes[id(self)]

    def dag_size(self):
        """Distinct nodes: a shared subexpression counts once (what AD stores)."""
        return len(self._nodes())

    def evaluate(self, x):
        """The value at x (float)."""
        x = check_finite_scalar(x, "Expr.evaluate", "x")
        vals = {}
        for node in self._nodes():
            if node.op == "x":
                vals[id(node)] = x
            elif node.op == "const":
                vals[id(node)] = node.value
            else:
                a, b = (vals[id(arg)] for arg in node.args)
                vals[id(node)] = a + b if node.op == "+" else (a - b if node.op == "-" else a * b)
        return vals[id(self)]

    def __repr__(self):
        return f"Expr(op={self.op!r}, size={self.size()}, dag_size={self.dag_size()})"


class SwellResult(NamedTuple):
    """Sizes behind the expression-swell figure, one entry per number of steps.

    Attributes
    ----------
    steps : ndarray of int
    formula_size : ndarray of int
        Nodes of the formula of l_n written out.
    derivative_size : ndarray of int
        Nodes of the symbolic derivative dl_n/dx written out.
    derivative_dag_size : ndarray of int
        Distinct nodes of the symbolic derivative (shared subexpressions stored once).
    ad_operations : ndarray of int
        Operations that reverse-mode AD records on its tape for l_n (the sweep visits each
        once more).
    """

    steps: np.ndarray
    formula_size: np.ndarray
    derivative_size: np.ndarray
    derivative_dag_size: np.ndarray
    ad_operations: np.ndarray


def expression_swell(steps=range(1, 21)) -> SwellResult:
    """Measure how the symbolic derivative of the logistic map grows with the number of steps.

    Parameters
    ----------
    steps : iterable of int >= 1

    Returns
    -------
    SwellResult

    Notes
    -----
    l_(k+1) = 4 l_k (1 - l_k) uses l_k twice, so the formula of l_n written out doubles with
    every step, and its derivative, by the product rule, grows even faster. The graph that AD
    records keeps l_k once: 3 operations per step.

    References
    ----------
    The example is the one of Baydin et al. (2018), "Automatic differentiation in machine
    learning: a survey", JMLR 18(153).

    Examples
    --------
    >>> r = expression_swell([1, 2, 3])
    >>> r.formula_size.tolist(), r.ad_operations.tolist()
    ([7, 19, 43], [3, 6, 9])
    """
    where = "expression_swell"
    steps = [check_int(s, where, "every number of steps", minimum=1) for s in steps]
    if not steps:
        raise ValueError(f"{where}: expected at least one number of steps, got none.")
    rows = []
    for n in steps:
        expr = logistic_map(Expr.variable(), n)
        d = expr.diff()
        root = logistic_map(Value(0.3), n)
        ops = sum(1 for v in topological_order(root) if v.parents)
        rows.append((n, expr.size(), d.size(), d.dag_size(), ops))
    cols = np.array(rows, dtype=np.int64).T
    return SwellResult(*cols)


def draw_expression_swell(result: SwellResult):
    """Formula sizes of the logistic map and its symbolic derivative, against AD's tape.

    Parameters
    ----------
    result : SwellResult
        From :func:`expression_swell`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_expression_swell(expression_swell([1, 2, 3]))
    >>> fig.axes[0].get_xlabel()
    'steps n of the logistic map'
    >>> plt.close(fig)
    """
    if not isinstance(result, SwellResult):
        raise TypeError(f"draw_expression_swell: expected the SwellResult of expression_swell, "
                        f"got {type(result).__name__}.")
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    n = result.steps
    ax.semilogy(n, result.derivative_size, "s-", color=COLORS[3],
                label=r"symbolic $dl_n/dx$, written out")
    ax.semilogy(n, result.formula_size, "o-", color=COLORS[1],
                label=r"formula of $l_n$, written out")
    ax.semilogy(n, result.derivative_dag_size, "^--", color=COLORS[4],
                label=r"symbolic $dl_n/dx$, shared parts stored once")
    ax.semilogy(n, result.ad_operations, "D-", color=COLORS[0], label="operations on AD's tape")
    ax.set_xlabel("steps n of the logistic map")
    ax.set_ylabel("number of nodes (log scale)")
    ax.set_title("Symbolic derivatives swell; AD's work grows linearly", fontsize=12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks on 9 decades only cost drawing time
    ax.legend(loc="upper left", fontsize=9)
    return fig


# ---------------------------------------------------------------------------------------------
# The reverse sweep, one node at a time
# ---------------------------------------------------------------------------------------------

class SweepState(NamedTuple):
    """The adjoints after ``step`` nodes of a reverse sweep have passed theirs on.

    Attributes
    ----------
    step : int
        0 (only the seed f_bar = 1 is set) to the number of operation nodes.
    node : Value or None
        The node that passed its adjoint on in this step (None at step 0).
    adjoints : dict of Value -> float
        Every node's adjoint as accumulated so far.
    final : frozenset of Value
        Nodes whose adjoint is complete: all their children have passed theirs on.
    passed : frozenset of Value
        Nodes that have already passed their adjoint to their parents.
    """

    step: int
    node: Value | None
    adjoints: dict
    final: frozenset
    passed: frozenset


def sweep_states(root: Value) -> list:
    """Replay the reverse sweep of ``root``'s graph one node at a time.

    Parameters
    ----------
    root : Value

    Returns
    -------
    list of SweepState
        ``states[k]`` holds the adjoints after the first k operation nodes, in reverse
        topological order, have added ``local_grad * adjoint`` into each of their parents.
        The last state's adjoints equal the ``grad`` that ``root.backward()`` computes.

    Notes
    -----
    This is :meth:`nnlib.autodiff.Value.backward` unrolled: the adjoint of a node u is the
    sum over its children v of v_bar * dv/du, and it is complete (final) once every child
    has been processed, which the reverse topological order guarantees before u itself is
    processed.

    Examples
    --------
    >>> states = sweep_states(running_graph())
    >>> len(states), [round(states[-1].adjoints[v], 4) for v in states[-1].adjoints
    ...                if v.label in ("x1", "x2")]
    (6, [1.5, 1.58])
    """
    if not isinstance(root, Value):
        raise TypeError(f"sweep_states: expected a Value, got {type(root).__name__}.")
    order = topological_order(root)
    children = {v: set() for v in order}
    for v in order:
        for p in v.parents:
            children[p].add(v)
    adjoints = {v: 0.0 for v in order}
    adjoints[root] = 1.0
    passed = set()

    def state(step, node):
        final = frozenset(v for v in order if children[v] <= passed)
        return SweepState(step, node, dict(adjoints), final, frozenset(passed))

    states = [state(0, None)]
    for step, v in enumerate((v for v in reversed(order) if v.parents), start=1):
        for p, local in zip(v.parents, v.local_grads, strict=True):
            adjoints[p] += local * adjoints[v]
        passed.add(v)
        states.append(state(step, v))
    return states


def _num(x):
    return f"{x:.3g}".replace("-", "\u2212")


def describe_step(state: SweepState) -> str:
    """One line saying what happened in a step of the reverse sweep.

    Examples
    --------
    >>> states = sweep_states(running_graph())
    >>> describe_step(states[0])
    'seed: f_bar = 1'
    >>> describe_step(states[1])
    'f passes 1 back: v4 += 1\u00b71, v3 += \u22121\u00b71'
    """
    if not isinstance(state, SweepState):
        raise TypeError(f"describe_step: expected a SweepState, got {type(state).__name__}.")
    if state.node is None:
        roots = [v for v, a in state.adjoints.items() if a != 0.0]
        name = roots[0].label or "root" if roots else "root"
        return f"seed: {name}_bar = 1"
    v = state.node
    g = state.adjoints[v]
    factor = _num(g) if g >= 0 else f"({_num(g)})"
    parts = [f"{p.label or p.op} += {_num(local)}\u00b7{factor}"
             for p, local in zip(v.parents, v.local_grads, strict=True)]
    return f"{v.label or v.op} passes {_num(g)} back: " + ", ".join(parts)


#: face colour, edge colour and legend text of each status of a node during the sweep
_STATUS = {
    "waiting": ("#bbbbbb", "#888888", "adjoint not complete yet"),
    "final": (COLORS[5], COLORS[0], "adjoint complete"),
    "current": (COLORS[3], COLORS[3], "passing its adjoint back now"),
    "passed": (COLORS[2], COLORS[2], "already passed back"),
}


@functools.lru_cache(maxsize=1)
def _running_sweep():
    root = running_graph()
    return root, tuple(topological_order(root)), tuple(sweep_states(root))


def _boxes(ax, nodes):
    """The box and the text that draw_graph drew for each node, matched by position."""
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    centres = {(round(b.get_x() + b.get_width() / 2, 6), round(b.get_y() + b.get_height() / 2, 6)):
               b for b in boxes}
    found = {}
    for t in ax.texts:
        words = t.get_text().split()
        x, y = t.get_position()
        box = centres.get((round(x, 6), round(y, 6)))
        if box is None or not words:
            continue
        for v in nodes:
            if v.label and words[0] == v.label:
                found[v] = (box, t)
    if len(found) != len(nodes):
        raise RuntimeError("draw_sweep: could not match the boxes of draw_graph to the nodes "
                           f"(found {len(found)} of {len(nodes)}); every node needs a unique "
                           "label.")
    return found


def _status(v, state):
    if v is state.node:
        return "current"
    if v in state.passed:
        return "passed"
    return "final" if v in state.final else "waiting"


def _draw_state(ax, root, nodes, state, show_local, min_fontsize=8.0):
    for v in nodes:
        v.grad = state.adjoints[v]
    draw_graph(root, ax=ax, show_grad=True, show_local=show_local)
    receivers = set(state.node.parents) if state.node is not None else set()
    for v, (box, text) in _boxes(ax, nodes).items():
        # draw_graph shrinks its text with the axes; the boxes of this small graph have room
        text.set_fontsize(max(text.get_fontsize(), min_fontsize))
        face, edge, _ = _STATUS[_status(v, state)]
        box.set_facecolor(face + "40")
        box.set_edgecolor(edge)
        box.set_linewidth(3.0 if v is state.node else 1.5)
        if v in receivers:
            box.set_linestyle((0, (3, 2)))
            box.set_edgecolor(COLORS[3])
            box.set_linewidth(2.2)


def _legend(fig):
    handles = [Patch(facecolor=face + "40", edgecolor=edge, linewidth=1.5, label=text)
               for face, edge, text in _STATUS.values()]
    handles.append(Patch(facecolor="white", edgecolor=COLORS[3], linestyle=(0, (3, 2)),
                         linewidth=2.0, label="receives a contribution now"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8.5,
               handlelength=1.6, columnspacing=1.2)


def _check_step(step, n_steps, where):
    step = check_int(step, where, "step", minimum=0)
    if step > n_steps:
        raise ValueError(f"{where}: expected step between 0 and {n_steps} (the number of "
                         f"operations in the graph), got {step}.")
    return step


def draw_sweep(step=0, show_local=True):
    """The slider experiment: the running example's graph after ``step`` steps of the sweep.

    Parameters
    ----------
    step : int, 0 <= step <= 5
        How many operation nodes, in reverse topological order, have passed their adjoint
        back (0: only the seed f_bar = 1).
    show_local : bool, default True
        Label each arrow with its local derivative.

    Returns
    -------
    matplotlib.figure.Figure
        Each box shows a node's value and its adjoint so far ("grad"); the colours mark
        which adjoints are complete and which node is passing its adjoint back.

    Raises
    ------
    ValueError
        If ``step`` is outside [0, 5].

    See Also
    --------
    draw_sweep_steps : four steps side by side.
    Chapter 6 (Automatic differentiation).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_sweep(3)
    >>> fig.axes[0].get_title()
    'v4 passes 1 back: v1 += 1\u00b71, v2 += 1\u00b71'
    >>> plt.close(fig)
    """
    root, nodes, states = _running_sweep()
    step = _check_step(step, len(states) - 1, "draw_sweep")
    if not isinstance(show_local, (bool, np.bool_)):
        raise TypeError(f"draw_sweep: expected show_local to be a bool, got {show_local!r}.")
    state = states[step]
    fig, ax = plt.subplots(figsize=(7.6, 4.3))
    _draw_state(ax, root, nodes, state, bool(show_local))
    ax.set_title(describe_step(state), fontsize=10.5)
    fig.suptitle(f"Reverse sweep, step {step} of {len(states) - 1}: "
                 + ("x1 and x2 have their gradients" if step == len(states) - 1 else
                    "adjoints flow from f back to the inputs"), fontsize=12, x=0.02,
                 ha="left")
    _legend(fig)
    return fig


def draw_sweep_steps(steps=(2, 4, 5)):
    """The static version of :func:`draw_sweep`: a few steps of the sweep, one under another.

    Parameters
    ----------
    steps : sequence of int
        One to four steps, each in [0, 5]. The default shows how the inputs collect their
        adjoints: x2 gets -0.42 from v3 (step 2) and 2 from v2 (step 4); x1 gets 1 from v2
        (step 4) and 0.5 from v1 (step 5).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_sweep_steps((0, 5))
    >>> [ax.get_title()[:6] for ax in fig.axes]
    ['step 0', 'step 5']
    >>> plt.close(fig)
    """
    where = "draw_sweep_steps"
    root, nodes, states = _running_sweep()
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__len__") \
            or not 1 <= len(steps) <= 4:
        raise ValueError(f"{where}: expected a sequence of 1 to 4 steps, got {steps!r}.")
    steps = [_check_step(s, len(states) - 1, where) for s in steps]
    fig, axes = plt.subplots(len(steps), 1, figsize=(7.6, 3.2 * len(steps) + 0.9))
    axes = np.atleast_1d(axes)
    for ax, s in zip(axes, steps, strict=True):
        _draw_state(ax, root, nodes, states[s], show_local=False)
        ax.set_title(f"step {s}: {describe_step(states[s])}", fontsize=10.5)
    fig.suptitle("Each node passes its adjoint back once;\nx1 and x2 collect one "
                 "contribution per use", fontsize=12, x=0.01, ha="left")
    _legend(fig)
    return fig


# ---------------------------------------------------------------------------------------------
# The cost of a Jacobian: forward vs reverse mode
# ---------------------------------------------------------------------------------------------

def _sizes(n, q, hidden, where):
    return (check_int(n, where, "n", minimum=1), check_int(q, where, "q", minimum=1),
            check_int(hidden, where, "hidden", minimum=1))


def mlp_function(n, q, hidden=8, rng=0):
    """A fixed random tanh network f: R^n -> R^q, as a function of scalars.

    Parameters
    ----------
    n : int >= 1
        Number of inputs.
    q : int >= 1
        Number of outputs.
    hidden : int >= 1, default 8
        Width of each of the two hidden layers.
    rng : Generator, int or None, default 0
        Source of the weights, drawn once: W ~ N(0, 1 / fan_in), b ~ N(0, 1).

    Returns
    -------
    callable
        ``f(xs)`` takes a list of n scalars (floats, Duals or Values) and returns a list of
        q: f(x) = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3.

    Notes
    -----
    Every output depends on every input through the shared hidden layers, so each reverse
    sweep walks most of the graph; :func:`operation_counts` counts the operations.

    Examples
    --------
    >>> f = mlp_function(3, 2)
    >>> len(f([0.1, 0.2, 0.3]))
    2
    """
    where = "mlp_function"
    n, q, hidden = _sizes(n, q, hidden, where)
    gen = make_rng(rng, where)
    shapes = [(hidden, n), (hidden, hidden), (q, hidden)]
    layers = [((gen.normal(size=s) / math.sqrt(s[1])).tolist(), gen.normal(size=s[0]).tolist())
              for s in shapes]

    def affine(W, b, a):
        out = []
        for w_row, b_j in zip(W, b, strict=True):
            acc = b_j
            for w, a_k in zip(w_row, a, strict=True):
                acc = acc + w * a_k  # 2 operations per weight: a product and a sum
            out.append(acc)
        return out

    def f(xs):
        if len(xs) != n:
            raise ValueError(f"mlp_function: this f takes {n} inputs, got {len(xs)}.")
        a = list(xs)
        for W, b in layers[:-1]:
            a = [tanh(z) for z in affine(W, b, a)]
        return affine(*layers[-1], a)

    return f


class OperationCounts(NamedTuple):
    """Elementary operations needed for the full Jacobian of :func:`mlp_function`.

    Attributes
    ----------
    ops_per_pass : int
        Operations in one evaluation of f (one forward pass, with or without tangents).
    ops_per_sweep : int
        Operations one reverse sweep from a single output walks back through.
    forward_passes : int
        n: forward mode needs one pass per input.
    reverse_passes : int
        q: reverse mode needs one sweep per output (after one forward pass).
    forward_total : int
        n * ops_per_pass.
    reverse_total : int
        ops_per_pass + q * ops_per_sweep.
    """

    ops_per_pass: int
    ops_per_sweep: int
    forward_passes: int
    reverse_passes: int
    forward_total: int
    reverse_total: int


def operation_counts(n, q, hidden=8) -> OperationCounts:
    """Count the work of a full Jacobian of :func:`mlp_function` in both modes.

    Parameters
    ----------
    n, q, hidden : int >= 1
        As in :func:`mlp_function`.

    Returns
    -------
    OperationCounts

    Notes
    -----
    With H = hidden, a unit with fan-in k costs 2k operations (k products, k sums) plus one
    tanh in a hidden layer, so one pass costs H (2n + 1) + H (2H + 1) + 2 H q operations,
    and a sweep from one output walks back through H (2n + 1) + H (2H + 1) + 2 H of them.
    Forward mode: n passes. Reverse mode: one pass, then q sweeps. The test suite checks
    these formulas against the graphs that :class:`~nnlib.autodiff.Value` records.

    Examples
    --------
    >>> c = operation_counts(32, 1)
    >>> c.forward_total, c.reverse_total
    (21504, 1344)
    """
    n, q, h = _sizes(n, q, hidden, "operation_counts")
    shared = h * (2 * n + 1) + h * (2 * h + 1)
    per_pass = shared + 2 * h * q
    per_sweep = shared + 2 * h
    return OperationCounts(per_pass, per_sweep, n, q, n * per_pass, per_pass + q * per_sweep)


class JacobianTiming(NamedTuple):
    """Measured cost of the full Jacobian of :func:`mlp_function` in both modes.

    Attributes
    ----------
    n, q : int
        Inputs and outputs.
    forward_seconds, reverse_seconds : float
        Best wall-clock time over the repeats of :func:`~nnlib.autodiff.jacobian_forward`
        and :func:`~nnlib.autodiff.jacobian_reverse`.
    forward_passes : int
        Passes that jacobian_forward reported (n).
    reverse_passes : int
        Sweeps that jacobian_reverse reported (q).
    max_difference : float
        max ``|J_forward - J_reverse|``: the two modes agree to rounding.
    """

    n: int
    q: int
    forward_seconds: float
    reverse_seconds: float
    forward_passes: int
    reverse_passes: int
    max_difference: float


def time_jacobians(n, q, hidden=8, repeats=3, rng=0) -> JacobianTiming:
    """Time the full Jacobian of :func:`mlp_function` in forward and in reverse mode.

    Parameters
    ----------
    n, q, hidden : int >= 1
        As in :func:`mlp_function`.
    repeats : int >= 1, default 3
        Each mode is timed this many times, with Python's garbage collector paused (as
        ``timeit`` does); the best (smallest) time is kept, the usual way to suppress noise
        from other processes.
    rng : Generator, int or None, default 0
        Seed of the weights and of the point x (uniform in [-1, 1]^n).

    Returns
    -------
    JacobianTiming

    Examples
    --------
    >>> t = time_jacobians(4, 2, repeats=1)
    >>> t.forward_passes, t.reverse_passes, t.max_difference < 1e-12
    (4, 2, True)
    """
    where = "time_jacobians"
    n, q, hidden = _sizes(n, q, hidden, where)
    repeats = check_int(repeats, where, "repeats", minimum=1)
    gen = make_rng(rng, where)
    f = mlp_function(n, q, hidden, rng=gen)
    x = gen.uniform(-1.0, 1.0, size=n)

    def best(method):
        times, result = [], None
        enabled = gc.isenabled()
        gc.disable()  # as timeit does: collecting the many small nodes is not the cost of a mode
        try:
            for _ in range(repeats):
                start = time.perf_counter()
                result = method(f, x)
                times.append(time.perf_counter() - start)
        finally:
            if enabled:
                gc.enable()
        return min(times), result

    t_fwd, fwd = best(jacobian_forward)
    t_rev, rev = best(jacobian_reverse)
    diff = float(np.max(np.abs(fwd.jacobian - rev.jacobian)))
    return JacobianTiming(n, q, t_fwd, t_rev, fwd.forward_passes, rev.reverse_passes, diff)


def jacobian_timings(sizes=(1, 2, 4, 8, 16, 32), hidden=8, repeats=3, rng=0) -> dict:
    """The three timing series of the chapter's figure.

    Parameters
    ----------
    sizes : sequence of int
        Increasing sizes >= 1; the largest, N, fixes the crossover series n q = N (so
        every size should divide it: powers of two are natural).
    hidden, repeats, rng
        As in :func:`time_jacobians`.

    Returns
    -------
    dict of str -> list of JacobianTiming
        ``"inputs"``: q = 1, n over sizes; ``"outputs"``: n = 1, q over sizes;
        ``"crossover"``: n over sizes with q = N / n. A pair (n, q) shared by two series
        is measured once.

    Examples
    --------
    >>> t = jacobian_timings((1, 2), repeats=1)
    >>> [(r.n, r.q) for r in t["crossover"]]
    [(1, 2), (2, 1)]
    """
    where = "jacobian_timings"
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"{where}: expected a sequence of sizes, got {sizes!r}.")
    sizes = [check_int(s, where, "every size", minimum=1) for s in sizes]
    if len(sizes) < 2 or any(b <= a for a, b in zip(sizes[:-1], sizes[1:], strict=True)):
        raise ValueError(f"{where}: expected at least two increasing sizes, got {sizes}.")
    top = sizes[-1]
    if any(top % s for s in sizes):
        raise ValueError(f"{where}: expected every size to divide the largest ({top}), got "
                         f"{sizes}.")
    cache = {}

    def measure(n, q):
        if (n, q) not in cache:
            cache[(n, q)] = time_jacobians(n, q, hidden, repeats, rng)
        return cache[(n, q)]

    return {"inputs": [measure(s, 1) for s in sizes],
            "outputs": [measure(1, s) for s in sizes],
            "crossover": [measure(s, top // s) for s in sizes]}


def draw_timings(timings: dict):
    """Measured time of a full Jacobian in both modes: the chapter's cost figure.

    Parameters
    ----------
    timings : dict
        The result of :func:`jacobian_timings`.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels (log scales, time in ms): one output and n inputs; one input and q
        outputs; below, n q fixed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_timings(jacobian_timings((1, 2), repeats=1))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['number of inputs n', 'number of outputs q', 'inputs n (and outputs q = 2 / n)']
    >>> plt.close(fig)
    """
    keys = ("inputs", "outputs", "crossover")
    if not isinstance(timings, dict) or any(k not in timings for k in keys):
        raise TypeError(f"draw_timings: expected the dict that jacobian_timings returns, with "
                        f"keys {keys}, got {type(timings).__name__}.")
    top = timings["crossover"][0].q * timings["crossover"][0].n
    fig, ax_by = plt.subplot_mosaic([["inputs", "outputs"], ["crossover", "crossover"]],
                                    figsize=(7.6, 6.6))
    panels = [("inputs", "n", "number of inputs n", "one output (q = 1)"),
              ("outputs", "q", "number of outputs q", "one input (n = 1)"),
              ("crossover", "n", f"inputs n (and outputs q = {top} / n)",
               f"n q = {top}: from a tall to a wide Jacobian")]
    for key, attr, xlabel, title in panels:
        ax = ax_by[key]
        rows = timings[key]
        x = [getattr(r, attr) for r in rows]
        ax.loglog(x, [1e3 * r.forward_seconds for r in rows], "o-", color=COLORS[0],
                  label="forward mode (n passes)")
        ax.loglog(x, [1e3 * r.reverse_seconds for r in rows], "s--", color=COLORS[1],
                  label="reverse mode (1 pass + q sweeps)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [str(v) for v in x])
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("time (ms)")
        ax.set_title(title, fontsize=11)
    ax_by["crossover"].legend(loc="upper center", fontsize=9.5, ncol=2)
    fig.suptitle("Forward mode pays per input, reverse mode per output", x=0.01, ha="left")
    return fig


def draw_cost(n=8, q=2, hidden=8):
    """The cost explorer: the Jacobian of an n-input, q-output network and the work per mode.

    Parameters
    ----------
    n : int in [1, 64], default 8
        Number of inputs.
    q : int in [1, 64], default 2
        Number of outputs.
    hidden : int >= 1, default 8
        Width of the two hidden layers of :func:`mlp_function`.

    Returns
    -------
    matplotlib.figure.Figure
        Top: the q x n Jacobian (computed in the cheaper mode), with the column that one
        forward pass yields and the row that one reverse sweep yields outlined. Bottom: the
        operations each mode needs, as n varies with q fixed; the current n is marked.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_cost(8, 2)
    >>> fig.axes[1].get_ylabel()
    'elementary operations'
    >>> plt.close(fig)
    """
    where = "draw_cost"
    n, q, hidden = _sizes(n, q, hidden, where)
    for name, value in (("n", n), ("q", q)):
        if value > 64:
            raise ValueError(f"{where}: expected {name} <= 64 (the graph grows as n q), got "
                             f"{value}.")
    f = mlp_function(n, q, hidden, rng=0)
    x = np.linspace(-1.0, 1.0, n)
    cheaper = jacobian_forward if operation_counts(n, q, hidden).forward_total \
        <= operation_counts(n, q, hidden).reverse_total else jacobian_reverse
    J = cheaper(f, x).jacobian

    fig, (ax_j, ax_w) = plt.subplots(2, 1, figsize=(7.6, 7.2),
                                     gridspec_kw={"height_ratios": [1.0, 1.1]})
    lim = max(float(np.max(np.abs(J))), 1e-12)
    mesh = ax_j.pcolormesh(np.arange(n + 1) + 0.5, np.arange(q + 1) + 0.5, J, cmap="RdBu_r",
                           vmin=-lim, vmax=lim, edgecolors="white", linewidth=0.5 if
                           n * q <= 256 else 0.0)
    ax_j.add_patch(Rectangle((0.5, 0.5), 1.0, q, fill=False, edgecolor=COLORS[0], lw=3.0,
                             label=r"one forward pass: column $J e_1$"))
    ax_j.add_patch(Rectangle((0.5, 0.5), n, 1.0, fill=False, edgecolor=COLORS[1], lw=3.0,
                             linestyle="--", label=r"one reverse sweep: row $e_1^\top J$"))
    ax_j.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_j.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_j.set_xlim(0.5, n + 0.5)
    ax_j.set_ylim(q + 0.5, 0.5)
    ax_j.grid(False)
    ax_j.set_xlabel("input s (column)")
    ax_j.set_ylabel("output r (row)")
    ax_j.set_title(f"J is {q} \u00d7 {n}: {n} column{'s' if n > 1 else ''} or "
                   f"{q} row{'s' if q > 1 else ''}", fontsize=11)
    ax_j.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=9, ncol=2,
                handlelength=1.5)
    fig.colorbar(mesh, ax=ax_j, label=r"$\partial f_r / \partial x_s$", shrink=0.9)

    ns = np.arange(1, max(32, n) + 1)
    counts = [operation_counts(int(k), q, hidden) for k in ns]
    ax_w.semilogy(ns, [c.forward_total for c in counts], color=COLORS[0],
                  label="forward mode: n passes")
    ax_w.semilogy(ns, [c.reverse_total for c in counts], color=COLORS[1], linestyle="--",
                  label=f"reverse mode: 1 pass + {q} sweep{'s' if q > 1 else ''}")
    here = operation_counts(n, q, hidden)
    ax_w.plot([n], [here.forward_total], "o", color=COLORS[0], ms=8)
    ax_w.plot([n], [here.reverse_total], "s", color=COLORS[1], ms=8)
    ax_w.axvline(n, color="0.6", lw=1.0, zorder=0)
    ax_w.yaxis.set_minor_locator(NullLocator())
    ax_w.set_xlabel(f"number of inputs n (q = {q} outputs)")
    ax_w.set_ylabel("elementary operations")
    ratio = here.forward_total / here.reverse_total
    verdict = (f"reverse mode needs {ratio:.1f} times fewer operations" if ratio > 1 else
               f"forward mode needs {1 / ratio:.1f} times fewer operations")
    ax_w.set_title(f"n = {n}, q = {q}: {verdict}", fontsize=11)
    ax_w.legend(loc="lower right", fontsize=9)
    fig.suptitle("Forward mode fills the Jacobian by columns, reverse mode by rows",
                 x=0.01, ha="left")
    return fig
