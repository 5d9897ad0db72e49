"""``import nnlib`` needs numpy only: plotting, widgets and the optional dependencies load
when they are first used (PEP 562 module ``__getattr__``)."""

import subprocess
import sys

HEAVY = ("matplotlib", "matplotlib.pyplot", "ipywidgets", "scipy", "sklearn", "tqdm", "pandas",
         "threadpoolctl", "IPython")


def _run(code):
    """Run ``code`` in a fresh interpreter (this one has imported everything already)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_nnlib_loads_numpy_only():
    code = ("import nnlib, sys; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert _run(code) == "[]"


def test_plot_and_widgets_load_when_first_used():
    code = ("import sys, nnlib\n"
            "assert 'plot' in dir(nnlib) and 'matplotlib' not in sys.modules\n"
            "import matplotlib; matplotlib.use('Agg')\n"
            "ax = nnlib.plot.loss_curves([1.0, 0.5, 0.25])\n"
            "assert 'matplotlib.pyplot' in sys.modules and ax.get_xlabel() == 'epoch'\n"
            "from nnlib import widgets\n"
            "assert widgets is nnlib.widgets and 'ipywidgets' in sys.modules\n"
            "print(type(nnlib.widgets.checkbox(True)).__name__)")
    assert _run(code) == "Checkbox"


def test_training_without_plots_does_not_load_them():
    code = ("import sys, numpy as np, nnlib\n"
            "net = nnlib.mlp([2, 4, 1], 'gelu', rng=0)\n"
            "X = np.random.default_rng(0).normal(size=(20, 2)); y = (X[:, 0] > 0) * 1\n"
            "nnlib.fit(net, nnlib.BCEWithLogitsLoss(), nnlib.SGD(net.parameters(), 0.1), X, y,"
            " epochs=2, progress=False)\n"
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'tqdm', 'pandas') "
            "if m in sys.modules))")
    assert _run(code) == "[]"


def test_an_unknown_attribute_is_still_an_attribute_error():
    code = ("import nnlib\n"
            "try:\n    nnlib.plots\nexcept AttributeError as e:\n    print(e)")
    assert _run(code) == "module 'nnlib' has no attribute 'plots'"
