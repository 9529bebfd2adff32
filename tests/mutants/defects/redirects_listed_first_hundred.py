"""Lists at most the first 100 redirect URIs of a key (an undocumented page size): the rest are missing."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-LIST",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import RedirectRepository

    class FirstPage(RedirectRepository):
        def list_for_key(self, api_key_id):
            return super().list_for_key(api_key_id)[:100]

    replace_component(reference.app, "RedirectRepository", FirstPage)
