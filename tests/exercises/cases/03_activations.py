"""Typical wrong answers to exercise set 3 (activation functions); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Questions that
build on earlier ones (q2 and q4 call q1's ``sigmoid``) get the correct answer to q1 from the
constant below.
"""

SIGMOID = '''
def sigmoid(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
'''

SILU = '''
def central_difference(f, z, h=1e-5):
    z = np.asarray(z, dtype=float)
    return (f(z + h) - f(z - h)) / (2 * h)


def silu(z):
    return np.asarray(z) * sigmoid(z)


def silu_grad(z):
    f, s = silu(z), sigmoid(z)
    return f + s * (1 - f)


silu_err = float(np.max(np.abs(silu_grad(z_grid) - central_difference(silu, z_grid))))
'''

GELU = '''
def gelu(z):
    z = np.asarray(z, dtype=float)
    return z * 0.5 * (1 + special.erf(z / np.sqrt(2)))

'''

DEAD = '''
def dead_fraction(A):
    return float(np.mean(np.all(np.asarray(A) == 0, axis=0)))


out = layer_outputs(net, X_sine)
dead_first = dead_fraction(out["1:ReLU"])
dead_second = dead_fraction(out["3:ReLU"])
'''

CASES = {
    # --- correct answers written differently from the solutions: full marks ---------------
    "other_correct_idioms": {
        "answers": {"q1": '''
def sigmoid(z):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def sigmoid_grad(z):
    return sigmoid(z) * sigmoid(-np.asarray(z))
''', "q2": '''
def tanh_via_sigmoid(z):
    z = np.asarray(z)
    return sigmoid(z + z) * 2 - 1


def tanh_grad(z):
    return 1 - np.tanh(z) ** 2
''', "q3": '''
def relu_grad(z):
    z = np.asarray(z)
    return np.heaviside(z, 0).astype(z.dtype if z.dtype.kind == "f" else float)


def leaky_relu_grad(z, negative_slope=0.01):
    z = np.asarray(z)
    d = np.full(z.shape, negative_slope, dtype=z.dtype if z.dtype.kind == "f" else float)
    d[z > 0] = 1
    return d
''', "q4": '''
def central_difference(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / h / 2


def silu(z):
    return z * sigmoid(z)


def silu_grad(z):
    s = sigmoid(z)
    return s + z * s * (1 - s)


silu_err = np.abs(silu_grad(z_grid) - central_difference(silu, z_grid)).max()
''', "q5": '''
def gelu(z):
    return z * special.ndtr(z)


zs = np.arange(-3000, 1) / 1000                 # a step of 0.001
i = np.argmin(gelu(zs))
gelu_min_z, gelu_min = zs[i], gelu(zs)[i]
''', "q6": '''
def softmax(Z):
    Z = np.asarray(Z)
    shifted = Z - np.max(Z, axis=-1)[:, None]
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1)[:, None]
''', "q7": '''
def dead_fraction(A):
    A = np.asarray(A)
    return np.sum(~np.any(A > 0, axis=0)) / A.shape[1]


outs = layer_outputs(net, X_sine)
dead_first, dead_second = (dead_fraction(outs[k]) for k in ("1:ReLU", "3:ReLU"))
'''},
        "expected": {"q1": 3.0, "q2": 2.0, "q3": 3.0, "q4": 2.0, "q5": 2.0, "q6": 3.0,
                     "q7": 2.0},
        "hint": {q: "All test cases passed!" for q in ("q1", "q2", "q3", "q4", "q5", "q6",
                                                        "q7")},
    },
    # --- q1: sigmoid and its derivative ---------------------------------------------------
    "naive_sigmoid_overflows": {
        "answers": {"q1": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
'''},
        # fails the public overflow test and the hidden float32 (exp(100)) and range tests
        "expected": {"q1": 1.5},
        "hint": {"q1": "overflow in exp for large negative inputs"},
    },
    "np_where_evaluates_both_forms": {
        "answers": {"q1": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
'''},
        # the overflow, float32 and whole-range tests fail; 2-D, scalar and integers pass
        "expected": {"q1": 1.0},
        "hint": {"q1": "computes A and B on every element before it chooses"},
    },
    "derivative_of_the_input_not_the_output": {
        "answers": {"q1": SIGMOID.replace("s = sigmoid(z)\n    return s * (1 - s)",
                                          "return z * (1 - z)")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "takes the sigmoid's output a = sigma(z), not its input z"},
    },
    # --- q2: tanh from the sigmoid --------------------------------------------------------
    "tanh_without_doubling_the_argument": {
        "answers": {"q1": SIGMOID, "q2": '''
def tanh_via_sigmoid(z):
    return 2 * sigmoid(z) - 1


def tanh_grad(z):
    t = tanh_via_sigmoid(z)
    return 1 - t * t
'''},
        "expected": {"q1": 3.0, "q2": 0.0},
        "hint": {"q2": "tanh(z) = 2 sigma(2z) - 1"},
    },
    "tanh_grad_not_squared": {
        "answers": {"q1": SIGMOID, "q2": '''
def tanh_via_sigmoid(z):
    return 2 * sigmoid(2 * np.asarray(z)) - 1


def tanh_grad(z):
    return 1 - tanh_via_sigmoid(z)
'''},
        "expected": {"q1": 3.0, "q2": 0.5},
        "hint": {"q2": "the derivative is 1 - tanh(z)^2"},
    },
    "tanh_with_np_tanh": {
        "answers": {"q1": SIGMOID, "q2": '''
def tanh_via_sigmoid(z):
    return np.tanh(z)


def tanh_grad(z):
    return 1 - np.tanh(z) ** 2
'''},
        "expected": {"q1": 3.0, "q2": 1.5},
        "hint": {"q2": "tanh_via_sigmoid calls np.tanh"},
    },
    # --- q3: ReLU and Leaky ReLU derivatives ----------------------------------------------
    "relu_grad_booleans": {
        "answers": {"q3": '''
def relu_grad(z):
    return z > 0


def leaky_relu_grad(z, negative_slope=0.01):
    return np.where(z > 0, 1.0, negative_slope)
'''},
        # booleans fail the public relu test and the hidden dtype test; G * bool is right
        "expected": {"q3": 1.5},
        "hint": {"q3": "relu_grad returned booleans"},
    },
    "derivative_one_at_zero": {
        "answers": {"q3": '''
def relu_grad(z):
    return (z >= 0).astype(float)


def leaky_relu_grad(z, negative_slope=0.01):
    return np.where(z >= 0, 1.0, negative_slope)
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "Test z > 0, not z >= 0"},
    },
    "relu_grad_overwrites_its_input": {
        "answers": {"q3": '''
def relu_grad(z):
    z[z > 0] = 1.0
    z[z <= 0] = 0.0
    return z


def leaky_relu_grad(z, negative_slope=0.01):
    return np.where(z > 0, 1.0, negative_slope)
'''},
        # the public test and a hidden one catch the overwrite; another fails on a number
        "expected": {"q3": 1.0},
        "hint": {"q3": "relu_grad changed the array z that it was given"},
    },
    "leaky_relu_grad_without_slope": {
        "answers": {"q3": '''
def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)


def leaky_relu_grad(z, negative_slope=0.01):
    return (np.asarray(z) > 0).astype(float)
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "the derivative of Leaky ReLU is negative_slope (0.1 here), not 0"},
    },
    # --- q4: SiLU and central differences -------------------------------------------------
    "forward_difference": {
        "answers": {"q1": SIGMOID, "q4": SILU.replace("(f(z + h) - f(z - h)) / (2 * h)",
                                                      "(f(z + h) - f(z)) / h")},
        # silu_err is about 2.5e-6 (above 1e-8), and the hidden 2-D check of exp fails
        "expected": {"q1": 3.0, "q4": 0.5},
        "hint": {"q4": "one-sided (forward) difference"},
    },
    "silu_grad_is_the_sigmoid_derivative": {
        "answers": {"q1": SIGMOID,
                    "q4": SILU.replace("f, s = silu(z), sigmoid(z)\n    return f + s * (1 - f)",
                                       "s = sigmoid(z)\n    return s * (1 - s)")},
        "expected": {"q1": 3.0, "q4": 0.5},
        "hint": {"q4": "the derivative of the sigmoid alone"},
    },
    # --- q5: the minimum of GELU ----------------------------------------------------------
    "gelu_erf_without_sqrt2": {
        "answers": {"q5": '''
def gelu(z):
    z = np.asarray(z, dtype=float)
    return z * 0.5 * (1 + special.erf(z))


zs = np.linspace(-3, 0, 30001)
gelu_min_z = float(zs[np.argmin(gelu(zs))])
gelu_min = float(gelu(gelu_min_z))
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "erf(z / sqrt(2))"},
    },
    "gelu_minimum_on_a_coarse_grid": {
        "answers": {"q5": GELU + '''
zs = np.linspace(-3, 3, 61)                  # a step of 0.1
gelu_min_z = float(zs[np.argmin(gelu(zs))])
gelu_min = float(gelu(gelu_min_z))
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "your grid is too coarse"},
    },
    "gelu_minimum_value_and_location_swapped": {
        "answers": {"q5": GELU + '''
result = optimize.minimize_scalar(gelu, bounds=(-3, 0), method="bounded")
gelu_min_z = result.fun
gelu_min = result.x
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "looks like the minimum value of GELU, not its location"},
    },
    # --- q6: softmax ----------------------------------------------------------------------
    "softmax_over_the_wrong_axis": {
        "answers": {"q6": '''
def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "softmax over the classes: axis=1 (or -1) for batch-first logits"},
    },
    "softmax_without_the_max": {
        "answers": {"q6": '''
def softmax(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
'''},
        # overflow at 1000 (public), float32 at 100 and logits of 1e4 (hidden) fail
        "expected": {"q6": 1.5},
        "hint": {"q6": "Subtract each row's maximum before np.exp"},
    },
    "softmax_minus_the_global_max": {
        "answers": {"q6": '''
def softmax(Z):
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=1, keepdims=True)
'''},
        "expected": {"q6": 1.0},
        "hint": {"q6": "Subtract each row's own maximum"},
    },
    "softmax_minus_the_column_max": {
        "answers": {"q6": '''
def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "you subtracted the maximum of each column (axis=0)"},
    },
    "softmax_without_keepdims": {
        "answers": {"q6": '''
def softmax(Z):
    e = np.exp(Z - Z.max(axis=1))
    return e / e.sum(axis=1)
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "keepdims=True"},
    },
    # --- q7: dead ReLU units --------------------------------------------------------------
    "dead_fraction_counts_zero_outputs": {
        "answers": {"q7": DEAD.replace("np.mean(np.all(np.asarray(A) == 0, axis=0))",
                                       "np.mean(np.asarray(A) == 0)")},
        "expected": {"q7": 0.0},
        "hint": {"q7": "That is the sparsity of the layer, not its dead units"},
    },
    "dead_fraction_over_the_wrong_axis": {
        "answers": {"q7": DEAD.replace("axis=0", "axis=1")},
        "expected": {"q7": 0.0},
        "hint": {"q7": "A unit is a column of A"},
    },
    "dead_fraction_of_the_linear_layers": {
        "answers": {"q7": DEAD.replace('"1:ReLU"', '"0:Linear"').replace('"3:ReLU"',
                                                                         '"2:Linear"')},
        "expected": {"q7": 1.5},
        "hint": {"q7": "Did you pass the output of a Linear layer"},
    },
    # --- issue 13: the library's step, float32 in the public tests --------------------------
    "softmax_by_scipy_logsumexp": {
        # scipy's logsumexp does the shift that this question is about
        "answers": {"q6": '''
from scipy.special import logsumexp


def softmax(Z):
    return np.exp(Z - logsumexp(Z, axis=-1, keepdims=True))
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "your answer calls scipy"},
    },
    "sigmoid_by_nnlib": {
        "answers": {"q1": '''
def sigmoid(z):
    return nnlib.functional.sigmoid(z)


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's sigmoid"},
    },
    "relu_grad_in_float64": {
        # the question asks for the dtype of z; before the fix only a hidden test checked it
        "answers": {"q3": '''
def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)


def leaky_relu_grad(z, negative_slope=0.01):
    return np.where(np.asarray(z) > 0, 1.0, negative_slope)
'''},
        "expected": {"q3": 1.5},
        "hint": {"q3": "relu_grad of a float32 array should be float32"},
    },
}
