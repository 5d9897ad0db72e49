"""The book's own code: each chapter's experiments, one module per chapter, and what they share.

``book.chNN_<slug>`` holds the experiments of the notebook ``chapters/NN_<slug>.ipynb``: its
``draw_*`` functions (one per figure and per interactive experiment) and the heavier helpers
behind them. ``book.shared`` holds what more than one chapter uses. This package imports
:mod:`nnlib`; nnlib never imports it. ``make setup`` installs both.
"""
