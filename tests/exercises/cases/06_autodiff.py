"""Typical wrong answers to exercise set 6 (automatic differentiation); see test_exercises.py.

Each case replaces answer cells of the student notebook (``answers``: question -> code), and
says how many points every answered question must get (``expected``; unanswered questions must
get 0) and which text the feedback of ``grader.check`` must show (``hint``). The questions do
not build on each other (q4 sorts with nnlib's topological_order, q5 and q6 use nnlib's Dual
and Value), so each case answers one question and holds one mistake. Points are split evenly
over a question's tests, hidden ones included, and every test is worth 0.5 points (q1 and q4:
6 tests, q2, q3, q5 and q6: 4, q7: 2).
"""

# --- q1: a dual-number class; <<MUL>>, <<EXP>>, <<SIN>>, <<TANH>>, <<DERIVATIVE>> are filled in
DUAL = '''
class Dual:
    def __init__(self, primal, tangent=0.0):
        self.primal = float(primal)
        self.tangent = float(tangent)

    def __add__(self, other):
        other = as_dual(other)
        return Dual(self.primal + other.primal, self.tangent + other.tangent)

    def __radd__(self, other):
        return self + other

    def __neg__(self):
        return Dual(-self.primal, -self.tangent)

    def __sub__(self, other):
        return self + (-as_dual(other))

    def __rsub__(self, other):
        return as_dual(other) + (-self)

    def __mul__(self, other):
        other = as_dual(other)
<<MUL>>

    def __rmul__(self, other):
        return self * other

    def exp(self):
<<EXP>>

    def sin(self):
<<SIN>>

    def tanh(self):
<<TANH>>


def as_dual(x):
    return x if isinstance(x, Dual) else Dual(x, 0.0)


def derivative(f, x):
<<DERIVATIVE>>
'''

DUAL_RIGHT = {
    "MUL": "        return Dual(self.primal * other.primal,\n"
           "                    self.primal * other.tangent + self.tangent * other.primal)",
    "EXP": "        e = math.exp(self.primal)\n        return Dual(e, e * self.tangent)",
    "SIN": "        return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)",
    "TANH": "        t = math.tanh(self.primal)\n"
            "        return Dual(t, (1.0 - t * t) * self.tangent)",
    "DERIVATIVE": "    out = f(Dual(x, 1.0))\n"
                  "    if isinstance(out, Dual):\n"
                  "        return out.primal, out.tangent\n"
                  "    return float(out), 0.0",
}


def dual(**wrong):
    """The q1 answer cell with the parts in ``wrong`` replacing the right ones."""
    code = DUAL
    for key, right in DUAL_RIGHT.items():
        code = code.replace(f"<<{key}>>", wrong.get(key, right))
    return code


# --- q2: the Scalar engine; <<MUL>> and <<TANH>> are the bodies of the two closures
SCALAR = '''
class Scalar:
    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data + other.data, (self, other))

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __mul__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data * other.data, (self, other))

        def _backward():
<<MUL>>

        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        t = math.tanh(self.data)
        out = Scalar(t, (self,))

        def _backward():
<<TANH>>

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for p in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()
'''

SCALAR_RIGHT = {
    "MUL": "            self.grad += other.data * out.grad\n"
           "            other.grad += self.data * out.grad",
    "TANH": "            self.grad += (1.0 - t * t) * out.grad",
}


def scalar(**wrong):
    """The q2 answer cell with the closures in ``wrong`` replacing the right ones."""
    code = SCALAR
    for key, right in SCALAR_RIGHT.items():
        code = code.replace(f"<<{key}>>", wrong.get(key, right))
    return code


CASES = {
    # --- q1: dual numbers ----------------------------------------------------------------
    "dual_product_multiplies_tangents": {
        # (a + b eps)(c + d eps) with tangent b d: the eps^2 term, which vanishes
        "answers": {"q1": dual(MUL="        return Dual(self.primal * other.primal, "
                                   "self.tangent * other.tangent)")},
        "expected": {"q1": 1.5},   # elementary functions, extreme inputs, one pass
        "hint": {"q1": "that is the coefficient of eps^2, which is 0"},
    },
    "dual_exp_without_chain_factor": {
        # exp(a + b eps) = e^a + e^a eps: right only when b = 1
        "answers": {"q1": dual(EXP="        e = math.exp(self.primal)\n"
                                   "        return Dual(e, e)")},
        "expected": {"q1": 1.5},   # the product rule, extreme inputs, one pass
        "hint": {"q1": "you left out the factor b, the tangent of the operand (the chain rule"},
    },
    "dual_seed_zero": {
        # the input is seeded as a constant: every derivative comes out 0
        "answers": {"q1": dual(DERIVATIVE="    out = f(Dual(x, 0.0))\n"
                                          "    return out.primal, out.tangent")},
        "expected": {"q1": 2.0},   # rules, one pass, and extreme inputs (where f' is 0 anyway)
        "hint": {"q1": "seed the input with tangent 1, x + 1 eps = Dual(x, 1.0)"},
    },
    "dual_tanh_with_cosh": {
        # right everywhere except where cosh overflows: only the hidden tests see it
        "answers": {"q1": dual(TANH="        return Dual(math.tanh(self.primal), "
                                    "self.tangent / math.cosh(self.primal) ** 2)")},
        "expected": {"q1": 2.5},
        "hint": {"q1": "All test cases passed"},
    },
    # --- q2: backward closures -------------------------------------------------------------
    "closure_overwrites_adjoint": {
        "answers": {"q2": scalar(MUL="            self.grad = other.data * out.grad\n"
                                     "            other.grad = self.data * out.grad")},
        "expected": {"q2": 1.0},   # tanh and the saturated tanh pass
        "hint": {"q2": "x*x should give 2x: adjoints SUM over a node's uses"},
    },
    "closure_swaps_factors": {
        "answers": {"q2": scalar(MUL="            self.grad += self.data * out.grad\n"
                                     "            other.grad += other.data * out.grad")},
        "expected": {"q2": 0.5},   # only the tanh test passes
        "hint": {"q2": "the factors are swapped. d(xy)/dx = y"},
    },
    "closure_forgets_out_grad": {
        "answers": {"q2": scalar(TANH="            self.grad += 1.0 - t * t")},
        "expected": {"q2": 0.5},   # only the product passes
        "hint": {"q2": "multiply the local derivative by out.grad (the chain rule)"},
    },
    "tanh_derivative_of_input": {
        "answers": {
            "q2": scalar(TANH="            self.grad += (1.0 - self.data ** 2) * out.grad")},
        "expected": {"q2": 0.5},
        "hint": {"q2": "you used 1 - x^2, with the input x"},
    },
    # --- q3: topological order -------------------------------------------------------------
    "recursive_depth_first_search": {
        # the chapter's recursive visit: right, but only up to Python's recursion limit
        "answers": {"q3": '''
def topological_sort(root):
    order, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v.parents:
                visit(p)
            order.append(v)

    visit(root)
    return order
'''},
        "expected": {"q3": 1.0},   # small graphs and other graphs pass; both chains fail
        "hint": {"q3": "RecursionError on a chain of 5,000 operations"},
    },
    "root_first": {
        # a correct depth-first post-order, reversed: the order of the backward sweep
        "answers": {"q3": '''
def topological_sort(root):
    order, seen, stack = [], {root}, [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p not in seen:
                seen.add(p)
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order[::-1]
'''},
        "expected": {"q3": 0.0},
        "hint": {"q3": "(the REVERSE topological order)"},
    },
    "breadth_first_reversed": {
        # the chapter's pitfall: nodes by distance from root, reversed
        "answers": {"q3": '''
def topological_sort(root):
    order, frontier, seen = [], [root], {root}
    while frontier:
        v = frontier.pop(0)
        order.append(v)
        for p in v.parents:
            if p not in seen:
                seen.add(p)
                frontier.append(p)
    return order[::-1]
'''},
        "expected": {"q3": 1.0},   # right on chains, wrong on a + tanh(tanh(a))
        "hint": {"q3": "An order by distance from root (breadth-first) is not enough"},
    },
    "no_seen_set": {
        # every path visited: nodes used twice are listed twice
        "answers": {"q3": '''
def topological_sort(root):
    order, stack = [], [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order
'''},
        "expected": {"q3": 1.0},   # chains have no shared nodes: both chain tests pass
        "hint": {"q3": "Keep a set of the nodes already seen"},
    },
    # --- q4: the reverse sweep -------------------------------------------------------------
    "sweep_overwrites": {
        "answers": {"q4": '''
def adjoints(root, seed=1.0):
    order = ad.topological_order(root)
    adj = {v: 0.0 for v in order}
    adj[root] = seed
    for v in reversed(order):
        for parent, local in zip(v.parents, v.local_grads):
            adj[parent] = local * adj[v]
    return adj
'''},
        "expected": {"q4": 1.5},   # the neuron, the chain and the 2-2-1 network share no node
        "hint": {"q4": "its adjoint is the SUM of both contributions"},
    },
    "sweep_parents_first": {
        "answers": {"q4": '''
def adjoints(root, seed=1.0):
    order = ad.topological_order(root)
    adj = {v: 0.0 for v in order}
    adj[root] = seed
    for v in order:
        for parent, local in zip(v.parents, v.local_grads):
            adj[parent] += local * adj[v]
    return adj
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "Sweep in REVERSE topological order"},
    },
    "grads_pile_up": {
        # adjoints kept in Value.grad and never reset: right once, doubled the second time
        "answers": {"q4": '''
def adjoints(root, seed=1.0):
    order = ad.topological_order(root)
    root.grad = seed
    for v in reversed(order):
        for parent, local in zip(v.parents, v.local_grads):
            parent.grad += local * v.grad
    return {v: v.grad for v in order}
'''},
        "expected": {"q4": 2.5},
        "hint": {"q4": "the adjoints kept what the first sweep had left in them"},
    },
    "calls_backward": {
        "answers": {"q4": '''
def adjoints(root, seed=1.0):
    root.backward(seed)
    return {v: v.grad for v in ad.topological_order(root)}
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your answer calls nnlib's Value.backward"},
    },
    # --- q5: forward-mode Jacobian ---------------------------------------------------------
    "columns_stored_as_rows": {
        "answers": {"q5": '''
def jacobian_fwd(f, x):
    x = [float(a) for a in np.ravel(x)]
    rows = []
    for j in range(len(x)):
        outs = f([ad.Dual(a, 1.0 if k == j else 0.0) for k, a in enumerate(x)])
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        rows.append([o.tangent if isinstance(o, ad.Dual) else 0.0 for o in outs])
    return np.array(rows)
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "A JVP with e_j is column j"},
    },
    "all_tangents_one": {
        "answers": {"q5": '''
def jacobian_fwd(f, x):
    x = [float(a) for a in np.ravel(x)]
    columns = []
    for j in range(len(x)):
        outs = f([ad.Dual(a, 1.0) for a in x])
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        columns.append([o.tangent if isinstance(o, ad.Dual) else 0.0 for o in outs])
    return np.array(columns).T
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "you seeded all inputs with tangent 1 in each pass"},
    },
    "one_pass_per_entry": {
        # right numbers, q * n passes instead of n
        "answers": {"q5": '''
def jacobian_fwd(f, x):
    x = [float(a) for a in np.ravel(x)]
    def outputs(xs):
        outs = f(xs)
        return list(outs) if isinstance(outs, (list, tuple)) else [outs]
    q = len(outputs([ad.Dual(a, 0.0) for a in x]))
    J = np.zeros((q, len(x)))
    for r in range(q):
        for j in range(len(x)):
            out = outputs([ad.Dual(a, 1.0 if k == j else 0.0) for k, a in enumerate(x)])[r]
            J[r, j] = out.tangent if isinstance(out, ad.Dual) else 0.0
    return J
'''},
        "expected": {"q5": 1.5},
        "hint": {"q5": "do not run one pass per entry"},
    },
    # --- q6: reverse-mode Jacobian ---------------------------------------------------------
    "stale_input_grads": {
        "answers": {"q6": '''
def jacobian_rev(f, x):
    xs = [Value(float(a)) for a in np.ravel(x)]
    outs = f(xs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    J = np.zeros((len(outs), len(xs)))
    for r, out in enumerate(outs):
        if isinstance(out, Value):
            out.backward()
            J[r] = [v.grad for v in xs]
    return J
'''},
        "expected": {"q6": 0.5},   # every output of h and of s uses every input
        "hint": {"q6": "set every input's grad to 0 before each sweep"},
    },
    "one_forward_pass_per_row": {
        # a new forward pass for every output: right rows, but q forward passes
        "answers": {"q6": '''
def jacobian_rev(f, x):
    x = [float(a) for a in np.ravel(x)]
    q = len(f(x)) if isinstance(f(x), (list, tuple)) else 1
    rows = []
    for r in range(q):
        xs = [Value(a) for a in x]
        outs = f(xs)
        out = outs[r] if isinstance(outs, (list, tuple)) else outs
        if isinstance(out, Value):
            out.backward()
        rows.append([v.grad for v in xs])
    return np.array(rows, dtype=float)
'''},
        "expected": {"q6": 1.5},
        "hint": {"q6": "in ONE forward pass"},
    },
    "sweep_from_the_sum": {
        "answers": {"q6": '''
def jacobian_rev(f, x):
    xs = [Value(float(a)) for a in np.ravel(x)]
    outs = f(xs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    total = sum(outs, Value(0.0))
    total.backward()
    return np.array([[v.grad for v in xs] for _ in outs])
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "you swept from the sum of the outputs"},
    },
    # --- q7: which mode --------------------------------------------------------------------
    "passes_swapped": {
        "answers": {"q7": '''
def mode_cost(n, q, need):
    forward, reverse = {"jacobian": (n, q), "jvp": (1, q), "vjp": (n, 1), "gradient": (n, 1)}[need]
    return reverse, forward, ("forward" if forward <= reverse else "reverse")
'''},
        "expected": {"q7": 0.0},
        "hint": {"q7": "your counts are swapped"},
    },
    "reverse_always": {
        "answers": {"q7": '''
def mode_cost(n, q, need):
    forward, reverse = {"jacobian": (n, q), "jvp": (1, q), "vjp": (n, 1), "gradient": (n, 1)}[need]
    return forward, reverse, "reverse"
'''},
        "expected": {"q7": 0.0},
        "hint": {"q7": "the cheaper mode is the one with fewer passes or sweeps"},
    },
    "jacobian_counts_for_every_need": {
        # the old question's whole answer (pass n and q through, compare them), which a guess
        # could reach: the counts depend on what is needed
        "answers": {"q7": '''
def mode_cost(n, q, need):
    return n, q, ("reverse" if q < n else "forward")
'''},
        "expected": {"q7": 0.0},
        "hint": {"q7": "a forward pass seeded with v gives J v at once"},
        "absent": {"q7": ["(1, 10", "1, 10, "]},
    },
    # --- issue 13: digits, bypasses, shortcuts ---------------------------------------------
    "sin_by_a_finite_difference": {
        # close to the right tangent but not exact: before the fix the feedback printed
        # "should be 1.179607; got 1.179607"
        "answers": {"q1": dual(SIN="        h = 1e-5\n"
                                   "        slope = (math.sin(self.primal + h) "
                                   "- math.sin(self.primal - h)) / (2 * h)\n"
                                   "        return Dual(math.sin(self.primal), "
                                   "slope * self.tangent)")},
        "expected": {"q1": 1.5},
        "hint": {"q1": "close, but not exact: a finite difference instead of the derivative's"},
        "absent": {"q1": ["should be 1.179607; got 1.179607"]},
    },
    "dual_built_on_nnlib": {
        # nnlib's Dual does the product rule and the chain rule; only sin is added
        "answers": {"q1": '''
class Dual(ad.Dual):
    def sin(self):
        return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)

    def exp(self):
        return Dual(math.exp(self.primal), math.exp(self.primal) * self.tangent)

    def tanh(self):
        t = math.tanh(self.primal)
        return Dual(t, (1.0 - t * t) * self.tangent)


def as_dual(x):
    return x if isinstance(x, Dual) else Dual(x, 0.0)


def derivative(f, x):
    out = f(Dual(x, 1.0))
    if isinstance(out, ad.Dual):
        return out.primal, out.tangent
    return float(out), 0.0
'''},
        "expected": {"q1": 0.0},
        "hint": {"q1": "your answer calls nnlib's Dual"},
    },
    "recursion_with_a_raised_limit": {
        # before the fix a raised recursion limit made the recursive search pass
        "answers": {"q3": '''
import sys


def topological_sort(root):
    sys.setrecursionlimit(100_000)
    order, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v.parents:
                visit(p)
            order.append(v)

    visit(root)
    return order
'''},
        "expected": {"q3": 1.0},
        "hint": {"q3": "topological_sort changed the recursion limit"},
    },
    "backward_saved_before_the_switch_off": {
        # before the fix the tests replaced Value.backward, which a saved reference bypassed
        "answers": {"q4": '''
nnlib_sweep = Value.backward


def adjoints(root, seed=1.0):
    nnlib_sweep(root, seed)
    return {v: v.grad for v in ad.topological_order(root)}
'''},
        "expected": {"q4": 0.0},
        "hint": {"q4": "your answer calls nnlib's Value.backward"},
    },
    "jacobian_by_nnlib_forward": {
        "answers": {"q5": '''
def jacobian_fwd(f, x):
    return ad.jacobian_forward(f, x).jacobian
'''},
        "expected": {"q5": 0.0},
        "hint": {"q5": "your answer calls nnlib's jacobian_forward"},
    },
    "jacobian_by_nnlib_reverse": {
        "answers": {"q6": '''
from nnlib.autodiff import jacobian_reverse as nnlib_jacobian


def jacobian_rev(f, x):
    return nnlib_jacobian(f, x).jacobian
'''},
        "expected": {"q6": 0.0},
        "hint": {"q6": "your answer calls nnlib's jacobian_reverse"},
    },
}
