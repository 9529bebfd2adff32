"""Setup URLs live 20 minutes instead of 10 (expires_at and the check both use the doubled lifetime)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-URL-TTL", "CONNECT-SETUP-URL-EXPIRED")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.connect import SetupRepository

    class DoubleLifetime(SetupRepository):
        def create_session(self, account_id, api_key_id, channel_type, redirect_uri, ttl_seconds):
            return super().create_session(account_id, api_key_id, channel_type, redirect_uri, ttl_seconds * 2)

    replace_component(reference.app, "SetupRepository", DoubleLifetime)
