"""Shared test settings: a headless matplotlib backend and a bounded hypothesis profile."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

# CI runs on a slow shared 2-core machine: bounded examples and no deadline (timing is the
# benchmark's job, never a test's).
settings.register_profile("book", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))
