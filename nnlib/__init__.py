"""nnlib: the companion library of the book (being assembled; the lead rewrites this file)."""
from .core import Module, Parameter, Sequential, count_parameters  # noqa: F401
