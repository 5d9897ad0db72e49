"""Tests of nnlib.data: the toy data sets, the digits, splitting, one-hot and standardising."""

import numpy as np
import pytest

from nnlib import data

pytestmark = pytest.mark.filterwarnings("error")

# name -> (call with a seed, expected X shape, number of classes or None for regression)
GENERATORS = {
    "xor": (lambda rng: data.xor(101, noise=0.2, rng=rng), (101, 2), 2),
    "moons": (lambda rng: data.moons(101, rng=rng), (101, 2), 2),
    "circles": (lambda rng: data.circles(101, rng=rng), (101, 2), 2),
    "spirals": (lambda rng: data.spirals(40, classes=3, rng=rng), (120, 2), 3),
    "blobs": (lambda rng: data.blobs(100, centers=4, dim=3, rng=rng), (100, 3), 4),
    "linearly_separable": (lambda rng: data.linearly_separable(100, margin=0.1, dim=4, rng=rng),
                           (100, 4), 2),
    "sine": (lambda rng: data.sine(100, rng=rng), (100, 1), None),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_shapes_dtypes_and_label_balance(name):
    make, shape, classes = GENERATORS[name]
    X, y = make(0)
    assert X.shape == shape and X.dtype == np.float64
    assert np.all(np.isfinite(X))
    if classes is None:
        assert y.shape == (shape[0], 1) and y.dtype == np.float64
        return
    assert y.shape == (shape[0],) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes
    if name != "linearly_separable":  # balanced by construction (within one example)
        assert counts.max() - counts.min() <= 1
    else:
        assert counts.min() > 0


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_and_the_global_rng_is_untouched(name):
    make = GENERATORS[name][0]
    state = np.random.get_state()
    X1, y1 = make(42)
    X2, y2 = make(np.random.default_rng(42))
    X3, _ = make(43)
    make(None)  # a fresh generator, still not the global one
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_xor_is_exactly_the_truth_table():
    X, y = data.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0] and y.dtype == np.int64
    X, y = data.xor(8, rng=0)  # no noise: every point is a corner with its own label
    assert sorted(map(tuple, X.tolist())) == sorted([(0, 0), (0, 1), (1, 0), (1, 1)] * 2)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


def test_moons_and_circles_geometry_without_noise():
    X, y = data.moons(200, noise=0.0, rng=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0.0 and lower[:, 1].max() <= 0.5
    X, y = data.circles(200, noise=0.0, factor=0.4, rng=1)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 0, 1.0, 0.4))


def test_spirals_radius_and_arms():
    X, y = data.spirals(30, classes=5, noise=0.0, rng=2)
    r = np.hypot(*X.T)
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    # without noise, the points of an arm with the same radius are 2 pi / classes apart
    inner = np.isclose(r, 0.1)
    angles = np.sort(np.arctan2(X[inner, 1], X[inner, 0]) % (2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 5)


def test_sine_targets_and_range():
    X, y = data.sine(500, noise=0.0, x_range=(0.0, 1.0), rng=3)
    assert X.min() >= 0.0 and X.max() <= 1.0
    np.testing.assert_allclose(y, np.sin(X))
    X, y = data.sine(2000, noise=0.5, rng=3)
    assert 0.45 < np.std(y - np.sin(X)) < 0.55


def test_blobs_with_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [20.0, 0.0, 0.0]])
    X, y = data.blobs(9, centers=centres, std=0.5, rng=4)
    assert X.shape == (9, 3) and np.bincount(y).tolist() == [5, 4]
    assert np.all((X[:, 0] > 10) == (y == 1))


def test_linearly_separable_keeps_its_margin():
    for seed in range(5):
        X, y, w, b = data.linearly_separable(300, margin=0.25, dim=3, rng=seed,
                                             return_hyperplane=True)
        d = X @ w + b
        assert np.linalg.norm(w) == pytest.approx(1.0)
        assert np.all(np.abs(d) >= 0.25 - 1e-12)
        np.testing.assert_array_equal(y, (d > 0).astype(int))
    X, y, w, b = data.linearly_separable(50, margin=0.1, rng=0, hyperplane=([0.0, 2.0], -1.0),
                                         return_hyperplane=True)
    assert w.tolist() == [0.0, 1.0] and b == -0.5
    np.testing.assert_array_equal(y, (X[:, 1] > 0.5).astype(int))
    assert np.all(np.abs(X[:, 1] - 0.5) >= 0.1)


def test_digits_shape_range_and_options():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.shape == (1797,) and y.dtype == np.int64 and set(y.tolist()) == set(range(10))
    images, y2 = data.digits(flatten=False, scale=False)
    assert images.shape == (1797, 8, 8) and images.max() == 16.0
    np.testing.assert_array_equal(images.reshape(1797, 64) / 16.0, X)
    X[0, 0] = 99.0  # a copy: the next call is unaffected
    assert data.digits()[0][0, 0] == 0.0
    np.testing.assert_array_equal(y, y2)


def test_split_sizes_without_stratification():
    X = np.arange(1797 * 2, dtype=float).reshape(1797, 2)
    y = np.arange(1797) % 10
    parts = data.train_val_test_split(X, y, rng=0, stratify=False)
    sizes = [len(p) for p in parts]
    # 1797 * (0.7, 0.15, 0.15) = (1257.9, 269.55, 269.55): floors (1257, 269, 269), the two
    # left over go to the largest remainders, train then validation (tie broken in order)
    assert sizes == [1258, 1258, 270, 270, 269, 269]
    # a partition: every example exactly once, X and y rows still paired
    rows = np.concatenate([parts[0], parts[2], parts[4]])[:, 0] / 2
    assert sorted(rows.tolist()) == list(range(1797))
    for Xp, yp in zip(parts[0::2], parts[1::2], strict=True):
        np.testing.assert_array_equal((Xp[:, 0] / 2).astype(int) % 10, yp)


def test_split_is_stratified_by_class():
    X, y = data.digits()
    parts = data.train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=1)
    counts = np.bincount(y)
    for part, f in zip(parts[1::2], (0.6, 0.2, 0.2), strict=True):
        assert part.dtype == np.int64
        # each class contributes within one example of its share
        assert np.all(np.abs(np.bincount(part, minlength=10) - f * counts) < 1.0)
    assert sum(len(p) for p in parts[1::2]) == 1797
    again = data.train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=1)
    for a, b in zip(parts, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_split_of_regression_targets_and_empty_parts():
    X, y = data.sine(10, noise=0.0, rng=0)
    Xtr, ytr, Xva, yva, Xte, yte = data.train_val_test_split(X, y, (0.8, 0.0, 0.2), rng=0)
    assert (len(Xtr), len(Xva), len(Xte)) == (8, 0, 2)
    assert ytr.shape == (8, 1) and yva.shape == (0, 1)
    np.testing.assert_array_equal(ytr, np.sin(Xtr))  # rows stay paired
    np.testing.assert_array_equal(yte, np.sin(Xte))
    # tiny classes land in training first
    parts = data.train_val_test_split(np.zeros((3, 1)), np.array([0, 1, 2]), rng=0)
    assert sorted(parts[1].tolist()) == [0, 1, 2] and len(parts[3]) == len(parts[5]) == 0


def test_one_hot():
    out = data.one_hot(np.array([1, 0, 3]))
    assert out.shape == (3, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(4)[[1, 0, 3]])
    assert data.one_hot([0, 1], num_classes=5).shape == (2, 5)
    np.testing.assert_array_equal(data.one_hot([2, 0]).argmax(axis=1), [2, 0])


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(200, 3))
    X_train[:, 2] = 7.0  # a constant feature
    X_test = rng.normal(3.0, 2.0, size=(50, 3))
    Z_train, Z_test, mean, std = data.standardize(X_train, X_test)
    np.testing.assert_allclose(Z_train[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_train[:, :2].std(axis=0), 1.0)
    np.testing.assert_array_equal(Z_train[:, 2], 0.0)
    assert std[2] == 1.0 and mean[2] == 7.0
    np.testing.assert_allclose(Z_test, (X_test - X_train.mean(0)) / std)
    Z32, m32, s32 = data.standardize(X_train.astype(np.float32))
    assert Z32.dtype == m32.dtype == s32.dtype == np.float32


# -- bad input ------------------------------------------------------------------------------

def test_generators_reject_bad_sizes_noise_and_rng():
    with pytest.raises(ValueError, match=r"moons: expected n >= 1, got 0"):
        data.moons(0)
    with pytest.raises(TypeError, match=r"circles: expected n to be an integer, got float 2\.5"):
        data.circles(2.5)
    with pytest.raises(ValueError, match=r"spirals: expected noise >= 0, got -0\.1"):
        data.spirals(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"spirals: expected classes >= 2, got 1"):
        data.spirals(10, classes=1)
    with pytest.raises(TypeError, match=r"xor: expected rng to be a numpy\.random\.Generator, "
                                        r"an int seed or None, got a RandomState"):
        data.xor(10, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"circles: expected factor \(the inner radius\) in "
                                         r"\(0, 1\), got 1\.5"):
        data.circles(10, factor=1.5)
    with pytest.raises(ValueError, match=r"sine: expected x_range = \(low, high\) with low < "
                                         r"high, got \(2\.0, 1\.0\)"):
        data.sine(10, x_range=(2, 1))
    with pytest.raises(ValueError, match=r"blobs: centers have 2 features but dim=3"):
        data.blobs(10, centers=[[0.0, 0.0]], dim=3)
    with pytest.raises(ValueError, match=r"linearly_separable: expected margin >= 0, got -1\.0"):
        data.linearly_separable(10, margin=-1)
    with pytest.raises(TypeError, match=r"moons\(\) takes 1 positional argument"):
        data.moons(10, 0.1)  # options are keyword-only


def test_split_rejects_bad_fractions_and_lengths():
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match=r"train_val_test_split: expected fractions summing to "
                                         r"1, got \(0\.7, 0\.2, 0\.2\) \(sum 1\.1\)"):
        data.train_val_test_split(X, y, (0.7, 0.2, 0.2))
    with pytest.raises(ValueError, match=r"train_val_test_split: expected fractions to be three "
                                         r"numbers"):
        data.train_val_test_split(X, y, (0.8, 0.2))
    with pytest.raises(ValueError, match=r"train_val_test_split: expected each fraction >= 0, "
                                         r"got -0\.1"):
        data.train_val_test_split(X, y, (1.1, -0.1, 0.0))
    with pytest.raises(ValueError, match=r"train_val_test_split: expected X and y with the same "
                                         r"number of examples, got X of shape \(10, 2\) and y "
                                         r"of shape \(9,\)"):
        data.train_val_test_split(X, y[:9])


def test_one_hot_and_standardize_reject_bad_input():
    with pytest.raises(ValueError, match=r"one_hot: expected labels in 0\.\.2, got labels from "
                                         r"-1 to 1"):
        data.one_hot([-1, 1], num_classes=3)
    with pytest.raises(ValueError, match=r"one_hot: expected labels in 0\.\.1, got labels from "
                                         r"0 to 4"):
        data.one_hot([0, 4], num_classes=2)
    with pytest.raises(TypeError, match=r"one_hot: expected integer class labels, got dtype "
                                        r"float64"):
        data.one_hot([0.0, 1.0])
    with pytest.raises(ValueError, match=r"standardize: expected input with 3 features, got "
                                         r"shape \(4, 2\)"):
        data.standardize(np.ones((5, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"standardize: expected a 2-D X_train, got shape "
                                         r"\(5,\)"):
        data.standardize(np.ones(5))
    with pytest.raises(TypeError, match=r"digits: expected flatten to be True or False, got str"):
        data.digits(flatten="yes")


def test_digits_content_is_the_uci_set():
    # facts of the data set (checked once against sklearn.datasets.load_digits), pinned here
    # so the suite does not pay for importing scikit-learn
    X, y = data.digits(flatten=False, scale=False)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert y[:10].tolist() == list(range(10))
    assert X.sum() == 561718.0
    assert X[0, 2].tolist() == [0, 3, 15, 2, 0, 11, 8, 0]


def test_digits_falls_back_to_the_public_loader(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("sklearn.datasets")
    images = np.arange(2 * 64, dtype=float).reshape(2, 8, 8) % 17
    fake.load_digits = lambda: types.SimpleNamespace(images=images, target=np.array([3, 4]))
    monkeypatch.setitem(sys.modules, "sklearn.datasets", fake)
    monkeypatch.setattr(data, "_digits_file", lambda: None)
    data._load_digits.cache_clear()
    try:
        X, y = data.digits()
        assert X.shape == (2, 64) and y.tolist() == [3, 4]
        np.testing.assert_array_equal(X, images.reshape(2, 64) / 16.0)
    finally:
        data._load_digits.cache_clear()
