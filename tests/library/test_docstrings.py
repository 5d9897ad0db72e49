"""Every forward and backward of nnlib states the shapes of its arguments and results
(numpydoc sections with shapes), so a reader never has to guess them."""

import inspect

import pytest

from nnlib import core, dropout, layers, losses, normalization


def _modules():
    found = set()
    for mod in (core, layers, losses, normalization, dropout):
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, core.Module) and obj.__module__.startswith("nnlib"):
                found.add(obj)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


CASES = [(cls, name) for cls in _modules() for name in ("forward", "backward")
         if name in vars(cls)]


def test_every_layer_and_loss_is_covered():
    names = {cls.__name__ for cls, _ in CASES}
    assert {"Linear", "ReLU", "Sigmoid", "Residual", "Sequential", "BatchNorm1d", "Dropout",
            "MSELoss", "CrossEntropyLoss", "FocalLoss"} <= names


@pytest.mark.parametrize("cls, name", CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
def test_forward_and_backward_docstrings_state_shapes(cls, name):
    doc = vars(cls)[name].__doc__ or ""
    assert "Returns\n" in doc and "shape" in doc, f"{cls.__name__}.{name}"
    if name == "forward" or "grad_out" in inspect.signature(vars(cls)[name]).parameters:
        assert "Parameters\n" in doc, f"{cls.__name__}.{name}"
