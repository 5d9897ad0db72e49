"""Typical wrong answers to exercise set 2 (XOR and hidden layers); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). The questions do
not build on each other, so every case answers one question. A question's points are shared
equally by its tests, public and hidden: 0.5 per test (q1 and q3 to q7 have 4 tests for 2
points, q2 has 6 tests for 3 points).
"""

# The correct hidden layer and output unit of Question 2, for the cases that change one part.
Q2_RIGHT = '''
W1 = np.array([[1.0, 1.0], [-1.0, -1.0]])
b1 = np.array([-1.5, 0.5])
W2 = np.array([[-1.0, -1.0]])
b2 = np.array([0.5])
'''

# The loop of Question 7 with one line left to the case: {build}, {loss}, {target}, {stop}, {step}.
TRAIN = '''
def train_xor(seed, max_steps=2000):
    net = {build}
    optimizer = nnlib.SGD(net.parameters(), lr={lr})
    loss_fn = {loss}
    target = {target}
    losses = []
    for _ in range(max_steps):
        out = net(X)
{stop}        losses.append(loss_fn(out, target))
        optimizer.zero_grad()
        net.backward(loss_fn.backward())
{step}    return net, losses
'''
STOP = ("        if np.array_equal(out[:, 0] > 0, y == 1):\n"
        "            break\n")
STEP = "        optimizer.step()\n"


def train(build="nnlib.mlp([2, 4, 1], 'sigmoid', rng=seed)", lr="1.0",
          loss="nnlib.BCEWithLogitsLoss()", target="y[:, None].astype(float)", stop=STOP,
          step=STEP):
    return TRAIN.format(build=build, lr=lr, loss=loss, target=target, stop=stop, step=step)


CASES = {
    # --- q1: counting the points a line gets right ----------------------------------------
    "boundary_counts_as_class_1": {
        "answers": {"q1": '''
def count_correct(w1, w2, b):
    z = X @ np.array([w1, w2]) + b
    return int(np.sum((z >= 0) == y))
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "Did you use >= instead of >?"},
    },
    "fraction_instead_of_count": {
        "answers": {"q1": '''
def count_correct(w1, w2, b):
    return np.mean(step(X @ np.array([w1, w2]) + b) == y)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the fraction of points right"},
    },
    "counts_the_mistakes": {
        "answers": {"q1": '''
def count_correct(w1, w2, b):
    return int(np.sum(step(X @ np.array([w1, w2]) + b) != y))
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the number of points it gets wrong"},
    },
    # --- q2: the hand-built network --------------------------------------------------------
    "hidden_units_swapped": {
        "answers": {"q2": '''
W1 = np.array([[-1.0, -1.0], [1.0, 1.0]])   # NOR first, AND second
b1 = np.array([0.5, -1.5])
W2 = np.array([[-1.0, -1.0]])
b2 = np.array([0.5])
'''},
        # the network still computes XOR (NOR of the two units does not care about their order)
        "expected": {"q2": 2.5},
        "hint": {"q2": "your hidden units are swapped"},
    },
    "threshold_on_an_integer_sum": {
        "answers": {"q2": Q2_RIGHT.replace("b1 = np.array([-1.5, 0.5])",
                                           "b1 = np.array([-1.0, 0.5])")},
        # right on the four corners thanks to step(0) = 0; fails the z = 0 test and, hidden,
        # the points near (0,1) and (1,0)
        "expected": {"q2": 2.0},
        "hint": {"q2": "hidden unit 1 has z = 0 exactly at the input (0,1)"},
    },
    "hidden_weights_transposed": {
        "answers": {"q2": Q2_RIGHT.replace("W1 = np.array([[1.0, 1.0], [-1.0, -1.0]])",
                                           "W1 = np.array([[1.0, -1.0], [1.0, -1.0]])")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "W1 is transposed"},
    },
    "output_weights_as_a_vector": {
        "answers": {"q2": Q2_RIGHT.replace("W2 = np.array([[-1.0, -1.0]])",
                                           "W2 = np.array([-1.0, -1.0])")},
        "expected": {"q2": 2.5},
        "hint": {"q2": "W2 has shape (2,); make it a matrix of shape (1, 2)"},
    },
    "output_unit_is_and": {
        "answers": {"q2": Q2_RIGHT.replace("W2 = np.array([[-1.0, -1.0]])",
                                           "W2 = np.array([[1.0, 1.0]])")
                                  .replace("b2 = np.array([0.5])", "b2 = np.array([-1.5])")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "so it computes AND of the hidden units"},
    },
    # --- q3: the hidden space ---------------------------------------------------------------
    "hidden_points_transposed": {
        "answers": {"q3": '''
def hidden_points(W1, b1, X):
    return step(X @ W1 + b1)


H_c = hidden_points(W1_c, b1_c, X)
W_out = np.array([[1.0, 1.0]])
b_out = np.array([-0.5])
'''},
        # W1_c is symmetric, so H_c and the output unit are still right
        "expected": {"q3": 1.0},
        "hint": {"q3": "hidden_points uses the transposed weights"},
    },
    "hidden_points_without_step": {
        "answers": {"q3": '''
def hidden_points(W1, b1, X):
    return X @ W1.T + b1


H_c = hidden_points(W1_c, b1_c, X)
W_out = np.array([[1.0, 1.0]])
b_out = np.array([-0.5])
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "apply the step activation"},
    },
    "output_unit_and_in_hidden_space": {
        "answers": {"q3": '''
def hidden_points(W1, b1, X):
    return step(X @ W1.T + b1)


H_c = hidden_points(W1_c, b1_c, X)
W_out = np.array([[1.0, 1.0]])
b_out = np.array([-1.5])
'''},
        "expected": {"q3": 1.5},
        "hint": {"q3": "the output must fire when either detector fires"},
    },
    # --- q4: two linear layers are one ------------------------------------------------------
    "product_in_the_wrong_order": {
        "answers": {"q4": '''
def collapse(W1, b1, W2, b2):
    return W1 @ W2, W2 @ b1 + b2
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "its matrix stands on the RIGHT: W = W2 W1"},
    },
    "first_bias_forgotten": {
        "answers": {"q4": '''
def collapse(W1, b1, W2, b2):
    return W2 @ W1, b2
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you forgot that the first layer's bias also passes through"},
    },
    "bias_added_in_place": {
        "answers": {"q4": '''
def collapse(W1, b1, W2, b2):
    b2 += W2 @ b1
    return W2 @ W1, b2
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "collapse changed its argument b2 in place"},
    },
    # --- q5: collapsing an nnlib network ----------------------------------------------------
    "only_the_last_bias": {
        "answers": {"q5": '''
def collapse_network(net):
    W = None
    for layer in net:
        if isinstance(layer, nnlib.Identity):
            continue
        if not isinstance(layer, nnlib.Linear):
            raise ValueError("the network has an activation, so it does not collapse")
        W = layer.weight.data if W is None else layer.weight.data @ W
    single = nnlib.Linear(W.shape[1], W.shape[0])
    single.weight.data[:] = W
    single.bias.data[:] = net[-1].bias.data
    return single
'''},
        # only the refusal of a sigmoid network passes
        "expected": {"q5": 0.5},
        "hint": {"q5": "its weight is right but its bias is not"},
    },
    "activations_skipped_silently": {
        "answers": {"q5": '''
def collapse_network(net):
    W, b = None, None
    for layer in net:
        if not isinstance(layer, nnlib.Linear):
            continue
        if W is None:
            W, b = layer.weight.data, layer.bias.data
        else:
            W, b = layer.weight.data @ W, layer.weight.data @ b + layer.bias.data
    single = nnlib.Linear(W.shape[1], W.shape[0])
    single.weight.data[:] = W
    single.bias.data[:] = b
    return single
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "raise a ValueError"},
    },
    "returns_the_matrices": {
        "answers": {"q5": '''
def collapse_network(net):
    W, b = np.eye(net[0].in_features), np.zeros(net[0].in_features)
    for layer in net:
        if isinstance(layer, nnlib.Linear):
            W, b = layer.weight.data @ W, layer.weight.data @ b + layer.bias.data
        elif not isinstance(layer, nnlib.Identity):
            raise ValueError("not a linear network")
    return W, b
'''},
        "expected": {"q5": 0.5},
        "hint": {"q5": "return an nnlib.Linear layer"},
    },
    # --- q6: the forward pass ---------------------------------------------------------------
    "forward_without_transpose": {
        "answers": {"q6": '''
def forward(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1 + b1)
    return sigmoid(A1 @ W2.T + b2)
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "forward uses the transposed hidden weights"},
    },
    "hand_written_sigmoid_overflows": {
        "answers": {"q6": '''
def forward(X, W1, b1, W2, b2):
    s = lambda z: 1 / (1 + np.exp(-z))
    return s(s(X @ W1.T + b1) @ W2.T + b2)
'''},
        "expected": {"q6": 1.5},
        "hint": {"q6": "overflows when z is large and negative"},
    },
    "output_squeezed_to_a_vector": {
        "answers": {"q6": '''
def forward(X, W1, b1, W2, b2):
    return sigmoid(sigmoid(X @ W1.T + b1) @ W2.T + b2)[:, 0]
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "without [:, 0]"},
    },
    "no_sigmoid_on_the_output": {
        "answers": {"q6": '''
def forward(X, W1, b1, W2, b2):
    return sigmoid(X @ W1.T + b1) @ W2.T + b2
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "apply the sigmoid to the output layer too"},
    },
    # --- q7: training -----------------------------------------------------------------------
    "optimizer_step_forgotten": {
        "answers": {"q7": train(step="")},
        "expected": {"q7": 0.0},
        "hint": {"q7": "call optimizer.step() after net.backward(...)"},
    },
    "no_early_stop": {
        "answers": {"q7": train(stop="")},
        # solves XOR from every seed and keeps the budget; only the public losses test fails
        "expected": {"q7": 1.5},
        "hint": {"q7": "check at the start of every step whether all four points are right"},
    },
    "sigmoid_output_with_bce": {
        "answers": {"q7": train(
            build="nnlib.mlp([2, 4, 1], 'sigmoid', output_activation='sigmoid', rng=seed)",
            loss="nnlib.BCELoss()",
            stop=STOP.replace("out[:, 0] > 0", "out[:, 0] > 0.5"))},
        "expected": {"q7": 0.0},
        "hint": {"q7": "BCEWithLogitsLoss expects logits"},
    },
    "learning_rate_too_small": {
        "answers": {"q7": train(lr="0.01")},
        # the losses are right and the budget is kept, but XOR is not solved
        "expected": {"q7": 1.0},
        "hint": {"q7": "Train longer or with a larger learning rate"},
    },
    "targets_of_the_wrong_shape": {
        "answers": {"q7": train(target="y")},
        "expected": {"q7": 0.0},
        "hint": {"q7": "use y[:, None].astype(float), not y"},
    },
}
