"""Typical wrong answers to exercise set 5 (backpropagation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Question 5 calls
the functions of Questions 1 to 3; the cases that need them correct take them from the
constants below.

Every test is worth 0.5 points (q1, q4, q5, q6: 3 points in 6 tests; q2, q3, q7: 2 in 4).
"""

LINEAR = '''
def linear_backward(X, W, delta):
    return delta @ W, delta.T @ X, delta.sum(axis=0)
'''

MSE = '''
def mse_loss_and_grad(Y_hat, Y):
    m = Y_hat.shape[0]
    return float(0.5 * np.sum((Y_hat - Y) ** 2) / m), (Y_hat - Y) / m
'''

SIGMOID = '''
def sigmoid(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad_out, a):
    return grad_out * a * (1 - a)
'''

SOFTMAX = '''
def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
'''

TWO_LAYER = '''
def two_layer_backward(X, Y, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1.T + b1)
    Y_hat = sigmoid(A1 @ W2.T + b2)
    _, dY_hat = mse_loss_and_grad(Y_hat, Y)
    delta2 = sigmoid_backward(dY_hat, Y_hat)
    dA1, dW2, db2 = linear_backward(A1, W2, delta2)
    delta1 = sigmoid_backward(dA1, A1)
    _, dW1, db1 = linear_backward(X, W1, delta1)
    return dW1, db1, dW2, db2
'''

NUMERICAL = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        old = x[j]
        x[j] = old + eps
        plus = f(x)
        x[j] = old - eps
        minus = f(x)
        x[j] = old
        grad[j] = (plus - minus) / (2 * eps)
    return grad
'''

REL_ERROR = '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))
'''

FIND_THE_BUG = '''
numeric_W6 = numerical_gradient(loss_of_W6, W6.copy())
error_A = relative_error(dW_version_A(W6, X6, b6, Y6), numeric_W6)
error_B = relative_error(dW_version_B(W6, X6, b6, Y6), numeric_W6)
buggy = "A" if error_A > error_B else "B"
'''

CASES = {
    # --- q1: the linear layer -----------------------------------------------------------
    "transposed_weight_gradient": {
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    return delta @ W, X.T @ delta, delta.sum(axis=0)
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "dL/dW = delta^T X has W's shape (n_out, n_in)"},
    },
    "bias_gradient_not_summed": {
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    return delta @ W, delta.T @ X, delta
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "sum delta over the batch axis"},
    },
    "averaged_again_in_the_layer": {
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    m = X.shape[0]
    return delta @ W, delta.T @ X / m, delta.sum(axis=0) / m
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "delta already contains the 1/m of the mean loss; do not divide by m "
                       "again"},
    },
    "bias_gradient_averaged": {
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    return delta @ W, delta.T @ X, delta.mean(axis=0)
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "db is m = 5 times too small: you averaged over the batch"},
    },
    # --- q2: the mean squared error -----------------------------------------------------
    "loss_gradient_summed_not_averaged": {
        "answers": {"q2": '''
def mse_loss_and_grad(Y_hat, Y):
    return float(0.5 * np.sum((Y_hat - Y) ** 2)), Y_hat - Y
'''},
        "expected": {"q2": 0.5},
        "hint": {"q2": "your gradient is m = 4 times too large: the loss is a mean over the m "
                       "examples"},
    },
    "mean_over_all_entries_without_the_half": {
        "answers": {"q2": '''
def mse_loss_and_grad(Y_hat, Y):
    return float(np.mean((Y_hat - Y) ** 2)), 2 * (Y_hat - Y) / Y_hat.size
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "the convention of nnlib's MSELoss"},
    },
    # --- q3: the sigmoid ----------------------------------------------------------------
    "naive_sigmoid_overflows": {
        "answers": {"q3": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_backward(grad_out, a):
    return grad_out * a * (1 - a)
'''},
        "expected": {"q3": 1.0},
        "hint": {"q3": "sigmoid(-1000) overflows"},
    },
    "sigma_prime_of_a": {
        "answers": {"q3": SIGMOID.replace("return grad_out * a * (1 - a)",
                                          "return grad_out * sigmoid(a) * (1 - sigmoid(a))")},
        "expected": {"q3": 1.0},
        "hint": {"q3": "you computed sigma'(a) = sigma(a) (1 - sigma(a)), the derivative at the "
                       "wrong point"},
    },
    "sigmoid_backward_without_grad_out": {
        "answers": {"q3": SIGMOID.replace("return grad_out * a * (1 - a)",
                                          "return a * (1 - a)")},
        "expected": {"q3": 1.0},
        "hint": {"q3": "multiply it by grad_out"},
    },
    # --- q4: softmax and cross-entropy --------------------------------------------------
    "softmax_over_the_batch_axis": {
        "answers": {"q4": '''
def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_ce_backward(Z, y):
    m, C = Z.shape
    return (softmax(Z) - np.eye(C)[y]) / m
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "take the softmax over the class axis, axis=1"},
    },
    "cross_entropy_gradient_without_1_over_m": {
        "answers": {"q4": SOFTMAX + '''

def softmax_ce_backward(Z, y):
    return softmax(Z) - np.eye(Z.shape[1])[y]
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "your gradient is m = 4 times too large: the loss is a mean over the m "
                       "examples"},
    },
    "softmax_shifted_by_the_batch_maximum": {
        "answers": {"q4": '''
def softmax(Z):
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=1, keepdims=True)


def softmax_ce_backward(Z, y):
    m, C = Z.shape
    return (softmax(Z) - np.eye(C)[y]) / m
'''},
        "expected": {"q4": 2.0},
        "hint": {"q4": "not the maximum of the whole batch"},
    },
    "labels_subtracted_instead_of_one_hot": {
        "answers": {"q4": SOFTMAX + '''

def softmax_ce_backward(Z, y):
    return (softmax(Z) - np.asarray(y)[:, None]) / len(Z)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "subtract the one-hot row instead"},
    },
    # --- q5: the 2-2-1 network ----------------------------------------------------------
    "network_transposed_hidden_weight_gradient": {
        "answers": {"q2": MSE, "q3": SIGMOID, "q5": '''
def two_layer_backward(X, Y, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1.T + b1)
    Y_hat = sigmoid(A1 @ W2.T + b2)
    delta2 = (Y_hat - Y) / len(X) * Y_hat * (1 - Y_hat)
    delta1 = (delta2 @ W2) * A1 * (1 - A1)
    return X.T @ delta1, delta1.sum(axis=0), delta2.T @ A1, delta2.sum(axis=0)
'''},
        "expected": {"q2": 2.0, "q3": 2.0, "q5": 0.0},
        "hint": {"q5": "W1 is square, so the shape cannot tell"},
    },
    "network_with_sigma_prime_of_a": {
        "answers": {"q1": LINEAR, "q2": MSE,
                    "q3": SIGMOID.replace("return grad_out * a * (1 - a)",
                                          "return grad_out * sigmoid(a) * (1 - sigmoid(a))"),
                    "q5": TWO_LAYER},
        "expected": {"q1": 3.0, "q2": 2.0, "q3": 1.0, "q5": 0.0},
        "hint": {"q5": "you computed sigma'(a) = sigma(a) (1 - sigma(a)) instead of "
                       "sigma'(z) = a (1 - a)"},
    },
    "network_loss_gradient_summed": {
        "answers": {"q1": LINEAR, "q3": SIGMOID, "q5": '''
def two_layer_backward(X, Y, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1.T + b1)
    Y_hat = sigmoid(A1 @ W2.T + b2)
    delta2 = sigmoid_backward(Y_hat - Y, Y_hat)
    dA1, dW2, db2 = linear_backward(A1, W2, delta2)
    _, dW1, db1 = linear_backward(X, W1, sigmoid_backward(dA1, A1))
    return dW1, db1, dW2, db2
'''},
        "expected": {"q1": 3.0, "q3": 2.0, "q5": 1.0},
        "hint": {"q5": "every gradient is m = 4 times too large: the loss is a mean over the m "
                       "examples"},
    },
    "network_without_the_hidden_sigma_prime": {
        "answers": {"q1": LINEAR, "q2": MSE, "q3": SIGMOID, "q5": '''
def two_layer_backward(X, Y, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1.T + b1)
    Y_hat = sigmoid(A1 @ W2.T + b2)
    _, dY_hat = mse_loss_and_grad(Y_hat, Y)
    delta2 = sigmoid_backward(dY_hat, Y_hat)
    dA1, dW2, db2 = linear_backward(A1, W2, delta2)
    _, dW1, db1 = linear_backward(X, W1, dA1)
    return dW1, db1, dW2, db2
'''},
        "expected": {"q1": 3.0, "q2": 2.0, "q3": 2.0, "q5": 0.0},
        "hint": {"q5": "delta1 is missing the hidden sigmoids' factor"},
    },
    # --- q6: the gradient check ---------------------------------------------------------
    "forward_difference": {
        "answers": {"q6": '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    f0 = f(x)
    for j in np.ndindex(x.shape):
        old = x[j]
        x[j] = old + eps
        grad[j] = (f(x) - f0) / eps
        x[j] = old
    return grad
''' + REL_ERROR + FIND_THE_BUG},
        "expected": {"q6": 1.5},
        "hint": {"q6": "whose error is O(eps)"},
    },
    "relative_error_divided_by_one_norm": {
        "answers": {"q6": NUMERICAL + '''

def relative_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
''' + FIND_THE_BUG},
        "expected": {"q6": 1.5},
        "hint": {"q6": "your relative error is not symmetric"},
    },
    "perturbs_whole_rows": {
        "answers": {"q6": '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in range(len(x)):
        x[i] += eps
        plus = f(x)
        x[i] -= 2 * eps
        minus = f(x)
        x[i] += eps
        grad[i] = (plus - minus) / (2 * eps)
    return grad
''' + REL_ERROR + FIND_THE_BUG},
        "expected": {"q6": 1.5},
        "hint": {"q6": "you moved a row at once"},
    },
    "blames_the_correct_version": {
        "answers": {"q6": NUMERICAL + REL_ERROR + FIND_THE_BUG.replace(
            'buggy = "A" if error_A > error_B else "B"', 'buggy = "B"')},
        "expected": {"q6": 2.5},
        "hint": {"q6": "buggy should name the version whose gradient disagrees"},
    },
    # --- q7: ReLU -----------------------------------------------------------------------
    "relu_gradient_passes_at_zero": {
        "answers": {"q7": '''
def relu_backward(grad_out, z):
    return grad_out * (z >= 0)
'''},
        "expected": {"q7": 1.0},
        "hint": {"q7": "the mask is 1[z > 0]"},
    },
    "relu_backward_in_place": {
        "answers": {"q7": '''
def relu_backward(grad_out, z):
    grad_out[z <= 0] = 0
    return grad_out
'''},
        "expected": {"q7": 1.5},
        "hint": {"q7": "relu_backward changed grad_out in place"},
    },
    "relu_mask_without_grad_out": {
        "answers": {"q7": '''
def relu_backward(grad_out, z):
    return (z > 0).astype(float)
'''},
        "expected": {"q7": 0.5},
        "hint": {"q7": "multiply it by grad_out"},
    },
    # --- issue 13: feedback that pointed the wrong way, requirements, shortcuts -------------
    "mse_changes_y_hat_in_place": {
        # the loss and the gradient are right; before the fix the test computed its expected
        # loss after the call, from the changed Y_hat, and called a correct loss wrong
        "answers": {"q2": '''
def mse_loss_and_grad(Y_hat, Y):
    m = Y_hat.shape[0]
    diff = Y_hat
    diff -= Y
    return float(0.5 * np.sum(diff ** 2) / m), diff / m
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "changed Y_hat or Y in place (diff = Y_hat; diff -= Y"},
    },
    "one_hot_fills_whole_columns": {
        # before the fix the feedback blamed the softmax's axis
        "answers": {"q4": SOFTMAX + '''

def softmax_ce_backward(Z, y):
    m, C = Z.shape
    Y = np.zeros((m, C))
    Y[:, y] = 1
    return (softmax(Z) - Y) / m
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "your softmax is right, but the one-hot matrix is not"},
    },
    "relative_error_divided_by_the_larger_norm": {
        # symmetric, so before the fix the feedback said "not symmetric (0.8485 but 0.8485)"
        "answers": {"q6": NUMERICAL + '''

def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-12))
''' + FIND_THE_BUG},
        "expected": {"q6": 1.5},
        "hint": {"q6": "you divided by the larger norm, max(||a||, ||b||) = 5"},
    },
    "sigmoid_converted_to_float64": {
        # the question asks for float32 out; before the fix only a hidden test checked it
        "answers": {"q3": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad_out, a):
    return grad_out * a * (1 - a)
'''},
        "expected": {"q3": 1.0},
        "hint": {"q3": "sigmoid of a float32 array should be float32"},
    },
    "relu_mask_in_float64": {
        # before the fix a hidden test wanted float32 output that the question never asked for
        "answers": {"q7": '''
def relu_backward(grad_out, z):
    return grad_out * (z > 0).astype(float)
'''},
        "expected": {"q7": 1.0},
        "hint": {"q7": "for a float32 grad_out relu_backward should return float32"},
    },
    "linear_backward_returns_a_list": {
        # before the fix the public tests rejected a list that the hidden tests accepted
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    return [delta @ W, delta.T @ X, delta.sum(axis=0)]
'''},
        "expected": {"q1": 3.0},
        "hint": {"q1": "All test cases passed"},
    },
    "linear_backward_by_nnlib": {
        "answers": {"q1": '''
def linear_backward(X, W, delta):
    layer = nnlib.layers.Linear(W.shape[1], W.shape[0])
    layer.weight.data = np.array(W, dtype=float)
    layer(X)
    layer.zero_grad()
    dX = layer.backward(delta)
    return dX, layer.weight.grad.copy(), layer.bias.grad.copy()
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "asks for your own code, but your answer calls nnlib's Linear"},
    },
    "sigmoid_by_nnlib_saved_first": {
        # the nnlib function bound to another name before the answer: still nnlib's
        "answers": {"q3": '''
from nnlib.functional import sigmoid as library_sigmoid, sigmoid_grad


def sigmoid(z):
    return library_sigmoid(z)


def sigmoid_backward(grad_out, a):
    return grad_out * a * (1 - a)
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your answer calls nnlib's sigmoid"},
    },
    "gradient_check_by_nnlib": {
        "answers": {"q6": '''
from nnlib.gradcheck import numerical_grad, rel_error


def numerical_gradient(f, x, eps=1e-6):
    return numerical_grad(f, x, eps)


def relative_error(a, b):
    return rel_error(a, b)
''' + FIND_THE_BUG},
        "expected": {"q6": 0.5},
        "hint": {"q6": "your answer calls nnlib's numerical_grad"},
    },
    "softmax_by_scipy": {
        "answers": {"q4": '''
import scipy.special


def softmax(Z):
    return scipy.special.softmax(Z, axis=1)


def softmax_ce_backward(Z, y):
    m, C = Z.shape
    return (softmax(Z) - np.eye(C)[y]) / m
'''},
        # softmax_ce_backward is the student's own (P - Y) / m: its tests pass
        "expected": {"q4": 1.0},
        "hint": {"q4": "your answer calls scipy"},
    },
}
