"""Typical wrong answers to exercise set 7 (universal approximation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Question 4 counts
the pieces of Question 3's ``sawtooth_net``, so its cases get the correct answer to Question 3
from the constants below.
"""

STABLE_SIGMOID = '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
'''

BUMP = '''
def bump(x, a, b, k):
    x = np.asarray(x, dtype=float)
    return sigmoid(k * (x - a)) - sigmoid(k * (x - b))
'''

STEEPNESS = '''
def steepness_for_height(width, height):
    if not 0 < height < 1:
        raise ValueError("no finite k gives that height")
    return 4 * np.arctanh(height) / width
'''

# Question 2 with hooks for the typical mistakes: {k_default}, {bias}, {v_b}.
STAIRCASE = '''
def staircase_net(f, N, k=None):
    h = 1 / (N - 1)
    k = {k_default} if k is None else k
    c = np.linspace(0, 1, N)
    edges = np.stack([c - h / 2, c + h / 2], axis=1).ravel()
    heights = np.asarray(f(c), dtype=float)
    hidden = Linear(1, 2 * N, init="zeros")
    hidden.weight.data[:, 0] = k
    hidden.bias.data[:] = {bias}
    output = Linear(2 * N, 1, init="zeros")
    output.weight.data[0] = np.stack([heights, {v_b} * heights], axis=1).ravel()
    return Sequential(hidden, Sigmoid(), output)
'''


def staircase(k_default="10 / h", bias="-k * edges", v_b="-1.0"):
    return STAIRCASE.format(k_default=k_default, bias=bias, v_b=v_b)


# Question 3 with hooks: {W_mid}, {b_mid}; and the correct answer SAWTOOTH.
SAWTOOTH_TEMPLATE = '''
def sawtooth_net(D):
    first = Linear(1, 2, init="zeros")
    first.weight.data[:] = [[1.0], [1.0]]
    first.bias.data[:] = [0.0, -0.5]
    layers = [first, ReLU()]
    for _ in range(D - 1):
        middle = Linear(2, 2, init="zeros")
        middle.weight.data[:] = {W_mid}
        middle.bias.data[:] = {b_mid}
        layers += [middle, ReLU()]
    last = Linear(2, 1, init="zeros")
    last.weight.data[:] = [[2.0, -4.0]]
    return Sequential(*layers, last)
'''
SAWTOOTH = SAWTOOTH_TEMPLATE.format(W_mid="[[2.0, -4.0], [2.0, -4.0]]", b_mid="[0.0, -0.5]")

PIECES = '''
pieces_by_depth = {D: count_pieces(x_saw, sawtooth_net(D)(x_saw[:, None]).ravel())
                   for D in range(1, 9)}
'''

# Question 4 with a hook for the rule that decides which slope changes are kinks.
COUNT_TEMPLATE = '''
def count_pieces(x, y, tol=1e-7):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 3:
        return 1
    s = np.diff(y) / np.diff(x)
    change = {change}
    first_of_run = change & ~np.concatenate([[False], change[:-1]])
    return int(np.count_nonzero(first_of_run)) + 1
'''
RELATIVE = "np.abs(np.diff(s)) > tol * np.max(np.abs(s))"

# Question 5 with a hook for the output weights v (n = 2^D units at the kinks j / 2^D).
SHALLOW_TEMPLATE = '''
def shallow_sawtooth_net(D):
    n = 2 ** D
    hidden = Linear(1, n, init="zeros")
    hidden.weight.data[:] = 1.0
    hidden.bias.data[:] = -np.arange(n) / n
    alternating = (-1.0) ** np.arange(n)
    {v}
    output = Linear(n, 1, init="zeros")
    output.weight.data[0] = v
    return Sequential(hidden, ReLU(), output)
'''

# Question 6 with hooks: {activation}, {spread}, {n_points}, {zero_grad}.
FIT_TEMPLATE = '''
def fit_sine(width=16, steps=600, rng=0):
    rng = np.random.default_rng(rng)
    net = nnlib.mlp([1, width, 1], "{activation}", rng=rng)
    if {spread}:
        w = rng.normal(0.0, 5.0, size=width)
        u = rng.uniform(0.0, 1.0, size=width)
        net[0].weight.data[:, 0] = w
        net[0].bias.data[:] = -w * u
    X = np.linspace(0.0, 1.0, {n_points})[:, None]
    Y = np.sin(2 * np.pi * X)
    loss_fn = nnlib.MSELoss()
    optimizer = nnlib.Adam(net.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        losses.append(loss_fn(net(X), Y))
        if {zero_grad}:
            net.zero_grad()
        net.backward(loss_fn.backward())
        optimizer.step()
    return net, losses


net_sine, losses_sine = fit_sine(width=16, steps=600, rng=0)
'''


def fit(activation="tanh", spread=True, n_points=100, zero_grad=True):
    return FIT_TEMPLATE.format(activation=activation, spread=spread, n_points=n_points,
                               zero_grad=zero_grad)


CASES = {
    # --- q1: the bump -------------------------------------------------------------------
    "textbook_sigmoid_overflows": {
        "answers": {"q1": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
''' + BUMP + STEEPNESS},
        "expected": {"q1": 1.0},
        "hint": {"q1": "overflow in exp: use a stable sigmoid. 1 / (1 + np.exp(-z))"},
    },
    "np_where_still_overflows": {
        "answers": {"q1": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
''' + BUMP + STEEPNESS},
        "expected": {"q1": 1.0},
        "hint": {"q1": "np.where(z >= 0, A, B) computes A and B for every element"},
    },
    "steps_subtracted_the_wrong_way": {
        "answers": {"q1": STABLE_SIGMOID + '''
def bump(x, a, b, k):
    x = np.asarray(x, dtype=float)
    return sigmoid(k * (x - b)) - sigmoid(k * (x - a))
''' + STEEPNESS},
        "expected": {"q1": 1.0},
        "hint": {"q1": "your bump is negative between a and b"},
    },
    "shift_not_multiplied_by_k": {
        "answers": {"q1": STABLE_SIGMOID + '''
def bump(x, a, b, k):
    x = np.asarray(x, dtype=float)
    return sigmoid(k * x - a) - sigmoid(k * x - b)
''' + STEEPNESS},
        "expected": {"q1": 1.0},
        "hint": {"q1": "Multiply the shift by k too"},
    },
    "steepness_from_tanh_of_half_the_width": {
        "answers": {"q1": STABLE_SIGMOID + BUMP + '''
def steepness_for_height(width, height):
    return 2 * np.arctanh(height) / width
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "the midpoint height is tanh(k w / 4), not tanh(k w / 2)"},
    },
    "steepness_ignores_the_second_step": {
        "answers": {"q1": STABLE_SIGMOID + BUMP + '''
def steepness_for_height(width, height):
    return 2 * np.log(height / (1 - height)) / width
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "you solved sigma(k w / 2) = height"},
    },
    # --- q2: the staircase network --------------------------------------------------------
    "hidden_weight_transposed": {
        "answers": {"q2": '''
def staircase_net(f, N, k=None):
    h = 1 / (N - 1)
    k = 10 / h if k is None else k
    c = np.linspace(0, 1, N)
    edges = np.stack([c - h / 2, c + h / 2], axis=1).ravel()
    heights = np.asarray(f(c), dtype=float)
    hidden = Linear(1, 2 * N)
    hidden.weight.data = np.full((1, 2 * N), float(k))      # (in, out): transposed
    hidden.bias.data = -k * edges
    output = Linear(2 * N, 1)
    output.weight.data = np.stack([heights, -heights], axis=1).reshape(1, -1)
    output.bias.data[:] = 0.0
    return Sequential(hidden, Sigmoid(), output)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "Linear(1, 2N).weight has shape (2N, 1)"},
    },
    "output_weight_transposed": {
        "answers": {"q2": '''
def staircase_net(f, N, k=None):
    h = 1 / (N - 1)
    k = 10 / h if k is None else k
    c = np.linspace(0, 1, N)
    edges = np.stack([c - h / 2, c + h / 2], axis=1).ravel()
    heights = np.asarray(f(c), dtype=float)
    hidden = Linear(1, 2 * N, init="zeros")
    hidden.weight.data[:, 0] = k
    hidden.bias.data[:] = -k * edges
    output = Linear(2 * N, 1, init="zeros")
    output.weight.data = np.stack([heights, -heights], axis=1).reshape(-1, 1)
    return Sequential(hidden, Sigmoid(), output)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "Linear(2N, 1).weight has shape (1, 2N)"},
    },
    "bias_not_multiplied_by_k": {
        "answers": {"q2": staircase(bias="-edges")},
        "expected": {"q2": 0.5},
        "hint": {"q2": "so the bias is -k a_i"},
    },
    "bias_with_the_wrong_sign": {
        "answers": {"q2": staircase(bias="k * edges")},
        "expected": {"q2": 0.5},
        "hint": {"q2": "your biases have the wrong sign"},
    },
    "both_output_weights_positive": {
        "answers": {"q2": staircase(v_b="1.0")},
        "expected": {"q2": 0.5},
        "hint": {"q2": "both units of a bump have the output weight +f(c_i)"},
    },
    "default_steepness_not_tied_to_h": {
        "answers": {"q2": staircase(k_default="10.0")},
        "expected": {"q2": 1.5},
        "hint": {"q2": "the ramps must get steeper as the cells get narrower"},
    },
    "cells_split_the_interval_evenly": {
        "answers": {"q2": '''
def staircase_net(f, N, k=None):
    h = 1 / N
    k = 10 / h if k is None else k
    c = (np.arange(N) + 0.5) / N
    edges = np.stack([c - h / 2, c + h / 2], axis=1).ravel()
    heights = np.asarray(f(c), dtype=float)
    hidden = Linear(1, 2 * N, init="zeros")
    hidden.weight.data[:, 0] = k
    hidden.bias.data[:] = -k * edges
    output = Linear(2 * N, 1, init="zeros")
    output.weight.data[0] = np.stack([heights, -heights], axis=1).ravel()
    return Sequential(hidden, Sigmoid(), output)
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "so both 0 and 1 are centres"},
    },
    # --- q3: the deep sawtooth ----------------------------------------------------------
    "a_linear_layer_per_tent": {
        "answers": {"q3": '''
def sawtooth_net(D):
    layers = []
    for _ in range(D):
        into = Linear(1, 2, init="zeros")
        into.weight.data[:] = [[1.0], [1.0]]
        into.bias.data[:] = [0.0, -0.5]
        out = Linear(2, 1, init="zeros")
        out.weight.data[:] = [[2.0, -4.0]]
        layers += [into, ReLU(), out]
    return Sequential(*layers)
'''},
        "expected": {"q3": 1.0},
        "hint": {"q3": "your network has two Linear layers in a row"},
    },
    "middle_weights_transposed": {
        "answers": {"q3": SAWTOOTH_TEMPLATE.format(W_mid="[[2.0, 2.0], [-4.0, -4.0]]",
                                                   b_mid="[0.0, -0.5]")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "the middle weights are transposed"},
    },
    "middle_bias_left_out": {
        "answers": {"q3": SAWTOOTH_TEMPLATE.format(W_mid="[[2.0, -4.0], [2.0, -4.0]]",
                                                   b_mid="[0.0, 0.0]")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "the middle layers need the bias (0, -1/2) too"},
    },
    # --- q4: counting pieces ------------------------------------------------------------
    "slopes_compared_exactly": {
        "answers": {"q3": SAWTOOTH, "q4": COUNT_TEMPLATE.format(change="np.diff(s) != 0")
                    + PIECES},
        "expected": {"q3": 2.0, "q4": 0.5},
        "hint": {"q4": "differ by rounding (about 1e-13)"},
    },
    "kinks_instead_of_pieces": {
        "answers": {"q3": SAWTOOTH, "q4": COUNT_TEMPLATE.format(change=RELATIVE).replace(
            ")) + 1", "))") + PIECES},
        "expected": {"q3": 2.0, "q4": 0.0},
        "hint": {"q4": "you returned 7, the number of kinks"},
    },
    "kink_between_points_counted_twice": {
        "answers": {"q3": SAWTOOTH, "q4": COUNT_TEMPLATE.format(change=RELATIVE).replace(
            "change & ~np.concatenate([[False], change[:-1]])", "change") + PIECES},
        "expected": {"q3": 2.0, "q4": 1.0},
        "hint": {"q4": "Count each run of consecutive changes as one kink"},
    },
    "absolute_tolerance": {
        "answers": {"q3": SAWTOOTH, "q4": COUNT_TEMPLATE.format(
            change="np.abs(np.diff(s)) > 1e-9") + PIECES},
        "expected": {"q3": 2.0, "q4": 1.0},
        "hint": {"q4": "Use a tolerance relative to the largest slope"},
    },
    "turning_points_only": {
        "answers": {"q3": SAWTOOTH, "q4": '''
def count_pieces(x, y, tol=1e-7):
    s = np.diff(np.asarray(y, dtype=float)) / np.diff(np.asarray(x, dtype=float))
    return int(np.count_nonzero(np.diff(np.sign(s)) != 0)) + 1
''' + PIECES},
        "expected": {"q3": 2.0, "q4": 1.0},
        "hint": {"q4": "not only a change of its sign"},
    },
    "pieces_of_a_broken_network": {
        "answers": {"q3": SAWTOOTH_TEMPLATE.format(W_mid="[[2.0, -4.0], [2.0, -4.0]]",
                                                   b_mid="[0.0, 0.0]"),
                    "q4": COUNT_TEMPLATE.format(change=RELATIVE) + PIECES},
        "expected": {"q3": 0.5, "q4": 1.5},
        "hint": {"q4": "the tests of Question 3 must pass first"},
    },
    # --- q5: the shallow sawtooth -------------------------------------------------------
    "width_of_the_counting_bound": {
        "answers": {"q5": '''
def shallow_sawtooth_net(D):
    n = 2 ** D - 1
    hidden = Linear(1, n, init="zeros")
    hidden.weight.data[:] = 1.0
    hidden.bias.data[:] = -np.arange(1, n + 1) / 2 ** D
    output = Linear(n, 1, init="zeros")
    output.weight.data[0] = -2.0 ** (D + 1) * (-1.0) ** np.arange(n)
    return Sequential(hidden, ReLU(), output)
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "the bound that the count of pieces gives"},
    },
    "slopes_instead_of_changes_of_slope": {
        "answers": {"q5": SHALLOW_TEMPLATE.format(v="v = 2.0 ** D * alternating")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your output weights are +-2^D, the slopes of the pieces"},
    },
    "first_slope_doubled": {
        "answers": {"q5": SHALLOW_TEMPLATE.format(v="v = 2.0 ** (D + 1) * alternating")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "gives the first piece its slope, 2^D, not 2^(D+1)"},
    },
    # --- q6: training -------------------------------------------------------------------
    "gradients_never_zeroed": {
        "answers": {"q6": fit(zero_grad=False)},
        "expected": {"q6": 0.5},
        "hint": {"q6": "Zero the gradients before every backward pass"},
    },
    "relu_units": {
        "answers": {"q6": fit(activation="relu")},
        "expected": {"q6": 0.0},
        "hint": {"q6": "the hidden units are tanh units"},
    },
    "five_training_points": {
        "answers": {"q6": fit(n_points=5)},
        "expected": {"q6": 0.5},
        "hint": {"q6": "it fits its training points, not [0, 1]"},
    },
    "every_centre_starts_at_zero": {
        "answers": {"q6": fit(spread=False)},
        # the structure test passes, and so does the hidden width-24 test (error below 0.1
        # is within reach without spreading the centres); both 0.05 tests fail
        "expected": {"q6": 1.0},
        "hint": {"q6": "spread the units' centres over [0, 1]"},
    },
}
