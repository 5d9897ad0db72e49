"""Experiments of Chapter 5 (Backpropagation).

The chapter's figures, its live experiment and the numerically heavier helpers. Every static
figure is drawn by a ``draw_*`` function that returns a matplotlib Figure; the live experiment
is a :class:`book.live.LiveFigure`, so the notebook's widget, the website's flipbook, the
static small multiples and the tests all draw the same figure.

Contents

- :func:`worked_backward`, :func:`draw_worked_backward`: Chapter 4's 2-2-1 network run
  backwards (target y = 1, squared loss), every unit coloured by its error signal delta.
- :func:`neuron_graph`, :func:`draw_neuron_graph`: the single neuron ``x*w, +b, sigmoid,
  loss`` as a :class:`nnlib.autodiff.Value` graph, drawn with its local derivatives.
- :func:`mlp_forward`, :func:`mlp_backward`, :func:`half_mse`, :func:`layer_check`: a
  from-scratch sigmoid MLP (sigmoid or linear output) whose backward pass can be given a
  deliberate bug, and the per-layer gradient check that catches it.
- :func:`draw_digit_predictions`: test digits with the labels a network predicted.
- :func:`forward_difference_grad`, :func:`eps_sweep`, :func:`draw_eps_sweep`: the error of
  finite differences against the step eps (truncation ~ eps^2, round-off ~ 1/eps).
- :func:`gradient_cost`, :func:`draw_gradient_cost`, :func:`time_forward_backward`: what a
  gradient costs by finite differences and by backpropagation.
- :func:`gradient_flow`, :class:`GradientFlow`, :func:`gradient_flow_experiment`,
  :func:`draw_gradient_flow_depths`: per-layer gradient norms for a chosen depth and
  activations (the chapter's live experiment).
"""

from __future__ import annotations

import functools
import time
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FixedLocator, NullLocator

from nnlib._checks import as_array, check_int, check_positive
from nnlib.autodiff import Value, draw_graph
from nnlib.data import moons
from nnlib.functional import sigmoid, sigmoid_grad
from nnlib.gradcheck import numerical_grad, rel_error
from nnlib.layers import mlp
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss
from nnlib.plot import COLORS
from nnlib.train import layer_grad_norms

from . import live
from .shared import WORKED, median_time, one_blas_thread

__all__ = [
    "WorkedBackward", "worked_backward", "draw_worked_backward",
    "NeuronGraph", "neuron_graph", "draw_neuron_graph",
    "BUGS", "OUTPUTS", "mlp_forward", "mlp_backward", "half_mse", "layer_check",
    "draw_digit_predictions",
    "forward_difference_grad", "EpsSweep", "eps_sweep", "draw_eps_sweep",
    "GradientCost", "gradient_cost", "draw_gradient_cost", "time_forward_backward",
    "FLOW_ACTIVATIONS", "FLOW_YLIM", "FLOW_MAX_DEPTH", "gradient_flow", "GradientFlow",
    "gradient_flow_experiment", "draw_gradient_flow_depths", "EXPERIMENTS",
]

#: The deliberate bugs :func:`mlp_backward` can introduce.
BUGS = (None, "transposed_weight_grad", "missing_sigma_prime")

#: The output layers of :func:`mlp_forward`: a sigmoid, or none (linear scores, "logits").
OUTPUTS = ("sigmoid", "linear")

#: The activations the gradient-flow experiment offers.
FLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu", "gelu")

#: The gradient-flow figure's y range: the same for every depth and activation, so that
#: frames compare (the smallest norm of the experiment, sigmoid at depth 30, is about 2e-19).
FLOW_YLIM = (1e-20, 10.0)

#: The deepest network of the gradient-flow experiment (its x axis ends there).
FLOW_MAX_DEPTH = 30


# --------------------------------------------------------------------------------------------
# Chapter 4's network, backwards
# --------------------------------------------------------------------------------------------
class WorkedBackward(NamedTuple):
    """Every number of the worked backward pass (one example, L = (y - y_hat)^2 / 2).

    Forward: ``z1, a1`` (shape (2,)), ``z2, y_hat`` (shape (1,)), ``L``. Backward:
    ``dL_dy_hat`` = y_hat - y, ``s2`` = sigma'(z2), ``delta2``, ``dW2`` (1, 2), ``db2``,
    ``back`` = W2^T delta2, ``s1`` = sigma'(z1), ``delta1``, ``dW1`` (2, 2), ``db1``.
    """

    z1: np.ndarray
    a1: np.ndarray
    z2: np.ndarray
    y_hat: np.ndarray
    L: float
    dL_dy_hat: np.ndarray
    s2: np.ndarray
    delta2: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    back: np.ndarray
    s1: np.ndarray
    delta1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray


def worked_backward(example=WORKED) -> WorkedBackward:
    """The forward and backward pass of Chapter 4's 2-2-1 sigmoid network for one example.

    Parameters
    ----------
    example : book.shared.WorkedExample
        Input, weights and target; default :data:`book.shared.WORKED` (target y = 1).

    Returns
    -------
    WorkedBackward

    See Also
    --------
    Chapter 5, "The worked example": the same numbers by hand.

    Examples
    --------
    >>> w = worked_backward()
    >>> w.y_hat.round(3), w.delta2.round(4), w.delta1.round(5)
    (array([0.727]), array([-0.0542]), array([-0.0076 , -0.00647]))
    """
    c = example
    z1 = c.W1 @ c.x + c.b1
    a1 = sigmoid(z1)
    z2 = c.W2 @ a1 + c.b2
    y_hat = sigmoid(z2)
    L = float(0.5 * (c.y - y_hat[0]) ** 2)
    err = y_hat - c.y                      # dL/dy_hat
    s2 = y_hat * (1 - y_hat)               # sigma'(z2)
    delta2 = err * s2
    back = c.W2.T @ delta2
    s1 = a1 * (1 - a1)                     # sigma'(z1)
    delta1 = back * s1
    return WorkedBackward(z1, a1, z2, y_hat, L, err, s2, delta2, np.outer(delta2, a1), delta2,
                          back, s1, delta1, np.outer(delta1, c.x), delta1)


def _box(ax, xy, text, **kw):
    style = {"ha": "center", "va": "center", "fontsize": 10.5, "zorder": 5,
             "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9}}
    style.update(kw)
    return ax.text(*xy, text, **style)


def draw_worked_backward(example=WORKED) -> Figure:
    """Chapter 4's network with the backward pass drawn on it.

    Units are coloured by their error signal delta = dL/dz (the input units have none), with
    their activation above and delta below; each line carries its weight's gradient
    dL/dW_jk = delta_j a_k; the loss box on the right starts the backward pass with
    dL/dy_hat = y_hat - y.

    Parameters
    ----------
    example : book.shared.WorkedExample

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_worked_backward()
    >>> fig.axes[0].get_title(loc="left").startswith("The error signal")
    True
    >>> plt.close(fig)
    """
    w = worked_backward(example)
    c = example
    fig = plt.figure(figsize=(7.6, 4.4), layout="none")
    ax = fig.add_axes((0.0, 0.0, 0.87, 0.9))
    cax = fig.add_axes((0.9, 0.22, 0.022, 0.56))
    ax.set_xlim(-0.95, 4.95)
    ax.set_ylim(-2.05, 1.75)
    ax.set_axis_off()
    vmax = float(np.abs(w.delta2).max())
    norm, cmap = Normalize(-vmax, vmax), plt.get_cmap("RdBu_r")
    pos = {0: [(0.0, 0.95), (0.0, -0.95)], 1: [(1.7, 0.95), (1.7, -0.95)], 2: [(3.2, 0.0)]}
    # the lines, each with its weight's gradient dL/dW_jk = delta_j a_k
    # (first layer: near the inputs, where the four lines are apart; output layer: beside
    # the middle of each line, clear of the units' labels)
    for layer, (dW, frac, lift) in {1: (w.dW1, 0.27, 0.0), 2: (w.dW2, 0.5, 0.16)}.items():
        for j, (xd, yd) in enumerate(pos[layer]):
            for k, (xs, ys) in enumerate(pos[layer - 1]):
                ax.plot([xs, xd], [ys, yd], color="#999999", lw=1.3, zorder=1)
                y_label = ys + frac * (yd - ys) + lift * np.sign(ys - yd)
                _box(ax, (xs + frac * (xd - xs), y_label), f"${dW[j, k]:#.3g}$",
                     fontsize=10, color="#333333")
    ax.plot([3.2, 3.8], [0.0, 0.0], color="#999999", lw=1.3, zorder=1)
    units = [(xy, "white") for xy in pos[0]]
    for layer, deltas in ((1, w.delta1), (2, w.delta2)):
        units += [(xy, cmap(norm(d))) for xy, d in zip(pos[layer], deltas, strict=True)]
    ax.scatter([u[0][0] for u in units], [u[0][1] for u in units], s=950,
               c=[u[1] for u in units], edgecolors="#333333", linewidths=1.4, zorder=3)
    for k, (xy, v) in enumerate(zip(pos[0], c.x, strict=True), start=1):
        _box(ax, (xy[0] - 0.28, xy[1]), f"$x_{k} = {v:g}$", ha="right")
    for layer, deltas, acts in ((1, w.delta1, w.a1), (2, w.delta2, w.y_hat)):
        for j, (xy, d, a) in enumerate(zip(pos[layer], deltas, acts, strict=True), start=1):
            name = "\\hat{y}" if layer == 2 else f"a_{j}"
            _box(ax, (xy[0], xy[1] + 0.42), f"${name} = {a:.3f}$")
            _box(ax, (xy[0], xy[1] - 0.44), f"$\\delta = {d:#.3g}$", color=COLORS[0])
    _box(ax, (4.4, 0.0), f"$L = {w.L:.4f}$\n$y = {c.y:g}$\n\n"
         f"$\\partial L/\\partial\\hat{{y}}$\n$= {w.dL_dy_hat[0]:.3f}$",
         bbox={"boxstyle": "round,pad=0.35", "fc": "#f3f3f3", "ec": "#555555"})
    for x, label in ((0.0, "input"), (1.7, "hidden layer"), (3.2, "output"), (4.4, "loss")):
        ax.text(x, 1.6, label, ha="center", va="center", fontsize=10.5, color="#333333")
    ax.add_patch(FancyArrowPatch((4.2, -1.62), (-0.5, -1.62), arrowstyle="-|>",
                                 mutation_scale=18, lw=2.0, color=COLORS[0]))
    ax.text(1.85, -1.9, r"backward pass: $\delta$ flows from the loss towards the input",
            ha="center", va="center", fontsize=10.5, color=COLORS[0])
    ratio = float(np.abs(w.delta2).max() / np.abs(w.delta1).max())
    ax.set_title(f"The error signal flows backwards and shrinks: the hidden $\\delta$s are "
                 f"{ratio:.0f}x smaller", loc="left", fontsize=12, x=0.02)
    cb = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    cb.set_label(r"error signal $\delta = \partial L/\partial z$", fontsize=10.5)
    cb.ax.tick_params(labelsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# the single neuron as a computational graph
# --------------------------------------------------------------------------------------------
class NeuronGraph(NamedTuple):
    """The nodes of the single-neuron graph after the backward pass (see :func:`neuron_graph`).

    ``x, w, b, u, z, a`` belong to the neuron, ``a_in, y, r, s, L`` to the loss; ``a_in`` is
    the loss's copy of ``a``.
    """

    x: Value
    w: Value
    b: Value
    u: Value
    z: Value
    a: Value
    a_in: Value
    y: Value
    r: Value
    s: Value
    L: Value


def neuron_graph(x=1.5, w=0.4, b=-0.2, y=1.0) -> NeuronGraph:
    """Build and differentiate u = x w, z = u + b, a = sigmoid(z), L = (a - y)^2 / 2.

    The graph is built in two halves joined at ``a``, as nnlib's modules are: the loss half
    starts from its own leaf ``a_in`` (with a's value), ``L.backward()`` gives dL/da there,
    and ``a.backward(dL/da)`` sends it through the neuron. Every node's ``grad`` is then
    dL/d(node), exactly as one backward pass through the joined graph would give.

    Parameters
    ----------
    x, w, b, y : float
        Input, weight, bias and target.

    Returns
    -------
    NeuronGraph

    See Also
    --------
    Chapter 5, "A single neuron as a graph".

    Examples
    --------
    >>> from book.ch05_backprop import neuron_graph
    >>> g = neuron_graph()
    >>> round(g.w.grad, 4)   # (a - y) a (1 - a) x
    -0.1446
    """
    xv, wv, bv, yv = Value(x, "x"), Value(w, "w"), Value(b, "b"), Value(y, "y")
    u = xv * wv
    u.label = "u"
    z = u + bv
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    a_in = Value(a.data, "a")
    r = a_in - yv
    r.label = "r"
    s = r ** 2
    s.label = "s"
    L = 0.5 * s
    L.label = "L"
    L.backward()
    a.backward(a_in.grad)
    return NeuronGraph(xv, wv, bv, u, z, a, a_in, yv, r, s, L)


def draw_neuron_graph(x=1.5, w=0.4, b=-0.2, y=1.0) -> Figure:
    """Draw the two halves of the single-neuron graph with data, grad and local derivatives.

    Each box shows a node's value (``data``) and dL/d(node) (``grad``); each arrow is labelled
    with the local derivative d(child)/d(parent). The grad of a node is the grad of its child
    times the label on the arrow between them.

    Parameters
    ----------
    x, w, b, y : float
        As in :func:`neuron_graph`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch05_backprop import draw_neuron_graph
    >>> fig = draw_neuron_graph()
    >>> len(fig.axes)
    2
    >>> plt.close(fig)
    """
    g = neuron_graph(x, w, b, y)
    fig = plt.figure(figsize=(7.6, 5.4), layout="none")
    top = fig.add_axes((0.0, 0.5, 1.0, 0.4))
    bottom = fig.add_axes((0.0, 0.0, 1.0, 0.4))
    draw_graph(g.a, ax=top, show_local=True)
    draw_graph(g.L, ax=bottom, show_local=True)
    for ax in (top, bottom):
        for t in ax.texts:
            t.set_fontsize(max(10.0, t.get_fontsize() * 1.3))
    top.set_title(r"(a) The neuron: $u = xw$, $z = u + b$, $a = \sigma(z)$", loc="left",
                  fontsize=12)
    bottom.set_title(r"(b) The loss: $r = a - y$, $s = r^2$, $L = \frac{1}{2}s$; "
                     r"its $\partial L/\partial a$ seeds (a)", loc="left", fontsize=12)
    fig.suptitle("Going backwards, each grad is the grad after it times the\nlocal "
                 "derivative on the arrow", x=0.0, ha="left", y=1.06, fontsize=12.5)
    return fig


# --------------------------------------------------------------------------------------------
# a from-scratch sigmoid MLP, with deliberate bugs
# --------------------------------------------------------------------------------------------
def _check_params(weights, biases, where):
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"{where}: expected as many bias vectors as weight matrices (at least "
                         f"one), got {len(weights)} weights and {len(biases)} biases.")
    for k, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
        if np.ndim(W) != 2 or np.shape(b) != (np.shape(W)[0],):
            raise ValueError(f"{where}: layer {k} needs W of shape (n_l, n_(l-1)) and b of "
                             f"shape (n_l,), got {np.shape(W)} and {np.shape(b)}.")
        if k > 1 and np.shape(W)[1] != np.shape(weights[k - 2])[0]:
            raise ValueError(f"{where}: layer {k} expects {np.shape(W)[1]} inputs but layer "
                             f"{k - 1} has {np.shape(weights[k - 2])[0]} units.")


def _check_output(output, where):
    if output not in OUTPUTS:
        raise ValueError(f"{where}: expected output to be one of {OUTPUTS}, got {output!r}.")


def mlp_forward(weights, biases, X, output="sigmoid"):
    """Forward pass of an MLP with sigmoid hidden layers.

    Parameters
    ----------
    weights : list of ndarray, W^(l) of shape (n_l, n_(l-1)), l = 1..D
    biases : list of ndarray, b^(l) of shape (n_l,)
    X : ndarray of shape (m, n_0)
    output : {"sigmoid", "linear"}
        The output layer: a sigmoid like every other layer (default), or none, so that
        A^(D) = Z^(D) are scores ("logits") for a softmax with cross-entropy.

    Returns
    -------
    Z : list of ndarray
        ``Z[l]`` = Z^(l) of shape (m, n_l) for l = 1..D; ``Z[0]`` is None.
    A : list of ndarray
        ``A[l]`` = A^(l) = sigmoid(Z^(l)) (the output Z^(D) itself when linear); ``A[0]`` = X.

    Examples
    --------
    >>> from book.shared import WORKED as c
    >>> from book.ch05_backprop import mlp_forward
    >>> Z, A = mlp_forward([c.W1, c.W2], [c.b1, c.b2], c.x[None, :])
    >>> Z[1].round(2), A[2].round(3)
    (array([[0.52, 0.43]]), array([[0.727]]))
    """
    where = "mlp_forward"
    _check_params(weights, biases, where)
    _check_output(output, where)
    X = as_array(X, where, dtype=np.float64, name="X")
    if X.ndim != 2 or X.shape[1] != np.shape(weights[0])[1]:
        raise ValueError(f"{where}: expected X of shape (m, {np.shape(weights[0])[1]}), got "
                         f"{X.shape}.")
    Z, A = [None], [X]
    D = len(weights)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
        Z.append(A[-1] @ W.T + b)
        A.append(Z[-1] if layer == D and output == "linear" else sigmoid(Z[-1]))
    return Z, A


def _half_mse_unchecked(weights, biases, X, Y):
    """The loss of :func:`half_mse` after :func:`mlp_forward`, without the argument checks.

    Finite differences call it thousands of times on small, well-scaled networks, where the
    plain formula 1 / (1 + exp(-z)) cannot overflow.
    """
    A = X
    for W, b in zip(weights, biases, strict=True):
        A = 1.0 / (1.0 + np.exp(-(A @ W.T + b)))
    R = A - Y
    return 0.5 * float(np.vdot(R, R)) / X.shape[0]


def half_mse(A_out, Y):
    """L = (1 / 2m) sum_i ||a_i - y_i||^2 and its gradient dL/dA = (A - Y) / m.

    Parameters
    ----------
    A_out, Y : ndarray of shape (m, n_D)

    Returns
    -------
    L : float
    dL_dA : ndarray of shape (m, n_D)
        The 1/m of the mean is here, and nowhere else in the backward pass.

    Examples
    --------
    >>> from book.ch05_backprop import half_mse
    >>> half_mse(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    (1.25, array([[0.5],
           [1. ]]))
    """
    A_out = as_array(A_out, "half_mse", dtype=np.float64, name="A_out")
    Y = as_array(Y, "half_mse", dtype=np.float64, name="Y")
    if A_out.shape != Y.shape or A_out.ndim != 2:
        raise ValueError(f"half_mse: expected A_out and Y of one shape (m, n), got "
                         f"{A_out.shape} and {Y.shape}.")
    m = A_out.shape[0]
    R = A_out - Y
    return float(0.5 * np.sum(R * R) / m), R / m


def mlp_backward(weights, Z, A, dL_dA, bug=None, output="sigmoid"):
    """Backward pass of :func:`mlp_forward`'s MLP, optionally with a deliberate bug.

    Parameters
    ----------
    weights : list of ndarray
        W^(1), ..., W^(D).
    Z, A : lists
        As returned by :func:`mlp_forward`.
    dL_dA : ndarray of shape (m, n_D)
        dL/dA^(D), e.g. from :func:`half_mse` (which includes the 1/m of a mean loss). With a
        linear output A^(D) = Z^(D), so this is Delta^(D) itself, e.g. (P - Y) / m for a
        softmax with the mean cross-entropy.
    bug : {None, "transposed_weight_grad", "missing_sigma_prime"}
        None: the correct pass. "transposed_weight_grad": dL/dW^(l) = A^(l-1)T Delta^(l)
        (the transpose of the right answer) on every layer whose W is square; on the others
        the shape would be wrong and any optimiser would fail at once, so they stay correct.
        "missing_sigma_prime": the hidden layers forget the factor sigma'(Z^(l)), i.e.
        Delta^(l) = Delta^(l+1) W^(l+1).
    output : {"sigmoid", "linear"}
        The output layer that :func:`mlp_forward` used.

    Returns
    -------
    grad_W, grad_b : lists of ndarray
        dL/dW^(l) and dL/db^(l) for l = 1..D (index 0 is layer 1).

    Notes
    -----
    .. math::
        \\Delta^{(D)} = \\frac{\\partial L}{\\partial A^{(D)}} \\odot \\sigma'(Z^{(D)}), \\quad
        \\Delta^{(l)} = (\\Delta^{(l+1)} W^{(l+1)}) \\odot \\sigma'(Z^{(l)}), \\quad
        \\frac{\\partial L}{\\partial W^{(l)}} = \\Delta^{(l)\\top} A^{(l-1)}, \\quad
        \\frac{\\partial L}{\\partial b^{(l)}} = \\mathbf{1}^\\top \\Delta^{(l)}

    (with a linear output, the factor sigma'(Z^(D)) is absent).

    Examples
    --------
    >>> from book.shared import WORKED as c
    >>> from book.ch05_backprop import mlp_forward, mlp_backward, half_mse
    >>> Ws, bs = [c.W1, c.W2], [c.b1, c.b2]
    >>> Z, A = mlp_forward(Ws, bs, c.x[None, :])
    >>> _, g = half_mse(A[-1], np.array([[c.y]]))
    >>> gW, gb = mlp_backward(Ws, Z, A, g)
    >>> gb[1].round(4)
    array([-0.0542])
    """
    where = "mlp_backward"
    if bug not in BUGS:
        raise ValueError(f"{where}: expected bug to be one of {BUGS}, got {bug!r}.")
    _check_output(output, where)
    D = len(weights)
    if len(Z) != D + 1 or len(A) != D + 1:
        raise ValueError(f"{where}: expected Z and A with {D + 1} entries (from mlp_forward), "
                         f"got {len(Z)} and {len(A)}.")
    dL_dA = as_array(dL_dA, where, dtype=np.float64, name="dL_dA")
    if dL_dA.shape != A[D].shape:
        raise ValueError(f"{where}: expected dL_dA of the output's shape {A[D].shape}, got "
                         f"{dL_dA.shape}.")
    grad_W, grad_b = [None] * D, [None] * D
    delta = dL_dA if output == "linear" else dL_dA * sigmoid_grad(Z[D])    # Delta^(D)
    for k in range(D, 0, -1):                                # k is the layer l
        W = weights[k - 1]
        if bug == "transposed_weight_grad" and W.shape[0] == W.shape[1]:
            grad_W[k - 1] = A[k - 1].T @ delta
        else:
            grad_W[k - 1] = delta.T @ A[k - 1]
        grad_b[k - 1] = delta.sum(axis=0)
        if k > 1:
            delta = delta @ W                                # dL/dA^(l-1)
            if bug != "missing_sigma_prime":
                delta = delta * sigmoid_grad(Z[k - 1])       # Delta^(l-1)
    return grad_W, grad_b


def layer_check(weights, biases, X, Y, bug=None, eps=1e-6):
    """Gradient check of :func:`mlp_backward` layer by layer, against central differences.

    Parameters
    ----------
    weights, biases : lists of ndarray
        The network (copied; the caller's arrays are not touched).
    X, Y : ndarray of shape (m, n_0) and (m, n_D)
    bug : as in :func:`mlp_backward`
    eps : float
        Finite-difference step.

    Returns
    -------
    list of dict
        One per layer l = 1..D: ``{"layer": l, "W": rel. error of dL/dW^(l), "b": rel. error
        of dL/db^(l)}`` with :func:`nnlib.gradcheck.rel_error`.

    Examples
    --------
    >>> from book.shared import WORKED as c
    >>> from book.ch05_backprop import layer_check
    >>> rows = layer_check([c.W1, c.W2], [c.b1, c.b2], c.x[None, :], [[1.0]])
    >>> max(max(r["W"], r["b"]) for r in rows) < 1e-7
    True
    """
    eps = check_positive(eps, "layer_check", "eps")
    Ws = [np.array(W, dtype=np.float64) for W in weights]
    bs = [np.array(b, dtype=np.float64) for b in biases]
    Y = as_array(Y, "layer_check", dtype=np.float64, name="Y")
    Z, A = mlp_forward(Ws, bs, X)
    _, g = half_mse(A[-1], Y)
    gW, gb = mlp_backward(Ws, Z, A, g, bug=bug)
    X = A[0]

    def loss(_):
        return _half_mse_unchecked(Ws, bs, X, Y)

    rows = []
    for k in range(len(Ws)):
        rows.append({"layer": k + 1,
                     "W": rel_error(gW[k], numerical_grad(loss, Ws[k], eps)),
                     "b": rel_error(gb[k], numerical_grad(loss, bs[k], eps))})
    return rows


# --------------------------------------------------------------------------------------------
# the payoff: digits
# --------------------------------------------------------------------------------------------
def draw_digit_predictions(images, labels, predicted, n=16, title=None) -> Figure:
    """A row-major grid of 8x8 digit images, each titled with the label a network predicted.

    Wrong predictions are titled in vermilion with the true label after them, and the grid
    shows every wrong prediction among the first ``n`` images it draws: the first
    ``n - k`` right ones and up to ``k = n // 4`` wrong ones, in the data's order.

    Parameters
    ----------
    images : ndarray of shape (m, 64) or (m, 8, 8)
        Pixels in [0, 1] (``nnlib.data.digits()``).
    labels, predicted : ndarray of shape (m,)
        True and predicted classes.
    n : int
        Number of images, a multiple of 8.
    title : str, optional
        Default: the accuracy over all m images.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from nnlib.data import digits
    >>> X, y = digits()
    >>> fig = draw_digit_predictions(X[:40], y[:40], y[:40], n=8)
    >>> len(fig.axes), fig.axes[0].get_title()
    (8, '0')
    >>> plt.close(fig)
    """
    where = "draw_digit_predictions"
    images = as_array(images, where, dtype=np.float64, name="images").reshape(-1, 8, 8)
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    n = check_int(n, where, "n", minimum=8)
    if n % 8 or len(images) < n or labels.shape != (len(images),) \
            or predicted.shape != (len(images),):
        raise ValueError(f"{where}: expected n a multiple of 8 and at least n images with one "
                         f"label and one prediction each, got n={n}, {len(images)} images, "
                         f"labels {labels.shape}, predictions {predicted.shape}.")
    wrong = np.flatnonzero(labels != predicted)[: n // 4]
    right = np.flatnonzero(labels == predicted)[: n - len(wrong)]
    shown = np.sort(np.concatenate([right, wrong]))
    rows = n // 8
    fig, axes = plt.subplots(rows, 8, figsize=(7.2, 1.15 * rows + 0.5), squeeze=False)
    for ax, i in zip(axes.ravel(), shown, strict=True):
        ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0)
        ok = labels[i] == predicted[i]
        ax.set_title(f"{predicted[i]}" if ok else f"{predicted[i]} (is {labels[i]})",
                     fontsize=11, color="#222222" if ok else COLORS[3])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if title is None:
        title = f"{np.mean(labels == predicted):.1%} of these digits are classified right"
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# the finite-difference step
# --------------------------------------------------------------------------------------------
def forward_difference_grad(f, x, eps=1e-8):
    """One-sided estimate (f(x + eps e_i) - f(x)) / eps of the gradient, for comparison.

    Its truncation error is of order eps (the central difference's is of order eps^2).
    ``x`` is perturbed in place and restored, as in :func:`nnlib.gradcheck.numerical_grad`.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a scalar.
    x : ndarray of float64
    eps : float

    Returns
    -------
    ndarray of the shape of x

    Examples
    --------
    >>> from book.ch05_backprop import forward_difference_grad
    >>> g = forward_difference_grad(lambda v: float(np.sum(v ** 2)), np.array([1.0]), 1e-3)
    >>> round(float(g[0]), 6)   # 2 + eps
    2.001
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("forward_difference_grad: expected x to be a float64 ndarray (it is "
                        f"perturbed in place), got {type(x).__name__}.")
    eps = check_positive(eps, "forward_difference_grad", "eps")
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    f0 = float(f(x))
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        grad.flat[i] = (float(f(x)) - f0) / eps
        flat[i] = old
    return grad


class EpsSweep(NamedTuple):
    """Relative error of finite-difference gradients against backprop, per step eps."""

    eps: np.ndarray
    central: np.ndarray
    forward: np.ndarray


def _check_net(sizes, m, seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
          for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [rng.normal(0.0, 0.5, size=n_out) for n_out in sizes[1:]]
    X = rng.normal(size=(m, sizes[0]))
    Y = rng.uniform(size=(m, sizes[-1]))
    return Ws, bs, X, Y


def eps_sweep(eps_values=None, sizes=(3, 4, 4, 4, 2), m=8, seed=0) -> EpsSweep:
    """Measure rel_error(backprop, finite differences) of a whole gradient for many eps.

    The network is a seeded sigmoid MLP with loss :func:`half_mse`; the gradient compared is
    all weights and biases together.

    Parameters
    ----------
    eps_values : array_like, optional
        Steps; default 10^-13 ... 10^-1, three per decade.
    sizes : sequence of int
        Layer widths n_0, ..., n_D.
    m : int
        Batch size.
    seed : int

    Returns
    -------
    EpsSweep

    Examples
    --------
    >>> from book.ch05_backprop import eps_sweep
    >>> s = eps_sweep([1e-6], sizes=(2, 3, 1), m=4)
    >>> bool(s.central[0] < 1e-7)
    True
    """
    if eps_values is None:
        eps_values = 10.0 ** (np.arange(-39, -2) / 3.0)
    eps_values = np.asarray(as_array(eps_values, "eps_sweep", dtype=np.float64,
                                     name="eps_values")).ravel()
    if eps_values.size == 0 or np.any(~(eps_values > 0)):
        raise ValueError(f"eps_sweep: expected positive steps, got {eps_values.tolist()}.")
    m = check_int(m, "eps_sweep", "m", minimum=1)
    Ws, bs, X, Y = _check_net(list(sizes), m, seed)
    Z, A = mlp_forward(Ws, bs, X)
    _, g = half_mse(A[-1], Y)
    gW, gb = mlp_backward(Ws, Z, A, g)
    exact = np.concatenate([a.ravel() for a in gW + gb])
    params = Ws + bs

    def loss(_):
        return _half_mse_unchecked(Ws, bs, X, Y)

    central, forward = [], []
    for eps in eps_values:
        c = np.concatenate([numerical_grad(loss, p, eps).ravel() for p in params])
        f = np.concatenate([forward_difference_grad(loss, p, eps).ravel() for p in params])
        central.append(rel_error(exact, c))
        forward.append(rel_error(exact, f))
    return EpsSweep(eps_values, np.array(central), np.array(forward))


def _slope(x, y, lo, hi):
    """Least-squares slope of log10(y) against log10(x) over lo <= x <= hi."""
    keep = (x >= lo) & (x <= hi)
    return float(np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)[0])


def draw_eps_sweep(sweep: EpsSweep) -> Figure:
    """Log-log plot of an :class:`EpsSweep` with eps^2, eps and 1/eps guide lines.

    Parameters
    ----------
    sweep : EpsSweep

    Returns
    -------
    Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch05_backprop import eps_sweep, draw_eps_sweep
    >>> fig = draw_eps_sweep(eps_sweep([1e-8, 1e-6, 1e-4], sizes=(2, 2, 1), m=2))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    >>> plt.close(fig)
    """
    if not isinstance(sweep, EpsSweep):
        raise TypeError(f"draw_eps_sweep: expected an EpsSweep (from eps_sweep), got "
                        f"{type(sweep).__name__}.")
    e, c, f = sweep.eps, sweep.central, sweep.forward
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    ax.loglog(e, c, "o-", color=COLORS[0], ms=4, label="central difference")
    ax.loglog(e, f, "s-", color=COLORS[1], ms=3.5, label="forward difference")
    best = int(np.argmin(c))
    # guide lines through a measured point of each regime
    big = e >= 1e-3
    if big.any():
        i = int(np.flatnonzero(big)[0])
        ax.loglog(e[big], c[i] * (e[big] / e[i]) ** 2, "--", color="#555555", lw=1.2)
        ax.text(e[big][-1], c[i] * (e[big][-1] / e[i]) ** 2, r"  $\propto\epsilon^2$",
                va="center", fontsize=10)
        ax.loglog(e[big], f[i] * (e[big] / e[i]), ":", color="#555555", lw=1.2)
        ax.text(e[big][-1], f[i] * (e[big][-1] / e[i]), r"  $\propto\epsilon$", va="center",
                fontsize=10)
    small = e <= 1e-10
    if small.any():
        j = int(np.flatnonzero(small)[-1])
        ax.loglog(e[small], c[j] * e[j] / e[small], "-.", color="#555555", lw=1.2)
        ax.text(e[small][0], c[j] * e[j] / e[small][0] * 1.8, r"$\propto 1/\epsilon$",
                ha="left", va="bottom", fontsize=10)
    ax.axhline(1e-7, color=COLORS[3], lw=1.0, ls="--")
    ax.text(e[0], 7e-8, "passing: below 1e-7", color=COLORS[3], fontsize=10,
            va="top")
    ax.axvline(1e-6, color="#999999", lw=1.0, ls=":")
    ax.text(1.2e-6, c.min() / 4, "nnlib's default\nstep 1e-6", color="#555555", fontsize=10,
            va="top")
    ax.plot([e[best]], [c[best]], "*", color=COLORS[3], ms=14, zorder=5,
            label=f"best central step, eps = {e[best]:.0e}")
    ax.set_xlabel(r"finite-difference step $\epsilon$")
    ax.set_ylabel("relative error vs backprop")
    ax.set_ylim(bottom=c.min() / 60)
    ax.set_title(r"Central differences: truncation falls as $\epsilon^2$, round-off grows as "
                 r"$1/\epsilon$")
    ax.legend(loc="upper center", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# what a gradient costs
# --------------------------------------------------------------------------------------------
class GradientCost(NamedTuple):
    """Seconds per gradient by central differences and by backprop, per network size."""

    n_params: np.ndarray
    numeric: np.ndarray
    backprop: np.ndarray
    forward: np.ndarray


def _cost_of_one_width(h, X, Y, loss_fn, seed, repeats):
    net = mlp([2, h, h, 1], "tanh", rng=seed)

    def loss(_=None):
        return loss_fn(net(X), Y)

    def backprop():
        loss()
        net.zero_grad()
        net.backward(loss_fn.backward())

    backprop()
    t_bp = median_time(backprop, repeats)
    t_fw = median_time(loss, repeats)
    t = time.perf_counter()
    for p in net.parameters():
        numerical_grad(loss, p.data)
    t_num = time.perf_counter() - t
    return sum(p.size for p in net.parameters()), t_num, t_bp, t_fw


def gradient_cost(widths=(4, 8, 16, 32, 64), m=16, seed=0, repeats=5) -> GradientCost:
    """Time one gradient of a tanh MLP [2, h, h, 1] on moons, both ways, for each width h.

    Central differences need 2 forward passes per parameter; backprop one forward and one
    backward pass. numpy's BLAS is held to one thread so that both use the same resources.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths h.
    m : int
        Batch size.
    seed : int
    repeats : int
        Backprop and the forward pass are timed ``repeats`` times (median); central
        differences once.

    Returns
    -------
    GradientCost

    Examples
    --------
    >>> from book.ch05_backprop import gradient_cost
    >>> c = gradient_cost(widths=(2, 4), m=4, repeats=1)
    >>> c.n_params.tolist()
    [15, 37]
    """
    m = check_int(m, "gradient_cost", "m", minimum=1)
    repeats = check_int(repeats, "gradient_cost", "repeats", minimum=1)
    X, y = moons(m, rng=seed)
    Y = y[:, None].astype(np.float64)
    loss_fn = BCEWithLogitsLoss()
    widths = [check_int(h, "gradient_cost", "every width", minimum=1) for h in widths]
    with one_blas_thread():
        rows = [_cost_of_one_width(h, X, Y, loss_fn, seed, repeats) for h in widths]
    n, tn, tb, tf = (np.array(c) for c in zip(*rows, strict=True))
    return GradientCost(n.astype(int), tn, tb, tf)


def draw_gradient_cost(cost: GradientCost) -> Figure:
    """Seconds per gradient against the number of parameters, log-log.

    Parameters
    ----------
    cost : GradientCost

    Returns
    -------
    Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch05_backprop import gradient_cost, draw_gradient_cost
    >>> fig = draw_gradient_cost(gradient_cost(widths=(2, 4), m=4, repeats=1))
    >>> fig.axes[0].get_xlabel()
    'number of parameters P'
    >>> plt.close(fig)
    """
    if not isinstance(cost, GradientCost):
        raise TypeError(f"draw_gradient_cost: expected a GradientCost (from gradient_cost), "
                        f"got {type(cost).__name__}.")
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    ms = 1e3
    ax.loglog(cost.n_params, cost.numeric * ms, "o-", color=COLORS[3],
              label="central differences (2P forward passes)")
    ax.loglog(cost.n_params, cost.backprop * ms, "s-", color=COLORS[0],
              label="backpropagation (1 forward + 1 backward)")
    ax.loglog(cost.n_params, cost.forward * ms, "^:", color="#777777", label="one forward pass")
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("time per gradient (ms, log scale)")
    ratio = cost.numeric[-1] / cost.backprop[-1]
    ax.set_title(f"At P = {cost.n_params[-1]:,}, nudging weights is {ratio:,.0f}x slower "
                 f"than backprop")
    ax.legend(loc="upper left", fontsize=10)
    return fig


def time_forward_backward(sizes=(512, 512, 512, 512, 10), m=128, repeats=21, seed=0):
    """Median time of a forward pass and of a forward + backward pass of a ReLU MLP.

    The two are timed alternately, with numpy's BLAS held to one thread; the loss is the
    cross-entropy on random class labels. The ratio is the median of the ratios of each
    forward + backward run to the forward run just before it: neighbouring runs see the same
    load, so a busy machine (other processes, CPU frequency changes) disturbs it little.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths n_0, ..., n_D.
    m : int
        Batch size.
    repeats : int
    seed : int

    Returns
    -------
    dict
        ``forward`` and ``forward_backward`` (seconds, medians), ``ratio`` (the median of the
        paired ratios), ``n_params`` and ``flop_ratio`` = 3, the ratio of the matrix-product
        floating point operations (forward 2 m n_l n_(l-1) per layer, backward twice that).

    Examples
    --------
    >>> from book.ch05_backprop import time_forward_backward
    >>> r = time_forward_backward((8, 8, 2), m=4, repeats=3)
    >>> r["n_params"], r["flop_ratio"]
    (90, 3.0)
    """
    where = "time_forward_backward"
    m = check_int(m, where, "m", minimum=1)
    repeats = check_int(repeats, where, "repeats", minimum=1)
    sizes = [check_int(s, where, "every layer size", minimum=1) for s in sizes]
    rng = np.random.default_rng(seed)
    net = mlp(sizes, "relu", rng=rng)
    X = rng.normal(size=(m, sizes[0]))
    y = rng.integers(0, sizes[-1], size=m)
    loss_fn = CrossEntropyLoss()

    def forward():
        loss_fn(net(X), y)

    def forward_backward():
        loss_fn(net(X), y)
        net.zero_grad()
        net.backward(loss_fn.backward())

    fw, fb = [], []
    with one_blas_thread():
        forward()
        forward_backward()
        for _ in range(repeats):
            t = time.perf_counter()
            forward()
            fw.append(time.perf_counter() - t)
            t = time.perf_counter()
            forward_backward()
            fb.append(time.perf_counter() - t)
    f, b = float(np.median(fw)), float(np.median(fb))
    ratio = float(np.median(np.array(fb) / np.array(fw)))
    return {"forward": f, "forward_backward": b, "ratio": ratio,
            "n_params": sum(p.size for p in net.parameters()), "flop_ratio": 3.0}


# --------------------------------------------------------------------------------------------
# gradient flow through depth (the chapter's live experiment)
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _flow_data(n=200, seed=0):
    X, y = moons(n, noise=0.1, rng=seed)
    X.setflags(write=False)
    return X, y[:, None].astype(np.float64)


@functools.lru_cache(maxsize=512)
def _flow_norms(depth, activation, width, seed):
    X, Y = _flow_data()
    net = mlp([2] + [width] * (depth - 1) + [1], activation, rng=seed)
    norms = layer_grad_norms(net, X, Y, BCEWithLogitsLoss())     # one forward, one backward
    out = np.fromiter(norms.values(), dtype=np.float64, count=depth)
    out.setflags(write=False)
    return out


def gradient_flow(depth=10, activation="sigmoid", width=32, seed=0) -> np.ndarray:
    """Norm of dL/dW^(l) in every layer of a fresh MLP after one backward pass on moons.

    The network is ``mlp([2] + [width] * (depth - 1) + [1], activation)`` with nnlib's
    default initialisation (Xavier for sigmoid and tanh, He for ReLU and GELU; Chapter 11),
    the batch is 200 moons points (seed 0), the loss the binary cross-entropy on the logit.
    The norms are measured by :func:`nnlib.train.layer_grad_norms`.

    Parameters
    ----------
    depth : int
        D, the number of weight layers, 2 to 50.
    activation : {"sigmoid", "tanh", "relu", "gelu"}
    width : int
        Hidden units per layer.
    seed : int
        Seed of the initial weights.

    Returns
    -------
    ndarray of shape (depth,)
        ||dL/dW^(l)|| (Frobenius norm) for l = 1, ..., D, layer 1 (next to the input) first.

    See Also
    --------
    GradientFlow : the live figure. Chapter 10 (Vanishing and exploding gradients) explains
    these curves.

    Examples
    --------
    >>> from book.ch05_backprop import gradient_flow
    >>> g = gradient_flow(6, "sigmoid")
    >>> g.shape, bool(g[0] < g[-1])
    ((6,), True)
    """
    where = "gradient_flow"
    depth = check_int(depth, where, "depth", minimum=2)
    if depth > 50:
        raise ValueError(f"{where}: expected depth between 2 and 50, got {depth}.")
    if activation not in FLOW_ACTIVATIONS:
        raise ValueError(f"{where}: expected activation to be one of {FLOW_ACTIVATIONS}, got "
                         f"{activation!r}.")
    width = check_int(width, where, "width", minimum=1)
    seed = check_int(seed, where, "seed", minimum=0)
    return _flow_norms(depth, activation, width, seed).copy()


def _fmt_ratio(r):
    """0.35 or 2.1 as such; 4.4e-06 in scientific notation."""
    return f"{r:.2g}" if 1e-2 <= r < 1e3 else f"{r:.1e}"


#: marker, line style and the marker's character for the notes, per activation
_FLOW_STYLES = {"sigmoid": ("o", "-", "\u25cf"), "tanh": ("s", "--", "\u25a0"),
                "relu": ("^", "-.", "\u25b2"), "gelu": ("D", ":", "\u25c6")}


class GradientFlow(live.LiveFigure):
    """The chapter's live experiment: ||dL/dW^(l)|| against l for one depth, any activations.

    Controls: ``depth`` (2 to 30) and ``activations`` (a :class:`book.live.Pick` of
    :data:`FLOW_ACTIVATIONS`). Both axes are the same for every setting (layers 1 to 30,
    :data:`FLOW_YLIM`), so that frames compare and a move only redraws the curves: a deeper
    network's curves reach further right. Each activation has its curve and, in the lower
    right, a note with the ratio of layer 1's gradient norm to layer D's (short, because text
    is what a move spends most of its time drawing); both show only when the activation is
    picked.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(GradientFlow())
    >>> png = r.png({"depth": 6, "activations": ("sigmoid",)})
    >>> r.live.notes["sigmoid"].get_text()
    '\u25cf sigmoid: 6.9e-04'
    >>> r.close()
    """

    size = (6.6, 4.2)

    def build(self, fig, depth, activations):
        ax = fig.add_subplot()
        ax.set_yscale("log")
        ax.set_ylim(*FLOW_YLIM)
        ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-20, 1, 5)))
        ax.yaxis.set_minor_locator(NullLocator())     # 21 decades: minor ticks only clutter
        ax.set_xlim(0.5, FLOW_MAX_DEPTH + 0.5)
        ax.set_xticks([1, 5, 10, 15, 20, 25, 30])
        ax.set_xlabel("layer $l$ (1 = next to the input; the last layer is $D$)")
        ax.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ (log scale)")
        ax.set_title("How much gradient reaches each layer")
        self.ax = ax
        self.lines, self.notes = {}, {}
        n = len(FLOW_ACTIVATIONS)
        ax.text(0.985, 0.04 + 0.075 * n, "layer 1 / layer D", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=10.5, color="#333333")
        for k, act in enumerate(FLOW_ACTIVATIONS):
            marker, style, _ = _FLOW_STYLES[act]
            self.lines[act], = ax.plot([], [], marker=marker, ls=style, color=COLORS[k], ms=4.5,
                                       lw=1.8, zorder=3)
            self.notes[act] = ax.text(0.985, 0.04 + 0.075 * (n - 1 - k), "",
                                      transform=ax.transAxes, ha="right", va="bottom",
                                      color=COLORS[k], fontsize=10.5, zorder=4)
        self.animate(*self.lines.values(), *self.notes.values())

    def update(self, depth, activations):
        depth = int(depth)
        layers = np.arange(1, depth + 1)
        for act in FLOW_ACTIVATIONS:
            norms = _flow_norms(depth, act, 32, 0)
            picked = act in activations
            self.lines[act].set_data(layers, norms)
            self.lines[act].set_visible(picked)
            self.notes[act].set_text(f"{_FLOW_STYLES[act][2]} {act}: "
                                     f"{_fmt_ratio(norms[0] / norms[-1])}")
            self.notes[act].set_visible(picked)

    def describe(self, depth, activations):
        # the same text whatever is picked: on the website it describes the base frame, over
        # which the picked activations' layers are shown
        parts = [f"{act} {_fmt_ratio(g[0] / g[-1])}" for act in FLOW_ACTIVATIONS
                 for g in [_flow_norms(int(depth), act, 32, 0)]]
        return (f"Per-layer gradient norms of untrained networks of depth {depth} (32 units "
                f"per hidden layer, one backward pass on 200 moons points, log scale). Layer "
                f"1's gradient norm divided by layer {depth}'s: " + ", ".join(parts) + ".")


def gradient_flow_experiment() -> live.Experiment:
    """The chapter's interactive experiment: :class:`GradientFlow` with its controls.

    Move the depth and pick the activations to compare. On the website: even depths 2 to 30,
    each activation a layer that the check boxes show or hide.
    """
    return live.Experiment(
        "gradient-flow", GradientFlow(),
        title="How gradients flow back through depth",
        caption=("The norm of each layer's weight gradient after one backward pass through an "
                 "untrained network (log scale); the notes give layer 1's share of the last "
                 "layer's gradient."),
        controls=dict(
            depth=live.IntSlider(2, FLOW_MAX_DEPTH, value=12, label="depth D",
                                 web=range(2, FLOW_MAX_DEPTH + 1, 2)),
            activations=live.Pick(list(FLOW_ACTIVATIONS), tuple(FLOW_ACTIVATIONS),
                                  label="activations")))


def draw_gradient_flow_depths(depths=(6, 20), activations=FLOW_ACTIVATIONS) -> Figure:
    """The static version of the experiment: :class:`GradientFlow` for a few depths, stacked.

    Parameters
    ----------
    depths : sequence of int
        One panel per depth (2 to 30).
    activations : sequence of str
        The activations drawn in every panel.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_gradient_flow_depths((3, 5), ("sigmoid", "relu"))
    >>> len(fig.axes), len(fig.axes[1].lines[0].get_xdata())
    (2, 5)
    >>> fig.subfigs[1]._suptitle.get_text()
    'A network of depth D = 5'
    >>> plt.close(fig)
    """
    depths = [check_int(d, "draw_gradient_flow_depths", "every depth", minimum=2)
              for d in depths]
    if not depths or max(depths) > FLOW_MAX_DEPTH:
        raise ValueError(f"draw_gradient_flow_depths: expected one or more depths from 2 to "
                         f"{FLOW_MAX_DEPTH}, got {depths}.")
    picked = tuple(activations)
    unknown = [a for a in picked if a not in FLOW_ACTIVATIONS]
    if unknown:
        raise ValueError(f"draw_gradient_flow_depths: expected activations among "
                         f"{FLOW_ACTIVATIONS}, got {unknown}.")
    return live.small_multiples(GradientFlow(), [{"depth": d, "activations": picked}
                                                 for d in depths], ncols=1,
                                titles=[f"A network of depth D = {d}" for d in depths])


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (gradient_flow_experiment,)
