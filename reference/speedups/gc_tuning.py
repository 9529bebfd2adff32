"""The cyclic garbage collector of a serving reference process: fewer, cheaper collections.

CPython runs a young-generation collection once 700 more GC-tracked objects (dicts, tuples, coroutines,
futures...) were allocated than freed. One request at a time frees what it allocates and never gets there (the
in-process benchmark ran 2,000 sends without a collection), but a server under load has dozens to hundreds of
requests in flight, whose live objects keep crossing the threshold: each collection walks them, moves them on
to the older generations, and every few seconds a full collection walks the whole heap, ~86,000 objects of the
imported modules, FastAPI's and pydantic's schemas and the app, that never become garbage. Two settings:

* ``gc.freeze()`` once the app is built: every object alive then moves to a permanent generation that no
  collection traverses (garbage is collected first, so only what is reachable is frozen; it stays so for the
  process's life);
* a young-generation threshold of :data:`YOUNG_THRESHOLD` allocations instead of 700: garbage cycles of a few
  hundred requests wait longer to be freed (about 10 MB at most), and nothing else changes. Under load the
  requests in flight hold thousands of young objects, so at 700 (or even 10,000) the collector ran again and
  again over live objects and moved them on to the older generations (docs/benchmarks.md: 96 young collections
  and 3.8 s in the collector in a 1,000-key run at 10,000; 3 and 0.16 s at 50,000).

Reference counting, which frees almost everything a request allocates, is untouched. Measured in
docs/benchmarks.md (issue 17, the reference's live CPU). Only the server process (``fiwano-conformance
reference``) does this; tests that build the app in their own process keep the interpreter's defaults.
"""

from __future__ import annotations

from fiwano_conformance.shared import gc_tuning

#: allocations between young-generation collections (CPython's default: 700)
YOUNG_THRESHOLD = 50_000


def tune_for_serving() -> None:
    """Freeze what is alive now (call it once the app is built) and collect the young generation less often."""
    gc_tuning.tune_for_serving(YOUNG_THRESHOLD)
