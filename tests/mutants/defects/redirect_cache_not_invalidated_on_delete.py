"""Allowed redirects are cached per API key; the cache is refreshed on add but not on delete."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-DELETE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import RedirectRepository

    class CachedRedirects(RedirectRepository):
        def __init__(self, db, clock):
            super().__init__(db, clock)
            self._cache = {}

        def list_for_key(self, api_key_id):
            if api_key_id not in self._cache:
                self._cache[api_key_id] = super().list_for_key(api_key_id)
            return list(self._cache[api_key_id])

        def add(self, account_id, api_key_id, uri_pattern):
            redirect = super().add(account_id, api_key_id, uri_pattern)
            self._cache.pop(api_key_id, None)
            return redirect

    replace_component(reference.app, "RedirectRepository", CachedRedirects)
