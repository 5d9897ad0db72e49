"""Slider experiments: the controls and the layout every chapter's interactive figure uses.

A chapter writes a plain function ``draw(**values) -> Figure`` (which can be timed, tested and
used for the static figure) and hands it to :func:`interactive` together with a few controls
made by the helpers below. The result is an :class:`Experiment`: a title, the controls in a
row that wraps, the figure, and a caption. The figure is drawn once at once, so a notebook
executed for the website embeds it, and again whenever a control changes. Every control
reports a change only when the reader lets go of it (``continuous_update=False``), so a
network is retrained once per move, not once per pixel.
"""

from __future__ import annotations

import html
import io
import logging
import math
import numbers
import traceback

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import traitlets
from matplotlib.figure import Figure

from ._checks import check_bool, check_int

__all__ = [
    "float_slider",
    "int_slider",
    "log_slider",
    "dropdown",
    "checkbox",
    "play",
    "interactive",
    "Experiment",
    "PlaySlider",
    "render_png",
]

_log = logging.getLogger(__name__)

#: One look for every control: a fixed width so that rows wrap evenly, descriptions in full.
_STYLE = {"description_width": "initial"}


def _layout():
    return w.Layout(width="320px", margin="2px 16px 2px 0px")


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _check_range(where, value, lo, hi, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    for name, v in (("value", value), ("min", lo), ("max", hi)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, kind) or not math.isfinite(v):
            raise TypeError(f"{where}: expected {name} to be a finite "
                            f"{'integer' if integer else 'number'}, got {v!r}.")
    if not lo < hi:
        raise ValueError(f"{where}: expected min < max, got min={lo!r}, max={hi!r}.")
    if not lo <= value <= hi:
        raise ValueError(f"{where}: expected value between min={lo!r} and max={hi!r}, got "
                         f"{value!r}.")


def _check_description(where, description):
    if not isinstance(description, str):
        raise TypeError(f"{where}: expected description to be a string, got "
                        f"{type(description).__name__}.")
    return description


def _decimals(step):
    """Digits after the point needed to show multiples of ``step`` (0.05 -> 2)."""
    digits = 0
    while digits < 8 and abs(round(step, digits) - step) > 1e-12 * max(1.0, abs(step)):
        digits += 1
    return digits


def float_slider(value, min, max, step=None, description=""):  # noqa: A002 - ipywidgets' names
    """A slider for a real number, e.g. a weight, a noise level or a dropout rate.

    Parameters
    ----------
    value : float
        Initial value, within [min, max].
    min, max : float
        The range, min < max.
    step : float, optional
        Resolution of the slider; default (max - min) / 100.
    description : str
        Label shown before the slider, e.g. ``"dropout p"``.

    Returns
    -------
    ipywidgets.FloatSlider
        With ``continuous_update=False`` and a readout precise enough for ``step``.

    Examples
    --------
    >>> s = float_slider(0.5, 0.0, 1.0, 0.05, "p")
    >>> s.value, s.step, s.readout_format, s.continuous_update
    (0.5, 0.05, '.2f', False)
    """
    where = "float_slider"
    _check_range(where, value, min, max)
    if step is None:
        step = (max - min) / 100.0
    if not _is_number(step) or not math.isfinite(step) or step <= 0:
        raise ValueError(f"{where}: expected step > 0, got {step!r}.")
    if step > max - min:
        raise ValueError(f"{where}: expected step <= max - min = {max - min!r}, got {step!r}.")
    return w.FloatSlider(value=float(value), min=float(min), max=float(max), step=float(step),
                         description=_check_description(where, description),
                         readout_format=f".{_decimals(float(step))}f",
                         continuous_update=False, style=_STYLE, layout=_layout())


def int_slider(value, min, max, step=1, description=""):  # noqa: A002
    """A slider for an integer, e.g. a number of hidden units, layers or epochs.

    Parameters
    ----------
    value, min, max, step : int
        Initial value within [min, max]; step >= 1.
    description : str

    Returns
    -------
    ipywidgets.IntSlider

    Examples
    --------
    >>> int_slider(8, 1, 64, description="hidden units").value
    8
    """
    where = "int_slider"
    _check_range(where, value, min, max, integer=True)
    step = check_int(step, where, "step", minimum=1)
    return w.IntSlider(value=int(value), min=int(min), max=int(max), step=int(step),
                       description=_check_description(where, description),
                       continuous_update=False, style=_STYLE, layout=_layout())


def log_slider(value, min, max, description="", steps_per_decade=10):  # noqa: A002
    """A slider on a logarithmic scale, for quantities that span decades (learning rates).

    Parameters
    ----------
    value : float
        Initial value in [min, max].
    min, max : float
        The range as values, not exponents: ``log_slider(1e-3, 1e-5, 1.0)``; 0 < min < max.
    description : str
    steps_per_decade : int
        Stops per factor of ten (10 gives 1, 1.26, 1.58, 2, ...).

    Returns
    -------
    ipywidgets.FloatLogSlider

    Examples
    --------
    >>> s = log_slider(1e-3, 1e-5, 1.0, "learning rate")
    >>> s.value, s.min, s.max, s.base
    (0.001, -5.0, 0.0, 10.0)
    """
    where = "log_slider"
    _check_range(where, value, min, max)
    if min <= 0:
        raise ValueError(f"{where}: expected min > 0 for a logarithmic scale, got {min!r}.")
    steps_per_decade = check_int(steps_per_decade, where, "steps_per_decade", minimum=1)
    return w.FloatLogSlider(value=float(value), base=10.0, min=math.log10(min),
                            max=math.log10(max), step=1.0 / steps_per_decade,
                            description=_check_description(where, description),
                            readout_format=".3g", continuous_update=False, style=_STYLE,
                            layout=_layout())


def dropdown(options, value=None, description=""):
    """A drop-down menu, e.g. for an activation function or an optimiser.

    Parameters
    ----------
    options : sequence or dict
        The choices: a list of values (shown as text), a list of ``(label, value)`` pairs,
        or a dict ``{label: value}``.
    value : optional
        The initial choice (a value, not a label); default the first.
    description : str

    Returns
    -------
    ipywidgets.Dropdown

    Examples
    --------
    >>> d = dropdown(["relu", "tanh", "sigmoid"], "tanh", "activation")
    >>> d.value, d.options
    ('tanh', ('relu', 'tanh', 'sigmoid'))
    >>> dropdown({"small": 0.01, "large": 1.0}).value
    0.01
    """
    where = "dropdown"
    if isinstance(options, dict):
        choices = list(options.items())
    elif isinstance(options, (list, tuple)):
        choices = list(options)
    else:
        raise TypeError(f"{where}: expected options to be a list, a tuple or a dict, got "
                        f"{type(options).__name__}.")
    if not choices:
        raise ValueError(f"{where}: expected at least one option, got none.")
    labelled = isinstance(options, dict) or all(
        isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) for o in choices)
    values = [v for _, v in choices] if labelled else choices
    if value is None:
        value = values[0]
    elif not any(value is v or _same(value, v) for v in values):
        raise ValueError(f"{where}: expected value to be one of the options {values!r}, got "
                         f"{value!r}.")
    return w.Dropdown(options=choices, value=value,
                      description=_check_description(where, description), style=_STYLE,
                      layout=_layout())


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def checkbox(value=False, description=""):
    """A check box for an on/off choice, e.g. "use batch norm".

    Examples
    --------
    >>> checkbox(True, "batch norm").value
    True
    """
    where = "checkbox"
    value = check_bool(value, where, "value")
    return w.Checkbox(value=value, description=_check_description(where, description),
                      indent=False, style=_STYLE, layout=_layout())


class PlaySlider(w.HBox):
    """A Play button next to an integer slider, for stepping through time (epochs, layers).

    ``value`` is the slider's value; observing ``value`` on this box is the same as observing
    the slider. Made by :func:`play`.
    """

    value = traitlets.Int()

    def __init__(self, play_widget, slider):
        super().__init__([play_widget, slider], layout=w.Layout(align_items="center",
                                                                margin="2px 16px 2px 0px"))
        self.play = play_widget
        self.slider = slider
        self.value = slider.value
        # in the browser the button drives the slider directly (smooth, no kernel round trip);
        # in Python the three values are kept equal by ordinary links
        w.jslink((play_widget, "value"), (slider, "value"))
        traitlets.link((play_widget, "value"), (slider, "value"))
        traitlets.link((slider, "value"), (self, "value"))

    @property
    def description(self):
        return self.slider.description


def play(value, min, max, description="", interval=300, step=1):  # noqa: A002
    """A Play button linked to an integer slider: press it to animate, drag to scrub.

    Parameters
    ----------
    value, min, max : int
        Initial frame and range.
    description : str
    interval : int
        Milliseconds between frames while playing.
    step : int
        Frames advanced per tick.

    Returns
    -------
    PlaySlider
        A box with the button and the slider; its ``.value`` is the current frame and drives
        the draw function of :func:`interactive`.

    Examples
    --------
    >>> p = play(0, 0, 10, "epoch")
    >>> p.value = 4
    >>> p.slider.value, p.play.value
    (4, 4)
    """
    where = "play"
    _check_range(where, value, min, max, integer=True)
    interval = check_int(interval, where, "interval (milliseconds per frame)", minimum=1)
    slider = int_slider(value, min, max, step, description)
    button = w.Play(value=int(value), min=int(min), max=int(max), step=int(step),
                    interval=int(interval), description=description,
                    layout=w.Layout(width="auto"))
    return PlaySlider(button, slider)


def render_png(fig) -> bytes:
    """The PNG an experiment shows for ``fig``: the whole figure at its own dpi.

    The figure is drawn once on an Agg canvas (which runs the constrained layout and
    rasterises) and its pixels are written as PNG at compression level 1. ``fig.savefig``
    gives the same pixels but walks every artist twice, first to lay the figure out and then
    to draw it, and compresses harder; this takes about a fifth less time. Most of what is
    left goes into matplotlib's layout and the drawing of text;
    ``benchmarks/bench.py --widgets`` times this function for every chapter's experiment.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    >>> png = render_png(fig)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> plt.close(fig)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # e.g. a Figure() made without pyplot
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    # compress_level 1: a PNG a few percent larger, written several times faster than at 6
    image.save(out, format="png", compress_level=1)
    return out.getvalue()


def _in_notebook():
    """True inside IPython (where display() renders); False in a plain Python process."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return get_ipython() is not None


class Experiment(w.VBox):
    """An interactive figure: title, controls, the figure and a caption. Made by
    :func:`interactive`.

    Attributes
    ----------
    draw_function : callable
        ``draw(**values) -> Figure``, the plain function behind the widget.
    controls : dict of str -> widget
        The controls, by the keyword they are passed to ``draw`` as.
    output : ipywidgets.Output
        Where the figure (or an error message) is shown.
    last_figure : Figure or None
        The figure of the latest successful draw (closed in pyplot, still savable).
    last_error : Exception or None
        The exception of the latest draw, if it failed.
    n_draws : int
        Number of times ``draw`` has been called.
    """

    #: at most this many draws in a row when changes keep arriving during a draw
    _MAX_REPEATS = 3

    def __init__(self, draw, title, caption, controls):
        self.draw_function = draw
        self.title = title
        self.controls = dict(controls)
        self.output = w.Output(layout=w.Layout(min_height="120px"))
        self.last_figure = None
        self.last_error = None
        self.n_draws = 0
        self._busy = False
        self._pending = False
        # A styled div, not a heading: a page's theme makes headings large, and a widget's
        # title is a label for the experiment, not a section of the chapter.
        header = w.HTMLMath(f"<div style='font-weight: 600; font-size: 1.05em; "
                            f"margin: 0.3em 0'>{html.escape(title, quote=False)}</div>")
        row = w.HBox(list(self.controls.values()),
                     layout=w.Layout(flex_flow="row wrap", align_items="center"))
        children = [header, row, self.output]
        if caption:
            children.append(w.HTMLMath(f"<div style='font-size: 0.88em; color: #444444'>"
                                       f"{html.escape(caption, quote=False)}</div>"))
        super().__init__(children, layout=w.Layout(width="100%"))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    @property
    def values(self) -> dict:
        """The current value of every control, as keyword arguments for ``draw``."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change):
        self.redraw()

    def redraw(self):
        """Call ``draw`` with the current values and show the figure.

        A change that arrives while a draw is running (e.g. from code inside ``draw``) does
        not start a second, nested draw: it is remembered, and one more draw with the latest
        values follows when the current one ends. Errors are shown in the output, logged to
        the ``nnlib.widgets`` logger and kept in ``last_error``; they are not raised.
        """
        if self._busy:
            self._pending = True
            return
        self._busy = True
        try:
            for _ in range(self._MAX_REPEATS):
                self._pending = False
                self._draw_once(self.values, raise_errors=False)
                if not self._pending:
                    break
        finally:
            self._busy = False

    def _draw_once(self, values, raise_errors):
        before = set(plt.get_fignums())
        self.n_draws += 1
        try:
            fig = self.draw_function(**values)
            if not isinstance(fig, Figure):
                raise TypeError(f"interactive: the draw function must return a matplotlib "
                                f"Figure (e.g. `fig, ax = plt.subplots(); ...; return fig`), "
                                f"got {type(fig).__name__}.")
        except Exception as err:
            self.last_error = err
            self._close_new_figures(before, keep=None)
            if raise_errors:
                raise
            _log.error("draw(%s) failed: %s", values, err, exc_info=True)
            self._show_error(values, err)
            return
        self.last_error = None
        self.last_figure = fig
        if _in_notebook():
            from IPython.display import Image, display

            png = render_png(fig)
            with self.output:
                self.output.clear_output(wait=True)
                display(Image(data=png, format="png", alt=self._alt_text(values)))
        else:
            self.output.outputs = ()
        self._close_new_figures(before, keep=fig)
        plt.close(fig)

    def _alt_text(self, values):
        """The figure's text alternative: the experiment's title and the controls' values."""
        shown = ", ".join(f"{name} = {value:.4g}" if isinstance(value, float) else
                          f"{name} = {value}" for name, value in values.items())
        return f"{self.title} ({shown})" if shown else self.title

    @staticmethod
    def _close_new_figures(before, keep):
        """Close figures the draw function opened, so the notebook does not show them twice."""
        for num in set(plt.get_fignums()) - before:
            fig = plt.figure(num)
            if fig is not keep:
                plt.close(fig)

    def _show_error(self, values, err):
        tb = "".join(traceback.format_exception_only(type(err), err)).strip()
        message = (f"<pre style='color: #D55E00; white-space: pre-wrap'>The figure could not "
                   f"be drawn for {html.escape(repr(values))}:\n{html.escape(tb)}</pre>")
        if _in_notebook():
            from IPython.display import HTML, display

            with self.output:
                self.output.clear_output(wait=True)
                display(HTML(message))
        else:
            self.output.outputs = ({"output_type": "display_data",
                                    "data": {"text/html": message, "text/plain": tb},
                                    "metadata": {}},)


def interactive(draw, *, title, caption="", **controls) -> Experiment:
    """Build a slider experiment around a plain drawing function.

    Parameters
    ----------
    draw : callable
        ``draw(**values) -> matplotlib.figure.Figure``, called with one keyword argument per
        control. It should make a new figure (``fig, ax = plt.subplots()``) and return it;
        the widget shows it and closes it.
    title : str
        Shown above the controls; state what to look for. ``$...$`` is typeset as maths.
    caption : str
        Shown below the figure, in small type ("Drag the slider and watch ...").
    **controls : widget
        The controls, made with :func:`float_slider`, :func:`int_slider`,
        :func:`log_slider`, :func:`dropdown`, :func:`checkbox` or :func:`play`; the keyword
        is the name of draw's argument.

    Returns
    -------
    Experiment
        An ``ipywidgets.VBox``; display it (make it the last expression of a cell). It has
        ``redraw()``, ``draw_function``, ``controls``, ``values``, ``last_figure`` and
        ``last_error``.

    Raises
    ------
    TypeError
        If draw is not callable, title is not a string, or a control is not a widget with a
        value.
    Exception
        Whatever ``draw`` raises on the first call (at construction), so that a broken
        experiment fails the notebook run that builds the website. Later failures (after a
        control moved) are shown in place of the figure and logged, not raised, so the widget
        stays usable.

    Notes
    -----
    ``draw`` is called once immediately, with the controls' initial values: the executed
    notebook then stores that figure in the widget's output, and the website shows it. It is
    called again after every change of a control; sliders report a change when released.
    Outside a notebook (tests, scripts) nothing is displayed, but ``draw`` is still called and
    ``last_figure`` holds its result.

    Examples
    --------
    >>> def draw(a):
    ...     fig, ax = plt.subplots()
    ...     x = np.linspace(-3, 3, 50)
    ...     ax.plot(x, np.tanh(a * x))
    ...     return fig
    >>> box = interactive(draw, title="Steeper tanh", a=float_slider(1.0, 0.1, 5.0, 0.1, "a"))
    >>> box.n_draws
    1
    >>> box.controls["a"].value = 2.0
    >>> box.n_draws, box.last_error is None
    (2, True)
    """
    where = "interactive"
    if not callable(draw):
        raise TypeError(f"{where}: expected draw to be a function returning a Figure, got "
                        f"{type(draw).__name__}.")
    if not isinstance(title, str):
        raise TypeError(f"{where}: expected title to be a string, got {type(title).__name__}.")
    if not isinstance(caption, str):
        raise TypeError(f"{where}: expected caption to be a string, got "
                        f"{type(caption).__name__}.")
    for name, control in controls.items():
        if not isinstance(control, w.Widget) or not control.has_trait("value"):
            raise TypeError(f"{where}: expected control {name!r} to be a widget with a value "
                            f"(e.g. widgets.float_slider(...)), got {type(control).__name__} "
                            f"{control!r}.")
    box = Experiment(draw, title, caption, controls)
    box._busy = True
    try:
        box._draw_once(box.values, raise_errors=True)
    finally:
        box._busy = False
    return box
