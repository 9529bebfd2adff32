"""POST /redirects answers a freshly generated id, not the id it stored (the id is generated twice)."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-ADD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from dataclasses import replace

    import reference.app
    from reference.crypto import new_id
    from reference.repos.connect import RedirectRepository

    class TwiceIdentified(RedirectRepository):
        def add(self, account_id, api_key_id, uri_pattern):
            stored = super().add(account_id, api_key_id, uri_pattern)
            return replace(stored, id="redir_" + new_id(6))

    replace_component(reference.app, "RedirectRepository", TwiceIdentified)
