"""Makes the suite fixtures (suites/fixtures.py) available to the suite modules, and only to them."""

from suites.fixtures import *  # noqa: F403  (fixtures are found by name; __all__ lists them)
from suites.clock import *  # noqa: F403
from suites.readings import _fiwano_readings_scope  # noqa: F401  (autouse: readings of each test)
