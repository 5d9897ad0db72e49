"""Typical wrong answers to exercise set 1 (the perceptron); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``) and, where it
matters, must not show (``absent``: the expected answer itself). Questions that
build on earlier ones (q3 calls q2's ``perceptron_epoch``, q7 calls q6's ``sigmoid``) get the
correct answer to those from the constants below.
"""

PREDICT = '''
def predict(X, w, b):
    z = np.asarray(X) @ np.asarray(w) + b
    return (z > 0).astype(int)
'''

EPOCH = '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    w = np.array(w, dtype=float)
    b = float(b)
    mistakes = 0
    for x_i, y_i in zip(np.asarray(X, dtype=float), y):
        error = y_i - (1 if x_i @ w + b > 0 else 0)
        if error != 0:
            w = w + alpha * error * x_i
            b = b + alpha * error
            mistakes += 1
    return w, b, mistakes
'''

TRAIN = '''
def train_perceptron(X, y, alpha=1.0, max_epochs=100):
    w, b, epoch_mistakes = np.zeros(np.shape(X)[1]), 0.0, []
    for _ in range(max_epochs):
        w, b, mistakes = perceptron_epoch(X, y, w, b, alpha)
        epoch_mistakes.append(mistakes)
        if mistakes == 0:
            break
    return w, b, epoch_mistakes
'''

THEOREM_ON_DATA = '''
updates_sep = sum(train_perceptron(X_sep, y_sep)[2])
bound_sep = novikoff_bound(X_sep, y_sep, w_sep, b_sep)
'''

SIGMOID = '''
def sigmoid(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
'''

def _theorem_numbers():
    """What the theorem question's feedback must not print: its two answers."""
    from nnlib.data import linearly_separable
    from nnlib.perceptron import Perceptron, novikoff_bound

    X, y, w, b = linearly_separable(60, margin=0.15, rng=2, return_hyperplane=True)
    return Perceptron(2).fit(X, y, epochs=1000).n_mistakes, novikoff_bound(X, y, w, b)


_UPDATES, _BOUND = _theorem_numbers()

CASES = {
    # --- q1: the prediction -------------------------------------------------------------
    "tie_goes_to_class_1": {
        "answers": {"q1": '''
def predict(X, w, b):
    return (X @ w + b >= 0).astype(int)
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "must be class 0: predict 1 only where z > 0, not where z >= 0"},
    },
    "boolean_labels": {
        "answers": {"q1": '''
def predict(X, w, b):
    return X @ w + b > 0
'''},
        "expected": {"q1": 1.5},
        "hint": {"q1": "predict returned booleans"},
    },
    "signs_instead_of_labels": {
        "answers": {"q1": '''
def predict(X, w, b):
    return np.sign(X @ w + b)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the labels are 0 and 1, not signs"},
    },
    # --- q2: one epoch ------------------------------------------------------------------
    "all_predictions_before_updating": {
        "answers": {"q1": PREDICT, "q2": '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    errors = y - predict(X, w, b)       # every prediction with the starting weights
    w = w + alpha * errors @ X
    b = b + alpha * errors.sum()
    return w, b, int(np.count_nonzero(errors))
'''},
        "expected": {"q1": 2.0, "q2": 1.0},
        "hint": {"q2": "Predict each example with the weights after the updates made so far"},
    },
    "plus_minus_one_rule_with_0_1_labels": {
        "answers": {"q2": '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    w, b, mistakes = np.array(w, dtype=float), float(b), 0
    for x_i, y_i in zip(X, y):
        if (1 if x_i @ w + b > 0 else 0) != y_i:
            w = w + alpha * y_i * x_i
            b = b + alpha * y_i
            mistakes += 1
    return w, b, mistakes
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "adds nothing when y = 0"},
    },
    "updates_the_callers_weights": {
        "answers": {"q2": '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        error = y_i - (1 if x_i @ w + b > 0 else 0)
        if error != 0:
            w += alpha * error * x_i
            b += alpha * error
            mistakes += 1
    return w, b, mistakes
'''},
        "expected": {"q2": 2.5},
        "hint": {"q2": "changed the array w that it was given"},
    },
    "bias_never_learned": {
        "answers": {"q2": '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    w, mistakes = np.array(w, dtype=float), 0
    for x_i, y_i in zip(X, y):
        error = y_i - (1 if x_i @ w + b > 0 else 0)
        if error != 0:
            w = w + alpha * error * x_i
            mistakes += 1
    return w, b, mistakes
'''},
        "expected": {"q2": 0.5},
        "hint": {"q2": "b never changed"},
    },
    # --- q3: training -------------------------------------------------------------------
    "clean_epoch_not_recorded": {
        "answers": {"q2": EPOCH, "q3": '''
def train_perceptron(X, y, alpha=1.0, max_epochs=100):
    w, b, epoch_mistakes = np.zeros(np.shape(X)[1]), 0.0, []
    for _ in range(max_epochs):
        w, b, mistakes = perceptron_epoch(X, y, w, b, alpha)
        if mistakes == 0:
            break
        epoch_mistakes.append(mistakes)
    return w, b, epoch_mistakes
'''},
        "expected": {"q2": 3.0, "q3": 0.5},
        "hint": {"q3": "should end with the epoch that made no mistake"},
    },
    # --- q4: Novikoff's bound -----------------------------------------------------------
    "bound_in_the_input_space": {
        "answers": {"q2": EPOCH, "q3": TRAIN, "q4": '''
def novikoff_bound(X, y, w_star, b_star):
    s = 2 * y - 1
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(s * (X @ w_star + b_star)) / np.linalg.norm(w_star)
    if gamma <= 0:
        raise ValueError("the hyperplane does not separate the data")
    return float((R / gamma) ** 2)
''' + THEOREM_ON_DATA},
        "expected": {"q2": 3.0, "q3": 2.0, "q4": 0.5},
        "hint": {"q4": "the theorem needs the augmented space"},
    },
    "labels_used_as_signs": {
        "answers": {"q2": EPOCH, "q3": TRAIN, "q4": '''
def novikoff_bound(X, y, w_star, b_star):
    theta = np.append(w_star, b_star)
    R = np.sqrt(np.max(np.sum(X**2, axis=1)) + 1)
    gamma = np.min(y * (X @ w_star + b_star)) / np.linalg.norm(theta)
    if gamma <= 0:
        raise ValueError("the hyperplane does not separate the data")
    return float((R / gamma) ** 2)
''' + THEOREM_ON_DATA},
        "expected": {"q2": 3.0, "q3": 2.0, "q4": 0.5},
        "hint": {"q4": "Use s = 2y - 1"},
    },
    "margin_not_normalised": {
        "answers": {"q2": EPOCH, "q3": TRAIN, "q4": '''
def novikoff_bound(X, y, w_star, b_star):
    s = 2 * np.asarray(y) - 1
    R = np.sqrt(np.max(np.sum(X**2, axis=1)) + 1)
    gamma = np.min(s * (X @ w_star + b_star))
    if gamma <= 0:
        raise ValueError("the hyperplane does not separate the data")
    return float((R / gamma) ** 2)
''' + THEOREM_ON_DATA},
        "expected": {"q2": 3.0, "q3": 2.0, "q4": 1.0},
        "hint": {"q4": "divide the margin by ||(w*, b*)||"},
    },
    # --- q5: XOR ------------------------------------------------------------------------
    "linear_feature_for_xor": {
        "answers": {"q2": EPOCH, "q3": TRAIN, "q5": '''
xor_mistakes = train_perceptron(X_xor, y_xor, max_epochs=20)[2]


def xor_features(X):
    return np.column_stack([X, X[:, 0] + X[:, 1]])
'''},
        "expected": {"q2": 3.0, "q3": 2.0, "q5": 1.0},
        "hint": {"q5": "they do not make XOR linearly separable"},
    },
    # --- q6: the sigmoid ----------------------------------------------------------------
    "naive_sigmoid_overflows": {
        "answers": {"q6": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
'''},
        "expected": {"q6": 1.5},
        "hint": {"q6": "sigmoid(-1000) overflows"},
    },
    "np_where_evaluates_both_forms": {
        "answers": {"q6": '''
def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
'''},
        "expected": {"q6": 1.5},
        "hint": {"q6": "computes A and B for every element before choosing"},
    },
    "one_minus_loses_the_tail": {
        "answers": {"q6": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = 1 - 1 / (1 + np.exp(z[~pos]))
    return out
'''},
        # it also converts float32 input to float64, which the public tests now catch
        "expected": {"q6": 1.0},
        "hint": {"q6": "loses every digit"},
    },
    # --- q7: the gradient ---------------------------------------------------------------
    "gradient_summed_not_averaged": {
        "answers": {"q6": SIGMOID, "q7": '''
def neuron_loss_and_grad(X, y, w, b):
    y_hat = sigmoid(X @ w + b)
    loss = np.mean(0.5 * (y - y_hat) ** 2)
    delta = -(y - y_hat) * y_hat * (1 - y_hat)
    return float(loss), X.T @ delta, float(np.sum(delta))
'''},
        "expected": {"q6": 3.0, "q7": 1.0},
        "hint": {"q7": "the gradient is m = 4 times too large"},
    },
    "bias_gradient_not_summed": {
        "answers": {"q6": SIGMOID, "q7": '''
def neuron_loss_and_grad(X, y, w, b):
    m = len(X)
    y_hat = sigmoid(X @ w + b)
    loss = np.mean(0.5 * (y - y_hat) ** 2)
    delta = -(y - y_hat) * y_hat * (1 - y_hat) / m
    return float(loss), X.T @ delta, delta
'''},
        "expected": {"q6": 3.0, "q7": 0.5},
        "hint": {"q7": "one entry per example"},
    },
    "sigma_prime_left_out": {
        "answers": {"q6": SIGMOID, "q7": '''
def neuron_loss_and_grad(X, y, w, b):
    y_hat = sigmoid(X @ w + b)
    loss = np.mean(0.5 * (y - y_hat) ** 2)
    delta = -(y - y_hat) / len(X)
    return float(loss), X.T @ delta, float(np.sum(delta))
'''},
        "expected": {"q6": 3.0, "q7": 0.5},
        "hint": {"q7": "you left out sigma'(z)"},
    },
    "gradient_with_naive_sigmoid": {
        "answers": {"q6": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
''', "q7": '''
def neuron_loss_and_grad(X, y, w, b):
    y_hat = sigmoid(X @ w + b)
    loss = np.mean(0.5 * (y - y_hat) ** 2)
    delta = -(y - y_hat) * y_hat * (1 - y_hat) / len(X)
    return float(loss), X.T @ delta, float(np.sum(delta))
'''},
        "expected": {"q6": 1.5, "q7": 2.5},
        "hint": {"q6": "For z < 0 use the equal form exp(z) / (1 + exp(z))",
                 "q7": "compute y_hat with your stable sigmoid from Question 6"},
    },
    # --- issue 13: feedback that pointed the wrong way, leaks, shortcuts ------------------
    "shuffled_epoch": {
        # before the fix the alpha test told this epoch to multiply the updates by alpha
        "answers": {"q2": '''
def perceptron_epoch(X, y, w, b, alpha=1.0):
    w, b, mistakes = np.array(w, dtype=float), float(b), 0
    for i in rng.permutation(len(X)):
        error = y[i] - (1 if X[i] @ w + b > 0 else 0)
        if error != 0:
            w = w + alpha * error * X[i]
            b = b + alpha * error
            mistakes += 1
    return w, b, mistakes
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "visited the examples in another order than the rows of X"},
        "absent": {"q2": ["Multiply both updates by alpha"]},
    },
    "alpha_ignored": {
        "answers": {"q2": EPOCH.replace("alpha * error", "error")},
        "expected": {"q2": 2.0},
        "hint": {"q2": "alpha is not used. Multiply both updates by alpha"},
    },
    "theorem_numbers_copied": {
        # before the fix the feedback printed the expected updates_sep and bound_sep
        "answers": {"q2": EPOCH, "q3": TRAIN, "q4": '''
def novikoff_bound(X, y, w_star, b_star):
    X = np.asarray(X, dtype=float)
    s = 2 * np.asarray(y) - 1
    theta = np.append(np.asarray(w_star, dtype=float), float(b_star))
    norm = np.linalg.norm(theta)
    if norm == 0:
        raise ValueError("w_star and b_star are all zero")
    gamma = np.min(s * (X @ theta[:-1] + theta[-1])) / norm
    if gamma <= 0:
        raise ValueError("(w_star, b_star) does not separate the data")
    return float((np.max(np.sum(X**2, axis=1)) + 1.0) / gamma**2)


updates_sep = 1
bound_sep = 2.0
'''},
        "expected": {"q2": 3.0, "q3": 2.0, "q4": 2.5},
        "hint": {"q4": "sum(train_perceptron(X_sep, y_sep)[2])"},
        "absent": {"q4": [str(_UPDATES), f"{_BOUND:.2f}", f"{_BOUND:.1f}"]},
    },
    "novikoff_bound_by_nnlib": {
        "answers": {"q2": EPOCH, "q3": TRAIN, "q4": '''
from nnlib.perceptron import novikoff_bound
''' + THEOREM_ON_DATA},
        "expected": {"q2": 3.0, "q3": 2.0, "q4": 0.5},
        "hint": {"q4": "your answer calls nnlib's novikoff_bound"},
    },
    "predict_by_nnlib": {
        "answers": {"q1": '''
def predict(X, w, b):
    p = nnlib.perceptron.Perceptron(len(w))
    p.w, p.b = np.array(w, dtype=float), float(b)
    return p.predict(X)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's Perceptron.predict"},
    },
    "xor_label_as_feature": {
        # before the fix this passed: the third "feature" is XOR itself, the label
        "answers": {"q2": EPOCH, "q3": TRAIN, "q5": '''
xor_mistakes = train_perceptron(X_xor, y_xor, max_epochs=20)[2]


def xor_features(X):
    X = np.asarray(X, dtype=float)
    return np.column_stack([X, np.round(X[:, 0]) != np.round(X[:, 1])])
'''},
        "expected": {"q2": 3.0, "q3": 2.0, "q5": 1.0},
        "hint": {"q5": "it is a decision (0/1, a comparison, XOR itself)"},
    },
    "sigmoid_in_float64_for_float32": {
        # the question asks for float32 out; before the fix only hidden tests checked it
        "answers": {"q6": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
'''},
        "expected": {"q6": 2.0},
        "hint": {"q6": "sigmoid of a float32 array should be float32"},
    },
    "bias_gradient_kept_as_an_array": {
        # db of shape (1,): before the fix the feedback contradicted itself ("expected dw of
        # shape (3,); got dw of shape (3,)") and two hidden tests crashed with a traceback
        "answers": {"q6": SIGMOID, "q7": '''
def neuron_loss_and_grad(X, y, w, b):
    m = len(X)
    y_hat = sigmoid(X @ w + b)
    loss = np.mean(0.5 * (y - y_hat) ** 2)
    delta = -(y - y_hat) * y_hat * (1 - y_hat) / m
    return float(loss), X.T @ delta, np.sum(delta, keepdims=True)
'''},
        "expected": {"q6": 3.0, "q7": 0.5},
        "hint": {"q7": "db should be one number (a float); you returned an array of shape (1,)"},
        "absent": {"q7": ["got dw of shape (3,)"]},
    },
}
