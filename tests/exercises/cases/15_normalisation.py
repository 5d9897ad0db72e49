"""Typical wrong answers to exercise set 15 (normalisation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``).

Every test is worth 0.5 points (q1, q3: 3 points in 6 tests; q2, q4: 2 in 4).
"""

RUNNING = '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * X.mean(axis=0),
            (1 - momentum) * running_var + momentum * X.var(axis=0, ddof=1))
'''

EVAL = '''
def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / np.sqrt(running_var + eps) + beta
'''

BACKWARD = '''
def batchnorm_backward(delta, X, gamma, eps=1e-5):
    m = X.shape[0]
    s = np.sqrt(X.var(axis=0) + eps)
    X_hat = (X - X.mean(axis=0)) / s
    dX = gamma / s * (delta - delta.mean(axis=0) - X_hat * (delta * X_hat).mean(axis=0))
    return dX, (delta * X_hat).sum(axis=0), delta.sum(axis=0)
'''

CASES = {
    # --- q1: batch norm forward ---------------------------------------------------------------
    "forward_with_unbiased_variance": {
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0, ddof=1) + eps) + beta
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you normalised with the unbiased variance (ddof=1"},
    },
    "forward_eps_outside_the_root": {
        # sqrt(var + eps) and sqrt(var) + eps differ by more than the tests' rtol everywhere
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / (X.std(axis=0) + eps) + beta
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you added eps outside the square root"},
    },
    "forward_over_the_features": {
        # layer norm where batch norm was asked
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(X.var(axis=1, keepdims=True) + eps) + beta
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "that is layer norm"},
    },
    "forward_through_nnlib": {
        "answers": {"q1": '''
from nnlib.normalization import BatchNorm1d


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    bn = BatchNorm1d(X.shape[1], eps=eps)
    bn.weight.data[:], bn.bias.data[:] = gamma, beta
    return bn(X)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's BatchNorm1d.forward"},
    },
    "forward_in_place": {
        # X -= mean on the caller's array
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    X -= X.mean(axis=0)
    X /= np.sqrt((X ** 2).mean(axis=0) + eps)
    return gamma * X + beta
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "batchnorm_forward changed X, gamma or beta in place"},
    },
    "forward_ignores_eps_argument": {
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + 1e-5) + beta
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "you ignored the argument eps = 0.25"},
    },
    "forward_written_differently": {
        # sums and a loop over the features: right
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    m, n = X.shape
    Y = np.empty((m, n))
    for j in range(n):
        col = X[:, j]
        mu = col.sum() / m
        var = ((col - mu) ** 2).sum() / m
        Y[:, j] = gamma[j] * (col - mu) / (var + eps) ** 0.5 + beta[j]
    return Y
'''},
        "expected": {"q1": 3.0},
        "hint": {"q1": "All test cases passed!"},
    },
    # --- q2: running statistics and evaluation mode ------------------------------------------
    "momentum_the_wrong_way_round": {
        "answers": {"q2": '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    return (momentum * running_mean + (1 - momentum) * X.mean(axis=0),
            momentum * running_var + (1 - momentum) * X.var(axis=0, ddof=1))
''' + EVAL},
        "expected": {"q2": 1.0},
        "hint": {"q2": "the momentum the wrong way round"},
    },
    "running_variance_biased": {
        "answers": {"q2": '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * X.mean(axis=0),
            (1 - momentum) * running_var + momentum * X.var(axis=0))
''' + EVAL},
        "expected": {"q2": 1.0},
        "hint": {"q2": "your running variance records the biased batch variance"},
    },
    "evaluation_with_batch_statistics": {
        "answers": {"q2": RUNNING + '''
def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps) + beta
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "your output uses the batch's own mean and variance: that is training mode"},
    },
    "evaluation_divides_by_the_variance": {
        "answers": {"q2": RUNNING + '''
def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / (running_var + eps) + beta
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "running_var is a variance"},
    },
    "running_stats_in_place": {
        "answers": {"q2": '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    running_mean *= 1 - momentum
    running_mean += momentum * X.mean(axis=0)
    running_var *= 1 - momentum
    running_var += momentum * X.var(axis=0, ddof=1)
    return running_mean, running_var
''' + EVAL},
        "expected": {"q2": 1.0},
        "hint": {"q2": "update_running_stats changed running_mean, running_var or X in place"},
    },
    "running_stats_written_differently": {
        # m / (m - 1) times the biased variance, a list, an interpolation: right
        "answers": {"q2": '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    m = len(X)
    mu = X.sum(axis=0) / m
    var = ((X - mu) ** 2).sum(axis=0) / m * m / (m - 1)
    return [running_mean + momentum * (mu - running_mean),
            running_var + momentum * (var - running_var)]


def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return X * scale + (beta - running_mean * scale)
'''},
        "expected": {"q2": 2.0},
        "hint": {"q2": "All test cases passed!"},
    },
    # --- q3: batch norm backward --------------------------------------------------------------
    "backward_without_the_mean_term": {
        "answers": {"q3": BACKWARD.replace("delta - delta.mean(axis=0) - X_hat", "delta - X_hat")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your dX is missing the batch mean's term"},
    },
    "backward_without_the_variance_term": {
        "answers": {"q3": BACKWARD.replace(" - X_hat * (delta * X_hat).mean(axis=0))", ")")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your dX is missing the batch variance's term"},
    },
    "backward_as_if_statistics_were_constant": {
        "answers": {"q3": BACKWARD.replace(
            "dX = gamma / s * (delta - delta.mean(axis=0) - X_hat * (delta * X_hat).mean(axis=0))",
            "dX = gamma * delta / s")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "it treats the batch mean and variance as constants"},
    },
    "backward_parameter_gradients_averaged": {
        "answers": {"q3": BACKWARD.replace("(delta * X_hat).sum(axis=0), delta.sum(axis=0)",
                                           "(delta * X_hat).mean(axis=0), delta.mean(axis=0)")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "dbeta is m = 8 times too small"},
    },
    "backward_through_nnlib": {
        "answers": {"q3": '''
from nnlib.normalization import BatchNorm1d


def batchnorm_backward(delta, X, gamma, eps=1e-5):
    bn = BatchNorm1d(X.shape[1], eps=eps)
    bn.weight.data[:] = gamma
    bn(X)
    dX = bn.backward(delta)
    return dX, bn.weight.grad, bn.bias.grad
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's BatchNorm1d"},
    },
    "backward_by_the_three_paths": {
        # the chapter's path-by-path form: right
        "answers": {"q3": '''
def batchnorm_backward(delta, X, gamma, eps=1e-5):
    m = len(X)
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    s = np.sqrt(var + eps)
    X_hat = (X - mu) / s
    g = gamma * delta
    d_var = -0.5 / s ** 3 * np.sum(g * (X - mu), axis=0)
    d_mu = -np.sum(g, axis=0) / s
    dX = g / s + d_var * 2 * (X - mu) / m + d_mu / m
    return (dX, np.sum(delta * X_hat, axis=0), np.sum(delta, axis=0))
'''},
        "expected": {"q3": 3.0},
        "hint": {"q3": "All test cases passed!"},
    },
    # --- q4: layer norm -----------------------------------------------------------------------
    "layernorm_over_the_batch": {
        # batch norm where layer norm was asked
        "answers": {"q4": '''
def layernorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps) + beta
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "that is batch norm"},
    },
    "layernorm_without_keepdims": {
        # raises on (4, 6); on a square batch it broadcasts the row statistics along columns
        "answers": {"q4": '''
def layernorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=1)) / np.sqrt(X.var(axis=1) + eps) + beta
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "keep the axis, X.mean(axis=1, keepdims=True)"},
    },
    "layernorm_unbiased": {
        "answers": {"q4": '''
def layernorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(X.var(axis=1, ddof=1, keepdims=True) + eps) + beta
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you used the unbiased variance (ddof=1)"},
    },
    "layernorm_through_transposed_batchnorm": {
        # written differently: batch norm of the transpose, then the affine map: right
        "answers": {"q4": '''
def layernorm_forward(X, gamma, beta, eps=1e-5):
    T = X.T
    T_hat = (T - T.mean(axis=0)) / np.sqrt(T.var(axis=0) + eps)
    return T_hat.T * gamma + beta
'''},
        "expected": {"q4": 2.0},
        "hint": {"q4": "All test cases passed!"},
    },
}

CASES.update({
    # --- found by running the notebook as a student (issue 16); the diagnoses were added then --
    "backward_variance_term_summed": {
        "answers": {"q3": BACKWARD.replace("X_hat * (delta * X_hat).mean(axis=0)",
                                           "X_hat * (delta * X_hat).sum(axis=0)")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "the variance's term is m = 8 times too large"},
    },
    "layernorm_over_all_entries": {
        "answers": {"q4": '''
def layernorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean()) / np.sqrt(X.var() + eps) + beta
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you took one mean and one variance over all the entries of X"},
    },
    "momentum_fixed_at_its_default": {
        # public tests use momentum 0.1; the hidden ones other momenta
        "answers": {"q2": '''
def update_running_stats(running_mean, running_var, X, momentum=0.1):
    return (0.9 * running_mean + 0.1 * X.mean(axis=0),
            0.9 * running_var + 0.1 * X.var(axis=0, ddof=1))
''' + EVAL},
        "expected": {"q2": 1.5},
        "hint": {"q2": "All test cases passed!"},
    },
})

CASES.update({
    "forward_without_beta": {
        # the test with m = 2 has beta = 0, so it passes there
        "answers": {"q1": '''
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps)
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "beta is missing: Y = gamma * X_hat + beta."},
    },
    "backward_mean_over_the_features": {
        "answers": {"q3": BACKWARD.replace("delta - delta.mean(axis=0)",
                                           "delta - delta.mean(axis=1, keepdims=True)")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your mean's term averages delta over the features (axis=1)"},
    },
})
