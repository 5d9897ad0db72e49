"""Reproducibility across the whole library: same seeds, bit-identical results; numpy's
global random state is never read or changed."""

import numpy as np

import nnlib
from nnlib import data


def _train(seed):
    X, y = data.moons(200, noise=0.2, rng=seed)
    net = nnlib.Sequential(nnlib.Linear(2, 16, rng=seed), nnlib.ReLU(),
                           nnlib.Dropout(0.2, rng=seed), nnlib.BatchNorm1d(16),
                           nnlib.Linear(16, 2, rng=seed))
    opt = nnlib.AdamW(net.parameters(), lr=0.01)
    history = nnlib.fit(net, nnlib.CrossEntropyLoss(), opt, X, y, epochs=5, batch_size=32,
                        validation=(X[:50], y[:50]), rng=seed, progress=False)
    return net, history


def test_same_seed_gives_bit_identical_training():
    a, ha = _train(7)
    b, hb = _train(7)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)
    assert ha.train_loss == hb.train_loss and ha.val_acc == hb.val_acc
    c, _ = _train(8)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)


def test_global_numpy_random_state_is_untouched():
    np.random.seed(1234)
    before = np.random.get_state()
    _train(3)
    data.spirals(50, rng=1), data.circles(50, rng=1), data.blobs(50, rng=1)
    data.sine(20, rng=1), data.xor(n=20, noise=0.1, rng=1)
    data.train_val_test_split(*data.blobs(60, rng=2), rng=3)
    nnlib.init.xavier_normal((3, 4), rng=0)
    after = np.random.get_state()
    assert before[0] == after[0] and before[2:] == after[2:]
    np.testing.assert_array_equal(before[1], after[1])
