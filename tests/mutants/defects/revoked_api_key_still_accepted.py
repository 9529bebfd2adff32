"""A revoked API key still authenticates: the key lookup ignores revoked_at."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-KEY-UNKNOWN",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.crypto import hash_api_key
    from reference.repos.accounts import ApiKey, ApiKeyRepository

    class RevocationBlind(ApiKeyRepository):
        def authenticate(self, plain):
            row = self.db.one("SELECT id, account_id, key_prefix FROM api_keys WHERE key_hash = ?",
                              (hash_api_key(plain),))
            return ApiKey(id=row["id"], account_id=row["account_id"], prefix=row["key_prefix"]) if row else None

    replace_component(reference.app, "ApiKeyRepository", RevocationBlind)
