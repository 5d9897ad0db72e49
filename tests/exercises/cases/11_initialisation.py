"""Typical wrong answers to exercise set 11 (initialisation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Questions that
use earlier ones take those from the constants below.

Every test is worth 0.5 points (q2: 3 points in 6 tests; q1, q3, q4, q5: 2 in 4).
"""

FANS = '''
def fan_in_and_fan_out(shape):
    n_out, n_in = shape
    return int(n_in), int(n_out)


def weight_variance(shape, scheme):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[scheme]
'''

XAVIER_NORMAL = '''
def xavier_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, np.sqrt(2 / (n_in + n_out)), size=shape)
'''

XAVIER_UNIFORM = '''
def xavier_uniform(shape, rng):
    n_out, n_in = shape
    r = np.sqrt(6 / (n_in + n_out))
    return rng.uniform(-r, r, size=shape)
'''

HE_NORMAL = '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, np.sqrt(2 / n_in), size=shape)
'''

PREDICTED = '''
def predicted_stds(widths, weight_std, activation, var_x=1.0):
    second, out = var_x, []
    for n in widths[:-1]:
        v = n * weight_std ** 2 * second
        out.append(np.sqrt(v))
        second = v / 2 if activation == "relu" else v
    return np.array(out)
'''

MEASURED = '''
def measured_stds(X, weights, activation):
    act = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    A, out = X, []
    for W in weights:
        Z = A @ W.T
        out.append(Z.std())
        A = act(Z)
    return np.array(out)
'''

DEEP = '''
measured_small = measured_stds(X_deep, weights_deep[0.01], "relu")
measured_he = measured_stds(X_deep, weights_deep[np.sqrt(2 / 64)], "relu")
measured_big = measured_stds(X_deep, weights_deep[1.0], "relu")
'''

CASES = {
    # --- q1: fans and variances ----------------------------------------------------------------
    "fans_swapped": {
        # W is (n_out, n_in): shape[1] is fan_in. Swapping the fans also swaps He's and LeCun's
        "answers": {"q1": '''
def fan_in_and_fan_out(shape):
    return shape[0], shape[1]


def weight_variance(shape, scheme):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[scheme]
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "that is (fan_out, fan_in): the other way round"},
    },
    "variance_fan_out_for_fan_in": {
        # the fans are right, but He and LeCun divide by fan_out
        "answers": {"q1": '''
def fan_in_and_fan_out(shape):
    return shape[1], shape[0]


def weight_variance(shape, scheme):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_out, "lecun": 1 / fan_out}[scheme]
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "you used fan_out where fan_in was meant"},
    },
    "variance_returns_the_std": {
        "answers": {"q1": FANS.replace("return {", "return np.sqrt({").replace("[scheme]",
                                                                             "[scheme])")},
        "expected": {"q1": 0.5},
        "hint": {"q1": "a std used where the variance was meant is off by a square root"},
    },
    "he_without_the_factor_2": {
        "answers": {"q1": FANS.replace('"he": 2 / fan_in', '"he": 1 / fan_in')},
        "expected": {"q1": 0.5},
        "hint": {"q1": "the factor 2 is missing (that is LeCun's variance"},
    },
    "fans_through_nnlib": {
        # the shortcut: nnlib's fan_in_and_fan_out is switched off while the answer runs
        "answers": {"q1": '''
from nnlib.init import fan_in_and_fan_out


def weight_variance(shape, scheme):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[scheme]
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's fan_in_and_fan_out"},
    },
    "fans_as_a_list_of_numpy_ints": {
        # right, written differently: a list, numpy integers, a dict of lambdas
        "answers": {"q1": '''
def fan_in_and_fan_out(shape):
    return [np.int64(shape[-1]), np.int64(shape[-2])]


def weight_variance(shape, scheme):
    n_out, n_in = shape
    rules = {"lecun": lambda: 1.0 / n_in, "he": lambda: 2.0 / n_in,
             "xavier": lambda: 1.0 / ((n_in + n_out) / 2)}
    return np.float64(rules[scheme]())
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "All test cases passed!"},
    },
    # --- q2: drawing the weights ---------------------------------------------------------------
    "variance_passed_as_scale": {
        # N(0, 2/n) with scale=2/n: off by a square root
        "answers": {"q1": FANS, "q2": '''
def xavier_normal(shape, rng):
    return rng.normal(0.0, weight_variance(shape, "xavier"), size=shape)
''' + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    return rng.normal(0.0, weight_variance(shape, "he"), size=shape)
'''},
        "expected": {"q1": 2.0, "q2": 0.5},
        "hint": {"q2": "you passed the variance to rng.normal, which takes the std (scale)"},
    },
    "uniform_bound_is_the_std": {
        "answers": {"q2": XAVIER_NORMAL + '''
def xavier_uniform(shape, rng):
    n_out, n_in = shape
    r = np.sqrt(2 / (n_in + n_out))
    return rng.uniform(-r, r, size=shape)
''' + HE_NORMAL},
        "expected": {"q2": 1.0},
        "hint": {"q2": "the std of Xavier's variance used as the bound"},
    },
    "he_with_fan_out": {
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, np.sqrt(2 / n_out), size=shape)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "fan_out used where fan_in was meant"},
    },
    "he_is_lecun": {
        # the factor 2 forgotten: LeCun's variance for a ReLU layer
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, 1 / np.sqrt(n_in), size=shape)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "He's factor 2 is missing (that is LeCun's initialisation)"},
    },
    "he_is_xavier": {
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    return xavier_normal(shape, rng)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "your weights have Xavier's variance"},
    },
    "global_random_state": {
        # np.random.normal ignores the rng passed in: the caller's seed does not control it
        "answers": {"q2": '''
def xavier_normal(shape, rng):
    n_out, n_in = shape
    return np.random.normal(0.0, np.sqrt(2 / (n_in + n_out)), size=shape)


def xavier_uniform(shape, rng):
    n_out, n_in = shape
    r = np.sqrt(6 / (n_in + n_out))
    return np.random.uniform(-r, r, size=shape)


def he_normal(shape, rng):
    n_out, n_in = shape
    return np.random.randn(n_out, n_in) * np.sqrt(2 / n_in)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "drew from numpy's global random state"},
    },
    "generator_of_its_own": {
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return np.random.default_rng(0).normal(0.0, np.sqrt(2 / n_in), size=shape)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "did you make a generator of your own"},
    },
    "draws_through_nnlib": {
        "answers": {"q2": '''
from nnlib import init


def xavier_normal(shape, rng):
    return init.xavier_normal(shape, rng=rng)


def xavier_uniform(shape, rng):
    return init.xavier_uniform(shape, rng=rng)


def he_normal(shape, rng):
    return init.kaiming_normal(shape, nonlinearity="relu", rng=rng)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "your answer calls nnlib's xavier_normal"},
    },
    "weights_in_float32": {
        # the question asks for float64 arrays; the public tests say so
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, np.sqrt(2 / n_in), size=shape).astype(np.float32)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "he_normal should return a float64 array; got float32"},
    },
    "draws_written_differently": {
        # standard normals times the std, the bound as sqrt(3 var), a list shape: all right
        "answers": {"q1": FANS, "q2": '''
def xavier_normal(shape, rng):
    return np.sqrt(weight_variance(shape, "xavier")) * rng.standard_normal(tuple(shape))


def xavier_uniform(shape, rng):
    bound = np.sqrt(3 * weight_variance(shape, "xavier"))
    return rng.uniform(low=-bound, high=bound, size=tuple(shape))


def he_normal(shape, rng):
    fan_in, _ = fan_in_and_fan_out(shape)
    return rng.standard_normal(size=tuple(shape)) * (2 / fan_in) ** 0.5
'''},
        "expected": {"q1": 2.0, "q2": 3.0},
        "hint": {"q2": "All test cases passed!"},
    },
    # --- q3: the prediction --------------------------------------------------------------------
    "relu_half_forgotten": {
        "answers": {"q3": PREDICTED.replace("v / 2 if activation == \"relu\" else v", "v")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your prediction ignores what the ReLU does"},
    },
    "weight_std_not_squared": {
        # the std used where the variance was meant
        "answers": {"q3": PREDICTED.replace("weight_std ** 2", "weight_std")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "you used weight_std where Var(w) belongs"},
    },
    "prediction_with_fan_out": {
        "answers": {"q3": '''
def predicted_stds(widths, weight_std, activation, var_x=1.0):
    second, out = var_x, []
    for n in widths[1:]:
        v = n * weight_std ** 2 * second
        out.append(np.sqrt(v))
        second = v / 2 if activation == "relu" else v
    return np.array(out)
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "where fan_in was meant: layer l adds up n_(l-1) inputs"},
    },
    "variance_of_relu_not_second_moment": {
        "answers": {"q3": PREDICTED.replace("v / 2 if", "v * (0.5 - 1 / (2 * np.pi)) if")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "What the next layer multiplies is the second moment"},
    },
    "prediction_returns_variances": {
        "answers": {"q3": PREDICTED.replace("out.append(np.sqrt(v))", "out.append(v)")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "returned the variances of z^(l)"},
    },
    "prediction_as_a_list_by_recursion": {
        # right, written differently: a recursive list
        "answers": {"q3": '''
def predicted_stds(widths, weight_std, activation, var_x=1.0):
    if len(widths) < 2:
        return []
    var_z = widths[0] * weight_std * weight_std * var_x
    keep = 0.5 if activation == "relu" else 1.0
    return [var_z ** 0.5] + list(predicted_stds(widths[1:], weight_std, activation,
                                                keep * var_z))
'''},
        "expected": {"q3": 2.0},
        "hint": {"q3": "All test cases passed!"},
    },
    # --- q4: the measurement -------------------------------------------------------------------
    "measures_the_activations": {
        "answers": {"q4": MEASURED.replace("""        out.append(Z.std())
        A = act(Z)""", """        A = act(Z)
        out.append(A.std())""") + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you measured the activations A^(l) = sigma(Z^(l))"},
    },
    "measured_with_untransposed_weights": {
        "answers": {"q4": MEASURED.replace("A @ W.T", "A @ W") + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "Z^(l) = A^(l-1) W^(l)^T"},
    },
    "relu_in_place_on_the_input": {
        # Z[Z < 0] = 0 on a view of X's data: changes the caller's array
        "answers": {"q4": '''
def measured_stds(X, weights, activation):
    A, out = X, []
    for W in weights:
        Z = A @ W.T
        out.append(Z.std())
        if activation == "relu":
            np.maximum(Z, 0, out=Z)
        elif activation == "tanh":
            np.tanh(Z, out=Z)
        A = Z
    X[:] = 0
    return np.array(out)
''' + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "measured_stds changed X or a weight matrix in place"},
    },
    "measured_through_probes": {
        "answers": {"q4": '''
from nnlib import probes


def measured_stds(X, weights, activation):
    probes.trace(None, X)
''' + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your answer calls nnlib's trace"},
    },
    # --- q5: symmetry --------------------------------------------------------------------------
    "compares_columns_of_w1": {
        "answers": {"q5": '''
def units_identical(W1, b1, W2, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[:, :1]) <= tol) and np.all(np.abs(b1 - b1[0]) <= tol)
                and np.all(np.abs(W2 - W2[:, :1]) <= tol))
'''},
        "expected": {"q5": 0.5},
        "hint": {"q5": "compare its rows, W1[j], not its columns"},
    },
    "ignores_the_bias_and_w2": {
        # only the incoming weights: the bias and the outgoing weights belong to a unit too
        "answers": {"q5": '''
def units_identical(W1, b1, W2, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[0]) <= tol))
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "compare the entries of b1 too"},
    },
    "exact_equality_and_numpy_bool": {
        # ignores tol: right except for the hidden round-off case
        "answers": {"q5": '''
def units_identical(W1, b1, W2, tol=1e-12):
    return np.all(W1 == W1[0]) & np.all(b1 == b1[0]) & np.all(W2.T == W2.T[0])
'''},
        "expected": {"q5": 1.5},
        "hint": {"q5": "All test cases passed!"},
    },
}

CASES.update({
    # --- found by running the notebook as a student (issue 15); the diagnoses were added then --
    "prediction_of_the_relu_outputs": {
        # sqrt(E[a^2]) after the ReLU: the same numbers as halving the input's second moment,
        # so the message names both
        "answers": {"q3": '''
def predicted_stds(widths, weight_std, activation, var_x=1.0):
    second, out = var_x, []
    for n in widths[:-1]:
        v = n * weight_std ** 2 * second
        second = v / 2 if activation == "relu" else v
        out.append(np.sqrt(second))
    return np.array(out)
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "or you returned sqrt(E[a^(l)^2]) of the ReLU outputs"},
    },
    "measured_root_mean_square": {
        "answers": {"q4": MEASURED.replace("out.append(Z.std())",
                                           "out.append(np.sqrt(np.mean(Z ** 2)))") + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you computed the root mean square sqrt(mean(Z^2))"},
    },
    "uniform_drawn_transposed": {
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM.replace("size=shape", "size=shape[::-1]")
                    + HE_NORMAL},
        "expected": {"q2": 1.0},
        "hint": {"q2": "the transpose: a weight of shape (n_out, n_in) draws size=shape"},
    },
    "uniform_from_random_centred": {
        # (u - 1/2) 2r rounds differently from -r + 2r u near 0: before the fix (atol=0) a
        # correct answer failed when a weight fell within 1e-5 of 0
        "answers": {"q2": XAVIER_NORMAL + '''
def xavier_uniform(shape, rng):
    n_out, n_in = shape
    r = np.sqrt(6 / (n_in + n_out))
    return (rng.random(size=shape) - 0.5) * (2 * r)
''' + HE_NORMAL},
        "expected": {"q2": 3.0},
        "hint": {"q2": "All test cases passed!"},
    },
    "units_compared_with_allclose_defaults": {
        # np.allclose's own tolerance (1e-5 relative) instead of tol: the hidden round-off case
        "answers": {"q5": '''
def units_identical(W1, b1, W2, tol=1e-12):
    return bool(np.allclose(W1, W1[0]) and np.allclose(b1, b1[0])
                and np.allclose(W2, W2[:, :1]))
'''},
        "expected": {"q5": 1.5},
        "hint": {"q5": "All test cases passed!"},
    },
})

CASES.update({
    "constant_weights": {
        # no randomness at all: before the fix the feedback asked about a generator of its own
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return np.full(shape, np.sqrt(2 / n_in))
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "equal initial weights keep every unit a copy of the others"},
    },
    "deep_networks_with_a_wrong_measurement": {
        # the message about measured_small must not show the expected measured_small: it
        # diagnoses measured_stds on the first test's data instead
        "answers": {"q4": MEASURED.replace("A @ W.T", "A @ W") + DEEP},
        "expected": {"q4": 0.0},
        "hint": {"q4": "make the first test of Question 4 pass first. There:"},
    },
})

CASES.update({
    "he_std_sqrt_misplaced": {
        # sqrt(2) / n_in: no typical slip, so the generic message, which shows both stds (before
        # the fix as "np.float64(0.2)")
        "answers": {"q2": XAVIER_NORMAL + XAVIER_UNIFORM + '''
def he_normal(shape, rng):
    n_out, n_in = shape
    return rng.normal(0.0, np.sqrt(2) / n_in, size=shape)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "He's std is sqrt(2 / fan_in) = 0.2."},
    },
})
