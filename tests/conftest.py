"""Settings for tests/: a bounded hypothesis profile (the matplotlib settings are in the
repository's top-level conftest.py, which also covers the doctests)."""

import os

from hypothesis import HealthCheck, settings

# CI runs on a slow shared 2-core machine: bounded examples and no deadline (timing is the
# benchmark's job, never a test's).
settings.register_profile("book", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))
