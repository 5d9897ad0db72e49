"""Typical wrong answers to exercise set 16 (a practical recipe); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0), which text the feedback of ``grader.check`` must show (``hint``) and, where it matters,
must not show (``absent``). Question 2 may call Question 1's ``expected_initial_loss``; the
cases that answer q2 take the correct q1 from ``EXPECTED`` below.

Every test is worth 0.5 points (q1: 1 point in 2 tests; q2-q5: 2 points in 4; q6: 3 in 6).

No question asks for float32 results (q4 and q6 accept float32 inputs and return a network, a
list of floats or a label), so the set has no "float64 where float32 is asked" case.
"""

EXPECTED = '''
def expected_initial_loss(C, s=0.0):
    return float(np.log(C) + s ** 2 * (C - 1) / (2 * C))
'''

VERDICT = '''
def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    gap = loss0 - expected_initial_loss(C, s)
    return "too high" if gap > tol else "too low" if gap < -tol else "ok"
'''

GRID = '''
def lr_grid(lo, hi, n):
    return np.geomspace(lo, hi, n)
'''

PICK = '''
def pick_learning_rate(lrs, train_loss, val_loss):
    val = np.where(np.isfinite(val_loss), val_loss, np.inf)
    return float(lrs[int(np.argmin(val))])
'''

OVERFIT_HEAD = '''
from nnlib.layers import mlp, Linear, ReLU, Softmax, Dropout
from nnlib.core import Sequential
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import Adam
'''


def diagnose_with(ln="np.log", order=("high", "dead", "low", "shuffled", "over", "under"),
                  over="val[-1] > 1.1 * val[best] and train[-1] < train[best]"):
    """q6's answer with the logarithm, the order of the rules or the overfitting test changed."""
    rules = {
        "high": '    if ratio.max() > 1e-2:\n        return "learning rate too high"\n',
        "dead": '    if dead.max() > 0.5:\n        return "dead ReLUs"\n',
        "low": '    if ratio.max() < 1e-4:\n        return "learning rate too low"\n',
        "shuffled": ('    if train[-1] < ln_C and val.min() >= ln_C:\n'
                     '        return "labels shuffled"\n'),
        "over": f'    if {over}:\n        return "overfitting"\n',
        "under": '    if train[-1] > 0.5 * ln_C:\n        return "underfitting"\n',
    }
    return ('''
def diagnose_run(run):
    train = np.asarray(run["train_loss"], dtype=float)
    val = np.asarray(run["val_loss"], dtype=float)
    ratio = np.asarray(run["update_ratio"], dtype=float)
    dead = np.asarray(run["dead_fraction"], dtype=float)
    ln_C = ''' + ln + '''(run["n_classes"])
    best = int(np.argmin(val))
''' + "".join(rules[r] for r in order) + '    return "healthy"\n')


CASES = {
    # --- q1: the loss at the start ------------------------------------------------------
    "log2_instead_of_ln": {
        "answers": {"q1": '''
def expected_initial_loss(C, s=0.0):
    return float(np.log2(C) + s ** 2 * (C - 1) / (2 * C))
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you used log2 C"},
    },
    "one_over_C": {
        "answers": {"q1": '''
def expected_initial_loss(C, s=0.0):
    return 1 / C
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you returned 1/C = 0.1: 1/C is the probability"},
    },
    "std_where_the_variance_belongs": {
        "answers": {"q1": '''
def expected_initial_loss(C, s=0.0):
    return float(np.log(C) + s * (C - 1) / (2 * C))
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "you used s where s ** 2 belongs"},
    },
    "array_not_float": {
        "answers": {"q1": '''
def expected_initial_loss(C, s=0.0):
    return np.array([np.log(C) + s ** 2 * (C - 1) / (2 * C)])
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "should return a float, got ndarray"},
    },
    "q1_right_but_written_differently": {
        "answers": {"q1": '''
import math

def expected_initial_loss(C, s=0.0):
    return math.log(C) + 0.5 * s * s * (1 - 1 / C)
'''},
        "expected": {"q1": 1.0},
        "hint": {"q1": "All test cases passed!"},
    },
    # --- q2: a first loss that is off ---------------------------------------------------
    "compared_with_ln_C_alone": {
        "answers": {"q1": EXPECTED, "q2": '''
def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    gap = loss0 - np.log(C)
    return "too high" if gap > tol else "too low" if gap < -tol else "ok"
'''},
        "expected": {"q1": 1.0, "q2": 0.5},
        "hint": {"q2": "Your verdict fits a comparison with ln C alone"},
    },
    "verdicts_swapped": {
        "answers": {"q1": EXPECTED, "q2": '''
def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    gap = loss0 - expected_initial_loss(C, s)
    return "too low" if gap > tol else "too high" if gap < -tol else "ok"
'''},
        "expected": {"q1": 1.0, "q2": 0.0},
        "hint": {"q2": "The two verdicts are swapped"},
    },
    "tol_as_a_fraction": {
        "answers": {"q1": EXPECTED, "q2": '''
def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    expected = expected_initial_loss(C, s)
    gap = loss0 - expected
    return "too high" if gap > tol * expected else "too low" if gap < -tol * expected else "ok"
'''},
        "expected": {"q1": 1.0, "q2": 1.5},
        "hint": {"q2": "tol is an absolute difference of losses"},
    },
    "tol_ignored": {
        "answers": {"q1": EXPECTED, "q2": '''
def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    gap = loss0 - expected_initial_loss(C, s)
    return "too high" if gap > 0.5 else "too low" if gap < -0.5 else "ok"
'''},
        "expected": {"q1": 1.0, "q2": 1.0},
        "hint": {"q2": "Use the tol you are given"},
    },
    "q2_on_a_wrong_q1": {
        # q2 is right, but calls a q1 that uses log2: the feedback sends the student to q1.
        "answers": {"q1": '''
def expected_initial_loss(C, s=0.0):
    return float(np.log2(C) + s ** 2 * (C - 1) / (2 * C))
''', "q2": VERDICT},
        "expected": {"q1": 0.0, "q2": 0.0},
        "hint": {"q2": "make Question 1's tests pass first"},
    },
    "q2_right_but_written_differently": {
        "answers": {"q2": '''
import math

def first_loss_verdict(loss0, C, s=1.0, tol=0.5):
    expected = math.log(C) + s * s * (C - 1) / (2 * C)
    if abs(loss0 - expected) <= tol:
        return "ok"
    return "too high" if loss0 > expected else "too low"
'''},
        "expected": {"q2": 2.0},
        "hint": {"q2": "All test cases passed!"},
    },
    # --- q3: the split ------------------------------------------------------------------
    "two_permutations_leak": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    k = int(round(val_fraction * len(y)))
    return rng.permutation(len(y))[k:], rng.permutation(len(y))[:k]
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "validation data leaks into training"},
    },
    "shuffled_but_not_stratified": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    order = rng.permutation(len(y))
    k = int(round(val_fraction * len(y)))
    return order[k:], order[:k]
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "The split is not stratified"},
    },
    "global_random_state": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    train, val = [], []
    for c in np.unique(y):
        members = np.random.permutation(np.flatnonzero(y == c))
        k = int(round(val_fraction * len(members)))
        val.append(members[:k])
        train.append(members[k:])
    return np.concatenate(train), np.concatenate(val)
'''},
        "expected": {"q3": 1.5},
        "hint": {"q3": "not from np.random's global functions"},
    },
    "first_examples_of_each_class": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    train, val = [], []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = int(round(val_fraction * len(members)))
        val.append(members[:k])
        train.append(members[k:])
    return np.concatenate(train), np.concatenate(val)
'''},
        "expected": {"q3": 1.0},
        "hint": {"q3": "the split is not random"},
    },
    "parts_swapped": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    train, val = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = int(round(val_fraction * len(members)))
        train.append(members[:k])
        val.append(members[k:])
    return np.concatenate(train), np.concatenate(val)
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "that is the training part's share"},
    },
    "shuffles_y_in_place": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    order = np.argsort(y, kind="stable")
    y.sort()
    train, val = [], []
    for c in np.unique(y):
        members = rng.permutation(order[y == c])
        k = int(round(val_fraction * len(members)))
        val.append(members[:k])
        train.append(members[k:])
    return np.concatenate(train), np.concatenate(val)
'''},
        "expected": {"q3": 0.5},
        "hint": {"q3": "stratified_split changed y in place"},
    },
    "boolean_masks": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    in_val = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        in_val[members[:int(round(val_fraction * len(members)))]] = True
    return ~in_val, in_val
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "is a boolean mask: return integer indices"},
    },
    "calls_nnlib_split": {
        "answers": {"q3": '''
from nnlib.data import train_val_test_split

def stratified_split(y, val_fraction, rng):
    idx = np.arange(len(y))
    train, _, val, _, _, _ = train_val_test_split(idx, y, (1 - val_fraction, val_fraction, 0.0),
                                                  rng=rng)
    return train, val
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "your answer calls nnlib's train_val_test_split"},
    },
    "q3_right_but_written_differently": {
        "answers": {"q3": '''
def stratified_split(y, val_fraction, rng):
    in_val = np.zeros(len(y), dtype=bool)
    for c in set(y.tolist()):
        members = np.flatnonzero(y == c)
        k = int(np.floor(val_fraction * len(members) + 0.5))
        in_val[rng.choice(members, size=k, replace=False)] = True
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)
'''},
        "expected": {"q3": 2.0},
        "hint": {"q3": "All test cases passed!"},
    },
    # --- q4: overfit one batch ----------------------------------------------------------
    "no_zero_grad": {
        # run 4 of the bug zoo; on some batches the loss still reaches 0.01, so the test
        # checks the second update's gradient, not only the loss.
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, n_classes], "relu", rng=rng)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your loop never zeroes the gradients"},
    },
    "softmax_at_the_end": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, n_classes], "relu", rng=rng)
    model.append(Softmax())
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your network ends in a softmax"},
    },
    "learning_rate_too_small": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, n_classes], "relu", rng=rng)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-4)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "The learning rate may be too small"},
    },
    "dropout_left_on": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = Sequential(Linear(X.shape[1], 64, rng=rng), ReLU(), Dropout(0.5, rng=rng),
                       Linear(64, n_classes, rng=rng))
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "and your network has dropout"},
    },
    "not_seeded_by_rng": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, n_classes], "relu")
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 1.5},
        "hint": {"q4": "gave different losses: draw every random number"},
    },
    "standardises_X_in_place": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    X -= X.mean(axis=0)
    model = mlp([X.shape[1], 64, n_classes], "relu", rng=rng)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "overfit_one_batch changed X or y in place"},
    },
    "classes_counted_from_the_batch": {
        # mlp([d, 64, y.max() + 1]): right while the batch holds every class; the hidden test
        # with ten classes of which the batch holds six finds it.
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, int(y.max()) + 1], "relu", rng=rng)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 1.5},
        "hint": {"q4": "All test cases passed!"},
    },
    "calls_fit": {
        "answers": {"q4": OVERFIT_HEAD + '''
from nnlib.train import fit

def overfit_one_batch(X, y, n_classes, steps, rng):
    model = mlp([X.shape[1], 64, n_classes], "relu", rng=rng)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2)
    history = fit(model, loss_fn, optimizer, X, y, steps, batch_size=len(X), progress=False)
    return model, list(history.train_loss)
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your answer calls nnlib's fit"},
    },
    "q4_right_but_written_differently": {
        "answers": {"q4": OVERFIT_HEAD + '''
def overfit_one_batch(X, y, n_classes, steps, rng):
    model = Sequential(Linear(X.shape[1], 128, rng=rng), ReLU(), Linear(128, n_classes, rng=rng))
    loss_fn = CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=5e-3)
    losses = []
    for _ in range(steps):
        model.zero_grad()
        logits = model(X)
        losses.append(float(loss_fn(logits, y)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return model, losses
'''},
        "expected": {"q4": 2.0},
        "hint": {"q4": "All test cases passed!"},
    },
    # --- q5: the learning-rate sweep ----------------------------------------------------
    "even_grid": {
        "answers": {"q5": '''
def lr_grid(lo, hi, n):
    return np.linspace(lo, hi, n)
''' + PICK},
        "expected": {"q5": 1.0},
        "hint": {"q5": "your rates are evenly spaced (np.linspace)"},
    },
    "logspace_of_the_rates": {
        "answers": {"q5": '''
def lr_grid(lo, hi, n):
    return np.logspace(lo, hi, n)
''' + PICK},
        "expected": {"q5": 1.0},
        "hint": {"q5": "np.logspace(lo, hi, n) takes exponents"},
    },
    "argmin_stops_at_nan": {
        "answers": {"q5": GRID + '''
def pick_learning_rate(lrs, train_loss, val_loss):
    return float(lrs[np.argmin(val_loss)])
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "np.argmin stops at the first nan"},
    },
    "picked_by_training_loss": {
        "answers": {"q5": GRID + '''
def pick_learning_rate(lrs, train_loss, val_loss):
    return float(lrs[np.nanargmin(train_loss)])
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "the rate with the lowest TRAINING loss"},
    },
    "returns_the_position": {
        "answers": {"q5": GRID + '''
def pick_learning_rate(lrs, train_loss, val_loss):
    return int(np.argmin(np.where(np.isfinite(val_loss), val_loss, np.inf)))
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "a position in lrs: return the rate itself"},
    },
    "largest_rate_that_finished": {
        "answers": {"q5": GRID + '''
def pick_learning_rate(lrs, train_loss, val_loss):
    return float(lrs[np.flatnonzero(np.isfinite(val_loss)).max()])
'''},
        "expected": {"q5": 1.0},
        "hint": {"q5": "the largest rate whose run finished"},
    },
    "q5_right_but_written_differently": {
        "answers": {"q5": '''
def lr_grid(lo, hi, n):
    return 10.0 ** np.linspace(np.log10(lo), np.log10(hi), n)


def pick_learning_rate(lrs, train_loss, val_loss):
    val = np.array(val_loss, dtype=float)
    val[~np.isfinite(val)] = np.nan
    return lrs[np.nanargmin(val)]
'''},
        "expected": {"q5": 2.0},
        "hint": {"q5": "All test cases passed!"},
    },
    # --- q6: diagnose a run -------------------------------------------------------------
    "log2_in_the_diagnosis": {
        "answers": {"q6": diagnose_with(ln="np.log2")},
        "expected": {"q6": 1.0},
        "hint": {"q6": "its validation loss never went below ln C = 2.30259"},
    },
    "overfitting_before_labels_shuffled": {
        "answers": {"q6": diagnose_with(order=("high", "dead", "low", "over", "shuffled",
                                               "under"))},
        "expected": {"q6": 1.5},
        "hint": {"q6": "you returned 'overfitting', and its rule does hold"},
    },
    "dead_ReLUs_before_the_rate": {
        "answers": {"q6": diagnose_with(order=("dead", "high", "low", "shuffled", "over",
                                               "under"))},
        "expected": {"q6": 2.0},
        "hint": {"q6": "you returned 'dead ReLUs', and its rule does hold"},
    },
    "underfitting_before_too_low": {
        "answers": {"q6": diagnose_with(order=("high", "dead", "under", "low", "shuffled",
                                               "over"))},
        "expected": {"q6": 2.0},
        "hint": {"q6": "its update ratios all stay below"},
    },
    "overfitting_against_the_first_epoch": {
        "answers": {"q6": diagnose_with(over="val[-1] > 1.1 * val[0]")},
        "expected": {"q6": 2.0},
        "hint": {"q6": "you returned 'healthy', but a rule applies: its validation loss fell to "
                       "0.55"},
    },
    "changes_the_run": {
        "answers": {"q6": '''
def diagnose_run(run):
    run["train_loss"] /= np.log(run["n_classes"])
    train, val = run["train_loss"], run["val_loss"] / np.log(run["n_classes"])
    ratio, dead = run["update_ratio"], run["dead_fraction"]
    if ratio.max() > 1e-2:
        return "learning rate too high"
    if dead.max() > 0.5:
        return "dead ReLUs"
    if ratio.max() < 1e-4:
        return "learning rate too low"
    if train[-1] < 1 and val.min() >= 1:
        return "labels shuffled"
    best = int(np.argmin(val))
    if val[-1] > 1.1 * val[best] and train[-1] < train[best]:
        return "overfitting"
    return "underfitting" if train[-1] > 0.5 else "healthy"
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "diagnose_run changed the run it was given"},
    },
    "label_in_other_words": {
        "answers": {"q6": diagnose_with().replace('"overfitting"', '"Overfitting"')},
        "expected": {"q6": 2.0},
        "hint": {"q6": "exactly as written"},
    },
    "q6_right_but_written_differently": {
        "answers": {"q6": '''
import math

def diagnose_run(run):
    tr, va = list(map(float, run["train_loss"])), list(map(float, run["val_loss"]))
    r, d = np.array(run["update_ratio"]), np.array(run["dead_fraction"])
    half = math.log(int(run["n_classes"]))
    checks = [
        ("learning rate too high", np.any(r > 0.01)),
        ("dead ReLUs", np.any(d > 0.5)),
        ("learning rate too low", np.all(r < 1e-4)),
        ("labels shuffled", tr[-1] < half and min(va) >= half),
        ("overfitting", va[-1] > 1.1 * min(va) and tr[-1] < tr[va.index(min(va))]),
        ("underfitting", tr[-1] > half / 2),
    ]
    return next((label for label, holds in checks if holds), "healthy")
'''},
        "expected": {"q6": 3.0},
        "hint": {"q6": "All test cases passed!"},
    },
}
