"""Typical wrong answers to exercise set 4 (forward propagation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). The questions of
this set are independent of each other. Points: q1 2, q2 4, q3 2, q4 2, q5 3, q6 3, q7 3.
"""

FORWARD_EXAMPLE = '''
def forward_example(x, W1, b1, W2, b2):
    z1 = {z1}
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    y_hat = {y_hat}
    return z1, a1, z2, y_hat
'''

FORWARD_BATCH = '''
def forward_batch(X, layers):
    A = X
    for W, b in layers:
        A = {a}
    return A
'''

MEMORY = '''
def training_memory(sizes, batch_size, dtype):
    return {expr}
'''

LSE = '''
def logsumexp_stable(Z, axis=-1):
{body}
'''

CASES = {
    # --- q1: one example through the 2-2-1 network ----------------------------------------
    "q1_transposed_weight": {
        "answers": {"q1": FORWARD_EXAMPLE.format(z1="W1.T @ x + b1", y_hat="sigmoid(z2)")},
        "expected": {"q1": 0},
        "hint": {"q1": "is W1.T @ x + b1: you transposed W1. Row j of W1 holds the weights"},
    },
    "q1_no_sigmoid_on_the_output": {
        "answers": {"q1": FORWARD_EXAMPLE.format(z1="W1 @ x + b1", y_hat="z2")},
        "expected": {"q1": 0},
        "hint": {"q1": "y_hat equals z2: the output layer has a sigmoid too"},
    },
    "q1_forgot_the_bias": {
        "answers": {"q1": FORWARD_EXAMPLE.format(z1="W1 @ x", y_hat="sigmoid(z2)")},
        "expected": {"q1": 0},
        "hint": {"q1": "is W1 @ x: you forgot the bias"},
    },
    # --- q2: a batch through any number of layers -------------------------------------------
    "q2_a_times_w_without_transpose": {
        "answers": {"q2": FORWARD_BATCH.format(a="sigmoid(A @ W + b)")},
        "expected": {"q2": 0},
        "hint": {"q2": "W has shape (n_l, n_{l-1}); for a batch use A @ W.T"},
    },
    "q2_missing_bias": {
        "answers": {"q2": FORWARD_BATCH.format(a="sigmoid(A @ W.T)")},
        "expected": {"q2": 0},
        "hint": {"q2": "You left out the bias: Z = A @ W.T + b"},
    },
    "q2_no_sigmoid_on_the_last_layer": {
        "answers": {"q2": '''
def forward_batch(X, layers):
    A = X
    for W, b in layers[:-1]:
        A = sigmoid(A @ W.T + b)
    W, b = layers[-1]
    return A @ W.T + b
'''},
        "expected": {"q2": 0},
        "hint": {"q2": "The output layer has no sigmoid in your code"},
    },
    "q2_exactly_two_layers": {
        # right for two-layer networks (the first public test and the float32 hidden test)
        "answers": {"q2": '''
def forward_batch(X, layers):
    (W1, b1), (W2, b2) = layers
    return sigmoid(sigmoid(X @ W1.T + b1) @ W2.T + b2)
'''},
        "expected": {"q2": 2},
        "hint": {"q2": "one per layer and of any length: loop over it"},
    },
    # --- q3: parameters ---------------------------------------------------------------------
    "q3_weights_only": {
        "answers": {"q3": '''
def n_parameters(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
'''},
        "expected": {"q3": 0},
        "hint": {"q3": "you counted only weights"},
    },
    "q3_biases_for_the_input_too": {
        "answers": {"q3": '''
def n_parameters(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)
'''},
        "expected": {"q3": 0},
        "hint": {"q3": "you gave the input layer biases too"},
    },
    # --- q4: FLOPs --------------------------------------------------------------------------
    "q4_one_flop_per_weight": {
        "answers": {"q4": '''
def forward_flops(sizes, batch_size=1):
    return batch_size * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
'''},
        "expected": {"q4": 0},
        "hint": {"q4": "each weight costs a multiplication AND an addition, 2 FLOPs"},
    },
    "q4_biases_counted": {
        "answers": {"q4": '''
def forward_flops(sizes, batch_size=1):
    return 2 * batch_size * sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
'''},
        "expected": {"q4": 0},
        "hint": {"q4": "you counted 2 FLOPs per parameter, biases included"},
    },
    # --- q5: memory of a training step ------------------------------------------------------
    "q5_float64_itemsize_hard_coded": {
        # right in float64 (the second public test), wrong for float32 and float16
        "answers": {"q5": MEMORY.format(expr="8 * batch_size * (sum(sizes) + sum(sizes[1:]))")},
        "expected": {"q5": 1},
        "hint": {"q5": "you used 8 bytes per number, but float32 has 4"},
    },
    "q5_forgot_z": {
        "answers": {"q5": MEMORY.format(
            expr="np.dtype(dtype).itemsize * batch_size * sum(sizes)")},
        "expected": {"q5": 0},
        "hint": {"q5": "Training also keeps the pre-activations Z^(1), ..., Z^(D)"},
    },
    "q5_forgot_the_input": {
        "answers": {"q5": MEMORY.format(
            expr="np.dtype(dtype).itemsize * batch_size * 2 * sum(sizes[1:])")},
        "expected": {"q5": 0},
        "hint": {"q5": "you left out the input A^(0) = X"},
    },
    # --- q6: stable sigmoid -----------------------------------------------------------------
    "q6_naive_sigmoid": {
        "answers": {"q6": '''
def stable_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''},
        "expected": {"q6": 0},
        "hint": {"q6": "overflow in exp for large negative inputs: use exp(-|x|)"},
    },
    "q6_where_with_two_unsafe_branches": {
        "answers": {"q6": '''
def stable_sigmoid(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
'''},
        "expected": {"q6": 0},
        "hint": {"q6": "it evaluates both branches for every element"},
    },
    "q6_one_minus_sigmoid_cancels": {
        "answers": {"q6": '''
def stable_sigmoid(z):
    s = 1.0 / (1.0 + np.exp(-np.abs(z)))
    return np.where(z >= 0, s, 1.0 - s)
'''},
        "expected": {"q6": 0},
        "hint": {"q6": "you computed 1 - sigma(-z)"},
    },
    "q6_clipped_input": {
        "answers": {"q6": '''
def stable_sigmoid(z):
    z = np.clip(z, -500, 500)
    return 1.0 / (1.0 + np.exp(-z))
'''},
        "expected": {"q6": 0},
        "hint": {"q6": "If you clip z"},
    },
    # --- q7: log-sum-exp --------------------------------------------------------------------
    "q7_naive_logsumexp": {
        # right for moderate scores (the first public test and a hidden case), not for 1000
        "answers": {"q7": LSE.format(body="    return np.log(np.sum(np.exp(Z), axis=axis))")},
        "expected": {"q7": 1},
        "hint": {"q7": "The naive form log(sum(exp(z))) overflows at z = 1000"},
    },
    "q7_wrong_axis": {
        "answers": {"q7": LSE.format(body='''\
    M = np.max(Z, axis=0, keepdims=True)
    return np.squeeze(M + np.log(np.sum(np.exp(Z - M), axis=0, keepdims=True)), axis=0)''')},
        "expected": {"q7": 0},
        "hint": {"q7": "sum over the class axis, axis=-1"},
    },
    "q7_one_maximum_for_the_whole_array": {
        "answers": {"q7": LSE.format(body='''\
    M = np.max(Z)
    return M + np.log(np.sum(np.exp(Z - M), axis=axis))''')},
        "expected": {"q7": 1},
        "hint": {"q7": "Subtract each row's own maximum"},
    },
    "q7_max_without_keepdims": {
        "answers": {"q7": LSE.format(body='''\
    M = np.max(Z, axis=axis)
    return M + np.log(np.sum(np.exp(Z - M), axis=axis))''')},
        "expected": {"q7": 0},
        "hint": {"q7": "keepdims=True"},
    },
    # --- issue 13: float32 in the public tests, the library's step ---------------------------
    "q2_converted_to_float64": {
        # the question asks for float32 out; before the fix only a hidden test checked it
        "answers": {"q2": '''
def forward_batch(X, layers):
    A = np.asarray(X, dtype=float)
    for W, b in layers:
        A = sigmoid(A @ np.asarray(W, dtype=float).T + b)
    return A
'''},
        "expected": {"q2": 2.0},
        "hint": {"q2": "keep the dtype"},
    },
    "q3_count_parameters_of_nnlib": {
        "answers": {"q3": '''
def n_parameters(sizes):
    return nnlib.count_parameters(nnlib.mlp(sizes))
'''},
        "expected": {"q3": 0},
        "hint": {"q3": "your answer calls nnlib's mlp"},
    },
    "q6_the_imported_sigmoid": {
        # the setup imports nnlib's sigmoid for Questions 1 and 2: not for this one
        "answers": {"q6": '''
def stable_sigmoid(z):
    return sigmoid(z)
'''},
        "expected": {"q6": 0},
        "hint": {"q6": "your answer calls nnlib's sigmoid"},
    },
}
