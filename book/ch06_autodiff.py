"""Experiments of Chapter 6 (Automatic differentiation).

The chapter's figures, measurements and live experiments, so that the notebook stays short and
every figure can be tested without a widget:

- :func:`running_function` is the chapter's running example
  f(x1, x2) = ln x1 + x1 x2 - tanh x2, written once so that it runs on floats, on
  :class:`~nnlib.autodiff.Dual` numbers and on :class:`~nnlib.autodiff.Value` nodes;
  :func:`running_gradient` is its gradient derived by hand, :func:`running_graph` builds its
  computational graph with the node names of the chapter's Wengert list, and
  :func:`draw_running_graph` draws that graph top to bottom, large enough for a phone;
- :func:`step_jacobians` writes the graph as a product of one Jacobian per operation, each
  acting on all the variables at once (the identity on those the operation does not touch);
- :func:`logistic_map`, :class:`Expr` (a tiny computer-algebra system), :func:`expression_swell`
  and :func:`draw_expression_swell` show why symbolic differentiation is no substitute: the
  derivative's formula swells exponentially while AD's work grows linearly;
- :func:`sweep_states` replays a reverse sweep one node at a time; :class:`SweepFigure` draws
  it (the live experiment :func:`sweep_experiment`, and the static :func:`draw_sweep_step`);
- :func:`mlp_function`, :func:`mlp_jacobian`, :func:`operation_counts`, :func:`tape_counts`,
  :func:`time_jacobians`, :func:`jacobian_timings`, :func:`draw_timings` and
  :class:`JacobianCost` (the live experiment :func:`jacobian_cost_experiment`) compare the cost
  of a full Jacobian in forward and in reverse mode;
- :func:`two_digits`, :func:`train_layers` and :func:`draw_payoff` serve the chapter's payoff:
  the same small network trained on real digits by the scalar engine and by nnlib's
  vectorised layers.
"""

from __future__ import annotations

import functools
import gc
import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from nnlib._checks import check_finite_scalar, check_int, make_rng
from nnlib.autodiff import (Value, jacobian_forward, jacobian_reverse, log, tanh,
                            topological_order)
from nnlib.data import digits
from nnlib.losses import BCEWithLogitsLoss
from nnlib.optim import SGD
from nnlib.plot import COLORS

from . import live
from .shared import get_clock

__all__ = [
    "RUNNING_POINT",
    "running_function",
    "running_gradient",
    "running_graph",
    "draw_running_graph",
    "StepJacobians",
    "step_jacobians",
    "logistic_map",
    "Expr",
    "SwellResult",
    "expression_swell",
    "draw_expression_swell",
    "SweepState",
    "sweep_states",
    "describe_step",
    "SweepFigure",
    "sweep_experiment",
    "draw_sweep_step",
    "mlp_function",
    "mlp_jacobian",
    "OperationCounts",
    "operation_counts",
    "TapeCounts",
    "tape_counts",
    "JacobianTiming",
    "time_jacobians",
    "jacobian_timings",
    "draw_timings",
    "JacobianCost",
    "jacobian_cost_experiment",
    "two_digits",
    "train_layers",
    "draw_payoff",
    "EXPERIMENTS",
]

#: The point (x1, x2) at which the chapter evaluates its running example.
RUNNING_POINT = (2.0, 1.0)

#: Font sizes of the chapter's plots, a step above the book's defaults: the figures are at most
#: 6.6 inches wide and stay legible when a phone shows them 350 pixels wide.
_PHONE_RC = {"font.size": 12, "axes.titlesize": 12.5, "axes.labelsize": 12,
             "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 11}

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
# The picture of the running example: top to bottom, one box per node, edges that never merge
# ---------------------------------------------------------------------------------------------

#: Centre of each node's box in inches, y growing downwards: the inputs on top, f at the bottom.
_LAYOUT = {"x1": (1.25, 0.0), "x2": (2.95, 0.0),
           "v1": (0.6, 1.4), "v2": (2.1, 1.4), "v3": (3.6, 1.4),
           "v4": (1.35, 2.8), "f": (2.35, 4.2)}
#: What each box says about its node (mathtext).
_NODE_TEXT = {"x1": r"$x_1$", "x2": r"$x_2$", "v1": r"$v_1 = \ln x_1$",
              "v2": r"$v_2 = x_1 x_2$", "v3": r"$v_3 = \tanh x_2$",
              "v4": r"$v_4 = v_1 + v_2$", "f": r"$f = v_4 - v_3$"}
_BOX_W = 1.26          # inches
_LINE_H = 0.24         # inches per line of text in a box
_GRAPH_FONT = 11.5     # points: legible at a phone's width (the figures are 4.4 inches wide)
_EDGE_FONT = 11.0
_PORT = 0.24           # inches between the two ends of the edges that leave or enter a box
_GREY = "#8c8c8c"


def _num(x):
    """A number as the figures show it: 3 significant digits and a real minus sign."""
    return f"{x:.3g}".replace("-", "\u2212")


def _ports(nodes, edges):
    """Where each edge leaves its parent's box and enters its child's: the edges of a box
    are spread along its side in the order of their other ends, so no two edges share an end
    and none cross near a box."""
    out = {v: sorted((e for e in edges if e[0] is v), key=lambda e: _LAYOUT[e[1].label][0])
           for v in nodes}
    inn = {v: sorted((e for e in edges if e[1] is v), key=lambda e: _LAYOUT[e[0].label][0])
           for v in nodes}

    def offset(i, k):
        return 0.0 if k == 1 else _PORT * (i / (k - 1) - 0.5) * 2

    start = {e: offset(i, len(es)) for es in out.values() for i, e in enumerate(es)}
    end = {e: offset(i, len(es)) for es in inn.values() for i, e in enumerate(es)}
    return start, end


class _GraphPicture:
    """The boxes, edges and labels of the running example's graph in one axes.

    The axes spans the graph with one data unit per inch, so the fonts (in points) and the
    boxes (in inches) keep their proportions in every figure that uses it.
    """

    def __init__(self, ax, root, lines):
        nodes = topological_order(root)
        if sorted(v.label for v in nodes) != sorted(_LAYOUT):
            raise ValueError("the graph picture draws the running example only (nodes x1, x2, "
                             f"v1, ..., f), got nodes {[v.label for v in nodes]}.")
        self.ax, self.nodes, self.lines = ax, nodes, lines
        self.height = _LINE_H * lines + 0.16
        edges = [(p, v, g) for v in nodes
                 for p, g in zip(v.parents, v.local_grads, strict=True)]
        keys = [(p, v) for p, v, _ in edges]
        start, end = _ports(nodes, keys)
        self.local = {(p, v): g for p, v, g in edges}
        self.boxes, self.texts, self.edges, self.edge_labels = {}, {}, {}, {}
        for v in nodes:
            x, y = _LAYOUT[v.label]
            box = FancyBboxPatch((x - _BOX_W / 2, y - self.height / 2), _BOX_W, self.height,
                                 boxstyle="round,pad=0,rounding_size=0.1", linewidth=1.6,
                                 facecolor="white", edgecolor=_GREY, zorder=3)
            ax.add_patch(box)
            self.boxes[v] = box
            top = y - _LINE_H * (lines - 1) / 2
            self.texts[v] = [ax.text(x, top + i * _LINE_H, "", ha="center", va="center",
                                     fontsize=_GRAPH_FONT, zorder=4) for i in range(lines)]
            self.texts[v][0].set_text(_NODE_TEXT[v.label])
        for key in keys:
            p, v = key
            (xp, yp), (xv, yv) = _LAYOUT[p.label], _LAYOUT[v.label]
            a = (xp + start[key], yp + self.height / 2)
            b = (xv + end[key], yv - self.height / 2)
            arrow = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=15, shrinkA=0,
                                    shrinkB=1, linewidth=1.6, color=_GREY, zorder=3.5)
            ax.add_patch(arrow)
            self.edges[key] = arrow
            self.edge_labels[key] = ax.text(
                (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, "", ha="center", va="center",
                fontsize=_EDGE_FONT, zorder=5,
                bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none"))
        xs = [x for x, _ in _LAYOUT.values()]
        ys = [y for _, y in _LAYOUT.values()]
        ax.set_xlim(min(xs) - _BOX_W / 2 - 0.08, max(xs) + _BOX_W / 2 + 0.08)
        ax.set_ylim(max(ys) + self.height / 2 + 0.06, min(ys) - self.height / 2 - 0.06)
        ax.set_axis_off()

    @staticmethod
    def extent(lines):
        """(width, height) in inches of the graph with ``lines`` lines of text per box."""
        xs = [x for x, _ in _LAYOUT.values()]
        ys = [y for _, y in _LAYOUT.values()]
        h = _LINE_H * lines + 0.16
        return max(xs) - min(xs) + _BOX_W + 0.16, max(ys) - min(ys) + h + 0.12

    def artists(self):
        return (list(self.boxes.values()) + list(self.edges.values())
                + [t for ts in self.texts.values() for t in ts] + list(self.edge_labels.values()))


def _graph_axes(fig, lines, bottom):
    """An axes for the graph in ``fig`` (a Figure or a SubFigure), one data unit per inch,
    centred across, with ``bottom`` inches below it left free (a legend)."""
    w, h = _GraphPicture.extent(lines)
    dpi = (fig.figure or fig).dpi
    fw, fh = fig.bbox.width / dpi, fig.bbox.height / dpi
    return fig.add_axes(((fw - w) / 2 / fw, bottom / fh, w / fw, h / fh))


def draw_running_graph(root=None):
    """The running example's computational graph, with every value and local derivative.

    Parameters
    ----------
    root : Value, optional
        The output node of :func:`running_graph` (made at :data:`RUNNING_POINT` when None).

    Returns
    -------
    matplotlib.figure.Figure
        4.4 inches wide: inputs on top, f at the bottom; each box shows a node's operation and
        value, each arrow the local derivative d(child)/d(parent).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_running_graph()
    >>> len(fig.axes[0].patches)   # 7 boxes and 8 arrows
    15
    >>> plt.close(fig)
    """
    root = running_graph() if root is None else root
    if not isinstance(root, Value):
        raise TypeError(f"draw_running_graph: expected the Value of running_graph, got "
                        f"{type(root).__name__}.")
    w, h = _GraphPicture.extent(2)
    fig = plt.figure(figsize=(w + 0.2, h + 0.55), layout="none")
    ax = _graph_axes(fig, 2, bottom=0.0)
    pic = _GraphPicture(ax, root, lines=2)
    for v in pic.nodes:
        colour = COLORS[5] if not v.parents else (COLORS[2] if v is root else COLORS[1])
        pic.boxes[v].set_edgecolor(colour)
        pic.boxes[v].set_facecolor(colour + "22")
        pic.texts[v][1].set_text(f"value {_num(v.data)}")
    for key, label in pic.edge_labels.items():
        label.set_text(_num(pic.local[key]))
    fig.text(0.5, 1 - 0.08 / fig.get_figheight(), "Five operations; each input is used twice",
             ha="center", va="top", fontsize=12.5, fontweight="bold")
    return fig


class StepJacobians(NamedTuple):
    """A graph as a product of Jacobians, one per operation (see :func:`step_jacobians`).

    Attributes
    ----------
    names : list of str
        The state's variables: the inputs, then the operations in a topological order.
    matrices : list of ndarray of shape (N, N)
        J_1, ..., J_K in the order the operations run.
    """

    names: list
    matrices: list


def step_jacobians(root: Value) -> StepJacobians:
    """The Jacobian of every step of a program, each acting on ALL of its variables.

    Stack every variable of the graph (inputs and results) into one state vector s, with a
    slot, holding 0, for each result not computed yet. Step k computes one result v_k from
    its parents and leaves every other entry of s as it is. Its Jacobian J_k is therefore the
    identity matrix, except row k, which holds the local derivatives dv_k/dparent (and 0 at
    position k, since the old entry is overwritten). Then, for any graph, with fan-out or not,

        ds_K / ds_0 = J_K ... J_1,

    and the Jacobian of the program is the block of rows of the outputs and columns of the
    inputs. A variable used twice is carried to its second use by identity rows.

    Parameters
    ----------
    root : Value

    Returns
    -------
    StepJacobians

    Examples
    --------
    >>> names, Js = step_jacobians(running_graph())
    >>> names
    ['x1', 'x2', 'v1', 'v2', 'v4', 'v3', 'f']
    >>> P = np.linalg.multi_dot(Js[::-1])
    >>> P[names.index("f"), :2].round(4).tolist()
    [1.5, 1.58]
    """
    if not isinstance(root, Value):
        raise TypeError(f"step_jacobians: expected a Value, got {type(root).__name__}.")
    nodes = topological_order(root)
    order = [v for v in nodes if not v.parents] + [v for v in nodes if v.parents]
    index = {v: i for i, v in enumerate(order)}
    matrices = []
    for v in order:
        if not v.parents:
            continue
        J = np.eye(len(order))
        k = index[v]
        J[k, k] = 0.0
        for p, g in zip(v.parents, v.local_grads, strict=True):
            J[k, index[p]] += g       # an operand used twice (x * x) adds both edges
        matrices.append(J)
    return StepJacobians([v.label or v.op for v in order], matrices)


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
    with plt.rc_context(_PHONE_RC):
        fig, ax = plt.subplots(figsize=(5.8, 4.4), layout="constrained")
        _draw_swell(ax, result)
    return fig


def _draw_swell(ax, result):
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
    ax.set_title("Symbolic derivatives swell;\nAD's work grows linearly")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks on 9 decades only cost drawing time
    ax.legend(loc="upper left", fontsize=10.5)


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


#: face colour, edge colour and legend text of each status of a node during the sweep
_STATUS = {
    "waiting": ("#ececec", "#9a9a9a", "adjoint not complete"),
    "final": ("#d5ecfa", COLORS[0], "adjoint complete"),
    "current": ("#fbe0cc", COLORS[3], "passing it back now"),
    "passed": ("#cdeee3", COLORS[2], "has passed it back"),
}
#: the two ways of labelling the edges in the sweep
SWEEP_LABELS = ("local", "contribution")


@functools.lru_cache(maxsize=1)
def _running_sweep():
    root = running_graph()
    return root, tuple(sweep_states(root))


def _status(v, state):
    if v is state.node:
        return "current"
    if v in state.passed:
        return "passed"
    return "final" if v in state.final else "waiting"


def _check_step(step, n_steps, where):
    step = check_int(step, where, "step", minimum=0)
    if step > n_steps:
        raise ValueError(f"{where}: expected step between 0 and {n_steps} (the number of "
                         f"operations in the graph), got {step}.")
    return step


def _check_labels(labels, where):
    if labels not in SWEEP_LABELS:
        raise ValueError(f"{where}: expected labels 'local' (local derivatives) or "
                         f"'contribution' (what each edge passes back), got {labels!r}.")
    return labels


class SweepFigure(live.LiveFigure):
    """The reverse sweep over the running example, one node at a time (a live figure).

    Controls: ``step`` (0 to 5: how many operation nodes, in reverse topological order, have
    passed their adjoint back) and ``labels`` ('local': each edge shows the local derivative
    d(child)/d(parent); 'contribution': each edge that has been swept shows what it passed
    back, adjoint of the child times local derivative). Each box shows its node's value and
    its adjoint so far; colours mark whose adjoint is complete and who is passing it on.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(SweepFigure())
    >>> png = r.png({"step": 2, "labels": "contribution"})
    >>> png[:4] == b"\\x89PNG", r.live.detail.get_text()[:11]
    (True, 'Step 2 of 5')
    >>> r.close()
    """

    _TITLE_H, _LEGEND_H = 0.72, 0.8
    size = (4.6, round(_GraphPicture.extent(3)[1] + _TITLE_H + _LEGEND_H, 2))

    def build(self, fig, step, labels):
        root, states = _running_sweep()
        self.root, self.states = root, states
        if fig is fig.figure:      # placed by hand, in inches: no layout engine
            fig.set_layout_engine("none")
        ax = _graph_axes(fig, 3, bottom=self._LEGEND_H)
        self.pic = pic = _GraphPicture(ax, root, lines=3)
        # What a step changes is drawn over a fixed picture: each box's outline, the strip
        # behind its adjoint and the adjoint itself, the arrows and their labels. The node's
        # operation and value, which never change, stay in the cached background.
        # (A text costs a millisecond a draw, so the fixed words stay in the background too:
        # "adjoint" on the left of the third line, its number on a strip to the right.)
        self.frames, self.strips = {}, {}
        for v in pic.nodes:
            pic.texts[v][1].set_text(f"value {_num(v.data)}")
            box = pic.boxes[v]
            box.set_edgecolor("none")
            x, y = _LAYOUT[v.label]
            self.frames[v] = ax.add_patch(FancyBboxPatch(
                (box.get_x(), box.get_y()), box.get_width(), box.get_height(),
                boxstyle="round,pad=0,rounding_size=0.1", fill=False, zorder=3.4))
            self.strips[v] = ax.add_patch(FancyBboxPatch(
                (x + 0.05, y + _LINE_H - 0.11), _BOX_W / 2 - 0.12, 0.22,
                boxstyle="round,pad=0,rounding_size=0.06", linewidth=0, zorder=3.45))
            ax.text(x - 0.26, y + _LINE_H, "adjoint", ha="center", va="center",
                    fontsize=_GRAPH_FONT, zorder=4)
            number = pic.texts[v][2]
            number.set_position((x + 0.05 + (_BOX_W / 2 - 0.12) / 2, y + _LINE_H))
            number.set_zorder(4.5)
        h = fig.bbox.height / (fig.figure or fig).dpi
        self.heading = fig.text(0.5, 1 - 0.06 / h,
                                r"Reverse sweep over $f = \ln x_1 + x_1 x_2 - \tanh x_2$",
                                ha="center", va="top", fontsize=12.5)
        self.detail = fig.text(0.5, 1 - 0.4 / h, "", ha="center", va="top", fontsize=11)
        handles = [Patch(facecolor=face, edgecolor=edge, linewidth=1.6, label=text)
                   for face, edge, text in _STATUS.values()]
        handles.append(Line2D([], [], color=COLORS[3], linewidth=2.8,
                              label="edge in use now"))
        fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=10, frameon=False,
                   handlelength=1.4, columnspacing=0.9, borderaxespad=0.2)
        self.animate(*self.frames.values(), *self.strips.values(),
                     *(pic.texts[v][2] for v in pic.nodes), *pic.edges.values(),
                     *pic.edge_labels.values(), self.detail)

    def update(self, step, labels):
        where = "SweepFigure"
        step = _check_step(step, len(self.states) - 1, where)
        labels = _check_labels(labels, where)
        state = self.states[step]
        pic = self.pic
        for v in pic.nodes:
            face, edge, _ = _STATUS[_status(v, state)]
            self.strips[v].set_facecolor(face)
            self.frames[v].set_edgecolor(edge)
            self.frames[v].set_linewidth(3.0 if v is state.node else 1.6)
            pic.texts[v][2].set_text(_num(state.adjoints[v]))
        for (p, v), arrow in pic.edges.items():
            swept = v in state.passed
            arrow.set_color(COLORS[3] if v is state.node else ("#4d4d4d" if swept else _GREY))
            arrow.set_linewidth(2.8 if v is state.node else 1.6)
            local = pic.local[(p, v)]
            if labels == "local":
                text = _num(local)
            else:   # the contribution, once the child has passed its (complete) adjoint back
                c = local * state.adjoints[v]
                text = ("+" * (c >= 0) + _num(c)) if swept else ""
            label = pic.edge_labels[(p, v)]
            label.set_text(text)
            label.set_visible(bool(text))       # an empty label is not drawn at all
            label.set_color(COLORS[3] if v is state.node else "black")
        self.detail.set_text(f"Step {step} of {len(self.states) - 1}: {describe_step(state)}")

    def describe(self, step, labels):
        root, states = _running_sweep()
        state = states[_check_step(step, len(states) - 1, "SweepFigure")]
        adj = {v.label: state.adjoints[v] for v in state.adjoints}
        done = [v.label for v in topological_order(root) if v in state.final]
        return (f"Reverse sweep over f = ln x1 + x1 x2 - tanh x2 at (2, 1), step {step} of "
                f"{len(states) - 1}: {describe_step(state)}. Adjoints so far: "
                f"x1 = {adj['x1']:.3g}, x2 = {adj['x2']:.3g}. Complete: {', '.join(done)}. "
                f"Edges show {'local derivatives' if labels == 'local' else 'contributions'}.")


def sweep_experiment() -> live.Experiment:
    """The chapter's first live experiment: :class:`SweepFigure` with a Play control.

    Press Play (or move the step) to watch the adjoints flow from f back to x1 and x2;
    switch the edge labels between local derivatives and the contributions passed back.
    """
    return live.Experiment(
        "reverse-sweep", SweepFigure(),
        title="The reverse sweep, one node at a time",
        caption=("Each box shows a node's value and its adjoint so far. An input's adjoint "
                 "is complete once each of its children has passed its part back."),
        controls=dict(
            step=live.Play(0, 5, value=1, interval=1400, label="step"),
            labels=live.Choice([("local derivatives", "local"),
                                ("contributions passed back", "contribution")],
                               "contribution", label="edge labels")))


def draw_sweep_step(step=5, labels="contribution"):
    """The static version of :func:`sweep_experiment`: the sweep after ``step`` steps.

    Parameters
    ----------
    step : int in [0, 5], default 5
        The default shows the finished sweep: every edge labelled with what it passed back,
        and each input's adjoint the sum of its two contributions.
    labels : {'contribution', 'local'}

    Returns
    -------
    matplotlib.figure.Figure
        The same figure as the live experiment's for these values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_sweep_step(5)
    >>> fig.texts[1].get_text()[:11]
    'Step 5 of 5'
    >>> plt.close(fig)
    """
    where = "draw_sweep_step"
    _check_step(step, 5, where)
    _check_labels(labels, where)
    panel = SweepFigure()
    fig = plt.figure(figsize=panel.size, layout="none")
    panel.build(fig, step=step, labels=labels)
    panel.update(step=step, labels=labels)
    for artist in panel.animated_artists():
        artist.set_animated(False)
    return fig


# ---------------------------------------------------------------------------------------------
# The cost of a Jacobian: forward vs reverse mode
# ---------------------------------------------------------------------------------------------

def _sizes(n, q, hidden, where):
    return (check_int(n, where, "n", minimum=1), check_int(q, where, "q", minimum=1),
            check_int(hidden, where, "hidden", minimum=1))


def _mlp_layers(n, q, hidden, rng, where):
    """The weights of :func:`mlp_function`: [(W, b)] for the three layers, as float lists."""
    gen = make_rng(rng, where)
    shapes = [(hidden, n), (hidden, hidden), (q, hidden)]
    return [((gen.normal(size=s) / math.sqrt(s[1])).tolist(), gen.normal(size=s[0]).tolist())
            for s in shapes]


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
    layers = _mlp_layers(n, q, hidden, rng, where)

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


def mlp_jacobian(n, q, hidden=8, rng=0, x=None) -> np.ndarray:
    """The q x n Jacobian of :func:`mlp_function` at ``x``, as a product of layer Jacobians.

    J = W3 diag(1 - a2^2) W2 diag(1 - a1^2) W1, where a1 and a2 are the hidden activations:
    the chain rule J = J_K ... J_1 with one factor per layer and per tanh, in numpy (a few
    microseconds, which the live experiment needs).

    Parameters
    ----------
    n, q, hidden, rng
        As in :func:`mlp_function` (the same weights).
    x : array-like of shape (n,), optional
        The point; ``np.linspace(-1, 1, n)`` when None.

    Returns
    -------
    ndarray of shape (q, n)

    Examples
    --------
    >>> from nnlib.autodiff import jacobian_reverse
    >>> J = jacobian_reverse(mlp_function(3, 2), np.linspace(-1, 1, 3)).jacobian
    >>> bool(np.allclose(mlp_jacobian(3, 2), J, rtol=0, atol=1e-14))
    True
    """
    where = "mlp_jacobian"
    n, q, hidden = _sizes(n, q, hidden, where)
    a = np.linspace(-1.0, 1.0, n) if x is None else np.asarray(x, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{where}: expected x of shape ({n},), got {a.shape}.")
    J = np.eye(n)
    for k, (W, b) in enumerate(_mlp_layers(n, q, hidden, rng, where)):
        W = np.asarray(W)
        z = W @ a + np.asarray(b)
        J = W @ J
        if k < 2:               # the hidden layers' tanh: diag(1 - tanh^2)
            a = np.tanh(z)
            J = (1.0 - a * a)[:, None] * J
    return J


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
    """Count, with a formula, the work of a full Jacobian of :func:`mlp_function` in both modes.

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
    Forward mode: n passes. Reverse mode: one pass, then q sweeps. :func:`tape_counts` counts
    the same operations on the graph that :class:`~nnlib.autodiff.Value` records.

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


class TapeCounts(NamedTuple):
    """Operations counted on a recorded graph (see :func:`tape_counts`).

    Attributes
    ----------
    per_pass : int
        Operation nodes that one evaluation of f records (the graph of all outputs together):
        the work of one forward pass.
    per_sweep : tuple of int
        For each output, the operation nodes a reverse sweep from it walks through.
    """

    per_pass: int
    per_sweep: tuple


def tape_counts(f, x) -> TapeCounts:
    """Run ``f`` once on :class:`~nnlib.autodiff.Value` nodes and count what it recorded.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of scalars and returns one or a list of them (as for
        :func:`~nnlib.autodiff.jacobian_reverse`).
    x : sequence of float
        The point; its length is the number of inputs.

    Returns
    -------
    TapeCounts
        Measured by walking the graph: a node with parents is one operation. A constant that
        an operation lifts into a node (such as the 2 in ``2 * v``) is a leaf, not counted.

    Examples
    --------
    >>> tape_counts(lambda xs: [xs[0] * xs[1] + xs[0], xs[1].tanh()], [1.0, 2.0])
    TapeCounts(per_pass=3, per_sweep=(2, 1))
    """
    if not callable(f):
        raise TypeError(f"tape_counts: expected f to be a callable, got {type(f).__name__}.")
    inputs = [Value(check_finite_scalar(a, "tape_counts", "every entry of x")) for a in x]
    outs = f(inputs)
    outs = [outs] if isinstance(outs, Value) else list(outs)
    union, sweeps = set(), []
    for out in outs:
        if not isinstance(out, Value):
            raise TypeError(f"tape_counts: expected f to return Values built from its inputs, "
                            f"got a {type(out).__name__}.")
        nodes = topological_order(out)
        union.update(nodes)
        sweeps.append(sum(1 for v in nodes if v.parents))
    return TapeCounts(sum(1 for v in union if v.parents), tuple(sweeps))


class JacobianTiming(NamedTuple):
    """Measured cost of the full Jacobian of :func:`mlp_function` in both modes.

    Attributes
    ----------
    n, q : int
        Inputs and outputs.
    forward_seconds, reverse_seconds : float
        Best time (CPU time by default) over the repeats of
        :func:`~nnlib.autodiff.jacobian_forward` and :func:`~nnlib.autodiff.jacobian_reverse`.
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


def time_jacobians(n, q, hidden=8, repeats=3, rng=0, clock="cpu") -> JacobianTiming:
    """Time the full Jacobian of :func:`mlp_function` in forward and in reverse mode.

    Parameters
    ----------
    n, q, hidden : int >= 1
        As in :func:`mlp_function`.
    repeats : int >= 1, default 3
        Each mode is timed this many times, the two modes taking turns, with Python's garbage
        collector paused (as ``timeit`` does); the best (smallest) time is kept, the usual
        way to suppress noise from other processes.
    rng : Generator, int or None, default 0
        Seed of the weights and of the point x (uniform in [-1, 1]^n).
    clock : {'cpu', 'wall'}, default 'cpu'
        'cpu' counts only this process's CPU time (``time.process_time``), so that other
        programs on a busy machine do not distort the comparison; 'wall' is elapsed time.

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
    now = get_clock(clock, where)
    gen = make_rng(rng, where)
    f = mlp_function(n, q, hidden, rng=gen)
    x = gen.uniform(-1.0, 1.0, size=n)
    methods = (jacobian_forward, jacobian_reverse)
    times, results = {m: [] for m in methods}, {}
    enabled = gc.isenabled()
    gc.disable()  # as timeit does: collecting the many small nodes is not the cost of a mode
    try:
        for _ in range(repeats):
            for method in methods:   # taking turns, so that a slow spell hits both modes
                start = now()
                results[method] = method(f, x)
                times[method].append(now() - start)
    finally:
        if enabled:
            gc.enable()
    t_fwd, t_rev = (min(times[m]) for m in methods)
    fwd, rev = (results[m] for m in methods)
    diff = float(np.max(np.abs(fwd.jacobian - rev.jacobian)))
    return JacobianTiming(n, q, t_fwd, t_rev, fwd.forward_passes, rev.reverse_passes, diff)


def jacobian_timings(sizes=(1, 2, 4, 8, 16, 32), hidden=8, repeats=3, rng=0,
                     clock="cpu") -> dict:
    """The three timing series of the chapter's figure.

    Parameters
    ----------
    sizes : sequence of int
        Increasing sizes >= 1; the largest, N, fixes the crossover series n q = N (so
        every size should divide it: powers of two are natural).
    hidden, repeats, rng, clock
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
            cache[(n, q)] = time_jacobians(n, q, hidden, repeats, rng, clock)
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
    ['number of inputs n', 'number of outputs q', 'inputs n (outputs q = 2 / n)']
    >>> plt.close(fig)
    """
    keys = ("inputs", "outputs", "crossover")
    if not isinstance(timings, dict) or any(k not in timings for k in keys):
        raise TypeError(f"draw_timings: expected the dict that jacobian_timings returns, with "
                        f"keys {keys}, got {type(timings).__name__}.")
    with plt.rc_context(_PHONE_RC):
        return _draw_timings(timings)


def _draw_timings(timings):
    top = timings["crossover"][0].q * timings["crossover"][0].n
    fig, ax_by = plt.subplot_mosaic([["inputs", "outputs"], ["crossover", "crossover"]],
                                    figsize=(5.6, 7.0), layout="constrained")
    panels = [("inputs", "n", "number of inputs n", "one output (q = 1)"),
              ("outputs", "q", "number of outputs q", "one input (n = 1)"),
              ("crossover", "n", f"inputs n (outputs q = {top} / n)",
               f"n q = {top}: a tall, then a wide Jacobian")]
    for key, attr, xlabel, title in panels:
        ax = ax_by[key]
        rows = timings[key]
        x = [getattr(r, attr) for r in rows]
        ax.loglog(x, [1e3 * r.forward_seconds for r in rows], "o-", color=COLORS[0],
                  label="forward mode: n passes")
        ax.loglog(x, [1e3 * r.reverse_seconds for r in rows], "s--", color=COLORS[1],
                  label="reverse mode: 1 pass + q sweeps")
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [str(v) for v in x])
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("CPU time (ms)")
        ax.set_title(title, fontsize=12)
    ax_by["crossover"].legend(loc="upper center", ncol=1)
    fig.suptitle("Forward mode pays per input,\nreverse mode per output", x=0.01, ha="left")
    return fig




#: The largest number of inputs and of outputs the cost explorer offers.
COST_MAX = 32


def _empty_frame():
    """A 32 x 32 masked array of zeros (masked_all would hold uninitialised numbers, which
    the colour scale still subtracts, with warnings when they are NaN)."""
    return np.ma.array(np.zeros((COST_MAX, COST_MAX)), mask=True)


@functools.lru_cache(maxsize=256)
def _scaled_jacobian(n, q, hidden):
    J = mlp_jacobian(n, q, hidden, rng=0)
    return J / max(float(np.max(np.abs(J))), 1e-12)


class JacobianCost(live.LiveFigure):
    """Which mode fills a Jacobian faster? (a live figure)

    Controls: ``n`` inputs and ``q`` outputs (1 to 32) of the tanh network of
    :func:`mlp_function`. Top: its q x n Jacobian, drawn in a fixed 32 x 32 frame so that its
    shape shows, with the column that one forward pass yields and the row that one reverse
    sweep yields outlined. Bottom: the elementary operations each mode needs for the whole
    Jacobian, as the number of inputs varies with q fixed; the current n is marked.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(JacobianCost())
    >>> png = r.png({"n": 32, "q": 1})
    >>> "reverse mode" in r.live.verdict.get_text()
    True
    >>> r.close()
    """

    size = (5.0, 8.6)

    def __init__(self, hidden=8):
        self.hidden = hidden

    def build(self, fig, n, q):
        with plt.rc_context(_PHONE_RC):
            self._build(fig)

    def _build(self, fig):
        top = COST_MAX + 0.5
        ax_j, ax_w = fig.subplots(2, 1, height_ratios=[1.0, 1.0])
        # a QuadMesh of 32 x 32 cells, the unused ones masked (not drawn): five times faster
        # to redraw than an image, which is resampled on every draw
        edges = np.arange(0.5, COST_MAX + 1.0)
        self.mesh = ax_j.pcolormesh(edges, edges, _empty_frame(), cmap="RdBu_r", vmin=-1,
                                    vmax=1, zorder=3)
        self.column = ax_j.add_patch(Rectangle((0.5, 0.5), 1.0, 1.0, fill=False, lw=3.0,
                                               edgecolor=COLORS[0], zorder=4))
        self.row = ax_j.add_patch(Rectangle((0.5, 0.5), 1.0, 1.0, fill=False, lw=3.0,
                                            linestyle=(0, (3, 1.5)), edgecolor=COLORS[1],
                                            zorder=5))
        ax_j.set_xlim(0.5, top)
        ax_j.set_ylim(top, 0.5)
        ax_j.set_xticks([1, 8, 16, 24, 32])
        ax_j.set_yticks([1, 8, 16, 24, 32])
        ax_j.grid(False)
        ax_j.set_xlabel("input s (a column of J)")
        ax_j.set_ylabel("output r (a row of J)")
        self.shape = ax_j.set_title(" ")
        ax_j.legend(handles=[Patch(fill=False, edgecolor=COLORS[0], lw=2.5,
                                   label="one forward pass: a column"),
                                   Patch(fill=False, edgecolor=COLORS[1], lw=2.5,
                                         linestyle="--", label="one reverse sweep: a row")],
                          loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1,
                          frameon=False)

        ns = np.arange(1, COST_MAX + 1)
        lo = operation_counts(1, 1, self.hidden).reverse_total
        hi = operation_counts(COST_MAX, COST_MAX, self.hidden).forward_total
        self.ns = ns
        self.fwd_line, = ax_w.semilogy(ns, ns, color=COLORS[0], lw=2.2, zorder=3,
                                       label="forward mode: n passes")
        self.rev_line, = ax_w.semilogy(ns, ns, color=COLORS[1], lw=2.2, ls="--", zorder=3,
                                       label="reverse mode: 1 pass + q sweeps")
        self.fwd_dot, = ax_w.plot([], [], "o", color=COLORS[0], ms=9, zorder=4)
        self.rev_dot, = ax_w.plot([], [], "s", color=COLORS[1], ms=9, zorder=4)
        self.here = ax_w.axvline(1, color="0.55", lw=1.2, zorder=3)
        ax_w.set_xlim(0, COST_MAX + 1)
        ax_w.set_ylim(lo / 2, hi * 2)
        ax_w.yaxis.set_minor_locator(NullLocator())
        ax_w.set_xlabel("number of inputs n")
        ax_w.set_ylabel("operations for all of J")
        ax_w.xaxis.set_major_locator(MaxNLocator(integer=True))
        # below the axes, where no curve can pass under it (it stays in the background)
        ax_w.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
        self.verdict = ax_w.set_title(" ")
        self.animate(self.mesh, self.column, self.row, self.shape, self.fwd_line,
                     self.rev_line, self.fwd_dot, self.rev_dot, self.here, self.verdict)

    def _check(self, n, q):
        n, q, _ = _sizes(n, q, self.hidden, "JacobianCost")
        if n > COST_MAX or q > COST_MAX:
            raise ValueError(f"JacobianCost: expected n and q <= {COST_MAX}, got n = {n}, "
                             f"q = {q}.")
        return n, q

    def update(self, n, q):
        n, q = self._check(n, q)
        grid = _empty_frame()
        grid[:q, :n] = _scaled_jacobian(n, q, self.hidden)
        self.mesh.set_array(grid)
        self.column.set_height(q)
        self.row.set_width(n)
        self.shape.set_text(f"J is {q} \u00d7 {n}: {n} column{'s' * (n > 1)} or "
                            f"{q} row{'s' * (q > 1)}")
        counts = [operation_counts(int(k), q, self.hidden) for k in self.ns]
        self.fwd_line.set_ydata([c.forward_total for c in counts])
        self.rev_line.set_ydata([c.reverse_total for c in counts])
        here = counts[n - 1]
        self.fwd_dot.set_data([n], [here.forward_total])
        self.rev_dot.set_data([n], [here.reverse_total])
        self.here.set_xdata([n, n])
        self.verdict.set_text(self._verdict(c=here))

    @staticmethod
    def _verdict(c):
        ratio = c.forward_total / c.reverse_total
        if ratio == 1:
            return "both modes: the same operations"
        if ratio > 1:
            return f"reverse mode: {ratio:.1f}\u00d7 fewer operations"
        return f"forward mode: {1 / ratio:.1f}\u00d7 fewer operations"

    def describe(self, n, q):
        n, q = self._check(n, q)
        c = operation_counts(n, q, self.hidden)
        return (f"The Jacobian of a tanh network with n = {n} inputs and q = {q} outputs is "
                f"{q} by {n}. Forward mode fills it in {n} passes, {c.forward_total:,} "
                f"operations; reverse mode in 1 pass and {q} sweeps, {c.reverse_total:,} "
                f"operations. {self._verdict(c).capitalize()}.")


def jacobian_cost_experiment() -> live.Experiment:
    """The chapter's second live experiment: :class:`JacobianCost` with sliders for n and q."""
    web = (1, 2, 4, 8, 16, 32)
    return live.Experiment(
        "jacobian-cost", JacobianCost(),
        title="Forward or reverse? It depends on the shape of the Jacobian",
        caption=("Forward mode pays one pass per input (a column), reverse mode one sweep per "
                 "output (a row). With q = 1, a loss, reverse mode costs two passes whatever "
                 "n is."),
        controls=dict(
            n=live.IntSlider(1, COST_MAX, value=8, label="inputs n", web=web),
            q=live.IntSlider(1, COST_MAX, value=2, label="outputs q", web=web)))


# ---------------------------------------------------------------------------------------------
# The payoff: one network trained on real digits by a scalar engine and by arrays
# ---------------------------------------------------------------------------------------------

def two_digits(first=3, second=8, n_train=240, rng=0):
    """Two classes of the 8x8 digits, shuffled and split, for a binary classifier.

    Parameters
    ----------
    first, second : int in 0..9, distinct
        The two digits; ``second`` is the positive class (target 1).
    n_train : int >= 1
        Examples in the training set; the rest of the two classes is the test set.
    rng : Generator, int or None, default 0
        Seed of the shuffle.

    Returns
    -------
    X_train : ndarray of shape (n_train, 64)
        Pixels in [0, 1], one image per row.
    y_train : ndarray of shape (n_train,)
        0.0 for ``first``, 1.0 for ``second``.
    X_test, y_test : the remaining examples, the same way.

    Examples
    --------
    >>> X_train, y_train, X_test, y_test = two_digits()
    >>> X_train.shape, X_test.shape, sorted(set(y_train.tolist()))
    ((240, 64), (117, 64), [0.0, 1.0])
    """
    where = "two_digits"
    first = check_int(first, where, "first", minimum=0)
    second = check_int(second, where, "second", minimum=0)
    if first > 9 or second > 9 or first == second:
        raise ValueError(f"{where}: expected two different digits from 0 to 9, got {first} and "
                         f"{second}.")
    X, y = digits()
    keep = (y == first) | (y == second)
    X, t = X[keep], (y[keep] == second).astype(np.float64)
    n_train = check_int(n_train, where, "n_train", minimum=1)
    if n_train >= len(t):
        raise ValueError(f"{where}: expected n_train < {len(t)} (the examples of the two "
                         f"digits), got {n_train}.")
    order = make_rng(rng, where).permutation(len(t))
    X, t = X[order], t[order]
    return X[:n_train], t[:n_train], X[n_train:], t[n_train:]


def train_layers(net, batches, lr):
    """Train ``net`` with nnlib's vectorised layers: one SGD step per batch, mean BCE loss.

    The twin of the chapter's scalar training loop: the same loss (binary cross-entropy on
    the logit, averaged over the batch), the same update p <- p - lr * dL/dp, but every
    operation acts on a whole batch array at once.

    Parameters
    ----------
    net : Module
        Outputs one logit per example, shape (b, 1).
    batches : sequence of (X_b, y_b)
        X_b of shape (b, d), y_b of shape (b,) with 0.0 / 1.0 targets.
    lr : float > 0

    Returns
    -------
    list of float
        The loss of each step, before its update.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([1.0, 0.0])
    >>> losses = train_layers(mlp([2, 3, 1], "tanh", rng=0), [(X, y)] * 20, lr=0.5)
    >>> losses[-1] < losses[0]
    True
    """
    loss_fn, optimizer = BCEWithLogitsLoss(), SGD(net.parameters(), lr=lr)
    losses = []
    for X_b, y_b in batches:
        loss = loss_fn(net(X_b), y_b[:, None])   # the whole batch at once
        optimizer.zero_grad()
        net.backward(loss_fn.backward())
        optimizer.step()
        losses.append(float(loss))
    return losses


def draw_payoff(losses_scalar, losses_layers, seconds_scalar, seconds_layers):
    """The payoff figure: the same training, by scalars and by arrays.

    Parameters
    ----------
    losses_scalar, losses_layers : sequence of float
        The loss of every step, from the scalar engine and from nnlib's layers.
    seconds_scalar, seconds_layers : float
        The time of the whole training for each.

    Returns
    -------
    matplotlib.figure.Figure
        Top: the two loss curves (they coincide). Bottom: time per step, log scale.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_payoff([0.7, 0.5], [0.7, 0.5], 2.0, 0.001)
    >>> fig.axes[1].get_xlabel()
    'time per step (ms, log scale)'
    >>> plt.close(fig)
    """
    a, b = np.asarray(losses_scalar, float), np.asarray(losses_layers, float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"draw_payoff: expected two equally long sequences of losses, got "
                         f"shapes {a.shape} and {b.shape}.")
    if not (seconds_scalar > 0 and seconds_layers > 0):
        raise ValueError(f"draw_payoff: expected positive times, got {seconds_scalar} and "
                         f"{seconds_layers}.")
    with plt.rc_context(_PHONE_RC):
        fig, (ax_l, ax_t) = plt.subplots(2, 1, figsize=(5.6, 6.4), height_ratios=[1.3, 0.8],
                                         layout="constrained")
        _draw_payoff(ax_l, ax_t, a, b, seconds_scalar, seconds_layers)
    return fig


def _draw_payoff(ax_l, ax_t, a, b, seconds_scalar, seconds_layers):
    steps = np.arange(1, a.size + 1)
    ax_l.plot(steps, b, color=COLORS[0], lw=2.4, label="nnlib's layers (arrays)")
    ax_l.plot(steps, a, "o", color=COLORS[1], ms=5, label="Value (scalars)")
    ax_l.set_xlabel("training step")
    ax_l.set_ylabel("training loss (BCE)")
    ax_l.set_title("The same steps, the same numbers")
    ax_l.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_l.legend()
    per_step = 1e3 * np.array([seconds_layers, seconds_scalar]) / a.size
    bars = ax_t.barh([0, 1], per_step, color=[COLORS[0], COLORS[1]], height=0.55)
    ax_t.set_xscale("log")
    ax_t.set_yticks([0, 1], ["arrays", "scalars"])
    ax_t.set_xlim(per_step.min() / 4, per_step.max() * 12)
    for bar, ms in zip(bars, per_step, strict=True):
        ax_t.text(bar.get_width() * 1.3, bar.get_y() + bar.get_height() / 2,
                  f"{ms:.3g} ms", va="center")
    ax_t.xaxis.set_minor_locator(NullLocator())
    ax_t.set_xlabel("time per step (ms, log scale)")
    ax_t.set_title(f"Arrays are {seconds_scalar / seconds_layers:,.0f}\u00d7 faster")
    ax_t.grid(axis="y", visible=False)


#: The chapter's live experiments (tests/chapters/test_live.py and the benchmarks enumerate
#: them).
EXPERIMENTS = (sweep_experiment, jacobian_cost_experiment)
