"""The cyclic garbage collector of a serving reference process: fewer, cheaper collections.

CPython runs a young-generation collection every 700 net container allocations; a send allocates a few hundred
(dicts, tuples, coroutines, futures), so a collection ran every second or third request, and every tenth of
those also swept the middle generation. The older collections traverse every long-lived object: the imported
modules, FastAPI's and pydantic's schemas, the app itself, hundreds of thousands of objects that never become
garbage. Two standard settings for a long-running server (what CPython 3.13 and Instagram's servers do):

* ``gc.freeze()`` once the app is built: every object alive then moves to a permanent generation that no
  collection traverses (nothing is freed that could have been; they stay reachable for the process's life);
* a young-generation threshold of :data:`YOUNG_THRESHOLD` allocations instead of 700: garbage cycles of a few
  requests wait a little longer to be freed (a few MB at most), and nothing else changes.

Reference counting, which frees almost everything a request allocates, is untouched. Measured in
docs/benchmarks.md (issue 17, the reference's live CPU). Only the server process (``fiwano-conformance
reference``) does this; tests that build the app in their own process keep the interpreter's defaults.
"""

from __future__ import annotations

import gc

#: allocations between young-generation collections (CPython's default: 700)
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Freeze what is alive now (call it once the app is built) and collect the young generation less often."""
    gc.collect()  # what is garbage already goes now, not into the permanent generation
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
