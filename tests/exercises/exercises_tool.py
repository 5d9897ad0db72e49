"""tools/exercises.py as a module, for the tests in tests/exercises/.

Loaded from its path under the name ``tools_exercises``: ``import exercises`` could find the
repository's ``exercises/`` folder (a namespace package) instead.
"""

import importlib.util
import sys
from pathlib import Path

NAME = "tools_exercises"
if NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        NAME, Path(__file__).resolve().parents[2] / "tools" / "exercises.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[NAME] = _module
    _spec.loader.exec_module(_module)
ex = sys.modules[NAME]
