"""Typical wrong answers to exercise set 14 (dropout); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). Questions 2 and 3
call ``dropout_forward`` of Question 1: their cases take a correct one from ``FORWARD`` below.

Every test is worth 0.5 points (q1, q4: 3 points in 6 tests; q2, q3: 2 points in 4).
"""

FORWARD = '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = rng.random(np.shape(h)) >= p
    return h * mask / (1 - p), mask
'''

LAYER_INIT = '''
class DropoutLayer:
    def __init__(self, p, rng):
        self.p = p
        self.rng = rng
        self.training = True
        self.mask = None
'''

FORWARD_METHOD = '''
    def forward(self, h):
        out, self.mask = dropout_forward(h, self.p, self.rng, self.training)
        return out
'''


def layer(backward, forward=FORWARD_METHOD):
    """DropoutLayer with the given forward and backward methods."""
    return LAYER_INIT + forward + backward


MC_HEAD = '''
def mc_dropout_predict(net, X, T):
    drops = [layer for layer in net if isinstance(layer, nnlib.Dropout)]
    for layer in drops:
        layer.train()
'''

MC_TAIL = '''
    for layer in drops:
        layer.eval()
'''

CASES = {
    # --- q1: inverted dropout, forward ----------------------------------------------------
    "keep_probability_as_p": {
        # the papers' convention: p read as the keep probability
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = rng.random(h.shape) < p
    return h * mask / p, mask
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "p is the DROP probability"},
    },
    "not_scaled_at_training": {
        # the original (non-inverted) form at train time; before the fix a hidden test
        # whose mask kept every entry said "nothing was dropped"
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = rng.random(h.shape) >= p
    return h * mask, mask
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "the kept entries are not scaled"},
    },
    "scaled_at_test_time": {
        # the original form's test-time scaling added to inverted dropout
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h * (1 - p), None
    mask = rng.random(h.shape) >= p
    return h * mask / (1 - p), mask
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "in evaluation mode you multiplied h by 1 - p"},
    },
    "dropout_applied_at_test_time": {
        # training is ignored
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    mask = rng.random(h.shape) >= p
    return h * mask / (1 - p), mask
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "in evaluation mode (training=False) you dropped entries"},
    },
    "float_mask_makes_float64": {
        # the chapter's .astype(float) mask: right values, float64 out for float32 h
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = (rng.random(h.shape) >= p).astype(float)
    return h * mask / (1 - p), mask
'''},
        "expected": {"q1": 2.5},
        "hint": {"q1": "for float32 h, out should be float32"},
    },
    "mask_from_binomial": {
        # the right distribution, but not nnlib's draw for the same seed (numpy's binomial
        # with n = 1 draws u < 1 - p)
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = rng.binomial(1, 1 - p, size=h.shape).astype(bool)
    return h * mask / (1 - p), mask
'''},
        "expected": {"q1": 1.5},
        "hint": {"q1": "but it is not nnlib's mask for the same seed"},
    },
    "forward_changes_h_in_place": {
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if not training:
        return h, None
    mask = rng.random(h.shape) >= p
    h *= mask
    h /= 1 - p
    return h, mask
'''},
        "expected": {"q1": 0.5},
        "hint": {"q1": "dropout_forward changed h in place"},
    },
    "forward_by_nnlib": {
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    layer = nnlib.Dropout(p, rng=rng)
    layer.train(training)
    return layer(h), layer.mask
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's Dropout.forward"},
    },
    "q1_written_differently": {
        # zeros_like and boolean indexing, an integer mask: full marks
        "answers": {"q1": '''
def dropout_forward(h, p, rng, training):
    if training:
        keep = rng.random(h.shape) >= p
        out = np.zeros_like(h)
        out[keep] = h[keep] / (1 - p)
        return out, keep.astype(int)
    return h.copy(), None
'''},
        "expected": {"q1": 3.0},
        "hint": {"q1": "All test cases passed!"},
    },
    # --- q2: backward with the same mask --------------------------------------------------
    "backward_draws_a_new_mask": {
        "answers": {"q1": FORWARD, "q2": layer('''
    def backward(self, grad_out):
        mask = self.rng.random(grad_out.shape) >= self.p
        return grad_out * mask / (1 - self.p)
''')},
        "expected": {"q1": 3.0, "q2": 0.0},
        "hint": {"q2": "your backward drew a NEW mask"},
    },
    "backward_without_the_scale": {
        "answers": {"q1": FORWARD, "q2": layer('''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask
''')},
        "expected": {"q1": 3.0, "q2": 0.5},
        "hint": {"q2": "the factor 1/(1 - p) is missing"},
    },
    "stale_mask_after_evaluation": {
        # forward keeps the old mask when an evaluation-mode pass returns None
        "answers": {"q1": FORWARD, "q2": layer('''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask / (1 - self.p)
''', forward='''
    def forward(self, h):
        out, mask = dropout_forward(h, self.p, self.rng, self.training)
        if mask is not None:
            self.mask = mask
        return out
''')},
        "expected": {"q1": 3.0, "q2": 1.5},
        "hint": {"q2": "your backward used the mask of the earlier TRAINING pass"},
    },
    "backward_changes_grad_out_in_place": {
        "answers": {"q1": FORWARD, "q2": layer('''
    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        grad_out *= self.mask
        grad_out /= 1 - self.p
        return grad_out
''')},
        "expected": {"q1": 3.0, "q2": 0.5},
        "hint": {"q2": "changed grad_out in place"},
    },
    "layer_by_nnlib": {
        "answers": {"q1": FORWARD, "q2": LAYER_INIT + '''
    def forward(self, h):
        self.inner = nnlib.Dropout(self.p, rng=self.rng)
        self.inner.train(self.training)
        out = self.inner(h)
        self.mask = self.inner.mask
        return out

    def backward(self, grad_out):
        return self.inner.backward(grad_out)
'''},
        "expected": {"q1": 3.0, "q2": 0.0},
        "hint": {"q2": "your answer calls nnlib's Dropout"},
    },
    "q2_written_differently": {
        "answers": {"q1": FORWARD, "q2": layer('''
    def backward(self, grad_out):
        if not self.training or self.mask is None:
            return grad_out.copy()
        return np.where(self.mask, grad_out / (1 - self.p), 0.0)
''')},
        "expected": {"q1": 3.0, "q2": 2.0},
        "hint": {"q2": "All test cases passed!"},
    },
    # --- q3: the mean and the variance -----------------------------------------------------
    "variance_with_ddof_1": {
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    S = np.stack([dropout_forward(h, p, rng, True)[0] for _ in range(T)])
    return S.mean(axis=0), S.var(axis=0, ddof=1)
'''},
        "expected": {"q1": 3.0, "q3": 0.0},
        "hint": {"q3": "your variance divides by T - 1 = 39"},
    },
    "standard_deviation_for_variance": {
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    S = np.stack([dropout_forward(h, p, rng, True)[0] for _ in range(T)])
    return S.mean(axis=0), S.std(axis=0)
'''},
        "expected": {"q1": 3.0, "q3": 0.0},
        "hint": {"q3": "you returned the standard deviation"},
    },
    "new_generator_every_pass": {
        # the same mask T times: no spread
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    S = np.stack([dropout_forward(h, p, np.random.default_rng(0), True)[0] for _ in range(T)])
    return S.mean(axis=0), S.var(axis=0)
'''},
        "expected": {"q1": 3.0, "q3": 0.0},
        "hint": {"q3": "all your T passes are the same"},
    },
    "mean_over_the_kept_passes": {
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    S = np.stack([dropout_forward(h, p, rng, True)[0] for _ in range(T)])
    kept = np.maximum((S != 0).sum(axis=0), 1)
    return S.sum(axis=0) / kept, S.var(axis=0)
'''},
        "expected": {"q1": 3.0, "q3": 0.0},
        "hint": {"q3": "you averaged only the passes in which the entry was kept"},
    },
    "q3_by_nnlib": {
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    layer = nnlib.Dropout(p, rng=rng)
    S = np.stack([layer(h) for _ in range(T)])
    return S.mean(axis=0), S.var(axis=0)
'''},
        "expected": {"q1": 3.0, "q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's Dropout.forward"},
    },
    "q3_written_differently": {
        # running sums, E[x^2] - E[x]^2
        "answers": {"q1": FORWARD, "q3": '''
def dropout_mean_var(h, p, rng, T):
    total = np.zeros(np.shape(h))
    squares = np.zeros(np.shape(h))
    for _ in range(T):
        out, _ = dropout_forward(h, p, rng, True)
        total += out
        squares += out.astype(float) ** 2
    mean = total / T
    return mean, squares / T - mean ** 2
'''},
        "expected": {"q1": 3.0, "q3": 2.0},
        "hint": {"q3": "All test cases passed!"},
    },
    # --- q4: Monte Carlo dropout -----------------------------------------------------------
    "mc_in_evaluation_mode": {
        # dropout never switched on: T copies of the same prediction
        "answers": {"q4": '''
def mc_dropout_predict(net, X, T):
    P = np.stack([nnlib.functional.softmax(net(X), axis=1) for _ in range(T)])
    return P.mean(axis=0), P.std(axis=0)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "dropout was off during the passes"},
    },
    "mc_averages_the_logits": {
        "answers": {"q4": MC_HEAD + '''
    Z = np.stack([net(X) for _ in range(T)])
''' + MC_TAIL + '''
    P = nnlib.functional.softmax(Z, axis=2)
    return nnlib.functional.softmax(Z.mean(axis=0), axis=1), P.std(axis=0)
'''},
        "expected": {"q4": 1.5},
        "hint": {"q4": "you averaged the logits and then took the softmax"},
    },
    "mc_whole_network_in_training_mode": {
        # net.train() also switches BatchNorm1d to batch statistics
        "answers": {"q4": '''
def mc_dropout_predict(net, X, T):
    net.train()
    P = np.stack([nnlib.functional.softmax(net(X), axis=1) for _ in range(T)])
    net.eval()
    return P.mean(axis=0), P.std(axis=0)
'''},
        "expected": {"q4": 0.5},
        "hint": {"q4": "you put the WHOLE network into training mode"},
    },
    "mc_dropout_left_on": {
        "answers": {"q4": MC_HEAD + '''
    P = np.stack([nnlib.functional.softmax(net(X), axis=1) for _ in range(T)])
    return P.mean(axis=0), P.std(axis=0)
'''},
        "expected": {"q4": 1.5},
        "hint": {"q4": "Put the Dropout layers back into evaluation mode"},
    },
    "mc_std_with_ddof_1": {
        "answers": {"q4": MC_HEAD + '''
    P = np.stack([nnlib.functional.softmax(net(X), axis=1) for _ in range(T)])
''' + MC_TAIL + '''
    return P.mean(axis=0), P.std(axis=0, ddof=1)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "your std divides by T - 1 = 29"},
    },
    "q4_written_differently": {
        # the training flag set by hand, a list of passes, the std written out
        "answers": {"q4": '''
def mc_dropout_predict(net, X, T):
    drops = [layer for layer in net if type(layer).__name__ == "Dropout"]
    for layer in drops:
        layer.training = True
    probs = []
    for _ in range(T):
        Z = net(X)
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        probs.append(E / E.sum(axis=1, keepdims=True))
    for layer in drops:
        layer.training = False
    P = np.array(probs)
    mean = P.mean(axis=0)
    return mean, np.sqrt(((P - mean) ** 2).mean(axis=0))
'''},
        "expected": {"q4": 3.0},
        "hint": {"q4": "All test cases passed!"},
    },
}
