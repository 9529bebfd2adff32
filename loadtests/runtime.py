"""The per-process state of a load run, reachable from the users, the shape and the event hooks.

Locust instantiates users and shapes itself, so they cannot be handed their collaborators; this module is
the one place they look them up. It is set once per process by ``loadtests.session`` in Locust's init event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadtests.coordination import Link
    from loadtests.session import Session

_link: "Link | None" = None
_session: "Session | None" = None


def set_link(link: "Link") -> None:
    global _link
    _link = link


def link(environment=None) -> "Link":
    if _link is None:
        raise RuntimeError("the load run was not initialised (is this the loadtests locustfile?)")
    return _link


def set_session(session: "Session | None") -> None:
    global _session
    _session = session


def session() -> "Session | None":
    return _session
