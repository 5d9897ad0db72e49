"""Typical wrong answers to exercise set 13 (regularisation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``) and, where it
matters, must not show (``absent``). Question 5 builds on the rule of Question 4; its cases
answer Question 4 correctly with ``EARLY`` where they need it.
"""

L2 = '''
def l2_penalty(params, lam):
    penalty, grads = 0.0, []
    for p in params:
        if p.ndim >= 2:
            penalty += lam / 2 * float(np.sum(p * p))
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return penalty, grads
'''

EARLY = '''
def early_stopping(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait > patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)
'''

TRAIN = '''
def train_early_stopping(w, train_epoch, val_loss, max_epochs, patience):
    best, best_epoch, best_w, wait, epoch = np.inf, 0, w.copy(), 0, 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(w)
        loss = val_loss(w)
        if loss < best:
            best, best_epoch, best_w, wait = loss, epoch, {keep}, 0
        else:
            wait += 1
            if wait > patience:
                break
    {restore}
    return {result}, best_epoch, epoch
'''


def train(keep="w.copy()", restore="w[...] = best_w", result="best_w.copy()"):
    return TRAIN.format(keep=keep, restore=restore, result=result)


SGD_STEP = '''
def sgd_step(params, grads, lr, lam):
    return [{weight} if p.ndim >= 2 else {bias} for p, g in zip(params, grads)]
'''


def sgd(weight="(1 - lr * lam) * p - lr * g", bias="p - lr * g"):
    return SGD_STEP.format(weight=weight, bias=bias)


CASES = {
    # --- Question 1: the L2 penalty, nnlib's convention, weights only -------------------------
    # lambda ||W||^2 and 2 lambda W: the convention without the 1/2 (the penalty and the
    # gradient are consistent, so only the value and gradient checks catch it)
    "l2_without_the_half": {
        "answers": {"q1": '''
def l2_penalty(params, lam):
    weights = [p for p in params if p.ndim >= 2]
    penalty = lam * sum(float(np.sum(W ** 2)) for W in weights)
    return penalty, [2 * lam * p if p.ndim >= 2 else np.zeros_like(p) for p in params]
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "twice the penalty asked for"},
    },
    # the right penalty but the gradient 2 lambda W (the factor 2 in the gradient alone): the
    # derivative test catches the inconsistency too
    "l2_gradient_times_two": {
        "answers": {"q1": L2.replace("grads.append(lam * p)", "grads.append(2 * lam * p)")},
        "expected": {"q1": 0.5},
        "hint": {"q1": "2 * lambda * W, twice the gradient of nnlib's penalty"},
    },
    # the converse: (lambda/2) W, forgetting that the square's 2 cancels the 1/2
    "l2_gradient_halved": {
        "answers": {"q1": L2.replace("grads.append(lam * p)", "grads.append(lam / 2 * p)")},
        "expected": {"q1": 0.5},
        "hint": {"q1": "half the gradient"},
    },
    # every parameter penalised, biases included
    "l2_decays_the_biases": {
        "answers": {"q1": '''
def l2_penalty(params, lam):
    return lam / 2 * sum(float(np.sum(p ** 2)) for p in params), [lam * p for p in params]
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "the biases included"},
    },
    # the gradients right, the penalty of the biases added: the gradient test passes
    "l2_value_with_the_biases": {
        "answers": {"q1": L2.replace("        if p.ndim >= 2:\n            penalty",
                                     "        penalty += 0 if p.ndim >= 2 else lam / 2 * float(np.sum(p * p))\n"
                                     "        if p.ndim >= 2:\n            penalty")},
        "expected": {"q1": 0.5},
        "hint": {"q1": "Penalise the weight matrices only"},
    },
    # grads[i] -= ... style: computes the gradient by scaling the parameter in place
    "l2_changes_params_in_place": {
        "answers": {"q1": '''
def l2_penalty(params, lam):
    penalty = sum(lam / 2 * float(np.sum(p ** 2)) for p in params if p.ndim >= 2)
    grads = []
    for p in params:
        if p.ndim >= 2:
            p *= lam
            grads.append(p)
        else:
            grads.append(np.zeros_like(p))
    return penalty, grads
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "l2_penalty changed params[0] in place"},
    },
    # the gradients read off nnlib's SGD(weight_decay) on zero gradients
    "l2_by_nnlib": {
        "answers": {"q1": '''
from nnlib.core import Parameter
from nnlib.optim import SGD

def l2_penalty(params, lam):
    ps = [Parameter(p.copy()) for p in params]
    SGD([{"params": [q for q in ps if q.data.ndim >= 2], "weight_decay": lam},
         {"params": [q for q in ps if q.data.ndim < 2], "weight_decay": 0.0}], lr=1.0).step()
    penalty = sum(lam / 2 * float(np.sum(p ** 2)) for p in params if p.ndim >= 2)
    return penalty, [p - q.data for p, q in zip(params, ps)]
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's SGD.step"},
    },
    # right, written differently: np.vdot, a dict of shapes, tuple results
    "q1_written_differently": {
        "answers": {"q1": '''
def l2_penalty(params, lam):
    is_weight = [np.ndim(p) > 1 for p in params]
    value = 0.5 * lam * sum(np.vdot(p, p) for p, w in zip(params, is_weight) if w)
    return float(value), tuple(lam * p if w else 0 * p for p, w in zip(params, is_weight))
'''},
        "expected": {"q1": 2.0},
        "hint": {"q1": "All test cases passed"},
    },
    # --- Question 2: L1 and its subgradient -------------------------------------------------
    # W / |W|: nan at 0
    "l1_sign_by_division": {
        "answers": {"q2": '''
def l1_penalty(W, lam):
    return lam * float(np.sum(np.abs(W))), lam * W / np.abs(W)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "W / |W| divides 0 by 0 there"},
    },
    # sign(0) taken as +1
    "l1_nonzero_at_zero": {
        "answers": {"q2": '''
def l1_penalty(W, lam):
    return lam * float(np.sum(np.abs(W))), lam * np.where(W >= 0, 1.0, -1.0)
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "takes sign(0) = 0, which keeps a zero weight at zero"},
    },
    # the L2 gradient where L1's was asked
    "l1_with_the_l2_gradient": {
        "answers": {"q2": '''
def l1_penalty(W, lam):
    return lam * float(np.sum(np.abs(W))), lam * W
'''},
        "expected": {"q2": 0.0},
        "hint": {"q2": "lambda * W, the L2 gradient"},
    },
    # right, written differently: a boolean formula for the sign
    "q2_written_differently": {
        "answers": {"q2": '''
def l1_penalty(W, lam):
    W = np.asarray(W)
    sub = lam * ((W > 0).astype(float) - (W < 0).astype(float))
    return lam * np.abs(W).sum(), sub
'''},
        "expected": {"q2": 2.0},
        "hint": {"q2": "All test cases passed"},
    },
    # --- Question 3: one SGD step with weight decay -----------------------------------------
    # the decay applied to the biases too
    "sgd_decays_the_biases": {
        "answers": {"q3": sgd(bias="(1 - lr * lam) * p - lr * g")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "you decayed a bias"},
    },
    # the decay twice too strong: the 2 lambda W of the convention without the 1/2
    "sgd_decay_times_two": {
        "answers": {"q3": sgd(weight="(1 - 2 * lr * lam) * p - lr * g")},
        "expected": {"q3": 0.0},
        "hint": {"q3": "the decay is twice too strong"},
    },
    # shrink after the step
    "sgd_decay_after_the_step": {
        "answers": {"q3": sgd(weight="(1 - lr * lam) * (p - lr * g)")},
        "expected": {"q3": 0.5},
        "hint": {"q3": "you shrank after the step"},
    },
    # float64 results for a float32 network
    "sgd_float64_results": {
        "answers": {"q3": sgd(weight="(1 - lr * lam) * np.array(p, dtype=float) - lr * g",
                              bias="np.array(p, dtype=float) - lr * g")},
        "expected": {"q3": 2.0},
        "hint": {"q3": "should return float32 arrays (float32 in, float32 out)"},
    },
    # updates the parameters in place and returns them
    "sgd_changes_params_in_place": {
        "answers": {"q3": '''
def sgd_step(params, grads, lr, lam):
    for p, g in zip(params, grads):
        if p.ndim >= 2:
            p *= 1 - lr * lam
        p -= lr * g
    return params
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "sgd_step changed params[0] in place"},
    },
    # nnlib's SGD with parameter groups on copies
    "sgd_by_nnlib": {
        "answers": {"q3": '''
from nnlib.core import Parameter
from nnlib.optim import SGD

def sgd_step(params, grads, lr, lam):
    ps = [Parameter(p.copy()) for p in params]
    for p, g in zip(ps, grads):
        p.grad[...] = g
    SGD([{"params": [p for p in ps if p.data.ndim >= 2], "weight_decay": lam},
         {"params": [p for p in ps if p.data.ndim < 2], "weight_decay": 0.0}], lr=lr).step()
    return [p.data.copy() for p in ps]
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's SGD.step"},
    },
    # right, written differently: the gradient of the penalised loss, then a plain step
    "q3_written_differently": {
        "answers": {"q3": '''
def sgd_step(params, grads, lr, lam):
    out = []
    for p, g in zip(params, grads):
        decay = lam if len(p.shape) > 1 else 0.0
        out.append(p - lr * (g + decay * p))
    return out
'''},
        "expected": {"q3": 3.0},
        "hint": {"q3": "All test cases passed"},
    },
    # --- Question 4: the patience rule --------------------------------------------------------
    # stops after patience epochs without a new best, one too early
    "patience_off_by_one": {
        "answers": {"q4": EARLY.replace("if wait > patience:", "if wait >= patience:")},
        "expected": {"q4": 0.0},
        "hint": {"q4": "the patience is counted off by one"},
    },
    # an equal loss counted as an improvement
    "improvement_not_strict": {
        "answers": {"q4": EARLY.replace("if loss < best:", "if loss <= best:")},
        "expected": {"q4": 0.5},
        "hint": {"q4": "you counted an equal loss as an improvement"},
    },
    # epochs from 0
    "epochs_from_zero": {
        "answers": {"q4": EARLY.replace("start=1", "start=0").replace(
            "return best_epoch, len(val_losses)", "return best_epoch, len(val_losses) - 1")},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your epochs count from 0"},
    },
    # the counter reset by any fall from the previous epoch
    "counter_reset_by_any_fall": {
        "answers": {"q4": '''
def early_stopping(val_losses, patience):
    best, best_epoch, wait, last = np.inf, 0, 0, np.inf
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        if loss < last:
            wait = 0
        else:
            wait += 1
            if wait > patience:
                return best_epoch, epoch
        last = loss
    return best_epoch, len(val_losses)
'''},
        "expected": {"q4": 1.0},
        "hint": {"q4": "it is reset only by a new best"},
    },
    # nnlib's EarlyStopping fed by hand
    "early_stopping_by_nnlib": {
        "answers": {"q4": '''
from nnlib.train import EarlyStopping

def early_stopping(val_losses, patience):
    class H:
        pass
    h = H()
    h.val_loss = []
    es = EarlyStopping(patience=patience, restore_best=False)
    for epoch, v in enumerate(val_losses, start=1):
        h.val_loss.append(v)
        if es.on_epoch_end(epoch, h, None):
            return es.best_epoch, epoch
    return es.best_epoch, len(val_losses)
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your answer calls nnlib's EarlyStopping.on_epoch_end"},
    },
    # right, written differently: the stop found from the running minimum
    "q4_written_differently": {
        "answers": {"q4": '''
def early_stopping(val_losses, patience):
    v = np.asarray(val_losses, dtype=float)
    previous_best = np.concatenate([[np.inf], np.minimum.accumulate(v)[:-1]])
    new_best = np.flatnonzero(v < previous_best)
    for i, start in enumerate(new_best):
        end = new_best[i + 1] if i + 1 < len(new_best) else len(v)
        if end - start - 1 > patience:
            return int(start) + 1, int(start) + patience + 2
    return int(new_best[-1]) + 1, len(v)
'''},
        "expected": {"q4": 2.0},
        "hint": {"q4": "All test cases passed"},
    },
    # --- Question 5: the loop that restores the best weights -----------------------------------
    # best_w = w: a reference, changed by every later epoch
    "best_weights_by_reference": {
        "answers": {"q5": train(keep="w", restore="w[...] = best_w", result="best_w")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "best = w keeps a reference to the array that train_epoch goes on changing"},
    },
    # returns the last weights (never kept the best ones)
    "returns_the_last_weights": {
        "answers": {"q5": '''
def train_early_stopping(w, train_epoch, val_loss, max_epochs, patience):
    best, best_epoch, wait, epoch = np.inf, 0, 0, 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(w)
        loss = val_loss(w)
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait > patience:
                break
    return w.copy(), best_epoch, epoch
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your w_best holds the weights of the last epoch"},
    },
    # keeps a copy but does not write it back into w
    "best_weights_not_restored": {
        "answers": {"q5": train(restore="w = best_w")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "did not restore them"},
    },
    # the patience counted off by one in the loop
    "loop_patience_off_by_one": {
        "answers": {"q5": train().replace("if wait > patience:", "if wait >= patience:")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "one epoch early: the patience is counted off by one"},
    },
    # nnlib's EarlyStopping inside the loop
    "loop_by_nnlib": {
        "answers": {"q5": '''
from nnlib.train import EarlyStopping

def train_early_stopping(w, train_epoch, val_loss, max_epochs, patience):
    class H:
        pass
    h = H()
    h.val_loss = []
    es = EarlyStopping(patience=patience, restore_best=False)
    best_w, epoch = w.copy(), 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(w)
        h.val_loss.append(val_loss(w))
        stop = es.on_epoch_end(epoch, h, None)
        if es.best_epoch == epoch:
            best_w = w.copy()
        if stop:
            break
    w[...] = best_w
    return best_w.copy(), es.best_epoch, epoch
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your answer calls nnlib's EarlyStopping.on_epoch_end"},
    },
    # right, written differently: reuses Question 4's rule on the losses so far
    "q5_written_differently": {
        "answers": {"q4": EARLY, "q5": '''
def train_early_stopping(w, train_epoch, val_loss, max_epochs, patience):
    losses, snapshots = [], []
    while len(losses) < max_epochs:
        train_epoch(w)
        losses.append(val_loss(w))
        snapshots.append(np.array(w, copy=True))
        best_epoch, run = early_stopping(losses, patience)
        if len(losses) - best_epoch > patience:
            break
    best_epoch, run = early_stopping(losses, patience)
    best_w = snapshots[best_epoch - 1]
    np.copyto(w, best_w)
    return np.array(best_w), best_epoch, len(losses)
'''},
        "expected": {"q4": 2.0, "q5": 2.0},
        "hint": {"q5": "All test cases passed"},
    },
    # --- Question 6: the prior and lambda -------------------------------------------------------
    # m forgotten: 1 / s2
    "map_without_m": {
        "answers": {"q6": '''
def weight_decay_from_prior(s2, m):
    return 1 / s2


def prior_std(lam, m):
    return float(np.sqrt(1 / lam))
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "1 / s2, without m"},
    },
    # the variance where the standard deviation was asked
    "prior_variance_not_std": {
        "answers": {"q6": '''
def weight_decay_from_prior(s2, m):
    return 1 / (m * s2)


def prior_std(lam, m):
    return 1 / (m * lam)
'''},
        "expected": {"q6": 0.5},
        "hint": {"q6": "the prior's variance s^2; the question asks for its standard deviation"},
    },
    # the convention without the 1/2: lambda = 1 / (2 m s2)
    "map_other_convention": {
        "answers": {"q6": '''
def weight_decay_from_prior(s2, m):
    return 1 / (2 * m * s2)


def prior_std(lam, m):
    return (2 * m * lam) ** -0.5
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "the lambda of the convention lambda ||W||^2 without the 1/2"},
    },
    # right, written differently
    "q6_written_differently": {
        "answers": {"q6": '''
import math

def weight_decay_from_prior(s2, m):
    return (s2 * int(m)) ** -1


def prior_std(lam, m):
    return 1 / math.sqrt(lam * int(m))
'''},
        "expected": {"q6": 2.0},
        "hint": {"q6": "All test cases passed"},
    },
}

# Found by running the student notebook with wrong answers of our own: before the fix the
# first got "Make Question 4's tests pass first" although Question 4 passed, the second a
# generic "does not satisfy lam = 1 / (m s^2)".
CASES.update({
    # the best loss never updated: every epoch is a "new best", training never stops
    "best_loss_never_updated": {
        "answers": {"q5": train().replace("best, best_epoch, best_w, wait = loss, epoch, w.copy(), 0",
                                          "best_epoch, best_w, wait = epoch, w.copy(), 0")},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your loop took every epoch as a new best"},
        "absent": {"q5": ["Make Question 4's tests pass first"]},
    },
    # 1 / s instead of s
    "prior_std_inverted": {
        "answers": {"q6": '''
def weight_decay_from_prior(s2, m):
    return 1 / (m * s2)


def prior_std(lam, m):
    return float(np.sqrt(m * lam))
'''},
        "expected": {"q6": 0.5},
        "hint": {"q6": "sqrt(m * lam), the reciprocal 1 / s"},
    },
})
