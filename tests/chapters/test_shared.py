"""The book's shared module (book/shared.py): the worked network of Chapters 4 and 5, the XOR
weights of Chapter 2, timing and the one-BLAS-thread context."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch04_forward as ch04  # noqa: E402
from book import shared  # noqa: E402
from nnlib.core import count_parameters  # noqa: E402
from nnlib.functional import sigmoid  # noqa: E402


# --- the hand-worked network ------------------------------------------------------------------
def test_worked_network_reproduces_the_hand_worked_numbers():
    zs, acts = ch04.forward_trace(shared.worked_network(), shared.WORKED.x)
    np.testing.assert_allclose(zs[0], [0.52, 0.43], atol=1e-12)
    assert np.round(acts[1], 3).tolist() == [0.627, 0.606]
    assert round(float(zs[1][0]), 3) == 0.979
    assert round(float(acts[2][0]), 3) == 0.727
    # the same numbers from the formula, written out
    z1 = shared.WORKED.W1 @ shared.WORKED.x + shared.WORKED.b1
    y_hat = sigmoid(shared.WORKED.W2 @ sigmoid(z1) + shared.WORKED.b2)
    np.testing.assert_allclose(acts[2], y_hat, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_worked_network_keeps_its_dtype_and_has_nine_parameters(dtype):
    net = shared.worked_network(dtype=dtype)
    assert count_parameters(net) == 9
    assert net(shared.WORKED.x[None, :]).dtype == dtype


def test_time_call_counts_calls_and_rejects_bad_input():
    calls = []
    assert shared.time_call(lambda: calls.append(1), repeats=3) >= 0
    assert len(calls) == 4  # one warm-up and three timed calls
    with pytest.raises(ValueError, match="time_call: expected clock to be 'cpu' or 'wall'"):
        shared.time_call(lambda: None, clock="gpu")
    with pytest.raises(TypeError, match="time_call: expected a function to time, got int"):
        shared.time_call(3)
    with pytest.raises(ValueError, match="time_call: expected repeats >= 1, got 0"):
        shared.time_call(lambda: None, repeats=0)


# --- the Chapter 4 network ---------------------------------------------------------------------
def test_worked_network_backward_reproduces_the_hand_worked_numbers():
    net = shared.worked_network()
    c = shared.WORKED
    y_hat = net(c.x[None, :])
    assert round(float(y_hat[0, 0]), 3) == 0.727
    net.zero_grad()
    net.backward(y_hat - c.y)                       # L = (y - y_hat)^2 / 2
    dW1, db1, dW2, db2 = (p.grad for p in net.parameters())
    assert float(f"{db2[0]:.4g}") == -0.0542
    assert [float(f"{v:.4g}") for v in dW2.ravel()] == [-0.03399, -0.03284]
    assert [float(f"{v:.4g}") for v in db1] == [-0.007604, -0.006471]
    assert [float(f"{v:.4g}") for v in dW1.ravel()] == [-0.003802, -0.006083, -0.003235,
                                                         -0.005177]


def test_worked_network_backward_is_a_fresh_copy():
    net = shared.worked_network()
    net[0].weight.data[:] = 0.0
    assert shared.worked_network()[0].weight.data[0, 0] == 0.2
    assert shared.WORKED.W1[0, 0] == 0.2


def test_worked_example_arrays_are_read_only():
    for name in ("x", "W1", "b1", "W2", "b2"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(shared.WORKED, name)[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        shared.XOR_W1[0, 0] = 2.0


def test_xor_weights_solve_xor_with_a_step():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    hidden = (X @ shared.XOR_W1.T + shared.XOR_B1 > 0).astype(float)
    out = (hidden @ shared.XOR_W2.T + shared.XOR_B2 > 0).astype(int)[:, 0]
    assert out.tolist() == [0, 1, 1, 0]
    assert hidden.tolist() == [[0, 1], [1, 1], [1, 1], [1, 0]]   # OR and NAND


def test_median_time_and_get_clock():
    calls = []
    assert shared.median_time(lambda: calls.append(1), repeats=3, warmup=2) >= 0
    assert len(calls) == 5
    with pytest.raises(ValueError, match="median_time: expected warmup >= 0, got -1"):
        shared.median_time(lambda: None, warmup=-1)
    with pytest.raises(ValueError, match="f: expected clock to be 'cpu' or 'wall', got 'gpu'"):
        shared.get_clock("gpu", "f")


def test_one_blas_thread_limits_and_restores():
    from threadpoolctl import threadpool_info

    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    with shared.one_blas_thread():
        inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert all(n == 1 for n in inside)
    after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert after == before
