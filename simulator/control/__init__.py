"""The control API (``/_sim``): seed worlds, emit inbound messages and statuses, read the journal,
script faults, move the clock. JSON in, JSON out, errors as ``{"detail": …}`` with a 4xx.

Split by job: ``worlds`` (settings, worlds, journal, clocks), ``events`` (what Meta sends and what it
received), ``scenario`` (faults, CDN, media, profiles, templates, OAuth).
"""

from __future__ import annotations

from simulator.control import events, scenario, worlds

routers = (worlds.router, events.router, scenario.router)
