"""nnlib.gradcheck: the checker must pass right gradients and catch wrong ones."""

import numpy as np
import pytest

from nnlib.core import Module, Parameter
from nnlib.gradcheck import check_module, numerical_grad, rel_error


class Scale(Module):
    """y = w * x with a deliberately configurable backward, to test the checker."""

    def __init__(self, wrong=False):
        super().__init__()
        self.w = Parameter(np.array([1.5]))
        self.wrong = wrong

    def forward(self, x):
        self._x = x
        return self.w.data * x

    def backward(self, g):
        self.w.grad += np.sum(g * self._x) * (1.01 if self.wrong else 1.0)
        return g * self.w.data


def test_numerical_grad_of_a_cubic_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    np.testing.assert_allclose(numerical_grad(lambda v: np.sum(v ** 3), x), 3 * x ** 2,
                               rtol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_rel_error_is_symmetric_and_handles_zeros():
    assert rel_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    a, b = np.array([1.0, 2.0]), np.array([1.1, 2.0])
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(a, b) == pytest.approx(0.1 / (np.linalg.norm(a) + np.linalg.norm(b)))


def test_check_module_passes_a_right_backward_and_catches_a_wrong_one():
    x = np.random.default_rng(0).normal(size=(3, 2))
    assert check_module(Scale(), x) < 1e-9
    assert check_module(Scale(wrong=True), x) > 1e-3


@pytest.mark.parametrize("call,exc,match", [
    (lambda: numerical_grad(lambda v: 0.0, np.array([1, 2])), TypeError, "float ndarray"),
    (lambda: numerical_grad(lambda v: 0.0, np.ones(2), eps=0), ValueError, "eps > 0"),
    (lambda: rel_error(np.ones(2), np.ones(3)), ValueError, r"\(2,\) and \(3,\)"),
    (lambda: check_module("not a module", np.ones(2)), TypeError,
     "check_module: expected module to be an nnlib Module .*got str"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
