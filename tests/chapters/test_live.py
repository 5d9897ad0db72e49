"""book/live.py: the live experiments, in the notebook (widget) and on the website (flipbook).

Every experiment of every chapter (``EXPERIMENTS`` of each ``book.chNN_*`` module) is checked
here: its website grid fits the frame budget, its default values are a frame, moving each
control draws exactly what a fresh, plain drawing of the same values gives (so blitting never
leaves stale pixels), and its text alternative names the values.
"""

import importlib
import json
import pkgutil
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book  # noqa: E402
from book import live  # noqa: E402


def all_experiments():
    found = []
    for info in pkgutil.iter_modules(book.__path__):
        if re.match(r"ch\d\d_", info.name):
            module = importlib.import_module(f"book.{info.name}")
            for make in getattr(module, "EXPERIMENTS", ()):
                found.append(pytest.param(make, id=f"{info.name}.{make.__name__}"))
    return found


EXPERIMENTS = all_experiments()   # the book's; the test figures below are added after them


class Wave(live.LiveFigure):
    """A minimal live figure: a sine whose frequency is the control."""

    size = (3.0, 2.0)
    redraw_on = ("span",)

    def build(self, fig, k, span=6.3):
        self.ax = fig.add_subplot()
        self.x = np.linspace(0, 6.3, 80)
        self.line, = self.ax.plot(self.x, np.sin(k * self.x), zorder=3)  # over the spines
        self.ax.set_ylim(-1.1, 1.1)
        self.animate(self.line)

    def update(self, k, span=6.3):
        self.line.set_ydata(np.sin(k * self.x))
        self.ax.set_xlim(0, span)


class Curves(live.LiveFigure):
    """Three curves, any subset of them drawn (a Pick), and a scale slider."""

    size = (3.0, 2.0)

    def build(self, fig, show, scale):
        ax = fig.add_subplot()
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.1, 3.1)
        self.x = np.linspace(0, 1, 40)
        self.lines = {name: ax.plot(self.x, self.x, lw=2, zorder=3)[0] for name in "abc"}
        self.animate(*self.lines.values())

    def update(self, show, scale):
        for i, (name, line) in enumerate(self.lines.items()):
            line.set_ydata(scale * (i + 1) * self.x ** 2)
            line.set_visible(name in show)


def curves_experiment():
    return live.Experiment("curves", Curves(), parallel=False, controls=dict(
        show=live.Pick(["a", "b", "c"], ("a", "c"), label="curves"),
        scale=live.Slider(0.5, 1.0, 0.25, value=1.0, label="scale")))


EXPERIMENTS.append(pytest.param(curves_experiment, id="test.curves"))


class Broken(Wave):
    def update(self, k, span=6.3):
        if k > 2:
            raise RuntimeError("no frame for this k")
        super().update(k, span)


def test_experiments_exist():
    assert len(EXPERIMENTS) >= 1


@pytest.mark.parametrize("make", EXPERIMENTS)
def test_experiment_grid_fits_the_budget_and_contains_the_defaults(make):
    exp = make()
    grid = exp.grid()
    assert 1 <= len(grid) <= live.MAX_FRAMES
    assert exp.defaults in grid
    assert exp.main in exp.controls


@pytest.mark.parametrize("make", EXPERIMENTS)
def test_every_control_move_draws_what_a_plain_drawing_gives(make):
    """Move each control one step from the defaults (and back); every incremental frame must
    equal a full, plain drawing of the same values."""
    exp = make()
    renderer = live.Renderer(exp.figure)
    values = exp.defaults
    first = renderer.rgba(values).copy()
    np.testing.assert_array_equal(first, renderer.reference_rgba(values))
    for name, control in exp.controls.items():
        if isinstance(control, live.Pick):       # tick or untick the first option
            first_option = control.values()[0]
            toggled = tuple(v for v in control.values()
                            if (v in values[name]) != (v == first_option))
            options = [toggled]
        else:
            options = [v for v in control.grid()
                       if exp.figure.valid(**{**values, name: v}) and v != values[name]]
        if not options:
            continue
        moved = {**values, name: options[0]}
        got = renderer.rgba(moved).copy()
        want = renderer.reference_rgba(moved)
        diff = np.abs(got.astype(int) - want.astype(int)).max(axis=2)
        assert (diff > 0).mean() == 0.0, (f"{name} = {options[0]!r}: {(diff > 0).sum()} pixels "
                                          f"differ from a plain drawing (largest {diff.max()})")
        assert not np.array_equal(got, first), f"moving {name} did not change the figure"
        renderer.rgba(values)
    renderer.close()


@pytest.mark.parametrize("make", EXPERIMENTS)
def test_text_alternative_states_the_values(make):
    exp = make()
    renderer = live.Renderer(exp.figure)
    renderer.rgba(exp.defaults)
    text = exp.figure.describe(**exp.defaults)
    assert isinstance(text, str) and len(text) > 20
    main, control = exp.defaults[exp.main], exp.controls[exp.main]
    if isinstance(control, live.Pick):      # the picked options are named
        labels = dict((v, lab) for lab, v in control.pairs())
        assert all(labels[v] in text or str(v) in text for v in main), text
    else:
        assert live._fmt(main) in text or str(main) in text, text
    renderer.close()


def test_renderer_blits_and_redraws_as_declared():
    r = live.Renderer(Wave())
    a = r.rgba({"k": 1.0, "span": 6.3}).copy()
    b = r.rgba({"k": 2.0, "span": 6.3}).copy()
    assert r.builds == 1 and not np.array_equal(a, b)
    np.testing.assert_array_equal(b, r.reference_rgba({"k": 2.0, "span": 6.3}))
    c = r.rgba({"k": 2.0, "span": 3.0}).copy()     # limits change: a full redraw
    np.testing.assert_array_equal(c, r.reference_rgba({"k": 2.0, "span": 3.0}))
    assert r.builds == 1
    png = r.png({"k": 1.0, "span": 3.0})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    r.close()


def test_controls_grids_and_defaults():
    assert live.IntSlider(1, 6, value=3).values() == [1, 2, 3, 4, 5, 6]
    assert live.IntSlider(1, 6, value=3, web=(1, 3, 5)).grid() == [1, 3, 5]
    assert live.Slider(0.0, 1.0, 0.25, value=0.5).values() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert live.LogSlider(1e-3, 1.0, per_decade=1, value=0.01).values() == [0.001, 0.01, 0.1,
                                                                             1.0]
    assert live.Choice(["a", ("Bee", "b")], label="x").value == "a"
    assert live.Toggle(True).values() == [False, True]
    assert live.Play(0, 3, value=1).values() == [0, 1, 2, 3]
    with pytest.raises(live.ExperimentError, match=r"control 'n': the default 4 is not on the "
                                                   r"website's grid \[1, 3, 5\]; add it to `web`"):
        live.IntSlider(1, 6, value=4, web=(1, 3, 5)).check("n")


def test_experiment_refuses_a_grid_over_the_budget():
    exp = live.Experiment("waves", Wave(), controls={
        "k": live.Slider(0.0, 20.0, 0.1, value=1.0), "span": live.Choice([3.0, 6.3], 6.3)})
    with pytest.raises(live.ExperimentError,
                       match=r"test_live, experiment 'waves': 402 frames, more "
                             r"than the budget of 150 per experiment \(k: 201, span: 2 values on "
                             r"the website\)"):
        exp.grid()


def test_experiment_names_the_values_of_a_frame_that_fails():
    exp = live.Experiment("broken", Broken(), parallel=False, controls={
        "k": live.Slider(1.0, 3.0, 1.0, value=1.0)})
    with pytest.raises(live.ExperimentError,
                       match=r"experiment 'broken': the figure for \{k=3\} could not be drawn: "
                             r"RuntimeError: no frame for this k"):
        exp.html()


def test_experiment_checks_its_arguments():
    with pytest.raises(live.ExperimentError, match="must be a slug"):
        live.Experiment("Bad Name", Wave(), controls={})
    with pytest.raises(live.ExperimentError, match="control 'k' must be made with book.live"):
        live.Experiment("w", Wave(), controls={"k": 3})


def test_flipbook_html_has_every_frame_and_working_controls():
    exp = live.Experiment("waves", Wave(), title="Waves", caption="A sine.", parallel=False,
                          controls={"k": live.Slider(1.0, 3.0, 0.5, value=2.0),
                                    "span": live.Choice([("short", 3.0), ("long", 6.3)], 6.3,
                                                        label="span")})
    page = exp.html()
    spec = json.loads(re.search(r'class="nnb-live-data">(.*?)</script>', page, re.S).group(1))
    assert len(spec["frames"]) == 10 and spec["default"] == "2|6.3"
    assert all(f["src"].startswith("data:image/png;base64,") for f in spec["frames"].values())
    assert spec["frames"]["2|6.3"]["alt"] in page          # the default frame is shown
    assert 'type="range"' in page and "<select" in page and ">long</option>" in page
    assert "precomputed" not in page or "computed when the book was built" in page


def test_widget_redraws_on_a_change_and_shows_errors_in_place():
    exp = live.Experiment("broken", Broken(), controls={
        "k": live.Slider(1.0, 3.0, 1.0, value=1.0)})
    w = exp.widget()
    assert w.n_draws == 1 and "data:image/png;base64," in w.image.value
    w.controls["k"].value = 2.0
    assert w.n_draws == 2 and w.error is None
    w.controls["k"].value = 3.0
    assert isinstance(w.error, RuntimeError) and "could not be drawn" in w.image.value
    w.controls["k"].value = 1.0
    assert w.error is None and "data:image/png;base64," in w.image.value


def test_build_mode_displays_the_flipbook(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    exp = live.Experiment("waves", Wave(), parallel=False,
                          controls={"k": live.Slider(1.0, 2.0, 1.0, value=1.0)})
    monkeypatch.setenv(live.BUILD_ENV, "1")
    exp._ipython_display_()
    assert "text/html" in shown[-1] and "nnb-live-data" in shown[-1]["text/html"]
    monkeypatch.setenv(live.BUILD_ENV, "")
    exp._ipython_display_()
    assert shown[-1] is exp.widget()


def test_small_multiples_builds_one_panel_per_setting():
    import matplotlib.pyplot as plt

    fig = live.small_multiples(Wave(), [{"k": 1.0}, {"k": 2.0}, {"k": 3.0}], ncols=2,
                               titles=["one", "two", "three"])
    assert len(fig.subfigs) == 4 and sum(s.get_visible() for s in fig.subfigs) == 3
    assert len(fig.axes) == 3
    plt.close(fig)


def test_pick_layers_compose_to_the_figure_with_those_curves():
    """On the website a Pick option is a transparent layer over the base frame; laid over it,
    it gives the figure drawn with that option picked (up to antialiasing)."""
    from PIL import Image
    import io

    exp = curves_experiment()
    assert len(exp.grid()) == 3                            # the scale slider's values
    frames = exp.frames()
    assert len(frames) == 3 and all(set(f[3]) == {"a", "b", "c"} for f in frames)
    values, base64_base, _, layers = frames[-1]            # scale = 1.0
    import base64

    base = Image.open(io.BytesIO(base64.b64decode(base64_base))).convert("RGBA")
    layer = Image.open(io.BytesIO(base64.b64decode(layers["b"]))).convert("RGBA")
    composed = np.asarray(Image.alpha_composite(base, layer).convert("RGB"), dtype=int)
    want = np.asarray(Image.open(io.BytesIO(live.Renderer(Curves()).png(
        {"show": ("b",), "scale": 1.0}))).convert("RGB"), dtype=int)
    diff = np.abs(composed - want).max(axis=2)
    assert (diff > 60).mean() < 0.002, (diff > 60).mean()   # palette and edge blending
    assert (np.abs(np.asarray(base.convert("RGB"), dtype=int) - want).max(axis=2) > 60).mean() \
        > 0.005                                             # the curve is really in the layer
    page = exp.html()
    assert page.count('class="nnb-live-layer"') == 3 and page.count(" hidden>") == 1
    assert 'data-pick="show"' in page


def test_pick_widget_value_follows_the_boxes():
    exp = curves_experiment()
    w = exp.widget()
    pick = w.controls["show"]
    assert pick.value == ("a", "c")
    pick.boxes[1].value = True
    assert pick.value == ("a", "b", "c") and w.n_draws == 2
    with pytest.raises(live.ExperimentError, match="the default picks \\['z'\\]"):
        live.Pick(["a"], ("z",)).check("p")


def test_widget_values_are_snapped_to_the_controls_values():
    """A notebook log slider reports 10 ** 0.5 exactly; the figure must receive the control's
    own (rounded) value, the one the website's frames and any cache are keyed by."""
    seen = []

    class Record(Wave):
        def update(self, k, span=6.3):
            seen.append(k)
            super().update(k, span)

    exp = live.Experiment("record", Record(), controls={
        "k": live.LogSlider(0.1, 10.0, per_decade=2, value=1.0)})
    w = exp.widget()
    w.controls["k"].value = 10 ** 0.5
    assert seen[-1] == 3.16228 and 3.16228 in exp.controls["k"].values()
    assert live.Choice(["a", "b"]).snap("b") == "b"
    assert live.IntSlider(0, 10, value=2).snap(3) == 3
