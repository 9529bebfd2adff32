"""Counts the rate limit per account instead of per API key: two keys of one account share one budget."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-PER-KEY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter
    from reference.repos.accounts import ApiKeyRepository

    account_of: dict[str, str] = {}
    authenticate = ApiKeyRepository.authenticate

    def remembering(self, plain):
        key = authenticate(self, plain)
        if key is not None:
            account_of[key.id] = key.account_id
        return key

    class PerAccount(SlidingWindowRateLimiter):
        def hit(self, key):
            return super().hit(account_of.get(key, key))

    replace_component(ApiKeyRepository, "authenticate", remembering)
    replace_component(reference.app, "SlidingWindowRateLimiter", PerAccount)
