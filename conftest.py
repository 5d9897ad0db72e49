"""pytest settings for everything `make test` collects: tests/, the doctests of nnlib/ and
book/, and the chapter notebooks (nbval). A headless matplotlib backend, and every test and
doctest starts from the same matplotlib rcParams and leaves them as it found them (a test that
applies the book's style, or grades a notebook that does, must not change what the next
test's figures look like)."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_matplotlib_settings():
    with matplotlib.rc_context():
        yield
