"""The cyclic garbage collector of a kit server process (the reference's and the simulator's): fewer, cheaper
collections once the app is built.

Under load, requests in flight keep crossing CPython's young-generation threshold (700 net container allocations),
and the older collections then traverse every long-lived object (modules, FastAPI's and pydantic's schemas, the
app): full collections over the whole heap every few seconds (docs/benchmarks.md, issue 17). Two standard settings
for a long-running server: ``gc.freeze()`` once the app is built (what is alive then moves to a permanent generation
no collection traverses) and a higher young threshold. Reference counting, which frees almost everything a request
allocates, is untouched. Each server chooses its threshold: ``reference/speedups/gc_tuning.py``, and the simulator's
in ``fiwano_conformance/serve_cmd.py``.
"""

from __future__ import annotations

import gc


def tune_for_serving(young_threshold: int) -> None:
    """Freeze what is alive now (call it once the app is built) and collect the young generation every
    ``young_threshold`` allocations; the older generations' thresholds stay."""
    gc.collect()  # what is garbage already goes now, not into the permanent generation
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
