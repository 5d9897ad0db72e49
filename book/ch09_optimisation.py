"""Experiments and figures of Chapter 9 (Optimisation).

The chapter's surfaces, measurements and figures live here, so that the notebook stays short
and the live experiment can be timed and tested without a widget:

- :class:`Surface`, :func:`quadratic_surface`, :func:`rosenbrock_surface`, :data:`SURFACES`:
  the two-dimensional loss surfaces (an ill-conditioned quadratic and Rosenbrock's valley);
  :func:`two_wells` is the non-convex one with a saddle.
- :func:`make_optimizer` and :func:`optimiser_path`: run an :mod:`nnlib.optim` optimiser on a
  surface, one :class:`nnlib.core.Parameter` of two numbers; :func:`spectral_radius` is the
  per-step contraction of gradient descent, heavy-ball and Nesterov momentum on a quadratic.
- :class:`OptimiserPaths` and :func:`optimiser_paths_experiment`: the live experiment (the
  path on the contours and the loss against the steps); :func:`draw_paths` its small
  multiples.
- :func:`lr_sweep` and :func:`draw_learning_rates`: gradient descent below, near and above
  the critical rate 2 / lambda_max.
- :func:`per_example_gradients`, :func:`minibatch_noise`, :func:`noise_floor` and
  :func:`draw_gradient_noise`: how noisy a mini-batch gradient is, and what the noise costs.
- :func:`descend_two_wells` and :func:`draw_nonconvex`: basins, a saddle and its plateau.
- :func:`steps_to_converge` and :func:`draw_momentum_rates`: why momentum helps.
- :func:`adam_moments`, :func:`adam_step_sizes` and :func:`draw_adam_early`: the bias
  correction and why warmup helps Adam.
- :func:`decay_runs` and :func:`draw_decay`: weight decay inside Adam (L2) against AdamW.
- :func:`draw_schedules`: every learning-rate schedule, closed form against nnlib.
- :func:`digits_runs` and :func:`draw_digits_training`: optimisers on the 8x8 digits.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from nnlib._checks import as_array, check_choice, check_int, check_nonnegative, check_positive
from nnlib.core import Parameter
from nnlib.optim import SGD, Adam, RMSprop
from nnlib.plot import COLORS

from . import live

__all__ = [
    "Surface", "quadratic_surface", "rosenbrock_surface", "SURFACES", "OPTIMISERS",
    "PATH_STEPS", "make_optimizer", "Path", "optimiser_path", "spectral_radius",
    "draw_contours", "OptimiserPaths", "optimiser_paths_experiment", "draw_paths",
    "LRSweep", "gd_closed_form", "lr_sweep", "draw_learning_rates",
    "per_example_gradients", "MinibatchNoise", "minibatch_noise", "NoiseFloor", "noise_floor",
    "draw_gradient_noise",
    "WELLS_TILT", "WELLS_K", "two_wells", "two_wells_grad", "wells_critical_points",
    "descend_two_wells", "draw_nonconvex",
    "steps_to_converge", "draw_momentum_rates",
    "AdamMoments", "adam_moments", "adam_step_sizes", "first_layer_update_ratios",
    "draw_adam_early",
    "digits_split", "blank_pixels", "DecayRun", "DECAY_RUNS", "decay_runs", "draw_decay",
    "draw_schedules", "DIGITS_RUNS", "digits_runs", "draw_digits_training",
    "EXPERIMENTS",
]


# --------------------------------------------------------------------------------------------
# loss surfaces in two dimensions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    """A loss function of two parameters, with what the figures need to draw it.

    Attributes
    ----------
    name, label : str
        A key (``"quadratic"``) and the words the figures use.
    f : callable
        ``f(theta)`` for ``theta`` of shape (..., 2): the loss, of shape (...).
    grad : callable
        ``grad(theta)`` for ``theta`` of shape (2,): the gradient, shape (2,).
    minimum : ndarray of shape (2,)
        The minimiser; ``f_min`` is the loss there.
    hessian : ndarray of shape (2, 2)
        The Hessian at the minimum (for the quadratic, everywhere).
    start : ndarray of shape (2,)
        Where every path starts.
    xlim, ylim : (float, float)
        The drawn window.
    """

    name: str
    label: str
    f: object
    grad: object
    minimum: np.ndarray
    f_min: float
    hessian: np.ndarray
    start: np.ndarray
    xlim: tuple
    ylim: tuple

    @property
    def eigenvalues(self) -> np.ndarray:
        """The Hessian's eigenvalues at the minimum, largest first."""
        return np.linalg.eigvalsh(self.hessian)[::-1]

    @property
    def eigenvectors(self) -> np.ndarray:
        """Columns: the unit eigenvectors of the Hessian at the minimum, largest first."""
        return np.linalg.eigh(self.hessian)[1][:, ::-1]


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def quadratic_surface(lambdas=(1.0, 0.01), angle=20.0) -> Surface:
    """The quadratic ``f(theta) = 1/2 theta^T H theta`` with eigenvalues ``lambdas``.

    Parameters
    ----------
    lambdas : (float, float)
        The curvatures lambda_max >= lambda_min > 0 along the two eigenvectors.
    angle : float
        The direction of the shallow eigenvector (lambda_min), in degrees from the x axis; the
        steep one is perpendicular to it.

    Returns
    -------
    Surface
        Minimum at the origin, f* = 0; the path starts at -2.6 (shallow) + 0.9 (steep).

    Examples
    --------
    >>> q = quadratic_surface()
    >>> q.eigenvalues.round(6).tolist(), float(q.f(q.minimum))
    ([1.0, 0.01], 0.0)
    """
    lam_max, lam_min = (check_positive(v, "quadratic_surface", "lambdas") for v in lambdas)
    if lam_min > lam_max:
        raise ValueError(f"quadratic_surface: expected lambdas = (lambda_max, lambda_min) with "
                         f"lambda_max >= lambda_min, got {tuple(lambdas)}.")
    phi = math.radians(angle)
    shallow = np.array([math.cos(phi), math.sin(phi)])
    steep = np.array([-math.sin(phi), math.cos(phi)])
    H = lam_max * np.outer(steep, steep) + lam_min * np.outer(shallow, shallow)
    H = _frozen((H + H.T) / 2)

    def f(theta):
        theta = np.asarray(theta, dtype=np.float64)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, H, theta)

    def grad(theta):
        return H @ theta

    return Surface("quadratic", "ill-conditioned quadratic", f, grad, _frozen([0.0, 0.0]), 0.0,
                   H, _frozen(-2.6 * shallow + 0.9 * steep), (-3.2, 3.2), (-1.9, 1.9))


def rosenbrock_surface(b=100.0) -> Surface:
    """Rosenbrock's valley ``((1 - x)^2 + b (y - x^2)^2) / s``, scaled so that lambda_max = 1.

    The factor ``1 / s`` (``s`` the largest eigenvalue of the Hessian at the minimum (1, 1),
    about 1001.6 for b = 100) gives it the same sharpest curvature at the minimum as the
    quadratic, so one learning-rate scale suits both surfaces. The path starts at
    (-1.2, 1), Rosenbrock's own starting point.

    Examples
    --------
    >>> r = rosenbrock_surface()
    >>> float(r.f(r.minimum)), round(float(r.eigenvalues[0]), 12)
    (0.0, 1.0)
    >>> round(float(r.eigenvalues[0] / r.eigenvalues[1]))       # the condition number
    2508
    """
    b = check_positive(b, "rosenbrock_surface", "b")
    H_raw = np.array([[2.0 + 8.0 * b, -4.0 * b], [-4.0 * b, 2.0 * b]])
    s = float(np.linalg.eigvalsh(H_raw).max())

    def f(theta):
        theta = np.asarray(theta, dtype=np.float64)
        x, y = theta[..., 0], theta[..., 1]
        return ((1.0 - x) ** 2 + b * (y - x * x) ** 2) / s

    def grad(theta):
        x, y = theta
        r = y - x * x
        return np.array([-2.0 * (1.0 - x) - 4.0 * b * x * r, 2.0 * b * r]) / s

    return Surface("rosenbrock", "Rosenbrock valley", f, grad, _frozen([1.0, 1.0]), 0.0,
                   _frozen(H_raw / s), _frozen([-1.2, 1.0]), (-2.0, 2.0), (-0.9, 2.9))


#: The live experiment's surfaces.
SURFACES = {"quadratic": quadratic_surface(), "rosenbrock": rosenbrock_surface()}

#: The live experiment's optimisers: key -> label.
OPTIMISERS = {"momentum": "SGD + momentum", "nesterov": "Nesterov", "rmsprop": "RMSprop",
              "adam": "Adam"}

#: Steps of the live experiment's paths on each surface.
PATH_STEPS = {"quadratic": 300, "rosenbrock": 500}


# --------------------------------------------------------------------------------------------
# running an optimiser on a surface
# --------------------------------------------------------------------------------------------
def make_optimizer(name, params, lr, momentum=0.0):
    """The nnlib optimiser ``name`` with learning rate ``lr`` and momentum ``momentum``.

    Parameters
    ----------
    name : {"momentum", "nesterov", "rmsprop", "adam"}
        ``SGD(momentum=mu)`` (mu = 0: plain gradient descent), ``SGD(momentum=mu,
        nesterov=True)`` (mu = 0: plain gradient descent, which it equals), ``RMSprop(
        momentum=mu)`` or ``Adam(betas=(mu, 0.999))``.
    params : list of Parameter
    lr, momentum : float

    Returns
    -------
    nnlib.optim.Optimizer

    Examples
    --------
    >>> make_optimizer("adam", [Parameter([0.0, 0.0])], lr=0.1, momentum=0.8)
    Adam(lr=0.1, betas=(0.8, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False, parameters=1)
    """
    name = check_choice(name, tuple(OPTIMISERS), "make_optimizer", "name")
    if name == "momentum" or (name == "nesterov" and momentum == 0):
        return SGD(params, lr=lr, momentum=momentum)
    if name == "nesterov":
        return SGD(params, lr=lr, momentum=momentum, nesterov=True)
    if name == "rmsprop":
        return RMSprop(params, lr=lr, momentum=momentum)
    return Adam(params, lr=lr, betas=(momentum, 0.999))


class Path(NamedTuple):
    """A run of an optimiser on a surface.

    Attributes
    ----------
    points : ndarray of shape (k + 1, 2)
        theta_0 (the start), ..., theta_k.
    gaps : ndarray of shape (k + 1,)
        f(theta_t) - f*, the distance to the minimum's loss.
    diverged_at : int or None
        The step after which theta left the window 1e6 or became non-finite (then
        k = diverged_at and the last point is the first one outside), else None.
    """

    points: np.ndarray
    gaps: np.ndarray
    diverged_at: int | None

    def first_below(self, tol) -> int | None:
        """The first step t with f(theta_t) - f* < tol, or None."""
        hit = np.flatnonzero(self.gaps < tol)
        return int(hit[0]) if hit.size else None


@functools.lru_cache(maxsize=1024)
def _path(surface, optimiser, lr, momentum, steps):
    s = SURFACES[surface]
    p = Parameter(np.array(s.start))
    opt = make_optimizer(optimiser, [p], lr, momentum)
    points = np.empty((steps + 1, 2))
    points[0] = s.start
    diverged = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            p.grad[...] = s.grad(p.data)
            opt.step()
            points[t] = p.data
            if not (np.all(np.isfinite(p.data)) and np.abs(p.data).max() < 1e6):
                diverged = t
                points = points[:t + 1]
                break
        gaps = np.maximum(s.f(points) - s.f_min, 0.0)
    gaps[~np.isfinite(gaps)] = np.inf
    points.setflags(write=False)
    gaps.setflags(write=False)
    return Path(points, gaps, diverged)


def optimiser_path(surface="quadratic", optimiser="momentum", lr=1.0, momentum=0.0,
                   steps=None) -> Path:
    """Run an nnlib optimiser for ``steps`` steps on one of :data:`SURFACES`.

    The parameters are one :class:`nnlib.core.Parameter` of shape (2,) starting at the
    surface's ``start``; each step sets its ``grad`` to the exact gradient and calls
    ``optimizer.step()``. Results are cached (the arrays are read-only).

    Parameters
    ----------
    surface : {"quadratic", "rosenbrock"}
    optimiser : {"momentum", "nesterov", "rmsprop", "adam"}
        See :func:`make_optimizer`.
    lr : float
        The learning rate eta > 0.
    momentum : float in [0, 1)
        mu (Adam: beta_1).
    steps : int, optional
        Default: the surface's :data:`PATH_STEPS`.

    Returns
    -------
    Path

    Examples
    --------
    Gradient descent on the quadratic, at the critical rate 2 / lambda_max = 2 and above:

    >>> optimiser_path("quadratic", "momentum", lr=1.9).diverged_at is None
    True
    >>> optimiser_path("quadratic", "momentum", lr=2.1).diverged_at
    147
    """
    where = "optimiser_path"
    surface = check_choice(surface, tuple(SURFACES), where, "surface")
    optimiser = check_choice(optimiser, tuple(OPTIMISERS), where, "optimiser")
    lr = check_positive(lr, where, "lr")
    momentum = check_nonnegative(momentum, where, "momentum")
    if momentum >= 1:
        raise ValueError(f"{where}: expected momentum in [0, 1), got {momentum}.")
    steps = PATH_STEPS[surface] if steps is None else check_int(steps, where, "steps",
                                                                    minimum=1)
    return _path(surface, optimiser, float(lr), float(momentum), steps)


def spectral_radius(eta_lambda, momentum=0.0, nesterov=False):
    """How much one step multiplies the error along an eigenvector of a quadratic (at worst).

    Gradient descent multiplies the component along an eigenvector of curvature lambda by
    ``1 - eta lambda``. With momentum the step is a linear map of two numbers (the component
    and the velocity) whose eigenvalues solve

    - heavy ball: ``r^2 - (1 + mu - eta lambda) r + mu = 0``;
    - Nesterov:   ``r^2 - (1 + mu)(1 - eta lambda) r + mu (1 - eta lambda) = 0``;

    and the error shrinks like the larger ``|r|`` to the power t.

    Parameters
    ----------
    eta_lambda : float or array_like
        eta * lambda.
    momentum : float
        mu >= 0 (0: gradient descent).
    nesterov : bool

    Returns
    -------
    float or ndarray
        The spectral radius max |r|; below 1 means convergence along that direction.

    Examples
    --------
    >>> spectral_radius([0.5, 2.0, 2.5])
    array([0.5, 1. , 1.5])
    >>> round(float(spectral_radius(0.01, momentum=0.9)), 4)       # sqrt(0.9) = 0.9487
    0.9487
    >>> round(float(spectral_radius(2 * (1 + 0.9), momentum=0.9)), 12)    # the heavy ball's limit
    1.0
    """
    x = np.asarray(eta_lambda, dtype=np.float64)
    mu = check_nonnegative(momentum, "spectral_radius", "momentum")
    if nesterov:
        b, c = (1.0 + mu) * (1.0 - x), mu * (1.0 - x)
    else:
        b, c = 1.0 + mu - x, np.full_like(x, mu)
    disc = (b * b - 4.0 * c).astype(np.complex128)
    root = np.sqrt(disc)
    r = np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0))
    return float(r) if r.ndim == 0 else r


# --------------------------------------------------------------------------------------------
# the live experiment: optimiser paths on a surface
# --------------------------------------------------------------------------------------------
_CONTOUR_CMAP = LinearSegmentedColormap.from_list("ch09_contours", ["#a9c4df", "#ffffff"])
#: The loss panel's y range on each surface (fixed, so that frames compare).
_GAP_YLIM = {"quadratic": (1e-16, 1e2), "rosenbrock": (1e-10, 1e0)}
_TOL = 1e-8


def draw_contours(ax, s: Surface, levels=None):
    """Log-spaced filled contours of f - f* and their lines on ``ax`` (a static background)."""
    x = np.linspace(*s.xlim, 241)
    y = np.linspace(*s.ylim, 241)
    T = np.stack(np.meshgrid(x, y), axis=-1)
    F = s.f(T) - s.f_min
    if levels is None:
        levels = np.logspace(-5, 2, 15)
    low = F.min()
    ax.contourf(x, y, F - low + 1e-12, levels=np.r_[1e-12, levels - low + 1e-12],
                norm=LogNorm(levels[0] - low + 1e-12, levels[-1] - low + 1e-12),
                cmap=_CONTOUR_CMAP, extend="max")
    ax.contour(x, y, F, levels=levels, colors="#8c8c8c", linewidths=0.6)
    ax.set_xlim(*s.xlim)
    ax.set_ylim(*s.ylim)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.grid(False)


def _fmt_gap(v):
    """2.3e−6 (with a minus sign, like the rest of the figure's text)."""
    exp = int(math.floor(math.log10(v)))
    return f"{v / 10 ** exp:.1f}e{exp}".replace("-", "\u2212")


def _summary(path: Path, short=False):
    """How the run ended, in words (``short``: the figure's note, fewer glyphs to draw)."""
    if path.diverged_at is not None:
        return f"diverged at step {path.diverged_at}"
    hit = path.first_below(_TOL)
    if hit is not None:
        return (f"below 1e−8 at step {hit}" if short
                else f"f − f* < 1e−8 at step {hit}")
    gap = _fmt_gap(max(path.gaps[-1], 1e-300))
    steps = len(path.gaps) - 1
    return (f"gap {gap} after {steps} steps" if short
            else f"after {steps} steps: f − f* = {gap}")


def _theory(surface, optimiser, lr, momentum):
    """The contraction per step of (heavy-ball or Nesterov) momentum on the quadratic."""
    if surface != "quadratic" or optimiser not in ("momentum", "nesterov"):
        return None
    lams = SURFACES[surface].eigenvalues
    return max(spectral_radius(lr * lam, momentum, nesterov=optimiser == "nesterov")
               for lam in lams)


def _theory_offset(gaps, rho):
    """log C for the theory line C rho^(2t): the upper envelope of the second half of a
    converging run (the theory is asymptotic), or the start of a diverging one."""
    t = np.arange(len(gaps))
    late = (t >= len(gaps) // 2) & (gaps > 0) & np.isfinite(gaps)
    if rho >= 1 or rho <= 0 or not late.any():
        return float(np.log(max(gaps[0], 1e-300)))
    return float(np.max(np.log(gaps[late]) - 2.0 * t[late] * np.log(rho)))


def _positive(v):
    """Log-scale data: exact zeros become tiny (drawn below the axes, not at a floor)."""
    return np.where(v > 0, v, 1e-300)


class OptimiserPaths(live.LiveFigure):
    """The chapter's live experiment: an optimiser's path on a surface, and its loss.

    Controls: ``lr`` (the learning rate eta), ``momentum`` (mu; Adam's beta_1),
    ``optimiser`` (one of :data:`OPTIMISERS`) and ``surface`` (one of :data:`SURFACES`;
    a new figure). Left: the contours of the loss (log-spaced levels of f - f*) and the
    path of :data:`PATH_STEPS` steps from the marked start. Right: f - f* against the step
    on a log scale and, on the quadratic, the part of it along each eigenvector of the
    Hessian, ``lambda_i (u_i . theta)^2 / 2``. For gradient descent and (heavy-ball or
    Nesterov) momentum on the quadratic, a dash-dotted line shows the theory: the loss shrinks
    by rho^2 per step, rho = :func:`spectral_radius` (the error's factor). The note says how
    the run ended; the text alternative (:meth:`describe`) gives rho too.

    The note is short on purpose: drawing text is most of what a move costs.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(OptimiserPaths())
    >>> _ = r.png({"lr": 1.58489, "momentum": 0.9, "optimiser": "momentum",
    ...            "surface": "quadratic"})
    >>> r.live.note.get_text()
    'below 1e−8 at step 146'
    >>> r.close()
    """

    size = (7.6, 3.9)
    rebuild_on = ("surface",)

    def build(self, fig, lr, momentum, optimiser, surface):
        s = SURFACES[surface]
        ax, lx = fig.subplots(1, 2, width_ratios=(1.25, 1))
        draw_contours(ax, s)
        handles = [ax.plot(*s.start, marker="o", ms=7, mfc="white", mec="#000000", ls="none",
                           zorder=4, label="start")[0],
                   ax.plot(*s.minimum, marker="*", ms=13, color="#000000", ls="none",
                           zorder=4, label="minimum")[0]]
        ax.set_title(f"Path on the {s.label}")
        self.path, = ax.plot([], [], color=COLORS[3], lw=1.4, marker="o", ms=2.6, zorder=5)
        lx.set_yscale("log")
        lx.set_ylim(*_GAP_YLIM[surface])
        lx.set_xlim(0, PATH_STEPS[surface])
        lo, hi = (int(round(math.log10(v))) for v in _GAP_YLIM[surface])
        lx.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(lo, hi + 1, 2 if
                                                                   hi - lo <= 10 else 4)))
        lx.yaxis.set_minor_locator(NullLocator())
        lx.set_xlabel("step $t$")
        lx.set_ylabel(r"$f(\theta_t) - f^*$ (log scale)")
        lx.set_title("Loss against steps")
        self.gap, = lx.plot([], [], color=COLORS[3], lw=2.4, alpha=0.85, zorder=3)
        handles.append(Line2D([], [], color=COLORS[3], lw=2, marker="o", ms=3,
                              label="path, loss"))
        self.parts = []
        self.theory = None
        if surface == "quadratic":
            for k, (lam, style) in enumerate(zip(s.eigenvalues, ("--", ":"), strict=True)):
                line, = lx.plot([], [], ls=style, lw=1.6, color=COLORS[k * 2],
                                label=fr"along $\lambda = {lam:g}$", zorder=4)
                self.parts.append(line)
                handles.append(line)
            self.theory, = lx.plot([], [], ls=(0, (5, 2, 1, 2)), lw=1.4, color="#000000",
                                   zorder=5, label=r"theory $\propto \rho^{2t}$")
            handles.append(self.theory)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize=10, handlelength=1.5, columnspacing=0.9, handletextpad=0.4)
        self.note = lx.text(0.97, 0.96, "", transform=lx.transAxes, ha="right", va="top",
                            fontsize=10, zorder=6, backgroundcolor="white")
        self.animate(self.path, self.gap, *self.parts,
                     *([self.theory] if self.theory else []), self.note)

    def update(self, lr, momentum, optimiser, surface):
        s = SURFACES[surface]
        run = optimiser_path(surface, optimiser, lr, momentum)
        self.path.set_data(run.points[:, 0], run.points[:, 1])
        t = np.arange(len(run.gaps))
        self.gap.set_data(t, _positive(run.gaps))
        if self.parts:
            with np.errstate(over="ignore", invalid="ignore"):
                coords = (run.points - s.minimum) @ s.eigenvectors
                parts = 0.5 * s.eigenvalues * coords ** 2
            for k, line in enumerate(self.parts):
                line.set_data(t, _positive(parts[:, k]))
        if self.theory is not None:
            rho = _theory(surface, optimiser, lr, momentum)
            if rho is None:
                self.theory.set_visible(False)
            else:
                steps = np.arange(PATH_STEPS[surface] + 1)
                with np.errstate(over="ignore", under="ignore", divide="ignore"):
                    log_c = _theory_offset(run.gaps, rho)
                    self.theory.set_data(steps, np.exp(log_c + 2.0 * steps * np.log(rho)))
                self.theory.set_visible(True)
        self.note.set_text(_summary(run, short=True))

    def valid(self, lr, momentum, optimiser, surface):
        return not (optimiser == "nesterov" and momentum == 0)

    def describe(self, lr, momentum, optimiser, surface):
        s = SURFACES[surface]
        run = optimiser_path(surface, optimiser, lr, momentum)
        mu = "beta_1" if optimiser == "adam" else "momentum"
        rho = _theory(surface, optimiser, lr, momentum)
        theory = f" Theory: the error shrinks by a factor {rho:.3f} per step." if rho else ""
        return (f"{OPTIMISERS[optimiser]} on the {s.label} with learning rate {live._fmt(lr)} "
                f"and {mu} {live._fmt(momentum)}: {_summary(run)}.{theory}")


def optimiser_paths_experiment() -> live.Experiment:
    """The chapter's interactive experiment: :class:`OptimiserPaths` with its controls.

    On the website: six learning rates, momentum 0, 0.5 and 0.9, the four optimisers and the
    two surfaces (Nesterov needs momentum > 0): 132 frames.
    """
    lr = live.LogSlider(0.01, 10 ** 0.5, per_decade=10, value=1.58489, label="learning rate η")
    grid = lr.values()
    lr.web = [v for v in grid if any(math.isclose(v, w, rel_tol=1e-3)
                                     for w in (0.1, 0.316228, 1.0, 1.58489, 1.99526, 2.51189))]
    return live.Experiment(
        "optimiser-paths", OptimiserPaths(),
        title="Optimisers on a two-dimensional loss surface",
        caption=("Left: the path of 300 steps (500 on Rosenbrock) on the contours of the "
                 "loss. Right: the loss gap on a log scale; on the quadratic also its parts "
                 "along the steep and the shallow direction and, for gradient descent and "
                 "momentum, the theory's decay ρ²ᵗ (ρ is given below the figure). For Adam "
                 "the momentum slider sets β₁."),
        controls=dict(
            lr=lr,
            momentum=live.Slider(0.0, 0.99, 0.01, value=0.0, label="momentum μ",
                                 web=(0.0, 0.5, 0.9)),
            optimiser=live.Choice([(v, k) for k, v in OPTIMISERS.items()], "momentum",
                                  label="optimiser"),
            surface=live.Choice([("quadratic", "quadratic"), ("Rosenbrock", "rosenbrock")],
                                "quadratic", label="surface")))


def draw_paths(settings, titles=None) -> Figure:
    """Small multiples of :class:`OptimiserPaths`, one row per setting.

    Parameters
    ----------
    settings : sequence of dict
        Values of ``lr``, ``momentum``, ``optimiser`` and ``surface`` (missing ones take the
        experiment's defaults).
    titles : sequence of str, optional
        A title above each row.

    Returns
    -------
    Figure
    """
    defaults = optimiser_paths_experiment().defaults
    fig = live.small_multiples(OptimiserPaths(), [{**defaults, **s} for s in settings],
                               ncols=1, titles=titles)
    w, h = OptimiserPaths.size
    fig.set_size_inches(w, (h + 0.25) * len(settings))     # full width: readable text
    return fig


# --------------------------------------------------------------------------------------------
# the learning rate on the quadratic
# --------------------------------------------------------------------------------------------
class LRSweep(NamedTuple):
    """Gradient descent on the quadratic for many learning rates (:func:`lr_sweep`).

    Attributes
    ----------
    etas : ndarray of shape (k,)
    gaps : ndarray of shape (k,)
        f(theta_T) - f* after ``steps`` steps, from the closed form.
    steps : int
    critical, best : float
        2 / lambda_max and 2 / (lambda_max + lambda_min).
    """

    etas: np.ndarray
    gaps: np.ndarray
    steps: int
    critical: float
    best: float


def gd_closed_form(surface: Surface, eta, steps):
    """Gradient descent on a quadratic without running it: the theorem's closed form.

    ``theta_t - theta* = sum_i (1 - eta lambda_i)^t (u_i . (theta_0 - theta*)) u_i``.

    Parameters
    ----------
    surface : Surface
        A quadratic (its Hessian is used everywhere).
    eta : float
    steps : int

    Returns
    -------
    ndarray of shape (steps + 1, 2)
        theta_0, ..., theta_steps.

    Examples
    --------
    >>> q = SURFACES["quadratic"]
    >>> path = optimiser_path("quadratic", "momentum", lr=0.7, momentum=0.0, steps=50)
    >>> bool(np.allclose(gd_closed_form(q, 0.7, 50), path.points, rtol=1e-12, atol=1e-14))
    True
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"gd_closed_form: expected a Surface, got {type(surface).__name__}.")
    U, lam = surface.eigenvectors, surface.eigenvalues
    c0 = (surface.start - surface.minimum) @ U
    t = np.arange(check_int(steps, "gd_closed_form", "steps", minimum=0) + 1)[:, None]
    with np.errstate(over="ignore"):
        coords = c0 * (1.0 - eta * lam) ** t
    return surface.minimum + coords @ U.T


def lr_sweep(etas=None, steps=100) -> LRSweep:
    """f - f* after ``steps`` steps of gradient descent on the quadratic, for many rates.

    Examples
    --------
    >>> sw = lr_sweep()
    >>> float(sw.critical), round(float(sw.best), 4)
    (2.0, 1.9802)
    >>> bool(sw.gaps[np.searchsorted(sw.etas, 2.1)] > sw.gaps[0])      # above 2: worse
    True
    """
    q = SURFACES["quadratic"]
    steps = check_int(steps, "lr_sweep", "steps", minimum=1)
    if etas is None:
        etas = np.linspace(0.02, 2.3, 229)
    etas = as_array(etas, "lr_sweep", name="etas")
    if etas.ndim != 1 or not np.all(etas > 0):
        raise ValueError(f"lr_sweep: expected a 1-D array of positive learning rates, got "
                         f"shape {etas.shape} with minimum {etas.min() if etas.size else None}.")
    gaps = np.array([q.f(gd_closed_form(q, e, steps)[-1]) for e in etas])
    lam_max, lam_min = q.eigenvalues
    return LRSweep(etas, gaps, steps, 2.0 / lam_max, 2.0 / (lam_max + lam_min))


def draw_learning_rates(etas=(0.5, 1.9, 2.05), steps=100, path_steps=50) -> Figure:
    """Gradient descent on the quadratic below, near and above the critical rate.

    Top: the paths (nnlib's SGD, ``path_steps`` steps) for the three ``etas``. Bottom left:
    the factor ``|1 - eta lambda|`` by which a step multiplies the error along each
    eigenvector. Bottom right: f - f* after ``steps`` steps against eta (:func:`lr_sweep`).

    Examples
    --------
    >>> fig = draw_learning_rates()
    >>> len(fig.axes), fig.axes[4].get_yscale()
    (5, 'log')
    >>> plt.close(fig)
    """
    q = SURFACES["quadratic"]
    sweep = lr_sweep(steps=steps)
    fig = plt.figure(figsize=(7.6, 5.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.0, 1.25))
    words = ("slow", "oscillates", "diverges")
    for k, (ax, eta) in enumerate(zip(top.subplots(1, 3), etas, strict=True)):
        draw_contours(ax, q)
        pts = optimiser_path("quadratic", "momentum", lr=eta, momentum=0.0,
                             steps=path_steps).points
        ax.plot(pts[:, 0], pts[:, 1], color=COLORS[3], lw=1.2, marker="o", ms=2.2, zorder=5)
        ax.plot(*q.start, marker="o", ms=6, mfc="white", mec="#000000", zorder=6)
        ax.plot(0, 0, marker="*", ms=11, color="#000000", zorder=6)
        ax.set_title(f"({'abc'[k]}) $\\eta$ = {eta:g}: {words[k]}", fontsize=11)
        ax.set_xticks([-3, 0, 3])
        ax.set_yticks([-1, 0, 1])
        if k:
            ax.set_ylabel("")
    a, b = bottom.subplots(1, 2)
    eta = np.linspace(0.0, sweep.etas[-1], 461)
    for k, lam in enumerate(q.eigenvalues):
        a.plot(eta, np.abs(1.0 - eta * lam), color=COLORS[2 * k], lw=2,
               ls="-" if k == 0 else "--", label=f"$\\lambda$ = {lam:g}")
    a.axhline(1.0, color="#444444", lw=1)
    a.axvline(sweep.critical, color=COLORS[3], ls=":", lw=1.5)
    a.set_ylim(0, 1.35)
    a.set_xlim(0, sweep.etas[-1])
    a.set_xlabel(r"learning rate $\eta$")
    a.set_ylabel(r"$|1 - \eta\lambda|$")
    a.set_title("(d) Error factor per step", fontsize=11)
    a.legend(fontsize=10, loc="lower left")
    b.semilogy(sweep.etas, sweep.gaps, color=COLORS[0], lw=2)
    b.axvline(sweep.critical, color=COLORS[3], ls=":", lw=1.5)
    b.axvspan(sweep.critical, sweep.etas[-1], color=COLORS[3], alpha=0.08)
    for e in etas:
        b.plot(e, q.f(gd_closed_form(q, e, steps)[-1]), "o", color=COLORS[3], ms=6, zorder=4)
    b.set_xlim(0, sweep.etas[-1])
    b.set_ylim(1e-5, 1e3)
    b.set_xlabel(r"learning rate $\eta$")
    b.set_ylabel(f"$f - f^*$ after {steps} steps")
    b.set_title(r"(e) Best just below $2/\lambda_{\max}$", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# mini-batch gradient noise
# --------------------------------------------------------------------------------------------
def per_example_gradients(model, loss_fn, X, y) -> np.ndarray:
    """Every example's gradient of the loss, all parameters flattened into one row.

    One forward and backward pass per example through nnlib (with the gradients zeroed in
    between), so row i is the gradient of the loss of example i alone.

    Parameters
    ----------
    model : Module
    loss_fn : loss object
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,) or (m, k)

    Returns
    -------
    ndarray of shape (m, P)
        P = the number of parameters, in the order of ``model.parameters()``.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import CrossEntropyLoss
    >>> net, ce = mlp([3, 4, 2], rng=0), CrossEntropyLoss()
    >>> X, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    >>> G = per_example_gradients(net, ce, X, y)
    >>> _ = ce(net(X), y); net.zero_grad(); _ = net.backward(ce.backward())
    >>> flat = np.concatenate([p.grad.ravel() for p in net.parameters()])
    >>> G.shape, bool(np.allclose(G.mean(axis=0), flat))      # the mean is the batch gradient
    ((5, 26), True)
    """
    X = as_array(X, "per_example_gradients", name="X")
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"per_example_gradients: expected X of shape (m, d) and m targets, "
                         f"got X of shape {X.shape} and {len(y)} targets.")
    params = model.parameters()
    out = np.empty((len(X), sum(p.data.size for p in params)))
    for i in range(len(X)):
        model.zero_grad()
        loss_fn(model(X[i:i + 1]), y[i:i + 1])
        model.backward(loss_fn.backward())
        out[i] = np.concatenate([p.grad.ravel() for p in params])
    model.zero_grad()
    return out


class MinibatchNoise(NamedTuple):
    """The spread of mini-batch gradients around the full gradient (:func:`minibatch_noise`).

    Attributes
    ----------
    batch_sizes : ndarray of shape (k,)
    measured : ndarray of shape (k,)
        The mean over random batches of ||g_B - g||^2.
    predicted : ndarray of shape (k,)
        sigma^2 / b * (m - b) / (m - 1).
    sigma2 : float
        The mean over the examples of ||g_i - g||^2.
    m : int
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    sigma2: float
    m: int


def minibatch_noise(G, batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), draws=200,
                    rng=0) -> MinibatchNoise:
    """Measure how far a mini-batch gradient falls from the full gradient, by batch size.

    Parameters
    ----------
    G : ndarray of shape (m, P)
        Per-example gradients (:func:`per_example_gradients`).
    batch_sizes : sequence of int
    draws : int
        Random batches (drawn without replacement) per batch size.
    rng : Generator or int

    Returns
    -------
    MinibatchNoise

    Examples
    --------
    >>> G = np.random.default_rng(1).normal(size=(200, 3))
    >>> n = minibatch_noise(G, batch_sizes=(1, 10, 200), draws=2000)
    >>> bool(np.allclose(n.measured[:2], n.predicted[:2], rtol=0.1)), float(n.predicted[2])
    (True, 0.0)
    """
    where = "minibatch_noise"
    G = as_array(G, where, name="G")
    if G.ndim != 2 or len(G) < 2:
        raise ValueError(f"{where}: expected per-example gradients of shape (m, P) with m >= 2, "
                         f"got shape {G.shape}.")
    draws = check_int(draws, where, "draws", minimum=1)
    rng = np.random.default_rng(rng)
    m = len(G)
    D = G - G.mean(axis=0)                 # g_i - g
    K = D @ D.T                            # (g_i - g) . (g_j - g), shape (m, m)
    sigma2 = float(np.trace(K) / m)
    sizes = np.array([check_int(b, where, "batch size", minimum=1) for b in batch_sizes])
    if sizes.size == 0 or sizes.max() > m:
        raise ValueError(f"{where}: expected batch sizes from 1 to m = {m}, got "
                         f"{sizes.tolist()}.")
    measured = []
    for b in sizes:
        # row k of Z puts 1/b on the examples of batch k: g_B - g = Z[k] @ D
        Z = np.zeros((draws, m))
        batches = np.argpartition(rng.random((draws, m)), b - 1, axis=1)[:, :b]
        np.put_along_axis(Z, batches, 1.0 / b, axis=1)
        measured.append(float(np.mean(np.sum((Z @ K) * Z, axis=1))))
    predicted = sigma2 / sizes * (m - sizes) / (m - 1)
    return MinibatchNoise(sizes, np.array(measured), predicted, sigma2, m)


class NoiseFloor(NamedTuple):
    """SGD with noisy gradients on f = lambda theta^2 / 2 (:func:`noise_floor`).

    Attributes
    ----------
    etas : tuple of float
    mean_gap : ndarray of shape (len(etas), steps + 1)
        E[f(theta_t)] over the chains.
    floor : ndarray of shape (len(etas),)
        The stationary value eta s^2 / (2 (2 - eta lambda)).
    lam, s : float
    """

    etas: tuple
    mean_gap: np.ndarray
    floor: np.ndarray
    lam: float
    s: float


def noise_floor(etas=(0.1, 0.025), lam=1.0, s=1.0, theta0=3.0, steps=400, chains=20000,
                rng=0) -> NoiseFloor:
    """Simulate SGD on ``f = lam theta^2 / 2`` with gradient ``lam theta + xi``, xi ~ N(0, s^2).

    Examples
    --------
    >>> nf = noise_floor(etas=(0.1,), steps=200, chains=4000)
    >>> round(float(nf.floor[0]), 4), bool(abs(nf.mean_gap[0, -50:].mean() / nf.floor[0] - 1)
    ...                                    < 0.05)
    (0.0263, True)
    """
    where = "noise_floor"
    lam = check_positive(lam, where, "lam")
    s = check_nonnegative(s, where, "s")
    steps = check_int(steps, where, "steps", minimum=1)
    chains = check_int(chains, where, "chains", minimum=1)
    etas = tuple(check_positive(e, where, "every eta") for e in etas)
    if not etas or max(etas) * lam >= 2:
        raise ValueError(f"{where}: expected learning rates with 0 < eta * lam < 2 (else SGD "
                         f"diverges and there is no floor), got etas={etas}, lam={lam}.")
    rng = np.random.default_rng(rng)
    gaps = np.empty((len(etas), steps + 1))
    for k, eta in enumerate(etas):
        theta = np.full(chains, float(theta0))
        gaps[k, 0] = 0.5 * lam * theta0 ** 2
        for t in range(1, steps + 1):
            theta -= eta * (lam * theta + s * rng.standard_normal(chains))
            gaps[k, t] = 0.5 * lam * np.mean(theta ** 2)
    floor = np.array([eta * s ** 2 / (2.0 * (2.0 - eta * lam)) for eta in etas])
    return NoiseFloor(tuple(etas), gaps, floor, lam, s)


def draw_gradient_noise(noise: MinibatchNoise, floor: NoiseFloor) -> Figure:
    """(a) mini-batch gradient noise against the batch size; (b) SGD's noise floor.

    Examples
    --------
    >>> G = np.random.default_rng(1).normal(size=(50, 3))
    >>> fig = draw_gradient_noise(minibatch_noise(G, (1, 5, 25), draws=50),
    ...                           noise_floor(steps=50, chains=100))
    >>> [ax.get_xscale() for ax in fig.axes]
    ['log', 'linear']
    >>> plt.close(fig)
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 3.5), layout="constrained")
    bs = noise.batch_sizes
    a.loglog(bs, noise.predicted, color=COLORS[0], lw=2,
             label=r"$(\sigma^2/b)\,(m - b)/(m - 1)$")
    a.loglog(bs, noise.sigma2 / bs, color="#777777", ls=":", lw=1.5, label=r"$\sigma^2 / b$")
    a.loglog(bs, noise.measured, "o", color=COLORS[3], ms=6, label="measured")
    a.set_xlabel("batch size $b$")
    a.set_ylabel(r"$\mathbb{E}\,\|g_B - g\|^2$")
    a.set_title("(a) Noise falls like $1/b$", fontsize=11.5)
    a.legend(fontsize=10)
    t = np.arange(floor.mean_gap.shape[1])
    for k, (eta, fl) in enumerate(zip(floor.etas, floor.floor, strict=True)):
        b.semilogy(t, floor.mean_gap[k], color=COLORS[k], lw=2, label=f"$\\eta$ = {eta:g}")
        b.axhline(fl, color=COLORS[k], ls="--", lw=1.2)
    b.set_xlabel("step $t$")
    b.set_ylabel(r"$\mathbb{E}\,[f(\theta_t) - f^*]$")
    b.set_title("(b) Constant $\\eta$: a floor $\\propto \\eta$", fontsize=11.5)
    b.legend(fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# a non-convex surface: two basins and a saddle
# --------------------------------------------------------------------------------------------
#: f(x, y) = x^4/4 - x^2/2 + WELLS_TILT x + WELLS_K y^2/2
WELLS_TILT = 0.15
WELLS_K = 1.5


def two_wells(theta):
    """The non-convex surface ``x^4/4 - x^2/2 + 0.15 x + 0.75 y^2`` (theta of shape (..., 2)).

    Two minima, at x = -1.068 (the lower, global one) and x = 0.914, and a saddle between
    them at x = 0.154 (y = 0 for all three).

    Examples
    --------
    >>> [round(float(two_wells([x, 0.0])), 3) for x in wells_critical_points()]
    [-0.405, 0.011, -0.106]
    """
    theta = np.asarray(theta, dtype=np.float64)
    x, y = theta[..., 0], theta[..., 1]
    return x ** 4 / 4 - x ** 2 / 2 + WELLS_TILT * x + WELLS_K * y ** 2 / 2


def two_wells_grad(theta):
    """The gradient of :func:`two_wells` (theta of shape (..., 2))."""
    theta = np.asarray(theta, dtype=np.float64)
    x, y = theta[..., 0], theta[..., 1]
    return np.stack([x ** 3 - x + WELLS_TILT, WELLS_K * y], axis=-1)


def wells_critical_points() -> np.ndarray:
    """The x of the global minimum, the saddle and the other minimum (all at y = 0)."""
    return np.sort(np.roots([1.0, 0.0, -1.0, WELLS_TILT]).real)


def descend_two_wells(starts, lr=0.1, steps=300) -> np.ndarray:
    """Gradient descent on :func:`two_wells` from many starts at once.

    Parameters
    ----------
    starts : array_like of shape (n, 2)
    lr : float
    steps : int

    Returns
    -------
    ndarray of shape (steps + 1, n, 2)
        Every iterate of every run.

    Examples
    --------
    >>> ends = descend_two_wells([[-0.5, 1.0], [0.5, 1.0]])[-1]
    >>> ends.round(3).tolist()
    [[-1.068, 0.0], [0.914, 0.0]]
    """
    theta = as_array(starts, "descend_two_wells", name="starts")
    if theta.ndim != 2 or theta.shape[1] != 2:
        raise ValueError(f"descend_two_wells: expected starts of shape (n, 2), got shape "
                         f"{theta.shape}.")
    lr = check_positive(lr, "descend_two_wells", "lr")
    steps = check_int(steps, "descend_two_wells", "steps", minimum=1)
    theta = theta.copy()
    out = np.empty((steps + 1, *theta.shape))
    out[0] = theta
    for t in range(1, steps + 1):
        theta = theta - lr * two_wells_grad(theta)
        out[t] = theta
    return out


def draw_nonconvex(starts, runs, saddle_runs, offsets, lr) -> Figure:
    """(a) Gradient descent from many starts on :func:`two_wells`; (b) plateaus at the saddle.

    Parameters
    ----------
    starts : ndarray of shape (n, 2)
    runs : ndarray of shape (T + 1, n, 2)
        :func:`descend_two_wells` from ``starts``.
    saddle_runs : ndarray of shape (T + 1, k, 2)
        Runs from ``k`` starts that differ from the saddle's x by ``offsets``.
    offsets : sequence of float
    lr : float

    Returns
    -------
    Figure
    """
    xs = wells_critical_points()
    s = Surface("wells", "two wells", two_wells, two_wells_grad, _frozen([xs[0], 0.0]),
                float(two_wells([xs[0], 0.0])), _frozen(np.eye(2)), _frozen([0.0, 0.0]),
                (-1.75, 1.75), (-1.25, 1.25))
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 3.4), layout="constrained",
                               width_ratios=(1.15, 1))
    draw_contours(a, s, levels=np.geomspace(0.01, 3.0, 12))
    ends = runs[-1, :, 0]
    for i in range(runs.shape[1]):
        color = COLORS[0] if ends[i] < xs[1] else COLORS[1]
        a.plot(runs[:, i, 0], runs[:, i, 1], color=color, lw=1.3, zorder=4)
        a.plot(*starts[i], "o", ms=4, color=color, zorder=5)
    a.plot(xs[0], 0, "*", ms=13, color="#000000", zorder=6)
    a.plot(xs[2], 0, "*", ms=11, mfc="white", mec="#000000", zorder=6)
    a.plot(xs[1], 0, "X", ms=9, color=COLORS[3], zorder=6)
    a.set_title("(a) Where gradient descent ends", fontsize=11.5)
    legend = [Line2D([], [], color=COLORS[0], lw=2, label="to the global minimum (★)"),
              Line2D([], [], color=COLORS[1], lw=2, label="to the other minimum (☆)"),
              Line2D([], [], color=COLORS[3], marker="X", ls="none", label="saddle")]
    fig.legend(handles=legend, loc="outside lower center", ncols=3, fontsize=10)
    t = np.arange(saddle_runs.shape[0])
    for k, off in enumerate(offsets):
        b.plot(t, two_wells(saddle_runs[:, k]), color=COLORS[(2, 4, 5)[k % 3]], lw=2,
               label=f"start {off:.0e} from the saddle")
    b.axhline(float(two_wells([xs[1], 0.0])), color=COLORS[3], ls=":", lw=1.5)
    b.text(t[-1], float(two_wells([xs[1], 0.0])) + 0.03, "loss at the saddle", ha="right",
           va="bottom", color=COLORS[3], fontsize=10)
    b.set_xlabel("step $t$")
    b.set_ylabel(r"$f(\theta_t)$")
    b.set_title(f"(b) Plateaus at the saddle ($\\eta$ = {lr:g})", fontsize=11.5)
    b.legend(fontsize=10, loc="upper right")
    return fig


# --------------------------------------------------------------------------------------------
# why momentum helps: contraction per step and steps to converge
# --------------------------------------------------------------------------------------------
def steps_to_converge(kappa, method="gd", tol=1e-6, max_steps=10 ** 6) -> int:
    """Steps until the error of every component of a quadratic falls below ``tol``.

    Runs gradient descent (``method="gd"``, eta = 2 / (lambda_max + lambda_min)) or the
    heavy ball (``"momentum"``, eta = 4 / (sqrt(lambda_max) + sqrt(lambda_min))^2 and
    mu = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2), the best tuned values, on the two
    components with lambda = 1 and 1 / kappa, each starting at error 1 with zero velocity.

    Examples
    --------
    >>> steps_to_converge(100, "gd"), steps_to_converge(100, "momentum")
    (691, 95)
    """
    kappa = check_positive(kappa, "steps_to_converge", "kappa")
    if kappa < 1:
        raise ValueError(f"steps_to_converge: expected a condition number kappa >= 1, got "
                         f"{kappa}.")
    method = check_choice(method, ("gd", "momentum"), "steps_to_converge", "method")
    lam = np.array([1.0, 1.0 / kappa])
    if method == "gd":
        eta, mu = 2.0 / (1.0 + 1.0 / kappa), 0.0
    else:
        eta = 4.0 / (1.0 + math.sqrt(1.0 / kappa)) ** 2
        mu = ((math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)) ** 2
    e, v = np.ones(2), np.zeros(2)
    for t in range(1, max_steps + 1):
        v = mu * v + lam * e           # PyTorch's buffer: v <- mu v + g
        e = e - eta * v
        if np.abs(e).max() < tol:
            return t
    raise RuntimeError(f"steps_to_converge: not below {tol} after {max_steps} steps.")


def draw_momentum_rates(kappas, gd_steps, momentum_steps) -> Figure:
    """(a) The contraction per step against eta lambda; (b) steps to converge against kappa.

    Examples
    --------
    >>> fig = draw_momentum_rates([10, 100], [68, 691], [25, 95])
    >>> fig.axes[1].get_xscale(), fig.axes[0].get_ylabel()
    ('log', 'error factor per step')
    >>> plt.close(fig)
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 3.5), layout="constrained")
    x = np.linspace(0.0, 4.2, 841)
    curves = [(0.0, False, "gradient descent ($\\mu$ = 0)", "-"),
              (0.5, False, "momentum $\\mu$ = 0.5", "-"),
              (0.9, False, "momentum $\\mu$ = 0.9", "-"),
              (0.9, True, "Nesterov $\\mu$ = 0.9", "--")]
    for k, (mu, nest, label, ls) in enumerate(curves):
        a.plot(x, spectral_radius(x, mu, nesterov=nest), color=COLORS[k], ls=ls, lw=2,
               label=label)
    a.axhline(1.0, color="#444444", lw=1)
    a.set_ylim(0, 1.6)
    a.set_xlim(0, 4.2)
    a.set_xlabel(r"$\eta\lambda$")
    a.set_ylabel("error factor per step")
    a.set_title("(a) Momentum widens the stable range", fontsize=11.5)
    a.legend(fontsize=10, loc="lower right", handlelength=1.8)
    kappas = np.asarray(kappas, dtype=float)
    b.loglog(kappas, gd_steps, "o-", color=COLORS[0], lw=2, label="gradient descent")
    b.loglog(kappas, momentum_steps, "s-", color=COLORS[2], lw=2, label="momentum")
    b.set_xlabel(r"condition number $\kappa = \lambda_{\max}/\lambda_{\min}$")
    b.set_ylabel("steps to error $10^{-6}$")
    b.set_title(r"(b) Steps $\propto \kappa$; with momentum $\propto \sqrt{\kappa}$",
                fontsize=11.5)
    b.legend(fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# Adam: the bias correction, and the size of the first steps
# --------------------------------------------------------------------------------------------
class AdamMoments(NamedTuple):
    """Averages over many runs of Adam's running averages (:func:`adam_moments`).

    Attributes
    ----------
    m, v : ndarray of shape (steps,)
        The mean over the runs of m_t and v_t (t = 1, ..., steps).
    g_mean, g2_mean : float
        E[g] and E[g^2] of the gradients fed in.
    beta1, beta2 : float
    """

    m: np.ndarray
    v: np.ndarray
    g_mean: float
    g2_mean: float
    beta1: float
    beta2: float


def adam_moments(beta1=0.9, beta2=0.999, steps=3000, runs=2000, mean=1.0, std=2.0,
                 rng=0) -> AdamMoments:
    """Feed i.i.d. gradients g_t ~ N(mean, std^2) to Adam's two averages, many runs at once.

    ``m_t = beta1 m_{t-1} + (1 - beta1) g_t`` and ``v_t = beta2 v_{t-1} + (1 - beta2) g_t^2``
    from zero; returns their means over ``runs`` runs, to compare with
    ``(1 - beta^t) E[g]`` and ``(1 - beta^t) E[g^2]``.

    Examples
    --------
    >>> mo = adam_moments(steps=5, runs=200000)
    >>> np.round(mo.m / mo.g_mean, 2).tolist()        # 1 - 0.9^t
    [0.1, 0.19, 0.27, 0.34, 0.41]
    """
    where = "adam_moments"
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= beta < 1:
            raise ValueError(f"{where}: expected {name} in [0, 1), got {beta}.")
    steps = check_int(steps, where, "steps", minimum=1)
    runs = check_int(runs, where, "runs", minimum=1)
    rng = np.random.default_rng(rng)
    m = np.zeros(runs)
    v = np.zeros(runs)
    m_mean, v_mean = np.empty(steps), np.empty(steps)
    for t in range(steps):
        g = mean + std * rng.standard_normal(runs)
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        m_mean[t], v_mean[t] = m.mean(), v.mean()
    return AdamMoments(m_mean, v_mean, mean, mean ** 2 + std ** 2, beta1, beta2)


def adam_step_sizes(steps=300, runs=4000, warmup=0, lr=1.0, betas=(0.9, 0.999), rng=0,
                    mean=0.0):
    """The mean size |theta_t - theta_{t-1}| of Adam's steps when the gradient is noise.

    Every one of ``runs`` coordinates gets i.i.d. gradients N(mean, 1) and one nnlib
    :class:`~nnlib.optim.Adam` steps them all; with ``warmup`` > 0 the learning rate
    climbs linearly to ``lr`` over ``warmup`` steps (:class:`nnlib.schedules.LinearWarmup`).

    Returns
    -------
    ndarray of shape (steps,)
        The mean step size at t = 1, ..., steps, in units of ``lr``.

    Examples
    --------
    >>> sizes = adam_step_sizes(steps=3, runs=1000)
    >>> round(float(sizes[0]), 6)      # the first step: eta sign(g), whatever g
    1.0
    """
    from nnlib.schedules import LinearWarmup

    where = "adam_step_sizes"
    steps = check_int(steps, where, "steps", minimum=1)
    runs = check_int(runs, where, "runs", minimum=1)
    warmup = check_int(warmup, where, "warmup", minimum=0)
    lr = check_positive(lr, where, "lr")
    rng = np.random.default_rng(rng)
    p = Parameter(np.zeros(runs))
    opt = Adam([p], lr=lr, betas=betas)
    schedule = LinearWarmup(opt, warmup) if warmup else None
    out = np.empty(steps)
    for t in range(steps):
        p.grad[...] = mean + rng.standard_normal(runs)
        before = p.data.copy()
        opt.step()
        out[t] = np.mean(np.abs(p.data - before)) / lr
        if schedule is not None:
            schedule.step()
    return out


@functools.lru_cache(maxsize=8)
def first_layer_update_ratios(optimiser="adam", lr=3e-3, warmup=0, steps=100, seed=0):
    """The update-to-weight ratio of the first layer, step by step, on the digits.

    A 64-64-10 ReLU network (seed ``seed``) takes ``steps`` mini-batch steps (batches of 32)
    with :class:`~nnlib.optim.Adam` or plain :class:`~nnlib.optim.SGD` (``optimiser``);
    with ``warmup`` > 0 the rate climbs linearly over that many steps
    (:class:`nnlib.schedules.LinearWarmup`). After each step,
    :class:`nnlib.probes.WeightSnapshot` gives ``||W_after - W_before|| / ||W_before||``.

    Returns
    -------
    ndarray of shape (steps,)

    Examples
    --------
    >>> r = first_layer_update_ratios(steps=3)
    >>> bool(r[0] > r[2] > 0)
    True
    """
    from nnlib.layers import mlp
    from nnlib.losses import CrossEntropyLoss
    from nnlib.probes import WeightSnapshot
    from nnlib.schedules import LinearWarmup
    from nnlib.train import iterate_minibatches, train_epoch

    where = "first_layer_update_ratios"
    optimiser = check_choice(optimiser, ("adam", "sgd"), where, "optimiser")
    steps = check_int(steps, where, "steps", minimum=1)
    warmup = check_int(warmup, where, "warmup", minimum=0)
    X_tr, y_tr = digits_split()[:2]
    net = mlp([64, 64, 10], "relu", rng=seed)
    opt = Adam(net.parameters(), lr=lr) if optimiser == "adam" else SGD(net.parameters(), lr)
    schedule = LinearWarmup(opt, warmup) if warmup else None
    snapshot = WeightSnapshot(net)
    ratios = []

    def after(_y_hat, _batch):
        ratios.append(snapshot.update_ratios()["0:Linear"])
        snapshot.take()
        if schedule is not None:
            schedule.step()

    batches = list(iterate_minibatches(X_tr, y_tr, 32, rng=seed))
    while len(batches) < steps:
        batches += batches
    train_epoch(net, CrossEntropyLoss(), opt, batches[:steps], after_step=after)
    out = np.array(ratios)
    out.setflags(write=False)
    return out


def draw_adam_early(moments: AdamMoments, sizes: dict) -> Figure:
    """(a) Adam's averages with and without the bias correction; (b) its first steps.

    Parameters
    ----------
    moments : AdamMoments
    sizes : dict of str -> ndarray
        Label -> mean step size per step (:func:`adam_step_sizes`), in units of eta.

    Returns
    -------
    Figure
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 3.5), layout="constrained")
    t = np.arange(1, len(moments.m) + 1)
    b1, b2 = moments.beta1, moments.beta2
    a.semilogx(t, moments.m / moments.g_mean, color=COLORS[0], lw=2,
               label=r"$m_t\, /\, \mathbb{E}[g]$")
    a.semilogx(t, moments.v / moments.g2_mean, color=COLORS[1], lw=2,
               label=r"$v_t\, /\, \mathbb{E}[g^2]$")
    a.semilogx(t, moments.m / (1 - b1 ** t) / moments.g_mean, color=COLORS[0], lw=1.6,
               ls="--", label=r"$\hat m_t\, /\, \mathbb{E}[g]$")
    a.semilogx(t, moments.v / (1 - b2 ** t) / moments.g2_mean, color=COLORS[1], lw=1.6,
               ls="--", label=r"$\hat v_t\, /\, \mathbb{E}[g^2]$")
    a.set_ylim(0, 1.15)
    a.set_xlabel("step $t$ (log scale)")
    a.set_ylabel("mean over runs, relative")
    a.set_title("(a) Averages from zero start too small", fontsize=11.5)
    a.legend(fontsize=10, loc="center right")
    for k, (label, values) in enumerate(sizes.items()):
        b.plot(np.arange(1, len(values) + 1), values, color=COLORS[(3, 2, 4)[k % 3]], lw=2,
               label=label)
    b.set_ylim(0, 1.05)
    b.set_xlabel("step $t$")
    b.set_ylabel(r"mean $|\Delta\theta|$ / $\eta$")
    b.set_title("(b) The first steps are the largest", fontsize=11.5)
    b.legend(fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# weight decay: L2 inside Adam against AdamW (decoupled)
# --------------------------------------------------------------------------------------------
class DecayRun(NamedTuple):
    """One training run of :func:`decay_runs`.

    Attributes
    ----------
    blank, active : ndarray of shape (steps + 1,)
        The norm of the first layer's weights from the always-blank pixels, and from the
        other pixels, before every step and after the last.
    test_acc : float
    """

    blank: np.ndarray
    active: np.ndarray
    test_acc: float


#: The runs of :func:`decay_runs`: key -> (optimiser, weight decay lambda, legend label).
DECAY_RUNS = {"Adam": ("adam", 0.0, "Adam, no decay"),
              "L2 1e-4": ("adam", 1e-4, "Adam + L2, λ = 1e-4"),
              "L2 1e-2": ("adam", 1e-2, "Adam + L2, λ = 1e-2"),
              "AdamW 1e-2": ("adamw", 1e-2, "AdamW, λ = 1e-2"),
              "AdamW 1": ("adamw", 1.0, "AdamW, λ = 1")}


@functools.lru_cache(maxsize=4)
def digits_split(seed=0):
    """The 8x8 digits split 70/15/15 (stratified, ``seed``), as read-only arrays (cached).

    Returns
    -------
    X_train, y_train, X_val, y_val, X_test, y_test : ndarrays

    Examples
    --------
    >>> [len(a) for a in digits_split()[::2]]
    [1259, 270, 268]
    """
    from nnlib.data import digits, train_val_test_split

    X, y = digits()
    parts = train_val_test_split(X, y, rng=seed)
    for a in parts:
        a.setflags(write=False)
    return parts


def blank_pixels() -> np.ndarray:
    """The pixels that are 0 in every training image of the digits (0, 32 and 39)."""
    X_train = digits_split()[0]
    return np.flatnonzero(X_train.max(axis=0) == 0)


@functools.lru_cache(maxsize=8)
def _decay_run(kind, lam, lr, epochs, seed):
    from nnlib.layers import mlp
    from nnlib.losses import CrossEntropyLoss
    from nnlib.optim import AdamW
    from nnlib.train import iterate_minibatches, train_epoch

    from .shared import one_blas_thread

    X_tr, y_tr, _, _, X_te, y_te = digits_split()
    blank = blank_pixels()
    active = np.setdiff1d(np.arange(X_tr.shape[1]), blank)
    net = mlp([64, 32, 10], "relu", rng=seed)
    W = net[0].weight
    opt = (AdamW(net.parameters(), lr=lr, weight_decay=lam) if kind == "adamw"
           else Adam(net.parameters(), lr=lr, weight_decay=lam))
    norms = [(np.linalg.norm(W.data[:, blank]), np.linalg.norm(W.data[:, active]))]

    def record(_y_hat, _batch):
        norms.append((np.linalg.norm(W.data[:, blank]), np.linalg.norm(W.data[:, active])))

    shuffle = np.random.default_rng(seed)
    with one_blas_thread():
        for _ in range(epochs):
            train_epoch(net, CrossEntropyLoss(), opt,
                        iterate_minibatches(X_tr, y_tr, 32, rng=shuffle), after_step=record)
    norms = np.array(norms)
    acc = float(np.mean(net(X_te).argmax(axis=1) == y_te))
    return DecayRun(norms[:, 0], norms[:, 1], acc)


def decay_runs(lr=1e-3, epochs=20, seed=0) -> dict:
    """Train a 64-32-10 ReLU network on the digits with each of :data:`DECAY_RUNS`.

    Mini-batches of 32, ``epochs`` epochs, the same initial weights and batches for every
    run. Three pixels (0, 32 and 39) are blank in every training image, so the 96 weights
    from them never receive a gradient from the loss: only weight decay moves them.

    Returns
    -------
    dict of str -> DecayRun

    Examples
    --------
    >>> blank_pixels().tolist()
    [0, 32, 39]
    """
    lr = check_positive(lr, "decay_runs", "lr")
    epochs = check_int(epochs, "decay_runs", "epochs", minimum=1)
    return {key: _decay_run(kind, lam, lr, epochs, seed)
            for key, (kind, lam, _) in DECAY_RUNS.items()}


def draw_decay(runs: dict, lr=1e-3) -> Figure:
    """(a) The blank-pixel weights' norm under each decay; (b) the other weights' norm."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 3.9), layout="constrained")
    styles = {"Adam": (COLORS[7], "-", 1.6), "L2 1e-4": (COLORS[0], "-", 3.2),
              "L2 1e-2": (COLORS[5], "--", 1.8), "AdamW 1e-2": (COLORS[1], "-", 2.0),
              "AdamW 1": (COLORS[3], "-", 2.0)}
    for key, run in runs.items():
        color, ls, lw = styles.get(key, (COLORS[4], "-", 2.0))
        label = DECAY_RUNS[key][2] if key in DECAY_RUNS else key
        t = np.arange(len(run.blank))
        a.plot(t, run.blank, color=color, ls=ls, lw=lw, label=label)
        b.plot(t, run.active, color=color, ls=ls, lw=lw, label=label)
    first = next(iter(runs.values()))
    t = np.arange(len(first.blank))
    a.plot(t, first.blank[0] * (1 - lr * 1.0) ** t, color="#000000", ls=":", lw=1.4,
           label=r"$(1 - \eta\lambda)^t$, $\lambda$ = 1")
    a.set_xlabel("step $t$")
    a.set_ylabel("norm of the weights")
    a.set_title("(a) Weights from blank pixels", fontsize=11.5)
    b.set_xlabel("step $t$")
    b.set_title("(b) All other first-layer weights", fontsize=11.5)
    handles, labels = a.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# learning-rate schedules
# --------------------------------------------------------------------------------------------
def draw_schedules(curves: dict) -> Figure:
    """Every schedule: the closed form (line) and nnlib's values (dots), one panel each.

    Parameters
    ----------
    curves : dict of str -> (ndarray, ndarray)
        Title -> (closed form, nnlib), the learning rate at steps 0, 1, ...

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_schedules({"constant": (np.ones(5), np.ones(5))})
    >>> fig.axes[0].get_title()
    'constant'
    >>> plt.close(fig)
    """
    n = len(curves)
    if n == 0:
        raise ValueError("draw_schedules: expected at least one schedule, got none.")
    for title, pair in curves.items():
        if len(pair) != 2 or len(pair[0]) != len(pair[1]):
            raise ValueError(f"draw_schedules: expected (closed form, nnlib) of equal length "
                             f"for {title!r}.")
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.6, 2.45 * nrows + 0.3),
                             layout="constrained", sharey=True, squeeze=False)
    for ax, (title, (closed, lib)) in zip(axes.ravel(), curves.items(), strict=False):
        t = np.arange(len(closed))
        ax.plot(t, closed, color=COLORS[0], lw=2, zorder=2)
        every = max(1, len(lib) // 25)
        ax.plot(t[::every], np.asarray(lib)[::every], "o", ms=3.6, mfc="white",
                mec=COLORS[3], mew=1.2, zorder=3)
        ax.set_title(title, fontsize=11)
        ax.set_ylim(0, 1.08)
        ax.set_xlim(0, len(closed) - 1)
    for ax in axes[-1]:
        ax.set_xlabel("step $t$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$\eta_t / \eta_0$")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=COLORS[0], lw=2, label="closed form"),
               Line2D([], [], marker="o", ls="none", mfc="white", mec=COLORS[3],
                      label="nnlib.schedules")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# the 8x8 digits: optimisers and a schedule
# --------------------------------------------------------------------------------------------
#: The digits runs: key -> (optimiser, learning rate, schedule or None, legend label).
#: "momentum" is SGD with momentum 0.9.
DIGITS_RUNS = {"SGD 0.03": ("sgd", 0.03, None, "SGD, η = 0.03"),
               "momentum 0.03": ("momentum", 0.03, None, "momentum 0.9, η = 0.03"),
               "SGD 0.3": ("sgd", 0.3, None, "SGD, η = 0.3"),
               "Adam 0.001": ("adam", 1e-3, None, "Adam, η = 0.001"),
               "momentum 0.3": ("momentum", 0.3, None, "constant"),
               "momentum 0.3 schedule": ("momentum", 0.3, "warmup-cosine", "warmup + cosine")}


@functools.lru_cache(maxsize=64)
def _digits_run(optimiser, lr, schedule, epochs, seed):
    from nnlib.layers import mlp
    from nnlib.losses import CrossEntropyLoss
    from nnlib.schedules import CosineAnnealingLR, LinearWarmup
    from nnlib.train import fit

    X_tr, y_tr, X_va, y_va, _, _ = digits_split()
    net = mlp([64, 64, 10], "relu", rng=seed)
    if optimiser == "adam":
        opt = Adam(net.parameters(), lr=lr)
    else:
        opt = SGD(net.parameters(), lr=lr, momentum=0.9 if optimiser == "momentum" else 0.0)
    per_epoch = math.ceil(len(X_tr) / 32)
    sched = None
    if schedule == "warmup-cosine":
        sched = LinearWarmup(opt, 2 * per_epoch,
                             after=CosineAnnealingLR(opt, (epochs - 2) * per_epoch))
    return fit(net, CrossEntropyLoss(), opt, X_tr, y_tr, epochs=epochs, batch_size=32,
               validation=(X_va, y_va), schedule=sched, schedule_interval="batch", rng=seed,
               progress=False, diagnostics=False, eval_train=True, blas_threads=1)


def digits_runs(epochs=30, seed=0) -> dict:
    """Train a 64-64-10 ReLU network on the digits with each of :data:`DIGITS_RUNS`.

    Mini-batches of 32, cross-entropy, the same initial weights and the same shuffling
    for every run; the warmup lasts 2 epochs and the cosine the rest, both stepped per
    mini-batch. Each History records, per epoch, the training loss (the whole training set
    in evaluation mode), the validation loss and accuracy. Cached.

    Returns
    -------
    dict of str -> nnlib.train.History
    """
    epochs = check_int(epochs, "digits_runs", "epochs", minimum=3)   # 2 of them warmup
    return {key: _digits_run(opt, lr, sched, epochs, seed)
            for key, (opt, lr, sched, _) in DIGITS_RUNS.items()}


def draw_digits_training(runs: dict) -> Figure:
    """(a) Optimisers: the training loss; (b) a schedule at a high rate: both losses."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.6, 4.0), layout="constrained")
    left = ["SGD 0.03", "momentum 0.03", "SGD 0.3", "Adam 0.001"]
    styles = ["-", "-", "--", "-"]
    for k, (key, ls) in enumerate(zip(left, styles, strict=True)):
        h = runs[key]
        a.semilogy(h.epoch, h.train_loss, color=COLORS[k], ls=ls, lw=2,
                   label=DIGITS_RUNS[key][3])
    a.set_ylim(2e-3, 3)
    a.set_xlabel("epoch")
    a.set_ylabel("training loss (log scale)")
    a.set_title("(a) Momentum at $\\eta$ acts like SGD at $10\\eta$", fontsize=11.5)
    a.legend(fontsize=10, loc="lower left")
    for key, color in (("momentum 0.3", COLORS[7]), ("momentum 0.3 schedule", COLORS[4])):
        h = runs[key]
        b.semilogy(h.epoch, h.train_loss, color=color, lw=2, label=DIGITS_RUNS[key][3])
        b.semilogy(h.epoch, h.val_loss, color=color, lw=1.6, ls="--")
    b.set_ylim(1e-3, 1.5)
    b.set_xlabel("epoch")
    b.set_ylabel("loss (log scale)")
    b.set_title("(b) $\\eta$ = 0.3 with momentum 0.9", fontsize=11.5)
    b.legend(fontsize=10, loc="lower left")
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (optimiser_paths_experiment,)
