"""nnlib: the companion library of *Feed-forward neural networks, derived and built*.

Plain numpy, explicit forward and backward passes, PyTorch's names and semantics wherever
PyTorch has the same thing. Written to be read next to the book: every function names the
chapter that derives it. Simple and readable first; fast where that costs no clarity.

The most used names are available at the top level::

    import nnlib
    net = nnlib.mlp([2, 16, 1], "tanh", rng=0)
    history = nnlib.fit(net, nnlib.BCEWithLogitsLoss(), nnlib.Adam(net.parameters()), X, y,
                        epochs=100)

and every submodule (``nnlib.functional``, ``nnlib.init``, ``nnlib.data``, ``nnlib.probes``,
``nnlib.plot``, ``nnlib.widgets``, ...) can be imported on its own.

``import nnlib`` needs numpy only. ``nnlib.plot`` (matplotlib) and ``nnlib.widgets``
(ipywidgets) are imported the first time they are used, and scipy, scikit-learn, tqdm and
pandas only inside the functions that need them.
"""

import importlib

from . import (autodiff, data, functional, gradcheck, init, layers, losses, optim,
               perceptron, probes, schedules, train)
from .core import Module, Parameter, Sequential, count_parameters
from .dropout import Dropout
from .layers import (ELU, GELU, SELU, Flatten, Identity, LeakyReLU, Linear, PReLU, ReLU,
                     Residual, Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh, mlp)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, HuberLoss,
                     L1Loss, MSELoss)
from .normalization import BatchNorm1d, GroupNorm, InstanceNorm1d, LayerNorm, RMSNorm
from .optim import SGD, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm_, clip_grad_value_
from .schedules import (CosineAnnealingLR, ExponentialLR, LinearWarmup, OneCycleLR,
                        ReduceLROnPlateau, Schedule, StepLR, schedule_values)
from .train import (Callback, EarlyStopping, History, accuracy, fit, iterate_minibatches,
                    layer_grad_norms, layer_outputs, predict_proba, train_epoch)

#: Submodules imported on first access, ``nnlib.plot`` for instance (PEP 562).
_LAZY_SUBMODULES = ("plot", "widgets")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)  # also sets nnlib.<name>
    raise AttributeError(f"module 'nnlib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__version__ = "0.1.0"

__all__ = [
    "Module", "Parameter", "Sequential", "count_parameters", "mlp",
    "Linear", "Identity", "Flatten", "Residual", "Dropout",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Swish",
    "Softplus", "Softmax",
    "BatchNorm1d", "LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d",
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "FocalLoss",
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_grad_norm_", "clip_grad_value_",
    "Schedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "OneCycleLR",
    "ReduceLROnPlateau", "schedule_values",
    "fit", "History", "Callback", "EarlyStopping", "accuracy", "predict_proba",
    "iterate_minibatches", "layer_outputs", "layer_grad_norms", "train_epoch",
    "autodiff", "data", "functional", "gradcheck", "init", "layers", "losses", "optim",
    "perceptron", "plot", "probes", "schedules", "train", "widgets",
]
