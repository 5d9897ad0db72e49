"""Parameters and modules: the two classes every layer of nnlib is built from.

A :class:`Module` computes ``forward(x)`` and, given dL/d(output), ``backward(grad_out)``
returns dL/d(input) and *adds* dL/d(parameter) into each :class:`Parameter`'s ``.grad``.
This is the explicit form of backpropagation derived in Chapter 5; the names follow
PyTorch's ``torch.nn.Module`` so that the step to PyTorch is short.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ._checks import as_array, check_bool, check_module

__all__ = ["Parameter", "Module", "Sequential", "count_parameters"]


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Parameters
    ----------
    data : array_like
        Initial value. Integer input is converted to float64; float arrays keep their dtype.

    Attributes
    ----------
    data : ndarray
        The current value; optimisers update it in place.
    grad : ndarray of the same shape and dtype as ``data``
        dL/d(data), accumulated by ``backward`` passes; zeros until the first one.

    Examples
    --------
    >>> p = Parameter([[1.0, 2.0]])
    >>> p.shape, p.grad.tolist()
    ((1, 2), [[0.0, 0.0]])
    """

    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data = np.array(as_array(data, "Parameter", name="data"))  # always a private copy
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and network.

    A subclass implements ``forward(x)``, which caches what the backward pass needs, and
    ``backward(grad_out)``, which returns dL/dx and accumulates parameter gradients.
    Parameters, buffers and sub-modules are found by looking at the instance's attributes
    in the order they were set, so ``parameters()`` has a stable order.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after ``eval()``. Only layers whose
        behaviour differs (Dropout, BatchNorm1d) look at it.
    """

    #: names of attributes that are state but not trainable (e.g. BatchNorm running stats)
    _buffers: tuple = ()

    # What kind of layer this is, for the measurements of :mod:`nnlib.probes` (Chapter 16).
    # Each layer class states it about itself; a subclass inherits it.
    #: True for elementwise activations a = f(z): their input is the pre-activation z.
    is_activation: bool = False
    #: True when a unit can "die": ReLU passes no gradient at all where its output is 0, so a
    #: unit whose output is 0 for every example stops learning (Chapter 3).
    units_can_die: bool = False
    #: None, or ``(low, high)``: an output below ``low`` or above ``high`` lies on an
    #: asymptote, where the derivative is a few per cent of its maximum (sigmoid, tanh).
    saturated_outside: tuple | None = None

    def __init__(self):
        self.training = True

    # -- the two passes ------------------------------------------------------------------------
    def forward(self, x):
        """Compute the output and cache what ``backward`` needs.

        Parameters
        ----------
        x : ndarray of shape (m, n_in)
            A batch of m inputs, one per row (some layers accept other shapes).

        Returns
        -------
        ndarray of shape (m, n_out)
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement forward().")

    def backward(self, grad_out):
        """Given dL/d(output), add dL/d(parameter) into every ``grad`` and return dL/d(input).

        Parameters
        ----------
        grad_out : ndarray of the output's shape (m, n_out)
            dL/d(output), the error signal arriving from the layer above.

        Returns
        -------
        ndarray of the input's shape (m, n_in)
            dL/d(input), passed on to the layer below.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward().")

    def __call__(self, x):
        return self.forward(x)

    def _cached(self, value, what: str = "input"):
        """Return a value cached by ``forward``; raise a clear error if there is none."""
        if value is None:
            raise ValueError(f"{self._name()}: backward() was called before forward(); "
                             f"call the module on an input first (no {what} is cached).")
        return value

    def _check_grad_out(self, grad_out, shape, dtype):
        """Return ``grad_out`` as an array of ``dtype``, checked to have the output's shape."""
        if isinstance(grad_out, np.ndarray) and grad_out.dtype == dtype:
            g = grad_out  # the common case, with no string formatting on the hot path
        else:
            g = as_array(grad_out, f"{self._name()}.backward", dtype=dtype, name="grad_out")
        if g.shape != shape:
            raise ValueError(f"{self._name()}.backward: expected grad_out of the output's shape "
                             f"{shape}, got {g.shape}.")
        return g

    # -- structure ---------------------------------------------------------------------------
    def named_children(self):
        """Yield ``(name, module)`` for each direct sub-module, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return [m for _, m in self.named_children()]

    def named_modules(self):
        """Yield ``(dotted_path, module)`` for this module (path "") and every sub-module,
        parents before their children, in attribute order.

        Raises
        ------
        ValueError
            If one module object sits at two places in the tree (see :class:`Sequential`).
        """
        return _walk(self, "", {}, type(self).__name__)

    def named_parameters(self, prefix: str = ""):
        """Yield ``(dotted_name, Parameter)`` pairs, own parameters first, then children's.

        A Parameter shared by two layers (tied weights) is listed once, under its first
        name, as in PyTorch; both layers add their gradients into its ``grad``.
        """
        seen = set()
        for path, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield f"{prefix}{path}.{name}" if path else prefix + name, value

    def parameters(self) -> list:
        """All trainable parameters as a list, in a stable order, each one once."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = ""):
        """Yield ``(dotted_name, ndarray)`` for non-trainable state such as running means."""
        for name in self._buffers:
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(prefix + name + ".")

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero."""
        for p in self.parameters():
            p.grad.fill(0)

    # -- modes -------------------------------------------------------------------------------
    def train(self, mode: bool = True):
        """Set training mode (``mode=True``) or evaluation mode on this module and every
        sub-module; return ``self`` so that ``model = Net().train()`` works."""
        if not isinstance(mode, (bool, np.bool_)):  # the name is only formatted for an error
            check_bool(mode, f"{self._name()}.train", "mode")
        self.training = mode = bool(mode)
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode; the same as ``train(False)``. Returns ``self``."""
        return self.train(False)

    # -- saving and loading ------------------------------------------------------------------
    def _state_slots(self, prefix: str = ""):
        """Yield ``(dotted_name, owner, attribute)`` for every parameter and buffer, module by
        module (own parameters, own buffers, then each child's), as PyTorch orders them."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value, "data"
        for name in self._buffers:
            yield prefix + name, self, name
        for name, child in self.named_children():
            yield from child._state_slots(prefix + name + ".")

    def state_dict(self) -> OrderedDict:
        """A copy of every parameter and buffer, keyed by dotted name."""
        return OrderedDict((name, np.array(getattr(owner, attr), copy=True))
                           for name, owner, attr in self._state_slots())

    def load_state_dict(self, state_dict) -> None:
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a mapping.
        ValueError
            If keys are missing or unexpected, or a shape differs. Nothing is changed then.
        """
        where = f"{self._name()}.load_state_dict"
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"{where}: expected a dict of arrays, got {type(state_dict).__name__}.")
        slots = {name: (owner, attr) for name, owner, attr in self._state_slots()}
        missing = sorted(set(slots) - set(state_dict.keys()))
        unexpected = sorted(set(state_dict.keys()) - set(slots))
        if missing or unexpected:
            raise ValueError(f"{where}: the keys do not match; missing {missing}, "
                             f"unexpected {unexpected}.")
        new_values = {}
        for name, (owner, attr) in slots.items():
            current = getattr(owner, attr)
            new = as_array(state_dict[name], where, name=f"state_dict[{name!r}]")
            if np.shape(current) != new.shape:
                raise ValueError(f"{where}: expected {name!r} of shape {np.shape(current)}, "
                                 f"got {new.shape}.")
            new_values[name] = new
        for name, (owner, attr) in slots.items():  # every check passed: now copy
            current = getattr(owner, attr)
            if isinstance(current, np.ndarray):
                np.copyto(current, new_values[name], casting="unsafe")
            else:  # a Python scalar buffer such as num_batches_tracked
                setattr(owner, attr, type(current)(new_values[name]))

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of ``repr``; subclasses override it."""
        return ""

    def _name(self) -> str:
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra})"

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return self._name()
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Apply modules one after another: ``y = f_L(... f_2(f_1(x)))``.

    ``backward`` walks the same modules in reverse order, passing each one the gradient
    the next one returned: this loop *is* backpropagation (Chapter 5).

    Parameters
    ----------
    *modules : Module
        The layers, in the order the data flows through them. Each must be a separate
        object: a layer caches its input in ``forward`` for ``backward``, so one layer used
        at two places would overwrite the cache of its first use and get wrong gradients.
        Tied weights are made by sharing a Parameter between two layers instead.

    Raises
    ------
    TypeError
        If an argument is not a Module.
    ValueError
        If one module object appears twice anywhere in the network (also inside a nested
        Sequential or a Residual block).

    Examples
    --------
    >>> from nnlib.layers import Linear, ReLU
    >>> net = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=0))
    >>> len(net), [name for name, _ in net.named_parameters()]
    (3, ['0.weight', '0.bias', '2.weight', '2.bias'])

    Two layers with one weight matrix (tied weights) are fine, and it is listed once:

    >>> first, second = Linear(2, 2, rng=0), Linear(2, 2, rng=1)
    >>> second.weight = first.weight
    >>> [name for name, _ in Sequential(first, ReLU(), second).named_parameters()]
    ['0.weight', '0.bias', '2.bias']
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            check_module(m, "Sequential", f"argument {i}")
        self._layers = list(modules)
        _check_each_module_once(self, "Sequential")

    def named_children(self):
        for i, m in enumerate(self._layers):
            yield str(i), m

    def forward(self, x):
        """Run ``x`` through every layer in order.

        Parameters
        ----------
        x : ndarray of shape (m, n_0)
            The input of the first layer.

        Returns
        -------
        ndarray of shape (m, n_L)
            The output of the last layer.
        """
        for layer in self._layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out, input_grad: bool = True):
        """Backpropagate ``grad_out`` through every layer, last to first.

        Parameters
        ----------
        grad_out : ndarray of the output's shape (m, n_L)
            dL/d(output of the last layer).
        input_grad : bool
            With False the first layer skips dL/dx (when x is the data, nobody needs it) and
            ``None`` is returned; every parameter gradient is still computed.

        Returns
        -------
        ndarray of the input's shape (m, n_0), or None
            dL/dx.
        """
        layers = self._layers
        for layer in reversed(layers[1:]):
            grad_out = layer.backward(grad_out)
        if not layers:
            return grad_out
        if not input_grad and hasattr(layers[0], "backward_params"):
            layers[0].backward_params(grad_out)
            return None
        return layers[0].backward(grad_out)

    def append(self, module):
        """Add ``module`` at the end; return ``self``. The same checks as the constructor."""
        check_module(module, "Sequential.append", "the new layer")
        self._layers.append(module)
        try:
            _check_each_module_once(self, "Sequential.append")
        except ValueError:
            self._layers.pop()
            raise
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        try:
            return self._layers[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for "
                             f"{len(self._layers)} layers.") from None
        except TypeError:
            raise TypeError(f"Sequential: expected an integer index or a slice, got "
                            f"{type(index).__name__}.") from None

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)


# -- one object, one place -------------------------------------------------------------------
def _walk(module, path, seen, where):
    """Yield ``(path, module)`` depth first; ``seen`` maps id(module) -> its first path."""
    first = seen.setdefault(id(module), path)
    if first != path:
        raise _reused_module_error(module, first, path, where)
    yield path, module
    for name, child in module.named_children():
        yield from _walk(child, f"{path}.{name}" if path else name, seen, where)


def _reused_module_error(module, first, second, where):
    def place(path):
        return f"position {path!r}" if path else "the top of the network"

    return ValueError(
        f"{where}: the same {module._name()} object is used twice, at {place(first)} and at "
        f"{place(second)}. A layer remembers its input in forward() for backward(), so a "
        f"second use would overwrite what the first one needs and the gradients would be "
        f"wrong. Create a separate layer for each position (call {type(module).__name__}(...) "
        f"once per position); to tie weights on purpose, share the Parameter instead "
        f"(second.weight = first.weight).")


def _check_each_module_once(container, where):
    """Raise ValueError if a module object appears twice in ``container``'s tree."""
    for _ in _walk(container, "", {}, where):
        pass


def count_parameters(module: Module) -> int:
    """Number of scalar trainable parameters: sum over layers of n_l n_(l-1) + n_l for an MLP.

    A Parameter shared by two layers counts once.

    Examples
    --------
    >>> from nnlib.layers import Linear, ReLU
    >>> count_parameters(Sequential(Linear(784, 128), ReLU(), Linear(128, 64), ReLU(),
    ...                             Linear(64, 10)))
    109386
    """
    check_module(module, "count_parameters", "module")
    return sum(p.size for p in module.parameters())
