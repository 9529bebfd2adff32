"""Completion codes live a hundred times longer than the documented 5 minutes."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-TTL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository

    class LongLivedCodes(SetupRepository):
        def issue_code(self, session, code, asset, ttl_seconds):
            super().issue_code(session, code, asset, ttl_seconds * 100)

    replace_component(reference.app, "SetupRepository", LongLivedCodes)
