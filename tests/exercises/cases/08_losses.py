"""Typical wrong answers to exercise set 8 (losses and maximum likelihood); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). The questions do
not depend on each other; the constants below are correct answers that cases vary.

Every test is worth 0.5 points (every question: 3 points in 6 tests).
"""

NLL = '''
def gaussian_nll(y_hat, y, s2):
    r = y_hat - y
    N = r.size
    return float(np.sum(r ** 2) / (2 * s2 * N) + 0.5 * np.log(2 * np.pi * s2)), r / (N * s2)


def ml_variance(y_hat, y):
    return float(np.mean((y_hat - y) ** 2))
'''

HUBER_VALUE = '''
def huber_value(r, delta):
    a = np.abs(r)
    return np.where(a < delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))
'''

BCE = '''
def bce_with_logits(z, y):
    N = z.size
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(losses) / N), (nnlib.functional.sigmoid(z) - y) / N
'''

PAIRS = '''
def output_and_loss(Z, Y, task):
    m = Z.shape[0]
    if task == "regression":
        Y_hat = Z.copy()
        L = 0.5 * np.sum((Z - Y) ** 2) / m
    elif task == "binary":
        Y_hat = nnlib.functional.sigmoid(Z)
        L = BINARY_LOSS
    else:
        Y_hat = SOFTMAX
        top = Z.max(axis=1, keepdims=True)
        lse = top + np.log(np.sum(np.exp(Z - top), axis=1, keepdims=True))
        L = MULTICLASS_LOSS
    return Y_hat, float(L), DELTA
'''
STABLE_BINARY = "np.sum(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))) / m"
STABLE_MULTICLASS = "np.sum(Y * (lse - Z)) / m"


def pairs(binary_loss=STABLE_BINARY, multiclass_loss=STABLE_MULTICLASS,
          softmax="nnlib.functional.softmax(Z, axis=1)", delta="(Y_hat - Y) / m"):
    """output_and_loss with one piece changed."""
    return (PAIRS.replace("BINARY_LOSS", binary_loss).replace("MULTICLASS_LOSS", multiclass_loss)
            .replace("SOFTMAX", softmax).replace("DELTA", delta))


FOCAL = '''
def focal_loss(z, y, alpha, gamma):
    N = z.size
    s = 2 * y - 1
    ce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    p_t = nnlib.functional.sigmoid(s * z)
    u = nnlib.functional.sigmoid(-s * z)
    a_t = np.where(y == 1, alpha, 1 - alpha)
    factor = a_t * u ** gamma
    return float(np.sum(factor * ce) / N), -s * factor * (u + gamma * p_t * ce) / N
'''

CASES = {
    # --- q1: the Gaussian negative log-likelihood -----------------------------------------
    "nll_without_the_constant": {
        # the constant does not move the best predictions, but it is part of -log p
        "answers": {"q1": NLL.replace(" + 0.5 * np.log(2 * np.pi * s2))", ")")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "L is missing the constant 1/2 log(2 pi s^2)"},
    },
    "nll_s2_taken_as_the_std": {
        "answers": {"q1": '''
def gaussian_nll(y_hat, y, s2):
    r = y_hat - y
    N = r.size
    var = s2 ** 2
    return float(np.sum(r ** 2) / (2 * var * N) + 0.5 * np.log(2 * np.pi * var)), r / (N * var)


def ml_variance(y_hat, y):
    return float(np.mean((y_hat - y) ** 2))
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "you used s2 as the std s"},
    },
    "nll_log_of_the_density": {
        # right for moderate residuals; the density underflows to 0 for r = 100, s2 = 0.01
        "answers": {"q1": '''
def gaussian_nll(y_hat, y, s2):
    r = y_hat - y
    N = r.size
    density = np.exp(-r ** 2 / (2 * s2)) / np.sqrt(2 * np.pi * s2)
    return float(-np.mean(np.log(density))), r / (N * s2)


def ml_variance(y_hat, y):
    return float(np.mean((y_hat - y) ** 2))
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "if you compute the density and then its log, you get log 0 = -inf"},
    },
    "nll_gradient_summed": {
        "answers": {"q1": NLL.replace("r / (N * s2)", "r / s2")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "dy_hat is N = 6 times too large"},
    },
    "nll_gradient_of_the_mse": {
        # the MSE's gradient 2 r / N, forgetting that the NLL divides the MSE by 2 s^2
        "answers": {"q1": NLL.replace("r / (N * s2)", "2 * r / N")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "that is the gradient of the mean squared error"},
    },
    "ml_variance_returns_the_std": {
        "answers": {"q1": NLL.replace("return float(np.mean((y_hat - y) ** 2))",
                                      "return float(np.sqrt(np.mean((y_hat - y) ** 2)))")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "you returned the std"},
    },
    "ml_variance_unbiased": {
        "answers": {"q1": NLL.replace("return float(np.mean((y_hat - y) ** 2))",
                                      "r = y_hat - y\n"
                                      "    return float(np.sum(r ** 2) / (r.size - 1))")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "you divided by N - 1 = 5"},
    },
    "ml_variance_by_np_var": {
        # np.var measures the residuals from their own mean, not from y_hat
        "answers": {"q1": NLL.replace("return float(np.mean((y_hat - y) ** 2))",
                                      "return float(np.var(y_hat - y))")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "np.var(r) measures the residuals from their own mean"},
    },
    "nll_by_nnlib_mse": {
        "answers": {"q1": '''
from nnlib.losses import MSELoss


def gaussian_nll(y_hat, y, s2):
    loss = MSELoss()
    mse = loss(y_hat, y)
    return mse / (2 * s2) + 0.5 * np.log(2 * np.pi * s2), loss.backward() / (2 * s2)


def ml_variance(y_hat, y):
    return float(np.mean((y_hat - y) ** 2))
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "your answer calls nnlib's MSELoss.forward"},
    },
    # --- q2: Huber's loss -------------------------------------------------------------------
    "huber_strict_masks_leave_out_the_seam": {
        "answers": {"q2": '''
def huber_loss_and_grad(y_hat, y, delta):
    r = y_hat - y
    a = np.abs(r)
    N = r.size
    inside, outside = a < delta, a > delta
    L = np.sum(0.5 * r ** 2 * inside + delta * (a - 0.5 * delta) * outside) / N
    return float(L), (r * inside + delta * np.sign(r) * outside) / N
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "at |r| = delta your two cases, |r| < delta and |r| > delta, both leave "
                       "the seam out"},
    },
    "huber_gradient_zero_on_the_seam": {
        # the loss is right (np.where); only the gradient's masks are both strict
        "answers": {"q2": HUBER_VALUE + '''

def huber_loss_and_grad(y_hat, y, delta):
    r = y_hat - y
    a = np.abs(r)
    N = r.size
    g = r * (a < delta) + delta * np.sign(r) * (a > delta)
    return float(np.mean(huber_value(r, delta))), g / N
'''},
        "expected": {"q2": 1.5},
        "hint": {"q2": "at |r| = delta your gradient is 0"},
    },
    "huber_gradient_sign_outside": {
        # right for delta = 1 only: the public batch test uses delta = 1
        "answers": {"q2": HUBER_VALUE + '''

def huber_loss_and_grad(y_hat, y, delta):
    r = y_hat - y
    g = np.where(np.abs(r) < delta, r, np.sign(r))
    return float(np.mean(huber_value(r, delta))), g / r.size
'''},
        "expected": {"q2": 1.0},
        "hint": {"q2": "you returned sign(r) (right only for delta = 1)"},
    },
    "huber_linear_piece_without_half_delta": {
        "answers": {"q2": '''
def huber_loss_and_grad(y_hat, y, delta):
    r = y_hat - y
    a = np.abs(r)
    L = np.mean(np.where(a < delta, 0.5 * r ** 2, delta * a))
    return float(L), np.clip(r, -delta, delta) / r.size
'''},
        "expected": {"q2": 0.5},
        "hint": {"q2": "without the - delta^2 / 2 the two pieces do not meet"},
    },
    "huber_changes_y_hat_in_place": {
        # the values are right; the hidden tests pass copies, the public ones see the change
        "answers": {"q2": HUBER_VALUE + '''

def huber_loss_and_grad(y_hat, y, delta):
    r = y_hat
    r -= y
    return float(np.mean(huber_value(r, delta))), np.clip(r, -delta, delta) / r.size
'''},
        "expected": {"q2": 1.5},
        "hint": {"q2": "huber_loss_and_grad changed y_hat or y in place (r = y_hat; r -= y"},
    },
    "huber_by_nnlib": {
        "answers": {"q2": '''
def huber_loss_and_grad(y_hat, y, delta):
    loss = nnlib.losses.HuberLoss(delta=delta)
    L = loss(y_hat, y)
    return L, loss.backward()
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "your answer calls nnlib's HuberLoss.forward"},
    },
    # --- q3: binary cross-entropy on logits ---------------------------------------------
    "bce_naive_overflows": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    p = 1 / (1 + np.exp(-z))
    L = np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))
    return float(L), (p - y) / z.size
'''},
        "expected": {"q3": 2.0},
        "hint": {"q3": "bce_with_logits overflows"},
    },
    "bce_naive_with_a_stable_sigmoid": {
        # a stable sigmoid does not save the naive loss: sigmoid(40) rounds to 1
        "answers": {"q3": '''
def bce_with_logits(z, y):
    p = nnlib.functional.sigmoid(z)
    L = np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))
    return float(L), (p - y) / z.size
'''},
        "expected": {"q3": 2.0},
        "hint": {"q3": "sigmoid(z) rounds to exactly 1 at z = 40"},
    },
    "bce_gradient_summed": {
        "answers": {"q3": BCE.replace("(nnlib.functional.sigmoid(z) - y) / N",
                                      "nnlib.functional.sigmoid(z) - y")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "dz is N = 6 times too large"},
    },
    "bce_divided_by_the_rows": {
        # right for one logit per example; off by k for a (m, k) batch
        "answers": {"q3": BCE.replace("N = z.size", "N = len(z)")},
        "expected": {"q3": 1.5},
        "hint": {"q3": "you divided by m = 2, the number of rows"},
    },
    "bce_logits_given_probabilities": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    p = nnlib.functional.sigmoid(z)
    losses = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
    return float(np.mean(losses)), (p - y) / z.size
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "handed the probabilities p = sigmoid(z) to the formula on logits"},
    },
    "bce_probability_formula_on_logits": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    L = np.mean(-y * np.log(z) - (1 - y) * np.log(1 - z))
    return float(L), (nnlib.functional.sigmoid(z) - y) / z.size
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "you used the binary cross-entropy of probabilities"},
    },
    "bce_gradient_with_respect_to_p": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    N = z.size
    p = nnlib.functional.sigmoid(z)
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(losses) / N), (p - y) / (p * (1 - p)) / N
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "that is dL/dp, the gradient with respect to the probability"},
    },
    "bce_converted_to_float64": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    N = z.size
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(losses) / N), (nnlib.functional.sigmoid(z) - y) / N
'''},
        "expected": {"q3": 2.0},
        "hint": {"q3": "for float32 z and y, dz should be float32"},
    },
    "bce_by_nnlib": {
        "answers": {"q3": '''
def bce_with_logits(z, y):
    loss = nnlib.losses.BCEWithLogitsLoss()
    L = loss(z, y)
    return L, loss.backward()
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's BCEWithLogitsLoss.forward"},
    },
    "bce_softplus_by_nnlib": {
        # softplus(z) - z y is the stable form, with the step done by nnlib
        "answers": {"q3": '''
from nnlib.functional import softplus


def bce_with_logits(z, y):
    return (float(np.mean(softplus(z) - z * y)),
            (nnlib.functional.sigmoid(z) - y) / z.size)
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's softplus"},
    },
    "bce_with_logaddexp": {
        # right, written differently: softplus by np.logaddexp, a sigmoid of its own
        "answers": {"q3": '''
def bce_with_logits(z, y):
    L = np.mean(np.logaddexp(0, z) - z * y)
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1, e) / (1 + e)
    return float(L), (p - y) / np.size(z)
'''},
        "expected": {"q3": 3.0},
        "hint": {"q3": "All test cases passed"},
    },
    # --- q4: output layers and losses -------------------------------------------------------
    "pairs_binary_loss_given_probabilities": {
        "answers": {"q4": pairs(binary_loss="np.sum(np.maximum(Y_hat, 0) - Y_hat * Y "
                                            "+ np.log1p(np.exp(-np.abs(Y_hat)))) / m")},
        "expected": {"q4": 1.0},
        "hint": {"q4": "you handed the probabilities Y_hat = sigmoid(Z) to the loss on logits"},
    },
    "pairs_naive_log_of_probabilities": {
        # right for moderate logits; log(0) when the probabilities round to 0 or 1
        "answers": {"q4": pairs(
            binary_loss="-np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)) / m",
            multiclass_loss="-np.sum(Y * np.log(Y_hat)) / m")},
        "expected": {"q4": 2.0},
        "hint": {"q4": "your loss takes log(0)"},
    },
    "pairs_mean_over_all_entries": {
        # Question 3's convention carried over
        "answers": {"q4": '''
def output_and_loss(Z, Y, task):
    if task == "regression":
        Y_hat = Z.copy()
        losses = 0.5 * (Z - Y) ** 2
    elif task == "binary":
        Y_hat = nnlib.functional.sigmoid(Z)
        losses = np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))
    else:
        Y_hat = nnlib.functional.softmax(Z, axis=1)
        top = Z.max(axis=1, keepdims=True)
        losses = Y * (top + np.log(np.sum(np.exp(Z - top), axis=1, keepdims=True)) - Z)
    return Y_hat, float(np.mean(losses)), (Y_hat - Y) / Z.size
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "you averaged over all m k = 12 entries"},
    },
    "pairs_softmax_for_independent_labels": {
        "answers": {"q4": '''
def output_and_loss(Z, Y, task):
    m = Z.shape[0]
    if task == "regression":
        Y_hat = Z.copy()
        L = 0.5 * np.sum((Z - Y) ** 2) / m
    else:
        Y_hat = nnlib.functional.softmax(Z, axis=1)
        top = Z.max(axis=1, keepdims=True)
        lse = top + np.log(np.sum(np.exp(Z - top), axis=1, keepdims=True))
        L = np.sum(Y * (lse - Z)) / m
    return Y_hat, float(L), (Y_hat - Y) / m
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "a softmax makes the k = 3 outputs compete"},
    },
    "pairs_softmax_over_the_batch_axis": {
        "answers": {"q4": pairs(softmax="nnlib.functional.softmax(Z, axis=0)")},
        "expected": {"q4": 1.0},
        "hint": {"q4": "you took the softmax over the wrong axis"},
    },
    "pairs_sigmoid_delta_of_the_squared_error": {
        # the loss is the BCE, but delta keeps the sigmoid's factor (the mismatched pair)
        "answers": {"q4": pairs(delta="(Y_hat - Y) * (Y_hat * (1 - Y_hat) if task == 'binary' "
                                      "else 1) / m")},
        "expected": {"q4": 1.0},
        "hint": {"q4": "that is the error signal of the sigmoid with the squared error"},
    },
    "pairs_cross_entropy_by_nnlib": {
        # only the multiclass branch calls nnlib: the other tasks' tests pass
        "answers": {"q4": pairs(multiclass_loss="nnlib.losses.CrossEntropyLoss()(Z, Y)")},
        "expected": {"q4": 1.0},
        "hint": {"q4": "your answer calls nnlib's CrossEntropyLoss.forward"},
    },
    # --- q5: the focal loss -------------------------------------------------------------------
    "focal_gamma_multiplies": {
        "answers": {"q5": FOCAL.replace("factor = a_t * u ** gamma", "factor = a_t * u * gamma")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "does not reduce to the alpha_t-weighted cross-entropy"},
    },
    "focal_without_alpha": {
        "answers": {"q5": FOCAL.replace("factor = a_t * u ** gamma", "factor = u ** gamma")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "That is the plain cross-entropy: the weight alpha_t"},
    },
    "focal_alpha_swapped": {
        "answers": {"q5": FOCAL.replace("np.where(y == 1, alpha, 1 - alpha)",
                                        "np.where(y == 1, 1 - alpha, alpha)")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "alpha_t is swapped"},
    },
    "focal_naive_log": {
        # right for moderate logits; log(0) when p_t rounds to 0
        "answers": {"q5": '''
def focal_loss(z, y, alpha, gamma):
    p = nnlib.functional.sigmoid(z)
    p_t = np.where(y == 1, p, 1 - p)
    a_t = np.where(y == 1, alpha, 1 - alpha)
    s = 2 * y - 1
    L = np.mean(-a_t * (1 - p_t) ** gamma * np.log(p_t))
    dz = -s * a_t * (1 - p_t) ** gamma * ((1 - p_t) - gamma * p_t * np.log(p_t)) / z.size
    return float(L), dz
'''},
        "expected": {"q5": 2.0},
        "hint": {"q5": "focal_loss takes log(0)"},
    },
    "focal_gradient_without_the_gamma_term": {
        # the factor (1 - p_t)^gamma treated as a constant: right only at gamma = 0, and
        # where p_t is near 0 or 1 (the large-logit test cannot see the missing term)
        "answers": {"q5": FOCAL.replace("(u + gamma * p_t * ce)", "u")},
        "expected": {"q5": 1.5},
        "hint": {"q5": "you treated (1 - p_t)^gamma as a constant"},
    },
    "focal_by_nnlib": {
        "answers": {"q5": '''
def focal_loss(z, y, alpha, gamma):
    loss = nnlib.losses.FocalLoss(alpha=alpha, gamma=gamma)
    L = loss(z, y)
    return L, loss.backward()
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your answer calls nnlib's FocalLoss.forward"},
    },
    "focal_with_one_minus_p_t": {
        # right, written differently: p_t from one sigmoid, 1 - p_t by subtraction
        "answers": {"q5": '''
def focal_loss(z, y, alpha, gamma):
    p = nnlib.functional.sigmoid(z)
    p_t = np.where(y == 1, p, 1 - p)
    a_t = np.where(y == 1, alpha, 1 - alpha)
    ce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    w = a_t * (1 - p_t) ** gamma
    dz = np.where(y == 1, -1.0, 1.0) * w * ((1 - p_t) + gamma * p_t * ce)
    return float(np.mean(w * ce)), dz / z.size
'''},
        "expected": {"q5": 3.0},
        "hint": {"q5": "All test cases passed"},
    },
}
