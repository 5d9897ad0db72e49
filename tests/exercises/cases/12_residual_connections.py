"""Typical wrong answers to exercise set 12 (residual connections); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). The questions do
not depend on each other (Question 4's ratios use its own function); the constants below are
correct answers that cases vary.

Every test is worth 0.5 points (q2, q4: 3 points in 6 tests; q1, q3, q5: 2 in 4).
"""

FORWARD = '''
def residual_forward(Z, W1, b1, W2, b2):
    A = np.maximum(Z @ W1.T + b1, 0)
    F = A @ W2.T + b2
    return Z + F
'''

BACKWARD = '''
def residual_backward(G, Z, W1, b1, W2, b2):
    H = Z @ W1.T + b1
    A = np.maximum(H, 0)
    dW2 = G.T @ A
    db2 = G.sum(axis=0)
    dH = (G @ W2) * (H > 0)
    dW1 = dH.T @ Z
    db1 = dH.sum(axis=0)
    dZ = G + dH @ W1
    return dZ, dW1, db1, dW2, db2
'''

JACOBIAN = '''
def block_jacobian(z, W1, b1, W2, b2):
    on = (W1 @ z + b1) > 0
    return np.eye(len(z)) + W2 @ (on[:, None] * W1)
'''

STACK = '''
def stack_jacobian(x, blocks, residual):
    z = np.array(x, dtype=float)
    M = np.eye(len(z))
    for W1, b1, W2, b2 in blocks:
        h = W1 @ z + b1
        J = W2 @ ((h > 0)[:, None] * W1)
        M = STEP
        F = W2 @ np.maximum(h, 0) + b2
        z = z + F if residual else F
    return M
'''
RIGHT_STEP = "((np.eye(len(z)) + J) if residual else J) @ M"
RATIOS = '''
ratio_plain = float(np.linalg.norm(stack_jacobian(x_demo, blocks_demo, False).T @ g_demo) / np.linalg.norm(g_demo))
ratio_residual = float(np.linalg.norm(stack_jacobian(x_demo, blocks_demo, True).T @ g_demo) / np.linalg.norm(g_demo))
'''


def stack(step=RIGHT_STEP, ratios=RATIOS):
    """stack_jacobian with one line changed, and the ratios."""
    return STACK.replace("STEP", step) + ratios


PROJECTION = '''
def projection_forward(Z, W1, b1, W2, b2, Ws=None):
    F = np.maximum(Z @ W1.T + b1, 0) @ W2.T + b2
    if Ws is not None:
        return Z @ Ws.T + F
    if F.shape != Z.shape:
        raise ValueError(f"the branch maps width {Z.shape[1]} to {F.shape[1]}")
    return Z + F
'''

CASES = {
    # --- q1: the forward pass ------------------------------------------------------------------
    "forward_relu_after_the_addition": {
        # the original ResNet's post-activation block; the question fixes the other convention
        "answers": {"q1": FORWARD.replace("return Z + F", "return np.maximum(Z + F, 0)")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you applied a ReLU after the addition"},
    },
    "forward_without_the_skip": {
        "answers": {"q1": FORWARD.replace("return Z + F", "return F")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the skip connection is missing"},
    },
    "forward_weights_not_transposed": {
        # Z @ W1 fails for h != n (the public tests); with square weights it gives wrong numbers
        "answers": {"q1": FORWARD.replace("Z @ W1.T", "Z @ W1").replace("A @ W2.T", "A @ W2")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "did you forget a transpose?"},
    },
    "forward_without_the_branch_relu": {
        "answers": {"q1": FORWARD.replace("np.maximum(Z @ W1.T + b1, 0)", "Z @ W1.T + b1")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the branch has no ReLU"},
    },
    "forward_adds_into_z": {
        # Y = Z; Y += F changes the caller's Z
        "answers": {"q1": FORWARD.replace("return Z + F", "Y = Z\n    Y += F\n    return Y")},
        "expected": {"q1": 0.0},
        "hint": {"q1": "residual_forward changed Z in place"},
    },
    "forward_converted_to_float64": {
        # the values are right; float32 in must give float32 out (a public test says so)
        "answers": {"q1": FORWARD.replace("    A = np.maximum", "    Z = np.asarray(Z, dtype=float)\n    A = np.maximum")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "for float32 inputs Y should be float32"},
    },
    "forward_by_nnlib": {
        "answers": {"q1": '''
from nnlib.core import Sequential
from nnlib.layers import Linear, ReLU, Residual


def residual_forward(Z, W1, b1, W2, b2):
    first, second = Linear(W1.shape[1], W1.shape[0]), Linear(W2.shape[1], W2.shape[0])
    first.weight.data[:], first.bias.data[:] = W1, b1
    second.weight.data[:], second.bias.data[:] = W2, b2
    return Residual(Sequential(first, ReLU(), second))(Z)
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's"},
    },
    "forward_written_differently": {
        # right, with einsum and np.where: full marks
        "answers": {"q1": '''
def residual_forward(Z, W1, b1, W2, b2):
    H = np.einsum("mn,hn->mh", Z, W1) + b1
    out = Z.copy()
    out += np.where(H > 0, H, 0) @ W2.T
    out += b2
    return out
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "All test cases passed"},
    },
    # --- q2: the backward pass -----------------------------------------------------------------
    "backward_identity_path_forgotten": {
        "answers": {"q2": BACKWARD.replace("dZ = G + dH @ W1", "dZ = dH @ W1")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "you forgot the identity path"},
    },
    "backward_skip_only": {
        "answers": {"q2": BACKWARD.replace("dZ = G + dH @ W1", "dZ = G.copy()")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "the identity path alone"},
    },
    "backward_weight_gradients_transposed": {
        "answers": {"q2": BACKWARD.replace("dW2 = G.T @ A", "dW2 = A.T @ G")
                    .replace("dW1 = dH.T @ Z", "dW1 = Z.T @ dH")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "did you transpose it?"},
    },
    "backward_bias_summed_over_features": {
        "answers": {"q2": BACKWARD.replace("G.sum(axis=0)", "G.sum(axis=1)")
                    .replace("dH.sum(axis=0)", "dH.sum(axis=1)")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "you summed over axis 1, the wrong axis"},
    },
    "backward_bias_averaged": {
        # the square hidden test has m = 1 first, where the mean is the sum: its m = 5 fails
        "answers": {"q2": BACKWARD.replace("G.sum(axis=0)", "G.mean(axis=0)")
                    .replace("dH.sum(axis=0)", "dH.mean(axis=0)")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "db1 is m = 6 times too small"},
    },
    "backward_weights_divided_by_m": {
        "answers": {"q2": BACKWARD.replace("dW2 = G.T @ A", "dW2 = G.T @ A / len(G)")
                    .replace("dW1 = dH.T @ Z", "dW1 = dH.T @ Z / len(G)")},
        "expected": {"q2": 1.0},
        "hint": {"q2": "dW1 is m = 6 times too small"},
    },
    "backward_without_the_relu_derivative": {
        "answers": {"q2": BACKWARD.replace("dH = (G @ W2) * (H > 0)", "dH = G @ W2")},
        "expected": {"q2": 0.0},
        "hint": {"q2": "dZ misses the ReLU's derivative"},
    },
    "backward_through_a_relu_after_the_sum": {
        "answers": {"q2": BACKWARD.replace("    dW2 = G.T @ A", "    G = G * (Z + A @ W2.T + b2 > 0)\n    dW2 = G.T @ A")},
        "expected": {"q2": 0.0},
        "hint": {"q2": "a ReLU after the addition"},
    },
    "backward_adds_into_g": {
        # dZ = G; dZ += ... changes the caller's G
        "answers": {"q2": BACKWARD.replace("dZ = G + dH @ W1", "dZ = G\n    dZ += dH @ W1")},
        "expected": {"q2": 0.0},
        "hint": {"q2": "residual_backward changed G in place"},
    },
    "backward_by_nnlib": {
        "answers": {"q2": '''
from nnlib.core import Sequential
from nnlib.layers import Linear, ReLU, Residual


def residual_backward(G, Z, W1, b1, W2, b2):
    first, second = Linear(W1.shape[1], W1.shape[0]), Linear(W2.shape[1], W2.shape[0])
    first.weight.data[:], first.bias.data[:] = W1, b1
    second.weight.data[:], second.bias.data[:] = W2, b2
    block = Residual(Sequential(first, ReLU(), second))
    block(Z)
    block.zero_grad()
    dZ = block.backward(G)
    return dZ, first.weight.grad, first.bias.grad, second.weight.grad, second.bias.grad
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "your answer calls nnlib's"},
    },
    "backward_written_differently": {
        "answers": {"q2": '''
def residual_backward(G, Z, W1, b1, W2, b2):
    H = np.einsum("mn,hn->mh", Z, W1) + b1
    dH = np.where(H > 0, G @ W2, 0.0)
    grads = [G + dH @ W1, np.einsum("mh,mn->hn", dH, Z), np.ones(len(G)) @ dH,
             np.einsum("mn,mh->nh", G, np.maximum(H, 0)), np.ones(len(G)) @ G]
    return grads
'''},
        "expected": {"q2": 3.0},
        "hint": {"q2": "All test cases passed"},
    },
    # --- q3: the Jacobian of a block -----------------------------------------------------------
    "jacobian_without_the_identity": {
        "answers": {"q3": JACOBIAN.replace("np.eye(len(z)) + ", "")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "the identity is missing"},
    },
    "jacobian_transposed": {
        "answers": {"q3": JACOBIAN.replace("return np.eye(len(z)) + W2 @ (on[:, None] * W1)",
                                           "return (np.eye(len(z)) + W2 @ (on[:, None] * W1)).T")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "you returned the transpose"},
    },
    "jacobian_without_the_mask": {
        "answers": {"q3": JACOBIAN.replace("(on[:, None] * W1)", "W1")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "the ReLU's derivative is missing"},
    },
    "jacobian_by_central_differences_of_nnlib": {
        "answers": {"q3": '''
from nnlib.gradcheck import numerical_grad


def block_jacobian(z, W1, b1, W2, b2):
    def row(j):
        return lambda v: (v + W2 @ np.maximum(W1 @ v + b1, 0) + b2)[j]
    return np.stack([numerical_grad(row(j), np.array(z, dtype=float)) for j in range(len(z))])
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's numerical_grad"},
    },
    # --- q4: a stack of blocks -----------------------------------------------------------------
    "stack_in_the_wrong_order": {
        # one block and the empty stack do not see the order: that hidden test passes
        "answers": {"q4": stack(step="M @ ((np.eye(len(z)) + J) if residual else J)")},
        "expected": {"q4": 0.5},
        "hint": {"q4": "you multiplied in the wrong order"},
    },
    "stack_jacobians_at_x": {
        "answers": {"q4": stack().replace("h = W1 @ z + b1\n        J = W2 @ ((h > 0)",
                                          "h = W1 @ z + b1\n        J = W2 @ ((W1 @ x + b1 > 0)")},
        "expected": {"q4": 0.5},
        "hint": {"q4": "you took every block's Jacobian at x"},
    },
    "stack_residual_without_identity": {
        # the plain stack is right (its public test passes); the residual ratio is not
        "answers": {"q4": stack(step="J @ M")},
        "expected": {"q4": 0.5},
        "hint": {"q4": "the identity path is missing"},
    },
    "stack_plain_forward_with_skip": {
        "answers": {"q4": stack().replace("z = z + F if residual else F", "z = z + F")},
        "expected": {"q4": 1.0},
        "hint": {"q4": "your plain stack's forward pass adds the skip"},
    },
    "ratios_through_m_not_m_transposed": {
        "answers": {"q4": stack(ratios=RATIOS.replace(".T @ g_demo", " @ g_demo"))},
        "expected": {"q4": 2.5},
        "hint": {"q4": "the gradient goes back through the transposed Jacobian"},
    },
    "ratios_swapped": {
        "answers": {"q4": stack(ratios=RATIOS.replace("ratio_plain =", "TMP =")
                                .replace("ratio_residual =", "ratio_plain =")
                                .replace("TMP =", "ratio_residual ="))},
        "expected": {"q4": 2.5},
        "hint": {"q4": "are swapped"},
    },
    "ratios_as_arrays": {
        # shape (1,) arrays are not numbers; before the fix the prompt did not say so
        "answers": {"q4": stack(ratios=RATIOS.replace("float(", "np.atleast_1d("))},
        "expected": {"q4": 2.5},
        "hint": {"q4": "should be one number"},
    },
    "stack_by_nnlib": {
        # the function fails every test; the ratios it gives are right
        "answers": {"q4": '''
from nnlib.core import Sequential
from nnlib.layers import Linear, ReLU, Residual


def stack_jacobian(x, blocks, residual):
    n = len(x)
    if not blocks:
        return np.eye(n)
    layers = []
    for W1, b1, W2, b2 in blocks:
        first, second = Linear(n, W1.shape[0]), Linear(W1.shape[0], n)
        first.weight.data[:], first.bias.data[:] = W1, b1
        second.weight.data[:], second.bias.data[:] = W2, b2
        branch = Sequential(first, ReLU(), second)
        layers.append(Residual(branch) if residual else branch)
    net = Sequential(*layers)
    net(np.tile(x, (n, 1)))
    return net.backward(np.eye(n))
''' + RATIOS},
        "expected": {"q4": 0.5},
        "hint": {"q4": "your answer calls nnlib's"},
    },
    "stack_written_differently": {
        # the blocks' Jacobians collected first, multiplied with reduce at the end
        "answers": {"q4": '''
from functools import reduce


def stack_jacobian(x, blocks, residual):
    n = len(x)
    z, steps = x.copy(), []
    for W1, b1, W2, b2 in blocks:
        h = W1 @ z + b1
        steps.append(np.eye(n) * residual + W2 @ np.diag((h > 0) * 1.0) @ W1)
        z = residual * z + W2 @ np.where(h > 0, h, 0) + b2
    return reduce(lambda M, S: S @ M, steps, np.eye(n))
''' + RATIOS},
        "expected": {"q4": 3.0},
        "hint": {"q4": "All test cases passed"},
    },
    # --- q5: the projection shortcut -----------------------------------------------------------
    "projection_broadcasts_without_a_check": {
        # numpy refuses (4, 3) + (4, 5) by itself, but broadcasts (6, 1) + (6, 4)
        "answers": {"q5": PROJECTION.replace(
            '    if F.shape != Z.shape:\n        raise ValueError(f"the branch maps width '
            '{Z.shape[1]} to {F.shape[1]}")\n', "")},
        "expected": {"q5": 1.0},
        "hint": {"q5": "instead of raising ValueError: numpy broadcast Z"},
    },
    "projection_not_transposed": {
        "answers": {"q5": PROJECTION.replace("Z @ Ws.T", "Z @ Ws")},
        "expected": {"q5": 1.0},
        "hint": {"q5": "did you forget a transpose?"},
    },
    "projection_refused_by_assert": {
        "answers": {"q5": PROJECTION.replace(
            '    if F.shape != Z.shape:\n        raise ValueError(f"the branch maps width '
            '{Z.shape[1]} to {F.shape[1]}")\n', "    assert F.shape == Z.shape, 'widths'\n")},
        "expected": {"q5": 1.0},
        "hint": {"q5": "but with a ValueError"},
    },
    "projection_ignored_ws": {
        # Z + F when the widths agree, whatever Ws says
        "answers": {"q5": PROJECTION.replace("    if Ws is not None:\n", "    if Ws is not None and Ws.shape[0] != Ws.shape[1]:\n")},
        "expected": {"q5": 1.0},
        "hint": {"q5": "you added Z itself and ignored Ws"},
    },
}
