"""nnlib._checks: the one place where arguments are checked. Each message names the function,
what it expected and what it got."""

import numpy as np
import pytest

from nnlib._checks import check_bool, check_choice, check_dtype, check_module
from nnlib.layers import Linear


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_bool_accepts_bools(value):
    assert check_bool(value, "f", "flag") is bool(value)


@pytest.mark.parametrize("value, shown", [(1, "int 1"), ("yes", "str 'yes'"), (None, "None"),
                                          (np.ones(2), "an array of shape")])
def test_check_bool_refuses_everything_else(value, shown):
    with pytest.raises(TypeError, match=rf"f: expected flag to be True or False, got {shown}"):
        check_bool(value, "f", "flag")


def test_check_choice():
    assert check_choice("sum", ("mean", "sum"), "f", "reduction") == "sum"
    with pytest.raises(ValueError, match=r"f: expected reduction to be one of \['mean', 'sum'\], "
                                         r"got 'avg'\. A hint\.$"):
        check_choice("avg", ("mean", "sum"), "f", "reduction", hint="A hint.")
    for bad in (["mean"], np.array(["mean"]), 1.0, None):  # unhashable or of the wrong kind
        with pytest.raises(ValueError, match=r"f: expected reduction to be one of"):
            check_choice(bad, ("mean", "sum"), "f", "reduction")


def test_check_dtype():
    assert check_dtype(np.float32, "f") == np.dtype(np.float32)
    assert check_dtype("float64", "f") == np.dtype(np.float64)
    with pytest.raises(TypeError, match=r"f: expected dtype to be a floating type such as "
                                        r"np\.float64 or np\.float32, got int32"):
        check_dtype(np.int32, "f")
    with pytest.raises(TypeError, match=r"f: expected dtype .*got 'banana'"):
        check_dtype("banana", "f")


def test_check_module_and_lazy_names():
    layer = Linear(2, 3, rng=0)
    assert check_module(layer, "f") is layer
    with pytest.raises(TypeError, match=r"f: expected the model to be an nnlib Module \(a "
                                        r"layer, or a network such as Sequential\), got list"):
        check_module([layer], "f")
    # a Module as ``where`` is named only when the check fails
    with pytest.raises(TypeError, match=r"Linear\(in_features=2, out_features=3, bias=True\): "
                                        r"expected flag to be True or False"):
        check_bool("no", layer, "flag")


def test_no_module_of_nnlib_writes_its_own_bool_or_dtype_check():
    """The checks live in _checks.py; a module that repeats one drifts from the others."""
    from pathlib import Path

    import nnlib

    root = Path(nnlib.__file__).parent
    for path in sorted(root.glob("*.py")):
        if path.name == "_checks.py":
            continue
        text = path.read_text()
        assert "to be True or False" not in text, path.name
        assert "to be a bool" not in text, path.name
        assert "np.dtype(dtype)" not in text, path.name
