"""Typical wrong answers to exercise set 10 (vanishing and exploding gradients); see
test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Question 3 calls
``backward_deltas`` of Question 2: its cases take a correct one from ``DELTAS`` below.

Every test is worth 0.5 points (q1, q2, q3, q5: 3 points in 6 tests; q4, q6: 2 in 4).
"""

JACOBIAN = '''
def layer_jacobian(W_next, z, sigma_grad):
    return np.asarray(W_next) * sigma_grad(np.asarray(z))
'''

DELTAS = '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    for l in range(len(Ws) - 1, 0, -1):
        deltas.insert(0, (deltas[0] @ Ws[l]) * sigma_grad(Zs[l - 1]))
    return deltas
'''

NORMS_TAIL = '''
norms10 = layer_gradient_norms(Ws10, bs10, X10, y10, nnlib.functional.sigmoid,
                               nnlib.functional.sigmoid_grad)
first_over_last = norms10[0] / norms10[-1]
'''


def norms(m_divisor="m", columns="np.shape(Ws[-1])[0]"):
    """layer_gradient_norms with the 1/m and the one-hot width as given."""
    return f'''
def layer_gradient_norms(Ws, bs, X, y, sigma, sigma_grad):
    D, m = len(Ws), len(X)
    A, As, Zs = np.asarray(X), [np.asarray(X)], []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W.T + b
        Zs.append(Z)
        A = sigma(Z) if l < D - 1 else Z
        As.append(A)
    Y = np.eye({columns})[y]
    Delta_D = (nnlib.functional.softmax(Zs[-1]) - Y) / {m_divisor}
    deltas = backward_deltas(Ws, Zs[:-1], Delta_D, sigma_grad)
    return [float(np.linalg.norm(d.T @ a)) for d, a in zip(deltas, As[:-1])]
''' + NORMS_TAIL


SPECTRAL = '''
def spectral_norm(W):
    return float(np.linalg.norm(W, 2))
'''

BOUND = '''
def layer_bound(W_next, Z, sigma_grad):
    return float(np.max(np.abs(sigma_grad(Z)))) * spectral_norm(W_next)
'''


def clipping(norm_body):
    """clip_grad_norm with the given body, and a correct clip_grad_value."""
    return f'''
def clip_grad_norm(params, max_norm):
{norm_body}

def clip_grad_value(params, clip_value):
    for p in params:
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)
'''


GLOBAL_NORM = '''    total = float(np.sqrt(sum(np.sum(p.grad.astype(float) ** 2) for p in params)))
'''

ANGLE = '''
def angle_between(g, h):
    a = np.concatenate([np.ravel(x) for x in g]).astype(float)
    b = np.concatenate([np.ravel(x) for x in h]).astype(float)
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
'''

TURNS = '''
norm_ex = np.sqrt(sum(np.sum(g ** 2) for g in grads_ex))
turn_by_norm = angle_between(grads_ex, [g * min(1.0, 1.0 / norm_ex) for g in grads_ex])
turn_per_array = angle_between(grads_ex, [g * min(1.0, 1.0 / np.linalg.norm(g))
                                          for g in grads_ex])
turn_by_value = angle_between(grads_ex, [np.clip(g, -0.5, 0.5) for g in grads_ex])
'''

CASES = {
    # --- q1: the product of Jacobians ----------------------------------------------------
    "jacobian_returned_transposed": {
        # J^T from layer_jacobian, and backward_product built on that J^T (so P is right):
        # the two Jacobian tests and the hidden shape test fail, the product tests pass.
        "answers": {"q1": '''
def layer_jacobian(W_next, z, sigma_grad):
    return (np.asarray(W_next) * sigma_grad(np.asarray(z))).T


def backward_product(Ws, zs, sigma_grad):
    P = np.eye(Ws[0].shape[0])
    for l in range(1, len(Ws)):
        P = P @ layer_jacobian(Ws[l], zs[l - 1], sigma_grad)
    return P
'''},
        "expected": {"q1": 1.5},
        "hint": {"q1": "the shape of J^T"},
    },
    "jacobian_rows_scaled": {
        # diag(sigma'(z)) on the left: square layers run and give the wrong numbers
        "answers": {"q1": '''
def layer_jacobian(W_next, z, sigma_grad):
    return np.diag(sigma_grad(z)) @ W_next


def backward_product(Ws, zs, sigma_grad):
    P = np.eye(Ws[0].shape[0])
    for l in range(1, len(Ws)):
        P = P @ layer_jacobian(Ws[l], zs[l - 1], sigma_grad).T
    return P
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "You scaled the rows of W_next"},
    },
    "jacobian_without_sigma_prime": {
        "answers": {"q1": '''
def layer_jacobian(W_next, z, sigma_grad):
    return np.array(W_next, dtype=float)


def backward_product(Ws, zs, sigma_grad):
    P = np.eye(Ws[0].shape[0])
    for l in range(1, len(Ws)):
        P = P @ layer_jacobian(Ws[l], zs[l - 1], sigma_grad).T
    return P
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the derivative factor is missing"},
    },
    "product_of_forward_jacobians": {
        # P^T = J_(D-1) ... J_1: the forward Jacobian of the stack
        "answers": {"q1": JACOBIAN + '''

def backward_product(Ws, zs, sigma_grad):
    P = np.eye(Ws[0].shape[0])
    for l in range(1, len(Ws)):
        P = layer_jacobian(Ws[l], zs[l - 1], sigma_grad) @ P
    return P
'''},
        "expected": {"q1": 1.5},
        "hint": {"q1": "Your P is the transpose of J_1^T J_2^T J_3^T"},
    },
    "product_in_the_wrong_order": {
        "answers": {"q1": JACOBIAN + '''

def backward_product(Ws, zs, sigma_grad):
    P = None
    for l in range(1, len(Ws)):
        Jt = layer_jacobian(Ws[l], zs[l - 1], sigma_grad).T
        P = Jt if P is None else Jt @ P
    return P
'''},
        "expected": {"q1": 1.5},
        "hint": {"q1": "You multiplied the J_l^T in the wrong order"},
    },
    "product_reverses_the_list": {
        # Ws.reverse() changes the caller's list (the hidden nnlib test builds fresh lists: 2.0)
        "answers": {"q1": JACOBIAN + '''

def backward_product(Ws, zs, sigma_grad):
    Ws.reverse()
    zs.reverse()
    P = None
    for W, z in zip(Ws[:-1], zs):
        J = layer_jacobian(W, z, sigma_grad).T
        P = J if P is None else J @ P
    return P
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "backward_product changed the list Ws or zs"},
    },
    "q1_written_differently": {
        # np.diag and a right-to-left product: full marks
        "answers": {"q1": '''
def layer_jacobian(W_next, z, sigma_grad):
    return W_next @ np.diag(sigma_grad(z))


def backward_product(Ws, zs, sigma_grad):
    Js = [layer_jacobian(W, z, sigma_grad) for W, z in zip(Ws[1:], zs)]
    P = Js[-1].T
    for J in reversed(Js[:-1]):
        P = J.T @ P
    return P
'''},
        "expected": {"q1": 3.0},
        "hint": {"q1": "All test cases passed!"},
    },
    # --- q2: the batch-first backward pass -------------------------------------------------
    "batch_first_with_W_transposed": {
        # the column formula's W^T copied into batch-first code: Delta @ W.T
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    for l in range(len(Ws) - 1, 0, -1):
        deltas.insert(0, (deltas[0] @ Ws[l].T) * sigma_grad(Zs[l - 1]))
    return deltas
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "You multiplied by W^T where the batch-first code needs W"},
    },
    "one_sigma_prime_for_the_batch": {
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    for l in range(len(Ws) - 1, 0, -1):
        deltas.insert(0, (deltas[0] @ Ws[l]) * sigma_grad(Zs[l - 1]).mean(axis=0))
    return deltas
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "you used one sigma' for the whole batch"},
    },
    "deltas_last_layer_first": {
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    for l in range(len(Ws) - 1, 0, -1):
        deltas.append((deltas[-1] @ Ws[l]) * sigma_grad(Zs[l - 1]))
    return deltas
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "your list runs from Delta^(D) to Delta^(1)"},
    },
    "deltas_in_float64": {
        # converts to float64: the values are right, float32 is not kept
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [np.asarray(Delta_D, dtype=float)]
    for l in range(len(Ws) - 1, 0, -1):
        W = np.asarray(Ws[l], dtype=float)
        deltas.insert(0, (deltas[0] @ W) * sigma_grad(np.asarray(Zs[l - 1], dtype=float)))
    return deltas
'''},
        "expected": {"q2": 2.5},
        "hint": {"q2": "your Delta^(1) should be float32"},
    },
    "deltas_pop_the_list": {
        # Ws.pop() empties the caller's list
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    while len(Ws) > 1:
        W = Ws.pop()
        deltas.insert(0, (deltas[0] @ W) * sigma_grad(Zs[len(Ws) - 1]))
    return deltas
'''},
        "expected": {"q2": 0.5},
        "hint": {"q2": "backward_deltas changed the list Ws or Zs"},
    },
    "deltas_by_nnlib_layers": {
        # nnlib's Sigmoid.backward and Linear.backward do the step the question asks for
        "answers": {"q2": '''
def backward_deltas(Ws, Zs, Delta_D, sigma_grad):
    deltas = [Delta_D]
    for l in range(len(Ws) - 1, 0, -1):
        act = nnlib.layers.Sigmoid()
        act(Zs[l - 1])
        lin = nnlib.layers.Linear(Ws[l].shape[1], Ws[l].shape[0])
        lin.weight.data[...] = Ws[l]
        lin(act(Zs[l - 1]))
        deltas.insert(0, act.backward(lin.backward(deltas[0])))
    return deltas
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "your answer calls nnlib's"},
    },
    # --- q3: the gradient norm of every layer ------------------------------------------------
    "norms_summed_not_averaged": {
        "answers": {"q2": DELTAS, "q3": norms(m_divisor="1")},
        "expected": {"q2": 3.0, "q3": 0.5},
        "hint": {"q3": "every norm is m = 5 times too large"},
    },
    "one_hot_from_the_labels": {
        # y.max() + 1 columns: fine when every class occurs, wrong for the tanh batch
        "answers": {"q2": DELTAS, "q3": norms(columns="int(np.max(y)) + 1")},
        "expected": {"q2": 3.0, "q3": 1.5},
        "hint": {"q3": "Y needs 4 columns: np.eye(n_D)[y], not y.max() + 1 of them"},
    },
    "norms_of_the_error_signals": {
        "answers": {"q2": DELTAS, "q3": norms().replace(
            "float(np.linalg.norm(d.T @ a))", "float(np.linalg.norm(d))")},
        "expected": {"q2": 3.0, "q3": 0.0},
        "hint": {"q3": "you returned the norms of the error signals"},
    },
    "norms_by_nnlib_probes": {
        "answers": {"q2": DELTAS, "q3": '''
def layer_gradient_norms(Ws, bs, X, y, sigma, sigma_grad):
    act = {nnlib.functional.sigmoid: "sigmoid", nnlib.functional.relu: "relu"}.get(sigma, "tanh")
    net = nnlib.layers.mlp([Ws[0].shape[1]] + [W.shape[0] for W in Ws], act)
    linears = [layer for layer in net if isinstance(layer, nnlib.layers.Linear)]
    for layer, W, b in zip(linears, Ws, bs):
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    return list(nnlib.probes.gradient_norms(net, X, y, nnlib.CrossEntropyLoss()).values())
''' + NORMS_TAIL},
        "expected": {"q2": 3.0, "q3": 0.5},
        "hint": {"q3": "your answer calls nnlib's"},
    },
    "last_over_first": {
        "answers": {"q2": DELTAS, "q3": norms().replace("norms10[0] / norms10[-1]",
                                                         "norms10[-1] / norms10[0]")},
        "expected": {"q2": 3.0, "q3": 2.5},
        "hint": {"q3": "the last over the first"},
    },
    # --- q4: the spectral norm bound ---------------------------------------------------------
    "spectral_norm_from_eigenvalues": {
        "answers": {"q4": '''
def spectral_norm(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))
''' + BOUND},
        "expected": {"q4": 0.0},
        "hint": {"q4": "the largest |eigenvalue| of the matrix (its spectral radius), not its "
                       "largest singular value"},
    },
    "spectral_norm_as_frobenius": {
        "answers": {"q4": '''
def spectral_norm(W):
    return float(np.linalg.norm(W))
''' + BOUND},
        "expected": {"q4": 0.0},
        "hint": {"q4": "the Frobenius norm"},
    },
    "bound_with_a_quarter": {
        "answers": {"q4": SPECTRAL + '''
def layer_bound(W_next, Z, sigma_grad):
    return 0.25 * spectral_norm(W_next)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "you used gamma = 1/4"},
    },
    "bound_with_the_mean_derivative": {
        "answers": {"q4": SPECTRAL + '''
def layer_bound(W_next, Z, sigma_grad):
    return float(np.mean(sigma_grad(Z))) * spectral_norm(W_next)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "you averaged sigma'(z) over the batch"},
    },
    "q4_written_differently": {
        "answers": {"q4": '''
def spectral_norm(W):
    return float(np.sqrt(np.linalg.eigvalsh(W.T @ W).max()))


def layer_bound(W_next, Z, sigma_grad):
    return float(np.abs(sigma_grad(Z)).max() * np.linalg.svd(W_next, compute_uv=False)[0])
'''},
        "expected": {"q4": 2.0},
        "hint": {"q4": "All test cases passed!"},
    },
    # --- q5: clipping in place ---------------------------------------------------------------
    "clip_each_parameter_separately": {
        "answers": {"q5": clipping('''    total = float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))
    for p in params:
        n = np.linalg.norm(p.grad)
        if n > max_norm:
            p.grad *= max_norm / n
    return total
''')},
        "expected": {"q5": 2.0},
        "hint": {"q5": "you clipped each parameter's gradient on its own"},
    },
    "norm_returned_after_clipping": {
        "answers": {"q5": clipping(GLOBAL_NORM + '''    if total > max_norm:
        for p in params:
            p.grad *= max_norm / total
    return float(np.sqrt(sum(np.sum(p.grad.astype(float) ** 2) for p in params)))
''')},
        "expected": {"q5": 1.5},
        "hint": {"q5": "you returned the norm after clipping"},
    },
    "small_gradients_scaled_up": {
        # tau / ||g|| without the min(1, .): right above tau, wrong below it and at zero
        "answers": {"q5": clipping(GLOBAL_NORM + '''    for p in params:
        p.grad *= max_norm / total
    return total
''')},
        "expected": {"q5": 2.0},
        "hint": {"q5": "you scaled the gradient up"},
    },
    "grad_replaced_not_in_place": {
        "answers": {"q5": clipping(GLOBAL_NORM + '''    factor = min(1.0, max_norm / total) if total > 0 else 1.0
    for p in params:
        p.grad = p.grad * factor
    return total
''')},
        "expected": {"q5": 1.0},
        "hint": {"q5": "you replaced p.grad by a new array"},
    },
    "clip_value_from_above_only": {
        "answers": {"q5": '''
def clip_grad_norm(params, max_norm):
    total = float(np.sqrt(sum(np.sum(p.grad.astype(float) ** 2) for p in params)))
    if total > max_norm:
        for p in params:
            p.grad *= max_norm / total
    return total


def clip_grad_value(params, clip_value):
    for p in params:
        np.minimum(p.grad, clip_value, out=p.grad)
'''},
        "expected": {"q5": 2.0},
        "hint": {"q5": "you clipped only from above"},
    },
    "clipping_by_nnlib": {
        "answers": {"q5": '''
def clip_grad_norm(params, max_norm):
    return nnlib.optim.clip_grad_norm_(params, max_norm)


def clip_grad_value(params, clip_value):
    nnlib.optim.clip_grad_value_(params, clip_value)
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your answer calls nnlib's clip_grad_norm_"},
    },
    "q5_written_differently": {
        # nnlib's + 1e-6 in the factor, a ravel-and-concatenate norm, np.where for the value
        "answers": {"q5": '''
def clip_grad_norm(params, max_norm):
    total = float(np.linalg.norm(np.concatenate([np.ravel(p.grad) for p in params])))
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        for p in params:
            p.grad[...] = p.grad * factor
    return total


def clip_grad_value(params, clip_value):
    for p in params:
        p.grad[...] = np.where(p.grad > clip_value, clip_value,
                               np.where(p.grad < -clip_value, -clip_value, p.grad))
'''},
        "expected": {"q5": 3.0},
        "hint": {"q5": "All test cases passed!"},
    },
    # --- q6: how far clipping turns the step -------------------------------------------------
    "angle_in_radians": {
        "answers": {"q6": ANGLE.replace("float(np.degrees(np.arccos(", "float((np.arccos(")
                    + TURNS},
        "expected": {"q6": 0.0},
        "hint": {"q6": "the angle in radians"},
    },
    "arccos_not_clipped": {
        "answers": {"q6": ANGLE.replace("np.clip(cos, -1.0, 1.0)", "cos") + TURNS},
        "expected": {"q6": 1.5},
        "hint": {"q6": "Clip the cosine into [-1, 1]"},
    },
    "mean_of_the_arrays_angles": {
        "answers": {"q6": '''
def angle_between(g, h):
    angles = []
    for a, b in zip(g, h):
        a, b = np.ravel(a).astype(float), np.ravel(b).astype(float)
        cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return float(np.mean(angles))
''' + TURNS},
        "expected": {"q6": 0.5},
        "hint": {"q6": "the mean of the angles of the two arrays"},
        # one-array hidden case passes (0.5); before the fix, the turns test blamed
        # turn_per_array for "the same factor" here
        "absent": {"q6": ["you scaled every array by the same factor"]},
    },
    "per_array_turn_with_the_global_factor": {
        "answers": {"q6": ANGLE + TURNS.replace(
            "min(1.0, 1.0 / np.linalg.norm(g))", "min(1.0, 1.0 / norm_ex)")},
        "expected": {"q6": 1.5},
        "hint": {"q6": "you scaled every array by the same factor"},
    },
    "angle_normalises_in_place": {
        "answers": {"q6": '''
def angle_between(g, h):
    for x in g:
        x /= np.sqrt(sum(np.sum(y ** 2) for y in g))
    for x in h:
        x /= np.sqrt(sum(np.sum(y ** 2) for y in h))
    cos = sum(float(np.sum(a * b)) for a, b in zip(g, h))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
''' + TURNS.replace("grads_ex, [", "[g.copy() for g in grads_ex], [")},
        "expected": {"q6": 0.5},
        "hint": {"q6": "changed its arguments"},
    },
    "q6_written_differently": {
        # the atan2 form of the angle, which cannot leave its domain
        "answers": {"q6": '''
def angle_between(g, h):
    a = np.concatenate([np.ravel(x) for x in g]).astype(float)
    b = np.concatenate([np.ravel(x) for x in h]).astype(float)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(a - b), np.linalg.norm(a + b))))
''' + TURNS},
        "expected": {"q6": 2.0},
        "hint": {"q6": "All test cases passed!"},
    },
}
