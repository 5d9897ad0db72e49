"""Experiment functions of the book's chapters, one module per chapter."""
