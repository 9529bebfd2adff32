"""Exchange codes live 3 s longer than the documented 5 minutes (a lifetime rounded up, or measured from the
wrong instant): a code presented 1-3 s after its lifetime is still exchanged."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CODE-TTL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository

    class Lenient(SetupRepository):
        def issue_code(self, session, code, asset, ttl_seconds):
            super().issue_code(session, code, asset, ttl_seconds + 3)

    replace_component(reference.app, "SetupRepository", Lenient)
