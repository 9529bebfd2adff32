"""The fake internet Meta fetches media links from: tests register which URLs are fetchable.

Meta downloads ``link`` media itself; whether that works depends on the customer's hosting. Tests say
so explicitly through the control API (``POST /_sim/worlds/{id}/cdn``); an unregistered link is not
fetchable unless the world's ``cdn_default_fetchable`` option is on.
"""

from __future__ import annotations

from simulator.world import CdnEntry, World


def lookup(world: World, url: str) -> CdnEntry | None:
    entry = world.cdn.get(url)
    if entry is None:
        entry = world.cdn.get(url.split("?", 1)[0])
    return entry
