"""Automatic differentiation on scalars: a reverse-mode engine and forward-mode dual numbers.

This file is the small engine that Chapter 6 builds and then uses to check the gradients
derived by hand in Chapter 5. It is written to be read, not to be fast.

* :class:`Value` is one node of a computational graph (a Wengert list). Every operation
  records its inputs (``parents``) and, at once, the local derivative of its output with
  respect to each input (``local_grads``). :meth:`Value.backward` orders the graph
  topologically and sweeps it backwards, adding ``local_grad * adjoint`` into each input:
  this is reverse mode, i.e. backpropagation.
* :class:`Dual` is a dual number ``a + b eps`` with ``eps**2 = 0``. Evaluating a function on
  duals carries the derivative along with the value: this is forward mode.

Both classes share one table of *rules*: for each elementary operation, a function that
returns the result and the local derivatives at the given point. Forward and backward of an
operation therefore sit next to each other and cannot drift apart.

The helpers :func:`jvp`, :func:`vjp`, :func:`grad`, :func:`jacobian_forward` and
:func:`jacobian_reverse` differentiate a plain Python function ``f(xs)`` that takes a list
of scalars and returns a scalar or a list of scalars; write it with the module functions
:func:`exp`, :func:`log`, :func:`tanh`, :func:`sigmoid`, :func:`relu` so that the same ``f``
runs on floats, on duals and on values. :func:`graph`, :func:`topological_order` and
:func:`draw_graph` let a chapter look at, and draw, the graph behind a result.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._checks import as_array, check_bool, check_finite_scalar, check_int

__all__ = [
    "Value",
    "Dual",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "relu",
    "topological_order",
    "graph",
    "draw_graph",
    "jvp",
    "vjp",
    "grad",
    "jacobian_forward",
    "jacobian_reverse",
    "JacobianResult",
]


# ---------------------------------------------------------------------------------------------
# The rules: result and local derivatives of every elementary operation, on plain floats.
# Each returns (result, (d result / d operand_0, d result / d operand_1, ...)).
# ---------------------------------------------------------------------------------------------

def _add(a, b, where):
    return a + b, (1.0, 1.0)


def _sub(a, b, where):
    return a - b, (1.0, -1.0)


def _mul(a, b, where):
    return a * b, (b, a)


def _div(a, b, where):
    if b == 0.0:
        raise ZeroDivisionError(f"{where}: division by zero: the divisor's value is 0.0, where "
                                f"a / b and its derivative -a / b**2 are undefined.")
    q = a / b
    return q, (1.0 / b, -q / b)


def _neg(a, where):
    return -a, (-1.0,)


def _pow_const(a, k, where):
    """a ** k for a constant exponent k: local derivative k a^(k-1)."""
    if k == 0.0:
        return 1.0, (0.0,)
    if a < 0.0 and not float(k).is_integer():
        raise ValueError(f"{where}: a negative base needs an integer exponent (the result would "
                         f"be complex), got base {a} and exponent {k}.")
    if a == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"{where}: 0.0 cannot be raised to the negative power {k}.")
    try:
        out = a ** k
    except OverflowError:
        raise OverflowError(f"{where}: {a} ** {k} overflows a float64.") from None
    if a == 0.0:
        # 0 ** k with k > 0: derivative k * 0^(k-1) is 0 (k > 1), 1 (k = 1) or +inf (k < 1).
        local = 0.0 if k > 1.0 else (1.0 if k == 1.0 else math.inf)
    else:
        local = k * out / a
    return out, (local,)


def _pow(a, b, where):
    """a ** b with both a node: locals (b a^(b-1), a^b ln a); needs a > 0."""
    if a <= 0.0:
        raise ValueError(f"{where}: raising to a differentiable exponent needs a positive base "
                         f"(d(a**b)/db = a**b ln a), got base {a}.")
    try:
        out = a ** b
    except OverflowError:
        raise OverflowError(f"{where}: {a} ** {b} overflows a float64.") from None
    return out, (b * out / a, out * math.log(a))


def _exp(a, where):
    try:
        e = math.exp(a)
    except OverflowError:
        raise OverflowError(f"{where}: exp({a}) overflows a float64 (the largest argument with a "
                            f"finite exp is about 709.78).") from None
    return e, (e,)


def _log(a, where):
    if a <= 0.0:
        raise ValueError(f"{where}: the logarithm needs a positive argument, got {a}.")
    return math.log(a), (1.0 / a,)


def _tanh(a, where):
    t = math.tanh(a)
    return t, (1.0 - t * t,)


def _sigmoid(a, where):
    # Two algebraically equal forms, each used where its exp cannot overflow.
    if a >= 0.0:
        s = 1.0 / (1.0 + math.exp(-a))
    else:
        e = math.exp(a)
        s = e / (1.0 + e)
    return s, (s * (1.0 - s),)


def _relu(a, where):
    return (a, (1.0,)) if a > 0.0 else (0.0, (0.0,))


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _constant(x, where, kind, symbol):
    """Return the operand ``x`` as a finite float, or raise a TypeError/ValueError naming the
    operation ``where`` (e.g. ``Value.__mul__``), the operator ``symbol`` and what was given."""
    if not _is_real(x):
        raise TypeError(f"{where}: expected a {kind} or a real number as the other operand of "
                        f"{symbol!r}, got {type(x).__name__} {x!r}.")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{where}: expected a finite number as the other operand of "
                         f"{symbol!r}, got {x}.")
    return x


# ---------------------------------------------------------------------------------------------
# Reverse mode
# ---------------------------------------------------------------------------------------------

class Value:
    """A scalar that remembers how it was computed, for reverse-mode differentiation.

    Build an expression from ``Value`` objects with ``+ - * / **``, unary ``-`` and the
    methods :meth:`exp`, :meth:`log`, :meth:`tanh`, :meth:`sigmoid`, :meth:`relu`; plain real
    numbers may be mixed in on either side and become constant leaves. Then call
    :meth:`backward` on the result: every node's ``grad`` becomes d(result)/d(node).

    Parameters
    ----------
    data : float
        The value of this leaf (a finite real number).
    label : str, optional
        A name used by ``repr`` and :func:`draw_graph`, e.g. ``"w"``.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        The adjoint d(root)/d(self) after ``root.backward()``; 0.0 before.
    parents : tuple of Value
        The operands this node was computed from (empty for a leaf). An operand used twice,
        as in ``x * x``, appears twice.
    local_grads : tuple of float
        ``local_grads[i]`` = d(self)/d(parents[i]), evaluated in the forward pass.
    op : str
        The operation that made this node: ``""`` for a leaf, ``"+"``, ``"-"``, ``"*"``,
        ``"/"``, ``"**"`` (differentiable exponent), ``"**k"`` (constant exponent k, e.g.
        ``"**2"``), ``"neg"``, ``"exp"``, ``"log"``, ``"tanh"``, ``"sigmoid"``, ``"relu"``.
    label : str
        Optional name; a constant mixed into an expression gets its value as label.

    Raises
    ------
    TypeError
        If ``data`` or an operand is not a real number (or a Value); ``label`` not a str.
    ValueError
        If ``data`` or a constant operand is not finite; :meth:`log` of a value <= 0; a
        Value exponent with a base <= 0; a negative base with a non-integer exponent.
    ZeroDivisionError
        Division by a value that is exactly 0.0 (as for Python floats).
    OverflowError
        :meth:`exp` or ``**`` whose result does not fit in a float64.

    Notes
    -----
    Local derivatives of each operation, for c = op(a, b):

    ==========  ========================================  ==================================
    c           dc/da                                     dc/db
    ==========  ========================================  ==================================
    a + b       1                                         1
    a - b       1                                         -1
    a * b       b                                         a
    a / b       1 / b                                     -a / b^2
    a ** k      k a^(k-1)   (k a constant)
    a ** b      b a^(b-1)                                 a^b ln a    (needs a > 0)
    -a          -1
    exp(a)      exp(a) = c
    log(a)      1 / a       (needs a > 0)
    tanh(a)     1 - tanh(a)^2 = 1 - c^2
    sigmoid(a)  sigma(a) (1 - sigma(a)) = c (1 - c)
    relu(a)     1 if a > 0 else 0 (0 at 0, as PyTorch)
    ==========  ========================================  ==================================

    The backward sweep visits the nodes in reverse topological order, so that a node's
    adjoint is complete before it is passed on, and for each node v and each parent u adds

        u.grad += (dv/du) * v.grad,

    that is, the adjoint of u is the *sum* over its children v of child adjoint times local
    derivative. A node used twice receives two contributions (``x * x`` gives 2x).

    Gradients do not accumulate across calls: :meth:`backward` first sets ``grad = 0`` on every
    node of the graph it is called on (PyTorch, by contrast, accumulates until ``zero_grad``).
    To combine several losses, add them into one Value and call ``backward`` once.

    ``==`` and ``hash`` are those of Python objects (identity), so Values can be kept in sets;
    compare ``a.data == b.data`` for values. At a point where a local derivative is infinite
    (``x ** 0.5`` at ``x = 0``) a zero adjoint is not propagated, so constants stay harmless.

    References
    ----------
    .. [1] R. E. Wengert, "A simple automatic derivative evaluation program", Comm. ACM
       7(8), 1964.
    .. [2] S. Linnainmaa, "The representation of the cumulative rounding error of an
       algorithm as a Taylor expansion of the local rounding errors", Master's thesis,
       Univ. Helsinki, 1970.
    .. [3] A. Griewank and A. Walther, *Evaluating Derivatives*, 2nd ed., SIAM, 2008.
    .. [4] A. G. Baydin, B. A. Pearlmutter, A. A. Radul, J. M. Siskind, "Automatic
       differentiation in machine learning: a survey", JMLR 18(153), 2018.

    See Also
    --------
    Dual : forward mode.
    Chapter 6 (Automatic differentiation) builds this engine; Chapter 5 (Backpropagation)
    derives the single-neuron gradients it reproduces.

    Examples
    --------
    A single neuron with squared loss, L = (y - sigmoid(x w + b))^2 / 2:

    >>> from nnlib.autodiff import Value
    >>> x, w, b, y = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b"), Value(1.0, "y")
    >>> a = (x * w + b).sigmoid()
    >>> L = 0.5 * (y - a) ** 2
    >>> L.backward()
    >>> round(a.data, 4), round(w.grad, 4)
    (0.8176, -0.0136)
    >>> dz = -(y.data - a.data) * a.data * (1 - a.data)  # Chapter 5: delta = (a - y) a (1 - a)
    >>> abs(w.grad - dz * x.data) < 1e-15 and abs(b.grad - dz) < 1e-15
    True
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")
    # numpy defers to our operators (and their clear errors) instead of building object arrays
    __array_ufunc__ = None

    def __init__(self, data, label: str = ""):
        if isinstance(data, (Value, Dual)):
            raise TypeError(f"Value: expected data to be a real number, got a "
                            f"{type(data).__name__}; use the existing node instead.")
        if not isinstance(label, str):
            raise TypeError(f"Value: expected label to be a str, got {type(label).__name__} "
                            f"{label!r}.")
        self.data = check_finite_scalar(data, "Value", "data")
        self.grad = 0.0
        self.parents = ()
        self.local_grads = ()
        self.op = ""
        self.label = label

    @classmethod
    def _node(cls, data, parents, local_grads, op):
        """A node made by an operation (no validation: the rules already checked)."""
        v = cls.__new__(cls)
        v.data, v.grad, v.parents, v.local_grads, v.op, v.label = (
            data, 0.0, parents, local_grads, op, "")
        return v

    # -- building the graph ----------------------------------------------------------------
    def _lift(self, other, where, symbol):
        if isinstance(other, Value):
            return other
        c = _constant(other, where, "Value", symbol)
        return Value(c, label=f"{c:g}")

    def _binary(self, other, rule, symbol, dunder, reflected=False):
        where = f"Value.{dunder}"
        other = self._lift(other, where, symbol)
        a, b = (other, self) if reflected else (self, other)
        data, local = rule(a.data, b.data, where)
        return Value._node(data, (a, b), local, symbol)

    def _unary(self, rule, name):
        data, local = rule(self.data, f"Value.{name}")
        return Value._node(data, (self,), local, name)

    def __add__(self, other):
        return self._binary(other, _add, "+", "__add__")

    def __radd__(self, other):
        return self._binary(other, _add, "+", "__radd__", reflected=True)

    def __sub__(self, other):
        return self._binary(other, _sub, "-", "__sub__")

    def __rsub__(self, other):
        return self._binary(other, _sub, "-", "__rsub__", reflected=True)

    def __mul__(self, other):
        return self._binary(other, _mul, "*", "__mul__")

    def __rmul__(self, other):
        return self._binary(other, _mul, "*", "__rmul__", reflected=True)

    def __truediv__(self, other):
        return self._binary(other, _div, "/", "__truediv__")

    def __rtruediv__(self, other):
        return self._binary(other, _div, "/", "__rtruediv__", reflected=True)

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._binary(other, _pow, "**", "__pow__")
        k = _constant(other, "Value.__pow__", "Value", "**")
        data, local = _pow_const(self.data, k, "Value.__pow__")
        return Value._node(data, (self,), local, f"**{k:g}")

    def __rpow__(self, other):
        return self._binary(other, _pow, "**", "__rpow__", reflected=True)

    def __neg__(self):
        return self._unary(_neg, "neg")

    def __pos__(self):
        return self

    def exp(self):
        """exp(self); local derivative exp(a)."""
        return self._unary(_exp, "exp")

    def log(self):
        """Natural logarithm; local derivative 1/a. Raises ValueError for a <= 0."""
        return self._unary(_log, "log")

    def tanh(self):
        """tanh(self); local derivative 1 - tanh(a)^2."""
        return self._unary(_tanh, "tanh")

    def sigmoid(self):
        """1 / (1 + exp(-a)), computed without overflow; local derivative s (1 - s)."""
        return self._unary(_sigmoid, "sigmoid")

    def relu(self):
        """max(a, 0); local derivative 1 if a > 0 else 0."""
        return self._unary(_relu, "relu")

    # -- the reverse sweep -----------------------------------------------------------------
    def backward(self, grad: float = 1.0) -> None:
        """Set ``node.grad`` = d(self)/d(node) for every node of the graph ending here.

        Parameters
        ----------
        grad : float, default 1.0
            The seed adjoint of ``self`` (d(root)/d(self)); with a seed u every gradient is
            multiplied by u.

        Notes
        -----
        1. ``order = topological_order(self)`` (iterative: deep graphs are fine);
        2. every node's ``grad`` is reset to 0, then ``self.grad = grad``;
        3. for v in reversed(order): for each parent u of v: ``u.grad += dv/du * v.grad``.
        """
        seed = check_finite_scalar(grad, "Value.backward", "grad")
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = seed
        for node in reversed(order):
            g = node.grad
            if g == 0.0:
                continue  # nothing to pass on (and no 0 * inf = nan from a constant's edge)
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                parent.grad += local * g

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{op}{name})"


def topological_order(root: Value) -> list:
    """Every node of the graph that ends in ``root``, each after all of its parents.

    Parameters
    ----------
    root : Value
        The output node.

    Returns
    -------
    list of Value
        Leaves come before the nodes computed from them; ``root`` is last; each node
        appears once even if it is used several times.

    Notes
    -----
    A depth-first search that appends a node once all its parents are appended (post-order).
    It keeps its own stack instead of recursing, so a chain of 100,000 operations does not hit
    Python's recursion limit.

    See Also
    --------
    Chapter 6 (Automatic differentiation): why reverse mode needs this order.

    Examples
    --------
    >>> from nnlib.autodiff import Value, topological_order
    >>> x = Value(2.0, "x")
    >>> y = x * x
    >>> z = y + x
    >>> [v.label or v.op for v in topological_order(z)]
    ['x', '*', '+']
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}.")
    order = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # all parents done
            stack.pop()
            order.append(node)
    return order


def graph(root: Value):
    """The nodes and edges of the graph that ends in ``root``, for drawing or inspection.

    Parameters
    ----------
    root : Value

    Returns
    -------
    nodes : list of Value
        In topological order (see :func:`topological_order`).
    edges : list of (Value, Value, float)
        ``(parent, child, local_grad)``: the data flows from ``parent`` into ``child`` and
        d(child)/d(parent) through this edge is ``local_grad``. An operand used twice (``x * x``)
        gives two edges.

    Examples
    --------
    >>> from nnlib.autodiff import Value, graph
    >>> x, w = Value(3.0, "x"), Value(2.0, "w")
    >>> nodes, edges = graph(x * w)
    >>> [(p.label, c.op, g) for p, c, g in edges]
    [('x', '*', 2.0), ('w', '*', 3.0)]
    """
    if not isinstance(root, Value):
        raise TypeError(f"graph: expected a Value, got {type(root).__name__}.")
    nodes = topological_order(root)
    edges = [(p, v, g) for v in nodes for p, g in zip(v.parents, v.local_grads, strict=True)]
    return nodes, edges


def _layout(nodes):
    """Layer (column) and row of each node for a left-to-right drawing."""
    children = {v: [] for v in nodes}
    for v in nodes:
        for p in dict.fromkeys(v.parents):
            children[p].append(v)
    layer = {}
    for v in nodes:  # parents first, so their layers are known
        layer[v] = 1 + max((layer[p] for p in v.parents), default=-1)
    for v in nodes:  # put each leaf just left of its first consumer, not all in column 0
        if not v.parents and children[v]:
            layer[v] = min(layer[c] for c in children[v]) - 1
    n_layers = 1 + max(layer.values())
    columns = [[] for _ in range(n_layers)]
    for v in nodes:
        columns[layer[v]].append(v)
    row = {}

    def place(col):
        for i, v in enumerate(col):
            row[v] = (len(col) - 1) / 2.0 - i

    for col in columns:
        place(col)
    # two barycentre sweeps: order each column by the mean row of its neighbours
    for _ in range(2):
        for col in columns[1:]:
            col.sort(key=lambda v: -np.mean([row[p] for p in v.parents]) if v.parents
                     else -row[v])
            place(col)
        for col in reversed(columns[:-1]):
            col.sort(key=lambda v: -np.mean([row[c] for c in children[v]]) if children[v]
                     else -row[v])
            place(col)
    return layer, row, columns


def draw_graph(root: Value, ax=None, *, show_grad: bool = True, show_local: bool = False,
               precision: int = 3):
    """Draw the graph that ends in ``root``, inputs on the left, ``root`` on the right.

    Each node is a box showing its label and operation, its ``data`` and (optionally) its
    ``grad``; arrows show the data flow. Leaves are drawn in blue, operations in orange and
    the root in green (Okabe-Ito colours). Meant for small graphs (up to ~15 nodes).

    Parameters
    ----------
    root : Value
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the graph when None.
    show_grad : bool, default True
        Show each node's ``grad`` (call ``root.backward()`` first).
    show_local : bool, default False
        Label each arrow with the local derivative d(child)/d(parent) (summed over the two
        edges of an operand used twice).
    precision : int, default 3
        Significant digits of the numbers shown.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    Chapter 5 (Backpropagation) and Chapter 6 (Automatic differentiation) draw the single-neuron
    graph x*w, +b, sigmoid, loss with it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from nnlib.autodiff import Value, draw_graph
    >>> x, w = Value(0.5, "x"), Value(-1.0, "w")
    >>> L = (x * w).sigmoid()
    >>> L.backward()
    >>> ax = draw_graph(L)
    >>> len(ax.patches)  # 4 boxes (x, w, x*w, sigmoid) and 3 arrows
    7
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a Value, got {type(root).__name__}.")
    show_grad = check_bool(show_grad, "draw_graph", "show_grad")
    show_local = check_bool(show_local, "draw_graph", "show_local")
    precision = check_int(precision, "draw_graph", "precision", minimum=1)
    nodes = topological_order(root)
    layer, row, columns = _layout(nodes)
    # geometry in data units, which are inches when draw_graph makes the figure itself
    dx, dy, width, height = 2.0, 1.15, 1.5, 0.85
    pos = {v: (dx * layer[v], dy * row[v]) for v in nodes}
    left = min(x for x, _ in pos.values()) - width / 2 - 0.1
    right = max(x for x, _ in pos.values()) + width / 2 + 0.1
    bottom = min(y for _, y in pos.values()) - height / 2 - 0.1
    top = max(y for _, y in pos.values()) + height / 2 + 0.1
    arrows = []  # (vertices of the polyline, summed local derivative)
    for v in nodes:
        local = {}  # an operand used twice (x * x) gets one arrow with the summed derivative
        for p, g in zip(v.parents, v.local_grads, strict=True):
            local[p] = local.get(p, 0.0) + g
        for p, g in local.items():
            (x0, y0), (x1, y1) = pos[p], pos[v]
            start, end = (x0 + width / 2, y0), (x1 - width / 2, y1)
            between = [pos[u][1] for u in nodes if layer[p] < layer[u] < layer[v]]
            if between:
                # skip the columns in between: up in the first gap, across above the boxes
                # (longer jumps a little higher, so they do not overlap), down in the last gap
                lift = max([y0, y1] + [yb + height / 2 + 0.2 for yb in between
                                       if yb + height / 2 > min(y0, y1) - 0.05])
                lift += 0.15 * (layer[v] - layer[p] - 2)
                gap = (dx - width) / 2
                arrows.append(([start, (start[0] + gap, lift), (end[0] - gap, lift), end], g))
                top = max(top, lift + 0.25)
            else:
                arrows.append(([start, end], g))

    if ax is None:
        fig = plt.figure(figsize=(max(3.0, right - left), max(1.5, top - bottom)), layout="none")
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    # shrink the text when the caller's axes are smaller than the graph needs
    box = ax.get_window_extent()
    inches_per_unit = min(box.width / (right - left), box.height / (top - bottom)) / ax.figure.dpi
    fontsize = max(5.0, 9.0 * min(1.0, inches_per_unit))

    def fmt(x):
        return f"{x:.{precision}g}"

    leaf, oper, out = "#56B4E9", "#E69F00", "#009E73"
    for v in nodes:
        x, y = pos[v]
        colour = out if v is root else (oper if v.parents else leaf)
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.02,rounding_size=0.12",
                                    facecolor=colour + "33", edgecolor=colour, linewidth=1.5))
        title = v.label
        if v.op:
            title = f"{title}  [{v.op}]" if title else f"[{v.op}]"
        lines = [title] if title else []
        lines.append(f"data {fmt(v.data)}")
        if show_grad:
            lines.append(f"grad {fmt(v.grad)}")
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=fontsize,
                linespacing=1.35)
    for verts, g in arrows:
        path = Path(verts, [Path.MOVETO] + [Path.LINETO] * (len(verts) - 1))
        ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=10,
                                     color="0.35", linewidth=1.1, shrinkA=0, shrinkB=0))
        if show_local:
            (xa, ya), (xb, yb) = verts[len(verts) // 2 - 1], verts[len(verts) // 2]
            ax.text((xa + xb) / 2, (ya + yb) / 2, fmt(g), ha="center", va="center",
                    fontsize=fontsize - 1, color="0.2",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none",
                              alpha=0.9))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")  # boxes keep their shape in a caller's axes of any size
    ax.set_axis_off()
    return ax


# ---------------------------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------------------------

class Dual:
    """A dual number ``primal + tangent * eps`` with ``eps**2 = 0``: forward-mode AD.

    Since f(a + b eps) = f(a) + f'(a) b eps for any smooth f, evaluating a function on duals
    whose tangents are a direction v yields the value and the directional derivative
    (the Jacobian-vector product J v) in the same pass.

    Parameters
    ----------
    primal : float
        The value a (a finite real number).
    tangent : float, default 0.0
        The derivative part b; 0 for a constant, 1 for the variable being differentiated.

    Raises
    ------
    TypeError, ValueError, ZeroDivisionError, OverflowError
        Exactly as for :class:`Value` (non-numbers, log of a value <= 0, division by 0, ...).
        Mixing a Dual with a Value is a TypeError: forward and reverse mode are kept apart.

    Notes
    -----
    With x = a + a' eps and y = c + c' eps, the tangent of each result is
    sum_i (d result / d operand_i) * operand_i', the same local derivatives as in
    :class:`Value`:

    * x + y = (a + c) + (a' + c') eps;  x - y = (a - c) + (a' - c') eps
    * x * y = a c + (a' c + a c') eps
    * x / y = a / c + (a' / c - a c' / c^2) eps
    * x ** k = a^k + k a^(k-1) a' eps (constant k);
      x ** y = a^c + (c a^(c-1) a' + a^c ln(a) c') eps (needs a > 0)
    * exp(x) = e^a + e^a a' eps;  log(x) = ln a + (a' / a) eps
    * tanh(x) = tanh a + (1 - tanh^2 a) a' eps;  sigmoid(x) = s + s (1 - s) a' eps
    * relu(x) = max(a, 0) + 1[a > 0] a' eps

    A zero tangent is never multiplied by a local derivative, so a constant operand stays
    exactly constant even where the local derivative is infinite.

    References
    ----------
    W. K. Clifford, "Preliminary sketch of biquaternions", Proc. London Math. Soc., 1873
    (dual numbers). Wengert 1964 and Baydin et al. 2018 (see :class:`Value`).

    See Also
    --------
    Value : reverse mode.
    Chapter 6 (Automatic differentiation) compares the two modes.

    Examples
    --------
    f(x) = x exp(x) has f'(x) = (1 + x) exp(x), so f'(1) = 2e:

    >>> from nnlib.autodiff import Dual
    >>> x = Dual(1.0, 1.0)
    >>> y = x * x.exp()
    >>> round(y.primal, 6), round(y.tangent, 6)
    (2.718282, 5.436564)
    """

    __slots__ = ("primal", "tangent")
    __array_ufunc__ = None

    def __init__(self, primal, tangent=0.0):
        for v, name in ((primal, "primal"), (tangent, "tangent")):
            if isinstance(v, (Value, Dual)):
                raise TypeError(f"Dual: expected {name} to be a real number, got a "
                                f"{type(v).__name__}.")
        self.primal = check_finite_scalar(primal, "Dual", "primal")
        self.tangent = check_finite_scalar(tangent, "Dual", "tangent")

    @classmethod
    def _make(cls, primal, tangent):
        d = cls.__new__(cls)
        d.primal, d.tangent = primal, tangent
        return d

    @staticmethod
    def _push(value, local, tangents):
        # tangent of the result: sum of local derivative * operand tangent (skip zeros)
        terms = (g * t for g, t in zip(local, tangents, strict=True) if t != 0.0)
        return Dual._make(value, sum(terms))

    def _lift(self, other, where, symbol):
        if isinstance(other, Dual):
            return other
        return Dual._make(_constant(other, where, "Dual", symbol), 0.0)

    def _binary(self, other, rule, symbol, dunder, reflected=False):
        where = f"Dual.{dunder}"
        other = self._lift(other, where, symbol)
        a, b = (other, self) if reflected else (self, other)
        value, local = rule(a.primal, b.primal, where)
        return Dual._push(value, local, (a.tangent, b.tangent))

    def _unary(self, rule, name):
        value, local = rule(self.primal, f"Dual.{name}")
        return Dual._push(value, local, (self.tangent,))

    def __add__(self, other):
        return self._binary(other, _add, "+", "__add__")

    def __radd__(self, other):
        return self._binary(other, _add, "+", "__radd__", reflected=True)

    def __sub__(self, other):
        return self._binary(other, _sub, "-", "__sub__")

    def __rsub__(self, other):
        return self._binary(other, _sub, "-", "__rsub__", reflected=True)

    def __mul__(self, other):
        return self._binary(other, _mul, "*", "__mul__")

    def __rmul__(self, other):
        return self._binary(other, _mul, "*", "__rmul__", reflected=True)

    def __truediv__(self, other):
        return self._binary(other, _div, "/", "__truediv__")

    def __rtruediv__(self, other):
        return self._binary(other, _div, "/", "__rtruediv__", reflected=True)

    def __pow__(self, other):
        if isinstance(other, Dual):
            return self._binary(other, _pow, "**", "__pow__")
        k = _constant(other, "Dual.__pow__", "Dual", "**")
        value, local = _pow_const(self.primal, k, "Dual.__pow__")
        return Dual._push(value, local, (self.tangent,))

    def __rpow__(self, other):
        return self._binary(other, _pow, "**", "__rpow__", reflected=True)

    def __neg__(self):
        return self._unary(_neg, "neg")

    def __pos__(self):
        return self

    def exp(self):
        """exp(a) + exp(a) a' eps."""
        return self._unary(_exp, "exp")

    def log(self):
        """ln(a) + (a'/a) eps. Raises ValueError for a <= 0."""
        return self._unary(_log, "log")

    def tanh(self):
        """tanh(a) + (1 - tanh(a)^2) a' eps."""
        return self._unary(_tanh, "tanh")

    def sigmoid(self):
        """s + s (1 - s) a' eps with s = sigmoid(a)."""
        return self._unary(_sigmoid, "sigmoid")

    def relu(self):
        """max(a, 0) + 1[a > 0] a' eps."""
        return self._unary(_relu, "relu")

    def __repr__(self) -> str:
        return f"Dual({self.primal:.6g}, {self.tangent:.6g})"


# ---------------------------------------------------------------------------------------------
# Functions that work on floats, Values and Duals alike
# ---------------------------------------------------------------------------------------------

def _elementary(rule, name, x):
    if isinstance(x, (Value, Dual)):
        return getattr(x, name)()
    where = f"autodiff.{name}"
    if not _is_real(x):
        raise TypeError(f"{where}: expected a float, a Value or a Dual, got "
                        f"{type(x).__name__} {x!r}.")
    return rule(float(x), where)[0]


def exp(x):
    """exp(x) for a float, a :class:`Value` or a :class:`Dual` (same type out).

    >>> from nnlib.autodiff import exp, Dual
    >>> exp(0.0), exp(Dual(0.0, 1.0))
    (1.0, Dual(1, 1))
    """
    return _elementary(_exp, "exp", x)


def log(x):
    """Natural logarithm of a float, Value or Dual; ValueError for x <= 0."""
    return _elementary(_log, "log", x)


def tanh(x):
    """tanh of a float, Value or Dual."""
    return _elementary(_tanh, "tanh", x)


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)) of a float, Value or Dual (no overflow)."""
    return _elementary(_sigmoid, "sigmoid", x)


def relu(x):
    """max(x, 0) of a float, Value or Dual (derivative 0 at x = 0)."""
    return _elementary(_relu, "relu", x)


# ---------------------------------------------------------------------------------------------
# Derivatives of Python functions f(xs) -> scalar or list of scalars
# ---------------------------------------------------------------------------------------------

class JacobianResult(NamedTuple):
    """What :func:`jacobian_forward` and :func:`jacobian_reverse` return.

    Attributes
    ----------
    value : ndarray of shape (m,)
        f(x).
    jacobian : ndarray of shape (m, n)
        J[i, j] = d f_i / d x_j.
    forward_passes : int
        Evaluations of f: n in forward mode (one per input direction), 1 in reverse mode.
    reverse_passes : int
        Backward sweeps over the graph: 0 in forward mode, m in reverse mode.
    """

    value: np.ndarray
    jacobian: np.ndarray
    forward_passes: int
    reverse_passes: int


def _check_f(f, where):
    if not callable(f):
        raise TypeError(f"{where}: expected f to be a callable taking a list of scalars, got "
                        f"{type(f).__name__}.")


def _point(x, where, name="x"):
    """x as a finite 1-D float64 array (a scalar counts as one input)."""
    arr = as_array(x, where, dtype=np.float64, name=name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{where}: expected {name} to be a non-empty list or 1-D array of "
                         f"scalars, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: expected finite numbers in {name}, got {arr.tolist()}.")
    return arr


def _outputs(result, kind, where):
    """Split f's result into (list of outputs, is_scalar)."""
    if isinstance(result, (Value, Dual)) or _is_real(result):
        items, scalar = [result], True
    elif isinstance(result, (list, tuple, np.ndarray)):
        items, scalar = list(np.ravel(np.asarray(result, dtype=object))), False
        if not items:
            raise ValueError(f"{where}: f returned an empty sequence; expected at least one "
                             f"output.")
    else:
        raise TypeError(f"{where}: expected f to return a scalar or a list of scalars, got "
                        f"{type(result).__name__}.")
    for item in items:
        if not (isinstance(item, kind) or _is_real(item)):
            raise TypeError(f"{where}: expected f to return {kind.__name__}s or real numbers, "
                            f"got a {type(item).__name__}; build f from the inputs it is given "
                            f"and the functions of nnlib.autodiff.")
    return items, scalar


def _primal(item):
    return item.primal if isinstance(item, Dual) else float(item)


def _tangent(item):
    return item.tangent if isinstance(item, Dual) else 0.0


def jvp(f, x, v):
    """Value and Jacobian-vector product J v of ``f`` at ``x``, by one forward-mode pass.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of n scalars and returns a scalar or a list of m scalars.
    x : sequence of float of length n
        The point.
    v : sequence of float of length n
        The direction (the tangents of the inputs).

    Returns
    -------
    value : float or ndarray of shape (m,)
        f(x) (a float when f returns a scalar).
    jv : float or ndarray of shape (m,)
        J v = sum_j (d f / d x_j) v_j: the derivative of f along v. With v = e_j it is the
        j-th *column* of the Jacobian.

    See Also
    --------
    vjp : the reverse-mode counterpart.
    Chapter 6 (Automatic differentiation).

    Examples
    --------
    >>> from nnlib.autodiff import jvp
    >>> jvp(lambda xs: xs[0] * xs[1], [2.0, 3.0], [1.0, 0.0])  # d(x0 x1)/dx0 = x1
    (6.0, 3.0)
    """
    where = "jvp"
    _check_f(f, where)
    x = _point(x, where)
    v = _point(v, where, "v")
    if v.shape != x.shape:
        raise ValueError(f"{where}: expected v of the same length as x ({x.size}), got "
                         f"{v.size}.")
    duals = [Dual._make(a, t) for a, t in zip(x.tolist(), v.tolist(), strict=True)]
    items, scalar = _outputs(f(duals), Dual, where)
    value = np.array([_primal(i) for i in items])
    jv = np.array([_tangent(i) for i in items])
    return (float(value[0]), float(jv[0])) if scalar else (value, jv)


def _reverse_setup(f, x, where):
    _check_f(f, where)
    x = _point(x, where)
    inputs = [Value(a, label=f"x{j}") for j, a in enumerate(x.tolist())]
    items, scalar = _outputs(f(inputs), Value, where)
    return inputs, items, scalar


def _sweep(inputs, out):
    """One reverse sweep from ``out``; the row d out / d inputs."""
    for node in inputs:
        node.grad = 0.0  # an input that ``out`` does not depend on keeps 0
    if isinstance(out, Value):
        out.backward()
    return np.array([node.grad for node in inputs])


def vjp(f, x, u):
    """Value and vector-Jacobian product u^T J of ``f`` at ``x``, by one reverse sweep.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of n scalars and returns a scalar or a list of m scalars.
    x : sequence of float of length n
    u : float or sequence of float of length m
        The output adjoints (a float when f returns a scalar).

    Returns
    -------
    value : float or ndarray of shape (m,)
    uj : ndarray of shape (n,)
        u^T J = sum_i u_i grad f_i. With u = e_i it is the i-th *row* of the Jacobian.

    Examples
    --------
    >>> from nnlib.autodiff import vjp
    >>> value, uj = vjp(lambda xs: [xs[0] * xs[1], xs[0] + xs[1]], [2.0, 3.0], [1.0, 10.0])
    >>> value.tolist(), uj.tolist()
    ([6.0, 5.0], [13.0, 12.0])
    """
    where = "vjp"
    inputs, items, scalar = _reverse_setup(f, x, where)
    u = _point(u, where, "u")
    if u.size != len(items):
        raise ValueError(f"{where}: expected u with one entry per output of f ({len(items)}), "
                         f"got {u.size}.")
    total = sum((float(ui) * out for ui, out in zip(u.tolist(), items, strict=True)), Value(0.0))
    value = np.array([o.data if isinstance(o, Value) else float(o) for o in items])
    uj = _sweep(inputs, total)
    return (float(value[0]) if scalar else value), uj


def grad(f, x):
    """Gradient of a scalar function ``f`` at ``x`` by reverse mode (one backward sweep).

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of n :class:`Value` and returns one scalar.
    x : sequence of float of length n

    Returns
    -------
    ndarray of shape (n,)
        (d f / d x_1, ..., d f / d x_n).

    Raises
    ------
    ValueError
        If ``f`` returns more than one output (use :func:`jacobian_reverse`).

    Examples
    --------
    >>> from nnlib.autodiff import grad, exp
    >>> grad(lambda xs: xs[0] * exp(xs[1]), [3.0, 0.0]).tolist()
    [1.0, 3.0]
    """
    where = "grad"
    inputs, items, scalar = _reverse_setup(f, x, where)
    if not scalar and len(items) != 1:
        raise ValueError(f"{where}: expected f to return one scalar, got {len(items)} outputs; "
                         f"use jacobian_reverse for vector-valued functions.")
    return _sweep(inputs, items[0])


def jacobian_forward(f, x) -> JacobianResult:
    """Full Jacobian of ``f: R^n -> R^m`` by forward mode: n passes, one column each.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of n scalars and returns a scalar or a list of m scalars.
    x : sequence of float of length n

    Returns
    -------
    JacobianResult
        ``(value (m,), jacobian (m, n), forward_passes=n, reverse_passes=0)``.

    Notes
    -----
    Pass j seeds the tangents with e_j and reads column j, J e_j. The cost grows with the
    number of *inputs* n; reverse mode's grows with the number of outputs m.

    See Also
    --------
    jacobian_reverse
    Chapter 6 (Automatic differentiation) measures both on an example.

    Examples
    --------
    >>> from nnlib.autodiff import jacobian_forward
    >>> res = jacobian_forward(lambda xs: [xs[0] * xs[1], xs[0] + xs[1]], [2.0, 3.0])
    >>> res.jacobian.tolist(), res.forward_passes, res.reverse_passes
    ([[3.0, 2.0], [1.0, 1.0]], 2, 0)
    """
    where = "jacobian_forward"
    _check_f(f, where)
    x = _point(x, where)
    n = x.size
    columns, value = [], None
    for j in range(n):
        xs = [Dual._make(a, 1.0 if k == j else 0.0) for k, a in enumerate(x.tolist())]
        items, _ = _outputs(f(xs), Dual, where)
        if value is None:
            value = np.array([_primal(i) for i in items])
        columns.append([_tangent(i) for i in items])
    jac = np.array(columns).T.reshape(len(value), n)
    return JacobianResult(value, jac, n, 0)


def jacobian_reverse(f, x) -> JacobianResult:
    """Full Jacobian of ``f: R^n -> R^m`` by reverse mode: 1 forward pass, m sweeps (rows).

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of n scalars and returns a scalar or a list of m scalars.
    x : sequence of float of length n

    Returns
    -------
    JacobianResult
        ``(value (m,), jacobian (m, n), forward_passes=1, reverse_passes=m)``.

    Notes
    -----
    The graph is built once; sweep i starts from output i with adjoint 1 and reads row i,
    e_i^T J. For a loss (m = 1) one sweep gives the whole gradient whatever n is: this is why
    training uses reverse mode.

    Examples
    --------
    >>> from nnlib.autodiff import jacobian_reverse
    >>> res = jacobian_reverse(lambda xs: [xs[0] * xs[1], xs[0] + xs[1]], [2.0, 3.0])
    >>> res.jacobian.tolist(), res.forward_passes, res.reverse_passes
    ([[3.0, 2.0], [1.0, 1.0]], 1, 2)
    """
    where = "jacobian_reverse"
    inputs, items, _ = _reverse_setup(f, x, where)
    value = np.array([o.data if isinstance(o, Value) else float(o) for o in items])
    jac = np.array([_sweep(inputs, out) for out in items]).reshape(len(items), len(inputs))
    return JacobianResult(value, jac, 1, len(items))
