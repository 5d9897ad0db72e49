"""Typical wrong answers to exercise set 9 (optimisation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Question 4 builds
on the ``AdamOptimizer`` of Question 3: its cases take a correct one from ``ADAM`` below.

Every test is worth 0.5 points (q1, q2, q3: 3 points in 6 tests; q4, q5: 2 points in 4).
"""

GD = '''
def gd_path(grad, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        path.append(theta)
    return np.array(path)


def critical_lr(H):
    return float(2 / np.linalg.eigvalsh(H).max())


def best_lr(H):
    lam = np.linalg.eigvalsh(H)
    eta = 2 / (lam.max() + lam.min())
    return float(eta), float(np.max(np.abs(1 - eta * lam)))
'''

MOMENTUM = '''
def momentum_step(theta, v, g, lr, mu):
    v_new = mu * v + g
    return theta - lr * v_new, v_new


def momentum_avg_step(theta, v, g, lr_avg, beta):
    v_new = beta * v + (1 - beta) * g
    return theta - lr_avg * v_new, v_new


def avg_lr(lr, beta):
    return lr / (1 - beta)
'''

ADAM = '''
class AdamOptimizer:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = self.v = None
        self.t = 0

    def step(self, theta, g):
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
'''

L2 = '''
class AdamL2Optimizer(AdamOptimizer):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr=lr, betas=betas, eps=eps)
        self.weight_decay = weight_decay

    def step(self, theta, g):
        return super().step(theta, g + self.weight_decay * theta)
'''

ADAMW = '''
class AdamWOptimizer(AdamOptimizer):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr=lr, betas=betas, eps=eps)
        self.weight_decay = weight_decay

    def step(self, theta, g):
        return super().step((1 - self.lr * self.weight_decay) * theta, g)
'''

SCHEDULE = '''
def warmup_cosine(t, lr, warmup_steps, total_steps):
    t = np.asarray(t)
    W, T = warmup_steps, total_steps
    rate = np.where(t < W, lr * (t + 1) / (W + 1),
                    lr * (1 + np.cos(np.pi * (t - W) / (T - 1 - W))) / 2)
    return float(rate) if rate.ndim == 0 else rate
'''


def _adam(update):
    """ADAM with its last four lines (the averages, the correction and the step) replaced."""
    head = ADAM[:ADAM.index("        self.m = self.beta1")]
    return head + update


CASES = {
    # --- q1: gradient descent and the critical rate -------------------------------------
    "gd_path_changes_theta0_in_place": {
        "answers": {"q1": GD.replace('''    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        path.append(theta)''', '''    theta = theta0
    path = [theta.copy()]
    for _ in range(steps):
        theta -= lr * grad(theta)
        path.append(theta.copy())''')},
        "expected": {"q1": 2.0},
        "hint": {"q1": "gd_path changed theta0 in place"},
    },
    "gd_path_appends_the_same_array": {
        # theta -= ... on a copy of theta0, but the list holds that one array again and again
        "answers": {"q1": GD.replace("        theta = theta - lr * grad(theta)",
                                     "        theta -= lr * grad(theta)")},
        "expected": {"q1": 2.0},
        "hint": {"q1": "every row of your path is the last point"},
    },
    "gd_path_uphill": {
        "answers": {"q1": GD.replace("theta = theta - lr * grad(theta)",
                                     "theta = theta + lr * grad(theta)")},
        "expected": {"q1": 2.0},
        "hint": {"q1": "you stepped along the gradient"},
    },
    "critical_lr_from_the_diagonal": {
        "answers": {"q1": GD.replace("float(2 / np.linalg.eigvalsh(H).max())",
                                     "float(2 / np.max(np.diag(H)))")},
        "expected": {"q1": 2.0},
        "hint": {"q1": "2 divided by the largest diagonal entry of H"},
    },
    "critical_lr_from_lambda_min": {
        "answers": {"q1": GD.replace("float(2 / np.linalg.eigvalsh(H).max())",
                                     "float(2 / np.linalg.eigvalsh(H).min())")},
        "expected": {"q1": 2.0},
        "hint": {"q1": "The steepest direction diverges first"},
    },
    "best_factor_with_its_sign": {
        "answers": {"q1": GD.replace("float(np.max(np.abs(1 - eta * lam)))",
                                     "float(1 - eta * lam.max())")},
        "expected": {"q1": 2.0},
        "hint": {"q1": "it is negative at the best rate"},
    },
    "gd_path_by_nnlib": {
        "answers": {"q1": GD.replace('''    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        path.append(theta)
    return np.array(path)''', '''    p = nnlib.core.Parameter(np.array(theta0, dtype=float))
    opt = nnlib.optim.SGD([p], lr=lr)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad[...] = grad(p.data.copy())
        opt.step()
        path.append(p.data.copy())
    return np.array(path)''')},
        "expected": {"q1": 2.0},
        "hint": {"q1": "your answer calls nnlib's SGD.step"},
    },
    "q1_written_differently": {
        # a preallocated path, eigvals instead of eigvalsh, the factor from kappa: all right
        "answers": {"q1": '''
def gd_path(grad, theta0, lr, steps):
    path = np.empty((steps + 1, len(theta0)))
    path[0] = theta0
    for t in range(steps):
        path[t + 1] = path[t] - lr * grad(path[t].copy())
    return path


def critical_lr(H):
    return 2.0 / max(np.linalg.eigvals(H).real)


def best_lr(H):
    lam = np.linalg.eigvals(H).real
    kappa = lam.max() / lam.min()
    return 2.0 / (lam.max() + lam.min()), (kappa - 1) / (kappa + 1)
'''},
        "expected": {"q1": 3.0},
        "hint": {"q1": "All test cases passed"},
    },
    # --- q2: momentum in both forms -----------------------------------------------------
    "momentum_as_exponential_average": {
        # the average form where PyTorch's was asked: steps (1 - mu) times too small
        "answers": {"q2": MOMENTUM.replace("    v_new = mu * v + g",
                                           "    v_new = mu * v + (1 - mu) * g")},
        "expected": {"q2": 1.5},
        "hint": {"q2": "you wrote the exponential average"},
    },
    "average_form_with_the_sum": {
        "answers": {"q2": MOMENTUM.replace("    v_new = beta * v + (1 - beta) * g",
                                           "    v_new = beta * v + g")},
        "expected": {"q2": 1.5},
        "hint": {"q2": "you wrote PyTorch's form, v <- beta v + g"},
    },
    "avg_lr_the_same_rate": {
        # the average form run with PyTorch's learning rate: off by 1/(1 - beta)
        "answers": {"q2": MOMENTUM.replace("return lr / (1 - beta)", "return lr")},
        "expected": {"q2": 2.0},
        "hint": {"q2": "off by a factor 1/(1 - beta)"},
    },
    "avg_lr_converted_the_wrong_way": {
        "answers": {"q2": MOMENTUM.replace("return lr / (1 - beta)", "return lr * (1 - beta)")},
        "expected": {"q2": 2.0},
        "hint": {"q2": "that converts the other way"},
    },
    "momentum_step_with_the_old_velocity": {
        "answers": {"q2": MOMENTUM.replace("    return theta - lr * v_new, v_new",
                                           "    return theta - lr * v, v_new")},
        "expected": {"q2": 1.5},
        "hint": {"q2": "the step uses the new one"},
    },
    "momentum_step_changes_theta_in_place": {
        # only the public test checks the arguments: the hidden ones replace theta anyway
        "answers": {"q2": MOMENTUM.replace("    return theta - lr * v_new, v_new", '''    theta -= lr * v_new
    return theta, v_new''')},
        "expected": {"q2": 2.5},
        "hint": {"q2": "momentum_step changed theta in place"},
    },
    "momentum_by_nnlib": {
        "answers": {"q2": MOMENTUM.replace('''    v_new = mu * v + g
    return theta - lr * v_new, v_new''', '''    p = nnlib.core.Parameter(np.array(theta, dtype=float))
    opt = nnlib.optim.SGD([p], lr=lr, momentum=mu)
    opt.state[0]["momentum_buffer"] = np.array(v, dtype=float)
    p.grad[...] = g
    opt.step()
    return p.data.copy(), opt.state[0]["momentum_buffer"].copy()''')},
        "expected": {"q2": 1.5},
        "hint": {"q2": "your answer calls nnlib's SGD.step"},
    },
    "q2_written_differently": {
        "answers": {"q2": '''
def momentum_step(theta, v, g, lr, mu):
    velocity = np.add(np.multiply(mu, v), g)
    return [np.subtract(theta, lr * velocity), velocity]


def momentum_avg_step(theta, v, g, lr_avg, beta):
    velocity = v + (1 - beta) * (g - v)
    return theta - lr_avg * velocity, velocity


def avg_lr(lr, beta):
    return lr * (1 / (1 - beta))
'''},
        "expected": {"q2": 3.0},
        "hint": {"q2": "All test cases passed"},
    },
    # --- q3: Adam -------------------------------------------------------------------------
    "adam_without_bias_correction": {
        "answers": {"q3": _adam('''        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        return theta - self.lr * self.m / (np.sqrt(self.v) + self.eps)
''')},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your steps are those of Adam without the bias correction"},
    },
    "adam_t_counted_from_0": {
        # t increased after the correction: 1 - beta^0 = 0 at the first step, nan everywhere
        "answers": {"q3": ADAM.replace("        self.t += 1\n", "").replace(
            "        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
            "        self.t += 1\n"
            "        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "Count the steps from t = 1"},
    },
    "adam_t_from_0_in_the_papers_form": {
        # Kingma and Ba's efficient form with t from 0: a Python float divided by zero
        "answers": {"q3": _adam('''        lr_t = self.lr * (1 - self.beta2 ** self.t) ** 0.5 / (1 - self.beta1 ** self.t)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        return theta - lr_t * self.m / (np.sqrt(self.v) + self.eps)
''').replace("        self.t += 1\n        lr_t", "        lr_t")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "The steps are counted from t = 1, not from 0"},
    },
    "adam_in_the_papers_efficient_form": {
        # t right, but eps added to sqrt(v) instead of sqrt(v_hat): another rule for small g
        "answers": {"q3": _adam('''        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        lr_t = self.lr * (1 - self.beta2 ** self.t) ** 0.5 / (1 - self.beta1 ** self.t)
        return theta - lr_t * self.m / (np.sqrt(self.v) + self.eps)
''')},
        "expected": {"q3": 0.5},
        "hint": {"q3": "the paper's efficient form"},
    },
    "adam_square_root_forgotten": {
        "answers": {"q3": ADAM.replace("(np.sqrt(v_hat) + self.eps)", "(v_hat + self.eps)")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "you divided m_hat by v_hat instead of its square root"},
    },
    "adam_eps_inside_the_root": {
        "answers": {"q3": ADAM.replace("(np.sqrt(v_hat) + self.eps)",
                                       "np.sqrt(v_hat + self.eps)")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "you put eps inside the square root"},
    },
    "adam_state_reset_every_step": {
        "answers": {"q3": ADAM.replace('''        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1''', '''        self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t = 1''')},
        "expected": {"q3": 0.5},
        "hint": {"q3": "your optimiser forgets m, v and t between calls"},
    },
    "adam_state_in_float64": {
        "answers": {"q3": ADAM.replace("np.zeros_like(theta), np.zeros_like(theta)",
                                       "np.zeros(theta.shape), np.zeros(theta.shape)")},
        "expected": {"q3": 2.5},
        "hint": {"q3": "for a float32 theta and g, step should return float32"},
    },
    "adam_changes_theta_in_place": {
        # the public tests check the arguments; the hidden ones replace theta anyway
        "answers": {"q3": ADAM.replace(
            "        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
            "        theta -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n"
            "        return theta")},
        "expected": {"q3": 2.0},
        "hint": {"q3": "step changed theta or g in place"},
    },
    "adam_by_nnlib": {
        "answers": {"q3": '''
class AdamOptimizer:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.p = None

    def step(self, theta, g):
        if self.p is None:
            self.p = nnlib.core.Parameter(np.array(theta))
            self.opt = nnlib.optim.Adam([self.p], lr=self.lr, betas=(self.beta1, self.beta2),
                                        eps=self.eps)
        self.p.data[...] = theta
        self.p.grad[...] = g
        self.opt.step()
        return self.p.data.copy()
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's Adam.step"},
    },
    "q3_written_differently": {
        # the state in a dict, np.square, the correction folded into the rate as nnlib does
        "answers": {"q3": '''
class AdamOptimizer:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.state = {}

    def step(self, theta, g):
        s = self.state
        if not s:
            s.update(t=0, m=np.zeros_like(theta), v=np.zeros_like(theta))
        s["t"] += 1
        t = s["t"]
        s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
        s["v"] = self.beta2 * s["v"] + (1 - self.beta2) * np.square(g)
        denom = np.sqrt(s["v"]) / (1 - self.beta2 ** t) ** 0.5 + self.eps
        return theta - (self.lr / (1 - self.beta1 ** t)) * s["m"] / denom
'''},
        "expected": {"q3": 3.0},
        "hint": {"q3": "All test cases passed"},
    },
    # --- q4: L2 inside Adam, or AdamW -----------------------------------------------------
    "adamw_as_l2_inside_adam": {
        "answers": {"q3": ADAM, "q4": L2 + ADAMW.replace(
            "super().step((1 - self.lr * self.weight_decay) * theta, g)",
            "super().step(theta, g + self.weight_decay * theta)")},
        "expected": {"q3": 3.0, "q4": 0.5},
        "hint": {"q4": "this is L2 inside Adam"},
    },
    "l2_as_adamw": {
        "answers": {"q3": ADAM, "q4": L2.replace(
            "super().step(theta, g + self.weight_decay * theta)",
            "super().step((1 - self.lr * self.weight_decay) * theta, g)") + ADAMW},
        "expected": {"q3": 3.0, "q4": 0.5},
        "hint": {"q4": "this is AdamW's decoupled decay"},
    },
    "adamw_decay_after_the_step": {
        "answers": {"q3": ADAM, "q4": L2 + ADAMW.replace(
            "super().step((1 - self.lr * self.weight_decay) * theta, g)",
            "(1 - self.lr * self.weight_decay) * super().step(theta, g)")},
        "expected": {"q3": 3.0, "q4": 1.0},
        "hint": {"q4": "you shrank theta after the Adam step"},
    },
    "adamw_changes_theta_in_place": {
        "answers": {"q3": ADAM, "q4": L2 + ADAMW.replace(
            "        return super().step((1 - self.lr * self.weight_decay) * theta, g)",
            "        theta *= 1 - self.lr * self.weight_decay\n"
            "        return super().step(theta, g)")},
        "expected": {"q3": 3.0, "q4": 0.5},
        "hint": {"q4": "AdamWOptimizer.step changed theta or g in place"},
    },
    "adamw_by_nnlib": {
        "answers": {"q3": ADAM, "q4": L2 + '''
class AdamWOptimizer(AdamOptimizer):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr=lr, betas=betas, eps=eps)
        self.weight_decay = weight_decay
        self.opt = None

    def step(self, theta, g):
        if self.opt is None:
            self.p = nnlib.core.Parameter(np.array(theta))
            self.opt = nnlib.optim.AdamW([self.p], lr=self.lr, weight_decay=self.weight_decay)
        self.p.data[...] = theta
        self.p.grad[...] = g
        self.opt.step()
        return self.p.data.copy()
'''},
        "expected": {"q3": 3.0, "q4": 0.5},
        "hint": {"q4": "your answer calls nnlib's Adam.step"},
    },
    "weight_decay_on_a_float64_adam": {
        # Question 3's state in float64: Question 4 returns float64 for float32 too
        "answers": {"q3": ADAM.replace("np.zeros_like(theta), np.zeros_like(theta)",
                                       "np.zeros(theta.shape), np.zeros(theta.shape)"),
                    "q4": L2 + ADAMW},
        "expected": {"q3": 2.5, "q4": 0.5},
        "hint": {"q4": "should return float32 (float32 in, float32 out)"},
    },
    "q4_written_differently": {
        "answers": {"q3": ADAM, "q4": '''
class AdamL2Optimizer(AdamOptimizer):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr=lr, betas=betas, eps=eps)
        self.weight_decay = weight_decay

    def step(self, theta, g):
        return AdamOptimizer.step(self, theta, np.add(g, self.weight_decay * theta))


class AdamWOptimizer(AdamOptimizer):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr=lr, betas=betas, eps=eps)
        self.weight_decay = weight_decay

    def step(self, theta, g):
        return super().step(theta, g) - self.lr * self.weight_decay * theta
'''},
        "expected": {"q3": 3.0, "q4": 2.0},
        "hint": {"q4": "All test cases passed"},
    },
    # --- q5: linear warmup, then cosine -----------------------------------------------------
    "warmup_from_zero": {
        "answers": {"q5": SCHEDULE.replace("lr * (t + 1) / (W + 1)", "lr * t / W")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your warmup starts at 0"},
    },
    "cosine_not_shifted": {
        "answers": {"q5": SCHEDULE.replace("np.cos(np.pi * (t - W) / (T - 1 - W))",
                                           "np.cos(np.pi * t / (T - 1 - W))")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your cosine does not start at the end of the warmup"},
    },
    "cosine_over_T_minus_W": {
        "answers": {"q5": SCHEDULE.replace("(T - 1 - W)", "(T - W)")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your cosine has not reached 0 at the last step"},
    },
    "schedule_with_an_if": {
        # right for one step at a time; an array of steps was asked for too
        "answers": {"q5": '''
import math


def warmup_cosine(t, lr, warmup_steps, total_steps):
    if t < warmup_steps:
        return lr * (t + 1) / (warmup_steps + 1)
    x = (t - warmup_steps) / (total_steps - 1 - warmup_steps)
    return lr * (1 + math.cos(math.pi * x)) / 2
'''},
        "expected": {"q5": 0.5},
        "hint": {"q5": "an if t < W: cannot decide for a whole array"},
    },
    "schedule_by_nnlib": {
        "answers": {"q5": '''
from nnlib.schedules import CosineAnnealingLR, LinearWarmup, schedule_values


def warmup_cosine(t, lr, warmup_steps, total_steps):
    rates = schedule_values(lambda o: LinearWarmup(
        o, warmup_steps, after=CosineAnnealingLR(o, T_max=total_steps - 1 - warmup_steps)),
        steps=total_steps, lr=lr)
    r = rates[np.asarray(t)]
    return float(r) if np.ndim(r) == 0 else r
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your answer calls nnlib's schedule_values"},
    },
    "q5_written_differently": {
        # boolean masks instead of np.where
        "answers": {"q5": '''
def warmup_cosine(t, lr, warmup_steps, total_steps):
    steps = np.asarray(t, dtype=float)
    out = np.empty(steps.shape)
    warm = steps < warmup_steps
    out[warm] = lr * (steps[warm] + 1) / (warmup_steps + 1)
    x = (steps[~warm] - warmup_steps) / (total_steps - 1 - warmup_steps)
    out[~warm] = 0.5 * lr * (1 + np.cos(np.pi * x))
    return out if np.ndim(t) else float(out)
'''},
        "expected": {"q5": 2.0},
        "hint": {"q5": "All test cases passed"},
    },
}

# Found by running the student notebook with wrong answers of our own (the feedback was a
# generic "should be ..., got ..."): these now have their own diagnosis.
CASES.update({
    # v corrected with beta1 (the same beta for both corrections): the first step is 10 lr
    "adam_v_corrected_with_beta1": {
        "answers": {"q3": ADAM.replace("v_hat = self.v / (1 - self.beta2 ** self.t)",
                                       "v_hat = self.v / (1 - self.beta1 ** self.t)")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "you corrected v with beta1"},
    },
    # the cosine without its shift and scale: lr cos(...) falls to -lr
    "cosine_without_one_plus": {
        "answers": {"q5": SCHEDULE.replace("lr * (1 + np.cos(np.pi * (t - W) / (T - 1 - W))) / 2",
                                           "lr * np.cos(np.pi * (t - W) / (T - 1 - W))")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "negative rates climb the loss"},
    },
})
