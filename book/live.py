"""Live experiments: one figure, updated in place, in the notebook and on the website.

Every interactive experiment of the book is a :class:`LiveFigure`: a small class whose
``build`` draws the figure once (axes, labels, the artists that will change) and whose
``update`` changes those artists in place for new control values (``set_data``,
``set_offsets``, ``set_array``, ``set_text``). The same class serves

- the notebook: :class:`Experiment` shows it as a widget; a control change calls ``update``
  and redraws only the artists that changed on a cached background (blitting), so a move
  costs the experiment's computation plus a few milliseconds of drawing and PNG encoding;
- the website: when the book is built (``NNBOOK_BUILD=1``, set by ``tools/book_build.py``),
  :class:`Experiment` renders one frame for every point of a grid of control values, in
  parallel, and shows them as a *flipbook*: plain HTML controls that swap precomputed images,
  with no kernel and no network (``book/static/live.js``);
- the static figure and the tests: :func:`small_multiples` draws the same figure for a few
  settings side by side, and :meth:`Renderer.png` renders one frame without any widget.

The controls are specifications (:class:`Slider`, :class:`IntSlider`, :class:`LogSlider`,
:class:`Choice`, :class:`Toggle`, :class:`Play`), turned into ipywidgets in a kernel and into
HTML inputs on the website. A slider's ``web`` argument gives a coarser grid for the website
when its own steps would make too many frames; the website's slider then moves in exactly
those steps, so a reader never lands between frames.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import itertools
import json
import math
import numbers
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Slider", "IntSlider", "Stops", "selection_slider", "LogSlider", "Choice", "Toggle", "Play",
    "LiveFigure", "Renderer", "Experiment", "ExperimentError", "small_multiples",
    "MAX_FRAMES", "BUILD_ENV",
]

#: No experiment has more frames than this on the website (issue: page weight and build time).
MAX_FRAMES = 150
#: The environment variable that tells a kernel it runs for the website's build.
BUILD_ENV = "NNBOOK_BUILD"
#: Resolution of every experiment's image, in the notebook and on the website.
DPI = 100
#: Colours of the website's palette PNGs (frames are quantised to this many colours).
PALETTE_COLORS = 128


class ExperimentError(RuntimeError):
    """An experiment cannot be built: a frame failed to draw, or the grid is too large."""


def _fmt(value) -> str:
    """A control value as the reader sees it (and as frame keys store it)."""
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.6g}"
    return str(value)


# ------------------------------------------------------------------------------------------
# controls
# ------------------------------------------------------------------------------------------
@dataclass
class _Control:
    label: str = field(default="", kw_only=True)

    #: the kind of HTML input on the website
    kind = "slider"

    def values(self) -> list:
        """Every value the control can take in the notebook."""
        raise NotImplementedError

    def grid(self) -> list:
        """The values the website offers (a subset of :meth:`values`, or all of them)."""
        web = getattr(self, "web", None)
        return list(web) if web is not None else self.values()

    def check(self, name):
        grid, default = self.grid(), self.value
        if not grid:
            raise ExperimentError(f"control {name!r}: no values to offer.")
        if not any(_same(default, g) for g in grid):
            raise ExperimentError(f"control {name!r}: the default {default!r} is not on the "
                                  f"website's grid {grid!r}; add it to `web`.")

    def widget(self):
        raise NotImplementedError

    def snap(self, value):
        """The control's own value nearest to what a widget reports: a notebook slider sends
        10 ** 0.5 = 3.1622776..., the control's values are rounded (3.16228), and a figure
        that looks results up by value must see the same number in the notebook and on the
        website."""
        values = self.values()
        if not values or not isinstance(value, numbers.Real) or isinstance(value, bool):
            return value
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            return value
        return min(values, key=lambda v: abs(float(v) - float(value)))


def _same(a, b) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@dataclass
class Slider(_Control):
    """A real number from ``lo`` to ``hi`` in steps of ``step``."""

    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.1
    value: float = 0.0
    web: Sequence | None = None

    def values(self):
        n = int(round((self.hi - self.lo) / self.step))
        return [float(round(self.lo + i * self.step, 12)) for i in range(n + 1)]

    def widget(self):
        from nnlib import widgets

        return widgets.float_slider(self.value, self.lo, self.hi, self.step, self.label)


@dataclass
class IntSlider(_Control):
    """An integer from ``lo`` to ``hi`` in steps of ``step``."""

    lo: int = 0
    hi: int = 10
    step: int = 1
    value: int = 0
    web: Sequence | None = None

    def values(self):
        return list(range(self.lo, self.hi + 1, self.step))

    def widget(self):
        from nnlib import widgets

        return widgets.int_slider(self.value, self.lo, self.hi, self.step, self.label)


@dataclass
class Stops(IntSlider):
    """An integer that takes only the values ``options`` (the widths or depths trained in
    advance): the website's slider steps through them, and the notebook's widget is a
    selection slider over the same values (:func:`selection_slider`), so no stop lands on a
    value that was not prepared."""

    options: tuple = ()

    def values(self):
        return list(self.options)

    def widget(self):
        return selection_slider(self.value, self.options, self.label)


def selection_slider(value, options, description="", where="selection_slider"):
    """An ipywidgets SelectionSlider over ``options`` that reports a change only on release,
    in the book's control style; ``where`` names the caller in the error for a value that is
    not one of the options."""
    import ipywidgets as w

    options = tuple(options)
    if value not in options:
        raise ValueError(f"{where}: expected value to be one of {options}, got {value!r}.")
    return w.SelectionSlider(options=options, value=value, description=description,
                             continuous_update=False, style={"description_width": "initial"},
                             layout=w.Layout(width="320px", margin="2px 16px 2px 0px"))


@dataclass
class LogSlider(_Control):
    """A positive number on a logarithmic scale, ``per_decade`` stops per factor of ten."""

    lo: float = 1e-3
    hi: float = 1.0
    per_decade: int = 4
    value: float = 0.1
    web: Sequence | None = None

    def values(self):
        a, b = math.log10(self.lo), math.log10(self.hi)
        n = int(round((b - a) * self.per_decade))
        return [float(f"{10 ** (a + i / self.per_decade):.6g}") for i in range(n + 1)]

    def widget(self):
        from nnlib import widgets

        return widgets.log_slider(self.value, self.lo, self.hi, self.label,
                                  steps_per_decade=self.per_decade)


@dataclass
class Choice(_Control):
    """One of a few options (a drop-down menu). ``options`` are values, or (label, value)."""

    options: Sequence = ()
    value: object = None
    kind = "select"

    def __post_init__(self):
        if self.value is None and self.options:
            self.value = self.pairs()[0][1]

    def pairs(self):
        return [o if isinstance(o, tuple) else (str(o), o) for o in self.options]

    def values(self):
        return [v for _, v in self.pairs()]

    def widget(self):
        from nnlib import widgets

        return widgets.dropdown(self.pairs(), self.value, self.label)


@dataclass
class Toggle(_Control):
    """On or off (a check box)."""

    value: bool = False
    kind = "checkbox"

    def values(self):
        return [False, True]

    def widget(self):
        from nnlib import widgets

        return widgets.checkbox(bool(self.value), self.label)


@dataclass
class Pick(_Control):
    """Any subset of a few options (check boxes): which curves to draw.

    On the website an experiment may have one Pick. Its options are not combined into frames:
    each option is rendered once per combination of the other controls as a transparent
    *layer* (only the animated artists that ``update`` shows for that option alone), laid over
    a base frame drawn with no option picked. So the figure must draw each option the same
    whatever else is picked: fixed axis limits, and a label or legend entry per option that
    does not move. ``value`` is a tuple of the picked options' values.
    """

    options: Sequence = ()
    value: tuple = ()
    kind = "pick"

    def pairs(self):
        return [o if isinstance(o, tuple) else (str(o), o) for o in self.options]

    def values(self):
        return [v for _, v in self.pairs()]

    def grid(self):
        return [tuple(self.value)]   # one key position; the layers carry the options

    def check(self, name):
        unknown = [v for v in self.value if v not in self.values()]
        if unknown:
            raise ExperimentError(f"control {name!r}: the default picks {unknown!r}, which are "
                                  f"not among the options {self.values()!r}.")

    def widget(self):
        return _PickWidget(self)


def _pick_widget_class():
    import ipywidgets as w
    import traitlets

    class PickWidget(w.HBox):
        """Check boxes whose ``value`` is the tuple of the ticked options (notebook side)."""

        value = traitlets.Tuple()

        def __init__(self, control):
            self.options = control.values()
            self.boxes = [w.Checkbox(value=v in control.value, description=lab, indent=False,
                                     layout=w.Layout(width="auto", margin="0 12px 0 0"))
                          for lab, v in control.pairs()]
            label = w.Label(control.label) if control.label else None
            super().__init__(([label] if label else []) + self.boxes,
                             layout=w.Layout(flex_flow="row wrap", align_items="center"))
            self.value = tuple(control.value)
            for box in self.boxes:
                box.observe(self._changed, names="value")

        def _changed(self, _change):
            self.value = tuple(v for v, b in zip(self.options, self.boxes, strict=True)
                               if b.value)

    return PickWidget


def _PickWidget(control):  # noqa: N802 - a class made on first use (ipywidgets loads lazily)
    global _PICK_WIDGET
    if _PICK_WIDGET is None:
        _PICK_WIDGET = _pick_widget_class()
    return _PICK_WIDGET(control)


_PICK_WIDGET = None


@dataclass
class Play(_Control):
    """An integer frame counter with a Play button (epochs, layers, steps)."""

    lo: int = 0
    hi: int = 10
    value: int = 0
    interval: int = 400
    web: Sequence | None = None
    kind = "play"

    def values(self):
        return list(range(self.lo, self.hi + 1))

    def widget(self):
        from nnlib import widgets

        return widgets.play(self.value, self.lo, self.hi, self.label, interval=self.interval)


# ------------------------------------------------------------------------------------------
# the figure
# ------------------------------------------------------------------------------------------
class LiveFigure:
    """Base class of an experiment's figure: built once, then updated in place.

    A subclass sets ``size`` (inches) and implements

    - ``build(fig, **values)``: add axes to ``fig`` and create every artist; register the ones
      that ``update`` changes with :meth:`animate` (they are redrawn on each update, the rest is
      a cached background);
    - ``update(**values)``: change the registered artists for new values (and nothing else,
      unless the control is listed in ``redraw_on``).

    and may set

    - ``rebuild_on``: controls whose change needs a new figure (e.g. the number of layers of a
      drawn network); ``build`` runs again;
    - ``redraw_on``: controls whose change alters the background (axis limits, tick labels); the
      whole figure is redrawn, without rebuilding it;
    - ``valid(**values)``: False for combinations that do not exist (a step beyond the depth);
    - ``bounds(**values)``: ``{control: (lo, hi)}`` for sliders whose range depends on others;
    - ``describe(**values)``: the text alternative of the figure for these values.
    """

    size: tuple = (6.6, 4.2)
    rebuild_on: tuple = ()
    redraw_on: tuple = ()

    def build(self, fig, **values) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement build().")

    def update(self, **values) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement update().")

    def valid(self, **values) -> bool:
        return True

    def bounds(self, **values) -> dict:
        return {}

    def describe(self, **values) -> str:
        return ", ".join(f"{k} = {_fmt(v)}" for k, v in values.items())

    # -- helpers for subclasses --------------------------------------------------------------
    def animate(self, *artists):
        """Register artists that ``update`` changes; returns the first one, for chaining."""
        if not hasattr(self, "_animated") or self._animated is None:
            self._animated = []
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0] if artists else None

    def animated_artists(self) -> list:
        return list(getattr(self, "_animated", None) or [])

    def fresh(self):
        """A copy without any figure state, to build another figure (small multiples)."""
        other = copy.copy(self)
        other._animated = None
        return other


def _rgba_to_png(rgba: np.ndarray, palette: bool = False) -> bytes:
    from PIL import Image

    image = Image.fromarray(rgba, "RGBA")
    out = io.BytesIO()
    if palette:
        # the website's frames: quantised to a palette, a third the size of an RGB PNG
        image.convert("RGB").quantize(PALETTE_COLORS, method=Image.Quantize.FASTOCTREE,
                                      dither=Image.Dither.NONE).save(out, format="png")
    else:
        image.save(out, format="png", compress_level=1)
    return out.getvalue()


class Renderer:
    """Draws a :class:`LiveFigure` for any control values, reusing one matplotlib figure.

    The first call (and a change of a ``rebuild_on`` control) builds the figure and lays it
    out once (constrained layout, then frozen so that later frames cannot jitter); after that,
    a call runs ``update`` and redraws only the animated artists on the cached background,
    unless a ``redraw_on`` control changed.

    Examples
    --------
    >>> class Wave(LiveFigure):
    ...     size = (3, 2)
    ...     def build(self, fig, k):
    ...         ax = fig.add_subplot()
    ...         ax.set_xlim(0, 6.3); ax.set_ylim(-1.1, 1.1)
    ...         self.x = np.linspace(0, 6.3, 50)
    ...         self.line, = ax.plot(self.x, np.sin(k * self.x), zorder=3)
    ...         self.animate(self.line)
    ...     def update(self, k):
    ...         self.line.set_ydata(np.sin(k * self.x))
    >>> r = Renderer(Wave())
    >>> a, b = r.rgba({"k": 1.0}).copy(), r.rgba({"k": 2.0})
    >>> a.shape, bool((a != b).any()), r.builds
    ((200, 300, 4), True, 1)
    """

    def __init__(self, live: LiveFigure, dpi: int = DPI):
        if not isinstance(live, LiveFigure):
            raise TypeError(f"Renderer: expected a LiveFigure, got {type(live).__name__}.")
        self.live = live
        self.dpi = dpi
        self.fig = None
        self.canvas = None
        self._background = None
        self._last: dict | None = None
        self._built_with: dict | None = None
        self.builds = 0

    def _new_figure(self, values):
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if self.fig is not None:
            plt.close(self.fig)
        self.live._animated = None
        fig = Figure(figsize=self.live.size, dpi=self.dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(fig)
        self.fig = fig
        self.live.build(fig, **values)
        self.live.update(**values)
        self._built_with = dict(values)
        self.builds += 1
        # lay out once with everything visible (animated artists included), then freeze
        animated = self.live.animated_artists()
        for a in animated:
            a.set_animated(False)
        self.canvas.draw()
        fig.set_layout_engine("none")
        for a in animated:
            a.set_animated(True)
        self._full_draw()

    def _full_draw(self):
        self.canvas.draw()          # everything except the animated artists
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_animated()

    def _draw_animated(self):
        for a in sorted(self.live.animated_artists(), key=lambda a: a.get_zorder()):
            if a.get_visible():
                self.fig.draw_artist(a)

    def rgba(self, values: dict) -> np.ndarray:
        """The figure for ``values`` as an (height, width, 4) uint8 array (a view: copy it
        before the next call if you keep it)."""
        live = self.live
        last = self._last
        if self.fig is None or any(last.get(k) != values.get(k) for k in live.rebuild_on):
            self._new_figure(values)
        else:
            live.update(**values)
            if any(last.get(k) != values.get(k) for k in live.redraw_on):
                self._full_draw()
            else:
                self.canvas.restore_region(self._background)
                self._draw_animated()
        self._last = dict(values)
        return np.asarray(self.canvas.buffer_rgba())

    def reference_rgba(self, values: dict) -> np.ndarray:
        """The figure for ``values`` drawn the plain way: a fresh figure built and laid out
        for the values this renderer last built with, then updated to ``values`` and drawn
        whole, every artist in z-order, nothing cached. Tests compare it with :meth:`rgba`,
        which must give the same pixels."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        first = self._built_with if self._built_with is not None else values
        live = self.live.fresh()
        fig = Figure(figsize=live.size, dpi=self.dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        live.build(fig, **first)
        live.update(**first)
        canvas.draw()
        fig.set_layout_engine("none")
        live.update(**values)
        for a in live.animated_artists():
            a.set_animated(False)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    def png(self, values: dict, palette: bool = False) -> bytes:
        """The figure for ``values`` as PNG bytes (``palette=True``: the website's format)."""
        return _rgba_to_png(self.rgba(values), palette)

    def layer_png(self, values: dict) -> bytes:
        """Only the animated artists for ``values``, on a transparent background (a Pick
        option's layer on the website), as PNG bytes."""
        self.rgba(values)                       # the figure's state for these values
        self.canvas.get_renderer().clear()      # transparent
        self._draw_animated()
        from PIL import Image

        image = Image.fromarray(np.asarray(self.canvas.buffer_rgba()), "RGBA")
        out = io.BytesIO()
        image.save(out, format="png", optimize=True)
        self.canvas.restore_region(self._background)   # the next blit starts from the figure
        return out.getvalue()

    def close(self):
        if self.fig is not None:
            import matplotlib.pyplot as plt

            plt.close(self.fig)
            self.fig = None


def small_multiples(live: LiveFigure, settings: Sequence[dict], ncols: int | None = None,
                    titles: Sequence[str] | None = None):
    """The static version of an experiment: the same figure for several settings, in a grid.

    Each panel is a matplotlib SubFigure built by ``live.build`` and ``live.update``, so the
    static figure and the live one cannot disagree.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    n = len(settings)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    w, h = live.size
    fig = plt.figure(figsize=(w * ncols * 0.72, h * nrows * 0.72), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(nrows, ncols)).ravel()
    for i, (sub, values) in enumerate(zip(subs, settings, strict=False)):
        panel = live.fresh()
        panel.build(sub, **values)
        panel.update(**values)
        for a in panel.animated_artists():
            a.set_animated(False)
        if titles is not None:
            sub.suptitle(titles[i], fontsize="medium")
    for sub in subs[n:]:
        sub.set_visible(False)
    return fig


# ------------------------------------------------------------------------------------------
# the experiment: a widget in a kernel, a flipbook on the website
# ------------------------------------------------------------------------------------------
def _style():
    """The caller's matplotlib settings, for the worker processes (the book's style)."""
    import matplotlib

    return {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}


def _render_chunk(live, names, combos, dpi, style=None, pick=None):
    """Render a list of value combinations in one process (the build's parallel workers).

    With ``pick = (name, options)``, each combination gives a base frame (nothing picked)
    and one transparent layer per option."""
    import warnings

    import matplotlib

    # No matplotlib.use(): in the kernel (serial rendering) that would switch off the inline
    # backend and hide the notebook's later figures; the Renderer draws on its own Agg canvas.
    if style:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(style)
    renderer = Renderer(live, dpi)
    out = []
    for combo in combos:
        values = dict(zip(names, combo, strict=True))
        try:
            layers = {}
            if pick is not None:
                name, options = pick
                values[name] = ()
                for option in options:
                    layers[_fmt(option)] = base64.b64encode(
                        renderer.layer_png({**values, name: (option,)})).decode("ascii")
            png = renderer.png(values, palette=True)
            alt = live.describe(**values)
        except Exception as err:  # reported with the values by the caller
            return ("error", values, f"{type(err).__name__}: {err}")
        out.append((combo, base64.b64encode(png).decode("ascii"), alt, layers))
    renderer.close()
    return ("ok", out, None)


def _in_build() -> bool:
    return os.environ.get(BUILD_ENV, "") not in ("", "0")


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class Experiment:
    """An interactive figure with controls, a title, a caption and a text alternative.

    Parameters
    ----------
    name : str
        A short slug unique in its chapter (``"forward-pass"``): the id of the website's
        flipbook and of its frame files, and how errors name the experiment.
    figure : LiveFigure
    controls : dict of str -> control
        The keyword of ``build``/``update`` -> its control.
    title, caption : str
        Above the controls, and below the figure.

    Display it (the last expression of a cell). In a kernel it is a widget (ipywidgets); when
    the book is built it is a flipbook of precomputed frames (see the module docstring).
    """

    name: str
    figure: LiveFigure
    controls: dict
    title: str = ""
    caption: str = ""
    parallel: bool = True
    _renderer: Renderer | None = field(default=None, repr=False)
    _widget: object = field(default=None, repr=False)

    def __post_init__(self):
        if not _SLUG.match(self.name):
            raise ExperimentError(f"Experiment: the name {self.name!r} must be a slug such as "
                                  f"'forward-pass' (lower case, digits and hyphens).")
        if not isinstance(self.figure, LiveFigure):
            raise ExperimentError(f"Experiment {self.name!r}: expected a LiveFigure, got "
                                  f"{type(self.figure).__name__}.")
        for key, control in self.controls.items():
            if not isinstance(control, _Control):
                raise ExperimentError(f"Experiment {self.name!r}: control {key!r} must be made "
                                      f"with book.live (Slider, IntSlider, LogSlider, Choice, "
                                      f"Toggle, Pick, Play), got {type(control).__name__}.")
            control.check(key)
        if sum(isinstance(c, Pick) for c in self.controls.values()) > 1:
            raise ExperimentError(f"Experiment {self.name!r}: at most one Pick control.")

    @property
    def pick(self):
        """``(name, Pick)`` of the experiment's Pick control, or None."""
        for k, c in self.controls.items():
            if isinstance(c, Pick):
                return k, c
        return None

    # -- values -------------------------------------------------------------------------------
    @property
    def defaults(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    @property
    def main(self) -> str:
        """The main control: the first one (the one the benchmark moves)."""
        return next(iter(self.controls))

    def where(self) -> str:
        chapter = type(self.figure).__module__.removeprefix("book.")
        return f"{chapter}, experiment {self.name!r}"

    def grid(self) -> list[dict]:
        """Every combination of control values the website shows (valid ones only)."""
        names = list(self.controls)
        combos = itertools.product(*(self.controls[k].grid() for k in names))
        frames = [dict(zip(names, c, strict=True)) for c in combos]
        frames = [v for v in frames if self.figure.valid(**v)]
        images = len(frames) * (1 + (len(self.pick[1].values()) if self.pick else 0))
        if images > MAX_FRAMES:
            sizes = ", ".join(f"{k}: {len(self.controls[k].grid())}" for k in names)
            layers = f", times 1 + {len(self.pick[1].values())} layers" if self.pick else ""
            raise ExperimentError(
                f"{self.where()}: {images} frames, more than the budget of {MAX_FRAMES} "
                f"per experiment ({sizes} values on the website{layers}). Give a slider a "
                f"coarser `web=` grid.")
        return frames

    def draw(self, **values) -> bytes:
        """PNG of the figure for ``values`` (missing ones take their defaults)."""
        full = {**self.defaults, **values}
        if self._renderer is None:
            self._renderer = Renderer(self.figure)
        return self._renderer.png(full)

    # -- the website ----------------------------------------------------------------------
    def frames(self) -> list[tuple[dict, str, str, dict]]:
        """(values, base64 palette PNG, text alternative, {option: base64 layer PNG}) for
        every point of :meth:`grid`, rendered in parallel processes, each reusing one
        figure. The layers are empty unless the experiment has a :class:`Pick`."""
        grid = self.grid()
        names = list(self.controls)
        keyed = {}
        # frames that share the rebuild controls go to the same worker, in order
        for v in grid:
            keyed.setdefault(tuple(_fmt(v[k]) for k in self.figure.rebuild_on), []).append(
                tuple(v[k] for k in names))
        groups = list(keyed.values())
        # fewer groups than workers (e.g. nothing to rebuild): split the largest in halves,
        # each half still in order, so that both processes get work
        workers_wanted = min(2, os.cpu_count() or 1)
        while len(groups) < workers_wanted and max(len(g) for g in groups) > 1:
            big = max(range(len(groups)), key=lambda i: len(groups[i]))
            g = groups.pop(big)
            groups += [g[:len(g) // 2], g[len(g) // 2:]]
        pick = (self.pick[0], self.pick[1].values()) if self.pick else None
        images = len(grid) * (1 + (len(pick[1]) if pick else 0))
        workers = min(2, os.cpu_count() or 1) if self.parallel and images >= 24 else 1
        chunks = [sum(groups[i::workers], []) for i in range(workers)]
        if workers > 1:
            import multiprocessing

            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
                    as pool:
                results = list(pool.map(_render_chunk, [self.figure] * workers,
                                        [names] * workers, chunks, [DPI] * workers,
                                        [_style()] * workers, [pick] * workers))
        else:
            results = [_render_chunk(self.figure, names, chunks[0], DPI, None, pick)]
        out = []
        for status, payload, message in results:
            if status == "error":
                raise ExperimentError(f"{self.where()}: the figure for "
                                      f"{_describe_values(payload)} could not be drawn: {message}")
            for combo, data, alt, layers in payload:
                out.append((dict(zip(names, combo, strict=True)), data, alt, layers))
        order = {tuple(_fmt(v[k]) for k in names): i for i, v in enumerate(grid)}
        out.sort(key=lambda f: order[tuple(_fmt(f[0][k]) for k in names)])
        return out

    def html(self) -> str:
        """The flipbook: controls, the default frame and the frames' data (book build)."""
        t0 = time.perf_counter()
        frames = self.frames()
        names = list(self.controls)
        spec_controls = []
        for k in names:
            c = self.controls[k]
            entry = {"name": k, "label": c.label or k, "kind": c.kind,
                     "values": [_fmt(v) for v in c.grid()], "default": _fmt(c.value)}
            if isinstance(c, Choice):
                labels = dict((_fmt(v), lab) for lab, v in c.pairs())
                entry["labels"] = [labels[_fmt(v)] for v in c.grid()]
            if isinstance(c, Pick):
                entry["values"] = [_fmt(v) for v in c.values()]
                entry["labels"] = [lab for lab, _ in c.pairs()]
                entry["default"] = [_fmt(v) for v in c.value]
            if isinstance(c, Play):
                entry["interval"] = c.interval
            spec_controls.append(entry)
        keyed = [k for k in names if not isinstance(self.controls[k], Pick)]
        default_key = "|".join(_fmt(self.controls[k].value) for k in keyed)
        png = "data:image/png;base64,"
        spec = {"name": self.name, "title": self.title, "controls": spec_controls,
                "frames": {"|".join(_fmt(v[k]) for k in keyed):
                           {"src": png + data, "alt": alt,
                            **({"layers": {o: png + d for o, d in layers.items()}}
                               if layers else {})}
                           for v, data, alt, layers in frames},
                "default": default_key, "seconds": round(time.perf_counter() - t0, 2)}
        if default_key not in spec["frames"]:
            raise ExperimentError(f"{self.where()}: the default values are not a valid frame.")
        first = spec["frames"][default_key]
        controls_html = "".join(_control_html(self.name, c) for c in spec_controls)
        w, h = (int(round(s * DPI)) for s in self.figure.size)
        payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
        overlays = ""
        if self.pick:
            picked = {_fmt(v) for v in self.pick[1].value}
            overlays = "".join(
                f'<img class="nnb-live-layer" data-option="{html.escape(o)}" width="{w}" '
                f'height="{h}" alt="" src="{src}"{"" if o in picked else " hidden"}>'
                for o, src in first.get("layers", {}).items())
        return (
            f'<div class="nnb-live" id="nnb-live-{self.name}" data-live="{self.name}">'
            f'<div class="nnb-live-title">{html.escape(self.title)}</div>'
            f'<div class="nnb-live-controls">{controls_html}</div>'
            f'<figure class="nnb-live-figure"><img class="nnb-live-img" width="{w}" height="{h}" '
            f'src="{first["src"]}" alt="{html.escape(first["alt"])}">{overlays}</figure>'
            f'<p class="nnb-live-status" aria-live="polite">{html.escape(first["alt"])}</p>'
            + (f'<div class="nnb-live-caption">{html.escape(self.caption)}</div>'
               if self.caption else "")
            + '<p class="nnb-live-note">On this page the figure shows values computed when the '
              'book was built, for the steps the controls offer. Download the notebook or '
              'launch it (the buttons at the top of the page) to explore the full range.</p>'
            f'<script type="application/json" class="nnb-live-data">{payload}</script></div>')

    # -- the notebook ---------------------------------------------------------------------
    def widget(self):
        """The ipywidgets version (created once)."""
        if self._widget is None:
            self._widget = _LiveWidget(self)
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        if _in_build():
            display({"text/html": self.html(), "text/plain": f"Experiment: {self.title}"},
                    raw=True)
        else:
            display(self.widget())


def _describe_values(values: dict) -> str:
    return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in values.items()) + "}"


def _control_html(exp, c) -> str:
    ident = f"nnb-{exp}-{c['name']}"
    label = html.escape(c["label"])
    if c["kind"] == "select":
        opts = "".join(f'<option value="{i}"{" selected" if v == c["default"] else ""}>'
                       f'{html.escape(lab)}</option>'
                       for i, (v, lab) in enumerate(zip(c["values"], c["labels"], strict=True)))
        inner = f'<select id="{ident}" data-control="{c["name"]}">{opts}</select>'
    elif c["kind"] == "checkbox":
        checked = " checked" if c["default"] == "on" else ""
        inner = f'<input type="checkbox" id="{ident}" data-control="{c["name"]}"{checked}>'
    elif c["kind"] == "pick":
        boxes = "".join(
            f'<label class="nnb-live-option"><input type="checkbox" data-pick="{c["name"]}" '
            f'value="{html.escape(v)}"{" checked" if v in c["default"] else ""}> '
            f'{html.escape(lab)}</label>'
            for v, lab in zip(c["values"], c["labels"], strict=True))
        return (f'<fieldset class="nnb-live-control nnb-live-pick"><legend>{label}</legend>'
                f'{boxes}</fieldset>')
    else:
        idx = c["values"].index(c["default"])
        inner = (f'<input type="range" id="{ident}" data-control="{c["name"]}" min="0" '
                 f'max="{len(c["values"]) - 1}" step="1" value="{idx}">'
                 f'<output for="{ident}">{html.escape(c["default"])}</output>')
        if c["kind"] == "play":
            inner = (f'<button type="button" class="nnb-live-play" data-play="{c["name"]}" '
                     f'aria-label="Play {label}">Play</button>') + inner
    return f'<span class="nnb-live-control"><label for="{ident}">{label}</label>{inner}</span>'


class _LiveWidget:
    """The notebook widget of an :class:`Experiment` (ipywidgets): controls and an image."""

    def __init__(self, exp: Experiment):
        import ipywidgets as w
        import traitlets

        self.exp = exp
        self.renderer = Renderer(exp.figure)
        self.controls = {k: c.widget() for k, c in exp.controls.items()}
        self.image = w.HTML(layout=w.Layout(min_height="60px"))
        self.image.add_class("nnb-live-image")
        self.error = None
        self.n_draws = 0
        self._busy = False
        self._pending = False
        header = w.HTML(f"<div style='font-weight:600;margin:0.3em 0'>"
                        f"{html.escape(exp.title)}</div>")
        row = w.HBox(list(self.controls.values()),
                     layout=w.Layout(flex_flow="row wrap", align_items="center"))
        children = [header, row, self.image]
        if exp.caption:
            children.append(w.HTML(f"<div style='font-size:0.88em;color:#444'>"
                                   f"{html.escape(exp.caption)}</div>"))
        self.box = w.VBox(children, layout=w.Layout(width="100%"))
        self.box.add_class("nnb-live")
        self.box.add_class(f"nnb-live-exp-{exp.name}")      # which experiment (benchmarks)
        self.controls[exp.main].add_class("nnb-live-main")  # the control a reader moves first
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self._traitlets = traitlets
        self.redraw()

    @property
    def values(self) -> dict:
        """The controls' values, snapped to each control's own values (see _Control.snap)."""
        return {k: self.exp.controls[k].snap(c.value) for k, c in self.controls.items()}

    def _changed(self, _change):
        self.redraw()

    def _apply_bounds(self, values):
        for name, (lo, hi) in self.exp.figure.bounds(**values).items():
            control = self.controls[name]
            target = getattr(control, "slider", control)
            if target.max != hi:
                target.max = hi
                if hasattr(control, "play"):
                    control.play.max = hi
            if target.min != lo:
                target.min = lo

    def redraw(self):
        """Render the figure for the controls' values and show it (coalescing changes that
        arrive while a render runs)."""
        if self._busy:
            self._pending = True
            return
        self._busy = True
        try:
            for _ in range(3):
                self._pending = False
                values = self.values
                self._apply_bounds(values)
                values = self.values
                try:
                    png = self.renderer.png(values, palette=True)
                    alt = self.exp.figure.describe(**values)
                    self.error = None
                except Exception as err:  # shown in place of the figure; the widget lives on
                    self.error = err
                    self.image.value = (f"<pre style='color:#D55E00;white-space:pre-wrap'>The "
                                        f"figure could not be drawn for {html.escape(str(values))}"
                                        f": {html.escape(repr(err))}</pre>")
                    self.renderer = Renderer(self.exp.figure)
                else:
                    data = base64.b64encode(png).decode("ascii")
                    self.image.value = (f'<img src="data:image/png;base64,{data}" '
                                        f'alt="{html.escape(alt)}" style="max-width:100%">'
                                        f'<div class="nnb-live-alt" aria-live="polite" '
                                        f'style="font-size:0.8em;color:#555">'
                                        f'{html.escape(alt)}</div>')
                self.n_draws += 1
                if not self._pending:
                    break
        finally:
            self._busy = False

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)
