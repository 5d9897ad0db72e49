"""Shared test settings: a headless matplotlib backend and a bounded hypothesis profile."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# CI runs on a slow shared 2-core machine: bounded examples and no deadline (timing is the
# benchmark's job, never a test's).
settings.register_profile("book", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))


@pytest.fixture(autouse=True)
def _isolated_matplotlib_settings():
    """Each test starts from the same matplotlib rcParams and leaves them as it found them
    (a test that applies the book's style, or grades a notebook that does, must not change
    what the next test's figures look like)."""
    with matplotlib.rc_context():
        yield
