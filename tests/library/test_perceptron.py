"""Tests of nnlib.perceptron: Rosenblatt's rule, its history, and Novikoff's bound."""

import numpy as np
import pytest

from nnlib.data import linearly_separable, xor
from nnlib.perceptron import Mistake, Perceptron, margin, novikoff_bound, radius

pytestmark = pytest.mark.filterwarnings("error")


def test_update_sequence_pinned_by_hand_three_points():
    # w = 0, b = 0. Epoch 0:
    #   x0 = (2, 1), y = 1: z = 0 -> y_hat = 0, mistake: w = (2, 1), b = 1
    #   x1 = (0, 1), y = 0: z = 1 + 1 = 2 -> 1, mistake: w = (2, 0), b = 0
    #   x2 = (1, -1), y = 0: z = 2 -> 1, mistake: w = (1, 1), b = -1
    # Epoch 1: z = 2 (ok), z = 0 -> 0 (ok, the tie goes to class 0), z = -1 (ok): converged.
    X = np.array([[2.0, 1.0], [0.0, 1.0], [1.0, -1.0]])
    y = np.array([1, 0, 0])
    p = Perceptron(2)
    h = p.fit(X, y)
    assert [(m.step, m.epoch, m.index, m.y, m.y_hat) for m in h.mistakes] == [
        (0, 0, 0, 1, 0), (1, 0, 1, 0, 1), (2, 0, 2, 0, 1)]
    assert h.weights.tolist() == [[0, 0], [2, 1], [2, 0], [1, 1]]
    assert h.biases.tolist() == [0, 1, 0, -1]
    assert [m.w_after.tolist() for m in h.mistakes] == [[2, 1], [2, 0], [1, 1]]
    assert [m.b_before for m in h.mistakes] == [0, 1, 0]
    assert h.epoch_mistakes == [3, 0] and h.epochs == 2
    assert h.converged is True and h.n_mistakes == 3
    assert p.w.tolist() == [1.0, 1.0] and p.b == -1.0
    assert p.decision_function(X).tolist() == [2.0, 0.0, -1.0]
    assert p.predict(X).tolist() == [1, 0, 0]


@pytest.mark.parametrize("labels, y", [("01", [0, 1]), ("pm1", [-1, 1])])
def test_update_sequence_pinned_by_hand_over_several_epochs(labels, y):
    # 1-D, lr = 0.5, x0 = 1 (negative), x1 = 3 (positive); w = 0, b = 0.
    # Epoch 0: x0: z = 0 -> negative, ok.  x1: z = 0 -> negative, mistake: w = 1.5, b = 0.5.
    # Epoch 1: x0: z = 2 -> positive, mistake: w = 1.0, b = 0.0.  x1: z = 3, ok.
    # Epoch 2: x0: z = 1, mistake: w = 0.5, b = -0.5.  x1: z = 1, ok.
    # Epoch 3: x0: z = 0 -> negative, ok (tie).  x1: z = 1, ok.  Converged.
    X = np.array([[1.0], [3.0]])
    p = Perceptron(1, lr=0.5, labels=labels)
    h = p.fit(X, y)
    assert [(m.step, m.epoch, m.index) for m in h.mistakes] == [(1, 0, 1), (2, 1, 0), (4, 2, 0)]
    assert [(m.y, m.y_hat) for m in h.mistakes] == [(y[1], y[0]), (y[0], y[1]), (y[0], y[1])]
    assert h.weights[:, 0].tolist() == [0.0, 1.5, 1.0, 0.5]
    assert h.biases.tolist() == [0.0, 0.5, 0.0, -0.5]
    assert h.epoch_mistakes == [1, 1, 1, 0] and h.converged
    assert p.predict([[1.0], [3.0], [0.0], [2.0]]).tolist() == [y[0], y[1], y[0], y[1]]
    assert h.state(2) == (np.array([1.0]), 0.0)


def test_history_replays_the_rule_for_every_update():
    X, y = linearly_separable(60, margin=0.05, rng=3)
    lr = 0.3
    h = Perceptron(2, lr=lr).fit(X, y, shuffle=True, rng=7)
    assert h.converged and h.n_mistakes > 3
    for k, m in enumerate(h.mistakes):
        assert isinstance(m, Mistake)
        np.testing.assert_array_equal(m.x, X[m.index])
        assert m.y == y[m.index] and m.y_hat == 1 - m.y
        np.testing.assert_allclose(m.w_after - m.w_before, lr * (m.y - m.y_hat) * m.x)
        assert m.b_after - m.b_before == pytest.approx(lr * (m.y - m.y_hat))
        w, b = h.state(k)
        np.testing.assert_array_equal(w, m.w_before)
        assert b == m.b_before
        z = m.w_before @ m.x + m.b_before  # the example really was misclassified
        assert (z > 0) != (m.y == 1)
    assert sum(h.epoch_mistakes) == h.n_mistakes
    steps = [m.step for m in h.mistakes]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)


def test_shuffling_is_reproducible_with_the_same_seed():
    X, y = linearly_separable(80, margin=0.02, rng=5)
    a = Perceptron(2).fit(X, y, shuffle=True, rng=1)
    b = Perceptron(2).fit(X, y, shuffle=True, rng=1)
    c = Perceptron(2).fit(X, y, shuffle=False)
    assert [m.index for m in a.mistakes] == [m.index for m in b.mistakes]
    assert [m.index for m in a.mistakes] != [m.index for m in c.mistakes]


def test_learning_rate_only_scales_the_weights_from_a_zero_start():
    X, y = linearly_separable(50, margin=0.05, rng=11)
    h1 = Perceptron(2, lr=1.0).fit(X, y)
    h2 = Perceptron(2, lr=0.01).fit(X, y)
    assert [m.index for m in h1.mistakes] == [m.index for m in h2.mistakes]
    np.testing.assert_allclose(h2.weights, 0.01 * h1.weights, rtol=1e-12, atol=1e-15)


def test_converges_on_separable_data_and_classifies_it():
    X, y = linearly_separable(300, margin=0.1, dim=3, rng=2)
    p = Perceptron(3)
    h = p.fit(X, y, epochs=1000)
    assert h.converged and h.epoch_mistakes[-1] == 0
    assert np.array_equal(p.predict(X), y)


def test_never_converges_on_xor():
    X, y = xor()
    p = Perceptron(2)
    h = p.fit(X, y, epochs=50)
    assert h.converged is False
    assert h.epochs == 50 and all(k > 0 for k in h.epoch_mistakes)
    assert not np.array_equal(p.predict(X), y)
    assert h.weights.shape == (h.n_mistakes + 1, 2)


@pytest.mark.parametrize("seed", range(50))
def test_mistakes_never_exceed_the_novikoff_bound(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 150))
    dim = int(rng.integers(1, 5))
    gap = float(rng.uniform(0.01, 0.3))
    X, y, w, b = linearly_separable(n, margin=gap, dim=dim, rng=rng, return_hyperplane=True)
    scale = float(rng.uniform(0.3, 3.0))  # data of other sizes: the plane scales with it
    X, b = X * scale, b * scale
    bound = novikoff_bound(X, y, w, b)
    lr = float(rng.choice([0.01, 1.0, 7.0]))
    h = Perceptron(dim, lr=lr).fit(X, y, epochs=int(bound) + 2,
                                   shuffle=bool(rng.integers(2)), rng=rng)
    assert h.converged
    assert h.n_mistakes <= bound


def test_the_bound_without_the_bias_coordinate_is_not_valid():
    # Two 1-D points, x = 0.1 (class 0) and x = 0.2 (class 1), the plane x = 0.15:
    # in input space R = 0.2, gamma = 0.05, (R/gamma)^2 = 16, but the perceptron with a bias
    # needs far more updates; the augmented bound holds.
    X, y = np.array([[0.2], [0.1]]), np.array([1, 0])
    assert (radius(X) / margin(X, y, [1.0], -0.15)) ** 2 == pytest.approx(16.0)
    h = Perceptron(1).fit(X, y, epochs=10_000)
    assert h.converged and h.n_mistakes == 103 > 16  # the number quoted in the docstring
    bound = novikoff_bound(X, y, [1.0], -0.15)
    assert bound == pytest.approx(1.04 * (1 + 0.15 ** 2) / 0.05 ** 2)
    assert h.n_mistakes <= bound


def test_margin_and_radius_by_hand():
    X = np.array([[3.0, 4.0], [0.0, -1.0]])
    assert radius(X) == 5.0
    assert radius(X, augmented=True) == pytest.approx(np.sqrt(26.0))
    # plane x2 = 0 (w = (0, 2), b = 0): distances 4 and 1
    assert margin(X, [1, 0], [0.0, 2.0], 0.0) == 1.0
    assert margin(X, [1, -1], [0.0, 2.0]) == 1.0  # labels -1/+1 work too
    assert margin(X, [0, 1], [0.0, 2.0]) == -4.0  # wrong side: negative
    # augmented: min s (w.x + b) / ||(w, b)|| with w = (0, 1), b = 0.5: (4.5, 0.5) / sqrt(1.25)
    assert margin(X, [1, 0], [0.0, 1.0], 0.5, augmented=True) == pytest.approx(0.5 / 1.25 ** 0.5)


# -- bad input ------------------------------------------------------------------------------

def test_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"Perceptron: expected n_features >= 1, got 0"):
        Perceptron(0)
    with pytest.raises(ValueError, match=r"Perceptron: expected lr > 0, got -1\.0"):
        Perceptron(2, lr=-1)
    with pytest.raises(ValueError, match=r"Perceptron: expected labels to be '01' or 'pm1', "
                                         r"got 'ab'"):
        Perceptron(2, labels="ab")


def test_fit_and_predict_reject_bad_data():
    p = Perceptron(2)
    where = r"Perceptron\(n_features=2, lr=1, labels='01'\)"
    with pytest.raises(ValueError, match=where + r"\.fit: expected input with 2 features, got "
                                                 r"shape \(3, 3\)"):
        p.fit(np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match=where + r"\.fit: expected labels 0 and 1, got \[2\]"):
        p.fit(np.zeros((3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match=where + r"\.fit: expected y of shape \(3,\), one label "
                                                 r"per row of X, got shape \(2,\)"):
        p.fit(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match=where + r"\.fit: expected epochs >= 1, got 0"):
        p.fit(np.zeros((3, 2)), [0, 1, 0], epochs=0)
    with pytest.raises(TypeError, match=r"\.fit: expected rng to be a numpy\.random\.Generator"):
        p.fit(np.zeros((3, 2)), [0, 1, 0], shuffle=True, rng="seed")
    with pytest.raises(ValueError, match=where + r"\.predict: expected a 2-D X, got shape \(2,\)"):
        p.predict([1.0, 2.0])
    with pytest.raises(ValueError, match=r"labels='pm1'\)\.fit: expected labels -1 and 1, got "
                                         r"\[0\]"):
        Perceptron(2, labels="pm1").fit(np.zeros((2, 2)), [0, 1])


def test_bound_helpers_reject_bad_arguments():
    X, y = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1, 0])
    with pytest.raises(ValueError, match=r"novikoff_bound: the hyperplane \(w_star, b_star\) "
                                         r"does not separate the data \(its smallest signed "
                                         r"margin is -0\.7"):
        novikoff_bound(X, y, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match=r"margin: expected a non-zero normal vector w, got "
                                         r"w = \[0\.0, 0\.0\]"):
        margin(X, y, [0.0, 0.0])
    with pytest.raises(ValueError, match=r"margin: expected w with 2 entries \(one per feature "
                                         r"of X\), got shape \(3,\)"):
        margin(X, y, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"PerceptronHistory\.state: expected k <= 0"):
        Perceptron(2).fit(X[:1], [0]).state(1)  # one correctly classified point: 0 updates
