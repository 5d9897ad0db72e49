"""Tests of nnlib.widgets: the controls, and interactive()'s draw-once-then-on-change contract,
run headless (no notebook, Agg backend)."""

import logging

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib import widgets  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_draw(calls):
    """A draw function that records its arguments and returns a new figure."""

    def draw(**values):
        calls.append(values)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, values.get("a", 0)])
        return fig

    return draw


# --------------------------------------------------------------------------------------------
# controls
# --------------------------------------------------------------------------------------------
def test_float_slider():
    s = widgets.float_slider(0.25, 0.0, 1.0, 0.05, "noise")
    assert isinstance(s, w.FloatSlider)
    assert (s.value, s.min, s.max, s.step, s.description) == (0.25, 0.0, 1.0, 0.05, "noise")
    assert s.continuous_update is False and s.readout_format == ".2f"
    assert widgets.float_slider(1e-3, 0.0, 0.01, 1e-4).readout_format == ".4f"
    assert widgets.float_slider(2.0, 0.0, 10.0).step == pytest.approx(0.1)
    assert widgets.float_slider(2.0, 0.0, 10.0, 1.0).readout_format == ".0f"


def test_all_controls_share_one_layout_and_style():
    controls = [widgets.float_slider(0.5, 0, 1, 0.1, "a"), widgets.int_slider(2, 1, 5, 1, "b"),
                widgets.log_slider(0.01, 1e-4, 1.0, "c"), widgets.dropdown(["x", "y"], "x", "d"),
                widgets.checkbox(True, "e")]
    assert len({c.layout.width for c in controls}) == 1
    assert all(c.style.description_width == "initial" for c in controls)
    assert all(c.continuous_update is False for c in controls[:3])


def test_int_slider():
    s = widgets.int_slider(8, 1, 64, 1, "hidden units")
    assert isinstance(s, w.IntSlider)
    assert (s.value, s.min, s.max, s.step, s.continuous_update) == (8, 1, 64, 1, False)
    assert widgets.int_slider(4, 0, 10, description="depth").step == 1


def test_log_slider_takes_values_not_exponents():
    s = widgets.log_slider(3e-3, 1e-5, 1.0, "learning rate")
    assert isinstance(s, w.FloatLogSlider)
    assert s.value == pytest.approx(3e-3) and (s.min, s.max, s.base) == (-5.0, 0.0, 10.0)
    assert s.step == pytest.approx(0.1) and s.continuous_update is False
    assert widgets.log_slider(0.1, 0.01, 1.0, steps_per_decade=4).step == 0.25


def test_dropdown_forms():
    d = widgets.dropdown(["relu", "tanh"], "tanh", "activation")
    assert isinstance(d, w.Dropdown) and d.value == "tanh" and d.description == "activation"
    assert widgets.dropdown(["relu", "tanh"]).value == "relu"
    d = widgets.dropdown({"SGD": "sgd", "Adam": "adam"}, "adam")
    assert d.value == "adam" and d.label == "Adam"
    d = widgets.dropdown([("small", 0.01), ("large", 1.0)], 1.0)
    assert d.value == 1.0 and d.label == "large"


def test_checkbox():
    c = widgets.checkbox(True, "batch norm")
    assert isinstance(c, w.Checkbox) and c.value is True and c.description == "batch norm"
    assert widgets.checkbox().value is False


def test_play_drives_a_linked_slider():
    p = widgets.play(0, 0, 20, "epoch", interval=150)
    assert isinstance(p, widgets.PlaySlider) and isinstance(p.play, w.Play)
    assert p.play.interval == 150 and p.description == "epoch"
    seen = []
    p.observe(lambda change: seen.append(change["new"]), names="value")
    p.play.value = 5  # what pressing Play does
    assert p.slider.value == 5 and p.value == 5
    p.slider.value = 7  # dragging the slider
    assert p.play.value == 7 and p.value == 7
    assert seen == [5, 7]


@pytest.mark.parametrize("make, error, pattern", [
    (lambda: widgets.float_slider(0.5, 1.0, 0.0, 0.1), ValueError,
     r"float_slider: expected min < max, got min=1.0, max=0.0"),
    (lambda: widgets.float_slider(2.0, 0.0, 1.0, 0.1), ValueError,
     r"float_slider: expected value between min=0.0 and max=1.0, got 2.0"),
    (lambda: widgets.float_slider(0.5, 0.0, 1.0, 0.0), ValueError,
     r"float_slider: expected step > 0, got 0.0"),
    (lambda: widgets.float_slider(0.5, 0.0, 1.0, 5.0), ValueError,
     r"float_slider: expected step <= max - min = 1.0, got 5.0"),
    (lambda: widgets.float_slider("0.5", 0.0, 1.0, 0.1), TypeError,
     r"float_slider: expected value to be a finite number, got '0.5'"),
    (lambda: widgets.float_slider(0.5, 0.0, 1.0, 0.1, 3), TypeError,
     r"float_slider: expected description to be a string, got int"),
    (lambda: widgets.int_slider(2.5, 0, 5), TypeError,
     r"int_slider: expected value to be a finite integer, got 2.5"),
    (lambda: widgets.int_slider(2, 0, 5, 0), ValueError,
     r"int_slider: expected step >= 1, got 0"),
    (lambda: widgets.log_slider(0.1, 0.0, 1.0), ValueError,
     r"log_slider: expected min > 0 for a logarithmic scale, got 0.0"),
    (lambda: widgets.log_slider(5.0, 0.01, 1.0), ValueError,
     r"log_slider: expected value between min=0.01 and max=1.0, got 5.0"),
    (lambda: widgets.dropdown(["a", "b"], "c"), ValueError,
     r"dropdown: expected value to be one of the options \['a', 'b'\], got 'c'"),
    (lambda: widgets.dropdown([]), ValueError, r"dropdown: expected at least one option"),
    (lambda: widgets.dropdown("abc"), TypeError,
     r"dropdown: expected options to be a list, a tuple or a dict, got str"),
    (lambda: widgets.checkbox(1), TypeError,
     r"checkbox: expected value to be True or False, got int 1"),
    (lambda: widgets.play(0, 0, 10, interval=0), ValueError,
     r"play: expected interval \(milliseconds per frame\) >= 1, got 0"),
    (lambda: widgets.play(11, 0, 10), ValueError,
     r"play: expected value between min=0 and max=10, got 11"),
])
def test_controls_reject_bad_arguments(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


# --------------------------------------------------------------------------------------------
# interactive
# --------------------------------------------------------------------------------------------
def test_interactive_draws_once_with_the_initial_values():
    calls = []
    box = widgets.interactive(make_draw(calls), title="Slope", caption="Drag it.",
                              a=widgets.float_slider(0.5, 0.0, 1.0, 0.1, "a"),
                              kind=widgets.dropdown(["x", "y"], "y"))
    assert isinstance(box, w.VBox) and isinstance(box, widgets.Experiment)
    assert calls == [{"a": 0.5, "kind": "y"}]
    assert box.n_draws == 1 and box.values == {"a": 0.5, "kind": "y"}
    assert isinstance(box.last_figure, matplotlib.figure.Figure)
    assert box.draw_function.__name__ == "draw"
    assert plt.get_fignums() == []  # the figure was closed after showing it


def test_interactive_redraws_when_a_control_changes():
    calls = []
    slider = widgets.float_slider(0.5, 0.0, 1.0, 0.1, "a")
    flag = widgets.checkbox(False, "flag")
    box = widgets.interactive(make_draw(calls), title="T", a=slider, flag=flag)
    slider.value = 0.8
    flag.value = True
    assert calls == [{"a": 0.5, "flag": False}, {"a": 0.8, "flag": False},
                     {"a": 0.8, "flag": True}]
    box.redraw()
    assert len(calls) == 4 and box.n_draws == 4
    assert plt.get_fignums() == []


def test_interactive_with_a_play_control():
    calls = []
    box = widgets.interactive(make_draw(calls), title="Forward pass",
                              step=widgets.play(0, 0, 4, "layer"))
    box.controls["step"].play.value = 2
    assert [c["step"] for c in calls] == [0, 2]


def test_layout_title_controls_figure_caption():
    box = widgets.interactive(make_draw([]), title="He init keeps <std> steady",
                              caption="Drag $\\sigma$.", a=widgets.float_slider(0.5, 0, 1, 0.1))
    header, row, output, caption = box.children
    assert "He init keeps &lt;std&gt; steady" in header.value
    assert row.layout.flex_flow == "row wrap" and list(row.children) == [box.controls["a"]]
    assert output is box.output and isinstance(output, w.Output)
    assert "Drag $\\sigma$." in caption.value and "font-size" in caption.value
    no_caption = widgets.interactive(make_draw([]), title="T")
    assert len(no_caption.children) == 3


def test_figure_alt_text_names_the_experiment_and_its_values():
    box = widgets.interactive(make_draw([]), title="Steeper tanh",
                              a=widgets.float_slider(0.5, 0.0, 1.0, 0.1, "a"),
                              kind=widgets.dropdown(["x", "y"], "y"))
    assert box._alt_text(box.values) == "Steeper tanh (a = 0.5, kind = y)"
    assert box._alt_text({"lr": 1 / 3}) == "Steeper tanh (lr = 0.3333)"
    assert widgets.interactive(make_draw([]), title="T")._alt_text({}) == "T"


def test_an_error_in_draw_after_a_change_is_shown_not_raised(caplog):
    def draw(a):
        if a > 0.5:
            raise ValueError(f"a = {a} is too large")
        fig, _ = plt.subplots()
        return fig

    slider = widgets.float_slider(0.2, 0.0, 1.0, 0.1, "a")
    box = widgets.interactive(draw, title="T", a=slider)
    with caplog.at_level(logging.ERROR, logger="nnlib.widgets"):
        slider.value = 0.9  # must not raise
    assert isinstance(box.last_error, ValueError)
    shown = box.output.outputs[0]["data"]["text/html"]
    assert "a = 0.9 is too large" in shown and "ValueError" in shown
    assert "a = 0.9 is too large" in caplog.text
    slider.value = 0.3  # the widget still works
    assert box.last_error is None and box.output.outputs == ()


def test_an_error_at_creation_is_raised_so_the_book_build_fails():
    def draw(a):
        raise RuntimeError("broken experiment")

    with pytest.raises(RuntimeError, match="broken experiment"):
        widgets.interactive(draw, title="T", a=widgets.float_slider(0.2, 0.0, 1.0, 0.1))
    with pytest.raises(TypeError, match=r"interactive: the draw function must return a "
                                        r"matplotlib Figure.*got Axes"):
        widgets.interactive(lambda a: plt.subplots()[1], title="T",
                            a=widgets.float_slider(0.2, 0.0, 1.0, 0.1))
    assert plt.get_fignums() == []  # figures opened by the failed draws were closed


def test_a_change_made_during_a_draw_gives_one_more_draw_not_a_nested_one():
    depth = {"now": 0, "max": 0}
    calls = []
    slider = widgets.int_slider(0, 0, 10, 1, "n")

    def draw(n):
        depth["now"] += 1
        depth["max"] = max(depth["max"], depth["now"])
        calls.append(n)
        if n == 3:
            slider.value = 4  # a draw that moves a control (e.g. clamping it)
        fig, _ = plt.subplots()
        depth["now"] -= 1
        return fig

    widgets.interactive(draw, title="T", n=slider)
    slider.value = 3
    assert calls == [0, 3, 4] and depth["max"] == 1


def test_interactive_prints_nothing_outside_a_notebook(capsys):
    slider = widgets.float_slider(0.5, 0.0, 1.0, 0.1)
    widgets.interactive(make_draw([]), title="T", a=slider)
    slider.value = 0.7
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_figures_opened_but_not_returned_are_closed():
    def draw(a):
        plt.figure()  # a stray figure
        fig, _ = plt.subplots()
        return fig

    widgets.interactive(draw, title="T", a=widgets.float_slider(0.5, 0.0, 1.0, 0.1))
    assert plt.get_fignums() == []


def test_interactive_rejects_bad_arguments():
    draw = make_draw([])
    with pytest.raises(TypeError, match=r"interactive: expected draw to be a function returning "
                                        r"a Figure, got str"):
        widgets.interactive("draw", title="T")
    with pytest.raises(TypeError, match=r"interactive: expected title to be a string, got int"):
        widgets.interactive(draw, title=3)
    with pytest.raises(TypeError, match=r"interactive: expected caption to be a string"):
        widgets.interactive(draw, title="T", caption=None)
    with pytest.raises(TypeError, match=r"interactive: expected control 'a' to be a widget with "
                                        r"a value \(e.g. widgets.float_slider\(...\)\), got float "
                                        r"0.5"):
        widgets.interactive(draw, title="T", a=0.5)
    with pytest.raises(TypeError, match=r"interactive: expected control 'b' .* got Button"):
        widgets.interactive(draw, title="T", b=w.Button())
    with pytest.raises(TypeError, match="title"):
        widgets.interactive(draw)  # the title is required


def test_draw_function_is_usable_without_a_widget():
    calls = []
    box = widgets.interactive(make_draw(calls), title="T",
                              a=widgets.float_slider(0.5, 0.0, 1.0, 0.1))
    fig = box.draw_function(**box.values)
    assert isinstance(fig, matplotlib.figure.Figure) and len(calls) == 2
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0, 0.5])


# --------------------------------------------------------------------------------------------
# render_png: the pixels savefig would give, drawn once
# --------------------------------------------------------------------------------------------
def _pixels(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _savefig_png(fig):
    import io

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=fig.dpi, bbox_inches=fig.bbox_inches)
    return out.getvalue()


@pytest.mark.parametrize("book_style", [False, True])
@pytest.mark.parametrize("dpi", [50, 100])
def test_render_png_gives_savefigs_pixels(book_style, dpi):
    from nnlib import plot

    if book_style:
        plot.use_book_style()  # constrained layout, titles on the left, a white face

    def figure():  # a fresh one each time: a second constrained-layout pass moves things
        fig, axes = plt.subplots(1, 2, figsize=(5, 2.5), dpi=dpi)
        axes[0].plot(np.linspace(0, 1, 50), np.sin(np.linspace(0, 6, 50)), label="$\\sin 6x$")
        axes[0].legend()
        axes[1].set_title("a longer title that moves the layout")
        axes[1].set_ylabel("loss")
        return fig

    expected = _pixels(_savefig_png(figure()))
    got = _pixels(widgets.render_png(figure()))
    assert got.shape == expected.shape == (int(2.5 * dpi), 5 * dpi, 4)
    assert np.array_equal(got, expected)


def test_render_png_of_a_figure_made_without_pyplot():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=40)
    fig.add_subplot().plot([0, 1], [1, 0])
    png = widgets.render_png(fig)
    assert _pixels(png).shape == (40, 80, 4)
    assert np.array_equal(_pixels(png), _pixels(_savefig_png(fig)))
